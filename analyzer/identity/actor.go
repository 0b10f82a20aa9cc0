package identity

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/apitap/apitap/apicall"
)

// maxClaimValues bounds the roles and scopes kept from one token.
const maxClaimValues = 64

// pseudonym returns kind + ":" + the first 6 bytes of
// HMAC-SHA256(key, kind + ":" + secret) in hex.
func (p *Processor) pseudonym(kind, secret string) string {
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(kind))
	mac.Write([]byte{':'})
	mac.Write([]byte(secret))
	var sum [sha256.Size]byte
	var out [64]byte
	n := copy(out[:], kind)
	out[n] = ':'
	hex.Encode(out[n+1:], mac.Sum(sum[:0])[:6])
	return string(out[:n+1+12])
}

// lookup returns the actor of a credential, from the cache or computed.
func (p *Processor) lookup(kind uint8, secret string) actorInfo {
	k := cacheKey{kind, secret}
	if a, ok := p.cache.get(k); ok {
		return a
	}
	var a actorInfo
	switch kind {
	case credBearer:
		a = p.bearerActor(secret)
	case credAPIKey:
		a = actorInfo{kind: apicall.ActorAPIKey, user: p.pseudonym(apicall.ActorAPIKey, secret)}
	case credBasic:
		a = actorInfo{kind: apicall.ActorBasic, user: p.pseudonym(apicall.ActorBasic, basicUser(secret))}
	case credSession:
		a = actorInfo{kind: apicall.ActorSession, user: p.pseudonym(apicall.ActorSession, secret)}
	}
	p.cache.put(k, a)
	return a
}

// basicUser returns the user name of Basic credentials; credentials that
// do not decode stand for themselves (they are hashed, never shown).
func basicUser(cred string) string {
	b, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(cred, "="))
		if err != nil {
			return cred
		}
	}
	if i := bytes.IndexByte(b, ':'); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// bearerActor decodes a bearer token as a JWT (without verifying it:
// apitap sees traffic, not keys) or falls back to an opaque pseudonym.
func (p *Processor) bearerActor(tok string) actorInfo {
	hdr, claims, ok := decodeJWT(tok)
	if !ok {
		return actorInfo{kind: apicall.ActorBearer, user: p.pseudonym(apicall.ActorBearer, tok)}
	}
	a := actorInfo{kind: apicall.ActorJWT}
	if s, ok := jsonString(hdr["alg"]); ok {
		a.alg = s
	}
	if raw, ok := claims["sub"]; ok {
		if s, ok := jsonString(raw); ok && s != "" {
			a.user = s
		} else if n, ok := jsonNumber(raw); ok {
			a.user = n.String()
		}
	}
	if a.user == "" {
		a.user = p.pseudonym(apicall.ActorJWT, tok)
	}
	a.issuer, _ = jsonString(claims["iss"])
	if n, ok := jsonNumber(claims["exp"]); ok {
		if f, err := n.Float64(); err == nil && f > 0 && f < math.MaxInt64 {
			a.exp = int64(f)
		}
	}
	var roles []string
	for _, name := range []string{"role", "roles", "groups", "cognito:groups"} {
		roles = appendClaimList(roles, claims[name], false)
	}
	if raw, ok := claims["realm_access"]; ok {
		var realm map[string]json.RawMessage
		if json.Unmarshal(raw, &realm) == nil {
			roles = appendClaimList(roles, realm["roles"], false)
		}
	}
	var scopes []string
	scopes = appendClaimList(scopes, claims["scope"], true)
	scopes = appendClaimList(scopes, claims["scp"], true)
	// Capacity equals length: a consumer that appends gets its own copy
	// instead of writing into the array other calls share.
	a.roles = roles[:len(roles):len(roles)]
	a.scopes = scopes[:len(scopes):len(scopes)]
	if len(a.roles) == 0 {
		a.roles = nil
	}
	if len(a.scopes) == 0 {
		a.scopes = nil
	}
	return a
}

// decodeJWT decodes the header and claims of a JWS in compact form.
func decodeJWT(tok string) (hdr, claims map[string]json.RawMessage, ok bool) {
	if !strings.HasPrefix(tok, "eyJ") {
		return nil, nil, false
	}
	h, rest, ok1 := strings.Cut(tok, ".")
	c, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return nil, nil, false
	}
	if decodeSegment(h, &hdr) != nil || decodeSegment(c, &claims) != nil || claims == nil {
		return nil, nil, false
	}
	return hdr, claims, true
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

