// Package simulate writes deterministic, realistic demo traffic for apitap:
// a pcap of plaintext HTTP/1.1 API calls, the OpenAPI spec of the documented
// part of the API, and ground-truth labels of the endpoints and attacks the
// traffic contains.
//
// The simulated world is a small shop and bank on three hosts
// (api.shop.test, auth.shop.test, bank.shop.test) used by JWT customers and
// admins, session-cookie web users, API-key service accounts and anonymous
// visitors. Into that benign traffic the generator interleaves labeled
// attacks (BOLA enumeration, credential stuffing, brute force, shadow and
// zombie API use, injection, SSRF, scraping, mass assignment,
// unauthenticated access, sensitive data exposure) and benign look-alikes
// that a good detector must leave alone.
//
// Output is a pure function of Config: the same Config yields byte-identical
// files. Every random choice draws from math/rand/v2 PCG streams derived from
// Config.Seed, and no wall clock or map order reaches the output.
//
// Packets are correct TCP (handshake with MSS, MSS-sized segments, ACKs,
// keep-alive reuse, FIN or RST teardown, a few spurious retransmissions and
// out-of-order segments that never break the byte stream) with valid
// checksums, because the pcap feeds a TCP reassembly engine and tshark.
// Generation streams: active connections sit in a small heap ordered by their
// next packet time, so packets reach the file in timestamp order without the
// whole capture ever being held in memory.
package simulate
