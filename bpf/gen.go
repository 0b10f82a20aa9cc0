// Package bpf holds apitap's eBPF programs (C, CO-RE) and the Go bindings
// bpf2go generated from them. The objects are committed: building apitap
// needs no clang. `make generate` rebuilds them with Debian's clang and
// `make test` checks that the committed ones match the sources.
package bpf

//go:generate go tool bpf2go -cc clang -no-strip=false -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" -target amd64 -type event -type conn Socket socket.c -- -I.
