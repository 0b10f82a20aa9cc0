package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/discovery"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

// discoveryFlags configure the endpoint stage of `apitap analyze` and
// `apitap analyzer`.
func discoveryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "spec", Usage: "OpenAPI 3.0 or 3.1 `FILE` (YAML or JSON) the inventory is compared with (repeatable)", EnvVars: []string{"APITAP_SPEC"}},
		&cli.StringSliceFlag{Name: "templates", Usage: "path templates `FILE` (one \"[host] /path/{param}\" per line) that calls no spec matches take instead of learned ones (repeatable)", EnvVars: []string{"APITAP_TEMPLATES"}},
	}
}

// exportFlags are the files `apitap analyze` writes when its input ends.
func exportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "export-templates", Usage: "write the path templates used for calls no spec documents to `FILE`, to correct and give back with --templates", EnvVars: []string{"APITAP_EXPORT_TEMPLATES"}},
		&cli.StringFlag{Name: "export-openapi", Usage: "write an OpenAPI 3.1 document reconstructed from the traffic to `FILE` (.json for JSON, else YAML)", EnvVars: []string{"APITAP_EXPORT_OPENAPI"}},
	}
}

// endpointStage is the inventory wired into the analyze pipeline.
type endpointStage struct {
	inv       *discovery.Inventory
	specs     *discovery.Specs
	export    string
	exportTpl string
}

// newEndpointStage loads the --spec and --templates files; errors name
// the file.
func newEndpointStage(c *cli.Context) (*endpointStage, error) {
	specs, err := discovery.LoadSpecs(c.Context, c.StringSlice("spec"))
	if err != nil {
		return nil, fmt.Errorf("--spec: %w", err)
	}
	tmpls, err := discovery.LoadTemplates(c.StringSlice("templates"))
	if err != nil {
		return nil, fmt.Errorf("--templates: %w", err)
	}
	inv, err := discovery.New(discovery.DefaultConfig(), specs)
	if err != nil {
		return nil, err
	}
	inv.SetTemplates(tmpls)
	return &endpointStage{inv: inv, specs: specs, export: c.String("export-openapi"), exportTpl: c.String("export-templates")}, nil
}

// Sink observes every call, then hands the batch to next. onMatch, when
// not nil, gets each call with the endpoint it hit (the detection stage).
// The reassembly workers call the returned sink concurrently, so onMatch
// runs on several goroutines at once; the inventory itself is locked.
func (s *endpointStage) Sink(next apicall.Sink, onMatch func(*apicall.Call, discovery.Match)) apicall.Sink {
	return apicall.SinkFunc(func(ctx context.Context, calls []apicall.Call) error {
		for i := range calls {
			m := s.inv.Observe(&calls[i])
			if onMatch != nil {
				onMatch(&calls[i], m)
			}
		}
		return next.Consume(ctx, calls)
	})
}

// finish writes the export files, then the inventory in the output format.
func (s *endpointStage) finish(ctx context.Context, out io.Writer, format string) error {
	if s.exportTpl != "" {
		if err := s.writeTemplates(); err != nil {
			return fmt.Errorf("--export-templates %s: %w", s.exportTpl, err)
		}
	}
	if s.export != "" {
		doc, err := s.inv.OpenAPI(ctx, "API observed by apitap")
		if err != nil {
			return fmt.Errorf("--export-openapi %s: %w", s.export, err)
		}
		b, err := discovery.MarshalOpenAPI(doc, strings.HasSuffix(strings.ToLower(s.export), ".json"))
		if err != nil {
			return fmt.Errorf("--export-openapi %s: %w", s.export, err)
		}
		if err := os.WriteFile(s.export, b, 0o644); err != nil {
			return fmt.Errorf("--export-openapi: %w", err)
		}
	}
	eps := s.inv.Endpoints()
	if format == "jsonl" {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		for i := range eps {
			if err := enc.Encode(&eps[i]); err != nil {
				return fmt.Errorf("write endpoints: %w", err)
			}
		}
		fs := s.inv.Findings()
		for i := range fs {
			if err := enc.Encode(&fs[i]); err != nil {
				return fmt.Errorf("write findings: %w", err)
			}
		}
		return nil
	}
	writeInventory(out, eps, s.inv.UncoveredHosts(), len(s.inv.Findings()))
	return nil
}

func (s *endpointStage) writeTemplates() error {
	f, err := os.Create(s.exportTpl)
	if err != nil {
		return err
	}
	if _, err := s.inv.WriteTemplates(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// writeInventory prints the endpoints grouped by host; shadow, zombie and
// dormant endpoints are upper-cased and marked with '!'.
func writeInventory(w io.Writer, eps []report.Endpoint, uncovered []string, findings int) {
	fmt.Fprintf(w, "API inventory: %d endpoints\n", len(eps))
	counts := map[string]int{}
	for _, e := range eps {
		counts[e.Classification]++
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	host := ""
	for _, e := range eps {
		if e.Host != host {
			host = e.Host
			note := ""
			if slices.Contains(uncovered, e.Host) {
				note = " (no spec covers this host: endpoints are unknown)"
			}
			fmt.Fprintf(tw, "\n%s%s\n", e.Host, note) // no tab: each host aligns its own columns
			fmt.Fprintln(tw, " \tMETHOD\tPATH\tCLASS\tCALLS\tACTORS\tAUTH\tSENSITIVE")
		}
		mark, class := " ", e.Classification
		switch class {
		case report.Shadow, report.Zombie, report.Dormant:
			mark, class = "!", strings.ToUpper(class)
		}
		if e.Deprecated {
			class += " (deprecated)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", mark, e.Method, e.Path, class, e.Calls, e.Actors,
			dash(strings.Join(e.Auth, ",")), dash(strings.Join(e.Sensitive, ",")))
	}
	_ = tw.Flush() // a terminal write error has nowhere to go
	var parts []string
	for _, c := range []string{report.Documented, report.Shadow, report.Zombie, report.Dormant, report.Unknown} {
		if counts[c] > 0 {
			parts = append(parts, strconv.Itoa(counts[c])+" "+c)
		}
	}
	fmt.Fprintf(w, "\n%s; %d shadow/zombie findings (--format jsonl for details)\n", strings.Join(parts, ", "), findings)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
