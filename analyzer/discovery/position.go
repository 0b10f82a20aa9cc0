package discovery

import "strings"

// Round 12 (session 9): plain-word values read from their position in
// the API.

// localeCodes are ISO 639-1 codes of widely used languages. Codes that
// are also English words or common abbreviations in paths (id, it, is,
// no, to, my, so, he, hi, hr, ca, ml, ms, lb, ha, eu, ps, ts) are left
// out: after a version they may name a resource.
var localeCodes = map[string]bool{
	"af": true, "ar": true, "bg": true, "bn": true, "cs": true, "cy": true, "da": true, "de": true,
	"el": true, "en": true, "es": true, "et": true, "fa": true, "fi": true, "fr": true, "ga": true,
	"gl": true, "hu": true, "hy": true, "ja": true, "ka": true, "kk": true, "km": true, "ko": true,
	"lt": true, "lv": true, "mk": true, "mn": true, "nb": true, "nl": true, "nn": true, "pl": true,
	"pt": true, "ro": true, "ru": true, "sk": true, "sl": true, "sq": true, "sr": true, "sv": true,
	"sw": true, "ta": true, "te": true, "th": true, "tr": true, "uk": true, "ur": true, "uz": true,
	"vi": true, "zh": true, "zu": true,
}

// localeCode reports whether w is a language code of localeCodes, alone
// (de) or with a region (pt-BR, en_US, zh-Hant): the language of a
// response.
func localeCode(w string) bool {
	if len(w) < 2 || !localeCodes[w[:2]] {
		return false
	}
	switch len(w) {
	case 2:
		return true
	case 5:
		return (w[2] == '-' || w[2] == '_') && upperLetter(w[3]) && upperLetter(w[4])
	case 7:
		return (w[2] == '-' || w[2] == '_') && upperLetter(w[3]) && plainLower(w[4:]) // zh-Hant, sr-Latn
	}
	return false
}

func upperLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

// localeValue reports whether word w, below literal n and with more path
// after it (rest), is the language of the API's responses: a language
// code right after the API's version (/nba/trial/v8/en/games,
// /v2/es/country) scopes every resource below it to one language, the
// way a tenant or a region does. APIs name resources in words; a
// two-letter code there is a value even when traffic shows only one.
func localeValue(n *node, w, rest string) bool {
	if n.param || n.parent == nil || !localeCode(w) || strings.Trim(rest, "/") == "" {
		return false
	}
	return Classify(n.key) == Version || versionAt(n.parent, n.key)
}
