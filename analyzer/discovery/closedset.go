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
// a word leads to alone are names (nameSeg). A segment two words each
// took twice or more is shared (values of one parameter); one a word took
// once while another took it often is a call the tree read before the
// word's own literal existed (it counts for neither). p's statistics must
// be complete (splitApart's gates).
func apartWords(p *node) bool {
	x, _ := apartCalls(p.parent)
	own, ok := apartEvidence(p.vstats, x)
	return ok && own == 1<<len(p.vstats)-1
}

// apartEvidence returns a bit per word of vs that passes apartWords' test
// (own), and ok false when a segment is shared, a word leads alone to a
// segment that is no name, or vs is not 2 to maxClosedValues words.
// extra counts calls beside vs that went elsewhere (apartCalls).
func apartEvidence(vs []valueStat, extra int64) (own uint16, ok bool) {
	if len(vs) < 2 || len(vs) > maxClosedValues {
		return 0, false
	}
	var totals [maxClosedValues]int64
	var mines [maxClosedValues]int64
	var all int64
	for i, s := range vs {
		if s.contOver {
			return 0, false
		}
		for _, c := range s.conts {
			totals[i] += c.n
		}
		if totals[i] <= 1 {
			return 0, false // a word seen once: the set is still growing (Good-Turing)
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
				return 0, false // a sub-path two words share: values of one parameter
			case m == 1 && (o > 0 || !nameSeg(k1)):
				// a call read under the wrong sub-path, or before the
				// parameter below existed: no evidence either way
			case !nameSeg(k1):
				return 0, false // a key of its own (/toggles/acme-web/zebra-onboarding): scoped values, not a namespace's resources
			default:
				mine += m
				theirs += o
			}
		}
		mines[i] = mine
		others := all - totals[i] + extra
		if mine >= 2 && float64(mine)*math.Log(float64(others+2)/float64(theirs+1)) >= leafLogOdds {
			own |= 1 << i
		}
	}
	return own, true
}

// reached reports whether another word of vs than i took, even once, a
// segment word i took twice or more: taken out alone, a word must own its
// segments outright (an index called most, /indexes/prod_products/query,
// beside indexes called once each on its own operations is a value).
func reached(vs []valueStat, i int) bool {
	for _, c := range vs[i].conts {
		k1 := firstSeg(c.key)
		if segCalls(vs[i], k1) < 2 {
			continue
		}
		for j, o := range vs {
			if j != i && segCalls(o, k1) > 0 {
				return true
			}
		}
	}
	return false
}

// apartCalls counts the calls of n's literal children traffic showed to
// be names beside its parameter (apart): words taken out of it before,
// whose calls went where the parameter's words never went, and so count
// for the words still in it as the other words' calls do. Past 32
// children it gives 0 (a position of many literals holds no small set).
// k is how many such children there are.
func apartCalls(n *node) (x int64, k int) {
	if n == nil || len(n.lits) > 32 {
		return 0, 0
	}
	for _, c := range n.lits {
		if c.apart {
			x += max(c.calls, below(c))
			k++
		}
	}
	return x, k
}

// below counts the calls that ended at literal c or went on to its
// children (a literal made from a parameter's word starts with the calls
// its statistics saw, fewer than its sub-tree had); past 32 children, 0.
func below(c *node) int64 {
	if len(c.lits) > 32 {
		return 0
	}
	var x int64
	for _, e := range c.eps {
		x += e.calls
	}
	for _, k := range c.lits {
		x += k.calls
	}
	if c.pchild != nil {
		x += c.pchild.calls
	}
	return x
}

// minApart is how many words a position must hold, in the parameter and
// taken out of it, for splitApart: two users or owners, each calling
// sub-resources of their own (/owners/quillmaker/pins while
// /owners/tidewater/boards), are as common as two names with resources of
// their own; three words each with their own are a set of names far more
// often than instances.
const minApart = 3

// apartAlone returns the index of a word of vs that passes apartEvidence
// both ways, or -1: its calls avoid the others' segments (own), and the
// others' calls, A of them, avoid its segments so often that, were its
// share m/(m+A) of the calls spread over them as values' are, one would
// have gone its way with a chance of e⁻¹⁰ or less: A·ln((m+A)/A) ≥
// leafLogOdds. Such a word is a name beside words that lack the evidence
// yet (/Accounts/{sid}/SMS/Messages and /Sms/send.json beside
// CustomerWhitelist.json called twice); a word called rarely beside
// frequent ones passes one way only and waits for the whole set. extra
// counts calls beside vs that went elsewhere (apartCalls). No other word
// may have reached its segments (reached).
func apartAlone(vs []valueStat, own uint16, extra int64) int {
	var all int64
	for _, s := range vs {
		for _, c := range s.conts {
			all += c.n
		}
	}
	for i, s := range vs {
		if own&(1<<i) == 0 {
			continue
		}
		var m int64
		for _, c := range s.conts {
			m += c.n
		}
		if reached(vs, i) {
			continue
		}
		a := all - m + extra
		if a > 0 && float64(a)*math.Log(float64(m+a)/float64(a)) >= leafLogOdds {
			return i
		}
	}
	return -1
}

// nameSeg reports whether first segment k1 below a word reads as a name
// of the API's: the end of the path, a parameter, or a resource word or
// plural (shifts, candidates, values). Words that each lead to keys of
// their own (feature flags, object names) are tenants or owners whose
// keys are not yet a parameter.
func nameSeg(k1 string) bool {
	return k1 == "" || k1 == "{}" || resourceWord(k1) || pluralNoun(k1) || madeOfWords(k1) && strings.IndexByte(k1, '-') < 0
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
	if len(ws) < 2 || len(ws) > maxClosedValues || len(p.vstats) != len(ws) || n == nil || n.pchild != p {
		return false
	}
	for _, w := range ws {
		if n.lits[w] != nil {
			return false
		}
	}
	x, k := apartCalls(n)
	if len(ws)+k < minApart {
		return false
	}
	own, ok := apartEvidence(p.vstats, x)
	if !ok || own == 0 {
		return false
	}
	if own != 1<<len(ws)-1 {
		i := apartAlone(p.vstats, own, x)
		return i >= 0 && t.takeOut(p, i) // marks the literal apart
	}
	if !t.splitShared(p) {
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
