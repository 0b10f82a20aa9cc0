package identity

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Names (header names, JSON keys) repeat from call to call, so the answer
// for each is remembered: a map read costs less than matching the name.
const (
	maxMemoNames = 1024 // names remembered; later new names are matched every time
	maxMemoLen   = 64   // longer names are not remembered
)

// memo is a bounded, read-mostly map from name to answer. Readers take no
// lock: the map is replaced, never modified, on each insertion, and
// insertions stop once it holds maxMemoNames names.
type memo[V any] struct {
	m  atomic.Pointer[map[string]V]
	mu sync.Mutex
}

func (c *memo[V]) get(name string) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[name]
		return v, ok
	}
	var zero V
	return zero, false
}

// memoGet is get for a string or a byte slice; the map index converts
// without allocating.
func memoGet[T text, V any](c *memo[V], name T) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[string(name)]
		return v, ok
	}
	var zero V
	return zero, false
}

func (c *memo[V]) put(name string, v V) {
	if len(name) > maxMemoLen {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	n := 0
	if old != nil {
		n = len(*old)
		if _, ok := (*old)[name]; ok || n >= maxMemoNames {
			return
		}
	}
	m := make(map[string]V, n+1)
	if old != nil {
		for k, x := range *old {
			m[k] = x
		}
	}
	m[strings.Clone(name)] = v
	c.m.Store(&m)
}
