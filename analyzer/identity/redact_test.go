package identity

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

const jwtSample = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"

func TestRedactJSON(t *testing.T) {
	p := newTestProcessor(t, nil)
	tests := []struct {
		name, in, want string
		masked         bool
	}{
		{"no secret", `{"id":1,"name":"x","tags":["a"]}`, `{"id":1,"name":"x","tags":["a"]}`, false},
		{"password", `{"user":"a","password":"hunter2"}`, `{"user":"a","password":"[REDACTED]"}`, false},
		{"case and separators", `{"Api-Key":"k","apiKey":"k","API_KEY":"k","clientSecret":"s"}`,
			`{"Api-Key":"[REDACTED]","apiKey":"[REDACTED]","API_KEY":"[REDACTED]","clientSecret":"[REDACTED]"}`, false},
		{"nested", `{"a":{"b":[{"refresh_token":"r1"},{"x":"y"}]}}`, `{"a":{"b":[{"refresh_token":"[REDACTED]"},{"x":"y"}]}}`, false},
		{"secret container", `{"credentials":{"user":"u","pw":["p1",2,true,null]},"next":"ok"}`,
			`{"credentials":{"user":"[REDACTED]","pw":["[REDACTED]","[REDACTED]",true,null]},"next":"ok"}`, false},
		{"escaped value", `{"password":"pa\"ss\\w\u0030rd","n":1}`, `{"password":"[REDACTED]","n":1}`, false},
		{"escaped key", `{"pass\u0077ord":"hunter2"}`, `{"pass\u0077ord":"[REDACTED]"}`, false},
		{"numeric pin", `{"pin":1234,"shipping":"fast"}`, `{"pin":"[REDACTED]","shipping":"fast"}`, false},
		{"empty secret kept", `{"password":""}`, `{"password":""}`, false},
		{"truncated value", `{"a":1,"password":"hunt`, `{"a":1,"password":"[REDACTED]`, false},
		{"truncated after key", `{"token":`, `{"token":`, false},
		{"jwt anywhere", `{"note":"use ` + jwtSample + ` now"}`, `{"note":"use [REDACTED] now"}`, false},
		{"jwt after escape", `{"note":"x\n` + jwtSample + `"}`, `{"note":"x\n[REDACTED]"}`, false},
		{"card in string", `{"c":"4111 1111 1111 1111"}`, `{"c":"**** **** **** 1111"}`, true},
		{"card as number", `{"c":4111111111111111}`, `{"c":"************1111"}`, true},
		{"not luhn", `{"c":"4111111111111112"}`, `{"c":"4111111111111112"}`, false},
		{"id without card prefix", `{"id":1234567890123452}`, `{"id":1234567890123452}`, false},
		{"js object literal", `{password: 'x', 'token': 'y'}`, `{password: '[REDACTED]', 'token': '[REDACTED]'}`, false},
		{"ndjson", "{\"token\":\"a\"}\n{\"token\":\"b\"}", "{\"token\":\"[REDACTED]\"}\n{\"token\":\"[REDACTED]\"}", false},
		{"garbage", `}}]],:"x`, `}}]],:"x`, false},
		{"too deep", strings.Repeat("[", 130) + `"x"` + strings.Repeat("]", 130),
			strings.Repeat("[", 130) + `"[REDACTED]"` + strings.Repeat("]", 130), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, masked := redactJSON(p.fields, []byte(tt.in), true)
			got := tt.in
			if out != nil {
				got = string(out)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if masked != tt.masked {
				t.Errorf("masked = %v, want %v", masked, tt.masked)
			}
		})
	}
}

