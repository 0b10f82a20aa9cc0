package identity

import (
	"bytes"
	"math/bits"
	"unicode/utf8"
)

// marker replaces every redacted value.
const marker = "[REDACTED]"

// rewriter copies src to a new buffer only once something in it changes,
// so the common case (nothing secret) allocates nothing. Replacements
// must come in increasing order of position.
type rewriter[T text] struct {
	src      T
	out      []byte
	pos      int  // src[:pos] is already in out
	redacted bool // a secret was replaced
	masked   bool // a card number was masked
}

func (w *rewriter[T]) begin(start int, extra int) {
	if w.out == nil {
		w.out = make([]byte, 0, len(w.src)+extra+16)
	}
	w.out = append(w.out, w.src[w.pos:start]...)
}

// replace puts repl in place of src[start:end].
func (w *rewriter[T]) replace(start, end int, repl string) {
	w.begin(start, len(repl))
	w.out = append(w.out, repl...)
	w.pos = end
	w.redacted = true
}

// mask replaces every digit of the card number src[start:end] but the last
// four by '*', keeping separators; quote wraps the result in double quotes
// (a JSON number becomes a string, since '*' is no digit).
func (w *rewriter[T]) mask(start, end int, quote bool) {
	w.begin(start, 2)
	digits := 0
	for i := start; i < end; i++ {
		if isDigit(w.src[i]) {
			digits++
		}
	}
	if quote {
		w.out = append(w.out, '"')
	}
	for i := start; i < end; i++ {
		c := w.src[i]
		if isDigit(c) {
			if digits > 4 {
				c = '*'
			}
			digits--
		}
		w.out = append(w.out, c)
	}
	if quote {
		w.out = append(w.out, '"')
	}
	w.pos = end
	w.masked = true
}

func (w *rewriter[T]) changed() bool { return w.out != nil }

