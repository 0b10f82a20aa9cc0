package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// corpusDir holds real captures from the suricata-verify project.
const corpusDir = "../../shared/corpus/suricata-verify"

// corpusCaptures are the suricata-verify captures apitap is checked on:
// clean HTTP/1.x exchanges that tshark decodes completely. Left out, and why:
//   - http-chunked: one HEAD with "Content-Length: 0" and "Transfer-Encoding:
//     ,.chunked," (a smuggling probe) and no response; the framing is
//     ambiguous, so neither answer is more right than the other.
//   - http-request-line: a single segment with no handshake whose header
//     block never ends; there is no request to compare.
//   - http-range: the directory holds no capture.
//   - http-close-headers, http-response-line: responses cut off inside the
//     header block or body by FIN; tshark reports the request unanswered
//     while a parser may legitimately keep the partial response.
//   - http-protocol-nodup: pipelined requests; tshark links only some of
//     them to their responses (response_in holds fewer values than the
//     frame holds requests), so it gives no reference pairing.
var corpusCaptures = []string{
	"http-post-file",
	"http-ipv6",
	"http-auth-bearer",
	"http-options-method",
	"http-encoding-gzip-uncompressed",
	"http-range-file", // needs tshark's out-of-order reassembly (frame 6 precedes frame 7)
	"http-all-headers",
	"http-multiple100",
	"http-request-header",
	"http-sticky-start",
}

// TestTsharkCrossCheck checks that apitap reports the same multiset of
// (method, request target, status) as tshark on simulated, recorded and
// real-world captures.
func TestTsharkCrossCheck(t *testing.T) {
	requireTools(t, "tshark")
	type capture struct {
		name string
		pcap func(t *testing.T) string
	}
	cases := []capture{
		{"simulated", func(t *testing.T) string { return simulated(t).pcap }},
		{"veth", func(t *testing.T) string { return vethCapture(t).pcap }},
	}
	for _, name := range corpusCaptures {
		cases = append(cases, capture{"suricata-verify/" + name, func(t *testing.T) string {
			p := filepath.Join(corpusDir, name, "input.pcap")
			if _, err := os.Stat(p); err != nil {
				t.Skipf("suricata-verify corpus not present: %v", err)
			}
			return p
		}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pcap := tc.pcap(t)
			want, err := tsharkExchanges(t.Context(), pcap)
			if err != nil {
				t.Fatal(err)
			}
			run := runAgent(t, pcap)
			got := map[string]int{}
			for _, c := range run.calls {
				got[fmt.Sprintf("%s %s %d", c.Method, c.uri(), c.Status)]++
			}
			if len(want) == 0 {
				t.Fatal("tshark found no HTTP request: the capture does not test anything")
			}
			if !maps.Equal(got, want) {
				t.Errorf("(method, target, status) multiset differs from tshark's:\n%s", multisetDiff(want, got))
			}
			if run.summary.ParseErrors != 0 {
				t.Errorf("summary: parse_errors=%d (%s), want 0", run.summary.ParseErrors, run.summary.ParseErrorReasons)
			}
		})
	}
}

