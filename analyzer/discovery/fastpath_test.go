package discovery

import (
	"slices"
	"testing"
)

// The word predicates on the walk were rewritten without closures or
// allocations (the speed pass of 2026-11-24); the reference versions
// below are the ones they replaced, word for word, and FuzzFastPaths
// holds the two to the same answers.

func refWordParts(s string) []string {
	var parts []string
	wordParts(s, func(p string) bool { parts = append(parts, p); return true })
	return parts
}

func refResourceWord(s string) bool {
	ok, n := true, 0
	wordParts(s, func(p string) bool {
		n++
		ok = inLexicon(p)
		return ok
	})
	return ok && n > 0
}

func refPluralLast(s string) string {
	last := ""
	wordParts(s, func(p string) bool { last = p; return true })
	return last
}

func refSinglePart(s string) bool {
	n := 0
	wordParts(s, func(string) bool { n++; return n < 2 })
	return n == 1
}

func refReservedPart(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	first := ""
	wordParts(w, func(p string) bool { first = p; return false })
	return reservedLiterals[first] && !refSinglePart(w)
}

func refOperationName(w string) bool {
	var parts []string
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	wordParts(w, func(p string) bool { parts = append(parts, p); return true })
	if len(parts) < 2 {
		return false
	}
	last := parts[len(parts)-1]
	if lexiconVerbs[parts[0]] || lexiconVerbs[last] || reservedLiterals[last] {
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
	if !p.instanceParam() || len(w) < 2 || reservedLiterals[w] || qualifiedName(w) || refReservedPart(w) || byField(w) || refOperationName(w) {
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

var fastPathSeeds = []string{"buildWithParameters", "a--b__c..d", "ÄÖ-ü", "", "-", "aAaAaAaAaAaAaAaAaAaA", "x.Y.z",
	"billing-service", "users-by-email", "DEV", "EU_WEST", "a-", "-a-b", "lastBuild", "nextToken", "meTeams",
	"get_item_by_legacy_id", "list-members", "expanded-search", "bulk-update", "a-b-c-d-e-f-g-h-i-j", "a_b_c_d_e_f_g_h_search",
	"dns_records", "repositories", "storageAccounts", "Status", "lookup-self", "x", "searchAll", "allSearch", "by-by-by", "connect.json", "content.json", "login.php", "_find", "$metadata", "Microsoft.Compute",
	"by-email", "byUsername", "synonyms", "members", "alice", "serde", "nyancat", "Revenues.json", "me", "search"}

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
	for i, p := range fastPathParams() {
		if got, want := joinsInstance(s, p), refJoinsInstance(s, p); got != want {
			t.Fatalf("joinsInstance(%q, param %d) = %v, want %v", s, i, got, want)
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
