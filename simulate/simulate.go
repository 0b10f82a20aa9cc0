package simulate

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Result counts what a run wrote.
type Result struct {
	// Calls is the number of request/response pairs.
	Calls int
	// Packets is the number of packets in the pcap.
	Packets int
	// Connections is the number of TCP connections.
	Connections int
	// Attacks is the number of labeled attack episodes.
	Attacks int
}

// Output file names inside the directory given to Write.
const (
	PcapFile   = "traffic.pcap"
	SpecFile   = "openapi.yaml"
	LabelsFile = "labels.json"
)

// Write creates dir if needed and writes dir/traffic.pcap, dir/openapi.yaml
// and dir/labels.json for cfg.
func Write(dir string, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, fmt.Errorf("invalid config: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("create output dir: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, PcapFile))
	if err != nil {
		return Result{}, fmt.Errorf("create pcap: %w", err)
	}
	g, res, err := generate(f, cfg)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close pcap: %w", cerr)
	}
	if err != nil {
		return res, err
	}
	lb, err := marshalLabels(g.labels(g.pw.first, g.pw.last))
	if err != nil {
		return res, err
	}
	if err := os.WriteFile(filepath.Join(dir, LabelsFile), lb, 0o644); err != nil {
		return res, fmt.Errorf("write labels: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, SpecFile), openAPISpec(), 0o644); err != nil {
		return res, fmt.Errorf("write spec: %w", err)
	}
	return res, nil
}

// WritePcap streams only the pcap of cfg to w, buffered.
func WritePcap(w io.Writer, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, fmt.Errorf("invalid config: %w", err)
	}
	_, res, err := generate(w, cfg)
	return res, err
}

// OpenAPISpec returns the openapi.yaml that Write writes; it does not
// depend on the Config.
func OpenAPISpec() []byte { return openAPISpec() }

func generate(w io.Writer, cfg Config) (*engine, Result, error) {
	g, bw, err := newEngine(cfg, w)
	if err != nil {
		return nil, Result{}, err
	}
	err = g.run()
	if ferr := flush(bw); err == nil {
		err = ferr
	}
	res := Result{Calls: g.calls, Packets: g.pw.n, Connections: g.conns}
	for _, a := range g.attacks {
		if a.calls > 0 {
			res.Attacks++
		}
	}
	return g, res, err
}

func flush(bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("flush pcap: %w", err)
	}
	return nil
}
