package afpacket

import (
	"encoding/binary"
	"hash/maphash"
)

// On "any" the kernel shows a packet on every interface it crosses: a bridged packet
// incoming on one veth and outgoing on another, a routed one incoming on eth0 and
// outgoing on a pod's veth. The copies are the same bytes but for the IPv4 TTL and header
// checksum (or the IPv6 hop limit), and reach the same worker (the fanout hash does not
// depend on the interface). dedup drops every copy of a packet but the first seen within
// dedupWindow on another interface, and counts them. A copy whose addresses were
// rewritten between the interfaces (NAT, kube-proxy's DNAT) is another packet to the
// agent, on another connection, and is kept.
const (
	dedupSlots  = 4096               // recent packets remembered, direct-mapped by hash
	dedupWindow = 10_000_000         // ns: copies of one packet cross a node's interfaces within microseconds
	dedupMix    = 0x9e3779b97f4a7c15 // odd multiplier (golden ratio) mixing header words into the hash
)

type dedupSlot struct {
	sum     uint64
	ts      int64 // capture time, ns
	ifindex int32
}

// dedup is one ring's table of recent packets. Only the ring's reader uses it.
type dedup struct {
	seed  maphash.Seed
	slots [dedupSlots]dedupSlot
}

func newDedup() *dedup { return &dedup{seed: maphash.MakeSeed()} }

// duplicate reports whether the IP packet b, captured at ts (ns) on ifindex, is a copy of
// one seen on another interface within dedupWindow; if not it remembers b.
func (d *dedup) duplicate(b []byte, ifindex int32, ts int64) bool {
	var sum uint64
	switch {
	case len(b) >= 20 && b[0]>>4 == 4:
		// Version to fragment offset, protocol, then addresses, options and payload: all
		// but the TTL (byte 8) and the header checksum (10-11), which routing changes.
		head := binary.LittleEndian.Uint64(b[:8]) ^ uint64(b[9])<<56
		sum = maphash.Bytes(d.seed, b[12:]) ^ head*dedupMix
	case len(b) >= 40 && b[0]>>4 == 6:
		// All but the hop limit (byte 7).
		head := binary.LittleEndian.Uint64(b[:8]) &^ (0xff << 56)
		sum = maphash.Bytes(d.seed, b[8:]) ^ head*dedupMix
	default:
		return false
	}
	s := &d.slots[sum%dedupSlots]
	if s.sum == sum && s.ifindex != ifindex && ts >= s.ts && ts-s.ts <= dedupWindow {
		return true
	}
	*s = dedupSlot{sum: sum, ts: ts, ifindex: ifindex}
	return false
}
