package reassembly

import (
	"bytes"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	tcpasm "github.com/google/gopacket/reassembly"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/capture/decoder"
	"github.com/apitap/apitap/reassembly/http1"
)

// conn is one TCP connection: a gopacket reassembly.Stream that parses both
// directions as HTTP/1.x and pairs requests with responses in FIFO order.
// It is only touched by its worker's goroutine.
type conn struct {
	// The fields every segment touches come first, so that a segment of a
	// connection gone cold in the cache misses on few cache lines.
	w         *worker
	req       *http1.Parser
	resp      *http1.Parser
	lastTS    int64   // capture time of the latest data, ns
	synSeen   [2]bool // a SYN opened this direction: the stream starts at a message boundary
	fed       [2]bool // this direction delivered bytes already
	ahead     [2]bool // see aheadEnd
	roleKnown bool
	reqDir    tcpasm.TCPFlowDirection // the direction that carries requests
	done      bool
	counted   bool // counted in Stats.Connections: it carried a SYN or data
	upgraded  bool
	waiting   bool // in the worker's waiting queue
	// ahead: gopacket may hold segments of this direction that came
	// ahead of a hole, up to aheadEnd (see worker.aheadHalves); next
	// follows gopacket's next expected sequence number while it does.
	aheadEnd [2]tcpasm.Sequence
	next     [2]tcpasm.Sequence
	reqs     []*http1.Message  // requests waiting for their response, oldest first
	resps    []*http1.Message  // responses that arrived while their request was still being parsed
	reqArr   [2]*http1.Message // reqs' first array: most connections need no other
	messages int               // messages parsed on this connection
	calls    uint64            // calls emitted, for stable ids

	key connKey
	idx int             // place in worker.live, -1 once forgotten
	vni uint32          // VXLAN network identifier, 0 outside VXLAN
	src *apicall.Source // per-connection source (socket streams); nil: the config's

	// first is the gopacket direction of the first packet seen
	// (TCPDirClientToServer in gopacket's terms, which may be the server).
	firstSrc, firstDst netip.AddrPort

	client   netip.AddrPort
	server   netip.AddrPort
	idSeed   uint64 // FNV-1a state after client and server (callID)
	idSeeded bool
}

func dirIndex(d tcpasm.TCPFlowDirection) int {
	if d == tcpasm.TCPDirClientToServer {
		return 0
	}
	return 1
}

// Accept implements tcpasm.Stream. It learns the roles from the handshake
// and forces the stream to start on the first segment when the SYN was not
// captured, so connections already open when capture began are still read.
func (c *conn) Accept(tcp *layers.TCP, _ gopacket.CaptureInfo, dir tcpasm.TCPFlowDirection, nextSeq tcpasm.Sequence, start *bool, ac tcpasm.AssemblerContext) bool {
	c.trackAhead(tcp, dirIndex(dir), nextSeq)
	if !c.counted && (tcp.SYN || len(tcp.Payload) > 0) {
		// Not on bare ACKs and FINs: the last ACK of a closed connection
		// makes gopacket open a new, empty one.
		c.counted = true
		c.w.ctr.connections.Add(1)
	}
	if tcp.SYN {
		c.synSeen[dirIndex(dir)] = true
		if !c.roleKnown {
			if tcp.ACK {
				c.setRoles(dir.Reverse())
			} else {
				c.setRoles(dir)
			}
		}
	} else if nextSeq == -1 {
		*start = true
	} else if len(tcp.Payload) > 0 && nextSeq.Difference(tcpasm.Sequence(tcp.Seq)) > 0 {
		// A hole: gopacket buffers this segment until the hole fills or ages out.
		c.w.lastHole = ac.GetCaptureInfo().Timestamp
		c.w.holes = true
	}
	if tcp.RST && !c.done {
		c.finish(ac.GetCaptureInfo().Timestamp.UnixNano())
	}
	return true
}

