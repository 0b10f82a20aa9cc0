package deployments_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

var metricName = regexp.MustCompile(`\bapitap_[a-z0-9_]+`)

// definedMetrics are the apitap_* metric names written as string literals
// in the repository's non-test Go code (every metric is declared that way).
var definedMetrics = sync.OnceValues(func() (map[string]bool, error) {
	out := map[string]bool{}
	lit := regexp.MustCompile(`"(apitap_[a-z0-9_]+)"`)
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == ".cache") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
		return nil
	})
	return out, err
})

// unknownMetricNames returns the apitap_* names in text that no Go code
// defines (histogram series suffixes allowed).
func unknownMetricNames(text string) []string {
	defined, err := definedMetrics()
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, m := range metricName.FindAllString(text, -1) {
		base := m
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(m, suf); ok && defined[b] {
				base = b
			}
		}
		if !defined[base] {
			out = append(out, m)
		}
	}
	return out
}

// operationsDoc is docs/operations.md ("" when missing: checks then fail).
var operationsDoc = sync.OnceValue(func() string {
	b, _ := os.ReadFile(filepath.Join(repoRoot, "docs/operations.md"))
	return string(b)
})
