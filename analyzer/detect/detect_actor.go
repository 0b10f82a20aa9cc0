package detect

import (
	"fmt"
	"math"
	"time"

	"github.com/apitap/apitap/analyzer/baseline"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

// Per-actor detectors: pure functions of the observation and the state the
// actor stage updated for it. Each returns nil or one hit.

// detectBOLA: one actor walks many object ids on one object endpoint.
func detectBOLA(cfg *Config, o *Observation, ep *ActorEP, peer *baseline.EWMA) *Hit {
	if o.ObjectID == "" || peer == nil {
		return nil
	}
	c := o.Call
	switch {
	case c.Status == 401 || c.Status == 403:
		ep.Denied++
	case c.Status >= 200 && c.Status < 300:
		ep.OK++
	}
	if !ep.IDs.Add(baseline.Hash(o.ObjectID)) {
		return nil
	}
	d := ep.IDs.Count()
	if d < cfg.BOLAMinDistinct {
		return nil
	}
	denied := float64(ep.Denied) / float64(ep.N)
	base, src := ownOrPeer(&ep.DistHist, peer, cfg)
	high := 0.0
	if src != "" {
		high = base.High(cfg.Sigma)
	}
	switch {
	case denied >= cfg.BOLADeniedRatio:
	case src != "" && float64(d) >= math.Max(2*float64(cfg.BOLAMinDistinct), cfg.BOLAFactor*high):
	default:
		return nil
	}
	who := actorName(o)
	return &Hit{Type: BOLA, Severity: sev(ep.OK > 0), Actor: o.Actor, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%s read %d distinct %s values on %s in %s (baseline high %s); %d of %d calls refused, %d answered 2xx",
			who, d, paramName(o.Template), o.Endpoint, cfg.ShortWindow, fmtBase(high, src), ep.Denied, ep.N, ep.OK),
		Evidence: map[string]any{"distinct_ids": d, "baseline_high": round1(high), "baseline_source": srcOr(src),
			"calls": ep.N, "denied": ep.Denied, "ok": ep.OK, "denied_ratio": round2(denied), "window": cfg.ShortWindow.String()}}
}

// detectRate: calls per minute (sliding) far above the actor's (or its
// peers') usual.
func detectRate(cfg *Config, o *Observation, a *ActorState, peer *baseline.EWMA) *Hit {
	n := int(a.Min.Sliding(o.Call.ReqStart, int64(time.Minute)) + 0.5)
	if n < cfg.RateMinPerMinute {
		return nil
	}
	base, src := ownOrPeer(&a.Min.Hist, peer, cfg)
	limit := float64(cfg.RateColdPerMinute)
	high := 0.0
	if src != "" {
		high = base.High(cfg.Sigma)
		limit = math.Max(float64(cfg.RateMinPerMinute), cfg.RateFactor*high)
		if src == "peers" {
			limit = math.Max(limit, float64(cfg.RateColdPerMinute))
		}
	}
	if float64(n) < limit {
		return nil
	}
	return &Hit{Type: RateAnomaly, Severity: report.SeverityMedium, Actor: o.Actor,
		Summary:  fmt.Sprintf("%s made %d calls in one minute (baseline high %s, limit %.0f)", actorName(o), n, fmtBase(high, src), limit),
		Evidence: map[string]any{"calls_per_minute": n, "baseline_high": round1(high), "baseline_source": srcOr(src), "limit": round1(limit)}}
}

// detectScraping: many distinct URLs on one or two endpoints at a machine
// pace (low inter-arrival variation) or deep pagination.
func detectScraping(cfg *Config, o *Observation, a *ActorState) *Hit {
	n := int(a.Short.N)
	if n < cfg.ScrapeMinCalls || int(a.ShortEPs) > cfg.ScrapeMaxEndpoints {
		return nil
	}
	distinct := float64(a.Paths.Count()) / float64(n)
	if distinct < cfg.ScrapeDistinct {
		return nil
	}
	cv := math.Inf(1)
	if a.GapN >= 20 {
		mean := a.GapSum / float64(a.GapN)
		v := a.GapSq/float64(a.GapN) - mean*mean
		if mean > 0 {
			cv = math.Sqrt(math.Max(v, 0)) / mean
		}
	}
	deep := int(a.MaxPage) >= cfg.ScrapeDeepPage
	if cv > cfg.ScrapeMaxCV && !deep {
		return nil
	}
	return &Hit{Type: Scraping, Severity: report.SeverityMedium, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%s fetched %d distinct URLs from %d endpoint(s) in %s at a steady pace (gap CV %.2f, limit %.2f), deepest page %d",
			actorName(o), a.Paths.Count(), a.ShortEPs, cfg.ShortWindow, finite(cv), cfg.ScrapeMaxCV, a.MaxPage),
		Evidence: map[string]any{"calls": n, "distinct_urls": a.Paths.Count(), "endpoints": a.ShortEPs,
			"gap_cv": round2(finite(cv)), "max_page": a.MaxPage, "mean_gap_s": round2(a.GapSum / math.Max(1, float64(a.GapN)))}}
}

// detectSessionAnomaly: one credential used from many IPs or user agents
// within the short window.
func detectSessionAnomaly(cfg *Config, o *Observation, a *ActorState) *Hit {
	if o.Call.Actor.User == "" {
		return nil
	}
	ips, uas := a.IPs.Count(), a.UAs.Count()
	if ips < cfg.SessionIPs && uas < cfg.SessionUAs {
		return nil
	}
	return &Hit{Type: SessionAnomaly, Severity: report.SeverityHigh, Actor: o.Actor,
		Summary: fmt.Sprintf("credential of %s used from %d client IPs and %d user agents within %s (limits %d and %d)",
			actorName(o), ips, uas, cfg.ShortWindow, cfg.SessionIPs, cfg.SessionUAs),
		Evidence: map[string]any{"client_ips": ips, "user_agents": uas, "credential": o.Call.Actor.Kind}}
}

