package http1

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/nozero"
)

// Kind says which direction of a connection a Parser reads.
type Kind uint8

const (
	// Request: the client-to-server stream.
	Request Kind = iota
	// Response: the server-to-client stream.
	Response
)

// String returns "request" or "response".
func (k Kind) String() string {
	if k == Response {
		return "response"
	}
	return "request"
}

// Config bounds what a Parser keeps. A zero field takes its default.
type Config struct {
	// MaxBodyBytes is the number of body bytes kept per message, after
	// de-chunking and before content decoding; the rest is counted in
	// Message.BodyLen but not kept. Default 65536.
	MaxBodyBytes int
	// MaxHeaderBytes limits the start line plus header block (and, apart,
	// the trailer block and a chunk-size line) in bytes; at least 64.
	// Default 65536.
	MaxHeaderBytes int
	// MaxHeaders limits the number of header (and trailer) fields.
	// Default 128.
	MaxHeaders int
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 65536, MaxHeaderBytes: 65536, MaxHeaders: 128}
}

// Validate reports fields out of range.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxBodyBytes %d: must be >= 0", c.MaxBodyBytes))
	}
	if c.MaxHeaderBytes < 0 || c.MaxHeaderBytes > 0 && c.MaxHeaderBytes < 64 || c.MaxHeaderBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("MaxHeaderBytes %d: must be 0 (default) or in [64, 1 GiB]", c.MaxHeaderBytes))
	}
	if c.MaxHeaders < 0 {
		errs = append(errs, fmt.Errorf("MaxHeaders %d: must be >= 0", c.MaxHeaders))
	}
	return errors.Join(errs...)
}

// Message is one parsed request or response. It owns all its strings and
// its body: nothing in it aliases the parser's input or buffers.
type Message struct {
	// Method and Target are set for requests. Target is verbatim:
	// origin-form, absolute-form, authority-form (CONNECT) or "*".
	Method, Target string
	// Status and Reason are set for responses. Status is 0 for the raw
	// body answering an HTTP/0.9 request.
	Status int
	Reason string
	// Proto is "HTTP/1.1", "HTTP/1.0" or "HTTP/0.9" (as on the wire for
	// other versions). A request line without a version is "HTTP/0.9";
	// when more bytes follow it in the same Feed they are read as its header
	// block (servers differ: some answer in HTTP/0.9, some with a status
	// line, and the response parser accepts both).
	Proto string
	// Headers in wire order, duplicates kept.
	Headers apicall.Headers
	// Trailers of a chunked body.
	Trailers apicall.Headers
	// Host, ContentType and ContentEncoding are the values of the first
	// Host, Content-Type and Content-Encoding header fields, "" if none
	// (what Headers.Get returns, read while the headers are parsed).
	Host, ContentType, ContentEncoding string
	// Body holds the de-chunked body, at most Config.MaxBodyBytes; nil if
	// empty. With a body function (SetBodyFunc) it holds what that
	// function made of the body instead (e.g. the content-decoded body).
	Body []byte
	// BodyLen is the number of body bytes transferred; it may exceed len(Body).
	BodyLen int64
	// BodyTruncated: len(Body) < BodyLen, or the body was cut short (gap,
	// end of stream before its end, broken chunk framing).
	BodyTruncated bool
	// Chunked: the body used chunked transfer coding.
	Chunked bool
	// Gap: bytes of this message were lost in the capture.
	Gap bool
	// Start and End are the timestamps (ns) of the Feed calls that carried
	// the first and the last byte of the message.
	Start, End int64
	// Decoded and DecodeError are for the body function's use: Body holds
	// the content-decoded body, or why decoding failed (Body then holds
	// the bytes as transferred). The parser leaves them unset.
	Decoded     bool
	DecodeError string
}

// MessagePool recycles Message values between parsers of one goroutine
// (it is not safe for concurrent use). A message put back must no longer
// be referenced; the strings and slices it held are not reused.
type MessagePool struct {
	free []*Message
	// hdrs is the slab the header slices of the next messages are cut
	// from: one allocation for many messages, each owning its part (its
	// capacity ends where the next part begins).
	hdrs apicall.Headers
	// bodies are body buffers free for the pool's parsers (putBody).
	bodies [][]byte
}

const (
	headerSlab     = 512 // header fields per slab
	maxSlabHeaders = 64  // larger header blocks get their own slice
)

// headers returns an empty slice with room for n fields.
func (mp *MessagePool) headers(n int) apicall.Headers {
	if mp == nil || n > maxSlabHeaders {
		return make(apicall.Headers, 0, n)
	}
	if cap(mp.hdrs)-len(mp.hdrs) < n {
		mp.hdrs = make(apicall.Headers, 0, headerSlab)
	}
	l := len(mp.hdrs)
	mp.hdrs = mp.hdrs[:l+n]
	return mp.hdrs[l : l : l+n]
}

// maxPooledMessages bounds a MessagePool.
const maxPooledMessages = 256

const (
	maxPooledBodies   = 32        // body buffers a MessagePool keeps
	maxPooledBodySize = 128 << 10 // larger body buffers are not kept
)

// getBody returns an empty body buffer, nil when none is free.
func (mp *MessagePool) getBody() []byte {
	n := len(mp.bodies)
	if n == 0 {
		return nil
	}
	b := mp.bodies[n-1]
	mp.bodies[n-1] = nil
	mp.bodies = mp.bodies[:n-1]
	return b
}

// putBody keeps a body buffer for the next body gathered by a parser of
// the pool, up to maxPooledBodies buffers of at most maxPooledBodySize.
func (mp *MessagePool) putBody(b []byte) {
	if len(mp.bodies) < maxPooledBodies && cap(b) <= maxPooledBodySize {
		mp.bodies = append(mp.bodies, b[:0])
	}
}

