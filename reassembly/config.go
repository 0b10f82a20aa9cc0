package reassembly

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/capture/decoder"
	"github.com/apitap/apitap/reassembly/http1"
)

// Config sets the engine's limits. Limits apply per engine; the engine
// splits them evenly across workers.
type Config struct {
	// Workers is the number of shards (goroutines); 1 runs inline in the
	// caller of HandlePacket. Default: GOMAXPROCS.
	Workers int
	// MaxConnections bounds the TCP connections tracked at once. New
	// connections beyond it are ignored and counted ("conn_limit"); above 90%
	// of it, only a segment with data opens a connection (SYNs and other
	// bare segments of new connections are counted as "conn_pressure").
	// Default 200000.
	MaxConnections int
	// MaxBufferedPagesPerConn bounds out-of-order data held per connection,
	// in pages of about 1900 bytes; past it the oldest data is delivered and
	// the hole counted as a gap. Default 512 (about 1 MiB).
	MaxBufferedPagesPerConn int
	// MaxBufferedPagesTotal bounds out-of-order data held by all
	// connections. Default 65536 (about 124 MiB).
	MaxBufferedPagesTotal int
	// ReorderTimeout is how long (capture time) out-of-order data waits for
	// a missing segment before the hole is skipped. Default 5s.
	ReorderTimeout time.Duration
	// IdleTimeout closes connections that saw no packet for this long
	// (capture time). Default 2m.
	IdleTimeout time.Duration
	// ResponseTimeout turns a request that got no response for this long
	// into a call with status 0. Default 1m.
	ResponseTimeout time.Duration
	// MaxPendingRequests bounds the requests waiting for their responses on
	// one connection (pipelining); past it the oldest becomes a call with
	// status 0 ("pending_overflow"). Default 64.
	MaxPendingRequests int
	// BatchSize is the number of calls handed to the sink at once. Default 256.
	BatchSize int
	// QueueLength is the number of packet batches buffered per worker
	// when Workers > 1. Default 8.
	QueueLength int
	// HTTP configures the HTTP/1.x parsers; HTTP.MaxBodyBytes also caps
	// the decoded body kept per message. Default http1.DefaultConfig().
	HTTP http1.Config
	// Decoder configures frame decoding. Default decoder.DefaultConfig().
	Decoder decoder.Config
	// Source is copied into every call.
	Source apicall.Source
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Workers:                 runtime.GOMAXPROCS(0),
		MaxConnections:          200000,
		MaxBufferedPagesPerConn: 512,
		MaxBufferedPagesTotal:   65536,
		ReorderTimeout:          5 * time.Second,
		IdleTimeout:             2 * time.Minute,
		ResponseTimeout:         time.Minute,
		MaxPendingRequests:      64,
		BatchSize:               256,
		QueueLength:             8,
		HTTP:                    http1.DefaultConfig(),
		Decoder:                 decoder.DefaultConfig(),
	}
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	positive := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", name, v))
		}
	}
	positive("workers", c.Workers)
	positive("max connections", c.MaxConnections)
	positive("max buffered pages per connection", c.MaxBufferedPagesPerConn)
	positive("max buffered pages", c.MaxBufferedPagesTotal)
	positive("max pending requests", c.MaxPendingRequests)
	positive("batch size", c.BatchSize)
	positive("queue length", c.QueueLength)
	for name, d := range map[string]time.Duration{"reorder timeout": c.ReorderTimeout, "idle timeout": c.IdleTimeout, "response timeout": c.ResponseTimeout} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, d))
		}
	}
	if c.Workers > 0 && c.MaxConnections > 0 && c.MaxConnections < c.Workers {
		errs = append(errs, errors.New("max connections must be at least the number of workers"))
	}
	if err := c.HTTP.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("http: %w", err))
	}
	return errors.Join(errs...)
}
