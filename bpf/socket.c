//go:build ignore

// SPDX-License-Identifier: GPL-2.0
// apitap socket capture: TCP socket data from the sock:sock_{send,recv}_length
// tracepoints (user buffer found through the syscall's registers), TLS
// plaintext from OpenSSL's SSL_read/SSL_write(_ex) via uprobe_multi, and
// connection lifecycle from sock:inet_sock_set_state. Events go to user space
// through one ring buffer; each data event carries the byte position of its
// first byte in its direction so user space detects lost data by position.
//
// x86-64 only: syscall numbers and argument registers are read from pt_regs.

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define MSG_PEEK 2
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7

#define MAX_CHUNK 16384 // largest data chunk per event (power of two)
#define MAX_CHUNKS 16   // chunks per call; bytes past them become a gap
#define MAX_IOV 8       // iovecs read per readv/writev/sendmsg/recvmsg

// Event kinds.
#define EV_DATA 1
#define EV_CLOSE 2

// Directions: egress = written by the local socket, ingress = read by it.
#define DIR_EGRESS 0
#define DIR_INGRESS 1

// Connection and event flags.
#define F_FROM_START 0x01 // seen from the handshake: positions start at the stream's first byte
#define F_CLIENT 0x02     // the local socket connected (client side)
#define F_SERVER 0x04     // the local socket was accepted (server side)
#define F_TLS 0x08        // plaintext from a TLS library (event), or the connection has some
#define F_IGNORED 0x10    // conn: filtered out by port
#define F_DUP 0x20        // conn: client side of a connection whose server side is local too
#define F_RAW_TLS 0x40    // conn: raw bytes are TLS records: not sent
#define F_CHECKED 0x80    // conn: duplicate check done

// Stats slots (per-CPU array).
enum {
	ST_EVENTS = 0,     // unused: user space counts the events it reads
	ST_LOST,           // events the ring buffer had no room for
	ST_LOST_BYTES,     // data bytes in those events
	ST_TRUNC_BYTES,    // bytes of calls past MAX_CHUNKS chunks or unreadable
	ST_FILTERED,       // socket calls dropped by port, cgroup or pid filters
	ST_DUP,            // socket calls on duplicate (client-side, local server) connections
	ST_UNATTRIBUTED,   // socket calls whose syscall did not map to the socket
	ST_TLS_UNLINKED,   // SSL calls whose socket was unknown
	ST_TLS_CALLS,      // SSL calls captured
	ST_CONN_EVICT,     // connection states evicted from a full table (slot taken while in use)
	ST_MAX,
};

// Set by the loader.
const volatile u32 chunk_size = 4096;
const volatile u32 self_tgid = 0;
const volatile u8 filter_ports = 0;
const volatile u8 filter_cgroups = 0;
const volatile u8 dedup_local = 1;
const volatile u8 tls_enabled = 0;
// The reader is woken only once this many bytes wait in the ring buffer
// (it also polls): a wakeup per event would cost more than the copy.
const volatile u32 wakeup_bytes = 0;


struct conn {
	u64 id;
	u64 pos[2];     // raw socket bytes per direction
	u64 tls_pos[2]; // TLS plaintext bytes per direction
	u8 laddr[16];   // IPv6 or IPv4-mapped
	u8 raddr[16];
	u16 lport, rport;
	u8 flags;
	u8 tls_state; // TLS_OWNER or TLS_DUP once decided
	u8 ref;       // used since the slot hand last passed (see new_conn)
	u8 pad;
	u64 cgroup;     // of the task of the first event (saves a helper call per event)
	u64 fd_checked; // tgid << 32 | fd last found to be this socket in the fd table
	u64 sk;         // the socket (struct sock *) this slot holds; 0: free
};

#define TLS_OWNER 1
#define TLS_DUP 2

struct tuple {
	u8 laddr[16];
	u8 raddr[16];
	u16 lport, rport;
};

struct event {
	u8 kind;
	u8 dir;
	u8 flags;
	u8 pad;
	u32 len;  // data bytes following the header
	u64 conn_id;
	u64 pos;  // position of the first data byte in its direction (close: egress end)
	u64 pos2; // close: ingress end
	u64 ts;   // CLOCK_MONOTONIC ns
	u32 pid;  // tgid
	u32 tid;
	u64 cgroup;
	u8 laddr[16];
	u8 raddr[16];
	u16 lport, rport;
	u32 pad2;
	u8 data[MAX_CHUNK];
	u32 since_query; // per CPU, not sent: events since the last ring buffer query
};

