// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail top, data side: the source (a live session, or a recording on
 * its own replay clock), frames taken from the model once per refresh, rows
 * with per-interval rates, filters, sorting and the header.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
#include "hist.h"
#include "hooks.h"
#include "live.h"
#include "top_data.h"

const char *const top_view_names[TOP_NVIEWS] = { "Devices", "Guests", "Changes", "Alerts", "Detail" };

int top_view_parse(const char *s)
{
	size_t n = strlen(s);

	if (n == 1 && s[0] >= '1' && s[0] < '1' + TOP_NVIEWS)
		return s[0] - '1';
	if (!n)
		return -1;
	for (int i = 0; i < TOP_NVIEWS; i++)
		if (!strncasecmp(top_view_names[i], s, n))
			return i;
	return -1;
}

/* ------------------------------------------------------------ columns */

enum { DC_DEV, DC_ENT, DC_KIND, DC_IRQ, DC_CPU, DC_VEC, DC_IRTE, DC_OWNER, DC_RATE, DC_TOTAL, DC_P50, DC_P99,
       DC_HANDLER, DC_N };
static const struct top_col dev_cols[DC_N] = {
	[DC_DEV] = { "DEVICE", 12, true, 0, false, false },
	[DC_ENT] = { "ENT", 3, false, 3, true, false },
	[DC_KIND] = { "KIND", 5, true, 7, false, false },
	[DC_IRQ] = { "IRQ", 5, false, 1, true, false },
	[DC_CPU] = { "CPU", 3, false, 1, true, false },
	[DC_VEC] = { "VEC", 4, false, 4, true, false },
	[DC_IRTE] = { "IRTE", 6, true, 5, false, false },
	[DC_OWNER] = { "OWNER", 16, true, 2, false, false },
	[DC_RATE] = { "RATE/s", 9, false, 0, true, true },
	[DC_TOTAL] = { "TOTAL", 9, false, 6, true, true },
	[DC_P50] = { "P50", 7, false, 3, true, true },
	[DC_P99] = { "P99", 7, false, 3, true, true },
	[DC_HANDLER] = { "HANDLER", 0, true, 2, false, false },
};

enum { GC_VM, GC_PID, GC_GSI, GC_DEST, GC_GVEC, GC_MODE, GC_DELIV, GC_DEV, GC_ENT, GC_HIRQ, GC_EVFD, GC_SRC,
       GC_RATE, GC_TOTAL, GC_P50, GC_P99, GC_A50, GC_A99, GC_N };
static const struct top_col guest_cols[GC_N] = {
	[GC_VM] = { "VM", 14, true, 0, false, false },
	[GC_PID] = { "PID", 7, false, 1, true, false },
	[GC_GSI] = { "GSI", 5, false, 0, true, false },
	[GC_DEST] = { "DEST", 5, false, 2, true, false },
	[GC_GVEC] = { "GVEC", 5, false, 1, true, false },
	[GC_MODE] = { "MODE", 5, true, 7, false, false },
	[GC_DELIV] = { "DELIV", 6, true, 7, false, false },
	[GC_DEV] = { "DEVICE", 12, true, 2, false, false },
	[GC_ENT] = { "ENT", 3, false, 5, true, false },
	[GC_HIRQ] = { "HIRQ", 5, false, 4, true, false },
	[GC_EVFD] = { "EVFD", 4, false, 6, true, false },
	[GC_SRC] = { "SOURCE", 8, true, 8, false, false },
	[GC_RATE] = { "RATE/s", 9, false, 0, true, true },
	[GC_TOTAL] = { "TOTAL", 9, false, 6, true, true },
	[GC_P50] = { "P50", 7, false, 3, true, true },
	[GC_P99] = { "P99", 7, false, 3, true, true },
	[GC_A50] = { "ACC50", 7, false, 4, true, true },
	[GC_A99] = { "ACC99", 7, false, 4, true, true },
};

enum { CC_TIME, CC_PID, CC_WHO, CC_WHAT, CC_N };
static const struct top_col change_cols[CC_N] = {
	[CC_TIME] = { "TIME", 10, false, 0, true, false },
	[CC_PID] = { "PID", 7, false, 1, true, false },
	[CC_WHO] = { "WHO", 14, true, 1, false, false },
	[CC_WHAT] = { "WHAT", 0, true, 0, false, false },
};

enum { AC_SEV, AC_RULE, AC_STATE, AC_FIRST, AC_LAST, AC_COUNT, AC_DEV, AC_VM, AC_WHAT, AC_N };
static const struct top_col alert_cols[AC_N] = {
	[AC_SEV] = { "SEV", 8, true, 0, true, true },
	[AC_RULE] = { "RULE", 6, true, 0, false, false },
	[AC_STATE] = { "STATE", 7, true, 1, false, false },
	[AC_FIRST] = { "FIRST", 10, false, 3, true, false },
	[AC_LAST] = { "LAST", 10, false, 4, true, true },
	[AC_COUNT] = { "N", 4, false, 5, true, true },
	[AC_DEV] = { "DEVICE", 12, true, 2, false, false },
	[AC_VM] = { "VM", 12, true, 2, false, false },
	[AC_WHAT] = { "FINDING", 0, true, 0, false, false },
};

/* ------------------------------------------------------------ formats */

const char *top_fmt_rate(double v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (v < 1000)
		snprintf(buf, len, "%.1f", v);
	else if (v < 1e6)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else
		snprintf(buf, len, "%.2fG", v / 1e9);
	return buf;
}

const char *top_fmt_count(uint64_t v, char *buf, size_t len)
{
	if (v < 10000000ull)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else if (v < 10000000000ull)
		snprintf(buf, len, "%.1fM", (double)v / 1e6);
	else
		snprintf(buf, len, "%.1fG", (double)v / 1e9);
	return buf;
}

const char *top_fmt_rel(uint64_t ts, uint64_t start, char *buf, size_t len)
{
	double s = ((double)ts - (double)start) / 1e9;

	snprintf(buf, len, "%+.3fs", s);
	return buf;
}

static void cellf(struct top_row *r, int c, double num, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void cellf(struct top_row *r, int c, double num, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->cell[c], TOP_CELL, fmt, ap);
	va_end(ap);
	r->num[c] = num;
}

static void cellw(struct top_row *r, int c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* the flexible (last) column: long text */
static void cellw(struct top_row *r, int c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->wide, sizeof(r->wide), fmt, ap);
	va_end(ap);
	memcpy(r->cell[c], r->wide, TOP_CELL - 1);
	r->cell[c][TOP_CELL - 1] = 0;
	r->wide_col = c;
	r->num[c] = 0;
}

