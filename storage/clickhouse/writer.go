package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/ack"
	"github.com/apitap/apitap/internal/promreg"
)

// WriterConfig controls the batch writer.
type WriterConfig struct {
	// BatchRows is the number of pending rows of one table that triggers an
	// insert (in the background, while the next batch fills); it also
	// bounds what is buffered: a Consume that finds this many rows pending
	// waits until an insert takes them. Default 50000.
	BatchRows int
	// InsertConcurrency is how many full batches of one table are inserted
	// at once, each on its own connection, so a server with idle cores
	// takes them in parallel; flushes by time, Flush and Close insert
	// alone. It also bounds the buffer: BatchRows pending plus this many
	// batches in flight. Default 2.
	InsertConcurrency int
	// FlushInterval is the longest a row waits in the buffer before it is
	// inserted. Default 1s.
	FlushInterval time.Duration
	// WaitForInsert makes Consume* return only after the rows were inserted
	// (or failed permanently): a nil error means the rows are durable, so a
	// Kafka consumer may commit its offsets. When the context carries an
	// ack.Collector (internal/ack), Consume* returns once the rows are
	// buffered and registers a wait for their insert in the collector
	// instead, so the caller can go on while they wait (Run must be
	// running to insert them by time). When false, Consume* returns once
	// the rows are buffered; Flush and Close report insert errors.
	// Default true.
	WaitForInsert bool
	// SampleBytes is how many bytes of each (already redacted) request and
	// response body are stored. Default 1024; 0 stores none.
	SampleBytes int
	// RetryInitial is the first wait after a retryable insert error; it
	// doubles up to RetryMax. Retries go on until the insert succeeds, the
	// error turns permanent, or the context ends. Defaults 100ms and 5s.
	RetryInitial time.Duration
	RetryMax     time.Duration
	// SortRows sends each batch of calls in the calls table's sorting key
	// order (host, method, template, ts, id; order.go), which spares the
	// server its sort of the insert. On 18.16 it moved about 1 µs of CPU
	// per row from the server to the client (BenchmarkInsertCalls,
	// README "ClickHouse inserts"): a gain only where the server, not the
	// writer, is short of CPU. Default false.
	SortRows bool
	// Annotate, when set, supplies each call's path template and sensitive
	// data classes (from the analyzer's endpoint stage).
	Annotate Annotator
}

// DefaultWriterConfig returns the defaults.
func DefaultWriterConfig() WriterConfig {
	return WriterConfig{
		BatchRows:         50000,
		InsertConcurrency: 2,
		FlushInterval:     time.Second,
		WaitForInsert:     true,
		SampleBytes:       1024,
		RetryInitial:      100 * time.Millisecond,
		RetryMax:          5 * time.Second,
	}
}

// Validate checks the config.
func (c WriterConfig) Validate() error {
	var errs []error
	if c.BatchRows <= 0 {
		errs = append(errs, errors.New("batch rows: must be positive"))
	}
	if c.InsertConcurrency <= 0 {
		errs = append(errs, errors.New("insert concurrency: must be positive"))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, errors.New("flush interval: must be positive"))
	}
	if c.SampleBytes < 0 {
		errs = append(errs, errors.New("sample bytes: must not be negative"))
	}
	if c.RetryInitial <= 0 || c.RetryMax < c.RetryInitial {
		errs = append(errs, errors.New("retry: want 0 < initial <= max"))
	}
	return errors.Join(errs...)
}

// ErrClosed is returned by Consume* after Close.
var ErrClosed = errors.New("clickhouse writer: closed")

// Writer batches calls, endpoints and findings into ClickHouse inserts. It
// implements apicall.Sink, report.EndpointSink, report.FindingSink and
// report.ActorSink (actor_hours).
//
// Consume* may be called from many goroutines; rows are copied, so callers
// keep their slices. Rows that arrive while a batch is inserted form the
// next batch (group commit). Full batches are inserted by background
// goroutines (InsertConcurrency at once), so the next one fills while the
// server works. A batch is
// kept and retried with backoff while errors are retryable (the server is
// down, overloaded, or the network failed), so an outage blocks Consume*
// (back-pressure) instead of losing rows; inserts are at least once and
// the tables collapse repeats by id. Run flushes by time when
// WaitForInsert is false; Close flushes everything and is idempotent.
type Writer struct {
	cfg    WriterConfig
	db     *DB
	log    *slog.Logger
	m      *metrics
	tables []*tableWriter
	calls  *tableWriter
	eps    *tableWriter
	finds  *tableWriter
	actors *tableWriter

	closeMu sync.Mutex
	closed  bool

	// Background inserts of full batches run under bgCtx (cancelled when
	// Close gives up) and are counted in bg.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
}

