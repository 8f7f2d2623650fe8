// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the routing model (src/model.c): synthetic streams of
 * struct it_hdr records (and hand-built aggregate frames) fed to
 * it_model_event / it_model_agg, results read back through
 * it_model_routes, it_model_vms and it_model_recent_changes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "agg.h"
#include "events_full.h"
#include "events_qemu.h"
#include "hist.h"
#include "model.h"
#include "snapshot.h"

#define SEC 1000000000ull
#define T0 (100 * SEC)
#define VM 4242
#define VM2 5151
#define TID_A 4300
#define TID_B 4301
#define KVM_IRQ_ROUTING_MSI 2
#define KVM_IRQFD_FLAG_DEASSIGN 1
#define VFIO_IRQ_SET_DATA_EVENTFD (1u << 2)
#define VFIO_IRQ_SET_ACTION_TRIGGER (1u << 5)

/* guest MSI messages: physical, fixed, edge */
#define MSG_A_ADDR 0xfee01000ull	/* dest 1 */
#define MSG_A_DATA 0x31u		/* vector 0x31 */
#define MSG_B_ADDR 0xfee02000ull	/* dest 2 */
#define MSG_B_DATA 0x41u
#define MSG_C_ADDR 0xfee03000ull	/* dest 3 */
#define MSG_C_DATA 0x51u

/* ------------------------------------------------------------ stream builders */

static uint64_t now_ts = T0;

static void hdr(struct it_hdr *h, unsigned int type, size_t len, uint16_t cpu, uint32_t pid, uint32_t tid)
{
	now_ts += 1000;
	h->ts = now_ts;
	h->type = (uint8_t)type;
	h->version = 1;
	h->len = (uint16_t)len;
	h->cpu = cpu;
	h->pid = pid;
	h->tid = tid;
}

static void ev_route(struct it_model *m, uint32_t pid, uint32_t tid, uint16_t cpu, uint32_t index, uint32_t gsi,
		     uint64_t address, uint32_t data, uint32_t nr)
{
	struct it_ioctl_gsi_route e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_GSI_ROUTE, sizeof(e), cpu, pid, tid);
	e.c.fd = 11;
	e.index = index;
	e.gsi = gsi;
	e.type = KVM_IRQ_ROUTING_MSI;
	e.address_lo = (uint32_t)address;
	e.address_hi = (uint32_t)(address >> 32);
	e.data = data;
	e.nr = nr;
	it_model_event(m, &e.h);
}

static void ev_commit(struct it_model *m, uint32_t pid, uint32_t tid, uint16_t cpu, uint32_t nr, int64_t ret)
{
	struct it_ioctl_gsi_routing e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_GSI_ROUTING, sizeof(e), cpu, pid, tid);
	e.c.fd = 11;
	e.c.ret = ret;
	e.nr = nr;
	e.nr_msi = nr;
	it_model_event(m, &e.h);
}

/* A whole table of MSI routes (gsis[i] -> addr[i]/data[i]) committed by tid. */
static void table(struct it_model *m, uint32_t pid, uint32_t tid, size_t n, const uint32_t *gsis,
		  const uint64_t *addr, const uint32_t *data, int64_t ret)
{
	for (size_t i = 0; i < n; i++)
		ev_route(m, pid, tid, 0, (uint32_t)i, gsis[i], addr[i], data[i], (uint32_t)n);
	ev_commit(m, pid, tid, 0, (uint32_t)n, ret);
}

static void ev_irqfd(struct it_model *m, uint32_t pid, uint32_t efd, uint32_t gsi, uint32_t flags, int64_t ret)
{
	struct it_ioctl_irqfd e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_IRQFD, sizeof(e), 0, pid, pid);
	e.c.fd = 11;
	e.c.ret = ret;
	e.efd = efd;
	e.gsi = gsi;
	e.flags = flags;
	it_model_event(m, &e.h);
}

static void ev_kvm_msi(struct it_model *m, uint32_t pid, uint64_t address, uint32_t data, uint32_t host_irq)
{
	struct it_kvm_msi e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_KVM_MSI, sizeof(e), 1, pid, pid);
	e.h.flags = IT_F_DATAPLANE | (host_irq ? IT_F_IN_HARDIRQ : 0);
	e.address = address;
	e.data = data;
	e.host_irq = host_irq;
	e.since_irq = host_irq ? 2000 : 0;
	it_model_event(m, &e.h);
}

static void ev_irq_name(struct it_model *m, int irq, const char *name)
{
	struct it_irq_entry e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IRQ_NAME, sizeof(e), 0, 0, 0);
	e.irq = irq;
	snprintf(e.name, sizeof(e.name), "%s", name);
	it_model_event(m, &e.h);
}

static void ev_irq_exit(struct it_model *m, int irq, uint64_t duration)
{
	struct it_irq_exit e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IRQ_EXIT, sizeof(e), 0, 0, 0);
	e.h.flags = IT_F_DATAPLANE;
	e.irq = irq;
	e.duration = duration;
	it_model_event(m, &e.h);
}

static void ev_vector(struct it_model *m, unsigned int type, uint32_t irq, uint32_t vector, uint32_t cpu,
		      uint32_t prev_vector, uint32_t prev_cpu, uint32_t apicdest)
{
	struct it_vector e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, type, sizeof(e), 0, 0, 0);
	e.irq = irq;
	e.vector = vector;
	e.cpu = cpu;
	e.prev_vector = prev_vector;
	e.prev_cpu = prev_cpu;
	e.apicdest = apicdest;
	it_model_event(m, &e.h);
}

static void ev_get_device_fd(struct it_model *m, uint32_t pid, int64_t devfd, const char *name)
{
	struct it_ioctl_get_device_fd e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_GET_DEVICE_FD, sizeof(e), 0, pid, pid);
	e.c.fd = 15;		/* the VFIO group */
	e.c.ret = devfd;
	snprintf(e.name, sizeof(e.name), "%s", name);
	it_model_event(m, &e.h);
}

static void ev_set_irqs(struct it_model *m, uint32_t pid, uint32_t devfd, uint32_t index, uint32_t start,
			uint32_t count, const int32_t *fds, int64_t ret)
{
	struct it_ioctl_set_irqs e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_SET_IRQS, sizeof(e), 0, pid, pid);
	e.c.fd = devfd;
	e.c.ret = ret;
	e.flags = VFIO_IRQ_SET_ACTION_TRIGGER | (fds ? VFIO_IRQ_SET_DATA_EVENTFD : 1u);
	e.index = index;
	e.start = start;
	e.count = count;
	if (fds) {
		e.nfds = count;
		for (uint32_t i = 0; i < count; i++)
			e.fds[i] = fds[i];
	}
	it_model_event(m, &e.h);
}

static void ev_msi_write(struct it_model *m, uint32_t irq, uint8_t bus, uint8_t slot, uint32_t index,
			 uint32_t address_lo, uint32_t data)
{
	struct it_msi_msg e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_MSI_WRITE, sizeof(e), 0, 0, 0);
	e.irq = irq;
	e.address_lo = address_lo;
	e.data = data;
	e.msi_index = index;
	e.segment = 0;
	e.bus = bus;
	e.devfn = (uint8_t)(slot << 3);
	e.flags = IT_MSI_F_BDF | IT_MSI_F_INDEX | IT_MSI_F_MSIX;
	it_model_event(m, &e.h);
}

