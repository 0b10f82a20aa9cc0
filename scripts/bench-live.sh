#!/usr/bin/env bash
# Live capture throughput: tcpreplay the simulated bench pcap onto a veth at rising
# rates (then --topspeed) while `apitap agent --iface` captures the other end with one
# worker (GOMAXPROCS=1, pinned to one core) and the null sink. Reports, per rate, what
# tcpreplay achieved, the agent's kernel ring drops and CPU, and then the highest rate
# with zero drops and the figures at twice that rate. It also measures the two ceilings
# apart: the generator alone (tcpreplay --topspeed with nothing capturing) and the agent
# alone (stopped with SIGSTOP while tcpreplay fills a 1 GiB ring with the whole pcap, then
# resumed: how fast one core drains the ring). The last lines (RESULT) sum it up.
#
# Where the generator's time goes: tcpreplay sends one frame per send(2) on a packet
# socket; the veth hands the frame to the receiving side in the sender's own softirq, so
# the capture socket's filter and the copy into the agent's ring run on the generator's
# core too (the frames' destination MACs are not the veth's, so after the packet socket
# the IP stack drops them at once as PACKET_OTHERHOST: no RSTs, no socket lookups).
# On a quiet 2-vCPU VM one tcpreplay reaches 1.6-1.8 Gbit/s with nothing capturing.
#
# Env: RATES (Mbit/s to request), LOOPS (pcap loops per run, default 2), THOROUGH=1 (finer
# rates, 3 loops), DRAIN_ONLY=1 (ceilings only), AGENT_CPU / REPLAY_CPU (cores).
# Needs root, ip, tcpreplay, curl. Namespaces and interfaces are named at3b*; they are
# removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/apitap}
if [[ -n ${THOROUGH:-} ]]; then
	RATES=${RATES:-"250 500 750 1000 1250 1500 1750 2000 2500 3000"}
	LOOPS=${LOOPS:-3}
fi
RATES=${RATES:-"500 1000 1500 2000"}
LOOPS=${LOOPS:-2} # each loop with new addresses (--unique-ip): no replayed connection looks like a retransmission
# The agent (GOMAXPROCS=1) and tcpreplay are pinned to cores AGENT_CPU and REPLAY_CPU
# (default 1 and 0; empty: not pinned).
AGENT_CPU=${AGENT_CPU-1}
REPLAY_CPU=${REPLAY_CPU-0}
pin() { if [[ -n $1 ]]; then echo taskset -c "$1"; fi; }
dir=.cache/bench-live
mkdir -p "$dir"
pcap=$dir/traffic.pcap
if [[ ! -s $pcap ]]; then
	"$BIN" simulate --out "$dir" --seed 7 --users 2000 --duration 30m --rate 150 --max-calls 60000 >/dev/null
fi

