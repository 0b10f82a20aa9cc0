package decoder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/apitap/apitap/capture"
	"github.com/apitap/apitap/capture/pcapfile"
	"github.com/apitap/apitap/internal/cputime"
)

const corpusDir = "../../../shared/corpus/suricata-verify"

var (
	ts      = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ci      = gopacket.CaptureInfo{Timestamp: ts}
	srcMAC  = net.HardwareAddr{0, 1, 2, 3, 4, 5}
	dstMAC  = net.HardwareAddr{6, 7, 8, 9, 10, 11}
	src4    = net.IP{10, 0, 0, 1}
	dst4    = net.IP{10, 0, 0, 2}
	src6    = net.ParseIP("2001:db8::1")
	dst6    = net.ParseIP("2001:db8::2")
	payload = []byte("GET /api/v2/orders/17 HTTP/1.1\r\nHost: api.shop.test\r\n\r\n")
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

func tcpLayer() *layers.TCP {
	return &layers.TCP{SrcPort: 51000, DstPort: 80, Seq: 1000, Ack: 2000, PSH: true, ACK: true, Window: 512,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)}}}
}

func ip4Layer(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 77, Protocol: proto, SrcIP: src4, DstIP: dst4}
}

// ipv4TCP returns an IPv4 packet carrying a TCP segment with p as payload.
func ipv4TCP(t testing.TB, p []byte) []byte {
	ip, tcp := ip4Layer(layers.IPProtocolTCP), tcpLayer()
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tcp, gopacket.Payload(p))
}

func ipv6TCP(t testing.TB, p []byte) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src6, DstIP: dst6}
	tcp := tcpLayer()
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tcp, gopacket.Payload(p))
}

// withIPv6Ext inserts extension headers (each given as next-header-less body of n*8 bytes)
// between the IPv6 header and its payload.
func withIPv6Ext(pkt []byte, exts ...struct {
	proto uint8
	body  []byte
}) []byte {
	out := bytes.Clone(pkt[:40])
	next := out[6]
	var chain []byte
	for i := len(exts) - 1; i >= 0; i-- {
		e := exts[i]
		h := append([]byte{next, byte((len(e.body)+2)/8 - 1)}, e.body...)
		if e.proto == 44 {
			h = append([]byte{next, 0}, e.body...)
		}
		chain = append(h, chain...)
		next = e.proto
	}
	out[6] = next
	out = append(out, chain...)
	out = append(out, pkt[40:]...)
	binary.BigEndian.PutUint16(out[4:6], uint16(len(out)-40))
	return out
}

func ether(t testing.TB, et layers.EthernetType, rest []byte, tags ...uint16) []byte {
	var ls []gopacket.SerializableLayer
	eth := &layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: et}
	ls = append(ls, eth)
	if len(tags) > 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		if len(tags) > 1 {
			eth.EthernetType = layers.EthernetTypeQinQ
		}
		for i, id := range tags {
			next := et
			if i < len(tags)-1 {
				next = layers.EthernetTypeDot1Q
			}
			ls = append(ls, &layers.Dot1Q{VLANIdentifier: id, Type: next})
		}
	}
	ls = append(ls, gopacket.Payload(rest))
	return serialize(t, ls...)
}

func sll(proto uint16, rest []byte) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:], 0) // to us
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], srcMAC)
	binary.BigEndian.PutUint16(h[14:], proto)
	return append(h, rest...)
}

func sll2(proto uint16, rest []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], proto)
	binary.BigEndian.PutUint32(h[4:], 3) // ifindex
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10], h[11] = 0, 6
	copy(h[12:], srcMAC)
	return append(h, rest...)
}

func loop(order binary.ByteOrder, family uint32, rest []byte) []byte {
	h := make([]byte, 4)
	order.PutUint32(h, family)
	return append(h, rest...)
}

