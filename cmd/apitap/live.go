package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/capture/afpacket"
	"github.com/apitap/apitap/internal/admin"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/reassembly"
)

// defaultFilter keeps TCP and VXLAN-encapsulated mirror traffic.
const defaultFilter = "tcp or udp port 4789"

// defaultOwnTraffic is the agent's own traffic to Kafka (9092) and ClickHouse (native
// 9000 and 9440 with TLS, HTTP 8123), excluded from capture.
const defaultOwnTraffic = "tcp port 9092 or tcp port 9000 or tcp port 9440 or tcp port 8123"

// liveFlags configure capture on live interfaces (apitap agent --iface).
func liveFlags() []cli.Flag {
	d := afpacket.DefaultConfig()
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "iface", Usage: "capture on these `INTERFACES` (comma-separated or repeated; any for all) with AF_PACKET", EnvVars: []string{"APITAP_IFACE"}},
		&cli.StringFlag{Name: "filter", Value: defaultFilter, Usage: "capture filter in tcpdump syntax", EnvVars: []string{"APITAP_FILTER"}},
		&cli.StringFlag{Name: "exclude", Value: defaultOwnTraffic, Usage: "tcpdump expression for the agent's own traffic (Kafka, ClickHouse), never captured; empty to keep it", EnvVars: []string{"APITAP_EXCLUDE"}},
		&cli.IntFlag{Name: "snaplen", Value: d.SnapLen, Usage: "bytes kept per packet", EnvVars: []string{"APITAP_SNAPLEN"}},
		&cli.StringFlag{Name: "ring-size", Value: "32MiB", Usage: "kernel ring per worker and interface, counted in --memory-limit (default 32MiB, less when the rings would take more than a quarter of --memory-limit)", EnvVars: []string{"APITAP_RING_SIZE"}},
		&cli.BoolFlag{Name: "promisc", Usage: "put the interfaces in promiscuous mode", EnvVars: []string{"APITAP_PROMISC"}},
		&cli.StringFlag{Name: "metrics-addr", Usage: "serve /metrics, /healthz and /readyz on this `HOST:PORT`", EnvVars: []string{"APITAP_METRICS_ADDR"}},
		&cli.StringFlag{Name: "queue-size", Usage: "calls buffered between reassembly and the sink, in bytes; more are shed and counted (default: an eighth of --memory-limit)", EnvVars: []string{"APITAP_QUEUE_SIZE"}},
	}
}

// livePipeline is AF_PACKET capture → one reassembly engine per worker → identity and
// redaction → bounded queue → sink.
type livePipeline struct {
	log     *slog.Logger
	capture *afpacket.Capture
	engines []*reassembly.Engine
	queue   *apicall.Queue
	admin   *admin.Server
	ifaces  []string
}

// captureFilter joins the capture filter and the exclusion of the agent's own traffic.
func captureFilter(filter, exclude string) string {
	filter, exclude = strings.TrimSpace(filter), strings.TrimSpace(exclude)
	switch {
	case exclude == "":
		return filter
	case filter == "":
		return "not (" + exclude + ")"
	}
	return "(" + filter + ") and not (" + exclude + ")"
}

