package clickhouse

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

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

	id, host, method, path, template, query, proto                []string
	ts                                                            []time.Time
	durationUS, ttfbUS, reqBytes, respBytes                       []uint64
	status, clientPort, serverPort                                []uint16
	reqCT, respCT, actor, actorKind, user, clientIP, serverIP, ua []string
	jwtIssuer, jwtAlg, reqBody, respBody, sourceKind, sourceNode  []string
	roles, scopes, sensitive, reqHN, reqHV, respHN, respHV        [][]string
	flags                                                         []uint32
	arena                                                         []string // backs the header slices
}

var callColumnNames = []string{
	"id", "ts", "duration_us", "ttfb_us", "host", "method", "path", "template", "query", "proto",
	"status", "req_bytes", "resp_bytes", "req_content_type", "resp_content_type",
	"actor", "actor_kind", "user", "client_ip", "client_port", "server_ip", "server_port",
	"user_agent", "jwt_issuer", "jwt_alg", "roles", "scopes", "sensitive",
	"req_header_names", "req_header_values", "resp_header_names", "resp_header_values",
	"req_body", "resp_body", "flags", "source_kind", "source_node",
}

func (c *callColumns) names() []string { return callColumnNames }
func (c *callColumns) len() int        { return len(c.id) }

func (c *callColumns) reset() {
	for _, col := range []*[]string{&c.id, &c.host, &c.method, &c.path, &c.template, &c.query, &c.proto,
		&c.reqCT, &c.respCT, &c.actor, &c.actorKind, &c.user, &c.clientIP, &c.serverIP, &c.ua,
		&c.jwtIssuer, &c.jwtAlg, &c.reqBody, &c.respBody, &c.sourceKind, &c.sourceNode} {
		truncate(col)
	}
	for _, col := range []*[][]string{&c.roles, &c.scopes, &c.sensitive, &c.reqHN, &c.reqHV, &c.respHN, &c.respHV} {
		truncate(col)
	}
	for _, col := range []*[]uint64{&c.durationUS, &c.ttfbUS, &c.reqBytes, &c.respBytes} {
		truncate(col)
	}
	for _, col := range []*[]uint16{&c.status, &c.clientPort, &c.serverPort} {
		truncate(col)
	}
	truncate(&c.ts)
	truncate(&c.flags)
	truncate(&c.arena)
}

func (c *callColumns) values() []any {
	return []any{
		c.id, c.ts, c.durationUS, c.ttfbUS, c.host, c.method, c.path, c.template, c.query, c.proto,
		c.status, c.reqBytes, c.respBytes, c.reqCT, c.respCT,
		c.actor, c.actorKind, c.user, c.clientIP, c.clientPort, c.serverIP, c.serverPort,
		c.ua, c.jwtIssuer, c.jwtAlg, c.roles, c.scopes, c.sensitive,
		c.reqHN, c.reqHV, c.respHN, c.respHV,
		c.reqBody, c.respBody, c.flags, c.sourceKind, c.sourceNode,
	}
}

