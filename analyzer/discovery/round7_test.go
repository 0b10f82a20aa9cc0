package discovery

import "testing"

// Session 5, precision round 2 (2026-11-24): structural evidence against
// reading an API's prefix, its output formats and its collections as
// values. Each rule is checked on made-up paths with negatives, in every
// order of them.

// TestNamespaceCase: an API prefix written in capitals (/RPC/, /REST/)
// is a namespace like /rpc/ and /rest/: its resource names, with or
// without a format suffix, stay literal unless very many keep arriving;
// a capitalised word that is no prefix is judged as before.
func TestNamespaceCase(t *testing.T) {
	checkEveryOrder(t, []string{
		"/RPC/widgets.json", "/RPC/gizmoTerm.json", "/RPC/sprocket/4411/parts.json", "/RPC/sprocket/9921/parts.json",
		"/RPC/quorbit.json", "/RPC/sprocket.json", "/RPC/dranthstatus.json",
	}, map[string]string{
		"/RPC/widgets.json":             "/RPC/widgets.json",
		"/RPC/gizmoTerm.json":           "/RPC/gizmoTerm.json",
		"/RPC/quorbit.json":             "/RPC/quorbit.json",
		"/RPC/sprocket/4411/parts.json": "/RPC/sprocket/{id}/parts.json",
		"/RPC/dranthstatus.json":        "/RPC/dranthstatus.json",
	})
	for _, c := range []struct {
		k    string
		want bool
	}{
		{"REST", true}, {"Api", true}, {"rest", true}, {"RESTS", false}, {"Widgets", false}, {"GRAPHQLXYZ", false},
	} {
		if got := namespaceWord(c.k); got != c.want {
			t.Errorf("namespaceWord(%q) = %v, want %v", c.k, got, c.want)
		}
	}
}

// TestFormatCode: an upper-case code that is a format of the vocabulary
// (JSON, XML) names the output format, and so does an upper-case code
// beside one at the same position (PNG beside JSON); upper-case codes
// with no format beside them are still values after a parameter
// (/watch/{id}/AAPL) and after a collection (/spaces/DEV).
func TestFormatCode(t *testing.T) {
	checkEveryOrder(t, []string{
		"/chem/cid/2244/JSON", "/chem/cid/2519/PNG", "/chem/cid/5793/synonyms/TXT", "/chem/cid/2244/XML",
		"/watch/7731/AAPL", "/watch/8812/MSFT", "/spaces/DEV",
	}, map[string]string{
		"/chem/cid/2244/JSON":         "/chem/cid/{id}/JSON",
		"/chem/cid/2519/PNG":          "/chem/cid/{id}/PNG",
		"/chem/cid/5793/synonyms/TXT": "/chem/cid/{id}/synonyms/TXT",
		"/chem/cid/2244/XML":          "/chem/cid/{id}/XML",
		"/watch/7731/AAPL":            "/watch/{id}/{name}",
		"/watch/8812/MSFT":            "/watch/{id}/{name}",
		"/spaces/DEV":                 "/spaces/{name}",
	})
}

// TestCodeIDs: beside identifiers written as codes (integers, UUIDs,
// tokens without lower-case letters: QX400, NC04, 2024-05871.json) a
// plain lower-case word is a name of the API, not one more instance,
// whichever arrived first (/status/departures beside /status/QX400,
// /filings/facets beside /filings/2024-05871.json); beside tokens with
// lower-case letters (jdoe-42, random ids) such a word may be an
// instance and still joins them.
func TestCodeIDs(t *testing.T) {
	checkEveryOrder(t, []string{
		"/fleet/status/QX400/2026-11-24", "/fleet/status/QX2035/2026-11-24",
		"/fleet/status/departures/ZRH/2026-11-24T08:00", "/fleet/status/arrivals/GVA/2026-11-24T14:00",
		"/filings/2024-05871.json", "/filings/2025-01987.json", "/filings/facets/agency",
	}, map[string]string{
		"/fleet/status/QX400/2026-11-24":                "/fleet/status/{id}/{date}",
		"/fleet/status/departures/ZRH/2026-11-24T08:00": "/fleet/status/departures/{name}/{date}",
		"/fleet/status/arrivals/GVA/2026-11-24T14:00":   "/fleet/status/arrivals/{name}/{date}",
		"/filings/2025-01987.json":                      "/filings/{id}",
		"/filings/facets/agency":                        "/filings/facets/{name}",
	})
	checkEveryOrder(t, []string{
		"/planner/jdoe-42/week/2026-11-23", "/planner/ksmith-7/day/2026-11-24", "/planner/dsky/week/2026-11-30",
	}, map[string]string{
		"/planner/jdoe-42/week/2026-11-23": "/planner/{id}/week/{date}",
		"/planner/dsky/week/2026-11-30":    "/planner/{id}/week/{date}",
	})
}

// TestOperationBesideIDs: a compound that names an operation
// (operationName: inverters_summary_by_site, list-members) beside integer
// ids is an operation of the collection whichever came first, as it
// already was for the joining rule; without ids beside it, a compound
// after a collection is judged as before.
func TestOperationBesideIDs(t *testing.T) {
	checkEveryOrder(t, []string{
		"/plants/4827391/summary", "/plants/3156204/summary", "/plants/3156204/devices",
		"/plants/meters_summary_by_envoy_or_site", "/plants/search",
	}, map[string]string{
		"/plants/4827391/summary":                 "/plants/{id}/summary",
		"/plants/meters_summary_by_envoy_or_site": "/plants/meters_summary_by_envoy_or_site",
		"/plants/search":                          "/plants/search",
	})
	got := observeAll(t, []string{"/crates/serde-json", "/crates/tokio-util"})
	if got["/crates/serde-json"] != "/crates/{name}" {
		t.Errorf("/crates/serde-json → %s, want /crates/{name}", got["/crates/serde-json"])
	}
}
