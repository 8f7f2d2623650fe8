// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "format.h"
#include "full.h"
#include "irqtrail.skel.h"
#include "progmiss.h"
#include "iter.h"
#include "live.h"
#include "qemu.h"
#include "ringbuf.h"

#define IT_DEFAULT_RINGBUF (64u << 20)

struct it_live {
	struct irqtrail_bpf *skel;
	struct it_ring *rb;
	struct it_features feat;
	struct it_hook_status *st;
	struct bpf_link **links;
	struct it_full *full;
	struct it_iter *iter;	/* VM state at start (NULL: not loaded) */
	struct it_qemu *qemu;
	size_t nattached;
	it_event_fn cb;
	void *ctx;
	uint64_t bad_records;
	unsigned int budget;	/* records left in this poll */
	bool *btf;		/* per hook: attached through its tp_btf twin */
	size_t nbtf;
	int ncpus;
};

static bool prog_needs_bpf_loop(const char *prog)
{
	return prog && !strcmp(prog, "tp_sys_exit_ioctl");
}

void it_hooks_plan(const struct it_features *f, struct it_hook_status *st)
{
	for (size_t i = 0; i < it_nhooks; i++) {
		const struct it_hook *h = &it_hooks[i];
		struct it_hook_status *s = &st[i];

		memset(s, 0, sizeof(*s));
		s->hook = h;
		if (!strcmp(h->name, IT_HOOK_VM_ITER)) {
			snprintf(s->reason, sizeof(s->reason), "%s", f->btf ? "BPF task_file iterator, loaded with the live session"
									    : "needs the kernel's BTF (CO-RE)");
			continue;
		}
		if (h->prog) {
			bool sys = !strncmp(h->tp, "syscalls/", 9);

			if (!f->tracefs)
				snprintf(s->reason, sizeof(s->reason), "tracefs is not mounted and could not be mounted");
			else if (!it_tracepoint_exists(f, h->tp))
				snprintf(s->reason, sizeof(s->reason), "tracepoint %s is not in this kernel%s", h->tp,
					 sys ? " (CONFIG_FTRACE_SYSCALLS off)" : "");
			else if (prog_needs_bpf_loop(h->prog) && !f->bpf_loop)
				snprintf(s->reason, sizeof(s->reason), "needs the bpf_loop helper (Linux 5.17+)");
			else
				s->tier = sys ? IT_TIER_SYSCALL : IT_TIER_TRACEPOINT;
			continue;
		}
		if (it_qemu_is_hook(h)) {
			it_qemu_plan(f, 0, s);
			continue;
		}
		/* fentry/kprobe tier */
		if (!f->fentry && !f->kprobes)
			snprintf(s->reason, sizeof(s->reason), "needs fentry or kprobes; this kernel has neither (%s; no kprobe PMU)",
				 f->fentry_reason);
		else if (!it_ksym_exists(h->ksym))
			snprintf(s->reason, sizeof(s->reason), "%s is not in this kernel's symbols (driver or module not loaded)",
				 h->ksym);
		else
			snprintf(s->reason, sizeof(s->reason), "kernel offers %s, but this irqtrail build has no %s-tier program for it",
				 f->fentry ? "fentry" : "kprobes", f->fentry ? "fentry" : "kprobe");
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct it_live *l = ctx;
	const struct it_hdr *h = data;

	int r = 0;

	if (it_event_check(h, size))
		l->bad_records++;
	else if (l->cb)
		r = l->cb(l->ctx, h);
	if (r)
		return r;
	/* a reader that is behind must still come back to its caller (deadlines,
	 * signals, screen refresh): stop after a budget of records */
	if (--l->budget == 0)
		return -ECANCELED;
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !it_verbose)
		return 0;
	if (!it_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* bt_X, the tp_btf twin of tracepoint program tp_X, when this build has one */
static struct bpf_program *btf_twin(struct bpf_object *obj, const char *tp_prog)
{
	char n[64];

	if (!tp_prog || strncmp(tp_prog, "tp_", 3))
		return NULL;
	snprintf(n, sizeof(n), "bt_%s", tp_prog + 3);
	return bpf_object__find_program_by_name(obj, n);
}

/* Open and load the tracepoint-tier object: every program whose hook this
 * kernel has, through its tp_btf twin when use_btf. */
static int open_load(struct it_live *l, const struct it_live_opts *o, bool use_btf)
{
	struct bpf_program *prog;
	size_t rb = o->ringbuf_bytes ? o->ringbuf_bytes : IT_DEFAULT_RINGBUF;

	l->nbtf = 0;
	l->skel = irqtrail_bpf__open();
	if (!l->skel)
		return -errno;
	l->skel->rodata->cfg_full = o->full;
	l->skel->rodata->cfg_tgid = (uint32_t)o->pid;
	l->skel->rodata->cfg_wakeup_bytes = rb / 8;
	bpf_map__set_max_entries(l->skel->maps.events, (uint32_t)rb);

	/* turn off every program whose hook this kernel lacks */
	bpf_object__for_each_program(prog, l->skel->obj) {
		const char *pn = bpf_program__name(prog);
		bool want = false;

		for (size_t i = 0; i < it_nhooks; i++)
			if (it_hooks[i].prog && !strcmp(it_hooks[i].prog, pn))
				want = l->st[i].tier != IT_TIER_NONE;
		bpf_program__set_autoload(prog, want);
	}
	for (size_t i = 0; i < it_nhooks; i++) {
		struct bpf_program *twin = btf_twin(l->skel->obj, it_hooks[i].prog);

		l->btf[i] = false;
		if (!twin || !use_btf || l->st[i].tier != IT_TIER_TRACEPOINT)
			continue;
		prog = bpf_object__find_program_by_name(l->skel->obj, it_hooks[i].prog);
		if (prog)
			bpf_program__set_autoload(prog, false);
		bpf_program__set_autoload(twin, true);
		l->btf[i] = true;
		l->nbtf++;
	}
	return irqtrail_bpf__load(l->skel);
}

int it_live_open(struct it_live **out, const struct it_live_opts *o, char *err, size_t errlen)
{
	struct it_live *l = calloc(1, sizeof(*l));
	int ret;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	libbpf_set_print(libbpf_print);
	it_probe_features(&l->feat);
	l->cb = o->cb;
	l->ctx = o->ctx;
	l->ncpus = libbpf_num_possible_cpus();
	l->st = calloc(it_nhooks, sizeof(*l->st));
	l->links = calloc(it_nhooks, sizeof(*l->links));
	l->btf = calloc(it_nhooks, sizeof(*l->btf));
	if (!l->st || !l->links || !l->btf) {
		ret = -ENOMEM;
		goto fail;
	}
	if (!l->feat.root) {
		snprintf(err, errlen, "loading BPF programs needs root");
		ret = -EPERM;
		goto fail;
	}
	if (!l->feat.btf) {
		snprintf(err, errlen, "kernel BTF (/sys/kernel/btf/vmlinux) is missing: CO-RE programs cannot load");
		ret = -ENOENT;
		goto fail;
	}
	it_hooks_plan(&l->feat, l->st);

	/* BTF-typed raw tracepoints (bt_* twins, see bpf/kvm.bpf.h) first;
	 * when the kernel refuses them, the perf tracepoints */
	const char *no_btf = getenv("IRQTRAIL_NO_TP_BTF");

	ret = -EINVAL;
	for (int attempt = 0; attempt < 2 && ret; attempt++) {
		bool use_btf = attempt == 0 && !(no_btf && !strcmp(no_btf, "1"));

		ret = open_load(l, o, use_btf);
		if (ret && !l->nbtf)
			break;
		if (ret) {
			irqtrail_bpf__destroy(l->skel);
			l->skel = NULL;
		}
	}
	if (ret) {
		snprintf(err, errlen, "cannot load the BPF programs: %s (run with -v for the verifier log)",
			 strerror(-ret));
		goto fail;
	}
	/* the QEMU uprobes first: finding and reading the QEMU binaries takes a
	 * while, and the kernel's events should start close to the session's start */
	{
		int nq = it_qemu_attach(&l->qemu, bpf_map__fd(l->skel->maps.events),
					bpf_map__fd(l->skel->maps.counters), o->pid, l->st, it_nhooks);

		if (nq > 0)
			l->nattached += (size_t)nq;
	}
	for (size_t i = 0; i < it_nhooks; i++) {
		struct it_hook_status *s = &l->st[i];

		if (s->tier == IT_TIER_NONE || !it_hooks[i].prog)
			continue;
		struct bpf_program *prog = l->btf[i] ? btf_twin(l->skel->obj, it_hooks[i].prog)
						   : bpf_object__find_program_by_name(l->skel->obj, it_hooks[i].prog);
		if (!prog) {
			s->tier = IT_TIER_NONE;
			snprintf(s->reason, sizeof(s->reason), "no BPF program %s in this build", it_hooks[i].prog);
			continue;
		}
		l->links[i] = bpf_program__attach(prog);
		if (!l->links[i]) {
			int e = errno;
			s->tier = IT_TIER_NONE;
			snprintf(s->reason, sizeof(s->reason), "attach failed: %s (%d)", strerror(e), -e);
			continue;
		}
		s->attached = true;
		snprintf(s->reason, sizeof(s->reason), "%s",
			 l->btf[i] ? "attached (BTF-typed raw tracepoint)" : "attached");
		l->nattached++;
	}
	{
		struct it_full_opts fo = {
			.events_fd = bpf_map__fd(l->skel->maps.events),
			.counters_fd = bpf_map__fd(l->skel->maps.counters),
			.cur_irq_fd = bpf_map__fd(l->skel->maps.cur_irq),
			.agg_counts_fd = bpf_map__fd(l->skel->maps.agg_counts),
			.full = o->full,
			.pid = o->pid,
		};
		int nf = it_full_attach(&l->full, &fo, &l->feat, l->st, it_nhooks);

		if (nf > 0)
			l->nattached += (size_t)nf;
	}
	for (size_t i = 0; i < it_nhooks; i++) {
		struct it_hook_status *s = &l->st[i];

		if (strcmp(it_hooks[i].name, IT_HOOK_VM_ITER))
			continue;
		if (it_iter_open(&l->iter, s->reason, sizeof(s->reason)) == 0) {
			s->tier = IT_TIER_ITER;
			s->attached = true;
		} else {
			s->tier = IT_TIER_NONE;
		}
	}
	if (!l->nattached) {
		snprintf(err, errlen, "no hook could attach on this kernel (see 'irqtrail doctor')");
		ret = -ENOENT;
		goto fail;
	}
	ret = it_ring_open(&l->rb, bpf_map__fd(l->skel->maps.events));
	if (ret) {
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(-ret));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	it_live_close(l);
	return ret < 0 ? ret : -EINVAL;
}

#define IT_POLL_BUDGET 65536
/* A poll that found fewer records than this had caught up with the
 * producers: it sleeps before the next batch (see it_live_poll). */
#define IT_POLL_CAUGHT_UP 4096

int it_live_poll(struct it_live *l, int timeout_ms)
{
	int n, m, w;

	/* What is queued first.  A reader that is behind takes batch after
	 * batch; one that has caught up sleeps until the kernel wakes it (a
	 * control-plane record, or the buffer past cfg_wakeup_bytes) or the
	 * period ends, so that it reads in bursts far behind the producers
	 * instead of chasing them record by record (data-plane records do not
	 * wake it: BPF_RB_NO_WAKEUP). */
	l->budget = IT_POLL_BUDGET;
	n = it_ring_consume(l->rb, on_record, l);
	if (n == -ECANCELED)
		return IT_POLL_BUDGET;
	if (n < 0)
		return n;
	if (n >= IT_POLL_CAUGHT_UP)
		return n;
	w = it_ring_wait(l->rb, timeout_ms);
	if (w < 0)
		return w;
	l->budget = IT_POLL_BUDGET;
	m = it_ring_consume(l->rb, on_record, l);
	if (m == -ECANCELED)
		return IT_POLL_BUDGET;
	if (m < 0)
		return m;
	return n + m;
}

int it_live_drain(struct it_live *l)
{
	int n;

	/* at exit: what the kernel queued before the programs were stopped,
	 * bounded so a producer that keeps going cannot hold us */
	for (int i = 0; i < 64; i++) {
		l->budget = IT_POLL_BUDGET;
		n = it_ring_consume(l->rb, on_record, l);
		if (n != -ECANCELED)
			return n;
	}
	return 0;
}

void it_live_prog_misses(const struct it_live *l, struct it_prog_misses *m)
{
	memset(m, 0, sizeof(*m));
	it_prog_misses_add(m, l->skel->obj);
	it_full_prog_misses(l->full, m);
	it_qemu_prog_misses(l->qemu, m);
}

void it_live_counters(struct it_live *l, struct it_live_counters *c)
{
	int fd = bpf_map__fd(l->skel->maps.counters);
	uint64_t *vals = calloc((size_t)l->ncpus, sizeof(uint64_t));

	memset(c, 0, sizeof(*c));
	c->bad_records = l->bad_records;
	if (!vals)
		return;
	for (uint32_t k = 0; k < IT_CNT_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int i = 0; i < l->ncpus; i++)
			c->c[k] += vals[i];
	}
	free(vals);
	/* a KVM_SIGNAL_MSI record that could not be completed is a lost event
	 * for every consumer (the counter itself stays apart for doctor/bench) */
	c->c[IT_CNT_LOST] += c->c[IT_CNT_IOCTL_MISSED];
}

const struct it_hook_status *it_live_hooks(const struct it_live *l, size_t *n)
{
	*n = it_nhooks;
	return l->st;
}

const struct it_features *it_live_features(const struct it_live *l)
{
	return &l->feat;
}

size_t it_live_nattached(const struct it_live *l)
{
	return l->nattached;
}

void it_live_close(struct it_live *l)
{
	if (!l)
		return;
	it_ring_free(l->rb);
	it_iter_close(l->iter);
	it_qemu_close(l->qemu);
	it_full_detach(l->full);
	if (l->links)
		for (size_t i = 0; i < it_nhooks; i++)
			bpf_link__destroy(l->links[i]);
	irqtrail_bpf__destroy(l->skel);
	free(l->links);
	free(l->btf);
	free(l->st);
	free(l);
}

/* Sum a per-cpu hash map into an array of (key, value) pairs. */
typedef void (*sum_fn)(void *dst, const void *percpu, int ncpus);

static int read_percpu_hash(int fd, size_t ksz, size_t vsz, int ncpus, sum_fn sum, void *outv,
			    size_t *n, size_t esz, size_t koff, size_t voff)
{
	size_t cap = 0, cnt = 0;
	unsigned char key[64], next[64];
	unsigned char *vals = calloc((size_t)ncpus, (vsz + 7) & ~7ul);
	unsigned char *arr = NULL;
	void *prev = NULL;
	int ret = 0;

	if (!vals)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, ksz);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			unsigned char *na = realloc(arr, nc * esz);
			if (!na) {
				ret = -ENOMEM;
				break;
			}
			arr = na;
			cap = nc;
		}
		unsigned char *e = arr + cnt * esz;
		memset(e, 0, esz);
		memcpy(e + koff, key, ksz);
		sum(e + voff, vals, ncpus);
		cnt++;
	}
	free(vals);
	*(void **)outv = arr;
	*n = cnt;
	return ret;
}

