package discovery

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/apicall"
)

// Config bounds the inventory and tunes the statistical templating rule.
type Config struct {
	// MaxHosts is the number of distinct hosts inventoried; calls to more
	// hosts are counted (Stats.ShedHosts) and not inventoried. Default 4096.
	MaxHosts int
	// MaxNodesPerHost bounds the learned path tree of a host; past it, new
	// literal segments are folded into a parameter (Stats.ForcedParams).
	// Default 20000.
	MaxNodesPerHost int
	// MaxEndpoints bounds the endpoints kept over all hosts; calls to new
	// endpoints past it are counted (Stats.ShedEndpoints). Default 100000.
	MaxEndpoints int
	// MinSiblings is the number of distinct plain-word values a position
	// needs before the statistical rule may make it a parameter. Default 5.
	MinSiblings int
	// ManySiblings is the number of distinct values that make a parameter
	// even when each value repeats. Default 32.
	ManySiblings int
	// Similarity is the share of sibling values whose sub-paths have the
	// same shape, required by the statistical rule, in (0, 1]. Default 0.8.
	Similarity float64
	// MaxCallers is the number of distinct actors kept per shadow or zombie
	// endpoint for findings; later ones are counted together. Default 32.
	MaxCallers int
	// SampleFirst is the number of calls per endpoint whose bodies are all
	// inspected (schemas, body parameters, sensitive data). Default 32.
	SampleFirst int
	// SampleEvery: after SampleFirst, one call in SampleEvery is inspected.
	// Inspection (a JSON decode and a sensitive-data scan) costs ~50 times
	// the rest of the stage per call. Default 128.
	SampleEvery int
	// MaxParams bounds query, form and JSON property names kept per
	// endpoint (and per object level). Default 64.
	MaxParams int
	// MaxStatusCodes bounds the distinct status codes counted per endpoint.
	// Default 32.
	MaxStatusCodes int
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{MaxHosts: 4096, MaxNodesPerHost: 20000, MaxEndpoints: 100000, MinSiblings: 5, ManySiblings: 32,
		Similarity: 0.8, MaxCallers: 32, SampleFirst: 32, SampleEvery: 128, MaxParams: 64, MaxStatusCodes: 32}
}

// Validate reports every invalid field, joined.
func (c Config) Validate() error {
	var errs []error
	pos := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s %d: must be positive", name, v))
		}
	}
	pos("max hosts", c.MaxHosts)
	pos("max nodes per host", c.MaxNodesPerHost)
	pos("max endpoints", c.MaxEndpoints)
	pos("max callers", c.MaxCallers)
	pos("sample every", c.SampleEvery)
	pos("max params", c.MaxParams)
	pos("max status codes", c.MaxStatusCodes)
	if c.MinSiblings < 2 {
		errs = append(errs, fmt.Errorf("min siblings %d: must be at least 2", c.MinSiblings))
	}
	if c.ManySiblings < c.MinSiblings {
		errs = append(errs, fmt.Errorf("many siblings %d: must be at least min siblings (%d)", c.ManySiblings, c.MinSiblings))
	}
	if !(c.Similarity > 0 && c.Similarity <= 1) {
		errs = append(errs, fmt.Errorf("similarity %g: must be in (0, 1]", c.Similarity))
	}
	if c.SampleFirst < 0 {
		errs = append(errs, fmt.Errorf("sample first %d: must not be negative", c.SampleFirst))
	}
	return errors.Join(errs...)
}

// Match is what the endpoint stage tells about one call: the endpoint it
// hit and what the specs say about it. It holds no reference into the
// inventory and stays valid after later calls.
type Match struct {
	Host     string // host of the call, lower case, port kept
	Method   string
	Template string // e.g. /api/v2/orders/{orderId}; "" when the call was not inventoried (limits)
	// Classification is report.Documented, Shadow, Zombie or Unknown (no
	// spec covers the host). A learned template may still change while
	// traffic grows (a position becoming a parameter); the final
	// classification is the one Endpoints reports.
	Classification string
	Deprecated     bool   // deprecated: true in the spec
	Superseded     string // newer documented version of this path, if any
	// Spec is the documented operation, nil for shadow and unknown calls.
	// It carries the security requirement, tags and operationId.
	Spec *Operation
}

