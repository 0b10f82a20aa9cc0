package sensitive

import (
	"bytes"
	"encoding/base64"
	"time"
)

// Class is one kind of sensitive data.
type Class uint8

// The classes Scan finds. Their names (String) are the stable values of the
// "sensitive" field of endpoint records.
const (
	Email Class = iota
	Phone
	Card
	IBAN
	SSN
	JWT
	APIKey
	PrivateKey
	IPAddress
	DateOfBirth
	NumClasses
)

var classNames = [NumClasses]string{"email", "phone", "card_number", "iban", "us_ssn", "jwt", "api_key", "private_key", "ip_address", "date_of_birth"}

// String returns the class name, e.g. "card_number".
func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "unknown"
}

// Counts holds how many values of each class were found.
type Counts [NumClasses]uint32

// Any reports whether any class was found.
func (c *Counts) Any() bool {
	for _, n := range c {
		if n != 0 {
			return true
		}
	}
	return false
}

// Names returns the names of the classes found, in class order.
func (c *Counts) Names() []string {
	var out []string
	for i, n := range c {
		if n != 0 {
			out = append(out, classNames[i])
		}
	}
	return out
}

// maxBirthYear bounds plausible dates of birth.
var maxBirthYear = time.Now().Year()

// Scan adds to out the sensitive values found in b (JSON, form, text or
// any bytes). It makes one pass, allocates nothing, and never panics.
func Scan(b []byte, out *Counts) {
	var key []byte // name of the current JSON member or form field
	var kf keyFlags
	kfFor := -1 // start offset of the key kf describes
	for i := 0; i < len(b); {
		c := b[i]
		switch c {
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			k := j + 1
			for k < len(b) && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r') {
				k++
			}
			if k < len(b) && b[k] == ':' && j < len(b) {
				key = b[i+1 : j]
				i = k + 1
				continue
			}
			i++
			continue
		case '&', '?':
			// form or query field: name=value
			j := i + 1
			for j < len(b) && isNameByte(b[j]) {
				j++
			}
			if j < len(b) && b[j] == '=' && j > i+1 {
				key = b[i+1 : j]
				i = j + 1
				continue
			}
		case '@':
			if n := matchEmail(b, i); n {
				out[Email]++
			}
			i++
			continue
		}
		if i == 0 && isNameByte(c) {
			// form body starting with a field name
			j := 0
			for j < len(b) && isNameByte(b[j]) {
				j++
			}
			if j < len(b) && b[j] == '=' {
				key = b[:j]
				i = j + 1
				continue
			}
		}
		if i > 0 && isAlnum(b[i-1]) || i > 1 && b[i-1] == '.' && isDigit(b[i-2]) {
			i++ // inside a word or a dotted number
			continue
		}
		n := 0
		var cl Class
		switch {
		case c >= '0' && c <= '9', c == '+', c == '(':
			if k := keyStart(b, key); k != kfFor {
				kf, kfFor = flagsOf(key), k
			}
			n, cl = matchNumeric(b, i, kf)
		case c == '*':
			n, cl = matchMaskedCard(b, i), Card
		case c == 'e':
			n, cl = matchJWT(b, i), JWT
		case c == '-':
			n, cl = matchPrivateKey(b, i), PrivateKey
		case c >= 'A' && c <= 'Z':
			if n, cl = matchIBAN(b, i), IBAN; n == 0 && (c == 'A') {
				n, cl = matchAPIKey(b, i), APIKey
			}
		case c == 's' || c == 'r' || c == 'g' || c == 'x':
			n, cl = matchAPIKey(b, i), APIKey
		}
		if n > 0 {
			out[cl]++
			i += n
			continue
		}
		i++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isUpper(c) || isLower(c) }
func isNameByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '[' || c == ']'
}

// keyFlags says what the current field name hints at.
type keyFlags struct{ phone, birth, id bool }

// keyStart identifies a key by its offset in b (-1 for none).
func keyStart(b, key []byte) int {
	if key == nil {
		return -1
	}
	return cap(b) - cap(key)
}

