package identity

import "errors"

// text is what the scanners read: header values and URLs are strings,
// bodies are byte slices; generics spare a conversion (and an allocation)
// on every call.
type text interface{ ~string | ~[]byte }

// nameMatcher decides whether a field name names a secret.
type nameMatcher struct {
	subs     []string      // normalized substrings
	words    []string      // lower-case whole words
	exact    []string      // normalized whole names
	byFirst  [256][]string // subs by first byte: most positions of a name have none
	memo     memo[bool]    // answers for JSON keys
	wordLens uint64        // bit n set when a word has length n
}

// checkFieldEntry validates one Config.RedactFields entry.
func checkFieldEntry(f string) error {
	word := len(f) > 0 && f[0] == '='
	if word {
		f = f[1:]
		for i := 0; i < len(f); i++ {
			if !isAlnum(f[i]) {
				return errors.New("a whole word holds letters and digits only")
			}
		}
		if len(f) >= 64 {
			return errors.New("word too long")
		}
	}
	n := len(normalize(nil, f))
	if n == 0 {
		return errors.New("no letter or digit")
	}
	if !word && n < 3 {
		// A short substring matches far too many names.
		return errors.New("a substring needs 3 letters or digits; use =word for short words")
	}
	return nil
}

func newNameMatcher(fields, exact []string) *nameMatcher {
	m := &nameMatcher{}
	for _, f := range fields {
		if len(f) > 0 && f[0] == '=' {
			w := string(normalize(nil, f[1:]))
			if w != "" && len(w) < 64 {
				m.words = append(m.words, w)
				m.wordLens |= 1 << len(w)
			}
			continue
		}
		if s := string(normalize(nil, f)); len(s) >= 2 {
			m.subs = append(m.subs, s)
			m.byFirst[s[0]] = append(m.byFirst[s[0]], s)
		}
	}
	for _, e := range exact {
		if s := string(normalize(nil, e)); s != "" {
			m.exact = append(m.exact, s)
		}
	}
	return m
}

// normalize appends s lower-cased without ASCII punctuation to dst.
func normalize[T text](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		case c >= 0x80 || isAlnum(c):
			dst = append(dst, c)
		}
	}
	return dst
}

// matchName reports whether name is a secret field name.
func matchName[T text](m *nameMatcher, name T) bool {
	var buf [96]byte
	norm := buf[:0]
	start := -1 // start of the current word in name
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x80 && !isAlnum(c) {
			if start >= 0 && isWord(m, name, start, i) {
				return true
			}
			start = -1
			continue
		}
		upper := 'A' <= c && c <= 'Z'
		if upper && start >= 0 && start < i {
			// camelCase ("userPin") and acronym ("PINCode") boundaries.
			p := name[i-1]
			if 'a' <= p && p <= 'z' || '0' <= p && p <= '9' ||
				'A' <= p && p <= 'Z' && i+1 < len(name) && 'a' <= name[i+1] && name[i+1] <= 'z' {
				if isWord(m, name, start, i) {
					return true
				}
				start = i
			}
		}
		if start < 0 {
			start = i
		}
		if upper {
			c += 'a' - 'A'
		}
		norm = append(norm, c)
	}
	if start >= 0 && isWord(m, name, start, len(name)) {
		return true
	}
	return m.hasSub(norm)
}

// matchMemo is matchName, remembered: keys and parameter names repeat
// from call to call.
func matchMemo[T text](m *nameMatcher, name T) bool {
	if len(name) > maxMemoLen {
		return matchName(m, name)
	}
	if v, ok := memoGet(&m.memo, name); ok {
		return v
	}
	v := matchName(m, name)
	m.memo.put(string(name), v)
	return v
}

// isWord reports whether name[start:end] is one of m's words.
func isWord[T text](m *nameMatcher, name T, start, end int) bool {
	n := end - start
	if n >= 64 || m.wordLens&(1<<n) == 0 {
		return false
	}
	for _, w := range m.words {
		if len(w) != n {
			continue
		}
		j := 0
		for ; j < n; j++ {
			c := name[start+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

func (m *nameMatcher) hasSub(norm []byte) bool {
	for _, e := range m.exact {
		if string(norm) == e {
			return true
		}
	}
	for i := 0; i+1 < len(norm); i++ {
		for _, s := range m.byFirst[norm[i]] {
			if len(norm)-i >= len(s) && s[1] == norm[i+1] && string(norm[i:i+len(s)]) == s {
				return true
			}
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
