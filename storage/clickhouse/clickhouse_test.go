package clickhouse

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/apitap/apitap/analyzer/actorstats"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/chtest"
)

// testCalls makes n calls with distinct ids spread over users, endpoints
// and two days.
func testCalls(prefix string, n int) []apicall.Call {
	base := time.Date(2026, 1, 5, 23, 0, 0, 0, time.UTC).UnixNano()
	out := make([]apicall.Call, n)
	for i := range out {
		start := base + int64(i)*int64(50*time.Millisecond)
		user := fmt.Sprintf("user-%03d", i%17)
		out[i] = apicall.Call{
			ID:        fmt.Sprintf("%s-%06d", prefix, i),
			ReqStart:  start,
			ReqEnd:    start + 1000,
			RespStart: start + 2_000_000,
			RespEnd:   start + 3_000_000,
			Client:    netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, 3, byte(i % 9)}), uint16(40000+i%1000)),
			Server:    netip.MustParseAddrPort("10.0.0.5:8080"),
			Host:      "api.shop.test",
			Method:    []string{"GET", "POST"}[i%2],
			Path:      fmt.Sprintf("/api/v2/orders/%d", i%50),
			RawQuery:  "page=1",
			Proto:     "HTTP/1.1",
			ReqHeaders: apicall.Headers{
				{Name: "Host", Value: "api.shop.test"},
				{Name: "User-Agent", Value: "curl/8.0"},
				{Name: "Authorization", Value: "[REDACTED]"},
			},
			RespHeaders: apicall.Headers{{Name: "Content-Type", Value: "application/json"}},
			Status:      []int{200, 200, 404, 0}[i%4],
			ReqBody:     apicall.Body{Data: []byte(`{"qty":1}`), Length: 9, ContentType: "application/json"},
			RespBody:    apicall.Body{Data: []byte(`{"id":1,"email":"a@b.test","note":"héllo wörld"}`), Length: 48, ContentType: "application/json"},
			Source:      apicall.Source{Kind: "file", Name: "t.pcap", Node: "node-1"},
			Actor: apicall.Actor{Kind: apicall.ActorJWT, User: user, ClientIP: netip.AddrFrom4([4]byte{172, 16, 3, byte(i % 9)}),
				Issuer: "https://idp.test", Roles: []string{"customer"}, Alg: "RS256"},
			Flags: apicall.FlagRedacted,
		}
	}
	return out
}

func testFindings(n int, count int64) []report.Finding {
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	out := make([]report.Finding, n)
	for i := range out {
		out[i] = report.Finding{
			Kind: "finding", ID: fmt.Sprintf("f%04d", i), Type: "bola_enumeration", OWASP: "API1:2023",
			Severity: []string{"high", "medium", "critical"}[i%3], User: fmt.Sprintf("user-%03d", i),
			ClientIPs: []string{"172.16.3.9"}, Endpoint: "GET /api/v2/orders/{orderId}", Host: "api.shop.test",
			FirstSeen: base.Add(time.Duration(i) * time.Minute), LastSeen: base.Add(time.Duration(i)*time.Minute + time.Duration(count)*time.Second),
			Count: count, Summary: fmt.Sprintf("user-%03d read %d distinct orderId values", i, count),
			Evidence: map[string]any{"distinct_ids": float64(count), "baseline_p99": float64(9)},
			CallIDs:  []string{"c1", "c2"},
		}
		if i%5 == 0 { // about the endpoint: no single actor, its callers listed
			out[i].User, out[i].Users = "", []string{"user-001", fmt.Sprintf("user-%03d", i)}
		}
	}
	return out
}

