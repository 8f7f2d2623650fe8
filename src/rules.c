// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rules engine (see rules.h and docs/rules.md).
 *
 * Every rule is evaluated the same way: at each it_rules_eval() a rule
 * reports the matches that hold now; a match creates or refreshes a
 * finding, which is raised the first time it matches and cleared when an
 * evaluation no longer matches it.  Three kinds of condition feed this:
 *   - state over the model and the snapshot (routes, owners, CPUs);
 *   - rates of cumulative counters, with hysteresis (storm, hypercall
 *     errors, unhandled interrupts): on above 'rate' for 'for' seconds, off
 *     below 'clear-rate' for 'for' seconds;
 *   - occurrences of events (failed ioctls, failed allocations), active for
 *     'hold' seconds after the last one.
 * Facts the model does not keep (vCPU ids, irqfds and VFIO triggers by
 * eventfd, routing-table shape, posted-mode history, vector space) are
 * tracked here from the same stream.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "decode.h"
#include "rules.h"

#define NS 1000000000ull
#define MIN_RATE_INTERVAL_NS (NS / 2)	/* shorter samples are accumulated */
#define X86_IRQCHIP_PINS 24		/* KVM's default routing: gsi 0..23 -> IOAPIC/PIC */

/* ------------------------------------------------------------------ catalogue */

static const struct it_rule_info catalogue[IT_RULE_MAX + 1] = {
	[IT_RULE_IRTE_NO_SVT] = { IT_RULE_IRTE_NO_SVT, "IRT001", "irte-no-source-validation", IT_SEV_CRITICAL,
				  "IRTE of a guest's device without source-id validation", 0 },
	[IT_RULE_COMPAT_MSI] = { IT_RULE_COMPAT_MSI, "IRT002", "compat-msi-with-remapping", IT_SEV_CRITICAL,
				 "compatibility-format MSI while interrupt remapping is on", 0 },
	[IT_RULE_UNISOLATED_MSI] = { IT_RULE_UNISOLATED_MSI, "IRT003", "guest-msi-not-isolated", IT_SEV_CRITICAL,
				     "device assigned to a guest on a platform that does not isolate its MSIs", 0 },
	[IT_RULE_SHARED_VECTOR] = { IT_RULE_SHARED_VECTOR, "IRT004", "shared-host-vector", IT_SEV_CRITICAL,
				    "two owners routed to the same host vector and CPU", 0 },
	[IT_RULE_ISOLATED_CPU] = { IT_RULE_ISOLATED_CPU, "IRT005", "passthrough-on-isolated-cpu", IT_SEV_WARNING,
				   "passthrough interrupt delivered to an isolated or nohz_full CPU", 0 },
	[IT_RULE_POSTED_FALLBACK] = { IT_RULE_POSTED_FALLBACK, "IRT006", "posted-fallback", IT_SEV_WARNING,
				      "posted interrupts fell back to remapped mode for a running VM", IT_RP_GRACE },
	[IT_RULE_EVENTFD_DETOUR] = { IT_RULE_EVENTFD_DETOUR, "IRT007", "eventfd-detour", IT_SEV_WARNING,
				     "VFIO vector signals an eventfd no KVM irqfd consumes", IT_RP_GRACE },
	[IT_RULE_STORM] = { IT_RULE_STORM, "IRT008", "interrupt-storm", IT_SEV_WARNING,
			    "interrupt rate above the storm threshold", IT_RP_RATE | IT_RP_CLEAR | IT_RP_FOR },
	[IT_RULE_ALLOC_FAIL] = { IT_RULE_ALLOC_FAIL, "IRT009", "msi-allocation-failed", IT_SEV_WARNING,
				 "MSI or vector allocation failed", IT_RP_HOLD },
	[IT_RULE_HYPERCALL] = { IT_RULE_HYPERCALL, "IRT010", "hypercall-errors", IT_SEV_WARNING,
				"hypercall errors or unknown hypercall numbers at a rate",
				IT_RP_RATE | IT_RP_CLEAR | IT_RP_FOR },
	[IT_RULE_RESERVED_VECTOR] = { IT_RULE_RESERVED_VECTOR, "IRT011", "guest-reserved-vector", IT_SEV_WARNING,
				      "guest MSI route with a reserved vector (< 0x10)", 0 },
	[IT_RULE_BAD_DEST] = { IT_RULE_BAD_DEST, "IRT012", "guest-bad-destination", IT_SEV_WARNING,
			       "guest MSI route to an APIC id no vCPU of the VM has", 0 },
	[IT_RULE_BAD_ADDRESS] = { IT_RULE_BAD_ADDRESS, "IRT013", "guest-address-outside-window", IT_SEV_WARNING,
				  "guest MSI route address outside the 0xFEExxxxx window", 0 },
	[IT_RULE_IRQFD_UNROUTED] = { IT_RULE_IRQFD_UNROUTED, "IRT014", "irqfd-unrouted-gsi", IT_SEV_WARNING,
				     "KVM irqfd bound to a GSI with no route", IT_RP_GRACE },
	[IT_RULE_ROUTE_FAIL] = { IT_RULE_ROUTE_FAIL, "IRT015", "route-change-failed", IT_SEV_WARNING,
				 "interrupt route change failed (ioctl error)", IT_RP_HOLD },
	[IT_RULE_UNHANDLED] = { IT_RULE_UNHANDLED, "IRT016", "unhandled-interrupts", IT_SEV_WARNING,
				"interrupts no handler claimed (IRQ_NONE) at a rate", IT_RP_RATE | IT_RP_CLEAR | IT_RP_FOR },
	[IT_RULE_VECTOR_EXHAUSTED] = { IT_RULE_VECTOR_EXHAUSTED, "IRT017", "vector-exhaustion", IT_SEV_WARNING,
				       "a CPU's interrupt vector space is (nearly) exhausted", IT_RP_MIN_FREE | IT_RP_HOLD },
	[IT_RULE_DOORBELL_SHARED] = { IT_RULE_DOORBELL_SHARED, "IRT030", "msi-doorbell-shared", IT_SEV_CRITICAL,
				      "MSI doorbell page mapped for several owners on a controller without device-id isolation",
				      0 },
	[IT_RULE_DOORBELL_PHYS] = { IT_RULE_DOORBELL_PHYS, "IRT031", "msi-physical-doorbell", IT_SEV_WARNING,
				    "MSI written with the physical doorbell address (not translated by an IOMMU)", 0 },
};

bool it_rule_exists(int id)
{
	return id >= 1 && id <= IT_RULE_MAX && catalogue[id].code;
}

const struct it_rule_info *it_rule_info(int id)
{
	if (!it_rule_exists(id))
		return NULL;
	return &catalogue[id];
}

int it_rule_lookup(const char *s)
{
	const char *p = s;
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	for (int i = 1; i <= IT_RULE_MAX; i++)
		if (it_rule_exists(i) && (!strcasecmp(s, catalogue[i].code) || !strcasecmp(s, catalogue[i].name)))
			return i;
	if (!strncasecmp(p, "IRT", 3))
		p += 3;
	if (*p < '0' || *p > '9')
		return -1;
	v = strtol(p, &end, 10);
	if (*end || !it_rule_exists((int)v))
		return -1;
	return (int)v;
}

const char *it_severity_name(enum it_severity s)
{
	switch (s) {
	case IT_SEV_INFO: return "info";
	case IT_SEV_WARNING: return "warning";
	case IT_SEV_CRITICAL: return "critical";
	}
	return "?";
}

int it_severity_parse(const char *s)
{
	if (!strcasecmp(s, "info"))
		return IT_SEV_INFO;
	if (!strcasecmp(s, "warning") || !strcasecmp(s, "warn"))
		return IT_SEV_WARNING;
	if (!strcasecmp(s, "critical") || !strcasecmp(s, "crit"))
		return IT_SEV_CRITICAL;
	return -1;
}

static const struct {
	const char *name;
	unsigned int bit;
} hops[] = {
	{ "host-handler", IT_HOPB_HOST_HANDLER },
	{ "vector", IT_HOPB_VECTOR },
	{ "vector-matrix", IT_HOPB_VECTOR_MATRIX },
	{ "kvm-injection", IT_HOPB_KVM_INJECTION },
	{ "posted-irte", IT_HOPB_POSTED_IRTE },
	{ "vcpu-delivery", IT_HOPB_VCPU_DELIVERY },
	{ "hypercall", IT_HOPB_HYPERCALL },
	{ "vmm-ioctl", IT_HOPB_VMM_IOCTL },
	{ "irte-write", IT_HOPB_IRTE_WRITE },
	{ "domain-alloc", IT_HOPB_DOMAIN_ALLOC },
	{ "msi-compose", IT_HOPB_MSI_COMPOSE },
	{ "msi-write", IT_HOPB_MSI_WRITE },
	{ "vfio-setup", IT_HOPB_VFIO_SETUP },
	{ "vfio-handler", IT_HOPB_VFIO_HANDLER },
	{ "kvm-irqfd", IT_HOPB_KVM_IRQFD },
};

unsigned int it_hop_bit(const char *hop)
{
	for (size_t i = 0; hop && i < sizeof(hops) / sizeof(hops[0]); i++)
		if (!strcmp(hops[i].name, hop))
			return hops[i].bit;
	return 0;
}

const char *it_hop_name(unsigned int bit)
{
	for (size_t i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		if (hops[i].bit == bit)
			return hops[i].name;
	return "?";
}

/* ------------------------------------------------------------------ configuration */

void it_rules_conf_default(struct it_rules_conf *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 1; i <= IT_RULE_MAX; i++) {
		struct it_rule_conf *k = &c->rule[i];

		k->enabled = true;
		k->severity = catalogue[i].severity;
		k->for_secs = 1;
		k->grace_secs = 1;
		k->hold_secs = 300;
	}
	c->rule[IT_RULE_STORM].rate = 200000;
	c->rule[IT_RULE_STORM].clear_rate = 100000;
	c->rule[IT_RULE_HYPERCALL].rate = 10;
	c->rule[IT_RULE_HYPERCALL].clear_rate = 5;
	c->rule[IT_RULE_UNHANDLED].rate = 100;
	c->rule[IT_RULE_UNHANDLED].clear_rate = 50;
	c->rule[IT_RULE_VECTOR_EXHAUSTED].min_free = 8;
}

void it_rules_conf_free(struct it_rules_conf *c)
{
	free(c->silences);
	c->silences = NULL;
	c->nsilences = 0;
}

