package detect_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/internal/simcalls"
	"github.com/apitap/apitap/simulate"
)

// simCalls is the default simulation (2h, 200 users, attacks) as paired,
// redacted calls in capture order, built once.
var simCalls = sync.OnceValues(func() ([]apicall.Call, error) {
	return simcalls.Simulated(simulate.DefaultConfig(), []byte("bench-key-0123456789"))
})

func simulatedCalls(tb testing.TB) []apicall.Call {
	calls, err := simCalls()
	if err != nil {
		tb.Fatal(err)
	}
	return calls
}

// BenchmarkPipeline: actor + endpoint stages + dedup over the simulated
// calls in memory, one goroutine. Reported in calls/s of wall time and of
// CPU time (calls/cpu-s, the per-core figure on a busy machine).
func BenchmarkPipeline(b *testing.B) {
	calls := simulatedCalls(b)
	var out []report.Finding
	n := 0
	b.ReportAllocs()
	cpu0 := cputime.Process()
	for b.Loop() {
		p, err := detect.NewPipeline(detect.DefaultConfig(), nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := range calls {
			out = p.Observe(&calls[i], out[:0])
		}
		n += len(calls)
	}
	cpu := cputime.Process() - cpu0
	b.StopTimer()
	// State memory per active actor: the heap the stages hold after one
	// pass, over the actors they track (endpoints and findings included).
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	p, _ := detect.NewPipeline(detect.DefaultConfig(), nil)
	for i := range calls {
		out = p.Observe(&calls[i], out[:0])
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(p.Stats().Actors), "state-B/actor")
	runtime.KeepAlive(p)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), "calls/cpu-s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/call")
}

// BenchmarkStages splits the pipeline's cost between the stages.
func BenchmarkStages(b *testing.B) {
	calls := simulatedCalls(b)
	obs := make([]detect.Observation, len(calls))
	for _, stage := range []string{"actor", "endpoint"} {
		b.Run(stage, func(b *testing.B) {
			n := 0
			var hits []detect.Hit
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				a, _ := detect.NewActorStage(detect.DefaultConfig())
				e, _ := detect.NewEndpointStage(detect.DefaultConfig())
				for i := range calls {
					obs[i] = detect.Observation{Call: &calls[i]}
					detect.FallbackTemplater(&calls[i], &obs[i])
				}
				if stage == "endpoint" {
					for i := range obs {
						hits = a.Observe(&obs[i], hits[:0])
					}
				}
				b.StartTimer()
				c0 := cputime.Process()
				for i := range obs {
					if stage == "actor" {
						hits = a.Observe(&obs[i], hits[:0])
					} else {
						hits = e.Observe(&obs[i], hits[:0])
					}
				}
				cpu += cputime.Process() - c0
				n += len(calls)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
			b.ReportMetric(float64(n)/cpu.Seconds(), "calls/cpu-s")
		})
	}
}