func (c *callColumns) add(calls []apicall.Call) {
	for i := range calls {
		k := &calls[i]
		var template string
		var sensitive []string
		if c.annotate != nil {
			template, sensitive = c.annotate(k)
		}
		if sensitive == nil {
			sensitive = []string{}
		}
		c.id = append(c.id, k.ID)
		c.ts = append(c.ts, unixNano(k.ReqStart))
		c.durationUS = append(c.durationUS, micros(k.RespEnd-k.ReqStart, k.RespEnd))
		c.ttfbUS = append(c.ttfbUS, micros(k.RespStart-k.ReqEnd, k.RespStart))
		c.host = append(c.host, k.Host)
		c.method = append(c.method, k.Method)
		c.path = append(c.path, k.Path)
		c.template = append(c.template, template)
		c.query = append(c.query, k.RawQuery)
		c.proto = append(c.proto, k.Proto)
		c.status = append(c.status, uint16(min(max(k.Status, 0), 65535)))
		c.reqBytes = append(c.reqBytes, uint64(max(k.ReqBody.Length, 0)))
		c.respBytes = append(c.respBytes, uint64(max(k.RespBody.Length, 0)))
		c.reqCT = append(c.reqCT, k.ReqBody.ContentType)
		c.respCT = append(c.respCT, k.RespBody.ContentType)
		c.actor = append(c.actor, k.Actor.Key())
		c.actorKind = append(c.actorKind, k.Actor.Kind)
		c.user = append(c.user, k.Actor.User)
		c.clientIP = append(c.clientIP, addrString(k.Actor.ClientIP.IsValid(), k.Actor.ClientIP.String()))
		c.clientPort = append(c.clientPort, k.Client.Port())
		c.serverIP = append(c.serverIP, addrString(k.Server.IsValid(), k.Server.Addr().String()))
		c.serverPort = append(c.serverPort, k.Server.Port())
		c.ua = append(c.ua, k.ReqHeaders.Get("User-Agent"))
		c.jwtIssuer = append(c.jwtIssuer, k.Actor.Issuer)
		c.jwtAlg = append(c.jwtAlg, k.Actor.Alg)
		c.roles = append(c.roles, nonNil(k.Actor.Roles))
		c.scopes = append(c.scopes, nonNil(k.Actor.Scopes))
		c.sensitive = append(c.sensitive, sensitive)
		n, v := c.headerColumns(k.ReqHeaders)
		c.reqHN, c.reqHV = append(c.reqHN, n), append(c.reqHV, v)
		n, v = c.headerColumns(k.RespHeaders)
		c.respHN, c.respHV = append(c.respHN, n), append(c.respHV, v)
		c.reqBody = append(c.reqBody, sample(k.ReqBody.Data, c.sample))
		c.respBody = append(c.respBody, sample(k.RespBody.Data, c.sample))
		c.flags = append(c.flags, uint32(k.Flags))
		c.sourceKind = append(c.sourceKind, k.Source.Kind)
		c.sourceNode = append(c.sourceNode, k.Source.Node)
	}
}

func addrString(ok bool, s string) string {
	if !ok {
		return ""
	}
	return s
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

// headerColumns splits headers into names and values, carved from a
// shared arena instead of two allocations per call.
func (c *callColumns) headerColumns(h apicall.Headers) (names, values []string) {
	if len(c.arena)+2*len(h) > cap(c.arena) {
		c.arena = make([]string, 0, max(4096, 2*len(h)))
	}
	start := len(c.arena)
	for i := range h {
		c.arena = append(c.arena, h[i].Name)
	}
	for i := range h {
		c.arena = append(c.arena, h[i].Value)
	}
	mid := start + len(h)
	return c.arena[start:mid:mid], c.arena[mid : mid+len(h) : mid+len(h)]
}

// sample returns the first n bytes of a (redacted) body as a string,
// without cutting a UTF-8 sequence in two.
func sample(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	cut := n
	for cut > 0 && cut > n-4 && b[cut]&0xC0 == 0x80 {
		cut--
	}
	return string(b[:cut])
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
	clientIPs, callIDs                                                [][]string
	firstSeen, lastSeen                                               []time.Time
	count, version                                                    []uint64
}

var findingColumnNames = []string{
	"id", "type", "owasp", "severity", "user", "client_ips", "endpoint", "host",
	"first_seen", "last_seen", "count", "summary", "evidence", "call_ids", "version",
}

func (c *findingColumns) names() []string { return findingColumnNames }
func (c *findingColumns) len() int        { return len(c.id) }

func (c *findingColumns) reset() { *c = findingColumns{} }

func (c *findingColumns) values() []any {
	return []any{c.id, c.typ, c.owasp, c.severity, c.user, c.clientIPs, c.endpoint, c.host,
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
