package ebpf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/bpf"
	"github.com/apitap/apitap/reassembly"
)

// Event layout (bpf/socket.c struct event); checked against the generated
// type in tests.
const (
	evData  = 1
	evClose = 2

	fFromStart = 0x01
	fClient    = 0x02
	fServer    = 0x04
	fTLS       = 0x08

	hdrLen = 96
)

// Kernel counter slots (bpf/socket.c ST_*).
const (
	stEvents = iota
	stLost
	stLostBytes
	stTruncBytes
	stFiltered
	stDup
	stUnattributed
	stTLSUnlinked
	stTLSCalls
	stEvict
	stMax
)

// Feeder receives the rebuilt byte streams; *reassembly.Streams is one.
// Ids name one byte stream pair (a connection's raw bytes, or its TLS
// plaintext). Calls come from one goroutine, in byte order per direction.
type Feeder interface {
	Open(id uint64, info reassembly.StreamInfo)
	Data(id uint64, dir reassembly.Direction, data []byte, ts int64)
	Gap(id uint64, dir reassembly.Direction, n int64, ts int64)
	End(id uint64, ts int64)
	Tick(now int64)
}

// Stats are cumulative counters of a Capture.
type Stats struct {
	// Kernel side.
	LostEvents     uint64 // events the ring buffer had no room for
	LostBytes      uint64 // data bytes in those events
	TruncatedBytes uint64 // bytes of socket calls past the chunks copied per call, or unreadable
	Filtered       uint64 // socket calls skipped by the cgroup or pid filters
	Duplicates     uint64 // socket calls skipped on the client side of local connections
	Unattributed   uint64 // socket calls whose syscall arguments did not lead to the socket
	TLSUnlinked    uint64 // SSL calls whose socket was unknown
	TLSCalls       uint64 // SSL calls captured
	ConnEvictions  uint64 // connection states evicted from the full kernel table (MaxConnections)
	// User side.
	Events      uint64 // events read from the ring buffer (the kernel counts only lost ones)
	Malformed   uint64 // events too short to decode
	Gaps        uint64 // holes found by position (lost or truncated data)
	GapBytes    uint64 // bytes in those holes
	Overlaps    uint64 // events whose bytes were already fed
	Streams     uint64 // byte streams (connections) opened
	StreamsShed uint64 // streams not followed: over the limit
	// TLSLibraries is the number of libssl files and Go executables attached.
	TLSLibraries uint64
	// RingUsed and RingSize are the ring buffer's unread and total bytes.
	RingUsed, RingSize uint64
}

// Capture is a loaded and attached set of eBPF programs. Run reads their
// events; Close detaches them.
type Capture struct {
	cfg      Config
	log      *slog.Logger
	objs     bpf.SocketObjects
	links    []link.Link
	rd       *ringbuf.Reader
	tls      *tlsAttacher
	clockOff int64 // CLOCK_REALTIME - CLOCK_MONOTONIC, ns

	streams                                                 map[uint64]*stream
	read, malformed, gaps, gapBytes, overlaps, opened, shed atomic.Uint64

	mu     sync.Mutex // guards closed, final and rd against Stats during Close
	closed bool
	final  Stats      // kernel-side counters at Close
	runMu  sync.Mutex // held by Run
}

type stream struct {
	next      [2]uint64
	seen      [2]bool
	fromStart bool
	lastTS    int64
}