struct ssl_call {
	u64 ssl;
	u64 buf;
	u64 size_ptr; // SSL_*_ex: where the byte count is written
	u64 sk;       // socket seen during the call
	u32 kind;     // cookie: 0 SSL_write, 1 SSL_read, 2 SSL_write_ex, 3 SSL_read_ex
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

// Connection state lives in the slots of an array (whose lookups the
// verifier inlines); conns maps a socket to its slot, and a small per-CPU
// cache in front of it spares most events the hash lookup.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, u32);
	__type(value, struct conn);
} conn_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072);
	__type(key, u64);   // struct sock *
	__type(value, u32); // slot in conn_slots
} conns SEC(".maps");

#define CACHE_WAYS 16

// conn_cache is a direct-mapped per-CPU cache of conns; an entry is used
// only if its slot still holds that socket.
struct conn_cache {
	u64 sk[CACHE_WAYS];
	u32 slot[CACHE_WAYS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct conn_cache);
} conn_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tuple);
	__type(value, u8);
} servers SEC(".maps");

// TLS plaintext of a connection whose two ends are local is reported by the
// side whose SSL call is seen first (either side may be a non-OpenSSL peer).
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tuple); // ordered ends
	__type(value, u64);        // owner conn id
} tls_owners SEC(".maps");

// Port filter: a bitmap of the 65536 ports (bit p%64 of word p/64). An
// array lookup is inlined by the verifier: sockets of other ports are
// dropped before any helper call.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u8);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u64); // pid_tgid
	__type(value, struct ssl_call);
} ssl_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, u64); // SSL *
	__type(value, u64); // struct sock *
} ssl_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct event);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_MAX);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} next_id SEC(".maps");

// woken_at is the ring's consumer position (+1) at the last forced wakeup.
static volatile u64 woken_at;

// wakeup_flag wakes the reader once wakeup_bytes wait, and not again until
// it has read: a reader woken but not yet running needs no second wakeup
// (each is an interrupt, a VM exit on a VM).
static __always_inline u64 wakeup_flag(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	u64 cons = bpf_ringbuf_query(&events, BPF_RB_CONS_POS) + 1;
	if (woken_at == cons)
		return BPF_RB_NO_WAKEUP;
	woken_at = cons;
	return BPF_RB_FORCE_WAKEUP;
}

// bpf_rdonly_cast turns an address into a typed kernel pointer: fields are
// then read with plain (fault-tolerant) loads instead of one helper call each.
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define KPTR(T, p) ((T *)bpf_rdonly_cast((void *)(p), bpf_core_type_id_kernel(T)))

static __always_inline void count(u32 slot, u64 n)
{
	u64 *v = bpf_map_lookup_elem(&stats, &slot);
	if (v)
		*v += n;
}

// read_tuple fills the connection's addresses from the socket.
static __always_inline void read_tuple(struct sock *sk, struct conn *c)
{
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	c->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	c->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&c->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&c->raddr, sk, __sk_common.skc_v6_daddr);
		return;
	}
	c->laddr[10] = 0xff;
	c->laddr[11] = 0xff;
	c->raddr[10] = 0xff;
	c->raddr[11] = 0xff;
	BPF_CORE_READ_INTO((u32 *)&c->laddr[12], sk, __sk_common.skc_rcv_saddr);
	BPF_CORE_READ_INTO((u32 *)&c->raddr[12], sk, __sk_common.skc_daddr);
}

// port_match tells whether port is in the port filter.
static __always_inline bool port_match(u16 port)
{
	u32 w = port >> 6;
	u64 *bits = bpf_map_lookup_elem(&ports, &w);
	return bits && (*bits & (1ULL << (port & 63)));
}

static __always_inline u32 cache_way(u64 sk)
{
	return ((sk * 0x9E3779B97F4A7C15ULL) >> 60) & (CACHE_WAYS - 1);
}

// find_conn returns the state of socket sk, or 0.
static __always_inline struct conn *find_conn(u64 sk)
{
	u32 zero = 0, way = cache_way(sk), slot;
	struct conn_cache *cc = bpf_map_lookup_elem(&conn_cache, &zero);
	struct conn *c;
	if (cc && cc->sk[way] == sk) {
		slot = cc->slot[way];
		c = bpf_map_lookup_elem(&conn_slots, &slot);
		if (c && c->sk == sk)
			goto found;
	}
	u32 *sp = bpf_map_lookup_elem(&conns, &sk);
	if (!sp)
		return 0;
	slot = *sp;
	c = bpf_map_lookup_elem(&conn_slots, &slot);
	if (!c || c->sk != sk)
		return 0; // the slot went to another connection
	if (cc) {
		cc->sk[way] = sk;
		cc->slot[way] = slot;
	}
found:
	if (!c->ref)
		c->ref = 1;
	return c;
}

