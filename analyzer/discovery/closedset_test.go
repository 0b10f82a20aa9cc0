package discovery

import (
	"fmt"
	"testing"
)

// ids returns n paths prefix/{id} with distinct integer ids.
func ids(prefix string, n, base int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s/%d", prefix, base+i*37)
	}
	return out
}

// TestApartWords: a few words at one position, each leading to
// sub-resources no other word leads to, are names of the API once the
// others' calls make the partition unlikely for values of one parameter,
// even when one word is called three times only; values of one parameter
// (tenants, owners) share their sub-paths and stay one parameter.
func TestApartWords(t *testing.T) {
	t.Run("modules", func(t *testing.T) {
		var calls []string
		calls = append(calls, repeat(12, "/hub/2031-01-15/modules/stockroom/bins")...)
		calls = append(calls, ids("/hub/2031-01-15/modules/stockroom/bins", 14, 7001)...)
		calls = append(calls, repeat(9, "/hub/2031-01-15/modules/freightage/parcels")...)
		calls = append(calls, ids("/hub/2031-01-15/modules/freightage/parcels", 4, 9001)...)
		calls = append(calls, ids("/hub/2031-01-15/modules/wagebook/payslips", 3, 5501)...)
		calls = append(calls, repeat(6, "/hub/2031-01-15/modules/fleet/trucks")...)
		checkShuffledAtVolume(t, calls, map[string]string{
			"/hub/2031-01-15/modules/stockroom/bins":         "/hub/2031-01-15/modules/stockroom/bins",
			"/hub/2031-01-15/modules/stockroom/bins/7001":    "/hub/2031-01-15/modules/stockroom/bins/{id}",
			"/hub/2031-01-15/modules/freightage/parcels":     "/hub/2031-01-15/modules/freightage/parcels",
			"/hub/2031-01-15/modules/wagebook/payslips/5501": "/hub/2031-01-15/modules/wagebook/payslips/{id}",
		})
	})
	// After a parameter, words with evidence of their own are taken out
	// one by one while a word called twice waits in the parameter.
	t.Run("after a parameter", func(t *testing.T) {
		tenants := []string{"northwind3", "contoso7", "fabrikam2", "initech5", "umbrella9", "globex4"}
		var calls []string
		for i := range 60 {
			tn := "/v1/Tenants/" + tenants[i%len(tenants)]
			switch {
			case i%5 == 0:
				calls = append(calls, fmt.Sprintf("%s/Fax/Pages/PG%08x", tn, 0x5a17c0de+i*7919))
			case i%5 == 1 && i < 40:
				calls = append(calls, tn+"/Voice/record.json")
			default:
				calls = append(calls, tn+"/Voice/dial.json")
			}
		}
		calls = append(calls, "/v1/Tenants/contoso7/Optouts.json", "/v1/Tenants/initech5/Optouts.json")
		checkShuffledAtVolume(t, calls, map[string]string{
			"/v1/Tenants/northwind3/Fax/Pages/PG5a17c0de": "/v1/Tenants/{name}/Fax/Pages/{id}",
			"/v1/Tenants/contoso7/Voice/dial.json":        "/v1/Tenants/{name}/Voice/dial.json",
			"/v1/Tenants/initech5/Voice/record.json":      "/v1/Tenants/{name}/Voice/record.json",
		})
	})
	// Negatives: tenants of one API, few and unevenly called, share their
	// sub-paths; so do owners, one of them seen rarely.
	t.Run("tenants", func(t *testing.T) {
		var calls []string
		for _, w := range []string{"northwind", "northwind", "northwind", "northwind", "contoso", "contoso", "fabrikam"} {
			calls = append(calls, ids("/tenants/"+w+"/orders", 3, 100)...)
			calls = append(calls, "/tenants/"+w+"/invoices")
		}
		checkShuffledAtVolume(t, calls, map[string]string{
			"/tenants/northwind/orders/100": "/tenants/{name}/orders/{id}",
			"/tenants/fabrikam/invoices":    "/tenants/{name}/invoices",
		})
	})
	t.Run("two owners, each with sub-paths of its own", func(t *testing.T) {
		var calls []string
		calls = append(calls, repeat(20, "/owners/quillmaker/pins")...)
		calls = append(calls, repeat(6, "/owners/tidelark/boards")...)
		checkShuffledAtVolume(t, calls, map[string]string{
			"/owners/quillmaker/pins": "/owners/{name}/pins",
			"/owners/tidelark/boards": "/owners/{name}/boards",
		})
	})
	t.Run("owners", func(t *testing.T) {
		var calls []string
		calls = append(calls, repeat(20, "/owners/quillmaker/boards", "/owners/quillmaker/pins")...)
		calls = append(calls, repeat(2, "/owners/tidelark/boards")...)
		checkShuffledAtVolume(t, calls, map[string]string{
			"/owners/quillmaker/pins": "/owners/{name}/pins",
			"/owners/tidelark/boards": "/owners/{name}/boards",
		})
	})
}

