package detect

import (
	"net/netip"
	"slices"
)

// allow applies the allow-lists and per-type switches.
type allow struct {
	actors    map[string]bool
	ips       []netip.Prefix
	endpoints map[string]bool
	disabled  map[string]bool
}

func newAllow(c *Config) *allow {
	a := &allow{actors: map[string]bool{}, ips: c.AllowIPs, endpoints: map[string]bool{}, disabled: map[string]bool{}}
	for _, x := range c.AllowActors {
		a.actors[x] = true
	}
	for _, x := range c.AllowEndpoints {
		a.endpoints[x] = true
	}
	for _, x := range c.Disabled {
		a.disabled[x] = true
	}
	return a
}

// skip reports whether o is allow-listed (by actor, client IP or endpoint).
func (a *allow) skip(o *Observation) bool {
	if len(a.actors) > 0 && a.actors[o.Actor] {
		return true
	}
	if ip := o.Call.Actor.ClientIP; ip.IsValid() && slices.ContainsFunc(a.ips, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		return true
	}
	if len(a.endpoints) > 0 && (a.endpoints[o.Endpoint] || a.endpoints[o.Template]) {
		return true
	}
	return false
}

// filter drops hits[n0:] of disabled types.
func (a *allow) filter(hits []Hit, n0 int) []Hit {
	if len(a.disabled) == 0 {
		return hits
	}
	out := hits[:n0]
	for _, h := range hits[n0:] {
		if !a.disabled[h.Type] {
			out = append(out, h)
		}
	}
	return out
}
