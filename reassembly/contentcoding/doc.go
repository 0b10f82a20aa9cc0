// Package contentcoding undoes HTTP content codings (gzip, deflate, br) on
// captured bodies, with a hard cap on the decoded size so that a
// decompression bomb costs no more than the cap.
//
// Decompressor state is pooled, so a call allocates little beyond the
// output. Decode is safe for concurrent use.
package contentcoding
