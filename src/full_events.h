/* SPDX-License-Identifier: GPL-2.0-only */
/* Names, sizes and JSON of the fentry/kprobe-tier event types (80..199). */
#ifndef IRQTRAIL_FULL_EVENTS_H
#define IRQTRAIL_FULL_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include "events.h"
#include "json.h"

/* NULL / 0 for a type this build does not define. */
const char *it_full_type_name(unsigned int type);
unsigned int it_full_min_len(unsigned int type);
bool it_full_is_dataplane(unsigned int type);
/* Append the payload's fields (the header fields are already written);
 * mh (format.h, NULL for none) says how host MSI messages are decoded. */
struct it_msi_host;
void it_full_event_json(struct it_json *j, const struct it_hdr *h, const struct it_msi_host *mh);
/* The arm64 ITS / MSI doorbell types (130..149), src/arm_events.c. */
void it_arm_event_json(struct it_json *j, const struct it_hdr *h);

/*
 * IRTE decoding (pure; defined in src/full_events.c with the JSON of the
 * tier's events).  Intel: VT-d 128-bit remapped or posted format; x2apic is
 * 1 or 0 when the table's mode is known (dest_apic then holds the APIC id),
 * -1 when not.  AMD: 128-bit GA format (ga) or the 32-bit format.
 */
struct it_irte_fields {
	bool present, fpd, posted;
	bool logical;		/* destination mode */
	bool redir_hint;	/* Intel */
	bool level;		/* Intel: trigger mode */
	bool urgent;		/* Intel posted */
	bool rq_eoi;		/* AMD */
	bool is_run, ga_log_intr;	/* AMD guest mode */
	bool dest_known;	/* dest_apic is meaningful */
	uint8_t delivery;	/* 0 fixed, 1 lowest, ... */
	uint8_t vector;
	uint8_t sq, svt;	/* Intel source-id qualifier / validation type */
	uint16_t sid;		/* Intel source id (requester id) */
	uint32_t dest;		/* destination field as stored */
	uint32_t dest_apic;	/* the APIC id it designates (logical mode: the logical destination) */
	uint32_t ga_tag;	/* AMD */
	uint64_t pda;		/* Intel posted descriptor / AMD vAPIC page address */
};
void it_irte_intel_decode(uint64_t low, uint64_t high, int x2apic, struct it_irte_fields *f);
void it_irte_amd_decode(uint64_t low, uint64_t high, bool ga, struct it_irte_fields *f);

#endif
