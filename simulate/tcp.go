package simulate

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

const (
	mss = 1460
	// idleClose is how long a keep-alive connection may sit idle before
	// the client closes it and opens a new one for the next call.
	idleClose = 15_000_000 // µs
	// wireGap spaces back-to-back segments like a 1 Gbit/s link does.
	wireGap = 12 // µs
	// serverTurn is the server's reaction time to a packet, as seen at the
	// capture point in front of it.
	serverTurn = 30 // µs
	// initWindow is how many segments the server sends before waiting an
	// RTT for ACKs (Linux IW10).
	initWindow = 10

	retransmitProb = 0.005
	oooProb        = 0.02 // per pair of consecutive segments of one message
	rstProb        = 0.05
	serverCloseP   = 0.10
)

const (
	fSYN = 1 << iota
	fACK
	fPSH
	fFIN
	fRST
)

// conn is one TCP connection's addressing and sequence state.
type conn struct {
	cip, sip     [4]byte
	cport, sport uint16
	cseq, sseq   uint32 // next sequence number each side sends
	cipid, sipid uint16
}

// pkt is one packet waiting in a session's queue. Payload aliases the
// session's call buffers, which stay untouched until the queue drains.
type pkt struct {
	t        int64 // µs since Config.Start
	c        *conn
	toServer bool
	flags    uint8
	seq, ack uint32
	payload  []byte
}

// packetWriter serializes packets into a pcap, reusing one buffer and one
// set of layers so the hot path allocates nothing per packet.
type packetWriter struct {
	w     *pcapgo.Writer
	start time.Time
	buf   gopacket.SerializeBuffer
	opts  gopacket.SerializeOptions
	eth   layers.Ethernet
	ip    layers.IPv4
	tcp   layers.TCP
	mssOp []layers.TCPOption
	src   net.IP
	dst   net.IP
	n     int
	first int64 // µs of the first packet written
	last  int64 // µs of the last packet written
}

func newPacketWriter(w *pcapgo.Writer, start time.Time) *packetWriter {
	p := &packetWriter{
		w:     w,
		start: start,
		buf:   gopacket.NewSerializeBuffer(),
		opts:  gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true},
		src:   make(net.IP, 4),
		dst:   make(net.IP, 4),
	}
	p.eth = layers.Ethernet{EthernetType: layers.EthernetTypeIPv4}
	p.ip = layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, Flags: layers.IPv4DontFragment}
	p.mssOp = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{mss >> 8, mss & 0xff}}}
	return p
}

func (p *packetWriter) write(k *pkt) error {
	c := k.c
	if k.toServer {
		copy(p.src, c.cip[:])
		copy(p.dst, c.sip[:])
		p.tcp.SrcPort, p.tcp.DstPort = layers.TCPPort(c.cport), layers.TCPPort(c.sport)
		p.eth.SrcMAC = net.HardwareAddr{0x02, 0x42, c.cip[0], c.cip[1], c.cip[2], c.cip[3]}
		p.eth.DstMAC = net.HardwareAddr{0x02, 0x00, c.sip[0], c.sip[1], c.sip[2], c.sip[3]}
		c.cipid++
		p.ip.Id = c.cipid
		p.ip.TTL = 58
	} else {
		copy(p.src, c.sip[:])
		copy(p.dst, c.cip[:])
		p.tcp.SrcPort, p.tcp.DstPort = layers.TCPPort(c.sport), layers.TCPPort(c.cport)
		p.eth.SrcMAC = net.HardwareAddr{0x02, 0x00, c.sip[0], c.sip[1], c.sip[2], c.sip[3]}
		p.eth.DstMAC = net.HardwareAddr{0x02, 0x42, c.cip[0], c.cip[1], c.cip[2], c.cip[3]}
		c.sipid++
		p.ip.Id = c.sipid
		p.ip.TTL = 64
	}
	p.ip.SrcIP, p.ip.DstIP = p.src, p.dst
	t := &p.tcp
	t.Seq, t.Ack = k.seq, k.ack
	t.SYN = k.flags&fSYN != 0
	t.ACK = k.flags&fACK != 0
	t.PSH = k.flags&fPSH != 0
	t.FIN = k.flags&fFIN != 0
	t.RST = k.flags&fRST != 0
	t.Window = 64240
	t.Options = nil
	if t.SYN {
		t.Options = p.mssOp
	}
	if err := t.SetNetworkLayerForChecksum(&p.ip); err != nil {
		return fmt.Errorf("set checksum layer: %w", err)
	}
	if err := gopacket.SerializeLayers(p.buf, p.opts, &p.eth, &p.ip, t, gopacket.Payload(k.payload)); err != nil {
		return fmt.Errorf("serialize packet: %w", err)
	}
	data := p.buf.Bytes()
	ci := gopacket.CaptureInfo{
		Timestamp:     p.start.Add(time.Duration(k.t) * time.Microsecond),
		CaptureLength: len(data),
		Length:        len(data),
	}
	if err := p.w.WritePacket(ci, data); err != nil {
		return fmt.Errorf("write packet: %w", err)
	}
	if p.n == 0 {
		p.first = k.t
	}
	p.last = k.t
	p.n++
	return nil
}

