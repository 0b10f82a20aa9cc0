package discovery

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"slices"
	"strings"
	"sync"
)

// wordsGz is a general English word list, gzipped (words.txt.gz: Debian's
// wamerican, SCOWL size 50, the lower-case words of three or more letters
// without their regular plurals; its comment lines say how it was made and
// under which licence), sorted in byte order after its comment lines. It
// costs ~130 KB of binary, and ~420 KB of heap once a rule first reads a
// word.
//
//go:embed words.txt.gz
var wordsGz []byte

// wordList returns the word list without its comment lines: one word a
// line, sorted.
var wordList = sync.OnceValue(func() string {
	r, err := gzip.NewReader(bytes.NewReader(wordsGz))
	if err != nil {
		panic("discovery: words.txt.gz: " + err.Error()) // embedded at build time and checked by TestWordList
	}
	b, err := io.ReadAll(r)
	if err != nil {
		panic("discovery: words.txt.gz: " + err.Error())
	}
	return skipComments(string(b))
})

func skipComments(s string) string {
	for strings.HasPrefix(s, "#") {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return ""
		}
		s = s[i+1:]
	}
	return s
}

// maxWordLen bounds the parts madeOfWords reads: a longer part is no word.
const maxWordLen = 32

// listed reports whether lower-case w is a line of wordList: a binary search
// over the text itself, between line starts, that allocates nothing.
func listed(w []byte) bool {
	wordList := wordList()
	lo, hi := 0, len(wordList) // both at line starts
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := lo + strings.LastIndexByte(wordList[lo:mid], '\n') + 1 // -1 when mid's line starts at lo
		end := strings.IndexByte(wordList[start:hi], '\n')
		if end < 0 {
			end = hi
		} else {
			end += start
		}
		switch line := wordList[start:end]; {
		case string(w) == line:
			return true
		case string(w) < line:
			hi = start
		default:
			lo = end + 1
		}
	}
	return false
}

// dictWord reports whether lower-case w is an English word: in the word
// list (three letters or more) or its regular plural, or in the lexicon of
// resource words (any length: id, by, db).
func dictWord(w []byte) bool {
	if _, ok := lexicon[string(w)]; ok {
		return true
	}
	n := len(w)
	if n < 3 {
		return false
	}
	if listed(w) {
		return true
	}
	if n < 4 || w[n-1] != 's' {
		return false
	}
	if listed(w[:n-1]) || n > 4 && w[n-2] == 'e' && listed(w[:n-2]) {
		return true // users, boxes
	}
	if n > 5 && w[n-3] == 'i' && w[n-2] == 'e' {
		var buf [maxWordLen]byte
		k := copy(buf[:], w[:n-3])
		buf[k] = 'y'
		return listed(buf[:k+1]) // categories
	}
	return false
}

// wordBreak reports whether lower-case letters w are an English word or
// split into English words (saleshistory = sales+history, forpaper =
// for+paper). A piece of the split is a listed word of four letters or more
// or a lexicon word of three or more: short pieces are many (vex, mar, on),
// and with them coined names would split too (vexmar, quillon).
func wordBreak(w []byte) bool {
	if len(w) > maxWordLen {
		return false
	}
	if dictWord(w) {
		return true
	}
	var ok [maxWordLen + 1]bool // ok[i]: w[:i] splits into words
	ok[0] = true
	for j := 3; j <= len(w); j++ {
		for i := j - 3; i >= 0 && !ok[j]; i-- {
			ok[j] = ok[i] && piece(w[i:j])
		}
	}
	return ok[len(w)]
}

// piece reports whether p is a piece wordBreak may split a word into.
func piece(p []byte) bool {
	if _, ok := lexicon[string(p)]; ok {
		return true
	}
	return len(p) >= 4 && dictWord(p)
}

// madeOfWords reports whether segment s reads as English words: every part
// of it (split at '-', '_', '.' and camelCase, as wordParts does) is an
// English word or a run of them, in any case (saleshistory, basic-profile,
// reportExecution, ASSET). Parts with digits or other characters are no
// words. It is evidence for a literal name; its absence (amerob, kypj,
// thalendris) for a value: codes and coined names are values far more
// often than resource names are. It allocates nothing.
func madeOfWords(s string) bool {
	ps := partScanner{s: s} // not wordParts: its closure would move s, and the strings of madeOfWords' callers (digitName's in Classify), to the heap
	n, tech := 0, false
	for ; n < maxWordParts; n++ {
		p, ok := ps.next()
		if !ok {
			break
		}
		word, abbr := wordPart(p)
		if !word {
			return false
		}
		tech = tech || abbr
	}
	return n > 0 && !(tech && n == 1)
}

