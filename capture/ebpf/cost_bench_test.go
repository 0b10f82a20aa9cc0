package ebpf

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// baselineEnv names older BPF objects (bpf/socket_x86_bpfel.o of earlier
// commits, comma-separated) that BenchmarkHookCost measures next to the
// current one, interleaved in the same run: "base" blocks (base1, base2,
// ... for several) beside "on" and "off" ones.
const baselineEnv = "APITAP_EBPF_BENCH_BASELINE"

// hookCapture is a loaded capture whose socket tracepoint links the
// benchmark attaches and detaches between blocks; its connection
// tracepoint and reader stay on throughout.
type hookCapture struct {
	c    *Capture
	stop func()
	on   bool
}

// openHookCapture loads a capture of every socket call on the machine
// (no port filter, dedup off: both ends copied) with its socket hooks
// detached, and starts its reader, pinned to CPU 1 (the measured threads
// run on CPU 0, and the echo thread of rtt on CPU 1).
func openHookCapture(b *testing.B, object string) *hookCapture {
	b.Helper()
	if object != "" {
		loadSpec = func() (*ebpf.CollectionSpec, error) {
			spec, err := ebpf.LoadCollectionSpec(object)
			if err != nil {
				return nil, err
			}
			// Maps of the current object an older one lacks: unused stand-ins.
			cur, err := defaultLoadSpec()
			if err != nil {
				return nil, err
			}
			for name, m := range cur.Maps {
				if _, ok := spec.Maps[name]; !ok {
					spec.Maps[name] = m.Copy()
				}
			}
			return spec, nil
		}
		defer func() { loadSpec = defaultLoadSpec }()
	}
	c, err := Open(benchConfig(0), nil)
	if err != nil {
		b.Fatal(err)
	}
	h := &hookCapture{c: c, on: true}
	h.set(b, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// The reader on a CPU of its own, away from the measured thread.
		pinThread(b, 1)
		done <- c.Run(ctx, nopFeeder{})
	}()
	h.stop = func() {
		st := c.Stats()
		cancel()
		<-done
		_ = c.Close()
		if st.LostEvents > 0 {
			b.Errorf("capture %q lost %d events: the figures do not cover every call", object, st.LostEvents)
		}
	}
	return h
}

// set attaches (on) or detaches the socket send/recv tracepoint programs.
func (h *hookCapture) set(b *testing.B, on bool) {
	b.Helper()
	if h.on == on {
		return
	}
	h.on = on
	c := h.c
	if !on {
		// c.links holds the two socket links first (see Open).
		for _, l := range c.links[:2] {
			_ = l.Close()
		}
		c.links = slices.Clone(c.links[2:])
		return
	}
	var ls []link.Link
	for _, tp := range []struct {
		name string
		prog *ebpf.Program
	}{{"sock_send_length", c.objs.SockSend}, {"sock_recv_length", c.objs.SockRecv}} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: tp.name, Program: tp.prog})
		if err != nil {
			b.Fatal(err)
		}
		ls = append(ls, l)
	}
	c.links = append(ls, c.links...)
}

var defaultLoadSpec = loadSpec

// pinThread locks the calling goroutine to its thread and the thread to cpu.
func pinThread(b *testing.B, cpu int) {
	b.Helper()
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu % runtime.NumCPU())
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		b.Logf("pin to CPU %d: %v", cpu, err)
	}
}

// bpfStatsOn tells whether the kernel's BPF run time statistics are on
// (sysctl kernel.bpf_stats_enabled, or a BPF_ENABLE_STATS holder): they
// add two clock reads to every program run, which the agent never asks for.
func bpfStatsOn() bool {
	v, err := os.ReadFile("/proc/sys/kernel/bpf_stats_enabled")
	return err == nil && strings.TrimSpace(string(v)) == "1"
}

// blockStats collects one figure per block and mode.
type blockStats struct {
	modes []string
	v     map[string][]float64
}

func (s *blockStats) add(mode string, x float64) {
	if s.v == nil {
		s.v = map[string][]float64{}
	}
	s.v[mode] = append(s.v[mode], x)
}

// median of xs (NaN-free, not empty).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// quantile of xs by nearest rank.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[int(q*float64(len(s)-1)+0.5)]
}

