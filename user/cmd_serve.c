// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail serve --prometheus ADDR: an HTTP /metrics endpoint (libmicrohttpd)
 * in the Prometheus text exposition format.
 *
 * The main thread runs the session (live or a recording) and the rules
 * engine; after every evaluation it renders the whole page and swaps it in
 * under a mutex.  libmicrohttpd's thread answers each scrape with a copy of
 * the current page, so a scrape never waits for the kernel, and a slow or
 * broken client never stalls the session.
 *
 * Cardinality: series are per device interrupt, per VM route and per VM,
 * never per event; --max-series caps the route series (the rest are counted
 * in irqtrail_series_dropped).
 */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include "common.h"
#include "hist.h"
#include "hooks.h"
#include "rules.h"
#include "progmiss.h"
#include "session.h"

#define DEFAULT_ADDR "127.0.0.1:9464"
#define HIST_FIRST_SLOT 6	/* first bucket: le = 2^7 ns */

struct serve_opts {
	const char *addr;
	const char *rules;
	const char *file;
	double speed;
	double interval;
	double secs;
	bool syslog;
	bool full;
	long long max_series;
	long long max_findings;
};

enum { OPT_PROM = 0x100, OPT_RULES, OPT_SYSLOG, OPT_INTERVAL, OPT_SPEED, OPT_MAX_SERIES, OPT_FULL };

static const struct argp_option serve_options[] = {
	{ "prometheus", OPT_PROM, "ADDR", 0, "Listen on ADDR: HOST:PORT, [V6]:PORT or :PORT for every address "
					     "(default " DEFAULT_ADDR ")", 0 },
	{ "rules", OPT_RULES, "FILE", 0, "Rules file (default " IT_RULES_CONF_DEFAULT " when present)", 0 },
	{ "read", 'r', "FILE", 0, "Serve the metrics of a recording (then keep serving its final state)", 0 },
	{ "speed", OPT_SPEED, "X", 0, "With -r: replay at X times real time (default 0: as fast as possible)", 0 },
	{ "interval", OPT_INTERVAL, "SECS", 0, "Refresh the metrics and evaluate the rules every SECS (default 1)", 0 },
	{ "duration", 'D', "SECS", 0, "Stop after SECS seconds (default: until SIGINT/SIGTERM)", 0 },
	{ "syslog", OPT_SYSLOG, NULL, 0, "Send each finding raised or cleared to syslog/journald", 0 },
	{ "full", OPT_FULL, NULL, 0, "Stream every data-plane event (needed by IRT016; costs more)", 0 },
	{ "max-series", OPT_MAX_SERIES, "N", 0, "At most N interrupt-route series (default 512)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf and HTTP diagnostics", 0 },
	{ 0 },
};

