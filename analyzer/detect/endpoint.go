package detect

import (
	"github.com/apitap/apitap/analyzer/baseline"
)

// EndpointState is what the endpoint stage learns about one endpoint
// (host, method, template). Fields are exported for snapshots only.
type EndpointState struct {
	Calls     uint64
	Short     baseline.Counter  // calls per short window
	Fails     uint32            // failed authentication calls this short window
	FailUsers baseline.Distinct // accounts failing this short window
	FailIPs   baseline.Distinct // client IPs failing this short window
	Targets   map[string]uint16 // failures per account this short window
	Shed      uint64            // accounts not tracked because Targets was full

	AuthedOK   uint64            // 2xx answers to calls with credentials
	AnonOK     uint64            // 2xx answers to calls without
	AnonActors baseline.Distinct // anonymous actors that got 2xx

	Sens      uint32 // sensitive classes seen in 2xx responses
	SensCalls uint32 // 2xx responses scanned

	WriteOK uint32            // successful writes with a body
	Props   map[string]uint32 // top-level properties of successful writes

	OK     uint64            // 2xx answers
	RoleOK map[string]uint32 // 2xx answers per role

	PredCalls  uint32
	Preds      map[string]*Pred // predecessor endpoint → use
	SelfCalls  uint32           // calls preceded by the endpoint itself
	Usual      string           // the most frequent other predecessor
	UsualCalls uint32
	Viol       map[string]uint16 // flow violations per actor this short window

	Params map[string]*ParamProfile // per request parameter
	Inj    map[string]uint16        // profile injection hits per actor this short window
}

// Pred is how often, and by how many actors, one endpoint preceded another.
type Pred struct {
	Calls  uint32
	Actors baseline.Distinct
}

// ParamProfile is the learned shape of one request parameter.
type ParamProfile struct {
	N       uint32
	MaxLen  uint32
	Classes uint16 // charClass bits seen
}

// Bounds of the per-endpoint maps.
const (
	maxTargets = 4096
	maxProps   = 256
	maxRoles   = 64
	maxPreds   = 64
	maxViol    = 1024
	maxParams  = 64
)

// EndpointStage keeps per-endpoint baselines and runs the detectors that
// need a global view. Not safe for concurrent use.
type EndpointStage struct {
	cfg       *Config
	k         *kinds
	allow     *allow
	Endpoints *baseline.Table[EndpointState]
	// RoleCalls counts calls per role over all endpoints (role shares).
	RoleCalls map[string]uint64
	Total     uint64
}

// NewEndpointStage validates cfg and returns an empty stage.
func NewEndpointStage(cfg Config) (*EndpointStage, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &cfg
	return &EndpointStage{cfg: c, k: newKinds(c), allow: newAllow(c),
		Endpoints: baseline.NewTable[EndpointState](cfg.MaxEndpoints, 0), RoleCalls: map[string]uint64{}}, nil
}

// Observe updates the endpoint of o and returns the hits of the global
// detectors, appended to hits. o must have passed ActorStage.Observe (its
// Actor, Role, Kind and Prev are read); the endpoint stage reads the call's
// status, credentials kind, client IP, request fields and response body.
func (s *EndpointStage) Observe(o *Observation, hits []Hit) []Hit {
	in := s.k.info(o)
	if o.Endpoint == "" {
		o.prepare(s.k)
		o.Actor = o.Call.Actor.Key()
	}
	c := o.Call
	t := c.ReqStart
	e, _ := s.Endpoints.Get(in.key, t)
	cfg := s.cfg
	if e.Short.Roll(t, int64(cfg.ShortWindow), cfg.Alpha, o.Anomalous) || e.Targets == nil {
		e.Fails = 0
		e.FailUsers.Reset()
		e.FailIPs.Reset()
		e.Targets = map[string]uint16{}
		e.Viol = map[string]uint16{}
		e.Inj = map[string]uint16{}
	}
	e.Calls++
	e.Short.N++
	if len(s.RoleCalls) < maxRoles || s.RoleCalls[o.Role] > 0 {
		s.RoleCalls[o.Role]++
	}
	s.Total++

	skip := s.allow.skip(o)
	n0 := len(hits)
	if o.Kind == KindAuth || o.Kind == KindOTP {
		acct := accountOf(c, cfg.UsernameFields)
		hits = appendHit(hits, detectCredentialStuffing(cfg, o, e, acct))
		hits = appendHit(hits, detectBruteForce(cfg, o, e, acct))
	}
	hits = appendHit(hits, detectUnauthenticated(cfg, o, e))
	hits = appendHit(hits, detectSensitive(cfg, o, e))
	hits = appendHit(hits, detectMassAssignment(cfg, o, e))
	hits = appendHit(hits, detectFunctionLevel(cfg, in.priv, o, e, s.RoleCalls, s.Total))
	hits = appendHit(hits, detectFlow(cfg, o, e))
	hits = appendHit(hits, detectParamProfile(cfg, o, e))
	if skip {
		return hits[:n0]
	}
	return s.allow.filter(hits, n0)
}
