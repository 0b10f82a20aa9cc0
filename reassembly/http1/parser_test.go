package http1

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

// recorder collects what a parser reports.
type recorder struct {
	msgs []*Message
	errs []string
}

func newRec(kind Kind, cfg Config) (*Parser, *recorder) {
	r := &recorder{}
	p := NewParser(kind, cfg, func(m *Message) { r.msgs = append(r.msgs, m) },
		func(reason string) { r.errs = append(r.errs, reason) })
	return p, r
}

// parseAll feeds each chunk with ts = its index + 1, then closes if close is set.
func parseAll(kind Kind, cfg Config, info func() (string, string), close bool, chunks ...string) *recorder {
	p, r := newRec(kind, cfg)
	if info != nil {
		p.SetRequestInfo(info)
	}
	for i, c := range chunks {
		p.Feed([]byte(c), int64(i+1))
	}
	if close {
		p.Close(int64(len(chunks) + 1))
	}
	return r
}

func fixed(method, proto string) func() (string, string) {
	return func() (string, string) { return method, proto }
}

// brief renders a message compactly for table comparisons.
func brief(m *Message) string {
	var b strings.Builder
	if m.Method != "" || m.Target != "" {
		fmt.Fprintf(&b, "%s %s %s", m.Method, m.Target, m.Proto)
	} else {
		fmt.Fprintf(&b, "%s %d %s", m.Proto, m.Status, m.Reason)
	}
	fmt.Fprintf(&b, " h=%d body=%q len=%d", len(m.Headers), m.Body, m.BodyLen)
	if m.BodyTruncated {
		b.WriteString(" trunc")
	}
	if m.Chunked {
		b.WriteString(" chunked")
	}
	if m.Gap {
		b.WriteString(" gap")
	}
	if len(m.Trailers) > 0 {
		fmt.Fprintf(&b, " trailers=%v", m.Trailers)
	}
	return b.String()
}

func briefs(ms []*Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, brief(m))
	}
	return out
}

