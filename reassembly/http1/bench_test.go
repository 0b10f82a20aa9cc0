package http1

import "testing"

const benchRequest = "POST /api/v2/orders?limit=10 HTTP/1.1\r\n" +
	"Host: api.shop.test\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n" +
	"Accept: application/json\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTAxNyJ9.c2lnbmF0dXJl\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Length: 49\r\n" +
	"X-Request-Id: 8f14e45f-ceea-467f-a8ad-0e7b6b3f6e1d\r\n" +
	"Connection: keep-alive\r\n" +
	"\r\n" +
	`{"item":"sku-123","quantity":2,"coupon":"SPRING"}`

const benchResponse = "HTTP/1.1 201 Created\r\n" +
	"Date: Tue, 02 Apr 2026 10:20:11 GMT\r\n" +
	"Server: nginx/1.25.3\r\n" +
	"Content-Type: application/json; charset=utf-8\r\n" +
	"Content-Length: 96\r\n" +
	"Connection: keep-alive\r\n" +
	"Cache-Control: no-store\r\n" +
	"X-Request-Id: 8f14e45f-ceea-467f-a8ad-0e7b6b3f6e1d\r\n" +
	"Strict-Transport-Security: max-age=31536000\r\n" +
	"Vary: Accept-Encoding\r\n" +
	"Location: /api/v2/orders/4711\r\n" +
	"\r\n" +
	`{"id":4711,"status":"created","item":"sku-123","quantity":2,"total":{"amount":1998,"cur":"EUR"}}`

// BenchmarkParseRequestResponse parses one typical request and its
// response, each delivered in one segment.
func BenchmarkParseRequestResponse(b *testing.B) {
	req, resp := []byte(benchRequest), []byte(benchResponse)
	n := 0
	onMsg := func(m *Message) { n++ }
	rp := NewParser(Request, DefaultConfig(), onMsg, nil)
	sp := NewParser(Response, DefaultConfig(), onMsg, nil)
	sp.SetRequestInfo(func() (string, string) { return "POST", "HTTP/1.1" })
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		rp.Feed(req, 1)
		sp.Feed(resp, 2)
	}
	if n != 2*b.N {
		b.Fatalf("parsed %d messages in %d iterations", n, b.N)
	}
}

// BenchmarkParseRequestResponseSplit delivers each message in two segments
// cut inside the header block, the buffered path.
func BenchmarkParseRequestResponseSplit(b *testing.B) {
	req, resp := []byte(benchRequest), []byte(benchResponse)
	rp := NewParser(Request, DefaultConfig(), nil, nil)
	sp := NewParser(Response, DefaultConfig(), nil, nil)
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		rp.Feed(req[:100], 1)
		rp.Feed(req[100:], 1)
		sp.Feed(resp[:100], 2)
		sp.Feed(resp[100:], 2)
	}
}

// benchRecycler is the engine's use of a parser: messages come from a
// pool and go back to it once handled, bodies are copied out.
type benchRecycler struct {
	pool *MessagePool
	n    int
}

func (r *benchRecycler) HandleMessage(_ Kind, m *Message) {
	r.n++
	r.pool.Put(m)
}

func (r *benchRecycler) RequestInfo() (string, string) { return "GET", "HTTP/1.1" }

// BenchmarkParsePooled parses the header shapes of the simulated traffic
// (a small GET, a form POST, a JSON response, a chunked gzip one) as the
// engine does: messages from a MessagePool, recycled after use, bodies
// copied by the body function. Reported per message.
func BenchmarkParsePooled(b *testing.B) {
	reqs := []byte("GET /api/v2/products/1051 HTTP/1.1\r\n" +
		"Host: api.shop.test\r\n" +
		"User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15\r\n" +
		"Accept: application/json\r\n" +
		"Accept-Encoding: gzip, deflate, br\r\n" +
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTAxNyJ9.c2lnbmF0dXJl\r\n" +
		"X-Request-Id: ef6dc68e-da42-4fc0-b6c3-c2ab9cfd51a8\r\n" +
		"\r\n" +
		"POST /oauth/token HTTP/1.1\r\n" +
		"Host: auth.shop.test\r\n" +
		"User-Agent: ShopApp/5.2.1 (iOS 18.1; iPhone15,2)\r\n" +
		"Accept: */*\r\n" +
		"Accept-Encoding: gzip, deflate, br\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: 36\r\n" +
		"X-Request-Id: 2073bc31-faa5-452f-9641-07860b391b67\r\n" +
		"\r\n" +
		"grant_type=password&username=alice12")
	resps := []byte("HTTP/1.1 200 OK\r\n" +
		"Server: nginx/1.24.0\r\n" +
		"Date: Mon, 05 Jan 2026 09:00:00 GMT\r\n" +
		"Content-Type: application/json; charset=utf-8\r\n" +
		"Content-Length: 65\r\n" +
		"X-Request-Id: ef6dc68e-da42-4fc0-b6c3-c2ab9cfd51a8\r\n" +
		"\r\n" +
		`{"id":1051,"slug":"compact-pro-1051","name":"compact headphones"}` +
		"HTTP/1.1 200 OK\r\n" +
		"Server: nginx/1.24.0\r\n" +
		"Date: Mon, 05 Jan 2026 09:00:00 GMT\r\n" +
		"Content-Type: application/json\r\n" +
		"Content-Encoding: gzip\r\n" +
		"Vary: Accept-Encoding\r\n" +
		"Transfer-Encoding: chunked\r\n" +
		"X-Request-Id: 2073bc31-faa5-452f-9641-07860b391b67\r\n" +
		"\r\n" +
		"10\r\n0123456789abcdef\r\n0\r\n\r\n")
	var pool MessagePool
	h := &benchRecycler{pool: &pool}
	body := func(m *Message, body []byte) { m.Body = append([]byte(nil), body...) }
	rp := NewParser(Request, DefaultConfig(), nil, nil)
	sp := NewParser(Response, DefaultConfig(), nil, nil)
	for _, p := range []*Parser{rp, sp} {
		p.SetHandler(h)
		p.SetMessagePool(&pool)
		p.SetBodyFunc(body)
	}
	b.SetBytes(int64(len(reqs) + len(resps)))
	b.ReportAllocs()
	for b.Loop() {
		rp.Feed(reqs, 1)
		sp.Feed(resps, 2)
	}
	if h.n != 4*b.N {
		b.Fatalf("parsed %d messages in %d iterations", h.n, b.N)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(h.n), "ns/msg")
}
