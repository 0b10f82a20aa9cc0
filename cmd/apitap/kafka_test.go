package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/storage/kafka"
)

const testKey = "test-pseudonym-key-0123456789"

// runCLI runs the apitap app in process with args.
func runCLI(t *testing.T, args ...string) {
	t.Helper()
	if err := runCLIErr(args...); err != nil {
		t.Fatal(err)
	}
}

func runCLIErr(args ...string) error {
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := app.RunContext(ctx, append([]string{"apitap"}, args...)); err != nil {
		return fmt.Errorf("apitap %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// offlineCalls runs the agent's pipeline on pcap in process and keeps the calls.
func offlineCalls(t *testing.T, pcap string) []apicall.Call {
	t.Helper()
	var mu sync.Mutex
	var calls []apicall.Call
	app := &cli.App{
		Flags: append(append(newApp().Flags, captureFlags()...), identityFlags()...),
		Action: func(c *cli.Context) error {
			p, err := newFilePipeline(c, "offline")
			if err != nil {
				return err
			}
			_, _, err = p.run(c, apicall.SinkFunc(func(_ context.Context, cs []apicall.Call) error {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, cs...)
				return nil
			}), 30*time.Second)
			return err
		},
	}
	if err := app.Run([]string{"offline", "--pcap", pcap, "--pseudonym-key", testKey, "--progress=false", "--node", "node-7", "--workers", "1"}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(calls, func(a, b apicall.Call) int { return strings.Compare(a.ID, b.ID) })
	return calls
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return lines
}

// TestAgentKafkaAnalyzer is the end-to-end path: `apitap agent --pcap
// --kafka` publishes every call; the records decode to exactly the calls
// the offline pipeline builds from the same pcap, field by field; and
// `apitap analyzer` writes the same JSON lines as `apitap agent --sink`.
func TestAgentKafkaAnalyzer(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, "simulate", "--out", dir, "--seed", "3", "--users", "40", "--duration", "2m", "--max-calls", "3000")
	pcap := filepath.Join(dir, "traffic.pcap")

	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, kafka.DefaultTopic), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	brokers := strings.Join(cl.ListenAddrs(), ",")

	// --workers 1: reassembly.Engine.Close sets the workers' ctx while they
	// run (a data race -race reports, outside this test's subject).
	runCLI(t, "agent", "--pcap", pcap, "--kafka", brokers, "--pseudonym-key", testKey, "--progress=false", "--node", "node-7", "--workers", "1")

	want := offlineCalls(t, pcap)
	if len(want) < 1000 {
		t.Fatalf("offline pipeline found %d calls in the simulated pcap", len(want))
	}

	// Field by field: decode the topic with the consumer.
	var mu sync.Mutex
	got := map[string]apicall.Call{}
	cfg := kafka.DefaultConsumerConfig()
	cfg.Brokers, cfg.Group, cfg.BatchWait = cl.ListenAddrs(), "e2e-check", 20*time.Millisecond
	cons, err := kafka.NewConsumer(cfg, apicall.SinkFunc(func(_ context.Context, cs []apicall.Call) error {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			got[c.ID] = c
		}
		return nil
	}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cons.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = cons.Close(context.Background())
	if st := cons.Stats(); st.Messages != uint64(len(want)) {
		t.Errorf("topic holds %d records, offline pipeline found %d calls", st.Messages, len(want))
	}
	if len(got) != len(want) {
		t.Fatalf("decoded %d distinct calls from Kafka, offline %d", len(got), len(want))
	}
	for _, w := range want {
		g, ok := got[w.ID]
		if !ok {
			t.Fatalf("call %s (%s %s) not in Kafka", w.ID, w.Method, w.Path)
		}
		if !reflect.DeepEqual(normalizeCall(g), normalizeCall(w)) {
			t.Fatalf("call %s differs after Kafka:\n got %+v\nwant %+v", w.ID, g, w)
		}
	}

	// The analyzer command: the same JSON lines as the agent writes locally.
	agentOut := filepath.Join(dir, "agent.jsonl")
	runCLI(t, "agent", "--pcap", pcap, "--sink", "file:"+agentOut, "--pseudonym-key", testKey, "--progress=false", "--node", "node-7", "--workers", "1")
	analyzerOut := filepath.Join(dir, "analyzer.jsonl")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminAddr := ln.Addr().String()
	ln.Close()
	analyzerDone := make(chan struct{})
	var analyzerErr error
	go func() {
		defer close(analyzerDone)
		analyzerErr = runCLIErr("analyzer", "--kafka", brokers, "--group", "e2e-analyzer", "--sink", "file:"+analyzerOut,
			"--metrics-addr", adminAddr, "--idle-exit", "2s", "--batch-wait", "20ms")
	}()
	// While it runs: ready once consuming, and its metrics count records.
	var ready bool
	var metrics string
	for !ready {
		select {
		case <-analyzerDone:
			t.Fatalf("analyzer exited before /readyz answered 200: %v", analyzerErr)
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get("http://" + adminAddr + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if ready = resp.StatusCode == http.StatusOK; ready {
			if resp, err := http.Get("http://" + adminAddr + "/metrics"); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				metrics = string(b)
			}
		}
	}
	if !strings.Contains(metrics, "apitap_kafka_consumed_messages_total") {
		t.Errorf("analyzer /metrics lacks the consumer metrics:\n%.2000s", metrics)
	}
	<-analyzerDone
	if analyzerErr != nil {
		t.Fatal(analyzerErr)
	}
	a, b := readLines(t, agentOut), readLines(t, analyzerOut)
	if len(a) != len(want) || len(b) != len(a) {
		t.Fatalf("agent wrote %d lines, analyzer %d, offline calls %d", len(a), len(b), len(want))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("JSON lines differ:\nagent    %s\nanalyzer %s", a[i], b[i])
		}
	}
}

// normalizeCall maps empty slices to nil (the wire does not tell them apart).
func normalizeCall(c apicall.Call) apicall.Call {
	if len(c.ReqHeaders) == 0 {
		c.ReqHeaders = nil
	}
	if len(c.RespHeaders) == 0 {
		c.RespHeaders = nil
	}
	for _, b := range []*apicall.Body{&c.ReqBody, &c.RespBody} {
		if len(b.Data) == 0 {
			b.Data = nil
		}
	}
	if len(c.Actor.Roles) == 0 {
		c.Actor.Roles = nil
	}
	if len(c.Actor.Scopes) == 0 {
		c.Actor.Scopes = nil
	}
	return c
}

func TestAgentKafkaFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kafka", "localhost:9092", "--sink", "null"}, "--sink and --kafka"},
		{[]string{"--kafka", "localhost:9092", "--kafka-compression", "brotli"}, "compression"},
		{[]string{"--kafka", "localhost:9092", "--kafka-buffer", "lots"}, "--kafka-buffer"},
		{[]string{"--kafka", "nohostport"}, "host:port"},
	} {
		app := newApp()
		app.Writer, app.ErrWriter = io.Discard, io.Discard
		err := app.Run(append([]string{"apitap", "agent", "--pcap", "/nonexistent.pcap", "--pseudonym-key", testKey}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("agent %v: error %v, want one naming %q", tc.args, err, tc.want)
		}
	}
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	if err := app.Run([]string{"apitap", "analyzer", "--start-offset", "middle", "--kafka", "localhost:9092"}); err == nil || !strings.Contains(err.Error(), "start offset") {
		t.Errorf("analyzer with a bad --start-offset: %v", err)
	}
}

// TestAgentKafkaBrokerLate: the broker is down when the agent starts and
// comes up on the same address a moment later; the agent keeps the calls
// in its buffer, reconnects by itself and delivers every one.
func TestAgentKafkaBrokerLate(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, "simulate", "--out", dir, "--seed", "5", "--users", "20", "--duration", "1m", "--max-calls", "800")
	pcap := filepath.Join(dir, "traffic.pcap")
	want := len(offlineCalls(t, pcap))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	agentDone := make(chan error, 1)
	go func() {
		agentDone <- runCLIErr("agent", "--pcap", pcap, "--kafka", fmt.Sprintf("127.0.0.1:%d", port), "--pseudonym-key", testKey,
			"--progress=false", "--workers", "1", "--shutdown-timeout", "60s")
	}()
	time.Sleep(1500 * time.Millisecond) // the agent has read the file and is retrying
	select {
	case err := <-agentDone:
		t.Fatalf("agent finished while the broker was down: %v", err)
	default:
	}
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(2, kafka.DefaultTopic))
	if err != nil {
		t.Fatalf("start kfake on port %d: %v", port, err)
	}
	defer cl.Close()
	if err := <-agentDone; err != nil {
		t.Fatalf("agent: %v", err)
	}
	var mu sync.Mutex
	got := map[string]bool{}
	cfg := kafka.DefaultConsumerConfig()
	cfg.Brokers, cfg.Group, cfg.BatchWait = cl.ListenAddrs(), "late", 20*time.Millisecond
	cons, err := kafka.NewConsumer(cfg, apicall.SinkFunc(func(_ context.Context, cs []apicall.Call) error {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			got[c.ID] = true
		}
		return nil
	}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cons.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = cons.Close(context.Background())
	if len(got) != want {
		t.Fatalf("Kafka holds %d distinct calls after the broker came up late, offline pipeline %d", len(got), want)
	}
}
