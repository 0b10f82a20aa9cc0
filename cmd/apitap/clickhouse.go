package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/discovery"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/storage/clickhouse"
)

const dsnUsage = "ClickHouse `DSN`: clickhouse://user:pass@host:9000[,host2:9000]/apitap?secure=true&ca_cert=FILE&client_cert=FILE&client_key=FILE&compress=lz4&dial_timeout=5s&cluster=NAME"

// clickhouseFlags configure writing to ClickHouse from analyze and analyzer.
func clickhouseFlags() []cli.Flag {
	d := clickhouse.DefaultWriterConfig()
	return []cli.Flag{
		&cli.StringFlag{Name: "clickhouse", Usage: "also write calls, endpoints and findings to " + dsnUsage, EnvVars: []string{"APITAP_CLICKHOUSE"}},
		&cli.BoolFlag{Name: "no-migrate", Usage: "do not create or upgrade the ClickHouse schema on start (run apitap migrate instead)", EnvVars: []string{"APITAP_CLICKHOUSE_NO_MIGRATE"}},
		retentionFlag(),
		actorViewsFlag(),
		&cli.IntFlag{Name: "clickhouse-batch-rows", Value: d.BatchRows, Usage: "rows per ClickHouse insert (also the buffer bound per table)", EnvVars: []string{"APITAP_CLICKHOUSE_BATCH_ROWS"}},
		&cli.IntFlag{Name: "clickhouse-insert-concurrency", Value: d.InsertConcurrency, Usage: "full batches of one table inserted at once, each on its own connection", EnvVars: []string{"APITAP_CLICKHOUSE_INSERT_CONCURRENCY"}},
		&cli.DurationFlag{Name: "clickhouse-flush-interval", Value: d.FlushInterval, Usage: "longest a row waits before it is inserted", EnvVars: []string{"APITAP_CLICKHOUSE_FLUSH_INTERVAL"}},
		&cli.BoolFlag{Name: "clickhouse-sort-rows", Value: d.SortRows, Usage: "send each batch of calls in the calls table's sorting key order: the server skips its sort, the writer spends about as much CPU as it saves (worth it when the server is short of CPU)", EnvVars: []string{"APITAP_CLICKHOUSE_SORT_ROWS"}},
		&cli.IntFlag{Name: "clickhouse-sample-bytes", Value: d.SampleBytes, Usage: "bytes of each redacted request and response body stored", EnvVars: []string{"APITAP_CLICKHOUSE_SAMPLE_BYTES"}},
	}
}

// clickhouseFlags and the actor-hour stage's.
func clickhouseAllFlags() []cli.Flag { return append(clickhouseFlags(), actorStatsFlags()...) }

func actorViewsFlag() cli.Flag {
	return &cli.BoolFlag{Name: "clickhouse-actor-views", Value: clickhouse.DefaultMigrateConfig().ActorViews, Usage: "keep the materialized views that copy every call into calls_by_actor and aggregate it into actors (they cost the server about as much as the calls insert itself; actor_timeline and actor_profiles read the analyzer's actor_hours instead); false, the default, drops them when the schema is migrated", EnvVars: []string{"APITAP_CLICKHOUSE_ACTOR_VIEWS"}}
}

func retentionFlag() cli.Flag {
	return &cli.StringFlag{Name: "retention", Value: "30d", Usage: "TTL of calls and actor data (e.g. 30d, 72h; 0 keeps forever), on ClickHouse ≥ 20.3; set when tables are created", EnvVars: []string{"APITAP_CLICKHOUSE_RETENTION"}}
}

// parseDays reads a duration that may use a d (days) suffix.
func parseDays(flag, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("--%s: want a duration such as 30d or 12h, got %q", flag, s)
}

// parseDSN wraps clickhouse.ParseDSN errors with the flag name.
func parseDSN(dsn string) (*clickhouse.Options, error) {
	if dsn == "" {
		return nil, errors.New("--clickhouse: give a DSN such as clickhouse://default@127.0.0.1:9000/apitap")
	}
	o, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("--clickhouse: %w", err)
	}
	return o, nil
}

