package ebpf

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf/rlimit"
	"github.com/prometheus/client_golang/prometheus"

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
	var log *slog.Logger
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	c, err := Open(cfg, log)
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
			if err := c.Detach(h.st); err != nil {
				t.Errorf("detach: %v", err)
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
	srv := &http.Server{Handler: testMux(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// testMux serves POST /echo/{n} answering the body upper-cased with 201,
// and GET /items/{n} with a JSON body naming n.
func testMux() *http.ServeMux {
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
	return mux
}

func byPath(calls []apicall.Call) map[string]apicall.Call {
	m := map[string]apicall.Call{}
	for _, c := range calls {
		m[c.Method+" "+c.Path] = c
	}
	return m
}

// portConfig captures only port's connections: other processes on this
// shared machine make traffic too.
func portConfig(t *testing.T, addr string) Config {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Ports = []uint16{ap.Port()}
	return cfg
}

func TestLoopbackGoClient(t *testing.T) {
	addr := echoServer(t, "tcp", "127.0.0.1:0")
	h := startCapture(t, portConfig(t, addr))
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
	reg := prometheus.NewPedanticRegistry()
	if err := h.cap.Register(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]float64{}
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		vals[mf.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	if vals["apitap_ebpf_events_total"] < float64(st.Events) || vals["apitap_ebpf_ringbuf_size_bytes"] != 16<<20 || len(vals) != len(metrics) {
		t.Errorf("metrics %v", vals)
	}
}

// checkCurlCalls checks the calls of curlRequests against what was sent.
func checkCurlCalls(t *testing.T, calls []apicall.Call, n int, pid uint32) {
	t.Helper()
	got := byPath(calls)
	for i := range n {
		c, ok := got[fmt.Sprintf("POST /echo/%d", i)]
		if !ok {
			t.Errorf("curl call %d not captured", i)
			continue
		}
		want := fmt.Sprintf("curl body %d", i)
		if c.Status != 201 || string(c.ReqBody.Data) != want || string(c.RespBody.Data) != strings.ToUpper(want) || c.Source.PID != pid {
			t.Errorf("curl call %d: status %d bodies %q → %q pid %d (want %d)", i, c.Status, c.ReqBody.Data, c.RespBody.Data, c.Source.PID, pid)
		}
	}
}

// curlRequests posts n bodies with curl, one process each; prefix runs it
// elsewhere (ip netns exec ...).
func curlRequests(t *testing.T, base string, n int, prefix ...string) {
	t.Helper()
	for i := range n {
		args := append(append([]string{}, prefix...), "curl", "-sf", "-X", "POST", "-H", "Content-Type: text/plain",
			"--data-binary", fmt.Sprintf("curl body %d", i), fmt.Sprintf("%s/echo/%d", base, i))
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %d: %v %s", i, err, out)
		}
	}
}

func TestLoopbackCurlAndWrk(t *testing.T) {
	needTools(t, "curl", "wrk")
	addr := echoServer(t, "tcp", "127.0.0.1:0")
	h := startCapture(t, portConfig(t, addr))
	const n = 10
	curlRequests(t, "http://"+addr, n)
	out, err := exec.Command("wrk", "-t1", "-c4", "-d1s", "http://"+addr+"/items/wrk").CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v %s", err, out)
	}
	var sent int
	for line := range strings.Lines(string(out)) {
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "%d requests in", &sent); err == nil {
			break
		}
	}
	if sent == 0 {
		t.Fatalf("wrk output without a request count: %s", out)
	}
	wrkCalls := func(calls []apicall.Call) (ok, other int) {
		for _, c := range calls {
			if c.Path != "/items/wrk" {
				continue
			}
			if c.Status == 200 && string(c.RespBody.Data) == `{"item":"wrk"}` {
				ok++
			} else {
				other++
			}
		}
		return
	}
	calls := h.waitCalls(t, func(c []apicall.Call) bool { ok, _ := wrkCalls(c); return len(c) >= n+sent && ok >= sent })
	checkCurlCalls(t, calls, n, uint32(os.Getpid()))
	ok, other := wrkCalls(calls)
	// wrk counts the responses it read; a request in flight when it stops
	// may still be answered (and captured) or left unanswered.
	if ok < sent || ok+other > sent+4 {
		t.Errorf("wrk sent %d requests; captured %d complete calls and %d others", sent, ok, other)
	}
	st := h.cap.Stats()
	if st.LostEvents != 0 || st.Gaps != 0 {
		t.Errorf("stats %+v: lost events or gaps at %d requests", st, sent)
	}
	t.Logf("wrk %d requests; stats %+v", sent, st)
}

// netnsPair is two namespaces joined by a veth pair: at8a (10.208.8.1)
// and at8b (10.208.8.2).
func setupVeth(t *testing.T) {
	t.Helper()
	needTools(t, "ip")
	run := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %w %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	cleanup := func() {
		_ = exec.Command("ip", "netns", "del", "at8a").Run()
		_ = exec.Command("ip", "netns", "del", "at8b").Run()
	}
	cleanup()
	t.Cleanup(cleanup)
	for _, args := range [][]string{
		{"netns", "add", "at8a"}, {"netns", "add", "at8b"},
		{"link", "add", "at8va", "netns", "at8a", "type", "veth", "peer", "name", "at8vb", "netns", "at8b"},
		{"-n", "at8a", "addr", "add", "10.208.8.1/24", "dev", "at8va"},
		{"-n", "at8b", "addr", "add", "10.208.8.2/24", "dev", "at8vb"},
		{"-n", "at8a", "link", "set", "at8va", "up"}, {"-n", "at8b", "link", "set", "at8vb", "up"},
		{"-n", "at8a", "link", "set", "lo", "up"}, {"-n", "at8b", "link", "set", "lo", "up"},
	} {
		if err := run(args...); err != nil {
			t.Skipf("network namespaces unavailable: %v", err)
		}
	}
}

func TestVethCurl(t *testing.T) {
	needTools(t, "curl")
	skipIfNoEBPF(t)
	setupVeth(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := exec.Command("ip", "netns", "exec", "at8b", self)
	srv.Env = append(os.Environ(), helperEnv+"=10.208.8.2:18208")
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
		t.Fatalf("server helper: %v %q", err, line)
	}
	cfg := DefaultConfig()
	cfg.Ports = []uint16{18208}
	h := startCapture(t, cfg)
	const n = 10
	curlRequests(t, "http://10.208.8.2:18208", n, "ip", "netns", "exec", "at8a")
	calls := h.waitCalls(t, func(c []apicall.Call) bool { return len(c) >= n })
	// ip netns exec execs the helper: the server's pid is the helper's.
	checkCurlCalls(t, calls, n, uint32(srv.Process.Pid))
	for _, c := range calls {
		if c.Client.Addr().String() != "10.208.8.1" || c.Server.String() != "10.208.8.2:18208" {
			t.Errorf("call %s %s: client %s server %s", c.Method, c.Path, c.Client, c.Server)
		}
	}
	if len(calls) != n {
		t.Errorf("%d calls, want %d", len(calls), n)
	}
}

// ownCgroupID is the cgroup v2 id of this process (the inode number of
// its cgroup directory), or 0 when that cannot be read.
func ownCgroupID(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
			fi, err := os.Stat(filepath.Join("/sys/fs/cgroup", rest))
			if err != nil {
				return 0
			}
			return fi.Sys().(*syscall.Stat_t).Ino
		}
	}
	return 0
}

