package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/apitap/apitap/internal/pcaptest"
)

// testNetns is a network namespace holding a veth pair: frames written to the a end
// arrive on the b end. Names start with at3 (this package's prefix on the shared machine).
type testNetns struct {
	name, a, b string
}

var netnsSeq atomic.Int32

// newTestNetns creates the namespace and moves the calling goroutine's thread into it
// until the test ends. It skips without root or the ip command.
func newTestNetns(t *testing.T) *testNetns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces and AF_PACKET")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("needs ip (iproute2): %v", err)
	}
	id := fmt.Sprintf("%d-%d", os.Getpid()%100000, netnsSeq.Add(1))
	n := &testNetns{name: "at3u" + id, a: "at3u" + id + "a", b: "at3u" + id + "b"}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Logf("ip netns del %s: %v: %s", n.name, err, out)
		}
	})
	for _, args := range [][]string{
		{"netns", "add", n.name},
		// No IPv6: its neighbour discovery would add frames the tests did not send.
		{"netns", "exec", n.name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		{"-n", n.name, "link", "add", n.a, "type", "veth", "peer", "name", n.b},
		{"-n", n.name, "link", "set", n.a, "up"},
		{"-n", n.name, "link", "set", n.b, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	// "up" returns before the kernel's link watcher has seen the carrier and
	// given the veth its queueing discipline: until then the frames a test
	// sends are dropped (seen under load: "captured 0 frames, want 10").
	waitOperUp(t, n.name, n.a, n.b)
	// Sockets belong to the namespace of the thread that creates them.
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := unix.Open("/run/netns/"+n.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ns)
	if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
		t.Fatalf("enter netns %s: %v", n.name, err)
	}
	t.Cleanup(func() {
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			t.Errorf("leave netns: %v", err) // the thread stays locked and dies with the goroutine
			return
		}
		unix.Close(orig)
		runtime.UnlockOSThread()
	})
	return n
}

// waitOperUp waits until every interface of namespace ns is operationally up.
func waitOperUp(t *testing.T, ns string, ifaces ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, ifName := range ifaces {
		for {
			out, err := exec.Command("ip", "-n", ns, "-o", "link", "show", "dev", ifName).CombinedOutput()
			if err == nil && strings.Contains(string(out), "state UP") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s in %s not up after 10s: %v: %s", ifName, ns, err, out)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// sender writes raw Ethernet frames out of an interface.
type sender struct {
	fd      int
	ifindex int
}

func newSender(t *testing.T, ifName string) *sender {
	t.Helper()
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	idx, _, _, err := ifaceInfo(fd, ifName)
	if err != nil {
		t.Fatal(err)
	}
	return &sender{fd: fd, ifindex: idx}
}

func (s *sender) send(t *testing.T, frame []byte) {
	t.Helper()
	for {
		err := unix.Sendto(s.fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: s.ifindex, Protocol: socketProto})
		if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("send frame: %v", err)
		}
		return
	}
}

func testConfig(iface string, workers int) Config {
	cfg := DefaultConfig()
	cfg.Interfaces = []string{iface}
	cfg.Workers = workers
	cfg.RingSize = 4 << 20
	cfg.PollTimeout = 20 * time.Millisecond
	cfg.BlockTimeout = 2 * time.Millisecond
	return cfg
}

// tuple returns a frame's TCP 4-tuple as "src>dst", and the sorted form; for VXLAN, the
// inner one prefixed by the VNI.
func tuple(t *testing.T, frame []byte) (dir, conn string) {
	t.Helper()
	prefix := ""
	var src, dst netip.AddrPort
	for {
		if len(frame) < 14+20+4 {
			t.Fatalf("short frame: % x", frame)
		}
		ip := frame[14:]
		switch binary.BigEndian.Uint16(frame[12:14]) {
		case 0x0800:
			ihl := int(ip[0]&0xf) * 4
			if ip[9] == 17 && binary.BigEndian.Uint16(ip[ihl+2:]) == 4789 {
				vx := ip[ihl+8:]
				prefix = fmt.Sprintf("vni%d ", uint32(vx[4])<<16|uint32(vx[5])<<8|uint32(vx[6]))
				frame = vx[8:]
				continue
			}
			src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), binary.BigEndian.Uint16(ip[ihl:]))
			dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[16:20])), binary.BigEndian.Uint16(ip[ihl+2:]))
		case 0x86dd:
			src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip[8:24])), binary.BigEndian.Uint16(ip[40:]))
			dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip[24:40])), binary.BigEndian.Uint16(ip[42:]))
		default:
			t.Fatalf("not an IP frame: % x", frame[:40])
		}
		break
	}
	dir = prefix + src.String() + ">" + dst.String()
	if src.Compare(dst) > 0 {
		src, dst = dst, src
	}
	return dir, prefix + src.String() + "-" + dst.String()
}

