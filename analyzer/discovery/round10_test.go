package discovery

import "testing"

// Session 7, round 8 (2026-11-24): one-shot recall from a segment's shape
// and place.

// TestLetterCodeAfterNumber: in an API that capitalises its resource
// names, a code of two or three capital letters right after a numeric
// parameter (a year, an id) is a value, a country or currency code, from
// its first call; capitalised names, longer codes, format codes, codes
// after other parameters and codes in an all-capitals API stay literal.
func TestLetterCodeAfterNumber(t *testing.T) {
	t.Run("codes after a number", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/svc/ExchangeRates/2019/JPY", "/svc/ExchangeRates/2021/CHF/Daily",
			"/svc/Census/1990/FR", "/Tariffs/88/se",
		}, map[string]string{
			"/svc/ExchangeRates/2019/JPY":       "/svc/ExchangeRates/{id}/{name}",
			"/svc/ExchangeRates/2021/CHF/Daily": "/svc/ExchangeRates/{id}/{name}/Daily",
			"/svc/Census/1990/FR":               "/svc/Census/{id}/{name}",
		})
	})
	t.Run("literals after a number", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/Ledgers/4410/Entries", "/Statements/881/PDF", "/Assets/77/META",
			"/LEDGER/4410/GL", "/Sensors/0b9e2c6a-51d4-4f7e-9a3c-2e8d1f6b7a05/IO",
		}, map[string]string{
			"/Ledgers/4410/Entries": "/Ledgers/{id}/Entries",
			"/Statements/881/PDF":   "/Statements/{id}/PDF",
			"/Assets/77/META":       "/Assets/{id}/META",
			"/LEDGER/4410/GL":       "/LEDGER/{id}/GL",
			"/Sensors/0b9e2c6a-51d4-4f7e-9a3c-2e8d1f6b7a05/IO": "/Sensors/{id}/IO",
		})
	})
}

func TestLetterCode(t *testing.T) {
	for w, want := range map[string]bool{"DE": true, "USD": true, "D": false, "EURO": false, "De": false, "U2": false, "": false} {
		if got := letterCode(w); got != want {
			t.Errorf("letterCode(%q) = %v, want %v", w, got, want)
		}
	}
	for w, want := range map[string]bool{"LEDGER": true, "API_V2": true, "Ledger": false, "ledger": false} {
		if got := allCaps(w); got != want {
			t.Errorf("allCaps(%q) = %v, want %v", w, got, want)
		}
	}
}

// TestSnakeCompoundInCollection: after a plural collection, even one named
// by a compound (feature_flags, which the collection-slot rule does not
// read as a collection), a snake_case compound is an instance's name from
// its first call, as a kebab-case one already was; a compound ending in a
// plural or starting with a verb, or one after a singular word, stays
// literal.
func TestSnakeCompoundInCollection(t *testing.T) {
	t.Run("names in a collection", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/feature_flags/dark_mode_rollout", "/saved_playlists/late_night_jazz/tracks", "/saved_playlists/rainy_sunday",
		}, map[string]string{
			"/feature_flags/dark_mode_rollout":        "/feature_flags/{name}",
			"/saved_playlists/late_night_jazz/tracks": "/saved_playlists/{name}/tracks",
			"/saved_playlists/rainy_sunday":           "/saved_playlists/{name}",
		})
	})
	t.Run("literals", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/webhooks/failed_deliveries", "/reports/export_csv", "/config/dark_mode", "/saved_reports/weekly_totals",
		}, map[string]string{
			"/saved_reports/weekly_totals": "/saved_reports/weekly_totals",
			"/webhooks/failed_deliveries":  "/webhooks/failed_deliveries",
			"/reports/export_csv":          "/reports/export_csv",
			"/config/dark_mode":            "/config/dark_mode",
		})
	})
}

// TestCoordinatePair: a bare decimal shaped like a version (12.5) followed
// by a signed or decimal number is the first of a coordinate pair, a
// value; a version followed by a resource name, an integer or a
// placeholder stays literal. (The second of an unsigned pair, 48.85/2.35,
// is itself shaped like a version and stays literal: not handled.)
func TestCoordinatePair(t *testing.T) {
	t.Run("coordinates", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/geo/near/12.5/-7.25", "/tiles/48.85/-2.35/zoom", "/geo/near/3.1/+101.68",
		}, map[string]string{
			"/geo/near/12.5/-7.25":    "/geo/near/{id}/{id2}",
			"/tiles/48.85/-2.35/zoom": "/tiles/{id}/{id2}/zoom",
			"/geo/near/3.1/+101.68":   "/geo/near/{id}/{id2}",
		})
	})
	t.Run("versions", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/sdk/1.2/items", "/sdk/1.2/3/parts", "/svc/2.0/-/status", "/svc/2.0/orders",
		}, map[string]string{
			"/sdk/1.2/items":    "/sdk/1.2/items",
			"/svc/2.0/-/status": "/svc/2.0/-/status",
			"/svc/2.0/orders":   "/svc/2.0/orders",
		})
	})
	for _, c := range []struct {
		seg, rest string
		want      bool
	}{
		{"51.47", "-0.45/25", true}, {"51.47", "/0.45", true}, {"1.0", "+2", true},
		{"1.0", "users", false}, {"1.0", "3/x", false}, {"1.0", "-", false}, {"1.0", "", false},
		{"v1.0", "-2.5", false}, {"1.0", "1.2.3", false}, {"1.0", ".5", false}, {"1.0", "-1e5", false},
	} {
		if got := coordinate(c.seg, c.rest); got != c.want {
			t.Errorf("coordinate(%q, %q) = %v, want %v", c.seg, c.rest, got, c.want)
		}
	}
}