// wordPart reports whether part p of a compound is an English word or a
// run of them in any case (word), or else one of techWords (abbr).
func wordPart(p string) (word, abbr bool) {
	var buf [maxWordLen]byte
	b, ok := lowerLetters(p, &buf)
	switch {
	case !ok:
		return false, false
	case wordBreak(b):
		return true, false
	case techWords[string(b)]:
		return true, true
	}
	return false, false
}

// techWords are abbreviations of protocols, standards and platforms that
// APIs write as parts of compound names (targetHttpProxies, smsTemplates,
// samlProviders). Alone, a segment such as sms or http is as often a value
// (a channel, a keyword) as a resource, so they count as words only
// beside others (madeOfWords).
var techWords = map[string]bool{
	"http": true, "https": true, "ftp": true, "sftp": true, "smtp": true, "imap": true, "tcp": true, "udp": true,
	"dhcp": true, "vlan": true, "bgp": true, "sso": true, "saml": true, "ldap": true, "oidc": true, "jwt": true,
	"mfa": true, "otp": true, "totp": true, "sms": true, "mms": true, "cdn": true, "kms": true, "waf": true,
	"sdk": true, "cli": true, "sql": true, "nosql": true, "graphql": true, "grpc": true, "gps": true, "iot": true,
	"ocr": true, "nlp": true, "crm": true, "erp": true, "kyc": true, "pii": true, "gdpr": true, "ios": true,
	"json": true, "xml": true, "csv": true, "html": true, "url": true, "uri": true, "pdf": true, "qr": true,
	"yaml": true, "svg": true, "png": true, "jpeg": true, "api": true, "ip": true, "dns": true, "ssl": true,
	"tls": true, "utc": true, "id": true, "uuid": true, "rss": true,
}

// coinedName reports whether s is a single lower-case word of five letters
// or more that is no English word and no run of them (amerob, thalendris,
// akismet): a code or a coined name, the shape of a value. Shorter
// non-words are as often abbreviations that name resources (avm, mrr, geo,
// pki), and compounds with separators or capitals are left to the rules
// that read them (geodata-team, AphiaRecordsByName).
func coinedName(s string) bool {
	return coinedShape(s) && !madeOfWords(s)
}

// coinedShape reports whether s has the shape of a coined name: five to
// maxWordLen lower-case letters.
func coinedShape(s string) bool {
	if len(s) < 5 || len(s) > maxWordLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// minCoined is the number of coined names that make a position a
// parameter on their own (promoteCoined).
const minCoined = 3

// promoteCoined makes n's coined names a parameter when no other rule
// did: three or more codes or coined names that are no English words
// (amerob, blujay, moudov below /obs/{region}/recent) at a position where
// no resource names live (not the root, nor after a version or an API
// prefix, nor right after a parameter, where sub-resources are: promote
// calls it only elsewhere) are values of one parameter, however few calls
// showed them. Resource names in paths are English words, or
// abbreviations too short to tell (avm, geo). The English words beside
// them stay literal (/recent/notable), since the evidence is the coined
// names' alone; so do names that lead to a parameter of their own
// (collections, services). compatible marks the words of the position's
// dominant shape (promote). It reports whether n gained the parameter.
func (t *tree) promoteCoined(n *node, words []*node, compatible []bool) bool {
	var coined []*node
	for i, w := range words {
		if compatible[i] && w.pchild == nil && coinedShape(w.key) {
			coined = append(coined, w)
		}
	}
	if len(coined) < minCoined {
		return false // the word list is read only where it may decide
	}
	coined = slices.DeleteFunc(coined, func(w *node) bool { return madeOfWords(w.key) })
	if len(coined) < minCoined {
		return false
	}
	p := t.paramChild(n, Word)
	if p.rule == ruleNone {
		p.rule, p.confidence = ruleCoined, slotConfidence
		t.addWordKid(n)
	}
	for _, w := range coined {
		delete(n.lits, w.key)
		t.addValue(p, w.key)
		t.merge(p, w)
	}
	return true
}

// coinedJoins reports whether word w, beside parameter p that coined
// names made, is one more of them. Values p already knows join without
// the word check.
func coinedJoins(w string, p *node) bool {
	return p.rule == ruleCoined && (p.knows(w) || coinedName(w))
}
