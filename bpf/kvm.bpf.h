/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM family: kvm:kvm_msi_set_irq, kvm_set_irq, kvm_ack_irq, kvm_pi_irte_update,
 * kvm_apic_accept_irq, kvm_inj_virq, kvm_eoi and the hypercall tracepoints.
 * MSI injections are aggregated per (address, data, pid, host irq) with the
 * host-handler -> injection hop time when a host irq handler is running on
 * this cpu (irqfd fast path); every injection is streamed only when cfg_full.
 */
#include "common.bpf.h"

/* Field layouts of older kernels (CO-RE flavors). */
/* <= 6.16: kvm_pi_irte_update carried the posted descriptor address. */
struct trace_event_raw_kvm_pi_irte_update___old {
	__u64 pi_desc_addr;
} __attribute__((preserve_access_index));

/* older kernels: kvm_inj_virq(irq) before soft/reinjected were added. */
struct trace_event_raw_kvm_inj_virq___old {
	unsigned int irq;
} __attribute__((preserve_access_index));

/* kvm_hv_hypercall gained var_cnt; kvm_xen_hypercall gained cpl. */
struct trace_event_raw_kvm_hv_hypercall___new {
	__u16 var_cnt;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_xen_hypercall___new {
	__u8 cpl;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct it_msi_key);
	__type(value, struct it_msi_stat);
} msi_stats SEC(".maps");

/* too big for the stack: a zero value to insert */
const struct it_msi_stat zero_msi_stat = {};

/* the per-cpu cache in front of msi_stats (see events.h) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IT_MSI_CACHE);
	__type(key, __u32);
	__type(value, struct it_msi_slot);
} msi_cache SEC(".maps");

static __always_inline __u32 msi_cache_idx(const struct it_msi_key *k)
{
	return it_mix(k->address, k->data, ((__u64)k->pid << 32) | k->host_irq) & (IT_MSI_CACHE - 1);
}

static __always_inline struct it_msi_stat *msi_stat_get(const struct it_msi_key *k, __u64 now)
{
	__u32 idx = msi_cache_idx(k);
	struct it_msi_slot *s = bpf_map_lookup_elem(&msi_cache, &idx);
	struct it_msi_stat *st;

	if (s) {
		if (!s->used) {
			s->k = *k;
			s->used = 1;
			s->st.first_ts = now;
		}
		if (s->k.address == k->address && s->k.data == k->data && s->k.pid == k->pid &&
		    s->k.host_irq == k->host_irq)
			return &s->st;
	}
	st = bpf_map_lookup_elem(&msi_stats, k);
	if (!st) {
		bpf_map_update_elem(&msi_stats, k, &zero_msi_stat, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&msi_stats, k);
		if (st && !st->first_ts)
			st->first_ts = now;
	}
	return st;
}

/* The injection in progress on this cpu: kvm_apic_accept_irq follows
 * kvm_msi_set_irq in the same call chain (kvm_set_msi -> kvm_irq_delivery_to_apic). */
struct it_last_msi {
	struct it_msi_key k;
	__u64 ts;
	__u64 pid_tgid;		/* the injecting context: an accept of another one is not this delivery */
	__u32 idx;		/* k's msi_cache slot: the accept finds the stats without hashing */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_last_msi);
} last_msi SEC(".maps");

/*
 * KVM_SIGNAL_MSI in flight on this cpu (cfg_full only): sys_enter_ioctl
 * fills the ioctl part, kvm_msi_set_irq and kvm_apic_accept_irq of the same
 * thread fold their records into rec instead of emitting them, and
 * sys_exit_ioctl emits rec as one IT_EV_KVM_SIGNAL_MSI record: one ring
 * buffer record per injection instead of three.  The ioctl does not sleep;
 * if its thread still moves to another cpu in between, the next
 * KVM_SIGNAL_MSI entering on this cpu emits what was folded, flagged
 * IT_F_NO_EXIT, and counts the ioctl as missed (IT_CNT_IOCTL_MISSED).
 */
