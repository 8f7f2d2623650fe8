/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host interrupt family: irq:irq_handler_entry/exit, irq_vectors:*, irq_matrix:*.
 * Handler runs are aggregated per irq (count, time, log2 histogram); each
 * irq's name is streamed once (first sight), every run only when cfg_full.
 * Vector and matrix events are control plane and always streamed.
 */
#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct it_irq_stat);
} irq_stats SEC(".maps");

/* the per-cpu cache in front of irq_stats, indexed by irq (see events.h) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IT_IRQ_CACHE);
	__type(key, __u32);
	__type(value, struct it_irq_slot);
} irq_cache SEC(".maps");

/* This cpu's stats of irq, and whether this is the first sight of it here. */
static __always_inline struct it_irq_stat *irq_stat_get(__u32 irq, bool *first)
{
	__u32 idx = irq & (IT_IRQ_CACHE - 1);
	struct it_irq_slot *s = bpf_map_lookup_elem(&irq_cache, &idx);
	struct it_irq_stat *st;

	*first = false;
	if (s) {
		if (!s->used) {
			s->irq = irq;
			s->used = 1;
			*first = true;
		}
		if (s->irq == irq)
			return &s->st;
	}
	st = bpf_map_lookup_elem(&irq_stats, &irq);
	if (!st) {
		struct it_irq_stat zero = {};

		bpf_map_update_elem(&irq_stats, &irq, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&irq_stats, &irq);
		*first = true;
	}
	return st;
}

static __always_inline void emit_irq_name(struct trace_event_raw_irq_handler_entry *ctx,
					  __u8 type, __u64 ts)
{
	struct it_irq_entry *e = ev_reserve(sizeof(*e));
	__u32 off;

	if (!e)
		return;
	ev_hdr(&e->h, type, sizeof(*e), IT_F_IN_HARDIRQ | (type == IT_EV_IRQ_ENTRY ? IT_F_DATAPLANE : 0), ts);
	e->irq = BPF_CORE_READ(ctx, irq);
	e->pad = 0;
	off = BPF_CORE_READ(ctx, __data_loc_name) & 0xffff;
	if (bpf_probe_read_kernel_str(e->name, sizeof(e->name), (void *)ctx + off) < 0)
		e->name[0] = 0;
	ev_submit(e, type == IT_EV_IRQ_ENTRY);
}

SEC("tracepoint/irq/irq_handler_entry")
int tp_irq_handler_entry(struct trace_event_raw_irq_handler_entry *ctx)
{
	struct it_cur_irq *c = cur_irq_get();
	__u64 now = bpf_ktime_get_ns();
	__u32 irq = ctx->irq;

	if (!c)
		return IT_TP_PASS;
	c->ts = now;
	c->irq = irq;
	c->active = 1;
	cnt_add(IT_CNT_IRQ, 1);
	bool first;

	irq_stat_get(irq, &first);
	if (first)
		emit_irq_name(ctx, IT_EV_IRQ_NAME, now);
	if (cfg_full)
		emit_irq_name(ctx, IT_EV_IRQ_ENTRY, now);
	return IT_TP_PASS;
}

SEC("tracepoint/irq/irq_handler_exit")
int tp_irq_handler_exit(struct trace_event_raw_irq_handler_exit *ctx)
{
	struct it_cur_irq *c = cur_irq_get();
	__u64 now = bpf_ktime_get_ns(), d = 0;
	__u32 irq = ctx->irq;
	struct it_irq_stat *st;

	if (!c)
		return IT_TP_PASS;
	if (c->active && c->irq == (__s32)irq)
		d = now - c->ts;
	c->active = 0;
	bool first;

	st = irq_stat_get(irq, &first);
	if (st) {
		st->count++;
		st->sum_ns += d;
		if (d > st->max_ns)
			st->max_ns = d;
		st->last_ts = now;
		hist_add(&st->hist, d);
	} else {
		cnt_add(IT_CNT_AGG_FULL, 1);
	}
	if (cfg_full) {
		struct it_irq_exit *e = ev_reserve(sizeof(*e));

		if (!e)
			return IT_TP_PASS;
		ev_hdr(&e->h, IT_EV_IRQ_EXIT, sizeof(*e), IT_F_DATAPLANE | IT_F_IN_HARDIRQ, now);
		e->irq = irq;
		e->ret = ctx->ret;
		e->duration = d;
		ev_submit(e, true);
	}
	return IT_TP_PASS;
}

/* ---- irq_vectors ---- */

static __always_inline struct it_vector *vec_begin(__u8 type)
{
	struct it_vector *e = ev_reserve(sizeof(*e));

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, type, sizeof(*e), 0, bpf_ktime_get_ns());
	return e;
}

