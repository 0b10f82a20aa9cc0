package reassembly

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	tcpasm "github.com/google/gopacket/reassembly"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/reassembly/http1"
)

// maxCtxRing bounds how many packets' capture infos a worker keeps for the
// assembler. gopacket keeps the context of out-of-order data until it is
// delivered, so contexts are recycled rather than allocated per packet; a
// page held longer than the ring's length in packets reports a later
// timestamp.
const maxCtxRing = 1 << 14

// flushEvery is how often (capture time) a worker expires requests and
// flushes idle connections.
const flushEvery = time.Second

// asmCtx is the assembler context of a packet: its capture time (all of
// its capture info that gopacket and the streams use) and VXLAN network.
type asmCtx struct {
	ts  time.Time
	ns  int64  // ts in Unix ns
	vni uint32 // VXLAN network of the packet, 0 outside VXLAN
}

func (a *asmCtx) GetCaptureInfo() gopacket.CaptureInfo { return gopacket.CaptureInfo{Timestamp: a.ts} }

// worker owns one assembler and the connections hashed to it.
type worker struct {
	cfg *Config
	out *output
	log *slog.Logger
	ctr *counters
	// lc counts the per-segment and per-call events as plain integers;
	// publish adds them to ctr (atomics, read by Stats) every
	// publishEvery segments and whenever the batch is flushed.
	lc       localCounters
	asm      *tcpasm.Assembler
	maxConns int

	// live holds every connection gopacket's pool holds, from New to
	// ReassemblyComplete (conn.idx is its place), so the limit can be
	// checked before the pool grows. byKey indexes them by address only
	// near the limit, where segments of unknown connections are shed; it
	// is nil elsewhere, so that most connections are never hashed.
	live          []*conn
	byKey         map[connKey]*conn
	ring          []asmCtx
	ringPos       int
	now           time.Time // latest capture time seen
	lastFlush     time.Time // last tick
	nowNS         int64     // now and lastFlush in Unix ns
	lastFlushNS   int64
	lastClose     time.Time // last idle-connection sweep
	lastHole      time.Time // latest segment that arrived after a hole
	holes         bool      // segments may be buffered behind a hole
	lastHoleFlush time.Time
	sinceSweep    int // packets since the last flush walked the pool
	// aheadHalves counts the connection directions where gopacket may hold
	// segments that came ahead of a hole (conn.trackAhead). When it is 0 a
	// flush for holes would find nothing to flush, and is not run.
	aheadHalves int
	// waiting holds connections with unanswered requests, roughly in the
	// order their oldest request came, each at most once: ticks expire
	// requests from its front without scanning every connection.
	waiting []*conn
	batch   []apicall.Call
	// parsers and msgs recycle HTTP parsers (with their buffers) across
	// connections and messages across calls; onError and decodeBody are
	// the parsers' callbacks, made once.
	parsers    []*http1.Parser
	msgs       http1.MessagePool
	onError    func(string)
	decodeBody func(*http1.Message, []byte)
	// ctx is handed to the sink; Close replaces it while the worker may
	// still be emitting, hence atomic.
	ctx atomic.Pointer[context.Context]
}

func newWorker(cfg *Config, out *output, log *slog.Logger, workers int) *worker {
	w := &worker{
		cfg:      cfg,
		out:      out,
		log:      log,
		ctr:      newCounters(),
		maxConns: cfg.MaxConnections / workers,
		ring:     make([]asmCtx, ringSize(cfg.MaxBufferedPagesTotal/workers)),
		batch:    make([]apicall.Call, 0, cfg.BatchSize),
	}
	w.onError = w.ctr.parseError
	w.decodeBody = func(m *http1.Message, body []byte) { decodeBody(m, body, cfg.HTTP.MaxBodyBytes) }
	bg := context.Background()
	w.ctx.Store(&bg)
	pool := tcpasm.NewStreamPool(w)
	w.asm = tcpasm.NewAssembler(pool)
	w.asm.MaxBufferedPagesPerConnection = cfg.MaxBufferedPagesPerConn
	w.asm.MaxBufferedPagesTotal = max(cfg.MaxBufferedPagesTotal/workers, cfg.MaxBufferedPagesPerConn)
	return w
}

