// Package capture defines where packets come from: a Source yields captured frames, one at a
// time, each with its capture metadata and link type.
//
// Implementations live in sub-packages named after what they read: pcapfile (classic pcap,
// pcapng and their gzip-compressed forms) and afpacket (live interfaces, TPACKET_V3 rings). Package decoder turns frames into TCP segments
// for reassembly.
//
// gopacket v1.1.19 stores a link type in 8 bits (layers.LinkType is a uint8), so link types
// above 255 cannot be represented as such. LINKTYPE_LINUX_SLL2 (276) is carried as
// LinkTypeLinuxSLL2, the value pcapgo truncates it to; sources map other link types above
// 255 to LinkTypeUnknown so that no decoder mistakes them for a type it supports.
package capture