func flagsOf(key []byte) keyFlags {
	if len(key) == 0 || len(key) > 64 {
		return keyFlags{}
	}
	var buf [64]byte
	for i, c := range key {
		if isUpper(c) {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	k := buf[:len(key)]
	has := func(w string) bool { return bytes.Contains(k, []byte(w)) }
	return keyFlags{
		phone: has("phone") || has("mobile") || has("msisdn") || has("fax") || has("cell") || string(k) == "tel",
		birth: has("birth") || has("dob") || has("born"),
		// identifiers: digit strings there are not card numbers even when they pass Luhn
		id: bytes.HasSuffix(k, []byte("id")) || has("order") || has("tracking") || has("invoice") || has("reference") || has("time"),
	}
}

// matchEmail validates the address around the '@' at i.
func matchEmail(b []byte, at int) bool {
	l := at
	for l > 0 {
		c := b[l-1]
		if isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' {
			l--
			continue
		}
		break
	}
	if l == at || b[l] == '.' || b[at-1] == '.' || at-l > 64 {
		return false
	}
	r := at + 1
	labels, labelLen, lastLetters := 0, 0, true
	for r < len(b) {
		c := b[r]
		switch {
		case isAlnum(c) || c == '-':
			if labelLen == 0 {
				lastLetters = true
				if c == '-' {
					return false
				}
			}
			if !isUpper(c) && !isLower(c) {
				lastLetters = false
			}
			labelLen++
			r++
			continue
		case c == '.' && labelLen > 0 && r+1 < len(b) && isAlnum(b[r+1]):
			labels++
			labelLen = 0
			r++
			continue
		}
		break
	}
	if labelLen > 0 {
		labels++
	}
	return labels >= 2 && labelLen >= 2 && lastLetters
}

// matchNumeric tries the classes that start with a digit, '+' or '('.
func matchNumeric(b []byte, i int, kf keyFlags) (int, Class) {
	if isDigit(b[i]) {
		if n := matchIPv4(b, i); n > 0 {
			return n, IPAddress
		}
		if kf.birth {
			if n := matchDate(b, i); n > 0 {
				return n, DateOfBirth
			}
		}
		if n := matchSSN(b, i); n > 0 {
			return n, SSN
		}
		if !kf.id {
			if n := matchCard(b, i); n > 0 {
				return n, Card
			}
		}
	}
	if n := matchPhone(b, i, kf.phone); n > 0 {
		return n, Phone
	}
	return 0, 0
}

func matchIPv4(b []byte, i int) int {
	j := i
	for part := range 4 {
		v, d := 0, 0
		for j < len(b) && isDigit(b[j]) && d < 4 {
			v = v*10 + int(b[j]-'0')
			j++
			d++
		}
		if d == 0 || d > 3 || v > 255 {
			return 0
		}
		if part < 3 {
			if j >= len(b) || b[j] != '.' {
				return 0
			}
			j++
		}
	}
	if j < len(b) && (isAlnum(b[j]) || b[j] == '.' && j+1 < len(b) && isDigit(b[j+1])) {
		return 0 // longer dotted number: a version or an OID
	}
	return j - i
}

func num(b []byte, i, n int) (int, bool) {
	if i+n > len(b) {
		return 0, false
	}
	v := 0
	for k := i; k < i+n; k++ {
		if !isDigit(b[k]) {
			return 0, false
		}
		v = v*10 + int(b[k]-'0')
	}
	return v, true
}

func validDate(y, m, d int) bool {
	if y < 1900 || y > maxBirthYear || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if m == 2 && d == 29 {
		return y%4 == 0 && (y%100 != 0 || y%400 == 0)
	}
	return d <= days[m]
}

// matchDate validates YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY as a past date.
func matchDate(b []byte, i int) int {
	end := func(n int) int {
		if i+n < len(b) && isDigit(b[i+n]) {
			return 0
		}
		return n
	}
	if y, ok := num(b, i, 4); ok && i+10 <= len(b) && b[i+4] == '-' && b[i+7] == '-' {
		m, ok1 := num(b, i+5, 2)
		d, ok2 := num(b, i+8, 2)
		if ok1 && ok2 && validDate(y, m, d) {
			return end(10)
		}
		return 0
	}
	if a, ok := num(b, i, 2); ok && i+10 <= len(b) && b[i+2] == '/' && b[i+5] == '/' {
		c, ok1 := num(b, i+3, 2)
		y, ok2 := num(b, i+6, 4)
		if ok1 && ok2 && (validDate(y, c, a) || validDate(y, a, c)) {
			return end(10)
		}
	}
	return 0
}

// matchSSN validates a dashed US SSN: area 001-899 except 666, group 01-99,
// serial 0001-9999, and not a number published as an example.
func matchSSN(b []byte, i int) int {
	if i+11 > len(b) || b[i+3] != '-' || b[i+6] != '-' {
		return 0
	}
	area, ok1 := num(b, i, 3)
	group, ok2 := num(b, i+4, 2)
	serial, ok3 := num(b, i+7, 4)
	if !ok1 || !ok2 || !ok3 {
		return 0
	}
	if i+11 < len(b) && (isAlnum(b[i+11]) || b[i+11] == '-') {
		return 0
	}
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return 0
	}
	if area == 123 && group == 45 && serial == 6789 || area == 78 && group == 5 && serial == 1120 {
		return 0
	}
	return 11
}

