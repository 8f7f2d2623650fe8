// SPDX-License-Identifier: GPL-2.0-only
/* irqtrail top: the live dashboard of device and guest interrupts (or of a
 * recording); --batch prints text frames. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"
#include "top.h"
#include "top_app.h"
#include "top_term.h"

enum { OPT_BATCH = 'b', OPT_SPEED = 0x100, OPT_VIEW };

static const struct argp_option top_options[] = {
	{ "batch", 'b', NULL, 0, "Print plain-text frames instead of the full-screen view (the default when stdout is not a terminal)", 0 },
	{ "iterations", 'n', "ITER", 0, "Stop after ITER frames (default: until q, or the end of a recording)", 0 },
	{ "interval", 'i', "SECS", 0, "Seconds between frames (default 1; of the recording's clock with -r --batch)", 0 },
	{ "read", 'r', "FILE", 0, "Show a recording instead of the live kernel", 0 },
	{ "device", 'd', "BDF", 0, "Only this PCI device (0000:00:03.0 or 00:03.0) and the guest routes it feeds", 0 },
	{ "pid", 'p', "PID", 0, "Only this VM (VMM process id); live, the kernel filters its events too", 0 },
	{ "sort", 's', "COL[:asc|:desc]", 0, "Sort by this column (rate, total, p99, irq, gsi, ...; a name prefix)", 0 },
	{ "filter", 'f', "REGEX", 0, "Only rows matching this extended regex (any column, case-insensitive)", 0 },
	{ "view", OPT_VIEW, "VIEW[,VIEW...]", 0, "devices, guests, changes, alerts, detail (or 1-5): the first view; with --batch the views printed (default devices,guests,changes)", 0 },
	{ "speed", OPT_SPEED, "X", 0, "Replay speed (default 1 = real time; 0 = as fast as possible)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf diagnostics (shown after the screen is restored)", 0 },
	{ 0 },
};

static const char top_doc[] =
	"A top-style dashboard that follows every interrupt from the device to the CPU or guest "
	"vCPU that handles it.  The header shows the host, kernel, interrupt-remapping mode, hook "
	"coverage (routing hops visible and at which tier), the total interrupt and injection "
	"rates, lost events and irqtrail's own cost.  Views: 1 Devices (one row per device "
	"interrupt), 2 Guests (one row per VM and GSI), 3 Changes (control-plane log), 4 Alerts, "
	"5 Detail (the selected row's whole path and latency histogram).  Press ? for the keys.  "
	"Live tracing needs root; -r FILE shows a recording made with 'irqtrail record'.\n"
	"\vEXAMPLES:\n"
	"  irqtrail top                          live, every second\n"
	"  irqtrail top -r vm.itr                a recording, on its own clock (space pauses, +/- speed)\n"
	"  irqtrail top -d 0000:3b:00.0          one device and the guest routes behind it\n"
	"  irqtrail top --pid 4242 --view guests one VM's GSIs\n"
	"  irqtrail top --batch -n 3             three text frames, one a second\n"
	"  irqtrail top -b -r vm.itr -s p99 -i 5 a recording in 5 s frames, slowest first\n"
	"  irqtrail top -b --view changes        a log of routing changes as they happen\n"
	"\n"
	"Exit status: 0 on q (or the end of -n / the recording), 1 when tracing or reading "
	"failed, 2 on a bad command line.\n";

struct top_args {
	struct top_cfg c;
	bool speed_set;
};

/* "devices,2,changes" -> bit mask and the first view; -1 on a bad name */
static int parse_views(const char *s, unsigned *mask, int *first)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	*mask = 0;
	*first = -1;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int v = top_view_parse(t);
		if (v < 0)
			return -1;
		*mask |= 1u << v;
		if (*first < 0)
			*first = v;
	}
	return *mask ? 0 : -1;
}

