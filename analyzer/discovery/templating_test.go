package discovery

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/apitap/apitap/apicall"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
	}{
		{"10423", Integer}, {"0", Integer},
		{"550e8400-e29b-41d4-a716-446655440000", UUID}, {"550E8400-E29B-41D4-A716-446655440000", UUID},
		{"507f1f77bcf86cd799439011", ObjectID},
		{"d41d8cd98f00b204e9800998ecf8427e", Hash}, {"da39a3ee5e6b4b0d3255bfef95601890afd80709", Hash},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Hash},
		{"7638a7c59ed3", Hex},
		{"2026-01-05", Date}, {"2026-01-05T10:00:00Z", Date}, {"2026-01", Date},
		{"alice@example.com", Email}, {"jane.doe+test@mail.example.org", Email},
		{"cus_NffrFeUfNV2Hib", Token}, {"INV-2026-0001", Token}, {"alice.martin12", Token}, {"C024BE91L", Token},
		{"v1", Version}, {"v2", Version}, {"V3", Version}, {"v1beta1", Version}, {"v2alpha", Version}, {"v1.1", Version}, {"2.0", Version},
		{"v1_1", Version}, {"v1p2", Version}, {"v2_10", Version}, {"v1_", Word}, {"v1_123", Token}, {"v1p", Word}, {"p1", Word},
		{"OrganizationalLevel1s", Word}, {"ChecklistLevel2Approvers", Word}, {"QuillMoreXz3Pbnwk", Token}, {"HuggingFaceH4", Token},
		{"v3p1beta1", Version}, {"v1p5beta2", Version}, {"v1b3", Version}, {"v2a1", Version}, {"v1b", Word}, {"v1p1x1", Token}, {"v1b1234", Token},
		{"v0-1", Version}, {"v2-10", Version}, {"v1-123", Token}, {"v2021-10-21", Version}, {"V2023-08-01", Version}, {"v2021-10", Token},
		{"users", Word}, {"me", Word}, {"running-shoes", Word}, {"link-preview", Word}, {"jwks.json", Word},
		{"oauth2", Word}, {"sha256", Word}, {"s3", Word}, {"web-0", Word}, {"", Word}, {"h323", Word}, {"e164", Word}, {"h3x9", Token},
		{"api_1.0", Version}, {"api-v2", Version}, {"rest_v1", Version}, {"API_v3", Version}, {"api_1", Word}, {"apis", Word}, {"restv", Word},
		{"1.2.3", Token}, {"10.0.0.1", Token}, {"{x}", Token}, {"%7Bid%7D", Token}, {"deadbeef", Word}, {"cafe", Word},
	}
	for _, tc := range tests {
		if got := Classify(tc.in); got != tc.want {
			t.Errorf("Classify(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// observeAll feeds paths (GET) to a fresh inventory and returns the final
// template of each.
func observeAll(t *testing.T, paths []string) map[string]string {
	t.Helper()
	inv, err := New(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: p, Status: 200})
	}
	out := map[string]string{}
	for _, p := range paths {
		out[p] = inv.Template("h", "GET", p)
	}
	return out
}

// cases are paths and the template each must get.
type cases struct {
	paths []string
	want  map[string]string
}

func (c *cases) add(p, tmpl string) {
	if c.want == nil {
		c.want = map[string]string{}
	}
	c.paths = append(c.paths, p)
	c.want[p] = tmpl
}

// check observes the paths in order and in reverse (checkTemplates).
func (c *cases) check(t *testing.T) {
	t.Helper()
	checkTemplates(t, c.paths, c.want)
}

// checkTemplates observes paths in the given order and in reverse and
// checks the wanted templates both times.
func checkTemplates(t *testing.T, paths []string, want map[string]string) {
	t.Helper()
	orders := [][]string{paths, slices.Clone(paths)}
	slices.Reverse(orders[1])
	for i, ps := range orders {
		got := observeAll(t, ps)
		for p, w := range want {
			if got[p] != w {
				t.Errorf("order %d: %s → %s, want %s", i, p, got[p], w)
			}
		}
	}
}

func TestTemplating(t *testing.T) {
	var paths []string
	for i := range 50 {
		paths = append(paths, fmt.Sprintf("/api/v2/orders/%d", 10000+i*7))
	}
	names := []string{"octocat", "torvalds", "gvanrossum", "mojombo", "defunkt", "pjhyett", "wycats", "ezmobius", "ivey", "evanphx"}
	for _, n := range names {
		paths = append(paths, "/api/v2/profiles/"+n)
	}
	paths = append(paths, "/api/v2/users/me", "/api/v2/users/search", "/api/v2/users/count", "/api/v2/users/17", "/api/v2/users/18",
		"/api/v1/users/17", "/api/v2/products", "/api/v2/cart", "/api/v2/orders")
	got := observeAll(t, paths)
	want := map[string]string{
		"/api/v2/orders/10000":     "/api/v2/orders/{id}",
		"/api/v2/orders/10343":     "/api/v2/orders/{id}",
		"/api/v2/profiles/octocat": "/api/v2/profiles/{name}",
		"/api/v2/profiles/evanphx": "/api/v2/profiles/{name}",
		"/api/v2/users/me":         "/api/v2/users/me",
		"/api/v2/users/search":     "/api/v2/users/search",
		"/api/v2/users/count":      "/api/v2/users/count",
		"/api/v2/users/17":         "/api/v2/users/{id}",
		"/api/v1/users/17":         "/api/v1/users/{id}",
		"/api/v2/products":         "/api/v2/products",
		"/api/v2/cart":             "/api/v2/cart",
		"/api/v2/orders":           "/api/v2/orders",
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s → %q, want %q", p, got[p], w)
		}
	}
}

// TestResourceNamesStayLiteral: many resource names under a version, each
// called often, are not a parameter.
func TestResourceNamesStayLiteral(t *testing.T) {
	nouns := []string{"users", "orders", "products", "invoices", "customers", "payments", "refunds", "coupons", "carts", "reviews", "shipments", "returns"}
	var paths []string
	for round := range 20 {
		for _, n := range nouns {
			paths = append(paths, "/api/v1/"+n, fmt.Sprintf("/api/v1/%s/%d", n, round))
		}
	}
	for p, tmpl := range observeAll(t, paths) {
		if strings.Contains(tmpl, "{name}") {
			t.Errorf("%s → %s: a resource name became a parameter", p, tmpl)
		}
	}
}

