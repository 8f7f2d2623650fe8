/* SPDX-License-Identifier: GPL-2.0-only */
/* One event as a JSON object (the `stream -j` / `export --jsonl` schema) or a text line. */
#ifndef IRQTRAIL_FORMAT_H
#define IRQTRAIL_FORMAT_H

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

/* Validate hdr.len against the type's payload size. */
int it_event_check(const struct it_hdr *h, size_t avail);

#endif
