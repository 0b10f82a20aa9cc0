package clickhouse

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/actorstats"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/chtest"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/internal/simcalls"
	"github.com/apitap/apitap/simulate"
)

// BenchmarkInsertCalls measures calls inserted per second into the local
// server through the Writer (batches of 50,000 rows, columnar appends,
// native protocol). One op is one call. The calls are either the small
// synthetic ones of the tests (3 request headers, 1 response header) or
// simulated traffic turned into calls by the real pipeline (reassembly,
// actor extraction, redaction: ~6 request and ~4 response headers), each
// with and without body samples (1 KiB at most).
//
// The default schema (the actor views off) gets what the analyzer writes:
// the calls, and every second a snapshot of the actor-hours they touched
// (analyzer/actorstats' rows, one per actor and hour of the calls: 20,000
// simulated calls of 2,000 users touch ~2,400), inserted by a second
// writer within the second, as the Kafka analyzer does. Those rows are
// counted by the actor-hour stage once, before the timing; what the stage
// spends per call is BenchmarkActorStats' (analyzer/actorstats), and the
// actor-stage case runs it inline on every call, so its client CPU holds
// both. The other cases: the actor views on as well (actor-views), the
// calls insert alone (calls-only), and the simulated calls without
// samples sent in the table's sorting key order (SortRows).
//
// The server is a private one (not the shared test server other test runs
// may be using), so its CPU time is this benchmark's alone: the insert and
// the merges it triggers while it runs. Each case starts once the merges
// of the one before it ended (from 2026-11-24 session 7; before, the
// cases after the first carried some of the previous case's merges).
func BenchmarkInsertCalls(b *testing.B) {
	srv := chtest.Start(b)
	small := testCalls("bench", 1000)
	body := bytes.Repeat([]byte(`{"id":12345,"email":"a@b.test","items":[1,2,3]},`), 2500/48+1)[:2500]
	for i := range small {
		small[i].RespBody.Data = body
		small[i].RespBody.Length = int64(len(body))
	}
	for _, tc := range []struct {
		name   string
		calls  func(testing.TB) []apicall.Call
		sample int
		views  bool       // MigrateConfig.ActorViews
		actors actorsMode // the actor-hour rows, and who counts them
		sorted bool       // WriterConfig.SortRows
	}{
		{"small/no-bodies", func(testing.TB) []apicall.Call { return small }, 0, false, actorRows, false},
		{"small/body-sample-1KiB", func(testing.TB) []apicall.Call { return small }, 1024, false, actorRows, false},
		{"simulated/no-bodies", simulatedCalls, 0, false, actorRows, false},
		{"simulated/body-sample-1KiB", simulatedCalls, 1024, false, actorRows, false},
		{"simulated/no-bodies/actor-stage", simulatedCalls, 0, false, actorStageInline, false},
		{"simulated/no-bodies/actor-views", simulatedCalls, 0, true, actorRows, false},
		{"simulated/no-bodies/calls-only", simulatedCalls, 0, false, noActorRows, false},
		{"simulated/no-bodies/sorted", simulatedCalls, 0, false, actorRows, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			src := tc.calls(b)
			db := srv.Database(b)
			o, err := ParseDSN(srv.DSN(db))
			if err != nil {
				b.Fatal(err)
			}
			mc := DefaultMigrateConfig()
			mc.ActorViews = tc.views
			if _, err := Migrate(b.Context(), o, mc, nil); err != nil {
				b.Fatal(err)
			}
			d, err := Open(b.Context(), o)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = d.Close() }()
			cfg := DefaultWriterConfig()
			cfg.WaitForInsert = false
			cfg.SampleBytes = tc.sample
			cfg.SortRows = tc.sorted
			cfg.FlushInterval = time.Minute // batches by size only
			if n, err := strconv.Atoi(os.Getenv("APITAP_BENCH_BATCH_ROWS")); err == nil {
				cfg.BatchRows = n // for comparing batch sizes; make bench uses the default
			}
			cfg.Annotate = func(c *apicall.Call) (string, []string) { return c.Path, nil }
			w, err := NewWriter(d, cfg, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			var sink apicall.Sink = w
			var stage *actorStage
			if tc.actors != noActorRows {
				stage = startActorStage(b, d, src, tc.actors)
				if tc.actors == actorStageInline {
					sink = apicall.SinkFunc(func(ctx context.Context, calls []apicall.Call) error {
						return errors.Join(stage.Consume(ctx, calls), w.Consume(ctx, calls))
					})
				}
			}
			// The merges the previous case set off end first, so that the
			// server CPU below is this case's own.
			for deadline := time.Now().Add(time.Minute); srv.Count(b, "SELECT count() FROM system.merges") > 0 && time.Now().Before(deadline); {
				time.Sleep(50 * time.Millisecond)
			}
			const chunk = 1000
			calls := make([]apicall.Call, chunk)
			ids := make([]byte, 0, 64)
			b.ResetTimer()
			start := time.Now()
			srvCPU, cliCPU := srv.CPUTime(), cputime.Process()
			for done := 0; done < b.N; done += chunk {
				n := min(chunk, b.N-done)
				for i := range n {
					calls[i] = src[(done+i)%len(src)]
					// Distinct ids, as real calls have (the id is part of the sort key).
					ids = strconv.AppendInt(append(ids[:0], "bench-"...), int64(done+i), 10)
					calls[i].ID = string(ids)
				}
				if err := sink.Consume(b.Context(), calls[:n]); err != nil {
					b.Fatal(err)
				}
			}
			if stage != nil {
				if err := stage.close(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
			// The machine may be shared: CPU time per row says what a
			// dedicated core would do.
			if sc := srv.CPUTime() - srvCPU; sc > 0 {
				b.ReportMetric(float64(sc.Microseconds())/float64(b.N), "server-cpu-µs/row")
			}
			b.ReportMetric(float64((cputime.Process()-cliCPU).Microseconds())/float64(b.N), "client-cpu-µs/row")
			b.ReportMetric(0, "ns/op")
		})
	}
}

type actorsMode int

const (
	noActorRows      actorsMode = iota
	actorRows                   // the rows of the source calls, counted before the timing, inserted every second
	actorStageInline            // the stage counts every call and writes what changed every second
)

// actorStage is the analyzer's actor-hour stage writing through a writer
// of its own: a snapshot of the actor-hours that changed every second,
// inserted within the next second (FlushInterval 1s), while the calls
// writer fills its batches. The writer does not wait for its inserts
// (the Kafka analyzer's does, for its acknowledgements), so that the last
// snapshot, on close, goes out at once instead of after the flush
// interval, which would add up to a second to every run. With
// actorRows the stage counts the source calls once, before the timing,
// and the same snapshot goes out every second with a new version.
type actorStage struct {
	*actorstats.Sink
	w      *Writer
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startActorStage(b *testing.B, d *DB, src []apicall.Call, mode actorsMode) *actorStage {
	wcfg := DefaultWriterConfig() // FlushInterval 1s
	wcfg.WaitForInsert = false
	w, err := NewWriter(d, wcfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	acfg := actorstats.DefaultConfig()
	acfg.Lateness = 24 * time.Hour // the replayed calls repeat the same half hour: keep it open
	acfg.Template = func(c *apicall.Call) string { return c.Path }
	ctx, cancel := context.WithCancel(context.Background())
	a := &actorStage{w: w, cancel: cancel}
	a.done.Go(func() { _ = w.Run(ctx) })
	if mode == actorStageInline {
		if a.Sink, err = actorstats.New(acfg, w, nil, nil); err != nil {
			b.Fatal(err)
		}
		a.done.Go(func() { _ = a.Sink.Run(ctx) })
		return a
	}
	rows := &rowsOf{}
	counter, err := actorstats.New(acfg, rows, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := errors.Join(counter.Consume(b.Context(), src), counter.Close(b.Context())); err != nil {
		b.Fatal(err)
	}
	a.done.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for seq := uint64(1); ; seq++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for i := range rows.rows {
				rows.rows[i].Seq = seq
			}
			if err := w.ConsumeActors(ctx, rows.rows); err != nil && ctx.Err() == nil {
				b.Error(err)
			}
		}
	})
	return a
}

func (a *actorStage) close(ctx context.Context) error {
	a.cancel()
	a.done.Wait()
	var err error
	if a.Sink != nil {
		err = a.Sink.Close(ctx)
	}
	return errors.Join(err, a.w.Close(ctx))
}

// rowsOf keeps the actor rows written to it.
type rowsOf struct{ rows []report.ActorHour }

func (r *rowsOf) ConsumeActors(_ context.Context, rows []report.ActorHour) error {
	r.rows = append(r.rows, rows...)
	return nil
}

// simCalls are 20,000 calls of simulated traffic (seed 7, 2000 users,
// attacks included) as the agent hands them on: reassembled, actors
// extracted, secrets redacted. Built once.
var simCalls = sync.OnceValues(func() ([]apicall.Call, error) {
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Users, cfg.Duration, cfg.Rate, cfg.MaxCalls = 7, 2000, 30*time.Minute, 150, 20000
	return simcalls.Simulated(cfg, []byte("clickhouse-bench-key-0123456789"))
})

func simulatedCalls(tb testing.TB) []apicall.Call {
	calls, err := simCalls()
	if err != nil {
		tb.Fatal(err)
	}
	return calls
}

// BenchmarkCallColumns is the client-side cost of turning calls into
// column slices (no server): one op is one call.
func BenchmarkCallColumns(b *testing.B) {
	for _, tc := range []struct {
		name  string
		calls func(testing.TB) []apicall.Call
	}{
		{"small", func(testing.TB) []apicall.Call { return testCalls("cols", 1000) }},
		{"simulated", simulatedCalls},
	} {
		b.Run(tc.name, func(b *testing.B) {
			calls := tc.calls(b)[:1000]
			c := &callColumns{sample: 1024}
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += len(calls) {
				if c.len() >= 50000 {
					c.reset() // as the writer does after each insert
				}
				c.add(calls[:min(len(calls), b.N-done)])
			}
		})
	}
}