// Open loads the programs with cfg's settings and attaches them. It needs
// CAP_BPF and CAP_PERFMON (see the package doc).
func Open(cfg Config, log *slog.Logger) (*Capture, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ebpf config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Capture{cfg: cfg, log: log.With("component", "ebpf"), streams: make(map[uint64]*stream)}
	spec, err := loadSpec()
	if err != nil {
		return nil, fmt.Errorf("load ebpf spec: %w", err)
	}
	set := map[string]any{
		"chunk_size":     uint32(cfg.ChunkSize),
		"self_tgid":      uint32(max(cfg.IgnorePID, 0)),
		"filter_ports":   boolByte(len(cfg.Ports) > 0),
		"filter_cgroups": boolByte(len(cfg.Cgroups) > 0),
		"dedup_local":    boolByte(cfg.DedupLocal),
		"wakeup_bytes":   uint32(cfg.RingBufferSize / 64),
		"tls_enabled":    boolByte(cfg.TLS),
	}
	for name, v := range set {
		vs, ok := spec.Variables[name]
		if !ok {
			return nil, fmt.Errorf("ebpf spec: no variable %s", name)
		}
		if err := vs.Set(v); err != nil {
			return nil, fmt.Errorf("ebpf spec: set %s: %w", name, err)
		}
	}
	spec.Maps["events"].MaxEntries = uint32(cfg.RingBufferSize)
	spec.Maps["conn_slots"].MaxEntries = uint32(cfg.MaxConnections)
	// Twice the slots: a live connection's socket-to-slot entry is not
	// evicted before its slot is.
	spec.Maps["conns"].MaxEntries = uint32(2 * cfg.MaxConnections)
	spec.Maps["servers"].MaxEntries = uint32(cfg.MaxConnections)
	spec.Maps["tls_owners"].MaxEntries = uint32(cfg.MaxConnections)
	if err := spec.LoadAndAssign(&c.objs, nil); err != nil {
		return nil, fmt.Errorf("load ebpf programs (needs CAP_BPF and CAP_PERFMON): %w", err)
	}
	if err := c.fillFilters(); err != nil {
		_ = c.Close()
		return nil, err
	}
	for _, tp := range []struct {
		name string
		prog *ebpf.Program
	}{{"sock_send_length", c.objs.SockSend}, {"sock_recv_length", c.objs.SockRecv}} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: tp.name, Program: tp.prog})
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("attach raw tracepoint sock:%s: %w", tp.name, err)
		}
		c.links = append(c.links, l)
	}
	l, err := link.Tracepoint("sock", "inet_sock_set_state", c.objs.SockState, nil)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("attach tracepoint sock:inet_sock_set_state: %w", err)
	}
	c.links = append(c.links, l)
	if c.rd, err = ringbuf.NewReader(c.objs.Events); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	var rt, mono unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_REALTIME, &rt)
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	c.clockOff = rt.Nano() - mono.Nano()
	if cfg.TLS {
		c.tls = newTLSAttacher(c)
		c.tls.scan()
	}
	return c, nil
}

// loadSpec returns the programs' spec: the committed object; benchmarks
// swap in an older object to compare costs in one run.
var loadSpec = bpf.LoadSocket

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (c *Capture) fillFilters() error {
	one := uint8(1)
	// The port filter is a bitmap: bit p%64 of word p/64.
	words := map[uint32]uint64{}
	for _, p := range c.cfg.Ports {
		words[uint32(p)/64] |= 1 << (p % 64)
	}
	for w, bits := range words {
		if err := c.objs.Ports.Put(w, bits); err != nil {
			return fmt.Errorf("ebpf port filter (ports %v): %w", c.cfg.Ports, err)
		}
	}
	for _, g := range c.cfg.Cgroups {
		if err := c.objs.Cgroups.Put(g, one); err != nil {
			return fmt.Errorf("ebpf cgroup filter %d: %w", g, err)
		}
	}
	return nil
}

