package detect

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata golden files")

func wireSample() (*Observation, *apicall.Call) {
	c := &apicall.Call{ID: "c-1", ReqStart: 1_700_000_000_000_000_000, ReqEnd: 1_700_000_000_100_000_000,
		Host: "shop.example", Method: "POST", Path: "/api/login", RawQuery: "next=%2Fhome", Proto: "HTTP/1.1",
		ReqHeaders:  apicall.Headers{{Name: "Content-Type", Value: "application/json"}},
		RespHeaders: apicall.Headers{{Name: "Server", Value: "x"}},
		Status:      401, ReqBody: apicall.Body{Data: []byte(`{"username":"bob","password":"[REDACTED]"}`), ContentType: "application/json", Length: 42},
		RespBody: apicall.Body{Data: bytes.Repeat([]byte("a"), maxSensitiveScan+10), Length: maxSensitiveScan + 10, ContentType: "text/plain"},
		Actor:    apicall.Actor{Kind: apicall.ActorAnonymous, ClientIP: netip.MustParseAddr("203.0.113.7"), Roles: []string{"user"}},
	}
	o := &Observation{Call: c, Host: c.Host, Method: c.Method, Template: "/api/login", SpecAuth: -1, SpecProps: []string{"username", "password"},
		Endpoint: "POST /api/login", Kind: KindAuth, Actor: "ip:203.0.113.7", Role: "anonymous", Prev: "GET /login",
		NRecent: 2, EPCalls: 3, Anomalous: true}
	o.Recent[0], o.Recent[1] = 0x0102030405060708, 0xfffffffffffffff0
	return o, c
}

// TestObservationWireGolden pins the encoding: a change that breaks the
// records already in apitap.observations.v1 shows here (run with -update
// only when ObservationWireMajor changes or a field is added).
func TestObservationWireGolden(t *testing.T) {
	o, _ := wireSample()
	got := hex.EncodeToString(AppendObservationWire(nil, o))
	const path = "testdata/observation.v1.hex"
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}
}

func TestObservationWireRoundTrip(t *testing.T) {
	o, c := wireSample()
	b := AppendObservationWire(nil, o)
	var got Observation
	var gc apicall.Call
	if err := DecodeObservationWire(b, &got, &gc); err != nil {
		t.Fatal(err)
	}
	want := *o
	trimmed := TrimForEndpoint(c)
	want.Call = &trimmed
	if !reflect.DeepEqual(got.Call, want.Call) {
		t.Fatalf("call:\n got %+v\nwant %+v", got.Call, want.Call)
	}
	got.Call, want.Call = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("observation:\n got %+v\nwant %+v", got, want)
	}
	if len(gc.RespBody.Data) != maxSensitiveScan || !gc.RespBody.Truncated || gc.ReqHeaders != nil {
		t.Fatalf("trim: resp %d bytes truncated=%v headers %v", len(gc.RespBody.Data), gc.RespBody.Truncated, gc.ReqHeaders)
	}
	if k := string(AppendObservationKey(nil, o)); k != "shop.example POST /api/login" {
		t.Fatalf("key %q", k)
	}
}

func TestObservationWireRejects(t *testing.T) {
	o, _ := wireSample()
	b := AppendObservationWire(nil, o)
	var got Observation
	var gc apicall.Call
	// Another major version.
	v2 := append([]byte{0x08, 0x02}, b[2:]...)
	if err := DecodeObservationWire(v2, &got, &gc); !errors.Is(err, ErrObservationVersion) {
		t.Fatalf("version 2: %v", err)
	}
	for i := 1; i < len(b); i += 7 {
		if err := DecodeObservationWire(b[:i], &got, &gc); err == nil && i < 60 {
			t.Fatalf("prefix of %d bytes decoded", i)
		}
	}
	// An unknown field is skipped.
	ext := append(append([]byte{}, b...), 0xf8, 0x01, 0x05) // field 31 varint
	if err := DecodeObservationWire(ext, &got, &gc); err != nil {
		t.Fatalf("unknown field: %v", err)
	}
}

func FuzzObservationWire(f *testing.F) {
	o, _ := wireSample()
	f.Add(AppendObservationWire(nil, o))
	f.Add([]byte{0x08, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Observation
		var gc apicall.Call
		if DecodeObservationWire(b, &got, &gc) != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		var again Observation
		var gc2 apicall.Call
		if err := DecodeObservationWire(AppendObservationWire(nil, &got), &again, &gc2); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func BenchmarkObservationWire(b *testing.B) {
	o, c := wireSample()
	c.RespBody.Data = c.RespBody.Data[:2048]
	buf := AppendObservationWire(nil, o)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendObservationWire(buf[:0], o)
		}
		b.ReportMetric(float64(len(buf)), "obs_bytes")
		b.ReportMetric(float64(apicall.WireSize(c)), "call_bytes")
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		var got Observation
		var gc apicall.Call
		for b.Loop() {
			if err := DecodeObservationWire(buf, &got, &gc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
