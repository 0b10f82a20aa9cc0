package discovery

import (
	"slices"
	"testing"

	"github.com/apitap/apitap/apicall"
)

// Session 11 (2026-11-24, s11-order): the same inventory whatever order
// the calls arrive in.

// TestMergeCountsValuesOnce: when two parameters merge (the sub-resource
// parameters of two tenants, /nba/trial/v8/teams/{team} and
// /nba/production/v8/teams/{team}), a value both hold is one value, not
// two: the merged parameter claimed 6 distinct values of 3 (and 2 of one,
// roster, which kept the lone-value rules from seeing it), in every order
// of the calls.
func TestMergeCountsValuesOnce(t *testing.T) {
	var calls []string
	for range 4 {
		for _, w := range []string{"trial", "production"} {
			for _, q := range []string{"teams/red", "teams/blue", "teams/green", "games/schedule", "players/roster", "league/hierarchy"} {
				calls = append(calls, "/nba/"+w+"/v8/"+q)
			}
		}
	}
	for _, order := range [][]string{calls, reversed(calls)} {
		inv, _ := New(DefaultConfig(), nil)
		for _, p := range order {
			inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: p, Status: 200})
		}
		if got := inv.Template("h", "GET", "/nba/trial/v8/players/roster"); got != "/nba/{name}/v8/players/roster" {
			t.Errorf("players/roster → %s, want /nba/{name}/v8/players/roster", got)
		}
		found := false
		for _, e := range inv.Endpoints() {
			if e.Path != "/nba/{name}/v8/teams/{name2}" {
				continue
			}
			found = true
			ev, _ := e.Extra["path_params"].([]map[string]any)
			if len(ev) != 2 || ev[1]["distinct_values"] != 3 || len(ev[1]["examples"].([]string)) != 3 {
				t.Errorf("%s: evidence = %+v, want 3 distinct values, 3 examples", e.Path, ev)
			}
		}
		if !found {
			t.Errorf("no endpoint /nba/{name}/v8/teams/{name2}")
		}
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

// TestMergeJoinsKnownValue: a literal merged into a word parameter (by
// volume, /modules/{name} taking lambda) brings its children along; a
// child word the parameter below already holds is that value, as a walk
// would have taken it (/modules/{name}/{provider} holding aws), not a
// literal beside it. Terraform's providers (traffic dev) got a literal
// kubernetes beside {provider} in one order of six.
func TestMergeJoinsKnownValue(t *testing.T) {
	inv, _ := New(DefaultConfig(), nil)
	inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: "/", Status: 200})
	tr := inv.hosts["h"].tree
	n := tr.newLit(tr.newLit(tr.root, "v1"), "modules")
	p := tr.paramChild(n, Word)
	p.rule = ruleCollectionSlot
	tr.addValue(p, "vpc")
	q := tr.paramChild(p, Word)
	q.rule = ruleSameNoun
	tr.addValue(q, "aws")
	tr.addValue(q, "google")
	l := tr.newLit(n, "lambda")
	tr.newLit(l, "aws")
	tr.joinVolume(n, l)
	if p.lits["aws"] != nil || p.pchild != q || q.values != 2 {
		t.Errorf("after the merge: literal aws %v, parameter %v with %d values; want aws in the parameter (2 values)", p.lits["aws"] != nil, p.pchild == q, q.values)
	}
}

// TestRepresentationsAfterMerge: a merge of tenants' sub-trees can put
// a parameter a lexical rule made from one file name (content.csv) beside
// the literals another tenant's sub-tree had already given back
// (demoteRepresentations: content.csv and content.json are one resource
// in two formats); the parameter joins its literal when the next call
// passes there. Mode Analytics (traffic H) kept
// /results/{name} in one order of six.
func TestRepresentationsAfterMerge(t *testing.T) {
	inv, _ := New(DefaultConfig(), nil)
	inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: "/", Status: 200})
	tr := inv.hosts["h"].tree
	n := tr.newLit(tr.newLit(tr.root, "runs"), "results")
	tr.newLit(n, "content.csv")
	tr.newLit(n, "content.json")
	p := tr.paramChild(n, Word)
	p.rule = ruleCollectionSlot
	tr.addValue(p, "content.csv")
	inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: "/runs/results/content.csv", Status: 200})
	if n.pchild != nil {
		t.Errorf("/runs/results/{%s} beside the literals %v, want the literals only", p.name, litKeys(n))
	}
	if got := inv.Template("h", "GET", "/runs/results/content.csv"); got != "/runs/results/content.csv" {
		t.Errorf("content.csv → %s", got)
	}
}

