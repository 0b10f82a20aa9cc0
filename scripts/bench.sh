#!/usr/bin/env bash
# Whole-pipeline throughput on one core (GOMAXPROCS=1, one worker) on a
# simulated pcap of 200k+ transactions, next to tshark in the same run.
# Prints medians of RUNS runs; tshark runs once (it is ~100x slower).
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

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run() { # run NAME SINK -> prints seconds; records calls in $dir/calls
	local start end
	start=$(now)
	GOMAXPROCS=1 "$BIN" --log-level error agent --pcap "$pcap" --workers 1 --progress=false \
		--pseudonym-key "$key" --sink "$2" 2>"$dir/$1.summary" >/dev/null
	end=$(now)
	echo "$end - $start" | bc -l
}

calls=""
for mode in null json; do
	sink=null
	[[ $mode == json ]] && sink=file:$dir/calls.jsonl
	for ((i = 0; i < RUNS; i++)); do run "$mode" "$sink"; done | median >"$dir/$mode.sec"
	calls=$(grep -o '"calls":[0-9]*' "$dir/$mode.summary" | head -1 | cut -d: -f2)
done
start=$(now)
tshark_tx=$(tshark -r "$pcap" -Y http.request -T fields -e http.request.uri 2>/dev/null | wc -l)
end=$(now)
tshark_sec=$(echo "$end - $start" | bc -l)

null_sec=$(cat "$dir/null.sec")
json_sec=$(cat "$dir/json.sec")
size=$(stat -c %s "$pcap")
printf '\npipeline on %s (%d bytes, %d transactions), GOMAXPROCS=1, median of %d runs\n' "$pcap" "$size" "$calls" "$RUNS"
printf '%-34s %10s %14s %10s\n' stage seconds "transactions/s" "MB/s"
for row in "apitap, null sink:$null_sec:$calls" "apitap, JSON lines to a file:$json_sec:$calls" "tshark -Y http.request (1 run):$tshark_sec:$tshark_tx"; do
	IFS=: read -r name sec n <<<"$row"
	printf '%-34s %10.3f %14.0f %10.1f\n' "$name" "$sec" "$(echo "$n / $sec" | bc -l)" "$(echo "$size / $sec / 1000000" | bc -l)"
done
printf 'ratio apitap(null) / tshark: %.1fx   apitap(json) / tshark: %.1fx\n' \
	"$(echo "($calls / $null_sec) / ($tshark_tx / $tshark_sec)" | bc -l)" \
	"$(echo "($calls / $json_sec) / ($tshark_tx / $tshark_sec)" | bc -l)"