/* an IRTE record of vendor's table (AMD: the table of requester id devid) */
static void ev_irte_of(struct it_model *m, unsigned int type, uint8_t vendor, uint16_t devid, uint32_t index,
		       uint8_t flags, uint64_t old_lo, uint64_t old_hi, uint64_t new_lo, uint64_t new_hi)
{
	struct it_irte e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, type, sizeof(e), 0, 0, 0);
	e.vendor = vendor;
	e.devid = devid;
	e.flags = flags;
	e.index = index;
	e.old_lo = old_lo;
	e.old_hi = old_hi;
	e.new_lo = new_lo;
	e.new_hi = new_hi;
	snprintf(e.iommu, sizeof(e.iommu), "%s", vendor == IT_IRTE_INTEL ? "dmar0" : "ivhd0");
	it_model_event(m, &e.h);
}

static void ev_irte(struct it_model *m, unsigned int type, uint32_t index, uint8_t flags, uint64_t old_lo,
		    uint64_t old_hi, uint64_t new_lo, uint64_t new_hi)
{
	ev_irte_of(m, type, IT_IRTE_INTEL, 0, index, flags, old_lo, old_hi, new_lo, new_hi);
}

static void ev_proc(struct it_model *m, uint32_t pid, const char *comm, const char *name)
{
	struct it_proc e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_PROC, sizeof(e), 0, 0, 0);
	e.proc_pid = pid;
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	snprintf(e.name, sizeof(e.name), "%s", name);
	it_model_event(m, &e.h);
}

/* ------------------------------------------------------------ result helpers */

struct rt {
	struct it_route *r;
	size_t n;
};

static void routes(struct it_model *m, struct rt *t)
{
	free(t->r);
	t->r = NULL;
	t->n = 0;
	assert_int_equal(it_model_routes(m, &t->r, &t->n), 0);
}

static const struct it_route *guest(const struct rt *t, int pid, int gsi)
{
	const struct it_route *found = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].rk == IT_ROUTE_GUEST && t->r[i].vm_pid == pid && t->r[i].gsi == gsi) {
			assert_null(found);	/* unique */
			found = &t->r[i];
		}
	return found;
}

static const struct it_route *guest_msg(const struct rt *t, int pid, uint64_t address, uint32_t data)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].rk == IT_ROUTE_GUEST && t->r[i].vm_pid == pid && t->r[i].gsi < 0 &&
		    t->r[i].msi_address == address && t->r[i].msi_data == data)
			return &t->r[i];
	return NULL;
}

static const struct it_route *host(const struct rt *t, int irq)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].rk == IT_ROUTE_HOST && t->r[i].irq == irq)
			return &t->r[i];
	return NULL;
}

static size_t count_kind(const struct rt *t, enum it_route_kind rk)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->r[i].rk == rk;
	return n;
}

/* The i-th change (0 = oldest kept). */
static const char *change(const struct it_changes *c, size_t i)
{
	assert_true(i < c->n);
	return c->c[(c->start + i) % IT_ROUTE_CHANGES].what;
}

static const char *last_change(const struct it_changes *c)
{
	assert_true(c->n > 0);
	return change(c, c->n - 1);
}

static bool has_change(const struct it_changes *c, const char *what)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(change(c, i), what))
			return true;
	return false;
}

struct vms {
	struct it_vm_info *v;
	size_t n;
};

static const struct it_vm_info *vm_info(struct it_model *m, struct vms *t, int pid)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
	assert_int_equal(it_model_vms(m, &t->v, &t->n), 0);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return &t->v[i];
	return NULL;
}

/* ------------------------------------------------------------ 1. GSI routing */

static void test_gsi_routing(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	struct vms vs = { 0 };
	const struct it_route *r;
	const struct it_vm_info *vi;
	(void)state;

	assert_non_null(m);
	{
		uint32_t g[] = { 1, 2 };
		uint64_t a[] = { MSG_A_ADDR, MSG_B_ADDR };
		uint32_t d[] = { MSG_A_DATA, MSG_B_DATA };
		table(m, VM, TID_A, 2, g, a, d, 0);
	}
	routes(m, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(count_kind(&t, IT_ROUTE_HOST), 0);
	r = guest(&t, VM, 1);
	assert_non_null(r);
	assert_int_equal(r->gsi, 1);
	assert_int_equal(r->msi_address, MSG_A_ADDR);
	assert_int_equal(r->msi_data, MSG_A_DATA);
	assert_int_equal(r->dest, 1);
	assert_int_equal(r->guest_vector, 0x31);
	assert_string_equal(r->dest_mode, "physical");
	assert_string_equal(r->delivery, "fixed");
	assert_string_equal(r->trigger, "edge");
	assert_string_equal(r->source, "ioctl");
	assert_string_equal(r->kind, "guest");
	assert_int_equal(r->eventfd, -1);
	assert_int_equal(r->host_irq, -1);
	assert_int_equal(r->irq, -1);
	assert_true(r->owner_vm);
	assert_int_equal(r->owner_pid, VM);
	assert_string_equal(r->owner_name, "pid 4242");
	assert_int_equal(r->count, 0);
	assert_int_equal(r->changes.n, 1);
	assert_string_equal(change(&r->changes, 0), "gsi 1 routed to 0xfee01000/0x31 (dest 1 vector 0x31)");
	assert_int_equal(r->changes.c[r->changes.start].pid, VM);
	r = guest(&t, VM, 2);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_B_ADDR);
	assert_int_equal(r->msi_data, MSG_B_DATA);
	assert_int_equal(r->dest, 2);
	assert_int_equal(r->guest_vector, 0x41);
	/* sorted by pid/gsi */
	assert_int_equal(t.r[0].gsi, 1);
	assert_int_equal(t.r[1].gsi, 2);

	/* second table: gsi 1 moves to message C, gsi 2 unchanged */
	{
		uint32_t g[] = { 1, 2 };
		uint64_t a[] = { MSG_C_ADDR, MSG_B_ADDR };
		uint32_t d[] = { MSG_C_DATA, MSG_B_DATA };
		table(m, VM, TID_A, 2, g, a, d, 0);
	}
	routes(m, &t);
	assert_int_equal(t.n, 2);
	r = guest(&t, VM, 1);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_C_ADDR);
	assert_int_equal(r->msi_data, MSG_C_DATA);
	assert_int_equal(r->dest, 3);
	assert_int_equal(r->guest_vector, 0x51);
	assert_int_equal(r->changes.n, 2);
	assert_int_equal(r->changes.total, 2);
	assert_string_equal(last_change(&r->changes),
			    "gsi 1: 0xfee01000/0x31 (dest 1 vector 0x31) -> 0xfee03000/0x51 (dest 3 vector 0x51)");
	r = guest(&t, VM, 2);
	assert_non_null(r);
	assert_int_equal(r->changes.n, 1);	/* unchanged: no new history */

	/* a failed table is not applied; the VM records it */
	{
		uint32_t g[] = { 1 };
		uint64_t a[] = { MSG_A_ADDR };
		uint32_t d[] = { 0x99 };
		table(m, VM, TID_A, 1, g, a, d, -22);
	}
	routes(m, &t);
	assert_int_equal(t.n, 2);
	r = guest(&t, VM, 1);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_C_ADDR);
	assert_int_equal(r->msi_data, MSG_C_DATA);
	assert_int_equal(r->changes.n, 2);
	assert_non_null(guest(&t, VM, 2));
	vi = vm_info(m, &vs, VM);
	assert_non_null(vi);
	assert_int_equal(vs.n, 1);
	assert_int_equal(vi->routes, 2);
	assert_int_equal(vi->changes.n, 1);
	assert_string_equal(last_change(&vi->changes), "KVM_SET_GSI_ROUTING (1 entries) failed: -22");
	assert_int_equal(vi->changes.c[vi->changes.start].pid, VM);

	/* the staged entries of the failed table do not leak into the next one */
	{
		uint32_t g[] = { 2 };
		uint64_t a[] = { MSG_B_ADDR };
		uint32_t d[] = { MSG_B_DATA };
		table(m, VM, TID_A, 1, g, a, d, 0);
	}
	routes(m, &t);
	assert_int_equal(t.n, 1);
	assert_null(guest(&t, VM, 1));
	assert_non_null(guest(&t, VM, 2));
	vi = vm_info(m, &vs, VM);
	assert_int_equal(vi->routes, 1);

	/* recent changes, newest last */
	{
		struct it_change c[8];
		size_t n = it_model_recent_changes(m, c, 8);
		/* routed 1, routed 2, 1 changed, failed, 1 removed */
		assert_int_equal(n, 5);
		assert_string_equal(c[0].what, "gsi 1 routed to 0xfee01000/0x31 (dest 1 vector 0x31)");
		assert_string_equal(c[1].what, "gsi 2 routed to 0xfee02000/0x41 (dest 2 vector 0x41)");
		assert_string_equal(c[3].what, "KVM_SET_GSI_ROUTING (1 entries) failed: -22");
		assert_string_equal(c[4].what, "gsi 1 route removed");
		assert_true(c[3].ts < c[4].ts);
		n = it_model_recent_changes(m, c, 2);
		assert_int_equal(n, 2);
		assert_string_equal(c[1].what, "gsi 1 route removed");
	}
	free(t.r);
	free(vs.v);
	it_model_free(m);
}