// clickhouseSink is an open writer and what closes it.
type clickhouseSink struct {
	*clickhouse.Writer
	db     *clickhouse.DB
	cancel context.CancelFunc
	done   chan error
}

// openClickhouse migrates (unless --no-migrate), connects and starts a
// writer. waitForInsert makes Consume return only once rows are durable
// (the Kafka analyzer); analyze buffers and flushes on Close.
func openClickhouse(c *cli.Context, waitForInsert bool, annotate clickhouse.Annotator, reg prometheus.Registerer, log *slog.Logger) (*clickhouseSink, error) {
	o, err := parseDSN(c.String("clickhouse"))
	if err != nil {
		return nil, err
	}
	retention, err := parseDays("retention", c.String("retention"))
	if err != nil {
		return nil, err
	}
	cfg := clickhouse.DefaultWriterConfig()
	cfg.WaitForInsert = waitForInsert
	cfg.BatchRows = c.Int("clickhouse-batch-rows")
	cfg.FlushInterval = c.Duration("clickhouse-flush-interval")
	cfg.InsertConcurrency = c.Int("clickhouse-insert-concurrency")
	cfg.SampleBytes = c.Int("clickhouse-sample-bytes")
	cfg.SortRows = c.Bool("clickhouse-sort-rows")
	cfg.Annotate = annotate
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("--clickhouse-batch-rows, --clickhouse-insert-concurrency, --clickhouse-flush-interval, --clickhouse-sample-bytes: %w", err)
	}
	ctx, cancel := context.WithTimeout(c.Context, time.Minute)
	defer cancel()
	if !c.Bool("no-migrate") {
		mc := clickhouse.DefaultMigrateConfig()
		mc.Retention = retention
		mc.ActorViews = c.Bool("clickhouse-actor-views")
		if _, err := clickhouse.Migrate(ctx, o, mc, log); err != nil {
			return nil, fmt.Errorf("--clickhouse: %w", err)
		}
	}
	db, err := clickhouse.Open(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("--clickhouse: %w", err)
	}
	w, err := clickhouse.NewWriter(db, cfg, reg, log)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	s := &clickhouseSink{Writer: w, db: db, cancel: stop, done: make(chan error, 1)}
	go func() { s.done <- w.Run(runCtx) }()
	return s, nil
}

// Close flushes what is buffered within ctx and closes the connection.
func (s *clickhouseSink) Close(ctx context.Context) error {
	s.cancel()
	err := errors.Join(<-s.done, s.Writer.Close(ctx))
	return errors.Join(err, s.db.Close())
}

// templates carries each call's endpoint template from the endpoint stage
// (which sees the batch first) to the ClickHouse writer (which stores it in
// calls.template), keyed by call id. Entries live for one Consume call; the
// map is cleared should a sink fail between the two.
type templates struct {
	mu sync.Mutex
	m  map[string]string
}

func newTemplates() *templates { return &templates{m: map[string]string{}} }

// onMatch records the template of a call (endpointStage.Sink's hook).
func (t *templates) onMatch(c *apicall.Call, m discovery.Match) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= 1<<20 {
		clear(t.m) // a batch lost downstream: do not grow without bound
	}
	t.m[c.ID] = m.Template
}

// template returns the recorded template of a call and leaves it for
// annotate (the actor-hour stage sees the batch before the writer).
func (t *templates) template(c *apicall.Call) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[c.ID]
}

// annotate takes the recorded template of a call (clickhouse.Annotator).
func (t *templates) annotate(c *apicall.Call) (string, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tmpl := t.m[c.ID]
	delete(t.m, c.ID)
	return tmpl, nil
}

// analyzerClickhouse is the analyzer's ClickHouse output: calls go through
// the endpoint stage and the detectors into a writer that returns only
// once they are inserted (so the Kafka consumer commits after that), and
// every interval the inventory and the findings so far are upserted.
type analyzerClickhouse struct {
	ch        *clickhouseSink
	actors    *actorStats
	endpoints *endpointStage
	det       *detector
	split     *splitTiers // instead of det with --split-stages
	log       *slog.Logger
	stop      context.CancelFunc
	done      chan struct{}
}

