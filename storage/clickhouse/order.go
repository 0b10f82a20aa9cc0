package clickhouse

import (
	"cmp"
	"slices"
	"strings"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
)

// Rows sent in the table's sorting key order save the server its sort: a
// MergeTree part whose rows arrive sorted is written without sorting and
// permuting every column again (on 18.16 the calls insert took 2.6 instead
// of 4.8 µs of server CPU per row in scripts/ch-server-cost.sh). The
// order must hold over the whole INSERT (the server squashes its blocks
// into one block per partition before it checks), so the writer orders
// the batch's rows once: each call gets a dense endpoint number when it is
// added (a map lookup), and before the insert the rows are put in order by
// a counting sort on the endpoints' lexicographic rank, then by (ts, id)
// within each endpoint. The columns are not moved: the insert reads them
// through the permutation, block by block.

// endpointKey is (host, method, template), the head of the calls sorting key.
type endpointKey struct{ host, method, template string }

// rowOrder is the sorting state of one batch of calls.
type rowOrder struct {
	index map[string]uint32 // template → its first endpoint number + 1 (hashing one string, not three)
	eps   []endpointKey     // by number
	next  []uint32          // by number: the next endpoint number + 1 with the same template, 0 for none
	ep    []uint32          // endpoint number of each row
	perm  []int32           // rows in sorting key order (valid while sorted)
	start []int32           // scratch: rows per endpoint, then group starts
	rank  []uint32          // scratch: lexicographic rank of each endpoint number
	byLex []uint32          // scratch: endpoint numbers in lexicographic order
	keys  []int64           // scratch: ts of each row at the server's precision
	valid bool              // perm is the order of the current rows
}

// add records the endpoint of the next row.
func (o *rowOrder) add(host, method, template string) {
	if o.index == nil {
		o.index = map[string]uint32{}
	}
	first := o.index[template]
	last := uint32(0)
	for e := first; e != 0; e = o.next[e-1] {
		if k := &o.eps[e-1]; k.method == method && k.host == host {
			o.ep = append(o.ep, e-1)
			o.valid = false
			return
		}
		last = e
	}
	n := uint32(len(o.eps))
	o.eps = append(o.eps, endpointKey{host, method, template})
	o.next = append(o.next, 0)
	if last == 0 {
		o.index[template] = n + 1
	} else {
		o.next[last-1] = n + 1
	}
	o.ep = append(o.ep, n)
	o.valid = false
}

func (o *rowOrder) reset() {
	clear(o.index)
	truncate(&o.eps)
	o.next = o.next[:0]
	o.ep = o.ep[:0]
	o.perm = o.perm[:0]
	o.valid = false
}

// order returns the rows of c in the calls sorting key order (host,
// method, template, ts, id), ts compared in whole seconds when seconds
// (DateTime on old servers) and in nanoseconds otherwise. It is computed
// once per batch: a retried insert reuses it.
func (o *rowOrder) order(c *callColumns, seconds bool) []int32 {
	if o.valid {
		return o.perm
	}
	n := len(o.ep)
	// Lexicographic rank of each endpoint (a few hundred at most, usually).
	o.byLex = o.byLex[:0]
	for i := range o.eps {
		o.byLex = append(o.byLex, uint32(i))
	}
	slices.SortFunc(o.byLex, func(a, b uint32) int {
		x, y := &o.eps[a], &o.eps[b]
		if c := strings.Compare(x.host, y.host); c != 0 {
			return c
		}
		if c := strings.Compare(x.method, y.method); c != 0 {
			return c
		}
		return strings.Compare(x.template, y.template)
	})
	o.rank = slices.Grow(o.rank[:0], len(o.eps))[:len(o.eps)]
	for r, e := range o.byLex {
		o.rank[e] = uint32(r)
	}
	// Counting sort of the rows by rank (stable: arrival order within).
	o.start = slices.Grow(o.start[:0], len(o.eps)+1)[:len(o.eps)+1]
	clear(o.start)
	for _, e := range o.ep {
		o.start[o.rank[e]+1]++
	}
	for r := 1; r < len(o.start); r++ {
		o.start[r] += o.start[r-1]
	}
	o.perm = slices.Grow(o.perm[:0], n)[:n]
	next := o.byLex // reused: next free position of each rank
	for r := range next {
		next[r] = uint32(o.start[r])
	}
	for i, e := range o.ep {
		r := o.rank[e]
		o.perm[next[r]] = int32(i)
		next[r]++
	}
	// Then (ts, id) within each endpoint: mostly ascending already.
	o.keys = slices.Grow(o.keys[:0], n)[:n]
	for i := range n {
		if seconds {
			o.keys[i] = c.ts[i].Unix()
		} else {
			o.keys[i] = c.ts[i].UnixNano()
		}
	}
	less := func(a, b int32) int {
		if x := cmp.Compare(o.keys[a], o.keys[b]); x != 0 {
			return x
		}
		return strings.Compare(strAt(&c.id, int(a)), strAt(&c.id, int(b)))
	}
	for r := 0; r+1 < len(o.start); r++ {
		g := o.perm[o.start[r]:o.start[r+1]]
		if !slices.IsSortedFunc(g, less) {
			slices.SortFunc(g, less)
		}
	}
	o.valid = true
	return o.perm
}

// gather holds the reordered rows of one block of one column while it is
// appended (clickhouse-go copies them), reused across columns and blocks,
// and the reordered positions of each string column (lent to the batch
// until it encodes the block, so one per column). One insert uses it at
// a time.
type gather struct {
	pos  [][]chproto.Position // by column number
	ends [][]uint64           // an array column's rebased offsets, by column number
	str  []string             // a string column's rows for a column type that is not lent
	strs []string
	ts   []time.Time
	u64  []uint64
	u32  []uint32
	u16  []uint16
	u8   []uint8
}

// size makes room for the positions and offsets of n columns.
func (g *gather) size(n int) {
	if len(g.pos) < n {
		g.pos = append(g.pos, make([][]chproto.Position, n-len(g.pos))...)
	}
	if len(g.ends) < n {
		g.ends = append(g.ends, make([][]uint64, n-len(g.ends))...)
	}
}

// pick returns col[perm[0]], col[perm[1]], ... in buf.
func pick[T any](buf *[]T, col []T, perm []int32) []T {
	b := (*buf)[:0]
	for _, i := range perm {
		b = append(b, col[i])
	}
	*buf = b
	return b
}
