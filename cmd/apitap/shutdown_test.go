package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/internal/chtest"
	"github.com/apitap/apitap/storage/kafka"
)

// metricValue sums the samples of metric on addr's /metrics (-1: none).
func metricValue(addr, metric string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	sum, n := 0.0, 0
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, metric+" ") && !strings.HasPrefix(line, metric+"{") {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
			n++
		}
	}
	if n == 0 {
		return -1
	}
	return sum
}

// TestAnalyzerShutdownClickhouseDown: with ClickHouse down and calls
// waiting for their insert, a stopped analyzer gives up within its
// --shutdown-timeout (the consumer's drain and the stages' close share
// it; the duration is logged), reports the failure, and commits nothing
// that was not inserted.
func TestAnalyzerShutdownClickhouseDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private ClickHouse server; skipped with -short")
	}
	srv := chtest.Start(t)
	db := srv.Database(t)
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafka.DefaultTopic), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	brokers := cl.ListenAddrs()
	first := ackCalls(300)
	produceCalls(t, brokers, first)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	_ = ln.Close()
	const timeout = 4 * time.Second
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		app := newApp()
		app.Writer, app.ErrWriter = io.Discard, io.Discard
		done <- app.RunContext(ctx, []string{"apitap", "--log-level", "error", "analyzer", "--kafka", strings.Join(brokers, ","), "--group", "shutdown",
			"--sink", "null", "--metrics-addr", metricsAddr, "--batch-calls", "50", "--batch-wait", "20ms",
			"--clickhouse", srv.DSN(db), "--clickhouse-flush-interval", "200ms", "--shutdown-timeout", timeout.String()})
	}()
	waitFor(t, "the first calls inserted", time.Minute, func() bool {
		return srv.Count(t, "SELECT count() FROM system.tables WHERE database = '"+db+"' AND name = 'calls'") > 0 &&
			srv.Count(t, "SELECT count() FROM "+db+".calls") >= uint64(len(first))
	})
	waitFor(t, "the first calls committed", 30*time.Second, func() bool { return consumerLag(t, metricsAddr) == 0 })
	srv.Stop(t)
	more := ackCalls(300)
	for i := range more {
		more[i].ID = fmt.Sprintf("more-%05d", i)
	}
	produceCalls(t, brokers, more)
	waitFor(t, "the calls read during the outage", 30*time.Second, func() bool {
		return metricValue(metricsAddr, "apitap_kafka_consumer_delivered_calls_total") >= float64(len(first)+len(more))
	})
	start := time.Now()
	cancel()
	err = <-done
	took := time.Since(start)
	t.Logf("shutdown with ClickHouse down took %s (--shutdown-timeout %s): %v", took.Round(time.Millisecond), timeout, err)
	if err == nil {
		t.Error("analyzer exited cleanly though calls were not inserted")
	}
	// How long it took is logged, not asserted (no timing assertions in
	// tests): one timeout plus leaving the group measured 4.1 s; the drain's
	// and the stages' timeouts one after the other took 8.0 s.
	if com, _ := offsets(t, brokers, "shutdown", kafka.DefaultTopic); com[0] > int64(len(first)) {
		t.Errorf("committed offset %d: calls not inserted were committed (first %d were)", com[0], len(first))
	}
}