static void sum_irq(void *dst, const void *pc, int ncpus)
{
	struct it_irq_stat *d = dst;
	const struct it_irq_stat *v = pc;

	for (int c = 0; c < ncpus; c++) {
		d->count += v[c].count;
		d->sum_ns += v[c].sum_ns;
		if (v[c].max_ns > d->max_ns)
			d->max_ns = v[c].max_ns;
		if (v[c].last_ts > d->last_ts)
			d->last_ts = v[c].last_ts;
		for (int i = 0; i < IT_HIST_SLOTS; i++)
			d->hist.slots[i] += v[c].hist.slots[i];
	}
}

static void sum_msi(void *dst, const void *pc, int ncpus)
{
	struct it_msi_stat *d = dst;
	const struct it_msi_stat *v = pc;

	for (int c = 0; c < ncpus; c++) {
		if (!v[c].count)
			continue;
		d->count += v[c].count;
		d->hop_sum_ns += v[c].hop_sum_ns;
		if (!d->first_ts || v[c].first_ts < d->first_ts)
			d->first_ts = v[c].first_ts;
		if (v[c].last_ts > d->last_ts)
			d->last_ts = v[c].last_ts;
		d->accepted += v[c].accepted;
		d->accept_sum_ns += v[c].accept_sum_ns;
		for (int i = 0; i < IT_HIST_SLOTS; i++) {
			d->hop.slots[i] += v[c].hop.slots[i];
			d->accept.slots[i] += v[c].accept.slots[i];
		}
	}
}