static void cell_int(struct top_row *r, int c, long long v)
{
	if (v < 0)
		cellf(r, c, -1, "-");
	else
		cellf(r, c, (double)v, "%lld", v);
}

static void cell_hex(struct top_row *r, int c, long long v)
{
	if (v < 0)
		cellf(r, c, -1, "-");
	else
		cellf(r, c, (double)v, "%#llx", v);
}

static void cell_rate(struct top_row *r, int c, double v)
{
	char b[32];

	cellf(r, c, v, "%s", top_fmt_rate(v, b, sizeof(b)));
}

static void cell_count(struct top_row *r, int c, uint64_t v)
{
	char b[32];

	cellf(r, c, (double)v, "%s", top_fmt_count(v, b, sizeof(b)));
}

/* a quantile, interpolated in its log2 bucket, never above the true maximum */
static void cell_lat(struct top_row *r, int c, const struct it_hist *h, uint64_t max, double q)
{
	char b[32];
	double v = it_hist_total(h) ? it_hist_quantile(h, q) : 0;

	if (max && v > (double)max)
		v = (double)max;

	cellf(r, c, v > 0 ? v : -1, "%s", it_fmt_ns(v, b, sizeof(b)));
}

/* ------------------------------------------------------------ the source */

static const char *const tier_rank[] = { "fentry", "kprobe", "tracepoint", "syscall", "uprobe", "poll" };

static int tier_of(const char *t)
{
	for (size_t i = 0; i < sizeof(tier_rank) / sizeof(tier_rank[0]); i++)
		if (t && !strcmp(t, tier_rank[i]))
			return (int)i;
	return 99;
}

static void cov_add(struct top_cov *c, const char *hop, const char *tier, bool attached, const char *why)
{
	struct top_hop *h = NULL;

	if (!hop || !*hop)
		hop = "other";
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->hop[i].name, hop))
			h = &c->hop[i];
	if (!h) {
		if (c->n == sizeof(c->hop) / sizeof(c->hop[0]))
			return;
		h = &c->hop[c->n++];
		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%s", hop);
		snprintf(h->tier, sizeof(h->tier), "none");
	}
	h->total++;
	c->hooks_total++;
	if (attached) {
		h->attached++;
		c->hooks_attached++;
		if (!h->visible || tier_of(tier) < tier_of(h->tier))
			snprintf(h->tier, sizeof(h->tier), "%s", tier);
		h->visible = true;
	} else if (!h->why[0] && why) {
		snprintf(h->why, sizeof(h->why), "%s", why);
	}
}

static void cov_finish(struct top_cov *c)
{
	size_t o = 0;

	c->visible = 0;
	for (size_t i = 0; i < c->n; i++)
		c->visible += c->hop[i].visible;
	c->tiers[0] = 0;
	for (size_t t = 0; t < sizeof(tier_rank) / sizeof(tier_rank[0]); t++) {
		bool used = false;
		for (size_t i = 0; i < c->n; i++)
			if (c->hop[i].visible && !strcmp(c->hop[i].tier, tier_rank[t]))
				used = true;
		if (used && o < sizeof(c->tiers))
			o += (size_t)snprintf(c->tiers + o, sizeof(c->tiers) - o, "%s%s", o ? "," : "", tier_rank[t]);
	}
	if (!c->tiers[0])
		snprintf(c->tiers, sizeof(c->tiers), "none");
}

static void info_fill(struct top_src *t, const char *file)
{
	struct top_info *in = &t->info;
	struct it_session *s = &t->s;

	memset(in, 0, sizeof(*in));
	if (t->live) {
		const struct it_features *f = it_live_features(s->live);
		struct utsname u;
		size_t n;
		const struct it_hook_status *st = it_live_hooks(s->live, &n);

		if (uname(&u) == 0)
			snprintf(in->host, sizeof(in->host), "%s", u.nodename);
		snprintf(in->kernel, sizeof(in->kernel), "%s", f->kernel);
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		in->cpus = c > 0 ? (unsigned)c : 0;
		for (size_t i = 0; i < n; i++)
			cov_add(&in->cov, st[i].hook->hop, it_tier_name(st[i].tier), st[i].attached, st[i].reason);
		snprintf(in->source, sizeof(in->source), "live");
	} else {
		const struct it_host *h = it_tr_host(s->tr);

		snprintf(in->host, sizeof(in->host), "%s", h->hostname[0] ? h->hostname : "?");
		snprintf(in->kernel, sizeof(in->kernel), "%s", h->kernel_release[0] ? h->kernel_release : "?");
		in->cpus = h->cpus_online;
		in->realtime_offset = h->realtime_offset_ns;
		for (size_t i = 0; i < h->nhooks; i++)
			cov_add(&in->cov, h->hooks[i].hop, h->hooks[i].tier, h->hooks[i].attached, h->hooks[i].reason);
		snprintf(in->source, sizeof(in->source), "%s", file);
	}
	cov_finish(&in->cov);
	snprintf(in->ir, sizeof(in->ir), "unknown");
	snprintf(in->isolated, sizeof(in->isolated), "-");
	snprintf(in->nohz, sizeof(in->nohz), "-");
	if (s->have_snap) {
		if (s->snap.ir.text[0])
			snprintf(in->ir, sizeof(in->ir), "%s", s->snap.ir.text);
		else
			snprintf(in->ir, sizeof(in->ir), "%s", it_ir_mode_str(s->snap.ir.mode));
		if (it_cpumask_weight(&s->snap.cpus.isolated))
			it_cpulist_format(&s->snap.cpus.isolated, in->isolated, sizeof(in->isolated));
		if (it_cpumask_weight(&s->snap.cpus.nohz_full))
			it_cpulist_format(&s->snap.cpus.nohz_full, in->nohz, sizeof(in->nohz));
		if (!in->cpus)
			in->cpus = it_cpumask_weight(&s->snap.cpus.online);
	}
	it_session_blind(s, &in->blind_irte, &in->blind_vfio, &in->blind_domain);
}

/* live: every record and aggregate frame also goes to the rules */
static int src_on_record(void *ctx, const struct it_hdr *h)
{
	struct top_src *t = ctx;

	top_alerts_event(t->alerts, h);
	return 0;
}

