package ebpf

import (
	"context"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/reassembly"
)

// rawEvent builds a ring buffer record as bpf/socket.c writes it.
func rawEvent(kind, dir, flags uint8, conn, pos, pos2 uint64, ts uint64, data []byte) []byte {
	b := make([]byte, hdrLen+len(data))
	b[0], b[1], b[2] = kind, dir, flags
	binary.LittleEndian.PutUint32(b[4:], uint32(len(data)))
	binary.LittleEndian.PutUint64(b[8:], conn)
	binary.LittleEndian.PutUint64(b[16:], pos)
	binary.LittleEndian.PutUint64(b[24:], pos2)
	binary.LittleEndian.PutUint64(b[32:], ts)
	binary.LittleEndian.PutUint32(b[40:], 4242)
	binary.LittleEndian.PutUint64(b[48:], 77)
	l, r := netip.MustParseAddr("::ffff:10.1.0.2").As16(), netip.MustParseAddr("::ffff:10.1.0.9").As16()
	copy(b[56:], l[:])
	copy(b[72:], r[:])
	binary.LittleEndian.PutUint16(b[88:], 8080)
	binary.LittleEndian.PutUint16(b[90:], 40000)
	copy(b[hdrLen:], data)
	return b
}

// rebuilder is a Capture without kernel objects: handle only.
func rebuilder(t *testing.T) (*Capture, *reassembly.Streams, *callCollector) {
	t.Helper()
	col := &callCollector{}
	st, err := reassembly.NewStreams(reassembly.DefaultConfig(), col, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Capture{cfg: DefaultConfig(), streams: map[uint64]*stream{}}, st, col
}

func TestRebuildByPosition(t *testing.T) {
	req1 := []byte("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	resp1 := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	req2 := []byte("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
	resp2 := []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	const server = fFromStart | fServer
	tests := []struct {
		name       string
		events     [][]byte
		wantPaths  []string
		wantStatus []int
		gaps       uint64
		gapFlag    []bool
	}{
		{
			name: "in order",
			events: [][]byte{
				rawEvent(evData, 1, server, 7, 0, 0, 1, req1),
				rawEvent(evData, 0, server, 7, 0, 0, 2, resp1),
				rawEvent(evData, 1, server, 7, uint64(len(req1)), 0, 3, req2),
				rawEvent(evData, 0, server, 7, uint64(len(resp1)), 0, 4, resp2),
				rawEvent(evClose, 0, server, 7, uint64(len(resp1)+len(resp2)), uint64(len(req1)+len(req2)), 5, nil),
			},
			wantPaths: []string{"/a", "/b"}, wantStatus: []int{200, 404}, gapFlag: []bool{false, false},
		},
		{
			name: "request body chunk lost",
			events: [][]byte{
				rawEvent(evData, 1, server, 7, 0, 0, 1, req1[:len(req1)-5]),
				// the 5 body bytes never arrive: the next request starts 5 bytes later
				rawEvent(evData, 0, server, 7, 0, 0, 2, resp1),
				rawEvent(evData, 1, server, 7, uint64(len(req1)), 0, 3, req2),
				rawEvent(evData, 0, server, 7, uint64(len(resp1)), 0, 4, resp2),
			},
			wantPaths: []string{"/a", "/b"}, wantStatus: []int{200, 404}, gaps: 1, gapFlag: []bool{true, false},
		},
		{
			name: "tail lost before close",
			events: [][]byte{
				rawEvent(evData, 1, server, 7, 0, 0, 1, req1),
				rawEvent(evClose, 0, server, 7, 100, uint64(len(req1)), 5, nil),
			},
			wantPaths: []string{"/a"}, wantStatus: []int{0}, gaps: 1, gapFlag: []bool{false},
		},
		{
			name: "duplicate event ignored",
			events: [][]byte{
				rawEvent(evData, 1, server, 7, 0, 0, 1, req1),
				rawEvent(evData, 1, server, 7, 0, 0, 1, req1),
				rawEvent(evData, 0, server, 7, 0, 0, 2, resp1),
			},
			wantPaths: []string{"/a"}, wantStatus: []int{200}, gapFlag: []bool{false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, st, col := rebuilder(t)
			for _, e := range tt.events {
				c.handle(e, st)
			}
			if err := st.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			calls := col.snapshot()
			if len(calls) != len(tt.wantPaths) {
				t.Fatalf("%d calls, want %d: %+v", len(calls), len(tt.wantPaths), calls)
			}
			for i, call := range calls {
				if call.Path != tt.wantPaths[i] || call.Status != tt.wantStatus[i] || call.Flags.Has(apicall.FlagGap) != tt.gapFlag[i] {
					t.Errorf("call %d: %s %d flags %b, want %s %d gap %v", i, call.Path, call.Status, call.Flags, tt.wantPaths[i], tt.wantStatus[i], tt.gapFlag[i])
				}
				if call.Server.String() != "10.1.0.2:8080" || call.Client.String() != "10.1.0.9:40000" || call.Source.PID != 4242 || call.Source.CgroupID != 77 {
					t.Errorf("call %d: %s → %s source %+v", i, call.Client, call.Server, call.Source)
				}
			}
			if g := c.gaps.Load(); g != tt.gaps {
				t.Errorf("gaps %d, want %d", g, tt.gaps)
			}
		})
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(rawEvent(evData, 1, fFromStart|fServer, 1, 0, 0, 1, []byte("GET / HTTP/1.1\r\n\r\n")))
	f.Add(rawEvent(evClose, 0, 0, 1, 10, 10, 2, nil))
	f.Add([]byte{1, 0, 0, 0, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, st, _ := rebuilder(t)
		c.handle(raw, st)
		// A second event on the same connection exercises the position logic.
		c.handle(raw, st)
		_ = st.Close(context.Background())
	})
}
