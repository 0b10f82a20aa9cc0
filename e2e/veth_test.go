package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var pseudonymRE = map[string]*regexp.Regexp{
	"apikey":  regexp.MustCompile(`^apikey:[0-9a-f]{12}$`),
	"basic":   regexp.MustCompile(`^basic:[0-9a-f]{12}$`),
	"session": regexp.MustCompile(`^session:[0-9a-f]{12}$`),
}

// TestRealCaptureOverVeth records real HTTP/1.x traffic between two network
// namespaces with tcpdump and checks that apitap reports exactly the calls
// the clients made, with the right actors and decoded bodies.
func TestRealCaptureOverVeth(t *testing.T) {
	rec := vethCapture(t)
	checkPlanCalls(t, rec.ns, runAgent(t, rec.pcap))
}

// checkPlanCalls checks that run reported exactly the calls of the plan, made between the
// namespaces of ns, with the right actors and decoded bodies.
func checkPlanCalls(t *testing.T, ns *netnsPair, run *agentRun) {
	t.Helper()
	want := map[string]int{}
	byKey := map[string]request{}
	for _, r := range plan() {
		if _, dup := byKey[r.key()]; dup {
			t.Fatalf("plan: %s appears twice; keys must be unique to match calls", r.key())
		}
		byKey[r.key()] = r
		want[fmt.Sprintf("%s %d", r.key(), r.status)]++
	}
	got := map[string]int{}
	calls := map[string]callJSON{}
	for _, c := range run.calls {
		k := exchangeKey(c.Method, c.Path, c.Query)
		got[fmt.Sprintf("%s %d", k, c.Status)]++
		calls[k] = c
		if c.Status == 0 {
			t.Errorf("%s: status 0 (flags %v): every request of the capture was answered", k, c.Flags)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("(method, target, status) multiset differs:\n%s", multisetDiff(want, got))
	}
	if s := run.summary; s.ParseErrors != 0 || s.UnpairedRequests != 0 {
		t.Errorf("summary: parse_errors=%d (%s) unpaired_requests=%d, want 0 and 0", s.ParseErrors, s.ParseErrorReasons, s.UnpairedRequests)
	}

	conns := map[client]map[string]int{}
	apiKeyUsers := map[string]string{} // API key → pseudonym
	for _, r := range plan() {
		c, ok := calls[r.key()]
		if !ok {
			continue // reported by the multiset comparison
		}
		t.Run(strings.NewReplacer("/", "_", " ", "_").Replace(r.key()), func(t *testing.T) {
			checkCall(t, ns, r, c, apiKeyUsers)
		})
		if conns[r.client] == nil {
			conns[r.client] = map[string]int{}
		}
		conns[r.client][c.Client]++
	}
	if n := len(conns[goKeepAlive]); n != 1 {
		t.Errorf("keep-alive calls came from %d client addresses, want 1 connection: %v", n, conns[goKeepAlive])
	}
	for _, cl := range []client{goClose, curl} {
		for addr, n := range conns[cl] {
			if n != 1 {
				t.Errorf("%s: %d calls from %s, want one connection per request", cl, n, addr)
			}
		}
	}
}

// checkCall checks one call against the request that made it.
func checkCall(t *testing.T, ns *netnsPair, r request, c callJSON, apiKeyUsers map[string]string) {
	wantProto := "HTTP/1.1"
	if r.proto != "" {
		wantProto = r.proto
	}
	if c.Proto != wantProto {
		t.Errorf("proto %q, want %q", c.Proto, wantProto)
	}
	if ap, err := netip.ParseAddrPort(c.Client); err != nil || ap.Addr().String() != ns.cliIP {
		t.Errorf("client %q, want %s:port", c.Client, ns.cliIP)
	}
	if want := fmt.Sprintf("%s:%d", ns.srvIP, serverPort); c.Server != want {
		t.Errorf("server %q, want %s", c.Server, want)
	}
	if c.Actor.ClientIP != ns.cliIP {
		t.Errorf("actor client_ip %q, want %s", c.Actor.ClientIP, ns.cliIP)
	}
	if c.Actor.Kind != r.actor {
		t.Errorf("actor kind %q, want %q (user %q)", c.Actor.Kind, r.actor, c.Actor.User)
	}
	switch r.actor {
	case "jwt":
		if c.Actor.User != "alice" {
			t.Errorf("actor user %q, want alice (the JWT's sub)", c.Actor.User)
		}
	case "anonymous":
		if c.Actor.User != "" {
			t.Errorf("actor user %q, want empty", c.Actor.User)
		}
	default:
		if !pseudonymRE[r.actor].MatchString(c.Actor.User) {
			t.Errorf("actor user %q, want %s", c.Actor.User, pseudonymRE[r.actor])
		}
	}
	for _, h := range r.headers {
		if strings.EqualFold(h[0], "X-API-Key") {
			if prev, ok := apiKeyUsers[h[1]]; ok && prev != c.Actor.User {
				t.Errorf("API key pseudonym %q, an earlier call with the same key got %q", c.Actor.User, prev)
			}
			for k, u := range apiKeyUsers {
				if k != h[1] && u == c.Actor.User {
					t.Errorf("two API keys share the pseudonym %q", u)
				}
			}
			apiKeyUsers[h[1]] = c.Actor.User
		}
	}
	if r.body != "" && c.Request.BodyLength != int64(len(r.body)) {
		t.Errorf("request body_length %d, want %d", c.Request.BodyLength, len(r.body))
	}

	resp := c.Response
	switch {
	case r.method == "HEAD":
		if resp.Body != "" || resp.BodyBase64 != nil || resp.BodyLength != 0 {
			t.Errorf("HEAD response has a body: length %d, %q", resp.BodyLength, resp.Body)
		}
	case r.status == 204:
		if resp.BodyLength != 0 {
			t.Errorf("204 response body_length %d, want 0", resp.BodyLength)
		}
	case r.method == "GET" && strings.HasPrefix(r.path, "/api/orders/"):
		if id := strings.TrimPrefix(r.path, "/api/orders/"); resp.Body != orderBody(id) {
			t.Errorf("response body %q, want %q", resp.Body, orderBody(id))
		}
	case r.path == "/api/stream":
		if te := resp.header("Transfer-Encoding"); !strings.EqualFold(te, "chunked") {
			t.Errorf("Transfer-Encoding %q, want chunked", te)
		}
		if resp.Truncated || resp.Body != streamBody() {
			t.Errorf("chunked response body (truncated=%v, %d bytes) is not the %d bytes sent:\n got %.300q\nwant %.300q",
				resp.Truncated, len(resp.Body), len(streamBody()), resp.Body, streamBody())
		}
	case r.path == "/api/report":
		if resp.ContentEncoding != "gzip" || resp.DecodeError != "" {
			t.Errorf("content_encoding %q decode_error %q, want gzip and none", resp.ContentEncoding, resp.DecodeError)
		}
		var got, want any
		if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
			t.Errorf("gzip response body is not the decoded JSON: %v: %.200q (base64 %d bytes)", err, resp.Body, len(resp.BodyBase64))
		} else if json.Unmarshal([]byte(reportBody()), &want); !reflect.DeepEqual(got, want) {
			t.Errorf("decoded gzip body %.300q, want %.300q", resp.Body, reportBody())
		}
		if resp.Truncated {
			t.Error("gzip response body truncated")
		}
	case r.path == "/api/upload":
		if want := `{"received":2048}`; resp.Body != want {
			t.Errorf("upload response body %q, want %q", resp.Body, want)
		}
	}
}

// multisetDiff lists the entries whose counts differ.
func multisetDiff(want, got map[string]int) string {
	var b strings.Builder
	all := maps.Clone(want)
	maps.Copy(all, got)
	for _, k := range slices.Sorted(maps.Keys(all)) {
		if want[k] != got[k] {
			fmt.Fprintf(&b, "  %-60s want %d, got %d\n", k, want[k], got[k])
		}
	}
	return b.String()
}