// Get returns a zeroed message.
func (mp *MessagePool) Get() *Message {
	if mp == nil || len(mp.free) == 0 {
		return new(Message)
	}
	m := mp.free[len(mp.free)-1]
	mp.free = mp.free[:len(mp.free)-1]
	return m
}

// Put hands m back for reuse; nil is ignored.
func (mp *MessagePool) Put(m *Message) {
	if mp == nil || m == nil || len(mp.free) >= maxPooledMessages {
		return
	}
	*m = Message{}
	mp.free = append(mp.free, m)
}

// maxRetainedBody is the largest body buffer a parser keeps between
// messages.
const maxRetainedBody = 16 << 10

type state uint8

const (
	stStart     state = iota // between messages: skipping blank lines
	stHeader                 // collecting start line + header block
	stSkipLine               // discarding up to the next LF, then resync
	stPeek09                 // response to HTTP/0.9: is there a status line?
	stBodyCL                 // Content-Length body
	stChunkSize              // chunk-size line
	stChunkData              // chunk data
	stChunkEnd               // CRLF after chunk data
	stTrailer                // trailer block
	stBodyClose              // body delimited by end of stream
	stStopped                // tunnel or upgrade: bytes are counted only
)

type scanResult uint8

const (
	scanMore     scanResult = iota // block not complete yet
	scanDone                       // block complete
	scanDone09                     // HTTP/0.9 request line, no header block
	scanDrop                       // resync: first line not plausible, drop it
	scanBadStart                   // invalid start line
	scanTooMany                    // more than MaxHeaders fields
	scanTooLarge                   // more than MaxHeaderBytes
)

// startLine holds offsets of the start line fields within the block.
type startLine struct {
	a0, a1 int // method, or proto for responses
	b0, b1 int // target, or status
	c0, c1 int // proto for requests, or reason
}

// Parser parses one direction of a connection. Create it with NewParser.
type Parser struct {
	// The fields a Feed of body bytes touches come first: a parser of a
	// connection gone cold in the cache then misses on few cache lines.
	st     state
	resync bool // looking for a plausible start line; failures are silent
	// afterGap: resynchronising after lost bytes. Segment boundaries are
	// then taken as possible message starts, since the bytes before the
	// first one after a gap rarely end on a line boundary.
	afterGap bool
	// identity: the message in progress has no content coding. Its
	// Content-Length body, when it spans Feed calls, is gathered straight
	// into owned, the bytes the message will own (no second copy).
	identity    bool
	infoFetched bool
	sawCR       bool // stChunkEnd: CR seen
	kind        Kind
	lastTs      int64 // ts of the latest Feed
	firstTs     int64 // ts of the first byte of the message in progress
	remain      int64 // bytes left in the CL body or current chunk
	msg         *Message
	pool        *MessagePool
	handler     Handler
	owned       []byte
	body        []byte // body bytes kept so far (de-chunked, capped); reused
	// raw is the whole body of the message being emitted when it lay in
	// one Feed call: it aliases the input instead of being copied to body.
	raw      []byte
	cfg      Config
	bodyFunc func(m *Message, body []byte)

	// Block collection (header and trailer blocks, chunk-size lines).
	buf    []byte  // bytes of a block that spans Feed calls; reused
	scan   int     // offset of the first line not yet examined
	nlines int     // lines examined in the current block
	ends   []int32 // offsets of the LF ending each examined line; reused
	sl     startLine

	onMessage func(*Message)
	onError   func(string)
	reqInfo   func() (method, proto string)
	peek      int // stPeek09: bytes of "HTTP/" matched
	reqMethod string
	reqProto  string
	ignored   int64
}

// NewParser returns a parser for a stream of kind. onMessage receives each
// complete message (it may keep it); onError, which may be nil, receives the
// reason of each parse error. cfg fields left at zero take their defaults.
func NewParser(kind Kind, cfg Config, onMessage func(*Message), onError func(reason string)) *Parser {
	d := DefaultConfig()
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = d.MaxBodyBytes
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = d.MaxHeaderBytes
	}
	// Line offsets are kept as int32; Validate reports values out of range.
	cfg.MaxHeaderBytes = min(max(cfg.MaxHeaderBytes, 64), 1<<30)
	if cfg.MaxHeaders <= 0 {
		cfg.MaxHeaders = d.MaxHeaders
	}
	if onMessage == nil {
		onMessage = func(*Message) {}
	}
	if onError == nil {
		onError = func(string) {}
	}
	return &Parser{kind: kind, cfg: cfg, onMessage: onMessage, onError: onError}
}

// Reinit prepares a parser for a new stream, as NewParser with the same
// Config would, keeping its buffers: parsers can be pooled across
// connections. The handler, request-info function, body function and
// message pool are cleared.
func (p *Parser) Reinit(kind Kind, onMessage func(*Message), onError func(reason string)) {
	if onMessage == nil {
		onMessage = func(*Message) {}
	}
	if onError == nil {
		onError = func(string) {}
	}
	buf, ends, body := p.buf[:0], p.ends[:0], p.body[:0]
	*p = Parser{kind: kind, cfg: p.cfg, onMessage: onMessage, onError: onError, buf: buf, ends: ends, body: body}
}

