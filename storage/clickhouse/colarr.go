package clickhouse

import (
	"reflect"
	"slices"
	"unsafe"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// arrCol is an Array(String) column of a batch in ClickHouse's layout:
// the elements of every row in Vals, row i's elements Vals rows
// End[i-1] to End[i] (from 0 for row 0). Like strCol it is lent to
// clickhouse-go's Array column for each block (lendArr) instead of
// appended to it row by row through an interface (about a tenth of the
// writer's CPU for roles, scopes and sensitive, 2026-11-24 session 7).
type arrCol struct {
	End  []uint64
	Vals strCol
}

// appendRow appends one row of elements.
func (a *arrCol) appendRow(vs []string) {
	for _, v := range vs {
		a.Vals.Append(v)
	}
	a.End = append(a.End, uint64(a.Vals.Rows()))
}

func (a *arrCol) reset() {
	a.End = a.End[:0]
	resetStr(&a.Vals)
}

// elems returns where the elements of rows lo to hi start and end in Vals.
func (a *arrCol) elems(lo, hi int) (int, int) {
	start := 0
	if lo > 0 {
		start = int(a.End[lo-1])
	}
	end := start
	if hi > lo {
		end = int(a.End[hi-1])
	}
	return start, end
}

// row returns row i's elements as strings that share a's bytes, in buf.
func (a *arrCol) row(i int, buf []string) []string {
	lo, hi := a.elems(i, i+1)
	buf = buf[:0]
	for e := lo; e < hi; e++ {
		buf = append(buf, strAt(&a.Vals, e))
	}
	return buf
}

// Where clickhouse-go's column.Array (depth 1) keeps its element column and
// its offsets, found by reflection; arrayLayoutOK is false when a
// clickhouse-go version keeps them otherwise, and then rows are appended.
var arrayValuesOffset, arrayOffsetsOffset, arrayOffsetColOffset, arrayLayoutOK = func() (uintptr, uintptr, uintptr, bool) {
	at := reflect.TypeFor[column.Array]()
	vf, ok1 := at.FieldByName("values")
	of, ok2 := at.FieldByName("offsets")
	if !ok1 || !ok2 || vf.Type != reflect.TypeFor[column.Interface]() ||
		of.Type.Kind() != reflect.Slice || of.Type.Elem().Kind() != reflect.Pointer || of.Type.Elem().Elem().Kind() != reflect.Struct {
		return 0, 0, 0, false
	}
	ovf, ok3 := of.Type.Elem().Elem().FieldByName("values")
	cf, ok4 := reflect.TypeFor[column.UInt64]().FieldByName("col")
	if !ok3 || !ok4 || ovf.Type != reflect.TypeFor[column.UInt64]() || cf.Type != reflect.TypeFor[chproto.ColUInt64]() {
		return 0, 0, 0, false
	}
	return vf.Offset, of.Offset, ovf.Offset + cf.Offset, true
}()

// arrayParts returns the offsets and the element buffer of a clickhouse-go
// Array(String) column, nil for other types (Array(LowCardinality(String))
// on current servers, nested arrays) or when the layout is not the known
// one.
func arrayParts(c column.Interface) (*chproto.ColUInt64, *chproto.ColStr) {
	a, ok := c.(*column.Array)
	if !ok || !arrayLayoutOK {
		return nil, nil
	}
	base := unsafe.Pointer(a)
	str := colStrOf(*(*column.Interface)(unsafe.Add(base, arrayValuesOffset)))
	offs := *(*[]unsafe.Pointer)(unsafe.Add(base, arrayOffsetsOffset))
	if str == nil || len(offs) != 1 || offs[0] == nil {
		return nil, nil
	}
	return (*chproto.ColUInt64)(unsafe.Add(offs[0], arrayOffsetColOffset)), str
}

// lendArr makes rows lo to hi of src the content of dst, a column of a
// clickhouse-go batch, as lendStr does for strings: the elements are lent,
// the offsets rebased into ends (the block's scratch for this column, which
// the batch reads when it encodes). unlend detaches them. Other column
// types get the rows appended.
func lendArr(dst column.Interface, bc driver.BatchColumn, src *arrCol, lo, hi int, ends *[]uint64, scratch *[]string) error {
	if offs, str := arrayParts(dst); offs != nil {
		start, end := src.elems(lo, hi)
		e := (*ends)[:0]
		for _, x := range src.End[lo:hi] {
			e = append(e, x-uint64(start))
		}
		*ends = e
		*offs = e
		*str = chproto.ColStr{Buf: src.Vals.Buf, Pos: src.Vals.Pos[start:end]}
		return nil
	}
	for r := lo; r < hi; r++ {
		*scratch = src.row(r, *scratch)
		if err := appendStrings(bc, *scratch); err != nil {
			return err
		}
	}
	return nil
}

// unlendArr detaches an Array column from the rows lent to it.
func unlendArr(c column.Interface) {
	if offs, str := arrayParts(c); offs != nil {
		*offs = nil
		*str = chproto.ColStr{}
	}
}

// growArr sizes an array column for n rows.
func growArr(a *arrCol, n int) {
	a.End = slices.Grow(a.End, n)
	a.Vals.Pos = slices.Grow(a.Vals.Pos, n)
}
