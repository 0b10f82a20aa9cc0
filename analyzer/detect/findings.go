package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/apitap/apitap/analyzer/report"
)

// Findings deduplicates hits into findings by (type, actor, endpoint,
// window). It is bounded by Config.MaxFindings: when full, the finding
// with the oldest LastSeen is forgotten (counted in Dropped); it was
// already returned by Add, so sinks have it.
type Findings struct {
	window  int64
	maxIDs  int
	max     int
	M       map[string]*report.Finding
	Dropped uint64
	strong  map[string]bool // finding ids whose summary came from a non-weak hit
}

// NewFindings returns an empty dedup store for cfg.
func NewFindings(cfg *Config) *Findings {
	return &Findings{window: int64(cfg.Window), maxIDs: cfg.MaxEvidenceIDs, max: cfg.MaxFindings, M: map[string]*report.Finding{}, strong: map[string]bool{}}
}

// maxIPs and maxUsers bound the client IPs and callers kept per finding.
const (
	maxIPs   = 16
	maxUsers = 8 // callers kept on a finding about an endpoint
)

// Add folds h, seen on o, into its finding and returns the finding (a
// copy the caller may keep). A new finding starts at Count 1; a repeat
// raises Count and LastSeen, keeps the higher severity and the latest
// evidence and summary.
func (s *Findings) Add(h *Hit, o *Observation) report.Finding {
	t := o.Call.ReqStart
	win := t - t%s.window
	host := o.Host
	if h.Endpoint == "" {
		host = "" // actor-wide: one finding across hosts
	}
	key := h.Type + "\x00" + h.Actor + "\x00" + host + "\x00" + h.Endpoint + "\x00" + strconv.FormatInt(win, 10)
	sum := sha256.Sum256([]byte(key))
	id := hex.EncodeToString(sum[:12])
	f, ok := s.M[id]
	if !ok {
		if len(s.M) >= s.max {
			s.dropOldest()
		}
		f = &report.Finding{Kind: "finding", ID: id, Type: h.Type, OWASP: OWASP[h.Type], Severity: h.Severity,
			User: o.Call.Actor.User, Endpoint: h.Endpoint, Host: o.Host,
			FirstSeen: time.Unix(0, t).UTC(), ClientIPs: []string{}}
		if h.Actor == "" {
			f.User = "" // about the endpoint, not one actor
		}
		s.M[id] = f
	}
	f.Count++
	if lt := time.Unix(0, t).UTC(); lt.After(f.LastSeen) {
		f.LastSeen = lt
	}
	if severityRank[h.Severity] > severityRank[f.Severity] {
		f.Severity = h.Severity
	}
	if !h.Weak || !s.strong[id] {
		f.Summary, f.Evidence = h.Summary, h.Evidence
		if !h.Weak {
			s.strong[id] = true
		}
	}
	if ip := o.Call.Actor.ClientIP; ip.IsValid() && len(f.ClientIPs) < maxIPs {
		if s := ip.String(); !slices.Contains(f.ClientIPs, s) {
			f.ClientIPs = append(f.ClientIPs, s)
		}
	}
	if u := o.Call.Actor.User; h.Actor == "" && u != "" && len(f.Users) < maxUsers && !slices.Contains(f.Users, u) {
		f.Users = append(f.Users, u)
	}
	if o.Call.ID != "" && len(f.CallIDs) < s.maxIDs {
		f.CallIDs = append(f.CallIDs, o.Call.ID)
	}
	out := *f
	out.ClientIPs = slices.Clone(f.ClientIPs)
	out.CallIDs = slices.Clone(f.CallIDs)
	out.Users = slices.Clone(f.Users)
	return out
}

func (s *Findings) dropOldest() {
	var old string
	var t time.Time
	for id, f := range s.M {
		if old == "" || f.LastSeen.Before(t) {
			old, t = id, f.LastSeen
		}
	}
	delete(s.M, old)
	delete(s.strong, old)
	s.Dropped++
}

// All returns every finding held, sorted by first seen then id.
func (s *Findings) All() []report.Finding {
	out := make([]report.Finding, 0, len(s.M))
	for _, f := range s.M {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b report.Finding) int {
		if c := a.FirstSeen.Compare(b.FirstSeen); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	return out
}