// readAll reads from every source until want frames arrived or nothing came for a while,
// calling fn with the worker index of each frame.
func readAll(t *testing.T, srcs []*Source, want int, fn func(worker int, data []byte)) int {
	t.Helper()
	got, idle := 0, 0
	for got < want && idle < 20 {
		progress := false
		for w, s := range srcs {
			for {
				data, _, err := s.ReadPacket()
				if errors.Is(err, ErrTimeout) {
					break
				}
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				fn(w, data)
				got++
				progress = true
			}
		}
		if progress {
			idle = 0
		} else {
			idle++
		}
	}
	return got
}

// TestFanoutSymmetric sends both directions of many connections onto one interface, plain
// and inside VXLAN, and checks that every frame of a connection reaches the same worker.
// The kernel's hash (FanoutHash) is checked on plain TCP only: on VXLAN it must split
// connections, or this traffic would not show why FanoutSymmetric exists.
func TestFanoutSymmetric(t *testing.T) {
	plain, vxlan := pcaptest.New(pcaptest.LinkEthernet), pcaptest.New(pcaptest.LinkEthernet)
	vxlan.VNI = 5001
	const conns = 300
	for i := range conns {
		pc := plain
		if i%2 == 1 {
			pc = vxlan
		}
		cli, srv := fmt.Sprintf("10.%d.%d.%d:%d", 1+i%3, i/250, 1+i%250, 20000+i*7), fmt.Sprintf("10.9.%d.%d:%d", i%5, 1+i%7, 80+i%3)
		if i%4 >= 2 {
			cli, srv = fmt.Sprintf("[2001:db8:%x::%x]:%d", i%3, i+1, 20000+i*7), fmt.Sprintf("[2001:db8:ff::%x]:%d", i%7+1, 80+i%3)
		}
		k := pc.Conn(cli, srv)
		k.Handshake()
		k.Send(true, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 1400)
		k.Send(false, []byte("HTTP/1.1 204 No Content\r\n\r\n"), 1400)
	}
	var frames [][]byte
	for i := range max(len(plain.Frames), len(vxlan.Frames)) {
		for _, pc := range []*pcaptest.Capture{plain, vxlan} {
			if i < len(pc.Frames) {
				frames = append(frames, pc.Frames[i].Data)
			}
		}
	}
	for _, mode := range []Fanout{FanoutSymmetric, FanoutHash} {
		t.Run(mode.String(), func(t *testing.T) {
			ns := newTestNetns(t)
			const workers = 4
			cfg := testConfig(ns.b, workers)
			cfg.Fanout = mode
			// Frames are all sent before any is read: blocks must not retire half empty.
			cfg.BlockTimeout = 200 * time.Millisecond
			c, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			snd := newSender(t, ns.a)
			for _, f := range frames {
				snd.send(t, f)
			}
			owner := map[string]int{}
			split := map[string]bool{}
			perWorker := make([]int, workers)
			dirs := map[string]map[string]bool{}
			got := readAll(t, c.Sources(), len(frames), func(w int, data []byte) {
				dir, conn := tuple(t, data)
				perWorker[w]++
				if dirs[conn] == nil {
					dirs[conn] = map[string]bool{}
				}
				dirs[conn][dir] = true
				if o, ok := owner[conn]; !ok {
					owner[conn] = w
				} else if o != w {
					split[conn] = true
				}
			})
			if got != len(frames) {
				t.Fatalf("captured %d frames, sent %d (kernel stats %+v)", got, len(frames), c.Stats())
			}
			if len(dirs) != conns {
				t.Fatalf("saw %d connections, sent %d", len(dirs), conns)
			}
			var splitPlain, splitVXLAN int
			for conn, d := range dirs {
				if len(d) != 2 {
					t.Fatalf("connection %s: saw directions %v, want both", conn, d)
				}
				if split[conn] {
					if strings.HasPrefix(conn, "vni") {
						splitVXLAN++
					} else {
						splitPlain++
					}
				}
			}
			t.Logf("frames per worker: %v; connections split: %d plain, %d VXLAN", perWorker, splitPlain, splitVXLAN)
			if splitPlain != 0 {
				t.Errorf("%d plain connections reached more than one worker", splitPlain)
			}
			switch {
			case mode == FanoutSymmetric && splitVXLAN != 0:
				t.Errorf("%d VXLAN connections reached more than one worker", splitVXLAN)
			case mode == FanoutHash && splitVXLAN == 0:
				t.Errorf("the kernel hash kept every VXLAN connection on one worker: the test traffic does not exercise the outer headers")
			}
			for w, n := range perWorker {
				if n < len(frames)/workers/3 {
					t.Errorf("worker %d got %d of %d frames: %v (the hash does not spread)", w, n, len(frames), perWorker)
				}
			}
			if st := c.Stats(); st.Packets != uint64(len(frames)) || st.Drops != 0 {
				t.Errorf("stats %+v, want %d packets and no drop", st, len(frames))
			}
		})
	}
}

