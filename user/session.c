// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common.h"
#include "session.h"
#include "msitable.h"
#include "snapcap.h"

static int on_live_record(void *ctx, const struct it_hdr *h);

/* The first decoded ioctl of a process: record its names (comm, QEMU -name)
 * as an IT_EV_PROC record, so views and recordings can name the VM. */
static void note_proc(struct it_session *s, const struct it_hdr *h)
{
	struct it_proc rec;
	char path[64], buf[4096];
	FILE *f;
	size_t n;

	if (h->type < IT_EV_IOCTL_SET_IRQS || h->type > IT_EV_IOCTL_CREATE_VCPU || !h->pid)
		return;
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i] == h->pid)
			return;
	if (s->nprocs < sizeof(s->procs) / sizeof(s->procs[0]))
		s->procs[s->nprocs++] = h->pid;
	memset(&rec, 0, sizeof(rec));
	rec.h.ts = h->ts;
	rec.h.type = IT_EV_PROC;
	rec.h.version = 1;
	rec.h.len = sizeof(rec);
	rec.h.cpu = h->cpu;
	rec.h.pid = h->pid;
	rec.h.tid = h->tid;
	rec.proc_pid = h->pid;
	snprintf(path, sizeof(path), "/proc/%u/comm", h->pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(rec.comm, sizeof(rec.comm), f))
			rec.comm[strcspn(rec.comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(rec.name, sizeof(rec.name), "%s", rec.comm);
	snprintf(path, sizeof(path), "/proc/%u/cmdline", h->pid);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		char *name = it_vmm_name_from_cmdline(buf, n);
		if (name) {
			snprintf(rec.name, sizeof(rec.name), "%s", name);
			free(name);
		}
	}
	if (!rec.comm[0])
		return;	/* gone already */
	on_live_record(s, &rec.h);
}

static int on_live_record(void *ctx, const struct it_hdr *h)
{
	struct it_session *s = ctx;

	note_proc(s, h);

	s->records++;
	if (h->ts > s->now_ts)
		s->now_ts = h->ts;
	it_model_event(s->model, h);
	return s->o.cb ? s->o.cb(s->o.ctx, h) : 0;
}

static bool hop_attached(const struct it_hook_status *st, size_t n, const char *hop)
{
	for (size_t i = 0; i < n; i++)
		if (st[i].attached && !strcmp(st[i].hook->hop, hop))
			return true;
	return false;
}

static bool host_hop_attached(const struct it_host *h, const char *hop)
{
	for (size_t i = 0; i < h->nhooks; i++)
		if (h->hooks[i].attached && h->hooks[i].hop && !strcmp(h->hooks[i].hop, hop))
			return true;
	return false;
}

void it_session_blind(struct it_session *s, bool *irte, bool *vfio, bool *domain)
{
	if (s->live) {
		size_t n;
		const struct it_hook_status *st = it_live_hooks(s->live, &n);

		*irte = !hop_attached(st, n, "irte-write");
		*vfio = !hop_attached(st, n, "vfio-setup");
		*domain = !hop_attached(st, n, "domain-alloc");
	} else if (s->tr) {
		const struct it_host *h = it_tr_host(s->tr);

		*irte = !host_hop_attached(h, "irte-write");
		*vfio = !host_hop_attached(h, "vfio-setup");
		*domain = !host_hop_attached(h, "domain-alloc");
	} else {
		*irte = *vfio = *domain = true;
	}
}

bool it_session_is_live(const struct it_session *s)
{
	return s->live != NULL;
}

