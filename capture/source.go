package capture

import (
	"errors"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Source yields captured frames.
//
// Calls are sequential: a Source is not safe for concurrent use. After Close, ReadPacket
// returns an error.
type Source interface {
	// ReadPacket returns the next frame. data is valid only until the next call (zero-copy):
	// copy what you keep. It returns io.EOF at the normal end of input, and an error wrapping
	// ErrTruncated when the input ends in the middle of a record, after every complete frame
	// before it was returned.
	ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error)
	// LinkType is the link type of the source's frames. Sources whose frames can differ in link
	// type also implement PacketLinkTyper; use LinkTypeOf to get a frame's own.
	LinkType() layers.LinkType
	// Close releases the source. It is idempotent.
	Close() error
}

// InfoReader is implemented by sources that can write the capture info of the next frame
// into a variable of the caller's. ReadPacketInto is ReadPacket without returning the capture
// info by value: at 72 bytes it is returned on the stack and copied on the way, for every
// frame, which shows in profiles of the per-frame loop. The rest of ReadPacket's contract
// holds (data valid until the next call, io.EOF, ErrTruncated).
type InfoReader interface {
	ReadPacketInto(ci *gopacket.CaptureInfo) (data []byte, err error)
}

// PacketLinkTyper is implemented by sources whose frames can differ in link type, such as a
// pcapng file with interfaces of several link types.
type PacketLinkTyper interface {
	// LinkTypeOf returns the link type of the frame that ci, as returned by the last
	// ReadPacket call, describes.
	LinkTypeOf(ci gopacket.CaptureInfo) layers.LinkType
}

// LinkTypeOf returns the link type of the frame ci describes: s's per-frame link type when s
// implements PacketLinkTyper, else s.LinkType().
func LinkTypeOf(s Source, ci gopacket.CaptureInfo) layers.LinkType {
	if p, ok := s.(PacketLinkTyper); ok {
		return p.LinkTypeOf(ci)
	}
	return s.LinkType()
}

// ErrTruncated is wrapped by sources whose input ended in the middle of a record.
var ErrTruncated = errors.New("capture truncated")

// Link types that layers.LinkType (8 bits in gopacket v1.1.19) cannot hold directly.
const (
	// LinkTypeLinuxSLL2 stands for LINKTYPE_LINUX_SLL2 (276): pcapgo truncates 276 to 20,
	// a value no link type is assigned, so sources report it as that.
	LinkTypeLinuxSLL2 layers.LinkType = 276 & 0xff
	// LinkTypeUnknown stands for any other link type above 255; 21 is unassigned.
	LinkTypeUnknown layers.LinkType = 21
)

// LinkTypeFromHeader maps a link type as stored in a capture file (the low 16 bits of the
// pcap header's field, or a pcapng interface's) to a layers.LinkType.
func LinkTypeFromHeader(v uint32) layers.LinkType {
	v &= 0xffff // the upper bits of the pcap field carry FCS information
	switch {
	case v <= 255:
		return layers.LinkType(v)
	case v == 276:
		return LinkTypeLinuxSLL2
	default:
		return LinkTypeUnknown
	}
}
