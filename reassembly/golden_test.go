package reassembly

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/capture"
	"github.com/apitap/apitap/capture/pcapfile"
	"github.com/apitap/apitap/internal/pcaptest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden pcaps and expected JSON")

const (
	cli  = "172.16.0.9:51000"
	srv  = "10.0.0.1:80"
	cli6 = "[2001:db8::9]:51000"
	srv6 = "[2001:db8::1]:8080"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func resp(status int, body string, extra ...string) []byte {
	h := fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", status, statusText(status), len(body))
	for _, e := range extra {
		h += e + "\r\n"
	}
	return []byte(h + "\r\n" + body)
}

func statusText(s int) string {
	switch s {
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 404:
		return "Not Found"
	}
	return "Status"
}

func get(path string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: api.shop.test\r\nUser-Agent: test/1\r\nAccept: */*\r\n\r\n")
}

func post(path, body string) []byte {
	return []byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: api.shop.test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body))
}

// goldenCase is a TCP/HTTP situation captured as a pcap fixture. want lists
// "METHOD target status" of every call in request order; check, if set,
// asserts more.
type goldenCase struct {
	name  string
	link  uint32
	build func(c *pcaptest.Capture)
	want  []string
	check func(t *testing.T, calls []apicall.Call)
}

var goldenCases = []goldenCase{
	{name: "simple_get", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, get("/api/v2/orders/10423?expand=items"), 1460)
		k.Send(false, resp(200, `{"id":10423,"status":"shipped"}`), 1460)
		k.Fin(true)
	}, want: []string{"GET /api/v2/orders/10423?expand=items 200"}, check: func(t *testing.T, calls []apicall.Call) {
		c := calls[0]
		if c.Host != "api.shop.test" || string(c.RespBody.Data) != `{"id":10423,"status":"shipped"}` || c.Client.String() != cli || c.Server.String() != srv {
			t.Errorf("call = host %q body %q client %s server %s", c.Host, c.RespBody.Data, c.Client, c.Server)
		}
		if !(c.ReqStart > 0 && c.ReqStart <= c.ReqEnd && c.ReqEnd <= c.RespStart && c.RespStart <= c.RespEnd) {
			t.Errorf("timestamps out of order: %d %d %d %d", c.ReqStart, c.ReqEnd, c.RespStart, c.RespEnd)
		}
	}},
	{name: "keepalive_pipelined", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, slices.Concat(get("/a"), get("/b"), post("/c", `{"x":1}`)), 1460)
		k.Send(false, resp(200, `"a"`), 1460)
		k.Send(false, slices.Concat(resp(404, `"b"`), resp(201, `"c"`)), 1460)
		k.Send(true, get("/d"), 1460)
		k.Send(false, resp(200, `"d"`), 1460)
		k.Fin(false)
	}, want: []string{"GET /a 200", "GET /b 404", "POST /c 201", "GET /d 200"}, check: func(t *testing.T, calls []apicall.Call) {
		if got := string(calls[2].ReqBody.Data) + string(calls[2].RespBody.Data); got != `{"x":1}"c"` {
			t.Errorf("bodies of POST /c = %q", got)
		}
	}},
	{name: "chunked_gzip_trailers", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, get("/api/v2/products"), 1460)
		body := gz(strings.Repeat(`{"sku":"A-1","name":"widget"},`, 200))
		var r bytes.Buffer
		r.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n")
		for len(body) > 0 {
			n := min(300, len(body))
			fmt.Fprintf(&r, "%x;ext=1\r\n", n)
			r.Write(body[:n])
			r.WriteString("\r\n")
			body = body[n:]
		}
		r.WriteString("0\r\nX-Checksum: abc\r\n\r\n")
		k.Send(false, r.Bytes(), 536)
		k.Fin(true)
	}, want: []string{"GET /api/v2/products 200"}, check: func(t *testing.T, calls []apicall.Call) {
		want := strings.Repeat(`{"sku":"A-1","name":"widget"},`, 200)
		if b := calls[0].RespBody; string(b.Data) != want || b.Truncated || b.Encoding != "gzip" {
			t.Errorf("decoded body len %d truncated %v encoding %q", len(b.Data), b.Truncated, b.Encoding)
		}
	}},
	{name: "out_of_order", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		r := k.Send(true, post("/upload", strings.Repeat("x", 3000)), 1000)
		c.Swap(r[0], r[2])
		s := k.Send(false, resp(200, strings.Repeat("y", 4000)), 1460)
		c.Swap(s[1], s[2])
		k.Fin(true)
	}, want: []string{"POST /upload 200"}, check: func(t *testing.T, calls []apicall.Call) {
		if string(calls[0].ReqBody.Data) != strings.Repeat("x", 3000) || string(calls[0].RespBody.Data) != strings.Repeat("y", 4000) {
			t.Errorf("bodies not reassembled: %d, %d bytes", len(calls[0].ReqBody.Data), len(calls[0].RespBody.Data))
		}
		if calls[0].Flags.Has(apicall.FlagGap) {
			t.Errorf("gap flag on a complete exchange")
		}
	}},
	{name: "retransmission_overlap", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		r := k.Send(true, get("/api/v2/cart"), 20)
		c.Duplicate(r[1])
		body := `{"items":[1,2,3],"total":42}`
		full := resp(200, body)
		k.SendSegment(false, full[:50])
		// A retransmission that overlaps the first 50 bytes and carries 10 more.
		k.SendAt(false, -50, full[:60])
		k.SkipBytes(false, 0)
		k.SendAt(false, 0, full[50:])
		k.SkipBytes(false, len(full)-50)
		k.Send(true, get("/api/v2/cart/count"), 1460)
		k.Send(false, resp(200, `3`), 1460)
		k.Fin(true)
	}, want: []string{"GET /api/v2/cart 200", "GET /api/v2/cart/count 200"}, check: func(t *testing.T, calls []apicall.Call) {
		if string(calls[0].RespBody.Data) != `{"items":[1,2,3],"total":42}` {
			t.Errorf("body = %q", calls[0].RespBody.Data)
		}
	}},
	{name: "no_syn_midstream", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		// No handshake: capture starts inside a response body.
		k.SendSegment(false, []byte(`tail of a body from before the capture","more":1}`))
		k.Send(true, get("/api/v2/users/me"), 1460)
		k.Send(false, resp(200, `{"id":"u1"}`), 1460)
		k.Send(true, get("/api/v2/users/me/orders"), 1460)
		k.Send(false, resp(200, `[]`), 1460)
		k.Fin(true)
	}, want: []string{"GET /api/v2/users/me 200", "GET /api/v2/users/me/orders 200"}, check: func(t *testing.T, calls []apicall.Call) {
		if calls[0].Client.String() != cli {
			t.Errorf("client = %s, want %s (roles learnt without SYN)", calls[0].Client, cli)
		}
	}},
	{name: "rst_before_response", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, get("/api/v2/slow"), 1460)
		k.Rst(false)
	}, want: []string{"GET /api/v2/slow 0"}, check: func(t *testing.T, calls []apicall.Call) {
		if !calls[0].Flags.Has(apicall.FlagNoResponse) {
			t.Errorf("flags = %v, want no_response", calls[0].Flags.Names())
		}
	}},
	{name: "response_timeout", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, get("/api/v2/hang"), 1460)
		c.Advance(3 * time.Minute)
		o := c.Conn("172.16.0.10:52000", srv)
		o.Handshake()
		o.Send(true, get("/api/v2/ok"), 1460)
		o.Send(false, resp(200, `1`), 1460)
		o.Fin(true)
	}, want: []string{"GET /api/v2/hang 0", "GET /api/v2/ok 200"}},
	{name: "expect_100_continue", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		body := strings.Repeat("z", 2048)
		k.Send(true, []byte(fmt.Sprintf("POST /api/v2/files HTTP/1.1\r\nHost: api.shop.test\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body))), 1460)
		k.Send(false, []byte("HTTP/1.1 100 Continue\r\n\r\n"), 1460)
		k.Send(false, []byte("HTTP/1.1 100 Continue\r\n\r\n"), 1460)
		k.Send(true, []byte(body), 1460)
		k.Send(false, resp(201, `{"id":7}`), 1460)
		k.Fin(true)
	}, want: []string{"POST /api/v2/files 201"}, check: func(t *testing.T, calls []apicall.Call) {
		if len(calls[0].ReqBody.Data) != 2048 {
			t.Errorf("request body %d bytes, want 2048", len(calls[0].ReqBody.Data))
		}
	}},
	{name: "head_204_304", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, []byte("HEAD /api/v2/big HTTP/1.1\r\nHost: api.shop.test\r\n\r\n"), 1460)
		k.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n"), 1460)
		k.Send(true, []byte("DELETE /api/v2/cart/1 HTTP/1.1\r\nHost: api.shop.test\r\n\r\n"), 1460)
		k.Send(false, []byte("HTTP/1.1 204 No Content\r\n\r\n"), 1460)
		k.Send(true, []byte("GET /api/v2/logo HTTP/1.1\r\nHost: api.shop.test\r\nIf-None-Match: \"x\"\r\n\r\n"), 1460)
		k.Send(false, []byte("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 999\r\n\r\n"), 1460)
		k.Send(true, get("/api/v2/after"), 1460)
		k.Send(false, resp(200, `"ok"`), 1460)
		k.Fin(true)
	}, want: []string{"HEAD /api/v2/big 200", "DELETE /api/v2/cart/1 204", "GET /api/v2/logo 304", "GET /api/v2/after 200"}},
	{name: "close_delimited", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, []byte("GET /legacy HTTP/1.0\r\nHost: old.shop.test\r\n\r\n"), 1460)
		k.Send(false, []byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"+strings.Repeat("legacy ", 500)), 1460)
		k.Fin(false)
	}, want: []string{"GET /legacy 200"}, check: func(t *testing.T, calls []apicall.Call) {
		if string(calls[0].RespBody.Data) != strings.Repeat("legacy ", 500) || calls[0].Proto != "HTTP/1.0" {
			t.Errorf("close-delimited body %d bytes, proto %s", len(calls[0].RespBody.Data), calls[0].Proto)
		}
	}},
	{name: "websocket_upgrade", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, []byte("GET /ws HTTP/1.1\r\nHost: api.shop.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"), 1460)
		k.Send(false, []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"), 1460)
		k.Send(true, []byte{0x81, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1}, 1460)
		k.Send(false, []byte("\x81\x05GET / HTTP/1.1\r\n\r\n"), 1460)
		k.Fin(true)
	}, want: []string{"GET /ws 101"}, check: func(t *testing.T, calls []apicall.Call) {
		if !calls[0].Flags.Has(apicall.FlagUpgrade) {
			t.Errorf("flags = %v, want upgrade", calls[0].Flags.Names())
		}
	}},
	{name: "connect_tunnel", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, "10.0.0.5:3128")
		k.Handshake()
		k.Send(true, []byte("CONNECT api.shop.test:443 HTTP/1.1\r\nHost: api.shop.test:443\r\n\r\n"), 1460)
		k.Send(false, []byte("HTTP/1.1 200 Connection established\r\n\r\n"), 1460)
		k.Send(true, []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfcGET /not/http HTTP/1.1\r\n"), 1460)
		k.Send(false, []byte("\x16\x03\x03\x00\x7a\x02\x00\x00\x76HTTP/1.1 200 OK\r\n"), 1460)
		k.Fin(true)
	}, want: []string{"CONNECT  200"}, check: func(t *testing.T, calls []apicall.Call) {
		if calls[0].Host != "api.shop.test:443" {
			t.Errorf("host = %q", calls[0].Host)
		}
	}},
	{name: "garbage_resync", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, get("/first"), 1460)
		k.Send(false, resp(200, `1`), 1460)
		k.Send(true, []byte("\x00\x01garbage that is not http\r\n\r\n"), 1460)
		k.Send(true, get("/second"), 1460)
		k.Send(false, resp(200, `2`), 1460)
		k.Fin(true)
	}, want: []string{"GET /first 200", "GET /second 200"}},
	{name: "lost_segment_gap", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, get("/api/v2/report"), 1460)
		full := resp(200, strings.Repeat("r", 5000))
		k.SendSegment(false, full[:1460])
		k.SkipBytes(false, 1460) // never captured
		k.SendAt(false, 0, full[2920:])
		k.SkipBytes(false, len(full)-2920)
		c.Advance(10 * time.Second)
		k.Send(true, get("/api/v2/next"), 1460)
		k.Send(false, resp(200, `"n"`), 1460)
		k.Fin(true)
	}, want: []string{"GET /api/v2/report 200", "GET /api/v2/next 200"}, check: func(t *testing.T, calls []apicall.Call) {
		b := calls[0].RespBody
		if !calls[0].Flags.Has(apicall.FlagGap) || !b.Truncated || b.Length != 5000 {
			t.Errorf("gap call: flags %v truncated %v length %d", calls[0].Flags.Names(), b.Truncated, b.Length)
		}
	}},
	{name: "ipv6_vlan", link: pcaptest.LinkEthernet, build: func(c *pcaptest.Capture) {
		c.VLAN = 42
		k := c.Conn(cli6, srv6)
		k.Handshake()
		k.Send(true, get("/v6"), 1460)
		k.Send(false, resp(200, `6`), 1460)
		k.Fin(true)
	}, want: []string{"GET /v6 200"}, check: func(t *testing.T, calls []apicall.Call) {
		if calls[0].Client.String() != cli6 {
			t.Errorf("client = %s", calls[0].Client)
		}
	}},
	{name: "linux_sll", link: pcaptest.LinkSLL, build: simpleExchange("/sll"), want: []string{"GET /sll 200"}},
	{name: "linux_sll2", link: pcaptest.LinkSLL2, build: simpleExchange("/sll2"), want: []string{"GET /sll2 200"}},
	{name: "raw_ip", link: pcaptest.LinkRaw, build: simpleExchange("/raw"), want: []string{"GET /raw 200"}},
	{name: "bsd_null", link: pcaptest.LinkNull, build: simpleExchange("/null"), want: []string{"GET /null 200"}},
	{name: "ipv4_fragments", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		i := k.SendSegment(true, post("/api/v2/frag", strings.Repeat("f", 1200)))
		c.Fragment(i, 400)
		k.Send(false, resp(200, `"ok"`), 1460)
		k.Fin(true)
	}, want: []string{"POST /api/v2/frag 200"}, check: func(t *testing.T, calls []apicall.Call) {
		if len(calls[0].ReqBody.Data) != 1200 {
			t.Errorf("request body %d bytes after defragmentation, want 1200", len(calls[0].ReqBody.Data))
		}
	}},
	{name: "early_response", build: func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		head := []byte("POST /api/v2/upload HTTP/1.1\r\nHost: api.shop.test\r\nContent-Length: 3000\r\n\r\n")
		k.Send(true, append(head, strings.Repeat("u", 1000)...), 1460)
		k.Send(false, resp(413, `{"error":"too large"}`), 1460)
		k.Send(true, []byte(strings.Repeat("u", 2000)), 1460)
		k.Fin(false)
	}, want: []string{"POST /api/v2/upload 413"}},
}

func simpleExchange(path string) func(c *pcaptest.Capture) {
	return func(c *pcaptest.Capture) {
		k := c.Conn(cli, srv)
		k.Handshake()
		k.Send(true, get(path), 1460)
		k.Send(false, resp(200, `"ok"`), 1460)
		k.Fin(true)
	}
}

// runPcap runs one file through an engine and returns the calls sorted by
// request time and the final stats.
func runPcap(t *testing.T, path string, workers int) ([]apicall.Call, Stats) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Workers = workers
	cfg.Source = apicall.Source{Kind: "file", Name: filepath.Base(path)}
	var calls []apicall.Call
	sink := apicall.SinkFunc(func(_ context.Context, batch []apicall.Call) error {
		calls = append(calls, batch...)
		return nil
	})
	e, err := New(cfg, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := e.Run(t.Context(), r); err != nil && !errors.Is(err, capture.ErrTruncated) {
		t.Fatalf("run %s: %v", path, err)
	}
	if err := e.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Stable: calls of one connection come out in request order already.
	slices.SortStableFunc(calls, func(a, b apicall.Call) int { return cmp64(a.ReqStart, b.ReqStart) })
	return calls, e.Stats()
}

func cmp64(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func summarize(calls []apicall.Call) []string {
	var out []string
	for _, c := range calls {
		target := c.Path
		if c.RawQuery != "" {
			target += "?" + c.RawQuery
		}
		out = append(out, fmt.Sprintf("%s %s %d", c.Method, target, c.Status))
	}
	return out
}

func encodeCalls(calls []apicall.Call) []byte {
	var b []byte
	for i := range calls {
		b = apicall.AppendJSON(b, &calls[i])
		b = append(b, '\n')
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			pcap := filepath.Join("testdata", "golden", tc.name+".pcap")
			golden := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				link := tc.link
				if link == 0 && tc.name != "bsd_null" {
					link = pcaptest.LinkEthernet
				}
				c := pcaptest.New(link)
				tc.build(c)
				if err := c.WriteFile(pcap); err != nil {
					t.Fatal(err)
				}
			}
			for _, workers := range []int{1, 3} {
				calls, st := runPcap(t, pcap, workers)
				if got := summarize(calls); !slices.Equal(got, tc.want) {
					t.Fatalf("workers=%d: calls\n got %q\nwant %q\nstats %+v", workers, got, tc.want, st)
				}
				if tc.check != nil {
					tc.check(t, calls)
				}
				got := encodeCalls(calls)
				if *update && workers == 1 {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("workers=%d: output differs from %s (go test -update rewrites it)\n got %s\nwant %s", workers, golden, got, want)
				}
			}
		})
	}
}