struct it_sig_slot {
	__u64 ts;		/* sys_enter */
	__u64 arg;		/* struct kvm_msi * in the caller */
	__u32 fd;
	__u32 tid;
	__u32 valid;		/* entered, exit not seen yet */
	__u32 folded;		/* rec holds the injection */
	struct it_kvm_signal_msi rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_sig_slot);
} sig_slot SEC(".maps");

static __always_inline struct it_sig_slot *sig_slot_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sig_slot, &zero);
}

/* The slot of this thread's KVM_SIGNAL_MSI, when one is in flight here. */
static __always_inline struct it_sig_slot *sig_slot_mine(void)
{
	struct it_sig_slot *f = sig_slot_get();

	if (f && f->valid && f->tid == (__u32)bpf_get_current_pid_tgid())
		return f;
	return NULL;
}

/* pid of the process-context event, 0 when in a host irq handler. */
static __always_inline bool kvm_ctx(struct it_cur_irq **cp, __u32 *pid)
{
	struct it_cur_irq *c = cur_irq_get();

	*cp = (c && c->active) ? c : NULL;
	if (*cp) {
		*pid = 0;
		return true;
	}
	if (tgid_filtered())
		return false;
	*pid = bpf_get_current_pid_tgid() >> 32;
	return true;
}

/*
 * The two data-plane hooks of every injection (kvm_msi_set_irq and
 * kvm_apic_accept_irq) have two entry points each: tp_* on the perf
 * tracepoint and bt_* on the BTF-typed raw tracepoint (tp_btf).  The loader
 * takes bt_* where the kernel has it (user/live.c): it skips the perf trace
 * buffer that a perf-attached program pays for on every event (0.1-0.2 us
 * per KVM_SIGNAL_MSI, docs/performance.md).
 */
static __always_inline int kvm_msi_ev(__u64 address, __u64 data)
{
	struct it_msi_key k = {};
	struct it_msi_stat *st;
	struct it_cur_irq *c;
	__u64 now = bpf_ktime_get_ns(), hop = 0;
	__u32 pid;

	if (!kvm_ctx(&c, &pid))
		return IT_TP_PASS;
	cnt_add(IT_CNT_KVM_MSI, 1);
	k.address = address;
	k.data = (__u32)data;
	k.pid = pid;
	if (c) {
		k.host_irq = c->irq;
		hop = now - c->ts;
	}
	st = msi_stat_get(&k, now);
	{
		__u32 zero = 0;
		struct it_last_msi *lm = bpf_map_lookup_elem(&last_msi, &zero);

		if (lm) {
			lm->k = k;
			lm->ts = now;
			lm->pid_tgid = bpf_get_current_pid_tgid();
			lm->idx = msi_cache_idx(&k);
		}
	}
	if (st) {
		st->count++;
		st->last_ts = now;
		if (c) {
			st->hop_sum_ns += hop;
			hist_add(&st->hop, hop);
		}
	} else {
		cnt_add(IT_CNT_AGG_FULL, 1);
	}
	if (cfg_full) {
		struct it_kvm_msi *e;
		struct it_sig_slot *f = c ? NULL : sig_slot_mine();

		if (f && !f->folded) {
			/* inside this thread's KVM_SIGNAL_MSI: its exit emits it */
			ev_hdr(&f->rec.h, IT_EV_KVM_SIGNAL_MSI, sizeof(f->rec), IT_F_DATAPLANE, now);
			f->rec.address = address;
			f->rec.data = (__u32)data;
			f->rec.accepted = 0;
			f->rec.apic_dm = 0;
			f->rec.apicid = 0;
			f->folded = 1;
			return IT_TP_PASS;
		}
		e = ev_reserve(sizeof(*e));

		if (!e)
			return IT_TP_PASS;
		ev_hdr(&e->h, IT_EV_KVM_MSI, sizeof(*e),
		       IT_F_DATAPLANE | (c ? IT_F_IN_HARDIRQ : 0), now);
		e->address = address;
		e->data = data;
		e->host_irq = c ? c->irq : 0;
		e->pad = 0;
		e->since_irq = hop;
		ev_submit(e, true);
	}
	return IT_TP_PASS;
}

