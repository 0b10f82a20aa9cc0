// Package pcaptest builds TCP conversations packet by packet for tests:
// handshakes, segmented payloads, reordering, retransmissions, overlaps,
// losses, RST and FIN, on several link types, written as pcap files.
package pcaptest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Link types (pcap LINKTYPE_ values).
const (
	LinkNull     = 0
	LinkEthernet = 1
	LinkRaw      = 101
	LinkSLL      = 113
	LinkSLL2     = 276
)

// Frame is one captured frame.
type Frame struct {
	TS   time.Time
	Data []byte
}

// Capture collects frames of one link type.
type Capture struct {
	Link uint32 // pcap LINKTYPE_ value
	VLAN uint16 // Ethernet only: tag frames with this 802.1Q id when non-zero
	// VNI, when non-zero, wraps each Ethernet frame in VXLAN with this network id, as a
	// traffic mirror sends it (outer IPv4 192.0.2.1 → 192.0.2.2, UDP port 4789).
	VNI    uint32
	Frames []Frame
	now    time.Time
	stream *bufio.Writer // NewStream: frames are written out, not kept
	err    error
}

// New starts a capture at a fixed time so fixtures are reproducible.
func New(link uint32) *Capture {
	return &Capture{Link: link, now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
}

// NewStream starts a capture that writes each frame to w as a pcap record
// at once instead of keeping it, for captures too large for memory. Frame
// editing (Swap, Drop, Fragment...) is not available; Flush ends it.
func NewStream(link uint32, w io.Writer) *Capture {
	c := New(link)
	c.stream = bufio.NewWriterSize(w, 1<<20)
	c.err = writeHeader(c.stream, link)
	return c
}

// Flush writes out what a streaming capture buffered and returns the
// first write error.
func (c *Capture) Flush() error {
	if c.err == nil && c.stream != nil {
		c.err = c.stream.Flush()
	}
	return c.err
}

// Advance moves the capture clock.
func (c *Capture) Advance(d time.Duration) { c.now = c.now.Add(d) }

// Conn is one TCP connection between a client and a server.
type Conn struct {
	cap            *Capture
	Client, Server netip.AddrPort
	cseq, sseq     uint32
}

// Conn creates a connection; call Handshake to open it on the wire.
func (c *Capture) Conn(client, server string) *Conn {
	return &Conn{cap: c, Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server), cseq: 1000, sseq: 50000}
}

// Handshake emits SYN, SYN-ACK, ACK.
func (k *Conn) Handshake() {
	k.seg(true, k.cseq, 0, flags{syn: true}, nil)
	k.cseq++
	k.seg(false, k.sseq, k.cseq, flags{syn: true, ack: true}, nil)
	k.sseq++
	k.seg(true, k.cseq, k.sseq, flags{ack: true}, nil)
}

// Syn emits the client's SYN only (a half-open connection).
func (k *Conn) Syn() {
	k.seg(true, k.cseq, 0, flags{syn: true}, nil)
}

// Send emits data from the client (fromClient) or the server in segments
// of at most mss bytes and returns the indices of the frames emitted.
func (k *Conn) Send(fromClient bool, data []byte, mss int) []int {
	var idx []int
	for len(data) > 0 {
		n := min(mss, len(data))
		idx = append(idx, k.SendSegment(fromClient, data[:n]))
		data = data[n:]
	}
	return idx
}

// SendSegment emits one data segment and returns its frame index.
func (k *Conn) SendSegment(fromClient bool, data []byte) int {
	seq, ack := &k.sseq, k.cseq
	if fromClient {
		seq, ack = &k.cseq, k.sseq
	}
	i := k.seg(fromClient, *seq, ack, flags{ack: true, psh: true}, data)
	*seq += uint32(len(data))
	return i
}

// SkipBytes advances a side's sequence number as if n bytes were sent and
// lost (never captured).
func (k *Conn) SkipBytes(fromClient bool, n int) {
	if fromClient {
		k.cseq += uint32(n)
	} else {
		k.sseq += uint32(n)
	}
}

// SendAt emits a segment at an explicit offset relative to the side's
// current sequence number (negative: overlap or retransmission of earlier
// bytes) without advancing it.
func (k *Conn) SendAt(fromClient bool, offset int, data []byte) int {
	seq, ack := k.sseq, k.cseq
	if fromClient {
		seq, ack = k.cseq, k.sseq
	}
	return k.seg(fromClient, uint32(int(seq)+offset), ack, flags{ack: true, psh: true}, data)
}

