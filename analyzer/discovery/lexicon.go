package discovery

import (
	_ "embed"
	"strings"
)

// lexiconText is a vocabulary of REST resource words: nouns (plurals are
// derived), verbs and qualifiers that name collections, sub-resources and
// operations in URL paths.
//
//go:embed lexicon.txt
var lexiconText string

// lexicon holds the lower-case words of lexiconText and their plurals.
var lexicon = loadLexicon(lexiconText)

// lexiconVerbs and lexiconFunctionWords are the words of the lexicon's
// "verbs and operations" and "function words" sections: a compound with
// one of them names an operation or a lookup (bulk-update, users-by-email),
// not an instance.
var lexiconVerbs, lexiconFunctionWords = lexiconSection(lexiconText, "# verbs"), lexiconSection(lexiconText, "# function words")

// lexiconFormats are the words of the lexicon's "formats" section (json,
// xml, csv, txt): the output format a path asks for. They are function
// words too.
var lexiconFormats = lexiconSection(lexiconText, "# formats")

func init() {
	for w := range lexiconFormats {
		lexiconFunctionWords[w] = true
	}
}

// lexiconQualifiers are the words of the lexicon's "adjectives" section
// (shared, public, advanced-looking qualifiers of a setting or a view).
var lexiconQualifiers = lexiconSection(lexiconText, "# adjectives")

// lexiconSection returns the words of the section of text whose header
// line starts with header, up to the next header.
func lexiconSection(text, header string) map[string]bool {
	m := map[string]bool{}
	in := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			in = strings.HasPrefix(line, header)
			continue
		}
		if in {
			for _, w := range strings.Fields(line) {
				m[strings.ToLower(w)] = true
			}
		}
	}
	return m
}

// instanceCompound reports whether w is shaped like the name of an
// instance: two or more lower-case parts joined by '-' (billing-service,
// platform-team, python-bitbucket), the first one no verb and the last
// one no plural and no verb, none of them a reserved, function or field
// word (users-by-email, lookup-self, seal-status, role-id, bulk-update,
// generate-jitconfig). Resource names in paths are single nouns or the
// snake_case and camelCase of fields; kebab-case compounds of ordinary
// words are what people name things. strict also turns down a qualifier
// first (shared-storage, advanced-security: settings, not instances), for
// positions without a collection noun.
func instanceCompound(w string, strict bool) bool {
	if len(w) < 3 || len(w) > 64 || w[0] == '-' || w[len(w)-1] == '-' || strings.Count(w, "-") == 0 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	parts := strings.Split(w, "-")
	for _, p := range parts {
		if p == "" || reservedLiterals[p] || lexiconFunctionWords[p] {
			return false
		}
	}
	first, last := parts[0], parts[len(parts)-1]
	if lexiconVerbs[first] || predicateWords[first] || strict && lexiconQualifiers[first] {
		return false
	}
	return !lexiconVerbs[last] && !pluralNoun(last)
}

func loadLexicon(text string) map[string]struct{} {
	m := make(map[string]struct{}, 4096)
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, w := range strings.Fields(line) {
			w = strings.ToLower(w)
			m[w] = struct{}{}
			for _, p := range plurals(w) {
				m[p] = struct{}{}
			}
		}
	}
	return m
}

// plurals gives the regular plural forms of noun w.
func plurals(w string) []string {
	n := len(w)
	switch {
	case n == 0:
		return nil
	case strings.HasSuffix(w, "s"), strings.HasSuffix(w, "x"), strings.HasSuffix(w, "z"),
		strings.HasSuffix(w, "ch"), strings.HasSuffix(w, "sh"):
		return []string{w + "es"}
	case n > 1 && w[n-1] == 'y' && !strings.ContainsRune("aeiou", rune(w[n-2])):
		return []string{w[:n-1] + "ies", w + "s"}
	}
	return []string{w + "s"}
}

// maxWordParts bounds the parts a segment is split into.
const maxWordParts = 8

// wordParts splits a segment into its lower-case-insensitive parts at
// '-', '_', '.', and camelCase boundaries ("lookup-self", "dns_records",
// "buildWithParameters"), calling f with each; it stops when f returns
// false. It allocates nothing.
func wordParts(s string, f func(part string) bool) {
	ps := partScanner{s: s}
	for n := 1; n <= maxWordParts; n++ {
		p, ok := ps.next()
		if !ok || !f(p) {
			return
		}
	}
}

// splitParts writes the parts of s, as wordParts splits it (at most
// maxWordParts), into buf and returns them: no closure on the hot path.
func splitParts(s string, buf *[maxWordParts]string) []string {
	ps := partScanner{s: s}
	n := 0
	for ; n < maxWordParts; n++ {
		p, ok := ps.next()
		if !ok {
			break
		}
		buf[n] = p
	}
	return buf[:n]
}

// partScanner yields the parts of s one at a time, as wordParts splits
// them, without a closure: a scanner on the stack keeps s there, where
// wordParts' callback would move it, and its callers' strings with it, to
// the heap (madeOfWords in camelName in Classify).
type partScanner struct {
	s        string
	i, start int // the next byte to look at, and where the current part starts
}

// next returns the next part of s, or false when there is none left.
func (ps *partScanner) next() (string, bool) {
	s := ps.s
	for ps.i <= len(s) {
		i := ps.i
		ps.i++
		after := i + 1 // where the part after this boundary starts
		if i < len(s) {
			switch c := s[i]; {
			case c == '-' || c == '_' || c == '.':
			case c >= 'A' && c <= 'Z' && i > ps.start && s[i-1] >= 'a' && s[i-1] <= 'z':
				after = i // a camelCase hump starts the next part
			default:
				continue
			}
		}
		start := ps.start
		ps.start = after
		if i > start {
			return s[start:i], true
		}
	}
	return "", false
}

