package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

// jsonLeaf is a scalar of a JSON document in document order.
type jsonLeaf struct {
	secret bool   // under a secret name, at any depth
	key    bool   // an object key
	s      string // the decoded value (numbers verbatim)
}

// jsonLeaves lists the scalars of a valid JSON document with the secret
// rule applied independently of the scanner, through encoding/json.
func jsonLeaves(m *nameMatcher, data []byte) ([]jsonLeaf, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type level struct {
		object, secret, keySecret, expectKey bool
	}
	var stack []level
	var out []jsonLeaf
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		secret := false
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			secret = top.secret || top.object && top.keySecret
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, level{object: d == '{', secret: secret, expectKey: d == '{'})
			default:
				stack = stack[:len(stack)-1]
				if n := len(stack); n > 0 && stack[n-1].object {
					stack[n-1].expectKey = true
				}
			}
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			top := &stack[n-1]
			if top.expectKey {
				k := tok.(string)
				top.keySecret = matchName(m, k)
				top.expectKey = false
				out = append(out, jsonLeaf{key: true, s: k})
				continue
			}
			top.expectKey = true
		}
		var s string
		switch v := tok.(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		case bool, nil:
			secret = false // literals carry nothing
			s = "literal"
		}
		out = append(out, jsonLeaf{secret: secret, s: s})
	}
}

func FuzzRedactJSON(f *testing.F) {
	for _, s := range []string{
		`{"user":"a","password":"hunter2"}`,
		`{"a":{"b":[{"refresh_token":"r1"},{"x":"y"}]}}`,
		`{"credentials":{"user":"u","pw":["p1",2,true,null]},"next":"ok"}`,
		`{"pass\u0077ord":"pa\"ss","n":1}`,
		`{"note":"` + jwtSample + `","c":4111111111111111,"d":"4111 1111 1111 1111"}`,
		`[{"otp":123456},{"PIN":"0000"},{"shipping":"x"}]`,
		`{"a":1,"password":"hunt`,
		`{password: 'x'}`,
		`{"k\ud83d\ude00ey":"v","token":"\u00e9\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	p := newTestProcessor(f, nil)
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		out, _, _ := redactJSON(p.fields, in, true)
		if !bytes.Equal(in, orig) {
			t.Fatal("input modified")
		}
		if out == nil {
			out = in
		}
		if !json.Valid(in) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("valid input gave invalid output\nin:  %s\nout: %s", in, out)
		}
		before, err := jsonLeaves(p.fields, in)
		if err != nil {
			return // valid but beyond what the oracle reads (depth)
		}
		after, err := jsonLeaves(p.fields, out)
		if err != nil {
			t.Fatalf("read output: %v", err)
		}
		if len(before) != len(after) {
			t.Fatalf("structure changed: %d leaves, then %d\nin:  %s\nout: %s", len(before), len(after), in, out)
		}
		public := make([]string, 0, len(before))
		for _, l := range before {
			if !l.secret {
				public = append(public, l.s)
			}
		}
		for i, l := range before {
			if !l.secret || l.s == "" {
				continue
			}
			if after[i].s != marker {
				t.Fatalf("secret leaf %d %q became %q\nin:  %s\nout: %s", i, l.s, after[i].s, in, out)
			}
			if len(l.s) < 4 || containsAny(public, l.s) {
				continue // short or also public: may appear for other reasons
			}
			for _, a := range after {
				if strings.Contains(a.s, l.s) {
					t.Fatalf("secret %q survives in %q\nin:  %s\nout: %s", l.s, a.s, in, out)
				}
			}
		}
	})
}

func containsAny(hay []string, s string) bool {
	for _, h := range hay {
		if strings.Contains(h, s) {
			return true
		}
	}
	return false
}

// FuzzProcess holds that no call, however malformed, panics Process, and
// that a processed call holds no bearer credential it came with.
func FuzzProcess(f *testing.F) {
	f.Add("Authorization", "Bearer "+jwtSample, "/a;jsessionid=1", "token=x&a=%zz", "application/json", []byte(`{"password":"p"`))
	f.Add("Cookie", "session=; ;=x;sid", "/", "&&==&", "application/x-www-form-urlencoded", []byte("a=%&password"))
	f.Add("X-Forwarded-For", ",,[::1]:x, 1.2.3.4", "", "", "text/plain", []byte("4111 1111 1111 1111"))
	f.Add("Authorization", "Basic ===", "", "", "", []byte("  [1,2"))
	p := newTestProcessor(f, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
		c.CacheSize = 8
	})
	f.Fuzz(func(t *testing.T, name, value, path, query, ct string, body []byte) {
		c := newCall(name, value, "Location", value, "Set-Cookie", value)
		c.Path, c.RawQuery = path, query
		c.ReqBody = apicall.Body{ContentType: ct, Data: bytes.Clone(body)}
		c.RespBody = apicall.Body{ContentType: ct, Data: body}
		p.Process(&c)
		if strings.EqualFold(name, "Authorization") {
			scheme, cred := splitAuth(value)
			out := c.ReqHeaders[0].Value
			// The scheme name is kept ("Bearer [REDACTED]"); what follows it
			// must not hold the credential (which may spell the scheme's
			// own letters: "aaaa aaaa" → "aaaa [REDACTED]" keeps nothing).
			rest := strings.TrimPrefix(out, scheme)
			if len(cred) >= 4 && out != marker && strings.Contains(rest, cred) {
				t.Fatalf("credential %q kept in %q", cred, out)
			}
		}
	})
}
