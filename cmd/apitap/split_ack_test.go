package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/storage/kafka"
)

// faultCluster is a kfake cluster whose produce requests to the
// observations topic fail with the error code in fault while it is not 0.
func faultCluster(t *testing.T) ([]string, *atomic.Int32) {
	t.Helper()
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, kafka.DefaultTopic, testObsTopic), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	fault := &atomic.Int32{}
	cl.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		cl.KeepControl()
		req := r.(*kmsg.ProduceRequest)
		code := int16(fault.Load())
		if code == 0 || len(req.Topics) == 0 || req.Topics[0].Topic != testObsTopic {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	return cl.ListenAddrs(), fault
}

// stallCluster is a kfake cluster that holds produce requests to the
// observations topic until release is closed.
func stallCluster(t *testing.T, release <-chan struct{}) []string {
	t.Helper()
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, kafka.DefaultTopic, testObsTopic), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	cl.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		cl.KeepControl()
		req := r.(*kmsg.ProduceRequest)
		if len(req.Topics) > 0 && req.Topics[0].Topic == testObsTopic {
			cl.SleepControl(func() { <-release })
		}
		return nil, nil, false
	})
	return cl.ListenAddrs()
}

// TestSplitObservationsStallBackPressure: while the broker holds the
// observations' produce requests, the actor tier queues at most
// MaxPendingBatches batches, the consumer waits (counted), and nothing is
// committed; once released every observation arrives and every offset is
// committed.
func TestSplitObservationsStallBackPressure(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer open()
	brokers := stallCluster(t, release)
	calls := ackCalls(2000)
	produceCalls(t, brokers, calls)
	cfg := testSplitConfig(brokers, "stall-0")
	cfg.MaxPendingBatches = 2
	r := startReplica(t, cfg)
	defer func() {
		if t.Failed() {
			open()
			r.cancel()
		}
	}()
	waitFor(t, "the consumer never waited for the observations queue", 30*time.Second, func() bool { return r.actors.prod.blocked() > 0 })
	time.Sleep(time.Second) // more batches would reach the tier by now if it did not wait
	// The batch in the blocked Consume is not counted as delivered yet.
	if got, most := r.cons.Stats().Calls, uint64(cfg.MaxPendingBatches*200); got > most {
		t.Errorf("%d calls delivered while the observations stalled, want at most %d (%d batches of 200)", got, most, cfg.MaxPendingBatches)
	}
	if com, _ := offsets(t, brokers, cfg.Group, kafka.DefaultTopic); sum(com) != 0 {
		t.Errorf("calls committed %v while their observations were held", com)
	}
	open()
	waitConsumed(t, uint64(len(calls)), r)
	waitFor(t, "calls offsets not committed after the stall", 30*time.Second, func() bool {
		com, end := offsets(t, brokers, cfg.Group, kafka.DefaultTopic)
		return sum(com) == sum(end) && sum(end) == int64(len(calls))
	})
	r.stop(t)
}

// ackCalls are n answered calls of 40 actors on 8 endpoints.
func ackCalls(n int) []apicall.Call {
	calls := make([]apicall.Call, n)
	base := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC).UnixNano()
	for i := range calls {
		c := &calls[i]
		c.ID = fmt.Sprintf("call-%05d", i)
		c.ReqStart = base + int64(i)*int64(10*time.Millisecond)
		c.ReqEnd, c.RespStart, c.RespEnd = c.ReqStart+1000, c.ReqStart+2000, c.ReqStart+3000
		c.Client = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 40)}), 40000)
		c.Server = netip.MustParseAddrPort("10.1.0.1:80")
		c.Host, c.Method, c.Path, c.Proto = "api.ack.test", "GET", fmt.Sprintf("/v1/items%d/%d", i%8, i), "HTTP/1.1"
		c.Status = 200
		c.Actor = apicall.Actor{Kind: apicall.ActorAPIKey, User: fmt.Sprintf("apikey:%02d", i%40), ClientIP: c.Client.Addr()}
	}
	return calls
}

// offsets returns group's committed offset (-1: none) and the end offset
// of each partition of topic.
func offsets(t testing.TB, brokers []string, group, topic string) (committed, end map[int]int64) {
	t.Helper()
	parts := []int{0, 1, 2, 3}
	if topic == kafka.DefaultTopic && group == "shutdown" {
		parts = []int{0}
	}
	cl := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 10 * time.Second}
	committed, end = map[int]int64{}, map[int]int64{}
	resp, err := cl.OffsetFetch(t.Context(), &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		t.Fatalf("offset fetch %s: %v", group, err)
	}
	for _, p := range resp.Topics[topic] {
		committed[p.Partition] = p.CommittedOffset
	}
	var reqs []kafkago.OffsetRequest
	for _, p := range parts {
		reqs = append(reqs, kafkago.LastOffsetOf(p))
	}
	lo, err := cl.ListOffsets(t.Context(), &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		t.Fatalf("list offsets %s: %v", topic, err)
	}
	for _, p := range lo.Topics[topic] {
		end[p.Partition] = p.LastOffset
	}
	return committed, end
}

