package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/storage/kafka"
)

const testObsTopic = "apitap.observations.v1"

// splitReplica is one analyzer replica in split mode, in process.
type splitReplica struct {
	actors *actorTier
	eps    *endpointTier
	cons   *kafka.Consumer
	state  *stateStore
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   chan error
}

func testSplitConfig(brokers []string, replica string) splitConfig {
	return splitConfig{Conn: kafka.Conn{Brokers: brokers}, ObsTopic: testObsTopic, StateTopic: "apitap.analyzer-state.v1",
		Group: "split-test", Replica: replica, SnapshotEvery: 200 * time.Millisecond, BatchObs: 500,
		BatchWait: time.Second, StartOffset: "earliest", MaxStateBytes: 64 << 20, MaxPendingBatches: 256, MaxPendingBytes: 64 << 20,
		SessionTimeout: 30 * time.Second}
}

func startReplica(t *testing.T, cfg splitConfig) *splitReplica {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dcfg := detect.DefaultConfig()
	st, err := newStateStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &splitReplica{state: st, errs: make(chan error, 2)}
	if r.actors, err = newActorTier(ctx, cfg, dcfg, nil, st, log); err != nil {
		t.Fatal(err)
	}
	if r.eps, err = newEndpointTier(ctx, cfg, dcfg, st, log); err != nil {
		t.Fatal(err)
	}
	ccfg := kafka.DefaultConsumerConfig()
	ccfg.Brokers, ccfg.Group, ccfg.BatchWait, ccfg.BatchCalls = cfg.Conn.Brokers, cfg.Group, 20*time.Millisecond, 200
	// The production session timeout: a test process stalled for a few
	// seconds on a loaded machine must not lose its partitions (a moved
	// calls partition starts its actors cold; see the README's limits).
	// Members leave on Close, so nothing waits for it.
	ccfg.SessionTimeout, ccfg.HeartbeatInterval = cfg.SessionTimeout, 500*time.Millisecond
	if r.cons, err = kafka.NewConsumer(ccfg, r.actors, nil, log); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	r.wg.Add(2)
	go func() { defer r.wg.Done(); r.errs <- r.cons.Run(runCtx) }()
	go func() { defer r.wg.Done(); r.errs <- r.eps.Run(runCtx) }()
	return r
}

// stop stops the replica as a graceful shutdown does: consumers first,
// then the last snapshots. It returns the findings of both tiers.
func (r *splitReplica) stop(t *testing.T) []report.Finding {
	t.Helper()
	r.cancel()
	r.wg.Wait()
	for range 2 {
		if err := <-r.errs; err != nil {
			t.Error(err)
		}
	}
	ctx := context.Background()
	if err := r.cons.Close(ctx); err != nil {
		t.Error(err)
	}
	fa, err := r.actors.close(ctx)
	if err != nil {
		t.Error(err)
	}
	fe, err := r.eps.close(ctx)
	if err != nil {
		t.Error(err)
	}
	if err := r.state.Close(); err != nil {
		t.Error(err)
	}
	return append(fa, fe...)
}

