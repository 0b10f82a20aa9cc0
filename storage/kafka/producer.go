package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/promreg"
)

// Shed reasons (label values of apitap_kafka_producer_shed_messages_total).
const (
	ShedBufferFull = "buffer_full" // the buffer budget was exceeded
	ShedTooLarge   = "too_large"   // one call encodes larger than BatchBytes
	ShedClosed     = "closed"      // Close's deadline passed with calls undelivered, or Consume after Close
)

// recordOverhead is the memory a buffered record costs beyond key and
// value (the kafka-go Message and bookkeeping), for the buffer budget.
const recordOverhead = 160

// Producer is an apicall.Sink that publishes calls to Kafka, keyed by
// actor. Consume never blocks on Kafka: it encodes the calls into a
// bounded in-memory buffer (ProducerConfig.BufferBytes) and returns; Run
// sends the buffer in batches, retrying failed batches with backoff while
// kafka-go reconnects. When the buffer is full the oldest or newest calls
// are shed and counted.
//
// Consume is safe for concurrent use. Run is called once; Close stops Run,
// delivers what is left until its context ends, counts the rest as shed
// (reason closed), and is idempotent and safe without Run.
type Producer struct {
	cfg     ProducerConfig
	log     *slog.Logger
	w       *kafkago.Writer
	headers []kafkago.Header
	m       *producerMetrics

	mu       sync.Mutex
	queue    []record // waiting records, oldest first, from head
	head     int
	bytes    int64 // queued and in flight, for the budget
	inFlight int64 // taken by senders, not yet delivered or put back
	closed   bool
	wake     chan struct{} // signalled when records are queued or Close starts
	closing  chan struct{} // closed by Close
	runDone  chan struct{} // closed when Run returns
	running  bool
	stats    ProducerStats
	closeErr error
	once     sync.Once
}

// ProducerStats are the producer's counters. Accepted = Delivered + Shed
// total + Buffered at any time.
type ProducerStats struct {
	Accepted  uint64            `json:"accepted"`  // calls given to Consume
	Delivered uint64            `json:"delivered"` // acknowledged by Kafka
	Shed      map[string]uint64 `json:"shed"`      // by reason
	Buffered  uint64            `json:"buffered"`  // waiting or in flight
	Errors    uint64            `json:"errors"`    // failed produce attempts
}

// ShedTotal sums Shed.
func (s ProducerStats) ShedTotal() uint64 {
	var n uint64
	for _, v := range s.Shed {
		n += v
	}
	return n
}

// NewProducer validates cfg and builds a producer; it does no I/O. Metrics
// are registered on reg (nil: not exported); a nil log discards.
func NewProducer(cfg ProducerConfig, reg prometheus.Registerer, log *slog.Logger) (*Producer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
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
	comp, _ := compression(cfg.Compression)
	acks, _ := requiredAcks(cfg.RequiredAcks)
	m, err := newProducerMetrics(reg)
	if err != nil {
		return nil, err
	}
	p := &Producer{
		cfg: cfg,
		log: log.With("component", "kafka-producer"),
		w: &kafkago.Writer{
			Addr:                   kafkago.TCP(cfg.Brokers...),
			Topic:                  cfg.Topic,
			Balancer:               &kafkago.Murmur2Balancer{}, // Java client's partitioner
			MaxAttempts:            1,                          // Run retries, keeping the batch
			BatchSize:              cfg.BatchMessages,
			BatchBytes:             cfg.BatchBytes,
			BatchTimeout:           cfg.Linger,
			WriteTimeout:           cfg.WriteTimeout,
			ReadTimeout:            cfg.WriteTimeout,
			RequiredAcks:           acks,
			Compression:            comp,
			AllowAutoTopicCreation: cfg.AutoCreateTopic,
			Transport: &kafkago.Transport{
				DialTimeout: cfg.dialTimeout(),
				TLS:         tlsCfg,
				SASL:        mech,
				ClientID:    "apitap-agent",
				MetadataTTL: 30 * time.Second,
			},
		},
		headers: []kafkago.Header{{Key: HeaderSchema, Value: []byte(apicall.WireVersion)}, {Key: HeaderNode, Value: []byte(cfg.Node)}},
		m:       m,
		wake:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		runDone: make(chan struct{}),
		stats:   ProducerStats{Shed: map[string]uint64{}},
	}
	return p, nil
}

