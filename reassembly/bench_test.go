package reassembly

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/cputime"
	"github.com/apitap/apitap/simulate"
)

// BenchmarkEngine measures frames → paired calls (decode, reassembly,
// HTTP parsing, pairing, body decoding, call building) on one worker with
// a sink that drops the calls: simulated traffic held in memory, so no
// file I/O and no identity stage. Reported as transactions per second.
func BenchmarkEngine(b *testing.B) {
	cfg := simulate.DefaultConfig()
	cfg.MaxCalls = 20000
	cfg.Duration = 10 * 60e9
	cfg.Rate = 100
	var pcap bytes.Buffer
	res, err := simulate.WritePcap(&pcap, cfg)
	if err != nil {
		b.Fatal(err)
	}
	r, err := pcapgo.NewReader(&pcap)
	if err != nil {
		b.Fatal(err)
	}
	type frame struct {
		data []byte
		ci   gopacket.CaptureInfo
	}
	var frames []frame
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, frame{data, ci})
	}
	var calls int
	sink := apicall.SinkFunc(func(_ context.Context, batch []apicall.Call) error {
		calls += len(batch)
		return nil
	})
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for b.Loop() {
		ec := DefaultConfig()
		ec.Workers = 1
		e, err := New(ec, sink, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range frames {
			e.HandlePacket(f.data, layers.LinkTypeEthernet, f.ci)
		}
		if err := e.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cputime.Process() - cpu0
	if calls != res.Calls*b.N {
		b.Fatalf("%d calls, want %d per run", calls, res.Calls)
	}
	b.ReportMetric(float64(calls)/b.Elapsed().Seconds(), "tx/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(calls), "ns/tx")
	// CPU time of the process (GC included): what other processes on a
	// shared machine inflate much less than wall time.
	b.ReportMetric(float64(calls)/cpu.Seconds(), "tx/cpu-s")
}
