package discovery

import "testing"

// TestSplitLeaf: a word called over and over that always ends where it is,
// beside a parameter whose other values lead to sub-paths, is an endpoint
// of its own (/gadgets/tally beside /gadgets/{name}/parts), whichever
// arrived first; a word called as the values are (often alone, sometimes
// below), one seen a few times, or one named like the values stays a value.
func TestSplitLeaf(t *testing.T) {
	gadgets := []string{
		"/gadgets/zorblax", "/gadgets/zorblax/parts", "/gadgets/quintor/parts",
		"/gadgets/flimbo/parts", "/gadgets/tally",
	}
	t.Run("operation beside values", func(t *testing.T) {
		want := map[string]string{
			"/gadgets/tally":         "/gadgets/tally",
			"/gadgets/zorblax/parts": "/gadgets/{name}/parts",
			"/gadgets/zorblax":       "/gadgets/{name}",
		}
		checkEveryOrderAtVolume(t, gadgets, 24, want)
		checkShuffledAtVolume(t, repeat(24, gadgets...), want)
	})
	t.Run("few calls", func(t *testing.T) {
		checkEveryOrderAtVolume(t, gadgets, 3, map[string]string{
			"/gadgets/tally":         "/gadgets/{name}",
			"/gadgets/zorblax/parts": "/gadgets/{name}/parts",
		})
	})
	// The values are mostly read alone: a value read alone 24 times is
	// what they all do.
	alone := []string{
		"/gadgets/zorblax", "/gadgets/quintor", "/gadgets/flimbo", "/gadgets/quintor/parts",
		"/gadgets/tally",
	}
	t.Run("values mostly read alone", func(t *testing.T) {
		calls := repeat(24, alone...)
		calls = append(calls, repeat(24, "/gadgets/zorblax", "/gadgets/flimbo", "/gadgets/quintor")...)
		checkShuffledAtVolume(t, calls, map[string]string{
			"/gadgets/tally":         "/gadgets/{name}",
			"/gadgets/quintor/parts": "/gadgets/{name}/parts",
		})
	})
	// A value named like the others (one family of names) stays one.
	t.Run("named alike", func(t *testing.T) {
		squad := []string{
			"/gadgets/red-zorblax/parts", "/gadgets/blue-zorblax/parts", "/gadgets/blue-zorblax",
			"/gadgets/green-zorblax",
		}
		checkEveryOrderAtVolume(t, squad, 24, map[string]string{
			"/gadgets/green-zorblax":     "/gadgets/{name}",
			"/gadgets/red-zorblax/parts": "/gadgets/{name}/parts",
		})
	})
}

// TestCaseOutlier: one lower-case word among values written as codes
// without lower case (/tides/nearby/hourly beside /tides/NO-OSL/hourly),
// called over and over, is a name of the API, whichever arrived first;
// with only two codes, called a few times, or among lower-case values it
// stays a value.
func TestCaseOutlier(t *testing.T) {
	tides := []string{
		"/tides/nearby/hourly", "/tides/NO-OSL/hourly", "/tides/SE-GOT/hourly", "/tides/DK-AAR/hourly",
		"/tides/NO-OSL/monthly",
	}
	want := map[string]string{
		"/tides/nearby/hourly":  "/tides/nearby/hourly",
		"/tides/NO-OSL/hourly":  "/tides/{name}/hourly",
		"/tides/DK-AAR/hourly":  "/tides/{name}/hourly",
		"/tides/NO-OSL/monthly": "/tides/{name}/monthly",
	}
	t.Run("lower-case word among codes", func(t *testing.T) {
		checkEveryOrderAtVolume(t, tides, 16, want)
		checkShuffledAtVolume(t, repeat(16, tides...), want)
	})
	t.Run("few calls", func(t *testing.T) {
		checkEveryOrderAtVolume(t, tides, 1, map[string]string{
			"/tides/nearby/hourly": "/tides/{name}/hourly",
			"/tides/NO-OSL/hourly": "/tides/{name}/hourly",
		})
	})
	t.Run("among lower-case values", func(t *testing.T) {
		lower := []string{
			"/tides/nearby/hourly", "/tides/oslo/hourly", "/tides/gothenburg/hourly", "/tides/aarhus/hourly",
		}
		checkShuffledAtVolume(t, repeat(16, lower...), map[string]string{
			"/tides/nearby/hourly": "/tides/{name}/hourly",
			"/tides/oslo/hourly":   "/tides/{name}/hourly",
		})
	})
}