static error_t top_parse(int key, char *arg, struct argp_state *state)
{
	struct top_args *a = state->input;
	struct top_cfg *c = &a->c;
	long long v;
	char *end;

	switch (key) {
	case 'b':
		c->batch = true;
		break;
	case 'n':
		v = it_parse_ull(arg, 1ull << 40);
		if (v <= 0)
			argp_error(state, "invalid iteration count '%s'", arg);
		c->iters = v;
		break;
	case 'i':
		c->interval = it_parse_secs(arg);
		if (c->interval < 0.01 || c->interval > 3600)
			argp_error(state, "invalid interval '%s' (0.01 to 3600 seconds)", arg);
		break;
	case 'r':
		c->file = arg;
		break;
	case 'd': {
		struct top_filter f = { 0 };
		if (top_filter_set_bdf(&f, arg))
			argp_error(state, "invalid PCI address '%s' (expected 0000:00:03.0)", arg);
		snprintf(c->bdf, sizeof(c->bdf), "%s", f.bdf);
		break;
	}
	case 'p':
		v = it_parse_ull(arg, 0x7fffffff);
		if (v <= 0)
			argp_error(state, "invalid pid '%s'", arg);
		c->pid = (int)v;
		break;
	case 's': {
		struct top_sort srt;

		top_sort_default(&srt);
		if (top_sort_parse(&srt, NULL, arg))
			argp_error(state, "no column '%s' to sort by (rate, total, p50, p99, irq, cpu, gsi, vm, time...)", arg);
		c->sort = arg;
		break;
	}
	case 'f': {
		struct top_filter f = { 0 };
		char err[240];

		if (top_filter_set_regex(&f, arg, err, sizeof(err)))
			argp_error(state, "%s", err);
		top_filter_free(&f);
		c->regex = arg;
		break;
	}
	case OPT_VIEW: {
		int first;

		if (parse_views(arg, &c->views, &first))
			argp_error(state, "invalid --view '%s' (devices, guests, changes, alerts, detail or 1-5)", arg);
		c->view = first;
		break;
	}
	case OPT_SPEED:
		c->speed = strtod(arg, &end);
		if (*end || end == arg || c->speed < 0 || c->speed > 1e6)
			argp_error(state, "invalid speed '%s'", arg);
		a->speed_set = true;
		break;
	case 'v':
		it_verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (a->speed_set && !c->file)
			argp_error(state, "--speed applies to a recording (-r FILE)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int top_sort_parse(struct top_sort *s, const struct top_frame *f, const char *spec)
{
	char name[64], *dir;
	int found = -1;

	(void)f;
	snprintf(name, sizeof(name), "%s", spec);
	dir = strchr(name, ':');
	if (dir)
		*dir++ = 0;
	if (dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
		return -1;
	for (int v = 0; v < TOP_NTABLES; v++) {
		size_t nc;
		const struct top_col *cols = top_view_cols(v, &nc);
		int c = top_col_find(v, name);

		if (c < 0)
			continue;
		s->col[v] = c;
		s->desc[v] = dir ? !strcmp(dir, "desc") : cols[c].desc;
		found = 0;
	}
	return found;
}

int top_run(struct top_cfg *c)
{
	struct top_src src;
	struct top_src_opts so = { .file = c->file, .pid = c->pid, .speed = c->speed };
	struct top_filter flt;
	struct top_sort srt;
	char err[400], why[160];
	int r, ret;

	memset(&flt, 0, sizeof(flt));
	top_sort_default(&srt);
	if (c->sort && top_sort_parse(&srt, NULL, c->sort)) {
		p_err("no column '%s' to sort by (try rate, total, p50, p99, irq, cpu, gsi, vm, time)", c->sort);
		return IT_EXIT_USAGE;
	}
	if (c->regex && top_filter_set_regex(&flt, c->regex, err, sizeof(err))) {
		p_err("%s", err);
		return IT_EXIT_USAGE;
	}
	snprintf(flt.bdf, sizeof(flt.bdf), "%s", c->bdf);
	flt.pid = c->pid;
	if (!c->batch && !top_term_usable(why, sizeof(why))) {
		/* perf-style: no full screen without a terminal that can do it */
		if (isatty(STDOUT_FILENO))
			p_info("%s: printing text frames (--batch)", why);
		c->batch = true;
	}
	if (c->batch && !c->views)
		c->views = (1u << TOP_V_DEVICES) | (1u << TOP_V_GUESTS) | (1u << TOP_V_CHANGES);
	top_term_quit_signals();
	r = top_src_open(&src, &so, err, sizeof(err));
	if (r) {
		if (!c->file && (r == -EPERM || r == -EACCES))
			p_err("live tracing needs root (or CAP_BPF and CAP_PERFMON): %s; to view a recording: irqtrail top -r FILE",
			      err);
		else if (!c->file)
			p_err("live tracing is not possible here: %s (see 'irqtrail doctor'; a recording: irqtrail top -r FILE)", err);
		else
			p_err("%s", err);
		top_src_close(&src);
		top_filter_free(&flt);
		return IT_EXIT_FAIL;
	}
	if (c->batch)
		ret = top_batch_run(c, &src, &flt, &srt);
	else
		ret = top_ui_run(c, &src, &flt, &srt);
	top_src_close(&src);
	top_filter_free(&flt);
	return ret;
}

int cmd_top(int argc, char **argv)
{
	struct argp argp = { top_options, top_parse, NULL, top_doc, NULL, NULL, NULL };
	struct top_args a;

	memset(&a, 0, sizeof(a));
	a.c.interval = 1;
	a.c.speed = 1;
	a.c.view = TOP_V_DEVICES;
	a.c.color = !getenv("NO_COLOR") || !getenv("NO_COLOR")[0];
	argp_err_exit_status = IT_EXIT_USAGE;
	if (it_argp_parse(&argp, argc, argv, 0, &a))	/* one-line errors, "irqtrail top: ..." */
		return IT_EXIT_USAGE;
	return top_run(&a.c);
}

int it_top_run_replay(const char *file, double speed)
{
	struct top_cfg c;

	memset(&c, 0, sizeof(c));
	c.file = file;
	c.interval = 1;
	c.speed = speed < 0 ? 1 : speed;
	c.view = TOP_V_DEVICES;
	c.color = !getenv("NO_COLOR") || !getenv("NO_COLOR")[0];
	return top_run(&c);
}
