package reassembly

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	tcpasm "github.com/google/gopacket/reassembly"

	"github.com/apitap/apitap/apicall"
)

// Direction is a byte stream's direction as seen from the local socket.
type Direction uint8

const (
	// Egress bytes were written by the local socket.
	Egress Direction = iota
	// Ingress bytes were read by the local socket.
	Ingress
)

// Side tells which end of a connection the local socket is.
type Side uint8

const (
	SideUnknown Side = iota // learned from the first bytes
	SideClient              // the local socket connected: it sends requests
	SideServer              // the local socket was accepted: it sends responses
)

// StreamInfo describes a connection seen from one of its sockets.
type StreamInfo struct {
	Local, Remote netip.AddrPort
	Side          Side
	// FromStart: the first bytes given for each direction are the first
	// bytes of that direction, so parsing starts at a message boundary.
	// Otherwise each direction resynchronizes on its first message start.
	FromStart bool
	// Source is copied into this connection's calls.
	Source apicall.Source
}

// Streams turns already ordered byte streams, such as the socket data of
// eBPF capture, into API calls with the same HTTP parsing and pairing as
// the packet path (Engine). Each connection is named by a caller-chosen id.
//
// Call order per id: Open, then Data and Gap in byte order per direction,
// then End (or Discard). Methods other than Stats are not safe for
// concurrent use: one goroutine feeds a Streams. Data is not kept after
// Data returns. Calls are handed to the sink in batches, at the latest on
// the next Tick or Close. After Close only Stats may be called.
type Streams struct {
	cfg   Config
	w     *worker
	conns map[uint64]*conn
	now   int64
	sweep int64 // last idle sweep, ns
	mu    sync.Mutex
	done  bool
}

// NewStreams builds a Streams that hands calls to sink. cfg.Workers,
// cfg.Decoder and the page limits do not apply; MaxConnections bounds the
// open ids (more are shed and counted as conn_limit).
func NewStreams(cfg Config, sink apicall.Sink, log *slog.Logger) (*Streams, error) {
	cfg.Workers = 1
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("reassembly config: %w", err)
	}
	if sink == nil {
		return nil, errors.New("reassembly: nil sink")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Streams{cfg: cfg, conns: make(map[uint64]*conn)}
	s.w = newWorker(&s.cfg, &output{sink: sink}, log.With("component", "reassembly"), 1)
	return s, nil
}

// Open starts connection id. Opening an id that is open ends the old one first.
func (s *Streams) Open(id uint64, info StreamInfo) {
	if old := s.conns[id]; old != nil {
		s.End(id, old.lastTS)
	}
	if len(s.conns) >= s.cfg.MaxConnections {
		s.w.ctr.drop(DropConnLimit, 1)
		return
	}
	src := info.Source
	c := &conn{w: s.w, src: &src, counted: true}
	c.firstSrc, c.firstDst = info.Local, info.Remote
	c.key = keyOf(info.Local, info.Remote, 0)
	switch info.Side {
	case SideClient:
		c.setRoles(tcpasm.TCPDirClientToServer)
	case SideServer:
		c.setRoles(tcpasm.TCPDirServerToClient)
	}
	c.synSeen = [2]bool{info.FromStart, info.FromStart}
	s.conns[id] = c
	s.w.ctr.connections.Add(1)
}

// tcpDir maps a socket direction onto the conn's: the local side is the
// conn's first source.
func tcpDir(d Direction) tcpasm.TCPFlowDirection {
	if d == Egress {
		return tcpasm.TCPDirClientToServer
	}
	return tcpasm.TCPDirServerToClient
}

// Data feeds the next bytes of one direction of connection id; ts is their
// capture time in Unix ns. Unknown ids are ignored.
func (s *Streams) Data(id uint64, dir Direction, data []byte, ts int64) {
	c := s.conns[id]
	if c == nil || c.done || len(data) == 0 {
		return
	}
	s.advance(ts)
	defer func() {
		if r := recover(); r != nil {
			s.w.ctr.drop(DropPanic, 1)
			s.w.log.Debug("recovered from panic in HTTP parsing", "panic", r)
			c.finish(c.lastTS)
		}
	}()
	c.lastTS = ts
	td := tcpDir(dir)
	di := dirIndex(td)
	if !c.roleKnown {
		c.guessRoles(td, data)
	}
	p := c.parser(td)
	if !c.fed[di] {
		c.fed[di] = true
		if !c.synSeen[di] {
			p.Resync()
		} else if c.messages == 0 && c.notHTTP(td, data) {
			return
		}
	}
	s.w.lc.segments++
	s.w.lc.payloadBytes += uint64(len(data))
	if s.w.lc.segments >= publishEvery {
		s.w.publish()
	}
	p.Feed(data, ts)
}

// Gap records that n bytes (n < 0: an unknown number) of one direction of
// connection id were lost before the next Data.
func (s *Streams) Gap(id uint64, dir Direction, n int64, ts int64) {
	c := s.conns[id]
	if c == nil || c.done || n == 0 {
		return
	}
	s.w.ctr.gaps.Add(1)
	if n > 0 {
		s.w.ctr.gapBytes.Add(uint64(n))
	}
	td := tcpDir(dir)
	di := dirIndex(td)
	if !c.fed[di] {
		// Nothing parsed yet: start by looking for a message start.
		c.synSeen[di] = false
		return
	}
	if p := c.parser(td); p != nil {
		p.Gap(int(min(n, 1<<30)), ts)
	}
}

// End closes connection id: pending requests become calls without response.
func (s *Streams) End(id uint64, ts int64) {
	c := s.conns[id]
	if c == nil {
		return
	}
	delete(s.conns, id)
	if ts == 0 {
		ts = c.lastTS
	}
	c.finish(ts)
}

// Discard forgets connection id without emitting what it holds.
func (s *Streams) Discard(id uint64) {
	c := s.conns[id]
	if c == nil {
		return
	}
	delete(s.conns, id)
	c.done = true
	c.reqs, c.resps = nil, nil
}

// Len is the number of open connections.
func (s *Streams) Len() int { return len(s.conns) }

// advance moves the clock forward.
func (s *Streams) advance(ts int64) {
	if ts > s.now {
		s.now = ts
	}
}

// Tick runs time-driven work at time now (Unix ns): requests unanswered
// for ResponseTimeout become calls with status 0, connections idle for
// IdleTimeout end, and batched calls go to the sink.
func (s *Streams) Tick(now int64) {
	s.advance(now)
	s.w.expire(s.now - s.cfg.ResponseTimeout.Nanoseconds())
	idle := s.cfg.IdleTimeout.Nanoseconds()
	if s.now-s.sweep >= idle/4 {
		s.sweep = s.now
		for id, c := range s.conns {
			if c.lastTS != 0 && c.lastTS < s.now-idle {
				s.End(id, c.lastTS)
			}
		}
	}
	s.w.flushBatch()
}

// Close ends every connection and hands the last calls to the sink within
// ctx. It is idempotent.
func (s *Streams) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	s.w.ctx.Store(&ctx)
	for id := range s.conns {
		s.End(id, 0)
	}
	s.w.flushBatch()
	return ctx.Err()
}

// Stats returns the counters so far. Safe for concurrent use. Packets and
// Segments count Data calls. The counts of the latest few hundred Data
// calls reach it with the next batch of calls, Tick or Close.
func (s *Streams) Stats() Stats {
	st := Stats{ParseErrors: map[string]uint64{}, Drops: map[string]uint64{}, Ignored: map[string]uint64{}}
	s.w.ctr.addTo(&st)
	st.Packets = st.Segments
	return st
}
