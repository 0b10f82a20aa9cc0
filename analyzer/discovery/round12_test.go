package discovery

import (
	"fmt"
	"testing"
)

// Rules of session 12: a remote procedure's namespaced name is a name
// (heldout.go, camelName), the words after an API's version are its
// resources even when typed ids follow each (tree.go, promote's
// aligned), and a short number after "version" or "release" with no
// instance above is the API's edition (bareversion.go, editionWord).

// TestRPCMethodNames: namespaced lowerCamel procedure names
// (com.example.feed.getTimeline) under one prefix are the API's
// operations however many there are and however often each is called;
// a dotted value that is no procedure name (a host, a PascalCase key)
// is still a value.
func TestRPCMethodNames(t *testing.T) {
	var paths []string
	want := map[string]string{}
	for i := range 24 {
		for _, m := range []string{"org.acme.feed.getTimeline", "org.acme.feed.getPosts", "org.acme.graph.getFollowers",
			"org.acme.graph.muteActor", "net.relay.repo.createRecord", "net.relay.repo.deleteRecord",
			"net.relay.server.createSession", "net.relay.server.refreshSession", "org.acme.actor.searchActors",
			"org.acme.notification.listNotifications", "net.relay.identity.resolveHandle", "chat.postMessage"} {
			p := "/rpc/" + m
			if i%3 == 0 {
				p += fmt.Sprintf("/%d", 1000+i)
			}
			paths = append(paths, p)
			want[p] = p
			if i%3 == 0 {
				want[p] = "/rpc/" + m + "/{id}"
			}
		}
	}
	hosts := []string{"shop.example.com", "mail.example.org", "cdn.example.net", "api.example.io", "www.example.dev", "docs.example.co"}
	for _, h := range hosts {
		p := "/domains/" + h + "/records"
		paths = append(paths, p)
		want[p] = "/domains/{name}/records"
	}
	checkTemplates(t, paths, want)
	for _, w := range []string{"org.acme.feed.getTimeline", "chat.postMessage", "application.changeStage"} {
		if !camelName(w) {
			t.Errorf("camelName(%q) = false, want true", w)
		}
	}
	for _, w := range []string{"BSH.Common.Option.StartInRelative", "example.com", "app.bsky.feed", "Org.acme.getX", "org.acme.GetX", "org..getX", "org.2acme.getX", "getTimeline."} {
		if camelName(w) {
			t.Errorf("camelName(%q) = true, want false", w)
		}
	}
}

// TestResourcesAfterVersion: words right after an API's version that
// each lead to their own kind of id (/api/v3/breachedaccount/{email},
// /api/v3/breach/{name}) are the API's resources; words deeper in the
// path that lead to values of one kind (/send/{event type}/{txn}) are
// still read as values of one position.
func TestResourcesAfterVersion(t *testing.T) {
	paths := []string{
		"/api/v3/leakedaccount/ann%40example.com", "/api/v3/leakedaccount/bo%40example.org",
		"/api/v3/leak/Tumblr", "/api/v3/leak/Dropbox", "/api/v3/pastebyaccount/cy%40example.net",
		"/api/v3/leakeddomain/example.com", "/api/v3/leakeddomain/example.org", "/api/v3/leaks",
		"/api/v3/logsbydomain/example.net", "/api/v3/classes",
	}
	checkTemplates(t, paths, map[string]string{
		"/api/v3/leakedaccount/ann%40example.com": "/api/v3/leakedaccount/{id}",
		"/api/v3/pastebyaccount/cy%40example.net": "/api/v3/pastebyaccount/{id}",
		"/api/v3/leaks": "/api/v3/leaks",
	})
	checkTemplates(t, []string{
		"/chat/v3/rooms/7/send/m.room.message/1700000000123", "/chat/v3/rooms/7/send/m.reaction/1700000000789",
		"/chat/v3/rooms/9/send/m.room.message/1700000000456",
	}, map[string]string{
		"/chat/v3/rooms/7/send/m.reaction/1700000000789": "/chat/v3/rooms/{id}/send/{name}/{id2}",
	})
}

