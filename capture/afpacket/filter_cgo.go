//go:build cgo

package afpacket

import (
	"fmt"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
	"golang.org/x/net/bpf"
)

// canCompileFilters says whether this build compiles tcpdump filters.
const canCompileFilters = true

// dltRaw is DLT_RAW on Linux (LINKTYPE_RAW is 101).
const dltRaw layers.LinkType = 12

// CompileFilter compiles a tcpdump-syntax filter for frames of the given link type into a
// classic BPF program whose accept value is snapLen. An empty expression keeps every frame.
// This build compiles with libpcap (cgo).
func CompileFilter(expr string, lt layers.LinkType, snapLen int) ([]bpf.RawInstruction, error) {
	if expr == "" {
		return acceptAll(snapLen), nil
	}
	if lt == layers.LinkTypeRaw {
		lt = dltRaw // libpcap wants the DLT, not the LINKTYPE, value of raw IP
	}
	ins, err := pcap.CompileBPFFilter(lt, snapLen, expr)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", expr, err)
	}
	prog := make([]bpf.RawInstruction, len(ins))
	for i, in := range ins {
		prog[i] = bpf.RawInstruction{Op: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return prog, nil
}