// slot_hand is the next slot new_conn considers.
static volatile u64 slot_hand;

// new_conn creates the state of a socket first seen now, in the first of
// up to 4 slots from the hand that is free or unused since the hand last
// passed (CLOCK: an approximation of least recently used), else the 4th.
static __always_inline struct conn *new_conn(struct sock *sk, u8 flags)
{
	u32 zero = 0;
	u64 key = (u64)sk;
	u64 *ctr = bpf_map_lookup_elem(&next_id, &zero);
	if (!ctr)
		return 0;
	// A former connection at this socket's address is over.
	u32 *old = bpf_map_lookup_elem(&conns, &key);
	if (old) {
		u32 os = *old;
		struct conn *oc = bpf_map_lookup_elem(&conn_slots, &os);
		if (oc && oc->sk == key)
			oc->sk = 0;
	}
	struct conn *c = 0;
	u32 slot = 0;
	u32 n_slots = ((struct bpf_map *)&conn_slots)->max_entries; // set by the loader
#pragma unroll
	for (int i = 0; i < 4; i++) {
		slot = __sync_fetch_and_add(&slot_hand, 1) % n_slots;
		c = bpf_map_lookup_elem(&conn_slots, &slot);
		if (!c)
			return 0;
		if (!c->sk || !c->ref)
			break;
		c->ref = 0;
	}
	if (!c)
		return 0;
	if (c->sk)
		count(ST_CONN_EVICT, 1);
	__builtin_memset(c, 0, sizeof(*c));
	c->id = __sync_fetch_and_add(ctr, 1) + 1;
	read_tuple(sk, c);
	c->flags = flags;
	if (filter_ports && !port_match(c->lport) && !port_match(c->rport))
		c->flags |= F_IGNORED;
	c->ref = 1;
	c->sk = key;
	bpf_map_update_elem(&conns, &key, &slot, BPF_ANY);
	return c;
}

// task_filtered applies the pid and cgroup filters to the current task.
static __always_inline bool task_filtered(u64 pid_tgid)
{
	if (self_tgid && (u32)(pid_tgid >> 32) == self_tgid)
		return true;
	if (filter_cgroups) {
		u64 cg = bpf_get_current_cgroup_id();
		if (!bpf_map_lookup_elem(&cgroups, &cg))
			return true;
	}
	return false;
}

// check_dup marks the client side of a connection whose server side is a
// local socket too: the server side reports the calls.
static __always_inline void check_dup(struct conn *c)
{
	if (c->flags & F_CHECKED)
		return;
	c->flags |= F_CHECKED;
	if (!dedup_local || !(c->flags & F_CLIENT))
		return;
	struct tuple t = {};
	__builtin_memcpy(t.laddr, c->raddr, 16);
	__builtin_memcpy(t.raddr, c->laddr, 16);
	t.lport = c->rport;
	t.rport = c->lport;
	if (bpf_map_lookup_elem(&servers, &t))
		c->flags |= F_DUP;
}

struct emit_ctx {
	u64 base, blen, off, left, done, pos, iov;
	u32 n_iov, vi, csize, flags;
	u32 raw_tls;
};

// ordered_tuple names a connection the same way from both of its ends.
static __always_inline void ordered_tuple(struct conn *c, struct tuple *t)
{
	bool swap = c->lport > c->rport;
	if (c->lport == c->rport) {
#pragma unroll
		for (int i = 0; i < 16; i++) {
			if (c->laddr[i] != c->raddr[i]) {
				swap = c->laddr[i] > c->raddr[i];
				break;
			}
		}
	}
	if (swap) {
		__builtin_memcpy(t->laddr, c->raddr, 16);
		__builtin_memcpy(t->raddr, c->laddr, 16);
		t->lport = c->rport;
		t->rport = c->lport;
	} else {
		__builtin_memcpy(t->laddr, c->laddr, 16);
		__builtin_memcpy(t->raddr, c->raddr, 16);
		t->lport = c->lport;
		t->rport = c->rport;
	}
}