// SetBodyFunc sets the function that makes the body of a message with a
// content coding (a Content-Encoding other than identity) when it is
// complete, just before the message is handed on: body holds the
// de-chunked bytes kept (at most MaxBodyBytes) and is only valid during
// the call (it may alias the parser's buffer or the input of Feed); f
// must set m.Body to bytes it owns, for instance the content-decoded body.
// Without it, and for messages without a content coding, Body is a copy
// of body.
func (p *Parser) SetBodyFunc(f func(m *Message, body []byte)) { p.bodyFunc = f }

// SetMessagePool makes the parser take its messages from mp.
func (p *Parser) SetMessagePool(mp *MessagePool) { p.pool = mp }

// Handler receives a parser's messages in place of the functions given to
// NewParser (or Reinit) and SetRequestInfo: one value can serve both
// parsers of a connection without a closure per parser.
type Handler interface {
	// HandleMessage receives each complete message of a parser of kind,
	// as onMessage would.
	HandleMessage(kind Kind, m *Message)
	// RequestInfo is called as the function set with SetRequestInfo
	// (by response parsers only).
	RequestInfo() (method, proto string)
}

// SetHandler makes h receive the messages (and answer the request-info
// calls) instead of the functions given before; Reinit clears it.
func (p *Parser) SetHandler(h Handler) { p.handler = h }

// SetRequestInfo sets the function a response parser calls when a response
// starts, to learn the method and proto of the request it answers ("" if
// unknown). It is called once per response, interim 1xx responses included,
// so it should report the oldest request without a final response and not
// consume it.
func (p *Parser) SetRequestInfo(f func() (method, proto string)) { p.reqInfo = f }

// Stop makes the parser ignore (and count) all further bytes, for tunnels
// and protocol upgrades. A message in progress is dropped silently.
func (p *Parser) Stop() {
	p.reset()
	p.st = stStopped
}

// Stopped reports whether the parser ignores its input.
func (p *Parser) Stopped() bool { return p.st == stStopped }

// IgnoredBytes returns the number of bytes (and gap bytes) seen while stopped.
func (p *Parser) IgnoredBytes() int64 { return p.ignored }

// Pending reports whether a message is partially parsed.
func (p *Parser) Pending() bool {
	switch p.st {
	case stStart, stStopped, stSkipLine:
		return false
	case stHeader:
		return !p.resync
	case stPeek09:
		return p.peek > 0
	}
	return true
}

// Resync drops the current state and scans forward for the next message
// start; the next byte fed is taken as a line start. Use it when capture
// starts in the middle of a connection. Until a message is found, each
// Feed is also tried as a message start. It also ends a Stop.
func (p *Parser) Resync() {
	p.reset()
	p.enterResync()
	p.afterGap = true // as after a gap: segment starts are candidates
}

func (p *Parser) reset() {
	p.msg = nil
	p.raw = nil
	p.owned = nil
	p.buf = p.buf[:0]
	p.releaseBody()
	p.scan, p.nlines = 0, 0
	p.infoFetched = false
	p.st = stStart
	p.resync = false
	p.afterGap = false
}

func (p *Parser) enterResync() {
	p.msg = nil
	p.raw = nil
	p.owned = nil
	p.buf = p.buf[:0]
	p.releaseBody()
	p.scan, p.nlines = 0, 0
	p.st = stStart
	p.resync = true
}

// fail reports reason and resynchronises at the current position, which the
// caller has placed at a line start (or at a byte worth examining).
func (p *Parser) fail(reason string) {
	p.onError(reason)
	p.enterResync()
	p.afterGap = false
}

// Feed parses data, which was received at ts (ns). data is not used after
// Feed returns.
func (p *Parser) Feed(data []byte, ts int64) {
	p.lastTs = ts
	if p.afterGap && p.resync {
		p.restartAtSegment()
	}
	for len(data) > 0 {
		var n int
		switch p.st {
		case stStopped:
			p.ignored += int64(len(data))
			return
		case stStart:
			n = p.feedStart(data, ts)
		case stHeader:
			n = p.feedHeader(data, ts)
		case stSkipLine:
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				return
			}
			n = i + 1
			p.enterResync()
		case stPeek09:
			n = p.feedPeek09(data, ts)
		case stBodyCL:
			if p.msg.BodyLen == 0 && int64(len(data)) >= p.remain {
				// The whole body is here: use it in place, no copy.
				n = int(p.remain)
				p.raw = data[:min(n, p.cfg.MaxBodyBytes)]
				p.msg.BodyLen = int64(n)
				p.remain = 0
				p.emit(ts)
				break
			}
			n = p.feedBody(data)
			if p.remain == 0 {
				p.emit(ts)
			}
		case stChunkSize:
			n = p.feedChunkSize(data, ts)
		case stChunkData:
			n = p.feedBody(data)
			if p.remain == 0 {
				p.st, p.sawCR = stChunkEnd, false
			}
		case stChunkEnd:
			n = p.feedChunkEnd(data)
		case stTrailer:
			n = p.feedTrailer(data, ts)
		case stBodyClose:
			n = len(data)
			p.keep(data)
			p.msg.BodyLen += int64(n)
		}
		data = data[n:]
	}
}

