package apicall

import (
	"encoding/base64"
	"math/bits"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends c as one JSON object (no trailing newline) to dst.
//
// The encoding is hand-written because it runs once per call on the hot
// path; the field names are part of the JSON lines output contract.
// Bodies that are valid UTF-8 are written as "data", others as
// "data_base64".
func AppendJSON(dst []byte, c *Call) []byte {
	dst = append(dst, `{"kind":"call","id":`...)
	dst = appendString(dst, c.ID)
	dst = appendTime(dst, `,"req_start":`, c.ReqStart)
	dst = appendTime(dst, `,"req_end":`, c.ReqEnd)
	dst = appendTime(dst, `,"resp_start":`, c.RespStart)
	dst = appendTime(dst, `,"resp_end":`, c.RespEnd)
	dst = append(dst, `,"client":"`...)
	dst = appendAddrPort(dst, c.Client)
	dst = append(dst, `","server":"`...)
	dst = appendAddrPort(dst, c.Server)
	dst = append(dst, '"')
	dst = append(dst, `,"host":`...)
	dst = appendString(dst, c.Host)
	dst = append(dst, `,"method":`...)
	dst = appendString(dst, c.Method)
	dst = append(dst, `,"path":`...)
	dst = appendString(dst, c.Path)
	if c.RawQuery != "" {
		dst = append(dst, `,"query":`...)
		dst = appendString(dst, c.RawQuery)
	}
	dst = append(dst, `,"proto":`...)
	dst = appendString(dst, c.Proto)
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(c.Status), 10)
	if c.Reason != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, c.Reason)
	}
	dst = append(dst, `,"request":{"headers":`...)
	dst = appendHeaders(dst, c.ReqHeaders)
	dst = appendBody(dst, &c.ReqBody)
	dst = append(dst, `},"response":{"headers":`...)
	dst = appendHeaders(dst, c.RespHeaders)
	dst = appendBody(dst, &c.RespBody)
	dst = append(dst, `},"source":{"kind":`...)
	dst = appendString(dst, c.Source.Kind)
	if c.Source.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, c.Source.Name)
	}
	if c.Source.Node != "" {
		dst = append(dst, `,"node":`...)
		dst = appendString(dst, c.Source.Node)
	}
	if c.Source.VNI != 0 {
		dst = append(dst, `,"vni":`...)
		dst = strconv.AppendUint(dst, uint64(c.Source.VNI), 10)
	}
	if c.Source.TLS {
		dst = append(dst, `,"tls":true`...)
	}
	if c.Source.PID != 0 {
		dst = append(dst, `,"pid":`...)
		dst = strconv.AppendUint(dst, uint64(c.Source.PID), 10)
	}
	if c.Source.CgroupID != 0 {
		dst = append(dst, `,"cgroup_id":`...)
		dst = strconv.AppendUint(dst, c.Source.CgroupID, 10)
	}
	dst = append(dst, `},"actor":{"kind":`...)
	dst = appendString(dst, c.Actor.Kind)
	dst = append(dst, `,"user":`...)
	dst = appendString(dst, c.Actor.User)
	dst = append(dst, `,"client_ip":"`...)
	if c.Actor.ClientIP.IsValid() {
		dst = c.Actor.ClientIP.AppendTo(dst)
	}
	dst = append(dst, '"')
	if c.Actor.Issuer != "" {
		dst = append(dst, `,"iss":`...)
		dst = appendString(dst, c.Actor.Issuer)
	}
	if len(c.Actor.Roles) > 0 {
		dst = append(dst, `,"roles":`...)
		dst = appendStrings(dst, c.Actor.Roles)
	}
	if len(c.Actor.Scopes) > 0 {
		dst = append(dst, `,"scopes":`...)
		dst = appendStrings(dst, c.Actor.Scopes)
	}
	if c.Actor.Alg != "" {
		dst = append(dst, `,"alg":`...)
		dst = appendString(dst, c.Actor.Alg)
	}
	if c.Actor.ExpiresAt != 0 {
		dst = append(dst, `,"exp":`...)
		dst = strconv.AppendInt(dst, c.Actor.ExpiresAt, 10)
	}
	dst = append(dst, '}')
	if c.Flags != 0 {
		dst = append(dst, `,"flags":`...)
		dst = appendStrings(dst, c.Flags.Names())
	}
	return append(dst, '}')
}