func newAnalyzerClickhouse(c *cli.Context, next apicall.Sink, reg prometheus.Registerer, log *slog.Logger) (apicall.Sink, *analyzerClickhouse, error) {
	endpoints, err := newEndpointStage(c)
	if err != nil {
		return nil, nil, err
	}
	var det *detector
	var split *splitTiers
	switch {
	case c.Bool("detect") && c.Bool("split-stages"):
		if split, err = newSplitTiers(c, inventoryTemplater(endpoints.inv, endpoints.specs), reg, log); err != nil {
			return nil, nil, err
		}
		next = teeSink(next, split.actors)
	case c.Bool("detect"):
		if det, err = newDetector(c, inventoryTemplater(endpoints.inv, endpoints.specs)); err != nil {
			return nil, nil, err
		}
		next = teeSink(next, det)
	}
	tm := newTemplates()
	ch, err := openClickhouse(c, true, tm.annotate, reg, log)
	if err != nil {
		if split != nil {
			_, cerr := split.close(context.Background())
			err = errors.Join(err, cerr)
		}
		return nil, nil, err
	}
	actors, err := openActorStats(c, ch, "", tm.template, reg, log)
	if err != nil {
		err = errors.Join(err, ch.Close(context.Background()))
		if split != nil {
			_, cerr := split.close(context.Background())
			err = errors.Join(err, cerr)
		}
		return nil, nil, err
	}
	a := &analyzerClickhouse{ch: ch, actors: actors, endpoints: endpoints, det: det, split: split, log: log, done: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	a.stop = stop
	go a.report(ctx, c.Duration("clickhouse-report-interval"))
	// The actor-hour stage reads each call's template before the writer
	// takes it.
	return endpoints.Sink(teeSink(next, teeSink(actors, ch)), tm.onMatch), a, nil
}

// report upserts the inventory and findings every interval until ctx ends.
func (a *analyzerClickhouse) report(ctx context.Context, every time.Duration) {
	defer close(a.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var fs []report.Finding
		if a.det != nil {
			a.det.mu.Lock()
			fs = a.det.p.Findings.All()
			a.det.mu.Unlock()
		}
		if a.split != nil {
			fs = a.split.all()
		}
		if err := a.write(ctx, fs); err != nil && ctx.Err() == nil {
			a.log.Warn("write inventory and findings to ClickHouse", "err", err)
		}
	}
}

func (a *analyzerClickhouse) write(ctx context.Context, detected []report.Finding) error {
	fs := append(a.endpoints.inv.Findings(), detected...)
	return errors.Join(a.ch.ConsumeEndpoints(ctx, a.endpoints.inv.Endpoints()), a.ch.ConsumeFindings(ctx, fs))
}

// Close stops the reports, writes the final inventory and findings (the
// detectors flush the calls they held for reordering) and closes the writer.
func (a *analyzerClickhouse) Close(ctx context.Context) error {
	a.stop()
	<-a.done
	var fs []report.Finding
	var err error
	if a.det != nil {
		fs, err = a.det.close()
	}
	if a.split != nil {
		fs, err = a.split.close(ctx)
	}
	err = errors.Join(err, a.write(ctx, fs), a.actors.Close(ctx))
	err = errors.Join(err, a.ch.Close(ctx))
	cs := a.ch.Stats()
	as := a.actors.Stats()
	a.log.Info("clickhouse totals", "calls", cs.Calls, "endpoints", cs.Endpoints, "findings", cs.Findings, "actor_hours", cs.Actors, "dropped", cs.Dropped,
		"actor_calls_duplicate", as.Duplicate, "actor_calls_late", as.Late, "actor_calls_over_limit", as.Limit)
	return err
}

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "create or upgrade the ClickHouse schema (idempotent)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "clickhouse", Usage: dsnUsage, EnvVars: []string{"APITAP_CLICKHOUSE"}},
			retentionFlag(),
			actorViewsFlag(),
			&cli.IntFlag{Name: "to", Usage: "stop after this schema version (0: the latest)", EnvVars: []string{"APITAP_MIGRATE_TO"}},
		},
		Action: func(c *cli.Context) error {
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			o, err := parseDSN(c.String("clickhouse"))
			if err != nil {
				return err
			}
			cfg := clickhouse.DefaultMigrateConfig()
			if cfg.Retention, err = parseDays("retention", c.String("retention")); err != nil {
				return err
			}
			cfg.To = c.Int("to")
			cfg.ActorViews = c.Bool("clickhouse-actor-views")
			if cfg.To < 0 {
				return fmt.Errorf("--to: want a schema version ≥ 0, got %d", cfg.To)
			}
			res, err := clickhouse.Migrate(c.Context, o, cfg, log.With("component", "migrate"))
			if err != nil {
				return fmt.Errorf("--clickhouse: %w", err)
			}
			out := c.App.Writer
			switch {
			case len(res.Applied) == 0:
				fmt.Fprintf(out, "clickhouse %s (server %s): database %s already at schema version %d (latest %d)\n", o.Hosts(), res.Server, o.Database, res.To, res.Latest)
			default:
				var names []string
				for _, m := range res.Applied {
					names = append(names, fmt.Sprintf("%04d_%s", m.Version, m.Name))
				}
				fmt.Fprintf(out, "clickhouse %s (server %s): database %s migrated from schema version %d to %d (%s)\n", o.Hosts(), res.Server, o.Database, res.From, res.To, strings.Join(names, ", "))
			}
			return nil
		},
	}
}

