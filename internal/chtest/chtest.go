// Package chtest gives tests a real ClickHouse server on loopback.
//
// Shared returns the server every test may use: the one named by
// $APITAP_TEST_CLICKHOUSE (host:port of a native-protocol endpoint, user
// default without password), else the one this package started earlier in
// /tmp/apitap-clickhouse-test on port 19000, else it starts that one. The
// start is idempotent and serialized across test processes by a file lock,
// and the server is left running for the next test run (it listens on
// 127.0.0.1 only). Start runs a private server that a test may stop and
// restart (outage tests). Tests that need a server skip only when
// clickhouse-server is not installed outside CI; on CI (CI=true) that is a
// failure, because scripts/deps.sh installs it.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Password is the password of the "apitap" user that every server started
// here has (the "default" user has none).
const Password = "apitap-test-password"

const (
	sharedDir  = "/tmp/apitap-clickhouse-test"
	sharedPort = 19000
)

// Server is a ClickHouse server for tests.
type Server struct {
	// Addr is host:port of the native protocol.
	Addr string
	// SecureAddr is host:port of the native protocol over TLS (StartTLS),
	// CAFile the PEM file of the CA that signed its certificate, and
	// ClientCert/ClientKey the client certificate it requires (mutual TLS).
	SecureAddr, CAFile, ClientCert, ClientKey string
	securePort                                int
	dir                                       string
	port                                      int
	cmd                                       *exec.Cmd // set while a private server runs
}

// DSN returns a clickhouse:// DSN for the default user and database db.
func (s *Server) DSN(db string) string {
	return "clickhouse://default@" + s.Addr + "/" + db
}

// Shared returns the shared test server, starting it when none runs.
func Shared(t testing.TB) *Server {
	t.Helper()
	if addr := os.Getenv("APITAP_TEST_CLICKHOUSE"); addr != "" {
		return &Server{Addr: addr}
	}
	bin := binary(t)
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(sharedPort), dir: sharedDir, port: sharedPort}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		t.Fatalf("chtest: %v", err)
	}
	lock, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("chtest: lock %s: %v", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing unlocks too
	if s.ping(2*time.Second) == nil {
		return s
	}
	if err := s.writeConfig(); err != nil {
		t.Fatalf("chtest: %v", err)
	}
	cmd := exec.Command(bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	cmd.Dir = s.dir
	out, err := os.OpenFile(filepath.Join(s.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives the test process, reused next time
	if err := cmd.Start(); err != nil {
		t.Fatalf("chtest: start %s: %v", bin, err)
	}
	_ = os.WriteFile(filepath.Join(s.dir, "pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644) // for CPU accounting only
	_ = cmd.Process.Release()
	if err := s.ping(30 * time.Second); err != nil {
		t.Fatalf("chtest: clickhouse-server in %s did not answer on %s: %v (see %s/log)", s.dir, s.Addr, err, s.dir)
	}
	return s
}

// CPUTime returns the user+system CPU time the server process has used,
// or 0 when its process is unknown (a server not started by this package).
func (s *Server) CPUTime() time.Duration {
	pid := 0
	if s.cmd != nil {
		pid = s.cmd.Process.Pid
	} else if b, err := os.ReadFile(filepath.Join(s.dir, "pid")); err == nil && s.dir != "" {
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): utime is the
	// 14th field of the line, stime the 15th, in clock ticks (100 Hz).
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// Start runs a private server in a temporary directory on a free port; it
// is killed when the test ends. Stop and Restart simulate an outage.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, false)
}

// StartTLS is Start plus a TLS native port (SecureAddr) whose certificate,
// for 127.0.0.1, is signed by the CA in the PEM file CAFile, and which
// requires a client certificate signed by the same CA (ClientCert).
func StartTLS(t testing.TB) *Server {
	t.Helper()
	return start(t, true)
}

func start(t testing.TB, withTLS bool) *Server {
	t.Helper()
	bin := binary(t)
	port, err := freePort()
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), dir: t.TempDir(), port: port}
	if withTLS {
		sport, err := freePort()
		if err != nil {
			t.Fatalf("chtest: %v", err)
		}
		s.SecureAddr, s.securePort = "127.0.0.1:"+strconv.Itoa(sport), sport
		if s.CAFile, err = writeCerts(s.dir); err != nil {
			t.Fatalf("chtest: certificates: %v", err)
		}
		s.ClientCert, s.ClientKey = filepath.Join(s.dir, "client.crt"), filepath.Join(s.dir, "client.key")
	}
	if err := s.writeConfig(); err != nil {
		t.Fatalf("chtest: %v", err)
	}
	t.Cleanup(func() { s.Stop(t) })
	s.start(t, bin)
	return s
}

func (s *Server) start(t testing.TB, bin string) {
	t.Helper()
	s.cmd = exec.Command(bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	s.cmd.Dir = s.dir
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("chtest: start %s: %v", bin, err)
	}
	if err := s.ping(30 * time.Second); err != nil {
		t.Fatalf("chtest: private clickhouse-server on %s did not answer: %v", s.Addr, err)
	}
}

// Stop kills a private server and waits for it to exit.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait() // killed: the exit status says so
	s.cmd = nil
}

// Restart starts a stopped private server again on the same port and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.cmd != nil {
		t.Fatal("chtest: Restart of a running server")
	}
	s.start(t, binary(t))
}

