package detect

import (
	"slices"
	"testing"
)

// TestFindingUsers: a finding about an endpoint (no single actor) names
// the authenticated callers behind it, each once and bounded; a finding
// about one actor carries that actor as its user and no list.
func TestFindingUsers(t *testing.T) {
	cfg := DefaultConfig()
	fs := NewFindings(&cfg)
	ep := &Hit{Type: Misconfiguration, Severity: "medium", Endpoint: "GET /debug"}
	var last []string
	for i, u := range []string{"alice", "", "bob", "alice", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"} {
		c := mk(float64(i), u, "172.16.0.9", "GET", "/debug", 500)
		o := &Observation{Call: c, Host: c.Host, Method: "GET", Template: "/debug"}
		f := fs.Add(ep, o)
		if f.User != "" {
			t.Fatalf("endpoint finding has user %q", f.User)
		}
		last = f.Users
	}
	if want := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}; !slices.Equal(last, want) {
		t.Errorf("users %q, want %q", last, want)
	}
	c := mk(1, "alice", "172.16.0.9", "GET", "/orders/1", 200)
	f := fs.Add(&Hit{Type: BOLA, Severity: "high", Actor: "alice", Endpoint: "GET /orders/{id}"},
		&Observation{Call: c, Host: c.Host, Method: "GET", Template: "/orders/{id}"})
	if f.User != "alice" || len(f.Users) != 0 {
		t.Errorf("actor finding: user %q users %q, want alice and none", f.User, f.Users)
	}
}
