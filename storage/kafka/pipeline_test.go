package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/ack"
	"github.com/apitap/apitap/internal/chtest"
	"github.com/apitap/apitap/storage/clickhouse"
)

// bufferingSink accepts batches at once and acknowledges each one only
// when the test says so (ackBatch), like a writer that inserts later.
type bufferingSink struct {
	mu      sync.Mutex
	sizes   []int          // calls per accepted batch, in order
	results []chan error   // per batch: the insert's outcome
	notify  chan struct{}  // a batch arrived
	calls   map[string]int // deliveries per call ID
}

func newBufferingSink() *bufferingSink {
	return &bufferingSink{notify: make(chan struct{}, 1), calls: map[string]int{}}
}

func (s *bufferingSink) Consume(ctx context.Context, calls []apicall.Call) error {
	col := ack.From(ctx)
	if col == nil {
		return errors.New("no ack collector in the context")
	}
	res := make(chan error, 1)
	col.Add(func(ctx context.Context) error {
		select {
		case err := <-res:
			res <- err // later waits see it too
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	s.mu.Lock()
	s.sizes = append(s.sizes, len(calls))
	s.results = append(s.results, res)
	for _, c := range calls {
		s.calls[c.ID]++
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return nil
}

// ackBatch sets the outcome of batch i (from 0).
func (s *bufferingSink) ackBatch(i int, err error) {
	s.mu.Lock()
	res := s.results[i]
	s.mu.Unlock()
	res <- err
}

func (s *bufferingSink) waitCalls(t *testing.T, n int) {
	t.Helper()
	waitUntil(t, 30*time.Second, fmt.Sprintf("%d calls at the sink", n), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.calls) >= n
	})
}

// end returns the offset after batch i (one partition, nothing skipped:
// the calls of batches 0..i).
func (s *bufferingSink) end(i int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, k := range s.sizes[:i+1] {
		n += int64(k)
	}
	return n
}

func (s *bufferingSink) batches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sizes)
}

// committed returns the group's committed offset of partition 0 of the
// test topic: -1 when there is none (the group may not exist yet), -2 when
// the broker did not answer (logged; callers poll or compare with an
// offset they expect).
func committed(t *testing.T, brokers []string, group string) int64 {
	t.Helper()
	cl := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 10 * time.Second}
	resp, err := cl.OffsetFetch(t.Context(), &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{testTopic: {0}}})
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	if err != nil {
		t.Logf("offset fetch: %v", err)
		return -2
	}
	for _, p := range resp.Topics[testTopic] {
		if p.Partition != 0 {
			continue
		}
		if p.Error != nil {
			t.Logf("offset fetch partition 0: %v", p.Error)
			return -2
		}
		return p.CommittedOffset
	}
	return -1
}

