package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apitap/apitap/internal/pcaptest"
)

// TestCLIErrors checks the one-line errors a user meets first: a missing
// file, a file that is not a capture, a truncated capture (read as far as
// it goes, then said), and bad flags naming the flag.
func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pcap")
	writePcap(t, good, func(c *pcaptest.Capture) {
		for i := range 20 {
			k := c.Conn("172.16.0.9:"+strconv.Itoa(40000+i), "10.0.0.1:80")
			k.Handshake()
			k.Send(true, []byte("GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n"), 1460)
			k.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 1460)
			k.Fin(true)
		}
	})
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.pcap")
	if err := os.WriteFile(truncated, raw[:len(raw)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("hello, this is not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		wantExit bool   // a non-zero exit
		stderr   string // substring of stderr
		stdout   string // substring of stdout
	}{
		{"missing file", []string{"analyze", "--pcap", filepath.Join(dir, "nope.pcap")}, true, "open pcap " + filepath.Join(dir, "nope.pcap") + ": no such file or directory", ""},
		{"not a capture", []string{"analyze", "--pcap", notCapture}, true, notCapture + ": not a pcap or pcapng file", ""},
		{"truncated", []string{"analyze", "--pcap", truncated, "--format", "jsonl"}, false, "capture truncated (every readable packet was processed)", `"kind":"summary"`},
		{"bad format", []string{"analyze", "--pcap", good, "--format", "xml"}, true, "--format: want table or jsonl", ""},
		{"bad sink", []string{"agent", "--pcap", good, "--sink", "kafka"}, true, "--sink: want stdout, file:PATH or null", ""},
		{"skip identity needs null sink", []string{"agent", "--pcap", good, "--skip-identity"}, true, "--skip-identity: only allowed with --sink null", ""},
		{"skip identity", []string{"agent", "--pcap", good, "--skip-identity", "--sink", "null"}, false, `"kind":"summary"`, ""},
		{"bad memory limit", []string{"agent", "--pcap", good, "--memory-limit", "lots"}, true, "--memory-limit", ""},
		{"short key", []string{"agent", "--pcap", good, "--pseudonym-key", "short"}, true, "pseudonym", ""},
		{"no input", []string{"agent"}, true, "give at least one --pcap FILE", ""},
		{"pcap and iface", []string{"agent", "--pcap", good, "--iface", "lo"}, true, "give one of --pcap, --iface or --ebpf", ""},
		{"bad filter", []string{"agent", "--iface", "lo", "--filter", "tcp port"}, true, "--filter and --exclude: filter", ""},
		{"rings over budget", []string{"agent", "--iface", "lo", "--ring-size", "1GiB"}, true, "--ring-size 1GiB", ""},
		{"missing interface", []string{"agent", "--iface", "at3-nonexist0"}, true, "--iface at3-nonexist0: ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !strings.Contains(strings.Join(args, " "), "--pseudonym-key") {
				args = append(args, "--pseudonym-key", pseudonymKey)
			}
			cmd := exec.CommandContext(t.Context(), apitapBin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if (err != nil) != tc.wantExit {
				t.Fatalf("exit error %v, want failure=%v\nstderr: %s", err, tc.wantExit, stderr.Bytes())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tc.stderr)
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tc.stdout)
			}
			if tc.wantExit && strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
				t.Errorf("error is not one line: %q", stderr.String())
			}
		})
	}
}
