package discovery

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Rules of session 14, each written from the misses of the dev half of
// the OpenAPI directory (directory_test.go) and measured on its held half.

// TestCapitalResourcesBesideID: in an API that capitalises its
// collections (/Employer/{id}), the capitalised names after an instance
// (RtiTransaction, PaySchedule) are its resources, even beside a typed
// parameter there (/Employer/{id}/{date}): they join no instance, and
// neither a value nor the typed parameter pulls them in by a
// sub-resource they share (Tag, Summary).
func TestCapitalResourcesBesideID(t *testing.T) {
	var c cases
	for i := range 5 {
		emp := fmt.Sprintf("5ecee79e%016x", 0x40ad1b972eba19ae+i*7919)
		sub := fmt.Sprintf("d5b0ed25%016x", 0x1d490f97bbbdcfbb+i*104729)
		tag := fmt.Sprintf("60b407fb%016x", 0x0d93c34b53add194+i*31)
		c.add(fmt.Sprintf("/Employer/%s/2024-12-%02d", emp, 10+i), "/Employer/{id}/{date}")
		c.add("/Employer/"+emp+"/RtiTransaction/"+sub+"/Tag/"+tag, "/Employer/{id}/RtiTransaction/{id2}/Tag/{id3}")
		c.add("/Employer/"+emp+"/SubContractor/"+sub+"/Tag/"+tag, "/Employer/{id}/SubContractor/{id2}/Tag/{id3}")
		c.add("/Employer/"+emp+"/PaySchedule/"+sub, "/Employer/{id}/PaySchedule/{id2}")
		c.add(fmt.Sprintf("/Employer/%s/CisTransaction/%d", emp, 60+i), "/Employer/{id}/CisTransaction/{id2}")
		c.add(fmt.Sprintf("/Employer/%s/2024-11-%02d/Summary", emp, 10+i), "/Employer/{id}/{date}/Summary")
		c.add("/Employer/"+emp+"/Employees/Summary", "/Employer/{id}/Employees/Summary")
	}
	c.check(t)
}

// TestProtocolCompounds: compound names with a protocol or standard in
// them (targetHttpProxies, samlProviders) are the API's names, as
// compounds of English words are; two such beside a plain collection make
// no parameter. Alone, such an abbreviation is as often a value (a
// channel, a keyword), and stays one (TestTemplatingCorpus: /v1/verify/sms).
func TestProtocolCompounds(t *testing.T) {
	var c cases
	for i, proj := range []string{"k3xqvz", "m7pwrt", "zq2hvn"} {
		for _, col := range []string{"networks", "targetHttpProxies", "targetHttpsProxies", "samlProviders"} {
			p := "/compute/v1/projects/" + proj + "/global/" + col
			c.add(p, "/compute/v1/projects/{name}/global/"+col)
			c.add(fmt.Sprintf("%s/%d", p, 4000+i*17), "/compute/v1/projects/{name}/global/"+col+"/{id}")
		}
	}
	c.check(t)
}

// TestCollectionsBesideSlotValue: a word read as a value after a module's
// name (/api/dcim/connected-device) makes no instances of the module's
// collections beside it, plural nouns each before its own integer ids
// (/api/dcim/power-feeds/{id}), whether they come before or after it.
// The compound itself is still read as a value (/secret/data/db-password
// reads the same way), and is not checked here.
func TestCollectionsBesideSlotValue(t *testing.T) {
	var c cases
	for i, col := range []string{"cables", "power-feeds", "front-ports", "manufacturers", "rack-reservations"} {
		p := "/api/dcim/" + col
		c.add(p, p)
		c.add(fmt.Sprintf("%s/%d", p, 17+i*5), p+"/{id}")
	}
	c.paths = append(c.paths, "/api/dcim/connected-device") // observed, not checked
	c.check(t)
}

// TestVersionAliasAfterPrefix: a version alias right after an API prefix
// anywhere (/rudder/api/latest/) is the API's version, as it is under the
// root (/latest/): the resources after it stay literal even when two
// share a sub-resource.
func TestVersionAliasAfterPrefix(t *testing.T) {
	var c cases
	for i, col := range []string{"nodes", "datasources", "usermanagement", "techniques", "campaigns", "parameters"} {
		p := "/rudder/api/latest/" + col
		c.add(p, p)
		c.add(p+"/status", p+"/status")
		c.add(fmt.Sprintf("%s/%08x-9c2d-4e5f-8a9b-%012x", p, 0x1f2a0000+i*977, 0x2000+i*31), p+"/{id}")
	}
	c.check(t)
}

// TestCapitalNamesWithDigits: in an API that capitalises its names
// (/Platform/User), a capitalised name with a digit (Destiny2, GroupV2)
// is one of them, not a value shaped like a code.
func TestCapitalNamesWithDigits(t *testing.T) {
	var c cases
	for i, p := range []string{"/Platform/Destiny2/SearchDestinyPlayer/", "/Platform/GroupV2/Recover/", "/Platform/User/GetMembershipsById/", "/Platform/Social/Friends/"} {
		c.add(fmt.Sprintf("%s%d", p, 244196+i*37), p+"{id}")
	}
	c.check(t)
}

