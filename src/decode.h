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
	/* AMD-Vi remapped (it_msi_decode_host only): the data is the IRTE index */
	bool amd_remapped;
	uint16_t irte_index;
};

void it_msi_decode(uint64_t address, uint32_t data, struct it_msi_decoded *d);

/*
 * AMD-Vi interrupt remapping gives a device no format bit: its remapping
 * domain writes the bare window address (0xFEE00000; bit 2 set where the
 * IOMMU has 2K tables), address_hi 0 and the IRTE index as the data.  Tables
 * hold up to 2048 entries (IntTabLen 11), the same for the 32-bit and the
 * 128-bit (GA) IRTE formats: the index is data bits 10:0.
 */
#define IT_AMD_IRTE_INDEX_MASK 0x7ffu
/*
 * A message a host device was given.  amd_ir: the host remaps with AMD-Vi
 * and the irq is behind its remapping domain (it_msi_chip_remapped); a
 * message of the shape that domain writes is then decoded as amd_remapped
 * with irte_index, anything else (a cleared entry, a compat message) as
 * it_msi_decode does.  Without amd_ir the same as it_msi_decode.
 */
void it_msi_decode_host(uint64_t address, uint32_t data, bool amd_ir, struct it_msi_decoded *d);
/*
 * On an AMD-Vi host with remapping on: whether an irq whose top chip is
 * named chip takes its messages from the remapping domain ("IR-PCI-MSI-...",
 * "AMD-IR...").  NULL or "" (not known): true, as every device in the
 * IOMMU's scope is remapped; the IOMMU's own function ("PCI-MSI-...", the
 * AMD-Vi irq) is the exception, set up at boot and named in any snapshot.
 */
bool it_msi_chip_remapped(const char *chip);
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