static void sum_cnt(void *dst, const void *pc, int ncpus)
{
	struct it_count_stat *d = dst;
	const struct it_count_stat *v = pc;

	for (int c = 0; c < ncpus; c++) {
		d->count += v[c].count;
		if (v[c].last_ts > d->last_ts)
			d->last_ts = v[c].last_ts;
	}
}

/* ---- the per-cpu caches in front of the hash maps ---- */

static struct it_irq_stat *frame_irq(struct it_agg_frame *f, __u32 irq)
{
	for (size_t i = 0; i < f->nirq; i++)
		if (f->irq[i].irq == irq)
			return &f->irq[i].st;
	struct it_agg_irq *n = realloc(f->irq, (f->nirq + 1) * sizeof(*n));
	if (!n)
		return NULL;
	f->irq = n;
	memset(&n[f->nirq], 0, sizeof(*n));
	n[f->nirq].irq = irq;
	return &n[f->nirq++].st;
}

static struct it_msi_stat *frame_msi(struct it_agg_frame *f, const struct it_msi_key *k)
{
	for (size_t i = 0; i < f->nmsi; i++)
		if (!memcmp(&f->msi[i].k, k, sizeof(*k)))
			return &f->msi[i].st;
	struct it_agg_msi *n = realloc(f->msi, (f->nmsi + 1) * sizeof(*n));
	if (!n)
		return NULL;
	f->msi = n;
	memset(&n[f->nmsi], 0, sizeof(*n));
	n[f->nmsi].k = *k;
	return &n[f->nmsi++].st;
}