// TestScopedDuePastCount: the scoped-keys check (scopedDue) looks at a
// parameter's words at the first call that finds scopedCalls*MinSiblings
// calls or more, not only at exactly that many: a merge adds calls in
// bulk and may carry the count past it, and the check never ran.
func TestScopedDuePastCount(t *testing.T) {
	keys := []string{"zebra-onboarding", "kiosk-mode", "tango-pricing", "otter-upsell", "nimbus-nav", "quokka-checkout",
		"lumen-wizard", "pixel-carousel", "fjord-banner", "vortex-trial", "marble-promo", "cobalt-footer"}
	inv, _ := New(DefaultConfig(), nil)
	for i, k := range keys {
		inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: "/toggles/" + []string{"acme-web", "zephyr-mobile"}[i%2] + "/" + k, Status: 200})
	}
	p := inv.hosts["h"].tree.find("/toggles/acme-web")
	if p == nil || !p.param || p.pchild != nil {
		t.Fatalf("/toggles/acme-web is %+v, want a parameter with literal keys below", p)
	}
	p.calls += scopedCalls*int64(DefaultConfig().MinSiblings) - p.calls + 2 // a merge's calls, in bulk
	inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: "/toggles/acme-web/" + keys[0], Status: 200})
	if got := inv.Template("h", "GET", "/toggles/acme-web/kiosk-mode"); got != "/toggles/{name}/{name2}" {
		t.Errorf("kiosk-mode → %s, want /toggles/{name}/{name2}", got)
	}
}

// TestScopedKeysTakenFirst: keys scoped by a parameter (/toggles/{project}/
// {flag}) that a lexical rule took on arrival count as keys with the
// literal ones beside them (verb-led keys the lexical rules leave,
// enable-dark-mode), and a key arriving as a value is judged as one
// arriving as a literal: the literal keys join the parameter whichever
// came first. LaunchDarkly (traffic A) kept three keys literal in five
// orders of six. The tree is built by hand: the state a merge of
// projects leaves (keys a lexical rule took below one project, literal
// keys below another).
func TestScopedKeysTakenFirst(t *testing.T) {
	for _, looked := range []bool{false, true} {
		inv, _ := New(DefaultConfig(), nil)
		inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: "/", Status: 200})
		tr := inv.hosts["h"].tree
		n := tr.newLit(tr.root, "toggles")
		p := tr.paramChild(n, Word)
		p.rule = ruleCollectionSlot
		tr.addValue(p, "acme-web")
		tr.addValue(p, "zephyr-mobile")
		q := tr.paramChild(p, Word)
		q.rule = ruleCollectionSlot
		for _, k := range []string{"zebra-onboarding", "kiosk-mode", "tango-pricing", "otter-upsell", "nimbus-nav", "quokka-checkout", "lumen-wizard"} {
			tr.addValue(q, k)
		}
		for _, k := range []string{"enable-dark-mode", "show-promo-banner", "disable-legacy-search"} {
			tr.newLit(p, k)
		}
		p.calls, q.calls = 22, 19
		p.scoped = looked // scopedDue has looked already: the arriving key decides
		inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: "/toggles/acme-web/fjord-banner", Status: 200})
		if got := inv.Template("h", "GET", "/toggles/zephyr-mobile/enable-dark-mode"); got != "/toggles/{name}/{name2}" {
			t.Errorf("looked %v: enable-dark-mode → %s, want /toggles/{name}/{name2}", looked, got)
		}
	}
}

// TestMergeLoneWordBesideIDs: a lower-case word the collection slot took
// alone (/livescores/inplay) is an operation beside integer ids
// (demoteLone, whichever came first); when a merge brings the two
// together (livescores and fixtures merged into one parameter, in either
// order), the word goes to a literal beside the ids instead of joining
// them. Sportmonks (traffic D) got /v3/football/livescores/{id} in three
// orders of six.
func TestMergeLoneWordBesideIDs(t *testing.T) {
	for _, first := range []string{"fixtures", "livescores"} {
		inv, _ := New(DefaultConfig(), nil)
		for _, p := range []string{"/v3/sport/fixtures/18535517", "/v3/sport/fixtures/18535518", "/v3/sport/livescores/inplay"} {
			inv.Observe(&apicall.Call{Host: "h", Method: "GET", Path: p, Status: 200})
		}
		tr := inv.hosts["h"].tree
		n := tr.find("/v3/sport")
		if n == nil || n.lits["livescores"] == nil || n.lits["livescores"].pchild == nil || n.lits["fixtures"] == nil || n.lits["fixtures"].pchild == nil {
			t.Fatalf("the set-up did not give /v3/sport/livescores/{name} and /v3/sport/fixtures/{id}")
		}
		p := tr.paramChild(n, Word)
		for _, k := range []string{first, map[string]string{"fixtures": "livescores", "livescores": "fixtures"}[first]} {
			c := n.lits[k]
			delete(n.lits, k)
			tr.addValue(p, k)
			tr.merge(p, c)
		}
		if p.lits["inplay"] == nil || p.pchild == nil || p.pchild.knows("inplay") {
			t.Errorf("%s merged first: inplay literal %v, in the ids' parameter %v; want a literal beside {id}", first, p.lits["inplay"] != nil, p.pchild != nil && p.pchild.knows("inplay"))
		}
	}
}
