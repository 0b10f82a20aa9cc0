package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/apicall"
)

// readAll reads the whole topic with a fresh group and returns the calls
// by ID (the last delivery of each).
func readAll(t *testing.T, brokers []string, want int) *collector {
	t.Helper()
	col := newCollector()
	c, err := NewConsumer(testConsumerConfig(brokers, fmt.Sprintf("reader-%d", time.Now().UnixNano())), col, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	defer stop()
	col.waitFor(t, want, 60*time.Second)
	// Nothing beyond want arrives.
	time.Sleep(300 * time.Millisecond)
	return col
}

// TestBrokerOutage stops the broker mid-stream and starts it again on the
// same address with the same data: the producer reconnects by itself, and
// every call is either in the topic or counted as shed. With a buffer
// larger than what the outage accumulates, nothing is shed.
func TestBrokerOutage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		buffer int64
		shed   string
	}{
		{"buffer_holds_outage", 64 << 20, ShedOldest},
		{"small_buffer_sheds_oldest", 128 << 10, ShedOldest},
		{"small_buffer_sheds_newest", 128 << 10, ShedNewest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port, dir := freePort(t), t.TempDir()
			start := func() *kfake.Cluster {
				c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.DataDir(dir), kfake.SeedTopics(4, testTopic), kfake.GroupMinSessionTimeout(500*time.Millisecond))
				if err != nil {
					t.Fatalf("start kfake on port %d: %v", port, err)
				}
				return c
			}
			cl := start()
			brokers := cl.ListenAddrs()

			cfg := testProducerConfig(brokers)
			cfg.BatchBytes = 64 << 10
			cfg.BufferBytes = tc.buffer
			cfg.Shed = tc.shed
			reg := prometheus.NewRegistry()
			p, err := NewProducer(cfg, reg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx) }()

			next := 0
			feed := func(n int) {
				for range n / 50 {
					var batch []apicall.Call
					for range 50 {
						batch = append(batch, testCall(next))
						next++
					}
					if err := p.Consume(ctx, batch); err != nil {
						t.Fatal(err)
					}
					time.Sleep(2 * time.Millisecond)
				}
			}
			feed(1000)
			waitUntil(t, 20*time.Second, "the calls before the outage to be delivered", func() bool {
				st := p.Stats()
				return st.Delivered > 0 && st.Buffered == 0
			})

			cl.Close() // outage
			feed(1500)
			time.Sleep(500 * time.Millisecond) // the producer fails and retries meanwhile
			if st := p.Stats(); st.Errors == 0 {
				t.Errorf("no produce errors during the outage: %+v", st)
			}
			cl = start()
			defer cl.Close()
			feed(1000)

			cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer ccancel()
			if err := p.Close(cctx); err != nil {
				t.Fatalf("producer Close: %v", err)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			st := p.Stats()
			t.Logf("stats after outage: %+v", st)
			if st.Accepted != uint64(next) || st.Delivered+st.ShedTotal() != st.Accepted || st.Buffered != 0 {
				t.Fatalf("accounting: accepted %d (produced %d), delivered %d + shed %d, buffered %d", st.Accepted, next, st.Delivered, st.ShedTotal(), st.Buffered)
			}
			if got := testutil.ToFloat64(p.m.delivered) + testutil.ToFloat64(p.m.shed.WithLabelValues(ShedBufferFull)); got != float64(next) {
				t.Errorf("metrics: delivered + shed = %v, want %d", got, next)
			}
			if tc.buffer >= 64<<20 && st.ShedTotal() != 0 {
				t.Errorf("a buffer larger than the outage shed %d calls", st.ShedTotal())
			}
			if tc.buffer < 1<<20 && st.Shed[ShedBufferFull] == 0 {
				t.Errorf("a %d-byte buffer shed nothing during the outage", tc.buffer)
			}

			// What Kafka holds: every delivered call; what is missing is shed.
			col := readAll(t, cl.ListenAddrs(), int(st.Delivered))
			inTopic := col.distinct()
			if inTopic < int(st.Delivered) || next-inTopic > int(st.ShedTotal()) {
				t.Errorf("topic holds %d distinct calls; produced %d, delivered %d, shed %d", inTopic, next, st.Delivered, st.ShedTotal())
			}
			// The policy decides which calls went.
			if tc.buffer < 1<<20 {
				_, firstKept := col.calls[testCall(1000).ID]      // first call of the outage
				_, lastOutageKept := col.calls[testCall(2499).ID] // last call of the outage
				_, lastKept := col.calls[testCall(3499).ID]       // last call of all
				if tc.shed == ShedOldest && (!lastKept || firstKept) {
					t.Errorf("shed oldest: first outage call kept %v, last call kept %v", firstKept, lastKept)
				}
				if tc.shed == ShedNewest && (lastOutageKept || !firstKept) {
					t.Errorf("shed newest: first outage call kept %v, last outage call kept %v", firstKept, lastOutageKept)
				}
			}
		})
	}
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsumerCrashBeforeCommit: the consumer dies after the sink accepted
// a batch and before committing it; a new member of the group reads that
// batch again, so the sink sees every call (some twice), no gap.
func TestConsumerCrashBeforeCommit(t *testing.T) {
	cl := newCluster(t, 2)
	brokers := cl.ListenAddrs()
	const n = 1000
	produce(t, brokers, 0, n)

	col := newCollector()
	cfg := testConsumerConfig(brokers, "crash")
	cfg.BatchCalls = 50
	c1, err := NewConsumer(cfg, col, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c1.crashBeforeCommit = func(batch int) bool { return batch == 4 }
	if err := c1.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c1.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := col.distinct()
	commits := c1.Stats().Commits
	if before == 0 || commits != 3 {
		t.Fatalf("before the crash: %d calls, %d commits; want some calls and 3 commits", before, commits)
	}

	c2, err := NewConsumer(cfg, col, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c2)
	col.waitFor(t, n, 30*time.Second)
	col.mu.Lock()
	defer col.mu.Unlock()
	twice := 0
	for _, k := range col.seen {
		if k > 1 {
			twice++
		}
	}
	// The crashed batch (calls accepted, offsets not committed) comes again.
	if twice == 0 {
		t.Errorf("no call delivered twice: the uncommitted batch was not re-read")
	}
	if twice > before {
		t.Errorf("%d calls delivered twice, more than the %d delivered before the crash", twice, before)
	}
	t.Logf("before crash %d distinct calls in %d commits; after restart all %d, %d of them twice", before, commits, n, twice)
}

// TestTwoConsumersTakeover: two members of one group split the partitions;
// when one stops, the other takes its partitions over and no call is lost.
func TestTwoConsumersTakeover(t *testing.T) {
	cl := newCluster(t, 4)
	brokers := cl.ListenAddrs()

	col1, col2 := newCollector(), newCollector()
	cfg := testConsumerConfig(brokers, "pair")
	cfg.BatchCalls = 20
	c1, err := NewConsumer(cfg, col1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := NewConsumer(cfg, col2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c1)
	stop2 := runConsumer(t, c2)
	// Produce until both members have received calls: the group has
	// settled with the partitions split (joining takes a while).
	produced := 0
	deadline := time.Now().Add(60 * time.Second)
	for col1.distinct() == 0 || col2.distinct() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after %d calls member 1 has %d, member 2 has %d: the partitions were not split", produced, col1.distinct(), col2.distinct())
		}
		produce(t, brokers, produced, produced+200)
		produced += 200
		time.Sleep(100 * time.Millisecond)
	}
	stop2()
	produce(t, brokers, produced, produced+1000)
	total := produced + 1000
	waitUntil(t, 60*time.Second, "all calls to reach the two members", func() bool {
		col1.mu.Lock()
		defer col1.mu.Unlock()
		col2.mu.Lock()
		defer col2.mu.Unlock()
		n := len(col1.calls)
		for id := range col2.calls {
			if _, ok := col1.calls[id]; !ok {
				n++
			}
		}
		return n == total
	})
	col1.mu.Lock()
	defer col1.mu.Unlock()
	col2.mu.Lock()
	defer col2.mu.Unlock()
	only2 := 0
	for id := range col2.calls {
		if _, ok := col1.calls[id]; !ok {
			only2++
		}
	}
	for i := produced; i < total; i++ {
		if _, ok := col1.calls[testCall(i).ID]; !ok {
			t.Fatalf("call %d, produced after member 2 stopped, did not reach member 1", i)
		}
	}
	t.Logf("%d calls: member 1 received %d, member 2 %d (%d only there)", total, len(col1.calls), len(col2.calls), only2)
}

