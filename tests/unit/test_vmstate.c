// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the VM state join (src/vmstate.c): records as the BPF
 * task_file iterator writes them (in any order, several processes, eventfds
 * held or closed) turned into ioctl records, fed to the routing model; the
 * route table must list each VM's MSI routes with origin "iterator", the
 * message decoded, and each irqfd's eventfd named by the VMM's own fd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "decode.h"
#include "format.h"
#include "json.h"
#include "model.h"
#include "vmstate.h"

#define VMM 3100
#define OTHER 3200
#define KVM1 0xffff888001000000ull
#define KVM2 0xffff888002000000ull
#define KVM_GONE 0xffff888003000000ull
#define CTX_A 0xffff888010000000ull
#define CTX_B 0xffff888010000100ull
#define CTX_C 0xffff888010000200ull
#define CTX_D 0xffff888010000300ull
#define TS 5000000000ull

static struct it_iter_rec rec(uint32_t kind, uint32_t pid, uint32_t fd, uint64_t kvm)
{
	struct it_iter_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.pid = pid;
	r.fd = fd;
	r.kvm = kvm;
	return r;
}

static struct it_iter_rec route(uint32_t pid, uint64_t kvm, uint32_t gsi, uint32_t lo, uint32_t data)
{
	struct it_iter_rec r = rec(IT_ITER_ROUTE, pid, 9, kvm);

	r.gsi = gsi;
	r.type = 2;	/* KVM_IRQ_ROUTING_MSI */
	r.address_lo = lo;
	r.data = data;
	return r;
}

static struct it_iter_rec irqfd(uint32_t pid, uint64_t kvm, uint32_t gsi, uint64_t ctx)
{
	struct it_iter_rec r = rec(IT_ITER_IRQFD, pid, 9, kvm);

	r.gsi = gsi;
	r.ctx = ctx;
	return r;
}

static struct it_iter_rec eventfd(uint32_t pid, uint32_t fd, uint64_t ctx)
{
	struct it_iter_rec r = rec(IT_ITER_EVENTFD, pid, fd, 0);

	r.ctx = ctx;
	return r;
}

static struct it_iter_rec vm(uint32_t pid, uint32_t fd, uint64_t kvm, uint32_t nr)
{
	struct it_iter_rec r = rec(IT_ITER_VM, pid, fd, kvm);

	r.nr = nr;
	snprintf(r.comm, sizeof(r.comm), "vmm");
	return r;
}

struct sink {
	struct it_model *m;
	size_t n, bad, snapshot_flagged;
	struct it_json j;
};

static int to_model(void *ctx, const struct it_hdr *h)
{
	struct sink *s = ctx;

	s->n++;
	if (it_event_check(h, h->len))
		s->bad++;
	if (h->flags & IT_F_SNAPSHOT)
		s->snapshot_flagged++;
	jw_reset(&s->j);
	it_event_json(&s->j, h);
	assert_non_null(strstr(s->j.buf, "\"origin\":\"iterator\""));
	it_model_event(s->m, h);
	return 0;
}

static const struct it_route *guest(const struct it_route *rs, size_t n, int pid, int gsi)
{
	for (size_t i = 0; i < n; i++)
		if (rs[i].rk == IT_ROUTE_GUEST && rs[i].vm_pid == pid && rs[i].gsi == gsi)
			return &rs[i];
	return NULL;
}

static bool history_has(const struct it_route *r, const char *what)
{
	for (size_t i = 0; i < r->changes.n; i++)
		if (strstr(r->changes.c[(r->changes.start + i) % IT_ROUTE_CHANGES].what, what))
			return true;
	return false;
}

/* the route row carries the message the iterator read, decoded like any other */
static void assert_msg(const struct it_route *r, uint32_t lo, uint32_t data)
{
	struct it_msi_decoded d;

	it_msi_decode(lo, data, &d);
	assert_int_equal(r->msi_address, lo);
	assert_int_equal(r->msi_data, data);
	assert_int_equal(r->dest, d.dest);
	assert_int_equal(r->guest_vector, d.vector);
}

