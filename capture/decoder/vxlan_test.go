package decoder

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// vxlan wraps an inner Ethernet frame in outer Ethernet/IPv4/UDP/VXLAN as a traffic mirror
// sends it: outer 192.0.2.1 → 192.0.2.2, UDP to dport.
func vxlan(t testing.TB, vni uint32, dport uint16, inner []byte) []byte {
	hdr := make([]byte, 8)
	hdr[0] = 0x08
	hdr[4], hdr[5], hdr[6] = byte(vni>>16), byte(vni>>8), byte(vni)
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{192, 0, 2, 2}}
	udp := &layers.UDP{SrcPort: 51234, DstPort: layers.UDPPort(dport)}
	_ = udp.SetNetworkLayerForChecksum(ip)
	outer := serialize(t, ip, udp, gopacket.Payload(append(hdr, inner...)))
	return ether(t, layers.EthernetTypeIPv4, outer)
}

func TestVXLAN(t *testing.T) {
	inner4 := ether(t, layers.EthernetTypeIPv4, ipv4TCP(t, payload))
	inner6 := ether(t, layers.EthernetTypeIPv6, ipv6TCP(t, payload), 42)
	d := New(DefaultConfig())

	seg := d.Decode(vxlan(t, 0x123456, VXLANPort, inner4), layers.LinkTypeEthernet, ci)
	if seg == nil {
		t.Fatalf("VXLAN IPv4: no segment, stats %+v", d.Stats())
	}
	if seg.VNI != 0x123456 || string(seg.TCP.Payload) != string(payload) || seg.TCP.DstPort != 80 {
		t.Errorf("VXLAN IPv4: VNI %#x, dport %d, payload %q", seg.VNI, seg.TCP.DstPort, seg.TCP.Payload)
	}
	if seg.Net.EndpointType() != EndpointIPv4VNI {
		t.Fatalf("endpoint type %v, want IPv4VNI", seg.Net.EndpointType())
	}
	src, dst := seg.Net.Endpoints()
	if got := src.String() + " " + dst.String(); got != "10.0.0.1/vni1193046 10.0.0.2/vni1193046" {
		t.Errorf("flow %s", got)
	}
	a := seg.Net
	other := d.Decode(vxlan(t, 7, VXLANPort, inner4), layers.LinkTypeEthernet, ci)
	if other == nil || other.Net == a || other.VNI != 7 {
		t.Errorf("the same 4-tuple in VNI 7 must be another flow: %v vs %v", other.Net, a)
	}
	if b := binary.BigEndian.Uint32(a.Src().Raw()[4:]); b != 0x123456 {
		t.Errorf("VNI in the endpoint: %#x", b)
	}

	seg = d.Decode(vxlan(t, 99, VXLANPort, inner6), layers.LinkTypeEthernet, ci)
	if seg == nil || seg.VNI != 99 || seg.VLAN != 42 || seg.Net.EndpointType() != EndpointIPv6VNI {
		t.Fatalf("VXLAN IPv6 in VLAN 42: %+v", seg)
	}
	// The VNI is part of an IPv6 flow too, and the addresses come back out.
	a6 := seg.Net
	src6, dst6 := UnmaskIPv6VNI(a6.Src().Raw(), 99), UnmaskIPv6VNI(a6.Dst().Raw(), 99)
	plain6 := d.Decode(inner6, layers.LinkTypeEthernet, ci)
	if plain6 == nil || plain6.Net.EndpointType() != layers.EndpointIPv6 {
		t.Fatalf("plain IPv6: %+v", plain6)
	}
	if src6.String() != plain6.Net.Src().String() || dst6.String() != plain6.Net.Dst().String() {
		t.Errorf("unmasked %s > %s, want %s", src6, dst6, plain6.Net)
	}
	other6 := d.Decode(vxlan(t, 100, VXLANPort, inner6), layers.LinkTypeEthernet, ci)
	if other6 == nil || other6.Net == a6 || other6.Net.FastHash() == a6.FastHash() {
		t.Errorf("the same IPv6 4-tuple in VNI 100 must be another flow: %v vs %v", other6.Net, a6)
	}

	plain := d.Decode(inner4, layers.LinkTypeEthernet, ci)
	if plain == nil || plain.VNI != 0 || plain.Net.EndpointType() != layers.EndpointIPv4 {
		t.Errorf("plain frame after VXLAN ones: %+v", plain)
	}
	st := d.Stats()
	if st.VXLAN != 4 || st.TCP != 6 || st.TCPPayloadBytes != 6*uint64(len(payload)) {
		t.Errorf("stats %+v, want 4 VXLAN frames, 6 segments", st)
	}
}

func TestVXLANDrops(t *testing.T) {
	inner := ether(t, layers.EthernetTypeIPv4, ipv4TCP(t, payload))
	noI := vxlan(t, 5, VXLANPort, inner)
	noI[14+20+8] = 0 // clear the I flag
	nested := vxlan(t, 5, VXLANPort, vxlan(t, 6, VXLANPort, inner))
	short := vxlan(t, 5, VXLANPort, nil)
	short[14+2], short[14+3] = 0, 20+8+4 // IPv4 total length: half a VXLAN header
	short[14+20+4], short[14+20+5] = 0, 12
	for name, tc := range map[string]struct {
		frame []byte
		want  Reason
	}{
		"other UDP port":  {vxlan(t, 5, 53, inner), ReasonNotTCP},
		"no I flag":       {noI, ReasonBadVXLAN},
		"nested":          {nested, ReasonNotTCP},
		"short header":    {short, ReasonBadVXLAN},
		"truncated inner": {vxlan(t, 5, VXLANPort, inner[:20]), ReasonTruncated},
	} {
		t.Run(name, func(t *testing.T) {
			d := New(DefaultConfig())
			if seg := d.Decode(tc.frame, layers.LinkTypeEthernet, ci); seg != nil {
				t.Fatalf("got a segment: %+v", seg)
			}
			if st := d.Stats(); st.Reasons[tc.want] != 1 {
				t.Errorf("reasons %v, want one %s", st.Reasons, tc.want)
			}
		})
	}
}
