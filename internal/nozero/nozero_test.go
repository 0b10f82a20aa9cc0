package nozero

import (
	"bytes"
	"testing"
)

// TestBytes: the buffer has the room asked for, is writable to its full
// capacity, and two buffers do not share memory.
func TestBytes(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 4096, 70000} {
		b := Bytes(n)
		if len(b) != 0 || cap(b) < n {
			t.Fatalf("Bytes(%d): len %d cap %d", n, len(b), cap(b))
		}
		full := b[:cap(b)]
		for i := range full {
			full[i] = byte(i)
		}
		c := Bytes(n)
		c = append(c, bytes.Repeat([]byte{0xff}, n)...)
		for i := range full {
			if full[i] != byte(i) {
				t.Fatalf("Bytes(%d): byte %d changed by another buffer", n, i)
			}
		}
		if len(c) != n {
			t.Fatalf("append to Bytes(%d): len %d", n, len(c))
		}
	}
}
