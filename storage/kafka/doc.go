// Package kafka carries API calls between node agents and analyzers over
// Kafka (topic apitap.calls.v1), with kafka-go as the client.
//
// Records: value = the call in apicall.proto (apicall.AppendWire), key =
// the actor (apicall.Actor.Key, so one partition owns each actor), headers
// apitap-schema (the wire version, "1.0") and apitap-node (the agent's node).
//
// The Producer is the agent's sink: it never blocks capture, holds at most
// a configured number of bytes, sheds (and counts) the oldest or newest
// calls beyond that, and retries while the brokers are away.
//
// The Consumer is the analyzer's source: a consumer-group member that
// hands batches to an apicall.Sink and commits offsets only after the sink
// accepted them (at least once), skipping and counting records it cannot
// read.
package kafka
