package actorstats

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/internal/simcalls"
	"github.com/apitap/apitap/simulate"
)

// simCalls are the 20,000 simulated calls of storage/clickhouse's
// BenchmarkInsertCalls (seed 7, 2000 users): the same input.
var simCalls = sync.OnceValues(func() ([]apicall.Call, error) {
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Users, cfg.Duration, cfg.Rate, cfg.MaxCalls = 7, 2000, 30*time.Minute, 150, 20000
	return simcalls.Simulated(cfg, []byte("clickhouse-bench-key-0123456789"))
})

type discard struct{ rows int }

func (d *discard) ConsumeActors(_ context.Context, rows []report.ActorHour) error {
	d.rows += len(rows)
	return nil
}

// BenchmarkActorStats is what the analyzer spends per call on the
// actor-hour rows (Consume, and a Flush of the changed actor-hours every
// 100,000 calls, about every third of a second at 300k calls/s): the
// simulated calls replayed with fresh ids, batches of 1,000. One op is
// one call. The store is a no-op (its cost is BenchmarkInsertCalls').
func BenchmarkActorStats(b *testing.B) {
	src, err := simCalls()
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 1<<20) // distinct ids, built outside the timing
	for i := range ids {
		ids[i] = "bench-" + strconv.Itoa(i)
	}
	out := &discard{}
	cfg := DefaultConfig()
	cfg.Lateness = 24 * time.Hour // the replay repeats the same half hour
	s, err := New(cfg, out, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 1000
	calls := make([]apicall.Call, chunk)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		for i := range n {
			calls[i] = src[(done+i)%len(src)]
			calls[i].ID = ids[(done+i)%len(ids)]
		}
		if err := s.Consume(b.Context(), calls[:n]); err != nil {
			b.Fatal(err)
		}
		if (done+n)%100000 < chunk {
			if err := s.Flush(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Close(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/call")
	b.ReportMetric(float64(out.rows)/float64(b.N)*1e3, "rows/1k-calls")
}
