package baseline

// Table maps keys (actors, endpoints) to state, bounded in entries. When
// full, inserting evicts the least recently seen of a few sampled entries
// (approximate LRU, as Redis does); entries not seen for TTL are dropped by
// a sweep that runs every TTL/2 of observed time. Both evictions are
// counted. Times are the observed (capture) times, Unix ns.
//
// The fields are exported for encoding/gob snapshots; use the methods.
type Table[V any] struct {
	Max        int   // most entries kept
	TTL        int64 // ns; entries idle this long are dropped; 0 disables
	M          map[string]*Entry[V]
	EvictedLRU uint64 // entries dropped because the table was full
	EvictedTTL uint64 // entries dropped because they were idle past TTL
	LastSweep  int64
}

// Entry is one value with the time it was last seen.
type Entry[V any] struct {
	Last int64
	Key  string // the map key
	V    V
}

// evictSample is how many entries an LRU eviction compares.
const evictSample = 8

// NewTable returns an empty table of at most max entries.
func NewTable[V any](max int, ttl int64) *Table[V] {
	return &Table[V]{Max: max, TTL: ttl, M: make(map[string]*Entry[V], min(max, 1024))}
}

// Get returns the value of key, creating a zero value when absent (or
// expired), and marks it seen at now. created reports a new value.
func (t *Table[V]) Get(key string, now int64) (v *V, created bool) {
	t.sweep(now)
	if e, ok := t.M[key]; ok {
		if t.TTL > 0 && now-e.Last > t.TTL {
			t.EvictedTTL++
			*e = Entry[V]{Key: e.Key}
			created = true
		}
		e.Last = max(e.Last, now)
		return &e.V, created
	}
	if len(t.M) >= t.Max {
		t.evict()
	}
	e := &Entry[V]{Last: now, Key: key}
	t.M[key] = e
	return &e.V, true
}

// GetBytes is Get for a key held in a byte slice: it allocates the key
// only when it inserts it, and returns the key string the table holds.
func (t *Table[V]) GetBytes(key []byte, now int64) (v *V, k string, created bool) {
	t.sweep(now)
	if e, ok := t.M[string(key)]; ok {
		if t.TTL > 0 && now-e.Last > t.TTL {
			t.EvictedTTL++
			*e = Entry[V]{Key: e.Key}
			created = true
		}
		e.Last = max(e.Last, now)
		return &e.V, e.Key, created
	}
	if len(t.M) >= t.Max {
		t.evict()
	}
	ks := string(key)
	e := &Entry[V]{Last: now, Key: ks}
	t.M[ks] = e
	return &e.V, ks, true
}

// Peek returns the value of key without creating or touching it.
func (t *Table[V]) Peek(key string) (*V, bool) {
	e, ok := t.M[key]
	if !ok {
		return nil, false
	}
	return &e.V, true
}

// Len is the number of entries.
func (t *Table[V]) Len() int { return len(t.M) }

func (t *Table[V]) evict() {
	var oldK string
	var oldT int64
	n := 0
	for k, e := range t.M {
		if n == 0 || e.Last < oldT {
			oldK, oldT = k, e.Last
		}
		if n++; n >= evictSample {
			break
		}
	}
	if n > 0 {
		delete(t.M, oldK)
		t.EvictedLRU++
	}
}

func (t *Table[V]) sweep(now int64) {
	if t.TTL <= 0 {
		return
	}
	if t.LastSweep == 0 {
		t.LastSweep = now
		return
	}
	if now-t.LastSweep < t.TTL/2 {
		return
	}
	t.LastSweep = now
	for k, e := range t.M {
		if now-e.Last > t.TTL {
			delete(t.M, k)
			t.EvictedTTL++
		}
	}
}