// TestResourcesBesideIDAfterVersion: right after a version, the API's
// resource words (accounts, orders) beside a typed id there (a
// merchant's) stay its resources, though they share sub-resources with
// it (/content/v2.1/accounts/batch beside /content/v2.1/{merchantId}/batch).
func TestResourcesBesideIDAfterVersion(t *testing.T) {
	var c cases
	for i := range 4 {
		m := fmt.Sprintf("/content/v2.1/%d", 120045+i*7717)
		for _, col := range []string{"accounts", "orders", "returns", "products"} {
			c.add(m+"/"+col, "/content/v2.1/{id}/"+col)
			c.add(fmt.Sprintf("%s/%s/%d", m, col, 40+i), "/content/v2.1/{id}/"+col+"/{id2}")
			c.add("/content/v2.1/"+col+"/batch", "/content/v2.1/"+col+"/batch")
		}
		c.add(m+"/batch", "/content/v2.1/{id}/batch")
	}
	c.check(t)
}

// TestAPIWordVersion: a version joined to the API word (/api_1.0/,
// /rest-v2/) is the API's version: the object names after it, written as
// files (job.json, company.json), stay literal as they would after /v1/.
func TestAPIWordVersion(t *testing.T) {
	var c cases
	for i, obj := range []string{"job", "company", "jobactivity", "staff", "attachment", "material", "jobpayment"} {
		p := "/api_1.0/" + obj + ".json"
		c.add(p, p)
		c.add(p, p)
		c.add(fmt.Sprintf("/api_1.0/%s/%08x-ae04-4439-8b2b-%012x.json", obj, 0x4d85b65d+i*977, 0x23f67341ced8+i*31), "/api_1.0/"+obj+"/{id}")
	}
	c.check(t)
}

// TestDottedMethods: a remote method named with dotted labels and a verb
// (conversations.list, maniphest.search, dnd.info) is a method of the
// API, as a lowerCamel one is (chat.postMessage): after /api/ they stay
// literal however many there are. A Java-style qualified name
// (com.pearson.core.student.search) is a user's query, a value.
func TestDottedMethods(t *testing.T) {
	var methods cases
	for _, m := range []string{"conversations.list", "conversations.info", "users.info", "dnd.info", "maniphest.search",
		"differential.revision.search", "maniphest.edit", "reactions.add", "files.delete", "pins.remove", "team.info", "chat.postMessage"} {
		methods.add("/api/"+m, "/api/"+m)
		methods.add("/api/"+m, "/api/"+m)
	}
	methods.check(t)

	var queries cases
	for _, q := range []string{"com.pearson.core.student.search", "com.pearson.core.guardian.student_guardian_detail",
		"com.acme.reports.attendance.list", "org.district.staff.lookup"} {
		queries.add("/ws/schema/query/"+q, "/ws/schema/query/{name}")
		queries.add("/ws/schema/query/"+q, "/ws/schema/query/{name}")
	}
	queries.check(t)
}

// TestPredicatesAndTagOperations: yes-or-no checks named is-, has- or
// can- (/numbers/is-prime) are operations, as names that start with a
// verb are; so is a verb after a field noun (/quote/tags/add,
// /quote/tags/remove), where other words are tags (/timelines/tag/rust).
func TestPredicatesAndTagOperations(t *testing.T) {
	var c cases
	for _, op := range []string{"is-prime", "is-mersenne-prime", "is-fibonacci-prime", "is-square", "is-triangle", "has-factors"} {
		c.add("/numbers/"+op, "/numbers/"+op)
		c.add("/numbers/"+op, "/numbers/"+op)
	}
	for _, op := range []string{"add", "remove"} {
		c.add("/quote/tags/"+op, "/quote/tags/"+op)
		c.add("/quote/tags/"+op, "/quote/tags/"+op)
	}
	c.check(t)
}

// TestCompoundNamesAfterParameter: after a parameter of owners
// (/api/stacks/{org}/), kebab-case names people give their projects
// (billing-api, infra-core), each before a parameter of its own (the
// stacks), are values whatever order the calls come in; a compound
// before typed ids (/v1/user/{id}/monetary-account/{id}) is a collection.
// Only the project's position is checked: a stack name that came as a
// literal before its siblings became a parameter may stay one (a limit
// of the merge, noted in docs/templating.md).
func TestCompoundNamesAfterParameter(t *testing.T) {
	orgs := []string{"acme-corp", "globex-eng", "platform-team"}
	projects := []string{"billing-api", "infra-core", "eks-cluster", "aws-py-webserver"}
	stacks := []string{"prod", "staging", "dev", "qa", "sandbox"}
	var paths []string
	for i := range 24 {
		p := "/api/stacks/" + orgs[i%3] + "/" + projects[i%4] + "/" + stacks[i%5]
		paths = append(paths, p, p+"/updates")
	}
	var c cases
	for i := range 6 {
		u := fmt.Sprintf("/v1/user/%d/", 1923840+i*7919)
		for _, col := range []string{"monetary-account", "card", "payment-request"} {
			c.add(fmt.Sprintf("%s%s/%d", u, col, 2428053+i*31), "/v1/user/{id}/"+col+"/{id2}")
		}
	}
	c.check(t)
	rev := slices.Clone(paths)
	slices.Reverse(rev)
	for _, order := range [][]string{paths, rev} {
		got := observeAll(t, order)
		for _, p := range paths {
			segs := strings.Split(got[p], "/")
			if len(segs) < 5 || segs[3] != "{name}" || segs[4] != "{name2}" {
				t.Errorf("%s → %s, want /api/stacks/{name}/{name2}/...", p, got[p])
			}
		}
	}
}

// TestMoreVerbs: verbs the lexicon lacked (enrich, calculate, geocode,
// summarize) name operations after a collection, as the others do
// (/transactions/sync): no value on sight.
func TestMoreVerbs(t *testing.T) {
	var c cases
	for _, p := range []string{"/transactions/enrich", "/transactions/sync", "/taxes/calculate", "/addresses/geocode", "/documents/summarize", "/payments/settle"} {
		c.add(p, p)
	}
	c.check(t)
}
