package discovery

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// Session 5 (2026-11-24): structural evidence for plain-word parameters.
// Each rule is checked on made-up paths, with negatives, in every order
// of the paths.

// checkEveryOrder feeds paths in every order and expects want each time.
func checkEveryOrder(t *testing.T, paths []string, want map[string]string) {
	t.Helper()
	permutations(paths, func(order []string) {
		if t.Failed() {
			return
		}
		got := observeAll(t, order)
		for p, w := range want {
			if got[p] != w {
				t.Errorf("order %s: %s → %s, want %s", strings.Join(order, " "), p, got[p], w)
			}
		}
	})
}

// TestTenantVersion: two words that each lead to the same version and,
// below it, to the same resource are tenants of one API
// (/gateway/{company}/v1/employees); service names of one API each lead
// to their own resources below their versions (/sell/fulfillment/v1/order,
// /sell/inventory/v1/offer), and resource words (/rest/v1, /auth/v1) are
// services, not tenants.
func TestTenantVersion(t *testing.T) {
	t.Run("tenants", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/api/gateway/acmecorp/v1/employees/123", "/api/gateway/acmecorp/v1/reports/42",
			"/api/gateway/globexhr/v1/employees/4081", "/api/gateway/globexhr/v1/meta/fields",
		}, map[string]string{
			"/api/gateway/acmecorp/v1/employees/123": "/api/gateway/{name}/v1/employees/{id}",
			"/api/gateway/globexhr/v1/meta/fields":   "/api/gateway/{name}/v1/meta/fields",
		})
	})
	t.Run("services", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/sell/fulfillment/v1/order/12-03456-78901", "/sell/inventory/v1/offer/5005317010",
			"/sell/fulfillment/v1/order/27-10842-33615", "/sell/inventory/v1/inventory_item/GP-Cam-01",
		}, map[string]string{
			"/sell/fulfillment/v1/order/12-03456-78901": "/sell/fulfillment/v1/order/{id}",
			"/sell/inventory/v1/offer/5005317010":       "/sell/inventory/v1/offer/{id}",
		})
	})
	t.Run("resource words", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/rest/v1/todos", "/auth/v1/token", "/storage/v1/object/list", "/auth/v1/user", "/rest/v1/user",
		}, map[string]string{
			"/rest/v1/todos": "/rest/v1/todos",
			"/auth/v1/user":  "/auth/v1/user",
		})
	})
}

// TestSharedSubCollection: two words that each lead to one same word and,
// below it, to a parameter hold a sub-collection each, so they are
// instances (/b/{bucket}/o/{object}), even when the words are in the
// vocabulary (example-logs) or the sub-collection's name is not (o). A
// value two operations share has no parameter below it (/service/web,
// /checks/web), and a lookup field is a collection's, not an instance's
// (/posts/slug/{slug}).
func TestSharedSubCollection(t *testing.T) {
	t.Run("instances", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/storage/v1/b/my-app-assets/o", "/storage/v1/b/example-logs/o",
			"/storage/v1/b/my-app-assets/o/images%2Flogo.png", "/storage/v1/b/example-logs/o/2024%2F01%2F15%2Faccess.log",
			"/storage/v1/b/example-logs/iam",
		}, map[string]string{
			"/storage/v1/b/my-app-assets/o":                            "/storage/v1/b/{name}/o",
			"/storage/v1/b/example-logs/o/2024%2F01%2F15%2Faccess.log": "/storage/v1/b/{name}/o/{id}",
			"/storage/v1/b/example-logs/iam":                           "/storage/v1/b/{name}/iam",
		})
	})
	t.Run("shared value", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v1/agent/service/web", "/v1/agent/checks/web", "/v1/agent/service/api", "/v1/agent/checks/api",
		}, map[string]string{
			"/v1/agent/service/web": "/v1/agent/service/web",
			"/v1/agent/checks/web":  "/v1/agent/checks/web",
		})
	})
	t.Run("lookup field", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/content/posts/slug/hello-world", "/content/pages/slug/about-us", "/content/posts/5ddc9141c35e7700383b2937",
		}, map[string]string{
			"/content/posts/slug/hello-world":         "/content/posts/slug/{name}",
			"/content/posts/5ddc9141c35e7700383b2937": "/content/posts/{id}",
		})
	})
}

