#!/usr/bin/env bash
# ch-server-cost.sh: the ClickHouse server's CPU per calls row, by rows per INSERT and by actor
# view (README "ClickHouse inserts", the table "Where the server's time goes").
#
# Starts a private clickhouse-server (Debian's 18.16, as `make deps` installs it) on a free
# loopback port in a temporary directory, fills it with simulated calls (apitap simulate →
# apitap analyze --clickhouse, 20,000 calls replayed 15 times with fresh ids: 300,000 rows, no
# body samples, as BenchmarkInsertCalls), exports them as Native files, then inserts them with
# clickhouse-client into fresh tables made like the schema's and reads the server's CPU time
# from /proc over the inserts and until their merges end.
#
# Usage: scripts/ch-server-cost.sh [runs]   (default 3; run it under the bench lock)
set -euo pipefail
runs=${1:-3}
cd "$(dirname "$0")/.."
command -v clickhouse-server >/dev/null || { echo "clickhouse-server not installed (make deps)" >&2; exit 1; }

dir=$(mktemp -d /tmp/apitap-ch-cost.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir"/{data,tmp,user_files,format_schemas,log,sim}
cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog></logger>
  <tcp_port>$port</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
XML
cat >"$dir/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
pid=$!
C=(clickhouse-client --port "$port")
for _ in $(seq 1 100); do "${C[@]}" -q 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done

echo "filling $dir with simulated calls" >&2
go build -o "$dir/apitap" ./cmd/apitap
"$dir/apitap" simulate --seed 7 --users 2000 --duration 30m --rate 150 --max-calls 20000 --out "$dir/sim" >/dev/null
"$dir/apitap" analyze --pcap "$dir/sim/traffic.pcap" --clickhouse "clickhouse://default@127.0.0.1:$port/src" \
	--clickhouse-actor-views=false --clickhouse-sample-bytes 0 >/dev/null
cols="id, ts, duration_us, ttfb_us, host, method, path, template, query, proto, status, req_bytes, resp_bytes,
 req_content_type, resp_content_type, actor, actor_kind, user, client_ip, client_port, server_ip, server_port,
 user_agent, jwt_issuer, jwt_alg, roles, scopes, sensitive, req_headers, resp_headers, req_body, resp_body, flags,
 source_kind, source_node"
ddl=$("${C[@]}" -q 'SHOW CREATE TABLE src.calls' | sed -e 's/\\n/ /g' -e "s/\\\\'/'/g" -e 's/^CREATE TABLE src.calls //')
n=$("${C[@]}" -q 'SELECT count() FROM src.calls')
reps=$(((300000 + n - 1) / n))
# Six files of 50,000 rows (what the Writer's default batch makes) from n calls replayed with fresh ids.
for k in 0 1 2 3 4 5; do
	"${C[@]}" -q "SELECT $(echo "$cols" | sed 's/^id,/concat(id, '"'"'-'"'"', toString(r)) AS id,/') FROM src.calls
		ARRAY JOIN range($reps) AS r ORDER BY r, id LIMIT $((k * 50000)), 50000 FORMAT Native" >"$dir/chunk$k.native"
done
cat "$dir"/chunk?.native >"$dir/all.native"
"${C[@]}" -q 'CREATE DATABASE exp'
# The same rows in the table's sorting key order, as a table exports them.
"${C[@]}" -q "CREATE TABLE exp.sorted $ddl"
"${C[@]}" -q "INSERT INTO exp.sorted ($cols) FORMAT Native" <"$dir/all.native"
"${C[@]}" -q "SELECT $cols FROM exp.sorted FORMAT Native" >"$dir/sorted.native"
"${C[@]}" -q 'DROP TABLE exp.sorted'

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)

