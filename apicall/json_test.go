package apicall

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
	"testing"
)

func TestAppendJSONIsValidAndRoundTrips(t *testing.T) {
	c := Call{
		ID: "abc", ReqStart: 1767603600123456789, RespEnd: 1767603600223456789,
		Client: netip.MustParseAddrPort("172.16.0.9:51234"), Server: netip.MustParseAddrPort("[2001:db8::1]:80"),
		Host: "api.shop.test", Method: "GET", Path: "/a\"b\\c<>&\u2028", RawQuery: "q=1", Proto: "HTTP/1.1",
		ReqHeaders: Headers{{"Host", "api.shop.test"}, {"X-Bad", "\x01\xff\t"}},
		Status:     200, Reason: "OK",
		RespBody: Body{Data: []byte(`{"k":"v\n"}`), Length: 11, ContentType: "application/json"},
		ReqBody:  Body{Data: []byte{0xff, 0x00, 0x01}, Length: 3},
		Source:   Source{Kind: "file", Name: "x.pcap"},
		Actor:    Actor{Kind: ActorJWT, User: "user-1", Roles: []string{"admin"}, ClientIP: netip.MustParseAddr("172.16.0.9")},
		Flags:    FlagGap | FlagRedacted,
	}
	out := AppendJSON(nil, &c)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("invalid JSON %s: %v", out, err)
	}
	for k, want := range map[string]any{
		"path": "/a\"b\\c<>&\u2028", "host": "api.shop.test", "status": 200.0,
		"req_start": "2026-01-05T09:00:00.123456789Z", "resp_start": nil,
		"server": "[2001:db8::1]:80",
	} {
		if m[k] != want {
			t.Errorf("%s = %#v, want %#v", k, m[k], want)
		}
	}
	resp := m["response"].(map[string]any)
	if resp["body"] != "{\"k\":\"v\\n\"}" {
		t.Errorf("response body = %#v", resp["body"])
	}
	req := m["request"].(map[string]any)
	if req["body_base64"] != "/wAB" {
		t.Errorf("binary body = %#v", req["body_base64"])
	}
	hdr := req["headers"].([]any)[1].([]any)
	if hdr[1] != "\x01\ufffd\t" {
		t.Errorf("header with invalid UTF-8 = %q", hdr[1])
	}
	flags := m["flags"].([]any)
	if len(flags) != 2 || flags[0] != "gap" || flags[1] != "redacted" {
		t.Errorf("flags = %v", flags)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	c := Call{
		ID: "0123456789abcdef", ReqStart: 1767603600123456789, ReqEnd: 1767603600123456789,
		RespStart: 1767603600223456789, RespEnd: 1767603600223456789,
		Client: netip.MustParseAddrPort("172.16.0.9:51234"), Server: netip.MustParseAddrPort("10.0.0.1:80"),
		Host: "api.shop.test", Method: "GET", Path: "/api/v2/orders/10423", Proto: "HTTP/1.1",
		ReqHeaders:  Headers{{"Host", "api.shop.test"}, {"User-Agent", "shop-app/2.1"}, {"Accept", "application/json"}, {"Authorization", "Bearer [REDACTED]"}},
		RespHeaders: Headers{{"Content-Type", "application/json"}, {"Content-Length", "64"}, {"Date", "Mon, 05 Jan 2026 09:00:00 GMT"}},
		Status:      200, Reason: "OK",
		RespBody: Body{Data: []byte(`{"id":10423,"status":"shipped","total":129.5,"items":3,"user":"user-017"}`), Length: 64, ContentType: "application/json"},
		Actor:    Actor{Kind: ActorJWT, User: "user-017", ClientIP: netip.MustParseAddr("172.16.0.9")},
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendJSON(buf[:0], &c)
	}
	b.SetBytes(int64(len(buf)))
}

func TestPlain8(t *testing.T) {
	for b := range 256 {
		for pos := range 8 {
			buf := []byte("abcdefgh")
			buf[pos] = byte(b)
			want := b >= 0x20 && b < 0x80 && b != '"' && b != '\\'
			if got := plain8(buf, 0); got != want {
				t.Fatalf("byte %#x at %d: plain8 = %v, want %v", b, pos, got, want)
			}
		}
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain ascii text that is long enough", "quote\" and back\\slash in a long string",
		"ctrl \x01\x1f\t\n\r chars", "utf8 héllo wörld ✓ and more text", "bad \xff\xfe utf8 here!!", "\u2028 sep \u2029 x"} {
		var got any
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, appendString(nil, s), err)
		}
		var want strings.Builder
		for _, r := range s { // each invalid byte decodes as one U+FFFD
			want.WriteRune(r)
		}
		if got != want.String() {
			t.Errorf("%q round-trips to %q, want %q", s, got, want.String())
		}
	}
}

// TestNotPlain8FirstByte: the lowest marked byte is the first byte that
// needs escaping or UTF-8 decoding, whatever follows it.
func TestNotPlain8FirstByte(t *testing.T) {
	for b := range 256 {
		for pos := range 8 {
			for _, after := range []byte{'a', 0, '"', 0xff, 0x1f} {
				buf := []byte("abcdefgh")
				buf[pos] = byte(b)
				for k := pos + 1; k < 8; k++ {
					buf[k] = after
				}
				want := 8 // first byte that is not plain
				for k, c := range buf {
					if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
						want = k
						break
					}
				}
				got := 8
				if m := notPlain8(buf, 0); m != 0 {
					got = bits.TrailingZeros64(m) / 8
				}
				if got != want {
					t.Fatalf("%q: first marked byte %d, want %d", buf, got, want)
				}
			}
		}
	}
}

// BenchmarkAppendJSONBody: a call with a 2.5 KB JSON response body, the
// average of the bench pcap; JSON bodies put a quote every few bytes.
func BenchmarkAppendJSONBody(b *testing.B) {
	var body []byte
	for i := 0; len(body) < 2500; i++ {
		body = fmt.Appendf(body, `{"orderId":"ord-%07d","status":"shipped","total":%d.95,"note":"caf\u00e9 \"x\""},`, i*7919, i%500)
	}
	c := Call{Method: "GET", Path: "/api/v2/orders", Status: 200, RespBody: Body{Data: body, Length: int64(len(body)), ContentType: "application/json"}}
	var buf []byte
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		buf = AppendJSON(buf[:0], &c)
	}
}