// Gap records that n bytes (n < 0: an unknown number) were lost before the
// next Feed. Inside a body of known length (Content-Length, chunk data, or a
// close-delimited body) with n known the parser skips them and stays in
// sync; elsewhere it emits the message in progress if its headers were
// complete, then resynchronises.
func (p *Parser) Gap(n int, ts int64) {
	switch p.st {
	case stStopped:
		if n > 0 {
			p.ignored += int64(n)
		}
		return
	case stBodyCL, stChunkData:
		if n >= 0 && int64(n) <= p.remain {
			p.msg.Gap = true
			p.msg.BodyTruncated = true
			p.msg.BodyLen += int64(n)
			p.remain -= int64(n)
			if p.remain == 0 {
				if p.st == stBodyCL {
					p.emit(p.lastTs)
				} else {
					p.st, p.sawCR = stChunkEnd, false
				}
			}
			return
		}
		if p.st == stBodyCL {
			p.msg.BodyLen += p.remain // the body was sent in full, we lost its end
		}
	case stBodyClose:
		// The body runs to the end of the stream: nothing after it can be
		// a message start, so stay in the body whatever n is.
		p.msg.Gap = true
		p.msg.BodyTruncated = true
		if n > 0 {
			p.msg.BodyLen += int64(n)
		}
		return
	case stHeader:
		if !p.resync {
			p.onError("gap_in_header")
		}
	}
	if p.msg != nil {
		p.msg.Gap = true
		p.msg.BodyTruncated = true
		p.emit(p.lastTs)
	}
	p.enterResync()
	p.afterGap = true
}

// restartAtSegment drops a partial line kept while resynchronising after a
// gap unless it may still be the start of a message, so that a message
// starting at this segment is found.
func (p *Parser) restartAtSegment() {
	switch p.st {
	case stSkipLine:
		p.enterResync()
	case stHeader:
		if p.nlines > 0 || !plausiblePrefix(p.kind, p.buf) {
			p.enterResync()
		}
	}
}

// plausiblePrefix reports whether b (an incomplete first line) may still
// become a plausible start line. For a request that is a known method (or
// a prefix of one), or an upper-case token, then SP, a request-target
// without spaces or control bytes, then SP and a prefix of "HTTP/1.": a
// lower-case word followed by a space (body text cut by a gap) is not.
func plausiblePrefix(kind Kind, b []byte) bool {
	if kind == Response {
		const pre = "HTTP/1."
		n := min(len(b), len(pre))
		return string(b[:n]) == pre[:n]
	}
	i := 0
	for i < len(b) && tchar[b[i]] {
		i++
	}
	method := b[:i]
	if i == len(b) {
		return i == 0 || methodPrefix(method) || i <= maxMethodLen && upperToken(method)
	}
	if i == 0 || b[i] != ' ' || !isKnownMethod(method) && (i > maxMethodLen || !upperToken(method)) {
		return false
	}
	rest := b[i+1:]
	if n := len(rest); n > 0 && rest[n-1] == '\r' {
		rest = rest[:n-1] // the LF is in the next segment
	}
	if isKnownMethod(method) {
		return !hasCtl(rest)
	}
	t := 0
	for t < len(rest) && rest[t] > ' ' && rest[t] != 0x7f {
		t++
	}
	if t == len(rest) {
		return true
	}
	if t == 0 || rest[t] != ' ' {
		return false
	}
	const pre = "HTTP/1."
	v := rest[t+1:]
	n := min(len(v), len(pre))
	return string(v[:n]) == pre[:n] && (len(v) <= len(pre) || len(v) == len(pre)+1 && v[len(pre)] >= '0' && v[len(pre)] <= '9')
}

// maxMethodLen bounds an unknown method token taken as plausible.
const maxMethodLen = 20

// methodPrefix reports whether b is a prefix of a known method.
func methodPrefix(b []byte) bool {
	for _, k := range knownMethods {
		if len(b) <= len(k) && string(b) == k[:len(b)] {
			return true
		}
	}
	return false
}

