package actorstats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/ack"
	"github.com/apitap/apitap/internal/promreg"
)

// Config controls a Sink.
type Config struct {
	// Writer is this Sink's generation id, part of every row's key: rows
	// of one generation replace each other, rows of several add up. Give
	// the same id to a run that repeats another on the same input (apitap
	// analyze on the same files) so that it replaces instead of adding.
	// Default: random.
	Writer string
	// Interval is how often Run writes the snapshots that changed.
	// Default 1s.
	Interval time.Duration
	// MaxStates bounds the actor-hours held; a call that would open one
	// more is not counted (dropped, reason "limit"). Default 200,000.
	MaxStates int
	// MaxValues bounds the client IPs, user agents and hosts kept per
	// actor-hour, each; values past it are counted in Cut. Default 16.
	MaxValues int
	// MaxEndpoints bounds the distinct endpoints counted per actor-hour;
	// past it Endpoints stops growing and Cut counts the calls whose
	// endpoint did not fit. Default 256.
	MaxEndpoints int
	// Lateness is how far behind the newest capture time an hour stays
	// open: once the newest call is Lateness past an hour's end, its
	// states are dropped after their last snapshot was written, and calls
	// for it that come later still are not counted (reason "late"; they
	// are stored in calls all the same). Default 10m.
	Lateness time.Duration
	// DedupCalls is how many recent call ids are remembered to count a
	// call delivered twice once (32 bytes of table each, allocated once;
	// ids forgotten early because a bucket of the table filled up are
	// counted). 0 turns it off. Default 262,144, the Kafka consumer's
	// default bound on calls not committed yet (256 batches of 1,000).
	DedupCalls int
	// Template returns the endpoint template of a call (the endpoint
	// stage's match); nil counts endpoints by path.
	Template func(c *apicall.Call) string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Interval: time.Second, MaxStates: 200000, MaxValues: 16, MaxEndpoints: 256,
		Lateness: 10 * time.Minute, DedupCalls: 1 << 18}
}

// Validate checks the config.
func (c Config) Validate() error {
	var errs []error
	if c.Interval <= 0 {
		errs = append(errs, errors.New("interval: must be positive"))
	}
	if c.MaxStates <= 0 {
		errs = append(errs, errors.New("max states: must be positive"))
	}
	if c.MaxValues <= 0 || c.MaxEndpoints <= 0 {
		errs = append(errs, errors.New("max values and max endpoints: must be positive"))
	}
	if c.Lateness < 0 {
		errs = append(errs, errors.New("lateness: must not be negative"))
	}
	if c.DedupCalls < 0 {
		errs = append(errs, errors.New("dedup calls: must not be negative"))
	}
	return errors.Join(errs...)
}

// NewWriterID returns a random generation id.
func NewWriterID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "g" + hex.EncodeToString(b[:])
}

// ErrClosed is returned by Consume after Close.
var ErrClosed = errors.New("actorstats: closed")

// Sink counts the calls it consumes (apicall.Sink) per actor and hour and
// writes snapshots of what changed to out every Interval (Run) and on
// Close. Consume may be called from many goroutines; it keeps nothing of
// the calls' slices. When ctx carries an ack.Collector, Consume registers
// a wait for the snapshot that counts the batch to be written.
type Sink struct {
	cfg  Config
	out  report.ActorSink
	log  *slog.Logger
	m    *metrics
	seed maphash.Seed

	flushMu sync.Mutex // one write at a time, in order

	mu        sync.Mutex
	states    map[key]*state
	watermark int64 // newest capture time seen, Unix ns
	seq       uint64
	epoch     uint64 // calls counted now go out with the write that ends this epoch
	durable   uint64 // epochs up to this one were written (out accepted them)
	// failErr is the last write out refused for good, of epoch failedEpoch:
	// waits for that epoch or an earlier one not written fail with it.
	failedEpoch uint64
	failErr     error
	written     chan struct{} // closed (and replaced) after each write
	closed      bool
	evictedAt   int64 // watermark of the last eviction pass at the limit
	dedup       dedup
	stats       Stats
}

