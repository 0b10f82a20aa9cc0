package discovery

import (
	"math"
	"slices"
	"strings"
)

// Recurrence (session 9, precision round on traffic): where the calls of
// each value of a word parameter go, against where the other values' go.

// constantRelease is how many calls a parameter of release numbers must
// have seen, every one with one same number and a path going on below it,
// for demoteRelease to read that number as the API's version.
const constantRelease = 16

// recurState is what the recurrence rules keep on a parameter, allocated
// when one of them first needs it.
type recurState struct {
	leafAt  int64        // p.calls at which splitLeaf looks again
	tstat   *valueStat   // on a word parameter that holds typed values too, their continuations
	release *releaseStat // on a parameter of release numbers, the one number it holds (demoteRelease)
}

// recur returns p's recurrence state, allocating it.
func (p *node) recur() *recurState {
	if p.rec == nil {
		p.rec = &recurState{}
	}
	return p.rec
}

// tstat returns the typed values' continuations of p, nil when none.
func (p *node) tstat() *valueStat {
	if p.rec == nil {
		return nil
	}
	return p.rec.tstat
}

// releaseStat is, on a parameter whose values are release numbers, the
// first number it saw, how many calls carried it and went on below, and
// whether another number came.
type releaseStat struct {
	first  string
	calls  int
	varied bool
}

// releaseNumber reports whether s is a release number with a dot (1.0,
// 2.1, 1.0.0, v2.10.3).
func releaseNumber(s string) bool {
	return releaseVersion(s) || strings.IndexByte(s, '.') > 0 && isVersion(s)
}

// demoteRelease notes that a call passed through typed parameter p with
// value seg and more path after it, and turns p into the literal seg when
// that is the constantRelease-th such call and every one carried seg: a
// release number that never changes, with sub-resources below it, after a
// collection that names no releases, is the version of the API below it
// (/catalog/1.0.0/search and /catalog/1.0.0/collections/{id}/items), not a
// value: a package's releases vary with the package, and a release that
// is one (/manifests/7.2, /releases/v2.1) follows a tag or release noun.
// A release number other than the one it took, arriving later, returns
// the literal to p. It reports whether the tree changed.
func (t *tree) demoteRelease(p *node, seg string, more bool) bool {
	n := p.parent
	if t.frozen || n == nil || n.param || n.pchild != p || p.typed != 1<<Token || len(p.known) != 0 {
		return false
	}
	release := releaseNumber(seg)
	if !release && (p.rec == nil || p.rec.release == nil) {
		return false // no release number now or before: the common token, without the look-ups below
	}
	if tagNouns[n.key] || releaseNouns[n.key] {
		return false
	}
	if release {
		for _, k := range litKeys(n) {
			if l := n.lits[k]; l.named && k != seg && releaseNumber(k) {
				// Another release came: the number taken for the version
				// was a value after all.
				delete(n.lits, k)
				t.merge(p, l)
				p.recur().release = &releaseStat{varied: true}
				return true
			}
		}
	}
	if p.rec == nil || p.rec.release == nil {
		if !release || p.calls > 1 {
			return false // a release seen from p's first call only
		}
		p.recur().release = &releaseStat{first: strings.Clone(seg)}
	}
	s := p.rec.release
	if s.varied || seg != s.first || !more {
		s.varied = true
		return false
	}
	if s.calls++; s.calls < constantRelease || n.lits[seg] != nil || len(p.eps) != 0 {
		return false
	}
	n.pchild = nil
	p.param, p.key, p.name, p.kind, p.typed, p.rec = false, s.first, "", Word, 0, nil
	p.prefixes, p.formats, p.named = nil, nil, true
	if n.lits == nil {
		n.lits = make(map[string]*node, 4)
	}
	n.lits[p.key] = p
	t.index(p)
	t.retemplate(p)
	return true
}

// leafLogOdds is -ln of the chance splitLeaf accepts that a value of a
// parameter, called as the other values are, never led below it: e⁻¹⁰,
// under 5·10⁻⁵ (the look is repeated as calls grow, over up to maxKnown
// values).
const leafLogOdds = 10.0

// belowCalls is how many calls a word must have taken, all below it, for
// ownBelow.
const belowCalls = 4

