/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Event payloads of the fentry/kprobe tier: IRTE writes, irqdomain
 * allocation, MSI compose/write, VFIO, KVM internals, VMM uprobes, ARM ITS.
 * Type ids live in IT_EV_RESERVED_FIRST..IT_EV_RESERVED_LAST (events.h).
 * Included by events.h; do not include directly.
 */
#ifndef IRQTRAIL_EVENTS_FULL_H
#define IRQTRAIL_EVENTS_FULL_H

#endif
