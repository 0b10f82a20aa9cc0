package discovery

import (
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// node is one position of a host's learned path tree. A node is a literal
// segment or the parameter of its parent; endpoints hang off the node
// their path ends at, one per method.
type node struct {
	parent *node
	key    string // literal segment, "" for a parameter node
	param  bool
	kind   Kind   // parameter kind (Mixed when several were seen)
	name   string // parameter name
	tmpl   string // template from the root, e.g. /api/v2/orders/{id}
	depth  int

	lits   map[string]*node
	pchild *node
	eps    []*endpoint

	calls int64 // calls whose path reached this node

	// Evidence of the statistical rule, on a parameter node made from
	// plain words: how many distinct values were merged, a few of them,
	// and the confidence of the decision.
	values     int
	samples    []string
	confidence float64
	promoted   bool // on the parent: its word children became pchild
	rule       rule // the rule that made a plain-word parameter

	// prefixes are the letter prefixes of the typed values of a parameter
	// node ("GC" of GC319989, "cus" of cus_Nffr...), at most maxPrefixes.
	prefixes []string
	// formats are the character-class shapes of the token values of a
	// parameter node (A9 of P12345, 9.9.9 of 4.18.2; see idFormat), at
	// most maxPrefixes.
	formats []string
	// exts are the data formats (dataFormats bits) written after the
	// typed values of a parameter node (/Calls/{sid}.json; shapes.go).
	exts uint16
	// release is the one release-shaped value (2.2.1) of a token
	// parameter, variedRelease once it held two (sharedRelease).
	release string
	// known are the first maxKnown plain-word values merged into the
	// parameter: evidence for the same values in a sibling position.
	known []string
	// wordKids are literal children of this node whose own children
	// became a plain-word parameter (cousin evidence), at most maxWordKids.
	wordKids []*node
	// volKey is the evidence (tree size, parameter values) at which this
	// literal was last found not to join its parent's parameter by volume,
	// so the test runs again only when that evidence changed.
	volKey int

	// vstats are, on a word parameter of a few values, what traffic showed
	// of each of p.known (volume.go); closed marks a position whose words
	// traffic showed to be a closed set of names (splitClosed).
	vstats  []valueStat
	checkAt int64 // p.calls at which splitClosed looks again
	closed  bool
	scoped  bool        // scopedDue has looked at this parameter's words (position.go)
	named   bool        // a literal traffic showed to be a name of the API (demoteConstant, demoteNamed)
	varied  bool        // a word parameter entered by a word other than known[0] (noteEntry)
	shared  bool        // two of its words took one continuation (noteValue): values, vstats no longer kept
	mixedAt int64       // p.calls at which splitMixed looks again (mixed.go)
	offAt   int64       // p.calls at which splitOff looks again (mixed.go)
	deepAt  int         // t.nodes when deepTenants last found nothing below this position (mixed.go)
	typed   uint16      // on a parameter, the typed kinds (1<<Kind) its values had, whatever words joined since
	apart   bool        // a literal traffic showed to be no value of the parameter beside it (splitOff): no rule merges it back
	kf      keyFacts    // on a literal, facts of its key (facts), 0 until first read
	rec     *recurState // what the recurrence rules keep (recur.go), nil until one needs it
}

// keyFacts are facts of a literal's key that the sibling rules read for
// every literal of a position at every look (absorbIDLike, promote): pure
// functions of the key, computed on first use and kept, as a literal's key
// never changes (a parameter that becomes a literal in place keeps none:
// facts keeps them only for literals). The bits fit in the padding of node.
type keyFacts uint16

const (
	kfKnown        keyFacts = 1 << iota // the bits below were computed
	kfWord                              // Classify(key) == Word
	kfReserved                          // reservedLiterals[key]
	kfSystem                            // systemName(key)
	kfReservedPart                      // reservedPart(key)
	kfByField                           // byField(key)
	kfScript                            // endpointFile(key)
	kfPlainLower                        // plainLower(key)
	kfJoinWord                          // joinsUnreserved's tests of the word alone hold (joinWord)
	kfCamel                             // camelName(key)
)

// facts returns the facts of n's key.
func (n *node) facts() keyFacts {
	if n.kf != 0 {
		return n.kf
	}
	k, f := n.key, kfKnown
	for _, b := range [...]struct {
		bit keyFacts
		ok  bool
	}{
		{kfWord, Classify(k) == Word}, {kfReserved, reservedLiterals[k]}, {kfSystem, systemName(k)},
		{kfReservedPart, reservedPart(k)}, {kfByField, byField(k)}, {kfScript, endpointFile(k)},
		{kfPlainLower, plainLower(k)}, {kfJoinWord, joinWord(k)}, {kfCamel, camelName(k)},
	} {
		if b.ok {
			f |= b.bit
		}
	}
	if !n.param {
		n.kf = f
	}
	return f
}

const (
	maxWordKids = 16
	// maxCousinScan bounds the siblings re-examined when a position
	// gains cousin evidence; past it, they are examined as they change.
	maxCousinScan = 256
)

const maxKnown = 32

// addValue counts one more plain-word value merged into parameter p and
// reports whether it was new to p.known. A value already known is not
// counted again (past maxKnown values, repeats are: the count is then an
// upper bound).
func (p *node) addValue(v string) bool {
	if slices.Contains(p.known, v) {
		return false
	}
	p.values++
	if len(p.samples) < 5 {
		p.samples = append(p.samples, strings.Clone(v))
	}
	if len(p.known) >= maxKnown {
		return false
	}
	p.known = append(p.known, strings.Clone(v))
	return true
}

const maxPrefixes = 4

// rule is the rule that made a plain-word parameter, kept as evidence.
type rule uint8

const (
	ruleNone           rule = iota // sibling cardinality and the rules of maybePromote
	ruleCollectionSlot             // after a collection noun, a word that is no resource word
	ruleAligned                    // words aligned on typed identifiers below them
	ruleNested                     // words leading to a collection of instances of their own
	ruleSameNoun                   // values the same noun holds elsewhere in the API
	ruleSystemOps                  // words leading to the same system operation (_find, _search)
	ruleFileName                   // segments a package file below repeats (app/1.0/app-1.0.jar)
	ruleTenant                     // words at a namespace position with the same sub-resources (volume.go)
	ruleCoined                     // three or more codes or coined names, no English words (words.go)
	ruleLocale                     // a language code right after the API's version (position.go)
)

var ruleNames = [...]string{"sibling_cardinality", "collection_slot", "aligned", "nested_collection", "same_noun", "system_operation", "file_name", "tenant", "coined_name", "locale"}

func (r rule) String() string { return ruleNames[r] }

// knows reports whether plain word v was merged into parameter p: the
// same value under the same parent goes to the parameter again.
func (p *node) knows(v string) bool {
	return p.values > 0 && slices.Contains(p.known, v)
}

// slotConfidence is the confidence of a parameter made by the
// collection-slot rule from lexical evidence alone.
const slotConfidence = 0.6

// slotValue reports whether plain word w, below literal n, names an
// instance by REST's collection/instance alternation and the word itself:
// after a collection noun ("crates", "repositories", "dns_records") a word
// that is not a resource word (serde, atlassian, dtolnay), or after a
// resource noun a word shaped like a value (user1, web.1, report.pdf).
// Reserved words, namespaces and versions keep their meaning; the rule
// reads the words only, so it does not depend on arrival order.
func slotValue(n *node, w string) bool {
	ok, _ := slotReading(n, w)
	return ok
}

// slotReading is slotValue before it sets English words apart: whether
// the word reads as an instance, and whether it does so only as a word
// that is no resource word after a plural collection noun (plain).
func slotReading(n *node, w string) (ok, plain bool) {
	if systemName(w) || byField(w) || representation(n, w) || reservedFile(w) || endpointFile(w) || camelName(w) || predicateName(w) {
		return false, false // _find, _compact: a system's operation; by-email: a lookup; content.json beside content.csv (shapes.go); ProfitAndLoss: a name (heldout.go)
	}
	if hostName(w) {
		return true, false // mg.example-shop.com: a domain is a value wherever it is, even after a version
	}
	if formatCode(n, w) {
		return false, false // /cid/{id}/JSON, /cid/{id}/PNG: the output format, one of an enumeration
	}
	if n.param {
		return titleValue(n, w), false
	}
	if tagNouns[n.key] && tagLabels[w] {
		return true, false // /tags/latest: a tag named like a release channel
	}
	if n.parent != nil && Classify(n.key) == Word {
		// /services/billing-service, /projects/platform-team: a compound
		// name in a collection, even of resource words; after another
		// word that is no namespace (/secret/data/db-password,
		// /pki/issue/example-dot-com), one that starts with no qualifier.
		if pluralNoun(n.key) && !settingsNouns[n.key] && (instanceCompound(w, false) || snakeCompound(w)) ||
			n.parent.parent != nil && !namespaceWord(n.key) && !reservedLiterals[n.key] && instanceCompound(w, true) && !resourceFile(n, w) {
			return true, false
		}
	}
	if n.parent == nil || len(w) < 2 || reservedLiterals[w] || namespaceWord(n.key) || Classify(n.key) != Word || reservedPart(w) {
		return false, false
	}
	if w[0] == '$' || w[0] == '@' { // OData's $count, Discord's @me: operations and aliases
		if r := w[1:]; reservedLiterals[r] || resourceWord(r) {
			return false, false
		}
	}
	if qualifiedName(w) {
		return false, false // Microsoft.Compute: a namespace or type name
	}
	if upperCode(w) {
		return true, false // /wiki/rest/api/space/DEV: a key, not a resource name
	}
	if (titleCase(w) || titleDigits(w) || titleFile(w)) && titleCase(n.key) {
		// An API that capitalises its collections (/Reports, /Invoices)
		// capitalises its resource names too: /Reports/BalanceSheet is a
		// resource, as titleValue's capitals in a lower-case API are values.
		return false, false
	}
	if containerNouns[n.key] && !lexiconVerbs[w] && !lexiconQualifiers[w] {
		return !(pluralNoun(w) && resourceWord(w)) && !lookupField(w), false // a container's name (session 11)
	}
	if fieldNouns[n.key] || byField(n.key) {
		// /dashboards/uid/cIBgcSjkk, /timelines/tag/rust, /branches/main;
		// a collection below one is a sub-resource (/tags/releases).
		// /tags/slug/x: a field a collection is looked up by, no value.
		return !(pluralNoun(w) && resourceWord(w)) && !lookupField(w) && !lexiconVerbs[w], false // /tags/add: an operation on the tags
	}
	collection := pluralNoun(n.key) && (resourceWord(n.key) || singlePart(n.key)) && !settingsNouns[n.key]
	if valueShaped(w) {
		return collection || resourceWord(n.key) && !resourceFile(n, w), false
	}
	ok = collection && !resourceWord(w) && !pluralNoun(w)
	return ok, ok
}

// snakeCompound reports whether w is a snake_case name that
// instanceCompound would take written in kebab case (new_checkout_flow,
// homepage_banner): after a plural collection it names one instance.
func snakeCompound(w string) bool {
	if len(w) < 3 || len(w) > 64 || strings.IndexByte(w, '-') >= 0 || strings.IndexByte(w, '_') < 0 {
		return false
	}
	var buf [64]byte
	for i := 0; i < len(w); i++ {
		buf[i] = w[i]
		if w[i] == '_' {
			buf[i] = '-'
		}
	}
	return instanceCompound(string(buf[:len(w)]), false)
}

// hostName reports whether w is a DNS name of three or more labels
// (mg.example-shop.com, mail.example.io): lower-case letters, digits and
// '-', the last label 2 to 6 letters. Resource names are not host names;
// names of one dot (api.php, mapbox.places) are left to the other rules.
func hostName(w string) bool {
	dots, start := 0, 0
	for i := 0; i <= len(w); i++ {
		if i < len(w) && w[i] != '.' {
			c := w[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
			continue
		}
		if i == start || w[start] == '-' || w[i-1] == '-' {
			return false // an empty label, or one that starts or ends with '-'
		}
		if i-start >= 2 && (w[start] == 'v' || w[start] == 'V') && isVersion(w[start:i]) {
			return false // oauth.v2.access: a versioned method's name (Slack), no host
		}
		if i < len(w) {
			dots++
			start = i + 1
		}
	}
	last := w[start:]
	if dots < 2 || len(last) < 2 || len(last) > 6 || lexiconFunctionWords[last] {
		return false
	}
	for i := 0; i < len(last); i++ {
		if c := last[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// tagNouns name a collection of tags; a release channel (latest,
// stable) after one is a tag's name, not an operation.
var tagNouns = map[string]bool{"tag": true, "tags": true, "manifests": true}

// releaseNouns name a release or a version, so a version after one is
// a value (/release/v2.1, /versions/v3, /branches/v2).
var releaseNouns = map[string]bool{"release": true, "releases": true, "versions": true, "branch": true, "branches": true, "refs": true}

// tagLabels are the names release channels give tags.
var tagLabels = map[string]bool{"latest": true, "stable": true, "edge": true, "nightly": true, "beta": true, "alpha": true, "canary": true, "lts": true}

// formatCode reports whether upper-case code w, below n, names an output
// format: a format of the vocabulary written in capitals (JSON, XML,
// TXT), or an upper-case code beside one at the same position (PNG
// beside JSON): an API that spells one format so enumerates its formats
// there, where values (symbols, keys) have no format beside them.
func formatCode(n *node, w string) bool {
	if !upperCode(w) {
		return false
	}
	if formatWord(w) {
		return true
	}
	for k := range n.lits {
		if upperCode(k) && formatWord(k) {
			return true
		}
	}
	return false
}

// upperCodes reports whether plain-word parameter p holds upper-case
// codes only (AAPL, PNG).
func upperCodes(p *node) bool {
	if p.kind != Word || len(p.known) == 0 {
		return false
	}
	for _, v := range p.known {
		if !upperCode(v) {
			return false
		}
	}
	return true
}

// formatWord reports whether w is a format of the vocabulary (json,
// XML) in any case.
func formatWord(w string) bool {
	var buf [8]byte
	if len(w) > len(buf) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return lexiconFormats[string(buf[:len(w)])]
}

// demoteFormat turns n's parameter back into the literal it was made
// from when the collection-slot rule made it from one upper-case code and
// a format code now arrives beside it (formatCode): the code was a
// format too, whichever came first. It reports whether it demoted.
func (t *tree) demoteFormat(n *node) bool {
	p := n.pchild
	if t.frozen || p == nil || p.rule != ruleCollectionSlot || p.values != 1 || len(p.known) != 1 || !upperCode(p.known[0]) || n.lits[p.known[0]] != nil {
		return false
	}
	t.unslot(p, p.known[0])
	return true
}

// titleValue reports whether w, right after parameter n, is a
// capitalised name (Tasks, Documents, FishStew) or an upper-case code
// (AMZN, EUR; see upperCode) in an API that writes
// its resource names in lower case: the nearest literal above n starts
// with a lower-case letter or a digit. Twilio's /Accounts/{sid}/Calls
// writes resources capitalised, so its words stay literal.
//
// In an API that capitalises its resource names (/Holidays/{year}/DE), a
// code of two or three capital letters right after a numeric parameter is
// a value too (letterCode): capitalised resource names are written in
// title case, and a country, currency or language code follows a number
// (a year, an id) as its qualifier.
func titleValue(n *node, w string) bool {
	if w = formatStem(w); !titleCase(w) && !upperCode(w) { // Revenues.json: a value as a file (position.go)
		return false
	}
	if formatParam(n) {
		return false // /stats/{format}/PlayerSeasonStats: after the output format, the API's operation
	}
	for a := n.parent; a != nil && a.parent != nil; a = a.parent {
		if !a.param {
			c := a.key[0]
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				return true
			}
			return n.kind == Integer && letterCode(w) && !allCaps(a.key)
		}
	}
	return false
}

// formatParam reports whether n is a parameter whose values are all
// output formats (json, XML): an API that puts the format in the path
// names its operations after it in its own case.
func formatParam(n *node) bool {
	if !n.param || n.kind != Word || len(n.known) == 0 {
		return false
	}
	for _, v := range n.known {
		if !formatWord(v) {
			return false
		}
	}
	return true
}

// letterCode reports whether w is two or three capital letters (DE, USD).
func letterCode(w string) bool {
	if len(w) < 2 || len(w) > 3 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return true
}

// allCaps reports whether w has no lower-case letter (/ORDERS, /API_V2):
// an API that writes its resource names in capitals.
func allCaps(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= 'a' && w[i] <= 'z' {
			return false
		}
	}
	return true
}

// titleCase reports whether w is a capitalised word or compound of
// letters (Tasks, FishStew, CircleCI-Public): an upper-case letter, then
// at least two letters, not all capitals; a part after '-' is
// capitalised too.
func titleCase(w string) bool {
	if len(w) < 3 || w[0] < 'A' || w[0] > 'Z' || w[len(w)-1] == '-' {
		return false
	}
	lower := false
	for i := 1; i < len(w); i++ {
		switch c := w[i]; {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
		case c == '-' && w[i-1] != '-' && w[i+1] >= 'A' && w[i+1] <= 'Z':
		default:
			return false
		}
	}
	return lower
}

// titleDigits reports whether w is a capitalised name with digits in it
// (Destiny2, GroupV2): letters and digits, a capital first and a
// lower-case letter before the first digit.
func titleDigits(w string) bool {
	i := strings.IndexAny(w, "0123456789")
	if i < 3 || !titleCase(w[:i]) {
		return false
	}
	for ; i < len(w); i++ {
		if c := w[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// reservedPart reports whether w is a camelCase compound of letters
// whose first part is a reserved word (lastBuild, nextToken, meTeams):
// an operation or alias named in code, not a value. Kebab-case names
// with such a part (q1-summary.pdf, feature-login) are values.
func reservedPart(w string) bool {
	// Letters only: the parts meet at camelCase boundaries, and a word
	// without one is a single part. One pass finds both.
	cut := 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
		if cut == 0 && i > 0 && c <= 'Z' && w[i-1] >= 'a' {
			cut = i // c is a capital, the byte before a lower-case letter
		}
	}
	return cut > 0 && reservedLiterals[w[:cut]]
}

// upperCode reports whether w is an upper-case code of 2 to 32 letters,
// digits and '_' with at least two letters (DEV, OPS, USD, EU_WEST):
// resource names in paths are not written in capitals.
func upperCode(w string) bool {
	if len(w) < 2 || len(w) > 32 {
		return false
	}
	letters := 0
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= 'A' && c <= 'Z':
			letters++
		case c >= '0' && c <= '9', c == '_' && i > 0:
		default:
			return false
		}
	}
	return letters >= 2
}

// qualifiedName reports whether w is a dotted name of capitalised words
// (Microsoft.Compute, Google.Cloud.Storage): a namespace or type name.
func qualifiedName(w string) bool {
	parts, ok := 0, true
	start := 0
	for i := 0; i <= len(w) && ok; i++ {
		if i < len(w) && w[i] != '.' {
			c := w[i]
			ok = i == start && c >= 'A' && c <= 'Z' || i > start && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
			continue
		}
		ok = i > start
		parts++
		start = i + 1
	}
	return ok && parts >= 2
}

// fieldNouns name the field an instance is looked up by, or a kind of
// reference; the segment after one is a value whatever word it is.
var fieldNouns = map[string]bool{
	"uid": true, "uuid": true, "guid": true, "slug": true, "name": true, "username": true, "handle": true,
	"tag": true, "tags": true, "branch": true, "branches": true, "revision": true,
}

// containerNouns name the containers a data API keeps its records in
// (collections, tables, indexes, schemas, models): after one, a word is a
// container's name, chosen by the API's users, even a singular resource
// word (/collections/films, /schemas/customer, /indexes/default), as
// after a field noun; verbs and qualifiers there are operations and views
// of the containers (/collections/featured), plurals their sub-resources.
var containerNouns = map[string]bool{ // session 12: functions … queues (names people give their code, jobs and stores)
	"collections": true, "tables": true, "indexes": true, "indices": true, "schemas": true, "entities": true,
	"models": true, "datasets": true, "content_types": true, "content-types": true, "contenttypes": true,
	"functions": true, "workflows": true, "pipelines": true, "buckets": true, "queues": true,
}

// lookupField reports whether s names the one field a collection is
// looked up by (slug, uid, by-email): a singular field noun or a by-field
// word. Plurals among the field nouns (tags, branches) are collections.
func lookupField(s string) bool {
	return byField(s) || fieldNouns[s] && !pluralNoun(s)
}

// byField reports whether s names a lookup by a field (by-email,
// by_name, byUsername): the segment after it is that field's value.
func byField(s string) bool {
	if len(s) < 4 || s[0] != 'b' || s[1] != 'y' {
		return false
	}
	c := s[2]
	return c == '-' || c == '_' || c >= 'A' && c <= 'Z'
}

// singlePart reports whether s is one word (no separators, no camelCase).
func singlePart(s string) bool {
	var buf [maxWordParts]string
	return len(splitParts(s, &buf)) == 1
}

// instanceParam reports whether parameter p holds instances on its own
// evidence (typed values, or words in a collection slot), so that words
// leading to its sub-resources are instances too.
func (p *node) instanceParam() bool {
	return p.kind != Word || p.rule == ruleCollectionSlot || p.rule == ruleAligned || p.rule == ruleNested || p.rule == ruleSameNoun || p.rule == ruleSystemOps || p.rule == ruleFileName || p.rule == ruleTenant
}

// nestedInstance reports whether word w, a child of n, is an instance by
// REST's collection/instance alternation one level down: it sits in a
// collection slot (after a plural collection noun, or, when it is no
// resource word, after a parameter that holds instances) and leads to a
// collection of its own whose parameter holds instances
// (/projects/platform/members/12, /namespaces/payments/deployments/{name},
// /repos/{owner}/tea/issues/612). A resource noun leads to its
// sub-resources directly (/projects/{id}/members), so a word between two
// collections names a member of the first. Plurals (a sub-collection:
// /users/{id}/repos/{id}), reserved words and namespaces stay literal,
// dotted type names (/providers/Microsoft.Compute/virtualMachines/{id}),
// a resource word after a parameter
// (/projects/{id}/repository/commits/{sha}) and any word after a typed
// id (integer, UUID, token, ...), which names its instance alone
// (/staff/{id}/timesheet/weeks/{id}: session 11, TestAfterMintedID).
func nestedInstance(n, w *node) bool {
	if !nestedSlot(n) || w.param || w.apart || namesHere(n) || len(w.lits) == 0 || reservedLiterals[w.key] || pluralNoun(w.key) || len(w.key) < 2 || qualifiedName(w.key) || Classify(w.key) != Word {
		return false
	}
	switch w.key[0] {
	case '_', '$', '-', '.', '@':
		return false
	}
	if n.param && (resourceWord(w.key) || n.kind != Word) {
		return false // a typed id names its instance alone: a word after it is a sub-resource (s11-a)
	}
	for k, c := range w.lits {
		if c.pchild != nil && c.pchild.instanceParam() && pluralNoun(k) && !reservedLiterals[k] && Classify(k) == Word {
			return true
		}
	}
	return false
}

// nestedSlot reports whether n's children are in a collection slot for
// nestedInstance: n is a plural collection noun or a parameter holding
// instances.
func nestedSlot(n *node) bool {
	if n.param {
		return n.instanceParam()
	}
	return n.parent != nil && pluralNoun(n.key) && !namespaceWord(n.key) && Classify(n.key) == Word
}

// nestedChanged re-applies the rules two levels up after collection c
// gained a parameter holding instances: the word above c may now be an
// instance (nestedInstance). It reports whether the tree changed.
func (t *tree) nestedChanged(c *node) bool {
	if t.frozen || c == nil || c.param || c.parent == nil || c.parent.param || c.parent.parent == nil {
		return false
	}
	x, n := c.parent, c.parent.parent
	if n.lits[x.key] != x || !nestedInstance(n, x) {
		return false
	}
	if !t.promoteNested(n, []*node{x}) {
		return false
	}
	t.absorbIDLike(n.parent)
	return true
}

// cousinKnows reports whether w is a value of a plain-word parameter in
// a sibling position of n (/simple/requests beside /pypi/{name} holding
// requests).
func cousinKnows(n *node, w string) bool {
	if n.parent == nil {
		return false
	}
	for _, s := range n.parent.wordKids {
		if s != n && s.pchild != nil && s.pchild.knows(w) && !loneSlot(s.pchild) && n.parent.lits[s.key] == s {
			return true
		}
	}
	return false
}

// loneSlot reports whether p is a word parameter a lexical rule made
// from one file name alone (standings.json): a literal arriving later
// beside it may show the file to be a resource in a format and undo the
// parameter (demoteFile), so it vouches for no cousin's words, which
// would stay merged once it is undone.
func loneSlot(p *node) bool {
	return p.kind == Word && lexicalRule(p.rule) && p.values == 1 && len(p.known) == 1 && strings.IndexByte(p.known[0], '.') >= 0
}

// joinsInstance reports whether plain word w, beside parameter p that
// holds instances on its own evidence, is one more instance: it is no
// resource word, no reserved word or camelCase compound led by one
// (lastBuild, nextToken) and no system name (_cat, $metadata).
func joinsInstance(w string, p *node) bool {
	return !reservedLiterals[w] && joinsUnreserved(w, p)
}

// joinsUnreserved is joinsInstance for a word known to be no reserved
// literal (the walk tests that first).
func joinsUnreserved(w string, p *node) bool {
	// The cheap tests first: all are pure, so the order changes no answer.
	if !p.instanceParam() || len(w) < 2 {
		return false
	}
	switch w[0] {
	case '_', '$', '-', '.':
		return false
	}
	if plainLower(w) {
		// One lower-case word: no file, lookup, dotted name, compound or
		// operation; a resource word when the lexicon has it.
		return !codeIDs(p) && !upperCodes(p) && !inLexicon(w) && namespaceJoin(w, p) // besideIDs; /cid/{id}/synonyms beside PNG: values of one parameter share a case
	}
	if fileOperation(p, w) {
		return false // connect.json beside {sid}.json (shapes.go)
	}
	if byField(w) || qualifiedName(w) || reservedPart(w) || operationName(w) || customMethod(w) {
		return false
	}
	return !resourceWord(w) && !capitalResource(w, p) && namespaceJoin(w, p) // the word list last: the dearest test
}

// camelHump reports whether a capital of w follows a lower-case letter
// (RtiTransaction).
func camelHump(w string) bool {
	for i := 1; i < len(w); i++ {
		if w[i] >= 'A' && w[i] <= 'Z' && w[i-1] >= 'a' && w[i-1] <= 'z' {
			return true
		}
	}
	return false
}

// capitalResource reports whether w, a capitalised name of words or a
// capitalised compound (PaySchedule, RtiTransaction), sits below
// parameter p in an API that capitalises its collections
// (/Employer/{id}): there it is one of the API's resources, as titleValue
// reads it, and joins no instance (session 14: payrun.io in the OpenAPI
// directory). A capitalised word alone (London) may still be a value.
func capitalResource(w string, p *node) bool {
	if !titleCase(w) {
		return false
	}
	for a := p.parent; a != nil && a.parent != nil; a = a.parent {
		if !a.param {
			return titleCase(a.key) && (camelHump(w) || madeOfWords(w))
		}
	}
	return false
}

// namespaceJoin reports whether word w may join parameter p by its
// position: right after an API prefix, a version or the caller (/me/), where an API names
// its resources, only a word that is no English word either. A big API
// names a hundred resources there; one parameter among them (a tenant)
// does not make the others values (the OpenAPI directory: session 13).
// The root is left out: registries name their packages there (/react,
// /express).
func namespaceJoin(w string, p *node) bool {
	return !afterPrefix(p) || !madeOfWords(w)
}

// afterPrefix reports whether parameter p sits right after an API prefix,
// a version or the caller (namespaceJoin's positions), where an API names
// its collections.
func afterPrefix(p *node) bool {
	n := p.parent
	return n != nil && n.parent != nil && (namespaceWord(n.key) || versionLit(n) || selfWord(n.key))
}

// selfWord reports whether k names the caller (/me/, /my/, /users/self/):
// what follows is the caller's own resources (/me/calendarGroups,
// /my/wishlist), named as an API names its resources after a version.
func selfWord(k string) bool {
	switch k {
	case "me", "my", "self", "myself", "mine", "current-user", "currentUser", "@me":
		return true
	}
	return false
}

// joinWord is joinsUnreserved's tests of word w alone, without the
// parameter's.
func joinWord(w string) bool {
	if len(w) < 2 {
		return false
	}
	switch w[0] {
	case '_', '$', '-', '.':
		return false
	}
	return !byField(w) && !qualifiedName(w) && !reservedPart(w) && !operationName(w) && !customMethod(w) && !resourceWord(w)
}

// capitalBesideTyped is capitalResource beside a typed parameter
// (/Employer/{id}/{date}): the capitalised resources there share its
// sub-resources (Summary, Tag) as resources of one instance do, and the
// literal reads of capitalised words as values (titleValue) do not hold.
func capitalBesideTyped(w string, p *node) bool {
	return p.kind != Word && capitalResource(w, p)
}

// apiResource reports whether word w, beside parameter p, is one of the
// API's resources however many sub-resources the two share: a
// capitalised resource beside a typed parameter (capitalBesideTyped), or
// a resource word of the vocabulary right after a version
// (/content/v2.1/accounts/batch beside /content/v2.1/{merchantId}/batch;
// session 14).
func apiResource(w string, p *node) bool {
	return capitalBesideTyped(w, p) || versionLit(p.parent) && resourceWord(w)
}

// collectionNext reports whether plain word w, followed by the rest of a
// path, is a plural noun of words before an integer or UUID id
// (/api/dcim/power-feeds/17): a collection before its ids, as
// collectionBeforeID reads it once the ids are a parameter.
func collectionNext(w, rest string) bool {
	if !pluralNoun(w) {
		return false
	}
	next, _ := nextSeg(rest)
	k := Classify(next)
	return (k == Integer || k == UUID) && madeOfWords(w)
}

// typedNext reports whether the rest of a path starts with a typed
// segment (an id, a token, a date; no word and no version): after an API
// prefix, the word before it is a collection (/api/transport-twilio/{id}),
// unless it is an upper-case code (/rest/MED/{id}: a source, a value).
func typedNext(rest string) bool {
	next, _ := nextSeg(rest)
	k := Classify(next)
	return next != "" && k != Word && k != Version
}

// litJoins is joinsInstance for literal c, beside parameter p, from the
// facts of its key.
func litJoins(c, p *node) bool {
	f := c.facts()
	if f&(kfReserved|kfJoinWord) != kfJoinWord || !p.instanceParam() || fileOperation(p, c.key) || collectionBeforeID(c) && pluralNoun(c.key) && madeOfWords(c.key) || afterPrefix(p) && c.pchild != nil && c.pchild.kind != Word && !upperCode(c.key) {
		return false // a collection before its ids (/api/dcim/cables/{id}; after an API prefix, /api/transport-twilio/{id}) is no instance beside p
	}
	return (f&kfPlainLower == 0 || !codeIDs(p) && !upperCodes(p)) && !capitalBesideTyped(c.key, p) && namespaceJoin(c.key, p)
}

// resourceType reports whether word w is a capitalised name (Patient,
// Observation, Calls) that leads to typed identifiers: a resource type
// before its instances (FHIR's /Patient/{id}, Twilio's /Calls/{sid}), not
// a value, though capitals make other words read as values.
func resourceType(w *node) bool {
	return titleCase(w.key) && w.pchild != nil && w.pchild.kind != Word
}

// demoteSlot turns parameter p back into the literal it was made from
// when the collection-slot rule made it from one plain word and that
// word now leads both to integer or UUID identifiers and to an operation
// on a collection (batch, search, count, ...): /orders/historical/{uuid}
// beside /orders/historical/batch names a collection, not an order. An
// instance leads to its sub-resources, and may lead to numbers
// (/jobs/frontend/1412, a build), but not to operations on a set. A slot
// value seen once is the rule's weakest evidence; two or more values
// stay a parameter. It reports whether p was demoted.
func (t *tree) demoteSlot(p *node) bool {
	if t.frozen || p == nil || !p.param || p.rule != ruleCollectionSlot || p.values != 1 || len(p.known) != 1 {
		return false
	}
	if c := p.pchild; c == nil || c.kind != Integer && c.kind != UUID || !hasCollectionOp(p) {
		return false
	}
	n, w := p.parent, p.known[0]
	if n == nil || n.promoted || n.lits[w] != nil || valueShaped(w) || valueLike(w) || !singlePart(w) {
		return false
	}
	t.unslot(p, w)
	return true
}

// unslot turns parameter p, made from the one word w, into the literal w,
// and returns that literal. When p also holds typed values (a token
// joined the word: /users/natural, then /users/user_m_01J8…/wallets),
// those values and their sub-paths stay with the parameter, and w becomes
// a new literal beside it.
func (t *tree) unslot(p *node, w string) *node {
	n := p.parent
	if p.typed != 0 {
		p.rule, p.values, p.known, p.samples, p.confidence = ruleNone, 0, nil, nil, 0
		p.vstats, p.varied, p.shared, p.closed = nil, false, false, false
		if k := typedKind(p.typed); k != Mixed && p.kind != k {
			p.kind = k
			t.retemplate(p)
		}
		if c := n.lits[w]; c != nil {
			return c
		}
		return t.newLit(n, w)
	}
	n.pchild = nil
	p.param, p.key, p.name = false, w, ""
	p.rule, p.values, p.known, p.samples, p.confidence, p.kind = ruleNone, 0, nil, nil, 0, Word
	if n.lits == nil {
		n.lits = make(map[string]*node, 4)
	}
	n.lits[w] = p
	t.index(p)
	t.retemplate(p)
	return p
}

// typedKind is the one kind of the typed-kinds set typed (1<<Kind), or
// Mixed when it holds several.
func typedKind(typed uint16) Kind {
	if typed == 0 || typed&(typed-1) != 0 {
		return Mixed
	}
	return Kind(bits.TrailingZeros16(typed))
}

// besideIDs reports whether plain word w arrives beside integer or UUID
// ids (n's parameter): a single lower-case word there is an operation or
// a view of the collection (/actions/poweroff beside /actions/{id},
// /orders/pending), not one more instance, as idLike already reads such
// words for the identifier slot; the collection-slot and joining rules
// agree with it.
func besideIDs(n *node, w string) bool {
	p := n.pchild
	return p != nil && (fileOperation(p, w) || codeIDs(p) && (plainLower(w) || operationName(w)) && !(tagNouns[n.key] && tagLabels[w]))
}

// codeIDs reports whether parameter p holds integers, UUIDs, or tokens
// written without lower-case letters (LH400, NC04, 00AEGW, 2024-05871.json;
// random tokens beside them tell neither way, alone they are no codes):
// codes, where values of one parameter share a letter case. Beside them
// a plain lower-case word is of another kind, a name of the API
// (/flightstatus/departures beside /flightstatus/LH400, /documents/facets
// beside /documents/2024-05871.json). Tokens with lower-case letters
// (jsmith-42, HuggingFaceH4, random ids) may stand beside names written
// as words (/entries/nyancat beside /entries/5KsDBWseXY6Qeguc).
func codeIDs(p *node) bool {
	switch p.kind {
	case Integer, UUID:
		return true
	case Mixed:
		// Words joined the ids (a kebab compound, head-to-head): the ids
		// are still integers or UUIDs, and a lower-case word beside them
		// still an operation, whichever came first.
		return p.typed != 0 && p.typed&^(1<<Integer|1<<UUID) == 0
	case Token:
		if len(p.formats) == 0 {
			return false
		}
		codes := false
		for _, f := range p.formats {
			f = strings.TrimSuffix(f, ".a") // 2024-05871.json: the format suffix is no part of the id
			if strings.IndexByte(f, 'a') >= 0 {
				return false
			}
			codes = codes || f != "" // a random token (a list of ids: 2024-05871,2024-06012.json) tells neither way
		}
		return codes
	}
	return false
}

// plainLower reports whether w is one word of lower-case letters.
func plainLower(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return w != ""
}

// demoteLone turns parameter p back into the literal it was made from
// when the collection-slot rule made it from one lower-case word and
// integer or UUID ids now arrive at its position: the word was an
// operation beside the ids (besideIDs), whichever came first. It reports
// whether p was demoted.
func (t *tree) demoteLone(p *node) bool {
	if t.frozen || p == nil || !loneWord(p) {
		return false
	}
	n, w := p.parent, p.known[0]
	if n == nil || n.promoted || n.lits[w] != nil {
		return false
	}
	t.unslot(p, w)
	return true
}

// loneWord reports whether p is a parameter the collection-slot rule made
// from one lower-case word (or operation name) and nothing else.
func loneWord(p *node) bool {
	return p.param && p.rule == ruleCollectionSlot && p.values == 1 && len(p.known) == 1 && p.typed == 0 && (plainLower(p.known[0]) || operationName(p.known[0]))
}

// collectionOps name operations on a whole collection.
var collectionOps = map[string]bool{"batch": true, "bulk": true, "search": true, "count": true, "export": true, "import": true}

// settingsNouns hold an instance's settings: the words after one
// (/accounts/{id}/settings/enote_configuration, /prefs/voting) name
// settings the API defines, not instances of a collection.
var settingsNouns = map[string]bool{"settings": true, "preferences": true, "prefs": true, "configurations": true, "configs": true}

// collectionViews name views of a whole collection (/orders/recent,
// /products/popular, /users/stats).
var collectionViews = map[string]bool{"stats": true, "statistics": true, "summary": true, "autocomplete": true, "suggest": true, "recent": true, "popular": true, "trending": true, "latest": true, "all": true, "random": true, "new": true}

// hasCollectionOp reports whether n has a literal child that is an
// operation on a collection.
func hasCollectionOp(n *node) bool {
	for k := range n.lits {
		if collectionOps[k] {
			return true
		}
	}
	return false
}

// collectionBeforeID reports whether word w leads to integer or UUID
// identifiers and is a plain word (no dot, no capital, no digit): REST's
// /{collection}/{id}, a resource name before its ids (/artist/27,
// /album/302127, /qemu/100), whatever the vocabulary knows; or a
// capitalised type name before any typed ids (resourceType: /Encounter/enc-20231114-0042).
// Packages and tilesets lead to versions or are value-shaped names
// (/express/4.18.2, /mapbox.satellite/1).
func collectionBeforeID(w *node) bool {
	p := w.pchild
	return p != nil && (p.kind == Integer || p.kind == UUID) && !valueShaped(w.key) && !valueLike(w.key) || resourceType(w)
}

// predicateWords start the names of yes-or-no checks (is-prime,
// has-access, can-delete): operations, as verbs start others.
var predicateWords = map[string]bool{"is": true, "has": true, "can": true, "should": true}

// predicateName reports whether w is a kebab- or snake-case name that
// starts with a predicate word (is-prime, has_access): a check the API
// offers, not an instance.
func predicateName(w string) bool {
	i := strings.IndexAny(w, "-_")
	return i > 0 && predicateWords[w[:i]] && operationName(w)
}

// operationName reports whether w is a compound of two or more
// lower-case words that names an operation: it starts with a verb or a
// predicate word (get_item_by_legacy_id, list-members, is-prime), ends
// with a verb or a reserved word (expanded-search, bulk-update), or has
// the function word "by" in it (users-by-email). Beside typed ids such a word is an operation of
// the collection, not one more instance.
func operationName(w string) bool {
	sep := false
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		} else if c == '-' || c == '_' {
			sep = true
		}
	}
	if !sep {
		return false // one part
	}
	var buf [maxWordParts]string
	parts := splitParts(w, &buf)
	if len(parts) < 2 {
		return false
	}
	last := parts[len(parts)-1]
	if lexiconVerbs[parts[0]] || lexiconVerbs[last] || reservedLiterals[last] || predicateWords[parts[0]] {
		return true
	}
	return slices.Contains(parts[1:len(parts)-1], "by")
}

// alignedTyped reports whether two or more of the words, none of them a
// resource word or a plural (a collection: /v1/artists/{id}), lead each to typed identifiers of one kind and have no
// literal sub-resource: /express/4.18.2 and /react/18.2.0 are two paths
// that agree everywhere but in one position, which names instances.
func alignedTyped(words []*node) bool {
	var kind Kind
	var first *node
	n, colls := 0, 0
	for _, w := range words {
		if collectionBeforeID(w) {
			colls++
			continue
		}
		p := w.pchild
		if p == nil || p.kind == Word || len(w.lits) > 0 || resourceWord(w.key) || pluralNoun(w.key) || reservedLiterals[w.key] {
			continue
		}
		if n > 0 && (p.kind != kind || disjointPrefixes(p, first) || disjointFormats(p, first)) {
			return false
		}
		if n == 0 {
			first = p
		}
		kind = p.kind
		n++
	}
	// Beside as many collections before their ids (/ws/2/artist/{uuid},
	// /ws/2/label/{uuid}), words leading to other ids are collections too
	// (/ws/2/isrc/GBAYE6900522, /ws/2/discid/I5l9cCSF...).
	return n >= 2 && colls < n
}

// disjointFormats reports whether token parameters a and b hold values
// of no common format (P12345, UniRef90_P05067, UPI000002DB1C): instances
// of one collection are named by one scheme (4.18.2 and 18.2.0 are both
// releases), so ids of two formats below two words say the words name two
// collections. Random tokens are one format of their own (idFormat's ""):
// a random token and a code (I5l9cCSFccLKFEKS.7wqSZ, GBAYE6900522) name
// two schemes.
func disjointFormats(a, b *node) bool {
	if len(a.formats) == 0 || len(b.formats) == 0 {
		return false
	}
	for _, x := range a.formats {
		if slices.Contains(b.formats, x) {
			return false
		}
	}
	return true
}

// idFormat writes into buf the format of token s: its runs of upper-case
// letters (A), lower-case letters (a) and digits (9), other characters as
// they are, signs dropped (UniRef90_P05067 → AaAa9_A9, 4.18.2 → 9.9.9,
// -73.98,40.74 → 9.9,9.9). A value of more than maxFormat runs is a
// random token: it returns nil, the format "" that all random tokens share.
func idFormat(buf *[maxFormat]byte, s string) []byte {
	n := 0
	var last byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c = 'A'
		case c >= 'a' && c <= 'z':
			c = 'a'
		case c >= '0' && c <= '9':
			c = '9'
		case (c == '-' || c == '+') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && (i == 0 || last != 'a' && last != 'A' && last != '9'):
			continue // a sign (-73.9857,40.7484): the same format as 13.38,52.51
		}
		if n > 0 && c == last {
			continue
		}
		if n == maxFormat {
			return nil
		}
		buf[n] = c
		last = c
		n++
	}
	return buf[:n]
}

