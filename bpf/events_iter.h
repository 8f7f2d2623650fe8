/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Records of the start-up VM state reader (bpf/iter.bpf.c, a BPF task_file
 * iterator): the KVM state only the kernel holds about VMs set up before
 * irqtrail started.  They are read from the iterator's seq file by
 * user/iter.c and joined by src/vmstate.c into the ioctl records the model
 * already understands (flagged IT_F_SNAPSHOT).  Not a ring buffer ABI: these
 * records never reach a recording as such.
 */
#ifndef IRQTRAIL_EVENTS_ITER_H
#define IRQTRAIL_EVENTS_ITER_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define IT_ITER_MAX_GSI		4096	/* KVM_MAX_IRQ_ROUTES (x86) */
#define IT_ITER_GSI_DEPTH	4	/* entries per GSI walked (PIC + IOAPIC + MSI at most) */
#define IT_ITER_MAX_IRQFDS	1024

enum it_iter_kind {
	IT_ITER_VM = 1,		/* a kvm-vm file: one VM, after its routes and irqfds */
	IT_ITER_ROUTE = 2,	/* one MSI routing entry of that VM */
	IT_ITER_IRQFD = 3,	/* one irqfd of that VM */
	IT_ITER_EVENTFD = 4,	/* an eventfd file of a process (to name irqfds by fd) */
};

struct it_iter_rec {
	__u32 kind;		/* enum it_iter_kind */
	__u32 pid;		/* tgid of the process holding the file */
	__u32 fd;		/* the file's fd in that process (vm fd; eventfd fd) */
	__u32 gsi;		/* route, irqfd */
	__u64 kvm;		/* struct kvm address: joins a VM's records */
	__u64 ctx;		/* struct eventfd_ctx address (irqfd, eventfd) */
	__u32 type;		/* route: KVM_IRQ_ROUTING_* */
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 flags;		/* route: KVM_MSI_VALID_DEVID */
	__u32 devid;
	__u32 nr;		/* vm: routing entries of every type; eventfd: eventfd id */
	__u32 nr_msi;		/* vm: MSI routing entries emitted */
	__u32 nr_irqfds;	/* vm: irqfds emitted */
	__u32 truncated;	/* vm: entries not emitted (bounds, unreadable memory) */
	__u32 gsis;		/* vm: nr_rt_entries (highest GSI + 1) */
	__u32 pad;
	char comm[16];
};

#endif
