package discovery

import "testing"

// Rules of session 11 (s11-b4): an English word that ends the path in a
// collection of an instance (slotwords.go, nestedLeaf).

// TestNestedEnglishLeaf: in a collection that belongs to an instance
// (/crews/{id}/shifts), one English word that ends the path is a view, a
// state or an operation of that collection (overnight), not a member,
// whichever came first, also when the instance above was a word that
// became a parameter later (/projects/ops, /projects/deploy); two English
// words ending there are members, and after a top-level collection an
// English word is read as before (an instance).
func TestNestedEnglishLeaf(t *testing.T) {
	checkEveryOrder(t, []string{
		"/api/crews/4121/shifts/overnight", "/api/crews/883/shifts", "/api/crews/883",
		"/api/harbors/lantern", "/api/crews/77/boats/heron", "/api/crews/4121/boats/falcon",
	}, map[string]string{
		"/api/crews/4121/shifts/overnight": "/api/crews/{id}/shifts/overnight",
		"/api/harbors/lantern":             "/api/harbors/{name}",
		"/api/crews/77/boats/heron":        "/api/crews/{id}/boats/{name}",
		"/api/crews/4121/boats/falcon":     "/api/crews/{id}/boats/{name}",
	})
	checkEveryOrder(t, []string{
		"/api/9/project/ops/executions/running", "/api/9/project/deploy/executions/running",
		"/api/9/project/ops/jobs", "/api/9/project/deploy/jobs", "/api/9/project/billing-sync/jobs",
	}, map[string]string{
		"/api/9/project/ops/executions/running":    "/api/9/project/{name}/executions/running",
		"/api/9/project/deploy/executions/running": "/api/9/project/{name}/executions/running",
	})
}
