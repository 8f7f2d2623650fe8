// SPDX-License-Identifier: GPL-2.0-only
/*
 * Micro-costs of the helpers and map operations irqtrail's programs are made
 * of.  bench-attach attaches ONE of these programs at a time to
 * kvm:kvm_msi_set_irq; the benchmark runs the KVM_SIGNAL_MSI storm and reads
 * the program's run_time_ns / run_cnt (kernel.bpf_stats_enabled).  Each
 * program does its operation once per event, on data shaped like
 * irqtrail's (a 24-byte MSI key, a 56-byte record), so op_X - op_empty is
 * what operation X costs inside a program.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct bkey24 {
	__u64 address;
	__u32 data;
	__u32 pid;
	__s32 host_irq;
	__u32 pad;
};

struct bstat {
	__u64 count;
	__u64 last_ts;
	__u64 sum;
	__u64 slots[32];
};

struct brec56 {
	__u64 w[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bstat);
} parr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct bkey24);
	__type(value, struct bstat);
} phash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct bkey24);
	__type(value, struct bstat);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct bkey24);
} lru SEC(".maps");

const struct bstat zero_stat = {};
volatile __u64 shared_counter;

static __always_inline void key_of(struct bkey24 *k)
{
	k->address = 0xfee00000;
	k->data = 0x4031;
	k->pid = bpf_get_current_pid_tgid() >> 32;
	k->host_irq = 0;
	k->pad = 0;
}

SEC("tracepoint")
int op_empty(void *ctx)
{
	return 0;
}

SEC("tracepoint")
int op_ktime(void *ctx)
{
	shared_counter = bpf_ktime_get_ns();
	return 0;
}

SEC("tracepoint")
int op_pid_tgid(void *ctx)
{
	shared_counter = bpf_get_current_pid_tgid();
	return 0;
}

SEC("tracepoint")
int op_cpu_id(void *ctx)
{
	shared_counter = bpf_get_smp_processor_id();
	return 0;
}

SEC("tracepoint")
int op_atomic_add(void *ctx)
{
	__sync_fetch_and_add(&shared_counter, 1);
	return 0;
}

SEC("tracepoint")
int op_percpu_array(void *ctx)
{
	__u32 idx = 3;
	struct bstat *s = bpf_map_lookup_elem(&parr, &idx);

	if (s)
		s->count++;
	return 0;
}

SEC("tracepoint")
int op_percpu_array_x3(void *ctx)
{
	for (__u32 i = 0; i < 3; i++) {
		__u32 idx = i;
		struct bstat *s = bpf_map_lookup_elem(&parr, &idx);

		if (s)
			s->count++;
	}
	return 0;
}

SEC("tracepoint")
int op_percpu_hash(void *ctx)
{
	struct bkey24 k;
	struct bstat *s;

	key_of(&k);
	s = bpf_map_lookup_elem(&phash, &k);
	if (!s) {
		bpf_map_update_elem(&phash, &k, &zero_stat, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&phash, &k);
	}
	if (s)
		s->count++;
	return 0;
}

SEC("tracepoint")
int op_hash(void *ctx)
{
	struct bkey24 k;
	struct bstat *s;

	key_of(&k);
	s = bpf_map_lookup_elem(&hash, &k);
	if (!s) {
		bpf_map_update_elem(&hash, &k, &zero_stat, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&hash, &k);
	}
	if (s)
		__sync_fetch_and_add(&s->count, 1);
	return 0;
}

/* the pending_ioctl pattern: update at sys_enter, lookup + delete at exit */
SEC("tracepoint")
int op_lru_upd_del(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct bkey24 k, *v;

	key_of(&k);
	bpf_map_update_elem(&lru, &tid, &k, BPF_ANY);
	v = bpf_map_lookup_elem(&lru, &tid);
	if (v)
		bpf_map_delete_elem(&lru, &tid);
	return 0;
}

SEC("tracepoint")
int op_hist(void *ctx)
{
	__u32 idx = 5;
	struct bstat *s = bpf_map_lookup_elem(&parr, &idx);
	__u64 v = bpf_ktime_get_ns() & 0xffff;
	__u32 r = 0, sh;

	sh = (v > 0xffff) << 4; v >>= sh; r |= sh;
	sh = (v > 0xff) << 3; v >>= sh; r |= sh;
	sh = (v > 0xf) << 2; v >>= sh; r |= sh;
	sh = (v > 0x3) << 1; v >>= sh; r |= sh;
	r |= (v >> 1);
	if (s && r < 32)
		s->slots[r]++;
	return 0;
}

static __always_inline int rb_emit(__u64 flags)
{
	struct brec56 *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e)
		return 0;
	for (int i = 0; i < 7; i++)
		e->w[i] = i;
	bpf_ringbuf_submit(e, flags);
	return 0;
}

SEC("tracepoint")
int op_ringbuf_nowakeup(void *ctx)
{
	return rb_emit(BPF_RB_NO_WAKEUP);
}

SEC("tracepoint")
int op_ringbuf_wakeup(void *ctx)
{
	return rb_emit(0);
}

SEC("tracepoint")
int op_ringbuf_query(void *ctx)
{
	shared_counter = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);
	return 0;
}

/* what one irqtrail --full data-plane record costs: header helpers + reserve
 * + fill + query + submit without wake-up */
SEC("tracepoint")
int op_record_like(void *ctx)
{
	struct brec56 *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	__u64 pt, flags = BPF_RB_NO_WAKEUP;

	if (!e)
		return 0;
	pt = bpf_get_current_pid_tgid();
	e->w[0] = bpf_ktime_get_ns();
	e->w[1] = bpf_get_smp_processor_id();
	e->w[2] = pt;
	e->w[3] = 0xfee00000;
	e->w[4] = 0x4031;
	e->w[5] = 0;
	e->w[6] = 0;
	if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) > (1 << 20))
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	return 0;
}