srv=at3b-srv-$$ cli=at3b-cli-$$ sif=at3b$$s cif=at3b$$c
cleanup() {
	ip netns del "$srv" 2>/dev/null || true
	ip netns del "$cli" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$srv"
ip netns add "$cli"
ip link add "$sif" netns "$srv" type veth peer name "$cif" netns "$cli"
ip -n "$srv" link set "$sif" up
ip -n "$cli" link set "$cif" up
ip -n "$srv" link set lo up
# Frames sent before both ends are up are lost on the veth: wait for the carrier.
for _ in $(seq 50); do
	if ip -n "$cli" link show "$cif" | grep -q 'state UP' && ip -n "$srv" link show "$sif" | grep -q 'state UP'; then break; fi
	sleep 0.1
done
rxpk() { ip netns exec "$srv" cat "/sys/class/net/$sif/statistics/rx_packets"; }

field() { grep -o "\"$1\":[0-9.e+-]*" "$2" | tail -1 | cut -d: -f2; }

# run RATE_ARGS... -> one result line
run() {
	local label=$1
	shift
	local err=$dir/agent.err
	GOMAXPROCS=1 ip netns exec "$srv" $(pin "$AGENT_CPU") "$BIN" --log-level warn agent --iface "$sif" --workers 1 \
		--sink null --pseudonym-key bench-pseudonym-key-0123456789 --shutdown-timeout 30s 2>"$err" &
	local pid=$!
	sleep 1.5 # rings and filter in place
	local out
	out=$(ip netns exec "$cli" $(pin "$REPLAY_CPU") tcpreplay -K --loop "$LOOPS" --unique-ip -i "$cif" "$@" "$pcap" 2>&1)
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || true
	local sent mbps kpk kdrop cpu calls secs bytes
	sent=$(grep -o 'Actual: [0-9]* packets' <<<"$out" | grep -o '[0-9]*' | head -1)
	bytes=$(grep -o 'Actual: [0-9]* packets ([0-9]* bytes)' <<<"$out" | grep -o '([0-9]*' | tr -d '(')
	mbps=$(grep -o 'Rated: [0-9.]* Bps, [0-9.]* Mbps' <<<"$out" | awk '{print $4}')
	secs=$(grep -o 'Actual: [0-9]* packets ([0-9]* bytes) sent in [0-9.]* seconds' <<<"$out" | awk '{print $8}')
	kpk=$(field kernel_packets "$err")
	kdrop=$(field kernel_drops "$err")
	cpu=$(field cpu_seconds "$err")
	calls=$(field calls "$err")
	printf '%-10s %10s %10s %12s %12s %10s %8.3f %6.0f%% %10s %10.0f\n' "$label" "$mbps" "$sent" "$kpk" "$kdrop" \
		"$((sent - kpk - kdrop))" "$cpu" "$(echo "100 * $cpu / ($secs + 2.0)" | bc -l)" "$calls" \
		"$(echo "$bytes * $kpk / $sent * 8 / $cpu / 1000000" | bc -l)"
}

header() {
	printf '%-10s %10s %10s %12s %12s %10s %8s %7s %10s %10s\n' requested "Mbit/s" sent captured ring_drops \
		not_seen cpu_s "cpu%" calls "Mbit/cpu-s"
}

# drain: the agent's own speed on one core, without the generator in the way.
drain() {
	local err=$dir/drain.err port=19399
	rm -f "$err" # else the wait below may see the last run's "capturing" and stop the agent before it captures
	GOMAXPROCS=1 ip netns exec "$srv" $(pin "$AGENT_CPU") "$BIN" agent --iface "$sif" --workers 1 \
		--sink null --pseudonym-key bench-pseudonym-key-0123456789 --ring-size 1GiB --memory-limit 3GiB \
		--metrics-addr 127.0.0.1:$port --shutdown-timeout 60s 2>"$err" &
	local pid=$!
	until grep -qs '"msg":"capturing"' "$err"; do sleep 0.1; done
	kill -STOP "$pid"
	trap 'kill -CONT $pid; kill -TERM $pid' ERR
	local out sent bytes rx0
	rx0=$(rxpk)
	if ! out=$(ip netns exec "$cli" $(pin "$REPLAY_CPU") tcpreplay -K --topspeed -i "$cif" "$pcap" 2>&1); then
		echo "tcpreplay failed: $out"
		kill -CONT "$pid"
		kill -TERM "$pid"
		return
	fi
	sent=$(grep -o 'Actual: [0-9]* packets' <<<"$out" | grep -o '[0-9]*' | head -1)
	bytes=$(grep -o 'Actual: [0-9]* packets ([0-9]* bytes)' <<<"$out" | grep -o '([0-9]*' | tr -d '(')
	if (($(rxpk) - rx0 < sent)); then
		echo "drain: the veth delivered $(($(rxpk) - rx0)) of $sent frames; no figure"
		kill -CONT "$pid"
		kill -TERM "$pid"
		wait "$pid" || true
		return
	fi
	sleep 0.2 # last block retired
	local cpu0 t0 frames=0 t1 cpu1 prev idle=0 now
	cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	t0=$(date +%s.%N)
	kill -CONT "$pid"
	# Done when the metrics count every frame, or (metrics unreachable) when the agent's
	# CPU time stops growing for 0.3 s; the summary's packet count is checked after.
	t1=$t0
	prev=$cpu0
	while ((frames < sent)) && ((idle < 6)); do
		sleep 0.05
		now=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		if ((now == prev)); then idle=$((idle + 1)); else idle=0 t1=$(date +%s.%N); fi
		prev=$now
		frames=$(ip netns exec "$srv" curl -s "127.0.0.1:$port/metrics" | awk '/^apitap_decode_frames_total /{print $2}' || true)
		frames=$(printf '%.0f' "${frames:-0}")
		if ((frames >= sent)); then t1=$(date +%s.%N); fi
		if (($(echo "$(date +%s.%N) - $t0 > 60" | bc -l))); then break; fi
	done
	cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	kill -TERM "$pid"
	wait "$pid" || true
	frames=$(field packets "$err")
	if ((frames < sent)); then
		echo "drain: the agent read $frames of $sent frames; no figure. Agent's summary: $(tail -1 "$err")"
		return
	fi
	local secs cpus
	secs=$(echo "$t1 - $t0" | bc -l)
	cpus=$(echo "($cpu1 - $cpu0) / $(getconf CLK_TCK)" | bc -l)
	printf 'drain: %d frames (%d bytes) read from a full ring in %.2f s wall, %.2f s CPU\n' "$frames" "$bytes" "$secs" "$cpus"
	printf '  per wall second: %.0f Mbit/s, %.0f kpps, %.0f calls/s\n' "$(echo "$bytes * 8 / $secs / 1000000" | bc -l)" \
		"$(echo "$frames / $secs / 1000" | bc -l)" "$(echo "$(field calls "$err") / $secs" | bc -l)"
	printf '  per CPU second:  %.0f Mbit/s, %.0f kpps, %.0f calls/s; ring drops %s\n' "$(echo "$bytes * 8 / $cpus / 1000000" | bc -l)" \
		"$(echo "$frames / $cpus / 1000" | bc -l)" "$(echo "$(field calls "$err") / $cpus" | bc -l)" "$(field kernel_drops "$err")"
	drain_mbps=$(printf '%.0f' "$(echo "$bytes * 8 / $cpus / 1000000" | bc -l)")
}

# generator: tcpreplay --topspeed with nothing capturing, three runs; prints each and sets
# gen_mbps to the median.
generator() {
	local rates=() out t
	for _ in 1 2 3; do
		out=$( (/usr/bin/time -f 'time %e %U %S' ip netns exec "$cli" $(pin "$REPLAY_CPU") tcpreplay -K --topspeed --loop "$LOOPS" \
			--unique-ip -i "$cif" "$pcap") 2>&1)
		local mbps pk secs
		mbps=$(grep -o 'Rated: [0-9.]* Bps, [0-9.]* Mbps' <<<"$out" | awk '{print $4}')
		pk=$(grep -o 'Actual: [0-9]* packets' <<<"$out" | grep -o '[0-9]*' | head -1)
		secs=$(grep -o 'sent in [0-9.]* seconds' <<<"$out" | awk '{print $3}')
		t=$(grep '^time ' <<<"$out" | tail -1)
		printf 'generator alone: %s Mbit/s, %s frames in %s s; tcpreplay process (preload included): %s s wall, %s s user, %s s sys\n' \
			"$mbps" "$pk" "$secs" "$(awk '{print $2}' <<<"$t")" "$(awk '{print $3}' <<<"$t")" "$(awk '{print $4}' <<<"$t")"
		rates+=("$mbps")
	done
	gen_mbps=$(printf '%s\n' "${rates[@]}" | sort -g | sed -n 2p)
}
{
	echo "live capture, one worker (GOMAXPROCS=1${AGENT_CPU:+, core $AGENT_CPU}), null sink; tcpreplay${REPLAY_CPU:+ on core $REPLAY_CPU}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "pcap: $pcap ($(stat -c %s "$pcap") bytes) x $LOOPS loops"
	echo "not_seen: sent by tcpreplay but never reached the capture socket (veth backlog)"
	echo "cpu%: agent CPU over the replay time plus 2s of start and shutdown"
	echo "Mbit/cpu-s: bytes captured per second of agent CPU (start and shutdown included): the rate one core would keep"
} | tee "$dir/results.txt"
echo "generator alone, nothing capturing (tcpreplay -K --topspeed --loop $LOOPS --unique-ip${REPLAY_CPU:+ on core $REPLAY_CPU}):" | tee -a "$dir/results.txt"
gen_mbps=0
generator | tee -a "$dir/results.txt"
gen_mbps=$(grep '^generator alone:' "$dir/results.txt" | tail -3 | awk '{print $3}' | sort -g | sed -n 2p || true)
echo "agent alone, one core, ring pre-filled by tcpreplay while the agent was stopped:" | tee -a "$dir/results.txt"
drain | tee -a "$dir/results.txt"
drain_mbps=$(grep '^  per CPU second:' "$dir/results.txt" | tail -1 | awk '{print $4}' || true)
summary() {
	echo "RESULT generator ceiling (tcpreplay alone, median of 3): ${gen_mbps:-?} Mbit/s"
	echo "RESULT agent alone (drain of a full ring, one core): ${drain_mbps:-?} Mbit/s per CPU-second"
}
if [[ -n ${DRAIN_ONLY:-} ]]; then
	summary | tee -a "$dir/results.txt"
	exit 0
fi
header | tee -a "$dir/results.txt"
best=0
bestline=
firstdrop=
top=0
for r in $RATES topspeed; do
	if [[ $r == topspeed ]]; then
		line=$(run topspeed --topspeed)
	else
		line=$(run "$r" --mbps "$r")
	fi
	echo "$line" | tee -a "$dir/results.txt"
	read -r _ mbps _ _ drops _ <<<"$line"
	if [[ $drops == 0 ]] && (($(echo "$mbps > $best" | bc -l))); then
		best=$mbps
		bestline=$line
	fi
	if (($(echo "$mbps > $top" | bc -l))); then top=$mbps; fi
	if [[ $drops != 0 ]] && { [[ -z $firstdrop ]] || (($(echo "$mbps < $firstdrop" | bc -l))); }; then
		firstdrop=$mbps
	fi
done
twiceline=
if (($(echo "$best > 0" | bc -l))); then
	twice=$(echo "2 * $best / 1" | bc)
	echo "at twice the highest zero-drop rate ($twice Mbit/s requested):" | tee -a "$dir/results.txt"
	twiceline=$(run "2x" --mbps "$twice")
	echo "$twiceline" | tee -a "$dir/results.txt"
fi
{
	summary
	read -r _ _ _ _ _ _ _ bcpu _ _ <<<"$bestline"
	verdict="not met"
	if (($(echo "$best >= 1000" | bc -l))); then verdict="met"; fi
	echo "RESULT highest zero-drop rate: $best Mbit/s, agent CPU ${bcpu:-?} (target >= 1000 Mbit/s on one core: $verdict)"
	if [[ -n $twiceline ]]; then
		read -r _ tmbps tsent tkpk tdrop _ _ tcpu _ _ <<<"$twiceline"
		echo "RESULT at 2x ($twice Mbit/s requested): tcpreplay achieved $tmbps Mbit/s; ring drops $tdrop of $tsent sent ($(echo "scale=2; 100 * $tdrop / $tsent" | bc)%); agent CPU $tcpu"
	fi
	if [[ -n $firstdrop ]] && (($(echo "$firstdrop < $best" | bc -l))); then
		echo "RESULT warning: a lower rate ($firstdrop Mbit/s) dropped frames: the agent's core was not its own for the whole sweep (load average $(cut -d' ' -f1-3 /proc/loadavg)); rerun on a quiet machine"
	fi
	echo "RESULT generator with the agent capturing: at most $top Mbit/s (the veth copies each frame into the agent's ring on tcpreplay's core)"
	if (($(echo "$best >= $top * 0.95" | bc -l))); then
		echo "RESULT the generator, not the agent, bounded the sweep: no rate tcpreplay could offer made the agent drop"
	fi
} | tee -a "$dir/results.txt"
