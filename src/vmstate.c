// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM state read at start -> model records.  See vmstate.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate.h"

#define IT_KVM_SET_GSI_ROUTING 0x4008ae6au	/* _IOW(KVMIO, 0x6a, struct kvm_irq_routing) */
#define IT_KVM_IRQFD 0x4020ae76u		/* _IOW(KVMIO, 0x76, struct kvm_irqfd) */

static void hdr(struct it_hdr *h, uint8_t type, uint16_t len, uint64_t ts, uint32_t pid)
{
	h->ts = ts;
	h->type = type;
	h->version = 1;
	h->len = len;
	h->flags = IT_F_SNAPSHOT;
	h->pid = pid;
	h->tid = 0;
}

static int efd_of(const struct it_iter_rec *recs, size_t n, uint32_t pid, uint64_t ctx)
{
	if (!ctx)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == IT_ITER_EVENTFD && recs[i].pid == pid && recs[i].ctx == ctx)
			return (int)recs[i].fd;
	return -1;
}

/* a record of a VM: same process and struct kvm as one of the VM records */
static bool vm_known(const struct it_iter_rec *recs, size_t n, const struct it_iter_rec *r)
{
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == IT_ITER_VM && recs[i].pid == r->pid && recs[i].kvm == r->kvm)
			return true;
	return false;
}

int it_vmstate_emit(const struct it_iter_rec *recs, size_t n, uint64_t ts, it_vmstate_fn fn, void *ctx,
		    struct it_vmstate_counts *c)
{
	int out = 0, rc;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < n; i++) {
		const struct it_iter_rec *r = &recs[i];
		if (r->kind == IT_ITER_VM) {
			c->vms++;
			c->entries += r->nr;
			c->truncated += r->truncated;
		} else if (r->kind < IT_ITER_VM || r->kind > IT_ITER_EVENTFD ||
			   ((r->kind == IT_ITER_ROUTE || r->kind == IT_ITER_IRQFD) && !vm_known(recs, n, r))) {
			/* a VM whose summary is missing (closed while the iterator ran) */
			c->bad++;
		}
	}
	/* one pass per process, in the order their first VM appears */
	for (size_t i = 0; i < n; i++) {
		const struct it_iter_rec *vm = &recs[i];
		bool first = true;

		if (vm->kind != IT_ITER_VM)
			continue;
		for (size_t k = 0; k < i; k++)
			if (recs[k].kind == IT_ITER_VM && recs[k].pid == vm->pid)
				first = false;
		if (!first)
			continue;
		c->procs++;

		struct it_ioctl_gsi_routing t;
		memset(&t, 0, sizeof(t));
		hdr(&t.h, IT_EV_IOCTL_GSI_ROUTING, sizeof(t), ts, vm->pid);
		t.c.fd = vm->fd;
		t.c.cmd = IT_KVM_SET_GSI_ROUTING;
		for (size_t k = 0; k < n; k++)
			if (recs[k].kind == IT_ITER_VM && recs[k].pid == vm->pid) {
				t.nr += recs[k].nr;
				t.truncated += recs[k].truncated;
			}
		uint32_t idx = 0;
		for (size_t k = 0; k < n; k++) {
			const struct it_iter_rec *r = &recs[k];
			struct it_ioctl_gsi_route e;

			if (r->kind != IT_ITER_ROUTE || r->pid != vm->pid || !vm_known(recs, n, r))
				continue;
			memset(&e, 0, sizeof(e));
			hdr(&e.h, IT_EV_IOCTL_GSI_ROUTE, sizeof(e), ts, vm->pid);
			e.c = t.c;
			e.index = idx++;
			e.gsi = r->gsi;
			e.type = r->type;
			e.flags = r->flags;
			e.address_lo = r->address_lo;
			e.address_hi = r->address_hi;
			e.data = r->data;
			e.devid = r->devid;
			e.nr = t.nr;
			if ((rc = fn(ctx, &e.h)))
				return rc;
			out++;
			c->routes++;
		}
		t.nr_msi = idx;
		if ((rc = fn(ctx, &t.h)))
			return rc;
		out++;
		for (size_t k = 0; k < n; k++) {
			const struct it_iter_rec *r = &recs[k];
			struct it_ioctl_irqfd q;

			if (r->kind != IT_ITER_IRQFD || r->pid != vm->pid || !vm_known(recs, n, r))
				continue;
			memset(&q, 0, sizeof(q));
			hdr(&q.h, IT_EV_IOCTL_IRQFD, sizeof(q), ts, vm->pid);
			q.c.fd = r->fd;
			q.c.cmd = IT_KVM_IRQFD;
			int efd = efd_of(recs, n, r->pid, r->ctx);
			q.efd = (uint32_t)efd;
			q.gsi = r->gsi;
			if (efd < 0)
				c->irqfds_unnamed++;
			if ((rc = fn(ctx, &q.h)))
				return rc;
			out++;
			c->irqfds++;
		}
	}
	return out;
}
