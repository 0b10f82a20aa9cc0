package discovery

import (
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/simulate"
)

// BenchmarkObserve is the endpoint stage on simulated calls, in memory:
// templating, spec matching, the per-endpoint profile and sampled body
// inspection. calls/s is per core (run with GOMAXPROCS=1).
func BenchmarkObserve(b *testing.B) {
	sim := simulated(b)
	for _, withSpec := range []bool{true, false} {
		name := "spec"
		var specs *Specs
		if withSpec {
			specs = loadSpec(b, filepath.Join(sim.dir, simulate.SpecFile))
		} else {
			name = "nospec"
		}
		b.Run(name, func(b *testing.B) {
			inv, err := New(DefaultConfig(), specs)
			if err != nil {
				b.Fatal(err)
			}
			observeLoop(b, inv, sim.calls)
		})
	}
}

// word spells n in letters, so the templater sees a plain word.
func word(n int) string {
	b := []byte{}
	for {
		b = append(b, byte('a'+n%26))
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}

// BenchmarkMemoryPerEndpoint reports the heap held per endpoint template
// for an inventory of 20,000 learned endpoints (5,000 services with four
// resources each), each seen by 20 calls from
// 10 actors with a query string and several status codes. The resources
// are collection nouns: made-up words ("resa", "resb") with ids below
// read as instance names to the alignment rule, as /express/4.18.2 does.
// Each service names its resources its own way (/svcabz/ordersab): 5,000
// root words sharing the same four sub-resources are tenants of one API
// (volume.go), which would make the 20,000 endpoints four; the z keeps a
// service name from reading as a plural (svcs) whose children are values.
var benchResources = [4]string{"orders", "users", "items", "invoices"}

func BenchmarkMemoryPerEndpoint(b *testing.B) {
	const endpoints, perEndpoint = 20000, 20
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cfg := DefaultConfig()
		cfg.MaxNodesPerHost = 100000 // the default (20,000) would fold part of them on purpose
		inv, err := New(cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := range endpoints * perEndpoint {
			e := i % endpoints
			c := apicall.Call{Host: "api.example", Method: "GET", Status: 200 + (i%3)*100,
				Path:     "/svc" + word(e/4) + "z/" + benchResources[e%4] + word(e/4) + "/" + strconv.Itoa(1000+i),
				RawQuery: "page=2&limit=20", ReqStart: int64(i)}
			c.Actor.User = "user-" + strconv.Itoa(i%10)
			inv.Observe(&c)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := inv.Stats().Endpoints
		if n != endpoints {
			b.Fatalf("%d endpoints, want %d", n, endpoints)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/endpoint")
		runtime.KeepAlive(inv)
	}
}

// BenchmarkObserveCorpus is the endpoint stage on the URLs of both
// templating corpora (56 public APIs, one host each), repeated: the
// plain-word rules on the hot path once the templates are learned.
func BenchmarkObserveCorpus(b *testing.B) {
	var calls []apicall.Call
	for _, f := range []string{"testdata/templating_corpus.txt", "testdata/templating_heldout.txt"} {
		for _, l := range readCorpusFile(b, f) {
			calls = append(calls, apicall.Call{Host: l.api + ".example", Method: l.method, Path: l.path, Status: 200, ReqStart: 1})
		}
	}
	inv, err := New(DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range calls {
		inv.Observe(&calls[i])
	}
	observeLoop(b, inv, calls)
}

// observeLoop observes calls round-robin for b.N calls and reports calls
// per CPU-second: the machine is shared, so CPU time of the process, not
// wall time, tells what one core sustains.
func observeLoop(b *testing.B, inv *Inventory, calls []apicall.Call) {
	b.ReportAllocs()
	i := 0
	cpu0 := cputime.Process()
	for b.Loop() {
		inv.Observe(&calls[i])
		if i++; i == len(calls) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/(cputime.Process()-cpu0).Seconds(), "calls/cpu-s")
}

// BenchmarkObserveChurn is the endpoint stage on paths of new shapes
// (random words, ids, names and package files, one to seven segments):
// every call may grow the tree and re-apply the plain-word rules, the
// worst case for the templater. One op is 200,000 calls into a fresh
// inventory.
func BenchmarkObserveChurn(b *testing.B) {
	paths := churnPaths(200000)
	calls := make([]apicall.Call, len(paths))
	for i, p := range paths {
		calls[i] = apicall.Call{Host: "churn.example", Method: "GET", Path: p, Status: 200}
	}
	b.ReportAllocs()
	cpu0 := cputime.Process()
	for b.Loop() {
		inv, err := New(DefaultConfig(), nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := range calls {
			inv.Observe(&calls[i])
		}
	}
	b.ReportMetric(float64(b.N*len(calls))/(cputime.Process()-cpu0).Seconds(), "calls/cpu-s")
}

// churnPaths makes n paths of random shapes from a fixed seed.
func churnPaths(n int) []string {
	words := strings.Fields("users orders default admin guest web api redis postgres items _find _search _doc data metadata " +
		"service job tags latest v1 v2 1.0 2.1 app lib quokka FishStew Tasks Acme-Labs lastBuild my-app foo-bar")
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	var b strings.Builder
	for i := range out {
		b.Reset()
		for range 1 + r.IntN(7) {
			b.WriteByte('/')
			switch x := r.IntN(10); {
			case x < 6:
				b.WriteString(words[r.IntN(len(words))])
			case x < 7:
				b.WriteString(strconv.Itoa(r.IntN(100000)))
			case x < 8:
				b.WriteString("w" + strconv.FormatInt(int64(r.IntN(1<<20)), 16))
			case x < 9:
				b.WriteString("pkg" + strconv.Itoa(r.IntN(50)) + "-" + strconv.Itoa(r.IntN(5)) + "." + strconv.Itoa(r.IntN(5)) + ".jar")
			default:
				b.WriteString("name-" + strconv.Itoa(r.IntN(3000)))
			}
		}
		out[i] = b.String()
	}
	return out
}
