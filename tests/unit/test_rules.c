// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the rules engine (src/rules.c) and the rules file
 * (src/rules_conf.c).  Every rule gets a synthetic stream of struct it_hdr
 * records (fed to the model and the engine, as a session does) or a fake
 * snapshot that triggers it, and a near miss that must not; rules whose
 * hooks are missing must report themselves inactive and raise nothing.
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
#include <unistd.h>
#include <cmocka.h>
#include "model.h"
#include "rules.h"

#define SEC 1000000000ull
#define T0 (100 * SEC)
#define VM 4242
#define VM2 5151
#define ALL_HOPS 0xffffu

/* ------------------------------------------------------------ fixture */

struct fx {
	struct it_model *m;
	struct it_rules *r;
	struct it_rules_conf conf;
	struct it_rules_env env;
	struct it_snapshot *snap;
	unsigned int raised[IT_RULE_MAX + 1], cleared[IT_RULE_MAX + 1];
	uint32_t tid;
};

static void on_finding(void *ctx, const struct it_finding *f, bool raised, uint64_t ts)
{
	struct fx *x = ctx;

	(void)ts;
	assert_true(f->rule >= 1 && f->rule <= IT_RULE_MAX);
	assert_true(f->msg[0]);
	if (raised)
		x->raised[f->rule]++;
	else
		x->cleared[f->rule]++;
}

static struct fx *fx_new_conf(const struct it_rules_conf *c, unsigned int hops, const struct it_snapshot *snap)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->m = it_model_new();
	assert_non_null(x->m);
	if (c)
		x->conf = *c;
	else
		it_rules_conf_default(&x->conf);
	x->r = it_rules_new(&x->conf);
	assert_non_null(x->r);
	if (snap)
		it_model_set_snapshot(x->m, snap);
	x->env.hops = hops;
	x->env.have_agg = true;
	x->env.snap = snap;
	it_rules_set_env(x->r, &x->env);
	it_rules_set_cb(x->r, on_finding, x);
	it_rules_set_start(x->r, T0);
	it_model_set_window(x->m, T0, 0);
	x->tid = 1000;
	return x;
}

static struct fx *fx_new(unsigned int hops)
{
	return fx_new_conf(NULL, hops, NULL);
}

static void fx_free(struct fx *x)
{
	it_rules_free(x->r);
	it_model_free(x->m);
	it_rules_conf_free(&x->conf);	/* the fixture owns the configuration */
	free(x);
}

static void feed(struct fx *x, struct it_hdr *h)
{
	it_model_event(x->m, h);
	it_rules_event(x->r, h);
}

static int eval(struct fx *x, uint64_t now)
{
	it_model_set_window(x->m, T0, now);
	int n = it_rules_eval(x->r, x->m, now);
	assert_true(n >= 0);
	return n;
}

/* active findings of a rule */
static unsigned int active(struct fx *x, int rule)
{
	const struct it_finding *f;
	size_t n = it_rules_findings(x->r, &f);
	unsigned int k = 0;

	for (size_t i = 0; i < n; i++)
		k += f[i].rule == rule && f[i].active;
	return k;
}

static const struct it_finding *finding(struct fx *x, int rule)
{
	const struct it_finding *f;
	size_t n = it_rules_findings(x->r, &f);

	for (size_t i = 0; i < n; i++)
		if (f[i].rule == rule)
			return &f[i];
	return NULL;
}

static unsigned int total_raised(struct fx *x)
{
	unsigned int n = 0;

	for (int i = 1; i <= IT_RULE_MAX; i++)
		n += x->raised[i];
	return n;
}

/* ------------------------------------------------------------ records */

static void hdr(struct it_hdr *h, unsigned int type, size_t len, uint64_t ts, uint32_t pid)
{
	memset(h, 0, len);
	h->ts = ts;
	h->type = (uint8_t)type;
	h->version = 1;
	h->len = (uint16_t)len;
	h->pid = pid;
	h->tid = pid;
}

static void ev_create_vm(struct fx *x, int pid, uint64_t ts)
{
	struct it_ioctl_simple e;

	hdr(&e.h, IT_EV_IOCTL_CREATE_VM, sizeof(e), ts, (uint32_t)pid);
	e.c.ret = 5;
	feed(x, &e.h);
}

static void ev_create_vcpu(struct fx *x, int pid, uint32_t id, uint64_t ts)
{
	struct it_ioctl_simple e;

	hdr(&e.h, IT_EV_IOCTL_CREATE_VCPU, sizeof(e), ts, (uint32_t)pid);
	e.arg = id;
	e.c.ret = 10 + id;
	feed(x, &e.h);
}

struct rt {
	uint32_t gsi;
	uint64_t address;
	uint32_t data;
};

static void ev_routing(struct fx *x, int pid, const struct rt *e, uint32_t n, uint32_t nonmsi, long long ret,
		       uint64_t ts)
{
	struct it_ioctl_gsi_route r;
	struct it_ioctl_gsi_routing t;
	uint32_t tid = ++x->tid;

	for (uint32_t i = 0; i < n; i++) {
		hdr(&r.h, IT_EV_IOCTL_GSI_ROUTE, sizeof(r), ts, (uint32_t)pid);
		r.h.tid = tid;
		r.c.ret = ret;
		r.index = i;
		r.gsi = e[i].gsi;
		r.type = 2;
		r.address_lo = (uint32_t)e[i].address;
		r.address_hi = (uint32_t)(e[i].address >> 32);
		r.data = e[i].data;
		feed(x, &r.h);
	}
	hdr(&t.h, IT_EV_IOCTL_GSI_ROUTING, sizeof(t), ts, (uint32_t)pid);
	t.h.tid = tid;
	t.c.ret = ret;
	t.nr = n + nonmsi;
	t.nr_msi = n;
	feed(x, &t.h);
}

static void ev_irqfd(struct fx *x, int pid, uint32_t efd, uint32_t gsi, uint32_t flags, long long ret, uint64_t ts)
{
	struct it_ioctl_irqfd e;

	hdr(&e.h, IT_EV_IOCTL_IRQFD, sizeof(e), ts, (uint32_t)pid);
	e.efd = efd;
	e.gsi = gsi;
	e.flags = flags;
	e.c.ret = ret;
	feed(x, &e.h);
}

static void ev_device_fd(struct fx *x, int pid, int fd, const char *bdf, uint64_t ts)
{
	struct it_ioctl_get_device_fd e;

	hdr(&e.h, IT_EV_IOCTL_GET_DEVICE_FD, sizeof(e), ts, (uint32_t)pid);
	e.c.ret = fd;
	snprintf(e.name, sizeof(e.name), "%s", bdf);
	feed(x, &e.h);
}

static void ev_set_irqs(struct fx *x, int pid, int fd, uint32_t index, uint32_t start, const int *fds, uint32_t n,
			long long ret, uint64_t ts)
{
	struct it_ioctl_set_irqs e;

	hdr(&e.h, IT_EV_IOCTL_SET_IRQS, sizeof(e), ts, (uint32_t)pid);
	e.c.fd = (uint32_t)fd;
	e.c.ret = ret;
	e.flags = (1u << 2) | (1u << 5);	/* DATA_EVENTFD | ACTION_TRIGGER */
	e.index = index;
	e.start = start;
	e.count = n;
	e.nfds = n;
	for (uint32_t i = 0; i < n; i++)
		e.fds[i] = fds[i];
	feed(x, &e.h);
}

static void ev_irq_name(struct fx *x, int irq, const char *name, uint64_t ts)
{
	struct it_irq_entry e;

	hdr(&e.h, IT_EV_IRQ_NAME, sizeof(e), ts, 0);
	e.irq = irq;
	snprintf(e.name, sizeof(e.name), "%s", name);
	feed(x, &e.h);
}

static void ev_irq_exit(struct fx *x, int irq, int ret, uint64_t ts)
{
	struct it_irq_exit e;

	hdr(&e.h, IT_EV_IRQ_EXIT, sizeof(e), ts, 0);
	e.h.flags = IT_F_DATAPLANE;
	e.irq = irq;
	e.ret = ret;
	e.duration = 1000;
	feed(x, &e.h);
}

