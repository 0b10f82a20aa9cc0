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
	flags = append(flags, ebpfFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "sink", Value: "stdout", Usage: "where calls go: stdout, file:PATH or null", EnvVars: []string{"APITAP_SINK"}},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: 10 * time.Second, Usage: "time allowed to flush on exit", EnvVars: []string{"APITAP_SHUTDOWN_TIMEOUT"}},
	)
	return &cli.Command{
		Name:   "agent",
		Usage:  "node agent: capture, reassemble, identify and redact, then ship API calls",
		Flags:  flags,
		Action: runAgent,
	}
}

// runAgent wires capture → reassembly → identity/redaction → sink.
func runAgent(c *cli.Context) error {
	if c.Bool("ebpf") {
		return runEBPFAgent(c)
	}
	p, err := newFilePipeline(c, "agent")
	if err != nil {
		return err
	}
	sink, closeSink, err := openSink(c.String("sink"))
	if err != nil {
		return err
	}
	st, warnings, runErr := p.run(c, sink, c.Duration("shutdown-timeout"))
	ctx, cancel := context.WithTimeout(context.Background(), c.Duration("shutdown-timeout"))
	defer cancel()
	closeErr := closeSink(ctx)
	summary, _ := json.Marshal(summaryLine(st))
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
