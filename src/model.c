// SPDX-License-Identifier: GPL-2.0-only
/*
 * The routing model.  State is kept per host irq, per VM (the VMM process),
 * per guest GSI route, per irqfd and per VFIO trigger; the joins between
 * them are made when the route table is built, so events can arrive in any
 * order and an fd reused after close simply rebinds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "full_events.h"
#include "events_qemu.h"
#include "hist.h"
#include "model.h"

#define GLOBAL_CHANGES 256

/* The last few times of one kind of step (trap-path timing). */
#define TS_HIST 64
struct ts_hist {
	uint64_t t[TS_HIST];
	size_t n;
};

static void ts_push(struct ts_hist *h, uint64_t t)
{
	if (h->n == TS_HIST) {
		memmove(h->t, h->t + 1, sizeof(h->t[0]) * (TS_HIST - 1));
		h->n--;
	}
	h->t[h->n++] = t;
}

/* The first time at or after t, else the latest, else 0. */
static uint64_t ts_from(const struct ts_hist *h, uint64_t t)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->t[i] >= t)
			return h->t[i];
	return h->n ? h->t[h->n - 1] : 0;
}

struct m_irq {
	int irq;
	bool active;		/* present (snapshot or set up since) */
	bool from_snapshot;
	char name[IT_NAME_LEN];
	char chip[IT_NAME_LEN];
	char bdf[IT_BDF_LEN];
	int entry;
	const char *kind;
	bool remapped;
	bool vfio;
	bool posted;
	int cpu, vector, apicid;
	const char *cpu_src;
	uint64_t snapshot_total;
	long irte_index;	/* from the message written to the device, -1 unknown */
	/* event-based handler stats (used when no aggregate covers this irq) */
	uint64_t ev_count;
	struct it_hist ev_hist;
	uint64_t ev_max;
	struct it_changes ch;
	uint64_t last_entry_ts;		/* the handler's last entry (delivery hops) */
	struct ts_hist irte_ts;		/* IRTE stores making its entry present */
	struct ts_hist msiw_ts;		/* messages written to the device */
};

#define PAST_MSGS 8

struct m_route {
	int gsi;
	uint32_t type;
	uint64_t address;
	uint32_t data;
	bool active;
	bool from_iter;		/* read at start by the VM state iterator, unchanged since */
	/* messages this GSI carried before (injections with them are its own) */
	struct {
		uint64_t address;
		uint32_t data;
	} past[PAST_MSGS];
	size_t npast;
	struct it_changes ch;
	uint64_t set_ts;	/* when it took its current message */
};

struct m_irqfd {
	int efd;
	int gsi;
	bool active;
	bool at_start;		/* known from the read at start only */
	uint64_t ts;
};

struct m_vfiodev {
	int fd;
	char bdf[IT_BDF_LEN];
};

struct m_trigger {
	char bdf[IT_BDF_LEN];
	int index;		/* VFIO irq index: msi / msix */
	int entry;
	int efd;		/* -1 unbound */
	struct ts_hist set_ts;	/* VFIO_DEVICE_SET_IRQS binding an eventfd to it */
};

struct m_staged {
	uint32_t tid;
	struct it_ioctl_gsi_route *e;
	size_t n, cap;
};

struct m_vm {
	int pid;
	char name[IT_NAME_LEN];
	bool from_snapshot;
	unsigned int vcpus;
	struct m_route *routes;
	size_t nroutes;
	struct m_irqfd *irqfds;
	size_t nirqfds;
	struct m_vfiodev *devs;
	size_t ndevs;
	struct m_trigger *trig;
	size_t ntrig;
	struct it_changes ch;
	/* QEMU's kvm_irqchip_add_msi_route (uprobe) before its GSI is committed */
	struct {
		int virq;
		uint32_t vector;
		uint64_t ts;
	} qadd[8];
	size_t nqadd;
};

/* injection counts by (pid, host irq, address, data) */
struct m_inj {
	struct it_msi_key k;
	uint64_t ev_count;	/* from events */
	struct it_hist ev_hop;
	uint64_t agg_count;	/* from the last aggregate frame, minus the reset base */
	struct it_hist agg_hop;
	uint64_t agg_accepted;
	struct it_hist agg_accept;
	bool in_agg;
	/* every-event recordings: host handler entry -> irqfd_wakeup / vCPU injection */
	struct it_hist hop_irqfd, hop_vcpu;
};

/* An IRTE as the fentry/kprobe tier saw it (table read or store).  Each is
 * allocated on its own so routes can point at it for the model's life. */
struct m_irte {
	uint8_t vendor;
	uint16_t unit, devid, segment;
	uint32_t index;
	struct it_snap_irte e;
};

struct it_model {
	const struct it_snapshot *snap;
	struct m_irte **irtes;
	size_t nirtes;
	bool blind_irte, blind_vfio, blind_domain;
	struct m_irq *irqs;
	size_t nirqs, capirqs;
	struct m_vm *vms;
	size_t nvms;
	struct m_inj *inj;
	size_t ninj;
	size_t inj_last;		/* inj_get's last hit: injections come in runs of one message */
	struct m_staged *staged;
	size_t nstaged;
	struct it_agg_frame agg;	/* latest */
	bool have_agg;
	struct it_agg_frame base;	/* subtracted after a reset */
	bool have_base;
	uint64_t win_start, win_end;
	struct it_model_stats st;
	struct it_change recent[GLOBAL_CHANGES];
	size_t recent_start, nrecent;
	struct it_arm_model *arm;	/* arm64 ITS / doorbell (model_arm.c) */
	/* injections waiting for their vCPU (kvm_inj_virq), by guest vector */
	struct {
		size_t inj;		/* index in inj, +1 (0: none) */
		uint64_t entry_ts;	/* the host handler's entry */
	} pend[256];
};

/* ------------------------------------------------------------ helpers */