// trackAhead keeps count of the directions in which gopacket may be
// holding segments that came ahead of a hole: gopacket queues a segment
// with data when it starts after the next expected byte, and every byte
// up to the end of the queued ones has been delivered or skipped once the
// next expected byte is past them.
func (c *conn) trackAhead(tcp *layers.TCP, di int, nextSeq tcpasm.Sequence) {
	if nextSeq == -1 {
		return
	}
	c.next[di] = nextSeq
	c.clearAhead(di)
	if len(tcp.Payload) == 0 {
		return
	}
	seq := tcpasm.Sequence(tcp.Seq)
	if nextSeq.Difference(seq) <= 0 {
		return
	}
	end := seq.Add(len(tcp.Payload))
	switch {
	case !c.ahead[di]:
		c.ahead[di], c.aheadEnd[di] = true, end
		c.w.aheadHalves++
	case c.aheadEnd[di].Difference(end) > 0:
		c.aheadEnd[di] = end
	}
}

// delivered moves the next expected sequence number of a direction with
// segments ahead past bytes gopacket delivered (after skip lost ones).
func (c *conn) delivered(di, skip, n int) {
	if !c.ahead[di] {
		return
	}
	if skip < 0 {
		return // an unknown number of bytes lost: the next Accept tells
	}
	c.next[di] = c.next[di].Add(skip + n)
	c.clearAhead(di)
}

// clearAhead forgets the segments ahead of a direction once its next
// expected sequence number is past them.
func (c *conn) clearAhead(di int) {
	if c.ahead[di] && c.next[di].Difference(c.aheadEnd[di]) <= 0 {
		c.ahead[di] = false
		c.w.aheadHalves--
	}
}

// setRoles records which direction carries requests.
func (c *conn) setRoles(reqDir tcpasm.TCPFlowDirection) {
	c.roleKnown = true
	c.idSeeded = false
	c.reqDir = reqDir
	if reqDir == tcpasm.TCPDirClientToServer {
		c.client, c.server = c.firstSrc, c.firstDst
	} else {
		c.client, c.server = c.firstDst, c.firstSrc
	}
}

// guessRoles decides the roles from the first bytes of a direction when the
// handshake was not captured.
func (c *conn) guessRoles(dir tcpasm.TCPFlowDirection, data []byte) {
	switch {
	case bytes.HasPrefix(data, []byte("HTTP/")):
		c.setRoles(dir.Reverse())
	case looksLikeRequest(data):
		c.setRoles(dir)
	default:
		// No clue in the bytes: the side on a well-known or lower port serves.
		if serverPort(c.firstDst.Port(), c.firstSrc.Port()) {
			c.setRoles(tcpasm.TCPDirClientToServer)
		} else {
			c.setRoles(tcpasm.TCPDirServerToClient)
		}
	}
}

// serverPort reports whether port a looks more like the server side than b.
func serverPort(a, b uint16) bool {
	wa, wb := wellKnown(a), wellKnown(b)
	if wa != wb {
		return wa
	}
	return a <= b
}

func wellKnown(p uint16) bool {
	switch p {
	case 80, 81, 443, 3000, 5000, 8000, 8008, 8080, 8081, 8443, 8888, 9000, 9090:
		return true
	}
	return p < 1024
}

// looksLikeRequest reports whether b starts like an HTTP/1.x request line:
// an upper-case method token followed by a space, or blank lines.
func looksLikeRequest(b []byte) bool {
	for i := 0; i < len(b) && i < 24; i++ {
		ch := b[i]
		switch {
		case ch >= 'A' && ch <= 'Z', ch == '-', ch == '_':
		case ch == ' ':
			return i >= 3
		case (ch == '\r' || ch == '\n') && i == 0:
			return true
		default:
			return false
		}
	}
	return false
}

