# apitap — see README.md. `make demo` and `make test` are the two entry points.
SHELL := /bin/bash
GO ?= go
BIN := bin/apitap
GOLANGCI_LINT_VERSION := v2.15.0
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.PHONY: all build test unit lint vet deps demo bench eval fuzz generate clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/apitap

# deps installs what the tests need on a fresh Debian machine (root) and
# Go tools; it is idempotent and quick when everything is there.
deps:
	GOLANGCI_LINT_VERSION=$(GOLANGCI_LINT_VERSION) scripts/deps.sh

vet:
	$(GO) vet ./...

lint:
	golangci-lint run ./...

# test runs everything this machine can run: vet, lint and the whole suite
# with the race detector, including the tests that need root, network
# namespaces, tcpdump and tshark.
test: deps vet lint unit

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

demo: build
	@mkdir -p .cache/demo
	@test -s .cache/demo/traffic.pcap || $(BIN) simulate --out .cache/demo --duration 30m --users 60
	$(BIN) analyze --pcap .cache/demo/traffic.pcap --pseudonym-key demo-key-not-secret-0123456789 --rows 30

# bench: stage micro-benchmarks, then the whole pipeline on one core on a
# simulated pcap of 200k+ transactions, side by side with tshark.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./apicall/ ./capture/... ./reassembly/... ./analyzer/... ./simulate/
	scripts/bench.sh

# eval: detection quality against the simulator's ground truth on seeds
# never used for tuning (1-3 were; 101-105 informed one fix): per-type recall, precision,
# false positives per 10k actors, time to detect.
EVAL_SEEDS ?= 201,202,203,204,205
eval: build
	$(GO) run ./scripts/eval --bin $(BIN) --seeds $(EVAL_SEEDS) --dir .cache/eval

FUZZTIME ?= 60s
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

# generate regenerates committed generated code (none yet: bpf2go and
# protobuf arrive with the eBPF and Kafka work).
generate:
	$(GO) generate ./...

clean:
	rm -rf bin .cache
