package discovery

import (
	"slices"
	"strings"
)

// Rules of session 11 (s11-b3): an English word between a collection and
// a sub-resource (docs/templating.md, Rules).

// englishWord reports whether w is one English word, or English words
// joined by '_' (cash, telemetry, mark_as_sent): lower case, each part a
// word of the word list or the lexicon. Runs of words (webshop,
// quillmaker) and codes are not: names people coin for their things.
func englishWord(w string) bool {
	return lowerWords(w) && dictWords(w)
}

// englishSlot reports whether plain word w, below literal n, is a word the
// collection slot takes as an instance only because it is no resource
// word after a plural collection noun (slotReading's plain case), and an
// English word.
func englishSlot(n *node, w string) bool {
	ok, plain := slotReading(n, w)
	return ok && plain && englishWord(w)
}

// slotTakes is slotValue for plain word w, below literal n, followed by
// the rest of its path: an English word that the collection slot takes
// only as a word after a plural collection noun is left literal when a
// sub-resource follows (subResource), and when it ends the path in a
// collection of an instance (nestedLeaf, s11-b4).
func slotTakes(n *node, w, rest string) bool {
	if n.param && titleCase(w) && titledNext(rest) {
		return false // /{file}/Contact/Customer, /{file}/Sale/Invoice/Item: the API's own capitalised resources
	}
	ok, plain := slotReading(n, w)
	return ok && !(plain && englishWord(w) && (subResource(rest) || nestedLeaf(n, rest)))
}

// titledNext reports whether the rest of a path after a word continues
// with a capitalised word of the vocabulary (Customer, Invoice): a
// capitalised word after a parameter that leads to another one is one of
// the API's capitalised resources and its sub-resource, not a value
// (titleValue's capitalised names, /{base}/Tasks/{record}, lead to ids).
func titledNext(rest string) bool {
	next, _ := nextSeg(rest)
	return titleCase(next) && madeOfWords(next)
}

// subResource reports whether the rest of a path after a word continues
// with a resource word or a plural noun (/plugins/telemetry/values,
// /accounts/cash/transactions). An English word after a collection that
// leads to one is a part of the API, one fixed word many calls go
// through, more often than an instance: an instance named by an English
// word has siblings (/vhosts/production/queues, /vhosts/staging/queues),
// and the walk makes it one once they come (groupEnglish; beside a
// parameter of instances, joinsUnreserved and absorbIDLike's litJoins),
// so the word is left literal on sight.
func subResource(rest string) bool {
	next, _ := nextSeg(rest)
	return next != "" && (resourceWord(next) || pluralNoun(next))
}

// litSubResource is subResource for literal c: one of its literal
// children is a resource word or a plural noun.
func litSubResource(c *node) bool {
	for k := range c.lits {
		if subResource(k) {
			return true
		}
	}
	return false
}

// heldBack reports whether literal c, below n, is an English word the
// collection slot left literal before a sub-resource, or as a leaf of a
// collection of an instance (nestedLeaf).
func heldBack(n, c *node) bool {
	return lowerWords(c.key) && (litSubResource(c) || bareLeaf(c) && nestedLeaf(n, "")) && englishSlot(n, c.key) && !besideIDs(n, c.key) && !namesHere(n)
}

// groupEnglish makes the English words below n that the collection slot
// left literal before a sub-resource (heldBack) values of n's
// collection-slot parameter when a sibling shares that sub-resource
// (/vhosts/production/queues, /vhosts/staging/queues): instances of one
// collection share their sub-resources, the API's fixed parts do not. It
// is the collection slot's own evidence, read before the statistical rule
// (promote), so the words join the parameter they would have formed had
// they been taken on sight, whatever came first. It reports whether any
// word was merged.
func (t *tree) groupEnglish(n *node) bool {
	if n.promoted || n.param || len(n.lits) < 2 || len(n.lits) > maxCousinScan || n.pchild != nil && (n.pchild.kind != Word || n.pchild.rule != ruleCollectionSlot) {
		return false
	}
	if n.facts()&kfWord == 0 || !pluralNoun(n.key) {
		return false // no collection: no word below is held back (the cheap test first)
	}
	var held []*node
	for _, c := range n.lits {
		if c.facts()&(kfWord|kfReserved) == kfWord && !t.constant[c.key] && heldBack(n, c) {
			held = append(held, c)
		}
	}
	slices.SortFunc(held, byKey)
	var keys []string
	for _, c := range held {
		for k, o := range n.lits {
			if o != c && Classify(k) == Word && (shareLiteral(c, o) || bareLeaf(c) && bareLeaf(o) && heldBack(n, o)) {
				keys = append(keys, c.key)
				break
			}
		}
	}
	if len(keys) == 0 {
		return false
	}
	t.slotWords(n, keys, ruleCollectionSlot) // siblings sharing the sub-resource join too, as they would have (sharedLiteral)
	return true
}

// shareLiteral reports whether literals a and b have a literal child of
// one key that is a resource word or a plural noun.
func shareLiteral(a, b *node) bool {
	for k := range a.lits {
		if b.lits[k] != nil && subResource(k) {
			return true
		}
	}
	return false
}

// demoteEnglish turns parameter p back into the literal it was made from
// when the collection slot made it from English word w alone, taken
// without a sub-resource, and a call now leads from w to one (rest): the walk
// leaves such a word literal on sight, so the order of /plugins/telemetry
// and /plugins/telemetry/values does not decide (as demoteQualifier does
// for typed values below a word). A word another parameter of the API
// holds stays (the same-noun rule takes it on sight: /tenants/acme, then
// /namespaces/acme/payments). It reports whether p was demoted.
func (t *tree) demoteEnglish(p *node, w, rest string) bool {
	if t.frozen || !p.param || p.rule != ruleCollectionSlot || p.values != 1 || len(p.known) != 1 || p.known[0] != w || p.typed != 0 || !(subResource(rest) || bareLeaf(p) && nestedLeaf(p.parent, rest)) {
		return false
	}
	n := p.parent
	if n == nil || n.promoted || n.lits[w] != nil || !englishSlot(n, w) || besideIDs(n, w) || namesHere(n) || t.knownElsewhere(n, w) {
		return false
	}
	t.unslot(p, w)
	return true
}

// bareLeaf reports whether literal c ends every path through it.
func bareLeaf(c *node) bool {
	return len(c.lits) == 0 && c.pchild == nil
}

// nestedLeaf reports whether a word below literal n ends its path (rest
// is empty) in a collection that belongs to an instance (n's parent is a
// parameter: /executions/running in /project/{name}/executions). There one
// English word is a view, a state or an operation of the collection
// (running, rescue, pressure, mark_as_sent), not a member: members of a
// collection nested in an instance are minted ids, or names that come
// with siblings (groupEnglish groups two such leaves). Top-level
// collections hold named instances (/vhosts/staging) and are read as
// before (s11-b4).
func nestedLeaf(n *node, rest string) bool {
	return strings.TrimLeft(rest, "/") == "" && n.parent != nil && n.parent.param
}
