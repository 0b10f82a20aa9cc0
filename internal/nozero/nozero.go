// Package nozero allocates byte buffers that are about to be overwritten
// without zeroing them first.
//
// make([]byte, 0, n) clears n bytes that a body gatherer or a decoder then
// overwrites in full; for the bodies of the hot path that clearing showed
// as 2–3% of a run's CPU time. The buffer comes from strings.Builder.Grow,
// which the standard library allocates without clearing; it holds no
// pointers, so whatever bytes it starts with are never seen by the garbage
// collector, and the caller must write every byte it later reads.
package nozero

import (
	"strings"
	"unsafe"
)

// Bytes returns a slice of length 0 and capacity at least n (n ≥ 0) whose
// spare capacity holds unspecified bytes: write before reading them.
func Bytes(n int) []byte {
	if n <= 0 {
		return nil
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte(0) // a non-empty string, so that its data pointer is the buffer's
	s := b.String()
	return unsafe.Slice(unsafe.StringData(s), b.Cap())[:0]
}
