package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/ack"
	"github.com/apitap/apitap/internal/promreg"
)

// Skip reasons (label values of apitap_kafka_consumer_skipped_messages_total).
const (
	SkipCorrupt        = "corrupt"         // the value is not a valid apicall.proto Call
	SkipOversized      = "oversized"       // the value is larger than MaxMessageBytes
	SkipUnknownVersion = "unknown_version" // a major schema version this build does not read
	SkipNoVersion      = "no_version"      // no apitap-schema header: not an apitap record
)

// Consumer reads calls from a Kafka topic as a member of a consumer group
// and hands them to a sink in batches. It commits a batch's offsets only
// after the sink returned nil for it and the acknowledgements the sink
// registered (internal/ack) arrived, so every call reaches the sink at
// least once and is durable before its offset is committed: after a crash
// or a rebalance the calls of an uncommitted batch are delivered again (to
// this or another member), never skipped. Commits trail the fetching: see
// Run.
//
// Records that cannot be decoded, are oversized, or carry an unknown major
// schema version are counted, logged (once per reason and version, then at
// debug level) and skipped: their offsets are committed with the batch, so
// they never block the partition.
//
// Run is called once; Close leaves the group and is idempotent.
type Consumer struct {
	cfg  ConsumerConfig
	log  *slog.Logger
	r    *kafkago.Reader
	sink apicall.Sink
	m    *consumerMetrics

	ready  atomic.Bool
	logged sync.Map // skip reason/version → struct{}: first one logged at Warn
	stats  consumerCounters

	// crashBeforeCommit, set by tests, makes Run stop right after the
	// sink accepted the n-th batch (counting from 1), without queueing it
	// for commit, as if the process died there (the batches before it
	// are committed as they become durable).
	crashBeforeCommit func(n int) bool
}

type consumerCounters struct {
	messages, calls, batches, commits atomic.Uint64
	skipped                           sync.Map // reason → *atomic.Uint64
}

// ConsumerStats are the consumer's counters.
type ConsumerStats struct {
	Messages uint64            `json:"messages"` // records read
	Calls    uint64            `json:"calls"`    // calls accepted by the sink
	Batches  uint64            `json:"batches"`
	Commits  uint64            `json:"commits"`
	Skipped  map[string]uint64 `json:"skipped"` // by reason
}

// NewConsumer validates cfg and builds a consumer that feeds sink. It does
// no I/O. Metrics are registered on reg (nil: not exported); a nil log
// discards.
func NewConsumer(cfg ConsumerConfig, sink apicall.Sink, reg prometheus.Registerer, log *slog.Logger) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("kafka consumer: nil sink")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	mech, err := cfg.saslMechanism()
	if err != nil {
		return nil, err
	}
	m, err := newConsumerMetrics(reg)
	if err != nil {
		return nil, err
	}
	start := kafkago.FirstOffset
	if cfg.StartOffset == "latest" {
		start = kafkago.LastOffset
	}
	c := &Consumer{cfg: cfg, log: log.With("component", "kafka-consumer"), sink: sink, m: m}
	c.r = kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:           cfg.Brokers,
		GroupID:           cfg.Group,
		Topic:             cfg.Topic,
		Dialer:            &kafkago.Dialer{Timeout: cfg.dialTimeout(), DualStack: true, TLS: tlsCfg, SASLMechanism: mech, ClientID: "apitap-analyzer"},
		MinBytes:          1,
		MaxBytes:          max(16<<20, 2*cfg.MaxMessageBytes),
		MaxWait:           500 * time.Millisecond,
		QueueCapacity:     max(100, cfg.BatchCalls),
		CommitInterval:    0, // synchronous commits, after the sink
		StartOffset:       start,
		SessionTimeout:    cfg.SessionTimeout,
		HeartbeatInterval: cfg.HeartbeatInterval,
		RebalanceTimeout:  cfg.RebalanceTimeout,
		JoinGroupBackoff:  time.Second,
		ReadBackoffMin:    100 * time.Millisecond,
		ReadBackoffMax:    2 * time.Second,
		ErrorLogger:       kafkago.LoggerFunc(func(f string, a ...any) { c.log.Debug("kafka-go: " + fmt.Sprintf(f, a...)) }),
	})
	return c, nil
}

// Ready reports whether the consumer has read from the topic (for /readyz).
func (c *Consumer) Ready() bool { return c.ready.Load() }

