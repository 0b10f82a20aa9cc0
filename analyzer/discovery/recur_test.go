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
