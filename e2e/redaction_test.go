package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	jwtRE     = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.`)
	liveKeyRE = regexp.MustCompile(`sk_live_`)
)

// The secrets of a capture are read from its bytes, independently of
// apitap: header values and body fields as a client or server sent them.
var (
	authHeaderRE = regexp.MustCompile(`(?i)\r\n(?:proxy-)?authorization:[ \t]*([A-Za-z]+)[ \t]+([^\r\n]+)`)
	cookieRE     = regexp.MustCompile(`(?i)\r\ncookie:[ \t]*([^\r\n]+)`)
	setCookieRE  = regexp.MustCompile(`(?i)\r\nset-cookie:[ \t]*[^=\r\n]+=([^;\r\n]*)`)
	apiKeyRE     = regexp.MustCompile(`(?i)\r\n(?:x-api-key|api-key):[ \t]*([^\r\n]+)`)
	jsonSecretRE = regexp.MustCompile(`"(password|token|access_token|refresh_token)"\s*:\s*("(?:[^"\\]|\\.)*")`)
	formSecretRE = regexp.MustCompile(`(?:^|[&?\s])password=([^&\s"]*)`)
)

// minSecret is the shortest value searched for: shorter ones ("1", "en")
// appear in any output by chance.
const minSecret = 8

// secretsIn returns the secrets found in the raw bytes of a capture, by kind.
func secretsIn(raw []byte) map[string][]string {
	out := map[string][]string{}
	add := func(kind, v string) {
		v = strings.TrimSpace(v)
		if len(v) >= minSecret && !slices.Contains(out[kind], v) {
			out[kind] = append(out[kind], v)
		}
	}
	for _, m := range authHeaderRE.FindAllSubmatch(raw, -1) {
		add("authorization", string(m[2]))
		if strings.EqualFold(string(m[1]), "basic") {
			if dec, err := base64.StdEncoding.DecodeString(string(m[2])); err == nil {
				if _, pass, ok := strings.Cut(string(dec), ":"); ok {
					add("password", pass)
				}
			}
		}
	}
	for _, m := range cookieRE.FindAllSubmatch(raw, -1) {
		for c := range strings.SplitSeq(string(m[1]), ";") {
			if _, v, ok := strings.Cut(c, "="); ok {
				add("cookie", v)
			}
		}
	}
	for _, m := range setCookieRE.FindAllSubmatch(raw, -1) {
		add("cookie", string(m[1]))
	}
	for _, m := range apiKeyRE.FindAllSubmatch(raw, -1) {
		add("apikey", string(m[1]))
	}
	for _, m := range jsonSecretRE.FindAllSubmatch(raw, -1) {
		var v string
		if json.Unmarshal(m[2], &v) == nil {
			kind := "token"
			if string(m[1]) == "password" {
				kind = "password"
			}
			add(kind, v)
		}
	}
	for _, m := range formSecretRE.FindAllSubmatch(raw, -1) {
		if v, err := url.QueryUnescape(string(m[1])); err == nil {
			add("password", v)
		}
	}
	return out
}

// TestRedactionEndToEnd checks that no secret of the simulated and the
// recorded capture leaves the agent: no JWT, no live API key, no password,
// no cookie value, in any form apitap could write it.
func TestRedactionEndToEnd(t *testing.T) {
	cases := []struct {
		name    string
		pcap    func(t *testing.T) string
		known   map[string][]string // secrets the test itself sent
		require []string            // kinds the capture must hold, or the check is empty
	}{
		{
			name:    "simulated",
			pcap:    func(t *testing.T) string { return simulated(t).pcap },
			require: []string{"authorization", "apikey", "cookie", "password"},
		},
		{
			name: "veth",
			pcap: func(t *testing.T) string { return vethCapture(t).pcap },
			known: map[string][]string{
				"password":      sentPasswords,
				"apikey":        {apiKeyGo, apiKeyCurl},
				"cookie":        {clientSession, themeCookie, sessionFor("alice"), sessionFor("carol")},
				"authorization": {jwtFor("alice"), jwtFor("carol")},
			},
			require: []string{"authorization", "apikey", "cookie", "password", "token"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pcap := tc.pcap(t)
			raw, err := os.ReadFile(pcap)
			if err != nil {
				t.Fatal(err)
			}
			secrets := secretsIn(raw)
			for kind, vs := range tc.known {
				secrets[kind] = append(secrets[kind], vs...)
			}
			for _, kind := range tc.require {
				if len(secrets[kind]) == 0 {
					t.Fatalf("found no %s secret in %s: the check would be empty", kind, pcap)
				}
			}
			run := runAgent(t, pcap)
			if len(run.calls) == 0 {
				t.Fatal("agent reported no calls")
			}
			// Bodies that are not UTF-8 are written in base64: search them decoded.
			hay := [][]byte{run.stdout}
			for _, c := range run.calls {
				hay = append(hay, c.Request.BodyBase64, c.Response.BodyBase64)
			}
			all := bytes.Join(hay, []byte("\n"))
			if m := jwtRE.FindAll(all, 3); m != nil {
				t.Errorf("JWTs in the agent output: %q", m)
			}
			if n := len(liveKeyRE.FindAllIndex(all, -1)); n > 0 {
				i := liveKeyRE.FindIndex(all)[0]
				t.Errorf("%d sk_live_ keys in the agent output, first at %q", n, all[max(i-80, 0):min(i+80, len(all))])
			}
			for kind, vs := range secrets {
				leaked := 0
				for _, v := range vs {
					if form, ok := findSecret(all, v); ok {
						if leaked < 3 {
							t.Errorf("%s secret %q leaked as %q", kind, v, form)
						}
						leaked++
					}
				}
				if leaked > 0 {
					t.Errorf("%d of %d %s secrets leaked", leaked, len(vs), kind)
				}
				t.Logf("%d %s secrets checked", len(vs), kind)
			}
		})
	}
}

// findSecret reports whether s appears in out raw, JSON-escaped (apitap
// escapes <, > and & like encoding/json) or URL-escaped.
func findSecret(out []byte, s string) (string, bool) {
	js, _ := json.Marshal(s)
	forms := []string{s, string(js[1 : len(js)-1]), url.QueryEscape(s), url.PathEscape(s)}
	for _, f := range forms {
		if bytes.Contains(out, []byte(f)) {
			return f, true
		}
	}
	return "", false
}