// liveConfig maps the flags into the capture configuration and splits the memory budget:
// the rings are outside the Go heap; the queue gets an eighth of what is left, the
// engines share the rest.
func liveConfig(c *cli.Context) (afpacket.Config, reassembly.Config, int64, error) {
	acfg := afpacket.DefaultConfig()
	for _, s := range c.StringSlice("iface") {
		for name := range strings.SplitSeq(s, ",") {
			if name = strings.TrimSpace(name); name != "" {
				acfg.Interfaces = append(acfg.Interfaces, name)
			}
		}
	}
	acfg.Workers = c.Int("workers")
	acfg.SnapLen = c.Int("snaplen")
	acfg.BlockSize = afpacket.FitBlockSize(acfg.SnapLen)
	acfg.Promisc = c.Bool("promisc")
	acfg.Filter = captureFilter(c.String("filter"), c.String("exclude"))
	ring, err := parseBytes(c.String("ring-size"))
	if err != nil {
		return acfg, reassembly.Config{}, 0, fmt.Errorf("--ring-size: %w", err)
	}
	acfg.RingSize = int(min(ring, 1<<40))
	if limit, err := parseBytes(c.String("memory-limit")); err == nil && !c.IsSet("ring-size") {
		// By default the rings take at most a quarter of the budget, whatever the number
		// of workers and interfaces.
		if n := int64(acfg.Workers * len(acfg.Interfaces)); n > 0 {
			per := limit / 4 / n / int64(acfg.BlockSize) * int64(acfg.BlockSize)
			acfg.RingSize = int(max(min(int64(acfg.RingSize), per), 2*int64(acfg.BlockSize)))
		}
	}
	if err := acfg.Validate(); err != nil {
		return acfg, reassembly.Config{}, 0, fmt.Errorf("capture flags (--iface, --workers, --snaplen, --ring-size): %w", err)
	}
	if _, err := afpacket.CompileFilter(acfg.Filter, layers.LinkTypeEthernet, acfg.SnapLen); err != nil {
		return acfg, reassembly.Config{}, 0, fmt.Errorf("--filter and --exclude: %w", err)
	}
	ecfg, err := engineConfig(c, apicall.Source{Kind: "interface", Name: strings.Join(acfg.Interfaces, ",")})
	if err != nil {
		return acfg, ecfg, 0, err
	}
	limit, _ := parseBytes(c.String("memory-limit")) // validated by engineConfig
	rings := int64(acfg.RingSize/acfg.BlockSize*acfg.BlockSize) * int64(acfg.Workers*len(acfg.Interfaces))
	goLimit := heapBudget(limit) - rings
	if goLimit < heapBudget(limit)/2 || goLimit < 16<<20 {
		return acfg, ecfg, 0, fmt.Errorf("--ring-size %s × %d workers × %d interfaces = %s leaves too little of --memory-limit %s (rings may take at most half of it once the process's own %s are left out)",
			c.String("ring-size"), acfg.Workers, len(acfg.Interfaces), mib(rings), c.String("memory-limit"), mib(limit-heapBudget(limit)))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(goLimit)
	}
	queue := goLimit / 8
	if c.IsSet("queue-size") {
		if queue, err = parseBytes(c.String("queue-size")); err != nil {
			return acfg, ecfg, 0, fmt.Errorf("--queue-size: %w", err)
		}
	}
	conns, pages := budget(goLimit - queue)
	if !c.IsSet("max-connections") {
		ecfg.MaxConnections = conns
	}
	if !c.IsSet("max-buffered-pages") {
		ecfg.MaxBufferedPagesTotal = pages
	}
	// One engine per worker, inline: the kernel's fanout already shards connections.
	ecfg.MaxConnections = max(ecfg.MaxConnections/acfg.Workers, 1)
	ecfg.MaxBufferedPagesTotal = max(ecfg.MaxBufferedPagesTotal/acfg.Workers, 1)
	ecfg.Workers = 1
	if err := ecfg.Validate(); err != nil {
		return acfg, ecfg, 0, fmt.Errorf("capture flags (--max-connections, --max-buffered-pages): %w", err)
	}
	return acfg, ecfg, queue, nil
}

