// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail check: run the isolation and health rules (src/rules.h) live for
 * a window or over a recording, print the findings, and exit 0 clean,
 * 1 warnings, 2 critical, 3 could not run.  Rules whose hooks or data are
 * missing are listed as inactive, never as passing.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "common.h"
#include "json.h"
#include "rules.h"
#include "session.h"

enum { CHECK_EXIT_CLEAN = 0, CHECK_EXIT_WARN = 1, CHECK_EXIT_CRIT = 2, CHECK_EXIT_NORUN = 3 };

struct check_opts {
	double secs;
	bool json;
	const char *rules;
	const char *file;
	bool syslog;
	bool full;
	double interval;
	long long pid;
};

enum { OPT_RULES = 0x100, OPT_SYSLOG, OPT_FULL, OPT_INTERVAL };

static const struct argp_option check_options[] = {
	{ "duration", 'D', "SECS", 0, "Observe live for SECS seconds (default 5)", 0 },
	{ "json", 'j', NULL, 0, "JSON output: findings and every rule's status", 0 },
	{ "rules", OPT_RULES, "FILE", 0, "Rules file (default " IT_RULES_CONF_DEFAULT " when present)", 0 },
	{ "read", 'r', "FILE", 0, "Check a recording instead of the live kernel", 0 },
	{ "syslog", OPT_SYSLOG, NULL, 0, "Also send each finding raised or cleared to syslog/journald", 0 },
	{ "full", OPT_FULL, NULL, 0, "Live: stream every data-plane event (needed by IRT016; costs more)", 0 },
	{ "interval", OPT_INTERVAL, "SECS", 0, "Evaluate the rules every SECS of data (default 1)", 0 },
	{ "pid", 'p', "PID", 0, "Only this VM (VMM process id): other VMs' findings are ignored", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf diagnostics; every finding as it is raised or cleared", 0 },
	{ 0 },
};

static error_t check_parse(int key, char *arg, struct argp_state *state)
{
	struct check_opts *o = state->input;

	switch (key) {
	case 'D':
		o->secs = it_parse_secs(arg);
		if (o->secs <= 0)
			argp_error(state, "invalid duration '%s'", arg);
		break;
	case 'j':
		o->json = true;
		it_json_out = true;
		break;
	case OPT_RULES:
		o->rules = arg;
		break;
	case 'r':
		o->file = arg;
		break;
	case OPT_SYSLOG:
		o->syslog = true;
		break;
	case OPT_FULL:
		o->full = true;
		break;
	case OPT_INTERVAL:
		o->interval = it_parse_secs(arg);
		if (o->interval < 0.1 || o->interval > 3600)
			argp_error(state, "invalid interval '%s' (0.1 to 3600 seconds)", arg);
		break;
	case 'p':
		o->pid = it_parse_ull(arg, 0x7fffffff);
		if (o->pid <= 0)
			argp_error(state, "invalid pid '%s'", arg);
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

static const char check_doc[] =
	"Run irqtrail's isolation and health rules (docs/rules.md) live for a window or over a "
	"recording, and print what they found.  Exit status: 0 clean, 1 warnings, 2 critical, "
	"3 could not run.  Rules that need hooks or data this kernel (or recording) lacks are "
	"listed as inactive with the reason: they did not pass.\n"
	"\vEXAMPLES:\n"
	"  irqtrail check                       five seconds live, text\n"
	"  irqtrail check -D 30 -j              thirty seconds, JSON\n"
	"  irqtrail check -r trace.itr          the rules over a recording\n"
	"  irqtrail check --rules site.conf     thresholds and silences from a file\n"
	"  irqtrail check --syslog && echo sound   provisioning gate\n";

/* ---- shared with serve ---- */

/* What the session's source attached (live) or recorded attached (replay). */

void it_check_env(struct it_session *s, struct it_rules_env *env, bool full)
{
	memset(env, 0, sizeof(*env));
	env->full = full;
	env->snap = s->have_snap ? &s->snap : NULL;
	if (s->live) {
		size_t n;
		const struct it_hook_status *st = it_live_hooks(s->live, &n);

		for (size_t i = 0; i < n; i++)
			if (st[i].attached && st[i].hook && st[i].hook->hop)
				env->hops |= it_hop_bit(st[i].hook->hop);
		env->have_agg = true;
	} else if (s->tr) {
		const struct it_host *h = it_tr_host(s->tr);

		for (size_t i = 0; i < h->nhooks; i++)
			if (h->hooks[i].attached && h->hooks[i].hop)
				env->hops |= it_hop_bit(h->hooks[i].hop);
		for (int i = 0; h->has_cmdline && i < h->argc; i++)
			if (h->argv[i] && !strcmp(h->argv[i], "--full"))
				env->full = true;
	}
}

void it_check_syslog(const struct it_finding *f, bool raised)
{
	const struct it_rule_info *ri = it_rule_info(f->rule);
	int prio = !raised ? LOG_NOTICE : f->severity == IT_SEV_CRITICAL ? LOG_CRIT :
		   f->severity == IT_SEV_WARNING ? LOG_WARNING : LOG_INFO;

	syslog(prio, "%s %s %s: %s", ri ? ri->code : "IRT???", it_severity_name(f->severity),
	       raised ? "raised" : "cleared", f->msg);
}

/* --rules FILE, else the default file when it exists, else the defaults. */
int it_check_load_rules(struct it_rules_conf *c, const char *path, char *err, size_t errlen)
{
	it_rules_conf_default(c);
	if (!path) {
		if (access(IT_RULES_CONF_DEFAULT, F_OK))
			return 0;
		path = IT_RULES_CONF_DEFAULT;
	}
	return it_rules_conf_load(c, path, err, errlen);
}

/* ---- check ---- */

struct check_state {
	struct it_rules *rules;
	struct it_rules_env env;
	bool syslog;
	bool json;
	uint64_t t0;
};

void it_check_feed(struct it_rules *rules, struct it_rules_env *env, const struct it_hdr *h)
{
	/* handler exits streamed one by one: IRT016 can see their results */
	if (h->type == IT_EV_IRQ_EXIT && !env->full) {
		env->full = true;
		it_rules_set_env(rules, env);
	}
	it_rules_event(rules, h);
}

static int on_record(void *ctx, const struct it_hdr *h)
{
	struct check_state *st = ctx;

	it_check_feed(st->rules, &st->env, h);
	return 0;
}

static void on_agg(void *ctx, const struct it_agg_frame *f)
{
	struct check_state *st = ctx;

	it_rules_agg(st->rules, f);
}

static void on_finding(void *ctx, const struct it_finding *f, bool raised, uint64_t ts)
{
	struct check_state *st = ctx;
	const struct it_rule_info *ri = it_rule_info(f->rule);

	(void)ts;
	if (st->syslog)
		it_check_syslog(f, raised);
	if (it_verbose && !st->json)
		fprintf(stderr, "irqtrail: %+.1fs %s %s %s\n", ts > st->t0 ? (double)(ts - st->t0) / 1e9 : 0.0,
			ri ? ri->code : "?", raised ? "raised" : "cleared", f->msg);
}

static const char *sev_upper(enum it_severity s)
{
	return s == IT_SEV_CRITICAL ? "CRITICAL" : s == IT_SEV_WARNING ? "WARNING" : "INFO";
}

static void print_text(struct check_state *st, const char *source, double secs, const char *rules_file,
		       uint64_t lost, int code)
{
	const struct it_finding *f;
	size_t nf = it_rules_findings(st->rules, &f);
	unsigned int counts[3], nin = 0, ndis = 0, npass = 0, neval = 0;
	struct it_rule_status rs;

	it_rules_counts(st->rules, counts);
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		if (!it_rule_exists(id))
			continue;
		it_rules_status(st->rules, id, &rs);
		if (!rs.enabled)
			ndis++;
		else if (!rs.evaluating)
			nin++;
		else {
			neval++;
			if (!rs.raised)
				npass++;
		}
	}
	printf("irqtrail check: %s, %.1f s; rules from %s; %d rules: %u evaluated, %u inactive, %u disabled\n", source,
	       secs, rules_file ? rules_file : "built-in defaults", neval + nin + ndis, neval, nin, ndis);
	for (int sev = IT_SEV_CRITICAL; sev >= IT_SEV_INFO; sev--)
		for (size_t i = 0; i < nf; i++) {
			const struct it_rule_info *ri = it_rule_info(f[i].rule);

			if ((int)f[i].severity != sev || !f[i].raised)
				continue;
			printf("%-8s %s %s: %s%s\n", sev_upper(f[i].severity), ri->code, ri->name, f[i].msg,
			       f[i].active ? "" : " [cleared]");
		}
	if (nin) {
		printf("Inactive (the hooks or data they need are missing here; they did NOT pass):\n");
		for (int id = 1; id <= IT_RULE_MAX; id++) {
			if (!it_rule_exists(id))
				continue;
			it_rules_status(st->rules, id, &rs);
			if (rs.enabled && !rs.evaluating)
				printf("  %s %s: %s\n", it_rule_info(id)->code, it_rule_info(id)->name, rs.reason);
		}
	}
	for (int id = 1, first = 1; id <= IT_RULE_MAX; id++) {
		if (!it_rule_exists(id))
			continue;
		it_rules_status(st->rules, id, &rs);
		if (!rs.enabled || !rs.evaluating || !rs.reason[0])
			continue;
		if (first)
			printf("Partial coverage:\n");
		first = 0;
		printf("  %s %s: %s\n", it_rule_info(id)->code, it_rule_info(id)->name, rs.reason);
	}
	bool first = true;
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		if (!it_rule_exists(id))
			continue;
		it_rules_status(st->rules, id, &rs);
		if (rs.enabled && !rs.silenced)
			continue;
		printf("%s %s (%s", first ? "Disabled or silenced:" : ",", it_rule_info(id)->code,
		       rs.enabled ? "" : "disabled");
		if (rs.silenced)
			printf("%s%llu silenced)", rs.enabled ? "" : ", ", (unsigned long long)rs.silenced);
		else
			printf(")");
		first = false;
	}
	if (!first)
		printf("\n");
	if (lost)
		printf("%llu events were lost: findings may be missing\n", (unsigned long long)lost);
	printf("Result: %u critical, %u warning%s, %u info; %u of %u evaluated rules passed -> exit %d\n", counts[2],
	       counts[1], counts[1] == 1 ? "" : "s", counts[0], npass, neval, code);
}

static void print_json(struct check_state *st, const char *source, double secs, const char *rules_file,
		       uint64_t events, uint64_t lost, int code)
{
	const struct it_finding *f;
	size_t nf = it_rules_findings(st->rules, &f);
	unsigned int counts[3], nin = 0, ndis = 0, npass = 0;
	struct it_rule_status rs;
	struct it_json j;

	it_rules_counts(st->rules, counts);
	jw_init(&j);
	jw_obj_begin(&j);
	jw_kstr(&j, "source", source);
	jw_kdouble(&j, "duration_s", secs);
	jw_kstr(&j, "rules_file", rules_file);
	jw_ku64(&j, "events", events);
	jw_ku64(&j, "lost", lost);
	jw_key(&j, "findings");
	jw_arr_begin(&j);
	for (size_t i = 0; i < nf; i++) {
		const struct it_rule_info *ri = it_rule_info(f[i].rule);

		if (!f[i].raised)
			continue;
		jw_obj_begin(&j);
		jw_kstr(&j, "rule", ri->code);
		jw_kstr(&j, "name", ri->name);
		jw_kstr(&j, "severity", it_severity_name(f[i].severity));
		jw_kstr(&j, "message", f[i].msg);
		jw_kstr(&j, "key", f[i].key);
		jw_kstr(&j, "device", f[i].bdf[0] ? f[i].bdf : NULL);
		jw_ki64(&j, "irq", f[i].irq);
		jw_ki64(&j, "vm_pid", f[i].vm_pid);
		jw_kstr(&j, "vm", f[i].vm[0] ? f[i].vm : NULL);
		jw_ki64(&j, "cpu", f[i].cpu);
		jw_ki64(&j, "gsi", f[i].gsi);
		jw_kdouble(&j, "value", f[i].value);
		jw_kbool(&j, "active", f[i].active);
		jw_ku64(&j, "raised", f[i].raised);
		jw_kdouble(&j, "first_s", f[i].first_ts > st->t0 ? (double)(f[i].first_ts - st->t0) / 1e9 : 0);
		jw_kdouble(&j, "last_s", f[i].last_ts > st->t0 ? (double)(f[i].last_ts - st->t0) / 1e9 : 0);
		jw_obj_end(&j);
	}
	jw_arr_end(&j);
	jw_key(&j, "rules");
	jw_arr_begin(&j);
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		if (!it_rule_exists(id))
			continue;
		const struct it_rule_info *ri = it_rule_info(id);
		const char *status;

		it_rules_status(st->rules, id, &rs);
		if (!rs.enabled) {
			status = "disabled";
			ndis++;
		} else if (!rs.evaluating) {
			status = "inactive";
			nin++;
		} else if (rs.raised) {
			status = "failing";
		} else {
			status = "passing";
			npass++;
		}
		jw_obj_begin(&j);
		jw_kstr(&j, "rule", ri->code);
		jw_kstr(&j, "name", ri->name);
		jw_kstr(&j, "severity", it_severity_name(rs.severity));
		jw_kstr(&j, "status", status);
		jw_kstr(&j, "reason", rs.reason[0] ? rs.reason : NULL);
		jw_ku64(&j, "raised", rs.raised);
		jw_ku64(&j, "active", rs.active);
		jw_ku64(&j, "silenced", rs.silenced);
		jw_obj_end(&j);
	}
	jw_arr_end(&j);
	jw_key(&j, "summary");
	jw_obj_begin(&j);
	jw_ku64(&j, "critical", counts[2]);
	jw_ku64(&j, "warning", counts[1]);
	jw_ku64(&j, "info", counts[0]);
	jw_ku64(&j, "passing", npass);
	jw_ku64(&j, "inactive", nin);
	jw_ku64(&j, "disabled", ndis);
	jw_obj_end(&j);
	jw_ki64(&j, "exit", code);
	jw_obj_end(&j);
	jw_raw(&j, "\n");
	jw_flush(&j, stdout);
	jw_free(&j);
}

