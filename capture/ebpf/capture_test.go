package ebpf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf/rlimit"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/bpf"
	"github.com/apitap/apitap/reassembly"
)

func TestEventLayout(t *testing.T) {
	var e bpf.SocketEvent
	for name, got := range map[string]uintptr{
		"Data": unsafe.Offsetof(e.Data), "Len": unsafe.Offsetof(e.Len), "ConnId": unsafe.Offsetof(e.ConnId),
		"Pos": unsafe.Offsetof(e.Pos), "Pos2": unsafe.Offsetof(e.Pos2), "Ts": unsafe.Offsetof(e.Ts),
		"Pid": unsafe.Offsetof(e.Pid), "Cgroup": unsafe.Offsetof(e.Cgroup), "Laddr": unsafe.Offsetof(e.Laddr),
		"Raddr": unsafe.Offsetof(e.Raddr), "Lport": unsafe.Offsetof(e.Lport), "Rport": unsafe.Offsetof(e.Rport),
	} {
		want := map[string]uintptr{"Data": hdrLen, "Len": 4, "ConnId": 8, "Pos": 16, "Pos2": 24, "Ts": 32,
			"Pid": 40, "Cgroup": 48, "Laddr": 56, "Raddr": 72, "Lport": 88, "Rport": 90}[name]
		if got != want {
			t.Errorf("offset of %s = %d, decoder uses %d", name, got, want)
		}
	}
}

// callCollector gathers calls; safe for concurrent use.
type callCollector struct {
	mu    sync.Mutex
	calls []apicall.Call
}

func (c *callCollector) Consume(_ context.Context, calls []apicall.Call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, calls...)
	return nil
}

func (c *callCollector) snapshot() []apicall.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]apicall.Call(nil), c.calls...)
}

// skipIfNoEBPF skips when the process cannot load BPF programs at all.
func skipIfNoEBPF(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("eBPF capture tests need root (CAP_BPF, CAP_PERFMON)")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("kernel without BTF: CO-RE programs cannot load")
	}
	_ = rlimit.RemoveMemlock()
}

// harness runs a Capture feeding a reassembly.Streams into a callCollector.
type harness struct {
	cap   *Capture
	st    *reassembly.Streams
	col   *callCollector
	done  chan error
	close func()
}

func startCapture(t *testing.T, cfg Config) *harness {
	t.Helper()
	skipIfNoEBPF(t)
	c, err := Open(cfg, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	h := &harness{cap: c, col: &callCollector{}, done: make(chan error, 1)}
	rcfg := reassembly.DefaultConfig()
	rcfg.ResponseTimeout = 5 * time.Second
	h.st, err = reassembly.NewStreams(rcfg, h.col, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { h.done <- c.Run(ctx, h.st) }()
	var once sync.Once
	h.close = func() {
		once.Do(func() {
			cancel()
			if err := <-h.done; err != nil {
				t.Errorf("run: %v", err)
			}
			_ = h.st.Close(context.Background())
			if err := c.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
	t.Cleanup(h.close)
	return h
}

// waitCalls waits until pred holds for the collected calls or times out.
func (h *harness) waitCalls(t *testing.T, pred func([]apicall.Call) bool) []apicall.Call {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if calls := h.col.snapshot(); pred(calls) {
			return calls
		}
		time.Sleep(50 * time.Millisecond)
	}
	return h.col.snapshot()
}

// echoServer serves POST /echo/{n} answering the body reversed, and GET
// /items/{n} with a JSON body naming n, on addr.
func echoServer(t *testing.T, network, addr string) string {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /echo/{n}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(strings.ToUpper(string(b))))
	})
	mux.HandleFunc("GET /items/{n}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"item":%q}`, r.PathValue("n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func byPath(calls []apicall.Call) map[string]apicall.Call {
	m := map[string]apicall.Call{}
	for _, c := range calls {
		m[c.Method+" "+c.Path] = c
	}
	return m
}

func TestLoopbackGoClient(t *testing.T) {
	h := startCapture(t, DefaultConfig())
	addr := echoServer(t, "tcp", "127.0.0.1:0")
	const n = 20
	cl := &http.Client{Timeout: 5 * time.Second}
	for i := range n {
		var resp *http.Response
		var err error
		if i%2 == 0 {
			resp, err = cl.Post("http://"+addr+fmt.Sprintf("/echo/%d", i), "text/plain", strings.NewReader(fmt.Sprintf("hello %d", i)))
		} else {
			resp, err = cl.Get("http://" + addr + fmt.Sprintf("/items/%d", i))
		}
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	cl.CloseIdleConnections()
	calls := h.waitCalls(t, func(c []apicall.Call) bool { return len(c) >= n })
	got := byPath(calls)
	for i := range n {
		var c apicall.Call
		var ok bool
		if i%2 == 0 {
			c, ok = got[fmt.Sprintf("POST /echo/%d", i)]
			if ok && (c.Status != 201 || string(c.ReqBody.Data) != fmt.Sprintf("hello %d", i) || string(c.RespBody.Data) != fmt.Sprintf("HELLO %d", i)) {
				t.Errorf("call %d: status %d, bodies %q → %q", i, c.Status, c.ReqBody.Data, c.RespBody.Data)
			}
		} else {
			c, ok = got[fmt.Sprintf("GET /items/%d", i)]
			if ok && (c.Status != 200 || string(c.RespBody.Data) != fmt.Sprintf(`{"item":"%d"}`, i)) {
				t.Errorf("call %d: status %d, body %q", i, c.Status, c.RespBody.Data)
			}
		}
		if !ok {
			t.Errorf("call %d not captured", i)
			continue
		}
		if c.Source.PID != uint32(os.Getpid()) || c.Source.Kind != "ebpf" || c.Source.TLS {
			t.Errorf("call %d: source %+v, want pid %d", i, c.Source, os.Getpid())
		}
		if c.Server.String() != addr {
			t.Errorf("call %d: server %s, want %s", i, c.Server, addr)
		}
	}
	if len(calls) != n {
		t.Errorf("%d calls, want %d (each once)", len(calls), n)
	}
	st := h.cap.Stats()
	t.Logf("stats %+v", st)
	if st.Events == 0 || st.Duplicates == 0 {
		t.Errorf("stats %+v: want events and client-side duplicates skipped", st)
	}
	_ = errors.New
	_ = exec.Command
}