// tls_dup decides once whether this end reports the connection's TLS plaintext.
static __always_inline bool tls_dup(struct conn *c)
{
	if (!dedup_local)
		return false;
	if (!c->tls_state) {
		struct tuple t = {};
		ordered_tuple(c, &t);
		u64 id = c->id;
		bpf_map_update_elem(&tls_owners, &t, &id, BPF_NOEXIST);
		u64 *owner = bpf_map_lookup_elem(&tls_owners, &t);
		c->tls_state = (owner && *owner != c->id) ? TLS_DUP : TLS_OWNER;
	}
	return c->tls_state == TLS_DUP;
}

// emit_step does one step of emit: read the next iovec, or send one chunk.
static long emit_step(u32 i, struct emit_ctx *x)
{
	u32 zero = 0;
	if (x->left == 0)
		return 1;
	if (x->off >= x->blen) {
		if (!x->iov || x->vi >= x->n_iov || x->vi >= MAX_IOV)
			return 1;
		struct iovec v = {};
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(x->iov + x->vi * sizeof(struct iovec))))
			return 1;
		x->vi++;
		x->base = (u64)v.iov_base;
		x->blen = v.iov_len;
		x->off = 0;
		return 0;
	}
	struct event *e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 1;
	u64 n = x->blen - x->off;
	if (n > x->left)
		n = x->left;
	if (n > x->csize)
		n = x->csize;
	u32 n32 = n;
	barrier_var(n32);
	if (n32 > MAX_CHUNK || n32 == 0)
		return 1;
	if (bpf_probe_read_user(e->data, n32, (void *)(x->base + x->off)))
		return 1;
	e->len = n32;
	e->pos = x->pos + x->done;
	if (x->done == 0 && x->pos == 0 && !(x->flags & F_TLS) && n32 >= 2 && e->data[0] >= 0x14 &&
	    e->data[0] <= 0x17 && e->data[1] == 0x03) {
		// A TLS record (handshake, or application data when capture began
		// mid-connection) at the start of the raw stream: ciphertext, not sent.
		x->raw_tls = 1;
		x->left = 0;
		return 1;
	}
	// Query the ring's fill level every 16th event of a CPU only.
	u64 wake = (++e->since_query & 15) ? BPF_RB_NO_WAKEUP : wakeup_flag();
	if (bpf_ringbuf_output(&events, e, offsetof(struct event, data) + n32, wake)) {
		count(ST_LOST, 1);
		count(ST_LOST_BYTES, n32);
	}
	x->off += n32;
	x->done += n32;
	x->left -= n32;
	return 0;
}

#define HDR_LEN offsetof(struct event, data)

// fill_hdr writes an event's header.
static __always_inline void fill_hdr(struct event *e, struct conn *c, u8 dir, u8 flags, u64 pos,
				     u64 pid_tgid)
{
	e->kind = EV_DATA;
	e->dir = dir;
	e->flags = flags | (c->flags & (F_FROM_START | F_CLIENT | F_SERVER));
	e->pad = 0;
	e->conn_id = c->id;
	e->pos = pos;
	e->pos2 = 0;
	e->ts = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (u32)pid_tgid;
	if (!c->cgroup)
		c->cgroup = bpf_get_current_cgroup_id();
	e->cgroup = c->cgroup;
	__builtin_memcpy(e->laddr, c->laddr, 16);
	__builtin_memcpy(e->raddr, c->raddr, 16);
	e->lport = c->lport;
	e->rport = c->rport;
	e->pad2 = 0;
}

// Results of emit_small.
#define SMALL_SENT 0
#define SMALL_LOST 1
#define SMALL_RAW_TLS 2
#define SMALL_UNREADABLE 3

// emit_small sends a call of n (1..size) bytes as one event reserved in the
// ring buffer at header + size bytes and read from user memory straight
// into it: no copy through the per-CPU scratch event. size is a constant
// per call site (the verifier needs it): the record is rounded up to the
// next power-of-two size class (at most twice the data's ring space).
static __always_inline int emit_small(struct conn *c, u8 dir, u8 flags, u64 pos, u64 pid_tgid,
				      u64 buf, u64 n, const u64 size)
{
	struct event *r = bpf_ringbuf_reserve(&events, HDR_LEN + size, 0);
	if (!r)
		return SMALL_LOST;
	barrier_var(n);
	if (n > size || n == 0 || bpf_probe_read_user(r->data, n, (void *)buf)) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return SMALL_UNREADABLE;
	}
	if (pos == 0 && !(flags & F_TLS) && n >= 2 && r->data[0] >= 0x14 && r->data[0] <= 0x17 &&
	    r->data[1] == 0x03) {
		// A TLS record at the start of the raw stream: ciphertext, not sent.
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return SMALL_RAW_TLS;
	}
	fill_hdr(r, c, dir, flags, pos, pid_tgid);
	r->len = n;
	u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&scratch, &zero);
	// Query the ring's fill level every 16th event of a CPU only.
	u64 wake = (e && (++e->since_query & 15)) ? BPF_RB_NO_WAKEUP : wakeup_flag();
	bpf_ringbuf_submit(r, wake);
	return SMALL_SENT;
}

