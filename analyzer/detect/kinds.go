package detect

import (
	"bytes"
	"regexp"

	"github.com/apitap/apitap/analyzer/baseline"
)

// kinds recognizes authentication, OTP, reset and privileged endpoints,
// caching the verdict per (method, template) so the regular expressions
// run once per endpoint, not per call.
type kinds struct {
	auth, otp, reset, priv *regexp.Regexp
	cache                  map[epKey]*epInfo
	max                    int
}

type epKey struct{ host, method, tmpl string }

// epInfo is what a stage derives from an endpoint's name once.
type epInfo struct {
	endpoint string       // "METHOD /template"
	key      string       // "host METHOD /template", the endpoint table key
	kind     EndpointKind // by template; a password body makes KindAuth per call
	priv     bool         // privileged by path
	hash     uint64       // baseline.Hash(endpoint)
	hostHash uint64       // baseline.Hash(host) ^ hash
}

func newKinds(c *Config) *kinds {
	return &kinds{
		auth:  regexp.MustCompile("(?i)" + c.AuthPaths),
		otp:   regexp.MustCompile("(?i)" + c.OTPPaths),
		reset: regexp.MustCompile("(?i)" + c.ResetPaths),
		priv:  regexp.MustCompile("(?i)" + c.PrivilegedPaths),
		cache: map[epKey]*epInfo{},
		max:   c.MaxEndpoints,
	}
}

// info returns the cached facts about o's endpoint.
func (k *kinds) info(o *Observation) *epInfo {
	key := epKey{o.Host, o.Method, o.Template}
	if in, ok := k.cache[key]; ok {
		return in
	}
	in := &epInfo{endpoint: o.Method + " " + o.Template, priv: k.priv.MatchString(o.Template)}
	in.key = o.Host + " " + in.endpoint
	in.hash = baseline.Hash(in.endpoint)
	in.hostHash = baseline.Hash(o.Host) ^ in.hash
	if o.Method != "GET" && o.Method != "HEAD" && o.Method != "OPTIONS" {
		switch {
		case k.reset.MatchString(o.Template):
			in.kind = KindReset
		case k.otp.MatchString(o.Template):
			in.kind = KindOTP
		case k.auth.MatchString(o.Template):
			in.kind = KindAuth
		}
	}
	if len(k.cache) >= k.max {
		clear(k.cache) // bounded: rebuilt on demand
	}
	k.cache[key] = in
	return in
}

var password = []byte("password")

// of classifies o by template, then by shape: a write whose body carries
// a password field is an authentication call.
func (k *kinds) of(o *Observation, in *epInfo) EndpointKind {
	if in.kind != KindPlain || o.Method == "GET" || o.Method == "HEAD" || o.Method == "OPTIONS" {
		return in.kind
	}
	if b := o.Call.ReqBody.Data; len(b) > 0 && len(b) < 4096 && bytes.Contains(b, password) {
		return KindAuth
	}
	return KindPlain
}
