// Package clickhouse stores what apitap sees and learns in ClickHouse:
// calls, the API inventory (endpoints), findings and actor profiles, over
// the native protocol with clickhouse-go v2.
//
// One DSN says where and how to connect (ParseDSN):
//
//	clickhouse://user:pass@host1:9000,host2:9000/apitap?secure=true&ca_cert=/ca.pem&compress=lz4&dial_timeout=5s
//
// Migrate creates or upgrades the schema: versioned SQL files embedded from
// migrations/, rendered for the server's version (LowCardinality,
// DateTime64(9), codecs and TTL on ClickHouse ≥ 20.3; plain String and
// DateTime on older servers such as Debian's 18.16) and for an optional
// cluster (ON CLUSTER, Replicated* engines, Distributed tables). Applied
// versions are recorded in <db>.schema_migrations; every statement is
// idempotent, so running Migrate again, or from several replicas, is safe.
// MigrateConfig.ActorViews keeps or drops (the default) the two
// materialized views that fill calls_by_actor and actors on every calls
// insert; actor profiles come from the analyzer instead (actor_hours,
// written through Writer.ConsumeActors by analyzer/actorstats).
//
// Writer is the batch sink (apicall.Sink, report.EndpointSink,
// report.FindingSink, report.ActorSink): it batches by rows and time, inserts with explicit
// column lists (one Append per column, string columns lent to
// clickhouse-go in its own layout instead of copied (colstr.go), blocks of
// blockRows rows, full batches inserted in the background
// InsertConcurrency at a time),
// retries retryable errors with backoff while keeping the batch, and by
// default returns from Consume only once the rows are
// inserted, so a Kafka consumer commits offsets only after that. Calls and
// findings carry stable ids and live in ReplacingMergeTree tables, so
// at-least-once delivery leaves no duplicates after merges (or FINAL).
//
// QueryFindings reads findings back for `apitap findings`.
package clickhouse
