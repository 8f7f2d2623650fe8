// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF run time from the kernel's per-program statistics.  They are on only
 * while something holds them on: BPF_ENABLE_STATS gives an fd whose lifetime
 * is the switch (the kernel turns them off when the last holder closes it or
 * dies, even on SIGKILL).  Holding it costs every BPF program of the system
 * two clock reads per run, so top holds it for a window of
 * TOP_COST_WINDOW_MS in every TOP_COST_PERIOD_MS and reports the windows'
 * rates.  Kernels without that command get the sysctl, on throughout and
 * written back to 0 at exit, from the crash handler too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "common.h"
#include "top_cost.h"

#define STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

static volatile sig_atomic_t sysctl_restore_pending;

static int read_sysctl(void)
{
	char b[16] = "";
	int fd = open(STATS_SYSCTL, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	return atoi(b);
}

static int write_sysctl(const char *v)
{
	int fd = open(STATS_SYSCTL, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, v, strlen(v));
	close(fd);
	return n > 0 ? 0 : -1;
}

void top_cost_emergency_restore(void)
{
	if (sysctl_restore_pending) {
		sysctl_restore_pending = 0;
		write_sysctl("0\n");
	}
}

/* Our own BPF programs: the bpf-prog fds this process holds. */
static void find_progs(struct top_cost *c)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], target[64];
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strcmp(target, "anon_inode:bpf-prog"))
			continue;
		int *nf = realloc(c->fds, (c->nfds + 1) * sizeof(*nf));
		if (!nf)
			break;
		c->fds = nf;
		c->fds[c->nfds++] = fd;
	}
	closedir(d);
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

static void prog_totals(struct top_cost *c, uint64_t *ns, uint64_t *cnt)
{
	*ns = *cnt = 0;
	for (size_t i = 0; i < c->nfds; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(c->fds[i], &info, &len))
			continue;
		*ns += info.run_time_ns;
		*cnt += info.run_cnt;
	}
}

void top_cost_start(struct top_cost *c, bool live)
{
	memset(c, 0, sizeof(*c));
	c->stats_fd = -1;
	c->live = live;
	if (!live) {
		struct top_cost_sample first;

		snprintf(c->why, sizeof(c->why), "replay");
		top_cost_sample(c, &first);
		return;
	}
	c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	c->duty = c->stats_fd >= 0;
	if (c->stats_fd < 0) {
		int prev = read_sysctl();

		if (prev < 0) {
			snprintf(c->why, sizeof(c->why), "no kernel.bpf_stats_enabled");
		} else if (prev == 0) {
			/* mark first: a crash between the two still restores */
			sysctl_restore_pending = 1;
			if (write_sysctl("1\n")) {
				sysctl_restore_pending = 0;
				snprintf(c->why, sizeof(c->why), "cannot enable kernel.bpf_stats_enabled: %s",
					 strerror(errno));
			} else {
				c->sysctl_set = true;
			}
		}
	}
	find_progs(c);
	if (!c->nfds && !c->why[0])
		snprintf(c->why, sizeof(c->why), "no BPF programs found");
	if (c->duty) {
		/* the first window is open */
		c->on_ts = it_now_ns();
		prog_totals(c, &c->base_ns, &c->base_cnt);
	}
	/* the baseline: the first frame already has a rate */
	struct top_cost_sample first;
	top_cost_sample(c, &first);
}

void top_cost_tick(struct top_cost *c)
{
	uint64_t now, ns, cnt;

	if (!c->live || !c->duty || c->why[0])
		return;
	now = it_now_ns();
	if (c->stats_fd >= 0 && now - c->on_ts >= TOP_COST_WINDOW_MS * 1000000ull) {
		prog_totals(c, &ns, &cnt);
		close(c->stats_fd);
		c->stats_fd = -1;
		c->acc_ns += ns - c->base_ns;
		c->acc_cnt += cnt - c->base_cnt;
		c->acc_wall += now - c->on_ts;
		c->next_on = c->on_ts + TOP_COST_PERIOD_MS * 1000000ull;
	} else if (c->stats_fd < 0 && now >= c->next_on) {
		c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (c->stats_fd < 0) {
			snprintf(c->why, sizeof(c->why), "cannot enable BPF statistics: %s", strerror(errno));
			return;
		}
		c->on_ts = now;
		prog_totals(c, &c->base_ns, &c->base_cnt);
	}
}

void top_cost_sample(struct top_cost *c, struct top_cost_sample *out)
{
	uint64_t wall = it_now_ns(), cpu = cpu_ns(), ns = 0, cnt = 0;

	memset(out, 0, sizeof(*out));
	out->why = c->why;
	out->nprogs = (unsigned)c->nfds;
	if (c->live && !c->why[0] && !c->duty)
		prog_totals(c, &ns, &cnt);
	if (c->live && !c->why[0] && c->duty) {
		/* the windows closed since the last sample; else the last rates */
		if (c->acc_wall) {
			double secs = (double)c->acc_wall / 1e9;

			c->last_ns_per_s = (double)c->acc_ns / secs;
			c->last_runs_per_s = (double)c->acc_cnt / secs;
			c->last_avg_ns = c->acc_cnt ? (double)c->acc_ns / (double)c->acc_cnt : 0;
			c->have_window = true;
			c->acc_ns = c->acc_cnt = c->acc_wall = 0;
		}
		out->bpf_known = c->have_window;
		out->bpf_ns_per_s = c->last_ns_per_s;
		out->bpf_runs_per_s = c->last_runs_per_s;
		out->bpf_avg_ns = c->last_avg_ns;
	}
	if (c->have_prev && wall > c->prev_wall) {
		double secs = (double)(wall - c->prev_wall) / 1e9;

		out->cpu_pct = (double)(cpu - c->prev_cpu_ns) / 1e9 / secs * 100.0;
		if (c->live && !c->why[0] && !c->duty) {
			out->bpf_known = true;
			out->bpf_ns_per_s = (double)(ns - c->prev_run_ns) / secs;
			out->bpf_runs_per_s = (double)(cnt - c->prev_run_cnt) / secs;
			out->bpf_avg_ns = cnt > c->prev_run_cnt ? (double)(ns - c->prev_run_ns) / (double)(cnt - c->prev_run_cnt) : 0;
		}
	}
	c->prev_wall = wall;
	c->prev_cpu_ns = cpu;
	c->prev_run_ns = ns;
	c->prev_run_cnt = cnt;
	c->have_prev = true;
}

void top_cost_stop(struct top_cost *c)
{
	if (c->stats_fd >= 0)
		close(c->stats_fd);
	c->stats_fd = -1;
	if (c->sysctl_set && sysctl_restore_pending) {
		write_sysctl("0\n");
		sysctl_restore_pending = 0;
	}
	c->sysctl_set = false;
	free(c->fds);
	c->fds = NULL;
	c->nfds = 0;
}
