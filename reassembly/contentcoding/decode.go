package contentcoding

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	// klauspost's inflate (a fork of the standard library's, same API)
	// decoded the bench pcap's gzip bodies 1.4-1.7 times as fast.
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// ErrUnknownCoding is returned (wrapped) for a content coding Decode does
// not implement.
var ErrUnknownCoding = errors.New("unknown content coding")

type coding uint8

const (
	cIdentity coding = iota
	cGzip
	cDeflate
	cBrotli
)

// maxCodings bounds how many stacked codings are undone; more is abuse.
const maxCodings = 4

// Decode decodes src (a body as transferred) according to a
// Content-Encoding header value ("gzip", "x-gzip", "deflate" (zlib-wrapped
// or raw), "br", "identity", "", or a list like "gzip, br", undone in
// reverse order). It appends at most limit decoded bytes to dst and
// returns the extended slice.
//
// truncated reports that more output existed than limit, or that src ended
// early: a capped or cut body decodes as far as it goes, without error.
// err is non-nil for an unknown coding or corrupt data; out then holds dst
// followed by src unchanged (up to limit).
func Decode(dst []byte, encoding string, src []byte, limit int) (out []byte, truncated bool, err error) {
	if limit < 0 {
		limit = 0
	}
	var list [maxCodings]coding
	n, err := parseCodings(encoding, &list)
	if err != nil {
		return failed(dst, src, limit, err)
	}
	if n == 0 || len(src) == 0 {
		out, truncated, _ = appendCapped(dst, src, limit)
		return out, truncated, nil
	}
	cur := src
	for i := n - 1; i >= 1; i-- {
		// Intermediate stages are capped like the last: compressed data is
		// rarely larger than its decoding, and the cap is what bounds memory.
		mid, tr, derr := decodeOne(nil, list[i], cur, limit)
		if derr != nil {
			return failed(dst, src, limit, derr)
		}
		truncated = truncated || tr
		cur = mid
	}
	out, tr, derr := decodeOne(dst, list[0], cur, limit)
	if derr != nil {
		return failed(dst, src, limit, derr)
	}
	return out, truncated || tr, nil
}

// failed returns src as transferred (capped) with err.
func failed(dst, src []byte, limit int, err error) ([]byte, bool, error) {
	out, truncated, _ := appendCapped(dst, src, limit)
	return out, truncated, err
}

// appendCapped appends src to dst up to limit bytes.
func appendCapped(dst, src []byte, limit int) ([]byte, bool, error) {
	if len(src) > limit {
		return append(dst, src[:limit]...), true, nil
	}
	return append(dst, src...), false, nil
}

// parseCodings fills list with the codings of a Content-Encoding value in
// wire order, skipping identity.
func parseCodings(v string, list *[maxCodings]coding) (int, error) {
	n := 0
	for v != "" {
		part := v
		if c := strings.IndexByte(v, ','); c >= 0 {
			part, v = v[:c], v[c+1:]
		} else {
			v = ""
		}
		part = strings.Trim(part, " \t")
		var c coding
		switch {
		case part == "" || strings.EqualFold(part, "identity"):
			continue
		case strings.EqualFold(part, "gzip") || strings.EqualFold(part, "x-gzip"):
			c = cGzip
		case strings.EqualFold(part, "deflate"):
			c = cDeflate
		case strings.EqualFold(part, "br"):
			c = cBrotli
		default:
			return 0, fmt.Errorf("decode %q: %w", part, ErrUnknownCoding)
		}
		if n == maxCodings {
			return 0, fmt.Errorf("decode %d codings: too many", n+1)
		}
		list[n] = c
		n++
	}
	return n, nil
}

// Pooled decompressors, each with its own source reader so that a call
// allocates neither.
type gzipState struct {
	src bytes.Reader
	r   *gzip.Reader
}

type zlibState struct {
	src bytes.Reader
	r   io.ReadCloser
}

type flateState struct {
	src bytes.Reader
	r   io.ReadCloser
}

type brState struct {
	src bytes.Reader
	r   *brotli.Reader
}

var (
	gzipPool  = sync.Pool{New: func() any { return new(gzipState) }}
	zlibPool  = sync.Pool{New: func() any { return new(zlibState) }}
	flatePool = sync.Pool{New: func() any { return new(flateState) }}
	brPool    = sync.Pool{New: func() any { return new(brState) }}
)

