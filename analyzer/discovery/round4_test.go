package discovery

import "testing"

// TestCollectionBeforeID: a plain word that leads to integer or UUID
// identifiers is a collection name (/{collection}/{id}), even outside the
// vocabulary and even when several sit side by side; packages before
// versions and value-shaped names before numbers are still instances.
func TestCollectionBeforeID(t *testing.T) {
	checkTemplates(t, []string{"/gadget/12", "/gadget/13/parts", "/widget/7", "/widget/8/parts", "/sprocket/99",
		"/sprocket/3f2c1a9e-6b1d-4c52-9a0e-1d2b3c4d5e6f"}, map[string]string{
		"/gadget/12":      "/gadget/{id}",
		"/widget/8/parts": "/widget/{id}/parts",
		"/sprocket/99":    "/sprocket/{id}",
	})
	// Under an instance (/hosts/{name}/...), words before numeric ids are
	// its sub-collections.
	checkTemplates(t, []string{"/api/hosts/alpha-1/vm/100/state", "/api/hosts/beta-2/vm/101/config",
		"/api/hosts/alpha-1/ct/201/state", "/api/hosts/beta-2/ct/202"}, map[string]string{
		"/api/hosts/alpha-1/vm/100/state": "/api/hosts/{name}/vm/{id}/state",
		"/api/hosts/beta-2/ct/202":        "/api/hosts/{name}/ct/{id}",
	})
	// Negatives: packages lead to versions, dotted tileset names to numbers.
	checkTemplates(t, []string{"/leftpad/1.3.0", "/lodash/4.17.21"}, map[string]string{
		"/leftpad/1.3.0": "/{name}/{id}",
	})
	checkTemplates(t, []string{"/tiles/acme.roads/3/1/2", "/tiles/acme.water/5/2/1"}, map[string]string{
		"/tiles/acme.roads/3/1/2": "/tiles/{name}/{id}/{id2}/{id3}",
	})
}

// TestResourceType: capitalised names that lead to typed identifiers are
// resource types (FHIR-like /Specimen/{id}), not values, whatever order
// their calls come in; capitalised names with no ids below stay values
// where capitals read as values.
func TestResourceType(t *testing.T) {
	checkTemplates(t, []string{"/base/Specimen", "/base/Specimen/123", "/base/Specimen/spc-77a1", "/base/Device/77",
		"/base/Device/dev-20240101-9", "/base/Location/loc-3b9", "/base/Location"}, map[string]string{
		"/base/Specimen":              "/base/Specimen",
		"/base/Specimen/123":          "/base/Specimen/{id}",
		"/base/Device/dev-20240101-9": "/base/Device/{id}",
		"/base/Location/loc-3b9":      "/base/Location/{id}",
	})
	if !resourceType(&node{key: "Specimen", pchild: &node{param: true, kind: Integer}}) {
		t.Error("Specimen before integer ids: want a resource type")
	}
	for _, n := range []*node{
		{key: "Specimen"}, // no ids below
		{key: "Specimen", pchild: &node{param: true, kind: Word}},    // words below
		{key: "specimen", pchild: &node{param: true, kind: Integer}}, // lower case: collectionBeforeID's case
	} {
		if resourceType(n) {
			t.Errorf("%s (child %v): want no resource type", n.key, n.pchild != nil)
		}
	}
}

// TestCollectionNames: a position whose words are mostly plurals leading
// to their own instances (or leaves) is a set of collections, however
// many arrive at once; mostly singular names still become a parameter.
func TestCollectionNames(t *testing.T) {
	checkTemplates(t, []string{"/trip/cancellations/cn_0000Ab12Cd34Ef/actions/confirm", "/trip/hotels/htl_0000Z9y8X7w6",
		"/trip/hotels/htl_0000Ab9y8X7w6q", "/trip/cabins", "/trip/bookings/bk_0000A1b2C3d4E5", "/trip/fares"}, map[string]string{
		"/trip/cabins":                     "/trip/cabins",
		"/trip/bookings/bk_0000A1b2C3d4E5": "/trip/bookings/{id}",
		"/trip/hotels/htl_0000Z9y8X7w6":    "/trip/hotels/{id}",
	})
	words := []*node{{key: "cabins"}, {key: "hotels", pchild: &node{param: true, kind: Token}}, {key: "alice"}}
	if got := collectionNames(words); got != 2 {
		t.Errorf("collectionNames = %d, want 2 (alice is no plural)", got)
	}
	if got := collectionNames([]*node{{key: "hotels", pchild: &node{param: true, kind: Word}}}); got != 0 {
		t.Errorf("a plural before a statistical word parameter: collectionNames = %d, want 0", got)
	}
}