static void src_on_agg(void *ctx, const struct it_agg_frame *f)
{
	struct top_src *t = ctx;

	top_alerts_agg(t->alerts, f);
}

int top_src_open(struct top_src *t, const struct top_src_opts *o, char *err, size_t errlen)
{
	struct it_session_opts so = { 0 };
	int r;

	memset(t, 0, sizeof(*t));
	t->cost.stats_fd = -1;
	so.replay = o->file;
	so.pid = o->pid;
	so.cb = src_on_record;
	so.agg_cb = src_on_agg;
	so.ctx = t;
	r = it_session_open(&t->s, &so);
	t->open = true;
	if (r) {
		snprintf(err, errlen, "%s", t->s.err[0] ? t->s.err : strerror(-r));
		return r;
	}
	t->live = it_session_is_live(&t->s);
	t->speed = o->speed;
	t->pos = t->s.start_ts;
	t->wall_last = it_now_ns();
	info_fill(t, o->file);
	t->alerts = top_alerts_new(&t->s, t->alerts_why, sizeof(t->alerts_why));
	top_cost_start(&t->cost, t->live);
	if (t->live) {
		r = it_session_read_agg(&t->s);	/* the baseline */
		if (r) {
			snprintf(err, errlen, "cannot read the BPF aggregates: %s", strerror(-r));
			return r;
		}
		t->agg_ts = t->s.last_agg_read;
	}
	return 0;
}

void top_src_close(struct top_src *t)
{
	if (!t->open)
		return;
	top_cost_stop(&t->cost);
	it_session_close(&t->s);
	top_alerts_free(t->alerts);
	t->alerts = NULL;
	t->open = false;
}

static uint64_t item_ts(const struct it_tr_item *it)
{
	if ((it->kind == IT_TR_RECORD || it->kind == IT_TR_LOST) && it->rec)
		return it->rec->ts;
	return it->ts;
}

/* 1 with t->pend filled, 0 at the end, <0 damaged */
static int peek_item(struct top_src *t)
{
	int r;

	if (t->have_pend)
		return 1;
	if (t->ended)
		return 0;
	r = it_tr_next_item(t->s.tr, &t->pend);
	if (r <= 0) {
		t->ended = true;
		t->s.ended = true;
		t->progress = 1;
		if (r < 0)
			snprintf(t->err, sizeof(t->err), "%s: %s", t->s.o.replay, it_tr_error(t->s.tr));
		return r;
	}
	t->have_pend = true;
	const struct it_tr_info *ti = it_tr_info(t->s.tr);
	if (ti && ti->file_size)
		t->progress = (double)t->pend.offset / (double)ti->file_size;
	return 1;
}

/* The replay path of the session (replay_item), on our own clock. */
static void apply_item(struct top_src *t)
{
	struct it_session *s = &t->s;
	const struct it_tr_item *it = &t->pend;
	uint64_t ts = item_ts(it);

	t->have_pend = false;
	if (ts > t->last_item_ts)
		t->last_item_ts = ts;
	switch (it->kind) {
	case IT_TR_RECORD:
	case IT_TR_LOST:
		s->records++;
		if (it->kind == IT_TR_RECORD && it->rec->ts > s->now_ts)
			s->now_ts = it->rec->ts;
		it_model_event(s->model, it->rec);
		top_alerts_event(t->alerts, it->rec);
		break;
	case IT_TR_AGGREGATE: {
		struct it_agg_frame f;

		if (it_agg_decode(it->data, it->len, &f) == 0) {
			if (f.ts > s->now_ts)
				s->now_ts = f.ts;
			it_model_agg(s->model, &f);
			top_alerts_agg(t->alerts, &f);
			if (f.ts > t->agg_ts)
				t->agg_ts = f.ts;
			it_agg_free(&f);
		}
		break;
	}
	case IT_TR_SNAPSHOT:
		break;
	}
}

int top_src_replay_until(struct top_src *t, uint64_t until)
{
	if (t->live)
		return 0;
	if (!t->pos) {
		/* a recording without a start time: begin at its first item */
		if (peek_item(t) > 0)
			t->pos = t->s.start_ts = item_ts(&t->pend);
	}
	while (peek_item(t) > 0 && item_ts(&t->pend) <= until)
		apply_item(t);
	if (!t->ended) {
		if (until > t->pos)
			t->pos = until;
	} else if (t->last_item_ts > t->pos) {
		t->pos = t->last_item_ts;
	}
	return t->err[0] ? -EIO : 0;
}

int top_src_tick(struct top_src *t, int ms)
{
	uint64_t now;

	if (t->live) {
		int r = it_session_step(&t->s, ms < TOP_COST_WINDOW_MS ? ms : TOP_COST_WINDOW_MS);

		top_cost_tick(&t->cost);

		if (r < 0)
			snprintf(t->err, sizeof(t->err), "%s", t->s.err);
		t->pos = t->s.now_ts;
		return r < 0 ? r : 0;
	}
	now = it_now_ns();
	if (!t->paused && !t->ended) {
		if (t->speed <= 0) {
			/* as fast as possible, in slices so keys stay responsive */
			uint64_t deadline = now + 30000000ull;
			while (peek_item(t) > 0) {
				apply_item(t);
				if (it_now_ns() > deadline)
					break;
			}
			if (t->last_item_ts > t->pos)
				t->pos = t->last_item_ts;
		} else {
			double adv = (double)(now - t->wall_last) * t->speed;
			top_src_replay_until(t, t->pos + (uint64_t)adv);
		}
	}
	t->wall_last = now;
	return 0;
}

int top_src_sync(struct top_src *t)
{
	int r = 0;

	if (t->live) {
		it_live_drain(t->s.live);
		r = it_session_read_agg(&t->s);
		if (r)
			snprintf(t->err, sizeof(t->err), "cannot read the BPF aggregates: %s", strerror(-r));
		else
			t->agg_ts = t->s.last_agg_read;
		if (t->s.now_ts > t->pos)
			t->pos = t->s.now_ts;
	}
	return r;
}

void top_src_reset(struct top_src *t)
{
	top_src_sync(t);
	it_model_reset_counts(t->s.model);
}

void top_src_set_paused(struct top_src *t, bool paused)
{
	t->paused = paused;
	t->wall_last = it_now_ns();
}

void top_src_set_speed(struct top_src *t, double speed)
{
	t->speed = speed;
	t->wall_last = it_now_ns();
}

uint64_t top_src_now(const struct top_src *t)
{
	return t->live ? t->s.now_ts : t->pos;
}