/* ------------------------------------------------------------ 2. interleaving */

static void test_interleaved_tables(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	const struct it_route *r;
	(void)state;

	/* two VMs' tables, entries interleaved across CPUs and threads */
	ev_route(m, VM, TID_A, 0, 0, 1, MSG_A_ADDR, MSG_A_DATA, 2);
	ev_route(m, VM2, TID_B, 3, 0, 1, MSG_B_ADDR, MSG_B_DATA, 1);
	ev_route(m, VM, TID_A, 0, 1, 2, MSG_C_ADDR, MSG_C_DATA, 2);
	ev_commit(m, VM2, TID_B, 3, 1, 0);
	routes(m, &t);
	assert_int_equal(t.n, 1);
	r = guest(&t, VM2, 1);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_B_ADDR);
	assert_int_equal(r->msi_data, MSG_B_DATA);
	ev_commit(m, VM, TID_A, 0, 2, 0);
	routes(m, &t);
	assert_int_equal(t.n, 3);
	r = guest(&t, VM, 1);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_A_ADDR);
	assert_int_equal(r->msi_data, MSG_A_DATA);
	r = guest(&t, VM, 2);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_C_ADDR);
	r = guest(&t, VM2, 1);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_B_ADDR);
	assert_null(guest(&t, VM2, 2));

	/* two threads of the same VMM: each table is exactly its thread's entries */
	ev_route(m, VM, TID_A, 0, 0, 5, MSG_A_ADDR, MSG_A_DATA, 1);
	ev_route(m, VM, TID_B, 2, 0, 6, MSG_B_ADDR, MSG_B_DATA, 2);
	ev_route(m, VM, TID_B, 2, 1, 7, MSG_C_ADDR, MSG_C_DATA, 2);
	ev_commit(m, VM, TID_B, 2, 2, 0);
	routes(m, &t);
	assert_int_equal(count_kind(&t, IT_ROUTE_GUEST), 3);
	assert_null(guest(&t, VM, 1));
	assert_null(guest(&t, VM, 5));
	assert_non_null(guest(&t, VM, 6));
	assert_non_null(guest(&t, VM, 7));
	assert_non_null(guest(&t, VM2, 1));
	ev_commit(m, VM, TID_A, 0, 1, 0);
	routes(m, &t);
	assert_int_equal(count_kind(&t, IT_ROUTE_GUEST), 2);
	r = guest(&t, VM, 5);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_A_ADDR);
	assert_null(guest(&t, VM, 6));
	assert_null(guest(&t, VM, 7));
	assert_non_null(guest(&t, VM2, 1));
	free(t.r);
	it_model_free(m);
}

/* ------------------------------------------------------------ 3. irqfd */

static void test_irqfd(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	struct vms vs = { 0 };
	const struct it_route *r;
	const struct it_vm_info *vi;
	(void)state;

	{
		uint32_t g[] = { 1, 2 };
		uint64_t a[] = { MSG_A_ADDR, MSG_B_ADDR };
		uint32_t d[] = { MSG_A_DATA, MSG_B_DATA };
		table(m, VM, TID_A, 2, g, a, d, 0);
	}
	ev_irqfd(m, VM, 30, 1, 0, 0);
	routes(m, &t);
	r = guest(&t, VM, 1);
	assert_non_null(r);
	assert_int_equal(r->eventfd, 30);
	assert_string_equal(last_change(&r->changes), "irqfd eventfd 30 bound to gsi 1");
	assert_int_equal(guest(&t, VM, 2)->eventfd, -1);
	vi = vm_info(m, &vs, VM);
	assert_int_equal(vi->irqfds, 1);

	/* deassign */
	ev_irqfd(m, VM, 30, 1, KVM_IRQFD_FLAG_DEASSIGN, 0);
	routes(m, &t);
	r = guest(&t, VM, 1);
	assert_int_equal(r->eventfd, -1);
	assert_string_equal(last_change(&r->changes), "irqfd eventfd 30 on gsi 1 removed");
	vi = vm_info(m, &vs, VM);
	assert_int_equal(vi->irqfds, 0);

	/* the same eventfd number bound again, to another gsi */
	ev_irqfd(m, VM, 30, 2, 0, 0);
	routes(m, &t);
	assert_int_equal(guest(&t, VM, 1)->eventfd, -1);
	r = guest(&t, VM, 2);
	assert_int_equal(r->eventfd, 30);
	assert_string_equal(last_change(&r->changes), "irqfd eventfd 30 bound to gsi 2");
	vi = vm_info(m, &vs, VM);
	assert_int_equal(vi->irqfds, 1);

	/* a failed assign binds nothing and is a VM-level change */
	ev_irqfd(m, VM, 31, 1, 0, -16);
	routes(m, &t);
	assert_int_equal(guest(&t, VM, 1)->eventfd, -1);
	vi = vm_info(m, &vs, VM);
	assert_int_equal(vi->irqfds, 1);
	assert_string_equal(last_change(&vi->changes), "KVM_IRQFD assign eventfd 31 gsi 1 failed: -16");

	/* an irqfd on a gsi without an MSI route */
	ev_irqfd(m, VM, 32, 9, 0, 0);
	vi = vm_info(m, &vs, VM);
	assert_string_equal(last_change(&vi->changes), "irqfd eventfd 32 bound to gsi 9, which has no MSI route");
	free(t.r);
	free(vs.v);
	it_model_free(m);
}

/* ------------------------------------------------------------ 4. injections */