int it_rules_conf_add_silence(struct it_rules_conf *c, const struct it_silence *s)
{
	struct it_silence *n = realloc(c->silences, (c->nsilences + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	c->silences = n;
	c->silences[c->nsilences++] = *s;
	return 0;
}

/* ------------------------------------------------------------------ engine state */

struct r_irqfd {
	int efd, gsi;
	uint64_t ts;
	bool active;
};

struct r_dev {
	int fd;
	char bdf[IT_BDF_LEN];
};

struct r_trig {
	char bdf[IT_BDF_LEN];
	int index, entry, efd;
	uint64_t ts;
};

struct r_vm {
	int pid;
	bool created_seen;	/* KVM_CREATE_VM seen: every routing table since is known */
	bool table_seen;	/* a KVM_SET_GSI_ROUTING succeeded */
	uint32_t table_nr, table_nr_msi, table_trunc;
	uint32_t *vcpu_ids;
	size_t nvcpus;
	struct r_irqfd *irqfds;
	size_t nirqfds;
	struct r_dev *devs;
	size_t ndevs;
	struct r_trig *trig;
	size_t ntrig;
};

struct r_irq {
	int irq;
	int pi;			/* -1 unknown, 0 remapped, 1 posted */
	bool pi_was_on;
	uint64_t pi_off_ts;
	uint32_t pi_gsi, pi_gvec;
	int pi_vcpu;
	uint64_t unhandled;	/* irq_exit with IRQ_NONE */
};

struct r_cpu {
	unsigned int cpu;
	unsigned int available;
	bool online;
	uint64_t ts;
};

/* an Intel IRTE seen by the fentry/kprobe tier (store or start-up read) */
struct r_irte {
	char iommu[16];
	uint32_t index;
	uint16_t segment;
	uint64_t lo, hi;
};

/* occurrences of an event-driven condition */
struct r_occ {
	int rule;
	char key[96];
	char what[200];
	char bdf[IT_BDF_LEN];
	int irq, vm_pid, cpu, gsi;
	uint64_t count, first_ts, last_ts;
};

/* a rate with hysteresis */
struct r_rate {
	int rule;
	char key[96];
	uint64_t base_count, base_ts;
	bool init;
	bool on;
	uint64_t above_since, below_since;
	double rate, peak;
	bool touched;		/* updated at this evaluation */
};

/* hypercall counts per VMM and class */
enum { HC_UNKNOWN_NR = 0, HC_HV_ERROR = 1 };
struct r_hc {
	int pid;
	int cls;
	uint64_t ev, agg;
};

struct r_silenced {
	int rule;
	char key[96];
};

struct it_rules {
	struct it_rules_conf conf;
	struct it_rules_env env;
	it_finding_cb cb;
	void *cb_ctx;
	uint64_t start, last_eval;
	bool have_agg_frame;

	struct r_vm *vms;
	size_t nvms;
	struct r_irq *irqs;
	size_t nirqs;
	struct r_cpu *cpus;
	size_t ncpus;
	struct r_occ *occ;
	size_t nocc;
	struct r_irte *irte;
	size_t nirte;
	bool irte_table_read;	/* an IT_EV_IRTE_TABLE of a remapping unit was seen */
	struct r_msiw {
		char bdf[IT_BDF_LEN];
		int irq, index;
		uint64_t address;
		uint32_t data;
		uint64_t ts;
	} *msiw;
	size_t nmsiw;
	struct r_rate *rates;
	size_t nrates;
	struct r_hc *hc;
	size_t nhc;
	struct it_finding *f;
	size_t nf;
	struct r_silenced *sil;
	size_t nsil;
	uint64_t silenced[IT_RULE_MAX + 1];
	bool evaluated[IT_RULE_MAX + 1];	/* at the last evaluation */
	bool oom;
};

static void *xgrow(struct it_rules *r, void *p, size_t n, size_t esz)
{
	void *np = realloc(p, (n + 1) * esz);

	if (!np) {
		r->oom = true;
		return NULL;
	}
	memset((char *)np + n * esz, 0, esz);
	return np;
}

struct it_rules *it_rules_new(const struct it_rules_conf *c)
{
	struct it_rules *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (c) {
		r->conf = *c;
		r->conf.silences = NULL;
		r->conf.nsilences = 0;
		if (c->nsilences) {
			r->conf.silences = malloc(c->nsilences * sizeof(*c->silences));
			if (!r->conf.silences) {
				free(r);
				return NULL;
			}
			memcpy(r->conf.silences, c->silences, c->nsilences * sizeof(*c->silences));
			r->conf.nsilences = c->nsilences;
		}
	} else {
		it_rules_conf_default(&r->conf);
	}
	return r;
}

void it_rules_free(struct it_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nvms; i++) {
		free(r->vms[i].vcpu_ids);
		free(r->vms[i].irqfds);
		free(r->vms[i].devs);
		free(r->vms[i].trig);
	}
	free(r->vms);
	free(r->irqs);
	free(r->cpus);
	free(r->occ);
	free(r->irte);
	free(r->msiw);
	free(r->rates);
	free(r->hc);
	free(r->f);
	free(r->sil);
	it_rules_conf_free(&r->conf);
	free(r);
}

void it_rules_set_cb(struct it_rules *r, it_finding_cb cb, void *ctx)
{
	r->cb = cb;
	r->cb_ctx = ctx;
}

void it_rules_set_start(struct it_rules *r, uint64_t ts)
{
	r->start = ts;
	if (!r->last_eval)
		r->last_eval = ts;
}

static struct r_vm *vm_get(struct it_rules *r, int pid, bool create)
{
	for (size_t i = 0; i < r->nvms; i++)
		if (r->vms[i].pid == pid)
			return &r->vms[i];
	if (!create || pid <= 0)
		return NULL;
	struct r_vm *n = xgrow(r, r->vms, r->nvms, sizeof(*n));
	if (!n)
		return NULL;
	r->vms = n;
	n = &r->vms[r->nvms++];
	n->pid = pid;
	return n;
}

static void vm_add_vcpu(struct it_rules *r, struct r_vm *v, uint32_t id)
{
	for (size_t i = 0; i < v->nvcpus; i++)
		if (v->vcpu_ids[i] == id)
			return;
	uint32_t *n = xgrow(r, v->vcpu_ids, v->nvcpus, sizeof(*n));
	if (!n)
		return;
	v->vcpu_ids = n;
	v->vcpu_ids[v->nvcpus++] = id;
}

static void vm_set_dev(struct it_rules *r, struct r_vm *v, int fd, const char *bdf)
{
	for (size_t i = 0; i < v->ndevs; i++)
		if (v->devs[i].fd == fd) {
			snprintf(v->devs[i].bdf, IT_BDF_LEN, "%s", bdf);
			return;
		}
	struct r_dev *n = xgrow(r, v->devs, v->ndevs, sizeof(*n));
	if (!n)
		return;
	v->devs = n;
	v->devs[v->ndevs].fd = fd;
	snprintf(v->devs[v->ndevs].bdf, IT_BDF_LEN, "%s", bdf);
	v->ndevs++;
}

void it_rules_set_env(struct it_rules *r, const struct it_rules_env *env)
{
	const struct it_snapshot *s;

	r->env = *env;
	s = env->snap;
	if (!s)
		return;
	/* vCPU ids and VFIO device fds of VMMs running at start */
	for (size_t i = 0; i < s->nvmms; i++) {
		const struct it_vmm *p = &s->vmms[i];
		struct r_vm *v;

		if (!p->nvms && !p->nvfio_devices)
			continue;
		v = vm_get(r, p->pid, true);
		if (!v)
			return;
		for (size_t k = 0; k < p->nfds; k++) {
			const struct it_vmm_fd *fd = &p->fds[k];

			if (fd->kind == IT_FD_KVM_VCPU && fd->num >= 0)
				vm_add_vcpu(r, v, (uint32_t)fd->num);
			else if ((fd->kind == IT_FD_VFIO_DEVICE || fd->kind == IT_FD_VFIO_CDEV) && fd->bdf[0])
				vm_set_dev(r, v, fd->fd, fd->bdf);
		}
	}
}

static struct r_irq *irq_get(struct it_rules *r, int irq)
{
	for (size_t i = 0; i < r->nirqs; i++)
		if (r->irqs[i].irq == irq)
			return &r->irqs[i];
	struct r_irq *n = xgrow(r, r->irqs, r->nirqs, sizeof(*n));
	if (!n)
		return NULL;
	r->irqs = n;
	n = &r->irqs[r->nirqs++];
	n->irq = irq;
	n->pi = -1;
	return n;
}

static struct r_irq *irq_find(const struct it_rules *r, int irq)
{
	for (size_t i = 0; i < r->nirqs; i++)
		if (r->irqs[i].irq == irq)
			return &r->irqs[i];
	return NULL;
}

static void occur(struct it_rules *r, int rule, const char *key, uint64_t ts, const char *bdf, int irq,
		  int vm_pid, int cpu, int gsi, const char *fmt, ...) __attribute__((format(printf, 10, 11)));

static void occur(struct it_rules *r, int rule, const char *key, uint64_t ts, const char *bdf, int irq,
		  int vm_pid, int cpu, int gsi, const char *fmt, ...)
{
	struct r_occ *o = NULL;
	va_list ap;

	for (size_t i = 0; i < r->nocc; i++)
		if (r->occ[i].rule == rule && !strcmp(r->occ[i].key, key))
			o = &r->occ[i];
	if (!o) {
		struct r_occ *n = xgrow(r, r->occ, r->nocc, sizeof(*n));
		if (!n)
			return;
		r->occ = n;
		o = &r->occ[r->nocc++];
		o->rule = rule;
		snprintf(o->key, sizeof(o->key), "%s", key);
		o->first_ts = ts;
	}
	o->count++;
	if (ts > o->last_ts)
		o->last_ts = ts;
	snprintf(o->bdf, sizeof(o->bdf), "%s", bdf ? bdf : "");
	o->irq = irq;
	o->vm_pid = vm_pid;
	o->cpu = cpu;
	o->gsi = gsi;
	va_start(ap, fmt);
	vsnprintf(o->what, sizeof(o->what), fmt, ap);
	va_end(ap);
}

static const char *errname(long long ret)
{
	switch (-ret) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ENOTTY: return "ENOTTY";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	return NULL;
}

static void fmt_err(char *buf, size_t len, long long ret)
{
	const char *n = errname(ret);

	if (n)
		snprintf(buf, len, "%lld (-%s)", ret, n);
	else
		snprintf(buf, len, "%lld", ret);
}

static const char *dev_of(struct r_vm *v, int fd, char *buf, size_t len)
{
	for (size_t i = v->ndevs; i-- > 0;)
		if (v->devs[i].fd == fd)
			return v->devs[i].bdf;
	snprintf(buf, len, "fd%d", fd);
	return buf;
}

static void on_set_irqs(struct it_rules *r, const struct it_ioctl_set_irqs *e)
{
	struct r_vm *v = vm_get(r, (int)e->h.pid, true);
	char tmp[IT_BDF_LEN], key[96], err[32];
	const char *bdf;
	bool msi = e->index == IT_VFIO_IRQ_INDEX_MSI || e->index == IT_VFIO_IRQ_INDEX_MSIX;
	bool eventfds = e->flags & (1u << 2);

	if (!v)
		return;
	bdf = dev_of(v, (int)e->c.fd, tmp, sizeof(tmp));
	/* DATA_NONE with count 0 disables the index; VFIO answers -EINVAL
	 * when that index is not the enabled one, and VMMs (QEMU on reset and
	 * before enabling MSI-X) issue it unconditionally: not a failure */
	if (e->c.ret == -EINVAL && !eventfds && (e->flags & 1u) && e->count == 0)
		return;
	if (e->c.ret < 0) {
		fmt_err(err, sizeof(err), e->c.ret);
		if (msi && eventfds && e->count > 0) {
			snprintf(key, sizeof(key), "vfio:%d:%s:%s", v->pid, bdf, it_vfio_irq_index_name(e->index));
			occur(r, IT_RULE_ALLOC_FAIL, key, e->h.ts, bdf[0] == 'f' ? "" : bdf, -1, v->pid, -1, -1,
			      "enabling %u %s vector(s) of %s failed: VFIO_DEVICE_SET_IRQS returned %s",
			      e->count, it_vfio_irq_index_name(e->index), bdf, err);
		} else {
			snprintf(key, sizeof(key), "set_irqs:%d:%s", v->pid, bdf);
			occur(r, IT_RULE_ROUTE_FAIL, key, e->h.ts, bdf[0] == 'f' ? "" : bdf, -1, v->pid, -1, -1,
			      "VFIO_DEVICE_SET_IRQS %s start %u count %u on %s failed: %s",
			      it_vfio_irq_index_name(e->index), e->start, e->count, bdf, err);
		}
		return;
	}
	if (!msi)
		return;
	if (!eventfds) {
		if (e->count == 0)	/* DATA_NONE, count 0: every vector of the index off */
			for (size_t i = 0; i < v->ntrig; i++)
				if (!strcmp(v->trig[i].bdf, bdf) && v->trig[i].index == (int)e->index)
					v->trig[i].efd = -1;
		return;
	}
	for (uint32_t i = 0; i < e->nfds && i < IT_MAX_IRQ_FDS; i++) {
		int entry = (int)(e->start + i);
		struct r_trig *t = NULL;

		for (size_t k = 0; k < v->ntrig; k++)
			if (!strcmp(v->trig[k].bdf, bdf) && v->trig[k].index == (int)e->index && v->trig[k].entry == entry)
				t = &v->trig[k];
		if (!t) {
			struct r_trig *n = xgrow(r, v->trig, v->ntrig, sizeof(*n));
			if (!n)
				return;
			v->trig = n;
			t = &v->trig[v->ntrig++];
			snprintf(t->bdf, sizeof(t->bdf), "%s", bdf);
			t->index = (int)e->index;
			t->entry = entry;
			t->efd = -1;
		}
		if (t->efd != e->fds[i])
			t->ts = e->h.ts;
		t->efd = e->fds[i];
	}
}

static void on_irqfd(struct it_rules *r, const struct it_ioctl_irqfd *e)
{
	struct r_vm *v = vm_get(r, (int)e->h.pid, true);
	bool deassign = e->flags & 1;
	char key[96], err[32];

	if (!v)
		return;
	if (e->c.ret < 0) {
		fmt_err(err, sizeof(err), e->c.ret);
		snprintf(key, sizeof(key), "irqfd:%d", v->pid);
		occur(r, IT_RULE_ROUTE_FAIL, key, e->h.ts, NULL, -1, v->pid, -1, (int)e->gsi,
		      "KVM_IRQFD %s of eventfd %u on gsi %u failed: %s", deassign ? "deassign" : "assign", e->efd,
		      e->gsi, err);
		return;
	}
	for (size_t i = 0; i < v->nirqfds; i++) {
		struct r_irqfd *q = &v->irqfds[i];

		if (q->active && q->efd == (int)e->efd && (!deassign || q->gsi == (int)e->gsi)) {
			if (deassign) {
				q->active = false;
				return;
			}
		}
	}
	if (deassign)
		return;
	struct r_irqfd *n = xgrow(r, v->irqfds, v->nirqfds, sizeof(*n));
	if (!n)
		return;
	v->irqfds = n;
	v->irqfds[v->nirqfds++] = (struct r_irqfd){ .efd = (int)e->efd, .gsi = (int)e->gsi, .ts = e->h.ts,
						    .active = true };
}

static void on_gsi_routing(struct it_rules *r, const struct it_ioctl_gsi_routing *e)
{
	struct r_vm *v = vm_get(r, (int)e->h.pid, true);
	char key[96], err[32];

	if (!v)
		return;
	if (e->c.ret < 0) {
		fmt_err(err, sizeof(err), e->c.ret);
		snprintf(key, sizeof(key), "gsi_routing:%d", v->pid);
		occur(r, IT_RULE_ROUTE_FAIL, key, e->h.ts, NULL, -1, v->pid, -1, -1,
		      "KVM_SET_GSI_ROUTING (%u entries) failed: %s; the previous table stays in force", e->nr, err);
		return;
	}
	v->table_seen = true;
	v->table_nr = e->nr;
	v->table_nr_msi = e->nr_msi;
	v->table_trunc = e->truncated;
}

static void on_vector(struct it_rules *r, const struct it_vector *e)
{
	char key[96], err[32];

	if (e->ret >= 0)
		return;
	fmt_err(err, sizeof(err), e->ret);
	switch (e->h.type) {
	case IT_EV_VECTOR_SETUP:
		snprintf(key, sizeof(key), "setup:%u", e->irq);
		occur(r, IT_RULE_ALLOC_FAIL, key, e->h.ts, NULL, (int)e->irq, -1, -1, -1,
		      "setting up irq %u in the vector domain failed: %s", e->irq, err);
		break;
	case IT_EV_VECTOR_ALLOC:
	case IT_EV_VECTOR_ALLOC_MANAGED:
	case IT_EV_VECTOR_RESERVE:
	case IT_EV_VECTOR_RESERVE_MANAGED:
		if (e->ret == -ENOSPC) {
			occur(r, IT_RULE_VECTOR_EXHAUSTED, "alloc-enospc", e->h.ts, NULL, (int)e->irq, -1, -1, -1,
			      "no free vector for irq %u: %s%s", e->irq, it_event_type_name(e->h.type), " returned -ENOSPC");
		} else {
			snprintf(key, sizeof(key), "alloc:%u", e->irq);
			occur(r, IT_RULE_ALLOC_FAIL, key, e->h.ts, NULL, (int)e->irq, -1, -1, -1,
			      "vector allocation for irq %u failed (%s): %s", e->irq, it_event_type_name(e->h.type), err);
		}
		break;
	default:
		break;
	}
}

static void on_matrix(struct it_rules *r, const struct it_matrix *e)
{
	struct r_cpu *c = NULL;

	for (size_t i = 0; i < r->ncpus; i++)
		if (r->cpus[i].cpu == e->cpu)
			c = &r->cpus[i];
	if (!c) {
		struct r_cpu *n = xgrow(r, r->cpus, r->ncpus, sizeof(*n));
		if (!n)
			return;
		r->cpus = n;
		c = &r->cpus[r->ncpus++];
		c->cpu = e->cpu;
	}
	c->available = e->available;
	c->online = e->online;
	c->ts = e->h.ts;
}

static bool kvm_hc_known(uint64_t nr)
{
	/* x86 KVM_HC_*: VAPIC_POLL_IRQ, KICK_CPU, CLOCK_PAIRING, SEND_IPI,
	 * SCHED_YIELD, MAP_GPA_RANGE; anything else returns -KVM_ENOSYS */
	return nr == 1 || nr == 5 || nr == 9 || nr == 10 || nr == 11 || nr == 12;
}

static struct r_hc *hc_get(struct it_rules *r, int pid, int cls)
{
	for (size_t i = 0; i < r->nhc; i++)
		if (r->hc[i].pid == pid && r->hc[i].cls == cls)
			return &r->hc[i];
	struct r_hc *n = xgrow(r, r->hc, r->nhc, sizeof(*n));
	if (!n)
		return NULL;
	r->hc = n;
	n = &r->hc[r->nhc++];
	n->pid = pid;
	n->cls = cls;
	return n;
}

static void pi_state(struct it_rules *r, uint64_t ts, uint32_t host_irq, bool set, uint32_t gsi, uint32_t gvec,
		     int vcpu)
{
	struct r_irq *q = irq_get(r, (int)host_irq);

	if (!q)
		return;
	if (set)
		q->pi_was_on = true;
	else if (q->pi != 0)
		q->pi_off_ts = ts;
	q->pi = set ? 1 : 0;
	q->pi_gsi = gsi;
	q->pi_gvec = gvec;
	q->pi_vcpu = vcpu;
}

static void full_bdf(char *buf, size_t len, uint16_t seg, uint8_t bus, uint8_t devfn)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", seg, bus, devfn >> 3, devfn & 7);
}