// key is an actor and an hour; an anonymous actor is its client IP.
type key struct {
	user string
	ip   netip.Addr
	hour int64 // Unix seconds of the hour's start
}

type state struct {
	row   report.ActorHour // counts, times, user, kind (sets filled on snapshot)
	ips   []netip.Addr
	uas   []string
	hosts []string
	// Hashes (maphash, this process's seed) of uas and hosts, compared
	// instead of the strings.
	uaHash, hostHash []uint64
	// Endpoints seen: epHash (this process's hash of host, method and
	// template) searched in order, epID the stable EndpointID of each.
	// Most actors call few endpoints in an hour; past epIndexAt a map
	// indexes epHash.
	epHash, epID []uint64
	epIndex      map[uint64]struct{}
	dirty        bool
}

// epIndexAt is how many endpoints an actor-hour searches in order before
// it indexes them in a map.
const epIndexAt = 32

// hasEndpoint reports whether st counted the endpoint of hash h.
func (st *state) hasEndpoint(h uint64) bool {
	if st.epIndex != nil {
		_, ok := st.epIndex[h]
		return ok
	}
	for _, x := range st.epHash {
		if x == h {
			return true
		}
	}
	return false
}

func (st *state) addEndpoint(h, id uint64) {
	st.epHash = append(st.epHash, h)
	st.epID = append(st.epID, id)
	if st.epIndex != nil {
		st.epIndex[h] = struct{}{}
	} else if len(st.epHash) > epIndexAt {
		st.epIndex = make(map[uint64]struct{}, 2*len(st.epHash))
		for _, x := range st.epHash {
			st.epIndex[x] = struct{}{}
		}
	}
}

// New returns a Sink writing to out. reg may be nil; log nil discards.
func New(cfg Config, out report.ActorSink, reg prometheus.Registerer, log *slog.Logger) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("actor stats: %w", err)
	}
	if out == nil {
		return nil, errors.New("actor stats: no sink")
	}
	if cfg.Writer == "" {
		cfg.Writer = NewWriterID()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &Sink{cfg: cfg, out: out, log: log.With("component", "actorstats"), m: m, seed: maphash.MakeSeed(),
		states: map[key]*state{}, written: make(chan struct{}), epoch: 1, dedup: newDedup(cfg.DedupCalls)}, nil
}

// Writer is the generation id of the rows this Sink writes.
func (s *Sink) Writer() string { return s.cfg.Writer }

// Consume counts calls (apicall.Sink).
func (s *Sink) Consume(ctx context.Context, calls []apicall.Call) error {
	if len(calls) == 0 {
		return nil
	}
	var dup, late, limit, cut, counted int
	s.mu.Lock()
	forgotten := s.dedup.forgotten
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	for i := range calls {
		c := &calls[i]
		if s.dedup.max > 0 && !s.dedup.add(maphash.String(s.seed, c.ID)) {
			dup++
			continue
		}
		s.watermark = max(s.watermark, c.ReqStart)
		k := key{user: c.Actor.User, hour: hourOf(c.ReqStart)}
		if k.user == "" {
			k.ip = c.Actor.ClientIP
		}
		st := s.states[k]
		if st == nil {
			if s.closedHour(k.hour) {
				late++
				continue
			}
			if len(s.states) >= s.cfg.MaxStates && !s.evictClosed() {
				limit++
				continue
			}
			st = s.open(k, c)
			s.states[k] = st
		}
		cut += s.count(st, c)
		counted++
	}
	epoch := s.epoch
	n := len(s.states)
	s.stats.Counted += uint64(counted)
	s.stats.Duplicate += uint64(dup)
	s.stats.Late += uint64(late)
	s.stats.Limit += uint64(limit)
	forgotten = s.dedup.forgotten - forgotten
	s.stats.Forgotten += forgotten
	s.mu.Unlock()
	s.m.forgotten.Add(float64(forgotten))
	s.m.counted.Add(float64(counted))
	s.m.dropped.WithLabelValues("duplicate").Add(float64(dup))
	s.m.dropped.WithLabelValues("late").Add(float64(late))
	s.m.dropped.WithLabelValues("limit").Add(float64(limit))
	s.m.cut.Add(float64(cut))
	s.m.states.Set(float64(n))
	if col := ack.From(ctx); col != nil {
		col.Add(func(ctx context.Context) error { return s.waitWritten(ctx, epoch) })
	}
	return nil
}

