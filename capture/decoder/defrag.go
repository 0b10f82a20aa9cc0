package decoder

import (
	"encoding/binary"
	"time"
)

// maxFreeDatagrams bounds the recycled datagram buffers kept for reuse.
const maxFreeDatagrams = 64

// fragKey identifies an IPv4 datagram (RFC 791: source, destination, protocol, id).
type fragKey struct {
	src, dst [4]byte
	id       uint16
	proto    uint8
}

type span struct{ start, end int }

// datagram is an IPv4 datagram in reassembly: payload bytes placed at their offsets.
type datagram struct {
	key   fragKey
	first time.Time // capture time of its first fragment, for the timeout
	buf   []byte    // payload, as long as the highest fragment end seen
	got   []span    // received ranges, sorted and merged
	total int       // payload length once the last fragment is seen, else -1
}

// covered reports whether the ranges received cover the whole payload.
func (g *datagram) covered() bool {
	return g.total >= 0 && len(g.got) == 1 && g.got[0].start == 0 && g.got[0].end == g.total
}

// mark adds [start, end) to the received ranges, merging overlaps.
func (g *datagram) mark(start, end int) {
	i := 0
	for i < len(g.got) && g.got[i].end < start {
		i++
	}
	j := i
	for j < len(g.got) && g.got[j].start <= end {
		start = min(start, g.got[j].start)
		end = max(end, g.got[j].end)
		j++
	}
	if i == j {
		g.got = append(g.got, span{})
		copy(g.got[i+1:], g.got[i:])
		g.got[i] = span{start, end}
		return
	}
	g.got[i] = span{start, end}
	g.got = append(g.got[:i+1], g.got[j:]...)
}

type queued struct {
	key   fragKey
	first time.Time
}

// defragmenter reassembles IPv4 datagrams within fixed bounds. Overlapping fragments: the
// later one wins, byte for byte.
type defragmenter struct {
	maxDatagrams int
	maxBytes     int
	timeout      time.Duration
	table        map[fragKey]*datagram
	order        []queued // datagrams by creation, for expiry in capture-time order
	head         int
	bytes        int // payload bytes buffered in table
	free         []*datagram
	out          *datagram // completed datagram the last segment points into
	timedOut     uint64
}

func newDefragmenter(cfg Config) defragmenter {
	return defragmenter{
		maxDatagrams: cfg.MaxFragmentDatagrams,
		maxBytes:     cfg.MaxFragmentBytes,
		timeout:      cfg.FragmentTimeout,
		table:        make(map[fragKey]*datagram),
	}
}

// release recycles the datagram the previous segment pointed into.
func (f *defragmenter) release() {
	if f.out != nil {
		f.recycle(f.out)
		f.out = nil
	}
}

func (f *defragmenter) recycle(g *datagram) {
	if len(f.free) < maxFreeDatagrams {
		g.buf, g.got = g.buf[:0], g.got[:0]
		f.free = append(f.free, g)
	}
}

// expire drops datagrams whose first fragment is older than the timeout at now.
func (f *defragmenter) expire(now time.Time) {
	for f.head < len(f.order) {
		q := f.order[f.head]
		if now.Sub(q.first) <= f.timeout {
			break
		}
		f.order[f.head] = queued{}
		f.head++
		// The key may have completed, or been reused by a later datagram.
		if g, ok := f.table[q.key]; ok && g.first.Equal(q.first) {
			f.remove(g)
			f.timedOut++
			f.recycle(g)
		}
	}
	if f.head > 1024 && f.head*2 > len(f.order) {
		n := copy(f.order, f.order[f.head:])
		clear(f.order[n:])
		f.order, f.head = f.order[:n], 0
	}
}

func (f *defragmenter) remove(g *datagram) {
	delete(f.table, g.key)
	f.bytes -= len(g.buf)
}

// add takes an IPv4 fragment (b is the datagram, ihl its header length, frag its flags and
// offset field) and returns the reassembled payload once the datagram is complete, or nil
// and the reason the frame yields nothing yet.
func (f *defragmenter) add(b []byte, ihl int, frag uint16, now time.Time) ([]byte, Reason) {
	f.expire(now)
	payload := b[ihl:]
	off := int(frag&0x1fff) * 8
	end := off + len(payload)
	more := frag&0x2000 != 0
	if len(payload) == 0 || end > 0xffff-ihl || (more && len(payload)%8 != 0) {
		return nil, ReasonBadHeader
	}
	key := fragKey{id: binary.BigEndian.Uint16(b[4:6]), proto: b[9]}
	copy(key.src[:], b[12:16])
	copy(key.dst[:], b[16:20])
	g := f.table[key]
	if g == nil {
		if len(f.table) >= f.maxDatagrams {
			return nil, ReasonFragmentShed
		}
		if n := len(f.free); n > 0 {
			g, f.free = f.free[n-1], f.free[:n-1]
		} else {
			g = &datagram{}
		}
		g.key, g.first, g.total = key, now, -1
		f.table[key] = g
		f.order = append(f.order, queued{key, now})
	}
	if grow := end - len(g.buf); grow > 0 {
		if f.bytes+grow > f.maxBytes {
			return nil, ReasonFragmentShed
		}
		f.bytes += grow
		g.buf = append(g.buf, make([]byte, grow)...)
	}
	if !more {
		if g.total >= 0 && g.total != end {
			f.remove(g) // two different ends: the datagram cannot be trusted
			f.recycle(g)
			return nil, ReasonBadHeader
		}
		g.total = end
	}
	if g.total >= 0 && len(g.buf) > g.total {
		f.remove(g) // data beyond the last fragment
		f.recycle(g)
		return nil, ReasonBadHeader
	}
	copy(g.buf[off:end], payload)
	g.mark(off, end)
	if !g.covered() {
		return nil, ReasonFragmentPending
	}
	f.remove(g)
	f.out = g
	return g.buf[:g.total], 0
}
