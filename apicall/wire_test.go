package apicall_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/apicall/apicallpb"
)

var update = flag.Bool("update", false, "rewrite testdata/wire golden files")

// typicalCall is an authenticated JSON API read with a 600-byte response,
// the shape most calls in the simulated traffic have.
func typicalCall() apicall.Call {
	body := []byte(`{"id":10423,"status":"shipped","customer":{"id":"c-88120","email":"[redacted]"},"items":[` +
		strings.Repeat(`{"sku":"SKU-100234","qty":1,"price":19.99},`, 11) + `{"sku":"SKU-1","qty":2,"price":5}],"total":224.87}`)
	return apicall.Call{
		ID: "0f3a9c12d4e5b6a7", ReqStart: 1767603600123456789, ReqEnd: 1767603600123556789,
		RespStart: 1767603600223456789, RespEnd: 1767603600224456789,
		Client: netip.MustParseAddrPort("172.16.3.9:51234"), Server: netip.MustParseAddrPort("10.0.0.1:8080"),
		Host: "api.shop.test", Method: "GET", Path: "/api/v2/orders/10423", RawQuery: "expand=items", Proto: "HTTP/1.1",
		ReqHeaders: apicall.Headers{
			{"Host", "api.shop.test"}, {"User-Agent", "shop-ios/4.12.1 (iPhone; iOS 17.2)"},
			{"Accept", "application/json"}, {"Accept-Encoding", "gzip"},
			{"Authorization", "[redacted]"}, {"X-Request-Id", "6f1d2c3b-8a9e-4f70-b1c2-d3e4f5a6b7c8"},
		},
		RespHeaders: apicall.Headers{
			{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"},
			{"Date", "Mon, 05 Jan 2026 09:00:00 GMT"}, {"Cache-Control", "no-store"},
			{"Vary", "Accept-Encoding"}, {"Content-Length", "312"},
		},
		Status: 200, Reason: "OK",
		RespBody: apicall.Body{Data: body, Length: 312, ContentType: "application/json", Encoding: "gzip"},
		Source:   apicall.Source{Kind: "interface", Name: "eth0", Node: "node-a7"},
		Actor: apicall.Actor{
			Kind: apicall.ActorJWT, User: "user-017", ClientIP: netip.MustParseAddr("172.16.3.9"),
			Issuer: "https://auth.shop.test", Roles: []string{"customer"}, Scopes: []string{"orders:read", "profile"},
			Alg: "RS256", ExpiresAt: 1767607200,
		},
		Flags: apicall.FlagRedacted,
	}
}

// fullCall sets every field, with odd values: IPv6, 4-in-6, invalid UTF-8,
// a negative status, empty repeated elements.
func fullCall() apicall.Call {
	c := typicalCall()
	c.Client = netip.MustParseAddrPort("[2001:db8::7]:65535")
	c.Server = netip.MustParseAddrPort("[::ffff:10.0.0.1]:1")
	c.ReqHeaders = append(c.ReqHeaders, apicall.Header{Name: "X-Bin", Value: "\xff\x00\xfe"}, apicall.Header{})
	c.Status = -7
	c.ReqBody = apicall.Body{Data: []byte{0, 1, 2, 0xff}, Length: 1 << 40, Truncated: true, ContentType: "application/octet-stream", Encoding: "br", DecodeError: "brotli: corrupt"}
	c.Source.VNI, c.Source.TLS = 1<<24-1, true
	c.Actor.Roles = append(c.Actor.Roles, "")
	c.Actor.ExpiresAt = -1
	c.Flags = 1<<32 - 1
	return c
}

// toPB builds the generated message for c, following the schema's rules
// (nested messages absent when all zero).
func toPB(c *apicall.Call) *apicallpb.Call {
	addr := func(a netip.Addr) []byte {
		if !a.IsValid() {
			return nil
		}
		return a.AsSlice()
	}
	bs := func(s string) []byte {
		if s == "" {
			return nil
		}
		return []byte(s)
	}
	hdrs := func(hs apicall.Headers) []*apicallpb.Header {
		var out []*apicallpb.Header
		for _, h := range hs {
			out = append(out, &apicallpb.Header{Name: bs(h.Name), Value: bs(h.Value)})
		}
		return out
	}
	list := func(ss []string) [][]byte {
		var out [][]byte
		for _, s := range ss {
			out = append(out, []byte(s))
		}
		return out
	}
	body := func(b *apicall.Body) *apicallpb.Body {
		p := &apicallpb.Body{Data: b.Data, Length: b.Length, Truncated: b.Truncated, ContentType: bs(b.ContentType), Encoding: bs(b.Encoding), DecodeError: b.DecodeError}
		if proto.Size(p) == 0 {
			return nil
		}
		return p
	}
	p := &apicallpb.Call{
		Id: c.ID, ReqStart: c.ReqStart, ReqEnd: c.ReqEnd, RespStart: c.RespStart, RespEnd: c.RespEnd,
		ClientAddr: addr(c.Client.Addr()), ClientPort: uint32(c.Client.Port()),
		ServerAddr: addr(c.Server.Addr()), ServerPort: uint32(c.Server.Port()),
		Host: bs(c.Host), Method: bs(c.Method), Path: bs(c.Path), RawQuery: bs(c.RawQuery), Proto: bs(c.Proto),
		ReqHeaders: hdrs(c.ReqHeaders), RespHeaders: hdrs(c.RespHeaders),
		Status: int32(c.Status), Reason: bs(c.Reason),
		ReqBody: body(&c.ReqBody), RespBody: body(&c.RespBody),
		Source: &apicallpb.Source{Kind: c.Source.Kind, Name: c.Source.Name, Node: c.Source.Node, Vni: c.Source.VNI, Tls: c.Source.TLS},
		Actor: &apicallpb.Actor{
			Kind: c.Actor.Kind, User: bs(c.Actor.User), ClientIp: addr(c.Actor.ClientIP), Issuer: bs(c.Actor.Issuer),
			Roles: list(c.Actor.Roles), Scopes: list(c.Actor.Scopes), Alg: bs(c.Actor.Alg), ExpiresAt: c.Actor.ExpiresAt,
		},
		Flags: uint32(c.Flags),
	}
	if proto.Size(p.Source) == 0 {
		p.Source = nil
	}
	if proto.Size(p.Actor) == 0 {
		p.Actor = nil
	}
	return p
}

func wireCases() map[string]apicall.Call {
	return map[string]apicall.Call{
		"empty":   {},
		"typical": typicalCall(),
		"full":    fullCall(),
		"no_response": {
			ID: "x", ReqStart: 5, Client: netip.MustParseAddrPort("10.1.2.3:40000"), Method: "POST", Path: "/login",
			ReqBody: apicall.Body{Data: []byte(`{"user":"a"}`), Length: 12}, Flags: apicall.FlagNoResponse,
			Actor: apicall.Actor{Kind: apicall.ActorAnonymous, ClientIP: netip.MustParseAddr("10.1.2.3")},
		},
	}
}

// TestWireEqualsProtoMarshal holds the hand-written encoder to the schema:
// its bytes equal proto.Marshal of the generated message, and the generated
// code decodes them to the same values.
func TestWireEqualsProtoMarshal(t *testing.T) {
	for name, c := range wireCases() {
		t.Run(name, func(t *testing.T) {
			got := apicall.AppendWire(nil, &c)
			want, err := proto.Marshal(toPB(&c))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendWire differs from proto.Marshal:\n got %x\nwant %x", got, want)
			}
			if n := apicall.WireSize(&c); n != len(got) {
				t.Errorf("WireSize = %d, encoded %d bytes", n, len(got))
			}
			var p apicallpb.Call
			if err := proto.Unmarshal(got, &p); err != nil {
				t.Fatalf("generated code cannot decode: %v", err)
			}
			if !proto.Equal(&p, toPB(&c)) {
				t.Errorf("generated decode differs")
			}
		})
	}
}

