package kafka

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/apicall"
)

const testTopic = "apitap.calls.v1"

// newCluster starts an in-process Kafka cluster (kfake) with the test topic.
func newCluster(t *testing.T, partitions int32, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, testTopic), kfake.GroupMinSessionTimeout(500 * time.Millisecond)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// freePort returns a TCP port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func testProducerConfig(brokers []string) ProducerConfig {
	cfg := DefaultProducerConfig()
	cfg.Brokers = brokers
	cfg.Node = "node-1"
	cfg.WriteTimeout = 2 * time.Second
	cfg.RetryBackoffMax = 300 * time.Millisecond
	cfg.DialTimeout = time.Second
	return cfg
}

func testConsumerConfig(brokers []string, group string) ConsumerConfig {
	cfg := DefaultConsumerConfig()
	cfg.Brokers = brokers
	cfg.Group = group
	cfg.BatchCalls = 100
	cfg.BatchWait = 50 * time.Millisecond
	cfg.SessionTimeout = 2 * time.Second
	cfg.HeartbeatInterval = 200 * time.Millisecond
	cfg.RebalanceTimeout = 2 * time.Second
	cfg.RetryBackoffMax = 200 * time.Millisecond
	cfg.DialTimeout = time.Second
	return cfg
}

// testCall returns a distinct, fully populated call; i picks the actor
// among 50, so keys spread over partitions.
func testCall(i int) apicall.Call {
	return apicall.Call{
		ID:       fmt.Sprintf("call-%06d", i),
		ReqStart: int64(1767603600e9 + i), ReqEnd: int64(1767603600e9 + i + 10), RespStart: int64(1767603600e9 + i + 20), RespEnd: int64(1767603600e9 + i + 30),
		Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, byte(i % 50), 9}), uint16(40000+i%1000)),
		Server: netip.MustParseAddrPort("[2001:db8::1]:443"),
		Host:   "api.shop.test", Method: "POST", Path: fmt.Sprintf("/api/v2/orders/%d", i), RawQuery: "a=1&b=\xff", Proto: "HTTP/1.1",
		ReqHeaders:  apicall.Headers{{Name: "Host", Value: "api.shop.test"}, {Name: "Content-Type", Value: "application/json"}, {Name: "X-Odd", Value: "\x00\x01"}},
		RespHeaders: apicall.Headers{{Name: "Content-Type", Value: "application/json"}},
		Status:      201, Reason: "Created",
		ReqBody:  apicall.Body{Data: []byte(`{"sku":"A-1","qty":2}`), Length: 21, ContentType: "application/json"},
		RespBody: apicall.Body{Data: []byte(fmt.Sprintf(`{"id":%d}`, i)), Length: 300, Truncated: i%2 == 0, ContentType: "application/json", Encoding: "gzip"},
		Source:   apicall.Source{Kind: "interface", Name: "eth0", Node: "node-1", VNI: 42, TLS: i%3 == 0},
		Actor: apicall.Actor{
			Kind: apicall.ActorJWT, User: fmt.Sprintf("user-%03d", i%50), ClientIP: netip.AddrFrom4([4]byte{172, 16, byte(i % 50), 9}),
			Issuer: "https://auth", Roles: []string{"customer"}, Scopes: []string{"a", "b"}, Alg: "RS256", ExpiresAt: 1767607200,
		},
		Flags: apicall.FlagRedacted | apicall.FlagGap,
	}
}

// collector is a sink that keeps every call it accepted, by ID.
type collector struct {
	mu     sync.Mutex
	calls  map[string]apicall.Call
	seen   map[string]int // deliveries per ID
	total  int
	notify chan struct{}
	fail   func() error // when set and non-nil, batches are refused
}

func newCollector() *collector {
	return &collector{calls: map[string]apicall.Call{}, seen: map[string]int{}, notify: make(chan struct{}, 1)}
}

func (c *collector) Consume(_ context.Context, calls []apicall.Call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		if err := c.fail(); err != nil {
			return err
		}
	}
	for _, call := range calls {
		c.calls[call.ID] = call
		c.seen[call.ID]++
		c.total++
	}
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return nil
}

