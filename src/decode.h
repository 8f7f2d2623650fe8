/* SPDX-License-Identifier: GPL-2.0-only */
/* Decoders: x86 MSI messages, ioctl and event type names. Pure C. */
#ifndef IRQTRAIL_DECODE_H
#define IRQTRAIL_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "events.h"

struct it_msi_decoded {
	uint32_t dest;		/* destination APIC id, extended bits included */
	uint8_t vector;
	uint8_t delivery;	/* 0 fixed, 1 lowest, 2 smi, 4 nmi, 5 init, 7 extint */
	bool window;		/* address in the 0xFEExxxxx interrupt window */
	bool remappable;	/* Intel remappable format (address bit 4) */
	bool logical;		/* destination mode */
	bool redir_hint;
	bool level;		/* trigger mode */
	bool assert;		/* level: assert */
	bool ext_dest;		/* address bits 11:5 used as destination bits 14:8 */
	/* remappable format only */
	uint16_t irte_handle;
	bool shv;
	uint16_t subhandle;
};

void it_msi_decode(uint64_t address, uint32_t data, struct it_msi_decoded *d);
const char *it_msi_delivery_name(unsigned int delivery);
/* Vectors 0..15 are reserved on x86; 0x10..0x1f are exceptions too. */
bool it_vector_reserved(unsigned int vector);

const char *it_event_type_name(unsigned int type);
int it_event_type_from_name(const char *name);	/* -1 unknown */
/* Minimum record size of a type (0 = unknown type). */
unsigned int it_event_min_len(unsigned int type);
/* True for per-interrupt / per-injection types. */
bool it_event_is_dataplane(unsigned int type);

const char *it_ioctl_name(uint32_t cmd);	/* NULL for commands irqtrail does not decode */
const char *it_vfio_irq_index_name(uint32_t index);
const char *it_kvm_route_type_name(uint32_t type);

#endif
