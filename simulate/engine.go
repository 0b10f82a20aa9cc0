package simulate

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// callSpec is one API call a planner wants made. Byte slices alias the
// session's buffers and stay valid until the session's queue drains.
type callSpec struct {
	at      int64 // earliest start, µs since Config.Start
	a       *actor
	ip      [4]byte
	ep      int
	path    []byte // path and query
	ctype   string // request body content type, "" for no body
	body    []byte
	noAuth  bool   // omit the actor's credentials
	qhdr    string // extra request header lines, CRLF-terminated
	status  int
	rctype  string // response content type, "" for JSON
	rbody   []byte
	rhdr    string // extra response header lines, CRLF-terminated
	proc    int64  // server processing time, µs
	newConn bool   // open a fresh connection for this call
	attack  int    // index into engine.attacks, or -1
	look    int    // index into engine.looks, or -1
}

// planner decides a session's calls. next fills sp and reports false when
// the session is over; it draws randomness only from s.r.
type planner interface {
	next(g *engine, s *session, sp *callSpec) bool
}

// session is one actor's sequence of calls over one or more successive
// connections, and the queue of its packets not yet written.
type session struct {
	id int
	r  *rand.Rand
	emitter
	qi    int
	plan  planner
	c     *conn
	host  int
	lastT int64
	rtt   int64
	sp    callSpec

	pathBuf, bodyBuf, rbodyBuf, reqBuf, respBuf []byte
}

// labelStat accumulates what was actually written for one labeled episode.
type labelStat struct {
	kind     string
	owasp    string
	actor    string
	target   string
	ep       int
	calls    int
	first    int64
	last     int64
	ips      [][4]byte
	plannedN int
}

func (l *labelStat) record(ip [4]byte, start, end int64) {
	if l.calls == 0 || start < l.first {
		l.first = start
	}
	l.last = max(l.last, end)
	l.calls++
	if !slices.Contains(l.ips, ip) {
		l.ips = append(l.ips, ip)
	}
}

// scheduled is an attack or look-alike session waiting for its start time.
type scheduled struct {
	at   int64
	plan planner
}

// engine runs one simulation and streams its packets.
type engine struct {
	cfg   Config
	w     *world
	pw    *packetWriter
	hb    *httpBuilder
	heap  sessionHeap
	durUS int64

	nextID  int
	calls   int
	conns   int
	epCalls [numEndpoints]int
	ports   map[[4]byte]uint16

	attacks []*labelStat
	looks   []*labelStat
	sched   []scheduled
	schedI  int

	arr         *rand.Rand
	nextArrival int64
	arrRate     float64 // sessions per µs at the diurnal peak
}

// meanCallsPerSession calibrates session arrivals to Config.Rate; it is the
// measured mean of the benign planners' session lengths.
const meanCallsPerSession = 6.7

func newEngine(cfg Config, w io.Writer) (*engine, *bufio.Writer, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		return nil, nil, fmt.Errorf("write pcap header: %w", err)
	}
	g := &engine{
		cfg:   cfg,
		w:     newWorld(cfg),
		pw:    newPacketWriter(pw, cfg.Start),
		hb:    newHTTPBuilder(cfg.Start),
		durUS: cfg.Duration.Microseconds(),
		ports: make(map[[4]byte]uint16),
		arr:   rand.New(rand.NewPCG(uint64(cfg.Seed), 0xa77)),
	}
	// Thinning against the peak of the diurnal curve keeps the mean at Rate.
	mean := 0.0
	for i := range 200 {
		mean += g.diurnal(int64(float64(i) / 200 * float64(g.durUS)))
	}
	mean /= 200
	g.arrRate = cfg.Rate / meanCallsPerSession / mean * 1.4 / 1e6
	g.nextArrival = g.arrivalAfter(0)
	if cfg.Attacks {
		g.schedule()
	}
	return g, bw, nil
}

// diurnal is the relative activity at t: low at night, peaks in the
// afternoon and evening, in [0.3, 1.4].
func (g *engine) diurnal(t int64) float64 {
	clock := g.cfg.Start.Add(time.Duration(t) * time.Microsecond)
	h := float64(clock.Hour()) + float64(clock.Minute())/60
	return 0.85 + 0.55*math.Sin(2*math.Pi*(h-11)/24)
}

func (g *engine) arrivalAfter(t int64) int64 {
	for {
		t += int64(g.arr.ExpFloat64()/g.arrRate) + 1
		if t > g.durUS || g.arr.Float64()*1.4 < g.diurnal(t) {
			return t
		}
	}
}

func (g *engine) maxed() bool { return g.cfg.MaxCalls > 0 && g.calls >= g.cfg.MaxCalls }