static void test_injection_counts(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	struct vms vs = { 0 };
	const struct it_route *r;
	(void)state;

	{
		uint32_t g[] = { 1, 2 };
		uint64_t a[] = { MSG_A_ADDR, MSG_B_ADDR };
		uint32_t d[] = { MSG_A_DATA, MSG_B_DATA };
		table(m, VM, TID_A, 2, g, a, d, 0);
	}
	for (int i = 0; i < 3; i++)
		ev_kvm_msi(m, VM, MSG_A_ADDR, MSG_A_DATA, 0);
	for (int i = 0; i < 2; i++)
		ev_kvm_msi(m, VM, MSG_B_ADDR, MSG_B_DATA, 0);
	/* a message no route carries: KVM_SIGNAL_MSI style */
	for (int i = 0; i < 4; i++)
		ev_kvm_msi(m, VM, 0xfee05000ull, 0x61, 0);
	/* another process's injection of message A is not this VM's */
	ev_kvm_msi(m, VM2, MSG_A_ADDR, MSG_A_DATA, 0);
	routes(m, &t);
	r = guest(&t, VM, 1);
	assert_int_equal(r->count, 3);
	r = guest(&t, VM, 2);
	assert_int_equal(r->count, 2);
	r = guest_msg(&t, VM, 0xfee05000ull, 0x61);
	assert_non_null(r);
	assert_int_equal(r->gsi, -1);
	assert_int_equal(r->count, 4);
	assert_string_equal(r->source, "signal");
	assert_int_equal(r->dest, 5);
	assert_int_equal(r->guest_vector, 0x61);
	assert_int_equal(r->eventfd, -1);
	assert_int_equal(r->host_irq, -1);
	assert_string_equal(r->owner_name, "pid 4242");
	r = guest_msg(&t, VM2, MSG_A_ADDR, MSG_A_DATA);
	assert_non_null(r);
	assert_int_equal(r->count, 1);
	/* a process never seen issuing ioctls: could be a route from before start */
	assert_string_equal(r->source, "observed");
	assert_string_equal(r->owner_name, "pid 5151");
	assert_string_equal(r->unknown,
			    "set up before start or signalled directly (KVM_SIGNAL_MSI): no route seen");
	assert_int_equal(count_kind(&t, IT_ROUTE_GUEST), 4);
	assert_int_equal(vm_info(m, &vs, VM)->injections, 9);
	assert_null(vm_info(m, &vs, VM2));	/* injections alone make no VM */

	/* gsi 1 moves A -> C: late injections of A still belong to gsi 1 */
	{
		uint32_t g[] = { 1, 2 };
		uint64_t a[] = { MSG_C_ADDR, MSG_B_ADDR };
		uint32_t d[] = { MSG_C_DATA, MSG_B_DATA };
		table(m, VM, TID_A, 2, g, a, d, 0);
	}
	ev_kvm_msi(m, VM, MSG_A_ADDR, MSG_A_DATA, 0);
	ev_kvm_msi(m, VM, MSG_C_ADDR, MSG_C_DATA, 0);
	routes(m, &t);
	r = guest(&t, VM, 1);
	assert_int_equal(r->msi_address, MSG_C_ADDR);
	assert_int_equal(r->count, 4 + 1);	/* A (past message) + C */
	assert_int_equal(guest(&t, VM, 2)->count, 2);
	assert_null(guest_msg(&t, VM, MSG_A_ADDR, MSG_A_DATA));

	/* now gsi 3 carries A: the current carrier takes A first */
	{
		uint32_t g[] = { 1, 2, 3 };
		uint64_t a[] = { MSG_C_ADDR, MSG_B_ADDR, MSG_A_ADDR };
		uint32_t d[] = { MSG_C_DATA, MSG_B_DATA, MSG_A_DATA };
		table(m, VM, TID_A, 3, g, a, d, 0);
	}
	routes(m, &t);
	assert_int_equal(guest(&t, VM, 3)->count, 4);
	assert_int_equal(guest(&t, VM, 1)->count, 1);
	assert_int_equal(guest(&t, VM, 2)->count, 2);
	free(t.r);
	free(vs.v);
	it_model_free(m);
}

/* ------------------------------------------------------------ 5. aggregates */

static void test_aggregates(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	struct vms vs = { 0 };
	struct it_agg_irq airq[1];
	struct it_agg_msi amsi[1];
	struct it_agg_frame f;
	const struct it_route *r;
	(void)state;

	{
		uint32_t g[] = { 1 };
		uint64_t a[] = { MSG_A_ADDR };
		uint32_t d[] = { MSG_A_DATA };
		table(m, VM, TID_A, 1, g, a, d, 0);
	}
	ev_irq_name(m, 40, "vfio-msi[0](0000:00:04.0)");
	for (int i = 0; i < 3; i++) {
		ev_irq_exit(m, 40, 1500);
		ev_kvm_msi(m, VM, MSG_A_ADDR, MSG_A_DATA, 0);
	}
	routes(m, &t);
	assert_int_equal(host(&t, 40)->count, 3);
	assert_int_equal(host(&t, 40)->lat_max, 1500);
	assert_int_equal(guest(&t, VM, 1)->count, 3);

	memset(&f, 0, sizeof(f));
	memset(airq, 0, sizeof(airq));
	memset(amsi, 0, sizeof(amsi));
	f.ts = now_ts + 1000;
	f.counters[IT_CNT_EVENTS] = 10;
	airq[0].irq = 40;
	airq[0].st.count = 500;
	airq[0].st.max_ns = 9000;
	amsi[0].k.address = MSG_A_ADDR;
	amsi[0].k.data = MSG_A_DATA;
	amsi[0].k.pid = VM;
	amsi[0].st.count = 100;
	amsi[0].st.accepted = 90;
	f.irq = airq;
	f.nirq = 1;
	f.msi = amsi;
	f.nmsi = 1;
	it_model_agg(m, &f);
	routes(m, &t);
	r = host(&t, 40);
	assert_int_equal(r->count, 500);
	assert_int_equal(r->lat_max, 9000);
	r = guest(&t, VM, 1);
	assert_int_equal(r->count, 100);
	assert_int_equal(r->accepted, 90);
	assert_int_equal(vm_info(m, &vs, VM)->injections, 100);
	/* events while an aggregate covers the key do not add */
	ev_kvm_msi(m, VM, MSG_A_ADDR, MSG_A_DATA, 0);
	ev_irq_exit(m, 40, 1500);
	routes(m, &t);
	assert_int_equal(host(&t, 40)->count, 500);
	assert_int_equal(guest(&t, VM, 1)->count, 100);

	/* reset: later counts start from the current frame */
	it_model_reset_counts(m);
	routes(m, &t);
	assert_int_equal(host(&t, 40)->count, 0);
	assert_int_equal(guest(&t, VM, 1)->count, 0);
	assert_int_equal(guest(&t, VM, 1)->accepted, 0);
	airq[0].st.count = 520;
	amsi[0].st.count = 130;
	amsi[0].st.accepted = 111;
	f.ts += SEC;
	it_model_agg(m, &f);
	routes(m, &t);
	assert_int_equal(host(&t, 40)->count, 20);
	r = guest(&t, VM, 1);
	assert_int_equal(r->count, 30);
	assert_int_equal(r->accepted, 21);
	assert_int_equal(vm_info(m, &vs, VM)->injections, 30);

	/* a window gives rates */
	it_model_set_window(m, T0, T0 + 10 * SEC);
	routes(m, &t);
	assert_true(host(&t, 40)->rate == 2.0);
	assert_true(guest(&t, VM, 1)->rate == 3.0);
	free(t.r);
	free(vs.v);
	it_model_free(m);
}

/* Without aggregates, a reset restarts the event counts. */
static void test_reset_event_counts(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	(void)state;

	{
		uint32_t g[] = { 1 };
		uint64_t a[] = { MSG_A_ADDR };
		uint32_t d[] = { MSG_A_DATA };
		table(m, VM, TID_A, 1, g, a, d, 0);
	}
	ev_irq_name(m, 40, "vfio-msi[0](0000:00:04.0)");
	ev_irq_exit(m, 40, 100);
	ev_kvm_msi(m, VM, MSG_A_ADDR, MSG_A_DATA, 0);
	ev_kvm_msi(m, VM, MSG_A_ADDR, MSG_A_DATA, 0);
	it_model_reset_counts(m);
	ev_kvm_msi(m, VM, MSG_A_ADDR, MSG_A_DATA, 0);
	routes(m, &t);
	assert_int_equal(host(&t, 40)->count, 0);
	assert_int_equal(guest(&t, VM, 1)->count, 1);
	free(t.r);
	it_model_free(m);
}

