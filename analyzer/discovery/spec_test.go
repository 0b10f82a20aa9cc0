package discovery

import (
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

func call(host, method, path string) *apicall.Call {
	return &apicall.Call{Host: host, Method: method, Path: path, Status: 200, ReqStart: 1e18}
}

func TestSpecMatching(t *testing.T) {
	specs := loadSpec(t, "testdata/specs/shop31.yaml", "testdata/specs/legacy30.json")
	inv, err := New(DefaultConfig(), specs)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, method, path string
		tmpl, class        string
		deprecated         bool
	}{
		// server variables take their default, the base path is prefixed
		{"api.shop.example", "GET", "/api/v2/orders/10423", "/api/v2/orders/{orderId}", report.Documented, false},
		{"api.shop.example:443", "GET", "/api/v2/orders/7", "/api/v2/orders/{orderId}", report.Documented, false},
		// literal segments win over parameters
		{"api.shop.example", "GET", "/api/v2/orders/search", "/api/v2/orders/search", report.Documented, false},
		{"api.shop.example", "GET", "/api/v2/users/me", "/api/v2/users/me", report.Documented, false},
		{"api.shop.example", "GET", "/api/v2/users/42", "/api/v2/users/{userId}", report.Documented, false},
		// a parameter inside a segment
		{"api.shop.example", "GET", "/api/v2/files/report.json", "/api/v2/files/{name}.json", report.Documented, false},
		// documented path, undocumented method: shadow, with the spec's template
		{"api.shop.example", "DELETE", "/api/v2/orders/10423", "/api/v2/orders/{orderId}", report.Shadow, false},
		// undocumented path on a covered host: shadow, learned template
		{"api.shop.example", "GET", "/api/v2/internal/dump", "/api/v2/internal/dump", report.Shadow, false},
		// an older version of a documented path: zombie
		{"api.shop.example", "GET", "/api/v1/orders/10423", "/api/v1/orders/{id}", report.Zombie, false},
		// a spec without servers covers every host; deprecated: zombie
		{"other.example", "GET", "/v1/orders/abc-1", "/v1/orders/{id}", report.Zombie, true},
		{"other.example", "GET", "/health", "/health", report.Documented, false},
		// the base path is not optional
		{"api.shop.example", "GET", "/orders/1", "/orders/{id}", report.Shadow, false},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			m := inv.Observe(call(tc.host, tc.method, tc.path))
			if m.Template != tc.tmpl || m.Classification != tc.class || m.Deprecated != tc.deprecated {
				t.Errorf("Observe(%s %s %s) = %q %s deprecated=%v, want %q %s deprecated=%v",
					tc.host, tc.method, tc.path, m.Template, m.Classification, m.Deprecated, tc.tmpl, tc.class, tc.deprecated)
			}
		})
	}
	m := inv.Observe(call("api.shop.example", "GET", "/api/v2/orders/1"))
	if m.Spec == nil || m.Spec.OperationID != "getOrder" || len(m.Spec.Security) != 1 || m.Spec.Security[0][0] != "bearerAuth" ||
		m.Spec.SecurityTypes["bearerAuth"] != "bearer" || m.Spec.Params["orderId"] != "integer" || m.Spec.Tags[0] != "orders" {
		t.Errorf("spec hints = %+v", m.Spec)
	}
	// Dormant: documented, never called.
	var dormant []string
	for _, e := range inv.Endpoints() {
		if e.Classification == report.Dormant {
			dormant = append(dormant, e.Host+" "+e.Method+" "+e.Path)
			if e.Calls != 0 || !e.FirstSeen.IsZero() {
				t.Errorf("dormant %s: calls %d first seen %v", e.Path, e.Calls, e.FirstSeen)
			}
		}
	}
	if len(dormant) != 0 {
		t.Errorf("dormant = %v, want none (every operation was called)", dormant)
	}
}