static struct it_count_stat *frame_cnt(struct it_agg_frame *f, const struct it_agg_key *k)
{
	for (size_t i = 0; i < f->ncnt; i++)
		if (!memcmp(&f->cnt[i].k, k, sizeof(*k)))
			return &f->cnt[i].st;
	struct it_agg_cnt *n = realloc(f->cnt, (f->ncnt + 1) * sizeof(*n));
	if (!n)
		return NULL;
	f->cnt = n;
	memset(&n[f->ncnt], 0, sizeof(*n));
	n[f->ncnt].k = *k;
	return &n[f->ncnt++].st;
}

/* Fold each cpu's claimed slots of a per-cpu cache array into the frame. */
static int read_cache(int fd, unsigned int n, size_t vsz, int ncpus, struct it_agg_frame *f, int kind)
{
	unsigned char *vals = calloc((size_t)ncpus, vsz);

	if (!vals)
		return -ENOMEM;
	for (__u32 idx = 0; idx < n; idx++) {
		if (bpf_map_lookup_elem(fd, &idx, vals))
			continue;
		for (int c = 0; c < ncpus; c++) {
			const void *v = vals + (size_t)c * vsz;

			if (kind == 0) {
				const struct it_irq_slot *s = v;
				struct it_irq_stat *d;
				if (!s->used || !(d = frame_irq(f, s->irq)))
					continue;
				sum_irq(d, &s->st, 1);
			} else if (kind == 1) {
				const struct it_msi_slot *s = v;
				struct it_msi_stat *d;
				if (!s->used || !s->st.count || !(d = frame_msi(f, &s->k)))
					continue;
				sum_msi(d, &s->st, 1);
			} else {
				const struct it_agg_slot *s = v;
				struct it_count_stat *d;
				if (!s->used || !(d = frame_cnt(f, &s->k)))
					continue;
				sum_cnt(d, &s->st, 1);
			}
		}
	}
	free(vals);
	return 0;
}