// appendActorKey appends apicall.Actor.Key without building a string.
func appendActorKey(dst []byte, a *apicall.Actor) []byte {
	if a.User != "" {
		return append(dst, a.User...)
	}
	if a.ClientIP.IsValid() {
		return a.ClientIP.AppendTo(append(dst, "ip:"...))
	}
	return dst
}

func actorKeyLen(a *apicall.Actor) int {
	if a.User != "" {
		return len(a.User)
	}
	return len("ip:") + len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%") + len(a.ClientIP.Zone())
}

// record is a queued call: its key and encoded value. The queue holds
// these rather than kafka-go Messages (150+ bytes each) to keep the
// queue's own memory and copying small.
type record struct{ key, value []byte }

func (r *record) size() int64 { return int64(len(r.key) + len(r.value) + recordOverhead) }

func recordSize(m *kafkago.Message) int64 {
	return int64(len(m.Key) + len(m.Value) + recordOverhead)
}

// Consume encodes calls into the buffer; it never blocks on Kafka and
// never fails: calls that do not fit are shed and counted.
func (p *Producer) Consume(_ context.Context, calls []apicall.Call) error {
	// One slab holds every key and value of the batch: two allocations
	// per Consume instead of two per call.
	total := 0
	for i := range calls {
		total += apicall.WireSize(&calls[i]) + actorKeyLen(&calls[i].Actor)
	}
	slab := make([]byte, 0, total)
	msgs := make([]record, 0, len(calls))
	for i := range calls {
		c := &calls[i]
		start := len(slab)
		slab = appendActorKey(slab, &c.Actor)
		mid := len(slab)
		slab = apicall.AppendWire(slab, c)
		msgs = append(msgs, record{key: slab[start:mid:mid], value: slab[mid:len(slab):len(slab)]})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Accepted += uint64(len(msgs))
	p.m.accepted.Add(float64(len(msgs)))
	for i := range msgs {
		m := msgs[i]
		size := m.size()
		switch {
		case p.closed:
			p.shedLocked(ShedClosed, 1)
			continue
		case int64(len(m.key)+len(m.value)) > p.cfg.BatchBytes-recordOverhead:
			p.shedLocked(ShedTooLarge, 1)
			continue
		}
		if p.bytes+size > p.cfg.BufferBytes {
			if p.cfg.Shed == ShedNewest {
				p.shedLocked(ShedBufferFull, 1)
				continue
			}
			for p.bytes+size > p.cfg.BufferBytes && p.head < len(p.queue) {
				old := &p.queue[p.head]
				p.bytes -= old.size()
				*old = record{}
				p.head++
				p.shedLocked(ShedBufferFull, 1)
			}
			if p.bytes+size > p.cfg.BufferBytes { // in-flight records fill the budget
				p.shedLocked(ShedBufferFull, 1)
				continue
			}
		}
		p.queue = append(p.queue, m)
		p.bytes += size
	}
	p.gaugesLocked()
	p.wakeLocked()
	return nil
}

// wakeLocked tells a waiting sender there may be work.
func (p *Producer) wakeLocked() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Producer) shedLocked(reason string, n int) {
	p.stats.Shed[reason] += uint64(n)
	p.m.shed.WithLabelValues(reason).Add(float64(n))
}

func (p *Producer) gaugesLocked() {
	p.m.bufferedBytes.Set(float64(p.bytes))
	p.m.bufferedMessages.Set(float64(p.bufferedLocked()))
}

// bufferedLocked is the number of records queued or in flight.
func (p *Producer) bufferedLocked() uint64 {
	return p.stats.Accepted - p.stats.Delivered - p.stats.ShedTotal()
}