// emit copies up to MAX_CHUNKS chunks of the user buffers described by
// iov (n_iov entries, or buf/len when iov is 0) to the ring buffer.
static __always_inline void emit(struct conn *c, u8 dir, u8 flags, u64 pos, u64 pid_tgid,
				 u64 buf, u64 len, u64 iov, u32 n_iov)
{
	u32 csize = chunk_size;
	if (csize > MAX_CHUNK || csize == 0)
		csize = MAX_CHUNK;
	if (!iov && len <= csize && len <= 4096) {
		// One chunk of up to 4 KiB (most calls): reserved in place.
		u64 n = len;
		int res;
		if (n <= 16)
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 16);
		else if (n <= 32)
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 32);
		else if (n <= 64)
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 64);
		else if (n <= 128)
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 128);
		else if (n <= 256)
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 256);
		else if (n <= 512)
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 512);
		else if (n <= 1024)
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 1024);
		else if (n <= 2048)
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 2048);
		else
			res = emit_small(c, dir, flags, pos, pid_tgid, buf, n, 4096);
		if (res == SMALL_LOST) {
			count(ST_LOST, 1);
			count(ST_LOST_BYTES, n);
		} else if (res == SMALL_RAW_TLS) {
			c->flags |= F_RAW_TLS;
		} else if (res == SMALL_UNREADABLE) {
			count(ST_TRUNC_BYTES, n);
		}
		return;
	}
	u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return;
	fill_hdr(e, c, dir, flags, pos, pid_tgid);

	struct emit_ctx x = {
		.base = buf,
		.blen = iov ? 0 : len,
		.left = len,
		.pos = pos,
		.iov = iov,
		.n_iov = n_iov,
		.flags = flags,
		.csize = csize,
	};
	if (!iov && len <= x.csize) {
		// One chunk: no loop.
		emit_step(0, &x);
	} else {
		bpf_loop(MAX_CHUNKS + MAX_IOV, emit_step, &x, 0);
	}
	if (x.raw_tls) {
		c->flags |= F_RAW_TLS;
		return;
	}
	if (x.left)
		count(ST_TRUNC_BYTES, x.left);
}

// regs_off is where a task's user registers sit from the base of its
// kernel stack: task_pt_regs() on x86-64 is that base plus constants of
// the kernel build (THREAD_SIZE, stack padding), so the offset is learned
// from bpf_task_pt_regs once and then saves that helper call per event.
static volatile u64 regs_off;

// task_regs returns the user registers of task (which is current).
static __always_inline struct pt_regs *task_regs(struct task_struct *task)
{
	u64 base = (u64)task->stack;
	u64 off = regs_off;
	if (!off) {
		off = bpf_task_pt_regs(task) - base;
		regs_off = off;
	}
	return KPTR(struct pt_regs, base + off);
}

// fd_is_sock tells whether fd of the current task is the socket sk.
static __always_inline bool fd_is_sock(struct task_struct *task, u64 fd, u64 sk)
{
	struct fdtable *fdt = task->files->fdt;
	if (fd >= fdt->max_fds)
		return false;
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), (void *)((u64)fdt->fd + fd * sizeof(f))) || !f)
		return false;
	struct socket *so = KPTR(struct socket, KPTR(struct file, f)->private_data);
	return (u64)so->sk == sk;
}

