// SPDX-License-Identifier: GPL-2.0-only
/* irqtrail stream: every event as it happens, a line each. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "format.h"
#include "json.h"
#include "decode.h"
#include "live.h"
#include "progmiss.h"
#include "model.h"
#include "rules.h"
#include "snapshot.h"

struct stream_opts {
	bool json;
	double secs;
	long long pid;
	long long rb_mb;
};

struct stream_state {
	struct it_json j;
	bool json;
	uint64_t seen;
	uint64_t shown;
	uint64_t lost_reported;
	bool write_failed;
	char line[1024];
	struct it_model *model;	/* feeds the rules: findings are printed as "alert" records */
	struct it_rules *rules;
	struct it_snapshot snap;	/* remapping mode and irq chips at start */
	struct it_msi_host mh;		/* what the host's MSI messages mean */
};

static const struct argp_option stream_options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line", 0 },
	{ "duration", 'D', "SECS", 0, "Stop after SECS seconds (default: until Ctrl-C)", 0 },
	{ "pid", 'p', "PID", 0, "Only this VMM's ioctls and process-context KVM events", 0 },
	{ "ringbuf-mb", 'b', "MB", 0, "Ring buffer size in MiB (power of two, default 64)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf diagnostics", 0 },
	{ 0 },
};

static error_t stream_parse(int key, char *arg, struct argp_state *state)
{
	struct stream_opts *o = state->input;

	switch (key) {
	case 'j':
		o->json = true;
		it_json_out = true;
		break;
	case 'D':
		o->secs = it_parse_secs(arg);
		if (o->secs < 0)
			argp_error(state, "invalid duration '%s'", arg);
		break;
	case 'p':
		o->pid = it_parse_ull(arg, 0x7fffffff);
		if (o->pid <= 0)
			argp_error(state, "invalid pid '%s'", arg);
		break;
	case 'b':
		o->rb_mb = it_parse_ull(arg, 2048);
		if (o->rb_mb <= 0 || (o->rb_mb & (o->rb_mb - 1)))
			argp_error(state, "ring buffer size must be a power of two in MiB, not '%s'", arg);
		break;
	case 'v':
		it_verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char stream_doc[] =
	"Print irqtrail's events as they happen: host interrupt handlers, vector moves, "
	"KVM MSI injections, posted-interrupt IRTE updates, hypercalls and the VMM's "
	"interrupt-routing ioctls.  Exits non-zero when events were lost.\n"
	"\vEXAMPLES:\n"
	"  irqtrail stream                  all events, text\n"
	"  irqtrail stream -j -D 5          five seconds as JSON lines\n"
	"  irqtrail stream -j --pid 4242    the VMM with pid 4242\n";

static int print_record(struct stream_state *s, const struct it_hdr *h)
{
	int r;

	if (s->json) {
		r = it_event_json_host(&s->j, h, &s->mh);
		if (r > 0)
			jw_nl(&s->j);
	} else {
		r = it_event_text_host(h, s->line, sizeof(s->line), &s->mh);
		if (r > 0) {
			jw_raw(&s->j, s->line);
			jw_raw(&s->j, "\n");
		}
	}
	if (r > 0)
		s->shown++;
	if (s->j.len >= (1u << 20) && jw_flush(&s->j, stdout))
		s->write_failed = true;
	return 0;
}

static int on_event(void *ctx, const struct it_hdr *h)
{
	struct stream_state *s = ctx;

	s->seen++;
	if (s->model) {
		/* per-interrupt counts come from the aggregates: keep the
		 * consumer fast at millions of events per second */
		if (!it_event_is_dataplane(h->type))
			it_model_event(s->model, h);
		it_rules_event(s->rules, h);
	}
	return print_record(s, h);
}

static void on_finding(void *ctx, const struct it_finding *f, bool raised, uint64_t ts)
{
	struct it_alert a;

	it_alert_from_finding(&a, f, raised, ts);
	print_record(ctx, &a.h);
}

/* Every second: the aggregates to the model and the rules, then evaluate. */
static void eval_rules(struct stream_state *s, struct it_live *l)
{
	struct it_agg_frame f;
	uint64_t now = it_now_ns();

	if (!s->rules)
		return;
	if (it_live_read_agg(l, &f) == 0) {
		it_model_agg(s->model, &f);
		it_rules_agg(s->rules, &f);
		it_agg_free(&f);
	}
	it_model_set_window(s->model, 0, now);
	it_rules_eval(s->rules, s->model, now);
}

static void report_lost(struct stream_state *s, uint64_t lost)
{
	struct it_lost rec;

	if (lost <= s->lost_reported)
		return;
	memset(&rec, 0, sizeof(rec));
	rec.h.ts = it_now_ns();
	rec.h.type = IT_EV_LOST;
	rec.h.version = 1;
	rec.h.len = sizeof(rec);
	rec.lost = lost - s->lost_reported;
	s->lost_reported = lost;
	on_event(s, &rec.h);
	s->seen--;
}

int cmd_stream(int argc, char **argv)
{
	struct argp argp = { stream_options, stream_parse, NULL, stream_doc, NULL, NULL, NULL };
	struct stream_opts o = { .secs = 0 };
	struct stream_state s;
	struct it_live_opts lo = { .full = true };
	struct it_live_counters c;
	struct it_prog_misses pm = { 0 };
	char pmbuf[192];
	struct it_live *l;
	char err[256];
	uint64_t end = 0;
	bool poll_failed = false;
	int ret;

	if (it_argp_parse(&argp, argc, argv, ARGP_IN_ORDER, &o))
		return IT_EXIT_USAGE;
	memset(&s, 0, sizeof(s));
	jw_init(&s.j);
	s.json = o.json;
	lo.pid = (pid_t)o.pid;
	lo.ringbuf_bytes = o.rb_mb ? (size_t)o.rb_mb << 20 : 0;
	lo.cb = on_event;
	lo.ctx = &s;
	it_install_signals();
	/* AMD-Vi or not: remapped messages carry an IRTE index in their data */
	it_snapshot_read(&s.snap, "", IT_SNAP_INTERRUPTS | IT_SNAP_IR);
	it_msi_host_init(&s.mh, &s.snap);
	ret = it_live_open(&l, &lo, err, sizeof(err));
	if (ret) {
		p_err("%s", err);
		it_snapshot_free(&s.snap);
		jw_free(&s.j);
		return IT_EXIT_FAIL;
	}
	{
		struct it_rules_conf rc;
		struct it_rules_env env = { .full = lo.full, .have_agg = true };
		size_t nh;
		const struct it_hook_status *hs = it_live_hooks(l, &nh);
		char rerr[512] = "";

		for (size_t i = 0; i < nh; i++)
			if (hs[i].attached && hs[i].hook->hop)
				env.hops |= it_hop_bit(hs[i].hook->hop);
		env.only_pid = (int)o.pid;
		if (it_check_load_rules(&rc, NULL, rerr, sizeof(rerr)) == 0 && (s.model = it_model_new()) &&
		    (s.rules = it_rules_new(&rc))) {
			it_rules_set_env(s.rules, &env);
			it_rules_set_start(s.rules, it_now_ns());
			it_rules_set_cb(s.rules, on_finding, &s);
		} else {
			p_info("rules not run: %s", rerr[0] ? rerr : "out of memory");
		}
		it_rules_conf_free(&rc);
	}
	p_info("tracing (%zu hooks attached; Ctrl-C to stop)", it_live_nattached(l));
	uint64_t next_eval = it_now_ns() + 1000000000ull;
	if (o.secs > 0)
		end = it_now_ns() + (uint64_t)(o.secs * 1e9);
	while (!it_exiting && !s.write_failed) {
		int timeout = 100;

		if (end) {
			uint64_t now = it_now_ns();
			if (now >= end)
				break;
			if ((end - now) / 1000000 < (uint64_t)timeout)
				timeout = (int)((end - now) / 1000000) + 1;
		}
		ret = it_live_poll(l, timeout);
		if (ret < 0) {
			p_err("ring buffer poll failed: %s", strerror(-ret));
			poll_failed = true;
			break;
		}
		it_live_counters(l, &c);
		report_lost(&s, c.c[IT_CNT_LOST]);
		if (it_now_ns() >= next_eval) {
			eval_rules(&s, l);
			next_eval = it_now_ns() + 1000000000ull;
		}
		if (jw_flush(&s.j, stdout) || fflush(stdout))
			s.write_failed = true;
	}
	it_live_drain(l);
	eval_rules(&s, l);
	it_live_counters(l, &c);
	report_lost(&s, c.c[IT_CNT_LOST]);
	if (jw_flush(&s.j, stdout) || fflush(stdout))
		s.write_failed = true;
	it_live_prog_misses(l, &pm);
	it_live_close(l);
	it_rules_free(s.rules);
	it_model_free(s.model);
	it_snapshot_free(&s.snap);
	jw_free(&s.j);
	p_info("%llu events, %llu lost%s", (unsigned long long)s.seen,
	       (unsigned long long)c.c[IT_CNT_LOST],
	       c.bad_records ? ", some records malformed" : "");
	if (pm.total)
		p_info("warning: %s: events of those hooks are missing from the stream",
		       it_prog_misses_str(&pm, pmbuf, sizeof(pmbuf)));
	if (s.write_failed) {
		p_err("writing the output failed: %s", strerror(errno));
		return IT_EXIT_FAIL;
	}
	return c.c[IT_CNT_LOST] || c.bad_records || poll_failed ? IT_EXIT_FAIL : IT_EXIT_OK;
}
