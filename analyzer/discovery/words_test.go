package discovery

import (
	"sort"
	"strings"
	"testing"
)

func TestWordList(t *testing.T) {
	wordList := wordList()
	if strings.HasPrefix(wordList, "#") || !strings.HasSuffix(wordList, "\n") {
		t.Fatalf("word list starts %q", wordList[:min(len(wordList), 20)])
	}
	lines := strings.Split(strings.TrimSuffix(wordList, "\n"), "\n")
	if len(lines) < 40000 {
		t.Fatalf("%d words, want the ~45,800 of words.txt.gz", len(lines))
	}
	for i, w := range lines {
		if len(w) < 3 {
			t.Fatalf("line %d: %q: shorter than three letters", i, w)
		}
		for j := 0; j < len(w); j++ {
			if w[j] < 'a' || w[j] > 'z' {
				t.Fatalf("line %d: %q: not lower-case letters", i, w)
			}
		}
		if i > 0 && lines[i-1] >= w {
			t.Fatalf("line %d: %q after %q: not sorted or repeated", i, w, lines[i-1])
		}
	}
	// Every word of the list is found, and the words between them are not:
	// the binary search over the text must find the first and last lines.
	for i, w := range lines {
		if !listed([]byte(w)) {
			t.Fatalf("listed(%q) = false, line %d", w, i)
		}
		if x := w + "q"; (i+1 == len(lines) || lines[i+1] != x) && listed([]byte(x)) {
			t.Fatalf("listed(%q) = true", x)
		}
	}
	for _, w := range []string{"", "a", "aa", "zzzzzz", "{", "Apple"} {
		if listed([]byte(w)) {
			t.Errorf("listed(%q) = true", w)
		}
	}
}

