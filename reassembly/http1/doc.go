// Package http1 is an incremental HTTP/1.x parser for one direction of a TCP
// connection.
//
// A Parser is fed byte chunks as TCP reassembly delivers them, split
// anywhere, and reports each complete request or response through a
// callback. It runs inline on the caller's goroutine: no goroutine per
// connection, no net/http, no bufio. Malformed input is reported by a short
// snake_case reason and the parser resynchronises on the next plausible
// message start; it never gives up on a stream and never panics. While
// resynchronising, a request start is a start line "token SP target SP
// HTTP/1.x"; a line still incomplete at the end of a segment is kept as a
// candidate only if it may become one: a known method (or a prefix of
// one), or an upper-case extension method, then SP, a target without
// spaces or control bytes, then SP and a prefix of "HTTP/1.". Body text
// cut by a gap ("the quick brown ") is not, so a request starting at the
// next segment is still found.
//
// Buffering is bounded: at most Config.MaxHeaderBytes of a start line and
// header (or trailer) block, and at most Config.MaxBodyBytes of each body;
// bytes beyond that are counted in Message.BodyLen but not kept.
//
// Ownership: the data passed to Feed is only read during the call. Every
// Message handed to the callback owns its strings and body, so the callee
// may keep it. The header block of a message is copied into one string and
// the header names and values are substrings of it. A body function
// (SetBodyFunc) sees each complete body once, in place (a body that lay
// in one Feed is not copied) and makes the bytes the message owns, e.g.
// content-decoded; a MessagePool recycles Message values and cuts header
// slices from a shared slab, each message owning its part. Parsers can be
// reused across connections with Reinit.
//
// Concurrency: a Parser is not safe for concurrent use; one goroutine owns
// each connection. Callbacks run synchronously inside Feed, Gap and Close.
package http1