// upperToken reports whether b is made of upper-case letters, digits,
// '-' and '_' and starts with a letter, as extension methods are.
func upperToken(b []byte) bool {
	if len(b) == 0 || b[0] < 'A' || b[0] > 'Z' {
		return false
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Close ends the stream: it completes a close-delimited body, emits a
// message cut short with BodyTruncated set, and drops a partial header
// block with the error "incomplete". The parser is then reset and may be
// fed a new stream.
func (p *Parser) Close(ts int64) {
	switch p.st {
	case stBodyClose:
		p.emit(p.lastTs)
	case stBodyCL, stChunkSize, stChunkData, stChunkEnd, stTrailer:
		p.msg.BodyTruncated = true
		p.emit(p.lastTs)
	case stHeader:
		if !p.resync {
			p.onError("incomplete")
		}
	case stPeek09:
		if p.peek > 0 {
			p.startBody09()
			p.body = append(p.body, "HTTP/"[:p.peek]...)
			p.msg.BodyLen = int64(p.peek)
			p.emit(p.lastTs)
		}
	}
	p.reset()
}

func (p *Parser) feedStart(data []byte, ts int64) int {
	if p.kind == Response && !p.resync && !p.infoFetched {
		p.infoFetched = true
		p.reqMethod, p.reqProto = "", ""
		p.reqMethod, p.reqProto = p.requestInfo()
		if p.reqProto == "HTTP/0.9" {
			p.firstTs = ts
			p.st, p.peek = stPeek09, 0
			return 0
		}
	}
	i := 0
	for i < len(data) && (data[i] == '\r' || data[i] == '\n') {
		i++
	}
	if i < len(data) {
		p.st = stHeader
		p.firstTs = ts
		p.scan, p.nlines = 0, 0
		p.buf = p.buf[:0]
	}
	return i
}

// feedPeek09 decides whether the answer to an HTTP/0.9 request is a raw
// body (the 0.9 way) or starts with a status line (real servers answer
// garbage with "HTTP/1.1 400").
func (p *Parser) feedPeek09(data []byte, ts int64) int {
	const pre = "HTTP/"
	i := 0
	for i < len(data) && p.peek < len(pre) {
		if data[i] != pre[p.peek] {
			p.startBody09()
			p.body = append(p.body, pre[:p.peek]...)
			p.msg.BodyLen = int64(p.peek)
			return i
		}
		p.peek++
		i++
	}
	if p.peek == len(pre) {
		p.st = stHeader
		p.scan, p.nlines = 0, 0
		p.buf = append(p.buf[:0], pre...)
	}
	return i
}

func (p *Parser) startBody09() {
	p.msg = p.pool.Get()
	p.msg.Proto, p.msg.Start = "HTTP/0.9", p.firstTs
	p.identity = true
	p.body = p.body[:0]
	p.st = stBodyClose
}

// feedHeader collects the start line and header block.
func (p *Parser) feedHeader(data []byte, ts int64) int {
	n, block, r := p.collect(data, true)
	switch r {
	case scanMore:
	case scanDone, scanDone09:
		p.finishHeader(block, r == scanDone09, ts)
		p.buf = p.buf[:0]
	case scanDrop:
		p.enterResync()
	case scanBadStart:
		p.fail("bad_start_line")
	case scanTooMany:
		p.fail("too_many_headers")
	case scanTooLarge:
		if !p.resync {
			p.onError("header_too_large")
		}
		p.enterResync()
		p.st = stSkipLine
	}
	return n
}

// collect gathers a block of lines that ends with an empty line, without
// copying when the block lies inside data. It returns the bytes of data
// consumed and, once complete, the block (which aliases data or p.buf).
// Whatever the split of the input, events come in block offset order and a
// block over the limit is cut at offset limit+1, so that the resync point
// does not depend on how data was split.
func (p *Parser) collect(data []byte, header bool) (int, []byte, scanResult) {
	limit := p.cfg.MaxHeaderBytes
	if len(p.buf) == 0 {
		end, r := p.scanBlock(data, true, header)
		switch {
		case r == scanTooLarge || r == scanMore && len(data) > limit:
			return limit + 1, nil, scanTooLarge
		case r == scanMore:
			p.buf = append(p.buf, data...)
			return len(data), nil, scanMore
		}
		return end, data[:end], r
	}
	// The block spans Feed calls: append in pieces, so that a block ending
	// early in a large chunk does not copy the whole chunk.
	old := len(p.buf)
	c := 0
	for {
		take := min(len(data)-c, 2048, limit+1-len(p.buf))
		if take <= 0 {
			return c, nil, scanTooLarge
		}
		p.buf = append(p.buf, data[c:c+take]...)
		c += take
		end, r := p.scanBlock(p.buf, c == len(data), header)
		switch {
		case r == scanTooLarge:
			return limit + 1 - old, nil, r
		case r != scanMore:
			return end - old, p.buf[:end], r
		case len(p.buf) > limit:
			return c, nil, scanTooLarge
		case c == len(data):
			return c, nil, scanMore
		}
	}
}

// scanBlock examines the complete lines of b from p.scan on. atEnd says
// that no byte follows b in the current Feed. For a header block the first
// line is the start line.
func (p *Parser) scanBlock(b []byte, atEnd, header bool) (int, scanResult) {
	for {
		j := bytes.IndexByte(b[p.scan:], '\n')
		if j < 0 {
			return 0, scanMore
		}
		ls, nl := p.scan, p.scan+j
		if nl >= p.cfg.MaxHeaderBytes {
			return 0, scanTooLarge
		}
		p.scan = nl + 1
		if p.nlines == 0 {
			p.ends = p.ends[:0]
		}
		p.nlines++
		p.ends = append(p.ends, int32(nl))
		if header && p.nlines == 1 {
			line := b[ls:nl]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			var ok, v09 bool
			if p.kind == Request {
				ok, v09 = p.parseRequestLine(line, p.resync)
			} else {
				ok = p.parseStatusLine(line, p.resync)
			}
			if !ok {
				if p.resync {
					return nl + 1, scanDrop
				}
				return nl + 1, scanBadStart
			}
			if v09 {
				// A real HTTP/0.9 client sends the request line and waits;
				// more bytes right behind it are a header block.
				if atEnd && nl+1 == len(b) {
					return nl + 1, scanDone09
				}
			}
			continue
		}
		if nl == ls || (nl == ls+1 && b[ls] == '\r') {
			return nl + 1, scanDone
		}
		fields := p.nlines - 1
		if !header {
			fields = p.nlines
		}
		if fields > p.cfg.MaxHeaders {
			return nl + 1, scanTooMany
		}
	}
}

// tchar is the RFC 9110 token character set.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// isVersion matches "HTTP/d.d"; strict1 additionally requires major 1.
func isVersion(b []byte, strict1 bool) bool {
	if len(b) != 8 || string(b[:5]) != "HTTP/" || b[6] != '.' ||
		b[5] < '0' || b[5] > '9' || b[7] < '0' || b[7] > '9' {
		return false
	}
	return !strict1 || b[5] == '1'
}

var knownMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
	"TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"}

func isKnownMethod(m []byte) bool {
	for _, k := range knownMethods {
		if string(m) == k {
			return true
		}
	}
	return false
}

// parseRequestLine validates line (CR removed) and records field offsets.
// Lenient: several spaces between fields, spaces inside the target (the
// version is the last field). v09 reports a line without version, which
// only a known method with a space-free target may have; strict (resync)
// requires HTTP/1.x.
func (p *Parser) parseRequestLine(line []byte, strict bool) (ok, v09 bool) {
	i := 0
	for i < len(line) && tchar[line[i]] {
		i++
	}
	if i == 0 || i == len(line) || !isSpace(line[i]) {
		return false, false
	}
	p.sl.a0, p.sl.a1 = 0, i
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	e := len(line)
	for e > i && isSpace(line[e-1]) {
		e--
	}
	if i == e {
		return false, false
	}
	rest := line[i:e]
	// Most lines end in " HTTP/1.1": check that before searching for the
	// last space.
	sp := len(rest) - 9
	if sp < 0 || !isSpace(rest[sp]) || !isVersion(rest[sp+1:], strict) {
		sp = bytes.LastIndexAny(rest, " \t")
	}
	if sp >= 0 && isVersion(rest[sp+1:], strict) {
		te := sp
		for te > 0 && isSpace(rest[te-1]) {
			te--
		}
		if te == 0 {
			return false, false
		}
		p.sl.b0, p.sl.b1 = i, i+te
		p.sl.c0, p.sl.c1 = i+sp+1, e
		return !hasCtl(line[i : i+te]), false
	}
	if strict || sp >= 0 || !isKnownMethod(line[:p.sl.a1]) || hasCtl(rest) {
		return false, false
	}
	p.sl.b0, p.sl.b1 = i, e
	p.sl.c0, p.sl.c1 = e, e
	return true, true
}

func hasCtl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// parseStatusLine validates "HTTP/d.d SP 3DIGIT [SP reason]"; the reason
// may be missing, and strict (resync) requires HTTP/1.x.
func (p *Parser) parseStatusLine(line []byte, strict bool) bool {
	if len(line) < 12 || !isVersion(line[:8], strict) || !isSpace(line[8]) {
		return false
	}
	p.sl.a0, p.sl.a1 = 0, 8
	i := 9
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i+3 > len(line) {
		return false
	}
	for k := i; k < i+3; k++ {
		if line[k] < '0' || line[k] > '9' {
			return false
		}
	}
	if line[i] == '0' {
		return false
	}
	p.sl.b0, p.sl.b1 = i, i+3
	i += 3
	if i < len(line) && !isSpace(line[i]) {
		return false
	}
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	e := len(line)
	for e > i && isSpace(line[e-1]) {
		e--
	}
	p.sl.c0, p.sl.c1 = i, e
	return true
}

func protoString(s string) string {
	switch s {
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return "HTTP/1.0"
	}
	return s
}

// finishHeader builds the message from a complete header block and decides
// how its body is framed.
func (p *Parser) finishHeader(block []byte, v09 bool, ts int64) {
	p.resync, p.afterGap = false, false
	s := string(block) // the one copy: names and values are substrings
	m := p.pool.Get()
	m.Start = p.firstTs
	sl := p.sl
	if p.kind == Request {
		m.Method = s[sl.a0:sl.a1]
		m.Target = s[sl.b0:sl.b1]
		switch {
		case v09 || sl.c0 == sl.c1:
			m.Proto = "HTTP/0.9"
		default:
			m.Proto = protoString(s[sl.c0:sl.c1])
		}
	} else {
		m.Proto = protoString(s[sl.a0:sl.a1])
		m.Status = int(s[sl.b0]-'0')*100 + int(s[sl.b0+1]-'0')*10 + int(s[sl.b0+2]-'0')
		m.Reason = s[sl.c0:sl.c1]
	}
	p.msg = m
	if v09 {
		p.emit(ts)
		return
	}
	hdrs, fr, reason := parseFields(s, int(p.ends[0])+1, p.ends[1:], true, p.pool, m)
	if reason != "" {
		p.fail(reason)
		return
	}
	m.Headers = hdrs
	p.identity = identityCoding(m.ContentEncoding)

	if p.kind == Request {
		switch {
		case m.Method == "CONNECT":
			p.emit(ts)
			p.Stop()
		case fr.chunked:
			p.startChunked()
		// An unknown transfer coding on a request is left to the server to
		// refuse; the request is still worth reporting, framed by its
		// Content-Length if any.
		case fr.clErr != "":
			p.fail(fr.clErr)
		case fr.cl > 0:
			p.startCL(fr.cl)
		default:
			p.emit(ts)
		}
		return
	}
	if !p.infoFetched {
		p.infoFetched = true
		p.reqMethod, p.reqProto = p.requestInfo()
	}
	switch {
	case m.Status == 101:
		p.emit(ts)
		p.Stop()
	case m.Status < 200:
		p.emit(ts) // interim: the final response follows
	case p.reqMethod == "CONNECT" && m.Status < 300:
		p.emit(ts)
		p.Stop()
	case p.reqMethod == "HEAD" || m.Status == 204 || m.Status == 304:
		p.emit(ts)
	case fr.chunked:
		p.startChunked()
	case fr.te:
		p.body = p.body[:0]
		p.st = stBodyClose
	case fr.clErr != "":
		p.fail(fr.clErr)
	case fr.hasCL && fr.cl == 0:
		p.emit(ts)
	case fr.hasCL:
		p.startCL(fr.cl)
	default:
		p.body = p.body[:0]
		p.st = stBodyClose
	}
}

func (p *Parser) startCL(n int64) {
	p.remain = n
	p.body = p.body[:0]
	p.st = stBodyCL
}

func (p *Parser) startChunked() {
	p.msg.Chunked = true
	p.body = p.body[:0]
	p.scan, p.nlines = 0, 0
	p.buf = p.buf[:0]
	p.st = stChunkSize
}

// framing is what the header block says about the body.
type framing struct {
	cl      int64
	hasCL   bool
	clErr   string
	te      bool // Transfer-Encoding present
	chunked bool // its final coding is chunked
	// a Host, Content-Type, Content-Encoding field was seen
	host, ctype, cenc bool
}

// parseFields parses the field lines of block s that start at offset ls
// (after the start line, if any) and whose LF offsets are ends; the last of
// them ends the empty line closing the block. With framingToo
// (a header block, not trailers) it also reads the framing fields and
// records the first Host, Content-Type and Content-Encoding values in m.
func parseFields(s string, ls int, ends []int32, framingToo bool, mp *MessagePool, m *Message) (apicall.Headers, framing, string) {
	var fr framing
	if len(ends) <= 1 {
		return nil, fr, ""
	}
	// A NUL anywhere in the field lines makes the block bad (in a name it
	// is a control byte, in a value forbidden): one search for the block.
	if strings.IndexByte(s[ls:], 0) >= 0 {
		return nil, fr, "bad_header"
	}
	hs := mp.headers(len(ends) - 1)
	folded := false
	for _, e := range ends[:len(ends)-1] {
		line := s[ls:e]
		ls = int(e) + 1
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			continue
		}
		if isSpace(line[0]) {
			v := trimOWS(line)
			if v == "" {
				continue // whitespace-only line: nothing to fold
			}
			if len(hs) == 0 {
				return nil, fr, "bad_header"
			}
			// obs-fold: rare, so the joined value gets its own string.
			h := &hs[len(hs)-1]
			if h.Value == "" {
				h.Value = v
			} else {
				h.Value = h.Value + " " + v
			}
			folded = true
			continue
		}
		// One pass over the name finds the colon and refuses control bytes.
		c := 0
		for c < len(line) {
			k := nameStop[line[c]]
			if k == 0 {
				c++
				continue
			}
			if k == stopCtl {
				return nil, fr, "bad_header"
			}
			break
		}
		name := line[:c]
		for len(name) > 0 && isSpace(name[len(name)-1]) {
			name = name[:len(name)-1]
		}
		var value string
		if c < len(line) {
			value = trimOWS(line[c+1:])
		}
		// A line without a colon is kept as a name: real servers accept it.
		if name == "" {
			return nil, fr, "bad_header"
		}
		hs = append(hs, apicall.Header{Name: name, Value: value})
		if !framingToo {
			continue
		}
		// The fields the parser and the call need, told apart by length and
		// first letter before a case-insensitive compare (names hold no
		// control bytes here, so OR-ing 0x20 folds letters only).
		switch len(name) {
		case 4:
			if !fr.host && name[0]|0x20 == 'h' && foldEq(name, "host") {
				m.Host, fr.host = value, true
			}
		case 12:
			if !fr.ctype && name[0]|0x20 == 'c' && foldEq(name, "content-type") {
				m.ContentType, fr.ctype = value, true
			}
		case 14:
			if name[0]|0x20 == 'c' && foldEq(name, "content-length") {
				fr.addCL(value)
			}
		case 16:
			if !fr.cenc && name[0]|0x20 == 'c' && foldEq(name, "content-encoding") {
				m.ContentEncoding, fr.cenc = value, true
			}
		case 17:
			if name[0]|0x20 == 't' && foldEq(name, "transfer-encoding") {
				fr.te = true
				fr.chunked = finalCodingChunked(value)
			}
		}
	}
	if len(hs) == 0 {
		hs = nil
	}
	if folded && framingToo {
		// A folded line extended a value recorded above.
		m.Host, m.ContentType, m.ContentEncoding = hs.Get("Host"), hs.Get("Content-Type"), hs.Get("Content-Encoding")
	}
	return hs, fr, ""
}

