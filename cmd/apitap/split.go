package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/ack"
	"github.com/apitap/apitap/internal/promreg"
	"github.com/apitap/apitap/storage/kafka"
)

// The split wiring of the detection stages (apitap analyzer
// --split-stages): each replica runs an actor tier on the actor-keyed calls
// of its partitions of the calls topic and publishes one observation per
// call to the observations topic, keyed by host+method+template; each
// replica also runs an endpoint tier that consumes its partitions of the
// observations topic (group GROUP-endpoints). Both tiers snapshot their
// baselines and open findings to a compacted state topic, keyed
// "actor/REPLICA" and "endpoint/REPLICA", and restore them on start.

// splitConfig configures both tiers of one replica.
type splitConfig struct {
	Conn          kafka.Conn
	ObsTopic      string
	StateTopic    string
	Group         string // the calls group; the endpoint tier joins Group+"-endpoints"
	Replica       string // stable id of this replica (state key)
	SnapshotEvery time.Duration
	BatchObs      int
	BatchWait     time.Duration
	StartOffset   string
	// MaxStateBytes bounds one state record (the state topic is created
	// with max.message.bytes of this size).
	MaxStateBytes int
	// MaxPendingBatches and MaxPendingBytes bound the batches of
	// observations queued for the observations topic and not acknowledged
	// yet (--max-uncommitted-batches; 64 MiB); when full, the calls
	// consumer waits.
	MaxPendingBatches int
	MaxPendingBytes   int
	// SessionTimeout: an endpoint tier silent this long loses its
	// observation partitions (--session-timeout, as the calls consumer;
	// default 30s).
	SessionTimeout time.Duration
}

func (c *splitConfig) validate() error {
	var errs []error
	if c.ObsTopic == "" {
		errs = append(errs, errors.New("--observations-topic: empty"))
	}
	if c.StateTopic == "" {
		errs = append(errs, errors.New("--state-topic: empty"))
	}
	if c.Replica == "" || strings.ContainsAny(c.Replica, "/ ") {
		errs = append(errs, fmt.Errorf("--replica-id: want a non-empty id without / or spaces, got %q", c.Replica))
	}
	if c.SnapshotEvery <= 0 {
		errs = append(errs, fmt.Errorf("--state-snapshot-interval: want > 0, got %s", c.SnapshotEvery))
	}
	if c.BatchObs <= 0 {
		errs = append(errs, fmt.Errorf("--batch-calls: want > 0, got %d", c.BatchObs))
	}
	if c.MaxPendingBatches <= 0 || c.MaxPendingBytes <= 0 {
		errs = append(errs, fmt.Errorf("--max-uncommitted-batches: want > 0, got %d", c.MaxPendingBatches))
	}
	if c.SessionTimeout < time.Second {
		errs = append(errs, fmt.Errorf("--session-timeout: want >= 1s, got %s", c.SessionTimeout))
	}
	return errors.Join(errs...)
}

// obsHeaders mark observation records with their schema version.
var obsHeaders = []kafkago.Header{{Key: kafka.HeaderSchema, Value: []byte(detect.ObservationWireVersion)}}

// tierState is one tier's record on the state topic.
type tierState struct {
	Version  int
	Stage    []byte // ActorStage or EndpointStage snapshot
	Findings map[string]*report.Finding
}

const tierStateVersion = 1

func encodeTierState(snap func(*bytes.Buffer) error, f *detect.Findings) ([]byte, error) {
	var st bytes.Buffer
	if err := snap(&st); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&tierState{Version: tierStateVersion, Stage: st.Bytes(), Findings: f.M}); err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return b.Bytes(), nil
}

func decodeTierState(b []byte, restore func(*bytes.Reader) error, f *detect.Findings) error {
	var s tierState
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return fmt.Errorf("decode state: %w", err)
	}
	if s.Version != tierStateVersion {
		return fmt.Errorf("decode state: version %d, want %d", s.Version, tierStateVersion)
	}
	if err := restore(bytes.NewReader(s.Stage)); err != nil {
		return err
	}
	if s.Findings != nil {
		f.M = s.Findings
	}
	return nil
}

// stateStore reads and writes the compacted state topic (one partition).
type stateStore struct {
	cfg    splitConfig
	dialer *kafkago.Dialer
	w      *kafkago.Writer
}

