//go:build !cgo

package afpacket

import (
	"fmt"

	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
)

// canCompileFilters says whether this build compiles tcpdump filters.
const canCompileFilters = false

// CompileFilter compiles a tcpdump-syntax filter. This build has no cgo, hence no libpcap:
// only the empty expression (keep every frame, cut to snapLen) is accepted.
func CompileFilter(expr string, _ layers.LinkType, snapLen int) ([]bpf.RawInstruction, error) {
	if expr == "" {
		return acceptAll(snapLen), nil
	}
	return nil, fmt.Errorf("filter %q: this binary was built without cgo, so it cannot compile tcpdump filters (build with CGO_ENABLED=1 and libpcap, or give an empty filter)", expr)
}
