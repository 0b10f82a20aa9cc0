package discovery

import (
	"slices"
	"strings"
)

// Round 12 (session 9): plain-word values read from their position in
// the API.

// languageCodes are ISO 639-1 codes of languages (with a region, pt-BR,
// they name a locale whatever the code); localeCodes are the codes of
// widely used languages that may also stand alone (de). Codes that are
// English words or common abbreviations in paths (id, it, is, no, to, my,
// so, he, hi, hr, ca, ms, eu, ar, gl, pl, ro, sk, sr, sw, ta, tr, cs, fi,
// bg, et, lt, lv) are no bare locale: after a version they may name a
// resource (/v1/ar/invoices, /v1/gl/accounts; Ubidots' /lv, last value).
var (
	languageCodes = map[string]bool{
		"af": true, "ar": true, "bg": true, "bn": true, "ca": true, "cs": true, "cy": true, "da": true,
		"de": true, "el": true, "en": true, "es": true, "et": true, "eu": true, "fa": true, "fi": true,
		"fr": true, "ga": true, "gl": true, "he": true, "hi": true, "hr": true, "hu": true, "hy": true,
		"id": true, "is": true, "it": true, "ja": true, "ka": true, "kk": true, "km": true, "ko": true,
		"lt": true, "lv": true, "mk": true, "mn": true, "ms": true, "nb": true, "nl": true, "nn": true,
		"no": true, "pl": true, "pt": true, "ro": true, "ru": true, "sk": true, "sl": true, "sq": true,
		"sr": true, "sv": true, "sw": true, "ta": true, "te": true, "th": true, "tr": true, "uk": true,
		"ur": true, "uz": true, "vi": true, "zh": true, "zu": true,
	}
	localeCodes = map[string]bool{
		"da": true, "de": true, "el": true, "en": true, "es": true, "fr": true, "hu": true, "ja": true,
		"ko": true, "nb": true, "nl": true, "nn": true, "pt": true, "ru": true, "sv": true, "th": true,
		"uk": true, "vi": true, "zh": true,
	}
)

// localeCode reports whether w is a language code alone (de, of
// localeCodes) or with a region or script (pt-BR, en_US, zh-Hant, of
// languageCodes): the language of a response.
func localeCode(w string) bool {
	if len(w) == 2 {
		return localeCodes[w]
	}
	if len(w) < 5 || !languageCodes[w[:2]] || w[2] != '-' && w[2] != '_' || !upperLetter(w[3]) {
		return false
	}
	switch len(w) {
	case 5:
		return upperLetter(w[4])
	case 7:
		return plainLower(w[4:]) // zh-Hant, sr-Latn
	}
	return false
}

func upperLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

// localeValue reports whether word w, below literal n and with more path
// after it (rest), is the language of the API's responses: a language
// code right after the API's version (/nba/trial/v8/en/games,
// /v2/es/country) scopes every resource below it to one language, the
// way a tenant or a region does; so does one right after the API's
// prefix (/api/en/collection). APIs name resources in words; a
// two-letter code there is a value even when traffic shows only one.
func localeValue(n *node, w, rest string) bool {
	if n.param || n.parent == nil || !localeCode(w) || strings.Trim(rest, "/") == "" {
		return false
	}
	return versionLit(n) || versionAt(n.parent, n.key) || rootNamespace(n) // or its prefix: /api/en/collection
}

// scopedCalls times minSiblings is the number of calls a parameter
// position needs before scopedKeys reads its words: keys that keep coming
// are told from an instance's sub-resources by traffic, which repeats the
// sub-resources, not by one URL of each.
const scopedCalls = 4

