package afpacket

import (
	"errors"
	"fmt"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// Source is one worker's share of a Capture: one socket per interface. It implements
// capture.Source and capture.PacketLinkTyper, except that ReadPacket returns ErrTimeout when
// no frame came within the poll timeout. It is not safe for concurrent use.
type Source struct {
	rings   []*ring
	pfds    []unix.PollFd
	timeout int // ms
	next    int // ring to look at first, for fairness
	last    *ring
	closed  bool
}

// ReadPacket returns the next frame of any of the worker's sockets. data lives in the
// ring and stays valid until the next call. It waits up to the poll timeout, then returns
// ErrTimeout; after Close it returns ErrClosed.
func (s *Source) ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error) {
	if s.closed {
		return nil, ci, ErrClosed
	}
	for attempt := 0; ; attempt++ {
		for i := range s.rings {
			r := s.rings[(s.next+i)%len(s.rings)]
			if data, ci, ok := r.next(); ok {
				s.last = r
				return data, ci, nil
			}
		}
		s.next = (s.next + 1) % len(s.rings)
		if attempt == 1 {
			return nil, ci, ErrTimeout
		}
		for i := range s.pfds {
			s.pfds[i].Revents = 0
		}
		if _, err := unix.Poll(s.pfds, s.timeout); err != nil && !errors.Is(err, unix.EINTR) {
			return nil, ci, fmt.Errorf("poll AF_PACKET sockets: %w", err)
		}
		for i, p := range s.pfds {
			if p.Revents&unix.POLLERR != 0 {
				// The only error a packet socket reports is the interface going away.
				if v, err := unix.GetsockoptInt(int(p.Fd), unix.SOL_SOCKET, unix.SO_ERROR); err == nil && v != 0 {
					return nil, ci, fmt.Errorf("interface %s: %w", s.rings[i].name, unix.Errno(v))
				}
			}
		}
	}
}

// LinkType returns the link type of the first interface.
func (s *Source) LinkType() layers.LinkType { return s.rings[0].linkType }

// LinkTypeOf returns the link type of the frame ReadPacket returned last.
func (s *Source) LinkTypeOf(gopacket.CaptureInfo) layers.LinkType {
	if s.last == nil {
		return s.LinkType()
	}
	return s.last.linkType
}

// Interface returns the name of the interface of the frame ReadPacket returned last.
func (s *Source) Interface() string {
	if s.last == nil {
		return s.rings[0].name
	}
	return s.last.name
}

// Close is a no-op: the Capture owns the sockets. It satisfies capture.Source.
func (s *Source) Close() error { return nil }
