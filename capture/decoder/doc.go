// Package decoder turns captured frames into TCP segments for gopacket/reassembly, fast: it
// hand-parses link, VLAN and IP headers and lets layers.TCP decode the TCP header, with no
// allocation per frame on the common path and no gopacket.NewPacket.
//
// Link types: Ethernet (with 802.1Q, 802.1ad and QinQ tags), Linux cooked capture v1 (SLL)
// and v2 (SLL2, parsed here: gopacket v1.1.19 has no layer for it), raw IP (101, and 12/14
// as some platforms write it), LINKTYPE_IPV4/IPV6, BSD null/loopback and OpenBSD loop.
// Network: IPv4, with fragments reassembled in a bounded table keyed by capture time, and
// IPv6, skipping hop-by-hop, routing, destination options and AH headers (IPv6 fragments
// are counted and dropped). VXLAN (UDP port 4789, as AWS and GCP traffic mirroring send it)
// is decapsulated once: the inner Ethernet frame is decoded and the segment carries the VNI,
// which for inner IPv4 is also part of the segment's network flow (EndpointIPv4VNI).
//
// The common frame (Ethernet, IPv4 without options, not a fragment, TCP) is decoded inline
// before the general path; FuzzFastPath holds that both give the same segment and counts.
//
// Malformed input is data: every frame that yields no segment is counted under one Reason,
// and no input makes Decode panic (FuzzDecode holds that line).
package decoder
