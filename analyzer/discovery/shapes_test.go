package discovery

import (
	"strconv"
	"testing"
)

// Session 9, round 13 (2026-11-24): literals shaped like values. Each
// rule is checked on made-up paths, with negatives, in every order of
// the paths.

// TestCompoundVersion: a version written after a word stem (store-1.4,
// edge-02) right after the root, an API prefix or another version, with
// more path below, is the API's version; the same shapes after a
// collection, at the end of a path, or with a year or a date are values.
func TestCompoundVersion(t *testing.T) {
	t.Run("versions", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/store-1.4/catalogs/88", "/store-1.4/catalogs/91/prices", "/store-1.4/vendors",
			"/v3/edge-02/sensors/7710", "/v3/edge-02/sensors/7711/readings", "/rest/shop_v2/carts/5512",
		}, map[string]string{
			"/store-1.4/catalogs/88":            "/store-1.4/catalogs/{id}",
			"/store-1.4/catalogs/91/prices":     "/store-1.4/catalogs/{id}/prices",
			"/store-1.4/vendors":                "/store-1.4/vendors",
			"/v3/edge-02/sensors/7710":          "/v3/edge-02/sensors/{id}",
			"/v3/edge-02/sensors/7711/readings": "/v3/edge-02/sensors/{id}/readings",
			"/rest/shop_v2/carts/5512":          "/rest/shop_v2/carts/{id}",
		})
	})
	t.Run("values", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/tenants/acme-01/sites", "/tenants/zeta-02/sites", "/v2/gateways/gw-3.1",
			"/archive-2019/boxes/12", "/v2/node-01",
		}, map[string]string{
			"/tenants/acme-01/sites": "/tenants/{id}/sites",
			"/v2/gateways/gw-3.1":    "/v2/gateways/{id}",
			"/archive-2019/boxes/12": "/{id}/boxes/{id2}",
			"/v2/node-01":            "/v2/{id}",
		})
	})
	checkVersionAt(t, "compoundVersion", compoundVersion, []versionCase{
		{"", "svc-2.0", true, true},
		{"", "svc-2.0", false, false},
		{"", "logs-2024.01.15", true, false},
		{"", "invoices-2024", true, false},
		{"", "a-2.0", true, false},
		{"", "Store-2.0", true, false},
		{"v1.0", "grid-07", true, true},
		{"v1.0", "grid-7", true, false},
		{"api", "hub_v3", true, true},
		{"orders", "hub_v3", true, false},
	})
}

// TestPreReleaseVersion: a version with a pre-release label (v2.0-beta,
// v1-preview, 3.1_rc1) where versions live, with more path below, is the
// API's version; labels that are no pre-release (v2-devices), the same
// shapes after a collection or at the end of a path are not.
func TestPreReleaseVersion(t *testing.T) {
	checkEveryOrder(t, []string{
		"/v2.0-beta/kiosks/12", "/v2.0-beta/kiosks", "/api/3.1_rc1/lamps/4", "/shelf/v1-preview/items/7",
	}, map[string]string{
		"/v2.0-beta/kiosks/12": "/v2.0-beta/kiosks/{id}",
		"/v2.0-beta/kiosks":    "/v2.0-beta/kiosks",
		"/api/3.1_rc1/lamps/4": "/api/3.1_rc1/lamps/{id}",
	})
	checkVersionAt(t, "preReleaseVersion", preReleaseVersion, []versionCase{
		{"", "v2.0-beta", true, true},
		{"", "v1-preview", true, true},
		{"api", "3.1_rc.2", true, true},
		{"v1", "v1.1-alpha3", true, true},
		{"", "v2.0-beta", false, false},
		{"", "v2-devices", true, false},
		{"", "1-beta", true, false},
		{"shelf", "v1-preview", true, false},
		{"", "release-beta", true, false},
	})
}

// TestPaddedVersion: a v with four zero-padded digits is a version
// (/IWidgetService/ListWidgets/v0003); other v-numbers of that length are
// no versions.
func TestPaddedVersion(t *testing.T) {
	for s, want := range map[string]bool{"v0001": true, "V0012": true, "v1234": false, "v001": false, "v00012": false, "v00a1": false} {
		if got := paddedVersion(s); got != want {
			t.Errorf("paddedVersion(%q) = %v, want %v", s, got, want)
		}
	}
	checkEveryOrder(t, []string{
		"/IWidgetService/ListWidgets/v0003", "/IWidgetService/GetWidget/v0001", "/IGadgetService/ListGadgets/v0002",
	}, map[string]string{
		"/IWidgetService/ListWidgets/v0003": "/IWidgetService/ListWidgets/v0003",
		"/IGadgetService/ListGadgets/v0002": "/IGadgetService/ListGadgets/v0002",
	})
}

