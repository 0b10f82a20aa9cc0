package discovery

import (
	"maps"
	"math"
	"slices"
	"strings"
)

// Mixed sets (session 7): a few sibling words merged into a parameter
// that traffic shows to be separate resources although they share some
// continuations. The closed-set and disjoint splits (volume.go) need every
// sub-path led to by one word; resource names of one API often share
// some (/v3/football/fixtures/{id} and /players/{id}; /flights/live/search
// and /flights/indicative/search), and their traffic still tells them
// apart: the values of one parameter are called on the same sub-paths in
// the same proportions (which tenant or user a call names does not change
// which operation it is), where each resource has its own mix of
// operations (/livescores/inplay, /fixtures/date/{date}; /live/search/poll
// while /indicative/search ends there). The parameter keeps, per value,
// how many calls took each continuation two segments deep (contStat), and
// a test of homogeneity over that table (the G statistic, Wilson–Hilferty
// z of its chi-square law, and Cramér's V for the size of the
// difference) decides, re-run as calls grow. A split gives each word its
// own node; a sub-tree several words led to is kept by the word that
// called it most and copied (structure only: no endpoint, no calls) for
// the others, two segments deep split by which word led where.

const (
	// maxConts is how many distinct continuations a value's statistics keep
	// (past it the value leads to too much to be told apart).
	maxConts = 8
	// mixedMinCalls is how many calls a parameter must have seen before
	// splitMixed looks, and mixedEvery how many more between two looks.
	mixedMinCalls = 64
	mixedEvery    = 4
	// mixedZ is the Wilson–Hilferty z of the G statistic a split needs
	// (z ≥ 5: a chance under 3·10⁻⁷ that values of one parameter show such
	// a difference), and mixedZero the expected calls of the continuations
	// a value never took that make the difference structural (e⁻⁵: under 1 %).
	mixedZ    = 5.0
	mixedZero = 5.0
)

// contStat counts the calls of one value that took one continuation: key
// is the next segment and the one after it, each a literal or "{}" for a
// parameter, "" for the end of the path ("search/poll", "{}/", "").
type contStat struct {
	key string
	n   int64
}

// contKey returns the continuation key of rest below parameter p: its
// first two segments, each its literal when the tree has it (or a plain
// word nothing else claims), else "{}".
func contKey(p *node, rest string) string {
	s1, rest := nextSeg(rest)
	if s1 == "" {
		return ""
	}
	var c *node
	k1 := s1
	if c = p.lits[s1]; c == nil {
		if Classify(s1) != Word || p.pchild != nil {
			k1, c = "{}", p.pchild
		}
	}
	s2, _ := nextSeg(rest)
	if s2 == "" {
		return k1 + "/"
	}
	k2 := s2
	if c == nil || c.lits[s2] == nil {
		if Classify(s2) != Word || c != nil && c.pchild != nil {
			k2 = "{}"
		}
	}
	return k1 + "/" + k2
}

// nextSeg splits the first non-empty segment off rest.
func nextSeg(rest string) (string, string) {
	for rest != "" && rest[0] == '/' {
		rest = rest[1:]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i], rest[i+1:]
	}
	return rest, ""
}

// mixedRule reports whether p is a word parameter whose continuations are
// kept (splitMixed, splitOff, splitLeaf): one made by the statistical rule
// or a lexical one, with every value known (and typed values beside, for
// splitLeaf).
func mixedRule(p *node) bool {
	return (p.kind == Word || p.kind == Mixed) && (p.rule == ruleNone || lexicalRule(p.rule) || p.rule == ruleNested) && p.values <= maxKnown && p.values == len(p.known)
}

// noteCont records one call through value v of p whose path continues
// with rest.
func noteCont(p *node, v, rest string) {
	if !mixedRule(p) || p.calls > mixedStop {
		return
	}
	i := slices.Index(p.known, v)
	if i < 0 {
		return
	}
	for len(p.vstats) < len(p.known) {
		p.vstats = append(p.vstats, valueStat{})
	}
	p.vstats[i].addCont(contKey(p, rest), 1)
}

