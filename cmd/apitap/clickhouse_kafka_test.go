package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/chtest"
	"github.com/apitap/apitap/storage/kafka"
)

// TestAnalyzerClickhouseOutage: simulated pcap → agent → Kafka (kfake) →
// analyzer --clickhouse → ClickHouse, with the ClickHouse server killed for
// 30 s while the analyzer streams. Afterwards every call is stored once
// (after FINAL), the findings equal those apitap analyze prints for the
// same pcap, and the consumer group has no lag: the analyzer committed
// offsets only for calls that were inserted, and caught up after the restart.
func TestAnalyzerClickhouseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s outage; skipped with -short")
	}
	srv := chtest.Start(t)
	db := srv.Database(t)
	dsn := srv.DSN(db)
	dir := t.TempDir()
	runCLI(t, "simulate", "--out", dir, "--seed", "5", "--users", "40", "--duration", "5m", "--max-calls", "3000")
	pcap, spec := filepath.Join(dir, "traffic.pcap"), filepath.Join(dir, "openapi.yaml")

	// One partition: the analyzer then sees the calls in the order the agent
	// produced them, as analyze does. With several, a backlog replay may
	// read one partition minutes of capture time ahead of another, beyond
	// the detectors' reordering window, and order-sensitive counts differ.
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafka.DefaultTopic), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	brokers := strings.Join(cl.ListenAddrs(), ",")
	runCLI(t, "agent", "--pcap", pcap, "--kafka", brokers, "--pseudonym-key", testKey, "--progress=false", "--node", "node-7")

	// What apitap analyze prints for the same pcap.
	out, err := runApp(t, "analyze", "--pcap", pcap, "--spec", spec, "--format", "jsonl", "--pseudonym-key", testKey, "--progress=false")
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Calls uint64 }
	printed := map[string]report.Finding{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var f report.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		switch f.Kind {
		case "finding":
			printed[f.ID] = f
		case "summary":
			_ = json.Unmarshal(sc.Bytes(), &want)
		}
	}
	if want.Calls < 1000 || len(printed) == 0 {
		t.Fatalf("analyze: %d calls, %d findings", want.Calls, len(printed))
	}

	// The analyzer, in small batches so that the stream lasts long enough
	// to be cut.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	_ = ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		app := newApp()
		app.Writer, app.ErrWriter = &strings.Builder{}, &strings.Builder{}
		done <- app.RunContext(ctx, []string{"apitap", "--log-level", "error", "analyzer", "--kafka", brokers, "--group", "ch-analyzer",
			"--sink", "null", "--metrics-addr", metricsAddr, "--batch-calls", "50", "--batch-wait", "20ms", "--spec", spec,
			"--clickhouse", dsn, "--clickhouse-flush-interval", "100ms", "--clickhouse-report-interval", "1s", "--shutdown-timeout", "60s"})
	}()
	count := func(q string) uint64 { return srv.Count(t, strings.ReplaceAll(q, "DB.", db+".")) }
	// tryCount is 0 while the analyzer has not created the tables yet.
	tryCount := func(q string) uint64 {
		if srv.Count(t, "SELECT count() FROM system.tables WHERE database = '"+db+"' AND name = 'calls'") == 0 {
			return 0
		}
		return count(q)
	}
	waitFor := func(what string, cond func() bool, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			select {
			case err := <-done:
				t.Fatalf("analyzer exited while waiting for %s: %v", what, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	waitFor("the first calls", func() bool { return tryCount("SELECT count() FROM DB.calls") >= 300 }, time.Minute)
	srv.Stop(t)
	stoppedAt := time.Now()
	time.Sleep(30 * time.Second)
	srv.Restart(t)
	t.Logf("server down %s", time.Since(stoppedAt).Round(time.Millisecond))
	waitFor("every call", func() bool { return count("SELECT uniqExact(id) FROM DB.calls") >= want.Calls }, 2*time.Minute)
	// The analyzer's own lag gauge (records behind the high-water mark after
	// its last commit) goes back to 0 on every partition.
	waitFor("the lag to recover", func() bool { return consumerLag(t, metricsAddr) == 0 }, time.Minute)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("analyzer: %v", err)
	}

	if n := count("SELECT count() FROM DB.calls FINAL"); n != want.Calls {
		t.Errorf("calls after FINAL: %d, want %d", n, want.Calls)
	}
	if n := count("SELECT uniqExact(id) FROM DB.calls"); n != want.Calls {
		t.Errorf("distinct calls: %d, want %d", n, want.Calls)
	}
	if n := count("SELECT count() FROM DB.calls FINAL WHERE template != ''"); n < want.Calls*9/10 {
		t.Errorf("only %d of %d calls carry their endpoint template", n, want.Calls)
	}
	// The analyzer's actor rows count every call once, outage or not.
	checkActorHours(t, srv, db, want.Calls)
	if n := count("SELECT count() FROM DB.findings FINAL"); n != uint64(len(printed)) {
		t.Errorf("findings after FINAL: %d, analyze printed %d", n, len(printed))
	}
	rows, err := openConn(t, dsn).Conn().Query(t.Context(), "SELECT id, type, count FROM "+db+".findings FINAL")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for rows.Next() {
		var id, typ string
		var n uint64
		if err := rows.Scan(&id, &typ, &n); err != nil {
			t.Fatal(err)
		}
		stored[id] = true
		if w, ok := printed[id]; !ok {
			t.Errorf("finding %s (%s) stored, not printed by analyze", id, typ)
		} else if uint64(w.Count) != n {
			t.Errorf("finding %s (%s): count %d stored, %d printed", id, typ, n, w.Count)
		}
	}
	_ = rows.Close()
	for id, f := range printed {
		if !stored[id] {
			t.Errorf("finding %s (%s %s) printed by analyze, missing in ClickHouse", id, f.Type, f.User)
		}
	}

	// No lag: the group committed everything, so it has nothing left to read.
	cfg := kafka.DefaultConsumerConfig()
	cfg.Brokers, cfg.Group, cfg.BatchWait = cl.ListenAddrs(), "ch-analyzer", 20*time.Millisecond
	cons, err := kafka.NewConsumer(cfg, apicall.Discard, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lctx, lcancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer lcancel()
	_ = cons.Run(lctx)
	_ = cons.Close(context.Background())
	if st := cons.Stats(); st.Messages != 0 {
		t.Errorf("the analyzer's group still had %d records to read (lag not recovered)", st.Messages)
	}
}

// consumerLag sums apitap_kafka_consumer_lag_messages over the partitions
// the analyzer reports on its /metrics; -1 until a partition reported.
func consumerLag(t *testing.T, addr string) float64 {
	t.Helper()
	return metricValue(addr, "apitap_kafka_consumer_lag_messages")
}