// TestEditionNumber: a one- or two-digit number after "version" or
// "release" with nothing but literals above it is the API's edition and
// stays literal however many calls pass below it; under an instance
// (/service/{id}/version/3) the number is that instance's version.
func TestEditionNumber(t *testing.T) {
	var paths []string
	want := map[string]string{}
	for i := range 40 {
		p := fmt.Sprintf("/api/category/fc1/version/2/geotype/point/lon/%d.%04d/lat/%d.%04d/data.json", 11+i%9, 1000+37*i, 55+i%7, 2000+53*i)
		paths = append(paths, p)
		want[p] = "/api/category/fc1/version/2/geotype/point/lon/{id}/lat/{id2}/data.json"
	}
	for _, r := range []string{"10", "11"} {
		for _, c := range []string{"2024-01", "2023-01"} {
			p := "/codes/release/" + r + "/" + c + "/search"
			paths = append(paths, p)
			want[p] = "/codes/release/" + r + "/{date}/search"
		}
	}
	for _, s := range []string{"SU1Z0isxPaozGVKXdv0eY", "7i6HN3TK9wS159v2gPAZ8A"} {
		for _, v := range []string{"3", "12"} {
			p := "/service/" + s + "/version/" + v + "/backend"
			paths = append(paths, p)
			want[p] = "/service/{id}/version/{id2}/backend"
		}
	}
	checkTemplates(t, paths, want)
}

// TestRandomLetters: an id a system minted from letters with at most one
// digit (kctbh9vrtdwd, x8abfvz, aE8mKqT) is a value on sight, so a docs
// page's one URL of it is templated; names with a digit or with capitals
// (mp3tag, ipv6addr, getHTML5Player, AphiaIDByName, ProfitAndLoss,
// iPhone) are words as before.
func TestRandomLetters(t *testing.T) {
	for _, s := range []string{"kctbh9vrtdwd", "x8abfvz", "aE8mKqT", "fQzp4PkNsRv", "w1dyckjyqv"} {
		if k := Classify(s); k != Token {
			t.Errorf("Classify(%q) = %v, want token", s, k)
		}
	}
	for _, s := range []string{"mp3tag", "ipv6addr", "nginx1", "wdt9", "AphiaIDByName", "ProfitAndLoss", "IsTodayPublicHoliday",
		"iPhone", "macOS", "YouTube", "PowerShell", "McDonalds", "caloriesBMR", "tBTCUSD", "grp2", "web3auth", "oauth2callback"} {
		if k := Classify(s); k == Token {
			t.Errorf("Classify(%q) = token, want a word", s)
		}
	}
	checkTemplates(t, []string{"/v1/pages/kctbh9vrtdwd/incidents", "/v1/pages/kctbh9vrtdwd/incidents/unresolved"}, map[string]string{
		"/v1/pages/kctbh9vrtdwd/incidents":            "/v1/pages/{id}/incidents",
		"/v1/pages/kctbh9vrtdwd/incidents/unresolved": "/v1/pages/{id}/incidents/unresolved",
	})
}

// TestLocaleAfterPrefix: a language code right after the API's prefix
// (/api/en/collection) scopes what follows, as one after a version does
// (/v2/es/country): a value even when only one language is seen. A code
// ending the path, and words that are no bare language code (ar, id),
// stay literal.
func TestLocaleAfterPrefix(t *testing.T) {
	checkEveryOrder(t, []string{
		"/api/en/artworks/SK-C-5", "/api/nl/artworks", "/api/en/agenda/2026-11-28", "/api/ar/invoices", "/api/de",
	}, map[string]string{
		"/api/en/artworks/SK-C-5":   "/api/{name}/artworks/{name2}",
		"/api/nl/artworks":          "/api/{name}/artworks",
		"/api/en/agenda/2026-11-28": "/api/{name}/agenda/{date}",
		"/api/ar/invoices":          "/api/ar/invoices",
		"/api/de":                   "/api/de",
	})
}

// TestOneLetterCodes: a single capital letter is a code (a voucher
// series, a frequency, a chain), a value on sight: no corpus of the
// project's 1,100 APIs names a resource with one; a lower-case letter
// stays a word (/r/golang, /u/alice).
func TestOneLetterCodes(t *testing.T) {
	checkEveryOrder(t, []string{
		"/3/vouchers/A/152", "/3/vouchers/D/211", "/data/v1/get/C/M/HS", "/r/golang/hot",
	}, map[string]string{
		"/3/vouchers/A/152":   "/3/vouchers/{id}/{id2}",
		"/data/v1/get/C/M/HS": "/data/v1/get/{id}/{id2}/{name}",
		"/r/golang/hot":       "/r/golang/hot",
	})
}

