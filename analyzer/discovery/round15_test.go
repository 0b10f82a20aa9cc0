package discovery

import (
	"fmt"
	"testing"
)

// Rules of session 15, each written from the misses of the dev half of
// the OpenAPI directory (directory_test.go) and measured on its held half.

// TestOperationFiles: an RPC-style API names its methods as files of a
// data format (/api/1.0/rejects/add.json, /ips/list-pools.json,
// /senders/info.json): a verb, a kebab-case compound led by one, or a
// remote read. They stay literal however many of them a collection has;
// a file named by its user (a report) is still a value.
func TestOperationFiles(t *testing.T) {
	var c cases
	for _, col := range []string{"rejects", "whitelists", "templates", "webhooks", "subaccounts", "ips", "senders"} {
		for _, op := range []string{"add", "delete", "list", "info", "update", "add-domain", "check-domain", "list-pools", "cancel-warmup", "send-raw"} {
			p := "/api/1.0/" + col + "/" + op + ".json"
			c.add(p, p)
		}
	}
	for i := range 6 {
		c.add(fmt.Sprintf("/v0/reports/q%d-summary.pdf", i+1), "/v0/reports/{name}")
	}
	c.check(t)
}

// TestAcronymNames: PascalCase names with an abbreviation of a format or
// protocol written in capitals (URLDecode, CSVtoJSON, GenerateQRCode) are
// names a programmer gave the API's operations, as camelCase compounds
// of words are: none of them starts a parameter that the other names then
// join. Names with capitals that are no such abbreviation (JSONata,
// HTTPie, IBMWatson) are not read so.
func TestAcronymNames(t *testing.T) {
	for w, want := range map[string]bool{
		"URLDecode": true, "CSVtoJSON": true, "GenerateQRCode": true, "htmlToPDF": true, "XMLtoJSON": true,
		"GetUserByID": true, "JSONata": false, "HTTPie": false, "IBMWatson": false, "URL": false, "QRX9": false,
	} {
		if got := acronymName(w); got != want {
			t.Errorf("acronymName(%q) = %v, want %v", w, got, want)
		}
	}
	var c cases
	for _, op := range []string{"URLDecode", "URLEncode", "CSVtoJSON", "JSONtoXML", "GenerateQRCode", "RedactString", "ConvertImage", "TrimString", "ContainsString", "TextToSpeech", "WorldTime", "CountCollection"} {
		p := "/api/utilities/" + op
		c.add(p, p)
	}
	c.check(t)
}

// TestCollectionsShareOperations: an API's collections offer the same
// operations on the whole collection (/marketing/contacts/search,
// /marketing/singlesends/search, /marketing/lists/count); sharing them
// does not make the collections values of one parameter, as sharing a
// sub-resource makes instances (/solr/films/select,
// /solr/techproducts/select stay values: TestTemplatingCorpus).
func TestCollectionsShareOperations(t *testing.T) {
	var c cases
	for i := range 4 {
		id := fmt.Sprintf("3f2a%04x-8b1c-4d2e-9f3a-%012x", i, 0x5c1d2e3f4a5b+i)
		for _, col := range []string{"contacts", "singlesends", "lists", "segments"} {
			c.add("/v3/marketing/"+col, "/v3/marketing/"+col)
			c.add("/v3/marketing/"+col+"/"+id, "/v3/marketing/"+col+"/{id}")
		}
		c.add("/v3/marketing/contacts/search", "/v3/marketing/contacts/search")
		c.add("/v3/marketing/singlesends/search", "/v3/marketing/singlesends/search")
		c.add("/v3/marketing/lists/count", "/v3/marketing/lists/count")
		c.add("/v3/marketing/contacts/count", "/v3/marketing/contacts/count")
		c.add("/v3/marketing/field_definitions", "/v3/marketing/field_definitions")
		c.add("/v3/marketing/test/send_email", "/v3/marketing/test/send_email")
	}
	c.check(t)
}

