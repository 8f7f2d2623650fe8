// SPDX-License-Identifier: GPL-2.0-only
#include <argp.h>
#include <errno.h>
#include <unistd.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common.h"
#include "json.h"

bool it_verbose;
bool it_json_out;
volatile sig_atomic_t it_exiting;

void p_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (it_json_out) {
		struct it_json j;

		jw_init(&j);
		jw_obj_begin(&j);
		jw_kstr(&j, "error", msg);
		jw_obj_end(&j);
		jw_raw(&j, "\n");
		fflush(stdout);
		jw_flush(&j, stdout);
		fflush(stdout);
		jw_free(&j);
	}
	fprintf(stderr, "irqtrail: %s\n", msg);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	fputs("irqtrail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	it_exiting = 1;
}

void it_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

double it_parse_secs(const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (*end && strcmp(end, "s"))
		return -1;
	return v;
}

long long it_parse_ull(const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	return (long long)v;
}

uint64_t it_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * argp prints a usage error as "prog: message" followed by a "Try ... --help"
 * line.  irqtrail's errors are one line: the stream below passes the first
 * and drops the hint.
 */
static ssize_t err_write(void *cookie, const char *buf, size_t len)
{
	static bool done;
	size_t off = 0;

	(void)cookie;
	/* argp only writes here on a usage error, right before exiting: keep
	 * its message line, drop the (wrapped) "Try ..." hint that follows it
	 * or follows getopt's own message */
	while (off < len && !done) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;

		if (!strncmp(buf + off, "Try `", 5) || !strncmp(buf + off, "Try '", 5)) {
			done = true;
			break;
		}
		ssize_t w = write(2, buf + off, l);
		(void)w;
		off += l;
		done = nl != NULL;
	}
	return (ssize_t)len;
}

static FILE *err_stream(void)
{
	static FILE *f;
	cookie_io_functions_t io = { .write = err_write };

	if (!f) {
		f = fopencookie(NULL, "w", io);
		if (f)
			setvbuf(f, NULL, _IOLBF, 0);
	}
	return f ? f : stderr;
}

struct wrap {
	const struct argp *inner;
};

static error_t wrap_parse(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	if (key == ARGP_KEY_INIT) {
		state->child_inputs[0] = state->input;
		state->err_stream = err_stream();
	}
	return ARGP_ERR_UNKNOWN;
}

int it_argp_parse(const struct argp *argp, int argc, char **argv, unsigned flags, void *input)
{
	struct argp inner = *argp;
	struct argp_child children[2] = { { &inner, 0, NULL, 0 }, { 0 } };
	struct argp wrapper = { NULL, wrap_parse, argp->args_doc, argp->doc, children, NULL, NULL };
	char name[64];
	char *saved = argv[0];
	int r;

	inner.doc = NULL;	/* the wrapper prints it once */
	inner.args_doc = NULL;
	/* messages say "irqtrail CMD: ..." */
	snprintf(name, sizeof(name), "irqtrail %s", saved);
	argv[0] = name;
	r = argp_parse(&wrapper, argc, argv, flags, NULL, input);
	argv[0] = saved;
	return r;
}