static int open_live(struct it_session *s)
{
	struct it_live_opts lo = {
		.full = s->o.full,
		.pid = s->o.pid,
		/* aggregating sessions carry control-plane events only: a small
		 * ring will do (the default 64 MiB is mapped twice) */
		.ringbuf_bytes = s->o.full ? 0 : 4u << 20,
		.cb = on_live_record,
		.ctx = s,
	};
	int r;

	/* the snapshot first: what existed before we started */
	s->snap_ts = it_now_ns();
	r = it_snapcap_capture("", &s->snapblob, &s->snaplen);
	if (r) {
		snprintf(s->err, sizeof(s->err), "cannot capture the start-up snapshot: %s", strerror(-r));
		return r;
	}
	r = it_snapshot_read(&s->snap, "", 0);
	s->have_snap = true;
	if (r) {
		snprintf(s->err, sizeof(s->err), "cannot read the start-up snapshot: %s", strerror(-r));
		return r;
	}
	it_model_set_snapshot(s->model, &s->snap);
	r = it_live_open(&s->live, &lo, s->err, sizeof(s->err));
	if (r)
		return r;
	s->start_ts = s->now_ts = it_now_ns();
	s->last_agg_read = s->start_ts;
	s->msi_pending = true;	/* read at the first step, once every consumer is ready */
	return 0;
}

int it_tr_read_snapshot(struct it_tr *tr, struct it_snapshot *snap, char *dir, size_t dirlen, bool *have)
{
	const void *blob;
	size_t len;
	int r;

	*have = false;
	dir[0] = 0;
	blob = it_tr_snapshot(tr, &len);
	if (!blob || !len)
		return 1;
	r = it_snapcap_materialize(blob, len, dir, dirlen);
	if (r) {
		dir[0] = 0;
		return r;
	}
	r = it_snapshot_read(snap, dir, IT_SNAP_ALL);
	*have = true;
	return r ? 2 : 0;
}

static int open_replay(struct it_session *s)
{
	int r;

	s->tr = it_tr_open(s->o.replay, s->err, sizeof(s->err));
	if (!s->tr)
		return errno ? -errno : -EINVAL;
	r = it_tr_read_snapshot(s->tr, &s->snap, s->snapdir, sizeof(s->snapdir), &s->have_snap);
	if (r < 0)
		snprintf(s->err, sizeof(s->err), "%s: the snapshot section is damaged (%s)", s->o.replay,
			 strerror(-r));
	else if (r == 0)
		it_model_set_snapshot(s->model, &s->snap);
	const struct it_host *h = it_tr_host(s->tr);
	s->start_ts = s->now_ts = h->start_ns;
	return 0;
}

int it_session_open(struct it_session *s, const struct it_session_opts *o)
{
	int r;
	bool irte, vfio, domain;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->model = it_model_new();
	if (!s->model) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -ENOMEM;
	}
	r = o->replay ? open_replay(s) : open_live(s);
	if (r)
		return r;
	it_session_blind(s, &irte, &vfio, &domain);
	it_model_set_blind(s->model, irte, vfio, domain);
	it_model_set_window(s->model, s->start_ts, 0);
	return 0;
}

int it_session_read_agg(struct it_session *s)
{
	struct it_agg_frame f;
	int r;

	if (!s->live)
		return 0;
	/* records queued before the frame go first, so the file stays in time order */
	it_live_drain(s->live);
	r = it_live_read_agg(s->live, &f);
	if (r)
		return r;
	s->last_agg_read = f.ts;
	if (f.ts > s->now_ts)
		s->now_ts = f.ts;
	it_model_agg(s->model, &f);
	if (s->o.agg_cb)
		s->o.agg_cb(s->o.ctx, &f);
	it_agg_free(&f);
	return 0;
}

static int replay_item(struct it_session *s, const struct it_tr_item *it)
{
	switch (it->kind) {
	case IT_TR_RECORD:
	case IT_TR_LOST:
		s->records++;
		if (it->rec->ts > s->now_ts && it->kind == IT_TR_RECORD)
			s->now_ts = it->rec->ts;
		it_model_event(s->model, it->rec);
		if (s->o.cb)
			return s->o.cb(s->o.ctx, it->rec);
		break;
	case IT_TR_AGGREGATE: {
		struct it_agg_frame f;

		if (it_agg_decode(it->data, it->len, &f) == 0) {
			if (f.ts > s->now_ts)
				s->now_ts = f.ts;
			it_model_agg(s->model, &f);
			if (s->o.agg_cb)
				s->o.agg_cb(s->o.ctx, &f);
			it_agg_free(&f);
		}
		break;
	}
	case IT_TR_SNAPSHOT:
		break;
	}
	return 0;
}