// TestActionsBelowMintedIDs: a dozen words below integer ids
// (/v2/my/ships/{id}/dock, /refuel, /jettison ...), new in a third of the
// calls, are the instance's actions and sub-resources, not keys scoped
// by the id: keys are scoped by a name (a realm's, a project's:
// /character/{realm}/{name}), and a system mints no names.
func TestActionsBelowMintedIDs(t *testing.T) {
	var c cases
	words := []string{"chart", "cooldown", "dock", "extract", "jettison", "jump", "nav", "orbit", "refine", "refuel", "scan", "warp"}
	for i := range 3 {
		for _, w := range words {
			p := fmt.Sprintf("/v2/my/ships/%d/%s", 336232+i*7919, w)
			c.add(p, "/v2/my/ships/{id}/"+w)
		}
	}
	c.check(t)
}

// TestCapitalPlurals: capitalised plurals of English words
// (Charts, ConnectionShapes) below a word that is no collection name the
// API's collections as types: sharing a sub-resource (OpenOfficeXml)
// does not make them values. Below a collection (/catalogs/Products) a
// capitalised plural may be a value, and is left to the other rules.
func TestCapitalPlurals(t *testing.T) {
	var c cases
	for i := range 4 {
		id := fmt.Sprintf("9e1c%04x-2b3d-4e5f-8a9b-%012x", i, 0x1a2b3c4d5e6f+i*977)
		for _, col := range []string{"Charts", "Tables", "Themes", "Shapes", "ConnectionShapes", "Documents"} {
			c.add("/ooxml-automation/"+col+"/OpenOfficeXml/"+id, "/ooxml-automation/"+col+"/OpenOfficeXml/{id}")
			c.add("/ooxml-automation/"+col+"/"+id, "/ooxml-automation/"+col+"/{id}")
		}
	}
	c.check(t)
}

// TestProductVersionsBelowPrefix: a one-digit version after a product
// word right under an API prefix (/rest/auth/1/session,
// /api/dataset/2/OpenSearchDescription) is the product's version, as
// after a product right under the root (/search/2/geocode); numbers that
// vary under one word are ids there too (/api/user/{id}/posts), and then
// speak for the other words of the prefix (numbersAt).
func TestProductVersionsBelowPrefix(t *testing.T) {
	var c cases
	for _, p := range []string{"/rest/auth/1/session", "/rest/auth/1/websudo", "/api/dataset/2/OpenSearchDescription", "/api/dataset/2/search", "/public/signup/1/verify"} {
		c.add(p, p)
	}
	c.check(t)
	var ids cases // another API: integer ids under a word of its prefix
	for i := range 5 {
		ids.add(fmt.Sprintf("/api/user/%d/posts", i+3), "/api/user/{id}/posts")
	}
	ids.check(t)
}

// TestClassifyAllocs: Classify allocates nothing, even for a mixed-case
// word with one digit, which it reads without the digit (digitName).
func TestClassifyAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		Classify("OrganizationalLevel1s")
		Classify("usRaceEthnicityZIP5")
		Classify("cus_NffrFeUfNV2Hib")
		camelName("conversations.list")
		madeOfWords("targetHttpProxies")
	})
	if n != 0 {
		t.Errorf("%v allocs per run, want 0", n)
	}
}

// refMadeOfWords is madeOfWords as the reference split reads it
// (FuzzMadeOfWords).
func refMadeOfWords(s string) bool {
	ok, n, tech := true, 0, false
	closureWordParts(s, func(p string) bool {
		n++
		var word, abbr bool
		if word, abbr = wordPart(p); !word {
			ok = false
			return false
		}
		tech = tech || abbr
		return true
	})
	return ok && n > 0 && !(tech && n == 1)
}

// TestVersionedMethodNames: a dotted method with a version among its
// labels (oauth.v2.access) is a remote method's name, not a host name:
// Slack's methods stay literal after /api/, as its other dotted methods
// (chat.getPermalink, dnd.info) do; a host name is still a value.
func TestVersionedMethodNames(t *testing.T) {
	if hostName("oauth.v2.access") || !hostName("mg.example-shop.com") {
		t.Errorf("hostName: oauth.v2.access %v, mg.example-shop.com %v", hostName("oauth.v2.access"), hostName("mg.example-shop.com"))
	}
	var c cases
	for _, m := range []string{"oauth.v2.access", "chat.getPermalink", "chat.meMessage", "dnd.info", "conversations.list", "users.lookupByEmail"} {
		c.add("/api/"+m, "/api/"+m)
	}
	c.check(t)
}

