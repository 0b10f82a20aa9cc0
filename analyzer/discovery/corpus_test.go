package discovery

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

type corpusLine struct {
	api, method, path, want string
}

// The corpora: the one the plain-word rules were written beside, a
// held-out one of other public APIs, written before the rules of the
// issue 5 follow-up changed, a fresh one of 20 more APIs written and
// measured before the second recall round changed any rule, and a blind
// one of 43 more APIs written from their docs without sight of the
// templater and scored before the fourth round (over-merging) changed
// any rule. All four have been in view while rules were written since.
const (
	corpusFile  = "testdata/templating_corpus.txt"
	heldoutFile = "testdata/templating_heldout.txt"
	freshFile   = "testdata/templating_fresh.txt"
	blindFile   = "testdata/templating_blind.txt"
	blind2File  = "testdata/templating_blind2.txt"
	blind3File  = "testdata/templating_blind3.txt"
	blind4File  = "testdata/templating_blind4.txt"
	blind5File  = "testdata/templating_blind5.txt"
	blind6File  = "testdata/templating_blind6.txt"
	blind7File  = "testdata/templating_blind7.txt"
	blind8File  = "testdata/templating_blind8.txt"
	blind9File  = "testdata/templating_blind9.txt"
	blind10File = "testdata/templating_blind10.txt"
	blind11File = "testdata/templating_blind11.txt"
	blind12File = "testdata/templating_blind12.txt"
	blind13File = "testdata/templating_blind13.txt"
	blind14File = "testdata/templating_blind14.txt"
	blind15File = "testdata/templating_blind15.txt"
	blind16File = "testdata/templating_blind16.txt"
	blind17File = "testdata/templating_blind17.txt"
)

func readCorpusFile(t testing.TB, name string) []corpusLine {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 4 {
			t.Fatalf("%s: line %q: want 4 tab-separated fields", name, line)
		}
		out = append(out, corpusLine{p[0], p[1], p[2], p[3]})
	}
	return out
}

// paramSegments marks which segments of a template are parameters.
func paramSegments(tmpl string) []bool {
	var out []bool
	for _, s := range strings.Split(strings.Trim(tmpl, "/"), "/") {
		if s != "" {
			out = append(out, strings.Contains(s, "{"))
		}
	}
	return out
}

// corpusScore is how templating did on a corpus: precision and recall of
// "this segment is a parameter", overall and by value kind.
type corpusScore struct {
	urls, apis                       int
	tp, fp, fn, exact                int
	typedTP, typedFN, wordTP, wordFN int
	misses                           []string
	// Endpoints: distinct expected (API, method, template), the distinct
	// templates the inventory gave the same URLs, and the expected ones
	// whose URLs all got exactly their template (parameter names aside).
	endpoints, templates, endpointsExact int
}

// generic writes every parameter segment of a template as "{}".
func generic(tmpl string) string {
	segs := strings.Split(tmpl, "/")
	for i, s := range segs {
		if strings.Contains(s, "{") {
			segs[i] = "{}"
		}
	}
	return strings.TrimSuffix(strings.Join(segs, "/"), "/")
}

