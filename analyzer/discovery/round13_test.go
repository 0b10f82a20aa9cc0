package discovery

import (
	"fmt"
	"strings"
	"testing"
)

// Rules of session 13, each written from the misses of the dev half of
// the OpenAPI directory (directory_test.go) and measured on its held half.

// TestManyResourcesAfterVersion: a large API names a hundred resources
// right after its version, in English words (/v1/InvoiceItems,
// /v1/purchase-orders), and a client that reaches them all in its first
// calls makes them look new at every turn. They stay the API's
// resources. Forty coined names there (tenants, accounts) leading to the
// same sub-paths are still values.
func TestManyResourcesAfterVersion(t *testing.T) {
	nouns := []string{"account", "contact", "invoice", "payment", "project", "ticket", "contract", "expense",
		"product", "service", "quote", "opportunity", "holiday", "country", "currency", "department", "document",
		"attachment", "note", "task", "appointment", "subscription", "vendor", "warehouse", "shipment", "survey",
		"skill", "role", "resource", "location", "article", "category", "comment", "notification", "schedule", "budget",
		"campaign", "license", "module", "policy"}
	var paths []string
	want := map[string]string{}
	for i, n := range nouns {
		col := "/api/v2/" + n + "s"
		if i%3 == 0 {
			col = "/api/v2/" + n + "_types"
		}
		id := fmt.Sprintf("%s/%d", col, 5000+37*i)
		paths = append(paths, col, id, col+"/bulk_delete")
		want[col], want[id], want[col+"/bulk_delete"] = col, col+"/{id}", col+"/bulk_delete"
	}
	checkTemplates(t, paths, want)

	paths = nil
	want = map[string]string{}
	for i := range 40 {
		tenant := fmt.Sprintf("%c%cx%cq", 'a'+i%26, 'k'+i/26, 'b'+i%7)
		for _, p := range []string{"/api/v1/%s/members", "/api/v1/%s/settings"} {
			x := fmt.Sprintf(p, tenant)
			paths = append(paths, x)
			want[x] = fmt.Sprintf(p, "{name}")
		}
	}
	checkTemplates(t, paths, want)
}

// TestNoJoinAfterVersion: a parameter right after a version (a
// workspace's UUID) makes no value of the English-named resources beside
// it (/api/v2/vouchers, /api/v2/jurisdictions); a coined word there
// (/api/v2/qzvbrk/members) still joins it.
func TestNoJoinAfterVersion(t *testing.T) {
	paths, want := resourcesBesideID("/api/v2")
	paths = append(paths, "/api/v2/qzvbrk/members")
	want["/api/v2/qzvbrk/members"] = "/api/v2/{id}/members"
	checkTemplates(t, paths, want)
}

// resourcesBesideID returns paths and their templates of six workspace
// UUIDs and six English-named resources (with a search each) right after
// prefix.
func resourcesBesideID(prefix string) ([]string, map[string]string) {
	var paths []string
	want := map[string]string{}
	for i := range 6 {
		p := fmt.Sprintf("%s/%08x-1c2d-4e5f-8a9b-%012x/members", prefix, 0x3f2a0000+i*977, 0x1000+i*31)
		paths = append(paths, p)
		want[p] = prefix + "/{id}/members"
	}
	for _, w := range []string{"vouchers", "jurisdictions", "greetings", "wishlists", "announcementBanner", "timesheetApprovals"} {
		p := prefix + "/" + w
		paths = append(paths, p, p+"/search")
		want[p], want[p+"/search"] = p, p+"/search"
	}
	return paths, want
}

// TestCustomMethods: Google-style custom methods (AIP-136: a collection or
// the service, a colon, a verb) are the API's operations, beside a
// parameter or after a version; a value with a method (1234:cancel) is
// still a value.
func TestCustomMethods(t *testing.T) {
	var c cases
	for i := range 8 {
		c.add(fmt.Sprintf("/v1/%08x%04x", 0x5a3b0000+i*7919, 0xa000+i*13), "/v1/{id}")
		c.add(fmt.Sprintf("/v1/jobs/%d:cancel", 4100+i*17), "/v1/jobs/{id}")
	}
	for _, m := range []string{"/v1/devices:requestSync", "/v1/devices:query", "/v1/hashes:search", "/v1beta:estimateCostScenario", "/v1/jobs:batchGet"} {
		c.add(m, m)
	}
	c.check(t)
	for _, w := range []string{"devices:requestSync", ":batchGet", "v1beta:estimateCostScenario", "customers:listAccessibleCustomers"} {
		if !customMethod(w) || Classify(w) != Word {
			t.Errorf("%s: customMethod %v, Classify %v; want a custom method, a word", w, customMethod(w), Classify(w))
		}
	}
	for _, w := range []string{"1234:cancel", "t_2m:C", "abc:Def", "xq7z:run", "devices:", "a:b:c"} {
		if customMethod(w) {
			t.Errorf("customMethod(%q) = true, want false", w)
		}
	}
}

