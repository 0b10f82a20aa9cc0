package identity

import (
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

// leakyCalls returns calls full of secrets, the secrets (which must not
// survive processing) and the card numbers in them.
func leakyCalls(t *testing.T) (calls []apicall.Call, secrets, cards []string) {
	accessJWT := makeJWT(t, map[string]any{"alg": "RS256", "kid": "k1"},
		map[string]any{"sub": "user-017", "iss": "idp", "jti": "jti-SECRET-access"})
	idJWT := makeJWT(t, map[string]any{"alg": "RS256"}, map[string]any{"sub": "user-017", "nonce": "nonce-SECRET-id"})
	bodyJWT := makeJWT(t, map[string]any{"alg": "HS256"}, map[string]any{"sub": "user-018", "x": "SECRET-in-text"})
	basicCred := base64.StdEncoding.EncodeToString([]byte("alice:pw-SECRET-basic"))
	proxyCred := base64.StdEncoding.EncodeToString([]byte("proxyuser:px-SECRET-proxy"))

	secrets = []string{
		accessJWT, idJWT, bodyJWT, "pw-SECRET-basic", basicCred, "px-SECRET-proxy", proxyCred,
		"ak-SECRET-header", "ak-SECRET-query", "tk-SECRET-query", "tk-SECRET-fragment", "sess-SECRET-cookie",
		"csrf-SECRET-cookie", "sess-SECRET-set", "pw-SECRET-json", "pw-SECRET-escaped-key", `pw-SECRET-"quoted"`,
		`pw-SECRET-\"quoted\"`, "991122", "rt-SECRET-refresh", "cs-SECRET-form", "pw-SECRET-form", "tk-SECRET-form",
		"js-SECRET-path", "ak-SECRET-ApiKey-scheme", "int-SECRET-header", "csrf-SECRET-header", "pw-SECRET-url",
		"pw-SECRET-array-1", "pw-SECRET-array-2", "sess-SECRET-session2", "pw-SECRET-deep",
	}
	for _, j := range []string{accessJWT, idJWT, bodyJWT} {
		secrets = append(secrets, strings.Split(j, ".")[1]) // the claims alone
	}
	cards = []string{"4111 1111 1111 1111", "5500000000000004", "3782-822463-10005", "6011111111111117"}

	base := newCall()
	base.Client = netip.MustParseAddrPort("10.0.0.9:1234")

	// A login: bearer JWT, API key, cookies, secrets in query, path and
	// both bodies.
	c := base
	c.Method = "POST"
	c.Path = "/api/v1;jsessionid=js-SECRET-path/login"
	c.RawQuery = "api_key=ak-SECRET-query&token=tk-SECRET-query&page=1"
	c.ReqHeaders = apicall.Headers{
		{Name: "Host", Value: "api.shop.test"},
		{Name: "Authorization", Value: "Bearer " + accessJWT},
		{Name: "X-API-Key", Value: "ak-SECRET-header"},
		{Name: "Cookie", Value: "session=sess-SECRET-cookie; csrftoken=csrf-SECRET-cookie; theme=dark"},
		{Name: "X-Internal-Secret", Value: "int-SECRET-header"},
		{Name: "X-CSRF-Token", Value: "csrf-SECRET-header"},
		{Name: "Referer", Value: "https://bob:pw-SECRET-url@app.shop.test/cb?x=1#access_token=tk-SECRET-fragment"},
		{Name: "Content-Type", Value: "application/json"},
	}
	c.ReqBody = apicall.Body{ContentType: "application/json", Length: 400, Data: []byte(`{
		"user": {"email": "a@shop.test", "password": "pw-SECRET-json", "profile": {"otp": 991122}},
		"new_pass\u0077ord": "pw-SECRET-escaped-key",
		"passwordConfirm": "pw-SECRET-\"quoted\"",
		"history": {"passwords": ["pw-SECRET-array-1", "pw-SECRET-array-2"]},
		"a": [[{"b": {"c": {"secret": {"v": "pw-SECRET-deep"}}}}]],
		"payment": {"number": "4111 1111 1111 1111", "alt": 5500000000000004}
	}`)}
	c.Status = 200
	c.RespHeaders = apicall.Headers{
		{Name: "Set-Cookie", Value: "session=sess-SECRET-set; Path=/; Secure; HttpOnly"},
		{Name: "Content-Type", Value: "application/json; charset=utf-8"},
	}
	c.RespBody = apicall.Body{ContentType: "application/json; charset=utf-8", Length: 300, Data: []byte(
		`{"access_token":"` + accessJWT + `","id_token":"` + idJWT + `","refresh_token":"rt-SECRET-refresh",` +
			`"token_type":"Bearer","cards":[{"pan":"3782-822463-10005"}],"msg":"welcome ` + bodyJWT + `"}`)}
	calls = append(calls, c)

	// Basic auth with a proxy credential and a form body.
	c = base
	c.Method = "POST"
	c.ReqHeaders = apicall.Headers{
		{Name: "authorization", Value: "Basic " + basicCred},
		{Name: "Proxy-Authorization", Value: "Basic " + proxyCred},
	}
	c.ReqBody = apicall.Body{ContentType: "application/x-www-form-urlencoded",
		Data: []byte("grant_type=password&username=alice&password=pw-SECRET-form&client_secret=cs-SECRET-form&token=tk-SECRET-form&card=6011111111111117")}
	c.RespBody = apicall.Body{ContentType: "text/plain", Data: []byte("token " + bodyJWT + " issued")}
	calls = append(calls, c)

	// Authorization: ApiKey and a second session cookie.
	c = base
	c.ReqHeaders = apicall.Headers{
		{Name: "Authorization", Value: "ApiKey ak-SECRET-ApiKey-scheme"},
		{Name: "Cookie", Value: "PHPSESSID=sess-SECRET-session2"},
	}
	calls = append(calls, c)
	return calls, secrets, cards
}

// haystack serializes the whole call with encoding/json, and adds every
// string of it that is base64 (bodies) decoded, so secrets in bodies are
// found too.
func haystack(t *testing.T, c *apicall.Call) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.Write(b)
	sb.WriteByte('\n')
	sb.Write(apicall.AppendJSON(nil, c))
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			sb.WriteByte('\n')
			sb.WriteString(v)
			if d, err := base64.StdEncoding.DecodeString(v); err == nil {
				sb.WriteByte('\n')
				sb.Write(d)
			}
		}
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	walk(v)
	return sb.String()
}

