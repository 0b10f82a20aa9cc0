package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helperEnv selects a helper role (server or client) when the test binary
// re-executes itself inside a network namespace.
const helperEnv = "APITAP_E2E_HELPER"

// pseudonymKey is the --pseudonym-key every agent run gets.
const pseudonymKey = "e2e-pseudonym-key-0123456789abcdef"

var (
	// apitapBin is the binary under test, built by TestMain.
	apitapBin string
	// workDir holds files shared by several tests (captures, the binary).
	workDir string
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(m.Run())
	}
	code, err := setupAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setupAndRun(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "apitap-e2e-")
	if err != nil {
		return 0, fmt.Errorf("create work dir: %w", err)
	}
	defer os.RemoveAll(dir)
	workDir = dir
	apitapBin = os.Getenv("APITAP_E2E_BIN")
	if apitapBin == "" {
		apitapBin = filepath.Join(dir, "apitap")
		if err := buildBinary(apitapBin); err != nil {
			return 0, err
		}
	}
	return m.Run(), nil
}

// buildBinary builds ./cmd/apitap the way the Makefile does.
func buildBinary(out string) error {
	// go test puts its own GOROOT/bin first on PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build apitap: %w (or set APITAP_E2E_BIN to a built binary)", err)
	}
	cmd := exec.Command(goBin, "build", "-o", out, "./cmd/apitap")
	cmd.Dir = ".." // the module root, seen from the package directory
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build apitap: %w\n%s", err, b)
	}
	return nil
}

// callJSON is one {"kind":"call"} line of `apitap agent --sink stdout`.
type callJSON struct {
	Kind     string      `json:"kind"`
	ID       string      `json:"id"`
	Client   string      `json:"client"`
	Server   string      `json:"server"`
	Host     string      `json:"host"`
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	Query    string      `json:"query"`
	Proto    string      `json:"proto"`
	Status   int         `json:"status"`
	Request  messageJSON `json:"request"`
	Response messageJSON `json:"response"`
	Actor    actorJSON   `json:"actor"`
	Flags    []string    `json:"flags"`
	Source   struct {
		Kind string `json:"kind"`
		VNI  uint32 `json:"vni"`
	} `json:"source"`
}

// uri is the request target as it was on the wire (origin form).
func (c *callJSON) uri() string {
	if c.Query != "" {
		return c.Path + "?" + c.Query
	}
	return c.Path
}

type messageJSON struct {
	Headers         [][2]string `json:"headers"`
	BodyLength      int64       `json:"body_length"`
	ContentType     string      `json:"content_type"`
	ContentEncoding string      `json:"content_encoding"`
	Truncated       bool        `json:"truncated"`
	DecodeError     string      `json:"decode_error"`
	Body            string      `json:"body"`
	BodyBase64      []byte      `json:"body_base64"`
}

// header returns the first value of the named header, or "".
func (m *messageJSON) header(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

type actorJSON struct {
	Kind     string `json:"kind"`
	User     string `json:"user"`
	ClientIP string `json:"client_ip"`
}

// summaryJSON is the {"kind":"summary"} line.
type summaryJSON struct {
	Kind             string `json:"kind"`
	Packets          int64  `json:"packets"`
	Calls            int64  `json:"calls"`
	UnpairedRequests int64  `json:"unpaired_requests"`
	ParseErrors      int64  `json:"parse_errors"`
	Dropped          int64  `json:"dropped"`
	// The reasons are kept raw: they are only printed.
	ParseErrorReasons json.RawMessage `json:"parse_error_reasons"`
	DropReasons       json.RawMessage `json:"drop_reasons"`
}

// agentRun is the parsed output of one `apitap agent` run.
type agentRun struct {
	calls   []callJSON
	summary summaryJSON
	stdout  []byte
	stderr  []byte
}

// runAgent runs `apitap agent` on the captures with the stdout sink and
// parses its output; any failure ends the test.
func runAgent(t *testing.T, pcaps ...string) *agentRun {
	t.Helper()
	args := []string{"agent", "--sink", "stdout", "--pseudonym-key", pseudonymKey, "--workers", "2", "--progress=false"}
	for _, p := range pcaps {
		args = append(args, "--pcap", p)
	}
	cmd := exec.CommandContext(t.Context(), apitapBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("apitap %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return parseAgentRun(t, stdout.Bytes(), stderr.Bytes())
}

// parseAgentRun parses the call lines and the closing summary of an agent run.
func parseAgentRun(t *testing.T, stdout, stderr []byte) *agentRun {
	t.Helper()
	run := &agentRun{stdout: stdout, stderr: stderr}
	sc := bufio.NewScanner(bytes.NewReader(run.stdout))
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		var c callJSON
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("apitap agent stdout line %d is not JSON: %v: %.200q", n, err, sc.Bytes())
		}
		if c.Kind != "call" {
			t.Fatalf("apitap agent stdout line %d: kind %q, want call", n, c.Kind)
		}
		run.calls = append(run.calls, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read apitap agent stdout: %v", err)
	}
	found := false
	for line := range bytes.Lines(run.stderr) {
		var s summaryJSON
		if json.Unmarshal(line, &s) == nil && s.Kind == "summary" {
			run.summary, found = s, true
		}
	}
	if !found {
		t.Fatalf("apitap agent wrote no summary line on stderr:\n%s", run.stderr)
	}
	if int64(len(run.calls)) != run.summary.Calls {
		t.Errorf("apitap agent: %d call lines on stdout, summary says calls=%d", len(run.calls), run.summary.Calls)
	}
	return run
}

// requireRoot skips the test unless it runs as root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces and packet capture")
	}
}

// requireTools skips the test unless every named program is on PATH.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("needs %s on PATH: %v", n, err)
		}
	}
}
