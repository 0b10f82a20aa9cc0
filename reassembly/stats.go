package reassembly

import (
	"sync"
	"sync/atomic"
)

// Reasons for shedding data, as they appear in Stats.Drops and metrics.
const (
	DropConnLimit        = "conn_limit"        // new connection over MaxConnections
	DropConnPressure     = "conn_pressure"     // segment without data of a new connection, near MaxConnections
	DropUnpairedResponse = "unpaired_response" // response with no request to pair with
	DropPendingOverflow  = "pending_overflow"  // pipelined requests over MaxPendingRequests
	DropUpgraded         = "upgraded"          // connections no longer parsed after Upgrade/CONNECT
	DropPanic            = "panic"             // a packet that made a library panic
	DropSinkError        = "sink_error"        // calls the sink refused
	DropNotHTTP          = "not_http"          // connections whose bytes never looked like HTTP
)

// Stats are cumulative counters of an Engine.
type Stats struct {
	Packets          uint64 // frames handed to the engine
	Segments         uint64 // TCP segments among them
	PayloadBytes     uint64 // TCP payload bytes delivered in order to the parsers
	Connections      uint64 // connections seen
	Calls            uint64 // calls emitted (including unpaired requests)
	UnpairedRequests uint64 // calls emitted with no response (status 0)
	Gaps             uint64 // holes in a byte stream (lost or unrecovered segments)
	GapBytes         uint64 // bytes in those holes, where known
	// TCPPayloadBytes sums the payload of every decoded TCP segment, retransmissions and
	// segments of shed connections included.
	TCPPayloadBytes uint64
	// CallBytes sums the HTTP bytes of the emitted calls' requests and responses: start
	// line, header block and body as transferred (chunk framing not counted).
	// CallBytes / TCPPayloadBytes is the share of the traffic that ended up in calls.
	CallBytes uint64
	// ParseErrors counts HTTP parse errors by reason.
	ParseErrors map[string]uint64
	// Drops counts what was shed, by reason, including frames that could
	// not be decoded.
	Drops map[string]uint64
	// Ignored counts frames that carry no TCP (ARP, UDP, ...): not a loss.
	Ignored map[string]uint64
}

// Dropped sums Drops.
func (s Stats) Dropped() uint64 {
	var n uint64
	for _, v := range s.Drops {
		n += v
	}
	return n
}

// ParseErrorTotal sums ParseErrors.
func (s Stats) ParseErrorTotal() uint64 {
	var n uint64
	for _, v := range s.ParseErrors {
		n += v
	}
	return n
}

// counters are one worker's counters: written by its goroutine, read by any.
type counters struct {
	segments, payloadBytes, connections, calls, unpaired, gaps, gapBytes, callBytes atomic.Uint64

	mu          sync.Mutex // guards the maps; they change only on rare events
	parseErrors map[string]uint64
	drops       map[string]uint64
}

func newCounters() *counters {
	return &counters{parseErrors: map[string]uint64{}, drops: map[string]uint64{}}
}

func (c *counters) parseError(reason string) {
	c.mu.Lock()
	c.parseErrors[reason]++
	c.mu.Unlock()
}

func (c *counters) drop(reason string, n uint64) {
	c.mu.Lock()
	c.drops[reason] += n
	c.mu.Unlock()
}

// addTo adds c to s.
func (c *counters) addTo(s *Stats) {
	s.Segments += c.segments.Load()
	s.PayloadBytes += c.payloadBytes.Load()
	s.Connections += c.connections.Load()
	s.Calls += c.calls.Load()
	s.UnpairedRequests += c.unpaired.Load()
	s.Gaps += c.gaps.Load()
	s.GapBytes += c.gapBytes.Load()
	s.CallBytes += c.callBytes.Load()
	c.mu.Lock()
	for k, v := range c.parseErrors {
		s.ParseErrors[k] += v
	}
	for k, v := range c.drops {
		s.Drops[k] += v
	}
	c.mu.Unlock()
}