// TestEvidence: the plain-word rules keep their evidence on the endpoint:
// the rule, the distinct values, examples and a confidence.
func TestEvidence(t *testing.T) {
	for _, c := range []struct{ prefix, tmpl, rule string }{
		{"/registry/", "/registry/{name}/versions", "sibling_cardinality"}, // a singular noun: cardinality decides
		{"/packages/", "/packages/{name}/versions", "collection_slot"},     // after a collection noun
	} {
		inv, err := New(DefaultConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"express", "lodash", "react", "vue", "angular", "svelte"} {
			inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: c.prefix + n + "/versions", Status: 200})
		}
		eps := inv.Endpoints()
		if len(eps) != 1 || eps[0].Path != c.tmpl || eps[0].Calls != 6 {
			t.Fatalf("endpoints = %+v", eps)
		}
		ev, _ := eps[0].Extra["path_params"].([]map[string]any)
		if len(ev) != 1 || ev[0]["rule"] != c.rule || ev[0]["distinct_values"] != 6 || ev[0]["confidence"].(float64) <= 0.5 {
			t.Errorf("%s: evidence = %+v", c.prefix, ev)
		}
	}
}

func FuzzObserve(f *testing.F) {
	f.Add("/api/v2/orders/10423", "page=1&limit=20", []byte(`{"email":"a@b.example"}`))
	f.Add("//a//b/../%2F/{x}", "a=&=b&&", []byte(`[1,2,{"a":null}]`))
	f.Add("/users/alice.martin12/repos/", "q=%zz", []byte("-----BEGIN PRIVATE KEY-----"))
	f.Add("/libs/org/app/1.0/app-1.0.jar", "", []byte(nil))
	f.Add("/recipes/_design/v/_view/by_day", "", []byte(nil))
	f.Add("/v0/app1x2Y/Tasks-/A-", "", []byte(nil))
	f.Add("/api/trades/legacy/batch", "", []byte(nil)) // a lone slot value, demoted below
	f.Add("/api/trades/legacy/0bd5c4e1-27a9-4f36-9e8d-6c1f7a2b5d43", "", []byte(nil))
	f.Add("/base/Specimen/123", "", []byte(nil))
	for _, w := range []string{"quillon", "fennix", "garrowd", "tarrikk", "moxelo", "web"} { // volume join
		f.Add("/fleet/servers/"+w+"/checks", "", []byte(nil))
	}
	f.Add("/oauth2/aus1a2b3c4d5E6F7g8h9/v1/token", "", []byte(nil)) // shared version
	f.Add("/oauth2/default/v1/token", "", []byte(nil))
	for _, p := range []string{ // mixed sets, collections before ids, leaves beside ids (session 7)
		"/v9/sport/fixtures/4417", "/v9/sport/fixtures/date/2026-11-24", "/v9/sport/standings/seasons/23614",
		"/v9/sport/topscorers/seasons/23690", "/v9/sport/livescores", "/gizmos/zorbly/query/create", "/gizmos/quimp/query",
		"/mkt/promo-sets/654193", "/mkt/promo-sets/search", "/mkt/campaigns/102", "/mkt/campaigns/search",
		"/league/matches/inplay", "/league/matches/head-to-head/12/14", "/league/matches/4417",
		// round 6: a word nested below its own parameter's instances, a nested-rule constant
		"/portal/v7/gizmos/suggest", "/portal/v7/makers/amber-works/gizmos", "/portal/v7/makers/suggest", "/portal/v7/remixes",
		"/hub/gadgets/rest/owners/7c0e0000-51aa-4b2e-9d3f-0a1b2c3d0000/gadgets", "/hub/gadgets/rest/gadgets",
		// round 8: a letter code after a number, snake_case names, coordinate pairs
		"/svc/ExchangeRates/2019/JPY", "/feature_flags/dark_mode_rollout", "/geo/near/12.5/-7.25", "/geo/near/1.0/+", "/geo/1.2//-.",
		// round 14: versions written as bare numbers, and the ids that return them to a parameter
		"/quill/3/inks/sepia", "/quill/3/nibs", "/rest/2019/spellbooks/frost-nova", "/quill/track", "/painter/31/works", "/1/ledgers/x",
		// session 12: path parameters after ';', dotted procedure names, one-letter codes
		"/cart;jsessionid=1A2B3C/items;x=1", ";a=b", "/;=/;", "/xrpc/app.bsky.feed.getTimeline", "/3/vouchers/A/152",
	} {
		f.Add(p, "", []byte(nil))
	}
	inv, err := New(DefaultConfig(), loadSpec(f, "testdata/specs/shop31.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, query string, body []byte) {
		c := &apicall.Call{Host: "api.shop.example", Method: "POST", Path: path, RawQuery: query, Status: 200,
			ReqBody: apicall.Body{Data: body, ContentType: "application/json"}, RespBody: apicall.Body{Data: body, ContentType: "application/json"}}
		m := inv.Observe(c)
		if m.Template == "" && inv.Stats().ShedEndpoints == 0 && inv.Stats().ShedHosts == 0 {
			t.Fatalf("no template for %q", path)
		}
		_ = inv.Endpoints()
	})
}

