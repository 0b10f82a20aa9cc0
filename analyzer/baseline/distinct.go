package baseline

import (
	"math"
	"math/bits"
	"slices"
)

// Distinct estimates the number of distinct 64-bit hashes added. Up to
// SparseMax hashes it keeps them exactly (4 bytes each); past that it
// switches to a HyperLogLog with 2^Precision one-byte registers (about
// 6.5% standard error at precision 8). The zero value is empty and holds
// no memory.
type Distinct struct {
	Sparse []uint32
	Regs   []uint8
}

// Sizing of Distinct.
const (
	SparseMax = 64
	Precision = 8
)

// Add adds a hash and reports whether the estimate may have grown.
func (d *Distinct) Add(h uint64) bool {
	if d.Regs != nil {
		return d.addDense(h)
	}
	k := uint32(h >> 32)
	i, found := slices.BinarySearch(d.Sparse, k)
	if found {
		return false
	}
	if len(d.Sparse) < SparseMax {
		d.Sparse = slices.Insert(d.Sparse, i, k)
		return true
	}
	d.Regs = make([]uint8, 1<<Precision)
	for _, s := range d.Sparse {
		d.addDense(uint64(s) << 32)
	}
	d.Sparse = nil
	return d.addDense(h)
}

// addDense uses the top Precision bits as register index and the rest
// (with the low 32 bits zero in sparse-converted hashes, the next 24 bits
// suffice for these cardinalities) for the rank.
func (d *Distinct) addDense(h uint64) bool {
	idx := h >> (64 - Precision)
	w := h<<Precision | 1<<(Precision-1)
	r := uint8(bits.LeadingZeros64(w) + 1)
	if r > d.Regs[idx] {
		d.Regs[idx] = r
		return true
	}
	return false
}

// Count is the estimated number of distinct hashes.
func (d *Distinct) Count() int {
	if d.Regs == nil {
		return len(d.Sparse)
	}
	m := float64(len(d.Regs))
	sum, zeros := 0.0, 0
	for _, r := range d.Regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros)) // linear counting for small ranges
	}
	return int(est + 0.5)
}

// Reset empties d and releases its memory.
func (d *Distinct) Reset() { d.Sparse, d.Regs = nil, nil }

// Bytes is the memory d holds beyond its header.
func (d *Distinct) Bytes() int { return cap(d.Sparse)*4 + cap(d.Regs) }

// Small is an exact set of up to 8 hashes; later ones are counted as
// overflow. It suits thresholds below 8 (IPs or user agents of a token).
type Small struct {
	H    [8]uint32
	N    uint8
	Over uint16
}

// Add adds a hash and reports whether it was new.
func (s *Small) Add(h uint64) bool {
	k := uint32(h>>32) | 1
	for i := range int(s.N) {
		if s.H[i] == k {
			return false
		}
	}
	if int(s.N) < len(s.H) {
		s.H[s.N] = k
		s.N++
		return true
	}
	if s.Over < math.MaxUint16 {
		s.Over++
	}
	return true
}

// Count is the number of distinct hashes (overflow counted once each add).
func (s *Small) Count() int { return int(s.N) + int(s.Over) }

// Reset empties s.
func (s *Small) Reset() { *s = Small{} }