func produceCalls(t *testing.T, brokers []string, calls []apicall.Call) {
	t.Helper()
	cfg := kafka.DefaultProducerConfig()
	cfg.Brokers, cfg.MaxInFlight = brokers, 1
	p, err := kafka.NewProducer(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	for i := 0; i < len(calls); i += 500 {
		if err := p.Consume(ctx, calls[i:min(i+500, len(calls))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.ShedTotal() > 0 {
		t.Fatalf("producer shed calls: %+v", st)
	}
}

// answered counts the calls the stages look at.
func answered(calls []apicall.Call) uint64 {
	n := uint64(0)
	for i := range calls {
		if calls[i].Status != 0 && calls[i].ReqStart != 0 {
			n++
		}
	}
	return n
}

// waitConsumed waits until the replicas' endpoint tiers observed want
// observations in all.
func waitConsumed(t *testing.T, want uint64, rs ...*splitReplica) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var cons uint64
		for _, r := range rs {
			cons += r.eps.observed.Load()
		}
		if cons >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90s: %d observations consumed, want %d", cons, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func referenceFindings(t *testing.T, calls []apicall.Call) []report.Finding {
	t.Helper()
	p, err := detect.NewPipeline(detect.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		p.Observe(&calls[i], nil)
	}
	return p.Findings.All()
}

func byTimeCalls(t *testing.T, pcap string) []apicall.Call {
	calls := offlineCalls(t, pcap)
	slices.SortStableFunc(calls, func(a, b apicall.Call) int { return int(min(max(a.ReqStart-b.ReqStart, -1), 1)) })
	return calls
}

// findingKeys maps finding ids to a description; a finding reported by
// both tiers (injection_attempt) is one row in a sink that upserts by id.
func findingKeys(fs []report.Finding) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		m[f.ID] = fmt.Sprintf("%s %s %s%s count=%d", f.Type, f.User+strings.Join(f.ClientIPs[:min(1, len(f.ClientIPs))], ""), f.Host, f.Endpoint, f.Count)
	}
	return m
}

func diffFindings(want, got map[string]string) (missing, extra []string) {
	for id, s := range want {
		if _, ok := got[id]; !ok {
			missing = append(missing, s)
		}
	}
	for id, s := range got {
		if _, ok := want[id]; !ok {
			extra = append(extra, s)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func newSplitCluster(t *testing.T) []string {
	t.Helper()
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, kafka.DefaultTopic, testObsTopic), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl.ListenAddrs()
}

// feed produces calls in chunks of about 20 s of traffic and waits for
// each to pass both tiers, as live traffic arrives. A replay of the whole
// capture at once would let one partition run minutes ahead of another,
// and the endpoint tier would see an endpoint's calls far out of capture
// order (see the README: the split wiring is order-sensitive only within
// the transport's skew).
func feed(t *testing.T, brokers []string, calls []apicall.Call, rs ...*splitReplica) {
	t.Helper()
	var base uint64
	for _, r := range rs {
		base += r.eps.observed.Load()
	}
	for i := 0; i < len(calls); {
		j := i
		for j < len(calls) && calls[j].ReqStart-calls[i].ReqStart < int64(20*time.Second) {
			j++
		}
		produceCalls(t, brokers, calls[i:j])
		base += answered(calls[i:j])
		waitConsumed(t, base, rs...)
		i = j
	}
}

// waitJoined writes records without a schema header (skipped and counted
// by both tiers) to every partition until both replicas read some from both
// topics: then both consumer groups have two members and are stable.
func waitJoined(t *testing.T, brokers []string, rs ...*splitReplica) {
	t.Helper()
	w := &kafkago.Writer{Addr: kafkago.TCP(brokers...), Balancer: &kafkago.RoundRobin{}, BatchTimeout: time.Millisecond}
	defer func() { _ = w.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		joined := true
		for _, r := range rs {
			joined = joined && r.cons.Stats().Messages > 0 && r.eps.consumed.Load() > 0
		}
		if joined {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("replicas did not join both consumer groups within 60s")
		}
		var probes []kafkago.Message
		for range 8 {
			probes = append(probes, kafkago.Message{Topic: kafka.DefaultTopic, Value: []byte("probe")}, kafkago.Message{Topic: testObsTopic, Value: []byte("probe")})
		}
		if err := w.WriteMessages(context.Background(), probes...); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestSplitStagesMatchAnalyze: two replicas with split stages find what
// the one-process pipeline finds on the same calls.
func TestSplitStagesMatchAnalyze(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, "simulate", "--out", dir, "--seed", "5", "--users", "40", "--duration", "10m", "--max-calls", "6000")
	calls := byTimeCalls(t, filepath.Join(dir, "traffic.pcap"))
	want := referenceFindings(t, calls)
	if len(want) == 0 {
		t.Fatal("the reference pipeline found nothing: the test would prove nothing")
	}
	brokers := newSplitCluster(t)
	a := startReplica(t, testSplitConfig(brokers, "a"))
	b := startReplica(t, testSplitConfig(brokers, "b"))
	waitJoined(t, brokers, a, b)
	feed(t, brokers, calls, a, b)
	got := append(a.stop(t), b.stop(t)...)
	for k := range a.actors.stage.Actors.M {
		if _, ok := b.actors.stage.Actors.M[k]; ok {
			t.Errorf("actor %s observed by both replicas: its calls partition moved in a rebalance and its actor state restarted", k)
			break
		}
	}
	pa, pb := a.eps.partitions(), b.eps.partitions()
	for p := range pa {
		if pb[p] > 0 {
			t.Errorf("observation partition %d moved between replicas (a %v, b %v): its endpoints' baselines restarted", p, pa, pb)
		}
	}
	if a.actors.prod.produced.Load() == 0 || b.actors.prod.produced.Load() == 0 {
		t.Logf("one replica got no partitions: a=%d b=%d observations", a.actors.prod.produced.Load(), b.actors.prod.produced.Load())
	}
	missing, extra := diffFindings(findingKeys(want), findingKeys(got))
	for id, w := range findingKeys(want) {
		if g, ok := findingKeys(got)[id]; ok && g != w {
			t.Logf("same finding, other count: reference %s, split %s", w, g)
		}
	}
	wk, gk := findingKeys(want), findingKeys(got)
	t.Logf("reference %d findings, split %d; missing %d, extra %d", len(wk), len(gk), len(missing), len(extra))
	for _, s := range missing {
		t.Errorf("missing: %s", s)
	}
	for _, s := range extra {
		t.Errorf("extra: %s", s)
	}
}

// TestSplitStagesRestart: a replica stopped mid-stream and replaced by a
// new one with the same --replica-id restores both stages from the state
// topic and detects an attack that straddles the restart, which a replica
// starting from nothing misses.
func TestSplitStagesRestart(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, "simulate", "--out", dir, "--seed", "5", "--users", "40", "--duration", "10m", "--max-calls", "6000")
	calls := byTimeCalls(t, filepath.Join(dir, "traffic.pcap"))
	want := referenceFindings(t, calls)
	slices.SortFunc(want, func(a, b report.Finding) int { return a.FirstSeen.Compare(b.FirstSeen) })
	// The restart goes right before a finding fires, when its actor's
	// attack has begun, at a point where the calls after it alone (no
	// baseline, no counters) do not produce it.
	var target report.Finding
	cut := -1
	// Prefer detections that count an actor's calls over a window, with
	// the restart halfway through the attack's calls before it fired;
	// then any finding, with the restart right before it fires.
	counting := []string{"bola_enumeration", "credential_stuffing", "brute_force", "scraping", "rate_anomaly", "password_reset_abuse"}
	for pass := 0; pass < 2 && cut < 0; pass++ {
		for _, f := range want {
			if pass == 0 && !slices.Contains(counting, f.Type) {
				continue
			}
			i, _ := slices.BinarySearchFunc(calls, f.FirstSeen.UnixNano(), func(c apicall.Call, t int64) int { return cmp.Compare(c.ReqStart, t) })
			if pass == 0 {
				idx := attackCalls(f, calls[:i])
				if len(idx) < 4 {
					continue
				}
				i = idx[len(idx)/2]
			}
			if i < len(calls)/5 || !attackBegan(f, calls[:i]) {
				continue
			}
			// Without the state from before i, it fires later or never.
			if g, found := findingsByID(referenceFindings(t, calls[i:]))[f.ID]; !found || g.FirstSeen.After(f.FirstSeen) {
				target, cut = f, i
				break
			}
		}
	}
	if cut < 0 {
		t.Fatal("no finding in the capture depends on state from before it: the test would prove nothing")
	}
	t.Logf("restart before call %d of %d; the attack: %s %s %s (%s)", cut, len(calls), target.Type, target.User, target.Endpoint, target.Summary)

	brokers := newSplitCluster(t)
	cfg := testSplitConfig(brokers, "r1")
	cfg.BatchWait = 50 * time.Millisecond
	r := startReplica(t, cfg)
	waitJoined(t, brokers, r)
	feed(t, brokers, calls[:cut], r)
	before := findingKeys(r.stop(t))
	if _, ok := before[target.ID]; ok {
		t.Fatalf("%s fired before the restart", target.ID)
	}

	r = startReplica(t, cfg)
	if r.actors.stage.Actors.Len() == 0 || r.eps.stage.Endpoints.Len() == 0 {
		t.Fatalf("nothing restored: %d actors, %d endpoints", r.actors.stage.Actors.Len(), r.eps.stage.Endpoints.Len())
	}
	waitJoined(t, brokers, r)
	feed(t, brokers, calls[cut:], r)
	afterFs := r.stop(t)
	after := findingKeys(afterFs)
	if g, ok := findingsByID(afterFs)[target.ID]; !ok {
		t.Errorf("the attack straddling the restart was not detected: %s", findingKeys([]report.Finding{target})[target.ID])
	} else if !g.FirstSeen.Equal(target.FirstSeen) {
		t.Errorf("the attack straddling the restart was detected at %s, without a restart at %s", g.FirstSeen, target.FirstSeen)
	}
	// Findings of before the restart were restored too.
	for id, s := range before {
		if _, ok := after[id]; !ok {
			t.Errorf("finding lost across the restart: %s", s)
		}
	}
}

func findingsByID(fs []report.Finding) map[string]report.Finding {
	m := make(map[string]report.Finding, len(fs))
	for _, f := range fs {
		m[f.ID] = f
	}
	return m
}

// attackCalls returns the indexes of the calls of f's actor to f's
// endpoint in the 10 minutes before the end of calls, oldest first.
func attackCalls(f report.Finding, calls []apicall.Call) []int {
	var idx []int
	if len(calls) == 0 {
		return nil
	}
	end := calls[len(calls)-1].ReqStart
	for i := len(calls) - 1; i >= 0 && end-calls[i].ReqStart < int64(10*time.Minute); i-- {
		if sameAttack(f, &calls[i]) {
			idx = append(idx, i)
		}
	}
	slices.Reverse(idx)
	return idx
}

func sameAttack(f report.Finding, c *apicall.Call) bool {
	same := (f.User != "" && c.Actor.User == f.User) || (f.User == "" && slices.Contains(f.ClientIPs, c.Actor.ClientIP.String()))
	return same && c.Host == f.Host && strings.HasSuffix(f.Endpoint, detect.FallbackTemplate(c.Path)) && strings.HasPrefix(f.Endpoint, c.Method+" ")
}

// attackBegan reports whether the actor of f called f's endpoint in the
// 10 minutes before the end of calls.
func attackBegan(f report.Finding, calls []apicall.Call) bool {
	if len(calls) == 0 {
		return false
	}
	end := calls[len(calls)-1].ReqStart
	for i := len(calls) - 1; i >= 0 && end-calls[i].ReqStart < int64(10*time.Minute); i-- {
		if sameAttack(f, &calls[i]) {
			return true
		}
	}
	return false
}

// TestAnalyzerSplitStagesCLI runs `apitap analyzer --split-stages` on
// calls an agent sent to Kafka: findings come out as JSON lines on exit.
func TestAnalyzerSplitStagesCLI(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, "simulate", "--out", dir, "--seed", "5", "--users", "40", "--duration", "10m", "--max-calls", "3000")
	pcap := filepath.Join(dir, "traffic.pcap")
	brokers := strings.Join(newSplitCluster(t), ",")
	runCLI(t, "agent", "--pcap", pcap, "--kafka", brokers, "--pseudonym-key", testKey, "--progress=false", "--node", "node-7", "--workers", "1")

	var out bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, io.Discard
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"apitap", "analyzer", "--kafka", brokers, "--split-stages", "--replica-id", "cli-0", "--sink", "null",
		"--metrics-addr", "", "--idle-exit", "3s", "--session-timeout", "2s"}
	if err := app.RunContext(ctx, args); err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(out.String()) {
		var f report.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil || f.ID == "" || f.Type == "" {
			t.Fatalf("not a finding: %q (%v)", line, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no finding printed")
	}
	t.Logf("%d findings", n)
}

func TestSplitMetrics(t *testing.T) {
	s := &splitTiers{actors: &actorTier{prod: newObsProducer(nil, testObsTopic, 1, 1)}, eps: &endpointTier{}}
	reg := prometheus.NewRegistry()
	if err := s.register(reg); err != nil {
		t.Fatal(err)
	}
	s.actors.prod.produced.Add(3)
	s.eps.skipped.Add(2)
	s.eps.snaps.count(errors.New("x"))
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			k := mf.GetName()
			for _, l := range m.GetLabel() {
				k += "," + l.GetName() + "=" + l.GetValue()
			}
			got[k] = m.GetCounter().GetValue()
		}
	}
	for k, v := range map[string]float64{
		"apitap_analyzer_observations_produced_total":                        3,
		"apitap_analyzer_observations_skipped_total":                         2,
		"apitap_analyzer_state_snapshots_total,result=failed,stage=endpoint": 1,
		"apitap_analyzer_state_snapshots_total,result=ok,stage=actor":        0,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}
