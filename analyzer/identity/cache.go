package identity

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

// credential kinds, as cache key spaces.
const (
	credBearer uint8 = iota + 1
	credAPIKey
	credBasic
	credSession
)

// maxCachedSecret bounds the credentials the cache keeps: it holds the raw
// secret as its key, and a flood of huge tokens must not pin megabytes.
const maxCachedSecret = 8 << 10

type cacheKey struct {
	kind   uint8
	secret string
}

// actorInfo is an Actor without its per-call ClientIP. Its Roles and
// Scopes are shared by every call of one credential and never modified.
type actorInfo struct {
	kind, user, issuer, alg string
	roles, scopes           []string
	exp                     int64
}

// actorCache is a bounded map from credential to actor, sharded to keep
// lock contention low across workers; each shard evicts first in, first
// out, which costs nothing on a hit (unlike LRU bookkeeping).
type actorCache struct {
	seed                    maphash.Seed
	shards                  []cacheShard
	hits, misses, evictions atomic.Uint64
}

type cacheShard struct {
	mu   sync.Mutex
	m    map[cacheKey]actorInfo
	ring []cacheKey // insertion order; ring[next] is the oldest when full
	next int
	_    [40]byte // keep shards' locks on separate cache lines
}

func newActorCache(size int) *actorCache {
	n := 16
	for n > 1 && size/n < 16 {
		n /= 2
	}
	per := (size + n - 1) / n
	c := &actorCache{seed: maphash.MakeSeed(), shards: make([]cacheShard, n)}
	for i := range c.shards {
		c.shards[i].m = make(map[cacheKey]actorInfo, per)
		c.shards[i].ring = make([]cacheKey, per)
	}
	return c
}

func (c *actorCache) shard(k cacheKey) *cacheShard {
	h := maphash.String(c.seed, k.secret) + uint64(k.kind)
	return &c.shards[h%uint64(len(c.shards))]
}

func (c *actorCache) get(k cacheKey) (actorInfo, bool) {
	s := c.shard(k)
	s.mu.Lock()
	a, ok := s.m[k]
	s.mu.Unlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return a, ok
}

func (c *actorCache) put(k cacheKey, a actorInfo) {
	if len(k.secret) > maxCachedSecret {
		return
	}
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[k]; ok {
		return
	}
	// The key may be a slice of a larger buffer; cloning keeps only it.
	k.secret = strings.Clone(k.secret)
	if len(s.m) >= len(s.ring) {
		delete(s.m, s.ring[s.next])
		c.evictions.Add(1)
	}
	s.ring[s.next] = k
	s.next = (s.next + 1) % len(s.ring)
	s.m[k] = a
}
