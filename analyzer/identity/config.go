package identity

import (
	"errors"
	"fmt"
	"net/netip"
)

// Config configures a Processor.
type Config struct {
	// Key is the HMAC-SHA256 key of the pseudonyms, at least 16 bytes.
	// Required; from --pseudonym-key / APITAP_PSEUDONYM_KEY. Nodes that
	// share a key give one secret the same pseudonym.
	Key []byte

	// APIKeyHeaders are request headers that carry an API key, matched
	// case-insensitively; they identify the actor and are always redacted.
	// "Authorization: ApiKey <k>" is recognized in any case.
	// Default: X-API-Key, Api-Key.
	APIKeyHeaders []string

	// SessionCookies are cookie names that carry a session ID, matched
	// case-insensitively. Default: session, sessionid, JSESSIONID,
	// PHPSESSID, connect.sid, sid, _session_id.
	SessionCookies []string

	// RedactHeaders are extra header names whose values are redacted,
	// matched case-insensitively. Authorization, Proxy-Authorization,
	// Cookie, Set-Cookie, the API key headers and headers whose name
	// matches RedactFields are always redacted. Default: none.
	RedactHeaders []string

	// RedactFields decide which JSON members, form fields, query and
	// matrix parameters and headers hold secrets, case-insensitively: an
	// entry matches as a substring of the normalized name, or, when it
	// starts with "=", as a whole word of the name (see the package
	// documentation). Default: see DefaultConfig.
	RedactFields []string

	// TrustedProxies are the networks of proxies whose X-Forwarded-For and
	// Forwarded headers are believed. Default: none, so the client is the
	// TCP peer.
	TrustedProxies []netip.Prefix

	// KeepPII keeps card numbers in bodies, path and query instead of
	// masking them (--keep-pii). Secrets are redacted either way.
	// Default: false.
	KeepPII bool

	// CacheSize is the number of decoded credentials (JWT claims and
	// pseudonyms) kept, in entries. 0 means the default, 4096.
	CacheSize int
}

// DefaultCacheSize is the number of cache entries when Config.CacheSize is 0.
const DefaultCacheSize = 4096

// DefaultConfig returns the defaults; Key must still be set.
func DefaultConfig() Config {
	return Config{
		APIKeyHeaders:  []string{"X-API-Key", "Api-Key"},
		SessionCookies: []string{"session", "sessionid", "JSESSIONID", "PHPSESSID", "connect.sid", "sid", "_session_id"},
		RedactFields: []string{
			// Substrings: distinctive enough to match anywhere in a name.
			"password", "passwd", "passphrase", "secret", "token", "apikey",
			"accesskey", "privatekey", "authorization", "credential",
			"sessionid", "signature", "cookie", "cvv", "cvc",
			// Whole words: too short to match inside other words
			// ("pin" in "shipping", "ssn" in "classname").
			"=pwd", "=pass", "=auth", "=key", "=otp", "=pin", "=ssn", "=sig",
			"=sid", "=session", "=jwt", "=bearer",
		},
		CacheSize: DefaultCacheSize,
	}
}

// Validate reports every problem of c, joined.
func (c Config) Validate() error {
	var errs []error
	if len(c.Key) < 16 {
		errs = append(errs, fmt.Errorf("check pseudonym key: %d bytes, need at least 16", len(c.Key)))
	}
	for i, h := range c.APIKeyHeaders {
		if !isToken(h) {
			errs = append(errs, fmt.Errorf("check API key header %d %q: not a header name", i, h))
		}
	}
	for i, h := range c.RedactHeaders {
		if !isToken(h) {
			errs = append(errs, fmt.Errorf("check redact header %d %q: not a header name", i, h))
		}
	}
	for i, s := range c.SessionCookies {
		if !isToken(s) {
			errs = append(errs, fmt.Errorf("check session cookie %d %q: not a cookie name", i, s))
		}
	}
	for i, f := range c.RedactFields {
		if err := checkFieldEntry(f); err != nil {
			errs = append(errs, fmt.Errorf("check redact field %d %q: %w", i, f, err))
		}
	}
	for i, p := range c.TrustedProxies {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("check trusted proxy %d: invalid prefix", i))
		}
	}
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("check cache size %d: negative", c.CacheSize))
	}
	return errors.Join(errs...)
}

// isToken reports whether s is a non-empty RFC 9110 token (header and
// cookie names, auth schemes).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) {
			continue
		}
		switch c {
		case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
			continue
		}
		return false
	}
	return true
}
