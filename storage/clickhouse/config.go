package clickhouse

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// DefaultDatabase is used when the DSN names none.
const DefaultDatabase = "apitap"

// DSN parameters that apitap reads itself; every other parameter goes to
// clickhouse-go (secure, skip_verify, compress, dial_timeout, read_timeout,
// max_open_conns, ...) or, when clickhouse-go does not know it, to the
// server as a setting.
const (
	paramCACert     = "ca_cert"     // PEM file of CAs that sign the server certificate (implies secure)
	paramClientCert = "client_cert" // PEM client certificate for mutual TLS (with client_key)
	paramClientKey  = "client_key"  // PEM private key of client_cert
	paramCluster    = "cluster"     // cluster name: ON CLUSTER DDL, Replicated* engines, Distributed tables
)

// Options are what a DSN says: how to connect and which database and
// cluster the schema lives in.
type Options struct {
	// CH are the clickhouse-go options (hosts, auth, TLS, compression,
	// timeouts). CH.Auth.Database is the database of Database.
	CH *ch.Options
	// Database holds the apitap tables.
	Database string
	// Cluster, when set, makes the schema replicated and distributed over
	// this cluster (remote_servers in the server config).
	Cluster string
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseDSN reads clickhouse://user:pass@host1:9000[,host2:9000]/db?param=...
// Errors never contain the password.
func ParseDSN(dsn string) (*Options, error) {
	if dsn == "" {
		return nil, errors.New("empty DSN (want clickhouse://user:pass@host:9000/apitap)")
	}
	// url.Parse rejects a host list: parse with one placeholder host and
	// put the list back when handing the DSN to clickhouse-go.
	hosts, masked := splitHosts(dsn)
	u, err := url.Parse(masked)
	if err != nil {
		return nil, fmt.Errorf("DSN is not a URL (want clickhouse://user:pass@host:9000/apitap): %s", redact(err.Error(), dsn))
	}
	switch u.Scheme {
	case "clickhouse", "tcp":
	case "http", "https":
		return nil, fmt.Errorf("DSN scheme %q: apitap uses the native protocol (clickhouse://host:9000)", u.Scheme)
	default:
		return nil, fmt.Errorf("DSN scheme %q: want clickhouse://user:pass@host:9000/apitap", u.Scheme)
	}
	if hosts == "" {
		return nil, errors.New("DSN has no host (want clickhouse://user:pass@host:9000/apitap)")
	}
	q := u.Query()
	o := &Options{Cluster: q.Get(paramCluster), Database: strings.Trim(u.Path, "/")}
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if !identRE.MatchString(o.Database) {
		return nil, fmt.Errorf("DSN database %q: want letters, digits and underscores", o.Database)
	}
	if o.Cluster != "" && !identRE.MatchString(o.Cluster) {
		return nil, fmt.Errorf("DSN cluster %q: want letters, digits and underscores", o.Cluster)
	}
	caFile, certFile, keyFile := q.Get(paramCACert), q.Get(paramClientCert), q.Get(paramClientKey)
	for _, p := range []string{paramCACert, paramClientCert, paramClientKey, paramCluster} {
		q.Del(p)
	}
	if caFile != "" && q.Get("secure") == "" {
		q.Set("secure", "true")
	}
	u.RawQuery = q.Encode()
	u.Scheme = "clickhouse"
	u.Path = "/" + o.Database
	u.Host = "HOSTS"
	chOpts, err := ch.ParseDSN(strings.Replace(u.String(), "HOSTS/", hosts+"/", 1))
	if err != nil {
		return nil, fmt.Errorf("DSN: %s", redact(err.Error(), dsn))
	}
	for _, a := range chOpts.Addr {
		if a == "" || strings.HasPrefix(a, ":") {
			return nil, fmt.Errorf("DSN host %q: want host:port", a)
		}
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("DSN: client_cert and client_key go together")
	}
	if caFile != "" || certFile != "" {
		if chOpts.TLS == nil {
			return nil, errors.New("DSN: ca_cert/client_cert need secure=true")
		}
		if err := loadTLS(chOpts.TLS, caFile, certFile, keyFile); err != nil {
			return nil, fmt.Errorf("DSN: %w", err)
		}
	}
	if chOpts.DialTimeout == 0 {
		chOpts.DialTimeout = 5 * time.Second
	}
	if chOpts.ReadTimeout == 0 {
		chOpts.ReadTimeout = 2 * time.Minute
	}
	o.CH = chOpts
	return o, nil
}

func loadTLS(cfg *tls.Config, caFile, certFile, keyFile string) error {
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return fmt.Errorf("ca_cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("ca_cert %s: no PEM certificate in it", caFile)
		}
		cfg.RootCAs = pool
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("client_cert/client_key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return nil
}

// splitHosts returns the host list of dsn and dsn with the list replaced
// by one placeholder host.
func splitHosts(dsn string) (hosts, masked string) {
	i := strings.Index(dsn, "://")
	if i < 0 {
		return "", dsn
	}
	rest := dsn[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	at := strings.LastIndex(auth, "@")
	hosts = auth[at+1:]
	return hosts, dsn[:i+3] + auth[:at+1] + "HOSTS" + rest[end:]
}

// redact removes the password of dsn from s.
func redact(s, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return s
	}
	if p, ok := u.User.Password(); ok && p != "" {
		s = strings.ReplaceAll(s, p, "xxxxx")
		s = strings.ReplaceAll(s, url.QueryEscape(p), "xxxxx")
	}
	return s
}

// Hosts is the comma-joined host list, for messages.
func (o *Options) Hosts() string { return strings.Join(o.CH.Addr, ",") }
