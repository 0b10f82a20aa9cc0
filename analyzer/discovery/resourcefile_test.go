package discovery

import "testing"

// TestResourceFile: a file name below a word that is no collection is a
// resource in a format, not a value, when a literal beside it shows the
// API writes a format suffix there: its stem (/data/specimen.json beside
// /data/specimen/{id}.json), or a collection whose instances are files
// (/data/summary.json beside /data/enzyme/EZ7.json), or another such
// file (session 6, round 4: ChEMBL's /chembl/api/data/activity.json).
// Made-up paths, every arrival order, once and at volume.
func TestResourceFile(t *testing.T) {
	t.Run("files beside collections of files", func(t *testing.T) {
		paths := []string{
			"/lab/api/data/specimen/SP100.json", "/lab/api/data/specimen/SP200.json",
			"/lab/api/data/enzyme/EZ7.json", "/lab/api/data/enzyme/EZ8.json", "/lab/api/data/summary.json",
		}
		want := map[string]string{
			"/lab/api/data/specimen/SP100.json": "/lab/api/data/specimen/{id}",
			"/lab/api/data/summary.json":        "/lab/api/data/summary.json",
		}
		checkEveryOrderAtVolume(t, paths, 1, want)
		checkEveryOrderAtVolume(t, paths, 10, want)
	})
	t.Run("the stem beside it", func(t *testing.T) {
		paths := []string{
			"/lab/api/data/specimen/SP100.json", "/lab/api/data/specimen/SP200.json",
			"/lab/api/data/specimen.json", "/lab/api/data/specimen/SP300.json",
		}
		want := map[string]string{
			"/lab/api/data/specimen/SP100.json": "/lab/api/data/specimen/{id}",
			"/lab/api/data/specimen.json":       "/lab/api/data/specimen.json",
		}
		checkEveryOrderAtVolume(t, paths, 1, want)
		checkEveryOrderAtVolume(t, paths, 10, want)
	})
	// Negatives: no literal beside the files shows a format suffix, so
	// the files stay values as before; files below a collection are its
	// instances; the sub-resources of an instance stay literal below
	// the instance parameter.
	t.Run("no evidence", func(t *testing.T) {
		checkEveryOrderAtVolume(t, []string{
			"/lab/api/data/pathway.json", "/lab/api/data/kinase.json", "/lab/api/data/ligand.json",
		}, 3, map[string]string{
			"/lab/api/data/pathway.json": "/lab/api/data/{name}",
			"/lab/api/data/kinase.json":  "/lab/api/data/{name}",
		})
	})
	t.Run("instances of a collection", func(t *testing.T) {
		checkEveryOrderAtVolume(t, []string{
			"/users/alice.json", "/users/bob.json", "/users/carol/repos/RP100.json", "/users/alice/repos/RP200.json",
		}, 3, map[string]string{
			"/users/alice.json":             "/users/{name}",
			"/users/bob.json":               "/users/{name}",
			"/users/carol/repos/RP100.json": "/users/{name}/repos/{id}",
		})
	})
	t.Run("sub-resources of an instance", func(t *testing.T) {
		checkEveryOrderAtVolume(t, []string{
			"/accounts/acme/report.json", "/accounts/globex/report.json", "/accounts/acme/ledger/LG100.json", "/accounts/initech/ledger/LG200.json",
		}, 3, map[string]string{
			"/accounts/acme/report.json":       "/accounts/{name}/report.json",
			"/accounts/globex/report.json":     "/accounts/{name}/report.json",
			"/accounts/acme/ledger/LG100.json": "/accounts/{name}/ledger/{id}",
		})
	})
}