/* ------------------------------------------------------------ frames */

static int cmp_rate_ent(const void *a, const void *b)
{
	return strcmp(((const struct top_rate_ent *)a)->key, ((const struct top_rate_ent *)b)->key);
}

static const struct top_rate_ent *prev_find(const struct top_state *st, const char *key)
{
	struct top_rate_ent k;

	if (!st->nprev)
		return NULL;
	snprintf(k.key, sizeof(k.key), "%s", key);
	return bsearch(&k, st->prev, st->nprev, sizeof(k), cmp_rate_ent);
}

static const char *vm_name(const struct top_frame *f, int pid)
{
	for (size_t i = 0; i < f->nvms; i++)
		if (f->vms[i].pid == pid)
			return f->vms[i].name;
	return NULL;
}

static void host_row(struct top_frame *f, const struct it_route *r, struct top_row *w)
{
	char b[TOP_CELL];

	snprintf(w->key, sizeof(w->key), "h%d", r->irq);
	snprintf(w->bdf, sizeof(w->bdf), "%s", r->bdf);
	w->pid = r->owner_vm ? r->owner_pid : 0;
	w->vm = r->owner_vm ? r->owner_name : "";
	cellf(w, DC_DEV, 0, "%s", r->bdf[0] ? r->bdf : "-");
	cell_int(w, DC_ENT, r->entry);
	cellf(w, DC_KIND, 0, "%s", r->kind ? r->kind : "-");
	cell_int(w, DC_IRQ, r->irq);
	cell_int(w, DC_CPU, r->cpu);
	cell_hex(w, DC_VEC, r->vector);
	cellf(w, DC_IRTE, 0, "%s", r->posted ? "posted" : r->remapped ? "remap" : "-");
	if (r->owner_vm)
		snprintf(b, sizeof(b), "vm:%s", r->owner_name);
	else if (strcmp(r->owner_name, "host") && r->owner_name[0])
		snprintf(b, sizeof(b), "host:%s", r->owner_name);
	else
		snprintf(b, sizeof(b), "host");
	cellf(w, DC_OWNER, 0, "%s", b);
	cell_lat(w, DC_P50, &r->lat, r->lat_max, 0.5);
	cell_lat(w, DC_P99, &r->lat, r->lat_max, 0.99);
	cellw(w, DC_HANDLER, "%s", r->name[0] ? r->name : "-");
	(void)f;
}

static void guest_row(struct top_frame *f, const struct it_route *r, struct top_row *w)
{
	if (r->gsi >= 0)
		snprintf(w->key, sizeof(w->key), "g%d:%d", r->vm_pid, r->gsi);
	else
		snprintf(w->key, sizeof(w->key), "m%d:%llx:%x", r->vm_pid, (unsigned long long)r->msi_address,
			 r->msi_data);
	snprintf(w->bdf, sizeof(w->bdf), "%s", r->bdf);
	w->pid = r->vm_pid > 0 ? r->vm_pid : 0;
	w->vm = r->owner_name;
	cellf(w, GC_VM, 0, "%s", r->owner_name[0] ? r->owner_name : "?");
	cell_int(w, GC_PID, r->vm_pid > 0 ? r->vm_pid : -1);
	if (r->gsi >= 0)
		cellf(w, GC_GSI, r->gsi, "%d", r->gsi);
	else
		cellf(w, GC_GSI, -1, "msi");
	cell_int(w, GC_DEST, r->dest);
	cell_hex(w, GC_GVEC, r->guest_vector);
	cellf(w, GC_MODE, 0, "%s", r->dest_mode ? (!strcmp(r->dest_mode, "logical") ? "log" : "phys") : "-");
	cellf(w, GC_DELIV, 0, "%s", r->delivery ? r->delivery : "-");
	cellf(w, GC_DEV, 0, "%s", r->bdf[0] ? r->bdf : "-");
	cell_int(w, GC_ENT, r->bdf[0] ? r->entry : -1);
	cell_int(w, GC_HIRQ, r->host_irq);
	cell_int(w, GC_EVFD, r->eventfd);
	cellf(w, GC_SRC, 0, "%s", r->source ? r->source : "-");
	cell_lat(w, GC_P50, &r->lat, r->lat_max, 0.5);
	cell_lat(w, GC_P99, &r->lat, r->lat_max, 0.99);
	cell_lat(w, GC_A50, &r->accept, 0, 0.5);
	cell_lat(w, GC_A99, &r->accept, 0, 0.99);
	(void)f;
}

static int table_alloc(struct top_table *tb, const struct top_col *cols, size_t ncols, size_t n)
{
	tb->cols = cols;
	tb->ncols = ncols;
	tb->rows = calloc(n ? n : 1, sizeof(*tb->rows));
	tb->vis = calloc(n ? n : 1, sizeof(*tb->vis));
	if (!tb->rows || !tb->vis)
		return -ENOMEM;
	return 0;
}

static struct top_row *table_add(struct top_table *tb)
{
	struct top_row *w = &tb->rows[tb->nrows++];

	memset(w, 0, sizeof(*w));
	w->route = w->change = -1;
	w->wide_col = -1;
	w->vm = "";
	return w;
}

