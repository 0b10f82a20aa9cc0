package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

// detectFlags configure the actor and endpoint stages of analyze.
func detectFlags() []cli.Flag {
	d := detect.DefaultConfig()
	return []cli.Flag{
		&cli.BoolFlag{Name: "detect", Value: true, Usage: "run the baselines and attack detectors", EnvVars: []string{"APITAP_DETECT"}},
		&cli.StringSliceFlag{Name: "disable-detector", Usage: "finding `TYPE` never reported (repeatable)", EnvVars: []string{"APITAP_DISABLE_DETECTORS"}},
		&cli.StringSliceFlag{Name: "allow-actor", Usage: "actor key (JWT sub, pseudonym, ip:ADDR) never reported", EnvVars: []string{"APITAP_ALLOW_ACTORS"}},
		&cli.StringSliceFlag{Name: "allow-ip", Usage: "client `CIDR` never reported", EnvVars: []string{"APITAP_ALLOW_IPS"}},
		&cli.StringSliceFlag{Name: "allow-endpoint", Usage: "\"METHOD /template\" or \"/template\" never reported", EnvVars: []string{"APITAP_ALLOW_ENDPOINTS"}},
		&cli.StringSliceFlag{Name: "internal-host", Usage: "host suffix that is ours (not third party)", EnvVars: []string{"APITAP_INTERNAL_HOSTS"}},
		&cli.IntFlag{Name: "max-actors", Value: d.MaxActors, Usage: "actors kept in the baseline table (LRU beyond)", EnvVars: []string{"APITAP_MAX_ACTORS"}},
		&cli.StringFlag{Name: "state-snapshot", Usage: "write the learned baselines to `FILE` at the end", EnvVars: []string{"APITAP_STATE_SNAPSHOT"}},
		&cli.StringFlag{Name: "state-restore", Usage: "start from the baselines in `FILE`", EnvVars: []string{"APITAP_STATE_RESTORE"}},
	}
}

// detectConfig maps the flags into a detect.Config.
func detectConfig(c *cli.Context) (detect.Config, error) {
	cfg := detect.DefaultConfig()
	cfg.Disabled = c.StringSlice("disable-detector")
	cfg.AllowActors = c.StringSlice("allow-actor")
	cfg.AllowEndpoints = c.StringSlice("allow-endpoint")
	cfg.InternalHosts = c.StringSlice("internal-host")
	cfg.MaxActors = c.Int("max-actors")
	for _, s := range c.StringSlice("allow-ip") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return cfg, fmt.Errorf("--allow-ip %q: %w", s, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		cfg.AllowIPs = append(cfg.AllowIPs, p)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("detector flags (--disable-detector, --allow-*, --max-actors): %w", err)
	}
	return cfg, nil
}

// detector is the analyze sink that orders calls and runs the pipeline.
// Reassembly workers call Consume concurrently.
type detector struct {
	mu       sync.Mutex
	reorder  detect.Reorder
	p        *detect.Pipeline
	snapshot string
	scratch  []report.Finding
}

func newDetector(c *cli.Context, tmpl detect.Templater) (*detector, error) {
	cfg, err := detectConfig(c)
	if err != nil {
		return nil, err
	}
	p, err := detect.NewPipeline(cfg, tmpl)
	if err != nil {
		return nil, err
	}
	if path := c.String("state-restore"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--state-restore: %w", err)
		}
		err = p.Restore(f)
		_ = f.Close() // read-only
		if err != nil {
			return nil, fmt.Errorf("--state-restore %s: %w", path, err)
		}
	}
	return &detector{p: p, snapshot: c.String("state-snapshot"),
		reorder: detect.Reorder{Delay: int64(3 * time.Minute), Max: 1 << 17}}, nil
}

func (d *detector) Consume(_ context.Context, calls []apicall.Call) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range calls {
		d.reorder.Push(&calls[i], d.observe)
	}
	return nil
}

func (d *detector) observe(c *apicall.Call) { d.scratch = d.p.Observe(c, d.scratch[:0]) }

// close flushes held calls, writes the snapshot if asked, and returns
// every finding.
func (d *detector) close() ([]report.Finding, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reorder.Flush(d.observe)
	if d.snapshot != "" {
		f, err := os.Create(d.snapshot)
		if err != nil {
			return nil, fmt.Errorf("--state-snapshot: %w", err)
		}
		err = d.p.Snapshot(f)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("--state-snapshot: %w", cerr)
		}
		if err != nil {
			return nil, err
		}
	}
	return d.p.Findings.All(), nil
}

func (d *detector) stats() detect.Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.p.Stats()
	st.ReorderedEarly, st.ReorderedLate = d.reorder.Early, d.reorder.Late
	return st
}

// writeFindingsJSONL writes one {"kind":"finding"} line per finding, then
// a {"kind":"detection"} line with the stages' table sizes and evictions.
func writeFindingsJSONL(w io.Writer, fs []report.Finding, st detect.Stats) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range fs {
		if err := enc.Encode(&fs[i]); err != nil {
			return fmt.Errorf("write finding: %w", err)
		}
	}
	line := map[string]any{"kind": "detection", "findings": len(fs), "actors": st.Actors, "endpoints": st.Endpoints,
		"actors_evicted_lru": st.ActorsEvictedLRU, "actors_evicted_ttl": st.ActorsEvictedTTL,
		"endpoints_evicted": st.EndpointsEvicted, "findings_dropped": st.FindingsDropped, "calls_reordered_early": st.ReorderedEarly, "calls_late": st.ReorderedLate}
	if err := enc.Encode(line); err != nil {
		return fmt.Errorf("write detection stats: %w", err)
	}
	return nil
}

// firstOf joins the first n values and says how many more there are.
func firstOf(vs []string, n int) string {
	s := strings.Join(vs[:min(n, len(vs))], ",")
	if len(vs) > n {
		s += fmt.Sprintf(" +%d", len(vs)-n)
	}
	return s
}

// writeFindingsTable writes the findings section of the table output.
func writeFindingsTable(w io.Writer, fs []report.Finding) {
	fmt.Fprintf(w, "\nFINDINGS (%d)\n", len(fs))
	if len(fs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tTYPE\tACTOR\tENDPOINT\tCOUNT\tFIRST SEEN\tSUMMARY")
	for i := range fs {
		f := &fs[i]
		actor := f.User
		switch {
		case actor != "":
		case len(f.Users) > 0: // about an endpoint: the callers behind it
			actor = firstOf(f.Users, 2)
		default:
			actor = firstOf(f.ClientIPs, 2)
		}
		sum := f.Summary
		if len(sum) > 110 {
			sum = sum[:107] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%d\t%s\t%s\n", f.Severity, f.Type, actor, f.Host, f.Endpoint, f.Count,
			f.FirstSeen.Format("2006-01-02 15:04:05"), sum)
	}
	_ = tw.Flush() // a terminal write error has nowhere to go
}