// inLexicon reports whether part (letters only, any case) is a lexicon
// word. It allocates nothing for parts of up to 32 bytes.
func inLexicon(part string) bool {
	var buf [maxWordLen]byte
	b, ok := lowerLetters(part, &buf)
	if !ok || len(b) == 0 {
		return false
	}
	_, ok = lexicon[string(b)]
	return ok
}

// lowerLetters writes letters-only p in lower case into buf and returns
// it, or false when p has another character (digits too: no word) or is
// longer than any word.
func lowerLetters(p string, buf *[maxWordLen]byte) ([]byte, bool) {
	if len(p) > maxWordLen {
		return nil, false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z':
		default:
			return nil, false
		}
		buf[i] = c
	}
	return buf[:len(p)], true
}

// resourceWord reports whether segment s is made only of lexicon words
// ("members", "dns_records", "lookup-self", "buildWithParameters"): it
// reads as the name of a resource or an operation, not of an instance.
func resourceWord(s string) bool {
	var buf [maxWordParts]string
	parts := splitParts(s, &buf)
	for _, p := range parts {
		if !inLexicon(p) {
			return false
		}
	}
	return len(parts) > 0
}

// pluralNoun reports whether s reads as a collection name: a lower-case
// word whose last part is a plural ("repositories", "dns_records",
// "storageAccounts"): the segment after it names an instance.
func pluralNoun(s string) bool {
	var buf [maxWordParts]string
	last := ""
	if parts := splitParts(s, &buf); len(parts) > 0 {
		last = parts[len(parts)-1]
	}
	n := len(last)
	if n < 4 || last[n-1] != 's' {
		return false
	}
	switch last[n-2] {
	case 's', 'u', 'i': // class, status, analysis: not plurals
		return false
	}
	for i := 0; i < n; i++ {
		if c := last[i]; c < 'a' || c > 'z' {
			if i == 0 && c >= 'A' && c <= 'Z' {
				continue
			}
			return false
		}
	}
	return true
}

// valueShaped reports whether a plain word has the shape of a value, not
// of a name: a digit (user1, web.1, gpt-4o), a file or domain name
// (report.pdf, example.com), or characters names do not use.
func valueShaped(s string) bool {
	if literalWithDigits[s] {
		return false
	}
	dot := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':':
			return !customMethod(s)
		case c >= '0' && c <= '9', c == '@', c == '%', c == '+', c == '~', c == ',':
			return true
		case c == '.':
			dot = i
		}
	}
	if dot <= 0 || reservedLiterals[s[:dot]] || pluralNoun(s[:dot]) && resourceWord(s[:dot]) {
		return false // count.json, search.json: an operation with a format; authors.json: a collection's
	}
	ext := s[dot+1:]
	if len(ext) < 2 || len(ext) > 4 {
		return false
	}
	for i := 0; i < len(ext); i++ {
		if c := ext[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// customMethod reports whether w is a custom method (Google's AIP-136,
// gRPC transcoding): a collection's name (a plural made of English
// words), or the API's version, or nothing (a method on the service),
// then a colon and a lowerCamel verb phrase made of English words
// (devices:requestSync, hashes:search, v1beta:estimateCostScenario,
// :batchGet). A value with a method (1234:cancel, marketing:cancel for
// {name}:cancel) has no such name before it.
func customMethod(w string) bool {
	a, b, ok := strings.Cut(w, ":")
	if !ok || b == "" || b[0] < 'a' || b[0] > 'z' || strings.IndexByte(b, ':') >= 0 {
		return false
	}
	return (a == "" || isVersion(a) || pluralNoun(a) && madeOfWords(a)) && madeOfWords(b)
}

// collectionFile reports whether s is a plural resource word with a
// format extension (variables.json, authors.xml): a collection in that
// format, as valueShaped reads it, not a value's file name.
func collectionFile(s string) bool {
	dot := strings.LastIndexByte(s, '.')
	return dot > 0 && formatWord(s[dot+1:]) && pluralNoun(s[:dot]) && resourceWord(s[:dot])
}

// resourceFile reports whether file name w, below n, is a resource in a
// format rather than a file an instance names: a literal beside it is
// its stem (molecule.json beside /molecule/{id}.json: the resource and
// its representation), or a collection beside it whose instances are
// written as files (activity.json beside /target/CHEMBL203.json: the API
// writes a format suffix at this position), or another literal beside
// it is such a file with the same extension. Files below an instance
// (/resolve/main/config.json) have no such siblings.
func resourceFile(n *node, w string) bool {
	dot := strings.LastIndexByte(w, '.')
	if dot <= 0 || !formatWord(w[dot+1:]) {
		return false
	}
	if formatFile(n, w) {
		return true
	}
	for k := range n.lits {
		if k != w && strings.HasSuffix(k, w[dot:]) && formatFile(n, k) {
			return true
		}
	}
	return false
}

// formatFile reports whether file name w, below n, has its stem, or a
// collection of instances written as files, as a literal beside it
// (resourceFile).
func formatFile(n *node, w string) bool {
	dot := strings.LastIndexByte(w, '.')
	if dot <= 0 || !formatWord(w[dot+1:]) {
		return false
	}
	if n.lits[w[:dot]] != nil {
		return true
	}
	for k, c := range n.lits {
		if k == w || c.pchild == nil || c.pchild.kind == Word {
			continue
		}
		for _, f := range c.pchild.formats {
			if strings.HasSuffix(f, ".a") {
				return true
			}
		}
	}
	return false
}
