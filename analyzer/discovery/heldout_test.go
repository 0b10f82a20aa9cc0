package discovery

import "testing"

// Session 10 (2026-11-24), the leave-corpora-out round (heldout.go).

// TestCamelNames: a camelCase or PascalCase compound of English words is
// a name a programmer wrote (an operation, a report, a view), not a
// value: it stays literal after a plural collection noun, where the
// collection-slot rule takes other non-resource words on sight, and it
// takes no part in the sibling rules; coined camelCase names, kebab-case
// instances and plain values beside it are still values.
func TestCamelNames(t *testing.T) {
	t.Run("after a collection", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/ledger/reports/ProfitAndLoss", "/ledger/reports/cashFlowSummary", "/ledger/books/quillmore/entries",
		}, map[string]string{
			"/ledger/reports/ProfitAndLoss":   "/ledger/reports/ProfitAndLoss",
			"/ledger/reports/cashFlowSummary": "/ledger/reports/cashFlowSummary",
			"/ledger/books/quillmore/entries": "/ledger/books/{name}/entries",
		})
	})
	t.Run("siblings", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/media/library/recentlyAdded", "/media/library/onDeck", "/media/library/newArrivals", "/media/library/topRated",
		}, map[string]string{
			"/media/library/recentlyAdded": "/media/library/recentlyAdded",
			"/media/library/onDeck":        "/media/library/onDeck",
			"/media/library/topRated":      "/media/library/topRated",
		})
	})
	t.Run("values", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/ledger/books/quillmore/entries", "/ledger/books/QuillMoreXz/entries", "/ledger/books/finance-team/entries",
		}, map[string]string{
			"/ledger/books/quillmore/entries":    "/ledger/books/{name}/entries",
			"/ledger/books/QuillMoreXz/entries":  "/ledger/books/{name}/entries",
			"/ledger/books/finance-team/entries": "/ledger/books/{name}/entries",
		})
	})
}

func TestCamelName(t *testing.T) {
	for w, want := range map[string]bool{
		"ProfitAndLoss": true, "recentlyAdded": true, "GetAllMakes": true, "onDeck": true, "directDeposit": true,
		"profit": false, "Profit": false, "PROFIT": false, "profit-and-loss": false, "profit_loss": false,
		"QuillMoreXz": false, "cusNffrFeUfNV": false, "web2Api": false, "": false,
	} {
		if got := camelName(w); got != want {
			t.Errorf("camelName(%q) = %v, want %v", w, got, want)
		}
	}
}

// TestFewNewWords: five to 31 sibling words, each new when it arrived,
// with nothing else to tell values from names (English words, no value
// shape, no shared sub-path, no collection before them), stay literal:
// the "≥ 5 mostly new" tier of the cardinality rule took such sets of
// an API's names (modes, views, reports) for values on the held-out
// corpora and gained nothing there (session 10). Words still become a
// parameter past ManySiblings, or on the other tiers' evidence.
func TestFewNewWords(t *testing.T) {
	checkTemplates(t, []string{
		"/feed/mode/compact", "/feed/mode/detailed", "/feed/mode/classic", "/feed/mode/minimal", "/feed/mode/expanded",
	}, map[string]string{
		"/feed/mode/compact":  "/feed/mode/compact",
		"/feed/mode/expanded": "/feed/mode/expanded",
	})
	var many []string
	for i := range 32 {
		many = append(many, "/feed/mode/"+[]string{"amber", "birch", "cedar", "delta", "ember", "fable", "grove", "haven"}[i%8]+[]string{"field", "stone", "light", "wood"}[i/8])
	}
	checkTemplates(t, many, map[string]string{many[0]: "/feed/mode/{name}", many[31]: "/feed/mode/{name}"})
}

// TestQualifier: after a collection, an English word followed by typed
// values names a kind or a key the collection is read by, not an
// instance (demoteQualifier): it stays literal whichever arrived first,
// the word alone or the word with ids below it. Coined names before ids
// are still instances; an English word before a sub-resource with no
// sibling sharing it is a part of the API (session 11, s11-b3:
// TestEnglishBeforeSubResource).
func TestQualifier(t *testing.T) {
	checkEveryOrder(t, []string{
		"/api/links/cellular/88210", "/api/links/cellular", "/api/links/cellular/88377/state",
		"/api/crates/quillon/4412", "/api/boards/sunrise/pins",
	}, map[string]string{
		"/api/links/cellular/88210":       "/api/links/cellular/{id}",
		"/api/links/cellular":             "/api/links/cellular",
		"/api/links/cellular/88377/state": "/api/links/cellular/{id}/state",
		"/api/crates/quillon/4412":        "/api/crates/{name}/{id}",
		"/api/boards/sunrise/pins":        "/api/boards/sunrise/pins",
	})
}
