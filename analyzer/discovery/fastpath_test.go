package discovery

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

// The word predicates on the walk were rewritten without closures or
// allocations (the speed pass of 2026-11-24); the reference versions
// below are the ones they replaced, word for word (splitting with the
// closure wordParts was until session 15: closureWordParts), and
// FuzzFastPaths holds the two to the same answers.

// closureWordParts is wordParts as sessions 1–14 wrote it, a closure
// over the segment's boundaries: partScanner must split as it did
// (FuzzWordParts), and the reference predicates of fastpath_test.go split
// with it.
func closureWordParts(s string, f func(part string) bool) {
	start := 0
	parts := 0
	emit := func(end int) bool {
		if end > start {
			parts++
			if parts > maxWordParts || !f(s[start:end]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			if !emit(i) {
				return
			}
			start = i + 1
		case c >= 'A' && c <= 'Z' && i > start && s[i-1] >= 'a' && s[i-1] <= 'z':
			if !emit(i) {
				return
			}
			start = i
		}
	}
	emit(len(s))
}

func refWordParts(s string) []string {
	var parts []string
	closureWordParts(s, func(p string) bool { parts = append(parts, p); return true })
	return parts
}

func refResourceWord(s string) bool {
	ok, n := true, 0
	closureWordParts(s, func(p string) bool {
		n++
		ok = inLexicon(p)
		return ok
	})
	return ok && n > 0
}

func refPluralLast(s string) string {
	last := ""
	closureWordParts(s, func(p string) bool { last = p; return true })
	return last
}

func refSinglePart(s string) bool {
	n := 0
	closureWordParts(s, func(string) bool { n++; return n < 2 })
	return n == 1
}

func refReservedPart(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	first := ""
	closureWordParts(w, func(p string) bool { first = p; return false })
	return reservedLiterals[first] && !refSinglePart(w)
}

func refOperationName(w string) bool {
	var parts []string
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	closureWordParts(w, func(p string) bool { parts = append(parts, p); return true })
	if len(parts) < 2 {
		return false
	}
	last := parts[len(parts)-1]
	if lexiconVerbs[parts[0]] || lexiconVerbs[last] || reservedLiterals[last] || predicateWords[parts[0]] {
		return true
	}
	return slices.Contains(parts[1:len(parts)-1], "by")
}

func refJoinsInstance(w string, p *node) bool {
	if fileOperation(p, w) {
		return false
	}
	if codeIDs(p) && plainLower(w) {
		return false
	}
	if !p.instanceParam() || len(w) < 2 || reservedLiterals[w] || qualifiedName(w) || refReservedPart(w) || byField(w) || refOperationName(w) || customMethod(w) { // customMethod: session 13 (:batchGet), found missing here by the fuzzer in session 15
		return false
	}
	if plainLower(w) && upperCodes(p) {
		return false
	}
	switch w[0] {
	case '_', '$', '-', '.':
		return false
	}
	return !refResourceWord(w)
}

// fastPathParams are parameters of the kinds joinsInstance tells apart.
func fastPathParams() []*node {
	parent := &node{key: "items", lits: map[string]*node{"content.csv": {key: "content.csv"}}}
	return []*node{
		{param: true, kind: Integer, parent: parent},
		{param: true, kind: UUID},
		{param: true, kind: Token, formats: []string{"A9"}, exts: 1, parent: parent},
		{param: true, kind: Token, formats: []string{"a9"}},
		{param: true, kind: Mixed, typed: 1 << Integer},
		{param: true, kind: Word, rule: ruleCollectionSlot, known: []string{"AAPL", "PNG"}, values: 2},
		{param: true, kind: Word, rule: ruleCollectionSlot, known: []string{"alice"}, values: 1},
		{param: true, kind: Word, rule: ruleNone, known: []string{"alice", "bob"}, values: 2},
		{param: true, kind: Word, rule: ruleSameNoun},
	}
}

func refNamespaceWord(k string) bool {
	if namespaceLiterals[k] {
		return true
	}
	var buf [8]byte
	if len(k) > len(buf) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return namespaceLiterals[string(buf[:len(k)])]
}

func refCompoundVersion(parent *node, seg string, more bool) bool {
	if !more || parent.param || !(parent.parent == nil || namespaceWord(parent.key) || versionKey(parent.key)) {
		return false
	}
	i := strings.IndexAny(seg, "-_")
	if i < 2 || i > 8 || i == len(seg)-1 || !plainLower(seg[:i]) {
		return false
	}
	ver := seg[i+1:]
	return isVersion(ver) || len(ver) >= 2 && len(ver) <= 3 && ver[0] == '0' && isDigits(ver)
}
func refPreReleaseVersion(parent *node, seg string, more bool) bool {
	if !more || parent.param || !(parent.parent == nil || namespaceWord(parent.key) || versionKey(parent.key)) {
		return false
	}
	i := strings.IndexAny(seg, "-_")
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
			return rest == "" || isDigits(rest)
		}
	}
	return false
}
func refBareVersion(parent *node, seg string, more bool) bool {
	if !more || parent.param || parent.parent == nil {
		return false
	}
	if len(seg) == 4 && namespaceWord(parent.key) {
		return yearNumber(seg)
	}
	return len(seg) == 1 && productWord(parent) && !numbersAt(parent, seg)
}
func refNamedInFile(n *node, seg, f string) bool {
	if n.parent == nil || n.param && n.kind != Word || len(seg) < 2 || reservedLiterals[seg] || systemName(seg) || namespaceWord(seg) || len(seg) >= len(f) {
		return false
	}
	if k := Classify(seg); k != Word && k != Version || k == Version && seg[0] == 'v' {
		return false // an API version (/v1/) is no release of the package
	}
	stem := f[:strings.LastIndexByte(f, '.')]
	if stem == seg {
		return false // /reports/q1/q1.pdf: no package and release
	}
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
func refVersionAt(parent *node, seg string) bool {
	return !parent.param && (parent.parent == nil || namespaceWord(parent.key) || apiCompound(parent)) && releaseVersion(seg)
}

func refPackageFile(path string) string {
	f := path[strings.LastIndexByte(path, '/')+1:]
	dot := strings.LastIndexByte(f, '.')
	if dot <= 0 || len(f)-dot-1 < 1 || len(f)-dot-1 > 8 || len(f) > 128 || !strings.ContainsAny(f[:dot], "0123456789") {
		return ""
	}
	for i := dot + 1; i < len(f); i++ {
		if c := f[i]; c < 'a' || c > 'z' {
			return "" // release-v1.22: a name, not a file
		}
	}
	return f
}

// fastPathParents are literal positions of the kinds classifyAt's hooks
// tell apart: the root, a namespace, a version, a product word, a plural
// collection, a parameter, and an API compound.
func fastPathParents() []*node {
	root := &node{}
	mk := func(parent *node, key string) *node {
		c := &node{parent: parent, key: key, depth: parent.depth + 1}
		if parent.lits == nil {
			parent.lits = map[string]*node{}
		}
		parent.lits[key] = c
		return c
	}
	api := mk(root, "api")
	search := mk(root, "search")
	mk(search, "2")
	out := []*node{root, api, mk(root, "API"), mk(api, "v1"), mk(api, "v1.0"), search, mk(root, "orders"),
		mk(root, "propertyapi"), mk(mk(root, "tags"), "x"), {param: true, parent: api, kind: Word}, mk(root, "ws")}
	out = append(out, mk(api, "releases"))
	return out
}

// TestLiteralKeys holds what node.facts assumes: after every corpus, in
// file order and reversed, each literal sits in its parent's map under its
// own key and is no parameter.
func TestLiteralKeys(t *testing.T) {
	files, _ := filepath.Glob("testdata/templating_*.txt")
	files = append(files, "churn")
	for _, fn := range files {
		var lines []corpusLine
		if fn == "churn" {
			for _, p := range churnPaths(20000) {
				lines = append(lines, corpusLine{api: "churn", method: "GET", path: p})
			}
		} else {
			lines = readCorpusFile(t, fn)
		}
		for _, rev := range []bool{false, true} {
			ls := slices.Clone(lines)
			if rev {
				slices.Reverse(ls)
			}
			invs := map[string]*Inventory{}
			for _, l := range ls {
				if invs[l.api] == nil {
					invs[l.api], _ = New(DefaultConfig(), nil)
				}
				invs[l.api].Observe(&apicall.Call{Host: l.api, Method: l.method, Path: l.path})
			}
			for api, inv := range invs {
				var check func(n *node)
				check = func(n *node) {
					for k, c := range n.lits {
						if c.key != k || c.param || c.parent != n {
							t.Fatalf("%s %s: literal %q of %s has key %q, param %v", fn, api, k, n.tmpl, c.key, c.param)
						}
						if c.kf != 0 && c.kf != (&node{key: k, parent: n}).facts() {
							t.Fatalf("%s %s: facts of %q kept stale", fn, api, k)
						}
						check(c)
					}
					if n.pchild != nil {
						check(n.pchild)
					}
				}
				for _, h := range inv.hosts {
					check(h.tree.root)
				}
			}
		}
	}
}

// TestLiteralWithDigitsLength holds what Classify's shortcut assumes:
// no word of literalWithDigits is longer than maxLiteralWithDigits, so
// every one is still looked up and read as a word.
func TestLiteralWithDigitsLength(t *testing.T) {
	for w := range literalWithDigits {
		if len(w) > maxLiteralWithDigits {
			t.Errorf("literalWithDigits word %q is longer than maxLiteralWithDigits (%d)", w, maxLiteralWithDigits)
		}
		if k := Classify(w); k != Word {
			t.Errorf("Classify(%q) = %v, want word", w, k)
		}
	}
}

// TestNamespaceWordLength holds what namespaceWord's shortcuts assume:
// every namespace literal is one to eight lower-case bytes.
func TestNamespaceWordLength(t *testing.T) {
	for k := range namespaceLiterals {
		if len(k) < 1 || len(k) > 8 || strings.ToLower(k) != k {
			t.Errorf("namespace literal %q: namespaceWord reads one to eight lower-case bytes", k)
		}
		if !namespaceWord(k) || !namespaceWord(strings.ToUpper(k)) {
			t.Errorf("namespaceWord(%q) = false", k)
		}
	}
}

var fastPathSeeds = []string{"is-mersenne-prime", "has_access", "maniphest.search", "api_1.0", "h323", "RtiTransaction", "targetHttpProxies", "buildWithParameters", "a--b__c..d", "ÄÖ-ü", "", "-", "aAaAaAaAaAaAaAaAaAaA", "x.Y.z",
	"billing-service", "users-by-email", "DEV", "EU_WEST", "a-", "-a-b", "lastBuild", "nextToken", "meTeams",
	"get_item_by_legacy_id", "list-members", "expanded-search", "bulk-update", "a-b-c-d-e-f-g-h-i-j", "a_b_c_d_e_f_g_h_search",
	"dns_records", "repositories", "storageAccounts", "Status", "lookup-self", "x", "searchAll", "allSearch", "by-by-by", "connect.json", "content.json", "login.php", "_find", "$metadata", "Microsoft.Compute",
	"by-email", "byUsername", "synonyms", "members", "alice", "serde", "nyancat", "Revenues.json", "me", "search", "API", "Rest", "internal", "INTERNAL", "externals", "v", "V", "GraphQL", "2014", "1999", "2", "api-2.0", "iot-03", "v2.0-beta", "v1-preview", "3.1_rc1", "v1.0.0",
	"1.0.0", "2.2.1", "guava", "33.0.0-jre", "jre", "app", "1.0", "v1", "express", "4.18.2", "q1", "v0002", "oauth2", "graphql2", "sha256", "graphql22", "x402", "cus_NffrFeUfNV2Hib", "app-1.0.jar", "release-v1.22", "x.JAR", "a1.b", "guava-33.0.0-jre.jar", "readme.md"}

func TestFastPaths(t *testing.T) {
	for _, s := range fastPathSeeds {
		checkFastPaths(t, s)
	}
}

func FuzzFastPaths(f *testing.F) {
	for _, s := range fastPathSeeds {
		f.Add(s)
	}
	f.Fuzz(checkFastPaths)
}

func checkFastPaths(t *testing.T, s string) {
	var buf [maxWordParts]string
	if got, want := splitParts(s, &buf), refWordParts(s); !slices.Equal(got, want) {
		t.Fatalf("splitParts(%q) = %q, wordParts gives %q", s, got, want)
	}
	if got, want := resourceWord(s), refResourceWord(s); got != want {
		t.Fatalf("resourceWord(%q) = %v, want %v", s, got, want)
	}
	if got, want := singlePart(s), refSinglePart(s); got != want {
		t.Fatalf("singlePart(%q) = %v, want %v", s, got, want)
	}
	if got, want := reservedPart(s), refReservedPart(s); got != want {
		t.Fatalf("reservedPart(%q) = %v, want %v", s, got, want)
	}
	if got, want := operationName(s), refOperationName(s); got != want {
		t.Fatalf("operationName(%q) = %v, want %v", s, got, want)
	}
	for _, path := range []string{s, "/libs/" + s, "/a/" + s + ".jar", "/" + s + "-1.0.tgz"} {
		if got, want := packageFile(path), refPackageFile(path); got != want {
			t.Fatalf("packageFile(%q) = %q, want %q", path, got, want)
		}
	}
	if got, want := namespaceWord(s), refNamespaceWord(s); got != want {
		t.Fatalf("namespaceWord(%q) = %v, want %v", s, got, want)
	}
	for i, n := range fastPathParents() {
		for _, more := range []bool{false, true} {
			if got, want := compoundVersion(n, s, more), refCompoundVersion(n, s, more); got != want {
				t.Fatalf("compoundVersion(parent %d, %q, %v) = %v, want %v", i, s, more, got, want)
			}
			if got, want := preReleaseVersion(n, s, more), refPreReleaseVersion(n, s, more); got != want {
				t.Fatalf("preReleaseVersion(parent %d, %q, %v) = %v, want %v", i, s, more, got, want)
			}
			if got, want := bareVersion(n, s, more), refBareVersion(n, s, more); got != want {
				t.Fatalf("bareVersion(parent %d, %q, %v) = %v, want %v", i, s, more, got, want)
			}
		}
		if got, want := versionAt(n, s), refVersionAt(n, s); got != want {
			t.Fatalf("versionAt(parent %d, %q) = %v, want %v", i, s, got, want)
		}
		for _, f := range []string{"guava-33.0.0-jre.jar", "app-1.0.jar", "express-4.18.2.tgz", "q1.pdf", "api-v1-2.zip"} {
			if got, want := namedInFile(n, s, f), refNamedInFile(n, s, f); got != want {
				t.Fatalf("namedInFile(parent %d, %q, %q) = %v, want %v", i, s, f, got, want)
			}
		}
	}
	lit := &node{key: s, parent: &node{}}
	f := lit.facts()
	for _, b := range []struct {
		bit  keyFacts
		want bool
	}{
		{kfWord, Classify(s) == Word}, {kfReserved, reservedLiterals[s]}, {kfSystem, systemName(s)}, {kfReservedPart, refReservedPart(s)},
		{kfByField, byField(s)}, {kfScript, endpointFile(s)}, {kfPlainLower, plainLower(s)}, {kfCamel, camelName(s)},
	} {
		if got := f&b.bit != 0; got != b.want {
			t.Fatalf("facts(%q) bit %b = %v, want %v", s, b.bit, got, b.want)
		}
	}
	if lit.kf != f || f&kfKnown == 0 {
		t.Fatalf("facts(%q) not kept on the literal", s)
	}
	if p := (&node{param: true, key: s}); p.facts() != f || p.kf != 0 {
		t.Fatalf("facts(%q) kept on a parameter", s)
	}
	for i, p := range fastPathParams() {
		want := refJoinsInstance(s, p)
		if got := joinsInstance(s, p); got != want {
			t.Fatalf("joinsInstance(%q, param %d) = %v, want %v", s, i, got, want)
		}
		if got := litJoins(lit, p); got != want {
			t.Fatalf("litJoins(%q, param %d) = %v, want %v", s, i, got, want)
		}
	}
	parts := splitParts(s, &buf)
	last := ""
	if len(parts) > 0 {
		last = parts[len(parts)-1]
	}
	if want := refPluralLast(s); last != want {
		t.Fatalf("last part of %q = %q, want %q", s, last, want)
	}
}
