package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/actorstats"
	"github.com/apitap/apitap/apicall"
)

// actorStatsFlags configure the actor-hour rows written to ClickHouse
// (actor_hours) with --clickhouse.
func actorStatsFlags() []cli.Flag {
	d := actorstats.DefaultConfig()
	return []cli.Flag{
		&cli.IntFlag{Name: "clickhouse-actor-hours-max", Value: d.MaxStates, Usage: "actor-hours (per actor and hour of capture time) counted in memory for actor_hours at once; calls that would open more are not counted there (they are stored in calls)", EnvVars: []string{"APITAP_CLICKHOUSE_ACTOR_HOURS_MAX"}},
		&cli.DurationFlag{Name: "clickhouse-actor-lateness", Value: d.Lateness, Usage: "how far behind the newest capture time an hour of actor_hours stays open for late calls", EnvVars: []string{"APITAP_CLICKHOUSE_ACTOR_LATENESS"}},
		&cli.StringFlag{Name: "clickhouse-writer-id", Usage: "generation id in this process's actor_hours rows (default: random for apitap analyzer; for apitap analyze, derived from the input files, so that analyzing them again replaces the rows instead of adding to them)", EnvVars: []string{"APITAP_CLICKHOUSE_WRITER_ID"}},
	}
}

// actorStats is the actor-hour stage and its write loop.
type actorStats struct {
	*actorstats.Sink
	cancel context.CancelFunc
	done   chan error
}

// openActorStats starts the actor-hour stage writing into ch; template
// gives each call's endpoint template (the endpoint stage's match).
func openActorStats(c *cli.Context, ch *clickhouseSink, writer string, template func(*apicall.Call) string, reg prometheus.Registerer, log *slog.Logger) (*actorStats, error) {
	cfg := actorstats.DefaultConfig()
	cfg.MaxStates = c.Int("clickhouse-actor-hours-max")
	cfg.Lateness = c.Duration("clickhouse-actor-lateness")
	cfg.Writer = writer
	if id := c.String("clickhouse-writer-id"); id != "" {
		cfg.Writer = id
	}
	cfg.Template = template
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("--clickhouse-actor-hours-max, --clickhouse-actor-lateness: %w", err)
	}
	s, err := actorstats.New(cfg, ch, reg, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &actorStats{Sink: s, cancel: cancel, done: make(chan error, 1)}
	go func() { a.done <- s.Run(ctx) }()
	return a, nil
}

// Close stops the write loop and writes what changed since (within ctx).
func (a *actorStats) Close(ctx context.Context) error {
	a.cancel()
	return errors.Join(<-a.done, a.Sink.Close(ctx))
}

// inputsWriterID is the actor_hours generation of apitap analyze on files:
// a digest of their paths, sizes and modification times, so a second run
// on the same files replaces the first one's rows. Live input gets a
// random one.
func inputsWriterID(files []string) string {
	if len(files) == 0 {
		return ""
	}
	h := sha256.New()
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			abs = f
		}
		st, err := os.Stat(f)
		if err != nil {
			return "" // the capture reports it
		}
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", abs, st.Size(), strconv.FormatInt(st.ModTime().UnixNano(), 10))
	}
	return "files-" + hex.EncodeToString(h.Sum(nil)[:8])
}
