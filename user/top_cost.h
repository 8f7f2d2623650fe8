/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * irqtrail's own cost, for the top header: the run time of its BPF programs
 * per second and its own CPU use.  The kernel's BPF statistics cost two
 * clock reads per program run, so where they can be switched per holder
 * (BPF_ENABLE_STATS) they are on for a window of TOP_COST_WINDOW_MS in every
 * TOP_COST_PERIOD_MS and the rates are those of the windows; with only the
 * sysctl they stay on while top runs.
 */
#ifndef IRQTRAIL_TOP_COST_H
#define IRQTRAIL_TOP_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOP_COST_WINDOW_MS 100
#define TOP_COST_PERIOD_MS 1000

struct top_cost {
	bool live;
	bool duty;		/* statistics on in windows (stats_fd), not throughout */
	uint64_t on_ts;		/* the open window's start */
	uint64_t next_on;	/* when the next window opens */
	uint64_t base_ns, base_cnt;	/* totals at the open window's start */
	uint64_t acc_ns, acc_cnt, acc_wall;	/* closed windows since the last sample */
	double last_ns_per_s, last_runs_per_s, last_avg_ns;
	bool have_window;
	int stats_fd;		/* BPF_ENABLE_STATS holder, -1 none */
	bool sysctl_set;	/* we wrote 1 to kernel.bpf_stats_enabled */
	int *fds;		/* this process's BPF program fds (not owned) */
	size_t nfds;
	char why[128];		/* why BPF run time is unknown, "" known */
	uint64_t prev_wall, prev_run_ns, prev_run_cnt, prev_cpu_ns;
	bool have_prev;
};

struct top_cost_sample {
	bool bpf_known;
	double bpf_ns_per_s;	/* BPF run time per wall second */
	double bpf_runs_per_s;
	double bpf_avg_ns;	/* per run */
	unsigned nprogs;
	double cpu_pct;		/* this process, % of one CPU */
	const char *why;	/* bpf unknown: why */
};

/* Live: switch the statistics on (BPF_ENABLE_STATS, else the sysctl with the
 * old value restored at exit) and find our programs.  Call after the BPF
 * programs are loaded.  Replay: CPU only. */
void top_cost_start(struct top_cost *c, bool live);
void top_cost_sample(struct top_cost *c, struct top_cost_sample *out);
/* Open or close the statistics window when due: call at least every
 * TOP_COST_WINDOW_MS while live. */
void top_cost_tick(struct top_cost *c);
/* Switch the statistics back as they were (idempotent). */
void top_cost_stop(struct top_cost *c);
/* Async-signal-safe restore of the sysctl (crash path). */
void top_cost_emergency_restore(void);

#endif
