package contentcoding

import (
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"math/bits"
	"sync"

	"github.com/apitap/apitap/internal/nozero"
)

// This file is a one-shot DEFLATE decoder (RFC 1951) for the common case:
// a whole, valid gzip member or zlib stream whose output fits the limit.
// It decodes from the body in memory straight into the output slice (back
// references are copied from the output itself, with no 32 KiB window to
// copy through), refilling a 64-bit bit buffer eight bytes at a time.
// Its tables and hot loop follow libdeflate's design (see block and
// buildTable). It accepts only what the streaming decoder accepts and
// gives up on
// anything else: a cut, corrupt or over-long stream, a gzip header with
// optional fields, trailing bytes. Decode then falls back to the
// streaming decoder, which handles those cases (and whose results they
// define), so both paths yield the same bytes.

const (
	litPrimaryBits  = 10
	distPrimaryBits = 8
	clPrimaryBits   = 7 // code length codes are at most 7 bits: no sub-tables
	// Sub-tables hold the bits past the primary ones (at most 15 in all).
	// One sub-table per primary index that has long codes; at most one
	// per code, hence these bounds (far above what a valid code needs).
	litTableSize  = 1<<litPrimaryBits + 288<<(15-litPrimaryBits)
	distTableSize = 1<<distPrimaryBits + 32<<(15-distPrimaryBits)

	flagEOB  = 1 << 12 // end of block
	flagLink = 1 << 13 // points to a sub-table
	flagLen  = 1 << 14 // a match length
	flagLit  = 1 << 15 // a literal byte, or a distance, or a code length
)

// Table entries (as in libdeflate): bits 0-7 how many bits to consume,
// the code and its extra bits together; bits 8-11 the code's length, so
// that the extra bits are (saved bits & mask(bits 0-7)) >> bits 8-11;
// bits 12-15 the kind; bits 16-31 the value: the literal byte, the base
// of a length or distance, a code length. A link (flagLink) consumes the
// primary bits, has the sub-table's index bits in bits 8-11 and its start
// in bits 16-31; the entries of a sub-table count only the bits past the
// primary ones. An entry of no kind (symbols 286-287, distances 30-31, no
// code) is rejected when decoded.

