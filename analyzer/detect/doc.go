// Package detect turns API calls into security findings: the actor stage
// (per-actor baselines and detectors), the endpoint stage (per-endpoint
// baselines and the detectors that need a global view), and one small pure
// detector function per finding type of DESIGN.md.
//
// # Stages
//
// ActorStage.Observe takes one Observation (a call plus its endpoint
// template) of an actor it owns and returns the hits of the per-actor and
// per-call detectors; it also fills Observation.Prev, Role and Anomalous for
// the endpoint stage. EndpointStage.Observe takes the same Observation,
// keyed by endpoint, and returns the hits of the global detectors. Findings
// deduplicates hits by (type, actor, endpoint, window) into
// report.Finding records. Pipeline wires the three in one process, in
// capture-time order; the Kafka wiring runs ActorStage on actor-keyed
// partitions and EndpointStage on endpoint-keyed ones with the same code.
//
// Stages are not safe for concurrent use: one goroutine per stage (or per
// shard of actors). Detectors never do I/O. Every table is bounded
// (baseline.Table) and counts what it evicts; Snapshot and Restore carry the
// learned state across a restart (encoding/gob).
//
// # Endpoint templates
//
// The stages want an endpoint template ("/orders/{orderId}"). Discovery
// (analyzer/discovery) provides it; until it is wired, FallbackTemplate
// replaces numeric, UUID, hex and digit-bearing slug segments by {id}.
package detect