# views NAME: the actor views of migration 0002 on exp.calls, or a variant.
views() {
	local ts="DateTime('UTC')"
	case $1 in
	cba | both)
		"${C[@]}" -q "CREATE TABLE exp.cba (actor String, ts $ts, id String, user String, client_ip String, user_agent String, host String, method String, template String, path String, status UInt16, duration_us UInt64, resp_bytes UInt64) ENGINE = ReplacingMergeTree() PARTITION BY toDate(ts) ORDER BY (actor, ts, id)"
		"${C[@]}" -q "CREATE MATERIALIZED VIEW exp.cba_mv TO exp.cba AS SELECT actor, ts, id, user, client_ip, user_agent, host, method, template, path, status, duration_us, resp_bytes FROM exp.calls"
		;;
	cba-narrow)
		"${C[@]}" -q "CREATE TABLE exp.cba (actor String, ts $ts, id String, host String, method String, template String, status UInt16) ENGINE = ReplacingMergeTree() PARTITION BY toDate(ts) ORDER BY (actor, ts, id)"
		"${C[@]}" -q "CREATE MATERIALIZED VIEW exp.cba_mv TO exp.cba AS SELECT actor, ts, id, host, method, template, status FROM exp.calls"
		;;
	esac
	local t="" s=""
	case $1 in
	actors | both)
		t=", client_ips AggregateFunction(groupUniqArray, String), user_agents AggregateFunction(groupUniqArray, String), hosts AggregateFunction(groupUniqArray, String)"
		s=", groupUniqArrayState(client_ip) AS client_ips, groupUniqArrayState(user_agent) AS user_agents, groupUniqArrayState(host) AS hosts"
		;&
	actors-no-arrays)
		"${C[@]}" -q "CREATE TABLE exp.act (actor String, day Date, user String, actor_kind String, first_seen AggregateFunction(min, $ts), last_seen AggregateFunction(max, $ts), calls AggregateFunction(uniq, String), errors AggregateFunction(uniqIf, String, UInt8), endpoints AggregateFunction(uniq, String, String, String)$t) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (actor, day, user, actor_kind)"
		"${C[@]}" -q "CREATE MATERIALIZED VIEW exp.act_mv TO exp.act AS SELECT actor, toDate(ts) AS day, user, actor_kind, minState(ts) AS first_seen, maxState(ts) AS last_seen, uniqState(id) AS calls, uniqIfState(id, toUInt8(status >= 400 OR status = 0)) AS errors, uniqState(host, method, template) AS endpoints$s FROM exp.calls GROUP BY actor, day, user, actor_kind"
		;;
	esac
}

# run INSERTS VIEWS: prints server CPU µs/row for the inserts and with their merges.
run() {
	local files=$1 v=$2
	for t in calls cba_mv cba act_mv act; do "${C[@]}" -q "DROP TABLE IF EXISTS exp.$t"; done
	"${C[@]}" -q "CREATE TABLE exp.calls $ddl"
	views "$v"
	sleep 0.3
	local c0 c1 c2
	c0=$(cpu)
	for f in $files; do "${C[@]}" -q "INSERT INTO exp.calls ($cols) FORMAT Native" <"$f"; done
	c1=$(cpu)
	for _ in $(seq 1 120); do
		[ "$("${C[@]}" -q "SELECT count() FROM system.merges WHERE database = 'exp'")" = 0 ] && break
		sleep 0.5
	done
	sleep 1
	c2=$(cpu)
	awk -v a="$c0" -v b="$c1" -v c="$c2" -v hz="$hz" -v what="$3" 'BEGIN { printf "%-42s insert %5.2f µs/row, with merges %5.2f\n", what, (b - a) / hz * 1e6 / 300000, (c - a) / hz * 1e6 / 300000 }'
}

six="$dir/chunk0.native $dir/chunk1.native $dir/chunk2.native $dir/chunk3.native $dir/chunk4.native $dir/chunk5.native"
for r in $(seq 1 "$runs"); do
	echo "run $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
	run "$dir/all.native" none "one INSERT of 300,000, no views"
	run "$dir/sorted.native" none "one INSERT of 300,000 presorted, no views"
	run "$six" none "six INSERTs of 50,000, no views"
	for v in cba cba-narrow actors actors-no-arrays both; do
		run "$six" "$v" "six INSERTs of 50,000, $v"
	done
done
