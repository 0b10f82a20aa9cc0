// Package afpacket captures live traffic from network interfaces with AF_PACKET sockets and
// TPACKET_V3 memory-mapped rings, in pure Go (golang.org/x/sys/unix).
//
// A Capture opens, for each interface, Workers sockets joined in one PACKET_FANOUT group,
// so the kernel spreads packets across workers; worker i reads socket i of every interface
// through its own Source. Both directions of a TCP connection go to the same worker: the
// kernel's PACKET_FANOUT_HASH uses the symmetric flow hash (the package's tests verify it),
// and VXLAN traffic, whose outer UDP header differs per direction, is spread by a classic BPF
// fanout program (FanoutVXLAN) that hashes the inner addresses and ports symmetrically.
//
// Every socket carries a classic BPF filter (tcpdump syntax, compiled with libpcap when the
// binary is built with cgo) whose accept value is the snap length. The kernel counts what
// the ring had no room for (PACKET_STATISTICS); Stats reports it per Capture.
//
// Frames are returned zero-copy from the ring: a frame's bytes stay valid until the next
// ReadPacket call on the same Source, which hands finished blocks back to the kernel.
package afpacket