const maxFormat = 8

// addFormat records the format of token value seg of parameter p.
func (t *tree) addFormat(p *node, seg string) {
	if len(p.formats) >= maxPrefixes || p.kind != Token && p.kind != Hex && p.kind != Mixed {
		return
	}
	var buf [maxFormat]byte
	f := idFormat(&buf, seg)
	for _, x := range p.formats {
		if x == string(f) {
			return
		}
	}
	p.formats = append(p.formats, string(f))
}

// disjointPrefixes reports whether typed parameters a and b both hold
// identifiers with letter prefixes and share none (UniRef90_P05067 and
// UPI000002DB1C): a prefix tags the type of an identifier (Stripe's cus_
// and ch_), so two words leading to ids of different types name two
// collections, not two instances of one.
func disjointPrefixes(a, b *node) bool {
	if len(a.prefixes) == 0 || len(b.prefixes) == 0 {
		return false
	}
	for _, x := range a.prefixes {
		if slices.Contains(b.prefixes, x) {
			return false
		}
	}
	return true
}

// tree is the learned path tree of one host.
type tree struct {
	root  *node
	nodes int
	cfg   *Config
	inv   *Inventory

	frozen bool // rules off: see rewalk

	// nouns indexes the literal word nodes by segment, at most maxNounNodes
	// a segment, for the same-noun rule; pending are the values
	// parameters learned since the last sweep.
	nouns   map[string][]*node
	pending []learned
	// volume are the positions whose plain-word parameter reached or
	// grew past Config.MinSiblings values since the last call: their
	// literal siblings are re-examined (volumeJoin), at most maxPending.
	volume []*node
	// lone indexes the same-noun parameters by their first value while
	// it is their only one (at most maxNounNodes a value), for unvalue.
	lone map[string][]*node
	// keyBuf is sweepVolume's buffer of sorted keys.
	keyBuf []string

	// constant are plain words traffic showed to be names of the API
	// (demoteConstant), at most maxConstant; slots the word parameters the
	// lexical rules made, at most maxSlots (volume.go).
	constant map[string]bool
	slots    []*node
	// splits counts the parameters splitMixed split and the words
	// splitOff and demoteLeafWords took out (mixed.go; read by tests).
	splits int
}

