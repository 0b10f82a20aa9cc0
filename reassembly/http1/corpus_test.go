package http1

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apitap/apitap/reassembly/contentcoding"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

const corpusDir = "../../../shared/corpus/suricata-verify"

// pcapConn is one TCP connection of a capture, parsed both ways.
type pcapConn struct {
	client, server netip.AddrPort
	reqs, resps    []*Message
	errs           []string // "request:reason" or "response:reason"
	reqP, respP    *Parser
	next           [2]uint32 // next expected seq per direction (0: client->server)
	known          [2]bool
	closed         [2]bool
	open           []*Message // requests without a final response yet
}

func (c *pcapConn) parser(dir int) *Parser {
	if dir == 0 {
		return c.reqP
	}
	return c.respP
}

func newPcapConn(client, server netip.AddrPort) *pcapConn {
	c := &pcapConn{client: client, server: server}
	c.reqP = NewParser(Request, DefaultConfig(), func(m *Message) {
		c.reqs = append(c.reqs, m)
		c.open = append(c.open, m)
	}, func(r string) { c.errs = append(c.errs, "request:"+r) })
	c.respP = NewParser(Response, DefaultConfig(), func(m *Message) {
		c.resps = append(c.resps, m)
		if (m.Status >= 200 || m.Status == 101 || m.Status == 0) && len(c.open) > 0 {
			c.open = c.open[1:]
		}
	}, func(r string) { c.errs = append(c.errs, "response:"+r) })
	c.respP.SetRequestInfo(func() (string, string) {
		if len(c.open) == 0 {
			return "", ""
		}
		return c.open[0].Method, c.open[0].Proto
	})
	return c
}

// packetSource reads pcap or pcapng.
type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// parsePcap feeds the TCP payloads of a capture, per connection and
// direction in capture order, to HTTP parsers. Retransmitted bytes are
// skipped by sequence number and holes become Gap calls; reordering is not
// handled (these captures are in order).
func parsePcap(t *testing.T, path string) []*pcapConn {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open capture: %v", err)
	}
	defer f.Close()
	var src packetSource
	var link gopacket.Decoder
	if r, err := pcapgo.NewReader(f); err == nil {
		src, link = r, r.LinkType()
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatalf("read capture %s: %v", path, err)
		}
		src, link = r, r.LinkType()
	}
	type key struct{ a, b netip.AddrPort }
	conns := map[key]*pcapConn{}
	var order []*pcapConn
	for {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break // some captures end with a cut packet
		}
		if err != nil {
			t.Fatalf("read packet: %v", err)
		}
		pkt := gopacket.NewPacket(data, link, gopacket.NoCopy)
		tcpL, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcpL == nil || pkt.NetworkLayer() == nil {
			continue
		}
		var sa, da netip.Addr
		switch ip := pkt.NetworkLayer().(type) {
		case *layers.IPv4:
			sa, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			da, _ = netip.AddrFromSlice(ip.DstIP.To4())
		case *layers.IPv6:
			sa, _ = netip.AddrFromSlice(ip.SrcIP)
			da, _ = netip.AddrFromSlice(ip.DstIP)
		default:
			continue
		}
		s := netip.AddrPortFrom(sa, uint16(tcpL.SrcPort))
		d := netip.AddrPortFrom(da, uint16(tcpL.DstPort))
		c := conns[key{s, d}]
		if c == nil {
			c = conns[key{d, s}]
		}
		if c == nil {
			client, server := s, d
			switch {
			case tcpL.SYN && tcpL.ACK:
				client, server = d, s
			case !tcpL.SYN && s.Port() < d.Port():
				client, server = d, s
			}
			c = newPcapConn(client, server)
			conns[key{client, server}] = c
			order = append(order, c)
		}
		dir := 0
		if s != c.client {
			dir = 1
		}
		ts := ci.Timestamp.UnixNano()
		seq := tcpL.Seq
		if tcpL.SYN {
			c.next[dir], c.known[dir] = seq+1, true
			continue
		}
		payload := tcpL.Payload
		if len(payload) > 0 && !c.closed[dir] {
			if !c.known[dir] {
				c.next[dir], c.known[dir] = seq, true
			}
			switch delta := int32(seq - c.next[dir]); {
			case delta > 0:
				c.parser(dir).Gap(int(delta), ts)
			case delta < 0:
				if int(-delta) >= len(payload) {
					payload = nil
				} else {
					payload = payload[-delta:]
				}
			}
			if len(payload) > 0 {
				c.parser(dir).Feed(payload, ts)
				c.next[dir] = seq + uint32(len(tcpL.Payload))
			}
		}
		if (tcpL.FIN || tcpL.RST) && !c.closed[dir] {
			c.closed[dir] = true
			c.parser(dir).Close(ts)
		}
	}
	for _, c := range order {
		for dir := range 2 {
			if !c.closed[dir] {
				c.parser(dir).Close(0)
			}
		}
	}
	return order
}