// detectWeakAuth: unsigned or never-expiring JWTs, Basic auth, and (if
// configured) credentials over plaintext.
func detectWeakAuth(cfg *Config, o *Observation) *Hit {
	a := &o.Call.Actor
	var why string
	switch {
	case a.Kind == apicall.ActorJWT && (a.Alg == "none" || a.Alg == "None" || a.Alg == "NONE"):
		why = "an unsigned JWT (alg none)"
	case a.Kind == apicall.ActorJWT && a.ExpiresAt == 0:
		why = "a JWT without expiry"
	case a.Kind == apicall.ActorBasic:
		why = "HTTP Basic credentials"
	case cfg.WeakPlaintext && !o.Call.Source.TLS && a.Kind != apicall.ActorAnonymous && a.Kind != "":
		why = "credentials over plaintext HTTP"
	default:
		return nil
	}
	return &Hit{Type: WeakAuthentication, Severity: sev(o.Call.Status >= 200 && o.Call.Status < 300), Actor: o.Actor, Endpoint: o.Endpoint,
		Summary:  fmt.Sprintf("%s authenticated with %s and got %d", actorName(o), why, o.Call.Status),
		Evidence: map[string]any{"reason": why, "alg": a.Alg, "credential": a.Kind, "status": o.Call.Status}}
}

// detectResetAbuse: one actor triggers password resets (or OTP sends) for
// many accounts.
func detectResetAbuse(cfg *Config, o *Observation, a *ActorState) *Hit {
	if o.Kind != KindReset {
		return nil
	}
	n := a.Resets.Count()
	if n < cfg.ResetTargets {
		return nil
	}
	return &Hit{Type: PasswordResetAbuse, Severity: report.SeverityMedium, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary:  fmt.Sprintf("%s triggered %s for %d distinct accounts in %s (limit %d)", actorName(o), o.Endpoint, n, cfg.ShortWindow, cfg.ResetTargets),
		Evidence: map[string]any{"accounts": n, "calls": a.Short.N}}
}

// detectAnomalous: a warm actor far outside its own and its peers' usual
// spread of endpoints, mostly new to it, with many errors.
func detectAnomalous(cfg *Config, o *Observation, a *ActorState, peer *baseline.EWMA) *Hit {
	if !a.EPHist.Warm(cfg.WarmWindows) && !peer.Warm(cfg.WarmWindows) {
		return nil
	}
	eps := int(a.ShortEPs)
	if eps < cfg.AnomalyMinEndpoints || a.Short.N == 0 {
		return nil
	}
	base, _ := ownOrPeer(&a.EPHist, peer, cfg)
	high := base.High(cfg.Sigma)
	limit := math.Max(float64(cfg.AnomalyMinEndpoints), high)
	errRatio := float64(a.ShortErr) / float64(a.Short.N)
	errHigh := 0.0
	if a.ErrHist.Warm(cfg.WarmWindows) {
		errHigh = a.ErrHist.High(cfg.Sigma)
	}
	broad := float64(eps) >= limit || int(a.ShortErrEPs) >= cfg.AnomalyErrorEndpoints
	if !broad || int(a.ShortNewEPs) < cfg.AnomalyMinNew || errRatio < math.Max(cfg.AnomalyErrorRatio, errHigh) {
		return nil
	}
	return &Hit{Type: AnomalousBehavior, Severity: report.SeverityMedium, Actor: o.Actor,
		Summary: fmt.Sprintf("%s used %d endpoints in %s, %d new to it and %d answering errors (baseline mean %.1f, high %.1f), %.0f%% errors",
			actorName(o), eps, cfg.ShortWindow, a.ShortNewEPs, a.ShortErrEPs, base.Mean, high, 100*errRatio),
		Evidence: map[string]any{"endpoints": eps, "new_endpoints": a.ShortNewEPs, "error_endpoints": a.ShortErrEPs, "baseline_high": round1(high), "baseline_mean": round1(float64(base.Mean)),
			"error_ratio": round2(errRatio), "error_ratio_high": round2(errHigh), "calls": a.Short.N}}
}

// ownOrPeer picks the actor's own baseline when warm, else the peers'.
func ownOrPeer(own, peer *baseline.EWMA, cfg *Config) (*baseline.EWMA, string) {
	switch {
	case own.Warm(cfg.WarmWindows):
		return own, "own"
	case peer != nil && peer.Warm(cfg.WarmWindows):
		return peer, "peers"
	}
	return nil, ""
}

func actorName(o *Observation) string {
	if o.Call.Actor.User != "" {
		return o.Call.Actor.User
	}
	if ip := o.Call.Actor.ClientIP; ip.IsValid() {
		return "anonymous client " + ip.String()
	}
	return "anonymous client"
}

// paramName is the last {param} of a template, without braces.
func paramName(tmpl string) string {
	j := -1
	for i := len(tmpl) - 1; i >= 0; i-- {
		switch tmpl[i] {
		case '}':
			j = i
		case '{':
			if j > i {
				return tmpl[i+1 : j]
			}
		}
	}
	return "id"
}

func fmtBase(high float64, src string) string {
	if src == "" {
		return "none yet"
	}
	return fmt.Sprintf("%.1f, %s", high, src)
}

func srcOr(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round2(x float64) float64 { return math.Round(x*100) / 100 }

func finite(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return -1
	}
	return x
}
