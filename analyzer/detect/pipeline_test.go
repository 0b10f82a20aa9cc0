package detect

import (
	"bytes"
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/apitap/apitap/apicall"
)

// bolaWalk is one actor reading orders from..to, most refused, 1-7 s apart.
func bolaWalk(from, to int, start float64) []*apicall.Call {
	var out []*apicall.Call
	for i := from; i < to; i++ {
		st := 403
		if i%5 == 0 {
			st = 200
		}
		start += 1 + float64((i*7919)%7)
		out = append(out, mk(start, "mallory", "172.16.5.5", "GET", fmt.Sprintf("/orders/%d", 9000+i), st))
	}
	return out
}

func TestDedup(t *testing.T) {
	fs := run(t, nil, bolaWalk(0, 60, 100))
	if len(fs) != 1 || fs[0].Type != BOLA {
		t.Fatalf("want one bola finding, got %+v", fs)
	}
	f := fs[0]
	// Hits from the 25th distinct id on, all in one window: one finding.
	if f.Count != 60-24 || f.ID == "" || f.OWASP != "API1:2023" || f.User != "mallory" || f.Endpoint != "GET /orders/{id}" {
		t.Errorf("finding %+v", f)
	}
	if f.Severity != "high" || len(f.CallIDs) == 0 || f.Evidence["distinct_ids"] != 60 {
		t.Errorf("severity %s, call ids %v, evidence %v", f.Severity, f.CallIDs, f.Evidence)
	}
	if !f.LastSeen.After(f.FirstSeen) {
		t.Errorf("first %s last %s", f.FirstSeen, f.LastSeen)
	}
	// Same input, same id.
	if again := run(t, nil, bolaWalk(0, 60, 100)); again[0].ID != f.ID {
		t.Errorf("id not stable: %s then %s", f.ID, again[0].ID)
	}
}