// tsharkExchanges returns the multiset of "METHOD target status" tshark
// finds in a capture; a request without response has status 0. Responses
// are matched through the request's http.response_in, which tshark only
// fills in on a second pass (-2).
func tsharkExchanges(ctx context.Context, pcap string) (map[string]int, error) {
	const agg = "\x1e" // record separator: never in a method, target or number
	cmd := exec.CommandContext(ctx, "tshark", "-n", "-2", "-r", pcap,
		"-o", "tcp.reassemble_out_of_order:TRUE",
		"-Y", "http.request || http.response",
		"-T", "fields", "-E", "occurrence=a", "-E", "aggregator="+agg,
		"-e", "frame.number", "-e", "http.request.method", "-e", "http.request.uri",
		"-e", "http.response_in", "-e", "http.response.code")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("tshark -r %s: %w: %s", pcap, err, stderr.Bytes())
	}
	type req struct{ method, uri, respFrame string }
	var reqs []req
	codes := map[string][]string{} // response frame → final status codes in it
	for line := range strings.Lines(stdout.String()) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("tshark -r %s: unexpected line %q", pcap, line)
		}
		frame := f[0]
		if f[1] != "" {
			methods, uris := strings.Split(f[1], agg), strings.Split(f[2], agg)
			var resp []string
			if f[3] != "" {
				resp = strings.Split(f[3], agg)
			}
			if len(uris) != len(methods) || (len(resp) != 0 && len(resp) != len(methods)) {
				return nil, fmt.Errorf("tshark -r %s: frame %s: %d requests, %d targets, %d response links: no reference pairing",
					pcap, frame, len(methods), len(uris), len(resp))
			}
			for i := range methods {
				r := req{method: methods[i], uri: uris[i]}
				if resp != nil {
					r.respFrame = resp[i]
				}
				reqs = append(reqs, r)
			}
		}
		if f[4] != "" {
			for c := range strings.SplitSeq(f[4], agg) {
				if n, err := strconv.Atoi(c); err == nil && n >= 200 {
					codes[frame] = append(codes[frame], c) // 1xx are interim, never paired
				}
			}
		}
	}
	out := map[string]int{}
	used := map[string]int{}
	for _, r := range reqs {
		status := "0"
		if r.respFrame != "" {
			i := used[r.respFrame]
			used[r.respFrame]++
			if i >= len(codes[r.respFrame]) {
				return nil, fmt.Errorf("tshark -r %s: response frame %s holds %d final responses, %d requests point to it",
					pcap, r.respFrame, len(codes[r.respFrame]), i+1)
			}
			status = codes[r.respFrame][i]
		}
		out[r.method+" "+r.uri+" "+status]++
	}
	return out, nil
}

// simulation is the output of `apitap simulate`.
type simulation struct {
	pcap   string
	labels struct {
		Calls int `json:"calls"`
	}
}

var sim struct {
	once sync.Once
	s    *simulation
	err  error
}

// simulated runs `apitap simulate` once per test binary run.
func simulated(t *testing.T) *simulation {
	t.Helper()
	sim.once.Do(func() { sim.s, sim.err = simulate(t.Context()) })
	if sim.err != nil {
		t.Fatal(sim.err)
	}
	return sim.s
}

func simulate(ctx context.Context) (*simulation, error) {
	dir := filepath.Join(workDir, "simulated")
	args := []string{"simulate", "--out", dir, "--duration", "10m", "--users", "30", "--seed", "3"}
	if out, err := exec.CommandContext(ctx, apitapBin, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("apitap %s: %w: %s", strings.Join(args, " "), err, out)
	}
	s := &simulation{pcap: filepath.Join(dir, "traffic.pcap")}
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		return nil, fmt.Errorf("read simulate labels: %w", err)
	}
	if err := json.Unmarshal(b, &s.labels); err != nil {
		return nil, fmt.Errorf("decode simulate labels: %w", err)
	}
	return s, nil
}

// TestSimulatedCallCount checks that the agent and `apitap analyze` find
// every call `apitap simulate` says it wrote.
func TestSimulatedCallCount(t *testing.T) {
	s := simulated(t)
	run := runAgent(t, s.pcap)
	if len(run.calls) != s.labels.Calls {
		t.Errorf("agent reported %d calls, labels.json says %d", len(run.calls), s.labels.Calls)
	}
	for _, c := range run.calls {
		if c.Status == 0 {
			t.Errorf("%s %s: status 0; the simulator answers every request", c.Method, c.uri())
			break
		}
	}
	if s := run.summary; s.ParseErrors != 0 || s.UnpairedRequests != 0 || s.Dropped != 0 {
		t.Errorf("agent summary: parse_errors=%d unpaired_requests=%d dropped=%d, want 0 (reasons %s, %s)",
			s.ParseErrors, s.UnpairedRequests, s.Dropped, s.ParseErrorReasons, s.DropReasons)
	}

	out, err := exec.CommandContext(t.Context(), apitapBin, "analyze", "--pcap", s.pcap, "--format", "jsonl",
		"--pseudonym-key", pseudonymKey, "--progress=false").Output()
	if err != nil {
		t.Fatalf("apitap analyze: %v", err)
	}
	var summary summaryJSON
	found := false
	for line := range bytes.Lines(out) {
		if json.Unmarshal(line, &summary) == nil && summary.Kind == "summary" {
			found = true
		}
	}
	if !found {
		t.Fatalf("apitap analyze --format jsonl printed no summary: %.500s", out)
	}
	if summary.Calls != int64(s.labels.Calls) {
		t.Errorf("apitap analyze summary calls=%d, labels.json says %d", summary.Calls, s.labels.Calls)
	}
}
