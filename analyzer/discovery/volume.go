package discovery

import "strings"

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
	return !parent.param && (parent.parent == nil || namespaceWord(parent.key)) && releaseVersion(seg)
}

// constantCalls is how many calls, over the API, a plain word a lexical
// rule took for a value must reach with no other value beside it to show
// that it is a constant (a name of the API), not a value. A parameter
// drawn from even two values repeats one of them 32 times in a row with
// a chance under 1e-5 (2^-32 for two equal shares).
const constantCalls = 32

// maxConstant bounds the words remembered as constants per host; past it
// new ones are not remembered (Stats.ShedConstants counts them).
const maxConstant = 64

// demoteConstant turns back into literals the word parameters that hold
// one same value w over at least constantCalls calls, summed over the
// API: the collection-slot and same-noun rules took w for a value by its
// words and position (/flex/airlines/rest/v1 after the plural airlines,
// then rest wherever it appears), and traffic shows it never varies.
// Typed values (integers, UUIDs, tokens) are not concerned: they are
// values on sight. p is the parameter the current call passes through;
// the check runs when its calls reach 16, 24 and 32 (at 32 p alone is
// evidence enough, so it runs at most three times). It reports whether
// anything was demoted; p is then a literal, in place.
func (t *tree) demoteConstant(p *node) bool {
	if t.frozen || !lexicalConstant(p) || p.calls < constantCalls/2 || p.calls > constantCalls || p.calls%8 != 0 {
		return false
	}
	w := p.known[0]
	if p.parent.lits[w] != nil || p.parent.promoted {
		return false
	}
	var ps []*node
	var calls int64
	var visit func(n *node)
	visit = func(n *node) {
		for _, c := range n.lits {
			visit(c)
		}
		if q := n.pchild; q != nil {
			if lexicalConstant(q) && q.known[0] == w && q.parent.lits[w] == nil && !q.parent.promoted {
				ps = append(ps, q)
				calls += q.calls
			}
			visit(q)
		}
	}
	visit(t.root)
	if calls < constantCalls {
		return false
	}
	for _, q := range ps {
		t.unslot(q, w)
	}
	t.rememberConstant(w)
	return true
}

// lexicalConstant reports whether p is a word parameter a lexical rule
// made from one value, not thrown out by the frozen walk.
func lexicalConstant(p *node) bool {
	return p.param && p.kind == Word && p.values == 1 && len(p.known) == 1 &&
		(p.rule == ruleCollectionSlot || p.rule == ruleSameNoun)
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
// a version (rest in /airlines/rest/v1): siblings that each lead to one
// are services of the API, each with its own prefix, as siblings that
// each lead to a version are (/svc/books/v3); the prefix is no
// sub-resource they share. c may be nil.
func versionedPrefix(c *node) bool {
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
// sub-resources with another of them: tenants or projects of one API
// (/acme-shop-prod/carts, /acme-shop-prod/orders, /nordic-home-eu/carts,
// /nordic-home-eu/orders, ...: commercetools' {projectKey}). Resource
// names lead to their own sub-resources (/users/{id}/repos beside
// /orgs/{id}/repos share none by name), and resource words, reserved
// words and API prefixes (/api/users beside /admin/users) take no part.
// It returns nil when fewer than two words qualify.
func tenants(n *node, words []*node) []*node {
	if n.param || !(n.parent == nil || namespaceWord(n.key) || Classify(n.key) == Version) {
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
			if i != j && sharedSubs(a, b) >= minTenantSubs {
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

// openSet reports whether the words below a parameter are values of an
// open set: at least MinSiblings of them, mostly no resource words, and
// traffic still bringing new ones: with twice as many calls as words
// (volume: a URL corpus shows each once), half or more were seen once, and the
// calls seen once are at least a sixth of the calls to them all (the
// Good-Turing estimate of the chance that the next call brings a new
// word). Sub-resources of an instance are a closed set of resource words
// (/repos/{owner}/{repo}/issues, /pulls, /commits) that repeat; flag or
// object keys keep arriving (/flags/{project}/new-checkout-flow,
// /enable-dark-mode, ...). Below a parameter only 32 words or more made
// a parameter before.
func openSet(cfg *Config, words []*node) bool {
	d := len(words)
	if d < cfg.MinSiblings || 2*resourceWords(words) > d {
		return false
	}
	var once, calls int64
	for _, w := range words {
		calls += w.calls
		if w.calls == 1 {
			once++
		}
	}
	return calls >= 2*int64(d) && 2*once >= int64(d) && 6*once >= calls
}

// openSetChanged re-applies the statistical rule to the words below
// parameter n when their calls grew (the caller checks at powers of two
// of a word's calls): whether they are an open set depends on how often
// each came back, not only on which arrived last. It reports whether n
// was promoted.
func (t *tree) openSetChanged(n *node) bool {
	if t.frozen || len(n.lits) < t.cfg.MinSiblings {
		return false
	}
	words := make([]*node, 0, len(n.lits))
	for k, c := range n.lits {
		if Classify(k) == Word && !reservedLiterals[k] && !systemName(k) && !byField(k) {
			words = append(words, c)
		}
	}
	return openSet(t.cfg, words) && t.maybePromote(n)
}
