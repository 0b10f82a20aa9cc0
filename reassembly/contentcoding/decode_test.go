package contentcoding

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zl(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func raw(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func br(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

var jsonBody = []byte(strings.Repeat(`{"id":4711,"status":"created","email":"a@b.test"},`, 20))

func TestDecode(t *testing.T) {
	plain := jsonBody
	tests := []struct {
		name     string
		enc      string
		src      []byte
		limit    int
		want     []byte
		trunc    bool
		wantErr  bool
		errIsUnk bool
	}{
		{name: "empty encoding", enc: "", src: plain, limit: 1 << 20, want: plain},
		{name: "identity", enc: "identity", src: plain, limit: 1 << 20, want: plain},
		{name: "identity capped", enc: "identity", src: plain, limit: 10, want: plain[:10], trunc: true},
		{name: "gzip", enc: "gzip", src: gz(plain), limit: 1 << 20, want: plain},
		{name: "x-gzip upper case", enc: "X-GZIP", src: gz(plain), limit: 1 << 20, want: plain},
		{name: "deflate zlib", enc: "deflate", src: zl(plain), limit: 1 << 20, want: plain},
		{name: "deflate raw", enc: "deflate", src: raw(plain), limit: 1 << 20, want: plain},
		{name: "br", enc: "br", src: br(plain), limit: 1 << 20, want: plain},
		{name: "gzip then br", enc: "gzip, br", src: br(gz(plain)), limit: 1 << 20, want: plain},
		{name: "identity in list", enc: "identity, gzip", src: gz(plain), limit: 1 << 20, want: plain},
		{name: "exact limit", enc: "gzip", src: gz(plain), limit: len(plain), want: plain},
		{name: "over limit", enc: "gzip", src: gz(plain), limit: 100, want: plain[:100], trunc: true},
		{name: "zero limit", enc: "br", src: br(plain), limit: 0, want: nil, trunc: true},
		{name: "cut gzip", enc: "gzip", src: gz(plain)[:30], limit: 1 << 20, trunc: true},
		{name: "cut gzip header", enc: "gzip", src: gz(plain)[:5], limit: 1 << 20, trunc: true},
		{name: "cut br", enc: "br", src: br(plain)[:20], limit: 1 << 20, trunc: true},
		{name: "cut deflate", enc: "deflate", src: zl(plain)[:20], limit: 1 << 20, trunc: true},
		{name: "unknown coding", enc: "compress", src: plain, limit: 1 << 20, want: plain, wantErr: true, errIsUnk: true},
		{name: "unknown coding capped", enc: "zstd", src: plain, limit: 4, want: plain[:4], trunc: true, wantErr: true, errIsUnk: true},
		{name: "clear text sent as gzip", enc: "gzip", src: plain, limit: 1 << 20, want: plain, wantErr: true},
		{name: "corrupt br", enc: "br", src: []byte("\xff\xff\xff\xff not brotli"), limit: 1 << 20, want: []byte("\xff\xff\xff\xff not brotli"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, trunc, err := Decode([]byte("pre:"), tt.enc, tt.src, tt.limit)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if tt.errIsUnk && !errors.Is(err, ErrUnknownCoding) {
				t.Errorf("err %v, want ErrUnknownCoding", err)
			}
			if !bytes.HasPrefix(out, []byte("pre:")) {
				t.Fatalf("dst prefix lost: %q", out)
			}
			got := out[4:]
			if trunc != tt.trunc {
				t.Errorf("truncated %v, want %v", trunc, tt.trunc)
			}
			if len(got) > tt.limit {
				t.Errorf("got %d bytes over limit %d", len(got), tt.limit)
			}
			if tt.want != nil && !bytes.Equal(got, tt.want) {
				t.Errorf("got %.40q (%d bytes), want %.40q (%d bytes)", got, len(got), tt.want, len(tt.want))
			}
			if tt.want == nil && !bytes.HasPrefix(plain, got) {
				t.Errorf("partial output %.40q is not a prefix of the plain text", got)
			}
		})
	}
}

// TestDecodeBomb checks that a 1 GiB gzip bomb costs about limit bytes.
func TestDecodeBomb(t *testing.T) {
	// 1024 gzip members of 1 MiB of zeros each: cheap to build, 1 GiB decoded.
	member := gz(make([]byte, 1<<20))
	bomb := bytes.Repeat(member, 1024)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, trunc, err := Decode(nil, "gzip", bomb, 64<<10)
	runtime.ReadMemStats(&after)
	if err != nil || !trunc || len(out) != 64<<10 {
		t.Fatalf("len %d trunc %v err %v", len(out), trunc, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("allocated %d bytes for a 64 KiB limit", grew)
	}
}

func BenchmarkDecodeGzip(b *testing.B) {
	plain := jsonBody[:1024]
	src := gz(plain)
	dst := make([]byte, 0, 4096)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := Decode(dst[:0], "gzip", src, 65536)
		if err != nil || len(out) != len(plain) {
			b.Fatalf("decode: %d bytes, %v", len(out), err)
		}
	}
}

func BenchmarkDecodeBrotli(b *testing.B) {
	plain := jsonBody[:1024]
	src := br(plain)
	dst := make([]byte, 0, 4096)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(dst[:0], "br", src, 65536); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	plain := []byte(`{"a":1,"b":"hello hello hello"}`)
	for _, s := range []struct {
		enc string
		src []byte
	}{{"gzip", gz(plain)}, {"deflate", zl(plain)}, {"deflate", raw(plain)}, {"br", br(plain)},
		{"gzip, br", br(gz(plain))}, {"identity", plain}, {"bogus", plain}} {
		f.Add(s.enc, s.src, uint16(64))
	}
	f.Fuzz(func(t *testing.T, enc string, src []byte, limit uint16) {
		out, trunc, err := Decode(nil, enc, src, int(limit))
		if len(out) > int(limit) {
			t.Fatalf("output %d bytes over limit %d", len(out), limit)
		}
		if err != nil {
			want := src[:min(len(src), int(limit))]
			if !bytes.Equal(out, want) || trunc != (len(src) > int(limit)) {
				t.Fatalf("on error out must be src capped: got %d bytes trunc %v", len(out), trunc)
			}
		}
	})
}

// TestDecodeGzipSizeHint: the gzip trailer only hints the output size; a
// body whose last trailer understates the output (two concatenated
// members) or that is cut short still decodes in full, up to the limit.
func TestDecodeGzipSizeHint(t *testing.T) {
	small := []byte(`{"ok":true}`)
	two := append(gz(jsonBody), gz(small)...)
	want := append(append([]byte(nil), jsonBody...), small...)
	for _, tc := range []struct {
		name      string
		src       []byte
		limit     int
		want      []byte
		truncated bool
	}{
		{"members", two, 65536, want, false},
		{"members capped", two, 100, want[:100], true},
		{"cut", gz(jsonBody)[:40], 65536, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, tr, err := Decode(nil, "gzip", tc.src, tc.limit)
			if err != nil || tr != tc.truncated {
				t.Fatalf("truncated %v, err %v; want truncated %v", tr, err, tc.truncated)
			}
			if tc.want != nil && !bytes.Equal(out, tc.want) {
				t.Fatalf("got %d bytes, want %d", len(out), len(tc.want))
			}
			if len(out) > tc.limit {
				t.Fatalf("%d bytes over limit %d", len(out), tc.limit)
			}
		})
	}
}
