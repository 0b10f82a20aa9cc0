package discovery

import (
	"bufio"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Traffic corpora: where the URL corpora hold one to a few URLs per
// endpoint, as a documentation page shows them, a traffic corpus holds
// what a few minutes of a real client population would send: popular
// endpoints often, rare ones once or twice, each parameter taking values
// from a pool of realistic ones, a few of them often and most rarely. It
// is how the templater meets traffic, where the cardinality of a position
// is evidence.
//
// A spec (testdata/traffic_*.spec) is written from each API's docs:
//
//	api NAME CALLS              an API; CALLS URLs are generated for it
//	src TEXT                    where its templates come from (free text)
//	ep WEIGHT METHOD TEMPLATE   an endpoint as documented: {name} marks a
//	                            parameter; WEIGHT its share of the calls
//	val NAME V1 V2 ...          the pool of {NAME} for this API (several
//	                            val lines for one name add to its pool)
//
// '#' starts a comment line. The expected template writes every segment
// that holds a parameter as "{}". The generator is fixed: endpoints are
// drawn by weight, each parameter's value from its pool with probability
// ∝ 1/(rank+1) (pool order as written), from a random stream seeded by
// the API name, so a spec always gives the same URLs.
type trafficEndpoint struct {
	weight   float64
	method   string
	template string
}

type trafficAPI struct {
	name  string
	calls int
	eps   []trafficEndpoint
	pools map[string][]string
}

func readTrafficSpec(t testing.TB, file string) []trafficAPI {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var apis []trafficAPI
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		bad := func(why string) { t.Fatalf("%s:%d: %s: %q", file, n, why, line) }
		if fs[0] != "api" && len(apis) == 0 {
			bad("before the first api line")
		}
		switch fs[0] {
		case "api":
			if len(fs) != 3 {
				bad("want: api NAME CALLS")
			}
			c, err := strconv.Atoi(fs[2])
			if err != nil || c <= 0 {
				bad("CALLS must be a positive integer")
			}
			if names[fs[1]] {
				bad("API named twice")
			}
			names[fs[1]] = true
			apis = append(apis, trafficAPI{name: fs[1], calls: c, pools: map[string][]string{}})
		case "src":
		case "ep":
			if len(fs) != 4 {
				bad("want: ep WEIGHT METHOD TEMPLATE")
			}
			w, err := strconv.ParseFloat(fs[1], 64)
			if err != nil || w <= 0 || math.IsInf(w, 0) {
				bad("WEIGHT must be a positive number")
			}
			if !strings.HasPrefix(fs[3], "/") {
				bad("TEMPLATE must start with /")
			}
			a := &apis[len(apis)-1]
			a.eps = append(a.eps, trafficEndpoint{w, fs[2], fs[3]})
		case "val":
			if len(fs) < 3 {
				bad("want: val NAME V1 V2 ...")
			}
			a := &apis[len(apis)-1]
			a.pools[fs[1]] = append(a.pools[fs[1]], fs[2:]...)
		default:
			bad("unknown keyword")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, a := range apis {
		if len(a.eps) == 0 {
			t.Fatalf("%s: API %s has no endpoints", file, a.name)
		}
		for _, e := range a.eps {
			for _, p := range templateParams(e.template) {
				if len(a.pools[p]) == 0 {
					t.Fatalf("%s: API %s: %s %s: no values for {%s}", file, a.name, e.method, e.template, p)
				}
			}
		}
	}
	return apis
}

// trafficLines generates the URLs of a spec with their expected templates.
func trafficLines(t testing.TB, file string) []corpusLine {
	t.Helper()
	var out []corpusLine
	for _, a := range readTrafficSpec(t, file) {
		drawTraffic(a, func(e trafficEndpoint, path, want string) {
			out = append(out, corpusLine{a.name, e.method, path, want})
		})
	}
	return out
}

// drawTraffic generates an API's calls in order: for each, the endpoint
// drawn, the path filled with values and the expected template.
func drawTraffic(a trafficAPI, emit func(e trafficEndpoint, path, want string)) {
	h := fnv.New64a()
	h.Write([]byte(a.name))
	r := rand.New(rand.NewPCG(h.Sum64(), 1))
	var total float64
	for _, e := range a.eps {
		total += e.weight
	}
	cum := map[string][]float64{} // pool → cumulative 1/(rank+1)
	for name, vs := range a.pools {
		c := make([]float64, len(vs))
		s := 0.0
		for i := range vs {
			s += 1 / float64(i+1)
			c[i] = s
		}
		cum[name] = c
	}
	pick := func(name string) string {
		c := cum[name]
		x := r.Float64() * c[len(c)-1]
		for i, v := range c {
			if x < v {
				return a.pools[name][i]
			}
		}
		return a.pools[name][len(c)-1]
	}
	for range a.calls {
		x := r.Float64() * total
		e := a.eps[len(a.eps)-1]
		for _, ep := range a.eps {
			if x < ep.weight {
				e = ep
				break
			}
			x -= ep.weight
		}
		segs := strings.Split(e.template, "/")
		want := make([]string, len(segs))
		for i, s := range segs {
			want[i] = s
			for strings.Contains(s, "{") {
				want[i] = "{}"
				open := strings.IndexByte(s, '{')
				end := strings.IndexByte(s[open:], '}')
				if end < 0 {
					break
				}
				s = s[:open] + pick(s[open+1:open+end]) + s[open+end+1:]
			}
			segs[i] = s
		}
		emit(e, strings.Join(segs, "/"), strings.Join(want, "/"))
	}
}

func TestTrafficGenerator(t *testing.T) {
	spec := "testdata/traffic_example.spec"
	lines := trafficLines(t, spec)
	if len(lines) != 200 {
		t.Fatalf("%d lines, want 200", len(lines))
	}
	again := trafficLines(t, spec)
	values := map[string]int{}
	eps := map[string]int{}
	for i, l := range lines {
		if l != again[i] {
			t.Fatalf("line %d differs between two runs: %v, %v", i, l, again[i])
		}
		eps[l.method+" "+l.want]++
		if strings.HasPrefix(l.want, "/users/{}") {
			values[strings.Split(l.path, "/")[2]]++
		}
		if strings.Contains(l.path, "{") || strings.Count(l.path, "/") != strings.Count(l.want, "/") {
			t.Errorf("line %v: path not filled or segments differ", l)
		}
	}
	// Weights 6:3:1 over 100 calls of the first API.
	if n := eps["GET /users/{}"]; n < 45 || n > 75 {
		t.Errorf("GET /users/{} drawn %d times of 100, want about 60", n)
	}
	// The first value of a pool is drawn most, and most values are drawn.
	if values["alice"] <= values["zoe"] || len(values) < 10 {
		t.Errorf("value draws %v: want alice most and at least 10 distinct", values)
	}
	if eps["GET /users/me"] == 0 || eps["GET /orders/{}/items/{}"] == 0 {
		t.Errorf("endpoints drawn: %v", eps)
	}
}

// TestTemplatingTraffic scores templating on the traffic corpora, each
// API fed to its own inventory in generated order (report-only: the
// figures are logged).
func TestTemplatingTraffic(t *testing.T) {
	for _, c := range []struct{ name, file string }{
		// Each corpus's first score, misses and history: testdata/SCORES.md
		// (a blind or leave-out round does not open it).
		{"dev", "testdata/traffic_dev.spec"},
		{"traffica", "testdata/traffic_a.spec"},
		{"trafficb", "testdata/traffic_b.spec"},
		{"trafficc", "testdata/traffic_c.spec"},
		{"trafficd", "testdata/traffic_d.spec"},
		{"traffice", "testdata/traffic_e.spec"},
		{"trafficf", "testdata/traffic_f.spec"},
		{"trafficg", "testdata/traffic_g.spec"},
		{"traffich", "testdata/traffic_h.spec"},
		{"traffici", "testdata/traffic_i.spec"},
		{"trafficj", "testdata/traffic_j.spec"},
		{"traffick", "testdata/traffic_k.spec"},
		{"trafficl", "testdata/traffic_l.spec"},
		{"trafficm", "testdata/traffic_m.spec"},
		{"trafficn", "testdata/traffic_n.spec"},
		{"traffico", "testdata/traffic_o.spec"},
		{"trafficp", "testdata/traffic_p.spec"},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := trafficLines(t, c.file)
			logScore(t, c.name, scoreCorpus(t, lines))
			// How the figures grow with traffic: each API's first calls.
			for _, f := range []float64{0.1, 0.25, 0.5} {
				s := scoreCorpus(t, trafficPrefix(lines, f))
				t.Logf("%s, first %.0f%% of each API's calls (%d URLs): precision %.3f, recall %.3f, exact %.3f, endpoints exact %.3f, templates/endpoints %.3f",
					c.name, 100*f, s.urls, s.precision(), s.recall(), ratio(s.exact, s.urls), ratio(s.endpointsExact, s.endpoints), ratio(s.templates, s.endpoints))
			}
		})
	}
}

// trafficPrefix keeps the first fraction f of each API's lines.
func trafficPrefix(lines []corpusLine, f float64) []corpusLine {
	total := map[string]int{}
	for _, l := range lines {
		total[l.api]++
	}
	seen := map[string]int{}
	var out []corpusLine
	for _, l := range lines {
		if seen[l.api] < int(math.Ceil(f*float64(total[l.api]))) {
			seen[l.api]++
			out = append(out, l)
		}
	}
	return out
}
