package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/analyzer/identity"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/capture"
	"github.com/apitap/apitap/capture/pcapfile"
	"github.com/apitap/apitap/reassembly"
)

// captureFlags configure reading, reassembly and HTTP parsing.
func captureFlags() []cli.Flag {
	d := reassembly.DefaultConfig()
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "pcap", Usage: "read a pcap or pcapng `FILE` (repeatable)", EnvVars: []string{"APITAP_PCAP"}},
		&cli.StringFlag{Name: "memory-limit", Value: "512MiB", Usage: "memory budget (KiB, MiB, GiB suffixes): sets the Go memory limit unless GOMEMLIMIT is set (and GOGC=300 unless GOGC is set), and sizes the connection and out-of-order buffer limits that are not given explicitly", EnvVars: []string{"APITAP_MEMORY_LIMIT"}},
		&cli.IntFlag{Name: "workers", Value: d.Workers, Usage: "reassembly workers (connection shards)", EnvVars: []string{"APITAP_WORKERS"}},
		&cli.IntFlag{Name: "max-connections", Usage: "TCP connections tracked at once; more are shed and counted (default: from --memory-limit)", EnvVars: []string{"APITAP_MAX_CONNECTIONS"}},
		&cli.IntFlag{Name: "max-buffered-pages", Usage: "out-of-order pages (1900 bytes each) buffered in total (default: from --memory-limit)", EnvVars: []string{"APITAP_MAX_BUFFERED_PAGES"}},
		&cli.IntFlag{Name: "max-body", Value: d.HTTP.MaxBodyBytes, Usage: "body bytes kept per request or response, after decoding", EnvVars: []string{"APITAP_MAX_BODY"}},
		&cli.DurationFlag{Name: "idle-timeout", Value: d.IdleTimeout, Usage: "close connections idle this long (capture time)", EnvVars: []string{"APITAP_IDLE_TIMEOUT"}},
		&cli.DurationFlag{Name: "response-timeout", Value: d.ResponseTimeout, Usage: "emit a request with status 0 when no response came within this time", EnvVars: []string{"APITAP_RESPONSE_TIMEOUT"}},
		&cli.StringFlag{Name: "node", Usage: "node name recorded in each call's source", EnvVars: []string{"APITAP_NODE_NAME", "NODE_NAME"}},
		&cli.BoolFlag{Name: "progress", Value: true, Usage: "report progress on stderr for long files", EnvVars: []string{"APITAP_PROGRESS"}},
	}
}

// identityFlags configure actor extraction and redaction at the edge.
func identityFlags() []cli.Flag {
	d := identity.DefaultConfig()
	return []cli.Flag{
		&cli.StringFlag{Name: "pseudonym-key", Usage: "HMAC key (at least 16 bytes) for pseudonyms of API keys, sessions and users; random per run when unset", EnvVars: []string{"APITAP_PSEUDONYM_KEY"}},
		&cli.StringSliceFlag{Name: "api-key-header", Value: cli.NewStringSlice(d.APIKeyHeaders...), Usage: "request headers that carry API keys", EnvVars: []string{"APITAP_API_KEY_HEADERS"}},
		&cli.StringSliceFlag{Name: "session-cookie", Value: cli.NewStringSlice(d.SessionCookies...), Usage: "cookie names that carry sessions", EnvVars: []string{"APITAP_SESSION_COOKIES"}},
		&cli.StringSliceFlag{Name: "redact-header", Usage: "extra header names whose values are redacted", EnvVars: []string{"APITAP_REDACT_HEADERS"}},
		&cli.StringSliceFlag{Name: "redact-field", Value: cli.NewStringSlice(d.RedactFields...), Usage: "JSON, form and query field names (substrings) whose values are redacted", EnvVars: []string{"APITAP_REDACT_FIELDS"}},
		&cli.StringSliceFlag{Name: "trusted-proxy", Usage: "CIDR of proxies whose X-Forwarded-For / Forwarded headers are honored", EnvVars: []string{"APITAP_TRUSTED_PROXIES"}},
		&cli.BoolFlag{Name: "keep-pii", Usage: "keep card numbers in bodies instead of masking them", EnvVars: []string{"APITAP_KEEP_PII"}},
	}
}

