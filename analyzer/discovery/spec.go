package discovery

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// AnyHost keys the operations of specs whose servers name no host (a
// relative server URL, or none): they apply to every host.
const AnyHost = "*"

// Operation is one documented (host, method, path) of an OpenAPI spec.
type Operation struct {
	Host        string // lower-case host[:port] from the server URL, or AnyHost
	Method      string // upper case
	Template    string // server base path + spec path, e.g. /api/v2/orders/{orderId}
	OperationID string
	Tags        []string
	Deprecated  bool // deprecated: true in the spec
	// Superseded names the newer documented version of this path (same
	// host and method, a higher version segment), e.g. /api/v2/users/{id}
	// for /api/v1/users/{id}; empty when there is none.
	Superseded string
	// Security lists the alternatives of the operation's security
	// requirement (scheme names per alternative, e.g. [["bearerAuth"]]);
	// an empty inner list means anonymous access is allowed. Nil when the
	// spec says nothing.
	Security [][]string
	// SecurityTypes maps each scheme name to its kind: bearer, basic,
	// apikey, cookie, oauth2, openidconnect, mutualtls.
	SecurityTypes map[string]string
	// Params is the type of each path parameter by name (integer, string...).
	Params map[string]string
	// RequestProps are the top-level properties the request body schema
	// documents (JSON or form content, allOf merged), sorted; nil when the
	// operation has no request body schema or its schema lists none.
	RequestProps []string
	File         string // spec file the operation came from
}

// Specs is the set of loaded OpenAPI documents, indexed for matching.
// It is immutable after LoadSpecs and safe for concurrent use.
type Specs struct {
	ops   []*Operation
	hosts map[string]*specNode // host (or AnyHost) → path trie
	files []string
}

// specNode is a node of the per-host trie of documented paths.
type specNode struct {
	lits   map[string]*specNode
	params []*specParam // parameter segments, in declaration order
	ops    map[string]*Operation
}

// specParam is a segment with a parameter: "{id}", or "{name}.json".
type specParam struct {
	prefix, suffix string
	next           *specNode
}