func hourOf(ns int64) int64 {
	sec := max(ns, 0) / int64(time.Second)
	return sec - sec%3600
}

// closedHour reports whether the hour starting at hour (Unix seconds) is
// Lateness behind the newest capture time; s.mu is held.
func (s *Sink) closedHour(hour int64) bool {
	end := (hour + 3600) * int64(time.Second)
	return s.watermark >= end+int64(s.cfg.Lateness)
}

// evictClosed drops the states of closed hours whose last snapshot was
// written, at most once per minute of capture time, and reports whether
// one more state fits now; s.mu is held.
func (s *Sink) evictClosed() bool {
	if s.watermark-s.evictedAt >= int64(time.Minute) {
		s.evictedAt = s.watermark
		for k, st := range s.states {
			if !st.dirty && s.closedHour(k.hour) {
				delete(s.states, k)
			}
		}
	}
	return len(s.states) < s.cfg.MaxStates
}

func (s *Sink) open(k key, c *apicall.Call) *state {
	actor := c.Actor.User
	if actor == "" && k.ip.IsValid() {
		actor = "ip:" + k.ip.String()
	}
	t := time.Unix(0, max(c.ReqStart, 0)).UTC()
	return &state{row: report.ActorHour{
		Actor: actor, Hour: time.Unix(k.hour, 0).UTC(), Writer: s.cfg.Writer,
		User: c.Actor.User, ActorKind: c.Actor.Kind, FirstSeen: t, LastSeen: t,
	}}
}

// count adds c to st and returns how many values did not fit; s.mu is held.
func (s *Sink) count(st *state, c *apicall.Call) (cut int) {
	r := &st.row
	st.dirty = true
	r.Calls++
	if c.Status >= 400 || c.Status == 0 {
		r.Errors++
	}
	r.RespBytes += max(c.RespBody.Length, 0)
	t := time.Unix(0, max(c.ReqStart, 0)).UTC()
	if t.Before(r.FirstSeen) {
		r.FirstSeen = t
	}
	if t.After(r.LastSeen) {
		r.LastSeen = t
	}
	template := c.Path
	if s.cfg.Template != nil {
		template = s.cfg.Template(c)
	}
	// One hash of the host serves the hosts set and the endpoint's key.
	hostH := maphash.String(s.seed, c.Host)
	ep := hostH ^ maphash.String(s.seed, template)*0x9E3779B97F4A7C15 ^ bits.RotateLeft64(maphash.String(s.seed, c.Method), 17)
	if !st.hasEndpoint(ep) {
		if len(st.epHash) < s.cfg.MaxEndpoints {
			st.addEndpoint(ep, EndpointID(c.Host, c.Method, template))
		} else {
			cut++
		}
	}
	if ip := c.Actor.ClientIP; ip.IsValid() && !slices.Contains(st.ips, ip) {
		if len(st.ips) < s.cfg.MaxValues {
			st.ips = append(st.ips, ip)
		} else {
			cut++
		}
	}
	if ua := userAgent(c.ReqHeaders); ua != "" {
		cut += s.addValue(&st.uas, &st.uaHash, ua, maphash.String(s.seed, ua))
	}
	if c.Host != "" {
		cut += s.addValue(&st.hosts, &st.hostHash, c.Host, hostH)
	}
	r.Cut += int64(cut)
	return cut
}

