// Package http1 is an incremental HTTP/1.x parser for one direction of a TCP
// connection.
//
// A Parser is fed byte chunks as TCP reassembly delivers them, split
// anywhere, and reports each complete request or response through a
// callback. It runs inline on the caller's goroutine: no goroutine per
// connection, no net/http, no bufio. Malformed input is reported by a short
// snake_case reason and the parser resynchronises on the next plausible
// message start; it never gives up on a stream and never panics.
//
// Buffering is bounded: at most Config.MaxHeaderBytes of a start line and
// header (or trailer) block, and at most Config.MaxBodyBytes of each body;
// bytes beyond that are counted in Message.BodyLen but not kept.
//
// Ownership: the data passed to Feed is only read during the call. Every
// Message handed to the callback owns its strings and body, so the callee
// may keep it. The header block of a message is copied into one string and
// the header names and values are substrings of it.
//
// Concurrency: a Parser is not safe for concurrent use; one goroutine owns
// each connection. Callbacks run synchronously inside Feed, Gap and Close.
package http1
