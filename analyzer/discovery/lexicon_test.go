package discovery

import (
	"slices"
	"strings"
	"testing"
)

func TestLexicon(t *testing.T) {
	if n := len(lexicon); n < 2000 {
		t.Errorf("lexicon has %d forms, want a few thousand", n)
	}
	for _, c := range []struct {
		s                            string
		resource, plural, valueShape bool
	}{
		{"members", true, true, false},
		{"dns_records", true, true, false},
		{"lookup-self", true, false, false},
		{"buildWithParameters", true, true, false},
		{"storageAccounts", true, true, false},
		{"categories", true, true, false},
		{"status", true, false, false},
		{"address", true, false, false},
		{"serde", false, false, false},
		{"atlassian", false, false, false},
		{"python-bitbucket", false, false, false},
		{"user1", false, false, true},
		{"web.1", false, false, true},
		{"report.pdf", true, false, true}, // file-like: a value whatever its words
		{"example.com", false, false, true},
		{"count.json", true, false, false}, // an operation with a format
		{"conversations.history", true, false, false},
		{"oauth2", false, false, false},
		{"alice@example", false, false, true},
		{"", false, false, false},
	} {
		if got := resourceWord(c.s); got != c.resource {
			t.Errorf("resourceWord(%q) = %v", c.s, got)
		}
		if got := pluralNoun(c.s); got != c.plural {
			t.Errorf("pluralNoun(%q) = %v", c.s, got)
		}
		if got := valueShaped(c.s); got != c.valueShape {
			t.Errorf("valueShaped(%q) = %v", c.s, got)
		}
	}
	for s, want := range map[string]bool{
		"Microsoft.Compute": true, "Google.Cloud.Storage": true, "Microsoft": false, "report.pdf": false,
		"Microsoft.": false, ".Compute": false, "A.B": true, "Web.1": false,
	} {
		if got := qualifiedName(s); got != want {
			t.Errorf("qualifiedName(%q) = %v", s, got)
		}
	}
}

func TestLexiconAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		resourceWord("buildWithParameters")
		pluralNoun("dns_records")
		valueShaped("report.pdf")
	})
	if n != 0 {
		t.Errorf("%v allocs per run, want 0", n)
	}
}

func FuzzWordParts(f *testing.F) {
	for _, s := range []string{"buildWithParameters", "a--b__c..d", "ÄÖ-ü", "", "-", "aAaAaAaAaAaAaAaAaAaA", "x.Y.z",
		"billing-service", "users-by-email", "DEV", "EU_WEST", "a-", "-a-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		total := 0
		var got, want []string
		wordParts(s, func(p string) bool {
			if p == "" {
				t.Fatalf("empty part of %q", s)
			}
			total += len(p)
			got = append(got, p)
			return true
		})
		closureWordParts(s, func(p string) bool { want = append(want, p); return true })
		var buf [maxWordParts]string
		if split := splitParts(s, &buf); !slices.Equal(got, want) || !slices.Equal(split, want) {
			t.Fatalf("parts of %q: wordParts %q, splitParts %q, the reference split %q", s, got, split, want)
		}
		if total > len(s) {
			t.Fatalf("parts of %q longer than it", s)
		}
		if pluralNoun(s) && !strings.HasSuffix(strings.TrimRight(s, "-_."), "s") { // separators end no part
			t.Fatalf("pluralNoun(%q) without a final s", s)
		}
		if qualifiedName(s) && (!strings.Contains(s, ".") || resourceWord(s) && valueShaped(s)) {
			t.Fatalf("qualifiedName(%q) contradicts the other predicates", s)
		}
		if instanceCompound(s, true) && !instanceCompound(s, false) {
			t.Fatalf("instanceCompound(%q) strict but not lax", s)
		}
		if instanceCompound(s, false) && (!strings.Contains(s, "-") || strings.ToLower(s) != s || strings.Contains(s, "--") || pluralNoun(s)) {
			t.Fatalf("instanceCompound(%q) on no kebab-case compound", s)
		}
		if upperCode(s) && (strings.ToUpper(s) != s || len(s) < 2 || strings.ContainsAny(s, "-./")) {
			t.Fatalf("upperCode(%q) on no upper-case code", s)
		}
	})
}