// TestTitleFiles: in an API that capitalises its collections, a
// capitalised name in a data format (/IncomingPhoneNumbers/Local.json,
// TollFree.json) is a resource, as the name alone is; the ids written as
// files beside it (PN….json) are values.
func TestTitleFiles(t *testing.T) {
	var c cases
	base := "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers/"
	for _, r := range []string{"Local.json", "Mobile.json"} { // TollFree.json still joins the ids: "toll" is in no word list (wordFile)
		c.add(base+r, "/2010-04-01/Accounts/{id}/IncomingPhoneNumbers/"+r)
	}
	for i := range 4 {
		c.add(fmt.Sprintf("%sPN%032x.json", base, 0xabc123+i*4099), "/2010-04-01/Accounts/{id}/IncomingPhoneNumbers/{id2}")
	}
	c.check(t)
}

// TestSettingsNames: the words below an instance's settings
// (/accounts/{id}/settings/enote_configuration, /prefs/voting) name
// settings the API defines; they make no parameter, where the words after
// a collection (/forms/{id}/webhooks/crm-sync, /events/demo-requested)
// are instances (TestTemplatingCorpus). Three or more coined names there
// still make one by cardinality (entityNoun: reading settings as no
// entity cost recall in the OpenAPI directory).
func TestSettingsNames(t *testing.T) {
	var c cases
	for i := range 3 {
		acct := fmt.Sprintf("7d2c%04x-1a2b-4c3d-8e9f-%012x", i, 0x2f3e4d5c6b7a+i*31)
		for _, s := range []string{"enote_configuration", "bcc_email_archives"} {
			c.add("/restapi/v2.1/accounts/"+acct+"/settings/"+s, "/restapi/v2.1/accounts/{id}/settings/"+s)
		}
		for _, s := range []string{"voting", "background", "calendarFeedEnabled"} {
			c.add(fmt.Sprintf("/1/boards/5f1e2d3c%016x/prefs/%s", 0x4b5a69788796a5b4+i, s), "/1/boards/{id}/prefs/"+s)
		}
	}
	c.check(t)
}

// TestSingularCollectionsShareOperations: singular resource words share
// operations on the whole collection as plurals do (/api/pdb/entry/summary,
// /api/pdb/compound/summary): the sharing makes them no values of one
// parameter (TestCollectionsShareOperations).
func TestSingularCollectionsShareOperations(t *testing.T) {
	var c cases
	for _, id := range []string{"1cbs", "2hhb", "4hhb", "3nir"} {
		for _, p := range []string{"entry/summary", "entry/molecules", "entry/experiment", "compound/summary"} {
			c.add("/api/pdb/"+p+"/"+id, "/api/pdb/"+p+"/{name}")
		}
	}
	c.check(t)
}

// TestSubResourcesSharingOne: below a typed id, two of the instance's
// many sub-resources that share one below (/users/{id}/planner/tasks,
// /users/{id}/outlook/tasks) are no instances of one parameter; views of
// an account that share two sub-resources (/accounts/{id}/owner/
// transactions and /owner/account, the same below /accountant) are.
// With only the two that share seen (planner and outlook first), the
// reading is the instances' still: the first two words decide.
func TestSubResourcesSharingOne(t *testing.T) {
	var c cases
	subs := []string{"activities", "authentication", "calendar", "chats", "devices", "manager", "onenote", "profile", "security", "teamwork", "todo"}
	user := func(i int) string { return fmt.Sprintf("/beta/users/%d", 25265+i*7919) }
	for i := range 2 {
		for _, s := range subs {
			c.add(user(i)+"/"+s, "/beta/users/{id}/"+s)
		}
	}
	for i := range 4 { // in the middle: the instance's other sub-resources come first in either order
		c.add(user(i)+"/planner/tasks", "/beta/users/{id}/planner/tasks")
		c.add(user(i)+"/outlook/tasks", "/beta/users/{id}/outlook/tasks")
	}
	for i := 2; i < 4; i++ {
		for _, s := range subs {
			c.add(user(i)+"/"+s, "/beta/users/{id}/"+s)
		}
	}
	c.check(t)
	var views cases
	for i := range 4 {
		a := fmt.Sprintf("/obp/v5.1.0/banks/gh.29.uk/accounts/6ad563bc-ea6c-4e59-8b93-%012x", 0x35506111441b+i*97)
		for _, v := range []string{"owner", "accountant", "auditor", "firehose"} {
			views.add(a+"/"+v+"/transactions", "/obp/v5.1.0/banks/{id}/accounts/{id2}/{name}/transactions")
			views.add(a+"/"+v+"/account", "/obp/v5.1.0/banks/{id}/accounts/{id2}/{name}/account")
		}
	}
	views.check(t)
}

