// Package pcapfile reads capture files: classic pcap (either byte order, microsecond or
// nanosecond timestamps), pcapng, and gzip-compressed forms of both, told apart by their magic
// numbers rather than by file name.
//
// Reading is pure Go (pcapgo) behind a 1 MiB buffer, and zero-copy: the frame ReadPacket
// returns is overwritten by the next call. A pcapng file may hold interfaces of several link
// types; LinkTypeOf gives each frame's own.
//
// Errors are one line naming the file. A file that ends in the middle of a record yields
// every complete frame first, then an error wrapping capture.ErrTruncated.
//
// Limitation: pcapgo holds link types in 8 bits, so in a pcapng file a second or later
// interface with a link type above 255 is seen truncated; LINKTYPE_LINUX_SLL2 (276) still
// comes through as capture.LinkTypeLinuxSLL2.
package pcapfile