SEC("tracepoint/irq_vectors/vector_update")
int tp_vector_update(struct trace_event_raw_vector_mod *ctx)
{
	struct it_vector *e = vec_begin(IT_EV_VECTOR_UPDATE);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->vector = ctx->vector;
	e->cpu = ctx->cpu;
	e->prev_vector = ctx->prev_vector;
	e->prev_cpu = ctx->prev_cpu;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_vectors/vector_clear")
int tp_vector_clear(struct trace_event_raw_vector_mod *ctx)
{
	struct it_vector *e = vec_begin(IT_EV_VECTOR_CLEAR);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->vector = ctx->vector;
	e->cpu = ctx->cpu;
	e->prev_vector = ctx->prev_vector;
	e->prev_cpu = ctx->prev_cpu;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_vectors/vector_config")
int tp_vector_config(struct trace_event_raw_vector_config *ctx)
{
	struct it_vector *e = vec_begin(IT_EV_VECTOR_CONFIG);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->vector = ctx->vector;
	e->cpu = ctx->cpu;
	e->apicdest = ctx->apicdest;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_vectors/vector_alloc")
int tp_vector_alloc(struct trace_event_raw_vector_alloc *ctx)
{
	struct it_vector *e = vec_begin(IT_EV_VECTOR_ALLOC);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->vector = ctx->vector;
	e->reserved = ctx->reserved;
	e->ret = ctx->ret;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_vectors/vector_alloc_managed")
int tp_vector_alloc_managed(struct trace_event_raw_vector_alloc_managed *ctx)
{
	struct it_vector *e = vec_begin(IT_EV_VECTOR_ALLOC_MANAGED);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->vector = ctx->vector;
	e->ret = ctx->ret;
	e->is_managed = 1;
	ev_submit(e, false);
	return IT_TP_PASS;
}

static __always_inline int vec_reserve(struct trace_event_raw_vector_reserve *ctx, __u8 type)
{
	struct it_vector *e = vec_begin(type);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->ret = ctx->ret;
	e->is_managed = type == IT_EV_VECTOR_RESERVE_MANAGED;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_vectors/vector_reserve")
int tp_vector_reserve(struct trace_event_raw_vector_reserve *ctx)
{
	return vec_reserve(ctx, IT_EV_VECTOR_RESERVE);
}

SEC("tracepoint/irq_vectors/vector_reserve_managed")
int tp_vector_reserve_managed(struct trace_event_raw_vector_reserve *ctx)
{
	return vec_reserve(ctx, IT_EV_VECTOR_RESERVE_MANAGED);
}

static __always_inline int vec_activate(struct trace_event_raw_vector_activate *ctx, __u8 type)
{
	struct it_vector *e = vec_begin(type);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->is_managed = ctx->is_managed;
	e->can_reserve = ctx->can_reserve;
	e->reserved = ctx->reserve;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_vectors/vector_activate")
int tp_vector_activate(struct trace_event_raw_vector_activate *ctx)
{
	return vec_activate(ctx, IT_EV_VECTOR_ACTIVATE);
}

SEC("tracepoint/irq_vectors/vector_deactivate")
int tp_vector_deactivate(struct trace_event_raw_vector_activate *ctx)
{
	return vec_activate(ctx, IT_EV_VECTOR_DEACTIVATE);
}

SEC("tracepoint/irq_vectors/vector_setup")
int tp_vector_setup(struct trace_event_raw_vector_setup *ctx)
{
	struct it_vector *e = vec_begin(IT_EV_VECTOR_SETUP);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->is_legacy = ctx->is_legacy;
	e->ret = ctx->ret;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_vectors/vector_teardown")
int tp_vector_teardown(struct trace_event_raw_vector_teardown *ctx)
{
	struct it_vector *e = vec_begin(IT_EV_VECTOR_TEARDOWN);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->is_managed = ctx->is_managed;
	e->reserved = ctx->has_reserved;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_vectors/vector_free_moved")
int tp_vector_free_moved(struct trace_event_raw_vector_free_moved *ctx)
{
	struct it_vector *e = vec_begin(IT_EV_VECTOR_FREE_MOVED);

	if (!e)
		return IT_TP_PASS;
	e->irq = ctx->irq;
	e->cpu = ctx->cpu;
	e->vector = ctx->vector;
	e->is_managed = ctx->is_managed;
	ev_submit(e, false);
	return IT_TP_PASS;
}

/* ---- irq_matrix ---- */

static __always_inline int matrix_ev(struct trace_event_raw_irq_matrix_cpu *ctx, __u8 type)
{
	struct it_matrix *e = ev_reserve(sizeof(*e));

	if (!e)
		return IT_TP_PASS;
	ev_hdr(&e->h, type, sizeof(*e), 0, bpf_ktime_get_ns());
	e->bit = ctx->bit;
	e->cpu = ctx->cpu;
	e->available = ctx->available;
	e->allocated = ctx->allocated;
	e->managed = ctx->managed;
	e->online_maps = ctx->online_maps;
	e->global_available = ctx->global_available;
	e->global_reserved = ctx->global_reserved;
	e->total_allocated = ctx->total_allocated;
	e->online = ctx->online;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/irq_matrix/irq_matrix_alloc")
int tp_matrix_alloc(struct trace_event_raw_irq_matrix_cpu *ctx)
{
	return matrix_ev(ctx, IT_EV_MATRIX_ALLOC);
}

SEC("tracepoint/irq_matrix/irq_matrix_free")
int tp_matrix_free(struct trace_event_raw_irq_matrix_cpu *ctx)
{
	return matrix_ev(ctx, IT_EV_MATRIX_FREE);
}

SEC("tracepoint/irq_matrix/irq_matrix_alloc_managed")
int tp_matrix_alloc_managed(struct trace_event_raw_irq_matrix_cpu *ctx)
{
	return matrix_ev(ctx, IT_EV_MATRIX_ALLOC_MANAGED);
}

SEC("tracepoint/irq_matrix/irq_matrix_alloc_reserved")
int tp_matrix_alloc_reserved(struct trace_event_raw_irq_matrix_cpu *ctx)
{
	return matrix_ev(ctx, IT_EV_MATRIX_ALLOC_RESERVED);
}

SEC("tracepoint/irq_matrix/irq_matrix_assign")
int tp_matrix_assign(struct trace_event_raw_irq_matrix_cpu *ctx)
{
	return matrix_ev(ctx, IT_EV_MATRIX_ASSIGN);
}