// take removes up to a batch of queued records (they stay in the budget
// until delivered or shed).
func (p *Producer) take(s *sender) []kafkago.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	// At most half the budget is in flight, so shedding the queue always
	// makes room for a new call (BufferBytes >= 2*BatchBytes): with
	// ShedOldest a call is never dropped for being newest.
	n, bytes := 0, int64(0)
	for limit := min(len(p.queue)-p.head, p.cfg.BatchMessages); n < limit; n++ {
		sz := p.queue[p.head+n].size()
		if (n > 0 || p.inFlight > 0) && bytes+sz > p.cfg.BufferBytes/2-p.inFlight {
			break
		}
		bytes += sz
	}
	if n == 0 {
		return nil
	}
	p.inFlight += bytes
	// The batch buffer is reused: send is synchronous and putBack copies.
	batch := s.buf[:0]
	for _, r := range p.queue[p.head : p.head+n] {
		batch = append(batch, kafkago.Message{Key: r.key, Value: r.value, Headers: p.headers})
	}
	s.buf = batch
	if p.head < len(p.queue) { // more for another sender
		p.wakeLocked()
	}
	clear(p.queue[p.head : p.head+n])
	p.head += n
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
	} else if p.head > len(p.queue)/2 {
		p.queue = append(p.queue[:0], p.queue[p.head:]...)
		p.head = 0
	}
	return batch
}

// putBack returns undelivered records to the front of the queue.
func (p *Producer) putBack(msgs []kafkago.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range msgs {
		p.inFlight -= recordSize(&msgs[i])
	}
	p.wakeLocked()
	q := make([]record, 0, len(msgs)+len(p.queue)-p.head)
	for i := range msgs {
		q = append(q, record{key: msgs[i].Key, value: msgs[i].Value})
	}
	p.queue = append(q, p.queue[p.head:]...)
	p.head = 0
}

