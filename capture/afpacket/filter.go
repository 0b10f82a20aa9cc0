package afpacket

import (
	"golang.org/x/net/bpf"
)

// acceptAll keeps every frame, cut to snapLen bytes.
func acceptAll(snapLen int) []bpf.RawInstruction {
	prog, _ := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: uint32(snapLen)}})
	return prog
}