/* ------------------------------------------------------------ 6. VFIO join */

static void test_vfio_join(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	struct vms vs = { 0 };
	const struct it_route *r;
	const struct it_vm_info *vi;
	const int32_t fds[] = { 7, 8 };
	(void)state;

	ev_proc(m, VM, "qemu-system-x86", "guest1");
	ev_get_device_fd(m, VM, 20, "0000:00:03.0");
	ev_set_irqs(m, VM, 20, IT_VFIO_IRQ_INDEX_MSIX, 0, 2, fds, 0);
	{
		uint32_t g[] = { 24, 25 };
		uint64_t a[] = { MSG_A_ADDR, MSG_B_ADDR };
		uint32_t d[] = { MSG_A_DATA, MSG_B_DATA };
		table(m, VM, TID_A, 2, g, a, d, 0);
	}
	ev_irqfd(m, VM, 7, 24, 0, 0);
	ev_irq_name(m, 25, "vfio-msix[0](0000:00:03.0)");
	for (int i = 0; i < 5; i++)
		ev_kvm_msi(m, 0, MSG_A_ADDR, MSG_A_DATA, 25);

	routes(m, &t);
	r = guest(&t, VM, 24);
	assert_non_null(r);
	assert_string_equal(r->bdf, "0000:00:03.0");
	assert_int_equal(r->entry, 0);
	assert_int_equal(r->host_irq, 25);
	assert_int_equal(r->eventfd, 7);
	assert_int_equal(r->count, 5);
	assert_string_equal(r->owner_name, "guest1");
	/* gsi 25 has no irqfd: no device */
	r = guest(&t, VM, 25);
	assert_string_equal(r->bdf, "");
	assert_int_equal(r->host_irq, -1);
	assert_int_equal(r->count, 0);

	r = host(&t, 25);
	assert_non_null(r);
	assert_true(r->owner_vm);
	assert_int_equal(r->owner_pid, VM);
	assert_string_equal(r->owner_name, "guest1");
	assert_string_equal(r->bdf, "0000:00:03.0");
	assert_int_equal(r->entry, 0);
	assert_string_equal(r->kind, "msix");
	assert_string_equal(r->name, "vfio-msix[0](0000:00:03.0)");
	assert_int_equal(r->vm_pid, -1);
	assert_int_equal(count_kind(&t, IT_ROUTE_HOST), 1);
	assert_int_equal(count_kind(&t, IT_ROUTE_GUEST), 2);

	vi = vm_info(m, &vs, VM);
	assert_non_null(vi);
	assert_string_equal(vi->name, "guest1");
	assert_int_equal(vi->vfio_devices, 1);
	assert_int_equal(vi->injections, 5);
	assert_true(has_change(&vi->changes, "VFIO device 0000:00:03.0 opened (fd 20)"));
	assert_true(has_change(&vi->changes, "0000:00:03.0 msix[0] -> eventfd 7"));
	assert_true(has_change(&vi->changes, "0000:00:03.0 msix[1] -> eventfd 8"));

	/* disabling the device's MSI-X unbinds the trigger */
	ev_set_irqs(m, VM, 20, IT_VFIO_IRQ_INDEX_MSIX, 0, 0, NULL, 0);
	routes(m, &t);
	r = guest(&t, VM, 24);
	assert_int_equal(r->eventfd, 7);
	assert_string_equal(r->bdf, "");
	assert_int_equal(r->host_irq, -1);
	vi = vm_info(m, &vs, VM);
	assert_string_equal(last_change(&vi->changes), "0000:00:03.0 msix interrupts disabled");
	free(t.r);
	free(vs.v);
	it_model_free(m);
}

/* ------------------------------------------------------------ 7. host vectors */

static void test_host_vectors(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	const struct it_route *r;
	(void)state;

	ev_irq_name(m, 30, "vfio-msi[0](0000:00:04.0)");
	routes(m, &t);
	r = host(&t, 30);
	assert_non_null(r);
	assert_int_equal(r->cpu, -1);
	assert_int_equal(r->vector, -1);
	assert_string_equal(r->cpu_src, "unknown");
	assert_string_equal(r->source, "event");
	assert_string_equal(r->kind, "msi");
	assert_string_equal(r->lat_what, "handler");
	assert_string_equal(r->unknown, "vector: unknown until its next move (no irq debugfs); ");

	ev_vector(m, IT_EV_VECTOR_UPDATE, 30, 0x41, 2, 0x40, 1, 0);
	ev_vector(m, IT_EV_VECTOR_CONFIG, 30, 0x41, 2, 0, 0, 4);
	routes(m, &t);
	r = host(&t, 30);
	assert_non_null(r);
	assert_int_equal(r->cpu, 2);
	assert_int_equal(r->vector, 0x41);
	assert_int_equal(r->apicid, 4);
	assert_string_equal(r->cpu_src, "event");
	assert_string_equal(r->unknown, "");
	assert_int_equal(r->changes.n, 1);
	assert_string_equal(last_change(&r->changes), "vector 0x40 cpu 1 -> vector 0x41 cpu 2");
	/* the same placement again is no change */
	ev_vector(m, IT_EV_VECTOR_UPDATE, 30, 0x41, 2, 0x41, 2, 0);
	routes(m, &t);
	assert_int_equal(host(&t, 30)->changes.n, 1);

	/* freed: gone */
	ev_vector(m, IT_EV_VECTOR_TEARDOWN, 30, 0, 0, 0, 0, 0);
	routes(m, &t);
	assert_null(host(&t, 30));
	assert_int_equal(t.n, 0);

	/* reallocated to another device: nothing of the old one remains */
	ev_vector(m, IT_EV_VECTOR_SETUP, 30, 0, 0, 0, 0, 0);
	ev_irq_name(m, 30, "vfio-msix[3](0000:00:05.0)");
	routes(m, &t);
	r = host(&t, 30);
	assert_non_null(r);
	assert_string_equal(r->name, "vfio-msix[3](0000:00:05.0)");
	assert_string_equal(r->bdf, "0000:00:05.0");
	assert_int_equal(r->entry, 3);
	assert_string_equal(r->kind, "msix");
	assert_int_equal(r->cpu, -1);
	assert_int_equal(r->vector, -1);
	assert_int_equal(r->apicid, -1);
	assert_int_equal(r->count, 0);

	/* again, now a host driver's irq: the name and the written message's
	 * device are the new ones */
	ev_vector(m, IT_EV_VECTOR_TEARDOWN, 30, 0, 0, 0, 0, 0);
	ev_vector(m, IT_EV_VECTOR_SETUP, 30, 0, 0, 0, 0, 0);
	ev_irq_name(m, 30, "nvme0q1");
	ev_msi_write(m, 30, 0, 6, 1, 0xfee00000u, 0x22);
	routes(m, &t);
	r = host(&t, 30);
	assert_non_null(r);
	assert_string_equal(r->name, "nvme0q1");
	assert_string_equal(r->bdf, "0000:00:06.0");
	assert_int_equal(r->entry, 1);
	assert_string_equal(r->kind, "other");
	assert_false(r->owner_vm);
	assert_string_equal(r->owner_name, "host");
	free(t.r);
	it_model_free(m);
}

/* ------------------------------------------------------------ 8. IRTE join */

/* Intel remapped IRTE: present, vector, x2APIC destination; sid + svt. */
#define IRTE_LO(vec, dest) (1ull | ((uint64_t)(vec) << 16) | ((uint64_t)(dest) << 32))
#define IRTE_HI(sid, svt) ((uint64_t)(sid) | ((uint64_t)(svt) << 18))
#define REMAPPABLE(handle) (0xfee00000u | ((uint32_t)(handle) << 5) | (1u << 4))