int cmd_check(int argc, char **argv)
{
	struct argp argp = { check_options, check_parse, NULL, check_doc, NULL, NULL, NULL };
	struct check_opts o = { .secs = 5, .interval = 1 };
	struct it_session_opts so = { 0 };
	struct check_state st = { 0 };
	struct it_rules_conf conf;
	struct it_session s;
	struct it_model_stats ms;
	char err[512];
	const char *rules_file;
	int r, code = CHECK_EXIT_CLEAN;

	argp_err_exit_status = CHECK_EXIT_NORUN;
	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return CHECK_EXIT_NORUN;
	r = it_check_load_rules(&conf, o.rules, err, sizeof(err));
	if (r) {
		p_err("%s", err);
		it_rules_conf_free(&conf);
		return CHECK_EXIT_NORUN;
	}
	rules_file = conf.source[0] ? conf.source : NULL;
	st.rules = it_rules_new(&conf);
	it_rules_conf_free(&conf);
	if (!st.rules) {
		p_err("out of memory");
		return CHECK_EXIT_NORUN;
	}
	st.syslog = o.syslog;
	st.json = o.json;
	if (o.syslog)
		openlog("irqtrail", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	it_rules_set_cb(st.rules, on_finding, &st);

	so.replay = o.file;
	so.full = o.full;
	so.pid = (pid_t)o.pid;
	so.cb = on_record;
	so.agg_cb = on_agg;
	so.ctx = &st;
	it_install_signals();
	r = it_session_open(&s, &so);
	if (r) {
		p_err("%s", s.err[0] ? s.err : strerror(-r));
		it_session_close(&s);
		it_rules_free(st.rules);
		return CHECK_EXIT_NORUN;
	}
	it_check_env(&s, &st.env, o.full);
	st.env.only_pid = (int)o.pid;
	it_rules_set_env(st.rules, &st.env);
	it_rules_set_start(st.rules, s.start_ts);
	st.t0 = s.start_ts;
	if (s.live)
		p_info("checking for %.1f s (%zu hooks attached)", o.secs, it_live_nattached(s.live));

	/* evaluate at every interval of data, so rates and hysteresis see the window's shape */
	double done = 0;
	while (!it_exiting) {
		double step = o.interval;

		if (s.live) {
			if (done >= o.secs)
				break;
			if (step > o.secs - done)
				step = o.secs - done;
		}
		r = it_session_run(&s, step);
		done += step;
		if (r) {
			p_err("%s", s.err[0] ? s.err : strerror(-r));
			code = CHECK_EXIT_NORUN;
			break;
		}
		r = it_rules_eval(st.rules, s.model, s.now_ts);
		if (r < 0) {
			p_err("rules: %s", strerror(-r));
			code = CHECK_EXIT_NORUN;
			break;
		}
		if (!s.live && s.ended)
			break;
	}
	if (code != CHECK_EXIT_NORUN && it_exiting && s.live && done < o.secs)
		p_info("interrupted after %.1f s", done);
	it_model_stats(s.model, &ms);
	double secs = s.now_ts > s.start_ts ? (double)(s.now_ts - s.start_ts) / 1e9 : 0;
	if (code != CHECK_EXIT_NORUN) {
		int worst = it_rules_worst(st.rules);

		code = worst == IT_SEV_CRITICAL ? CHECK_EXIT_CRIT : worst == IT_SEV_WARNING ? CHECK_EXIT_WARN : CHECK_EXIT_CLEAN;
		if (ms.lost && code == CHECK_EXIT_CLEAN)
			code = CHECK_EXIT_WARN;	/* blind for a while: not clean */
		const char *source = s.live ? "live" : o.file;
		if (o.json)
			print_json(&st, source, secs, rules_file, ms.events, ms.lost, code);
		else
			print_text(&st, source, secs, rules_file, ms.lost, code);
	}
	if (o.syslog)
		closelog();
	it_session_close(&s);
	it_rules_free(st.rules);
	return code;
}
