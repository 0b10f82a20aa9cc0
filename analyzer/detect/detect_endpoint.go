package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apitap/apitap/analyzer/baseline"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

// Endpoint detectors: each learns into the endpoint state it owns and
// returns nil or one hit. None learns from the call it reports, so an
// attack does not become the endpoint's baseline.

func ok2xx(c *apicall.Call) bool { return c.Status >= 200 && c.Status < 300 }

// authFailed: an authentication or OTP attempt that was refused.
func authFailed(c *apicall.Call) bool {
	return c.Status == 400 || c.Status == 401 || c.Status == 403 || c.Status == 429
}

// detectCredentialStuffing: many accounts failing on one authentication
// endpoint in the short window, from one or many (rotating) client IPs.
func detectCredentialStuffing(cfg *Config, o *Observation, e *EndpointState, acct string) *Hit {
	c := o.Call
	if !authFailed(c) || o.Kind != KindAuth {
		return nil
	}
	e.Fails++
	if acct != "" {
		e.FailUsers.Add(baseline.Hash(acct))
	}
	if ip := c.Actor.ClientIP; ip.IsValid() {
		e.FailIPs.Add(hashAddr(ip))
	}
	users := e.FailUsers.Count()
	ratio := float64(e.Fails) / float64(e.Short.N)
	if users < cfg.StuffingUsernames || ratio < cfg.StuffingFailRatio {
		return nil
	}
	return &Hit{Type: CredentialStuffing, Severity: report.SeverityHigh, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%d distinct accounts failed to log in on %s from %d client IPs in %s (%.0f%% of its calls failed; limit %d accounts)",
			users, o.Endpoint, e.FailIPs.Count(), cfg.ShortWindow, 100*ratio, cfg.StuffingUsernames),
		Evidence: map[string]any{"accounts": users, "client_ips": e.FailIPs.Count(), "failures": e.Fails,
			"calls": e.Short.N, "fail_ratio": round2(ratio)}}
}

// detectBruteForce: many failures on one account (password or OTP
// challenge) in the short window, from any IPs.
func detectBruteForce(cfg *Config, o *Observation, e *EndpointState, acct string) *Hit {
	c := o.Call
	if !authFailed(c) {
		return nil
	}
	if acct == "" {
		acct = "actor " + o.Actor
	}
	n, ok := e.Targets[acct]
	if !ok && len(e.Targets) >= maxTargets {
		e.Shed++
		return nil
	}
	n++
	e.Targets[acct] = n
	if int(n) < cfg.BruteForceFailures {
		return nil
	}
	what := "password"
	if o.Kind == KindOTP {
		what = "one-time code"
	}
	return &Hit{Type: BruteForce, Severity: report.SeverityHigh, Actor: "account:" + acct, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%d failed %s attempts on account %s at %s in %s (limit %d), latest from %s",
			n, what, truncate(acct, 64), o.Endpoint, cfg.ShortWindow, cfg.BruteForceFailures, actorName(o)),
		Evidence: map[string]any{"target": truncate(acct, 128), "failures": n, "factor": what, "status": c.Status}}
}

// detectUnauthenticated: a 2xx to a call without credentials on an
// endpoint that answers authenticated calls (or whose spec requires
// credentials). Every anonymous 2xx is learned: once UnauthPublicActors
// distinct anonymous actors got 2xx, the endpoint is public.
func detectUnauthenticated(cfg *Config, o *Observation, e *EndpointState) *Hit {
	c := o.Call
	if !ok2xx(c) {
		return nil
	}
	anon := c.Actor.Kind == apicall.ActorAnonymous || c.Actor.Kind == ""
	if !anon {
		e.AuthedOK++
		return nil
	}
	share := float64(e.AuthedOK) / float64(e.AuthedOK+e.AnonOK)
	e.AnonOK++
	e.AnonActors.Add(baseline.Hash(o.Actor))
	public := e.AnonActors.Count() >= cfg.UnauthPublicActors
	byTraffic := int(e.AuthedOK) >= cfg.UnauthMinAuthed && share >= cfg.UnauthRatio && !public
	if o.Kind != KindPlain || !byTraffic && o.SpecAuth != 1 {
		return nil
	}
	return &Hit{Type: UnauthenticatedAccess, Severity: report.SeverityHigh, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%s answered %d to %s without credentials; %d of its %d 2xx answers went to authenticated calls, %d anonymous actor(s) got 2xx",
			o.Endpoint, c.Status, actorName(o), e.AuthedOK, e.AuthedOK+e.AnonOK, e.AnonActors.Count()),
		Evidence: map[string]any{"status": c.Status, "authenticated_2xx": e.AuthedOK, "anonymous_2xx": e.AnonOK,
			"anonymous_actors": e.AnonActors.Count(), "spec_requires_auth": o.SpecAuth == 1}}
}