// TestPipelineCommitsInOrderAfterAcks: the consumer hands batch after batch
// to a sink that acknowledges them later and out of order; offsets are
// committed only up to the last batch of an acknowledged prefix, never
// past a batch still waiting.
func TestPipelineCommitsInOrderAfterAcks(t *testing.T) {
	cl := newCluster(t, 1)
	brokers := cl.ListenAddrs()
	const n = 500
	produce(t, brokers, 0, n)

	sink := newBufferingSink()
	cfg := testConsumerConfig(brokers, "pipeline-order")
	cfg.BatchCalls = 100
	c, err := NewConsumer(cfg, sink, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c)
	// All batches reach the sink although none is acknowledged: the
	// consumer does not wait for one batch's insert before the next.
	sink.waitCalls(t, n)
	b := sink.batches()
	if b < 4 {
		t.Fatalf("%d batches for %d calls of at most 100; want at least 4", b, n)
	}
	if got := c.m.queued.Load(); got != int64(b) {
		t.Errorf("uncommitted batches = %d, want %d", got, b)
	}
	if off := committed(t, brokers, cfg.Group); off != -1 {
		t.Fatalf("committed offset %d before any batch was acknowledged, want none (-1)", off)
	}

	// Batch 2 first: nothing may be committed (batch 0 and 1 wait).
	sink.ackBatch(2, nil)
	// Then batch 0: its offsets are committed, not more.
	sink.ackBatch(0, nil)
	waitUntil(t, 10*time.Second, "the first commit", func() bool { return c.Stats().Commits >= 1 })
	if off := committed(t, brokers, cfg.Group); off != sink.end(0) {
		t.Fatalf("after acks of batches 2 and 0: committed %d, want %d (the end of batch 0)", off, sink.end(0))
	}
	// Still waiting for batch 1: the committer holds batch 2.
	time.Sleep(300 * time.Millisecond)
	if got := c.Stats().Commits; got != 1 {
		t.Fatalf("%d commits while batch 1 waits, want 1", got)
	}
	if off := committed(t, brokers, cfg.Group); off != sink.end(0) {
		t.Fatalf("committed %d past unacknowledged batch 1 (batch 0 ends at %d)", off, sink.end(0))
	}
	// Batch 1: batches 1 and 2 commit.
	sink.ackBatch(1, nil)
	waitUntil(t, 10*time.Second, "commits of batches 1 and 2", func() bool { return c.Stats().Commits >= 3 })
	if off := committed(t, brokers, cfg.Group); off != sink.end(2) {
		t.Fatalf("after acks of batches 0-2: committed %d, want %d", off, sink.end(2))
	}
	// The rest, last first.
	for i := b - 1; i >= 3; i-- {
		sink.ackBatch(i, nil)
	}
	waitUntil(t, 10*time.Second, "every commit", func() bool { return c.Stats().Commits >= uint64(b) })
	if off := committed(t, brokers, cfg.Group); off != n {
		t.Fatalf("in the end committed %d, want %d", off, n)
	}
	if got := c.m.queued.Load(); got != 0 {
		t.Errorf("uncommitted batches = %d at the end, want 0", got)
	}
}