// learned is a plain-word value v that the parameter below literal at
// learned.
type learned struct {
	at *node
	v  string
}

// maxNounNodes bounds the places one segment is indexed at; maxPending
// the values swept after one call (a merge teaches at most maxKnown).
const (
	maxNounNodes = 8
	maxPending   = maxKnown
)

func newTree(cfg *Config, inv *Inventory) *tree {
	return &tree{root: &node{tmpl: ""}, nodes: 1, cfg: cfg, inv: inv}
}

// reservedLiterals are words that name operations or singletons beside
// instance ids (/users/me next to /users/{id}); the statistical rule
// never folds them into a parameter.
var reservedLiterals = map[string]bool{
	"me": true, "self": true, "current": true, "mine": true, "my": true, "search": true, "count": true, "new": true,
	"batch": true, "bulk": true, "export": true, "import": true, "stats": true, "statistics": true, "summary": true,
	"latest": true, "all": true, "settings": true, "config": true, "status": true, "health": true,
	"info": true, "list": true, "recent": true, "popular": true, "trending": true, "autocomplete": true, "suggest": true,
	"lookup": true, "validate": true, "verify": true, "login": true, "logout": true, "register": true, "signup": true,
	"token": true, "refresh": true, "callback": true, "webhook": true, "webhooks": true, "events": true, "metadata": true,
	"schema": true, "openapi.json": true, "swagger.json": true, "favicon.ico": true, "robots.txt": true, "index.html": true,
	"first": true, "last": true, "next": true, "previous": true, "random": true, "public": true, "private": true,
	"admin": true, "internal": true, "debug": true, "metrics": true, "version": true, "ping": true, "feed": true,
	// Placeholders, not values: the caller itself or every instance
	// (/1/user/-/profile.json, /projects/-/locations/-).
	"-": true, "~": true, "*": true, "_": true,
}

