package discovery

// Rules of session 11's second leave-half-out round (s11-a2): written from
// the misses of half A and kept only when half B, whose misses nobody on
// the branch read, lost errors in one pooled line and gained none in the
// other (docs/templating.md, Rules).

// keyedPosition reports whether literal n has a literal child, a plain
// lower-case word, that leads straight to minted ids (/places/xid/N3013,
// /aircrafts/reg/4412): the collection is read there through a key, so the
// position holds the collection's lookups and operations, not its
// instances. An instance named by a word leads to sub-resources
// (/places/paris/photos); a word with ids right below it is a key or a
// sub-collection. Past 32 children it reports false (a position of many
// literals is read by the statistical rules).
func keyedPosition(n *node) bool {
	if n.param || len(n.lits) > 32 {
		return false
	}
	for _, c := range n.lits {
		if p := c.pchild; p != nil && mintedKind(p.kind) && plainLower(c.key) && !valueShaped(c.key) {
			return true
		}
	}
	return false
}

// mintedKind reports whether k is the kind of an id a system mints:
// integers, UUIDs, ObjectIds, hashes, hex strings and tokens (not dates,
// e-mail addresses or versions, which name other things).
func mintedKind(k Kind) bool {
	switch k {
	case Integer, UUID, ObjectID, Hash, Hex, Token:
		return true
	}
	return false
}

// keyedLeaf reports whether word w, ending the path at literal n, is an
// operation of a keyed position (keyedPosition: /places/radius and
// /places/bbox beside /places/xid/{id}): a single lower-case word or an
// operation name, as beside the ids themselves (besideIDs), so the
// collection-slot rule does not take it on sight.
func keyedLeaf(n *node, w string, more bool) bool {
	return !more && operationWord(w) && keyedPosition(n)
}

// demoteKeyedLeaves takes out of the collection-slot parameter of literal
// n, as literals, the operation words that only ever ended there, when n
// is a keyed position (keyedLeaf), whichever came first (demoteLeaves;
// with one value, that word alone). It runs when a key's minted ids
// arrive and when a leaf word of the parameter is called again, so a key
// taken out of the parameter later (/places/xid, first read as one more
// instance) counts too. It reports whether the tree changed.
func (t *tree) demoteKeyedLeaves(n *node) bool {
	p := n.pchild
	if t.frozen || n.param || p == nil || !p.param || p.kind != Word || p.rule != ruleCollectionSlot || !keyedPosition(n) {
		return false
	}
	if p.values == 1 && len(p.known) == 1 && len(p.vstats) == 1 && operationWord(p.known[0]) && p.pchild == nil && len(p.lits) == 0 &&
		!n.promoted && n.lits[p.known[0]] == nil {
		if endedConts(p.vstats[0]) {
			t.unslot(p, p.known[0]) // one word so far (demoteLeaves takes two or more)
			return true
		}
	}
	return t.demoteLeavesBy(p, operationWord, endedConts)
}

// endedConts reports whether every call s saw ended at the value, read
// from its continuations (kept while the other counts stop once two words
// end at one position: noteValue).
func endedConts(s valueStat) bool {
	if s.contOver || len(s.conts) == 0 {
		return false
	}
	for _, c := range s.conts {
		if c.key != "" {
			return false
		}
	}
	return true
}
