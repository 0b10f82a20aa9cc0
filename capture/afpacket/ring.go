package afpacket

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Offsets in a TPACKET_V3 block and frame (linux/if_packet.h).
const (
	blockStatusOff = 8  // tpacket_block_desc.hdr.bh1.block_status
	blockNumOff    = 12 // num_pkts
	blockFirstOff  = 16 // offset_to_first_pkt
	frameHdrLen    = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): sockaddr_ll follows
)

// ring is one AF_PACKET socket with its mmapped TPACKET_V3 receive ring. Only its Source's
// goroutine reads frames; stats may be read by any goroutine.
type ring struct {
	fd        int
	ifindex   int
	name      string
	linkType  layers.LinkType
	any       bool   // bound to every interface: frames carry their own ifindex
	loIndex   int    // loopback's ifindex, or -1: its outgoing copies are dropped (each packet is also seen incoming)
	dedup     *dedup // on "any": drops copies of a packet seen on a second interface
	mem       []byte
	blockSize int
	blocks    int

	// Reader state: the current block and the next frame in it.
	cur  int  // block index
	held bool // cur is owned by user space and not yet returned
	left int  // frames left in the held block
	off  int  // offset of the next frame in the held block

	mu      sync.Mutex // guards fd and mem against close while stats are read
	closed  bool
	packets atomic.Uint64 // frames the socket accepted (filter passed), kernel count
	drops   atomic.Uint64 // frames the ring had no room for
	freezes atomic.Uint64 // times the ring was full
	dups    atomic.Uint64 // copies of a packet already seen on another interface ("any"), dropped
}

// socketProto is ETH_P_ALL in network byte order, as socket(2) and bind(2) want it.
var socketProto = uint16(unix.ETH_P_ALL<<8&0xff00 | unix.ETH_P_ALL>>8)

// openRing opens one socket on ifName ("any": every interface, cooked) with the filter
// already compiled for its link type, and joins fanout group (when fanout is not nil).
func openRing(cfg *Config, ifName string, filter []bpf.RawInstruction, fan *fanout) (r *ring, err error) {
	any := ifName == "any"
	typ := unix.SOCK_RAW
	if any {
		typ = unix.SOCK_DGRAM
	}
	// Protocol 0: no packet arrives before the filter and ring are in place and bind
	// selects ETH_P_ALL.
	fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open AF_PACKET socket: %w", err)
	}
	r = &ring{fd: fd, name: ifName}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	r.loIndex = -1
	if !any {
		var loopback bool
		r.ifindex, r.linkType, loopback, err = ifaceInfo(fd, ifName)
		if err != nil {
			return nil, err
		}
		if loopback {
			r.loIndex = r.ifindex
		}
	} else {
		r.any = true
		r.dedup = newDedup()
		r.linkType = layers.LinkTypeRaw
		if idx, _, loopback, err := ifaceInfo(fd, "lo"); err == nil && loopback {
			r.loIndex = idx
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return nil, fmt.Errorf("%s: set TPACKET_V3: %w", ifName, err)
	}
	if err := attachProgram(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, filter); err != nil {
		return nil, fmt.Errorf("%s: attach filter: %w", ifName, err)
	}
	r.blockSize = cfg.BlockSize
	r.blocks = cfg.RingSize / cfg.BlockSize
	req := unix.TpacketReq3{
		Block_size:     uint32(r.blockSize),
		Block_nr:       uint32(r.blocks),
		Frame_size:     uint32(r.blockSize),
		Frame_nr:       uint32(r.blocks),
		Retire_blk_tov: uint32(max(cfg.BlockTimeout/time.Millisecond, 1)),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, fmt.Errorf("%s: set up a %d-byte ring: %w", ifName, r.blocks*r.blockSize, err)
	}
	r.mem, err = unix.Mmap(fd, 0, r.blocks*r.blockSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("%s: map ring: %w", ifName, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: socketProto, Ifindex: r.ifindex}); err != nil {
		return nil, fmt.Errorf("bind to interface %s: %w", ifName, err)
	}
	if cfg.Promisc && !any {
		mreq := unix.PacketMreq{Ifindex: int32(r.ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return nil, fmt.Errorf("%s: set promiscuous mode: %w", ifName, err)
		}
	}
	if fan != nil {
		if err := fan.join(fd); err != nil {
			return nil, fmt.Errorf("%s: join fanout group %d: %w", ifName, fan.group, err)
		}
	}
	return r, nil
}

// ifaceInfo returns an interface's index and the link type its frames have on a raw socket.
func ifaceInfo(fd int, name string) (index int, lt layers.LinkType, loopback bool, err error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, 0, false, fmt.Errorf("interface %q: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, 0, false, fmt.Errorf("interface %s: %w", name, err)
	}
	index = int(ifr.Uint32())
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, 0, false, fmt.Errorf("interface %s: hardware type: %w", name, err)
	}
	switch hatype := ifr.Uint16(); hatype {
	case unix.ARPHRD_ETHER:
		return index, layers.LinkTypeEthernet, false, nil
	case unix.ARPHRD_LOOPBACK:
		return index, layers.LinkTypeEthernet, true, nil
	case unix.ARPHRD_NONE, unix.ARPHRD_IPGRE, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6, unix.ARPHRD_SIT:
		// No link-layer header: frames start with the IP header (tun, WireGuard, GRE, ip6tnl).
		return index, layers.LinkTypeRaw, false, nil
	default:
		return 0, 0, false, fmt.Errorf("interface %s: hardware type %d not supported (want Ethernet, loopback or a tunnel without link header)", name, hatype)
	}
}