static void test_join(void **state)
{
	(void)state;
	/* the kernel's order: files by fd, so eventfds may come before or after the VM */
	struct it_iter_rec in[] = {
		eventfd(VMM, 6, CTX_A),
		route(VMM, KVM1, 40, 0xfee00000, 0x41),
		route(VMM, KVM1, 41, 0xfee01000, 0x52),
		irqfd(VMM, KVM1, 40, CTX_A),
		irqfd(VMM, KVM1, 41, CTX_B),
		irqfd(VMM, KVM1, 42, CTX_C),	/* the VMM closed its fd; another process holds it */
		route(VMM, KVM1, 42, 0xfee01000, 0xc063),
		vm(VMM, 4, KVM1, 5),
		eventfd(VMM, 7, CTX_B),
		eventfd(OTHER, 6, CTX_C),
		route(VMM, KVM_GONE, 50, 0xfee00000, 0x60),	/* its VM record is missing */
	};
	struct sink s = { .m = it_model_new() };
	struct it_vmstate_counts c;
	struct it_route *rs;
	size_t n;

	jw_init(&s.j);
	assert_non_null(s.m);
	int r = it_vmstate_emit(in, sizeof(in) / sizeof(in[0]), TS, to_model, &s, &c);
	assert_int_equal(r, (int)s.n);
	assert_int_equal(s.n, 3 + 1 + 3);	/* routes, commit, irqfds */
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.snapshot_flagged, s.n);
	assert_int_equal(c.vms, 1);
	assert_int_equal(c.procs, 1);
	assert_int_equal(c.routes, 3);
	assert_int_equal(c.entries, 5);
	assert_int_equal(c.irqfds, 3);
	assert_int_equal(c.irqfds_unnamed, 1);
	assert_int_equal(c.bad, 1);

	assert_int_equal(it_model_routes(s.m, &rs, &n), 0);
	const struct it_route *g40 = guest(rs, n, VMM, 40), *g41 = guest(rs, n, VMM, 41), *g42 = guest(rs, n, VMM, 42);
	assert_non_null(g40);
	assert_non_null(g41);
	assert_non_null(g42);
	assert_null(guest(rs, n, VMM, 50));
	assert_string_equal(g40->source, "iterator");
	assert_string_equal(g42->source, "iterator");
	assert_msg(g40, 0xfee00000, 0x41);
	assert_msg(g41, 0xfee01000, 0x52);
	assert_msg(g42, 0xfee01000, 0xc063);
	assert_string_equal(g42->trigger, "level");
	assert_int_equal(g40->eventfd, 6);
	assert_int_equal(g41->eventfd, 7);
	assert_int_equal(g42->eventfd, -1);	/* not the other process's fd 6 */
	assert_true(history_has(g40, "read at start"));
	assert_true(history_has(g42, "closed by the VMM"));
	free(rs);

	/* a later KVM_SET_GSI_ROUTING seen live: gsi 41 moves, its origin is the ioctl now */
	struct it_ioctl_gsi_route e;
	struct it_ioctl_gsi_routing t;
	uint32_t gsis[] = { 40, 41, 42 }, lo[] = { 0xfee00000, 0xfee02000, 0xfee01000 }, da[] = { 0x41, 0x77, 0xc063 };
	for (uint32_t i = 0; i < 3; i++) {
		memset(&e, 0, sizeof(e));
		e.h = (struct it_hdr){ .ts = TS + 1000 + i, .type = IT_EV_IOCTL_GSI_ROUTE, .version = 1, .len = sizeof(e),
				       .pid = VMM, .tid = VMM + 1 };
		e.index = i;
		e.gsi = gsis[i];
		e.type = 2;
		e.address_lo = lo[i];
		e.data = da[i];
		e.nr = 3;
		it_model_event(s.m, &e.h);
	}
	memset(&t, 0, sizeof(t));
	t.h = (struct it_hdr){ .ts = TS + 2000, .type = IT_EV_IOCTL_GSI_ROUTING, .version = 1, .len = sizeof(t),
			       .pid = VMM, .tid = VMM + 1 };
	t.nr = t.nr_msi = 3;
	it_model_event(s.m, &t.h);
	assert_int_equal(it_model_routes(s.m, &rs, &n), 0);
	g40 = guest(rs, n, VMM, 40);
	g41 = guest(rs, n, VMM, 41);
	assert_non_null(g40);
	assert_non_null(g41);
	assert_string_equal(g40->source, "ioctl");	/* re-installed while observed */
	assert_string_equal(g41->source, "ioctl");
	assert_msg(g41, 0xfee02000, 0x77);
	assert_true(history_has(g41, "read at start"));
	assert_true(history_has(g41, "0xfee01000/0x52 (dest 1 vector 0x52) -> 0xfee02000/0x77"));
	assert_int_equal(g41->eventfd, 7);
	free(rs);
	jw_free(&s.j);
	it_model_free(s.m);
}

