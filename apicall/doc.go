// Package apicall defines the API call record that flows through apitap,
// the Sink interface stages use to hand calls on, and the record's two
// encodings: JSON lines (AppendJSON) and the protobuf wire format of
// apicall.proto that agents send to analyzers over Kafka (AppendWire,
// DecodeWire; generated Go for other consumers in apicallpb).
//
// It depends on the standard library and protobuf's protowire only, so
// every other package can import it.
package apicall