// nameStop classes the bytes that end a field name: the colon, and the
// control bytes a name may not hold (HT is allowed as the whitespace some
// senders put before the colon).
var nameStop = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		if c != '\t' {
			t[c] = stopCtl
		}
	}
	t[0x7f] = stopCtl
	t[':'] = stopColon
	return t
}()

const (
	stopColon = 1
	stopCtl   = 2
)

// foldEq reports whether name equals lower (lower-case ASCII letters and
// '-') ignoring ASCII case; name must hold no control bytes.
func foldEq(name, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// finalCodingChunked reports whether the last non-empty coding of a
// Transfer-Encoding value is chunked.
func finalCodingChunked(v string) bool {
	for {
		last := v
		c := strings.LastIndexByte(v, ',')
		if c >= 0 {
			last, v = v[c+1:], v[:c]
		}
		if last = trimOWS(last); last != "" || c < 0 {
			return strings.EqualFold(last, "chunked")
		}
	}
}

// trimOWS removes spaces and tabs around s.
func trimOWS(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// addCL records one Content-Length value; a list ("5, 5") counts as
// several headers.
func (fr *framing) addCL(v string) {
	for {
		part := v
		c := strings.IndexByte(v, ',')
		if c >= 0 {
			part, v = v[:c], v[c+1:]
		}
		n, ok := parseDecimal(trimOWS(part))
		switch {
		case !ok:
			if fr.clErr == "" {
				fr.clErr = "bad_content_length"
			}
		case fr.hasCL && n != fr.cl:
			if fr.clErr == "" {
				fr.clErr = "multiple_content_length"
			}
		default:
			fr.cl, fr.hasCL = n, true
		}
		if c < 0 {
			return
		}
	}
}

func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// identityCoding reports whether a Content-Encoding value means no coding.
func identityCoding(v string) bool {
	return v == "" || strings.EqualFold(strings.TrimSpace(v), "identity")
}

// releaseBody empties the body buffer between messages. With a message
// pool the buffer goes back to it, so that a worker's idle connections hold
// no body buffers and the few buffers in use stay warm in the cache;
// without one the parser keeps it unless it is large.
func (p *Parser) releaseBody() {
	if p.pool != nil && cap(p.body) > 0 {
		p.pool.putBody(p.body)
		p.body = nil
		return
	}
	p.body = p.body[:0]
	if cap(p.body) > maxRetainedBody {
		p.body = nil // an idle connection does not keep a large buffer
	}
}

// keep appends body bytes up to MaxBodyBytes to the body being built.
func (p *Parser) keep(b []byte) {
	if p.identity && p.st == stBodyCL {
		// The message will own these bytes as they are: gather them
		// there, in a buffer of the body's size, capped.
		if p.owned == nil {
			// Not zeroed: every byte up to the body's length is written.
			p.owned = nozero.Bytes(int(min(p.remain, int64(p.cfg.MaxBodyBytes))))
		}
		if room := p.cfg.MaxBodyBytes - len(p.owned); room > 0 {
			p.owned = append(p.owned, b[:min(room, len(b))]...)
		}
		return
	}
	if cap(p.body) == 0 && p.pool != nil {
		p.body = p.pool.getBody()
	}
	if len(p.body) == 0 && p.st == stBodyCL {
		// Room for the whole body (capped) at once, not by doubling.
		p.body = slices.Grow(p.body, int(min(p.remain, int64(p.cfg.MaxBodyBytes))))
	}
	if room := p.cfg.MaxBodyBytes - len(p.body); room > 0 {
		p.body = append(p.body, b[:min(room, len(b))]...)
	}
}

// feedBody consumes Content-Length or chunk data.
func (p *Parser) feedBody(data []byte) int {
	n := len(data)
	if int64(n) > p.remain {
		n = int(p.remain)
	}
	p.keep(data[:n])
	p.remain -= int64(n)
	p.msg.BodyLen += int64(n)
	return n
}

func (p *Parser) feedChunkSize(data []byte, ts int64) int {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		i = len(data)
	}
	if len(p.buf)+i > p.cfg.MaxHeaderBytes {
		p.chunkFail("bad_chunk")
		p.st = stSkipLine // skip the rest of the over-long line
		return 0
	}
	if i == len(data) {
		p.buf = append(p.buf, data...)
		return len(data)
	}
	line := data[:i]
	if len(p.buf) > 0 {
		p.buf = append(p.buf, line...)
		line = p.buf
	}
	size, ok := parseChunkSize(line)
	p.buf = p.buf[:0]
	if !ok {
		p.chunkFail("bad_chunk")
		return i + 1
	}
	if size == 0 {
		p.st = stTrailer
		p.scan, p.nlines = 0, 0
		return i + 1
	}
	p.remain = size
	p.st = stChunkData
	return i + 1
}

// chunkFail reports broken chunk framing. The headers were valid, so the
// message is emitted cut short rather than dropped: that keeps request and
// response pairing in step.
func (p *Parser) chunkFail(reason string) {
	p.onError(reason)
	p.msg.BodyTruncated = true
	p.emit(p.lastTs)
	p.enterResync()
}

// parseChunkSize reads "HEX [ws] [; ext]" (CR removed or not).
func parseChunkSize(line []byte) (int64, bool) {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	var n int64
	d := 0
	for ; i < len(line); i++ {
		c := line[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			goto rest
		}
		if d++; d > 15 {
			return 0, false
		}
		n = n<<4 | int64(v)
	}
rest:
	if d == 0 {
		return 0, false
	}
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i < len(line) && line[i] != ';' {
		return 0, false
	}
	return n, true
}

func (p *Parser) feedChunkEnd(data []byte) int {
	switch data[0] {
	case '\r':
		if !p.sawCR {
			p.sawCR = true
			return 1
		}
	case '\n':
		p.st = stChunkSize
		p.buf = p.buf[:0]
		return 1
	}
	// Leave the byte: it may start the next message.
	p.chunkFail("bad_chunk")
	return 0
}

func (p *Parser) feedTrailer(data []byte, ts int64) int {
	n, block, r := p.collect(data, false)
	switch r {
	case scanMore:
		return n
	case scanDone:
		if len(block) > 2 { // more than the final empty line
			tr, _, reason := parseFields(string(block), 0, p.ends, false, p.pool, nil)
			if reason != "" {
				p.chunkFail(reason)
				return n
			}
			p.msg.Trailers = tr
		}
		p.buf = p.buf[:0]
		p.emit(ts)
	case scanTooMany:
		p.chunkFail("too_many_headers")
	default:
		p.chunkFail("header_too_large")
		p.st = stSkipLine
	}
	return n
}

// emit hands the message in progress to the callback and prepares for the
// next one.
func (p *Parser) emit(ts int64) {
	m := p.msg
	p.msg = nil
	body := p.body
	switch {
	case p.raw != nil:
		body = p.raw
		p.raw = nil
	case p.owned != nil:
		body = p.owned
	}
	if int64(len(body)) < m.BodyLen {
		m.BodyTruncated = true
	}
	switch {
	case p.owned != nil:
		m.Body, p.owned = p.owned, nil
	case p.bodyFunc != nil && !p.identity:
		p.bodyFunc(m, body)
	case len(body) > 0:
		m.Body = append([]byte(nil), body...)
	}
	if len(m.Body) == 0 {
		m.Body = nil
	}
	p.releaseBody()
	m.End = ts
	p.st = stStart
	p.resync = false
	p.infoFetched = false
	p.scan, p.nlines = 0, 0
	if p.handler != nil {
		p.handler.HandleMessage(p.kind, m)
		return
	}
	p.onMessage(m)
}

// requestInfo asks the handler or the request-info function, if any.
func (p *Parser) requestInfo() (method, proto string) {
	switch {
	case p.handler != nil:
		return p.handler.RequestInfo()
	case p.reqInfo != nil:
		return p.reqInfo()
	}
	return "", ""
}