// detectSensitive: a 2xx response carries a sensitive data class the
// endpoint's warm baseline never returned.
func detectSensitive(cfg *Config, o *Observation, e *EndpointState) *Hit {
	c := o.Call
	if !ok2xx(c) || len(c.RespBody.Data) == 0 {
		return nil
	}
	b := c.RespBody.Data
	if len(b) > maxSensitiveScan {
		b = b[:maxSensitiveScan]
	}
	m := sensitiveClasses(b, false)
	if int(e.SensCalls) < cfg.EndpointWarmCalls || m&^e.Sens == 0 {
		e.SensCalls++
		e.Sens |= m
		return nil
	}
	nw := classList(m &^ e.Sens)
	return &Hit{Type: SensitiveData, Severity: sev(m&^e.Sens&(ClassCard|ClassSSN|ClassPrivateKey|ClassCloudKey|ClassPasswordHash) != 0), Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%s returned %s to %s, never seen in its %d earlier responses (usual: %s)",
			o.Endpoint, strings.Join(nw, ", "), actorName(o), e.SensCalls, orNone(classList(e.Sens))),
		Evidence: map[string]any{"classes": nw, "usual": classList(e.Sens), "responses": e.SensCalls, "masked_at_edge": c.Flags.Has(apicall.FlagPIIMasked)}}
}

// maxSensitiveScan caps the response bytes scanned for sensitive data.
const maxSensitiveScan = 8 << 10

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// detectMassAssignment: a successful write carries top-level properties
// never seen in the endpoint's successful writes (or not in its spec).
func detectMassAssignment(cfg *Config, o *Observation, e *EndpointState) *Hit {
	c := o.Call
	if !ok2xx(c) || len(c.ReqBody.Data) == 0 || (o.Method != "POST" && o.Method != "PUT" && o.Method != "PATCH") {
		return nil
	}
	var keys []string
	fn := func(f field) {
		if f.Depth == 1 && f.Key != "" && len(keys) < 64 && !slices.Contains(keys, f.Key) {
			keys = append(keys, f.Key) // cloned below before it is kept
		}
	}
	ct := c.ReqBody.ContentType
	switch {
	case strings.Contains(ct, "json"):
		jsonFields(c.ReqBody.Data, fn)
	case strings.Contains(ct, "x-www-form-urlencoded"):
		formFields(string(c.ReqBody.Data[:min(len(c.ReqBody.Data), maxScan)]), fn)
	default:
		return nil
	}
	if e.Props == nil {
		e.Props = map[string]uint32{}
	}
	var nw []string
	warm := int(e.WriteOK) >= cfg.EndpointWarmCalls
	for _, k := range keys {
		_, seen := e.Props[k]
		inSpec := o.SpecProps == nil || slices.Contains(o.SpecProps, k)
		if (warm && !seen) || !inSpec {
			nw = append(nw, k)
		}
	}
	if len(nw) == 0 {
		e.WriteOK++
		for _, k := range keys {
			if _, ok := e.Props[k]; ok {
				e.Props[k]++
			} else if len(e.Props) < maxProps {
				e.Props[strings.Clone(k)] = 1
			}
		}
		return nil
	}
	for i := range nw {
		nw[i] = strings.Clone(nw[i])
	}
	s := report.SeverityMedium
	if slices.ContainsFunc(nw, privilegedProp) {
		s = report.SeverityHigh
	}
	return &Hit{Type: MassAssignment, Severity: s, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%s wrote properties %s to %s and got %d; its %d earlier successful writes never carried them",
			actorName(o), strings.Join(nw, ", "), o.Endpoint, c.Status, e.WriteOK),
		Evidence: map[string]any{"properties": nw, "writes": e.WriteOK, "status": c.Status}}
}

