package discovery

import "testing"

// Session 9, round 12 (2026-11-24): plain-word values read from their
// position in the API (position.go).

// TestLocaleAfterVersion: a language code right after the API's version,
// with more path below it, is the language of the responses, a value,
// from its first call and at volume with only one code ever seen; codes
// elsewhere, English-word codes, a code at the end of the path and
// resource words after the version stay literal.
func TestLocaleAfterVersion(t *testing.T) {
	t.Run("language codes", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/hockey/v3/de/leagues/41/table", "/hockey/v3/de/teams",
			"/recipes/api/v1/pt-BR/dishes/88", "/v2/sv/stations/all", "/v2/stations/all",
		}, map[string]string{
			"/hockey/v3/de/leagues/41/table":  "/hockey/v3/{name}/leagues/{id}/table",
			"/hockey/v3/de/teams":             "/hockey/v3/{name}/teams",
			"/recipes/api/v1/pt-BR/dishes/88": "/recipes/api/v1/{name}/dishes/{id}",
			"/v2/sv/stations/all":             "/v2/{name}/stations/all",
			"/v2/stations/all":                "/v2/stations/all",
		})
	})
	t.Run("one code at volume", func(t *testing.T) {
		checkEveryOrderAtVolume(t, []string{
			"/quiz/v4/fr/rounds/7", "/quiz/v4/fr/players", "/quiz/v4/fr/rounds/9",
		}, 20, map[string]string{
			"/quiz/v4/fr/rounds/7": "/quiz/v4/{name}/rounds/{id}",
			"/quiz/v4/fr/players":  "/quiz/v4/{name}/players",
		})
	})
	t.Run("literals", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v1/id/lookup", "/v1/it/assets", "/v1/ca/certs", "/v1/ar/invoices", "/v1/gl/accounts", "/v3/de",
		}, map[string]string{
			"/v1/id/lookup":   "/v1/id/lookup",
			"/v1/it/assets":   "/v1/it/assets",
			"/v1/ca/certs":    "/v1/ca/certs",
			"/v1/ar/invoices": "/v1/ar/invoices",
			"/v1/gl/accounts": "/v1/gl/accounts",
			"/v3/de":          "/v3/de",
		})
		checkEveryOrder(t, []string{
			"/census/dec/pl/tables", "/v2/users/me", "/v2/users/search", "/v2/items/count", "/v2/users/42",
		}, map[string]string{
			"/census/dec/pl/tables": "/census/dec/pl/tables",
			"/v2/users/me":          "/v2/users/me",
			"/v2/users/search":      "/v2/users/search",
			"/v2/items/count":       "/v2/items/count",
		})
	})
}

func TestLocaleCode(t *testing.T) {
	for w, want := range map[string]bool{
		"en": true, "de": true, "pt-BR": true, "en_US": true, "zh-Hant": true,
		"id": false, "it": false, "no": false, "ar": false, "gl": false, "it-IT": true, "EN": false, "en-us": false, "eng": false, "en-": false, "e": false, "": false, "de-DEU": false,
	} {
		if got := localeCode(w); got != want {
			t.Errorf("localeCode(%q) = %v, want %v", w, got, want)
		}
	}
}