// TestVersionAliases: an API served under /beta/ or /latest/ names its
// resources there as it does after /v1/: a workspace id beside them makes
// no value of them. Deeper, "latest" is what it was (a tag after /tags/).
func TestVersionAliases(t *testing.T) {
	for _, alias := range []string{"/beta", "/latest"} {
		paths, want := resourcesBesideID(alias)
		checkTemplates(t, paths, want)
	}
	root := &node{lits: map[string]*node{}}
	tags := &node{parent: root, key: "tags", lits: map[string]*node{}}
	for _, c := range []struct {
		n    *node
		want bool
	}{
		{&node{parent: root, key: "latest"}, true},
		{&node{parent: &node{parent: root, key: "api"}, key: "beta"}, true},
		{&node{parent: tags, key: "latest"}, false},
	} {
		if got := versionLit(c.n); got != c.want {
			t.Errorf("versionLit(%s under %s) = %v, want %v", c.n.key, c.n.parent.key, got, c.want)
		}
	}
}

// TestTopLevelSharedVerb: under an API's first segment, two resources
// leading to one operation (/ctl/access/set, /ctl/store/set) do not make
// a dozen resources one parameter; deeper, instances sharing an operation
// (/pile/discard/add, /pile/dealer/add) still do.
func TestTopLevelSharedVerb(t *testing.T) {
	var paths []string
	want := map[string]string{}
	for _, r := range []string{"agent/{n}/protocol", "timer/status", "load", "save", "clear", "mget", "saveas", "get"} {
		p := "/ctl/" + r
		for i := range 3 {
			x := strings.Replace(p, "{n}", fmt.Sprint(40+i), 1)
			paths = append(paths, x)
			want[x] = strings.Replace(p, "{n}", "{id}", 1)
		}
	}
	for _, p := range []string{"/ctl/access/set/acl", "/ctl/access/get", "/ctl/store/set", "/ctl/store/list"} {
		paths = append(paths, p)
		want[p] = p
	}
	for i := range 4 {
		for _, pile := range []string{"discard", "dealer"} {
			p := fmt.Sprintf("/deck/%d/pile/%s/add", 3100+i, pile)
			paths = append(paths, p)
			want[p] = "/deck/{id}/pile/{name}/add"
		}
	}
	checkTemplates(t, paths, want)
}

// TestSharedOperationsNoInstances: resources beside an id that each offer
// the same collection operations (/application/entity/count,
// /application/field/count, .../list) are collections, not instances:
// an operation is no sub-resource.
func TestSharedOperationsNoInstances(t *testing.T) {
	var c cases
	for i := range 5 {
		c.add(fmt.Sprintf("/v1/application/%08x%08x", 0x7a3b0000+i*7919, 0x1c2d0000+i*31), "/v1/application/{id}")
	}
	for _, r := range []string{"entity", "field", "request"} {
		for _, op := range []string{"count", "list"} {
			c.add("/v1/application/"+r+"/"+op, "/v1/application/"+r+"/"+op)
		}
		c.add("/v1/application/"+r+"/"+fmt.Sprint(9000+len(r)), "/v1/application/"+r+"/{id}")
	}
	c.check(t)
}

