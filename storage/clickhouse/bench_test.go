package clickhouse

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/apitap/apitap/internal/chtest"
)

// BenchmarkInsertCalls measures calls inserted per second into the local
// server through the Writer (batches of 50,000 rows, columnar appends,
// native protocol), with and without 1 KiB body samples. One op is one call.
func BenchmarkInsertCalls(b *testing.B) {
	srv := chtest.Shared(b)
	for _, tc := range []struct {
		name   string
		sample int
		body   int
	}{{"no-bodies", 0, 0}, {"body-sample-1KiB", 1024, 2500}} {
		b.Run(tc.name, func(b *testing.B) {
			db := srv.Database(b)
			o, err := ParseDSN(srv.DSN(db))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Migrate(b.Context(), o, DefaultMigrateConfig(), nil); err != nil {
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
			cfg.FlushInterval = time.Minute // batches by size only
			w, err := NewWriter(d, cfg, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			const chunk = 1000
			calls := testCalls("bench", chunk)
			body := bytes.Repeat([]byte(`{"id":12345,"email":"a@b.test","items":[1,2,3]},`), tc.body/48+1)[:tc.body]
			for i := range calls {
				calls[i].RespBody.Data = body
				calls[i].RespBody.Length = int64(len(body))
			}
			b.ResetTimer()
			start := time.Now()
			srvCPU, cliCPU := srv.CPUTime(), processCPU()
			for done := 0; done < b.N; done += chunk {
				n := min(chunk, b.N-done)
				for i := range n {
					calls[i].ID = fmt.Sprintf("bench-%09d", done+i) // distinct ids, as real calls have
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
			b.ReportMetric(float64((processCPU()-cliCPU).Microseconds())/float64(b.N), "client-cpu-µs/row")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCallColumns is the client-side cost of turning calls into
// column slices (no server): one op is one call.
func BenchmarkCallColumns(b *testing.B) {
	calls := testCalls("cols", 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += len(calls) {
		c := &callColumns{sample: 1024}
		c.add(calls[:min(len(calls), b.N-done)])
	}
}
