/* SPDX-License-Identifier: GPL-2.0-only */
/* One event as a JSON object (the `stream -j` / `export --jsonl` schema) or a text line. */
#ifndef IRQTRAIL_FORMAT_H
#define IRQTRAIL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include "events.h"
#include "json.h"

/*
 * Append the record as one JSON object.  Returns 1 when an object was
 * written, 0 when the record is not shown on its own (a GSI routing table
 * record whose MSI entries were each shown), -1 for a record too short for
 * its type or of an unknown type.
 */
int it_event_json(struct it_json *j, const struct it_hdr *h);

/* The same as one text line without newline; returns as it_event_json. */
int it_event_text(const struct it_hdr *h, char *buf, size_t len);

/*
 * What a host's MSI messages (msi_write, msi_compose) mean depends on the
 * machine they were written on: with AMD-Vi remapping the data of a
 * remapped irq's message is its IRTE index (decode.h).  it_event_json and
 * it_event_text decode by the message alone (compat or Intel remappable);
 * the _host variants with the facts of the snapshot taken on that machine.
 */
struct it_snapshot;
struct it_msi_host {
	bool amd_ir;			/* AMD-Vi interrupt remapping on */
	const struct it_snapshot *snap;	/* the irqs' chips at start, NULL unknown */
};
/* From a snapshot (NULL: nothing known, the message alone decides). */
void it_msi_host_init(struct it_msi_host *mh, const struct it_snapshot *s);
/* Whether the message of host irq (device bdf, top chip; NULL when the
 * record does not say) comes from the AMD-Vi remapping domain. */
bool it_msi_host_amd(const struct it_msi_host *mh, unsigned int irq, const char *bdf, const char *chip);
int it_event_json_host(struct it_json *j, const struct it_hdr *h, const struct it_msi_host *mh);
int it_event_text_host(const struct it_hdr *h, char *buf, size_t len, const struct it_msi_host *mh);

/* Validate hdr.len against the type's payload size. */
int it_event_check(const struct it_hdr *h, size_t avail);

#endif