static void test_irte_join(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	const struct it_route *r;
	const uint8_t x2 = IT_IRTE_F_MODE_KNOWN | IT_IRTE_F_X2APIC;
	(void)state;

	assert_int_equal(REMAPPABLE(16), 0xfee00210u);
	ev_msi_write(m, 25, 0, 3, 0, REMAPPABLE(16), 0);
	ev_irte(m, IT_EV_IRTE_SNAP, 16, x2, 0, 0, IRTE_LO(0x23, 1), IRTE_HI(0x18, 1));
	/* an unrelated entry */
	ev_irte(m, IT_EV_IRTE_SNAP, 17, x2, 0, 0, IRTE_LO(0x24, 2), IRTE_HI(0x20, 1));
	routes(m, &t);
	r = host(&t, 25);
	assert_non_null(r);
	assert_string_equal(r->bdf, "0000:00:03.0");
	assert_int_equal(r->entry, 0);
	assert_non_null(r->irte);
	assert_int_equal(r->irte->fmt, IT_IRTE_FMT_INTEL);
	assert_string_equal(r->irte->iommu, "dmar0");
	assert_int_equal(r->irte->index, 16);
	assert_true(r->irte->present);
	assert_false(r->irte->posted);
	assert_int_equal(r->irte->vector, 0x23);
	assert_int_equal(r->irte->dest_id, 1);
	assert_int_equal(r->irte->svt, 1);
	assert_int_equal(r->irte->sid, 0x18);
	assert_int_equal(r->irte->raw_lo, IRTE_LO(0x23, 1));
	assert_int_equal(r->irte->raw_hi, IRTE_HI(0x18, 1));
	assert_int_equal(r->changes.n, 0);

	/* the driver rewrites the entry with another vector */
	ev_irte(m, IT_EV_IRTE_WRITE, 16, x2 | IT_IRTE_F_OLD, IRTE_LO(0x23, 1), IRTE_HI(0x18, 1),
		IRTE_LO(0x33, 1), IRTE_HI(0x18, 1));
	routes(m, &t);
	r = host(&t, 25);
	assert_non_null(r->irte);
	assert_int_equal(r->irte->vector, 0x33);
	assert_int_equal(r->changes.n, 1);
	assert_string_equal(last_change(&r->changes),
			    "IRTE dmar0[16]: remapped dest 1 vector 0x23 -> remapped dest 1 vector 0x33");
	/* a store that changes nothing visible records nothing */
	ev_irte(m, IT_EV_IRTE_WRITE, 16, x2 | IT_IRTE_F_OLD, IRTE_LO(0x33, 1), IRTE_HI(0x18, 1),
		IRTE_LO(0x33, 1), IRTE_HI(0x18, 1));
	routes(m, &t);
	assert_int_equal(host(&t, 25)->changes.n, 1);
	free(t.r);
	it_model_free(m);
}

/* The table read may come before the message write: the join is by index. */
static void test_irte_join_order(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	const struct it_route *r;
	(void)state;

	ev_irte(m, IT_EV_IRTE_SNAP, 16, IT_IRTE_F_MODE_KNOWN, 0, 0, IRTE_LO(0x23, 3 << 8), IRTE_HI(0x18, 1));
	ev_msi_write(m, 25, 0, 3, 0, REMAPPABLE(16), 0);
	routes(m, &t);
	r = host(&t, 25);
	assert_non_null(r);
	assert_non_null(r->irte);
	assert_int_equal(r->irte->index, 16);
	assert_int_equal(r->irte->dest_id, 3);	/* xAPIC: bits 15:8 */
	/* a non-remappable message: no IRTE */
	ev_msi_write(m, 26, 0, 4, 0, 0xfee01000u, 0x41);
	routes(m, &t);
	assert_null(host(&t, 26)->irte);
	free(t.r);
	it_model_free(m);
}

/*
 * AMD-Vi: the message's data is the IRTE index in the device's own table
 * (joined by requester id).  The AMD lab's account (tests/lab amd-6.12):
 * its captured root (tests/fixtures/lab-amd-6.12) says AMD-Vi remapping and
 * gives the chips; the e1000e (00:04.0, devid 0x20) held 0xfee00000 / data
 * v in MSI-X entry v, and the table read found GA IRTEs at index v with
 * these raw words (vector in high 7:0, destination in low 31:8).  The
 * AMD-Vi unit's own PCI-MSI (irq 24, 00:02.0) held vector 0x20: not remapped.
 */
static void test_irte_join_amd(void **state)
{
	static const uint64_t lab_lo[5] = { 257, 1, 257, 1, 257 }, lab_hi[5] = { 35, 35, 36, 36, 37 };
	struct it_model *m = it_model_new();
	struct it_snapshot snap;
	struct rt t = { 0 };
	const struct it_route *r;
	(void)state;

	memset(&snap, 0, sizeof(snap));
	assert_int_equal(it_snapshot_read(&snap, TEST_FIXTURES "/lab-amd-6.12", IT_SNAP_INTERRUPTS | IT_SNAP_IR), 0);
	assert_int_equal(snap.ir.mode, IT_IR_AMD);
	it_model_set_snapshot(m, &snap);
	/* the msi table read at start: the AMD-Vi unit's MSI, the e1000e's MSI-X */
	ev_msi_write(m, 24, 0, 2, 0, 0xfee00000u, 0x20);
	for (uint32_t v = 0; v < 5; v++)
		ev_msi_write(m, 25 + v, 0, 4, v, 0xfee00000u, v);
	for (uint32_t v = 0; v < 5; v++) {
		ev_irte_of(m, IT_EV_IRTE_SNAP, IT_IRTE_AMD_GA, 0x20, v, 0, 0, 0, lab_lo[v], lab_hi[v]);
		/* another device's table holds the same indices */
		ev_irte_of(m, IT_EV_IRTE_SNAP, IT_IRTE_AMD_GA, 0x18, v, 0, 0, 0, 1 | (3u << 8), 0x50 + v);
	}
	routes(m, &t);
	r = host(&t, 24);
	assert_non_null(r);
	assert_false(r->remapped);
	assert_null(r->irte);
	for (int v = 0; v < 5; v++) {
		r = host(&t, 25 + v);
		assert_non_null(r);
		assert_string_equal(r->bdf, "0000:00:04.0");
		assert_true(r->remapped);
		assert_non_null(r->irte);
		assert_int_equal(r->irte->index, v);
		assert_int_equal(r->irte->vector, lab_hi[v]);
		assert_int_equal(r->irte->dest_id, lab_lo[v] >> 8);
	}
	free(t.r);
	it_model_free(m);
	it_snapshot_free(&snap);
}

/* ------------------------------------------------------------ 9. robustness */