func testEndpoints() []report.Endpoint {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	return []report.Endpoint{
		{Kind: "endpoint", Host: "api.shop.test", Method: "GET", Path: "/api/v2/orders/{orderId}", Classification: report.Documented,
			Calls: 812, Actors: 97, Status: map[string]int{"200": 790, "404": 22}, FirstSeen: t0, LastSeen: t0.Add(time.Hour),
			Sensitive: []string{"email"}, Auth: []string{"bearer"}},
		{Kind: "endpoint", Host: "api.shop.test", Method: "GET", Path: "/internal/export", Classification: report.Shadow,
			Calls: 12, Actors: 1, Status: map[string]int{"200": 12}, FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour),
			Sensitive: []string{"card_number", "email"}, Auth: []string{"none"}},
		{Kind: "endpoint", Host: "api.shop.test", Method: "DELETE", Path: "/api/v1/users/{id}", Classification: report.Dormant,
			Status: map[string]int{}},
	}
}

// migrated returns options for a fresh database with the whole schema.
func migrated(t *testing.T, srv *chtest.Server) *Options {
	t.Helper()
	o, err := ParseDSN(srv.DSN(srv.Database(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(t.Context(), o, DefaultMigrateConfig(), nil); err != nil {
		t.Fatal(err)
	}
	return o
}

func openDB(t *testing.T, o *Options) *DB {
	t.Helper()
	db, err := Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrate(t *testing.T) {
	srv := chtest.Shared(t)
	o, err := ParseDSN(srv.DSN("apitap_test_migrate_" + strings.ReplaceAll(t.Name(), "/", "_")))
	if err != nil {
		t.Fatal(err)
	}
	o.Database = strings.ToLower(o.Database)
	srv.Exec(t, "DROP DATABASE IF EXISTS "+o.Database)
	t.Cleanup(func() { srv.Exec(t, "DROP DATABASE IF EXISTS "+o.Database) })
	all, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := all[len(all)-1].Version
	ctx := t.Context()

	// Empty server (no database yet) up to version 1 only.
	res, err := Migrate(ctx, o, MigrateConfig{To: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != 0 || res.To != 1 || len(res.Applied) != 1 {
		t.Fatalf("first migrate: %+v", res)
	}
	db := openDB(t, o)
	// Rows as a writer of that version wrote them (headers as arrays).
	srv.Exec(t, "INSERT INTO "+o.Database+".calls (id, ts, host, req_header_names, req_header_values) "+
		"SELECT concat('old-', toString(number)), toDateTime('2026-01-05 09:00:00', 'UTC'), 'api.shop.test', ['Host'], ['api.shop.test'] "+
		"FROM system.numbers LIMIT 100")
	// This writer needs a newer schema: its error says what to do.
	w, err := NewWriter(db, DefaultWriterConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Consume(ctx, testCalls("new", 1)); err == nil || !strings.Contains(err.Error(), "apitap migrate") {
		t.Errorf("insert into a version 1 schema: %v, want an error naming apitap migrate", err)
	}
	if has := srv.Count(t, "SELECT count() FROM system.tables WHERE database = '"+o.Database+"' AND name = 'recent_findings'"); has != 0 {
		t.Fatal("views exist at version 1")
	}

	// Upgrade to the latest schema: new tables and views, data kept.
	res, err = Migrate(ctx, o, DefaultMigrateConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != 1 || res.To != latest || len(res.Applied) != latest-1 {
		t.Fatalf("upgrade: %+v", res)
	}
	for _, name := range []string{"calls", "endpoints", "findings", "actors", "calls_by_actor", "actor_hours", "recent_findings",
		"actor_timeline", "actor_profiles", "shadow_endpoints_with_pii", "top_abused_endpoints"} {
		if srv.Count(t, "SELECT count() FROM system.tables WHERE database = '"+o.Database+"' AND name = '"+name+"'") != 1 {
			t.Errorf("table or view %s missing after upgrade", name)
		}
	}
	if n := srv.Count(t, "SELECT count() FROM "+o.Database+".calls WHERE req_header_values = ['api.shop.test'] AND req_headers = ''"); n != 100 {
		t.Errorf("calls kept with their header arrays after upgrade: %d, want 100", n)
	}
	// The writer works on the upgraded schema.
	w, err = NewWriter(db, DefaultWriterConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Consume(ctx, testCalls("new", 10)); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(t, "SELECT count() FROM "+o.Database+".calls WHERE req_headers LIKE 'Host: api.shop.test\n%'"); n != 10 {
		t.Errorf("calls with header text after upgrade: %d, want 10", n)
	}

	// Again: a no-op.
	res, err = Migrate(ctx, o, DefaultMigrateConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != latest || res.To != latest || len(res.Applied) != 0 {
		t.Fatalf("second migrate not a no-op: %+v", res)
	}
	if v, err := db.SchemaVersion(ctx); err != nil || v != latest {
		t.Fatalf("schema version %d, %v; want %d", v, err, latest)
	}

	// The actor views are optional: off drops them (calls no longer feed
	// calls_by_actor), on brings them back.
	views := "SELECT count() FROM system.tables WHERE database = '" + o.Database + "' AND name IN ('calls_by_actor_mv', 'actors_mv')"
	byActor := "SELECT count() FROM " + o.Database + ".calls_by_actor"
	for _, on := range []bool{false, true, true} {
		mc := DefaultMigrateConfig()
		mc.ActorViews = on
		if res, err := Migrate(ctx, o, mc, nil); err != nil || len(res.Applied) != 0 {
			t.Fatalf("migrate with ActorViews=%v: %+v, %v", on, res, err)
		}
		want := map[bool]uint64{false: 0, true: 2}[on]
		if n := srv.Count(t, views); n != want {
			t.Fatalf("ActorViews=%v: %d actor views, want %d", on, n, want)
		}
		before := srv.Count(t, byActor)
		if err := w.Consume(ctx, testCalls(fmt.Sprintf("views-%v-%d", on, before), 5)); err != nil {
			t.Fatal(err)
		}
		if got, want := srv.Count(t, byActor)-before, map[bool]uint64{false: 0, true: 5}[on]; got != want {
			t.Errorf("ActorViews=%v: calls_by_actor grew by %d, want %d", on, got, want)
		}
	}
	// Statements are idempotent: replaying every migration over the schema
	// (as an interrupted or concurrent run does) succeeds.
	sc := SchemaConfig{Database: o.Database, Features: db.Features()}
	for _, m := range all {
		stmts, err := m.Statements(sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range stmts {
			if err := db.conn.Exec(ctx, q); err != nil && !alreadyDone(err) {
				t.Errorf("replay %04d: %v\n%s", m.Version, err, q)
			}
		}
	}
}

func TestConnectErrors(t *testing.T) {
	srv := chtest.Shared(t)
	db := srv.Database(t)
	closed := closedPort(t)
	tests := []struct {
		name, dsn, want string
	}{
		{"not a url", "clickhouse://a b@/x%zz", "DSN"},
		{"http scheme", "http://" + srv.Addr + "/x", "native protocol"},
		{"no host", "clickhouse:///apitap", "no host"},
		{"bad database name", "clickhouse://" + srv.Addr + "/a-b", "want letters"},
		{"cert without key", "clickhouse://" + srv.Addr + "/x?secure=true&client_cert=/c.pem", "client_key"},
		{"missing ca file", "clickhouse://" + srv.Addr + "/x?ca_cert=/nonexistent/ca.pem", "ca_cert"},
		{"wrong password", "clickhouse://apitap:wrong-secret@" + srv.Addr + "/" + db, `authentication failed for user "apitap"`},
		{"unknown user", "clickhouse://nobody:pw@" + srv.Addr + "/" + db, "authentication failed"},
		{"missing database", "clickhouse://default@" + srv.Addr + "/no_such_db_xyz", `database "no_such_db_xyz" does not exist`},
		{"connection refused", "clickhouse://default@" + closed + "/" + db, "connection refused"},
		{"bad host", "clickhouse://default@no-such-host.invalid:9000/" + db, "no-such-host.invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseDSN(tc.dsn)
			if err == nil {
				var d *DB
				d, err = Open(t.Context(), o)
				if err == nil {
					d.Close()
					t.Fatal("no error")
				}
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if strings.Contains(msg, "wrong-secret") {
				t.Errorf("error leaks the password: %q", msg)
			}
		})
	}
	// The right password works.
	o, err := ParseDSN("clickhouse://apitap:" + chtest.Password + "@" + srv.Addr + "/" + db)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
}

func closedPort(t *testing.T) string {
	t.Helper()
	// Port 1 on loopback: nothing listens there in tests.
	return "127.0.0.1:1"
}

func TestParseDSN(t *testing.T) {
	o, err := ParseDSN("clickhouse://u:p%40ss@h1:9000,h2:9001/mydb?secure=true&skip_verify=true&compress=lz4&dial_timeout=3s&cluster=c1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.CH.Addr, []string{"h1:9000", "h2:9001"}) || o.Database != "mydb" || o.CH.Auth.Database != "mydb" ||
		o.CH.Auth.Username != "u" || o.CH.Auth.Password != "p@ss" || o.Cluster != "c1" || o.CH.TLS == nil ||
		!o.CH.TLS.InsecureSkipVerify || o.CH.Compression == nil || o.CH.DialTimeout != 3*time.Second {
		t.Fatalf("%+v %+v", o, o.CH)
	}
	if _, ok := o.CH.Settings["cluster"]; ok {
		t.Error("cluster passed to the server as a setting")
	}
	o, err = ParseDSN("clickhouse://localhost:9000")
	if err != nil {
		t.Fatal(err)
	}
	if o.Database != DefaultDatabase || o.CH.TLS != nil || o.CH.DialTimeout != 5*time.Second {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestWriterRoundTrip(t *testing.T) {
	srv := chtest.Shared(t)
	o := migrated(t, srv)
	db := openDB(t, o)
	reg := prometheus.NewRegistry()
	cfg := DefaultWriterConfig()
	cfg.BatchRows = 1000
	cfg.SampleBytes = 20
	cfg.FlushInterval = 100 * time.Millisecond
	cfg.Annotate = func(c *apicall.Call) (string, []string) {
		return "/api/v2/orders/{orderId}", []string{"email"}
	}
	w, err := NewWriter(db, cfg, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// Actor-hour rows from the analyzer's stage, fed the same calls.
	acfg := actorstats.DefaultConfig()
	acfg.Template = func(*apicall.Call) string { return "/api/v2/orders/{orderId}" }
	actors, err := actorstats.New(acfg, w, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	consume := func(calls []apicall.Call) {
		t.Helper()
		if err := errors.Join(actors.Consume(ctx, calls), w.Consume(ctx, calls)); err != nil {
			t.Fatal(err)
		}
	}
	calls := testCalls("rt", 2500)
	for i := 0; i < len(calls); i += 300 {
		consume(calls[i:min(i+300, len(calls))])
		if i == 1200 {
			if err := actors.Flush(ctx); err != nil { // a snapshot replaced by later ones
				t.Fatal(err)
			}
		}
	}
	if err := w.ConsumeEndpoints(ctx, testEndpoints()); err != nil {
		t.Fatal(err)
	}
	if err := w.ConsumeFindings(ctx, testFindings(30, 5)); err != nil {
		t.Fatal(err)
	}
	// Re-delivery (at least once) with updated findings.
	consume(calls[:500])
	if err := w.ConsumeFindings(ctx, testFindings(30, 412)); err != nil {
		t.Fatal(err)
	}
	if err := actors.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Consume(ctx, calls[:1]); !errors.Is(err, ErrClosed) {
		t.Errorf("Consume after Close: %v", err)
	}
	d := o.Database
	if n := srv.Count(t, "SELECT count() FROM "+d+".calls FINAL"); n != 2500 {
		t.Errorf("calls FINAL: %d, want 2500", n)
	}
	if n := srv.Count(t, "SELECT count() FROM "+d+".findings FINAL"); n != 30 {
		t.Errorf("findings FINAL: %d, want 30", n)
	}
	if n := srv.Count(t, "SELECT count() FROM "+d+".findings FINAL WHERE count = 412"); n != 30 {
		t.Errorf("findings with the later count: %d, want 30", n)
	}
	if n := srv.Count(t, "SELECT count() FROM "+d+".endpoints FINAL"); n != 3 {
		t.Errorf("endpoints: %d, want 3", n)
	}
	// Actor rows: one per actor and hour, whose figures are those of the
	// calls stored (the redelivered ones counted once).
	if n := srv.Count(t, "SELECT count() FROM "+d+".actor_hours FINAL"); n != 17 {
		t.Errorf("actor_hours rows: %d, want 17", n)
	}
	if n := srv.Count(t, "SELECT sum(calls) FROM "+d+".actor_timeline"); n != 2500 {
		t.Errorf("calls in actor_timeline: %d, want 2500", n)
	}
	match := "SELECT count() FROM (SELECT actor, toStartOfHour(ts) AS hour, uniqExact(id) AS n, " +
		"uniqExactIf(id, status >= 400 OR status = 0) AS e, uniqExact(host, method, template) AS eps, " +
		"groupUniqArray(client_ip) AS ips, groupUniqArray(user_agent) AS uas, sum(resp_bytes) AS b, min(ts) AS f, max(ts) AS l " +
		"FROM " + d + ".calls FINAL GROUP BY actor, hour) ANY INNER JOIN " +
		"(SELECT actor, hour, calls, errors, endpoints, client_ips, user_agents, resp_bytes, first_seen, last_seen, writers FROM " + d + ".actor_timeline) USING (actor, hour) " +
		"WHERE n = calls AND e = errors AND eps = endpoints AND arraySort(ips) = arraySort(client_ips) AND uas = user_agents AND b = resp_bytes " +
		"AND f = first_seen AND l = last_seen AND writers = 1"
	if n := srv.Count(t, match); n != 17 {
		t.Errorf("actor_timeline rows equal to the calls' figures: %d, want 17", n)
	}
	if n := srv.Count(t, "SELECT count() FROM "+d+".actor_profiles WHERE calls > 0 AND endpoints = 2 AND writers = 1"); n != 17 {
		t.Errorf("actor_profiles rows: %d, want 17", n)
	}
	if got := testutil.ToFloat64(w.m.inserted.WithLabelValues("calls")); got != 3000 {
		t.Errorf("rows inserted metric: %v, want 3000", got)
	}

	// One row read back field by field.
	var (
		id, host, method, path, tmpl, actor, user, ip, ua, respBody, serverIP string
		status                                                                uint16
		dur                                                                   uint64
		ts                                                                    time.Time
		sensitive                                                             []string
		hdrs                                                                  string
	)
	err = db.conn.QueryRow(ctx, "SELECT id, ts, host, method, path, template, actor, user, client_ip, user_agent, resp_body, server_ip, status, duration_us, sensitive, req_headers FROM "+d+".calls FINAL WHERE id = 'rt-000005'").
		Scan(&id, &ts, &host, &method, &path, &tmpl, &actor, &user, &ip, &ua, &respBody, &serverIP, &status, &dur, &sensitive, &hdrs)
	if err != nil {
		t.Fatal(err)
	}
	c := calls[5]
	if host != c.Host || method != c.Method || path != c.Path || tmpl != "/api/v2/orders/{orderId}" || actor != c.Actor.Key() ||
		user != c.Actor.User || ip != c.Actor.ClientIP.String() || ua != "curl/8.0" || serverIP != "10.0.0.5" ||
		int(status) != c.Status || dur != 3000 || !slices.Equal(sensitive, []string{"email"}) || hdrs != "Host: api.shop.test\nUser-Agent: curl/8.0\nAuthorization: [REDACTED]" ||
		ts.Unix() != c.ReqStart/1e9 {
		t.Errorf("row: %v %v %v %v %v %v %v %v %v %v %v %v %v %v %q", id, ts, host, method, path, tmpl, actor, user, ip, ua, serverIP, status, dur, sensitive, hdrs)
	}
	if respBody != sample(c.RespBody.Data, 20) || len(respBody) > 20 {
		t.Errorf("body sample %q", respBody)
	}

	// QueryFindings reads them back as the records that were written.
	got, err := QueryFindings(ctx, db, FindingsQuery{Severity: "high"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 {
		t.Fatalf("findings at least high: %d, want 20 (high and critical)", len(got))
	}
	want := testFindings(30, 412)
	byID := map[string]report.Finding{}
	for _, f := range want {
		byID[f.ID] = f
	}
	for _, f := range got {
		w := byID[f.ID]
		if f.Type != w.Type || f.Severity != w.Severity || f.Severity == "medium" || f.User != w.User || f.Count != 412 || f.Summary != w.Summary ||
			!f.LastSeen.Equal(w.LastSeen.Truncate(time.Second)) || f.Evidence["distinct_ids"] != float64(412) ||
			!slices.Equal(f.ClientIPs, w.ClientIPs) || !slices.Equal(f.Users, w.Users) || f.Endpoint != w.Endpoint || f.Kind != "finding" {
			t.Errorf("finding %s: got %+v want %+v", f.ID, f, w)
		}
	}
}

func TestSample(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"}, {"hello", 3, "hel"}, {"héllo", 2, "h"}, {"héllo", 3, "hé"}, {"", 0, ""}, {"abc", 0, ""},
	} {
		if got := sample([]byte(tc.in), tc.n); got != tc.want {
			t.Errorf("sample(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// TestTLS connects over mutual TLS with the CA from ca_cert and the client
// certificate, and fails clearly without them or against the plain port.
func TestTLS(t *testing.T) {
	srv := chtest.StartTLS(t)
	ok := "clickhouse://default@" + srv.SecureAddr + "/default?secure=true&ca_cert=" + srv.CAFile +
		"&client_cert=" + srv.ClientCert + "&client_key=" + srv.ClientKey
	o, err := ParseDSN(ok)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), o)
	if err != nil {
		t.Fatalf("TLS with ca_cert: %v", err)
	}
	_ = db.Close()
	for _, tc := range []struct{ dsn, want string }{
		{"clickhouse://default@" + srv.SecureAddr + "/default?secure=true", "TLS: server certificate not trusted"},
		{"clickhouse://default@" + srv.SecureAddr + "/default", "TLS port without secure=true"},
		{"clickhouse://default@" + srv.SecureAddr + "/default?ca_cert=" + srv.CAFile, "set client_cert= and client_key="}, // no client certificate
		{"clickhouse://default@" + srv.Addr + "/default?secure=true&ca_cert=" + srv.CAFile, "did not answer in TLS"},
	} {
		o, err := ParseDSN(tc.dsn)
		if err != nil {
			t.Fatal(err)
		}
		o.CH.DialTimeout = 3 * time.Second
		db, err := Open(t.Context(), o)
		if err == nil {
			_ = db.Close()
			t.Fatalf("%s: no error", tc.dsn)
		}
		t.Logf("%s: %v", tc.dsn, err)
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q, want one line containing %q", tc.dsn, err, tc.want)
		}
	}
}

// TestMigrateActorHours upgrades a schema of version 5 whose actor views
// filled calls_by_actor and actors: with the defaults the views go, the
// rows they wrote stay readable, and actor_timeline and actor_profiles
// read the analyzer's actor_hours rows. With ActorViews on they stay.
func TestMigrateActorHours(t *testing.T) {
	srv := chtest.Shared(t)
	o, err := ParseDSN(srv.DSN(srv.Database(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := Migrate(ctx, o, MigrateConfig{To: 5, ActorViews: true}, nil); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, o)
	d := o.Database
	views := "SELECT count() FROM system.tables WHERE database = '" + d + "' AND name IN ('calls_by_actor_mv', 'actors_mv')"
	if n := srv.Count(t, views); n != 2 {
		t.Fatalf("version 5: %d actor views, want 2", n)
	}
	// A writer of version 5 (no actor_hours table yet): calls only.
	old := testCalls("v5", 340)
	srv.Exec(t, "INSERT INTO "+d+".calls (id, ts, host, method, template, actor, actor_kind, user, client_ip, status) "+
		"SELECT concat('v5-', toString(number)), toDateTime('2026-01-04 10:00:00', 'UTC') + number, 'api.shop.test', 'GET', '/a', "+
		"concat('user-', toString(number % 17)), 'jwt', concat('user-', toString(number % 17)), '172.16.3.1', 200 FROM system.numbers LIMIT 340")
	if n := srv.Count(t, "SELECT sum(calls) FROM "+d+".actor_timeline"); n != 340 {
		t.Fatalf("version 5 actor_timeline: %d calls, want 340", n)
	}

	res, err := Migrate(ctx, o, DefaultMigrateConfig(), nil)
	if err != nil || res.From != 5 || len(res.Applied) != 1 {
		t.Fatalf("upgrade to 6: %+v, %v", res, err)
	}
	if n := srv.Count(t, views); n != 0 {
		t.Errorf("after the upgrade with the defaults: %d actor views, want 0", n)
	}
	// The rows the views wrote are still there to read.
	if n := srv.Count(t, "SELECT count() FROM "+d+".calls_by_actor"); n != 340 {
		t.Errorf("calls_by_actor after the upgrade: %d rows, want 340", n)
	}
	if n := srv.Count(t, "SELECT uniqMerge(calls) FROM "+d+".actors"); n < 330 || n > 350 {
		t.Errorf("actors after the upgrade: uniqMerge(calls) %d, want about 340", n)
	}
	// New calls no longer feed them; the analyzer's rows feed the views.
	cfg := DefaultWriterConfig()
	cfg.FlushInterval = 50 * time.Millisecond
	w, err := NewWriter(db, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	actors, err := actorstats.New(actorstats.DefaultConfig(), w, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(actors.Consume(ctx, old), w.Consume(ctx, old)); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(actors.Close(ctx), w.Close(ctx)); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(t, "SELECT count() FROM "+d+".calls_by_actor"); n != 340 {
		t.Errorf("calls_by_actor grew without its view: %d rows, want 340", n)
	}
	if n := srv.Count(t, "SELECT sum(calls) FROM "+d+".actor_timeline"); n != 340 {
		t.Errorf("actor_timeline after the upgrade: %d calls, want the 340 the analyzer counted", n)
	}
	if n := srv.Count(t, "SELECT sum(calls) FROM "+d+".actor_profiles WHERE day = '2026-01-05'"); n != 340 {
		t.Errorf("actor_profiles after the upgrade: %d calls, want 340", n)
	}

	// A restart: the next process (another writer) gets the calls past the
	// last commit again and counts them too. The views add both writers'
	// rows and say so: the hours hold writers = 2, never a silently larger
	// count.
	w, err = NewWriter(db, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := actorstats.New(actorstats.DefaultConfig(), w, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(restarted.Consume(ctx, old[300:]), w.Consume(ctx, old[300:]), restarted.Close(ctx), w.Close(ctx)); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(t, "SELECT uniqExact(id) FROM "+d+".calls WHERE toDate(ts) = '2026-01-05'"); n != 340 {
		t.Errorf("calls after the redelivery: %d distinct, want 340", n)
	}
	// Calls 300..339 are of all 17 users (40 calls, i%17): each hour row
	// of theirs now has 2 writers, and their sum exceeds the calls by 40.
	if n := srv.Count(t, "SELECT count() FROM "+d+".actor_timeline WHERE writers = 2"); n != 17 {
		t.Errorf("actor-hours with 2 writers: %d, want 17", n)
	}
	if n := srv.Count(t, "SELECT sum(calls) FROM "+d+".actor_timeline WHERE writers = 1"); n != 0 {
		t.Errorf("calls in hours of one writer: %d, want 0", n)
	}
	if n := srv.Count(t, "SELECT sum(calls) FROM "+d+".actor_timeline"); n != 380 {
		t.Errorf("calls summed over writers: %d, want 380 (340 + 40 counted twice, flagged by writers)", n)
	}
	// ActorViews on keeps both: views back, and actor_hours all the same.
	mc := DefaultMigrateConfig()
	mc.ActorViews = true
	if _, err := Migrate(ctx, o, mc, nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(t, views); n != 2 {
		t.Errorf("ActorViews on: %d actor views, want 2", n)
	}
}