// EndpointID is the stable id of an endpoint in report.ActorHour's
// EndpointIDs: FNV-1a 64 of host, method and template, NUL-separated.
func EndpointID(host, method, template string) uint64 {
	h := uint64(14695981039346656037)
	for _, s := range [3]string{host, method, template} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h *= 1099511628211 // the NUL separator: h ^ 0 is h
	}
	return h
}

// addValue adds v, of hash h, to a bounded set of strings and their
// hashes and returns 1 when it did not fit; s.mu is held.
func (s *Sink) addValue(set *[]string, hashes *[]uint64, v string, h uint64) int {
	for _, x := range *hashes {
		if x == h {
			return 0
		}
	}
	if len(*set) >= s.cfg.MaxValues {
		return 1
	}
	*set = append(*set, strings.Clone(v))
	*hashes = append(*hashes, h)
	return 0
}

// userAgent is Headers.Get("User-Agent") comparing lengths first.
func userAgent(h apicall.Headers) string {
	for i := range h {
		if len(h[i].Name) == len("User-Agent") && strings.EqualFold(h[i].Name, "User-Agent") {
			return h[i].Value
		}
	}
	return ""
}

// waitWritten blocks until the write that ends epoch was accepted by the
// sink (nil), or refused for good (its error), or ctx ends.
func (s *Sink) waitWritten(ctx context.Context, epoch uint64) error {
	for {
		s.mu.Lock()
		done, ch := s.durable >= epoch, s.written
		failed := s.failErr != nil && s.failedEpoch >= epoch
		err := s.failErr
		s.mu.Unlock()
		if done {
			return nil
		}
		if failed {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Run writes the snapshots that changed every Interval until ctx ends; it
// returns nil then. Write errors are logged and counted, the rows written
// again next time, and the acknowledgements waiting for a refused write
// fail with its error.
func (s *Sink) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("write actor rows", "err", err)
		}
	}
}

// Flush writes a snapshot of every actor-hour that changed since the last
// write, and drops the states of closed hours whose last snapshot was
// written before. After a nil return every call consumed before it is in
// a row out accepted.
func (s *Sink) Flush(ctx context.Context) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	epoch := s.epoch
	s.epoch++
	var rows []report.ActorHour
	var sent []*state
	for k, st := range s.states {
		if !st.dirty {
			if s.closedHour(k.hour) {
				delete(s.states, k)
			}
			continue
		}
		s.seq++
		rows = append(rows, st.snapshot(s.seq))
		sent = append(sent, st)
		st.dirty = false
	}
	n := len(s.states)
	s.mu.Unlock()
	s.m.states.Set(float64(n))
	if len(rows) > 0 {
		if err := s.out.ConsumeActors(ctx, rows); err != nil {
			s.mu.Lock()
			for _, st := range sent {
				st.dirty = true // written again next time (a state with a row not written is never dropped)
			}
			if ctx.Err() == nil {
				// Refused for good (the store retries what is retryable):
				// the batches waiting for this write fail as their calls'
				// insert would, so the consumer does not commit them.
				s.failedEpoch, s.failErr = epoch, err
				close(s.written)
				s.written = make(chan struct{})
			}
			s.mu.Unlock()
			s.m.errors.Inc()
			return fmt.Errorf("actor stats: write %d rows: %w", len(rows), err)
		}
		s.m.rows.Add(float64(len(rows)))
	}
	s.mu.Lock()
	s.stats.Rows += uint64(len(rows))
	s.durable = epoch
	close(s.written)
	s.written = make(chan struct{})
	s.mu.Unlock()
	return nil
}

// snapshot returns the row of st with its sets; the slices are st's own
// (only ever appended to) or fresh.
func (st *state) snapshot(seq uint64) report.ActorHour {
	r := st.row
	r.Seq = seq
	r.Endpoints = int64(len(st.epID))
	r.EndpointIDs = slices.Sorted(slices.Values(st.epID))
	r.ClientIPs = make([]string, len(st.ips))
	for i, ip := range st.ips {
		r.ClientIPs[i] = ip.String()
	}
	r.UserAgents = st.uas[:len(st.uas):len(st.uas)]
	r.Hosts = st.hosts[:len(st.hosts):len(st.hosts)]
	return r
}

