// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-churn: interrupt and affinity churn on the virtio-rng interrupt.
 *
 * Every read of /dev/hwrng asks the virtio-rng device for entropy and is
 * completed by its MSI-X interrupt (irq_handler_entry/exit).  Every
 * --move-every reads, the interrupt's affinity is flipped to the next online
 * CPU through /proc/irq/N/smp_affinity_list; on x86 without interrupt
 * remapping the vector really moves at the next interrupt (irq_vectors:
 * vector_update/alloc/config/free_moved, irq_matrix:alloc/free), so the run
 * mixes data-plane interrupts with control-plane route changes.  The
 * device's rate is set by the host's entropy source (a few hundred
 * interrupts a second on a cloud VM), not by this program.
 *
 * Prints one JSON object, in the shape of itvmm's summary where the fields
 * mean the same: fired_total (interrupts of that irq during the run),
 * fire_ns, rate_per_s, and reads, affinity_writes, moves (changes of
 * effective_affinity seen), irq.  The original affinity is restored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* "virtioN" of the device virtio_rng drives */
static int find_rng_device(char *name, size_t len)
{
	DIR *d = opendir("/sys/bus/virtio/devices");
	struct dirent *e;
	int ret = -1;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[512], t[512];
		ssize_t n;
		const char *b;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/virtio/devices/%s/driver", e->d_name);
		n = readlink(p, t, sizeof(t) - 1);
		if (n < 0)
			continue;
		t[n] = '\0';
		b = strrchr(t, '/');
		b = b ? b + 1 : t;
		if (!strcmp(b, "virtio_rng")) {
			snprintf(name, len, "%s", e->d_name);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* the irq whose /proc/interrupts name starts with "<dev>-" (the request queue
 * vector, not the config one), and its count summed over CPUs */
static int find_irq(const char *dev, int want_irq, int *irq, uint64_t *count)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[4096], pfx[300];
	int found = -1;

	if (!f)
		return -1;
	snprintf(pfx, sizeof(pfx), "%s-", dev);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long n = strtol(p, &end, 10);
		uint64_t sum = 0;

		if (end == p || *end != ':')
			continue;
		p = end + 1;
		for (;;) {
			char *q;
			unsigned long long v = strtoull(p, &q, 10);

			if (q == p)
				break;
			sum += v;
			p = q;
		}
		if (want_irq >= 0 ? n == want_irq
				  : (strstr(p, pfx) && !strstr(p, "-config"))) {
			*irq = (int)n;
			*count = sum;
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--duration-ms MS] [--count N] [--move-every K] [--read-bytes B] [--irq N] [--no-move]\n"
		"Reads /dev/hwrng (virtio-rng interrupts) and flips the irq's affinity between online CPUs.\n",
		argv0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration-ms", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "move-every", required_argument, NULL, 'm' },
		{ "read-bytes", required_argument, NULL, 'b' },
		{ "irq", required_argument, NULL, 'i' },
		{ "no-move", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t duration_ms = 1000, max_reads = 0, move_every = 1, rbytes = 64;
	int want_irq = -1, irq = -1, c, hw, aff = -1;
	bool move = true;
	char dev[256] = "", path[128], orig[256] = "", eff[256] = "", cur[256];
	uint64_t c0, c1, reads = 0, writes = 0, moves = 0, t0, t1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned char buf[4096];

	while ((c = getopt_long(argc, argv, "d:c:m:b:i:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': duration_ms = strtoull(optarg, NULL, 0); break;
		case 'c': max_reads = strtoull(optarg, NULL, 0); break;
		case 'm': move_every = strtoull(optarg, NULL, 0); break;
		case 'b': rbytes = strtoull(optarg, NULL, 0); break;
		case 'i': want_irq = atoi(optarg); break;
		case 'n': move = false; break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	if (rbytes < 1 || rbytes > sizeof(buf) || !move_every) {
		usage(argv[0]);
		return 2;
	}
	if (want_irq < 0 && find_rng_device(dev, sizeof(dev))) {
		fprintf(stderr, "bench-churn: no virtio_rng device\n");
		return 1;
	}
	if (find_irq(dev, want_irq, &irq, &c0)) {
		fprintf(stderr, "bench-churn: no interrupt for %s in /proc/interrupts\n", dev[0] ? dev : "--irq");
		return 1;
	}
	hw = open("/dev/hwrng", O_RDONLY | O_CLOEXEC);
	if (hw < 0) {
		fprintf(stderr, "bench-churn: /dev/hwrng: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	read_file(path, orig, sizeof(orig));
	orig[strcspn(orig, "\n")] = '\0';
	if (move) {
		aff = open(path, O_WRONLY | O_CLOEXEC);
		if (aff < 0) {
			fprintf(stderr, "bench-churn: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", irq);
	read_file(path, eff, sizeof(eff));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	t0 = now_ns();
	while (!stop) {
		uint64_t t = now_ns();

		if (duration_ms && t - t0 >= duration_ms * 1000000ull)
			break;
		if (max_reads && reads >= max_reads)
			break;
		if (aff >= 0 && reads % move_every == 0) {
			char cpu[24];
			int len = snprintf(cpu, sizeof(cpu), "%" PRIu64 "\n", (writes + 1) % (uint64_t)ncpu);

			if (write(aff, cpu, (size_t)len) == len)
				writes++;
		}
		if (read(hw, buf, rbytes) < 0 && errno != EINTR) {
			fprintf(stderr, "bench-churn: read /dev/hwrng: %s\n", strerror(errno));
			break;
		}
		reads++;
		if (aff >= 0 && !read_file(path, cur, sizeof(cur)) && strcmp(cur, eff)) {
			moves++;
			memcpy(eff, cur, sizeof(eff));
		}
	}
	t1 = now_ns();
	if (find_irq(dev, irq, &irq, &c1))
		c1 = c0;
	if (aff >= 0) {
		if (orig[0] && write(aff, orig, strlen(orig)) < 0)
			fprintf(stderr, "bench-churn: restoring affinity %s: %s\n", orig, strerror(errno));
		close(aff);
	}
	close(hw);
	printf("{\"generator\":\"churn\",\"device\":\"%s\",\"irq\":%d,\"reads\":%" PRIu64
	       ",\"affinity_writes\":%" PRIu64 ",\"moves\":%" PRIu64 ",\"fired_total\":%" PRIu64
	       ",\"fire_ns\":%" PRIu64 ",\"elapsed_ns\":%" PRIu64 ",\"rate_per_s\":%.0f,\"interrupted\":%s}\n",
	       dev, irq, reads, writes, moves, c1 - c0, t1 - t0, t1 - t0,
	       t1 > t0 ? (double)(c1 - c0) * 1e9 / (double)(t1 - t0) : 0.0, stop ? "true" : "false");
	return 0;
}
