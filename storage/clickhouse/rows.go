package clickhouse

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

// columnSet holds one batch of rows column by column: the fastest way to
// hand rows to clickhouse-go (one Append per column, no reflection per row).
type columnSet interface {
	// names are the column names, in the order of values.
	names() []string
	// values returns one slice per column.
	values() []any
	len() int
	// reset empties the set for reuse, keeping its capacity.
	reset()
}

// truncate empties a column, dropping references to what it held.
func truncate[T any](s *[]T) {
	clear(*s)
	*s = (*s)[:0]
}

// Annotator adds what the analyzer knows about a call to its row: the path
// template of its endpoint and the sensitive data classes seen in it.
type Annotator func(c *apicall.Call) (template string, sensitive []string)

type callColumns struct {
	sample   int
	annotate Annotator
	rows     int // expected rows per batch: the columns are sized for it once

	// String columns are kept in ClickHouse's own layout (strCol): the
	// bytes of every row in one buffer, so the insert hands them to
	// clickhouse-go without copying them again (colstr.go), and the
	// garbage collector has no pointers to scan in them.
	id, host, method, path, template, query, proto                strCol
	ts                                                            []time.Time
	durationUS, ttfbUS, reqBytes, respBytes                       []uint64
	status, clientPort, serverPort                                []uint16
	reqCT, respCT, actor, actorKind, user, clientIP, serverIP, ua strCol
	jwtIssuer, jwtAlg, reqBody, respBody, sourceKind, sourceNode  strCol
	reqHeaders, respHeaders                                       strCol
	roles, scopes, sensitive                                      arrCol
	flags                                                         []uint32

	lastServer lastAddr // the server address of the previous row (few servers, many calls)

	// sorted sends the rows in the table's sorting key order (order.go),
	// ts compared in seconds when seconds (DateTime on old servers).
	sorted, seconds bool
	order           rowOrder
	gather          gather
}

// permutation returns the order in which the insert sends the rows (nil
// for the order they were added in) and the batch's scratch space for it.
func (c *callColumns) permutation() ([]int32, *gather) {
	if !c.sorted {
		return nil, &c.gather
	}
	return c.order.order(c, c.seconds), &c.gather
}

var callColumnNames = []string{
	"id", "ts", "duration_us", "ttfb_us", "host", "method", "path", "template", "query", "proto",
	"status", "req_bytes", "resp_bytes", "req_content_type", "resp_content_type",
	"actor", "actor_kind", "user", "client_ip", "client_port", "server_ip", "server_port",
	"user_agent", "jwt_issuer", "jwt_alg", "roles", "scopes", "sensitive",
	"req_headers", "resp_headers",
	"req_body", "resp_body", "flags", "source_kind", "source_node",
}

func (c *callColumns) names() []string { return callColumnNames }
func (c *callColumns) len() int        { return c.id.Rows() }

// strCols are the string columns of c.
func (c *callColumns) strCols() []*strCol {
	return []*strCol{&c.id, &c.host, &c.method, &c.path, &c.template, &c.query, &c.proto,
		&c.reqCT, &c.respCT, &c.actor, &c.actorKind, &c.user, &c.clientIP, &c.serverIP, &c.ua,
		&c.jwtIssuer, &c.jwtAlg, &c.reqBody, &c.respBody, &c.sourceKind, &c.sourceNode, &c.reqHeaders, &c.respHeaders}
}

// arrCols are the Array(String) columns of c.
func (c *callColumns) arrCols() []*arrCol { return []*arrCol{&c.roles, &c.scopes, &c.sensitive} }

func (c *callColumns) reset() {
	for _, col := range c.strCols() {
		resetStr(col)
	}
	for _, col := range c.arrCols() {
		col.reset()
	}
	for _, col := range []*[]uint64{&c.durationUS, &c.ttfbUS, &c.reqBytes, &c.respBytes} {
		truncate(col)
	}
	for _, col := range []*[]uint16{&c.status, &c.clientPort, &c.serverPort} {
		truncate(col)
	}
	truncate(&c.ts)
	truncate(&c.flags)
	c.lastServer = lastAddr{}
	c.order.reset()
}

