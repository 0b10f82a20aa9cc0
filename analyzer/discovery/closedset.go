package discovery

import (
	"math"
	"strings"
)

// Closed sets of names at low volume (session 9, round 15): a few sibling
// words merged into a parameter, each leading to sub-paths no other word
// leads to (/resources/attendance/shifts, /resources/timeoff/leaves,
// /resources/ats/candidates/{id}: one API's namespaces, each with its own
// resources). The values of one parameter are called on the same
// sub-paths (which tenant, user or owner a call names does not change
// which operation it is: /users/alice/repos, /users/bob/repos), so a word
// whose calls all go where the other words' calls never go is a name of
// its own once it has been called so often that a value called as the
// others are would have gone their way at least once, with a chance of
// e⁻¹⁰ or less (leafLogOdds, the recurrence rules' standard). splitClosed
// and splitDisjoint read the same partition but wait for 16 or 8 calls of
// every word; a rare namespace of a closed set may see 3 in a few minutes
// of traffic while its siblings see dozens, and the evidence is in how
// many calls the others made, not in a count per word.

// apartWords reports whether every word of word parameter p leads to
// first segments below p (the end of the path counts as one) that no
// other word leads to, with evidence enough (see above): for each word,
// its calls to segments of its own m, the other words' calls A and theirs
// to those segments B, m·ln((A+2)/(B+1)) ≥ leafLogOdds; and the segments
// a word leads to alone are names (nameSeg). A segment two
// words each took twice or more is shared (values of one parameter); one
// a word took once while another took it often is a call the tree read
// before the word's own literal existed (it counts for neither). p's
// statistics must be complete (splitMixed's gates).
func apartWords(p *node) bool {
	vs := p.vstats
	if len(vs) < 2 || len(vs) > maxClosedValues {
		return false
	}
	var totals [maxClosedValues]int64
	var all int64
	for i, s := range vs {
		if s.contOver {
			return false
		}
		for _, c := range s.conts {
			totals[i] += c.n
		}
		all += totals[i]
	}
	for i, s := range vs {
		var mine, theirs int64 // calls to segments of i's own, and the others' calls there
		for j, c := range s.conts {
			k1 := firstSeg(c.key)
			if seenBefore(s.conts[:j], k1) {
				continue
			}
			m, o := segCalls(s, k1), int64(0)
			for x, t := range vs {
				if x != i {
					o += segCalls(t, k1)
				}
			}
			switch {
			case m >= 2 && o >= 2:
				return false // a sub-path two words share: values of one parameter
			case m == 1 && (o > 0 || !nameSeg(k1)):
				// a call read under the wrong sub-path, or before the
				// parameter below existed: no evidence either way
			case !nameSeg(k1):
				return false // a key of its own (/toggles/acme-web/zebra-onboarding): scoped values, not a namespace's resources
			default:
				mine += m
				theirs += o
			}
		}
		others := all - totals[i]
		if mine < 2 || float64(mine)*math.Log(float64(others+2)/float64(theirs+1)) < leafLogOdds {
			return false
		}
	}
	return true
}

// nameSeg reports whether first segment k1 below a word reads as a name
// of the API's: the end of the path, a parameter, or a resource word or
// plural (shifts, candidates, values). Words that each lead to keys of
// their own (feature flags, object names) are tenants or owners whose
// keys are not yet a parameter.
func nameSeg(k1 string) bool {
	return k1 == "" || k1 == "{}" || resourceWord(k1) || pluralNoun(k1)
}

// firstSeg returns the first segment of continuation key k ("" for the
// end of the path).
func firstSeg(k string) string {
	k1, _, _ := strings.Cut(k, "/")
	return k1
}

// seenBefore reports whether one of cs has first segment k1.
func seenBefore(cs []contStat, k1 string) bool {
	for _, c := range cs {
		if firstSeg(c.key) == k1 {
			return true
		}
	}
	return false
}

// segCalls counts the calls of s whose continuation starts with k1.
func segCalls(s valueStat, k1 string) int64 {
	var n int64
	for _, c := range s.conts {
		if firstSeg(c.key) == k1 {
			n += c.n
		}
	}
	return n
}

// splitApart splits word parameter p into one literal per word
// (splitShared) when apartWords holds, and marks them apart: names, which
// no rule merges back. It looks on every call through p up to mixedStop
// (the evidence of a rare word grows with the other words' calls, so the
// last call through p always sees all of it, whatever the order), and
// reports whether p was split.
func (t *tree) splitApart(p *node) bool {
	if t.frozen || !mixedRule(p) || p.calls < 2*belowCalls || p.calls > mixedStop {
		return false
	}
	n, ws := p.parent, p.known
	if len(ws) < 2 || len(ws) > maxClosedValues || len(p.vstats) != len(ws) || n == nil || n.param || n.pchild != p {
		return false
	}
	for _, w := range ws {
		if n.lits[w] != nil {
			return false
		}
	}
	if !apartWords(p) || !t.splitShared(p) {
		return false
	}
	for _, w := range ws {
		if l := n.lits[w]; l != nil {
			l.apart = true
		}
	}
	return true
}

// namesHere reports whether literal n has no parameter and two or more
// children splitApart showed to be names: a word arriving there later is
// one more name of the set (/modules/wagebook beside the namespaces
// stockroom and freightage), not an instance the collection-slot rule
// takes on sight.
func namesHere(n *node) bool {
	if n.pchild != nil || len(n.lits) < 2 {
		return false
	}
	k := 0
	for _, c := range n.lits {
		if c.apart && c.calls > 0 {
			if k++; k == 2 {
				return true
			}
		}
	}
	return false
}
