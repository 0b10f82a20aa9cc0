package detect

import (
	"net/netip"
	"testing"
)

// BenchmarkActorStageManyActors: the actor stage with a full table of
// 250k actors, each call from a new actor (worst case: evictions).
func BenchmarkActorStageManyActors(b *testing.B) {
	cfg := DefaultConfig()
	cfg.MaxActors = 250_000
	s, _ := NewActorStage(cfg)
	c := mk(0, "", "10.1.0.1", "GET", "/products/1", 200)
	hits := make([]Hit, 0, 8)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.ReqStart = t0 + int64(i)*1e6
		c.Actor.ClientIP = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		o := Observation{Call: c, Host: c.Host, Method: c.Method, Template: "/products/{id}"}
		hits = s.Observe(&o, hits[:0])
	}
}
