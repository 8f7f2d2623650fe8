// SPDX-License-Identifier: GPL-2.0-only
/* irqtrail record: snapshot + events into a trace file, written by a thread
 * of its own so a slow disk never stalls the ring buffer. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "rules.h"
#include "progmiss.h"
#include "session.h"
#include "snapshot.h"
#include "tracefile.h"

struct record_opts {
	const char *out;
	double secs;
	bool full;
	long long pid;
	const char *bdf;
	char bdfbuf[IT_BDF_LEN];
	long long queue_mb;
};

struct rec_state {
	struct it_tw *tw;
	int err;		/* first write error */
	uint64_t pushed, dropped;
	uint64_t lost_written;
	const char *bdf;
	struct it_session *s;
	uint64_t filtered;
	struct it_rules *rules;	/* findings become IT_EV_ALERT records */
	uint64_t rules_next;
	uint64_t alerts;
};

static void on_finding(void *ctx, const struct it_finding *f, bool raised, uint64_t ts)
{
	struct rec_state *st = ctx;
	struct it_alert a;

	it_alert_from_finding(&a, f, raised, ts);
	if (!st->err && st->tw && it_tw_async_push(st->tw, &a.h) == 0)
		st->alerts++;
}

static const struct argp_option record_options[] = {
	{ "output", 'o', "FILE", 0, "Trace file to write (mode 0600)", 0 },
	{ "duration", 'D', "SECS", 0, "Stop after SECS seconds (default: until Ctrl-C or SIGTERM)", 0 },
	{ "full", 'f', NULL, 0, "Keep every data-plane event (each interrupt and injection), not only aggregates", 0 },
	{ "pid", 'p', "PID", 0, "Only this VMM's ioctls and process-context KVM events", 0 },
	{ "device", 'd', "BDF", 0, "Only this device's host irq events", 0 },
	{ "queue-mb", 'q', "MB", 0, "Writer queue size in MiB (default 64)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf diagnostics", 0 },
	{ 0 },
};

