package discovery

import (
	"strconv"
	"testing"
)

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
		checkAtVolume(t, gadgets, 24, want)
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
	// Beside typed ids, some of them read with a sub-path, and slugs:
	// the word read alone over and over is an operation (/bouts/ongoing).
	t.Run("beside typed ids", func(t *testing.T) {
		var calls []string
		for i := range 32 {
			id := strconv.Itoa(7100 + i*13)
			calls = append(calls, "/bouts/"+id, "/bouts/"+id+"/fighters", "/bouts/tom-vs-kai-"+id, "/bouts/ongoing")
		}
		checkShuffledAtVolume(t, calls, map[string]string{
			"/bouts/ongoing":         "/bouts/ongoing",
			"/bouts/7100":            "/bouts/{id}",
			"/bouts/7113/fighters":   "/bouts/{id}/fighters",
			"/bouts/tom-vs-kai-7126": "/bouts/{id}",
		})
		checkShuffledAtVolume(t, calls[:4*12], map[string]string{
			"/bouts/ongoing": "/bouts/{id}",
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
		checkAtVolume(t, tides, 16, want)
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

// TestConstantRelease: a release number that never changes over many
// calls, with sub-resources below it, is the version of the API below it
// (/almanac/2.4.0/tides/{id}), whichever sub-path came first; one that
// changes, one seen a few times, one at the end of the path, or one after
// a tag or release noun stays a value.
func TestConstantRelease(t *testing.T) {
	almanac := []string{
		"/almanac/2.4.0/tides/5512", "/almanac/2.4.0/tides/881", "/almanac/2.4.0/moons", "/almanac/2.4.0/tides/4121/heights",
	}
	want := map[string]string{
		"/almanac/2.4.0/tides/5512":         "/almanac/2.4.0/tides/{id}",
		"/almanac/2.4.0/moons":              "/almanac/2.4.0/moons",
		"/almanac/2.4.0/tides/4121/heights": "/almanac/2.4.0/tides/{id}/heights",
	}
	t.Run("constant", func(t *testing.T) {
		checkEveryOrderAtVolume(t, almanac, 8, want)
	})
	t.Run("few calls", func(t *testing.T) {
		checkEveryOrderAtVolume(t, almanac, 2, map[string]string{
			"/almanac/2.4.0/moons": "/almanac/{id}/moons",
		})
	})
	t.Run("changing", func(t *testing.T) {
		calls := repeat(8, almanac...)
		calls = append(calls, "/almanac/2.5.1/moons")
		checkShuffledAtVolume(t, calls, map[string]string{
			"/almanac/2.4.0/moons": "/almanac/{id}/moons",
			"/almanac/2.5.1/moons": "/almanac/{id}/moons",
		})
	})
	t.Run("at the end of the path", func(t *testing.T) {
		checkShuffledAtVolume(t, repeat(20, "/almanac/2.4.0", "/almanac/2.4.0/moons"), map[string]string{
			"/almanac/2.4.0/moons": "/almanac/{id}/moons",
		})
	})
	t.Run("after a release noun", func(t *testing.T) {
		checkShuffledAtVolume(t, repeat(20, "/releases/2.4.0/notes", "/releases/2.4.0/assets"), map[string]string{
			"/releases/2.4.0/notes": "/releases/{id}/notes",
		})
	})
}

// TestOwnBelow: a word whose calls all go on to a sub-path of its own,
// beside typed ids read alone or with sub-paths of theirs, is an
// operation with its own sub-resources (/stamps/quad_sheet/{id} beside
// /stamps/{id} and /stamps/{id}/history), whichever came first; seen a few
// times, or taking a sub-path the ids take too, it stays a value.
func TestOwnBelow(t *testing.T) {
	calls := func(reps int, word string) []string {
		var out []string
		for i := range reps {
			id := strconv.Itoa(5300 + i*7)
			out = append(out, "/stamps/"+id, "/stamps/"+word+"/"+id, "/stamps/"+id+"/history")
		}
		return out
	}
	t.Run("own sub-path", func(t *testing.T) {
		checkShuffledAtVolume(t, calls(20, "quad_sheet"), map[string]string{
			"/stamps/quad_sheet/5300": "/stamps/quad_sheet/{id}",
			"/stamps/5307":            "/stamps/{id}",
			"/stamps/5314/history":    "/stamps/{id}/history",
		})
	})
	t.Run("few calls", func(t *testing.T) {
		checkShuffledAtVolume(t, calls(3, "quad_sheet"), map[string]string{
			"/stamps/quad_sheet/5300": "/stamps/{id}/{id2}",
		})
	})
	t.Run("a sub-path the ids take", func(t *testing.T) {
		var out []string
		for i := range 20 {
			id := strconv.Itoa(5300 + i*7)
			out = append(out, "/stamps/"+id, "/stamps/quad_sheet/history", "/stamps/"+id+"/history")
		}
		checkShuffledAtVolume(t, out, map[string]string{
			"/stamps/quad_sheet/history": "/stamps/{id}/history",
		})
	})
}
