package actorstats

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/ack"
)

// store is a report.ActorSink that keeps the latest row per (actor, hour,
// writer), as actor_hours does after FINAL, and can refuse writes.
type store struct {
	mu     sync.Mutex
	rows   map[[3]string]report.ActorHour
	writes int
	fail   error
}

func newStore() *store { return &store{rows: map[[3]string]report.ActorHour{}} }

func (s *store) ConsumeActors(_ context.Context, rows []report.ActorHour) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.writes++
	for _, r := range rows {
		k := [3]string{r.Actor, r.Hour.Format(time.RFC3339), r.Writer}
		if old, ok := s.rows[k]; ok && old.Seq > r.Seq {
			continue
		}
		s.rows[k] = r
	}
	return nil
}

// calls sums Calls per actor over hours and writers (the actor_timeline
// view's sum).
func (s *store) calls() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int64{}
	for _, r := range s.rows {
		out[r.Actor] += r.Calls
	}
	return out
}

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// mkCalls returns n calls of actors a0..a(actors-1) (every 5th anonymous),
// one a second from start.
func mkCalls(prefix string, n, actors int, start time.Time) []apicall.Call {
	out := make([]apicall.Call, n)
	for i := range out {
		a := i % actors
		c := apicall.Call{
			ID:       fmt.Sprintf("%s-%d", prefix, i),
			ReqStart: start.Add(time.Duration(i) * time.Second).UnixNano(),
			Host:     "api.test", Method: []string{"GET", "POST"}[i%2], Path: fmt.Sprintf("/orders/%d", i%7),
			Status:      []int{200, 404, 200, 0}[i%4],
			ReqHeaders:  apicall.Headers{{Name: "user-agent", Value: fmt.Sprintf("ua-%d", i%3)}},
			RespBody:    apicall.Body{Length: 10},
			Actor:       apicall.Actor{Kind: apicall.ActorJWT, User: fmt.Sprintf("a%d", a), ClientIP: netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 5)})},
			RespHeaders: nil,
		}
		if a%5 == 4 {
			c.Actor = apicall.Actor{Kind: apicall.ActorAnonymous, ClientIP: netip.AddrFrom4([4]byte{192, 0, 2, byte(a)})}
		}
		out[i] = c
	}
	return out
}

func want(calls []apicall.Call) map[string]int64 {
	out := map[string]int64{}
	for i := range calls {
		out[calls[i].Actor.Key()]++
	}
	return out
}

func equal(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d actors, want %d (%v vs %v)", what, len(got), len(want), got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: actor %s has %d calls, want %d", what, k, got[k], v)
		}
	}
}