func findingsCommand() *cli.Command {
	return &cli.Command{
		Name:  "findings",
		Usage: "list recent findings stored in ClickHouse",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "clickhouse", Usage: dsnUsage, EnvVars: []string{"APITAP_CLICKHOUSE"}},
			&cli.StringFlag{Name: "since", Value: "24h", Usage: "findings last seen within this long before now (e.g. 1h, 7d; 0: all)", EnvVars: []string{"APITAP_SINCE"}},
			&cli.StringFlag{Name: "severity", Usage: "minimum severity: low, medium, high or critical", EnvVars: []string{"APITAP_SEVERITY"}},
			&cli.StringFlag{Name: "type", Usage: "only findings of this type (e.g. bola_enumeration)", EnvVars: []string{"APITAP_FINDING_TYPE"}},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "output: table or jsonl", EnvVars: []string{"APITAP_FORMAT"}},
			&cli.IntFlag{Name: "limit", Value: 1000, Usage: "at most this many findings, most severe and recent first", EnvVars: []string{"APITAP_LIMIT"}},
		},
		Action: runFindings,
	}
}

func runFindings(c *cli.Context) error {
	format := c.String("format")
	if format != "table" && format != "jsonl" {
		return fmt.Errorf("--format: want table or jsonl, got %q", format)
	}
	since, err := parseDays("since", c.String("since"))
	if err != nil {
		return err
	}
	q := clickhouse.FindingsQuery{Since: since, Severity: c.String("severity"), Type: c.String("type"), Limit: c.Int("limit")}
	if q.Severity != "" && q.Validate() != nil {
		return fmt.Errorf("--severity: want low, medium, high or critical, got %q", q.Severity)
	}
	if q.Limit <= 0 {
		return fmt.Errorf("--limit: want a positive number, got %d", q.Limit)
	}
	o, err := parseDSN(c.String("clickhouse"))
	if err != nil {
		return err
	}
	db, err := clickhouse.Open(c.Context, o)
	if err != nil {
		return fmt.Errorf("--clickhouse: %w", err)
	}
	defer func() { _ = db.Close() }()
	fs, err := clickhouse.QueryFindings(c.Context, db, q)
	if err != nil {
		return fmt.Errorf("--clickhouse: %w", err)
	}
	if format == "jsonl" {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetEscapeHTML(false)
		for i := range fs {
			if err := enc.Encode(&fs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	writeFindingsTable(c.App.Writer, fs)
	return nil
}
