package discovery

import (
	"testing"
)

// Session 6, volume round (2026-11-24): rules that read the evidence
// traffic brings, the number of distinct values a position keeps taking.
// Each rule is checked on made-up paths with negatives, in every order of
// them.

// TestVolumeJoin: once a plain-word parameter has taken in MinSiblings (5)
// distinct values, a literal word beside it with the same sub-paths is one
// more value, even a resource word (/fleet/servers/web, billing: the values
// called most are seen first); with fewer values it stays literal, and
// reserved words, operation compounds, lookups by a field and literals
// beside typed ids keep their place whatever the volume.
func TestVolumeJoin(t *testing.T) {
	t.Run("joins", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/fleet/servers/quillon", "/fleet/servers/fennix", "/fleet/servers/garrowd", "/fleet/servers/tarrikk",
			"/fleet/servers/moxelo", "/fleet/servers/web", "/fleet/servers/billing",
		}, map[string]string{
			"/fleet/servers/quillon": "/fleet/servers/{name}",
			"/fleet/servers/web":     "/fleet/servers/{name}",
			"/fleet/servers/billing": "/fleet/servers/{name}",
		})
	})
	t.Run("same sub-paths", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/fleet/servers/quillon/checks", "/fleet/servers/fennix/checks", "/fleet/servers/garrowd/checks",
			"/fleet/servers/tarrikk/checks", "/fleet/servers/moxelo/checks", "/fleet/servers/web/checks", "/fleet/servers/billing/rules",
		}, map[string]string{
			"/fleet/servers/web/checks":    "/fleet/servers/{name}/checks",
			"/fleet/servers/billing/rules": "/fleet/servers/billing/rules", // another shape: a resource of its own
		})
	})
	t.Run("child the parameter holds", func(t *testing.T) {
		// lambda leads to Green, a value of the parameter below
		// /kits/{name}: the same sub-path; web leads to a resource of
		// its own.
		checkEveryOrder(t, []string{
			"/kits/quillon/Red", "/kits/fennix/Blue", "/kits/garrowd/Green", "/kits/tarrikk/Red", "/kits/moxelo/Blue",
			"/kits/lambda/Green", "/kits/web/audit",
		}, map[string]string{
			"/kits/quillon/Red":  "/kits/{name}/{name2}",
			"/kits/lambda/Green": "/kits/{name}/{name2}",
			"/kits/web/audit":    "/kits/web/audit",
		})
	})
	t.Run("too few values", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/fleet/servers/quillon", "/fleet/servers/fennix", "/fleet/servers/garrowd", "/fleet/servers/tarrikk",
			"/fleet/servers/web", "/fleet/servers/billing",
		}, map[string]string{
			"/fleet/servers/quillon": "/fleet/servers/{name}",
			"/fleet/servers/web":     "/fleet/servers/web",
			"/fleet/servers/billing": "/fleet/servers/billing",
		})
	})
	t.Run("operations stay", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/fleet/servers/quillon", "/fleet/servers/fennix", "/fleet/servers/garrowd", "/fleet/servers/tarrikk",
			"/fleet/servers/moxelo", "/fleet/servers/search", "/fleet/servers/bulk-update", "/fleet/servers/by-name",
		}, map[string]string{
			"/fleet/servers/moxelo":      "/fleet/servers/{name}",
			"/fleet/servers/search":      "/fleet/servers/search",
			"/fleet/servers/bulk-update": "/fleet/servers/bulk-update",
			"/fleet/servers/by-name":     "/fleet/servers/by-name",
		})
	})
	t.Run("beside typed ids", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/orders/4411", "/orders/5512", "/orders/6613", "/orders/7714", "/orders/8815", "/orders/pending", "/orders/web",
		}, map[string]string{
			"/orders/4411":    "/orders/{id}",
			"/orders/pending": "/orders/pending",
		})
	})
}

// TestCollectionNotSiblingValue: a word that leads to integer ids in the
// API (/3/film/{id}) names a collection, so where a sibling position holds
// it as a value (/3/ranked/{kind}/day holding film) a literal of it beside
// (/3/find/film) stays the collection's name; without the collection, the
// sibling value rule still reads it as the same value.
func TestCollectionNotSiblingValue(t *testing.T) {
	t.Run("collection", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/3/film/550", "/3/film/603", "/3/ranked/film/day", "/3/ranked/show/week", "/3/ranked/people/day", "/3/find/film",
		}, map[string]string{
			"/3/film/550":        "/3/film/{id}",
			"/3/ranked/film/day": "/3/ranked/{name}/day",
			"/3/find/film":       "/3/find/film",
		})
	})
	t.Run("no collection", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/3/ranked/film/day", "/3/ranked/show/week", "/3/ranked/people/day", "/3/find/film",
		}, map[string]string{
			"/3/ranked/film/day": "/3/ranked/{name}/day",
			"/3/find/film":       "/3/find/{name}",
		})
	})
}

// TestSharedVersion: a word beside typed ids that leads to the same
// version and below it to the same resource as the ids do is one more
// instance (/oauth2/default/v1/token beside /oauth2/{id}/v1/token: the
// value most callers use); a word that leads only to the version, or to
// other resources below it, stays literal.
func TestSharedVersion(t *testing.T) {
	t.Run("joins", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/oauth2/aus1a2b3c4d5E6F7g8h9/v1/token", "/oauth2/aus8k2m4n6p1Q3R5s7t9/v1/keys", "/oauth2/primary/v1/token", "/oauth2/primary/v1/keys",
		}, map[string]string{
			"/oauth2/aus1a2b3c4d5E6F7g8h9/v1/token": "/oauth2/{id}/v1/token",
			"/oauth2/primary/v1/token":              "/oauth2/{id}/v1/token",
			"/oauth2/primary/v1/keys":               "/oauth2/{id}/v1/keys",
		})
	})
	t.Run("other resources", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/oauth2/aus1a2b3c4d5E6F7g8h9/v1/token", "/oauth2/aus8k2m4n6p1Q3R5s7t9/v1/keys", "/oauth2/primary/v1/clients", "/oauth2/primary/v2",
		}, map[string]string{
			"/oauth2/aus1a2b3c4d5E6F7g8h9/v1/token": "/oauth2/{id}/v1/token",
			"/oauth2/primary/v1/clients":            "/oauth2/primary/v1/clients",
			"/oauth2/primary/v2":                    "/oauth2/primary/v2",
		})
	})
}

// TestVolumeKeepsOperations: at volume (40 user names, each called one to
// three times, in the given order, its reverse and 20 random orders) the
// reserved siblings me, search and count stay literal beside
// /people/{name}. (Operation compounds, lookups by a field and plural
// resource words with ids of their own, /people/bulk-update,
// /people/by-email, /people/groups/4411, join a parameter the cardinality
// rule promoted: keeping them apart cost held-out recall, Jenkins' order
// and CouchDB's databases; see the README.)
func TestVolumeKeepsOperations(t *testing.T) {
	var paths []string
	for i := range 40 {
		u := []string{"alva", "brisk", "corlan", "dune", "evra", "fimble", "garo", "hesk"}[i%8] + word(i)
		for range 1 + i%3 {
			paths = append(paths, "/people/"+u)
		}
	}
	paths = append(paths, "/people/me", "/people/search", "/people/count")
	want := map[string]string{
		"/people/alvaa":  "/people/{name}",
		"/people/me":     "/people/me",
		"/people/search": "/people/search",
		"/people/count":  "/people/count",
	}
	checkShuffledAtVolume(t, paths, want)
}