// Run consumes until ctx is cancelled (then it returns nil; the batch being
// filled is not committed and is delivered again later), the reader fails
// for good, or a batch the sink accepted fails to become durable.
//
// It is a pipeline: each batch goes to the sink with an ack.Collector in
// its context, and its offsets join a queue of at most MaxUncommitted
// batches while Run fetches the next one. A committer goroutine waits for
// each queued batch's acknowledgements (a buffering sink inserts the rows
// of many batches at once, by size or by time) and commits its offsets,
// in order: never past a batch that is not durable. When a batch fails
// for good (the sink dropped its rows), nothing from it on is committed
// and Run returns an error naming the failure, so that the process
// restarts and reads again from the last commit. Once stopped, Run waits
// up to DrainTimeout for the queued batches to become durable and commits
// them.
func (c *Consumer) Run(ctx context.Context) error {
	// The committer holds one batch while it waits for it: the queue holds
	// the rest of MaxUncommitted.
	queue := make(chan pendingBatch, c.cfg.MaxUncommitted-1)
	fctx, stopFetch := context.WithCancelCause(ctx)
	defer stopFetch(nil)
	wctx, stopWait := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWait()
	committed := make(chan error, 1)
	go func() { committed <- c.commitLoop(wctx, queue, stopFetch) }()

	fetchErr := c.fetchLoop(fctx, queue)
	close(queue)
	var commitErr error
	t := time.NewTimer(c.cfg.DrainTimeout)
	select {
	case commitErr = <-committed:
	case <-t.C:
		stopWait()
		commitErr = <-committed
	}
	t.Stop()
	if errors.Is(commitErr, errDrainOver) {
		c.log.Warn("stopped before the batches handed over were durable; their offsets are not committed and they are delivered again",
			"batches", c.m.queued.Load(), "drain_timeout", c.cfg.DrainTimeout)
		commitErr = nil
	}
	c.m.queued.Store(0)
	return errors.Join(commitErr, fetchErr)
}

// errDrainOver: the committer stopped waiting (DrainTimeout passed).
var errDrainOver = errors.New("drain timeout")

// pendingBatch is a batch handed to the sink and not committed yet.
type pendingBatch struct {
	n    int
	acks *ack.Collector
	last []kafkago.Message // the last record of each partition in the batch
}

// fetchLoop fills batches, hands them to the sink and queues them for the
// committer until ctx ends (nil), the hook crashes it (nil) or the reader
// fails (the error).
func (c *Consumer) fetchLoop(ctx context.Context, queue chan<- pendingBatch) error {
	calls := make([]apicall.Call, 0, c.cfg.BatchCalls)
	for n := 1; ; n++ {
		calls = calls[:0]
		p := pendingBatch{n: n, acks: &ack.Collector{}}
		// The first record of a batch is waited for; the rest for BatchWait.
		m, err := c.r.FetchMessage(ctx)
		if err != nil {
			return c.fetchErr(ctx, err)
		}
		c.ready.Store(true)
		calls, p.last = c.add(calls, p.last, m)
		records, bytes := 1, len(m.Value)
		bctx, cancel := context.WithTimeout(ctx, c.cfg.BatchWait)
		for len(calls) < c.cfg.BatchCalls && records < 4*c.cfg.BatchCalls && bytes < c.cfg.BatchBytes {
			m, err := c.r.FetchMessage(bctx)
			if err != nil {
				if bctx.Err() != nil && ctx.Err() == nil {
					break // batch wait over
				}
				cancel()
				return c.fetchErr(ctx, err)
			}
			calls, p.last = c.add(calls, p.last, m)
			records++
			bytes += len(m.Value)
		}
		cancel()
		if len(calls) > 0 {
			if !c.deliver(ctx, calls, p.acks) {
				return nil // ctx cancelled while the sink refused: not committed
			}
		}
		c.stats.batches.Add(1)
		if c.crashBeforeCommit != nil && c.crashBeforeCommit(n) {
			return nil
		}
		select {
		case queue <- p:
		default:
			// MaxUncommitted batches wait for their rows to be durable:
			// wait with them (back-pressure).
			start := time.Now()
			select {
			case queue <- p:
			case <-ctx.Done():
				c.m.blocked.Add(time.Since(start).Seconds())
				return nil // not queued: not committed, delivered again
			}
			c.m.blocked.Add(time.Since(start).Seconds())
		}
		c.m.queued.Add(1)
	}
}

