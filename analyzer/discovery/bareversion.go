package discovery

import "strings"

// Versions written as bare numbers (session 10, round 14). A number
// after the root or an API prefix is the API's version (classifyAt:
// /2/tweets, /rest/api/3/issue); the rules that read "after a version"
// must know it too, or the resource names below it are read as values
// (Honeycomb's /1/datasets, /1/markers, /1/auth became /1/{name}).

// versionLit reports whether n is a literal that names the API's version:
// written as one (v1, 2.0) or a number its position reads as one (/1/,
// /api/2014/). The number's test runs only on integer keys.
func versionLit(n *node) bool {
	if n == nil || n.param {
		return false
	}
	if versionAliases[n.key] {
		return n.parent != nil && (n.parent.parent == nil || !n.parent.param && namespaceWord(n.parent.key))
	}
	switch Classify(n.key) {
	case Version:
		return true
	case Integer:
		return n.parent != nil && classifyAt(n.parent, n.key, true) == Version
	}
	return false
}

// versionAliases are the words an API serves a version under: right
// under the root or an API prefix (/latest/characters/{id}, Microsoft
// Graph's /beta/users, /rudder/api/latest/nodes) each is the API's
// version, and the API's resources follow it as they follow /v1/.
var versionAliases = map[string]bool{"latest": true, "beta": true, "alpha": true, "stable": true, "legacy": true, "preview": true}

// bareVersion reports whether integer seg, below literal parent and with
// more path after it, is the API's version written as a bare number:
// classifyAt's hook for the positions where a version may sit and
// classifyAt's own rule (one or two digits after the root or an API
// prefix) does not reach.
//
//   - A year after an API prefix (/api/2014/classes, /rest/2019/...): a
//     collection name follows an API prefix, never an instance, so a
//     number there is a version however it is written; a year is how
//     some APIs date their editions.
//   - One digit after a product or service word right under the root
//     (/search/2/geocode, /routing/1/calculateRoute, /whatsapp/1/message):
//     APIs made of several products version each product. An id is
//     told from it by what the API shows at that position: a plural
//     names a collection (/users/1/posts), and a number beside it (a
//     parameter or another number under the same word, or integer ids
//     under any word of the root: /artist/27/top beside /chart/0/tracks)
//     says the API keeps ids there. unversion returns such a number to a
//     parameter when that evidence arrives later.
func bareVersion(parent *node, seg string, more bool) bool {
	if !more || parent.param || parent.parent == nil {
		return false
	}
	if len(seg) == 4 {
		return yearNumber(seg) && namespaceWord(parent.key)
	}
	return len(seg) == 1 && productWord(parent) && !numbersAt(parent, seg)
}

// yearNumber reports whether a four-digit number is a year (1990–2099).
func yearNumber(seg string) bool {
	return len(seg) == 4 && (seg[:2] == "19" && seg[2] >= '9' || seg[:2] == "20") && seg[2] >= '0' && seg[2] <= '9' && seg[3] >= '0' && seg[3] <= '9'
}

// productWord reports whether literal n, right under the root, may name a
// product whose version follows: a plain word (letters, digits after a
// letter or before one as in 2fa) that is no plural collection noun and
// no API prefix (classifyAt reads numbers after those).
func productWord(n *node) bool {
	if n.param || !productPosition(n) || namespaceWord(n.key) || Classify(n.key) != Word {
		return false
	}
	return !pluralNoun(n.key) && !systemName(n.key)
}

// productPosition reports whether n sits where an API names its products:
// right under the root, or right under an API prefix that is (/rest/auth/1/session,
// /api/dataset/2/..., /public/signup/1/...).
func productPosition(n *node) bool {
	p := n.parent
	return p != nil && (p.parent == nil || !p.param && p.parent.parent == nil && namespaceWord(p.key))
}

// numbersAt reports whether the API keeps ids at n's children's
// position: a parameter under n, an integer parameter under any word of
// the root,
// another number than seg under n, or any other literal under n (a
// product's version leads to the whole product, so nothing sits beside
// it; a collection has its operations beside its ids: /pet/findByStatus
// beside /pet/1/uploadImage).
func numbersAt(n *node, seg string) bool {
	if n.pchild != nil {
		return true
	}
	for k := range n.lits {
		if k != seg {
			return true
		}
	}
	for _, r := range n.parent.lits {
		if intParam(r.pchild) {
			return true
		}
	}
	return false
}

// intParam reports whether p is a parameter that took integer values.
func intParam(p *node) bool {
	return p != nil && p.typed&(1<<Integer) != 0
}