static void ev_vector(struct fx *x, unsigned int type, uint32_t irq, uint32_t cpu, uint32_t vector, int ret,
		      uint64_t ts)
{
	struct it_vector e;

	hdr(&e.h, type, sizeof(e), ts, 0);
	e.irq = irq;
	e.cpu = cpu;
	e.vector = vector;
	e.apicdest = cpu;
	e.ret = ret;
	feed(x, &e.h);
}

static void ev_pi(struct fx *x, uint32_t host_irq, bool set, uint64_t ts)
{
	struct it_kvm_pi_irte e;

	hdr(&e.h, IT_EV_KVM_PI_IRTE, sizeof(e), ts, VM);
	e.host_irq = host_irq;
	e.set = set;
	e.gsi = 40;
	e.gvec = 0x41;
	e.vcpu_id = set ? 0 : -1;
	feed(x, &e.h);
}

static void ev_matrix(struct fx *x, uint32_t cpu, uint32_t available, bool online, uint64_t ts)
{
	struct it_matrix e;

	hdr(&e.h, IT_EV_MATRIX_ALLOC, sizeof(e), ts, 0);
	e.cpu = cpu;
	e.available = available;
	e.online = online;
	e.bit = 0x40;
	feed(x, &e.h);
}

static void ev_hypercall(struct fx *x, unsigned int type, int pid, uint64_t nr, int64_t ret, uint64_t ts)
{
	struct it_hypercall e;

	hdr(&e.h, type, sizeof(e), ts, (uint32_t)pid);
	e.h.flags = IT_F_DATAPLANE;
	e.nr = nr;
	e.ret = ret;
	feed(x, &e.h);
}

/* a VM holding a VFIO device whose MSI-X entry 0 is host irq `irq` */
static void vm_with_device(struct fx *x, int pid, const char *bdf, int irq, uint64_t ts)
{
	char name[40];

	ev_create_vm(x, pid, ts);
	ev_device_fd(x, pid, 20, bdf, ts);
	snprintf(name, sizeof(name), "vfio-msix[0](%s)", bdf);
	ev_irq_name(x, irq, name, ts);
}

/* one aggregate frame: host irq counts and guest injection counts (cumulative) */
static void agg(struct fx *x, uint64_t ts, int irq, uint64_t irq_count, int pid, uint64_t msi_count)
{
	struct it_agg_frame f = { .ts = ts };
	struct it_agg_irq ai = { 0 };
	struct it_agg_msi am = { 0 };

	if (irq >= 0) {
		ai.irq = (uint32_t)irq;
		ai.st.count = irq_count;
		ai.st.hist.slots[10] = irq_count;
		f.irq = &ai;
		f.nirq = 1;
	}
	if (pid > 0) {
		am.k.address = 0xfee00000;
		am.k.data = 0x41;
		am.k.pid = (uint32_t)pid;
		am.st.count = msi_count;
		f.msi = &am;
		f.nmsi = 1;
	}
	it_model_agg(x->m, &f);
	it_rules_agg(x->r, &f);
}

/* ------------------------------------------------------------ fake snapshots */

static struct it_snapshot *snap_new(void)
{
	struct it_snapshot *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->ir.src.known = true;
	s->ir.mode = IT_IR_NONE;
	s->interrupts_src.known = true;
	s->cpus.isolated_src.known = true;
	s->cpus.nohz_full_src.known = true;
	s->vmm_src.known = true;
	return s;
}

static struct it_irq *snap_add_irq(struct it_snapshot *s, int irq, enum it_irq_kind kind, bool remapped,
				   const char *bdf, const char *chip)
{
	s->irqs = realloc(s->irqs, (s->nirqs + 1) * sizeof(*s->irqs));
	assert_non_null(s->irqs);
	struct it_irq *q = &s->irqs[s->nirqs++];
	memset(q, 0, sizeof(*q));
	q->irq = irq;
	q->kind = kind;
	q->remapped = remapped;
	q->chip = strdup(chip);
	q->handler = strdup("eth0");
	q->msi_entry = 0;
	q->vfio_entry = -1;
	snprintf(q->bdf, sizeof(q->bdf), "%s", bdf);
	return q;
}

static void snap_add_irte(struct it_snapshot *s, const char *sid_bdf, uint32_t index, uint8_t svt)
{
	s->irte.src.known = true;
	s->irte.fmt = IT_IRTE_FMT_INTEL;
	s->irte.e = realloc(s->irte.e, (s->irte.n + 1) * sizeof(*s->irte.e));
	assert_non_null(s->irte.e);
	struct it_snap_irte *e = &s->irte.e[s->irte.n++];
	memset(e, 0, sizeof(*e));
	e->fmt = IT_IRTE_FMT_INTEL;
	snprintf(e->iommu, sizeof(e->iommu), "dmar0");
	e->index = index;
	snprintf(e->sid_bdf, sizeof(e->sid_bdf), "%s", sid_bdf);
	e->present = true;
	e->svt = svt;
	e->sq = 0;
	e->vector = 0x22;
}

static void snap_free(struct it_snapshot *s)
{
	for (size_t i = 0; i < s->nirqs; i++) {
		free(s->irqs[i].chip);
		free(s->irqs[i].handler);
	}
	free(s->irqs);
	free(s->irte.e);
	it_cpumask_free(&s->cpus.isolated);
	it_cpumask_free(&s->cpus.nohz_full);
	for (size_t i = 0; i < s->nvmms; i++) {
		for (size_t k = 0; k < s->vmms[i].nfds; k++)
			free(s->vmms[i].fds[k].group_bdfs);
		free(s->vmms[i].fds);
	}
	free(s->vmms);
	free(s);
}

/* ------------------------------------------------------------ catalogue */

static void test_catalogue(void **state)
{
	(void)state;
	for (int i = 1; i <= IT_RULE_MAX; i++) {
		const struct it_rule_info *ri = it_rule_info(i);
		char code[16];

		snprintf(code, sizeof(code), "IRT%03d", i);
		if (!it_rule_exists(i)) {	/* unassigned numbers */
			assert_null(ri);
			assert_int_equal(it_rule_lookup(code), -1);
			continue;
		}
		assert_non_null(ri);
		assert_int_equal(ri->id, i);
		snprintf(code, sizeof(code), "IRT%03d", i);
		assert_string_equal(ri->code, code);
		assert_int_equal(it_rule_lookup(ri->code), i);
		assert_int_equal(it_rule_lookup(ri->name), i);
		assert_true(ri->severity <= IT_SEV_CRITICAL);
	}
	assert_null(it_rule_info(0));
	assert_null(it_rule_info(IT_RULE_MAX + 1));
	assert_int_equal(it_rule_lookup("irt8"), 8);
	assert_int_equal(it_rule_lookup("IRT018"), -1);
	assert_int_equal(it_rule_lookup("storm"), -1);
	assert_int_equal(it_rule_lookup(""), -1);
	assert_int_equal(it_hop_bit("vmm-ioctl"), IT_HOPB_VMM_IOCTL);
	assert_int_equal(it_hop_bit("no-such-hop"), 0);
	assert_int_equal(it_severity_parse("critical"), IT_SEV_CRITICAL);
	assert_int_equal(it_severity_parse("bad"), -1);
	/* isolation breaches are critical, delivery problems warnings */
	assert_int_equal(it_rule_info(IT_RULE_IRTE_NO_SVT)->severity, IT_SEV_CRITICAL);
	assert_int_equal(it_rule_info(IT_RULE_SHARED_VECTOR)->severity, IT_SEV_CRITICAL);
	assert_int_equal(it_rule_info(IT_RULE_STORM)->severity, IT_SEV_WARNING);
}

/* ------------------------------------------------------------ guest routes: IRT011..IRT013 */