// TestScopedKeys: below a parameter right after a literal collection
// (/toggles/{project}/), words that keep arriving in the traffic, most of
// them neither resource words nor plurals, are keys scoped by the
// parameter, once the position has scopedCalls*MinSiblings calls; an
// instance's sub-resources (resource words, or words that repeat), a URL
// list's few calls, and the reserved literals stay literal.
func TestScopedKeys(t *testing.T) {
	t.Run("keys", func(t *testing.T) {
		checkGroupOrders(t, [][]string{
			{"/toggles/acme-web/zebra-onboarding", "/toggles/acme-web/kiosk-mode", "/toggles/zephyr-mobile/tango-pricing"},
			{"/toggles/acme-web/otter-upsell", "/toggles/zephyr-mobile/nimbus-nav", "/toggles/acme-web/quokka-checkout"},
			{"/toggles/acme-web/lumen-wizard", "/toggles/zephyr-mobile/pixel-carousel", "/toggles/acme-web/fjord-banner"},
			{"/toggles/zephyr-mobile/vortex-trial", "/toggles/acme-web/marble-promo", "/toggles/acme-web/cobalt-footer"},
		}, 2, map[string]string{
			"/toggles/acme-web/zebra-onboarding":    "/toggles/{name}/{name2}",
			"/toggles/zephyr-mobile/tango-pricing":  "/toggles/{name}/{name2}",
			"/toggles/acme-web/cobalt-footer":       "/toggles/{name}/{name2}",
			"/toggles/zephyr-mobile/pixel-carousel": "/toggles/{name}/{name2}",
		})
	})
	t.Run("keys, too few calls", func(t *testing.T) {
		checkGroupOrders(t, [][]string{
			{"/toggles/acme-web/zebra-onboarding", "/toggles/acme-web/kiosk-mode", "/toggles/zephyr-mobile/tango-pricing"},
			{"/toggles/acme-web/otter-upsell", "/toggles/zephyr-mobile/nimbus-nav", "/toggles/acme-web/quokka-checkout"},
			{"/toggles/acme-web/lumen-wizard", "/toggles/zephyr-mobile/pixel-carousel", "/toggles/acme-web/fjord-banner"},
			{"/toggles/zephyr-mobile/vortex-trial", "/toggles/acme-web/marble-promo", "/toggles/acme-web/cobalt-footer"},
		}, 1, map[string]string{
			"/toggles/acme-web/zebra-onboarding": "/toggles/{name}/zebra-onboarding",
		})
	})
	t.Run("sub-resources at volume", func(t *testing.T) {
		checkEveryOrderAtVolume(t, []string{
			"/vehicles/4410/odometer", "/vehicles/4410/battery", "/vehicles/981/fuel", "/vehicles/981/firmware",
			"/vehicles/4410/telemetry", "/vehicles/77/wakeup", "/vehicles/77/honk",
		}, 6, map[string]string{
			"/vehicles/4410/odometer": "/vehicles/{id}/odometer",
			"/vehicles/77/honk":       "/vehicles/{id}/honk",
		})
		checkEveryOrderAtVolume(t, []string{
			"/accounts/4410/followers", "/accounts/4410/repos", "/accounts/981/orgs", "/accounts/981/events",
			"/accounts/4410/keys", "/accounts/77/gists", "/accounts/77/subscriptions",
		}, 3, map[string]string{
			"/accounts/4410/followers": "/accounts/{id}/followers",
			"/accounts/77/gists":       "/accounts/{id}/gists",
		})
	})
	t.Run("a URL list", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/vehicles/4410/odometer", "/vehicles/4410/battery", "/vehicles/981/fuel", "/vehicles/981/firmware",
			"/vehicles/4410/telemetry", "/vehicles/77/wakeup", "/vehicles/77/honk",
		}, map[string]string{
			"/vehicles/4410/odometer": "/vehicles/{id}/odometer",
			"/vehicles/77/honk":       "/vehicles/{id}/honk",
		})
	})
	t.Run("reserved literals", func(t *testing.T) {
		checkTemplates(t, []string{"/users/me", "/users/search", "/items/count", "/users/42", "/items/9"}, map[string]string{
			"/users/me": "/users/me", "/users/search": "/users/search", "/items/count": "/items/count",
		})
	})
}

// checkGroupOrders feeds the groups of paths in every order of the groups,
// each group in its order and reversed, reps times over, and checks the
// wanted templates.
func checkGroupOrders(t *testing.T, groups [][]string, reps int, want map[string]string) {
	t.Helper()
	idx := make([]string, len(groups))
	for i := range groups {
		idx[i] = string(rune('a' + i))
	}
	for _, backwards := range []bool{false, true} {
		permutations(idx, func(order []string) {
			if t.Failed() {
				return
			}
			var calls []string
			for range reps {
				for _, g := range order {
					ps := groups[g[0]-'a']
					for j := range ps {
						if backwards {
							calls = append(calls, ps[len(ps)-1-j])
						} else {
							calls = append(calls, ps[j])
						}
					}
				}
			}
			got := observeAll(t, calls)
			for p, w := range want {
				if got[p] != w {
					t.Errorf("groups %v (backwards %v), %d times: %s → %s, want %s", order, backwards, reps, p, got[p], w)
				}
			}
		})
	}
}