// Stats counts what the inventory shed to stay bounded.
type Stats struct {
	Calls         int64 // calls observed
	ShedHosts     int64 // calls to hosts beyond MaxHosts
	ShedEndpoints int64 // calls to new endpoints beyond MaxEndpoints
	ForcedParams  int64 // segments folded into a parameter by MaxNodesPerHost
	ShedConstants int64 // constant-word evidence not kept: words past maxConstant, parameters past maxSlots per host
	Hosts         int
	Endpoints     int
}

// Inventory is the endpoint stage: it templates the path of every call,
// keeps one profile per (host, method, template), and classifies endpoints
// against the specs.
//
// Observe, Endpoints, Findings and Stats are safe for concurrent use (a
// mutex serializes them); Observe is meant to be called from the one
// goroutine that owns the stage.
type Inventory struct {
	mu    sync.Mutex
	cfg   Config
	specs *Specs
	tmpls *Templates // operator's templates (--templates), after specs
	hosts map[string]*hostInv
	specE map[*Operation]*endpoint
	nEps  int
	stats Stats
}

// hostInv is the inventory of one host.
type hostInv struct {
	name    string
	covered bool // some spec documents this host
	tree    *tree
	extra   map[string]*endpoint     // documented paths called with an undocumented method, key method+" "+template
	given   map[string]*endpoint     // paths an operator's template matches, key method+" "+template
	ops     map[*Operation]*endpoint // operations of host-less specs, seen on this host
}

// New returns an empty inventory; specs may be nil (every host unknown).
func New(cfg Config, specs *Specs) (*Inventory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("discovery config: %w", err)
	}
	inv := &Inventory{cfg: cfg, specs: specs, hosts: map[string]*hostInv{}, specE: map[*Operation]*endpoint{}}
	for _, op := range specs.Operations() {
		inv.specE[op] = newEndpoint(op.Host, op.Method, op.Template)
		inv.specE[op].op = op
	}
	return inv, nil
}

// SetTemplates gives the operator's path templates (--templates): a call
// no spec matches takes the template its path matches, if any, instead of
// a learned one. Call it before the first Observe.
func (inv *Inventory) SetTemplates(t *Templates) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.tmpls = t
}

// normHost drops a default port.
func normHost(h string) string {
	if strings.HasSuffix(h, ":80") {
		return h[:len(h)-3]
	}
	if strings.HasSuffix(h, ":443") {
		return h[:len(h)-4]
	}
	return h
}

// Observe adds one call to the inventory and returns the endpoint it hit.
// The call is not kept.
func (inv *Inventory) Observe(c *apicall.Call) Match {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.stats.Calls++
	host := normHost(c.Host)
	if host == "" && c.Server.IsValid() {
		host = c.Server.String() // HTTP/1.0 without Host: the server address
	}
	m := Match{Host: host, Method: c.Method}
	h := inv.hosts[host]
	if h == nil {
		if len(inv.hosts) >= inv.cfg.MaxHosts {
			inv.stats.ShedHosts++
			return m
		}
		h = &hostInv{name: strings.Clone(host), covered: inv.specs.Covers(host)}
		h.tree = newTree(&inv.cfg, inv)
		inv.hosts[h.name] = h
		m.Host = h.name
	} else {
		m.Host = h.name
	}
	path := stripPathParams(c.Path)
	if path == "" {
		path = "/"
	}
	var e *endpoint
	track := false
	if h.covered {
		op, ptmpl, known := inv.specs.Lookup(host, c.Method, path)
		switch {
		case op != nil:
			e = inv.specE[op]
			if op.Host == AnyHost {
				e = h.ops[op]
				if e == nil {
					if h.ops == nil {
						h.ops = map[*Operation]*endpoint{}
					}
					e = newEndpoint(h.name, op.Method, op.Template)
					e.op = op
					h.ops[op] = e
					inv.nEps++
				}
			}
			m.Spec, m.Deprecated, m.Superseded = op, op.Deprecated, op.Superseded
			track = op.Deprecated
		case known:
			if e = inv.keyed(&h.extra, h.name, c.Method, ptmpl); e == nil {
				return m
			}
			e.pathKnown = true
			track = true
		}
	}
	if e == nil {
		if op := inv.tmpls.lookup(host, path); op != nil {
			if e = inv.keyed(&h.given, h.name, c.Method, op.Template); e == nil {
				return m
			}
			e.given = true
		}
	}
	if e == nil {
		n := h.tree.walk(path)
		for _, x := range n.eps {
			if x.method == c.Method {
				e = x
				break
			}
		}
		if e == nil {
			if inv.nEps >= inv.cfg.MaxEndpoints {
				inv.stats.ShedEndpoints++
				return m
			}
			e = newEndpoint(h.name, strings.Clone(c.Method), n.template())
			h.tree.attach(n, e)
			inv.nEps++
		}
	}
	if e.op == nil && !e.pathKnown {
		if h.covered {
			if e.superseded == "" {
				e.superseded = inv.supersededBy(h.name, e.method, e.tmpl)
			}
			m.Superseded = e.superseded
			track = true
		}
	}
	m.Method = e.method
	m.Template = e.tmpl
	e.observe(c, &inv.cfg, track)
	m.Classification = inv.classify(h, e)
	return m
}

