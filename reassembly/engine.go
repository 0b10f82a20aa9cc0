package reassembly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/capture"
	"github.com/apitap/apitap/capture/decoder"
)

// output serializes the workers' batches into the sink, which need not be
// safe for concurrent use.
type output struct {
	mu   sync.Mutex
	sink apicall.Sink
}

func (o *output) consume(ctx context.Context, calls []apicall.Call) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sink.Consume(ctx, calls)
}

// Engine turns frames into API calls. Feed it with Run (or HandlePacket
// from a single goroutine), then call Close once to flush what is pending.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	out     *output
	dec     *decoder.Decoder
	workers []*worker
	shards  []*shard // nil when Workers == 1 (inline)
	wg      sync.WaitGroup

	npk       uint64        // packets handled; HandlePacket's goroutine only
	packets   atomic.Uint64 // npk as published for Stats
	decMu     sync.Mutex
	decStats  decoder.Stats // snapshot, refreshed every few thousand packets
	closeOnce sync.Once
	closed    atomic.Bool
}

// New builds an engine that hands calls to sink. With Workers > 1 it
// starts one goroutine per worker; they end in Close.
func New(cfg Config, sink apicall.Sink, log *slog.Logger) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("reassembly config: %w", err)
	}
	if sink == nil {
		return nil, errors.New("reassembly: nil sink")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "reassembly")
	e := &Engine{cfg: cfg, log: log, out: &output{sink: sink}, dec: decoder.New(cfg.Decoder)}
	for range cfg.Workers {
		e.workers = append(e.workers, newWorker(&e.cfg, e.out, log, cfg.Workers))
	}
	if cfg.Workers > 1 {
		for _, w := range e.workers {
			s := newShard(w, cfg.QueueLength)
			e.shards = append(e.shards, s)
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				s.run()
			}()
		}
	}
	return e, nil
}

// Run reads src until it ends (io.EOF: nil), fails (the error, after every
// readable packet was handled) or ctx is cancelled (nil). It does not close
// the engine: several sources may be run one after the other.
func (e *Engine) Run(ctx context.Context, src capture.Source) error {
	if e.closed.Load() {
		return errors.New("reassembly: run after close")
	}
	lt := src.LinkType()
	perPacket, _ := src.(capture.PacketLinkTyper)
	into, _ := src.(capture.InfoReader)
	var ci gopacket.CaptureInfo
	for i := 0; ; i++ {
		if i&1023 == 0 {
			select {
			case <-ctx.Done():
				e.publish()
				return nil
			default:
			}
		}
		var data []byte
		var err error
		if into != nil {
			data, err = into.ReadPacketInto(&ci)
		} else {
			data, ci, err = src.ReadPacket()
		}
		if err != nil {
			e.publish()
			e.flushShards()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if perPacket != nil {
			lt = perPacket.LinkTypeOf(ci)
		}
		e.handle(data, lt, &ci)
	}
}

// HandlePacket decodes one frame and hands its TCP segment to the worker
// that owns the connection. data is not kept. Not safe for concurrent use.
func (e *Engine) HandlePacket(data []byte, lt layers.LinkType, ci gopacket.CaptureInfo) {
	e.handle(data, lt, &ci)
}

// handle is HandlePacket without copies of ci.
func (e *Engine) handle(data []byte, lt layers.LinkType, ci *gopacket.CaptureInfo) {
	e.npk++
	if e.npk&4095 == 0 {
		e.publish()
	}
	seg := e.dec.DecodeAt(data, lt, ci.Timestamp)
	if seg == nil {
		return
	}
	if e.shards == nil {
		e.workers[0].assemble(seg.Net, &seg.TCP, seg.Timestamp, seg.VNI)
		return
	}
	h := seg.Net.FastHash()*0x9e3779b97f4a7c15 ^ seg.TCP.TransportFlow().FastHash()
	e.shards[h%uint64(len(e.shards))].add(seg, seg.Timestamp)
}

// Idle is for live sources, where capture time is wall-clock time: when packets are few,
// it runs the time-driven work as of now (expire unanswered requests, close idle
// connections), hands the calls waiting in a batch to the sink, and refreshes Stats. With
// Workers == 1 call it from the goroutine that calls HandlePacket; with more workers it
// only hands partial packet batches to them.
func (e *Engine) Idle(now time.Time) {
	e.publish()
	if e.shards != nil {
		e.flushShards()
		return
	}
	e.workers[0].idle(now)
}

// publish makes the counts of the packets handled so far visible to Stats
// (the inline worker's among them; sharded workers publish their own).
func (e *Engine) publish() {
	e.packets.Store(e.npk)
	if e.shards == nil {
		e.workers[0].publish()
	}
	e.publishDecoderStats()
}

func (e *Engine) publishDecoderStats() {
	s := e.dec.Stats()
	e.decMu.Lock()
	e.decStats = s
	e.decMu.Unlock()
}

// flushShards hands partial packet batches to the workers.
func (e *Engine) flushShards() {
	for _, s := range e.shards {
		s.send()
	}
}

// Close ends every connection, emits what is pending (requests without
// response become calls with status 0) and stops the workers. It is
// idempotent; Run and HandlePacket must not be called after it.
func (e *Engine) Close(ctx context.Context) error {
	e.closeOnce.Do(func() {
		e.closed.Store(true)
		e.publish()
		for _, w := range e.workers {
			w.ctx.Store(&ctx)
		}
		if e.shards == nil {
			e.workers[0].closeAll()
			return
		}
		for _, s := range e.shards {
			s.send()
			close(s.ch)
		}
		e.wg.Wait()
	})
	return nil
}

// Stats returns the counters so far. Safe for concurrent use. While
// packets are being handled the counts may lag by a few thousand packets;
// they are complete once Run has returned, after Idle and after Close.
func (e *Engine) Stats() Stats {
	s := Stats{Packets: e.packets.Load(), ParseErrors: map[string]uint64{}, Drops: map[string]uint64{}, Ignored: map[string]uint64{}}
	for _, w := range e.workers {
		w.ctr.addTo(&s)
	}
	e.decMu.Lock()
	s.TCPPayloadBytes = e.decStats.TCPPayloadBytes
	for reason, n := range e.decStats.All() {
		switch reason {
		case decoder.ReasonNotIP, decoder.ReasonNotTCP:
			if n > 0 {
				s.Ignored[reason.String()] += n
			}
		case decoder.ReasonFragmentPending:
		default:
			if n > 0 {
				s.Drops[reason.String()] += n
			}
		}
	}
	e.decMu.Unlock()
	return s
}
