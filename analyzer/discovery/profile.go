package discovery

import (
	"hash/maphash"
	"math"
	"math/bits"
	"net/netip"
	"sort"
	"strings"

	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/apicall"
)

// Auth schemes, as a bit set.
const (
	authNone uint8 = 1 << iota
	authBearer
	authAPIKey
	authBasic
	authCookie
)

var authNames = []string{"none", "bearer", "apikey", "basic", "cookie"}

func authOf(a *apicall.Actor) uint8 {
	switch a.Kind {
	case apicall.ActorJWT, apicall.ActorBearer:
		return authBearer
	case apicall.ActorAPIKey:
		return authAPIKey
	case apicall.ActorBasic:
		return authBasic
	case apicall.ActorSession:
		return authCookie
	}
	return authNone
}

func authList(b uint8) []string {
	out := []string{}
	for i, n := range authNames {
		if b&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// distinct counts distinct 64-bit hashes: exactly up to exactLimit, then
// with a HyperLogLog of 2^12 registers (about 1.6% standard error).
type distinct struct {
	exact map[uint64]struct{}
	regs  []uint8
}

const exactLimit = 1024
const hllP = 12

func (d *distinct) add(h uint64) {
	if d.regs != nil {
		d.hll(h)
		return
	}
	if d.exact == nil {
		d.exact = make(map[uint64]struct{}, 4)
	}
	if _, ok := d.exact[h]; ok {
		return // a read, cheaper than a write, for the actor seen before
	}
	d.exact[h] = struct{}{}
	if len(d.exact) > exactLimit {
		d.regs = make([]uint8, 1<<hllP)
		for x := range d.exact {
			d.hll(x)
		}
		d.exact = nil
	}
}

func (d *distinct) hll(h uint64) {
	idx := h >> (64 - hllP)
	r := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1)) + 1)
	if r > d.regs[idx] {
		d.regs[idx] = r
	}
}

func (d *distinct) merge(o *distinct) {
	if o.regs != nil {
		if d.regs == nil {
			d.regs = make([]uint8, 1<<hllP)
			for x := range d.exact {
				d.hll(x)
			}
			d.exact = nil
		}
		for i, r := range o.regs {
			if r > d.regs[i] {
				d.regs[i] = r
			}
		}
		return
	}
	for x := range o.exact {
		d.add(x)
	}
}

func (d *distinct) count() int64 {
	if d.regs == nil {
		return int64(len(d.exact))
	}
	m := float64(len(d.regs))
	sum, zeros := 0.0, 0
	for _, r := range d.regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros))
	}
	return int64(est + 0.5)
}

var actorSeed = maphash.MakeSeed()

func actorHash(a *apicall.Actor) uint64 {
	if a.User != "" {
		return maphash.String(actorSeed, a.User)
	}
	b := a.ClientIP.As16()
	return maphash.Bytes(actorSeed, b[:]) ^ 0x9e3779b97f4a7c15
}

// Value types inferred for parameters and JSON properties, as bits.
const (
	tString uint8 = 1 << iota
	tInteger
	tNumber
	tBoolean
	tObject
	tArray
	tNull
)

var typeNames = []string{"string", "integer", "number", "boolean", "object", "array", "null"}

// typeName is the single OpenAPI type for a set (integer+number → number;
// anything else mixed → string).
func typeName(t uint8) string {
	t &^= tNull
	switch {
	case t == 0:
		return "string"
	case t&(t-1) == 0:
		return typeNames[bits.TrailingZeros8(t)]
	case t == tInteger|tNumber:
		return "number"
	}
	return "string"
}

// scalarType infers the type of a query or form value.
func scalarType(v string) uint8 {
	if v == "" {
		return tString
	}
	if v == "true" || v == "false" {
		return tBoolean
	}
	i := 0
	if v[0] == '-' {
		i = 1
	}
	dot, digits := false, 0
	for ; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return tString
		}
	}
	if digits == 0 {
		return tString
	}
	if dot {
		return tNumber
	}
	return tInteger
}

// param is a query or form parameter seen on an endpoint.
type param struct {
	calls  int64
	types  uint8
	format Kind // Classify of the values, Mixed when they differ
	seen   bool
}

// caller is one actor of a shadow or zombie endpoint.
type caller struct {
	user   string
	ips    []netip.Addr
	calls  int64
	first  int64
	last   int64
	status map[int]int64
}

