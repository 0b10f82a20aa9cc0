// Package reassembly turns captured TCP segments into API calls.
//
// An Engine shards connections by a direction-independent hash of their
// addresses across workers; each worker owns a gopacket reassembly.Assembler,
// so no lock is shared on the hot path. Each connection's two byte streams
// feed incremental HTTP/1.x parsers (package http1), whose requests and
// responses are paired in FIFO order, skipping interim 1xx responses, and
// built into apicall.Call values with decoded bodies (package contentcoding).
//
// Everything is bounded: connections, buffered out-of-order pages per
// connection and per worker, pending requests per connection, and body
// bytes kept. What is shed is counted by reason (see Stats).
//
// Timing follows capture timestamps, not the wall clock, so an offline run
// behaves like a live one: idle connections close after IdleTimeout and
// requests without a response become calls with status 0 after
// ResponseTimeout, or at Close.
package reassembly
