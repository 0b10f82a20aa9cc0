// Package afpacket captures live traffic from network interfaces with AF_PACKET sockets and
// TPACKET_V3 memory-mapped rings, in pure Go (golang.org/x/sys/unix).
//
// A Capture opens, for each interface, Workers sockets joined in one PACKET_FANOUT group,
// so the kernel spreads packets across workers; worker i reads socket i of every interface
// through its own Source. Both directions of a TCP connection must go to the same worker.
// The kernel's PACKET_FANOUT_HASH is symmetric for plain TCP/IP (the tests verify it) but
// hashes the outer headers of VXLAN, whose UDP source port senders derive from the inner
// flow and so differs per direction; the default FanoutSymmetric attaches a classic BPF
// fanout program that XORs addresses and ports (order-independent) and looks inside VXLAN.
//
// Every socket carries a classic BPF filter (tcpdump syntax, compiled with libpcap when the
// binary is built with cgo) whose accept value is the snap length. The kernel counts what
// the ring had no room for (PACKET_STATISTICS); Stats reports it per Capture.
//
// On "any" (every interface, cooked frames starting at the IP header) a packet that crosses
// two interfaces of the node is seen on both; the reader delivers the first copy and drops
// the copies seen on another interface within 10 ms, identical but for the TTL (hop limit)
// and the IPv4 checksum, counting them in Stats.Duplicates. Loopback's outgoing copies are
// dropped too. "any" cannot be listed with other interfaces.
//
// Frames are returned zero-copy from the ring: a frame's bytes stay valid until the next
// ReadPacket call on the same Source, which hands finished blocks back to the kernel.
package afpacket