// Run reads events and feeds the rebuilt streams to f until ctx is
// cancelled (then it returns nil) or reading fails. It also rescans for
// TLS libraries. One Run at a time.
func (c *Capture) Run(ctx context.Context, f Feeder) error {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errors.New("ebpf: run after close")
	}
	rd := c.rd
	c.mu.Unlock()
	var rec ringbuf.Record
	poll := c.cfg.PollInterval
	nextTick := time.Now().Add(poll)
	var nextScan time.Time
	if c.tls != nil {
		nextScan = time.Now().Add(c.cfg.TLSRescan)
	}
	rd.SetDeadline(nextTick)
	for n := 0; ; n++ {
		err := rd.ReadInto(&rec)
		switch {
		case err == nil:
			c.handle(rec.RawSample, f)
			if n&1023 != 0 {
				continue
			}
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, ringbuf.ErrClosed):
			return nil
		default:
			return fmt.Errorf("read ring buffer: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now()
		if now.Before(nextTick) {
			continue
		}
		f.Tick(now.UnixNano())
		c.sweep(now.UnixNano(), f)
		if c.tls != nil && now.After(nextScan) {
			c.tls.scan()
			nextScan = now.Add(c.cfg.TLSRescan)
		}
		nextTick = now.Add(poll)
		rd.SetDeadline(nextTick)
	}
}

// maxIdle ends streams without events for this long whose close event was
// lost; reassembly ends its own side on its IdleTimeout.
const maxIdle = 10 * time.Minute

// sweep forgets streams idle past maxIdle.
func (c *Capture) sweep(now int64, f Feeder) {
	for id, st := range c.streams {
		if now-st.lastTS > maxIdle.Nanoseconds() {
			f.End(id, st.lastTS)
			delete(c.streams, id)
		}
	}
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

func addrPort(a []byte, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[:16])).Unmap(), port)
}

// handle decodes one event and feeds its stream.
func (c *Capture) handle(raw []byte, f Feeder) {
	c.read.Add(1)
	if len(raw) < hdrLen {
		c.malformed.Add(1)
		return
	}
	kind, dir, flags := raw[0], raw[1]&1, raw[2]
	n := int(le32(raw[4:]))
	id := le64(raw[8:])
	pos, pos2 := le64(raw[16:]), le64(raw[24:])
	ts := int64(le64(raw[32:])) + c.clockOff
	switch kind {
	case evData:
		if n > len(raw)-hdrLen {
			c.malformed.Add(1)
			return
		}
		key := id << 1
		if flags&fTLS != 0 {
			key |= 1
		}
		st := c.streams[key]
		if st == nil {
			if len(c.streams) >= 2*c.cfg.MaxConnections {
				c.shed.Add(1)
				return
			}
			st = &stream{fromStart: flags&fFromStart != 0}
			c.streams[key] = st
			c.opened.Add(1)
			f.Open(key, c.info(raw, flags))
		}
		st.lastTS = ts
		d := reassembly.Direction(dir)
		data := raw[hdrLen : hdrLen+n]
		if !st.seen[dir] {
			st.seen[dir] = true
			if flags&fFromStart == 0 {
				st.next[dir] = pos // joined mid-stream: not a loss
			}
		}
		switch next := st.next[dir]; {
		case pos > next:
			c.gaps.Add(1)
			c.gapBytes.Add(pos - next)
			f.Gap(key, d, int64(pos-next), ts)
		case pos < next:
			skip := next - pos
			if skip >= uint64(len(data)) {
				c.overlaps.Add(1)
				return
			}
			data, pos = data[skip:], next
		}
		f.Data(key, d, data, ts)
		st.next[dir] = pos + uint64(len(data))
	case evClose:
		key := id << 1
		if flags&fTLS != 0 {
			key |= 1
		}
		if st := c.streams[key]; st != nil {
			for d, end := range [2]uint64{pos, pos2} {
				// Bytes past the last event were lost (or, for a direction
				// never seen, all of them when the stream was followed from
				// its start).
				if (st.seen[d] || st.fromStart) && end > st.next[d] {
					c.gaps.Add(1)
					c.gapBytes.Add(end - st.next[d])
					f.Gap(key, reassembly.Direction(d), int64(end-st.next[d]), ts)
				}
			}
			f.End(key, ts)
			delete(c.streams, key)
		}
		if st := c.streams[key^1]; st != nil {
			f.End(key^1, ts)
			delete(c.streams, key^1)
		}
	default:
		c.malformed.Add(1)
	}
}