func TestNoLeak(t *testing.T) {
	for _, keepPII := range []bool{false, true} {
		name := "mask cards"
		if keepPII {
			name = "keep pii"
		}
		t.Run(name, func(t *testing.T) {
			p := newTestProcessor(t, func(c *Config) {
				c.KeepPII = keepPII
				c.RedactHeaders = []string{"X-Internal-Secret"}
				c.TrustedProxies = nil
			})
			calls, secrets, cards := leakyCalls(t)
			var all strings.Builder
			for i := range calls {
				p.Process(&calls[i])
				if !calls[i].Flags.Has(apicall.FlagRedacted) {
					t.Errorf("call %d: not flagged redacted", i)
				}
				all.WriteString(haystack(t, &calls[i]))
			}
			hay := all.String()
			for _, s := range secrets {
				for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)),
					base64.RawURLEncoding.EncodeToString([]byte(s))} {
					if strings.Contains(hay, form) {
						t.Errorf("secret %q leaked (as %q)", s, form)
					}
				}
			}
			for _, card := range cards {
				if got := strings.Contains(hay, card); got != keepPII {
					t.Errorf("card %q present = %v, want %v", card, got, keepPII)
				}
			}
			if !keepPII && !strings.Contains(hay, "**** **** **** 1111") {
				t.Error("masked card lost its last four digits")
			}
			if calls[0].Flags.Has(apicall.FlagPIIMasked) == keepPII {
				t.Errorf("pii flag = %v with KeepPII %v", calls[0].Flags.Has(apicall.FlagPIIMasked), keepPII)
			}
			// The actors are still known.
			wantUsers := []string{"user-017", p.pseudonym("basic", "alice"), p.pseudonym("apikey", "ak-SECRET-ApiKey-scheme")}
			for i, w := range wantUsers {
				if calls[i].Actor.User != w {
					t.Errorf("call %d: user = %q, want %q", i, calls[i].Actor.User, w)
				}
			}
		})
	}
}
