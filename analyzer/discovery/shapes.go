package discovery

import "strings"

// Literals shaped like values (round 13): segments that carry a digit or
// a file extension, so that the typed classifiers or the value-shape
// rules take them for values, while what surrounds them says they are
// names of the API: versions written in forms isVersion does not know,
// and the fixed file names of operations beside ids written as files.

// compoundVersion reports whether seg, below parent, is the API's
// version written after a word stem (/api-2.0/courses, /v1.0/iot-03/devices):
// a lower-case stem of two to eight letters, a '-' or '_', and a version
// (2.0, v2) or a zero-padded number (03), where versions live — right
// after the root, an API prefix or another version — with more path
// below. Values there are rare, and written otherwise (/invoices-2024/,
// /logs-2024.01.15/: a year, a date); a release after a collection
// (/ships/BADGER-1, /devices/greenhouse-01) is not at such a place.
// classifyAt's hook.
func compoundVersion(parent *node, seg string, more bool) bool {
	if !more || parent.param {
		return false
	}
	i := dashIndex(seg)
	if i < 2 || i > 8 || i == len(seg)-1 || !plainLower(seg[:i]) {
		return false
	}
	ver := seg[i+1:]
	if !isVersion(ver) && !(len(ver) >= 2 && len(ver) <= 3 && ver[0] == '0' && isDigits(ver)) {
		return false
	}
	return parent.parent == nil || namespaceWord(parent.key) || versionKey(parent.key) // the segment's own tests first: they fail most often
}

// preReleaseVersion reports whether seg, below parent, is the API's
// version with a pre-release label (v2.0-beta, v1-preview, 3.1_rc1),
// where versions live (compoundVersion) with more path below: isVersion
// reads the label only glued to the number (v1beta1).
func preReleaseVersion(parent *node, seg string, more bool) bool {
	if !more || parent.param {
		return false
	}
	i := dashIndex(seg)
	if i < 1 || i == len(seg)-1 {
		return false
	}
	ver, label := seg[:i], seg[i+1:]
	if !versionKey(ver) {
		return false
	}
	for _, p := range [...]string{"alpha", "beta", "preview", "rc", "dev", "snapshot", "experimental", "canary", "nightly"} {
		if strings.HasPrefix(label, p) {
			rest := strings.TrimLeft(label[len(p):], ".-_")
			return (rest == "" || isDigits(rest)) && (parent.parent == nil || namespaceWord(parent.key) || versionKey(parent.key))
		}
	}
	return false
}

// dashIndex is strings.IndexAny(s, "-_") without building a set of the
// two bytes on every call.
func dashIndex(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '-' || s[i] == '_' {
			return i
		}
	}
	return -1
}

// versionKey reports whether literal segment k is an API version (v1,
// v1.0, 2.0, v1.0.0).
func versionKey(k string) bool {
	return k != "" && (isVersion(k) || releaseVersion(k))
}

// paddedVersion reports whether seg is a version written with four
// zero-padded digits (Steam's v0001, v0002): isVersion reads up to three
// digits after the v, and a leading zero is no part of an identifier's
// number.
func paddedVersion(seg string) bool {
	return len(seg) == 5 && (seg[0] == 'v' || seg[0] == 'V') && seg[1] == '0' && isDigits(seg[2:])
}

// dataFormats are the suffixes an API writes after its endpoints to name
// the representation it answers with (/Calls/{sid}.json, /matters.json):
// data and text formats, not the media and archive types files are
// stored in (png, pdf, gz), whose names are values. At most 16: a bit
// each in node.exts.
var dataFormats = [...]string{"json", "xml", "csv", "tsv", "yaml", "yml", "html", "txt", "rss", "atom"}

// formatSuffix splits s into a stem and the bit of its data format suffix
// (connect.json → connect, json's bit); bit is 0 when s has none.
func formatSuffix(s string) (stem string, bit uint16) {
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 {
		return "", 0
	}
	ext := s[dot+1:]
	for i, f := range dataFormats {
		if ext == f {
			return s[:dot], 1 << i
		}
	}
	return "", 0
}

// addSuffix records on parameter p the data format written after its
// typed value seg (2400.json, aef3a6ca….json): the API writes that
// format after the ids of this collection.
func addSuffix(p *node, seg string) {
	if stem, bit := formatSuffix(seg); bit != 0 && mintedID(stem) {
		p.exts |= bit
	}
}

// mintedID reports whether s is an identifier a system mints: a number of
// three digits or more, a UUID, an ObjectId, a hash, a hex string or a
// random token (idFormat's nil: cus_NffrFeUfNV2Hib), not a name with a
// digit (churn_risk_v2, latency_p95). Dates and short codes (30d, 7d) are
// values of enumerations and calendars, which take words too (today.json,
// max.json beside 2026-11-18.json and 30d.json); minted ids do not.
func mintedID(s string) bool {
	switch Classify(s) {
	case Integer:
		return len(s) >= 3
	case UUID, ObjectID, Hash, Hex:
		return true
	case Token:
		var buf [maxFormat]byte
		return idFormat(&buf, s) == nil // a random token, not a name with a digit (churn_risk_v2)
	}
	return false
}

