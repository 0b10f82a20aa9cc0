package contentcoding

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/apitap/apitap/internal/cputime"
)

// decodeBoth decodes with the one-shot inflater in front (as shipped) and
// with the streaming decoder alone, and fails on any difference.
func decodeBoth(t testing.TB, enc string, src []byte, limit int) {
	t.Helper()
	freshDecoders()
	out1, tr1, err1 := Decode(nil, enc, src, limit)
	oneShot = false
	freshDecoders()
	out2, tr2, err2 := Decode(nil, enc, src, limit)
	oneShot = true
	if !bytes.Equal(out1, out2) || tr1 != tr2 || (err1 == nil) != (err2 == nil) ||
		err1 != nil && err1.Error() != err2.Error() {
		t.Fatalf("%s, %d bytes, limit %d: one-shot %d bytes trunc %v err %v; streaming %d bytes trunc %v err %v",
			enc, len(src), limit, len(out1), tr1, err1, len(out2), tr2, err2)
	}
}

// freshDecoders empties the pools of streaming decoders, so that both
// paths start from the same state: klauspost's inflater keeps its Huffman
// tables across Reset, and corrupt input with an empty distance tree reads
// them, so the offset in its error depends on what the pooled decoder
// decoded before (found by FuzzOneShot).
func freshDecoders() {
	gzipPool = sync.Pool{New: func() any { return new(gzipState) }}
	zlibPool = sync.Pool{New: func() any { return new(zlibState) }}
	flatePool = sync.Pool{New: func() any { return new(flateState) }}
}

// corpus returns bodies of many shapes: JSON-like text, random bytes
// (stored blocks), long runs (overlapping copies), sizes around block
// and window boundaries.
func corpus() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	var out [][]byte
	words := []string{`{"id":`, `"name":"`, `alice`, `bob`, `"},`, `[`, `]`, `true`, `null`, `12345`, ` `, "\n", `"email":"a@b.test"`}
	for _, n := range []int{0, 1, 2, 3, 100, 258, 259, 1000, 4096, 32769, 70000} {
		var b bytes.Buffer
		for b.Len() < n {
			b.WriteString(words[r.IntN(len(words))])
		}
		out = append(out, b.Bytes()[:n])
		rnd := make([]byte, n)
		for i := range rnd {
			rnd[i] = byte(r.Uint32())
		}
		out = append(out, rnd)
		out = append(out, bytes.Repeat([]byte{'a'}, n))
		mixed := append(append([]byte(nil), rnd[:n/2]...), bytes.Repeat([]byte("abcabcab"), n/16)...)
		out = append(out, mixed)
	}
	return out
}

func gzLevel(b []byte, level int) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, level)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zlLevel(b []byte, level int) []byte {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, level)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// TestOneShotMatchesStreaming: on valid, cut, corrupted and capped inputs
// the one-shot inflater and the streaming decoder give the same result.
func TestOneShotMatchesStreaming(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	levels := []int{flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression, flate.HuffmanOnly}
	for i, body := range corpus() {
		for _, lv := range levels {
			for _, c := range []struct {
				enc string
				src []byte
			}{{"gzip", gzLevel(body, lv)}, {"deflate", zlLevel(body, lv)}} {
				t.Run(fmt.Sprintf("%d/%d/%s", i, lv, c.enc), func(t *testing.T) {
					for _, limit := range []int{65536, len(body), len(body) - 1} {
						decodeBoth(t, c.enc, c.src, max(limit, 0))
					}
					for range 3 {
						// Cut, one byte flipped, garbage appended.
						decodeBoth(t, c.enc, c.src[:r.IntN(len(c.src)+1)], 1<<20)
						bad := append([]byte(nil), c.src...)
						bad[r.IntN(len(bad))] ^= byte(1 << r.IntN(8))
						decodeBoth(t, c.enc, bad, 1<<20)
					}
					decodeBoth(t, c.enc, append(append([]byte(nil), c.src...), 0, 1, 2), 1<<20)
				})
			}
		}
	}
}