// commitLoop commits the queued batches in order, each once its
// acknowledgements arrived, until the queue is closed and empty (nil), ctx
// ends (errDrainOver) or a batch fails for good: then it stops fetching
// (fail) and returns the failure.
func (c *Consumer) commitLoop(ctx context.Context, queue <-chan pendingBatch, fail context.CancelCauseFunc) error {
	for p := range queue {
		if err := p.acks.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return errDrainOver
			}
			c.m.errors.WithLabelValues("durable").Inc()
			err = fmt.Errorf("kafka topic %s: batch %d was accepted but not stored (%w); offsets from %s on not committed, restart to read it again",
				c.cfg.Topic, p.n, err, describeOffsets(p.last))
			fail(err)
			return err
		}
		c.commit(p.last)
		c.m.queued.Add(-1)
	}
	return nil
}

// commit commits the offsets of one batch (whose rows are durable).
func (c *Consumer) commit(last []kafkago.Message) {
	if len(last) == 0 {
		return
	}
	// A batch of records that were all skipped commits too (they never
	// block the partition).
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := c.r.CommitMessages(cctx, last...)
	cancel()
	if err != nil {
		// A rebalance took the partitions away, or the coordinator is
		// unreachable: the next owner reads these calls again.
		c.m.errors.WithLabelValues("commit").Inc()
		c.log.Warn("commit offsets failed; the calls will be delivered again", "offsets", describeOffsets(last), "err", err)
	} else {
		c.stats.commits.Add(1)
		c.m.commits.Inc()
	}
	for _, m := range last {
		c.m.lag.WithLabelValues(strconv.Itoa(m.Partition)).Set(float64(max(m.HighWaterMark-m.Offset-1, 0)))
	}
}

// describeOffsets names the first offset of each partition not committed,
// "partition 0 offset 17, ...", given the batch's last records.
func describeOffsets(last []kafkago.Message) string {
	parts := make([]string, 0, len(last))
	for _, m := range last {
		parts = append(parts, fmt.Sprintf("partition %d offset <= %d", m.Partition, m.Offset))
	}
	return strings.Join(parts, ", ")
}

func (c *Consumer) fetchErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil //nolint:nilerr // cancelled: a clean stop
	}
	c.m.errors.WithLabelValues("fetch").Inc()
	return fmt.Errorf("read kafka topic %s: %w", c.cfg.Topic, err)
}

// add decodes m and appends it; records that do not decode are counted
// and only recorded in last (the last record of each partition), so their
// offsets are committed.
func (c *Consumer) add(calls []apicall.Call, last []kafkago.Message, m kafkago.Message) ([]apicall.Call, []kafkago.Message) {
	c.stats.messages.Add(1)
	c.m.messages.Inc()
	c.m.bytes.Add(float64(len(m.Value)))
	msgs := setLast(last, m)
	if len(m.Value) > c.cfg.MaxMessageBytes {
		c.skip(SkipOversized, "", m, fmt.Errorf("%d bytes, limit %d", len(m.Value), c.cfg.MaxMessageBytes))
		return calls, msgs
	}
	version, ok := header(m.Headers, HeaderSchema)
	if !ok {
		c.skip(SkipNoVersion, "", m, nil)
		return calls, msgs
	}
	major, _, _ := strings.Cut(version, ".")
	if major != strconv.Itoa(apicall.WireMajor) {
		c.skip(SkipUnknownVersion, version, m, nil)
		return calls, msgs
	}
	calls = append(calls, apicall.Call{})
	if err := apicall.DecodeWire(m.Value, &calls[len(calls)-1]); err != nil {
		c.skip(SkipCorrupt, "", m, err)
		return calls[:len(calls)-1], msgs
	}
	return calls, msgs
}

// setLast records m as the last record of its partition.
func setLast(last []kafkago.Message, m kafkago.Message) []kafkago.Message {
	rec := kafkago.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, HighWaterMark: m.HighWaterMark}
	for i := range last {
		if last[i].Topic == m.Topic && last[i].Partition == m.Partition {
			if m.Offset > last[i].Offset {
				last[i] = rec
			}
			return last
		}
	}
	return append(last, rec)
}

