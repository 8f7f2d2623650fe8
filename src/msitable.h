/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef IRQTRAIL_MSITABLE_H
#define IRQTRAIL_MSITABLE_H

#include <stdint.h>
#include <linux/types.h>
#include "events.h"
#include "snapshot.h"

typedef int (*it_msi_fn)(void *ctx, const struct it_hdr *h);

/* Read every MSI-capable device's current messages (MSI capability, MSI-X
 * table) and hand each to fn as an IT_EV_MSI_WRITE record flagged
 * IT_MSI_F_SNAPSHOT.  Returns the number of messages read. */
int it_msi_tables_read(const struct it_snapshot *s, uint64_t ts, it_msi_fn fn, void *ctx);

#endif