func TestApartWordsOdds(t *testing.T) {
	st := func(cs ...contStat) valueStat { return valueStat{conts: cs} }
	for _, c := range []struct {
		name string
		vs   []valueStat
		want bool
	}{
		{"own sub-paths", []valueStat{st(contStat{"shifts/", 20}, contStat{"shifts/{}", 11}), st(contStat{"leaves/", 10}), st(contStat{"candidates/{}", 3})}, true},
		{"one call is no evidence", []valueStat{st(contStat{"shifts/", 40}), st(contStat{"leaves/", 1})}, false},
		{"shared sub-path", []valueStat{st(contStat{"repos/", 40}, contStat{"pins/", 2}), st(contStat{"pins/", 2}, contStat{"stars/", 9})}, false},
		{"both end here", []valueStat{st(contStat{"", 20}), st(contStat{"", 4}, contStat{"x/", 4})}, false},
		{"a call read under the wrong sub-path", []valueStat{st(contStat{"{}/{}", 63}, contStat{"ASSET/{}", 1}), st(contStat{"{}/{}", 1}, contStat{"dispatches/{}", 3})}, true},
		{"keys of their own", []valueStat{st(contStat{"zebra-onboarding/", 20}, contStat{"kiosk-mode/", 20}), st(contStat{"tango-pricing/", 20})}, false},
		{"too few calls beside few", []valueStat{st(contStat{"a/", 3}), st(contStat{"b/", 3})}, false},
		{"one word", []valueStat{st(contStat{"a/", 30})}, false},
		{"a word seen once", []valueStat{st(contStat{"shifts/", 20}), st(contStat{"leaves/", 10}), st(contStat{"candidates/{}", 1})}, false},
	} {
		if got := apartWords(&node{vstats: c.vs}); got != c.want {
			t.Errorf("%s: apartWords = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestApartAlone: a word is taken out alone when its calls and the
// others' avoid each other's segments both ways, and no other word ever
// reached its segments.
func TestApartAlone(t *testing.T) {
	st := func(cs ...contStat) valueStat { return valueStat{conts: cs} }
	for _, c := range []struct {
		name  string
		vs    []valueStat
		extra int64
		want  int
	}{
		{"names beside a word called twice", []valueStat{st(contStat{"Pages/{}", 12}), st(contStat{"dial.json/", 40}, contStat{"record.json/", 8}), st(contStat{"", 2})}, 0, 0},
		{"calls taken out before count", []valueStat{st(contStat{"Pages/{}", 12}), st(contStat{"", 2})}, 48, 0},
		{"too few calls beside it", []valueStat{st(contStat{"Pages/{}", 12}), st(contStat{"", 2})}, 0, -1},
		{"reached once by another word", []valueStat{st(contStat{"query/", 30}, contStat{"batch/", 9}), st(contStat{"query/", 1}, contStat{"browse/", 4}), st(contStat{"facets/{}", 4})}, 0, -1},
	} {
		own, ok := apartEvidence(c.vs, c.extra)
		got := -1
		if ok {
			got = apartAlone(c.vs, own, c.extra)
		}
		if got != c.want {
			t.Errorf("%s: apartAlone = %d, want %d (own %b, ok %v)", c.name, got, c.want, own, ok)
		}
	}
}
