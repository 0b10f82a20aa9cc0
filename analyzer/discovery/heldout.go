package discovery

// Rules of session 10's leave-corpora-out round (2026-11-24). The corpora
// were split in two halves; each rule was written from the misses of the
// development half and kept only when the held-out half, whose misses
// nobody looked at, gained precision or recall and lost neither
// (docs/templating.md, Rules).

// camelName reports whether w is a camelCase or PascalCase compound of
// English words (ProfitAndLoss, recentlyAdded, GetAllMakes,
// directDeposit): letters only, a lower-case letter followed by a
// capital somewhere, and every part a word or a run of words
// (madeOfWords). A programmer wrote it: an operation, a report, a view or
// a type of the API. Users name their things in lower case, kebab case
// or free text, and identifiers minted by a system are no words
// (QuillMoreXz, cusNffrFeUfNV), so such a compound is a name: the
// collection-slot rule does not take it on sight after a plural
// (/reports/ProfitAndLoss, /widgets/BatterySummary) and the sibling rules
// do not merge it with its siblings (/library/recentlyAdded,
// /library/onDeck).
func camelName(w string) bool {
	hump := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if i > 0 && w[i-1] >= 'a' && w[i-1] <= 'z' {
				hump = true
			}
		case c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return hump && madeOfWords(w)
}