// TestAlternationAmongMany: below a typed id with many sub-resources
// (ManySiblings), two of them that each lead to the same collection of
// ids (/users/{id}/planner/tasks/{id}, /outlook/tasks/{id}) are not the
// collection/instance alternation of /repos/{owner}/{repo}/issues/{id}.
func TestAlternationAmongMany(t *testing.T) {
	var c cases
	subs := []string{"activities", "calendar", "calendars", "chats", "contacts", "devices", "drive", "drives", "events",
		"extensions", "insights", "licenses", "manager", "messages", "people", "photo", "photos", "presence", "profile",
		"security", "documents", "files", "folders", "groups", "notes", "tasks", "teams", "channels", "meetings", "reports", "workspaces"} // with planner and outlook, 32 words promote reads (ManySiblings)
	user := func(i int) string { return fmt.Sprintf("/beta/users/%d", 25265+i*7919) }
	for i := range 2 {
		for _, s := range subs {
			c.add(user(i)+"/"+s, "/beta/users/{id}/"+s)
		}
	}
	for i := range 4 {
		c.add(fmt.Sprintf("%s/planner/tasks/%d", user(i), 9001+i), "/beta/users/{id}/planner/tasks/{id2}")
		c.add(fmt.Sprintf("%s/outlook/tasks/%d", user(i), 7001+i), "/beta/users/{id}/outlook/tasks/{id2}")
	}
	for i := 2; i < 4; i++ {
		for _, s := range subs {
			c.add(user(i)+"/"+s, "/beta/users/{id}/"+s)
		}
	}
	c.check(t)
}

// TestCamelTails: lowerCamel names whose last part is a word
// (comanagedDevices, microsoftTunnelSites, cloudPCConnectivityIssues) are
// a programmer's names even where not every part is a word: their
// capitals do not count them as values (/beta/deviceManagement/...).
func TestCamelTails(t *testing.T) {
	for w, want := range map[string]bool{"comanagedDevices": true, "cloudPCConnectivityIssues": true, "microsoftTunnelSites": true,
		"BurntSushi": false, "monitoring": false, "xkcdQz": false, "user42Name": false} {
		if got := camelTail(w); got != want {
			t.Errorf("camelTail(%q) = %v, want %v", w, got, want)
		}
	}
	var c cases
	for _, w := range []string{"comanagedDevices", "cloudPCConnectivityIssues", "macOSSoftwareUpdateAccountSummaries", "microsoftTunnelSites", "monitoring", "reports", "templates", "intents"} {
		c.add("/beta/deviceManagement/"+w, "/beta/deviceManagement/"+w)
	}
	c.check(t)
}

// TestCollectionsAfterPrefix: right after an API prefix, a word that
// leads to its own typed ids (/api/transport-twilio/{id}) is a
// collection, whichever comes first, and joins no parameter there, even
// one a coded name made (/api/transport-sms77, a token).
func TestCollectionsAfterPrefix(t *testing.T) {
	var c cases
	for i := range 3 {
		c.add(fmt.Sprintf("/api/transport-sms77/02508028%016x", 0x2ad3937ff883038d+i), "/api/{id}/{id2}")
		for _, w := range []string{"transport-twilio", "transport-zulip", "transport-infobip", "alert-log", "monitor-status-log"} {
			c.add(fmt.Sprintf("/api/%s/%d", w, 4017+i*13), "/api/"+w+"/{id}")
			c.add("/api/"+w, "/api/"+w)
		}
	}
	c.check(t)
}