func newStateStore(ctx context.Context, cfg splitConfig) (*stateStore, error) {
	d, tr, err := cfg.Conn.Dialer("apitap-analyzer-state")
	if err != nil {
		return nil, err
	}
	s := &stateStore{cfg: cfg, dialer: d, w: &kafkago.Writer{Addr: kafkago.TCP(cfg.Conn.Brokers...), Topic: cfg.StateTopic,
		Transport: tr, RequiredAcks: kafkago.RequireAll, BatchBytes: int64(cfg.MaxStateBytes) + 1<<20, BatchTimeout: time.Millisecond,
		Compression: kafkago.Zstd, MaxAttempts: 5}}
	if err := s.ensureTopic(ctx); err != nil {
		return nil, fmt.Errorf("--state-topic %s: %w", cfg.StateTopic, err)
	}
	return s, nil
}

// ensureTopic creates the state topic, compacted, unless it exists.
func (s *stateStore) ensureTopic(ctx context.Context) error {
	conn, err := s.dialer.DialContext(ctx, "tcp", s.cfg.Conn.Brokers[0])
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	if parts, err := conn.ReadPartitions(s.cfg.StateTopic); err == nil && len(parts) > 0 {
		return nil
	}
	ctrl, err := conn.Controller()
	if err != nil {
		return err
	}
	cc, err := s.dialer.DialContext(ctx, "tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		return err
	}
	defer func() { _ = cc.Close() }()
	err = cc.CreateTopics(kafkago.TopicConfig{Topic: s.cfg.StateTopic, NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: []kafkago.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"},
			{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(s.cfg.MaxStateBytes + 1<<20)}}})
	if err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
		return err
	}
	return nil
}

func (s *stateStore) put(ctx context.Context, key string, value []byte) error {
	if len(value) > s.cfg.MaxStateBytes {
		return fmt.Errorf("state %s: %d bytes, over --state-max-bytes %d", key, len(value), s.cfg.MaxStateBytes)
	}
	if err := s.w.WriteMessages(ctx, kafkago.Message{Key: []byte(key), Value: value}); err != nil {
		return fmt.Errorf("write state %s to %s: %w", key, s.cfg.StateTopic, err)
	}
	return nil
}