static void test_reserved_vector(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct rt bad[] = { { 60, 0xfee00000, 0x0005 } };
	struct rt ok[] = { { 61, 0xfee00000, 0x0010 } };
	struct rt nmi[] = { { 62, 0xfee00000, 0x0402 } };	/* NMI delivery: the vector is ignored */

	(void)state;
	ev_create_vm(x, VM, T0);
	ev_create_vcpu(x, VM, 0, T0);
	ev_routing(x, VM, ok, 1, 0, 0, T0 + 1);
	ev_routing(x, VM2, nmi, 1, 0, 0, T0 + 1);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_RESERVED_VECTOR), 0);	/* near miss: 0x10 */
	ev_routing(x, VM, bad, 1, 0, 0, T0 + 2 * SEC);
	eval(x, T0 + 3 * SEC);
	assert_int_equal(active(x, IT_RULE_RESERVED_VECTOR), 1);
	const struct it_finding *f = finding(x, IT_RULE_RESERVED_VECTOR);
	assert_int_equal(f->gsi, 60);
	assert_int_equal(f->vm_pid, VM);
	assert_non_null(strstr(f->msg, "VM pid 4242 gsi 60: "));	/* no name known: the pid once */
	assert_non_null(strstr(f->msg, "0x5"));
	assert_int_equal(f->severity, IT_SEV_WARNING);
	/* the route is fixed: the finding clears */
	ev_routing(x, VM, ok, 1, 0, 0, T0 + 4 * SEC);
	eval(x, T0 + 5 * SEC);
	assert_int_equal(active(x, IT_RULE_RESERVED_VECTOR), 0);
	assert_int_equal(x->cleared[IT_RULE_RESERVED_VECTOR], 1);
	assert_int_equal(x->raised[IT_RULE_RESERVED_VECTOR], 1);
	fx_free(x);
}

static void test_bad_destination(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct rt routes[] = {
		{ 60, 0xfee01000, 0x31 },	/* APIC 1: a vCPU */
		{ 61, 0xfee05000, 0x32 },	/* APIC 5: none */
		{ 62, 0xfeeff000, 0x33 },	/* broadcast */
		{ 63, 0xfee0500c, 0x34 },	/* logical mode: a mask, not judged */
	};

	(void)state;
	ev_create_vm(x, VM, T0);
	ev_create_vcpu(x, VM, 0, T0);
	ev_create_vcpu(x, VM, 1, T0);
	ev_routing(x, VM, routes, 4, 0, 0, T0 + 1);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_BAD_DEST), 1);
	const struct it_finding *f = finding(x, IT_RULE_BAD_DEST);
	assert_int_equal(f->gsi, 61);
	assert_non_null(strstr(f->msg, "APIC id 5"));
	assert_non_null(strstr(f->msg, "2 vCPUs"));
	/* a VM whose vCPUs are unknown is not judged */
	ev_routing(x, VM2, routes + 1, 1, 0, 0, T0 + 2 * SEC);
	eval(x, T0 + 3 * SEC);
	assert_int_equal(active(x, IT_RULE_BAD_DEST), 1);
	/* a vCPU 5 appears: the destination is now valid */
	ev_create_vcpu(x, VM, 5, T0 + 4 * SEC);
	eval(x, T0 + 5 * SEC);
	assert_int_equal(active(x, IT_RULE_BAD_DEST), 0);
	fx_free(x);
}

static void test_bad_address(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct rt ok[] = { { 60, 0xfee00000, 0x31 }, { 61, 0x1fee01000ull, 0x31 } };	/* hi bits: x2APIC ids */
	struct rt bad[] = { { 62, 0x12345000, 0x32 } };

	(void)state;
	ev_create_vm(x, VM, T0);
	ev_create_vcpu(x, VM, 0, T0);
	ev_routing(x, VM, ok, 2, 0, 0, T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_BAD_ADDRESS), 0);
	ev_routing(x, VM, bad, 1, 0, 0, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_BAD_ADDRESS), 1);
	assert_non_null(strstr(finding(x, IT_RULE_BAD_ADDRESS)->msg, "0x12345000"));
	/* nothing else is concluded from a message outside the window */
	assert_int_equal(active(x, IT_RULE_BAD_DEST), 0);
	assert_int_equal(active(x, IT_RULE_RESERVED_VECTOR), 0);
	fx_free(x);
}

/* ------------------------------------------------------------ irqfd / route changes: IRT014, IRT015 */

static void test_irqfd_unrouted(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct rt routes[] = { { 60, 0xfee00000, 0x31 } };

	(void)state;
	ev_create_vm(x, VM, T0);
	ev_routing(x, VM, routes, 1, 0, 0, T0);
	ev_irqfd(x, VM, 7, 60, 0, 0, T0);	/* near miss: routed */
	ev_irqfd(x, VM, 8, 61, 0, 0, T0);
	eval(x, T0 + SEC / 2);
	assert_int_equal(active(x, IT_RULE_IRQFD_UNROUTED), 0);	/* within the grace period */
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_IRQFD_UNROUTED), 1);
	const struct it_finding *f = finding(x, IT_RULE_IRQFD_UNROUTED);
	assert_int_equal(f->gsi, 61);
	assert_non_null(strstr(f->msg, "eventfd 8"));
	/* deassigned: clears */
	ev_irqfd(x, VM, 8, 61, 1, 0, T0 + 3 * SEC);
	eval(x, T0 + 4 * SEC);
	assert_int_equal(active(x, IT_RULE_IRQFD_UNROUTED), 0);
	fx_free(x);
}

static void test_irqfd_irqchip_and_unknown_tables(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct rt routes[] = { { 60, 0xfee00000, 0x31 } };

	(void)state;
	/* a table with 24 irqchip pins: gsi 5 is a pin (not flagged), gsi 30 is not */
	ev_create_vm(x, VM, T0);
	ev_routing(x, VM, routes, 1, 24, 0, T0);
	ev_irqfd(x, VM, 7, 5, 0, 0, T0);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_IRQFD_UNROUTED), 0);
	ev_irqfd(x, VM, 9, 30, 0, 0, T0 + 2 * SEC);
	eval(x, T0 + 4 * SEC);
	assert_int_equal(active(x, IT_RULE_IRQFD_UNROUTED), 1);
	/* a VM whose routing was set before irqtrail started: unknown, not flagged */
	ev_irqfd(x, VM2, 7, 99, 0, 0, T0);
	eval(x, T0 + 6 * SEC);
	assert_int_equal(active(x, IT_RULE_IRQFD_UNROUTED), 1);
	fx_free(x);
}

static void test_route_change_failed(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct rt routes[] = { { 5000, 0xfee00000, 0x31 } };

	(void)state;
	ev_create_vm(x, VM, T0);
	ev_routing(x, VM, routes, 1, 0, 0, T0);	/* near miss: succeeded */
	ev_irqfd(x, VM, 7, 60, 0, 0, T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_ROUTE_FAIL), 0);
	ev_routing(x, VM, routes, 1, 0, -EINVAL, T0 + SEC);
	ev_irqfd(x, VM, 0x7fffffff, 60, 0, -EBADF, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_ROUTE_FAIL), 2);
	bool routing = false, irqfd = false;
	const struct it_finding *f;
	size_t n = it_rules_findings(x->r, &f);
	for (size_t i = 0; i < n; i++) {
		if (f[i].rule != IT_RULE_ROUTE_FAIL)
			continue;
		routing |= strstr(f[i].msg, "KVM_SET_GSI_ROUTING") && strstr(f[i].msg, "-EINVAL");
		irqfd |= strstr(f[i].msg, "KVM_IRQFD") && strstr(f[i].msg, "-EBADF");
	}
	assert_true(routing);
	assert_true(irqfd);
	/* event findings stay active for 'hold' seconds, then clear */
	eval(x, T0 + 200 * SEC);
	assert_int_equal(active(x, IT_RULE_ROUTE_FAIL), 2);
	eval(x, T0 + 302 * SEC);
	assert_int_equal(active(x, IT_RULE_ROUTE_FAIL), 0);
	/* the failed table changed nothing */
	assert_int_equal(active(x, IT_RULE_RESERVED_VECTOR), 0);
	fx_free(x);
}

/* ------------------------------------------------------------ storm: IRT008 */

