package discovery

import (
	"slices"
	"strings"
)

// Rules that read traffic volume (session 6, traffic A round). A URL
// corpus shows an endpoint once or twice; traffic shows it hundreds of
// times, and how often each value comes back is evidence the words alone
// do not give: a segment that keeps one value over many calls is a name
// of the API, not a parameter's value.

// releaseVersion reports whether s is a three-part release number, with
// or without a leading v (v1.0.0, 1.0.0, v2.10.3): isVersion reads one
// dot only, since after a package or a collection such a number is a
// release (/express/4.18.2). Right after the root or an API prefix
// (/api/v1.0.0/teams) it is the API's version (see classifyAt).
func releaseVersion(s string) bool {
	i := 0
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		i = 1
	}
	for part := 0; part < 3; part++ {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j || i-j > 3 {
			return false
		}
		if part < 2 {
			if i == len(s) || s[i] != '.' {
				return false
			}
			i++
		}
	}
	return i == len(s)
}

// versionAt reports whether seg, below parent, is the API's version
// written as a release (v1.0.0 after the root or a namespace word such as
// api or rest): classifyAt's hook.
func versionAt(parent *node, seg string) bool {
	return releaseVersion(seg) && !parent.param && (parent.parent == nil || namespaceWord(parent.key) || apiCompound(parent))
}

// apiCompound reports whether literal n, right under the root, is a
// compound that ends in an API word (/propertyapi/v1.0.0, /partner-api,
// /WebAPI; a stem of three letters at least, so /capi is none): a prefix
// naming an API, after which a release number is the API's version as
// after /api/. Deeper, or ending in anything else (/releases/v1.0.0,
// /download/v1.0.0), the number stays a value.
func apiCompound(n *node) bool {
	if n.param || n.parent == nil || n.parent.parent != nil || len(n.key) <= 3 {
		return false
	}
	k := n.key
	if len(k) > 4 && (k[len(k)-4] == '-' || k[len(k)-4] == '_') && strings.EqualFold(k[len(k)-3:], "api") {
		return true
	}
	return len(k) >= 6 && strings.EqualFold(k[len(k)-3:], "api") && plainLetters(k[:len(k)-3])
}

// plainLetters reports whether s is letters only.
func plainLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// constantCalls is how many calls, over the API, a plain word a lexical
// rule took for a value must reach with no other value beside it to show
// that it is a constant (a name of the API), not a value. A parameter
// drawn from two values of equal shares shows one of them 8 times in a
// row with a chance under 1 % (2·2^-8), 4 % for shares of 2:1; a lone
// value (one tenant, one user calling) is taken for a name: the risk this
// accepts. Session 6, round 3 lowered it from 32 on the three traffic
// corpora: 36 segments taken for values at 8 to 31 calls were all
// constants (/v2/applications/{id}/metrics/data.json,
// /user/documentsv2, AeroDataBox's icao), none a lone value.
const constantCalls = 8

// constantLook is the last of p's calls at which demoteConstant looks:
// it looks at constantCalls and then 8 calls after its last look
// (p.checkAt), so a parameter a merge made with many calls at once
// (/services/fields/{name} taking the 43 calls of api/users/...) is
// looked at too, at most 32 times.
const constantLook = 256

// maxConstant bounds the words remembered as constants per host; past it
// new ones are not remembered (Stats.ShedConstants counts them).
const maxConstant = 64

