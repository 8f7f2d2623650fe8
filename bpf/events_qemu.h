/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMM user-space hooks (uprobes on QEMU's exported KVM routing API, HOOKS.md
 * section 6): event types 160..162 of the reserved range.  Shared by
 * bpf/qemu.bpf.c and the user side.
 */
#ifndef IRQTRAIL_EVENTS_QEMU_H
#define IRQTRAIL_EVENTS_QEMU_H

#include "events.h"

enum it_qemu_event_type {
	IT_EV_QEMU_ADD_MSI_ROUTE = 160,		/* kvm_irqchip_add_msi_route: vector -> virq (its return) */
	IT_EV_QEMU_UPDATE_MSI_ROUTE = 161,	/* kvm_irqchip_update_msi_route: virq, the new message */
	IT_EV_QEMU_COMMIT_ROUTES = 162,		/* kvm_irqchip_commit_routes */
};

/* One record for all three; fields a function does not have are 0. */
struct it_qemu_route {
	struct it_hdr h;
	__s32 virq;		/* the KVM GSI (add: the return value, < 0 an error) */
	__u32 vector;		/* add: the device's MSI/MSI-X vector */
	__u64 address;		/* update: MSIMessage.address */
	__u32 data;		/* update: MSIMessage.data */
	__u32 pad;
	__u64 dev;		/* the PCIDevice pointer (add, update): groups a device's vectors */
	__u64 duration;		/* add: ns from entry to return */
};

#ifndef __bpf__
_Static_assert(sizeof(struct it_qemu_route) == 24 + 40, "it_qemu_route");
#endif

#endif