func (c *callColumns) values() []any {
	return []any{
		&c.id, c.ts, c.durationUS, c.ttfbUS, &c.host, &c.method, &c.path, &c.template, &c.query, &c.proto,
		c.status, c.reqBytes, c.respBytes, &c.reqCT, &c.respCT,
		&c.actor, &c.actorKind, &c.user, &c.clientIP, c.clientPort, &c.serverIP, c.serverPort,
		&c.ua, &c.jwtIssuer, &c.jwtAlg, &c.roles, &c.scopes, &c.sensitive,
		&c.reqHeaders, &c.respHeaders,
		&c.reqBody, &c.respBody, c.flags, &c.sourceKind, &c.sourceNode,
	}
}

// grow sizes every column for n rows at once instead of regrowing them.
func (c *callColumns) grow(n int) {
	for _, col := range c.strCols() {
		col.Pos = slices.Grow(col.Pos, n)
	}
	for _, col := range c.arrCols() {
		growArr(col, n)
	}
	for _, col := range []*[]uint64{&c.durationUS, &c.ttfbUS, &c.reqBytes, &c.respBytes} {
		*col = slices.Grow(*col, n)
	}
	for _, col := range []*[]uint16{&c.status, &c.clientPort, &c.serverPort} {
		*col = slices.Grow(*col, n)
	}
	c.ts = slices.Grow(c.ts, n)
	c.flags = slices.Grow(c.flags, n)
}

func (c *callColumns) add(calls []apicall.Call) {
	if cap(c.id.Pos) == 0 {
		c.grow(max(c.rows, len(calls)))
	}
	if n := c.len(); n > 0 && n < c.rows {
		for _, col := range c.strCols() {
			reserve(col, n, c.rows)
		}
	}
	for i := range calls {
		k := &calls[i]
		var template string
		var sensitive []string
		if c.annotate != nil {
			template, sensitive = c.annotate(k)
		}
		c.id.Append(k.ID)
		c.ts = append(c.ts, unixNano(k.ReqStart))
		c.durationUS = append(c.durationUS, micros(k.RespEnd-k.ReqStart, k.RespEnd))
		c.ttfbUS = append(c.ttfbUS, micros(k.RespStart-k.ReqEnd, k.RespStart))
		c.host.Append(k.Host)
		c.method.Append(k.Method)
		c.path.Append(k.Path)
		c.template.Append(template)
		c.query.Append(k.RawQuery)
		c.proto.Append(k.Proto)
		c.status = append(c.status, uint16(min(max(k.Status, 0), 65535)))
		c.reqBytes = append(c.reqBytes, uint64(max(k.ReqBody.Length, 0)))
		c.respBytes = append(c.respBytes, uint64(max(k.RespBody.Length, 0)))
		c.reqCT.Append(k.ReqBody.ContentType)
		c.respCT.Append(k.RespBody.ContentType)
		appendActorKey(&c.actor, &k.Actor)
		c.actorKind.Append(k.Actor.Kind)
		c.user.Append(k.Actor.User)
		appendAddr(&c.clientIP, "", k.Actor.ClientIP)
		c.clientPort = append(c.clientPort, k.Client.Port())
		c.lastServer = appendAddrCached(&c.serverIP, k.Server.Addr(), c.lastServer)
		c.serverPort = append(c.serverPort, k.Server.Port())
		c.ua.Append(userAgent(k.ReqHeaders))
		c.jwtIssuer.Append(k.Actor.Issuer)
		c.jwtAlg.Append(k.Actor.Alg)
		c.roles.appendRow(k.Actor.Roles)
		c.scopes.appendRow(k.Actor.Scopes)
		c.sensitive.appendRow(sensitive)
		appendHeaderText(&c.reqHeaders, k.ReqHeaders)
		appendHeaderText(&c.respHeaders, k.RespHeaders)
		c.reqBody.AppendBytes(sampleBytes(k.ReqBody.Data, c.sample))
		c.respBody.AppendBytes(sampleBytes(k.RespBody.Data, c.sample))
		c.flags = append(c.flags, uint32(k.Flags))
		c.sourceKind.Append(k.Source.Kind)
		c.sourceNode.Append(k.Source.Node)
		if c.sorted {
			c.order.add(k.Host, k.Method, template)
		}
	}
}