// ringSize is a power of two, eight times the pages a worker may buffer,
// between 256 and maxCtxRing.
func ringSize(pages int) int {
	n := 256
	for n < maxCtxRing && n < 8*pages {
		n *= 2
	}
	return n
}

// New implements tcpasm.StreamFactory.
func (w *worker) New(netFlow, tcpFlow gopacket.Flow, _ *layers.TCP, ac tcpasm.AssemblerContext) tcpasm.Stream {
	if len(w.live) >= w.maxConns {
		// assemble filters such packets out: this is a safety net.
		w.ctr.drop(DropConnLimit, 1)
		return rejected{}
	}
	c := &conn{w: w}
	if a, ok := ac.(*asmCtx); ok {
		c.vni = a.vni
	}
	c.firstSrc, c.firstDst = flowAddrs(netFlow, tcpFlow, c.vni)
	c.key = keyOf(c.firstSrc, c.firstDst, c.vni)
	c.idx = len(w.live)
	w.live = append(w.live, c)
	if w.byKey != nil {
		w.byKey[c.key] = c
	}
	return c
}

// forget drops a connection gopacket's pool let go of.
func (w *worker) forget(c *conn) {
	if i := c.idx; i >= 0 && i < len(w.live) && w.live[i] == c {
		last := len(w.live) - 1
		w.live[i] = w.live[last]
		w.live[i].idx = i
		w.live[last] = nil
		w.live = w.live[:last]
		c.idx = -1
	}
	if w.byKey != nil && w.byKey[c.key] == c {
		delete(w.byKey, c.key)
	}
}

// known reports whether a connection with these addresses is live. It
// indexes the live connections on first use and keeps the index while
// they are many (near the limit), dropping it once they are few.
func (w *worker) known(k connKey) bool {
	if w.byKey == nil {
		w.byKey = make(map[connKey]*conn, len(w.live))
		for _, c := range w.live {
			w.byKey[c.key] = c
		}
	}
	_, ok := w.byKey[k]
	return ok
}

// connKey names a connection whatever the direction of a packet: the
// lower address:port first. Plain bytes without padding, so that the map
// hashes and compares it as one block of memory.
type connKey struct {
	lo, hi         [16]byte // addresses in 16-byte form
	loPort, hiPort uint16
	vni            uint32
}

func keyOf(a, b netip.AddrPort, vni uint32) connKey {
	k := connKey{lo: a.Addr().As16(), hi: b.Addr().As16(), loPort: a.Port(), hiPort: b.Port(), vni: vni}
	if c := bytes.Compare(k.lo[:], k.hi[:]); c > 0 || c == 0 && k.loPort > k.hiPort {
		k.lo, k.hi = k.hi, k.lo
		k.loPort, k.hiPort = k.hiPort, k.loPort
	}
	return k
}

// assemble feeds one TCP segment to the assembler. A panic inside gopacket
// on odd input costs that packet only.
func (w *worker) assemble(netFlow gopacket.Flow, tcp *layers.TCP, ts time.Time, vni uint32) {
	defer func() {
		if r := recover(); r != nil {
			w.ctr.drop(DropPanic, 1)
			w.log.Debug("recovered from panic in reassembly", "panic", r)
		}
	}()
	w.lc.segments++
	if w.lc.segments >= publishEvery {
		w.publish()
	}
	if len(tcp.Payload) == 0 && !tcp.SYN && !tcp.FIN && !tcp.RST {
		// A bare ACK (a third of the segments of HTTP traffic) carries
		// nothing to reassemble: gopacket would look its connection up,
		// note the time, and open a new, empty connection for the last
		// ACK of a closed one. Idle connections are closed by the time
		// of their last data, SYN, FIN or RST instead.
		w.advance(ts, ts.UnixNano())
		return
	}
	w.sinceSweep++
	if n := len(w.live); n >= w.maxConns || n > w.maxConns*9/10 && len(tcp.Payload) == 0 {
		// At the limit, a segment of an unknown connection would make
		// gopacket's pool grow: shed it before it gets there. Close to the
		// limit, only data opens connections (read from mid-stream), so
		// that a SYN flood cannot take the room real traffic needs.
		src, dst := flowAddrs(netFlow, tcp.TransportFlow(), vni)
		if !w.known(keyOf(src, dst, vni)) {
			if n >= w.maxConns {
				w.ctr.drop(DropConnLimit, 1)
			} else {
				w.ctr.drop(DropConnPressure, 1)
			}
			return
		}
	}
	ac := &w.ring[w.ringPos]
	w.ringPos = (w.ringPos + 1) & (len(w.ring) - 1)
	ns := ts.UnixNano()
	ac.ts, ac.ns, ac.vni = ts, ns, vni
	w.asm.AssembleWithContext(netFlow, tcp, ac)
	w.advance(ts, ns)
}