// demoteConstant turns back into literals the word parameters that hold
// one same value w over at least constantCalls calls, summed over the
// API: the collection-slot, same-noun and nested-collection rules took w
// for a value by its words and position (/flex/airlines/rest/v1 after the
// plural airlines, then rest wherever it appears; /fields/api/users/{id}
// read as a collection of api's own), and traffic shows it never varies.
// Typed values (integers, UUIDs, tokens) are not concerned: they are
// values on sight. p is the parameter the current call passes through;
// the check runs when its calls reach constantCalls and then 8 calls
// after each look, up to constantLook. It reports whether
// anything was demoted; p is then a literal, in place.
func (t *tree) demoteConstant(p *node) bool {
	if t.frozen || !lexicalConstant(p) || p.calls < max(constantCalls, p.checkAt) || p.calls > constantLook {
		return false
	}
	p.checkAt = p.calls + 8 // p holds one value: splitClosed and splitDisjoint, which share checkAt, do not look
	w := p.known[0]
	if p.parent.lits[w] != nil || p.parent.promoted {
		return false
	}
	ps := t.slotsOf(w)
	var calls int64
	for _, q := range ps {
		calls += q.calls
	}
	if calls < constantCalls {
		return false
	}
	for _, q := range ps {
		t.unslot(q, w).named = true
	}
	t.rememberConstant(w)
	return true
}

// lexicalConstant reports whether p is a word parameter a lexical rule
// made from one value that alone ever entered it.
func lexicalConstant(p *node) bool {
	return p.param && p.kind == Word && p.values == 1 && len(p.known) == 1 && !p.varied &&
		(p.rule == ruleCollectionSlot || p.rule == ruleSameNoun || p.rule == ruleNested)
}

// noteEntry records that word w entered parameter p: p.values counts the
// values the walk records (not those of a walk the tree changed under),
// so a parameter is "one value" for the volume rules only while every
// word that entered it was that value; one not known, or entering before
// any was known, marks it varied.
func noteEntry(p *node, w string) {
	if !p.varied && (len(p.known) == 0 || p.known[0] != w && !slices.Contains(p.known, w)) {
		p.varied = true
	}
}

// rememberConstant records w as a constant of the API so that the lexical
// rules do not take it for a value again below another parent.
func (t *tree) rememberConstant(w string) {
	if t.constant[w] {
		return
	}
	if len(t.constant) >= maxConstant {
		t.inv.stats.ShedConstants++
		return
	}
	if t.constant == nil {
		t.constant = map[string]bool{}
	}
	t.constant[w] = true
}

// versionedPrefix reports whether literal c is an API prefix followed by
// a version (rest in /airlines/rest/v1), or a word traffic showed to be
// a name of the API (named): siblings that each lead to one are services
// of the API, each with its own prefix, as siblings that each lead to a
// version are (/svc/books/v3); the prefix is no sub-resource they share.
// c may be nil.
func versionedPrefix(c *node) bool {
	if c != nil && c.named {
		return true
	}
	if c == nil || c.param || !namespaceWord(c.key) {
		return false
	}
	for k := range c.lits {
		if Classify(k) == Version {
			return true
		}
	}
	return false
}

// versionedPrefixIn reports whether literal k below one of words is a
// versioned API prefix (versionedPrefix).
func versionedPrefixIn(words []*node, k string) bool {
	for _, w := range words {
		if versionedPrefix(w.lits[k]) {
			return true
		}
	}
	return false
}

// minTenantSubs is how many literal sub-resources two words must share to
// be tenants of one API.
const minTenantSubs = 3

// maxTenantScan bounds the words compared pairwise by tenants.
const maxTenantScan = 64

