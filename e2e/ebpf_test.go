package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ebpfCaps are the capabilities README documents for `agent --ebpf`.
const ebpfCaps = "+bpf,+perfmon,+net_raw,+sys_ptrace,+dac_read_search"

// ebpfCall is the part of a call line the eBPF tests check.
type ebpfCall struct {
	Method   string `json:"method"`
	Path     string `json:"path"`
	Status   int    `json:"status"`
	Response struct {
		Body string `json:"body"`
	} `json:"response"`
	Source struct {
		Kind string `json:"kind"`
		PID  int    `json:"pid"`
		TLS  bool   `json:"tls"`
	} `json:"source"`
}

// unprivilegedAgent copies the binary where user nobody can run it and
// returns the setpriv command line that runs it as nobody with only caps.
func unprivilegedAgent(t *testing.T, caps string) []string {
	t.Helper()
	dir, err := os.MkdirTemp("", "apitap-ebpf-caps-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	bin := filepath.Join(dir, "apitap")
	b, err := os.ReadFile(apitapBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		"--inh-caps=-all," + caps, "--ambient-caps=-all," + caps, "--bounding-set=-all," + caps, "--", bin}
}

// TestEBPFAgentCapabilities runs `apitap agent --ebpf --ebpf-tls` as user
// nobody with only the documented capabilities and checks that it
// captures a plain HTTP call and an HTTPS call of curl (OpenSSL); without
// CAP_BPF it must fail to attach.
func TestEBPFAgentCapabilities(t *testing.T) {
	requireRoot(t)
	requireTools(t, "setpriv", "curl", "openssl")
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("kernel without BTF")
	}
	// A plain HTTP server in this process.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "plain:%s", b)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	plainPort := ln.Addr().(*net.TCPAddr).Port
	// An HTTPS server: openssl s_server with a self-signed certificate.
	dir := t.TempDir()
	key, crt := filepath.Join(dir, "key.pem"), filepath.Join(dir, "crt.pem")
	if b, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=localhost").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v %s", err, b)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.txt"), []byte("tls-plaintext-body"), 0o644); err != nil {
		t.Fatal(err)
	}
	const tlsPort = 18444
	ssrv := exec.Command("openssl", "s_server", "-WWW", "-quiet", "-accept", fmt.Sprintf("127.0.0.1:%d", tlsPort), "-cert", crt, "-key", key)
	ssrv.Dir = dir
	if err := ssrv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ssrv.Process.Kill(); _ = ssrv.Wait() })
	for i := 0; exec.Command("curl", "-sk", "-o", "/dev/null", fmt.Sprintf("https://127.0.0.1:%d/tls.txt", tlsPort)).Run() != nil; i++ {
		if i == 100 {
			t.Fatal("openssl s_server did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}

	t.Run("without CAP_BPF", func(t *testing.T) {
		args := append(unprivilegedAgent(t, "+perfmon,+net_raw,+sys_ptrace,+dac_read_search"), "--log-format", "text", "agent", "--ebpf", "--sink", "null")
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "--ebpf") {
			t.Fatalf("agent without CAP_BPF: err %v, output %s", err, out)
		}
	})

	outDir, err := os.MkdirTemp("", "apitap-ebpf-out-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(outDir) })
	if err := os.Chmod(outDir, 0o777); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(outDir, "calls.jsonl")
	args := append(unprivilegedAgent(t, ebpfCaps), "--log-format", "text", "agent", "--ebpf", "--ebpf-tls",
		"--ebpf-ports", fmt.Sprintf("%d,%d", plainPort, tlsPort), "--sink", "file:"+outFile, "--pseudonym-key", pseudonymKey)
	p, err := startProcess(t, exec.Command(args[0], args[1:]...), "ebpf capture attached", true)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("curl", "-sf", "--data-binary", "hello-caps", fmt.Sprintf("http://127.0.0.1:%d/plain", plainPort)).CombinedOutput(); err != nil || string(out) != "plain:hello-caps" {
		t.Fatalf("curl plain: %v %q", err, out)
	}
	if out, err := exec.Command("curl", "-sk", fmt.Sprintf("https://127.0.0.1:%d/tls.txt", tlsPort)).CombinedOutput(); err != nil || !strings.Contains(string(out), "tls-plaintext-body") {
		t.Fatalf("curl tls: %v %q", err, out)
	}
	time.Sleep(time.Second) // the agent's reader wakes every 200ms
	if err := p.stop(15 * time.Second); err != nil {
		t.Fatalf("agent: %v\n%s", err, p.out.String())
	}
	var plain, tls *ebpfCall
	out, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var c ebpfCall
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("agent output %q: %v", sc.Text(), err)
		}
		switch c.Path {
		case "/plain":
			plain = &c
		case "/tls.txt":
			tls = &c
		}
	}
	if plain == nil || plain.Method != "POST" || plain.Status != 200 || plain.Response.Body != "plain:hello-caps" || plain.Source.PID != os.Getpid() || plain.Source.TLS {
		t.Errorf("plain call %+v (want POST /plain 200 from pid %d); agent stderr:\n%s", plain, os.Getpid(), p.out.String())
	}
	if tls == nil || tls.Method != "GET" || tls.Status != 200 || !strings.Contains(tls.Response.Body, "tls-plaintext-body") || !tls.Source.TLS {
		t.Errorf("TLS call %+v (want GET /tls.txt 200 with its plaintext); agent stderr:\n%s", tls, p.out.String())
	}
}