// TestFileOperation: beside ids the API writes as files of a data format
// (/tickets/99812.json), a file name of English words in that format
// (reopen.json, escalate_all.json) is an operation of the collection,
// whichever came first; coined names, media files, and words beside dates
// or short codes (an enumeration or a calendar takes words too) are values.
func TestFileOperation(t *testing.T) {
	t.Run("operations", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/stores/4410/tickets/99812.json", "/stores/4410/tickets/99813.json",
			"/stores/4410/tickets/reopen.json", "/stores/4410/tickets/escalate_all.json",
			"/Fleets/310/Trips/8f14e45fceea167a5a36dedd4bea2543.xml", "/Fleets/310/Trips/dispatch.xml",
		}, map[string]string{
			"/stores/4410/tickets/99812.json":                        "/stores/{id}/tickets/{id2}",
			"/stores/4410/tickets/reopen.json":                       "/stores/{id}/tickets/reopen.json",
			"/stores/4410/tickets/escalate_all.json":                 "/stores/{id}/tickets/escalate_all.json",
			"/Fleets/310/Trips/8f14e45fceea167a5a36dedd4bea2543.xml": "/Fleets/{id}/Trips/{id2}",
			"/Fleets/310/Trips/dispatch.xml":                         "/Fleets/{id}/Trips/dispatch.xml",
		})
	})
	t.Run("values", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/members/88123.json", "/members/zyxwvq.json",
			"/snapshots/55123.png", "/snapshots/sunset.png",
			"/walks/period/14d.json", "/walks/period/90d.json", "/walks/period/forever.json",
		}, map[string]string{
			"/members/zyxwvq.json":       "/members/{id}",
			"/snapshots/sunset.png":      "/snapshots/{id}",
			"/walks/period/forever.json": "/walks/period/{id}",
		})
	})
	for w, want := range map[string]bool{
		"reopen.json": true, "escalate_all.json": true, "order-history.xml": true,
		"zyxwvq.json": false, "sunset.png": false, "plan_2024.json": false, "reopen": false, "a.b.json": false,
	} {
		if got := wordFile(w) != 0; got != want {
			t.Errorf("wordFile(%q) = %v, want %v", w, got, want)
		}
	}
}

// TestReleaseAfterReserved: a version after a reserved word that reads as
// a plural (/metrics/1.2/boards) is the version of that part of the API,
// as after any other word; after a plural collection (/manifests/7.2) a
// release is a value.
func TestReleaseAfterReserved(t *testing.T) {
	checkEveryOrder(t, []string{
		"/metrics/1.2/boards/77", "/metrics/1.2/boards", "/shelves/manifests/7.2", "/shelves/manifests/8.1",
	}, map[string]string{
		"/metrics/1.2/boards/77": "/metrics/1.2/boards/{id}",
		"/metrics/1.2/boards":    "/metrics/1.2/boards",
		"/shelves/manifests/7.2": "/shelves/manifests/{id}",
	})
}

// TestRepresentation: one stem in two data formats at one position
// (layout.csv, layout.json) is one resource in two representations, so
// both stay literal, whichever came first, also below a parameter; named
// files in one format each, and one name in two media formats, are values.
func TestRepresentation(t *testing.T) {
	t.Run("representations", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/boards/7731/exports/layout.csv", "/boards/7731/exports/layout.json", "/boards/7732/exports/layout.csv",
			"/boards/7733/exports",
		}, map[string]string{
			"/boards/7731/exports/layout.csv":  "/boards/{id}/exports/layout.csv",
			"/boards/7731/exports/layout.json": "/boards/{id}/exports/layout.json",
		})
	})
	t.Run("under a parameter", func(t *testing.T) {
		paths := []string{
			"/orgs/zorbix/boards/7731/exports/layout.csv", "/orgs/quenta/boards/7731/exports/layout.json",
			"/orgs/zorbix/boards/7732/exports/layout.json", "/orgs/blorvat/boards/7732/exports/layout.csv",
			"/orgs/zorbix/boards/7733", "/orgs/quenta/boards/7734", "/orgs/blorvat/boards/7735",
		}
		checkTemplates(t, paths, map[string]string{
			"/orgs/zorbix/boards/7731/exports/layout.csv":  "/orgs/{name}/boards/{id}/exports/layout.csv",
			"/orgs/quenta/boards/7731/exports/layout.json": "/orgs/{name}/boards/{id}/exports/layout.json",
		})
	})
	t.Run("values", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/uploads/beach.csv", "/uploads/forest.json", "/uploads/meadow.csv", "/pictures/beach.png", "/pictures/beach.jpg",
		}, map[string]string{
			"/uploads/beach.csv":   "/uploads/{name}",
			"/uploads/forest.json": "/uploads/{name}",
			"/pictures/beach.png":  "/pictures/{name}",
			"/pictures/beach.jpg":  "/pictures/{name}",
		})
	})
}

