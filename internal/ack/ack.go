// Package ack carries durability acknowledgements with a batch of calls
// through the apicall.Sink chain without changing the Sink interface.
//
// A Kafka consumer that wants to commit a batch's offsets only once the
// batch is durable puts a Collector into the context it passes to the
// sinks (With). A sink that buffers rows and writes them later (the
// ClickHouse writer) finds the Collector (From) and registers "wait until
// these rows are written" instead of blocking until then; a sink that
// writes synchronously registers nothing (returning nil already means
// durable). The consumer then waits for the collected acknowledgements
// (Wait) in the background, while it fetches and hands over the next
// batches, and commits in order.
package ack

import (
	"context"
	"errors"
	"sync"
)

// Waiter blocks until what it stands for is durable (nil) or failed for
// good (the error), or until ctx ends (ctx.Err()).
type Waiter func(ctx context.Context) error

// Collector gathers the Waiters registered while one batch passes the
// sinks. It is safe for concurrent use. The zero value is ready.
type Collector struct {
	mu    sync.Mutex
	waits []Waiter
}

type ctxKey struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c *Collector) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// From returns the Collector in ctx, or nil: then the caller wants a
// synchronous write (nil means durable).
func From(ctx context.Context) *Collector {
	c, _ := ctx.Value(ctxKey{}).(*Collector)
	return c
}

// Add registers w.
func (c *Collector) Add(w Waiter) {
	c.mu.Lock()
	c.waits = append(c.waits, w)
	c.mu.Unlock()
}

// Len is the number of Waiters registered.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waits)
}

// Wait waits for every registered Waiter and returns their errors joined
// (nil: all durable). When ctx ends first it returns ctx.Err().
func (c *Collector) Wait(ctx context.Context) error {
	c.mu.Lock()
	waits := c.waits
	c.mu.Unlock()
	var errs []error
	for _, w := range waits {
		err := w(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Merge adds the Waiters registered in o.
func (c *Collector) Merge(o *Collector) {
	o.mu.Lock()
	waits := o.waits
	o.mu.Unlock()
	c.mu.Lock()
	c.waits = append(c.waits, waits...)
	c.mu.Unlock()
}
