// Package discovery is the endpoint stage of the analyzer: it turns the
// paths of API calls into templates, keeps the API inventory with a
// profile per endpoint, and classifies each endpoint against OpenAPI specs.
//
// # Per-call contract (used by the detection stage)
//
// [Inventory.Observe] takes one call and returns a [Match]: the host,
// method and template the call hit, its classification (documented,
// shadow, zombie, unknown), whether the spec deprecates it, the newer
// documented version that supersedes it, and the spec operation itself
// ([Operation]: security requirement alternatives and scheme kinds, tags,
// operationId, path parameter types). The analyze wiring calls Observe
// first and hands the Match to detection. Observe does not keep the call
// or any of its buffers; the Match holds no reference into the inventory.
// Observe is safe for concurrent use (a mutex), cheap (about a
// microsecond of CPU per call on simulated traffic, two small allocations)
// and meant to be driven by the goroutine that owns the stage.
//
// # Templating
//
// Each host has a tree of path positions. A segment that classifies as a
// typed value ([Classify]: integer, UUID, ObjectId, hash, hex, date,
// email, token) becomes the parameter of its position on sight. Versions
// (v1, v2beta1, v3p1beta1, 2.0, and short numbers or dates right after the root or an
// API prefix such as /2/ or /rest/api/3/ or /2010-04-01/; latest and beta
// right under the root) and plain words stay literal; the words after a
// version, an API prefix or the caller (/me/) are read as the API's
// resource names. Plain words become a parameter by rules a REST API's
// shape implies, each re-applied when the tree changes so that the result
// does not depend on arrival order:
//
//   - identifier slot: beside typed values, a word with a digit (web-0),
//     with the letter prefix of those values (GC-AcnyPi beside GC319989),
//     or leading to the same literal sub-resource (/calendars/primary/events
//     beside /calendars/{email}/events) joins the parameter;
//   - shared sub-resource: two or more words that lead to one literal
//     child (/tags/go/info, /tags/python/info; /r/golang/hot, /r/rust/hot)
//     are instances of one collection: resource names do not share their
//     children, except operations by chance (/mimic/access/set,
//     /mimic/store/set under an API's first segment; count and list for
//     the cardinality rule);
//   - alternation: after a parameter, words without ids of their own that
//     lead to the same collection of typed ids are instances
//     (/repos/{owner}/{repo}/issues/{id});
//   - cousin evidence: a sibling position that holds plain-word values
//     vouches for value-like words (/page/html/Marie_Curie beside
//     /page/summary/{name}) or for its own values (/simple/requests beside
//     /pypi/{name}/json);
//   - cardinality: sibling values of one shape (the same sub-paths) that
//     keep growing: at least three that look like values (case, dots) or,
//     after a resource noun (not a verb or gerund), are mostly outside
//     the vocabulary below and no English words either (words.go:
//     /catalog/service/redis, postgres, web; /asset/animal, plant, land
//     stay), or 32 or more (five or more mostly new no longer do:
//     session 10), unless
//     most of them are resource words (then 64 or more still new in a
//     third of the calls: English-word values on live traffic); right
//     after a version or an API prefix, 32 or more only when most are no
//     resource words and no English words either;
//   - coined names: three or more codes or coined names that are no
//     English words (amerob, blujay, moudov: words.go reads a segment
//     against an embedded English word list, splitting runs such as
//     saleshistory) side by side where no resource names live (not the
//     root, nor after a version, an API prefix or a parameter), leading
//     to no parameter of their own, are values from their first calls;
//     English words beside them (/recent/notable) stay literal;
//   - tenant: two words that are no resource words, each leading to the
//     same version and below it to the same resource, are tenants of one
//     API (/gateway.php/{company}/v1/employees); services each leading to
//     their own resources below a version stay apart, and a version two
//     words lead to is no shared sub-resource on its own;
//   - shared sub-collection: two words that each lead to one same word
//     and, below it, to a parameter are instances, even words of the
//     vocabulary (/b/{bucket}/o/{object});
//   - collection slot: a segment is a resource word when all its parts
//     (split at '-', '_', '.', camelCase) are in an embedded vocabulary of
//     REST resource nouns, verbs and qualifiers (lexicon.txt). After a
//     plural collection noun (crates, repositories, storageAccounts) a
//     word that is no resource word is an instance on sight
//     (/crates/serde), after any resource noun a word shaped like a value
//     (user1, web.1, report.pdf), after a lookup field or reference noun
//     (uid, name, slug, tag, branches) any word;
//   - alignment: two or more words, no resource words or plurals, that
//     lead each to typed ids of one kind and nothing else (/express/4.18.2,
//     /react/18.2.0) are instances;
//   - joining: beside a parameter that holds instances on its own evidence
//     (typed, collection slot, alignment), a word that is no resource word,
//     or a value a sibling position holds, joins it; system names (_cat,
//     $count, @me), dotted type names (Microsoft.Compute), operations
//     with a format (count.json) and custom methods (devices:requestSync)
//     never do, nor, right after a version or an API prefix, an English
//     word (a big API's resources beside a tenant id);
//   - instance compounds: a kebab-case compound of lower-case words
//     (billing-service, platform-team) after a plural collection noun is
//     an instance even when its words are resource words, and after
//     another word that is no namespace when it starts with no qualifier
//     (/secret/data/db-password); a verb first or last, a function, field
//     or reserved word, or a plural last (bulk-update, users-by-email,
//     role-id, top-tracks) keep it literal;
//   - nested collection: a word between a collection and a sub-collection
//     of its own that holds instances is a member of the first
//     (/projects/platform/members/12; after a parameter only a word that
//     is no resource word: /repos/{owner}/tea/issues/612);
//   - mirrored parameter: a word whose own parameter shares a literal
//     sub-resource with the parameter beside it joins that parameter
//     (/repositories/library/{name}/tags beside
//     /repositories/{namespace}/{name}/tags);
//   - upper-case codes after a resource word are keys (/space/DEV),
//     unless they name a format: a format of the vocabulary in capitals
//     (JSON, XML) or a code beside one (PNG) is the output format
//     (/cid/{id}/JSON), and a lower-case word does not join a parameter of
//     upper-case codes;
//   - codes beside words: beside ids written as codes (integers, UUIDs,
//     tokens without lower-case letters: LH400, 2024-05871.json) a plain
//     lower-case word or an operation compound is a name of the API
//     (/flightstatus/departures beside /flightstatus/LH400), whichever
//     arrived first; beside tokens with lower case (jsmith-42) a word may
//     be an instance;
//   - an API prefix written in capitals (/REST/, /API/) is a namespace;
//   - capitalised names (Tasks, Goulash, CircleCI-Public) and upper-case
//     codes (AMZN) right after a parameter are values when the API writes its resource names in
//     lower case (the nearest literal above starts lower-case), and a
//     literal that becomes such a slot when the word above it joins a
//     parameter is re-read as a value; camelCase compounds of English
//     words (ProfitAndLoss, recentlyAdded) are names wherever they are
//     (session 10, heldout.go);
//   - release channels (latest, stable) after a tag noun (tags,
//     manifests) and versions after a tag or release noun (/tags/v1,
//     /release/v2.1) name a tag;
//   - same noun: a segment names one collection wherever it appears in an
//     API, so a word its parameter holds in one place is a value in
//     another (/apis/apps/v1/namespaces/default beside
//     /api/v1/namespaces/{name} holding default);
//   - sibling value: a word the parameter of a sibling operation holds is
//     the same value (/secret/metadata/db-password beside
//     /secret/data/{name} holding db-password), even alone;
//   - system operation: two or more words leading to one '_'-prefixed
//     segment (/recipes/_find, /orders/_find; /products/_search) are
//     names users chose, even at the root: systems prefix their own
//     operations so that user names never collide with them;
//   - file name: a package file (a name with a digit and a lower-case
//     extension) names the package and release segments before it, which
//     are values (/org/acme/app/1.0/app-1.0.jar: app and 1.0);
//   - host names: a DNS name of three or more labels (mg.example-shop.com)
//     is a value wherever it sits, even right after a version.
//
// Resources, not values (the rules against over-merging): a plain word
// that leads to integer or UUID ids is a collection and never aligns with
// its siblings (/artist/{id} beside /album/{id}), nor does a capitalised
// word that leads to typed ids (FHIR's /Patient/{id}); a position of
// mostly plurals leading to ids or leaves is a set of collections
// (/air/offers/{id}, /air/airports/{id}); after a collection a plural
// (/stocks/tickers) and, in an API that capitalises its collections, a
// capitalised word (/Reports/BalanceSheet) stay literal; a compound led
// or ended by a verb or reserved word, or with "by" in it
// (get_item_by_legacy_id, expanded-search), does not join typed ids; a
// single lower-case word beside integer or UUID ids is an operation,
// whichever arrived first (/actions/poweroff beside /actions/{id}); and a
// word the collection slot took alone returns to a literal once it leads
// to integer or UUID ids and to batch, search or count
// (/orders/historical/{id} beside /orders/historical/batch), or, when it
// is a word of the word list, once it leads to typed values at all
// (/links/cellular/88210: a qualifier; session 10, heldout.go). From the
// shape of the tree, not from words: sibling words that each lead to a
// parameter or to a version name collections or services
// (/pub/player/{username}, /pub/club/{id}, /svc/books/v3); a position's
// dominant shape is taken among the words that have sub-paths (a leaf
// agrees with every shape); words leading to identifiers of different
// formats or letter prefixes (P12345, UniRef90_P05067, UPI000002DB1C)
// never align, nor do words leading to typed ids beside as many
// collections before integer or UUID ids (/ws/2/isrc beside
// /ws/2/artist/{uuid}); a one- or two-digit number after a short root
// prefix that is no vocabulary word, with more path after it, is a
// version (/ws/2/artist); in an API that capitalises its resources,
// capitalised words take part in no sibling rule (/Line/Mode beside
// /Line/{line}); a plural resource word with a format suffix
// (/search/authors.json) is a collection, not a value; and a new word
// with a sub-path still to come is judged when that sub-path arrives.
//
// Traffic's recurrence (recur.go): a word of a parameter whose calls all
// end at it, many times, while the parameter's other values (typed values
// among them) lead to sub-paths below it, is an endpoint of its own
// (/coins/markets beside /coins/{id}/market_chart; a value named like the
// others, red-zorblax beside blue-zorblax, stays one), and so is a word
// whose calls all go on to a sub-path of its own while the others' mostly
// end at them (/labels/rush_printer/{id} beside /labels/{id}); the one lower-case
// word among values written as codes without lower case, called over and
// over, is a name of the API (/obs/geo/recent beside /obs/US-CA/recent);
// and a release number that never changes over 16 calls, each with more
// path below it, after a literal that names no releases, is the API's
// version (/catalog/1.0.0/search), until another release arrives there.
//
// camelCase compounds led by a reserved word (lastBuild, nextToken) are
// operations and never join a parameter; a lookup by a field (by-email,
// by_name, byUsername) stays literal, takes part in no sibling rule, and
// the segment after it is a value.
//
// A shared sub-resource counts only when it is a resource word and the
// words sharing it are not both resource words (/service/web and
// /checks/web are two operations on one value), or when it leads to a
// parameter of its own (the shared sub-collection above).
//
// After the root, a version or an API prefix (where resource names live)
// only 32 or more mostly new values count. Reserved words (me, self,
// search, count, new, ...) and siblings of another shape stay literal
// beside the parameter, so /users/me and /users/search remain while
// /users/{id} forms; so do plain lower-case words beside typed ids
// (/orders/pending beside /orders/{id}). The rule, the merged values, a
// few examples and a confidence are kept as evidence (endpoint Extra
// "path_params").
// Once a position is a parameter, new values go straight to it; earlier
// literal endpoints are merged into the parameter's endpoint with their
// profiles.
//
// When a spec documents a path of the call's host, the call takes the
// spec's template and parameter names (literal segments win over
// parameters); a documented path called with an undocumented method is a
// shadow endpoint with the spec's template.
//
// # Classification
//
// documented: the spec has the operation (not deprecated). zombie: the
// spec marks it deprecated, or it is not documented but is an older
// version of a documented path of the same host and method (/api/v1/x/{id}
// while /api/v2/x/{id} is documented). shadow: the host is covered by a
// spec that does not document the endpoint. dormant: documented, never
// called (calls 0). unknown: no spec covers the host. A documented older
// version that the spec does not deprecate stays documented (the spec
// owner kept it), with "superseded_by" in Extra.
//
// # Profile and bounds
//
// Per endpoint: calls, distinct actors (exact to 1024, then HyperLogLog),
// status histogram, auth schemes, request and response media types, query
// and body parameter names with inferred types, sensitive data classes in
// requests and responses, first and last seen. Bodies are inspected for
// the first Config.SampleFirst calls of an endpoint, then one call in
// Config.SampleEvery, and every call that looks new for the endpoint (a
// status or query parameter not seen before, a response over 1.25 times the
// longest so far), so sensitive data counts are counts in the inspected
// calls ("inspected_calls" in Extra), except card numbers the agent masked
// (apicall.FlagPIIMasked), which are counted on every call. Hosts, tree
// nodes per host, endpoints, parameters, status codes and callers are
// bounded by Config; what is shed is counted in [Stats].
package discovery
