package detect

import (
	"strings"

	"github.com/apitap/apitap/apicall"
)

// Observation is one call as the stages see it: the call plus where it
// landed in the API inventory. The caller fills Call, Host, Method and
// Template (from discovery, or FallbackTemplate); ActorStage fills Actor,
// Role, Prev and Anomalous for the EndpointStage. The Call is only read.
type Observation struct {
	Call     *apicall.Call
	Host     string
	Method   string
	Template string // path template, e.g. /api/v2/orders/{orderId}
	// SpecAuth is whether the spec requires credentials: -1 unknown,
	// 0 no, 1 yes.
	SpecAuth int8
	// SpecProps are the request body properties the spec documents; nil
	// when unknown.
	SpecProps []string

	// Filled by the stages.
	Endpoint string // "METHOD /template"
	ObjectID string // value of the last template parameter, "" if none
	Kind     EndpointKind
	Actor    string // actor key (apicall.Actor.Key)
	Role     string // first JWT role, else the credential kind
	Prev     string // previous endpoint of this actor within FlowGap, "" if none
	// Recent holds hashes (baseline.Hash of Endpoint) of the actor's last
	// endpoints within FlowGap, most recent first; NRecent are valid.
	Recent  [recentN]uint64
	NRecent int
	// EPCalls is how many calls the actor made to this endpoint in the
	// current short window, this one included.
	EPCalls   uint32
	Anomalous bool // the actor is under a finding (baselines clamped)
}

// EndpointKind says what an endpoint does for authentication flows.
type EndpointKind uint8

// Endpoint kinds.
const (
	KindPlain EndpointKind = iota
	KindAuth               // password login or token grant
	KindOTP                // one-time code verification
	KindReset              // password reset or OTP send
)

// prepare fills the derived fields of o that do not need state and
// returns its endpoint's cached facts.
func (o *Observation) prepare(k *kinds) *epInfo {
	in := k.info(o)
	o.Endpoint = in.endpoint
	o.ObjectID = objectID(o.Call.Path, o.Template)
	o.Kind = k.of(o, in)
	a := &o.Call.Actor
	if a.User != "" {
		o.Actor = a.User
	}
	switch {
	case len(a.Roles) > 0:
		o.Role = a.Roles[0]
	case a.Kind != "":
		o.Role = a.Kind
	default:
		o.Role = apicall.ActorAnonymous
	}
	return in
}

// appendActorKey appends apicall.Actor.Key without allocating.
func appendActorKey(b []byte, a *apicall.Actor) []byte {
	if a.User != "" {
		return append(b, a.User...)
	}
	if a.ClientIP.IsValid() {
		return a.ClientIP.AppendTo(append(b, "ip:"...))
	}
	return b
}

// objectID returns the path segment under the last {param} of tmpl.
func objectID(path, tmpl string) string {
	if strings.IndexByte(tmpl, '{') < 0 {
		return ""
	}
	id := ""
	for len(path) > 0 && len(tmpl) > 0 {
		p, pr, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		t, tr, _ := strings.Cut(strings.TrimPrefix(tmpl, "/"), "/")
		if strings.HasPrefix(t, "{") {
			id = p
		}
		path, tmpl = pr, tr
	}
	return id
}

// FallbackTemplate is the stand-in templater used until discovery's
// inventory is wired: it replaces path segments that are numbers, UUIDs,
// long hex strings, or slugs containing digits (but not version
// segments such as v2) by {id}. It is deliberately simple.
func FallbackTemplate(path string) string {
	if !needsTemplate(path) {
		return path
	}
	var b strings.Builder
	b.Grow(len(path))
	for seg := range strings.SplitSeq(path, "/") {
		if b.Len() > 0 || strings.HasPrefix(path, "/") {
			b.WriteByte('/')
		}
		if isIDSegment(seg) {
			b.WriteString("{id}")
		} else {
			b.WriteString(seg)
		}
	}
	s := b.String()
	if strings.HasPrefix(path, "/") {
		s = s[1:]
	}
	return s
}

func needsTemplate(path string) bool {
	for i := 0; i < len(path); i++ {
		if c := path[i]; c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

func isIDSegment(s string) bool {
	if s == "" {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if (s[0] == 'v' || s[0] == 'V') && digits == len(s)-1 && len(s) <= 4 {
		return false // version segment
	}
	return true
}
