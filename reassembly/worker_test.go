package reassembly

import (
	"context"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/pcaptest"
)

// TestBareAckOpensNothing: bare ACKs are not handed to gopacket, so the
// last ACK of a closed connection does not open a new, empty one (which
// would sit in the pool until the idle timeout), and ACKs of a live
// connection change nothing in its calls.
func TestBareAckOpensNothing(t *testing.T) {
	c := pcaptest.New(uint32(layers.LinkTypeEthernet))
	k := c.Conn(cli, srv)
	k.Handshake()
	k.Send(true, get("/a"), 1460)
	k.Ack(false)
	k.Send(false, resp(200, `"ok"`), 1460)
	k.Ack(true)
	k.Fin(true) // ends with the client's last ACK
	var calls []apicall.Call
	e, err := New(func() Config { cfg := DefaultConfig(); cfg.Workers = 1; return cfg }(), apicall.SinkFunc(func(_ context.Context, b []apicall.Call) error {
		calls = append(calls, b...)
		return nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Frames {
		e.HandlePacket(f.Data, layers.LinkTypeEthernet, gopacket.CaptureInfo{Timestamp: f.TS, CaptureLength: len(f.Data), Length: len(f.Data)})
	}
	if n := len(e.workers[0].conns); n != 0 {
		t.Errorf("%d connections tracked after the connection closed, want 0", n)
	}
	if err := e.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].Status != 200 || calls[0].Path != "/a" {
		t.Fatalf("calls %+v, want one GET /a 200", calls)
	}
	if st := e.Stats(); st.Segments != uint64(len(c.Frames)) || st.Connections != 1 {
		t.Errorf("stats %+v: want every frame counted as a segment, one connection", st)
	}
}
