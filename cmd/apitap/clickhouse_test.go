package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/internal/chtest"
	"github.com/apitap/apitap/simulate"
	"github.com/apitap/apitap/storage/clickhouse"
)

// runApp runs apitap in-process and returns its stdout.
func runApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	app.ExitErrHandler = func(*cli.Context, error) {}
	err := app.RunContext(t.Context(), append([]string{"apitap", "--log-level", "warn"}, args...))
	if errOut.Len() > 0 {
		t.Logf("apitap %s stderr:\n%s", args[0], errOut.String())
	}
	return out.String(), err
}

// TestClickhouseEndToEnd: simulated pcap → apitap analyze --clickhouse →
// ClickHouse; the calls stored equal the calls analyze counted, the
// findings equal what analyze printed, apitap findings reads them back,
// and every query of docs/queries.md runs and returns rows.
func TestClickhouseEndToEnd(t *testing.T) {
	srv := chtest.Shared(t)
	db := srv.Database(t)
	dsn := srv.DSN(db)
	dir := t.TempDir()
	cfg := simulate.DefaultConfig()
	cfg.Duration = 10 * time.Minute
	cfg.Users = 50
	if _, err := simulate.Write(dir, cfg); err != nil {
		t.Fatal(err)
	}

	out, err := runApp(t, "migrate", "--clickhouse", dsn)
	if err != nil || !strings.Contains(out, "migrated from schema version 0 to") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err = runApp(t, "migrate", "--clickhouse", dsn)
	if err != nil || !strings.Contains(out, "already at schema version") {
		t.Fatalf("second migrate is not a no-op: %v\n%s", err, out)
	}

	out, err = runApp(t, "analyze", "--pcap", filepath.Join(dir, "traffic.pcap"), "--spec", filepath.Join(dir, "openapi.yaml"), "--format", "jsonl",
		"--pseudonym-key", "test-key-0123456789abcdef", "--progress=false", "--clickhouse", dsn, "--no-migrate")
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	var summary struct{ Calls uint64 }
	var printed []report.Finding
	var endpoints []report.Endpoint
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var kind struct{ Kind string }
		line := sc.Bytes()
		if err := json.Unmarshal(line, &kind); err != nil {
			t.Fatalf("analyze output: %v: %s", err, line)
		}
		switch kind.Kind {
		case "summary":
			_ = json.Unmarshal(line, &summary)
		case "finding":
			var f report.Finding
			if err := json.Unmarshal(line, &f); err != nil {
				t.Fatal(err)
			}
			printed = append(printed, f)
		case "endpoint":
			var e report.Endpoint
			if err := json.Unmarshal(line, &e); err != nil {
				t.Fatal(err)
			}
			endpoints = append(endpoints, e)
		}
	}
	if summary.Calls == 0 {
		t.Fatalf("analyze printed no summary with calls:\n%s", out)
	}
	if n := srv.Count(t, "SELECT count() FROM "+db+".calls FINAL"); n != summary.Calls {
		t.Errorf("calls in ClickHouse: %d, analyze counted %d", n, summary.Calls)
	}
	if n := srv.Count(t, "SELECT uniqExact(id) FROM "+db+".calls"); n != summary.Calls {
		t.Errorf("distinct call ids in ClickHouse: %d, analyze counted %d", n, summary.Calls)
	}
	if n := srv.Count(t, "SELECT count() FROM "+db+".calls FINAL WHERE template != ''"); n < summary.Calls*9/10 {
		t.Errorf("only %d of %d calls carry their endpoint template", n, summary.Calls)
	}

	checkActorHours(t, srv, db, summary.Calls)
	// Analyzing the same file again replaces its actor rows (same writer
	// generation) instead of adding to them; calls stay by id.
	if _, err := runApp(t, "analyze", "--pcap", filepath.Join(dir, "traffic.pcap"), "--spec", filepath.Join(dir, "openapi.yaml"), "--format", "jsonl",
		"--pseudonym-key", "test-key-0123456789abcdef", "--progress=false", "--clickhouse", dsn, "--no-migrate"); err != nil {
		t.Fatalf("analyze again: %v", err)
	}
	checkActorHours(t, srv, db, summary.Calls)

	if len(printed) == 0 {
		t.Fatalf("analyze printed no findings on the simulated attacks:\n%s", out)
	}
	if n := srv.Count(t, "SELECT count() FROM "+db+".endpoints FINAL"); n != uint64(len(endpoints)) {
		t.Errorf("endpoints in ClickHouse: %d, analyze printed %d", n, len(endpoints))
	}
	if n := srv.Count(t, "SELECT count() FROM "+db+".findings FINAL"); n != uint64(len(printed)) {
		t.Errorf("findings in ClickHouse: %d, analyze printed %d", n, len(printed))
	}

	// apitap findings reads them back.
	out, err = runApp(t, "findings", "--clickhouse", dsn, "--since", "0", "--format", "jsonl", "--limit", "100000")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]report.Finding{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var f report.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("findings output: %v: %q", err, line)
		}
		got[f.ID] = f
	}
	for _, w := range printed {
		g, ok := got[w.ID]
		if !ok {
			t.Errorf("finding %s (%s) missing from apitap findings", w.ID, w.Type)
			continue
		}
		if g.Type != w.Type || g.Severity != w.Severity || g.User != w.User || g.Count != w.Count || g.Endpoint != w.Endpoint ||
			g.Host != w.Host || g.Summary != w.Summary || !g.LastSeen.Equal(w.LastSeen.Truncate(time.Second)) ||
			!slices.Equal(g.ClientIPs, w.ClientIPs) {
			t.Errorf("finding %s:\n got %+v\nwant %+v", w.ID, g, w)
		}
	}
	if len(got) != len(printed) {
		t.Errorf("apitap findings listed %d, want %d", len(got), len(printed))
	}
	out, err = runApp(t, "findings", "--clickhouse", dsn, "--since", "0", "--severity", "high")
	if err != nil || !strings.Contains(out, "SEVERITY") {
		t.Errorf("findings table: %v\n%s", err, out)
	}

	// Every documented query runs and returns rows.
	queries := docQueries(t)
	conn := openConn(t, dsn)
	for i, dq := range queries {
		q := strings.ReplaceAll(dq.sql, "apitap.", db+".")
		rows, err := conn.Conn().Query(t.Context(), q)
		if err != nil {
			t.Errorf("docs/queries.md query %d (%s): %v\n%s", i+1, queries[i].title, err, q)
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("docs/queries.md query %d (%s): %v", i+1, queries[i].title, err)
		}
		_ = rows.Close()
		if n == 0 {
			t.Errorf("docs/queries.md query %d (%s) returned no rows", i+1, queries[i].title)
		}
	}
	if len(queries) < 10 {
		t.Errorf("docs/queries.md has %d queries", len(queries))
	}

	// So does every panel of the Grafana dashboard, with the data source
	// plugin's macros expanded the way it expands them.
	for _, p := range dashboardQueries(t) {
		q := strings.NewReplacer("${database}", db,
			"$__fromTime", "toDateTime('2000-01-01 00:00:00')", "$__toTime", "toDateTime('2100-01-01 00:00:00')").Replace(p.sql)
		q = regexp.MustCompile(`\$__timeFilter\((\w+)\)`).ReplaceAllString(q, "$1 >= toDateTime('2000-01-01 00:00:00') AND $1 <= toDateTime('2100-01-01 00:00:00')")
		q = regexp.MustCompile(`\$__timeInterval\((\w+)\)`).ReplaceAllString(q, "toStartOfMinute($1)")
		rows, err := conn.Conn().Query(t.Context(), q)
		if err != nil {
			t.Errorf("dashboard panel %q: %v\n%s", p.title, err, q)
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		_ = rows.Close()
		if n == 0 {
			t.Errorf("dashboard panel %q returned no rows", p.title)
		}
	}
}