// advance moves the worker's clock to ts and runs the time-driven work
// when it is due.
func (w *worker) advance(ts time.Time, ns int64) {
	// Compared as Unix ns (ns is ts's): this runs for every segment, and
	// time.Time's methods cost more than the rest of it.
	if ns > w.nowNS || w.now.IsZero() {
		w.now, w.nowNS = ts, ns
		if ns-w.lastFlushNS >= int64(flushEvery) || w.lastFlush.IsZero() {
			w.tick()
			w.lastFlushNS = w.lastFlush.UnixNano()
		}
	}
}

// publishEvery is how many segments a worker counts before it publishes
// its counters.
const publishEvery = 512

// localCounters are the worker's unpublished counts.
type localCounters struct {
	segments, payloadBytes, calls, unpaired, callBytes uint64
}

// publish adds the local counts to the counters Stats reads.
func (w *worker) publish() {
	lc := &w.lc
	if lc.segments != 0 {
		w.ctr.segments.Add(lc.segments)
	}
	if lc.payloadBytes != 0 {
		w.ctr.payloadBytes.Add(lc.payloadBytes)
	}
	if lc.calls != 0 {
		w.ctr.calls.Add(lc.calls)
		w.ctr.callBytes.Add(lc.callBytes)
	}
	if lc.unpaired != 0 {
		w.ctr.unpaired.Add(lc.unpaired)
	}
	*lc = localCounters{}
}

// tick runs the time-driven work: skip holes older than ReorderTimeout,
// close idle connections, expire unanswered requests. Each part runs only
// when it can have work, so a tick over many quiet connections is cheap.
func (w *worker) tick() {
	if w.lastFlush.IsZero() {
		w.lastFlush, w.lastClose = w.now, w.now
		return
	}
	w.lastFlush = w.now
	w.publish()
	pressure := len(w.live) > w.maxConns*9/10
	if !pressure && w.byKey != nil && len(w.live) < w.maxConns*3/4 {
		w.byKey = nil // far from the limit again: no index needed
	}
	idle := w.cfg.IdleTimeout
	if pressure {
		// Close to the limit: close idle connections sooner.
		idle /= 8
	}
	// A flush walks every connection of gopacket's pool, so it runs only
	// when it can have work: skipping holes once they may be older than
	// ReorderTimeout, closing idle connections every quarter IdleTimeout.
	// It also waits for four packets per connection walked, so a long
	// sparse capture read offline costs O(1) per packet, not per second;
	// near the connection limit, it does not wait.
	if !pressure && w.sinceSweep < 4*len(w.live) {
		w.expire(w.now.Add(-w.cfg.ResponseTimeout).UnixNano())
		return
	}
	var opt tcpasm.FlushOptions
	if w.holes && w.now.Sub(w.lastHoleFlush) >= w.cfg.ReorderTimeout {
		w.lastHoleFlush = w.now
		opt.T = w.now.Add(-w.cfg.ReorderTimeout)
		// Segments buffered up to lastHole are all older than T now, so
		// this flush delivers the last of them.
		w.holes = w.lastHole.After(opt.T)
	}
	if w.now.Sub(w.lastClose) >= max(idle/4, flushEvery) {
		w.lastClose = w.now
		opt.T = w.now.Add(-w.cfg.ReorderTimeout)
		opt.TC = w.now.Add(-idle)
	}
	if !opt.T.IsZero() {
		w.sinceSweep = 0
		if !opt.TC.IsZero() || w.aheadHalves > 0 {
			w.asm.FlushWithOptions(opt)
		}
	}
	w.expire(w.now.Add(-w.cfg.ResponseTimeout).UnixNano())
}

