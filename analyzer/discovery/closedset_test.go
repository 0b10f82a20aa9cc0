package discovery

import (
	"fmt"
	"strings"
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
	t.Run("plugins", func(t *testing.T) {
		var calls []string
		for i, s := range ids("/svc/extensions/metering", 30, 3001) {
			kind := []string{"/METER", "/GAUGE"}[i%2]
			calls = append(calls, strings.Replace(s, "metering", "metering"+kind, 1)+[]string{"/readings/daily", "/readings/hourly", "/labels/all"}[i%3])
		}
		calls = append(calls, ids("/svc/extensions/relay/dispatches", 5, 8801)...)
		checkShuffledAtVolume(t, calls, map[string]string{
			"/svc/extensions/relay/dispatches/8801":              "/svc/extensions/relay/dispatches/{id}",
			"/svc/extensions/metering/METER/3001/readings/daily": "/svc/extensions/metering/{name}/{id}/readings/daily",
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
	t.Run("owners", func(t *testing.T) {
		var calls []string
		calls = append(calls, repeat(20, "/owners/quillmaker/boards", "/owners/quillmaker/pins")...)
		calls = append(calls, repeat(2, "/owners/tidewater/boards")...)
		checkShuffledAtVolume(t, calls, map[string]string{
			"/owners/quillmaker/pins":  "/owners/{name}/pins",
			"/owners/tidewater/boards": "/owners/{name}/boards",
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
	} {
		if got := apartWords(&node{vstats: c.vs}); got != c.want {
			t.Errorf("%s: apartWords = %v, want %v", c.name, got, c.want)
		}
	}
}