// scopedKeys reports whether the words below parameter n, itself right
// after a literal collection (/flags/{project}/, /character/{realm}/),
// are keys scoped by n's value: at least 2*minSiblings words of the
// position's dominant shape with no collection of typed ids below them
// (compatible), most of them neither resource words nor plurals, still
// new in a third of the calls (novelty) over at least
// scopedCalls*minSiblings calls. An instance's sub-resources
// (/users/{id}/followers, /repos, /events; /vehicles/{id}/odometer) are
// resource words, or a set of a few that repeats with the traffic.
// Below integers, UUIDs and upper-case codes (codeIDs: /my/ships/{id}/dock,
// /refuel, /jettison) the words are the instance's actions and
// sub-resources: keys are scoped by a name (a project's or a realm's),
// which a system does not mint.
func scopedKeys(n *node, words []*node, compatible []bool, taken int, minSiblings int) bool {
	d := len(words) + taken
	if codeIDs(n) || !scopedEvidence(n, d, minSiblings) {
		return false
	}
	names := taken
	for i, w := range words {
		if compatible[i] && (w.pchild == nil || w.pchild.kind == Word) && !resourceWord(w.key) && !pluralNoun(w.key) && !reservedPart(w.key) {
			names++
		}
	}
	return 2*names > d
}

// scopedEvidence reports whether parameter n, with d keys below it, has
// what scopedKeys needs before it reads the keys: a word above n, at least
// 2*minSiblings keys and scopedCalls*minSiblings calls, and keys that are
// still new (at least 0.3 per call).
func scopedEvidence(n *node, d, minSiblings int) bool {
	return n.param && n.parent != nil && !n.parent.param && d >= 2*minSiblings && n.calls >= scopedCalls*int64(minSiblings) &&
		float64(d) >= 0.3*float64(n.calls) && Classify(n.parent.key) == Word
}

// scopedArrival re-applies the statistical rule to parameter n when a
// lexical rule took a new key below it (taken): a key arriving as a
// value is judged as one arriving as a literal is. It reports whether
// n's words became a parameter.
func (t *tree) scopedArrival(n *node) bool {
	if t.frozen || n.promoted || len(n.lits) == 0 || !scopedEvidence(n, len(n.lits)+taken(n), t.cfg.MinSiblings) {
		return false // scopedKeys' own gate, before promote allocates
	}
	return t.maybePromote(n)
}

// taken is how many words below n a lexical rule already took for values
// (n's word parameter, its values all known): scopedKeys counts them
// with the literals beside them, so the keys a rule took on arrival
// (/flags/{project}/dark-mode-rollout, an instance compound) count as
// keys whichever came first.
func taken(n *node) int {
	if p := n.pchild; p != nil && p.kind == Word && lexicalRule(p.rule) && p.values == len(p.known) {
		return p.values
	}
	return 0
}

// scopedDue re-applies the statistical rule to parameter n once, when its
// calls reach the evidence scopedKeys needs: the rule otherwise runs as a
// new word arrives, so keys that all came before the calls did would be
// judged on fewer calls than they had. It looks at the first call that
// finds the evidence there, not only at exactly scopedCalls*minSiblings
// calls, which a merge adding calls in bulk skips, or which may come
// before the words do. It reports whether n's words became a parameter.
func (t *tree) scopedDue(n *node) bool {
	if t.frozen || !n.param || n.promoted || n.scoped || n.calls < scopedCalls*int64(t.cfg.MinSiblings) || len(n.lits)+taken(n) < 2*t.cfg.MinSiblings {
		return false
	}
	n.scoped = true
	return t.maybePromote(n)
}

// minMirrored is how many sub-paths with a literal two versions must share
// for mirroredVersions, and minMirroredServed how many of them must be
// endpoints served below both: services of one API may share a
// resource's path (/rsv/v1/hotels/{id}/reservations and
// /fof/v1/hotels/{id}/reservations/{id}/checkIns) but each serves its own
// operations on it.
// Endpoints are read down to maxServedDepth segments below the version.
const (
	minMirrored       = 3
	minMirroredServed = 2
	maxServedDepth    = 6
)