// namespaceLiterals are segments after which resource names (collection
// nouns), not instances, follow.
var namespaceLiterals = map[string]bool{
	"api": true, "apis": true, "rest": true, "services": true, "public": true, "private": true,
	"internal": true, "external": true, "admin": true, "v": true, "graphql": true, "rpc": true, "json": true,
}

// namespaceWord reports whether literal k is an API prefix of
// namespaceLiterals in any case: an API that writes its prefix in
// capitals (/REST/drugs.json, /API/v2) names a namespace all the same.
func namespaceWord(k string) bool {
	var buf [8]byte
	if len(k) == 0 || len(k) > len(buf) {
		return false // every namespace literal has one to eight letters (TestNamespaceWordLength)
	}
	upper := false
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
			upper = true
		}
		buf[i] = c
	}
	if !upper {
		return namespaceLiterals[k] // one look-up where the key is written in lower case
	}
	return namespaceLiterals[string(buf[:len(k)])]
}

// classifyAt classifies a segment in its position: a short number or a
// date right after the root or an API prefix is a version ("/2/tweets",
// "/rest/api/3/issue", "/2010-04-01/Accounts"), not an identifier:
// identifiers follow collection names.
func classifyAt(parent *node, seg string, more bool) Kind {
	k := Classify(seg)
	if k == Token && (versionAt(parent, seg) || compoundVersion(parent, seg, more) || preReleaseVersion(parent, seg, more) || paddedVersion(seg)) {
		return Version // /api/v1.0.0/teams, /api-2.0/courses, /GetNewsForApp/v0002 (shapes.go)
	}
	if k == Word && numberFile(seg) {
		return Token // /viewed/7.json: a number as a file (position.go)
	}
	if k == Word && fieldAssignment(seg) {
		return Token // /product-projections/key=linen-shirt-white: a lookup by a field's value
	}
	if k == Version && !parent.param && parent.parent != nil && strings.IndexByte(seg, '.') > 0 &&
		!namespaceWord(parent.key) && !reservedLiterals[parent.key] && pluralNoun(parent.key) {
		return Token // a release after a collection (/manifests/7.2), not an API version
	}
	if k == Version && !more && parent.param && seg[0] >= '0' && seg[0] <= '9' {
		return Token // /estimate/52/12/37/0/5.67: a number ending the path after a value is a value; an API's version leads to resources
	}
	if k == Version && !parent.param && (tagNouns[parent.key] || releaseNouns[parent.key]) {
		return Token // /tags/v1, /release/v2.1: a tag's name
	}
	if k == Integer && (len(seg) == 1 || len(seg) == 4) && bareVersion(parent, seg, more) {
		return Version // /api/2014/classes, /search/2/geocode (bareversion.go)
	}
	if k == Integer && len(seg) <= 2 && more && editionWord(parent) {
		return Version // /api/category/pmp3g/version/2/..., /icd/release/11/... (bareversion.go)
	}
	if k == Date && datedVersion(parent, seg, more) {
		return Version // /catalog/2022-04-01/items, /api/laml/2010-04-01/Accounts (bareversion.go)
	}
	if (k == Integer && (len(seg) <= 2 || dateStamp(seg)) || k == Date && len(seg) <= 10) && !parent.param &&
		(parent.parent == nil || namespaceWord(parent.key) || more && apiPrefix(parent)) {
		return Version
	}
	return k
}

// dateStamp reports whether integer seg is a date written YYYYMMDD
// (20160918): at the root or after an API prefix, with more path below,
// the API version of a dated API (/20160918/instances), like 2016-09-18.
func dateStamp(seg string) bool {
	if len(seg) != 8 || seg[0] != '1' && seg[0] != '2' {
		return false
	}
	y, _ := strconv.Atoi(seg[:4])
	m, _ := strconv.Atoi(seg[4:6])
	d, _ := strconv.Atoi(seg[6:])
	return y >= 1990 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// coordinate reports whether seg, a bare decimal shaped like a version
// (51.47), is followed by a signed or decimal number (/point/51.47/-0.45):
// the first of a coordinate pair, a value. An API version is followed by
// a resource name, never by another number with a sign or a fraction.
func coordinate(seg, rest string) bool {
	if seg[0] < '0' || seg[0] > '9' || strings.IndexByte(seg, '.') < 0 {
		return false
	}
	for rest != "" && rest[0] == '/' {
		rest = rest[1:]
	}
	next := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		next = rest[:i]
	}
	signed := next != "" && (next[0] == '-' || next[0] == '+')
	if signed {
		next = next[1:]
	}
	dots, digits := 0, 0
	for i := 0; i < len(next); i++ {
		switch c := next[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1 && (signed || dots == 1) && next[0] != '.' && next[len(next)-1] != '.'
}

// rootNamespace reports whether n is a literal namespace word right under
// the root (/api, /rest): the API's prefix.
func rootNamespace(n *node) bool {
	return !n.param && n.parent != nil && n.parent.parent == nil && namespaceWord(n.key)
}

// apiPrefix reports whether literal n is a short prefix word right after
// the root or a root namespace word (/ws/2/artist, /db/1/...,
// /api/xm/1/people): two or three lower-case letters
// that are no word of the vocabulary. Collections are named in words, so
// a number after such a prefix that leads further (classifyAt's more) is
// the API's version, as after /api/; at the end of a path (/tv/12) it is
// an id.
func apiPrefix(n *node) bool {
	if n.parent == nil || len(n.key) < 2 || len(n.key) > 3 || inLexicon(n.key) {
		return false
	}
	if a := n.parent; a.parent != nil && !rootNamespace(a) {
		return false // right under the root, or under /api/ (/api/xm/1/people)
	}
	return plainLower(n.key)
}

// walk finds (or grows) the node of a path. It allocates only when the
// path has a shape never seen before.
func (t *tree) walk(path string) *node {
	n := t.walkDepth(path, 0)
	if len(t.pending) > 0 && t.sweepNouns() {
		return t.rewalk(path, 0) // a position on the path may have become a parameter
	}
	if len(t.volume) > 0 && t.sweepVolume() {
		return t.rewalk(path, 0)
	}
	return n
}

// rewalk walks path again after the tree above it changed; the rules
// converge in a step or two, and the bound keeps a bug from recursing.
func (t *tree) rewalk(path string, depth int) *node {
	if depth >= 8 {
		t.frozen = true // no rule may change the tree on this last walk
		defer func() { t.frozen = false }()
	}
	return t.walkDepth(path, depth+1)
}

func (t *tree) walkDepth(path string, depth int) *node {
	n := t.root
	rest := path
	file := packageFile(path)
	for rest != "" {
		var seg string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			seg, rest = rest, ""
		}
		if seg == "" {
			continue // leading, trailing or doubled slash
		}
		n.calls++
		if n.param && !n.scoped && n.calls >= scopedCalls*int64(t.cfg.MinSiblings) && t.scopedDue(n) {
			return t.rewalk(path, depth) // n's words are keys (position.go)
		}
		if n.param && n.values == 1 && !t.frozen {
			t.demoteConstant(n) // n becomes a literal in place
		}
		if n.param && n.kind == Word && (n.rule == ruleNone && t.splitClosed(n) || t.splitDisjoint(n) || t.splitApart(n) || t.splitMixed(n) || t.splitOff(n)) || n.param && (n.kind == Word || n.kind == Mixed) && t.splitLeaf(n) {
			return t.rewalk(path, depth) // n's words are names (volume.go)
		}
		if file != "" && rest != "" && namedInFile(n, seg, file) {
			n = t.fileValue(n, seg)
			continue
		}
		if c := n.lits[seg]; c != nil {
			if c.calls&15 == 15 && !t.frozen && (t.mirroredVersions(n, seg, c) || t.deepTenants(n)) {
				return t.rewalk(path, depth) // words here are tenants of one API (mixed.go)
			}
			if n.pchild != nil && n.pchild.kind == Word && strings.IndexByte(seg, '.') > 0 && t.demoteRepresentations(n, seg) {
				return t.rewalk(path, depth) // a merge put the formats' parameter beside a literal one (shapes.go)
			}
			n = c
			continue
		}
		more := strings.Trim(rest, "/") != "" // a segment follows
		k := classifyAt(n, seg, more)
		if k == Version && coordinate(seg, rest) {
			k = Token
		}
		if k == Token && t.sharedRelease(n, seg, more) {
			return t.rewalk(path, depth) // the API's version under each of its roles (shapes.go)
		}
		if k != Word && k != Version {
			if (k == Integer || k == UUID) && n.pchild != nil && (t.demoteLone(n.pchild) || t.demoteLeafWords(n.pchild)) {
				return t.rewalk(path, depth)
			}
			if n.pchild != nil && t.demoteFileSlot(n.pchild, seg) {
				return t.rewalk(path, depth) // the file beside these ids was an operation (shapes.go)
			}
			created := n.pchild == nil
			n = t.paramChild(n, k)
			if created && (t.unversion(n) || k == Date && t.undate(n)) {
				return t.rewalk(path, depth) // the root's words keep numbers (dates) there: ids, not versions (bareversion.go)
			}
			noteTyped(n, rest)
			if t.demoteRelease(n, seg, more) {
				return t.rewalk(path, depth) // a release that never changes is the API's version (recur.go)
			}
			newPrefix := t.addPrefix(n, seg) // before the rules below read the prefixes
			t.addFormat(n, seg)
			addSuffix(n, seg)
			noteRelease(n, seg)
			if created && n.parent.parent != nil && !n.parent.param && t.demoteFile(n.parent.parent) {
				return t.rewalk(path, depth) // instances written as files beside a file taken for a value (volume.go)
			}
			if created && (k == Integer || k == UUID) && t.demoteSlot(n.parent) {
				return t.rewalk(path, depth) // the word above is a collection before its ids
			}
			if created && mintedKind(k) && n.parent.parent != nil && plainLower(n.parent.key) && t.demoteKeyedLeaves(n.parent.parent) {
				return t.rewalk(path, depth) // words beside a key of the collection are its operations (s11a2.go)
			}
			if created && t.demoteQualifier(n.parent) {
				return t.rewalk(path, depth) // the word above qualifies the collection (heldout.go)
			}
			if created && (k == Integer || k == UUID) && !n.parent.param && collectionBeforeID(n.parent) && t.unvalue(n.parent.key) {
				return t.rewalk(path, depth) // a parameter elsewhere held the collection's name as its only value
			}
			if created && (t.shapeChanged(n.parent) || afterParam(n.parent.parent) && t.shapeChanged(n.parent.parent) || n.instanceParam() && t.nestedChanged(n.parent)) {
				return t.rewalk(path, depth) // a position above became a parameter: walk the new tree
			}
			if (newPrefix || created) && t.absorbIDLike(n.parent) {
				return t.rewalk(path, depth)
			}
			continue
		}
		if k == Word && !more && len(n.lits) != 0 && n.pchild != nil && n.pchild.rule == ruleCollectionSlot && operationWord(seg) && n.pchild.knows(seg) && t.demoteKeyedLeaves(n) {
			return t.rewalk(path, depth) // a leaf word beside a key of the collection is its operation (s11a2.go)
		}
		if k == Word && n.pchild != nil && n.pchild.values == 1 && t.demoteEnglish(n.pchild, seg, rest) {
			return t.rewalk(path, depth) // an English word before a sub-resource is no instance (slotwords.go)
		}
		if k == Word && n.pchild != nil && !reservedLiterals[seg] && !systemName(seg) && !stemOfFile(n.pchild, seg) && (n.promoted && !caseApart(n, seg) || idLike(seg, n.pchild) || leadsToShared(n.pchild, rest) && !apiResource(seg, n.pchild) || joinsUnreserved(seg, n.pchild) && !collectionNext(seg, rest) && !(afterPrefix(n.pchild) && typedNext(rest) && !upperCode(seg)) || n.pchild.instanceParam() && cousinKnows(n, seg) || coinedJoins(seg, n.pchild)) && (n.promoted || !reservedPart(seg)) && !fileOperation(n.pchild, seg) {
			p := n.pchild
			added := t.countValue(p, seg, depth)
			if added {
				t.promoteCousins(n)
			}
			noteValue(p, seg, rest)
			noteEntry(p, seg)
			t.setKind(p, Word)
			if added && t.scopedArrival(n) {
				return t.rewalk(path, depth)
			}
			n = p
			continue
		}
		if k == Word && n.pchild != nil && t.demoteRepresentations(n, seg) {
			return t.rewalk(path, depth) // one resource in two formats (shapes.go)
		}
		slot := k == Word && !t.constant[seg] && (n.pchild != nil && n.pchild.knows(seg) || slotTakes(n, seg, rest) && !besideIDs(n, seg) && !keyedLeaf(n, seg, more) && !t.versionedName(seg) && !namesHere(n))
		locale := k == Word && !slot && localeValue(n, seg, rest)
		sameNoun := k == Word && !slot && !locale && !t.constant[seg] && t.knownElsewhere(n, seg) && !t.versionedName(seg)
		if slot || sameNoun || locale {
			created := n.pchild == nil
			p := t.paramChild(n, Word)
			if p.rule == ruleNone {
				p.rule, p.confidence = ruleCollectionSlot, slotConfidence
				if sameNoun {
					p.rule = ruleSameNoun
				} else if locale {
					p.rule = ruleLocale
				}
				t.addWordKid(n)
				t.trackSlot(p)
			}
			added := t.countValue(p, seg, depth)
			if added {
				t.promoteCousins(n)
			}
			noteValue(p, seg, rest)
			noteEntry(p, seg)
			if created && (afterParam(n) && t.promote(n.parent) || t.absorbIDLike(n) || t.nestedChanged(n) || t.shapeChanged(n)) || added && t.scopedArrival(n) {
				return t.rewalk(path, depth)
			}
			n = p
			continue
		}
		if t.nodes >= t.cfg.MaxNodesPerHost {
			t.inv.stats.ForcedParams++
			n = t.paramChild(n, Mixed)
			continue
		}
		c := t.newLit(n, seg)
		if n.parent == t.root && len(n.lits) == 2 && t.unversionAt(n) {
			return t.rewalk(path, depth) // a word beside the number: a collection's operation, not a product's version (bareversion.go)
		}
		if k == Version && !n.param && t.demoteNamed(n.key) {
			return t.rewalk(path, depth) // n names a service of the API (volume.go)
		}
		if collectionOps[seg] && t.demoteSlot(n) {
			return t.rewalk(path, depth) // n names a collection (see demoteSlot)
		}
		if upperCode(seg) && formatWord(seg) && t.demoteFormat(n) {
			return t.rewalk(path, depth) // the code beside it is a format too
		}
		if k == Word && t.demoteFile(n) {
			return t.rewalk(path, depth) // a file beside it names a resource in a format (volume.go)
		}
		if k == Word && !n.promoted && !more {
			// A word with a sub-path still to come is judged when that
			// sub-path arrives (shapeChanged), not with an empty shape that
			// agrees with every sibling.
			if t.maybePromote(n) {
				if !n.param && n.parent != nil && n.parent.lits[n.key] != n {
					return t.rewalk(path, depth) // n itself was merged into a parameter
				}
				if c2 := n.lits[seg]; c2 != nil {
					n = c2
				} else {
					n = n.pchild
				}
				continue
			}
		}
		if t.shapeChanged(n) {
			return t.rewalk(path, depth)
		}
		n = c
	}
	n.calls++
	if n.param && !n.scoped && n.calls >= scopedCalls*int64(t.cfg.MinSiblings) && t.scopedDue(n) {
		return t.rewalk(path, depth)
	}
	if t.volumeOnPath(n) {
		return t.rewalk(path, depth) // a literal on the path joined its parameter
	}
	if n.param && n.values == 1 && !t.frozen {
		t.demoteConstant(n)
	}
	if n.param && n.kind == Word && (n.rule == ruleNone && t.splitClosed(n) || t.splitDisjoint(n) || t.splitApart(n) || t.splitMixed(n) || t.splitOff(n)) || n.param && (n.kind == Word || n.kind == Mixed) && t.splitLeaf(n) {
		return t.rewalk(path, depth)
	}
	return n
}

// shapeChanged re-applies the statistical rule to the siblings of n after
// n gained a child: the rule compares sibling shapes, so the decision must
// not depend on which sub-path arrived first. It reports whether n's
// parent became a parameter position (the caller's nodes may be merged).
func (t *tree) shapeChanged(n *node) bool {
	if t.frozen {
		return false
	}
	if n != nil && n.param && n.parent != nil && n.parent.parent != nil && t.absorbIDLike(n.parent.parent) {
		return true // a parameter two levels up may now mirror a word (sharedBelow)
	}
	if n != nil && n.param && n.instanceParam() {
		return t.absorbIDLike(n.parent) // the typed parameter gained a sub-resource
	}
	if v := n; v != nil && !v.param && Classify(v.key) == Version && v.parent != nil && v.parent.parent != nil {
		// A version gained a resource: the word above it, or the typed
		// parameter beside that word, may now mirror the other (sharedVersion).
		if w, g := v.parent, v.parent.parent; g.pchild != nil && g.pchild.instanceParam() && (!w.param && g.lits[w.key] == w || w.param && len(g.lits) > 0) && t.absorbIDLike(g) {
			return true
		}
	}
	if n != nil && n.param && n.parent != nil && n.parent.promoted {
		return t.rejoin(n.parent) // the parameter gained a sub-path a word kept beside it may share
	}
	if n != nil && !n.param && n.parent != nil && n.parent.parent != nil && !n.parent.param && !n.parent.parent.promoted &&
		Classify(n.key) == Version && Classify(n.parent.key) == Word && !resourceWord(n.parent.key) {
		return t.maybePromote(n.parent.parent) // the API below a word's version gained a resource (sharedByTwo)
	}
	if n != nil && !n.param && n.pchild != nil && n.parent != nil && !n.parent.param && n.parent.parent != nil &&
		!n.parent.parent.promoted && Classify(n.key) == Word && Classify(n.parent.key) == Word &&
		!resourceWord(n.key) && !reservedLiterals[n.key] && !valueShaped(n.key) && t.maybePromote(n.parent.parent) {
		return true // n's parent now leads to a sub-collection (sharedByTwo)
	}
	if n == nil || n.param || n.parent == nil || Classify(n.key) != Word || reservedLiterals[n.key] {
		return false
	}
	par := n.parent
	if !par.promoted && par.pchild != nil && par.pchild.instanceParam() && t.absorbIDLike(par) {
		return true
	}
	if !par.promoted {
		return t.maybePromote(par)
	}
	// A word kept literal beside the parameter because its sub-paths
	// differed joins it once they match.
	a, b := shape(n), shape(par.pchild)
	if n.apart || len(a) == 0 || !subset(a, b) && !subset(b, a) {
		return false
	}
	delete(par.lits, n.key)
	p := par.pchild
	t.addValue(p, n.key)
	t.merge(p, n)
	return true
}

// rejoin merges into the parameter of promoted node par the plain words
// kept literal beside it (their sub-paths differed when par was
// promoted) whose sub-paths now match the parameter's: the same test
// shapeChanged applies when the word gains a child, applied when the
// parameter does, so the result does not depend on which came first. It
// reports whether any word joined.
func (t *tree) rejoin(par *node) bool {
	p := par.pchild
	if t.frozen || p == nil || len(par.lits) > maxCousinScan {
		return false
	}
	b := shape(p)
	var keys []string
	for k, c := range par.lits {
		if Classify(k) != Word || reservedLiterals[k] || systemName(k) || c.apart {
			continue
		}
		if a := shape(c); len(a) > 0 && (subset(a, b) || subset(b, a)) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return false
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := par.lits[k]
		if c == nil || par.pchild != p {
			continue
		}
		delete(par.lits, k)
		t.addValue(p, k)
		t.merge(p, c)
	}
	return true
}

// idPrefix is the leading letters of an identifier-like segment, 2 to 6
// of them followed by a digit, '-' or '_' ("GC" of GC-bz0yx9, "cus" of
// cus_NffrFeUfNV2Hib, "PROJ" of PROJ-123); "" otherwise.
func idPrefix(s string) string {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i < 2 || i > 6 || i == len(s) {
		return ""
	}
	if c := s[i]; c >= '0' && c <= '9' || c == '-' || c == '_' {
		return s[:i]
	}
	return ""
}

// addPrefix records the identifier prefix of a typed value of parameter
// p; it reports whether the prefix is new.
func (t *tree) addPrefix(p *node, seg string) bool {
	if len(p.prefixes) >= maxPrefixes {
		return false
	}
	pre := idPrefix(seg)
	if pre == "" {
		return false
	}
	for _, x := range p.prefixes {
		if x == pre {
			return false
		}
	}
	p.prefixes = append(p.prefixes, strings.Clone(pre))
	return true
}

// idLike reports whether plain word w, in a position whose parameter p
// holds typed identifiers, reads as one more identifier rather than a
// name beside them: it has a digit (web-0, kn0thing), characters names do
// not use, or the letter prefix of p's typed values (GC-AcnyPi beside
// GC319989). Plain lower-case words (pending, export) stay names.
func idLike(w string, p *node) bool {
	if p.kind == Word {
		return false // the parameter was made by the statistical rule: it decides
	}
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c == ':':
			return !customMethod(w) // devices:requestSync beside {agentUserId}: a method of the API
		case c >= '0' && c <= '9', c == '%', c == '+', c == '~', c == ',', c == '@':
			return true
		}
	}
	if pre := idPrefix(w); pre != "" {
		for _, x := range p.prefixes {
			if x == pre {
				return true
			}
		}
	}
	return false
}

