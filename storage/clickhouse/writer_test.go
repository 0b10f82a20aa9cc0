package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/apitap/apitap/internal/ack"
	"github.com/apitap/apitap/internal/chtest"
)

// TestWriterOutage stops the server for 30 s while calls and findings
// stream in. Consume must block (back-pressure) rather than acknowledge
// rows it could not insert, the batch must be retried after the restart,
// and in the end every row is there exactly once (after FINAL).
func TestWriterOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s outage; skipped with -short")
	}
	srv := chtest.Start(t)
	o := migrated(t, srv)
	db := openDB(t, o)
	cfg := DefaultWriterConfig()
	cfg.FlushInterval = 50 * time.Millisecond
	cfg.RetryMax = time.Second
	reg := prometheus.NewRegistry()
	w, err := NewWriter(db, cfg, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	const batches, per = 40, 250
	calls := testCalls("out", batches*per)
	findings := testFindings(batches, 7)

	var acked atomic.Int64 // batches whose Consume returned nil
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range batches {
			// Two producers' worth: calls and the finding of the same batch.
			if err := w.Consume(ctx, calls[i*per:(i+1)*per]); err != nil {
				errc <- fmt.Errorf("batch %d: %w", i, err)
				return
			}
			if err := w.ConsumeFindings(ctx, findings[i:i+1]); err != nil {
				errc <- fmt.Errorf("finding %d: %w", i, err)
				return
			}
			acked.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	}()

	for acked.Load() < 10 {
		time.Sleep(10 * time.Millisecond)
	}
	srv.Stop(t)
	time.Sleep(time.Second) // let the batch that was in flight notice
	during := acked.Load()
	time.Sleep(29 * time.Second)
	if got := acked.Load(); got != during {
		t.Errorf("%d batches acknowledged while the server was down", got-during)
	}
	if during >= batches {
		t.Fatal("the stream ended before the outage")
	}
	srv.Restart(t)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if retries := testutil.ToFloat64(w.m.errors.WithLabelValues("calls", "retryable")); retries == 0 {
		t.Error("no retryable error counted during the outage")
	}
	if dropped := testutil.ToFloat64(w.m.dropped.WithLabelValues("calls", "permanent_error")); dropped != 0 {
		t.Errorf("%v rows dropped", dropped)
	}
	d := o.Database
	// A fresh connection: the DB's pool saw the server die.
	if n := srv.Count(t, "SELECT count() FROM "+d+".calls FINAL"); n != batches*per {
		t.Errorf("calls after FINAL: %d, want %d", n, batches*per)
	}
	if n := srv.Count(t, "SELECT uniqExact(id) FROM "+d+".calls"); n != batches*per {
		t.Errorf("distinct call ids: %d, want %d (missing calls)", n, batches*per)
	}
	if n := srv.Count(t, "SELECT count() FROM "+d+".findings FINAL"); n != batches {
		t.Errorf("findings after FINAL: %d, want %d", n, batches)
	}
}

