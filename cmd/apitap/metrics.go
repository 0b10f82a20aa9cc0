package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/apitap/apitap/capture/decoder"
)

// liveCollector exports the live pipeline's counters at each scrape, from the stats the
// stages keep anyway: nothing is counted twice on the hot path.
type liveCollector struct{ p *livePipeline }

var (
	descPackets = prometheus.NewDesc("apitap_capture_packets_total",
		"Frames that passed the capture filter and reached a ring (kernel count).", nil, nil)
	descDrops = prometheus.NewDesc("apitap_agent_dropped_total",
		"Data lost or shed, by pipeline stage and reason: capture (kernel ring full), decode (frames not decodable), "+
			"reassembly (sheds and connections not parsed), parse (HTTP parse errors), pairing (requests without response, "+
			"responses without request), sink (queue full, sink errors).", []string{"stage", "reason"}, nil)
	descIgnored = prometheus.NewDesc("apitap_decode_ignored_frames_total",
		"Frames without TCP (ARP, UDP, ...), not a loss.", []string{"reason"}, nil)
	descFreezes = prometheus.NewDesc("apitap_capture_ring_full_total",
		"Times a kernel ring was full.", nil, nil)
	descFrames = prometheus.NewDesc("apitap_decode_frames_total",
		"Frames read from the rings and decoded.", nil, nil)
	descSegments = prometheus.NewDesc("apitap_reassembly_segments_total",
		"TCP segments handed to reassembly.", nil, nil)
	descConns = prometheus.NewDesc("apitap_reassembly_connections_total",
		"TCP connections seen.", nil, nil)
	descGaps = prometheus.NewDesc("apitap_reassembly_gaps_total",
		"Holes in TCP byte streams (lost segments).", nil, nil)
	descTCPBytes = prometheus.NewDesc("apitap_decode_tcp_payload_bytes_total",
		"TCP payload bytes decoded, retransmissions included.", nil, nil)
	descCallBytes = prometheus.NewDesc("apitap_reassembly_call_bytes_total",
		"HTTP bytes (start lines, headers, bodies) of the calls emitted.", nil, nil)
	descCalls = prometheus.NewDesc("apitap_reassembly_calls_total",
		"Calls emitted by reassembly, unpaired requests included.", nil, nil)
	descDelivered = prometheus.NewDesc("apitap_sink_calls_total",
		"Calls the sink accepted.", nil, nil)
	descQueueCalls = prometheus.NewDesc("apitap_sink_queue_calls",
		"Calls waiting in the queue before the sink.", nil, nil)
	descQueueBytes = prometheus.NewDesc("apitap_sink_queue_bytes",
		"Estimated bytes of the calls waiting in the queue.", nil, nil)
	descCoverage = prometheus.NewDesc("apitap_agent_coverage_ratio",
		"Share of the decoded TCP payload bytes that ended up in calls (0 to 1).", nil, nil)
)

// decodeReasons are the reassembly drop reasons that come from the frame decoder.
var decodeReasons = func() map[string]bool {
	m := map[string]bool{}
	for r := range decoder.NumReasons {
		m[r.String()] = true
	}
	return m
}()

// Describe implements prometheus.Collector.
func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPackets, descDrops, descIgnored, descFreezes, descFrames, descSegments, descConns, descGaps,
		descTCPBytes, descCallBytes, descCalls, descDelivered, descQueueCalls, descQueueBytes, descCoverage} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.p.stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter(descPackets, s.kernel.Packets)
	counter(descFreezes, s.kernel.Freezes)
	// Every reason is exported from the start (zeros included) so that rates work.
	counter(descDrops, s.kernel.Drops, "capture", "ring_full")
	counter(descDrops, s.kernel.Duplicates, "capture", "duplicate")
	for r := range decoder.NumReasons {
		if r != decoder.ReasonNotIP && r != decoder.ReasonNotTCP && r != decoder.ReasonFragmentPending {
			counter(descDrops, s.engine.Drops[r.String()], "decode", r.String())
		}
	}
	for reason, n := range s.engine.Drops {
		switch {
		case decodeReasons[reason]:
		case reason == "unpaired_response":
			counter(descDrops, n, "pairing", reason)
		default:
			counter(descDrops, n, "reassembly", reason)
		}
	}
	for reason, n := range s.engine.ParseErrors {
		counter(descDrops, n, "parse", reason)
	}
	counter(descDrops, s.engine.UnpairedRequests, "pairing", "unpaired_request")
	counter(descDrops, s.queue.ShedFull, "sink", "queue_full")
	counter(descDrops, s.queue.Failed, "sink", "sink_error")
	for _, reason := range []string{decoder.ReasonNotIP.String(), decoder.ReasonNotTCP.String()} {
		counter(descIgnored, s.engine.Ignored[reason], reason)
	}
	counter(descFrames, s.engine.Packets)
	counter(descSegments, s.engine.Segments)
	counter(descConns, s.engine.Connections)
	counter(descGaps, s.engine.Gaps)
	counter(descTCPBytes, s.engine.TCPPayloadBytes)
	counter(descCallBytes, s.engine.CallBytes)
	counter(descCalls, s.engine.Calls)
	counter(descDelivered, s.queue.Delivered)
	gauge(descQueueCalls, float64(s.queue.Buffered))
	gauge(descQueueBytes, float64(s.queue.Bytes))
	gauge(descCoverage, s.coverage())
}