var (
	_ apicall.Sink        = (*Writer)(nil)
	_ report.EndpointSink = (*Writer)(nil)
	_ report.FindingSink  = (*Writer)(nil)
	_ report.ActorSink    = (*Writer)(nil)
)

// NewWriter returns a writer into db's database. reg may be nil; log nil
// discards.
func NewWriter(db *DB, cfg WriterConfig, reg prometheus.Registerer, log *slog.Logger) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse writer: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	w := &Writer{cfg: cfg, db: db, log: log.With("component", "clickhouse"), m: m}
	w.bgCtx, w.bgCancel = context.WithCancel(context.Background())
	q := func(t string) string { return db.opts.Database + "." + t }
	w.calls = w.newTable("calls", q("calls"), func() columnSet {
		return &callColumns{sample: cfg.SampleBytes, annotate: cfg.Annotate, rows: min(cfg.BatchRows, 1<<20),
			sorted: cfg.SortRows, seconds: !db.Features().Modern}
	})
	w.eps = w.newTable("endpoints", q("endpoints"), func() columnSet { return &endpointColumns{} })
	w.finds = w.newTable("findings", q("findings"), func() columnSet { return &findingColumns{} })
	w.actors = w.newTable("actor_hours", q("actor_hours"), func() columnSet { return &actorColumns{} })
	return w, nil
}

func (w *Writer) newTable(name, qualified string, fresh func() columnSet) *tableWriter {
	t := &tableWriter{w: w, name: name, fresh: fresh, flushSem: make(chan struct{}, w.cfg.InsertConcurrency),
		exclusive: make(chan struct{}, 1), bgEnded: make(chan struct{})}
	t.insert = insertSQL(qualified, fresh().names())
	t.pending = t.newBatch()
	w.tables = append(w.tables, t)
	return t
}

// Consume buffers calls for the calls table (apicall.Sink).
func (w *Writer) Consume(ctx context.Context, calls []apicall.Call) error {
	if len(calls) == 0 {
		return nil
	}
	return w.calls.consume(ctx, len(calls), func(c columnSet) { c.(*callColumns).add(calls) })
}

// ConsumeEndpoints buffers inventory snapshots (report.EndpointSink).
func (w *Writer) ConsumeEndpoints(ctx context.Context, eps []report.Endpoint) error {
	if len(eps) == 0 {
		return nil
	}
	return w.eps.consume(ctx, len(eps), func(c columnSet) { c.(*endpointColumns).add(eps) })
}

// ConsumeFindings buffers findings (report.FindingSink); a finding
// delivered again replaces the earlier row (same id).
func (w *Writer) ConsumeFindings(ctx context.Context, fs []report.Finding) error {
	if len(fs) == 0 {
		return nil
	}
	return w.finds.consume(ctx, len(fs), func(c columnSet) { c.(*findingColumns).add(fs) })
}

// ConsumeActors buffers actor-hour snapshots (report.ActorSink) for the
// actor_hours table; a later snapshot of the same actor, hour and writer
// replaces the earlier row.
func (w *Writer) ConsumeActors(ctx context.Context, rows []report.ActorHour) error {
	if len(rows) == 0 {
		return nil
	}
	return w.actors.consume(ctx, len(rows), func(c columnSet) { c.(*actorColumns).add(rows) })
}

