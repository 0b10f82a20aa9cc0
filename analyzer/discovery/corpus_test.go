package discovery

import (
	"bufio"
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

func readCorpus(t *testing.T) []corpusLine {
	f, err := os.Open("testdata/templating_corpus.txt")
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
			t.Fatalf("corpus line %q: want 4 tab-separated fields", line)
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

// TestTemplatingCorpus feeds each API's URLs to its own inventory (no
// spec) and scores the templates against the expected ones: precision
// and recall of "this segment is a parameter", and exact templates.
func TestTemplatingCorpus(t *testing.T) {
	lines := readCorpus(t)
	invs := map[string]*Inventory{}
	apis := map[string]bool{}
	for _, l := range lines {
		apis[l.api] = true
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
	var tp, fp, fn, exact int
	var typedTP, typedFN, wordTP, wordFN int
	for _, l := range lines {
		got := invs[l.api].Template(l.api+".example", l.method, l.path)
		g, w := paramSegments(got), paramSegments(l.want)
		if len(g) != len(w) {
			t.Errorf("%s %s %s: template %q has %d segments, want %q", l.api, l.method, l.path, got, len(g), l.want)
			fn += count(w)
			continue
		}
		ok := true
		segs := strings.Split(strings.Trim(l.path, "/"), "/")
		for i := range w {
			typed := i < len(segs) && Classify(segs[i]) != Word
			switch {
			case w[i] && typed && g[i]:
				typedTP++
			case w[i] && typed:
				typedFN++
			case w[i] && g[i]:
				wordTP++
			case w[i]:
				wordFN++
			}
			switch {
			case g[i] && w[i]:
				tp++
			case g[i]:
				fp++
				ok = false
			case w[i]:
				fn++
				ok = false
			}
		}
		if ok {
			exact++
		} else {
			t.Logf("miss: %-16s %s → %s, want %s", l.api, l.path, got, l.want)
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("corpus: %d URLs, %d APIs; parameter segments: precision %.3f, recall %.3f (tp %d, fp %d, fn %d); exact templates %d/%d (%.3f)",
		len(lines), len(apis), precision, recall, tp, fp, fn, exact, len(lines), float64(exact)/float64(len(lines)))
	typedRecall := float64(typedTP) / float64(typedTP+typedFN)
	t.Logf("recall by value kind: typed values (ids, uuids, hashes, tokens, dates, emails) %.3f (%d/%d); plain words (slugs, names) %.3f (%d/%d)",
		typedRecall, typedTP, typedTP+typedFN, float64(wordTP)/float64(wordTP+wordFN), wordTP, wordTP+wordFN)
	// Over-merging is the failure that hides endpoints, and typed values
	// need no statistics: both must hold. Plain-word parameters seen with
	// two or three values cannot be told from resource names; their recall
	// is reported, not asserted.
	if precision < 0.98 {
		t.Errorf("precision %.3f, want at least 0.98", precision)
	}
	if typedRecall < 0.98 {
		t.Errorf("recall on typed values %.3f, want at least 0.98", typedRecall)
	}
	if len(lines) < 200 || len(apis) < 20 {
		t.Errorf("corpus has %d URLs across %d APIs, want at least 200 across 20", len(lines), len(apis))
	}
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
	lines := readCorpus(t)
	run := func(ls []corpusLine) map[string]string {
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
	base := run(lines)
	rev := slices.Clone(lines)
	slices.Reverse(rev)
	for k, v := range run(rev) {
		if base[k] != v {
			t.Errorf("reverse order: %s → %s, in file order %s", k, v, base[k])
		}
	}
	for seed := range uint64(5) {
		ls := slices.Clone(lines)
		r := rand.New(rand.NewPCG(seed, 7))
		r.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		diff := 0
		for k, v := range run(ls) {
			if base[k] != v {
				diff++
			}
		}
		if diff > 0 {
			t.Errorf("shuffle %d: %d of %d URLs get another template than in file order", seed, diff, len(lines))
		}
	}
}