// TestWriterPermanentError: an insert the server rejects for good is not
// retried forever; the caller gets the error and the rows are counted.
func TestWriterPermanentError(t *testing.T) {
	srv := chtest.Shared(t)
	db := srv.Database(t) // exists, but has no tables
	o, err := ParseDSN(srv.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	d := openDB(t, o)
	for _, wait := range []bool{true, false} {
		t.Run(fmt.Sprintf("WaitForInsert=%v", wait), func(t *testing.T) {
			cfg := DefaultWriterConfig()
			cfg.WaitForInsert = wait
			cfg.FlushInterval = 20 * time.Millisecond
			w, err := NewWriter(d, cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err = w.Consume(ctx, testCalls("perm", 10))
			if wait {
				if err == nil || !strings.Contains(err.Error(), "apitap migrate") {
					t.Fatalf("Consume: %v, want an unknown-table error that names apitap migrate", err)
				}
			} else if err != nil {
				t.Fatalf("buffered Consume: %v", err)
			}
			err = w.Close(ctx)
			if !wait && err == nil {
				t.Fatal("Close returned nil after a permanent failure")
			}
			if got := testutil.ToFloat64(w.m.dropped.WithLabelValues("calls", "permanent_error")); got != 10 {
				t.Errorf("dropped %v rows, want 10", got)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("retried until the deadline")
			}
		})
	}
}

// TestWriterBuffered: without WaitForInsert, Run flushes by time, and
// BatchRows bounds the buffer.
func TestWriterBuffered(t *testing.T) {
	srv := chtest.Shared(t)
	o := migrated(t, srv)
	db := openDB(t, o)
	cfg := DefaultWriterConfig()
	cfg.WaitForInsert = false
	cfg.BatchRows = 400
	cfg.FlushInterval = 50 * time.Millisecond
	w, err := NewWriter(db, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	calls := testCalls("buf", 1000)
	for i := 0; i < 1000; i += 100 {
		if err := w.Consume(t.Context(), calls[i:i+100]); err != nil {
			t.Fatal(err)
		}
		w.calls.mu.Lock()
		pending := w.calls.pending.rows
		w.calls.mu.Unlock()
		if pending > cfg.BatchRows {
			t.Fatalf("%d rows pending, bound %d", pending, cfg.BatchRows)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Count(t, "SELECT count() FROM "+o.Database+".calls") < 1000 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := srv.Count(t, "SELECT count() FROM "+o.Database+".calls"); n != 1000 {
		t.Fatalf("Run flushed %d calls by time, want 1000", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestWriterBlocks: a batch larger than one block goes out as several
// blocks of a single insert, and every row arrives once.
func TestWriterBlocks(t *testing.T) {
	srv := chtest.Shared(t)
	o := migrated(t, srv)
	db := openDB(t, o)
	n := 3*blockRows + 5
	cfg := DefaultWriterConfig()
	cfg.BatchRows = n
	reg := prometheus.NewRegistry()
	w, err := NewWriter(db, cfg, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls := testCalls("blk", n)
	if err := w.Consume(t.Context(), calls); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Count(t, "SELECT count() FROM system.parts WHERE database = '"+o.Database+"' AND table = 'calls'"); got != 1 {
		t.Errorf("%d parts, want the blocks squashed into 1", got)
	}
	if got := testutil.ToFloat64(w.m.batches.WithLabelValues("calls")); got != 1 {
		t.Errorf("%v inserts, want 1", got)
	}
	if got := srv.Count(t, "SELECT uniqExact(id) FROM "+o.Database+".calls"); got != uint64(n) {
		t.Errorf("distinct ids: %d, want %d", got, n)
	}
	if got := srv.Count(t, "SELECT count() FROM "+o.Database+".calls WHERE id = '"+calls[n-1].ID+"' AND path = '"+calls[n-1].Path+"'"); got != 1 {
		t.Errorf("last row: %d, want 1", got)
	}
}

// TestWriterBackgroundRetry: full batches are inserted in the background,
// InsertConcurrency at once; while the server is down those inserts
// retry, Consume blocks once one more batch is full (back-pressure), and
// after the restart every row arrives once.
func TestWriterBackgroundRetry(t *testing.T) {
	srv := chtest.Start(t)
	for _, conc := range []int{1, 2} {
		t.Run(fmt.Sprintf("InsertConcurrency=%d", conc), func(t *testing.T) {
			o := migrated(t, srv)
			db := openDB(t, o)
			cfg := DefaultWriterConfig()
			cfg.WaitForInsert = false
			cfg.BatchRows = 100
			cfg.InsertConcurrency = conc
			cfg.FlushInterval = time.Minute // by size only
			cfg.RetryInitial, cfg.RetryMax = 50*time.Millisecond, 200*time.Millisecond
			w, err := NewWriter(db, cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			srv.Stop(t)
			calls := testCalls(fmt.Sprintf("bg%d", conc), 350)
			var consumed atomic.Int64
			done := make(chan error, 1)
			go func() {
				for i := 0; i < len(calls); i += 25 {
					if err := w.Consume(t.Context(), calls[i:i+25]); err != nil {
						done <- err
						return
					}
					consumed.Add(25)
				}
				done <- nil
			}()
			time.Sleep(2 * time.Second)
			// conc batches are retrying, one more is full: Consume waits.
			if got, want := consumed.Load(), int64(100*(conc+1)); got != want {
				t.Errorf("%d rows accepted while the server was down, want %d (%d batches inserting, one full)", got, want, conc)
			}
			srv.Restart(t)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if err := w.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if retries := testutil.ToFloat64(w.m.errors.WithLabelValues("calls", "retryable")); retries == 0 {
				t.Error("no retryable error counted")
			}
			if n := srv.Count(t, "SELECT count() FROM "+o.Database+".calls FINAL"); n != 350 {
				t.Errorf("calls after FINAL: %d, want 350", n)
			}
		})
	}
}

// TestWriterConcurrentFlushes: flushes by time, Flush and Consume's own
// flushes run at once with background inserts; none may deadlock.
func TestWriterConcurrentFlushes(t *testing.T) {
	srv := chtest.Shared(t)
	o := migrated(t, srv)
	db := openDB(t, o)
	cfg := DefaultWriterConfig()
	cfg.BatchRows = 60
	cfg.InsertConcurrency = 3
	cfg.FlushInterval = 5 * time.Millisecond
	w, err := NewWriter(db, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	runDone := make(chan error, 1)
	runCtx, stopRun := context.WithCancel(ctx)
	go func() { runDone <- w.Run(runCtx) }()
	calls := testCalls("conc", 2000)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g * 500; i < (g+1)*500; i += 25 {
				if err := w.Consume(ctx, calls[i:i+25]); err != nil {
					errc <- err
					return
				}
				if i%100 == 0 {
					if err := w.Flush(ctx); err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	stopRun()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(t, "SELECT uniqExact(id) FROM "+o.Database+".calls"); n != 2000 {
		t.Errorf("distinct ids: %d, want 2000", n)
	}
}

// TestWriterAck: with an ack.Collector in the context Consume returns once
// the rows are buffered and registers a wait that ends when Run inserted
// them (nil) or they failed for good (the error); without one it waits as
// before.
func TestWriterAck(t *testing.T) {
	srv := chtest.Shared(t)
	for _, tc := range []struct {
		name    string
		migrate bool
	}{{"inserted", true}, {"permanent_error", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var o *Options
			if tc.migrate {
				o = migrated(t, srv)
			} else {
				var err error
				if o, err = ParseDSN(srv.DSN(srv.Database(t))); err != nil { // no tables
					t.Fatal(err)
				}
			}
			d := openDB(t, o)
			cfg := DefaultWriterConfig()
			cfg.FlushInterval = 200 * time.Millisecond
			w, err := NewWriter(d, cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			col := &ack.Collector{}
			for i := range 3 {
				if err := w.Consume(ack.With(ctx, col), testCalls(fmt.Sprintf("ack%d", i), 10)); err != nil {
					t.Fatalf("Consume with a collector: %v", err)
				}
			}
			if col.Len() != 3 {
				t.Fatalf("%d waits registered, want 3", col.Len())
			}
			if st := w.Stats(); st.Calls != 0 {
				t.Fatalf("%d rows inserted before Run flushed", st.Calls)
			}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- w.Run(runCtx) }()
			err = col.Wait(ctx)
			stop()
			<-done
			if tc.migrate {
				if err != nil {
					t.Fatalf("Wait: %v", err)
				}
				if got := srv.Count(t, "SELECT count() FROM "+o.Database+".calls"); got != 30 {
					t.Errorf("%d rows after the acks, want 30", got)
				}
				if got := w.Stats(); got.Calls != 30 {
					t.Errorf("writer inserted %d rows, want 30 (in one insert)", got.Calls)
				}
			} else if err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Wait: %v, want the permanent insert error", err)
			}
			_ = w.Close(ctx)
		})
	}
}