// Hosts returns the hosts the specs name (AnyHost when a spec has no host).
func (s *Specs) Hosts() []string {
	if s == nil {
		return nil
	}
	var out []string
	for h := range s.hosts {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// Operations returns every documented operation, in load order.
func (s *Specs) Operations() []*Operation {
	if s == nil {
		return nil
	}
	return s.ops
}

// Covers reports whether some spec documents host (or every host).
func (s *Specs) Covers(host string) bool {
	return s.trie(host) != nil
}

func (s *Specs) trie(host string) *specNode {
	if s == nil {
		return nil
	}
	if n := s.hosts[host]; n != nil {
		return n
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		if n := s.hosts[h]; n != nil {
			return n
		}
	}
	return s.hosts[AnyHost]
}

// Lookup finds the documented operation for a call. pathKnown reports
// whether the path matches a documented path at all (with another method
// when op is nil). Literal segments win over parameters.
func (s *Specs) Lookup(host, method, path string) (op *Operation, tmplOfPath string, pathKnown bool) {
	root := s.trie(host)
	if root == nil {
		return nil, "", false
	}
	n := root.match(trimSlash(path))
	if n == nil {
		return nil, "", false
	}
	if op = n.ops[method]; op != nil {
		return op, op.Template, true
	}
	if method == "HEAD" {
		if op = n.ops["GET"]; op != nil {
			return op, op.Template, true
		}
	}
	for _, o := range n.ops {
		return nil, o.Template, true
	}
	return nil, "", false
}

// match walks rest ("a/b/c", no leading slash), literals first.
func (n *specNode) match(rest string) *specNode {
	if rest == "" {
		if len(n.ops) > 0 {
			return n
		}
		return nil
	}
	seg, tail, _ := strings.Cut(rest, "/")
	if c := n.lits[seg]; c != nil {
		if m := c.match(tail); m != nil {
			return m
		}
	}
	for _, p := range n.params {
		if len(seg) > len(p.prefix)+len(p.suffix) && strings.HasPrefix(seg, p.prefix) && strings.HasSuffix(seg, p.suffix) {
			if m := p.next.match(tail); m != nil {
				return m
			}
		}
	}
	return nil
}

func trimSlash(p string) string {
	p = strings.TrimPrefix(p, "/")
	return strings.TrimSuffix(p, "/")
}

// LoadSpecs reads OpenAPI 3.0 or 3.1 documents (YAML or JSON) and indexes
// their operations by host, from each operation's effective servers
// (operation, then path item, then document). A bad document is an error
// that names the file and, where the library gives it, the location.
func LoadSpecs(ctx context.Context, paths []string) (*Specs, error) {
	s := &Specs{hosts: map[string]*specNode{}}
	for _, p := range paths {
		if err := s.load(ctx, p); err != nil {
			return nil, err
		}
	}
	s.link()
	return s, nil
}

func (s *Specs) load(ctx context.Context, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("spec %s: %w", path, err)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	loader.Context = ctx
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return fmt.Errorf("spec %s: parse: %w", path, err)
	}
	v := doc.OpenAPIMajorMinor()
	if v != "3.0" && v != "3.1" {
		if doc.OpenAPI == "" {
			return fmt.Errorf("spec %s: no \"openapi\" version field (Swagger 2.0 is not supported): want OpenAPI 3.0.x or 3.1.x", path)
		}
		return fmt.Errorf("spec %s: openapi version %q: want 3.0.x or 3.1.x", path, doc.OpenAPI)
	}
	if err := doc.Validate(ctx, openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation()); err != nil {
		return fmt.Errorf("spec %s: invalid: %w", path, err)
	}
	s.files = append(s.files, path)
	schemes := map[string]string{}
	if doc.Components != nil {
		for name, ref := range doc.Components.SecuritySchemes {
			if ref != nil && ref.Value != nil {
				schemes[name] = schemeKind(ref.Value)
			}
		}
	}
	if doc.Paths == nil {
		return nil
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		if item == nil {
			continue
		}
		methods := item.Operations()
		keys := make([]string, 0, len(methods))
		for m := range methods {
			keys = append(keys, m)
		}
		sort.Strings(keys)
		for _, m := range keys {
			o := methods[m]
			servers := doc.Servers
			if len(item.Servers) > 0 {
				servers = item.Servers
			}
			if o.Servers != nil && len(*o.Servers) > 0 {
				servers = *o.Servers
			}
			bases, err := serverBases(servers)
			if err != nil {
				return fmt.Errorf("spec %s: paths.%s.%s.servers: %w", path, p, strings.ToLower(m), err)
			}
			for _, b := range bases {
				op := &Operation{Host: b.host, Method: strings.ToUpper(m), Template: joinPath(b.path, p),
					OperationID: o.OperationID, Tags: o.Tags, Deprecated: o.Deprecated, SecurityTypes: schemes,
					Params: map[string]string{}, File: path}
				sec := doc.Security
				if o.Security != nil {
					sec = *o.Security
				}
				if sec != nil {
					op.Security = [][]string{}
					for _, alt := range sec {
						names := make([]string, 0, len(alt))
						for name := range alt {
							names = append(names, name)
						}
						sort.Strings(names)
						op.Security = append(op.Security, names)
					}
				}
				for _, pr := range append(slices.Clone(item.Parameters), o.Parameters...) {
					if pr == nil || pr.Value == nil || pr.Value.In != "path" {
						continue
					}
					typ := "string"
					if sc := pr.Value.Schema; sc != nil && sc.Value != nil && sc.Value.Type != nil && len(*sc.Value.Type) > 0 {
						typ = (*sc.Value.Type)[0]
					}
					op.Params[pr.Value.Name] = typ
				}
				op.RequestProps = requestProps(o.RequestBody)
				s.add(op)
			}
		}
	}
	return nil
}

// requestProps lists the top-level property names of a request body's
// object schemas (every JSON and form media type, allOf branches merged).
// Nil when no schema names a property: then nothing is known.
func requestProps(rb *openapi3.RequestBodyRef) []string {
	if rb == nil || rb.Value == nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func(sc *openapi3.SchemaRef, depth int)
	walk = func(sc *openapi3.SchemaRef, depth int) {
		if sc == nil || sc.Value == nil || depth > 8 {
			return
		}
		for name := range sc.Value.Properties {
			seen[name] = true
		}
		for _, sub := range sc.Value.AllOf {
			walk(sub, depth+1)
		}
	}
	for ct, mt := range rb.Value.Content {
		ct = strings.ToLower(ct)
		if mt == nil || !strings.Contains(ct, "json") && !strings.Contains(ct, "form") {
			continue
		}
		walk(mt.Schema, 0)
	}
	if len(seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func schemeKind(ss *openapi3.SecurityScheme) string {
	switch strings.ToLower(ss.Type) {
	case "http":
		if strings.EqualFold(ss.Scheme, "basic") {
			return "basic"
		}
		return "bearer"
	case "apikey":
		if ss.In == "cookie" {
			return "cookie"
		}
		return "apikey"
	case "oauth2":
		return "bearer"
	case "openidconnect":
		return "bearer"
	}
	return strings.ToLower(ss.Type)
}

type base struct{ host, path string }

// serverBases resolves server URLs (variables take their defaults) into
// hosts and base paths. No servers, or a relative URL, means any host.
func serverBases(servers openapi3.Servers) ([]base, error) {
	if len(servers) == 0 {
		return []base{{AnyHost, ""}}, nil
	}
	var out []base
	seen := map[base]bool{}
	for _, sv := range servers {
		if sv == nil {
			continue
		}
		raw := sv.URL
		for name, v := range sv.Variables {
			if v != nil {
				raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
			}
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("server url %q: %w", sv.URL, err)
		}
		b := base{host: strings.ToLower(u.Host), path: strings.TrimSuffix(u.Path, "/")}
		if b.host == "" {
			b.host = AnyHost
		} else if h, port, ok := strings.Cut(b.host, ":"); ok && (port == "80" && u.Scheme == "http" || port == "443" && u.Scheme == "https") {
			b.host = h
		}
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return []base{{AnyHost, ""}}, nil
	}
	return out, nil
}

func joinPath(base, p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if base == "" || base == "/" {
		return p
	}
	if p == "/" {
		return base
	}
	return base + p
}

func (s *Specs) add(op *Operation) {
	root := s.hosts[op.Host]
	if root == nil {
		root = &specNode{}
		s.hosts[op.Host] = root
	}
	n := root
	rest := trimSlash(op.Template)
	for rest != "" {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if i := strings.IndexByte(seg, '{'); i >= 0 {
			j := strings.IndexByte(seg, '}')
			if j > i {
				pre, suf := seg[:i], seg[j+1:]
				var next *specNode
				for _, p := range n.params {
					if p.prefix == pre && p.suffix == suf {
						next = p.next
					}
				}
				if next == nil {
					next = &specNode{}
					n.params = append(n.params, &specParam{prefix: pre, suffix: suf, next: next})
				}
				n = next
				continue
			}
		}
		if n.lits == nil {
			n.lits = map[string]*specNode{}
		}
		c := n.lits[seg]
		if c == nil {
			c = &specNode{}
			n.lits[seg] = c
		}
		n = c
	}
	if n.ops == nil {
		n.ops = map[string]*Operation{}
	}
	if prev := n.ops[op.Method]; prev != nil {
		return // the first spec that documents an operation wins
	}
	n.ops[op.Method] = op
	s.ops = append(s.ops, op)
}

// link marks operations superseded by a newer documented version.
func (s *Specs) link() {
	type key struct{ host, method, shape string }
	newest := map[key]*Operation{}
	ver := map[*Operation]int{}
	for _, op := range s.ops {
		shape, v := versionShape(op.Template)
		if v < 0 {
			continue
		}
		ver[op] = v
		k := key{op.Host, op.Method, shape}
		if cur := newest[k]; cur == nil || v > ver[cur] {
			newest[k] = op
		}
	}
	for op, v := range ver {
		shape, _ := versionShape(op.Template)
		if n := newest[key{op.Host, op.Method, shape}]; n != nil && ver[n] > v {
			op.Superseded = n.Template
		}
	}
}

// versionShape replaces the first version segment of a template by "v*"
// and parameter names by "{}", and returns the major version (-1 when
// the template has no version segment).
func versionShape(tmpl string) (string, int) {
	segs := strings.Split(tmpl, "/")
	v := -1
	for i, sg := range segs {
		if strings.HasPrefix(sg, "{") {
			segs[i] = "{}"
			continue
		}
		if v < 0 && sg != "" && Classify(sg) == Version {
			d := strings.TrimLeft(sg, "vV")
			n := 0
			for j := 0; j < len(d) && d[j] >= '0' && d[j] <= '9'; j++ {
				n = n*10 + int(d[j]-'0')
			}
			v = n
			segs[i] = "v*"
		}
	}
	return strings.Join(segs, "/"), v
}
