package apicall

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Queue is a Sink that decouples its producers from a slower Sink: Consume copies the batch
// into a bounded buffer and returns at once, and Run hands buffered batches to the next
// Sink from its own goroutine. When the buffer is full, Consume sheds the batch and counts
// it instead of waiting, so that a live capture loop never blocks on its output.
//
// Consume is safe for concurrent use. Run is called once; Close stops intake, lets Run
// deliver what is buffered until ctx ends, and counts what is left as shed.
type Queue struct {
	next     Sink
	log      *slog.Logger
	maxBytes int64
	ch       chan queued
	done     chan struct{}

	mu      sync.RWMutex // guards closed against sends on a closed channel
	closed  bool
	once    sync.Once
	started atomic.Bool

	bytes     atomic.Int64 // estimated bytes buffered
	calls     atomic.Int64 // calls buffered
	accepted  atomic.Uint64
	shed      atomic.Uint64
	delivered atomic.Uint64
	failed    atomic.Uint64
}

type queued struct {
	calls []Call
	bytes int64
}

// QueueStats are a Queue's counters. Accepted = Delivered + Failed + Shed(at Close) +
// Buffered; ShedFull counts batches refused at Consume because the buffer was full.
type QueueStats struct {
	Accepted  uint64 // calls buffered by Consume
	ShedFull  uint64 // calls refused by Consume (buffer full or queue closed)
	Delivered uint64 // calls the next sink accepted
	Failed    uint64 // calls the next sink refused, or left over when Close gave up
	Buffered  int64  // calls waiting now
	Bytes     int64  // their estimated size
}

// NewQueue returns a queue in front of next holding at most maxBytes (estimated by
// CallSize) and at most maxBatches batches. A nil log discards.
func NewQueue(next Sink, maxBytes int64, maxBatches int, log *slog.Logger) *Queue {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Queue{next: next, log: log.With("component", "queue"), maxBytes: max(maxBytes, 1),
		ch: make(chan queued, max(maxBatches, 1)), done: make(chan struct{})}
}

// CallSize estimates the memory a call holds: its bodies, headers and strings, plus a
// fixed overhead for the struct.
func CallSize(c *Call) int64 {
	n := 512 + len(c.ReqBody.Data) + len(c.RespBody.Data) + len(c.Path) + len(c.RawQuery) + len(c.Host)
	for _, h := range c.ReqHeaders {
		n += 32 + len(h.Name) + len(h.Value)
	}
	for _, h := range c.RespHeaders {
		n += 32 + len(h.Name) + len(h.Value)
	}
	return int64(n)
}

// Consume copies calls into the buffer, or sheds them (counted) when it is full. It never
// blocks and never fails: shedding is not an error of the producer.
func (q *Queue) Consume(_ context.Context, calls []Call) error {
	if len(calls) == 0 {
		return nil
	}
	var size int64
	for i := range calls {
		size += CallSize(&calls[i])
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed || q.bytes.Add(size) > q.maxBytes {
		if !q.closed {
			q.bytes.Add(-size)
		}
		q.shed.Add(uint64(len(calls)))
		return nil
	}
	select {
	case q.ch <- queued{calls: append([]Call(nil), calls...), bytes: size}:
		q.calls.Add(int64(len(calls)))
		q.accepted.Add(uint64(len(calls)))
	default:
		q.bytes.Add(-size)
		q.shed.Add(uint64(len(calls)))
	}
	return nil
}

// Run delivers batches to the next sink until Close, or until ctx ends (then it returns
// and Close counts what is left). It returns nil, or an error when called twice or after
// Close.
func (q *Queue) Run(ctx context.Context) error {
	if !q.started.CompareAndSwap(false, true) {
		return errors.New("queue: Run called twice or after Close")
	}
	q.loop(ctx)
	return nil
}

func (q *Queue) loop(ctx context.Context) {
	defer close(q.done)
	for {
		select {
		case b, ok := <-q.ch:
			if !ok {
				return
			}
			q.deliver(ctx, b)
		case <-ctx.Done():
			return
		}
	}
}

func (q *Queue) deliver(ctx context.Context, b queued) {
	if err := q.next.Consume(ctx, b.calls); err != nil {
		q.failed.Add(uint64(len(b.calls)))
		q.log.Warn("sink refused calls", "calls", len(b.calls), "err", err)
	} else {
		q.delivered.Add(uint64(len(b.calls)))
	}
	q.calls.Add(-int64(len(b.calls)))
	q.bytes.Add(-b.bytes)
}

// Close stops intake and waits until what is buffered was delivered (by Run, or by Close
// itself when Run was never called) or ctx ends, then returns an error. Calls left over
// when Run stopped early are counted as failed. Idempotent.
func (q *Queue) Close(ctx context.Context) error {
	var err error
	q.once.Do(func() {
		q.mu.Lock()
		q.closed = true
		close(q.ch)
		q.mu.Unlock()
		if q.started.CompareAndSwap(false, true) {
			go q.loop(ctx)
		}
		select {
		case <-q.done:
		case <-ctx.Done():
			err = errors.New("queue: sink did not drain before the shutdown timeout")
			return
		}
		for b := range q.ch { // Run stopped early: what is left is lost
			q.failed.Add(uint64(len(b.calls)))
			q.calls.Add(-int64(len(b.calls)))
			q.bytes.Add(-b.bytes)
		}
	})
	return err
}

// Stats returns the counters. Safe for concurrent use.
func (q *Queue) Stats() QueueStats {
	return QueueStats{Accepted: q.accepted.Load(), ShedFull: q.shed.Load(), Delivered: q.delivered.Load(),
		Failed: q.failed.Load(), Buffered: q.calls.Load(), Bytes: q.bytes.Load()}
}
