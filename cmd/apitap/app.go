package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func newApp() *cli.App {
	return &cli.App{
		Name:                 "apitap",
		Usage:                "passive API security analyzer",
		EnableBashCompletion: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"APITAP_LOG_LEVEL"}},
			&cli.StringFlag{Name: "log-format", Value: "auto", Usage: "text, json, or auto (text on a terminal, json otherwise)", EnvVars: []string{"APITAP_LOG_FORMAT"}},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile to `FILE`"},
		},
		Before: func(c *cli.Context) error {
			path := c.String("cpuprofile")
			if path == "" {
				return nil
			}
			f, err := os.Create(path)
			if err != nil {
				return fmt.Errorf("--cpuprofile: %w", err)
			}
			profileFile = f
			return pprof.StartCPUProfile(f)
		},
		After: func(*cli.Context) error {
			if profileFile != nil {
				pprof.StopCPUProfile()
				return profileFile.Close()
			}
			return nil
		},
		Commands: []*cli.Command{
			agentCommand(),
			analyzeCommand(),
			analyzerCommand(),
			simulateCommand(),
			migrateCommand(),
			findingsCommand(),
			{
				Name:  "version",
				Usage: "print build information",
				Action: func(c *cli.Context) error {
					fmt.Fprintln(c.App.Writer, version())
					return nil
				},
			},
		},
	}
}

var profileFile *os.File

// Set at link time by image builds, which have no VCS metadata:
// -ldflags "-X main.buildVersion=1.2.3 -X main.buildRevision=<commit>".
var buildVersion, buildRevision string

func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "apitap (unknown build)"
	}
	v := "apitap " + bi.Main.Version
	if buildVersion != "" {
		v = "apitap " + buildVersion
	}
	if buildRevision != "" {
		v += " vcs.revision=" + buildRevision
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.time" {
			v += " " + s.Key + "=" + s.Value
		}
	}
	return v + " " + bi.GoVersion
}

// newLogger builds the structured logger from the global flags.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	format := c.String("log-format")
	if format == "auto" {
		format = "json"
		if term.IsTerminal(int(os.Stderr.Fd())) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text, json or auto, got %q", format)
}