func (c *collector) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// waitFor waits until the collector holds n distinct calls.
func (c *collector) waitFor(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for c.distinct() < n {
		select {
		case <-c.notify:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("collector has %d distinct calls after %s, want %d", c.distinct(), timeout, n)
		}
	}
}

// runConsumer starts c.Run in the background; the returned stop cancels
// it, waits for Run and closes the consumer.
func runConsumer(t *testing.T, c *Consumer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("consumer Run: %v", err)
			}
			if err := c.Close(context.Background()); err != nil {
				t.Errorf("consumer Close: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// produce sends calls [from, to) through a fresh producer and closes it.
func produce(t *testing.T, brokers []string, from, to int) ProducerStats {
	t.Helper()
	p, err := NewProducer(testProducerConfig(brokers), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	for i := from; i < to; i += 100 {
		var batch []apicall.Call
		for j := i; j < min(i+100, to); j++ {
			batch = append(batch, testCall(j))
		}
		if err := p.Consume(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer ccancel()
	if err := p.Close(cctx); err != nil {
		t.Fatalf("producer Close: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.Delivered != uint64(to-from) {
		t.Fatalf("delivered %d calls, want %d (stats %+v)", st.Delivered, to-from, st)
	}
	return st
}

func normalize(c apicall.Call) apicall.Call {
	for _, b := range []*apicall.Body{&c.ReqBody, &c.RespBody} {
		if len(b.Data) == 0 {
			b.Data = nil
		}
	}
	return c
}

func TestRoundTripFieldByField(t *testing.T) {
	cl := newCluster(t, 4)
	brokers := cl.ListenAddrs()
	const n = 2000
	produce(t, brokers, 0, n)

	col := newCollector()
	reg := prometheus.NewRegistry()
	c, err := NewConsumer(testConsumerConfig(brokers, "rt"), col, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c)
	col.waitFor(t, n, 30*time.Second)
	for i := range n {
		want := testCall(i)
		got, ok := col.calls[want.ID]
		if !ok {
			t.Fatalf("call %s missing", want.ID)
		}
		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Fatalf("call %s differs:\n got %+v\nwant %+v", want.ID, got, want)
		}
	}
	if got := testutil.ToFloat64(c.m.messages); got != n {
		t.Errorf("apitap_kafka_consumed_messages_total = %v, want %d", got, n)
	}
}

// TestRecordLayout checks what other consumers of the topic rely on: key
// = actor, the schema and node headers.
func TestRecordLayout(t *testing.T) {
	cl := newCluster(t, 1)
	produce(t, cl.ListenAddrs(), 0, 1)
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: cl.ListenAddrs(), Topic: testTopic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Key) != "user-000" {
		t.Errorf("key = %q, want the actor user-000", m.Key)
	}
	if v, _ := header(m.Headers, HeaderSchema); v != apicall.WireVersion {
		t.Errorf("schema header = %q", v)
	}
	if v, _ := header(m.Headers, HeaderNode); v != "node-1" {
		t.Errorf("node header = %q", v)
	}
	var call apicall.Call
	if err := apicall.DecodeWire(m.Value, &call); err != nil || call.ID != "call-000000" {
		t.Errorf("value decodes to %q, %v", call.ID, err)
	}
}

// TestAutoCreateTopic: with AutoCreateTopic the producer's first metadata
// request creates a missing topic; without it the calls wait, retried.
func TestAutoCreateTopic(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(2))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, auto := range []bool{false, true} {
		cfg := testProducerConfig(c.ListenAddrs())
		cfg.Topic = fmt.Sprintf("apitap.calls.auto-%v", auto)
		cfg.AutoCreateTopic = auto
		p, err := NewProducer(cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Consume(context.Background(), []apicall.Call{testCall(1), testCall(2)}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = p.Close(ctx)
		cancel()
		st := p.Stats()
		if auto && (err != nil || st.Delivered != 2) {
			t.Errorf("auto-create: close %v, stats %+v", err, st)
		}
		if !auto && (err == nil || st.Delivered != 0 || st.Shed[ShedClosed] != 2) {
			t.Errorf("no auto-create, missing topic: close %v, stats %+v", err, st)
		}
	}
}