func TestMetrics(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxHosts = 1
	inv, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := inv.Register(reg); err != nil {
		t.Fatal(err)
	}
	inv.Observe(&apicall.Call{Host: "a", Method: "GET", Path: "/x"})
	inv.Observe(&apicall.Call{Host: "b", Method: "GET", Path: "/x"})
	want := `# HELP apitap_discovery_shed_total Calls not inventoried because of a limit.
# TYPE apitap_discovery_shed_total counter
apitap_discovery_shed_total{reason="max_endpoints"} 0
apitap_discovery_shed_total{reason="max_hosts"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "apitap_discovery_shed_total"); err != nil {
		t.Error(err)
	}
}

// TestExportOddPaths: whatever the traffic's paths, the export validates.
func TestExportOddPaths(t *testing.T) {
	inv, err := New(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/a b/c", "/ü/x", "/a/../b", "/x/%7Bid%7D", "/{x}", "/a//b", "/a/{b}/c/{b}", "/q?x", "/#frag", "/users/1/users/2"} {
		for _, m := range []string{"GET", "POST", "PROPFIND"} {
			inv.Observe(&apicall.Call{Host: "odd.example", Method: m, Path: p, Status: 200, RawQuery: "a=1&b=x&c=",
				ReqBody: apicall.Body{Data: []byte(`{"a":[1,"x",null],"b":{"c":true}}`), ContentType: "application/json"}})
		}
	}
	doc, err := inv.OpenAPI(t.Context(), "odd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MarshalOpenAPI(doc, false); err != nil {
		t.Fatal(err)
	}
}

func TestDistinct(t *testing.T) {
	for _, n := range []int{0, 1, 1000, 1024, 5000, 100000} {
		var d distinct
		for i := range n {
			d.add(mixInt(i))
			d.add(mixInt(i)) // duplicates do not count
		}
		got := d.count()
		t.Logf("%d distinct: counted %d", n, got)
		tol := 0.0
		if n > exactLimit {
			tol = 0.05 * float64(n) // HyperLogLog with 4096 registers: ~1.6% standard error
		}
		if diff := float64(got - int64(n)); diff > tol || -diff > tol {
			t.Errorf("%d distinct: counted %d", n, got)
		}
	}
	// Merging an exact set into an estimated one and back keeps the union.
	var a, b distinct
	for i := range 3000 {
		a.add(mixInt(i))
	}
	for i := 2000; i < 2500; i++ {
		b.add(mixInt(i))
	}
	b.merge(&a)
	if got := b.count(); got < 2850 || got > 3150 {
		t.Errorf("union of 3000 and a 500 subset: %d", got)
	}
}

// mixInt is a fixed, well-mixed 64-bit hash of i (splitmix64), so that
// TestDistinct's estimates are the same in every run; maphash's seed is
// random per process, and an estimate within 5% fails by chance in a
// few runs of a thousand.
func mixInt(i int) uint64 {
	z := uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// TestMixedKindsOrder is the regression test of a sparse endpoint whose
// values are partly typed (tokens) and partly plain words (the simulator's
// gift-card codes): the parameter's name and template must come from the
// set of kinds seen, not from the kind that arrived first.
func TestMixedKindsOrder(t *testing.T) {
	codes := []string{"GC319989", "GC616011", "GC-bz0yx9", "GC-mmICun", "GC-V6CAe8", "GC-GMpbwG", "GC-XEnds9", "GC-KvjOWT"}
	var paths []string
	for _, c := range codes {
		paths = append(paths, "/api/v2/gift-cards/"+c)
	}
	perm := slices.Clone(paths)
	for i := range 200 {
		r := rand.New(rand.NewPCG(uint64(i), 3))
		r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		if i == 0 {
			slices.Reverse(perm)
		}
		for p, tmpl := range observeAll(t, perm) {
			if tmpl != "/api/v2/gift-cards/{id}" {
				t.Fatalf("order %v: %s → %s, want /api/v2/gift-cards/{id}", perm, p, tmpl)
			}
		}
	}
}

// TestIdentifierSlotRules: beside typed identifiers, words that read as
// identifiers (a digit, the ids' prefix) or lead to the same sub-resource
// join the parameter in any order; plain words, reserved words and
// resource names stay literal.
func TestIdentifierSlotRules(t *testing.T) {
	paths := []string{
		"/api/orders/10423", "/api/orders/10424", "/api/orders/pending", "/api/orders/export", "/api/orders/count",
		"/k/pods/nginx-7c5ddbdf54-x8f9k", "/k/pods/web-0/log", "/k/pods/coredns-5d78c9869d-2kq7p/log",
		"/gift-cards/GC319989", "/gift-cards/GC-AcnyPi", "/gift-cards/sale",
		"/calendars/jane.doe@example.com/events", "/calendars/primary/events", "/calendars/me/events",
		"/tags/go/info", "/tags/python/info", "/tags/popular",
		"/shop/cart", "/shop/wishlist",
		"/api/v2/users/17/orders", "/api/v2/products/9/orders",
	}
	want := map[string]string{
		"/api/orders/pending":       "/api/orders/pending",
		"/api/orders/export":        "/api/orders/export",
		"/api/orders/count":         "/api/orders/count",
		"/k/pods/web-0/log":         "/k/pods/{id}/log",
		"/gift-cards/GC-AcnyPi":     "/gift-cards/{id}",
		"/gift-cards/sale":          "/gift-cards/sale",
		"/calendars/primary/events": "/calendars/{id}/events",
		"/calendars/me/events":      "/calendars/me/events",
		"/tags/go/info":             "/tags/{name}/info",
		"/tags/popular":             "/tags/popular",
		"/shop/cart":                "/shop/cart",
		"/api/v2/users/17/orders":   "/api/v2/users/{id}/orders",
		"/api/v2/products/9/orders": "/api/v2/products/{id}/orders",
	}
	checkTemplates(t, paths, want)
}

// TestAlternation: after a parameter, words that lead to the same
// collection of typed ids are instances (/repos/{owner}/{repo}/issues/{id});
// sub-resources that hold ids themselves stay literal.
func TestAlternation(t *testing.T) {
	paths := []string{
		"/repos/583231/hello-world/issues/1347", "/repos/1024025/linux/issues/1021", "/repos/4314092/go/pulls/65432",
		"/repos/5430905/rust/issues/118000", "/repos/5430905/rust/issues/comments/77", "/repos/4314092/go/pulls/comments/78",
		"/users/17/orders/5501", "/users/18/payments/7702", "/users/19/orders/5502", "/users/19/profile", "/users/20/settings",
	}
	want := map[string]string{
		"/repos/4314092/go/pulls/65432":          "/repos/{id}/{name}/pulls/{id2}",
		"/repos/5430905/rust/issues/comments/77": "/repos/{id}/{name}/issues/comments/{id2}",
		"/users/18/payments/7702":                "/users/{id}/payments/{id2}",
		"/users/19/orders/5502":                  "/users/{id}/orders/{id2}",
		"/users/19/profile":                      "/users/{id}/profile",
	}
	checkTemplates(t, paths, want)
}

// TestCousinEvidence: a sibling position that already holds plain-word
// values is evidence for look-alike values (all value-like, or one of the
// same values) in its sibling; resource names beside it stay literal.
func TestCousinEvidence(t *testing.T) {
	paths := []string{
		"/page/summary/Albert_Einstein", "/page/summary/Paris", "/page/summary/Go_(language)",
		"/page/html/Marie_Curie", "/page/html/Ada_Lovelace",
		"/pypi/requests/json", "/pypi/numpy/json", "/simple/requests", "/simple/urllib3",
		"/profiles/octocat/repos", "/profiles/torvalds/repos", "/account/billing", "/account/security",
	}
	want := map[string]string{
		"/page/html/Ada_Lovelace": "/page/html/{name}",
		"/simple/urllib3":         "/simple/{name}",
		"/account/billing":        "/account/billing",
		"/account/security":       "/account/security",
	}
	checkTemplates(t, paths, want)
}

// TestCollectionSlot: after a collection noun, a word that is no resource
// word names an instance on sight; resource words, reserved words,
// system names and operations with a format stay literal.
func TestCollectionSlot(t *testing.T) {
	paths := []string{
		"/api/v1/crates/serde", "/api/v1/crates/serde/versions", "/api/v1/crates/tokio/owners",
		"/api/v1/crates/search", "/api/v1/crates/popular",
		"/v2/user/user1", "/v2/user/login", "/v2/user/logout",
		"/beta/users/$count", "/api/users/@me", "/admin/products/count.json", "/files/report.pdf",
		"/api/v1/accounts/verify_credentials", "/api/v1/accounts/lookup", "/api/v1/timelines/home",
		"/api/v1/trends/tags", "/helix/users", "/helix/streams", "/helix/games/top",
		"/dashboards/uid/cIBgcSjkk", "/timelines/tag/rust", "/refs/branches/main", "/refs/tags",
		"/subscriptions/8f1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5b/providers/Microsoft.Compute/virtualMachines",
		"/storage/v1/b/my-app-assets/o",
	}
	want := map[string]string{
		"/api/v1/crates/serde":                "/api/v1/crates/{name}",
		"/api/v1/crates/tokio/owners":         "/api/v1/crates/{name}/owners",
		"/api/v1/crates/search":               "/api/v1/crates/search",
		"/api/v1/crates/popular":              "/api/v1/crates/popular",
		"/v2/user/user1":                      "/v2/user/{name}",
		"/v2/user/login":                      "/v2/user/login",
		"/beta/users/$count":                  "/beta/users/$count",
		"/api/users/@me":                      "/api/users/@me",
		"/admin/products/count.json":          "/admin/products/count.json",
		"/files/report.pdf":                   "/files/{name}",
		"/api/v1/accounts/verify_credentials": "/api/v1/accounts/verify_credentials",
		"/api/v1/accounts/lookup":             "/api/v1/accounts/lookup",
		"/api/v1/timelines/home":              "/api/v1/timelines/home",
		"/api/v1/trends/tags":                 "/api/v1/trends/tags",
		"/helix/users":                        "/helix/users",
		"/helix/games/top":                    "/helix/games/top",
		"/dashboards/uid/cIBgcSjkk":           "/dashboards/uid/{name}",
		"/timelines/tag/rust":                 "/timelines/tag/{name}",
		"/refs/branches/main":                 "/refs/branches/{name}",
		"/refs/tags":                          "/refs/tags",
		"/subscriptions/8f1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5b/providers/Microsoft.Compute/virtualMachines": "/subscriptions/{id}/providers/Microsoft.Compute/virtualMachines",
		"/storage/v1/b/my-app-assets/o": "/storage/v1/b/my-app-assets/o", // one value after a one-letter name: no evidence
	}
	checkTemplates(t, paths, want)
}

// TestAlignedAndJoined: words that agree everywhere but in one position,
// with typed identifiers below, are instances (/express/4.18.2,
// /react/18.2.0), and further words that are no resource words join them;
// collection names and resource words aligned the same way stay literal,
// and so do system names (_cat) beside a typed parameter.
func TestAlignedAndJoined(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  map[string]string
	}{
		{
			paths: []string{"/express/4.18.2", "/react/18.2.0", "/typescript", "/-/v1/search"},
			want: map[string]string{
				"/express/4.18.2": "/{name}/{id}",
				"/typescript":     "/{name}",
				"/-/v1/search":    "/-/v1/search",
			},
		},
		{
			paths: []string{"/v1/artists/0TnOYISbd1XYRBk9myaseg", "/v1/albums/4aawyAB9vmqN3uQ7FjRGTy", "/v1/me"},
			want: map[string]string{
				"/v1/artists/0TnOYISbd1XYRBk9myaseg": "/v1/artists/{id}",
				"/v1/albums/4aawyAB9vmqN3uQ7FjRGTy":  "/v1/albums/{id}",
			},
		},
		{
			paths: []string{"/api/users/17", "/api/orders/18"},
			want:  map[string]string{"/api/orders/18": "/api/orders/{id}"},
		},
		{
			paths: []string{"/logs-2024.01.15/_search", "/_cat/indices", "/_cluster/health", "/products/_search"},
			want: map[string]string{
				"/_cat/indices":     "/_cat/indices",
				"/_cluster/health":  "/_cluster/health",
				"/products/_search": "/{id}/_search", // leads to the typed parameter's sub-resource
			},
		},
		{
			paths: []string{"/shop/items/9", "/shop/items/mug-blue", "/shop/items/gift-card", "/shop/items/featured",
				"/shop/items/bulk-update", "/shop/items/top-sellers", "/shop/items/by-category"},
			want: map[string]string{
				"/shop/items/mug-blue": "/shop/items/{id}",
				// A kebab-case compound in a collection slot names an
				// instance even when its words are resource words
				// (instanceCompound; literal before 2026-11-24).
				"/shop/items/gift-card":   "/shop/items/{id}",
				"/shop/items/featured":    "/shop/items/featured",    // a resource word
				"/shop/items/bulk-update": "/shop/items/bulk-update", // an operation (verb last)
				"/shop/items/top-sellers": "/shop/items/top-sellers", // a sub-collection (plural)
				"/shop/items/by-category": "/shop/items/by-category", // a lookup (function word)
			},
		},
	} {
		checkTemplates(t, c.paths, c.want)
	}
}

// TestInstanceCompound: kebab-case compounds of ordinary words are
// instance names (billing-service, platform-team); operations, lookups,
// sub-collections and field names made of the same words are not.
func TestInstanceCompound(t *testing.T) {
	for w, want := range map[string]bool{
		"billing-service": true, "platform-team": true, "mobile-app": true,
		"libs-release-local": true, "api-gateway": true, "web-vm-01": true, "gift-card": true,
		"deploy-bot":         false, // verb first: an operation (generate-jitconfig) as often as a name
		"generate-jitconfig": false,
		"billing":            false, // one word
		"dns_records":        false, // snake_case: a field or resource name
		"roleMappings":       false, // camelCase
		"bulk-update":        false, // verb last: an operation
		"password-reset":     false,
		"openid-connect":     false,
		"top-tracks":         false, // plural last: a sub-collection
		"role-mappings":      false,
		"users-by-email":     false, // function word: a lookup
		"lookup-self":        false, // reserved word
		"seal-status":        false,
		"role-id":            false, // field word
		"Billing-Service":    false, // not lower case
		"-v1":                false,
		"a-":                 false,
	} {
		if got := instanceCompound(w, false); got != want {
			t.Errorf("instanceCompound(%q) = %v, want %v", w, got, want)
		}
	}
	// strict (no collection noun before it): no qualifier first either
	for w, want := range map[string]bool{"db-password": true, "example-dot-com": true, "maintenance-mode": true,
		"shared-storage": false, "mobile-app": false, "public-key": false} {
		if got := instanceCompound(w, true); got != want {
			t.Errorf("instanceCompound(%q, strict) = %v, want %v", w, got, want)
		}
	}
	got := observeAll(t, []string{
		"/services", "/services/billing-service", "/services/billing-service/routes",
		"/consumers/mobile-app/key-auth", "/projects/platform-team/events",
		"/users/password-reset", "/users/top-sellers", "/users/lookup-self",
		"/auth/token/lookup-self", "/api/v2/users-by-email", "/protocol/openid-connect/token",
		"/apps/x1/resource-tree", "/apps/x1/managed-resources",
		"/v1/secret/data/db-password", "/orgs/acmecorp/settings/billing/shared-storage", "/runners/create-session",
		"/v1/kv/maintenance-mode", "/admin/two-words",
	})
	for p, w := range map[string]string{
		"/services/billing-service":                      "/services/{name}",
		"/services/billing-service/routes":               "/services/{name}/routes",
		"/consumers/mobile-app/key-auth":                 "/consumers/{name}/key-auth",
		"/projects/platform-team/events":                 "/projects/{name}/events",
		"/users/password-reset":                          "/users/password-reset",
		"/users/top-sellers":                             "/users/top-sellers",
		"/users/lookup-self":                             "/users/lookup-self",
		"/auth/token/lookup-self":                        "/auth/token/lookup-self", // a singular noun: no collection slot
		"/api/v2/users-by-email":                         "/api/v2/users-by-email",
		"/protocol/openid-connect/token":                 "/protocol/openid-connect/token",
		"/apps/x1/resource-tree":                         "/apps/{name}/resource-tree", // after a parameter: a sub-resource
		"/v1/secret/data/db-password":                    "/v1/secret/data/{name}",
		"/v1/kv/maintenance-mode":                        "/v1/kv/{name}",
		"/orgs/acmecorp/settings/billing/shared-storage": "/orgs/{name}/settings/billing/shared-storage", // a qualifier first
		"/runners/create-session":                        "/runners/create-session",                      // a verb first
		"/admin/two-words":                               "/admin/two-words",                             // after a namespace
	} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestNestedCollection: a word between a collection and a sub-collection
// of instances is an instance (/projects/platform/members/12), in any
// arrival order; plurals, reserved words, dotted type names, namespaces
// and resource words after a parameter stay literal.
func TestNestedCollection(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  map[string]string
		rule  string
	}{
		{
			paths: []string{"/api/v2.0/projects/platform/members/12", "/api/v2.0/projects/platform/members",
				"/api/v2.0/projects/library/repositories/nginx", "/api/v2.0/projects/library", "/api/v2.0/projects"},
			want: map[string]string{
				"/api/v2.0/projects/platform/members/12":        "/api/v2.0/projects/{name}/members/{id}",
				"/api/v2.0/projects/library/repositories/nginx": "/api/v2.0/projects/{name}/repositories/{name2}",
				"/api/v2.0/projects/library":                    "/api/v2.0/projects/{name}",
				"/api/v2.0/projects":                            "/api/v2.0/projects",
			},
			rule: "nested_collection",
		},
		{
			// after a parameter holding instances: a word that is no
			// resource word, leading to a collection of ids
			paths: []string{"/repos/gitea/tea/issues/612", "/repos/go-gitea/gitea/pulls/30144", "/repos/gitea/tea"},
			want: map[string]string{
				"/repos/gitea/tea/issues/612":       "/repos/{name}/{name2}/issues/{id}",
				"/repos/go-gitea/gitea/pulls/30144": "/repos/{name}/{name2}/pulls/{id}",
				"/repos/gitea/tea":                  "/repos/{name}/{name2}",
			},
		},
		{
			// negatives: a resource word after a parameter, a plural (a
			// sub-collection), a reserved word, a dotted type name, a
			// namespace, a word under a singular noun
			paths: []string{
				"/projects/42/repository/commits/9f8e7d6c5b4a", "/projects/43/repository/branches/main",
				"/teams/7/subteams/members/5", "/users/me/orders/17", "/users/search/results/3",
				"/providers/Microsoft.Compute/virtualMachines/vm-01", "/services/data/sobjects/3",
				"/account/billing/invoices/55",
			},
			want: map[string]string{
				"/projects/42/repository/commits/9f8e7d6c5b4a":       "/projects/{id}/repository/commits/{id2}",
				"/teams/7/subteams/members/5":                        "/teams/{id}/subteams/members/{id2}",
				"/users/me/orders/17":                                "/users/me/orders/{id}",
				"/users/search/results/3":                            "/users/search/results/{id}",
				"/providers/Microsoft.Compute/virtualMachines/vm-01": "/providers/Microsoft.Compute/virtualMachines/{id}",
				"/services/data/sobjects/3":                          "/services/data/sobjects/{id}",
				"/account/billing/invoices/55":                       "/account/billing/invoices/{id}",
			},
		},
	} {
		checkTemplates(t, c.paths, c.want)
		if c.rule == "" {
			continue
		}
		inv, _ := New(DefaultConfig(), nil)
		for _, p := range c.paths {
			inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: p, Status: 200})
		}
		found := false
		for _, e := range inv.Endpoints() {
			if e.Path != "/api/v2.0/projects/{name}" {
				continue
			}
			found = true
			ev, _ := e.Extra["path_params"].([]map[string]any)
			if len(ev) != 1 || ev[0]["rule"] != c.rule || ev[0]["distinct_values"] != 2 {
				t.Errorf("%s: evidence = %+v, want rule %s and 2 values", e.Path, ev, c.rule)
			}
		}
		if !found {
			t.Errorf("no endpoint /api/v2.0/projects/{name}")
		}
	}
}

// TestSharedBelow: a word beside a parameter of instances joins it when
// both lead to a parameter with the same literal sub-resource (Docker
// Hub's library beside the other namespaces), in any arrival order; a
// word whose parameter leads elsewhere, and reserved words, stay literal.
func TestSharedBelow(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  map[string]string
	}{
		{
			paths: []string{"/v2/repositories/library/nginx/tags/1.27-alpine", "/v2/repositories/library/postgres/tags/16.4",
				"/v2/repositories/bitnami", "/v2/repositories/bitnami/redis/tags", "/v2/repositories/grafana/grafana/tags/latest"},
			want: map[string]string{
				"/v2/repositories/library/nginx/tags/1.27-alpine": "/v2/repositories/{name}/{name2}/tags/{id}",
				"/v2/repositories/bitnami/redis/tags":             "/v2/repositories/{name}/{name2}/tags",
			},
		},
		{
			paths: []string{"/v2/repositories/library/nginx/stars", "/v2/repositories/library/postgres/stars",
				"/v2/repositories/bitnami", "/v2/repositories/bitnami/redis/tags", "/v2/repositories/grafana/grafana/tags",
				"/v2/repositories/me/redis/tags", "/v2/repositories/me/nginx/tags"},
			want: map[string]string{
				"/v2/repositories/library/nginx/stars": "/v2/repositories/library/{name}/stars",
				"/v2/repositories/me/redis/tags":       "/v2/repositories/me/{name}/tags",
				"/v2/repositories/bitnami/redis/tags":  "/v2/repositories/{name}/{name2}/tags",
			},
		},
	} {
		checkTemplates(t, c.paths, c.want)
	}
}

// TestUpperCode: an upper-case code after a resource word is a key
// (/space/DEV, /currency/USD); at the root, after a namespace or a
// version, or in another case, a word keeps its meaning.
func TestUpperCode(t *testing.T) {
	for w, want := range map[string]bool{"DEV": true, "OPS": true, "EU_WEST": true, "R2D2": true,
		"X1": false, "A": false, "Dev": false, "_DEV": false, "DEV-1": false, "dev": false} {
		if got := upperCode(w); got != want {
			t.Errorf("upperCode(%q) = %v, want %v", w, got, want)
		}
	}
	got := observeAll(t, []string{"/wiki/rest/api/space/DEV", "/wiki/rest/api/space/DEV/content", "/v1/currency/USD",
		"/api/SMS", "/FHIR/metadata", "/v2/SSO", "/v1/country/Germany"})
	for p, w := range map[string]string{
		"/wiki/rest/api/space/DEV":         "/wiki/rest/api/space/{name}",
		"/wiki/rest/api/space/DEV/content": "/wiki/rest/api/space/{name}/content",
		"/v1/currency/USD":                 "/v1/currency/{name}",
		"/api/SMS":                         "/api/SMS",
		"/FHIR/metadata":                   "/FHIR/metadata",
		"/v2/SSO":                          "/v2/SSO",
		"/v1/country/Germany":              "/v1/country/Germany", // capitalised, not capitals
	} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestUnknownNamesCardinality: three or more sibling words of one shape,
// most of them outside the vocabulary of resource names, are values of
// one parameter after a resource noun, also a singular one; resource
// words stay, and so do the words after a verb or a gerund.
func TestUnknownNamesCardinality(t *testing.T) {
	got := observeAll(t, []string{
		"/v1/registry/module/quokka", "/v1/registry/module/pandas", "/v1/registry/module/web",
		"/v1/shop/item/lamp", "/v1/shop/item/chair",
		"/v1/store/order", "/v1/store/inventory", "/v1/store/report",
		"/v1/catalog/gadgets", "/v1/catalog/items", "/v1/catalog/offers",
		"/v1/convert/quokka", "/v1/convert/pandas", "/v1/convert/wombat",
		"/api/monitoring/quokka", "/api/monitoring/pandas", "/api/monitoring/wombat",
	})
	for p, w := range map[string]string{
		// Session 8: pandas is an English word, so one name of three is
		// outside the vocabulary of resources and of English: names
		// (TestEnglishNames has three coined names beside a resource word).
		"/v1/registry/module/quokka": "/v1/registry/module/quokka",
		"/v1/registry/module/web":    "/v1/registry/module/web",
		"/v1/shop/item/lamp":         "/v1/shop/item/lamp",     // two resource words: names
		"/v1/store/inventory":        "/v1/store/inventory",    // mostly resource words
		"/v1/convert/quokka":         "/v1/convert/quokka",     // after a verb: operations
		"/api/monitoring/quokka":     "/api/monitoring/quokka", // after a gerund: an area, not a kind of thing
		"/v1/catalog/gadgets":        "/v1/catalog/gadgets",    // mostly resource words
	} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestTagLabels: after a tag collection a release channel names a tag;
// elsewhere latest stays an operation.
func TestTagLabels(t *testing.T) {
	got := observeAll(t, []string{"/v2/repos/acme/tags/latest", "/v2/repos/acme/tags/stable", "/v2/images/web/manifests/latest",
		"/repos/acme/releases/latest", "/v1/feed/latest"})
	for p, w := range map[string]string{
		"/v2/repos/acme/tags/latest":      "/v2/repos/{name}/tags/{name2}",
		"/v2/repos/acme/tags/stable":      "/v2/repos/{name}/tags/{name2}",
		"/v2/images/web/manifests/latest": "/v2/images/{name}/manifests/{name2}",
		"/repos/acme/releases/latest":     "/repos/{name}/releases/latest",
		"/v1/feed/latest":                 "/v1/feed/latest",
	} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestTitleValue: a capitalised word right after a parameter is a name
// in an API whose resource names are lower case, and a resource in one
// that capitalises them (Twilio).
func TestTitleValue(t *testing.T) {
	for w, want := range map[string]bool{"Tasks": true, "FishStew": true, "CircleCI-Public": true, "Ab": false, "DEV": false, "tasks": false,
		"Report1": false, "Acme-": false, "Acme-corp": false} {
		if got := titleCase(w); got != want {
			t.Errorf("titleCase(%q) = %v, want %v", w, got, want)
		}
	}
	got := observeAll(t, []string{
		"/v0/appQ8x7Y6z5W4v3U2/Inventory", "/v0/appQ8x7Y6z5W4v3U2/Inventory/rec9a8B7c6D5e4F3g",
		"/dav/files/alice/Pictures",
		"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Queues",
		"/v1/country/Germany",
	})
	for p, w := range map[string]string{
		"/v0/appQ8x7Y6z5W4v3U2/Inventory":                                "/v0/{id}/{name}",
		"/v0/appQ8x7Y6z5W4v3U2/Inventory/rec9a8B7c6D5e4F3g":              "/v0/{id}/{name}/{id2}",
		"/dav/files/alice/Pictures":                                      "/dav/files/{name}/{name2}",
		"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Queues": "/2010-04-01/Accounts/{id}/Queues",
		"/v1/country/Germany":                                            "/v1/country/Germany", // not after a parameter
	} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestSameNoun: a noun names one collection wherever it appears in an
// API, so a word its parameter holds in one place is a value in another,
// whichever came first; a word that parameter never held stays literal.
func TestSameNoun(t *testing.T) {
	paths := []string{
		"/core/v1/clusters/default/nodes", "/core/v1/clusters/qa-west/nodes", "/core/v1/clusters/perf/nodes",
		"/batch/v2/clusters/default/quota",
		"/batch/v2/clusters/overview",
	}
	want := map[string]string{
		"/core/v1/clusters/default/nodes":  "/core/v1/clusters/{name}/nodes",
		"/batch/v2/clusters/default/quota": "/batch/v2/clusters/{name}/quota",
		"/batch/v2/clusters/overview":      "/batch/v2/clusters/overview",
	}
	checkTemplates(t, paths, want)
}

// TestSystemOperations: words leading to one system operation
// ('_'-prefixed) are names users chose, even at the root; a word alone
// with one, and the system names themselves, stay literal.
func TestSystemOperations(t *testing.T) {
	paths := []string{
		"/inventory/_query", "/inventory/_stats", "/ledgers/_query", "/ledgers/_compact",
		"/_status", "/_admin/_query", "/api/audit/_export",
	}
	want := map[string]string{
		"/inventory/_query":  "/{name}/_query",
		"/inventory/_stats":  "/{name}/_stats",
		"/ledgers/_compact":  "/{name}/_compact",
		"/_status":           "/_status",
		"/_admin/_query":     "/_admin/_query",
		"/api/audit/_export": "/api/audit/_export",
	}
	checkTemplates(t, paths, want)
}

// TestSiblingValue: a word that a sibling operation's parameter holds is
// the same value here, even alone and a resource word, whichever came
// first; another word there stays literal.
func TestSiblingValue(t *testing.T) {
	paths := []string{
		"/v1/vault/data/db-password", "/v1/vault/data/signing-cert", "/v1/vault/data/quokka", "/v1/vault/history/quokka",
		"/v1/vault/history/summary", "/v1/vault/config/default",
	}
	want := map[string]string{
		"/v1/vault/data/db-password": "/v1/vault/data/{name}",
		"/v1/vault/history/quokka":   "/v1/vault/history/{name}",
		"/v1/vault/history/summary":  "/v1/vault/history/summary",
		"/v1/vault/config/default":   "/v1/vault/config/default",
	}
	checkTemplates(t, paths, want)
}

// TestFileName: a package file repeats the package and release segments
// before it, which makes them values; a file without a release, an
// extension that is a number, and API versions do not.
func TestFileName(t *testing.T) {
	for p, want := range map[string]string{
		"/a/app-1.0.jar": "app-1.0.jar", "/a/report.pdf": "", "/a/release-v1.22": "", "/a/x/": "", "/a/lib-2.tar.gz": "lib-2.tar.gz",
	} {
		if got := packageFile(p); got != want {
			t.Errorf("packageFile(%q) = %q, want %q", p, got, want)
		}
	}
	paths := []string{
		"/repo/release/org/quokka/widget/2.4.1/widget-2.4.1.jar",
		"/repo/release/org/quokka/widget/metadata.xml",
		"/swagger/v1/swagger.json", "/docs/v2/openapi.json",
	}
	want := map[string]string{
		"/repo/release/org/quokka/widget/2.4.1/widget-2.4.1.jar": "/repo/release/org/quokka/{name}/{id}/{id2}",
		"/repo/release/org/quokka/widget/metadata.xml":           "/repo/release/org/quokka/{name}/metadata.xml",
		"/swagger/v1/swagger.json":                               "/swagger/v1/swagger.json",
		"/docs/v2/openapi.json":                                  "/docs/v2/openapi.json",
	}
	checkTemplates(t, paths, want)
}

// TestReservedCompound: a compound of a reserved word (lastBuild beside
// build numbers) stays literal beside the instances, even leading to the
// same sub-resource; an id-like word joins.
func TestReservedCompound(t *testing.T) {
	for w, want := range map[string]bool{"lastBuild": true, "nextToken": true, "lastSuccessfulBuild": true, "first-page": false,
		"last": false, "backend-ci": false, "buildWithParameters": false, "blogLast": false, "Last5": false} {
		if got := reservedPart(w); got != want {
			t.Errorf("reservedPart(%q) = %v, want %v", w, got, want)
		}
	}
	got := observeAll(t, []string{"/jobs/frontend/1412/console", "/jobs/frontend/1413/console", "/jobs/frontend/lastBuild/console", "/jobs/frontend/nightly7/console"})
	for p, w := range map[string]string{
		"/jobs/frontend/lastBuild/console": "/jobs/{name}/lastBuild/console",
		"/jobs/frontend/nightly7/console":  "/jobs/{name}/{id}/console",
	} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestSlotAfterMerge: a word that was a literal below another word is a
// value once that word joins a parameter, whatever came first.
func TestSlotAfterMerge(t *testing.T) {
	paths := []string{"/v2/insights/gh/acme/runs", "/v2/project/gh/Acme-Labs/runs", "/v2/project/bb/acme/runs"}
	rev := slices.Clone(paths)
	slices.Reverse(rev)
	for _, order := range [][]string{paths, rev} {
		got := observeAll(t, order)
		if w := "/v2/project/{name}/{name2}/runs"; got["/v2/project/gh/Acme-Labs/runs"] != w {
			t.Errorf("/v2/project/gh/Acme-Labs/runs → %s, want %s", got["/v2/project/gh/Acme-Labs/runs"], w)
		}
	}
}

// TestVersionTags: after a tag or release noun a version names a tag;
// after the root or an API prefix it is the API's version.
func TestVersionTags(t *testing.T) {
	got := observeAll(t, []string{"/v2/images/web/tags/v1", "/v2/images/web/tags/v1.4", "/v1/release/v2.1/notes", "/api/v3/users", "/docs/v2"})
	for p, w := range map[string]string{
		"/v2/images/web/tags/v1":   "/v2/images/{name}/tags/{id}",
		"/v2/images/web/tags/v1.4": "/v2/images/{name}/tags/{id}",
		"/v1/release/v2.1/notes":   "/v1/release/{id}/notes",
		"/api/v3/users":            "/api/v3/users",
		"/docs/v2":                 "/docs/v2",
	} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestNewRuleEvidence: the rules of the third round name themselves in
// the endpoint's path_params evidence.
func TestNewRuleEvidence(t *testing.T) {
	for _, c := range []struct {
		paths      []string
		tmpl, rule string
	}{
		{[]string{"/inventory/_query", "/ledgers/_query"}, "/{name}/_query", "system_operation"},
		{[]string{"/core/v1/clusters/default/nodes", "/core/v1/clusters/qa-west/nodes", "/core/v1/clusters/perf/nodes", "/batch/v2/clusters/default/quota"},
			"/batch/v2/clusters/{name}/quota", "same_noun"},
		{[]string{"/repo/release/org/quokka/widget/2.4.1/widget-2.4.1.jar"}, "/repo/release/org/quokka/{name}/{id}/{id2}", "file_name"},
	} {
		inv, err := New(DefaultConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.paths {
			inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: p, Status: 200})
		}
		found := false
		for _, e := range inv.Endpoints() {
			if e.Path != c.tmpl {
				continue
			}
			found = true
			ev, _ := e.Extra["path_params"].([]map[string]any)
			if len(ev) == 0 || ev[0]["rule"] != c.rule || ev[0]["distinct_values"].(int) < 1 {
				t.Errorf("%s: evidence = %+v, want rule %s", c.tmpl, ev, c.rule)
			}
		}
		if !found {
			t.Errorf("no endpoint %s", c.tmpl)
		}
	}
}

// TestByField: after a lookup by a field (by-email, by_name, byUsername)
// the next segment is that field's value, even a resource word.
func TestByField(t *testing.T) {
	for w, want := range map[string]bool{"by-email": true, "by_name": true, "byUsername": true, "bypass": false, "by": false, "byte": false} {
		if got := byField(w); got != want {
			t.Errorf("byField(%q) = %v, want %v", w, got, want)
		}
	}
	got := observeAll(t, []string{"/v1/products/by-sku/lamp", "/v1/users/byUsername/guest", "/v1/bypass/guest"})
	for p, w := range map[string]string{
		"/v1/products/by-sku/lamp":   "/v1/products/by-sku/{name}",
		"/v1/users/byUsername/guest": "/v1/users/byUsername/{name}",
		"/v1/bypass/guest":           "/v1/bypass/guest",
	} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestNounIndex: the same-noun index keeps only nodes still in the tree,
// so merged subtrees are not held past the tree's node bound.
func TestNounIndex(t *testing.T) {
	inv, err := New(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range churnPaths(20000) {
		inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: p, Status: 200})
	}
	tr := inv.hosts["h"].tree
	n := 0
	for k, l := range tr.nouns {
		if len(l) == 0 || len(l) > maxNounNodes {
			t.Errorf("%s: %d nodes indexed", k, len(l))
		}
		for _, x := range l {
			n++
			if !alive(x) || x.key != k {
				t.Errorf("%s: a node merged away is still indexed", k)
			}
		}
	}
	if n == 0 || n > tr.nodes {
		t.Errorf("%d nodes indexed, %d in the tree", n, tr.nodes)
	}
}