// checkActorHours checks the analyzer's actor rows against the calls
// stored: every (actor, hour) of calls has a row in actor_timeline with the
// same number of calls, errors and endpoints, written by one writer.
func checkActorHours(t *testing.T, srv *chtest.Server, db string, calls uint64) {
	t.Helper()
	if n := srv.Count(t, "SELECT sum(calls) FROM "+db+".actor_timeline"); n != calls {
		t.Errorf("calls in actor_timeline: %d, want %d", n, calls)
	}
	hours := srv.Count(t, "SELECT count() FROM (SELECT DISTINCT actor, toStartOfHour(ts) FROM "+db+".calls)")
	if hours == 0 {
		t.Fatal("no calls")
	}
	match := "SELECT count() FROM (SELECT actor, toStartOfHour(ts) AS hour, uniqExact(id) AS n, " +
		"uniqExactIf(id, status >= 400 OR status = 0) AS e, uniqExact(host, method, template) AS eps " +
		"FROM " + db + ".calls FINAL GROUP BY actor, hour) ANY INNER JOIN " +
		"(SELECT actor, hour, calls, errors, endpoints, writers FROM " + db + ".actor_timeline) USING (actor, hour) " +
		"WHERE n = calls AND e = errors AND eps = endpoints AND writers = 1"
	if n := srv.Count(t, match); n != hours {
		t.Errorf("actor-hours whose actor_timeline row equals the calls stored: %d of %d", n, hours)
	}
}