// tenants returns the words below n, where resource names live (the root,
// an API prefix, a version), that share at least minTenantSubs literal
// sub-resources, one of them a collection (sharedPlural), with another of
// them: tenants or projects of one API
// (/acme-shop-prod/carts, /acme-shop-prod/orders, /nordic-home-eu/carts,
// /nordic-home-eu/orders, ...: commercetools' {projectKey}). Resource
// names lead to their own sub-resources (/users/{id}/repos beside
// /orgs/{id}/repos share none by name), and resource words, reserved
// words and API prefixes (/api/users beside /admin/users) take no part.
// It returns nil when fewer than two words qualify.
func tenants(n *node, words []*node) []*node {
	if n.param || !(n.parent == nil || namespaceWord(n.key) || versionLit(n)) {
		return nil
	}
	var cands []*node
	for _, w := range words {
		if len(cands) == maxTenantScan {
			break
		}
		if len(w.lits) >= minTenantSubs && !resourceWord(w.key) && !namespaceWord(w.key) && !reservedLiterals[w.key] && !lookupField(w.key) {
			cands = append(cands, w)
		}
	}
	var out []*node
	for i, a := range cands {
		for j, b := range cands {
			if i != j && sharedSubs(a, b) >= minTenantSubs && sharedPlural(a, b) {
				out = append(out, a)
				break
			}
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// sharedSubs counts the literal plain-word children a and b both have.
func sharedSubs(a, b *node) int {
	k := 0
	for s := range a.lits {
		if b.lits[s] != nil && Classify(s) == Word {
			k++
		}
	}
	return k
}

// sharedPlural reports whether a and b both have a literal child that
// names a collection (a plural noun): tenants of one API hold the same
// collections (/acme-shop-prod/carts beside /nordic-home-eu/carts), where
// resources of one API that share only singular words below
// (/v3/wind-output/latest|history|forecast beside /v3/solar-yield/...)
// offer the same views or operations on two different things. Session 7,
// round 7: the tenant rule needs one shared collection. The risk: a few
// tenants whose shared sub-resources are all singular (/acme/config,
// /acme/billing) stay literal until the statistical rule reads enough of
// them.
func sharedPlural(a, b *node) bool {
	for s := range a.lits {
		if b.lits[s] != nil && pluralNoun(s) {
			return true
		}
	}
	return false
}

// fieldAssignment reports whether segment s reads field=value, a field
// name (letters, '-', '_') and a value after one '=': a lookup of a
// resource by the value of a field (/products/key=linen-shirt-white,
// /orders/order-number=100045231), whose value changes with every
// resource as an id does.
func fieldAssignment(s string) bool {
	i := strings.IndexByte(s, '=')
	if i <= 0 || i == len(s)-1 || strings.IndexByte(s[i+1:], '=') >= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Closed sets. The statistical rule merges sibling words into a parameter
// when they agree in shape, and a leaf agrees with every shape, so
// /1/user/-/activities/date/{date} and /1/user/-/profile.json,
// /1/user/-/devices.json become /1/user/-/{name}/... on a few calls.
// Traffic tells them apart: the set of words stops growing while calls
// keep coming, and each word leads to sub-paths of its own, where a
// parameter's values share theirs (/users/alice/repos, /users/bob/repos).
// The parameter keeps, per value, its calls and the first segments that
// followed it (valueStat); once the evidence holds, splitClosed turns the
// values back into literals, each with the sub-tree it alone led to.

// maxClosedValues is the largest set of words splitClosed splits; and
// maxValueKids how many distinct next segments a value's statistics keep
// (past it the value leads to too much to be told apart).
const (
	maxClosedValues = 8
	maxValueKids    = 4
	// closedCallsPerValue is how many calls per word a closed set must have
	// seen, and closedMinCalls how many in all.
	closedCallsPerValue = 16
	closedMinCalls      = 64
)

// valueStat is what traffic showed of one value of a word parameter.
type valueStat struct {
	calls    int64
	leaf     int64 // calls that ended at the value
	kids     []string
	overflow bool       // more than maxValueKids distinct next segments
	conts    []contStat // calls per continuation two segments deep (mixed.go)
	contOver bool       // more than maxConts continuations
}

// noteValue records one call through value v of word parameter p whose
// path continues with rest ("" when it ends at v).
func noteValue(p *node, v, rest string) {
	noteCont(p, v, rest)
	if p.shared || p.kind != Word || p.rule != ruleNone && !lexicalRule(p.rule) || p.values > maxClosedValues || p.values != len(p.known) {
		return
	}
	i := slices.Index(p.known, v)
	if i < 0 {
		return
	}
	for len(p.vstats) < len(p.known) {
		p.vstats = append(p.vstats, valueStat{})
	}
	s := &p.vstats[i]
	s.calls++
	for rest != "" && rest[0] == '/' {
		rest = rest[1:]
	}
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	if rest == "" {
		if s.leaf++; s.leaf == 1 && lexicalRule(p.rule) {
			for j := range p.vstats {
				if j != i && p.vstats[j].leaf > 0 {
					p.shared = true // two words end here (splitDisjoint)
				}
			}
		}
		return
	}
	if slices.Contains(s.kids, rest) {
		return // a word continuation seen before: no need to classify it again
	}
	k := rest
	if Classify(rest) != Word {
		k = "{}"
	} else if p.lits[rest] == nil && p.pchild != nil {
		k = "{}" // the word went to the parameter below p
	}
	if !slices.Contains(s.kids, k) {
		for j := range p.vstats {
			if j != i && slices.Contains(p.vstats[j].kids, k) {
				p.shared = true // two words lead to one sub-path: values of one parameter
				return
			}
		}
	}
	s.addKid(k)
}

func (s *valueStat) addKid(k string) {
	if slices.Contains(s.kids, k) || s.overflow {
		return
	}
	if len(s.kids) == maxValueKids {
		s.overflow = true
		return
	}
	s.kids = append(s.kids, strings.Clone(k))
}

// noteMerged records, when literal src is merged into word parameter dst
// as one of its values, what src had seen: its calls, the calls that
// ended at it and its children.
func noteMerged(dst, src *node) {
	seedTyped(dst) // the typed values' calls, before src's sub-tree joins (recur.go)
	if dst.kind != Word && dst.kind != Mixed && dst.typed == 0 || dst.values > maxClosedValues {
		return
	}
	i := slices.Index(dst.known, src.key)
	if i < 0 {
		return
	}
	for len(dst.vstats) < len(dst.known) {
		dst.vstats = append(dst.vstats, valueStat{})
	}
	s := &dst.vstats[i]
	s.calls += src.calls
	noteMergedConts(s, src)
	for _, e := range src.eps {
		s.leaf += e.calls
	}
	for _, k := range litKeys(src) { // kids are bounded: which are kept must not depend on map order
		s.addKid(k)
	}
	if src.pchild != nil {
		s.addKid("{}")
	}
}

// splitClosed turns word parameter p back into literals when traffic
// shows its words are a closed set of names: at most maxClosedValues of
// them, closedCallsPerValue calls per word and closedMinCalls in all, no
// more than one call in 20 to a word seen once (the Good-Turing estimate
// of the chance of a new word), and every sub-path of p led to by exactly
// one word. Each word gets the sub-paths it led to; the calls that ended
// at p go to the word most of them ended at (the others start afresh).
// The position is then closed to the statistical rule. It runs when p's
// calls reach 64, then every 32 more, and reports whether p was split.
func (t *tree) splitClosed(p *node) bool {
	if p.shared || t.frozen || p.kind != Word || p.rule != ruleNone || p.calls < max(closedMinCalls, p.checkAt) {
		return false
	}
	p.checkAt = p.calls + 32 // merges add calls in bulk: a multiple of 32 may be skipped
	d := len(p.known)
	n := p.parent
	if d < 2 || d > maxClosedValues || p.values != d || len(p.vstats) != d || p.varied || n == nil || n.param ||
		p.calls < int64(closedCallsPerValue*d) {
		return false
	}
	return t.splitOwned(p, false)
}

// lexicalRule reports whether r is a rule that takes a word for a value
// by its words and position alone (collectionSlot, sameNoun).
func lexicalRule(r rule) bool { return r == ruleCollectionSlot || r == ruleSameNoun }

// disjointCalls is how many calls each value of a lexical parameter must
// have seen for splitDisjoint to read its sub-paths: a value of a real
// parameter seen 8 times that always took one sub-path while another
// value always took another is unlikely unless the resource has one
// shape, and then the values share it.
const disjointCalls = 8

// splitDisjoint turns a word parameter a lexical rule made (the
// collection-slot or same-noun rule: a word after a collection noun is an
// instance) back into literals when traffic shows its words behave as
// separate endpoints: 2 to maxClosedValues words, each seen at least
// disjointCalls times, and every continuation, the end of the path
// included, taken by exactly one of them (/stats/realtime/visitors
// beside /stats/timeseries, where instances of one collection share
// their shapes: /users/alice and /users/bob both end there or both lead
// to repos). Lexical evidence is read once, on the words; this reads
// the traffic: once every word has its 8 calls, and then every 8 calls.
func (t *tree) splitDisjoint(p *node) bool {
	d := len(p.known)
	if p.shared || t.frozen || p.kind != Word || !lexicalRule(p.rule) || d < 2 || d > maxClosedValues || p.calls < int64(disjointCalls*d) || p.calls < p.checkAt {
		return false
	}
	n := p.parent
	if p.values != d || len(p.vstats) != d || n == nil || n.param || p.parent.pchild != p {
		return false
	}
	enders := 0
	for _, s := range p.vstats {
		if s.calls < disjointCalls {
			return false // checked again on the next call: this costs no allocation
		}
		if s.leaf > 0 {
			enders++
		}
	}
	if enders > 1 {
		return false // two words end here: values of one parameter, or leaves that tell nothing
	}
	p.checkAt = p.calls + 8 // the sub-path test below builds a map
	return t.splitOwned(p, true)
}

// splitOwned splits p into literals, one per known word, when every
// sub-path of p is led to by exactly one word (see splitClosed); lexical
// also closes nothing to the statistical rule and keeps the words
// literal by their own nodes.
func (t *tree) splitOwned(p *node, lexical bool) bool {
	d := len(p.known)
	n := p.parent
	owner := map[string]int{}
	var once, calls int64
	for i, s := range p.vstats {
		if s.overflow || n.lits[p.known[i]] != nil {
			return false
		}
		calls += s.calls
		if s.calls <= 1 { // 0: it came with a call not recorded (a walk the tree changed under)
			once++
		}
		for _, k := range s.kids {
			if _, ok := owner[k]; ok {
				return false // two words lead to one sub-path: values of one parameter
			}
			owner[k] = i
		}
	}
	if 20*once > calls {
		return false
	}
	for k := range p.lits {
		if _, ok := owner[k]; !ok {
			return false
		}
	}
	if _, ok := owner["{}"]; p.pchild != nil && !ok {
		return false
	}
	leafOwner := 0
	for i, s := range p.vstats {
		if s.leaf > p.vstats[leafOwner].leaf {
			leafOwner = i
		}
	}
	lits := make([]*node, d)
	for i, v := range p.known {
		lits[i] = t.newLit(n, v)
		lits[i].calls = p.vstats[i].calls
	}
	for k, c := range p.lits {
		l := lits[owner[k]]
		if l.lits == nil {
			l.lits = map[string]*node{}
		}
		l.lits[k] = c
		c.parent = l
	}
	if c := p.pchild; c != nil {
		l := lits[owner["{}"]]
		l.pchild = c
		c.parent = l
	}
	for _, e := range p.eps {
		t.attach(lits[leafOwner], e)
	}
	n.pchild, n.promoted = nil, false
	n.closed = n.closed || !lexical
	t.nodes--
	p.eps, p.lits, p.pchild, p.parent = nil, nil, nil, nil
	for _, l := range lits {
		t.retemplate(l)
	}
	return true
}

// versionedName reports whether word w is, somewhere in the API, a
// literal followed by a version: the name of one of its services
// (/hr/v2/workers). A segment names one thing wherever it appears in an
// API (the same-noun rule read the other way), so the lexical rules do
// not take it for a value elsewhere (/events/hr/v1/...).
func (t *tree) versionedName(w string) bool {
	for _, x := range t.nouns[w] {
		if x.param || !alive(x) {
			continue
		}
		for k := range x.lits {
			if Classify(k) == Version {
				return true
			}
		}
	}
	return false
}

// demoteNamed turns back into the literal w the word parameters that a
// lexical rule made from w alone, once w is shown to name a service
// (versionedName), whichever arrived first. It reports whether any was.
func (t *tree) demoteNamed(w string) bool {
	if t.frozen || len(t.slots) == 0 || Classify(w) != Word || !t.versionedName(w) {
		return false
	}
	ps := t.slotsOf(w)
	for _, q := range ps {
		t.unslot(q, w).named = true
	}
	return len(ps) > 0
}

// maxSlots bounds the word parameters of lexical rules tracked per host
// for demoteConstant and demoteNamed; past it (after dropping those merged
// away or grown past one value) new ones are not tracked
// (Stats.ShedConstants counts them).
const maxSlots = 1024

// trackSlot records word parameter p, just made by a lexical rule (any
// other rule is ignored).
func (t *tree) trackSlot(p *node) {
	if p.rule != ruleCollectionSlot && p.rule != ruleSameNoun && p.rule != ruleNested || slices.Contains(t.slots, p) {
		return
	}
	if len(t.slots) == maxSlots {
		t.slots = slices.DeleteFunc(t.slots, func(q *node) bool { return !lexicalConstant(q) || !alive(q) })
	}
	if len(t.slots) == maxSlots {
		t.inv.stats.ShedConstants++
		return
	}
	t.slots = append(t.slots, p)
}

// slotsOf returns the tracked word parameters a lexical rule made from w
// alone that may turn back into the literal w.
func (t *tree) slotsOf(w string) []*node {
	var ps []*node
	for _, q := range t.slots {
		if lexicalConstant(q) && q.known[0] == w && q.parent != nil && q.parent.pchild == q && q.parent.lits[w] == nil && !q.parent.promoted && alive(q) {
			ps = append(ps, q)
		}
	}
	return ps
}

// demoteFile turns n's word parameter back into the literal it was made
// from when a lexical rule made it from one file name w (pathway.json)
// that a literal since seen beside it shows to be a resource in a format
// (resourceFile: the literal pathway, or activity.json): the rule read
// w as a value before the evidence arrived, whichever came first. It
// reports whether it demoted. A parameter the rule made from several
// such file names before the evidence arrived gives back those that only
// ever ended there (demoteLeaves), so the order of arrival does not
// decide how many the rule had read by then.
func (t *tree) demoteFile(n *node) bool {
	p := n.pchild
	if t.frozen || p == nil || p.kind != Word || !lexicalRule(p.rule) || p.varied || n.promoted {
		return false
	}
	if p.values > 1 {
		return t.demoteLeaves(p, func(w string) bool { return strings.IndexByte(w, '.') >= 0 && resourceFile(n, w) })
	}
	if p.values != 1 || len(p.known) != 1 {
		return false
	}
	w := p.known[0]
	if n.lits[w] != nil || strings.IndexByte(w, '.') < 0 || !resourceFile(n, w) {
		return false
	}
	t.unslot(p, w)
	return true
}

// stemOfFile reports whether word w is the stem of the one file name a
// lexical rule took for p's value (specimen beside specimen.json): w is
// then a literal, and the file a resource in a format (demoteFile).
func stemOfFile(p *node, w string) bool {
	if p.kind != Word || !lexicalRule(p.rule) || p.values != 1 || len(p.known) != 1 {
		return false
	}
	v := p.known[0]
	return len(v) > len(w)+1 && v[len(w)] == '.' && strings.HasPrefix(v, w) && formatWord(v[len(w)+1:])
}