int top_frame_take(struct top_frame *f, struct top_src *t, struct top_state *st)
{
	struct it_model *m = t->s.model;
	struct it_model_stats ms;
	uint64_t now = top_src_now(t), cts;
	size_t nh = 0, ng = 0;
	bool fresh;
	int r;

	memset(f, 0, sizeof(*f));
	f->seq = ++st->seq;
	f->info = &t->info;
	f->snap = t->s.have_snap ? &t->s.snap : NULL;
	f->live = t->live;
	f->replay_ended = t->ended;
	f->paused = t->paused;
	f->speed = t->speed;
	f->progress = t->progress;
	f->start_ts = t->s.start_ts;
	f->ts = now;
	f->err = t->err;
	if (!st->prev_ts)
		st->prev_ts = t->s.start_ts;

	it_model_set_window(m, t->s.start_ts, now);
	r = it_model_routes(m, &f->routes, &f->nroutes);
	if (r)
		return r;
	r = it_model_vms(m, &f->vms, &f->nvms);
	if (r)
		return r;
	f->changes = calloc(256, sizeof(*f->changes));
	if (!f->changes)
		return -ENOMEM;
	f->nchanges = it_model_recent_changes(m, f->changes, 256);
	it_model_stats(m, &ms);
	f->events = ms.events;
	f->lost = ms.lost;
	if (t->live) {
		struct it_live_counters c;

		it_live_counters(t->s.live, &c);
		f->bad_records = c.bad_records;
		if (c.c[IT_CNT_LOST] > f->lost)
			f->lost = c.c[IT_CNT_LOST];
	}

	/* rates: counts against the time they were counted at (the last
	 * aggregate frame), held when no new counts came in */
	cts = t->agg_ts ? t->agg_ts : now;
	/* counts over a too short time (the baseline frame) make no rate */
	fresh = cts > st->prev_ts + (st->min_dt ? st->min_dt : 50000000ull);
	f->dt = fresh ? (double)(cts - st->prev_ts) / 1e9 : 0;

	for (size_t i = 0; i < f->nroutes; i++)
		*(f->routes[i].rk == IT_ROUTE_HOST ? &nh : &ng) += 1;
	if ((r = table_alloc(&f->t[TOP_V_DEVICES], dev_cols, DC_N, nh)) ||
	    (r = table_alloc(&f->t[TOP_V_GUESTS], guest_cols, GC_N, ng)) ||
	    (r = table_alloc(&f->t[TOP_V_CHANGES], change_cols, CC_N, f->nchanges)) ||
	    (r = table_alloc(&f->t[TOP_V_ALERTS], alert_cols, AC_N, 0)))
		return r;
	f->t[TOP_V_CHANGES].empty = "no control-plane change seen yet";
	f->t[TOP_V_DEVICES].empty = "no device interrupts known";
	f->t[TOP_V_GUESTS].empty = "no VM routes or injections seen yet";

	struct top_rate_ent *next = calloc(f->nroutes ? f->nroutes : 1, sizeof(*next));
	size_t nnext = 0;
	const char *gprev = NULL;
	int gid = -1, gprev_pid = -2;

	if (!next)
		return -ENOMEM;
	for (size_t i = 0; i < f->nroutes; i++) {
		const struct it_route *rt = &f->routes[i];
		struct top_table *tb = &f->t[rt->rk == IT_ROUTE_HOST ? TOP_V_DEVICES : TOP_V_GUESTS];
		struct top_row *w = table_add(tb);
		const struct top_rate_ent *p;
		double rate;

		w->route = (int)i;
		if (rt->rk == IT_ROUTE_HOST) {
			host_row(f, rt, w);
			if (!gprev || strcmp(gprev, rt->bdf))
				gid++;
			gprev = rt->bdf;
		} else {
			guest_row(f, rt, w);
			if (gprev_pid != rt->vm_pid)
				gid++;
			gprev_pid = rt->vm_pid;
		}
		w->group = gid;
		w->total = rt->count;
		p = prev_find(st, w->key);
		if (fresh)
			rate = (!p || rt->count >= p->count) ? (double)(rt->count - (p ? p->count : 0)) / f->dt : 0;
		else
			rate = p ? p->rate : 0;
		w->rate = rate;
		if (rt->rk == IT_ROUTE_HOST) {
			cell_rate(w, DC_RATE, rate);
			cell_count(w, DC_TOTAL, rt->count);
			f->irq_rate += rate;
		} else {
			cell_rate(w, GC_RATE, rate);
			cell_count(w, GC_TOTAL, rt->count);
			f->inj_rate += rate;
		}
		snprintf(next[nnext].key, sizeof(next[nnext].key), "%s", w->key);
		next[nnext].count = rt->count;
		next[nnext].rate = rate;
		nnext++;
	}
	/* records are timed by the data clock itself */
	if (!st->prev_ev_ts)
		st->prev_ev_ts = t->s.start_ts;
	if (now > st->prev_ev_ts + (st->min_dt ? st->min_dt : 50000000ull)) {
		f->ev_rate = (double)(f->events >= st->prev_events ? f->events - st->prev_events : 0) /
			     ((double)(now - st->prev_ev_ts) / 1e9);
		st->ev_rate = f->ev_rate;
		st->prev_events = f->events;
		st->prev_ev_ts = now;
	} else {
		f->ev_rate = st->ev_rate;
	}
	if (fresh) {
		qsort(next, nnext, sizeof(*next), cmp_rate_ent);
		/* duplicate keys (an irq listed twice) keep the first */
		free(st->prev);
		st->prev = next;
		st->nprev = nnext;
		st->prev_ts = cts;
	} else {
		free(next);
	}

	/* the change log; new_changes: those after the previous frame's */
	for (size_t i = 0; i < f->nchanges; i++) {
		const struct it_change *c = &f->changes[i];
		struct top_row *w = table_add(&f->t[TOP_V_CHANGES]);
		const char *who = c->pid ? vm_name(f, (int)c->pid) : "kernel";
		char b[32];

		w->change = (int)i;
		w->group = -1;
		w->pid = (int)c->pid;
		w->vm = who ? who : "";
		snprintf(w->key, sizeof(w->key), "c%llu:%zu", (unsigned long long)c->ts, i);
		cellf(w, CC_TIME, (double)c->ts, "%s", top_fmt_rel(c->ts, f->start_ts, b, sizeof(b)));
		cell_int(w, CC_PID, c->pid);
		cellf(w, CC_WHO, 0, "%s", who ? who : "-");
		cellw(w, CC_WHAT, "%s", c->what);
		/* the bdf filter matches changes naming the device */
		for (size_t q = 0, len = strnlen(c->what, sizeof(c->what)); q + 12 <= len; q++)
			if (isxdigit((unsigned char)c->what[q]) && c->what[q + 4] == ':' &&
			    !it_bdf_parse(c->what + q, 12, w->bdf))
				break;
	}
	/* new_changes: those after the previous frame's last one (for batch) */
	if (f->seq == 1) {
		f->new_changes = f->nchanges;
	} else {
		size_t same = 0;
		for (size_t i = 0; i < f->nchanges; i++) {
			if (f->changes[i].ts > st->changes_seen_ts)
				f->new_changes++;
			else if (f->changes[i].ts == st->changes_seen_ts)
				same++;
		}
		if (same > st->changes_seen_n)
			f->new_changes += same - st->changes_seen_n;
	}
	if (f->nchanges) {
		uint64_t last = 0;
		size_t same = 0;
		for (size_t i = 0; i < f->nchanges; i++)
			if (f->changes[i].ts > last)
				last = f->changes[i].ts;
		for (size_t i = 0; i < f->nchanges; i++)
			same += f->changes[i].ts == last;
		st->changes_seen_ts = last;
		st->changes_seen_n = same;
	}
	/* the rules, evaluated on this frame's data clock */
	f->nalerts = top_alerts_eval(t->alerts, m, now, &f->alerts);
	top_alerts_active(t->alerts, f->alerts_active);
	if (t->alerts)
		top_alerts_summary(t->alerts, f->alerts_empty, sizeof(f->alerts_empty));
	else
		snprintf(f->alerts_empty, sizeof(f->alerts_empty), "%s", t->alerts_why);
	f->t[TOP_V_ALERTS].empty = f->alerts_empty;
	free(f->t[TOP_V_ALERTS].rows);
	free(f->t[TOP_V_ALERTS].vis);
	if ((r = table_alloc(&f->t[TOP_V_ALERTS], alert_cols, AC_N, f->nalerts)))
		return r;
	for (size_t i = 0; i < f->nalerts; i++) {
		const struct top_alert *a = &f->alerts[i];
		struct top_row *w = table_add(&f->t[TOP_V_ALERTS]);
		char b[32];

		w->group = -1;
		snprintf(w->key, sizeof(w->key), "a%s:%.40s", a->code, a->key);
		snprintf(w->bdf, sizeof(w->bdf), "%s", a->bdf);
		w->pid = a->vm_pid > 0 ? a->vm_pid : 0;
		w->vm = a->vm;
		cellf(w, AC_SEV, a->severity, "%s", a->sev);
		cellf(w, AC_RULE, 0, "%s", a->code);
		cellf(w, AC_STATE, a->active, "%s", a->active ? "ACTIVE" : "cleared");
		cellf(w, AC_FIRST, (double)a->first_ts, "%s", top_fmt_rel(a->first_ts, f->start_ts, b, sizeof(b)));
		cellf(w, AC_LAST, (double)a->last_ts, "%s", top_fmt_rel(a->last_ts, f->start_ts, b, sizeof(b)));
		cell_count(w, AC_COUNT, a->raised);
		cellf(w, AC_DEV, 0, "%s", a->bdf[0] ? a->bdf : "-");
		cellf(w, AC_VM, 0, "%s", a->vm[0] ? a->vm : "-");
		cellw(w, AC_WHAT, "%s", a->msg);
	}
	top_cost_sample(&t->cost, &f->cost);
	return 0;
}

