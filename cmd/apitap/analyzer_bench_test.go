package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/chtest"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/internal/simcalls"
	"github.com/apitap/apitap/simulate"
	"github.com/apitap/apitap/storage/kafka"
)

// benchCalls are 20,000 calls of simulated traffic (seed 7, 2000 users,
// attacks included) as the agent hands them on. Built once.
var benchCalls = sync.OnceValues(func() ([]apicall.Call, error) {
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Users, cfg.Duration, cfg.Rate, cfg.MaxCalls = 7, 2000, 30*time.Minute, 150, 20000
	return simcalls.Simulated(cfg, []byte("analyzer-bench-key-0123456789ab"))
})

// BenchmarkAnalyzerService is the analyzer service end to end with its
// default flags: `apitap analyzer --kafka ... --clickhouse ...` reads a
// topic (kfake, in this process, 4 partitions) that holds n simulated
// calls, runs the stages and writes to the shared test ClickHouse; one op
// is one whole run, from start until every call is in the calls table.
// Reported: calls/s (wall), this process's CPU per call (analyzer and
// broker) and the ClickHouse server's.
func BenchmarkAnalyzerService(b *testing.B) {
	base, err := benchCalls()
	if err != nil {
		b.Fatal(err)
	}
	srv := chtest.Shared(b)
	for _, n := range []int{20000, 100000} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, kafka.DefaultTopic))
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			brokers := strings.Join(cl.ListenAddrs(), ",")
			produceBenchCalls(b, cl.ListenAddrs(), base, n)
			var wall time.Duration
			var cpu, serverCPU time.Duration
			b.ResetTimer()
			for i := range b.N {
				db := srv.Database(b)
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				cpu0, scpu0, start := cputime.Process(), srv.CPUTime(), time.Now()
				go func() {
					app := newApp()
					app.Writer, app.ErrWriter = &strings.Builder{}, &strings.Builder{}
					done <- app.RunContext(ctx, []string{"apitap", "--log-level", "error", "analyzer", "--kafka", brokers,
						"--group", fmt.Sprintf("bench-%d-%d", n, i), "--sink", "null", "--metrics-addr", "", "--clickhouse", srv.DSN(db)})
				}()
				stored := func() bool {
					return srv.Count(b, "SELECT count() FROM system.tables WHERE database = '"+db+"' AND name = 'calls'") > 0 &&
						srv.Count(b, "SELECT count() FROM "+db+".calls") >= uint64(n)
				}
				for !stored() {
					select {
					case err := <-done:
						b.Fatalf("analyzer exited early: %v", err)
					case <-time.After(20 * time.Millisecond):
					}
				}
				wall += time.Since(start)
				cpu += cputime.Process() - cpu0
				serverCPU += srv.CPUTime() - scpu0
				cancel()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
			calls := float64(n) * float64(b.N)
			b.ReportMetric(calls/wall.Seconds(), "calls/s")
			b.ReportMetric(float64(cpu.Microseconds())/calls, "cpu-µs/call")
			b.ReportMetric(float64(serverCPU.Microseconds())/calls, "server-cpu-µs/call")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// produceBenchCalls writes n calls (base repeated, with fresh ids) to the topic.
func produceBenchCalls(b *testing.B, brokers []string, base []apicall.Call, n int) {
	b.Helper()
	cfg := kafka.DefaultProducerConfig()
	cfg.Brokers, cfg.Node = brokers, "bench"
	cfg.BufferBytes = 1 << 30 // hold the whole topic: nothing shed
	p, err := kafka.NewProducer(cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	batch := make([]apicall.Call, 0, 500)
	for i := range n {
		c := base[i%len(base)]
		c.ID = fmt.Sprintf("%s-%d", c.ID, i/len(base))
		batch = append(batch, c)
		if len(batch) == cap(batch) || i == n-1 {
			if err := p.Consume(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
	defer ccancel()
	if err := p.Close(cctx); err != nil {
		b.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if st := p.Stats(); st.Delivered != uint64(n) {
		b.Fatalf("producer delivered %d of %d calls (shed %v)", st.Delivered, n, st.Shed)
	}
}