// on_sock handles sock_sendmsg/sock_recvmsg's tracepoint: raw, so the
// kernel does not format a trace record first (TP_PROTO(sk, ret, flags)).
static __always_inline int on_sock(struct bpf_raw_tracepoint_args *ctx, u8 dir)
{
	struct sock *sk = (struct sock *)ctx->args[0];
	int ret = (int)ctx->args[1];
	int msg_flags = (int)ctx->args[2];
	if (ret <= 0 || (dir == DIR_INGRESS && (msg_flags & MSG_PEEK)))
		return 0;
	struct sock *ks = KPTR(struct sock, sk);
	if (ks->sk_protocol != IPPROTO_TCP)
		return 0;
	u16 family = ks->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	// Without TLS (whose SSL calls are linked to their sockets whatever
	// the port), a socket of other ports ends here, before any helper call.
	if (filter_ports && !tls_enabled && !port_match(ks->__sk_common.skc_num) &&
	    !port_match(bpf_ntohs(ks->__sk_common.skc_dport)))
		return 0;
	u64 key = (u64)sk;
	// pid and tgid read from the task (needed below for its registers
	// anyway): one helper call fewer than bpf_get_current_pid_tgid.
	struct task_struct *task = bpf_get_current_task_btf();
	u64 pid_tgid = ((u64)task->tgid << 32) | (u32)task->pid;
	struct conn *c = find_conn(key);
	if (!c) {
		c = new_conn(sk, 0);
		if (!c)
			return 0;
	}
	u64 len = ret;
	u64 pos = c->pos[dir & 1];
	c->pos[dir & 1] = pos + len;

	struct ssl_call *sc = tls_enabled ? bpf_map_lookup_elem(&ssl_calls, &pid_tgid) : 0;
	if (sc) {
		// Inside SSL_read/SSL_write on this thread: this socket carries that SSL object.
		sc->sk = key;
		u64 ssl = sc->ssl;
		bpf_map_update_elem(&ssl_socks, &ssl, &key, BPF_ANY);
		c->flags |= F_TLS | F_RAW_TLS;
		return 0;
	}
	if (c->flags & (F_IGNORED | F_RAW_TLS))
		return 0;
	if (task_filtered(pid_tgid)) {
		count(ST_FILTERED, 1);
		return 0;
	}
	check_dup(c);
	if (c->flags & F_DUP) {
		count(ST_DUP, 1);
		return 0;
	}

	struct pt_regs *regs = task_regs(task);
	long nr = regs->orig_ax;
	u64 fd = regs->di;
	u64 arg = regs->si;
	u64 arg3 = regs->dx;
	u64 buf = 0, iov = 0;
	u32 n_iov = 0;
	switch (nr) {
	case 0:  // read
	case 1:  // write
	case 44: // sendto
	case 45: // recvfrom
		buf = arg;
		break;
	case 19: // readv
	case 20: // writev
		iov = arg;
		n_iov = arg3;
		break;
	case 46: // sendmsg
	case 47: { // recvmsg
		struct user_msghdr m = {};
		if (bpf_probe_read_user(&m, sizeof(m), (void *)arg))
			break;
		iov = (u64)m.msg_iov;
		n_iov = m.msg_iovlen;
		break;
	}
	default:
		break;
	}
	if (!buf && !iov) {
		count(ST_UNATTRIBUTED, 1);
		return 0;
	}
	// The fd table walk is done once per (process, fd) of the socket; close()
	// of the fd would end the connection's state first.
	u64 fd_key = (pid_tgid & 0xffffffff00000000ULL) | (fd & 0xffffffff);
	if (c->fd_checked != fd_key) {
		if (!fd_is_sock(task, fd, key)) {
			count(ST_UNATTRIBUTED, 1);
			return 0;
		}
		c->fd_checked = fd_key;
	}
	emit(c, dir, 0, pos, pid_tgid, buf, len, iov, n_iov);
	return 0;
}

SEC("raw_tracepoint/sock_send_length")
int sock_send(struct bpf_raw_tracepoint_args *ctx)
{
	return on_sock(ctx, DIR_EGRESS);
}

SEC("raw_tracepoint/sock_recv_length")
int sock_recv(struct bpf_raw_tracepoint_args *ctx)
{
	return on_sock(ctx, DIR_INGRESS);
}

