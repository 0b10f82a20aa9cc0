package afpacket

import (
	"errors"
	"fmt"
	"os"

	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// fanout is one interface's PACKET_FANOUT group.
type fanout struct {
	group uint16
	mode  int
	prog  []bpf.RawInstruction // PACKET_FANOUT_CBPF program
}

func (f *fanout) join(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, int(f.group)|f.mode<<16); err != nil {
		return err
	}
	if f.prog == nil {
		return nil
	}
	return attachProgram(fd, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, f.prog)
}

// newFanout returns the fanout of group for mode. IP fragments are reassembled before
// fanout so that every fragment of a datagram goes where its first one goes.
func newFanout(group uint16, mode Fanout) (*fanout, error) {
	switch mode {
	case FanoutHash:
		return &fanout{group: group, mode: unix.PACKET_FANOUT_HASH | unix.PACKET_FANOUT_FLAG_DEFRAG}, nil
	case FanoutSymmetric:
		prog, err := symmetricFanoutProgram()
		if err != nil {
			return nil, fmt.Errorf("assemble fanout program: %w", err)
		}
		return &fanout{group: group, mode: unix.PACKET_FANOUT_CBPF | unix.PACKET_FANOUT_FLAG_DEFRAG, prog: prog}, nil
	}
	return nil, fmt.Errorf("fanout mode %v: unknown", mode)
}

// Stats are a Capture's kernel counters, summed over its sockets.
type Stats struct {
	Packets uint64 // frames that passed the filter and reached a ring
	Drops   uint64 // frames that passed the filter but found the ring full
	Freezes uint64 // times a ring was full
	// Duplicates are frames dropped on "any" as copies of a packet already captured on
	// another interface (bridged or routed through the node); they are in Packets too.
	Duplicates uint64
}

// Capture is a set of AF_PACKET sockets on one or more interfaces, spread across workers.
type Capture struct {
	cfg     Config
	rings   []*ring // interface-major: rings[i*Workers+w]
	sources []*Source
}

// Open opens Workers sockets on each interface of cfg. It needs CAP_NET_RAW (and
// CAP_NET_ADMIN for promiscuous mode).
func Open(cfg Config) (*Capture, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("afpacket config: %w", err)
	}
	c := &Capture{cfg: cfg}
	group := cfg.FanoutGroup
	if group == 0 {
		group = uint16(os.Getpid()) | 1
	}
	filters := map[layers.LinkType][]bpf.RawInstruction{}
	for i, name := range cfg.Interfaces {
		var fan *fanout
		if cfg.Workers > 1 {
			var err error
			if fan, err = newFanout(group+uint16(i), cfg.Fanout); err != nil {
				return nil, err
			}
		}
		for range cfg.Workers {
			lt := layers.LinkTypeRaw
			if name != "any" {
				var err error
				if lt, err = linkTypeOf(name); err != nil {
					c.closeRings()
					return nil, err
				}
			}
			prog, ok := filters[lt]
			if !ok {
				var err error
				if prog, err = CompileFilter(cfg.Filter, lt, cfg.SnapLen); err != nil {
					c.closeRings()
					return nil, err
				}
				filters[lt] = prog
			}
			r, err := openRing(&cfg, name, prog, fan)
			if err != nil {
				c.closeRings()
				return nil, err
			}
			c.rings = append(c.rings, r)
		}
	}
	for w := range cfg.Workers {
		s := &Source{timeout: int(cfg.PollTimeout.Milliseconds())}
		for i := range cfg.Interfaces {
			r := c.rings[i*cfg.Workers+w]
			s.rings = append(s.rings, r)
			s.pfds = append(s.pfds, unix.PollFd{Fd: int32(r.fd), Events: unix.POLLIN | unix.POLLERR})
		}
		c.sources = append(c.sources, s)
	}
	return c, nil
}

// linkTypeOf asks the kernel for an interface's link type with a throwaway socket.
func linkTypeOf(name string) (layers.LinkType, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("open AF_PACKET socket: %w", err)
	}
	defer func() { _ = unix.Close(fd) }()
	_, lt, _, err := ifaceInfo(fd, name)
	return lt, err
}

// Sources returns one Source per worker.
func (c *Capture) Sources() []*Source { return c.sources }

// Stats reads the kernel's counters. Safe for concurrent use, also after Close.
func (c *Capture) Stats() Stats {
	var s Stats
	for _, r := range c.rings {
		r.readStats()
		s.Packets += r.packets.Load()
		s.Drops += r.drops.Load()
		s.Freezes += r.freezes.Load()
		s.Duplicates += r.dups.Load()
	}
	return s
}

// Close closes every socket. Call it after every Source's reader has stopped; it is
// idempotent.
func (c *Capture) Close() error {
	c.closeRings()
	for _, s := range c.sources {
		s.closed = true
	}
	return nil
}

func (c *Capture) closeRings() {
	for _, r := range c.rings {
		r.close()
	}
}

// ErrTimeout is returned by ReadPacket when no frame arrived within the poll timeout.
var ErrTimeout = errors.New("afpacket: no packet within the poll timeout")

// ErrClosed is returned by ReadPacket after its Capture was closed.
var ErrClosed = errors.New("afpacket: capture closed")
