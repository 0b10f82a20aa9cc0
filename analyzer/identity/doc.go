// Package identity finds who made each API call and removes secrets from
// the call before it leaves the node.
//
// It runs in the node agent right after HTTP parsing, on every call, so it
// is written for the hot path: a call that carries a bearer JWT costs about
// a microsecond, JWT decoding and keyed pseudonyms are cached in a small
// bounded cache, and a call without secrets allocates nothing.
//
// # Actor
//
// [Processor.Process] sets [apicall.Call.Actor] from the request, first
// rule that matches:
//
//  1. Authorization: Bearer <JWT> — kind jwt, User is the "sub" claim
//     verbatim (the token is decoded, never verified); issuer, algorithm,
//     expiry, roles and scopes are kept. A JWT without "sub" gets the
//     pseudonym "jwt:<12 hex>" of the whole token.
//  2. Authorization: Bearer <opaque> (or "Token <opaque>") — kind bearer,
//     "bearer:<12 hex>".
//  3. An API key header (Config.APIKeyHeaders) or "Authorization: ApiKey
//     <k>" — kind apikey, "apikey:<12 hex>".
//  4. Authorization: Basic — kind basic, "basic:<12 hex>" of the user name
//     only, so every password tried for one account maps to one actor.
//  5. A session cookie (Config.SessionCookies) — kind session,
//     "session:<12 hex>".
//  6. Otherwise anonymous, User "".
//
// A pseudonym's 12 hex digits are the first 6 bytes of
// HMAC-SHA256(Config.Key, kind + ":" + secret): stable across runs and
// nodes that share the key, not reversible without it.
//
// Actor.ClientIP is the TCP peer, unless the peer is in
// Config.TrustedProxies: then it is the right-most address of Forwarded
// "for=" (preferred when present) or X-Forwarded-For that is not itself a
// trusted proxy.
//
// # Redaction
//
// After Process returns no secret is left anywhere in the call; the
// marker is "[REDACTED]":
//
//   - Authorization and Proxy-Authorization keep their scheme
//     ("Bearer [REDACTED]"). Cookie keeps every cookie name and redacts
//     every value ("session=[REDACTED]; theme=[REDACTED]"): cookie values
//     are too often secrets (CSRF tokens, signed state) to sort out.
//     Set-Cookie keeps the name and the attributes (Path, Secure, HttpOnly,
//     SameSite... which misconfiguration detectors read) and redacts the
//     value. API key headers, Config.RedactHeaders and every header whose
//     name matches Config.RedactFields are replaced by the marker.
//   - Location, Content-Location and Referer are URLs: their user info and
//     their secret query and fragment parameters are redacted.
//   - Query parameters, path matrix parameters (";jsessionid=..."), JSON
//     members (at any depth, in objects and arrays, keys unescaped before
//     matching) and form fields whose name matches Config.RedactFields
//     have their value replaced; a secret name redacts every scalar below
//     it. JSON, form and text bodies of requests and responses are
//     scanned; other bodies (images, protobuf...) are left alone.
//   - Anything shaped like a JWT (three or more base64url segments, the
//     first starting with "eyJ") is redacted wherever it appears: header
//     values, path, query, bodies.
//   - Luhn-valid 13-19 digit card numbers with a card-network prefix,
//     optionally grouped by spaces or dashes, are masked to their last
//     four digits in bodies, path and query ("**** **** **** 1111"),
//     unless Config.KeepPII. A card that is a bare JSON number becomes a
//     string.
//   - A JSON, form or text body whose content encoding could not be
//     decoded (Body.DecodeError) cannot be checked, so its Data is dropped.
//
// Body.Length stays the length on the wire; Body.Data may change length.
// Process sets apicall.FlagRedacted when it redacted or dropped anything
// and apicall.FlagPIIMasked when it masked a card number.
//
// # Field names
//
// A name (JSON key, form or query parameter, header name) is normalized by
// lower-casing it and dropping every ASCII character that is not a letter
// or a digit, so "api_key", "apiKey" and "X-API-Key" all read "apikey".
// A Config.RedactFields entry matches when it is a substring of the
// normalized name; an entry that starts with "=" matches only a whole word
// of the name (words split at punctuation and camelCase), so "=pin"
// catches "pin", "user_pin" and "pinCode" but not "shipping". Session
// cookie and API key header names also match as whole names, so
// "?PHPSESSID=" and ";jsessionid=" are redacted.
//
// # Limits
//
// JWTs and card numbers hidden by JSON \u escapes are not recognized
// outside secret-named fields; multipart bodies are not scanned; secrets
// under names that do not look secret ({"name":"password","value":"..."})
// are not recognized.
package identity
