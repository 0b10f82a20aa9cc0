package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apitap/apitap/internal/pcaptest"
)

// Live capture tests: `apitap agent --iface` in the server namespace of a veth pair.
// Namespace and interface names start with at3 (this area's prefix on the shared machine).

var liveSeq atomic.Int32

// liveNetns creates a namespace pair for one live test.
func liveNetns(t *testing.T) *netnsPair {
	t.Helper()
	requireRoot(t)
	requireTools(t, "ip")
	pid := os.Getpid() % 100000
	seq := int(liveSeq.Add(1))
	n := 100 + (pid*8+seq)%150
	ns, err := createNetns(t, &netnsPair{
		srv:   fmt.Sprintf("at3s%d-%d", pid, seq),
		cli:   fmt.Sprintf("at3c%d-%d", pid, seq),
		srvIf: fmt.Sprintf("at3%d%ds", pid, seq),
		cliIf: fmt.Sprintf("at3%d%dc", pid, seq),
		srvIP: fmt.Sprintf("10.223.%d.1", n),
		cliIP: fmt.Sprintf("10.223.%d.2", n),
	})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// liveAgent is a running `apitap agent --iface`.
type liveAgent struct {
	proc    *process
	sink    string // call lines
	metrics string // host:port inside the server namespace
	ns      *netnsPair
}

var metricsAddrRE = regexp.MustCompile(`"msg":"serving metrics".*"addr":"([^"]+)"`)

// startLiveAgent runs the agent on the server end of ns with the file sink and metrics,
// and waits until it captures.
func startLiveAgent(t *testing.T, ns *netnsPair, extra ...string) *liveAgent {
	t.Helper()
	a := &liveAgent{sink: filepath.Join(t.TempDir(), "calls.jsonl"), ns: ns}
	args := []string{"netns", "exec", ns.srv, apitapBin, "agent", "--iface", ns.srvIf, "--sink", "file:" + a.sink,
		"--pseudonym-key", pseudonymKey, "--metrics-addr", "127.0.0.1:0"}
	args = append(args, extra...)
	cmd := exec.Command("ip", args...)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=")
	p, err := startProcess(t, cmd, `"msg":"capturing"`, true)
	if err != nil {
		t.Fatal(err)
	}
	a.proc = p
	m := metricsAddrRE.FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("agent logged no metrics address: %s", p.out)
	}
	a.metrics = m[1]
	return a
}

// get fetches a path of the agent's admin server.
func (a *liveAgent) get(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "ip", "netns", "exec", a.ns.srv, "curl", "-sS", "--max-time", "5", "http://"+a.metrics+path).Output()
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return string(out)
}

// metric returns the value of one sample of the /metrics text, or -1.
func metric(text, sample string) float64 {
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// liveSummary is the agent's closing summary in live mode.
type liveSummary struct {
	Calls           int64            `json:"calls"`
	Packets         int64            `json:"packets"`
	KernelPackets   int64            `json:"kernel_packets"`
	KernelDrops     int64            `json:"kernel_drops"`
	SinkDelivered   int64            `json:"sink_delivered"`
	SinkShed        int64            `json:"sink_shed"`
	SinkFailed      int64            `json:"sink_failed"`
	PeakRSS         int64            `json:"peak_rss_bytes"`
	Coverage        float64          `json:"coverage"`
	ShutdownSeconds float64          `json:"shutdown_seconds"`
	DropReasons     map[string]int64 `json:"drop_reasons"`
}

// stop sends SIGTERM and returns the parsed calls and summary, checking that the agent
// exited cleanly (a hang guard fails it if it still runs limit+5s later; how long it
// took is logged, not asserted), did not panic, and that its counts agree: every call
// emitted was written, shed or refused, and the file holds what the sink accepted.
func (a *liveAgent) stop(t *testing.T, limit time.Duration) (*agentRun, liveSummary) {
	t.Helper()
	start := time.Now()
	if err := a.proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.proc.exited:
	case <-time.After(limit + 5*time.Second):
		t.Fatalf("agent still running %s after SIGTERM", limit+5*time.Second)
	}
	took := time.Since(start)
	stderr := a.proc.out.String()
	if a.proc.err != nil {
		t.Fatalf("agent exited with %v:\n%s", a.proc.err, stderr)
	}
	t.Logf("agent exited %s after SIGTERM (expected within %s)", took.Round(time.Millisecond), limit)
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("agent panicked:\n%s", stderr)
	}
	var s liveSummary
	found := false
	for line := range strings.Lines(stderr) {
		if strings.Contains(line, `"kind":"summary"`) {
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatal(err)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("no summary on stderr:\n%s", stderr)
	}
	out, err := os.ReadFile(a.sink)
	if err != nil {
		t.Fatal(err)
	}
	run := parseAgentRun(t, out, []byte(stderr))
	if int64(len(run.calls)) != s.SinkDelivered {
		t.Errorf("%d call lines in the sink file, summary says the sink accepted %d", len(run.calls), s.SinkDelivered)
	}
	if s.Calls != s.SinkDelivered+s.SinkShed+s.SinkFailed {
		t.Errorf("calls emitted %d != delivered %d + shed %d + failed %d", s.Calls, s.SinkDelivered, s.SinkShed, s.SinkFailed)
	}
	return run, s
}

