package pcapfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/apitap/apitap/capture"
)

// corpusDir holds the suricata-verify pcaps shared by the team.
const corpusDir = "../../../shared/corpus/suricata-verify"

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

func frames(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte{byte(i + 1)}, 60+i*7)
	}
	return out
}

func ciFor(i int, data []byte) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(data), Length: len(data)}
}

func writePcap(t testing.TB, nanos bool, lt layers.LinkType, pkts [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	}
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		if err := w.WritePacket(ciFor(i, p), p); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// toBigEndian rewrites a little-endian classic pcap (as pcapgo writes it) in big-endian order.
func toBigEndian(t testing.TB, le []byte) []byte {
	t.Helper()
	be := bytes.Clone(le)
	swap32 := func(b []byte) { binary.BigEndian.PutUint32(b, binary.LittleEndian.Uint32(b)) }
	swap16 := func(b []byte) { binary.BigEndian.PutUint16(b, binary.LittleEndian.Uint16(b)) }
	swap32(be[0:])
	swap16(be[4:])
	swap16(be[6:])
	for off := 8; off < 24; off += 4 {
		swap32(be[off:])
	}
	for off := 24; off < len(be); {
		for k := 0; k < 16; k += 4 {
			swap32(be[off+k:])
		}
		off += 16 + int(binary.BigEndian.Uint32(be[off+8:]))
	}
	return be
}

func writeNg(t *testing.T, lts []layers.LinkType, pkts [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: lts[0], SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, lt := range lts[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{LinkType: lt, SnapLength: 65535}); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range pkts {
		ci := ciFor(i, p)
		ci.InterfaceIndex = i % len(lts)
		if err := w.WritePacket(ci, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type readResult struct {
	data [][]byte
	cis  []gopacket.CaptureInfo
	lts  []layers.LinkType
	err  error // the error that ended reading (nil for io.EOF)
}

// readAll reads every frame of path with ReadPacket, and again with
// ReadPacketInto into one reused variable (as the engine reads), and fails
// when the two readings differ in anything.
func readAll(t *testing.T, path string) (*Reader, readResult) {
	t.Helper()
	r, res := readAllWith(t, path, false)
	_, into := readAllWith(t, path, true)
	if !reflect.DeepEqual(res, into) {
		t.Fatalf("ReadPacketInto read %d frames (error %v), ReadPacket %d (error %v), or other bytes or capture info", len(into.data), into.err, len(res.data), res.err)
	}
	return r, res
}

func readAllWith(t *testing.T, path string, into bool) (*Reader, readResult) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	var res readResult
	var reused gopacket.CaptureInfo
	for {
		var data []byte
		var ci gopacket.CaptureInfo
		if into {
			data, err = r.ReadPacketInto(&reused)
			ci = reused
			if err != nil && !reflect.DeepEqual(ci, gopacket.CaptureInfo{}) {
				t.Errorf("ReadPacketInto left capture info %+v with error %v", ci, err)
			}
		} else {
			data, ci, err = r.ReadPacket()
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.err = err
			break
		}
		res.data = append(res.data, bytes.Clone(data))
		res.cis = append(res.cis, ci)
		res.lts = append(res.lts, capture.LinkTypeOf(r, ci))
	}
	return r, res
}

func TestReadFormats(t *testing.T) {
	pkts := frames(5)
	tests := []struct {
		name   string
		file   func(t *testing.T) []byte
		lt     layers.LinkType
		perPkt []layers.LinkType // nil: all lt
		tsRes  time.Duration     // timestamp resolution the format keeps
	}{
		{"pcap micro LE", func(t *testing.T) []byte { return writePcap(t, false, layers.LinkTypeEthernet, pkts) }, layers.LinkTypeEthernet, nil, time.Microsecond},
		{"pcap nano LE", func(t *testing.T) []byte { return writePcap(t, true, layers.LinkTypeLinuxSLL, pkts) }, layers.LinkTypeLinuxSLL, nil, time.Nanosecond},
		{"pcap micro BE", func(t *testing.T) []byte { return toBigEndian(t, writePcap(t, false, layers.LinkTypeRaw, pkts)) }, layers.LinkTypeRaw, nil, time.Microsecond},
		{"pcap nano BE", func(t *testing.T) []byte { return toBigEndian(t, writePcap(t, true, layers.LinkTypeNull, pkts)) }, layers.LinkTypeNull, nil, time.Nanosecond},
		{"pcap SLL2 (276)", func(t *testing.T) []byte {
			b := writePcap(t, false, layers.LinkTypeEthernet, pkts)
			binary.LittleEndian.PutUint32(b[20:], 276)
			return b
		}, capture.LinkTypeLinuxSLL2, nil, time.Microsecond},
		{"pcap unknown link type 270", func(t *testing.T) []byte {
			b := writePcap(t, false, layers.LinkTypeEthernet, pkts)
			binary.LittleEndian.PutUint32(b[20:], 270) // would truncate to 14, raw IP on some platforms
			return b
		}, capture.LinkTypeUnknown, nil, time.Microsecond},
		{"pcap gzip", func(t *testing.T) []byte { return gz(t, writePcap(t, true, layers.LinkTypeEthernet, pkts)) }, layers.LinkTypeEthernet, nil, time.Nanosecond},
		{"pcapng", func(t *testing.T) []byte { return writeNg(t, []layers.LinkType{layers.LinkTypeEthernet}, pkts) }, layers.LinkTypeEthernet, nil, time.Nanosecond},
		{"pcapng gzip", func(t *testing.T) []byte { return gz(t, writeNg(t, []layers.LinkType{layers.LinkTypeRaw}, pkts)) }, layers.LinkTypeRaw, nil, time.Nanosecond},
		{"pcapng mixed link types", func(t *testing.T) []byte {
			return writeNg(t, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, capture.LinkTypeLinuxSLL2}, pkts)
		}, layers.LinkTypeEthernet, []layers.LinkType{
			layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, capture.LinkTypeLinuxSLL2, layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL,
		}, time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.file(t)
			path := writeFile(t, "f.cap", b)
			r, res := readAll(t, path)
			if res.err != nil {
				t.Fatalf("ReadPacket: %v", res.err)
			}
			if r.LinkType() != tt.lt {
				t.Errorf("LinkType = %d, want %d", r.LinkType(), tt.lt)
			}
			if len(res.data) != len(pkts) {
				t.Fatalf("read %d packets, want %d", len(res.data), len(pkts))
			}
			for i := range pkts {
				if !bytes.Equal(res.data[i], pkts[i]) {
					t.Errorf("packet %d differs", i)
				}
				want := ciFor(i, pkts[i]).Timestamp.Truncate(tt.tsRes)
				if !res.cis[i].Timestamp.Equal(want) {
					t.Errorf("packet %d timestamp = %v, want %v", i, res.cis[i].Timestamp, want)
				}
				wantLT := tt.lt
				if tt.perPkt != nil {
					wantLT = tt.perPkt[i]
				}
				if res.lts[i] != wantLT {
					t.Errorf("packet %d link type = %d, want %d", i, res.lts[i], wantLT)
				}
			}
			if r.Size() != int64(len(b)) || r.Offset() != r.Size() {
				t.Errorf("Size = %d, Offset = %d, want both %d", r.Size(), r.Offset(), len(b))
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if _, _, err := r.ReadPacket(); err == nil || errors.Is(err, io.EOF) {
				t.Errorf("ReadPacket after Close = %v, want an error", err)
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	pkts := frames(4)
	pcap := writePcap(t, false, layers.LinkTypeEthernet, pkts)
	ng := writeNg(t, []layers.LinkType{layers.LinkTypeEthernet}, pkts)
	last := len(pkts[3])
	tests := []struct {
		name     string
		b        []byte
		complete int
	}{
		{"pcap cut in record data", pcap[:len(pcap)-10], 3},
		{"pcap cut after record header", pcap[:len(pcap)-last], 3},
		{"pcap cut in record header", pcap[:len(pcap)-last-5], 3},
		{"pcapng cut in block", ng[:len(ng)-10], 3},
		{"pcapng cut in block header", ng[:len(ng)-(last+32+3)+4], 3},
		{"gzip pcap cut in record", gz(t, pcap[:len(pcap)-10]), 3},
		{"gzip stream cut", func() []byte { z := gz(t, pcap); return z[:len(z)-12] }(), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "cut.pcap", tt.b)
			_, res := readAll(t, path)
			if !errors.Is(res.err, capture.ErrTruncated) {
				t.Fatalf("error = %v, want capture.ErrTruncated", res.err)
			}
			if !strings.Contains(res.err.Error(), path) {
				t.Errorf("error %q does not name the file", res.err)
			}
			if tt.complete >= 0 && len(res.data) != tt.complete {
				t.Errorf("read %d packets before the error, want %d", len(res.data), tt.complete)
			}
			for i := range res.data {
				if !bytes.Equal(res.data[i], pkts[i]) {
					t.Errorf("packet %d differs", i)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pcap")
	text := writeFile(t, "notes.txt", []byte("hello, this is not a capture file\n"))
	empty := writeFile(t, "empty.pcap", nil)
	gzText := writeFile(t, "notes.pcap.gz", gz(t, []byte("plain text inside gzip")))
	tests := []struct {
		path string
		want string
	}{
		{missing, "open pcap " + missing + ": no such file or directory"},
		{text, text + ": not a pcap or pcapng file"},
		{empty, empty + ": not a pcap or pcapng file"},
		{gzText, gzText + ": not a pcap or pcapng file"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			r, err := Open(tt.path)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded")
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
		})
	}
}

// Expected packet counts come from `tcpdump -r F 2>/dev/null | wc -l`.
func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "input.pcap"))
	if len(files) == 0 {
		t.Skipf("no corpus pcaps under %s", corpusDir)
	}
	want := map[string]struct {
		packets   int
		lt        layers.LinkType
		truncated bool
	}{
		"http-all-headers":      {34, layers.LinkTypeEthernet, false},
		"http-async":            {16, layers.LinkTypeNull, false},
		"http-ipv6":             {14, layers.LinkTypeNull, false},
		"http-mime-truncated":   {2696, layers.LinkTypeEthernet, true},
		"http-range-multiflows": {614, layers.LinkTypeNull, false},
		"http-request-invalid":  {52, layers.LinkTypeEthernet, false},
		"http-request-line":     {1, layers.LinkTypeEthernet, false},
		"http2-long-frame":      {60, layers.LinkTypeEthernet, false},
	}
	seen := 0
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			r, res := readAll(t, f)
			if res.err != nil && !errors.Is(res.err, capture.ErrTruncated) {
				t.Fatalf("ReadPacket: %v", res.err)
			}
			w, ok := want[name]
			if !ok {
				return
			}
			seen++
			if len(res.data) != w.packets {
				t.Errorf("read %d packets, tcpdump reads %d", len(res.data), w.packets)
			}
			if r.LinkType() != w.lt {
				t.Errorf("LinkType = %d, want %d", r.LinkType(), w.lt)
			}
			if got := errors.Is(res.err, capture.ErrTruncated); got != w.truncated {
				t.Errorf("truncated = %v (%v), want %v", got, res.err, w.truncated)
			}
		})
	}
	if seen != len(want) {
		t.Errorf("checked %d of the %d named corpus files", seen, len(want))
	}
}

func BenchmarkReadPacket(b *testing.B) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	pkt := make([]byte, 200)
	for i := 0; i < 100000; i++ {
		w.WritePacket(ciFor(i, pkt), pkt)
	}
	path := filepath.Join(b.TempDir(), "bench.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := r.ReadPacket(); err != nil {
			r.Close()
			if r, err = Open(path); err != nil {
				b.Fatal(err)
			}
		}
	}
	r.Close()
}

func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("error = %v", err)
	}
}

