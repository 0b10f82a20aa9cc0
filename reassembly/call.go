package reassembly

import (
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/reassembly/contentcoding"
	"github.com/apitap/apitap/reassembly/http1"
)

// buildCall fills dst from a request and its response (nil when none came).
func buildCall(dst *apicall.Call, cfg *Config, c *conn, req, resp *http1.Message, index uint64) {
	dst.Client, dst.Server = c.client, c.server
	dst.Method = req.Method
	dst.Proto = req.Proto
	dst.ReqStart, dst.ReqEnd = req.Start, req.End
	dst.ReqHeaders = req.Headers
	host, path, query := splitTarget(req.Method, req.Target)
	if req.Host != "" {
		host = req.Host
	}
	dst.Host = strings.ToLower(host)
	dst.Path, dst.RawQuery = path, query
	fillBody(&dst.ReqBody, req)
	if req.Gap {
		dst.Flags |= apicall.FlagGap
	}
	if resp != nil {
		dst.Status, dst.Reason = resp.Status, resp.Reason
		dst.RespStart, dst.RespEnd = resp.Start, resp.End
		dst.RespHeaders = resp.Headers
		fillBody(&dst.RespBody, resp)
		if resp.Gap {
			dst.Flags |= apicall.FlagGap
		}
		if resp.Status == 101 || (req.Method == "CONNECT" && resp.Status/100 == 2) {
			dst.Flags |= apicall.FlagUpgrade
		}
	} else {
		dst.Flags |= apicall.FlagNoResponse
	}
	dst.Source = cfg.Source
	if c.src != nil {
		dst.Source = *c.src
	}
	dst.Source.VNI = c.vni
	dst.Actor = apicall.Actor{Kind: apicall.ActorAnonymous, ClientIP: c.client.Addr()}
	dst.ID = callID(c, req.Start, index)
}

// wireSize is the size of a message as sent: start line, header block and body bytes
// transferred (chunk framing aside). 0 for nil.
func wireSize(m *http1.Message) int64 {
	if m == nil {
		return 0
	}
	n := int64(len(m.Proto)) + 2 + 2 // start line CRLF, blank line
	if m.Method != "" {
		n += int64(len(m.Method)+len(m.Target)) + 2
	} else {
		n += 4 + int64(len(m.Reason)) + 1 // " 200 " + reason
	}
	for _, h := range m.Headers {
		n += int64(len(h.Name)+len(h.Value)) + 4
	}
	for _, h := range m.Trailers {
		n += int64(len(h.Name)+len(h.Value)) + 4
	}
	return n + m.BodyLen
}

// splitTarget splits a request target into host (absolute and authority
// forms only), path and query.
func splitTarget(method, target string) (host, path, query string) {
	if method == "CONNECT" {
		return target, "", ""
	}
	// Absolute form; origin-form (the common case) starts with '/'.
	if !strings.HasPrefix(target, "/") {
		if i := strings.Index(target, "://"); i > 0 {
			rest := target[i+3:]
			j := strings.IndexAny(rest, "/?")
			if j < 0 {
				return rest, "/", ""
			}
			host, target = rest[:j], rest[j:]
			if target[0] == '?' {
				target = "/" + target
			}
		}
	}
	path, query, _ = strings.Cut(target, "?")
	return host, path, query
}

// fillBody fills b from a message whose body decodeBody made.
func fillBody(b *apicall.Body, m *http1.Message) {
	b.Length = m.BodyLen
	b.Truncated = m.BodyTruncated
	b.ContentType = m.ContentType
	b.Encoding = m.ContentEncoding
	b.Data = m.Body
	b.DecodeError = m.DecodeError
}

// decodeBody is the parsers' body function: it content-decodes a complete
// message body (body is only valid during the call) straight into the
// bytes the call will own, at most limit of them.
func decodeBody(m *http1.Message, body []byte, limit int) {
	if len(body) == 0 {
		return
	}
	enc := strings.TrimSpace(m.ContentEncoding)
	if enc == "" || strings.EqualFold(enc, "identity") {
		m.Body = append([]byte(nil), body...)
		return
	}
	out, truncated, err := contentcoding.Decode(nil, enc, body, limit)
	m.Body = out
	m.Decoded = true
	m.BodyTruncated = m.BodyTruncated || truncated
	if err != nil {
		m.DecodeError = err.Error()
	}
}

// callID is a stable id: the same capture yields the same ids whatever the
// number of workers. FNV-1a over the connection's addresses, the request's
// first-byte time and its index on the connection; the hash of the
// addresses is computed once per connection.
func callID(c *conn, start int64, index uint64) string {
	if !c.idSeeded {
		var buf [16 + 2 + 16 + 2]byte
		ca, sa := c.client.Addr().As16(), c.server.Addr().As16()
		b := append(buf[:0], ca[:]...)
		b = binary.BigEndian.AppendUint16(b, c.client.Port())
		b = append(b, sa[:]...)
		b = binary.BigEndian.AppendUint16(b, c.server.Port())
		c.idSeed, c.idSeeded = fnv1a(14695981039346656037, b), true
	}
	var buf [8 + 8]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(start))
	binary.BigEndian.PutUint64(buf[8:], index)
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], fnv1a(c.idSeed, buf[:]))
	return hex.EncodeToString(sum[:])
}

// fnv1a continues an FNV-1a 64 hash h over b.
func fnv1a(h uint64, b []byte) uint64 {
	for _, x := range b {
		h ^= uint64(x)
		h *= 1099511628211
	}
	return h
}
