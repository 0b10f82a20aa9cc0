package reassembly

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/internal/pcaptest"
)

// TestVXLANKeepsNetworksApart sends the same 4-tuple in two VXLAN networks, interleaved:
// they must be two connections, each call carrying its VNI, for IPv4 and IPv6 (whose
// gopacket flow has no room for the VNI: the decoder folds it into the addresses).
func TestVXLANKeepsNetworksApart(t *testing.T) {
	for _, tc := range []struct {
		workers  int
		cli, srv string
	}{{1, cli, srv}, {3, cli, srv}, {1, "[2001:db8::7]:40000", "[2001:db8::1]:80"}, {3, "[2001:db8::7]:40000", "[2001:db8::1]:80"}} {
		workers, cli, srv := tc.workers, tc.cli, tc.srv
		a, b := pcaptest.New(pcaptest.LinkEthernet), pcaptest.New(pcaptest.LinkEthernet)
		a.VNI, b.VNI = 100, 200
		ka, kb := a.Conn(cli, srv), b.Conn(cli, srv)
		ka.Handshake()
		kb.Handshake()
		ka.Send(true, get("/in-100"), 1460)
		kb.Send(true, get("/in-200"), 1460)
		ka.Send(false, resp(200, `"a"`), 1460)
		kb.Send(false, resp(404, `"b"`), 1460)
		var frames [][]byte
		for i := range a.Frames {
			frames = append(frames, a.Frames[i].Data, b.Frames[i].Data)
		}

		cfg := DefaultConfig()
		cfg.Workers = workers
		var mu sync.Mutex
		var calls []apicall.Call
		e, err := New(cfg, apicall.SinkFunc(func(_ context.Context, batch []apicall.Call) error {
			mu.Lock()
			calls = append(calls, batch...)
			mu.Unlock()
			return nil
		}), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range frames {
			e.HandlePacket(f, layers.LinkTypeEthernet, gopacket.CaptureInfo{Timestamp: a.Frames[i/2].TS, CaptureLength: len(f), Length: len(f)})
		}
		if err := e.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range calls {
			got = append(got, c.Path+" "+strconv.Itoa(c.Status)+" vni "+strconv.Itoa(int(c.Source.VNI))+" "+c.Client.String())
		}
		slices.Sort(got)
		want := []string{"/in-100 200 vni 100 " + cli, "/in-200 404 vni 200 " + cli}
		if !slices.Equal(got, want) {
			t.Errorf("workers %d: calls %q, want %q", workers, got, want)
		}
		for _, c := range calls {
			if c.Server.String() != srv {
				t.Errorf("workers %d: server %s, want %s", workers, c.Server, srv)
			}
		}
		st := e.Stats()
		if st.Connections != 2 {
			t.Errorf("workers %d: %d connections, want 2", workers, st.Connections)
		}
		// Every payload byte is in a call: coverage 1.
		if st.CallBytes != st.TCPPayloadBytes || st.TCPPayloadBytes == 0 {
			t.Errorf("workers %d: call bytes %d, TCP payload bytes %d, want equal", workers, st.CallBytes, st.TCPPayloadBytes)
		}
	}
}

// TestIdle checks that Idle hands a batched call to the sink and, as the wall clock
// passes, turns a request without response into a call with status 0.
func TestIdle(t *testing.T) {
	c := pcaptest.New(pcaptest.LinkEthernet)
	k := c.Conn(cli, srv)
	k.Handshake()
	k.Send(true, get("/answered"), 1460)
	k.Send(false, resp(200, `"ok"`), 1460)
	k.Send(true, get("/pending"), 1460)
	cfg := DefaultConfig()
	cfg.Workers = 1
	var got []string
	e, err := New(cfg, apicall.SinkFunc(func(_ context.Context, batch []apicall.Call) error {
		for _, c := range batch {
			got = append(got, c.Path+" "+strconv.Itoa(c.Status))
		}
		return nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Frames {
		e.HandlePacket(f.Data, layers.LinkTypeEthernet, gopacket.CaptureInfo{Timestamp: f.TS, CaptureLength: len(f.Data), Length: len(f.Data)})
	}
	if len(got) != 0 {
		t.Fatalf("calls before Idle: %v (batched until full)", got)
	}
	last := c.Frames[len(c.Frames)-1].TS
	e.Idle(last.Add(time.Second))
	if !slices.Equal(got, []string{"/answered 200"}) {
		t.Fatalf("after Idle: %v, want the answered call only", got)
	}
	e.Idle(last.Add(cfg.ResponseTimeout + 2*time.Second))
	if !slices.Equal(got, []string{"/answered 200", "/pending 0"}) {
		t.Errorf("after the response timeout: %v, want /pending with status 0", got)
	}
	if err := e.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}