// keyed finds or makes the endpoint of (method, tmpl) in *eps, keyed
// method+" "+tmpl; nil when the endpoint bound is reached (counted).
func (inv *Inventory) keyed(eps *map[string]*endpoint, host, method, tmpl string) *endpoint {
	key := method + " " + tmpl
	if e := (*eps)[key]; e != nil {
		return e
	}
	if inv.nEps >= inv.cfg.MaxEndpoints {
		inv.stats.ShedEndpoints++
		return nil
	}
	if *eps == nil {
		*eps = map[string]*endpoint{}
	}
	e := newEndpoint(host, strings.Clone(method), tmpl)
	(*eps)[key] = e
	inv.nEps++
	return e
}

func (inv *Inventory) dropEndpoint(*endpoint) { inv.nEps-- }

// supersededBy finds a documented newer version of a learned template.
func (inv *Inventory) supersededBy(host, method, tmpl string) string {
	shape, v := versionShape(tmpl)
	if v < 0 {
		return ""
	}
	best, bestV := "", v
	for _, op := range inv.specs.Operations() {
		if op.Method != method || op.Host != host && op.Host != AnyHost {
			continue
		}
		s, ov := versionShape(op.Template)
		if s == shape && ov > bestV {
			best, bestV = op.Template, ov
		}
	}
	return best
}

func (inv *Inventory) classify(h *hostInv, e *endpoint) string {
	switch {
	case e.op != nil && e.calls == 0:
		return report.Dormant
	case e.op != nil && e.op.Deprecated:
		return report.Zombie // a documented, non-deprecated older version stays documented
	case e.op != nil:
		return report.Documented
	case h == nil || !h.covered:
		return report.Unknown
	case e.superseded != "":
		return report.Zombie
	}
	return report.Shadow
}

// Stats returns the counters of what was shed.
func (inv *Inventory) Stats() Stats {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	s := inv.stats
	s.Hosts = len(inv.hosts)
	s.Endpoints = inv.nEps
	return s
}