// report emits, for a figure measured per block, the median of each mode's
// blocks and the median (and quartiles) of each round's difference from
// the "off" block of the same round.
func (s *blockStats) report(b *testing.B, unit string) {
	off := s.v["off"]
	for _, m := range s.modes {
		b.ReportMetric(median(s.v[m]), m+"-"+unit)
		if m == "off" {
			continue
		}
		var d []float64
		for i, x := range s.v[m] {
			if i < len(off) {
				d = append(d, x-off[i])
			}
		}
		b.ReportMetric(median(d), "added-"+m+"-"+unit)
		b.ReportMetric(quantile(d, 0.25), "added-"+m+"-p25-"+unit)
		b.ReportMetric(quantile(d, 0.75), "added-"+m+"-p75-"+unit)
	}
}

// hookRounds is the number of rounds; each runs one block per mode, in an
// order rotated round to round so that no mode always follows another.
const hookRounds = 40

// BenchmarkHookCost measures what the socket hooks add per hooked syscall,
// tightly: the capture is loaded once, its two socket tracepoint links are
// attached ("on") and detached ("off") between blocks of the same
// ping-pong on the same connection, with blocks interleaved over
// hookRounds rounds (and, with APITAP_EBPF_BENCH_BASELINE, older objects'
// programs as further modes, "base"). Messages are 1 byte; every hooked
// call is copied to the ring buffer (no port filter, dedup off) and a
// reader drains it. One op is one socket syscall; b.N ops are split evenly
// over the blocks. Figures are medians over blocks; "added-X" is the
// median over rounds of X's block minus the same round's "off" block,
// with its quartiles (p25, p75) to show the spread.
//
//   - cpu: one thread, pinned to a CPU, writes and reads both ends
//     (loopback delivers in the writer's context: no sleep, no switch);
//     cpu-ns is the thread's CPU time per syscall, lat-ns the wall time a
//     syscall takes (a quarter of the block's median ping-pong).
//   - pipe: the same as cpu over two pipes (no socket: not hooked).
//   - prog: the same as cpu with the kernel's BPF run time statistics on: the
//     socket programs' own run time per hooked call (prog-ns/run).
//   - rtt: two threads pinned to two CPUs, a client writing and waiting
//     for the echo of a server thread: rtt-ns is the median round trip of
//     a block; a round trip is 4 hooked syscalls in series, so the added
//     latency per syscall is a quarter of added-rtt-ns.
func BenchmarkHookCost(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	if bpfStatsOn() {
		b.Logf("kernel.bpf_stats_enabled is 1: every BPF program run pays two extra clock reads; set it to 0 for this benchmark")
	}
	modes := []string{"off", "on"}
	caps := map[string]*hookCapture{}
	if env := os.Getenv(baselineEnv); env != "" {
		objs := strings.Split(env, ",")
		for i, obj := range objs {
			mode := "base"
			if len(objs) > 1 {
				mode = fmt.Sprintf("base%d", i+1)
			}
			modes = append(modes, mode)
			caps[mode] = openHookCapture(b, obj)
			defer caps[mode].stop()
		}
	}
	caps["on"] = openHookCapture(b, "")
	defer caps["on"].stop()
	use := func(b *testing.B, mode string) {
		for m, h := range caps {
			if m != mode {
				h.set(b, false)
			}
		}
		if h := caps[mode]; h != nil {
			h.set(b, true)
		}
	}
	// pingPong runs n ping-pongs of one thread over a and z.
	pingPong := func(b *testing.B, a, z, n int) {
		msg, buf := []byte{'x'}, make([]byte, 16)
		for range n {
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
	}
	b.Run("cpu", func(b *testing.B) {
		a, z, _ := tcpPair(b)
		pinThread(b, 0)
		defer runtime.UnlockOSThread()
		per := max(b.N/(4*hookRounds*len(modes)), 1)
		cpu, lat := blockStats{modes: modes}, blockStats{modes: modes}
		samples := make([]float64, per)
		b.ResetTimer()
		for r := range hookRounds {
			for k := range modes {
				mode := modes[(r+k)%len(modes)]
				use(b, mode)
				c0 := threadCPU()
				for i := range per {
					t0 := time.Now()
					pingPong(b, a, z, 1)
					samples[i] = float64(time.Since(t0).Nanoseconds())
				}
				cpu.add(mode, float64(threadCPU()-c0)/float64(4*per))
				// The median ping-pong: a preempted one does not move it.
				lat.add(mode, median(samples)/4)
			}
		}
		b.StopTimer()
		use(b, "off")
		cpu.report(b, "cpu-ns/syscall")
		lat.report(b, "lat-ns/syscall")
	})
	// pipe: the same over two pipes (not sockets: the hooks must cost
	// nothing there).
	b.Run("pipe", func(b *testing.B) {
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
		pinThread(b, 0)
		defer runtime.UnlockOSThread()
		per := max(b.N/(4*hookRounds*len(modes)), 1)
		cpu := blockStats{modes: modes}
		msg, buf := []byte{'x'}, make([]byte, 16)
		b.ResetTimer()
		for r := range hookRounds {
			for k := range modes {
				mode := modes[(r+k)%len(modes)]
				use(b, mode)
				c0 := threadCPU()
				for range per {
					for _, p := range [][2]int{p1, p2} {
						if _, err := syscall.Write(p[1], msg); err != nil {
							b.Fatal(err)
						}
						if _, err := syscall.Read(p[0], buf); err != nil {
							b.Fatal(err)
						}
					}
				}
				cpu.add(mode, float64(threadCPU()-c0)/float64(4*per))
			}
		}
		b.StopTimer()
		use(b, "off")
		cpu.report(b, "cpu-ns/syscall")
	})
	// prog: the kernel-measured run time of the socket programs per hooked
	// call (BPF_STATS_RUN_TIME, on for this part only: its own clock reads
	// fall outside the measured span), the same ping-pong as cpu.
	b.Run("prog", func(b *testing.B) {
		stats, err := ebpf.EnableStats(0)
		if err != nil {
			b.Skipf("no BPF run time statistics: %v", err)
		}
		defer func() { _ = stats.Close() }()
		a, z, _ := tcpPair(b)
		pinThread(b, 0)
		defer runtime.UnlockOSThread()
		hooked := modes[1:]
		per := max(b.N/(4*hookRounds*len(hooked)), 1)
		prog := blockStats{modes: hooked}
		runTime := func(c *Capture) (time.Duration, uint64) {
			var run time.Duration
			var n uint64
			for _, p := range []*ebpf.Program{c.objs.SockSend, c.objs.SockRecv} {
				if ps, err := p.Stats(); err == nil {
					run += ps.Runtime
					n += ps.RunCount
				}
			}
			return run, n
		}
		b.ResetTimer()
		for r := range hookRounds {
			for k := range hooked {
				mode := hooked[(r+k)%len(hooked)]
				use(b, mode)
				t0, n0 := runTime(caps[mode].c)
				pingPong(b, a, z, per)
				t1, n1 := runTime(caps[mode].c)
				if n1 > n0 {
					prog.add(mode, float64((t1-t0).Nanoseconds())/float64(n1-n0))
				}
			}
		}
		b.StopTimer()
		use(b, "off")
		for _, m := range hooked {
			b.ReportMetric(median(prog.v[m]), m+"-prog-ns/run")
		}
	})
	b.Run("rtt", func(b *testing.B) {
		a, z, _ := tcpPair(b)
		echoDone := make(chan error, 1)
		go func() {
			pinThread(b, 1)
			defer runtime.UnlockOSThread()
			buf := make([]byte, 16)
			for {
				n, err := syscall.Read(z, buf)
				if err != nil || n <= 0 {
					echoDone <- err
					return
				}
				if _, err := syscall.Write(z, buf[:n]); err != nil {
					echoDone <- err
					return
				}
			}
		}()
		pinThread(b, 0)
		defer runtime.UnlockOSThread()
		msg, buf := []byte{'x'}, make([]byte, 16)
		per := max(b.N/(4*hookRounds*len(modes)), 1)
		samples := make([]float64, per)
		rtt := blockStats{modes: modes}
		b.ResetTimer()
		for r := range hookRounds {
			for k := range modes {
				mode := modes[(r+k)%len(modes)]
				use(b, mode)
				for i := range per {
					t0 := time.Now()
					if _, err := syscall.Write(a, msg); err != nil {
						b.Fatal(err)
					}
					if _, err := syscall.Read(a, buf); err != nil {
						b.Fatal(err)
					}
					samples[i] = float64(time.Since(t0).Nanoseconds())
				}
				rtt.add(mode, median(samples))
			}
		}
		b.StopTimer()
		use(b, "off")
		_ = syscall.Shutdown(a, syscall.SHUT_WR)
		if err := <-echoDone; err != nil {
			b.Fatal(fmt.Errorf("echo thread: %w", err))
		}
		rtt.report(b, "rtt-ns")
	})
}