static error_t serve_parse(int key, char *arg, struct argp_state *state)
{
	struct serve_opts *o = state->input;

	switch (key) {
	case OPT_PROM:
		o->addr = arg;
		break;
	case OPT_RULES:
		o->rules = arg;
		break;
	case 'r':
		o->file = arg;
		break;
	case OPT_SPEED: {
		char *end;
		o->speed = strtod(arg, &end);
		if (*end || end == arg || !isfinite(o->speed) || o->speed < 0)
			argp_error(state, "invalid speed '%s'", arg);
		break;
	}
	case OPT_INTERVAL:
		o->interval = it_parse_secs(arg);
		if (o->interval < 0.1 || o->interval > 3600)
			argp_error(state, "invalid interval '%s' (0.1 to 3600 seconds)", arg);
		break;
	case 'D':
		o->secs = it_parse_secs(arg);
		if (o->secs <= 0)
			argp_error(state, "invalid duration '%s'", arg);
		break;
	case OPT_SYSLOG:
		o->syslog = true;
		break;
	case OPT_FULL:
		o->full = true;
		break;
	case OPT_MAX_SERIES:
		o->max_series = it_parse_ull(arg, 1000000);
		if (o->max_series <= 0)
			argp_error(state, "invalid series limit '%s'", arg);
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

static const char serve_doc[] =
	"Serve irqtrail's metrics for Prometheus: per device interrupt and per VM route counters and "
	"latency histograms, per-VM totals, hook attachment, lost events, and the rules' alerts "
	"(counters by rule id and the findings active now).  Listens on localhost by default.\n"
	"\vEXAMPLES:\n"
	"  irqtrail serve                                  http://127.0.0.1:9464/metrics\n"
	"  irqtrail serve --prometheus :9464 --syslog      every address, findings to the journal\n"
	"  irqtrail serve -r trace.itr --prometheus 127.0.0.1:9555\n"
	"  curl -s localhost:9464/metrics | promtool check metrics\n";

/* ---- a growing text buffer ---- */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t nc = b->cap ? b->cap * 2 : 65536;
		while (nc - b->len <= (size_t)n)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
}

/* a label value: backslash, double quote and newline escaped */
static void blabel(struct buf *b, const char *name, const char *v, bool comma)
{
	bprintf(b, "%s%s=\"", comma ? "," : "", name);
	for (const char *s = v ? v : ""; *s; s++) {
		if (*s == '\\')
			bprintf(b, "\\\\");
		else if (*s == '"')
			bprintf(b, "\\\"");
		else if (*s == '\n')
			bprintf(b, "\\n");
		else
			bprintf(b, "%c", *s);
	}
	bprintf(b, "\"");
}

static void help(struct buf *b, const char *name, const char *type, const char *text)
{
	bprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* ---- state shared with the HTTP thread ---- */

struct serve_state {
	pthread_mutex_t mu;
	char *page;			/* guarded by mu */
	size_t page_len;
	uint64_t requests[4];		/* 200, 404, 405, other; guarded by mu */
	/* main thread only */
	struct it_rules *rules;
	struct it_rules_env env;
	bool syslog;
	uint64_t alerts[IT_RULE_MAX + 1];
	long long max_series;
	const char *source;
};

static void on_finding(void *ctx, const struct it_finding *f, bool raised, uint64_t ts)
{
	struct serve_state *st = ctx;

	(void)ts;
	if (raised && f->rule >= 1 && f->rule <= IT_RULE_MAX)
		st->alerts[f->rule]++;
	if (st->syslog)
		it_check_syslog(f, raised);
}

static int on_record(void *ctx, const struct it_hdr *h)
{
	struct serve_state *st = ctx;

	it_check_feed(st->rules, &st->env, h);
	return 0;
}

static void on_agg(void *ctx, const struct it_agg_frame *f)
{
	struct serve_state *st = ctx;

	it_rules_agg(st->rules, f);
}

/* cumulative buckets from a log2 histogram: slot k holds [2^k, 2^(k+1)) ns */
static void histogram(struct buf *b, const char *name, const char *labels, const struct it_hist *h)
{
	uint64_t cum = 0;
	double sum = 0;

	for (unsigned int k = 0; k < IT_HIST_SLOTS; k++) {
		cum += h->slots[k];
		/* the sum is estimated at the middle of each bucket */
		sum += (double)h->slots[k] * (k ? 1.5 * (double)(1ull << k) : 0.5) / 1e9;
		if (k < HIST_FIRST_SLOT)
			continue;
		bprintf(b, "%s_bucket{%s,le=\"%.9g\"} %llu\n", name, labels, (double)(1ull << (k + 1)) / 1e9,
			(unsigned long long)cum);
	}
	bprintf(b, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, (unsigned long long)cum);
	bprintf(b, "%s_sum{%s} %.9g\n", name, labels, sum);
	bprintf(b, "%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
}

static void route_labels(struct buf *lb, const struct it_route *r)
{
	char n[32];

	lb->len = 0;
	if (r->rk == IT_ROUTE_HOST) {
		snprintf(n, sizeof(n), "%d", r->irq);
		blabel(lb, "irq", n, false);
		blabel(lb, "device", r->bdf, true);
		snprintf(n, sizeof(n), "%d", r->entry);
		blabel(lb, "entry", r->entry >= 0 ? n : "", true);
		blabel(lb, "name", r->name, true);
		blabel(lb, "owner", r->owner_vm ? r->owner_name : "host", true);
	} else {
		blabel(lb, "vm", r->owner_name, false);
		snprintf(n, sizeof(n), "%d", r->vm_pid);
		blabel(lb, "vm_pid", n, true);
		if (r->gsi >= 0) {
			snprintf(n, sizeof(n), "%d", r->gsi);
			blabel(lb, "gsi", n, true);
		} else {
			/* directly signalled: the message names the route */
			snprintf(n, sizeof(n), "%#llx/%#x", (unsigned long long)r->msi_address, r->msi_data);
			blabel(lb, "gsi", "", true);
			blabel(lb, "msi", n, true);
		}
		if (r->gsi >= 0)
			blabel(lb, "msi", "", true);
		blabel(lb, "device", r->bdf, true);
	}
	if (lb->oom)
		lb->len = 0;
	else if (lb->p)
		lb->p[lb->len] = 0;
}

static void render(struct serve_state *st, struct it_session *s, struct buf *b)
{
	struct it_route *rt = NULL;
	struct it_vm_info *vms = NULL;
	size_t nrt = 0, nvms = 0, shown = 0, dropped = 0;
	struct it_model_stats ms;
	struct buf lb = { 0 };
	struct timespec now;

	b->len = 0;
	it_model_stats(s->model, &ms);
	if (it_model_routes(s->model, &rt, &nrt))
		nrt = 0;
	if (it_model_vms(s->model, &vms, &nvms))
		nvms = 0;
	clock_gettime(CLOCK_REALTIME, &now);

	help(b, "irqtrail_info", "gauge", "irqtrail's version and event source.");
	bprintf(b, "irqtrail_info{");
	blabel(b, "version", IRQTRAIL_VERSION, false);
	blabel(b, "source", st->source, true);
	bprintf(b, "} 1\n");
	help(b, "irqtrail_observed_seconds", "gauge", "Data time observed since the start of the session.");
	bprintf(b, "irqtrail_observed_seconds %.3f\n", s->now_ts > s->start_ts ? (double)(s->now_ts - s->start_ts) / 1e9 : 0);
	help(b, "irqtrail_last_update_timestamp_seconds", "gauge", "When these metrics were computed (Unix time).");
	bprintf(b, "irqtrail_last_update_timestamp_seconds %lld.%03ld\n", (long long)now.tv_sec, now.tv_nsec / 1000000);

	/* hooks */
	help(b, "irqtrail_hook_attached", "gauge", "1 when a hook is attached (live) or was attached (recording).");
	if (s->live) {
		size_t n;
		const struct it_hook_status *hs = it_live_hooks(s->live, &n);

		for (size_t i = 0; i < n; i++) {
			bprintf(b, "irqtrail_hook_attached{");
			blabel(b, "hook", hs[i].hook->name, false);
			blabel(b, "hop", hs[i].hook->hop, true);
			blabel(b, "tier", it_tier_name(hs[i].attached ? hs[i].tier : IT_TIER_NONE), true);
			bprintf(b, "} %d\n", hs[i].attached);
		}
	} else if (s->tr) {
		const struct it_host *h = it_tr_host(s->tr);

		for (size_t i = 0; i < h->nhooks; i++) {
			bprintf(b, "irqtrail_hook_attached{");
			blabel(b, "hook", h->hooks[i].hook, false);
			blabel(b, "hop", h->hooks[i].hop, true);
			blabel(b, "tier", h->hooks[i].attached ? h->hooks[i].tier : "none", true);
			bprintf(b, "} %d\n", h->hooks[i].attached);
		}
	}

	/* events and losses */
	help(b, "irqtrail_events_total", "counter", "Records the model received.");
	bprintf(b, "irqtrail_events_total %llu\n", (unsigned long long)ms.events);
	help(b, "irqtrail_events_lost_total", "counter", "Events the kernel could not queue (findings may be missing).");
	bprintf(b, "irqtrail_events_lost_total %llu\n", (unsigned long long)ms.lost);
	help(b, "irqtrail_events_unknown_total", "counter", "Records of unknown types or too short for their type.");
	bprintf(b, "irqtrail_events_unknown_total %llu\n", (unsigned long long)ms.unknown_events);
	if (s->live) {
		struct it_live_counters c;
		struct it_prog_misses pm;

		it_live_counters(s->live, &c);
		help(b, "irqtrail_ioctl_read_failures_total", "counter", "VMM ioctl arguments that could not be read.");
		bprintf(b, "irqtrail_ioctl_read_failures_total %llu\n", (unsigned long long)c.c[IT_CNT_IOCTL_READ_FAIL]);
		help(b, "irqtrail_aggregate_full_total", "counter", "Data-plane events counted nowhere: an aggregate map was full.");
		bprintf(b, "irqtrail_aggregate_full_total %llu\n", (unsigned long long)c.c[IT_CNT_AGG_FULL]);
		help(b, "irqtrail_bad_records_total", "counter", "Ring-buffer records user space could not decode.");
		bprintf(b, "irqtrail_bad_records_total %llu\n", (unsigned long long)c.bad_records);
		it_live_prog_misses(s->live, &pm);
		help(b, "irqtrail_bpf_recursion_misses_total", "counter",
		     "Hook runs the kernel skipped because a BPF program already ran on that CPU (counts may be low).");
		bprintf(b, "irqtrail_bpf_recursion_misses_total %llu\n", (unsigned long long)pm.total);
	}

	/* host device interrupts */
	help(b, "irqtrail_host_irq_interrupts_total", "counter", "Host device interrupts handled since the start.");
	for (size_t i = 0; i < nrt; i++) {
		if (rt[i].rk != IT_ROUTE_HOST)
			continue;
		if (shown >= (size_t)st->max_series) {
			dropped++;
			continue;
		}
		shown++;
		route_labels(&lb, &rt[i]);
		bprintf(b, "irqtrail_host_irq_interrupts_total{%s} %llu\n", lb.p ? lb.p : "", (unsigned long long)rt[i].count);
	}
	help(b, "irqtrail_host_irq_cpu", "gauge", "CPU a host device interrupt is delivered to (when known).");
	for (size_t i = 0, k = 0; i < nrt && k < (size_t)st->max_series; i++) {
		if (rt[i].rk != IT_ROUTE_HOST)
			continue;
		k++;
		if (rt[i].cpu < 0)
			continue;
		route_labels(&lb, &rt[i]);
		bprintf(b, "irqtrail_host_irq_cpu{%s} %d\n", lb.p, rt[i].cpu);
	}
	help(b, "irqtrail_host_irq_handler_seconds", "histogram",
	     "Host handler time (log2 buckets; the sum is estimated from the buckets).");
	for (size_t i = 0, k = 0; i < nrt && k < (size_t)st->max_series; i++) {
		if (rt[i].rk != IT_ROUTE_HOST)
			continue;
		k++;
		if (!it_hist_total(&rt[i].lat))
			continue;
		route_labels(&lb, &rt[i]);
		histogram(b, "irqtrail_host_irq_handler_seconds", lb.p, &rt[i].lat);
	}

	/* guest routes */
	size_t gshown = 0;
	help(b, "irqtrail_guest_injections_total", "counter", "MSIs KVM injected into a VM per route since the start.");
	for (size_t i = 0; i < nrt; i++) {
		if (rt[i].rk != IT_ROUTE_GUEST)
			continue;
		if (shown + gshown >= (size_t)st->max_series) {
			dropped++;
			continue;
		}
		gshown++;
		route_labels(&lb, &rt[i]);
		bprintf(b, "irqtrail_guest_injections_total{%s} %llu\n", lb.p, (unsigned long long)rt[i].count);
	}
	help(b, "irqtrail_guest_injection_latency_seconds", "histogram",
	     "Host irq handler entry to injection, per VM route (log2 buckets; the sum is estimated).");
	for (size_t i = 0, k = 0; i < nrt && k < gshown; i++) {
		if (rt[i].rk != IT_ROUTE_GUEST)
			continue;
		k++;
		if (!it_hist_total(&rt[i].lat))
			continue;
		route_labels(&lb, &rt[i]);
		histogram(b, "irqtrail_guest_injection_latency_seconds", lb.p, &rt[i].lat);
	}
	help(b, "irqtrail_series_dropped", "gauge", "Route series left out by --max-series.");
	bprintf(b, "irqtrail_series_dropped %zu\n", dropped);

	/* VMs */
	static const struct {
		const char *name, *type, *help;
	} vmm[] = {
		{ "irqtrail_vm_vcpus", "gauge", "vCPUs of a VM." },
		{ "irqtrail_vm_routes", "gauge", "Active MSI routes (GSIs) of a VM." },
		{ "irqtrail_vm_irqfds", "gauge", "Active irqfds of a VM." },
		{ "irqtrail_vm_vfio_devices", "gauge", "VFIO devices a VM holds." },
		{ "irqtrail_vm_injections_total", "counter", "MSIs injected into a VM since the start." },
	};
	for (size_t m = 0; m < sizeof(vmm) / sizeof(vmm[0]); m++) {
		help(b, vmm[m].name, vmm[m].type, vmm[m].help);
		for (size_t i = 0; i < nvms && i < (size_t)st->max_series; i++) {
			char pid[16];
			unsigned long long v = m == 0 ? vms[i].vcpus : m == 1 ? vms[i].routes : m == 2 ? vms[i].irqfds :
					       m == 3 ? vms[i].vfio_devices : vms[i].injections;

			snprintf(pid, sizeof(pid), "%d", vms[i].pid);
			bprintf(b, "%s{", vmm[m].name);
			blabel(b, "vm", vms[i].name, false);
			blabel(b, "vm_pid", pid, true);
			bprintf(b, "} %llu\n", v);
		}
	}

	/* rules */
	help(b, "irqtrail_rule_evaluating", "gauge",
	     "1 when a rule is enabled and has the hooks and data it needs; 0 = inactive or disabled (not passing).");
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		if (!it_rule_exists(id))
			continue;
		struct it_rule_status rs;

		it_rules_status(st->rules, id, &rs);
		bprintf(b, "irqtrail_rule_evaluating{");
		blabel(b, "rule", it_rule_info(id)->code, false);
		blabel(b, "name", it_rule_info(id)->name, true);
		blabel(b, "state", !rs.enabled ? "disabled" : rs.evaluating ? "evaluating" : "inactive", true);
		bprintf(b, "} %d\n", rs.evaluating);
	}
	help(b, "irqtrail_alerts_total", "counter", "Findings raised, by rule.");
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		if (!it_rule_exists(id))
			continue;
		struct it_rule_status rs;

		it_rules_status(st->rules, id, &rs);
		bprintf(b, "irqtrail_alerts_total{");
		blabel(b, "rule", it_rule_info(id)->code, false);
		blabel(b, "name", it_rule_info(id)->name, true);
		blabel(b, "severity", it_severity_name(rs.severity), true);
		bprintf(b, "} %llu\n", (unsigned long long)st->alerts[id]);
	}
	help(b, "irqtrail_alerts_active", "gauge", "Findings active now, by rule.");
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		if (!it_rule_exists(id))
			continue;
		struct it_rule_status rs;

		it_rules_status(st->rules, id, &rs);
		bprintf(b, "irqtrail_alerts_active{");
		blabel(b, "rule", it_rule_info(id)->code, false);
		blabel(b, "name", it_rule_info(id)->name, true);
		blabel(b, "severity", it_severity_name(rs.severity), true);
		bprintf(b, "} %u\n", rs.active);
	}
	help(b, "irqtrail_finding_active", "gauge", "One series per active finding, with what it names.");
	const struct it_finding *f;
	size_t nf = it_rules_findings(st->rules, &f), nshown = 0;
	for (size_t i = 0; i < nf && nshown < (size_t)st->max_series; i++) {
		char n[32];

		if (!f[i].active)
			continue;
		nshown++;
		bprintf(b, "irqtrail_finding_active{");
		blabel(b, "rule", it_rule_info(f[i].rule)->code, false);
		blabel(b, "severity", it_severity_name(f[i].severity), true);
		blabel(b, "device", f[i].bdf, true);
		blabel(b, "vm", f[i].vm, true);
		snprintf(n, sizeof(n), "%d", f[i].vm_pid);
		blabel(b, "vm_pid", f[i].vm_pid > 0 ? n : "", true);
		snprintf(n, sizeof(n), "%d", f[i].irq);
		blabel(b, "irq", f[i].irq >= 0 ? n : "", true);
		snprintf(n, sizeof(n), "%d", f[i].cpu);
		blabel(b, "cpu", f[i].cpu >= 0 ? n : "", true);
		snprintf(n, sizeof(n), "%d", f[i].gsi);
		blabel(b, "gsi", f[i].gsi >= 0 ? n : "", true);
		blabel(b, "key", f[i].key, true);
		blabel(b, "message", f[i].msg, true);
		bprintf(b, "} 1\n");
	}

	/* the endpoint itself */
	uint64_t req[4];
	pthread_mutex_lock(&st->mu);
	memcpy(req, st->requests, sizeof(req));
	pthread_mutex_unlock(&st->mu);
	help(b, "irqtrail_http_requests_total", "counter", "HTTP requests answered, by status (at the last refresh).");
	bprintf(b, "irqtrail_http_requests_total{code=\"200\"} %llu\n", (unsigned long long)req[0]);
	bprintf(b, "irqtrail_http_requests_total{code=\"404\"} %llu\n", (unsigned long long)req[1]);
	bprintf(b, "irqtrail_http_requests_total{code=\"405\"} %llu\n", (unsigned long long)req[2]);
	bprintf(b, "irqtrail_http_requests_total{code=\"other\"} %llu\n", (unsigned long long)req[3]);
	free(lb.p);
	free(rt);
	free(vms);
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type, char *body, size_t len,
			     bool own)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (own)
		r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	else
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (own)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
	static char index_page[] = "irqtrail: metrics at /metrics\n";
	static char not_found[] = "not found: metrics are at /metrics\n";
	static char not_allowed[] = "method not allowed: GET or HEAD\n";
	struct serve_state *st = cls;
	int slot;

	(void)version;
	(void)upload;
	if (*upload_size) {	/* a body we do not want: drop it */
		*upload_size = 0;
		return MHD_YES;
	}
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		slot = 2;
		pthread_mutex_lock(&st->mu);
		st->requests[slot]++;
		pthread_mutex_unlock(&st->mu);
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", not_allowed,
			     sizeof(not_allowed) - 1, false);
	}
	if (!strcmp(url, "/metrics")) {
		char *copy;
		size_t len;

		pthread_mutex_lock(&st->mu);
		len = st->page_len;
		copy = malloc(len ? len : 1);
		if (copy && len)
			memcpy(copy, st->page, len);
		if (copy)
			st->requests[0]++;
		pthread_mutex_unlock(&st->mu);
		if (!copy)
			return MHD_NO;
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", copy, len, true);
	}
	pthread_mutex_lock(&st->mu);
	st->requests[!strcmp(url, "/") ? 0 : 1]++;
	pthread_mutex_unlock(&st->mu);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", index_page, sizeof(index_page) - 1, false);
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", not_found, sizeof(not_found) - 1, false);
}