// endpoint accumulates the profile of one (host, method, template).
type endpoint struct {
	host, method, tmpl string
	node               *node      // learned endpoints: their tree node
	op                 *Operation // documented endpoints: their spec operation
	pathKnown          bool       // the path is documented for another method
	given              bool       // the template is an operator's (--templates)
	superseded         string     // newer documented version of this path

	calls       int64
	first, last int64
	status      map[int]int64
	actors      distinct
	auth        uint8
	reqCT       map[string]int64
	respCT      map[string]int64
	query       map[string]*param
	form        map[string]*param
	reqSchema   *schema
	respSchema  *schema
	inspected   int64 // bodies scanned for sensitive data and schemas
	maxResp     int64 // longest response body seen (original length)
	sensReq     sensitive.Counts
	sensResp    sensitive.Counts
	callers     map[string]*caller
	moreCallers int64 // calls by actors beyond the callers limit
}

func newEndpoint(host, method, tmpl string) *endpoint {
	return &endpoint{host: host, method: method, tmpl: tmpl, status: make(map[int]int64, 2)}
}

// observe adds one call to the profile. inspect says whether bodies are
// sampled for schemas and sensitive data this time; track whether callers
// are kept (shadow and zombie endpoints).
func (e *endpoint) observe(c *apicall.Call, cfg *Config, track bool) {
	e.calls++
	ts := c.ReqStart
	if e.first == 0 || ts < e.first {
		e.first = ts
	}
	if ts > e.last {
		e.last = ts
	}
	// A call that looks new for the endpoint (a new status, query
	// parameter, or a much longer response) is inspected beyond the
	// sample: that is where data the endpoint never returned shows up.
	novel := false
	if before := len(e.status); before < cfg.MaxStatusCodes {
		e.status[c.Status]++ // one map operation: a count is never 0, so a new status grows the map
		novel = len(e.status) != before
	} else if n := e.status[c.Status]; n > 0 {
		e.status[c.Status] = n + 1
	}
	if l := c.RespBody.Length; l > e.maxResp+e.maxResp/4 {
		novel, e.maxResp = true, l
	}
	e.actors.add(actorHash(&c.Actor))
	e.auth |= authOf(&c.Actor)
	if ct := mediaType(c.ReqBody.ContentType); ct != "" {
		e.reqCT = countKey(e.reqCT, ct, 8)
	}
	if ct := mediaType(c.RespBody.ContentType); ct != "" {
		e.respCT = countKey(e.respCT, ct, 8)
	}
	if c.RawQuery != "" {
		before := len(e.query)
		e.query = params(e.query, c.RawQuery, cfg.MaxParams)
		novel = novel || len(e.query) > before
	}
	if track {
		e.track(c, cfg)
	}
	if novel || e.calls <= int64(cfg.SampleFirst) || e.calls%int64(cfg.SampleEvery) == 0 {
		e.inspect(c, cfg)
	} else if c.Flags.Has(apicall.FlagPIIMasked) {
		// The agent scanned every body and masked a card in this one: a
		// rare response (an ?expand=card) is not lost to sampling.
		e.sensResp[sensitive.Card]++
	}
}

// inspect scans the bodies of a sampled call.
func (e *endpoint) inspect(c *apicall.Call, cfg *Config) {
	e.inspected++
	if d := c.ReqBody.Data; len(d) > 0 {
		sensitive.Scan(d, &e.sensReq)
		switch mediaType(c.ReqBody.ContentType) {
		case "application/x-www-form-urlencoded":
			e.form = params(e.form, string(d), cfg.MaxParams)
		default:
			if isJSON(d) {
				e.reqSchema = inferJSON(e.reqSchema, d, cfg.MaxParams)
			}
		}
	}
	if c.RawQuery != "" {
		sensitive.Scan([]byte(c.RawQuery), &e.sensReq)
	}
	if strings.IndexByte(c.Path, '@') >= 0 || len(c.Path) > 24 {
		sensitive.Scan([]byte(c.Path), &e.sensReq) // emails, keys, cards in the URL
	}
	if d := c.RespBody.Data; len(d) > 0 {
		sensitive.Scan(d, &e.sensResp)
		if c.Status >= 200 && c.Status < 300 && isJSON(d) {
			e.respSchema = inferJSON(e.respSchema, d, cfg.MaxParams)
		}
	}
	if c.Flags.Has(apicall.FlagPIIMasked) && e.sensResp[sensitive.Card] == 0 && e.sensReq[sensitive.Card] == 0 {
		e.sensResp[sensitive.Card]++ // the agent masked a card this call carried
	}
}