SEC("tracepoint/sock/inet_sock_set_state")
int sock_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	struct sock *sk = (struct sock *)ctx->skaddr;
	u64 key = (u64)sk;
	if (ctx->newstate == TCP_ESTABLISHED) {
		u8 side = ctx->oldstate == TCP_SYN_SENT ? F_CLIENT : ctx->oldstate == TCP_SYN_RECV ? F_SERVER : 0;
		if (!side)
			return 0;
		struct conn *c = new_conn(sk, F_FROM_START | side);
		if (c && side == F_SERVER && dedup_local) {
			struct tuple t = {};
			__builtin_memcpy(t.laddr, c->laddr, 16);
			__builtin_memcpy(t.raddr, c->raddr, 16);
			t.lport = c->lport;
			t.rport = c->rport;
			u8 one = 1;
			bpf_map_update_elem(&servers, &t, &one, BPF_ANY);
		}
		return 0;
	}
	if (ctx->newstate != TCP_CLOSE)
		return 0;
	struct conn *c = find_conn(key);
	if (!c)
		return 0;
	if (c->flags & F_SERVER) {
		struct tuple t = {};
		__builtin_memcpy(t.laddr, c->laddr, 16);
		__builtin_memcpy(t.raddr, c->raddr, 16);
		t.lport = c->lport;
		t.rport = c->rport;
		bpf_map_delete_elem(&servers, &t);
	}
	if (c->tls_state == TLS_OWNER) {
		struct tuple t = {};
		ordered_tuple(c, &t);
		bpf_map_delete_elem(&tls_owners, &t);
	}
	bool dup = (c->flags & F_TLS) ? c->tls_state == TLS_DUP : (c->flags & F_DUP);
	if (!(c->flags & F_IGNORED) && !dup && (c->pos[0] || c->pos[1] || c->tls_pos[0] || c->tls_pos[1])) {
		struct event *e;
		e = bpf_ringbuf_reserve(&events, offsetof(struct event, data), 0);
		if (e) {
			__builtin_memset(e, 0, offsetof(struct event, data));
			e->kind = EV_CLOSE;
			e->flags = c->flags & (F_FROM_START | F_CLIENT | F_SERVER | F_TLS);
			e->conn_id = c->id;
			bool tls = c->flags & F_TLS;
			e->pos = tls ? c->tls_pos[0] : c->pos[0];
			e->pos2 = tls ? c->tls_pos[1] : c->pos[1];
			e->ts = bpf_ktime_get_ns();
			__builtin_memcpy(e->laddr, c->laddr, 16);
			__builtin_memcpy(e->raddr, c->raddr, 16);
			e->lport = c->lport;
			e->rport = c->rport;
			bpf_ringbuf_submit(e, wakeup_flag());
		} else {
			count(ST_LOST, 1);
		}
	}
	c->sk = 0;
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

// SSL_read(ssl, buf, num), SSL_write(ssl, buf, num),
// SSL_read_ex(ssl, buf, num, *readbytes), SSL_write_ex(ssl, buf, num, *written).
SEC("uprobe.multi")
int ssl_enter(struct pt_regs *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (task_filtered(pid_tgid))
		return 0;
	struct ssl_call sc = {};
	sc.kind = bpf_get_attach_cookie(ctx);
	sc.ssl = PT_REGS_PARM1(ctx);
	sc.buf = PT_REGS_PARM2(ctx);
	if (sc.kind >= 2)
		sc.size_ptr = PT_REGS_PARM4(ctx);
	// NOEXIST: an outer SSL call on this thread keeps its own arguments.
	bpf_map_update_elem(&ssl_calls, &pid_tgid, &sc, BPF_NOEXIST);
	return 0;
}

SEC("uretprobe.multi")
int ssl_exit(struct pt_regs *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ssl_call *scp = bpf_map_lookup_elem(&ssl_calls, &pid_tgid);
	if (!scp)
		return 0;
	struct ssl_call sc = *scp;
	u32 kind = bpf_get_attach_cookie(ctx);
	if (kind != sc.kind)
		return 0; // a nested SSL call returning
	bpf_map_delete_elem(&ssl_calls, &pid_tgid);
	int ret = (int)PT_REGS_RC(ctx); // SSL_* return int: the upper half of rax is garbage
	u64 n = 0;
	if (kind >= 2) {
		if (ret != 1 || !sc.size_ptr)
			return 0;
		if (bpf_probe_read_user(&n, sizeof(n), (void *)sc.size_ptr))
			return 0;
	} else {
		if (ret <= 0)
			return 0;
		n = ret;
	}
	if (n == 0)
		return 0;
	u64 key = sc.sk;
	if (!key) {
		u64 ssl = sc.ssl;
		u64 *skp = bpf_map_lookup_elem(&ssl_socks, &ssl);
		if (skp)
			key = *skp;
	}
	struct conn *c = key ? find_conn(key) : 0;
	if (!c) {
		count(ST_TLS_UNLINKED, 1);
		return 0;
	}
	c->flags |= F_TLS | F_RAW_TLS;
	u8 dir = (kind & 1) ? DIR_INGRESS : DIR_EGRESS;
	u64 pos = c->tls_pos[dir & 1];
	c->tls_pos[dir & 1] = pos + n;
	if (c->flags & F_IGNORED)
		return 0;
	if (tls_dup(c)) {
		count(ST_DUP, 1);
		return 0;
	}
	count(ST_TLS_CALLS, 1);
	emit(c, dir, F_TLS, pos, pid_tgid, sc.buf, n, 0, 0);
	return 0;
}

