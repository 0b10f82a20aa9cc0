package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// findingJSON is one {"kind":"finding"} line of `apitap analyze --format jsonl`.
type findingJSON struct {
	Kind      string         `json:"kind"`
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	OWASP     string         `json:"owasp"`
	Severity  string         `json:"severity"`
	User      string         `json:"user"`
	ClientIPs []string       `json:"client_ips"`
	Endpoint  string         `json:"endpoint"`
	Host      string         `json:"host"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	Count     int64          `json:"count"`
	Summary   string         `json:"summary"`
	Evidence  map[string]any `json:"evidence"`
}

// TestAnalyzeFindings runs simulate then analyze on the default scenario
// and checks the findings contract of DESIGN.md, the labeled attack types
// found, the table section, and a snapshot written then restored.
func TestAnalyzeFindings(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.CommandContext(t.Context(), apitapBin, "simulate", "--out", dir, "--seed", "9").CombinedOutput(); err != nil {
		t.Fatalf("simulate: %v: %s", err, out)
	}
	pcap, snap := filepath.Join(dir, "traffic.pcap"), filepath.Join(dir, "state.gob")
	out, err := exec.CommandContext(t.Context(), apitapBin, "analyze", "--pcap", pcap, "--format", "jsonl", "--progress=false",
		"--pseudonym-key", pseudonymKey, "--state-snapshot", snap).Output()
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	var labels struct {
		Attacks []struct {
			Type string `json:"type"`
		} `json:"attacks"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	found, ids := map[string]int{}, map[string]bool{}
	for line := range bytes.Lines(out) {
		var f findingJSON
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		if f.Kind != "finding" {
			continue
		}
		found[f.Type]++
		if f.ID == "" || ids[f.ID] {
			t.Errorf("finding id %q empty or repeated", f.ID)
		}
		ids[f.ID] = true
		if (f.OWASP == "" && f.Type != "anomalous_behavior") || f.Severity == "" || f.Summary == "" || len(f.Evidence) == 0 ||
			f.Count < 1 || f.LastSeen.Before(f.FirstSeen) || f.FirstSeen.IsZero() || f.Host == "" || (f.User == "" && len(f.ClientIPs) == 0) {
			t.Errorf("incomplete finding: %+v", f)
		}
	}
	missing := 0
	for _, a := range labels.Attacks {
		if a.Type != "shadow_api" && a.Type != "zombie_api" && found[a.Type] == 0 {
			missing++
			t.Logf("no %s finding", a.Type)
		}
	}
	if missing > len(labels.Attacks)/10 {
		t.Errorf("%d of %d labeled attacks have no finding of their type (found %v)", missing, len(labels.Attacks), found)
	}
	if st, err := os.Stat(snap); err != nil || st.Size() == 0 {
		t.Fatalf("snapshot not written: %v", err)
	}
	table, err := exec.CommandContext(t.Context(), apitapBin, "analyze", "--pcap", pcap, "--progress=false",
		"--pseudonym-key", pseudonymKey, "--state-restore", snap, "--rows", "1").Output()
	if err != nil {
		t.Fatalf("analyze --state-restore: %v", err)
	}
	if !strings.Contains(string(table), "FINDINGS (") || !strings.Contains(string(table), "bola_enumeration") {
		t.Errorf("table without findings section: %.800s", table)
	}
	bad := exec.CommandContext(t.Context(), apitapBin, "analyze", "--pcap", pcap, "--state-restore", filepath.Join(dir, "labels.json"))
	if msg, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(msg), "--state-restore") {
		t.Errorf("a bad snapshot was accepted or the error does not name the flag: %s", msg)
	}
}
