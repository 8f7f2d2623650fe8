// SPDX-License-Identifier: GPL-2.0-only
/* irqtrail routes: the routing table after observing for a while, or at the
 * end of a recording.  Also `replay --summary`. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "routes_out.h"
#include "session.h"
#include "snapshot.h"

struct routes_opts {
	bool json, dot;
	const char *bdf;
	long long pid;
	double secs;
	const char *file;
	char bdfbuf[IT_BDF_LEN];
};

static const struct argp_option routes_options[] = {
	{ "json", 'j', NULL, 0, "JSON output (an array of routes)", 0 },
	{ "dot", 'g', NULL, 0, "Graphviz graph: device -> irq -> vector/cpu -> eventfd -> gsi -> guest vector", 0 },
	{ "device", 'd', "BDF", 0, "Only this PCI device (0000:00:03.0)", 0 },
	{ "pid", 'p', "PID", 0, "Only this VM (VMM process id)", 0 },
	{ "duration", 'D', "SECS", 0, "Observe for SECS seconds (default 1)", 0 },
	{ "read", 'r', "FILE", 0, "Read a recording instead of the live kernel", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf diagnostics", 0 },
	{ 0 },
};

static error_t routes_parse(int key, char *arg, struct argp_state *state)
{
	struct routes_opts *o = state->input;

	switch (key) {
	case 'j':
		o->json = true;
		it_json_out = true;
		break;
	case 'g':
		o->dot = true;
		break;
	case 'd':
		if (it_bdf_parse(arg, strlen(arg), o->bdfbuf)) {
			/* accept bb:dd.f */
			char tmp[32];
			snprintf(tmp, sizeof(tmp), "0000:%s", arg);
			if (it_bdf_parse(tmp, strlen(tmp), o->bdfbuf))
				argp_error(state, "invalid PCI address '%s' (expected 0000:00:03.0)", arg);
		}
		o->bdf = o->bdfbuf;
		break;
	case 'p':
		o->pid = it_parse_ull(arg, 0x7fffffff);
		if (o->pid <= 0)
			argp_error(state, "invalid pid '%s'", arg);
		break;
	case 'D':
		o->secs = it_parse_secs(arg);
		if (o->secs < 0)
			argp_error(state, "invalid duration '%s'", arg);
		break;
	case 'r':
		o->file = arg;
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

static const char routes_doc[] =
	"The interrupt routing table: one row per device interrupt (device, MSI/MSI-X entry, "
	"host irq, CPU, vector, APIC id, owner) and one per VM route (GSI, guest MSI address and "
	"data decoded to destination and vector, eventfd, the host device behind it), with the "
	"counts and latency percentiles observed over the window.\n"
	"\vEXAMPLES:\n"
	"  irqtrail routes                    observe one second, print the table\n"
	"  irqtrail routes -j -D 5            five seconds, JSON\n"
	"  irqtrail routes -d 0000:00:03.0    one device\n"
	"  irqtrail routes -r trace.itr       at the end of a recording\n"
	"  irqtrail routes --dot | dot -Tsvg > routes.svg\n";

/* Shared with `replay --summary`. */
int it_print_routes(struct it_session *s, bool json, bool dot, const char *bdf, int pid)
{
	struct it_route_filter f = { .bdf = bdf, .pid = pid };
	struct it_route *r;
	size_t n;

	if (it_model_routes(s->model, &r, &n)) {
		p_err("out of memory");
		return IT_EXIT_FAIL;
	}
	if (json)
		it_routes_json(stdout, r, n, &f);
	else if (dot)
		it_routes_dot(stdout, r, n, &f);
	else
		it_routes_text(stdout, r, n, &f);
	free(r);
	return IT_EXIT_OK;
}

int cmd_routes(int argc, char **argv)
{
	struct argp argp = { routes_options, routes_parse, NULL, routes_doc, NULL, NULL, NULL };
	struct routes_opts o = { .secs = 1 };
	struct it_session_opts so = { 0 };
	struct it_session s;
	struct it_model_stats st;
	int r;

	if (it_argp_parse(&argp, argc, argv, 0, &o))
		return IT_EXIT_USAGE;
	so.replay = o.file;
	so.pid = (pid_t)o.pid;
	it_install_signals();
	r = it_session_open(&s, &so);
	if (r) {
		p_err("%s", s.err);
		it_session_close(&s);
		return IT_EXIT_FAIL;
	}
	r = it_session_run(&s, o.file ? 0 : o.secs);
	if (r && !o.file) {
		p_err("%s", s.err);
		it_session_close(&s);
		return IT_EXIT_FAIL;
	}
	if (r)	/* a damaged recording: the routes of the part before the damage */
		p_info("%s; routes at that point:", s.err);
	int damaged = r != 0;
	r = it_print_routes(&s, o.json, o.dot, o.bdf, (int)o.pid);
	if (damaged)
		r = IT_EXIT_FAIL;
	it_model_stats(s.model, &st);
	if (st.lost)
		p_info("%llu events were lost: counts may be low", (unsigned long long)st.lost);
	it_session_close(&s);
	return r;
}