// Database creates a fresh, uniquely named database for one test and
// drops it when the test ends.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	db := "apitap_test_" + hex.EncodeToString(b)
	s.Exec(t, "CREATE DATABASE "+db)
	t.Cleanup(func() {
		conn, err := s.open()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db) // best effort: the server may be down (outage tests)
	})
	return db
}

// Exec runs statements as the default user and fails the test on error.
func (s *Server) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	conn, err := s.open()
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	defer func() { _ = conn.Close() }()
	for _, q := range stmts {
		if err := conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("chtest: %s: %v", q, err)
		}
	}
}

// Count runs a query returning one UInt64 (count(), uniqExact) and returns it.
func (s *Server) Count(t testing.TB, query string) uint64 {
	t.Helper()
	conn, err := s.open()
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	defer func() { _ = conn.Close() }()
	var n uint64
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("chtest: %s: %v", query, err)
	}
	return n
}

func (s *Server) open() (clickhouse.Conn, error) {
	return clickhouse.Open(&clickhouse.Options{
		Addr:        []string{s.Addr},
		Auth:        clickhouse.Auth{Username: "default"},
		DialTimeout: 2 * time.Second,
	})
}

func (s *Server) ping(within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := s.pingOnce()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) pingOnce() error {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	_ = c.Close()
	conn, err := s.open()
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return conn.Ping(ctx)
}

func binary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chtest: clickhouse-server is not installed (scripts/deps.sh installs it)")
	}
	t.Skip("chtest: clickhouse-server is not installed (apt-get install clickhouse-server, or make deps); set APITAP_TEST_CLICKHOUSE=host:port to use another server")
	return ""
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// writeConfig writes config.xml and users.xml for a loopback-only server
// whose data lives in s.dir.
func (s *Server) writeConfig() error {
	d := s.dir
	tlsConf := ""
	if s.securePort != 0 {
		tlsConf = `
  <tcp_port_secure>` + strconv.Itoa(s.securePort) + `</tcp_port_secure>
  <openSSL><server><certificateFile>DIR/server.crt</certificateFile><privateKeyFile>DIR/server.key</privateKeyFile>
    <verificationMode>strict</verificationMode><caConfig>DIR/ca.crt</caConfig><loadDefaultCAFile>false</loadDefaultCAFile><cacheSessions>true</cacheSessions>
    <disableProtocols>sslv2,sslv3</disableProtocols><preferServerCiphers>true</preferServerCiphers></server></openSSL>`
	}
	config := strings.NewReplacer("TLS", tlsConf).Replace(configTemplate)
	config = strings.NewReplacer("DIR", d, "TCPPORT", strconv.Itoa(s.port)).Replace(config)
	users := strings.ReplaceAll(`<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
    <apitap><password>PASSWORD</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></apitap>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`, "PASSWORD", Password)
	for _, sub := range []string{"log", "data", "tmp", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(d, "config.xml"), []byte(config), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d, "users.xml"), []byte(users), 0o644); err != nil {
		return err
	}
	return nil
}

const configTemplate = `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>DIR/log/server.log</log><errorlog>DIR/log/error.log</errorlog><size>10M</size><count>2</count></logger>
  <tcp_port>TCPPORT</tcp_port>TLS
  <listen_host>127.0.0.1</listen_host>
  <path>DIR/data/</path>
  <tmp_path>DIR/tmp/</tmp_path>
  <user_files_path>DIR/user_files/</user_files_path>
  <format_schema_path>DIR/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>200</max_concurrent_queries>
</yandex>
`