// Close writes what changed (within ctx) and makes later Consume calls fail
// with ErrClosed. It is idempotent and safe without Run.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return s.Flush(ctx)
}

// Stats are a Sink's counters.
type Stats struct {
	Counted, Duplicate, Late, Limit uint64 // calls
	Forgotten                       uint64 // call ids forgotten before DedupCalls newer ones
	States                          int    // actor-hours held
	Rows                            uint64 // rows written
}

// Stats returns the counters so far.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.States = len(s.states)
	return st
}

// dedup remembers recent call ids (64-bit hashes) in a set-associative
// table of fixed size: buckets of 8 slots, one cache line each, each slot
// a 32-bit fingerprint and the 32-bit number of the id that filled it.
// With 4 slots per id of the window a bucket rarely fills up; when it
// does, its oldest id is replaced, and forgotten counts ids replaced
// before max newer ones came (their repeats would be counted again).
type dedup struct {
	max       int
	slots     []uint64 // fingerprint<<32 | number; 0 is empty
	mask      uint64   // buckets - 1
	n         uint32   // ids added
	forgotten uint64
}

func newDedup(window int) dedup {
	if window <= 0 {
		return dedup{}
	}
	buckets := 1
	for buckets*8 < 4*window {
		buckets *= 2
	}
	return dedup{max: window, slots: make([]uint64, buckets*8), mask: uint64(buckets - 1)}
}

// add reports whether h was not seen among the recent ids, and records it.
func (d *dedup) add(h uint64) bool {
	fp := h >> 32
	if fp == 0 {
		fp = 1
	}
	b := (h & d.mask) * 8
	bucket := d.slots[b : b+8 : b+8]
	victim, oldest := 0, uint32(0)
	for i, x := range bucket {
		if x>>32 == fp {
			return false
		}
		age := d.n - uint32(x)
		if x == 0 {
			age = ^uint32(0)
		}
		if age > oldest {
			victim, oldest = i, age
		}
	}
	if bucket[victim] != 0 && oldest < uint32(d.max) {
		d.forgotten++
	}
	d.n++
	bucket[victim] = fp<<32 | uint64(d.n)
	return true
}

type metrics struct {
	counted   prometheus.Counter
	dropped   *prometheus.CounterVec
	cut       prometheus.Counter
	states    prometheus.Gauge
	rows      prometheus.Counter
	errors    prometheus.Counter
	forgotten prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		counted: prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_actorstats_calls_counted_total",
			Help: "Calls counted into actor-hour rows."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_actorstats_calls_dropped_total",
			Help: "Calls not counted into actor-hour rows, by reason (duplicate: delivered again; late: hour closed; limit: too many actor-hours held)."}, []string{"reason"}),
		cut: prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_actorstats_values_cut_total",
			Help: "Endpoints, client IPs, user agents and hosts not kept because an actor-hour's set was full."}),
		states: prometheus.NewGauge(prometheus.GaugeOpts{Name: "apitap_actorstats_actor_hours",
			Help: "Actor-hours held in memory."}),
		rows: prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_actorstats_rows_written_total",
			Help: "Actor-hour snapshot rows handed to the store."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_actorstats_write_errors_total",
			Help: "Snapshot writes the store refused (the rows are written again)."}),
		forgotten: prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_actorstats_dedup_forgotten_total",
			Help: "Call ids the duplicate filter forgot before the configured number of newer ones (a full bucket): a repeat of one would be counted again."}),
	}
	if err := promreg.Register(reg, "actorstats", m.counted, m.dropped, m.cut, m.states, m.rows, m.errors, m.forgotten); err != nil {
		return nil, err
	}
	return m, nil
}