// appendActorKey appends apicall.Actor.Key without building the string.
func appendActorKey(col *strCol, a *apicall.Actor) {
	if a.User != "" || !a.ClientIP.IsValid() {
		col.Append(a.Key())
		return
	}
	appendAddr(col, "ip:", a.ClientIP)
}

// appendAddr appends prefix and the address as text ("" for the zero
// address).
func appendAddr(col *strCol, prefix string, ip netip.Addr) {
	start := len(col.Buf)
	if ip.IsValid() {
		col.Buf = ip.AppendTo(append(col.Buf, prefix...))
	}
	col.Pos = append(col.Pos, chproto.Position{Start: start, End: len(col.Buf)})
}

// lastAddr is an address a column holds as text, and where.
type lastAddr struct {
	ip         netip.Addr
	start, end int
	ok         bool
}

// appendAddrCached is appendAddr that copies the text of last when the
// address is the same instead of formatting it again; it returns the new
// last.
func appendAddrCached(col *strCol, ip netip.Addr, last lastAddr) lastAddr {
	if last.ok && last.ip == ip && last.end <= len(col.Buf) {
		start := len(col.Buf)
		col.Buf = append(col.Buf, col.Buf[last.start:last.end]...)
		col.Pos = append(col.Pos, chproto.Position{Start: start, End: len(col.Buf)})
		return lastAddr{ip: ip, start: start, end: len(col.Buf), ok: true}
	}
	appendAddr(col, "", ip)
	p := col.Pos[len(col.Pos)-1]
	return lastAddr{ip: ip, start: p.Start, end: p.End, ok: true}
}

// userAgent is Headers.Get("User-Agent") comparing lengths first.
func userAgent(h apicall.Headers) string {
	for i := range h {
		if len(h[i].Name) == len("User-Agent") && strings.EqualFold(h[i].Name, "User-Agent") {
			return h[i].Value
		}
	}
	return ""
}