// get returns the latest value of key (nil if none).
func (s *stateStore) get(ctx context.Context, key string) ([]byte, error) {
	conn, err := s.dialer.DialLeader(ctx, "tcp", s.cfg.Conn.Brokers[0], s.cfg.StateTopic, 0)
	if err != nil {
		return nil, fmt.Errorf("read state topic %s: %w", s.cfg.StateTopic, err)
	}
	defer func() { _ = conn.Close() }()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return nil, fmt.Errorf("read state topic %s: %w", s.cfg.StateTopic, err)
	}
	var val []byte
	for off := first; off < last; {
		if _, err := conn.Seek(off, kafkago.SeekAbsolute); err != nil {
			return nil, fmt.Errorf("read state topic %s: %w", s.cfg.StateTopic, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		batch := conn.ReadBatch(1, s.cfg.MaxStateBytes+2<<20)
		n := 0
		for {
			m, err := batch.ReadMessage()
			if err != nil {
				break
			}
			n++
			off = m.Offset + 1
			if string(m.Key) == key {
				val = m.Value // nil value: a tombstone
			}
		}
		if err := batch.Close(); err != nil && n == 0 {
			return nil, fmt.Errorf("read state topic %s: %w", s.cfg.StateTopic, err)
		}
		if n == 0 {
			break
		}
	}
	return val, nil
}

func (s *stateStore) Close() error { return s.w.Close() }

// actorTier is the calls consumer's sink in split mode: the actor stage,
// then one observation per call to the observations topic. Consume queues
// the batch's observations for the background producer (obsProducer) and
// registers "wait until Kafka acknowledged them" with the batch's
// ack.Collector, so the calls are committed only after that; without a
// Collector in ctx it waits itself.
type actorTier struct {
	mu       sync.Mutex
	cfg      splitConfig
	log      *slog.Logger
	stage    *detect.ActorStage
	findings *detect.Findings
	template detect.Templater
	w        *kafkago.Writer
	prod     *obsProducer
	stopProd context.CancelFunc
	state    *stateStore
	lastSnap time.Time
	obs      detect.Observation
	hits     []detect.Hit
	// pending are observations of a batch the producer did not take: the
	// consumer hands the same batch again, and they are queued without
	// observing the calls twice.
	pending    []kafkago.Message
	hasPending bool
	snaps      snapCounters
}

// snapCounters count snapshots written and failed.
type snapCounters struct{ ok, failed atomic.Uint64 }

func (s *snapCounters) count(err error) {
	if err != nil {
		s.failed.Add(1)
	} else {
		s.ok.Add(1)
	}
}

func newActorTier(ctx context.Context, cfg splitConfig, dcfg detect.Config, tmpl detect.Templater, state *stateStore, log *slog.Logger) (*actorTier, error) {
	stage, err := detect.NewActorStage(dcfg)
	if err != nil {
		return nil, err
	}
	_, tr, err := cfg.Conn.Dialer("apitap-analyzer-actors")
	if err != nil {
		return nil, err
	}
	if tmpl == nil {
		tmpl = detect.FallbackTemplater
	}
	t := &actorTier{cfg: cfg, log: log, stage: stage, findings: detect.NewFindings(&dcfg), template: tmpl, state: state, lastSnap: time.Now(),
		w: &kafkago.Writer{Addr: kafkago.TCP(cfg.Conn.Brokers...), Topic: cfg.ObsTopic, Transport: tr,
			Balancer: &kafkago.Murmur2Balancer{}, RequiredAcks: kafkago.RequireAll, BatchTimeout: 5 * time.Millisecond,
			BatchSize: max(100, cfg.BatchObs), Compression: kafkago.Lz4, MaxAttempts: 5}}
	t.prod = newObsProducer(t.w, cfg.ObsTopic, cfg.MaxPendingBatches, cfg.MaxPendingBytes)
	b, err := state.get(ctx, "actor/"+cfg.Replica)
	if err != nil {
		return nil, err
	}
	if b != nil {
		if err := decodeTierState(b, func(r *bytes.Reader) error { return stage.Restore(r) }, t.findings); err != nil {
			return nil, fmt.Errorf("--state-topic %s, key actor/%s: %w", cfg.StateTopic, cfg.Replica, err)
		}
		log.Info("restored actor stage", "actors", stage.Actors.Len(), "findings", len(t.findings.M))
	}
	pctx, stop := context.WithCancel(context.Background())
	t.stopProd = stop
	go t.prod.run(pctx)
	return t, nil
}

func (t *actorTier) Consume(ctx context.Context, calls []apicall.Call) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.hasPending {
		t.pending = t.observeLocked(ctx, calls)
		t.hasPending = true
	}
	if len(t.pending) == 0 {
		t.hasPending = false
		return nil
	}
	b, err := t.prod.enqueue(ctx, t.pending)
	if err != nil {
		return err
	}
	if acks := ack.From(ctx); acks != nil {
		t.pending, t.hasPending = nil, false
		acks.Add(b.wait)
		return nil
	}
	if err := b.wait(ctx); err != nil {
		return err // queued again when the batch comes again
	}
	t.pending, t.hasPending = nil, false
	return nil
}

// observeLocked runs the actor stage on calls and returns their
// observations.
func (t *actorTier) observeLocked(ctx context.Context, calls []apicall.Call) []kafkago.Message {
	// The batches before this one were handed over, some may not be
	// committed yet: after a crash those are observed again on top of the
	// snapshot (at least once).
	if time.Since(t.lastSnap) >= t.cfg.SnapshotEvery {
		t.snapshotLocked(ctx)
	}
	msgs := make([]kafkago.Message, 0, len(calls))
	for i := range calls {
		c := &calls[i]
		if c.Status == 0 || c.ReqStart == 0 {
			continue // unanswered calls carry no verdict (as in detect.Pipeline)
		}
		o := &t.obs
		*o = detect.Observation{}
		t.template(c, o)
		o.Call = c
		t.hits = t.stage.Observe(o, t.hits[:0])
		for j := range t.hits {
			t.findings.Add(&t.hits[j], o)
		}
		msgs = append(msgs, kafkago.Message{Key: detect.AppendObservationKey(nil, o), Value: detect.AppendObservationWire(nil, o), Headers: obsHeaders})
	}
	return msgs
}

