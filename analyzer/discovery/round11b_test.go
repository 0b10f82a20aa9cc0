package discovery

import "testing"

// Session 11, branch s11-b: a leave-half-out round (docs/templating.md,
// "Rules of session 11 (s11-b)").

// TestContainerNames: after a noun that names a data API's containers
// (collections, indexes, schemas, tables), a word is a container's name,
// even a singular resource word, from its first call; verbs and
// qualifiers (views of the containers) and plural resource words
// (sub-resources) stay literal.
func TestContainerNames(t *testing.T) {
	t.Run("names", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/db/collections/customer", "/db/collections/invoice/config", "/search/indexes/product/settings",
		}, map[string]string{
			"/db/collections/customer":         "/db/collections/{name}",
			"/db/collections/invoice/config":   "/db/collections/{name}/config",
			"/search/indexes/product/settings": "/search/indexes/{name}/settings",
		})
	})
	t.Run("literals", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/db/collections/featured", "/db/collections/stats", "/search/indexes/export",
		}, map[string]string{
			"/db/collections/featured": "/db/collections/featured",
			"/db/collections/stats":    "/db/collections/stats",
			"/search/indexes/export":   "/search/indexes/export",
		})
	})
}