static void test_robustness(void **state)
{
	struct it_model *m = it_model_new();
	struct it_model_stats st;
	struct rt t = { 0 };
	struct vms vs = { 0 };
	const uint64_t start = now_ts;
	(void)state;

	/* unknown type */
	{
		struct it_kvm_msi e;
		memset(&e, 0, sizeof(e));
		hdr(&e.h, 77, sizeof(e), 0, VM, VM);
		it_model_event(m, &e.h);
		hdr(&e.h, 199, sizeof(e), 0, VM, VM);
		it_model_event(m, &e.h);
	}
	/* too short for its type (the buffer is whole; only len is short) */
	{
		struct it_kvm_msi e;
		memset(&e, 0, sizeof(e));
		hdr(&e.h, IT_EV_KVM_MSI, sizeof(e) - 8, 0, VM, VM);
		e.address = MSG_A_ADDR;
		e.data = MSG_A_DATA;
		it_model_event(m, &e.h);
	}
	{
		struct it_ioctl_gsi_route e;
		memset(&e, 0, sizeof(e));
		hdr(&e.h, IT_EV_IOCTL_GSI_ROUTE, sizeof(struct it_hdr), 0, VM, TID_A);
		e.gsi = 1;
		e.address_lo = (uint32_t)MSG_A_ADDR;
		e.data = MSG_A_DATA;
		it_model_event(m, &e.h);
	}
	{
		struct it_irte e;
		memset(&e, 0, sizeof(e));
		hdr(&e.h, IT_EV_IRTE_SNAP, sizeof(e) - 1, 0, 0, 0);
		it_model_event(m, &e.h);
	}
	ev_commit(m, VM, TID_A, 0, 1, 0);	/* commits an empty table */
	it_model_stats(m, &st);
	assert_int_equal(st.events, 6);
	assert_int_equal(st.unknown_events, 5);
	assert_int_equal(st.irqs, 0);
	assert_int_equal(st.first_ts, start + 1000);
	assert_int_equal(st.last_ts, now_ts);
	routes(m, &t);
	assert_int_equal(t.n, 0);
	free(t.r);
	free(vs.v);
	it_model_free(m);
}

static void test_pid_reuse(void **state)
{
	struct it_model *m = it_model_new();
	struct vms vs = { 0 };
	struct rt t = { 0 };
	const struct it_vm_info *vi;
	(void)state;

	ev_proc(m, VM, "qemu-system-x86", "alpha");
	vi = vm_info(m, &vs, VM);
	assert_non_null(vi);
	assert_string_equal(vi->name, "alpha");
	assert_false(vi->from_snapshot);
	/* the pid is reused by another VMM */
	ev_proc(m, VM, "qemu-kvm", "beta");
	vi = vm_info(m, &vs, VM);
	assert_int_equal(vs.n, 1);
	assert_string_equal(vi->name, "beta");
	{
		uint32_t g[] = { 1 };
		uint64_t a[] = { MSG_A_ADDR };
		uint32_t d[] = { MSG_A_DATA };
		table(m, VM, TID_A, 1, g, a, d, 0);
	}
	routes(m, &t);
	assert_string_equal(guest(&t, VM, 1)->owner_name, "beta");
	free(t.r);
	free(vs.v);
	it_model_free(m);
}

/* ------------------------------------------------------------ extra edge cases */

/*
 * An eventfd number reused without a KVM_IRQFD deassign: the old eventfd was
 * closed (KVM drops its irqfd on EPOLLHUP) and a new one got the number.  KVM
 * refuses a second irqfd on a live eventfd (-EBUSY), so a successful assign
 * of the same number means the old binding is gone.
 */
static void test_irqfd_reuse_after_close(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	struct vms vs = { 0 };
	(void)state;

	{
		uint32_t g[] = { 1, 2 };
		uint64_t a[] = { MSG_A_ADDR, MSG_B_ADDR };
		uint32_t d[] = { MSG_A_DATA, MSG_B_DATA };
		table(m, VM, TID_A, 2, g, a, d, 0);
	}
	ev_irqfd(m, VM, 30, 1, 0, 0);
	ev_irqfd(m, VM, 30, 2, 0, 0);	/* no deassign in between */
	routes(m, &t);
	assert_int_equal(guest(&t, VM, 2)->eventfd, 30);
	assert_int_equal(vm_info(m, &vs, VM)->irqfds, 1);
	assert_int_equal(guest(&t, VM, 1)->eventfd, -1);
	free(t.r);
	free(vs.v);
	it_model_free(m);
}

/* A route removed by one table and added back (same message) by a later one. */
static void test_route_readded(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	const struct it_route *r;
	uint32_t g[] = { 1 };
	uint64_t a[] = { MSG_A_ADDR };
	uint32_t d[] = { MSG_A_DATA };
	(void)state;

	table(m, VM, TID_A, 1, g, a, d, 0);
	table(m, VM, TID_A, 0, NULL, NULL, NULL, 0);	/* empty table */
	routes(m, &t);
	assert_null(guest(&t, VM, 1));
	table(m, VM, TID_A, 1, g, a, d, 0);
	routes(m, &t);
	r = guest(&t, VM, 1);
	assert_non_null(r);
	assert_int_equal(r->msi_address, MSG_A_ADDR);
	assert_string_equal(change(&r->changes, 0), "gsi 1 routed to 0xfee01000/0x31 (dest 1 vector 0x31)");
	assert_string_equal(change(&r->changes, 1), "gsi 1 route removed");
	/* the history must not end with "removed" while the route is live */
	assert_int_equal(r->changes.n, 3);
	assert_string_equal(last_change(&r->changes), "gsi 1 routed to 0xfee01000/0x31 (dest 1 vector 0x31)");
	free(t.r);
	it_model_free(m);
}

/* A freed and reallocated irq keeps nothing of the old one's IRTE/posting. */
static void test_realloc_no_stale_irte(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	const struct it_route *r;
	const uint8_t x2 = IT_IRTE_F_MODE_KNOWN | IT_IRTE_F_X2APIC;
	(void)state;

	ev_irq_name(m, 25, "vfio-msix[0](0000:00:03.0)");
	ev_msi_write(m, 25, 0, 3, 0, REMAPPABLE(16), 0);
	ev_irte(m, IT_EV_IRTE_SNAP, 16, x2, 0, 0, IRTE_LO(0x23, 1), IRTE_HI(0x18, 1));
	{
		struct it_kvm_pi_irte e;
		memset(&e, 0, sizeof(e));
		hdr(&e.h, IT_EV_KVM_PI_IRTE, sizeof(e), 0, VM, VM);
		e.host_irq = 25;
		e.vcpu_id = 0;
		e.gsi = 24;
		e.gvec = 0x31;
		e.set = 1;
		it_model_event(m, &e.h);
	}
	routes(m, &t);
	r = host(&t, 25);
	assert_true(r->posted);
	assert_non_null(r->irte);
	assert_string_equal(last_change(&r->changes),
			    "posted interrupt on (gsi 24, guest vector 0x31, vcpu 0)");

	ev_vector(m, IT_EV_VECTOR_TEARDOWN, 25, 0, 0, 0, 0, 0);
	ev_vector(m, IT_EV_VECTOR_SETUP, 25, 0, 0, 0, 0, 0);
	ev_irq_name(m, 25, "vfio-msix[1](0000:00:05.0)");
	routes(m, &t);
	r = host(&t, 25);
	assert_non_null(r);
	assert_string_equal(r->bdf, "0000:00:05.0");
	assert_int_equal(r->entry, 1);
	assert_false(r->posted);
	assert_null(r->irte);	/* no message written for the new irq yet */
	free(t.r);
	it_model_free(m);
}

/* A VM known from the start-up snapshot whose pid a new VMM reuses. */
static void test_pid_reuse_snapshot_vm(void **state)
{
	struct it_model *m = it_model_new();
	struct it_snapshot snap;
	struct it_vmm vmm;
	struct vms vs = { 0 };
	const struct it_vm_info *vi;
	char name[] = "old-vm";
	(void)state;

	memset(&snap, 0, sizeof(snap));
	memset(&vmm, 0, sizeof(vmm));
	vmm.pid = VM;
	snprintf(vmm.comm, sizeof(vmm.comm), "qemu-system-x86");
	vmm.name = name;
	vmm.nvms = 1;
	vmm.nvcpus = 2;
	snap.vmms = &vmm;
	snap.nvmms = 1;
	it_model_set_snapshot(m, &snap);
	vi = vm_info(m, &vs, VM);
	assert_non_null(vi);
	assert_true(vi->from_snapshot);
	assert_string_equal(vi->name, "old-vm");
	assert_int_equal(vi->vcpus, 2);

	ev_proc(m, VM, "qemu-kvm", "new-vm");
	vi = vm_info(m, &vs, VM);
	assert_int_equal(vs.n, 1);
	assert_string_equal(vi->name, "new-vm");
	free(vs.v);
	it_model_free(m);
}

