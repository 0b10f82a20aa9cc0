package ebpf

import (
	"errors"
	"fmt"
	"time"
)

// MaxChunkSize is the largest data chunk one event carries (bpf/socket.c MAX_CHUNK).
const MaxChunkSize = 16384

// Config sets what is captured and the kernel-side sizes.
type Config struct {
	// Ports keeps only connections whose local or remote port is listed;
	// empty keeps every TCP connection. At most 64.
	Ports []uint16
	// Cgroups keeps only socket calls of tasks in these cgroup v2 ids (pods,
	// containers); empty keeps every task. At most 1024.
	Cgroups []uint64
	// IgnorePID is a process (tgid) whose socket calls are never captured,
	// normally the agent itself; 0 ignores none.
	IgnorePID int
	// ChunkSize is the largest data chunk per event, in bytes, 1..16384;
	// a call's bytes past 16 chunks are not copied (a gap). Default 16384.
	ChunkSize int
	// RingBufferSize is the ring buffer's size in bytes, a power of two of
	// at least 4096. Default 16 MiB.
	RingBufferSize int
	// MaxConnections sizes the kernel's connection table: closed
	// connections free their slots, and when none is free the one least
	// recently used (approximately: CLOCK) is taken. Default 65536.
	MaxConnections int
	// DedupLocal reports a connection whose two ends are local sockets only
	// from its server side. Default true.
	DedupLocal bool
	// TLS attaches uprobes to OpenSSL (libssl) in every process that maps
	// it. Default false.
	TLS bool
	// TLSRescan is how often /proc is scanned for libssl files not attached
	// yet. Default 2s.
	TLSRescan time.Duration
	// ProcRoot is where procfs is mounted. Default "/proc".
	ProcRoot string
	// Node is recorded in every call's source.
	Node string
	// PollInterval is how often the reader wakes up to read events (the
	// kernel wakes it earlier only once 1/64 of the ring buffer is filled),
	// expire requests and hand calls on. Default 100ms.
	PollInterval time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		ChunkSize:      MaxChunkSize,
		RingBufferSize: 16 << 20,
		MaxConnections: 65536,
		DedupLocal:     true,
		TLSRescan:      2 * time.Second,
		ProcRoot:       "/proc",
		PollInterval:   100 * time.Millisecond,
	}
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if len(c.Ports) > 64 {
		errs = append(errs, fmt.Errorf("ports: at most 64, got %d", len(c.Ports)))
	}
	for _, p := range c.Ports {
		if p == 0 {
			errs = append(errs, errors.New("ports: 0 is not a port"))
		}
	}
	if len(c.Cgroups) > 1024 {
		errs = append(errs, fmt.Errorf("cgroups: at most 1024, got %d", len(c.Cgroups)))
	}
	if c.ChunkSize < 1 || c.ChunkSize > MaxChunkSize {
		errs = append(errs, fmt.Errorf("chunk size must be 1..%d, got %d", MaxChunkSize, c.ChunkSize))
	}
	if c.RingBufferSize < 4096 || c.RingBufferSize&(c.RingBufferSize-1) != 0 {
		errs = append(errs, fmt.Errorf("ring buffer size must be a power of two ≥ 4096, got %d", c.RingBufferSize))
	}
	if c.MaxConnections < 1 {
		errs = append(errs, fmt.Errorf("max connections must be positive, got %d", c.MaxConnections))
	}
	if c.TLS && c.TLSRescan <= 0 {
		errs = append(errs, fmt.Errorf("tls rescan must be positive, got %s", c.TLSRescan))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("poll interval must be positive, got %s", c.PollInterval))
	}
	if c.ProcRoot == "" {
		errs = append(errs, errors.New("proc root is empty"))
	}
	return errors.Join(errs...)
}