// mixedStop is the calls past which a parameter's continuations are no
// longer recorded: the test has had its evidence by then.
const mixedStop = 4096

func (s *valueStat) addCont(k string, n int64) {
	for j := range s.conts {
		if s.conts[j].key == k {
			s.conts[j].n += n
			return
		}
	}
	if len(s.conts) == maxConts {
		s.contOver = true
		return
	}
	s.conts = append(s.conts, contStat{strings.Clone(k), n})
}

// noteMergedConts records, when literal src is merged into p as value i,
// the continuations its sub-tree shows.
func noteMergedConts(s *valueStat, src *node) {
	for _, e := range src.eps {
		s.addCont("", e.calls)
	}
	each := func(k1 string, c *node) {
		for _, e := range c.eps {
			s.addCont(k1+"/", e.calls)
		}
		for _, k2 := range litKeys(c) { // conts are bounded: which are kept must not depend on map order
			s.addCont(k1+"/"+k2, c.lits[k2].calls)
		}
		if c.pchild != nil {
			s.addCont(k1+"/{}", c.pchild.calls)
		}
	}
	for _, k := range litKeys(src) {
		each(k, src.lits[k])
	}
	if src.pchild != nil {
		each("{}", src.pchild)
	}
}

// mixedTest reports whether the values' continuation counts differ
// beyond chance (see the constants).
func mixedTest(vs []valueStat) bool {
	var buf [64]contStat // the columns: continuation and calls
	cols := buf[:0]
	var total float64
	rows := 0
	for _, s := range vs {
		var r int64
		for _, c := range s.conts {
			j := slices.IndexFunc(cols, func(x contStat) bool { return x.key == c.key })
			if j < 0 {
				if len(cols) == cap(buf) {
					return false
				}
				cols = append(cols, contStat{c.key, 0})
				j = len(cols) - 1
			}
			cols[j].n += c.n
			r += c.n
		}
		if r > 0 {
			rows++
		}
		total += float64(r)
	}
	if rows < 2 || len(cols) < 2 || total == 0 {
		return false
	}
	col := func(k string) float64 {
		j := slices.IndexFunc(cols, func(x contStat) bool { return x.key == k })
		return float64(cols[j].n)
	}
	var g float64
	for _, s := range vs {
		var r float64
		for _, c := range s.conts {
			r += float64(c.n)
		}
		for _, c := range s.conts {
			if c.n > 0 {
				o := float64(c.n)
				g += 2 * o * math.Log(o*total/(r*col(c.key)))
			}
		}
	}
	df := float64((rows - 1) * (len(cols) - 1))
	h := 2 / (9 * df)
	z := (math.Cbrt(g/df) - (1 - h)) / math.Sqrt(h)
	if z < mixedZ {
		return false
	}
	// A structural difference, not proportions alone: some value never
	// took continuations it would have taken mixedZero times in all were it
	// called as the others are (a chance of e⁻⁵ that it missed them all;
	// tenants that use the same operations in other proportions are values
	// of one parameter).
	for _, s := range vs {
		var r, missed float64
		for _, c := range s.conts {
			r += float64(c.n)
		}
		for _, cl := range cols {
			if !slices.ContainsFunc(s.conts, func(c contStat) bool { return c.key == cl.key }) {
				missed += r * float64(cl.n) / total
			}
		}
		if missed >= mixedZero {
			return true
		}
	}
	return false
}

// mixedDue is the common gate of splitMixed and splitOff: word parameter
// p is looked at from disjointCalls calls up to mixedStop, every
// mixedEvery calls (*at holds the next look and is moved on), when its
// words have their statistics and it is the plain parameter child of a
// literal. It returns that parent, or nil when p is not due.
func (t *tree) mixedDue(p *node, at *int64) *node {
	if t.frozen || !mixedRule(p) || p.calls < max(disjointCalls, *at) || p.calls > mixedStop {
		return nil
	}
	*at = p.calls + mixedEvery
	n := p.parent
	if len(p.vstats) != len(p.known) || n == nil || n.param || n.pchild != p {
		return nil
	}
	return n
}