func corpusPath(t *testing.T, name string) string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("suricata-verify corpus not found at %s (it lives beside the repository in /work/shared/corpus)", corpusDir)
	}
	return filepath.Join(corpusDir, name, "input.pcap")
}

// describe renders a request or response for comparisons.
func describe(m *Message) string {
	if m.Status != 0 || m.Method == "" {
		return fmt.Sprintf("%d %s", m.Status, m.Proto)
	}
	return fmt.Sprintf("%s %s %s", m.Method, m.Target, m.Proto)
}

// TestCorpusDump logs what the parser makes of every capture, for
// inspection with -v; it asserts only that nothing panics.
func TestCorpusDump(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("suricata-verify corpus not found at %s", corpusDir)
	}
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "*", "input.pcap"))
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*", "input.pcap"))
	for _, p := range append(paths, more...) {
		rel, _ := filepath.Rel(corpusDir, filepath.Dir(p))
		t.Run(rel, func(t *testing.T) {
			for i, c := range parsePcap(t, p) {
				if len(c.reqs)+len(c.resps)+len(c.errs) == 0 {
					continue
				}
				var b strings.Builder
				for _, m := range c.reqs {
					fmt.Fprintf(&b, "\n  > %s body=%d/%d", describe(m), len(m.Body), m.BodyLen)
				}
				for _, m := range c.resps {
					fmt.Fprintf(&b, "\n  < %s body=%d/%d trunc=%v gap=%v", describe(m), len(m.Body), m.BodyLen, m.BodyTruncated, m.Gap)
				}
				t.Logf("conn %d %s->%s errs=%v%s", i, c.client, c.server, c.errs, b.String())
			}
		})
	}
}

// wantMsg is what a capture must yield for one message.
type wantMsg struct {
	desc     string // describe(m)
	bodyLen  int64
	prefix   string // decoded body prefix (Content-Encoding undone)
	trunc    bool
	gap      bool
	headers  map[string]string
	chunked  bool
	encoding string // expected Content-Encoding
}

func checkMsgs(t *testing.T, side string, got []*Message, want []wantMsg) {
	t.Helper()
	if len(got) != len(want) {
		var g []string
		for _, m := range got {
			g = append(g, describe(m))
		}
		t.Fatalf("%s: got %d messages %q, want %d", side, len(got), g, len(want))
	}
	for i, w := range want {
		m := got[i]
		if d := describe(m); d != w.desc {
			t.Errorf("%s %d: got %q, want %q", side, i, d, w.desc)
		}
		if m.BodyLen != w.bodyLen || m.BodyTruncated != w.trunc || m.Gap != w.gap || m.Chunked != w.chunked {
			t.Errorf("%s %d: body len %d trunc %v gap %v chunked %v, want %d %v %v %v", side, i,
				m.BodyLen, m.BodyTruncated, m.Gap, m.Chunked, w.bodyLen, w.trunc, w.gap, w.chunked)
		}
		enc := m.Headers.Get("Content-Encoding")
		if enc != w.encoding {
			t.Errorf("%s %d: Content-Encoding %q, want %q", side, i, enc, w.encoding)
		}
		body, _, err := contentcoding.Decode(nil, enc, m.Body, 1<<20)
		if err != nil {
			t.Logf("%s %d: decode %q: %v (body kept as transferred)", side, i, enc, err)
		}
		if !bytes.HasPrefix(body, []byte(w.prefix)) {
			t.Errorf("%s %d: body %.60q, want prefix %q", side, i, body, w.prefix)
		}
		for k, v := range w.headers {
			if got := m.Headers.Get(k); got != v {
				t.Errorf("%s %d: header %s = %q, want %q", side, i, k, got, v)
			}
		}
	}
}

