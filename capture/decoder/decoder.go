package decoder

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/apitap/apitap/capture"
)

// Config bounds the decoder's memory. The zero value of a field means its default.
type Config struct {
	// MaxFragmentDatagrams is how many IPv4 datagrams may be in reassembly at once; fragments
	// of further datagrams are shed and counted (ReasonFragmentShed). Default 4096.
	MaxFragmentDatagrams int
	// MaxFragmentBytes bounds the bytes buffered for datagrams in reassembly; fragments that
	// would exceed it are shed. Default 64 MiB.
	MaxFragmentBytes int
	// FragmentTimeout is how long, in capture time, a datagram may wait for its missing
	// fragments before it is dropped (ReasonFragmentTimeout). Default 30s.
	FragmentTimeout time.Duration
}

// DefaultConfig returns the defaults: 4096 datagrams, 64 MiB, 30s.
func DefaultConfig() Config {
	return Config{MaxFragmentDatagrams: 4096, MaxFragmentBytes: 64 << 20, FragmentTimeout: 30 * time.Second}
}

// Validate reports fields that are out of range.
func (c Config) Validate() error {
	var errs []error
	if c.MaxFragmentDatagrams < 0 {
		errs = append(errs, fmt.Errorf("max fragment datagrams %d: must not be negative", c.MaxFragmentDatagrams))
	}
	if c.MaxFragmentBytes < 0 {
		errs = append(errs, fmt.Errorf("max fragment bytes %d: must not be negative", c.MaxFragmentBytes))
	}
	if c.FragmentTimeout < 0 {
		errs = append(errs, fmt.Errorf("fragment timeout %v: must not be negative", c.FragmentTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.MaxFragmentDatagrams <= 0 {
		c.MaxFragmentDatagrams = def.MaxFragmentDatagrams
	}
	if c.MaxFragmentBytes <= 0 {
		c.MaxFragmentBytes = def.MaxFragmentBytes
	}
	if c.FragmentTimeout <= 0 {
		c.FragmentTimeout = def.FragmentTimeout
	}
	return c
}

// Segment is one decoded TCP segment.
type Segment struct {
	// Net is the network flow (IPv4 or IPv6, source to destination), as reassembly expects.
	Net gopacket.Flow
	// TCP is the decoded TCP header; TCP.Payload points into the frame, or into the
	// decoder's buffer for a reassembled IPv4 datagram.
	TCP layers.TCP
	// VLAN is the outermost 802.1Q VLAN id, 0 if none; reassembly's own key ignores it, so
	// callers add it to their connection key.
	VLAN uint16
	// VNI is the VXLAN network identifier when the segment was decapsulated from VXLAN
	// (UDP port 4789), else 0. For inner IPv4, Net has endpoint type EndpointIPv4VNI so
	// that identical addresses in different VNIs are different flows.
	VNI uint32
	// Timestamp is the capture time of the frame (of the last fragment, when reassembled).
	Timestamp time.Time
}

// Reason says why a frame yielded no segment.
type Reason uint8

// Reasons. Each frame that yields no segment is counted under exactly one, except
// ReasonFragmentTimeout, which counts datagrams whose fragments were counted as pending.
const (
	ReasonUnsupportedLink Reason = iota // link type the decoder does not parse
	ReasonNotIP                         // ARP, LLDP and other non-IP frames
	ReasonNotTCP                        // UDP, ICMP and other IP protocols
	ReasonTruncated                     // frame shorter than its headers say (snap length)
	ReasonBadHeader                     // header fields that cannot be
	ReasonFragmentPending               // IPv4 fragment held for reassembly: not a loss
	ReasonFragmentShed                  // IPv4 fragment refused: reassembly table full
	ReasonFragmentTimeout               // IPv4 datagram dropped incomplete after FragmentTimeout
	ReasonIPv6Fragment                  // IPv6 fragment: not reassembled
	ReasonBadVXLAN                      // UDP 4789 datagram that is not valid VXLAN
	NumReasons
)

var reasonNames = [NumReasons]string{
	"unsupported_link", "not_ip", "not_tcp", "truncated", "bad_header",
	"fragment_pending", "fragment_shed", "fragment_timeout", "ipv6_fragment", "bad_vxlan",
}

// String returns the reason's metric label, such as "not_tcp".
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Stats counts what the decoder saw.
type Stats struct {
	Frames uint64 // frames passed to Decode
	TCP    uint64 // segments returned
	VXLAN  uint64 // frames decapsulated from VXLAN (whatever they carried)
	// TCPPayloadBytes sums the TCP payload bytes of the segments returned.
	TCPPayloadBytes uint64
	Reasons         [NumReasons]uint64 // frames (datagrams for ReasonFragmentTimeout) by reason
}

// All yields every reason with its count, zero counts included, in Reason order.
func (s Stats) All() iter.Seq2[Reason, uint64] {
	return func(yield func(Reason, uint64) bool) {
		for r := range NumReasons {
			if !yield(r, s.Reasons[r]) {
				return
			}
		}
	}
}

// Dropped returns the frames lost for good: every reason but ReasonFragmentPending and
// ReasonFragmentTimeout (whose frames were already counted as pending).
func (s Stats) Dropped() uint64 {
	var n uint64
	for r, c := range s.All() {
		if r != ReasonFragmentPending && r != ReasonFragmentTimeout {
			n += c
		}
	}
	return n
}

// Decoder decodes frames into TCP segments. Use one per goroutine: it is not safe for
// concurrent use.
type Decoder struct {
	seg    Segment
	vni    uint32 // VNI of the frame being decoded, 0 outside VXLAN
	inner  bool   // decoding a VXLAN payload: no further decapsulation
	stats  Stats
	defrag defragmenter
}

// New returns a decoder. Fields of cfg that are zero or negative take their defaults.
func New(cfg Config) *Decoder {
	cfg = cfg.withDefaults()
	return &Decoder{defrag: newDefragmenter(cfg)}
}

// Stats returns the counters so far.
func (d *Decoder) Stats() Stats {
	s := d.stats
	s.Reasons[ReasonFragmentTimeout] = d.defrag.timedOut
	return s
}

// EtherTypes the decoder follows.
const (
	etherTypeIPv4  = 0x0800
	etherTypeIPv6  = 0x86dd
	etherTypeVLAN  = 0x8100 // 802.1Q
	etherTypeQinQ  = 0x88a8 // 802.1ad service tag
	etherTypeQinQ2 = 0x9100 // pre-standard QinQ
)

// Link types by number: raw IP as some platforms write it (DLT_RAW is 12 or 14).
const (
	linkTypeRaw12 layers.LinkType = 12
	linkTypeRaw14 layers.LinkType = 14
)

// fastPath enables Decode's inline path for the common frame; tests turn
// it off to compare both paths.
var fastPath = true

func (d *Decoder) drop(r Reason) *Segment {
	d.stats.Reasons[r]++
	return nil
}

// Decode decodes one frame of the given link type. It returns a segment valid until the next
// Decode call, or nil when the frame carries no TCP segment (counted by reason in Stats).
func (d *Decoder) Decode(data []byte, lt layers.LinkType, ci gopacket.CaptureInfo) *Segment {
	return d.DecodeAt(data, lt, ci.Timestamp)
}

// DecodeAt is Decode for a frame captured at ts, the one field of its capture info the
// decoder uses. The hot path calls it: the whole capture info is too large to be passed in
// registers, and copying it for every frame shows in profiles.
func (d *Decoder) DecodeAt(data []byte, lt layers.LinkType, ts time.Time) *Segment {
	d.stats.Frames++
	d.defrag.release()
	d.vni, d.inner = 0, false
	// The common frame first, inline: Ethernet, IPv4 without options,
	// not a fragment, TCP. Anything else (or anything odd about these)
	// takes the general path below, which gives the same result for them.
	if fastPath && lt == layers.LinkTypeEthernet && len(data) >= 14+20+20 && data[12] == etherTypeIPv4>>8 && data[13] == etherTypeIPv4&0xff &&
		data[14] == 0x45 && data[14+9] == uint8(layers.IPProtocolTCP) {
		ip := data[14:]
		if total := int(binary.BigEndian.Uint16(ip[2:4])); total >= 20+20 && total <= len(ip) && binary.BigEndian.Uint16(ip[6:8])&0x3fff == 0 {
			d.seg.Net = gopacket.NewFlow(layers.EndpointIPv4, ip[12:16], ip[16:20])
			return d.tcp(ip[20:total], 0, ts)
		}
	}
	var etherType uint16
	switch lt {
	case layers.LinkTypeEthernet:
		return d.ethernet(data, ts)
	case layers.LinkTypeLinuxSLL:
		if len(data) < 16 {
			return d.drop(ReasonTruncated)
		}
		etherType, data = binary.BigEndian.Uint16(data[14:16]), data[16:]
	case capture.LinkTypeLinuxSLL2:
		// protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) addrlen(1) addr(8)
		if len(data) < 20 {
			return d.drop(ReasonTruncated)
		}
		etherType, data = binary.BigEndian.Uint16(data[0:2]), data[20:]
	case layers.LinkTypeRaw, linkTypeRaw12, linkTypeRaw14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		if len(data) == 0 {
			return d.drop(ReasonTruncated)
		}
		switch data[0] >> 4 {
		case 4:
			return d.ipv4(data, 0, ts)
		case 6:
			return d.ipv6(data, 0, ts)
		}
		return d.drop(ReasonNotIP)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(data) < 4 {
			return d.drop(ReasonTruncated)
		}
		// Null holds the family in the capturing host's byte order, Loop in network order.
		family := binary.BigEndian.Uint32(data)
		if lt == layers.LinkTypeNull && family&0xffff0000 != 0 {
			family = binary.LittleEndian.Uint32(data)
		}
		data = data[4:]
		switch family {
		case 2: // AF_INET everywhere
			return d.ipv4(data, 0, ts)
		case 10, 23, 24, 28, 30: // AF_INET6: Linux, Windows, Net/OpenBSD, FreeBSD, Darwin
			return d.ipv6(data, 0, ts)
		}
		return d.drop(ReasonNotIP)
	default:
		return d.drop(ReasonUnsupportedLink)
	}
	return d.vlan(etherType, data, ts)
}

// ethernet decodes an Ethernet frame.
func (d *Decoder) ethernet(data []byte, ts time.Time) *Segment {
	if len(data) < 14 {
		return d.drop(ReasonTruncated)
	}
	return d.vlan(binary.BigEndian.Uint16(data[12:14]), data[14:], ts)
}

// vlan skips VLAN tags after a link header and decodes the IP packet.
func (d *Decoder) vlan(etherType uint16, data []byte, ts time.Time) *Segment {
	var vlan uint16
	for tagged := false; etherType == etherTypeVLAN || etherType == etherTypeQinQ || etherType == etherTypeQinQ2; tagged = true {
		if len(data) < 4 {
			return d.drop(ReasonTruncated)
		}
		if !tagged {
			vlan = binary.BigEndian.Uint16(data[0:2]) & 0x0fff
		}
		etherType, data = binary.BigEndian.Uint16(data[2:4]), data[4:]
	}
	switch etherType {
	case etherTypeIPv4:
		return d.ipv4(data, vlan, ts)
	case etherTypeIPv6:
		return d.ipv6(data, vlan, ts)
	}
	return d.drop(ReasonNotIP)
}

func (d *Decoder) ipv4(b []byte, vlan uint16, ts time.Time) *Segment {
	if len(b) < 20 {
		return d.drop(ReasonTruncated)
	}
	if b[0]>>4 != 4 {
		return d.drop(ReasonBadHeader)
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 {
		return d.drop(ReasonBadHeader)
	}
	if len(b) < ihl {
		return d.drop(ReasonTruncated)
	}
	switch total := int(binary.BigEndian.Uint16(b[2:4])); {
	case total == 0:
		// Captured before segmentation offload (TSO) on the sending host: the NIC fills it in.
	case total < ihl:
		return d.drop(ReasonBadHeader)
	case total > len(b):
		return d.drop(ReasonTruncated)
	default:
		b = b[:total] // drop Ethernet padding
	}
	frag := binary.BigEndian.Uint16(b[6:8])
	if b[9] != uint8(layers.IPProtocolTCP) {
		if b[9] == uint8(layers.IPProtocolUDP) && frag&0x3fff == 0 {
			return d.udp(b[ihl:], ts)
		}
		return d.drop(ReasonNotTCP)
	}
	if frag&0x3fff != 0 { // MF or an offset
		payload, r := d.defrag.add(b, ihl, frag, ts)
		if payload == nil {
			return d.drop(r)
		}
		d.seg.Net = d.flow4(b[12:16], b[16:20])
		return d.tcp(payload, vlan, ts)
	}
	d.seg.Net = d.flow4(b[12:16], b[16:20])
	return d.tcp(b[ihl:], vlan, ts)
}

// EndpointIPv4VNI is the endpoint type of an IPv4 address inside a VXLAN network: four
// address bytes followed by the VNI (big endian, four bytes).
var EndpointIPv4VNI = gopacket.RegisterEndpointType(1001, gopacket.EndpointTypeMetadata{
	Name: "IPv4VNI",
	Formatter: func(b []byte) string {
		if len(b) != 8 {
			return fmt.Sprintf("ipv4vni(%x)", b)
		}
		return fmt.Sprintf("%d.%d.%d.%d/vni%d", b[0], b[1], b[2], b[3], binary.BigEndian.Uint32(b[4:]))
	},
})

// flow4 is the network flow of an IPv4 packet, with the VNI when inside VXLAN.
func (d *Decoder) flow4(src, dst []byte) gopacket.Flow {
	if d.vni == 0 {
		return gopacket.NewFlow(layers.EndpointIPv4, src, dst)
	}
	var s, t [8]byte
	copy(s[:], src)
	copy(t[:], dst)
	binary.BigEndian.PutUint32(s[4:], d.vni)
	binary.BigEndian.PutUint32(t[4:], d.vni)
	return gopacket.NewFlow(EndpointIPv4VNI, s[:], t[:])
}

// EndpointIPv6VNI is the endpoint type of an IPv6 address inside a VXLAN network. A
// gopacket endpoint holds 16 bytes, so the VNI is folded into the address: XOR with a
// 16-byte mask derived from the VNI (a different mask for every VNI). The same addresses
// in two networks are two flows; UnmaskIPv6VNI gives the address back. Two different
// address pairs collide only when they differ by exactly the XOR of two networks' masks.
var EndpointIPv6VNI = gopacket.RegisterEndpointType(1002, gopacket.EndpointTypeMetadata{
	Name: "IPv6VNI",
	Formatter: func(b []byte) string {
		return fmt.Sprintf("ipv6vni(%x)", b)
	},
})

// vniMask is the mask of a VNI for EndpointIPv6VNI: two splitmix64 outputs, which differ
// for every two VNIs.
func vniMask(vni uint32) (m [16]byte) {
	x := uint64(vni)
	for i := 0; i < 16; i += 8 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(m[i:], z^z>>31)
	}
	return m
}

// UnmaskIPv6VNI returns the IPv6 address of an EndpointIPv6VNI endpoint's raw bytes in
// VXLAN network vni.
func UnmaskIPv6VNI(raw []byte, vni uint32) netip.Addr {
	if len(raw) != 16 {
		return netip.Addr{}
	}
	m := vniMask(vni)
	for i := range m {
		m[i] ^= raw[i]
	}
	return netip.AddrFrom16(m)
}

// flow6 is the network flow of an IPv6 packet, with the VNI folded in when inside VXLAN.
func (d *Decoder) flow6(src, dst []byte) gopacket.Flow {
	if d.vni == 0 {
		return gopacket.NewFlow(layers.EndpointIPv6, src, dst)
	}
	m := vniMask(d.vni)
	var s, t [16]byte
	for i := range m {
		s[i], t[i] = src[i]^m[i], dst[i]^m[i]
	}
	return gopacket.NewFlow(EndpointIPv6VNI, s[:], t[:])
}

// VXLANPort is the IANA port of VXLAN (RFC 7348), which AWS and GCP traffic mirroring use.
const VXLANPort = 4789

// udp decapsulates VXLAN; any other UDP is not TCP.
func (d *Decoder) udp(b []byte, ts time.Time) *Segment {
	if len(b) < 8 || binary.BigEndian.Uint16(b[2:4]) != VXLANPort || d.inner {
		return d.drop(ReasonNotTCP)
	}
	vx := b[8:]
	// flags(1) reserved(3) VNI(3) reserved(1); the I flag says the VNI is valid.
	if len(vx) < 8 {
		return d.drop(ReasonBadVXLAN)
	}
	if vx[0]&0x08 == 0 {
		return d.drop(ReasonBadVXLAN)
	}
	d.inner = true
	d.vni = uint32(vx[4])<<16 | uint32(vx[5])<<8 | uint32(vx[6])
	d.stats.VXLAN++
	return d.ethernet(vx[8:], ts)
}

// IPv6 next-header values the decoder walks through.
const (
	ipv6HopByHop = 0
	ipv6Routing  = 43
	ipv6Fragment = 44
	ipv6AH       = 51
	ipv6DestOpts = 60
)

func (d *Decoder) ipv6(b []byte, vlan uint16, ts time.Time) *Segment {
	if len(b) < 40 {
		return d.drop(ReasonTruncated)
	}
	if b[0]>>4 != 6 {
		return d.drop(ReasonBadHeader)
	}
	if plen := int(binary.BigEndian.Uint16(b[4:6])); plen != 0 { // 0: jumbogram or TSO
		if 40+plen > len(b) {
			return d.drop(ReasonTruncated)
		}
		b = b[:40+plen]
	}
	next, p := b[6], b[40:]
	// Every extension header is at least 8 bytes, so the walk ends.
	for {
		switch next {
		case uint8(layers.IPProtocolTCP):
			d.seg.Net = d.flow6(b[8:24], b[24:40])
			return d.tcp(p, vlan, ts)
		case uint8(layers.IPProtocolUDP):
			return d.udp(p, ts)
		case ipv6HopByHop, ipv6Routing, ipv6DestOpts, ipv6AH:
			if len(p) < 8 {
				return d.drop(ReasonTruncated)
			}
			n := (int(p[1]) + 1) * 8
			if next == ipv6AH {
				n = (int(p[1]) + 2) * 4
			}
			if len(p) < n {
				return d.drop(ReasonTruncated)
			}
			next, p = p[0], p[n:]
		case ipv6Fragment:
			if len(p) < 8 {
				return d.drop(ReasonTruncated)
			}
			if binary.BigEndian.Uint16(p[2:4])&0xfff9 != 0 { // offset or M set: a real fragment
				return d.drop(ReasonIPv6Fragment)
			}
			next, p = p[0], p[8:] // atomic fragment: the whole datagram is here
		default:
			return d.drop(ReasonNotTCP)
		}
	}
}

func (d *Decoder) tcp(b []byte, vlan uint16, ts time.Time) *Segment {
	// Check what layers.TCP would reject first: its errors allocate.
	if len(b) < 20 {
		return d.drop(ReasonTruncated)
	}
	off := int(b[12]>>4) * 4
	if off < 20 {
		return d.drop(ReasonBadHeader)
	}
	if off > len(b) {
		return d.drop(ReasonTruncated)
	}
	if err := d.seg.TCP.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		return d.drop(ReasonBadHeader) // malformed options
	}
	d.seg.VLAN = vlan
	d.seg.VNI = d.vni
	d.seg.Timestamp = ts
	d.stats.TCP++
	d.stats.TCPPayloadBytes += uint64(len(d.seg.TCP.Payload))
	return &d.seg
}