static void test_storm_guest_hysteresis(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	uint64_t c = 0;

	(void)state;
	ev_create_vm(x, VM, T0);
	/* 150k/s: below the threshold (200k/s) -- near miss */
	for (int s = 1; s <= 3; s++) {
		c += 150000;
		agg(x, T0 + s * SEC, -1, 0, VM, c);
		eval(x, T0 + s * SEC);
	}
	assert_int_equal(x->raised[IT_RULE_STORM], 0);
	/* 300k/s for a second: raised */
	c += 300000;
	agg(x, T0 + 4 * SEC, -1, 0, VM, c);
	eval(x, T0 + 4 * SEC);
	assert_int_equal(active(x, IT_RULE_STORM), 1);
	const struct it_finding *f = finding(x, IT_RULE_STORM);
	assert_int_equal(f->vm_pid, VM);
	assert_true(f->value > 290000 && f->value < 310000);
	assert_non_null(strstr(f->msg, "storm"));
	/* 150k/s: inside the hysteresis band, stays raised */
	for (int s = 5; s <= 7; s++) {
		c += 150000;
		agg(x, T0 + s * SEC, -1, 0, VM, c);
		eval(x, T0 + s * SEC);
		assert_int_equal(active(x, IT_RULE_STORM), 1);
	}
	/* 50k/s, below clear-rate: cleared after 'for' */
	c += 50000;
	agg(x, T0 + 8 * SEC, -1, 0, VM, c);
	eval(x, T0 + 8 * SEC);
	assert_int_equal(active(x, IT_RULE_STORM), 0);
	assert_int_equal(x->raised[IT_RULE_STORM], 1);
	assert_int_equal(x->cleared[IT_RULE_STORM], 1);
	fx_free(x);
}

static void test_storm_host_needs_sustained_rate(void **state)
{
	struct it_rules_conf c;
	struct fx *x;

	(void)state;
	it_rules_conf_default(&c);
	c.rule[IT_RULE_STORM].for_secs = 2;
	x = fx_new_conf(&c, ALL_HOPS, NULL);
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	agg(x, T0, 40, 0, 0, 0);
	eval(x, T0);
	/* one second above: not yet (for = 2 s), a dip, then two seconds above */
	agg(x, T0 + SEC, 40, 500000, 0, 0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_STORM), 0);
	agg(x, T0 + 2 * SEC, 40, 510000, 0, 0);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_STORM), 0);
	agg(x, T0 + 3 * SEC, 40, 1010000, 0, 0);
	eval(x, T0 + 3 * SEC);
	assert_int_equal(active(x, IT_RULE_STORM), 0);
	agg(x, T0 + 4 * SEC, 40, 1510000, 0, 0);
	eval(x, T0 + 4 * SEC);
	assert_int_equal(active(x, IT_RULE_STORM), 1);
	const struct it_finding *f = finding(x, IT_RULE_STORM);
	assert_int_equal(f->irq, 40);
	assert_string_equal(f->bdf, "0000:00:03.0");
	assert_non_null(strstr(f->msg, "irq 40"));
	/* without the host-handler hook host irqs are not judged */
	it_rules_free(x->r);
	x->r = it_rules_new(&x->conf);
	x->env.hops = ALL_HOPS & ~IT_HOPB_HOST_HANDLER;
	it_rules_set_env(x->r, &x->env);
	it_rules_set_start(x->r, T0 + 4 * SEC);
	for (int s = 5; s <= 8; s++) {
		agg(x, T0 + s * SEC, 40, 1510000 + (uint64_t)(s - 4) * 600000, 0, 0);
		eval(x, T0 + s * SEC);
	}
	assert_int_equal(active(x, IT_RULE_STORM), 0);
	fx_free(x);
}

/* ------------------------------------------------------------ host routes: IRT003..IRT007 */

static void test_unisolated_msi(void **state)
{
	struct it_snapshot *s = snap_new();
	struct fx *x;

	(void)state;
	s->ir.mode = IT_IR_INTEL;	/* near miss: remapping on */
	x = fx_new_conf(NULL, ALL_HOPS, s);
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_UNISOLATED_MSI), 0);
	fx_free(x);

	s->ir.mode = IT_IR_NONE;
	x = fx_new_conf(NULL, ALL_HOPS, s);
	ev_irq_name(x, 41, "eth0", T0);	/* a host device: not the rule's business */
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_UNISOLATED_MSI), 0);
	vm_with_device(x, VM, "0000:00:03.0", 40, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_UNISOLATED_MSI), 1);
	const struct it_finding *f = finding(x, IT_RULE_UNISOLATED_MSI);
	assert_int_equal(f->severity, IT_SEV_CRITICAL);
	assert_string_equal(f->bdf, "0000:00:03.0");
	assert_non_null(strstr(f->msg, "remapping is off"));
	assert_int_equal(it_rules_worst(x->r), IT_SEV_CRITICAL);
	fx_free(x);
	snap_free(s);
}

static void test_shared_vector(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);

	(void)state;
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	vm_with_device(x, VM2, "0000:00:04.0", 41, T0);
	ev_vector(x, IT_EV_VECTOR_CONFIG, 40, 1, 0x23, 0, T0);
	ev_vector(x, IT_EV_VECTOR_CONFIG, 41, 1, 0x24, 0, T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_SHARED_VECTOR), 0);	/* near miss */
	ev_vector(x, IT_EV_VECTOR_CONFIG, 41, 1, 0x23, 0, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_SHARED_VECTOR), 1);
	const struct it_finding *f = finding(x, IT_RULE_SHARED_VECTOR);
	assert_int_equal(f->cpu, 1);
	assert_non_null(strstr(f->msg, "0x23"));
	assert_non_null(strstr(f->msg, "irq 40"));
	assert_non_null(strstr(f->msg, "irq 41"));
	/* without the vector hook it is inactive, and says why */
	struct it_rule_status rs;
	x->env.hops &= ~IT_HOPB_VECTOR;
	it_rules_set_env(x->r, &x->env);
	it_rules_status(x->r, IT_RULE_SHARED_VECTOR, &rs);
	assert_false(rs.evaluating);
	assert_non_null(strstr(rs.reason, "irq_vectors"));
	fx_free(x);
}

static void test_isolated_cpu(void **state)
{
	struct it_snapshot *s = snap_new();
	struct fx *x;

	(void)state;
	assert_int_equal(it_cpumask_set(&s->cpus.isolated, 3), 0);
	assert_int_equal(it_cpumask_set(&s->cpus.nohz_full, 2), 0);
	x = fx_new_conf(NULL, ALL_HOPS, s);
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	ev_irq_name(x, 42, "vfio-msix[1](0000:00:05.0)", T0);	/* nobody's: not checked */
	ev_vector(x, IT_EV_VECTOR_CONFIG, 42, 3, 0x30, 0, T0);
	ev_vector(x, IT_EV_VECTOR_CONFIG, 40, 1, 0x23, 0, T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_ISOLATED_CPU), 0);
	ev_vector(x, IT_EV_VECTOR_UPDATE, 40, 3, 0x25, 0, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_ISOLATED_CPU), 1);
	assert_non_null(strstr(finding(x, IT_RULE_ISOLATED_CPU)->msg, "CPU 3, which is isolated"));
	ev_vector(x, IT_EV_VECTOR_UPDATE, 40, 2, 0x26, 0, T0 + 2 * SEC);
	eval(x, T0 + 3 * SEC);
	assert_int_equal(active(x, IT_RULE_ISOLATED_CPU), 1);
	assert_non_null(strstr(finding(x, IT_RULE_ISOLATED_CPU)->msg, "nohz_full"));
	ev_vector(x, IT_EV_VECTOR_UPDATE, 40, 0, 0x27, 0, T0 + 3 * SEC);
	eval(x, T0 + 4 * SEC);
	assert_int_equal(active(x, IT_RULE_ISOLATED_CPU), 0);
	fx_free(x);
	snap_free(s);
}

static void test_posted_fallback(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);

	(void)state;
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	ev_pi(x, 40, false, T0);	/* never posted: nothing fell back */
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_POSTED_FALLBACK), 0);
	ev_pi(x, 40, true, T0 + 2 * SEC);
	ev_pi(x, 40, false, T0 + 3 * SEC);
	eval(x, T0 + 3 * SEC + SEC / 2);	/* within the grace period (teardown looks alike) */
	assert_int_equal(active(x, IT_RULE_POSTED_FALLBACK), 0);
	eval(x, T0 + 5 * SEC);
	assert_int_equal(active(x, IT_RULE_POSTED_FALLBACK), 1);
	assert_non_null(strstr(finding(x, IT_RULE_POSTED_FALLBACK)->msg, "fell back"));
	ev_pi(x, 40, true, T0 + 6 * SEC);
	eval(x, T0 + 7 * SEC);
	assert_int_equal(active(x, IT_RULE_POSTED_FALLBACK), 0);
	/* torn down right after the switch: the irq is gone, nothing to report */
	ev_pi(x, 40, false, T0 + 8 * SEC);
	ev_vector(x, IT_EV_VECTOR_TEARDOWN, 40, 0, 0, 0, T0 + 8 * SEC);
	eval(x, T0 + 10 * SEC);
	assert_int_equal(active(x, IT_RULE_POSTED_FALLBACK), 0);
	assert_int_equal(x->raised[IT_RULE_POSTED_FALLBACK], 1);
	fx_free(x);
}

