package clickhouse

import (
	"fmt"
	"slices"
	"testing"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// appender is a driver.BatchColumn over a bare column.
type appender struct{ c column.Interface }

func (a appender) Append(v any) error    { _, err := a.c.Append(v); return err }
func (a appender) AppendRow(v any) error { return a.c.AppendRow(v) }

// TestLendStr: rows lent to a clickhouse-go column encode exactly as rows
// appended to it, for String (lent without a copy: the layout of the
// pinned clickhouse-go must be the known one) and LowCardinality(String)
// (appended); once detached, the column may be reset and reused without
// touching the lent rows.
func TestLendStr(t *testing.T) {
	if !stringColOK {
		t.Fatal("clickhouse-go's column.String no longer keeps a proto.ColStr in field col: the writer copies every string again (colstr.go)")
	}
	var src strCol
	var want []string
	for i := range 1000 {
		s := fmt.Sprintf("row-%d", i)
		if i%3 == 0 {
			s = ""
		}
		src.Append(s)
		want = append(want, s)
	}
	perm := []int{999, 0, 5, 998, 3, 3}
	for _, typ := range []column.Type{"String", "LowCardinality(String)"} {
		t.Run(string(typ), func(t *testing.T) {
			for _, rows := range [][]int{{0, 1, 2, 3, 500, 999}, perm} {
				mk := func() column.Interface {
					c, err := typ.Column("x", &column.ServerContext{})
					if err != nil {
						t.Fatal(err)
					}
					return c
				}
				lent, copied := mk(), mk()
				var pos []chproto.Position
				var strs []string
				for _, r := range rows {
					pos = append(pos, src.Pos[r])
					strs = append(strs, want[r])
				}
				var scratch []string
				if err := lendStr(lent, appender{lent}, &src, pos, &scratch); err != nil {
					t.Fatal(err)
				}
				if _, err := copied.Append(strs); err != nil {
					t.Fatal(err)
				}
				var a, b chproto.Buffer
				lent.Encode(&a)
				copied.Encode(&b)
				if !slices.Equal(a.Buf, b.Buf) {
					t.Fatalf("rows %v: lent rows encode as %q, appended as %q", rows, a.Buf, b.Buf)
				}
				// Detached (as insertOnce does after each Flush and Send),
				// a column reset and written to again leaves src alone.
				unlend([]column.Interface{lent})
				lent.Reset()
				for range 10 {
					if err := lent.AppendRow("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"); err != nil {
						t.Fatal(err)
					}
				}
				for i, w := range want {
					if got := strAt(&src, i); got != w {
						t.Fatalf("row %d of the source became %q, want %q", i, got, w)
					}
				}
			}
		})
	}
}

// TestReserve: a column grows once to the batch's expected size and keeps
// no more than keepStrBytes after a reset.
func TestReserve(t *testing.T) {
	var c strCol
	for range 100 {
		c.Append("0123456789")
	}
	reserve(&c, 100, 50000)
	if want := 10 * 50000 * 9 / 8; cap(c.Buf) < want {
		t.Fatalf("cap %d after reserve, want >= %d", cap(c.Buf), want)
	}
	c.AppendBytes(make([]byte, keepStrBytes+1))
	resetStr(&c)
	if cap(c.Buf) != 0 || c.Rows() != 0 {
		t.Fatalf("reset kept %d bytes, %d rows", cap(c.Buf), c.Rows())
	}
}

// TestLendArr: Array(String) rows lent to a clickhouse-go column encode
// exactly as the same rows appended to it, for any block of rows, for
// Array(String) (lent: the layout of the pinned clickhouse-go must be the
// known one) and Array(LowCardinality(String)) (appended); once detached,
// the column may be reset and reused without touching the lent rows.
func TestLendArr(t *testing.T) {
	if !arrayLayoutOK {
		t.Fatal("clickhouse-go's column.Array no longer keeps its elements and offsets where colarr.go looks: the writer appends arrays row by row again")
	}
	var src arrCol
	var want [][]string
	for i := range 300 {
		var row []string
		for j := range i % 4 {
			row = append(row, fmt.Sprintf("v%d-%d", i, j))
		}
		if i%7 == 0 {
			row = append(row, "")
		}
		src.appendRow(row)
		want = append(want, row)
	}
	for _, typ := range []column.Type{"Array(String)", "Array(LowCardinality(String))"} {
		t.Run(string(typ), func(t *testing.T) {
			for _, span := range [][2]int{{0, 300}, {0, 1}, {4, 5}, {17, 230}, {299, 300}} {
				mk := func() column.Interface {
					c, err := typ.Column("x", &column.ServerContext{})
					if err != nil {
						t.Fatal(err)
					}
					return c
				}
				lent, copied := mk(), mk()
				var ends []uint64
				var scratch []string
				if err := lendArr(lent, appender{lent}, &src, span[0], span[1], &ends, &scratch); err != nil {
					t.Fatal(err)
				}
				for _, row := range want[span[0]:span[1]] {
					if row == nil {
						row = []string{}
					}
					if err := copied.AppendRow(row); err != nil {
						t.Fatal(err)
					}
				}
				if lent.Rows() != span[1]-span[0] {
					t.Fatalf("rows %v: %d rows lent", span, lent.Rows())
				}
				var a, b chproto.Buffer
				lent.Encode(&a)
				copied.Encode(&b)
				if !slices.Equal(a.Buf, b.Buf) {
					t.Fatalf("rows %v: lent rows encode as %q, appended as %q", span, a.Buf, b.Buf)
				}
				unlend([]column.Interface{lent})
				lent.Reset()
				for range 10 {
					if err := lent.AppendRow([]string{"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "YYYYYYYYYYYYYYYYYYY"}); err != nil {
						t.Fatal(err)
					}
				}
				for i, w := range want {
					if got := src.row(i, nil); !slices.Equal(got, w) && (len(got) != 0 || len(w) != 0) {
						t.Fatalf("row %d of the source became %q, want %q", i, got, w)
					}
				}
			}
		})
	}
}