func TestDecode(t *testing.T) {
	v4 := ipv4TCP(t, payload)
	v6 := ipv6TCP(t, payload)
	pad := struct {
		proto uint8
		body  []byte
	}{60, []byte{1, 4, 0, 0, 0, 0}} // destination options: PadN
	hop := struct {
		proto uint8
		body  []byte
	}{0, []byte{1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} // hop-by-hop: PadN, 16 bytes
	atomicFrag := struct {
		proto uint8
		body  []byte
	}{44, []byte{0, 0, 0, 0, 0, 9}} // offset 0, M clear
	tests := []struct {
		name string
		lt   layers.LinkType
		data []byte
		net  string
		vlan uint16
	}{
		{"ethernet ipv4", layers.LinkTypeEthernet, ether(t, layers.EthernetTypeIPv4, v4), "10.0.0.1->10.0.0.2", 0},
		{"ethernet ipv4 padded", layers.LinkTypeEthernet, append(ether(t, layers.EthernetTypeIPv4, v4), 0, 0, 0, 0), "10.0.0.1->10.0.0.2", 0},
		{"ethernet ipv6", layers.LinkTypeEthernet, ether(t, layers.EthernetTypeIPv6, v6), "2001:db8::1->2001:db8::2", 0},
		{"802.1Q", layers.LinkTypeEthernet, ether(t, layers.EthernetTypeIPv4, v4, 42), "10.0.0.1->10.0.0.2", 42},
		{"QinQ", layers.LinkTypeEthernet, ether(t, layers.EthernetTypeIPv4, v4, 100, 42), "10.0.0.1->10.0.0.2", 100},
		{"QinQ ipv6", layers.LinkTypeEthernet, ether(t, layers.EthernetTypeIPv6, v6, 7, 8), "2001:db8::1->2001:db8::2", 7},
		{"SLL ipv4", layers.LinkTypeLinuxSLL, sll(0x0800, v4), "10.0.0.1->10.0.0.2", 0},
		{"SLL ipv6", layers.LinkTypeLinuxSLL, sll(0x86dd, v6), "2001:db8::1->2001:db8::2", 0},
		{"SLL2 ipv4", capture.LinkTypeLinuxSLL2, sll2(0x0800, v4), "10.0.0.1->10.0.0.2", 0},
		{"SLL2 ipv6", capture.LinkTypeLinuxSLL2, sll2(0x86dd, v6), "2001:db8::1->2001:db8::2", 0},
		{"raw 101 ipv4", layers.LinkTypeRaw, v4, "10.0.0.1->10.0.0.2", 0},
		{"raw 101 ipv6", layers.LinkTypeRaw, v6, "2001:db8::1->2001:db8::2", 0},
		{"raw 12", 12, v4, "10.0.0.1->10.0.0.2", 0},
		{"raw 14", 14, v6, "2001:db8::1->2001:db8::2", 0},
		{"LINKTYPE_IPV4", layers.LinkTypeIPv4, v4, "10.0.0.1->10.0.0.2", 0},
		{"LINKTYPE_IPV6", layers.LinkTypeIPv6, v6, "2001:db8::1->2001:db8::2", 0},
		{"null LE ipv4", layers.LinkTypeNull, loop(binary.LittleEndian, 2, v4), "10.0.0.1->10.0.0.2", 0},
		{"null BE ipv4", layers.LinkTypeNull, loop(binary.BigEndian, 2, v4), "10.0.0.1->10.0.0.2", 0},
		{"null darwin ipv6", layers.LinkTypeNull, loop(binary.LittleEndian, 30, v6), "2001:db8::1->2001:db8::2", 0},
		{"null freebsd ipv6", layers.LinkTypeNull, loop(binary.LittleEndian, 28, v6), "2001:db8::1->2001:db8::2", 0},
		{"openbsd loop ipv6", layers.LinkTypeLoop, loop(binary.BigEndian, 24, v6), "2001:db8::1->2001:db8::2", 0},
		{"ipv6 dest options", layers.LinkTypeRaw, withIPv6Ext(v6, pad), "2001:db8::1->2001:db8::2", 0},
		{"ipv6 hop-by-hop + dest options", layers.LinkTypeRaw, withIPv6Ext(v6, hop, pad), "2001:db8::1->2001:db8::2", 0},
		{"ipv6 atomic fragment", layers.LinkTypeRaw, withIPv6Ext(v6, atomicFrag), "2001:db8::1->2001:db8::2", 0},
		{"ipv4 TSO total length 0", layers.LinkTypeRaw, func() []byte { b := bytes.Clone(v4); b[2], b[3] = 0, 0; return b }(), "10.0.0.1->10.0.0.2", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(DefaultConfig())
			seg := d.Decode(tt.data, tt.lt, ci)
			if seg == nil {
				t.Fatalf("no segment; stats %+v", d.Stats())
			}
			if got := seg.Net.String(); got != tt.net {
				t.Errorf("Net = %s, want %s", got, tt.net)
			}
			if seg.TCP.SrcPort != 51000 || seg.TCP.DstPort != 80 || seg.TCP.Seq != 1000 || !seg.TCP.PSH || !seg.TCP.ACK {
				t.Errorf("TCP header = %+v", seg.TCP)
			}
			if !bytes.Equal(seg.TCP.Payload, payload) {
				t.Errorf("payload = %q, want %q", seg.TCP.Payload, payload)
			}
			if seg.VLAN != tt.vlan {
				t.Errorf("VLAN = %d, want %d", seg.VLAN, tt.vlan)
			}
			if !seg.Timestamp.Equal(ts) {
				t.Errorf("Timestamp = %v", seg.Timestamp)
			}
			if st := d.Stats(); st.Frames != 1 || st.TCP != 1 || st.Dropped() != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestDecodeDrops(t *testing.T) {
	v4 := ipv4TCP(t, payload)
	v6 := ipv6TCP(t, payload)
	eth := ether(t, layers.EthernetTypeIPv4, v4)
	udp := func() []byte {
		ip := ip4Layer(layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: 5353, DstPort: 53}
		u.SetNetworkLayerForChecksum(ip)
		return serialize(t, ip, u, gopacket.Payload("x"))
	}()
	arp := serialize(t, &layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: srcMAC, SourceProtAddress: src4, DstHwAddress: make([]byte, 6), DstProtAddress: dst4})
	badOffset := bytes.Clone(v4)
	badOffset[20+12] = 3 << 4 // TCP data offset 12 bytes
	badOption := bytes.Clone(v4)
	badOption[20+22] = 1 // timestamps option length 1
	badIHL := bytes.Clone(v4)
	badIHL[0] = 0x44
	ipv6Frag := withIPv6Ext(v6, struct {
		proto uint8
		body  []byte
	}{44, []byte{0, 1, 0, 0, 0, 9}}) // more fragments
	tests := []struct {
		name string
		lt   layers.LinkType
		data []byte
		want Reason
	}{
		{"unsupported link", layers.LinkTypeIEEE802_11, eth, ReasonUnsupportedLink},
		{"ARP", layers.LinkTypeEthernet, arp, ReasonNotIP},
		{"UDP", layers.LinkTypeRaw, udp, ReasonNotTCP},
		{"UDP in ethernet", layers.LinkTypeEthernet, ether(t, layers.EthernetTypeIPv4, udp), ReasonNotTCP},
		{"raw not IP", layers.LinkTypeRaw, []byte{0x15, 1, 2, 3}, ReasonNotIP},
		{"null unknown family", layers.LinkTypeNull, loop(binary.LittleEndian, 17, v4), ReasonNotIP},
		{"empty frame", layers.LinkTypeEthernet, nil, ReasonTruncated},
		{"ethernet cut", layers.LinkTypeEthernet, eth[:10], ReasonTruncated},
		{"vlan tag cut", layers.LinkTypeEthernet, ether(t, layers.EthernetTypeIPv4, v4, 5)[:16], ReasonTruncated},
		{"ipv4 header cut", layers.LinkTypeEthernet, eth[:14+12], ReasonTruncated},
		{"tcp header cut", layers.LinkTypeEthernet, eth[:14+20+10], ReasonTruncated},
		{"tcp options cut", layers.LinkTypeEthernet, eth[:14+20+24], ReasonTruncated},
		{"ipv4 snap length", layers.LinkTypeEthernet, eth[:len(eth)-5], ReasonTruncated},
		{"ipv6 header cut", layers.LinkTypeRaw, v6[:30], ReasonTruncated},
		{"ipv6 snap length", layers.LinkTypeRaw, v6[:len(v6)-1], ReasonTruncated},
		{"SLL cut", layers.LinkTypeLinuxSLL, sll(0x0800, nil)[:12], ReasonTruncated},
		{"SLL2 cut", capture.LinkTypeLinuxSLL2, sll2(0x0800, nil)[:12], ReasonTruncated},
		{"tcp data offset < 5", layers.LinkTypeRaw, badOffset, ReasonBadHeader},
		{"tcp option length", layers.LinkTypeRaw, badOption, ReasonBadHeader},
		{"ipv4 header beyond total length", layers.LinkTypeRaw, func() []byte { b := bytes.Clone(v4); b[2], b[3] = 0, 16; return b }(), ReasonBadHeader},
		{"ipv4 ihl past tcp", layers.LinkTypeRaw, badIHL, ReasonBadHeader},
		{"ipv6 version 4 in 86dd", layers.LinkTypeEthernet, ether(t, layers.EthernetTypeIPv6, append(bytes.Clone(v4), make([]byte, 40)...)), ReasonBadHeader},
		{"ipv6 fragment", layers.LinkTypeRaw, ipv6Frag, ReasonIPv6Fragment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(DefaultConfig())
			if seg := d.Decode(tt.data, tt.lt, ci); seg != nil {
				t.Fatalf("got a segment: %+v", seg)
			}
			st := d.Stats()
			if st.Reasons[tt.want] != 1 || st.Frames != 1 || st.TCP != 0 {
				var got []string
				for r, n := range st.All() {
					if n > 0 {
						got = append(got, r.String())
					}
				}
				t.Errorf("counted %v, want %s", got, tt.want)
			}
		})
	}
}

// fragment splits an IPv4 packet into fragments carrying at most size payload bytes each.
func fragment(pkt []byte, size int) [][]byte {
	ihl := int(pkt[0]&0x0f) * 4
	body := pkt[ihl:]
	var out [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		f := append(bytes.Clone(pkt[:ihl]), body[off:end]...)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		field := uint16(off / 8)
		if end < len(body) {
			field |= 0x2000
		}
		binary.BigEndian.PutUint16(f[6:], field)
		out = append(out, f)
	}
	return out
}

func TestDefragment(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 40) // 640 bytes
	pkt := ipv4TCP(t, big)
	frags := fragment(pkt, 88) // 8 fragments
	tests := []struct {
		name  string
		order []int
	}{
		{"in order", []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"reversed", []int{7, 6, 5, 4, 3, 2, 1, 0}},
		{"shuffled", []int{3, 7, 0, 5, 1, 6, 2, 4}},
		{"with duplicates", []int{1, 1, 0, 7, 3, 3, 2, 4, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(DefaultConfig())
			for i, k := range tt.order {
				seg := d.Decode(ether(t, layers.EthernetTypeIPv4, frags[k], 9), layers.LinkTypeEthernet, ci)
				if i < len(tt.order)-1 {
					if seg != nil {
						t.Fatalf("segment after %d fragments", i+1)
					}
					continue
				}
				if seg == nil {
					t.Fatalf("no segment after the last fragment; stats %+v", d.Stats())
				}
				if !bytes.Equal(seg.TCP.Payload, big) {
					t.Errorf("reassembled payload differs: %d bytes", len(seg.TCP.Payload))
				}
				if seg.Net.String() != "10.0.0.1->10.0.0.2" || seg.TCP.DstPort != 80 || seg.VLAN != 9 {
					t.Errorf("segment = %v %v vlan %d", seg.Net, seg.TCP.DstPort, seg.VLAN)
				}
			}
			st := d.Stats()
			if st.TCP != 1 || st.Reasons[ReasonFragmentPending] != uint64(len(tt.order)-1) || st.Dropped() != 0 {
				t.Errorf("stats = %+v", st)
			}
			if len(d.defrag.table) != 0 || d.defrag.bytes != 0 {
				t.Errorf("defrag table holds %d datagrams, %d bytes", len(d.defrag.table), d.defrag.bytes)
			}
			// The next frame recycles the buffer; the decoder must still work.
			if d.Decode(pkt, layers.LinkTypeRaw, ci) == nil {
				t.Error("no segment for a whole packet after reassembly")
			}
		})
	}
}

func TestDefragmentBounds(t *testing.T) {
	datagram := func(id uint16) [][]byte {
		p := ipv4TCP(t, bytes.Repeat([]byte{'x'}, 200))
		binary.BigEndian.PutUint16(p[4:], id)
		return fragment(p, 96)
	}
	t.Run("shed", func(t *testing.T) {
		d := New(Config{MaxFragmentDatagrams: 2})
		for id := uint16(1); id <= 3; id++ {
			d.Decode(datagram(id)[0], layers.LinkTypeRaw, ci)
		}
		if got := d.Stats().Reasons[ReasonFragmentShed]; got != 1 {
			t.Errorf("shed = %d, want 1", got)
		}
		// Completing a held datagram frees its slot.
		for _, f := range datagram(1)[1:] {
			d.Decode(f, layers.LinkTypeRaw, ci)
		}
		if d.Stats().TCP != 1 {
			t.Errorf("held datagram did not complete: %+v", d.Stats())
		}
		if d.Decode(datagram(3)[0], layers.LinkTypeRaw, ci) != nil || d.Stats().Reasons[ReasonFragmentShed] != 1 {
			t.Errorf("freed slot not reused: %+v", d.Stats())
		}
	})
	t.Run("bytes", func(t *testing.T) {
		d := New(Config{MaxFragmentBytes: 150})
		d.Decode(datagram(1)[0], layers.LinkTypeRaw, ci)
		d.Decode(datagram(2)[0], layers.LinkTypeRaw, ci)
		if got := d.Stats().Reasons[ReasonFragmentShed]; got != 1 {
			t.Errorf("shed = %d, want 1", got)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		d := New(Config{FragmentTimeout: 30 * time.Second})
		frags := datagram(1)
		d.Decode(frags[0], layers.LinkTypeRaw, ci)
		late := gopacket.CaptureInfo{Timestamp: ts.Add(31 * time.Second)}
		d.Decode(datagram(2)[0], layers.LinkTypeRaw, late)
		if got := d.Stats().Reasons[ReasonFragmentTimeout]; got != 1 {
			t.Errorf("timeouts = %d, want 1", got)
		}
		// The rest of datagram 1 now starts a new, incomplete datagram.
		for _, f := range frags[1:] {
			if d.Decode(f, layers.LinkTypeRaw, late) != nil {
				t.Error("expired datagram completed")
			}
		}
	})
	t.Run("conflicting ends", func(t *testing.T) {
		d := New(DefaultConfig())
		frags := datagram(1)
		last := bytes.Clone(frags[len(frags)-1])
		d.Decode(last, layers.LinkTypeRaw, ci)
		shorter := last[:len(last)-8]
		binary.BigEndian.PutUint16(shorter[2:], uint16(len(shorter)))
		d.Decode(shorter, layers.LinkTypeRaw, ci)
		if got := d.Stats().Reasons[ReasonBadHeader]; got != 1 || len(d.defrag.table) != 0 {
			t.Errorf("bad header = %d, table = %d", got, len(d.defrag.table))
		}
	})
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig: %v", err)
	}
	if err := (Config{MaxFragmentDatagrams: -1, FragmentTimeout: -time.Second}).Validate(); err == nil {
		t.Error("negative values validated")
	}
	if got := ReasonNotTCP.String(); got != "not_tcp" {
		t.Errorf("String = %q", got)
	}
}

// Expected counts are TCP frames as `tshark -r F -Y tcp | wc -l` counts them. For Ethernet
// files without VLAN tags `tcpdump -r F tcp | wc -l` agrees; tcpdump's "tcp" filter skips
// 802.1Q-tagged frames, so for http-request-line and http-response-line it reports 0 where
// tshark and this decoder find the 1 and 2 TCP frames behind VLAN 6.
func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "input.pcap"))
	if len(files) == 0 {
		t.Skipf("no corpus pcaps under %s", corpusDir)
	}
	want := map[string]uint64{
		"http-all-headers":      34,
		"http-async":            16,
		"http-ipv6":             14,
		"http-mime-truncated":   2696,
		"http-range-multiflows": 614,
		"http-request-invalid":  48,
		"http-request-line":     1,
		"http-response-line":    2,
		"http2-long-frame":      60,
	}
	seen := 0
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			r, err := pcapfile.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			d := New(DefaultConfig())
			for {
				data, ci, err := r.ReadPacket()
				if errors.Is(err, io.EOF) || errors.Is(err, capture.ErrTruncated) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				d.Decode(data, r.LinkTypeOf(ci), ci)
			}
			st := d.Stats()
			if st.Frames != st.TCP+st.Dropped()+st.Reasons[ReasonFragmentPending] {
				t.Errorf("frames %d != tcp %d + dropped %d + pending", st.Frames, st.TCP, st.Dropped())
			}
			n, ok := want[name]
			if !ok {
				return
			}
			seen++
			if st.TCP != n {
				t.Errorf("TCP segments = %d, want %d (stats %+v)", st.TCP, n, st)
			}
		})
	}
	if seen != len(want) {
		t.Errorf("checked %d of the %d named corpus files", seen, len(want))
	}
}

