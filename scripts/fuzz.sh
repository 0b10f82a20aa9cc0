#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (default 60s).
set -euo pipefail
t=${1:-60s}
fail=0
while read -r pkg; do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $target ($t)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg"; then
			fail=1
		fi
	done
done < <(go list ./...)
exit $fail
