package discovery

import "testing"

// Session 5, precision round (2026-11-24): structural evidence against
// merging the names of collections, services and API prefixes into one
// parameter. Each rule is checked on made-up paths with negatives.

// TestLeadNames: sibling words that each lead to a parameter
// (/feed/member/{name}, /feed/guild/{id}, /feed/ranked/{code}) or to a
// version (/svc/maps/v2) name collections or services, as REST
// alternates collection and instance, however few and unknown they are;
// instances found side by side lead to the same sub-path (/g/{name}/hot,
// TestRejoinEveryOrder) or to nothing (/catalog/service/{name}).
func TestLeadNames(t *testing.T) {
	t.Run("collections", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/feed/member/zorblat", "/feed/member/quillon/stats", "/feed/member/vexmar",
			"/feed/guild/GL-19x7/roster", "/feed/ranked/GOLD", "/feed/ranked/SILVER", "/feed/board/random",
		}, map[string]string{
			"/feed/member/quillon/stats": "/feed/member/{name}/stats",
			"/feed/guild/GL-19x7/roster": "/feed/guild/{id}/roster",
			"/feed/ranked/GOLD":          "/feed/ranked/{name}",
			"/feed/board/random":         "/feed/board/random",
		})
	})
	t.Run("a leaf agrees with no shape", func(t *testing.T) {
		// A leaf (/board/quizbox) fits every sub-path; it must not make words
		// of different sub-paths (/board/ranked/{name}, /board/member/zorblat/games)
		// look alike when it arrives between them.
		checkEveryOrder(t, []string{
			"/board/ranked/GOLD", "/board/member/zorblat/games/2023/11", "/board/quizbox", "/board/member/quillon",
			"/board/member/vexmar/games/archives", "/board/quizbox/random", "/board/ranked/SILVER",
		}, map[string]string{
			"/board/ranked/GOLD":                  "/board/ranked/{name}",
			"/board/member/zorblat/games/2023/11": "/board/member/{name}/games/{id}/{id2}",
			"/board/quizbox":                      "/board/quizbox",
			"/board/quizbox/random":               "/board/quizbox/random",
		})
	})
	t.Run("services", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/svc/mapsearch/v2/tiles.json", "/svc/geocodez/v1/lookup.json", "/svc/routewise/v3/plan/fastest",
			"/svc/mapsearch/v2/layers.json",
		}, map[string]string{
			"/svc/mapsearch/v2/tiles.json":   "/svc/mapsearch/v2/tiles.json",
			"/svc/routewise/v3/plan/fastest": "/svc/routewise/v3/plan/fastest",
		})
	})
	t.Run("instances", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/catalog/service/zorblat", "/catalog/service/quillon", "/catalog/service/vexmar", "/catalog/service/dranth",
		}, map[string]string{
			"/catalog/service/zorblat": "/catalog/service/{name}",
			"/catalog/service/dranth":  "/catalog/service/{name}",
		})
	})
}

// TestVersionAfterPrefix: a number of one or two digits right after a
// short prefix word at the root that is no word of the vocabulary
// (/zq/2/widget/{uuid}) is the API's version, like /api/3/ or v2, so the
// collections after it stay apart; deeper, after a word of the
// vocabulary, with more digits or at the end of the path (/pq/42) it is
// an identifier.
func TestVersionAfterPrefix(t *testing.T) {
	checkEveryOrder(t, []string{
		"/zq/2/widget/3f1c2a9e-8d4b-4c6a-9e1f-0a2b3c4d5e6f", "/zq/2/gadget/7a1c2a9e-8d4b-4c6a-9e1f-0a2b3c4d5e6f",
		"/zq/2/widget", "/zq/2/serialno/QX17.ab-Zt9", "/zq/2/lotcode/GBXYZ4400172",
		"/orders/12", "/box/7",
	}, map[string]string{
		"/zq/2/widget/3f1c2a9e-8d4b-4c6a-9e1f-0a2b3c4d5e6f": "/zq/2/widget/{id}",
		"/zq/2/widget":               "/zq/2/widget",
		"/zq/2/lotcode/GBXYZ4400172": "/zq/2/lotcode/{id}",
		"/orders/12":                 "/orders/{id}",
		"/box/7":                     "/box/{id}",
	})
	got := observeAll(t, []string{"/api/v1/zq/12", "/zq/123", "/pq/42"})
	for p, w := range map[string]string{"/api/v1/zq/12": "/api/v1/zq/{id}", "/zq/123": "/zq/{id}", "/pq/42": "/pq/{id}"} {
		if got[p] != w {
			t.Errorf("%s → %s, want %s", p, got[p], w)
		}
	}
}

