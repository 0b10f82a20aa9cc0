package detect

import "github.com/apitap/apitap/analyzer/report"

// Finding types this package emits (DESIGN.md). shadow_api and zombie_api
// belong to discovery.
const (
	BOLA                  = "bola_enumeration"
	CredentialStuffing    = "credential_stuffing"
	BruteForce            = "brute_force"
	SessionAnomaly        = "session_anomaly"
	WeakAuthentication    = "weak_authentication"
	UnauthenticatedAccess = "unauthenticated_access"
	SensitiveData         = "sensitive_data_exposure"
	MassAssignment        = "mass_assignment"
	RateAnomaly           = "rate_anomaly"
	FunctionLevelAuthz    = "function_level_authz"
	Scraping              = "scraping"
	PasswordResetAbuse    = "password_reset_abuse"
	BusinessFlow          = "business_flow_anomaly"
	SSRF                  = "ssrf"
	Misconfiguration      = "security_misconfiguration"
	Injection             = "injection_attempt"
	ThirdPartyFlow        = "third_party_data_flow"
	AnomalousBehavior     = "anomalous_behavior"
)

// Types lists every finding type of this package, in DESIGN.md order.
var Types = []string{BOLA, CredentialStuffing, BruteForce, SessionAnomaly, WeakAuthentication,
	UnauthenticatedAccess, SensitiveData, MassAssignment, RateAnomaly, FunctionLevelAuthz, Scraping,
	PasswordResetAbuse, BusinessFlow, SSRF, Misconfiguration, Injection, ThirdPartyFlow, AnomalousBehavior}

// OWASP maps a finding type to its OWASP API Security Top 10 2023 entry.
var OWASP = map[string]string{
	BOLA: "API1:2023", CredentialStuffing: "API2:2023", BruteForce: "API2:2023",
	SessionAnomaly: "API2:2023", WeakAuthentication: "API2:2023", UnauthenticatedAccess: "API2:2023",
	SensitiveData: "API3:2023", MassAssignment: "API3:2023", RateAnomaly: "API4:2023",
	FunctionLevelAuthz: "API5:2023", Scraping: "API6:2023", PasswordResetAbuse: "API6:2023",
	BusinessFlow: "API6:2023", SSRF: "API7:2023", Misconfiguration: "API8:2023",
	Injection: "API8:2023", ThirdPartyFlow: "API10:2023", AnomalousBehavior: "",
}

// Hit is one detector's verdict on one call: what it saw and against
// which baseline. Findings turns hits into deduplicated report.Findings.
type Hit struct {
	Type     string
	Severity string // report.Severity*
	// Actor is the dedup actor: the actor key, or "" for findings about an
	// endpoint as a whole (credential stuffing from rotating IPs,
	// sensitive data exposure, misconfiguration).
	Actor string
	// Endpoint is "METHOD /template", or "" for actor-wide findings.
	Endpoint string
	Summary  string
	Evidence map[string]any
	// Weak marks supporting evidence (a parameter-profile hit): it counts,
	// but does not replace the summary of a stronger hit on the same finding.
	Weak bool
}

var severityRank = map[string]int{report.SeverityLow: 1, report.SeverityMedium: 2, report.SeverityHigh: 3, report.SeverityCritical: 4}