// TestPoisonRecords: corrupt, oversized, unknown-version and foreign
// records are counted and skipped; the good ones around them arrive.
func TestPoisonRecords(t *testing.T) {
	cl := newCluster(t, 1)
	brokers := cl.ListenAddrs()
	w := &kafkago.Writer{Addr: kafkago.TCP(brokers...), Topic: testTopic, BatchTimeout: time.Millisecond, BatchBytes: 8 << 20}
	defer w.Close()
	v1 := []kafkago.Header{{Key: HeaderSchema, Value: []byte("1.0")}}
	good := func(i int) kafkago.Message {
		c := testCall(i)
		return kafkago.Message{Value: apicall.AppendWire(nil, &c), Headers: v1}
	}
	newer := good(3)
	newer.Headers = []kafkago.Header{{Key: HeaderSchema, Value: []byte("1.7")}} // minor versions are read
	msgs := []kafkago.Message{
		good(0),
		{Value: []byte("\xff\xff\xff garbage"), Headers: v1},
		good(1),
		{Value: bytes.Repeat([]byte{0x0a, 0x01, 'x'}, 100_000), Headers: v1}, // 300 KB, over the 64 KiB limit below
		good(2),
		{Value: good(9).Value, Headers: []kafkago.Header{{Key: HeaderSchema, Value: []byte("2.0")}}},
		{Value: good(9).Value, Headers: []kafkago.Header{{Key: HeaderSchema, Value: []byte("2.1")}}},
		{Value: []byte(`{"json":"from someone else"}`)},
		newer,
		good(4),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	col := newCollector()
	cfg := testConsumerConfig(brokers, "poison")
	cfg.MaxMessageBytes = 64 << 10
	c, err := NewConsumer(cfg, col, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c)
	col.waitFor(t, 5, 20*time.Second)
	waitUntil(t, 10*time.Second, "all records read", func() bool { return c.Stats().Messages == uint64(len(msgs)) })
	for i := range 5 {
		if _, ok := col.calls[testCall(i).ID]; !ok {
			t.Errorf("good call %d missing", i)
		}
	}
	if _, ok := col.calls[testCall(9).ID]; ok {
		t.Errorf("a record of major version 2 was delivered")
	}
	want := map[string]float64{SkipCorrupt: 1, SkipOversized: 1, SkipUnknownVersion: 2, SkipNoVersion: 1}
	for reason, n := range want {
		if got := testutil.ToFloat64(c.m.skipped.WithLabelValues(reason)); got != n {
			t.Errorf("skipped{reason=%s} = %v, want %v", reason, got, n)
		}
	}
	// Skipped records are committed with their batch: a new member of the
	// group starts after them.
	waitUntil(t, 10*time.Second, "a commit", func() bool { return c.Stats().Commits > 0 })
	if got := testutil.ToFloat64(c.m.lag.WithLabelValues(strconv.Itoa(0))); got != 0 {
		t.Errorf("lag after reading everything = %v", got)
	}
}

// TestProducerShedWithoutBroker: with no broker at all Consume still
// returns at once, memory stays within the budget, and Close counts what
// it could not deliver.
func TestProducerShedWithoutBroker(t *testing.T) {
	cfg := testProducerConfig([]string{fmt.Sprintf("127.0.0.1:%d", freePort(t))})
	cfg.BatchBytes = 16 << 10
	cfg.BufferBytes = 64 << 10
	p, err := NewProducer(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	big := testCall(0)
	big.RespBody.Data = make([]byte, 32<<10)
	begin := time.Now()
	for i := range 100 {
		if err := p.Consume(ctx, []apicall.Call{testCall(i), testCall(i + 1000)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Consume(ctx, []apicall.Call{big}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Consume blocked for %s without a broker", d)
	}
	p.mu.Lock()
	if p.bytes > cfg.BufferBytes {
		t.Errorf("buffer holds %d bytes, budget %d", p.bytes, cfg.BufferBytes)
	}
	p.mu.Unlock()
	cctx, ccancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer ccancel()
	if err := p.Close(cctx); err == nil {
		t.Errorf("Close without a broker returned nil")
	}
	cancel()
	<-done
	st := p.Stats()
	if st.Accepted != 201 || st.Delivered != 0 || st.ShedTotal() != 201 || st.Shed[ShedTooLarge] != 1 || st.Shed[ShedBufferFull] == 0 || st.Shed[ShedClosed] == 0 {
		t.Errorf("stats %+v", st)
	}
	if err := p.Consume(context.Background(), []apicall.Call{testCall(1)}); err != nil || p.Stats().Shed[ShedClosed] != st.Shed[ShedClosed]+1 {
		t.Errorf("Consume after Close: %v, %+v", err, p.Stats())
	}
}

func TestConfigValidate(t *testing.T) {
	p := DefaultProducerConfig()
	if err := p.Validate(); err == nil {
		t.Errorf("producer config without brokers validated")
	}
	p.Brokers = []string{"localhost:9092"}
	if err := p.Validate(); err != nil {
		t.Errorf("default producer config: %v", err)
	}
	p.Compression, p.Shed, p.RequiredAcks, p.SASL.Mechanism = "brotli", "random", "some", "GSSAPI"
	p.TLS.CertFile = "x.pem"
	err := p.Validate()
	for _, want := range []string{"compression", "shed", "required acks", "sasl mechanism", "tls"} {
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	c := DefaultConsumerConfig()
	c.Brokers = []string{"localhost:9092"}
	if err := c.Validate(); err != nil {
		t.Errorf("default consumer config: %v", err)
	}
	c.StartOffset, c.Group = "middle", ""
	if err := c.Validate(); err == nil {
		t.Errorf("bad consumer config validated")
	}
}

// TestSinkRefusal: while the sink refuses batches nothing is committed and
// the batch is retried; once it accepts, every call arrives.
func TestSinkRefusal(t *testing.T) {
	cl := newCluster(t, 2)
	brokers := cl.ListenAddrs()
	produce(t, brokers, 0, 300)
	col := newCollector()
	refusals := 0
	col.fail = func() error {
		if refusals < 3 {
			refusals++
			return errSinkDown
		}
		return nil
	}
	c, err := NewConsumer(testConsumerConfig(brokers, "refusal"), col, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c)
	col.waitFor(t, 300, 30*time.Second)
	if got := testutil.ToFloat64(c.m.errors.WithLabelValues("sink")); got != 3 {
		t.Errorf("sink errors = %v, want 3", got)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.total != 300 {
		t.Errorf("sink accepted %d calls, want each of the 300 once", col.total)
	}
}

var errSinkDown = errors.New("sink down")