// idle advances the worker's clock to now without a packet and flushes the batch.
func (w *worker) idle(now time.Time) {
	if now.After(w.now) {
		w.now, w.nowNS = now, now.UnixNano()
		if w.now.Sub(w.lastFlush) >= flushEvery {
			w.tick()
			w.lastFlushNS = w.lastFlush.UnixNano()
		}
	}
	w.flushBatch()
}

// expire turns requests unanswered since before deadline into calls with
// status 0, walking the waiting queue from its front.
func (w *worker) expire(deadline int64) {
	n := 0
	for n < len(w.waiting) {
		c := w.waiting[n]
		if c.done || len(c.reqs) == 0 {
			c.waiting = false
			n++
			continue
		}
		if c.reqs[0].End >= deadline {
			break
		}
		c.expire(deadline)
		n++
		c.waiting = false
		if !c.done && len(c.reqs) > 0 {
			// Newer requests (or a response in progress) remain: requeue.
			c.waiting = true
			w.waiting = append(w.waiting, c)
		}
	}
	clear(w.waiting[:n])
	w.waiting = w.waiting[n:]
}

// closeAll ends every connection (end of input) and flushes the batch.
func (w *worker) closeAll() {
	w.asm.FlushAll()
	for _, c := range w.live {
		c.finish(c.lastTS)
	}
	w.flushBatch()
}

// maxPooledParsers bounds the parsers a worker keeps for reuse.
const maxPooledParsers = 1024

// getParser returns a parser for a new stream, reused when one is free.
func (w *worker) getParser(kind http1.Kind, h http1.Handler) *http1.Parser {
	var p *http1.Parser
	if n := len(w.parsers); n > 0 {
		p = w.parsers[n-1]
		w.parsers[n-1] = nil
		w.parsers = w.parsers[:n-1]
		p.Reinit(kind, nil, w.onError)
	} else {
		p = http1.NewParser(kind, w.cfg.HTTP, nil, w.onError)
	}
	p.SetHandler(h)
	p.SetMessagePool(&w.msgs)
	p.SetBodyFunc(w.decodeBody)
	return p
}

// putParser keeps p for reuse; nil is ignored.
func (w *worker) putParser(p *http1.Parser) {
	if p != nil && len(w.parsers) < maxPooledParsers {
		w.parsers = append(w.parsers, p)
	}
}

// emit builds a call into the batch, handing the batch on when full.
func (w *worker) emit(c *conn, req, resp *http1.Message, index uint64) {
	if n := len(w.batch); n < cap(w.batch) {
		// The slots past the length are zero (flushBatch clears the calls
		// it hands on): no need to clear the call again.
		w.batch = w.batch[:n+1]
	} else {
		w.batch = append(w.batch, apicall.Call{})
	}
	buildCall(&w.batch[len(w.batch)-1], w.cfg, c, req, resp, index)
	w.lc.calls++
	w.lc.callBytes += uint64(wireSize(req) + wireSize(resp))
	if resp == nil {
		w.lc.unpaired++
	}
	// The call holds the messages' strings and slices, not the messages.
	w.msgs.Put(req)
	w.msgs.Put(resp)
	if len(w.batch) >= w.cfg.BatchSize {
		w.flushBatch()
	}
}

func (w *worker) flushBatch() {
	w.publish()
	if len(w.batch) == 0 {
		return
	}
	if err := w.out.consume(*w.ctx.Load(), w.batch); err != nil {
		w.ctr.drop(DropSinkError, uint64(len(w.batch)))
		w.log.Warn("sink refused calls", "calls", len(w.batch), "err", err)
	}
	clear(w.batch)
	w.batch = w.batch[:0]
}
