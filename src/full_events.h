/* SPDX-License-Identifier: GPL-2.0-only */
/* Names, sizes and JSON of the fentry/kprobe-tier event types (80..199). */
#ifndef IRQTRAIL_FULL_EVENTS_H
#define IRQTRAIL_FULL_EVENTS_H

#include <stdbool.h>
#include "events.h"
#include "json.h"

/* NULL / 0 for a type this build does not define. */
const char *it_full_type_name(unsigned int type);
unsigned int it_full_min_len(unsigned int type);
bool it_full_is_dataplane(unsigned int type);
/* Append the payload's fields (the header fields are already written). */
void it_full_event_json(struct it_json *j, const struct it_hdr *h);

#endif