SEC("tracepoint/kvm/kvm_msi_set_irq")
int tp_kvm_msi_set_irq(struct trace_event_raw_kvm_msi_set_irq *ctx)
{
	return kvm_msi_ev(ctx->address, ctx->data);
}

SEC("tp_btf/kvm_msi_set_irq")
int BPF_PROG(bt_kvm_msi_set_irq, __u64 address, __u64 data)
{
	kvm_msi_ev(address, data);
	return 0;
}

static __always_inline int set_irq_ev(__u8 type, __u32 gsi, __s32 level, __s32 src)
{
	struct it_cur_irq *c;
	__u64 now = bpf_ktime_get_ns();
	__u32 pid;
	struct it_kvm_set_irq *e;

	if (!kvm_ctx(&c, &pid))
		return IT_TP_PASS;
	if (!cfg_full) {
		agg_count_fast(type, pid, gsi, level, now);
		return IT_TP_PASS;
	}
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	ev_hdr(&e->h, type, sizeof(*e), IT_F_DATAPLANE | (c ? IT_F_IN_HARDIRQ : 0), now);
	e->gsi = gsi;
	e->level = level;
	e->irq_source_id = src;
	e->pad = 0;
	ev_submit(e, true);
	return IT_TP_PASS;
}

SEC("tracepoint/kvm/kvm_set_irq")
int tp_kvm_set_irq(struct trace_event_raw_kvm_set_irq *ctx)
{
	return set_irq_ev(IT_EV_KVM_SET_IRQ, ctx->gsi, ctx->level, ctx->irq_source_id);
}

SEC("tracepoint/kvm/kvm_ack_irq")
int tp_kvm_ack_irq(struct trace_event_raw_kvm_ack_irq *ctx)
{
	return set_irq_ev(IT_EV_KVM_ACK_IRQ, ctx->pin, ctx->irqchip, 0);
}

SEC("tracepoint/kvm/kvm_pi_irte_update")
int tp_kvm_pi_irte_update(struct trace_event_raw_kvm_pi_irte_update *ctx)
{
	struct it_kvm_pi_irte *e;

	if (tgid_filtered())
		return IT_TP_PASS;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_KVM_PI_IRTE, sizeof(*e), 0, bpf_ktime_get_ns());
	e->host_irq = ctx->host_irq;
	e->vcpu_id = ctx->vcpu_id;
	e->gsi = ctx->gsi;
	e->gvec = ctx->gvec;
	e->set = ctx->set;
	if (bpf_core_field_exists(((struct trace_event_raw_kvm_pi_irte_update___old *)0)->pi_desc_addr))
		e->pi_desc_addr = BPF_CORE_READ((struct trace_event_raw_kvm_pi_irte_update___old *)ctx,
						pi_desc_addr);
	ev_submit(e, false);
	return IT_TP_PASS;
}

static __always_inline int apic_ev_at(__u8 type, __u32 apicid, __u32 vector, __u16 dm, __u16 tm,
				      __u8 soft, __u8 reinj, __u64 now)
{
	struct it_cur_irq *c;
	__u32 pid;
	struct it_kvm_apic *e;

	if (!kvm_ctx(&c, &pid))
		return IT_TP_PASS;
	if (!cfg_full) {
		agg_count_fast(type, pid, apicid, vector, now);
		return IT_TP_PASS;
	}
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	ev_hdr(&e->h, type, sizeof(*e), IT_F_DATAPLANE | (c ? IT_F_IN_HARDIRQ : 0), now);
	e->apicid = apicid;
	e->vector = vector;
	e->dm = dm;
	e->tm = tm;
	e->soft = soft;
	e->reinjected = reinj;
	e->pad[0] = e->pad[1] = 0;
	ev_submit(e, true);
	return IT_TP_PASS;
}

