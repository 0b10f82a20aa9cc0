package contentcoding

import (
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"math/bits"
	"sync"
)

// This file is a one-shot DEFLATE decoder (RFC 1951) for the common case:
// a whole, valid gzip member or zlib stream whose output fits the limit.
// It decodes from the body in memory straight into the output slice (back
// references are copied from the output itself, with no 32 KiB window to
// copy through), refilling a 64-bit bit buffer eight bytes at a time. It
// accepts only what the streaming decoder accepts and gives up on
// anything else: a cut, corrupt or over-long stream, a gzip header with
// optional fields, trailing bytes. Decode then falls back to the
// streaming decoder, which handles those cases (and whose results they
// define), so both paths yield the same bytes.

const (
	litPrimaryBits  = 10
	distPrimaryBits = 8
	// Sub-tables hold the bits past the primary ones (at most 15 in all).
	litSubBits  = 15 - litPrimaryBits
	distSubBits = 15 - distPrimaryBits
	// One sub-table per primary index that has long codes; at most one
	// per code, hence these bounds.
	litTableSize  = 1<<litPrimaryBits + 288<<litSubBits
	distTableSize = 1<<distPrimaryBits + 32<<distSubBits

	entryLink = 1 << 4 // the entry points to a sub-table
	kindLit   = 1 << 5 // a literal byte, or a distance, or a code length
	kindLen   = 1 << 6 // a match length
	kindEOB   = 1 << 7 // end of block
)

// Table entries: bits 0-3 the code length (0: no such code), bits 4-7
// the kind, bits 8-15 the extra bits that follow the code, bits 16-31 the
// value: the literal byte, the base of a length or distance, a code
// length. A link (entryLink) has the sub-table's index bits in bits 0-3
// and its start in bits 16-31. An entry of no kind (symbols 286-287,
// distances 30-31, no code) is rejected when decoded.

// litVals and distVals are the entries of each symbol, less the code
// length; clVals those of the code length alphabet.
var litVals, distVals, clVals = func() (l [288]uint32, d [32]uint32, c [19]uint32) {
	for i := range 256 {
		l[i] = kindLit | uint32(i)<<16
	}
	l[256] = kindEOB
	for i := range 29 {
		l[257+i] = kindLen | uint32(lenExtra[i])<<8 | uint32(lenBase[i])<<16
	}
	for i := range 30 {
		d[i] = kindLit | uint32(distExtra[i])<<8 | distBase[i]<<16
	}
	for i := range c {
		c[i] = kindLit | uint32(i)<<16
	}
	return
}()

var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}

	distBase  = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	// clOrder is the order of the code length code lengths.
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// inflater holds the tables; pooled, since they are 50 KiB.
type inflater struct {
	src   []byte
	pos   int    // next byte of src to load
	bits  uint64 // bits not consumed yet, the next one lowest
	nbits uint   // how many of bits are valid
	virt  int    // zero bytes loaded past the end of src

	lit  [litTableSize]uint32
	dist [distTableSize]uint32
	cl   [1 << 7]uint32
	lens [288 + 32]uint8
}

var inflaterPool = sync.Pool{New: func() any { return new(inflater) }}

var fixedOnce sync.Once
var fixedLit [litTableSize]uint32
var fixedDist [distTableSize]uint32

func fixedTables() {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	// As the streaming decoder does, symbols 286-287 (and distances
	// 30-31) have codes but are rejected when decoded.
	buildTable(fixedLit[:], l[:], litVals[:], litPrimaryBits)
	var d [32]uint8 // 5-bit codes; 30 and 31 are rejected when decoded
	for i := range d {
		d[i] = 5
	}
	buildTable(fixedDist[:], d[:], distVals[:], distPrimaryBits)
}

// refill tops the bit buffer up to at least 56 bits.
func (f *inflater) refill() {
	if f.pos+8 <= len(f.src) {
		f.bits |= binary.LittleEndian.Uint64(f.src[f.pos:]) << f.nbits
		f.pos += int(63-f.nbits) >> 3
		f.nbits |= 56
		return
	}
	for f.nbits <= 56 {
		if f.pos < len(f.src) {
			f.bits |= uint64(f.src[f.pos]) << f.nbits
			f.pos++
		} else {
			f.virt++
		}
		f.nbits += 8
	}
}