// ReassembledSG implements tcpasm.Stream: in-order bytes of one direction.
// It must not panic: gopacket's flush paths hold the connection's lock
// without a deferred unlock.
func (c *conn) ReassembledSG(sg tcpasm.ScatterGather, ac tcpasm.AssemblerContext) {
	if c.done {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.w.ctr.drop(DropPanic, 1)
			c.w.log.Debug("recovered from panic in HTTP parsing", "panic", r)
			c.finish(c.lastTS)
		}
	}()
	dir, _, end, skip := sg.Info()
	n, _ := sg.Lengths()
	c.delivered(dirIndex(dir), skip, n)
	st := sg.Stats()
	var ts int64
	if a, ok := ac.(*asmCtx); ok && st.Chunks == 1 && st.Packets == 1 {
		// The bytes of the packet being assembled, in order: their time
		// is that packet's, no need to ask the SG (and recover).
		ts = a.ns
	} else if t, ok := captureTime(sg, 0); ok {
		ts = t
	} else {
		ts = c.lastTS
	}
	c.lastTS = ts
	w := c.w
	if n > 0 {
		data := sg.Fetch(n)
		di := dirIndex(dir)
		if !c.roleKnown {
			c.guessRoles(dir, data)
		}
		p := c.parser(dir)
		if !c.fed[di] {
			c.fed[di] = true
			if !c.synSeen[di] || skip != 0 {
				// Capture began inside this stream: look for a message start.
				p.Resync()
			} else if c.messages == 0 && c.notHTTP(dir, data) {
				return
			}
		} else if skip != 0 {
			w.ctr.gaps.Add(1)
			if skip > 0 {
				w.ctr.gapBytes.Add(uint64(skip))
			}
			p.Gap(skip, ts)
		}
		w.lc.payloadBytes += uint64(n)
		// One container (the common case: a segment in order) has one time.
		if st.Chunks == 1 {
			p.Feed(data, ts)
		} else if last, ok := captureTime(sg, n-1); !ok || last == ts {
			p.Feed(data, ts)
		} else {
			// Data held behind a hole spans several packets' times: feed
			// it packet by packet so messages keep their own timestamps.
			feedByTime(p, sg, data, ts)
			c.lastTS = last
		}
	}
	if end && !c.done {
		if p := c.parser(dir); p != nil {
			p.Close(ts)
		}
	}
}