// TestMirroredVersions: words that each lead to nothing but one same
// version, below which the same API is served (three shared sub-paths
// with a literal), are tenants or access levels, resource words among
// them, once traffic went through them; services that each lead to their
// own version and resources, and the same words before different
// versions, stay literal.
func TestMirroredVersions(t *testing.T) {
	t.Run("access levels", func(t *testing.T) {
		checkEveryOrderAtVolume(t, []string{
			"/cricket/free/v3/matches/5521/scorecard", "/cricket/free/v3/players/77/profile",
			"/cricket/premium/v3/matches/9012/scorecard", "/cricket/premium/v3/players/31/profile",
			"/cricket/premium/v3/series/4/table",
		}, 8, map[string]string{
			"/cricket/free/v3/matches/5521/scorecard": "/cricket/{name}/v3/matches/{id}/scorecard",
			"/cricket/premium/v3/players/31/profile":  "/cricket/{name}/v3/players/{id}/profile",
			"/cricket/premium/v3/series/4/table":      "/cricket/{name}/v3/series/{id}/table",
		})
	})
	t.Run("services", func(t *testing.T) {
		checkEveryOrderAtVolume(t, []string{
			"/platform/billing/v1/invoices/9", "/platform/billing/v1/plans",
			"/platform/identity/v1/users/4", "/platform/identity/v1/groups/2/members",
			"/platform/users/me",
		}, 8, map[string]string{
			"/platform/billing/v1/invoices/9":        "/platform/billing/v1/invoices/{id}",
			"/platform/identity/v1/groups/2/members": "/platform/identity/v1/groups/{id}/members",
			"/platform/users/me":                     "/platform/users/me",
		})
	})
	t.Run("services on one resource", func(t *testing.T) {
		// Each service serves its own operations on the shared inns.
		checkEveryOrderAtVolume(t, []string{
			"/book/v1/inns/LAKE02/bookings", "/book/v1/inns/HILL7/bookings/551902",
			"/desk/v1/inns/LAKE02/bookings/551902/arrivals", "/desk/v1/inns/DUNE1/bookings/88123/departures",
			"/rate/v1/inns/HILL7/availability",
		}, 8, map[string]string{
			"/book/v1/inns/LAKE02/bookings":                 "/book/v1/inns/{id}/bookings",
			"/book/v1/inns/HILL7/bookings/551902":           "/book/v1/inns/{id}/bookings/{id2}",
			"/desk/v1/inns/LAKE02/bookings/551902/arrivals": "/desk/v1/inns/{id}/bookings/{id2}/arrivals",
		})
	})
	t.Run("other versions", func(t *testing.T) {
		checkEveryOrderAtVolume(t, []string{
			"/cricket/free/v2/matches/5521/scorecard", "/cricket/free/v2/players/77/profile",
			"/cricket/premium/v3/matches/9012/scorecard", "/cricket/premium/v3/players/31/profile",
		}, 8, map[string]string{
			"/cricket/free/v2/matches/5521/scorecard":    "/cricket/free/v2/matches/{id}/scorecard",
			"/cricket/premium/v3/matches/9012/scorecard": "/cricket/premium/v3/matches/{id}/scorecard",
		})
	})
	t.Run("a URL list", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/cricket/free/v3/matches/5521/scorecard", "/cricket/free/v3/players/77/profile",
			"/cricket/premium/v3/matches/9012/scorecard", "/cricket/premium/v3/players/31/profile",
		}, map[string]string{
			"/cricket/free/v3/matches/5521/scorecard": "/cricket/free/v3/matches/{id}/scorecard",
		})
	})
}

// TestTitleValueAsFile: a capitalised name after a parameter in an API
// that writes its resources in lower case is a value also when written as
// a file in a format (NetIncomeLoss.json); lower-case files, format codes
// and capitalised files in an API that capitalises its resources stay
// literal.
func TestTitleValueAsFile(t *testing.T) {
	t.Run("values as files", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/ledger/concepts/4410/NetIncomeLoss.json", "/ledger/concepts/981/Assets.xml", "/ledger/concepts/981/summary.json",
			"/ledger/concepts/981/JSON",
		}, map[string]string{
			"/ledger/concepts/4410/NetIncomeLoss.json": "/ledger/concepts/{id}/{name}",
			"/ledger/concepts/981/Assets.xml":          "/ledger/concepts/{id}/{name}",
			"/ledger/concepts/981/summary.json":        "/ledger/concepts/{id}/summary.json",
			"/ledger/concepts/981/JSON":                "/ledger/concepts/{id}/JSON",
		})
	})
	t.Run("a capitalised API", func(t *testing.T) {
		checkEveryOrder(t, []string{"/Ledgers/4410/Entries.json", "/Ledgers/981/Summary.xml"}, map[string]string{
			"/Ledgers/4410/Entries.json": "/Ledgers/{id}/Entries.json",
			"/Ledgers/981/Summary.xml":   "/Ledgers/{id}/Summary.xml",
		})
	})
	for w, want := range map[string]string{"Revenues.json": "Revenues", "a.b": "a.b", "report.pdf": "report", "notes.zzq": "notes.zzq", ".json": ".json", "Assets.XML": "Assets"} {
		if got := formatStem(w); got != want {
			t.Errorf("formatStem(%q) = %q, want %q", w, got, want)
		}
	}
}

// TestNumberFile: a one-digit number written as a file (7.json) is a value
// like a longer one (30.json); a name as a file stays literal, and a word
// with one digit (ec2) or a number with another suffix is no number file.
func TestNumberFile(t *testing.T) {
	checkEveryOrder(t, []string{"/charts/popular/7.json", "/charts/popular/summary.json", "/archive/2019/1.json"}, map[string]string{
		"/charts/popular/7.json":       "/charts/popular/{id}",
		"/archive/2019/1.json":         "/archive/{id}/{id2}",
		"/charts/popular/summary.json": "/charts/popular/summary.json",
	})
	for s, want := range map[string]bool{"7.json": true, "3.XML": true, "12.csv": true, "7.": false, ".json": false, "7a.json": false, "ec2": false, "7.tar": false} {
		if got := numberFile(s); got != want {
			t.Errorf("numberFile(%q) = %v, want %v", s, got, want)
		}
	}
}