static void *grow(void *p, size_t *cap, size_t need, size_t esz)
{
	if (need <= *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	void *np = realloc(p, nc * esz);
	if (!np)
		return NULL;
	memset((char *)np + *cap * esz, 0, (nc - *cap) * esz);
	*cap = nc;
	return np;
}

static void change_add(struct it_model *m, struct it_changes *c, uint64_t ts, uint32_t pid,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void change_add(struct it_model *m, struct it_changes *c, uint64_t ts, uint32_t pid,
		       const char *fmt, ...)
{
	struct it_change x;
	va_list ap;

	x.ts = ts;
	x.pid = pid;
	va_start(ap, fmt);
	vsnprintf(x.what, sizeof(x.what), fmt, ap);
	va_end(ap);
	if (c) {
		size_t slot = (c->start + c->n) % IT_ROUTE_CHANGES;
		c->c[slot] = x;
		if (c->n < IT_ROUTE_CHANGES)
			c->n++;
		else
			c->start = (c->start + 1) % IT_ROUTE_CHANGES;
		c->total++;
	}
	size_t g = (m->recent_start + m->nrecent) % GLOBAL_CHANGES;
	m->recent[g] = x;
	if (m->nrecent < GLOBAL_CHANGES)
		m->nrecent++;
	else
		m->recent_start = (m->recent_start + 1) % GLOBAL_CHANGES;
}

static struct m_irq *irq_find(struct it_model *m, int irq)
{
	for (size_t i = 0; i < m->nirqs; i++)
		if (m->irqs[i].irq == irq)
			return &m->irqs[i];
	return NULL;
}

static struct m_irq *irq_get(struct it_model *m, int irq)
{
	struct m_irq *q = irq_find(m, irq);

	if (q)
		return q;
	struct m_irq *na = grow(m->irqs, &m->capirqs, m->nirqs + 1, sizeof(*na));
	if (!na)
		return NULL;
	m->irqs = na;
	q = &m->irqs[m->nirqs++];
	memset(q, 0, sizeof(*q));
	q->irq = irq;
	q->active = true;
	q->entry = -1;
	q->cpu = q->vector = q->apicid = -1;
	q->cpu_src = "unknown";
	q->kind = "other";
	q->irte_index = -1;
	return q;
}

static void irq_set_name(struct m_irq *q, const char *name, size_t n)
{
	int entry, msix;
	char bdf[16];

	snprintf(q->name, sizeof(q->name), "%.*s", (int)strnlen(name, n), name);
	if (it_parse_vfio_irq_name(q->name, &entry, bdf, &msix) == 0) {
		q->vfio = true;
		q->entry = entry;
		snprintf(q->bdf, sizeof(q->bdf), "%s", bdf);
		if (!strcmp(q->kind, "other"))
			q->kind = msix ? "msix" : "msi";
	}
}

static struct m_vm *vm_find(struct it_model *m, int pid)
{
	for (size_t i = 0; i < m->nvms; i++)
		if (m->vms[i].pid == pid)
			return &m->vms[i];
	return NULL;
}

static struct m_vm *vm_get(struct it_model *m, int pid)
{
	struct m_vm *v = vm_find(m, pid);

	if (v || pid <= 0)
		return v;
	struct m_vm *nv = realloc(m->vms, (m->nvms + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	m->vms = nv;
	v = &m->vms[m->nvms++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	snprintf(v->name, sizeof(v->name), "pid %d", pid);
	return v;
}

static struct m_route *route_find(struct m_vm *v, int gsi)
{
	for (size_t i = 0; i < v->nroutes; i++)
		if (v->routes[i].gsi == gsi)
			return &v->routes[i];
	return NULL;
}

static struct m_inj *inj_get(struct it_model *m, const struct it_msi_key *k)
{
	if (m->inj_last < m->ninj && !memcmp(&m->inj[m->inj_last].k, k, sizeof(*k)))
		return &m->inj[m->inj_last];
	for (size_t i = 0; i < m->ninj; i++)
		if (!memcmp(&m->inj[i].k, k, sizeof(*k))) {
			m->inj_last = i;
			return &m->inj[i];
		}
	struct m_inj *ni = realloc(m->inj, (m->ninj + 1) * sizeof(*ni));
	if (!ni)
		return NULL;
	m->inj = ni;
	memset(&m->inj[m->ninj], 0, sizeof(*ni));
	m->inj[m->ninj].k = *k;
	return &m->inj[m->ninj++];
}

/* ------------------------------------------------------------ lifecycle */

struct it_model *it_model_new(void)
{
	struct it_model *m = calloc(1, sizeof(struct it_model));

	if (m && !(m->arm = it_arm_model_new())) {
		free(m);
		return NULL;
	}
	return m;
}

static void vm_free(struct m_vm *v)
{
	free(v->routes);
	free(v->irqfds);
	free(v->devs);
	free(v->trig);
}

void it_model_free(struct it_model *m)
{
	if (!m)
		return;
	it_arm_model_free(m->arm);
	free(m->irqs);
	for (size_t i = 0; i < m->nvms; i++)
		vm_free(&m->vms[i]);
	free(m->vms);
	free(m->inj);
	for (size_t i = 0; i < m->nirtes; i++)
		free(m->irtes[i]);
	free(m->irtes);
	for (size_t i = 0; i < m->nstaged; i++)
		free(m->staged[i].e);
	free(m->staged);
	it_agg_free(&m->agg);
	it_agg_free(&m->base);
	free(m);
}

void it_model_set_blind(struct it_model *m, bool irte, bool vfio, bool domain)
{
	m->blind_irte = irte;
	m->blind_vfio = vfio;
	m->blind_domain = domain;
}

void it_model_set_snapshot(struct it_model *m, const struct it_snapshot *s)
{
	m->snap = s;
	if (!s)
		return;
	for (size_t i = 0; i < s->nirqs; i++) {
		const struct it_irq *r = &s->irqs[i];
		struct m_irq *q = irq_get(m, r->irq);
		const struct it_irq_aff *a;

		if (!q)
			return;
		q->from_snapshot = true;
		snprintf(q->chip, sizeof(q->chip), "%s", r->chip);
		q->kind = it_irq_kind_str(r->kind);
		q->remapped = r->remapped;
		q->entry = r->msi_entry;
		snprintf(q->bdf, sizeof(q->bdf), "%s", r->bdf);
		irq_set_name(q, r->handler, strlen(r->handler));
		if (r->vfio) {
			q->vfio = true;
			q->entry = r->vfio_entry;
			snprintf(q->bdf, sizeof(q->bdf), "%s", r->vfio_bdf);
		}
		q->snapshot_total = r->total;
		a = it_snapshot_aff(s, r->irq);
		if (a && a->eff_list_known && it_cpumask_weight(&a->effective) > 0) {
			q->cpu = it_cpumask_first(&a->effective);
			q->cpu_src = "snapshot";
		}
	}
	for (size_t i = 0; i < s->nvmms; i++) {
		const struct it_vmm *p = &s->vmms[i];
		struct m_vm *v;

		if (!p->nvms && !p->nvfio_devices)
			continue;
		v = vm_get(m, p->pid);
		if (!v)
			return;
		v->from_snapshot = true;
		snprintf(v->name, sizeof(v->name), "%s", p->name ? p->name : p->comm);
		v->vcpus = (unsigned int)p->nvcpus;
		for (size_t f = 0; f < p->nfds; f++) {
			const struct it_vmm_fd *fd = &p->fds[f];

			if ((fd->kind == IT_FD_VFIO_DEVICE || fd->kind == IT_FD_VFIO_CDEV) && fd->bdf[0]) {
				struct m_vfiodev *nd = realloc(v->devs, (v->ndevs + 1) * sizeof(*nd));
				if (!nd)
					return;
				v->devs = nd;
				v->devs[v->ndevs].fd = fd->fd;
				snprintf(v->devs[v->ndevs].bdf, IT_BDF_LEN, "%s", fd->bdf);
				v->ndevs++;
			}
		}
	}
}

void it_model_set_window(struct it_model *m, uint64_t start, uint64_t end)
{
	m->win_start = start;
	m->win_end = end;
}

void it_model_agg(struct it_model *m, const struct it_agg_frame *f)
{
	it_agg_free(&m->agg);
	if (it_agg_copy(&m->agg, f) == 0)
		m->have_agg = true;
	if (f->counters[IT_CNT_LOST] > m->st.lost)
		m->st.lost = f->counters[IT_CNT_LOST];
	for (size_t i = 0; i < f->nirq; i++) {
		struct m_irq *q = irq_get(m, (int)f->irq[i].irq);
		(void)q;
	}
	if (f->ts > m->st.last_ts)
		m->st.last_ts = f->ts;
}

void it_model_reset_counts(struct it_model *m)
{
	it_agg_free(&m->base);
	m->have_base = false;
	if (m->have_agg && it_agg_copy(&m->base, &m->agg) == 0)
		m->have_base = true;
	for (size_t i = 0; i < m->nirqs; i++) {
		m->irqs[i].ev_count = 0;
		m->irqs[i].ev_max = 0;
		memset(&m->irqs[i].ev_hist, 0, sizeof(m->irqs[i].ev_hist));
	}
	for (size_t i = 0; i < m->ninj; i++) {
		m->inj[i].ev_count = 0;
		memset(&m->inj[i].ev_hop, 0, sizeof(m->inj[i].ev_hop));
		memset(&m->inj[i].hop_irqfd, 0, sizeof(m->inj[i].hop_irqfd));
		memset(&m->inj[i].hop_vcpu, 0, sizeof(m->inj[i].hop_vcpu));
	}
}

/* ------------------------------------------------------------ events */

static void fmt_msi(char *buf, size_t len, uint64_t address, uint32_t data)
{
	struct it_msi_decoded d;

	it_msi_decode(address, data, &d);
	if (d.remappable)
		snprintf(buf, len, "%#llx/%#x (remappable, irte %u)", (unsigned long long)address, data,
			 d.irte_handle);
	else
		snprintf(buf, len, "%#llx/%#x (dest %u vector %#x)", (unsigned long long)address, data, d.dest,
			 d.vector);
}

/* When an ioctl was issued (its event is stamped at the syscall's exit). */
static uint64_t ioctl_start(const struct it_hdr *h, const struct it_ioctl_common *c)
{
	return c->duration && c->duration <= h->ts ? h->ts - c->duration : h->ts;
}

static void on_gsi_commit(struct it_model *m, const struct it_ioctl_gsi_routing *t)
{
	uint32_t tid = t->h.tid;
	struct m_staged *s = NULL;
	struct m_vm *v = vm_get(m, (int)t->h.pid);
	size_t si;

	for (si = 0; si < m->nstaged; si++)
		if (m->staged[si].tid == tid) {
			s = &m->staged[si];
			break;
		}
	if (!v)
		goto out;
	bool at_start = t->h.flags & IT_F_SNAPSHOT;
	const char *how = at_start ? " (read at start)" : "";

	if (t->c.ret < 0) {
		change_add(m, &v->ch, t->h.ts, t->h.pid, "KVM_SET_GSI_ROUTING (%u entries) failed: %lld",
			   t->nr, (long long)t->c.ret);
		goto out;
	}
	/* the new table replaces the old one; MSI entries are what we track */
	bool *was = calloc(v->nroutes + 1, sizeof(bool));
	if (!was)
		goto out;
	for (size_t i = 0; i < v->nroutes; i++) {
		was[i] = v->routes[i].active;
		v->routes[i].active = false;
	}
	size_t nold = v->nroutes;
	for (size_t i = 0; s && i < s->n; i++) {
		const struct it_ioctl_gsi_route *e = &s->e[i];
		uint64_t addr = ((uint64_t)e->address_hi << 32) | e->address_lo;
		struct m_route *r = route_find(v, (int)e->gsi);
		char now[80], old[80];

		fmt_msi(now, sizeof(now), addr, e->data);
		if (!r) {
			struct m_route *nr = realloc(v->routes, (v->nroutes + 1) * sizeof(*nr));
			if (!nr)
				break;
			v->routes = nr;
			r = &v->routes[v->nroutes++];
			memset(r, 0, sizeof(*r));
			r->gsi = (int)e->gsi;
			r->set_ts = ioctl_start(&t->h, &t->c);
			for (size_t q = 0; q < v->nqadd; q++)
				if (v->qadd[q].virq == (int)e->gsi) {
					change_add(m, &r->ch, v->qadd[q].ts, t->h.pid,
						   "QEMU kvm_irqchip_add_msi_route: device vector %u -> gsi %d",
						   v->qadd[q].vector, v->qadd[q].virq);
					v->qadd[q] = v->qadd[--v->nqadd];
					break;
				}
			change_add(m, &r->ch, t->h.ts, t->h.pid, "gsi %u routed to %s%s", e->gsi, now, how);
		} else if (r->address != addr || r->data != e->data) {
			r->set_ts = ioctl_start(&t->h, &t->c);
			fmt_msi(old, sizeof(old), r->address, r->data);
			change_add(m, &r->ch, t->h.ts, t->h.pid, "gsi %u: %s -> %s%s", e->gsi, old, now, how);
			if (r->npast == PAST_MSGS)
				memmove(r->past, r->past + 1, sizeof(r->past[0]) * (PAST_MSGS - 1));
			else
				r->npast++;
			r->past[r->npast - 1].address = r->address;
			r->past[r->npast - 1].data = r->data;
		} else if ((size_t)(r - v->routes) < nold && !was[r - v->routes]) {
			/* a route removed by an earlier table comes back */
			r->set_ts = ioctl_start(&t->h, &t->c);
			change_add(m, &r->ch, t->h.ts, t->h.pid, "gsi %u routed to %s%s", e->gsi, now, how);
		}
		if (!at_start || !r->active || r->address != addr || r->data != e->data)
			r->from_iter = at_start;
		r->type = e->type;
		r->address = addr;
		r->data = e->data;
		r->active = true;
	}
	for (size_t i = 0; i < v->nroutes; i++) {
		struct m_route *r = &v->routes[i];
		if (!r->active && i < nold && was[i])
			change_add(m, &r->ch, t->h.ts, t->h.pid, "gsi %d route removed", r->gsi);
	}
	free(was);
out:
	if (s) {
		free(s->e);
		m->staged[si] = m->staged[--m->nstaged];
	}
}

static void on_gsi_entry(struct it_model *m, const struct it_ioctl_gsi_route *e)
{
	struct m_staged *s = NULL;

	for (size_t i = 0; i < m->nstaged; i++)
		if (m->staged[i].tid == e->h.tid)
			s = &m->staged[i];
	if (!s) {
		struct m_staged *ns = realloc(m->staged, (m->nstaged + 1) * sizeof(*ns));
		if (!ns)
			return;
		m->staged = ns;
		s = &m->staged[m->nstaged++];
		memset(s, 0, sizeof(*s));
		s->tid = e->h.tid;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct it_ioctl_gsi_route *ne = realloc(s->e, nc * sizeof(*ne));
		if (!ne)
			return;
		s->e = ne;
		s->cap = nc;
	}
	s->e[s->n++] = *e;
}

static void on_irqfd(struct it_model *m, const struct it_ioctl_irqfd *e)
{
	struct m_vm *v = vm_get(m, (int)e->h.pid);
	bool deassign = e->flags & 1;
	bool at_start = e->h.flags & IT_F_SNAPSHOT;
	struct m_route *r;

	if (!v)
		return;
	if (e->c.ret < 0) {
		change_add(m, &v->ch, e->h.ts, e->h.pid, "KVM_IRQFD %s eventfd %u gsi %u failed: %lld",
			   deassign ? "deassign" : "assign", e->efd, e->gsi, (long long)e->c.ret);
		return;
	}
	r = route_find(v, (int)e->gsi);
	for (size_t i = 0; i < v->nirqfds; i++) {
		struct m_irqfd *f = &v->irqfds[i];
		if (f->efd == (int)e->efd && f->active) {
			if (deassign && f->gsi == (int)e->gsi) {
				f->active = false;
				change_add(m, r ? &r->ch : &v->ch, e->h.ts, e->h.pid, "irqfd eventfd %u on gsi %u removed",
					   e->efd, e->gsi);
				return;
			}
		}
	}
	if (deassign)
		return;
	/* The same binding seen by its KVM_IRQFD event and by the read at
	 * start (the VMM set it up between attach and the read): one irqfd. */
	for (size_t i = 0; (int)e->efd >= 0 && i < v->nirqfds; i++) {
		struct m_irqfd *f = &v->irqfds[i];
		if (f->active && f->efd == (int)e->efd && f->gsi == (int)e->gsi && (at_start || f->at_start)) {
			f->at_start = f->at_start && at_start;
			return;
		}
	}
	/* KVM refuses a second irqfd on a live eventfd: a successful assign of
	 * a number already bound means the old one was closed (fd reuse).  An
	 * irqfd read at start whose eventfd the VMM closed has no number (-1). */
	for (size_t i = 0; !(at_start && (int)e->efd < 0) && i < v->nirqfds; i++) {
		struct m_irqfd *f = &v->irqfds[i];
		if (f->efd == (int)e->efd && f->active) {
			struct m_route *old = route_find(v, f->gsi);
			f->active = false;
			change_add(m, old ? &old->ch : &v->ch, e->h.ts, e->h.pid,
				   "irqfd eventfd %u on gsi %d gone (the eventfd was closed and its number reused)",
				   e->efd, f->gsi);
		}
	}
	struct m_irqfd *nf = realloc(v->irqfds, (v->nirqfds + 1) * sizeof(*nf));
	if (!nf)
		return;
	v->irqfds = nf;
	v->irqfds[v->nirqfds++] = (struct m_irqfd){ .efd = (int)e->efd, .gsi = (int)e->gsi, .active = true,
						    .at_start = at_start, .ts = ioctl_start(&e->h, &e->c) };
	if (at_start) {
		char efd[32];
		if ((int)e->efd < 0)
			snprintf(efd, sizeof(efd), "%s", "(closed by the VMM)");
		else
			snprintf(efd, sizeof(efd), "%u", e->efd);
		change_add(m, r && r->active ? &r->ch : &v->ch, e->h.ts, e->h.pid,
			   "irqfd eventfd %s bound to gsi %u (read at start)%s", efd, e->gsi,
			   r && r->active ? "" : ", which has no MSI route");
	} else if (r && r->active)
		change_add(m, &r->ch, e->h.ts, e->h.pid, "irqfd eventfd %u bound to gsi %u", e->efd, e->gsi);
	else
		change_add(m, &v->ch, e->h.ts, e->h.pid, "irqfd eventfd %u bound to gsi %u, which has no MSI route",
			   e->efd, e->gsi);
}

static const char *dev_bdf(struct m_vm *v, int fd)
{
	for (size_t i = v->ndevs; i-- > 0;)
		if (v->devs[i].fd == fd)
			return v->devs[i].bdf;
	return NULL;
}

static void on_get_device_fd(struct it_model *m, const struct it_ioctl_get_device_fd *e)
{
	struct m_vm *v = vm_get(m, (int)e->h.pid);
	char bdf[IT_BDF_LEN];

	if (!v || e->c.ret < 0)
		return;
	if (it_bdf_parse(e->name, strnlen(e->name, sizeof(e->name)), bdf))
		snprintf(bdf, sizeof(bdf), "%.*s", (int)strnlen(e->name, 15), e->name);
	for (size_t i = 0; i < v->ndevs; i++)
		if (v->devs[i].fd == (int)e->c.ret) {
			snprintf(v->devs[i].bdf, IT_BDF_LEN, "%s", bdf);
			return;
		}
	struct m_vfiodev *nd = realloc(v->devs, (v->ndevs + 1) * sizeof(*nd));
	if (!nd)
		return;
	v->devs = nd;
	v->devs[v->ndevs].fd = (int)e->c.ret;
	snprintf(v->devs[v->ndevs].bdf, IT_BDF_LEN, "%s", bdf);
	v->ndevs++;
	change_add(m, &v->ch, e->h.ts, e->h.pid, "VFIO device %s opened (fd %lld)", bdf, (long long)e->c.ret);
}

static void on_set_irqs(struct it_model *m, const struct it_ioctl_set_irqs *e)
{
	struct m_vm *v = vm_get(m, (int)e->h.pid);
	const char *bdf;
	char unk[IT_BDF_LEN];

	if (!v)
		return;
	bdf = dev_bdf(v, (int)e->c.fd);
	if (!bdf) {
		snprintf(unk, sizeof(unk), "fd%u", e->c.fd);
		bdf = unk;
	}
	if (e->c.ret < 0) {
		change_add(m, &v->ch, e->h.ts, e->h.pid, "VFIO_DEVICE_SET_IRQS %s %s start %u count %u failed: %lld",
			   bdf, it_vfio_irq_index_name(e->index), e->start, e->count, (long long)e->c.ret);
		return;
	}
	if (e->index != IT_VFIO_IRQ_INDEX_MSI && e->index != IT_VFIO_IRQ_INDEX_MSIX)
		return;
	bool eventfds = e->flags & (1u << 2);
	uint32_t n = eventfds ? e->nfds : e->count;
	if (!eventfds && e->count == 0) {
		/* DATA_NONE, count 0: disable every vector of this index */
		for (size_t i = 0; i < v->ntrig; i++)
			if (!strcmp(v->trig[i].bdf, bdf) && v->trig[i].index == (int)e->index)
				v->trig[i].efd = -1;
		change_add(m, &v->ch, e->h.ts, e->h.pid, "%s %s interrupts disabled", bdf,
			   it_vfio_irq_index_name(e->index));
		return;
	}
	if (!eventfds)
		return;
	for (uint32_t i = 0; i < n && i < IT_MAX_IRQ_FDS; i++) {
		int entry = (int)(e->start + i), efd = e->fds[i];
		struct m_trigger *t = NULL;

		for (size_t k = 0; k < v->ntrig; k++)
			if (!strcmp(v->trig[k].bdf, bdf) && v->trig[k].index == (int)e->index && v->trig[k].entry == entry)
				t = &v->trig[k];
		if (!t) {
			struct m_trigger *nt = realloc(v->trig, (v->ntrig + 1) * sizeof(*nt));
			if (!nt)
				return;
			v->trig = nt;
			t = &v->trig[v->ntrig++];
			memset(t, 0, sizeof(*t));
			snprintf(t->bdf, sizeof(t->bdf), "%s", bdf);
			t->index = (int)e->index;
			t->entry = entry;
			t->efd = -1;
		}
		if (efd >= 0)
			ts_push(&t->set_ts, ioctl_start(&e->h, &e->c));
		if (t->efd != efd)
			change_add(m, &v->ch, e->h.ts, e->h.pid, "%s %s[%d] -> %s%d", bdf, it_vfio_irq_index_name(e->index),
				   entry, efd >= 0 ? "eventfd " : "disabled ", efd);
		t->efd = efd;
	}
}

static void on_vector(struct it_model *m, const struct it_vector *e)
{
	struct m_irq *q = irq_get(m, (int)e->irq);

	if (!q)
		return;
	switch (e->h.type) {
	case IT_EV_VECTOR_UPDATE:
		if (e->vector && (q->vector != (int)e->vector || q->cpu != (int)e->cpu))
			change_add(m, &q->ch, e->h.ts, e->h.pid, "vector %#x cpu %u -> vector %#x cpu %u",
				   e->prev_vector, e->prev_cpu, e->vector, e->cpu);
		if (e->vector) {
			q->vector = (int)e->vector;
			q->cpu = (int)e->cpu;
			q->cpu_src = "event";
		}
		break;
	case IT_EV_VECTOR_CONFIG:
		q->vector = (int)e->vector;
		q->cpu = (int)e->cpu;
		q->apicid = (int)e->apicdest;
		q->cpu_src = "event";
		break;
	case IT_EV_VECTOR_SETUP:
		/* a (re)allocated irq: what we knew of the old one is gone */
		if (!q->active || q->name[0]) {
			q->name[0] = 0;
			q->bdf[0] = 0;
			q->vfio = false;
			q->entry = -1;
			q->kind = "other";
			q->chip[0] = 0;
		}
		q->active = true;
		q->vector = q->cpu = q->apicid = -1;
		q->cpu_src = "unknown";
		q->irte_index = -1;
		q->posted = false;
		q->remapped = false;
		if (e->ret < 0)
			change_add(m, &q->ch, e->h.ts, e->h.pid, "vector setup failed: %d", e->ret);
		else
			change_add(m, &q->ch, e->h.ts, e->h.pid, "irq %u set up", e->irq);
		break;
	case IT_EV_VECTOR_TEARDOWN:
		q->active = false;
		change_add(m, &q->ch, e->h.ts, e->h.pid, "irq %u torn down", e->irq);
		break;
	case IT_EV_VECTOR_ALLOC:
	case IT_EV_VECTOR_ALLOC_MANAGED:
		if (e->ret < 0)
			change_add(m, &q->ch, e->h.ts, e->h.pid, "vector allocation failed: %d", e->ret);
		break;
	default:
		break;
	}
}

static struct m_irte *irte_get(struct it_model *m, const struct it_irte *e)
{
	for (size_t i = 0; i < m->nirtes; i++) {
		struct m_irte *x = m->irtes[i];
		if (x->vendor == e->vendor && x->unit == e->unit && x->devid == e->devid &&
		    x->segment == e->segment && x->index == e->index)
			return x;
	}
	struct m_irte **n = realloc(m->irtes, (m->nirtes + 1) * sizeof(*n));
	if (!n)
		return NULL;
	m->irtes = n;
	struct m_irte *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->vendor = e->vendor;
	x->unit = e->unit;
	x->devid = e->devid;
	x->segment = e->segment;
	x->index = e->index;
	m->irtes[m->nirtes++] = x;
	return x;
}

static struct m_irq *irq_of_irte(struct it_model *m, const struct m_irte *x)
{
	for (size_t i = 0; i < m->nirqs; i++) {
		struct m_irq *q = &m->irqs[i];
		if (!q->active || q->irte_index != (long)x->index)
			continue;
		/* AMD tables are per device: the requester id must match */
		if (x->vendor != IT_IRTE_INTEL && q->bdf[0]) {
			unsigned int bus, dev, fn;
			if (sscanf(q->bdf + 5, "%x:%x.%x", &bus, &dev, &fn) == 3 &&
			    x->devid != ((bus << 8) | (dev << 3) | fn))
				continue;
		}
		return q;
	}
	return NULL;
}

static void on_irte(struct it_model *m, const struct it_irte *e)
{
	struct m_irte *x = irte_get(m, e);
	struct it_irte_fields f, o;
	struct m_irq *q;

	if (!x)
		return;
	int x2apic = (e->flags & IT_IRTE_F_MODE_KNOWN) ? !!(e->flags & IT_IRTE_F_X2APIC) : -1;
	if (e->vendor == IT_IRTE_INTEL) {
		it_irte_intel_decode(e->new_lo, e->new_hi, x2apic, &f);
		it_irte_intel_decode(e->old_lo, e->old_hi, x2apic, &o);
	} else {
		it_irte_amd_decode(e->new_lo, e->new_hi, e->vendor == IT_IRTE_AMD_GA, &f);
		it_irte_amd_decode(e->old_lo, e->old_hi, e->vendor == IT_IRTE_AMD_GA, &o);
	}
	struct it_snap_irte *d = &x->e;
	memset(d, 0, sizeof(*d));
	d->fmt = e->vendor == IT_IRTE_INTEL ? IT_IRTE_FMT_INTEL :
		 e->vendor == IT_IRTE_AMD_GA ? IT_IRTE_FMT_AMD128 : IT_IRTE_FMT_AMD32;
	snprintf(d->iommu, sizeof(d->iommu), "%.*s", (int)strnlen(e->iommu, sizeof(e->iommu)), e->iommu);
	d->index = e->index;
	d->sid = f.sid;
	d->present = f.present;
	d->posted = f.posted;
	d->fpd = f.fpd;
	d->vector = f.vector;
	d->dest_id = f.dest_known ? f.dest_apic : f.dest;
	d->dst_mode = f.logical;
	d->redir_hint = f.redir_hint;
	d->trigger_mode = f.level;
	d->delivery_mode = f.delivery;
	d->svt = f.svt;
	d->sq = f.sq;
	d->pda = f.pda;
	d->urgent = f.urgent;
	d->ga_tag = f.ga_tag;
	d->raw_lo = e->new_lo;
	d->raw_hi = e->new_hi;
	q = irq_of_irte(m, x);
	if (q && e->h.type == IT_EV_IRTE_WRITE && f.present)
		ts_push(&q->irte_ts, e->h.ts);
	if (e->h.type == IT_EV_IRTE_WRITE && (e->flags & IT_IRTE_F_OLD) &&
	    (o.vector != f.vector || o.dest_apic != f.dest_apic || o.present != f.present || o.posted != f.posted))
		change_add(m, q ? &q->ch : NULL, e->h.ts, e->h.pid, "IRTE %s[%u]: %s dest %u vector %#x -> %s dest %u vector %#x",
			   d->iommu, e->index, o.present ? (o.posted ? "posted" : "remapped") : "absent", o.dest_apic,
			   o.vector, f.present ? (f.posted ? "posted" : "remapped") : "absent", f.dest_apic, f.vector);
}

/* The message the kernel wrote to the device: BDF, entry, and the IRTE
 * index it selects (Intel remappable handle; AMD: the data is the index). */
static void on_msi_write(struct it_model *m, const struct it_msi_msg *e)
{
	struct m_irq *q = irq_get(m, (int)e->irq);
	struct it_msi_decoded d;

	if (!q)
		return;
	if (e->flags & IT_MSI_F_BDF) {
		char b[IT_BDF_LEN];

		snprintf(b, sizeof(b), "%04x:%02x:%02x.%x", e->segment, e->bus, e->devfn >> 3, e->devfn & 7);
		/* another device's message: the irq number was reused (arm64 has
		 * no vector events to say so) */
		if (q->bdf[0] && strcmp(q->bdf, b) && e->address_lo) {
			q->entry = -1;
			q->name[0] = 0;		/* the old owner's handler name */
			q->kind = e->flags & IT_MSI_F_MSIX ? "msix" : "msi";
		}
		if (e->address_lo || !q->bdf[0])
			snprintf(q->bdf, sizeof(q->bdf), "%s", b);
	}
	if ((e->flags & IT_MSI_F_INDEX) && q->entry < 0)
		q->entry = (int)e->msi_index;
	/* AMD-Vi: the data is the IRTE index, for irqs behind its remapping
	 * domain (the IOMMU's own PCI-MSI is not) */
	it_msi_decode_host(((uint64_t)e->address_hi << 32) | e->address_lo, e->data,
			   m->snap && m->snap->ir.mode == IT_IR_AMD && it_msi_chip_remapped(q->chip), &d);
	if (e->h.type == IT_EV_MSI_WRITE)
		ts_push(&q->msiw_ts, e->h.ts);
	if (d.remappable) {
		q->irte_index = d.irte_handle + (d.shv ? d.subhandle : 0);
		q->remapped = true;
	} else if (d.amd_remapped) {
		q->irte_index = d.irte_index;
		q->remapped = true;
	}
}

void it_model_event(struct it_model *m, const struct it_hdr *h)
{
	m->st.events++;
	if (!m->st.first_ts || h->ts < m->st.first_ts)
		m->st.first_ts = h->ts;
	if (h->ts > m->st.last_ts)
		m->st.last_ts = h->ts;
	unsigned int min = it_event_min_len(h->type);

	if (!min || h->len < min) {
		m->st.unknown_events++;
		return;
	}
	if (it_arm_model_event(m->arm, h))
		return;
	switch (h->type) {
	case IT_EV_IRQ_NAME:
	case IT_EV_IRQ_ENTRY: {
		const struct it_irq_entry *e = (const void *)h;
		struct m_irq *q = irq_get(m, e->irq);
		if (q && strncmp(q->name, e->name, sizeof(e->name)))
			irq_set_name(q, e->name, sizeof(e->name));
		if (q && h->type == IT_EV_IRQ_ENTRY)
			q->last_entry_ts = h->ts;
		break;
	}
	case IT_EV_KVM_IRQFD_WAKEUP: {
		const struct it_kvm_route *e = (const void *)h;
		struct m_irq *q = e->host_irq ? irq_find(m, (int)e->host_irq) : NULL;
		struct it_msi_key k = { .address = ((uint64_t)e->address_hi << 32) | e->address_lo,
					.data = e->data, .host_irq = e->host_irq };
		struct m_inj *in = q && q->last_entry_ts && h->ts >= q->last_entry_ts &&
						   !(e->key & 0x10) ? inj_get(m, &k) : NULL;
		if (in)
			it_hist_add(&in->hop_irqfd, h->ts - q->last_entry_ts);
		break;
	}
	case IT_EV_KVM_INJ_VIRQ: {
		const struct it_kvm_apic *e = (const void *)h;
		if (e->vector < 256 && m->pend[e->vector].inj && m->pend[e->vector].inj <= m->ninj &&
		    h->ts >= m->pend[e->vector].entry_ts) {
			it_hist_add(&m->inj[m->pend[e->vector].inj - 1].hop_vcpu, h->ts - m->pend[e->vector].entry_ts);
			m->pend[e->vector].inj = 0;
		}
		break;
	}
	case IT_EV_IRQ_EXIT: {
		const struct it_irq_exit *e = (const void *)h;
		struct m_irq *q = irq_get(m, e->irq);
		if (q) {
			q->ev_count++;
			it_hist_add(&q->ev_hist, e->duration);
			if (e->duration > q->ev_max)
				q->ev_max = e->duration;
		}
		break;
	}
	case IT_EV_VECTOR_SETUP ... IT_EV_VECTOR_FREE_MOVED:
		on_vector(m, (const void *)h);
		break;
	case IT_EV_KVM_MSI: {
		const struct it_kvm_msi *e = (const void *)h;
		struct it_msi_key k = { .address = e->address, .data = (uint32_t)e->data,
					.pid = e->host_irq ? 0 : h->pid, .host_irq = e->host_irq };
		struct m_inj *in = inj_get(m, &k);
		if (in) {
			in->ev_count++;
			if (e->host_irq)
				it_hist_add(&in->ev_hop, e->since_irq);
			if (e->host_irq && e->since_irq && h->ts >= e->since_irq) {
				m->pend[e->data & 0xff].inj = (size_t)(in - m->inj) + 1;
				m->pend[e->data & 0xff].entry_ts = h->ts - e->since_irq;
			}
		}
		break;
	}
	case IT_EV_KVM_SIGNAL_MSI: {	/* a KVM_SIGNAL_MSI injection, folded with its ioctl */
		const struct it_kvm_signal_msi *e = (const void *)h;
		struct it_msi_key k = { .address = e->address, .data = e->data, .pid = h->pid };
		struct m_inj *in = inj_get(m, &k);
		if (in)
			in->ev_count++;
		break;
	}
	case IT_EV_KVM_PI_IRTE: {
		const struct it_kvm_pi_irte *e = (const void *)h;
		struct m_irq *q = irq_get(m, (int)e->host_irq);
		if (q) {
			if (q->posted != (bool)e->set)
				change_add(m, &q->ch, h->ts, h->pid, "posted interrupt %s (gsi %u, guest vector %#x, vcpu %d)",
					   e->set ? "on" : "off: back to remapped", e->gsi, e->gvec, e->vcpu_id);
			q->posted = e->set;
		}
		break;
	}
	case IT_EV_IOCTL_CREATE_VM: {
		const struct it_ioctl_simple *e = (const void *)h;
		struct m_vm *v = e->c.ret >= 0 ? vm_get(m, (int)h->pid) : NULL;
		if (v)
			change_add(m, &v->ch, h->ts, h->pid, "VM created (fd %lld)", (long long)e->c.ret);
		break;
	}
	case IT_EV_IOCTL_CREATE_VCPU: {
		const struct it_ioctl_simple *e = (const void *)h;
		struct m_vm *v = e->c.ret >= 0 ? vm_get(m, (int)h->pid) : NULL;
		if (v)
			v->vcpus++;
		break;
	}
	case IT_EV_IOCTL_GSI_ROUTE:
		on_gsi_entry(m, (const void *)h);
		break;
	case IT_EV_IOCTL_GSI_ROUTING:
		on_gsi_commit(m, (const void *)h);
		break;
	case IT_EV_IOCTL_IRQFD:
		on_irqfd(m, (const void *)h);
		break;
	case IT_EV_IOCTL_GET_DEVICE_FD:
		on_get_device_fd(m, (const void *)h);
		break;
	case IT_EV_IOCTL_SET_IRQS:
		on_set_irqs(m, (const void *)h);
		break;
	case IT_EV_LOST: {
		const struct it_lost *e = (const void *)h;
		m->st.lost += e->lost;
		break;
	}
	case IT_EV_IRTE_WRITE:
	case IT_EV_IRTE_SNAP:
		on_irte(m, (const void *)h);
		break;
	case IT_EV_MSI_WRITE:
		on_msi_write(m, (const void *)h);
		break;
	case IT_EV_QEMU_ADD_MSI_ROUTE:
	case IT_EV_QEMU_UPDATE_MSI_ROUTE: {
		/* the VMM's own view (uprobes): QEMU's virq is the KVM GSI */
		const struct it_qemu_route *e = (const void *)h;
		struct m_vm *v = vm_get(m, (int)h->pid);
		struct m_route *r = v ? route_find(v, e->virq) : NULL;
		char msg[80];

		if (!v)
			break;
		if (h->type == IT_EV_QEMU_ADD_MSI_ROUTE) {
			if (e->virq < 0)
				change_add(m, &v->ch, h->ts, h->pid, "QEMU kvm_irqchip_add_msi_route: vector %u failed: %d",
					   e->vector, e->virq);
			else if (r && r->active)
				change_add(m, &r->ch, h->ts, h->pid,
					   "QEMU kvm_irqchip_add_msi_route: device vector %u -> gsi %d", e->vector, e->virq);
			else {	/* entered in the route's changes when the GSI is committed */
				if (v->nqadd == sizeof(v->qadd) / sizeof(v->qadd[0]))
					memmove(v->qadd, v->qadd + 1, sizeof(v->qadd[0]) * --v->nqadd);
				v->qadd[v->nqadd].virq = e->virq;
				v->qadd[v->nqadd].vector = e->vector;
				v->qadd[v->nqadd++].ts = h->ts;
			}
		} else {
			fmt_msi(msg, sizeof(msg), e->address, e->data);
			change_add(m, r ? &r->ch : &v->ch, h->ts, h->pid, "QEMU kvm_irqchip_update_msi_route: gsi %d -> %s",
				   e->virq, msg);
		}
		break;
	}
	case IT_EV_PROC: {
		const struct it_proc *e = (const void *)h;
		struct m_vm *v = vm_get(m, (int)e->proc_pid);
		if (v)	/* same source as the snapshot's name: a pid reused by another VMM renames it */
			snprintf(v->name, sizeof(v->name), "%.*s", (int)strnlen(e->name, sizeof(e->name)), e->name);
		break;
	}
	default:
		break;
	}
}

/* ------------------------------------------------------------ queries */

static const struct it_agg_irq *agg_irq(const struct it_agg_frame *f, int irq)
{
	for (size_t i = 0; i < f->nirq; i++)
		if ((int)f->irq[i].irq == irq)
			return &f->irq[i];
	return NULL;
}

static const struct it_agg_msi *agg_msi(const struct it_agg_frame *f, const struct it_msi_key *k)
{
	for (size_t i = 0; i < f->nmsi; i++)
		if (!memcmp(&f->msi[i].k, k, sizeof(*k)))
			return &f->msi[i];
	return NULL;
}

/* fold aggregate MSI stats (minus the reset base) into the injection table */
static void refresh_inj(struct it_model *m)
{
	for (size_t i = 0; i < m->ninj; i++)
		m->inj[i].in_agg = false;
	if (!m->have_agg)
		return;
	for (size_t i = 0; i < m->agg.nmsi; i++) {
		const struct it_agg_msi *a = &m->agg.msi[i];
		const struct it_agg_msi *b = m->have_base ? agg_msi(&m->base, &a->k) : NULL;
		struct m_inj *in = inj_get(m, &a->k);

		if (!in)
			return;
		in->in_agg = true;
		in->agg_count = a->st.count - (b && b->st.count <= a->st.count ? b->st.count : 0);
		in->agg_accepted = a->st.accepted - (b && b->st.accepted <= a->st.accepted ? b->st.accepted : 0);
		if (b) {
			it_hist_sub(&in->agg_hop, &a->st.hop, &b->st.hop);
			it_hist_sub(&in->agg_accept, &a->st.accept, &b->st.accept);
		} else {
			in->agg_hop = a->st.hop;
			in->agg_accept = a->st.accept;
		}
	}
}

/* Injections of in, adding its latency histograms to route r (if any). */
static uint64_t inj_add(const struct m_inj *in, struct it_route *r)
{
	if (r) {
		it_hist_merge(&r->hop_irqfd, &in->hop_irqfd);
		it_hist_merge(&r->hop_vcpu, &in->hop_vcpu);
	}
	if (in->in_agg) {
		if (r) {
			it_hist_merge(&r->lat, &in->agg_hop);
			it_hist_merge(&r->accept, &in->agg_accept);
			r->accepted += in->agg_accepted;
			r->count += in->agg_count;
		}
		return in->agg_count;
	}
	if (r) {
		it_hist_merge(&r->lat, &in->ev_hop);
		r->count += in->ev_count;
	}
	return in->ev_count;
}

static uint64_t inj_count(const struct m_inj *in, struct it_hist *hop)
{
	if (in->in_agg) {
		if (hop)
			it_hist_merge(hop, &in->agg_hop);
		return in->agg_count;
	}
	if (hop)
		it_hist_merge(hop, &in->ev_hop);
	return in->ev_count;
}

static double window_secs(const struct it_model *m)
{
	uint64_t s = m->win_start ? m->win_start : m->st.first_ts;
	uint64_t e = m->win_end ? m->win_end : m->st.last_ts;

	return e > s ? (double)(e - s) / 1e9 : 0;
}

static void route_from_irq(struct it_model *m, const struct m_irq *q, struct it_route *r)
{
	const struct it_agg_irq *a = m->have_agg ? agg_irq(&m->agg, q->irq) : NULL;
	const struct it_agg_irq *b = a && m->have_base ? agg_irq(&m->base, q->irq) : NULL;

	memset(r, 0, sizeof(*r));
	r->rk = IT_ROUTE_HOST;
	snprintf(r->bdf, sizeof(r->bdf), "%s", q->bdf);
	r->entry = q->entry;
	r->kind = q->kind;
	r->irq = q->irq;
	snprintf(r->name, sizeof(r->name), "%s", q->name);
	snprintf(r->chip, sizeof(r->chip), "%s", q->chip);
	r->remapped = q->remapped;
	r->posted = q->posted;
	r->cpu = q->cpu;
	r->vector = q->vector;
	r->apicid = q->apicid;
	r->cpu_src = q->cpu_src;
	r->vm_pid = -1;
	r->gsi = -1;
	r->guest_vector = -1;
	r->eventfd = -1;
	r->host_irq = -1;
	r->source = q->from_snapshot ? "snapshot" : "event";
	r->snapshot_total = q->snapshot_total;
	r->lat_what = "handler";
	if (a) {
		r->count = a->st.count - (b && b->st.count <= a->st.count ? b->st.count : 0);
		if (b)
			it_hist_sub(&r->lat, &a->st.hist, &b->st.hist);
		else
			r->lat = a->st.hist;
		r->lat_max = a->st.max_ns;
	} else {
		r->count = q->ev_count;
		r->lat = q->ev_hist;
		r->lat_max = q->ev_max;
	}
	r->changes = q->ch;
	for (size_t i = 0; q->irte_index >= 0 && i < m->nirtes; i++)
		if (irq_of_irte(m, m->irtes[i]) == q)
			r->irte = &m->irtes[i]->e;
	/* owner: a VM holding the device through VFIO, else the host driver */
	snprintf(r->owner_name, sizeof(r->owner_name), "host");
	if (m->snap && q->bdf[0]) {
		const struct it_pci_dev *d = it_snapshot_pci(m->snap, q->bdf);
		if (d && d->driver)
			snprintf(r->owner_name, sizeof(r->owner_name), "%s", d->driver);
	}
	for (size_t i = 0; q->bdf[0] && i < m->nvms; i++) {
		struct m_vm *v = &m->vms[i];
		for (size_t k = 0; k < v->ndevs; k++) {
			if (!strcmp(v->devs[k].bdf, q->bdf)) {
				r->owner_vm = true;
				r->owner_pid = v->pid;
				snprintf(r->owner_name, sizeof(r->owner_name), "%s", v->name);
			}
		}
	}
	char *u = r->unknown;
	size_t ul = sizeof(r->unknown), o = 0;
	if (r->vector < 0)
		o += (size_t)snprintf(u + o, ul - o, "vector: unknown until its next move (no irq debugfs); ");
	if (r->remapped && m->blind_irte && o < ul)
		o += (size_t)snprintf(u + o, ul - o, "IRTE: needs the fentry/kprobe tier; ");
	(void)o;
}

static int cmp_route(const void *a, const void *b)
{
	const struct it_route *x = a, *y = b;

	if (x->rk != y->rk)
		return x->rk - y->rk;
	if (x->rk == IT_ROUTE_HOST) {
		int c = strcmp(x->bdf[0] ? x->bdf : "~", y->bdf[0] ? y->bdf : "~");
		if (c)
			return c;
		if (x->entry != y->entry)
			return x->entry - y->entry;
		return x->irq - y->irq;
	}
	if (x->vm_pid != y->vm_pid)
		return x->vm_pid - y->vm_pid;
	if (x->gsi != y->gsi)
		return x->gsi - y->gsi;
	if (x->msi_address != y->msi_address)
		return x->msi_address < y->msi_address ? -1 : 1;
	return x->msi_data < y->msi_data ? -1 : x->msi_data > y->msi_data;
}

static int host_irq_of(struct it_model *m, const char *bdf, int entry)
{
	for (size_t i = 0; i < m->nirqs; i++)
		if (m->irqs[i].active && m->irqs[i].vfio && m->irqs[i].entry == entry && !strcmp(m->irqs[i].bdf, bdf))
			return m->irqs[i].irq;
	return -1;
}

static bool irq_owned_by(struct it_model *m, int irq, const struct m_vm *v)
{
	const struct m_irq *q = irq_find(m, irq);

	if (!q || !q->bdf[0])
		return false;
	for (size_t k = 0; k < v->ndevs; k++)
		if (!strcmp(v->devs[k].bdf, q->bdf))
			return true;
	return false;
}

static bool route_carried(const struct m_route *g, uint64_t address, uint32_t data)
{
	if (g->address == address && g->data == data)
		return true;
	for (size_t i = 0; i < g->npast; i++)
		if (g->past[i].address == address && g->past[i].data == data)
			return true;
	return false;
}

static void guest_fields(struct it_route *r, uint64_t address, uint32_t data)
{
	struct it_msi_decoded d;

	it_msi_decode(address, data, &d);
	r->msi_address = address;
	r->msi_data = data;
	r->dest = d.dest;
	r->guest_vector = d.vector;
	r->dest_mode = d.logical ? "logical" : "physical";
	r->delivery = it_msi_delivery_name(d.delivery);
	r->trigger = d.level ? "level" : "edge";
}

/* Insert a change into a copied ring, keeping it in time order. */
static void changes_insert(struct it_changes *c, const struct it_change *x)
{
	struct it_change lin[IT_ROUTE_CHANGES + 1];
	size_t n = 0, k;

	for (size_t i = 0; i < c->n; i++)
		lin[n++] = c->c[(c->start + i) % IT_ROUTE_CHANGES];
	for (k = n; k > 0 && lin[k - 1].ts > x->ts; k--)
		lin[k] = lin[k - 1];
	lin[k] = *x;
	n++;
	size_t skip = n > IT_ROUTE_CHANGES ? n - IT_ROUTE_CHANGES : 0;
	c->start = 0;
	c->n = n - skip;
	for (size_t i = 0; i < c->n; i++)
		c->c[i] = lin[skip + i];
	c->total++;
}

/*
 * The trap path that set a passed-through vector up, as the VMM drives it
 * when the guest programs its MSI-X entry: the GSI route takes the guest's
 * message (KVM_SET_GSI_ROUTING), an irqfd binds the eventfd to the GSI
 * (KVM_IRQFD), VFIO binds the device vector to the eventfd
 * (VFIO_DEVICE_SET_IRQS), the host programs the IRTE and writes the message
 * to the device.  Each step is the first of its kind at or after the
 * previous one (a VMM re-enabling every vector repeats the later steps).
 * Also entered in the route's changes as one line with the step latencies.
 */
static void trap_path(struct it_model *m, const struct m_vm *v, const struct m_route *g,
		      const struct m_trigger *trig, struct it_route *r)
{
	const struct m_irqfd *fd = NULL;
	const struct m_irq *q = r->host_irq >= 0 ? irq_find(m, r->host_irq) : NULL;
	static const char *const names[IT_TRAP_STEPS] = { "KVM_SET_GSI_ROUTING", "KVM_IRQFD",
							  "VFIO_DEVICE_SET_IRQS", "IRTE write", "MSI write" };
	static const char *const shortn[IT_TRAP_STEPS] = { "GSI_ROUTING", "IRQFD", "SET_IRQS", "IRTE", "MSI" };
	uint64_t t[IT_TRAP_STEPS] = { 0 }, prev;

	for (size_t f = 0; f < v->nirqfds; f++)
		if (v->irqfds[f].active && v->irqfds[f].gsi == g->gsi && v->irqfds[f].efd == r->eventfd)
			fd = &v->irqfds[f];
	if (!g->set_ts || !fd || !trig)
		return;
	t[0] = g->set_ts;
	t[1] = fd->ts;
	prev = t[1] > t[0] ? t[1] : t[0];
	t[2] = ts_from(&trig->set_ts, prev);
	if (q && t[2]) {
		t[3] = ts_from(&q->irte_ts, t[2]);
		t[4] = ts_from(&q->msiw_ts, t[3] ? t[3] : t[2]);
	}
	char buf[112], d[16];
	size_t len = (size_t)snprintf(buf, sizeof(buf), "trap path %s[%d]: %s", it_vfio_irq_index_name((uint32_t)trig->index),
				      trig->entry, shortn[0]);
	prev = t[0];
	r->ntrap = IT_TRAP_STEPS;
	for (size_t i = 0; i < IT_TRAP_STEPS; i++) {
		r->trap[i].what = names[i];
		r->trap[i].ts = t[i];
		if (!i || len >= sizeof(buf))
			continue;
		if (!t[i]) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, ", %s ?", shortn[i]);
			continue;
		}
		if (t[i] >= prev)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, ", %s +%s", shortn[i],
						it_fmt_ns((double)(t[i] - prev), d, sizeof(d)));
		else
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, ", %s earlier", shortn[i]);
		prev = t[i];
	}
	struct it_change x = { .ts = t[0], .pid = (uint32_t)v->pid };
	snprintf(x.what, sizeof(x.what), "%s", buf);
	changes_insert(&r->changes, &x);
}

int it_model_routes(struct it_model *m, struct it_route **out, size_t *n)
{
	struct it_route *rs = NULL;
	size_t nr = 0, cap = 0;
	double secs = window_secs(m);
	bool *used;

	refresh_inj(m);
	used = calloc(m->ninj + 1, sizeof(bool));
	if (!used)
		return -ENOMEM;
#define NEW_ROUTE()                                                     \
	({                                                              \
		struct it_route *_g = grow(rs, &cap, nr + 1, sizeof(*rs)); \
		if (!_g) {                                              \
			free(rs);                                       \
			free(used);                                     \
			return -ENOMEM;                                 \
		}                                                       \
		rs = _g;                                                \
		&rs[nr++];                                              \
	})

	for (size_t i = 0; i < m->nirqs; i++) {
		const struct m_irq *q = &m->irqs[i];

		if (!q->active || (!q->bdf[0] && strcmp(q->kind, "msi") && strcmp(q->kind, "msix") &&
				   strcmp(q->kind, "ims")))
			continue;
		struct it_route *r = NEW_ROUTE();
		route_from_irq(m, q, r);
		it_arm_model_fill(m->arm, r->irq, &r->arm);
		if (r->cpu < 0 && r->arm.its_cpu >= 0) {	/* arm64: the ITS collection's CPU */
			r->cpu = r->arm.its_cpu;
			r->cpu_src = "its";
		}
	}
	for (size_t vi = 0; vi < m->nvms; vi++) {
		struct m_vm *v = &m->vms[vi];

		for (size_t ri = 0; ri < v->nroutes; ri++) {
			struct m_route *g = &v->routes[ri];
			if (!g->active)
				continue;
			struct it_route *r = NEW_ROUTE();
			memset(r, 0, sizeof(*r));
			r->rk = IT_ROUTE_GUEST;
			r->kind = "guest";
			r->entry = -1;
			r->irq = -1;
			r->cpu = r->vector = r->apicid = -1;
			r->cpu_src = "unknown";
			r->vm_pid = v->pid;
			r->owner_vm = true;
			r->owner_pid = v->pid;
			snprintf(r->owner_name, sizeof(r->owner_name), "%s", v->name);
			r->gsi = g->gsi;
			r->source = g->from_iter ? "iterator" : "ioctl";
			r->host_irq = -1;
			r->eventfd = -1;
			r->lat_what = "irq->inject";
			guest_fields(r, g->address, g->data);
			r->changes = g->ch;
			for (size_t f = 0; f < v->nirqfds; f++)
				if (v->irqfds[f].active && v->irqfds[f].gsi == g->gsi)
					r->eventfd = v->irqfds[f].efd;
			/* the device vector signalling that eventfd */
			const struct m_trigger *trig = NULL;
			for (size_t t = 0; r->eventfd >= 0 && t < v->ntrig; t++) {
				if (v->trig[t].efd != r->eventfd)
					continue;
				snprintf(r->bdf, sizeof(r->bdf), "%s", v->trig[t].bdf);
				r->entry = v->trig[t].entry;
				r->host_irq = host_irq_of(m, v->trig[t].bdf, v->trig[t].entry);
				trig = &v->trig[t];
			}
			trap_path(m, v, g, trig, r);
			/* injections with this message, by this VMM or from its devices' irqs */
			for (size_t k = 0; k < m->ninj; k++) {
				struct m_inj *in = &m->inj[k];
				if (used[k] || in->k.address != g->address || in->k.data != g->data)
					continue;
				if ((int)in->k.pid != v->pid && !(in->k.host_irq && irq_owned_by(m, (int)in->k.host_irq, v)))
					continue;
				used[k] = true;
				inj_add(in, r);
			}
			if (r->host_irq < 0 && r->eventfd >= 0 && m->blind_vfio)
				snprintf(r->unknown, sizeof(r->unknown), "%s",
					 "device behind the eventfd: not seen (no VFIO_DEVICE_SET_IRQS observed)");
		}
	}
	/* then the messages routes carried before a change: current messages win */
	for (size_t vi = 0; vi < m->nvms; vi++) {
		struct m_vm *v = &m->vms[vi];

		for (size_t ri = 0; ri < v->nroutes; ri++) {
			struct m_route *g = &v->routes[ri];
			struct it_route *r = NULL;

			if (!g->active || !g->npast)
				continue;
			for (size_t i = 0; i < nr && !r; i++)
				if (rs[i].rk == IT_ROUTE_GUEST && rs[i].vm_pid == v->pid && rs[i].gsi == g->gsi)
					r = &rs[i];
			for (size_t k = 0; r && k < m->ninj; k++) {
				struct m_inj *in = &m->inj[k];
				if (used[k] || !route_carried(g, in->k.address, in->k.data))
					continue;
				if ((int)in->k.pid != v->pid && !(in->k.host_irq && irq_owned_by(m, (int)in->k.host_irq, v)))
					continue;
				used[k] = true;
				inj_add(in, r);
			}
		}
	}
	/* injections no route explains: directly signalled MSIs, or routes set up
	 * before irqtrail started */
	for (size_t k = 0; k < m->ninj; k++) {
		struct m_inj *in = &m->inj[k];
		struct m_vm *v = NULL;

		if (used[k] || !inj_count(in, NULL))
			continue;
		if (in->k.pid)
			v = vm_find(m, (int)in->k.pid);
		for (size_t vi = 0; !v && in->k.host_irq && vi < m->nvms; vi++)
			if (irq_owned_by(m, (int)in->k.host_irq, &m->vms[vi]))
				v = &m->vms[vi];
		/* merge with an existing row for the same VM and message */
		struct it_route *r = NULL;
		int pid = v ? v->pid : (int)in->k.pid;
		for (size_t i = 0; i < nr; i++)
			if (rs[i].rk == IT_ROUTE_GUEST && rs[i].gsi < 0 && rs[i].vm_pid == pid &&
			    rs[i].msi_address == in->k.address && rs[i].msi_data == in->k.data)
				r = &rs[i];
		if (!r) {
			r = NEW_ROUTE();
			memset(r, 0, sizeof(*r));
			r->rk = IT_ROUTE_GUEST;
			r->kind = "guest";
			r->entry = -1;
			r->irq = -1;
			r->cpu = r->vector = r->apicid = -1;
			r->cpu_src = "unknown";
			r->vm_pid = pid;
			r->owner_vm = true;
			r->owner_pid = pid;
			if (v)
				snprintf(r->owner_name, sizeof(r->owner_name), "%s", v->name);
			else if (pid)
				snprintf(r->owner_name, sizeof(r->owner_name), "pid %d", pid);
			else
				snprintf(r->owner_name, sizeof(r->owner_name), "unknown VM");
			r->gsi = -1;
			r->eventfd = -1;
			r->host_irq = in->k.host_irq ? (int)in->k.host_irq : -1;
			r->lat_what = "irq->inject";
			guest_fields(r, in->k.address, in->k.data);
			if (in->k.host_irq) {
				r->source = "observed";
				snprintf(r->unknown, sizeof(r->unknown), "%s",
					 "route set up before start: unknown until its next change");
			} else if (v && !v->from_snapshot) {
				r->source = "signal";
			} else {
				r->source = "observed";
				snprintf(r->unknown, sizeof(r->unknown), "%s",
					 "set up before start or signalled directly (KVM_SIGNAL_MSI): no route seen");
			}
		}
		used[k] = true;
		inj_add(in, r);
	}
	for (size_t i = 0; i < nr; i++)
		rs[i].rate = secs > 0 ? (double)rs[i].count / secs : 0;
	free(used);
#undef NEW_ROUTE
	if (nr)
		qsort(rs, nr, sizeof(*rs), cmp_route);
	*out = rs;
	*n = nr;
	return 0;
}

void it_model_stats(const struct it_model *m, struct it_model_stats *st)
{
	*st = m->st;
	st->irqs = m->nirqs;
	st->vms = m->nvms;
}

int it_model_vms(struct it_model *m, struct it_vm_info **out, size_t *n)
{
	struct it_vm_info *vs = calloc(m->nvms ? m->nvms : 1, sizeof(*vs));

	if (!vs)
		return -ENOMEM;
	refresh_inj(m);
	for (size_t i = 0; i < m->nvms; i++) {
		struct m_vm *v = &m->vms[i];
		struct it_vm_info *o = &vs[i];

		o->pid = v->pid;
		snprintf(o->name, sizeof(o->name), "%s", v->name);
		o->vcpus = v->vcpus;
		for (size_t r = 0; r < v->nroutes; r++)
			o->routes += v->routes[r].active;
		for (size_t f = 0; f < v->nirqfds; f++)
			o->irqfds += v->irqfds[f].active;
		o->vfio_devices = (unsigned int)v->ndevs;
		o->from_snapshot = v->from_snapshot;
		o->changes = v->ch;
		for (size_t k = 0; k < m->ninj; k++) {
			struct m_inj *in = &m->inj[k];
			if ((int)in->k.pid == v->pid || (in->k.host_irq && irq_owned_by(m, (int)in->k.host_irq, v)))
				o->injections += inj_count(in, NULL);
		}
	}
	*out = vs;
	*n = m->nvms;
	return 0;
}

size_t it_model_recent_changes(struct it_model *m, struct it_change *out, size_t max)
{
	size_t n = m->nrecent < max ? m->nrecent : max;
	size_t first = m->nrecent - n;

	for (size_t i = 0; i < n; i++)
		out[i] = m->recent[(m->recent_start + first + i) % GLOBAL_CHANGES];
	return n;
}