func TestKernelFilters(t *testing.T) {
	skipIfNoEBPF(t)
	own := ownCgroupID(t)
	if own == 0 {
		t.Skip("no cgroup v2 id for this process")
	}
	tests := []struct {
		name    string
		set     func(*Config)
		capture bool
	}{
		{"own cgroup", func(c *Config) { c.Cgroups = []uint64{own} }, true},
		{"other cgroup", func(c *Config) { c.Cgroups = []uint64{own + 1000003} }, false},
		{"own pid ignored", func(c *Config) { c.IgnorePID = os.Getpid() }, false},
		{"other port", func(c *Config) { c.Ports = []uint16{1} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := echoServer(t, "tcp", "127.0.0.1:0")
			cfg := portConfig(t, addr)
			tt.set(&cfg)
			h := startCapture(t, cfg)
			resp, err := http.Get("http://" + addr + "/items/filtered")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			http.DefaultClient.CloseIdleConnections()
			if tt.capture {
				calls := h.waitCalls(t, func(c []apicall.Call) bool { return len(c) > 0 })
				if len(calls) != 1 || calls[0].Source.CgroupID != own {
					t.Errorf("calls %+v, want one from cgroup %d", calls, own)
				}
				return
			}
			time.Sleep(500 * time.Millisecond) // two reader polls
			h.close()
			if calls := h.col.snapshot(); len(calls) != 0 {
				t.Errorf("%d calls captured through the filter", len(calls))
			}
		})
	}
}