func BenchmarkReadPacketNg(b *testing.B) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		b.Fatal(err)
	}
	pkt := make([]byte, 200)
	for i := 0; i < 100000; i++ {
		w.WritePacket(ciFor(i, pkt), pkt)
	}
	w.Flush()
	path := filepath.Join(b.TempDir(), "bench.pcapng")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := r.ReadPacket(); err != nil {
			r.Close()
			if r, err = Open(path); err != nil {
				b.Fatal(err)
			}
		}
	}
	r.Close()
}

// TestLargeFrames: frames are returned from the read buffer in place,
// except those larger than the buffer, which are copied out; both kinds,
// interleaved, read back intact, and a cut large frame is truncation.
func TestLargeFrames(t *testing.T) {
	pkts := [][]byte{
		bytes.Repeat([]byte{1}, 100),
		bytes.Repeat([]byte{2}, bufferSize+100),
		bytes.Repeat([]byte{3}, 60),
		bytes.Repeat([]byte{4}, bufferSize-16),
		bytes.Repeat([]byte{5}, 2*bufferSize),
	}
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(4*bufferSize, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		if err := w.WritePacket(ciFor(i, p), p); err != nil {
			t.Fatal(err)
		}
	}
	_, res := readAll(t, writeFile(t, "large.pcap", buf.Bytes()))
	if res.err != nil || len(res.data) != len(pkts) {
		t.Fatalf("read %d frames, err %v; want %d", len(res.data), res.err, len(pkts))
	}
	for i := range pkts {
		if !bytes.Equal(res.data[i], pkts[i]) || !res.cis[i].Timestamp.Equal(ciFor(i, pkts[i]).Timestamp.Truncate(time.Microsecond)) {
			t.Errorf("frame %d differs", i)
		}
	}
	_, res = readAll(t, writeFile(t, "cut.pcap", buf.Bytes()[:buf.Len()-10]))
	if !errors.Is(res.err, capture.ErrTruncated) || len(res.data) != len(pkts)-1 {
		t.Fatalf("cut file: %d frames, err %v; want %d frames and ErrTruncated", len(res.data), res.err, len(pkts)-1)
	}
}

