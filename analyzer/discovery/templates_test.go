package discovery

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/report"
)

// TestTemplatesFile: a tenant seen with one value and a closed set the
// learner would keep literal take the operator's templates; specs still
// match first; a host's own templates only apply to it; classification
// is what it would be without the file (shadow on a covered host, unknown
// elsewhere); the endpoint says which file templated it.
func TestTemplatesFile(t *testing.T) {
	tmpls, err := ParseTemplates("ops.templates", strings.NewReader(`
# tenants: one value so far
/api/{tenant}/orders/{id}
api.shop.example /api/v2/reports/{kind}
	other.example /things/{name}.json
`))
	if err != nil {
		t.Fatal(err)
	}
	if tmpls.Len() != 3 {
		t.Fatalf("Len = %d, want 3", tmpls.Len())
	}
	specs := loadSpec(t, "testdata/specs/shop31.yaml")
	learned := func(withTemplates bool) *Inventory {
		inv, err := New(DefaultConfig(), specs)
		if err != nil {
			t.Fatal(err)
		}
		if withTemplates {
			inv.SetTemplates(tmpls)
		}
		return inv
	}
	inv, plain := learned(true), learned(false)
	tests := []struct {
		host, method, path string
		tmpl, class        string
	}{
		{"nospec.example", "GET", "/api/acme/orders/1", "/api/{tenant}/orders/{id}", report.Unknown},
		{"nospec.example", "GET", "/api/acme/orders/2", "/api/{tenant}/orders/{id}", report.Unknown},
		{"nospec.example", "POST", "/api/acme/orders/3", "/api/{tenant}/orders/{id}", report.Unknown},
		// the documented operation wins over a template that also matches
		{"api.shop.example", "GET", "/api/v2/orders/10423", "/api/v2/orders/{orderId}", report.Documented},
		{"api.shop.example", "GET", "/api/v2/reports/daily", "/api/v2/reports/{kind}", report.Shadow},
		{"api.shop.example", "GET", "/api/v2/reports/weekly", "/api/v2/reports/{kind}", report.Shadow},
		// another host's template does not apply; the learner templates it
		{"nospec.example", "GET", "/api/v2/reports/daily", "/api/v2/reports/daily", report.Unknown},
		{"other.example:8080", "GET", "/things/lamp.json", "/things/{name}.json", report.Unknown},
		// the suffix is part of the template: learned, whatever the learner says
		{"other.example", "GET", "/things/lamp.txt", "", report.Unknown},
	}
	for _, tc := range tests {
		plain.Observe(call(tc.host, tc.method, tc.path))
		m := inv.Observe(call(tc.host, tc.method, tc.path))
		if tc.tmpl == "" {
			tc.tmpl = plain.Template(tc.host, tc.method, tc.path)
			if tc.tmpl == "/things/{name}.json" || tc.tmpl == "" {
				t.Errorf("Observe(%s %s) = %q: the file's template for another suffix", tc.host, tc.path, tc.tmpl)
			}
		}
		if m.Template != tc.tmpl || m.Classification != tc.class {
			t.Errorf("Observe(%s %s %s) = %q %s, want %q %s", tc.host, tc.method, tc.path, m.Template, m.Classification, tc.tmpl, tc.class)
		}
		if got := inv.Template(tc.host, tc.method, tc.path); got != tc.tmpl {
			t.Errorf("Template(%s %s) = %q, want %q", tc.host, tc.path, got, tc.tmpl)
		}
	}
	// Without the file the learner keeps the one tenant and the two report
	// kinds literal: the file is what changed them.
	for _, p := range []string{"/api/acme/orders/{id}", "/api/v2/reports/daily"} {
		if !hasEndpoint(plain, p) {
			t.Errorf("without templates: no endpoint %s (the test no longer shows what the file changes)", p)
		}
	}
	seen := map[string]report.Endpoint{}
	for _, e := range inv.Endpoints() {
		seen[e.Host+" "+e.Method+" "+e.Path] = e
	}
	e, ok := seen["nospec.example GET /api/{tenant}/orders/{id}"]
	if !ok || e.Calls != 2 || e.Extra["template_file"] != "ops.templates" {
		t.Errorf("templated endpoint = %+v, want 2 calls and template_file", e)
	}
	var shadow int
	for _, f := range inv.Findings() {
		if f.Type == "shadow_api" && strings.Contains(f.Endpoint, "/api/v2/reports/{kind}") {
			shadow++
		}
	}
	if shadow == 0 {
		t.Error("no shadow_api finding for the templated undocumented endpoint")
	}
}

func hasEndpoint(inv *Inventory, path string) bool {
	for _, e := range inv.Endpoints() {
		if e.Path == path {
			return true
		}
	}
	return false
}