func sum(m map[int]int64) int64 {
	n := int64(0)
	for _, v := range m {
		n += max(v, 0)
	}
	return n
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSplitObservationsAckedBeforeCommit: while the broker refuses the
// observations (a retryable error), the actor tier reads and observes
// calls but the calls group commits nothing; once the fault clears every
// observation arrives and the calls' offsets are committed.
func TestSplitObservationsAckedBeforeCommit(t *testing.T) {
	brokers, fault := faultCluster(t)
	fault.Store(int32(kafkago.NotLeaderForPartition))
	calls := ackCalls(2000)
	produceCalls(t, brokers, calls)
	r := startReplica(t, testSplitConfig(brokers, "ack-0"))
	defer func() {
		if t.Failed() {
			r.cancel()
		}
	}()

	waitFor(t, "calls not all delivered to the actor tier", 30*time.Second, func() bool { return r.cons.Stats().Calls == uint64(len(calls)) })
	waitFor(t, "no retried produce", 30*time.Second, func() bool { return r.actors.prod.retries.Load() >= 2 })
	com, _ := offsets(t, brokers, "split-test", kafka.DefaultTopic)
	_, obsEnd := offsets(t, brokers, "split-test-endpoints", testObsTopic)
	if sum(com) != 0 || r.cons.Stats().Commits != 0 || sum(obsEnd) != 0 {
		t.Fatalf("calls committed %v (%d commits) while no observation was acknowledged (observations topic ends %v)", com, r.cons.Stats().Commits, obsEnd)
	}
	if p := r.actors.prod.pending.Load(); p == 0 {
		t.Fatal("no batch of observations pending during the fault")
	}

	fault.Store(0)
	waitConsumed(t, uint64(len(calls)), r)
	waitFor(t, "calls offsets not committed after the fault cleared", 30*time.Second, func() bool {
		com, end := offsets(t, brokers, "split-test", kafka.DefaultTopic)
		return sum(com) == sum(end) && sum(end) == int64(len(calls))
	})
	r.stop(t)
	if got := r.actors.prod.produced.Load(); got < uint64(len(calls)) {
		t.Errorf("%d observations acknowledged, want at least %d", got, len(calls))
	}
	if r.actors.prod.permanent.Load() != 0 {
		t.Errorf("%d permanent failures counted for a retryable fault", r.actors.prod.permanent.Load())
	}
}

// TestSplitObservationsPermanentFailure: a produce error retrying cannot
// fix stops the calls consumer with an error naming the observations
// topic, nothing committed.
func TestSplitObservationsPermanentFailure(t *testing.T) {
	brokers, fault := faultCluster(t)
	fault.Store(int32(kafkago.TopicAuthorizationFailed))
	calls := ackCalls(600)
	produceCalls(t, brokers, calls)
	cfg := testSplitConfig(brokers, "perm-0")
	_, actors, log := testActorTier(t, cfg)
	ccfg := kafka.DefaultConsumerConfig()
	ccfg.Brokers, ccfg.Group, ccfg.BatchWait, ccfg.BatchCalls = brokers, cfg.Group, 20*time.Millisecond, 200
	ccfg.SessionTimeout, ccfg.HeartbeatInterval = 2*time.Second, 500*time.Millisecond
	cons, err := kafka.NewConsumer(ccfg, actors, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = cons.Run(ctx)
	if ctx.Err() != nil {
		t.Fatal("the consumer ran on for 30s after a permanent produce failure")
	}
	if err == nil || !strings.Contains(err.Error(), "--observations-topic "+testObsTopic) || !strings.Contains(err.Error(), "TOPIC_AUTHORIZATION_FAILED") && !strings.Contains(err.Error(), "Topic Authorization Failed") {
		t.Fatalf("Run: %v, want an error naming --observations-topic and the authorization failure", err)
	}
	t.Logf("Run: %v", err)
	if n := actors.prod.permanent.Load(); n != 1 {
		t.Errorf("%d permanent failures counted, want 1", n)
	}
	if com, _ := offsets(t, brokers, cfg.Group, kafka.DefaultTopic); sum(com) != 0 {
		t.Errorf("calls committed %v, though no observation was written", com)
	}
	_ = cons.Close(t.Context())
	cctx, ccancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer ccancel()
	if _, err := actors.close(cctx); err != nil {
		t.Logf("close: %v", err)
	}
}

// testActorTier opens cfg's state store (closed when the test ends) and an
// actor tier on it, with a discarding logger.
func testActorTier(t *testing.T, cfg splitConfig) (*stateStore, *actorTier, *slog.Logger) {
	t.Helper()
	st, err := newStateStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	log := slog.New(slog.DiscardHandler)
	actors, err := newActorTier(t.Context(), cfg, detect.DefaultConfig(), nil, st, log)
	if err != nil {
		t.Fatal(err)
	}
	return st, actors, log
}

// runEndpointTier starts an endpoint tier on st in the background; cancel
// stops it and done carries Run's result.
func runEndpointTier(t *testing.T, cfg splitConfig, st *stateStore, log *slog.Logger) (*endpointTier, context.CancelFunc, chan error) {
	t.Helper()
	e, err := newEndpointTier(t.Context(), cfg, detect.DefaultConfig(), st, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return e, cancel, done
}

// TestSplitEndpointCommitsAfterSnapshot: the endpoint tier commits the
// observations' offsets only once a snapshot covering them is written, so
// a replica that crashes before its snapshot reads them all again.
func TestSplitEndpointCommitsAfterSnapshot(t *testing.T) {
	brokers, _ := faultCluster(t)
	cfg := testSplitConfig(brokers, "ep-0")
	cfg.SnapshotEvery = time.Hour
	st, actors, log := testActorTier(t, cfg)
	calls := ackCalls(1000)
	if err := actors.Consume(t.Context(), calls); err != nil { // no ack collector: waits for Kafka
		t.Fatal(err)
	}
	if _, err := actors.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	group := cfg.Group + "-endpoints"
	if _, end := offsets(t, brokers, group, testObsTopic); sum(end) != int64(len(calls)) {
		t.Fatalf("observations topic holds %v, want %d in all", end, len(calls))
	}

	e1, cancel1, done1 := runEndpointTier(t, cfg, st, log)
	waitFor(t, "first endpoint tier did not read every observation", 30*time.Second, func() bool { return e1.consumed.Load() == uint64(len(calls)) })
	time.Sleep(500 * time.Millisecond) // a commit right after the batch would show by now
	if com, _ := offsets(t, brokers, group, testObsTopic); sum(com) != 0 {
		t.Fatalf("observation offsets committed %v before any snapshot covered them", com)
	}
	// Crash: no last snapshot, no commit.
	cancel1()
	if err := <-done1; err != nil {
		t.Fatal(err)
	}
	if err := e1.r.Close(); err != nil {
		t.Fatal(err)
	}

	e2, cancel2, done2 := runEndpointTier(t, cfg, st, log)
	waitFor(t, "restarted endpoint tier did not read the uncommitted observations again", 30*time.Second, func() bool { return e2.consumed.Load() == uint64(len(calls)) })
	cancel2()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
	if _, err := e2.close(t.Context()); err != nil { // snapshot, then commit
		t.Fatal(err)
	}
	if com, end := offsets(t, brokers, group, testObsTopic); sum(com) != sum(end) {
		t.Errorf("after the closing snapshot committed %v, want the ends %v", com, end)
	}
	if b, err := st.get(t.Context(), "endpoint/"+cfg.Replica); err != nil || b == nil {
		t.Errorf("no endpoint snapshot on the state topic (%v)", err)
	}
}

// TestSplitEndpointRebalanceNoDoubleCount: a rebalance of the endpoints
// group restarts reading from the committed offsets, which trail what the
// tier observed until its next snapshot; the records read again are
// skipped, not observed twice (before, a stall past the session timeout,
// a replica joining or leaving made every surviving tier count up to a
// snapshot interval of observations twice).
func TestSplitEndpointRebalanceNoDoubleCount(t *testing.T) {
	brokers, _ := faultCluster(t)
	cfg := testSplitConfig(brokers, "rb-0")
	cfg.SnapshotEvery = time.Hour // nothing committed while it runs
	st, actors, log := testActorTier(t, cfg)
	calls := ackCalls(1000)
	if err := actors.Consume(t.Context(), calls); err != nil {
		t.Fatal(err)
	}
	if _, err := actors.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	e, cancel, done := runEndpointTier(t, cfg, st, log)
	waitFor(t, "endpoint tier did not read every observation", 30*time.Second, func() bool { return e.consumed.Load() == uint64(len(calls)) })

	// Another member joins (the group rebalances, the tier gives up half
	// its partitions and rereads the others from the committed offsets)
	// and leaves (the tier gets them all back, from those offsets).
	other, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{ID: cfg.Group + "-endpoints", Brokers: brokers, Topics: []string{testObsTopic},
		SessionTimeout: cfg.SessionTimeout, HeartbeatInterval: 500 * time.Millisecond, RebalanceTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	gctx, gcancel := context.WithTimeout(t.Context(), 60*time.Second)
	gen, err := other.Next(gctx) // returns once the tier rejoined too
	gcancel()
	if err != nil {
		t.Fatalf("second member of the endpoints group: %v", err)
	}
	t.Logf("second member: generation %d, partitions %v", gen.ID, gen.Assignments[testObsTopic])
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "endpoint tier did not read its partitions again after the rebalance", 60*time.Second, func() bool { return e.consumed.Load() >= 2*uint64(len(calls)) })
	time.Sleep(500 * time.Millisecond) // the rest of a batch read again would show by now
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	total := e.stage.Total
	e.mu.Unlock()
	if total != uint64(len(calls)) {
		t.Errorf("the endpoint stage observed %d calls, want each of the %d once", total, len(calls))
	}
	if got := e.observed.Load(); got != uint64(len(calls)) {
		t.Errorf("observed %d, want %d", got, len(calls))
	}
	t.Logf("read %d records, %d again after the rebalance (skipped)", e.consumed.Load(), e.redelivered.Load())
	if _, err := e.close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestSplitEndpointCommitsWhileIdle: a snapshot is also taken when no
// more observations come, and the offsets it covers are committed.
func TestSplitEndpointCommitsWhileIdle(t *testing.T) {
	brokers, _ := faultCluster(t)
	cfg := testSplitConfig(brokers, "idle-0")
	cfg.SnapshotEvery = time.Second
	st, actors, log := testActorTier(t, cfg)
	if err := actors.Consume(t.Context(), ackCalls(300)); err != nil {
		t.Fatal(err)
	}
	if _, err := actors.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	e, cancel, done := runEndpointTier(t, cfg, st, log)
	waitFor(t, "observations not committed by the idle snapshot", 30*time.Second, func() bool {
		com, end := offsets(t, brokers, cfg.Group+"-endpoints", testObsTopic)
		return sum(end) == 300 && sum(com) == 300
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e.snaps.ok.Load() == 0 {
		t.Error("committed without a snapshot")
	}
	if _, err := e.close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSplitActorTier is the calls consumer feeding the actor tier of
// --split-stages (no ClickHouse): one op reads a kfake topic (4 partitions,
// in this process) of n simulated calls, runs the actor stage, writes one
// observation per call and commits, until every offset is committed.
// Reported: calls/s (wall) and this process's CPU per call (consumer,
// actor stage, producer and broker).
func BenchmarkSplitActorTier(b *testing.B) {
	base, err := benchCalls()
	if err != nil {
		b.Fatal(err)
	}
	const n = 20000
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, kafka.DefaultTopic, testObsTopic))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	brokers := cl.ListenAddrs()
	produceBenchCalls(b, brokers, base, n)
	log := slog.New(slog.DiscardHandler)
	var wall, cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		cfg := testSplitConfig(brokers, fmt.Sprintf("bench-%d", i))
		cfg.Group, cfg.SnapshotEvery, cfg.BatchObs = fmt.Sprintf("bench-%d", i), time.Hour, 1000
		st, err := newStateStore(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		actors, err := newActorTier(context.Background(), cfg, detect.DefaultConfig(), nil, st, log)
		if err != nil {
			b.Fatal(err)
		}
		ccfg := kafka.DefaultConsumerConfig()
		ccfg.Brokers, ccfg.Group = brokers, cfg.Group
		cons, err := kafka.NewConsumer(ccfg, actors, nil, log)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		cpu0, start := cputime.Process(), time.Now()
		go func() { done <- cons.Run(ctx) }()
		for {
			if com, _ := offsets(b, brokers, cfg.Group, kafka.DefaultTopic); sum(com) >= n {
				break
			}
			select {
			case err := <-done:
				b.Fatalf("consumer exited early: %v", err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		wall += time.Since(start)
		cpu += cputime.Process() - cpu0
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		_ = cons.Close(context.Background())
		if _, err := actors.close(context.Background()); err != nil {
			b.Fatal(err)
		}
		_ = st.Close()
	}
	calls := float64(n) * float64(b.N)
	b.ReportMetric(calls/wall.Seconds(), "calls/s")
	b.ReportMetric(float64(cpu.Microseconds())/calls, "cpu-µs/call")
	b.ReportMetric(0, "ns/op")
}

func TestPermanentProduceError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"not leader", kafkago.NotLeaderForPartition, false},
		{"request timed out", fmt.Errorf("write: %w", kafkago.RequestTimedOut), false},
		{"network", io.ErrUnexpectedEOF, false},
		{"deadline", context.DeadlineExceeded, false},
		{"authorization", kafkago.TopicAuthorizationFailed, true},
		{"sasl", fmt.Errorf("dial: %w", kafkago.SASLAuthenticationFailed), true},
		{"record too large for the broker", kafkago.MessageSizeTooLarge, true},
		{"record too large for the writer", kafkago.MessageTooLargeError{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := permanentProduceError(tc.err); got != tc.want {
				t.Errorf("permanentProduceError(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
