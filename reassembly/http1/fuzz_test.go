package http1

import (
	"reflect"
	"testing"
)

var fuzzSeeds = []string{
	pipelinedRequests,
	pipelinedResponses,
	benchRequest,
	benchResponse,
	"GET /path\r\n",
	"GET /\nFakeHeader\nHost: localhost\n\n",
	"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n",
	"HTTP/1.1 101 Switching Protocols\r\n\r\nxx",
	"CONNECT a:443 HTTP/1.1\r\n\r\n",
	"\x00\x01junk\r\nGET /ok HTTP/1.1\r\n\r\n",
	"HTTP/1.0 200 OK\r\n\r\nclose body",
}

// fuzzConfig is small so that the bounds are reached.
var fuzzConfig = Config{MaxBodyBytes: 32, MaxHeaderBytes: 128, MaxHeaders: 6}

type fuzzResult struct {
	msgs  []*Message
	errs  []string
	has09 bool
}

// runFuzz feeds data split where cuts says (each byte: the next piece's
// length, 0 meaning one byte), checks the bounds after every Feed, and
// closes the stream.
func runFuzz(t *testing.T, kind Kind, info byte, data, cuts []byte) fuzzResult {
	var res fuzzResult
	p := NewParser(kind, fuzzConfig, func(m *Message) {
		if len(m.Body) > fuzzConfig.MaxBodyBytes || len(m.Headers) > fuzzConfig.MaxHeaders ||
			int64(len(m.Body)) > m.BodyLen || m.BodyLen < 0 {
			t.Fatalf("message out of bounds: body %d/%d headers %d", len(m.Body), m.BodyLen, len(m.Headers))
		}
		if m.Proto == "HTTP/0.9" {
			res.has09 = true
		}
		res.msgs = append(res.msgs, m)
	}, func(r string) { res.errs = append(res.errs, r) })
	if info&16 != 0 {
		// As the engine runs it: messages and body buffers from a pool,
		// coded bodies made by a body function.
		var pool MessagePool
		p.SetMessagePool(&pool)
		p.SetBodyFunc(func(m *Message, body []byte) {
			m.Body = append([]byte(nil), body...)
			for i := range m.Body {
				m.Body[i] ^= 0x20 // "decoded": same length, other bytes
			}
			m.Decoded = true
		})
		defer func() {
			if len(pool.bodies) > maxPooledBodies {
				t.Fatalf("%d pooled body buffers", len(pool.bodies))
			}
		}()
	}
	methods := []string{"GET", "HEAD", "CONNECT", "POST"}
	protos := []string{"HTTP/1.1", "HTTP/1.0", "HTTP/0.9", ""}
	p.SetRequestInfo(func() (string, string) { return methods[info&3], protos[info>>2&3] })
	check := func() {
		if len(p.buf) > fuzzConfig.MaxHeaderBytes+1 || len(p.body) > fuzzConfig.MaxBodyBytes || len(p.owned) > fuzzConfig.MaxBodyBytes ||
			len(p.ends) > fuzzConfig.MaxHeaders+2 {
			t.Fatalf("buffers out of bounds: buf %d body %d ends %d", len(p.buf), len(p.body), len(p.ends))
		}
	}
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if i < len(cuts) {
			n = min(int(cuts[i])+1, len(data))
		}
		piece := append([]byte(nil), data[:n]...)
		p.Feed(piece, 0)
		for k := range piece {
			piece[k] = 0xAA // the caller reuses its buffer
		}
		check()
		data = data[n:]
	}
	p.Close(0)
	return res
}

func fuzzParser(f *testing.F, kind Kind) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), []byte{3, 1, 7, 0, 20}, byte(i))
		f.Add([]byte(s), []byte{3, 1, 7, 0, 20}, byte(i)|16)
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte, info byte) {
		one := runFuzz(t, kind, info, data, nil)
		split := runFuzz(t, kind, info, data, cuts)
		// A versionless request line is HTTP/0.9 only when nothing follows
		// it in the same segment, so splits may legitimately differ there.
		if one.has09 || split.has09 {
			return
		}
		if !reflect.DeepEqual(one.msgs, split.msgs) || !reflect.DeepEqual(one.errs, split.errs) {
			t.Fatalf("split feeding differs:\n one %q %q\nsplit %q %q", briefs(one.msgs), one.errs, briefs(split.msgs), split.errs)
		}
	})
}

func FuzzRequestParser(f *testing.F)  { fuzzParser(f, Request) }
func FuzzResponseParser(f *testing.F) { fuzzParser(f, Response) }