// runLive runs the agent on live interfaces until SIGTERM/SIGINT, then shuts down within
// --shutdown-timeout: reads what the rings hold, flushes open connections and pending
// calls through the queue into the sink, and prints the summary on stderr.
func runLive(c *cli.Context) error {
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	log = log.With("component", "agent")
	acfg, ecfg, queueBytes, err := liveConfig(c)
	if err != nil {
		return err
	}
	ident, err := identityProcessor(c, log)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	sink, closeSink, reportSink, err := agentSink(c, reg, log)
	if err != nil {
		return err
	}
	p := &livePipeline{log: log, ifaces: acfg.Interfaces}
	p.queue = apicall.NewQueue(sink, queueBytes, 4096, log)
	for range acfg.Workers {
		eng, err := reassembly.New(ecfg, ident.Sink(p.queue), log)
		if err != nil {
			return err
		}
		p.engines = append(p.engines, eng)
	}
	if err := reg.Register(&liveCollector{p: p}); err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	ctx := c.Context
	adminCtx, stopAdmin := context.WithCancel(context.Background())
	defer stopAdmin()
	adminDone := make(chan error, 1)
	if addr := c.String("metrics-addr"); addr != "" {
		if p.admin, err = admin.New(addr, reg, log); err != nil {
			return err
		}
		go func() { adminDone <- p.admin.Run(adminCtx) }()
		log.Info("serving metrics", "addr", p.admin.Addr())
	} else {
		adminDone <- nil
	}
	if p.capture, err = afpacket.Open(acfg); err != nil {
		return fmt.Errorf("--iface %s: %w", strings.Join(acfg.Interfaces, ","), err)
	}
	queueCtx, stopQueue := context.WithCancel(context.Background())
	defer stopQueue()
	go func() { _ = p.queue.Run(queueCtx) }()

	timeout := c.Duration("shutdown-timeout")
	var wg sync.WaitGroup
	errs := make([]error, acfg.Workers)
	var deadline time.Time
	var deadlineMu sync.Mutex
	stopAt := func() time.Time {
		deadlineMu.Lock()
		defer deadlineMu.Unlock()
		return deadline
	}
	// A reader that fails (an interface went away) stops the others: the agent exits and
	// its supervisor restarts it.
	rctx, stopReaders := context.WithCancel(ctx)
	defer stopReaders()
	for i, src := range p.capture.Sources() {
		wg.Go(func() {
			if errs[i] = readLoop(rctx, src, p.engines[i], stopAt); errs[i] != nil {
				log.Error("capture failed", "err", errs[i])
				stopReaders()
			}
		})
	}
	if p.admin != nil {
		p.admin.SetReady(true)
	}
	log.Info("capturing", "interfaces", acfg.Interfaces, "workers", acfg.Workers, "filter", acfg.Filter,
		"snaplen", acfg.SnapLen, "ring_bytes", acfg.RingSize, "queue_bytes", queueBytes,
		"max_connections", ecfg.MaxConnections*acfg.Workers)

	// Wait for a signal (or a reader failing), then shut down within the timeout.
	<-rctx.Done()
	log.Info("shutting down", "timeout", timeout)
	start := time.Now()
	deadlineMu.Lock()
	deadline = start.Add(timeout / 4) // reading what the rings hold takes at most a quarter
	deadlineMu.Unlock()
	if p.admin != nil {
		p.admin.SetReady(false)
	}
	wg.Wait()
	sctx, cancel := context.WithDeadline(context.Background(), start.Add(timeout))
	defer cancel()
	// Flush in the background so that the process exits within the timeout even when
	// closing connections or the sink takes longer; then what is left is lost, and said.
	var flushErrs []error
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		for _, eng := range p.engines {
			flushErrs = append(flushErrs, eng.Close(sctx))
		}
		flushErrs = append(flushErrs, p.queue.Close(sctx), closeSink(sctx))
	}()
	var closeErrs []error
	select {
	case <-flushed:
		closeErrs = flushErrs
	case <-sctx.Done():
		closeErrs = []error{fmt.Errorf("--shutdown-timeout %s: flush not finished, pending calls lost", timeout)}
	}
	closeErrs = append(closeErrs, p.capture.Close())
	stopQueue()
	st := p.stats()
	summary := summaryLine(st.engine)
	summary["kernel_drops"] = st.kernel.Drops
	summary["kernel_packets"] = st.kernel.Packets
	// Frames still in the rings when reading stopped (the shutdown reads for at most a
	// quarter of the timeout), or that arrived after.
	// Duplicates (the same packet on two interfaces of "any") were dropped by the reader.
	taken := st.kernel.Packets - min(st.kernel.Packets, st.kernel.Duplicates)
	summary["unread_at_exit"] = taken - min(taken, st.engine.Packets)
	summary["duplicates"] = st.kernel.Duplicates
	summary["sink_delivered"] = st.queue.Delivered
	summary["sink_shed"] = st.queue.ShedFull
	summary["sink_failed"] = st.queue.Failed
	summary["coverage"] = st.coverage()
	summary["shutdown_seconds"] = time.Since(start).Seconds()
	if cpu := cputime.Process(); cpu > 0 {
		summary["cpu_seconds"] = cpu.Seconds()
	}
	reportSink(summary)
	line, _ := json.Marshal(summary)
	fmt.Fprintln(os.Stderr, string(line))
	stopAdmin()
	closeErrs = append(closeErrs, <-adminDone)
	return errors.Join(append(errs, closeErrs...)...)
}