// splitMixed turns word parameter p back into literals when traffic shows
// its words are resources with mixes of their own (see above): 2 to
// maxClosedValues words, mixedMinCalls calls, at most one call in 20 to a
// word seen once (the set stopped growing), and the test. It looks every
// mixedEvery calls and reports whether p was split.
func (t *tree) splitMixed(p *node) bool {
	n := t.mixedDue(p, &p.mixedAt)
	d := len(p.known)
	if n == nil || d < 2 || d > maxClosedValues {
		return false
	}
	var once, calls int64
	for i, s := range p.vstats {
		if s.contOver || n.lits[p.known[i]] != nil {
			return false
		}
		calls += s.calls
		var c int64
		for _, x := range s.conts {
			c += x.n
		}
		if c <= 1 {
			once++
		}
	}
	if collectionsBeforeIDs(p) || nestsOwnWord(p) && 2*pluralWords(p.known) > d {
		return t.splitShared(p)
	}
	if p.calls < mixedMinCalls || 20*once > p.calls || slices.ContainsFunc(p.known, valueWord) || !mixedTest(p.vstats) || !disjointDeep(p.vstats) && 2*pluralWords(p.known) <= d {
		return false
	}
	return t.splitShared(p)
}

// nestsOwnWord reports whether a plural word of p names a sub-collection
// of p's own instances: /api/1/{name}/{id}/datasets beside /api/1/datasets
// merged into {name}. Resources nest under each other by their names
// (/organizations/{id}/datasets, /datasets/{id}), a value of a parameter
// does not reappear as a collection below the parameter's instances, so
// the position holds collection names, not values (with plurals the
// most of its words).
func nestsOwnWord(p *node) bool {
	c := p.pchild
	if c == nil {
		return false
	}
	for _, w := range p.known {
		if x := c.lits[w]; x != nil && x.calls > 0 && pluralNoun(w) {
			return true
		}
	}
	return false
}

// valueWord reports whether w is shaped like a value, not a name: a digit,
// a file or domain name (valueShaped), or a code written without lower
// case (KJFK, SOL-USD). The lexical rules read such words as values on sight; the
// splits leave a parameter holding one alone (a monitor polling
// /stations/KNYC/observations while others read /stations/{id}).
func valueWord(w string) bool {
	if valueShaped(w) || upperCode(w) {
		return true
	}
	upper := 0
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= 'a' && c <= 'z':
			return false
		case c >= 'A' && c <= 'Z':
			upper++
		}
	}
	return upper >= 2 // written without lower case: a code (SOL-USD), as codeIDs reads ids
}

// collectionsBeforeIDs reports whether every word of p led straight to
// integer or UUID identifiers, and two or more of them to an operation on
// a set (search, count, batch): REST's /{collection}/{id} and
// /{collection}/search, resource names like the word collectionBeforeID
// reads alone (/marketing-solutions/ad-sets/{id}, ad-sets/search beside
// campaigns/{id}, campaigns/search), which a group rule merged on the
// sub-resource they share.
func collectionsBeforeIDs(p *node) bool {
	if p.pchild == nil || p.pchild.kind != Integer && p.pchild.kind != UUID {
		return false
	}
	ops := 0
	for _, s := range p.vstats {
		ids, op := false, false
		for _, c := range s.conts {
			k1, _, _ := strings.Cut(c.key, "/")
			ids = ids || k1 == "{}"
			op = op || collectionOps[k1]
		}
		if !ids {
			return false
		}
		if op {
			ops++
		}
	}
	return ops >= 2
}

