package reassembly

import (
	"context"
	"net/netip"
	"sync"
	"testing"

	"github.com/apitap/apitap/apicall"
)

type streamSink struct {
	mu    sync.Mutex
	calls []apicall.Call
}

func (s *streamSink) Consume(_ context.Context, calls []apicall.Call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, calls...)
	return nil
}

func TestStreams(t *testing.T) {
	local, remote := netip.MustParseAddrPort("10.0.0.1:8080"), netip.MustParseAddrPort("10.0.0.2:40000")
	req := []byte("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
	resp := []byte("HTTP/1.1 204 No Content\r\n\r\n")
	type step struct {
		dir  Direction
		data []byte
		gap  int64
	}
	tests := []struct {
		name       string
		info       StreamInfo
		steps      []step
		wantStatus []int
		wantGap    []bool
		client     netip.AddrPort
	}{
		{"server side", StreamInfo{Local: local, Remote: remote, Side: SideServer, FromStart: true},
			[]step{{Ingress, req, 0}, {Egress, resp, 0}}, []int{204}, []bool{false}, remote},
		{"client side", StreamInfo{Local: remote, Remote: local, Side: SideClient, FromStart: true},
			[]step{{Egress, req, 0}, {Ingress, resp, 0}}, []int{204}, []bool{false}, remote},
		{"side guessed from the bytes", StreamInfo{Local: local, Remote: remote},
			[]step{{Ingress, req, 0}, {Egress, resp, 0}}, []int{204}, []bool{false}, remote},
		{"joined mid-stream: resync to the next request", StreamInfo{Local: local, Remote: remote, Side: SideServer},
			[]step{{Ingress, []byte(`ata":[1,2]}`), 0}, {Ingress, req, 0}, {Egress, resp, 0}}, []int{204}, []bool{false}, remote},
		{"gap inside a response", StreamInfo{Local: local, Remote: remote, Side: SideServer, FromStart: true},
			[]step{{Ingress, req, 0}, {Egress, []byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"), 0}, {Egress, nil, 5}, {Egress, []byte("xyz"), 0}},
			[]int{200}, []bool{true}, remote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &streamSink{}
			s, err := NewStreams(DefaultConfig(), sink, nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.info.Source = apicall.Source{Kind: "ebpf", PID: 7}
			s.Open(1, tt.info)
			for i, st := range tt.steps {
				if st.gap != 0 {
					s.Gap(1, st.dir, st.gap, int64(i+1))
					continue
				}
				s.Data(1, st.dir, st.data, int64(i+1))
			}
			s.End(1, 100)
			if err := s.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if len(sink.calls) != len(tt.wantStatus) {
				t.Fatalf("%d calls, want %d: %+v", len(sink.calls), len(tt.wantStatus), sink.calls)
			}
			for i, c := range sink.calls {
				if c.Status != tt.wantStatus[i] || c.Flags.Has(apicall.FlagGap) != tt.wantGap[i] || c.Client != tt.client || c.Source.PID != 7 || c.Path != "/x" {
					t.Errorf("call %d: %s %s %d gap %v client %s source %+v", i, c.Method, c.Path, c.Status, c.Flags.Has(apicall.FlagGap), c.Client, c.Source)
				}
			}
			if st := s.Stats(); st.Connections != 1 || st.Calls != uint64(len(tt.wantStatus)) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestStreamsLimitsAndDiscard(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workers = 1
	cfg.MaxConnections = 1
	sink := &streamSink{}
	s, err := NewStreams(cfg, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	info := StreamInfo{Local: netip.MustParseAddrPort("10.0.0.1:80"), Remote: netip.MustParseAddrPort("10.0.0.2:1"), Side: SideServer, FromStart: true}
	s.Open(1, info)
	s.Open(2, info) // over the limit: shed
	s.Data(1, Ingress, []byte("GET /a HTTP/1.1\r\n\r\n"), 1)
	s.Data(2, Ingress, []byte("GET /b HTTP/1.1\r\n\r\n"), 1)
	s.Discard(1) // forgotten without a call
	if s.Len() != 0 {
		t.Errorf("%d open after discard", s.Len())
	}
	_ = s.Close(t.Context())
	if len(sink.calls) != 0 {
		t.Errorf("calls %+v, want none", sink.calls)
	}
	if st := s.Stats(); st.Drops[DropConnLimit] != 1 {
		t.Errorf("drops %v, want one conn_limit", st.Drops)
	}
}