// leadsToShared reports whether the rest of a path continues with a
// literal sub-resource that typed parameter p has: the word before it is
// an instance of p's collection (see absorbIDLike).
func leadsToShared(p *node, rest string) bool {
	if !p.instanceParam() || len(p.lits) == 0 {
		return false
	}
	for rest != "" && rest[0] == '/' {
		rest = rest[1:]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" {
		return false
	}
	c := p.lits[rest]
	return c != nil && c.facts()&kfWord != 0 // the literal's key is rest (TestLiteralKeys)
}

// sharedVersion reports whether word c and parameter p, siblings, both
// lead to one version and below it to one literal resource: the word
// mirrors the parameter's API (/oauth2/default/v1/token beside
// /oauth2/{id}/v1/token), so it is one more instance, the value the
// callers use most. A version alone is no shared sub-resource (services
// lead each to theirs), nor is a resource below it without typed ids
// beside the word (see the tenant rule).
func sharedVersion(c, p *node) bool {
	for k, v := range c.lits {
		if Classify(k) == Version && p.lits[k] != nil && sharedLiteral(v, p.lits[k]) {
			return true
		}
	}
	return false
}

// sharedBelow reports whether word c and parameter p, siblings, both lead
// to a parameter and those parameters share a literal sub-resource: the
// word mirrors the parameter one level down (/repositories/library/{name}/tags
// beside /repositories/{namespace}/{name}/tags), so it is one more
// instance, even a resource word.
func sharedBelow(c, p *node) bool {
	return c.pchild != nil && p.pchild != nil && len(c.pchild.lits) > 0 && sharedLiteral(c.pchild, p.pchild)
}

