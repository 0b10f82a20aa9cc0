package clickhouse

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

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
// with and without body samples (1 KiB at most), with the actor views on
// (the default) and, for the simulated calls, off; and the simulated calls
// without samples sent in the table's sorting key order (SortRows).
//
// The server is a private one (not the shared test server other test runs
// may be using), so its CPU time is this benchmark's alone: the insert and
// the merges it triggers while it runs.
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
		views  bool
		sorted bool // WriterConfig.SortRows
	}{
		{"small/no-bodies", func(testing.TB) []apicall.Call { return small }, 0, true, false},
		{"small/body-sample-1KiB", func(testing.TB) []apicall.Call { return small }, 1024, true, false},
		{"simulated/no-bodies", simulatedCalls, 0, true, false},
		{"simulated/body-sample-1KiB", simulatedCalls, 1024, true, false},
		{"simulated/no-bodies/no-actor-views", simulatedCalls, 0, false, false},
		{"simulated/body-sample-1KiB/no-actor-views", simulatedCalls, 1024, false, false},
		{"simulated/no-bodies/sorted", simulatedCalls, 0, true, true},
		{"simulated/no-bodies/no-actor-views/sorted", simulatedCalls, 0, false, true},
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
				if err := w.Consume(b.Context(), calls[:n]); err != nil {
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
