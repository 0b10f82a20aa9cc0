package simulate

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
)

// Labels is the ground truth of one simulation, written as labels.json.
type Labels struct {
	// Seed is Config.Seed.
	Seed int64 `json:"seed"`
	// Start and End bound the packets' timestamps.
	Start string `json:"start"`
	End   string `json:"end"`
	// Calls is the number of request/response pairs in the pcap.
	Calls int `json:"calls"`
	// Endpoints lists every true endpoint template: everything the spec
	// documents (dormant when never called) and every undocumented one
	// the traffic uses.
	Endpoints []EndpointLabel `json:"endpoints"`
	// Attacks lists the labeled attack episodes.
	Attacks []EpisodeLabel `json:"attacks"`
	// BenignLookalikes lists episodes shaped like attacks that are not.
	BenignLookalikes []EpisodeLabel `json:"benign_lookalikes"`
}

// EndpointLabel is the truth about one endpoint template.
type EndpointLabel struct {
	Host   string `json:"host"`
	Method string `json:"method"`
	// Template uses the spec's parameter names, e.g. /api/v2/orders/{orderId}.
	Template string `json:"template"`
	// Classification is documented, shadow, zombie, dormant, or unknown
	// for a third-party host no spec covers.
	Classification string `json:"classification"`
	// Calls is how many calls in the pcap hit the endpoint.
	Calls int `json:"calls"`
}

// EpisodeLabel is one attack or look-alike: who, where, when, how many.
type EpisodeLabel struct {
	Type string `json:"type"`
	// OWASP is the OWASP API Security Top 10 2023 entry, empty for look-alikes.
	OWASP string `json:"owasp,omitempty"`
	// Actor is the JWT sub (or service account name); empty when the actor
	// is anonymous, and then ClientIPs identify it.
	Actor     string   `json:"actor"`
	ClientIPs []string `json:"client_ips"`
	Host      string   `json:"host"`
	// Endpoint is "METHOD /template".
	Endpoint string `json:"endpoint"`
	// Target is the attacked account for brute force, else empty.
	Target string `json:"target,omitempty"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Calls  int    `json:"calls"`
}

const labelTime = "2006-01-02T15:04:05.000000Z07:00"

func (g *engine) labels(first, last int64) Labels {
	at := func(t int64) string {
		return g.cfg.Start.Add(time.Duration(t) * time.Microsecond).UTC().Format(labelTime)
	}
	l := Labels{Seed: g.cfg.Seed, Start: at(first), End: at(last), Calls: g.calls,
		Attacks: []EpisodeLabel{}, BenignLookalikes: []EpisodeLabel{}}
	for i := range catalog {
		e := &catalog[i]
		n := g.epCalls[i]
		var class string
		switch {
		case (e.class == classShadow || e.class == classExternal) && n == 0:
			continue // never answered on the wire, documented nowhere: not an endpoint of this capture
		case e.class == classShadow:
			class = "shadow"
		case e.class == classExternal:
			class = "unknown" // no spec covers the third party's host
		case n == 0:
			class = "dormant"
		case e.class == classDeprecated:
			class = "zombie"
		default:
			class = "documented"
		}
		l.Endpoints = append(l.Endpoints, EndpointLabel{Host: hostNames[e.host], Method: e.method, Template: e.tmpl, Classification: class, Calls: n})
	}
	episode := func(s *labelStat) EpisodeLabel {
		e := &catalog[s.ep]
		ips := make([]string, len(s.ips))
		for i, ip := range s.ips {
			ips[i] = netip.AddrFrom4(ip).String()
		}
		return EpisodeLabel{Type: s.kind, OWASP: s.owasp, Actor: s.actor, ClientIPs: ips, Host: hostNames[e.host],
			Endpoint: e.method + " " + e.tmpl, Target: s.target, Start: at(s.first), End: at(s.last), Calls: s.calls}
	}
	for _, s := range g.attacks {
		if s.calls > 0 {
			l.Attacks = append(l.Attacks, episode(s))
		}
	}
	for _, s := range g.looks {
		if s.calls > 0 {
			l.BenignLookalikes = append(l.BenignLookalikes, episode(s))
		}
	}
	return l
}

func marshalLabels(l Labels) ([]byte, error) {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode labels: %w", err)
	}
	return append(b, '\n'), nil
}