static void test_eventfd_detour(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	int fds[] = { 30, 31 };

	(void)state;
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	ev_irq_name(x, 41, "vfio-msix[1](0000:00:03.0)", T0);
	ev_set_irqs(x, VM, 20, IT_VFIO_IRQ_INDEX_MSIX, 0, fds, 2, 0, T0);
	ev_irqfd(x, VM, 31, 51, 0, 0, T0);	/* entry 1 is consumed by KVM */
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_EVENTFD_DETOUR), 0);	/* no traffic yet on entry 0 */
	for (int i = 0; i < 10; i++) {
		ev_irq_exit(x, 40, 1, T0 + 2 * SEC + (uint64_t)i);
		ev_irq_exit(x, 41, 1, T0 + 2 * SEC + (uint64_t)i);
	}
	eval(x, T0 + 3 * SEC);
	assert_int_equal(active(x, IT_RULE_EVENTFD_DETOUR), 1);
	const struct it_finding *f = finding(x, IT_RULE_EVENTFD_DETOUR);
	assert_int_equal(f->irq, 40);
	assert_non_null(strstr(f->msg, "eventfd 30"));
	/* KVM takes eventfd 30 too: no detour */
	ev_irqfd(x, VM, 30, 50, 0, 0, T0 + 3 * SEC);
	eval(x, T0 + 4 * SEC);
	assert_int_equal(active(x, IT_RULE_EVENTFD_DETOUR), 0);
	fx_free(x);
}

/* ------------------------------------------------------------ IRTEs, MSI formats: IRT001, IRT002 */

static void test_irte_no_svt_snapshot(void **state)
{
	struct it_snapshot *s = snap_new();
	struct fx *x;

	(void)state;
	s->ir.mode = IT_IR_INTEL;
	snap_add_irte(s, "0000:00:03.0", 6, 1);	/* validated */
	snap_add_irte(s, "0000:00:04.0", 7, 0);	/* not validated, but a host device */
	x = fx_new_conf(NULL, ALL_HOPS, s);
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	ev_irq_name(x, 41, "eth1", T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_IRTE_NO_SVT), 0);
	fx_free(x);

	s->irte.e[0].svt = 0;
	x = fx_new_conf(NULL, ALL_HOPS, s);
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_IRTE_NO_SVT), 1);
	const struct it_finding *f = finding(x, IT_RULE_IRTE_NO_SVT);
	assert_int_equal(f->severity, IT_SEV_CRITICAL);
	assert_non_null(strstr(f->msg, "IRTE 6"));
	assert_non_null(strstr(f->msg, "SVT=0"));
	fx_free(x);
	snap_free(s);
}

static void test_irte_no_svt_events_and_inactive(void **state)
{
	struct it_snapshot *s = snap_new();
	struct it_rule_status rs;
	struct it_irte e;
	struct fx *x;

	(void)state;
	/* no IRTE dump, no IRTE hook: inactive, with the reason, and never passing */
	x = fx_new_conf(NULL, ALL_HOPS & ~IT_HOPB_IRTE_WRITE, s);
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	eval(x, T0 + SEC);
	it_rules_status(x->r, IT_RULE_IRTE_NO_SVT, &rs);
	assert_true(rs.enabled);
	assert_false(rs.evaluating);
	assert_non_null(strstr(rs.reason, "IRTE contents unknown"));
	fx_free(x);

	x = fx_new_conf(NULL, ALL_HOPS, s);
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	hdr(&e.h, IT_EV_IRTE_WRITE, sizeof(e), T0, 0);
	e.vendor = IT_IRTE_INTEL;
	e.index = 9;
	snprintf(e.iommu, sizeof(e.iommu), "dmar1");
	e.new_lo = 1 | (0x22ull << 16);
	e.new_hi = (1ull << 18) | 0x0018;	/* SVT=1, SID 00:03.0 */
	feed(x, &e.h);
	eval(x, T0 + SEC);
	it_rules_status(x->r, IT_RULE_IRTE_NO_SVT, &rs);
	assert_true(rs.evaluating);
	assert_int_equal(active(x, IT_RULE_IRTE_NO_SVT), 0);
	e.h.ts = T0 + SEC;
	e.new_hi = 0x0018;	/* SVT=0 */
	feed(x, &e.h);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_IRTE_NO_SVT), 1);
	assert_non_null(strstr(finding(x, IT_RULE_IRTE_NO_SVT)->msg, "dmar1"));
	fx_free(x);
	snap_free(s);
}

static void test_compat_msi(void **state)
{
	struct it_snapshot *s = snap_new();
	struct fx *x;

	(void)state;
	s->ir.mode = IT_IR_INTEL;
	snap_add_irq(s, 30, IT_IRQ_MSIX, true, "0000:00:03.0", "IR-PCI-MSIX-0000:00:03.0");
	snap_add_irq(s, 31, IT_IRQ_OTHER, false, "", "DMAR-MSI");	/* not a device MSI */
	x = fx_new_conf(NULL, ALL_HOPS, s);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_COMPAT_MSI), 0);
	fx_free(x);

	snap_add_irq(s, 32, IT_IRQ_MSIX, false, "0000:00:04.0", "PCI-MSIX-0000:00:04.0");
	x = fx_new_conf(NULL, ALL_HOPS, s);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_COMPAT_MSI), 1);
	assert_int_equal(finding(x, IT_RULE_COMPAT_MSI)->irq, 32);
	fx_free(x);

	/* remapping off: a compatibility MSI is the norm (IRT003 covers it) */
	s->ir.mode = IT_IR_NONE;
	x = fx_new_conf(NULL, ALL_HOPS, s);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_COMPAT_MSI), 0);
	fx_free(x);

	/* a message written after start (msi-write hook) */
	struct it_msi_msg w;
	s->nirqs = 1;
	free(s->irqs[1].chip), free(s->irqs[1].handler), free(s->irqs[2].chip), free(s->irqs[2].handler);
	s->ir.mode = IT_IR_INTEL;
	x = fx_new_conf(NULL, ALL_HOPS, s);
	hdr(&w.h, IT_EV_MSI_WRITE, sizeof(w), T0, 0);
	w.irq = 50;
	w.address_lo = 0xfee00010;	/* remappable */
	w.flags = IT_MSI_F_BDF | IT_MSI_F_INDEX | IT_MSI_F_MSIX;
	w.bus = 0;
	w.devfn = 5 << 3;
	feed(x, &w.h);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_COMPAT_MSI), 0);
	w.address_lo = 0xfee01000;	/* compatibility format */
	w.data = 0x41;
	feed(x, &w.h);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_COMPAT_MSI), 1);
	assert_string_equal(finding(x, IT_RULE_COMPAT_MSI)->bdf, "0000:00:05.0");
	fx_free(x);
	snap_free(s);
}

/* ------------------------------------------------------------ allocation, vectors, hypercalls, IRQ_NONE */

static void test_alloc_fail(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	int fds[] = { 30 };

	(void)state;
	ev_vector(x, IT_EV_VECTOR_SETUP, 60, 0, 0, 0, T0);
	ev_vector(x, IT_EV_VECTOR_ALLOC, 60, 1, 0x40, 0, T0);
	ev_create_vm(x, VM, T0);
	ev_device_fd(x, VM, 20, "0000:00:03.0", T0);
	ev_set_irqs(x, VM, 20, IT_VFIO_IRQ_INDEX_MSIX, 0, fds, 1, 0, T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_ALLOC_FAIL), 0);
	ev_vector(x, IT_EV_VECTOR_SETUP, 61, 0, 0, -ENOMEM, T0 + SEC);
	ev_set_irqs(x, VM, 20, IT_VFIO_IRQ_INDEX_MSIX, 0, fds, 1, -EINVAL, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_ALLOC_FAIL), 2);
	bool vfio = false, setup = false;
	const struct it_finding *f;
	size_t n = it_rules_findings(x->r, &f);
	for (size_t i = 0; i < n; i++) {
		vfio |= f[i].rule == IT_RULE_ALLOC_FAIL && !strcmp(f[i].bdf, "0000:00:03.0") && f[i].vm_pid == VM;
		setup |= f[i].rule == IT_RULE_ALLOC_FAIL && f[i].irq == 61 && strstr(f[i].msg, "-ENOMEM");
	}
	assert_true(vfio);
	assert_true(setup);
	/* -ENOSPC from the vector allocator is exhaustion, not this rule */
	ev_vector(x, IT_EV_VECTOR_ALLOC, 62, 0, 0, -ENOSPC, T0 + 2 * SEC);
	eval(x, T0 + 3 * SEC);
	assert_int_equal(active(x, IT_RULE_ALLOC_FAIL), 2);
	assert_int_equal(active(x, IT_RULE_VECTOR_EXHAUSTED), 1);
	fx_free(x);
}

