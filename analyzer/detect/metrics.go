package detect

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/apitap/apitap/internal/promreg"
)

// Metrics are the detection stages' Prometheus metrics. Labels are
// bounded: finding types, table names and eviction reasons.
type Metrics struct {
	calls     prometheus.Counter
	hits      *prometheus.CounterVec
	findings  *prometheus.CounterVec
	evictions *prometheus.CounterVec
	actors    prometheus.Gauge
	last      Stats
}

// NewMetrics registers the metrics on reg (nil: not exported).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		calls: prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_detect_calls_total",
			Help: "Calls observed by the detection pipeline."}),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_detect_hits_total",
			Help: "Detector hits (before dedup), by finding type."}, []string{"type"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_detect_findings_total",
			Help: "New findings (after dedup), by finding type."}, []string{"type"}),
		evictions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apitap_detect_evictions_total",
			Help: "State dropped to stay within bounds, by table and reason."}, []string{"table", "reason"}),
		actors: prometheus.NewGauge(prometheus.GaugeOpts{Name: "apitap_detect_actors",
			Help: "Actors with baseline state held."}),
	}
	if err := promreg.Register(reg, "detection", m.calls, m.hits, m.findings, m.evictions, m.actors); err != nil {
		return nil, err
	}
	return m, nil
}

// statsEvery is how many calls pass between table-counter updates.
const statsEvery = 1024

// SetMetrics makes p update m; call before the first Observe.
func (p *Pipeline) SetMetrics(m *Metrics) { p.metrics = m }

func (m *Metrics) observe(p *Pipeline, hits []Hit) {
	m.calls.Inc()
	for i := range hits {
		m.hits.WithLabelValues(hits[i].Type).Inc()
	}
	p.sinceStats++
	if p.sinceStats < statsEvery {
		return
	}
	p.sinceStats = 0
	m.flush(p.Stats())
}

// flush adds the growth of the table counters since the last flush.
func (m *Metrics) flush(st Stats) {
	add := func(table, reason string, now, before uint64) {
		if now > before {
			m.evictions.WithLabelValues(table, reason).Add(float64(now - before))
		}
	}
	add("actors", "lru", st.ActorsEvictedLRU, m.last.ActorsEvictedLRU)
	add("actors", "ttl", st.ActorsEvictedTTL, m.last.ActorsEvictedTTL)
	add("endpoints", "lru_ttl", st.EndpointsEvicted, m.last.EndpointsEvicted)
	add("findings", "full", st.FindingsDropped, m.last.FindingsDropped)
	m.actors.Set(float64(st.Actors))
	m.last = st
}
