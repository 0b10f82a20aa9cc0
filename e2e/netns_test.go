package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serverPort is where the helper server listens in the server namespace.
const serverPort = 8080

// netnsPair is two network namespaces joined by a veth pair. Only the
// addresses inside them are used; nothing is routed anywhere else.
type netnsPair struct {
	srv, cli     string // namespace names
	srvIf, cliIf string // veth ends
	srvIP, cliIP string
}

// setupNetns creates the namespaces and the veth pair, and deletes them
// (with the veth pair) in t.Cleanup, whatever happens to the test.
func setupNetns(t *testing.T) (*netnsPair, error) {
	pid := os.Getpid()
	n := 20 + pid%200
	return createNetns(t, &netnsPair{
		srv:   fmt.Sprintf("apitap-%d-srv", pid),
		cli:   fmt.Sprintf("apitap-%d-cli", pid),
		srvIf: fmt.Sprintf("at%ds", pid),
		cliIf: fmt.Sprintf("at%dc", pid),
		srvIP: fmt.Sprintf("10.213.%d.1", n),
		cliIP: fmt.Sprintf("10.213.%d.2", n),
	})
}

// createNetns creates the namespaces and veth pair p names.
func createNetns(t *testing.T, p *netnsPair) (*netnsPair, error) {
	t.Cleanup(func() {
		for _, ns := range []string{p.srv, p.cli} {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Logf("ip netns del %s: %v: %s", ns, err, out)
			}
		}
	})
	steps := [][]string{
		{"netns", "add", p.srv},
		{"netns", "add", p.cli},
		{"link", "add", p.srvIf, "netns", p.srv, "type", "veth", "peer", "name", p.cliIf, "netns", p.cli},
		{"-n", p.srv, "addr", "add", p.srvIP + "/24", "dev", p.srvIf},
		{"-n", p.cli, "addr", "add", p.cliIP + "/24", "dev", p.cliIf},
		{"-n", p.srv, "link", "set", "lo", "up"},
		{"-n", p.cli, "link", "set", "lo", "up"},
		{"-n", p.srv, "link", "set", p.srvIf, "up"},
		{"-n", p.cli, "link", "set", p.cliIf, "up"},
	}
	for _, args := range steps {
		if out, err := exec.CommandContext(t.Context(), "ip", args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return p, nil
}

// watcher is an io.Writer that keeps what a process writes and signals
// when a marker appears.
type watcher struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   chan struct{}
	once   sync.Once
}

func newWatcher(marker string) *watcher {
	return &watcher{marker: marker, seen: make(chan struct{})}
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), []byte(w.marker)) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// wait returns when the marker was written, the process exited, or after
// the timeout.
func (w *watcher) wait(exited <-chan struct{}, timeout time.Duration) error {
	select {
	case <-w.seen:
		return nil
	case <-exited:
		return fmt.Errorf("exited before writing %q: %s", w.marker, w.String())
	case <-time.After(timeout):
		return fmt.Errorf("no %q after %s: %s", w.marker, timeout, w.String())
	}
}

// process is a started background command.
type process struct {
	cmd    *exec.Cmd
	out    *watcher
	exited chan struct{}
	err    error // set when exited is closed
}

// startProcess starts cmd with its stdout (or stderr, when onStderr) watched
// for marker and waits for the marker. t.Cleanup kills the process if it is
// still running.
func startProcess(t *testing.T, cmd *exec.Cmd, marker string, onStderr bool) (*process, error) {
	p := &process{cmd: cmd, out: newWatcher(marker), exited: make(chan struct{})}
	var other bytes.Buffer
	if onStderr {
		cmd.Stderr, cmd.Stdout = p.out, &other
	} else {
		cmd.Stdout, cmd.Stderr = p.out, p.out
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	if err := p.out.wait(p.exited, 15*time.Second); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return p, nil
}

// stop sends SIGINT and waits for a clean exit.
func (p *process) stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("interrupt %s: %w", p.cmd, err)
	}
	select {
	case <-p.exited:
		return p.err
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not exit %s after SIGINT", p.cmd, timeout)
	}
}

// tcpdumpStats matches what tcpdump says when it stops: captured, received
// by filter, dropped by kernel.
var tcpdumpStats = regexp.MustCompile(`(?m)^(\d+) packets? captured\n(\d+) packets? received by filter\n(\d+) packets? dropped by kernel`)

// vethRecording is a capture of the plan's traffic between two namespaces.
type vethRecording struct {
	pcap string
	ns   *netnsPair
}

var veth struct {
	once sync.Once
	rec  *vethRecording
	err  error
}

