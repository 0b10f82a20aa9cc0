package ebpf

import (
	"debug/elf"
	"debug/gosym"
	"errors"
	"fmt"

	"github.com/cilium/ebpf/link"
	"golang.org/x/arch/x86/x86asm"
)

// Go crypto/tls probe points (bpf/socket.c GO_*).
const (
	goWrite   = 0
	goRead    = 1
	goReadRet = 2
)

const (
	goWriteSym = "crypto/tls.(*Conn).Write"
	goReadSym  = "crypto/tls.(*Conn).Read"
)

// errNotGoTLS marks executables without Go's crypto/tls (or without symbols).
var errNotGoTLS = errors.New("no crypto/tls symbols")

// goTLSProbes lists where to probe a Go executable, as file offsets with a
// cookie each: the entry of (*Conn).Write, the entry of (*Conn).Read and
// each RET instruction of (*Conn).Read. Uretprobes are never used on Go
// code: the runtime moves goroutine stacks, which breaks them. Functions
// are found in the symbol table, or in the pclntab of stripped binaries.
func goTLSProbes(path string) (offsets, cookies []uint64, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = f.Close() }()
	if f.Machine != elf.EM_X86_64 || f.Section(".gopclntab") == nil && f.Section(".go.buildinfo") == nil {
		return nil, nil, errNotGoTLS
	}
	funcs, err := goFuncs(f, goWriteSym, goReadSym)
	if err != nil {
		return nil, nil, err
	}
	write, read := funcs[0], funcs[1]
	code, err := readVirtual(f, read.entry, read.end-read.entry)
	if err != nil {
		return nil, nil, err
	}
	wOff, err := fileOffset(f, write.entry)
	if err != nil {
		return nil, nil, err
	}
	rOff, err := fileOffset(f, read.entry)
	if err != nil {
		return nil, nil, err
	}
	offsets = []uint64{wOff, rOff}
	cookies = []uint64{goWrite, goRead}
	for off := 0; off < len(code); {
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil || inst.Len == 0 {
			off++ // data or padding: step over a byte
			continue
		}
		if inst.Op == x86asm.RET {
			offsets = append(offsets, rOff+uint64(off))
			cookies = append(cookies, goReadRet)
		}
		off += inst.Len
	}
	if len(offsets) == 2 {
		return nil, nil, fmt.Errorf("%s: no RET instruction found", goReadSym)
	}
	return offsets, cookies, nil
}

type funcRange struct{ entry, end uint64 }

// goFuncs finds functions by name: symbol table first, else pclntab.
func goFuncs(f *elf.File, names ...string) ([]funcRange, error) {
	out := make([]funcRange, len(names))
	found := 0
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			for i, n := range names {
				if s.Name == n && s.Size > 0 {
					out[i] = funcRange{s.Value, s.Value + s.Size}
					found++
				}
			}
		}
	}
	if found == len(names) {
		return out, nil
	}
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return nil, errNotGoTLS
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, errNotGoTLS
	}
	for i, n := range names {
		fn := tab.LookupFunc(n)
		if fn == nil {
			return nil, errNotGoTLS
		}
		out[i] = funcRange{fn.Entry, fn.End}
	}
	return out, nil
}

// fileOffset maps a virtual address of executable code to its file offset.
func fileOffset(f *elf.File, vaddr uint64) (uint64, error) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && vaddr >= p.Vaddr && vaddr < p.Vaddr+p.Filesz {
			return vaddr - p.Vaddr + p.Off, nil
		}
	}
	return 0, fmt.Errorf("address %#x in no executable segment", vaddr)
}

// readVirtual reads n bytes of code at a virtual address.
func readVirtual(f *elf.File, vaddr, n uint64) ([]byte, error) {
	if n == 0 || n > 1<<20 {
		return nil, fmt.Errorf("function of %d bytes", n)
	}
	off, err := fileOffset(f, vaddr)
	if err != nil {
		return nil, err
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && off >= p.Off && off+n <= p.Off+p.Filesz {
			code := make([]byte, n)
			if _, err := p.ReadAt(code, int64(off-p.Off)); err != nil {
				return nil, err
			}
			return code, nil
		}
	}
	return nil, fmt.Errorf("code at %#x not in the file", vaddr)
}

// attachGoTLS probes one Go executable.
func (t *tlsAttacher) attachGoTLS(path string) ([]link.Link, error) {
	offsets, cookies, err := goTLSProbes(path)
	if err != nil {
		return nil, err
	}
	ex, err := link.OpenExecutable(path)
	if err != nil {
		return nil, err
	}
	l, err := ex.UprobeMulti(nil, t.c.objs.GoTls, &link.UprobeMultiOptions{Addresses: offsets, Cookies: cookies})
	if err != nil {
		return nil, fmt.Errorf("uprobe_multi: %w", err)
	}
	return []link.Link{l}, nil
}
