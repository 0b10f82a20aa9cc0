package detect

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	libinjection "github.com/corazawaf/libinjection-go"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

// Per-call content detectors: stateless, they read one call.

// accountOf returns the account an authentication, OTP or reset request
// names (the first of fields found in query or body), or "".
func accountOf(c *apicall.Call, fields []string) string {
	best, rank := "", len(fields)
	requestFields(c.RawQuery, c.ReqBody.Data, c.ReqBody.ContentType, func(f field) {
		if !f.Str || f.Val == "" || f.Depth > 2 {
			return
		}
		for i, n := range fields[:rank] {
			if strings.EqualFold(f.Key, n) {
				best, rank = strings.Clone(f.Val), i
				return
			}
		}
	})
	return best
}

// detectSSRF: a request parameter carries a URL to an internal, metadata,
// loopback or file target.
func detectSSRF(o *Observation) *Hit {
	c := o.Call
	if !mayHoldURL(c.RawQuery) && !mayHoldURLBytes(c.ReqBody.Data) {
		return nil
	}
	var param, target, why string
	requestFields(c.RawQuery, c.ReqBody.Data, c.ReqBody.ContentType, func(f field) {
		if target != "" || !f.Str || len(f.Val) < 6 || !strings.Contains(f.Val, ":") {
			return
		}
		if w := internalURL(f.Val); w != "" {
			param, target, why = strings.Clone(f.Key), strings.Clone(f.Val), w
		}
	})
	if target == "" {
		return nil
	}
	ok := c.Status >= 200 && c.Status < 300
	s := report.SeverityHigh
	if ok && strings.Contains(why, "metadata") {
		s = report.SeverityCritical
	}
	return &Hit{Type: SSRF, Severity: s, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary:  fmt.Sprintf("%s passed %s (%s) in parameter %q of %s and got %d", actorName(o), truncate(target, 80), why, param, o.Endpoint, c.Status),
		Evidence: map[string]any{"parameter": param, "target": truncate(target, 200), "reason": why, "status": c.Status}}
}

// mayHoldURL is the SSRF prefilter: a scheme separator, raw or escaped.
func mayHoldURL(s string) bool {
	return strings.Contains(s, "://") || strings.Contains(s, "%3A%2F%2F") || strings.Contains(s, "%3a%2f%2f")
}

func mayHoldURLBytes(b []byte) bool {
	return len(b) > 0 && (bytes.Contains(b, []byte("://")) || bytes.Contains(b, []byte("%3A%2F%2F")) || bytes.Contains(b, []byte("%3a%2f%2f")))
}

