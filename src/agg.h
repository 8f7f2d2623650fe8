/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Aggregate frames: the in-kernel aggregates (per-irq handler stats, per-MSI
 * injection stats, keyed counters, global counters), summed over CPUs and
 * cumulative since the programs were loaded.  Live, user space reads them
 * from the maps; a recording stores them as frames, so a summary-mode
 * recording replays to the same numbers.
 */
#ifndef IRQTRAIL_AGG_H
#define IRQTRAIL_AGG_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "events.h"

struct it_agg_irq {
	__u32 irq;
	__u32 pad;
	struct it_irq_stat st;
};

struct it_agg_msi {
	struct it_msi_key k;
	struct it_msi_stat st;
};

struct it_agg_cnt {
	struct it_agg_key k;
	struct it_count_stat st;
};

struct it_agg_frame {
	uint64_t ts;			/* CLOCK_MONOTONIC when read */
	uint64_t counters[IT_CNT_MAX];
	struct it_agg_irq *irq;
	size_t nirq;
	struct it_agg_msi *msi;
	size_t nmsi;
	struct it_agg_cnt *cnt;
	size_t ncnt;
};

/* Serialise (little-endian host layout, element sizes recorded). */
int it_agg_encode(const struct it_agg_frame *f, void **buf, size_t *len);
/* Parse; unknown trailing element bytes are ignored, short ones refused. */
int it_agg_decode(const void *buf, size_t len, struct it_agg_frame *f);
void it_agg_free(struct it_agg_frame *f);
int it_agg_copy(struct it_agg_frame *dst, const struct it_agg_frame *src);

#endif