func newSink(t *testing.T, cfg Config, out report.ActorSink, reg prometheus.Registerer) *Sink {
	t.Helper()
	s, err := New(cfg, out, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCounts(t *testing.T) {
	st := newStore()
	s := newSink(t, DefaultConfig(), st, nil)
	calls := mkCalls("c", 5000, 10, t0) // 5000 s: two hours of traffic (09:00–10:23)
	for i := 0; i < len(calls); i += 333 {
		if err := s.Consume(t.Context(), calls[i:min(i+333, len(calls))]); err != nil {
			t.Fatal(err)
		}
		if i%999 == 0 {
			if err := s.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	equal(t, "calls per actor", st.calls(), want(calls))
	if len(st.rows) != 20 {
		t.Errorf("%d rows, want 20 (10 actors, 2 hours)", len(st.rows))
	}
	r := st.rows[[3]string{"a0", t0.Format(time.RFC3339), s.Writer()}]
	// a0: calls 0, 10, 20, ... of the first hour (i < 3600): 360 calls,
	// GET /orders/{0,...}: i%10 == 0 so i%2 == 0 (GET), i%4 in {0, 2}
	// (200, 200): no errors; paths i%7 for i = 0, 10, ...: all 7.
	if r.Calls != 360 || r.Errors != 0 || r.Endpoints != 7 || len(r.EndpointIDs) != 7 || r.RespBytes != 3600 ||
		len(r.ClientIPs) != 1 || len(r.UserAgents) != 3 || len(r.Hosts) != 1 || r.User != "a0" || r.ActorKind != apicall.ActorJWT ||
		!r.FirstSeen.Equal(t0) || !r.LastSeen.Equal(t0.Add(3590*time.Second)) || r.Cut != 0 {
		t.Errorf("a0 09:00: %+v", r)
	}
	r = st.rows[[3]string{"a1", t0.Format(time.RFC3339), s.Writer()}]
	if r.Errors != 360 { // i%10 == 1: odd i, status 404 or 0
		t.Errorf("a1 errors %d, want 360", r.Errors)
	}
	if r := st.rows[[3]string{"ip:192.0.2.4", t0.Format(time.RFC3339), s.Writer()}]; r.Calls != 360 || r.User != "" || r.ActorKind != apicall.ActorAnonymous {
		t.Errorf("anonymous actor: %+v", r)
	}
}

// A batch delivered again to the same Sink (a consumer retry, a partition
// given back) is not counted again; a new generation (a restart) writes
// rows of its own instead of replacing the first one's.
func TestRedelivery(t *testing.T) {
	st := newStore()
	s := newSink(t, DefaultConfig(), st, nil)
	calls := mkCalls("r", 2000, 7, t0)
	for _, part := range [][]apicall.Call{calls[:1200], calls[800:1500], calls[:100], calls[1500:]} {
		if err := s.Consume(t.Context(), part); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Stats(); got.Counted != 2000 || got.Duplicate != 400+100 {
		t.Errorf("stats %+v, want 2000 counted and 500 duplicates", got)
	}
	equal(t, "after redelivery", st.calls(), want(calls))

	// A restart: the next process gets the calls from the last commit on
	// (here 1800) and counts them under its own generation.
	s2 := newSink(t, DefaultConfig(), st, nil)
	if s2.Writer() == s.Writer() {
		t.Fatal("two sinks with one generation")
	}
	if err := s2.Consume(t.Context(), calls[1800:]); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	writers := map[string]map[string]bool{}
	for k := range st.rows {
		if writers[k[0]] == nil {
			writers[k[0]] = map[string]bool{}
		}
		writers[k[0]][k[2]] = true
	}
	over := want(calls[1800:])
	got := st.calls()
	for a, n := range want(calls) {
		if got[a] != n+over[a] || len(writers[a]) != 2 {
			t.Errorf("actor %s after restart: %d calls by %d writers, want %d (the %d redelivered twice) by 2", a, got[a], len(writers[a]), n+over[a], over[a])
		}
	}

	// The same run again under the same generation (apitap analyze on
	// the same files) replaces its rows: nothing added.
	st2 := newStore()
	for range 2 {
		cfg := DefaultConfig()
		cfg.Writer = "files-1"
		s := newSink(t, cfg, st2, nil)
		for i := 0; i < len(calls); i += 250 {
			if err := s.Consume(t.Context(), calls[i:i+250]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "a run repeated with its generation", st2.calls(), want(calls))
}

// Closed hours are dropped once written; calls later than Lateness for
// them are counted as late, not as new rows; MaxStates sheds the rest.
func TestBounds(t *testing.T) {
	reg := prometheus.NewRegistry()
	st := newStore()
	cfg := DefaultConfig()
	cfg.MaxStates = 12
	cfg.MaxValues = 2
	cfg.MaxEndpoints = 3
	cfg.Lateness = 5 * time.Minute
	s := newSink(t, cfg, st, reg)
	first := mkCalls("h9", 100, 10, t0)
	if err := s.Consume(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	// 10:06: 09:00 is closed and its states written: at the limit of 12
	// they are dropped to make room; 12 of the 15 actors of 10:00 fit.
	next := mkCalls("h10", 30, 15, t0.Add(66*time.Minute))
	if err := s.Consume(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.States != 12 || got.Limit != 6 { // a12, a13, ip:192.0.2.14: 2 calls each
		t.Errorf("at the limit: %+v, want 12 states and 6 calls shed", got)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.States != 12 {
		t.Errorf("after the write: %d states, want 12 (10:00 still dirty)", got.States)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.States != 12 {
		t.Errorf("09:00 closed: %d states, want 12", got.States)
	}
	// A call for 09:00 now is late.
	late := mkCalls("late", 1, 1, t0.Add(59*time.Minute))
	if err := s.Consume(t.Context(), late); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.Late != 1 {
		t.Errorf("a call for a closed hour: %+v, want 1 late", got)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := testutil.ToFloat64(s.m.dropped.WithLabelValues("limit")); n != 6 {
		t.Errorf("limit metric %v, want 6", n)
	}
	r := st.rows[[3]string{"a0", t0.Format(time.RFC3339), s.Writer()}]
	// 10 calls: paths i%7 for i = 0, 10, ..., 90: 7 endpoints, 3 kept;
	// user agents ua-0..2 (2 kept), client IPs 10.0.0.0 (1).
	if r.Endpoints != 3 || len(r.UserAgents) != 2 || r.Cut == 0 || r.Calls != 10 {
		t.Errorf("bounded sets: %+v", r)
	}
}

// TestEviction drops the states of a closed hour once their last snapshot
// was written, and counts calls that come for it afterwards as late.
func TestEviction(t *testing.T) {
	st := newStore()
	cfg := DefaultConfig()
	cfg.Lateness = time.Minute
	s := newSink(t, cfg, st, nil)
	if err := s.Consume(t.Context(), mkCalls("a", 10, 5, t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Consume(t.Context(), mkCalls("b", 10, 5, t0.Add(62*time.Minute))); err != nil {
		t.Fatal(err)
	}
	for range 2 { // write 09:00 and 10:00, then drop 09:00
		if err := s.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Stats(); got.States != 5 {
		t.Errorf("%d states after 09:00 closed, want 5", got.States)
	}
	if err := s.Consume(t.Context(), mkCalls("c", 3, 5, t0.Add(30*time.Minute))); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.Late != 3 || got.States != 5 {
		t.Errorf("late calls: %+v, want 3 late and 5 states", got)
	}
	if n := st.calls()["a0"]; n != 4 { // 2 at 09:00 + 2 at 10:02
		t.Errorf("a0: %d calls, want 4", n)
	}
}

// With an ack collector in the context, Consume registers a wait that ends
// only once a write counting the batch was accepted: a write refused for
// good fails the waits registered before it (the consumer then does not
// commit those batches, as for calls whose insert failed), and its rows
// are written by the next write.
func TestAck(t *testing.T) {
	st := newStore()
	s := newSink(t, DefaultConfig(), st, nil)
	calls := mkCalls("k", 50, 5, t0)
	col := &ack.Collector{}
	if err := s.Consume(ack.With(t.Context(), col), calls[:25]); err != nil {
		t.Fatal(err)
	}
	if col.Len() != 1 {
		t.Fatalf("%d waits registered, want 1", col.Len())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	if err := col.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait before any write: %v, want the deadline", err)
	}
	cancel()
	refused := errors.New("table missing")
	st.fail = refused
	if err := s.Flush(t.Context()); !errors.Is(err, refused) {
		t.Fatalf("flush into a refusing sink: %v", err)
	}
	if err := col.Wait(t.Context()); !errors.Is(err, refused) {
		t.Errorf("wait for a refused write: %v, want its error", err)
	}
	// Later batches wait for a later write, which succeeds and also
	// writes the rows refused before.
	col2 := &ack.Collector{}
	if err := s.Consume(ack.With(t.Context(), col2), calls[25:]); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- col2.Wait(t.Context()) }()
	st.mu.Lock()
	st.fail = nil
	st.mu.Unlock()
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("wait after the write: %v", err)
	}
	equal(t, "after the retried write", st.calls(), want(calls))
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Consume(t.Context(), calls); !errors.Is(err, ErrClosed) {
		t.Errorf("Consume after Close: %v", err)
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Config{Interval: 0, MaxStates: -1, Lateness: -1, DedupCalls: -1}
	if err := bad.Validate(); err == nil {
		t.Fatal("bad config accepted")
	}
	if _, err := New(DefaultConfig(), nil, nil, nil); err == nil {
		t.Fatal("nil sink accepted")
	}
	if a, b := EndpointID("h", "GET", "/a"), EndpointID("h", "GE", "T/a"); a == b {
		t.Error("EndpointID ignores the separator")
	}
}

func TestConcurrent(t *testing.T) {
	st := newStore()
	cfg := DefaultConfig()
	cfg.Lateness = 24 * time.Hour // the workers' calls are hours apart
	s := newSink(t, cfg, st, nil)
	calls := mkCalls("x", 8000, 50, t0)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w * 2000; i < (w+1)*2000; i += 100 {
				if err := s.Consume(t.Context(), calls[i:i+100]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if err := s.Flush(t.Context()); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	equal(t, "concurrent", st.calls(), want(calls))
}

func TestDedup(t *testing.T) {
	const window = 4096
	d := newDedup(window)
	if len(d.slots)*8 != 4*window*8 {
		t.Fatalf("%d slots for a window of %d", len(d.slots), window)
	}
	seed := maphash.MakeSeed()
	h := func(i int) uint64 { return maphash.String(seed, fmt.Sprint("id-", i)) }
	for i := range window {
		if !d.add(h(i)) {
			t.Fatalf("id %d: seen before", i)
		}
	}
	missed := 0
	for i := range window {
		if d.add(h(i)) {
			missed++
		}
	}
	if uint64(missed) > d.forgotten || d.forgotten > window/100 {
		t.Errorf("repeats of the last %d ids: %d counted again, %d forgotten (want missed <= forgotten <= 1%%)", window, missed, d.forgotten)
	}

	// Nine ids in one bucket of eight: the oldest is replaced and counted.
	d = newDedup(window)
	same := func(i int) uint64 { return uint64(i+1)<<32 | 5 }
	for i := range 9 {
		d.add(same(i))
	}
	if d.forgotten != 1 {
		t.Errorf("forgotten %d, want 1", d.forgotten)
	}
	if !d.add(same(0)) || d.add(same(8)) {
		t.Error("the oldest id of a full bucket is not the one replaced")
	}
}