// disjointDeep reports whether every continuation, two segments deep, was
// taken by one value only, each value seen disjointCalls times: the
// disjoint split (volume.go) one segment further (/flights/live/search/poll
// beside /flights/indicative/search, the end of the path there). The end
// of the path and a parameter below one same segment count as one
// continuation (a collection and its items).
func disjointDeep(vs []valueStat) bool {
	owner := map[string]int{}
	for i, s := range vs {
		var calls int64
		for _, c := range s.conts {
			calls += c.n
			// A list and its items agree: /realms/master/clients beside
			// /realms/acme/clients/{id} (a leaf agrees with every shape).
			k := strings.TrimSuffix(c.key, "{}")
			if j, ok := owner[k]; ok && j != i {
				return false
			}
			owner[k] = i
		}
		if calls < disjointCalls {
			return false
		}
	}
	return true
}

// pluralWords counts the words that read as collection names.
func pluralWords(ws []string) int {
	n := 0
	for _, w := range ws {
		if pluralNoun(w) {
			n++
		}
	}
	return n
}

// owners returns, for continuation prefix k1 (and k2 when not "-"), the
// calls each value took there.
func owners(vs []valueStat, k1, k2 string) []int64 {
	out := make([]int64, len(vs))
	for i, s := range vs {
		for _, c := range s.conts {
			a, b, _ := strings.Cut(c.key, "/")
			if a == k1 && (k2 == "-" || b == k2) {
				out[i] += c.n
			}
		}
	}
	return out
}

// top returns the index of the largest count, -1 when all are 0.
func top(xs []int64) int {
	j := -1
	for i, x := range xs {
		if x > 0 && (j < 0 || x > xs[j]) {
			j = i
		}
	}
	return j
}

// splitShared splits p into one literal per known word: each sub-tree of
// p goes to the word that called it most, and a copy of it to every
// other word that called it; two segments deep the children of a shared
// sub-tree go the same way.
func (t *tree) splitShared(p *node) bool {
	n := p.parent
	d := len(p.known)
	// Each child of p must have an owner: one the statistics never saw
	// (a call not recorded) makes the split unsafe.
	kids := map[string]*node{}
	for k, c := range p.lits {
		kids[k] = c
	}
	if p.pchild != nil {
		kids["{}"] = p.pchild
	}
	extra := 0
	for k, c := range kids {
		o := owners(p.vstats, k, "-")
		j := top(o)
		if j < 0 {
			return false
		}
		for i, x := range o {
			if x > 0 && i != j {
				extra += c.size()
			}
		}
	}
	if t.nodes+d+extra > t.cfg.MaxNodesPerHost {
		return false
	}
	lits := make([]*node, d)
	for i, v := range p.known {
		lits[i] = t.newLit(n, v)
		lits[i].calls = p.vstats[i].calls
	}
	for _, k := range slices.Sorted(maps.Keys(kids)) { // new nodes are indexed in this order (bounded)
		c := kids[k]
		o := owners(p.vstats, k, "-")
		j := top(o)
		copies := make([]*node, d) // the node of c for each word that called it
		for i, x := range o {
			switch {
			case i == j:
				copies[i] = c
				t.adopt(lits[i], k, c)
			case x > 0:
				copies[i] = t.cloneShallow(lits[i], k, c)
			}
		}
		// Two segments deep: c's children and endpoints go by who led there.
		sub := map[string]*node{}
		for k2, c2 := range c.lits {
			sub[k2] = c2
		}
		if c.pchild != nil {
			sub["{}"] = c.pchild
		}
		for _, k2 := range slices.Sorted(maps.Keys(sub)) {
			c2 := sub[k2]
			o2 := owners(p.vstats, k, k2)
			j2 := top(o2)
			if j2 < 0 || copies[j2] == nil {
				j2 = j
			}
			if j2 != j {
				t.detach(c, k2)
				t.adopt(copies[j2], k2, c2)
			}
			for i, x := range o2 {
				if x > 0 && i != j2 && copies[i] != nil {
					t.cloneDeep(copies[i], k2, c2)
				}
			}
		}
		if o2 := owners(p.vstats, k, ""); len(c.eps) > 0 {
			if j2 := top(o2); j2 >= 0 && j2 != j && copies[j2] != nil {
				for _, e := range c.eps {
					t.attach(copies[j2], e)
				}
				c.eps = nil
			}
		}
	}
	leafOwner := top(owners(p.vstats, "", "-"))
	if leafOwner < 0 {
		leafOwner = 0
	}
	for _, e := range p.eps {
		t.attach(lits[leafOwner], e)
	}
	n.pchild, n.promoted = nil, false
	n.closed = n.closed || p.rule == ruleNone
	t.nodes--
	t.splits++
	p.eps, p.lits, p.pchild, p.parent = nil, nil, nil, nil
	for _, l := range lits {
		t.retemplate(l)
	}
	return true
}