int it_session_step(struct it_session *s, int timeout_ms)
{
	if (s->live) {
		if (s->msi_pending) {
			/* the messages the devices hold now: joins irqs set up
			 * before start to their IRTEs */
			s->msi_pending = false;
			/* What the devices and VMs hold is read now, so these
			 * records carry the time of the read: the events already
			 * queued (older, and maybe what set that state up) go
			 * first, and nothing written before (an aggregate frame)
			 * is newer than them. */
			it_live_drain(s->live);
			uint64_t read_ts = it_now_ns();
			it_msi_tables_read(&s->snap, read_ts, on_live_record, s);
			/* and the routing tables and irqfds of VMs set up before start */
			it_live_read_vm_state(s->live, read_ts, on_live_record, s);
		}
		int r = it_live_poll(s->live, timeout_ms);

		if (r < 0) {
			snprintf(s->err, sizeof(s->err), "ring buffer poll failed: %s", strerror(-r));
			return r;
		}
		uint64_t now = it_now_ns();
		if (now > s->now_ts)
			s->now_ts = now;
		if (now - s->last_agg_read >= 1000000000ull)
			return it_session_read_agg(s);
		return 0;
	}
	if (s->ended)
		return 1;
	if (s->paused) {
		struct timespec ts = { 0, (long)timeout_ms * 1000000L };
		nanosleep(&ts, NULL);
		return 0;
	}
	/* replay: a batch, paced by the data clock when speed > 0 */
	uint64_t wall = it_now_ns();
	if (!s->replay_wall0) {
		s->replay_wall0 = wall;
		s->replay_data0 = s->now_ts;
	}
	for (int i = 0; i < 65536; i++) {
		struct it_tr_item it;
		int r = it_tr_next_item(s->tr, &it);

		if (r == 0) {
			s->ended = true;
			return 1;
		}
		if (r < 0) {
			snprintf(s->err, sizeof(s->err), "%s: %s", s->o.replay, it_tr_error(s->tr));
			s->ended = true;
			return r;
		}
		r = replay_item(s, &it);
		if (r)
			return r;
		if (s->o.speed > 0) {
			double data_el = (double)(s->now_ts - s->replay_data0);
			double wall_el = (double)(it_now_ns() - s->replay_wall0) * s->o.speed;
			if (data_el > wall_el) {
				double wait_ns = (data_el - wall_el) / s->o.speed;
				if (wait_ns > timeout_ms * 1e6)
					wait_ns = timeout_ms * 1e6;
				struct timespec ts = { (time_t)(wait_ns / 1e9), (long)((uint64_t)wait_ns % 1000000000ull) };
				nanosleep(&ts, NULL);
				return 0;
			}
		}
	}
	return 0;
}

int it_session_run(struct it_session *s, double secs)
{
	uint64_t end = secs > 0 ? (s->live ? it_now_ns() : s->now_ts) + (uint64_t)(secs * 1e9) : 0;
	int r = 0;

	while (!it_exiting) {
		int timeout = 100;

		if (s->live && end) {
			uint64_t now = it_now_ns();
			if (now >= end)
				break;
			if ((end - now) / 1000000 < (uint64_t)timeout)
				timeout = (int)((end - now) / 1000000) + 1;
		}
		r = it_session_step(s, timeout);
		if (r)
			break;
		if (!s->live && end && s->now_ts >= end)
			break;
	}
	if (s->live) {
		it_live_drain(s->live);
		it_session_read_agg(s);
	}
	it_model_set_window(s->model, s->start_ts, s->now_ts);
	return r < 0 ? r : 0;
}

void it_session_close(struct it_session *s)
{
	it_live_close(s->live);
	if (s->tr)
		it_tr_close(s->tr);
	it_model_free(s->model);
	if (s->have_snap)
		it_snapshot_free(&s->snap);
	if (s->snapdir[0])
		it_snapcap_remove(s->snapdir);
	free(s->snapblob);
	memset(s, 0, sizeof(*s));
}
