package kafka

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/cputime"
)

// benchCall is a typical authenticated JSON read: 12 headers, a 600-byte
// response body, a JWT actor (1.3 KB in protobuf, 2 KB as JSON).
func benchCall(i int) apicall.Call {
	body := `{"id":10423,"status":"shipped","customer":{"id":"c-88120","email":"[redacted]"},"items":[` +
		strings.Repeat(`{"sku":"SKU-100234","qty":1,"price":19.99},`, 11) + `{"sku":"SKU-1","qty":2,"price":5}],"total":224.87}`
	h := func(kv ...string) apicall.Headers {
		var out apicall.Headers
		for j := 0; j < len(kv); j += 2 {
			out = append(out, apicall.Header{Name: kv[j], Value: kv[j+1]})
		}
		return out
	}
	return apicall.Call{
		ID: fmt.Sprintf("%016x", i), ReqStart: 1767603600123456789, ReqEnd: 1767603600123556789,
		RespStart: 1767603600223456789, RespEnd: 1767603600224456789,
		Client: netip.MustParseAddrPort("172.16.3.9:51234"), Server: netip.MustParseAddrPort("10.0.0.1:8080"),
		Host: "api.shop.test", Method: "GET", Path: "/api/v2/orders/10423", RawQuery: "expand=items", Proto: "HTTP/1.1",
		ReqHeaders: h("Host", "api.shop.test", "User-Agent", "shop-ios/4.12.1 (iPhone; iOS 17.2)", "Accept", "application/json",
			"Accept-Encoding", "gzip", "Authorization", "[redacted]", "X-Request-Id", "6f1d2c3b-8a9e-4f70-b1c2-d3e4f5a6b7c8"),
		RespHeaders: h("Content-Type", "application/json", "Content-Encoding", "gzip", "Date", "Mon, 05 Jan 2026 09:00:00 GMT",
			"Cache-Control", "no-store", "Vary", "Accept-Encoding", "Content-Length", "312"),
		Status: 200, Reason: "OK",
		RespBody: apicall.Body{Data: []byte(body), Length: 312, ContentType: "application/json", Encoding: "gzip"},
		Source:   apicall.Source{Kind: "interface", Name: "eth0", Node: "node-a7"},
		Actor: apicall.Actor{Kind: apicall.ActorJWT, User: fmt.Sprintf("user-%03d", i%500), ClientIP: netip.MustParseAddr("172.16.3.9"),
			Issuer: "https://auth.shop.test", Roles: []string{"customer"}, Scopes: []string{"orders:read", "profile"}, Alg: "RS256", ExpiresAt: 1767607200},
		Flags: apicall.FlagRedacted,
	}
}

// BenchmarkProduce measures calls/s from Consume to acknowledged by a kfake
// broker on loopback (4 partitions, lz4), including encoding; the broker
// runs in the same process and shares the CPUs.
func BenchmarkProduce(b *testing.B) {
	for _, bc := range []struct {
		name        string
		compression string
		blackhole   bool
		inFlight    int
	}{
		{"lz4", "lz4", false, 0},
		{"none", "none", false, 0},
		// The broker acknowledges without storing: the client's share.
		{"lz4_blackhole", "lz4", true, 0},
		{"snappy_blackhole", "snappy", true, 0},
		{"zstd_blackhole", "zstd", true, 0},
		{"none_blackhole", "none", true, 0},
		{"lz4_blackhole_inflight4", "lz4", true, 4},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(benchPartitions, testTopic)}
			if bc.blackhole {
				opts = append(opts, kfake.BlackholeProduce())
			}
			cl, err := kfake.NewCluster(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			cfg := testProducerConfig(cl.ListenAddrs())
			cfg.Compression = bc.compression
			if bc.inFlight > 0 {
				cfg.MaxInFlight = bc.inFlight
			}
			cfg.BufferBytes = 256 << 20
			p, err := NewProducer(cfg, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { _ = p.Run(ctx) }()
			batch := make([]apicall.Call, 500)
			for i := range batch {
				batch[i] = benchCall(i)
			}
			size := apicall.WireSize(&batch[0])
			b.SetBytes(int64(size))
			cpu0 := cputime.Process()
			b.ResetTimer()
			sent := 0
			for sent < b.N {
				n := min(len(batch), b.N-sent)
				// Stay under the buffer so the figure is delivery, not shedding.
				for p.Stats().Buffered > 100_000 {
					time.Sleep(100 * time.Microsecond)
				}
				_ = p.Consume(ctx, batch[:n])
				sent += n
			}
			cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
			defer ccancel()
			if err := p.Close(cctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			st := p.Stats()
			if st.Delivered != uint64(b.N) {
				b.Fatalf("delivered %d of %d (shed %v)", st.Delivered, b.N, st.Shed)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			// CPU of the whole process (producer and in-process broker) per
			// call: steadier than wall time on a shared machine.
			b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/call")
		})
	}
}

// BenchmarkConsumerDecode measures the consumer's per-record work without
// a broker: header check and decode into the batch.
func BenchmarkConsumerDecode(b *testing.B) {
	m, err := newConsumerMetrics(nil)
	if err != nil {
		b.Fatal(err)
	}
	c := &Consumer{cfg: DefaultConsumerConfig(), m: m}
	call := benchCall(1)
	msg := kafkago.Message{Value: apicall.AppendWire(nil, &call), Headers: []kafkago.Header{{Key: HeaderSchema, Value: []byte(apicall.WireVersion)}}}
	calls := make([]apicall.Call, 0, 1000)
	msgs := make([]kafkago.Message, 0, 1000)
	b.SetBytes(int64(len(msg.Value)))
	b.ReportAllocs()
	for b.Loop() {
		if len(calls) == cap(calls) {
			calls, msgs = calls[:0], msgs[:0]
		}
		calls, msgs = c.add(calls, msgs, msg)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

var benchPartitions = int32(4)