// litVals and distVals are the entries of each symbol, less the code
// length (added to bits 0-7 and 8-11 by buildTable); clVals those of the
// code length alphabet.
var litVals, distVals, clVals = func() (l [288]uint32, d [32]uint32, c [19]uint32) {
	for i := range 256 {
		l[i] = flagLit | uint32(i)<<16
	}
	l[256] = flagEOB
	for i := range 29 {
		l[257+i] = flagLen | uint32(lenExtra[i]) | uint32(lenBase[i])<<16
	}
	for i := range 30 {
		d[i] = flagLit | uint32(distExtra[i]) | distBase[i]<<16
	}
	for i := range c {
		c[i] = flagLit | uint32(i)<<16
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

// inflater holds the tables; pooled, since they are 70 KiB.
type inflater struct {
	src   []byte
	pos   int    // next byte of src to load
	bits  uint64 // bits not consumed yet, the next one lowest
	nbits uint   // how many of bits are valid
	virt  int    // zero bytes loaded past the end of src

	lit  [litTableSize]uint32
	dist [distTableSize]uint32
	cl   [1 << clPrimaryBits]uint32
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
		f.bits |= binary.LittleEndian.Uint64(f.src[f.pos:]) << (f.nbits & 63)
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
// longer than primary bits go to sub-tables. As libdeflate does, it
// visits the symbols by increasing code, keeps the code bit-reversed, and
// fills the primary table for each code length before doubling it for
// the next.
func buildTable(t []uint32, lens []uint8, vals []uint32, primary uint) bool {
	// Four histograms, summed after: runs of equal lengths would
	// otherwise make each increment wait for the one before.
	var count, c1, c2, c3 [16]uint16
	i := 0
	for ; i+4 <= len(lens); i += 4 {
		count[lens[i]&15]++
		c1[lens[i+1]&15]++
		c2[lens[i+2]&15]++
		c3[lens[i+3]&15]++
	}
	for ; i < len(lens); i++ {
		count[lens[i]&15]++
	}
	for l := range count {
		count[l] += c1[l] + c2[l] + c3[l]
	}
	count[0] = 0
	maxLen := 15
	for maxLen > 0 && count[maxLen] == 0 {
		maxLen--
	}
	if maxLen == 0 {
		return false
	}
	// Completeness (Kraft's sum is exactly one): the codes of length
	// maxLen end at 1<<maxLen; one code of length 1 is allowed alone.
	space := 0
	for l := 1; l <= maxLen; l++ {
		space = space<<1 + int(count[l])
	}
	if space != 1<<maxLen {
		if maxLen != 1 || space != 1 {
			return false
		}
		// One code, 0: its entry where the bit is 0, none where it is 1.
		v := vals[symbolOf(lens, 1)] + 1<<8 + 1
		for i := 0; i < 1<<primary; i += 2 {
			t[i], t[i+1] = v, 0
		}
		return true
	}
	// Symbols sorted by code length, then value: the canonical order.
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [288]uint16
	for sym, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	syms := sorted[:offs[15]]

	code := 0 // bit-reversed
	l := uint(1)
	for count[l] == 0 {
		l++
	}
	cnt := count[l]
	end := 1 << l // the table so far: entries for l-bit prefixes
	for l <= primary {
		for ; cnt > 0; cnt-- {
			t[code] = vals[syms[0]] + uint32(l)<<8 + uint32(l)
			syms = syms[1:]
			if code == end-1 {
				// The last code (all ones): the table is full; double it
				// up to primary bits.
				for ; l < primary; l++ {
					copy(t[end:2*end], t[:end])
					end <<= 1
				}
				return true
			}
			// The next code, bit-reversed: set the highest 0 bit of the
			// l low bits and clear the bits above it.
			bit := 1 << (bits.Len(uint(code^(end-1))) - 1)
			code = code&(bit-1) | bit
		}
		for {
			l++
			if l <= primary {
				copy(t[end:2*end], t[:end])
				end <<= 1
			}
			if cnt = count[l&15]; cnt > 0 {
				break
			}
		}
	}
	// Codes longer than primary bits: a sub-table per primary prefix, as
	// large as the codes sharing the prefix need.
	mask := 1<<primary - 1
	end = 1 << primary
	prefix, subStart := -1, 0
	for {
		if code&mask != prefix {
			prefix, subStart = code&mask, end
			subBits := l - primary
			used := int(cnt) // codes of length l left, this one included
			for used < 1<<subBits {
				subBits++
				used = used<<1 + int(count[(primary+subBits)&15])
			}
			end = subStart + 1<<subBits
			if end > len(t) || end > 1<<16 {
				return false
			}
			t[prefix] = uint32(subStart)<<16 | flagLink | uint32(subBits)<<8 | uint32(primary)
		}
		sl := l - primary
		v := vals[syms[0]] + uint32(sl)<<8 + uint32(sl)
		syms = syms[1:]
		for i := subStart + code>>primary; i < end; i += 1 << sl {
			t[i] = v
		}
		if code == 1<<l-1 {
			return true
		}
		bit := 1 << (bits.Len(uint(code^(1<<l-1))) - 1)
		code = code&(bit-1) | bit
		cnt--
		for cnt == 0 {
			l++
			cnt = count[l&15]
		}
	}
}

// symbolOf returns the first symbol whose code length is l.
func symbolOf(lens []uint8, l uint8) int {
	for sym, x := range lens {
		if x == l {
			return sym
		}
	}
	return 0
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

// Margins of block's fast loop: it runs while 16 bytes of input (two
// refills) are left, and room for the longest match plus the eight bytes
// a copy by words may write past it.
const (
	fastIn  = 16
	fastOut = 258 + 8
)

// block decodes the symbols of one Huffman block into out (n bytes used,
// the stream's output starting at start, not to pass end) up to its end
// of block. The bit buffer lives in locals here: this is the hot loop.
// Its first loop runs far from the ends of input and output, with
// branch-free refills and no room checks; the second, careful one
// finishes the block.
func (f *inflater) block(out []byte, n, start, end int, lit *[litTableSize]uint32, dist *[distTableSize]uint32) ([]byte, int, bool) {
	src, pos := f.src, f.pos
	bits, nbits := f.bits, f.nbits
	// Every iteration starts with a refill (at least 56 bits): a length
	// and a distance with their extra bits take at most 48, three
	// literals 45.
	inEnd := len(src) - fastIn
	outEnd := min(len(out)-fastOut, end-258)
	if pos <= inEnd && n <= outEnd {
		bits |= binary.LittleEndian.Uint64(src[pos:]) << (nbits & 63)
		pos += int(63-nbits) >> 3
		nbits |= 56
	}
	e := lit[bits&(1<<litPrimaryBits-1)] // valid with 10 bits or more
	for pos <= inEnd && n <= outEnd {
		bits |= binary.LittleEndian.Uint64(src[pos:]) << (nbits & 63)
		pos += int(63-nbits) >> 3
		nbits |= 56
		saved := bits
		bits >>= e & 63
		nbits -= uint(e & 63)
		if e&flagLit != 0 {
			// Up to two more literals (15 bits each) without a refill;
			// 11 bits or more are left for the next entry.
			o := out[n : n+3 : n+3]
			o[0] = byte(e >> 16)
			e = lit[bits&(1<<litPrimaryBits-1)]
			if e&flagLit == 0 {
				n++
				continue
			}
			bits >>= e & 63
			nbits -= uint(e & 63)
			o[1] = byte(e >> 16)
			e = lit[bits&(1<<litPrimaryBits-1)]
			if e&flagLit == 0 {
				n += 2
				continue
			}
			bits >>= e & 63
			nbits -= uint(e & 63)
			o[2] = byte(e >> 16)
			n += 3
			e = lit[bits&(1<<litPrimaryBits-1)]
			continue
		}
		if e&flagLen == 0 {
			if e&flagLink == 0 {
				if e&flagEOB == 0 {
					return out, n, false
				}
				f.pos, f.bits, f.nbits = pos, bits, nbits
				return out, n, true
			}
			// A long code: the primary bits are consumed, the rest are
			// decoded in the sub-table.
			e = lit[int(e>>16)+int(bits&(1<<(e>>8&15)-1))]
			saved = bits
			bits >>= e & 63
			nbits -= uint(e & 63)
			if e&flagLit != 0 {
				out[n] = byte(e >> 16)
				n++
				e = lit[bits&(1<<litPrimaryBits-1)]
				continue
			}
			if e&flagLen == 0 {
				if e&flagEOB == 0 {
					return out, n, false
				}
				f.pos, f.bits, f.nbits = pos, bits, nbits
				return out, n, true
			}
		}
		length := int(e>>16) + int(saved&(1<<(e&63)-1)>>(e>>8&15))
		if nbits < 28+litPrimaryBits {
			bits |= binary.LittleEndian.Uint64(src[pos:]) << (nbits & 63)
			pos += int(63-nbits) >> 3
			nbits |= 56
		}
		e = dist[bits&(1<<distPrimaryBits-1)]
		if e&flagLit == 0 {
			if e&flagLink == 0 {
				return out, n, false
			}
			bits >>= e & 63
			nbits -= uint(e & 63)
			e = dist[int(e>>16)+int(bits&(1<<(e>>8&15)-1))]
			if e&flagLit == 0 {
				return out, n, false
			}
		}
		saved = bits
		bits >>= e & 63
		nbits -= uint(e & 63)
		d := int(e>>16) + int(saved&(1<<(e&63)-1)>>(e>>8&15))
		e = lit[bits&(1<<litPrimaryBits-1)]
		if d > n-start {
			return out, n, false
		}
		// The match and the bytes it is copied from, with the slack
		// for copies by words.
		to, from := out[n:n+fastOut-2:n+fastOut-2], out[n-d:n-d+fastOut-2]
		switch {
		case d >= 8:
			// Eight bytes at a time, each read from bytes already final;
			// the few written past the match are overwritten later.
			binary.LittleEndian.PutUint64(to[0:8], binary.LittleEndian.Uint64(from[0:8]))
			binary.LittleEndian.PutUint64(to[8:16], binary.LittleEndian.Uint64(from[8:16]))
			for i := 16; i < length; i += 8 {
				binary.LittleEndian.PutUint64(to[i:], binary.LittleEndian.Uint64(from[i:]))
			}
		case d == 1:
			v := uint64(from[0]) * 0x0101010101010101
			for i := 0; i < length; i += 8 {
				binary.LittleEndian.PutUint64(to[i:], v)
			}
		default:
			for i := range length {
				to[i] = from[i]
			}
		}
		n += length
	}
	return f.blockTail(out, n, start, end, lit, dist, pos, bits, nbits)
}

// blockTail is block's careful loop: a refill and room check for every
// symbol, bits past the end of src read as zeros (and an error once
// consumed).
func (f *inflater) blockTail(out []byte, n, start, end int, lit *[litTableSize]uint32, dist *[distTableSize]uint32, pos int, bits uint64, nbits uint) ([]byte, int, bool) {
	src, virt := f.src, f.virt
	defer func() { f.pos, f.virt, f.bits, f.nbits = pos, virt, bits, nbits }()
	for {
		if nbits < 48 {
			if pos+8 <= len(src) {
				bits |= binary.LittleEndian.Uint64(src[pos:]) << (nbits & 63)
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
		if e&flagLink != 0 {
			bits >>= e & 63
			nbits -= uint(e & 63)
			e = lit[int(e>>16)+int(bits&(1<<(e>>8&15)-1))]
		}
		saved := bits
		bits >>= e & 63
		nbits -= uint(e & 63)
		if e&flagLit != 0 {
			if n >= len(out) {
				if out = grow(out, n, n+1, end); out == nil {
					return out, n, false
				}
			}
			out[n] = byte(e >> 16)
			n++
			continue
		}
		if e&flagLen == 0 {
			return out, n, e&flagEOB != 0
		}
		length := int(e>>16) + int(saved&(1<<(e&63)-1)>>(e>>8&15))
		e = dist[bits&(1<<distPrimaryBits-1)]
		if e&flagLink != 0 {
			bits >>= e & 63
			nbits -= uint(e & 63)
			e = dist[int(e>>16)+int(bits&(1<<(e>>8&15)-1))]
		}
		if e&flagLit == 0 {
			return out, n, false
		}
		saved = bits
		bits >>= e & 63
		nbits -= uint(e & 63)
		d := int(e>>16) + int(saved&(1<<(e&63)-1)>>(e>>8&15))
		if d > n-start || virt > 0 && virt*8 > int(nbits) {
			return out, n, false
		}
		if n+length > len(out) {
			if out = grow(out, n, n+length, end); out == nil {
				return out, n, false
			}
		}
		if d >= length {
			copy(out[n:n+length], out[n-d:])
		} else {
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
	if !buildTable(f.cl[:], cll[:], clVals[:], clPrimaryBits) {
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
		e := f.cl[f.bits&(1<<clPrimaryBits-1)]
		if e&flagLit == 0 || uint(e&63) > f.nbits {
			return false
		}
		f.bits >>= e & 63
		f.nbits -= uint(e & 63)
		sym := int(e >> 16)
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
	if cap(dst)-start < int(size) {
		// The output's exact size (block copies by words only far from
		// the end, so no slack is needed).
		// Not zeroed: the inflater writes every byte it returns.
		dst = append(nozero.Bytes(start+int(size)), dst...)
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