var privWords = []string{"admin", "role", "permission", "privilege", "scope", "owner", "verified", "credit", "balance", "limit", "group", "plan", "tier"}

func privilegedProp(k string) bool {
	k = strings.ToLower(k)
	return slices.ContainsFunc(privWords, func(w string) bool { return strings.Contains(k, w) })
}

// detectFunctionLevel: an actor gets 2xx from a privileged endpoint that
// its role never uses. The role → endpoint matrix is learned from 2xx
// answers; an endpoint is privileged when the roles using it are a small
// share of all traffic or its path says so.
func detectFunctionLevel(cfg *Config, priv bool, o *Observation, e *EndpointState, roleCalls map[string]uint64, total uint64) *Hit {
	c := o.Call
	if !ok2xx(c) {
		return nil
	}
	if e.RoleOK == nil {
		e.RoleOK = map[string]uint32{}
	}
	e.OK++
	role := o.Role
	learn := func() *Hit {
		if _, ok := e.RoleOK[role]; ok || len(e.RoleOK) < maxRoles {
			e.RoleOK[role]++
		}
		return nil
	}
	// Warm: enough 2xx answers, or a privileged path with a few from
	// other roles.
	warm := int(e.OK) > cfg.EndpointWarmCalls || priv && e.OK > flaMinPrivileged
	if role == apicall.ActorAnonymous || e.RoleOK[role] > 0 || !warm {
		return learn()
	}
	share := 0.0
	var users []string
	for r := range e.RoleOK {
		share += float64(roleCalls[r]) / float64(max(total, 1))
		users = append(users, r)
	}
	slices.Sort(users)
	if share >= cfg.FLAPrivilegedShare && !priv {
		return learn()
	}
	return &Hit{Type: FunctionLevelAuthz, Severity: report.SeverityHigh, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%s (role %s) got %d from %s, which only roles %s used in %d earlier 2xx answers",
			actorName(o), role, c.Status, o.Endpoint, strings.Join(users, ", "), e.OK-1),
		Evidence: map[string]any{"role": role, "endpoint_roles": users, "roles_traffic_share": round2(share), "status": c.Status}}
}

// flaMinPrivileged is how many 2xx answers to other roles make a
// privileged-by-path endpoint's role matrix usable.
const flaMinPrivileged = 3

// detectFlow: an actor reaches a flow step (an endpoint mostly directly
// preceded by the same step) without having taken that step within
// FlowGap, FlowMinViolations times in the short window and in at least
// FlowViolationShare of its calls to the endpoint there.
func detectFlow(cfg *Config, o *Observation, e *EndpointState) *Hit {
	prev := o.Prev
	if prev == "" {
		prev = "(start)"
	}
	if e.Preds == nil {
		e.Preds = map[string]*Pred{}
	}
	// Repeats of the endpoint itself are not a step: they are left out.
	top, usual := e.UsualCalls, e.Usual
	calls := e.PredCalls - e.SelfCalls
	step := usual != "" && usual != "(start)" && int(calls) >= cfg.EndpointWarmCalls && float64(top) >= cfg.FlowStepShare*float64(calls)
	skipped := step && !slices.Contains(o.Recent[:o.NRecent], baseline.Hash(usual)) && e.Preds[usual].Actors.Count() >= cfg.FlowRareActors
	if !skipped {
		if !o.Anomalous {
			p := e.Preds[prev]
			if p == nil && len(e.Preds) < maxPreds {
				p = &Pred{}
				e.Preds[strings.Clone(prev)] = p
			}
			if p != nil {
				p.Calls++
				p.Actors.Add(baseline.Hash(o.Actor))
				e.PredCalls++
				switch {
				case prev == o.Endpoint:
					e.SelfCalls++
				case p.Calls > e.UsualCalls:
					e.Usual, e.UsualCalls = prev, p.Calls
				}
			}
		}
		return nil
	}
	n, ok := e.Viol[o.Actor]
	if !ok && len(e.Viol) >= maxViol {
		return nil
	}
	n++
	e.Viol[o.Actor] = n
	if int(n) < cfg.FlowMinViolations || float64(n) < cfg.FlowViolationShare*float64(o.EPCalls) {
		return nil
	}
	return &Hit{Type: BusinessFlow, Severity: report.SeverityMedium, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%s reached %s %d times in %s without the step %s that precedes %.0f%% of its %d calls (this time after %s)",
			actorName(o), o.Endpoint, n, cfg.ShortWindow, usual, 100*float64(top)/float64(calls), calls, prev),
		Evidence: map[string]any{"after": prev, "usual_step": usual, "usual_share": round2(float64(top) / float64(calls)), "violations": n}}
}

