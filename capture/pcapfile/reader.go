package pcapfile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/apitap/apitap/capture"
)

// bufferSize is the read buffer: large enough that syscalls cost nothing per packet.
const bufferSize = 1 << 20

// Magic numbers, as the first four bytes appear in the file.
const (
	magicMicroLE = 0xd4c3b2a1 // a1b2c3d4 written little-endian
	magicMicroBE = 0xa1b2c3d4
	magicNanoLE  = 0x4d3cb2a1 // a1b23c4d written little-endian
	magicNanoBE  = 0xa1b23c4d
	magicNg      = 0x0a0d0d0a // section header block type, same in both byte orders
)

// Reader reads frames from a capture file. It implements capture.Source and
// capture.PacketLinkTyper. It is not safe for concurrent use, except Offset and Size.
type Reader struct {
	path     string
	f        *os.File
	counter  *countingReader
	size     int64
	gz       *gzip.Reader
	pcap     *classic
	ng       *pcapgo.NgReader
	framing  *ngFraming
	linkType layers.LinkType
	err      error // sticky: once set, ReadPacket returns it
}

var (
	_ capture.Source          = (*Reader)(nil)
	_ capture.PacketLinkTyper = (*Reader)(nil)
	_ capture.InfoReader      = (*Reader)(nil)
)

// Open opens the capture file at path and reads its header. The file may be classic pcap,
// pcapng, or either compressed with gzip.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in our message
		}
		return nil, fmt.Errorf("open pcap %s: %w", path, err)
	}
	r, err := newReader(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func newReader(path string, f *os.File) (*Reader, error) {
	r := &Reader{path: path, f: f, counter: &countingReader{r: f}}
	if st, err := f.Stat(); err == nil {
		r.size = st.Size()
	}
	br := bufio.NewReaderSize(r.counter, bufferSize)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, r.peekError(err)
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		if r.gz, err = gzip.NewReader(br); err != nil {
			return nil, fmt.Errorf("open pcap %s: read gzip header: %w", path, err)
		}
		br = bufio.NewReaderSize(r.gz, bufferSize)
		if magic, err = br.Peek(4); err != nil {
			return nil, r.peekError(err)
		}
	}
	switch binary.BigEndian.Uint32(magic) {
	case magicMicroLE, magicMicroBE, magicNanoLE, magicNanoBE:
		return r.openPcap(br)
	case magicNg:
		return r.openNg(br)
	default:
		return nil, r.notCapture()
	}
}

