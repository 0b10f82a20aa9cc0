package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/simulate"
)

func simulateCommand() *cli.Command {
	d := simulate.DefaultConfig()
	return &cli.Command{
		Name:  "simulate",
		Usage: "write demo traffic: DIR/traffic.pcap, DIR/openapi.yaml and DIR/labels.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Required: true, Usage: "output `DIR` (created if missing)", EnvVars: []string{"APITAP_SIMULATE_OUT"}},
			&cli.Int64Flag{Name: "seed", Value: d.Seed, Usage: "random seed: the same seed writes the same files"},
			&cli.DurationFlag{Name: "duration", Value: d.Duration, Usage: "capture time covered"},
			&cli.IntFlag{Name: "users", Value: d.Users, Usage: "number of users"},
			&cli.Float64Flag{Name: "rate", Value: d.Rate, Usage: "mean benign calls per second"},
			&cli.IntFlag{Name: "max-calls", Usage: "stop after this many calls (0: no limit)"},
			&cli.BoolFlag{Name: "attacks", Value: true, Usage: "include the labeled attacks"},
		},
		Action: func(c *cli.Context) error {
			cfg := simulate.DefaultConfig()
			cfg.Seed = c.Int64("seed")
			cfg.Duration = c.Duration("duration")
			cfg.Users = c.Int("users")
			cfg.Rate = c.Float64("rate")
			cfg.MaxCalls = c.Int("max-calls")
			cfg.Attacks = c.Bool("attacks")
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("simulate flags: %w", err)
			}
			start := time.Now()
			res, err := simulate.Write(c.String("out"), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.ErrWriter, "apitap: wrote %s: %d calls, %d connections, %d packets, %d attacks in %s\n",
				c.String("out"), res.Calls, res.Connections, res.Packets, res.Attacks, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}
