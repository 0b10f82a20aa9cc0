// Package e2e holds apitap's end-to-end tests: they build the apitap binary,
// record real HTTP traffic between two network namespaces with tcpdump,
// generate simulated captures, and check what `apitap agent` reports
// against what the clients sent, against tshark, and against the secrets
// that must never leave the agent.
//
// The tests need root, iproute2, tcpdump, tshark and curl; each one skips
// with a message naming what is missing. They run in `make test`.
//
// TestMain builds ./cmd/apitap into a temporary directory; set
// APITAP_E2E_BIN to test an already built binary instead.
package e2e
