//go:build cgo

package afpacket

import (
	"fmt"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
	"golang.org/x/net/bpf"
)

// CompileFilter compiles a tcpdump-syntax filter for frames of the given link type into a
// classic BPF program whose accept value is snapLen. An empty expression keeps every frame.
// This build compiles with libpcap (cgo).
func CompileFilter(expr string, lt layers.LinkType, snapLen int) ([]bpf.RawInstruction, error) {
	if expr == "" {
		return acceptAll(snapLen), nil
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