// matchCard validates 13-19 digits, bare or in groups split by single
// spaces or dashes, with a card-network prefix and a valid Luhn check.
func matchCard(b []byte, i int) int {
	var d [19]byte
	n, j, group, sep := 0, i, 0, byte(0)
	for j < len(b) {
		c := b[j]
		if isDigit(c) {
			if n == 19 {
				return 0
			}
			d[n] = c - '0'
			n++
			group++
			j++
			continue
		}
		if (c == ' ' || c == '-') && group > 0 && j+1 < len(b) && isDigit(b[j+1]) {
			if sep != 0 && c != sep || group < 4 || group > 6 {
				break
			}
			sep = c
			group = 0
			j++
			continue
		}
		break
	}
	if n < 13 {
		return 0
	}
	if j < len(b) && (isAlnum(b[j]) || b[j] == '.' && j+1 < len(b) && isDigit(b[j+1])) {
		return 0
	}
	if !cardPrefix(d[:n]) || !luhn(d[:n]) {
		return 0
	}
	same := true
	for k := 1; k < n; k++ {
		if d[k] != d[0] {
			same = false
			break
		}
	}
	if same {
		return 0
	}
	return j - i
}

func luhn(d []byte) bool {
	sum, dbl := 0, false
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k])
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

// cardPrefix checks the issuer prefix and length of the major networks.
func cardPrefix(d []byte) bool {
	n := len(d)
	p2 := int(d[0])*10 + int(d[1])
	p4 := p2*100 + int(d[2])*10 + int(d[3])
	switch {
	case d[0] == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // Amex
		return n == 15
	case p4 == 6011 || p2 == 65 || p4/10 >= 644 && p4/10 <= 649: // Discover
		return n >= 16
	case p2 == 35: // JCB
		return n >= 16
	case p2 == 36 || p2 == 38 || p2 == 30: // Diners
		return n >= 14
	case p2 == 62: // UnionPay
		return n >= 16
	}
	return false
}

// matchPhone validates an international number (+, 8-15 digits) or, under a
// phone-like field name, a national one (7-15 digits).
func matchPhone(b []byte, i int, hinted bool) int {
	j := i
	plus := b[j] == '+'
	if plus {
		j++
		if j >= len(b) || b[j] < '1' || b[j] > '9' {
			return 0
		}
	} else if !hinted {
		return 0
	}
	digits, last := 0, j
	for j < len(b) {
		c := b[j]
		switch {
		case isDigit(c):
			digits++
			j++
			last = j
			continue
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			// at most two separators in a row, then a digit: "(415) 555"
			if j+1 < len(b) && isDigit(b[j+1]) || j+2 < len(b) && isPhoneSep(b[j+1]) && isDigit(b[j+2]) {
				j++
				continue
			}
		}
		break
	}
	if last < len(b) && isAlnum(b[last]) {
		return 0
	}
	if plus && digits >= 8 && digits <= 15 || !plus && digits >= 7 && digits <= 15 {
		return last - i
	}
	return 0
}

