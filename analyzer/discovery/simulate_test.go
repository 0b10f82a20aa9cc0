package discovery

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/simcalls"
	"github.com/apitap/apitap/simulate"
)

// simRun is one simulated capture turned into calls, shared by the tests.
type simRun struct {
	dir    string
	calls  []apicall.Call
	labels simulate.Labels
}

var (
	simOnce sync.Once
	simData *simRun
	simErr  error
)

// TestMain removes the simulation the package's tests and benchmarks
// shared (each run wrote ~32 MB under the temporary directory and left it).
func TestMain(m *testing.M) {
	code := m.Run()
	if simData != nil {
		os.RemoveAll(simData.dir)
	}
	os.Exit(code)
}

// testKey keys the pseudonyms of the simulated calls.
var testKey = []byte("discovery-test-key-0123456789")

// simulated writes a small simulation once and returns its calls in
// capture order, with actors extracted and secrets redacted as the
// pipeline does before the endpoint stage.
func simulated(t testing.TB) *simRun {
	t.Helper()
	simOnce.Do(func() {
		dir, err := os.MkdirTemp("", "apitap-discovery-sim")
		if err != nil {
			simErr = err
			return
		}
		cfg := simulate.DefaultConfig()
		cfg.Duration = 20 * time.Minute
		cfg.Users = 40
		if _, err := simulate.Write(dir, cfg); err != nil {
			simErr = err
			return
		}
		r := &simRun{dir: dir}
		b, err := os.ReadFile(filepath.Join(dir, simulate.LabelsFile))
		if err != nil {
			simErr = err
			return
		}
		if simErr = json.Unmarshal(b, &r.labels); simErr != nil {
			return
		}
		r.calls, simErr = simcalls.File(filepath.Join(dir, simulate.PcapFile), testKey)
		simData = r
	})
	if simErr != nil {
		t.Fatal(simErr)
	}
	return simData
}

