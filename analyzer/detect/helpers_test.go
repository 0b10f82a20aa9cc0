package detect

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixNano()

// at is t0 plus sec seconds.
func at(sec float64) int64 { return t0 + int64(sec*1e9) }

// mk builds a call; user "" is anonymous (kind anonymous).
func mk(sec float64, user, ip, method, path string, status int) *apicall.Call {
	c := &apicall.Call{ID: fmt.Sprintf("c%.3f-%s", sec, user), ReqStart: at(sec), Host: "api.test", Method: method, Status: status,
		Client: netip.AddrPortFrom(netip.MustParseAddr(ip), 40000), Server: netip.MustParseAddrPort("10.0.0.1:80")}
	c.Path, c.RawQuery, _ = strings.Cut(path, "?")
	c.Actor.ClientIP = netip.MustParseAddr(ip)
	c.Actor.Kind = apicall.ActorAnonymous
	if user != "" {
		c.Actor.Kind, c.Actor.User, c.Actor.Alg, c.Actor.ExpiresAt = apicall.ActorJWT, user, "HS256", at(3600)/1e9
		c.Actor.Roles = []string{"customer"}
	}
	c.ReqHeaders = apicall.Headers{{Name: "User-Agent", Value: "app/1.0"}}
	return c
}

func withBody(c *apicall.Call, ctype, body string) *apicall.Call {
	c.ReqBody = apicall.Body{Data: []byte(body), Length: int64(len(body)), ContentType: ctype}
	return c
}

func withResp(c *apicall.Call, ctype, body string) *apicall.Call {
	c.RespBody = apicall.Body{Data: []byte(body), Length: int64(len(body)), ContentType: ctype}
	return c
}

func withRole(c *apicall.Call, role string) *apicall.Call {
	c.Actor.Roles = []string{role}
	return c
}

// run feeds calls to a fresh pipeline (default config unless cfg) and
// returns the final findings.
func run(t *testing.T, cfg *Config, calls []*apicall.Call) []report.Finding {
	t.Helper()
	c := DefaultConfig()
	if cfg != nil {
		c = *cfg
	}
	p, err := NewPipeline(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range calls {
		p.Observe(call, nil)
	}
	return p.Findings.All()
}

func count(fs []report.Finding, typ string) int {
	n := 0
	for _, f := range fs {
		if f.Type == typ {
			n++
		}
	}
	return n
}

// browse is benign background: n users each reading their own things
// every few seconds over span seconds, from their own IP.
func browse(n int, span float64, paths ...string) []*apicall.Call {
	var out []*apicall.Call
	for sec := 0.0; sec < span; sec += 7 {
		for u := range n {
			p := paths[(u+int(sec))%len(paths)]
			out = append(out, mk(sec+float64(u)*0.01, fmt.Sprintf("user-%d", u), fmt.Sprintf("172.16.0.%d", 10+u), "GET", p, 200))
		}
	}
	return out
}

func merge(parts ...[]*apicall.Call) []*apicall.Call {
	var out []*apicall.Call
	for _, p := range parts {
		out = append(out, p...)
	}
	// Stable insertion sort by time: inputs are small.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ReqStart < out[j-1].ReqStart; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func netipAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func types(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type)
	}
	return out
}