func isPhoneSep(c byte) bool { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' }

// matchMaskedCard recognizes the agent's mask of a card: at least eight
// '*' (grouped or not) and the last four digits.
func matchMaskedCard(b []byte, i int) int {
	j, stars := i, 0
	for j < len(b) && (b[j] == '*' || (b[j] == ' ' || b[j] == '-') && j+1 < len(b) && b[j+1] == '*') {
		if b[j] == '*' {
			stars++
		}
		j++
	}
	if stars < 8 {
		return 0
	}
	if j < len(b) && (b[j] == ' ' || b[j] == '-') {
		j++
	}
	if _, ok := num(b, j, 4); !ok || j+4 < len(b) && isDigit(b[j+4]) {
		return 0
	}
	return j + 4 - i
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// matchJWT validates header.payload.signature whose header decodes to a
// JSON object with "alg".
func matchJWT(b []byte, i int) int {
	if i+10 > len(b) || b[i+1] != 'y' || b[i+2] != 'J' {
		return 0
	}
	j := i
	for j < len(b) && isB64URL(b[j]) {
		j++
	}
	hdr := b[i:j]
	if len(hdr) > 340 || j >= len(b) || b[j] != '.' {
		return 0
	}
	j++
	p := j
	for j < len(b) && isB64URL(b[j]) {
		j++
	}
	if j-p < 4 || j >= len(b) || b[j] != '.' {
		return 0
	}
	j++
	for j < len(b) && isB64URL(b[j]) {
		j++
	}
	var buf [256]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], hdr)
	if err != nil || n < 2 || buf[0] != '{' || !bytes.Contains(buf[:n], []byte(`"alg"`)) {
		return 0
	}
	return j - i
}

// matchPrivateKey validates a PEM private key header followed by base64.
func matchPrivateKey(b []byte, i int) int {
	const begin = "-----BEGIN "
	if !bytes.HasPrefix(b[i:], []byte(begin)) {
		return 0
	}
	rest := b[i+len(begin):]
	end := bytes.Index(rest[:min(len(rest), 48)], []byte("-----"))
	if end < 0 || !bytes.HasSuffix(rest[:end], []byte("PRIVATE KEY")) {
		return 0
	}
	j := i + len(begin) + end + 5
	b64 := 0
	for k := j; k < len(b) && k < j+200; k++ {
		c := b[k]
		switch {
		case isAlnum(c) || c == '+' || c == '/' || c == '=':
			b64++
		case c == '\\' && k+1 < len(b) && (b[k+1] == 'n' || b[k+1] == 'r'):
			k++
		case c == '\n' || c == '\r' || c == ' ':
		default:
			k = len(b)
		}
	}
	if b64 < 40 {
		return 0
	}
	return j - i
}

