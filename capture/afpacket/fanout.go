package afpacket

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Fanout says how a Capture spreads packets across its workers.
type Fanout int

const (
	// FanoutSymmetric runs a classic BPF fanout program (PACKET_FANOUT_CBPF) that hashes
	// the addresses and TCP ports with XOR, so both directions of a connection hash alike,
	// and hashes the inner headers of VXLAN (UDP 4789 over IPv4), whose outer UDP source
	// port differs per direction. The default.
	FanoutSymmetric Fanout = iota
	// FanoutHash uses the kernel's flow hash (PACKET_FANOUT_HASH), symmetric for plain
	// TCP/IP but computed on the outer headers of VXLAN.
	FanoutHash
)

func (f Fanout) String() string {
	switch f {
	case FanoutSymmetric:
		return "symmetric"
	case FanoutHash:
		return "hash"
	}
	return fmt.Sprintf("fanout(%d)", int(f))
}

// netOff is SKF_NET_OFF: loads at netOff+k read k bytes past the network header, wherever
// the link-layer header ends (it differs between received and sent packets in a fanout
// program, and between link types).
const netOff = 0xfff00000

// asmInsn is an instruction whose jumps name labels.
type asmInsn struct {
	ins         bpf.Instruction
	label       string // this instruction's label
	jt, jf, jmp string // jump targets: JumpIf true/false, Jump
}

// assemble resolves labels into skips.
func assemble(prog []asmInsn) ([]bpf.RawInstruction, error) {
	at := map[string]int{}
	for i, p := range prog {
		if p.label != "" {
			at[p.label] = i
		}
	}
	skip := func(i int, label string) (uint8, error) {
		j, ok := at[label]
		if !ok || j <= i || j-i-1 > 255 {
			return 0, fmt.Errorf("bad jump from %d to %q", i, label)
		}
		return uint8(j - i - 1), nil
	}
	out := make([]bpf.Instruction, len(prog))
	for i, p := range prog {
		var err error
		switch ins := p.ins.(type) {
		case bpf.JumpIf:
			if p.jt != "" {
				if ins.SkipTrue, err = skip(i, p.jt); err != nil {
					return nil, err
				}
			}
			if p.jf != "" {
				if ins.SkipFalse, err = skip(i, p.jf); err != nil {
					return nil, err
				}
			}
			out[i] = ins
		case bpf.Jump:
			var s uint8
			if s, err = skip(i, p.jmp); err != nil {
				return nil, err
			}
			ins.Skip = uint32(s)
			out[i] = ins
		default:
			out[i] = p.ins
		}
	}
	return bpf.Assemble(out)
}

// symmetricFanoutProgram returns the program of FanoutSymmetric. Scratch memory: M0 the
// hash so far, M1 a port, M2 the offset of the IP header being hashed (0, or the inner
// header of VXLAN).
func symmetricFanoutProgram() ([]bpf.RawInstruction, error) {
	i := func(ins bpf.Instruction) asmInsn { return asmInsn{ins: ins} }
	lbl := func(label string, ins bpf.Instruction) asmInsn { return asmInsn{ins: ins, label: label} }
	jeq := func(v uint32, jt, jf string) asmInsn {
		return asmInsn{ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: v}, jt: jt, jf: jf}
	}
	jmp := func(label string) asmInsn { return asmInsn{ins: bpf.Jump{}, jmp: label} }
	ld := func(off uint32, size int) asmInsn { return i(bpf.LoadIndirect{Off: netOff + off, Size: size}) }
	ldM := func(dst bpf.Register, n int) asmInsn { return i(bpf.LoadScratch{Dst: dst, N: n}) }
	stM := func(n int) asmInsn { return i(bpf.StoreScratch{Src: bpf.RegA, N: n}) }
	xorX := i(bpf.ALUOpX{Op: bpf.ALUOpXor})

	p := []asmInsn{
		i(bpf.LoadAbsolute{Off: netOff, Size: 1}),
		i(bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 4}),
		jeq(4, "v4", ""),
		jeq(6, "v6", ""),
		i(bpf.RetConstant{Val: 0}),

		lbl("v6", bpf.LoadConstant{Dst: bpf.RegX, Val: 0}),
		i(bpf.StoreScratch{Src: bpf.RegX, N: 2}),
		jmp("in6"),

		lbl("v4", bpf.LoadAbsolute{Off: netOff + 9, Size: 1}),
		jeq(17, "", "plain4"),
		i(bpf.LoadMemShift{Off: netOff}),
		ld(2, 2), // UDP destination port
		jeq(4789, "", "plain4"),
		// VXLAN: the inner IP header follows UDP (8), VXLAN (8) and Ethernet (14).
		i(bpf.TXA{}),
		i(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 30}),
		stM(2),
		i(bpf.TAX{}),
		i(bpf.LoadIndirect{Off: netOff - 2, Size: 2}), // inner EtherType
		jeq(0x0800, "in4", ""),
		jeq(0x86dd, "in6", "plain4"),

		// Classic BPF jumps only forward: the outer IPv4 header is hashed by the same code
		// as the inner one, with offset 0.
		lbl("plain4", bpf.LoadConstant{Dst: bpf.RegX, Val: 0}),
		i(bpf.StoreScratch{Src: bpf.RegX, N: 2}),
		// IPv4 at X = M2: addresses, then TCP ports.
		lbl("in4", bpf.LoadIndirect{Off: netOff + 12, Size: 4}),
		stM(0),
		ld(16, 4),
		ldM(bpf.RegX, 0),
		xorX,
		stM(0),
		ldM(bpf.RegX, 2),
		ld(9, 1),
		jeq(6, "", "m0"),
		ld(0, 1),
		i(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f}),
		i(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2}),
		ldM(bpf.RegX, 2),
		i(bpf.ALUOpX{Op: bpf.ALUOpAdd}),
		i(bpf.TAX{}),
		jmp("ports"),
	}
	// IPv6 at X = M2: the eight address words, then TCP ports when TCP follows directly.
	p = append(p, lbl("in6", bpf.LoadIndirect{Off: netOff + 8, Size: 4}), stM(0))
	for off := uint32(12); off < 40; off += 4 {
		p = append(p, ldM(bpf.RegX, 2), ld(off, 4), ldM(bpf.RegX, 0), xorX, stM(0))
	}
	p = append(p,
		ldM(bpf.RegX, 2),
		ld(6, 1),
		jeq(6, "", "m0"),
		i(bpf.TXA{}),
		i(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 40}),
		i(bpf.TAX{}),
		// Ports at X: M0 ^= sport ^ dport.
		lbl("ports", bpf.LoadIndirect{Off: netOff, Size: 2}),
		stM(1),
		ld(2, 2),
		ldM(bpf.RegX, 1),
		xorX,
		ldM(bpf.RegX, 0),
		xorX,
		jmp("mix"),
		lbl("m0", bpf.LoadScratch{Dst: bpf.RegA, N: 0}),
		// Spread the XOR over the high bits; the kernel takes the result modulo the
		// number of sockets.
		lbl("mix", bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: 0x9e3779b1}),
		i(bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16}),
		i(bpf.RetA{}),
	)
	return assemble(p)
}