func (t *actorTier) snapshotLocked(ctx context.Context) {
	t.lastSnap = time.Now()
	b, err := encodeTierState(func(w *bytes.Buffer) error { return t.stage.Snapshot(w) }, t.findings)
	if err == nil {
		err = t.state.put(ctx, "actor/"+t.cfg.Replica, b)
	}
	t.snaps.count(err)
	if err != nil {
		t.log.Warn("actor stage snapshot failed", "err", err)
	}
}

// close waits within ctx for the queued observations to be acknowledged,
// writes a last snapshot (call it after the calls consumer stopped) and
// returns the tier's findings.
func (t *actorTier) close(ctx context.Context) ([]report.Finding, error) {
	err := t.prod.drain(ctx)
	t.stopProd()
	<-t.prod.stopped
	t.mu.Lock()
	defer t.mu.Unlock()
	t.snapshotLocked(ctx)
	return t.findings.All(), errors.Join(err, t.w.Close())
}

func (t *actorTier) all() []report.Finding {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.findings.All()
}

// endpointTier consumes the observations of its partitions into the
// endpoint stage. Its baselines and findings are durable once snapshotted
// to the state topic, so it commits the observations' offsets only after
// the snapshot that covers them was written: every --state-snapshot-interval
// (also while idle) and on close. A restarted replica restores that
// snapshot and reads on from exactly those offsets. A rebalance of the
// endpoints group also restarts reading from the committed offsets, which
// trail what the running tier observed: records at or below the last
// offset it observed on a partition are already in its state and are
// skipped (redelivered), not observed twice.
type endpointTier struct {
	mu       sync.Mutex
	cfg      splitConfig
	log      *slog.Logger
	stage    *detect.EndpointStage
	findings *detect.Findings
	r        *kafkago.Reader
	state    *stateStore
	lastSnap time.Time
	hits     []detect.Hit
	consumed atomic.Uint64
	skipped  atomic.Uint64
	// observed counts the observations folded into the stage;
	// redelivered the records skipped because they already were.
	observed    atomic.Uint64
	redelivered atomic.Uint64
	snaps       snapCounters
	// commitFailed counts failed commits of observation offsets.
	commitFailed atomic.Uint64
	// held is the last record read of each partition, observed but not
	// committed (waiting for the next snapshot); one entry per partition.
	held []kafkago.Message
	// parts counts the observations this tier decoded per partition (a
	// partition seen by two replicas moved in a rebalance).
	parts map[int]uint64
	// last is the offset of the last record observed per partition
	// (read again after a rebalance: skipped).
	last map[int]int64
}

func newEndpointTier(ctx context.Context, cfg splitConfig, dcfg detect.Config, state *stateStore, log *slog.Logger) (*endpointTier, error) {
	stage, err := detect.NewEndpointStage(dcfg)
	if err != nil {
		return nil, err
	}
	d, _, err := cfg.Conn.Dialer("apitap-analyzer-endpoints")
	if err != nil {
		return nil, err
	}
	start := kafkago.FirstOffset
	if cfg.StartOffset == "latest" {
		start = kafkago.LastOffset
	}
	e := &endpointTier{cfg: cfg, log: log, stage: stage, parts: map[int]uint64{}, last: map[int]int64{}, findings: detect.NewFindings(&dcfg), state: state, lastSnap: time.Now(),
		r: kafkago.NewReader(kafkago.ReaderConfig{Brokers: cfg.Conn.Brokers, GroupID: cfg.Group + "-endpoints", Topic: cfg.ObsTopic,
			Dialer: d, MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 500 * time.Millisecond, QueueCapacity: max(100, cfg.BatchObs),
			CommitInterval: 0, StartOffset: start, SessionTimeout: cfg.SessionTimeout, HeartbeatInterval: min(time.Second, cfg.SessionTimeout/3),
			RebalanceTimeout: 10 * time.Second, JoinGroupBackoff: time.Second, ReadBackoffMin: 100 * time.Millisecond, ReadBackoffMax: time.Second})}
	b, err := state.get(ctx, "endpoint/"+cfg.Replica)
	if err != nil {
		return nil, errors.Join(err, e.r.Close())
	}
	if b != nil {
		if err := decodeTierState(b, func(r *bytes.Reader) error { return stage.Restore(r) }, e.findings); err != nil {
			return nil, errors.Join(fmt.Errorf("--state-topic %s, key endpoint/%s: %w", cfg.StateTopic, cfg.Replica, err), e.r.Close())
		}
		log.Info("restored endpoint stage", "endpoints", stage.Endpoints.Len(), "findings", len(e.findings.M))
	}
	return e, nil
}