func (s corpusScore) precision() float64   { return ratio(s.tp, s.tp+s.fp) }
func (s corpusScore) recall() float64      { return ratio(s.tp, s.tp+s.fn) }
func (s corpusScore) typedRecall() float64 { return ratio(s.typedTP, s.typedTP+s.typedFN) }
func (s corpusScore) wordRecall() float64  { return ratio(s.wordTP, s.wordTP+s.wordFN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// scoreCorpus feeds each API's URLs to its own inventory (no spec), in
// file order, and scores the templates against the expected ones. A URL
// whose template has another segment count (an empty template: the
// inventory cannot find a path it observed) is an error.
func scoreCorpus(t *testing.T, lines []corpusLine) corpusScore {
	t.Helper()
	invs := map[string]*Inventory{}
	var s corpusScore
	for _, l := range lines {
		inv := invs[l.api]
		if inv == nil {
			var err error
			if inv, err = New(DefaultConfig(), nil); err != nil {
				t.Fatal(err)
			}
			invs[l.api] = inv
		}
		c := apicall.Call{Host: l.api + ".example", Method: l.method, Path: l.path, Status: 200, ReqStart: 1}
		inv.Observe(&c)
	}
	s.urls, s.apis = len(lines), len(invs)
	wrong := map[string]bool{} // expected endpoint → some URL of it got another template
	made := map[string]bool{}
	for _, l := range lines {
		got := invs[l.api].Template(l.api+".example", l.method, l.path)
		ep := l.api + " " + l.method + " " + generic(l.want)
		made[l.api+" "+l.method+" "+generic(got)] = true
		if generic(got) != generic(l.want) {
			wrong[ep] = true
		} else if !wrong[ep] {
			wrong[ep] = false
		}
		g, w := paramSegments(got), paramSegments(l.want)
		if len(g) != len(w) {
			t.Errorf("%s %s %s: template %q has %d segments, want %q", l.api, l.method, l.path, got, len(g), l.want)
			s.fn += count(w)
			continue
		}
		ok := true
		segs := strings.Split(strings.Trim(l.path, "/"), "/")
		for i := range w {
			typed := i < len(segs) && Classify(segs[i]) != Word
			switch {
			case w[i] && typed && g[i]:
				s.typedTP++
			case w[i] && typed:
				s.typedFN++
			case w[i] && g[i]:
				s.wordTP++
			case w[i]:
				s.wordFN++
			}
			switch {
			case g[i] && w[i]:
				s.tp++
			case g[i]:
				s.fp++
				ok = false
			case w[i]:
				s.fn++
				ok = false
			}
		}
		if ok {
			s.exact++
		} else {
			s.misses = append(s.misses, fmt.Sprintf("%-16s %s → %s, want %s", l.api, l.path, got, l.want))
		}
	}
	s.endpoints, s.templates = len(wrong), len(made)
	for _, w := range wrong {
		if !w {
			s.endpointsExact++
		}
	}
	return s
}

// TestTemplatingCorpus scores templating on both corpora: precision and
// recall of "this segment is a parameter", and exact templates.
func TestTemplatingCorpus(t *testing.T) {
	for _, c := range []struct {
		name, file      string
		minURLs, minAPI int
		minTyped        float64
		minPrecision    float64
		reportOnly      bool // scores are logged, not asserted
	}{
		// Each corpus's first score, misses and history: testdata/SCORES.md
		// (a blind or leave-out round does not open it).
		{"corpus", corpusFile, 200, 20, 0.98, 0.98, false},
		{"heldout", heldoutFile, 150, 15, 0.98, 0.98, false},
		{"fresh", freshFile, 150, 15, 0.98, 0.98, false},
		{"blind", blindFile, 400, 40, 0.98, 0.98, false},
		{"blind2", blind2File, 300, 30, 0.98, 0.97, false},
		{"blind3", blind3File, 250, 25, 0.98, 0.97, false},
		{"blind4", blind4File, 250, 25, 0, 0, true},
		{"blind5", blind5File, 250, 25, 0, 0, true},
		{"blind6", blind6File, 250, 25, 0, 0, true},
		{"blind7", blind7File, 250, 25, 0, 0, true},
		{"blind8", blind8File, 250, 25, 0, 0, true},
		{"blind9", blind9File, 250, 25, 0, 0, true},
		{"blind10", blind10File, 250, 25, 0, 0, true},
		{"blind11", blind11File, 250, 25, 0, 0, true},
		{"blind12", blind12File, 250, 25, 0, 0, true},
		{"blind13", blind13File, 250, 25, 0, 0, true},
		{"blind14", blind14File, 250, 25, 0, 0, true},
		{"blind15", blind15File, 250, 25, 0, 0, true},
		{"blind16", blind16File, 250, 25, 0, 0, true},
		{"blind17", blind17File, 250, 25, 0, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := scoreCorpus(t, readCorpusFile(t, c.file))
			logScore(t, c.name, s)
			// Over-merging is the failure that hides endpoints, and typed
			// values need no statistics: both must hold. Plain-word
			// parameters seen with one or two values cannot always be told
			// from resource names; their recall is reported, not asserted.
			if c.reportOnly {
				return
			}
			if s.precision() < c.minPrecision {
				t.Errorf("precision %.3f, want at least %.3f", s.precision(), c.minPrecision)
			}
			if s.typedRecall() < c.minTyped {
				t.Errorf("recall on typed values %.3f, want at least %.2f", s.typedRecall(), c.minTyped)
			}
			if s.urls < c.minURLs || s.apis < c.minAPI {
				t.Errorf("%s has %d URLs across %d APIs, want at least %d across %d", c.file, s.urls, s.apis, c.minURLs, c.minAPI)
			}
		})
	}
}

// logScore logs a corpus's misses and figures.
func logScore(t *testing.T, name string, s corpusScore) {
	t.Helper()
	for _, m := range s.misses {
		t.Logf("miss: %s", m)
	}
	t.Logf("%s: %d URLs, %d APIs; parameter segments: precision %.3f, recall %.3f (tp %d, fp %d, fn %d); exact templates %d/%d (%.3f)",
		name, s.urls, s.apis, s.precision(), s.recall(), s.tp, s.fp, s.fn, s.exact, s.urls, ratio(s.exact, s.urls))
	t.Logf("recall by value kind: typed values (ids, uuids, hashes, tokens, dates, emails) %.3f (%d/%d); plain words (slugs, names) %.3f (%d/%d)",
		s.typedRecall(), s.typedTP, s.typedTP+s.typedFN, s.wordRecall(), s.wordTP, s.wordTP+s.wordFN)
	t.Logf("endpoints: %d expected, %d templates made (ratio %.3f), %d expected endpoints with every URL templated exactly (%.3f)",
		s.endpoints, s.templates, ratio(s.templates, s.endpoints), s.endpointsExact, ratio(s.endpointsExact, s.endpoints))
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// TestCorpusOrderIndependence feeds each API's URLs in reverse order and
// in five random orders and expects the same templates.
func TestCorpusOrderIndependence(t *testing.T) {
	for _, file := range []string{corpusFile, heldoutFile, freshFile, blindFile, blind2File, blind3File} {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(file, "testdata/templating_"), ".txt"), func(t *testing.T) {
			orderIndependence(t, readCorpusFile(t, file))
		})
	}
}

