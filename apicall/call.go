package apicall

import (
	"net/netip"
	"strings"
)

// Call is one HTTP request paired with its response (or with none, Status 0).
// It is a value type: every string and byte slice it holds is owned by the
// Call and is never reused by the producer, so a Call may be kept, copied
// and sent to other goroutines freely.
type Call struct {
	// ID is a stable identifier: the same capture always yields the same IDs.
	ID string

	// Capture timestamps, Unix nanoseconds. Zero when not observed.
	ReqStart  int64 // first byte of the request
	ReqEnd    int64 // last byte of the request
	RespStart int64 // first byte of the response
	RespEnd   int64 // last byte of the response

	Client netip.AddrPort // side that sent the request
	Server netip.AddrPort // side that answered

	Host     string // Host header (or absolute-form authority), lower-cased, port kept
	Method   string // request method, verbatim
	Path     string // request target path, without query
	RawQuery string // query string without '?'
	Proto    string // "HTTP/1.1", "HTTP/1.0", "HTTP/0.9"

	ReqHeaders  Headers
	RespHeaders Headers

	Status int    // response status code; 0 when no response was seen
	Reason string // response reason phrase

	ReqBody  Body
	RespBody Body

	Source Source
	Actor  Actor

	// Flags describes notable conditions of this call (see the Flag constants).
	Flags Flags

	// Unknown holds protobuf fields of a newer schema minor version that
	// this build does not know, verbatim (see DecodeWire); AppendWire
	// writes them back so a relay does not lose them. Nil for calls
	// captured by this build.
	Unknown []byte
}

// Flags is a bit set of conditions seen while building a call.
type Flags uint32

const (
	// FlagNoResponse: the request was never answered (timeout, end of input).
	FlagNoResponse Flags = 1 << iota
	// FlagUpgrade: the exchange switched protocols (101, CONNECT 2xx); later
	// bytes on the connection were not parsed as HTTP/1.x.
	FlagUpgrade
	// FlagGap: bytes of this exchange were missing from the capture.
	FlagGap
	// FlagRedacted: at least one value was redacted from this call.
	FlagRedacted
	// FlagPIIMasked: card numbers or similar were masked in a body.
	FlagPIIMasked
)

// Has reports whether all bits of f2 are set.
func (f Flags) Has(f2 Flags) bool { return f&f2 == f2 }

// Header is one header field as it appeared on the wire.
type Header struct {
	Name  string
	Value string
}

// Headers keeps header fields in wire order; a name that appears several
// times has several entries.
type Headers []Header

// Get returns the first value of the named header (case-insensitive), or "".
func (h Headers) Get(name string) string {
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			return h[i].Value
		}
	}
	return ""
}

// Values returns every value of the named header (case-insensitive) in order.
func (h Headers) Values(name string) []string {
	var out []string
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			out = append(out, h[i].Value)
		}
	}
	return out
}

// Body is a message body after transfer decoding (chunked) and content
// decoding (gzip, deflate, br), capped at a configured size.
type Body struct {
	// Data holds the decoded body, at most the configured cap.
	Data []byte
	// Length is the body's length on the wire after transfer decoding
	// (Content-Length or the sum of chunk sizes), before content decoding.
	Length int64
	// Truncated is true when Data is shorter than the whole decoded body,
	// because of the cap, a capture gap or a body cut short.
	Truncated bool
	// ContentType is the Content-Type header value.
	ContentType string
	// Encoding is the Content-Encoding that was seen ("gzip", "br", ...).
	Encoding string
	// DecodeError is set when the content encoding could not be decoded;
	// Data then holds the bytes as transferred.
	DecodeError string
}

// Source says where a call was captured.
type Source struct {
	Kind string // "file", "interface", "ebpf"
	Name string // file path, interface name or probe name
	Node string // node (host) name of the capturing agent
	VNI  uint32 // VXLAN network identifier when decapsulated, else 0
	TLS  bool   // plaintext captured from a TLS library
	// PID is the process (thread group) whose socket carried the call,
	// for socket-level (eBPF) capture; 0 otherwise.
	PID uint32
	// CgroupID is that process's cgroup v2 id (a pod or container); 0 when unknown.
	CgroupID uint64
}

// Actor kinds.
const (
	ActorAnonymous = "anonymous"
	ActorJWT       = "jwt"
	ActorAPIKey    = "apikey"
	ActorBasic     = "basic"
	ActorSession   = "session"
	ActorBearer    = "bearer" // opaque (non-JWT) bearer token
)

// Actor is who made a call, as far as the traffic tells.
type Actor struct {
	// Kind is one of the Actor* constants.
	Kind string
	// User is the JWT "sub" verbatim, or a keyed pseudonym such as
	// "apikey:3f9a0c12d4e5"; empty for anonymous calls.
	User string
	// ClientIP is the effective client address: the peer address, or the
	// one a trusted proxy put in X-Forwarded-For / Forwarded.
	ClientIP netip.Addr
	// JWT details (empty for other kinds).
	Issuer    string
	Roles     []string
	Scopes    []string
	Alg       string
	ExpiresAt int64 // "exp", Unix seconds; 0 when absent
}

// Key is the partitioning key of the actor: User, else the client IP.
func (a *Actor) Key() string {
	if a.User != "" {
		return a.User
	}
	if a.ClientIP.IsValid() {
		return "ip:" + a.ClientIP.String()
	}
	return ""
}
