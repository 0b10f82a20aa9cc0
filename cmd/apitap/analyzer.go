package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/admin"
	"github.com/apitap/apitap/storage/kafka"
)

func analyzerCommand() *cli.Command {
	d := kafka.DefaultConsumerConfig()
	flags := kafkaConnFlags()
	flags = append(flags,
		&cli.StringFlag{Name: "group", Value: d.Group, Usage: "Kafka consumer group; analyzer replicas of one group split the partitions", EnvVars: []string{"APITAP_KAFKA_GROUP"}},
		&cli.StringFlag{Name: "start-offset", Value: d.StartOffset, Usage: "where a new group starts: earliest or latest", EnvVars: []string{"APITAP_KAFKA_START_OFFSET"}},
		&cli.IntFlag{Name: "batch-calls", Value: d.BatchCalls, Usage: "calls handed to the stages at once (and committed together)", EnvVars: []string{"APITAP_BATCH_CALLS"}},
		&cli.DurationFlag{Name: "batch-wait", Value: d.BatchWait, Usage: "how long a batch waits to fill", EnvVars: []string{"APITAP_BATCH_WAIT"}},
		&cli.IntFlag{Name: "max-uncommitted-batches", Value: d.MaxUncommitted, Usage: "batches handed to the stages that may wait for their ClickHouse insert before the consumer waits too; offsets commit in order as inserts succeed", EnvVars: []string{"APITAP_MAX_UNCOMMITTED_BATCHES"}},
		&cli.StringFlag{Name: "max-message", Value: "4MiB", Usage: "larger Kafka records are skipped and counted", EnvVars: []string{"APITAP_KAFKA_MAX_MESSAGE"}},
		&cli.DurationFlag{Name: "session-timeout", Value: d.SessionTimeout, Usage: "a silent replica loses its partitions after this long", EnvVars: []string{"APITAP_KAFKA_SESSION_TIMEOUT"}},
		&cli.StringFlag{Name: "sink", Value: "stdout", Usage: "where calls go as JSON lines: stdout, file:PATH or null", EnvVars: []string{"APITAP_SINK"}},
		&cli.StringFlag{Name: "metrics-addr", Value: ":9090", Usage: "serve /metrics, /healthz and /readyz on this `ADDR` (empty: off)", EnvVars: []string{"APITAP_METRICS_ADDR"}},
		&cli.DurationFlag{Name: "idle-exit", Usage: "exit after no record arrived for this long, or five times as long before the first (0: run until stopped; for replays and tests)", EnvVars: []string{"APITAP_IDLE_EXIT"}},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: 10 * time.Second, Usage: "time allowed on exit, from the stop, to commit what became durable, flush and close (one bound for all)", EnvVars: []string{"APITAP_SHUTDOWN_TIMEOUT"}},
		&cli.DurationFlag{Name: "clickhouse-report-interval", Value: 30 * time.Second, Usage: "how often the inventory and findings so far are written to ClickHouse", EnvVars: []string{"APITAP_CLICKHOUSE_REPORT_INTERVAL"}},
	)
	// With --clickhouse the discovery and detection stages run, and calls,
	// the inventory and findings go to ClickHouse.
	flags = append(flags, discoveryFlags()...)
	flags = append(flags, detectFlags()...)
	flags = append(flags, clickhouseAllFlags()...)
	flags = append(flags, splitFlags()...)
	return &cli.Command{
		Name:   "analyzer",
		Usage:  "cluster analyzer: consume API calls from Kafka into the analyzer stages",
		Flags:  flags,
		Action: runAnalyzer,
	}
}