func isJSON(d []byte) bool {
	for _, c := range d {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// track keeps the caller of a shadow or zombie call.
func (e *endpoint) track(c *apicall.Call, cfg *Config) {
	key := c.Actor.User
	if key == "" {
		key = "ip:" + c.Actor.ClientIP.String()
	}
	cl := e.callers[key]
	if cl == nil {
		if len(e.callers) >= cfg.MaxCallers {
			e.moreCallers++
			return
		}
		if e.callers == nil {
			e.callers = map[string]*caller{}
		}
		cl = &caller{user: c.Actor.User, first: c.ReqStart, status: map[int]int64{}}
		e.callers[key] = cl
	}
	cl.calls++
	cl.first = min(cl.first, c.ReqStart)
	cl.last = max(cl.last, c.ReqStart)
	if len(cl.status) < cfg.MaxStatusCodes || cl.status[c.Status] > 0 {
		cl.status[c.Status]++
	}
	if ip := c.Actor.ClientIP; ip.IsValid() && len(cl.ips) < 8 {
		found := false
		for _, x := range cl.ips {
			if x == ip {
				found = true
				break
			}
		}
		if !found {
			cl.ips = append(cl.ips, ip)
		}
	}
}

// merge adds o's profile to e (o is being folded into e).
func (e *endpoint) merge(o *endpoint) {
	e.calls += o.calls
	if o.first != 0 && (e.first == 0 || o.first < e.first) {
		e.first = o.first
	}
	e.last = max(e.last, o.last)
	for k, v := range o.status {
		e.status[k] += v
	}
	e.actors.merge(&o.actors)
	e.auth |= o.auth
	for k, v := range o.reqCT {
		e.reqCT = countKeyN(e.reqCT, k, v, 8)
	}
	for k, v := range o.respCT {
		e.respCT = countKeyN(e.respCT, k, v, 8)
	}
	e.query = mergeParams(e.query, o.query)
	e.form = mergeParams(e.form, o.form)
	e.reqSchema = mergeSchema(e.reqSchema, o.reqSchema)
	e.respSchema = mergeSchema(e.respSchema, o.respSchema)
	e.inspected += o.inspected
	e.maxResp = max(e.maxResp, o.maxResp)
	for i := range e.sensReq {
		e.sensReq[i] += o.sensReq[i]
		e.sensResp[i] += o.sensResp[i]
	}
	for k, c := range o.callers {
		if x := e.callers[k]; x != nil {
			x.calls += c.calls
			x.first, x.last = min(x.first, c.first), max(x.last, c.last)
			for s, n := range c.status {
				x.status[s] += n
			}
			continue
		}
		if e.callers == nil {
			e.callers = map[string]*caller{}
		}
		e.callers[k] = c
	}
	e.moreCallers += o.moreCallers
}

// mediaType is the lower-case media type of a Content-Type value.
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for i := 0; i < len(ct); i++ {
		if c := ct[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(ct)
		}
	}
	return ct
}

func countKey(m map[string]int64, k string, limit int) map[string]int64 {
	return countKeyN(m, k, 1, limit)
}

func countKeyN(m map[string]int64, k string, n int64, limit int) map[string]int64 {
	if m == nil {
		m = make(map[string]int64, 1)
	}
	if v, ok := m[k]; ok {
		m[k] = v + n
	} else if len(m) < limit {
		m[strings.Clone(k)] = n
	}
	return m
}

// params records the names and value types of a query or form string.
func params(m map[string]*param, q string, limit int) map[string]*param {
	if m == nil {
		m = make(map[string]*param, 4)
	}
	for q != "" {
		var kv string
		if i := strings.IndexByte(q, '&'); i >= 0 {
			kv, q = q[:i], q[i+1:]
		} else {
			kv, q = q, ""
		}
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if k == "" || len(k) > 64 {
			continue
		}
		p := m[k]
		if p == nil {
			if len(m) >= limit {
				continue
			}
			p = &param{}
			m[strings.Clone(k)] = p
		}
		p.calls++
		p.types |= scalarType(v)
		f := Classify(v)
		if !p.seen {
			p.format, p.seen = f, true
		} else if p.format != f {
			p.format = Mixed
		}
	}
	return m
}

func mergeParams(a, b map[string]*param) map[string]*param {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[string]*param{}
	}
	for k, p := range b {
		if x := a[k]; x != nil {
			x.calls += p.calls
			x.types |= p.types
			if x.format != p.format {
				x.format = Mixed
			}
			continue
		}
		a[k] = p
	}
	return a
}
