package ebpf

import (
	"context"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/reassembly"
)

// tcpPair returns the two blocking file descriptors of a loopback TCP
// connection (raw syscalls: no Go netpoller between the benchmark and the
// kernel).
func tcpPair(b testing.TB) (client, server int, port uint16) {
	b.Helper()
	ln, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = syscall.Close(ln) }()
	if err := syscall.Bind(ln, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Listen(ln, 1); err != nil {
		b.Fatal(err)
	}
	sa, err := syscall.Getsockname(ln)
	if err != nil {
		b.Fatal(err)
	}
	client, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := syscall.Connect(client, sa); err != nil {
		b.Fatal(err)
	}
	server, _, err = syscall.Accept(ln)
	if err != nil {
		b.Fatal(err)
	}
	_ = syscall.SetsockoptInt(client, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	_ = syscall.SetsockoptInt(server, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	b.Cleanup(func() { _ = syscall.Close(client); _ = syscall.Close(server) })
	return client, server, uint16(sa.(*syscall.SockaddrInet4).Port)
}

// nopFeeder drops the rebuilt streams: the benchmark measures the kernel side.
type nopFeeder struct{}

func (nopFeeder) Open(uint64, reassembly.StreamInfo)               {}
func (nopFeeder) Data(uint64, reassembly.Direction, []byte, int64) {}
func (nopFeeder) Gap(uint64, reassembly.Direction, int64, int64)   {}
func (nopFeeder) End(uint64, int64)                                {}
func (nopFeeder) Tick(int64)                                       {}

// benchConfig copies every socket call of the benchmark's connection (port
// filter: other processes' traffic on this shared machine stays out; no
// dedup: both ends are copied).
func benchConfig(port uint16) Config {
	cfg := DefaultConfig()
	cfg.DedupLocal = false
	if port != 0 {
		cfg.Ports = []uint16{port}
	}
	return cfg
}

// attach starts a capture of port's connections and a reader that drains
// it; the returned function stops both and reports lost events. With
// progTime, the kernel's run time statistics are enabled for the run and
// the programs' mean run time is reported: those statistics read the clock
// twice around every program run (a paravirtual clock read on a VM), which
// the agent never pays, so the added-cost figure comes from runs without.
func attach(b *testing.B, port uint16, progTime bool) func() {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	cfg := benchConfig(port)
	c, err := Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	// Kernel-measured run time of the socket programs (BPF_STATS_RUN_TIME).
	var stats io.Closer
	if progTime {
		stats, err = ebpf.EnableStats(0)
		if err != nil {
			b.Logf("no BPF run time statistics: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, nopFeeder{}) }()
	return func() {
		st := c.Stats()
		if stats != nil {
			var run time.Duration
			var n uint64
			for _, p := range []*ebpf.Program{c.objs.SockSend, c.objs.SockRecv} {
				if ps, err := p.Stats(); err == nil {
					run += ps.Runtime
					n += ps.RunCount
				}
			}
			_ = stats.Close()
			if n > 0 {
				b.ReportMetric(float64(run.Nanoseconds())/float64(n), "prog-ns/run")
			}
		}
		cancel()
		<-done
		_ = c.Close()
		b.ReportMetric(float64(st.LostEvents), "lost")
	}
}

// BenchmarkSyscall: one op is a ping-pong of one-byte messages over a
// loopback TCP connection (write, read, write, read: 4 socket syscalls),
// or the same over a pipe (no socket: the tracepoints do not fire), with
// the capture detached ("off") and attached ("on"). "on-progtime" is "on"
// with the kernel's BPF run time statistics enabled, for prog-ns/run: its
// CPU figure includes the statistics' own clock reads.
func BenchmarkSyscall(b *testing.B) {
	for _, kind := range []string{"socket", "pipe"} {
		modes := []string{"off", "on", "on-progtime"}
		if kind == "pipe" {
			modes = modes[:2]
		}
		for _, mode := range modes {
			on, progTime := mode != "off", mode == "on-progtime"
			b.Run(kind+"/"+mode, func(b *testing.B) {
				if kind == "pipe" {
					var p1, p2 [2]int
					if err := syscall.Pipe(p1[:]); err != nil {
						b.Fatal(err)
					}
					if err := syscall.Pipe(p2[:]); err != nil {
						b.Fatal(err)
					}
					defer func() {
						for _, fd := range append(p1[:], p2[:]...) {
							_ = syscall.Close(fd)
						}
					}()
					pingPongPipe(b, p1, p2, on)
					return
				}
				a, z, _ := tcpPair(b)
				if on {
					// Every socket call of the machine is hooked and copied.
					defer attach(b, 0, progTime)()
				}
				msg, buf := []byte{'x'}, make([]byte, 16)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0 := threadCPU()
				b.ResetTimer()
				for range b.N {
					if _, err := syscall.Write(a, msg); err != nil {
						b.Fatal(err)
					}
					if _, err := syscall.Read(z, buf); err != nil {
						b.Fatal(err)
					}
					if _, err := syscall.Write(z, msg); err != nil {
						b.Fatal(err)
					}
					if _, err := syscall.Read(a, buf); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				reportSyscall(b, cpu0)
			})
		}
	}
}

func pingPongPipe(b *testing.B, p1, p2 [2]int, on bool) {
	if on {
		defer attach(b, 0, false)()
	}
	msg, buf := []byte{'x'}, make([]byte, 16)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	b.ResetTimer()
	for range b.N {
		if _, err := syscall.Write(p1[1], msg); err != nil {
			b.Fatal(err)
		}
		if _, err := syscall.Read(p1[0], buf); err != nil {
			b.Fatal(err)
		}
		if _, err := syscall.Write(p2[1], msg); err != nil {
			b.Fatal(err)
		}
		if _, err := syscall.Read(p2[0], buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportSyscall(b, cpu0)
}

// threadCPU is the calling thread's CPU time in ns: unlike wall time it
// does not grow while other processes hold the CPU. CLOCK_THREAD_CPUTIME_ID
// counts to the ns (getrusage's RUSAGE_THREAD moves in scheduler ticks
// while the thread runs without a switch).
func threadCPU() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return ts.Nano()
}

// reportSyscall reports wall and CPU time per syscall (4 per op).
func reportSyscall(b *testing.B, cpu0 int64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(4*b.N), "ns/syscall")
	b.ReportMetric(float64(threadCPU()-cpu0)/float64(4*b.N), "cpu-ns/syscall")
}

// BenchmarkEventRate: one op is an HTTP/1.1 exchange on a loopback
// connection (request written and read, response written and read: four
// data events with dedup off). One reader rebuilds the streams and parses
// and pairs the calls (reassembly.Streams); the benchmark reports the
// events per second it read and the events the kernel lost.
func BenchmarkEventRate(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	a, z, port := tcpPair(b)
	c, err := Open(benchConfig(port), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	var calls countSink
	rcfg := reassembly.DefaultConfig()
	st, err := reassembly.NewStreams(rcfg, &calls, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, st) }()
	req := []byte("GET /api/v1/items/12345 HTTP/1.1\r\nHost: bench.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"id\":12345,\"a\"}")
	buf := make([]byte, 4096)
	before := c.Stats()
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		_, _ = syscall.Write(a, req)
		_, _ = syscall.Read(z, buf)
		_, _ = syscall.Write(z, resp)
		_, _ = syscall.Read(a, buf)
	}
	// Wait for the reader to catch up with this benchmark's events (other
	// processes' socket calls are captured too).
	want := before.Events + uint64(4*b.N)
	for c.Stats().Events+c.Stats().LostEvents < want+before.LostEvents && time.Since(start) < time.Minute {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	after := c.Stats()
	cancel()
	<-done
	_ = st.Close(context.Background())
	b.ReportMetric(float64(after.Events-before.Events)/el.Seconds(), "events/s")
	b.ReportMetric(float64(after.LostEvents-before.LostEvents), "lost")
	b.ReportMetric(float64(calls.n)/el.Seconds(), "calls/s")
}

type countSink struct{ n int }

func (s *countSink) Consume(_ context.Context, calls []apicall.Call) error {
	s.n += len(calls)
	return nil
}

// BenchmarkReader: one op is one event read, rebuilt and parsed by the
// reader (reassembly.Streams pairing HTTP calls). The ring buffer is
// filled with HTTP exchanges while no reader runs (not timed), then
// drained (timed): the rate one reader sustains, independent of how fast
// this machine's generator can make events.
func BenchmarkReader(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	a, z, port := tcpPair(b)
	c, err := Open(benchConfig(port), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	var calls countSink
	st, err := reassembly.NewStreams(reassembly.DefaultConfig(), &calls, nil)
	if err != nil {
		b.Fatal(err)
	}
	req := []byte("GET /api/v1/items/12345 HTTP/1.1\r\nHost: bench.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"id\":12345,\"a\"}")
	buf := make([]byte, 4096)
	// A 16 MiB ring holds about 70k of these events; fill half of it per round.
	const perRound = 32000
	b.ResetTimer()
	var drained time.Duration
	var cpu time.Duration
	for done := 0; done < b.N; {
		n := min(perRound, b.N-done)
		b.StopTimer()
		before := c.read.Load()
		for range (n + 3) / 4 {
			_, _ = syscall.Write(a, req)
			_, _ = syscall.Read(z, buf)
			_, _ = syscall.Write(z, resp)
			_, _ = syscall.Read(a, buf)
		}
		ctx, cancel := context.WithCancel(context.Background())
		runDone := make(chan error, 1)
		b.StartTimer()
		start, cpu0 := time.Now(), cputime.Process()
		go func() { runDone <- c.Run(ctx, st) }()
		for c.read.Load() < before+uint64(n) {
			if time.Since(start) > time.Minute {
				b.Fatalf("reader did not drain the ring buffer within a minute: %+v", c.Stats())
			}
			time.Sleep(50 * time.Microsecond)
		}
		drained += time.Since(start)
		cpu += cputime.Process() - cpu0
		b.StopTimer()
		cancel()
		<-runDone
		done += n
	}
	after := c.Stats()
	_ = st.Close(context.Background())
	b.ReportMetric(float64(b.N)/drained.Seconds(), "events/s")
	// CPU the process spent per event while draining (the reader, mostly):
	// the rate one reader sustains on a core of its own is 1e9 / this.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
	b.ReportMetric(float64(after.LostEvents), "lost")
}
