package detect

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"time"
)

// Config holds every threshold and window of the stages and detectors.
// Start from DefaultConfig; the zero value is not valid.
type Config struct {
	// Disabled lists finding types that are never reported. Default none.
	Disabled []string
	// AllowActors are actor keys (JWT sub, pseudonym, "ip:1.2.3.4") whose
	// calls are never reported. Default none.
	AllowActors []string
	// AllowIPs are client networks whose calls are never reported. Default none.
	AllowIPs []netip.Prefix
	// AllowEndpoints are "METHOD /template" (or "/template" for every
	// method) never reported. Default none.
	AllowEndpoints []string

	// Window is the finding dedup window: hits of one (type, actor,
	// endpoint) within one window are one finding. Default 1h.
	Window time.Duration
	// ShortWindow is the window of the counting detectors (distinct object
	// ids, failures, usernames, IPs, flows). Default 10m.
	ShortWindow time.Duration
	// Alpha is the EWMA weight of a closed window in the baselines.
	// Default 0.1.
	Alpha float64
	// WarmWindows is how many closed windows make an actor's or endpoint's
	// own baseline warm; before that actors are compared with their peers
	// (same role). Default 6.
	WarmWindows int
	// Sigma is k in the baseline high level mean + k·σ. Default 3.
	Sigma float64
	// Clamp is how long an actor's baselines stop learning after one of
	// its findings, so an attack does not become its own baseline.
	// Default 30m.
	Clamp time.Duration

	// MaxActors bounds the actor table (approximate LRU eviction, counted).
	// Default 1,000,000.
	MaxActors int
	// ActorTTL drops actors idle this long (capture time). Default 24h.
	ActorTTL time.Duration
	// MaxEndpoints bounds the endpoint table. Default 20,000.
	MaxEndpoints int
	// MaxActorEndpoints bounds the endpoints remembered per actor. Default 24.
	MaxActorEndpoints int

	// BOLA: distinct object ids one actor reads on one endpoint per
	// ShortWindow. It fires at MinDistinct when at least DeniedRatio of
	// those calls were refused (401/403), or, with 2xx only, at
	// max(2·MinDistinct, Factor × baseline high). Defaults 25, 0.2, 5.
	BOLAMinDistinct int
	BOLADeniedRatio float64
	BOLAFactor      float64

	// Rate: calls of one actor per minute. Fires at
	// max(RateMinPerMinute, RateFactor × baseline high) for warm actors and
	// peers, and at RateColdPerMinute for actors without a warm baseline.
	// Defaults 60, 4, 300.
	RateMinPerMinute  int
	RateFactor        float64
	RateColdPerMinute int

	// Credential stuffing: distinct usernames failing on one
	// authentication endpoint per ShortWindow, with at least
	// StuffingFailRatio of its calls failing. Defaults 15, 0.5.
	StuffingUsernames int
	StuffingFailRatio float64
	// BruteForceFailures: failures on one account (username, or OTP
	// challenge) per ShortWindow. Default 10.
	BruteForceFailures int
	// ResetTargets: distinct accounts one actor triggers password resets
	// or OTP sends for per ShortWindow. Default 8.
	ResetTargets int

	// SessionIPs and SessionUAs: distinct client IPs or user agents one
	// credential (not anonymous) uses per ShortWindow. Defaults 4, 3.
	SessionIPs int
	SessionUAs int
	// WeakPlaintext also reports bearer tokens and API keys seen over
	// plaintext HTTP (off by default: captures behind TLS terminators see
	// plaintext by design). Default false.
	WeakPlaintext bool

	// UnauthMinAuthed: authenticated 2xx calls an endpoint needs before a
	// 2xx to an anonymous call is reported; UnauthRatio is the share of its
	// 2xx calls that must be authenticated; once UnauthPublicActors
	// distinct anonymous actors got 2xx the endpoint is public (so a public
	// endpoint seldom used anonymously costs at most one false finding).
	// Defaults 30, 0.95, 2.
	UnauthMinAuthed    int
	UnauthRatio        float64
	UnauthPublicActors int

	// EndpointWarmCalls: calls an endpoint needs before "new for the
	// endpoint" detectors (sensitive data, mass assignment, parameter
	// profiles, role matrix, flows) report. Default 30.
	EndpointWarmCalls int

	// FLAPrivilegedShare: an endpoint is privileged when the roles that get
	// 2xx from it make less than this share of all calls (or its path
	// matches PrivilegedPaths). Default 0.2.
	FLAPrivilegedShare float64
	// PrivilegedPaths match privileged endpoint templates. Default /admin.
	PrivilegedPaths string

	// Scraping: at least ScrapeMinCalls per ShortWindow on at most
	// ScrapeMaxEndpoints endpoints, ScrapeDistinct of them distinct
	// URLs, with an inter-arrival coefficient of variation at most
	// ScrapeMaxCV or pages beyond ScrapeDeepPage. Defaults 60, 2, 0.9, 0.25, 50.
	ScrapeMinCalls     int
	ScrapeMaxEndpoints int
	ScrapeDistinct     float64
	ScrapeMaxCV        float64
	ScrapeDeepPage     int

	// Flow: an endpoint is a flow step when one predecessor endpoint
	// (other than itself, taken by at least FlowRareActors actors) directly
	// precedes FlowStepShare of its calls. An actor skips the step when it
	// did not call it within FlowGap before; FlowMinViolations skips per
	// ShortWindow, making at least FlowViolationShare of the actor's calls
	// to the endpoint there, fire. Defaults 0.6, 3, 3, 0.5, 5m.
	FlowStepShare      float64
	FlowRareActors     int
	FlowMinViolations  int
	FlowViolationShare float64
	FlowGap            time.Duration

	// Anomalous behavior: an actor with a warm (own or peer) baseline using
	// at least max(AnomalyMinEndpoints, baseline high) endpoints per
	// ShortWindow, or getting errors from AnomalyErrorEndpoints of them,
	// AnomalyMinNew of them new to it, with an error ratio of at least
	// max(AnomalyErrorRatio, its own error-ratio high).
	// Defaults 8, 6, 3, 0.3.
	AnomalyMinEndpoints   int
	AnomalyErrorEndpoints int
	AnomalyMinNew         int
	AnomalyErrorRatio     float64

	// Injection profile: calls of a parameter before its profile is warm;
	// a warm profile flags values with metacharacters it never had, at
	// InjectionProfileHits per actor and ShortWindow. Defaults 50, 3.
	InjectionProfileWarm int
	InjectionProfileHits int

	// AuthPaths, OTPPaths and ResetPaths recognize authentication, OTP and
	// password reset endpoints by template (regular expressions, case
	// insensitive). A write carrying a password field is authentication
	// too. Defaults below.
	AuthPaths  string
	OTPPaths   string
	ResetPaths string
	// UsernameFields name the request fields that carry the account of an
	// authentication attempt. Default username, email, login, user,
	// phone, challenge_id.
	UsernameFields []string

	// InternalHosts are host suffixes that are ours; a call to any other
	// host on a public address is a third-party call. Default none (only
	// addresses decide).
	InternalHosts []string
	// MaxEvidenceIDs bounds the example call ids kept per finding. Default 5.
	MaxEvidenceIDs int
	// MaxFindings bounds the open findings kept for dedup. Default 100,000.
	MaxFindings int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Window: time.Hour, ShortWindow: 10 * time.Minute, Alpha: 0.1, WarmWindows: 6, Sigma: 3, Clamp: 30 * time.Minute,
		MaxActors: 1_000_000, ActorTTL: 24 * time.Hour, MaxEndpoints: 20_000, MaxActorEndpoints: 24,
		BOLAMinDistinct: 25, BOLADeniedRatio: 0.2, BOLAFactor: 5,
		RateMinPerMinute: 60, RateFactor: 4, RateColdPerMinute: 300,
		StuffingUsernames: 15, StuffingFailRatio: 0.5, BruteForceFailures: 10, ResetTargets: 8,
		SessionIPs: 4, SessionUAs: 3,
		UnauthMinAuthed: 30, UnauthRatio: 0.95, UnauthPublicActors: 2, EndpointWarmCalls: 30,
		FLAPrivilegedShare: 0.2, PrivilegedPaths: `(^|/)(admin|internal|manage|management)(/|$)`,
		ScrapeMinCalls: 60, ScrapeMaxEndpoints: 2, ScrapeDistinct: 0.9, ScrapeMaxCV: 0.25, ScrapeDeepPage: 50,
		FlowStepShare: 0.6, FlowRareActors: 3, FlowMinViolations: 3, FlowViolationShare: 0.5, FlowGap: 5 * time.Minute,
		AnomalyMinEndpoints: 8, AnomalyErrorEndpoints: 6, AnomalyMinNew: 3, AnomalyErrorRatio: 0.3,
		InjectionProfileWarm: 50, InjectionProfileHits: 3,
		AuthPaths:      `(^|/)(login|log-in|signin|sign-in|oauth/token|token|auth|authenticate|sessions?)$`,
		OTPPaths:       `(^|/)(otp|mfa|2fa|totp)(/|$)|verify-code`,
		ResetPaths:     `(password|passwd)/?(reset|forgot|recover)|forgot-password|reset-password|(otp|mfa|code)/(send|resend)`,
		UsernameFields: []string{"username", "email", "login", "user", "phone", "challenge_id"},
		MaxEvidenceIDs: 5, MaxFindings: 100_000,
	}
}