// size counts the nodes of n's sub-tree, n included.
func (n *node) size() int {
	s := 1
	for _, c := range n.lits {
		s += c.size()
	}
	if n.pchild != nil {
		s += n.pchild.size()
	}
	return s
}

// adopt makes c the child k of dst ("{}" for the parameter).
func (t *tree) adopt(dst *node, k string, c *node) {
	c.parent = dst
	c.depth = dst.depth + 1
	if k == "{}" && c.param {
		dst.pchild = c
		return
	}
	if dst.lits == nil {
		dst.lits = map[string]*node{}
	}
	dst.lits[k] = c
}

// detach removes child k from n.
func (t *tree) detach(n *node, k string) {
	if k == "{}" && n.pchild != nil {
		n.pchild = nil
		return
	}
	delete(n.lits, k)
}

// cloneShallow makes under dst a node like c (child k) with no children,
// endpoints or calls, and returns it.
func (t *tree) cloneShallow(dst *node, k string, c *node) *node {
	x := &node{key: c.key, param: c.param, kind: c.kind, name: c.name, rule: c.rule, confidence: c.confidence,
		promoted: c.promoted, closed: c.closed, named: c.named, values: c.values, typed: c.typed,
		known: slices.Clone(c.known), samples: slices.Clone(c.samples), prefixes: slices.Clone(c.prefixes), formats: slices.Clone(c.formats)}
	t.adopt(dst, k, x)
	t.nodes++
	if !x.param {
		t.index(x)
	}
	return x
}

// cloneDeep copies c's sub-tree (structure only) under dst as child k.
func (t *tree) cloneDeep(dst *node, k string, c *node) {
	x := t.cloneShallow(dst, k, c)
	for _, k2 := range litKeys(c) {
		t.cloneDeep(x, k2, c.lits[k2])
	}
	if c.pchild != nil {
		t.cloneDeep(x, "{}", c.pchild)
	}
}

// demoteLeafWords takes out of collection-slot parameter p, as literals,
// the single lower-case words (or operation names) that only ever ended
// there, when integer or UUID ids arrive at p's position: beside ids such
// a word is an operation of the collection (/matches/inplay beside
// /matches/{id}; besideIDs), as demoteLone reads a parameter of one
// value, whichever came first. Words with sub-paths of their own stay
// (their sub-trees are merged with the others'); when every value goes,
// so does p. It reports whether any word was taken out.
func (t *tree) demoteLeafWords(p *node) bool {
	return t.demoteLeaves(p, operationWord)
}

// operationWord reports whether w is a single lower-case word or an
// operation name: beside integer or UUID ids, an operation.
func operationWord(w string) bool { return plainLower(w) || operationName(w) }

// demoteLeaves is demoteLeafWords for the words op takes for operations.
func (t *tree) demoteLeaves(p *node, op func(string) bool) bool {
	return t.demoteLeavesBy(p, op, endedOnly)
}

// endedOnly reports whether the calls s counted all ended at the value.
func endedOnly(s valueStat) bool {
	return s.calls > 0 && s.leaf == s.calls && len(s.kids) == 0 && !s.overflow
}

// contCalls counts the calls of s's continuations.
func contCalls(s valueStat) int64 {
	var n int64
	for _, c := range s.conts {
		n += c.n
	}
	return n
}