void top_frame_free(struct top_frame *f)
{
	for (int i = 0; i < TOP_NTABLES; i++) {
		free(f->t[i].rows);
		free(f->t[i].vis);
	}
	free(f->routes);
	free(f->changes);
	free(f->vms);
	memset(f, 0, sizeof(*f));
}

void top_state_free(struct top_state *st)
{
	free(st->prev);
	memset(st, 0, sizeof(*st));
}

void top_state_set_interval(struct top_state *st, double interval)
{
	double half = interval * 0.5e9;

	st->min_dt = half > 0 && half < 50e6 ? (uint64_t)half : 50000000ull;
}

void top_state_init(struct top_state *st, double interval)
{
	memset(st, 0, sizeof(*st));
	top_state_set_interval(st, interval);
}

void top_state_reset(struct top_state *st, uint64_t ts)
{
	for (size_t i = 0; i < st->nprev; i++) {
		st->prev[i].count = 0;
		st->prev[i].rate = 0;
	}
	st->prev_ts = ts;
}

/* ------------------------------------------------------------ filters */

int top_filter_set_regex(struct top_filter *f, const char *re, char *err, size_t errlen)
{
	regex_t nre;
	int r;

	if (!re || !*re) {
		if (f->have_re)
			regfree(&f->re);
		f->have_re = false;
		f->re_text[0] = 0;
		return 0;
	}
	r = regcomp(&nre, re, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (r) {
		char b[128];
		regerror(r, &nre, b, sizeof(b));
		snprintf(err, errlen, "bad regex '%s': %s", re, b);
		return -1;
	}
	if (f->have_re)
		regfree(&f->re);
	f->re = nre;
	f->have_re = true;
	snprintf(f->re_text, sizeof(f->re_text), "%s", re);
	return 0;
}

int top_filter_set_bdf(struct top_filter *f, const char *s)
{
	char tmp[40];

	if (!s || !*s) {
		f->bdf[0] = 0;
		return 0;
	}
	if (!it_bdf_parse(s, strlen(s), f->bdf))
		return 0;
	snprintf(tmp, sizeof(tmp), "0000:%s", s);
	if (!it_bdf_parse(tmp, strlen(tmp), f->bdf))
		return 0;
	f->bdf[0] = 0;
	return -1;
}

void top_filter_set_vm(struct top_filter *f, const char *s)
{
	long long pid;

	f->pid = 0;
	f->vm[0] = 0;
	if (!s || !*s)
		return;
	pid = it_parse_ull(s, 0x7fffffff);
	if (pid > 0)
		f->pid = (int)pid;
	else
		snprintf(f->vm, sizeof(f->vm), "%s", s);
}

void top_filter_free(struct top_filter *f)
{
	if (f->have_re)
		regfree(&f->re);
	f->have_re = false;
}

bool top_filter_active(const struct top_filter *f)
{
	return f->have_re || f->bdf[0] || f->pid || f->vm[0];
}

static bool row_match(const struct top_table *tb, const struct top_row *w, const struct top_filter *f)
{
	if (f->bdf[0] && strcmp(w->bdf, f->bdf))
		return false;
	if (f->pid && w->pid != f->pid)
		return false;
	if (f->vm[0] && !strstr(w->vm, f->vm))
		return false;
	if (f->have_re) {
		char line[TOP_MAXCOL * TOP_CELL];
		size_t o = 0;

		for (size_t c = 0; c < tb->ncols && o < sizeof(line); c++)
			o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s", c ? " " : "", top_cell(w, (int)c));
		if (regexec(&f->re, line, 0, NULL, 0))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ sorting */

void top_sort_default(struct top_sort *s)
{
	memset(s, 0, sizeof(*s));
	s->col[TOP_V_DEVICES] = DC_RATE;
	s->desc[TOP_V_DEVICES] = true;
	s->col[TOP_V_GUESTS] = GC_RATE;
	s->desc[TOP_V_GUESTS] = true;
	s->col[TOP_V_CHANGES] = CC_TIME;
	s->desc[TOP_V_CHANGES] = false;
	s->col[TOP_V_ALERTS] = AC_SEV;
	s->desc[TOP_V_ALERTS] = true;
}

const struct top_col *top_view_cols(int view, size_t *n)
{
	switch (view) {
	case TOP_V_DEVICES:
		*n = DC_N;
		return dev_cols;
	case TOP_V_GUESTS:
		*n = GC_N;
		return guest_cols;
	case TOP_V_CHANGES:
		*n = CC_N;
		return change_cols;
	case TOP_V_ALERTS:
		*n = AC_N;
		return alert_cols;
	default:
		*n = 0;
		return NULL;
	}
}

int top_col_find(int view, const char *name)
{
	size_t n = strlen(name), nc;
	const struct top_col *cols = top_view_cols(view, &nc);

	if (!n || !cols)
		return -1;
	for (size_t i = 0; i < nc; i++)
		if (!strcasecmp(cols[i].name, name))
			return (int)i;
	for (size_t i = 0; i < nc; i++)
		if (!strncasecmp(cols[i].name, name, n))
			return (int)i;
	return -1;
}

struct sort_ctx {
	const struct top_table *tb;
	int col;
	bool desc;
};

static int cmp_vis(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *cx = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const struct top_row *rx = &cx->tb->rows[x], *ry = &cx->tb->rows[y];
	int c;

	if (cx->tb->cols[cx->col].num)
		c = (rx->num[cx->col] > ry->num[cx->col]) - (rx->num[cx->col] < ry->num[cx->col]);
	else
		c = strverscmp(top_cell(rx, cx->col), top_cell(ry, cx->col));
	if (cx->desc)
		c = -c;
	if (!c)
		c = (x > y) - (x < y);
	return c;
}

int top_table_apply(struct top_table *tb, int view, const struct top_filter *f, const struct top_sort *s)
{
	struct sort_ctx cx = { tb, s->col[view], s->desc[view] };
	size_t n = 0;

	if (cx.col < 0 || (size_t)cx.col >= tb->ncols)
		cx.col = 0;
	for (size_t i = 0; i < tb->nrows; i++)
		if (row_match(tb, &tb->rows[i], f))
			tb->vis[n++] = i;
	tb->nvis = n;
	if (n < 2)
		return 0;
	qsort_r(tb->vis, n, sizeof(size_t), cmp_vis, &cx);
	/* keep groups together: a group goes where its first row sorted to */
	if (tb->rows[tb->vis[0]].group < 0)
		return 0;
	size_t ngroups = 0;
	for (size_t i = 0; i < tb->nrows; i++)
		if ((size_t)tb->rows[i].group + 1 > ngroups)
			ngroups = (size_t)tb->rows[i].group + 1;
	size_t *start = calloc(ngroups + 1, sizeof(size_t)), *fill = calloc(ngroups + 1, sizeof(size_t));
	size_t *order = calloc(ngroups + 1, sizeof(size_t)), *cnt = calloc(ngroups + 1, sizeof(size_t));
	size_t *out = malloc(n * sizeof(size_t));
	size_t norder = 0;

	if (!start || !fill || !order || !cnt || !out) {
		free(start), free(fill), free(order), free(cnt), free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t g = (size_t)tb->rows[tb->vis[i]].group;
		if (!cnt[g]++)
			order[norder++] = g;
	}
	for (size_t i = 0, o = 0; i < norder; i++) {
		start[order[i]] = o;
		o += cnt[order[i]];
	}
	for (size_t i = 0; i < n; i++) {
		size_t g = (size_t)tb->rows[tb->vis[i]].group;
		out[start[g] + fill[g]++] = tb->vis[i];
	}
	memcpy(tb->vis, out, n * sizeof(size_t));
	free(start), free(fill), free(order), free(cnt), free(out);
	return 0;
}

size_t top_cols_fit(const struct top_table *tb, int width, int must, int *out, int *flex)
{
	bool keep[TOP_MAXCOL] = { 0 };
	int used = 0, flexcol = -1;
	size_t n = 0;

	*flex = 0;
	for (size_t i = 0; i < tb->ncols; i++)
		if (!tb->cols[i].width)
			flexcol = (int)i;
	if (width <= 0) {
		for (size_t i = 0; i < tb->ncols; i++)
			out[n++] = (int)i;
		return n;
	}
	/* by priority, lowest first (the kept column before all); the
	 * flexible column needs 8 */
	for (int prio = -1; prio <= 9; prio++) {
		for (size_t i = 0; i < tb->ncols; i++) {
			int w = tb->cols[i].width ? tb->cols[i].width : 8;
			int p = (int)i == must ? -1 : tb->cols[i].prio;
			if (p != prio || keep[i])
				continue;
			if (used + w + (used ? 1 : 0) > width)
				continue;
			keep[i] = true;
			used += w + (used ? 1 : 0);
		}
	}
	for (size_t i = 0; i < tb->ncols; i++)
		if (keep[i])
			out[n++] = (int)i;
	if (flexcol >= 0 && keep[flexcol])
		*flex = width - used + 8;
	return n;
}

/* ------------------------------------------------------------ header */

static void seg(struct top_header *h, int line, int style, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void seg(struct top_header *h, int line, int style, const char *fmt, ...)
{
	va_list ap;
	struct top_seg *s;

	if (h->n[line] >= TOP_HDR_SEGS)
		return;
	s = &h->seg[line][h->n[line]++];
	s->style = style;
	va_start(ap, fmt);
	vsnprintf(s->text, sizeof(s->text), fmt, ap);
	va_end(ap);
}

static const char *hms(double secs, char *b, size_t len)
{
	unsigned long s = secs > 0 ? (unsigned long)secs : 0;

	snprintf(b, len, "%02lu:%02lu:%02lu", s / 3600, (s / 60) % 60, s % 60);
	return b;
}

void top_header_build(const struct top_frame *f, double interval, bool interactive, struct top_header *h)
{
	const struct top_info *in = f->info;
	char a[48], b[48], c[48];
	double el = f->ts > f->start_ts ? (double)(f->ts - f->start_ts) / 1e9 : 0;

	memset(h, 0, sizeof(*h));
	/* 0: what and when */
	seg(h, 0, TOP_S_TITLE, "irqtrail top");
	if (f->live) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(a, sizeof(a), "%H:%M:%S", &tm);
		seg(h, 0, TOP_S_NORMAL, "  live  %s  up %s", a, hms(el, b, sizeof(b)));
	} else {
		seg(h, 0, TOP_S_NORMAL, "  replay %s", in->source);
		seg(h, 0, TOP_S_VALUE, "  %+.3fs", el);
		if (in->realtime_offset) {
			time_t wt = (time_t)(((int64_t)f->ts + in->realtime_offset) / 1000000000ll);
			struct tm tm;

			localtime_r(&wt, &tm);
			strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S", &tm);
			seg(h, 0, TOP_S_NORMAL, "  %s", a);
		}
		/* batch frames are cut on the recording's clock: no speed */
		if (interactive && f->speed > 0)
			seg(h, 0, TOP_S_NORMAL, "  x%g", f->speed);
		else if (interactive)
			seg(h, 0, TOP_S_NORMAL, "  x max");
		seg(h, 0, TOP_S_NORMAL, "  %3.0f%%", f->progress * 100);
		if (f->replay_ended)
			seg(h, 0, TOP_S_WARN, "  [END]");
	}
	if (f->paused)
		seg(h, 0, TOP_S_WARN, "  [PAUSED]");
	seg(h, 0, TOP_S_DIM, "  every %gs", interval);
	/* 1: where */
	seg(h, 1, TOP_S_LABEL, "host ");
	seg(h, 1, TOP_S_VALUE, "%s", in->host);
	seg(h, 1, TOP_S_LABEL, "  kernel ");
	seg(h, 1, TOP_S_VALUE, "%s", in->kernel);
	seg(h, 1, TOP_S_LABEL, "  cpus ");
	seg(h, 1, TOP_S_VALUE, "%u", in->cpus);
	seg(h, 1, TOP_S_LABEL, "  IR ");
	seg(h, 1, !strcmp(in->ir, "none") || !strcmp(in->ir, "unknown") ? TOP_S_WARN : TOP_S_VALUE, "%s", in->ir);
	seg(h, 1, TOP_S_LABEL, "  isolated ");
	seg(h, 1, TOP_S_VALUE, "%s", in->isolated);
	if (strcmp(in->nohz, "-")) {
		seg(h, 1, TOP_S_LABEL, "  nohz_full ");
		seg(h, 1, TOP_S_VALUE, "%s", in->nohz);
	}
	/* 2: what we see */
	seg(h, 2, TOP_S_LABEL, "coverage ");
	seg(h, 2, in->cov.visible == in->cov.n ? TOP_S_GOOD : TOP_S_VALUE, "%zu/%zu hops", in->cov.visible, in->cov.n);
	seg(h, 2, TOP_S_NORMAL, " (%s, %u/%u hooks)", in->cov.tiers, in->cov.hooks_attached, in->cov.hooks_total);
	if (interactive)
		seg(h, 2, TOP_S_DIM, " [c]");
	seg(h, 2, TOP_S_LABEL, "  lost ");
	seg(h, 2, f->lost ? TOP_S_WARN : TOP_S_GOOD, "%llu", (unsigned long long)f->lost);
	if (f->bad_records) {
		seg(h, 2, TOP_S_LABEL, "  undecodable ");
		seg(h, 2, TOP_S_WARN, "%llu", (unsigned long long)f->bad_records);
	}
	seg(h, 2, TOP_S_LABEL, "  alerts ");
	if (f->alerts_active[2] || f->alerts_active[1]) {
		if (f->alerts_active[2])
			seg(h, 2, TOP_S_WARN, "%u critical%s", f->alerts_active[2], f->alerts_active[1] ? ", " : "");
		if (f->alerts_active[1])
			seg(h, 2, TOP_S_WARN, "%u warning", f->alerts_active[1]);
		seg(h, 2, TOP_S_DIM, "%s", interactive ? " [4]" : "");
	} else {
		seg(h, 2, TOP_S_GOOD, "%u", f->alerts_active[0]);
	}
	if (f->err && f->err[0])
		seg(h, 2, TOP_S_WARN, "  %s", f->err);
	/* 3: rates and our cost */
	seg(h, 3, TOP_S_LABEL, "irqs ");
	seg(h, 3, TOP_S_VALUE, "%s/s", top_fmt_rate(f->irq_rate, a, sizeof(a)));
	seg(h, 3, TOP_S_LABEL, "  injections ");
	seg(h, 3, TOP_S_VALUE, "%s/s", top_fmt_rate(f->inj_rate, a, sizeof(a)));
	seg(h, 3, TOP_S_LABEL, "  events ");
	seg(h, 3, TOP_S_VALUE, "%s/s", top_fmt_rate(f->ev_rate, a, sizeof(a)));
	if (!f->live && !interactive) {
		/* a replay printed as fast as it reads: its CPU use says nothing */
		seg(h, 3, TOP_S_LABEL, "  cost: n/a (replay)");
		return;
	}
	seg(h, 3, TOP_S_LABEL, "  cost: bpf ");
	if (f->cost.bpf_known)
		seg(h, 3, TOP_S_VALUE, "%s/s (%.2f%% cpu, %s runs/s, %s/run, %u progs)",
		    it_fmt_ns(f->cost.bpf_ns_per_s, a, sizeof(a)), f->cost.bpf_ns_per_s / 1e7,
		    top_fmt_rate(f->cost.bpf_runs_per_s, b, sizeof(b)), it_fmt_ns(f->cost.bpf_avg_ns, c, sizeof(c)),
		    f->cost.nprogs);
	else
		seg(h, 3, TOP_S_DIM, "n/a (%s)", f->cost.why && f->cost.why[0] ? f->cost.why : "first frame");
	seg(h, 3, TOP_S_LABEL, "  cpu ");
	seg(h, 3, TOP_S_VALUE, "%.1f%%", f->cost.cpu_pct);
}

void top_header_text(const struct top_header *h, int line, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < h->n[line] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s", h->seg[line][i].text);
}

/* ------------------------------------------------------------ lines */

void top_lines_add(struct top_lines *ls, int style, const char *fmt, ...)
{
	va_list ap;

	if (ls->n == ls->cap) {
		size_t nc = ls->cap ? ls->cap * 2 : 64;
		struct top_line *nl = realloc(ls->l, nc * sizeof(*nl));
		if (!nl)
			return;
		ls->l = nl;
		ls->cap = nc;
	}
	ls->l[ls->n].style = style;
	va_start(ap, fmt);
	vsnprintf(ls->l[ls->n].text, sizeof(ls->l[ls->n].text), fmt, ap);
	va_end(ap);
	ls->n++;
}

void top_lines_free(struct top_lines *ls)
{
	free(ls->l);
	memset(ls, 0, sizeof(*ls));
}
