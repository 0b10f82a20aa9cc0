package discovery

import (
	"strings"
	"testing"
)

// TestVersionLiteralBelow: a number after the root is the API's version
// (/5/...), and the words below it are read as at a position where the
// API's resources live, as below v5: resource names that share a value
// below them (/5/vaults/signal-feed, /5/receipts/signal-feed) stay names,
// in every order. Below a number that is an id (/kiosk/5/ledgers beside
// /kiosk/6/ledgers) nothing changes.
func TestVersionLiteralBelow(t *testing.T) {
	paths := []string{
		"/5/ledgers", "/5/ledgers/signal-feed", "/5/vaults/signal-feed", "/5/receipts/signal-feed",
		"/5/login", "/5/audits/event-stream", "/5/tallies/event-stream",
	}
	permutations(paths, func(order []string) {
		if t.Failed() {
			return
		}
		got := observeAll(t, order)
		for _, p := range order {
			if w := p[:strings.IndexByte(p[3:], '/')+3]; !strings.HasPrefix(got[p]+"/", w+"/") {
				t.Errorf("order %s: %s → %s, want it under %s", strings.Join(order, " "), p, got[p], w)
			}
		}
	})
	got := observeAll(t, []string{"/kiosk/5/ledgers", "/kiosk/6/ledgers"})
	if got["/kiosk/5/ledgers"] != "/kiosk/{id}/ledgers" {
		t.Errorf("/kiosk/5/ledgers → %s, want /kiosk/{id}/ledgers", got["/kiosk/5/ledgers"])
	}
}

// TestYearAfterPrefix: a year after an API prefix, with more path, is the
// edition of the API (/rest/2019/spellbooks); elsewhere a year is a value
// (/seasons/2014/races, /reports/2024/summary), and so is a number that is
// no year after a prefix or a year that ends the path.
func TestYearAfterPrefix(t *testing.T) {
	checkEveryOrder(t, []string{
		"/rest/2019/spellbooks", "/rest/2019/spellbooks/frost-nova", "/rest/2019/potions/elixir-of-haste",
		"/rest/2019/runes/ember", "/rest/2019/spellbooks/frost-nova/reagents",
	}, map[string]string{
		"/rest/2019/spellbooks":                     "/rest/2019/spellbooks",
		"/rest/2019/spellbooks/frost-nova/reagents": "/rest/2019/spellbooks/{name}/reagents",
		"/rest/2019/runes/ember":                    "/rest/2019/runes/{name}",
	})
	checkEveryOrder(t, []string{
		"/seasons/2014/races", "/reports/2024/summary", "/api/1234/store", "/gizmo/2031/parts",
	}, map[string]string{
		"/seasons/2014/races":   "/seasons/{id}/races",
		"/reports/2024/summary": "/reports/{id}/summary",
		"/api/1234/store":       "/api/{id}/store",
		"/gizmo/2031/parts":     "/gizmo/{id}/parts",
	})
	got := observeAll(t, []string{"/rest/2019"})
	if got["/rest/2019"] != "/rest/{id}" {
		t.Errorf("/rest/2019 → %s, want /rest/{id}", got["/rest/2019"])
	}
}

// TestProductVersion: an API made of products versions each one with a
// digit after the product's name (/geo/3/lookup, /fax/1/send); an API that
// keeps numbers after the words of the root has ids there: a plural
// collection (/users/1/posts), integer ids under any word of the root
// (/ranking/0/entries beside /painter/31/works, in any order), two
// numbers under one word (/kiosk/1/menu, /kiosk/2/menu), a word or an id
// beside the number (/parcel/track beside /parcel/1/labels: a product's
// version leads to the whole product), a number that ends the path
// (/pages/2).
func TestProductVersion(t *testing.T) {
	checkEveryOrder(t, []string{
		"/geo/3/lookup", "/geo/3/reverse", "/fax/1/send",
		"/fax/1/status/7c9e6679-7425-40de-944b-e07fc1f90ae7", "/weather/2/forecast",
	}, map[string]string{
		"/geo/3/lookup": "/geo/3/lookup",
		"/fax/1/send":   "/fax/1/send",
		"/fax/1/status/7c9e6679-7425-40de-944b-e07fc1f90ae7": "/fax/1/status/{id}",
		"/weather/2/forecast":                                "/weather/2/forecast",
	})
	t.Run("ids", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/painter/31/works", "/ranking/0/entries", "/painter/31", "/ranking/0/painters",
		}, map[string]string{
			"/painter/31/works":   "/painter/{id}/works",
			"/ranking/0/entries":  "/ranking/{id}/entries",
			"/ranking/0/painters": "/ranking/{id}/painters",
		})
		checkEveryOrder(t, []string{
			"/parcel/1/labels", "/parcel/track", "/crate/3/contents", "/crate/K7Q2ZP9XW4/contents",
		}, map[string]string{
			"/parcel/1/labels":  "/parcel/{id}/labels",
			"/parcel/track":     "/parcel/track",
			"/crate/3/contents": "/crate/{id}/contents",
		})
		checkEveryOrder(t, []string{
			"/kiosk/1/menu", "/kiosk/2/menu", "/users/1/posts", "/pages/2", "/issues/1/comments", "/issues/2/comments",
		}, map[string]string{
			"/kiosk/1/menu":      "/kiosk/{id}/menu",
			"/kiosk/2/menu":      "/kiosk/{id}/menu",
			"/users/1/posts":     "/users/{id}/posts",
			"/pages/2":           "/pages/{id}",
			"/issues/1/comments": "/issues/{id}/comments",
		})
	})
}

// TestDatedVersionBelowProduct: a date after a word right under the root,
// or after a product word under an API prefix, with more path below, is
// the product's dated edition (/catalog/2022-04-01/items,
// /api/laml/2010-04-01/Accounts), and two of them under one word are two
// pinned editions; a third date under the word makes them all values
// (/games/{date}/boxscore), in every order, as after a time word or a
// collection deeper in the path.
func TestDatedVersionBelowProduct(t *testing.T) {
	checkEveryOrder(t, []string{
		"/catalog/2022-04-01/items/B08N5WRWNW", "/catalog/2022-04-01/items/B07FZ8S74R",
		"/catalog/2020-12-01/items/B01MZ6Z9IT", "/api/laml/2010-04-01/Accounts/42/Calls",
	}, map[string]string{
		"/catalog/2022-04-01/items/B08N5WRWNW":   "/catalog/2022-04-01/items/{id}",
		"/catalog/2020-12-01/items/B01MZ6Z9IT":   "/catalog/2020-12-01/items/{id}",
		"/api/laml/2010-04-01/Accounts/42/Calls": "/api/laml/2010-04-01/Accounts/{id}/Calls",
	})
	checkEveryOrder(t, []string{
		"/games/2024-01-15/boxscore", "/games/2024-01-16/boxscore", "/games/2024-01-17/boxscore",
		"/history/2024-01-15/summary", "/api/trains/2024-11-20/1",
	}, map[string]string{
		"/games/2024-01-15/boxscore":  "/games/{date}/boxscore",
		"/games/2024-01-17/boxscore":  "/games/{date}/boxscore",
		"/history/2024-01-15/summary": "/history/{date}/summary",
		"/api/trains/2024-11-20/1":    "/api/trains/{date}/{id}",
	})
	got := observeAll(t, []string{"/catalog/2022-04-01"})
	if got["/catalog/2022-04-01"] != "/catalog/{date}" {
		t.Errorf("/catalog/2022-04-01 → %s, want /catalog/{date}: a date that ends the path is a value", got["/catalog/2022-04-01"])
	}
}
