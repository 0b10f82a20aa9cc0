package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// obsProducer writes the actor tier's observations to the observations
// topic in the background, in the order the batches were queued, and
// tells each batch's waiter when Kafka acknowledged all of its
// observations (acks=all) or failed them for good. The calls consumer
// commits a batch's offsets only after that (internal/ack), so an
// observation is never lost behind a committed call; meanwhile the consumer
// fetches and observes the next batches.
//
// The queue is bounded by batches and bytes: when full, enqueue waits
// (back-pressure on the calls consumer, counted in blocked). A retryable
// failure (a network error, a temporary Kafka error code) is retried with
// backoff, the failed records only, as long as the producer runs; a
// permanent one (a non-temporary Kafka error code such as
// TOPIC_AUTHORIZATION_FAILED, a record over the broker's size limit) fails
// the batch and every later one: the consumer then stops with that error.
type obsProducer struct {
	w          *kafkago.Writer
	topic      string
	maxBatches int
	maxBytes   int
	backoffMax time.Duration

	mu      sync.Mutex
	queue   []*obsBatch
	bytes   int
	failed  error // sticky permanent failure
	closing bool
	wake    chan struct{} // cap 1: batches queued
	freed   chan struct{} // cap 1: batches done
	stopped chan struct{} // closed when run returns

	produced, retries, permanent atomic.Uint64
	blockedNanos                 atomic.Int64 // finished waits
	blockedSince                 atomic.Int64 // start of the current wait (unix ns), 0: none
	pending                      atomic.Int64 // batches queued or in flight
}

// obsBatch is one calls batch's observations.
type obsBatch struct {
	msgs  []kafkago.Message
	bytes int
	done  chan struct{} // closed once err is set
	err   error
}

// wait blocks until b is acknowledged (nil) or failed (the error), or ctx
// ends.
func (b *obsBatch) wait(ctx context.Context) error {
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newObsProducer(w *kafkago.Writer, topic string, maxBatches, maxBytes int) *obsProducer {
	return &obsProducer{w: w, topic: topic, maxBatches: max(1, maxBatches), maxBytes: max(1, maxBytes), backoffMax: 5 * time.Second,
		wake: make(chan struct{}, 1), freed: make(chan struct{}, 1), stopped: make(chan struct{})}
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// enqueue queues msgs and returns their batch, waiting while the queue is
// full. It fails when ctx ends first, after a permanent failure, or once
// the producer is closing.
func (p *obsProducer) enqueue(ctx context.Context, msgs []kafkago.Message) (*obsBatch, error) {
	b := &obsBatch{msgs: msgs, done: make(chan struct{})}
	for i := range msgs {
		b.bytes += len(msgs[i].Key) + len(msgs[i].Value) + 32
	}
	var start time.Time
	for {
		p.mu.Lock()
		switch {
		case p.failed != nil:
			p.mu.Unlock()
			return nil, p.failed
		case p.closing:
			p.mu.Unlock()
			return nil, fmt.Errorf("--observations-topic %s: producer closed", p.topic)
		case len(p.queue) == 0 || len(p.queue) < p.maxBatches && p.bytes+b.bytes <= p.maxBytes:
			p.queue = append(p.queue, b)
			p.bytes += b.bytes
			p.mu.Unlock()
			p.pending.Add(1)
			if !start.IsZero() {
				p.endWait(start)
			}
			notify(p.wake)
			return b, nil
		}
		p.mu.Unlock()
		if start.IsZero() {
			start = time.Now()
			p.blockedSince.Store(start.UnixNano())
		}
		select {
		case <-p.freed:
		case <-p.stopped:
		case <-ctx.Done():
			p.endWait(start)
			return nil, ctx.Err()
		}
	}
}

func (p *obsProducer) endWait(start time.Time) {
	p.blockedSince.Store(0)
	p.blockedNanos.Add(int64(time.Since(start)))
}

// blocked is the time enqueue waited for room, the current wait included.
func (p *obsProducer) blocked() time.Duration {
	d := time.Duration(p.blockedNanos.Load())
	if since := p.blockedSince.Load(); since != 0 {
		d += time.Since(time.Unix(0, since))
	}
	return d
}

// run writes the queued batches until ctx ends; what is still queued then
// fails with ctx's error.
func (p *obsProducer) run(ctx context.Context) {
	defer close(p.stopped)
	for {
		p.mu.Lock()
		batch := p.queue[:len(p.queue):len(p.queue)]
		p.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-p.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		err := p.write(ctx, batch)
		if err != nil && ctx.Err() == nil {
			p.mu.Lock()
			p.failed = err
			p.mu.Unlock()
		}
		p.mu.Lock()
		n := len(batch)
		if err != nil {
			n = len(p.queue) // the rest fail too
		}
		done := p.queue[:n]
		p.queue = append(p.queue[:0:0], p.queue[n:]...)
		for _, b := range done {
			p.bytes -= b.bytes
		}
		p.mu.Unlock()
		for _, b := range done {
			b.err = err
			close(b.done)
			p.pending.Add(-1)
		}
		notify(p.freed)
		if err != nil {
			return
		}
	}
}

// write produces the batches' records, retrying the failed ones while the
// failures are retryable.
func (p *obsProducer) write(ctx context.Context, batch []*obsBatch) error {
	var msgs []kafkago.Message
	for _, b := range batch {
		msgs = append(msgs, b.msgs...)
	}
	backoff := 100 * time.Millisecond
	for {
		err := p.w.WriteMessages(ctx, msgs...)
		if err == nil {
			p.produced.Add(uint64(len(msgs)))
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("--observations-topic %s: %d observations not acknowledged before shutdown: %w", p.topic, len(msgs), ctx.Err())
		}
		var werrs kafkago.WriteErrors
		if errors.As(err, &werrs) && len(werrs) == len(msgs) {
			var left []kafkago.Message
			for i, e := range werrs {
				if e == nil {
					p.produced.Add(1)
					continue
				}
				left = append(left, msgs[i])
				if permanentProduceError(e) {
					p.permanent.Add(1)
					return fmt.Errorf("--observations-topic %s: produce failed for good: %w", p.topic, e)
				}
			}
			msgs = left
		} else if permanentProduceError(err) {
			p.permanent.Add(1)
			return fmt.Errorf("--observations-topic %s: produce failed for good: %w", p.topic, err)
		}
		p.retries.Add(1)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("--observations-topic %s: %d observations not acknowledged before shutdown (last error: %w)", p.topic, len(msgs), err)
		case <-t.C:
		}
		backoff = min(2*backoff, p.backoffMax)
	}
}

// permanentProduceError tells errors that retrying cannot fix: Kafka error
// codes kafka-go does not call temporary, and records too large to send.
func permanentProduceError(err error) bool {
	var ke kafkago.Error
	if errors.As(err, &ke) {
		return !ke.Temporary()
	}
	var tooLarge kafkago.MessageTooLargeError
	return errors.As(err, &tooLarge)
}

// drain waits until every queued batch is done or ctx ends, then stops
// accepting batches.
func (p *obsProducer) drain(ctx context.Context) error {
	defer func() {
		p.mu.Lock()
		p.closing = true
		p.mu.Unlock()
	}()
	for p.pending.Load() > 0 {
		select {
		case <-p.stopped:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("--observations-topic %s: %d batches of observations not acknowledged within the shutdown timeout", p.topic, p.pending.Load())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