// mirroredVersions merges into a parameter the words below literal n that
// each lead to nothing but one same version, below which the versions
// share minMirrored sub-paths or more that hold a literal, up to three
// segments deep: one API served whole below each word, so the words are
// its tenants, access levels or environments (/nba/trial/v8/…,
// /nba/production/v8/…), resource words among them. Services of one API
// each lead to their own version too (/rest/v1, /auth/v1), but to their
// own resources below it. Plurals, API prefixes, reserved words and
// system names take no part. n has at most maxTenantScan words (a
// position of tenants holds few); it runs where deepTenants does, when the
// call goes through word k (child c) that leads to nothing but a version,
// and reports whether any word was merged.
func (t *tree) mirroredVersions(n *node, k string, c *node) bool {
	if t.frozen || n.param || n.promoted || len(n.lits) < 2 || len(n.lits) > maxTenantScan || !mirrorCandidate(k, c) {
		return false
	}
	type cand struct {
		w            *node
		ver          string
		sigs, served []string
	}
	// A first pass without allocating: two words must lead to one version.
	var vers [8]string
	nv, pair := 0, false
	for _, k := range litKeys(n) { // vers is bounded
		c := n.lits[k]
		if !mirrorCandidate(k, c) {
			continue
		}
		for vk := range c.lits {
			if slices.Contains(vers[:nv], vk) {
				pair = true
			} else if nv < len(vers) {
				vers[nv] = vk
				nv++
			}
		}
	}
	if !pair {
		return false
	}
	var cands []cand
	for _, k := range litKeys(n) {
		c := n.lits[k]
		if !mirrorCandidate(k, c) {
			continue
		}
		for vk, v := range c.lits {
			var sigs, served []string
			walkSubPaths(v, maxServedDepth, func(x *node, b []byte, lit bool, depth int) bool {
				pre := ""
				if lit && (depth <= 3 && len(sigs) < maxSigs || len(x.eps) != 0 && len(served) < maxSigs) {
					pre = string(b) // kept below: one copy for both lists
				}
				if lit && depth <= 3 && len(sigs) < maxSigs {
					sigs = append(sigs, pre)
				}
				if lit && len(x.eps) != 0 && len(served) < maxSigs {
					served = append(served, pre) // an endpoint is served here
				}
				return true
			})
			if len(sigs) >= minMirrored {
				cands = append(cands, cand{c, vk, sigs, served})
			}
		}
	}
	var words []*node
	for i, a := range cands {
		for j, b := range cands {
			if i == j || a.ver != b.ver {
				continue
			}
			if sharedCount(a.sigs, b.sigs) >= minMirrored && sharedCount(a.served, b.served) >= minMirroredServed {
				words = append(words, a.w)
				break
			}
		}
	}
	return t.promoteTenants(n, words)
}

// mirrorCandidate reports whether word k, child c of a position, leads to
// nothing but a version (mirroredVersions).
func mirrorCandidate(k string, c *node) bool {
	if len(c.lits) != 1 || c.pchild != nil || c.apart {
		return false
	}
	for vk := range c.lits {
		if Classify(vk) != Version {
			return false
		}
	}
	return Classify(k) == Word && !reservedLiterals[k] && !namespaceWord(k) && !systemName(k) && !pluralNoun(k)
}

// formatStem is w without a format extension of the vocabulary
// (Revenues.json → Revenues), or w itself: a value written as a file in
// that format reads as the value (titleValue).
func formatStem(w string) string {
	if dot := strings.LastIndexByte(w, '.'); dot > 0 && formatWord(w[dot+1:]) {
		return w[:dot]
	}
	return w
}

// numberFile reports whether s is a number written as a file in a format
// of the vocabulary (7.json, 3.xml): a value as any number is, though
// Classify reads one digit among letters as part of a word (ec2, web-0).
func numberFile(s string) bool {
	dot := strings.IndexByte(s, '.')
	return dot > 0 && isDigits(s[:dot]) && formatWord(s[dot+1:])
}