static void on_irte(struct it_rules *r, const struct it_irte *e)
{
	struct r_irte *x = NULL;

	if (e->vendor != IT_IRTE_INTEL)
		return;	/* AMD IRTEs carry no source validation */
	for (size_t i = 0; i < r->nirte; i++)
		if (r->irte[i].index == e->index && r->irte[i].segment == e->segment &&
		    !strncmp(r->irte[i].iommu, e->iommu, sizeof(e->iommu)))
			x = &r->irte[i];
	if (!x) {
		struct r_irte *n = xgrow(r, r->irte, r->nirte, sizeof(*n));
		if (!n)
			return;
		r->irte = n;
		x = &r->irte[r->nirte++];
		snprintf(x->iommu, sizeof(x->iommu), "%.*s", (int)strnlen(e->iommu, sizeof(e->iommu)), e->iommu);
		x->index = e->index;
		x->segment = e->segment;
	}
	x->lo = e->new_lo;
	x->hi = e->new_hi;
}

static void on_msi_write(struct it_rules *r, const struct it_msi_msg *e)
{
	struct r_msiw *w = NULL;
	char bdf[IT_BDF_LEN];

	if (!(e->flags & IT_MSI_F_BDF))
		return;
	full_bdf(bdf, sizeof(bdf), e->segment, e->bus, e->devfn);
	for (size_t i = 0; i < r->nmsiw; i++)
		if ((int)e->irq == r->msiw[i].irq && !strcmp(r->msiw[i].bdf, bdf))
			w = &r->msiw[i];
	if (!w) {
		struct r_msiw *n = xgrow(r, r->msiw, r->nmsiw, sizeof(*n));
		if (!n)
			return;
		r->msiw = n;
		w = &r->msiw[r->nmsiw++];
		snprintf(w->bdf, sizeof(w->bdf), "%s", bdf);
		w->irq = (int)e->irq;
	}
	w->index = e->flags & IT_MSI_F_INDEX ? (int)e->msi_index : -1;
	w->address = ((uint64_t)e->address_hi << 32) | e->address_lo;
	w->data = e->data;
	w->ts = e->h.ts;
}

static void on_vfio_vector(struct it_rules *r, const struct it_vfio_vector *e)
{
	struct r_vm *v = vm_get(r, (int)e->h.pid, true);
	char bdf[IT_BDF_LEN], key[96], err[32];
	int index = e->msix ? IT_VFIO_IRQ_INDEX_MSIX : IT_VFIO_IRQ_INDEX_MSI;
	struct r_trig *t = NULL;

	if (!v)
		return;
	full_bdf(bdf, sizeof(bdf), e->segment, e->bus, e->devfn);
	if (e->ret < 0) {
		fmt_err(err, sizeof(err), e->ret);
		snprintf(key, sizeof(key), "vfio-vector:%d:%s:%u", v->pid, bdf, e->vector);
		occur(r, IT_RULE_ALLOC_FAIL, key, e->h.ts, bdf, (int)e->host_irq ? (int)e->host_irq : -1, v->pid, -1, -1,
		      "VFIO could not set up %s vector %u of %s: %s", e->msix ? "MSI-X" : "MSI", e->vector, bdf, err);
		return;
	}
	for (size_t k = 0; k < v->ntrig; k++)
		if (!strcmp(v->trig[k].bdf, bdf) && v->trig[k].index == index && v->trig[k].entry == (int)e->vector)
			t = &v->trig[k];
	if (!t) {
		struct r_trig *n = xgrow(r, v->trig, v->ntrig, sizeof(*n));
		if (!n)
			return;
		v->trig = n;
		t = &v->trig[v->ntrig++];
		snprintf(t->bdf, sizeof(t->bdf), "%s", bdf);
		t->index = index;
		t->entry = (int)e->vector;
		t->efd = -1;
	}
	if (t->efd != e->fd)
		t->ts = e->h.ts;
	t->efd = e->fd < 0 ? -1 : e->fd;
}

static void on_domain_alloc(struct it_rules *r, const struct it_domain_alloc *e)
{
	char key[96], err[32], dom[40];

	if (e->ret >= 0)
		return;
	fmt_err(err, sizeof(err), e->ret);
	snprintf(dom, sizeof(dom), "%.*s", (int)strnlen(e->domain, sizeof(e->domain)), e->domain);
	snprintf(key, sizeof(key), "domain:%s:%u", dom, e->h.type);
	occur(r, IT_RULE_ALLOC_FAIL, key, e->h.ts, NULL, -1, -1, -1, -1, "%s of %u irq(s) in %s%s failed: %s",
	      e->h.type == IT_EV_MSI_DOMAIN_ALLOC ? (e->domid == 1 ? "IMS allocation" : "MSI allocation") : "irq domain allocation",
	      e->nr_irqs, dom[0] ? dom : "?", e->h.type == IT_EV_MSI_DOMAIN_ALLOC && e->kind == IT_MSI_ALLOC_AT ? " (dynamic)" : "",
	      err);
}

#define LEN_OK(h, T) ((h)->len >= sizeof(struct T))

