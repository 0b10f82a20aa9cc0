package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.`)

// minSecret is the shortest value searched for: shorter ones ("1", "en")
// appear in any output by chance.
const minSecret = 8

// jsonValueRE reads the string value after a JSON member name.
var jsonValueRE = regexp.MustCompile(`^\s*:\s*("(?:[^"\\]|\\.)*")`)

// secretsIn returns the secrets found in the raw bytes of a capture, by
// kind, read independently of apitap: credential header values and secret
// JSON members and form fields as clients and servers sent them. It uses
// plain byte searches, because regular expressions over a whole capture
// are slow under the race detector.
func secretsIn(raw []byte) map[string][]string {
	out := map[string][]string{}
	add := func(kind, v string) {
		v = strings.TrimSpace(v)
		if len(v) >= minSecret && !slices.Contains(out[kind], v) {
			out[kind] = append(out[kind], v)
		}
	}
	crlf := []byte("\r\n")
	for rest := raw; ; {
		i := bytes.Index(rest, crlf)
		if i < 0 {
			break
		}
		rest = rest[i+2:]
		line := rest
		if j := bytes.Index(line, crlf); j >= 0 {
			line = line[:j]
		}
		name, _, ok := strings.Cut(string(line[:min(len(line), 64)]), ":")
		if !ok {
			continue
		}
		value := strings.TrimSpace(string(line[len(name)+1:]))
		switch strings.ToLower(name) {
		case "authorization", "proxy-authorization":
			scheme, cred, _ := strings.Cut(value, " ")
			add("authorization", cred)
			if strings.EqualFold(scheme, "basic") {
				if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
					if _, pass, ok := strings.Cut(string(dec), ":"); ok {
						add("basic password", pass)
					}
				}
			}
		case "cookie":
			for c := range strings.SplitSeq(value, ";") {
				if _, v, ok := strings.Cut(c, "="); ok {
					add("cookie", v)
				}
			}
		case "set-cookie":
			c, _, _ := strings.Cut(value, ";")
			if _, v, ok := strings.Cut(c, "="); ok {
				add("cookie", v)
			}
		case "x-api-key", "api-key":
			add("apikey", value)
		}
	}
	for _, member := range []string{"password", "token", "access_token", "refresh_token"} {
		kind := "token"
		if member == "password" {
			kind = "password"
		}
		key := []byte(`"` + member + `"`)
		for rest := raw; ; {
			i := bytes.Index(rest, key)
			if i < 0 {
				break
			}
			rest = rest[i+len(key):]
			if m := jsonValueRE.FindSubmatch(rest[:min(len(rest), 4096)]); m != nil {
				var v string
				if json.Unmarshal(m[1], &v) == nil {
					add(kind, v)
				}
			}
		}
	}
	key := []byte("password=")
	for rest, off := raw, 0; ; {
		i := bytes.Index(rest, key)
		if i < 0 {
			break
		}
		start := off + i
		rest, off = rest[i+len(key):], start+len(key)
		if start > 0 && !strings.ContainsRune("&? \t\r\n", rune(raw[start-1])) {
			continue
		}
		end := bytes.IndexAny(rest, "& \t\r\n\"")
		if end < 0 {
			end = len(rest)
		}
		if v, err := url.QueryUnescape(string(rest[:end])); err == nil {
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
			// The detector must see every secret read from the capture in
			// the capture itself (Basic passwords excepted: they are base64).
			inRaw := maps.Clone(secrets)
			delete(inRaw, "basic password")
			if found, total := len(findLeaks(raw, inRaw)), countSecrets(inRaw); found != total {
				t.Fatalf("leak detector finds %d of the %d secrets in the capture itself", found, total)
			}
			for kind, vs := range tc.known {
				for _, v := range vs {
					if !slices.Contains(secrets[kind], v) {
						secrets[kind] = append(secrets[kind], v)
					}
				}
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
			if n := bytes.Count(all, []byte("sk_live_")); n > 0 {
				i := bytes.Index(all, []byte("sk_live_"))
				t.Errorf("%d sk_live_ keys in the agent output, first at %q", n, all[max(i-80, 0):min(i+80, len(all))])
			}
			leaks := findLeaks(all, secrets)
			for kind, vs := range secrets {
				leaked := 0
				for _, v := range vs {
					if form, ok := leaks[v]; ok {
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

// findLeaks returns the secrets that appear in out, each with the form it
// appears in: raw, JSON-escaped (apitap escapes <, > and & like
// encoding/json) or URL-escaped. Thousands of secrets are looked up in one
// pass over out, by their first minSecret bytes.
func findLeaks(out []byte, secrets map[string][]string) map[string]string {
	type cand struct{ secret, form string }
	byPrefix := map[string][]cand{}
	for _, vs := range secrets {
		for _, v := range vs {
			js, _ := json.Marshal(v)
			forms := []string{v, string(js[1 : len(js)-1]), url.QueryEscape(v), url.PathEscape(v)}
			slices.Sort(forms)
			for _, f := range slices.Compact(forms) {
				byPrefix[f[:minSecret]] = append(byPrefix[f[:minSecret]], cand{v, f})
			}
		}
	}
	found := map[string]string{}
	for i := 0; i+minSecret <= len(out); i++ {
		for _, c := range byPrefix[string(out[i:i+minSecret])] {
			if bytes.HasPrefix(out[i:], []byte(c.form)) {
				found[c.secret] = c.form
			}
		}
	}
	return found
}

func countSecrets(secrets map[string][]string) int {
	seen := map[string]bool{}
	for _, vs := range secrets {
		for _, v := range vs {
			seen[v] = true
		}
	}
	return len(seen)
}