// demoteLeavesBy is demoteLeaves with the test leaf of a value's
// statistics that it only ever ended there.
func (t *tree) demoteLeavesBy(p *node, op func(string) bool, leaf func(valueStat) bool) bool {
	if t.frozen || !p.param || p.kind != Word || p.rule != ruleCollectionSlot || p.values < 2 || p.values != len(p.known) || len(p.vstats) != len(p.known) {
		return false
	}
	n := p.parent
	if n == nil || n.promoted || n.pchild != p {
		return false
	}
	var out []int
	for i, w := range p.known {
		s := p.vstats[i]
		if op(w) && leaf(s) && n.lits[w] == nil {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return false
	}
	all := len(out) == len(p.known) && p.pchild == nil && len(p.lits) == 0
	if len(out) == len(p.known) && !all {
		return false
	}
	var most *node
	for j := len(out) - 1; j >= 0; j-- {
		i := out[j]
		w := p.known[i]
		l := t.newLit(n, w)
		l.calls = max(p.vstats[i].calls, contCalls(p.vstats[i]))
		if most == nil || l.calls > most.calls {
			most = l
		}
		p.known = slices.Delete(p.known, i, i+1)
		p.vstats = slices.Delete(p.vstats, i, i+1)
		p.samples = slices.DeleteFunc(p.samples, func(x string) bool { return x == w })
		p.values--
	}
	t.splits++
	if all {
		// Every value was such a word: the parameter goes, its endpoints
		// to the word called most (the others start afresh).
		for _, e := range p.eps {
			t.attach(most, e)
		}
		n.pchild = nil
		t.nodes--
		p.eps, p.parent = nil, nil
	}
	return true
}

// splitOff takes one word out of word parameter p, as a literal, when
// traffic shows it is a fixed sibling of the parameter, not one of its
// values: the other values (two or more) share their continuations, two
// segments deep, and this word never took any of them, nor they any of
// its own, over disjointCalls calls or more, beyond chance (mixedTest of
// the word against the others together): /bills/ocd-bill/{uuid} beside
// /bills/{jurisdiction}/{session}/{bill}. Calls that end at a value agree
// with every sub-path (an instance is read itself more often than its
// sub-resources), so they take no part. The literal keeps the sub-trees
// it alone led to (a copy of one it shared one segment deep, with its
// own children below), is marked apart so that no rule merges it back,
// and p keeps its other values. It looks with splitMixed and reports
// whether a word was taken out.
func (t *tree) splitOff(p *node) bool {
	n := t.mixedDue(p, &p.offAt)
	d := len(p.known)
	if n == nil || d < 3 {
		return false
	}
	// Per continuation: how many words took it, and the calls.
	type agg struct {
		key   string
		words int
		n     int64
	}
	var buf [64]agg
	aggs := buf[:0]
	for _, s := range p.vstats {
		if s.contOver {
			return false
		}
		for _, c := range s.conts {
			if c.key == "" {
				continue // a call ending at the value agrees with any sub-path (GET /users/alice beside /users/bob/repos)
			}
			j := slices.IndexFunc(aggs, func(a agg) bool { return a.key == c.key })
			if j < 0 {
				if len(aggs) == cap(buf) {
					return false
				}
				aggs = append(aggs, agg{key: c.key})
				j = len(aggs) - 1
			}
			aggs[j].words++
			aggs[j].n += c.n
		}
	}
	shared := false
	for _, a := range aggs {
		shared = shared || a.words >= 2
	}
	if !shared {
		return false // no two values agree: splitMixed's case, or too little seen
	}
	for i, s := range p.vstats {
		var calls int64
		own := true
		var mine valueStat
		for _, c := range s.conts {
			if c.key == "" {
				continue
			}
			calls += c.n
			j := slices.IndexFunc(aggs, func(a agg) bool { return a.key == c.key })
			own = own && aggs[j].words == 1
			mine.conts = append(mine.conts, c)
		}
		if !own || calls < disjointCalls || n.lits[p.known[i]] != nil || valueWord(p.known[i]) {
			continue
		}
		var rest valueStat
		for _, a := range aggs {
			if !slices.ContainsFunc(s.conts, func(c contStat) bool { return c.key == a.key }) {
				rest.conts = append(rest.conts, contStat{a.key, a.n})
			}
		}
		if !mixedTest([]valueStat{mine, rest}) {
			continue
		}
		return t.takeOut(p, i)
	}
	return false
}

// takeOut makes value i of p a literal beside it (splitOff): the
// sub-trees only it led to move to the literal, one it shared one segment
// deep is copied with the children only it led to moved below the copy,
// and the endpoints where only it ended go with it.
func (t *tree) takeOut(p *node, i int) bool {
	n := p.parent
	s := p.vstats[i]
	others := func(k1, k2 string) int64 {
		var x int64
		for j, o := range p.vstats {
			if j == i {
				continue
			}
			for _, c := range o.conts {
				a, b, _ := strings.Cut(c.key, "/")
				if a == k1 && (k2 == "-" || b == k2) {
					x += c.n
				}
			}
		}
		return x
	}
	mine := func(k1, k2 string) int64 {
		var x int64
		for _, c := range s.conts {
			a, b, _ := strings.Cut(c.key, "/")
			if a == k1 && (k2 == "-" || b == k2) {
				x += c.n
			}
		}
		return x
	}
	kids := map[string]*node{}
	for k, c := range p.lits {
		kids[k] = c
	}
	if p.pchild != nil {
		kids["{}"] = p.pchild
	}
	extra := 1 // the literal, and the copies of what it shared
	for k, c := range kids {
		if mine(k, "-") > 0 && others(k, "-") > 0 {
			extra += c.size()
		}
	}
	if t.nodes+extra > t.cfg.MaxNodesPerHost {
		return false
	}
	w := p.known[i]
	l := t.newLit(n, w)
	l.calls, l.apart = s.calls, true
	for _, k := range slices.Sorted(maps.Keys(kids)) { // new nodes are indexed in this order (bounded)
		c := kids[k]
		if mine(k, "-") == 0 {
			continue
		}
		if others(k, "-") == 0 {
			t.detach(p, k)
			t.adopt(l, k, c)
			continue
		}
		x := t.cloneShallow(l, k, c)
		sub := map[string]*node{}
		for k2, c2 := range c.lits {
			sub[k2] = c2
		}
		if c.pchild != nil {
			sub["{}"] = c.pchild
		}
		for _, k2 := range slices.Sorted(maps.Keys(sub)) {
			c2 := sub[k2]
			switch {
			case mine(k, k2) == 0:
			case others(k, k2) == 0:
				t.detach(c, k2)
				t.adopt(x, k2, c2)
			default:
				t.cloneDeep(x, k2, c2)
			}
		}
		if mine(k, "") > 0 && others(k, "") == 0 {
			for _, e := range c.eps {
				t.attach(x, e)
			}
			c.eps = nil
		}
	}
	if mine("", "-") > 0 && others("", "-") == 0 {
		for _, e := range p.eps {
			t.attach(l, e)
		}
		p.eps = nil
	}
	t.dropKnown(p, i, l)
	return true
}

// dropKnown removes p's i-th known value, split off as literal l beside p,
// with its statistics and samples.
func (t *tree) dropKnown(p *node, i int, l *node) {
	w := p.known[i]
	p.known = slices.Delete(p.known, i, i+1)
	p.vstats = slices.Delete(p.vstats, i, i+1)
	p.samples = slices.DeleteFunc(p.samples, func(x string) bool { return x == w })
	p.values--
	t.retemplate(l)
	t.splits++
}

// maxSigs bounds the sub-paths deepTenants reads below one word, and
// maxDeepScan the words it compares.
const (
	maxSigs     = 32
	maxDeepScan = 16
	// deepShared is how many sub-paths with a literal two words must share.
	deepShared = 2
)

// deepTenants merges into a parameter the words below n, where resource
// names live (the root, an API prefix, a version), that are tenants of one
// API by what lies below them: each leads to a parameter, and below it
// two words share deepShared sub-paths or more that hold a literal, up to
// four segments deep (/{service}/{owner}/repos/{repo}/totals for github,
// gitlab and bitbucket; /{org}/{model}/resolve/{revision} for every
// organisation of a model hub). The tenant rule (volume.go) reads literal
// sub-resources right below the words; a tenant whose first segment below
// is an instance shows its API one level further. Resource words, plurals
// (collection names: /electricity-meter-points/{id}/meters beside
// /gas-meter-points/{id}/meters), reserved words, API prefixes and lookups
// take no part, as there, nor, below a version or an API prefix, a word
// made of English words: resources of a big API share deep sub-paths
// (Jira's /rest/api/3/issuetypescheme/{id}/project and
// workflowscheme/{id}/project; session 13). It runs on every
// 16th call through a word of n, when the tree changed since its last
// look, and reports whether any word was merged.
func (t *tree) deepTenants(n *node) bool {
	if n.param || n.promoted || n.deepAt == t.nodes || !(n.parent == nil || namespaceWord(n.key) || versionLit(n)) || len(n.lits) < 2 {
		return false
	}
	n.deepAt = t.nodes // the same tree gives the same answer: look again once it grew or shrank
	type cand struct {
		w    *node
		sigs []string
	}
	var cands []cand
	for _, k := range litKeys(n) {
		c := n.lits[k]
		if len(cands) == maxDeepScan {
			break
		}
		if c.pchild == nil || c.apart || Classify(k) != Word || resourceWord(k) || pluralNoun(k) || namespaceWord(k) || reservedLiterals[k] || lookupField(k) || systemName(k) || caseApart(n, k) || n.parent != nil && madeOfWords(k) {
			continue
		}
		var sigs []string
		walkSubPaths(c, 4, func(_ *node, pre []byte, lit bool, depth int) bool {
			if len(sigs) == maxSigs {
				return false
			}
			if lit && depth > 1 {
				sigs = append(sigs, string(pre))
			}
			return true
		})
		if len(sigs) >= deepShared {
			cands = append(cands, cand{c, sigs})
		}
	}
	var words []*node
	for i, a := range cands {
		for j, b := range cands {
			if i == j {
				continue
			}
			if sharedCount(a.sigs, b.sigs) >= deepShared {
				words = append(words, a.w)
				break
			}
		}
	}
	return t.promoteTenants(n, words)
}

// sharedCount is how many of a's sub-path signatures b holds too.
func sharedCount(a, b []string) int {
	n := 0
	for _, x := range a {
		if slices.Contains(b, x) {
			n++
		}
	}
	return n
}

// promoteTenants makes words, two or more, the values of one tenant
// parameter at n, taken in key order so arrival order does not matter.
func (t *tree) promoteTenants(n *node, words []*node) bool {
	if len(words) < 2 {
		return false
	}
	slices.SortFunc(words, func(a, b *node) int { return strings.Compare(a.key, b.key) })
	return t.promoteInstances(n, words, ruleTenant)
}

// walkSubPaths calls visit on x and the nodes below it down to maxDepth
// segments, with the sub-path from x (a parameter written {}), whether a
// word segment lies on the way, and the depth; a node for which visit
// returns false is not descended. The sub-path is built in one buffer
// that visit must not keep: it copies the paths it keeps (string(pre)).
func walkSubPaths(x *node, maxDepth int, visit func(x *node, pre []byte, lit bool, depth int) bool) {
	var arr [64]byte
	buf := arr[:0]
	var walk func(x *node, lit bool, depth int)
	walk = func(x *node, lit bool, depth int) {
		if depth > maxDepth || !visit(x, buf, lit, depth) {
			return
		}
		n := len(buf)
		for _, k := range litKeys(x) { // key order: callers keep a bounded few sub-paths
			c := x.lits[k]
			buf = append(append(buf[:n], '/'), k...)
			walk(c, lit || c.facts()&kfWord != 0, depth+1) // c's key is k (TestLiteralKeys)
		}
		if x.pchild != nil {
			buf = append(buf[:n], "/{}"...)
			walk(x.pchild, lit, depth+1)
		}
		buf = buf[:n]
	}
	walk(x, false, 0)
}