// noteTyped records one call through a typed value of parameter p (an
// integer, UUID or token beside the words p holds) whose path continues
// with rest: the typed values' continuations, as one row, for splitLeaf.
func noteTyped(p *node, rest string) {
	if p.kind != Mixed || len(p.known) == 0 || !mixedRule(p) || p.calls > mixedStop {
		return
	}
	r := p.recur()
	if r.tstat == nil {
		r.tstat = &valueStat{}
	}
	r.tstat.addCont(contKey(p, rest), 1)
}

// seedTyped starts the typed values' row of parameter p, when a word
// joins its typed values, with the calls they had: those that ended at p
// and those that went on below it.
func seedTyped(p *node) {
	if p.tstat() != nil || p.typed == 0 || p.calls > mixedStop {
		return
	}
	r := p.recur()
	r.tstat = &valueStat{}
	noteMergedConts(r.tstat, p)
}

// splitLeaf takes one word out of parameter p, as a literal, when traffic
// shows it is an operation or collection beside the parameter, not one of
// its values: every call of it ends at it, disjointCalls or more, while
// two or more other values (the typed values count as two) lead
// to sub-paths below the parameter, so often that a value called as they
// are would have been led below at least once with a chance of e⁻¹⁰ or
// less: /coins/markets called over and over beside /coins/{id} whose
// coins are also read as /coins/{id}/market_chart; /cards/named beside
// /cards/{uuid}/rulings and /cards/{set}/{number}. Which value a call
// names does not change which operation it is, so the values of one
// parameter are called on the same sub-paths in the same proportions; a
// word that never leads below while the others do, many times over, is an
// endpoint of its own. splitOff leaves such words alone (it reads
// sub-paths only: an instance is read itself more often than its
// sub-resources, which this test allows for, as it compares shares). It
// looks with splitMixed and reports whether a word was taken out.
func (t *tree) splitLeaf(p *node) bool {
	if t.frozen || !mixedRule(p) || p.calls < disjointCalls || p.calls > mixedStop {
		return false // mixedDue's gate, before the state is allocated
	}
	n := t.mixedDue(p, &p.recur().leafAt)
	if n == nil || t.nodes >= t.cfg.MaxNodesPerHost {
		return false
	}
	if i := caseOutlier(p); i >= 0 {
		return t.takeOut(p, i)
	}
	// A closed set of words is splitMixed's to judge first, with the
	// whole table of continuations (it judges no typed values).
	ts := p.tstat()
	if len(p.known)+2*btoi(ts != nil) < 3 || p.kind == Word && len(p.known) <= maxClosedValues && p.calls < mixedMinCalls {
		return false
	}
	for i, s := range p.vstats {
		var leaf int64
		below := s.contOver
		for _, c := range s.conts {
			if c.key == "" {
				leaf += c.n
			} else {
				below = true
			}
		}
		w := p.known[i]
		if below && leaf == 0 && t.ownBelow(p, i, ts) {
			return t.takeOut(p, i)
		}
		if below || leaf < disjointCalls || n.lits[w] != nil || valueWord(w) || sharesPart(w, p.known) {
			continue
		}
		var all, down int64
		goers := 0
		count := func(o valueStat, weight int) {
			went := false
			for _, c := range o.conts {
				all += c.n
				if c.key != "" {
					down += c.n
					went = true
				}
			}
			goers += weight * btoi(went)
		}
		for j, o := range p.vstats {
			if j != i {
				count(o, 1)
			}
		}
		if ts != nil {
			count(*ts, 2) // typed values, many of them
		}
		// (1-q)^leaf, q the share of the others' calls that led below
		// (estimated with one more call either way: a share seen as 1 in
		// a few calls is not taken for certain).
		if goers < 2 || all < disjointCalls || float64(leaf)*-math.Log(float64(all-down+1)/float64(all+2)) < leafLogOdds {
			continue
		}
		t.takeLeaf(p, i, leaf, all-down)
		return true
	}
	return false
}

