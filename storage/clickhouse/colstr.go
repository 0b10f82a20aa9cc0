package clickhouse

import (
	"reflect"
	"slices"
	"unsafe"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// strCol is a String column of a batch in ClickHouse's layout: the bytes
// of all rows in Buf, row i at Buf[Pos[i].Start:Pos[i].End]. It is ch-go's
// proto.ColStr, the buffer clickhouse-go's String column keeps, so an
// insert can hand rows to clickhouse-go as they are (lendStr) instead of
// copying every string into a buffer of clickhouse-go's that grows anew
// for every INSERT (that copy and regrowth were a third of the writer's
// CPU and most of its garbage; README "ClickHouse inserts").
type strCol = chproto.ColStr

// keepStrBytes bounds the buffer a string column keeps for the next batch
// (a batch of unusually large rows does not pin its memory for good).
const keepStrBytes = 64 << 20

// resetStr empties a string column, keeping its capacity within bounds.
func resetStr(c *strCol) {
	if cap(c.Buf) > keepStrBytes {
		c.Buf = nil
	}
	c.Reset()
}

// reserve grows the buffer of c, which holds n rows, at once to what
// rows rows of the same average size take (an eighth more), instead of
// by the small steps append takes for large slices, each a copy and
// garbage; a column reused for the next batch (the writer keeps them)
// then needs no growth at all. Bounded by keepStrBytes.
func reserve(c *strCol, n, rows int) {
	if len(c.Buf) == 0 {
		return
	}
	want := min(len(c.Buf)/n*rows/8*9, keepStrBytes)
	if cap(c.Buf) < want {
		c.Buf = slices.Grow(c.Buf, want-len(c.Buf))
	}
}

// strAt returns row i of c; the string shares c's bytes, so it is valid
// until c is reset.
func strAt(c *strCol, i int) string {
	p := c.Pos[i]
	if p.End == p.Start {
		return ""
	}
	return unsafe.String(&c.Buf[p.Start], p.End-p.Start)
}

// stringColOffset is where clickhouse-go's column.String keeps its
// proto.ColStr, found by reflection; ok is false when a clickhouse-go
// version keeps it otherwise, and then rows are appended (copied) instead.
var stringColOffset, stringColOK = func() (uintptr, bool) {
	f, ok := reflect.TypeFor[column.String]().FieldByName("col")
	return f.Offset, ok && f.Type == reflect.TypeFor[chproto.ColStr]()
}()

// colStrOf returns the buffer of a clickhouse-go String column, nil for
// other column types (LowCardinality on current servers) or when the
// layout is not the known one.
func colStrOf(c column.Interface) *chproto.ColStr {
	s, ok := c.(*column.String)
	if !ok || !stringColOK {
		return nil
	}
	return (*chproto.ColStr)(unsafe.Add(unsafe.Pointer(s), stringColOffset))
}

// lendStr makes the rows pos of src the content of dst, a column of a
// clickhouse-go batch, without copying them: the batch reads src's bytes
// when it encodes the block (Flush, Send), so src must not change until
// the batch is done with (insertOnce drops the batch before its columns
// are reset), and the batch must not write into them: its Flush resets
// the column (length 0, capacity kept) and an append after that would
// overwrite src, so insertOnce calls unlend after every Flush, Send and
// Abort. Other column types get the rows appended as strings that share
// src's bytes (clickhouse-go copies them or keeps them only as long as
// the batch).
func lendStr(dst column.Interface, bc driver.BatchColumn, src *strCol, pos []chproto.Position, scratch *[]string) error {
	if cs := colStrOf(dst); cs != nil {
		*cs = chproto.ColStr{Buf: src.Buf, Pos: pos}
		return nil
	}
	s := (*scratch)[:0]
	for _, p := range pos {
		if p.End == p.Start {
			s = append(s, "")
			continue
		}
		s = append(s, unsafe.String(&src.Buf[p.Start], p.End-p.Start))
	}
	*scratch = s
	return bc.Append(s)
}

// unlend detaches the String and Array(String) columns of a batch from
// the rows lent to them, so that nothing the batch does later can write
// into those rows.
func unlend(cols []column.Interface) {
	for _, c := range cols {
		if cs := colStrOf(c); cs != nil {
			*cs = chproto.ColStr{}
		} else {
			unlendArr(c)
		}
	}
}
