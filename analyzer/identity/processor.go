package identity

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/apitap/apitap/apicall"
)

// Processor sets the actor of calls and redacts their secrets.
//
// A Processor is safe for concurrent use: workers may share one, and
// share its cache that way. Its configuration is fixed at New.
type Processor struct {
	key            []byte
	apiKeyHeaders  []string
	redactHeaders  []string
	sessionCookies []string
	trustedProxies []netip.Prefix
	fields         *nameMatcher
	cards          bool
	cache          *actorCache
	headerClasses  memo[int8]

	calls, redacted, masked, dropped atomic.Uint64
}

// Stats are a Processor's counters since New.
type Stats struct {
	Calls          uint64 // calls processed
	RedactedCalls  uint64 // calls with apicall.FlagRedacted set
	MaskedCalls    uint64 // calls with apicall.FlagPIIMasked set
	DroppedBodies  uint64 // bodies dropped because they could not be decoded and checked
	CacheHits      uint64 // credentials found in the cache
	CacheMisses    uint64 // credentials decoded and hashed
	CacheEvictions uint64 // entries evicted to make room; high means CacheSize is small for the traffic
}

// New validates cfg and returns a Processor.
func New(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configure identity: %w", err)
	}
	size := cfg.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	exact := make([]string, 0, len(cfg.SessionCookies)+len(cfg.APIKeyHeaders)+len(cfg.RedactHeaders))
	exact = append(exact, cfg.SessionCookies...)
	exact = append(exact, cfg.APIKeyHeaders...)
	exact = append(exact, cfg.RedactHeaders...)
	p := &Processor{
		key:            append([]byte(nil), cfg.Key...),
		apiKeyHeaders:  append([]string(nil), cfg.APIKeyHeaders...),
		redactHeaders:  append([]string(nil), cfg.RedactHeaders...),
		sessionCookies: append([]string(nil), cfg.SessionCookies...),
		fields:         newNameMatcher(cfg.RedactFields, exact),
		cards:          !cfg.KeepPII,
		cache:          newActorCache(size),
	}
	for _, pr := range cfg.TrustedProxies {
		p.trustedProxies = append(p.trustedProxies, pr.Masked())
	}
	return p, nil
}

// Stats returns the counters.
func (p *Processor) Stats() Stats {
	return Stats{
		Calls:          p.calls.Load(),
		RedactedCalls:  p.redacted.Load(),
		MaskedCalls:    p.masked.Load(),
		DroppedBodies:  p.dropped.Load(),
		CacheHits:      p.cache.hits.Load(),
		CacheMisses:    p.cache.misses.Load(),
		CacheEvictions: p.cache.evictions.Load(),
	}
}

// Sink returns a Sink that processes every call of a batch in place (the
// caller's Calls are modified), then hands the batch to next.
func (p *Processor) Sink(next apicall.Sink) apicall.Sink {
	return apicall.SinkFunc(func(ctx context.Context, calls []apicall.Call) error {
		for i := range calls {
			p.Process(&calls[i])
		}
		return next.Consume(ctx, calls)
	})
}

// creds are the credentials a request carries, read before redaction.
type creds struct {
	auth    string // first Authorization value
	apiKey  string // first non-empty API key header value
	session string // first session cookie value
}

// Process sets c.Actor and redacts the secrets of c in place. Call it once
// per call: a processed call no longer holds the credentials that made its
// actor.
func (p *Processor) Process(c *apicall.Call) {
	p.calls.Add(1)
	var cr creds
	var red, mask bool
	r, m := p.headers(c.ReqHeaders, &cr)
	red, mask = red || r, mask || m
	r, m = p.headers(c.RespHeaders, nil)
	red, mask = red || r, mask || m

	c.Actor = p.actor(&cr)
	c.Actor.ClientIP = p.clientIP(c)

	if c.Path != "" {
		w := rewriter[string]{src: c.Path}
		redactPath(&w, p.fields, c.Path, 0, len(c.Path), p.cards)
		if w.changed() {
			c.Path = string(w.bytes())
			red, mask = red || w.redacted, mask || w.masked
		}
	}
	if c.RawQuery != "" {
		w := rewriter[string]{src: c.RawQuery}
		redactForm(&w, p.fields, c.RawQuery, 0, len(c.RawQuery), p.cards)
		if w.changed() {
			c.RawQuery = string(w.bytes())
			red, mask = red || w.redacted, mask || w.masked
		}
	}
	r, m = p.body(&c.ReqBody)
	red, mask = red || r, mask || m
	r, m = p.body(&c.RespBody)
	red, mask = red || r, mask || m

	if red {
		c.Flags |= apicall.FlagRedacted
		p.redacted.Add(1)
	}
	if mask {
		c.Flags |= apicall.FlagPIIMasked
		p.masked.Add(1)
	}
}

