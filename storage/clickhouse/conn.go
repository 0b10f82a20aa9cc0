package clickhouse

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ClickHouse server error codes apitap tells apart.
const (
	codeUnknownTable       = 60
	codeNoSuchColumn       = 16 // NO_SUCH_COLUMN_IN_TABLE: a schema older than the writer
	codeUnknownDatabase    = 81
	codeDuplicateColumn    = 44
	codeUnknownUser        = 192
	codeWrongPassword      = 193
	codeRequiredPassword   = 194
	codeIPNotAllowed       = 195
	codeAuthFailed         = 516
	codeTimeoutExceeded    = 159
	codeSocketTimeout      = 209
	codeNetworkError       = 210
	codeTooManySimQueries  = 202
	codeNoFreeConnection   = 203
	codeTableReadOnly      = 242
	codeMemoryLimit        = 241
	codeTooManyParts       = 252
	codeUnknownInsertState = 319
	codeAllReplicasLost    = 279
	codeNoZooKeeper        = 225
	codeKeeperException    = 999
	codeUnexpectedEOF      = 32 // ATTEMPT_TO_READ_AFTER_EOF
	codeReplicaNotReady    = 3
	codeDeadlockAvoided    = 473
)

// DB is an open connection pool to the ClickHouse server(s) of a DSN.
type DB struct {
	conn     driver.Conn
	opts     *Options
	version  Version
	features Features
}

// Open connects, checks the credentials and the database, and reads the
// server version. Errors are one line naming the host and the problem.
func Open(ctx context.Context, o *Options) (*DB, error) {
	return open(ctx, o, o.Database)
}

// openServer connects without selecting the database (for migrations,
// which may create it).
func openServer(ctx context.Context, o *Options) (*DB, error) {
	return open(ctx, o, "default")
}

func open(ctx context.Context, o *Options, database string) (*DB, error) {
	opts := *o.CH
	opts.Auth.Database = database
	conn, err := ch.Open(&opts)
	if err != nil {
		return nil, describe(o, err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, describe(o, err)
	}
	var v string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		_ = conn.Close()
		return nil, describe(o, err)
	}
	ver, err := ParseVersion(v)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("clickhouse %s: %w", o.Hosts(), err)
	}
	return &DB{conn: conn, opts: o, version: ver, features: FeaturesOf(ver)}, nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.conn.Close() }

// Version is the server version.
func (db *DB) Version() Version { return db.version }

// Features are what the server supports, from its version.
func (db *DB) Features() Features { return db.features }

// Conn is the underlying clickhouse-go connection, for queries.
func (db *DB) Conn() driver.Conn { return db.conn }

// Options returns the options the DB was opened with.
func (db *DB) Options() *Options { return db.opts }