// isZlib tells a zlib header (RFC 1950) from raw deflate, since servers
// send both as "deflate".
func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// oneShot enables the one-shot inflater (inflate.go) in front of the
// streaming decoders; tests turn it off to compare both.
var oneShot = true

func decodeOne(dst []byte, c coding, src []byte, limit int) ([]byte, bool, error) {
	switch c {
	case cGzip:
		if oneShot {
			if out, ok := fastGzip(dst, src, limit); ok {
				return out, false, nil
			}
		}
		st := gzipPool.Get().(*gzipState)
		defer gzipPool.Put(st)
		st.src.Reset(src)
		var err error
		if st.r == nil {
			st.r, err = gzip.NewReader(&st.src)
		} else {
			err = st.r.Reset(&st.src)
		}
		if err != nil {
			st.r = nil // a reader whose Reset failed is not reused
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return dst, true, nil
			}
			return dst, false, fmt.Errorf("read gzip header: %w", err)
		}
		return readCapped(slices.Grow(dst, gzipSizeHint(src, limit)), st.r, limit)
	case cDeflate:
		if isZlib(src) {
			if oneShot {
				if out, ok := fastZlib(dst, src, limit); ok {
					return out, false, nil
				}
			}
			st := zlibPool.Get().(*zlibState)
			defer zlibPool.Put(st)
			st.src.Reset(src)
			var err error
			if st.r == nil {
				st.r, err = zlib.NewReader(&st.src)
			} else {
				err = st.r.(zlib.Resetter).Reset(&st.src, nil)
			}
			if err != nil {
				st.r = nil
				if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
					return dst, true, nil
				}
				return dst, false, fmt.Errorf("read zlib header: %w", err)
			}
			return readCapped(dst, st.r, limit)
		}
		st := flatePool.Get().(*flateState)
		defer flatePool.Put(st)
		st.src.Reset(src)
		if st.r == nil {
			st.r = flate.NewReader(&st.src)
		} else if err := st.r.(flate.Resetter).Reset(&st.src, nil); err != nil {
			return dst, false, fmt.Errorf("reset deflate: %w", err)
		}
		return readCapped(dst, st.r, limit)
	case cBrotli:
		st := brPool.Get().(*brState)
		defer brPool.Put(st)
		st.src.Reset(src)
		if st.r == nil {
			st.r = brotli.NewReader(&st.src)
		} else if err := st.r.Reset(&st.src); err != nil {
			return dst, false, fmt.Errorf("reset brotli: %w", err)
		}
		return readCapped(dst, st.r, limit)
	}
	out, tr, _ := appendCapped(dst, src, limit)
	return out, tr, nil
}

// gzipSizeHint guesses the decoded size of a gzip body from its trailer
// (ISIZE: the input size mod 2^32), so the output is allocated once. A
// cut or concatenated body makes the hint wrong, never the output: it is
// bounded by limit+1 and by 64 times the compressed size (DEFLATE's
// ratio is at most 1032:1, real bodies far less), and readCapped grows
// past it when needed.
func gzipSizeHint(src []byte, limit int) int {
	if len(src) < 18 {
		return 0
	}
	t := src[len(src)-4:]
	n := int(uint32(t[0]) | uint32(t[1])<<8 | uint32(t[2])<<16 | uint32(t[3])<<24)
	return max(0, min(n+1, limit+1, 64*len(src)))
}

// readCapped appends r's output to dst, reading at most limit+1 bytes so
// that it can tell "exactly limit" from "more than limit".
func readCapped(dst []byte, r io.Reader, limit int) ([]byte, bool, error) {
	start := len(dst)
	end := start + limit + 1
	for {
		if len(dst) == cap(dst) {
			// Grow geometrically, but never past limit+1 bytes of output.
			dst = slices.Grow(dst, min(end-len(dst), cap(dst)-start+512))
		}
		buf := dst[len(dst):min(cap(dst), end)]
		n, err := r.Read(buf)
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst[:start+limit], true, nil
		}
		switch {
		case err == nil:
		case err == io.EOF:
			return dst, false, nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return dst, true, nil
		default:
			return dst[:start], false, fmt.Errorf("decode: %w", err)
		}
	}
}