// internalURL says why s is a URL to an internal target, or "".
func internalURL(s string) string {
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || len(scheme) > 10 {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "file":
		return "file scheme"
	case "gopher", "dict", "ldap", "tftp", "jar", "netdoc":
		return scheme + " scheme"
	case "http", "https", "ftp":
	default:
		return ""
	}
	host := rest
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	h := host
	if strings.HasPrefix(h, "[") {
		if j := strings.IndexByte(h, ']'); j > 0 {
			h = h[1:j]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	switch {
	case h == "metadata.google.internal" || h == "metadata" || h == "instance-data" || strings.HasSuffix(h, ".internal"):
		return "cloud metadata host"
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return "loopback host"
	}
	ip, err := netip.ParseAddr(h)
	if err != nil {
		if n, ok := decimalIPv4(h); ok {
			ip = n
		} else {
			return ""
		}
	}
	ip = ip.Unmap()
	switch {
	case ip == netip.AddrFrom4([4]byte{169, 254, 169, 254}) || ip == netip.MustParseAddr("fd00:ec2::254"):
		return "cloud metadata address"
	case ip.IsLoopback() || ip.IsUnspecified():
		return "loopback address"
	case ip.IsLinkLocalUnicast():
		return "link-local address"
	case ip.IsPrivate():
		return "private address"
	}
	return ""
}

// decimalIPv4 parses the 2130706433 form of an IPv4 address.
func decimalIPv4(s string) (netip.Addr, bool) {
	if len(s) < 8 || len(s) > 10 || !allDigits([]byte(s)) {
		return netip.Addr{}, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	if n > 0xffffffff {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// injector runs libinjection and payload patterns over request values.
type injector struct{}

// metachars is the prefilter: values without any of these are not checked.
const metachars = "'\"<>;()`$|{}\\%#*="

// rawMeta is the prefilter on undecoded input ('=' and '&' are syntax there).
const rawMeta = "'\"<>;()`$|{}\\%#*"

func (injector) detect(o *Observation) *Hit {
	c := o.Call
	q := c.RawQuery != "" && (strings.ContainsAny(c.RawQuery, rawMeta) || strings.Contains(c.RawQuery, "..") || strings.Contains(c.RawQuery, "--"))
	if !q && len(c.ReqBody.Data) == 0 && !strings.Contains(c.Path, "..") {
		return nil
	}
	rawQuery := c.RawQuery
	if !q {
		rawQuery = ""
	}
	var param, val, kind string
	check := func(key, v string) {
		if kind != "" || len(v) < 2 || v == "[REDACTED]" {
			return
		}
		if k := injectionKind(v); k != "" {
			param, val, kind = strings.Clone(key), strings.Clone(v), k
		}
	}
	if strings.Contains(c.Path, "..") || strings.Contains(c.Path, "%2e%2e") {
		check("(path)", unescapeQuery(c.Path))
	}
	requestFields(rawQuery, c.ReqBody.Data, c.ReqBody.ContentType, func(f field) {
		if f.Str {
			check(f.Key, f.Val)
		}
	})
	if kind == "" {
		return nil
	}
	s := report.SeverityMedium
	if c.Status >= 500 {
		s = report.SeverityHigh // the payload reached something that broke
	}
	return &Hit{Type: Injection, Severity: s, Actor: o.Actor, Endpoint: o.Endpoint,
		Summary:  fmt.Sprintf("%s sent a %s payload in %q of %s and got %d", actorName(o), kind, param, o.Endpoint, c.Status),
		Evidence: map[string]any{"parameter": param, "payload": truncate(val, 120), "kind": kind, "status": c.Status}}
}

// injectionKind names the injection class of v, or "".
func injectionKind(v string) string {
	if !strings.ContainsAny(v, metachars) && !strings.Contains(v, "..") && !strings.Contains(v, "--") {
		return ""
	}
	if ok, _ := libinjection.IsSQLi(v); ok {
		return "sqli"
	}
	if libinjection.IsXSS(v) {
		return "xss"
	}
	lv := strings.ToLower(v)
	switch {
	case strings.Contains(lv, "../") || strings.Contains(lv, "..\\") || strings.Contains(lv, "/etc/passwd") || strings.Contains(lv, "c:\\windows"):
		return "path_traversal"
	case strings.Contains(v, "$(") || strings.Contains(v, "`") || containsCmd(lv):
		return "command"
	case strings.Contains(v, "{{") && strings.Contains(v, "}}") || strings.Contains(v, "${") || strings.Contains(v, "<%="):
		return "template"
	case strings.HasPrefix(lv, "javascript:"):
		return "xss"
	}
	return ""
}

var shellCmds = []string{"; cat ", "| cat ", "&& cat ", "; id", "| id", "; ls", "| ls", "; wget ", "; curl ", "| nc ", "; uname", "|| ping "}

func containsCmd(lv string) bool {
	for _, s := range shellCmds {
		if strings.Contains(lv, s) {
			return true
		}
	}
	return false
}

// Response markers of debug output and stack traces.
var debugMarkers = []string{
	"Traceback (most recent call last)", "\n\tat java.", "\tat org.springframework", "Exception in thread \"",
	"goroutine 1 [running]", "panic: runtime error", "System.NullReferenceException", "   at System.",
	"You have an error in your SQL syntax", "SQLSTATE[", "ORA-00933", "Warning: pg_query()", "Whoops, looks like something went wrong",
	"DEBUG = True", "Werkzeug Debugger", "node_modules/express/lib", "Fatal error: Uncaught",
}

var debugMarkerBytes = func() [][]byte {
	out := make([][]byte, len(debugMarkers))
	for i, m := range debugMarkers {
		out[i] = []byte(m)
	}
	return out
}()

// detectMisconfiguration: stack traces or debug output in a response,
// credentialed CORS for any origin, or secrets in the URL.
func detectMisconfiguration(o *Observation) *Hit {
	c := o.Call
	var why, marker, param, acao, origin, creds string
	if c.Status >= 500 || (c.Status >= 400 || strings.Contains(c.RespBody.ContentType, "text")) && len(c.RespBody.Data) > 0 {
		b := c.RespBody.Data
		if len(b) > maxScan {
			b = b[:maxScan]
		}
		for i, m := range debugMarkerBytes {
			if bytes.Contains(b, m) {
				why, marker = "stack trace or debug output in the response", strings.TrimSpace(debugMarkers[i])
				break
			}
		}
	}
	if why == "" {
		// Identity may have redacted Allow-Credentials (its name reads
		// "credential"); a reflected foreign origin is a finding either way.
		if acao = c.RespHeaders.Get("Access-Control-Allow-Origin"); acao != "" {
			creds = c.RespHeaders.Get("Access-Control-Allow-Credentials")
			origin = c.ReqHeaders.Get("Origin")
			switch {
			case (acao == "*" || acao == "null") && strings.EqualFold(creds, "true"):
				why = "CORS allows credentials from any origin"
			case origin != "" && acao == origin && !sameSite(origin, o.Host):
				why = "CORS reflects a foreign origin"
			}
		}
	}
	if why == "" && c.RawQuery != "" {
		if param = secretQueryKey(c.RawQuery); param != "" {
			why = "secret in the URL query"
		}
	}
	if why == "" {
		return nil
	}
	ev := map[string]any{"status": c.Status, "reason": why}
	for k, v := range map[string]string{"marker": marker, "parameter": param, "allow_origin": acao, "origin": origin, "allow_credentials": creds} {
		if v != "" {
			ev[k] = v
		}
	}
	return &Hit{Type: Misconfiguration, Severity: report.SeverityMedium, Endpoint: o.Endpoint,
		Summary:  fmt.Sprintf("%s: %s (call by %s, status %d)", o.Endpoint, why, actorName(o), c.Status),
		Evidence: ev}
}

func sameSite(origin, host string) bool {
	_, h, _ := strings.Cut(origin, "://")
	h, _, _ = strings.Cut(h, ":")
	host, _, _ = strings.Cut(host, ":")
	if h == host {
		return true
	}
	// Same registrable-ish domain: compare the last two labels.
	last2 := func(s string) string {
		i := strings.LastIndexByte(s, '.')
		if i < 0 {
			return s
		}
		if j := strings.LastIndexByte(s[:i], '.'); j >= 0 {
			return s[j+1:]
		}
		return s
	}
	return last2(h) == last2(host)
}

var secretNames = []string{"api_key", "apikey", "access_token", "password", "passwd", "secret", "client_secret", "private_key", "auth_token", "token"}

// secretQueryKey returns the first query parameter name that is a secret's.
func secretQueryKey(q string) string {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, _, _ := strings.Cut(kv, "=")
		for _, s := range secretNames {
			if strings.EqualFold(k, s) {
				return k
			}
		}
	}
	return ""
}

// detectThirdParty: sensitive data in a request to an external API.
func detectThirdParty(cfg *Config, o *Observation) *Hit {
	c := o.Call
	if len(c.ReqBody.Data) == 0 && c.RawQuery == "" {
		return nil
	}
	if !external(c.Server.Addr(), o.Host, cfg.InternalHosts) {
		return nil
	}
	m := sensitiveClasses(c.ReqBody.Data, true)
	if c.RawQuery != "" {
		m |= sensitiveClasses([]byte(unescapeQuery(c.RawQuery)), true)
	}
	if c.Flags.Has(apicall.FlagPIIMasked) {
		m |= ClassCard
	}
	if m == 0 {
		return nil
	}
	classes := classList(m)
	return &Hit{Type: ThirdPartyFlow, Severity: sev(m&(ClassCard|ClassSSN|ClassPrivateKey|ClassCloudKey) != 0), Actor: o.Actor, Endpoint: o.Endpoint,
		Summary:  fmt.Sprintf("%s sent %s to external host %s (%s)", actorName(o), strings.Join(classes, ", "), o.Host, c.Server.Addr()),
		Evidence: map[string]any{"classes": classes, "server": c.Server.Addr().String(), "status": c.Status}}
}

// external reports whether a server is outside: a public address and a
// host that matches none of the internal suffixes.
func external(addr netip.Addr, host string, internal []string) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	if addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() {
		return false
	}
	h, _, _ := strings.Cut(host, ":")
	for _, s := range internal {
		if h == s || strings.HasSuffix(h, "."+strings.TrimPrefix(s, ".")) {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