// actor applies the actor rules, first match wins.
func (p *Processor) actor(cr *creds) apicall.Actor {
	scheme, cred := splitAuth(cr.auth)
	var a actorInfo
	switch {
	case cred != "" && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token")):
		a = p.lookup(credBearer, cred)
	case cr.apiKey != "":
		a = p.lookup(credAPIKey, cr.apiKey)
	case cred != "" && strings.EqualFold(scheme, "ApiKey"):
		a = p.lookup(credAPIKey, cred)
	case cred != "" && strings.EqualFold(scheme, "Basic"):
		a = p.lookup(credBasic, cred)
	case cr.session != "":
		a = p.lookup(credSession, cr.session)
	default:
		return apicall.Actor{Kind: apicall.ActorAnonymous}
	}
	return apicall.Actor{
		Kind: a.kind, User: a.user, Issuer: a.issuer, Alg: a.alg,
		Roles: a.roles, Scopes: a.scopes, ExpiresAt: a.exp,
	}
}

// splitAuth splits an Authorization value into scheme and credentials.
func splitAuth(v string) (scheme, cred string) {
	i := strings.IndexByte(v, ' ')
	if i <= 0 {
		return "", ""
	}
	return v[:i], strings.TrimSpace(v[i+1:])
}

// header classes.
const (
	hOther = iota
	hAuthorization
	hProxyAuthorization
	hCookie
	hSetCookie
	hAPIKey
	hSecret // value replaced entirely
	hURL
)

func (p *Processor) classify(name string) int {
	if c, ok := p.headerClasses.get(name); ok {
		return int(c)
	}
	c := p.classifyName(name)
	p.headerClasses.put(name, int8(c))
	return c
}

func (p *Processor) classifyName(name string) int {
	switch len(name) {
	case 6:
		if strings.EqualFold(name, "Cookie") {
			return hCookie
		}
	case 7:
		if strings.EqualFold(name, "Referer") {
			return hURL
		}
	case 8:
		if strings.EqualFold(name, "Location") {
			return hURL
		}
	case 10:
		if strings.EqualFold(name, "Set-Cookie") {
			return hSetCookie
		}
	case 13:
		if strings.EqualFold(name, "Authorization") {
			return hAuthorization
		}
	case 16:
		if strings.EqualFold(name, "Content-Location") {
			return hURL
		}
	case 19:
		if strings.EqualFold(name, "Proxy-Authorization") {
			return hProxyAuthorization
		}
	}
	for _, h := range p.apiKeyHeaders {
		if strings.EqualFold(name, h) {
			return hAPIKey
		}
	}
	for _, h := range p.redactHeaders {
		if strings.EqualFold(name, h) {
			return hSecret
		}
	}
	// CORS headers carry header names and flags (Access-Control-Allow-
	// Credentials: true, Allow-Headers: Authorization), never secrets; the
	// field names would match them and hide what detectors check.
	if len(name) > 15 && strings.EqualFold(name[:15], "Access-Control-") {
		return hOther
	}
	if matchName(p.fields, name) {
		return hSecret
	}
	return hOther
}

// headers redacts h in place; when cr is not nil it first records the
// request's credentials there.
func (p *Processor) headers(h apicall.Headers, cr *creds) (redacted, masked bool) {
	for i := range h {
		v := h[i].Value
		if v == "" {
			continue
		}
		switch p.classify(h[i].Name) {
		case hAuthorization:
			if cr != nil && cr.auth == "" {
				cr.auth = v
			}
			h[i].Value = redactAuth(v)
			redacted = true
		case hProxyAuthorization:
			h[i].Value = redactAuth(v)
			redacted = true
		case hCookie:
			if cr != nil && cr.session == "" {
				cr.session = p.sessionCookie(v)
			}
			h[i].Value = redactCookie(v)
			redacted = true
		case hSetCookie:
			h[i].Value = redactSetCookie(v)
			redacted = true
		case hAPIKey:
			if cr != nil && cr.apiKey == "" {
				cr.apiKey = strings.TrimSpace(v)
			}
			h[i].Value = marker
			redacted = true
		case hSecret:
			h[i].Value = marker
			redacted = true
		case hURL:
			w := rewriter[string]{src: v}
			redactURL(&w, p.fields, v, p.cards)
			if w.changed() {
				h[i].Value = string(w.bytes())
				redacted, masked = redacted || w.redacted, masked || w.masked
			}
		default:
			// Tokens travel in custom headers too (X-Id-Token is caught by
			// name, X-Foo carrying a JWT only by its shape).
			if strings.Contains(v, "eyJ") {
				w := rewriter[string]{src: v}
				scanSecrets(&w, v, 0, len(v), false, false, false)
				if w.changed() {
					h[i].Value = string(w.bytes())
					redacted = true
				}
			}
		}
	}
	return redacted, masked
}

