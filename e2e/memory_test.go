package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apitap/apitap/internal/pcaptest"
)

// TestMemoryBounded runs the agent on captures built to exhaust memory and
// checks its peak RSS stays under the memory limit, with the shed counters
// saying what was given up.
func TestMemoryBounded(t *testing.T) {
	dir := t.TempDir()
	flood := filepath.Join(dir, "halfopen.pcap")
	writePcap(t, flood, func(c *pcaptest.Capture) {
		// 100k half-open connections (SYN, no answer), with real exchanges
		// early on.
		for i := range 100000 {
			if i%20000 == 0 {
				k := c.Conn(fmt.Sprintf("192.168.9.9:%d", 40000+i/20000), "10.0.0.1:80")
				k.Handshake()
				k.Send(true, []byte("GET /real HTTP/1.1\r\nHost: api.shop.test\r\n\r\n"), 1460)
				k.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 1460)
				k.Fin(true)
			}
			c.Conn(fmt.Sprintf("172.16.%d.%d:%d", i/60000, i%250+1, 1024+i%60000), "10.0.0.1:80").Syn()
		}
	})
	big := filepath.Join(dir, "bigbody.pcap")
	const bodyLen = 1 << 30
	writePcap(t, big, func(c *pcaptest.Capture) {
		k := c.Conn("172.16.0.9:51000", "10.0.0.1:80")
		k.Handshake()
		k.Send(true, []byte("GET /dump HTTP/1.1\r\nHost: api.shop.test\r\n\r\n"), 1460)
		k.Send(false, []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", bodyLen)), 1460)
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4000) // 64000 bytes
		for sent := 0; sent < bodyLen; sent += len(chunk) {
			k.SendSegment(false, chunk[:min(len(chunk), bodyLen-sent)])
		}
		k.Send(true, []byte("GET /after HTTP/1.1\r\nHost: api.shop.test\r\n\r\n"), 1460)
		k.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 1460)
		k.Fin(true)
	})

	tests := []struct {
		name, pcap, limit string
		limitBytes        int64
		check             func(t *testing.T, out []callJSON, s map[string]any)
	}{
		{"half-open default limit", flood, "512MiB", 512 << 20, func(t *testing.T, out []callJSON, s map[string]any) {
			if got := num(s["connections"]); got != 100005 {
				t.Errorf("connections = %v, want all 100005 tracked within the default budget", got)
			}
			if len(out) != 5 {
				t.Errorf("%d calls, want the 5 real ones", len(out))
			}
		}},
		{"half-open small limit", flood, "64MiB", 64 << 20, func(t *testing.T, out []callJSON, s map[string]any) {
			drops, _ := s["drop_reasons"].(map[string]any)
			if num(drops["conn_limit"])+num(drops["conn_pressure"]) == 0 {
				t.Errorf("no conn_limit or conn_pressure sheds under a 64MiB budget: %v", s)
			}
			// Near the limit SYNs no longer open connections, data does: the real
			// exchanges are still read.
			if len(out) != 5 {
				t.Errorf("%d calls, want the 5 real ones", len(out))
			}
		}},
		{"1 GiB body", big, "512MiB", 512 << 20, func(t *testing.T, out []callJSON, s map[string]any) {
			if len(out) != 2 || out[0].Path != "/dump" || out[1].Path != "/after" || out[1].Status != 200 {
				t.Fatalf("calls = %+v, want /dump then /after", out)
			}
			r := out[0].Response
			if r.BodyLength != bodyLen || !r.Truncated {
				t.Errorf("/dump response body_length %d truncated %v, want %d and truncated", r.BodyLength, r.Truncated, bodyLen)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), apitapBin, "agent", "--pcap", tc.pcap, "--sink", "stdout",
				"--memory-limit", tc.limit, "--workers", "1", "--progress=false", "--pseudonym-key", pseudonymKey)
			cmd.Env = append(os.Environ(), "GOMEMLIMIT=")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("agent: %v\n%s", err, stderr.Bytes())
			}
			var summary map[string]any
			for line := range strings.Lines(stderr.String()) {
				if strings.Contains(line, `"kind":"summary"`) {
					if err := json.Unmarshal([]byte(line), &summary); err != nil {
						t.Fatal(err)
					}
				}
			}
			var calls []callJSON
			for line := range bytes.Lines(stdout.Bytes()) {
				var c callJSON
				if err := json.Unmarshal(line, &c); err != nil {
					t.Fatal(err)
				}
				calls = append(calls, c)
			}
			// The agent reports its own VmHWM: the rusage of a child can
			// include this test's memory (vfork shares it until exec).
			rss := int64(num(summary["peak_rss_bytes"]))
			if rss == 0 {
				t.Fatalf("summary has no peak_rss_bytes: %v", summary)
			}
			t.Logf("peak RSS %d MiB (limit %s); summary %v", rss>>20, tc.limit, summary)
			if rss > tc.limitBytes {
				t.Errorf("peak RSS %d MiB over the %s limit", rss>>20, tc.limit)
			}
			tc.check(t, calls, summary)
		})
	}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// writePcap streams a generated capture to path.
func writePcap(t *testing.T, path string, build func(c *pcaptest.Capture)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	c := pcaptest.NewStream(pcaptest.LinkEthernet, f)
	build(c)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
