// Package sensitive finds classes of sensitive data (PII, PCI, secrets) in
// request and response bytes: emails, phone numbers, payment card numbers,
// IBANs, US social security numbers, JWTs, API keys, private keys, IP
// addresses and dates of birth.
//
// Every class is found by a validator, not by a bare pattern: a card number
// must pass the Luhn check and carry a card-network prefix, an IBAN must
// have its country's length and a mod-97 remainder of 1, an SSN must use a
// valid area, group and serial, a JWT's header must decode to JSON with an
// "alg", an IP address must have four octets of at most 255, a phone number
// needs an international prefix or a phone-like field name, a date of birth
// needs a birth-like field name and a plausible past date. The negative
// corpus in the tests holds look-alikes (order numbers, version strings,
// timestamps, tracking numbers) that must not match.
//
// Card numbers already masked by the agent ("**** **** **** 1111") count as
// cards: the agent masks them before the analyzer sees them.
//
// [Scan] makes one pass over the bytes and allocates nothing. It is safe
// for concurrent use.
package sensitive
