/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fentry/kprobe tier (the full hook set): IRTE writes, irqdomain
 * allocation, MSI compose/write, VFIO, KVM internals, VMM uprobes.  Its
 * programs share the tracepoint tier's ring buffer, counters and per-cpu
 * irq state (map fds reused), so every consumer sees one stream.
 */
#ifndef IRQTRAIL_FULL_H
#define IRQTRAIL_FULL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "hooks.h"

struct it_full_opts {
	int events_fd;		/* ring buffer of the tracepoint tier */
	int counters_fd;
	int cur_irq_fd;
	bool full;		/* stream data-plane events */
	pid_t pid;
};

struct it_full;

/*
 * Attach every full-tier hook the kernel allows.  st/nst are the statuses of
 * the whole catalogue (it_hooks); entries with a ksym are updated: tier,
 * attached, reason.  Returns the number attached (>= 0) or a negative errno
 * for a failure that is not a single hook's.
 */
int it_full_attach(struct it_full **out, const struct it_full_opts *o, const struct it_features *f,
		   struct it_hook_status *st, size_t nst);
void it_full_detach(struct it_full *fl);

#endif