// emitter appends a connection's packets to a session's queue while keeping
// TCP state (sequence numbers, ACKs) consistent.
type emitter struct {
	r *rand.Rand
	q []pkt
}

func (e *emitter) add(k pkt) { e.q = append(e.q, k) }

// handshake emits SYN, SYN-ACK and ACK starting at t and returns when the
// client may send data.
func (e *emitter) handshake(c *conn, t, rtt int64) int64 {
	e.add(pkt{t: t, c: c, toServer: true, flags: fSYN, seq: c.cseq})
	c.cseq++
	e.add(pkt{t: t + serverTurn, c: c, flags: fSYN | fACK, seq: c.sseq, ack: c.cseq})
	c.sseq++
	t += serverTurn + rtt
	e.add(pkt{t: t, c: c, toServer: true, flags: fACK, seq: c.cseq, ack: c.sseq})
	return t + 5
}

// sendClient emits a request's segments from t; it returns the time of the
// last one. The server ACKs every second full segment, as Linux does.
func (e *emitter) sendClient(c *conn, t int64, data []byte) int64 {
	n := 0
	first := len(e.q)
	defer e.shuffle(first)
	for off, end := 0, 0; off < len(data); off = end {
		end = segEnd(off, len(data))
		fl := uint8(fACK)
		if end == len(data) {
			fl |= fPSH
		}
		e.data(pkt{t: t, c: c, toServer: true, flags: fl, seq: c.cseq, ack: c.sseq, payload: data[off:end]})
		c.cseq += uint32(end - off)
		n++
		if n%2 == 0 && end < len(data) {
			e.add(pkt{t: t + serverTurn, c: c, flags: fACK, seq: c.sseq, ack: c.cseq})
		}
		if end < len(data) {
			t += wireGap
		}
	}
	return t
}

// segEnd ends the segment starting at off. It never leaves a last segment
// of under 8 bytes: tshark reports a chunked body whose final CRLF arrives
// alone as malformed, and a slightly shorter previous segment is just as
// plausible on the wire.
func segEnd(off, n int) int {
	end := min(off+mss, n)
	if rest := n - end; rest > 0 && rest < 8 {
		end -= 8
	}
	return end
}

// sendServer emits a response's segments from t in initial-window flights
// and the client's delayed ACKs; it returns when the exchange is over.
func (e *emitter) sendServer(c *conn, t, rtt int64, data []byte) int64 {
	last := t
	n := 0
	first := len(e.q)
	for off, end := 0, 0; off < len(data); off = end {
		end = segEnd(off, len(data))
		fl := uint8(fACK)
		if end == len(data) {
			fl |= fPSH
		}
		e.data(pkt{t: t, c: c, flags: fl, seq: c.sseq, ack: c.cseq, payload: data[off:end]})
		c.sseq += uint32(end - off)
		n++
		if n%2 == 0 || end == len(data) {
			at := t + rtt
			e.add(pkt{t: at, c: c, toServer: true, flags: fACK, seq: c.cseq, ack: c.sseq})
			last = max(last, at)
		}
		if n%initWindow == 0 {
			t += rtt
		} else {
			t += wireGap
		}
	}
	e.shuffle(first)
	return last
}