// startServer runs the helper HTTP server in the server namespace.
func startServer(t *testing.T, ns *netnsPair) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	listen := ns.srvIP + ":" + strconv.Itoa(serverPort)
	server := exec.CommandContext(t.Context(), "ip", "netns", "exec", ns.srv, self, "-test.run=^TestHelperServer$", "-test.timeout=5m")
	server.Env = append(os.Environ(), helperEnv+"=server", "APITAP_E2E_LISTEN="+listen)
	if _, err := startProcess(t, server, "ready", false); err != nil {
		t.Fatal(err)
	}
	return "http://" + listen
}

// replay sends a pcap out of the client end with tcpreplay.
func replay(t *testing.T, ns *netnsPair, pcap string, rate ...string) {
	t.Helper()
	args := append([]string{"netns", "exec", ns.cli, "tcpreplay", "-q", "-i", ns.cliIf}, rate...)
	args = append(args, pcap)
	if out, err := exec.CommandContext(t.Context(), "ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, out)
	}
}

// TestLiveCapture runs real HTTP clients (Go and curl: keep-alive and not, chunked and
// gzip responses, every actor kind) against a server while the agent captures on the
// server's interface, and checks every call.
func TestLiveCapture(t *testing.T) {
	requireTools(t, "curl")
	ns := liveNetns(t)
	base := startServer(t, ns)
	agent := startLiveAgent(t, ns, "--workers", "2")
	if got := agent.get(t, "/readyz"); got != "ready\n" {
		t.Errorf("/readyz = %q while capturing", got)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := runClients(t.Context(), self, ns, base); err != nil {
		t.Fatal(err)
	}
	// The last calls reach the sink within the agent's idle flush (250ms).
	want := float64(len(plan()))
	var text string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if text = agent.get(t, "/metrics"); metric(text, "apitap_sink_calls_total") >= want {
			break
		}
	}
	if got := metric(text, "apitap_sink_calls_total"); got != want {
		t.Errorf("apitap_sink_calls_total = %v before shutdown, want %v", got, want)
	}
	for _, sample := range []string{`apitap_agent_dropped_total{reason="ring_full",stage="capture"}`, `apitap_agent_dropped_total{reason="queue_full",stage="sink"}`} {
		if got := metric(text, sample); got != 0 {
			t.Errorf("%s = %v, want 0", sample, got)
		}
	}
	if got := metric(text, "apitap_agent_coverage_ratio"); got < 0.95 {
		t.Errorf("coverage %v, want about 1 (every byte of this traffic is HTTP)", got)
	}
	run, s := agent.stop(t, 10*time.Second)
	if s.KernelDrops != 0 {
		t.Errorf("kernel drops %d", s.KernelDrops)
	}
	checkPlanCalls(t, ns, run)
}