// vethCapture records the plan's traffic once per test binary run and
// returns it to every test that needs it. The recording needs root, ip,
// tcpdump and curl; without them the test skips.
func vethCapture(t *testing.T) *vethRecording {
	t.Helper()
	requireRoot(t)
	requireTools(t, "ip", "tcpdump", "curl")
	veth.once.Do(func() {
		veth.rec, veth.err = recordVeth(t)
		if veth.err == nil && veth.rec == nil {
			veth.err = errors.New("recording stopped early")
		}
	})
	if veth.err != nil {
		t.Fatalf("record traffic over veth: %v", veth.err)
	}
	return veth.rec
}

// recordVeth sets up the namespaces, starts the server and tcpdump in the
// server namespace, runs the Go and curl clients in the client namespace,
// and stops tcpdump. Namespaces and processes go away in t.Cleanup.
func recordVeth(t *testing.T) (*vethRecording, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find test binary: %w", err)
	}
	ns, err := setupNetns(t)
	if err != nil {
		return nil, err
	}
	ctx := t.Context()
	listen := ns.srvIP + ":" + strconv.Itoa(serverPort)

	server := exec.CommandContext(ctx, "ip", "netns", "exec", ns.srv, self, "-test.run=^TestHelperServer$", "-test.timeout=5m")
	server.Env = append(os.Environ(), helperEnv+"=server", "APITAP_E2E_LISTEN="+listen)
	srvProc, err := startProcess(t, server, "ready", false)
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}

	pcap := filepath.Join(workDir, "veth.pcap")
	// -Z root: tcpdump would otherwise drop to its own user and fail to
	// write into the test's private directory. --immediate-mode: with
	// TPACKET_V3, packets still in the ring's current block when SIGINT
	// arrives are otherwise never written. -B 65536: a 64 MiB kernel
	// buffer, so a tcpdump starved of CPU by a loaded machine (the whole
	// suite runs in parallel) catches up instead of dropping packets.
	dump := exec.CommandContext(ctx, "ip", "netns", "exec", ns.srv,
		"tcpdump", "-i", ns.srvIf, "-w", pcap, "-U", "--immediate-mode", "-B", "65536", "-s", "0", "-Z", "root", "tcp port "+strconv.Itoa(serverPort))
	dumpProc, err := startProcess(t, dump, "listening on", true)
	if err != nil {
		return nil, fmt.Errorf("start tcpdump: %w", err)
	}

	if err := runClients(ctx, self, ns, "http://"+listen); err != nil {
		return nil, err
	}

	// Let the last FIN/ACKs reach tcpdump before stopping it.
	time.Sleep(300 * time.Millisecond)
	if err := dumpProc.stop(10 * time.Second); err != nil {
		return nil, fmt.Errorf("stop tcpdump: %w: %s", err, dumpProc.out)
	}
	if m := tcpdumpStats.FindStringSubmatch(dumpProc.out.String()); m == nil || m[1] != m[2] || m[1] == "0" || m[3] != "0" {
		return nil, fmt.Errorf("tcpdump did not write every packet it received: %s", dumpProc.out)
	}
	if err := srvProc.stop(10 * time.Second); err != nil {
		return nil, fmt.Errorf("stop server: %w: %s", err, srvProc.out)
	}
	return &vethRecording{pcap: pcap, ns: ns}, nil
}

// runClients makes every request of the plan from the client namespace:
// the Go client (the re-executed test binary) first, then curl.
func runClients(ctx context.Context, self string, ns *netnsPair, base string) error {
	gocli := exec.CommandContext(ctx, "ip", "netns", "exec", ns.cli, self, "-test.run=^TestHelperClient$", "-test.timeout=2m")
	gocli.Env = append(os.Environ(), helperEnv+"=client", "APITAP_E2E_URL="+base)
	if out, err := gocli.CombinedOutput(); err != nil {
		return fmt.Errorf("go client: %w\n%s", err, out)
	}
	for _, r := range plan() {
		if r.client != curl {
			continue
		}
		args := []string{"netns", "exec", ns.cli, "curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}"}
		switch {
		case r.method == "GET", r.method == "HEAD": // HEAD comes from -I in r.curl
		case r.method == "POST" && r.body != "": // implied by --data-binary
		default:
			args = append(args, "-X", r.method)
		}
		for _, h := range r.headers {
			args = append(args, "-H", h[0]+": "+h[1])
		}
		if r.body != "" {
			args = append(args, "--data-binary", r.body)
		}
		args = append(args, r.curl...)
		args = append(args, base+r.target())
		cmd := exec.CommandContext(ctx, "ip", args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("curl %s: %w: %s", r.key(), err, stderr.Bytes())
		}
		if got := strings.TrimSpace(stdout.String()); got != strconv.Itoa(r.status) {
			return fmt.Errorf("curl %s: status %s, want %d: %s", r.key(), got, r.status, stderr.Bytes())
		}
	}
	return nil
}