// Run consumes until ctx ends.
func (e *endpointTier) Run(ctx context.Context) error {
	msgs := make([]kafkago.Message, 0, e.cfg.BatchObs)
	type decoded struct {
		o detect.Observation
		c apicall.Call
		p int
	}
	obs := make([]decoded, 0, e.cfg.BatchObs)
	for {
		msgs = msgs[:0]
		// While records wait for a snapshot, wait for the next one only
		// until the snapshot is due.
		fctx, fcancel := ctx, context.CancelFunc(func() {})
		if len(e.held) > 0 {
			fctx, fcancel = context.WithDeadline(ctx, e.lastSnap.Add(e.cfg.SnapshotEvery))
		}
		m, err := e.r.FetchMessage(fctx)
		fcancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil //nolint:nilerr // cancelled: a clean stop
			}
			if fctx.Err() != nil {
				e.checkpoint(context.WithoutCancel(ctx))
				continue
			}
			return fmt.Errorf("read --observations-topic %s: %w", e.cfg.ObsTopic, err)
		}
		msgs = append(msgs, m)
		bctx, cancel := context.WithTimeout(ctx, e.cfg.BatchWait)
		for len(msgs) < e.cfg.BatchObs {
			m, err := e.r.FetchMessage(bctx)
			if err != nil {
				break
			}
			msgs = append(msgs, m)
		}
		cancel()
		// Observations of one endpoint come from several actor partitions
		// (and replicas): put the batch back in capture-time order.
		obs = obs[:0]
		e.mu.Lock()
		fresh := msgs[:0]
		for _, m := range msgs {
			if l, ok := e.last[m.Partition]; ok && m.Offset <= l {
				e.redelivered.Add(1)
				continue
			}
			e.last[m.Partition] = m.Offset
			fresh = append(fresh, m)
		}
		e.mu.Unlock()
		e.consumed.Add(uint64(len(msgs) - len(fresh)))
		msgs = fresh
		for i := range msgs {
			m := &msgs[i]
			if v, ok := headerValue(m.Headers, kafka.HeaderSchema); !ok || !strings.HasPrefix(v, strconv.Itoa(detect.ObservationWireMajor)+".") {
				e.skipped.Add(1)
				continue
			}
			obs = append(obs, decoded{p: m.Partition})
			d := &obs[len(obs)-1]
			if err := detect.DecodeObservationWire(m.Value, &d.o, &d.c); err != nil {
				obs = obs[:len(obs)-1]
				e.skipped.Add(1)
				e.log.Debug("skipped observation", "partition", m.Partition, "offset", m.Offset, "err", err)
			}
		}
		slices.SortStableFunc(obs, func(a, b decoded) int { return cmp.Compare(a.c.ReqStart, b.c.ReqStart) })
		e.mu.Lock()
		for i := range obs {
			d := &obs[i]
			d.o.Call = &d.c
			if len(e.parts) < 1024 || e.parts[d.p] > 0 {
				e.parts[d.p]++
			}
			e.hits = e.stage.Observe(&d.o, e.hits[:0])
			for j := range e.hits {
				e.findings.Add(&e.hits[j], &d.o)
			}
		}
		e.observed.Add(uint64(len(obs)))
		e.consumed.Add(uint64(len(msgs)))
		for i := range msgs {
			e.hold(msgs[i])
		}
		e.mu.Unlock()
		if time.Since(e.lastSnap) >= e.cfg.SnapshotEvery {
			e.checkpoint(context.WithoutCancel(ctx)) // a stop does not cut a snapshot short
		}
	}
}

// hold records m as observed and not committed. Call with mu held.
func (e *endpointTier) hold(m kafkago.Message) {
	rec := kafkago.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
	for i := range e.held {
		if e.held[i].Partition == m.Partition {
			if m.Offset > e.held[i].Offset {
				e.held[i] = rec
			}
			return
		}
	}
	e.held = append(e.held, rec)
}