// TestFilterAndSnapLen checks that the tcpdump filter keeps only matching frames and that
// frames are cut to the snap length with their original length reported.
func TestFilterAndSnapLen(t *testing.T) {
	ns := newTestNetns(t)
	cfg := testConfig(ns.b, 1)
	cfg.Filter = "tcp port 80"
	cfg.SnapLen = 128
	if !canCompileFilters {
		t.Skip("built without cgo: no tcpdump filter compiler")
	}
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snd := newSender(t, ns.a)
	pc := pcaptest.New(pcaptest.LinkEthernet)
	body := []byte(strings.Repeat("x", 1000))
	for i := range 20 {
		port := 80
		if i%2 == 1 {
			port = 8080
		}
		k := pc.Conn(fmt.Sprintf("10.0.0.1:%d", 30000+i), fmt.Sprintf("10.0.0.2:%d", port))
		k.SendSegment(true, body)
	}
	for _, f := range pc.Frames {
		snd.send(t, f.Data)
	}
	n := 0
	readAll(t, c.Sources(), 10, func(_ int, data []byte) {
		n++
		if len(data) != 128 {
			t.Errorf("frame of %d bytes, want the snap length 128", len(data))
		}
		if dir, _ := tuple(t, data); !strings.HasSuffix(dir, ":80") {
			t.Errorf("frame %s passed the filter tcp port 80", dir)
		}
	})
	// Give frames that should not pass a chance to show up.
	if data, _, err := c.Sources()[0].ReadPacket(); err == nil {
		t.Errorf("unexpected extra frame of %d bytes", len(data))
	}
	if n != 10 {
		t.Errorf("captured %d frames, want 10", n)
	}
}

// TestCaptureInfo checks a frame's bytes, lengths, timestamp and link type.
func TestCaptureInfo(t *testing.T) {
	ns := newTestNetns(t)
	c, err := Open(testConfig(ns.b, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snd := newSender(t, ns.a)
	pc := pcaptest.New(pcaptest.LinkEthernet)
	pc.Conn("10.0.0.1:1000", "10.0.0.2:80").SendSegment(true, []byte("hello"))
	before := time.Now()
	snd.send(t, pc.Frames[0].Data)
	src := c.Sources()[0]
	for range 50 {
		data, ci, err := src.ReadPacket()
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != string(pc.Frames[0].Data) {
			t.Errorf("frame differs from what was sent:\n got % x\nwant % x", data, pc.Frames[0].Data)
		}
		if ci.CaptureLength != len(data) || ci.Length != len(data) {
			t.Errorf("capture length %d, length %d, want %d", ci.CaptureLength, ci.Length, len(data))
		}
		if ci.Timestamp.Before(before.Add(-time.Second)) || ci.Timestamp.After(time.Now().Add(time.Second)) {
			t.Errorf("timestamp %v, want about %v", ci.Timestamp, before)
		}
		if lt := src.LinkTypeOf(ci); lt != layers.LinkTypeEthernet || src.Interface() != ns.b {
			t.Errorf("link type %v on %s, want Ethernet on %s", lt, src.Interface(), ns.b)
		}
		return
	}
	t.Fatal("no frame captured")
}

// TestRingFullDrops fills a small ring without reading it and checks that the kernel's
// drops are reported and that what was kept plus what was dropped is what was sent.
func TestRingFullDrops(t *testing.T) {
	ns := newTestNetns(t)
	cfg := testConfig(ns.b, 1)
	cfg.SnapLen = 256
	cfg.BlockSize = 8192
	cfg.RingSize = 2 * 8192
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snd := newSender(t, ns.a)
	pc := pcaptest.New(pcaptest.LinkEthernet)
	k := pc.Conn("10.0.0.1:1000", "10.0.0.2:80")
	for range 500 {
		k.SendSegment(true, []byte(strings.Repeat("y", 200)))
	}
	for _, f := range pc.Frames {
		snd.send(t, f.Data)
	}
	read := readAll(t, c.Sources(), len(pc.Frames), func(int, []byte) {})
	st := c.Stats()
	if st.Drops == 0 {
		t.Fatalf("no drop counted with a 16 KiB ring and 500 frames: %+v", st)
	}
	if st.Packets+st.Drops != uint64(len(pc.Frames)) {
		t.Errorf("kept %d + dropped %d != sent %d", st.Packets, st.Drops, len(pc.Frames))
	}
	if uint64(read) != st.Packets {
		t.Errorf("read %d frames, kernel says %d reached the ring", read, st.Packets)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Interfaces = []string{"eth0"}
	for name, mut := range map[string]func(*Config){
		"no interface":  func(c *Config) { c.Interfaces = nil },
		"any and more":  func(c *Config) { c.Interfaces = []string{"any", "eth0"} },
		"twice":         func(c *Config) { c.Interfaces = []string{"eth0", "eth0"} },
		"long name":     func(c *Config) { c.Interfaces = []string{"abcdefghijklmnop"} },
		"workers":       func(c *Config) { c.Workers = 0 },
		"snaplen":       func(c *Config) { c.SnapLen = 10 },
		"block size":    func(c *Config) { c.BlockSize = 3 << 20 },
		"small block":   func(c *Config) { c.BlockSize = 64 << 10 },
		"ring size":     func(c *Config) { c.RingSize = c.BlockSize },
		"block timeout": func(c *Config) { c.BlockTimeout = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			mut(&c)
			if c.Validate() == nil {
				t.Errorf("%+v: no error", c)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if b := FitBlockSize(1 << 20); b < 1<<20+blockOverhead {
		t.Errorf("FitBlockSize(1MiB) = %d", b)
	}
}

func TestOpenErrors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for AF_PACKET")
	}
	cfg := testConfig("at3-nonexist", 1)
	if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), "at3-nonexist") {
		t.Errorf("Open on a missing interface: %v, want an error naming it", err)
	}
	cfg = testConfig("lo", 1)
	cfg.Filter = "tcp port"
	if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), "tcp port") {
		t.Errorf("Open with a bad filter: %v, want an error naming it", err)
	}
}