// peekError reports a failure to read a file's first bytes: too short to be a capture, or
// unreadable (a directory, a corrupt gzip stream).
func (r *Reader) peekError(err error) error {
	if errors.Is(err, io.EOF) {
		return r.notCapture()
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("read pcap %s: %w", r.path, err)
}

func (r *Reader) notCapture() error {
	return fmt.Errorf("%s: not a pcap or pcapng file", r.path)
}

func (r *Reader) openPcap(br *bufio.Reader) (*Reader, error) {
	hdr, err := br.Peek(24)
	if err != nil {
		return nil, r.notCapture()
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if m := binary.BigEndian.Uint32(hdr); m == magicMicroBE || m == magicNanoBE {
		order = binary.BigEndian
	}
	// pcapgo keeps only the low 8 bits of the link type; read the full field ourselves.
	r.linkType = capture.LinkTypeFromHeader(order.Uint32(hdr[20:24]))
	c := &classic{br: br, bigEndian: order == binary.BigEndian, nanos: 1000, snaplen: order.Uint32(hdr[16:20])}
	if m := binary.BigEndian.Uint32(hdr); m == magicNanoLE || m == magicNanoBE {
		c.nanos = 1
	}
	// pcapgo validates the file header (and reuses br as is: it is
	// already a bufio.Reader of at least its default size); records are
	// read by classic, straight out of br's buffer.
	if _, err = pcapgo.NewReader(br); err != nil {
		return nil, fmt.Errorf("open pcap %s: %w", r.path, err)
	}
	r.pcap = c
	return r, nil
}

// classic reads the records of a pcap file as pcapgo does (same checks,
// same errors), but returns each frame where it lies in the read buffer
// instead of copying it out.
type classic struct {
	br        *bufio.Reader
	bigEndian bool   // the file's byte order (a bool, not a binary.ByteOrder: no interface calls per record)
	nanos     uint32 // timestamp fraction unit in ns
	snaplen   uint32
	big       bytes.Buffer // frames larger than br's buffer
}

// read returns the next frame, valid until the next call. Like pcapgo it
// returns io.EOF at a record boundary; a record cut short returns
// io.ErrUnexpectedEOF.
func (c *classic) read(ci *gopacket.CaptureInfo) (data []byte, err error) {
	hdr, err := c.br.Peek(16)
	if err != nil {
		*ci = gopacket.CaptureInfo{} // no record header: nothing of the last frame's stays
		if len(hdr) == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if ci.InterfaceIndex != 0 || ci.AncillaryData != nil {
		*ci = gopacket.CaptureInfo{}
	}
	sec, frac := binary.LittleEndian.Uint32(hdr[0:4]), binary.LittleEndian.Uint32(hdr[4:8])
	incl, orig := binary.LittleEndian.Uint32(hdr[8:12]), binary.LittleEndian.Uint32(hdr[12:16])
	if c.bigEndian {
		sec, frac, incl, orig = bits.ReverseBytes32(sec), bits.ReverseBytes32(frac), bits.ReverseBytes32(incl), bits.ReverseBytes32(orig)
	}
	ci.Timestamp = time.Unix(int64(sec), int64(frac*c.nanos)).UTC()
	ci.CaptureLength = int(incl)
	ci.Length = int(orig)
	if ci.CaptureLength > int(c.snaplen) {
		return nil, fmt.Errorf("capture length exceeds snap length: %d > %d", ci.CaptureLength, c.snaplen)
	}
	if ci.CaptureLength > ci.Length {
		return nil, fmt.Errorf("capture length exceeds original packet length: %d > %d", ci.CaptureLength, ci.Length)
	}
	n := 16 + ci.CaptureLength
	if n <= c.br.Size() {
		rec, err := c.br.Peek(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		_, _ = c.br.Discard(n) // cannot fail: the bytes are buffered
		return rec[16:], nil
	}
	_, _ = c.br.Discard(16) // buffered: Peek(16) succeeded
	// Grown as the bytes come: a corrupt length in a cut file costs no
	// more memory than the file holds.
	c.big.Reset()
	if _, err := c.big.ReadFrom(io.LimitReader(c.br, int64(ci.CaptureLength))); err != nil {
		return nil, err
	}
	if c.big.Len() < ci.CaptureLength {
		return nil, io.ErrUnexpectedEOF
	}
	return c.big.Bytes(), nil
}

func (r *Reader) openNg(br *bufio.Reader) (*Reader, error) {
	r.linkType = firstInterfaceLinkType(br)
	r.framing = &ngFraming{r: br}
	var err error
	// WantMixedLinkType: without it pcapgo silently drops frames of every interface whose
	// link type differs from the first one's.
	r.ng, err = pcapgo.NewNgReader(r.framing, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("open pcap %s: %w", r.path, capture.ErrTruncated)
		}
		return nil, fmt.Errorf("open pcap %s: %w", r.path, err)
	}
	return r, nil
}

// firstInterfaceLinkType peeks at the block after the first section header and returns its
// link type when it is an interface description block, at full width. pcapgo reads
// interfaces lazily and truncates their link types to 8 bits.
func firstInterfaceLinkType(br *bufio.Reader) layers.LinkType {
	hdr, err := br.Peek(12)
	if err != nil {
		return capture.LinkTypeUnknown
	}
	var order binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(hdr[8:12]) == 0x1a2b3c4d {
		order = binary.BigEndian
	}
	shbLen := int(order.Uint32(hdr[4:8]))
	if shbLen < 28 || shbLen > bufferSize-16 {
		return capture.LinkTypeUnknown
	}
	b, err := br.Peek(shbLen + 10)
	if err != nil || order.Uint32(b[shbLen:]) != 1 { // 1: interface description block
		return capture.LinkTypeUnknown
	}
	return capture.LinkTypeFromHeader(uint32(order.Uint16(b[shbLen+8:])))
}

// ReadPacket returns the next frame; data is valid until the next call. It returns io.EOF at
// the end of the file, and an error wrapping capture.ErrTruncated, after every complete frame,
// when the file ends in the middle of a record.
func (r *Reader) ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error) {
	data, err = r.ReadPacketInto(&ci)
	return data, ci, err
}

// ReadPacketInto is ReadPacket writing the capture info into *ci (capture.InfoReader); on an
// error *ci is zeroed.
func (r *Reader) ReadPacketInto(ci *gopacket.CaptureInfo) (data []byte, err error) {
	if r.err != nil {
		*ci = gopacket.CaptureInfo{}
		return nil, r.err
	}
	if r.ng != nil {
		data, *ci, err = r.ng.ZeroCopyReadPacketData()
	} else {
		data, err = r.pcap.read(ci)
	}
	if err != nil {
		r.err = r.readError(err, *ci)
		*ci = gopacket.CaptureInfo{}
		return nil, r.err
	}
	return data, nil
}

func (r *Reader) readError(err error, ci gopacket.CaptureInfo) error {
	truncated := errors.Is(err, io.ErrUnexpectedEOF)
	if errors.Is(err, io.EOF) {
		if r.ng != nil {
			if r.framing.corrupt {
				return fmt.Errorf("read pcap %s: bad pcapng block length %d", r.path, r.framing.badLength)
			}
			truncated = !r.framing.atBoundary()
		} else {
			// pcapgo reports io.EOF when a record header was read but none of its data.
			truncated = ci.CaptureLength > 0
		}
		if !truncated {
			return io.EOF
		}
	}
	if truncated {
		return fmt.Errorf("read pcap %s: %w", r.path, capture.ErrTruncated)
	}
	return fmt.Errorf("read pcap %s: %w", r.path, err)
}

// LinkType returns the link type of the file; for pcapng, that of its first interface.
func (r *Reader) LinkType() layers.LinkType { return r.linkType }

// LinkTypeOf returns the link type of the frame ci (from the last ReadPacket) describes: for
// pcapng, the link type of the interface that captured it.
func (r *Reader) LinkTypeOf(ci gopacket.CaptureInfo) layers.LinkType {
	if r.ng != nil && len(ci.AncillaryData) > 0 {
		if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			return lt
		}
	}
	return r.linkType
}

// Size returns the size of the file in bytes (compressed size for gzip files).
func (r *Reader) Size() int64 { return r.size }

// Offset returns how many bytes of the file have been read so far; compare it with Size for
// progress. It runs ahead of the frames returned by up to the buffer size (1 MiB). It is safe
// to call from another goroutine.
func (r *Reader) Offset() int64 { return r.counter.n.Load() }

// Path returns the path the reader was opened with.
func (r *Reader) Path() string { return r.path }

// Close closes the file. It is idempotent; after Close, ReadPacket returns an error.
func (r *Reader) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	r.err = fmt.Errorf("read pcap %s: %w", r.path, os.ErrClosed)
	if err != nil {
		return fmt.Errorf("close pcap %s: %w", r.path, err)
	}
	return nil
}

