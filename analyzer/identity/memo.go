package identity

import (
	"strings"
	"sync/atomic"
)

// Names (header names, JSON keys) repeat from call to call, so the answer
// for each is remembered: a table read costs less than matching the name.
const (
	memoSlots  = 1024 // names remembered at most (one per slot)
	maxMemoLen = 64   // longer names are not remembered
)

// memo is a bounded, read-mostly table from name to answer, direct-mapped
// by a cheap hash of the name (its length, first and last eight bytes): a
// lookup is one hash, one load and one comparison, where a Go map hashes
// every byte. A slot keeps the first name stored in it; a later name that
// maps to a taken slot is matched every time, so the table never churns
// (and never allocates once full), whatever names the traffic makes up.
// Readers take no lock.
type memo[V any] struct {
	slots [memoSlots]atomic.Pointer[memoEntry[V]]
}

type memoEntry[V any] struct {
	name string
	v    V
}

func (c *memo[V]) get(name string) (V, bool) { return memoGet(c, name) }

// memoGet is get for a string or a byte slice; comparing converts without
// allocating.
func memoGet[T text, V any](c *memo[V], name T) (V, bool) {
	if e := c.slots[memoSlot(name)].Load(); e != nil && e.name == string(name) {
		return e.v, true
	}
	var zero V
	return zero, false
}

// put remembers v for name unless name is too long or its slot is taken.
func (c *memo[V]) put(name string, v V) {
	if len(name) > maxMemoLen {
		return
	}
	s := &c.slots[memoSlot(name)]
	if s.Load() != nil {
		return
	}
	s.CompareAndSwap(nil, &memoEntry[V]{name: strings.Clone(name), v: v})
}

// memoSlot hashes a name to a slot: multiply-xorshift over the length and
// the first and last (up to) eight bytes.
func memoSlot[T text](s T) uint32 {
	const k = 0x9e3779b97f4a7c15
	n := len(s)
	h := uint64(n) * k
	if n >= 8 {
		h = (h ^ load64(s, 0)) * k
		h = (h ^ load64(s, n-8)) * k
	} else {
		var v uint64
		for i := 0; i < n; i++ {
			v = v<<8 | uint64(s[i])
		}
		h = (h ^ v) * k
	}
	h ^= h >> 29
	return uint32(h>>32) % memoSlots
}