// TestPipelineFailedAck: a batch the sink accepted but could not store
// stops Run with an error naming the failure; nothing from that batch on
// is committed, even batches acknowledged after it, and a restarted
// consumer reads again from there.
func TestPipelineFailedAck(t *testing.T) {
	cl := newCluster(t, 1)
	brokers := cl.ListenAddrs()
	const n = 400
	produce(t, brokers, 0, n)

	sink := newBufferingSink()
	cfg := testConsumerConfig(brokers, "pipeline-fail")
	cfg.BatchCalls = 100
	reg := prometheus.NewRegistry()
	c, err := NewConsumer(cfg, sink, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	sink.waitCalls(t, n)
	if sink.batches() < 3 {
		t.Fatalf("%d batches, want at least 3", sink.batches())
	}
	sink.ackBatch(0, nil)
	sink.ackBatch(2, nil)
	sink.ackBatch(1, errors.New("insert 100 rows into calls: table is gone"))
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop after a batch failed")
	}
	if runErr == nil || !strings.Contains(runErr.Error(), "table is gone") || !strings.Contains(runErr.Error(), "batch 2") {
		t.Fatalf("Run: %v; want an error naming batch 2 and the insert failure", runErr)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if off := committed(t, brokers, cfg.Group); off != sink.end(0) {
		t.Fatalf("committed %d, want %d (the end of batch 0, the last durable before the failure)", off, sink.end(0))
	}
	if got := c.Stats().Commits; got != 1 {
		t.Errorf("%d commits, want 1", got)
	}

	// A new member reads the failed batch and the ones after it again.
	redo := newCollector()
	c2, err := NewConsumer(cfg, redo, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c2)
	redo.waitFor(t, n-int(sink.end(0)), 30*time.Second)
	redo.mu.Lock()
	defer redo.mu.Unlock()
	for id := range redo.calls {
		if sink.calls[id] == 0 {
			t.Fatalf("call %s re-read that was never delivered before", id)
		}
	}
	if len(redo.calls) != n-int(sink.end(0)) {
		t.Errorf("re-read %d calls, want %d (all after batch 0)", len(redo.calls), n-int(sink.end(0)))
	}
}

// TestPipelineClickhouseCoalesces: with the real ClickHouse writer (one
// second flush interval, default batch rows) the consumer's batches do not
// wait one by one for their insert: many Kafka batches go into fewer
// inserts, and every offset is committed once they are inserted.
func TestPipelineClickhouseCoalesces(t *testing.T) {
	srv := chtest.Shared(t)
	o, err := clickhouse.ParseDSN(srv.DSN(srv.Database(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clickhouse.Migrate(t.Context(), o, clickhouse.DefaultMigrateConfig(), nil); err != nil {
		t.Fatal(err)
	}
	db, err := clickhouse.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	wcfg := clickhouse.DefaultWriterConfig()
	wcfg.FlushInterval = time.Second
	w, err := clickhouse.NewWriter(db, wcfg, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wstop := context.WithCancel(t.Context())
	wdone := make(chan error, 1)
	go func() { wdone <- w.Run(wctx) }()

	cl := newCluster(t, 1)
	brokers := cl.ListenAddrs()
	const n = 2000
	produce(t, brokers, 0, n)
	cfg := testConsumerConfig(brokers, "pipeline-clickhouse")
	cfg.BatchCalls = 100
	c, err := NewConsumer(cfg, w, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	waitUntil(t, 60*time.Second, "every offset committed", func() bool { return committed(t, brokers, cfg.Group) == n })
	stop()
	wstop()
	if err := <-wdone; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	inserts := counterValue(t, reg, "apitap_clickhouse_batches_inserted_total", "calls")
	if got := srv.Count(t, "SELECT count() FROM "+o.Database+".calls"); got != n {
		t.Errorf("%d rows in calls, want %d", got, n)
	}
	if st.Batches < n/100 {
		t.Fatalf("%d consumer batches, want at least %d", st.Batches, n/100)
	}
	if inserts >= float64(st.Batches) {
		t.Errorf("%v inserts for %d Kafka batches: the batches were inserted one by one", inserts, st.Batches)
	}
	t.Logf("%d Kafka batches, %d commits, %v inserts", st.Batches, st.Commits, inserts)
}

// counterValue returns the value of counter name with label table.
func counterValue(t *testing.T, g prometheus.Gatherer, name, table string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == table {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{table=%q}", name, table)
	return 0
}

// TestPipelineBackPressure: with MaxUncommitted batches waiting for their
// acknowledgements the consumer hands no further batch to the sink until
// one is acknowledged, and counts the time it waited.
func TestPipelineBackPressure(t *testing.T) {
	cl := newCluster(t, 1)
	brokers := cl.ListenAddrs()
	const n = 600
	produce(t, brokers, 0, n)

	sink := newBufferingSink()
	cfg := testConsumerConfig(brokers, "pipeline-backpressure")
	cfg.BatchCalls = 100
	cfg.MaxUncommitted = 2
	c, err := NewConsumer(cfg, sink, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c)
	// Two batches queued and a third accepted by the sink, waiting for room.
	waitUntil(t, 30*time.Second, "three batches at the sink", func() bool { return sink.batches() >= 3 })
	time.Sleep(300 * time.Millisecond)
	if b := sink.batches(); b != 3 {
		t.Fatalf("%d batches at the sink with none acknowledged and MaxUncommitted 2, want 3", b)
	}
	sink.ackBatch(0, nil)
	waitUntil(t, 10*time.Second, "a fourth batch after the first ack", func() bool { return sink.batches() >= 4 })
	if got := testutil.ToFloat64(c.m.blocked); got <= 0 {
		t.Errorf("blocked seconds = %v after waiting for room, want > 0", got)
	}
	// Acknowledge as batches come until every call is committed.
	acked := 1
	waitUntil(t, 30*time.Second, "every offset committed", func() bool {
		for ; acked < sink.batches(); acked++ {
			sink.ackBatch(acked, nil)
		}
		return committed(t, brokers, cfg.Group) == n
	})
	if got := sink.batches(); got > 4*n/100 {
		t.Errorf("%d batches for %d calls", got, n)
	}
}
