package ebpf

import (
	"bufio"
	"fmt"
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
func startSServer(t *testing.T, dir string, port int) int {
	t.Helper()
	key, crt := filepath.Join(dir, "key.pem"), filepath.Join(dir, "crt.pem")
	gen := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
		"-days", "1", "-subj", "/CN=localhost")
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, b)
	}
	srv := exec.Command("openssl", "s_server", "-WWW", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", crt, "-key", key, "-naccept", "1000", "-quiet")
	srv.Dir = dir
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