// TestBlind3OrderReport feeds blind3 in reverse and in five random orders
// and logs how many URLs get another template than in file order, and how
// many of 200 more shuffles change at least one URL, by API. Report
// only: on 2026-11-24 main already gave 26 URLs (NYT, Riot, TfL) another
// template in reverse order (the same with and without session 5's
// structural rules; 18 since the version fix, TestVersionNotShared, 15
// since the lookup fix, TestLookupNeverAligns), and 191 of 200 shuffles
// changed at least one URL (188, then 176). After the precision round
// (s5-prec): none in reverse, none of 200 shuffles, so blind3 is in
// TestCorpusOrderIndependence too; this report stays for the 200.
func TestBlind3OrderReport(t *testing.T) {
	lines := readCorpusFile(t, blind3File)
	base := runCorpus(lines)
	diff := func(ls []corpusLine) int {
		n := 0
		for k, v := range runCorpus(ls) {
			if base[k] != v {
				n++
			}
		}
		return n
	}
	rev := slices.Clone(lines)
	slices.Reverse(rev)
	t.Logf("blind3, reverse order: %d of %d URLs get another template than in file order", diff(rev), len(lines))
	for seed := range uint64(5) {
		ls := slices.Clone(lines)
		r := rand.New(rand.NewPCG(seed, 7))
		r.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		t.Logf("blind3, shuffle %d: %d of %d URLs get another template than in file order", seed, diff(ls), len(lines))
	}
	n := 200
	if testing.Short() {
		n = 20
	}
	changed, apis := 0, map[string]int{}
	for seed := range uint64(n) {
		ls := slices.Clone(lines)
		r := rand.New(rand.NewPCG(seed, 7))
		r.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		seen := map[string]bool{}
		for k, v := range runCorpus(ls) {
			if api := strings.Fields(k)[0]; base[k] != v && !seen[api] {
				seen[api] = true
				apis[api]++
			}
		}
		if len(seen) > 0 {
			changed++
		}
	}
	t.Logf("blind3, %d shuffles: %d change at least one URL; shuffles by API: %v", n, changed, apis)
}

// runCorpus feeds each API's lines, in the order given, to its own
// inventory and returns the template of every line.
func runCorpus(ls []corpusLine) map[string]string {
	invs := map[string]*Inventory{}
	for _, l := range ls {
		if invs[l.api] == nil {
			invs[l.api], _ = New(DefaultConfig(), nil)
		}
		invs[l.api].Observe(&apicall.Call{Host: l.api, Method: l.method, Path: l.path})
	}
	out := map[string]string{}
	for _, l := range ls {
		out[l.api+" "+l.method+" "+l.path] = invs[l.api].Template(l.api, l.method, l.path)
	}
	return out
}

// TestHeldoutManyShuffles feeds the held-out corpus in 200 more random
// orders (a rule that decides at arrival showed in a few of hundreds:
// Jenkins' release-pipeline, 2026-11-24).
func TestHeldoutManyShuffles(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 20
	}
	shuffles(t, readCorpusFile(t, heldoutFile), n, 13)
}

func orderIndependence(t *testing.T, lines []corpusLine) {
	base := runCorpus(lines)
	rev := slices.Clone(lines)
	slices.Reverse(rev)
	for k, v := range runCorpus(rev) {
		if base[k] != v {
			t.Errorf("reverse order: %s → %s, in file order %s", k, v, base[k])
		}
	}
	shuffles(t, lines, 5, 7)
}

// shuffles feeds lines in n random orders (stream s) and expects the
// templates of file order.
func shuffles(t *testing.T, lines []corpusLine, n int, s uint64) {
	base := runCorpus(lines)
	for seed := range uint64(n) {
		ls := slices.Clone(lines)
		r := rand.New(rand.NewPCG(seed, s))
		r.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		diff := 0
		for k, v := range runCorpus(ls) {
			if base[k] != v {
				if diff++; diff <= 3 {
					t.Logf("shuffle %d: %s → %s, in file order %s", seed, k, v, base[k])
				}
			}
		}
		if diff > 0 {
			t.Errorf("shuffle %d: %d of %d URLs get another template than in file order", seed, diff, len(lines))
		}
	}
}
