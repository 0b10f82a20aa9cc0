package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newTestProcessor(t testing.TB, edit func(*Config)) *Processor {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Key = testKey
	if edit != nil {
		edit(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// makeJWT builds an unsigned-looking JWS from header and claims.
func makeJWT(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + ".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func newCall(headers ...string) apicall.Call {
	c := apicall.Call{
		Client: netip.MustParseAddrPort("198.51.100.7:40000"),
		Server: netip.MustParseAddrPort("10.0.0.1:443"),
		Host:   "api.shop.test", Method: "GET", Path: "/api/v2/orders/1", Proto: "HTTP/1.1",
	}
	for i := 0; i+1 < len(headers); i += 2 {
		c.ReqHeaders = append(c.ReqHeaders, apicall.Header{Name: headers[i], Value: headers[i+1]})
	}
	return c
}

var pseudoRE = regexp.MustCompile(`^(jwt|bearer|apikey|basic|session):[0-9a-f]{12}$`)

func TestActorRules(t *testing.T) {
	p := newTestProcessor(t, nil)
	full := makeJWT(t, map[string]any{"alg": "RS256", "typ": "JWT"}, map[string]any{
		"sub": "user-017", "iss": "https://idp.shop.test", "exp": 1767268800,
		"roles": []string{"admin", "viewer"}, "realm_access": map[string]any{"roles": []string{"ops"}},
		"cognito:groups": []string{"admin", "eu"}, "scope": "orders:read orders:write", "scp": []string{"profile"},
	})
	noSub := makeJWT(t, map[string]any{"alg": "none"}, map[string]any{"iss": "x", "role": "guest", "groups": "g1"})
	numSub := makeJWT(t, map[string]any{"alg": "HS256"}, map[string]any{"sub": 12345})

	tests := []struct {
		name    string
		headers []string
		kind    string
		user    string // exact, or "pseudo:<pseudonym of kind:secret>"
		check   func(t *testing.T, a apicall.Actor)
	}{
		{name: "jwt", headers: []string{"Authorization", "Bearer " + full}, kind: apicall.ActorJWT, user: "user-017",
			check: func(t *testing.T, a apicall.Actor) {
				if a.Issuer != "https://idp.shop.test" || a.Alg != "RS256" || a.ExpiresAt != 1767268800 {
					t.Errorf("claims = %+v", a)
				}
				if want := []string{"admin", "viewer", "eu", "ops"}; !slices.Equal(a.Roles, want) {
					t.Errorf("roles = %q, want %q", a.Roles, want)
				}
				if want := []string{"orders:read", "orders:write", "profile"}; !slices.Equal(a.Scopes, want) {
					t.Errorf("scopes = %q, want %q", a.Scopes, want)
				}
			}},
		{name: "jwt lower-case scheme", headers: []string{"authorization", "bearer " + full}, kind: apicall.ActorJWT, user: "user-017"},
		{name: "jwt without sub", headers: []string{"Authorization", "Bearer " + noSub}, kind: apicall.ActorJWT,
			user: "pseudo:" + p.pseudonym("jwt", noSub),
			check: func(t *testing.T, a apicall.Actor) {
				if a.Alg != "none" || a.Issuer != "x" || !slices.Equal(a.Roles, []string{"guest", "g1"}) {
					t.Errorf("claims = %+v", a)
				}
			}},
		{name: "jwt numeric sub", headers: []string{"Authorization", "Bearer " + numSub}, kind: apicall.ActorJWT, user: "12345"},
		{name: "opaque bearer", headers: []string{"Authorization", "Bearer ya29.a0AfH6SMopaque"}, kind: apicall.ActorBearer,
			user: "pseudo:" + p.pseudonym("bearer", "ya29.a0AfH6SMopaque")},
		{name: "eyJ but not a JWT", headers: []string{"Authorization", "Bearer eyJnot.a.jwt"}, kind: apicall.ActorBearer,
			user: "pseudo:" + p.pseudonym("bearer", "eyJnot.a.jwt")},
		{name: "token scheme", headers: []string{"Authorization", "Token ghp_abcdef"}, kind: apicall.ActorBearer,
			user: "pseudo:" + p.pseudonym("bearer", "ghp_abcdef")},
		{name: "api key header", headers: []string{"X-API-Key", "k-123"}, kind: apicall.ActorAPIKey,
			user: "pseudo:" + p.pseudonym("apikey", "k-123")},
		{name: "api key header any case", headers: []string{"api-key", " k-123 "}, kind: apicall.ActorAPIKey,
			user: "pseudo:" + p.pseudonym("apikey", "k-123")},
		{name: "authorization apikey", headers: []string{"Authorization", "ApiKey k-123"}, kind: apicall.ActorAPIKey,
			user: "pseudo:" + p.pseudonym("apikey", "k-123")},
		{name: "bearer beats api key", headers: []string{"X-API-Key", "k-123", "Authorization", "Bearer " + full},
			kind: apicall.ActorJWT, user: "user-017"},
		{name: "api key beats basic", headers: []string{"Authorization", basic("alice", "pw"), "X-API-Key", "k-123"},
			kind: apicall.ActorAPIKey, user: "pseudo:" + p.pseudonym("apikey", "k-123")},
		{name: "basic", headers: []string{"Authorization", basic("alice", "hunter2")}, kind: apicall.ActorBasic,
			user: "pseudo:" + p.pseudonym("basic", "alice")},
		{name: "basic other password same actor", headers: []string{"Authorization", basic("alice", "letmein")},
			kind: apicall.ActorBasic, user: "pseudo:" + p.pseudonym("basic", "alice")},
		{name: "basic beats session", headers: []string{"Cookie", "session=s1", "Authorization", basic("alice", "x")},
			kind: apicall.ActorBasic, user: "pseudo:" + p.pseudonym("basic", "alice")},
		{name: "session cookie", headers: []string{"Cookie", "theme=dark; JSESSIONID=ABC123; other=1"}, kind: apicall.ActorSession,
			user: "pseudo:" + p.pseudonym("session", "ABC123")},
		{name: "session cookie second header", headers: []string{"Cookie", "theme=dark", "Cookie", "connect.sid=s%3Axyz"},
			kind: apicall.ActorSession, user: "pseudo:" + p.pseudonym("session", "s%3Axyz")},
		{name: "non-session cookie", headers: []string{"Cookie", "theme=dark"}, kind: apicall.ActorAnonymous},
		{name: "empty bearer", headers: []string{"Authorization", "Bearer "}, kind: apicall.ActorAnonymous},
		{name: "anonymous", headers: []string{"Accept", "*/*"}, kind: apicall.ActorAnonymous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCall(tt.headers...)
			p.Process(&c)
			a := c.Actor
			if a.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", a.Kind, tt.kind)
			}
			want := strings.TrimPrefix(tt.user, "pseudo:")
			if a.User != want {
				t.Errorf("user = %q, want %q", a.User, want)
			}
			if strings.HasPrefix(tt.user, "pseudo:") && !pseudoRE.MatchString(a.User) {
				t.Errorf("user %q is not a pseudonym", a.User)
			}
			if a.ClientIP != netip.MustParseAddr("198.51.100.7") {
				t.Errorf("client ip = %v", a.ClientIP)
			}
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func TestPseudonymStableAndKeyed(t *testing.T) {
	p1 := newTestProcessor(t, nil)
	p2 := newTestProcessor(t, nil) // a new run with the same key
	p3 := newTestProcessor(t, func(c *Config) { c.Key = []byte("another-key-0123456789") })
	for _, h := range [][]string{
		{"X-API-Key", "k-123"},
		{"Authorization", basic("alice", "pw")},
		{"Authorization", "Bearer opaque-token"},
		{"Cookie", "sid=abc"},
	} {
		c1, c1again, c2, c3 := newCall(h...), newCall(h...), newCall(h...), newCall(h...)
		p1.Process(&c1)
		p1.Process(&c1again) // from the cache
		p2.Process(&c2)
		p3.Process(&c3)
		if c1.Actor.User == "" || c1.Actor.User != c1again.Actor.User || c1.Actor.User != c2.Actor.User {
			t.Errorf("%s: pseudonyms %q %q %q not stable", h[0], c1.Actor.User, c1again.Actor.User, c2.Actor.User)
		}
		if c3.Actor.User == c1.Actor.User {
			t.Errorf("%s: another key gave the same pseudonym %q", h[0], c3.Actor.User)
		}
	}
	// Kinds are separate key spaces: one secret, two kinds, two pseudonyms.
	if p1.pseudonym("apikey", "s") == p1.pseudonym("session", "s")[len("session:"):] {
		t.Error("kinds share pseudonyms")
	}
	st := p1.Stats()
	if st.CacheHits < 4 || st.CacheMisses < 4 {
		t.Errorf("stats = %+v", st)
	}
}

func TestClientIP(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	})
	tests := []struct {
		name    string
		peer    string
		headers []string
		want    string
	}{
		{"untrusted peer ignores xff", "198.51.100.7:1", []string{"X-Forwarded-For", "203.0.113.9"}, "198.51.100.7"},
		{"untrusted peer ignores forwarded", "198.51.100.7:1", []string{"Forwarded", "for=203.0.113.9"}, "198.51.100.7"},
		{"trusted peer no header", "10.1.1.1:1", nil, "10.1.1.1"},
		{"trusted peer xff", "10.1.1.1:1", []string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
		{"right-most untrusted", "10.1.1.1:1", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.9, 10.2.2.2"}, "203.0.113.9"},
		{"spoofed left part ignored", "10.1.1.1:1", []string{"X-Forwarded-For", "6.6.6.6,203.0.113.9"}, "203.0.113.9"},
		{"several xff headers", "10.1.1.1:1", []string{"X-Forwarded-For", "6.6.6.6", "X-Forwarded-For", "203.0.113.9, 10.3.3.3"}, "203.0.113.9"},
		{"all trusted takes farthest", "10.1.1.1:1", []string{"X-Forwarded-For", "10.9.9.9, 10.2.2.2"}, "10.9.9.9"},
		{"xff with port", "10.1.1.1:1", []string{"X-Forwarded-For", "203.0.113.9:5555"}, "203.0.113.9"},
		{"garbage hop stops", "10.1.1.1:1", []string{"X-Forwarded-For", "203.0.113.9, garbage, 10.2.2.2"}, "10.2.2.2"},
		{"garbage only", "10.1.1.1:1", []string{"X-Forwarded-For", "garbage"}, "10.1.1.1"},
		{"forwarded", "10.1.1.1:1", []string{"Forwarded", `for=6.6.6.6, for="[2001:db8::17]:4711";proto=https, for=10.2.2.2;by=10.1.1.1`}, "2001:db8::17"},
		{"forwarded preferred", "10.1.1.1:1", []string{"X-Forwarded-For", "7.7.7.7", "Forwarded", "for=203.0.113.9"}, "203.0.113.9"},
		{"forwarded obfuscated", "10.1.1.1:1", []string{"Forwarded", "for=_hidden, for=10.2.2.2"}, "10.2.2.2"},
		{"ipv6 trusted peer", "[fd00::1]:1", []string{"X-Forwarded-For", "2001:db8::5"}, "2001:db8::5"},
		{"v4-mapped peer", "[::ffff:10.1.1.1]:1", []string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCall(tt.headers...)
			c.Client = netip.MustParseAddrPort(tt.peer)
			p.Process(&c)
			if got := c.Actor.ClientIP.String(); got != tt.want {
				t.Errorf("client ip = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default with key", func(c *Config) { c.Key = testKey }, true},
		{"no key", func(c *Config) {}, false},
		{"short key", func(c *Config) { c.Key = []byte("short") }, false},
		{"empty field", func(c *Config) { c.Key = testKey; c.RedactFields = []string{""} }, false},
		{"bad word", func(c *Config) { c.Key = testKey; c.RedactFields = []string{"=a_b"} }, false},
		{"bad header", func(c *Config) { c.Key = testKey; c.RedactHeaders = []string{"X Bad"} }, false},
		{"negative cache", func(c *Config) { c.Key = testKey; c.CacheSize = -1 }, false},
		{"bad prefix", func(c *Config) { c.Key = testKey; c.TrustedProxies = []netip.Prefix{{}} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
			if _, err := New(cfg); (err == nil) != tt.ok {
				t.Errorf("New() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestCacheBounded(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.CacheSize = 32 })
	for i := range 200 {
		c := newCall("X-API-Key", "key-"+strings.Repeat("x", i))
		p.Process(&c)
	}
	st := p.Stats()
	if st.CacheEvictions < 200-32 {
		t.Errorf("evictions = %d, want >= %d", st.CacheEvictions, 200-32)
	}
	n := 0
	for i := range p.cache.shards {
		n += len(p.cache.shards[i].m)
	}
	if n > 32 {
		t.Errorf("cache holds %d entries, want <= 32", n)
	}
}

func TestSink(t *testing.T) {
	p := newTestProcessor(t, nil)
	var got []apicall.Call
	next := apicall.SinkFunc(func(_ context.Context, calls []apicall.Call) error {
		got = append(got, calls...)
		return nil
	})
	batch := []apicall.Call{newCall("X-API-Key", "k1"), newCall("Accept", "*/*")}
	if err := p.Sink(next).Consume(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Actor.Kind != apicall.ActorAPIKey || got[0].ReqHeaders[0].Value != marker ||
		got[1].Actor.Kind != apicall.ActorAnonymous {
		t.Errorf("got %+v", got)
	}
}

func TestConcurrent(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.CacheSize = 16 })
	tok := makeJWT(t, map[string]any{"alg": "HS256"}, map[string]any{"sub": "u1", "roles": []string{"a"}})
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 2000 {
				c := newCall("Authorization", "Bearer "+tok, "X-API-Key", strings.Repeat("k", (i+w)%40))
				p.Process(&c)
				if c.Actor.User != "u1" {
					t.Errorf("user = %q", c.Actor.User)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