static void test_vector_exhaustion(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);

	(void)state;
	ev_matrix(x, 0, 150, true, T0);
	ev_matrix(x, 1, 3, false, T0);	/* offline: not counted */
	ev_matrix(x, 2, 8, true, T0);	/* exactly min-free: fine */
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_VECTOR_EXHAUSTED), 0);
	ev_matrix(x, 2, 7, true, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_VECTOR_EXHAUSTED), 1);
	assert_int_equal(finding(x, IT_RULE_VECTOR_EXHAUSTED)->cpu, 2);
	ev_matrix(x, 2, 40, true, T0 + 2 * SEC);
	eval(x, T0 + 3 * SEC);
	assert_int_equal(active(x, IT_RULE_VECTOR_EXHAUSTED), 0);
	fx_free(x);
}

static void test_hypercall_errors(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);

	(void)state;
	x->env.have_agg = false;
	x->env.full = true;
	it_rules_set_env(x->r, &x->env);
	ev_create_vm(x, VM, T0);
	/* known numbers at a high rate, unknown ones slowly: near misses */
	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < 100; i++)
			ev_hypercall(x, IT_EV_HC_KVM, VM, 5, 0, T0 + (uint64_t)s * SEC + (uint64_t)i);
		for (int i = 0; i < 5; i++)
			ev_hypercall(x, IT_EV_HC_KVM, VM, 99, 0, T0 + (uint64_t)s * SEC + (uint64_t)i);
		ev_hypercall(x, IT_EV_HC_HV_DONE, VM, 0, 0, T0 + (uint64_t)s * SEC);
		eval(x, T0 + (uint64_t)(s + 1) * SEC);
	}
	assert_int_equal(x->raised[IT_RULE_HYPERCALL], 0);
	/* failing Hyper-V hypercalls at 50/s */
	for (int i = 0; i < 50; i++)
		ev_hypercall(x, IT_EV_HC_HV_DONE, VM, 0, 5, T0 + 3 * SEC + (uint64_t)i);
	eval(x, T0 + 4 * SEC);
	assert_int_equal(active(x, IT_RULE_HYPERCALL), 1);
	assert_non_null(strstr(finding(x, IT_RULE_HYPERCALL)->msg, "Hyper-V"));
	/* and from aggregate frames: unknown KVM numbers at 40/s */
	struct it_agg_cnt cnt = { .k = { .type = IT_EV_HC_KVM, .pid = VM2, .a = 77 } };
	struct it_agg_frame f = { .cnt = &cnt, .ncnt = 1 };
	x->env.have_agg = true;
	it_rules_set_env(x->r, &x->env);
	for (int s = 5; s <= 6; s++) {
		cnt.st.count = (uint64_t)(s - 4) * 40;
		f.ts = T0 + (uint64_t)s * SEC;
		it_rules_agg(x->r, &f);
		eval(x, T0 + (uint64_t)s * SEC);
	}
	assert_int_equal(active(x, IT_RULE_HYPERCALL), 1);	/* the Hyper-V one cleared, VM2's raised */
	assert_int_equal(finding(x, IT_RULE_HYPERCALL)->active, false);
	fx_free(x);
}

static void test_unhandled(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct it_rule_status rs;

	(void)state;
	/* without every handler exit streamed the rule is inactive */
	it_rules_status(x->r, IT_RULE_UNHANDLED, &rs);
	assert_false(rs.evaluating);
	assert_non_null(strstr(rs.reason, "--full"));
	ev_irq_name(x, 40, "vfio-msix[0](0000:00:03.0)", T0);
	for (int i = 0; i < 300; i++)
		ev_irq_exit(x, 40, 0, T0 + (uint64_t)i * 1000);
	eval(x, T0 + SEC);
	assert_int_equal(x->raised[IT_RULE_UNHANDLED], 0);
	fx_free(x);

	x = fx_new(ALL_HOPS);
	x->env.full = true;
	it_rules_set_env(x->r, &x->env);
	ev_irq_name(x, 40, "vfio-msix[0](0000:00:03.0)", T0);
	for (int i = 0; i < 1000; i++)
		ev_irq_exit(x, 40, 1, T0 + (uint64_t)i * 1000);	/* handled: near miss */
	for (int i = 0; i < 50; i++)
		ev_irq_exit(x, 40, 0, T0 + (uint64_t)i * 1000);	/* a few unhandled: below 100/s */
	eval(x, T0 + SEC);
	assert_int_equal(x->raised[IT_RULE_UNHANDLED], 0);
	for (int i = 0; i < 300; i++)
		ev_irq_exit(x, 40, 0, T0 + SEC + (uint64_t)i * 1000);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_UNHANDLED), 1);
	assert_non_null(strstr(finding(x, IT_RULE_UNHANDLED)->msg, "IRQ_NONE"));
	assert_int_equal(finding(x, IT_RULE_UNHANDLED)->irq, 40);
	fx_free(x);
}

/* ------------------------------------------------------------ hooks missing, silences, disabling */

static void test_inactive_without_hooks(void **state)
{
	struct fx *x = fx_new(0);
	struct rt bad[] = { { 60, 0x12345000, 0x05 } };
	struct it_rule_status rs;

	(void)state;
	ev_create_vm(x, VM, T0);
	ev_routing(x, VM, bad, 1, 0, -EINVAL, T0);
	ev_routing(x, VM, bad, 1, 0, 0, T0);
	ev_irqfd(x, VM, 7, 61, 0, 0, T0);
	eval(x, T0 + 5 * SEC);
	assert_int_equal(total_raised(x), 0);
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		if (!it_rule_exists(id))
			continue;
		it_rules_status(x->r, id, &rs);
		assert_true(rs.enabled);
		assert_false(rs.evaluating);	/* inactive, never passing */
		assert_true(rs.reason[0]);
	}
	assert_int_equal(it_rules_worst(x->r), -1);
	fx_free(x);
}

static void test_silences_and_disable(void **state)
{
	struct it_rules_conf c;
	struct it_silence s = { .rule = IT_RULE_RESERVED_VECTOR };
	struct rt bad[] = { { 60, 0xfee00000, 0x05 } };
	struct rt bad2[] = { { 61, 0xfee00000, 0x06 } };
	struct fx *x;
	struct it_rule_status rs;

	(void)state;
	it_rules_conf_default(&c);
	snprintf(s.vm, sizeof(s.vm), "%d", VM);
	assert_int_equal(it_rules_conf_add_silence(&c, &s), 0);
	c.rule[IT_RULE_BAD_ADDRESS].enabled = false;
	x = fx_new_conf(&c, ALL_HOPS, NULL);
	ev_create_vm(x, VM, T0);
	ev_create_vm(x, VM2, T0);
	ev_routing(x, VM, bad, 1, 0, 0, T0);
	struct rt vm2[] = { bad2[0], { 62, 0x10000000, 0x31 } };
	ev_routing(x, VM2, vm2, 2, 0, 0, T0 + 1);
	eval(x, T0 + SEC);
	/* VM's finding is silenced, VM2's is not; IRT013 is disabled */
	assert_int_equal(active(x, IT_RULE_RESERVED_VECTOR), 1);
	assert_int_equal(finding(x, IT_RULE_RESERVED_VECTOR)->vm_pid, VM2);
	assert_int_equal(active(x, IT_RULE_BAD_ADDRESS), 0);
	it_rules_status(x->r, IT_RULE_RESERVED_VECTOR, &rs);
	assert_int_equal(rs.silenced, 1);
	it_rules_status(x->r, IT_RULE_BAD_ADDRESS, &rs);
	assert_false(rs.enabled);
	assert_false(rs.evaluating);
	assert_non_null(strstr(rs.reason, "disabled"));
	fx_free(x);

	/* a device silence for every rule, and --pid scoping */
	it_rules_conf_default(&c);
	struct it_silence d = { .rule = 0 };
	snprintf(d.device, sizeof(d.device), "0000:00:03.0");
	assert_int_equal(it_rules_conf_add_silence(&c, &d), 0);
	x = fx_new_conf(&c, ALL_HOPS, NULL);
	x->env.only_pid = VM2;
	it_rules_set_env(x->r, &x->env);
	ev_create_vm(x, VM, T0);
	ev_routing(x, VM, bad, 1, 0, 0, T0);
	ev_vector(x, IT_EV_VECTOR_SETUP, 61, 0, 0, -ENOMEM, T0);	/* host-wide: kept */
	int fds[] = { 30 };
	ev_create_vm(x, VM2, T0);
	ev_device_fd(x, VM2, 20, "0000:00:03.0", T0);
	ev_set_irqs(x, VM2, 20, IT_VFIO_IRQ_INDEX_MSIX, 0, fds, 1, -EINVAL, T0);	/* silenced device */
	ev_device_fd(x, VM2, 21, "0000:00:04.0", T0);
	ev_set_irqs(x, VM, 21, IT_VFIO_IRQ_INDEX_MSIX, 0, fds, 1, -EINVAL, T0);	/* another VM: not ours */
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_RESERVED_VECTOR), 0);
	assert_int_equal(active(x, IT_RULE_ALLOC_FAIL), 1);
	fx_free(x);
}

