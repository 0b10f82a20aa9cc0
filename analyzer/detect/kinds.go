package detect

import (
	"bytes"
	"regexp"
)

// kinds recognizes authentication, OTP and reset endpoints.
type kinds struct {
	auth, otp, reset, priv *regexp.Regexp
}

func newKinds(c *Config) *kinds {
	return &kinds{
		auth:  regexp.MustCompile("(?i)" + c.AuthPaths),
		otp:   regexp.MustCompile("(?i)" + c.OTPPaths),
		reset: regexp.MustCompile("(?i)" + c.ResetPaths),
		priv:  regexp.MustCompile("(?i)" + c.PrivilegedPaths),
	}
}

// of classifies o by template, then by shape: a write whose body carries
// a password field is an authentication call.
func (k *kinds) of(o *Observation) EndpointKind {
	if o.Method == "GET" || o.Method == "HEAD" || o.Method == "OPTIONS" {
		return KindPlain
	}
	switch {
	case k.reset.MatchString(o.Template):
		return KindReset
	case k.otp.MatchString(o.Template):
		return KindOTP
	case k.auth.MatchString(o.Template):
		return KindAuth
	}
	if b := o.Call.ReqBody.Data; len(b) > 0 && len(b) < 4096 && bytes.Contains(b, []byte("password")) {
		return KindAuth
	}
	return KindPlain
}