// TestSharedRelease: a release under two sibling words, the only one
// either ever led to, with resources below, is the API's version under
// each of its roles (/grid/gen/3.1.4/meters beside /grid/dist/3.1.4/feeders),
// whichever came first; packages of different releases, and releases at
// the end of a path, are values.
func TestSharedRelease(t *testing.T) {
	t.Run("version", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/grid/gen/3.1.4/meters/77", "/grid/gen/3.1.4/meters", "/grid/dist/3.1.4/feeders/12", "/grid/dist/3.1.4/feeders",
		}, map[string]string{
			"/grid/gen/3.1.4/meters/77":   "/grid/gen/3.1.4/meters/{id}",
			"/grid/gen/3.1.4/meters":      "/grid/gen/3.1.4/meters",
			"/grid/dist/3.1.4/feeders/12": "/grid/dist/3.1.4/feeders/{id}",
		})
	})
	t.Run("releases", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/pkgs/alpha/1.2.3/files", "/pkgs/beta/2.0.1/files", "/ends/gen/3.1.4", "/ends/dist/3.1.4",
		}, map[string]string{
			"/pkgs/alpha/1.2.3/files": "/pkgs/{name}/{id}/files",
			"/pkgs/beta/2.0.1/files":  "/pkgs/{name}/{id}/files",
			"/ends/gen/3.1.4":         "/ends/{name}/{id}",
		})
	})
}

// TestReleaseKeptIsVersion: a release that a position below a literal word
// keeps over constantRelease calls (demoteRelease, recur.go), with sub-paths, is the API's
// version (/v2/ledger/4.0.2/entries/{id}); in the given order and
// reversed. Two releases taking turns, or one at the end of a path (a
// package's download), stay values however often they come.
func TestReleaseKeptIsVersion(t *testing.T) {
	var paths []string
	for i := range constantRelease + 4 {
		paths = append(paths,
			"/v2/ledger/4.0.2/entries/"+strconv.Itoa(1000+i),
			"/dl/gizmo/2.3.4",
			"/dl/widget/1.0."+strconv.Itoa(i%2)+"/files")
	}
	paths = append(paths, "/v2/ledger/4.0.2/accounts")
	checkTemplates(t, paths, map[string]string{
		"/v2/ledger/4.0.2/entries/1000": "/v2/ledger/4.0.2/entries/{id}",
		"/v2/ledger/4.0.2/accounts":     "/v2/ledger/4.0.2/accounts",
		"/dl/gizmo/2.3.4":               "/dl/gizmo/{id}",
		"/dl/widget/1.0.1/files":        "/dl/widget/{id}/files",
	})
}

// TestReservedFile: a reserved word in a data format after a collection
// (next.json, random.xml) names an operation, as count.json does; other
// words in a format there are values.
func TestReservedFile(t *testing.T) {
	checkEveryOrder(t, []string{
		"/depots/88/pallets/next.json", "/depots/91/pallets/random.xml", "/crates/oakwood.json", "/crates/birchbark.json",
	}, map[string]string{
		"/depots/88/pallets/next.json":  "/depots/{id}/pallets/next.json",
		"/depots/91/pallets/random.xml": "/depots/{id}/pallets/random.xml",
		"/crates/oakwood.json":          "/crates/{name}",
		"/crates/birchbark.json":        "/crates/{name}",
	})
}

// TestScriptFile: a server-side script (login.php, daily.aspx) names an
// endpoint, beside ids, after a collection, or among other scripts;
// source files (setup.py, deploy.rb) after a collection are values.
func TestScriptFile(t *testing.T) {
	checkEveryOrder(t, []string{
		"/forum/login.php", "/forum/profile.php", "/forum/register.php",
		"/boards/users/login.aspx", "/boards/users/3", "/snippets/setup.py", "/snippets/deploy.rb",
	}, map[string]string{
		"/forum/login.php":         "/forum/login.php",
		"/forum/register.php":      "/forum/register.php",
		"/boards/users/login.aspx": "/boards/users/login.aspx",
		"/boards/users/3":          "/boards/users/{id}",
		"/snippets/setup.py":       "/snippets/{name}",
		"/snippets/deploy.rb":      "/snippets/{name}",
	})
}

// versionCase is a segment below a parent (below the root; "" is the
// root itself), with or without more path, and whether f reads it as a
// version.
type versionCase struct {
	parent, seg string
	more, want  bool
}

func checkVersionAt(t *testing.T, name string, f func(*node, string, bool) bool, cases []versionCase) {
	t.Helper()
	for _, c := range cases {
		root := &node{}
		parent := root
		if c.parent != "" {
			parent = &node{parent: root, key: c.parent}
		}
		if got := f(parent, c.seg, c.more); got != c.want {
			t.Errorf("%s(%q, %q, %v) = %v, want %v", name, c.parent, c.seg, c.more, got, c.want)
		}
	}
}