func TestMadeOfWords(t *testing.T) {
	for s, want := range map[string]bool{
		// English words, their plurals, and runs of them with or without
		// separators, in any case.
		"property": true, "categories": true, "boxes": true, "saleshistory": true, "basicprofile": true,
		"reportexecution": true, "customer-churn-rate": true, "directDeposit": true, "ASSET": true,
		"byEmail": true, "user_id": true, "moonweaver": true, "Reports": true,
		// Codes, coined names, abbreviations and digits: no words.
		"amerob": false, "blujay": false, "kypj": false, "avm": false, "mrr": false, "AAPL": false,
		"BRK.B": false, "thalendris": false, "zugzug": false, "web1": false, "": false, "-": false,
		"europe":    false, // proper names are left out of the list: they name values
		"dotsndots": false, "amerob-reports": false, "x": false,
		strings.Repeat("a", 40): false,
	} {
		if got := madeOfWords(s); got != want {
			t.Errorf("madeOfWords(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCoinedName(t *testing.T) {
	for s, want := range map[string]bool{
		"amerob": true, "thalendris": true, "akismet": true, "qorvex": true,
		// Pieces of three letters split no coined name unless they are
		// lexicon words (nor+car, vex+mar), nor do two-letter ones (quill+on).
		"norcar": true, "vexmar": true, "quillon": true,
		// Words and runs of words, short abbreviations, other shapes.
		"notable": false, "forpaper": false, "allevents": false, "saleshistory": false, "kypj": false, "avm": false,
		"Qorvex": false, "qorvex-2": false, "qor_vex": false, "qorvex.json": false,
	} {
		if got := coinedName(s); got != want {
			t.Errorf("coinedName(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestCoinedNames: three or more codes or coined names that are no English
// words, side by side at a position where no resource names live, are
// values of one parameter from their first calls; English words beside
// them stay literal. Two coined names, short abbreviations, coined names
// at a namespace position (after a version) or right after a parameter
// (sub-resources: /campaigns/{id}/adsets), coined names leading to
// parameters of their own, and English words stay literal.
func TestCoinedNames(t *testing.T) {
	t.Run("coined names", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/depots/4410/nearby/qorvex", "/depots/4410/nearby/zimtral", "/depots/981/nearby/plumbix",
			"/depots/981/nearby/overview", "/depots/4410/nearby",
		}, map[string]string{
			"/depots/4410/nearby/qorvex":  "/depots/{id}/nearby/{name}",
			"/depots/981/nearby/plumbix":  "/depots/{id}/nearby/{name}",
			"/depots/981/nearby/overview": "/depots/{id}/nearby/overview",
		})
	})
	t.Run("a later coined name joins, a later word does not", func(t *testing.T) {
		got := observeAll(t, []string{
			"/depots/4410/nearby/qorvex", "/depots/4410/nearby/zimtral", "/depots/981/nearby/plumbix",
			"/depots/981/nearby/vantrel", "/depots/981/nearby/shortfall",
		})
		for p, want := range map[string]string{
			"/depots/981/nearby/vantrel":   "/depots/{id}/nearby/{name}",
			"/depots/981/nearby/shortfall": "/depots/{id}/nearby/shortfall",
		} {
			if got[p] != want {
				t.Errorf("%s → %s, want %s", p, got[p], want)
			}
		}
	})
	t.Run("literals", func(t *testing.T) {
		checkEveryOrder(t, []string{
			// two coined names only
			"/depots/4410/nearby/qorvex", "/depots/981/nearby/zimtral", "/depots/981/nearby/overview",
			// abbreviations too short to tell
			"/accounts/77/derived/ltv", "/accounts/77/derived/cac", "/accounts/78/derived/nrr",
		}, map[string]string{
			"/depots/4410/nearby/qorvex": "/depots/{id}/nearby/qorvex",
			"/depots/981/nearby/zimtral": "/depots/{id}/nearby/zimtral",
			"/accounts/77/derived/ltv":   "/accounts/{id}/derived/ltv",
			"/accounts/78/derived/nrr":   "/accounts/{id}/derived/nrr",
		})
	})
	t.Run("names of services and collections, and words", func(t *testing.T) {
		checkEveryOrder(t, []string{
			// after a version, where resource names live
			"/gw/v3/qorvex", "/gw/v3/zimtral", "/gw/v3/plumbix",
			// each before a parameter of its own: collections
			"/hubs/5/nearby/qorvex/12", "/hubs/5/nearby/zimtral/13", "/hubs/6/nearby/plumbix/14",
		}, map[string]string{
			"/gw/v3/qorvex":             "/gw/v3/qorvex",
			"/gw/v3/plumbix":            "/gw/v3/plumbix",
			"/hubs/5/nearby/qorvex/12":  "/hubs/{id}/nearby/qorvex/{id2}",
			"/hubs/6/nearby/plumbix/14": "/hubs/{id}/nearby/plumbix/{id2}",
		})
		checkEveryOrder(t, []string{
			// right after a parameter, where sub-resources live
			"/campaigns/812/adsets", "/campaigns/812/adimages", "/campaigns/813/adcreatives",
			"/campaigns/813/insights",
		}, map[string]string{
			"/campaigns/812/adsets":      "/campaigns/{id}/adsets",
			"/campaigns/813/adcreatives": "/campaigns/{id}/adcreatives",
		})
		checkEveryOrder(t, []string{
			// English words and runs of them (five would be many)
			"/depots/12/nearby/shelf", "/depots/12/nearby/crate", "/depots/13/nearby/pallet",
			"/depots/13/nearby/forklift",
		}, map[string]string{
			"/depots/12/nearby/shelf":  "/depots/{id}/nearby/shelf",
			"/depots/13/nearby/pallet": "/depots/{id}/nearby/pallet",
		})
	})
}

// TestEnglishNames: after a resource noun, three or more sibling names
// mostly outside the vocabulary of resources are values (the cardinality
// rule of round 3) only when they are no English words either: English
// words name kinds of things an API serves (/garden/category/tulip, fern,
// moss) as often as values.
func TestEnglishNames(t *testing.T) {
	t.Run("names outside English", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v2/registry/module/zorblat", "/v2/registry/module/quillon", "/v2/registry/module/web",
			"/v2/registry/module/dranth",
		}, map[string]string{
			"/v2/registry/module/zorblat": "/v2/registry/module/{name}",
			"/v2/registry/module/web":     "/v2/registry/module/{name}",
		})
	})
	t.Run("English words", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v2/garden/category/tulip", "/v2/garden/category/fern", "/v2/garden/category/moss",
			"/v2/garden/category/zorblat",
		}, map[string]string{
			"/v2/garden/category/tulip":   "/v2/garden/category/tulip",
			"/v2/garden/category/moss":    "/v2/garden/category/moss",
			"/v2/garden/category/zorblat": "/v2/garden/category/zorblat",
		})
	})
}

// FuzzMadeOfWords: any segment is read without a panic, a coined name is
// never made of words, madeOfWords' scan splits as wordParts does, and
// the search over the text agrees with a search over its lines.
func FuzzMadeOfWords(f *testing.F) {
	for _, s := range []string{"saleshistory", "amerob", "BRK.B", "customer-churn-rate", "zzzzzz", "aardvark", "", "a\nb", "\xff\xfe",
		"targetHttpProxies", "sms", "http-sms", "a-b-c-d-e-f-g-h-i-j", "x.Y.z", "reportExecution9"} {
		f.Add(s)
	}
	lines := strings.Split(strings.TrimSuffix(wordList(), "\n"), "\n")
	f.Fuzz(func(t *testing.T, s string) {
		if coinedName(s) && madeOfWords(s) {
			t.Fatalf("%q: coined and made of words", s)
		}
		if got, want := madeOfWords(s), refMadeOfWords(s); got != want {
			t.Fatalf("madeOfWords(%q) = %v, the parts wordParts splits read %v", s, got, want)
		}
		i := sort.SearchStrings(lines, s)
		if want := i < len(lines) && lines[i] == s; listed([]byte(s)) != want {
			t.Fatalf("listed(%q) = %v, want %v", s, !want, want)
		}
	})
}