void it_rules_event(struct it_rules *r, const struct it_hdr *h)
{
	if (h->len < sizeof(*h))
		return;
	if (h->type >= IT_EV_RESERVED_FIRST && h->type <= IT_EV_RESERVED_LAST) {
		switch (h->type) {
		case IT_EV_IRTE_WRITE:
		case IT_EV_IRTE_SNAP:
			if (LEN_OK(h, it_irte))
				on_irte(r, (const void *)h);
			break;
		case IT_EV_IRTE_TABLE:
			if (LEN_OK(h, it_irte_table) && ((const struct it_irte_table *)h)->vendor)
				r->irte_table_read = true;
			break;
		case IT_EV_MSI_WRITE:
			if (LEN_OK(h, it_msi_msg))
				on_msi_write(r, (const void *)h);
			break;
		case IT_EV_VFIO_VECTOR:
			if (LEN_OK(h, it_vfio_vector))
				on_vfio_vector(r, (const void *)h);
			break;
		case IT_EV_DOMAIN_ALLOC:
		case IT_EV_MSI_DOMAIN_ALLOC:
			if (LEN_OK(h, it_domain_alloc))
				on_domain_alloc(r, (const void *)h);
			break;
		case IT_EV_KVM_PI_UPDATE:
			if (LEN_OK(h, it_kvm_pi_update)) {
				const struct it_kvm_pi_update *e = (const void *)h;
				if (e->ret >= 0)
					pi_state(r, h->ts, e->host_irq, e->set, e->guest_irq, 0, -1);
			}
			break;
		}
		return;
	}
	unsigned int min = it_event_min_len(h->type);

	if (!min || h->len < min)
		return;
	switch (h->type) {
	case IT_EV_IRQ_EXIT: {
		const struct it_irq_exit *e = (const void *)h;
		if (e->ret == 0) {
			struct r_irq *q = irq_get(r, e->irq);
			if (q)
				q->unhandled++;
		}
		break;
	}
	case IT_EV_VECTOR_SETUP ... IT_EV_VECTOR_FREE_MOVED:
		on_vector(r, (const void *)h);
		break;
	case IT_EV_MATRIX_ALLOC ... IT_EV_MATRIX_ASSIGN:
		on_matrix(r, (const void *)h);
		break;
	case IT_EV_KVM_PI_IRTE: {
		const struct it_kvm_pi_irte *e = (const void *)h;
		pi_state(r, h->ts, e->host_irq, e->set, e->gsi, e->gvec, e->vcpu_id);
		break;
	}
	case IT_EV_HC_KVM: {
		const struct it_hypercall *e = (const void *)h;
		if (!kvm_hc_known(e->nr)) {
			struct r_hc *c = hc_get(r, (int)h->pid, HC_UNKNOWN_NR);
			if (c)
				c->ev++;
		}
		break;
	}
	case IT_EV_HC_HV_DONE: {
		const struct it_hypercall *e = (const void *)h;
		if (e->ret != 0) {
			struct r_hc *c = hc_get(r, (int)h->pid, HC_HV_ERROR);
			if (c)
				c->ev++;
		}
		break;
	}
	case IT_EV_IOCTL_CREATE_VM: {
		const struct it_ioctl_simple *e = (const void *)h;
		struct r_vm *v = e->c.ret >= 0 ? vm_get(r, (int)h->pid, true) : NULL;
		if (v)
			v->created_seen = true;
		break;
	}
	case IT_EV_IOCTL_CREATE_VCPU: {
		const struct it_ioctl_simple *e = (const void *)h;
		struct r_vm *v = e->c.ret >= 0 ? vm_get(r, (int)h->pid, true) : NULL;
		if (v && e->arg <= UINT32_MAX)
			vm_add_vcpu(r, v, (uint32_t)e->arg);
		break;
	}
	case IT_EV_IOCTL_GET_DEVICE_FD: {
		const struct it_ioctl_get_device_fd *e = (const void *)h;
		struct r_vm *v = e->c.ret >= 0 ? vm_get(r, (int)h->pid, true) : NULL;
		char bdf[IT_BDF_LEN];
		if (!v)
			break;
		if (it_bdf_parse(e->name, strnlen(e->name, sizeof(e->name)), bdf))
			snprintf(bdf, sizeof(bdf), "%.*s", (int)strnlen(e->name, IT_BDF_LEN - 1), e->name);
		vm_set_dev(r, v, (int)e->c.ret, bdf);
		break;
	}
	case IT_EV_IOCTL_SET_IRQS:
		on_set_irqs(r, (const void *)h);
		break;
	case IT_EV_IOCTL_IRQFD:
		on_irqfd(r, (const void *)h);
		break;
	case IT_EV_IOCTL_GSI_ROUTING:
		on_gsi_routing(r, (const void *)h);
		break;
	default:
		break;
	}
}

void it_rules_agg(struct it_rules *r, const struct it_agg_frame *f)
{
	/* cumulative: recompute the per-VMM totals from this frame */
	for (size_t i = 0; i < r->nhc; i++)
		r->hc[i].agg = 0;
	r->have_agg_frame = true;
	for (size_t i = 0; i < f->ncnt; i++) {
		const struct it_agg_cnt *c = &f->cnt[i];
		struct r_hc *h = NULL;

		if (c->k.type == IT_EV_HC_KVM && !kvm_hc_known(c->k.a))
			h = hc_get(r, (int)c->k.pid, HC_UNKNOWN_NR);
		else if (c->k.type == IT_EV_HC_HV_DONE && c->k.a != 0)
			h = hc_get(r, (int)c->k.pid, HC_HV_ERROR);
		if (h)
			h->agg += c->st.count;
	}
}

/* ------------------------------------------------------------------ findings */

struct r_match {
	int rule;
	char key[96];
	char msg[224];
	const char *bdf;
	int irq, vm_pid, cpu, gsi;
	const char *vm;
	double value;
};

static void m_msg(struct r_match *mt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* messages may be cut at the end; that is fine for one line */
static void m_msg(struct r_match *mt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mt->msg, sizeof(mt->msg), fmt, ap);
	va_end(ap);
}

static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void m_init(struct r_match *mt, int rule)
{
	memset(mt, 0, sizeof(*mt));
	mt->rule = rule;
	mt->irq = mt->vm_pid = mt->cpu = mt->gsi = -1;
}

static bool silenced(const struct it_rules *r, const struct r_match *mt)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", mt->vm_pid);
	for (size_t i = 0; i < r->conf.nsilences; i++) {
		const struct it_silence *s = &r->conf.silences[i];
		bool hit = false;

		if (s->rule && s->rule != mt->rule)
			continue;
		if (s->device[0] && mt->bdf && !strcmp(s->device, mt->bdf))
			hit = true;
		if (s->vm[0] && ((mt->vm && !strcmp(s->vm, mt->vm)) || (mt->vm_pid > 0 && !strcmp(s->vm, pid))))
			hit = true;
		if (!s->device[0] && !s->vm[0])
			hit = true;	/* a rule-wide silence */
		if (hit)
			return true;
	}
	return false;
}

static int match(struct it_rules *r, const struct r_match *mt, uint64_t now)
{
	struct it_finding *f = NULL;

	if (r->env.only_pid > 0 && mt->vm_pid > 0 && mt->vm_pid != r->env.only_pid)
		return 0;
	if (silenced(r, mt)) {
		for (size_t i = 0; i < r->nsil; i++)
			if (r->sil[i].rule == mt->rule && !strcmp(r->sil[i].key, mt->key))
				return 0;
		struct r_silenced *n = xgrow(r, r->sil, r->nsil, sizeof(*n));
		if (!n)
			return 0;
		r->sil = n;
		r->sil[r->nsil].rule = mt->rule;
		snprintf(r->sil[r->nsil].key, sizeof(r->sil[0].key), "%s", mt->key);
		r->nsil++;
		r->silenced[mt->rule]++;
		return 0;
	}
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].rule == mt->rule && !strcmp(r->f[i].key, mt->key)) {
			f = &r->f[i];
			break;
		}
	if (!f) {
		struct it_finding *n = xgrow(r, r->f, r->nf, sizeof(*n));
		if (!n)
			return 0;
		r->f = n;
		f = &r->f[r->nf++];
		f->rule = mt->rule;
		snprintf(f->key, sizeof(f->key), "%s", mt->key);
		f->first_ts = now;
	}
	f->severity = r->conf.rule[mt->rule].severity;
	snprintf(f->msg, sizeof(f->msg), "%s", mt->msg);
	/* a VM known only by its pid: "VM pid 7 (pid 7)" -> "VM pid 7" */
	if (mt->vm_pid > 0) {
		char twice[48];
		char *p;
		int n = snprintf(twice, sizeof(twice), "pid %d (pid %d)", mt->vm_pid, mt->vm_pid);

		if (n > 0 && (p = strstr(f->msg, twice)))
			memmove(p + n / 2 - 1, p + n, strlen(p + n) + 1);
	}
	snprintf(f->bdf, sizeof(f->bdf), "%s", mt->bdf ? mt->bdf : "");
	snprintf(f->vm, sizeof(f->vm), "%s", mt->vm ? mt->vm : "");
	f->irq = mt->irq;
	f->vm_pid = mt->vm_pid;
	f->cpu = mt->cpu;
	f->gsi = mt->gsi;
	f->value = mt->value;
	f->last_ts = now;
	f->seen = true;
	if (f->active)
		return 0;
	f->active = true;
	f->cleared_ts = 0;
	f->raised++;
	if (r->cb)
		r->cb(r->cb_ctx, f, true, now);
	return 1;
}

/* ------------------------------------------------------------------ coverage */

static bool snap_vmm_known(const struct it_rules *r)
{
	return r->env.snap && r->env.snap->vmm_src.known;
}

