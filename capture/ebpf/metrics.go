package ebpf

import "github.com/prometheus/client_golang/prometheus"

// collector exports a Capture's Stats, read once per scrape.
type collector struct {
	c     *Capture
	descs map[string]*prometheus.Desc
}

type metric struct {
	name, help string
	gauge      bool
	value      func(*Stats) float64
}

var metrics = []metric{
	{"apitap_ebpf_events_total", "Events read from the ring buffer.", false, func(s *Stats) float64 { return float64(s.Events) }},
	{"apitap_ebpf_lost_events_total", "Events lost because the ring buffer was full.", false, func(s *Stats) float64 { return float64(s.LostEvents) }},
	{"apitap_ebpf_lost_bytes_total", "Data bytes in lost events.", false, func(s *Stats) float64 { return float64(s.LostBytes) }},
	{"apitap_ebpf_truncated_bytes_total", "Bytes of socket or SSL calls not copied (past the chunks per call, or unreadable).", false, func(s *Stats) float64 { return float64(s.TruncatedBytes) }},
	{"apitap_ebpf_gaps_total", "Holes in rebuilt byte streams, found by position.", false, func(s *Stats) float64 { return float64(s.Gaps) }},
	{"apitap_ebpf_gap_bytes_total", "Bytes in those holes.", false, func(s *Stats) float64 { return float64(s.GapBytes) }},
	{"apitap_ebpf_malformed_events_total", "Events too short to decode.", false, func(s *Stats) float64 { return float64(s.Malformed) }},
	{"apitap_ebpf_streams_total", "Byte streams (connection sides) followed.", false, func(s *Stats) float64 { return float64(s.Streams) }},
	{"apitap_ebpf_streams_shed_total", "Byte streams not followed: over the limit.", false, func(s *Stats) float64 { return float64(s.StreamsShed) }},
	{"apitap_ebpf_filtered_calls_total", "Socket calls skipped by the cgroup or pid filters.", false, func(s *Stats) float64 { return float64(s.Filtered) }},
	{"apitap_ebpf_duplicate_calls_total", "Socket calls skipped on the client side of connections whose server side is local.", false, func(s *Stats) float64 { return float64(s.Duplicates) }},
	{"apitap_ebpf_unattributed_calls_total", "Socket calls whose syscall did not lead to the socket's buffer.", false, func(s *Stats) float64 { return float64(s.Unattributed) }},
	{"apitap_ebpf_tls_calls_total", "SSL_read/SSL_write calls captured.", false, func(s *Stats) float64 { return float64(s.TLSCalls) }},
	{"apitap_ebpf_tls_unlinked_calls_total", "SSL calls whose socket was unknown (not captured).", false, func(s *Stats) float64 { return float64(s.TLSUnlinked) }},
	{"apitap_ebpf_connections_evicted_total", "Connection states evicted from the full kernel connection table.", false, func(s *Stats) float64 { return float64(s.ConnEvictions) }},
	{"apitap_ebpf_tls_libraries", "libssl files and Go executables with TLS probes attached.", true, func(s *Stats) float64 { return float64(s.TLSLibraries) }},
	{"apitap_ebpf_ringbuf_used_bytes", "Unread bytes in the ring buffer.", true, func(s *Stats) float64 { return float64(s.RingUsed) }},
	{"apitap_ebpf_ringbuf_size_bytes", "Size of the ring buffer.", true, func(s *Stats) float64 { return float64(s.RingSize) }},
}

// Register registers the capture's metrics on reg.
func (c *Capture) Register(reg prometheus.Registerer) error {
	col := &collector{c: c, descs: map[string]*prometheus.Desc{}}
	for _, m := range metrics {
		col.descs[m.name] = prometheus.NewDesc(m.name, m.help, nil, nil)
	}
	return reg.Register(col)
}

func (col *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range col.descs {
		ch <- d
	}
}

func (col *collector) Collect(ch chan<- prometheus.Metric) {
	s := col.c.Stats()
	for _, m := range metrics {
		t := prometheus.CounterValue
		if m.gauge {
			t = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(col.descs[m.name], t, m.value(&s))
	}
}