// TestDetachDrains: events still in the ring buffer when the capture stops
// are read by Detach (no Run at all here: every call comes from the drain).
func TestDetachDrains(t *testing.T) {
	skipIfNoEBPF(t)
	addr := echoServer(t, "tcp", "127.0.0.1:0")
	c, err := Open(portConfig(t, addr), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	col := &callCollector{}
	st, err := reassembly.NewStreams(reassembly.DefaultConfig(), col, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl := &http.Client{Timeout: 5 * time.Second}
	for i := range 3 {
		resp, err := cl.Get(fmt.Sprintf("http://%s/items/%d", addr, i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	cl.CloseIdleConnections()
	if err := c.Detach(st); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if calls := col.snapshot(); len(calls) != 3 {
		t.Errorf("%d calls after detach, want 3", len(calls))
	}
}

// TestConnSlotsReused: rounds of keep-alive connections, 8 open at a time
// and used in turn, through a connection table that they cycle through
// several times (closed ones free their slots, the slot hand wraps around):
// each call is captured once, with its own bodies.
func TestConnSlotsReused(t *testing.T) {
	addr := echoServer(t, "tcp", "127.0.0.1:0")
	cfg := portConfig(t, addr)
	cfg.MaxConnections = 64
	h := startCapture(t, cfg)
	const rounds, conns, per = 8, 8, 4 // 64 connections, 128 ends: both are local
	n := 0
	for range rounds {
		var cls []*http.Client
		for range conns {
			cls = append(cls, &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}})
		}
		for range per {
			for _, cl := range cls {
				resp, err := cl.Post("http://"+addr+fmt.Sprintf("/echo/%d", n), "text/plain", strings.NewReader(fmt.Sprintf("slot %d", n)))
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				n++
			}
		}
		for _, cl := range cls {
			cl.CloseIdleConnections()
		}
	}
	calls := h.waitCalls(t, func(c []apicall.Call) bool { return len(c) >= n })
	got := byPath(calls)
	for i := range n {
		c, ok := got[fmt.Sprintf("POST /echo/%d", i)]
		if !ok {
			t.Errorf("call %d not captured", i)
			continue
		}
		if c.Status != 201 || string(c.ReqBody.Data) != fmt.Sprintf("slot %d", i) || string(c.RespBody.Data) != fmt.Sprintf("SLOT %d", i) {
			t.Errorf("call %d: status %d, bodies %q → %q", i, c.Status, c.ReqBody.Data, c.RespBody.Data)
		}
	}
	if len(calls) != n {
		t.Errorf("%d calls, want %d (each once)", len(calls), n)
	}
	t.Logf("stats %+v", h.cap.Stats())
}

// TestConnTableFull: more live connections than the kernel table holds
// evict connection states, and the evictions are counted.
func TestConnTableFull(t *testing.T) {
	addr := echoServer(t, "tcp", "127.0.0.1:0")
	cfg := portConfig(t, addr)
	cfg.MaxConnections = 4
	h := startCapture(t, cfg)
	var cls []*http.Client
	for range 8 { // 16 live ends, both local
		cls = append(cls, &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}})
	}
	for i := range 3 * len(cls) {
		resp, err := cls[i%len(cls)].Get("http://" + addr + fmt.Sprintf("/items/%d", i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	for _, cl := range cls {
		cl.CloseIdleConnections()
	}
	st := h.cap.Stats()
	t.Logf("stats %+v", st)
	if st.ConnEvictions == 0 {
		t.Errorf("no connection state evictions counted with 16 live connection ends in a 4-slot table")
	}
}