// checkpoint snapshots the stage and, once the snapshot is written,
// commits the offsets it covers, both within ctx. A failed snapshot commits
// nothing (the records are read again after a restart).
func (e *endpointTier) checkpoint(ctx context.Context) {
	e.mu.Lock()
	err := e.snapshotLocked(ctx)
	held := e.held
	if err == nil {
		e.held = nil
	}
	e.mu.Unlock()
	if err != nil || len(held) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = e.r.CommitMessages(cctx, held...)
	cancel()
	if err != nil {
		e.commitFailed.Add(1)
		e.log.Warn("commit observation offsets failed; they will be delivered again", "partitions", len(held), "err", err)
	}
}

func headerValue(hs []kafkago.Header, key string) (string, bool) {
	for _, h := range hs {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

func (e *endpointTier) snapshotLocked(ctx context.Context) error {
	e.lastSnap = time.Now()
	b, err := encodeTierState(func(w *bytes.Buffer) error { return e.stage.Snapshot(w) }, e.findings)
	if err == nil {
		err = e.state.put(ctx, "endpoint/"+e.cfg.Replica, b)
	}
	e.snaps.count(err)
	if err != nil {
		e.log.Warn("endpoint stage snapshot failed; observation offsets not committed", "err", err)
	}
	return err
}

// close writes a last snapshot and commits the offsets it covers (within
// ctx), leaves the group and returns the findings. Call it after Run
// returned.
func (e *endpointTier) close(ctx context.Context) ([]report.Finding, error) {
	e.checkpoint(ctx)
	err := e.r.Close()
	return e.all(), err
}

// partitions returns how many observations this tier decoded per partition.
func (e *endpointTier) partitions() map[int]uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.parts)
}

func (e *endpointTier) all() []report.Finding {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.findings.All()
}

// splitFlags configure --split-stages.
func splitFlags() []cli.Flag {
	host, _ := os.Hostname()
	return []cli.Flag{
		&cli.BoolFlag{Name: "split-stages", Usage: "run detection as two Kafka-connected tiers: the actor stage on this replica's calls, the endpoint stage on its partitions of --observations-topic (for more than one replica; one replica needs no split)", EnvVars: []string{"APITAP_SPLIT_STAGES"}},
		&cli.StringFlag{Name: "observations-topic", Value: "apitap.observations.v1", Usage: "topic from the actor stage to the endpoint stage, keyed by host+method+template (--split-stages)", EnvVars: []string{"APITAP_KAFKA_OBSERVATIONS_TOPIC"}},
		&cli.StringFlag{Name: "state-topic", Value: "apitap.analyzer-state.v1", Usage: "compacted topic of the stages' baseline snapshots, created if missing (--split-stages)", EnvVars: []string{"APITAP_KAFKA_STATE_TOPIC"}},
		&cli.StringFlag{Name: "replica-id", Value: host, Usage: "stable id of this replica, the key of its snapshots (e.g. the StatefulSet pod name)", EnvVars: []string{"APITAP_REPLICA_ID"}},
		&cli.DurationFlag{Name: "state-snapshot-interval", Value: time.Minute, Usage: "how often each stage snapshots its baselines to --state-topic", EnvVars: []string{"APITAP_STATE_SNAPSHOT_INTERVAL"}},
		&cli.StringFlag{Name: "state-max-bytes", Value: "64MiB", Usage: "largest snapshot record; larger snapshots are not written (logged)", EnvVars: []string{"APITAP_STATE_MAX_BYTES"}},
	}
}

// splitTiers are both tiers of one replica, as the analyzer runs them.
type splitTiers struct {
	actors *actorTier
	eps    *endpointTier
	state  *stateStore
	cancel context.CancelFunc
	done   chan error
}

