package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/discovery"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/reassembly"
	"github.com/apitap/apitap/storage/jsonl"
)

func analyzeCommand() *cli.Command {
	flags := append(captureFlags(), identityFlags()...)
	flags = append(flags, discoveryFlags()...)
	flags = append(flags, exportFlags()...)
	flags = append(flags, detectFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "format", Value: "table", Usage: "output: table or jsonl", EnvVars: []string{"APITAP_FORMAT"}},
		&cli.BoolFlag{Name: "calls", Usage: "with --format jsonl, also write every call as a {\"kind\":\"call\"} line", EnvVars: []string{"APITAP_EMIT_CALLS"}},
		&cli.IntFlag{Name: "rows", Value: 25, Usage: "with --format table, the number of calls listed", EnvVars: []string{"APITAP_ROWS"}},
	)
	flags = append(flags, clickhouseAllFlags()...)
	return &cli.Command{
		Name:   "analyze",
		Usage:  "run the whole pipeline in one process on capture files",
		Flags:  flags,
		Action: runAnalyze,
	}
}

// runAnalyze wires capture → reassembly → identity/redaction → report.
// The analyzer stages (inventory, baselines, detectors) plug in here.
func runAnalyze(c *cli.Context) error {
	format := c.String("format")
	if format != "table" && format != "jsonl" {
		return fmt.Errorf("--format: want table or jsonl, got %q", format)
	}
	p, err := newFilePipeline(c, "analyze")
	if err != nil {
		return err
	}
	endpoints, err := newEndpointStage(c)
	if err != nil {
		return err
	}
	out := c.App.Writer
	var sink apicall.Sink // nil: calls are only counted
	var calls *jsonl.Writer
	var table *callTable
	switch {
	case format == "jsonl" && c.Bool("calls"):
		calls = jsonl.NewWriter(out)
		sink = calls
	case format == "table":
		table = &callTable{max: c.Int("rows")}
		sink = table
	}
	var det *detector
	if c.Bool("detect") {
		if det, err = newDetector(c, inventoryTemplater(endpoints.inv, endpoints.specs)); err != nil {
			return err
		}
		sink = teeSink(sink, det)
	}
	var ch *clickhouseSink
	var actors *actorStats
	var onMatch func(*apicall.Call, discovery.Match)
	if c.String("clickhouse") != "" {
		tm := newTemplates()
		if ch, err = openClickhouse(c, false, tm.annotate, nil, p.log); err != nil {
			return err
		}
		if actors, err = openActorStats(c, ch, inputsWriterID(c.StringSlice("pcap")), tm.template, nil, p.log); err != nil {
			return errors.Join(err, ch.Close(context.Background()))
		}
		// The actor-hour stage reads each call's template before the
		// writer takes it.
		sink = teeSink(sink, teeSink(actors, ch))
		onMatch = tm.onMatch
	}
	if sink == nil {
		sink = apicall.Discard
	}
	st, warnings, err := p.run(c, endpoints.Sink(sink, onMatch), 30*time.Second)
	if err != nil && st.Packets == 0 {
		return err // nothing was read: the error says why
	}
	if calls != nil {
		err = errors.Join(err, calls.Close(context.Background()))
	}
	var findings []report.Finding
	if det != nil {
		fs, derr := det.close()
		err = errors.Join(err, derr)
		findings = fs
	}
	if ch != nil {
		err = errors.Join(err, storeAnalysis(c, ch, actors, endpoints, findings))
	}
	if table != nil {
		table.write(out, st)
		fmt.Fprintln(out)
		err = errors.Join(err, endpoints.finish(context.Background(), out, format))
		if det != nil {
			writeFindingsTable(out, findings)
		}
	} else {
		err = errors.Join(err, endpoints.finish(context.Background(), out, format))
		if det != nil {
			err = errors.Join(err, writeFindingsJSONL(out, findings, det.stats()))
		}
		line, _ := json.Marshal(summaryLine(st))
		fmt.Fprintln(out, string(line))
	}
	for _, w := range warnings {
		fmt.Fprintln(c.App.ErrWriter, "apitap: warning:", w)
	}
	return err
}