func TestParser(t *testing.T) {
	big := strings.Repeat("x", 100)
	tests := []struct {
		name   string
		kind   Kind
		cfg    Config
		info   func() (string, string)
		close  bool
		chunks []string
		want   []string
		errs   []string
	}{
		{name: "content-length request", kind: Request,
			chunks: []string{"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"},
			want:   []string{`POST /a HTTP/1.1 h=2 body="hello" len=5`}},
		{name: "request without framing has no body", kind: Request,
			chunks: []string{"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n"},
			want:   []string{`GET /a HTTP/1.1 h=1 body="" len=0`, `GET /b HTTP/1.1 h=0 body="" len=0`}},
		{name: "chunked with extensions and trailers", kind: Response,
			chunks: []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n"},
			want:   []string{`HTTP/1.1 200 OK h=1 body="hello world" len=11 chunked trailers=[{X-Sum 1} {X-B 2}]`}},
		{name: "chunked request", kind: Request,
			chunks: []string{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"},
			want:   []string{`POST / HTTP/1.1 h=1 body="0123456789" len=10 chunked`}},
		{name: "close-delimited response", kind: Response, close: true,
			chunks: []string{"HTTP/1.0 200 OK\r\nServer: s\r\n\r\nabc", "def"},
			want:   []string{`HTTP/1.0 200 OK h=1 body="abcdef" len=6`}},
		{name: "HEAD response has no body", kind: Response, info: fixed("HEAD", "HTTP/1.1"),
			chunks: []string{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
			want:   []string{`HTTP/1.1 200 OK h=1 body="" len=0`, `HTTP/1.1 200 OK h=1 body="" len=0`}},
		{name: "204 and 304 have no body", kind: Response,
			chunks: []string{"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"},
			want: []string{`HTTP/1.1 204 No Content h=0 body="" len=0`, `HTTP/1.1 304 Not Modified h=1 body="" len=0`,
				`HTTP/1.1 200 OK h=1 body="z" len=1`}},
		{name: "repeated 100 continue then final", kind: Response,
			chunks: []string{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
			want: []string{`HTTP/1.1 100 Continue h=0 body="" len=0`, `HTTP/1.1 100 Continue h=0 body="" len=0`,
				`HTTP/1.1 200 OK h=1 body="ok" len=2`}},
		{name: "101 stops the parser", kind: Response,
			chunks: []string{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"},
			want:   []string{`HTTP/1.1 101 Switching Protocols h=1 body="" len=0`}},
		{name: "CONNECT 2xx stops the parser", kind: Response, info: fixed("CONNECT", "HTTP/1.1"),
			chunks: []string{"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01binary"},
			want:   []string{`HTTP/1.1 200 Connection established h=0 body="" len=0`}},
		{name: "CONNECT 407 does not stop", kind: Response, info: fixed("CONNECT", "HTTP/1.1"),
			chunks: []string{"HTTP/1.1 407 Auth\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n\r\n"},
			want:   []string{`HTTP/1.1 407 Auth h=1 body="x" len=1`, `HTTP/1.1 200 OK h=0 body="" len=0`}},
		{name: "CONNECT request stops the parser", kind: Request,
			chunks: []string{"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01GET / HTTP/1.1\r\n\r\n"},
			want:   []string{`CONNECT example.com:443 HTTP/1.1 h=1 body="" len=0`}},
		{name: "transfer-encoding wins over content-length", kind: Response,
			chunks: []string{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"},
			want:   []string{`HTTP/1.1 200 OK h=2 body="abcd" len=4 chunked`}},
		{name: "equal content-lengths are fine", kind: Request,
			chunks: []string{"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab"},
			want:   []string{`POST / HTTP/1.1 h=2 body="ab" len=2`}},
		{name: "differing content-lengths resync", kind: Request,
			chunks: []string{"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab\r\nGET /next HTTP/1.1\r\n\r\n"},
			want:   []string{`GET /next HTTP/1.1 h=0 body="" len=0`},
			errs:   []string{"multiple_content_length"}},
		{name: "negative content-length", kind: Response,
			chunks: []string{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nHTTP/1.1 404 NF\r\nContent-Length: 0\r\n\r\n"},
			want:   []string{`HTTP/1.1 404 NF h=1 body="" len=0`},
			errs:   []string{"bad_content_length"}},
		{name: "garbage content-length", kind: Request,
			chunks: []string{"POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n"},
			errs:   []string{"bad_content_length"}},
		{name: "HTTP/0.9 request", kind: Request,
			chunks: []string{"GET /path\r\n"},
			want:   []string{`GET /path HTTP/0.9 h=0 body="" len=0`}},
		{name: "versionless request line followed by headers", kind: Request,
			chunks: []string{"GET /\nFakeHeader\nHost: localhost\nUser-Agent: myscript\n\n"},
			want:   []string{`GET / HTTP/0.9 h=3 body="" len=0`}},
		{name: "HTTP/0.9 response is a raw body", kind: Response, info: fixed("GET", "HTTP/0.9"), close: true,
			chunks: []string{"HT", "ML <html>", "</html>"},
			want:   []string{`HTTP/0.9 0  h=0 body="HTML <html></html>" len=18`}},
		{name: "status line answering HTTP/0.9", kind: Response, info: fixed("POST", "HTTP/0.9"),
			chunks: []string{"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"},
			want:   []string{`HTTP/1.1 400 Bad Request h=1 body="" len=0`}},
		{name: "lenient request line", kind: Request,
			chunks: []string{"\r\n\r\nPROPFIND   /uri afterspace   HTTP/1.1  \nHost: a\n\n"},
			want:   []string{`PROPFIND /uri afterspace HTTP/1.1 h=1 body="" len=0`}},
		{name: "custom token method", kind: Request,
			chunks: []string{"X-MY.METHOD! * HTTP/1.0\r\n\r\n"},
			want:   []string{`X-MY.METHOD! * HTTP/1.0 h=0 body="" len=0`}},
		{name: "missing reason phrase", kind: Response,
			chunks: []string{"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"},
			want:   []string{`HTTP/1.1 200  h=1 body="" len=0`, `HTTP/1.1 404  h=1 body="" len=0`}},
		{name: "obs-fold", kind: Request,
			chunks: []string{"GET / HTTP/1.1\r\nX-Long: a\r\n  b\r\n\tc\r\nHost: h\r\n\r\n"},
			want:   []string{`GET / HTTP/1.1 h=2 body="" len=0`}},
		{name: "garbage then resync", kind: Request,
			chunks: []string{"\x00\x01garbage here\r\nmore junk\r\nGET /ok HTTP/1.1\r\n\r\n"},
			want:   []string{`GET /ok HTTP/1.1 h=0 body="" len=0`},
			errs:   []string{"bad_start_line"}},
		{name: "bad header then resync", kind: Request,
			chunks: []string{"GET /a HTTP/1.1\r\n: novalue\r\n\r\nGET /b HTTP/1.1\r\n\r\n"},
			want:   []string{`GET /b HTTP/1.1 h=0 body="" len=0`},
			errs:   []string{"bad_header"}},
		{name: "bad chunk emits truncated and resyncs", kind: Response,
			chunks: []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
			want:   []string{`HTTP/1.1 200 OK h=1 body="abc" len=3 trunc chunked`, `HTTP/1.1 200 OK h=1 body="" len=0`},
			errs:   []string{"bad_chunk"}},
		{name: "response resync needs HTTP/1.", kind: Response,
			chunks: []string{"junk\r\nHTTP/2 200\r\nHTTP/1.1 204 No\r\n\r\n"},
			want:   []string{`HTTP/1.1 204 No h=0 body="" len=0`},
			errs:   []string{"bad_start_line"}},
		{name: "close cuts a content-length body", kind: Response, close: true,
			chunks: []string{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
			want:   []string{`HTTP/1.1 200 OK h=1 body="abc" len=3 trunc`}},
		{name: "close drops a partial header block", kind: Request, close: true,
			chunks: []string{"GET / HTTP/1.1\r\nHost: "},
			errs:   []string{"incomplete"}},
		{name: "body cap", kind: Response, cfg: Config{MaxBodyBytes: 4},
			chunks: []string{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + big},
			want:   []string{`HTTP/1.1 200 OK h=1 body="xxxx" len=100 trunc`}},
		{name: "body cap chunked", kind: Response, cfg: Config{MaxBodyBytes: 4},
			chunks: []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + big + "\r\n0\r\n\r\n"},
			want:   []string{`HTTP/1.1 200 OK h=1 body="xxxx" len=100 trunc chunked`}},
		{name: "header too large", kind: Request, cfg: Config{MaxHeaderBytes: 100},
			chunks: []string{"GET / HTTP/1.1\r\nX: " + big + big + "\r\n\r\nGET /ok HTTP/1.1\r\n\r\n"},
			want:   []string{`GET /ok HTTP/1.1 h=0 body="" len=0`},
			errs:   []string{"header_too_large"}},
		{name: "header too large across feeds", kind: Request, cfg: Config{MaxHeaderBytes: 100},
			chunks: []string{"GET / HTTP/1.1\r\nX: ", big, big, "\r\n\r\nGET /ok HTTP/1.1\r\n\r\n"},
			want:   []string{`GET /ok HTTP/1.1 h=0 body="" len=0`},
			errs:   []string{"header_too_large"}},
		{name: "too many headers", kind: Request, cfg: Config{MaxHeaders: 2},
			chunks: []string{"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\nGET /ok HTTP/1.1\r\n\r\n"},
			want:   []string{`GET /ok HTTP/1.1 h=0 body="" len=0`},
			errs:   []string{"too_many_headers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseAll(tt.kind, tt.cfg, tt.info, tt.close, tt.chunks...)
			if got := briefs(r.msgs); !reflect.DeepEqual(got, nonNil(tt.want)) {
				t.Errorf("messages:\n got %q\nwant %q", got, tt.want)
			}
			if !reflect.DeepEqual(r.errs, tt.errs) {
				t.Errorf("errors: got %q, want %q", r.errs, tt.errs)
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestHeadersAndFields(t *testing.T) {
	r := parseAll(Request, Config{}, nil, false,
		"GET /x?y=1 HTTP/1.1\r\nHost: a.test\r\nX-Long: a\r\n  b\r\nAccept:  */* \r\nHost: b\r\n\r\n")
	if len(r.msgs) != 1 {
		t.Fatalf("got %d messages", len(r.msgs))
	}
	want := apicall.Headers{{Name: "Host", Value: "a.test"}, {Name: "X-Long", Value: "a b"},
		{Name: "Accept", Value: "*/*"}, {Name: "Host", Value: "b"}}
	if !reflect.DeepEqual(r.msgs[0].Headers, want) {
		t.Errorf("headers %v, want %v", r.msgs[0].Headers, want)
	}
}

// TestKnownFields checks the fields read while the headers are parsed
// against what Headers.Get finds: first value, any case, folded values,
// not from trailers.
func TestKnownFields(t *testing.T) {
	cases := []struct {
		name, in          string
		host, ctype, cenc string
	}{
		{"none", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", "", "", ""},
		{"plain", "GET / HTTP/1.1\r\nHost: a.test\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n\r\n", "a.test", "text/plain", "gzip"},
		{"case", "GET / HTTP/1.1\r\nhOST: a\r\nCONTENT-TYPE: t\r\ncontent-encoding:  br \r\n\r\n", "a", "t", "br"},
		{"first wins", "GET / HTTP/1.1\r\nHost:\r\nHost: b\r\nContent-Type: x\r\nContent-Type: y\r\n\r\n", "", "x", ""},
		{"folded", "GET / HTTP/1.1\r\nContent-Type: a\r\n b\r\nHost: h\r\n\r\n", "h", "a b", ""},
		{"look-alikes", "GET / HTTP/1.1\r\nHosts: x\r\nContent-Typo: y\r\nContent-Encodinh: z\r\n\r\n", "", "", ""},
		{"trailer", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Type: t\r\n\r\n", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := parseAll(Request, Config{}, nil, false, tc.in)
			if len(r.msgs) != 1 {
				t.Fatalf("got %d messages, errors %v", len(r.msgs), r.errs)
			}
			m := r.msgs[0]
			if m.Host != tc.host || m.ContentType != tc.ctype || m.ContentEncoding != tc.cenc {
				t.Errorf("fields %q %q %q, want %q %q %q", m.Host, m.ContentType, m.ContentEncoding, tc.host, tc.ctype, tc.cenc)
			}
			h := m.Headers
			if m.Host != h.Get("Host") || m.ContentType != h.Get("Content-Type") || m.ContentEncoding != h.Get("Content-Encoding") {
				t.Errorf("fields %q %q %q differ from Headers.Get", m.Host, m.ContentType, m.ContentEncoding)
			}
		})
	}
}

func TestRequestInfoCalledPerResponse(t *testing.T) {
	calls := 0
	p, r := newRec(Response, Config{})
	p.SetRequestInfo(func() (string, string) { calls++; return "GET", "HTTP/1.1" })
	p.Feed([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 1)
	if calls != 2 || len(r.msgs) != 2 {
		t.Errorf("info calls %d, messages %d; want 2, 2", calls, len(r.msgs))
	}
}

func TestStopAndTimestamps(t *testing.T) {
	p, r := newRec(Response, Config{})
	p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-"), 10)
	if !p.Pending() {
		t.Error("Pending false inside a header block")
	}
	p.Feed([]byte("Length: 3\r\n\r\na"), 20)
	p.Feed([]byte("bc"), 30)
	if p.Pending() {
		t.Error("Pending true between messages")
	}
	if len(r.msgs) != 1 || r.msgs[0].Start != 10 || r.msgs[0].End != 30 {
		t.Fatalf("messages %v", r.msgs)
	}
	p.Feed([]byte("HTTP/1.1 101 Switching\r\n\r\nabc"), 40)
	if !p.Stopped() || p.IgnoredBytes() != 3 {
		t.Errorf("Stopped %v ignored %d, want true 3", p.Stopped(), p.IgnoredBytes())
	}
	p.Gap(5, 50)
	if p.IgnoredBytes() != 8 {
		t.Errorf("ignored %d after gap, want 8", p.IgnoredBytes())
	}
}

func TestGap(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		run  func(p *Parser)
		want []string
		errs []string
	}{
		{name: "known gap inside content-length body stays in sync", kind: Response, run: func(p *Parser) {
			p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), 1)
			p.Gap(4, 2)
			p.Feed([]byte("xyzHTTP/1.1 204 No\r\n\r\n"), 3)
		}, want: []string{`HTTP/1.1 200 OK h=1 body="abcxyz" len=10 trunc gap`, `HTTP/1.1 204 No h=0 body="" len=0`}},
		{name: "gap beyond the body resyncs", kind: Response, run: func(p *Parser) {
			p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), 1)
			p.Gap(50, 2)
			p.Feed([]byte("rest of something\r\nHTTP/1.1 204 No\r\n\r\n"), 3)
		}, want: []string{`HTTP/1.1 200 OK h=1 body="abc" len=10 trunc gap`, `HTTP/1.1 204 No h=0 body="" len=0`}},
		{name: "unknown gap in body", kind: Request, run: func(p *Parser) {
			p.Feed([]byte("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), 1)
			p.Gap(-1, 2)
			p.Feed([]byte("GET /n HTTP/1.1\r\n\r\n"), 3)
		}, want: []string{`POST / HTTP/1.1 h=1 body="abc" len=10 trunc gap`, `GET /n HTTP/1.1 h=0 body="" len=0`}},
		{name: "gap in headers drops the message", kind: Request, run: func(p *Parser) {
			p.Feed([]byte("GET /a HTTP/1.1\r\nHost"), 1)
			p.Gap(10, 2)
			p.Feed([]byte("er: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), 3)
		}, want: []string{`GET /b HTTP/1.1 h=0 body="" len=0`}, errs: []string{"gap_in_header"}},
		{name: "gap in chunk framing", kind: Response, run: func(p *Parser) {
			p.Feed([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"), 1)
			p.Gap(10, 2)
			p.Feed([]byte("HTTP/1.1 204 No\r\n\r\n"), 3)
		}, want: []string{`HTTP/1.1 200 OK h=1 body="abc" len=3 trunc chunked gap`, `HTTP/1.1 204 No h=0 body="" len=0`}},
		{name: "known gap inside chunk data stays in sync", kind: Response, run: func(p *Parser) {
			p.Feed([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nab"), 1)
			p.Gap(3, 2)
			p.Feed([]byte("fgh\r\n0\r\n\r\nHTTP/1.1 204 No\r\n\r\n"), 3)
		}, want: []string{`HTTP/1.1 200 OK h=1 body="abfgh" len=8 trunc chunked gap`, `HTTP/1.1 204 No h=0 body="" len=0`}},
		{name: "gap in close-delimited body", kind: Response, run: func(p *Parser) {
			p.Feed([]byte("HTTP/1.0 200 OK\r\n\r\nabc"), 1)
			p.Gap(3, 2)
			p.Feed([]byte("def"), 3)
			p.Close(4)
		}, want: []string{`HTTP/1.0 200 OK h=0 body="abcdef" len=9 trunc gap`}},
		{name: "resync mid-connection", kind: Request, run: func(p *Parser) {
			p.Resync()
			p.Feed([]byte("dy bytes\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\n\r\n"), 1)
		}, want: []string{`GET /a HTTP/1.1 h=0 body="" len=0`}},
		// Body text cut by a gap ends in lower-case words and a space: it is
		// not a request start, so the request at the next segment is found.
		{name: "resync: lower-case words are not a request start", kind: Request, run: func(p *Parser) {
			p.Resync()
			p.Feed([]byte("the quick brown "), 1)
			p.Feed([]byte("GET /a HTTP/1.1\r\n\r\n"), 2)
		}, want: []string{`GET /a HTTP/1.1 h=0 body="" len=0`}},
		{name: "resync: a lower-case token and target are not a request start", kind: Request, run: func(p *Parser) {
			p.Resync()
			p.Feed([]byte("get /x "), 1)
			p.Feed([]byte("POST /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nz"), 2)
		}, want: []string{`POST /b HTTP/1.1 h=1 body="z" len=1`}},
		{name: "resync: a request line split after a gap is kept", kind: Request, run: func(p *Parser) {
			p.Resync()
			p.Feed([]byte("GET /a HT"), 1)
			p.Feed([]byte("TP/1.1\r\n\r\n"), 2)
		}, want: []string{`GET /a HTTP/1.1 h=0 body="" len=0`}},
		{name: "resync: an extension method split after a gap is kept", kind: Request, run: func(p *Parser) {
			p.Resync()
			p.Feed([]byte("PURGE /a HTTP/1.1\r"), 1)
			p.Feed([]byte("\n\r\n"), 2)
		}, want: []string{`PURGE /a HTTP/1.1 h=0 body="" len=0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, r := newRec(tt.kind, Config{})
			tt.run(p)
			if got := briefs(r.msgs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("messages:\n got %q\nwant %q", got, tt.want)
			}
			if !reflect.DeepEqual(r.errs, tt.errs) {
				t.Errorf("errors: got %q, want %q", r.errs, tt.errs)
			}
		})
	}
}

const pipelinedRequests = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n" +
	"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody" +
	"\r\nPUT /c HTTP/1.1\nTransfer-Encoding: chunked\n\n3;x=y\nabc\n0\nT: 1\n\n" +
	"junk line\r\n" +
	"DELETE /d HTTP/1.0\r\nX-Fold: a\r\n b\r\n\r\n"

const pipelinedResponses = "HTTP/1.1 100 Continue\r\n\r\n" +
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nworld\r\n0\r\nX-T: v\r\n\r\n" +
	"HTTP/1.1 204\r\n\r\n" +
	"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" +
	"HTTP/1.0 200 OK\r\n\r\nclose delimited"

// TestSplitEqualsOneShot feeds pipelined streams split at every byte, and
// byte by byte, and expects what one-shot feeding gives.
func TestSplitEqualsOneShot(t *testing.T) {
	for _, tc := range []struct {
		kind   Kind
		stream string
		n      int
	}{{Request, pipelinedRequests, 4}, {Response, pipelinedResponses, 6}} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			one := feedSplits(tc.kind, []byte(tc.stream), nil)
			if len(one.msgs) != tc.n {
				t.Fatalf("one-shot: %d messages, want %d: %q", len(one.msgs), tc.n, briefs(one.msgs))
			}
			for cut := 1; cut < len(tc.stream); cut++ {
				got := feedSplits(tc.kind, []byte(tc.stream), []int{cut})
				if !reflect.DeepEqual(got, one) {
					t.Fatalf("split at %d:\n got %q %q\nwant %q %q", cut, briefs(got.msgs), got.errs, briefs(one.msgs), one.errs)
				}
			}
			cuts := make([]int, 0, len(tc.stream))
			for i := 1; i < len(tc.stream); i++ {
				cuts = append(cuts, i)
			}
			if got := feedSplits(tc.kind, []byte(tc.stream), cuts); !reflect.DeepEqual(got, one) {
				t.Fatalf("byte by byte:\n got %q\nwant %q", briefs(got.msgs), briefs(one.msgs))
			}
		})
	}
}

// feedSplits feeds data cut at the given increasing offsets, each piece in
// a fresh buffer that is overwritten after Feed (as capture buffers are),
// with ts 0 so that results compare equal.
func feedSplits(kind Kind, data []byte, cuts []int) *recorder {
	p, r := newRec(kind, Config{MaxHeaderBytes: 256, MaxBodyBytes: 64, MaxHeaders: 8})
	prev := 0
	for _, c := range append(cuts, len(data)) {
		if c <= prev || c > len(data) {
			continue
		}
		piece := append([]byte(nil), data[prev:c]...)
		p.Feed(piece, 0)
		for i := range piece {
			piece[i] = 0xAA
		}
		prev = c
	}
	p.Close(0)
	return r
}

// TestHugeBodyBoundedMemory streams a 1 GiB body and checks the parser
// keeps MaxBodyBytes of it.
func TestHugeBodyBoundedMemory(t *testing.T) {
	const size = 1 << 30
	p, r := newRec(Response, Config{MaxBodyBytes: 1024})
	p.Feed([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)), 1)
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for sent := 0; sent < size; sent += len(chunk) {
		p.Feed(chunk, 2)
	}
	runtime.ReadMemStats(&after)
	if len(r.msgs) != 1 || len(r.msgs[0].Body) != 1024 || r.msgs[0].BodyLen != size || !r.msgs[0].BodyTruncated {
		t.Fatalf("messages %q", briefs(r.msgs))
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("allocated %d bytes while streaming the body", grew)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	if err := (Config{MaxBodyBytes: -1, MaxHeaderBytes: 1, MaxHeaders: -1}).Validate(); err == nil {
		t.Error("bad config validated")
	}
}

func TestPlausiblePrefix(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true}, {"GE", true}, {"GET", true}, {"GET ", true}, {"GET /a b", true},
		{"PROPF", true}, {"PURGE", true}, {"PURGE /x", true}, {"PURGE /x HTTP/1.", true},
		{"PURGE /x HTTP/1.1", true}, {"PURGE /x HTTP/1.1\r", true}, {"M-SEARCH * HTTP/1.1", true},
		{"the ", false}, {"the quick brown ", false}, {"get /x", false}, {"Get /x", false},
		{"PURGE /x HTTP/2", false}, {"PURGE /x y", false}, {"PURGE  /x", false},
		{"GET /\x01", false}, {"hello", false}, {"{\"a\": 1, ", false},
	}
	for _, tt := range tests {
		if got := plausiblePrefix(Request, []byte(tt.in)); got != tt.want {
			t.Errorf("plausiblePrefix(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestBodyFunc: the body function sees the whole de-chunked body once,
// whether it came in place (one Feed) or in pieces, and its Body is kept.
func TestBodyFunc(t *testing.T) {
	// The body function makes the bodies of messages with a content
	// coding; the others are copied as they are, without calling it.
	inputs := map[string]struct {
		feeds []string
		want  string
	}{
		"content-length, one feed": {[]string{"HTTP/1.1 200 OK\r\nContent-Encoding: x\r\nContent-Length: 5\r\n\r\nhello"}, "HELLO"},
		"content-length, split":    {[]string{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Encoding: x\r\n\r\nhe", "llo"}, "HELLO"},
		"chunked":                  {[]string{"HTTP/1.1 200 OK\r\nContent-Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n"}, "HELLO"},
		"identity, one feed":       {[]string{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"}, "hello"},
		"identity, split":          {[]string{"HTTP/1.1 200 OK\r\nContent-Encoding: Identity \r\nContent-Length: 5\r\n\r\nhe", "l", "lo"}, "hello"},
		"identity, chunked":        {[]string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n"}, "hello"},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			var got []*Message
			var pool MessagePool
			p := NewParser(Response, Config{}, func(m *Message) { got = append(got, m) }, nil)
			p.SetMessagePool(&pool)
			p.SetBodyFunc(func(m *Message, body []byte) {
				m.Body = []byte(strings.ToUpper(string(body)))
				m.Decoded = true
			})
			for i, f := range in.feeds {
				// The parser must not keep the input: clobber it after Feed.
				b := []byte(f)
				p.Feed(b, int64(i+1))
				for k := range b {
					b[k] = 'x'
				}
			}
			coded := in.want != "hello"
			if len(got) != 1 || string(got[0].Body) != in.want || got[0].Decoded != coded || got[0].BodyLen != 5 || got[0].BodyTruncated {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

// TestReinit: a parser reused for a new stream forgets the old one.
func TestReinit(t *testing.T) {
	var got []string
	p := NewParser(Request, Config{}, nil, nil)
	p.Feed([]byte("POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), 1)
	p.Reinit(Response, func(m *Message) { got = append(got, brief(m)) }, nil)
	p.Feed([]byte("HTTP/1.1 204 No\r\n\r\n"), 2)
	if want := []string{`HTTP/1.1 204 No h=0 body="" len=0`}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestMessagePool(t *testing.T) {
	var mp MessagePool
	m := mp.Get()
	m.Method, m.Body = "GET", []byte("x")
	mp.Put(m)
	if m2 := mp.Get(); m2 != m || m2.Method != "" || m2.Body != nil {
		t.Fatalf("pooled message not reset: %+v", m2)
	}
	var nilPool *MessagePool
	if nilPool.Get() == nil {
		t.Fatal("nil pool returned nil")
	}
	nilPool.Put(m)
}

// TestPooledHeadersDoNotAlias: messages cut their header slices from one
// slab; growing one must not overwrite another's fields.
func TestPooledHeadersDoNotAlias(t *testing.T) {
	var got []*Message
	var pool MessagePool
	p := NewParser(Request, Config{}, func(m *Message) { got = append(got, m) }, nil)
	p.SetMessagePool(&pool)
	p.Feed([]byte("GET /a HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\nGET /b HTTP/1.1\r\nC: 3\r\n\r\n"), 1)
	if len(got) != 2 {
		t.Fatalf("%d messages", len(got))
	}
	got[0].Headers = append(got[0].Headers, apicall.Header{Name: "X", Value: "clobber"})
	got[0].Headers[0].Value = "changed"
	if h := got[1].Headers; len(h) != 1 || h[0].Name != "C" || h[0].Value != "3" {
		t.Fatalf("second message's headers changed: %+v", h)
	}
}

type recHandler struct {
	got []string
}

func (h *recHandler) HandleMessage(kind Kind, m *Message) {
	h.got = append(h.got, kind.String()+" "+brief(m))
}

func (h *recHandler) RequestInfo() (method, proto string) { return "HEAD", "HTTP/1.1" }

// TestHandler: a Handler replaces the callbacks, request info included
// (a response to HEAD has no body, whatever its Content-Length says).
func TestHandler(t *testing.T) {
	h := &recHandler{}
	p := NewParser(Response, Config{}, func(*Message) { t.Fatal("callback used with a handler") }, nil)
	p.SetHandler(h)
	p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No\r\n\r\n"), 1)
	want := []string{`response HTTP/1.1 200 OK h=1 body="" len=0`, `response HTTP/1.1 204 No h=0 body="" len=0`}
	if !reflect.DeepEqual(h.got, want) {
		t.Fatalf("got %q, want %q", h.got, want)
	}
}

// TestPooledBodyBuffers interleaves two parsers sharing a pool, with bodies
// gathered over several feeds (chunked, and coded for the body function):
// the buffers they borrow from the pool must not leak into the messages,
// and idle parsers hold none.
func TestPooledBodyBuffers(t *testing.T) {
	var pool MessagePool
	var got []*Message
	mk := func() *Parser {
		p := NewParser(Response, Config{}, func(m *Message) { got = append(got, m) }, nil)
		p.SetMessagePool(&pool)
		p.SetBodyFunc(func(m *Message, body []byte) { m.Body = append([]byte("dec:"), body...) })
		return p
	}
	a, b := mk(), mk()
	a.Feed([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\naaa"), 1)
	b.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: x\r\nContent-Length: 6\r\n\r\nbbb"), 2)
	a.Feed([]byte("\r\n0\r\n\r\n"), 3)
	b.Feed([]byte("BBB"), 4)
	a.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: x\r\nContent-Length: 4\r\n\r\ncc"), 5)
	a.Feed([]byte("CC"), 6)
	b.Feed([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\ndd\r\n"), 7)
	b.Feed([]byte("2\r\nDD\r\n0\r\n\r\n"), 8)
	var bodies []string
	for _, m := range got {
		bodies = append(bodies, string(m.Body))
	}
	want := []string{"aaa", "dec:bbbBBB", "dec:ccCC", "ddDD"}
	if !reflect.DeepEqual(bodies, want) {
		t.Fatalf("bodies %q, want %q", bodies, want)
	}
	if cap(a.body) != 0 || cap(b.body) != 0 || len(pool.bodies) == 0 {
		t.Errorf("idle parsers hold body buffers (%d, %d bytes), pool %d", cap(a.body), cap(b.body), len(pool.bodies))
	}
}
