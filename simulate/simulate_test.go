package simulate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"gopkg.in/yaml.v3"
)

// smallConfig keeps tests quick while still carrying every attack.
func smallConfig() Config {
	c := DefaultConfig()
	c.Duration = 20 * time.Minute
	c.Users = 40
	return c
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"no start", func(c *Config) { c.Start = time.Time{} }, false},
		{"short", func(c *Config) { c.Duration = time.Second }, false},
		{"few users", func(c *Config) { c.Users = 3 }, false},
		{"zero rate", func(c *Config) { c.Rate = 0 }, false},
		{"negative max", func(c *Config) { c.MaxCalls = -1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	cfg := smallConfig()
	a, b := t.TempDir(), t.TempDir()
	ra, err := Write(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Write(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ra != rb {
		t.Fatalf("results differ: %+v vs %+v", ra, rb)
	}
	for _, f := range []string{PcapFile, SpecFile, LabelsFile} {
		if fileHash(t, filepath.Join(a, f)) != fileHash(t, filepath.Join(b, f)) {
			t.Errorf("%s differs between identical runs", f)
		}
	}
	cfg.Seed = 2
	var buf bytes.Buffer
	if _, err := WritePcap(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(buf.Bytes()) == fileHash(t, filepath.Join(a, PcapFile)) {
		t.Error("seed 2 wrote the same pcap as seed 1")
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

type flowKey struct {
	src, dst         [4]byte
	srcPort, dstPort uint16
}

type segment struct {
	seq  uint32
	data []byte
}

type flow struct {
	isn    uint32
	hasSYN bool
	segs   []segment
	first  int // packet index of the SYN, for stable ordering
}

// stream rebuilds the flow's byte stream; it fails on gaps or on
// overlapping segments whose bytes disagree.
func (f *flow) stream(t *testing.T) []byte {
	t.Helper()
	var out []byte
	base := f.isn + 1
	segs := slices.Clone(f.segs)
	slices.SortStableFunc(segs, func(a, b segment) int { return int(int32(a.seq - b.seq)) })
	for _, s := range segs {
		off := int(int32(s.seq - base))
		switch {
		case off > len(out):
			t.Fatalf("gap in stream at offset %d (have %d)", off, len(out))
		case off+len(s.data) <= len(out):
			if !bytes.Equal(out[off:off+len(s.data)], s.data) {
				t.Fatalf("retransmission at offset %d changes bytes", off)
			}
		default:
			if !bytes.Equal(out[off:], s.data[:len(out)-off]) {
				t.Fatalf("overlap at offset %d changes bytes", off)
			}
			out = append(out, s.data[len(out)-off:]...)
		}
	}
	return out
}

// readPcap checks every packet (timestamps ordered, checksums valid) and
// returns the flows by key.
func readPcap(t *testing.T, r io.Reader) (map[flowKey]*flow, []flowKey, int) {
	t.Helper()
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	if pr.LinkType() != layers.LinkTypeEthernet || pr.Snaplen() != 262144 {
		t.Fatalf("link type %v snaplen %d", pr.LinkType(), pr.Snaplen())
	}
	flows := map[flowKey]*flow{}
	var order []flowKey
	var last time.Time
	n := 0
	for {
		data, ci, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.Timestamp.Before(last) {
			t.Fatalf("packet %d goes back in time", n)
		}
		last = ci.Timestamp
		p := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.NoCopy)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ip == nil || tcp == nil {
			t.Fatalf("packet %d is not IPv4/TCP", n)
		}
		// Short frames carry Ethernet padding after the IP datagram.
		if end := 14 + int(ip.Length); end != len(data) && (len(data) != 60 || end > 60) {
			t.Fatalf("packet %d: IP length %d, frame %d", n, ip.Length, len(data))
		}
		if checksum(data[14:14+20]) != 0 {
			t.Fatalf("packet %d: bad IPv4 checksum", n)
		}
		if tcpChecksum(ip, data[14+20:14+int(ip.Length)]) != 0 {
			t.Fatalf("packet %d: bad TCP checksum", n)
		}
		k := flowKey{[4]byte(ip.SrcIP.To4()), [4]byte(ip.DstIP.To4()), uint16(tcp.SrcPort), uint16(tcp.DstPort)}
		f := flows[k]
		if tcp.SYN {
			if f != nil && f.hasSYN {
				t.Fatalf("packet %d: 4-tuple %v reused", n, k)
			}
			f = &flow{isn: tcp.Seq, hasSYN: true, first: n}
			flows[k] = f
			order = append(order, k)
		}
		if len(tcp.Payload) > 0 {
			if f == nil {
				t.Fatalf("packet %d: data before SYN", n)
			}
			f.segs = append(f.segs, segment{tcp.Seq, slices.Clone(tcp.Payload)})
		}
		n++
	}
	return flows, order, n
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

func tcpChecksum(ip *layers.IPv4, seg []byte) uint16 {
	pseudo := make([]byte, 0, 12+len(seg))
	pseudo = append(pseudo, ip.SrcIP.To4()...)
	pseudo = append(pseudo, ip.DstIP.To4()...)
	pseudo = append(pseudo, 0, 6, byte(len(seg)>>8), byte(len(seg)))
	return checksum(append(pseudo, seg...))
}

// TestPcapParses reassembles every connection and parses both directions
// with net/http: every request has its response, bodies decode.
func TestPcapParses(t *testing.T) {
	cfg := smallConfig()
	var buf bytes.Buffer
	res, err := WritePcap(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	flows, order, n := readPcap(t, bytes.NewReader(buf.Bytes()))
	if n != res.Packets {
		t.Fatalf("read %d packets, Result says %d", n, res.Packets)
	}
	calls, conns, gz, chunked := 0, 0, 0, 0
	for _, k := range order {
		if k.dstPort != 80 {
			continue
		}
		conns++
		rev := flowKey{k.dst, k.src, k.dstPort, k.srcPort}
		reqs := bufio.NewReader(bytes.NewReader(flows[k].stream(t)))
		resps := bufio.NewReader(bytes.NewReader(flows[rev].stream(t)))
		for {
			req, err := http.ReadRequest(reqs)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("conn %v: request %d: %v", k, calls, err)
			}
			if req.Host == "" {
				t.Fatalf("request without Host")
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(resps, req)
			if err != nil {
				t.Fatalf("conn %v: response to %s %s: %v", k, req.Method, req.URL, err)
			}
			body, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				t.Fatalf("response body of %s %s: %v", req.Method, req.URL, err)
			}
			if len(resp.TransferEncoding) > 0 {
				chunked++
			}
			if resp.Header.Get("Content-Encoding") == "gzip" {
				gz++
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && !json.Valid(body) {
				t.Fatalf("%s %s: invalid JSON body %q", req.Method, req.URL, body)
			}
			calls++
		}
		if _, err := resps.Peek(1); err != io.EOF {
			t.Fatalf("conn %v: response bytes left after the last request", k)
		}
	}
	if calls != res.Calls || conns != res.Connections {
		t.Fatalf("parsed %d calls on %d connections, Result %+v", calls, conns, res)
	}
	if gz == 0 || chunked == 0 {
		t.Fatalf("gzip responses %d, chunked %d: want some of each", gz, chunked)
	}
	t.Logf("%+v, %d gzip, %d chunked", res, gz, chunked)
}

// TestTshark checks that Wireshark's dissectors see exactly the calls we
// wrote, as `apitap simulate` users will check with tshark.
func TestTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not on PATH: install the tshark package to run this test")
	}
	dir := t.TempDir()
	res, err := Write(dir, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	var l Labels
	readJSON(t, filepath.Join(dir, LabelsFile), &l)
	pcap := filepath.Join(dir, PcapFile)
	// The brief's command, then responses with out-of-order reassembly on
	// (off by default in tshark, so OOO responses would go undissected).
	out, err := exec.CommandContext(t.Context(), "tshark", "-r", pcap, "-Y", "http.request", "-T", "fields",
		"-e", "http.request.method", "-e", "http.request.uri").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if n := strings.Count(string(out), "\n"); n != res.Calls || n != l.Calls {
		t.Fatalf("tshark saw %d requests, Result.Calls %d, labels calls %d", n, res.Calls, l.Calls)
	}
	out, err = exec.CommandContext(t.Context(), "tshark", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", pcap,
		"-Y", "http.response or _ws.malformed or _ws.expert.severity >= error", "-T", "fields", "-e", "http.response.code").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, ln := range lines {
		if ln == "" {
			t.Fatal("tshark reports a malformed packet or an error")
		}
	}
	if len(lines) != res.Calls {
		t.Fatalf("tshark saw %d responses, want %d", len(lines), res.Calls)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type specDoc struct {
	OpenAPI string `yaml:"openapi"`
	Servers []struct {
		URL string `yaml:"url"`
	} `yaml:"servers"`
	Paths map[string]map[string]yaml.Node `yaml:"paths"`
}

type specOp struct {
	OperationID string `yaml:"operationId"`
	Deprecated  bool   `yaml:"deprecated"`
	Parameters  []struct {
		Name string `yaml:"name"`
		In   string `yaml:"in"`
	} `yaml:"parameters"`
	Responses map[string]any `yaml:"responses"`
}

// TestLabelsAndSpec checks that openapi.yaml is valid YAML shaped like
// OpenAPI 3.0.3, and that labels.json only names endpoints that the spec
// documents or that are labeled shadow.
func TestLabelsAndSpec(t *testing.T) {
	dir := t.TempDir()
	res, err := Write(dir, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, SpecFile))
	if err != nil {
		t.Fatal(err)
	}
	var spec specDoc
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if spec.OpenAPI != "3.0.3" || len(spec.Servers) != 3 {
		t.Fatalf("openapi %q with %d servers", spec.OpenAPI, len(spec.Servers))
	}
	documented := map[string]specOp{}
	opIDs := map[string]bool{}
	for path, item := range spec.Paths {
		for method, node := range item {
			if method == "servers" {
				continue
			}
			var op specOp
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if op.OperationID == "" || opIDs[op.OperationID] || len(op.Responses) == 0 {
				t.Fatalf("%s %s: operationId %q missing, duplicate or no responses", method, path, op.OperationID)
			}
			opIDs[op.OperationID] = true
			for _, p := range op.Parameters {
				if p.In == "path" && !strings.Contains(path, "{"+p.Name+"}") {
					t.Fatalf("%s %s: path parameter %s not in the template", method, path, p.Name)
				}
			}
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}

	var l Labels
	readJSON(t, filepath.Join(dir, LabelsFile), &l)
	if l.Calls != res.Calls || l.Seed != 1 {
		t.Fatalf("labels calls %d seed %d, Result %+v", l.Calls, l.Seed, res)
	}
	classes := map[string]string{}
	counts := map[string]int{}
	total := 0
	for _, e := range l.Endpoints {
		key := e.Method + " " + e.Template
		classes[key] = e.Classification
		counts[e.Classification]++
		total += e.Calls
		op, inSpec := documented[key]
		switch e.Classification {
		case "documented":
			if !inSpec || op.Deprecated {
				t.Errorf("%s labeled documented: in spec %v, deprecated %v", key, inSpec, op.Deprecated)
			}
		case "zombie":
			if !inSpec || !op.Deprecated {
				t.Errorf("%s labeled zombie but not deprecated in the spec", key)
			}
		case "dormant":
			if !inSpec || e.Calls != 0 {
				t.Errorf("%s labeled dormant: in spec %v, %d calls", key, inSpec, e.Calls)
			}
		case "shadow", "unknown":
			if inSpec {
				t.Errorf("%s labeled %s but documented", key, e.Classification)
			}
		default:
			t.Errorf("%s: unknown classification %q", key, e.Classification)
		}
	}
	for key := range documented {
		if _, ok := classes[key]; !ok {
			t.Errorf("documented %s missing from labels", key)
		}
	}
	if total != l.Calls {
		t.Errorf("endpoint calls sum to %d, labels say %d", total, l.Calls)
	}
	for _, c := range []string{"documented", "shadow", "zombie", "dormant"} {
		if counts[c] == 0 {
			t.Errorf("no %s endpoint", c)
		}
	}
	if n := len(l.Endpoints); n < 25 || n > 40 {
		t.Errorf("%d endpoint templates, want 25-40", n)
	}

	types := map[string]int{}
	for _, ep := range append(slices.Clone(l.Attacks), l.BenignLookalikes...) {
		if _, ok := classes[ep.Endpoint]; !ok {
			t.Errorf("%s episode on unknown endpoint %q", ep.Type, ep.Endpoint)
		}
		if ep.Calls == 0 || len(ep.ClientIPs) == 0 || ep.Start > ep.End {
			t.Errorf("%s episode malformed: %+v", ep.Type, ep)
		}
		if ep.Actor == "" && ep.Type != "credential_stuffing" && ep.Type != "marketing_burst" && len(ep.ClientIPs) != 1 {
			t.Errorf("anonymous %s episode without a single client IP", ep.Type)
		}
		types[ep.Type]++
	}
	for _, typ := range []string{"bola_enumeration", "credential_stuffing", "brute_force", "shadow_api", "zombie_api",
		"injection_attempt", "ssrf", "scraping", "mass_assignment", "unauthenticated_access", "sensitive_data_exposure"} {
		if types[typ] == 0 {
			t.Errorf("no %s attack labeled", typ)
		}
	}
	if len(l.Attacks) != res.Attacks || len(l.BenignLookalikes) == 0 {
		t.Errorf("%d attacks (Result %d), %d look-alikes", len(l.Attacks), res.Attacks, len(l.BenignLookalikes))
	}
	for _, a := range l.Attacks {
		if a.OWASP == "" {
			t.Errorf("%s without OWASP category", a.Type)
		}
		if a.Type == "credential_stuffing" && len(a.ClientIPs) < 10 {
			t.Errorf("credential stuffing from only %d IPs", len(a.ClientIPs))
		}
		if a.Type == "bola_enumeration" && a.Calls < 100 {
			t.Errorf("bola enumeration of only %d calls", a.Calls)
		}
	}
}

func TestNoAttacksAndMaxCalls(t *testing.T) {
	cfg := smallConfig()
	cfg.Attacks = false
	cfg.MaxCalls = 500
	dir := t.TempDir()
	res, err := Write(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 500 || res.Attacks != 0 {
		t.Fatalf("Result %+v, want 500 calls and no attacks", res)
	}
	var l Labels
	readJSON(t, filepath.Join(dir, LabelsFile), &l)
	if l.Calls != 500 || len(l.Attacks) != 0 || len(l.BenignLookalikes) != 0 {
		t.Fatalf("labels: %d calls, %d attacks, %d look-alikes", l.Calls, len(l.Attacks), len(l.BenignLookalikes))
	}
}

func TestGenerators(t *testing.T) {
	w := newWorld(DefaultConfig())
	for _, a := range w.actors {
		if !luhnValid(a.card) || len(a.card) != 16 {
			t.Fatalf("card %s of %s fails Luhn", a.card, a.sub)
		}
		if !strings.HasPrefix(a.iban, "DE") || len(a.iban) != 22 {
			t.Fatalf("iban %s", a.iban)
		}
	}
	for _, e := range catalog {
		p := string(e.appendPath(nil, "1", "2"))
		if strings.ContainsAny(p, "{}") {
			t.Fatalf("%s built %s", e.tmpl, p)
		}
	}
	if got := queryEscape("http://169.254.169.254/x y"); got != "http%3A%2F%2F169.254.169.254%2Fx+y" {
		t.Fatalf("queryEscape = %s", got)
	}
}

// BenchmarkWritePcap reports the generation cost per call; -benchtime=1x
// with the default config gives the time of the standard demo capture.
func BenchmarkWritePcap(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Rate = 50
	cfg.Duration = 4 * time.Hour
	cfg.MaxCalls = 200000
	for b.Loop() {
		res, err := WritePcap(io.Discard, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Calls), "calls/op")
		b.ReportMetric(float64(res.Packets), "packets/op")
	}
}