// feedByTime feeds data in runs of equal capture time. CaptureInfo walks
// the SG's containers, so each boundary is found by exponential then
// binary search.
func feedByTime(p *http1.Parser, sg tcpasm.ScatterGather, data []byte, t int64) {
	n := len(data)
	at := func(off int) int64 {
		if ts, ok := captureTime(sg, off); ok {
			return ts
		}
		return t
	}
	for pos := 0; pos < n; {
		t = at(pos)
		step, end := 1, pos+1
		for end < n && at(end) == t {
			end = pos + step
			step *= 2
		}
		// The run ends somewhere in (prev probe, end]: narrow it down.
		lo, hi := pos+1, min(end, n)
		for lo < hi {
			mid := (lo + hi) / 2
			if at(mid) == t {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		p.Feed(data[pos:lo], t)
		pos = lo
	}
}

// captureTime is sg.CaptureInfo(off) in Unix ns. gopacket v1.1.19 leaves
// the context of every page but a packet's first nil, and CaptureInfo
// then panics; such bytes take the time of the bytes before them.
func captureTime(sg tcpasm.ScatterGather, off int) (ns int64, ok bool) {
	defer func() {
		if recover() != nil {
			ns, ok = 0, false
		}
	}()
	return sg.CaptureInfo(off).Timestamp.UnixNano(), true
}

// notHTTP stops a connection whose handshake was seen and whose first
// bytes are not HTTP/1.x (TLS, HTTP/2, other protocols): resyncing through
// them would only waste time and count errors.
func (c *conn) notHTTP(dir tcpasm.TCPFlowDirection, data []byte) bool {
	if len(data) < 4 {
		return false
	}
	var ok bool
	if dir == c.reqDir {
		ok = looksLikeRequest(data) && !bytes.HasPrefix(data, []byte("PRI * HTTP/2"))
	} else {
		ok = bytes.HasPrefix(data, []byte("HTTP/")) || len(c.reqs) > 0 && c.reqs[0].Proto == "HTTP/0.9"
	}
	if ok {
		return false
	}
	c.w.ctr.drop(DropNotHTTP, 1)
	c.finish(c.lastTS)
	return true
}

// parser returns the parser of a direction, creating it on first use.
func (c *conn) parser(dir tcpasm.TCPFlowDirection) *http1.Parser {
	if dir == c.reqDir {
		if c.req == nil {
			c.req = c.w.getParser(http1.Request, c)
		}
		return c.req
	}
	if c.resp == nil {
		c.resp = c.w.getParser(http1.Response, c)
	}
	return c.resp
}

// HandleMessage implements http1.Handler for both parsers of the connection.
func (c *conn) HandleMessage(kind http1.Kind, m *http1.Message) {
	if kind == http1.Request {
		c.onRequest(m)
	} else {
		c.onResponse(m)
	}
}

// RequestInfo implements http1.Handler.
func (c *conn) RequestInfo() (method, proto string) { return c.requestInfo() }

// requestInfo tells the response parser what the oldest unanswered request was.
func (c *conn) requestInfo() (method, proto string) {
	if len(c.reqs) == 0 {
		return "", ""
	}
	return c.reqs[0].Method, c.reqs[0].Proto
}

func (c *conn) onRequest(m *http1.Message) {
	c.messages++
	if len(c.reqs) >= c.w.cfg.MaxPendingRequests {
		c.w.ctr.drop(DropPendingOverflow, 1)
		c.emit(c.reqs[0], nil)
		c.reqs = popFront(c.reqs)
	}
	if c.reqs == nil {
		c.reqs = c.reqArr[:0]
	}
	c.reqs = append(c.reqs, m)
	if len(c.reqs) == 1 && !c.waiting {
		c.waiting = true
		c.w.waiting = append(c.w.waiting, c)
	}
	for len(c.resps) > 0 && len(c.reqs) > 0 {
		r := c.resps[0]
		c.resps = popFront(c.resps)
		c.pairWith(r)
	}
}

func (c *conn) onResponse(m *http1.Message) {
	c.messages++
	if m.Status >= 100 && m.Status < 200 && m.Status != 101 {
		c.w.msgs.Put(m)
		return // interim response: the final one follows
	}
	if len(c.reqs) == 0 {
		if c.req != nil && c.req.Pending() && len(c.resps) < c.w.cfg.MaxPendingRequests {
			// The server answered before the request was complete (an
			// early error, or a request body still in flight): hold it.
			c.resps = append(c.resps, m)
			return
		}
		c.w.ctr.drop(DropUnpairedResponse, 1)
		c.w.msgs.Put(m)
		return
	}
	c.pairWith(m)
}

// pairWith pairs a final response with the oldest pending request.
func (c *conn) pairWith(m *http1.Message) {
	req := c.reqs[0]
	if m.End != 0 && req.Start != 0 && m.End < req.Start {
		// Finished before the request began: the answer to a request the
		// capture missed.
		c.w.ctr.drop(DropUnpairedResponse, 1)
		c.w.msgs.Put(m)
		return
	}
	c.reqs = popFront(c.reqs)
	up := m.Status == 101 || (req.Method == "CONNECT" && m.Status >= 200 && m.Status < 300)
	if up {
		c.upgraded = true
		c.w.ctr.drop(DropUpgraded, 1)
		if c.req != nil {
			c.req.Stop()
		}
		if c.resp != nil {
			c.resp.Stop()
		}
	}
	c.emit(req, m)
}

// expire turns requests unanswered since before deadline into calls with
// status 0, unless their response is being parsed.
func (c *conn) expire(deadline int64) {
	if c.resp != nil && c.resp.Pending() {
		return
	}
	for len(c.reqs) > 0 && c.reqs[0].End < deadline {
		c.emit(c.reqs[0], nil)
		c.reqs = popFront(c.reqs)
	}
}

// popFront removes the oldest message of a queue in place, so that the
// queue's array serves every exchange of a keep-alive connection (slicing
// from the front would give up its room one message at a time).
func popFront(q []*http1.Message) []*http1.Message {
	n := copy(q, q[1:])
	q[n] = nil
	return q[:n]
}

// finish ends the connection: parsers see the end of their streams, pending
// requests become calls without response, held responses are dropped.
func (c *conn) finish(ts int64) {
	if c.done {
		return
	}
	if c.req != nil {
		c.req.Close(ts)
	}
	if c.resp != nil {
		c.resp.Close(ts)
	}
	c.done = true
	for _, r := range c.reqs {
		c.emit(r, nil)
	}
	c.reqs = nil
	if n := len(c.resps); n > 0 {
		c.w.ctr.drop(DropUnpairedResponse, uint64(n))
		for _, m := range c.resps {
			c.w.msgs.Put(m)
		}
		c.resps = nil
	}
	// The parsers are done with this connection: others may reuse them.
	c.w.putParser(c.req)
	c.w.putParser(c.resp)
	c.req, c.resp = nil, nil
}

// ReassemblyComplete implements tcpasm.Stream. ac may be nil. Returning
// true makes gopacket's pool drop the connection.
func (c *conn) ReassemblyComplete(tcpasm.AssemblerContext) bool {
	for di := range c.ahead {
		if c.ahead[di] {
			c.ahead[di] = false
			c.w.aheadHalves--
		}
	}
	c.finish(c.lastTS)
	c.w.forget(c)
	return true
}

func (c *conn) emit(req, resp *http1.Message) {
	c.calls++
	c.w.emit(c, req, resp, c.calls)
}

// rejected stands for the connections over MaxConnections: it ignores
// every packet, and the pool forgets it once it is idle.
type rejected struct{}

func (rejected) Accept(*layers.TCP, gopacket.CaptureInfo, tcpasm.TCPFlowDirection, tcpasm.Sequence, *bool, tcpasm.AssemblerContext) bool {
	return false
}
func (rejected) ReassembledSG(tcpasm.ScatterGather, tcpasm.AssemblerContext) {}
func (rejected) ReassemblyComplete(tcpasm.AssemblerContext) bool             { return true }

// flowAddrs turns gopacket flows into address:port pairs.
func flowAddrs(netFlow, tcpFlow gopacket.Flow, vni uint32) (src, dst netip.AddrPort) {
	sr, dr := netFlow.Src().Raw(), netFlow.Dst().Raw()
	var s, d netip.Addr
	switch netFlow.EndpointType() {
	case decoder.EndpointIPv4VNI:
		if len(sr) == 8 && len(dr) == 8 {
			sr, dr = sr[:4], dr[:4] // the VNI follows the address
		}
	case decoder.EndpointIPv6VNI:
		s, d = decoder.UnmaskIPv6VNI(sr, vni), decoder.UnmaskIPv6VNI(dr, vni)
	}
	if !s.IsValid() {
		s, _ = netip.AddrFromSlice(sr)
		d, _ = netip.AddrFromSlice(dr)
	}
	sp, dp := tcpFlow.Src().Raw(), tcpFlow.Dst().Raw()
	var spn, dpn uint16
	if len(sp) == 2 {
		spn = uint16(sp[0])<<8 | uint16(sp[1])
	}
	if len(dp) == 2 {
		dpn = uint16(dp[0])<<8 | uint16(dp[1])
	}
	return netip.AddrPortFrom(s.Unmap(), spn), netip.AddrPortFrom(d.Unmap(), dpn)
}

var _ tcpasm.Stream = (*conn)(nil)
var _ tcpasm.Stream = rejected{}
