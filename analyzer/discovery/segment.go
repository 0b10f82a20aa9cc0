package discovery

import "strings"

// Kind is what a path segment looks like.
type Kind uint8

// Segment kinds. Word is a plain segment that stays literal unless the
// statistical rule turns its position into a parameter; every other kind
// is a parameter value on sight.
const (
	Word     Kind = iota // plain word or slug: literal until proven otherwise
	Version              // v1, v2, v1beta1, 2.0: always literal
	Integer              // 10423
	UUID                 // 550e8400-e29b-41d4-a716-446655440000
	ObjectID             // 24 hex digits (MongoDB ObjectId)
	Hash                 // 32, 40, 64 or 128 hex digits (MD5, SHA-1, SHA-256, SHA-512)
	Hex                  // other hex strings of 12+ digits with a digit
	Date                 // 2026-01-05, 2026-01-05T10:00:00Z
	Email                // someone@example.com
	Token                // opaque ids and tokens: mixed letters and digits (cus_NffrFeUfNV2Hib)
	Mixed                // a parameter position holding several kinds
)

var kindNames = [...]string{"word", "version", "integer", "uuid", "objectid", "hash", "hex", "date", "email", "token", "string"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// literalWithDigits are words that carry digits but name things, not
// instances, in API paths.
var literalWithDigits = map[string]bool{
	"oauth2": true, "oauth1": true, "s3": true, "ec2": true, "md5": true, "sha1": true, "sha256": true, "sha512": true,
	"base64": true, "utf8": true, "utf-8": true, "x509": true, "ipv4": true, "ipv6": true, "http2": true, "h2": true,
	"2fa": true, "mfa2": true, "mp3": true, "mp4": true, "h264": true, "i18n": true, "l10n": true, "k8s": true,
	"e2e": true, "p2p": true, "b2b": true, "b2c": true, "3ds": true, "3ds2": true, "web3": true, "graphql2": true,
	"openid2": true, "saml2": true, "x402": true, "h323": true, "h265": true, "e164": true, "t38": true, "g711": true,
	"g729": true, "vp8": true, "vp9": true, "av1": true, "iso8601": true, "rfc3339": true, "sha384": true, "aes256": true, "ed25519": true,
}

// maxLiteralWithDigits is the length of the longest literalWithDigits
// word: a longer segment is looked up in vain (identifiers mostly are).
var maxLiteralWithDigits = func() int {
	n := 0
	for w := range literalWithDigits {
		n = max(n, len(w))
	}
	return n
}()

// Classify tells what kind of segment s is. It allocates nothing.
func Classify(s string) Kind {
	n := len(s)
	if n == 0 {
		return Word
	}
	var digits, lower, upper, hexLetters, other, dashes, dots, unders, ats int
	for i := 0; i < n; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z':
			lower++
			if c <= 'f' {
				hexLetters++
			}
		case c >= 'A' && c <= 'Z':
			upper++
			if c <= 'F' {
				hexLetters++
			}
		case c == '-':
			dashes++
		case c == '.':
			dots++
		case c == '_':
			unders++
		case c == '@':
			ats++
		case c == '{' || c == '}':
			return Token // never a name: and a literal brace would read as a parameter in a template
		default:
			other++
		}
	}
	if digits == n {
		return Integer
	}
	if n == 1 && upper == 1 {
		return Token // a one-letter code (a voucher series, a frequency: /vouchers/A/152, /get/C/A/HS); resources are named in words
	}
	if isVersion(s) || digits > 0 && apiVersion(s) {
		return Version
	}
	if ats == 1 && dots > 0 && s[0] != '@' && s[n-1] != '.' {
		at := 0
		for at < n && s[at] != '@' {
			at++
		}
		for j := at + 1; j < n; j++ {
			if s[j] == '.' {
				return Email
			}
		}
	}
	if n == 36 && dashes == 4 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && digits+hexLetters == 32 {
		return UUID
	}
	if isDate(s) {
		return Date
	}
	allHex := digits+hexLetters == n
	if allHex && digits > 0 {
		switch {
		case n == 24:
			return ObjectID
		case n == 32 || n == 40 || n == 64 || n == 128:
			return Hash
		case n >= 12:
			return Hex
		}
	}
	if (digits == 1 || digits == 0 && upper >= 2 && lower >= 2) && other+dashes+dots+unders+ats == 0 && randomLetters(s) {
		return Token
	}
	if digits == 0 || len(s) <= maxLiteralWithDigits && literalWithDigits[s] {
		return Word
	}
	// A word with digits: an id or a token when digits are a real part of
	// it, e.g. cus_NffrFeUfNV2Hib, INV-2026-0001, alice.martin12, C024BE91L.
	letters := lower + upper
	if other > 0 {
		if other == 1 && customMethod(s) {
			return Word // v1beta:estimateCostScenario: a method on the service
		}
		return Token // percent-escapes, '+', '~', ... with digits
	}
	switch {
	case digits >= 2:
		return Token
	case letters >= 12 && upper > 0 && lower > 0 && (dashes+unders+ats > 0 || !digitName(s)):
		return Token // long mixed-case token with a single digit (cus_NffrFeUfNV2Hib: no camelCase name, and no copy made to tell)
	}
	return Word
}

