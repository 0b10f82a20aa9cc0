package identity

import (
	"fmt"
	"testing"

	"github.com/apitap/apitap/apicall"
)

// benchHeaders are the request headers of a typical API call.
func benchHeaders(auth string) apicall.Headers {
	h := apicall.Headers{
		{Name: "Host", Value: "api.shop.test"},
		{Name: "User-Agent", Value: "okhttp/4.12.0"},
		{Name: "Accept", Value: "application/json"},
		{Name: "Accept-Encoding", Value: "gzip"},
		{Name: "X-Request-Id", Value: "5f0c6c1e-8a0b-4d33-9d6e-6f1f1d1c9a10"},
		{Name: "Connection", Value: "keep-alive"},
	}
	if auth != "" {
		h = append(h, apicall.Header{Name: "Authorization", Value: auth})
	}
	return h
}

var benchResp = apicall.Headers{
	{Name: "Content-Type", Value: "application/json"},
	{Name: "Content-Length", Value: "42"},
	{Name: "Date", Value: "Thu, 01 Jan 2026 10:00:00 GMT"},
}

func benchmarkProcess(b *testing.B, auth string, body []byte) {
	p := newTestProcessor(b, nil)
	tmpl := newCall()
	tmpl.RawQuery = "page=2&limit=50"
	tmpl.ReqHeaders = benchHeaders(auth)
	tmpl.RespHeaders = benchResp
	tmpl.RespBody = apicall.Body{ContentType: "application/json", Data: body, Length: int64(len(body))}
	c := tmpl
	c.ReqHeaders = make(apicall.Headers, len(tmpl.ReqHeaders))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		// Process redacts in place: restore the headers each round (a
		// copy, no allocation).
		copy(c.ReqHeaders, tmpl.ReqHeaders)
		c.Actor = apicall.Actor{}
		c.Flags = 0
		p.Process(&c)
	}
	if auth != "" && c.Actor.User == "" {
		b.Fatal("no actor")
	}
}

// BenchmarkProcessJWTCall: a GET with a bearer JWT, the JWT from the cache.
func BenchmarkProcessJWTCall(b *testing.B) {
	tok := makeJWT(b, map[string]any{"alg": "RS256", "typ": "JWT", "kid": "2026-01"}, map[string]any{
		"sub": "user-017", "iss": "https://idp.shop.test/realms/shop", "aud": "shop-api", "exp": 1767268800,
		"iat": 1767265200, "realm_access": map[string]any{"roles": []string{"customer"}}, "scope": "openid orders:read",
	})
	benchmarkProcess(b, "Bearer "+tok, nil)
}

// BenchmarkProcessAnonymousCall: a GET without credentials.
func BenchmarkProcessAnonymousCall(b *testing.B) {
	benchmarkProcess(b, "", nil)
}

// BenchmarkProcessJSONBody: a response body of 1 KiB of JSON without secrets.
func BenchmarkProcessJSONBody(b *testing.B) {
	body := []byte(`{"orders":[`)
	for i := 0; len(body) < 1000; i++ {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"orderId":"ord-1234567","status":"shipped","total":129.95,"items":3,"email":"a@shop.test"}`...)
	}
	body = append(body, "]}"...)
	benchmarkProcess(b, "", body)
}

// BenchmarkProcessJWTMiss: every call carries a new token (cache misses).
func BenchmarkProcessJWTMiss(b *testing.B) {
	p := newTestProcessor(b, nil)
	toks := make([]string, 8192)
	for i := range toks {
		toks[i] = "Bearer " + makeJWT(b, map[string]any{"alg": "RS256"}, map[string]any{"sub": "u", "jti": i, "scope": "a b"})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := newCall()
		c.ReqHeaders = apicall.Headers{{Name: "Authorization", Value: toks[i%len(toks)]}}
		p.Process(&c)
		i++
	}
}

// BenchmarkProcessFormBody: a login form, the password redacted.
func BenchmarkProcessFormBody(b *testing.B) {
	p := newTestProcessor(b, nil)
	body := []byte("grant_type=password&username=alice&password=hunter2&scope=openid")
	b.ReportAllocs()
	for b.Loop() {
		c := newCall()
		c.ReqBody = apicall.Body{ContentType: "application/x-www-form-urlencoded", Data: body}
		p.Process(&c)
	}
}

// productPage is a 2.5 KB product list like the simulator's (and the bench
// pcap's) responses: short keys, prices, ids and long text values, no secret.
func productPage() []byte {
	words := []string{"deluxe", "pro", "steel", "mini", "studio", "lite", "compact", "wireless", "bamboo", "ultra", "organic", "smart", "travel", "max", "eco", "classic"}
	body := []byte(`{"page":2,"limit":20,"total":5000,"items":[`)
	for i := 0; len(body) < 2400; i++ {
		if i > 0 {
			body = append(body, ',')
		}
		w1, w2 := words[i%len(words)], words[(i*7+3)%len(words)]
		body = fmt.Appendf(body, `{"id":%d,"slug":"%s-%s-%d","name":"%s %s headphones","price":{"amount":%d.%02d,"currency":"EUR"},"category":"headphones","stock":%d,"rating":%d.%d,"description":"`,
			21+i, w1, w2, 21+i, w1, w2, 100+i*37%900, i*13%100, i*29%200, 3+i%2, i%10)
		for k := 0; k < 8+i*5%24; k++ {
			if k > 0 {
				body = append(body, ' ')
			}
			body = append(body, words[(i*k+k)%len(words)]...)
		}
		body = append(body, `."}`...)
	}
	return append(body, "]}"...)
}

// BenchmarkProcessProductPage: an anonymous GET answered by a 2.5 KB JSON
// product list, the bench pcap's typical response.
func BenchmarkProcessProductPage(b *testing.B) {
	benchmarkProcess(b, "", productPage())
}

// BenchmarkRedactJSONProductPage: the JSON body scan alone.
func BenchmarkRedactJSONProductPage(b *testing.B) {
	p := newTestProcessor(b, nil)
	body := productPage()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if out, _, _ := redactJSON(p.fields, body, true); out != nil {
			b.Fatal("redacted a body without secrets")
		}
	}
}