// ibanLen is the IBAN length of each country of the IBAN registry.
var ibanLen = map[[2]byte]int{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28, {'B', 'A'}: 20, {'B', 'E'}: 16,
	{'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'R'}: 29, {'C', 'H'}: 21, {'C', 'R'}: 22, {'C', 'Y'}: 28, {'C', 'Z'}: 24,
	{'D', 'E'}: 22, {'D', 'K'}: 18, {'D', 'O'}: 28, {'E', 'E'}: 20, {'E', 'G'}: 29, {'E', 'S'}: 24, {'F', 'I'}: 18,
	{'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22, {'G', 'E'}: 22, {'G', 'I'}: 23, {'G', 'L'}: 18, {'G', 'R'}: 27,
	{'G', 'T'}: 28, {'H', 'R'}: 21, {'H', 'U'}: 28, {'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23, {'I', 'S'}: 26,
	{'I', 'T'}: 27, {'J', 'O'}: 30, {'K', 'W'}: 30, {'K', 'Z'}: 20, {'L', 'B'}: 28, {'L', 'C'}: 32, {'L', 'I'}: 21,
	{'L', 'T'}: 20, {'L', 'U'}: 20, {'L', 'V'}: 21, {'M', 'C'}: 27, {'M', 'D'}: 24, {'M', 'E'}: 22, {'M', 'K'}: 19,
	{'M', 'R'}: 27, {'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'L'}: 18, {'N', 'O'}: 15, {'P', 'K'}: 24, {'P', 'L'}: 28,
	{'P', 'S'}: 29, {'P', 'T'}: 25, {'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22, {'S', 'A'}: 24, {'S', 'C'}: 31,
	{'S', 'E'}: 24, {'S', 'I'}: 19, {'S', 'K'}: 24, {'S', 'M'}: 27, {'S', 'T'}: 25, {'S', 'V'}: 28, {'T', 'L'}: 23,
	{'T', 'N'}: 24, {'T', 'R'}: 26, {'U', 'A'}: 29, {'V', 'A'}: 22, {'V', 'G'}: 24, {'X', 'K'}: 20,
}

// matchIBAN validates country length and the ISO 13616 mod-97 check, on a
// compact or space-grouped IBAN.
func matchIBAN(b []byte, i int) int {
	if i+15 > len(b) || !isUpper(b[i+1]) || !isDigit(b[i+2]) || !isDigit(b[i+3]) {
		return 0
	}
	want, ok := ibanLen[[2]byte{b[i], b[i+1]}]
	if !ok {
		return 0
	}
	var s [34]byte
	n, j := 0, i
	for j < len(b) && n < want {
		c := b[j]
		if isDigit(c) || isUpper(c) {
			s[n] = c
			n++
			j++
			continue
		}
		if c == ' ' && n%4 == 0 && j+1 < len(b) && isAlnum(b[j+1]) {
			j++
			continue
		}
		break
	}
	if n != want || j < len(b) && isAlnum(b[j]) {
		return 0
	}
	rem := 0
	for k := range n {
		c := s[(k+4)%n]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A'+10)) % 97
		}
	}
	if rem != 1 {
		return 0
	}
	return j - i
}

// apiKeyShapes are well-known key formats: a fixed prefix, then a body of
// a given charset and length range.
var apiKeyShapes = []struct {
	prefix     string
	min, max   int
	upperDigit bool // body is [A-Z0-9] only
}{
	{"AKIA", 16, 16, true}, {"ASIA", 16, 16, true}, // AWS access key ids
	{"AIza", 35, 35, false},                                                               // Google API keys
	{"sk_live_", 16, 99, false}, {"sk_test_", 16, 99, false}, {"rk_live_", 16, 99, false}, // Stripe secret keys
	{"ghp_", 36, 36, false}, {"gho_", 36, 36, false}, {"ghu_", 36, 36, false}, {"ghs_", 36, 36, false}, {"ghr_", 36, 36, false},
	{"github_pat_", 60, 90, false},
	{"xoxb-", 20, 120, false}, {"xoxp-", 20, 120, false}, {"xoxa-", 20, 120, false}, // Slack tokens
	{"glpat-", 20, 20, false}, // GitLab
}

// matchAPIKey validates a known key format with a random-looking body.
func matchAPIKey(b []byte, i int) int {
	for _, s := range apiKeyShapes {
		if !bytes.HasPrefix(b[i:], []byte(s.prefix)) {
			continue
		}
		j := i + len(s.prefix)
		var seen [128]bool
		distinct := 0
		for j < len(b) && j-i-len(s.prefix) <= s.max {
			c := b[j]
			ok := isDigit(c) || isUpper(c) || !s.upperDigit && (isLower(c) || c == '_' || c == '-')
			if !ok {
				break
			}
			if !seen[c] {
				seen[c] = true
				distinct++
			}
			j++
		}
		body := j - i - len(s.prefix)
		if body < s.min || body > s.max || j < len(b) && isAlnum(b[j]) || distinct < 8 {
			continue
		}
		if bytes.Contains(b[i:j], []byte("EXAMPLE")) {
			continue
		}
		return j - i
	}
	return 0
}
