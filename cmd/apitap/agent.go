package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/storage/jsonl"
)

func agentCommand() *cli.Command {
	flags := append(captureFlags(), identityFlags()...)
	flags = append(flags, liveFlags()...)
	flags = append(flags, ebpfFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "sink", Value: "stdout", Usage: "where calls go without --kafka: stdout, file:PATH or null", EnvVars: []string{"APITAP_SINK"}},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: 10 * time.Second, Usage: "time allowed to flush on exit", EnvVars: []string{"APITAP_SHUTDOWN_TIMEOUT"}},
		// For make bench: measures capture → paired calls alone. Only with
		// the null sink, so no unredacted call can leave the process.
		&cli.BoolFlag{Name: "skip-identity", Hidden: true, Usage: "benchmarks only: skip actor extraction and redaction (requires --sink null)"},
	)
	flags = append(flags, kafkaConnFlags()...)
	flags = append(flags, kafkaProducerFlags()...)
	return &cli.Command{
		Name:   "agent",
		Usage:  "node agent: capture (--pcap files or live --iface), reassemble, identify and redact, then ship API calls",
		Flags:  flags,
		Action: runAgent,
	}
}

// runAgent wires capture → reassembly → identity/redaction → sink.
func runAgent(c *cli.Context) error {
	sources := 0
	for _, set := range []bool{len(c.StringSlice("iface")) > 0, len(c.StringSlice("pcap")) > 0, c.Bool("ebpf")} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return fmt.Errorf("agent: give one of --pcap, --iface or --ebpf")
	}
	if c.Bool("ebpf") {
		return runEBPFAgent(c)
	}
	if len(c.StringSlice("iface")) > 0 {
		return runLive(c)
	}
	p, err := newFilePipeline(c, "agent")
	if err != nil {
		return err
	}
	sink, closeSink, reportSink, err := agentSink(c, nil, p.log)
	if err != nil {
		return err
	}
	if c.Bool("skip-identity") {
		if c.String("sink") != "null" {
			return errors.New("--skip-identity: only allowed with --sink null (calls would leave unredacted)")
		}
		p.ident = nil
	}
	st, warnings, runErr := p.run(c, sink, c.Duration("shutdown-timeout"))
	ctx, cancel := context.WithTimeout(context.Background(), c.Duration("shutdown-timeout"))
	defer cancel()
	closeErr := closeSink(ctx)
	line := summaryLine(st)
	reportSink(line)
	summary, _ := json.Marshal(line)
	fmt.Fprintln(os.Stderr, string(summary))
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "apitap: warning:", w)
	}
	return errors.Join(runErr, closeErr)
}

// openSink parses --sink.
func openSink(spec string) (apicall.Sink, func(context.Context) error, error) {
	switch {
	case spec == "stdout":
		w := jsonl.NewWriter(os.Stdout)
		return w, w.Close, nil
	case spec == "null":
		return apicall.Discard, func(context.Context) error { return nil }, nil
	case strings.HasPrefix(spec, "file:"):
		w, err := jsonl.Create(strings.TrimPrefix(spec, "file:"))
		if err != nil {
			return nil, nil, fmt.Errorf("--sink %s: %w", spec, err)
		}
		return w, w.Close, nil
	}
	return nil, nil, fmt.Errorf("--sink: want stdout, file:PATH or null, got %q", spec)
}
