package detect

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/baseline"
	"github.com/apitap/apitap/analyzer/report"
)

// ActorState is what the actor stage learns about one actor. Fields are
// exported for snapshots only.
type ActorState struct {
	First, Last int64
	Calls       uint64
	Min, Short  baseline.Counter // calls per minute and per ShortWindow
	ShortErr    uint32           // 4xx/5xx this short window (401/403/404 included)
	ShortEPs    uint16           // distinct endpoints this short window
	ShortNewEPs uint16           // of which the actor never used before
	ShortErrEPs uint16           // of which answered it with 4xx/5xx
	EPHist      baseline.EWMA    // distinct endpoints per active short window
	ErrHist     baseline.EWMA    // error ratio per active short window
	IPs, UAs    baseline.Small   // distinct client IPs and user agents this short window
	Paths       baseline.Distinct
	GapN        uint32
	GapSum      float64 // seconds
	GapSq       float64
	MaxPage     uint32
	Resets      baseline.Distinct // accounts targeted on reset endpoints this short window
	Hours       [168]uint8        // calls per hour of week, saturating
	Prev        string
	PrevT       int64
	Recent      [recentN]RecentEP // last endpoints, ring
	RecentI     uint8
	AnomUntil   int64
	Eps         []ActorEP
}

// recentN is how many recent endpoints an actor remembers for flows.
const recentN = 8

// RecentEP is one recently used endpoint.
type RecentEP struct {
	H uint64
	T int64
}

// ActorEP is an actor's use of one endpoint.
type ActorEP struct {
	EP       uint64 // hash of "host METHOD /template"
	Calls    uint32
	WinStart int64
	N        uint32            // calls this short window
	Denied   uint32            // 401/403 this short window
	OK       uint32            // 2xx this short window
	Err      uint32            // 4xx/5xx this short window
	IDs      baseline.Distinct // object ids this short window
	DistHist baseline.EWMA     // distinct ids per active short window
}

// ActorStage keeps per-actor baselines and runs the per-actor and per-call
// detectors. Not safe for concurrent use.
type ActorStage struct {
	cfg    *Config
	k      *kinds
	allow  *allow
	Actors *baseline.Table[ActorState]
	// Peers are per-role baselines for actors whose own is cold.
	Peers *baseline.Table[PeerState]
	// PeerIDs are per (role, endpoint) distinct-id baselines.
	PeerIDs *baseline.Table[baseline.EWMA]
	inj     injector
	scratch []byte
}

// PeerState is a role's baseline: calls per active minute and distinct
// endpoints per active short window, over all its actors.
type PeerState struct {
	MinHist baseline.EWMA
	EPHist  baseline.EWMA
}

// NewActorStage validates cfg and returns an empty stage.
func NewActorStage(cfg Config) (*ActorStage, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &cfg
	return &ActorStage{cfg: c, k: newKinds(c), allow: newAllow(c),
		Actors:  baseline.NewTable[ActorState](cfg.MaxActors, int64(cfg.ActorTTL)),
		Peers:   baseline.NewTable[PeerState](1024, 0),
		PeerIDs: baseline.NewTable[baseline.EWMA](cfg.MaxEndpoints, 0),
	}, nil
}