// Character classes of parameter values.
const (
	chAlpha = 1 << iota
	chDigit
	chSpace
	chQuote
	chAngle
	chParen
	chSemi
	chDollar
	chBrace
	chPipe
	chBacktick
	chPercent
	chOther
)

// metaClasses are the classes an injection payload needs.
const metaClasses = chQuote | chAngle | chParen | chSemi | chDollar | chBrace | chPipe | chBacktick

func charClasses(v string) uint16 {
	var m uint16
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case isAlpha(c):
			m |= chAlpha
		case isDigit(c):
			m |= chDigit
		case c == ' ' || c == '+':
			m |= chSpace
		case c == '\'' || c == '"':
			m |= chQuote
		case c == '<' || c == '>':
			m |= chAngle
		case c == '(' || c == ')':
			m |= chParen
		case c == ';':
			m |= chSemi
		case c == '$':
			m |= chDollar
		case c == '{' || c == '}':
			m |= chBrace
		case c == '|' || c == '&':
			m |= chPipe
		case c == '`':
			m |= chBacktick
		case c == '%':
			m |= chPercent
		default:
			m |= chOther
		}
	}
	return m
}

// detectParamProfile: values whose metacharacters a parameter's warm
// profile never had, InjectionProfileHits times per actor and window.
func detectParamProfile(cfg *Config, o *Observation, e *EndpointState) *Hit {
	c := o.Call
	if c.RawQuery == "" {
		return nil
	}
	if e.Params == nil {
		e.Params = map[string]*ParamProfile{}
	}
	var param, val string
	formFields(c.RawQuery, func(f field) {
		p := e.Params[f.Key]
		if p == nil {
			if len(e.Params) >= maxParams {
				return
			}
			p = &ParamProfile{}
			e.Params[strings.Clone(f.Key)] = p
		}
		cl := charClasses(f.Val)
		if int(p.N) >= cfg.InjectionProfileWarm && cl&metaClasses&^p.Classes != 0 {
			if param == "" {
				param, val = strings.Clone(f.Key), strings.Clone(f.Val)
			}
			return
		}
		if !o.Anomalous {
			p.N++
			p.Classes |= cl
			p.MaxLen = max(p.MaxLen, uint32(len(f.Val)))
		}
	})
	if param == "" {
		return nil
	}
	n, ok := e.Inj[o.Actor]
	if !ok && len(e.Inj) >= maxViol {
		return nil
	}
	n++
	e.Inj[o.Actor] = n
	if int(n) < cfg.InjectionProfileHits {
		return nil
	}
	p := e.Params[param]
	return &Hit{Type: Injection, Severity: report.SeverityMedium, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary: fmt.Sprintf("%s sent %d values to %q of %s with characters its %d earlier values never had (longest before: %d)",
			actorName(o), n, param, o.Endpoint, p.N, p.MaxLen),
		Evidence: map[string]any{"parameter": param, "payload": truncate(val, 120), "kind": "profile", "profile_values": p.N, "hits": n},
		Weak:     true}
}