// TestResourceWordsAtVolume: values that are English words (cities,
// tags, topics named like resources) become a parameter once far more of
// them than an API has resources keep arriving (64 distinct, still new in
// a third of the calls); a fixed set of resource names stays literal
// however often it is called, and so do many names that arrive slowly.
func TestResourceWordsAtVolume(t *testing.T) {
	var words []string
	for w := range lexicon {
		if singlePart(w) && !reservedLiterals[w] && !pluralNoun(w) {
			words = append(words, w)
		}
	}
	sort.Strings(words)
	if len(words) < 200 {
		t.Fatalf("%d lexicon words, want at least 200", len(words))
	}
	r := rand.New(rand.NewPCG(5, 24))
	draw := func(set []string, n int, prefix string) []string {
		var out []string
		for range n {
			out = append(out, prefix+set[r.IntN(len(set))])
		}
		return out
	}
	t.Run("open set of values", func(t *testing.T) {
		paths := draw(words[:200], 3000, "/api/v1/weather/city/")
		got := observeAll(t, paths)
		for _, p := range paths[:20] {
			if got[p] != "/api/v1/weather/city/{name}" {
				t.Errorf("%s → %s, want /api/v1/weather/city/{name}", p, got[p])
			}
		}
	})
	t.Run("fixed set of names", func(t *testing.T) {
		paths := draw(words[200:240], 3000, "/api/v1/shop/")
		got := observeAll(t, paths)
		for _, p := range paths[:20] {
			if got[p] != p {
				t.Errorf("%s → %s, want it literal", p, got[p])
			}
		}
	})
	t.Run("many names, slowly", func(t *testing.T) {
		paths := draw(words[300:340], 3000, "/api/v1/shop/")
		paths = append(paths, draw(words[340:370], 200, "/api/v1/shop/")...)
		got := observeAll(t, paths)
		for _, p := range paths[3000:3020] {
			if got[p] != p {
				t.Errorf("%s → %s, want it literal", p, got[p])
			}
		}
	})
}

// TestVersionNotShared: services of one API that each lead to their own
// version (/gw/orders/v2, /gw/billing/v2, /gw/catalog/v3) share that
// version, not a sub-resource: they stay literal in every order. Before,
// a word arriving with its sub-path still empty agreed with two siblings
// sharing v2, and the shared v2 made the position a parameter. (Written
// after blind3's NYT, /svc/{topstories,mostpopular,books}/vN, showed the
// order dependence; the tenant rule covers one API below each version.)
func TestVersionNotShared(t *testing.T) {
	checkEveryOrder(t, []string{
		"/gw/orders/v2/open", "/gw/billing/v2/invoices/12", "/gw/catalog/v3/items/55", "/gw/reports/v1/2024/1",
	}, map[string]string{
		"/gw/orders/v2/open":         "/gw/orders/v2/open",
		"/gw/billing/v2/invoices/12": "/gw/billing/v2/invoices/{id}",
		"/gw/catalog/v3/items/55":    "/gw/catalog/v3/items/{id}",
	})
}

// TestLookupNeverAligns: lookups by a field (by-gamer-tag, by-xuid) lead to
// typed values, as instances do, but they are operations of the
// collection: they stay literal in every order, with the value after
// them a parameter. (Written after blind3's Riot accounts/by-riot-id and
// by-puuid showed the order dependence.)
func TestLookupNeverAligns(t *testing.T) {
	checkEveryOrder(t, []string{
		"/v2/members/by-gamer-tag/Ann%20Lee/EU1", "/v2/members/by-xuid/q8Zt_3kLm9Xw-2Rv7PbN0sYc4HjD6fGaQe1TuVoWiK5", "/v2/members/by-gamer-tag/Bobby/NA1",
	}, map[string]string{
		"/v2/members/by-gamer-tag/Ann%20Lee/EU1":                          "/v2/members/by-gamer-tag/{id}/{name}",
		"/v2/members/by-xuid/q8Zt_3kLm9Xw-2Rv7PbN0sYc4HjD6fGaQe1TuVoWiK5": "/v2/members/by-xuid/{id}",
	})
}