static error_t record_parse(int key, char *arg, struct argp_state *state)
{
	struct record_opts *o = state->input;

	switch (key) {
	case 'o':
		o->out = arg;
		break;
	case 'D':
		o->secs = it_parse_secs(arg);
		if (o->secs < 0)
			argp_error(state, "invalid duration '%s'", arg);
		break;
	case 'f':
		o->full = true;
		break;
	case 'p':
		o->pid = it_parse_ull(arg, 0x7fffffff);
		if (o->pid <= 0)
			argp_error(state, "invalid pid '%s'", arg);
		break;
	case 'd':
		if (it_bdf_parse(arg, strlen(arg), o->bdfbuf))
			argp_error(state, "invalid PCI address '%s' (expected 0000:00:03.0)", arg);
		o->bdf = o->bdfbuf;
		break;
	case 'q':
		o->queue_mb = it_parse_ull(arg, 4096);
		if (o->queue_mb <= 0)
			argp_error(state, "invalid queue size '%s'", arg);
		break;
	case 'v':
		it_verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!o->out)
			argp_error(state, "where to? (-o FILE)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char record_doc[] =
	"Record the start-up snapshot and the event stream into a trace file (see "
	"docs/trace-format.md).  By default data-plane events (each interrupt, each injection) "
	"are aggregated in the kernel and stored as periodic aggregate frames; --full stores "
	"every one.  Exit status 0 when everything was recorded, 1 when events were lost or "
	"writing failed (the file then holds all that was written before).\n"
	"\vEXAMPLES:\n"
	"  irqtrail record -o vm.itr -D 30\n"
	"  irqtrail record -o all.itr --full --pid 4242\n";

/* Host irq events of other devices, when -d is given. */
static bool filtered_out(struct rec_state *st, const struct it_hdr *h)
{
	int irq;

	if (!st->bdf)
		return false;
	switch (h->type) {
	case IT_EV_IRQ_ENTRY:
	case IT_EV_IRQ_NAME:
		irq = ((const struct it_irq_entry *)h)->irq;
		break;
	case IT_EV_IRQ_EXIT:
		irq = ((const struct it_irq_exit *)h)->irq;
		break;
	default:
		return false;
	}
	const struct it_irq *q = st->s->have_snap ? it_snapshot_irq(&st->s->snap, irq) : NULL;
	return q && q->bdf[0] && strcmp(q->bdf, st->bdf);
}

static int on_record(void *ctx, const struct it_hdr *h)
{
	struct rec_state *st = ctx;
	int r;

	if (st->err || !st->tw)
		return 0;
	if (st->rules)
		it_rules_event(st->rules, h);
	if (filtered_out(st, h)) {
		st->filtered++;
		return 0;
	}
	r = it_tw_async_push(st->tw, h);
	if (r == -EAGAIN) {
		st->dropped++;
		return 0;
	}
	if (r < 0) {
		st->err = r;
		return 0;
	}
	st->pushed++;
	return 0;
}

static void on_agg(void *ctx, const struct it_agg_frame *f)
{
	struct rec_state *st = ctx;
	void *buf;
	size_t len;
	int r;

	if (st->rules)
		it_rules_agg(st->rules, f);
	if (st->err || !st->tw)
		return;
	if (it_agg_encode(f, &buf, &len))
		return;
	r = it_tw_write_aggregate(st->tw, f->ts, buf, len);
	free(buf);
	if (r < 0 && r != -EAGAIN)
		st->err = r;
	if (f->counters[IT_CNT_LOST] > st->lost_written) {
		r = it_tw_write_lost(st->tw, f->ts, f->counters[IT_CNT_LOST] - st->lost_written);
		if (r == 0)
			st->lost_written = f->counters[IT_CNT_LOST];
	}
}

int cmd_record(int argc, char **argv)
{
	struct argp argp = { record_options, record_parse, NULL, record_doc, NULL, NULL, NULL };
	struct record_opts o = { 0 };
	struct rec_state st = { 0 };
	struct it_session_opts so = { 0 };
	struct it_session s;
	struct it_host host;
	struct it_host_store store;
	struct it_hook_info *hi = NULL;
	struct it_tw_opts two = { 0 };
	struct it_tw_stats ws;
	char err[256];
	int r, ret = IT_EXIT_OK;

	if (it_argp_parse(&argp, argc, argv, 0, &o))
		return IT_EXIT_USAGE;
	so.full = o.full;
	so.pid = (pid_t)o.pid;
	so.cb = on_record;
	so.ctx = &st;
	so.agg_cb = on_agg;
	st.bdf = o.bdf;
	st.s = &s;
	it_install_signals();
	r = it_session_open(&s, &so);
	if (r) {
		p_err("%s", s.err);
		it_session_close(&s);
		return IT_EXIT_FAIL;
	}
	/* host facts, with the hooks as attached */
	it_host_collect(&host, &store);
	host.argc = argc;
	host.argv = argv;
	size_t nh;
	const struct it_hook_status *hs = it_live_hooks(s.live, &nh);
	hi = calloc(nh, sizeof(*hi));
	if (hi) {
		for (size_t i = 0; i < nh; i++) {
			hi[i].hook = hs[i].hook->name;
			hi[i].hop = hs[i].hook->hop;
			hi[i].tier = it_tier_name(hs[i].attached ? hs[i].tier : IT_TIER_NONE);
			hi[i].attached = hs[i].attached;
			hi[i].reason = hs[i].reason;
		}
		host.hooks = hi;
		host.nhooks = nh;
	}
	host.start_ns = s.start_ts;
	two.host = &host;
	st.tw = it_tw_open(o.out, &two, err, sizeof(err));
	if (!st.tw) {
		p_err("%s", err);
		free(hi);
		it_session_close(&s);
		return IT_EXIT_FAIL;
	}
	{
		struct it_rules_conf rc;
		struct it_rules_env env;
		char rerr[512];

		if (it_check_load_rules(&rc, NULL, rerr, sizeof(rerr)))
			p_info("rules not run: %s", rerr);
		else if ((st.rules = it_rules_new(&rc))) {
			it_check_env(&s, &env, o.full);
			it_rules_set_env(st.rules, &env);
			it_rules_set_start(st.rules, s.start_ts);
			it_rules_set_cb(st.rules, on_finding, &st);
		}
		it_rules_conf_free(&rc);
	}
	r = it_tw_write_snapshot_at(st.tw, s.snap_ts, s.snapblob, s.snaplen);
	if (!r)
		r = it_tw_async_start(st.tw, (size_t)(o.queue_mb ? o.queue_mb : 64) << 20);
	if (r) {
		p_err("%s: %s", o.out, strerror(-r));
		it_tw_close(st.tw);
		free(hi);
		it_rules_free(st.rules);
		it_session_close(&s);
		return IT_EXIT_FAIL;
	}
	it_session_read_agg(&s);	/* the baseline frame */
	p_info("recording to %s (%zu hooks attached%s; Ctrl-C to stop)", o.out, it_live_nattached(s.live),
	       o.full ? ", every event" : ", data plane aggregated");
	uint64_t end = o.secs > 0 ? it_now_ns() + (uint64_t)(o.secs * 1e9) : 0;
	while (!it_exiting && !st.err) {
		int timeout = 100;
		uint64_t now = it_now_ns();

		if (end && now >= end)
			break;
		if (end && (end - now) / 1000000 < 100)
			timeout = (int)((end - now) / 1000000) + 1;
		r = it_session_step(&s, timeout);
		if (r < 0) {
			p_err("%s", s.err);
			ret = IT_EXIT_FAIL;
			break;
		}
		if (st.rules && s.now_ts >= st.rules_next) {
			it_model_set_window(s.model, s.start_ts, s.now_ts);
			it_rules_eval(st.rules, s.model, s.now_ts);
			st.rules_next = s.now_ts + 1000000000ull;
		}
	}
	it_live_drain(s.live);
	it_session_read_agg(&s);
	if (st.rules) {
		it_model_set_window(s.model, s.start_ts, s.now_ts);
		it_rules_eval(st.rules, s.model, s.now_ts);
	}
	r = it_tw_async_stop(st.tw);
	if (r && !st.err)
		st.err = r;
	it_tw_get_stats(st.tw, &ws);
	r = it_tw_close(st.tw);
	if (r && !st.err)
		st.err = r;
	struct it_live_counters c;
	struct it_prog_misses pm;
	char pmbuf[192];
	it_live_counters(s.live, &c);
	it_live_prog_misses(s.live, &pm);
	/* ws.dropped counts the queue-full drops (st.dropped counts the same ones) */
	uint64_t lost = c.c[IT_CNT_LOST] + ws.dropped;
	p_info("%llu events written, %llu lost, %llu bytes, %.1f bytes/event%s",
	       (unsigned long long)ws.events_written, (unsigned long long)lost, (unsigned long long)ws.bytes,
	       ws.events_written ? (double)ws.bytes / (double)ws.events_written : 0.0,
	       st.filtered ? " (other devices' irq events filtered)" : "");
	if (pm.total)
		p_info("warning: %s: the recording lacks those events", it_prog_misses_str(&pm, pmbuf, sizeof(pmbuf)));
	if (st.err) {
		p_err("writing %s failed: %s; the file holds what was written before", o.out, strerror(-st.err));
		ret = IT_EXIT_FAIL;
	} else if (lost) {
		ret = IT_EXIT_FAIL;
	}
	free(hi);
	it_rules_free(st.rules);
	it_session_close(&s);
	return ret;
}