// Ack emits an empty ACK.
func (k *Conn) Ack(fromClient bool) {
	if fromClient {
		k.seg(true, k.cseq, k.sseq, flags{ack: true}, nil)
	} else {
		k.seg(false, k.sseq, k.cseq, flags{ack: true}, nil)
	}
}

// Fin closes both directions, initiated by fromClient.
func (k *Conn) Fin(fromClient bool) {
	a, b := fromClient, !fromClient
	k.finOne(a)
	k.finOne(b)
	k.Ack(a)
}

func (k *Conn) finOne(fromClient bool) {
	if fromClient {
		k.seg(true, k.cseq, k.sseq, flags{fin: true, ack: true}, nil)
		k.cseq++
	} else {
		k.seg(false, k.sseq, k.cseq, flags{fin: true, ack: true}, nil)
		k.sseq++
	}
}

// Rst emits a RST from one side.
func (k *Conn) Rst(fromClient bool) {
	if fromClient {
		k.seg(true, k.cseq, k.sseq, flags{rst: true, ack: true}, nil)
	} else {
		k.seg(false, k.sseq, k.cseq, flags{rst: true, ack: true}, nil)
	}
}

type flags struct{ syn, ack, psh, fin, rst bool }

// seg serializes one TCP segment and appends it to the capture.
func (k *Conn) seg(fromClient bool, seq, ack uint32, f flags, payload []byte) int {
	src, dst := k.Client, k.Server
	if !fromClient {
		src, dst = dst, src
	}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), Seq: seq, Ack: ack,
		SYN: f.syn, ACK: f.ack, PSH: f.psh, FIN: f.fin, RST: f.rst, Window: 65535}
	if f.syn {
		tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
	}
	k.cap.Advance(100 * time.Microsecond)
	return k.cap.addIP(src.Addr(), dst.Addr(), tcp, payload)
}

// addIP builds the IP packet and frames it for the capture's link type.
func (c *Capture) addIP(src, dst netip.Addr, tcp *layers.TCP, payload []byte) int {
	ip := c.ipPacket(src, dst, tcp, payload)
	return c.AddFrame(c.frame(ip, src.Is4()))
}

func (c *Capture) ipPacket(src, dst netip.Addr, tcp *layers.TCP, payload []byte) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	if src.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()), Flags: layers.IPv4DontFragment}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(payload))
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(payload))
	}
	if err != nil {
		panic(fmt.Sprintf("pcaptest: serialize: %v", err))
	}
	return bytes.Clone(buf.Bytes())
}

// frame wraps an IP packet in the capture's link layer.
func (c *Capture) frame(ip []byte, v4 bool) []byte {
	etype := layers.EthernetTypeIPv4
	if !v4 {
		etype = layers.EthernetTypeIPv6
	}
	switch c.Link {
	case LinkEthernet:
		var hdr []byte
		hdr = append(hdr, 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1)
		if c.VLAN != 0 {
			hdr = binary.BigEndian.AppendUint16(hdr, uint16(layers.EthernetTypeDot1Q))
			hdr = binary.BigEndian.AppendUint16(hdr, c.VLAN&0x0fff)
		}
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(etype))
		if c.VNI != 0 {
			return vxlan(c.VNI, append(hdr, ip...))
		}
		return append(hdr, ip...)
	case LinkSLL:
		hdr := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(etype))
		return append(hdr, ip...)
	case LinkSLL2:
		hdr := binary.BigEndian.AppendUint16(nil, uint16(etype))
		hdr = append(hdr, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0)
		return append(hdr, ip...)
	case LinkRaw:
		return ip
	case LinkNull:
		fam := uint32(2)
		if !v4 {
			fam = 30
		}
		hdr := binary.LittleEndian.AppendUint32(nil, fam)
		return append(hdr, ip...)
	}
	panic(fmt.Sprintf("pcaptest: link type %v not supported", c.Link))
}

