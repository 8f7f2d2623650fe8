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
#include <stdint.h>
#include <sys/types.h>
#include "full_events.h"
#include "hooks.h"

struct it_full_opts {
	int events_fd;		/* ring buffer of the tracepoint tier */
	int counters_fd;
	int cur_irq_fd;
	bool full;		/* stream data-plane events */
	pid_t pid;
	int agg_counts_fd;	/* the tracepoint tier's agg_counts; 0 = keep a private one */
	bool no_table_read;	/* do not read the remapping tables at attach */
};

struct it_full;

/*
 * Attach every full-tier hook the kernel allows.  st/nst are the statuses of
 * the whole catalogue (it_hooks); entries with a ksym are updated: tier,
 * attached, reason.  Returns the number attached (>= 0) or a negative errno
 * for a failure that is not a single hook's.
 *
 * Unless o->no_table_read, the interrupt remapping tables are read once
 * after the hooks are attached (see it_full_read_tables).
 */
int it_full_attach(struct it_full **out, const struct it_full_opts *o, const struct it_features *f,
		   struct it_hook_status *st, size_t nst);
void it_full_detach(struct it_full *fl);
struct it_prog_misses;
/* Add the full tier's skipped program runs (see progmiss.h) to m. */
void it_full_prog_misses(const struct it_full *fl, struct it_prog_misses *m);

/*
 * Copy every present entry of the kernel's interrupt remapping tables (Intel
 * DMAR units, AMD-Vi PCI segments) into the stream as IT_EV_IRTE_SNAP
 * records, followed by one IT_EV_IRTE_TABLE summary per vendor.  Returns the
 * number of entries, or a negative errno (-EOPNOTSUPP when the kernel has no
 * remapping driver or the reader is not loaded).
 */
int it_full_read_tables(struct it_full *fl);

/* One line about the last table read ("" before any), for doctor. */
const char *it_full_table_status(const struct it_full *fl);

/*
 * Resolve a kernel function in kallsyms text "ADDR TYPE NAME[\t[MODULE]]"
 * lines: the symbol itself or a compiler clone of it (NAME.isra.N,
 * NAME.constprop.N, NAME.part.N; never NAME.cold).  When several copies
 * exist (two drivers' static functions of the same name), the one nearest
 * the anchor symbol is chosen.  Exposed for the unit tests.
 */
struct it_ksym_pick {
	unsigned long long addr;
	char name[128];		/* the name as listed, suffix included */
	char module[64];	/* "" for vmlinux */
	int copies;		/* candidates seen */
	bool unique_name;	/* name appears once: attachable by name */
};
int it_ksym_resolve(const char *kallsyms_text, const char *sym, const char *anchor, struct it_ksym_pick *out);

/* IRTE decoding: src/full_events.h */


#endif