static __always_inline int apic_ev(__u8 type, __u32 apicid, __u32 vector, __u16 dm, __u16 tm,
				   __u8 soft, __u8 reinj)
{
	return apic_ev_at(type, apicid, vector, dm, tm, soft, reinj, bpf_ktime_get_ns());
}

/* The hop injection -> APIC accept, charged to the injection's stats. */
static __always_inline void accept_hop(__u64 now)
{
	__u32 zero = 0;
	struct it_last_msi *lm = bpf_map_lookup_elem(&last_msi, &zero);
	struct it_msi_stat *st = NULL;
	struct it_msi_slot *s;
	__u64 d;

	if (!lm || !lm->ts)
		return;
	/* another process's accept (its injection was filtered by --pid and
	 * did not replace last_msi): not the delivery of this injection */
	if (lm->pid_tgid != bpf_get_current_pid_tgid())
		return;
	d = now - lm->ts;
	if (d > 1000000)	/* not the same delivery */
		return;
	/* the injection's cache slot, still holding its key: no hashing */
	s = bpf_map_lookup_elem(&msi_cache, &lm->idx);
	if (s && s->used && s->k.address == lm->k.address && s->k.data == lm->k.data &&
	    s->k.pid == lm->k.pid && s->k.host_irq == lm->k.host_irq)
		st = &s->st;
	else
		st = msi_stat_get(&lm->k, now);
	if (!st)
		return;
	st->accepted++;
	st->accept_sum_ns += d;
	hist_add(&st->accept, d);
}

static __always_inline int accept_ev(__u32 apicid, __u16 dm, __u16 tm, __u8 vec)
{
	__u64 now = bpf_ktime_get_ns();	/* one clock read for the hop and the event */

	accept_hop(now);
	if (cfg_full) {
		struct it_sig_slot *f = sig_slot_mine();
		struct it_cur_irq *c = cur_irq_get();

		/* the accept of the folded injection's own message, once */
		if (f && f->folded && !f->rec.accepted && !(c && c->active) &&
		    vec == (f->rec.data & 0xff) && tm == ((f->rec.data >> 15) & 1)) {
			f->rec.accepted = 1;
			f->rec.apicid = apicid;
			f->rec.apic_dm = dm;
			return IT_TP_PASS;
		}
	}
	return apic_ev_at(IT_EV_KVM_APIC_ACCEPT, apicid, vec, dm, tm, 0, 0, now);
}

SEC("tracepoint/kvm/kvm_apic_accept_irq")
int tp_kvm_apic_accept_irq(struct trace_event_raw_kvm_apic_accept_irq *ctx)
{
	return accept_ev(ctx->apicid, ctx->dm, ctx->tm, ctx->vec);
}

/* (apicid, dm, tm, vec): tm was a u8 in older kernels, and very old ones had
 * a fifth argument; raw tracepoint arguments are each widened to 64 bits, so
 * both read the same here */
SEC("tp_btf/kvm_apic_accept_irq")
int BPF_PROG(bt_kvm_apic_accept_irq, __u64 apicid, __u64 dm, __u64 tm, __u64 vec)
{
	accept_ev((__u32)apicid, (__u16)dm, (__u16)tm, (__u8)vec);
	return 0;
}

SEC("tracepoint/kvm/kvm_inj_virq")
int tp_kvm_inj_virq(struct trace_event_raw_kvm_inj_virq *ctx)
{
	__u32 vec;
	__u8 soft = 0, reinj = 0;

	if (bpf_core_field_exists(ctx->vector)) {
		vec = ctx->vector;
		soft = ctx->soft;
		reinj = ctx->reinjected;
	} else {
		vec = BPF_CORE_READ((struct trace_event_raw_kvm_inj_virq___old *)ctx, irq);
	}
	return apic_ev(IT_EV_KVM_INJ_VIRQ, 0, vec, 0, 0, soft, reinj);
}