// FuzzReadClassic holds that reading any file never panics and that, for
// classic pcap, the frames returned in place are those pcapgo reads (same
// bytes, same capture info, up to the same record).
func FuzzReadClassic(f *testing.F) {
	f.Add(writePcap(f, false, layers.LinkTypeEthernet, frames(3)))
	f.Add(writePcap(f, true, layers.LinkTypeRaw, frames(2)))
	f.Add(toBigEndian(f, writePcap(f, false, layers.LinkTypeEthernet, frames(2))))
	f.Add(writePcap(f, false, layers.LinkTypeEthernet, frames(2))[:60])
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		path := filepath.Join(dir, "in.pcap")
		if err := os.WriteFile(path, in, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			return
		}
		defer r.Close()
		var got [][]byte
		var gotCI []gopacket.CaptureInfo
		for len(got) < 1000 {
			data, ci, err := r.ReadPacket()
			if err != nil {
				break
			}
			got = append(got, bytes.Clone(data))
			gotCI = append(gotCI, ci)
		}
		if r.pcap == nil || r.pcap.snaplen > 1<<20 {
			// pcapng or gzip: pcapgo reads those itself; a huge snap
			// length: pcapgo would allocate it for a cut record.
			return
		}
		ref, err := pcapgo.NewReader(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("we opened a file pcapgo refuses: %v", err)
		}
		for i := range got {
			data, ci, err := ref.ReadPacketData()
			if err != nil {
				t.Fatalf("frame %d: we read it, pcapgo says %v", i, err)
			}
			if !bytes.Equal(data, got[i]) || !ci.Timestamp.Equal(gotCI[i].Timestamp) || ci.CaptureLength != gotCI[i].CaptureLength || ci.Length != gotCI[i].Length {
				t.Fatalf("frame %d differs from pcapgo's", i)
			}
		}
		if len(got) < 1000 {
			if _, _, err := ref.ReadPacketData(); err == nil {
				t.Fatalf("pcapgo reads a frame %d we did not", len(got))
			}
		}
	})
}