var flagNames = [...]string{"no_response", "upgrade", "gap", "redacted", "pii_masked"}

// Names lists the names of the set flags in bit order.
func (f Flags) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// appendAddrPort writes ip:port (IPv6 in brackets) or nothing when invalid.
func appendAddrPort(dst []byte, ap netip.AddrPort) []byte {
	if !ap.IsValid() {
		return dst
	}
	return ap.AppendTo(dst)
}

// appendTime writes an RFC 3339 timestamp with nanoseconds in UTC, or null.
func appendTime(dst []byte, key string, ns int64) []byte {
	dst = append(dst, key...)
	if ns == 0 {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = time.Unix(0, ns).UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

func appendHeaders(dst []byte, h Headers) []byte {
	dst = append(dst, '[')
	for i := range h {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		dst = appendString(dst, h[i].Name)
		dst = append(dst, ',')
		dst = appendString(dst, h[i].Value)
		dst = append(dst, ']')
	}
	return append(dst, ']')
}

func appendBody(dst []byte, b *Body) []byte {
	dst = append(dst, `,"body_length":`...)
	dst = strconv.AppendInt(dst, b.Length, 10)
	if b.ContentType != "" {
		dst = append(dst, `,"content_type":`...)
		dst = appendString(dst, b.ContentType)
	}
	if b.Encoding != "" {
		dst = append(dst, `,"content_encoding":`...)
		dst = appendString(dst, b.Encoding)
	}
	if b.Truncated {
		dst = append(dst, `,"truncated":true`...)
	}
	if b.DecodeError != "" {
		dst = append(dst, `,"decode_error":`...)
		dst = appendString(dst, b.DecodeError)
	}
	if len(b.Data) == 0 {
		return dst
	}
	if utf8.Valid(b.Data) {
		dst = append(dst, `,"body":`...)
		return appendString(dst, b.Data)
	}
	dst = append(dst, `,"body_base64":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, b.Data)
	return append(dst, '"')
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time: skip plain ASCII, else go straight to
		// the first byte that is not (JSON bodies quote every few bytes).
		if i+8 <= len(s) {
			if m := notPlain8(s, i); m == 0 {
				i += 8
				continue
			} else if k := bits.TrailingZeros64(m) / 8; k > 0 {
				i += k
				continue
			}
		}
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscape(dst, b)
			i++
			start = i
			continue
		}
		// At most 4 bytes are converted: the compiler keeps them on the stack.
		r, size := utf8.DecodeRune([]byte(s[i:min(i+utf8.UTFMax, len(s))]))
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			if r == utf8.RuneError {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, `\u202`...)
				dst = append(dst, hexDigits[r&0xF])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether s[i:i+8] is printable ASCII with no '"' or '\\'.
func plain8[T string | []byte](s T, i int) bool { return notPlain8(s, i) == 0 }

// notPlain8 has a high bit set in the bytes of s[i:i+8] that are not
// printable ASCII or are '"' or '\\' (SWAR: a byte below 0x20 or equal to
// a quote leaves a high bit set). Only the lowest set bit is exact: a
// borrow may mark a byte after a marked one.
func notPlain8[T string | []byte](s T, i int) uint64 {
	_ = s[i+7]
	v := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
	q := v ^ ('"' * ones)
	bs := v ^ ('\\' * ones)
	return ((v-0x20*ones)&^v | (q-ones)&^q | (bs-ones)&^bs | v) & highs
}

func appendEscape(dst []byte, b byte) []byte {
	switch b {
	case '"', '\\':
		return append(dst, '\\', b)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
}