static void textf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void textf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Can the rule be evaluated?  reason: why not, or what it cannot see. */
static bool coverage(const struct it_rules *r, int id, char *reason, size_t len)
{
	const struct it_snapshot *s = r->env.snap;
	unsigned int h = r->env.hops;
	bool ok = true;

	reason[0] = 0;
#define NEED(cond, ...)                                         \
	do {                                                    \
		if (!(cond)) {                                  \
			textf(reason, len, __VA_ARGS__);        \
			return false;                           \
		}                                               \
	} while (0)
#define NOTE(...) textf(reason, len, __VA_ARGS__)
	switch (id) {
	case IT_RULE_IRTE_NO_SVT: {
		bool dump = s && s->irte.src.known && s->irte.n;
		NEED(dump || (h & IT_HOPB_IRTE_WRITE),
		     "IRTE contents unknown: %s, and reading IRTEs needs the fentry/kprobe tier (modify_irte), "
		     "which is not attached",
		     !s ? "no snapshot" : "no IOMMU debugfs IRTE dump in the snapshot (kernel built without "
					  "CONFIG_IOMMU_DEBUGFS, or no IOMMU)");
		NEED(snap_vmm_known(r) || (h & IT_HOPB_VMM_IOCTL), "device owners unknown: no VMM fd scan and no vmm-ioctl hook");
		if (!(h & IT_HOPB_IRTE_WRITE) && s->irte.fmt != IT_IRTE_FMT_INTEL)
			NOTE("AMD IRTEs have no source-id validation field (the device table validates): nothing to check");
		else if (!dump && !r->irte_table_read)
			NOTE("IRTEs written before start are unknown until the start-up table read or their next write");
		break;
	}
	case IT_RULE_COMPAT_MSI:
		NEED(s && s->ir.src.known && s->ir.mode != IT_IR_UNKNOWN, "interrupt-remapping mode unknown%s%s",
		     s && s->ir.src.reason[0] ? ": " : "", s ? s->ir.src.reason : " (no snapshot)");
		NEED(s->interrupts_src.known || (h & IT_HOPB_MSI_WRITE), "/proc/interrupts was not read (%s) and the "
		     "msi-write hook is not attached", s->interrupts_src.reason);
		if (s->ir.mode == IT_IR_NONE)
			NOTE("interrupt remapping is off here: no message can bypass it (IRT003 covers this platform)");
		else if (!(h & IT_HOPB_MSI_WRITE))
			NOTE("checks the irqs present at start by their chip (IR- prefix); messages written later need "
			     "the msi-write hook (__pci_write_msi_msg, fentry/kprobe tier), not attached");
		break;
	case IT_RULE_UNISOLATED_MSI:
		NEED(s && s->ir.src.known && s->ir.mode != IT_IR_UNKNOWN, "interrupt-remapping mode unknown%s%s",
		     s && s->ir.src.reason[0] ? ": " : "", s ? s->ir.src.reason : " (no snapshot)");
		NEED(snap_vmm_known(r) || (h & IT_HOPB_VMM_IOCTL),
		     "device assignment unknown: no VMM fd scan and no vmm-ioctl hook");
		NOTE("judged on the platform (no remapping, or a VFIO no-IOMMU group); whether the MSI-X table "
		     "page itself is mapped to the guest is VFIO-internal and not observed");
		break;
	case IT_RULE_SHARED_VECTOR:
		NEED(h & IT_HOPB_VECTOR, "host vectors unknown: the irq_vectors tracepoints are not attached");
		NOTE("irqs whose vector has not moved since start have no known vector (no irq debugfs)");
		break;
	case IT_RULE_ISOLATED_CPU:
		NEED(s && (s->cpus.isolated_src.known || s->cpus.nohz_full_src.known),
		     "isolated/nohz_full CPU lists unknown%s%s", s ? ": " : " (no snapshot)",
		     s ? s->cpus.isolated_src.reason : "");
		NEED(snap_vmm_known(r) || (h & IT_HOPB_VMM_IOCTL), "device owners unknown: no VMM fd scan and no vmm-ioctl hook");
		NOTE("VM cpusets are not in the snapshot: 'outside the VM's cpuset' is not checked");
		break;
	case IT_RULE_POSTED_FALLBACK:
		NEED(h & IT_HOPB_POSTED_IRTE, "posted-interrupt updates unseen: kvm:kvm_pi_irte_update is not attached");
		break;
	case IT_RULE_EVENTFD_DETOUR:
		NEED(h & IT_HOPB_VMM_IOCTL,
		     "eventfd bindings unseen: the vmm-ioctl hooks (VFIO_DEVICE_SET_IRQS, KVM_IRQFD) are not attached");
		NEED(h & IT_HOPB_HOST_HANDLER, "traffic on VFIO vectors unseen: irq:irq_handler_entry is not attached");
		NOTE("bindings made before start are not known");
		break;
	case IT_RULE_STORM:
		NEED(h & (IT_HOPB_HOST_HANDLER | IT_HOPB_KVM_INJECTION),
		     "no interrupt counts: neither irq:irq_handler_* nor kvm:kvm_msi_set_irq is attached");
		if (!(h & IT_HOPB_HOST_HANDLER))
			NOTE("host irqs not counted (irq:irq_handler_* not attached); guest injections only");
		else if (!(h & IT_HOPB_KVM_INJECTION))
			NOTE("guest injections not counted (kvm:kvm_msi_set_irq not attached); host irqs only");
		break;
	case IT_RULE_ALLOC_FAIL:
		NEED(h & (IT_HOPB_VECTOR | IT_HOPB_VMM_IOCTL | IT_HOPB_DOMAIN_ALLOC),
		     "allocations unseen: neither irq_vectors tracepoints, vmm-ioctl nor domain-alloc hooks are attached");
		if (!(h & IT_HOPB_DOMAIN_ALLOC))
			NOTE("irq domain / IMS allocation failures need the domain-alloc hooks (fentry/kprobe tier), "
			     "not attached; vector and VFIO failures are checked");
		break;
	case IT_RULE_HYPERCALL:
		NEED(h & IT_HOPB_HYPERCALL, "hypercalls unseen: the kvm hypercall tracepoints are not attached");
		NEED(r->env.have_agg || r->env.full, "hypercall counts unavailable: no aggregates and no full stream");
		NOTE("KVM: unknown hypercall numbers; Hyper-V: failed hypercalls; Xen results are not traced");
		break;
	case IT_RULE_RESERVED_VECTOR:
	case IT_RULE_BAD_ADDRESS:
	case IT_RULE_IRQFD_UNROUTED:
	case IT_RULE_ROUTE_FAIL:
		NEED(h & IT_HOPB_VMM_IOCTL, "VMM routing ioctls unseen: syscalls:sys_{enter,exit}_ioctl are not attached");
		if (id == IT_RULE_IRQFD_UNROUTED)
			NOTE("only non-MSI routing entries' count is known: a GSI below 24 is taken to be an irqchip pin");
		break;
	case IT_RULE_BAD_DEST:
		NEED(h & IT_HOPB_VMM_IOCTL, "VMM routing ioctls unseen: syscalls:sys_{enter,exit}_ioctl are not attached");
		NOTE("physical destinations only (logical ones are masks); VMs whose vCPUs are unknown are skipped");
		break;
	case IT_RULE_UNHANDLED:
		NEED(h & IT_HOPB_HOST_HANDLER, "handler results unseen: irq:irq_handler_exit is not attached");
		NEED(r->env.full, "handler return values are aggregated away unless every event is streamed "
				  "(check --full, record --full)");
		break;
	case IT_RULE_DOORBELL_SHARED:
	case IT_RULE_DOORBELL_PHYS:
		NEED(h & IT_HOPB_MSI_COMPOSE, "MSI doorbells unseen: the msi-compose hooks (its_irq_compose_msi_msg, "
		     "iommu_dma_compose_msi_msg; fentry/kprobe tier) are not attached");
		NOTE("sees the doorbells of interrupts activated while tracing (an IOMMU-DMA platform: arm64 ITS)");
		break;
	case IT_RULE_VECTOR_EXHAUSTED:
		NEED(h & (IT_HOPB_VECTOR_MATRIX | IT_HOPB_VECTOR),
		     "vector space unseen: the irq_matrix and irq_vectors tracepoints are not attached");
		if (!(h & IT_HOPB_VECTOR_MATRIX))
			NOTE("free-vector counts need irq_matrix tracepoints (not attached); only -ENOSPC failures are seen");
		break;
	default:
		ok = false;
		NOTE("unknown rule");
	}
#undef NEED
#undef NOTE
	return ok;
}

/* ------------------------------------------------------------------ rate tracking */

static struct r_rate *rate_get(struct it_rules *r, int rule, const char *key)
{
	for (size_t i = 0; i < r->nrates; i++)
		if (r->rates[i].rule == rule && !strcmp(r->rates[i].key, key))
			return &r->rates[i];
	struct r_rate *n = xgrow(r, r->rates, r->nrates, sizeof(*n));
	if (!n)
		return NULL;
	r->rates = n;
	n = &r->rates[r->nrates++];
	n->rule = rule;
	snprintf(n->key, sizeof(n->key), "%s", key);
	return n;
}

/*
 * Feed a cumulative count at data time now.  A counter first seen starts
 * from 0 at the previous evaluation (it counted since then at most).
 * Returns whether the condition is on.
 */
static bool rate_feed(struct it_rules *r, struct r_rate *t, uint64_t count, uint64_t now)
{
	const struct it_rule_conf *c = &r->conf.rule[t->rule];
	uint64_t hold = (uint64_t)(c->for_secs * 1e9);
	double lo = c->clear_rate > 0 && c->clear_rate <= c->rate ? c->clear_rate : c->rate;

	t->touched = true;
	if (!t->init) {
		t->init = true;
		t->base_count = 0;
		t->base_ts = r->last_eval && r->last_eval < now ? r->last_eval : r->start;
		if (!t->base_ts || t->base_ts >= now) {
			t->base_ts = now;
			t->base_count = count;
			return t->on;
		}
	}
	if (count < t->base_count) {	/* counter reset */
		t->base_count = count;
		t->base_ts = now;
		return t->on;
	}
	if (now < t->base_ts + MIN_RATE_INTERVAL_NS)
		return t->on;
	uint64_t from = t->base_ts;
	t->rate = (double)(count - t->base_count) * 1e9 / (double)(now - from);
	if (t->rate > t->peak)
		t->peak = t->rate;
	t->base_count = count;
	t->base_ts = now;
	if (!t->on) {
		if (t->rate >= c->rate) {
			if (!t->above_since)
				t->above_since = from;
			if (now - t->above_since >= hold) {
				t->on = true;
				t->below_since = 0;
			}
		} else {
			t->above_since = 0;
		}
	} else {
		if (t->rate < lo) {
			if (!t->below_since)
				t->below_since = from;
			if (now - t->below_since >= hold) {
				t->on = false;
				t->above_since = 0;
			}
		} else {
			t->below_since = 0;
		}
	}
	return t->on;
}

static void fmt_rate(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.1f", v);
}

/* ------------------------------------------------------------------ rule bodies */

struct evalctx {
	struct it_rules *r;
	uint64_t now;
	struct it_route *rt;
	size_t nrt;
	struct it_vm_info *vms;
	size_t nvms;
	int transitions;
};

static const char *vm_name(const struct evalctx *x, int pid)
{
	for (size_t i = 0; i < x->nvms; i++)
		if (x->vms[i].pid == pid)
			return x->vms[i].name;
	return NULL;
}

static const struct it_vm_info *vm_info(const struct evalctx *x, int pid)
{
	for (size_t i = 0; i < x->nvms; i++)
		if (x->vms[i].pid == pid)
			return &x->vms[i];
	return NULL;
}

static void emit(struct evalctx *x, struct r_match *mt)
{
	x->transitions += match(x->r, mt, x->now);
}

/* "irq 30 (vfio-msix[0](0000:00:03.0))" */
static void irq_desc(char *buf, size_t len, const struct it_route *h)
{
	if (h->name[0])
		snprintf(buf, len, "irq %d (%s)", h->irq, h->name);
	else if (h->bdf[0])
		snprintf(buf, len, "irq %d (%s)", h->irq, h->bdf);
	else
		snprintf(buf, len, "irq %d", h->irq);
}

static void owner_desc(char *buf, size_t len, const struct it_route *h)
{
	if (h->owner_vm)
		snprintf(buf, len, "VM %s (pid %d)", h->owner_name, h->owner_pid);
	else
		snprintf(buf, len, "host driver %s", h->owner_name[0] ? h->owner_name : "?");
}

/* Intel's debugfs prints no PCI segment: compare bus:dev.fn */
static bool same_bus_dev_fn(const char *a, const char *b)
{
	const char *pa = strchr(a, ':'), *pb = strchr(b, ':');

	return pa && pb && !strcmp(pa, pb);
}

/* Route i, when it is the first host route of a device assigned to a VM
 * (the IRTE rules speak once per device) */
static const struct it_route *vm_device_route(const struct evalctx *x, size_t i)
{
	const struct it_route *h = &x->rt[i];

	if (h->rk != IT_ROUTE_HOST || !h->owner_vm || !h->bdf[0])
		return NULL;
	for (size_t k = 0; k < i; k++)
		if (x->rt[k].rk == IT_ROUTE_HOST && x->rt[k].owner_vm && !strcmp(x->rt[k].bdf, h->bdf))
			return NULL;
	return h;
}

static void emit_no_svt(struct evalctx *x, const struct it_route *h, const char *iommu, unsigned int index)
{
	struct r_match mt;

	m_init(&mt, IT_RULE_IRTE_NO_SVT);
	snprintf(mt.key, sizeof(mt.key), "%s:%s:%u", h->bdf, iommu, index);
	mt.bdf = h->bdf;
	mt.vm_pid = h->owner_pid;
	mt.vm = h->owner_name;
	m_msg(&mt,
	      "IRTE %u (%s) of %s, assigned to VM %s (pid %d), has source-id validation off (SVT=0): "
	      "any device can raise this interrupt",
	      index, iommu[0] ? iommu : "iommu", h->bdf, h->owner_name, h->owner_pid);
	emit(x, &mt);
}

/* IRTEs written since start (IRTE write events) */
static void r_irte_events_no_svt(struct evalctx *x)
{
	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *h = vm_device_route(x, i);

		for (size_t k = 0; h && k < x->r->nirte; k++) {
			const struct r_irte *e = &x->r->irte[k];
			unsigned int sid = (unsigned int)(e->hi & 0xffff), svt = (unsigned int)((e->hi >> 18) & 3);
			char sbdf[IT_BDF_LEN];

			full_bdf(sbdf, sizeof(sbdf), e->segment, (uint8_t)(sid >> 8), (uint8_t)(sid & 0xff));
			if ((e->lo & 1) && svt == 0 && !strcmp(sbdf, h->bdf))
				emit_no_svt(x, h, e->iommu, e->index);
		}
	}
}

static void r_irte_no_svt(struct evalctx *x)
{
	const struct it_snapshot *s = x->r->env.snap;

	r_irte_events_no_svt(x);
	if (!s || s->irte.fmt != IT_IRTE_FMT_INTEL)
		return;
	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *h = vm_device_route(x, i);

		for (size_t k = 0; h && k < s->irte.n; k++) {
			const struct it_snap_irte *e = &s->irte.e[k];

			if (e->present && e->svt == 0 && same_bus_dev_fn(e->sid_bdf, h->bdf))
				emit_no_svt(x, h, e->iommu, e->index);
		}
	}
}