// wordFile returns the format bit of w when w is a file name whose stem
// is English words (connect.json, latest_added.json, who_am_i.json): the
// name of an operation or a view, answered in that format. Stems with
// digits, dots or coined parts (summer_smash_2024.json, jeff_atwood.json)
// are no such names.
func wordFile(w string) uint16 {
	stem, bit := formatSuffix(w)
	if bit == 0 || len(stem) < 2 {
		return 0
	}
	for i := 0; i < len(stem); i++ {
		if c := stem[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return 0
		}
	}
	if !madeOfWords(stem) {
		return 0
	}
	return bit
}

// fileOperation reports whether word w, beside parameter p whose typed
// values are written as files of one data format (/Calls/{sid}.json,
// /orders/{id}.json), is a file name of English words in that format
// (connect.json, shipping.json, randomize.json): an operation of the
// collection, answered in the API's format, as a lower-case word beside
// integer ids is (besideIDs), not one more instance.
//
// So is a script (login.php: scriptFile), and a file name whose stem the
// position already holds in another data
// format (content.json beside content.csv): one resource in two
// representations, not two values (representation).
func fileOperation(p *node, w string) bool {
	if p == nil || strings.IndexByte(w, '.') < 0 {
		return false // scripts and data files have an extension
	}
	if endpointFile(w) {
		return true
	}
	if p.exts != 0 {
		if b := wordFile(w); b != 0 && p.exts&b != 0 {
			return true
		}
	}
	return p.parent != nil && representation(p.parent, w)
}

// representation reports whether file name w, below n, has its stem in
// another data format beside it: a literal or a value of n's word
// parameter (/results/content.json beside /results/content.csv). An API
// answers one resource in several formats; values are named files, and
// one name in two formats at one position is the same resource.
func representation(n *node, w string) bool {
	stem, bit := formatSuffix(w)
	if bit == 0 {
		return false
	}
	for i, f := range dataFormats {
		if 1<<i == bit {
			continue
		}
		k := stem + "." + f
		if n.lits[k] != nil || n.pchild != nil && n.pchild.kind == Word && n.pchild.knows(k) {
			return true
		}
	}
	return false
}

// demoteRepresentations turns back into literals the values of n's word
// parameter, made by a lexical rule (collection slot, or same noun where
// a merge of tenants' sub-trees carried it), when they are all one stem in data formats and w, that stem
// in another format, arrives (representation), whichever came first: the
// parameter goes, its values become literals. Values with sub-paths of
// their own, or typed values beside them, keep it. It reports whether the
// tree changed.
func (t *tree) demoteRepresentations(n *node, w string) bool {
	p := n.pchild
	if t.frozen || p == nil || p.kind != Word || p.typed != 0 || p.rule != ruleCollectionSlot && p.rule != ruleSameNoun || len(p.known) == 0 ||
		p.pchild != nil || len(p.lits) > 0 || n.promoted || !representation(n, w) {
		return false
	}
	stem, _ := formatSuffix(w)
	for _, v := range p.known {
		if s, b := formatSuffix(v); b == 0 || s != stem {
			return false
		}
	}
	rest := append([]string(nil), p.known[1:]...)
	if c := n.lits[p.known[0]]; c != nil {
		n.pchild = nil // a merge brought the literal beside the parameter: the parameter joins it
		t.merge(c, p)
	} else {
		t.unslot(p, p.known[0])
	}
	for _, v := range rest {
		if n.lits[v] == nil {
			t.newLit(n, v)
		}
	}
	t.splits++
	return true
}

// demoteFileSlot turns back into literals the file names of English words
// that a lexical rule made parameter p from, when a typed value written in
// the same format (seg) now arrives beside them: fileOperation, whichever
// came first. A parameter of one such word becomes that literal again; of
// several, the ones that only ever ended there go (demoteLeaves). It
// reports whether p changed.
func (t *tree) demoteFileSlot(p *node, seg string) bool {
	if t.frozen || p == nil || !p.param || p.kind != Word || p.rule != ruleCollectionSlot || len(p.known) == 0 {
		return false
	}
	stem, bit := formatSuffix(seg)
	if bit == 0 || !mintedID(stem) {
		return false
	}
	if p.values > 1 {
		return t.demoteLeaves(p, func(w string) bool { return wordFile(w) == bit })
	}
	w := p.known[0]
	n := p.parent
	if p.values != 1 || len(p.known) != 1 || wordFile(w) != bit || n == nil || n.promoted || n.lits[w] != nil {
		return false
	}
	t.unslot(p, w)
	return true
}