/* Two VMs in one process merge (the model keys VMs by process); irqfds with
 * closed eventfds do not displace each other as an fd reuse would. */
static void test_two_vms_closed_eventfds(void **state)
{
	(void)state;
	struct it_iter_rec in[] = {
		vm(VMM, 4, KVM1, 1), route(VMM, KVM1, 30, 0xfee00000, 0x30), irqfd(VMM, KVM1, 30, CTX_A),
		vm(VMM, 5, KVM2, 1), route(VMM, KVM2, 31, 0xfee00000, 0x31), irqfd(VMM, KVM2, 31, CTX_D),
		vm(OTHER, 4, KVM_GONE, 0),
	};
	struct sink s = { .m = it_model_new() };
	struct it_vmstate_counts c;
	struct it_vm_info *vs;
	struct it_route *rs;
	size_t n;

	jw_init(&s.j);
	assert_int_equal(it_vmstate_emit(in, sizeof(in) / sizeof(in[0]), TS, to_model, &s, &c), 2 + 1 + 2 + 1);
	assert_int_equal(c.vms, 3);
	assert_int_equal(c.procs, 2);
	assert_int_equal(c.irqfds_unnamed, 2);
	assert_int_equal(it_model_routes(s.m, &rs, &n), 0);
	assert_non_null(guest(rs, n, VMM, 30));
	assert_non_null(guest(rs, n, VMM, 31));
	free(rs);
	assert_int_equal(it_model_vms(s.m, &vs, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (vs[i].pid == VMM) {
			assert_int_equal(vs[i].routes, 2);
			assert_int_equal(vs[i].irqfds, 2);
		}
	free(vs);
	jw_free(&s.j);
	it_model_free(s.m);
}

static int stop_at_2(void *ctx, const struct it_hdr *h)
{
	(void)h;
	return ++*(int *)ctx == 2 ? -7 : 0;
}

/* A VMM that sets up its irqfds between attach and the read at start is seen
 * twice, by the KVM_IRQFD event and by the read: one binding, in either
 * order, and never an "eventfd closed and its number reused". */
static void irqfd_rec(struct it_model *m, uint64_t ts, uint8_t flags, uint32_t efd, uint32_t gsi)
{
	struct it_ioctl_irqfd e;

	memset(&e, 0, sizeof(e));
	e.h = (struct it_hdr){ .ts = ts, .type = IT_EV_IOCTL_IRQFD, .version = 1, .len = sizeof(e),
			       .flags = flags, .pid = VMM, .tid = VMM };
	e.efd = efd;
	e.gsi = gsi;
	it_model_event(m, &e.h);
}

static void test_irqfd_seen_twice(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++) {
		struct it_model *m = it_model_new();
		struct it_change ch[64];
		size_t n, found = 0, bound = 0;

		assert_non_null(m);
		irqfd_rec(m, TS, order ? IT_F_SNAPSHOT : 0, 7, 24);
		irqfd_rec(m, TS + 10, order ? 0 : IT_F_SNAPSHOT, 7, 24);
		/* a real reuse still reads as one: eventfd 7 now feeds gsi 25 */
		irqfd_rec(m, TS + 20, 0, 7, 25);
		n = it_model_recent_changes(m, ch, 64);
		for (size_t i = 0; i < n; i++) {
			found += strstr(ch[i].what, "number reused") != NULL;
			bound += strstr(ch[i].what, "eventfd 7 bound to gsi 24") != NULL;
		}
		assert_int_equal(bound, 1);
		assert_int_equal(found, 1);
		it_model_free(m);
	}
}

static void test_callback_stops(void **state)
{
	(void)state;
	struct it_iter_rec in[] = { vm(VMM, 4, KVM1, 3), route(VMM, KVM1, 1, 0xfee00000, 0x30),
				    route(VMM, KVM1, 2, 0xfee00000, 0x31), route(VMM, KVM1, 3, 0xfee00000, 0x32) };
	struct it_vmstate_counts c;
	int calls = 0;

	assert_int_equal(it_vmstate_emit(in, 4, TS, stop_at_2, &calls, &c), -7);
	assert_int_equal(calls, 2);
	/* nothing at all: no records, no VMs */
	assert_int_equal(it_vmstate_emit(in, 0, TS, stop_at_2, &calls, &c), 0);
	assert_int_equal(c.vms, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_two_vms_closed_eventfds),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_irqfd_seen_twice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