// Validate reports every invalid field, joined.
func (c Config) Validate() error {
	var errs []error
	pos := func(name string, v float64) {
		if !(v > 0) {
			errs = append(errs, fmt.Errorf("%s %v: must be positive", name, v))
		}
	}
	for _, t := range c.Disabled {
		if !slices.Contains(Types, t) {
			errs = append(errs, fmt.Errorf("disabled type %q: unknown finding type", t))
		}
	}
	pos("window", float64(c.Window))
	pos("short window", float64(c.ShortWindow))
	if c.ShortWindow > c.Window {
		errs = append(errs, fmt.Errorf("short window %s: longer than window %s", c.ShortWindow, c.Window))
	}
	if !(c.Alpha > 0 && c.Alpha <= 1) {
		errs = append(errs, fmt.Errorf("alpha %v: must be in (0, 1]", c.Alpha))
	}
	for _, f := range []struct {
		n string
		v float64
	}{{"warm windows", float64(c.WarmWindows)}, {"sigma", c.Sigma}, {"max actors", float64(c.MaxActors)},
		{"max endpoints", float64(c.MaxEndpoints)}, {"max actor endpoints", float64(c.MaxActorEndpoints)},
		{"bola min distinct", float64(c.BOLAMinDistinct)}, {"bola factor", c.BOLAFactor},
		{"rate min per minute", float64(c.RateMinPerMinute)}, {"rate factor", c.RateFactor},
		{"rate cold per minute", float64(c.RateColdPerMinute)}, {"stuffing usernames", float64(c.StuffingUsernames)},
		{"brute force failures", float64(c.BruteForceFailures)}, {"reset targets", float64(c.ResetTargets)},
		{"session ips", float64(c.SessionIPs)}, {"session uas", float64(c.SessionUAs)},
		{"unauth min authed", float64(c.UnauthMinAuthed)}, {"unauth public actors", float64(c.UnauthPublicActors)}, {"endpoint warm calls", float64(c.EndpointWarmCalls)},
		{"scrape min calls", float64(c.ScrapeMinCalls)}, {"scrape max endpoints", float64(c.ScrapeMaxEndpoints)},
		{"scrape max cv", c.ScrapeMaxCV}, {"scrape deep page", float64(c.ScrapeDeepPage)},
		{"flow rare actors", float64(c.FlowRareActors)}, {"flow min violations", float64(c.FlowMinViolations)},
		{"flow gap", float64(c.FlowGap)}, {"anomaly min endpoints", float64(c.AnomalyMinEndpoints)},
		{"anomaly min new", float64(c.AnomalyMinNew)}, {"anomaly error endpoints", float64(c.AnomalyErrorEndpoints)}, {"injection profile warm", float64(c.InjectionProfileWarm)},
		{"injection profile hits", float64(c.InjectionProfileHits)}, {"max evidence ids", float64(c.MaxEvidenceIDs)},
		{"max findings", float64(c.MaxFindings)}, {"clamp", float64(c.Clamp)}, {"actor ttl", float64(c.ActorTTL)},
	} {
		pos(f.n, f.v)
	}
	for name, v := range map[string]float64{"bola denied ratio": c.BOLADeniedRatio, "stuffing fail ratio": c.StuffingFailRatio,
		"unauth ratio": c.UnauthRatio, "fla privileged share": c.FLAPrivilegedShare, "scrape distinct": c.ScrapeDistinct,
		"flow step share": c.FlowStepShare, "flow violation share": c.FlowViolationShare, "anomaly error ratio": c.AnomalyErrorRatio} {
		if !(v > 0 && v <= 1) {
			errs = append(errs, fmt.Errorf("%s %v: must be in (0, 1]", name, v))
		}
	}
	for name, re := range map[string]string{"auth paths": c.AuthPaths, "otp paths": c.OTPPaths, "reset paths": c.ResetPaths, "privileged paths": c.PrivilegedPaths} {
		if _, err := regexp.Compile("(?i)" + re); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if len(c.UsernameFields) == 0 {
		errs = append(errs, errors.New("username fields: need at least one"))
	}
	for i, p := range c.AllowIPs {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("allow ip %d: invalid prefix", i))
		}
	}
	return errors.Join(errs...)
}
