package clickhouse

import (
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/chtest"
)

// TestActorSnapshots: the actor rows the Writer sends with each batch of
// calls make actor_profiles agree, actor by actor and day by day, with the
// same figures computed exactly from calls, across batches, a day
// boundary and re-delivered calls (uniq over ids: not counted twice).
func TestActorSnapshots(t *testing.T) {
	srv := chtest.Shared(t)
	o := migrated(t, srv)
	db := openDB(t, o)
	cfg := DefaultWriterConfig()
	cfg.BatchRows = 700 // an actor's calls span several batches
	cfg.FlushInterval = 100 * time.Millisecond
	cfg.Annotate = func(c *apicall.Call) (string, []string) {
		if strings.HasSuffix(c.Path, "7") {
			return "/api/v2/orders/{orderId}/7", nil
		}
		return "/api/v2/orders/{orderId}", nil
	}
	w, err := NewWriter(db, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	calls := testCalls("as", 3000)
	// The last 1,000 calls cross midnight; some actors use a second user agent.
	for i := range calls {
		if i >= 2000 {
			calls[i].ReqStart += int64(59*time.Minute) - int64(30*time.Second)
		}
		if i%23 == 0 {
			calls[i].ReqHeaders[1].Value = "python-requests/2.31"
		}
	}
	for i := 0; i < len(calls); i += 250 {
		if err := w.Consume(ctx, calls[i:min(i+250, len(calls))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Consume(ctx, calls[1200:1900]); err != nil { // re-delivered
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.ActorRows < 17*2 {
		t.Errorf("actor rows sent: %d, want at least %d", st.ActorRows, 17*2)
	}
	d := o.Database
	profiles := rowsText(t, db, []string{"actor", "day", "user", "actor_kind", "first_seen", "last_seen", "calls", "errors", "endpoints",
		"arraySort(client_ips)", "arraySort(user_agents)", "hosts"}, "FROM "+d+".actor_profiles ORDER BY actor, day")
	exact := rowsText(t, db, []string{"actor", "toDate(ts) AS day", "user", "actor_kind", "min(ts)", "max(ts)", "uniqExact(id)",
		"uniqExactIf(id, status >= 400 OR status = 0)", "uniqExact(host, method, template)", "arraySort(groupUniqArray(client_ip))",
		"arraySort(groupUniqArray(user_agent))", "groupUniqArray(host)"},
		"FROM "+d+".calls FINAL GROUP BY actor, day, user, actor_kind ORDER BY actor, day")
	if len(exact) != 34 { // 17 users, two days each
		t.Fatalf("%d actor days in calls, want 34", len(exact))
	}
	if strings.Join(profiles, "\n") != strings.Join(exact, "\n") {
		t.Errorf("actor_profiles differ from calls:\n%s\nwant\n%s", strings.Join(profiles, "\n"), strings.Join(exact, "\n"))
	}

	// Off: no actor rows.
	cfg.ActorSnapshots = false
	w, err = NewWriter(db, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Consume(ctx, testCalls("off", 10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.ActorRows != 0 || st.Calls != 10 {
		t.Errorf("ActorSnapshots off: %+v", st)
	}
}

// rowsText returns the rows of a query selecting exprs, each row as the
// tab-separated text of its values.
func rowsText(t *testing.T, db *DB, exprs []string, rest string) []string {
	t.Helper()
	text := make([]string, len(exprs))
	for i, e := range exprs {
		text[i] = "toString(" + e + ")"
	}
	query := "SELECT arrayStringConcat([" + strings.Join(text, ", ") + "], '\t') " + rest
	rows, err := db.conn.Query(t.Context(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