func dashboardQueries(t *testing.T) []docQuery {
	t.Helper()
	b, err := os.ReadFile("../../deployments/grafana/apitap-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ RawSQL string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	var out []docQuery
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, docQuery{title: p.Title, sql: tg.RawSQL})
		}
	}
	if len(out) == 0 {
		t.Fatal("dashboard has no queries")
	}
	return out
}

type docQuery struct{ title, sql string }

func docQueries(t *testing.T) []docQuery {
	t.Helper()
	b, err := os.ReadFile("../../docs/queries.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^## (.*?)$.*?^```sql\n(.*?)^```")
	var out []docQuery
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, docQuery{title: m[1], sql: m[2]})
	}
	return out
}

func openConn(t *testing.T, dsn string) *clickhouse.DB {
	t.Helper()
	o, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := clickhouse.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestClickhouseCLIErrors: bad DSN, wrong password and a missing database
// give one-line errors that name the flag and the problem.
func TestClickhouseCLIErrors(t *testing.T) {
	srv := chtest.Shared(t)
	db := srv.Database(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate"}, "--clickhouse: give a DSN"},
		{[]string{"migrate", "--clickhouse", "postgres://x/y"}, `--clickhouse: DSN scheme "postgres"`},
		{[]string{"migrate", "--clickhouse", "clickhouse://" + srv.Addr + "/x", "--retention", "soon"}, "--retention"},
		{[]string{"migrate", "--clickhouse", "clickhouse://apitap:nope@" + srv.Addr + "/" + db}, `authentication failed for user "apitap"`},
		{[]string{"findings", "--clickhouse", "clickhouse://default@" + srv.Addr + "/no_such_database"}, `database "no_such_database" does not exist`},
		{[]string{"findings", "--clickhouse", "clickhouse://default@" + srv.Addr + "/" + db}, "apitap migrate"},
		{[]string{"findings", "--clickhouse", "clickhouse://default@" + srv.Addr + "/" + db, "--severity", "urgent"}, "--severity"},
		{[]string{"findings", "--clickhouse", "clickhouse://default@127.0.0.1:1/" + db}, "connection refused"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := runApp(t, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "nope") {
				t.Errorf("error %q: want one line containing %q, without the password", msg, tc.want)
			}
		})
	}
}