// idleEvery bounds how long a call waits in an engine's batch before the sink sees it.
const idleEvery = 250 * time.Millisecond

// readLoop feeds one worker's frames to its engine until ctx ends; then it keeps reading
// what the rings already hold until they are empty or stopAt passes.
func readLoop(ctx context.Context, src *afpacket.Source, eng *reassembly.Engine, stopAt func() time.Time) error {
	done := ctx.Done()
	stopping := false
	lastIdle := time.Now()
	for n := 0; ; n++ {
		if n&255 == 0 && !stopping {
			select {
			case <-done:
				stopping = true
			default:
			}
		}
		if stopping && n&255 == 0 {
			if d := stopAt(); !d.IsZero() && time.Now().After(d) {
				return nil
			}
		}
		data, ci, err := src.ReadPacket()
		if errors.Is(err, afpacket.ErrTimeout) {
			if stopping {
				return nil
			}
			lastIdle = time.Now()
			eng.Idle(lastIdle)
			select {
			case <-done:
				stopping = true
			default:
			}
			continue
		}
		if err != nil {
			return err
		}
		eng.HandlePacket(data, src.LinkTypeOf(ci), ci)
		// Calls wait in a batch until it is full: hand them on at least every idleEvery.
		if n&63 == 0 {
			if now := time.Now(); now.Sub(lastIdle) >= idleEvery {
				lastIdle = now
				eng.Idle(now)
			}
		}
	}
}

// liveStats are the pipeline's counters at one moment.
type liveStats struct {
	kernel afpacket.Stats
	engine reassembly.Stats
	queue  apicall.QueueStats
}

func (s liveStats) coverage() float64 {
	if s.engine.TCPPayloadBytes == 0 {
		return 0
	}
	return min(float64(s.engine.CallBytes)/float64(s.engine.TCPPayloadBytes), 1)
}

func (p *livePipeline) stats() liveStats {
	s := liveStats{engine: reassembly.Stats{ParseErrors: map[string]uint64{}, Drops: map[string]uint64{}, Ignored: map[string]uint64{}}}
	if p.capture != nil {
		s.kernel = p.capture.Stats()
	}
	for _, e := range p.engines {
		addStats(&s.engine, e.Stats())
	}
	s.queue = p.queue.Stats()
	return s
}

// addStats adds s to dst.
func addStats(dst *reassembly.Stats, s reassembly.Stats) {
	dst.Packets += s.Packets
	dst.Segments += s.Segments
	dst.PayloadBytes += s.PayloadBytes
	dst.Connections += s.Connections
	dst.Calls += s.Calls
	dst.UnpairedRequests += s.UnpairedRequests
	dst.Gaps += s.Gaps
	dst.GapBytes += s.GapBytes
	dst.TCPPayloadBytes += s.TCPPayloadBytes
	dst.CallBytes += s.CallBytes
	for k, v := range s.ParseErrors {
		dst.ParseErrors[k] += v
	}
	for k, v := range s.Drops {
		dst.Drops[k] += v
	}
	for k, v := range s.Ignored {
		dst.Ignored[k] += v
	}
}