// appendHeaderText appends headers as one string, one "Name: value" line
// per field in wire order (names and values hold no line breaks: the HTTP
// parser splits on them).
func appendHeaderText(col *strCol, h apicall.Headers) {
	start := len(col.Buf)
	for i := range h {
		if i > 0 {
			col.Buf = append(col.Buf, '\n')
		}
		col.Buf = append(append(append(col.Buf, h[i].Name...), ": "...), h[i].Value...)
	}
	col.Pos = append(col.Pos, chproto.Position{Start: start, End: len(col.Buf)})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// micros converts a nanosecond span to microseconds; 0 when the end was not
// observed or the span is negative (clock steps between capture points).
func micros(ns, end int64) uint64 {
	if end == 0 || ns < 0 {
		return 0
	}
	return uint64(ns / 1000)
}

// unixNano returns the time of a capture timestamp; 0 stays the epoch (the
// DateTime minimum), not year 1.
func unixNano(ns int64) time.Time { return time.Unix(0, max(ns, 0)).UTC() }

func timeOf(t time.Time) time.Time {
	if t.Before(time.Unix(0, 0)) {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// sample returns the first n bytes of a (redacted) body as a string,
// without cutting a UTF-8 sequence in two.
func sample(b []byte, n int) string { return string(sampleBytes(b, n)) }

// sampleBytes is sample without the copy.
func sampleBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	cut := n
	for cut > 0 && cut > n-4 && b[cut]&0xC0 == 0x80 {
		cut--
	}
	return b[:cut]
}

type endpointColumns struct {
	host, method, path, class, extra []string
	deprecated                       []uint8
	calls, actors, version           []uint64
	statusCodes, sensitive, auth     [][]string
	statusCounts                     [][]uint64
	firstSeen, lastSeen              []time.Time
}

var endpointColumnNames = []string{
	"host", "method", "path", "classification", "deprecated", "calls", "actors",
	"status_codes", "status_counts", "first_seen", "last_seen", "sensitive", "auth", "extra", "version",
}

func (c *endpointColumns) names() []string { return endpointColumnNames }
func (c *endpointColumns) len() int        { return len(c.host) }

func (c *endpointColumns) reset() { *c = endpointColumns{} } // small tables: no reuse needed

func (c *endpointColumns) values() []any {
	return []any{c.host, c.method, c.path, c.class, c.deprecated, c.calls, c.actors,
		c.statusCodes, c.statusCounts, c.firstSeen, c.lastSeen, c.sensitive, c.auth, c.extra, c.version}
}

func (c *endpointColumns) add(eps []report.Endpoint) {
	for i := range eps {
		e := &eps[i]
		c.host = append(c.host, e.Host)
		c.method = append(c.method, e.Method)
		c.path = append(c.path, e.Path)
		c.class = append(c.class, e.Classification)
		c.deprecated = append(c.deprecated, b2u(e.Deprecated))
		c.calls = append(c.calls, uint64(max(e.Calls, 0)))
		c.actors = append(c.actors, uint64(max(e.Actors, 0)))
		codes := make([]string, 0, len(e.Status))
		for k := range e.Status {
			codes = append(codes, k)
		}
		slices.Sort(codes)
		counts := make([]uint64, len(codes))
		for j, k := range codes {
			counts[j] = uint64(max(e.Status[k], 0))
		}
		c.statusCodes = append(c.statusCodes, codes)
		c.statusCounts = append(c.statusCounts, counts)
		c.firstSeen = append(c.firstSeen, timeOf(e.FirstSeen))
		c.lastSeen = append(c.lastSeen, timeOf(e.LastSeen))
		c.sensitive = append(c.sensitive, nonNil(e.Sensitive))
		c.auth = append(c.auth, nonNil(e.Auth))
		c.extra = append(c.extra, jsonString(e.Extra))
		c.version = append(c.version, uint64(timeOf(e.LastSeen).UnixNano()))
	}
}

type findingColumns struct {
	id, typ, owasp, severity, user, endpoint, host, summary, evidence []string
	clientIPs, users, callIDs                                         [][]string
	firstSeen, lastSeen                                               []time.Time
	count, version                                                    []uint64
}

var findingColumnNames = []string{
	"id", "type", "owasp", "severity", "user", "client_ips", "users", "endpoint", "host",
	"first_seen", "last_seen", "count", "summary", "evidence", "call_ids", "version",
}

func (c *findingColumns) names() []string { return findingColumnNames }
func (c *findingColumns) len() int        { return len(c.id) }

func (c *findingColumns) reset() { *c = findingColumns{} }

func (c *findingColumns) values() []any {
	return []any{c.id, c.typ, c.owasp, c.severity, c.user, c.clientIPs, c.users, c.endpoint, c.host,
		c.firstSeen, c.lastSeen, c.count, c.summary, c.evidence, c.callIDs, c.version}
}

func (c *findingColumns) add(fs []report.Finding) {
	for i := range fs {
		f := &fs[i]
		c.id = append(c.id, f.ID)
		c.typ = append(c.typ, f.Type)
		c.owasp = append(c.owasp, f.OWASP)
		c.severity = append(c.severity, f.Severity)
		c.user = append(c.user, f.User)
		c.clientIPs = append(c.clientIPs, nonNil(f.ClientIPs))
		c.users = append(c.users, nonNil(f.Users))
		c.endpoint = append(c.endpoint, f.Endpoint)
		c.host = append(c.host, f.Host)
		c.firstSeen = append(c.firstSeen, timeOf(f.FirstSeen))
		c.lastSeen = append(c.lastSeen, timeOf(f.LastSeen))
		c.count = append(c.count, uint64(max(f.Count, 0)))
		c.summary = append(c.summary, f.Summary)
		c.evidence = append(c.evidence, jsonString(f.Evidence))
		c.callIDs = append(c.callIDs, nonNil(f.CallIDs))
		// A later occurrence (later last_seen, then higher count) wins.
		c.version = append(c.version, uint64(timeOf(f.LastSeen).UnixNano())+uint64(min(max(f.Count, 0), 999)))
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func jsonString(v map[string]any) string {
	if len(v) == 0 {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "{}" // evidence with a value JSON cannot encode (NaN): keep the row
	}
	return string(b)
}

func insertSQL(table string, names []string) string {
	return "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ")"
}

type actorColumns struct {
	actor, writer, user, kind                     []string
	hour, firstSeen, lastSeen                     []time.Time
	calls, errors, endpoints, respBytes, cut, ver []uint64
	endpointIDs                                   [][]uint64
	clientIPs, userAgents, hosts                  [][]string
}

var actorColumnNames = []string{
	"actor", "hour", "writer", "user", "actor_kind", "first_seen", "last_seen", "calls", "errors",
	"endpoints", "endpoint_ids", "resp_bytes", "client_ips", "user_agents", "hosts", "cut", "version",
}

func (c *actorColumns) names() []string { return actorColumnNames }
func (c *actorColumns) len() int        { return len(c.actor) }

func (c *actorColumns) reset() { *c = actorColumns{} } // a few rows per actor and interval: no reuse needed

func (c *actorColumns) values() []any {
	return []any{c.actor, c.hour, c.writer, c.user, c.kind, c.firstSeen, c.lastSeen, c.calls, c.errors,
		c.endpoints, c.endpointIDs, c.respBytes, c.clientIPs, c.userAgents, c.hosts, c.cut, c.ver}
}

// add copies rows; their slices are read by the insert later, and are
// the analyzer's (append-only or fresh per snapshot), so they are kept
// as they are.
func (c *actorColumns) add(rows []report.ActorHour) {
	for i := range rows {
		r := &rows[i]
		c.actor = append(c.actor, r.Actor)
		c.hour = append(c.hour, timeOf(r.Hour))
		c.writer = append(c.writer, r.Writer)
		c.user = append(c.user, r.User)
		c.kind = append(c.kind, r.ActorKind)
		c.firstSeen = append(c.firstSeen, timeOf(r.FirstSeen))
		c.lastSeen = append(c.lastSeen, timeOf(r.LastSeen))
		c.calls = append(c.calls, uint64(max(r.Calls, 0)))
		c.errors = append(c.errors, uint64(max(r.Errors, 0)))
		c.endpoints = append(c.endpoints, uint64(max(r.Endpoints, 0)))
		c.endpointIDs = append(c.endpointIDs, nonNilU64(r.EndpointIDs))
		c.respBytes = append(c.respBytes, uint64(max(r.RespBytes, 0)))
		c.clientIPs = append(c.clientIPs, nonNil(r.ClientIPs))
		c.userAgents = append(c.userAgents, nonNil(r.UserAgents))
		c.hosts = append(c.hosts, nonNil(r.Hosts))
		c.cut = append(c.cut, uint64(max(r.Cut, 0)))
		c.ver = append(c.ver, r.Seq)
	}
}

func nonNilU64(s []uint64) []uint64 {
	if s == nil {
		return []uint64{}
	}
	return s
}
