/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VM state read at start (BPF task_file iterator, bpf/iter.bpf.c): the
 * routing tables and irqfds of VMs set up before irqtrail started, turned
 * into the records the model already understands.
 */
#ifndef IRQTRAIL_VMSTATE_H
#define IRQTRAIL_VMSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "events.h"
#include "events_iter.h"

typedef int (*it_vmstate_fn)(void *ctx, const struct it_hdr *h);

struct it_vmstate_counts {
	unsigned int vms;		/* VMs (kvm-vm files) found */
	unsigned int procs;		/* processes holding them */
	unsigned int routes;		/* MSI routes emitted */
	unsigned int entries;		/* routing entries of every type */
	unsigned int irqfds;		/* irqfds emitted */
	unsigned int irqfds_unnamed;	/* irqfds whose eventfd the VMM no longer holds open */
	unsigned int truncated;		/* entries the reader could not copy */
	unsigned int bad;		/* records that made no sense (ignored) */
};

/*
 * Join the iterator's records (in any order) per VMM process: for each,
 * one IT_EV_IOCTL_GSI_ROUTE per MSI entry then the IT_EV_IOCTL_GSI_ROUTING
 * commit (the table as KVM_SET_GSI_ROUTING would have installed it), then
 * one IT_EV_IOCTL_IRQFD per irqfd with the eventfd named by the process's
 * fd number (found through the eventfd context; -1 when the VMM closed its
 * fd).  Every record carries IT_F_SNAPSHOT, hdr.ts = ts, hdr.pid = the VMM,
 * hdr.tid = 0; c.fd is the VM fd, c.ret 0.  The routes of several VMs of
 * one process are merged (the model keys VMs by process).  Returns the
 * number of records handed to fn, or fn's first non-zero return.
 */
int it_vmstate_emit(const struct it_iter_rec *recs, size_t n, uint64_t ts, it_vmstate_fn fn, void *ctx,
		    struct it_vmstate_counts *c);

#endif