// data queues a data segment and, rarely, a spurious retransmission of it:
// identical bytes at the same sequence number, so the stream stays intact.
func (e *emitter) data(k pkt) {
	e.add(k)
	if e.r.Float64() < retransmitProb {
		dup := k
		dup.t += 200_000 + int64(e.r.IntN(100_000))
		e.add(dup)
	}
}

// shuffle swaps the timestamps of a few consecutive data segments queued
// since first, so they reach the capture out of order.
func (e *emitter) shuffle(first int) {
	prev := -1
	for i := first; i < len(e.q); i++ {
		if len(e.q[i].payload) == 0 {
			continue
		}
		// Only neighbours on the wire, so no ACK ever covers bytes not yet seen.
		if prev >= 0 && e.q[prev].toServer == e.q[i].toServer && e.q[i].seq == e.q[prev].seq+uint32(len(e.q[prev].payload)) &&
			e.q[i].t > e.q[prev].t && e.q[i].t-e.q[prev].t <= wireGap && e.r.Float64() < oooProb {
			e.q[prev].t, e.q[i].t = e.q[i].t, e.q[prev].t
			prev = -1
			continue
		}
		prev = i
	}
}

// teardown closes c at t with a FIN exchange or, sometimes, a RST; it
// returns the time of the last packet.
func (e *emitter) teardown(c *conn, t, rtt int64) int64 {
	x := e.r.Float64()
	switch {
	case x < rstProb:
		e.add(pkt{t: t, c: c, toServer: true, flags: fRST | fACK, seq: c.cseq, ack: c.sseq})
		return t
	case x < rstProb+serverCloseP:
		e.add(pkt{t: t, c: c, flags: fFIN | fACK, seq: c.sseq, ack: c.cseq})
		c.sseq++
		e.add(pkt{t: t + rtt, c: c, toServer: true, flags: fFIN | fACK, seq: c.cseq, ack: c.sseq})
		c.cseq++
		e.add(pkt{t: t + rtt + serverTurn, c: c, flags: fACK, seq: c.sseq, ack: c.cseq})
		return t + rtt + serverTurn
	default:
		e.add(pkt{t: t, c: c, toServer: true, flags: fFIN | fACK, seq: c.cseq, ack: c.sseq})
		c.cseq++
		e.add(pkt{t: t + serverTurn, c: c, flags: fFIN | fACK, seq: c.sseq, ack: c.cseq})
		c.sseq++
		e.add(pkt{t: t + serverTurn + rtt, c: c, toServer: true, flags: fACK, seq: c.cseq, ack: c.sseq})
		return t + serverTurn + rtt
	}
}

// sortQueue orders a batch by time; stable, so equal times keep causal order.
func sortQueue(q []pkt) {
	slices.SortStableFunc(q, func(a, b pkt) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
}

// sessionHeap orders active sessions by their next packet time, then id,
// so ties break the same way on every run.
type sessionHeap []*session

func (h sessionHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	ta, tb := a.q[a.qi].t, b.q[b.qi].t
	if ta != tb {
		return ta < tb
	}
	return a.id < b.id
}

func (h *sessionHeap) push(s *session) {
	*h = append(*h, s)
	i := len(*h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		(*h)[i], (*h)[p] = (*h)[p], (*h)[i]
		i = p
	}
}

// fix restores heap order after the root's key grew.
func (h sessionHeap) fix() {
	i, n := 0, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h *sessionHeap) pop() {
	old := *h
	n := len(old) - 1
	old[0] = old[n]
	old[n] = nil
	*h = old[:n]
	h.fix()
}