func TestDormantAndUnknown(t *testing.T) {
	specs := loadSpec(t, "testdata/specs/shop31.yaml")
	inv, err := New(DefaultConfig(), specs)
	if err != nil {
		t.Fatal(err)
	}
	inv.Observe(call("api.shop.example", "GET", "/api/v2/orders/1"))
	inv.Observe(call("nospec.example", "GET", "/status"))
	got := map[string]string{}
	for _, e := range inv.Endpoints() {
		got[e.Host+" "+e.Method+" "+e.Path] = e.Classification
	}
	want := map[string]string{
		"api.shop.example GET /api/v2/orders/{orderId}":  report.Documented,
		"api.shop.example GET /api/v2/orders/search":     report.Dormant,
		"api.shop.example GET /api/v2/users/me":          report.Dormant,
		"api.shop.example GET /api/v2/users/{userId}":    report.Dormant,
		"api.shop.example GET /api/v2/files/{name}.json": report.Dormant,
		"nospec.example GET /status":                     report.Unknown,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("endpoints = %v", got)
	}
	if u := inv.UncoveredHosts(); len(u) != 1 || u[0] != "nospec.example" {
		t.Errorf("uncovered hosts = %v", u)
	}
	if fs := inv.Findings(); len(fs) != 0 {
		t.Errorf("findings = %+v, want none (unknown hosts have no spec to differ from)", fs)
	}
}

func TestBadSpecs(t *testing.T) {
	tests := []struct {
		file string
		want []string // substrings of the error
	}{
		{"testdata/specs/missing.yaml", []string{"testdata/specs/missing.yaml", "no such file"}},
		{"testdata/specs/bad-version.yaml", []string{"testdata/specs/bad-version.yaml"}},
		{"testdata/specs/bad-syntax.yaml", []string{"testdata/specs/bad-syntax.yaml", "line"}},
		{"testdata/specs/bad-ref.yaml", []string{"testdata/specs/bad-ref.yaml", "Missing"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := LoadSpecs(t.Context(), []string{tc.file})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestFindingsAndBounds(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxCallers = 2
	cfg.MaxEndpoints = 8
	inv, err := New(cfg, loadSpec(t, "testdata/specs/shop31.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, user := range []string{"alice", "bob", "carol", "dave"} {
		c := call("api.shop.example", "GET", "/api/v1/orders/"+string(rune('1'+i)))
		c.Actor.User = user
		inv.Observe(c)
		inv.Observe(c)
	}
	fs := inv.Findings()
	var users []string
	var overflow int64
	for _, f := range fs {
		if f.Type != "zombie_api" || f.Endpoint != "GET /api/v1/orders/{id}" {
			t.Errorf("finding %+v", f)
		}
		if f.User == "" {
			overflow += f.Count
			continue
		}
		users = append(users, f.User)
		if f.Count != 2 || !strings.Contains(f.Summary, "older version of the documented /api/v2/orders/{orderId}") {
			t.Errorf("finding %+v", f)
		}
	}
	if strings.Join(users, ",") != "alice,bob" && strings.Join(users, ",") != "bob,alice" || overflow != 4 {
		t.Errorf("findings for %v and %d overflow calls, want alice and bob and 4", users, overflow)
	}
	// Endpoints beyond the limit are shed and counted.
	for i := range 20 {
		inv.Observe(call("api.shop.example", "GET", "/api/v2/extra"+strings.Repeat("x", i)))
	}
	st := inv.Stats()
	if st.Endpoints > cfg.MaxEndpoints || st.ShedEndpoints == 0 {
		t.Errorf("stats %+v: want at most %d endpoints and some shed", st, cfg.MaxEndpoints)
	}
}

// TestRequestProps: the documented request body properties of each
// operation, for the mass assignment detector; nil when nothing is known.
func TestRequestProps(t *testing.T) {
	specs := loadSpec(t, "testdata/specs/bodies31.yaml")
	tests := []struct {
		method, path string
		want         []string
	}{
		{"POST", "/users", []string{"email", "name", "password"}}, // allOf with a $ref merged
		{"POST", "/login", []string{"password", "username"}},      // form body
		{"PUT", "/upload", nil},                                   // not an object schema
		{"GET", "/users/7", nil},                                  // no request body
	}
	for _, tc := range tests {
		op, _, _ := specs.Lookup("api.bodies.example", tc.method, tc.path)
		if op == nil {
			t.Fatalf("%s %s: no operation", tc.method, tc.path)
		}
		if !slices.Equal(op.RequestProps, tc.want) {
			t.Errorf("%s %s: request props %q, want %q", tc.method, tc.path, op.RequestProps, tc.want)
		}
	}
}
