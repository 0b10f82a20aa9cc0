package capture

import (
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

func TestLinkTypeFromHeader(t *testing.T) {
	tests := []struct {
		v    uint32
		want layers.LinkType
	}{
		{1, layers.LinkTypeEthernet},
		{101, layers.LinkTypeRaw},
		{113, layers.LinkTypeLinuxSLL},
		{228, layers.LinkTypeIPv4},
		{276, LinkTypeLinuxSLL2},
		{1 | 0x10000000, layers.LinkTypeEthernet}, // FCS bits set
		{270, LinkTypeUnknown},                    // LoRaTap: would truncate to 14
		{256, LinkTypeUnknown},                    // would truncate to 0, null/loopback
	}
	for _, tt := range tests {
		if got := LinkTypeFromHeader(tt.v); got != tt.want {
			t.Errorf("LinkTypeFromHeader(%d) = %d, want %d", tt.v, got, tt.want)
		}
	}
}

type fixed struct{ lt layers.LinkType }

func (f fixed) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	return nil, gopacket.CaptureInfo{}, nil
}
func (f fixed) LinkType() layers.LinkType { return f.lt }
func (f fixed) Close() error              { return nil }

type mixed struct{ fixed }

func (mixed) LinkTypeOf(ci gopacket.CaptureInfo) layers.LinkType {
	return layers.LinkType(ci.InterfaceIndex)
}

func TestLinkTypeOf(t *testing.T) {
	ci := gopacket.CaptureInfo{InterfaceIndex: 113}
	if got := LinkTypeOf(fixed{layers.LinkTypeEthernet}, ci); got != layers.LinkTypeEthernet {
		t.Errorf("plain source: %d", got)
	}
	if got := LinkTypeOf(mixed{fixed{layers.LinkTypeEthernet}}, ci); got != layers.LinkTypeLinuxSLL {
		t.Errorf("mixed source: %d", got)
	}
}