// vxlan wraps an inner Ethernet frame in Ethernet/IPv4/UDP/VXLAN.
func vxlan(vni uint32, inner []byte) []byte {
	vx := []byte{0x08, 0, 0, 0, byte(vni >> 16), byte(vni >> 8), byte(vni), 0}
	buf := gopacket.NewSerializeBuffer()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{192, 0, 2, 2}}
	// The source port comes from a hash of the inner addresses and ports, in the order of
	// the packet, as VXLAN senders derive it: the two directions of a flow differ.
	h := uint32(2166136261)
	if len(inner) >= 14+40 {
		for _, b := range inner[14+12 : 14+24] {
			h = (h ^ uint32(b)) * 16777619
		}
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(49152 + h%16384), DstPort: 4789}
	_ = udp.SetNetworkLayerForChecksum(ip)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 0x11}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 0x12}, EthernetType: layers.EthernetTypeIPv4}
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(append(vx, inner...)))
	if err != nil {
		panic(fmt.Sprintf("pcaptest: serialize VXLAN: %v", err))
	}
	return bytes.Clone(buf.Bytes())
}

// AddFrame appends a raw frame at the current time.
func (c *Capture) AddFrame(data []byte) int {
	if c.stream != nil {
		if c.err == nil {
			c.err = writeRecord(c.stream, Frame{TS: c.now, Data: data})
		}
		return -1
	}
	c.Frames = append(c.Frames, Frame{TS: c.now, Data: data})
	return len(c.Frames) - 1
}

// Swap exchanges the positions (not the timestamps) of frames i and j:
// the capture then holds them out of order.
func (c *Capture) Swap(i, j int) {
	c.Frames[i].Data, c.Frames[j].Data = c.Frames[j].Data, c.Frames[i].Data
}

// Duplicate re-emits frame i at the end (a retransmission).
func (c *Capture) Duplicate(i int) {
	c.Advance(200 * time.Millisecond)
	c.AddFrame(bytes.Clone(c.Frames[i].Data))
}

// Drop removes frame i (a loss the capture never saw).
func (c *Capture) Drop(i int) {
	c.Frames = append(c.Frames[:i], c.Frames[i+1:]...)
}

// Fragment replaces frame i, an IPv4 packet on Ethernet without VLAN, by
// IP fragments of at most size payload bytes (a multiple of 8), emitted in
// reverse order to exercise reassembly.
func (c *Capture) Fragment(i, size int) {
	f := c.Frames[i]
	eth, ip := f.Data[:14], f.Data[14:]
	ihl := int(ip[0]&0x0f) * 4
	hdr, body := ip[:ihl], ip[ihl:]
	var frags [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		h := bytes.Clone(hdr)
		binary.BigEndian.PutUint16(h[2:], uint16(ihl+end-off))
		fo := uint16(off / 8)
		if end < len(body) {
			fo |= 0x2000
		}
		binary.BigEndian.PutUint16(h[6:], fo)
		h[10], h[11] = 0, 0
		binary.BigEndian.PutUint16(h[10:], ipChecksum(h))
		frags = append(frags, append(append(bytes.Clone(eth), h...), body[off:end]...))
	}
	var out []Frame
	out = append(out, c.Frames[:i]...)
	for j := len(frags) - 1; j >= 0; j-- {
		out = append(out, Frame{TS: f.TS, Data: frags[j]})
	}
	c.Frames = append(out, c.Frames[i+1:]...)
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// SortByTime orders frames by timestamp (stable).
func (c *Capture) SortByTime() {
	sort.SliceStable(c.Frames, func(i, j int) bool { return c.Frames[i].TS.Before(c.Frames[j].TS) })
}

// WriteFile writes the capture as a classic pcap file with nanosecond
// timestamps. (pcapgo's writer takes a uint8 link type, too small for
// LINKTYPE_LINUX_SLL2.)
func (c *Capture) WriteFile(path string) error {
	var b bytes.Buffer
	if err := writeHeader(&b, c.Link); err != nil {
		return err
	}
	for _, fr := range c.Frames {
		if err := writeRecord(&b, fr); err != nil {
			return err
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	return nil
}

func writeHeader(w io.Writer, link uint32) error {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b23c4d)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], link)
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("write pcap header: %w", err)
	}
	return nil
}

func writeRecord(w io.Writer, fr Frame) error {
	var rec [16]byte
	ns := fr.TS.UnixNano()
	binary.LittleEndian.PutUint32(rec[0:], uint32(ns/1e9))
	binary.LittleEndian.PutUint32(rec[4:], uint32(ns%1e9))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(fr.Data)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(fr.Data)))
	if _, err := w.Write(rec[:]); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	if _, err := w.Write(fr.Data); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	return nil
}