static void r_compat_msi(struct evalctx *x)
{
	const struct it_snapshot *s = x->r->env.snap;
	enum it_ir_mode m = s->ir.mode;

	if (m != IT_IR_INTEL && m != IT_IR_AMD && m != IT_IR_OTHER)
		return;	/* remapping is off: IRT003's business */
	/* messages written since start (Intel: AMD-Vi remaps every format) */
	for (size_t i = 0; m == IT_IR_INTEL && i < x->r->nmsiw; i++) {
		const struct r_msiw *w = &x->r->msiw[i];
		struct it_msi_decoded d;
		struct r_match mt;

		it_msi_decode(w->address, w->data, &d);
		if (!d.window || d.remappable)
			continue;
		m_init(&mt, IT_RULE_COMPAT_MSI);
		snprintf(mt.key, sizeof(mt.key), "irq:%d", w->irq);
		mt.bdf = w->bdf;
		mt.irq = w->irq;
		for (size_t k = 0; k < x->nrt; k++)
			if (x->rt[k].rk == IT_ROUTE_HOST && x->rt[k].irq == w->irq && x->rt[k].owner_vm) {
				mt.vm = x->rt[k].owner_name;
				mt.vm_pid = x->rt[k].owner_pid;
			}
		m_msg(&mt,
		      "%s entry %d (irq %d) was written a compatibility-format MSI %#llx/%#x (APIC %u vector %#x) "
		      "although remapping is on: nothing validates its source",
		      w->bdf, w->index, w->irq, (unsigned long long)w->address, w->data, d.dest, d.vector);
		emit(x, &mt);
	}
	for (size_t i = 0; s->interrupts_src.known && i < s->nirqs; i++) {
		const struct it_irq *q = &s->irqs[i];
		struct r_match mt;
		const char *owner = NULL;
		int pid = -1;

		if ((q->kind != IT_IRQ_MSI && q->kind != IT_IRQ_MSIX) || q->remapped || !q->bdf[0])
			continue;
		/* the IOMMU's own interrupt (AMD-Vi is a PCI function with a plain
		 * PCI-MSI) cannot be remapped by the unit that raises it */
		if (q->handler && !strncmp(q->handler, "AMD-Vi", 6))
			continue;
		for (size_t k = 0; k < x->nrt; k++)
			if (x->rt[k].rk == IT_ROUTE_HOST && x->rt[k].irq == q->irq && x->rt[k].owner_vm) {
				owner = x->rt[k].owner_name;
				pid = x->rt[k].owner_pid;
			}
		m_init(&mt, IT_RULE_COMPAT_MSI);
		snprintf(mt.key, sizeof(mt.key), "irq:%d", q->irq);
		mt.bdf = q->bdf;
		mt.irq = q->irq;
		mt.vm_pid = pid;
		mt.vm = owner;
		m_msg(&mt,
			 "irq %d of %s (chip %s) uses a compatibility-format MSI although %s remapping is on: "
			 "nothing validates its source%s%s",
			 q->irq, q->bdf, q->chip, it_ir_mode_str(m), owner ? "; the device belongs to VM " : "",
			 owner ? owner : "");
		emit(x, &mt);
	}
}

static void r_unisolated(struct evalctx *x)
{
	const struct it_snapshot *s = x->r->env.snap;
	bool no_ir = s->ir.mode == IT_IR_NONE;

	/* devices held through VFIO by a VM, from the route table (events and snapshot) */
	for (size_t i = 0; no_ir && i < x->nrt; i++) {
		const struct it_route *h = &x->rt[i];
		struct r_match mt;

		if (h->rk != IT_ROUTE_HOST || !h->owner_vm || !h->bdf[0])
			continue;
		m_init(&mt, IT_RULE_UNISOLATED_MSI);
		snprintf(mt.key, sizeof(mt.key), "%d:%s", h->owner_pid, h->bdf);
		mt.bdf = h->bdf;
		mt.vm_pid = h->owner_pid;
		mt.vm = h->owner_name;
		m_msg(&mt,
			 "%s is assigned to VM %s (pid %d) but interrupt remapping is off: the guest can make the "
			 "device write any MSI, to any host CPU and vector",
			 h->bdf, h->owner_name, h->owner_pid);
		emit(x, &mt);
	}
	/* VFIO devices of running VMMs with no MSI enabled yet, and no-IOMMU groups */
	for (size_t i = 0; i < s->nvmms; i++) {
		const struct it_vmm *p = &s->vmms[i];

		if (!p->nvms)
			continue;
		for (size_t k = 0; k < p->nfds; k++) {
			const struct it_vmm_fd *fd = &p->fds[k];
			struct r_match mt;
			const char *bdf = fd->bdf;

			if (fd->kind == IT_FD_VFIO_GROUP && fd->noiommu && fd->ngroup_bdfs)
				bdf = fd->group_bdfs[0];
			else if (!no_ir || (fd->kind != IT_FD_VFIO_DEVICE && fd->kind != IT_FD_VFIO_CDEV))
				continue;
			if (!bdf[0])
				continue;
			m_init(&mt, IT_RULE_UNISOLATED_MSI);
			snprintf(mt.key, sizeof(mt.key), "%d:%s", p->pid, bdf);
			mt.bdf = bdf;
			mt.vm_pid = p->pid;
			mt.vm = vm_name(x, p->pid);
			m_msg(&mt,
				 "%s is assigned to VM %s (pid %d) %s: the guest can make the device write any MSI, to "
				 "any host CPU and vector",
				 bdf, mt.vm ? mt.vm : p->comm, p->pid,
				 fd->noiommu ? "through a VFIO no-IOMMU group" : "but interrupt remapping is off");
			emit(x, &mt);
		}
	}
}

static void r_shared_vector(struct evalctx *x)
{
	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *a = &x->rt[i];

		if (a->rk != IT_ROUTE_HOST || a->cpu < 0 || a->vector < 0)
			continue;
		for (size_t k = i + 1; k < x->nrt; k++) {
			const struct it_route *b = &x->rt[k];
			char da[96], db[96], oa[96], ob[96];
			struct r_match mt;

			if (b->rk != IT_ROUTE_HOST || b->cpu != a->cpu || b->vector != a->vector || b->irq == a->irq)
				continue;
			if (a->owner_vm == b->owner_vm && (!a->owner_vm || a->owner_pid == b->owner_pid))
				continue;	/* one owner */
			irq_desc(da, sizeof(da), a);
			irq_desc(db, sizeof(db), b);
			owner_desc(oa, sizeof(oa), a);
			owner_desc(ob, sizeof(ob), b);
			m_init(&mt, IT_RULE_SHARED_VECTOR);
			snprintf(mt.key, sizeof(mt.key), "%d:%d", a->cpu, a->vector);
			mt.cpu = a->cpu;
			mt.irq = a->irq;
			mt.bdf = a->owner_vm ? a->bdf : b->bdf;
			mt.vm_pid = a->owner_vm ? a->owner_pid : b->owner_pid;
			mt.vm = a->owner_vm ? a->owner_name : b->owner_name;
			m_msg(&mt, "host vector %#x on CPU %d is routed to two owners: %s of %s and %s of %s",
				 a->vector, a->cpu, da, oa, db, ob);
			emit(x, &mt);
		}
	}
}

static void r_isolated_cpu(struct evalctx *x)
{
	const struct it_snapshot *s = x->r->env.snap;

	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *h = &x->rt[i];
		bool iso, nohz;
		char d[96];
		struct r_match mt;

		if (h->rk != IT_ROUTE_HOST || !h->owner_vm || h->cpu < 0)
			continue;
		iso = s->cpus.isolated_src.known && it_cpumask_test(&s->cpus.isolated, (unsigned int)h->cpu);
		nohz = s->cpus.nohz_full_src.known && it_cpumask_test(&s->cpus.nohz_full, (unsigned int)h->cpu);
		if (!iso && !nohz)
			continue;
		irq_desc(d, sizeof(d), h);
		m_init(&mt, IT_RULE_ISOLATED_CPU);
		snprintf(mt.key, sizeof(mt.key), "irq:%d", h->irq);
		mt.bdf = h->bdf;
		mt.irq = h->irq;
		mt.cpu = h->cpu;
		mt.vm_pid = h->owner_pid;
		mt.vm = h->owner_name;
		m_msg(&mt, "%s of VM %s (pid %d) is delivered to CPU %d, which is %s",
			 d, h->owner_name, h->owner_pid, h->cpu,
			 iso && nohz ? "isolated and nohz_full" : iso ? "isolated" : "nohz_full");
		emit(x, &mt);
	}
}

static void r_posted_fallback(struct evalctx *x)
{
	uint64_t grace = (uint64_t)(x->r->conf.rule[IT_RULE_POSTED_FALLBACK].grace_secs * 1e9);

	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *h = &x->rt[i];
		const struct r_irq *q;
		char d[96];
		struct r_match mt;

		if (h->rk != IT_ROUTE_HOST || !h->owner_vm)
			continue;
		q = irq_find(x->r, h->irq);
		if (!q || q->pi != 0 || !q->pi_was_on || x->now < q->pi_off_ts + grace)
			continue;
		irq_desc(d, sizeof(d), h);
		m_init(&mt, IT_RULE_POSTED_FALLBACK);
		snprintf(mt.key, sizeof(mt.key), "irq:%d", h->irq);
		mt.bdf = h->bdf;
		mt.irq = h->irq;
		mt.cpu = h->cpu;
		mt.vm_pid = h->owner_pid;
		mt.vm = h->owner_name;
		mt.gsi = (int)q->pi_gsi;
		m_msg(&mt,
			 "%s of VM %s (pid %d) fell back from posted to remapped delivery (gsi %u, guest vector %#x): "
			 "every interrupt now exits to the host",
			 d, h->owner_name, h->owner_pid, q->pi_gsi, q->pi_gvec);
		emit(x, &mt);
	}
}

static void r_eventfd_detour(struct evalctx *x)
{
	uint64_t grace = (uint64_t)(x->r->conf.rule[IT_RULE_EVENTFD_DETOUR].grace_secs * 1e9);

	for (size_t vi = 0; vi < x->r->nvms; vi++) {
		const struct r_vm *v = &x->r->vms[vi];

		for (size_t t = 0; t < v->ntrig; t++) {
			const struct r_trig *g = &v->trig[t];
			const struct it_route *h = NULL;
			bool consumed = false;
			struct r_match mt;

			if (g->efd < 0 || x->now < g->ts + grace)
				continue;
			for (size_t f = 0; f < v->nirqfds; f++)
				if (v->irqfds[f].active && v->irqfds[f].efd == g->efd)
					consumed = true;
			if (consumed)
				continue;
			for (size_t k = 0; k < x->nrt; k++)
				if (x->rt[k].rk == IT_ROUTE_HOST && x->rt[k].entry == g->entry && !strcmp(x->rt[k].bdf, g->bdf) &&
				    !strncmp(x->rt[k].name, "vfio-", 5))
					h = &x->rt[k];
			if (!h || !h->count)
				continue;	/* no traffic seen: a masked vector's eventfd is normal */
			m_init(&mt, IT_RULE_EVENTFD_DETOUR);
			snprintf(mt.key, sizeof(mt.key), "%d:%s:%d:%d", v->pid, g->bdf, g->index, g->entry);
			mt.bdf = h->bdf;
			mt.irq = h->irq;
			mt.cpu = h->cpu;
			mt.vm_pid = v->pid;
			mt.vm = vm_name(x, v->pid);
			mt.value = (double)h->count;
			m_msg(&mt,
				 "%s %s[%d] (host irq %d) signals eventfd %d, which no KVM irqfd of VM %s (pid %d) "
				 "consumes: %llu interrupts detoured through the VMM",
				 g->bdf, it_vfio_irq_index_name((uint32_t)g->index), g->entry, h->irq, g->efd,
				 mt.vm ? mt.vm : "?", v->pid, (unsigned long long)h->count);
			emit(x, &mt);
		}
	}
}

static void route_key(char *buf, size_t len, const struct it_route *rt)
{
	if (rt->rk == IT_ROUTE_HOST)
		snprintf(buf, len, "irq:%d", rt->irq);
	else if (rt->gsi >= 0)
		snprintf(buf, len, "vm:%d:gsi:%d", rt->vm_pid, rt->gsi);
	else
		snprintf(buf, len, "vm:%d:msi:%llx/%x", rt->vm_pid, (unsigned long long)rt->msi_address, rt->msi_data);
}

