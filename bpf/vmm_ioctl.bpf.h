/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMM ioctl family: syscalls:sys_enter_ioctl / sys_exit_ioctl.
 * The enter program filters by command number in the kernel (any other
 * ioctl costs one switch) and remembers (cmd, fd, arg, time) per thread;
 * the exit program reads the argument from the caller's memory, which the
 * kernel never changes for these commands, and streams one record with the
 * return value and the time the ioctl took.
 */
#include "common.bpf.h"

/* ioctl numbers (uapi, stable): checked against <linux/kvm.h> and
 * <linux/vfio.h> in src/decode.c. */
#define IT_KVM_CREATE_VM		0x0000AE01u
#define IT_KVM_CREATE_VCPU		0x0000AE41u
#define IT_KVM_SET_GSI_ROUTING		0x4008AE6Au
#define IT_KVM_IRQFD			0x4020AE76u
#define IT_KVM_SIGNAL_MSI		0x4020AEA5u
#define IT_VFIO_GROUP_GET_DEVICE_FD	0x00003B6Au
#define IT_VFIO_DEVICE_SET_IRQS		0x00003B6Eu

#define IT_KVM_IRQ_ROUTING_MSI		2
#define IT_VFIO_IRQ_SET_DATA_EVENTFD	(1u << 2)
#define IT_MAX_GSI_ROUTES		4096	/* KVM_MAX_IRQ_ROUTES */

/* syscall tracepoint records (stable layout of syscall trace events) */
struct it_sys_enter_ioctl {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 fd;
	__u64 cmd;
	__u64 arg;
};

struct it_sys_exit_ioctl {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* uapi layouts read from the VMM's memory */
struct it_u_routing_entry {
	__u32 gsi;
	__u32 type;
	__u32 flags;
	__u32 pad;
	__u32 u[8];	/* msi: address_lo, address_hi, data, devid */
};

struct it_u_irq_set {
	__u32 argsz;
	__u32 flags;
	__u32 index;
	__u32 start;
	__u32 count;
};

struct it_pending_ioctl {
	__u64 ts;
	__u64 arg;
	__u32 fd;
	__u32 cmd;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);		/* tid */
	__type(value, struct it_pending_ioctl);
} pending_ioctl SEC(".maps");

/* The completed ioctl being emitted on this cpu: the per-command emitters
 * are global functions, verified once each, and read it from here. */
struct it_ioctl_done {
	struct it_pending_ioctl p;
	__s64 ret;
	__u64 now;
	__u32 nr;		/* routing entries to read */
	__u32 nr_table;		/* entries in the table */
	__u32 nr_msi;		/* MSI entries streamed */
	__u32 failed;		/* a read of the caller's memory failed */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_ioctl_done);
} ioctl_done SEC(".maps");

static __always_inline struct it_ioctl_done *done_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ioctl_done, &zero);
}

/* KVM_SIGNAL_MSI is the one data-plane ioctl (millions a second): its
 * enter->exit state lives in the per-cpu sig_slot (kvm.bpf.h) instead of
 * the hash. */

/* Entries in pending_ioctl (approximately: an entry evicted without its
 * exit leaves it high, which only costs lookups).  While it is zero, the
 * exit program, which runs for every ioctl of the system, returns at once. */
volatile __u64 pending_n;

/* The folded KVM_SIGNAL_MSI record of slot f (see struct it_sig_slot). */
/* own_thread: running in the thread that issued the ioctl, so f->arg is
 * readable here (not so for a slot left behind and emitted from the next
 * KVM_SIGNAL_MSI on this CPU, maybe another process's: flags/devid 0) */