// TestLiveReplaySimulated replays the simulated pcap onto the veth and checks that the
// agent finds as many calls live as it does reading the file.
func TestLiveReplaySimulated(t *testing.T) {
	requireTools(t, "tcpreplay")
	s := simulated(t)
	offline := runAgent(t, s.pcap)
	ns := liveNetns(t)
	agent := startLiveAgent(t, ns, "--workers", "2")
	replay(t, ns, s.pcap, "--mbps", "200")
	time.Sleep(500 * time.Millisecond)
	run, sum := agent.stop(t, 10*time.Second)
	if sum.KernelDrops != 0 || sum.SinkShed != 0 {
		t.Errorf("kernel drops %d, sink shed %d: the count comparison needs none", sum.KernelDrops, sum.SinkShed)
	}
	if len(run.calls) != len(offline.calls) {
		t.Errorf("live: %d calls, offline: %d (labels.json: %d); summary %+v", len(run.calls), len(offline.calls), s.labels.Calls, sum)
	}
	t.Logf("live summary: %+v", sum)
}

// TestLiveVXLAN replays traffic mirrored in VXLAN from two networks that reuse the same
// addresses: the agent decapsulates it, keeps the networks apart and records each VNI.
func TestLiveVXLAN(t *testing.T) {
	requireTools(t, "tcpreplay")
	ns := liveNetns(t)
	pcap := filepath.Join(t.TempDir(), "vxlan.pcap")
	const conns = 20
	writePcap(t, pcap, func(c *pcaptest.Capture) {
		var ks []*pcaptest.Conn
		vnis := []uint32{100, 200}
		for i := range conns {
			for range vnis {
				ks = append(ks, c.Conn(fmt.Sprintf("10.1.0.%d:%d", 1+i, 40000+i), "10.2.0.1:80"))
			}
		}
		step := func(f func(k *pcaptest.Conn, vni uint32)) {
			for i, k := range ks {
				c.VNI = vnis[i%2]
				f(k, c.VNI)
			}
		}
		step(func(k *pcaptest.Conn, _ uint32) { k.Handshake() })
		step(func(k *pcaptest.Conn, vni uint32) {
			k.Send(true, []byte(fmt.Sprintf("GET /in-%d HTTP/1.1\r\nHost: api.shop.test\r\n\r\n", vni)), 1460)
		})
		step(func(k *pcaptest.Conn, vni uint32) {
			k.Send(false, []byte(fmt.Sprintf("HTTP/1.1 %d OK\r\nContent-Length: 2\r\n\r\nok", 200+vni/100)), 1460)
		})
		step(func(k *pcaptest.Conn, _ uint32) { k.Fin(true) })
	})
	agent := startLiveAgent(t, ns, "--workers", "2")
	replay(t, ns, pcap, "--mbps", "50")
	time.Sleep(500 * time.Millisecond)
	run, s := agent.stop(t, 10*time.Second)
	got := map[string]int{}
	for _, c := range run.calls {
		got[fmt.Sprintf("%s %d vni %d", c.Path, c.Status, c.Source.VNI)]++
	}
	want := map[string]int{"/in-100 201 vni 100": conns, "/in-200 202 vni 200": conns}
	if len(got) != len(want) || got["/in-100 201 vni 100"] != conns || got["/in-200 202 vni 200"] != conns {
		t.Errorf("calls %v, want %v (summary %+v)", got, want, s)
	}
}

