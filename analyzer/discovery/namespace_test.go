package discovery

import "testing"

// TestReleaseVersionNamespace: a release number that the walk reads as the
// API's version (/shipapi/v3.2.1, after a prefix naming an API) is a
// namespace for the sibling rules as a v3 is: the resource names after it
// stay literal though they share a sub-resource; after another word the
// release is a value and the words below it stay names of its own.
func TestReleaseVersionNamespace(t *testing.T) {
	checkEveryOrder(t, []string{
		"/shipapi/v3.2.1/parcel/detail", "/shipapi/v3.2.1/label/detail", "/shipapi/v3.2.1/manifest/detail",
		"/shipapi/v3.2.1/courier/detail", "/tracker/v3.2.1/parcel/detail", "/tracker/v3.2.1/label/detail",
	}, map[string]string{
		"/shipapi/v3.2.1/parcel/detail":  "/shipapi/v3.2.1/parcel/detail",
		"/shipapi/v3.2.1/courier/detail": "/shipapi/v3.2.1/courier/detail",
		"/tracker/v3.2.1/parcel/detail":  "/tracker/{id}/parcel/detail",
	})
}