// TestWireGolden pins the encoding: a change of these bytes is a change of
// the wire format that agents and analyzers of different builds share.
func TestWireGolden(t *testing.T) {
	for name, c := range wireCases() {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "wire", name+".hex")
			got := hex.EncodeToString(apicall.AppendWire(nil, &c)) + "\n"
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("encoding of %s changed:\n got %s\nwant %s", name, got, want)
			}
		})
	}
}

func TestWireRoundTrip(t *testing.T) {
	for name, c := range wireCases() {
		t.Run(name, func(t *testing.T) {
			b := apicall.AppendWire(nil, &c)
			var got apicall.Call
			if err := apicall.DecodeWire(b, &got); err != nil {
				t.Fatal(err)
			}
			want := normalize(c)
			if !reflect.DeepEqual(normalize(got), want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
			// The decoded call owns its bytes.
			clear(b)
			if !reflect.DeepEqual(normalize(got), want) {
				t.Errorf("decoded call shares the input buffer")
			}
		})
	}
}

// normalize maps empty slices to nil (the wire does not tell them apart).
func normalize(c apicall.Call) apicall.Call {
	if len(c.ReqHeaders) == 0 {
		c.ReqHeaders = nil
	}
	if len(c.RespHeaders) == 0 {
		c.RespHeaders = nil
	}
	for _, b := range []*apicall.Body{&c.ReqBody, &c.RespBody} {
		if len(b.Data) == 0 {
			b.Data = nil
		}
	}
	if len(c.Actor.Roles) == 0 {
		c.Actor.Roles = nil
	}
	if len(c.Actor.Scopes) == 0 {
		c.Actor.Scopes = nil
	}
	return c
}

// TestWireKeepsUnknownFields: a call from a newer minor version (extra
// fields) decodes, keeps them, and re-encodes to the same bytes.
func TestWireKeepsUnknownFields(t *testing.T) {
	c := typicalCall()
	b := apicall.AppendWire(nil, &c)
	b = protowire.AppendTag(b, 40, protowire.BytesType)
	b = protowire.AppendString(b, "future")
	b = protowire.AppendTag(b, 41, protowire.VarintType)
	b = protowire.AppendVarint(b, 300)
	b = protowire.AppendTag(b, 42, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, 7)
	var got apicall.Call
	if err := apicall.DecodeWire(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Path != c.Path || got.Actor.User != c.Actor.User {
		t.Errorf("known fields lost: %+v", got)
	}
	if len(got.Unknown) == 0 {
		t.Fatal("unknown fields dropped")
	}
	if re := apicall.AppendWire(nil, &got); !bytes.Equal(re, b) {
		t.Errorf("re-encoding lost unknown fields:\n got %x\nwant %x", re, b)
	}
	var p apicallpb.Call
	if err := proto.Unmarshal(b, &p); err != nil || len(p.ProtoReflect().GetUnknown()) != len(got.Unknown) {
		t.Errorf("generated code sees unknown %d bytes, err %v; we kept %d", len(p.ProtoReflect().GetUnknown()), err, len(got.Unknown))
	}
}

func TestWireMalformed(t *testing.T) {
	c := typicalCall()
	good := apicall.AppendWire(nil, &c)
	cases := map[string][]byte{
		"truncated":      good[:len(good)-5],
		"bad tag":        {0x00},
		"long varint":    bytes.Repeat([]byte{0xff}, 11),
		"length too big": {0x0a, 0x7f, 'a'},
		"wrong type":     {0x12, 0x01, 0x01}, // req_start as bytes
		"bad address":    {0x32, 0x03, 1, 2, 3},
		"group":          {0x0b},
		"port overflow":  {0x38, 0x80, 0x80, 0x04},
		"text":           []byte("this is not protobuf at all"),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			var got apicall.Call
			err := apicall.DecodeWire(b, &got)
			if !errors.Is(err, apicall.ErrWire) {
				t.Errorf("DecodeWire(%x) = %v, want ErrWire", b, err)
			}
		})
	}
}

