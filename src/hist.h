/* SPDX-License-Identifier: GPL-2.0-only */
/* log2 latency histograms (struct it_hist, slot k = [2^k, 2^(k+1)) ns). */
#ifndef IRQTRAIL_HIST_H
#define IRQTRAIL_HIST_H

#include <stdint.h>
#include <linux/types.h>
#include "events.h"

uint64_t it_hist_total(const struct it_hist *h);
/* The p-quantile (0..1) in ns, interpolated inside its bucket; 0 when empty. */
double it_hist_quantile(const struct it_hist *h, double p);
/* The same, never above max (the exact maximum, when known; 0 = unknown). */
double it_hist_quantile_max(const struct it_hist *h, double p, uint64_t max);
void it_hist_add(struct it_hist *h, uint64_t ns);
void it_hist_merge(struct it_hist *dst, const struct it_hist *src);
/* dst = a - b, clamped at 0 (for deltas of cumulative histograms). */
void it_hist_sub(struct it_hist *dst, const struct it_hist *a, const struct it_hist *b);
unsigned int it_hist_slot(uint64_t ns);
/* "850ns", "12.3us", "4.1ms", "-" for 0 */
const char *it_fmt_ns(double ns, char *buf, unsigned int len);

#endif