// TestTitledResources: after a parameter, in an API that writes its
// prefix in lower case, a capitalised word is a value (an Airtable table:
// /v0/{base}/Tasks/{record}) unless it leads to another capitalised word:
// /books/{file}/Contact/Customer and /books/{file}/Sale/Invoice/Item are
// the API's own resources, one below the other.
func TestTitledResources(t *testing.T) {
	files := []string{"f3c95789-ace1-4954-ac5d-6baed2eac902", "cbf27734-ac10-4525-8b66-402800e03d2c"}
	var paths []string
	want := map[string]string{}
	for _, f := range files {
		for _, r := range []string{"Contact/Customer", "Contact/Supplier", "Sale/Invoice/Item", "Sale/Order/Service", "GeneralLedger/TaxCode",
			"Inventory/Item", "Banking/SpendMoneyTxn", "Company/Preferences"} {
			p := "/books/" + f + "/" + r
			paths = append(paths, p)
			want[p] = "/books/{id}/" + r
		}
	}
	checkTemplates(t, paths, want)
	checkTemplates(t, []string{"/v0/appX1b2C3d4E5f6G7h/Tasks/recA1b2C3d4E5f6G7", "/v0/appX1b2C3d4E5f6G7h/Projects/recZ9y8X7w6V5u4T3"}, map[string]string{
		"/v0/appX1b2C3d4E5f6G7h/Tasks/recA1b2C3d4E5f6G7": "/v0/{id}/{name}/{id2}",
	})
}

// TestCodeContainerNames: functions, workflows, pipelines, buckets and
// queues hold things their users name, often with a verb (send-email,
// build-and-test): after one, a word is such a name, as after collections
// or tables. (Topics and repositories were tried too and left out: an
// English topic, /topics/people, and Docker Hub's library namespace stay
// literal by rules they would undo.)
func TestCodeContainerNames(t *testing.T) {
	checkEveryOrder(t, []string{
		"/v1/projects/oqoqxsvgtllragujykqv/functions/send-email", "/v1/projects/oqoqxsvgtllragujykqv/functions",
		"/api/v2/pipelines/build-and-test/runs", "/api/v2/pipelines",
	}, map[string]string{
		"/v1/projects/oqoqxsvgtllragujykqv/functions/send-email": "/v1/projects/{name}/functions/{name2}",
		"/api/v2/pipelines/build-and-test/runs":                  "/api/v2/pipelines/{name}/runs",
		"/api/v2/pipelines":                                      "/api/v2/pipelines",
	})
}

// TestDecimalAfterValue: a decimal right after a parameter (a panel's
// kilowatts after its coordinates and angles) is a value; an API's version
// follows the root or a prefix (/api/2.0/users) and stays literal.
func TestDecimalAfterValue(t *testing.T) {
	checkEveryOrder(t, []string{
		"/estimate/52/12/37/0/5.67", "/estimate/48/11/30/10/9.8", "/api/2.0/users",
	}, map[string]string{
		"/estimate/52/12/37/0/5.67": "/estimate/{id}/{id2}/{id3}/{id4}/{id5}",
		"/api/2.0/users":            "/api/2.0/users",
	})
}

// TestPrefixUnderAPI: a short prefix word under /api/ (/api/xm/1/people)
// is followed by the API's version, as one right under the root is
// (/ws/2/artist); deeper, or after a parameter, a number is an id.
func TestPrefixUnderAPI(t *testing.T) {
	checkEveryOrder(t, []string{
		"/api/xm/1/people", "/api/xm/1/people/a4d69579-f436-4e85-9d93-703714d85d72", "/api/xm/1/groups/ops-oncall", "/v2/orgs/acme/xm/7/runs",
	}, map[string]string{
		"/api/xm/1/people": "/api/xm/1/people",
		"/api/xm/1/people/a4d69579-f436-4e85-9d93-703714d85d72": "/api/xm/1/people/{id}",
		"/v2/orgs/acme/xm/7/runs":                               "/v2/orgs/{name}/xm/{id}/runs",
	})
}

// TestFormatNotShared: collections that each answer in the same data
// format (/containers/json, /images/json: Docker's list endpoints) share
// no sub-resource, so they stay literal in every arrival order; before,
// in the orders where the container ids came last, the format made
// containers, images and volumes one parameter.
func TestFormatNotShared(t *testing.T) {
	checkEveryOrder(t, []string{
		"/api/endpoints/7/docker/volumes", "/api/endpoints/7/docker/images/json", "/api/endpoints/7/docker/containers/json",
		"/api/endpoints/7/docker/containers/adcb4d1ce46aa9bb0021b6b4ae7d5328058927a6100bd14aec97ba15617fdf9e/json",
	}, map[string]string{
		"/api/endpoints/7/docker/images/json":     "/api/endpoints/{id}/docker/images/json",
		"/api/endpoints/7/docker/containers/json": "/api/endpoints/{id}/docker/containers/json",
		"/api/endpoints/7/docker/volumes":         "/api/endpoints/{id}/docker/volumes",
	})
}