// caseOutlier returns the index of the one lower-case word among the
// values of p that are otherwise codes written without lower case, three
// or more (/obs/geo/recent beside /obs/US-CA/recent, /obs/MX/recent), once
// that word was called disjointCalls times, or -1. The values of one
// parameter share a case (see besideIDs); a word of the API's own case
// among them, called over and over, is a name the lexical rules took for
// a value before the codes arrived. The word's sub-paths must be shared
// with another word or its own: takeOut moves what only it led to, and
// the typed values' sub-paths are not in its table.
func caseOutlier(p *node) int {
	out, codes := -1, 0
	for i, w := range p.known {
		switch {
		case capsCode(w):
			codes++
		case plainLower(w) && out < 0:
			out = i
		default:
			return -1
		}
	}
	if out < 0 || codes < 3 || p.vstats[out].contOver {
		return -1
	}
	var calls int64
	for _, c := range p.vstats[out].conts {
		calls += c.n
		k1, _, _ := strings.Cut(c.key, "/")
		if c.key == "" || p.tstat() == nil || !slices.ContainsFunc(p.tstat().conts, func(x contStat) bool { return strings.HasPrefix(x.key, k1+"/") }) {
			continue
		}
		shared := false
		for j, s := range p.vstats {
			shared = shared || j != out && slices.ContainsFunc(s.conts, func(x contStat) bool { return strings.HasPrefix(x.key, k1+"/") })
		}
		if !shared {
			return -1
		}
	}
	if calls < disjointCalls || valueWord(p.known[out]) {
		return -1
	}
	return out
}

// capsCode reports whether w is a code written without lower case, with
// a letter: US, US-CA, AU-NSW, A320, EUR_USD.
func capsCode(w string) bool {
	letter := false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return letter
}

// ownBelow reports whether every call of word i of p went on below it, to
// sub-paths (first segment) no other value of p took, belowCalls times or
// more, while the other values' calls ended at them so often that a value
// called as they are would have ended at it once with a chance of e⁻¹⁰ or
// less: /labels/rush_printer/{id} beside /labels/{id} read alone. The
// mirror of the leaf test; takeOut moves the word's own sub-paths with it.
func (t *tree) ownBelow(p *node, i int, ts *valueStat) bool {
	s := p.vstats[i]
	w := p.known[i]
	if s.contOver || p.parent.lits[w] != nil || valueWord(w) || sharesPart(w, p.known) {
		return false
	}
	var mine int64
	for _, c := range s.conts {
		mine += c.n
	}
	if mine < belowCalls {
		return false
	}
	var all, down int64
	others := 0
	count := func(o valueStat) bool {
		for _, c := range o.conts {
			all += c.n
			if c.key == "" {
				continue
			}
			down += c.n
			k1, _, _ := strings.Cut(c.key, "/")
			if c.n > 1 && slices.ContainsFunc(s.conts, func(x contStat) bool { return strings.HasPrefix(x.key, k1+"/") }) {
				// A sub-path of its own only (a call the tree read before
				// the sub-path's literal existed may count once under {}).
				return false
			}
		}
		return !o.contOver
	}
	for j, o := range p.vstats {
		if j != i {
			if !count(o) {
				return false
			}
			others++
		}
	}
	if ts != nil {
		if !count(*ts) {
			return false
		}
		others += 2
	}
	// q^mine, q the share of the others' calls that went on below.
	return others >= 2 && all >= disjointCalls && float64(mine)*-math.Log(float64(down+1)/float64(all+2)) >= leafLogOdds
}

// takeLeaf makes word i of p, whose calls (leaf) all ended at it, a
// literal beside p that no rule merges back; the endpoints at p go with it
// when no other value's call ended there (othersLeaf).
func (t *tree) takeLeaf(p *node, i int, leaf, othersLeaf int64) {
	w := p.known[i]
	l := t.newLit(p.parent, w)
	l.calls, l.apart = max(p.vstats[i].calls, leaf), true
	if othersLeaf == 0 {
		for _, e := range p.eps {
			t.attach(l, e)
		}
		p.eps = nil
	}
	t.dropKnown(p, i, l)
}

// sharesPart reports whether compound w shares a part of three letters or
// more with another of the words ws (alpha-squad and echo-squad,
// usd-coin and bitcoin-coin): values of one parameter are often named
// alike, names of an API's operations seldom after its instances.
func sharesPart(w string, ws []string) bool {
	found := false
	wordParts(w, func(a string) bool {
		if len(a) < 3 || len(a) == len(w) {
			return true
		}
		for _, o := range ws {
			if o == w {
				continue
			}
			wordParts(o, func(b string) bool {
				found = found || strings.EqualFold(a, b)
				return !found
			})
			if found {
				return false
			}
		}
		return true
	})
	return found
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