/* "127.0.0.1:9464", "[::1]:9464", ":9464", "localhost:9464" */
static int resolve(const char *addr, struct sockaddr_storage *ss, socklen_t *sl, char *err, size_t errlen)
{
	char host[256], port[24];
	const char *colon;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res;
	int r;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= sizeof(host)) {
			snprintf(err, errlen, "invalid address '%s' (expected [V6]:PORT)", addr);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(end - addr - 1), addr + 1);
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof(host)) {
			snprintf(err, errlen, "invalid address '%s' (expected HOST:PORT, [V6]:PORT or :PORT)", addr);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	}
	long long p = it_parse_ull(colon + 1, 65535);
	if (p <= 0) {
		snprintf(err, errlen, "invalid port in '%s'", addr);
		return -1;
	}
	snprintf(port, sizeof(port), "%lld", p);
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(r));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void publish(struct serve_state *st, struct buf *b)
{
	char *np;

	if (b->oom || !b->p)
		return;
	np = malloc(b->len ? b->len : 1);
	if (!np)
		return;
	memcpy(np, b->p, b->len);
	pthread_mutex_lock(&st->mu);
	free(st->page);
	st->page = np;
	st->page_len = b->len;
	pthread_mutex_unlock(&st->mu);
}

int cmd_serve(int argc, char **argv)
{
	struct argp argp = { serve_options, serve_parse, NULL, serve_doc, NULL, NULL, NULL };
	struct serve_opts o = { .addr = DEFAULT_ADDR, .interval = 1, .max_series = 512 };
	struct it_session_opts so = { 0 };
	struct serve_state st = { 0 };
	struct it_rules_conf conf;
	struct it_session s;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct MHD_Daemon *d;
	struct buf page = { 0 };
	char err[512];
	int r, ret = IT_EXIT_OK;

	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return IT_EXIT_USAGE;
	if (resolve(o.addr, &ss, &sl, err, sizeof(err))) {
		p_err("%s", err);
		return IT_EXIT_USAGE;
	}
	if (it_check_load_rules(&conf, o.rules, err, sizeof(err))) {
		p_err("%s", err);
		it_rules_conf_free(&conf);
		return IT_EXIT_FAIL;
	}
	st.rules = it_rules_new(&conf);
	it_rules_conf_free(&conf);
	if (!st.rules) {
		p_err("out of memory");
		return IT_EXIT_FAIL;
	}
	pthread_mutex_init(&st.mu, NULL);
	st.syslog = o.syslog;
	st.max_series = o.max_series;
	st.source = o.file ? "recording" : "live";
	if (o.syslog)
		openlog("irqtrail", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	it_rules_set_cb(st.rules, on_finding, &st);

	so.replay = o.file;
	so.speed = o.speed;
	so.full = o.full;
	so.cb = on_record;
	so.agg_cb = on_agg;
	so.ctx = &st;
	it_install_signals();
	r = it_session_open(&s, &so);
	if (r) {
		p_err("%s", s.err[0] ? s.err : strerror(-r));
		it_session_close(&s);
		it_rules_free(st.rules);
		pthread_mutex_destroy(&st.mu);
		return IT_EXIT_FAIL;
	}
	it_check_env(&s, &st.env, o.full);
	it_rules_set_env(st.rules, &st.env);
	it_rules_set_start(st.rules, s.start_ts);
	render(&st, &s, &page);
	publish(&st, &page);

	d = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
			     (it_verbose ? MHD_USE_ERROR_LOG : 0),
			     0, NULL, NULL, on_request, &st, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)128, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
	if (!d) {
		p_err("cannot listen on %s (address in use, or not allowed)", o.addr);
		ret = IT_EXIT_FAIL;
		goto out;
	}
	(void)sl;
	p_info("serving http://%s/metrics (%s%s; Ctrl-C to stop)", o.addr, o.file ? "recording " : "live",
	       o.file ? o.file : "");

	uint64_t wall0 = it_now_ns(), last_eval = s.now_ts, next_render = wall0;
	bool final_done = false;
	while (!it_exiting) {
		uint64_t wall = it_now_ns();

		if (o.secs > 0 && wall - wall0 >= (uint64_t)(o.secs * 1e9))
			break;
		if (!s.ended) {
			r = it_session_step(&s, 100);
			if (r < 0) {
				p_err("%s", s.err);
				ret = IT_EXIT_FAIL;
				break;
			}
		} else {
			struct timespec ts = { 0, 100000000 };
			nanosleep(&ts, NULL);
		}
		bool due = s.now_ts >= last_eval + (uint64_t)(o.interval * 1e9);
		if (due || (s.ended && !final_done)) {
			it_model_set_window(s.model, s.start_ts, s.now_ts);
			r = it_rules_eval(st.rules, s.model, s.now_ts);
			if (r < 0)
				p_err("rules: %s", strerror(-r));
			last_eval = s.now_ts;
			if (s.ended)
				final_done = true;
			next_render = 0;
		}
		if (wall >= next_render) {	/* also refreshes the request counters */
			render(&st, &s, &page);
			publish(&st, &page);
			next_render = wall + (uint64_t)(o.interval * 1e9);
		}
	}
	MHD_stop_daemon(d);
out:
	if (o.syslog)
		closelog();
	free(page.p);
	free(st.page);
	pthread_mutex_destroy(&st.mu);
	it_session_close(&s);
	it_rules_free(st.rules);
	return ret;
}