func newSplitTiers(c *cli.Context, tmpl detect.Templater, reg prometheus.Registerer, log *slog.Logger) (*splitTiers, error) {
	maxState, err := parseBytes(c.String("state-max-bytes"))
	if err != nil {
		return nil, fmt.Errorf("--state-max-bytes: %w", err)
	}
	cfg := splitConfig{Conn: kafkaConn(c), ObsTopic: c.String("observations-topic"), StateTopic: c.String("state-topic"),
		Group: c.String("group"), Replica: c.String("replica-id"), SnapshotEvery: c.Duration("state-snapshot-interval"),
		BatchObs: c.Int("batch-calls"), BatchWait: c.Duration("batch-wait"), StartOffset: c.String("start-offset"), MaxStateBytes: int(maxState),
		MaxPendingBatches: c.Int("max-uncommitted-batches"), MaxPendingBytes: 64 << 20, SessionTimeout: c.Duration("session-timeout")}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	dcfg, err := detectConfig(c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(c.Context, time.Minute)
	defer cancel()
	st, err := newStateStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &splitTiers{state: st, done: make(chan error, 1)}
	if s.actors, err = newActorTier(ctx, cfg, dcfg, tmpl, st, log.With("stage", "actor")); err != nil {
		return nil, errors.Join(err, st.Close())
	}
	if s.eps, err = newEndpointTier(ctx, cfg, dcfg, st, log.With("stage", "endpoint")); err != nil {
		return nil, errors.Join(err, st.Close())
	}
	if err := s.register(reg); err != nil {
		return nil, errors.Join(err, s.eps.r.Close(), st.Close())
	}
	runCtx, stop := context.WithCancel(context.Background())
	s.cancel = stop
	go func() { s.done <- s.eps.Run(runCtx) }()
	log.Info("split stages", "observations_topic", cfg.ObsTopic, "state_topic", cfg.StateTopic, "replica", cfg.Replica)
	return s, nil
}

// register exports the tiers' counters on reg (nil: not exported).
func (s *splitTiers) register(reg prometheus.Registerer) error {
	counter := func(name, help string, labels prometheus.Labels, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, func() float64 { return float64(v.Load()) })
	}
	return promreg.Register(reg, "split stage",
		counter("apitap_analyzer_observations_produced_total", "Observations the actor stage wrote to the observations topic (acknowledged by Kafka).", nil, &s.actors.prod.produced),
		counter("apitap_analyzer_observations_produce_retries_total", "Writes of observations retried after a retryable failure.", nil, &s.actors.prod.retries),
		counter("apitap_analyzer_observations_produce_failures_total", "Permanent failures to write observations (the analyzer stops, the calls are not committed).", nil, &s.actors.prod.permanent),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "apitap_analyzer_observations_pending_batches", Help: "Batches of observations queued or in flight, not acknowledged by Kafka yet (their calls are not committed)."},
			func() float64 { return float64(s.actors.prod.pending.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "apitap_analyzer_observations_blocked_seconds_total", Help: "Time the calls consumer waited because the queue of unacknowledged observations was full (--max-uncommitted-batches, 64 MiB)."},
			func() float64 { return s.actors.prod.blocked().Seconds() }),
		counter("apitap_analyzer_observations_consumed_total", "Observation records the endpoint stage read (skipped ones included).", nil, &s.eps.consumed),
		counter("apitap_analyzer_observations_skipped_total", "Observation records skipped: no or unknown schema version, or corrupt.", nil, &s.eps.skipped),
		counter("apitap_analyzer_observations_redelivered_total", "Observation records read again after a rebalance and skipped: the endpoint stage had observed them.", nil, &s.eps.redelivered),
		counter("apitap_analyzer_observations_commit_errors_total", "Failed commits of observation offsets (the records are delivered again).", nil, &s.eps.commitFailed),
		counter("apitap_analyzer_state_snapshots_total", "Stage snapshots written to the state topic.", prometheus.Labels{"stage": "actor", "result": "ok"}, &s.actors.snaps.ok),
		counter("apitap_analyzer_state_snapshots_total", "Stage snapshots written to the state topic.", prometheus.Labels{"stage": "actor", "result": "failed"}, &s.actors.snaps.failed),
		counter("apitap_analyzer_state_snapshots_total", "Stage snapshots written to the state topic.", prometheus.Labels{"stage": "endpoint", "result": "ok"}, &s.eps.snaps.ok),
		counter("apitap_analyzer_state_snapshots_total", "Stage snapshots written to the state topic.", prometheus.Labels{"stage": "endpoint", "result": "failed"}, &s.eps.snaps.failed),
	)
}

func (s *splitTiers) all() []report.Finding { return append(s.actors.all(), s.eps.all()...) }

// close stops the endpoint tier, writes the last snapshots and returns
// every finding. Call it after the calls consumer stopped.
func (s *splitTiers) close(ctx context.Context) ([]report.Finding, error) {
	s.cancel()
	err := <-s.done
	fa, aerr := s.actors.close(ctx)
	fe, eerr := s.eps.close(ctx)
	return append(fa, fe...), errors.Join(err, aerr, eerr, s.state.Close())
}