// TestIDFormats: words that lead to identifiers of different formats
// (AB123456, Orth12_Q44, CLU0000AB12) or different letter prefixes name
// different collections, even at the root where packages align
// (/left-pad/1.3.0 beside /lodash/4.17.21: one format, one parameter).
func TestIDFormats(t *testing.T) {
	t.Run("collections", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/genebank/Q12345", "/genebank/P04637.fasta", "/genebank/search", "/orthox/Orth12_Q44781",
			"/clusterz/CLU0000AB12", "/strainz/ST-000005640",
		}, map[string]string{
			"/genebank/Q12345":      "/genebank/{id}",
			"/genebank/search":      "/genebank/search",
			"/orthox/Orth12_Q44781": "/orthox/{id}",
			"/clusterz/CLU0000AB12": "/clusterz/{id}",
			"/strainz/ST-000005640": "/strainz/{id}",
		})
	})
	t.Run("packages", func(t *testing.T) {
		checkEveryOrder(t, []string{"/leftpadx/1.3.0", "/lodashx/4.17.21", "/chalkx/5.3.0", "/leftpadx/1.2.0"}, map[string]string{
			"/leftpadx/1.3.0":  "/{name}/{id}",
			"/lodashx/4.17.21": "/{name}/{id}",
		})
	})
	t.Run("format", func(t *testing.T) {
		for s, want := range map[string]string{
			"UniRef90_P05067": "AaAa9_A9", "4.18.2": "9.9.9", "-73.9857,40.7484": "9.9,9.9", "13.38,52.51": "9.9,9.9",
			"release-1.2": "a-9.9", "cus_NffrFeUfNV2Hib": "", "P12345": "A9",
		} {
			var buf [maxFormat]byte
			if got := string(idFormat(&buf, s)); got != want {
				t.Errorf("idFormat(%q) = %q, want %q", s, got, want)
			}
		}
	})
}

// TestCollectionsOutnumber: beside as many words leading to UUIDs
// (collections before their ids) as there are words leading to other
// tokens, those words name collections too (here a random token and a
// code of letters and digits, which never align either: a random token is
// one format of its own, see idFormat), in every order.
func TestCollectionsOutnumber(t *testing.T) {
	checkEveryOrder(t, []string{
		"/zq/2/widget/3f1c2a9e-8d4b-4c6a-9e1f-0a2b3c4d5e6f", "/zq/2/gadget/7a1c2a9e-8d4b-4c6a-9e1f-0a2b3c4d5e6f",
		"/zq/2/serialno/K7p2xQwRtY9mNb.4zLhGfDsA-", "/zq/2/lotcode/GBXYZ4400172", "/zq/2/gizmo/all",
	}, map[string]string{
		"/zq/2/serialno/K7p2xQwRtY9mNb.4zLhGfDsA-":          "/zq/2/serialno/{id}",
		"/zq/2/lotcode/GBXYZ4400172":                        "/zq/2/lotcode/{id}",
		"/zq/2/widget/3f1c2a9e-8d4b-4c6a-9e1f-0a2b3c4d5e6f": "/zq/2/widget/{id}",
	})
}

// TestCaseApart: an API that capitalises its resources (/Route/Kind,
// /Route/Info) writes its values in lower case (/Route/elmline/Delays),
// so capitalised words beside the values stay literal whatever arrived
// first; lower-case APIs read capitals as values (TestTitleValue).
func TestCaseApart(t *testing.T) {
	checkEveryOrder(t, []string{
		"/Route/elmline/Delays", "/Route/Kind/tram,ferry/Delays", "/Route/oakline/Delays", "/Route/Info/Kinds",
		"/Route/Kind/bus/Delays", "/Route/elmline/Stops/490ABC123X", "/Route/birchline/Delays",
	}, map[string]string{
		"/Route/elmline/Delays":           "/Route/{name}/Delays",
		"/Route/birchline/Delays":         "/Route/{name}/Delays",
		"/Route/Kind/bus/Delays":          "/Route/Kind/{name}/Delays",
		"/Route/Info/Kinds":               "/Route/Info/Kinds",
		"/Route/elmline/Stops/490ABC123X": "/Route/{name}/Stops/{id}",
	})
}

// TestCollectionFormat: a plural collection name with a format suffix
// (/lookup/members.json, like /count.json) is the collection in that
// format, not a file named after a value; a file with a value's stem
// (/subjects/gardening.json) and plain files (report.pdf) are values.
func TestCollectionFormat(t *testing.T) {
	checkTemplates(t, []string{"/lookup/members.json", "/lookup/members.json", "/subjects/gardening.json", "/docs/report.pdf"}, map[string]string{
		"/lookup/members.json":     "/lookup/members.json",
		"/subjects/gardening.json": "/subjects/{name}",
		"/docs/report.pdf":         "/docs/{name}",
	})
}