func loadSpec(t testing.TB, paths ...string) *Specs {
	t.Helper()
	s, err := LoadSpecs(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func inventory(t testing.TB, specs *Specs, calls []apicall.Call) *Inventory {
	t.Helper()
	inv, err := New(DefaultConfig(), specs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		inv.Observe(&calls[i])
	}
	return inv
}

type epKey struct{ host, method, path string }

// TestSimulatedWithSpec is the acceptance test: with the simulator's spec,
// every ground-truth endpoint appears exactly once with the right template
// and classification, and nothing else appears (explosion ratio 1.0).
func TestSimulatedWithSpec(t *testing.T) {
	sim := simulated(t)
	inv := inventory(t, loadSpec(t, filepath.Join(sim.dir, simulate.SpecFile)), sim.calls)
	eps := inv.Endpoints()
	checkAgainstLabels(t, eps, sim.labels, false)
	// Sensitive data classes the simulator's bodies carry (after the
	// agent's redaction: cards arrive masked), and some they do not.
	sens := map[string][]string{}
	auth := map[string][]string{}
	for _, e := range eps {
		sens[e.Method+" "+e.Path] = e.Sensitive
		auth[e.Method+" "+e.Path] = e.Auth
	}
	for ep, want := range map[string][]string{
		"GET /api/v2/users/me":             {"email", "phone"},
		"GET /accounts/{accountId}":        {"iban"},
		"POST /api/v2/payments":            {"card_number"},
		"GET /api/v2/payments/{paymentId}": {"card_number"},
		"GET /internal/export":             {"email"},
	} {
		for _, w := range want {
			if !slices.Contains(sens[ep], w) {
				t.Errorf("%s: sensitive %v, want %s", ep, sens[ep], w)
			}
		}
	}
	for _, ep := range []string{"GET /api/v2/products", "GET /api/v2/products/{productId}", "GET /.well-known/jwks.json"} {
		for _, bad := range []string{"email", "card_number", "us_ssn", "iban", "phone"} {
			if slices.Contains(sens[ep], bad) {
				t.Errorf("%s: sensitive %v has %s, which its bodies do not carry", ep, sens[ep], bad)
			}
		}
	}
	if a := auth["GET /api/v2/products"]; !slices.Contains(a, "none") || !slices.Contains(a, "bearer") {
		t.Errorf("GET /api/v2/products auth %v, want none and bearer among them", a)
	}
	if a := auth["POST /logout"]; !slices.Equal(a, []string{"cookie"}) {
		t.Errorf("POST /logout auth %v, want [cookie]", a)
	}
	fs := inv.Findings()
	want := map[string]bool{}
	for _, ep := range sim.labels.Endpoints {
		if ep.Classification == report.Shadow || ep.Classification == report.Zombie {
			want[ep.Method+" "+ep.Template] = true
		}
	}
	got := map[string]bool{}
	for _, f := range fs {
		got[f.Endpoint] = true
		if f.Type != "shadow_api" && f.Type != "zombie_api" || f.Count <= 0 || len(f.ClientIPs) == 0 {
			t.Errorf("finding %+v: want a shadow/zombie finding with callers and a count", f)
		}
	}
	for ep := range want {
		if !got[ep] {
			t.Errorf("no finding for %s", ep)
		}
	}
	for ep := range got {
		if !want[ep] {
			t.Errorf("finding for %s, which the labels do not call shadow or zombie", ep)
		}
	}
	// Every labeled shadow/zombie attack actor shows up in a finding.
	for _, a := range sim.labels.Attacks {
		if a.Type != "shadow_api" && a.Type != "zombie_api" {
			continue
		}
		found := false
		for _, f := range fs {
			// API-key actors are pseudonyms in traffic ("apikey:…"); the
			// labels name the service account, so those match by address.
			sameActor := f.User == a.Actor || strings.Contains(f.User, ":") && overlap(f.ClientIPs, a.ClientIPs)
			if f.Type == a.Type && f.Endpoint == a.Endpoint && sameActor && f.Count == int64(a.Calls) {
				found = true
			}
		}
		if !found {
			t.Errorf("attack %s by %q on %s (%d calls): no finding with that actor and count", a.Type, a.Actor, a.Endpoint, a.Calls)
		}
	}
}

// TestSimulatedWithoutSpec runs the templater alone: the same endpoints
// must come out (parameter names aside), all unknown.
func TestSimulatedWithoutSpec(t *testing.T) {
	sim := simulated(t)
	inv := inventory(t, nil, sim.calls)
	checkAgainstLabels(t, inv.Endpoints(), sim.labels, true)
}

func overlap(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

var paramRE = regexp.MustCompile(`\{[^}]*\}`)

func checkAgainstLabels(t *testing.T, eps []report.Endpoint, labels simulate.Labels, noSpec bool) {
	t.Helper()
	norm := func(p string) string {
		if noSpec {
			return paramRE.ReplaceAllString(p, "{}")
		}
		return p
	}
	truth := map[epKey]simulate.EndpointLabel{}
	for _, l := range labels.Endpoints {
		if noSpec && l.Calls == 0 {
			continue // dormant endpoints need a spec
		}
		truth[epKey{l.Host, l.Method, norm(l.Template)}] = l
	}
	seen := map[epKey]int{}
	for _, e := range eps {
		k := epKey{e.Host, e.Method, norm(e.Path)}
		seen[k]++
		l, ok := truth[k]
		if !ok {
			t.Errorf("reported endpoint %s %s %s (%s, %d calls) is not a true endpoint", e.Host, e.Method, e.Path, e.Classification, e.Calls)
			continue
		}
		want := l.Classification
		if noSpec {
			want = report.Unknown
		}
		if e.Classification != want {
			t.Errorf("%s %s %s: classification %s, want %s", e.Host, e.Method, e.Path, e.Classification, want)
		}
		if e.Calls != int64(l.Calls) {
			t.Errorf("%s %s %s: %d calls, want %d", e.Host, e.Method, e.Path, e.Calls, l.Calls)
		}
	}
	for k := range truth {
		if seen[k] != 1 {
			t.Errorf("true endpoint %v reported %d times, want once", k, seen[k])
		}
	}
	ratio := float64(len(eps)) / float64(len(truth))
	t.Logf("%d reported endpoints, %d true endpoints: explosion ratio %.3f", len(eps), len(truth), ratio)
	if len(eps) != len(truth) {
		t.Errorf("explosion ratio %.3f, want 1.0", ratio)
	}
}

// TestOrderIndependence feeds the same traffic in different orders and
// expects the same inventory.
func TestOrderIndependence(t *testing.T) {
	sim := simulated(t)
	for _, withSpec := range []bool{false, true} {
		var specs *Specs
		if withSpec {
			specs = loadSpec(t, filepath.Join(sim.dir, simulate.SpecFile))
		}
		base := summarize(inventory(t, specs, sim.calls).Endpoints())
		for seed := range uint64(2) {
			calls := append([]apicall.Call(nil), sim.calls...)
			r := rand.New(rand.NewPCG(seed, 99))
			if seed == 0 {
				r.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })
			}
			if seed == 1 { // reverse capture order
				sort.SliceStable(calls, func(i, j int) bool { return calls[i].ReqStart > calls[j].ReqStart })
			}
			got := summarize(inventory(t, specs, calls).Endpoints())
			if len(got) != len(base) {
				t.Fatalf("spec=%v order %d: %d endpoints, want %d", withSpec, seed, len(got), len(base))
			}
			for k, v := range base {
				if got[k] != v {
					t.Errorf("spec=%v order %d: %v = %q, want %q", withSpec, seed, k, got[k], v)
				}
			}
		}
	}
}

func summarize(eps []report.Endpoint) map[epKey]string {
	m := map[epKey]string{}
	for _, e := range eps {
		b, _ := json.Marshal(map[string]any{"c": e.Classification, "n": e.Calls, "a": e.Actors, "s": e.Status, "auth": e.Auth})
		m[epKey{e.Host, e.Method, e.Path}] = string(b)
	}
	return m
}

// TestExportReimport exports the simulated inventory (learned templates,
// no spec) as OpenAPI 3.1, validates it with kin-openapi, and re-imports it
// as the spec: every seen endpoint must then be documented.
func TestExportReimport(t *testing.T) {
	sim := simulated(t)
	for _, withSpec := range []bool{false, true} {
		var specs *Specs
		if withSpec {
			specs = loadSpec(t, filepath.Join(sim.dir, simulate.SpecFile))
		}
		inv := inventory(t, specs, sim.calls)
		doc, err := inv.OpenAPI(t.Context(), "simulated")
		if err != nil {
			t.Fatal(err)
		}
		for _, asJSON := range []bool{false, true} {
			b, err := MarshalOpenAPI(doc, asJSON)
			if err != nil {
				t.Fatal(err)
			}
			name := "export.yaml"
			if asJSON {
				name = "export.json"
			}
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			again := inventory(t, loadSpec(t, path), sim.calls)
			seen := 0
			for _, e := range again.Endpoints() {
				if e.Calls == 0 {
					t.Errorf("re-import: %s %s %s is dormant, but every exported endpoint was seen", e.Host, e.Method, e.Path)
					continue
				}
				seen++
				want := report.Documented
				if e.Deprecated {
					// exported from a spec that deprecates it: the export keeps that
					want = report.Zombie
					if !withSpec {
						t.Errorf("re-import: %s %s deprecated, but the export had no spec", e.Method, e.Path)
					}
				}
				if e.Classification != want {
					t.Errorf("re-import (spec=%v, %s): %s %s %s is %s, want %s", withSpec, name, e.Host, e.Method, e.Path, e.Classification, want)
				}
			}
			if want := countSeen(inv.Endpoints()); seen != want {
				t.Errorf("re-import: %d endpoints, want the %d seen", seen, want)
			}
		}
	}
}

func countSeen(eps []report.Endpoint) int {
	n := 0
	for _, e := range eps {
		if e.Calls > 0 {
			n++
		}
	}
	return n
}

// TestSimulatedOtherSeeds runs the acceptance checks on two more simulated
// worlds (other gift-card codes, other sparse endpoints): every true
// endpoint once, with and without the spec, and the same inventory in
// reverse order.
func TestSimulatedOtherSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two more simulations")
	}
	for _, seed := range []int64{4, 5} {
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			dir := t.TempDir()
			cfg := simulate.DefaultConfig()
			cfg.Duration, cfg.Users, cfg.Seed = 20*time.Minute, 40, seed
			if _, err := simulate.Write(dir, cfg); err != nil {
				t.Fatal(err)
			}
			var labels simulate.Labels
			b, err := os.ReadFile(filepath.Join(dir, simulate.LabelsFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &labels); err != nil {
				t.Fatal(err)
			}
			calls, err := simcalls.File(filepath.Join(dir, simulate.PcapFile), testKey)
			if err != nil {
				t.Fatal(err)
			}
			specs := loadSpec(t, filepath.Join(dir, simulate.SpecFile))
			checkAgainstLabels(t, inventory(t, specs, calls).Endpoints(), labels, false)
			base := inventory(t, nil, calls).Endpoints()
			checkAgainstLabels(t, base, labels, true)
			rev := slices.Clone(calls)
			slices.Reverse(rev)
			got := summarize(inventory(t, nil, rev).Endpoints())
			for k, v := range summarize(base) {
				if got[k] != v {
					t.Errorf("reverse order: %v = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