// TestLiveSynFlood replays 100k half-open connections with real exchanges mixed in, while
// curl makes requests of its own, under a small memory budget: RSS stays under it and the
// real calls are reported.
func TestLiveSynFlood(t *testing.T) {
	requireTools(t, "tcpreplay", "curl")
	ns := liveNetns(t)
	flood := filepath.Join(t.TempDir(), "flood.pcap")
	const real = 10
	writePcap(t, flood, func(c *pcaptest.Capture) {
		for i := range 100000 {
			if i%(100000/real) == 0 {
				k := c.Conn(fmt.Sprintf("192.168.9.9:%d", 40000+i/1000), "10.0.0.1:80")
				k.Handshake()
				k.Send(true, []byte("GET /real HTTP/1.1\r\nHost: api.shop.test\r\n\r\n"), 1460)
				k.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 1460)
				k.Fin(true)
			}
			c.Conn(fmt.Sprintf("172.16.%d.%d:%d", i/60000, i%250+1, 1024+i%60000), "10.0.0.1:80").Syn()
		}
	})
	base := startServer(t, ns)
	const limit = 96 << 20
	agent := startLiveAgent(t, ns, "--workers", "1", "--memory-limit", "96MiB")
	done := make(chan error, 1)
	go func() {
		out, err := exec.Command("ip", "netns", "exec", ns.cli, "tcpreplay", "-q", "-i", ns.cliIf, "--mbps", "300", flood).CombinedOutput()
		if err != nil {
			err = fmt.Errorf("tcpreplay: %w: %s", err, out)
		}
		done <- err
	}()
	// Real requests while the flood runs.
	var curlOK int
	for i := range 20 {
		out, err := exec.CommandContext(t.Context(), "ip", "netns", "exec", ns.cli, "curl", "-sS", "--max-time", "5", "-o", "/dev/null",
			"-w", "%{http_code}", fmt.Sprintf("%s/api/health?n=%d", base, i)).Output()
		if err == nil && string(out) == "200" {
			curlOK++
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	run, s := agent.stop(t, 10*time.Second)
	t.Logf("peak RSS %d MiB under a 96 MiB budget; summary %+v", s.PeakRSS>>20, s)
	if s.PeakRSS == 0 || s.PeakRSS > limit {
		t.Errorf("peak RSS %d MiB, budget 96 MiB", s.PeakRSS>>20)
	}
	var replayed, live int
	for _, c := range run.calls {
		switch {
		case c.Path == "/real" && c.Status == 200:
			replayed++
		case c.Path == "/api/health" && c.Status == 200:
			live++
		}
	}
	if replayed != real {
		t.Errorf("%d of the %d replayed real exchanges reported", replayed, real)
	}
	if live != curlOK || curlOK == 0 {
		t.Errorf("%d of %d successful curl requests reported", live, curlOK)
	}
	if s.DropReasons["conn_pressure"] == 0 {
		t.Errorf("no conn_pressure sheds: the flood did not fill the connection table (%v)", s.DropReasons)
	}
}

// TestLiveShutdownUnderLoad sends SIGTERM while tcpreplay loops the simulated pcap onto
// the veth: the agent exits within its shutdown timeout, without panic, with consistent
// counts (checked by stop).
func TestLiveShutdownUnderLoad(t *testing.T) {
	requireTools(t, "tcpreplay", "curl")
	s := simulated(t)
	ns := liveNetns(t)
	agent := startLiveAgent(t, ns, "--workers", "2", "--shutdown-timeout", "3s")
	load := exec.Command("ip", "netns", "exec", ns.cli, "tcpreplay", "-q", "-i", ns.cliIf, "--mbps", "300", "--loop", "0", s.pcap)
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		load.Process.Kill()
		load.Wait()
	})
	// Under load: calls flow before the signal.
	var text string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if text = agent.get(t, "/metrics"); metric(text, "apitap_sink_calls_total") > 500 {
			break
		}
	}
	if metric(text, "apitap_sink_calls_total") <= 500 {
		t.Fatalf("no calls under load:\n%s", grepLines(text, "apitap_"))
	}
	_, sum := agent.stop(t, 3*time.Second)
	t.Logf("summary at SIGTERM under load: %+v", sum)
	if sum.Calls == 0 {
		t.Error("no call")
	}
}

func grepLines(text, prefix string) string {
	var b bytes.Buffer
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			b.WriteString(sc.Text() + "\n")
		}
	}
	return b.String()
}
