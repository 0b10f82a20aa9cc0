package apicall

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func batch(n int) []Call {
	calls := make([]Call, n)
	for i := range calls {
		calls[i].Path = "/x"
	}
	return calls
}

func TestQueueDelivers(t *testing.T) {
	var got atomic.Int64
	q := NewQueue(SinkFunc(func(_ context.Context, c []Call) error { got.Add(int64(len(c))); return nil }), 1<<20, 64, nil)
	go q.Run(t.Context())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				q.Consume(t.Context(), batch(5))
			}
		})
	}
	wg.Wait()
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := q.Stats()
	if got.Load() != 200 || st.Delivered != 200 || st.Accepted != 200 || st.ShedFull != 0 || st.Buffered != 0 || st.Bytes != 0 {
		t.Errorf("delivered %d, stats %+v", got.Load(), st)
	}
	if err := q.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	q.Consume(t.Context(), batch(3))
	if st := q.Stats(); st.ShedFull != 3 {
		t.Errorf("after Close: %+v, want 3 shed", st)
	}
}

// TestQueueShedsWhenFull blocks the next sink and checks that Consume neither blocks nor
// loses count: every call is delivered or shed.
func TestQueueShedsWhenFull(t *testing.T) {
	release := make(chan struct{})
	var got atomic.Int64
	q := NewQueue(SinkFunc(func(_ context.Context, c []Call) error {
		<-release
		got.Add(int64(len(c)))
		return nil
	}), 10*CallSize(&batch(1)[0]), 100, nil)
	go q.Run(t.Context())
	start := time.Now()
	for range 100 {
		q.Consume(t.Context(), batch(2))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Consume blocked for %s", d)
	}
	st := q.Stats()
	if st.ShedFull == 0 || st.Accepted > 12 {
		t.Errorf("stats %+v: want shedding with room for about 10 calls (+1 batch in delivery)", st)
	}
	close(release)
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	st = q.Stats()
	if st.Accepted+st.ShedFull != 200 || uint64(got.Load()) != st.Delivered || st.Delivered != st.Accepted {
		t.Errorf("stats %+v, delivered %d: accepted + shed must be 200, all accepted delivered", st, got.Load())
	}
}

func TestQueueCloseTimeout(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	q := NewQueue(SinkFunc(func(context.Context, []Call) error { <-block; return nil }), 1<<20, 8, nil)
	go q.Run(t.Context())
	q.Consume(t.Context(), batch(1))
	q.Consume(t.Context(), batch(1))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); err == nil {
		t.Error("Close returned nil though the sink never drained")
	}
}

// TestQueueCloseBeforeRun closes a queue whose Run never started, with a sink that blocks:
// Close returns at the deadline instead of waiting for the sink.
func TestQueueCloseBeforeRun(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	q := NewQueue(SinkFunc(func(context.Context, []Call) error { <-block; return nil }), 1<<20, 8, nil)
	q.Consume(t.Context(), batch(1))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); err == nil {
		t.Error("Close returned nil though the sink never drained")
	}
	if err := q.Run(t.Context()); err == nil {
		t.Error("Run after Close returned nil")
	}
}

func TestQueueWithoutRunAndFailures(t *testing.T) {
	q := NewQueue(SinkFunc(func(context.Context, []Call) error { return errors.New("down") }), 1<<20, 8, nil)
	q.Consume(t.Context(), batch(4))
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := q.Stats(); st.Failed != 4 || st.Buffered != 0 {
		t.Errorf("stats %+v, want 4 failed", st)
	}
}