// TestSlotRefinements: after a collection noun, a plural is a
// sub-collection, not an instance; a capitalised word after a capitalised
// collection is a resource of an API that capitalises its names; and a
// lone slot value that leads to integer or UUID ids and to an operation
// on a set (batch) is demoted to the collection name it is, in either
// order. Negatives: singular unknown
// words in the slot, and slots with two values, stay parameters.
func TestSlotRefinements(t *testing.T) {
	checkTemplates(t, []string{"/v2/markets/equities/quotes", "/v2/markets/equities/quotes/QQQ"}, map[string]string{
		"/v2/markets/equities/quotes":     "/v2/markets/equities/quotes",
		"/v2/markets/equities/quotes/QQQ": "/v2/markets/equities/quotes/{name}",
	})
	checkTemplates(t, []string{"/api/Statements/CashFlow", "/api/Statements/IncomeSummary",
		"/api/Ledgers/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"}, map[string]string{
		"/api/Statements/CashFlow": "/api/Statements/CashFlow",
	})
	// The lower-case API keeps the other rule: capitals there are values
	// (camelCase compounds of English words are names: TestCamelNames).
	checkTemplates(t, []string{"/api/recipes/Goulash", "/api/recipes/Ratatouille"}, map[string]string{
		"/api/recipes/Goulash": "/api/recipes/{name}",
	})
	for _, ps := range [][]string{
		{"/api/trades/legacy/batch", "/api/trades/legacy/0bd5c4e1-27a9-4f36-9e8d-6c1f7a2b5d43", "/api/trades/legacy/a7f0e3c2-91b4-4d5e-8c6a-3b2d1f0e9a87"},
		{"/api/trades/legacy/0bd5c4e1-27a9-4f36-9e8d-6c1f7a2b5d43", "/api/trades/legacy/batch"},
	} {
		checkTemplates(t, ps, map[string]string{
			"/api/trades/legacy/0bd5c4e1-27a9-4f36-9e8d-6c1f7a2b5d43": "/api/trades/legacy/{id}",
			"/api/trades/legacy/batch":                                "/api/trades/legacy/batch",
		})
	}
	// An instance may lead to numbers (a build of a job) without an
	// operation on a set: it stays a value.
	checkTemplates(t, []string{"/ci/pipelines/webshop/1412", "/ci/pipelines/webshop/1413/log"}, map[string]string{
		"/ci/pipelines/webshop/1412": "/ci/pipelines/{name}/{id}",
	})
	checkTemplates(t, []string{"/api/crates/serde", "/api/crates/tokio", "/api/crates/serde/123"}, map[string]string{
		"/api/crates/serde/123": "/api/crates/{name}/{id}", // two values: a parameter
		"/api/crates/tokio":     "/api/crates/{name}",
	})
}

// TestOperationName: compounds that start or end with a verb or a
// reserved word, or look up by a field, are operations and do not join a
// typed parameter beside them; kebab-case names of things do.
func TestOperationName(t *testing.T) {
	for w, want := range map[string]bool{
		"get_item_by_legacy_id": true, "expanded-search": true, "bulk-update": true, "users-by-email": true,
		"list-members": true, "search": false, "mug-blue": false, "platform-team": false, "Expanded-Search": false,
		"q1-summary.pdf": false,
	} {
		if got := operationName(w); got != want {
			t.Errorf("operationName(%q) = %v, want %v", w, got, want)
		}
	}
	checkTemplates(t, []string{"/v3/0000-0002-9341-7985/record", "/v3/0000-0001-5109-3700/person", "/v3/advanced-search",
		"/v3/get_record_by_doi"}, map[string]string{
		"/v3/advanced-search":   "/v3/advanced-search",
		"/v3/get_record_by_doi": "/v3/get_record_by_doi",
	})
}

