package apicall

import "context"

// Sink consumes batches of calls.
//
// Consume is called by one goroutine at a time per sink unless the sink says
// otherwise. The slice and the Calls in it belong to the caller: a sink must
// not keep the slice after Consume returns (it may keep copies of Calls,
// which own their bytes). A non-nil error means the batch was not accepted.
type Sink interface {
	Consume(ctx context.Context, calls []Call) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, calls []Call) error

// Consume calls f.
func (f SinkFunc) Consume(ctx context.Context, calls []Call) error { return f(ctx, calls) }

// Discard is a Sink that drops every call.
var Discard Sink = SinkFunc(func(context.Context, []Call) error { return nil })