// engineConfig maps the capture flags into a reassembly.Config.
func engineConfig(c *cli.Context, src apicall.Source) (reassembly.Config, error) {
	cfg := reassembly.DefaultConfig()
	cfg.Workers = c.Int("workers")
	limit, err := parseBytes(c.String("memory-limit"))
	if err != nil {
		return cfg, fmt.Errorf("--memory-limit: %w", err)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(heapBudget(limit))
	}
	if os.Getenv("GOGC") == "" {
		// The memory limit bounds the heap, so GC can run less often than
		// the default; measured 9% faster on the bench pcap (see README).
		debug.SetGCPercent(300)
	}
	cfg.MaxConnections, cfg.MaxBufferedPagesTotal = budget(heapBudget(limit))
	if c.IsSet("max-connections") {
		cfg.MaxConnections = c.Int("max-connections")
	}
	if c.IsSet("max-buffered-pages") {
		cfg.MaxBufferedPagesTotal = c.Int("max-buffered-pages")
	}
	cfg.HTTP.MaxBodyBytes = c.Int("max-body")
	cfg.IdleTimeout = c.Duration("idle-timeout")
	cfg.ResponseTimeout = c.Duration("response-timeout")
	src.Node = c.String("node")
	cfg.Source = src
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("capture flags (--memory-limit, --workers, --max-connections, --max-buffered-pages, --max-body, --idle-timeout, --response-timeout): %w", err)
	}
	return cfg, nil
}

// Memory costs measured with a SYN flood (see e2e TestMemoryBounded): a
// tracked connection costs about 1 KiB, doubled here for the parsers and
// pending messages of busy ones; an out-of-order page is 1900 bytes.
const (
	connCost = 2 << 10
	pageCost = 1900
)

// processBase is the resident memory of the process before it holds any
// traffic: the binary's pages in use and the runtime (`apitap version`
// peaks at about 45 MiB RSS with every subsystem linked in).
const processBase = 40 << 20

// heapBudget is the part of a --memory-limit left for the Go heap once the
// process itself is resident; at least half the limit.
func heapBudget(limit int64) int64 { return max(limit-processBase, limit/2) }

// budget splits a heap budget: half for connection state, a quarter for
// out-of-order data, the rest for the runtime, batches and bodies in flight.
func budget(limit int64) (conns, pages int) {
	conns = int(min(limit/2/connCost, 1<<22))
	pages = int(min(limit/4/pageCost, 1<<22))
	return max(conns, 1024), max(pages, 1024)
}

// parseBytes reads sizes such as 512MiB, 2GiB, 64MB or 1048576.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive size such as 512MiB, got %q", s)
	}
	return n * mult, nil
}

// identityProcessor maps the identity flags into an identity.Processor.
func identityProcessor(c *cli.Context, log *slog.Logger) (*identity.Processor, error) {
	cfg := identity.DefaultConfig()
	key := c.String("pseudonym-key")
	if key == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("generate pseudonym key: %w", err)
		}
		cfg.Key = b
		log.Warn("no --pseudonym-key: pseudonyms are random for this run and will differ next time")
	} else {
		cfg.Key = []byte(key)
	}
	cfg.APIKeyHeaders = c.StringSlice("api-key-header")
	cfg.SessionCookies = c.StringSlice("session-cookie")
	cfg.RedactHeaders = c.StringSlice("redact-header")
	cfg.RedactFields = c.StringSlice("redact-field")
	cfg.KeepPII = c.Bool("keep-pii")
	for _, s := range c.StringSlice("trusted-proxy") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("--trusted-proxy %q: not a CIDR or address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("identity flags (--pseudonym-key, --api-key-header, --session-cookie, --redact-*): %w", err)
	}
	return identity.New(cfg)
}

// filePipeline is capture → reassembly → identity/redaction over the
// --pcap files, as both agent and analyze run it; they differ in the sink.
type filePipeline struct {
	log   *slog.Logger
	paths []string
	ident *identity.Processor
	cfg   reassembly.Config
}