// maxReleaseScan bounds the siblings sharedRelease compares.
const maxReleaseScan = 64

// noteRelease records on token parameter p its release-shaped value seg
// (2.2.1): the first one, or variedRelease once another arrives.
func noteRelease(p *node, seg string) {
	if p.release == variedRelease || !releaseVersion(seg) {
		return
	}
	if p.release == "" {
		p.release = strings.Clone(seg)
	} else if p.release != seg {
		p.release = variedRelease
	}
}

// variedRelease marks a parameter that held two releases.
const variedRelease = "\x00"

// sharedRelease reports whether release seg, arriving below literal word
// n for the first time, with more path below, is the version of the API
// rather than a value: a sibling of n already leads to it, as a literal or
// as the one release its parameter ever held (/ocpi/cpo/2.2.1/locations
// beside /ocpi/emsp/2.2.1/sessions). Releases of packages differ from one
// package to the next (/pypi/numpy/1.26.4/json, /pypi/requests/2.31.0/json);
// one API version is the same under each of its roles or services. The
// siblings' parameters of that one value become the literal, and so does
// seg below n. It reports whether the tree changed.
func (t *tree) sharedRelease(n *node, seg string, more bool) bool {
	if t.frozen || !more || n.param || n.pchild != nil || n.parent == nil || n.parent.param || !releaseVersion(seg) {
		return false
	}
	found, scanned := false, 0
	for _, k := range litKeys(n.parent) { // the scan is bounded
		c := n.parent.lits[k]
		if c == n || k == "" {
			continue
		}
		if scanned++; scanned > maxReleaseScan {
			break
		}
		if c.lits[seg] != nil {
			// A literal this rule made; not one the version rule reads
			// after an API word (/shipapi/v3.2.1 says nothing of
			// /tracker/v3.2.1).
			found = found || classifyAt(c, seg, true) == Token
			continue
		}
		if p := c.pchild; p != nil && p.release == seg && p.typed == 1<<Token && len(p.lits)+boolInt(p.pchild != nil) > 0 {
			t.literalRelease(c, seg)
			found = true
		}
	}
	if found && n.lits[seg] == nil {
		t.newLit(n, seg)
	}
	return found
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// literalRelease turns c's token parameter, which only ever held release
// seg, into the literal seg in place (its sub-tree and endpoints stay).
func (t *tree) literalRelease(c *node, seg string) {
	p := c.pchild
	c.pchild = nil
	p.param, p.key, p.name, p.kind = false, seg, "", Word
	p.typed, p.formats, p.prefixes, p.exts, p.release = 0, nil, nil, 0, ""
	if c.lits == nil {
		c.lits = make(map[string]*node, 4)
	}
	c.lits[seg] = p
	t.retemplate(p)
}

// reservedFile reports whether w is a reserved word in a data format
// (last.json, search.json, count.xml): the operation or singleton the
// word names, answered in that format, as valueShaped reads count.json.
func reservedFile(w string) bool {
	stem, bit := formatSuffix(w)
	return bit != 0 && reservedLiterals[stem]
}

// endpointFile reports whether w names an endpoint as a file: a script
// (scriptFile) or an operation answered in a data format (operationFile).
func endpointFile(w string) bool { return scriptFile(w) || operationFile(w) }

// operationFile reports whether w is an operation's name in a data format
// (add.json, list-pools.json, send-template.xml): a verb, a verb-led
// kebab-case compound or a remote read (info.json, search.json).
// RPC-style APIs (Mandrill's /api/1.0/rejects/add.json) name their
// methods so; values are not named as commands. A compound led by another
// word (generation_config.json) or written in snake case, as users name
// their data (Tinybird's pipes: search_ranking.json), may be a value.
func operationFile(w string) bool {
	stem, bit := formatSuffix(w)
	if bit == 0 {
		return false
	}
	if lexiconVerbs[stem] || rpcReads[stem] {
		return true
	}
	i := strings.IndexByte(stem, '-')
	return i > 0 && lexiconVerbs[stem[:i]] && operationName(stem)
}

// scriptFile reports whether w is the name of a server-side script or
// handler (login.php, Orders.asmx, daily.aspx, search.cgi): a web server
// runs it to answer the call, so it names an endpoint; instances are not
// named as scripts. Source files in a repository API (src/app.py) are
// values, so only the extensions web servers dispatch on count.
func scriptFile(w string) bool {
	dot := strings.LastIndexByte(w, '.')
	if dot <= 0 {
		return false
	}
	switch w[dot+1:] {
	case "php", "asp", "aspx", "asmx", "ashx", "jsp", "cgi":
		return true
	}
	return false
}
