package discovery

import "testing"

// Session 11, branch s11-a2 (2026-11-24): a second leave-half-out rules
// round (docs/templating.md, "Rules of session 11 (s11-a2)").

// TestKeyedLeaf: beside a word that leads straight to minted ids
// (/stations/ref/X12 — a key the collection is read by), single words that
// end the path after a plural are operations of the collection
// (/stations/nearby, /stations/within), not instances, whichever came
// first; without such a key they stay instances (/boards/quillmark).
func TestKeyedLeaf(t *testing.T) {
	t.Run("operations beside a key", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v1/stations/ref/X1208", "/v1/stations/ref/K44107", "/v1/stations/nearby", "/v1/stations/within",
		}, map[string]string{
			"/v1/stations/ref/X1208": "/v1/stations/ref/{id}",
			"/v1/stations/nearby":    "/v1/stations/nearby",
			"/v1/stations/within":    "/v1/stations/within",
		})
	})
	t.Run("instances without a key", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v1/boards/quillmark", "/v1/boards/tidewell", "/v1/boards/quillmark/pins/88",
		}, map[string]string{
			"/v1/boards/tidewell":  "/v1/boards/{name}",
			"/v1/boards/quillmark": "/v1/boards/{name}",
		})
	})
}