// storeAnalysis writes the inventory and all findings (discovery's and the
// detectors') to ClickHouse, then flushes and closes the writer.
func storeAnalysis(c *cli.Context, ch *clickhouseSink, actors *actorStats, endpoints *endpointStage, findings []report.Finding) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	eps := endpoints.inv.Endpoints()
	all := append(endpoints.inv.Findings(), findings...)
	err := errors.Join(ch.ConsumeEndpoints(ctx, eps), ch.ConsumeFindings(ctx, all), actors.Close(ctx))
	if cerr := ch.Close(ctx); cerr != nil {
		err = errors.Join(err, fmt.Errorf("--clickhouse: %w", cerr))
	}
	cs := ch.Stats()
	fmt.Fprintf(c.App.ErrWriter, "apitap: clickhouse: %d calls, %d endpoints, %d findings, %d actor-hour rows written\n", cs.Calls, cs.Endpoints, cs.Findings, cs.Actors)
	return err
}

// teeSink hands every batch to both sinks; the first error wins.
func teeSink(a, b apicall.Sink) apicall.Sink {
	if a == nil {
		return b
	}
	return apicall.SinkFunc(func(ctx context.Context, calls []apicall.Call) error {
		return errors.Join(a.Consume(ctx, calls), b.Consume(ctx, calls))
	})
}

// callTable keeps the earliest calls for a terminal table.
type callTable struct {
	mu    sync.Mutex
	max   int
	rows  []apicall.Call
	total int
}

func (t *callTable) Consume(_ context.Context, calls []apicall.Call) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += len(calls)
	for i := range calls {
		t.rows = append(t.rows, calls[i])
		if len(t.rows) > 4*t.max+64 {
			t.trim()
		}
	}
	return nil
}

// trim keeps the max earliest calls (workers emit out of order).
func (t *callTable) trim() {
	slices.SortFunc(t.rows, func(a, b apicall.Call) int { return cmpInt(a.ReqStart, b.ReqStart) })
	if len(t.rows) > t.max {
		t.rows = t.rows[:t.max]
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (t *callTable) write(w io.Writer, st reassembly.Stats) {
	t.trim()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCLIENT\tACTOR\tMETHOD\tHOST\tPATH\tSTATUS\tMS\tRESP BYTES")
	for i := range t.rows {
		c := &t.rows[i]
		actor := c.Actor.User
		if actor == "" {
			actor = "-"
		}
		status, ms := "-", "-"
		if c.Status != 0 {
			status = strconv.Itoa(c.Status)
			ms = strconv.FormatFloat(float64(c.RespEnd-c.ReqStart)/1e6, 'f', 1, 64)
		}
		path := c.Path
		if c.RawQuery != "" {
			path += "?" + c.RawQuery
		}
		if len(path) > 60 {
			path = path[:57] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n",
			time.Unix(0, c.ReqStart).UTC().Format("2006-01-02 15:04:05.000"), c.Actor.ClientIP, actor, c.Method, c.Host, path, status, ms, c.RespBody.Length)
	}
	_ = tw.Flush() // a terminal write error has nowhere to go
	if t.total > len(t.rows) {
		fmt.Fprintf(w, "... %d more calls (use --format jsonl --calls for all)\n", t.total-len(t.rows))
	}
	fmt.Fprintf(w, "\n%d packets, %d connections, %d calls, %d without response, %d parse errors, %d dropped",
		st.Packets, st.Connections, st.Calls, st.UnpairedRequests, st.ParseErrorTotal(), st.Dropped())
	if len(st.Drops) > 0 {
		var parts []string
		for k, v := range st.Drops {
			parts = append(parts, fmt.Sprintf("%s=%d", k, v))
		}
		slices.Sort(parts)
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
}