static __always_inline void sig_emit(struct it_sig_slot *f, __s64 ret, __u64 now, __u8 xflags, bool own_thread)
{
	struct it_kvm_signal_msi *e = ev_reserve(sizeof(*e));
	__u32 u[2] = {};
	__u64 d;

	if (!e)
		return;
	__builtin_memcpy(e, &f->rec, sizeof(*e));
	e->h.flags |= xflags;
	e->fd = f->fd;
	e->ret = (__s32)ret;
	d = now > f->ts ? now - f->ts : 0;
	e->duration = d > 0xffffffffULL ? 0xffffffffu : (__u32)d;
	/* kvm_msi .flags and .devid (offset 12): what the tracepoint lacks */
	if (own_thread && bpf_probe_read_user(u, sizeof(u), (void *)(f->arg + 12)))
		cnt_add(IT_CNT_IOCTL_READ_FAIL, 1);
	e->msi_flags = u[0];
	e->devid = u[1];
	ev_submit(e, true);
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_sys_enter_ioctl(struct it_sys_enter_ioctl *ctx)
{
	__u32 cmd = (__u32)ctx->cmd, tid;
	struct it_pending_ioctl p;

	switch (cmd) {
	case IT_KVM_SIGNAL_MSI:
		if (!cfg_full) {
			/* data plane: the injection itself is kvm_msi_set_irq */
			cnt_add(IT_CNT_IOCTL, 1);
			return IT_TP_PASS;
		}
		break;
	case IT_KVM_CREATE_VM:
	case IT_KVM_CREATE_VCPU:
	case IT_KVM_SET_GSI_ROUTING:
	case IT_KVM_IRQFD:
	case IT_VFIO_GROUP_GET_DEVICE_FD:
	case IT_VFIO_DEVICE_SET_IRQS:
		break;
	default:
		return IT_TP_PASS;
	}
	if (tgid_filtered())
		return IT_TP_PASS;
	tid = (__u32)bpf_get_current_pid_tgid();
	if (cmd == IT_KVM_SIGNAL_MSI) {
		struct it_sig_slot *f = sig_slot_get();

		if (!f)
			return IT_TP_PASS;
		if (f->valid) {	/* the previous one's exit never came here */
			cnt_add(IT_CNT_IOCTL_MISSED, 1);
			if (f->folded)
				sig_emit(f, 0, 0, IT_F_NO_EXIT, f->tid == tid);
		}
		f->ts = bpf_ktime_get_ns();
		f->arg = ctx->arg;
		f->fd = (__u32)ctx->fd;
		f->tid = tid;
		f->folded = 0;
		f->valid = 1;
		return IT_TP_PASS;
	}
	p.ts = bpf_ktime_get_ns();
	p.arg = ctx->arg;
	p.fd = (__u32)ctx->fd;
	p.cmd = cmd;
	if (bpf_map_update_elem(&pending_ioctl, &tid, &p, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(&pending_n, 1);
	else
		bpf_map_update_elem(&pending_ioctl, &tid, &p, BPF_ANY);
	return IT_TP_PASS;
}

static __always_inline void ioc_common(struct it_ioctl_common *c, const struct it_pending_ioctl *p,
				       __s64 ret, __u64 now)
{
	c->fd = p->fd;
	c->cmd = p->cmd;
	c->ret = ret;
	c->duration = now - p->ts;
}

/* bpf_loop callback: one routing entry.  Its running state lives in the
 * ioctl_done map value (not on the stack) so the verifier sees every
 * iteration alike and converges. */
static long gsi_route_cb(__u64 i, void *unused)
{
	struct it_ioctl_done *d = done_get();
	struct it_u_routing_entry ent;
	struct it_ioctl_gsi_route *e;

	if (!d || i >= d->nr)
		return 1;
	if (bpf_probe_read_user(&ent, sizeof(ent),
				(void *)(d->p.arg + 8 + i * sizeof(ent)))) {
		d->failed = 1;
		return 1;
	}
	if (ent.type != IT_KVM_IRQ_ROUTING_MSI)
		return 0;
	d->nr_msi++;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return 0;
	ev_hdr(&e->h, IT_EV_IOCTL_GSI_ROUTE, sizeof(*e), 0, d->now);
	ioc_common(&e->c, &d->p, d->ret, d->now);
	e->index = i;
	e->gsi = ent.gsi;
	e->type = ent.type;
	e->flags = ent.flags;
	e->address_lo = ent.u[0];
	e->address_hi = ent.u[1];
	e->data = ent.u[2];
	e->devid = ent.u[3];
	e->nr = d->nr_table;
	e->pad = 0;
	ev_submit(e, false);
	return 0;
}

__noinline int it_emit_gsi_routing(void)
{
	struct it_ioctl_done *d = done_get();
	struct it_ioctl_gsi_routing *e;
	__u32 hdr[2] = {};

	if (!d)
		return IT_TP_PASS;
	d->nr = 0;
	d->nr_table = 0;
	d->nr_msi = 0;
	d->failed = 0;
	if (bpf_probe_read_user(hdr, sizeof(hdr), (void *)d->p.arg)) {
		d->failed = 1;
	} else {
		d->nr_table = hdr[0];
		d->nr = hdr[0] < IT_MAX_GSI_ROUTES ? hdr[0] : IT_MAX_GSI_ROUTES;
		bpf_loop(IT_MAX_GSI_ROUTES, gsi_route_cb, NULL, 0);
	}
	if (d->failed)
		cnt_add(IT_CNT_IOCTL_READ_FAIL, 1);
	/* the table record follows its entries: it commits them */
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	ev_hdr(&e->h, IT_EV_IOCTL_GSI_ROUTING, sizeof(*e), 0, d->now);
	ioc_common(&e->c, &d->p, d->ret, d->now);
	e->nr = hdr[0];
	e->flags = hdr[1];
	e->nr_msi = d->nr_msi;
	e->truncated = d->failed ? hdr[0] : hdr[0] - d->nr;
	ev_submit(e, false);
	return IT_TP_PASS;
}

__noinline int it_emit_set_irqs(void)
{
	struct it_ioctl_done *d = done_get();
	struct it_ioctl_set_irqs *e;
	struct it_u_irq_set s = {};
	struct it_pending_ioctl *p;
	__s64 ret;
	__u64 now;
	__u32 n;

	if (!d)
		return IT_TP_PASS;
	p = &d->p;
	ret = d->ret;
	now = d->now;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_IOCTL_SET_IRQS, sizeof(*e), 0, now);
	ioc_common(&e->c, p, ret, now);
	if (bpf_probe_read_user(&s, sizeof(s), (void *)p->arg)) {
		cnt_add(IT_CNT_IOCTL_READ_FAIL, 1);
	} else {
		e->flags = s.flags;
		e->index = s.index;
		e->start = s.start;
		e->count = s.count;
		if (s.flags & IT_VFIO_IRQ_SET_DATA_EVENTFD) {
			n = s.count < IT_MAX_IRQ_FDS ? s.count : IT_MAX_IRQ_FDS;
			if (bpf_probe_read_user(e->fds, sizeof(e->fds), (void *)(p->arg + sizeof(s)))) {
				/* the array may end just before an unmapped page: read what exists */
				__u32 sz = n * 4;

				if (sz > sizeof(e->fds))
					sz = sizeof(e->fds);
				if (bpf_probe_read_user(e->fds, sz, (void *)(p->arg + sizeof(s))))
					n = 0;
			}
			e->nfds = n;
		}
	}
	ev_submit(e, false);
	return IT_TP_PASS;
}

__noinline int it_emit_irqfd(void)
{
	struct it_ioctl_done *d = done_get();
	struct it_ioctl_irqfd *e;
	__u32 u[4] = {};

	if (!d)
		return IT_TP_PASS;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	ev_hdr(&e->h, IT_EV_IOCTL_IRQFD, sizeof(*e), 0, d->now);
	ioc_common(&e->c, &d->p, d->ret, d->now);
	if (bpf_probe_read_user(u, sizeof(u), (void *)d->p.arg))
		cnt_add(IT_CNT_IOCTL_READ_FAIL, 1);
	e->efd = u[0];
	e->gsi = u[1];
	e->flags = u[2];
	e->resamplefd = u[3];
	ev_submit(e, false);
	return IT_TP_PASS;
}

__noinline int it_emit_signal_msi(void)
{
	struct it_ioctl_done *d = done_get();
	struct it_ioctl_signal_msi *e;
	__u32 u[5] = {};

	if (!d)
		return IT_TP_PASS;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	ev_hdr(&e->h, IT_EV_IOCTL_SIGNAL_MSI, sizeof(*e), IT_F_DATAPLANE, d->now);
	ioc_common(&e->c, &d->p, d->ret, d->now);
	if (bpf_probe_read_user(u, sizeof(u), (void *)d->p.arg))
		cnt_add(IT_CNT_IOCTL_READ_FAIL, 1);
	e->address_lo = u[0];
	e->address_hi = u[1];
	e->data = u[2];
	e->flags = u[3];
	e->devid = u[4];
	e->pad = 0;
	ev_submit(e, true);
	return IT_TP_PASS;
}

__noinline int it_emit_get_device_fd(void)
{
	struct it_ioctl_done *d = done_get();
	struct it_ioctl_get_device_fd *e;

	if (!d)
		return IT_TP_PASS;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	ev_hdr(&e->h, IT_EV_IOCTL_GET_DEVICE_FD, sizeof(*e), 0, d->now);
	ioc_common(&e->c, &d->p, d->ret, d->now);
	if (bpf_probe_read_user_str(e->name, sizeof(e->name), (void *)d->p.arg) < 0) {
		e->name[0] = 0;
		cnt_add(IT_CNT_IOCTL_READ_FAIL, 1);
	}
	ev_submit(e, false);
	return IT_TP_PASS;
}

__noinline int it_emit_simple(void)
{
	struct it_ioctl_done *d = done_get();
	struct it_ioctl_simple *e;

	if (!d)
		return IT_TP_PASS;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return IT_TP_PASS;
	ev_hdr(&e->h, d->p.cmd == IT_KVM_CREATE_VM ? IT_EV_IOCTL_CREATE_VM : IT_EV_IOCTL_CREATE_VCPU,
	       sizeof(*e), 0, d->now);
	ioc_common(&e->c, &d->p, d->ret, d->now);
	e->arg = d->p.arg;
	ev_submit(e, false);
	return IT_TP_PASS;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int tp_sys_exit_ioctl(struct it_sys_exit_ioctl *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct it_pending_ioctl *pp;
	struct it_ioctl_done *d;
	struct it_sig_slot *f = sig_slot_get();

	if (f && f->valid && f->tid == tid) {
		__u64 now = bpf_ktime_get_ns();

		f->valid = 0;
		cnt_add(IT_CNT_IOCTL, 1);
		if (f->folded) {
			f->folded = 0;
			sig_emit(f, ctx->ret, now, 0, true);
			return IT_TP_PASS;
		}
		/* no injection seen (the ioctl failed early): the ioctl record */
		d = done_get();
		if (!d)
			return IT_TP_PASS;
		d->p.ts = f->ts;
		d->p.arg = f->arg;
		d->p.fd = f->fd;
		d->p.cmd = IT_KVM_SIGNAL_MSI;
		d->now = now;
		d->ret = ctx->ret;
		return it_emit_signal_msi();
	}
	if (!pending_n)
		return IT_TP_PASS;
	pp = bpf_map_lookup_elem(&pending_ioctl, &tid);
	if (!pp)
		return IT_TP_PASS;
	d = done_get();
	if (!d)
		return IT_TP_PASS;
	d->p = *pp;
	if (bpf_map_delete_elem(&pending_ioctl, &tid) == 0)
		__sync_fetch_and_add(&pending_n, -1);
	d->now = bpf_ktime_get_ns();
	d->ret = ctx->ret;
	cnt_add(IT_CNT_IOCTL, 1);

	switch (d->p.cmd) {
	case IT_KVM_SET_GSI_ROUTING:
		return it_emit_gsi_routing();
	case IT_VFIO_DEVICE_SET_IRQS:
		return it_emit_set_irqs();
	case IT_KVM_IRQFD:
		return it_emit_irqfd();
	case IT_KVM_SIGNAL_MSI:
		return it_emit_signal_msi();
	case IT_VFIO_GROUP_GET_DEVICE_FD:
		return it_emit_get_device_fd();
	case IT_KVM_CREATE_VM:
	case IT_KVM_CREATE_VCPU:
		return it_emit_simple();
	}
	return IT_TP_PASS;
}