static void r_storm(struct evalctx *x)
{
	const struct it_rule_conf *c = &x->r->conf.rule[IT_RULE_STORM];
	unsigned int h = x->r->env.hops;

	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *rt = &x->rt[i];
		char key[96], rate[32], thr[32], d[96];
		struct r_rate *t;
		struct r_match mt;

		if (rt->rk == IT_ROUTE_HOST && !(h & IT_HOPB_HOST_HANDLER))
			continue;
		if (rt->rk == IT_ROUTE_GUEST && !(h & IT_HOPB_KVM_INJECTION))
			continue;
		route_key(key, sizeof(key), rt);
		t = rate_get(x->r, IT_RULE_STORM, key);
		if (!t || !rate_feed(x->r, t, rt->count, x->now))
			continue;
		fmt_rate(rate, sizeof(rate), t->rate);
		fmt_rate(thr, sizeof(thr), c->rate);
		m_init(&mt, IT_RULE_STORM);
		snprintf(mt.key, sizeof(mt.key), "%s", key);
		mt.value = t->rate;
		if (rt->rk == IT_ROUTE_HOST) {
			char o[96];

			irq_desc(d, sizeof(d), rt);
			owner_desc(o, sizeof(o), rt);
			mt.bdf = rt->bdf;
			mt.irq = rt->irq;
			mt.cpu = rt->cpu;
			if (rt->owner_vm) {
				mt.vm_pid = rt->owner_pid;
				mt.vm = rt->owner_name;
			}
			char on[24] = "";

			if (rt->cpu >= 0)
				snprintf(on, sizeof(on), " on CPU %d", rt->cpu);
			m_msg(&mt, "interrupt storm: %s of %s at %s/s%s (threshold %s/s)", d, o, rate,
				 on, thr);
		} else {
			mt.vm_pid = rt->vm_pid;
			mt.vm = rt->owner_name;
			mt.gsi = rt->gsi;
			mt.bdf = rt->bdf[0] ? rt->bdf : NULL;
			if (rt->gsi >= 0)
				snprintf(d, sizeof(d), "gsi %d (MSI %#llx/%#x)", rt->gsi, (unsigned long long)rt->msi_address,
					 rt->msi_data);
			else
				snprintf(d, sizeof(d), "MSI %#llx/%#x", (unsigned long long)rt->msi_address, rt->msi_data);
			m_msg(&mt,
				 "interrupt storm: VM %s (pid %d) receives %s/s injections on %s, guest APIC %u vector %#x "
				 "(threshold %s/s)",
				 rt->owner_name, rt->vm_pid, rate, d, rt->dest, rt->guest_vector, thr);
		}
		emit(x, &mt);
	}
}

static void r_occurrences(struct evalctx *x, int rule)
{
	uint64_t hold = (uint64_t)(x->r->conf.rule[rule].hold_secs * 1e9);

	for (size_t i = 0; i < x->r->nocc; i++) {
		const struct r_occ *o = &x->r->occ[i];
		struct r_match mt;

		if (o->rule != rule || o->last_ts + hold < x->now)
			continue;
		m_init(&mt, rule);
		snprintf(mt.key, sizeof(mt.key), "%s", o->key);
		mt.bdf = o->bdf[0] ? o->bdf : NULL;
		mt.irq = o->irq;
		mt.vm_pid = o->vm_pid;
		mt.cpu = o->cpu;
		mt.gsi = o->gsi;
		mt.vm = o->vm_pid > 0 ? vm_name(x, o->vm_pid) : NULL;
		mt.value = (double)o->count;
		char times[32] = "";

		if (o->count > 1)
			snprintf(times, sizeof(times), " (%llu times)", (unsigned long long)o->count);
		if (o->vm_pid > 0)
			m_msg(&mt, "VM %s (pid %d): %s%s", mt.vm ? mt.vm : "?", o->vm_pid, o->what,
				 times);
		else
			m_msg(&mt, "%s%s", o->what, times);
		emit(x, &mt);
	}
}

static void r_hypercall(struct evalctx *x)
{
	const struct it_rule_conf *c = &x->r->conf.rule[IT_RULE_HYPERCALL];

	for (size_t i = 0; i < x->r->nhc; i++) {
		const struct r_hc *hc = &x->r->hc[i];
		uint64_t count = x->r->have_agg_frame ? hc->agg : hc->ev;
		char key[96], rate[32], thr[32];
		struct r_rate *t;
		struct r_match mt;

		if (hc->ev > count)
			count = hc->ev;
		snprintf(key, sizeof(key), "%d:%s", hc->pid, hc->cls == HC_UNKNOWN_NR ? "kvm-unknown" : "hv-error");
		t = rate_get(x->r, IT_RULE_HYPERCALL, key);
		if (!t || !rate_feed(x->r, t, count, x->now))
			continue;
		fmt_rate(rate, sizeof(rate), t->rate);
		fmt_rate(thr, sizeof(thr), c->rate);
		m_init(&mt, IT_RULE_HYPERCALL);
		snprintf(mt.key, sizeof(mt.key), "%s", key);
		mt.vm_pid = hc->pid;
		mt.vm = vm_name(x, hc->pid);
		mt.value = t->rate;
		m_msg(&mt, "VM %s (pid %d) makes %s/s %s (threshold %s/s)", mt.vm ? mt.vm : "?",
			 hc->pid, rate,
			 hc->cls == HC_UNKNOWN_NR ? "KVM hypercalls with unknown numbers (-KVM_ENOSYS)" : "failing Hyper-V hypercalls",
			 thr);
		emit(x, &mt);
	}
}

/* guest MSI routes (KVM_SET_GSI_ROUTING entries) */
static void r_guest_routes(struct evalctx *x, int rule)
{
	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *g = &x->rt[i];
		struct it_msi_decoded d;
		struct r_match mt;
		const char *vm = g->owner_name;

		if (g->rk != IT_ROUTE_GUEST || g->gsi < 0 || strcmp(g->source ? g->source : "", "ioctl"))
			continue;
		it_msi_decode(g->msi_address, g->msi_data, &d);
		m_init(&mt, rule);
		snprintf(mt.key, sizeof(mt.key), "%d:%d", g->vm_pid, g->gsi);
		mt.vm_pid = g->vm_pid;
		mt.vm = vm;
		mt.gsi = g->gsi;
		mt.bdf = g->bdf[0] ? g->bdf : NULL;
		mt.irq = g->host_irq;
		if (rule == IT_RULE_BAD_ADDRESS) {
			if (d.window)
				continue;
			m_msg(&mt,
				 "VM %s (pid %d) gsi %d: MSI address %#llx is outside the 0xFEExxxxx interrupt window "
				 "(data %#x)",
				 vm, g->vm_pid, g->gsi, (unsigned long long)g->msi_address, g->msi_data);
			emit(x, &mt);
			continue;
		}
		if (!d.window || d.remappable)
			continue;
		if (rule == IT_RULE_RESERVED_VECTOR) {
			if ((d.delivery != 0 && d.delivery != 1) || !it_vector_reserved(d.vector))
				continue;
			m_msg(&mt,
				 "VM %s (pid %d) gsi %d: guest vector %#x is reserved (< 0x10): the guest APIC rejects it "
				 "(MSI %#llx/%#x, APIC %u)",
				 vm, g->vm_pid, g->gsi, d.vector, (unsigned long long)g->msi_address, g->msi_data, d.dest);
			emit(x, &mt);
			continue;
		}
		/* IT_RULE_BAD_DEST */
		if (d.logical || (d.delivery != 0 && d.delivery != 1 && d.delivery != 4))
			continue;
		if (d.dest == 0xff || d.dest == 0xffffffffu)
			continue;	/* broadcast */
		const struct r_vm *v = vm_get(x->r, g->vm_pid, false);
		const struct it_vm_info *vi = vm_info(x, g->vm_pid);
		bool known = false, found = false;
		unsigned int nvcpus = 0;
		if (v && v->nvcpus) {
			known = true;
			nvcpus = (unsigned int)v->nvcpus;
			for (size_t k = 0; k < v->nvcpus; k++)
				if (v->vcpu_ids[k] == d.dest)
					found = true;
		} else if (vi && vi->vcpus) {
			known = true;
			nvcpus = vi->vcpus;
			found = d.dest < vi->vcpus;	/* KVM: APIC id = vCPU id, created 0..n-1 */
		}
		if (!known || found)
			continue;
		mt.value = d.dest;
		m_msg(&mt,
			 "VM %s (pid %d) gsi %d: destination APIC id %u matches none of its %u vCPU%s: the interrupt "
			 "is lost (MSI %#llx/%#x, vector %#x)",
			 vm, g->vm_pid, g->gsi, d.dest, nvcpus, nvcpus == 1 ? "" : "s",
			 (unsigned long long)g->msi_address, g->msi_data, d.vector);
		emit(x, &mt);
	}
}

static bool vm_has_msi_route(const struct evalctx *x, int pid, int gsi)
{
	for (size_t i = 0; i < x->nrt; i++)
		if (x->rt[i].rk == IT_ROUTE_GUEST && x->rt[i].vm_pid == pid && x->rt[i].gsi == gsi)
			return true;
	return false;
}

static void r_irqfd_unrouted(struct evalctx *x)
{
	uint64_t grace = (uint64_t)(x->r->conf.rule[IT_RULE_IRQFD_UNROUTED].grace_secs * 1e9);

	for (size_t vi = 0; vi < x->r->nvms; vi++) {
		const struct r_vm *v = &x->r->vms[vi];
		uint32_t other;

		if (!v->table_seen && !v->created_seen)
			continue;	/* routing set up before start: unknown */
		if (v->table_seen && v->table_trunc)
			continue;
		other = v->table_seen ? v->table_nr - v->table_nr_msi : X86_IRQCHIP_PINS;
		if (other > X86_IRQCHIP_PINS)
			continue;	/* non-MSI entries beyond the irqchip pins (Hyper-V SINT...): unknown */
		for (size_t f = 0; f < v->nirqfds; f++) {
			const struct r_irqfd *q = &v->irqfds[f];
			struct r_match mt;

			if (!q->active || x->now < q->ts + grace || vm_has_msi_route(x, v->pid, q->gsi))
				continue;
			if (other && q->gsi < X86_IRQCHIP_PINS)
				continue;	/* may be an irqchip pin */
			m_init(&mt, IT_RULE_IRQFD_UNROUTED);
			snprintf(mt.key, sizeof(mt.key), "%d:%d:%d", v->pid, q->gsi, q->efd);
			mt.vm_pid = v->pid;
			mt.vm = vm_name(x, v->pid);
			mt.gsi = q->gsi;
			m_msg(&mt,
				 "VM %s (pid %d): irqfd eventfd %d is bound to gsi %d, which has no route: its signals "
				 "are dropped",
				 mt.vm ? mt.vm : "?", v->pid, q->efd, q->gsi);
			emit(x, &mt);
		}
	}
}

static void r_unhandled(struct evalctx *x)
{
	const struct it_rule_conf *c = &x->r->conf.rule[IT_RULE_UNHANDLED];

	for (size_t i = 0; i < x->r->nirqs; i++) {
		const struct r_irq *q = &x->r->irqs[i];
		const struct it_route *h = NULL;
		char key[32], rate[32], thr[32], d[96];
		struct r_rate *t;
		struct r_match mt;

		if (!q->unhandled)
			continue;
		snprintf(key, sizeof(key), "irq:%d", q->irq);
		t = rate_get(x->r, IT_RULE_UNHANDLED, key);
		if (!t || !rate_feed(x->r, t, q->unhandled, x->now))
			continue;
		for (size_t k = 0; k < x->nrt; k++)
			if (x->rt[k].rk == IT_ROUTE_HOST && x->rt[k].irq == q->irq)
				h = &x->rt[k];
		if (h)
			irq_desc(d, sizeof(d), h);
		else
			snprintf(d, sizeof(d), "irq %d", q->irq);
		fmt_rate(rate, sizeof(rate), t->rate);
		fmt_rate(thr, sizeof(thr), c->rate);
		m_init(&mt, IT_RULE_UNHANDLED);
		snprintf(mt.key, sizeof(mt.key), "%s", key);
		mt.irq = q->irq;
		mt.bdf = h ? h->bdf : NULL;
		mt.cpu = h ? h->cpu : -1;
		if (h && h->owner_vm) {
			mt.vm_pid = h->owner_pid;
			mt.vm = h->owner_name;
		}
		mt.value = t->rate;
		m_msg(&mt, "%s: %s/s interrupts no handler claimed (IRQ_NONE; threshold %s/s)", d,
			 rate, thr);
		emit(x, &mt);
	}
}

/* ---- arm64: the MSI doorbell (route fields from model_arm.c) ---- */

/* IRT030: one doorbell page reachable from the IOVA spaces of several
 * owners (two VMs, or a VM and the host).  Harmless where the interrupt
 * controller tells devices apart by the bus' device id (the GICv3 ITS:
 * routes with ITS translation); otherwise a device of one owner can raise
 * the other's interrupts through the shared doorbell. */