func TestFieldNames(t *testing.T) {
	p := newTestProcessor(t, nil)
	for name, want := range map[string]bool{
		"password": true, "newPassword": true, "user_pwd": true, "X-Auth-Token": true, "access_token": true,
		"aws_secret_access_key": true, "privateKey": true, "otp": true, "otpCode": true, "PINCode": true,
		"userPin": true, "ssn": true, "PHPSESSID": true, "connect.sid": true, "jsessionid": true,
		"shipping": false, "classname": false, "opinion": false, "User-Agent": false, "Content-Type": false,
		"id": false, "email": false, "name": false, "Accept": false, "keyboard": false, "sidebar": false,
	} {
		if got := matchName(p.fields, name); got != want {
			t.Errorf("matchName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestRedactCall(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.RedactHeaders = []string{"X-Internal"} })
	tests := []struct {
		name  string
		edit  func(c *apicall.Call)
		check func(t *testing.T, c *apicall.Call)
		flags apicall.Flags
	}{
		{"nothing secret", func(c *apicall.Call) { c.RawQuery = "page=2&sort=asc" },
			func(t *testing.T, c *apicall.Call) { eq(t, c.RawQuery, "page=2&sort=asc") }, 0},
		{"query", func(c *apicall.Call) { c.RawQuery = "api_key=K1&page=2&access%5Ftoken=T1&x=" + jwtSample },
			func(t *testing.T, c *apicall.Call) {
				eq(t, c.RawQuery, "api_key=[REDACTED]&page=2&access%5Ftoken=[REDACTED]&x=[REDACTED]")
			}, apicall.FlagRedacted},
		{"path", func(c *apicall.Call) { c.Path = "/a;jsessionid=S1/reset/" + jwtSample + "/cards/4111111111111111" },
			func(t *testing.T, c *apicall.Call) {
				eq(t, c.Path, "/a;jsessionid=[REDACTED]/reset/[REDACTED]/cards/************1111")
			},
			apicall.FlagRedacted | apicall.FlagPIIMasked},
		{"headers", func(c *apicall.Call) {
			c.ReqHeaders = apicall.Headers{
				{Name: "Authorization", Value: "Bearer abc"}, {Name: "Proxy-Authorization", Value: "Digest u=1"},
				{Name: "Cookie", Value: "session=S1; theme=dark"}, {Name: "X-Internal", Value: "i"},
				{Name: "X-CSRF-Token", Value: "c"}, {Name: "X-Trace", Value: "t=" + jwtSample},
				{Name: "Referer", Value: "https://u:pw@app.test/cb?code=1&token=T#access_token=A&state=s"},
				{Name: "Accept", Value: "*/*"},
			}
			c.RespHeaders = apicall.Headers{{Name: "Set-Cookie", Value: "session=S2; Path=/; HttpOnly"},
				{Name: "Location", Value: "/login?next=/a&sid=S3"}}
		}, func(t *testing.T, c *apicall.Call) {
			want := []string{"Bearer [REDACTED]", "Digest [REDACTED]", "session=[REDACTED]; theme=[REDACTED]",
				"[REDACTED]", "[REDACTED]", "t=[REDACTED]",
				"https://[REDACTED]@app.test/cb?code=1&token=[REDACTED]#access_token=[REDACTED]&state=s", "*/*"}
			for i, w := range want {
				eq(t, c.ReqHeaders[i].Value, w)
			}
			eq(t, c.RespHeaders[0].Value, "session=[REDACTED]; Path=/; HttpOnly")
			eq(t, c.RespHeaders[1].Value, "/login?next=/a&sid=[REDACTED]")
		}, apicall.FlagRedacted},
		{"location with a fragment and no query", func(c *apicall.Call) {
			// The OAuth implicit flow's redirect: the token travels in the
			// fragment, with no query before it (this shape once sliced
			// out of range: the path ran on past the '#').
			c.RespHeaders = apicall.Headers{{Name: "Location", Value: "/cb#access_token=A1&card=4111111111111111"},
				{Name: "Location", Value: "#2200000040000"}}
		}, func(t *testing.T, c *apicall.Call) {
			eq(t, c.RespHeaders[0].Value, "/cb#access_token=[REDACTED]&card=************1111")
			eq(t, c.RespHeaders[1].Value, "#*********0000") // Luhn-valid, 13 digits
		}, apicall.FlagRedacted | apicall.FlagPIIMasked},
		{"cors headers are metadata", func(c *apicall.Call) {
			c.RespHeaders = apicall.Headers{{Name: "Access-Control-Allow-Credentials", Value: "true"},
				{Name: "Access-Control-Allow-Headers", Value: "Authorization, X-API-Key"},
				{Name: "X-Credential-Hint", Value: "h"}}
		}, func(t *testing.T, c *apicall.Call) {
			eq(t, c.RespHeaders[0].Value, "true")
			eq(t, c.RespHeaders[1].Value, "Authorization, X-API-Key")
			eq(t, c.RespHeaders[2].Value, "[REDACTED]") // other headers named like secrets still are
		}, apicall.FlagRedacted},
		{"form body", func(c *apicall.Call) {
			c.ReqBody = apicall.Body{ContentType: "application/x-www-form-urlencoded; charset=utf-8",
				Data: []byte("username=bob&password=p%40ss+w&card=4111+1111+1111+1111")}
		}, func(t *testing.T, c *apicall.Call) {
			eq(t, string(c.ReqBody.Data), "username=bob&password=[REDACTED]&card=****+****+****+1111")
		}, apicall.FlagRedacted | apicall.FlagPIIMasked},
		{"json response", func(c *apicall.Call) {
			c.RespBody = apicall.Body{ContentType: "application/json", Length: 99,
				Data: []byte(`{"access_token":"` + jwtSample + `","token_type":"Bearer"}`)}
		}, func(t *testing.T, c *apicall.Call) {
			eq(t, string(c.RespBody.Data), `{"access_token":"[REDACTED]","token_type":"[REDACTED]"}`)
			if c.RespBody.Length != 99 {
				t.Errorf("length changed to %d", c.RespBody.Length)
			}
		}, apicall.FlagRedacted},
		{"json without content type", func(c *apicall.Call) {
			c.ReqBody = apicall.Body{Data: []byte(` {"password":"x"}`)}
		}, func(t *testing.T, c *apicall.Call) { eq(t, string(c.ReqBody.Data), ` {"password":"[REDACTED]"}`) }, apicall.FlagRedacted},
		{"text body", func(c *apicall.Call) {
			c.RespBody = apicall.Body{ContentType: "text/html", Data: []byte("<p>" + jwtSample + " 5500-0000-0000-0004</p>")}
		}, func(t *testing.T, c *apicall.Call) {
			eq(t, string(c.RespBody.Data), "<p>[REDACTED] ****-****-****-0004</p>")
		}, apicall.FlagRedacted | apicall.FlagPIIMasked},
		{"binary body untouched", func(c *apicall.Call) {
			c.RespBody = apicall.Body{ContentType: "image/png", Data: []byte(`{"password":"x"}`)}
		}, func(t *testing.T, c *apicall.Call) { eq(t, string(c.RespBody.Data), `{"password":"x"}`) }, 0},
		{"undecodable body dropped", func(c *apicall.Call) {
			c.RespBody = apicall.Body{ContentType: "application/json", Encoding: "br", DecodeError: "corrupt", Data: []byte{1, 2}}
		}, func(t *testing.T, c *apicall.Call) {
			if c.RespBody.Data != nil {
				t.Error("body kept")
			}
		}, apicall.FlagRedacted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCall()
			tt.edit(&c)
			p.Process(&c)
			tt.check(t, &c)
			if c.Flags != tt.flags {
				t.Errorf("flags = %v, want %v", c.Flags.Names(), tt.flags.Names())
			}
		})
	}
}

func eq(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestMayStartSecret(t *testing.T) {
	for b := range 256 {
		for pos := range 8 {
			var buf [8]byte
			for i := range buf {
				buf[i] = 'x'
			}
			buf[pos] = byte(b)
			want := scanStart[b]
			if got := mayStartSecret(load64(buf[:], 0)); got != want {
				t.Fatalf("byte %#x at %d: mayStartSecret = %v, want %v", b, pos, got, want)
			}
		}
	}
}

func TestMaySecret(t *testing.T) {
	for _, tc := range []struct {
		in    string
		cards bool
		want  bool
	}{
		{"just some words here", true, false},
		{"order 2026-01-05 at noon", true, false},
		{"card 4111 1111 1111 1111", true, true},
		{"card 4111 1111 1111 1111", false, false},
		{"token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig", false, true},
		{"abcdefgh12345678901234", true, true},
		{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxeyJ", false, true},
	} {
		if got := maySecret(tc.in, 0, len(tc.in), tc.cards); got != tc.want {
			t.Errorf("maySecret(%q, cards=%v) = %v, want %v", tc.in, tc.cards, got, tc.want)
		}
	}
}

func TestMaySecretFindsEveryJWTStart(t *testing.T) {
	// "eyJ" at every offset and alignment, in text full of other e's and y's.
	for pad := range 24 {
		in := strings.Repeat("ey ye e", 5)[:pad] + "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." + "tail"
		if !maySecret(in, 0, len(in), false) {
			t.Errorf("pad %d: JWT start missed in %q", pad, in)
		}
	}
}

func TestZeroMask(t *testing.T) {
	for b := range 256 {
		for pos := range 8 {
			v := uint64(0x0101010101010101) // no zero byte
			v &^= 0xff << (8 * pos)
			v |= uint64(b) << (8 * pos)
			got := zeroMask(v)
			want := uint64(0)
			if b == 0 {
				want = 0x80 << (8 * pos)
			}
			if got != want {
				t.Fatalf("byte %#x at %d: mask %#x, want %#x", b, pos, got, want)
			}
		}
	}
}

// TestStringEndFastPath checks the eight-bytes-at-a-time start of stringEnd
// against the plain IndexByte walk, for quotes and escapes at every offset
// around the fast path's 16 bytes.
func TestStringEndFastPath(t *testing.T) {
	for n := 0; n < 40; n++ {
		for _, q := range []byte{'"', '\''} {
			for _, mark := range []string{"", `\`, `\"`, `\'`, `\\`, string(q)} {
				for at := 0; at <= n; at++ {
					body := bytes.Repeat([]byte("a"), n)
					body = append(body[:at:at], append([]byte(mark), body[at:]...)...)
					for _, tail := range []string{"", string(q), string(q) + `,"x":1}`} {
						src := append(append([]byte{q}, body...), tail...)
						e1, c1, x1 := stringEnd(src, 0)
						e2, c2, x2 := stringEndSlow(src, 0, 1)
						if e1 != e2 || c1 != c2 || x1 != x2 {
							t.Fatalf("%q: stringEnd = %d %v %v, want %d %v %v", src, e1, c1, x1, e2, c2, x2)
						}
					}
				}
			}
		}
	}
}

func TestHasJWTMark(t *testing.T) {
	for s, want := range map[string]bool{
		"": false, "eyJ": true, "xeyJ": true, "eyj": false, "ey": false, "J": false, "JeyJ": true,
		"eJ yJ": false, `{"a":"eyJhbGciOiJIUzI1NiJ9.e30.x"}`: true, `{"Jj":"JJJ","eyeyJ":1}`: true,
		`{"Jj":"JJJ","eyey":"yJ"}`: false,
	} {
		if got := hasJWTMark([]byte(s)); got != want {
			t.Errorf("hasJWTMark(%q) = %v, want %v", s, got, want)
		}
	}
}
