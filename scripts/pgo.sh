#!/usr/bin/env bash
# Regenerates cmd/apitap/default.pgo, the CPU profile `go build` uses for
# profile-guided optimization (Go's -pgo=auto): the agent's three
# `make bench` workloads (paired calls, + identity/redaction, + JSON lines)
# on the bench pcap, RUNS runs each on one core, merged. Replace it with
# profiles of production agents when there are some (same format:
# `--cpuprofile`, merged with `go tool pprof -proto`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/apitap}
RUNS=${RUNS:-5}
dir=.cache/bench
pcap=$dir/traffic.pcap
if [[ ! -s $pcap ]]; then
	mkdir -p "$dir"
	"$BIN" simulate --out "$dir" --seed 7 --users 2000 --duration 30m --rate 150 --max-calls 220000
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((i = 0; i < RUNS; i++)); do
	for mode in paired identity json; do
		case $mode in
		paired) args=(--sink null --skip-identity) ;;
		identity) args=(--sink null) ;;
		json) args=(--sink "file:$tmp/calls.jsonl") ;;
		esac
		GOMAXPROCS=1 "$BIN" --cpuprofile "$tmp/$mode.$i.prof" --log-level error agent --pcap "$pcap" --workers 1 \
			--progress=false --pseudonym-key bench-pseudonym-key-0123456789 "${args[@]}" >/dev/null 2>"$tmp/summary"
		rm -f "$tmp/calls.jsonl"
	done
done
go tool pprof -proto "$tmp"/*.prof >cmd/apitap/default.pgo
echo "wrote cmd/apitap/default.pgo from $((RUNS * 3)) profiles"