static void r_doorbell_shared(struct evalctx *x)
{
	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *a = &x->rt[i];
		uint64_t page = a->arm.doorbell_phys & ~0xfffull;

		if (a->rk != IT_ROUTE_HOST || !a->arm.doorbell)
			continue;
		for (size_t k = i + 1; k < x->nrt; k++) {
			const struct it_route *b = &x->rt[k];
			char oa[96], ob[96];
			struct r_match mt;

			if (b->rk != IT_ROUTE_HOST || !b->arm.doorbell || (b->arm.doorbell_phys & ~0xfffull) != page)
				continue;
			if (a->owner_vm == b->owner_vm && (!a->owner_vm || a->owner_pid == b->owner_pid))
				continue;	/* same owner */
			if (a->arm.its && b->arm.its)
				continue;	/* device-id isolation */
			owner_desc(oa, sizeof(oa), a);
			owner_desc(ob, sizeof(ob), b);
			m_init(&mt, IT_RULE_DOORBELL_SHARED);
			snprintf(mt.key, sizeof(mt.key), "page:%llx:%d:%d", (unsigned long long)page, a->irq, b->irq);
			mt.bdf = a->bdf;
			mt.irq = a->irq;
			if (a->owner_vm || b->owner_vm) {
				mt.vm = a->owner_vm ? a->owner_name : b->owner_name;
				mt.vm_pid = a->owner_vm ? a->owner_pid : b->owner_pid;
			}
			m_msg(&mt,
			      "doorbell %#llx is reachable from %s (%s irq %d, IOVA space %#llx) and %s (%s irq %d, %#llx); "
			      "the interrupt controller does not tell their devices apart",
			      (unsigned long long)a->arm.doorbell_phys, oa, a->bdf, a->irq,
			      (unsigned long long)a->arm.domain, ob, b->bdf, b->irq, (unsigned long long)b->arm.domain);
			emit(x, &mt);
		}
	}
}

/* IRT031: a device given the physical doorbell.  Behind a translating
 * IOMMU domain (one with an MSI window) its write faults or lands
 * elsewhere: the doorbell fix-up is missing; without one, the device's DMA
 * is not translated at all and reaches the doorbell and all memory. */
static void r_doorbell_phys(struct evalctx *x)
{
	for (size_t i = 0; i < x->nrt; i++) {
		const struct it_route *h = &x->rt[i];
		char own[96];
		struct r_match mt;

		if (h->rk != IT_ROUTE_HOST || !h->arm.doorbell || h->arm.translated)
			continue;
		owner_desc(own, sizeof(own), h);
		m_init(&mt, IT_RULE_DOORBELL_PHYS);
		snprintf(mt.key, sizeof(mt.key), "irq:%d", h->irq);
		mt.bdf = h->bdf;
		mt.irq = h->irq;
		if (h->owner_vm) {
			mt.vm = h->owner_name;
			mt.vm_pid = h->owner_pid;
		}
		if (h->arm.msi_base)
			m_msg(&mt,
			      "%s irq %d (%s) writes the physical doorbell %#llx although its IOMMU domain %#llx "
			      "translates (MSI window at %#llx): the doorbell was not mapped for it",
			      h->bdf, h->irq, own, (unsigned long long)h->arm.doorbell_phys,
			      (unsigned long long)h->arm.domain, (unsigned long long)h->arm.msi_base);
		else if (h->arm.domain)
			m_msg(&mt,
			      "%s irq %d (%s) writes the physical doorbell %#llx: its IOMMU domain %#llx has no MSI "
			      "window (no msi reserved region, no cookie); unless that domain is an identity one the "
			      "write faults",
			      h->bdf, h->irq, own, (unsigned long long)h->arm.doorbell_phys,
			      (unsigned long long)h->arm.domain);
		else
			m_msg(&mt,
			      "%s irq %d (%s) writes the physical doorbell %#llx: no IOMMU translates its DMA "
			      "(no IOMMU domain), nothing stands between it and the doorbell or memory",
			      h->bdf, h->irq, own, (unsigned long long)h->arm.doorbell_phys);
		emit(x, &mt);
	}
}

static void r_vector_space(struct evalctx *x)
{
	unsigned int min = x->r->conf.rule[IT_RULE_VECTOR_EXHAUSTED].min_free;

	for (size_t i = 0; i < x->r->ncpus; i++) {
		const struct r_cpu *c = &x->r->cpus[i];
		struct r_match mt;

		if (!c->online || c->available >= min)
			continue;
		m_init(&mt, IT_RULE_VECTOR_EXHAUSTED);
		snprintf(mt.key, sizeof(mt.key), "cpu:%u", c->cpu);
		mt.cpu = (int)c->cpu;
		mt.value = c->available;
		m_msg(&mt,
			 "CPU %u has %u free interrupt vector%s (minimum %u): new interrupts on it will fail or move",
			 c->cpu, c->available, c->available == 1 ? "" : "s", min);
		emit(x, &mt);
	}
	r_occurrences(x, IT_RULE_VECTOR_EXHAUSTED);
}

int it_rules_eval(struct it_rules *r, struct it_model *m, uint64_t now)
{
	struct evalctx x = { .r = r, .now = now };
	char reason[240];
	int ret;

	if (!r->start)
		r->start = now;
	ret = it_model_routes(m, &x.rt, &x.nrt);
	if (ret)
		return ret;
	ret = it_model_vms(m, &x.vms, &x.nvms);
	if (ret) {
		free(x.rt);
		return ret;
	}
	for (size_t i = 0; i < r->nf; i++)
		r->f[i].seen = false;
	for (size_t i = 0; i < r->nrates; i++)
		r->rates[i].touched = false;
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		r->evaluated[id] = it_rule_exists(id) && r->conf.rule[id].enabled && coverage(r, id, reason, sizeof(reason));
		if (!r->evaluated[id])
			continue;
		switch (id) {
		case IT_RULE_IRTE_NO_SVT: r_irte_no_svt(&x); break;
		case IT_RULE_COMPAT_MSI: r_compat_msi(&x); break;
		case IT_RULE_UNISOLATED_MSI: r_unisolated(&x); break;
		case IT_RULE_SHARED_VECTOR: r_shared_vector(&x); break;
		case IT_RULE_ISOLATED_CPU: r_isolated_cpu(&x); break;
		case IT_RULE_POSTED_FALLBACK: r_posted_fallback(&x); break;
		case IT_RULE_EVENTFD_DETOUR: r_eventfd_detour(&x); break;
		case IT_RULE_STORM: r_storm(&x); break;
		case IT_RULE_ALLOC_FAIL: r_occurrences(&x, id); break;
		case IT_RULE_HYPERCALL: r_hypercall(&x); break;
		case IT_RULE_RESERVED_VECTOR:
		case IT_RULE_BAD_DEST:
		case IT_RULE_BAD_ADDRESS: r_guest_routes(&x, id); break;
		case IT_RULE_IRQFD_UNROUTED: r_irqfd_unrouted(&x); break;
		case IT_RULE_ROUTE_FAIL: r_occurrences(&x, id); break;
		case IT_RULE_UNHANDLED: r_unhandled(&x); break;
		case IT_RULE_VECTOR_EXHAUSTED: r_vector_space(&x); break;
		case IT_RULE_DOORBELL_SHARED: r_doorbell_shared(&x); break;
		case IT_RULE_DOORBELL_PHYS: r_doorbell_phys(&x); break;
		}
	}
	/* rate trackers of routes that vanished restart from zero if they return */
	for (size_t i = 0; i < r->nrates; i++)
		if (!r->rates[i].touched) {
			r->rates[i].init = false;
			r->rates[i].on = false;
			r->rates[i].above_since = r->rates[i].below_since = 0;
		}
	/* clear what no longer holds */
	for (size_t i = 0; i < r->nf; i++) {
		struct it_finding *f = &r->f[i];

		if (!f->active || f->seen || !r->evaluated[f->rule])
			continue;
		f->active = false;
		f->cleared_ts = now;
		x.transitions++;
		if (r->cb)
			r->cb(r->cb_ctx, f, false, now);
	}
	r->last_eval = now;
	free(x.rt);
	free(x.vms);
	if (r->oom) {
		r->oom = false;
		return -ENOMEM;
	}
	return x.transitions;
}

size_t it_rules_findings(const struct it_rules *r, const struct it_finding **out)
{
	*out = r->f;
	return r->nf;
}

void it_rules_status(const struct it_rules *r, int rule, struct it_rule_status *st)
{
	memset(st, 0, sizeof(*st));
	st->rule = rule;
	if (!it_rule_exists(rule))
		return;
	st->enabled = r->conf.rule[rule].enabled;
	st->severity = r->conf.rule[rule].severity;
	if (!st->enabled)
		textf(st->reason, sizeof(st->reason), "disabled in %s",
		      r->conf.source[0] ? r->conf.source : "the configuration");
	else
		st->evaluating = coverage(r, rule, st->reason, sizeof(st->reason));
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].rule == rule) {
			st->raised += r->f[i].raised;
			st->active += r->f[i].active;
		}
	st->silenced = r->silenced[rule];
}

int it_rules_worst(const struct it_rules *r)
{
	int w = -1;

	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].raised && (int)r->f[i].severity > w)
			w = (int)r->f[i].severity;
	return w;
}

void it_rules_counts(const struct it_rules *r, unsigned int counts[3])
{
	counts[0] = counts[1] = counts[2] = 0;
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].raised && r->f[i].severity <= IT_SEV_CRITICAL)
			counts[r->f[i].severity]++;
}

/* ------------------------------------------------------------------ alert records */

void it_alert_from_finding(struct it_alert *a, const struct it_finding *f, bool raised, uint64_t ts)
{
	memset(a, 0, sizeof(*a));
	a->h.ts = ts;
	a->h.type = IT_EV_ALERT;
	a->h.version = 1;
	a->h.len = sizeof(*a);
	a->h.cpu = IT_ALERT_CPU;
	a->h.pid = f->vm_pid > 0 ? (uint32_t)f->vm_pid : 0;
	a->rule = (uint16_t)f->rule;
	a->severity = (uint8_t)f->severity;
	a->raised = raised;
	a->irq = f->irq;
	a->vm_pid = f->vm_pid;
	a->target_cpu = f->cpu;
	a->gsi = f->gsi;
	snprintf(a->bdf, sizeof(a->bdf), "%s", f->bdf);
	copy_str(a->msg, sizeof(a->msg), f->msg);
}

static const char *alert_code(unsigned int rule, char *buf, size_t len)
{
	const struct it_rule_info *ri = it_rule_info((int)rule);

	if (ri)
		return ri->code;
	snprintf(buf, len, "IRT%03u", rule);
	return buf;
}

void it_alert_json_fields(struct it_json *j, const struct it_alert *a)
{
	const struct it_rule_info *ri = it_rule_info(a->rule);
	char code[16];

	jw_kstr(j, "rule", alert_code(a->rule, code, sizeof(code)));
	if (ri)
		jw_kstr(j, "rule_name", ri->name);
	jw_kstr(j, "severity", a->severity <= IT_SEV_CRITICAL ? it_severity_name(a->severity) : "unknown");
	jw_kstr(j, "state", a->raised ? "raised" : "cleared");
	if (a->bdf[0])
		jw_kstr(j, "device", a->bdf);
	if (a->irq >= 0)
		jw_ki64(j, "irq", a->irq);
	if (a->vm_pid > 0)
		jw_ki64(j, "vm_pid", a->vm_pid);
	if (a->target_cpu >= 0)
		jw_ki64(j, "target_cpu", a->target_cpu);
	if (a->gsi >= 0)
		jw_ki64(j, "gsi", a->gsi);
	jw_key(j, "message");
	jw_strn(j, a->msg, strnlen(a->msg, sizeof(a->msg)));
}

int it_alert_text(const struct it_alert *a, char *buf, size_t len)
{
	char code[16];

	return snprintf(buf, len, "ALERT %s %s %s: %.*s", alert_code(a->rule, code, sizeof(code)),
			a->severity <= IT_SEV_CRITICAL ? it_severity_name(a->severity) : "unknown",
			a->raised ? "raised" : "cleared", (int)strnlen(a->msg, sizeof(a->msg)), a->msg);
}