func BenchmarkDecodeEthernetIPv4TCP(b *testing.B) {
	frame := ether(b, layers.EthernetTypeIPv4, ipv4TCP(b, payload))
	d := New(DefaultConfig())
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if d.Decode(frame, layers.LinkTypeEthernet, ci) == nil {
			b.Fatal("no segment")
		}
	}
}

func BenchmarkDecodeVLANIPv6TCP(b *testing.B) {
	frame := ether(b, layers.EthernetTypeIPv6, ipv6TCP(b, payload), 42)
	d := New(DefaultConfig())
	b.ReportAllocs()
	for b.Loop() {
		if d.Decode(frame, layers.LinkTypeEthernet, ci) == nil {
			b.Fatal("no segment")
		}
	}
}

func BenchmarkDecodeFragmented(b *testing.B) {
	frags := fragment(ipv4TCP(b, bytes.Repeat([]byte{'y'}, 1200)), 400)
	d := New(DefaultConfig())
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range frags {
			d.Decode(f, layers.LinkTypeRaw, ci)
		}
	}
}

// BenchmarkDecodeGopacketParser is the reference the decoder is measured against: a
// DecodingLayerParser with preallocated layers on the same frame.
func BenchmarkDecodeGopacketParser(b *testing.B) {
	frame := ether(b, layers.EthernetTypeIPv4, ipv4TCP(b, payload))
	var (
		eth   layers.Ethernet
		dot1q layers.Dot1Q
		ip4   layers.IPv4
		ip6   layers.IPv6
		tcp   layers.TCP
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp)
	p.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.DecodeLayers(frame, &decoded)
	}
}

// BenchmarkReadDecodeFile reads and decodes every frame of the capture file
// named by APITAP_BENCH_PCAP (for instance .cache/bench/traffic.pcap, which
// scripts/bench.sh makes): the packet input of the agent, file to TCP
// segments, on real traffic. Skipped when unset.
func BenchmarkReadDecodeFile(b *testing.B) {
	path := os.Getenv("APITAP_BENCH_PCAP")
	if path == "" {
		b.Skip("APITAP_BENCH_PCAP not set")
	}
	frames := 0
	cpu0 := cputime.Process()
	for b.Loop() {
		r, err := pcapfile.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d := New(DefaultConfig())
		var sum uint64
		for {
			data, ci, err := r.ReadPacket()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
			if seg := d.Decode(data, r.LinkTypeOf(ci), ci); seg != nil {
				sum += uint64(seg.TCP.Seq)
			}
		}
		r.Close()
		frames = int(d.Stats().Frames)
		if sum == 0 {
			b.Fatal("no segments")
		}
	}
	// The machine is shared: CPU time (the read system calls included)
	// tells the cost.
	b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N*frames), "cpu-ns/frame")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
}
