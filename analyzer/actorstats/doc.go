// Package actorstats keeps, per actor and hour of capture time, the
// figures the SOC reads about an actor (calls, errors, distinct endpoints,
// client IPs, user agents, hosts, response bytes, first and last seen) and
// writes them as cumulative snapshots (report.ActorHour) to a
// report.ActorSink in batches, so that the store need not aggregate every
// call again (ClickHouse's actor_hours table; storage/clickhouse).
//
// Counts under at-least-once delivery: a call delivered twice to the same
// Sink (a batch retried by the Kafka consumer, a partition given back after
// a rebalance) is counted once while its id is among the last DedupCalls
// ids seen (a fixed table; ids it forgets early are counted). Every row carries the Sink's generation (Config.Writer): a
// later snapshot of the same generation replaces the earlier one, and
// snapshots of different generations add up. When the consumer acknowledges
// batches (internal/ack), a batch's offsets commit only after a snapshot
// that counts its calls is durable, so after a restart only calls past the
// last commit are counted again, by the new generation: they show as a
// second writer for that actor and hour, never silently.
//
// Memory is bounded: at most MaxStates actor-hours (calls that would open
// more are counted, not kept), sets of MaxValues values and MaxEndpoints
// endpoints each, and an hour's states are dropped once the newest capture
// time is Lateness past its end and their last snapshot was written
// (later calls for it are counted as late).
//
// Call order: Consume from any goroutine; Run (or Flush) writes; Close
// writes what changed and makes Consume fail with ErrClosed.
package actorstats