func (p *Producer) delivered(msgs []kafkago.Message) {
	var bytes int64
	for i := range msgs {
		bytes += int64(len(msgs[i].Value))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range msgs {
		p.bytes -= recordSize(&msgs[i])
		p.inFlight -= recordSize(&msgs[i])
	}
	p.stats.Delivered += uint64(len(msgs))
	p.wakeLocked() // in-flight room for another sender
	p.m.delivered.Add(float64(len(msgs)))
	p.m.deliveredBytes.Add(float64(bytes))
	p.m.batch.Observe(float64(len(msgs)))
	p.gaugesLocked()
}

// Run sends buffered calls until ctx is cancelled or Close is called; it
// returns nil then. Failed batches are retried with backoff.
func (p *Producer) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return errors.New("kafka producer: Run called twice")
	}
	if p.closed { // Close delivers the buffer itself
		p.mu.Unlock()
		return nil
	}
	p.running = true
	p.mu.Unlock()
	defer close(p.runDone)
	var wg sync.WaitGroup
	for range p.cfg.MaxInFlight {
		wg.Go(func() {
			s := &sender{}
			for {
				batch := p.take(s)
				if batch == nil {
					select {
					case <-ctx.Done():
						return
					case <-p.closing:
						return
					case <-p.wake:
						continue
					}
				}
				if !p.send(ctx, s, batch, p.closing) {
					return
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// sender is the state of one of Run's concurrent senders.
type sender struct {
	buf     []kafkago.Message // the batch being sent, reused (send is synchronous, putBack copies)
	backoff time.Duration     // current retry wait
}

// send writes batch once. What fails goes back to the front of the queue
// (where the shed policy sees it as the oldest) and send waits a backoff
// before returning; it returns false when ctx ended or stop was closed
// during that wait.
func (p *Producer) send(ctx context.Context, s *sender, batch []kafkago.Message, stop <-chan struct{}) bool {
	err := p.w.WriteMessages(ctx, batch...)
	if err == nil {
		p.delivered(batch)
		s.backoff = 0
		return true
	}
	var failed []kafkago.Message
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == len(batch) {
		var ok []kafkago.Message
		for i := range batch {
			if werrs[i] != nil {
				failed = append(failed, batch[i])
			} else {
				ok = append(ok, batch[i])
			}
		}
		p.delivered(ok)
	} else {
		failed = batch
	}
	p.putBack(failed)
	p.mu.Lock()
	p.stats.Errors++
	p.mu.Unlock()
	p.m.errors.Inc()
	s.backoff = min(max(2*s.backoff, 100*time.Millisecond), p.cfg.RetryBackoffMax)
	p.log.Warn("produce failed; retrying", "records", len(failed), "backoff", s.backoff, "err", err)
	t := time.NewTimer(s.backoff)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

// Close stops Run, delivers the remaining calls until ctx ends, sheds the
// rest (reason closed) and closes the connections. It is idempotent.
func (p *Producer) Close(ctx context.Context) error {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		running := p.running
		p.mu.Unlock()
		close(p.closing)
		if running {
			<-p.runDone
		}
		never := make(chan struct{})
		s := &sender{}
		for {
			batch := p.take(s)
			if batch == nil {
				break
			}
			if !p.send(ctx, s, batch, never) {
				break
			}
		}
		p.mu.Lock()
		if n := len(p.queue) - p.head; n > 0 {
			for i := p.head; i < len(p.queue); i++ {
				p.bytes -= p.queue[i].size()
			}
			p.shedLocked(ShedClosed, n)
			p.closeErr = fmt.Errorf("kafka producer: %d calls undelivered at close: %w", n, context.Cause(ctx))
			p.queue, p.head = nil, 0
		}
		p.gaugesLocked()
		p.mu.Unlock()
		if err := p.w.Close(); err != nil && p.closeErr == nil {
			p.closeErr = fmt.Errorf("close kafka writer: %w", err)
		}
	})
	return p.closeErr
}

// Stats returns a snapshot of the counters.
func (p *Producer) Stats() ProducerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Shed = make(map[string]uint64, len(p.stats.Shed))
	for k, v := range p.stats.Shed {
		s.Shed[k] = v
	}
	s.Buffered = p.bufferedLocked()
	return s
}

type producerMetrics struct {
	accepted, delivered, deliveredBytes, errors prometheus.Counter
	shed                                        *prometheus.CounterVec
	batch                                       prometheus.Histogram
	bufferedBytes, bufferedMessages             prometheus.Gauge
}

func newProducerMetrics(reg prometheus.Registerer) (*producerMetrics, error) {
	m := &producerMetrics{
		accepted:         prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_producer_accepted_messages_total", Help: "Calls handed to the Kafka producer."}),
		delivered:        prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_produced_messages_total", Help: "Calls acknowledged by Kafka."}),
		deliveredBytes:   prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_produced_bytes_total", Help: "Encoded call bytes (record values) acknowledged by Kafka."}),
		errors:           prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_kafka_producer_errors_total", Help: "Failed produce attempts (each is retried)."}),
		shed:             prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_kafka_producer_shed_messages_total", Help: "Calls dropped by the producer, by reason."}, []string{"reason"}),
		batch:            prometheus.NewHistogram(prometheus.HistogramOpts{Name: "apitap_kafka_producer_batch_messages", Help: "Records per delivered produce batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		bufferedBytes:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "apitap_kafka_producer_buffered_bytes", Help: "Bytes of calls waiting for or in flight to Kafka (budget: --kafka-buffer)."}),
		bufferedMessages: prometheus.NewGauge(prometheus.GaugeOpts{Name: "apitap_kafka_producer_buffered_messages", Help: "Calls waiting for or in flight to Kafka."}),
	}
	for _, r := range []string{ShedBufferFull, ShedTooLarge, ShedClosed} {
		m.shed.WithLabelValues(r)
	}
	if err := promreg.Register(reg, "kafka producer", m.accepted, m.delivered, m.deliveredBytes, m.errors, m.shed, m.batch, m.bufferedBytes, m.bufferedMessages); err != nil {
		return nil, err
	}
	return m, nil
}