func FuzzDecodeWire(f *testing.F) {
	for _, c := range wireCases() {
		f.Add(apicall.AppendWire(nil, &c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c apicall.Call
		if err := apicall.DecodeWire(b, &c); err != nil {
			return
		}
		// Whatever decodes re-encodes to something that decodes the same.
		re := apicall.AppendWire(nil, &c)
		var c2 apicall.Call
		if err := apicall.DecodeWire(re, &c2); err != nil {
			t.Fatalf("re-encoded call does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalize(c), normalize(c2)) {
			t.Fatalf("decode(encode(decode(b))) differs")
		}
	})
}

// reportCPU adds cpu-ns/op: the benchmark goroutine's thread CPU time per
// op (wall ns/op also counts time other processes hold the CPU).
func reportCPU(b *testing.B, loop func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	loop()
	if cpu := threadCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "calls/cpu-s")
	}
}

func BenchmarkWire(b *testing.B) {
	c := typicalCall()
	size := apicall.WireSize(&c)
	json := len(apicall.AppendJSON(nil, &c))
	b.Run("encode", func(b *testing.B) {
		buf := make([]byte, 0, 4096)
		b.SetBytes(int64(size))
		b.ReportAllocs()
		reportCPU(b, func() {
			for b.Loop() {
				buf = apicall.AppendWire(buf[:0], &c)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		b.ReportMetric(float64(size), "B/call")
		b.ReportMetric(float64(json), "json-B/call")
	})
	b.Run("encode_proto_Marshal", func(b *testing.B) {
		p := toPB(&c)
		b.SetBytes(int64(size))
		b.ReportAllocs()
		reportCPU(b, func() {
			for b.Loop() {
				if _, err := proto.Marshal(p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
	b.Run("decode", func(b *testing.B) {
		enc := apicall.AppendWire(nil, &c)
		b.SetBytes(int64(len(enc)))
		b.ReportAllocs()
		var out apicall.Call
		reportCPU(b, func() {
			for b.Loop() {
				if err := apicall.DecodeWire(enc, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
	b.Run("encode_json", func(b *testing.B) {
		buf := make([]byte, 0, 4096)
		b.SetBytes(int64(json))
		b.ReportAllocs()
		reportCPU(b, func() {
			for b.Loop() {
				buf = apicall.AppendJSON(buf[:0], &c)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
}

// TestGeneratedCurrent checks apicallpb against apicall.proto when protoc
// and protoc-gen-go are installed (`make generate` installs them; CI does
// not need them because the generated code is committed).
func TestGeneratedCurrent(t *testing.T) {
	for _, tool := range []string{"protoc", "protoc-gen-go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH (make generate installs it): generated code not re-checked", tool)
		}
	}
	dir := t.TempDir()
	out, err := exec.Command("protoc", "--go_out="+dir, "--go_opt=paths=source_relative", "apicall.proto").CombinedOutput()
	if err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "apicall.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("apicallpb", "apicall.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("apicallpb/apicall.pb.go is stale (or built by another protoc/protoc-gen-go version): run make generate")
	}
}