// newFilePipeline validates the shared flags into a pipeline.
func newFilePipeline(c *cli.Context, component string) (*filePipeline, error) {
	log, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	p := &filePipeline{log: log.With("component", component), paths: c.StringSlice("pcap")}
	if len(p.paths) == 0 {
		if component == "agent" {
			return nil, errors.New("agent: give at least one --pcap FILE, or --iface IFACE, or --ebpf")
		}
		return nil, fmt.Errorf("%s: give at least one --pcap FILE", component)
	}
	if p.ident, err = identityProcessor(c, p.log); err != nil {
		return nil, err
	}
	if p.cfg, err = engineConfig(c, sourceFor(p.paths)); err != nil {
		return nil, err
	}
	return p, nil
}

// run reads the files into sink, then flushes the engine within timeout.
// Warnings name truncated files that were read as far as they go.
func (p *filePipeline) run(c *cli.Context, sink apicall.Sink, timeout time.Duration) (reassembly.Stats, []string, error) {
	if p.ident != nil {
		sink = p.ident.Sink(sink)
	}
	eng, err := reassembly.New(p.cfg, sink, p.log)
	if err != nil {
		return reassembly.Stats{}, nil, err
	}
	warnings, runErr := runFiles(c.Context, eng, p.paths, c.Bool("progress"), p.log)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	closeErr := eng.Close(ctx)
	return eng.Stats(), warnings, errors.Join(runErr, closeErr)
}

// runFiles reads every pcap through the engine, reporting progress on
// stderr. A truncated file is processed as far as it goes and reported in
// the returned warnings; any other error stops the run.
func runFiles(ctx context.Context, eng *reassembly.Engine, paths []string, progress bool, log *slog.Logger) (warnings []string, err error) {
	for _, path := range paths {
		r, err := pcapfile.Open(path)
		if err != nil {
			return warnings, err
		}
		var stop func()
		if progress {
			stop = startProgress(path, r, eng)
		}
		err = eng.Run(ctx, r)
		if stop != nil {
			stop()
		}
		_ = r.Close() // read-only file: nothing to lose
		if errors.Is(err, capture.ErrTruncated) {
			warnings = append(warnings, err.Error()+" (every readable packet was processed)")
			continue
		}
		if err != nil {
			return warnings, err
		}
		select {
		case <-ctx.Done(): // interrupted: what was read is flushed by the caller
			return warnings, nil
		default:
		}
	}
	return warnings, nil
}

// startProgress prints a line with rate and ETA every few seconds while a
// file is read, when the file is large enough for that to matter.
func startProgress(path string, r *pcapfile.Reader, eng *reassembly.Engine) (stop func()) {
	const minSize = 64 << 20
	if r.Size() < minSize {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			off, size := r.Offset(), r.Size()
			el := time.Since(start).Seconds()
			st := eng.Stats()
			eta := "?"
			if off > 0 {
				eta = (time.Duration(float64(size-off)/float64(off)*el) * time.Second).Round(time.Second).String()
			}
			fmt.Fprintf(os.Stderr, "apitap: %s %5.1f%% %s/%s, %d packets (%.0f/s), %d calls, ETA %s\n",
				path, 100*float64(off)/float64(max(size, 1)), mib(off), mib(size), st.Packets, float64(st.Packets)/el, st.Calls, eta)
		}
	}()
	return func() { close(done); <-finished }
}

// peakRSS reads the process's peak resident set size from /proc (VmHWM),
// or 0 where that is not available. (getrusage's maxrss can include the
// parent's memory on Linux when the parent spawned us with vfork.)
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

func mib(n int64) string { return fmt.Sprintf("%.0fMiB", float64(n)/(1<<20)) }

// sourceFor describes a capture source for the calls' Source field.
func sourceFor(paths []string) apicall.Source {
	return apicall.Source{Kind: "file", Name: strings.Join(paths, ",")}
}

// summaryLine is the closing {"kind":"summary"} object of DESIGN.md.
func summaryLine(st reassembly.Stats) map[string]any {
	return map[string]any{
		"kind":                "summary",
		"packets":             st.Packets,
		"calls":               st.Calls,
		"unpaired_requests":   st.UnpairedRequests,
		"parse_errors":        st.ParseErrorTotal(),
		"dropped":             st.Dropped(),
		"connections":         st.Connections,
		"gaps":                st.Gaps,
		"parse_error_reasons": st.ParseErrors,
		"peak_rss_bytes":      peakRSS(),
		"drop_reasons":        st.Drops,
	}
}