// Observe updates the actor of o and returns the hits of the per-actor and
// per-call detectors, appended to hits. It fills o's derived fields (see
// Observation). o.Call must have Actor set (identity ran).
func (s *ActorStage) Observe(o *Observation, hits []Hit) []Hit {
	in := o.prepare(s.k)
	c := o.Call
	t := c.ReqStart
	s.scratch = appendActorKey(s.scratch[:0], &c.Actor)
	a, key, _ := s.Actors.GetBytes(s.scratch, t)
	o.Actor = key
	cfg := s.cfg
	if a.First == 0 {
		a.First = t
	}
	frozen := a.AnomUntil > t
	o.Anomalous = frozen
	if a.PrevT != 0 && t-a.PrevT <= int64(cfg.FlowGap) {
		o.Prev = a.Prev
	}
	for i := range recentN {
		r := a.Recent[(int(a.RecentI)+recentN-1-i)%recentN]
		if r.T == 0 || t-r.T > int64(cfg.FlowGap) {
			break
		}
		o.Recent[o.NRecent] = r.H
		o.NRecent++
	}
	a.Recent[a.RecentI] = RecentEP{H: in.hash, T: t}
	a.RecentI = (a.RecentI + 1) % recentN

	// Close windows, folding history (unless clamped) into own and peer baselines.
	peer, _ := s.Peers.Get(o.Role, t)
	if a.Min.Start != 0 && t >= a.Min.Start+int64(time.Minute) && a.Min.N > 0 && !frozen {
		peer.MinHist.Add(float64(a.Min.N), cfg.Alpha)
	}
	a.Min.Roll(t, int64(time.Minute), cfg.Alpha, frozen)
	if a.Short.Start != 0 && t >= a.Short.Start+int64(cfg.ShortWindow) {
		if a.Short.N > 0 && !frozen {
			a.EPHist.Add(float64(a.ShortEPs), cfg.Alpha)
			a.ErrHist.Add(float64(a.ShortErr)/float64(a.Short.N), cfg.Alpha)
			peer.EPHist.Add(float64(a.ShortEPs), cfg.Alpha)
		}
		a.ShortErr, a.ShortEPs, a.ShortNewEPs, a.ShortErrEPs = 0, 0, 0, 0
		a.IPs.Reset()
		a.UAs.Reset()
		a.Paths.Reset()
		a.Resets.Reset()
		a.GapN, a.GapSum, a.GapSq, a.MaxPage = 0, 0, 0, 0
	}
	a.Short.Roll(t, int64(cfg.ShortWindow), cfg.Alpha, frozen)

	// Count this call.
	if a.Last != 0 && a.Short.N > 0 {
		g := float64(t-a.Last) / 1e9
		a.GapN++
		a.GapSum += g
		a.GapSq += g * g
	}
	a.Last = max(a.Last, t)
	a.Calls++
	a.Min.N++
	a.Short.N++
	if c.Status >= 400 {
		a.ShortErr++
	}
	if ip := c.Actor.ClientIP; ip.IsValid() {
		a.IPs.Add(hashAddr(ip))
	}
	a.UAs.Add(baseline.Hash(c.ReqHeaders.Get("User-Agent")))
	a.Paths.Add(baseline.Hash(c.Path) ^ baseline.Hash(c.RawQuery))
	if p := pageParam(c.RawQuery); p > a.MaxPage {
		a.MaxPage = p
	}
	how := hourOfWeek(t)
	if a.Hours[how] < 255 {
		a.Hours[how]++
	}
	ep := a.endpoint(in.hostHash, t, cfg)
	o.EPCalls = ep.N
	if c.Status >= 400 {
		if ep.Err == 0 {
			a.ShortErrEPs++
		}
		ep.Err++
	}
	if o.Kind == KindReset {
		if u := accountOf(c, cfg.UsernameFields); u != "" {
			a.Resets.Add(baseline.Hash(u))
		}
	}
	a.Prev, a.PrevT = o.Endpoint, t

	if s.allow.skip(o) {
		return hits
	}
	n0 := len(hits)
	var peerIDs *baseline.EWMA
	if o.ObjectID != "" {
		s.scratch = append(append(append(s.scratch[:0], o.Role...), ' '), in.key...)
		peerIDs, _, _ = s.PeerIDs.GetBytes(s.scratch, t)
	}
	hits = appendHit(hits, detectBOLA(cfg, o, ep, peerIDs))
	hits = appendHit(hits, detectRate(cfg, o, a, &peer.MinHist))
	hits = appendHit(hits, detectScraping(cfg, o, a))
	hits = appendHit(hits, detectSessionAnomaly(cfg, o, a))
	hits = appendHit(hits, detectWeakAuth(cfg, o))
	hits = appendHit(hits, detectResetAbuse(cfg, o, a))
	hits = appendHit(hits, detectSSRF(o))
	hits = appendHit(hits, s.inj.detect(o))
	hits = appendHit(hits, detectMisconfiguration(o))
	hits = appendHit(hits, detectThirdParty(cfg, o))
	if len(hits) == n0 {
		hits = appendHit(hits, detectAnomalous(cfg, o, a, &peer.EPHist))
	}
	hits = s.allow.filter(hits, n0)
	if len(hits) > n0 {
		a.AnomUntil = t + int64(cfg.Clamp)
	}
	return hits
}

// endpoint returns the actor's record of endpoint h, rolling its window
// and folding its history.
func (a *ActorState) endpoint(h uint64, t int64, cfg *Config) *ActorEP {
	i := slices.IndexFunc(a.Eps, func(e ActorEP) bool { return e.EP == h })
	if i < 0 {
		if len(a.Eps) >= cfg.MaxActorEndpoints {
			// Forget the least used endpoint.
			j := 0
			for k := range a.Eps {
				if a.Eps[k].Calls < a.Eps[j].Calls {
					j = k
				}
			}
			a.Eps = slices.Delete(a.Eps, j, j+1)
		}
		a.Eps = append(a.Eps, ActorEP{EP: h})
		i = len(a.Eps) - 1
		if a.Calls > 1 {
			a.ShortNewEPs++
		}
	}
	e := &a.Eps[i]
	w := int64(cfg.ShortWindow)
	if e.WinStart == 0 || t >= e.WinStart+w {
		if e.N > 0 && a.AnomUntil <= t && e.IDs.Count() > 0 {
			e.DistHist.Add(float64(e.IDs.Count()), cfg.Alpha)
		}
		e.WinStart, e.N, e.Denied, e.OK, e.Err = t-t%w, 0, 0, 0, 0
		e.IDs.Reset()
	}
	if e.N == 0 {
		a.ShortEPs++
	}
	e.Calls++
	e.N++
	return e
}

func appendHit(hits []Hit, h *Hit) []Hit {
	if h == nil {
		return hits
	}
	return append(hits, *h)
}

func hashAddr(ip netip.Addr) uint64 {
	b := ip.As16()
	return baseline.HashBytes(b[:])
}

// hourOfWeek is the UTC hour of the week of t (Monday 00:00 = 0).
func hourOfWeek(t int64) int {
	tm := time.Unix(0, t).UTC()
	return (int(tm.Weekday())+6)%7*24 + tm.Hour()
}

// pageParam reads page= or offset/limit-style depth from a query.
func pageParam(q string) uint32 {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != "page" && k != "p" && k != "pageNumber" {
			continue
		}
		n := uint32(0)
		for i := 0; i < len(v) && i < 9; i++ {
			if !isDigit(v[i]) {
				break
			}
			n = n*10 + uint32(v[i]-'0')
		}
		return n
	}
	return 0
}

// sev picks high when the actor got 2xx answers, else medium.
func sev(ok bool) string {
	if ok {
		return report.SeverityHigh
	}
	return report.SeverityMedium
}