// digitName reports whether s, a mixed-case word with one digit, is a
// camelCase name of English words around it (OrganizationalLevel1s,
// Level2Approvers): a programmer's name, as camelName reads one.
func digitName(s string) bool {
	i := strings.IndexAny(s, "0123456789")
	return i > 0 && camelName(s[:i]+s[i+1:])
}

// apiVersion reports whether s is an API word joined to a version
// (api_1.0, api-v2, rest_v1, apiv3): the API's version, written with the
// prefix it follows elsewhere (/api/v1).
func apiVersion(s string) bool {
	for _, p := range [...]string{"api", "rest"} {
		if len(s) > len(p)+1 && strings.EqualFold(s[:len(p)], p) {
			r := s[len(p):]
			if r[0] == '-' || r[0] == '_' {
				r = r[1:]
			}
			if r == "" {
				return false
			}
			return isVersion(r) // v2, 1.0; a bare number (api_1) is no version
		}
	}
	return false
}

// isVersion matches v1, v2, V3, v1.2, v1_2, v1-2, v1p2, v1beta1, v2alpha,
// v3p1beta1, v1b3,
// 2.0, 1.1, and a date after a v (v2021-10-21: Sanity's dated versions;
// no value is written so).
func isVersion(s string) bool {
	n := len(s)
	i := 0
	if s[0] == 'v' || s[0] == 'V' {
		i = 1
		if n == 11 && isDate(s[1:]) {
			return true
		}
	}
	start := i
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || i-start > 3 {
		return false
	}
	if i == n {
		return start == 1 // "v12"; a bare number is an Integer
	}
	if s[i] == '.' { // 1.0, v2.1 (one dot: 1.2.3 is a release, and 10.0.0.1 an address)
		i++
		j := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i == n && i > j && i-j <= 2
	}
	if start == 0 {
		return false
	}
	if (s[i] == '_' || s[i] == '-' || s[i] == 'p') && i+1 < n {
		// v1_1, v0-1, v1p2: the minor version after an underscore, a
		// dash or a "p" (point), as URLs that avoid dots write it.
		j := i + 1
		for j < n && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == n || s[i] != 'p' || j == i+1 || j-i-1 > 2 {
			return j == n && j-i-1 <= 2
		}
		i = j // v3p1beta1: Google's minor version and then a stage
	}
	rest := s[i:]
	if len(rest) >= 2 && (rest[0] == 'a' || rest[0] == 'b') && isDigits(rest[1:]) && len(rest) <= 3 {
		return true // v1b3: a stage's initial and its number (Google's Dataflow)
	}
	for _, p := range [...]string{"alpha", "beta", "preview", "rc"} {
		if len(rest) >= len(p) && rest[:len(p)] == p {
			for j := len(p); j < len(rest); j++ {
				if rest[j] < '0' || rest[j] > '9' {
					return false
				}
			}
			return true
		}
	}
	return false
}

// isDate matches 2026-01-05, 2026-01, 2026-01-05T10:00:00Z and friends.
func isDate(s string) bool {
	n := len(s)
	if n < 7 || s[4] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if n == 7 {
		return true
	}
	if n < 10 || s[7] != '-' || s[8] < '0' || s[8] > '9' || s[9] < '0' || s[9] > '9' {
		return false
	}
	if n == 10 {
		return true
	}
	return s[10] == 'T' || s[10] == 't' || s[10] == ' '
}

// randomLetters reports whether s, letters and at most one digit, is an
// identifier a system minted rather than a name a person wrote: six
// letters or more in which two single lower-case letters stand between
// capitals or digits (sGUnkBHgRFN, aE8mKqT, nAWw2jewpA: case drawn at
// random; camelCase and PascalCase names have a word after each capital,
// GetModelsForMake, AphiaIDByName), or lower-case letters with a digit
// inside and hardly a vowel (kctbh9vrtdwd), and no run of English words.
func randomLetters(s string) bool {
	letters, vowels, upper, single, digitInside := 0, 0, 0, 0, false
	run := 0 // length of the current run of lower-case letters
	for i := 0; i <= len(s); i++ {
		var c byte
		if i < len(s) {
			c = s[i]
		}
		if c >= 'a' && c <= 'z' {
			run++
			letters++
			if c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y' {
				vowels++
			}
			continue
		}
		if run == 1 && i < len(s) && i > 1 {
			single++ // one lower-case letter between two others
		}
		run = 0
		switch {
		case c >= 'A' && c <= 'Z':
			letters++
			upper++
		case c >= '0' && c <= '9':
			digitInside = digitInside || i > 0 && i < len(s)-1
		}
	}
	if letters < 6 {
		return false
	}
	random := upper > 0 && single >= 2 || upper == 0 && digitInside && 4*vowels < letters
	return random && !madeOfWords(s)
}