/* ------------------------------------------------------------ trap and delivery paths */

static void ev_qemu(struct it_model *m, unsigned int type, int32_t virq, uint32_t vector, uint64_t address,
		    uint32_t data)
{
	struct it_qemu_route e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, type, sizeof(e), 0, VM, TID_A);
	e.virq = virq;
	e.vector = vector;
	e.address = address;
	e.data = data;
	it_model_event(m, &e.h);
}

static void ev_irq_entry(struct it_model *m, int irq)
{
	struct it_irq_entry e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IRQ_ENTRY, sizeof(e), 1, 0, 0);
	e.h.flags = IT_F_DATAPLANE | IT_F_IN_HARDIRQ;
	e.irq = irq;
	snprintf(e.name, sizeof(e.name), "vfio-msix[0](0000:00:03.0)");
	it_model_event(m, &e.h);
}

static void ev_irqfd_wakeup(struct it_model *m, uint32_t host_irq, uint32_t gsi, uint64_t address, uint32_t data)
{
	struct it_kvm_route e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_KVM_IRQFD_WAKEUP, sizeof(e), 1, 0, 0);
	e.h.flags = IT_F_DATAPLANE | IT_F_IN_HARDIRQ;
	e.gsi = gsi;
	e.type = KVM_IRQ_ROUTING_MSI;
	e.address_lo = (uint32_t)address;
	e.address_hi = (uint32_t)(address >> 32);
	e.data = data;
	e.host_irq = host_irq;
	e.key = 1;
	it_model_event(m, &e.h);
}

static void ev_inj_virq(struct it_model *m, uint32_t pid, uint32_t vector)
{
	struct it_kvm_apic e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_KVM_INJ_VIRQ, sizeof(e), 0, pid, pid + 1);
	e.h.flags = IT_F_DATAPLANE;
	e.vector = vector;
	it_model_event(m, &e.h);
}

/* A passed-through vector set up the way QEMU does it, then delivered:
 * the trap path (in order, one change), the VMM's own uprobe events in the
 * route's changes, and the delivery hops from the host handler's entry. */
static void test_trap_and_delivery(void **state)
{
	struct it_model *m = it_model_new();
	struct rt t = { 0 };
	const struct it_route *r;
	const int32_t fds[] = { 7 };
	const uint8_t x2 = IT_IRTE_F_MODE_KNOWN | IT_IRTE_F_X2APIC;
	uint32_t g[] = { 24 };
	uint64_t a[] = { MSG_A_ADDR };
	uint32_t d[] = { MSG_A_DATA };
	(void)state;

	ev_proc(m, VM, "qemu-system-x86", "l2vm");
	ev_get_device_fd(m, VM, 20, "0000:00:03.0");
	ev_msi_write(m, 25, 0, 3, 0, REMAPPABLE(16), 0);	/* vector allocated, entry masked */
	ev_qemu(m, IT_EV_QEMU_ADD_MSI_ROUTE, 24, 0, 0, 0);
	ev_qemu(m, IT_EV_QEMU_COMMIT_ROUTES, 0, 0, 0, 0);
	table(m, VM, TID_A, 1, g, a, d, 0);
	uint64_t t_route = now_ts;
	ev_irqfd(m, VM, 7, 24, 0, 0);
	ev_set_irqs(m, VM, 20, IT_VFIO_IRQ_INDEX_MSIX, 0, 1, fds, 0);
	ev_irte(m, IT_EV_IRTE_WRITE, 16, x2 | IT_IRTE_F_OLD, 0, 0, IRTE_LO(0x23, 1), IRTE_HI(0x18, 1));
	ev_msi_write(m, 25, 0, 3, 0, REMAPPABLE(16), 0);
	uint64_t t_msi = now_ts;
	/* one interrupt: handler entry, irqfd, KVM injection, vCPU injection */
	ev_irq_entry(m, 25);
	uint64_t t_entry = now_ts;
	ev_irqfd_wakeup(m, 25, 24, MSG_A_ADDR, MSG_A_DATA);
	ev_kvm_msi(m, 0, MSG_A_ADDR, MSG_A_DATA, 25);	/* since_irq 2000 */
	ev_inj_virq(m, VM, MSG_A_DATA);
	uint64_t t_inj = now_ts;

	routes(m, &t);
	r = guest(&t, VM, 24);
	assert_non_null(r);
	assert_int_equal(r->host_irq, 25);
	assert_int_equal(r->ntrap, IT_TRAP_STEPS);
	assert_string_equal(r->trap[0].what, "KVM_SET_GSI_ROUTING");
	assert_int_equal(r->trap[0].ts, t_route);
	assert_string_equal(r->trap[1].what, "KVM_IRQFD");
	assert_string_equal(r->trap[2].what, "VFIO_DEVICE_SET_IRQS");
	assert_string_equal(r->trap[3].what, "IRTE write");
	assert_string_equal(r->trap[4].what, "MSI write");
	assert_int_equal(r->trap[4].ts, t_msi);
	for (int i = 0; i < IT_TRAP_STEPS - 1; i++)
		assert_true(r->trap[i].ts && r->trap[i].ts < r->trap[i + 1].ts);
	assert_true(has_change(&r->changes,
			       "trap path msix[0]: GSI_ROUTING, IRQFD +1.0us, SET_IRQS +1.0us, IRTE +1.0us, MSI +1.0us"));
	assert_true(has_change(&r->changes, "QEMU kvm_irqchip_add_msi_route: device vector 0 -> gsi 24"));
	assert_int_equal(it_hist_total(&r->hop_irqfd), 1);
	assert_int_equal(it_hist_total(&r->hop_vcpu), 1);
	assert_true(it_hist_quantile(&r->hop_vcpu, 1.0) >= (double)(t_inj - t_entry) / 2);
	assert_true(host(&t, 25)->remapped);

	/* the guest reprograms the entry: QEMU's update joins the route's changes */
	ev_qemu(m, IT_EV_QEMU_UPDATE_MSI_ROUTE, 24, 0, MSG_B_ADDR, MSG_B_DATA);
	routes(m, &t);
	assert_true(has_change(&guest(&t, VM, 24)->changes,
			       "QEMU kvm_irqchip_update_msi_route: gsi 24 -> 0xfee02000/0x41 (dest 2 vector 0x41)"));
	free(t.r);
	it_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsi_routing),
		cmocka_unit_test(test_interleaved_tables),
		cmocka_unit_test(test_irqfd),
		cmocka_unit_test(test_injection_counts),
		cmocka_unit_test(test_aggregates),
		cmocka_unit_test(test_reset_event_counts),
		cmocka_unit_test(test_vfio_join),
		cmocka_unit_test(test_host_vectors),
		cmocka_unit_test(test_irte_join),
		cmocka_unit_test(test_irte_join_order),
		cmocka_unit_test(test_irte_join_amd),
		cmocka_unit_test(test_robustness),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_irqfd_reuse_after_close),
		cmocka_unit_test(test_route_readded),
		cmocka_unit_test(test_realloc_no_stale_irte),
		cmocka_unit_test(test_pid_reuse_snapshot_vm),
		cmocka_unit_test(test_trap_and_delivery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
