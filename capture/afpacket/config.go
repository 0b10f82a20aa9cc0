package afpacket

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Config configures a Capture.
type Config struct {
	// Interfaces are the interface names to capture on; "any" captures on every interface
	// (as cooked frames without link-layer header). Required.
	Interfaces []string
	// Workers is the number of sockets per interface, joined in a fanout group; each worker
	// reads one of them on every interface. Default 1.
	Workers int
	// SnapLen is the number of bytes kept per frame. Default 262144.
	SnapLen int
	// RingSize is the size in bytes of each socket's receive ring; it is rounded down to a
	// multiple of BlockSize. Default 64 MiB.
	RingSize int
	// BlockSize is the size in bytes of one ring block: a power of two multiple of the page
	// size, larger than SnapLen plus headers (FitBlockSize). Default 512 KiB.
	BlockSize int
	// BlockTimeout is how long the kernel fills a block before handing it to user space
	// even when it is not full: the latency of a quiet link. A block handed over is lost to
	// the ring until read, so at low rates the ring absorbs a reader stall of about
	// RingSize/BlockSize × BlockTimeout. Default 50ms.
	BlockTimeout time.Duration
	// PollTimeout is how long ReadPacket waits for a block before returning ErrTimeout, so
	// that the caller can check for shutdown. Default 100ms.
	PollTimeout time.Duration
	// Promisc puts the interfaces in promiscuous mode while capturing.
	Promisc bool
	// Filter is a capture filter in tcpdump (pcap-filter) syntax; empty keeps every frame.
	Filter string
	// Fanout says how packets are spread across workers. Default FanoutSymmetric.
	Fanout Fanout
	// FanoutGroup is the PACKET_FANOUT group id of the first interface (the next ones use
	// the following ids). Default: derived from the process id.
	FanoutGroup uint16
}

// DefaultConfig returns the defaults documented on Config, with no interface.
func DefaultConfig() Config {
	return Config{
		Workers:      1,
		SnapLen:      262144,
		RingSize:     64 << 20,
		BlockSize:    FitBlockSize(262144),
		BlockTimeout: 50 * time.Millisecond,
		PollTimeout:  100 * time.Millisecond,
	}
}

// blockOverhead is the room a block needs besides one frame of SnapLen bytes: the block
// descriptor, the tpacket3 header, sockaddr_ll and alignment.
const blockOverhead = 4096

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if len(c.Interfaces) == 0 {
		errs = append(errs, errors.New("no interface"))
	}
	seen := map[string]bool{}
	for _, name := range c.Interfaces {
		switch {
		case name == "" || len(name) >= 16:
			errs = append(errs, fmt.Errorf("interface name %q: want 1 to 15 characters", name))
		case seen[name]:
			errs = append(errs, fmt.Errorf("interface %s given twice", name))
		case name == "any" && len(c.Interfaces) > 1:
			errs = append(errs, errors.New("interface any already covers every interface"))
		}
		seen[name] = true
	}
	if c.Workers < 1 || c.Workers > 256 {
		errs = append(errs, fmt.Errorf("workers %d: want 1 to 256", c.Workers))
	}
	if c.SnapLen < 64 || c.SnapLen > 1<<20 {
		errs = append(errs, fmt.Errorf("snap length %d: want 64 to 1048576", c.SnapLen))
	}
	page := os.Getpagesize()
	if c.BlockSize < page || c.BlockSize&(c.BlockSize-1) != 0 {
		errs = append(errs, fmt.Errorf("block size %d: want a power of two of at least %d", c.BlockSize, page))
	} else if c.BlockSize < c.SnapLen+blockOverhead {
		errs = append(errs, fmt.Errorf("block size %d: want at least snap length + %d", c.BlockSize, blockOverhead))
	}
	if c.BlockSize > 0 && c.RingSize < 2*c.BlockSize {
		errs = append(errs, fmt.Errorf("ring size %d: want at least two blocks of %d bytes", c.RingSize, c.BlockSize))
	}
	if c.BlockTimeout < time.Millisecond {
		errs = append(errs, fmt.Errorf("block timeout %s: want at least 1ms", c.BlockTimeout))
	}
	if c.Fanout != FanoutSymmetric && c.Fanout != FanoutHash {
		errs = append(errs, fmt.Errorf("fanout %v: unknown", c.Fanout))
	}
	if c.PollTimeout < time.Millisecond {
		errs = append(errs, fmt.Errorf("poll timeout %s: want at least 1ms", c.PollTimeout))
	}
	return errors.Join(errs...)
}

// FitBlockSize returns the smallest block size (a power of two, at least 128 KiB) that
// holds a frame of snapLen bytes.
func FitBlockSize(snapLen int) int {
	b := 128 << 10
	for b < snapLen+blockOverhead {
		b *= 2
	}
	return b
}
