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