// runAnalyzer wires Kafka → analyzer stages → outputs. The transport (the
// consumer, its commits) does not change when stages are added: they go
// into analyzerStages.
func runAnalyzer(c *cli.Context) error {
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	log = log.With("component", "analyzer")
	cfg := kafka.DefaultConsumerConfig()
	cfg.Conn = kafkaConn(c)
	cfg.Topic = c.String("topic")
	cfg.Group = c.String("group")
	cfg.StartOffset = c.String("start-offset")
	cfg.BatchCalls = c.Int("batch-calls")
	cfg.BatchWait = c.Duration("batch-wait")
	cfg.MaxUncommitted = c.Int("max-uncommitted-batches")
	// Once stopped, the consumer waits up to three quarters of
	// --shutdown-timeout for the batches it handed over to be inserted (the
	// writer flushes by time meanwhile) and commits them; the stages close
	// (last inserts, snapshots) in what is left of it.
	cfg.DrainTimeout = c.Duration("shutdown-timeout") * 3 / 4
	cfg.SessionTimeout = c.Duration("session-timeout")
	cfg.HeartbeatInterval = min(cfg.HeartbeatInterval, cfg.SessionTimeout/3)
	maxMsg, err := parseBytes(c.String("max-message"))
	if err != nil {
		return fmt.Errorf("--max-message: %w", err)
	}
	cfg.MaxMessageBytes = int(maxMsg)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("kafka flags (%s, --group, --start-offset, --batch-*, --max-uncommitted-batches, --max-message, --session-timeout, --shutdown-timeout): %w", kafkaFlagNames, err)
	}

	reg := prometheus.NewRegistry()
	stages, closeStages, err := analyzerStages(c, reg, log)
	if err != nil {
		return err
	}
	// Count what arrives, for --idle-exit.
	var received atomic.Int64
	sink := apicall.SinkFunc(func(ctx context.Context, calls []apicall.Call) error {
		received.Add(int64(len(calls)))
		return stages.Consume(ctx, calls)
	})
	consumer, err := kafka.NewConsumer(cfg, sink, reg, log)
	if err != nil {
		return errors.Join(err, closeStages(context.Background()))
	}

	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	var adm *admin.Server
	adminDone := make(chan error, 1)
	if addr := c.String("metrics-addr"); addr != "" {
		if adm, err = admin.New(addr, reg, log); err != nil {
			return errors.Join(err, consumer.Close(context.Background()), closeStages(context.Background()))
		}
		go func() { adminDone <- adm.Run(ctx) }()
		log.Info("serving metrics", "addr", adm.Addr())
	} else {
		adminDone <- nil
	}
	if idle := c.Duration("idle-exit"); idle > 0 {
		go exitWhenIdle(ctx, cancel, idle, func() uint64 { return consumer.Stats().Messages })
	}
	if adm != nil {
		go func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for !consumer.Ready() {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
			adm.SetReady(true)
		}()
	}

	// One --shutdown-timeout bounds the whole shutdown from the stop: the
	// consumer's drain and the stages' close share it.
	var stoppedAt atomic.Int64
	go func() {
		<-ctx.Done()
		stoppedAt.CompareAndSwap(0, time.Now().UnixNano())
	}()
	log.Info("consuming", "brokers", cfg.Brokers, "topic", cfg.Topic, "group", cfg.Group)
	runErr := consumer.Run(ctx)
	stoppedAt.CompareAndSwap(0, time.Now().UnixNano()) // Run failed
	if adm != nil {
		adm.SetReady(false)
	}
	sctx, scancel := context.WithDeadline(context.Background(), time.Unix(0, stoppedAt.Load()).Add(c.Duration("shutdown-timeout")))
	defer scancel()
	// Shutdown drains upstream first: the consumer, then the stages.
	closeErr := errors.Join(consumer.Close(sctx), closeStages(sctx))
	cancel()
	adminErr := <-adminDone
	st := consumer.Stats()
	summary, _ := json.Marshal(map[string]any{"kind": "summary", "records": st.Messages, "calls": st.Calls, "batches": st.Batches, "commits": st.Commits, "skipped": st.Skipped})
	fmt.Fprintln(os.Stderr, string(summary))
	return errors.Join(runErr, closeErr, adminErr)
}

// analyzerStages is the chain the consumer feeds. Until the analyzer stages
// land it writes the calls as JSON lines (--sink), as `apitap analyze
// --format jsonl --calls` does; discovery, detection and ClickHouse plug in
// here. closeStages flushes them, after the consumer stopped.
func analyzerStages(c *cli.Context, reg prometheus.Registerer, log *slog.Logger) (apicall.Sink, func(context.Context) error, error) {
	out, closeOut, err := openSink(c.String("sink"))
	if err != nil {
		return out, closeOut, err
	}
	if c.String("clickhouse") == "" {
		if !c.Bool("split-stages") || !c.Bool("detect") {
			return out, closeOut, nil
		}
		// Without ClickHouse the split stages write their findings as
		// JSON lines to stdout on exit.
		split, err := newSplitTiers(c, nil, reg, log)
		if err != nil {
			return nil, nil, errors.Join(err, closeOut(context.Background()))
		}
		return teeSink(out, split.actors), func(ctx context.Context) error {
			fs, err := split.close(ctx)
			enc := json.NewEncoder(c.App.Writer)
			enc.SetEscapeHTML(false)
			for _, f := range dedupFindings(fs) {
				if werr := enc.Encode(&f); werr != nil {
					err = errors.Join(err, fmt.Errorf("write finding: %w", werr))
					break
				}
			}
			return errors.Join(err, closeOut(ctx))
		}, nil
	}
	sink, ch, err := newAnalyzerClickhouse(c, out, reg, log)
	if err != nil {
		return nil, nil, errors.Join(err, closeOut(context.Background()))
	}
	return sink, func(ctx context.Context) error { return errors.Join(ch.Close(ctx), closeOut(ctx)) }, nil
}

// exitWhenIdle cancels when count has not moved for idle.
func exitWhenIdle(ctx context.Context, cancel context.CancelFunc, idle time.Duration, count func() uint64) {
	tick := time.NewTicker(min(idle/4, time.Second))
	defer tick.Stop()
	last, since := count(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n := count(); n != last {
			last, since = n, time.Now()
			continue
		}
		// Before the first record joining the group takes its time too.
		if el := time.Since(since); el >= idle && (last > 0 || el >= 5*idle) {
			cancel()
			return
		}
	}
}

// dedupFindings keeps one finding per id (the later one), as sinks that
// upsert by id do: injection_attempt may come from both tiers.
func dedupFindings(fs []report.Finding) []report.Finding {
	seen := make(map[string]int, len(fs))
	out := fs[:0:0]
	for _, f := range fs {
		if i, ok := seen[f.ID]; ok {
			out[i] = f
			continue
		}
		seen[f.ID] = len(out)
		out = append(out, f)
	}
	return out
}
