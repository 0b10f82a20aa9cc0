// Package report holds the analyzer's output records — API inventory
// endpoints and security findings — and the sinks that take them.
//
// The JSON form of both types is the stable contract of
// `apitap analyze --format jsonl` (see DESIGN.md): field names and meanings
// must not change; new fields may be added.
package report

import (
	"context"
	"time"
)

// Classification of an endpoint against the OpenAPI specs.
const (
	Documented = "documented" // seen, and in a spec
	Shadow     = "shadow"     // seen, in no spec for its host
	Zombie     = "zombie"     // seen, and deprecated or superseded in the spec
	Dormant    = "dormant"    // in a spec, never seen (Calls is 0)
	Unknown    = "unknown"    // seen, and no spec covers its host
)

// Endpoint is one (host, method, path template) of the API inventory.
type Endpoint struct {
	Kind           string         `json:"kind"` // always "endpoint"
	Host           string         `json:"host"`
	Method         string         `json:"method"`
	Path           string         `json:"path"` // template, e.g. /api/v2/orders/{orderId}
	Classification string         `json:"classification"`
	Deprecated     bool           `json:"deprecated"`
	Calls          int64          `json:"calls"`
	Actors         int64          `json:"actors"`              // distinct actors (estimate above a few thousand)
	Status         map[string]int `json:"status"`              // status code → calls
	FirstSeen      time.Time      `json:"first_seen,omitzero"` // zero (omitted) for dormant endpoints
	LastSeen       time.Time      `json:"last_seen,omitzero"`
	Sensitive      []string       `json:"sensitive"` // sensitive data classes seen, sorted
	Auth           []string       `json:"auth"`      // auth schemes seen: bearer, apikey, basic, cookie, none
	// Extra carries stage-specific detail (profile, parameters, evidence)
	// under x-style keys; consumers must tolerate unknown keys.
	Extra map[string]any `json:"extra,omitempty"`
}

// Severity of a finding.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Finding is one detected security issue, deduplicated by (type, actor,
// endpoint, window): a later occurrence in the same window updates Count and
// LastSeen of the same ID.
type Finding struct {
	Kind      string   `json:"kind"` // always "finding"
	ID        string   `json:"id"`   // stable hash of type, actor, endpoint, window
	Type      string   `json:"type"` // e.g. bola_enumeration (DESIGN.md lists them)
	OWASP     string   `json:"owasp"`
	Severity  string   `json:"severity"`
	User      string   `json:"user"` // actor: JWT sub or pseudonym; empty when anonymous
	ClientIPs []string `json:"client_ips"`
	// Users are, for a finding about an endpoint rather than one actor
	// (User empty), the distinct authenticated callers behind it, in order
	// of appearance, at most a few.
	Users     []string       `json:"users,omitempty"`
	Endpoint  string         `json:"endpoint"` // "METHOD /template"
	Host      string         `json:"host"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	Count     int64          `json:"count"`
	Summary   string         `json:"summary"`
	Evidence  map[string]any `json:"evidence"`
	// CallIDs are a few example calls (apicall.Call.ID) behind the finding.
	CallIDs []string `json:"call_ids,omitempty"`
}

// EndpointSink consumes inventory snapshots. Like apicall.Sink, it must not
// keep the slice after Consume returns; a non-nil error means not accepted.
type EndpointSink interface {
	ConsumeEndpoints(ctx context.Context, eps []Endpoint) error
}

// FindingSink consumes findings. A finding may be delivered again with a
// higher Count and later LastSeen (same ID): sinks upsert by ID.
type FindingSink interface {
	ConsumeFindings(ctx context.Context, fs []Finding) error
}

// ActorHour is one actor's activity in one hour (by capture time), as one
// analyzer process counted it: a cumulative snapshot that a later one
// with the same (Actor, Hour, Writer) and a higher Seq replaces. Counts of
// several writers for the same actor and hour add up (each counted other
// calls), except for calls delivered to two of them (a restart before the
// first committed its Kafka offsets), which both count; Writer tells them
// apart so readers can say so.
type ActorHour struct {
	Actor     string    `json:"actor"`      // apicall.Actor.Key(): user, else "ip:<client IP>"
	Hour      time.Time `json:"hour"`       // start of the hour, UTC
	Writer    string    `json:"writer"`     // the counting process's generation id
	Seq       uint64    `json:"seq"`        // snapshot number within Writer; higher replaces lower
	User      string    `json:"user"`       // authenticated user; empty when anonymous
	ActorKind string    `json:"actor_kind"` // apicall.Actor.Kind of the first call
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Calls     int64     `json:"calls"`
	Errors    int64     `json:"errors"`    // status >= 400, or no response
	Endpoints int64     `json:"endpoints"` // distinct host, method and template (exact up to the stage's bound)
	// EndpointIDs identify those endpoints (FNV-1a of host, method and
	// template, stable across processes) so that the sets of several rows
	// can be united.
	EndpointIDs []uint64 `json:"endpoint_ids,omitempty"`
	RespBytes   int64    `json:"resp_bytes"`
	// ClientIPs, UserAgents and Hosts are the distinct values seen, in
	// order of appearance, at most the stage's bound each.
	ClientIPs  []string `json:"client_ips"`
	UserAgents []string `json:"user_agents"`
	Hosts      []string `json:"hosts"`
	// Cut counts the calls whose endpoint, client IP, user agent or host
	// did not fit a full set: Endpoints is then a lower bound.
	Cut int64 `json:"cut"`
}

// ActorSink consumes actor-hour snapshots. Like the other sinks it must not
// keep the slice; a nil error means accepted (durable for sinks that wait
// for their writes).
type ActorSink interface {
	ConsumeActors(ctx context.Context, rows []ActorHour) error
}