func TestAllowAndDisable(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"actor":    func(c *Config) { c.AllowActors = []string{"mallory"} },
		"ip":       func(c *Config) { c.AllowIPs = []netip.Prefix{netip.MustParsePrefix("172.16.5.0/24")} },
		"endpoint": func(c *Config) { c.AllowEndpoints = []string{"GET /orders/{id}"} },
		"disabled": func(c *Config) { c.Disabled = []string{BOLA} },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			mod(&cfg)
			if fs := run(t, &cfg, bolaWalk(0, 60, 100)); len(fs) != 0 {
				t.Errorf("allow-listed, got %+v", fs)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.Disabled = []string{"no_such_type"}
	if cfg.Validate() == nil {
		t.Error("unknown disabled type accepted")
	}
}

// TestRestart: an attack straddles a restart; the restored baselines carry
// the first half, so the second half completes the detection. A fresh
// stage fed only the second half stays quiet.
func TestRestart(t *testing.T) {
	first, second := bolaWalk(0, 15, 100), bolaWalk(15, 30, 200)
	bg := browse(4, 600, "/orders", "/cart")
	p, err := NewPipeline(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range merge(bg[:len(bg)/2], first) {
		if out := p.Observe(c, nil); len(out) != 0 {
			t.Fatalf("finding before the restart: %+v", out)
		}
	}
	var snap bytes.Buffer
	if err := p.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	restored, _ := NewPipeline(DefaultConfig(), nil)
	if err := restored.Restore(bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatal(err)
	}
	fresh, _ := NewPipeline(DefaultConfig(), nil)
	for _, c := range merge(bg[len(bg)/2:], second) {
		restored.Observe(c, nil)
		fresh.Observe(c, nil)
	}
	if n := count(restored.Findings.All(), BOLA); n != 1 {
		t.Errorf("restored: %d bola findings, want 1", n)
	}
	if n := count(fresh.Findings.All(), BOLA); n != 0 {
		t.Errorf("fresh stage detected half an attack: %d findings", n)
	}
	if err := restored.Restore(bytes.NewReader([]byte("garbage"))); err == nil {
		t.Error("garbage snapshot accepted")
	}
}

// TestManyActors: a million distinct actors through the actor stage with a
// budget of 250k keeps the table at the budget, counts the evictions, and
// reports the memory per actor. Under the race detector (10× slower) it
// runs a fifth of the actors against a fifth of the budget.
func TestManyActors(t *testing.T) {
	if testing.Short() {
		t.Skip("1M actors: skipped with -short")
	}
	n, budget := 1_000_000, 250_000
	if raceEnabled {
		n, budget = 200_000, 50_000
	}
	cfg := DefaultConfig()
	cfg.MaxActors = budget
	s, err := NewActorStage(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	c := mk(0, "", "10.1.0.1", "GET", "/products/1", 200)
	hits := make([]Hit, 0, 8)
	for i := range n {
		c.ReqStart = t0 + int64(i)*1e6
		c.Actor.ClientIP = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		o := Observation{Call: c, Host: c.Host, Method: c.Method, Template: "/products/{id}"}
		hits = s.Observe(&o, hits[:0])
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	if got := s.Actors.Len(); got != budget {
		t.Errorf("%d actors kept, budget %d", got, budget)
	}
	if ev := s.Actors.EvictedLRU; ev != uint64(n-budget) {
		t.Errorf("%d evictions counted, want %d", ev, n-budget)
	}
	per := float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc)) / float64(budget)
	t.Logf("%d actors seen, %d kept, %d evicted, heap %.0f MiB, %.0f bytes per kept actor",
		n, s.Actors.Len(), s.Actors.EvictedLRU, float64(ms1.HeapAlloc)/(1<<20), per)
	if per > 2048 {
		t.Errorf("%.0f bytes per idle actor, target 2 KiB", per)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.MaxActors = 10
	p, _ := NewPipeline(cfg, nil)
	p.SetMetrics(m)
	for _, c := range bolaWalk(0, 40, 100) {
		p.Observe(c, nil)
	}
	for i := range 2000 {
		p.Observe(mk(400+float64(i)*0.01, fmt.Sprintf("u%d", i), "172.16.1.1", "GET", "/cart", 200), nil)
	}
	if got := testutil.ToFloat64(m.findings.WithLabelValues(BOLA)); got != 1 {
		t.Errorf("bola findings metric %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.hits.WithLabelValues(BOLA)); got != 16 {
		t.Errorf("bola hits metric %v, want 16", got)
	}
	if got := testutil.ToFloat64(m.calls); got != 2040 {
		t.Errorf("calls %v", got)
	}
	if got := testutil.ToFloat64(m.evictions.WithLabelValues("actors", "lru")); got < 900 {
		t.Errorf("actor evictions %v, want the ones of the first 1024-call flush at least", got)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice succeeded")
	}
}

// TestStageSnapshots: the Kafka wiring checkpoints each stage on its own.
func TestStageSnapshots(t *testing.T) {
	first, second := bolaWalk(0, 15, 100), bolaWalk(15, 30, 200)
	a, _ := NewActorStage(DefaultConfig())
	e, _ := NewEndpointStage(DefaultConfig())
	feed := func(a *ActorStage, e *EndpointStage, calls []*apicall.Call) (hits []Hit) {
		for _, c := range calls {
			o := Observation{Call: c}
			FallbackTemplater(c, &o)
			hits = a.Observe(&o, hits)
			hits = e.Observe(&o, hits)
		}
		return hits
	}
	if h := feed(a, e, first); len(h) != 0 {
		t.Fatalf("hits before the restart: %+v", h)
	}
	var as, es bytes.Buffer
	if err := a.Snapshot(&as); err != nil {
		t.Fatal(err)
	}
	if err := e.Snapshot(&es); err != nil {
		t.Fatal(err)
	}
	epSnap := bytes.Clone(es.Bytes())
	a2, _ := NewActorStage(DefaultConfig())
	e2, _ := NewEndpointStage(DefaultConfig())
	if err := a2.Restore(&as); err != nil {
		t.Fatal(err)
	}
	if err := e2.Restore(&es); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, h := range feed(a2, e2, second) {
		if h.Type == BOLA {
			n++
		}
	}
	if n == 0 {
		t.Error("restored actor stage missed the attack that straddles the restart")
	}
	if err := a2.Restore(bytes.NewReader(epSnap)); err == nil {
		t.Error("an endpoint snapshot restored into the actor stage")
	}
}
