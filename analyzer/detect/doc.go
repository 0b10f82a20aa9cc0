// Package detect turns API calls into security findings: the actor stage
// (per-actor baselines and detectors), the endpoint stage (per-endpoint
// baselines and the detectors that need a global view), and one small pure
// detector function per finding type of DESIGN.md.
//
// # Stages
//
// ActorStage.Observe takes one Observation (a call plus its endpoint
// template) of an actor it owns and returns the hits of the per-actor and
// per-call detectors; it also fills Observation.Actor, Role, Kind, Prev,
// Recent, EPCalls and Anomalous for the endpoint stage. EndpointStage.Observe
// takes the same Observation, keyed by endpoint, and returns the hits of the
// global detectors. Findings deduplicates hits by (type, actor, endpoint,
// window) into report.Finding records. Detectors never do I/O and never
// learn from a call they report.
//
// # Two wirings
//
// In one process (apitap analyze) Pipeline runs templater → ActorStage →
// EndpointStage → Findings per call, in capture-time order (Reorder restores
// it for parallel reassembly workers). Snapshot and Restore carry both
// stages and the open findings across a restart.
//
// Across replicas (apitap analyzer with Kafka) each replica of the actor
// tier runs an ActorStage for the actors of its partitions of
// apitap.calls.v1 (keyed by actor), then publishes the filled Observation to
// apitap.observations.v1 keyed by host+method+template; each replica of the
// endpoint tier runs an EndpointStage for its endpoints. Each tier dedups
// its own hits with a Findings. The tiers report disjoint types except
// injection_attempt (libinjection in the actor tier, parameter profiles in
// the endpoint tier), whose ids coincide: sinks upsert by id, so the later
// delivery wins. Besides the
// Observation fields above, the endpoint stage reads from the call: Status,
// ReqStart, Actor.Kind, Actor.ClientIP, RawQuery, the request body (auth
// accounts, write properties), and the first 8 KiB of the response body
// (sensitive classes): that is what an observation message must carry.
// ActorStage.Snapshot/Restore and EndpointStage.Snapshot/Restore checkpoint
// each tier (to a compacted state topic or ClickHouse). The observation
// record is AppendObservationWire/DecodeObservationWire (wire.go); the Kafka
// wiring is apitap analyzer --split-stages (cmd/apitap/split.go).
//
// Stages are not safe for concurrent use: one goroutine per stage (or per
// shard of actors). Every table is bounded (baseline.Table) and counts what
// it evicts (Pipeline.Stats, Metrics).
//
// # Endpoint templates
//
// The stages want an endpoint template ("/orders/{orderId}"). Discovery
// (analyzer/discovery) provides it with spec hints; until it is wired,
// FallbackTemplater replaces digit-bearing path segments (numbers, UUIDs,
// slugs with digits, not v2) by {id} and gives no spec hints.
package detect