// redactAuth keeps the scheme of an Authorization value, which says how
// the API authenticates, and drops the credentials.
func redactAuth(v string) string {
	scheme, _ := splitAuth(v)
	if scheme == "" || len(scheme) > 32 || !isToken(scheme) {
		return marker
	}
	switch scheme {
	case "Bearer":
		return "Bearer " + marker
	case "Basic":
		return "Basic " + marker
	}
	return scheme + " " + marker
}

// redactCookie keeps cookie names and redacts every value.
func redactCookie(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for pair := range strings.SplitSeq(v, ";") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		if name, _, ok := strings.Cut(pair, "="); ok {
			b.WriteString(strings.TrimSpace(name))
			b.WriteByte('=')
		}
		b.WriteString(marker)
	}
	return b.String()
}

// redactSetCookie redacts the cookie value and keeps its attributes.
func redactSetCookie(v string) string {
	first, attrs, _ := strings.Cut(v, ";")
	name, _, ok := strings.Cut(first, "=")
	if !ok {
		name = ""
	}
	var b strings.Builder
	b.Grow(len(v))
	if ok {
		b.WriteString(strings.TrimSpace(name))
		b.WriteByte('=')
	}
	b.WriteString(marker)
	if attrs != "" {
		b.WriteByte(';')
		b.WriteString(attrs)
	}
	return b.String()
}

// sessionCookie returns the value of the first session cookie in a Cookie
// header value, or "".
func (p *Processor) sessionCookie(v string) string {
	for pair := range strings.SplitSeq(v, ";") {
		name, val, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if val == "" {
			continue
		}
		for _, s := range p.sessionCookies {
			if strings.EqualFold(name, s) {
				return val
			}
		}
	}
	return ""
}

// body kinds.
const (
	bodyOther = iota
	bodyJSON
	bodyForm
	bodyText
)

func classifyBody(ct string, data []byte) int {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	switch {
	case mt == "":
		// Clients often omit Content-Type on JSON requests.
		for _, c := range data {
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				continue
			}
			if c == '{' || c == '[' {
				return bodyJSON
			}
			break
		}
		return bodyText
	case hasSuffixFold(mt, "json"):
		return bodyJSON
	case strings.EqualFold(mt, "application/x-www-form-urlencoded"):
		return bodyForm
	case len(mt) >= 5 && strings.EqualFold(mt[:5], "text/"), hasSuffixFold(mt, "xml"),
		strings.EqualFold(mt, "application/javascript"), strings.EqualFold(mt, "application/graphql"):
		return bodyText
	}
	return bodyOther
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// body redacts b in place.
func (p *Processor) body(b *apicall.Body) (redacted, masked bool) {
	if len(b.Data) == 0 {
		return false, false
	}
	kind := classifyBody(b.ContentType, b.Data)
	if kind == bodyOther {
		return false, false
	}
	if b.DecodeError != "" {
		// Still compressed: a secret inside cannot be found, so the
		// bytes do not leave the node.
		b.Data = nil
		p.dropped.Add(1)
		return true, false
	}
	switch kind {
	case bodyJSON:
		out, r, m := redactJSON(p.fields, b.Data, p.cards)
		if out != nil {
			b.Data = out
		}
		return r, m
	case bodyForm:
		w := rewriter[[]byte]{src: b.Data}
		redactForm(&w, p.fields, b.Data, 0, len(b.Data), p.cards)
		if w.changed() {
			b.Data = w.bytes()
		}
		return w.redacted, w.masked
	default:
		w := rewriter[[]byte]{src: b.Data}
		scanSecrets(&w, b.Data, 0, len(b.Data), p.cards, false, false)
		if w.changed() {
			b.Data = w.bytes()
		}
		return w.redacted, w.masked
	}
}