// TestOneShotUsed: the one-shot path does decode well-formed bodies (the
// comparison above would also pass if it always gave up).
func TestOneShotUsed(t *testing.T) {
	for _, body := range corpus() {
		for _, lv := range []int{flate.NoCompression, flate.BestSpeed, flate.BestCompression} {
			if len(body) > 65536 {
				continue
			}
			out, ok := fastGzip(nil, gzLevel(body, lv), 65536)
			if !ok || !bytes.Equal(out, body) {
				t.Fatalf("gzip level %d, %d bytes: ok %v, %d bytes out", lv, len(body), ok, len(out))
			}
			out, ok = fastZlib(nil, zlLevel(body, lv), 65536)
			if !ok || !bytes.Equal(out, body) {
				t.Fatalf("zlib level %d, %d bytes: ok %v, %d bytes out", lv, len(body), ok, len(out))
			}
		}
	}
}

// FuzzOneShot: whatever the input, both paths agree.
func FuzzOneShot(f *testing.F) {
	for _, body := range corpus()[:24] {
		f.Add(gzLevel(body, flate.BestSpeed), uint32(65536), false)
		f.Add(zlLevel(body, flate.DefaultCompression), uint32(100), true)
	}
	f.Fuzz(func(t *testing.T, src []byte, limit uint32, zlibToo bool) {
		limit %= 1 << 20
		decodeBoth(t, "gzip", src, int(limit))
		if zlibToo {
			decodeBoth(t, "deflate", src, int(limit))
		}
	})
}

func BenchmarkInflate(b *testing.B) {
	for _, n := range []int{1024, 2500, 16384} {
		var body bytes.Buffer
		r := rand.New(rand.NewPCG(5, 6))
		for body.Len() < n {
			fmt.Fprintf(&body, `{"id":%d,"sku":"SKU-%05d","name":"item %d","price":%d.%02d,"tags":["a","b"]},`, r.IntN(99999), r.IntN(99999), r.IntN(500), r.IntN(999), r.IntN(100))
		}
		src := gzLevel(body.Bytes()[:n], flate.BestSpeed)
		for _, mode := range []struct {
			name string
			on   bool
		}{{"oneshot", true}, {"streaming", false}} {
			b.Run(fmt.Sprintf("%d/%s", n, mode.name), func(b *testing.B) {
				oneShot = mode.on
				defer func() { oneShot = true }()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					out, _, err := Decode(nil, "gzip", src, 65536)
					if err != nil || len(out) != n {
						b.Fatalf("%d bytes, %v", len(out), err)
					}
				}
			})
		}
	}
}

// BenchmarkInflateCorpus decodes real gzip bodies, one after the other,
// from the file named by APITAP_GZIP_CORPUS: records of a 4-byte
// little-endian length followed by that many bytes of a gzip body (for
// instance the bodies of the bench pcap). Skipped when unset.
func BenchmarkInflateCorpus(b *testing.B) {
	path := os.Getenv("APITAP_GZIP_CORPUS")
	if path == "" {
		b.Skip("APITAP_GZIP_CORPUS not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	for len(data) >= 4 {
		n := int(binary.LittleEndian.Uint32(data))
		if 4+n > len(data) {
			b.Fatalf("%s: record of %d bytes past the end", path, n)
		}
		bodies = append(bodies, data[4:4+n])
		data = data[4+n:]
	}
	var out int64
	oneShotOK := 0
	for _, body := range bodies {
		oneShot = false
		o, _, err := Decode(nil, "gzip", body, 1<<20)
		oneShot = true
		if err != nil {
			b.Fatal(err)
		}
		out += int64(len(o))
		if fast, ok := fastGzip(nil, body, 1<<20); ok {
			if !bytes.Equal(fast, o) {
				b.Fatalf("body of %d bytes: the one-shot inflater's output differs", len(body))
			}
			oneShotOK++
		}
	}
	b.Logf("%d bodies, %d decoded by the one-shot inflater, %d bytes out", len(bodies), oneShotOK, out)
	for _, mode := range []struct {
		name string
		on   bool
	}{{"oneshot", true}, {"streaming", false}} {
		b.Run(mode.name, func(b *testing.B) {
			oneShot = mode.on
			defer func() { oneShot = true }()
			b.SetBytes(out)
			cpu0 := cputime.Process()
			for b.Loop() {
				for _, body := range bodies {
					if _, _, err := Decode(nil, "gzip", body, 1<<20); err != nil {
						b.Fatal(err)
					}
				}
			}
			// The machine is shared: CPU time, not wall time, tells the cost.
			b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N*len(bodies)), "cpu-ns/body")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bodies)), "ns/body")
		})
	}
}

