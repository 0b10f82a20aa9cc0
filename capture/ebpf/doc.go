// Package ebpf captures API traffic at the socket layer with eBPF, for nodes
// without a mirror port and for TLS traffic: no packets are read.
//
// The programs (bpf/socket.c) use only hooks that work without kprobes or
// fentry: raw tracepoints, tracepoints and uprobe_multi. They need BTF and
// Linux 6.2 (bpf_rdonly_cast); TLS needs 6.6 (uprobe_multi).
//
//   - the sock_send_length and sock_recv_length raw tracepoints fire for
//     every send and receive on a socket; the syscall's registers
//     (bpf_task_pt_regs) give the fd and the user buffer, checked against the
//     socket through the task's file table, and the bytes are copied in chunks
//     of Config.ChunkSize into a BPF ring buffer;
//   - sock:inet_sock_set_state gives the connection's side (connect or accept)
//     and its end;
//   - with Config.TLS, uprobe_multi entry and return probes on OpenSSL's
//     SSL_read, SSL_write, SSL_read_ex and SSL_write_ex in every libssl that a
//     process maps (rescanned every Config.TLSRescan, so libraries of new
//     processes and containers are attached as they appear) capture the
//     plaintext; the socket tracepoint nested in an SSL call links the SSL
//     object to its socket;
//   - also with Config.TLS, Go programs' crypto/tls: uprobe_multi on the
//     entry of (*Conn).Write and on the entry and every RET instruction of
//     (*Conn).Read (found by disassembly; uretprobes break on Go's moving
//     stacks), keyed by goroutine, the socket found through the tls.Conn's
//     *net.TCPConn file descriptor.
//
// Every data event carries the connection id, its direction, the position of
// its first byte in that direction, a timestamp, pid, tid and cgroup id.
// Capture rebuilds each connection's byte streams by position, counting
// gaps where events were lost, and feeds them to reassembly.Streams: the same
// HTTP parser and request/response pairing as the packet path.
//
// Filters run in the kernel: ports (local or remote), cgroup ids, and the
// agent's own pid. A connection whose two ends are both local (loopback, pods
// on one node) is reported once, from its server side.
//
// Capabilities: CAP_BPF and CAP_PERFMON load the programs and attach the
// tracepoints and uprobe_multi links; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
// let the agent read other processes' /proc/PID/maps and libraries;
// CAP_NET_RAW is not used by this package but by the agent's other capture
// modes. CAP_SYS_ADMIN is not needed.
//
// The generated objects target x86-64 (syscall registers are read from
// pt_regs).
package ebpf