// TestAnyLoopback captures a real TCP exchange over loopback on "any": frames start at the
// IP header, and each packet is seen once although lo shows it outgoing and incoming.
func TestAnyLoopback(t *testing.T) {
	ns := newTestNetns(t)
	if out, err := exec.Command("ip", "-n", ns.name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	cfg := testConfig("any", 1)
	cfg.Filter = "tcp port 8765"
	if !canCompileFilters {
		t.Skip("built without cgo: no tcpdump filter compiler")
	}
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The listener and the client are created on this thread, inside the namespace.
	ln, err := net.Listen("tcp", "127.0.0.1:8765")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", "127.0.0.1:8765")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("hello-any"))
	buf := make([]byte, 9)
	if _, err := io.ReadFull(srv, buf); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	srv.Close()
	src := c.Sources()[0]
	hello, frames := 0, 0
	for idle := 0; idle < 10; {
		data, ci, err := src.ReadPacket()
		if errors.Is(err, ErrTimeout) {
			idle++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		frames++
		if src.LinkTypeOf(ci) != layers.LinkTypeRaw || data[0]>>4 != 4 {
			t.Fatalf("frame does not start with IPv4 (link type %v): % x", src.LinkTypeOf(ci), data[:min(20, len(data))])
		}
		if ci.InterfaceIndex <= 0 {
			t.Errorf("interface index %d", ci.InterfaceIndex)
		}
		if strings.Contains(string(data), "hello-any") {
			hello++
		}
	}
	if hello != 1 {
		t.Errorf("the data segment was captured %d times in %d frames, want once", hello, frames)
	}
}

// TestAnyDuplicates sends frames out of one end of a veth pair while capturing on "any":
// each packet shows up outgoing on a and incoming on b, and must be delivered once, the
// second copy counted as a duplicate. The same packets sent again later (a
// retransmission) are delivered again.
func TestAnyDuplicates(t *testing.T) {
	ns := newTestNetns(t)
	cfg := testConfig("any", 1)
	if !canCompileFilters {
		t.Skip("built without cgo: no tcpdump filter compiler")
	}
	cfg.Filter = "tcp port 80"
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snd := newSender(t, ns.a)
	pc := pcaptest.New(pcaptest.LinkEthernet)
	for i := range 10 {
		k := pc.Conn(fmt.Sprintf("10.0.0.1:%d", 40000+i), "10.0.0.2:80")
		k.SendSegment(true, []byte(fmt.Sprintf("GET /dup/%d HTTP/1.1\r\n\r\n", i)))
	}
	count := func() map[string]int {
		seen := map[string]int{}
		readAll(t, c.Sources(), 1<<20, func(_ int, data []byte) {
			if i := strings.Index(string(data), "GET /dup/"); i >= 0 {
				seen[string(data[i:i+10])]++
			}
		})
		return seen
	}
	for _, f := range pc.Frames {
		snd.send(t, f.Data)
	}
	first := count()
	time.Sleep(3 * dedupWindow * time.Nanosecond)
	for _, f := range pc.Frames {
		snd.send(t, f.Data)
	}
	second := count()
	for i := range 10 {
		key := fmt.Sprintf("GET /dup/%d", i)
		if first[key] != 1 || second[key] != 1 {
			t.Errorf("%s: delivered %d times, then %d times when sent again; want 1 and 1", key, first[key], second[key])
		}
	}
	if st := c.Stats(); st.Duplicates != 20 || st.Packets != 40 {
		t.Errorf("stats: %d duplicates of %d packets, want 20 of 40", st.Duplicates, st.Packets)
	}
}

func TestDedupIgnoresTTL(t *testing.T) {
	d := newDedup()
	pc := pcaptest.New(pcaptest.LinkEthernet)
	k := pc.Conn("10.0.0.1:40000", "10.0.0.2:80")
	k.SendSegment(true, []byte("GET / HTTP/1.1\r\n\r\n"))
	k6 := pc.Conn("[2001:db8::1]:40000", "[2001:db8::2]:80")
	k6.SendSegment(true, []byte("GET / HTTP/1.1\r\n\r\n"))
	for _, f := range pc.Frames {
		ip := append([]byte(nil), f.Data[14:]...)
		routed := append([]byte(nil), ip...)
		if ip[0]>>4 == 4 {
			routed[8]--                   // TTL
			routed[10], routed[11] = 1, 2 // checksum
		} else {
			routed[7]-- // hop limit
		}
		other := append([]byte(nil), routed...)
		other[len(other)-1] ^= 1 // another payload byte
		if d.duplicate(ip, 2, 1000) {
			t.Fatal("first copy taken for a duplicate")
		}
		if d.duplicate(ip, 2, 2000) {
			t.Error("the same packet again on the same interface (a retransmission) taken for a duplicate")
		}
		if !d.duplicate(routed, 3, 3000) {
			t.Error("routed copy on another interface not taken for a duplicate")
		}
		if d.duplicate(other, 3, 4000) {
			t.Error("a packet with other payload taken for a duplicate")
		}
		if d.duplicate(ip, 4, 4000+2*dedupWindow) {
			t.Error("a copy after the window taken for a duplicate")
		}
	}
}

// FuzzDedup feeds arbitrary bytes (what "any" delivers: an IP packet, or anything a
// malformed sender puts on the wire) to the duplicate check: it must never panic, and a
// packet is never a duplicate of itself on the same interface.
func FuzzDedup(f *testing.F) {
	pc := pcaptest.New(pcaptest.LinkEthernet)
	pc.Conn("10.0.0.1:40000", "10.0.0.2:80").SendSegment(true, []byte("GET / HTTP/1.1\r\n\r\n"))
	pc.Conn("[2001:db8::1]:40000", "[2001:db8::2]:80").SendSegment(true, []byte("GET / HTTP/1.1\r\n\r\n"))
	for _, fr := range pc.Frames {
		f.Add(fr.Data[14:])
	}
	f.Add([]byte{0x45})
	f.Add([]byte{0x60, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := newDedup()
		if d.duplicate(b, 1, 100) || d.duplicate(b, 1, 200) {
			t.Fatal("a packet on one interface taken for a duplicate")
		}
		_ = d.duplicate(b, 2, 300)
	})
}

// BenchmarkDedup is the per-frame cost of the duplicate check on "any" (424-byte frames,
// the bench pcap's average).
func BenchmarkDedup(b *testing.B) {
	pc := pcaptest.New(pcaptest.LinkEthernet)
	k := pc.Conn("10.0.0.1:40000", "10.0.0.2:80")
	k.SendSegment(true, []byte(strings.Repeat("x", 424-14-40)))
	ip := pc.Frames[0].Data[14:]
	d := newDedup()
	b.SetBytes(int64(len(ip)))
	b.ReportAllocs()
	ts := int64(0)
	for b.Loop() {
		ts += 3000
		ip[4]++ // another IP id: another packet
		d.duplicate(ip, 1, ts)
	}
}