// TestBesideIDs: a single lower-case word beside integer or UUID ids is
// an operation of the collection, whether it comes before the ids (a
// lone collection-slot value, demoted) or after them; words with digits
// or of other shapes still join, and two words before any id stay a
// parameter.
func TestBesideIDs(t *testing.T) {
	checkTemplates(t, []string{"/v1/robots/7/commands/shutdown", "/v1/robots/9/commands/shutdown",
		"/v1/robots/7/commands/5512", "/v1/robots/9/commands/restart"}, map[string]string{
		"/v1/robots/7/commands/shutdown": "/v1/robots/{id}/commands/shutdown",
		"/v1/robots/7/commands/5512":     "/v1/robots/{id}/commands/{id2}",
	})
	checkTemplates(t, []string{"/v1/robots/7/commands/5512", "/v1/robots/7/commands/cmd-7f3a"}, map[string]string{
		"/v1/robots/7/commands/cmd-7f3a": "/v1/robots/{id}/commands/{id2}", // a digit: id-like
	})
	if !besideIDs(&node{pchild: &node{param: true, kind: Integer}}, "shutdown") {
		t.Error("shutdown beside integer ids: want besideIDs")
	}
	for _, c := range []struct {
		kind Kind
		w    string
	}{{Integer, "shut-down"}, {Integer, "Shutdown"}, {Token, "shutdown"}, {Word, "shutdown"}} {
		if besideIDs(&node{pchild: &node{param: true, kind: c.kind}}, c.w) {
			t.Errorf("%q beside %v: want no besideIDs", c.w, c.kind)
		}
	}
}

// TestHostName: a DNS name of three or more labels is a value wherever
// it sits, even right after a version where resource names live; names
// of one dot and formats keep the other rules.
func TestHostName(t *testing.T) {
	for w, want := range map[string]bool{
		"mg.example-shop.com": true, "mail.example.io": true, "a.b.co": true,
		"example.com": false, "api.php": false, "mapbox.places": false, "Mail.Example.io": false,
		"data.v2.json": false, "x..com": false, "mg.-bad.com": false, "a.b.c1": false,
	} {
		if got := hostName(w); got != want {
			t.Errorf("hostName(%q) = %v, want %v", w, got, want)
		}
	}
	checkTemplates(t, []string{"/v3/mg.example-shop.com/messages", "/v3/mail.example.io/messages", "/v3/lists",
		"/v3/mg.example-shop.com/stats/total"}, map[string]string{
		"/v3/mail.example.io/messages":        "/v3/{name}/messages",
		"/v3/mg.example-shop.com/stats/total": "/v3/{name}/stats/total",
		"/v3/lists":                           "/v3/lists",
	})
}

// TestUpperCodeAfterParam: an upper-case code right after a parameter is
// a value in an API that writes its resources in lower case
// (/watchlists/{id}/{symbol}), and a resource in one that capitalises
// them (Twilio-like /Accounts/{sid}/SMS).
func TestUpperCodeAfterParam(t *testing.T) {
	checkTemplates(t, []string{"/v2/baskets/3174d6df-7726-44b4-a5bd-7fda5ae6e009/QQQ", "/v2/baskets/3174d6df-7726-44b4-a5bd-7fda5ae6e009"},
		map[string]string{"/v2/baskets/3174d6df-7726-44b4-a5bd-7fda5ae6e009/QQQ": "/v2/baskets/{id}/{name}"})
	checkTemplates(t, []string{"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/SMS/Messages", "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls"},
		map[string]string{"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/SMS/Messages": "/2010-04-01/Accounts/{id}/SMS/Messages"})
}