// UncoveredHosts lists the hosts seen in traffic that no spec documents,
// sorted. Empty when no spec was given is not special: every host is
// listed then.
func (inv *Inventory) UncoveredHosts() []string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var out []string
	for name, h := range inv.hosts {
		if !h.covered {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// all returns every endpoint with its host inventory (nil for dormant
// spec endpoints of hosts never seen).
func (inv *Inventory) all() []epRef {
	var out []epRef
	for _, h := range inv.hosts {
		var walk func(n *node)
		walk = func(n *node) {
			for _, e := range n.eps {
				out = append(out, epRef{h, e})
			}
			for _, c := range n.lits {
				walk(c)
			}
			if n.pchild != nil {
				walk(n.pchild)
			}
		}
		walk(h.tree.root)
		for _, e := range h.extra {
			out = append(out, epRef{h, e})
		}
		for _, e := range h.given {
			out = append(out, epRef{h, e})
		}
		for _, e := range h.ops {
			out = append(out, epRef{h, e})
		}
	}
	for _, op := range inv.specs.Operations() {
		if op.Host != AnyHost {
			out = append(out, epRef{inv.hosts[op.Host], inv.specE[op]})
			continue
		}
		seen := false
		for _, h := range inv.hosts {
			if h.ops[op] != nil {
				seen = true
				break
			}
		}
		if !seen {
			out = append(out, epRef{nil, inv.specE[op]}) // dormant, on any host
		}
	}
	return out
}

type epRef struct {
	h *hostInv
	e *endpoint
}

func ts(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// Endpoints returns the inventory: every seen endpoint and every dormant
// documented one, sorted by host, path, method.
func (inv *Inventory) Endpoints() []report.Endpoint {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	refs := inv.all()
	out := make([]report.Endpoint, 0, len(refs))
	for _, r := range refs {
		e := r.e
		if e.op == nil && e.superseded == "" && r.h != nil && r.h.covered {
			e.superseded = inv.supersededBy(r.h.name, e.method, e.tmpl)
		}
		class := inv.classify(r.h, e)
		rep := report.Endpoint{Kind: "endpoint", Host: e.host, Method: e.method, Path: e.tmpl, Classification: class,
			Deprecated: e.op != nil && e.op.Deprecated, Calls: e.calls, Actors: e.actors.count(),
			Status: map[string]int{}, FirstSeen: ts(e.first), LastSeen: ts(e.last), Auth: authList(e.auth)}
		if e.calls == 0 {
			rep.Auth = []string{}
		}
		for code, n := range e.status {
			rep.Status[strconv.Itoa(code)] = int(n)
		}
		sens := map[string]int64{}
		for i := range e.sensReq {
			if n := int64(e.sensReq[i]) + int64(e.sensResp[i]); n > 0 {
				sens[sensitive.Class(i).String()] = n
			}
		}
		rep.Sensitive = make([]string, 0, len(sens))
		for k := range sens {
			rep.Sensitive = append(rep.Sensitive, k)
		}
		sort.Strings(rep.Sensitive)
		rep.Extra = inv.extra(e, sens)
		out = append(out, rep)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return out
}

// extra is the per-endpoint profile beyond the stable fields.
func (inv *Inventory) extra(e *endpoint, sens map[string]int64) map[string]any {
	x := map[string]any{}
	if e.op != nil {
		if e.op.OperationID != "" {
			x["operation_id"] = e.op.OperationID
		}
		if e.op.Superseded != "" {
			x["superseded_by"] = e.op.Superseded
		}
	} else if e.superseded != "" {
		x["superseded_by"] = e.superseded
	}
	if e.given {
		if op := inv.tmpls.lookup(e.host, e.tmpl); op != nil {
			x["template_file"] = op.File // a template matches itself
		}
	}
	// Copies: the caller reads the record after the lock is released while
	// Observe keeps counting (the analyzer writes snapshots mid-stream).
	if len(e.reqCT) > 0 {
		x["request_content_types"] = maps.Clone(e.reqCT)
	}
	if len(e.respCT) > 0 {
		x["response_content_types"] = maps.Clone(e.respCT)
	}
	if q := paramTypes(e.query); q != nil {
		x["query_params"] = q
	}
	if f := paramTypes(e.form); f != nil {
		x["body_params"] = f
	} else if b := e.reqSchema.propNames(); b != nil {
		x["body_params"] = b
	}
	if r := e.respSchema.propNames(); r != nil {
		x["response_fields"] = r
	}
	if len(sens) > 0 {
		x["sensitive_counts"] = sens
		x["inspected_calls"] = e.inspected
	}
	if e.node != nil {
		var ev []map[string]any
		for _, p := range e.node.params() {
			m := map[string]any{"name": p.name, "kind": p.kind.String()}
			if p.kind == Word || p.kind == Mixed && p.values > 0 {
				m["rule"] = p.rule.String()
				m["distinct_values"] = p.values
				m["confidence"] = float64(int(p.confidence*1000)) / 1000
				m["examples"] = p.samples
			}
			ev = append(ev, m)
		}
		if ev != nil {
			x["path_params"] = ev
		}
	}
	if len(x) == 0 {
		return nil
	}
	return x
}

func paramTypes(m map[string]*param) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, p := range m {
		out[k] = typeName(p.types)
	}
	return out
}

// Findings returns one shadow_api or zombie_api finding per (endpoint,
// caller) of the shadow and zombie endpoints, sorted by ID. Callers past
// Config.MaxCallers are folded into one finding without a user.
func (inv *Inventory) Findings() []report.Finding {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var out []report.Finding
	for _, r := range inv.all() {
		e := r.e
		if e.calls == 0 || r.h == nil || !r.h.covered {
			continue
		}
		class := inv.classify(r.h, e)
		var typ, why string
		switch class {
		case report.Shadow:
			typ, why = "shadow_api", "no spec documents it"
			if e.pathKnown {
				why = "the spec documents this path, not this method"
			}
		case report.Zombie:
			typ, why = "zombie_api", "it is deprecated in the spec"
			if e.op == nil && e.superseded != "" {
				why = "it is an older version of the documented " + e.superseded
			}
		default:
			continue
		}
		endpoint := e.method + " " + e.tmpl
		keys := make([]string, 0, len(e.callers))
		for k := range e.callers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cl := e.callers[k]
			who := cl.user
			if who == "" {
				who = "anonymous caller " + strings.TrimPrefix(k, "ip:")
			}
			ips := make([]string, len(cl.ips))
			for i, ip := range cl.ips {
				ips[i] = ip.String()
			}
			status := map[string]int64{}
			for s, n := range cl.status {
				status[strconv.Itoa(s)] = n
			}
			f := report.Finding{Kind: "finding", ID: findingID(typ, r.h.name, endpoint, k), Type: typ, OWASP: "API9:2023",
				Severity: report.SeverityMedium, User: cl.user, ClientIPs: ips, Endpoint: endpoint, Host: r.h.name,
				FirstSeen: ts(cl.first), LastSeen: ts(cl.last), Count: cl.calls,
				Summary: fmt.Sprintf("%s called %s on %s %d times, and %s", who, endpoint, r.h.name, cl.calls, why),
				Evidence: map[string]any{"classification": class, "calls": cl.calls, "status": status,
					"endpoint_calls": e.calls, "endpoint_actors": e.actors.count()}}
			if len(e.sensResp.Names()) > 0 {
				f.Severity = report.SeverityHigh // it returns sensitive data
				f.Evidence["sensitive"] = e.sensResp.Names()
			}
			if e.superseded != "" {
				f.Evidence["superseded_by"] = e.superseded
			}
			out = append(out, f)
		}
		if e.moreCallers > 0 {
			out = append(out, report.Finding{Kind: "finding", ID: findingID(typ, r.h.name, endpoint, "*"), Type: typ, OWASP: "API9:2023",
				Severity: report.SeverityMedium, ClientIPs: []string{}, Endpoint: endpoint, Host: r.h.name,
				FirstSeen: ts(e.first), LastSeen: ts(e.last), Count: e.moreCallers,
				Summary:  fmt.Sprintf("%d more calls to %s on %s by other callers, and %s", e.moreCallers, endpoint, r.h.name, why),
				Evidence: map[string]any{"classification": class, "calls": e.moreCallers, "callers_limit": inv.cfg.MaxCallers}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// findingID is a stable hash of type, host, endpoint and actor.
func findingID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:8])
}

// Template returns the template a path of host resolves to in the current
// inventory, without observing anything ("" when the shape is unknown or a
// spec path matches with another method).
func (inv *Inventory) Template(host, method, path string) string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	host = normHost(host)
	path = stripPathParams(path)
	if op, _, _ := inv.specs.Lookup(host, method, path); op != nil {
		return op.Template
	}
	if op := inv.tmpls.lookup(host, path); op != nil {
		return op.Template
	}
	h := inv.hosts[host]
	if h == nil {
		return ""
	}
	if n := h.tree.find(path); n != nil {
		return n.template()
	}
	return ""
}
