package clickhouse

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/chtest"
)

// TestRowOrder: the permutation the writer sends a batch in is a
// permutation of its rows, in the calls sorting key order (host, method,
// template, ts at the server's precision, id), for batches added in
// several parts, reset and reused.
func TestRowOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	hosts := []string{"api.shop.test", "api.bank.test", "a", ""}
	methods := []string{"GET", "POST", "DELETE"}
	templates := []string{"/orders/{id}", "/orders", "/users/{id}", "/", ""}
	base := time.Date(2026, 1, 5, 23, 59, 0, 0, time.UTC).UnixNano()
	for _, seconds := range []bool{true, false} {
		c := &callColumns{sorted: true, seconds: seconds}
		for round := range 3 {
			n := 1 + r.IntN(5000)
			calls := make([]apicall.Call, n)
			for i := range calls {
				calls[i] = apicall.Call{
					ID:       fmt.Sprintf("id-%d", r.IntN(n)), // repeats: ties broken by nothing else
					ReqStart: base + r.Int64N(int64(3*time.Minute)),
					Host:     hosts[r.IntN(len(hosts))],
					Method:   methods[r.IntN(len(methods))],
					Path:     templates[r.IntN(len(templates))],
				}
			}
			c.annotate = func(k *apicall.Call) (string, []string) { return k.Path, nil }
			for lo := 0; lo < n; lo += 700 {
				c.add(calls[lo:min(lo+700, n)])
			}
			perm, _ := c.permutation()
			if len(perm) != n {
				t.Fatalf("round %d: %d rows in the order, want %d", round, len(perm), n)
			}
			seen := make([]bool, n)
			for _, i := range perm {
				if seen[i] {
					t.Fatalf("round %d: row %d twice", round, i)
				}
				seen[i] = true
			}
			key := func(i int32) int64 {
				if seconds {
					return c.ts[i].Unix()
				}
				return c.ts[i].UnixNano()
			}
			ordered := slices.IsSortedFunc(perm, func(a, b int32) int {
				s := func(col *strCol, i int32) string { return strAt(col, int(i)) }
				return cmp.Or(strings.Compare(s(&c.host, a), s(&c.host, b)), strings.Compare(s(&c.method, a), s(&c.method, b)),
					strings.Compare(s(&c.template, a), s(&c.template, b)), cmp.Compare(key(a), key(b)), strings.Compare(s(&c.id, a), s(&c.id, b)))
			})
			if !ordered {
				t.Fatalf("seconds=%v round %d: rows not in sorting key order", seconds, round)
			}
			if again, _ := c.permutation(); &again[0] != &perm[0] {
				t.Error("the order was computed again for the same batch")
			}
			c.reset()
		}
	}
}

// TestWriterSortedRows: a batch sent in sorting key order stores the same
// rows, every column of a row still together, as one sent as added.
func TestWriterSortedRows(t *testing.T) {
	srv := chtest.Shared(t)
	calls := testCalls("sorted", 3000)
	r := rand.New(rand.NewPCG(3, 4))
	r.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })
	for i := range calls {
		calls[i].Host = []string{"api.shop.test", "api.bank.test", "admin.shop.test"}[r.IntN(3)]
		calls[i].RespBody.Data = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	sum := map[bool]uint64{}
	for _, sorted := range []bool{false, true} {
		o := migrated(t, srv)
		db := openDB(t, o)
		cfg := DefaultWriterConfig()
		cfg.BatchRows = 1000
		cfg.SortRows = sorted
		cfg.WaitForInsert = false // Close inserts and reports errors
		cfg.Annotate = func(c *apicall.Call) (string, []string) { return c.Path, []string{c.Method} }
		w, err := NewWriter(db, cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo < len(calls); lo += 250 {
			if err := w.Consume(t.Context(), calls[lo:lo+250]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := srv.Count(t, "SELECT count() FROM "+o.Database+".calls"); n != uint64(len(calls)) {
			t.Fatalf("sorted=%v: %d calls stored, want %d", sorted, n, len(calls))
		}
		sum[sorted] = srv.Count(t, "SELECT sum(cityHash64(id, ts, duration_us, host, method, path, template, query, status, actor, client_ip, client_port, "+
			"user_agent, arrayStringConcat(sensitive), req_headers, resp_headers, resp_body, flags)) FROM "+o.Database+".calls")
	}
	if sum[false] != sum[true] {
		t.Errorf("rows differ: hash sum %d sent as added, %d sent sorted", sum[false], sum[true])
	}
}