// unversion returns to a parameter the one-digit numbers bareVersion read
// as a product's version under the words of the root, once the API shows
// ids at that position (numbersAt): p is the typed parameter just made
// under a word of the root; an integer one speaks for every word of the
// root, another for its own. It reports whether the tree changed.
func (t *tree) unversion(p *node) bool {
	if t.frozen || !p.param || p.parent == nil || p.parent.param || !productPosition(p.parent) {
		return false
	}
	if p.typed&(1<<Integer) == 0 {
		return t.unversionAt(p.parent)
	}
	changed := false
	root := p.parent.parent
	for _, k := range litKeys(root) {
		if r := root.lits[k]; r != nil {
			changed = t.unversionAt(r) || changed
		}
	}
	return changed
}

// unversionAt returns to a parameter the one-digit numbers under word n
// of the root that are no longer read as versions (numbersAt: n just took
// a literal beside the number, or the API an integer parameter). It
// reports whether the tree changed.
func (t *tree) unversionAt(n *node) bool {
	if t.frozen || !productWord(n) {
		return false
	}
	return t.versionsToParam(n, Integer, func(k string, l *node) bool {
		return len(k) == 1 && Classify(k) == Integer && !versionLit(l) // a version by another rule (/ws/2/artist: a short API prefix) stays
	})
}

// versionsToParam merges into n's parameter of kind k (made if need be)
// the literals under n that were read as versions and are values after
// all (was), in key order: the parameter's first values are read by
// position. It reports whether any was merged.
func (t *tree) versionsToParam(n *node, k Kind, was func(key string, l *node) bool) bool {
	changed := false
	for _, key := range litKeys(n) {
		l := n.lits[key]
		if !was(key, l) {
			continue
		}
		q := t.paramChild(n, k)
		delete(n.lits, key)
		t.merge(q, l)
		changed = true
	}
	return changed
}

// Dated versions below a product word (session 10): APIs that date their
// editions write the date where a version goes, and some version each
// product on its own (/catalog/2022-04-01/items, /reports/2021-06-30/reports,
// /api/laml/2010-04-01/Accounts). classifyAt reads a date as a version
// right after the root or an API prefix; datedVersion reads one a
// position deeper, after a word, while the date is one of at most two
// under that word: an API pins one edition per product, two while it
// moves (Sanity's clients pin v2021-10-21 and v2023-08-01). A third date
// says the word holds dates as values (/games/2024-01-15/boxscore), and
// undate returns the first two to the parameter the third made.

// maxDatedVersions is how many dates under one word may be versions.
const maxDatedVersions = 2

// timeWords name a period or a log: a date after one is a value.
var timeWords = map[string]bool{
	"date": true, "dates": true, "day": true, "days": true, "daily": true, "schedule": true, "schedules": true,
	"history": true, "calendar": true, "calendars": true, "timeline": true, "timeseries": true, "from": true,
	"since": true, "until": true, "on": true, "at": true, "archive": true, "archives": true,
}

// datedVersion reports whether date seg (YYYY-MM-DD), below parent and
// with more path after it, is the edition of a product: parent is a
// word right under the root (/catalog/2022-04-01/items) or a singular
// word right under an API prefix (/api/laml/2010-04-01/Accounts), no
// time word, and holds no date values yet (datesAt). classifyAt's hook.
func datedVersion(parent *node, seg string, more bool) bool {
	if !more || len(seg) != 10 || parent.param || parent.parent == nil || parent.facts()&kfWord == 0 ||
		timeWords[strings.ToLower(parent.key)] || datesAt(parent) {
		return false
	}
	g := parent.parent
	if g.parent == nil {
		return true
	}
	return g.parent.parent == nil && !g.param && namespaceWord(g.key) && !pluralNoun(parent.key)
}

// datesAt reports whether n holds dates as values: a parameter that took
// dates, or maxDatedVersions dates already kept as versions.
func datesAt(n *node) bool {
	if n.pchild != nil && n.pchild.typed&(1<<Date) != 0 {
		return true
	}
	c := 0
	for k := range n.lits {
		if len(k) == 10 && Classify(k) == Date {
			c++
		}
	}
	return c >= maxDatedVersions
}

// undate returns to date parameter p the dates datedVersion kept as
// versions under p's parent, once a third date made p. It reports
// whether the tree changed.
func (t *tree) undate(p *node) bool {
	if t.frozen || p.parent == nil || p.typed&(1<<Date) == 0 {
		return false
	}
	return t.versionsToParam(p.parent, Date, func(k string, _ *node) bool { return len(k) == 10 && Classify(k) == Date })
}

// editionWord reports whether literal n is the word "version" or
// "release" with no parameter above it: a short number after it that
// leads further is the edition of the API itself (SMHI's
// /api/category/pmp3g/version/2/geotype/..., the WHO ICD API's
// /icd/release/11/2024-01/mms), written where the docs write it. Under
// an instance (/service/{id}/version/3/backend) the number is that
// instance's version, a value.
func editionWord(n *node) bool {
	if n.param || n.parent == nil || !strings.EqualFold(n.key, "version") && !strings.EqualFold(n.key, "release") {
		return false
	}
	for a := n.parent; a != nil; a = a.parent {
		if a.param {
			return false
		}
	}
	return true
}
