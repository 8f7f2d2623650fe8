/* SPDX-License-Identifier: GPL-2.0-only */
/* The live event source: loads irqtrail's BPF programs with runtime hook
 * selection and delivers struct it_hdr records from the ring buffer. */
#ifndef IRQTRAIL_LIVE_H
#define IRQTRAIL_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agg.h"
#include "events.h"
#include "hooks.h"

typedef int (*it_event_fn)(void *ctx, const struct it_hdr *h);

struct it_live_opts {
	bool full;		/* stream every data-plane event */
	pid_t pid;		/* only this VMM's process-context events (0 = all) */
	size_t ringbuf_bytes;	/* 0 = default */
	it_event_fn cb;
	void *ctx;
};

struct it_live_counters {
	uint64_t c[IT_CNT_MAX];	/* enum it_counter, summed over CPUs */
	uint64_t bad_records;	/* records user space could not decode */
};

struct it_live;

/* Probe, open, load and attach.  Returns 0, or a negative errno with a
 * one-line explanation in err. */
int it_live_open(struct it_live **out, const struct it_live_opts *o, char *err, size_t errlen);
/* Consume what the ring buffer holds, waiting up to timeout_ms for a wake-up.
 * Returns records delivered or a negative errno; a callback's non-zero
 * return stops consumption and is returned. */
int it_live_poll(struct it_live *l, int timeout_ms);
int it_live_drain(struct it_live *l);
void it_live_counters(struct it_live *l, struct it_live_counters *c);
/* Runs of the loaded programs the kernel skipped (progmiss.h): a few
 * syscalls per program, so at the end or once a second, not per poll. */
struct it_prog_misses;
void it_live_prog_misses(const struct it_live *l, struct it_prog_misses *m);
const struct it_hook_status *it_live_hooks(const struct it_live *l, size_t *n);
const struct it_features *it_live_features(const struct it_live *l);
/* Number of hooks attached. */
size_t it_live_nattached(const struct it_live *l);
void it_live_close(struct it_live *l);
/* The fentry/kprobe tier's state (NULL when it attached nothing). */
struct it_full *it_live_full(const struct it_live *l);
/* Run the VM state iterator once (VMs set up before start: their routing
 * tables and irqfds as IT_F_SNAPSHOT ioctl records, see src/vmstate.h) and
 * note the result in its hook status.  -EOPNOTSUPP when not loaded. */
int it_live_read_vm_state(struct it_live *l, uint64_t ts, it_event_fn fn, void *ctx);
/* Read the in-kernel aggregates (summed over CPUs) into f (it_agg_free it). */
int it_live_read_agg(struct it_live *l, struct it_agg_frame *f);

/* Probe only (no load): the status every hook would get.  Used by doctor
 * when loading is impossible (not root). */
void it_hooks_plan(const struct it_features *f, struct it_hook_status *st);

#endif