static void test_alert_record(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct rt bad[] = { { 60, 0xfee00000, 0x05 } };
	struct it_alert a;
	struct it_json j;
	char text[512];

	(void)state;
	ev_create_vm(x, VM, T0);
	ev_routing(x, VM, bad, 1, 0, 0, T0);
	eval(x, T0 + SEC);
	const struct it_finding *f = finding(x, IT_RULE_RESERVED_VECTOR);
	assert_non_null(f);
	it_alert_from_finding(&a, f, true, T0 + SEC);
	assert_int_equal(a.h.type, IT_EV_ALERT);
	assert_int_equal(a.h.len, sizeof(a));
	assert_int_equal(a.rule, IT_RULE_RESERVED_VECTOR);
	assert_int_equal(a.gsi, 60);
	jw_init(&j);
	jw_obj_begin(&j);
	it_alert_json_fields(&j, &a);
	jw_obj_end(&j);
	assert_false(j.oom);
	assert_non_null(strstr(j.buf, "\"rule\":\"IRT011\""));
	assert_non_null(strstr(j.buf, "\"severity\":\"warning\""));
	assert_non_null(strstr(j.buf, "\"state\":\"raised\""));
	assert_non_null(strstr(j.buf, "\"gsi\":60"));
	jw_free(&j);
	assert_true(it_alert_text(&a, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "ALERT IRT011 warning raised"));
	fx_free(x);
}

/* ------------------------------------------------------------ the rules file */

static const char good_conf[] =
	"# a site's rules\n"
	"[rules]\n"
	"disable = IRT016, vector-exhaustion\n"
	"\n"
	"[IRT008]\n"
	"rate = 50k\n"
	"clear-rate = 20000\n"
	"for = 500ms\n"
	"severity = critical\n"
	"silence-device = 00:03.0\n"
	"silence-vm = build-7\n"
	"\n"
	"[guest-reserved-vector]\n"
	"enabled = no\n"
	"[silence]\n"
	"vm = 4242\n"
	"[IRT015]\n"
	"hold = 5m ; inline comment\n";