// attachProgram installs a classic BPF program with setsockopt(level, opt).
func attachProgram(fd, level, opt int, prog []bpf.RawInstruction) error {
	if len(prog) == 0 {
		return nil
	}
	f := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		f[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return unix.SetsockoptSockFprog(fd, level, opt, &unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]})
}

// blockStatus is the status word of block i, shared with the kernel.
func (r *ring) blockStatus(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[i*r.blockSize+blockStatusOff]))
}

// next returns the next frame of the ring, or ok false when the ring has none now. It
// hands the previous frame's block back to the kernel when that block is done.
func (r *ring) next() (data []byte, ci gopacket.CaptureInfo, ok bool) {
	for {
		if r.held && r.left == 0 {
			r.release()
		}
		if !r.held {
			if atomic.LoadUint32(r.blockStatus(r.cur))&unix.TP_STATUS_USER == 0 {
				return nil, ci, false
			}
			base := r.cur * r.blockSize
			r.held = true
			r.left = int(binary.NativeEndian.Uint32(r.mem[base+blockNumOff:]))
			r.off = base + int(binary.NativeEndian.Uint32(r.mem[base+blockFirstOff:]))
			continue
		}
		h := (*unix.Tpacket3Hdr)(unsafe.Pointer(&r.mem[r.off]))
		frame := r.off
		r.left--
		r.off += int(h.Next_offset)
		start := frame + int(h.Mac)
		end := start + int(h.Snaplen)
		if h.Next_offset == 0 {
			r.left = 0 // last frame of the block
		}
		if start < frame || end > len(r.mem) || end > (r.cur+1)*r.blockSize {
			continue // cannot happen with a sane kernel; never read out of the block
		}
		ifindex := r.ifindex
		if r.any {
			ifindex = int(int32(binary.NativeEndian.Uint32(r.mem[frame+frameHdrLen+4:]))) // sockaddr_ll.sll_ifindex
		}
		if ifindex == r.loIndex && r.mem[frame+frameHdrLen+10] == unix.PACKET_OUTGOING { // sll_pkttype
			continue
		}
		if r.dedup != nil && r.dedup.duplicate(r.mem[start:end], int32(ifindex), int64(h.Sec)*1e9+int64(h.Nsec)) {
			r.dups.Add(1)
			continue
		}
		ci = gopacket.CaptureInfo{
			Timestamp:      time.Unix(int64(h.Sec), int64(h.Nsec)),
			CaptureLength:  int(h.Snaplen),
			Length:         int(h.Len),
			InterfaceIndex: ifindex,
		}
		return r.mem[start:end:end], ci, true
	}
}

// release returns the held block to the kernel and moves to the next one.
func (r *ring) release() {
	atomic.StoreUint32(r.blockStatus(r.cur), unix.TP_STATUS_KERNEL)
	r.held = false
	r.cur = (r.cur + 1) % r.blocks
}

// readStats folds the kernel's counters (which reset on each read) into the ring's.
func (r *ring) readStats() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	st, err := unix.GetsockoptTpacketStatsV3(r.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return
	}
	// tp_packets counts dropped frames too.
	r.packets.Add(uint64(st.Packets - st.Drops))
	r.drops.Add(uint64(st.Drops))
	r.freezes.Add(uint64(st.Freeze_q_cnt))
}

// close unmaps the ring and closes the socket, after a last stats read. Idempotent.
func (r *ring) close() {
	r.readStats()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	if r.mem != nil {
		_ = unix.Munmap(r.mem)
		r.mem = nil
	}
	_ = unix.Close(r.fd)
}