// overrun reports whether bits past the end of src were consumed.
func (f *inflater) overrun() bool {
	return f.virt > 0 && f.virt*8 > int(f.nbits)
}

func (f *inflater) take(n uint) uint32 {
	v := uint32(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nbits -= n
	return v
}

// buildTable fills t from code lengths (canonical Huffman codes, read
// LSB first). It requires a complete code, or a single code of length 1,
// as the streaming decoder does, and reports false otherwise. Codes
// longer than primary bits go to sub-tables, each as large as the
// longest code sharing its primary bits needs.
func buildTable(t []uint32, lens []uint8, vals []uint32, primary uint) bool {
	var count [16]uint16
	maxLen := 0
	for _, l := range lens {
		count[l]++
		maxLen = max(maxLen, int(l))
	}
	count[0] = 0
	if maxLen == 0 {
		return false
	}
	var next [16]int
	code := 0
	for l := 1; l <= 15; l++ {
		code = (code + int(count[l-1])) << 1
		next[l] = code
	}
	// Completeness: the codes of length maxLen end at 1<<maxLen.
	if end := next[maxLen] + int(count[maxLen]); end != 1<<maxLen && !(end == 1 && maxLen == 1) {
		return false
	}
	psize := 1 << primary
	clear(t[:psize])
	if maxLen > int(primary) {
		// First pass over the long codes: the primary entry of each
		// prefix notes the sub-table bits it needs.
		nx := next
		for _, l := range lens {
			if uint(l) <= primary {
				if l != 0 {
					nx[l]++
				}
				continue
			}
			p := reverse(nx[l], uint(l)) & (psize - 1)
			nx[l]++
			if need := uint32(l) - uint32(primary); need > t[p]&15 {
				t[p] = entryLink | need
			}
		}
		sub := psize
		for p := range psize {
			if e := t[p]; e&entryLink != 0 {
				size := 1 << (e & 15)
				if sub+size > len(t) {
					return false
				}
				t[p] = uint32(sub)<<16 | e
				sub += size
			}
		}
	}
	for sym, l := range lens {
		if l == 0 {
			continue
		}
		r := reverse(next[l], uint(l))
		next[l]++
		if uint(l) <= primary {
			v := vals[sym] | uint32(l)
			for i := r; i < psize; i += 1 << l {
				t[i] = v
			}
			continue
		}
		e := t[r&(psize-1)]
		base, size := int(e>>16), 1<<(e&15)
		v := vals[sym] | uint32(l)
		for i := r >> primary; i < size; i += 1 << (uint(l) - primary) {
			t[base+i] = v
		}
	}
	return true
}

// reverse reverses the n low bits of c.
func reverse(c int, n uint) int {
	return int(bits.Reverse16(uint16(c)) >> (16 - n))
}

// decodeSym reads one symbol with table t.
func (f *inflater) decodeSym(t []uint32, primary uint) (int, bool) {
	e := t[f.bits&(1<<primary-1)]
	if e&entryLink != 0 {
		e = t[int(e>>16)+int(f.bits>>primary)&(1<<(e&15)-1)]
	}
	n := uint(e & 15)
	if e&kindLit == 0 || n > f.nbits {
		return 0, false
	}
	f.bits >>= n
	f.nbits -= n
	return int(e >> 16), true
}

// inflate decodes the raw DEFLATE stream at the start of src, appending
// to dst; the output may not exceed limit bytes. It returns the extended
// slice and the number of bytes of src the stream used (the last partial
// byte included), or ok false when it gives up.
func (f *inflater) inflate(dst, src []byte, limit int) (out []byte, used int, ok bool) {
	f.src, f.pos, f.bits, f.nbits, f.virt = src, 0, 0, 0, 0
	start := len(dst)
	end := start + limit // output may not pass this length
	out = dst[:cap(dst)]
	n := start
	for {
		f.refill()
		final := f.take(1)
		typ := f.take(2)
		var lit *[litTableSize]uint32
		var dist *[distTableSize]uint32
		switch typ {
		case 0:
			// Stored: skip to a byte boundary, then LEN and NLEN.
			f.take(f.nbits & 7)
			p := f.pos - int(f.nbits>>3)
			f.bits, f.nbits = 0, 0
			if f.virt > 0 || p+4 > len(src) {
				return nil, 0, false
			}
			ln := int(binary.LittleEndian.Uint16(src[p:]))
			if uint16(ln) != ^binary.LittleEndian.Uint16(src[p+2:]) || p+4+ln > len(src) {
				return nil, 0, false
			}
			if n+ln > len(out) {
				if out = grow(out, n, n+ln, end); out == nil {
					return nil, 0, false
				}
			}
			n += copy(out[n:], src[p+4:p+4+ln])
			f.pos = p + 4 + ln
			if final == 1 {
				return out[:n], f.pos, true
			}
			continue
		case 1:
			fixedOnce.Do(fixedTables)
			lit, dist = &fixedLit, &fixedDist
		case 2:
			if !f.readDynamic() {
				return nil, 0, false
			}
			lit, dist = &f.lit, &f.dist
		default:
			return nil, 0, false
		}
		var ok bool
		if out, n, ok = f.block(out, n, start, end, lit, dist); !ok {
			return nil, 0, false
		}
		if f.overrun() {
			return nil, 0, false
		}
		if final == 1 {
			f.take(f.nbits & 7)
			return out[:n], f.pos + f.virt - int(f.nbits>>3), true
		}
	}
}

// block decodes the symbols of one Huffman block into out (n bytes used,
// the stream's output starting at start, not to pass end) up to its end
// of block. The bit buffer lives in locals here: this is the hot loop.
func (f *inflater) block(out []byte, n, start, end int, lit *[litTableSize]uint32, dist *[distTableSize]uint32) ([]byte, int, bool) {
	src, pos, virt := f.src, f.pos, f.virt
	bits, nbits := f.bits, f.nbits
	defer func() { f.pos, f.virt, f.bits, f.nbits = pos, virt, bits, nbits }()
	for {
		if nbits < 48 {
			if pos+8 <= len(src) {
				bits |= binary.LittleEndian.Uint64(src[pos:]) << nbits
				pos += int(63-nbits) >> 3
				nbits |= 56
			} else {
				for nbits <= 56 {
					if pos < len(src) {
						bits |= uint64(src[pos]) << nbits
						pos++
					} else {
						virt++
					}
					nbits += 8
				}
				if virt > 0 && virt*8 > int(nbits) {
					return out, n, false
				}
			}
		}
		e := lit[bits&(1<<litPrimaryBits-1)]
		if e&entryLink != 0 {
			e = lit[int(e>>16)+int(bits>>litPrimaryBits)&(1<<(e&15)-1)]
		}
		cl := e & 15
		bits >>= cl
		nbits -= uint(cl)
		if e&kindLit != 0 {
			if n >= len(out) {
				if out = grow(out, n, n+1, end); out == nil {
					return out, n, false
				}
			}
			out[n] = byte(e >> 16)
			n++
			// A second literal needs at most 15 more bits; at least 33
			// are left. Anything else is decoded again at the top.
			e = lit[bits&(1<<litPrimaryBits-1)]
			if e&kindLit == 0 {
				continue
			}
			cl = e & 15
			bits >>= cl
			nbits -= uint(cl)
			if n >= len(out) {
				if out = grow(out, n, n+1, end); out == nil {
					return out, n, false
				}
			}
			out[n] = byte(e >> 16)
			n++
			continue
		}
		if e&kindLen == 0 {
			return out, n, e&kindEOB != 0
		}
		x := (e >> 8) & 0xff
		length := int(e>>16) + int(bits&(1<<x-1))
		bits >>= x
		nbits -= uint(x)
		e = dist[bits&(1<<distPrimaryBits-1)]
		if e&entryLink != 0 {
			e = dist[int(e>>16)+int(bits>>distPrimaryBits)&(1<<(e&15)-1)]
		}
		if e&kindLit == 0 {
			return out, n, false
		}
		cl = e & 15
		bits >>= cl
		nbits -= uint(cl)
		x = (e >> 8) & 0xff
		d := int(e>>16) + int(bits&(1<<x-1))
		bits >>= x
		nbits -= uint(x)
		if d > n-start || virt > 0 && virt*8 > int(nbits) {
			return out, n, false
		}
		if n+length > len(out) {
			if out = grow(out, n, n+length, end); out == nil {
				return out, n, false
			}
		}
		switch {
		case d >= 8 && length <= 64 && n+length+8 <= len(out):
			// Short matches (most of them): eight bytes at a time, each
			// read from bytes already final (d >= 8); the few bytes
			// written past the match are overwritten later.
			for i := 0; i < length; i += 8 {
				binary.LittleEndian.PutUint64(out[n+i:], binary.LittleEndian.Uint64(out[n-d+i:]))
			}
		case d >= length:
			copy(out[n:n+length], out[n-d:])
		default:
			// Overlapping: each copy doubles what is there to copy from.
			for i := 0; i < length; {
				i += copy(out[n+i:n+length], out[n-d:n+i])
			}
		}
		n += length
	}
}

// grow returns out (n bytes used) with room for need bytes, never past
// end; nil when need is past end.
func grow(out []byte, n, need, end int) []byte {
	if need > end {
		return nil
	}
	o := make([]byte, max(need, min(end, 2*len(out)+4096)))
	copy(o, out[:n])
	return o
}

// readDynamic reads the code lengths of a dynamic block and builds its
// tables.
func (f *inflater) readDynamic() bool {
	f.refill()
	nlit := int(f.take(5)) + 257
	ndist := int(f.take(5)) + 1
	nclen := int(f.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return false
	}
	var cll [19]uint8
	for i := range nclen {
		if f.nbits < 3 {
			f.refill()
		}
		cll[clOrder[i]] = uint8(f.take(3))
	}
	if !buildTable(f.cl[:], cll[:], clVals[:], 7) {
		return false
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if f.nbits < 16 {
			f.refill()
			if f.overrun() {
				return false
			}
		}
		sym, ok := f.decodeSym(f.cl[:], 7)
		if !ok {
			return false
		}
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return false
			}
			rep, val = 3+int(f.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(f.take(3))
		default:
			rep = 11 + int(f.take(7))
		}
		if i+rep > len(lens) {
			return false
		}
		for range rep {
			lens[i] = val
			i++
		}
	}
	if f.overrun() || lens[256] == 0 {
		return false
	}
	return buildTable(f.lit[:], lens[:nlit], litVals[:], litPrimaryBits) && buildTable(f.dist[:], lens[nlit:], distVals[:], distPrimaryBits)
}

