package reassembly

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/pcaptest"
)

// FuzzEngine feeds the engine arbitrary frames: the input is a sequence of
// records (2-byte big-endian length, then the frame), and each frame gets a
// timestamp 10 ms after the previous one. The engine must not panic, must
// not lose count (every call emitted reaches the sink), and must close.
func FuzzEngine(f *testing.F) {
	// Seed with the golden scenarios' frames, so the fuzzer starts from
	// real TCP conversations and mutates them.
	for _, tc := range goldenCases {
		if tc.link != 0 && tc.link != pcaptest.LinkEthernet {
			continue
		}
		c := pcaptest.New(pcaptest.LinkEthernet)
		tc.build(c)
		var in []byte
		for _, fr := range c.Frames {
			in = binary.BigEndian.AppendUint16(in, uint16(len(fr.Data)))
			in = append(in, fr.Data...)
		}
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := DefaultConfig()
		cfg.Workers = 1
		cfg.MaxConnections = 8
		cfg.MaxBufferedPagesPerConn = 4
		cfg.MaxBufferedPagesTotal = 16
		cfg.HTTP.MaxBodyBytes = 256
		var got uint64
		sink := apicall.SinkFunc(func(_ context.Context, calls []apicall.Call) error {
			got += uint64(len(calls))
			return nil
		})
		e, err := New(cfg, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		ts := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		for len(in) >= 2 {
			n := int(binary.BigEndian.Uint16(in))
			in = in[2:]
			n = min(n, len(in))
			frame := in[:n]
			in = in[n:]
			ts = ts.Add(10 * time.Millisecond)
			e.HandlePacket(frame, layers.LinkTypeEthernet, gopacket.CaptureInfo{Timestamp: ts, CaptureLength: n, Length: n})
		}
		if err := e.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := e.Stats()
		if st.Calls != got {
			t.Fatalf("stats say %d calls, sink got %d", st.Calls, got)
		}
		if st.Drops[DropPanic] > 0 {
			t.Fatalf("a frame made the engine panic (recovered): %v", st.Drops)
		}
	})
}