// describe turns a connection or query error into one line that says what
// is wrong in the user's terms; the original error stays wrapped.
func describe(o *Options, err error) error {
	var ex *ch.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case codeUnknownUser, codeWrongPassword, codeRequiredPassword, codeAuthFailed:
			return &Error{msg: fmt.Sprintf("clickhouse %s: authentication failed for user %q (wrong user or password)", o.Hosts(), o.CH.Auth.Username), err: err}
		case codeIPNotAllowed:
			return &Error{msg: fmt.Sprintf("clickhouse %s: user %q may not connect from this address", o.Hosts(), o.CH.Auth.Username), err: err}
		case codeUnknownDatabase:
			return &Error{msg: fmt.Sprintf("clickhouse %s: database %q does not exist (create it with apitap migrate)", o.Hosts(), o.Database), err: err}
		case codeUnknownTable, codeNoSuchColumn:
			return &Error{msg: fmt.Sprintf("clickhouse %s: %s (apply the schema with apitap migrate)", o.Hosts(), firstLine(ex.Message)), err: err}
		}
		return &Error{msg: fmt.Sprintf("clickhouse %s: %s (code %d)", o.Hosts(), firstLine(ex.Message), ex.Code), err: err}
	}
	var alert tls.AlertError
	if errors.As(err, &alert) {
		switch alert {
		case 116, 42, 48, 44: // certificate required, bad, unknown CA, revoked
			return &Error{msg: fmt.Sprintf("clickhouse %s: TLS: the server refused the client certificate (%s; set client_cert= and client_key= in the DSN)", o.Hosts(), alert), err: err}
		}
		return &Error{msg: fmt.Sprintf("clickhouse %s: TLS: %s", o.Hosts(), alert), err: err}
	}
	// clickhouse-go flattens some handshake errors to text.
	for _, a := range []string{"tls: certificate required", "tls: bad certificate", "tls: unknown certificate authority"} {
		if strings.Contains(err.Error(), a) {
			return &Error{msg: fmt.Sprintf("clickhouse %s: TLS: the server refused the client certificate (%s; set client_cert= and client_key= in the DSN)", o.Hosts(), a), err: err}
		}
	}
	var rerr tls.RecordHeaderError
	if errors.As(err, &rerr) {
		return &Error{msg: fmt.Sprintf("clickhouse %s: TLS: the server did not answer in TLS (secure=true against a plain port? the TLS native port is usually 9440)", o.Hosts()), err: err}
	}
	var cerr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	switch {
	case errors.As(err, &cerr), errors.As(err, &uerr), errors.As(err, &herr):
		return &Error{msg: fmt.Sprintf("clickhouse %s: TLS: server certificate not trusted (%s; set ca_cert= in the DSN)", o.Hosts(), firstLine(err.Error())), err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{msg: fmt.Sprintf("clickhouse %s: connection refused (is the server running and is this its native-protocol port, usually 9000 or 9440 with TLS?)", o.Hosts()), err: err}
	case (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) && o.CH.TLS != nil && len(o.CH.TLS.Certificates) == 0:
		return &Error{msg: fmt.Sprintf("clickhouse %s: connection closed by the server during the TLS handshake (does it require a client certificate? set client_cert= and client_key= in the DSN)", o.Hosts()), err: err}
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return &Error{msg: fmt.Sprintf("clickhouse %s: connection closed by the server during the handshake (a TLS port without secure=true, or the HTTP port instead of the native one?)", o.Hosts()), err: err}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Error{msg: fmt.Sprintf("clickhouse %s: timed out (dial_timeout %s, read_timeout %s)", o.Hosts(), o.CH.DialTimeout, o.CH.ReadTimeout), err: err}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &Error{msg: fmt.Sprintf("clickhouse %s: cannot resolve host %q", o.Hosts(), dnsErr.Name), err: err}
	}
	return &Error{msg: fmt.Sprintf("clickhouse %s: %s", o.Hosts(), firstLine(err.Error())), err: err}
}

// Error is an error with a one-line message for people; Unwrap gives the
// driver's error.
type Error struct {
	msg string
	err error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.err }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	// Server messages repeat "DB::Exception: " prefixes and stack hints.
	s = strings.TrimPrefix(s, "DB::Exception: ")
	if i := strings.Index(s, ". Stack trace"); i >= 0 {
		s = s[:i]
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Retryable reports whether an insert that failed with err may succeed if
// tried again unchanged: the server or network was unavailable or
// overloaded. Permanent failures (bad schema, bad data, auth) are not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ex *ch.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case codeTimeoutExceeded, codeSocketTimeout, codeNetworkError, codeTooManySimQueries,
			codeNoFreeConnection, codeTableReadOnly, codeMemoryLimit, codeTooManyParts,
			codeUnknownInsertState, codeAllReplicasLost, codeNoZooKeeper, codeKeeperException,
			codeUnexpectedEOF, codeReplicaNotReady, codeDeadlockAvoided:
			return true
		}
		return false
	}
	if errors.Is(err, ch.ErrAcquireConnTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// Version is a server version such as 18.16.1.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// AtLeast reports whether v ≥ major.minor.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// ParseVersion reads the result of SELECT version().
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	var v Version
	nums := []*int{&v.Major, &v.Minor, &v.Patch}
	for i := 0; i < len(parts) && i < len(nums); i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return Version{}, fmt.Errorf("server version %q: not N.N.N", s)
		}
		*nums[i] = n
	}
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("server version %q: not N.N.N", s)
	}
	return v, nil
}

// Features are the schema features a server version supports.
type Features struct {
	// Modern servers (≥ 20.3, the first LTS with all of these) get
	// LowCardinality strings, DateTime64(9) times, column codecs, TTL
	// retention, ADD COLUMN IF NOT EXISTS and bounded groupUniqArray.
	// Older ones (Debian's 18.16) get String, DateTime, no codecs, no TTL.
	Modern bool
}

// FeaturesOf returns what version v supports.
func FeaturesOf(v Version) Features { return Features{Modern: v.AtLeast(20, 3)} }