// Flush inserts everything buffered, retrying retryable errors until ctx
// ends. After a nil return every row accepted before the call is durable.
func (w *Writer) Flush(ctx context.Context) error {
	var errs []error
	for _, t := range w.tables {
		if err := t.flush(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Run flushes buffered rows that are older than FlushInterval until ctx
// ends; it returns nil then. Insert errors are logged and counted (and
// returned by the Consume* calls waiting for those rows).
func (w *Writer) Run(ctx context.Context) error {
	tick := time.NewTicker(max(w.cfg.FlushInterval/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			for _, t := range w.tables {
				if t.due() {
					if err := t.flush(ctx); err != nil && ctx.Err() == nil {
						w.log.Error("insert failed", "table", t.name, "err", err)
					}
				}
			}
		}
	}
}

// Close flushes what is buffered (retrying until ctx ends) and makes later
// Consume* calls fail with ErrClosed. It is idempotent and safe without Run.
// When ctx ends first, background inserts are abandoned (their rows were
// not acknowledged when WaitForInsert is set). It does not close the DB.
func (w *Writer) Close(ctx context.Context) error {
	w.closeMu.Lock()
	w.closed = true
	w.closeMu.Unlock()
	err := w.Flush(ctx)
	w.bgCancel()
	w.bg.Wait()
	return err
}

// WriterStats counts rows by table.
type WriterStats struct {
	Calls, Endpoints, Findings, Actors uint64 // rows inserted (Actors: actor_hours)
	Dropped                            uint64 // rows given up on after permanent errors
}

// Stats returns what was inserted so far.
func (w *Writer) Stats() WriterStats {
	return WriterStats{
		Calls: w.calls.inserted.Load(), Endpoints: w.eps.inserted.Load(), Findings: w.finds.inserted.Load(),
		Actors:  w.actors.inserted.Load(),
		Dropped: w.calls.dropped.Load() + w.eps.dropped.Load() + w.finds.dropped.Load() + w.actors.dropped.Load(),
	}
}

func (w *Writer) isClosed() bool {
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	return w.closed
}

// tableWriter buffers and inserts the rows of one table.
type tableWriter struct {
	w      *Writer
	name   string
	insert string
	fresh  func() columnSet

	inserted atomic.Uint64 // rows inserted
	dropped  atomic.Uint64 // rows given up on (permanent errors)

	mu        sync.Mutex
	spare     []columnSet // columns of inserted batches, reused by the next (no regrowth)
	pending   *batch
	permErr   error         // last permanent failure, reported to buffered callers once
	bgRunning int           // background flushes running
	bgEnded   chan struct{} // closed (and replaced) whenever a background flush ends
	orphans   []*batch      // taken from pending, not inserted (their flush's ctx ended); retried first

	// flushSem holds a token per insert running: a background flush takes
	// one, a flush by time, Flush or Close takes all (it inserts alone),
	// holding exclusive meanwhile so that two of them never split the
	// tokens between them (a deadlock).
	flushSem  chan struct{}
	exclusive chan struct{}
}

// batch is a set of rows inserted together; done closes when the insert
// succeeded or failed permanently (err).
type batch struct {
	cols    columnSet
	rows    int
	started time.Time
	taken   chan struct{} // closed when a flush took the batch from pending
	done    chan struct{}
	err     error
}

// wait blocks until the batch was inserted (nil) or failed permanently, or
// ctx ends; it is the ack.Waiter registered for the batch's rows.
func (b *batch) wait(ctx context.Context) error {
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newBatch returns an empty batch; t.mu is held (or t is not shared yet).
func (t *tableWriter) newBatch() *batch {
	var cols columnSet
	if n := len(t.spare); n > 0 {
		cols, t.spare = t.spare[n-1], t.spare[:n-1]
	} else {
		cols = t.fresh()
	}
	return &batch{cols: cols, taken: make(chan struct{}), done: make(chan struct{})}
}

// consume appends n rows (added by add) and, with WaitForInsert, waits for
// their batch to be inserted.
func (t *tableWriter) consume(ctx context.Context, n int, add func(columnSet)) error {
	if t.w.isClosed() {
		return ErrClosed
	}
	for {
		t.mu.Lock()
		if t.pending.rows < t.w.cfg.BatchRows {
			break
		}
		// Full while the previous batch is still being inserted: wait
		// until a flush takes this one (back-pressure; a slow server slows
		// the caller).
		full := t.pending
		done := t.startFlush()
		t.mu.Unlock()
		select {
		case <-full.taken:
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if t.w.bgCtx.Err() != nil {
			return ErrClosed
		}
	}
	b := t.pending
	if b.rows == 0 {
		b.started = time.Now()
	}
	add(b.cols)
	b.rows += n
	if b.rows >= t.w.cfg.BatchRows {
		// Insert it in the background while the caller fills the next
		// batch: client encoding and server work overlap.
		t.startFlush()
	}
	t.w.m.pending.WithLabelValues(t.name).Set(float64(b.rows))
	perm := t.permErr
	t.permErr = nil
	t.mu.Unlock()

	if !t.w.cfg.WaitForInsert {
		return perm
	}
	if col := ack.From(ctx); col != nil {
		// The caller (a Kafka consumer) waits for the insert itself, in
		// the background, and goes on with the next batch meanwhile: the
		// rows are inserted by size or by time (Run), as one insert with
		// the rows that follow them.
		col.Add(b.wait)
		return nil
	}
	select {
	case <-b.done:
		return b.err
	default:
	}
	timer := time.NewTimer(time.Until(b.started.Add(t.w.cfg.FlushInterval)))
	defer timer.Stop()
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err() // the rows stay buffered and are inserted later
	case <-timer.C:
	}
	if err := t.flush(ctx); err != nil {
		select {
		case <-b.done:
			return b.err
		default:
			return err
		}
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// due reports whether the pending rows waited FlushInterval.
func (t *tableWriter) due() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pending.rows > 0 && time.Since(t.pending.started) >= t.w.cfg.FlushInterval
}

// startFlush starts a background flush of full batches unless
// InsertConcurrency of them run, and returns a channel closed when a
// running one ends; t.mu is held.
func (t *tableWriter) startFlush() <-chan struct{} {
	ended := t.bgEnded
	if t.bgRunning >= t.w.cfg.InsertConcurrency {
		return ended
	}
	t.bgRunning++
	t.w.bg.Add(1)
	go func() {
		defer t.w.bg.Done()
		if err := t.flushBatches(t.w.bgCtx, true); err != nil && t.w.bgCtx.Err() == nil {
			t.w.log.Error("insert failed", "table", t.name, "err", err)
		}
		t.mu.Lock()
		t.bgRunning--
		close(t.bgEnded)
		t.bgEnded = make(chan struct{})
		t.mu.Unlock()
	}()
	return ended
}

// flush inserts the batches left over by earlier flushes whose context
// ended, then the pending one, alone (after the background inserts
// running). It returns early only when ctx ends (the batch is kept for
// the next flush) or a batch fails permanently (it is dropped and
// counted).
func (t *tableWriter) flush(ctx context.Context) error { return t.flushBatches(ctx, false) }

// flushBatches is flush; with fullOnly (a background flush) it takes one
// insert token instead of all, and leaves a pending batch that is not full
// yet to fill up.
func (t *tableWriter) flushBatches(ctx context.Context, fullOnly bool) error {
	tokens := cap(t.flushSem)
	if fullOnly {
		tokens = 1
	} else {
		select {
		case t.exclusive <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("insert into %s: %w", t.name, ctx.Err())
		}
		defer func() { <-t.exclusive }()
	}
	for i := range tokens {
		select {
		case t.flushSem <- struct{}{}:
		case <-ctx.Done():
			for range i {
				<-t.flushSem
			}
			return fmt.Errorf("insert into %s: %w", t.name, ctx.Err())
		}
	}
	defer func() {
		for range tokens {
			<-t.flushSem
		}
	}()
	for {
		t.mu.Lock()
		var b *batch
		switch n := len(t.orphans); {
		case n > 0:
			b, t.orphans = t.orphans[n-1], t.orphans[:n-1]
		case t.pending.rows == 0 || (fullOnly && t.pending.rows < t.w.cfg.BatchRows):
			t.mu.Unlock()
			return nil
		default:
			b = t.pending
			close(b.taken)
			t.pending = t.newBatch()
			t.w.m.pending.WithLabelValues(t.name).Set(0)
		}
		t.mu.Unlock()
		err := t.insertWithRetry(ctx, b)
		if err != nil && ctx.Err() != nil {
			t.mu.Lock()
			t.orphans = append(t.orphans, b)
			t.mu.Unlock()
			return fmt.Errorf("insert %d rows into %s: %w", b.rows, t.name, ctx.Err())
		}
		b.err = err
		close(b.done)
		// Nobody reads a finished batch's columns: reuse them.
		b.cols.reset()
		t.mu.Lock()
		if len(t.spare) <= cap(t.flushSem) {
			t.spare = append(t.spare, b.cols)
		}
		t.mu.Unlock()
		if err != nil {
			t.dropped.Add(uint64(b.rows))
			t.w.m.dropped.WithLabelValues(t.name, "permanent_error").Add(float64(b.rows))
			if !t.w.cfg.WaitForInsert {
				t.mu.Lock()
				t.permErr = err
				t.mu.Unlock()
			}
			return err
		}
	}
}

func (t *tableWriter) insertWithRetry(ctx context.Context, b *batch) error {
	wait := t.w.cfg.RetryInitial
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := t.insertOnce(ctx, b)
		if err == nil {
			t.inserted.Add(uint64(b.rows))
			t.w.m.inserted.WithLabelValues(t.name).Add(float64(b.rows))
			t.w.m.batches.WithLabelValues(t.name).Inc()
			t.w.m.duration.WithLabelValues(t.name).Observe(time.Since(start).Seconds())
			if attempt > 1 {
				t.w.log.Info("insert succeeded after retries", "table", t.name, "rows", b.rows, "attempts", attempt)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !Retryable(err) {
			t.w.m.errors.WithLabelValues(t.name, "permanent").Inc()
			return fmt.Errorf("insert %d rows into %s: %w", b.rows, t.name, describe(t.w.db.opts, err))
		}
		t.w.m.errors.WithLabelValues(t.name, "retryable").Inc()
		t.w.log.Warn("insert failed, retrying", "table", t.name, "rows", b.rows, "attempt", attempt, "wait", wait, "err", err)
		jitter := time.Duration(rand.Int64N(int64(wait)/4 + 1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait + jitter):
		}
		wait = min(2*wait, t.w.cfg.RetryMax)
	}
}

// blockRows is how many rows go into each block an insert sends: the
// batch's rows go out as several blocks of one INSERT (the server squashes
// them into one part), so clickhouse-go's column buffers stay this size and
// are reused instead of growing to the whole batch. clickhouse-go builds
// fresh buffers for every INSERT, grown while the first block fills. String
// columns no longer need them (their rows are lent, colstr.go); the other
// columns still do, and 16384-row blocks cost ~480 more bytes allocated per
// simulated call and more client CPU with no server gain (2026-11-24).
const blockRows = 4096

func (t *tableWriter) insertOnce(ctx context.Context, b *batch) error {
	ins, err := t.w.db.conn.PrepareBatch(ctx, t.insert)
	if err != nil {
		return err
	}
	cols, n := b.cols.values(), b.cols.len()
	dst := ins.Columns() // the batch's own columns, in the INSERT's order
	if len(dst) != len(cols) {
		_ = ins.Abort()
		return fmt.Errorf("insert into %s: the server sent %d columns for %d", t.name, len(dst), len(cols))
	}
	var perm []int32
	var g *gather
	if p, ok := b.cols.(interface{ permutation() ([]int32, *gather) }); ok {
		perm, g = p.permutation()
	}
	if g == nil {
		g = &gather{}
	}
	g.size(len(cols))
	for lo := 0; lo < n; lo += blockRows {
		hi := min(lo+blockRows, n)
		for i, col := range cols {
			var err error
			if perm != nil {
				err = appendPicked(dst[i], ins.Column(i), col, perm[lo:hi], g, i)
			} else {
				err = appendColumn(dst[i], ins.Column(i), col, lo, hi, g, i)
			}
			if err != nil {
				unlend(dst)
				_ = ins.Abort() // the append error is the one to report
				return fmt.Errorf("column %s: %w", b.cols.names()[i], err)
			}
		}
		if hi < n {
			err := ins.Flush()
			unlend(dst)
			if err != nil {
				_ = ins.Abort() // the flush error is the one to report
				return err
			}
		}
	}
	err = ins.Send()
	unlend(dst)
	return err
}

// noStrings is an empty array row, converted to an interface once.
var noStrings any = []string{}

// appendColumn appends rows lo to hi of a whole column to dst (bc is the
// batch's handle on it). String columns are lent, not copied (lendStr).
// Array columns go row by row: with a []string per row clickhouse-go
// takes its reflection-free path, with a [][]string it reflects on every
// row (measured 3x slower).
func appendColumn(dst column.Interface, bc driver.BatchColumn, col any, lo, hi int, g *gather, i int) error {
	switch v := col.(type) {
	case *strCol:
		return lendStr(dst, bc, v, v.Pos[lo:hi], &g.str)
	case *arrCol:
		return lendArr(dst, bc, v, lo, hi, &g.ends[i], &g.str)
	case [][]string:
		for _, row := range v[lo:hi] {
			if err := appendStrings(bc, row); err != nil {
				return err
			}
		}
		return nil
	case [][]uint64:
		for _, row := range v[lo:hi] {
			if err := bc.AppendRow(row); err != nil {
				return err
			}
		}
		return nil
	case []string:
		return bc.Append(v[lo:hi])
	case []time.Time:
		return bc.Append(v[lo:hi])
	case []uint64:
		return bc.Append(v[lo:hi])
	case []uint32:
		return bc.Append(v[lo:hi])
	case []uint16:
		return bc.Append(v[lo:hi])
	case []uint8:
		return bc.Append(v[lo:hi])
	}
	return fmt.Errorf("column type %T not handled", col)
}

// appendStrings appends one row of an Array(String) column; an empty row
// goes as noStrings, boxed once, so it costs no allocation.
func appendStrings(bc driver.BatchColumn, row []string) error {
	if len(row) == 0 {
		return bc.AppendRow(noStrings)
	}
	return bc.AppendRow(row)
}

// appendPicked appends the rows perm of a whole column, column number i,
// in that order.
func appendPicked(dst column.Interface, bc driver.BatchColumn, col any, perm []int32, g *gather, i int) error {
	switch v := col.(type) {
	case *strCol:
		// Each string column keeps its own reordered positions: the batch
		// reads them when it encodes the block, after every column.
		pos := g.pos[i][:0]
		for _, r := range perm {
			pos = append(pos, v.Pos[r])
		}
		g.pos[i] = pos
		return lendStr(dst, bc, v, pos, &g.str)
	case *arrCol:
		for _, r := range perm {
			g.str = v.row(int(r), g.str)
			if err := appendStrings(bc, g.str); err != nil {
				return err
			}
		}
		return nil
	case [][]string:
		for _, r := range perm {
			if err := appendStrings(bc, v[r]); err != nil {
				return err
			}
		}
		return nil
	case [][]uint64:
		for _, r := range perm {
			if err := bc.AppendRow(v[r]); err != nil {
				return err
			}
		}
		return nil
	case []string:
		return bc.Append(pick(&g.strs, v, perm))
	case []time.Time:
		return bc.Append(pick(&g.ts, v, perm))
	case []uint64:
		return bc.Append(pick(&g.u64, v, perm))
	case []uint32:
		return bc.Append(pick(&g.u32, v, perm))
	case []uint16:
		return bc.Append(pick(&g.u16, v, perm))
	case []uint8:
		return bc.Append(pick(&g.u8, v, perm))
	}
	return fmt.Errorf("column type %T not handled", col)
}

// metrics of the writer, labelled by table (calls, endpoints, findings).
type metrics struct {
	inserted *prometheus.CounterVec
	batches  *prometheus.CounterVec
	errors   *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	pending  *prometheus.GaugeVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		inserted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_clickhouse_rows_inserted_total", Help: "Rows inserted into ClickHouse, by table."}, []string{"table"}),
		batches:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_clickhouse_batches_inserted_total", Help: "Insert batches that succeeded, by table."}, []string{"table"}),
		errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_clickhouse_insert_errors_total", Help: "Failed insert attempts, by table and kind (retryable: retried; permanent: batch dropped)."}, []string{"table", "kind"}),
		dropped:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_clickhouse_rows_dropped_total", Help: "Rows given up on, by table and reason."}, []string{"table", "reason"}),
		pending:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "apitap_clickhouse_pending_rows", Help: "Rows buffered and not yet taken by an insert, by table."}, []string{"table"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "apitap_clickhouse_insert_duration_seconds", Help: "Duration of successful inserts, by table.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}, []string{"table"}),
	}
	if err := promreg.Register(reg, "clickhouse", m.inserted, m.batches, m.errors, m.dropped, m.pending, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}
