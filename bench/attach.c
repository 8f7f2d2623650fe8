// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-attach: load one program of a BPF object and attach it to a list of
 * tracepoints, then wait for SIGINT/SIGTERM.  The benchmark uses it for the
 * floor (bench/empty.bpf.c on every tracepoint irqtrail attaches) and for the
 * helper/map micro-costs (bench/ops.bpf.c, one program at a time).
 *
 *   bench-attach OBJ PROG CATEGORY:NAME...
 *
 * Prints "ready A/N" on stdout once A of the N tracepoints are attached
 * (tracepoints this kernel lacks are skipped and named on stderr).  When the
 * object has a ring buffer map called "rb", it is consumed (and the records
 * counted) so that a producer never finds it full.  Exit status 0, or 1 when
 * nothing could be attached.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long long consumed;

static int on_rec(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	consumed++;
	return 0;
}

static int quiet(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_WARN && getenv("BENCH_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct bpf_object *obj;
	struct bpf_program *prog, *p;
	struct bpf_map *rbmap;
	struct ring_buffer *rb = NULL;
	struct bpf_link **links;
	int n = 0, i, err;

	if (argc < 4) {
		fprintf(stderr, "usage: %s OBJ PROG CATEGORY:NAME...\n", argv[0]);
		return 2;
	}
	setrlimit(RLIMIT_MEMLOCK, &rl);
	libbpf_set_print(quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "bench-attach: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) {
		fprintf(stderr, "bench-attach: no program %s in %s\n", argv[2], argv[1]);
		return 1;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "bench-attach: load %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	links = calloc((size_t)argc, sizeof(*links));
	if (!links)
		return 1;
	for (i = 3; i < argc; i++) {
		char cat[128], *name;

		snprintf(cat, sizeof(cat), "%s", argv[i]);
		name = strchr(cat, ':');
		if (!name)
			name = strchr(cat, '/');
		if (!name) {
			fprintf(stderr, "bench-attach: %s: want CATEGORY:NAME\n", argv[i]);
			continue;
		}
		*name++ = '\0';
		links[n] = bpf_program__attach_tracepoint(prog, cat, name);
		if (!links[n]) {
			fprintf(stderr, "bench-attach: %s: %s (skipped)\n", argv[i], strerror(errno));
			continue;
		}
		n++;
	}
	if (!n) {
		fprintf(stderr, "bench-attach: nothing attached\n");
		return 1;
	}
	rbmap = bpf_object__find_map_by_name(obj, "rb");
	if (rbmap && bpf_map__type(rbmap) == BPF_MAP_TYPE_RINGBUF)
		rb = ring_buffer__new(bpf_map__fd(rbmap), on_rec, NULL, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready %d/%d\n", n, argc - 3);
	fflush(stdout);
	while (!stop) {
		if (rb)
			ring_buffer__poll(rb, 100);
		else
			usleep(100000);
	}
	if (rb) {
		ring_buffer__consume(rb);
		ring_buffer__free(rb);
	}
	for (i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	free(links);
	bpf_object__close(obj);
	printf("consumed %llu\n", consumed);
	return 0;
}
