#!/usr/bin/env bash
# Whole-pipeline throughput on one core (GOMAXPROCS=1, one worker) on a
# simulated pcap of 200k+ transactions, next to tshark in the same run.
#
# Three apitap figures, each a superset of the one before:
#   paired calls:          file -> frames -> TCP reassembly -> HTTP parsing,
#                          pairing, body decoding -> apicall.Call, null sink
#                          (agent --skip-identity, allowed with the null sink only)
#   + identity/redaction:  the agent as shipped, null sink
#   + JSON lines to file:  the same, calls written as JSON lines to a file
#
# Each figure is the median of RUNS runs (modes interleaved run by run);
# tshark runs once (it is ~40x slower). Rates are given per wall-clock
# second and per CPU second (user+sys): on a shared machine the wall clock
# includes time spent waiting for a core, the CPU time does not, so the
# CPU-time figures (and the ratio to tshark) are the ones that hold from
# run to run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/apitap}
RUNS=${RUNS:-5}
dir=.cache/bench
mkdir -p "$dir"
if [[ ! -s $dir/traffic.pcap ]]; then
	"$BIN" simulate --out "$dir" --seed 7 --users 2000 --duration 30m --rate 150 --max-calls 220000
fi
pcap=$dir/traffic.pcap
key=bench-pseudonym-key-0123456789

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run() { # run NAME AGENT-ARGS... -> appends "wall cpu" to $dir/NAME.runs
	local name=$1
	shift
	GOMAXPROCS=1 /usr/bin/time -o "$dir/$name.time" -f '%e %U %S' "$BIN" --log-level error agent \
		--pcap "$pcap" --workers 1 --progress=false --pseudonym-key "$key" "$@" 2>"$dir/$name.summary" >/dev/null
	awk '{printf "%s %.3f\n", $1, $2 + $3}' "$dir/$name.time" >>"$dir/$name.runs"
}

modes=(paired identity json)
for mode in "${modes[@]}"; do rm -f "$dir/$mode.runs"; done
for ((i = 0; i < RUNS; i++)); do
	run paired --sink null --skip-identity
	run identity --sink null
	run json --sink "file:$dir/calls.jsonl"
done
/usr/bin/time -o "$dir/tshark.time" -f '%e %U %S' tshark -r "$pcap" -Y http.request -T fields -e http.request.uri 2>/dev/null | wc -l >"$dir/tshark.calls"
read -r tshark_wall tshark_cpu < <(awk '{printf "%s %.3f\n", $1, $2 + $3}' "$dir/tshark.time")
tshark_tx=$(tr -d ' ' <"$dir/tshark.calls")

size=$(stat -L -c %s "$pcap")
calls=$(grep -o '"calls":[0-9]*' "$dir/paired.summary" | head -1 | cut -d: -f2)
printf '\npipeline on %s (%d bytes, %d transactions), GOMAXPROCS=1, --workers 1, median of %d runs\n' "$pcap" "$size" "$calls" "$RUNS"
printf '%-42s %8s %8s %11s %11s %10s %10s\n' "" "wall s" "CPU s" "tx/s wall" "tx/s CPU" "x tshark" "x tshark"
printf '%-42s %8s %8s %11s %11s %10s %10s\n' "" "" "" "" "" "(wall)" "(CPU)"
row() { # NAME WALL CPU TX
	printf '%-42s %8.2f %8.2f %11.0f %11.0f %9.1fx %9.1fx\n' "$1" "$2" "$3" "$(echo "$4 / $2" | bc -l)" "$(echo "$4 / $3" | bc -l)" \
		"$(echo "($4 / $2) / ($tshark_tx / $tshark_wall)" | bc -l)" "$(echo "($4 / $3) / ($tshark_tx / $tshark_cpu)" | bc -l)"
}
for m in "paired:apitap paired calls, null sink" "identity:apitap + identity/redaction, null sink" "json:apitap + identity, JSON lines to file"; do
	mode=${m%%:*}
	n=$(grep -o '"calls":[0-9]*' "$dir/$mode.summary" | head -1 | cut -d: -f2)
	row "${m#*:}" "$(cut -d' ' -f1 "$dir/$mode.runs" | median)" "$(cut -d' ' -f2 "$dir/$mode.runs" | median)" "$n"
done
row "tshark -Y http.request (1 run)" "$tshark_wall" "$tshark_cpu" "$tshark_tx"
printf 'load average at the end: %s (2 vCPUs, shared)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
