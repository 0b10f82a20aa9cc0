package discovery

import "testing"

// Rules of session 11 (s11-b3): an English word between a collection and
// a sub-resource (slotwords.go).

// TestEnglishBeforeSubResource: after a collection, one English word that
// leads to a sub-resource is a fixed part of the API (/plugins/telemetry)
// whichever came first, the word alone or the word with its sub-resource;
// English words that share a sub-resource, or stand beside a coined name,
// are instances.
func TestEnglishBeforeSubResource(t *testing.T) {
	checkEveryOrder(t, []string{
		"/api/plugins/telemetry/values", "/api/plugins/telemetry",
		"/api/vhosts/production/queues", "/api/vhosts/staging/queues", "/api/vhosts/tenant-b",
	}, map[string]string{
		"/api/plugins/telemetry/values": "/api/plugins/telemetry/values",
		"/api/plugins/telemetry":        "/api/plugins/telemetry",
		"/api/vhosts/production/queues": "/api/vhosts/{name}/queues",
		"/api/vhosts/tenant-b":          "/api/vhosts/{name}",
	})
}

// TestEnglishGroup: English words sharing a sub-resource join the
// collection slot's parameter, not the statistical rule's, in every
// order, so a resource word beside them (people) stays what it is on
// sight; one English word before a sub-resource alone stays literal.
func TestEnglishGroup(t *testing.T) {
	checkEveryOrder(t, []string{
		"/api/topics/nature/photos", "/api/topics/wallpapers/photos", "/api/topics/people",
		"/api/topics/street-art", "/api/boards/sunrise/pins",
	}, map[string]string{
		"/api/topics/nature/photos": "/api/topics/{name}/photos",
		"/api/topics/people":        "/api/topics/people",
		"/api/topics/street-art":    "/api/topics/{name}",
		"/api/boards/sunrise/pins":  "/api/boards/sunrise/pins",
	})
}

// TestEnglishNamedOwner: an English word before a sub-resource beside a
// coined name in the same collection is one more instance, whichever came
// first; alone in its collection it is not.
func TestEnglishNamedOwner(t *testing.T) {
	checkEveryOrder(t, []string{
		"/api/owners/quillmaker/pins", "/api/owners/harbor/boards", "/api/owners/harbor",
		"/api/plugins/telemetry/values",
	}, map[string]string{
		"/api/owners/quillmaker/pins":   "/api/owners/{name}/pins",
		"/api/owners/harbor/boards":     "/api/owners/{name}/boards",
		"/api/plugins/telemetry/values": "/api/plugins/telemetry/values",
	})
}
