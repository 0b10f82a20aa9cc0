package discovery

import "testing"

// Session 7, round 7 (2026-11-24): a release number after a prefix that
// names an API.

// TestAPICompoundVersion: right under the root, a literal that ends in an
// API word (catalogapi, Ledger-API, webapi) is an API prefix like /api/,
// so a three-part release after it (v2.3.1) is the API's version and stays
// literal; after anything else (a plural collection, a verb, a compound
// deeper in the path) the same number is a value.
func TestAPICompoundVersion(t *testing.T) {
	t.Run("version after an API compound", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/catalogapi/v2.3.1/items/4411", "/catalogapi/v2.3.1/items/5512", "/catalogapi/v2.3.1/stock",
			"/ledger-api/v1.0.0/entries/77", "/WebAPI/v3.1.0/status",
		}, map[string]string{
			"/catalogapi/v2.3.1/items/4411": "/catalogapi/v2.3.1/items/{id}",
			"/catalogapi/v2.3.1/stock":      "/catalogapi/v2.3.1/stock",
			"/ledger-api/v1.0.0/entries/77": "/ledger-api/v1.0.0/entries/{id}",
			"/WebAPI/v3.1.0/status":         "/WebAPI/v3.1.0/status",
		})
	})
	t.Run("release after other words", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/releases/v1.2.3/notes", "/releases/v1.4.0/notes", "/download/v2.0.1/assets",
			"/capi/v1.0.0/x",
		}, map[string]string{
			"/releases/v1.2.3/notes":  "/releases/{id}/notes",
			"/download/v2.0.1/assets": "/download/{id}/assets",
			"/capi/v1.0.0/x":          "/capi/{id}/x",
		})
	})
	t.Run("compound below the root", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/mirrors/cdnapi/v1.0.0/files", "/mirrors/cdnapi/v1.0.1/files",
		}, map[string]string{
			// the release is a value here; cdnapi, a word after a plural, is
			// read as a name by the rules before this round
			"/mirrors/cdnapi/v1.0.0/files": "/mirrors/{name}/{id}/files",
		})
	})
}

func TestAPICompound(t *testing.T) {
	root := &node{}
	for _, c := range []struct {
		key  string
		want bool
	}{
		{"propertyapi", true}, {"partner-api", true}, {"Ledger_API", true}, {"WebAPI", true},
		{"api", false}, {"capi", false}, {"rapid", false}, {"apis", false}, {"v2api", false}, {"my-x-api", true}, {"releases", false},
	} {
		n := &node{key: c.key, parent: root}
		if got := apiCompound(n); got != c.want {
			t.Errorf("apiCompound(%q) = %v, want %v", c.key, got, c.want)
		}
	}
	deep := &node{key: "propertyapi", parent: &node{key: "svc", parent: root}}
	if apiCompound(deep) {
		t.Errorf("apiCompound below the root's child = true, want false")
	}
}

// TestTenantsShareCollections: two words below a version that share three
// sub-paths are tenants of one API when a shared sub-path names a
// collection (a plural: carts), and two resources of the API when they
// share only singular words (latest, history, forecast: views of each).
func TestTenantsShareCollections(t *testing.T) {
	t.Run("tenants", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v2/acme-prod/carts", "/v2/acme-prod/status", "/v2/acme-prod/config",
			"/v2/nordic-eu/carts", "/v2/nordic-eu/status", "/v2/nordic-eu/config",
		}, map[string]string{
			"/v2/acme-prod/carts":  "/v2/{name}/carts",
			"/v2/nordic-eu/config": "/v2/{name}/config",
		})
	})
	t.Run("resources with the same views", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v3/wind-output/latest", "/v3/wind-output/history", "/v3/wind-output/forecast",
			"/v3/solar-yield/latest", "/v3/solar-yield/history", "/v3/solar-yield/forecast",
		}, map[string]string{
			"/v3/wind-output/latest":   "/v3/wind-output/latest",
			"/v3/solar-yield/forecast": "/v3/solar-yield/forecast",
		})
	})
}