// countingReader counts the bytes read from the file for progress reporting.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// ngFraming follows pcapng block boundaries as bytes pass through to pcapgo, which reports a
// file cut in the middle of a block as a plain io.EOF: at the end of input, being between two
// blocks tells a complete file from a truncated one.
type ngFraming struct {
	r         io.Reader
	hdr       [12]byte
	have      int    // bytes of the current block header collected
	skip      uint32 // bytes of the current block body still to pass
	bigEndian bool
	corrupt   bool // a block length that cannot be was seen; sticky
	badLength uint32
}

func (f *ngFraming) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.track(p[:n])
	return n, err
}

func (f *ngFraming) atBoundary() bool { return f.have == 0 && f.skip == 0 }

func (f *ngFraming) track(b []byte) {
	for len(b) > 0 && !f.corrupt {
		if f.skip > 0 {
			k := min(uint32(len(b)), f.skip)
			f.skip -= k
			b = b[k:]
			continue
		}
		need := 8
		if f.have >= 4 && binary.BigEndian.Uint32(f.hdr[:4]) == magicNg {
			need = 12 // a section header's byte-order magic decides how to read its length
		}
		k := copy(f.hdr[f.have:need], b)
		f.have += k
		b = b[k:]
		if f.have < need {
			continue
		}
		if need == 8 && binary.BigEndian.Uint32(f.hdr[:4]) == magicNg {
			continue // a section header: collect its byte-order magic too
		}
		if need == 12 {
			f.bigEndian = binary.BigEndian.Uint32(f.hdr[8:12]) == 0x1a2b3c4d
		}
		var length uint32
		if f.bigEndian {
			length = binary.BigEndian.Uint32(f.hdr[4:8])
		} else {
			length = binary.LittleEndian.Uint32(f.hdr[4:8])
		}
		if length < 12 || length%4 != 0 {
			f.corrupt, f.badLength = true, length
			return
		}
		f.skip = length - uint32(need)
		f.have = 0
	}
}