// TestCorpus checks captures of the suricata-verify corpus against values
// read with tshark and tcpdump (not from this parser): request lines,
// statuses, Content-Length values and body starts.
func TestCorpus(t *testing.T) {
	const html401 = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"`
	tests := []struct {
		name   string
		conn   int // index of the connection, in order of first packet
		reqs   []wantMsg
		resps  []wantMsg
		errs   []string
		stopRq bool
		stopRs bool
	}{
		{name: "http-chunked", // HEAD with "Transfer-Encoding: ,<TAB>chunked,": a chunked body that never comes
			reqs: []wantMsg{{desc: "HEAD /resources/fonts/SourceSansPro-Regular.ttf HTTP/1.1", chunked: true, trunc: true,
				headers: map[string]string{"Transfer-Encoding": ",\tchunked,", "Content-Length": "0"}}}},
		{name: "http-multiple-cl", // "Content-Length:11" and "Content-Length:93": the request is dropped
			resps: []wantMsg{{desc: "501 HTTP/1.0", bodyLen: 497, prefix: html401}},
			errs:  []string{"request:multiple_content_length"}},
		{name: "http-multiple100",
			reqs: []wantMsg{{desc: "POST /upload HTTP/1.1", bodyLen: 34498,
				prefix: "--------------------------22a5480273a448e1\r\nContent-Disposition: form-data; name=\"file\""}},
			resps: []wantMsg{{desc: "100 HTTP/1.1"}, {desc: "100 HTTP/1.1"},
				{desc: "200 HTTP/1.1", bodyLen: 27, prefix: "file uploaded successfully\n"}}},
		{name: "http-pipeline-files-with-gap", // three pipelined GETs; the 2nd and 3rd responses have gaps
			reqs: []wantMsg{{desc: "GET / HTTP/1.1"},
				{desc: "GET /wp-content/themes/wall-street/js/skip-link-focus-fix.js?ver=1.1.4 HTTP/1.1"},
				{desc: "GET /wp-content/uploads/2015/04/NSL-InvestorPitch-9.007-420x420.jpg HTTP/1.1"}},
			resps: []wantMsg{{desc: "200 HTTP/1.1", bodyLen: 24555, chunked: true, prefix: ""},
				{desc: "200 HTTP/1.1", bodyLen: 733, trunc: true, gap: true},
				{desc: "200 HTTP/1.1", bodyLen: 34152, trunc: true, gap: true, prefix: ""}}},
		{name: "http-uri-spaces",
			reqs:  []wantMsg{{desc: "GET /uri afterspace HTTP/1.1", headers: map[string]string{"User-Agent": "curl/7.54.0"}}},
			resps: []wantMsg{{desc: "400 HTTP/1.0", bodyLen: 519, prefix: html401}}},
		{name: "http-not09", // "GET /" then headers; python answers the HTTP/0.9 way
			reqs: []wantMsg{{desc: "GET / HTTP/0.9", headers: map[string]string{"Host": "localhost", "User-Agent": "myscript", "FakeHeader": ""}}},
			resps: []wantMsg{{desc: "0 HTTP/0.9", bodyLen: 12879,
				prefix: "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Directory listing for /</title>"}}},
		{name: "http-not09-spaces",
			reqs:  []wantMsg{{desc: "GET / HTTP/0.9"}},
			resps: []wantMsg{{desc: "0 HTTP/0.9", bodyLen: 12879, prefix: "<!DOCTYPE HTML>\n"}}},
		{name: "http-data-after-09", // "POST abcd12345\n", nginx 400, then "USER ..." garbage
			reqs:  []wantMsg{{desc: "POST abcd12345 HTTP/0.9"}},
			resps: []wantMsg{{desc: "400 HTTP/1.1", headers: map[string]string{"Server": "nginx/1.1.9"}}},
			errs:  []string{"request:bad_start_line"}},
		{name: "http-connect/http-connect-simple", // both sides stop after CONNECT / 200
			reqs:   []wantMsg{{desc: "CONNECT abc:443 HTTP/1.1", headers: map[string]string{"User-Agent": "Victor/1.0"}}},
			resps:  []wantMsg{{desc: "200 HTTP/1.1", headers: map[string]string{"Server": "VictorServer/1.0"}}},
			stopRq: true, stopRs: true},
		{name: "http-encoding-gzip-uncompressed", // "gzip" body that is clear text: decoding fails, raw kept
			reqs: []wantMsg{{desc: "POST /api/sdk/init2 HTTP/1.1", bodyLen: 106, encoding: "gzip",
				prefix: `{"sdk_version":11026,"app_package":"com.xcm.huasheng"`}},
			resps: []wantMsg{{desc: "200 HTTP/1.1", bodyLen: 224, prefix: "B18ED807CE0A54BC31ED7599576D47C0"}}},
		{name: "http-brotli-ce", // tshark: br 95 -> 121 bytes and 640 -> 1743 bytes
			reqs: []wantMsg{
				{desc: "GET /complete/search?client=chrome-omni&gs_ri=chrome-ext-ansg&xssi=t&q=&oit=0&oft=1&pgcl=20&gs_rn=42&sugkey=AIzaSyBOti4mM-6x9WDnZIjIeyEU21OpBXqWBgw HTTP/1.1"},
				{desc: "GET /async/newtab_promos HTTP/1.1"},
				{desc: "GET /gen_204?ei=1gh1Y_aSJJL5gQbM0pSgDg&cad=i&id=19031405&ogprm=up&ct=16&prid=243 HTTP/1.1"}},
			resps: []wantMsg{
				{desc: "200 HTTP/1.1", bodyLen: 95, chunked: true, encoding: "br", prefix: ")]}'\n[\"\",[],[],[],{\"google:clientdata\""},
				{desc: "200 HTTP/1.1", bodyLen: 640, encoding: "br", prefix: ")]}'\n{\"update\":{\"promos\":{\"id\":\"19031405\""},
				{desc: "204 HTTP/1.1"}}},
		{name: "http-post-file", conn: 2,
			reqs: []wantMsg{
				{desc: "POST /api/v4/users/login HTTP/1.1", bodyLen: 39, prefix: `{"login_id":"toto","password":"tototo"}`},
				{desc: "POST /api/v4/uploads HTTP/1.1", bodyLen: 170, prefix: `{"id":"","type":"","create_at":0,"user_id":""`},
				{desc: "POST /api/v4/uploads/is8j4b6s7i839eo38axwmx5pnr HTTP/1.1", bodyLen: 68, prefix: `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR`}},
			resps: []wantMsg{
				{desc: "200 HTTP/1.1", bodyLen: 715, prefix: `{"id":"8f5k19bd3i8pfkby85uxrq96gw","create_at":1661369889587`},
				{desc: "201 HTTP/1.1", bodyLen: 245, prefix: `{"id":"is8j4b6s7i839eo38axwmx5pnr","type":"attachment"`},
				{desc: "200 HTTP/1.1", bodyLen: 264, prefix: `{"id":"nou54fuu6jffjqaoosxwnwqa9y"`}}},
		{name: "http-request-line", // the header block never ends: dropped at end of stream
			errs: []string{"request:incomplete"}},
		{name: "http-response-line", // Content-Length: 7, but the capture holds no body bytes
			reqs:  []wantMsg{{desc: "GET /index.html HTTP/1.0", headers: map[string]string{"Host": "www.openinfosecfoundation.org"}}},
			resps: []wantMsg{{desc: "200 HTTP/1.0", trunc: true, headers: map[string]string{"Content-Type": "text/html"}}}},
		{name: "http-options-method",
			reqs:  []wantMsg{{desc: "OPTIONS * HTTP/1.1"}},
			resps: []wantMsg{{desc: "200 HTTP/1.1", headers: map[string]string{"Content-Length": "0"}}}},
		{name: "http-ipv6",
			reqs:  []wantMsg{{desc: "GET / HTTP/1.1"}},
			resps: []wantMsg{{desc: "200 HTTP/1.0", bodyLen: 563, prefix: html401 + ` "http://www.w3.org/TR/html4/strict.dtd">`}}},
		{name: "http-gap-simple", // 2nd response body (70 bytes) loses a packet
			reqs: []wantMsg{{desc: "GET /1 HTTP/1.0"}, {desc: "GET /2 HTTP/1.0"}, {desc: "GET /3 HTTP/1.0"}},
			resps: []wantMsg{{desc: "200 HTTP/1.0", bodyLen: 12, prefix: "Hello World!"},
				{desc: "200 HTTP/1.0", bodyLen: 70, trunc: true, gap: true, prefix: "AAAAAAAAAAAAAA"},
				{desc: "200 HTTP/1.0", bodyLen: 12, prefix: "Hello People"}}},
		{name: "http-gap-beyond-body", // the gap covers body 1 and the header of response 2
			reqs: []wantMsg{{desc: "GET /1 HTTP/1.0"}, {desc: "GET /2 HTTP/1.0"}, {desc: "GET /3 HTTP/1.0"}},
			resps: []wantMsg{{desc: "200 HTTP/1.0", bodyLen: 12, trunc: true, gap: true},
				{desc: "200 HTTP/1.0", bodyLen: 12, prefix: "Hello People"}}},
		{name: "http1-noint-status", // "HTTP/1.0 2XX OK"
			reqs: []wantMsg{{desc: "GET /test HTTP/1.1"}},
			errs: []string{"response:bad_start_line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns := parsePcap(t, corpusPath(t, tt.name))
			if tt.conn >= len(conns) {
				t.Fatalf("capture has %d connections", len(conns))
			}
			c := conns[tt.conn]
			checkMsgs(t, "request", c.reqs, tt.reqs)
			checkMsgs(t, "response", c.resps, tt.resps)
			if !reflect.DeepEqual(c.errs, tt.errs) {
				t.Errorf("errors %q, want %q", c.errs, tt.errs)
			}
		})
	}
}