static void test_conf_parse(void **state)
{
	struct it_rules_conf c;
	char err[256] = "";

	(void)state;
	it_rules_conf_default(&c);
	assert_int_equal(it_rules_conf_parse(&c, good_conf, "site.conf", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_false(c.rule[IT_RULE_UNHANDLED].enabled);
	assert_false(c.rule[IT_RULE_VECTOR_EXHAUSTED].enabled);
	assert_false(c.rule[IT_RULE_RESERVED_VECTOR].enabled);
	assert_true(c.rule[IT_RULE_STORM].enabled);
	assert_true(c.rule[IT_RULE_STORM].rate == 50000);
	assert_true(c.rule[IT_RULE_STORM].clear_rate == 20000);
	assert_true(c.rule[IT_RULE_STORM].for_secs == 0.5);
	assert_int_equal(c.rule[IT_RULE_STORM].severity, IT_SEV_CRITICAL);
	assert_true(c.rule[IT_RULE_ROUTE_FAIL].hold_secs == 300);
	assert_int_equal(c.nsilences, 3);
	assert_int_equal(c.silences[0].rule, IT_RULE_STORM);
	assert_string_equal(c.silences[0].device, "0000:00:03.0");
	assert_int_equal(c.silences[0].line, 10);
	assert_string_equal(c.silences[1].vm, "build-7");
	assert_int_equal(c.silences[2].rule, 0);
	assert_string_equal(c.silences[2].vm, "4242");
	assert_string_equal(c.source, "site.conf");
	it_rules_conf_free(&c);

	/* a rate alone keeps the default hysteresis ratio */
	it_rules_conf_default(&c);
	assert_int_equal(it_rules_conf_parse(&c, "[IRT008]\nrate = 1000\n", "x", err, sizeof(err)), 0);
	assert_true(c.rule[IT_RULE_STORM].clear_rate == 500);
	it_rules_conf_free(&c);
}

static void expect_conf_error(const char *text, const char *where, const char *what)
{
	struct it_rules_conf c;
	char err[256] = "";

	it_rules_conf_default(&c);
	if (it_rules_conf_parse(&c, text, "bad.conf", err, sizeof(err)) != -1)
		fail_msg("parsed without an error: '%s'", text);
	if (strncmp(err, where, strlen(where)) || !strstr(err, what))
		fail_msg("error '%s': want '%s...%s'", err, where, what);
	it_rules_conf_free(&c);
}

static void test_conf_errors(void **state)
{
	(void)state;
	expect_conf_error("[IRT008]\nrate = 10\n[IRT099]\n", "bad.conf:3: ", "unknown section [IRT099]");
	expect_conf_error("[IRT008]\n\n\n\nrate = fast\n", "bad.conf:5: ", "rate 'fast'");
	expect_conf_error("[IRT008]\nrate = 100\nclear-rate = 200\n", "bad.conf:3: ", "clear-rate 200 is above rate 100");
	expect_conf_error("[IRT008]\nclear-rate = 300000\n", "bad.conf:2: ", "above rate");
	expect_conf_error("[IRT011]\nrate = 10\n", "bad.conf:2: ", "has no setting 'rate'");
	expect_conf_error("[IRT011]\ncolour = red\n", "bad.conf:2: ", "unknown setting 'colour'");
	expect_conf_error("severity = info\n", "bad.conf:1: ", "outside a section");
	expect_conf_error("[IRT001]\nseverity = loud\n", "bad.conf:2: ", "severity 'loud'");
	expect_conf_error("[IRT001]\nenabled = maybe\n", "bad.conf:2: ", "expected yes or no");
	expect_conf_error("# ok\n[IRT001\n", "bad.conf:2: ", "syntax error");
	expect_conf_error("[rules]\nthis line has no equals sign\n", "bad.conf:2: ", "syntax error");
	expect_conf_error("[silence]\ndevice = 0000:zz:00.0\n", "bad.conf:2: ", "not a PCI address");
	expect_conf_error("[silence]\nuser = bob\n", "bad.conf:2: ", "unknown setting 'user'");
	expect_conf_error("[rules]\ndisable = IRT003 IRT404\n", "bad.conf:2: ", "unknown rule 'IRT404'");
	expect_conf_error("[IRT017]\nmin-free = -1\n", "bad.conf:2: ", "min-free");
	expect_conf_error("[IRT015]\nhold = soon\n", "bad.conf:2: ", "hold 'soon'");
	/* only the first error is reported */
	expect_conf_error("[IRT001]\nenabled = maybe\n[nope]\n", "bad.conf:2: ", "enabled");
}

static void test_conf_file(void **state)
{
	char path[] = "/tmp/irqtrail-rules-XXXXXX";
	struct it_rules_conf c;
	char err[512] = "";
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char text[] = "[IRT008]\nrate = 1M\n\n[IRT012]\nfor = 3\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	it_rules_conf_default(&c);
	assert_int_equal(it_rules_conf_load(&c, path, err, sizeof(err)), -1);
	char want[300];
	snprintf(want, sizeof(want), "%s:5: ", path);
	assert_true(!strncmp(err, want, strlen(want)));
	assert_true(c.rule[IT_RULE_STORM].rate == 1e6);	/* what parsed before the error stays */
	it_rules_conf_free(&c);

	/* a line too long for the parser is an error on that line, not a silent cut */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[silence]\nvm = %0300d\ndevice = 00:03.0\n", 7);
	fclose(f);
	it_rules_conf_default(&c);
	assert_int_equal(it_rules_conf_load(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: ", path);
	assert_true(!strncmp(err, want, strlen(want)));
	it_rules_conf_free(&c);

	unlink(path);
	it_rules_conf_default(&c);
	assert_int_equal(it_rules_conf_load(&c, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	it_rules_conf_free(&c);
}

/* ------------------------------------------------------------ arm64 doorbell */

static void ev_host_msi(struct fx *x, int irq, uint8_t bus, uint8_t devfn, uint64_t ts)
{
	struct it_msi_msg e;

	hdr(&e.h, IT_EV_MSI_WRITE, sizeof(e), ts, 0);
	e.irq = (uint32_t)irq;
	e.bus = bus;
	e.devfn = devfn;
	e.flags = IT_MSI_F_BDF | IT_MSI_F_MSIX | IT_MSI_F_INDEX;
	e.address_lo = 0x08000040;
	feed(x, &e.h);
}

static void ev_doorbell(struct fx *x, unsigned int type, int irq, uint64_t domain, uint64_t phys, uint64_t iova,
			uint64_t ts)
{
	struct it_doorbell e;

	hdr(&e.h, type, sizeof(e), ts, 0);
	e.irq = (uint32_t)irq;
	e.domain = domain;
	e.phys = phys;
	e.base = iova & ~0xfffffull;
	if (iova) {
		e.iova = iova;
		e.flags |= IT_DB_F_IOVA;
	}
	feed(x, &e.h);
}

static void ev_its_activate(struct fx *x, int irq, uint32_t devid, uint32_t event, uint64_t ts)
{
	struct it_its e;

	hdr(&e.h, IT_EV_ITS_ACTIVATE, sizeof(e), ts, 0);
	e.irq = (uint32_t)irq;
	e.device_id = devid;
	e.event_id = event;
	e.lpi_base = 8192;
	e.lpi = 8192 + event;
	e.nr_lpis = 8;
	e.cpu = 1;
	e.its_phys = 0x08080000;
	feed(x, &e.h);
}

static void test_doorbell_shared(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	struct it_route *rt;
	size_t n;

	(void)state;
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	ev_host_msi(x, 41, 0, 4 << 3, T0);	/* a host device on the same doorbell */
	ev_doorbell(x, IT_EV_MSI_COOKIE, 0, 0xa000, 0, 0x08000000, T0);
	ev_doorbell(x, IT_EV_MSI_DB_COMPOSE, 40, 0xa000, 0x08090040, 0x08000040, T0);
	ev_doorbell(x, IT_EV_MSI_DB_COMPOSE, 41, 0xb000, 0x08090040, 0x08000040, T0);
	eval(x, T0 + SEC);
	/* no device-id translation seen: one doorbell, a VM and the host */
	assert_int_equal(active(x, IT_RULE_DOORBELL_SHARED), 1);
	assert_int_equal(finding(x, IT_RULE_DOORBELL_SHARED)->severity, IT_SEV_CRITICAL);
	assert_non_null(strstr(finding(x, IT_RULE_DOORBELL_SHARED)->msg, "0x8090040"));
	assert_int_equal(active(x, IT_RULE_DOORBELL_PHYS), 0);	/* both translated */
	/* the route carries the doorbell and the window of its domain */
	assert_int_equal(it_model_routes(x->m, &rt, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (rt[i].irq == 40) {
			assert_true(rt[i].arm.doorbell && rt[i].arm.translated);
			assert_int_equal(rt[i].arm.doorbell_iova, 0x08000040);
			assert_int_equal(rt[i].arm.msi_base, 0x08000000);
		}
	free(rt);
	/* the GICv3 ITS tells the devices apart: the finding clears */
	ev_its_activate(x, 40, 8, 0, T0 + SEC);
	ev_its_activate(x, 41, 32, 0, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_DOORBELL_SHARED), 0);
	assert_int_equal(it_model_routes(x->m, &rt, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (rt[i].irq == 41) {
			assert_true(rt[i].arm.its);
			assert_int_equal(rt[i].arm.device_id, 32);
			assert_int_equal(rt[i].arm.lpi, 8192);
			assert_int_equal(rt[i].arm.its_cpu, 1);
		}
	free(rt);
	fx_free(x);
}

static void test_doorbell_phys(void **state)
{
	struct fx *x = fx_new(ALL_HOPS);
	const struct it_finding *f;
	size_t nf;

	(void)state;
	vm_with_device(x, VM, "0000:00:03.0", 40, T0);
	ev_host_msi(x, 41, 0, 4 << 3, T0);
	ev_doorbell(x, IT_EV_MSI_COOKIE, 0, 0xa000, 0, 0x08000000, T0);
	/* behind a translating domain, yet given the physical doorbell */
	ev_doorbell(x, IT_EV_MSI_DB_COMPOSE, 40, 0xa000, 0x08090040, 0, T0);
	/* no IOMMU domain at all */
	ev_doorbell(x, IT_EV_MSI_DB_COMPOSE, 41, 0, 0x08090040, 0, T0);
	/* a domain without an MSI window (no msi reserved region: no cookie) */
	ev_host_msi(x, 42, 0, 5 << 3, T0);
	ev_doorbell(x, IT_EV_MSI_DB_COMPOSE, 42, 0xc000, 0x08090040, 0, T0);
	eval(x, T0 + SEC);
	assert_int_equal(active(x, IT_RULE_DOORBELL_PHYS), 3);
	nf = it_rules_findings(x->r, &f);
	for (size_t i = 0; i < nf; i++) {
		if (f[i].rule != IT_RULE_DOORBELL_PHYS)
			continue;
		assert_non_null(strstr(f[i].msg, f[i].irq == 40   ? "was not mapped for it" :
						 f[i].irq == 41 ? "no IOMMU translates" :
								  "has no MSI window"));
	}
	/* the doorbell gets mapped: the VM's finding clears */
	ev_doorbell(x, IT_EV_MSI_DB_COMPOSE, 40, 0xa000, 0x08090040, 0x08000040, T0 + SEC);
	eval(x, T0 + 2 * SEC);
	assert_int_equal(active(x, IT_RULE_DOORBELL_PHYS), 2);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_reserved_vector),
		cmocka_unit_test(test_bad_destination),
		cmocka_unit_test(test_bad_address),
		cmocka_unit_test(test_irqfd_unrouted),
		cmocka_unit_test(test_irqfd_irqchip_and_unknown_tables),
		cmocka_unit_test(test_route_change_failed),
		cmocka_unit_test(test_storm_guest_hysteresis),
		cmocka_unit_test(test_storm_host_needs_sustained_rate),
		cmocka_unit_test(test_unisolated_msi),
		cmocka_unit_test(test_shared_vector),
		cmocka_unit_test(test_isolated_cpu),
		cmocka_unit_test(test_posted_fallback),
		cmocka_unit_test(test_eventfd_detour),
		cmocka_unit_test(test_irte_no_svt_snapshot),
		cmocka_unit_test(test_irte_no_svt_events_and_inactive),
		cmocka_unit_test(test_compat_msi),
		cmocka_unit_test(test_alloc_fail),
		cmocka_unit_test(test_vector_exhaustion),
		cmocka_unit_test(test_hypercall_errors),
		cmocka_unit_test(test_unhandled),
		cmocka_unit_test(test_inactive_without_hooks),
		cmocka_unit_test(test_silences_and_disable),
		cmocka_unit_test(test_alert_record),
		cmocka_unit_test(test_conf_parse),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_file),
		cmocka_unit_test(test_doorbell_shared),
		cmocka_unit_test(test_doorbell_phys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
