/* SPDX-License-Identifier: GPL-2.0-only */
/* Runs of irqtrail's BPF programs the kernel skipped.  A tracing program is
 * not run when it fires on a CPU where a BPF program already runs (an
 * interrupt landing in a syscall tracepoint's program, a kprobe inside a
 * kprobe): the kernel's recursion guard skips it and counts the skip in
 * bpf_prog_info.recursion_misses (5.12+).  Such an event never reaches the
 * ring buffer, so it is not in the lost count either: counts built from that
 * hook may be low by as much. */
#ifndef IRQTRAIL_PROGMISS_H
#define IRQTRAIL_PROGMISS_H

#include <stdint.h>

struct bpf_object;

struct it_prog_misses {
	uint64_t total;		/* skipped runs, every loaded program */
	uint64_t worst;		/* the program that missed most ... */
	char worst_name[64];	/* ... and its name */
	unsigned int nprogs;	/* programs with at least one miss */
};

/* Add the misses of obj's loaded programs to m (m zeroed by the caller). */
void it_prog_misses_add(struct it_prog_misses *m, struct bpf_object *obj);
/* "N hook runs skipped by the kernel's BPF recursion guard (most: NAME, K)",
 * or "" when there were none. */
const char *it_prog_misses_str(const struct it_prog_misses *m, char *buf, unsigned int len);

#endif