// bytes returns the rewritten text; call only when changed.
func (w *rewriter[T]) bytes() []byte {
	w.out = append(w.out, w.src[w.pos:]...)
	w.pos = len(w.src)
	return w.out
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

func b64Run[T text](s T, i, end int) int {
	for i < end && isB64URL(s[i]) {
		i++
	}
	return i
}

// jwtEnd returns the end of the JWT (or JWE) that starts at s[i] with
// "eyJ", or -1. No boundary is required before it: whatever glued to its
// front is not the token's secret part.
func jwtEnd[T text](s T, i, end int) int {
	j := b64Run(s, i+3, end)
	if j-i < 8 || j >= end || s[j] != '.' {
		return -1
	}
	k := b64Run(s, j+1, end)
	if k == j+1 || k >= end || s[k] != '.' {
		return -1
	}
	m := b64Run(s, k+1, end) // signature, empty for alg "none"
	for m+1 < end && s[m] == '.' && isB64URL(s[m+1]) {
		m = b64Run(s, m+1, end) // JWE has five segments
	}
	return m
}

// minSecretLen is the shortest text scanSecrets can find anything in: a
// JWT "eyJxxxxx.y." has 11 bytes, a card number at least 13 digits.
const minSecretLen = 11

// scanStart marks the bytes a JWT or a card number can start with.
var scanStart = func() (t [256]bool) {
	t['e'] = true
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	return t
}()

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load64 reads s[i:i+8] little-endian; the compiler merges the loads.
func load64[T text](s T, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// mayStartSecret reports whether any byte of v is a digit or 'e' (SWAR:
// a byte of v^'0'*ones is below 10 only for a digit, a byte of v^'e'*ones
// is zero only for 'e').
func mayStartSecret(v uint64) bool {
	d := v ^ ('0' * ones)
	e := v ^ ('e' * ones)
	return ((d-10*ones)&^d|(e-ones)&^e)&highs != 0
}

// maySecret is a quick pass that rules out most text: a card number needs
// 13 digits and a JWT needs "eyJ". It counts digits eight bytes at a time
// (over-counting is harmless: it only sends text to the full scan).
func maySecret[T text](s T, start, end int, cards bool) bool {
	digits := 0
	i := start
	for ; i+8 <= end; i += 8 {
		v := load64(s, i)
		d := v ^ ('0' * ones)
		digits += bits.OnesCount64((d - 10*ones) &^ d & highs)
		// An 'e' followed by 'y' in this block, or an 'e' last in it.
		if e := zeroMask(v ^ ('e' * ones)); e != 0 {
			y := zeroMask(v ^ ('y' * ones))
			if (e&(y>>8) != 0 || e>>56 != 0) && hasJWTStart(s, i, i+8, end) {
				return true
			}
		}
	}
	for ; i < end; i++ {
		if isDigit(s[i]) {
			digits++
		} else if s[i] == 'e' && i+2 < end && s[i+1] == 'y' && s[i+2] == 'J' {
			return true
		}
	}
	return cards && digits >= 13
}

// hasJWTMark reports whether "eyJ" (base64url of `{"`, the start of every
// JWT) occurs in s. It looks for the rare 'J' with the vectorized
// IndexByte; bytes.Index would stop at every 'e' of the text.
func hasJWTMark(s []byte) bool {
	for i := 2; i < len(s); i++ {
		k := bytes.IndexByte(s[i:], 'J')
		if k < 0 {
			return false
		}
		i += k
		if s[i-2] == 'e' && s[i-1] == 'y' {
			return true
		}
	}
	return false
}

// manyDigits reports whether s[start:end] may hold the 13 digits of a card
// number (it may over-count, never under-count), eight bytes at a time.
func manyDigits(s []byte, start, end int) bool {
	digits := 0
	i := start
	for ; i+8 <= end; i += 8 {
		d := load64(s, i) ^ ('0' * ones)
		digits += bits.OnesCount64((d - 10*ones) &^ d & highs)
	}
	for ; i < end; i++ {
		if isDigit(s[i]) {
			digits++
		}
	}
	return digits >= 13
}

// zeroMask has the high bit set in exactly the zero bytes of x.
func zeroMask(x uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((x&low7 + low7) | x | low7)
}

// hasJWTStart reports whether "eyJ" starts in s[i:j] (and fits before end).
func hasJWTStart[T text](s T, i, j, end int) bool {
	for ; i < j; i++ {
		if s[i] == 'e' && i+2 < end && s[i+1] == 'y' && s[i+2] == 'J' {
			return true
		}
	}
	return false
}

// scanSecrets redacts JWTs and, when cards, masks card numbers in
// s[start:end]. plus says '+' separates card digit groups (form
// encoding); esc says s is inside a JSON string, where "\n4111..." still
// starts a number.
func scanSecrets[T text](w *rewriter[T], s T, start, end int, cards, plus, esc bool) {
	if end-start < minSecretLen || !maySecret(s, start, end, cards) {
		return
	}
	for i := start; i < end; {
		// Skip eight bytes at a time while none can start a secret.
		for i+8 <= end && !mayStartSecret(load64(s, i)) {
			i += 8
		}
		if i >= end {
			break
		}
		c := s[i]
		if !scanStart[c] {
			i++
			continue
		}
		if c == 'e' && i+2 < end && s[i+1] == 'y' && s[i+2] == 'J' {
			if e := jwtEnd(s, i, end); e > 0 {
				w.replace(i, e, marker)
				i = e
				continue
			}
		}
		if cards && isDigit(c) && digitStart(s, start, i, esc) {
			e, ok := cardRun(s, i, end, plus)
			if ok {
				w.mask(i, e, false)
			}
			i = e
			continue
		}
		i++
	}
}

// digitStart reports whether s[i] starts a number: it does not continue a
// word, a number or a decimal fraction.
func digitStart[T text](s T, start, i int, esc bool) bool {
	if i == start {
		return true
	}
	p := s[i-1]
	if isAlnum(p) {
		return esc && i-2 >= start && s[i-2] == '\\'
	}
	return !(p == '.' && i-2 >= start && isDigit(s[i-2]))
}

// cardRun reads the digit run at s[i] (digits with single separators of
// one kind between them) and reports whether it is a card number.
func cardRun[T text](s T, i, end int, plus bool) (int, bool) {
	var d [19]byte
	n := 0
	var sep byte
	j := i
	for j < end {
		c := s[j]
		if isDigit(c) {
			if n < len(d) {
				d[n] = c
			}
			n++
			j++
			continue
		}
		if (c == ' ' || c == '-' || plus && c == '+') && (sep == 0 || sep == c) &&
			j+1 < end && isDigit(s[j+1]) {
			sep = c
			j++
			continue
		}
		break
	}
	if n < 13 || n > 19 {
		return j, false
	}
	if j < end && (isAlnum(s[j]) || s[j] == '.' && j+1 < end && isDigit(s[j+1])) {
		return j, false
	}
	return j, isCard(d[:n])
}

// isCard reports whether d has a card network's prefix and length and
// passes the Luhn check; the prefix check keeps most long numeric IDs
// (one in ten of which is Luhn-valid) from being masked.
func isCard(d []byte) bool {
	n := len(d)
	if n < 13 || n > 19 {
		return false
	}
	switch d[0] {
	case '4', '5', '6':
	case '3':
		if d[1] == '1' || d[1] == '2' || d[1] == '3' {
			return false
		}
	case '2':
		p := int(d[0]-'0')*1000 + int(d[1]-'0')*100 + int(d[2]-'0')*10 + int(d[3]-'0')
		if !(p >= 2200 && p <= 2204 || p >= 2221 && p <= 2720) {
			return false
		}
	default:
		return false
	}
	sum := 0
	for k := 0; k < n; k++ {
		v := int(d[n-1-k] - '0')
		if k%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// matchFormName matches a form or query parameter name, decoding its
// percent escapes and '+' first when it has any.
func matchFormName[T text](m *nameMatcher, name T) bool {
	need := false
	for i := 0; i < len(name); i++ {
		if name[i] == '%' || name[i] == '+' {
			need = true
			break
		}
	}
	if !need {
		return matchMemo(m, name)
	}
	var buf [96]byte
	dst := buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(name) && isHex(name[i+1]) && isHex(name[i+2]):
			c = unhex(name[i+1])<<4 | unhex(name[i+2])
			i += 2
		}
		dst = append(dst, c)
	}
	return matchName(m, dst)
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// redactForm redacts the application/x-www-form-urlencoded text
// s[start:end] (a body, a query string or a URL fragment).
func redactForm[T text](w *rewriter[T], m *nameMatcher, s T, start, end int, cards bool) {
	for i := start; i <= end; {
		j := i
		for j < end && s[j] != '&' {
			j++
		}
		eq := -1
		for k := i; k < j; k++ {
			if s[k] == '=' {
				eq = k
				break
			}
		}
		if eq >= 0 && eq+1 < j && matchFormName(m, s[i:eq]) {
			scanSecrets(w, s, i, eq, false, false, false)
			w.replace(eq+1, j, marker)
		} else {
			scanSecrets(w, s, i, j, cards, true, false)
		}
		i = j + 1
	}
}

// redactPath redacts s[start:end], a URL path: JWTs, card numbers and the
// values of secret matrix parameters ("/a;jsessionid=X/b").
func redactPath[T text](w *rewriter[T], m *nameMatcher, s T, start, end int, cards bool) {
	for i := start; i < end; {
		j := i // end of this segment
		semi := -1
		for j < end && s[j] != '/' {
			if s[j] == ';' && semi < 0 {
				semi = j
			}
			j++
		}
		if semi < 0 {
			scanSecrets(w, s, i, j, cards, false, false)
			i = j + 1
			continue
		}
		scanSecrets(w, s, i, semi, cards, false, false)
		for p := semi + 1; p <= j; {
			q := p
			for q < j && s[q] != ';' {
				q++
			}
			eq := -1
			for k := p; k < q; k++ {
				if s[k] == '=' {
					eq = k
					break
				}
			}
			if eq >= 0 && eq+1 < q && matchFormName(m, s[p:eq]) {
				w.replace(eq+1, q, marker)
			} else {
				scanSecrets(w, s, p, q, cards, false, false)
			}
			p = q + 1
		}
		i = j + 1
	}
}

// redactURL redacts a URL-valued header (Location, Referer): user info,
// path, query and fragment.
func redactURL[T text](w *rewriter[T], m *nameMatcher, s T, cards bool) {
	n := len(s)
	q, f := n, n // start of '?' and '#'
	for i := 0; i < n; i++ {
		if s[i] == '#' {
			f = i
			break
		}
		if s[i] == '?' && q == n {
			q = i
		}
	}
	if q > f {
		q = f // no query: the path ends where the fragment starts
	}
	pathStart := 0
	// "scheme://userinfo@host/...": the user info may hold a password.
	for i := 0; i+2 < q; i++ {
		if s[i] == ':' && s[i+1] == '/' && s[i+2] == '/' {
			a := i + 3
			b := a
			for b < q && s[b] != '/' {
				b++
			}
			at := -1
			for k := a; k < b; k++ {
				if s[k] == '@' {
					at = k
				}
			}
			if at > a {
				w.replace(a, at, marker)
			}
			pathStart = b
			break
		}
		if s[i] == '/' {
			break
		}
	}
	redactPath(w, m, s, pathStart, q, cards)
	if q < f {
		redactForm(w, m, s, q+1, f, cards)
	}
	if f < n {
		redactForm(w, m, s, f+1, n, cards)
	}
}

// maxJSONDepth is how deep the JSON scanner tracks structure; deeper, it
// cannot tell keys from values and redacts every string and number.
const maxJSONDepth = 128

const (
	jObject    = 1 << iota // the container is an object
	jSecret                // every scalar below is secret
	jKeySecret             // the current member's key is secret
)

// redactJSON redacts the JSON text src: values under secret names (at any
// depth, keys unescaped before matching), JWTs and card numbers anywhere.
// It never fails: truncated or invalid JSON is scanned as far as it goes,
// single-quoted strings and bare keys (JavaScript object literals)
// included. out is nil when nothing changed.
func redactJSON(m *nameMatcher, src []byte, cards bool) (out []byte, redacted, masked bool) {
	w := rewriter[[]byte]{src: src}
	var stack [maxJSONDepth]uint8
	depth := 0
	expectKey := false
	n := len(src)
	// One vectorized look over the whole body: without "eyJ" anywhere no
	// string value can hold a JWT, and only values with 13 digits need
	// the full scan (for card numbers).
	jwt := hasJWTMark(src)
	valueSecret := func() bool {
		if depth == 0 {
			return false
		}
		if depth > maxJSONDepth {
			return true
		}
		t := stack[depth-1]
		return t&jSecret != 0 || t&(jObject|jKeySecret) == jObject|jKeySecret
	}
	isKey := func() bool {
		return expectKey && depth > 0 && depth <= maxJSONDepth && stack[depth-1]&jObject != 0
	}
	setKey := func(secret bool) {
		stack[depth-1] &^= jKeySecret
		if secret {
			stack[depth-1] |= jKeySecret
		}
		expectKey = false
	}
	for i := 0; i < n; {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
		case '{', '[':
			var t uint8
			if valueSecret() {
				t = jSecret
			}
			if c == '{' {
				t |= jObject
			}
			depth++
			if depth <= maxJSONDepth {
				stack[depth-1] = t
			}
			expectKey = c == '{'
			i++
		case '}', ']':
			if depth > 0 {
				depth--
			}
			expectKey = false
			i++
		case ',':
			if depth > 0 && depth <= maxJSONDepth && stack[depth-1]&jObject != 0 {
				stack[depth-1] &^= jKeySecret
				expectKey = true
			}
			i++
		case ':':
			expectKey = false
			i++
		case '"', '\'':
			end, closed, esc := stringEnd(src, i)
			cEnd := end
			if closed {
				cEnd--
			}
			switch {
			case isKey():
				if esc {
					var buf [96]byte
					setKey(matchName(m, unescapeJSON(buf[:0], src[i+1:cEnd])))
				} else {
					setKey(matchMemo(m, src[i+1:cEnd]))
				}
			case valueSecret():
				if cEnd > i+1 {
					w.replace(i, end, quoted(c, closed))
				}
			default:
				if cEnd-i-1 >= minSecretLen && (jwt || cards && manyDigits(src, i+1, cEnd)) {
					scanSecrets(&w, src, i+1, cEnd, cards, false, true)
				}
			}
			i = end
		default:
			end := i + 1
			for end < n && !isJSONDelim(src[end]) {
				end++
			}
			tok := src[i:end]
			switch {
			case isKey():
				setKey(matchName(m, tok))
			case valueSecret():
				if !isJSONKeyword(tok) {
					w.replace(i, end, `"`+marker+`"`)
				}
			case cards && len(tok) >= 13 && len(tok) <= 19 && allDigits(tok) && isCard(tok):
				w.mask(i, end, true)
			}
			i = end
		}
	}
	if !w.changed() {
		return nil, false, false
	}
	return w.bytes(), w.redacted, w.masked
}

func quoted(q byte, closed bool) string {
	switch {
	case q == '\'' && closed:
		return "'" + marker + "'"
	case q == '\'':
		return "'" + marker
	case closed:
		return `"` + marker + `"`
	}
	return `"` + marker
}

// stringEnd returns the index after the string that starts with the quote
// at src[i] (len(src) when it is cut short), whether it was closed and
// whether it holds escapes.
func stringEnd(src []byte, i int) (end int, closed, esc bool) {
	q := src[i]
	n := len(src)
	// Most keys and many values are short: looking at eight bytes at a
	// time (SWAR) finds their end sooner than two calls of IndexByte.
	j := i + 1
	for k := 0; k < 2 && j+8 <= n; k++ {
		v := load64(src, j)
		if m := zeroMask(v^(uint64(q)*ones)) | zeroMask(v^('\\'*ones)); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			if src[j] == q {
				return j + 1, true, false
			}
			return stringEndSlow(src, i, j)
		}
		j += 8
	}
	return stringEndSlow(src, i, j)
}

// stringEndSlow is stringEnd resumed at src[j]: src[i+1:j] holds no quote
// and no escape.
func stringEndSlow(src []byte, i, j int) (end int, closed, esc bool) {
	q := src[i]
	n := len(src)
	// IndexByte is vectorized: long string values cost little.
	for j < n {
		k := bytes.IndexByte(src[j:], q)
		if k < 0 {
			return n, false, esc || bytes.IndexByte(src[j:], '\\') >= 0
		}
		b := bytes.IndexByte(src[j:j+k], '\\')
		if b < 0 {
			return j + k + 1, true, esc
		}
		esc = true
		j += b + 2
	}
	return n, false, esc
}

func isJSONDelim(c byte) bool { return jsonDelim[c] }

// jsonDelim marks the bytes that end a bare JSON token (number, keyword).
var jsonDelim = func() (t [256]bool) {
	for _, c := range " \t\n\r,:{}[]\"'" {
		t[c] = true
	}
	return t
}()

func isJSONKeyword(tok []byte) bool {
	s := string(tok)
	return s == "true" || s == "false" || s == "null"
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// unescapeJSON appends the JSON string content s, unescaped, to dst;
// invalid escapes and lone surrogates decode as encoding/json does.
func unescapeJSON(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				dst = append(dst, 'u')
				continue
			}
			i += 4
			if 0xD800 <= r && r < 0xDC00 {
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2, ok := hex4(s, i+3); ok && 0xDC00 <= r2 && r2 < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			} else if 0xDC00 <= r && r < 0xE000 {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = append(dst, s[i])
		}
	}
	return dst
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := s[i+k]
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}
