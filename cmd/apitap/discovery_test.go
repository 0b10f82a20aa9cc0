package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/discovery"
	"github.com/apitap/apitap/simulate"
)

// analyzeLines runs `apitap analyze` in process and returns its stdout lines.
func analyzeLines(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	// --workers 1: reassembly.Engine.Close writes each worker's ctx while
	// worker goroutines may read it (a race outside this test's scope).
	argv := append([]string{"apitap", "--log-level", "error", "analyze", "--progress=false", "--workers", "1", "--pseudonym-key", "cmd-test-key-0123456789", "--format", "jsonl"}, args...)
	if err := app.RunContext(t.Context(), argv); err != nil {
		t.Fatalf("analyze %v: %v\n%s", args, err, errOut.String())
	}
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestAnalyzeInventory runs the command on simulated traffic with its spec:
// endpoint lines carry the DESIGN.md fields, shadow/zombie findings come
// out, the summary is last, and the exported OpenAPI, given back as the
// spec, documents every seen endpoint.
func TestAnalyzeInventory(t *testing.T) {
	dir := t.TempDir()
	cfg := simulate.DefaultConfig()
	cfg.Duration, cfg.Users = 15*time.Minute, 30
	if _, err := simulate.Write(dir, cfg); err != nil {
		t.Fatal(err)
	}
	pcap, spec := filepath.Join(dir, simulate.PcapFile), filepath.Join(dir, simulate.SpecFile)
	export := filepath.Join(dir, "export.yaml")
	lines := analyzeLines(t, "--pcap", pcap, "--spec", spec, "--export-openapi", export)
	if len(lines) == 0 || lines[len(lines)-1]["kind"] != "summary" {
		t.Fatalf("want a summary line last, got %d lines", len(lines))
	}
	fields := []string{"kind", "host", "method", "path", "classification", "deprecated", "calls", "actors", "status", "first_seen", "last_seen", "sensitive", "auth"}
	kinds := map[string]int{}
	classes := map[string]int{}
	for _, l := range lines {
		kinds[l["kind"].(string)]++
		switch l["kind"] {
		case "endpoint":
			classes[l["classification"].(string)]++
			for _, f := range fields {
				if _, ok := l[f]; !ok && !(l["classification"] == "dormant" && (f == "first_seen" || f == "last_seen")) {
					t.Errorf("endpoint line without %q: %v", f, l)
				}
			}
		case "finding":
			// Discovery's own findings; the detectors' are tested with them.
			if l["type"] == "shadow_api" || l["type"] == "zombie_api" {
				kinds[l["type"].(string)]++
				if l["owasp"] != "API9:2023" {
					t.Errorf("finding %v", l)
				}
			}
		}
	}
	t.Logf("lines by kind %v, endpoints by classification %v", kinds, classes)
	if classes["documented"] == 0 || classes["shadow"] == 0 || classes["zombie"] == 0 || kinds["shadow_api"] == 0 || kinds["zombie_api"] == 0 {
		t.Errorf("want documented, shadow and zombie endpoints and findings, got %v / %v", classes, kinds)
	}
	if _, err := discovery.LoadSpecs(t.Context(), []string{export}); err != nil {
		t.Fatalf("exported spec does not load: %v", err)
	}
	var notDocumented []string
	for _, l := range analyzeLines(t, "--pcap", pcap, "--spec", export) {
		if l["kind"] == "endpoint" && l["classification"] != "documented" && l["deprecated"] != true {
			notDocumented = append(notDocumented, l["method"].(string)+" "+l["path"].(string)+" "+l["classification"].(string))
		}
	}
	sort.Strings(notDocumented)
	if len(notDocumented) > 0 {
		t.Errorf("with the exported spec, not documented: %s", strings.Join(notDocumented, "; "))
	}
}

func TestAnalyzeBadSpec(t *testing.T) {
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err := app.RunContext(t.Context(), []string{"apitap", "--log-level", "error", "analyze", "--pcap", "x.pcap", "--pseudonym-key", "cmd-test-key-0123456789", "--spec", "no/such/spec.yaml"})
	if err == nil || !strings.Contains(err.Error(), "--spec") || !strings.Contains(err.Error(), "no/such/spec.yaml") {
		t.Errorf("error %v: want it to name --spec and the file", err)
	}
}

func TestAnalyzeBadTemplates(t *testing.T) {
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	bad := filepath.Join(t.TempDir(), "bad.templates")
	if err := os.WriteFile(bad, []byte("# fine\n/v1/{a}{b}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := app.RunContext(t.Context(), []string{"apitap", "--log-level", "error", "analyze", "--pcap", "x.pcap", "--pseudonym-key", "cmd-test-key-0123456789", "--templates", bad})
	if err == nil || !strings.Contains(err.Error(), "--templates") || !strings.Contains(err.Error(), "bad.templates:2") {
		t.Errorf("error %v: want it to name --templates, the file and the line", err)
	}
}

// TestAnalyzeExportTemplates: --export-templates writes a templates file
// that loads, and given back with --templates the same capture gives the
// same inventory.
func TestAnalyzeExportTemplates(t *testing.T) {
	dir := t.TempDir()
	cfg := simulate.DefaultConfig()
	cfg.Duration, cfg.Users = 10*time.Minute, 20
	if _, err := simulate.Write(dir, cfg); err != nil {
		t.Fatal(err)
	}
	pcap, spec := filepath.Join(dir, simulate.PcapFile), filepath.Join(dir, simulate.SpecFile)
	file := filepath.Join(dir, "apitap.templates")
	endpoints := func(lines []map[string]any) []string {
		var out []string
		for _, l := range lines {
			if l["kind"] == "endpoint" {
				out = append(out, fmt.Sprint(l["host"], " ", l["method"], " ", l["path"], " ", l["classification"], " ", l["calls"]))
			}
		}
		sort.Strings(out)
		return out
	}
	before := endpoints(analyzeLines(t, "--pcap", pcap, "--spec", spec, "--export-templates", file))
	tm, err := discovery.LoadTemplates([]string{file})
	if err != nil {
		t.Fatal(err)
	}
	if tm.Len() == 0 {
		t.Fatal("no templates written: the capture has undocumented endpoints")
	}
	after := endpoints(analyzeLines(t, "--pcap", pcap, "--spec", spec, "--templates", file))
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("with its own templates back the inventory differs:\nbefore %v\nafter  %v", before, after)
	}
}
