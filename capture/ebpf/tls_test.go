package ebpf

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/apicall"
)

// needTools skips when a command the test drives is not installed
// (scripts/deps.sh installs them).
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs it)", tool)
		}
	}
}

// startSServer runs `openssl s_server -WWW` with a self-signed certificate,
// serving dir on 127.0.0.1:port; it returns the server's pid.
func startSServer(t *testing.T, dir string, port int, env ...string) int {
	t.Helper()
	key, crt := filepath.Join(dir, "key.pem"), filepath.Join(dir, "crt.pem")
	gen := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
		"-days", "1", "-subj", "/CN=localhost")
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, b)
	}
	srv := exec.Command("openssl", "s_server", "-WWW", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", crt, "-key", key, "-naccept", "1000", "-quiet")
	srv.Dir = dir
	srv.Env = append(os.Environ(), env...)
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = srv.Stdout
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	go func() { _, _ = bufio.NewReader(out).WriteTo(discard{}) }()
	// Ready when it accepts a connection.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if exec.Command("curl", "-sk", "-o", "/dev/null", fmt.Sprintf("https://127.0.0.1:%d/", port)).Run() == nil {
			return srv.Process.Pid
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("openssl s_server did not start")
	return 0
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestTLSOpenSSL(t *testing.T) {
	needTools(t, "openssl", "curl")
	dir := t.TempDir()
	const n = 10
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("doc%d.json", i)), fmt.Appendf(nil, `{"secret-plaintext":%d}`, i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := 18443
	srvPID := startSServer(t, dir, port)
	cfg := DefaultConfig()
	cfg.TLS = true
	cfg.Ports = []uint16{uint16(port)}
	h := startCapture(t, cfg)
	if h.cap.Stats().TLSLibraries == 0 {
		t.Fatal("no libssl attached although openssl s_server maps it")
	}
	for i := range n {
		out, err := exec.Command("curl", "-sk", "-H", "X-Test: tls", fmt.Sprintf("https://127.0.0.1:%d/doc%d.json", port, i)).Output()
		if err != nil || !strings.Contains(string(out), "secret-plaintext") {
			t.Fatalf("curl %d: %v %q", i, err, out)
		}
	}
	calls := h.waitCalls(t, func(c []apicall.Call) bool { return len(c) >= n })
	got := byPath(calls)
	for i := range n {
		c, ok := got[fmt.Sprintf("GET /doc%d.json", i)]
		if !ok {
			t.Errorf("call %d not captured", i)
			continue
		}
		if c.Status != 200 || string(c.RespBody.Data) != fmt.Sprintf(`{"secret-plaintext":%d}`, i) || c.ReqHeaders.Get("X-Test") != "tls" {
			t.Errorf("call %d: status %d body %q headers %v", i, c.Status, c.RespBody.Data, c.ReqHeaders)
		}
		if !c.Source.TLS || c.Source.Name != "openssl" || c.Source.PID == 0 {
			t.Errorf("call %d: source %+v, want TLS from openssl", i, c.Source)
		}
		if c.Server.Port() != uint16(port) {
			t.Errorf("call %d: server %s", i, c.Server)
		}
	}
	if len(calls) != n {
		t.Errorf("%d calls, want %d (each once)", len(calls), n)
	}
	t.Logf("server pid %d, stats %+v", srvPID, h.cap.Stats())
}

// TestTLSNewLibrary starts the capture first, then a server whose libssl
// is a different file (a copy, as in a container image): a rescan must
// attach it, and the server's own SSL_read/SSL_write are captured.
// (openssl s_server answers here from its standard input: its -WWW mode
// reads through OpenSSL's internal functions, not SSL_read/SSL_write.)
func TestTLSNewLibrary(t *testing.T) {
	needTools(t, "openssl", "curl")
	lib := "/lib/x86_64-linux-gnu/libssl.so.3"
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("no %s to copy", lib)
	}
	dir := t.TempDir()
	libDir := filepath.Join(dir, "lib")
	if err := os.Mkdir(libDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(libDir, "libssl.so.3"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	key, crt := filepath.Join(dir, "key.pem"), filepath.Join(dir, "crt.pem")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
		"-days", "1", "-subj", "/CN=localhost").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	const port = 18445
	cfg := DefaultConfig()
	cfg.TLS = true
	cfg.TLSRescan = 200 * time.Millisecond
	cfg.Ports = []uint16{port}
	cfg.DedupLocal = false // both ends report: the server's calls come through the copy only
	h := startCapture(t, cfg)
	libs := h.cap.Stats().TLSLibraries

	srv := exec.Command("openssl", "s_server", "-quiet", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", crt, "-key", key)
	srv.Env = append(os.Environ(), "LD_LIBRARY_PATH="+libDir)
	stdin, err := srv.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for h.cap.Stats().TLSLibraries <= libs && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := h.cap.Stats().TLSLibraries; got <= libs {
		t.Fatalf("libssl copy not attached: %d libraries before and after", got)
	}
	curl := exec.Command("curl", "-sk", "--max-time", "10", fmt.Sprintf("https://127.0.0.1:%d/new.txt", port))
	var out strings.Builder
	curl.Stdout = &out
	if err := curl.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // curl connects and sends its request
	const resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n\r\nfrom-new-library"
	if _, err := io.WriteString(stdin, resp); err != nil {
		t.Fatal(err)
	}
	if err := curl.Wait(); err != nil || out.String() != "from-new-library" {
		t.Fatalf("curl: %v %q", err, out.String())
	}
	fromServer := func(calls []apicall.Call) *apicall.Call {
		for i, c := range calls {
			if c.Path == "/new.txt" && c.Source.PID == uint32(srv.Process.Pid) {
				return &calls[i]
			}
		}
		return nil
	}
	c := fromServer(h.waitCalls(t, func(c []apicall.Call) bool { return fromServer(c) != nil }))
	if c == nil {
		t.Fatalf("no call from the server (pid %d) through the copied libssl", srv.Process.Pid)
	}
	if c.Status != 200 || string(c.RespBody.Data) != "from-new-library" || !c.Source.TLS || c.Method != "GET" {
		t.Errorf("server call: %s %s %d %q source %+v", c.Method, c.Path, c.Status, c.RespBody.Data, c.Source)
	}
}

// TestGoTLS: a Go HTTPS server (crypto/tls, another process) and a Go
// client (this process, the same executable): both ends' plaintext comes
// from the probes on crypto/tls.(*Conn).Write and the RETs of Read.
func TestGoTLS(t *testing.T) {
	skipIfNoEBPF(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const port = 18447
	srv := exec.Command(self)
	srv.Env = append(os.Environ(), fmt.Sprintf("%s=127.0.0.1:%d", tlsHelperEnv, port))
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	line := make([]byte, 6)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "ready\n" {
		t.Fatalf("TLS server helper: %v %q", err, line)
	}
	cfg := DefaultConfig()
	cfg.TLS = true
	cfg.Ports = []uint16{port}
	cfg.DedupLocal = false // both ends report, to check reads and writes on each
	h := startCapture(t, cfg)
	cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the test server's self-signed certificate
	}}
	const n = 5
	for i := range n {
		resp, err := cl.Post(fmt.Sprintf("https://127.0.0.1:%d/echo/%d", port, i), "text/plain", strings.NewReader(fmt.Sprintf("go tls %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	cl.CloseIdleConnections()
	pids := map[uint32]int{}
	calls := h.waitCalls(t, func(c []apicall.Call) bool { return len(c) >= 2*n })
	for _, c := range calls {
		var i int
		if _, err := fmt.Sscanf(c.Path, "/echo/%d", &i); err != nil {
			t.Errorf("unexpected call %s %s", c.Method, c.Path)
			continue
		}
		want := fmt.Sprintf("go tls %d", i)
		if c.Status != 201 || string(c.ReqBody.Data) != want || string(c.RespBody.Data) != strings.ToUpper(want) || !c.Source.TLS {
			t.Errorf("call %d: status %d bodies %q → %q source %+v", i, c.Status, c.ReqBody.Data, c.RespBody.Data, c.Source)
		}
		pids[c.Source.PID]++
	}
	if pids[uint32(os.Getpid())] != n || pids[uint32(srv.Process.Pid)] != n {
		t.Errorf("calls per pid %v, want %d from the client (%d) and %d from the server (%d)", pids, n, os.Getpid(), n, srv.Process.Pid)
	}
	t.Logf("stats %+v", h.cap.Stats())
}
