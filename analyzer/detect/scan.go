package detect

import (
	"bytes"
	"strings"
	"unsafe"
)

// Body and parameter scanning. Network input: every function here is
// bounds-checked and fuzzed (FuzzScan); none allocates on the common path
// except decoding escaped values.

// maxScan caps the bytes of one body that detectors read.
const maxScan = 64 << 10

// field is one scalar of a request: a query parameter, a form field, or a
// JSON member (Key is the member name, Depth 1 at the top level). Key and
// Val may alias the call's bytes and are valid during the callback only:
// clone what you keep (strings.Clone).
type field struct {
	Key   string
	Val   string
	Depth int
	Str   bool // a JSON string (or a query/form value)
}

// jsonFields calls fn for every member of a JSON body whose value is a
// scalar, and for every object key (Val "" and Str false for containers).
// It tolerates truncated or malformed input by stopping.
func jsonFields(b []byte, fn func(f field)) {
	if len(b) > maxScan {
		b = b[:maxScan]
	}
	depth := 0
	key := ""
	expectKey := false
	var stack [32]byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '{', '[':
			if depth < len(stack) {
				stack[depth] = c
			}
			if c == '{' && key != "" {
				fn(field{Key: key, Depth: depth})
			}
			depth++
			expectKey = c == '{'
			key = ""
		case '}', ']':
			depth--
			if depth < 0 {
				return
			}
			key = ""
			expectKey = false
		case ',':
			expectKey = depth > 0 && depth <= len(stack) && stack[depth-1] == '{'
			key = ""
		case '"':
			j := i + 1
			esc := false
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					esc = true
					j++
				}
				j++
			}
			if j >= len(b) {
				return
			}
			s := b[i+1 : j]
			i = j
			str := view(s)
			if esc {
				str = unescapeJSON(s)
			}
			if expectKey {
				key, expectKey = str, false
				continue
			}
			fn(field{Key: key, Val: str, Depth: depth, Str: true})
			key = ""
		case ':', ' ', '\t', '\r', '\n':
		default:
			j := i
			for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
				j++
			}
			if key != "" {
				fn(field{Key: key, Val: view(b[i:j]), Depth: depth})
			}
			key = ""
			i = j - 1
		}
	}
}

// view is a string that shares b's memory, for the duration of a field
// callback: the call's bodies are never modified while it is processed.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// unescapeJSON decodes the common escapes; others are kept verbatim.
func unescapeJSON(s []byte) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			out.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			out.WriteByte('\n')
		case 't':
			out.WriteByte('\t')
		case 'r':
			out.WriteByte('\r')
		case '/', '\\', '"':
			out.WriteByte(s[i])
		case 'u':
			if i+4 < len(s) {
				var r rune
				ok := true
				for _, h := range s[i+1 : i+5] {
					v := unhex(h)
					if v < 0 {
						ok = false
						break
					}
					r = r<<4 | rune(v)
				}
				if ok {
					out.WriteRune(r)
					i += 4
					continue
				}
			}
			out.WriteString(`\u`)
		default:
			out.WriteByte('\\')
			out.WriteByte(s[i])
		}
	}
	return out.String()
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// formFields calls fn for each k=v of a query string or form body,
// percent- and plus-decoded.
func formFields(s string, fn func(f field)) {
	if len(s) > maxScan {
		s = s[:maxScan]
	}
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		fn(field{Key: unescapeQuery(k), Val: unescapeQuery(v), Depth: 1, Str: true})
	}
}

