#!/usr/bin/env bash
# Regenerates the eBPF objects into a temporary directory with the
# go:generate line of bpf/gen.go and fails when they differ from the
# committed ones (a C source changed without `make generate`).
set -euo pipefail
cd "$(dirname "$0")/../bpf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
line=$(sed -n 's|^//go:generate go tool bpf2go ||p' gen.go)
# shellcheck disable=SC2086 # the flags are word-split as go generate does
eval "go tool bpf2go -output-dir $tmp -go-package bpf $line" >/dev/null
status=0
for f in "$tmp"/*; do
	if ! cmp -s "$f" "$(basename "$f")"; then
		echo "check-bpf: bpf/$(basename "$f") is not what the sources generate; run make generate" >&2
		status=1
	fi
done
exit $status