// TestSelfResources: after /me/ an API names the caller's resources
// (/me/calendarGroups, /me/joinedTeams, ...): many of them, each reached
// once, stay literal beside the ids of one of them.
func TestSelfResources(t *testing.T) {
	var paths []string
	want := map[string]string{}
	for _, r := range []string{"calendarGroups", "joinedTeams", "assignments", "contacts", "drives", "events", "followedSites",
		"insights", "mailFolders", "messages", "notebooks", "onlineMeetings", "people", "photos", "planner", "presence",
		"profile", "settings", "tasks", "teamwork", "activities", "agreements", "approvals", "authentication",
		"calendars", "chats", "devices", "extensions", "licenseDetails", "memberOf", "outlook"} {
		p := "/v1.0/me/" + r
		paths = append(paths, p)
		want[p] = p
	}
	for i := range 5 {
		p := fmt.Sprintf("/v1.0/me/%08x%08x/photo", 0x6a3b0000+i*7919, 0x2c2d0000+i*31)
		paths = append(paths, p)
		want[p] = "/v1.0/me/{id}/photo"
	}
	checkTemplates(t, paths, want)
	if !selfWord("me") || selfWord("men") {
		t.Errorf("selfWord: me %v, men %v", selfWord("me"), selfWord("men"))
	}
}

// TestSchemesAfterVersion: two resources of a big API named in English
// words, below its version, that share deep sub-paths
// (/rest/api/3/issuetypescheme/{id}/project/..., workflowscheme/...) are
// no tenants; coined words that do still are (TestDeepTenants).
func TestSchemesAfterVersion(t *testing.T) {
	var paths []string
	want := map[string]string{}
	for i := range 20 {
		for _, r := range []string{"issuetypescheme", "workflowscheme"} {
			for _, sub := range []string{"project/%d", "mapping/%d"} {
				p := fmt.Sprintf("/rest/api/3/%s/%d/"+sub, r, 10000+i, 200+i)
				paths = append(paths, p)
				want[p] = "/rest/api/3/" + r + "/{id}/" + strings.TrimSuffix(sub, "%d") + "{id2}"
			}
		}
	}
	checkTemplates(t, paths, want)
}

// TestOperationsAfterFormat: an API that puts the output format in the
// path (/v3/nfl/stats/{format}/...) names its operations after it in its
// own case (PlayerSeasonStats, Standings): they stay literal; a
// capitalised value after any other parameter is still a value.
func TestOperationsAfterFormat(t *testing.T) {
	var paths []string
	want := map[string]string{}
	for _, f := range []string{"json", "xml", "JSON", "XML"} {
		for _, op := range []string{"PlayerSeasonStats", "Standings", "Stadiums", "AreAnyGamesInProgress", "TeamGameStats"} {
			p := "/v3/nfl/stats/" + f + "/" + op
			paths = append(paths, p)
			want[p] = "/v3/nfl/stats/{name}/" + op
		}
	}
	for _, v := range []string{"Tasks", "Goulash", "Inbox", "Projects", "Weekly"} {
		for _, u := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
			paths = append(paths, "/lists/"+u+"/"+v)
		}
	}
	checkTemplates(t, paths, want)
	if got := observeAll(t, paths)["/lists/alice/Tasks"]; got != "/lists/{name}/{name2}" {
		t.Errorf("/lists/alice/Tasks → %s, want /lists/{name}/{name2}", got)
	}
}

// TestAlternationResourceWords: after an instance's id, two words of the
// vocabulary that each lead to the same collection of ids (get/oid/{id},
// set/oid/{id}) are the instance's resources, not instances; coined
// words that do (/repos/{owner}/linux/issues/{id}) still are.
func TestAlternationResourceWords(t *testing.T) {
	var paths []string
	want := map[string]string{}
	for i := range 6 {
		for _, op := range []string{"get/oid/%d", "set/oid/%d", "value/%d", "protocol/msg/%d", "trap/config", "timer/script/%d/run"} {
			sub := strings.ReplaceAll(op, "%d", "{id2}")
			if !strings.Contains(op, "%d") {
				sub = op
			}
			p := fmt.Sprintf("/mimic/agent/%d/"+op, 100+i, 7000+i)
			if !strings.Contains(op, "%d") {
				p = fmt.Sprintf("/mimic/agent/%d/%s", 100+i, op)
			}
			paths = append(paths, p)
			want[p] = "/mimic/agent/{id}/" + sub
		}
		for _, repo := range []string{"linux", "qzvbrk", "tmuxfiles"} {
			p := fmt.Sprintf("/repos/%s/%s/issues/%d", []string{"torvalds", "mojombo", "defunkt"}[i%3], repo, 300+i)
			paths = append(paths, p)
			want[p] = "/repos/{name}/{name2}/issues/{id}"
		}
	}
	checkTemplates(t, paths, want)
}
