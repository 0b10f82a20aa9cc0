package simulate

import (
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"strconv"
	"time"
)

var statusText = map[int]string{
	200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
	400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
	409: "Conflict", 422: "Unprocessable Entity", 429: "Too Many Requests",
	500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
}

// httpBuilder renders requests and responses. It owns the gzip writer and
// its scratch buffer, reused across calls because gzip.NewWriter is costly.
type httpBuilder struct {
	start   time.Time
	gz      *gzip.Writer
	gzBuf   bytes.Buffer
	dateSec int64
	date    []byte
}

func newHTTPBuilder(start time.Time) *httpBuilder {
	h := &httpBuilder{start: start, dateSec: -1}
	// BestSpeed: realistic enough and the writer's cost dominates otherwise.
	h.gz, _ = gzip.NewWriterLevel(&h.gzBuf, gzip.BestSpeed)
	return h
}

// appendRequest renders spec's request into b.
func (h *httpBuilder) appendRequest(b []byte, sp *callSpec, r *rand.Rand) []byte {
	ep := &catalog[sp.ep]
	b = append(b, ep.method...)
	b = append(b, ' ')
	b = append(b, sp.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, hostNames[ep.host]...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, sp.a.ua...)
	if sp.ctype == "" || sp.ctype == ctJSON {
		b = append(b, "\r\nAccept: application/json"...)
	} else {
		b = append(b, "\r\nAccept: */*"...)
	}
	if sp.a.gzip {
		b = append(b, "\r\nAccept-Encoding: gzip, deflate, br"...)
	}
	b = append(b, "\r\n"...)
	if !sp.noAuth {
		b = append(b, sp.a.authHdr...)
	}
	b = append(b, sp.qhdr...)
	if sp.ctype != "" {
		b = append(b, "Content-Type: "...)
		b = append(b, sp.ctype...)
		b = append(b, "\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(sp.body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "X-Request-Id: "...)
	b = appendUUID(b, r)
	b = append(b, "\r\n\r\n"...)
	return append(b, sp.body...)
}

const (
	ctJSON = "application/json"
	ctForm = "application/x-www-form-urlencoded"
)

// appendResponse renders spec's response into b at capture time t (µs),
// gzip-compressing and chunking some bodies as real servers do.
func (h *httpBuilder) appendResponse(b []byte, sp *callSpec, t int64, r *rand.Rand) []byte {
	ep := &catalog[sp.ep]
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(sp.status), 10)
	b = append(b, ' ')
	b = append(b, statusText[sp.status]...)
	b = append(b, "\r\nServer: "...)
	b = append(b, serverNames[ep.host]...)
	b = append(b, "\r\nDate: "...)
	b = append(b, h.dateAt(t)...)
	body := sp.rbody
	if sp.status == 204 {
		b = append(b, "\r\n"...)
		b = append(b, sp.rhdr...)
		return append(b, "\r\n"...)
	}
	ct := sp.rctype
	if ct == "" {
		ct = "application/json; charset=utf-8"
	}
	b = append(b, "\r\nContent-Type: "...)
	b = append(b, ct...)
	b = append(b, "\r\n"...)
	b = append(b, sp.rhdr...)
	if sp.a.gzip && len(body) > 700 && r.IntN(3) == 0 {
		h.gzBuf.Reset()
		h.gz.Reset(&h.gzBuf)
		h.gz.Write(body) //nolint:errcheck // bytes.Buffer cannot fail
		h.gz.Close()     //nolint:errcheck // bytes.Buffer cannot fail
		body = h.gzBuf.Bytes()
		b = append(b, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"...)
	}
	if len(body) > 400 && r.IntN(6) == 0 {
		b = append(b, "Transfer-Encoding: chunked\r\n\r\n"...)
		for len(body) > 0 {
			n := min(len(body), 256+r.IntN(4096))
			b = strconv.AppendInt(b, int64(n), 16)
			b = append(b, "\r\n"...)
			b = append(b, body[:n]...)
			b = append(b, "\r\n"...)
			body = body[n:]
		}
		return append(b, "0\r\n\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// dateAt formats the Date header, cached per second since most calls share it.
func (h *httpBuilder) dateAt(t int64) []byte {
	sec := t / 1e6
	if sec != h.dateSec {
		h.dateSec = sec
		h.date = h.start.Add(time.Duration(sec)*time.Second).UTC().AppendFormat(h.date[:0], "Mon, 02 Jan 2006 15:04:05 GMT")
	}
	return h.date
}