// unescapeQuery decodes %XX and '+'; malformed escapes are kept.
func unescapeQuery(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && unhex(s[i+1]) >= 0 && unhex(s[i+2]) >= 0:
			b = append(b, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// requestFields calls fn for the query parameters and body fields of a
// request (JSON or form).
func requestFields(rawQuery string, body []byte, ctype string, fn func(f field)) {
	if rawQuery != "" {
		formFields(rawQuery, fn)
	}
	if len(body) == 0 {
		return
	}
	switch {
	case strings.Contains(ctype, "json") || (ctype == "" && (body[0] == '{' || body[0] == '[')):
		jsonFields(body, fn)
	case strings.Contains(ctype, "x-www-form-urlencoded"):
		formFields(view(body[:min(len(body), maxScan)]), fn)
	}
}

// Sensitive data classes, as bits.
const (
	ClassCard = 1 << iota
	ClassSSN
	ClassPrivateKey
	ClassCloudKey
	ClassPasswordHash
	ClassEmail
	ClassIBAN
)

var classNames = []string{"card", "ssn", "private_key", "cloud_key", "password_hash", "email", "iban"}

// classList names the bits of m.
func classList(m uint32) []string {
	var out []string
	for i, n := range classNames {
		if m&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

var (
	maskedCard  = []byte("**** **** **** ")
	maskedCard2 = []byte("************")
	pemKey      = []byte("PRIVATE KEY-----")
	bcrypt      = [][]byte{[]byte("$2a$"), []byte("$2b$"), []byte("$2y$"), []byte("$argon2")}
)

// sensitiveClasses scans b for sensitive data. withPII adds the classes
// that are ordinary in our own responses (email, IBAN) and only matter
// when data leaves for a third party.
func sensitiveClasses(b []byte, withPII bool) uint32 {
	if len(b) > maxScan {
		b = b[:maxScan]
	}
	var m uint32
	if i := bytes.IndexByte(b, '*'); i >= 0 && (bytes.Contains(b[i:], maskedCard) || bytes.Contains(b[i:], maskedCard2)) {
		m |= ClassCard // a card the edge masked (identity keeps the last four)
	}
	if bytes.Contains(b, pemKey) {
		m |= ClassPrivateKey
	}
	if i := bytes.IndexByte(b, '$'); i >= 0 {
		for _, p := range bcrypt {
			if bytes.Contains(b[i:], p) {
				m |= ClassPasswordHash
				break
			}
		}
	}
	if i := bytes.Index(b, []byte("AKIA")); i >= 0 && i+20 <= len(b) && isUpperAlnum(b[i+4:i+20]) {
		m |= ClassCloudKey
	}
	// Digit runs: cards (13-19 digits, Luhn) and SSNs (ddd-dd-dddd), in
	// the first maxDigitScan bytes. Both are at least 11 bytes long, so
	// sampling every 11th byte finds every one; a sampled digit or dash is
	// widened to its whole run of digits and dashes.
	d := b[:min(len(b), maxDigitScan)]
	for i := 0; i < len(d); i += 11 {
		if digitTab[d[i]] == 0 && d[i] != '-' {
			continue
		}
		s, e := i, i
		for s > 0 && (digitTab[d[s-1]] != 0 || d[s-1] == '-') {
			s--
		}
		for e < len(d) && (digitTab[d[e]] != 0 || d[e] == '-') {
			e++
		}
		if (s == 0 || !isAlpha(d[s-1])) && (e == len(d) || !isAlpha(d[e])) {
			m |= runClasses(d[s:e])
		}
		i = e
	}
	if withPII {
		if i := bytes.IndexByte(b, '@'); i > 0 && i+3 < len(b) && isAlnum(b[i-1]) && isAlnum(b[i+1]) && bytes.IndexByte(b[i:min(len(b), i+64)], '.') > 0 {
			m |= ClassEmail
		}
		if hasIBAN(b) {
			m |= ClassIBAN
		}
	}
	return m
}

// runClasses classifies a run of digits and dashes.
func runClasses(r []byte) uint32 {
	var m uint32
	if len(r) == 11 && r[3] == '-' && r[6] == '-' && allDigits(r[:3]) && allDigits(r[4:6]) && allDigits(r[7:]) {
		m |= ClassSSN
	}
	for len(r) > 0 {
		k := bytes.IndexByte(r, '-')
		part := r
		if k >= 0 {
			part, r = r[:k], r[k+1:]
		} else {
			r = nil
		}
		if n := len(part); n >= 13 && n <= 19 && luhn(part) {
			m |= ClassCard
		}
	}
	return m
}

func hasIBAN(b []byte) bool {
	for i := 0; i+15 <= len(b); i++ {
		if isUpper(b[i]) && isUpper(b[i+1]) && isDigit(b[i+2]) && isDigit(b[i+3]) && (i == 0 || !isAlnum(b[i-1])) {
			j := i + 4
			for j < len(b) && isAlnum(b[j]) {
				j++
			}
			if n := j - i; n >= 15 && n <= 34 && allDigitsOrUpper(b[i+4:j]) {
				return true
			}
			i = j // linear: never rescan a run
		}
	}
	return false
}

// maxDigitScan caps the bytes of one body searched for card numbers and
// SSNs (edge-masked cards are found anywhere in the scanned body).
const maxDigitScan = 8 << 10

var digitTab = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	return t
}()

func luhn(d []byte) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if dbl {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0 && (d[0] >= '2' && d[0] <= '6')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isAlpha(c byte) bool { return isUpper(c) || 'a' <= c && c <= 'z' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

func allDigitsOrUpper(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && !isUpper(c) {
			return false
		}
	}
	return true
}

func isUpperAlnum(b []byte) bool { return allDigitsOrUpper(b) }
