package clickhouse

import (
	"strings"
	"testing"
	"time"
)

// TestSchemaRendering checks what each server generation and the cluster
// mode get. Only the old-server rendering runs against a real server here
// (Debian ships 18.16); this pins the others.
func TestSchemaRendering(t *testing.T) {
	all, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	render := func(sc SchemaConfig) string {
		var b strings.Builder
		for _, m := range all {
			stmts, err := m.Statements(sc)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stmts {
				if strings.TrimSpace(s) == "" || strings.Contains(s, "{{") {
					t.Fatalf("bad statement in %04d: %q", m.Version, s)
				}
				b.WriteString(s)
				b.WriteString(";\n")
			}
		}
		return b.String()
	}
	old := render(SchemaConfig{Database: "apitap", Features: FeaturesOf(Version{18, 16, 1}), Retention: 30 * 24 * time.Hour})
	for _, banned := range []string{"LowCardinality", "DateTime64", "CODEC", "TTL", "ON CLUSTER", "Replicated", "Distributed", "groupUniqArray(100)", "groupUniqArrayState(100)"} {
		if strings.Contains(old, banned) {
			t.Errorf("18.16 schema uses %s", banned)
		}
	}
	modern := render(SchemaConfig{Database: "apitap", Features: FeaturesOf(Version{24, 8, 0}), Retention: 30 * 24 * time.Hour})
	for _, want := range []string{"host LowCardinality(String)", "ts DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1))",
		"TTL toDate(ts) + INTERVAL 30 DAY", "TTL toDate(day) + INTERVAL 30 DAY", "TTL toDate(hour) + INTERVAL 30 DAY", "groupUniqArrayState(100)(client_ip)",
		"AggregateFunction(groupUniqArray(100), String)", "groupUniqArrayMerge(100)(client_ips)"} {
		if !strings.Contains(modern, want) {
			t.Errorf("modern schema lacks %q", want)
		}
	}
	if strings.Contains(modern, "TTL toDate(last_seen)") {
		t.Error("findings must not expire with the call retention")
	}
	forever := render(SchemaConfig{Database: "apitap", Features: FeaturesOf(Version{24, 8, 0})})
	if strings.Contains(forever, "TTL") {
		t.Error("retention 0 still renders a TTL")
	}
	cluster := render(SchemaConfig{Database: "apitap", Cluster: "soc", Features: FeaturesOf(Version{24, 8, 0})})
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS apitap.calls_local ON CLUSTER soc",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/apitap/calls_local', '{replica}')",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/apitap/findings_local', '{replica}', version)",
		"ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/apitap/actors_local', '{replica}')",
		"CREATE TABLE IF NOT EXISTS apitap.calls ON CLUSTER soc AS apitap.calls_local ENGINE = Distributed(soc, apitap, calls_local, cityHash64(id))",
		"TO apitap.calls_by_actor_local AS",
		"FROM apitap.calls_local\nGROUP BY actor",
		"CREATE VIEW apitap.recent_findings ON CLUSTER soc AS",
		"FROM apitap.findings FINAL",
		"ALTER TABLE apitap.calls_local ON CLUSTER soc\n    ADD COLUMN IF NOT EXISTS req_headers String CODEC(ZSTD(3)) AFTER resp_header_values",
		"ALTER TABLE apitap.calls ON CLUSTER soc ADD COLUMN IF NOT EXISTS resp_headers String AFTER req_headers",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/apitap/actor_hours_local', '{replica}', version)",
		"CREATE TABLE IF NOT EXISTS apitap.actor_hours ON CLUSTER soc AS apitap.actor_hours_local ENGINE = Distributed(soc, apitap, actor_hours_local, cityHash64(actor))",
		"CREATE VIEW apitap.actor_timeline ON CLUSTER soc AS",
		"FROM apitap.actor_hours FINAL\nGROUP BY actor, hour",
	} {
		if !strings.Contains(cluster, want) {
			t.Errorf("cluster schema lacks %q", want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{"18.16.1": {18, 16, 1}, "24.8.4.13": {24, 8, 4}, "20.3": {20, 3, 0}} {
		got, err := ParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "x.y", "18"} {
		if _, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q): no error", in)
		}
	}
	if FeaturesOf(Version{18, 16, 1}).Modern || !FeaturesOf(Version{20, 3, 0}).Modern || FeaturesOf(Version{20, 2, 9}).Modern {
		t.Error("FeaturesOf thresholds")
	}
}
