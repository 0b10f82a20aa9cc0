package decoder

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/apitap/apitap/capture"
)

// FuzzDecode feeds arbitrary bytes as one frame, then as a sequence of frames (each prefixed
// by a one-byte length) through one decoder, so that IPv4 reassembly state is exercised too.
func FuzzDecode(f *testing.F) {
	v4 := ipv4TCP(f, payload)
	v6 := ipv6TCP(f, payload)
	f.Add(uint8(layers.LinkTypeEthernet), ether(f, layers.EthernetTypeIPv4, v4, 3, 4))
	f.Add(uint8(layers.LinkTypeEthernet), ether(f, layers.EthernetTypeIPv6, v6))
	f.Add(uint8(layers.LinkTypeLinuxSLL), sll(0x0800, v4))
	f.Add(uint8(capture.LinkTypeLinuxSLL2), sll2(0x86dd, v6))
	f.Add(uint8(layers.LinkTypeNull), loop(binary.LittleEndian, 2, v4))
	f.Add(uint8(layers.LinkTypeLoop), loop(binary.BigEndian, 24, v6))
	f.Add(uint8(layers.LinkTypeRaw), withIPv6Ext(v6, struct {
		proto uint8
		body  []byte
	}{60, []byte{1, 4, 0, 0, 0, 0}}))
	var seq []byte
	for _, fr := range fragment(ipv4TCP(f, bytes.Repeat([]byte{'z'}, 100)), 48) {
		seq = append(seq, byte(len(fr)))
		seq = append(seq, fr...)
	}
	f.Add(uint8(layers.LinkTypeRaw), seq)
	f.Add(uint8(layers.LinkTypeEthernet), vxlan(f, 77, VXLANPort, ether(f, layers.EthernetTypeIPv4, v4)))
	f.Fuzz(func(t *testing.T, lt uint8, data []byte) {
		d := New(Config{MaxFragmentDatagrams: 4, MaxFragmentBytes: 1 << 12, FragmentTimeout: time.Second})
		check := func(seg *Segment, frame []byte) {
			if seg == nil {
				return
			}
			if len(seg.TCP.Payload) > 0xffff || seg.Net.EndpointType() != layers.EndpointIPv4 && seg.Net.EndpointType() != layers.EndpointIPv6 && seg.Net.EndpointType() != EndpointIPv4VNI && seg.Net.EndpointType() != EndpointIPv6VNI {
				t.Fatalf("bad segment from %x", frame)
			}
		}
		check(d.Decode(data, layers.LinkType(lt), gopacket.CaptureInfo{}), data)
		now := time.Unix(0, 0)
		for rest := data; len(rest) > 0; {
			n := min(int(rest[0]), len(rest)-1)
			frame := rest[1 : 1+n]
			rest = rest[1+n:]
			now = now.Add(300 * time.Millisecond)
			check(d.Decode(frame, layers.LinkType(lt), gopacket.CaptureInfo{Timestamp: now}), frame)
		}
		st := d.Stats()
		if st.Frames != st.TCP+st.Dropped()+st.Reasons[ReasonFragmentPending] {
			t.Fatalf("frames %d != tcp %d + dropped %d + pending %d", st.Frames, st.TCP, st.Dropped(), st.Reasons[ReasonFragmentPending])
		}
		if d.defrag.bytes < 0 || d.defrag.bytes > 1<<12 || len(d.defrag.table) > 4 {
			t.Fatalf("defrag bounds broken: %d bytes, %d datagrams", d.defrag.bytes, len(d.defrag.table))
		}
	})
}

// FuzzFastPath: whatever the Ethernet frame, Decode's inline path for the
// common frame gives what the general path gives (segment and counters).
func FuzzFastPath(f *testing.F) {
	f.Add(ether(f, layers.EthernetTypeIPv4, ipv4TCP(f, payload)))
	f.Add(ether(f, layers.EthernetTypeIPv4, ipv4TCP(f, nil)))
	f.Add(ether(f, layers.EthernetTypeIPv4, ipv4TCP(f, payload), 7))
	f.Add(ether(f, layers.EthernetTypeIPv4, fragment(ipv4TCP(f, bytes.Repeat([]byte{'z'}, 100)), 48)[0]))
	f.Fuzz(func(t *testing.T, frame []byte) {
		decode := func(fast bool) (*Segment, Stats) {
			fastPath = fast
			defer func() { fastPath = true }()
			d := New(DefaultConfig())
			return d.Decode(frame, layers.LinkTypeEthernet, ci), d.Stats()
		}
		s1, st1 := decode(true)
		s2, st2 := decode(false)
		if st1 != st2 || (s1 == nil) != (s2 == nil) {
			t.Fatalf("%x: fast path %v %+v, general path %v %+v", frame, s1 != nil, st1, s2 != nil, st2)
		}
		if s1 == nil {
			return
		}
		a, b := *s1, *s2
		if a.Net != b.Net || a.VLAN != b.VLAN || a.VNI != b.VNI || !a.Timestamp.Equal(b.Timestamp) ||
			!bytes.Equal(a.TCP.Contents, b.TCP.Contents) || !bytes.Equal(a.TCP.Payload, b.TCP.Payload) ||
			a.TCP.TransportFlow() != b.TCP.TransportFlow() || a.TCP.Seq != b.TCP.Seq || a.TCP.Ack != b.TCP.Ack ||
			a.TCP.SYN != b.TCP.SYN || a.TCP.FIN != b.TCP.FIN || a.TCP.RST != b.TCP.RST || a.TCP.ACK != b.TCP.ACK ||
			len(a.TCP.Options) != len(b.TCP.Options) {
			t.Fatalf("%x: segments differ", frame)
		}
	})
}