// Go crypto/tls: (*Conn).Write at entry (the plaintext is in its
// arguments), (*Conn).Read at entry and at each of its RET instructions
// (never uretprobes: Go moves stacks). ABIInternal on amd64: receiver in
// rax, the slice in rbx (pointer) and rcx (length), the result in rax, and
// the goroutine (g) in r14: a goroutine may change threads between entry
// and return, so the read is keyed by g.
#define GO_WRITE 0
#define GO_READ 1
#define GO_READ_RET 2

struct go_key {
	u64 tgid;
	u64 g;
};

struct go_read {
	u64 conn;
	u64 buf;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct go_key);
	__type(value, struct go_read);
} go_reads SEC(".maps");

// go_conn_sock finds the socket under a *tls.Conn whose conn is a
// *net.TCPConn: tls.Conn.conn (interface data at +8) → TCPConn.fd (*netFD at
// +0) → netFD.pfd.Sysfd (+16, after poll.fdMutex). Other layouts give a
// socket not tracked in conns, and the call is counted as unlinked.
static __always_inline u64 go_conn_sock(struct task_struct *task, u64 tconn)
{
	u64 tcp = 0, netfd = 0;
	s64 fd = -1;
	if (bpf_probe_read_user(&tcp, sizeof(tcp), (void *)(tconn + 8)) || !tcp)
		return 0;
	if (bpf_probe_read_user(&netfd, sizeof(netfd), (void *)tcp) || !netfd)
		return 0;
	if (bpf_probe_read_user(&fd, sizeof(fd), (void *)(netfd + 16)) || fd < 0)
		return 0;
	struct fdtable *fdt = task->files->fdt;
	if (fd >= fdt->max_fds)
		return 0;
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), (void *)((u64)fdt->fd + fd * sizeof(f))) || !f)
		return 0;
	struct socket *so = KPTR(struct socket, KPTR(struct file, f)->private_data);
	u64 sk = 0;
	// Read as a number: the cache index of find_conn does arithmetic on it.
	bpf_probe_read_kernel(&sk, sizeof(sk), &so->sk);
	return sk;
}

static __always_inline void go_emit(u64 pid_tgid, u64 tconn, u8 dir, u64 buf, u64 n)
{
	struct task_struct *task = bpf_get_current_task_btf();
	u64 key = go_conn_sock(task, tconn);
	struct conn *c = key ? find_conn(key) : 0;
	if (!c) {
		count(ST_TLS_UNLINKED, 1);
		return;
	}
	c->flags |= F_TLS | F_RAW_TLS;
	u64 pos = c->tls_pos[dir & 1];
	c->tls_pos[dir & 1] = pos + n;
	if (c->flags & F_IGNORED)
		return;
	if (tls_dup(c)) {
		count(ST_DUP, 1);
		return;
	}
	count(ST_TLS_CALLS, 1);
	emit(c, dir, F_TLS, pos, pid_tgid, buf, n, 0, 0);
}

SEC("uprobe.multi")
int go_tls(struct pt_regs *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (task_filtered(pid_tgid))
		return 0;
	u64 what = bpf_get_attach_cookie(ctx);
	struct go_key k = {.tgid = pid_tgid >> 32, .g = ctx->r14};
	if (what == GO_WRITE) {
		s64 n = ctx->cx;
		if (n > 0)
			go_emit(pid_tgid, ctx->ax, DIR_EGRESS, ctx->bx, n);
		return 0;
	}
	if (what == GO_READ) {
		struct go_read r = {.conn = ctx->ax, .buf = ctx->bx};
		bpf_map_update_elem(&go_reads, &k, &r, BPF_ANY);
		return 0;
	}
	struct go_read *rp = bpf_map_lookup_elem(&go_reads, &k);
	if (!rp)
		return 0;
	struct go_read r = *rp;
	bpf_map_delete_elem(&go_reads, &k);
	s64 n = ctx->ax;
	if (n > 0)
		go_emit(pid_tgid, r.conn, DIR_INGRESS, r.buf, n);
	return 0;
}
