// Package baseline holds the learned state of the analyzer's actor and
// endpoint stages: decayed statistics over tumbling windows (EWMA mean and
// variance of per-window counts), small distinct counters (an exact set
// that turns into a HyperLogLog), and a bounded table keyed by actor or
// endpoint with approximate-LRU and TTL eviction, both counted.
//
// Everything here is plain data with exported fields so that a stage can
// snapshot its state with encoding/gob and restore it after a restart.
// Nothing here is safe for concurrent use: a stage owns its tables and
// calls them from one goroutine (shard actors across goroutines by key).
package baseline