// TestBuildTable: for random complete codes (up to 15 bits, so with
// sub-tables), every symbol's canonical code looks up its own entry with
// its own length; incomplete and oversubscribed codes are refused, and a
// lone code of length 1 is accepted with no entry for the other bit.
func TestBuildTable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var table [litTableSize]uint32
	for iter := range 2000 {
		// Split random leaves of a one-leaf tree: a complete code.
		nsym := 2 + r.IntN(len(litVals)-1)
		leaves := []uint8{0}
		for len(leaves) < nsym {
			i := r.IntN(len(leaves))
			if leaves[i] == 15 {
				continue
			}
			leaves[i]++
			leaves = append(leaves, leaves[i])
		}
		lens := make([]uint8, len(litVals))
		for i, sym := range r.Perm(len(lens))[:nsym] {
			lens[sym] = leaves[i]
		}
		if !buildTable(table[:], lens, litVals[:], litPrimaryBits) {
			t.Fatalf("iteration %d: complete code refused: %v", iter, lens)
		}
		// Canonical codes, as RFC 1951 assigns them.
		var count [16]int
		for _, l := range lens {
			count[l]++
		}
		count[0] = 0
		var next [16]int
		for code, l := 0, 1; l <= 15; l++ {
			code = (code + count[l-1]) << 1
			next[l] = code
		}
		for sym, l := range lens {
			if l == 0 {
				continue
			}
			code := int(bits.Reverse16(uint16(next[l])) >> (16 - l)) // read LSB first
			next[l]++
			e := table[code&(1<<litPrimaryBits-1)]
			n := uint32(l)
			if e&flagLink != 0 {
				if uint32(l) <= litPrimaryBits || e&63 != litPrimaryBits {
					t.Fatalf("iteration %d: symbol %d (%d bits): bad link %#x", iter, sym, l, e)
				}
				e = table[int(e>>16)+(code>>litPrimaryBits)&(1<<(e>>8&15)-1)]
				n -= litPrimaryBits
			}
			if want := litVals[sym] + n<<8 + n; e != want {
				t.Fatalf("iteration %d: symbol %d (%d bits): entry %#x, want %#x", iter, sym, l, e, want)
			}
		}
		// One code more or less than complete.
		for sym, l := range lens {
			if l == 0 {
				lens[sym] = 15
				if buildTable(table[:], lens, litVals[:], litPrimaryBits) {
					t.Fatalf("iteration %d: oversubscribed code accepted", iter)
				}
				lens[sym] = 0
				break
			}
		}
		for sym, l := range lens {
			if l != 0 {
				lens[sym] = 0
				if nsym > 2 && buildTable(table[:], lens, litVals[:], litPrimaryBits) {
					t.Fatalf("iteration %d: incomplete code accepted", iter)
				}
				break
			}
		}
	}
	lone := make([]uint8, 30)
	lone[5] = 1
	if !buildTable(table[:], lone, distVals[:], distPrimaryBits) {
		t.Fatal("a lone 1-bit code refused")
	}
	for i := range 1 << distPrimaryBits {
		want := uint32(0)
		if i&1 == 0 {
			want = distVals[5] + 1<<8 + 1
		}
		if table[i] != want {
			t.Fatalf("lone code: entry %d is %#x, want %#x", i, table[i], want)
		}
	}
}