// absorbIDLike merges into n's typed parameter the plain-word literals of
// n that read as identifiers of it, or that lead to the same literal
// sub-resource as it (/calendars/primary/events beside
// /calendars/{email}/events), whatever arrived first. It reports whether
// any was merged.
func (t *tree) absorbIDLike(n *node) bool {
	p := n.pchild
	if p == nil || n.promoted || t.frozen {
		return false
	}
	var keys []string
	for k, c := range n.lits {
		if !c.apart && c.facts()&(kfWord|kfReserved|kfSystem|kfReservedPart) == kfWord && (idLike(k, p) || p.instanceParam() && (sharedLiteral(c, p) || sharedBelow(c, p) || sharedVersion(c, p) || cousinKnows(n, k)) && !apiResource(k, p) || litJoins(c, p)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	merged := false
	for _, k := range keys {
		c := n.lits[k]
		if c == nil || n.pchild != p {
			continue
		}
		// A shared sub-resource is evidence that only grows (whatever
		// else the two have); shapes are compared for the other evidence.
		a, b := shape(c), shape(p)
		if len(a) > 0 && len(b) > 0 && !subset(a, b) && !subset(b, a) && !(p.instanceParam() && (sharedLiteral(c, p) || sharedBelow(c, p) || sharedVersion(c, p) || cousinKnows(n, k))) && !litJoins(c, p) {
			continue
		}
		delete(n.lits, k)
		t.addValue(p, k)
		t.setKind(p, Word)
		t.merge(p, c)
		merged = true
	}
	return merged
}

// setKind records that parameter p also holds values of kind k; a name
// that came from a kind ("date", "email", "name") becomes "id" once the
// kinds mix, whatever order they came in.
func (t *tree) setKind(p *node, k Kind) {
	if k != Word && k != Mixed {
		p.typed |= 1 << k
	}
	if p.kind == k || p.kind == Mixed {
		return
	}
	if k == Word {
		seedTyped(p) // the calls its typed values had (recur.go)
	}
	p.kind = Mixed
	t.retemplate(p)
}

// retemplate recomputes the names and templates of n's subtree and of the
// endpoints in it.
func (t *tree) retemplate(n *node) {
	if n.param {
		n.name = paramName(n.parent, n.kind)
		n.tmpl = n.parent.tmpl + "/{" + n.name + "}"
	} else if n.parent != nil {
		n.tmpl = n.parent.tmpl + "/" + n.key
	}
	for _, e := range n.eps {
		e.tmpl = n.template()
	}
	for _, c := range n.lits {
		t.retemplate(c)
	}
	if n.pchild != nil {
		t.retemplate(n.pchild)
	}
}

func (t *tree) newLit(n *node, seg string) *node {
	if n.lits == nil {
		n.lits = make(map[string]*node, 4)
	}
	seg = strings.Clone(seg)
	c := &node{parent: n, key: seg, tmpl: n.tmpl + "/" + seg, depth: n.depth + 1}
	n.lits[seg] = c
	t.nodes++
	t.index(c)
	return c
}

// litOf returns n's literal child w, creating it.
func (t *tree) litOf(n *node, w string) *node {
	if c := n.lits[w]; c != nil {
		return c
	}
	return t.newLit(n, w)
}

// paramChild returns n's parameter child, creating it with kind k.
func (t *tree) paramChild(n *node, k Kind) *node {
	if p := n.pchild; p != nil {
		t.setKind(p, k)
		return p
	}
	name := paramName(n, k)
	p := &node{parent: n, param: true, kind: k, name: name, tmpl: n.tmpl + "/{" + name + "}", depth: n.depth + 1}
	if k != Word && k != Mixed {
		p.typed = 1 << k
	}
	n.pchild = p
	t.nodes++
	return p
}

// paramName is "id" for identifiers ("date", "email", "name" for those
// kinds), made unique along the path with a number: /a/{id}/b/{id2}.
func paramName(parent *node, k Kind) string {
	base := "id"
	switch k {
	case Date:
		base = "date"
	case Email:
		base = "email"
	case Word:
		base = "name"
	}
	used := 0
	for a := parent; a != nil; a = a.parent {
		if a.param && (a.name == base || strings.HasPrefix(a.name, base) && isDigits(a.name[len(base):])) {
			used++
		}
	}
	if used == 0 {
		return base
	}
	return base + strconv.Itoa(used+1)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// shape is the set of a node's child keys (literals, "{}" for the
// parameter), as sorted strings.
func shape(n *node) []string {
	out := make([]string, 0, len(n.lits)+1)
	for k := range n.lits {
		out = append(out, k)
	}
	if n.pchild != nil {
		out = append(out, "{}")
	}
	sort.Strings(out)
	return out
}

// litKeys returns the keys of n's literal children in byte order. A rule
// that acts on several children, keeps a bounded few of them or stops at
// the first that qualifies takes them in this order, so that neither Go's
// map iteration order nor arrival order reaches its decision.
func litKeys(n *node) []string {
	keys := make([]string, 0, len(n.lits))
	for k := range n.lits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// byKey orders nodes by their key (see litKeys).
func byKey(a, b *node) int { return strings.Compare(a.key, b.key) }

func subset(a, b []string) bool { // sorted
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
	}
	return true
}

// valueLike reports whether a word looks like a value rather than a noun:
// it has a dot, upper case, or characters nouns in paths do not use.
func valueLike(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c >= 'A' && c <= 'Z' || c == '%' || c == '+' || c == '~' || c == ',' || c == '@' || c == ':' {
			return true
		}
	}
	return false
}

// maybePromote applies the statistical rule to n's plain-word children:
// when enough of them share one shape (the same kinds of sub-paths), and
// their number keeps growing with the calls, the position becomes a
// parameter. Reserved words and children of another shape stay literal.
// It reports whether n was promoted.
func (t *tree) maybePromote(n *node) bool {
	if !t.promote(n) {
		return false
	}
	if n.parent != nil {
		// n gained a parameter: a word beside n's position may now mirror
		// a parameter one level down, or n itself may (sharedBelow).
		t.absorbIDLike(n.parent)
		if afterParam(n) {
			t.promote(n.parent) // n's siblings may now each lead to values (compoundNames)
		}
	}
	return true
}

// promote is maybePromote without the re-examination of n's parent.
func (t *tree) promote(n *node) bool {
	if t.frozen || n.closed {
		return false
	}
	if t.groupEnglish(n) {
		return true // English words sharing a sub-resource: instances (slotwords.go)
	}
	var words []*node
	for k, c := range n.lits {
		if c.facts()&(kfWord|kfReserved|kfSystem|kfByField|kfScript|kfCamel) == kfWord && !c.apart && !caseApart(n, k) && !predicateName(k) && !(capitalPlural(k) && !pluralNoun(n.key)) { // by-email: a lookup, stays literal; login.php: an endpoint (shapes.go); recentlyAdded: a name (heldout.go)
			words = append(words, c)
		}
	}
	slices.SortFunc(words, byKey) // the rules below keep the first words they find, merge in this order
	d := len(words)
	cfg := t.cfg
	if d > cfg.ManySiblings && d&(d-1) != 0 {
		return false // past the threshold, re-evaluate at powers of two only
	}
	if nestedSlot(n) && t.promoteNested(n, words) {
		return true
	}
	if d < 2 {
		return false
	}
	if sys := systemOperands(words); sys != nil {
		return t.promoteInstances(n, sys, ruleSystemOps)
	}
	if ten := tenants(n, words); ten != nil {
		return t.promoteInstances(n, ten, ruleTenant)
	}
	// Dominant shape and the share of siblings compatible with it. A
	// leaf agrees with every shape, so the dominant one is taken among
	// the words that have sub-paths: a leaf must not make two words of
	// different sub-paths (/pub/titled/{name}, /pub/player/hikaru) agree.
	shapes := make([][]string, d)
	count := map[string]int{}
	best := ""
	for i, c := range words {
		shapes[i] = shape(c)
		k := strings.Join(shapes[i], "\x00")
		count[k]++
		if n := count[k]; k != "" && (best == "" || n > count[best] || n == count[best] && k < best) {
			best = k
		}
	}
	var dom []string
	for i := range words {
		if strings.Join(shapes[i], "\x00") == best {
			dom = shapes[i]
			break
		}
	}
	similar, values := 0, 0
	compatible := make([]bool, d)
	types := slices.ContainsFunc(words, resourceType)
	for i, c := range words {
		if subset(shapes[i], dom) || subset(dom, shapes[i]) {
			similar++
			compatible[i] = true
		}
		// Beside a resource type (/fhir/Patient/{id}) a capitalised word
		// is another one whose ids have not come yet (/fhir/Coverage).
		if valueLike(c.key) && !resourceType(c) && !(types && titleCase(c.key)) && !collectionFile(c.key) && !camelTail(c.key) {
			values++
		}
	}
	share := float64(similar) / float64(d)
	novelty := float64(d) / float64(max(n.calls, 1))
	afterPrefix := namespaceWord(n.key) || versionLit(n) || versionAt(n.parent, n.key)
	namespace := n == t.root || n.param || afterPrefix || selfWord(n.key)
	// A shared literal sub-path (/orgs/X/members for several X) is strong
	// evidence that X is an instance, not a resource name.
	sharedSub := false
	for _, k := range dom {
		if k != "{}" && Classify(k) != Version && !versionedPrefixIn(words, k) && !formatWord(k) && count[best] >= 2 && !lexiconVerbs[k] && !reservedLiterals[k] { // services of one API each lead to their version (/svc/books/v3) or API prefix (/airlines/rest); collections each answer in one format (/containers/json, /images/json); collections each offer count and list (/entity/count, /field/count)
			sharedSub = true
		}
	}
	// After a typed id, a pair of the instance's sub-resources that share
	// one below (/users/{id}/planner/tasks, /outlook/tasks) is no group:
	// half of the words must share, or two words two sub-resources (views
	// of an account: /accounts/{id}/owner/transactions, /owner/account,
	// /accountant/transactions, /accountant/account): fewShare. Nor is it
	// an alternation among many words (ManySiblings); among fewer, the
	// alternation's collection with its ids is evidence enough (in the
	// OpenAPI directory's held half, from four words on it took about
	// 10,000 false parameter segments off and 200 documented ones).
	// After a word (/packages/{owner}/{repo}/{id}/status,
	// /repos/{owner}/{repo}/issues/{id}) one shared sub-resource still
	// makes both.
	alt := n.param && alternation(words)
	group := (!namespace || n.param) && sharedByTwo(words, !namespace)
	if (group || alt && d >= t.cfg.ManySiblings) && n.param && n.kind != Word && fewShare(words, d) {
		alt = alt && d < t.cfg.ManySiblings
		group = false
	}
	if alt || group {
		for i, c := range words {
			compatible[i] = group || c.pchild == nil
		}
	}
	aligned := !alt && !group && !afterPrefix && alignedTyped(words) // after a version or an API prefix: the API's resources, each with its own ids
	if aligned {
		for i, c := range words {
			compatible[i] = !resourceWord(c.key) && c.pchild != nil && c.pchild.kind != Word && !collectionBeforeID(c)
		}
	}
	var ok bool
	switch {
	case alt, aligned:
		ok = true
	case group:
		// Words that lead to the same literal sub-resource
		// (/tags/go/info, /tags/python/info) name instances of one
		// collection: resource names do not share their children. The
		// position takes every word, as it will take the next ones.
		ok = true
	case !namespace && share >= cfg.Similarity && cousinEvidence(n, words):
		ok = true
	case d < 3:
		ok = false
	case share < cfg.Similarity:
		ok = false
	case namespace:
		// Resource names follow a version or API prefix: only a large,
		// still growing set of values is a parameter there, and only of
		// names outside the vocabulary and English: a big API names a
		// hundred resources there, each new when a client first reaches
		// it (the OpenAPI directory: session 13).
		ok = d >= cfg.ManySiblings && novelty >= 0.3 && 2*unknownNames(words) > d || scopedKeys(n, words, compatible, taken(n), cfg.MinSiblings) ||
			n.param && d >= 3 && share >= cfg.Similarity && 2*compoundNames(words) > d
	case 2*lookupCollections(words) > d:
		ok = false // mostly collections looked up by a field (/posts/slug/{slug}, /tags/slug/{slug})
	case 2*values >= d, sharedSub && share == 1:
		ok = true // d >= 3
	case 2*collectionNames(words) > d:
		ok = false // mostly plurals leading to their own members (/air/airports/{id}, /air/offers/{id}): collections
	case d < cfg.ManySiblings && 2*leadNames(words) > d:
		ok = false // mostly names each before a parameter or a version (/pub/player/{u}, /svc/books/v3): collections, services
	case entityNoun(n) && 2*unknownNames(words) > d:
		ok = true // d >= 3, mostly names outside the vocabulary of resources and of English
	case 2*resourceWords(words) > d:
		// Mostly resource words (/helix/users, /helix/streams, ...): names,
		// unless far more of them than an API has resources keep arriving
		// (/weather/city/bank, /tags/music, ...: values in English words).
		ok = d >= 2*cfg.ManySiblings && novelty >= 0.3
	default:
		// Many words, whatever they look like. Fewer, however new each
		// was on arrival, are as often an API's names (session 10:
		// TestFewNewWords).
		ok = d >= cfg.ManySiblings
	}
	if !ok && !namespace && !alt && !aligned {
		return t.promoteCoined(n, words, compatible)
	}
	if !ok {
		return false
	}
	p := t.paramChild(n, Word)
	if p.rule == ruleCoined {
		p.rule = ruleNone // the position's words are values too, by cardinality
	}
	if aligned {
		// Not promoted: resource words beside the instances stay literal.
		if p.rule == ruleNone {
			p.rule, p.confidence = ruleAligned, slotConfidence
			t.addWordKid(n)
		}
		for i, c := range words {
			if compatible[i] {
				delete(n.lits, c.key)
				t.addValue(p, c.key)
				t.merge(p, c)
			}
		}
		t.absorbIDLike(n)
		return true
	}
	n.promoted = true
	t.addWordKid(n)
	defer t.promoteCousins(n)
	p.confidence = share * (1 - 1/float64(d+1))
	for i, c := range words {
		if !compatible[i] {
			continue
		}
		delete(n.lits, c.key)
		t.addValue(p, c.key)
		t.merge(p, c)
	}
	t.relex(p)
	return true
}

// relex turns back into the literal it was made from the word parameter
// below parameter p that a lexical rule made from one word while p's
// values were literals (/r/kubernetes/hot: hot after a collection noun),
// when p's position gives the word no such reading (slotValue): the
// rule's evidence was the literal above, which is a value now, and a word
// arriving after p formed would have stayed literal (/r/{name}/hot).
func (t *tree) relex(p *node) bool {
	q := p.pchild
	if t.frozen || q == nil || !p.param || q.kind != Word || !lexicalRule(q.rule) || len(q.known) != 1 || q.typed != 0 || q.varied {
		return false
	}
	w := q.known[0]
	if p.lits[w] != nil || slotValue(p, w) || cousinKnows(p, w) {
		return false
	}
	t.unslot(q, w)
	return true
}

// titleFile reports whether w is a capitalised name in a data format
// (Local.json, TollFree.json): a resource of an API that capitalises its
// collections, answered in that format, as the name alone would be.
func titleFile(w string) bool {
	stem, bit := formatSuffix(w)
	return bit != 0 && titleCase(stem)
}

// camelTail reports whether w is a lowerCamel compound, letters only,
// whose last part is an English word (comanagedDevices,
// microsoftTunnelSites, cloudPCConnectivityIssues): a programmer's name
// for a resource even where camelName does not read every part, so no
// value by its capitals.
func camelTail(w string) bool {
	if w == "" || w[0] < 'a' || w[0] > 'z' || !camelHump(w) {
		return false
	}
	last := 0
	for i := 1; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
		if c >= 'A' && c <= 'Z' && w[i-1] >= 'a' && w[i-1] <= 'z' {
			last = i
		}
	}
	return last > 0 && len(w)-last >= 3 && madeOfWords(w[last:])
}

// caseApart reports whether capitalised word w, below capitalised
// literal n, is a resource of an API that capitalises its resources
// (/Line/Mode, /Line/Meta beside /Line/{id} holding victoria, central):
// such an API writes its resources and not its values that way, so the
// word takes part in no sibling rule (as slotValue reads it too).
func caseApart(n *node, w string) bool {
	return !n.param && (titleCase(w) || titleFile(w)) && titleCase(n.key)
}

// capitalPlural reports whether w is a capitalised plural of English
// words (Charts, ConnectionShapes): outside a collection, one the API
// names as a type (/ooxml-automation/Charts/OpenOfficeXml/{id}), where a
// collection's value may be one (/api/catalogs/Products/items/{id}).
func capitalPlural(w string) bool {
	return w[0] >= 'A' && w[0] <= 'Z' && titleCase(w) && pluralNoun(w) && madeOfWords(w)
}

// systemOperands returns the words that lead to a system operation
// (an '_'-prefixed segment: /recipes/_find, /products/_search) one
// other word leads to as well, or nil when fewer than two do. Systems
// mark their own operations so that the names users choose never
// collide with them: what comes before one is a user's name, even at
// the root (CouchDB databases, Elasticsearch indices).
func systemOperands(words []*node) []*node {
	var out []*node
	for i, a := range words {
		if systemName(a.key) {
			continue
		}
		for k := range a.lits {
			if !systemName(k) {
				continue
			}
			shared := false
			for j, b := range words {
				if j != i && !systemName(b.key) && b.lits[k] != nil {
					shared = true
					break
				}
			}
			if shared {
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

// systemName reports whether s is an '_'-prefixed word (_find,
// _all_docs, _search): a system's own operation or resource.
func systemName(s string) bool {
	return len(s) >= 3 && s[0] == '_' && s[1] != '_' && Classify(s) == Word
}

// promoteInstances merges the words into n's parameter, made by rule r;
// the other words beside them stay literal (n is not promoted). It
// reports whether any was merged.
func (t *tree) promoteInstances(n *node, words []*node, r rule) bool {
	p := t.paramChild(n, Word)
	if p.rule == ruleNone {
		p.rule, p.confidence = r, slotConfidence
		t.addWordKid(n)
	}
	merged := false
	for _, c := range words {
		if n.lits[c.key] != c {
			continue
		}
		delete(n.lits, c.key)
		t.addValue(p, c.key)
		t.merge(p, c)
		merged = true
	}
	t.absorbIDLike(n)
	return merged
}

// promoteNested merges into n's parameter the words that are instances
// by nestedInstance; resource words beside them stay literal (n is not
// promoted). It reports whether any word was merged.
func (t *tree) promoteNested(n *node, words []*node) bool {
	var nested []*node
	for _, c := range words {
		if nestedInstance(n, c) {
			nested = append(nested, c)
		}
	}
	if len(nested) == 0 {
		return false
	}
	p := t.paramChild(n, Word)
	if p.rule == ruleNone {
		p.rule, p.confidence = ruleNested, slotConfidence
		t.addWordKid(n)
		t.trackSlot(p)
	}
	for _, c := range nested {
		delete(n.lits, c.key)
		t.addValue(p, c.key)
		t.merge(p, c)
	}
	t.absorbIDLike(n)
	return true
}

// alternation applies REST's collection/instance alternation after a
// parameter: two or more words there that have no identifiers of their
// own but lead to the same collection (a literal with typed identifiers:
// /repos/{owner}/linux/issues/{id}, /repos/{owner}/go/issues/{id}) are
// instances (/repos/{owner}/{repo}), not sub-resources of the parameter.
// Two resource words of the vocabulary that do are the instance's own
// resources (/agent/{n}/get/{oid}, /agent/{n}/set/{oid}; session 13).
func alternation(words []*node) bool {
	for i, a := range words {
		if a.pchild != nil {
			continue
		}
		for k, c := range a.lits {
			if reservedLiterals[k] || c.pchild == nil || c.pchild.kind == Word || Classify(k) != Word {
				continue
			}
			for _, b := range words[i+1:] {
				if b.pchild != nil || resourceWord(a.key) && resourceWord(b.key) {
					continue // /agent/{n}/get/{oid}, /agent/{n}/set/{oid}: two of the instance's own resources
				}
				if o := b.lits[k]; o != nil && o.pchild != nil && o.pchild.kind != Word {
					return true
				}
			}
		}
	}
	return false
}

// compoundNames counts the words that are kebab-case compounds people
// name their things with (billing-api, infra-core: instanceCompound),
// each before a parameter of words of its own (the project's stacks:
// prod, staging).
func compoundNames(words []*node) int {
	n := 0
	for _, w := range words {
		if instanceCompound(w.key, true) && w.pchild != nil && w.pchild.kind == Word {
			n++ // before typed ids a compound is a collection (/user/{id}/monetary-account/{id})
		}
	}
	return n
}

// addWordKid records on n's parent that n's children hold plain-word
// values (cousin evidence for n's siblings).
func (t *tree) addWordKid(n *node) {
	if g := n.parent; g != nil && len(g.wordKids) < maxWordKids && !slices.Contains(g.wordKids, n) {
		g.wordKids = append(g.wordKids, n)
	}
}

// entityNoun reports whether literal n names a kind of thing whose
// instances can follow it: a resource noun of the vocabulary, not a verb
// (/convert/markdown), a qualifier or a gerund (/monitoring/grafana).
func entityNoun(n *node) bool {
	k := strings.ToLower(n.key)
	return !n.param && singlePart(k) && inLexicon(k) && !lexiconVerbs[k] && !lexiconQualifiers[k] && !lexiconFunctionWords[k] && !strings.HasSuffix(k, "ing")
}

// unknownNames counts the words that are no resource words and no
// English words either (words.go): an English word (animal, plant) names
// a kind of thing an API may serve as well as a value.
func unknownNames(words []*node) int {
	n := 0
	for _, c := range words {
		if !resourceWord(c.key) && !madeOfWords(c.key) {
			n++
		}
	}
	return n
}

// collectionNames counts the words that read as collection names: a
// plural noun whose own children hold instances (a parameter) or that is
// a leaf (/air/airports/{id}, /air/seat_maps).
func collectionNames(words []*node) int {
	n := 0
	for _, w := range words {
		if pluralNoun(w.key) && (w.pchild != nil && w.pchild.instanceParam() || len(w.lits) == 0 && w.pchild == nil) {
			n++
		}
	}
	return n
}

// lookupCollections counts the words that read as collections looked up
// by a field: a plural noun with a literal child that names the
// field (/posts/slug/{slug}, /users/by-email/{email}). Instances do not
// lead to a lookup field; collections do, whatever else arrived.
func lookupCollections(words []*node) int {
	n := 0
	for _, w := range words {
		if !pluralNoun(w.key) {
			continue
		}
		for k := range w.lits {
			if lookupField(k) {
				n++
				break
			}
		}
	}
	return n
}

// leadNames counts the words that lead to a parameter or to a version and
// are no values themselves: REST alternates collection and instance, so a
// word before instances (/pub/player/{username}, /pub/club/{id}) or before
// the version of an API (/svc/books/v3) names a collection or a service.
// Instances of one parameter are found beside each other in a position,
// with the same sub-paths (/tags/go/info), not each before its own
// parameter.
func leadNames(words []*node) int {
	n := 0
	for _, w := range words {
		if valueShaped(w.key) || valueLike(w.key) && !resourceType(w) {
			continue
		}
		if w.pchild != nil {
			n++
			continue
		}
		for k := range w.lits {
			if Classify(k) == Version {
				n++
				break
			}
		}
	}
	return n
}

// resourceWords counts the words that are resource words.
func resourceWords(words []*node) int {
	n := 0
	for _, w := range words {
		if resourceWord(w.key) {
			n++
		}
	}
	return n
}

// cousinEvidence reports whether a sibling position of n (a child of n's
// parent) already holds plain-word values in a parameter, and n's words
// look alike: all of them read as values (/page/summary/{title} beside
// /page/html/Marie_Curie, /page/html/Ada_Lovelace), or one of them is a
// value of that parameter (/simple/requests beside /pypi/{name}/json,
// requests among its values).
func cousinEvidence(n *node, words []*node) bool {
	if n.parent == nil {
		return false
	}
	values := 0
	for _, w := range words {
		if valueLike(w.key) && !resourceWord(w.key) { // findByStatus is an operation
			values++
		}
	}
	for _, s := range n.parent.wordKids {
		p := s.pchild
		if s == n || p == nil || p.values == 0 || loneSlot(p) || s.parent != n.parent || n.parent.lits[s.key] != s {
			continue // merged away since
		}
		if values == len(words) {
			return true
		}
		for _, w := range words {
			if slices.Contains(p.known, w.key) {
				return true
			}
		}
	}
	return false
}

// promoteCousins re-applies the rule to the sibling positions of n, which
// just became a word parameter (their cousin evidence changed).
func (t *tree) promoteCousins(n *node) {
	if n.parent == nil || t.frozen || len(n.parent.lits) > maxCousinScan {
		return
	}
	var buf [32]string // most positions have fewer siblings: no allocation
	keys := buf[:0]
	for k := range n.parent.lits {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if s := n.parent.lits[k]; s != nil && s != n && !s.promoted && len(s.lits) >= 2 {
			t.maybePromote(s)
		}
		if s := n.parent.lits[k]; s != nil && s != n && s.pchild != nil && s.pchild.instanceParam() {
			t.absorbIDLike(s)
		}
	}
}

// afterParam reports whether n is a literal right after a parameter,
// where the alternation rule may apply to n and its siblings.
func afterParam(n *node) bool {
	return n != nil && !n.param && n.parent != nil && n.parent.param
}

// sharedByTwo reports whether two of the words have one same literal
// child that is a resource word (a sub-resource: /orgs/a/members,
// /orgs/b/members) and are not both resource words themselves: two
// operations on one value (/service/web, /checks/web) share it as well.
// After a parameter, where sub-resources live, only words that are no
// resource words count (/projects/{org}/backend/issues).
func sharedByTwo(words []*node, anyWord bool) bool { return sharedWords(words, anyWord, false) > 0 }

// sharedWords is sharedByTwo's reading, counting the words that share a
// sub-resource with another (all), or 2 at the first pair found (!all).
func sharedWords(words []*node, anyWord, all bool) int {
	seen := map[string]*node{}
	var in map[*node]bool
	pair := func(a, b *node) bool {
		if !all {
			return true
		}
		if in == nil {
			in = map[*node]bool{}
		}
		in[a], in[b] = true, true
		return false
	}
	for _, w := range words {
		wres := resourceWord(w.key)
		if wres && !anyWord {
			continue
		}
		for k := range w.lits {
			if versionedPrefix(w.lits[k]) {
				continue // /airlines/rest/v1, /airports/rest/v1: services, each with its API prefix
			}
			if Classify(k) == Version {
				if wres {
					continue // /rest/v1, /auth/v1: services of one API, each versioned
				}
				if o := seen[k]; o != nil && !resourceWord(o.key) && sharedLiteral(o.lits[k], w.lits[k]) && pair(o, w) {
					return 2 // one versioned API below each: tenants (/{company}/v1/employees)
				}
				if seen[k] == nil {
					seen[k] = w
				}
				continue
			} else if Classify(k) != Word {
				continue
			} else if !resourceWord(k) && !reservedLiterals[k] {
				// A word both lead to may be a value two operations share
				// (/service/web, /checks/web); one both lead to before a
				// parameter of their own is a sub-collection of both
				// (/b/my-app-assets/o/{object}, /b/example-logs/o/{object}).
				if lookupField(k) || byField(k) || valueShaped(k) || w.lits[k].pchild == nil || reservedLiterals[w.key] {
					continue
				}
				if o := seen["\x00"+k]; o != nil && pair(o, w) {
					return 2
				}
				seen["\x00"+k] = w
				continue
			}
			if lookupField(k) {
				continue // a lookup field (/writers/slug/x): collections lead to it, see lookupCollections
			}
			if lexiconVerbs[k] && topLevel(w.parent) {
				continue // /mimic/access/set, /mimic/store/set: an API's resources sharing an operation's name
			}
			if (collectionOps[k] || rpcReads[k] || collectionViews[k]) && (pluralNoun(w.key) || resourceWord(w.key)) {
				continue // /marketing/contacts/search, /marketing/singlesends/search, /pdb/entry/summary, /pdb/compound/summary: collections offer the same operations
			}
			if o := seen[k]; o != nil && !(wres && resourceWord(o.key)) && pair(o, w) {
				return 2
			}
			if seen[k] == nil {
				seen[k] = w
			}
		}
	}
	return len(in)
}

// fewShare reports whether fewer than half of the d words share a
// sub-resource with another (sharedWords) and no two share two
// (pairSharesTwo): promote's reading below a typed id. It is counted only
// when the group or alternation reading would otherwise hold.
func fewShare(words []*node, d int) bool {
	return 2*sharedWords(words, false, true) < d && !pairSharesTwo(words)
}

// maxPairScan bounds the words pairSharesTwo compares pairwise.
const maxPairScan = 64

// pairSharesTwo reports whether two of the words, neither a resource
// word, share two or more literal sub-resources (sharedSubs): views of
// one account (/accounts/{id}/owner/transactions, /owner/account beside
// /accountant/transactions, /accountant/account). Two of an instance's
// sub-resources may share one (/users/{id}/planner/tasks,
// /outlook/tasks).
func pairSharesTwo(words []*node) bool {
	var cands []*node
	for _, w := range words {
		if len(cands) == maxPairScan {
			break
		}
		if len(w.lits) >= 2 && !resourceWord(w.key) {
			cands = append(cands, w)
		}
	}
	for i, a := range cands {
		for _, b := range cands[i+1:] {
			if sharedSubs(a, b) >= 2 {
				return true
			}
		}
	}
	return false
}

// topLevel reports whether n is a literal right under the root: the
// API's name or prefix (/mimic/), after which it names its resources.
// Two of them leading to one operation (set, list, get) share a verb by
// chance; instances of a collection deeper down (/packages/{owner}/
// production/upload, /pile/discard/add) share theirs (session 13: the
// OpenAPI directory).
func topLevel(n *node) bool {
	return n != nil && !n.param && n.parent != nil && n.parent.parent == nil
}

// sharedLiteral reports whether every node of ns has one same literal
// plain-word child (a sub-resource).
func sharedLiteral(ns ...*node) bool {
	for k := range ns[0].lits {
		if Classify(k) != Word {
			continue
		}
		all := true
		for _, o := range ns[1:] {
			if o.lits[k] == nil {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// merge folds src (and its subtree) into dst, which takes src's calls,
// endpoints and children.
func (t *tree) merge(dst, src *node) {
	if dst.param && !src.param {
		noteMerged(dst, src)
		noteEntry(dst, src.key)
	}
	dst.calls += src.calls
	t.nodes--
	t.unindex(src)
	for _, e := range src.eps {
		t.attach(dst, e)
	}
	src.eps = nil
	if sp, dp := src.pchild, dst.pchild; sp != nil && dp != nil && !dst.promoted {
		// The one lower-case word the collection slot took on one side
		// is an operation beside the other side's integer or UUID ids,
		// as demoteLone makes it when the ids arrive second
		// (/livescores/inplay beside /{name}/{id}).
		const ids = 1<<Integer | 1<<UUID
		if dp.typed&ids != 0 && loneWord(sp) {
			src.pchild = nil
			t.merge(t.litOf(dst, sp.known[0]), sp)
		} else if sp.typed&ids != 0 && loneWord(dp) {
			dst.pchild = nil
			t.merge(t.litOf(dst, dp.known[0]), dp)
		}
	}
	if src.pchild != nil {
		sp := src.pchild
		dp := dst.pchild
		if dp == nil {
			dp = t.paramChild(dst, sp.kind)
		} else {
			t.setKind(dp, sp.kind)
		}
		if dp.rule == ruleNone && sp.rule != ruleNone {
			dp.rule, dp.confidence = sp.rule, sp.confidence // the evidence moves with the values
			t.trackSlot(dp)
		}
		// Both parameters may hold the same words (one sub-resource of
		// two tenants): only sp's values dp does not know are new, and
		// those past sp.known, which cannot be compared, are counted.
		dp.values += max(0, sp.values-len(sp.known))
		dp.typed |= sp.typed
		dp.varied = dp.varied || sp.varied
		for _, v := range sp.samples {
			if len(dp.samples) < 5 && !slices.Contains(dp.samples, v) {
				dp.samples = append(dp.samples, v)
			}
		}
		for _, v := range sp.known {
			if slices.Contains(dp.known, v) {
				continue
			}
			dp.values++
			if len(dp.known) < maxKnown {
				dp.known = append(dp.known, v)
				t.gained(dp, v)
			}
		}
		t.merge(dp, sp)
	}
	slotted := false
	for _, k := range litKeys(src) {
		c := src.lits[k]
		if c == nil {
			continue
		}
		if dst.promoted && Classify(k) == Word && !reservedLiterals[k] && dst.pchild != nil && !caseApart(dst, k) {
			t.merge(dst.pchild, c)
			continue
		}
		if d := dst.lits[k]; d != nil {
			t.merge(d, c)
			continue
		}
		if dst.pchild != nil && dst.pchild.kind == Word && dst.pchild.typed == 0 && dst.pchild.knows(k) && !t.constant[k] && !c.named && !c.apart && !dst.closed {
			// A word dst's parameter already holds is that value here
			// too, as a walk would take it (/v1/modules/{ns}/{name}/aws
			// once a new name joined {name}).
			t.merge(dst.pchild, c)
			continue
		}
		if Classify(k) == Word && slotValue(dst, k) && !(englishWord(k) && litSubResource(c) && englishSlot(dst, k)) {
			// A word that was a literal below src is a value below dst
			// (/gh/CircleCI-Public once gh joined {name}).
			p := t.paramChild(dst, Word)
			if p.rule == ruleNone {
				p.rule, p.confidence = ruleCollectionSlot, slotConfidence
				t.addWordKid(dst)
				t.trackSlot(p)
			}
			t.addValue(p, k)
			t.merge(p, c)
			slotted = true
			continue
		}
		if dst.lits == nil {
			dst.lits = map[string]*node{}
		}
		nc := &node{parent: dst, key: k, tmpl: dst.tmpl + "/" + k, depth: dst.depth + 1}
		dst.lits[k] = nc
		t.nodes++
		t.index(nc)
		t.merge(nc, c)
	}
	if slotted {
		t.absorbIDLike(dst) // words beside the new values may join them
	}
	if p := dst.pchild; p != nil && !dst.param && p.values == 1 && len(p.known) == 1 && nestedLeaf(dst, "") {
		t.demoteEnglish(p, p.known[0], "") // dst now belongs to an instance: its English leaf is no member (slotwords.go)
	}
	if !dst.promoted && len(dst.lits) >= 2 {
		t.maybePromote(dst) // the merged children may now be siblings enough
	}
}

// attach moves endpoint e to node n, merging it with n's endpoint of the
// same method.
func (t *tree) attach(n *node, e *endpoint) {
	for _, x := range n.eps {
		if x.method == e.method {
			x.merge(e)
			t.inv.dropEndpoint(e)
			return
		}
	}
	e.node = n
	e.tmpl = n.tmpl
	if e.tmpl == "" {
		e.tmpl = "/"
	}
	n.eps = append(n.eps, e)
}

// template of node n ("/" for the root).
func (n *node) template() string {
	if n.tmpl == "" {
		return "/"
	}
	return n.tmpl
}

// params lists the parameter nodes from the root to n.
func (n *node) params() []*node {
	var out []*node
	for a := n; a != nil; a = a.parent {
		if a.param {
			out = append(out, a)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// find returns the node a path resolves to now, without growing the tree
// (nil when the path has a shape never seen). A literal that does not
// lead to the rest of the path gives way to the parameter beside it.
func (t *tree) find(path string) *node {
	return findFrom(t.root, strings.Trim(path, "/"), packageFile(path))
}

func findFrom(n *node, rest, file string) *node {
	for rest != "" && rest[0] == '/' {
		rest = rest[1:]
	}
	if rest == "" {
		return n
	}
	seg, tail := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg, tail = rest[:i], rest[i+1:]
	}
	p := n.pchild
	if p != nil && file != "" && tail != "" && namedInFile(n, seg, file) {
		return findFrom(p, tail, file)
	}
	if c := n.lits[seg]; c != nil {
		if r := findFrom(c, tail, file); r != nil {
			return r
		}
		if p != nil {
			// A literal without this sub-path: the walk sent the call on to
			// the parameter beside it (a value merged once goes to its
			// parameter again), so the lookup follows it there.
			return findFrom(p, tail, file)
		}
		return nil
	}
	if p == nil {
		return nil
	}
	k := classifyAt(n, seg, strings.Trim(tail, "/") != "")
	if k == Version && coordinate(seg, tail) {
		k = Token
	}
	if k == Version || k == Word && !n.promoted && p.kind != Mixed && !p.knows(seg) && !slotTakes(n, seg, tail) && !joinsInstance(seg, p) && !(p.instanceParam() && cousinKnows(n, seg)) {
		// A word the parameter does not know: still its value when the
		// walk sent a call of this shape there (the walk does not record
		// every word it sends to a parameter; the inventory looks a call
		// up right after observing it).
		if r := findFrom(p, tail, file); r != nil && r.calls > 0 {
			return r
		}
		return nil
	}
	return findFrom(p, tail, file)
}

// addValue counts plain word v into parameter p (see node.addValue); a
// value new to p is evidence for the same noun elsewhere (sweepNouns).
func (t *tree) addValue(p *node, v string) bool {
	if !p.addValue(v) {
		return false
	}
	t.gained(p, v)
	if p.values == 1 && p.rule == ruleSameNoun && len(t.lone[v]) < maxNounNodes {
		if t.lone == nil {
			t.lone = map[string][]*node{}
		}
		t.lone[p.known[0]] = append(t.lone[p.known[0]], p)
	}
	if a := p.parent; p.values >= t.cfg.MinSiblings && a != nil && len(a.lits) > 0 && len(t.volume) < maxPending {
		t.volume = append(t.volume, a)
	}
	return true
}

// countValue counts word seg, walked into parameter p, as p's value (see
// addValue) and reports whether it was new. A rewalk's word was counted
// when it merged, unless it reached p only on the rewalk (a position
// above became a parameter first): it is counted then, or p would hold a
// value it never learned, depending on which call came first.
func (t *tree) countValue(p *node, seg string, depth int) bool {
	if depth > 0 && (len(p.known) >= maxKnown || slices.Contains(p.known, seg)) {
		return false
	}
	return t.addValue(p, seg)
}

// gained records that parameter p learned plain-word value v, for
// sweepNouns; at most maxPending values a call are kept (a merge teaches
// at most maxKnown), and a literal a full list misses stays literal until
// a new path below the same segment comes.
func (t *tree) gained(p *node, v string) {
	if a := p.parent; a != nil && !a.param && a.parent != nil && len(t.pending) < maxPending {
		t.pending = append(t.pending, learned{a, v})
	}
}

// index records literal word node c under its segment for the same-noun
// rule, in the place of one merged away since.
func (t *tree) index(c *node) {
	if Classify(c.key) != Word || reservedLiterals[c.key] {
		return
	}
	if t.nouns == nil {
		t.nouns = map[string][]*node{}
	}
	l := t.nouns[c.key]
	for i, x := range l {
		if !alive(x) {
			l[i] = c
			return
		}
	}
	if len(l) < maxNounNodes {
		t.nouns[c.key] = append(l, c)
	}
}

// unindex drops node x, merged away, from the same-noun index, so the
// index holds no node the tree does not.
func (t *tree) unindex(x *node) {
	if x.param {
		return
	}
	l := t.nouns[x.key]
	if i := slices.Index(l, x); i >= 0 {
		l = slices.Delete(l, i, i+1)
		if len(l) == 0 {
			delete(t.nouns, x.key)
		} else {
			t.nouns[x.key] = l
		}
	}
}

// alive reports whether node x is still in its tree (not merged into a
// parameter).
func alive(x *node) bool {
	for ; x.parent != nil; x = x.parent {
		if !x.param && x.parent.lits[x.key] != x || x.param && x.parent.pchild != x {
			return false
		}
	}
	return true
}

// knownElsewhere reports whether plain word w, below literal n, is a
// value by the same-noun or the sibling-value rule.
func (t *tree) knownElsewhere(n *node, w string) bool {
	return !reservedLiterals[w] && !systemName(w) && (t.nounKnows(n, w) || cousinKnows(n, w)) && !t.namesCollection(w)
}

// unvalue returns to a literal every parameter that holds word w as its
// only value on same-noun or sibling-value evidence, now that w names a
// collection (namesCollection), whichever came first. It reports whether
// any did. The parameters are found in tree.lone.
func (t *tree) unvalue(w string) bool {
	if t.frozen {
		return false
	}
	changed := false
	ps := t.lone[w]
	delete(t.lone, w)
	for _, p := range ps {
		y := p.parent
		if p.param && p.rule == ruleSameNoun && p.values == 1 && len(p.known) == 1 && p.known[0] == w && y.pchild == p && y.lits[w] == nil && !y.promoted && alive(p) {
			t.unslot(p, w)
			changed = true
		}
	}
	return changed
}

// namesCollection reports whether word w leads to integer or UUID ids
// somewhere in the API (/3/movie/{id}): it names a collection of the API,
// so where another position holds it as a value (/3/trending/{type}
// holding movie) a literal w beside it (/3/search/movie) is still that
// collection, not the same value.
func (t *tree) namesCollection(w string) bool {
	for _, x := range t.nouns[w] {
		if collectionBeforeID(x) && alive(x) {
			return true
		}
	}
	return false
}

// nounKnows reports whether plain word w, below literal n, is a value
// that a parameter below the same noun elsewhere in the API holds: a
// noun names one collection wherever it appears
// (/apis/apps/v1/namespaces/default beside /api/v1/namespaces/{name}
// holding default).
func (t *tree) nounKnows(n *node, w string) bool {
	if n.param || reservedLiterals[w] || len(w) < 2 {
		return false
	}
	switch w[0] {
	case '_', '$', '-', '.', '@':
		return false
	}
	for _, x := range t.nouns[n.key] {
		if x != n && x.pchild != nil && x.pchild.knows(w) && alive(x) {
			return true
		}
	}
	return false
}

// sweepNouns applies the same-noun and sibling-value rules to the
// values parameters learned: a literal of that value below the same
// segment elsewhere, or below a sibling, joins the parameter there. It
// repeats until nothing changes and reports whether the tree changed.
func (t *tree) sweepNouns() bool {
	changed := false
	for round := 0; len(t.pending) > 0 && round < 8; round++ {
		ls := t.pending
		t.pending = nil
		for _, l := range ls {
			if !alive(l.at) {
				continue
			}
			for _, y := range slices.Clone(t.nouns[l.at.key]) { // merges unindex nodes
				if y != l.at && y.lits[l.v] != nil && alive(y) && t.absorbKnown(y) {
					changed = true
				}
			}
			if g := l.at.parent; len(g.lits) <= maxCousinScan && slices.Contains(g.wordKids, l.at) {
				for _, k := range litKeys(g) {
					if y := g.lits[k]; y != nil && y != l.at && y.lits[l.v] != nil && t.absorbKnown(y) {
						changed = true
					}
				}
			}
		}
	}
	t.pending = t.pending[:0]
	return changed
}

// slotWords merges the literal words keys of n into n's word parameter
// (made by rule r when n has none), then lets id-like siblings join it.
func (t *tree) slotWords(n *node, keys []string, r rule) {
	p := t.paramChild(n, Word)
	if p.rule == ruleNone {
		p.rule, p.confidence = r, slotConfidence
		t.addWordKid(n)
		t.trackSlot(p)
	}
	for _, k := range keys {
		c := n.lits[k]
		if c == nil || n.pchild != p {
			continue
		}
		delete(n.lits, k)
		t.addValue(p, k)
		t.setKind(p, Word)
		t.merge(p, c)
	}
	t.absorbIDLike(n)
}

// absorbKnown merges into n's parameter the literal words of n that the
// same noun's parameter elsewhere holds. It reports whether any was.
func (t *tree) absorbKnown(n *node) bool {
	if t.frozen || n.promoted {
		return false
	}
	var keys []string
	for k, c := range n.lits {
		if Classify(k) == Word && !c.apart && t.knownElsewhere(n, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return false
	}
	sort.Strings(keys)
	t.slotWords(n, keys, ruleSameNoun)
	return true
}

// packageFile returns the last segment of path when it is a package
// file: a name with a digit and a lower-case extension (app-1.0.jar,
// express-4.18.2.tgz), "" otherwise.
func packageFile(path string) string {
	f := path[strings.LastIndexByte(path, '/')+1:]
	dot := strings.LastIndexByte(f, '.')
	if dot <= 0 || len(f)-dot-1 < 1 || len(f)-dot-1 > 8 || len(f) > 128 {
		return ""
	}
	for i := dot + 1; i < len(f); i++ {
		if c := f[i]; c < 'a' || c > 'z' {
			return "" // release-v1.22: a name, not a file
		}
	}
	for i := 0; i < dot; i++ {
		if c := f[i]; c >= '0' && c <= '9' {
			return f
		}
	}
	return "" // no digit before the extension: no release in the name
}

// namedInFile reports whether segment seg, below n, is repeated as a
// whole part of package file f (guava and 33.0.0-jre in
// guava-33.0.0-jre.jar): a package repository names its files after the
// package and the release, so the segments it repeats are values. The
// root, namespaces and the file's own extension are left alone.
func namedInFile(n *node, seg, f string) bool {
	if n.parent == nil || n.param && n.kind != Word || len(seg) < 2 || len(seg) >= len(f) {
		return false
	}
	stem := f[:strings.LastIndexByte(f, '.')]
	if stem == seg || !wholePart(stem, seg) {
		return false // /reports/q1/q1.pdf: no package and release
	}
	if reservedLiterals[seg] || systemName(seg) || namespaceWord(seg) {
		return false
	}
	if k := Classify(seg); k != Word && k != Version || k == Version && seg[0] == 'v' {
		return false // an API version (/v1/) is no release of the package
	}
	return true
}

// wholePart reports whether seg is a whole part of file stem stem, between
// separators or its ends (namedInFile).
func wholePart(stem, seg string) bool {
	for i := 0; i+len(seg) <= len(stem); {
		j := strings.Index(stem[i:], seg)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(seg)
		if (j == 0 || partSep(stem[j-1])) && (end == len(stem) || partSep(stem[end])) {
			return true
		}
		i = j + 1
	}
	return false
}

func partSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

// fileValue goes from n to its parameter for seg, a value by
// namedInFile; a literal seg beside it joins it.
func (t *tree) fileValue(n *node, seg string) *node {
	k := Classify(seg)
	if k == Version {
		k = Token
	}
	p := t.paramChild(n, k)
	if p.rule == ruleNone {
		p.rule, p.confidence = ruleFileName, slotConfidence
		t.addWordKid(n)
	}
	if c := n.lits[seg]; c != nil && !t.frozen && !c.apart {
		delete(n.lits, seg)
		t.merge(p, c)
	}
	if k == Word {
		t.addValue(p, seg)
	}
	return p
}

// Volume: a plain-word parameter that has taken in many distinct values
// (Config.MinSiblings or more) is a collection of instances on the
// evidence of traffic, and a literal word beside it with the same
// sub-paths (a child that the parameter's own parameter holds as a value
// counts as that parameter) is one more of them, even a resource word: on live traffic
// the values called most (/v1/catalog/service/web, api, billing) are
// seen first and would otherwise stay literal beside the parameter that
// their rarer siblings (postgres, redis, kafka, ...) formed. Operations
// keep their place: reserved words (me, search, login), system names,
// lookups by a field, operation compounds, format codes, plurals with
// sub-paths of their own (sub-collections), and capitalised names in an
// API that capitalises its resources stay literal; so do the literals
// beside typed ids (/orders/pending) and where resource names live (the
// root, a version, an API prefix).

// volumeJoins reports whether literal c of n joins n's parameter by
// volume (see above); ends says the call being walked ends at c (its
// endpoint is attached after the walk).
func (t *tree) volumeJoins(n, c *node, ends bool) bool {
	p := n.pchild
	if p == nil || p.kind != Word || p.values < t.cfg.MinSiblings || c.param || c.apart {
		return false
	}
	if n == t.root || namespaceWord(n.key) || versionLit(n) || apiPrefix(n) {
		return false
	}
	key := t.nodes<<16 | p.values&0xffff
	if c.volKey == key {
		return false
	}
	k := c.key
	if Classify(k) != Word || reservedLiterals[k] || systemName(k) || byField(k) || lookupField(k) || caseApart(n, k) ||
		reservedPart(k) || formatWord(k) || upperCode(k) && !upperCodes(p) || qualifiedName(k) ||
		pluralNoun(k) && (len(c.lits) > 0 || c.pchild != nil) {
		c.volKey = key
		return false
	}
	if len(c.lits) == 0 && c.pchild == nil {
		if len(c.eps) == 0 && !ends || len(p.eps) == 0 {
			return false // not cached: the endpoint may come after the walk
		}
	} else if !sameSubPaths(c, p) {
		c.volKey = key
		return false
	}
	if operationName(k) { // last: it allocates
		c.volKey = key
		return false
	}
	return true
}

// sameSubPaths reports whether the sub-paths of literal c and of
// parameter p agree, one set holding the other (as subset does on
// shapes), where a child of c that p's own parameter holds as a value
// counts as that parameter (/modules/{ns}/lambda/aws beside
// /modules/{ns}/{name}/{provider} holding aws). It does not allocate.
func sameSubPaths(c, p *node) bool {
	q := p.pchild
	cInP, viaQ := true, false // every child of c is one of p's
	for k := range c.lits {
		if p.lits[k] != nil {
			continue
		}
		if q != nil && q.knows(k) {
			viaQ = true
			continue
		}
		cInP = false
	}
	if cInP && c.pchild != nil && q == nil {
		cInP = false
	}
	if cInP {
		return true
	}
	for k := range p.lits { // every child of p is one of c's
		if c.lits[k] == nil {
			return false
		}
	}
	return q == nil || c.pchild != nil || viaQ
}

// volumeOnPath merges into their parameter the literals on the path
// ending at n that join it by volume, and reports whether any did.
func (t *tree) volumeOnPath(n *node) bool {
	if t.frozen {
		return false
	}
	changed := false
	for x := n; x != nil && x.parent != nil; x = x.parent {
		par := x.parent
		if x.param || par.pchild == nil || par.pchild.kind != Word || par.pchild.values < t.cfg.MinSiblings {
			continue
		}
		if par.lits[x.key] == x && t.volumeJoins(par, x, x == n) {
			t.joinVolume(par, x)
			changed = true
			break // x's subtree moved: the path above is walked again
		}
	}
	return changed
}

// sweepVolume applies volumeJoins to every literal beside the parameters
// that gained values in this call, so a literal no call reaches again
// joins too (the result does not depend on arrival order).
func (t *tree) sweepVolume() bool {
	changed := false
	for round := 0; len(t.volume) > 0 && round < 8; round++ {
		ns := t.volume
		t.volume = nil
		for _, n := range ns {
			if t.frozen || !alive(n) || len(n.lits) > maxCousinScan {
				continue
			}
			keys := t.keyBuf[:0]
			for k := range n.lits {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			t.keyBuf = keys[:0]
			for _, k := range keys {
				if c := n.lits[k]; c != nil && n.pchild != nil && t.volumeJoins(n, c, false) {
					t.joinVolume(n, c)
					changed = true
				}
			}
		}
	}
	t.volume = t.volume[:0]
	return changed
}

// joinVolume merges literal c of n into n's parameter.
func (t *tree) joinVolume(n, c *node) {
	p := n.pchild
	delete(n.lits, c.key)
	t.addValue(p, c.key)
	t.merge(p, c)
}