func header(hs []kafkago.Header, key string) (string, bool) {
	for _, h := range hs {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

func (c *Consumer) skip(reason, version string, m kafkago.Message, err error) {
	v, _ := c.stats.skipped.LoadOrStore(reason, new(atomic.Uint64))
	v.(*atomic.Uint64).Add(1)
	c.m.skipped.WithLabelValues(reason).Inc()
	level := slog.LevelDebug
	if _, seen := c.logged.LoadOrStore(reason+"/"+version, struct{}{}); !seen {
		level = slog.LevelWarn
	}
	c.log.Log(context.Background(), level, "skipped record", "reason", reason, "schema", version,
		"partition", m.Partition, "offset", m.Offset, "bytes", len(m.Value), "err", err)
}

// deliver hands calls to the sink, retrying with backoff until it accepts
// them (true) or ctx ends (false). acks collects what the accepting
// attempt registered (see internal/ack).
func (c *Consumer) deliver(ctx context.Context, calls []apicall.Call, acks *ack.Collector) bool {
	backoff := 100 * time.Millisecond
	for {
		// A failed attempt's registrations are not waited for: only the
		// accepting attempt's rows stand for the batch.
		attempt := &ack.Collector{}
		err := c.sink.Consume(ack.With(ctx, attempt), calls)
		if err == nil {
			acks.Merge(attempt)
			c.stats.calls.Add(uint64(len(calls)))
			c.m.calls.Add(float64(len(calls)))
			c.m.batch.Observe(float64(len(calls)))
			return true
		}
		c.m.errors.WithLabelValues("sink").Inc()
		c.log.Warn("sink refused a batch; retrying, offsets not committed", "calls", len(calls), "backoff", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		backoff = min(2*backoff, c.cfg.RetryBackoffMax)
	}
}

// Stats returns a snapshot of the counters.
func (c *Consumer) Stats() ConsumerStats {
	s := ConsumerStats{
		Messages: c.stats.messages.Load(), Calls: c.stats.calls.Load(),
		Batches: c.stats.batches.Load(), Commits: c.stats.commits.Load(),
		Skipped: map[string]uint64{},
	}
	c.stats.skipped.Range(func(k, v any) bool {
		s.Skipped[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	return s
}

// Close leaves the group and closes the connections. It is idempotent.
func (c *Consumer) Close(context.Context) error {
	if err := c.r.Close(); err != nil {
		return fmt.Errorf("close kafka reader: %w", err)
	}
	return nil
}

type consumerMetrics struct {
	messages, bytes, calls, commits prometheus.Counter
	blocked                         prometheus.Counter
	uncommitted                     prometheus.GaugeFunc
	queued                          atomic.Int64 // batches waiting for the committer
	skipped, errors                 *prometheus.CounterVec
	batch                           prometheus.Histogram
	lag                             *prometheus.GaugeVec
}

func newConsumerMetrics(reg prometheus.Registerer) (*consumerMetrics, error) {
	m := &consumerMetrics{}
	*m = consumerMetrics{
		messages: prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_consumed_messages_total", Help: "Records read from Kafka."}),
		bytes:    prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_consumed_bytes_total", Help: "Record value bytes read from Kafka."}),
		calls:    prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_consumer_delivered_calls_total", Help: "Calls accepted by the consumer's sink."}),
		commits:  prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_consumer_commits_total", Help: "Offset commits after a batch the sink accepted was durable."}),
		blocked: prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_consumer_commit_queue_blocked_seconds_total",
			Help: "Time the consumer waited because the most batches allowed were waiting to be durable (back-pressure)."}),
		uncommitted: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "apitap_kafka_consumer_uncommitted_batches",
			Help: "Batches handed to the sink whose offsets wait for their rows to be durable."},
			func() float64 { return float64(m.queued.Load()) }),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_kafka_consumer_skipped_messages_total", Help: "Records skipped, by reason."}, []string{"reason"}),
		errors:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_kafka_consumer_errors_total", Help: "Errors by operation: fetch, commit, sink, durable (an accepted batch failed to be stored)."}, []string{"op"}),
		batch:   prometheus.NewHistogram(prometheus.HistogramOpts{Name: "apitap_kafka_consumer_batch_calls", Help: "Calls per batch handed to the sink.", Buckets: prometheus.ExponentialBuckets(1, 4, 7)}),
		lag:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "apitap_kafka_consumer_lag_messages", Help: "Records behind the partition's high-water mark after the last commit."}, []string{"partition"}),
	}
	for _, r := range []string{SkipCorrupt, SkipOversized, SkipUnknownVersion, SkipNoVersion} {
		m.skipped.WithLabelValues(r)
	}
	for _, op := range []string{"fetch", "commit", "sink", "durable"} {
		m.errors.WithLabelValues(op)
	}
	if err := promreg.Register(reg, "kafka consumer", m.messages, m.bytes, m.calls, m.commits, m.blocked, m.uncommitted, m.skipped, m.errors, m.batch, m.lag); err != nil {
		return nil, err
	}
	return m, nil
}
