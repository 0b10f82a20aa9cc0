package deployments_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOperationsDoc: the figures in docs/operations.md come from the
// README's benchmarks (each quoted verbatim, or said to be missing), and the
// metrics it explains exist in the code.
func TestOperationsDoc(t *testing.T) {
	doc := operationsDoc()
	if doc == "" {
		t.Fatal("docs/operations.md is missing")
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(readme)), " ") // README lines wrap
	_, sizing, ok := strings.Cut(doc, "\n## Sizing\n")
	if !ok {
		t.Fatal("docs/operations.md has no Sizing section")
	}
	sizing, _, _ = strings.Cut(sizing, "\n## ")
	cite := regexp.MustCompile(`README: "(.+?)"(?: \||$)`)
	rows := 0
	for line := range strings.SplitSeq(sizing, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| question") {
			continue
		}
		rows++
		m := cite.FindStringSubmatch(line)
		switch {
		case m != nil:
			quote := strings.ReplaceAll(m[1], `\|`, "|")
			if !strings.Contains(flat, strings.Join(strings.Fields(quote), " ")) {
				t.Errorf("docs/operations.md cites README %q, which the README does not say", quote)
			}
		case strings.Contains(line, "no README figure yet"):
		default:
			t.Errorf("sizing row cites no README figure and does not say one is missing: %s", line)
		}
	}
	if rows < 5 {
		t.Errorf("sizing table has %d rows, want the agent, analyzer, Kafka and ClickHouse questions", rows)
	}
	for _, q := range []string{"per agent core", "per analyzer core", "Kafka partitions per analyzer replica", "ClickHouse storage per million calls"} {
		if !strings.Contains(sizing, q) {
			t.Errorf("sizing table does not answer %q", q)
		}
	}
	if bad := unknownMetricNames(doc); len(bad) > 0 {
		t.Errorf("docs/operations.md explains metrics no Go code defines: %v", bad)
	}
	for _, s := range []string{"## Upgrade", "## Metrics", "## Alerts", "## No traffic seen"} {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/operations.md lacks %q", s)
		}
	}
}
