package reassembly

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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
	if n := len(e.workers[0].live); n != 0 {
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

// TestHoleFlushSkippedOnlyWhenNothingAhead: a segment that came ahead of a
// hole and was then filled leaves nothing for a hole flush to do (the
// worker counts no direction with segments ahead), while one behind a hole
// that never fills is still delivered once ReorderTimeout has passed, long
// before the end of the capture.
func TestHoleFlushSkippedOnlyWhenNothingAhead(t *testing.T) {
	c := pcaptest.New(uint32(layers.LinkTypeEthernet))
	// Connection 1: the response's two segments arrive swapped.
	k1 := c.Conn(cli, srv)
	k1.Handshake()
	k1.Send(true, get("/swapped"), 1460)
	idx := k1.Send(false, resp(200, strings.Repeat("s", 2000)), 1460)
	c.Swap(idx[0], idx[1])
	// Connection 2: the middle of the response is lost for good.
	k2 := c.Conn("172.16.0.9:51001", srv)
	k2.Handshake()
	k2.Send(true, get("/lost"), 1460)
	body := resp(200, strings.Repeat("l", 4000))
	k2.SendSegment(false, body[:1000])
	k2.SkipBytes(false, 1000)
	k2.SendSegment(false, body[2000:])
	lostAt := len(c.Frames)
	// Later traffic on connection 1 moves the clock past ReorderTimeout.
	for i := range 20 {
		c.Advance(time.Second)
		k1.Send(true, get(fmt.Sprintf("/later%d", i)), 1460)
		k1.Send(false, resp(200, `"ok"`), 1460)
	}
	var calls []apicall.Call
	beforeClose := -1
	e, err := New(func() Config { cfg := DefaultConfig(); cfg.Workers = 1; cfg.BatchSize = 1; return cfg }(), apicall.SinkFunc(func(_ context.Context, b []apicall.Call) error {
		calls = append(calls, b...)
		return nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := e.workers[0]
	for i, f := range c.Frames {
		e.HandlePacket(f.Data, layers.LinkTypeEthernet, gopacket.CaptureInfo{Timestamp: f.TS, CaptureLength: len(f.Data), Length: len(f.Data)})
		if i == idx[1] && w.aheadHalves != 0 {
			t.Errorf("after the swapped segments: %d directions with segments ahead, want 0", w.aheadHalves)
		}
		if i == lostAt-1 && w.aheadHalves != 1 {
			t.Errorf("behind the hole: %d directions with segments ahead, want 1", w.aheadHalves)
		}
	}
	for i, call := range calls {
		if call.Path == "/lost" {
			beforeClose = i
		}
	}
	if err := e.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if beforeClose < 0 {
		t.Fatalf("the call behind the hole was not emitted before Close (%d calls)", len(calls))
	}
	lost := calls[beforeClose]
	if lost.Status != 200 || !lost.Flags.Has(apicall.FlagGap) {
		t.Errorf("call behind the hole: status %d flags %b, want 200 with the gap flag", lost.Status, lost.Flags)
	}
	for _, call := range calls {
		if call.Path == "/swapped" && (call.Status != 200 || len(call.RespBody.Data) != 2000 || call.Flags.Has(apicall.FlagGap)) {
			t.Errorf("swapped call: status %d, %d body bytes, flags %b", call.Status, len(call.RespBody.Data), call.Flags)
		}
	}
}

// TestConnectionLimit: with MaxConnections open connections, segments of
// new ones are shed (counted as conn_limit) while the open ones go on
// being parsed; once they close, new connections are taken again.
func TestConnectionLimit(t *testing.T) {
	c := pcaptest.New(uint32(layers.LinkTypeEthernet))
	var open []*pcaptest.Conn
	for i := range 10 {
		k := c.Conn(fmt.Sprintf("172.16.0.9:%d", 52000+i), srv)
		k.Handshake()
		open = append(open, k)
	}
	// Over the limit: the handshake and request of an 11th connection.
	over := c.Conn("172.16.0.9:53000", srv)
	over.Handshake()
	over.Send(true, get("/over"), 1460)
	for i, k := range open {
		k.Send(true, get(fmt.Sprintf("/open%d", i)), 1460)
		k.Send(false, resp(200, `"ok"`), 1460)
		k.Fin(true)
	}
	// The limit is free again.
	late := c.Conn("172.16.0.9:54000", srv)
	late.Handshake()
	late.Send(true, get("/late"), 1460)
	late.Send(false, resp(200, `"ok"`), 1460)
	late.Fin(true)
	var paths []string
	cfg := DefaultConfig()
	cfg.Workers, cfg.MaxConnections = 1, 10
	e, err := New(cfg, apicall.SinkFunc(func(_ context.Context, b []apicall.Call) error {
		for _, call := range b {
			paths = append(paths, fmt.Sprintf("%s %d", call.Path, call.Status))
		}
		return nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Frames {
		e.HandlePacket(f.Data, layers.LinkTypeEthernet, gopacket.CaptureInfo{Timestamp: f.TS, CaptureLength: len(f.Data), Length: len(f.Data)})
		if n := len(e.workers[0].live); n > cfg.MaxConnections {
			t.Fatalf("%d live connections, limit %d", n, cfg.MaxConnections)
		}
	}
	if err := e.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	want := []string{"/late 200"}
	for i := range open {
		want = append(want, fmt.Sprintf("/open%d 200", i))
	}
	slices.Sort(want)
	if !slices.Equal(paths, want) {
		t.Errorf("calls %q, want %q", paths, want)
	}
	if st := e.Stats(); st.Drops[DropConnLimit] == 0 {
		t.Errorf("drops %v, want conn_limit sheds", st.Drops)
	}
}
