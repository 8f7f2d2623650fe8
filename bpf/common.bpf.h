/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared maps, configuration and helpers of every irqtrail BPF hook family. */
#ifndef IRQTRAIL_COMMON_BPF_H
#define IRQTRAIL_COMMON_BPF_H

#include "vmlinux.h"
#include "arch_tp.bpf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

/*
 * What a tracepoint program returns: non-zero lets the kernel go on to the
 * tracepoint's other consumers (perf, ftrace triggers); 0 would silently
 * hide the event from them while irqtrail runs.
 */
#define IT_TP_PASS 1

/* Set by the loader in .rodata before load. */
const volatile bool cfg_full = false;		/* stream every data-plane event */
const volatile __u32 cfg_tgid = 0;		/* only this VMM's process-context events */
const volatile __u64 cfg_wakeup_bytes = 1 << 20; /* force a reader wake-up past this fill */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);		/* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* The host irq handler running on this cpu (irq_handler_entry..exit). */
struct it_cur_irq {
	__u64 ts;
	__s32 irq;
	__u32 active;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_cur_irq);
} cur_irq SEC(".maps");

static __always_inline void cnt_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += n;
}

static __always_inline struct it_cur_irq *cur_irq_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cur_irq, &zero);
}

/* log2 bucket of a nanosecond value, clamped to the histogram. */
static __always_inline __u32 it_log2(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return r < IT_HIST_SLOTS ? r : IT_HIST_SLOTS - 1;
}

static __always_inline void hist_add(struct it_hist *h, __u64 v)
{
	__u32 slot = it_log2(v);

	if (slot < IT_HIST_SLOTS)
		h->slots[slot]++;
}

/* True when a process-context event should be dropped by the --pid filter. */
static __always_inline bool tgid_filtered(void)
{
	if (!cfg_tgid)
		return false;
	return (bpf_get_current_pid_tgid() >> 32) != cfg_tgid;
}

static __always_inline void *ev_reserve(__u32 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		cnt_add(IT_CNT_LOST, 1);
	return e;
}

static __always_inline void ev_hdr(struct it_hdr *h, __u8 type, __u16 len, __u8 flags, __u64 ts)
{
	__u64 pt = bpf_get_current_pid_tgid();

	h->ts = ts;
	h->type = type;
	h->version = 1;
	h->len = len;
	h->cpu = bpf_get_smp_processor_id();
	h->flags = flags;
	h->pad = 0;
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
}

/* When this cpu last forced a reader wake-up. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last_wakeup SEC(".maps");

/*
 * Data-plane records do not wake the reader (it polls periodically) unless
 * the buffer fills past cfg_wakeup_bytes, and then at most once a
 * millisecond per cpu: a wake-up costs about a microsecond, and a reader
 * that is behind is awake already.  Control-plane records, which are rare,
 * use the default (wake a waiting reader) so changes show without delay.
 */
static __always_inline void ev_submit(void *e, bool dataplane)
{
	__u64 flags = 0;

	if (dataplane) {
		flags = BPF_RB_NO_WAKEUP;
		if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > cfg_wakeup_bytes) {
			__u32 zero = 0;
			__u64 *last = bpf_map_lookup_elem(&last_wakeup, &zero);
			__u64 now = bpf_ktime_get_ns();

			if (last && now - *last > 1000000) {
				*last = now;
				flags = BPF_RB_FORCE_WAKEUP;
			}
		}
	}
	bpf_ringbuf_submit(e, flags);
	cnt_add(IT_CNT_EVENTS, 1);
}

/* Generic keyed counters for data-plane events that are not streamed.
 * agg_count_fast() puts the per-cpu array cache agg_cache in front of it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct it_agg_key);
	__type(value, struct it_count_stat);
} agg_counts SEC(".maps");

static __always_inline void agg_count(__u32 type, __u32 pid, __u64 a, __u64 b, __u64 ts)
{
	struct it_agg_key k = { .type = type, .pid = pid, .a = a, .b = b };
	struct it_count_stat *v, zero = {};

	v = bpf_map_lookup_elem(&agg_counts, &k);
	if (!v) {
		bpf_map_update_elem(&agg_counts, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&agg_counts, &k);
		if (!v) {
			cnt_add(IT_CNT_AGG_FULL, 1);
			return;
		}
	}
	v->count++;
	v->last_ts = ts;
}


struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IT_AGG_CACHE);
	__type(key, __u32);
	__type(value, struct it_agg_slot);
} agg_cache SEC(".maps");

static __always_inline __u32 it_mix(__u64 a, __u64 b, __u64 c)
{
	__u64 h = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x7F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL ^ c * 0x94D049BB133111EBULL;

	return (__u32)(h ^ (h >> 29) ^ (h >> 47));
}

static __always_inline void agg_count_fast(__u32 type, __u32 pid, __u64 a, __u64 b, __u64 ts)
{
	__u32 idx = it_mix(a ^ ((__u64)type << 56), b, pid) & (IT_AGG_CACHE - 1);
	struct it_agg_slot *s = bpf_map_lookup_elem(&agg_cache, &idx);

	if (s) {
		if (!s->used) {
			s->k.type = type;
			s->k.pid = pid;
			s->k.a = a;
			s->k.b = b;
			s->used = 1;
		}
		if (s->k.type == type && s->k.pid == pid && s->k.a == a && s->k.b == b) {
			s->st.count++;
			s->st.last_ts = ts;
			return;
		}
	}
	agg_count(type, pid, a, b, ts);
}

#endif