// info describes the stream of a data event.
func (c *Capture) info(raw []byte, flags uint8) reassembly.StreamInfo {
	in := reassembly.StreamInfo{
		Local:     addrPort(raw[56:72], le16(raw[88:])),
		Remote:    addrPort(raw[72:88], le16(raw[90:])),
		FromStart: flags&fFromStart != 0,
		Source: apicall.Source{
			Kind:     "ebpf",
			Name:     "socket",
			Node:     c.cfg.Node,
			PID:      le32(raw[40:]),
			CgroupID: le64(raw[48:]),
		},
	}
	switch {
	case flags&fClient != 0:
		in.Side = reassembly.SideClient
	case flags&fServer != 0:
		in.Side = reassembly.SideServer
	}
	if flags&fTLS != 0 {
		in.Source.Name = "openssl"
		in.Source.TLS = true
	}
	return in
}

// Stats returns the counters so far. Safe for concurrent use.
func (c *Capture) Stats() Stats {
	s := Stats{
		Events:      c.read.Load(),
		Malformed:   c.malformed.Load(),
		Gaps:        c.gaps.Load(),
		GapBytes:    c.gapBytes.Load(),
		Overlaps:    c.overlaps.Load(),
		Streams:     c.opened.Load(),
		StreamsShed: c.shed.Load(),
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		f := c.final
		f.Events, f.Malformed, f.Gaps, f.GapBytes, f.Overlaps, f.Streams, f.StreamsShed = s.Events, s.Malformed, s.Gaps, s.GapBytes, s.Overlaps, s.Streams, s.StreamsShed
		return f
	}
	c.kernelStats(&s)
	return s
}

// kernelStats adds the kernel-side counters; c.mu is held.
func (c *Capture) kernelStats(s *Stats) {
	if c.tls != nil {
		s.TLSLibraries = uint64(c.tls.attachedCount())
	}
	if c.rd != nil {
		s.RingUsed, s.RingSize = uint64(c.rd.AvailableBytes()), uint64(c.rd.BufferSize())
	}
	var k [stMax]uint64
	var per []uint64
	for i := range k {
		if err := c.objs.Stats.Lookup(uint32(i), &per); err != nil {
			continue
		}
		for _, v := range per {
			k[i] += v
		}
	}
	s.LostEvents, s.LostBytes, s.TruncatedBytes = k[stLost], k[stLostBytes], k[stTruncBytes]
	s.Filtered, s.Duplicates, s.Unattributed = k[stFiltered], k[stDup], k[stUnattributed]
	s.TLSUnlinked, s.TLSCalls = k[stTLSUnlinked], k[stTLSCalls]
	s.ConnEvictions = k[stEvict]
}

// Detach detaches every program, so no new event is produced, then feeds
// the events still in the ring buffer to f. Call it after Run returned,
// before Close, for a shutdown that loses nothing already captured.
func (c *Capture) Detach(f Feeder) error {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	var errs []error
	if c.tls != nil {
		errs = append(errs, c.tls.close())
	}
	for _, l := range c.links {
		errs = append(errs, l.Close())
	}
	c.links = nil
	rd := c.rd
	c.mu.Unlock()
	var rec ringbuf.Record
	rd.SetDeadline(time.Now())
	for {
		err := rd.ReadInto(&rec)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, ringbuf.ErrClosed) {
				errs = append(errs, fmt.Errorf("drain ring buffer: %w", err))
			}
			break
		}
		c.handle(rec.RawSample, f)
	}
	f.Tick(time.Now().UnixNano())
	return errors.Join(errs...)
}

// Close detaches the programs and releases them. Run returns soon after.
// It is idempotent.
func (c *Capture) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.kernelStats(&c.final)
	c.final.RingUsed = 0
	c.closed = true
	var errs []error
	if c.tls != nil {
		errs = append(errs, c.tls.close())
	}
	for _, l := range c.links {
		errs = append(errs, l.Close())
	}
	c.links = nil
	if c.rd != nil {
		errs = append(errs, c.rd.Close())
	}
	errs = append(errs, c.objs.Close())
	return errors.Join(errs...)
}
