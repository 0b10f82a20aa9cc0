package discovery

import (
	"strings"
	"testing"
)

// TestUnslotKeepsTypedValues: a word the collection slot took for a value
// (/members/natural) that a token then joined (/members/mbr_k_01J8…/cards)
// goes back to a literal when integer ids arrive beside it; the token and
// the sub-paths it brought stay with the parameter. Every path observed
// keeps a template, in every arrival order.
func TestUnslotKeepsTypedValues(t *testing.T) {
	paths := []string{
		"/api/members/natural",
		"/api/members/mbr_k_01J8XK2R5T7V9W3Y6Z0A4B8C2D/cards",
		"/api/members/550021",
	}
	permutations(paths, func(order []string) {
		if t.Failed() {
			return
		}
		got := observeAll(t, order)
		for _, p := range paths {
			if strings.Count(got[p], "/") != strings.Count(p, "/") {
				t.Errorf("order %s: %s → %q, a template of another shape", strings.Join(order, " "), p, got[p])
			}
		}
		if w := "/api/members/{id}/cards"; got[paths[1]] != w {
			t.Errorf("order %s: %s → %q, want %s", strings.Join(order, " "), paths[1], got[paths[1]], w)
		}
		if w := "/api/members/{id}"; got[paths[2]] != w {
			t.Errorf("order %s: %s → %q, want %s", strings.Join(order, " "), paths[2], got[paths[2]], w)
		}
	})
}

// TestDateStampVersion: an eight-digit date (20160918) at the root or
// after an API prefix, with more path below, is the version of a dated
// API, like 2016-09-18; after a collection, or not a date, it is an id.
func TestDateStampVersion(t *testing.T) {
	checkEveryOrder(t, []string{
		"/20160918/instances/ocid1.instance.oc1.phx.aaaa", "/20160918/vcns",
		"/api/20240101/users/42", "/orders/20160918", "/orders/20170101", "/20161318/items",
	}, map[string]string{
		"/20160918/vcns":         "/20160918/vcns",
		"/api/20240101/users/42": "/api/20240101/users/{id}",
		"/orders/20160918":       "/orders/{id}",
		"/20161318/items":        "/{id}/items",
	})
}
