package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/capture/ebpf"
	"github.com/apitap/apitap/internal/admin"
	"github.com/apitap/apitap/reassembly"
)

// ebpfFlags configure `agent --ebpf`.
func ebpfFlags() []cli.Flag {
	d := ebpf.DefaultConfig()
	return []cli.Flag{
		&cli.BoolFlag{Name: "ebpf", Usage: "capture socket data with eBPF instead of reading --pcap files (needs CAP_BPF, CAP_PERFMON; see README)", EnvVars: []string{"APITAP_EBPF"}},
		&cli.StringSliceFlag{Name: "ebpf-ports", Usage: "capture only connections with one of these local or remote ports, e.g. 80,8080,443 (default: all)", EnvVars: []string{"APITAP_EBPF_PORTS"}},
		&cli.BoolFlag{Name: "ebpf-tls", Usage: "also capture TLS plaintext from OpenSSL (libssl) and Go crypto/tls in every process", EnvVars: []string{"APITAP_EBPF_TLS"}},
		&cli.StringSliceFlag{Name: "ebpf-cgroup", Usage: "capture only tasks in these cgroups: cgroup v2 ids or paths under /sys/fs/cgroup (repeatable; default: all)", EnvVars: []string{"APITAP_EBPF_CGROUPS"}},
		&cli.IntFlag{Name: "ebpf-chunk-size", Value: d.ChunkSize, Usage: "largest data chunk per event, bytes (1..16384)", EnvVars: []string{"APITAP_EBPF_CHUNK_SIZE"}},
		&cli.StringFlag{Name: "ebpf-ring-size", Value: "16MiB", Usage: "ring buffer size (a power of two)", EnvVars: []string{"APITAP_EBPF_RING_SIZE"}},
		&cli.BoolFlag{Name: "ebpf-dedup-local", Value: d.DedupLocal, Usage: "report connections between two local sockets once, from the server side", EnvVars: []string{"APITAP_EBPF_DEDUP_LOCAL"}},
	}
}

// ebpfConfig maps the --ebpf-* flags into an ebpf.Config.
func ebpfConfig(c *cli.Context) (ebpf.Config, error) {
	cfg := ebpf.DefaultConfig()
	for _, s := range c.StringSlice("ebpf-ports") {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil || n == 0 {
				return cfg, fmt.Errorf("--ebpf-ports: %q is not a port", p)
			}
			cfg.Ports = append(cfg.Ports, uint16(n))
		}
	}
	for _, s := range c.StringSlice("ebpf-cgroup") {
		id, err := cgroupID(s)
		if err != nil {
			return cfg, fmt.Errorf("--ebpf-cgroup %s: %w", s, err)
		}
		cfg.Cgroups = append(cfg.Cgroups, id)
	}
	ring, err := parseBytes(c.String("ebpf-ring-size"))
	if err != nil {
		return cfg, fmt.Errorf("--ebpf-ring-size: %w", err)
	}
	cfg.RingBufferSize = int(ring)
	cfg.ChunkSize = c.Int("ebpf-chunk-size")
	cfg.TLS = c.Bool("ebpf-tls")
	cfg.DedupLocal = c.Bool("ebpf-dedup-local")
	cfg.IgnorePID = os.Getpid()
	cfg.Node = c.String("node")
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("ebpf flags (--ebpf-ports, --ebpf-cgroup, --ebpf-chunk-size, --ebpf-ring-size): %w", err)
	}
	return cfg, nil
}

// cgroupID reads a cgroup v2 id: a number, or a cgroup directory whose
// inode number is its id.
func cgroupID(s string) (uint64, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, nil
	}
	path := s
	if !strings.HasPrefix(path, "/") {
		path = "/sys/fs/cgroup/" + path
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// runEBPFAgent wires eBPF socket capture → reassembly streams →
// identity/redaction → sink until interrupted, then detaches and flushes.
func runEBPFAgent(c *cli.Context) error {
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	log = log.With("component", "agent")
	if len(c.StringSlice("pcap")) > 0 {
		return errors.New("agent: give either --ebpf or --pcap, not both")
	}
	ecfg, err := ebpfConfig(c)
	if err != nil {
		return err
	}
	ident, err := identityProcessor(c, log)
	if err != nil {
		return err
	}
	rcfg, err := engineConfig(c, apicall.Source{Kind: "ebpf"})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	sink, closeSink, reportSink, err := agentSink(c, reg, log)
	if err != nil {
		return err
	}
	streams, err := reassembly.NewStreams(rcfg, ident.Sink(sink), log)
	if err != nil {
		return err
	}
	capt, err := ebpf.Open(ecfg, log)
	if err != nil {
		return fmt.Errorf("--ebpf: %w", err)
	}
	if err := capt.Register(reg); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	var adminDone chan error
	if addr := c.String("metrics-addr"); addr != "" {
		srv, err := admin.New(addr, reg, log)
		if err != nil {
			_ = capt.Close()
			return err // names --metrics-addr
		}
		srv.SetReady(true)
		adminDone = make(chan error, 1)
		go func() { adminDone <- srv.Run(ctx) }()
	}
	log.Info("ebpf capture attached", "ports", ecfg.Ports, "tls", ecfg.TLS, "cgroups", len(ecfg.Cgroups))
	runErr := capt.Run(ctx, streams)
	// Detach first so nothing new arrives, read what the ring buffer still
	// holds, then flush what is pending.
	detachErr := capt.Detach(streams)
	closeErr := errors.Join(detachErr, capt.Close())
	timeout := c.Duration("shutdown-timeout")
	fctx, fcancel := context.WithTimeout(context.Background(), timeout)
	defer fcancel()
	flushErr := streams.Close(fctx)
	sinkErr := closeSink(fctx)
	cancel()
	var adminErr error
	if adminDone != nil {
		adminErr = <-adminDone
	}
	line := summaryLine(streams.Stats())
	est := capt.Stats()
	line["ebpf"] = map[string]uint64{
		"events": est.Events, "lost_events": est.LostEvents, "gaps": est.Gaps,
		"gap_bytes": est.GapBytes, "truncated_bytes": est.TruncatedBytes, "streams": est.Streams,
		"duplicates": est.Duplicates, "filtered": est.Filtered, "unattributed": est.Unattributed,
		"tls_calls": est.TLSCalls, "tls_unlinked": est.TLSUnlinked, "conn_evictions": est.ConnEvictions,
	}
	reportSink(line)
	summary, _ := json.Marshal(line)
	fmt.Fprintln(os.Stderr, string(summary))
	return errors.Join(runErr, closeErr, flushErr, sinkErr, adminErr)
}