// run writes every packet in timestamp order.
func (g *engine) run() error {
	for {
		next := int64(math.MaxInt64)
		benign := false
		if !g.maxed() {
			if g.nextArrival <= g.durUS {
				next, benign = g.nextArrival, true
			}
			if g.schedI < len(g.sched) && g.sched[g.schedI].at < next {
				next, benign = g.sched[g.schedI].at, false
			}
		}
		if len(g.heap) > 0 {
			s := g.heap[0]
			if k := &s.q[s.qi]; k.t <= next {
				if err := g.pw.write(k); err != nil {
					return err
				}
				s.qi++
				switch {
				case s.qi < len(s.q):
					g.heap.fix()
				case g.refill(s):
					g.heap.fix()
				default:
					g.heap.pop()
				}
				continue
			}
		}
		if next == math.MaxInt64 {
			return nil
		}
		if benign {
			g.startSession(g.nextArrival, g.benignPlan(g.nextArrival))
			g.nextArrival = g.arrivalAfter(g.nextArrival)
		} else {
			sc := g.sched[g.schedI]
			g.schedI++
			g.startSession(sc.at, sc.plan)
		}
	}
}

func (g *engine) startSession(at int64, p planner) {
	s := &session{id: g.nextID, plan: p, lastT: at - 500}
	g.nextID++
	s.r = rand.New(rand.NewPCG(uint64(g.cfg.Seed), uint64(s.id)<<8|1))
	s.emitter.r = s.r
	if g.refill(s) {
		g.heap.push(s)
	}
}

// openConn allocates the next ephemeral port of ip, so every connection of
// a client address has its own port.
func (g *engine) openConn(s *session, ip [4]byte, host int) *conn {
	p, ok := g.ports[ip]
	if !ok {
		p = uint16(32768 + s.r.IntN(20000))
	}
	p++
	if p > 60999 {
		p = 32768
	}
	g.ports[ip] = p
	g.conns++
	s.host = host
	return &conn{
		cip: ip, sip: serverIPs[host], cport: p, sport: 80,
		cseq: s.r.Uint32(), sseq: s.r.Uint32(),
		cipid: uint16(s.r.Uint32()), sipid: uint16(s.r.Uint32()),
	}
}

// refill queues the packets of the session's next call (or its teardown)
// and reports false when the session has nothing more to send.
func (g *engine) refill(s *session) bool {
	s.q, s.qi = s.q[:0], 0
	sp := &s.sp
	*sp = callSpec{attack: -1, look: -1, proc: 0}
	if g.maxed() || !s.plan.next(g, s, sp) {
		if s.c == nil {
			return false
		}
		s.lastT = s.teardown(s.c, s.lastT+100_000+int64(s.r.IntN(3_000_000)), s.rtt)
		s.c = nil
		return true
	}
	ep := &catalog[sp.ep]
	if s.rtt == 0 {
		s.rtt = sp.a.rtt
	}
	t := max(sp.at, s.lastT+500)
	if s.c != nil && (sp.newConn || sp.ip != s.c.cip || ep.host != s.host || t-s.lastT > idleClose) {
		ct := max(s.lastT+1000, min(s.lastT+idleClose, t-5000))
		s.teardown(s.c, ct, s.rtt)
		s.c = nil
	}
	if s.c == nil {
		s.c = g.openConn(s, sp.ip, ep.host)
		t = s.handshake(s.c, t, s.rtt)
	}
	g.calls++
	g.epCalls[sp.ep]++
	if sp.proc == 0 {
		sp.proc = int64(1500 + s.r.IntN(25000))
		if s.r.IntN(20) == 0 {
			sp.proc += int64(s.r.IntN(400_000))
		}
	}
	s.reqBuf = g.hb.appendRequest(s.reqBuf[:0], sp, s.r)
	tReq := s.sendClient(s.c, t, s.reqBuf)
	if sp.proc > 40_000 {
		// Delayed ACK: a slow handler lets the server's ACK timer fire first.
		s.add(pkt{t: tReq + 40_000, c: s.c, flags: fACK, seq: s.c.sseq, ack: s.c.cseq})
	}
	tResp := tReq + sp.proc
	s.respBuf = g.hb.appendResponse(s.respBuf[:0], sp, tResp, s.r)
	end := s.sendServer(s.c, tResp, s.rtt, s.respBuf)
	sortQueue(s.q)
	s.lastT = s.q[len(s.q)-1].t
	if sp.attack >= 0 {
		g.attacks[sp.attack].record(sp.ip, t, end)
	}
	if sp.look >= 0 {
		g.looks[sp.look].record(sp.ip, t, end)
	}
	return true
}

// Session buffer helpers: each returns the filled slice and keeps its
// capacity in the session for the next call.

func (s *session) path(ep int, args ...string) []byte {
	s.pathBuf = catalog[ep].appendPath(s.pathBuf[:0], args...)
	return s.pathBuf
}

func (s *session) body() []byte  { return s.bodyBuf[:0] }
func (s *session) rbody() []byte { return s.rbodyBuf[:0] }

// keep stores grown buffers back so their capacity is reused.
func (s *session) keep(sp *callSpec) {
	if cap(sp.path) > cap(s.pathBuf) {
		s.pathBuf = sp.path
	}
	if cap(sp.body) > cap(s.bodyBuf) {
		s.bodyBuf = sp.body
	}
	if cap(sp.rbody) > cap(s.rbodyBuf) {
		s.rbodyBuf = sp.rbody
	}
}
