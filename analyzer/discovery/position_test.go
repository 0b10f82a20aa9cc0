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
			"/v1/id/lookup", "/v1/it/assets", "/v1/ca/certs", "/v3/de", "/census/dec/pl/tables",
			"/v2/users/me", "/v2/users/search", "/v2/items/count",
		}, map[string]string{
			"/v1/id/lookup":         "/v1/id/lookup",
			"/v1/it/assets":         "/v1/it/assets",
			"/v1/ca/certs":          "/v1/ca/certs",
			"/v3/de":                "/v3/de",
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
		"id": false, "it": false, "no": false, "EN": false, "en-us": false, "eng": false, "en-": false, "e": false, "": false, "de-DEU": false,
	} {
		if got := localeCode(w); got != want {
			t.Errorf("localeCode(%q) = %v, want %v", w, got, want)
		}
	}
}