// fastGzip decodes a gzip body that is one whole member with a plain
// header, whose output fits limit and whose CRC and size check out. ok is
// false otherwise: the caller then uses the streaming decoder.
func fastGzip(dst, src []byte, limit int) (out []byte, ok bool) {
	// ID1 ID2 CM FLG, MTIME, XFL, OS; no optional fields.
	if len(src) < 18 || src[0] != 0x1f || src[1] != 0x8b || src[2] != 8 || src[3] != 0 {
		return nil, false
	}
	size := binary.LittleEndian.Uint32(src[len(src)-4:])
	if int64(size) > int64(limit) {
		return nil, false
	}
	f := inflaterPool.Get().(*inflater)
	defer inflaterPool.Put(f)
	start := len(dst)
	if cap(dst)-start < int(size)+8 {
		// Eight bytes of slack let short matches be copied by words.
		dst = append(make([]byte, 0, start+int(size)+8), dst...)
	}
	out, used, ok := f.inflate(dst, src[10:], limit)
	f.src = nil
	if !ok || 10+used+8 != len(src) {
		return nil, false
	}
	t := src[10+used:]
	if len(out)-start != int(size) || crc32.ChecksumIEEE(out[start:]) != binary.LittleEndian.Uint32(t) {
		return nil, false
	}
	return out, true
}

// fastZlib is fastGzip for a zlib stream (no preset dictionary), checked
// against its Adler-32.
func fastZlib(dst, src []byte, limit int) (out []byte, ok bool) {
	if len(src) < 6 || !isZlib(src) || src[1]&0x20 != 0 {
		return nil, false
	}
	f := inflaterPool.Get().(*inflater)
	defer inflaterPool.Put(f)
	start := len(dst)
	out, used, ok := f.inflate(dst, src[2:], limit)
	f.src = nil
	if !ok || 2+used+4 != len(src) {
		return nil, false
	}
	if adler32.Checksum(out[start:]) != binary.BigEndian.Uint32(src[2+used:]) {
		return nil, false
	}
	return out, true
}
