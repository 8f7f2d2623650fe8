/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The start-up VM state reader: a BPF task_file iterator (bpf/iter.bpf.c)
 * that copies the GSI routing tables and irqfds of VMs set up before
 * irqtrail started.  Loaded with the live session, read once at its first
 * step; the records are joined by src/vmstate.c.
 */
#ifndef IRQTRAIL_ITER_H
#define IRQTRAIL_ITER_H

#include <stddef.h>
#include <stdint.h>
#include "vmstate.h"

/* Its entry in the hook catalogue (user/hooks.c), hop "vm-state". */
#define IT_HOOK_VM_ITER "iter/task_file (VM state at start)"

struct it_iter;

/* Load and attach the iterator.  On failure returns a negative errno and
 * says why in reason (kernel without BPF iterators, KVM types missing from
 * BTF, ...). */
int it_iter_open(struct it_iter **out, char *reason, size_t len);

/* Run the iterator once and hand the joined records to fn (see
 * it_vmstate_emit).  Returns the number of records, or a negative errno. */
int it_iter_read(struct it_iter *it, uint64_t ts, it_vmstate_fn fn, void *ctx, struct it_vmstate_counts *c);

/* One line about the last read, for doctor ("" before any). */
const char *it_iter_status(const struct it_iter *it);

void it_iter_close(struct it_iter *it);

#endif