SEC("tracepoint/kvm/kvm_eoi")
int tp_kvm_eoi(struct trace_event_raw_kvm_eoi *ctx)
{
	return apic_ev(IT_EV_KVM_EOI, ctx->apicid, ctx->vector, 0, 0, 0, 0);
}

/* ---- hypercalls: aggregated per (kind, pid, nr); streamed when cfg_full ---- */

static __always_inline struct it_hypercall *hc_begin(__u8 type, __u64 nr, __u64 *now)
{
	struct it_hypercall *e;

	if (tgid_filtered())
		return NULL;
	*now = bpf_ktime_get_ns();
	if (!cfg_full) {
		agg_count_fast(type, bpf_get_current_pid_tgid() >> 32, nr, 0, *now);
		return NULL;
	}
	e = ev_reserve(sizeof(*e));
	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, type, sizeof(*e), IT_F_DATAPLANE, *now);
	e->nr = nr;
	return e;
}

SEC("tracepoint/kvm/kvm_hypercall")
int tp_kvm_hypercall(struct trace_event_raw_kvm_hypercall *ctx)
{
	__u64 now;
	struct it_hypercall *e = hc_begin(IT_EV_HC_KVM, ctx->nr, &now);

	if (!e)
		return IT_TP_PASS;
	e->args[0] = ctx->a0;
	e->args[1] = ctx->a1;
	e->args[2] = ctx->a2;
	e->args[3] = ctx->a3;
	ev_submit(e, true);
	return IT_TP_PASS;
}

SEC("tracepoint/kvm/kvm_hv_hypercall")
int tp_kvm_hv_hypercall(struct trace_event_raw_kvm_hv_hypercall *ctx)
{
	__u64 now;
	struct it_hypercall *e = hc_begin(IT_EV_HC_HV, ctx->code, &now);

	if (!e)
		return IT_TP_PASS;
	e->args[0] = ctx->ingpa;
	e->args[1] = ctx->outgpa;
	e->rep_cnt = ctx->rep_cnt;
	e->rep_idx = ctx->rep_idx;
	e->fast = ctx->fast;
	if (bpf_core_field_exists(((struct trace_event_raw_kvm_hv_hypercall___new *)0)->var_cnt))
		e->var_cnt = BPF_CORE_READ((struct trace_event_raw_kvm_hv_hypercall___new *)ctx, var_cnt);
	ev_submit(e, true);
	return IT_TP_PASS;
}

SEC("tracepoint/kvm/kvm_hv_hypercall_done")
int tp_kvm_hv_hypercall_done(struct trace_event_raw_kvm_hv_hypercall_done *ctx)
{
	__u64 now;
	struct it_hypercall *e = hc_begin(IT_EV_HC_HV_DONE, ctx->result, &now);

	if (!e)
		return IT_TP_PASS;
	e->ret = ctx->result;
	ev_submit(e, true);
	return IT_TP_PASS;
}

SEC("tracepoint/kvm/kvm_xen_hypercall")
int tp_kvm_xen_hypercall(struct trace_event_raw_kvm_xen_hypercall *ctx)
{
	__u64 now;
	struct it_hypercall *e = hc_begin(IT_EV_HC_XEN, ctx->nr, &now);

	if (!e)
		return IT_TP_PASS;
	e->args[0] = ctx->a0;
	e->args[1] = ctx->a1;
	e->args[2] = ctx->a2;
	e->args[3] = ctx->a3;
	e->args[4] = ctx->a4;
	e->args[5] = ctx->a5;
	if (bpf_core_field_exists(((struct trace_event_raw_kvm_xen_hypercall___new *)0)->cpl))
		e->cpl = BPF_CORE_READ((struct trace_event_raw_kvm_xen_hypercall___new *)ctx, cpl);
	ev_submit(e, true);
	return IT_TP_PASS;
}