int it_live_read_agg(struct it_live *l, struct it_agg_frame *f)
{
	struct it_live_counters c;
	int r;

	memset(f, 0, sizeof(*f));
	f->ts = it_now_ns();
	it_live_counters(l, &c);
	memcpy(f->counters, c.c, sizeof(f->counters));
	r = read_percpu_hash(bpf_map__fd(l->skel->maps.irq_stats), sizeof(__u32), sizeof(struct it_irq_stat),
			     l->ncpus, sum_irq, &f->irq, &f->nirq, sizeof(*f->irq),
			     offsetof(struct it_agg_irq, irq), offsetof(struct it_agg_irq, st));
	if (!r)
		r = read_percpu_hash(bpf_map__fd(l->skel->maps.msi_stats), sizeof(struct it_msi_key),
				     sizeof(struct it_msi_stat), l->ncpus, sum_msi, &f->msi, &f->nmsi, sizeof(*f->msi),
				     offsetof(struct it_agg_msi, k), offsetof(struct it_agg_msi, st));
	if (!r)
		r = read_percpu_hash(bpf_map__fd(l->skel->maps.agg_counts), sizeof(struct it_agg_key),
				     sizeof(struct it_count_stat), l->ncpus, sum_cnt, &f->cnt, &f->ncnt, sizeof(*f->cnt),
				     offsetof(struct it_agg_cnt, k), offsetof(struct it_agg_cnt, st));
	if (!r)
		r = read_cache(bpf_map__fd(l->skel->maps.irq_cache), IT_IRQ_CACHE, sizeof(struct it_irq_slot),
			       l->ncpus, f, 0);
	if (!r)
		r = read_cache(bpf_map__fd(l->skel->maps.msi_cache), IT_MSI_CACHE, sizeof(struct it_msi_slot),
			       l->ncpus, f, 1);
	if (!r)
		r = read_cache(bpf_map__fd(l->skel->maps.agg_cache), IT_AGG_CACHE, sizeof(struct it_agg_slot),
			       l->ncpus, f, 2);
	if (r)
		it_agg_free(f);
	return r;
}

struct it_full *it_live_full(const struct it_live *l)
{
	return l->full;
}

int it_live_read_vm_state(struct it_live *l, uint64_t ts, it_event_fn fn, void *ctx)
{
	struct it_vmstate_counts c;
	int r;

	if (!l->iter)
		return -EOPNOTSUPP;
	r = it_iter_read(l->iter, ts, fn, ctx, &c);
	for (size_t i = 0; i < it_nhooks; i++)
		if (!strcmp(it_hooks[i].name, IT_HOOK_VM_ITER))
			snprintf(l->st[i].reason, sizeof(l->st[i].reason), "attached: %s", it_iter_status(l->iter));
	return r;
}