// TestBadTemplates: every error names the file and line.
func TestBadTemplates(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"api/orders/{id}", "t.txt:1"},
		{"# ok\n/a/{b}{c}", "t.txt:2"},
		{"/a/{}", "t.txt:1"},
		{"/a/{b", "t.txt:1"},
		{"/a//b", "t.txt:1"},
		{"/a?x=1", "t.txt:1"},
		{"h.example /a/{b} extra", "t.txt:1"},
	} {
		if _, err := ParseTemplates("t.txt", strings.NewReader(tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one naming %s", tc.text, err, tc.want)
		}
	}
	if _, err := LoadTemplates([]string{filepath.Join(t.TempDir(), "missing.txt")}); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing file: %v", err)
	}
	f := filepath.Join(t.TempDir(), "ok.txt")
	if err := os.WriteFile(f, []byte("/v1/{a}\n/v1/{b}\n/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm, err := LoadTemplates([]string{f})
	if err != nil || tm.Len() != 2 || tm.Lookup("x", "/") != "/" || tm.Lookup("x", "/v1/q") != "/v1/{a}" {
		t.Errorf("LoadTemplates = %v, %v (the second of two equal templates is the same one)", tm.Len(), err)
	}
}

// TestWriteTemplatesRoundTrip: the templates file an inventory writes
// holds its learned and operator templates (not the spec's), loads back,
// and given back with --templates yields the same endpoints — also in
// another arrival order, where the learner alone may decide otherwise —
// and a corrected line takes effect.
func TestWriteTemplatesRoundTrip(t *testing.T) {
	specs := loadSpec(t, "testdata/specs/shop31.yaml")
	var calls []string
	for i := range 12 {
		calls = append(calls, fmt.Sprintf("/api/v2/orders/%d", 100+i), fmt.Sprintf("/api/v2/internal/jobs/%d/logs", i))
	}
	calls = append(calls, "/api/acme/orders/1", "/api/acme/orders/2", "/status")
	run := func(tm *Templates, paths []string) (*Inventory, map[string]string) {
		inv, err := New(DefaultConfig(), specs)
		if err != nil {
			t.Fatal(err)
		}
		inv.SetTemplates(tm)
		got := map[string]string{}
		for _, p := range paths {
			got[p] = inv.Observe(call("api.shop.example", "GET", p)).Template
		}
		return inv, got
	}
	inv, first := run(nil, calls)
	var buf strings.Builder
	n, err := inv.WriteTemplates(&buf)
	if err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"api.shop.example /api/v2/internal/jobs/{id}/logs", "api.shop.example /status"} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("templates file has no line %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "{orderId}") {
		t.Errorf("templates file holds the spec's template:\n%s", text)
	}
	tm, err := ParseTemplates("exported", strings.NewReader(text))
	if err != nil || tm.Len() != n {
		t.Fatalf("ParseTemplates = %d templates, %v; wrote %d", tm.Len(), err, n)
	}
	reversed := slices.Clone(calls)
	slices.Reverse(reversed)
	_, again := run(tm, reversed)
	for p, w := range first {
		if again[p] != w {
			t.Errorf("%s: %q given its own templates back, %q before", p, again[p], w)
		}
	}
	// The operator corrects the tenant the learner kept literal.
	fixed := strings.Replace(text, "/api/acme/orders/{id}", "/api/{tenant}/orders/{id}", 1)
	if fixed == text {
		t.Fatalf("the learner no longer keeps acme literal; the test needs another case:\n%s", text)
	}
	tm, err = ParseTemplates("fixed", strings.NewReader(fixed))
	if err != nil {
		t.Fatal(err)
	}
	if _, got := run(tm, []string{"/api/globex/orders/9"}); got["/api/globex/orders/9"] != "/api/{tenant}/orders/{id}" {
		t.Errorf("corrected template not taken: %v", got)
	}
}

// TestWriteTemplatesChecks: the exported file marks, on a "# check" line
// above its template, a word parameter made of fewer words than the
// statistical rule needs (a collection slot holding rpc and telemetry) or
// mostly of English words (falcon, raven, ...) — the templates an
// operator should look at first; parameters of typed values, and of many
// coined words, get none, and the file still reads back.
func TestWriteTemplatesChecks(t *testing.T) {
	inv, err := New(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range 6 {
		paths = append(paths, fmt.Sprintf("/api/devices/%d", 700+i), fmt.Sprintf("/api/plugins/telemetry/%d/values", 700+i),
			fmt.Sprintf("/api/plugins/rpc/%d/oneway", 700+i))
	}
	for _, u := range []string{"quillon", "fennix", "garrowd", "tarrikk", "moxelo", "brindle", "castor"} {
		paths = append(paths, "/api/members/"+u+"/cards")
	}
	for _, u := range []string{"falcon", "raven", "tiger", "panther", "cobra", "viper", "badger"} {
		paths = append(paths, "/api/teams/"+u+"/cards")
	}
	for _, p := range paths {
		inv.Observe(call("h.example", "GET", p))
	}
	var buf strings.Builder
	n, err := inv.WriteTemplates(&buf)
	if err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	slot := inv.Template("h.example", "GET", "/api/plugins/rpc/700/oneway")
	if !strings.Contains(slot, "{") || strings.Count(slot, "{") != 2 {
		t.Fatalf("/api/plugins/rpc/700/oneway → %q, want a word and an id parameter (the fixture is wrong)", slot)
	}
	lines := strings.Split(text, "\n")
	checked := map[string]string{}
	for i, l := range lines {
		if strings.HasPrefix(l, "# check ") && i+1 < len(lines) {
			checked[lines[i+1]] = l
		}
	}
	if c := checked["h.example "+slot]; !strings.Contains(c, "rpc") || !strings.Contains(c, "telemetry") {
		t.Errorf("no check line naming rpc and telemetry above %q:\n%s", slot, text)
	}
	teams := inv.Template("h.example", "GET", "/api/teams/falcon/cards")
	if c := checked["h.example "+teams]; teams != "/api/teams/{name}/cards" || !strings.Contains(c, "English words") {
		t.Errorf("/api/teams/falcon/cards → %q with check line %q, want /api/teams/{name}/cards checked for its English words", teams, c)
	}
	for _, p := range []string{"/api/devices/700", "/api/members/quillon/cards"} {
		tmpl := inv.Template("h.example", "GET", p)
		if c, ok := checked["h.example "+tmpl]; ok {
			t.Errorf("%s (%s) has a check line %q", p, tmpl, c)
		}
	}
	tm, err := ParseTemplates("exported", strings.NewReader(text))
	if err != nil || tm.Len() != n {
		t.Fatalf("ParseTemplates = %d templates, %v; wrote %d", tm.Len(), err, n)
	}
}