func jsonNumber(raw json.RawMessage) (json.Number, bool) {
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		s, ok := jsonString(raw)
		if _, err := strconv.ParseFloat(s, 64); !ok || err != nil {
			return "", false
		}
		return json.Number(s), true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	return n, true
}

// appendClaimList appends a claim that is a string or an array of strings;
// split breaks strings at spaces (OAuth "scope").
func appendClaimList(dst []string, raw json.RawMessage, split bool) []string {
	if len(raw) == 0 {
		return dst
	}
	var list []string
	if s, ok := jsonString(raw); ok {
		if split {
			list = strings.Fields(s)
		} else if s != "" {
			list = []string{s}
		}
	} else if raw[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return dst
		}
		for _, it := range items {
			if s, ok := jsonString(it); ok && s != "" {
				list = append(list, s)
			}
		}
	}
	for _, s := range list {
		if len(dst) >= maxClaimValues {
			break
		}
		dup := false
		for _, d := range dst {
			if d == s {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, s)
		}
	}
	return dst
}

// clientIP returns the effective client address of c.
func (p *Processor) clientIP(c *apicall.Call) netip.Addr {
	peer := c.Client.Addr().Unmap()
	if !peer.IsValid() || !p.trusted(peer) {
		return peer
	}
	for i := range c.ReqHeaders {
		if strings.EqualFold(c.ReqHeaders[i].Name, "Forwarded") {
			if a, ok := p.fromForwarded(c.ReqHeaders); ok {
				return a
			}
			break
		}
	}
	if a, ok := p.fromXFF(c.ReqHeaders); ok {
		return a
	}
	return peer
}

func (p *Processor) trusted(a netip.Addr) bool {
	for _, pr := range p.trustedProxies {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// hopWalker walks forwarded-for hops from the nearest (right-most) to the
// farthest. Each hop was appended by the proxy after it, so a hop is
// believed only while every proxy nearer to us is trusted.
type hopWalker struct {
	p    *Processor
	last netip.Addr // the farthest trusted hop seen so far
	done bool
	res  netip.Addr
}

// hop takes the next hop to the left; ok false means stop.
func (w *hopWalker) hop(v string) bool {
	a, ok := parseHop(v)
	if !ok {
		// An unreadable hop came from a client or a proxy we cannot see
		// past: the farthest hop we trust is the answer.
		w.res, w.done = w.last, true
		return false
	}
	if !w.p.trusted(a) {
		w.res, w.done = a, true
		return false
	}
	w.last = a
	return true
}

func (w *hopWalker) result() (netip.Addr, bool) {
	if !w.done {
		w.res = w.last // every hop is a trusted proxy: take the farthest
	}
	return w.res, w.res.IsValid()
}

func (p *Processor) fromXFF(h apicall.Headers) (netip.Addr, bool) {
	w := hopWalker{p: p}
	for i := len(h) - 1; i >= 0 && !w.done; i-- {
		if !strings.EqualFold(h[i].Name, "X-Forwarded-For") {
			continue
		}
		v := h[i].Value
		for end := len(v); end >= 0 && !w.done; {
			start := strings.LastIndexByte(v[:end], ',')
			hop := strings.TrimSpace(v[start+1 : end])
			if hop != "" && !w.hop(hop) {
				break
			}
			end = start
		}
	}
	return w.result()
}

func (p *Processor) fromForwarded(h apicall.Headers) (netip.Addr, bool) {
	w := hopWalker{p: p}
	for i := len(h) - 1; i >= 0 && !w.done; i-- {
		if !strings.EqualFold(h[i].Name, "Forwarded") {
			continue
		}
		v := h[i].Value
		for end := len(v); end >= 0 && !w.done; {
			start := strings.LastIndexByte(v[:end], ',')
			if f, ok := forwardedFor(v[start+1 : end]); ok && !w.hop(f) {
				break
			}
			end = start
		}
	}
	return w.result()
}

// forwardedFor returns the for= parameter of one Forwarded element.
func forwardedFor(elem string) (string, bool) {
	for elem != "" {
		var pair string
		pair, elem, _ = strings.Cut(elem, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
			return strings.Trim(strings.TrimSpace(v), `"`), true
		}
	}
	return "", false
}

// parseHop reads "1.2.3.4", "1.2.3.4:80", "2001:db8::1" or "[2001:db8::1]:80".
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if len(s) > 2 && s[0] == '[' {
		if i := strings.IndexByte(s, ']'); i > 0 {
			if a, err := netip.ParseAddr(s[1:i]); err == nil {
				return a.Unmap(), true
			}
		}
	}
	return netip.Addr{}, false
}
