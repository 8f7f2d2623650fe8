// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include "hist.h"

unsigned int it_hist_slot(uint64_t v)
{
	unsigned int r = 0;

	while (v > 1 && r < IT_HIST_SLOTS - 1) {
		v >>= 1;
		r++;
	}
	return r;
}

void it_hist_add(struct it_hist *h, uint64_t ns)
{
	h->slots[it_hist_slot(ns)]++;
}

uint64_t it_hist_total(const struct it_hist *h)
{
	uint64_t t = 0;

	for (int i = 0; i < IT_HIST_SLOTS; i++)
		t += h->slots[i];
	return t;
}

double it_hist_quantile(const struct it_hist *h, double p)
{
	uint64_t total = it_hist_total(h), acc = 0;
	double want;

	if (!total)
		return 0;
	if (p < 0)
		p = 0;
	if (p > 1)
		p = 1;
	want = p * (double)total;
	for (int i = 0; i < IT_HIST_SLOTS; i++) {
		uint64_t c = h->slots[i];
		if (!c)
			continue;
		if ((double)(acc + c) >= want) {
			double lo = i ? (double)(1ull << i) : 0, hi = (double)(2ull << i);
			double frac = ((want - (double)acc) / (double)c);
			if (frac < 0)
				frac = 0;
			return lo + (hi - lo) * frac;
		}
		acc += c;
	}
	return (double)(2ull << (IT_HIST_SLOTS - 1));
}

double it_hist_quantile_max(const struct it_hist *h, double p, uint64_t max)
{
	double q = it_hist_quantile(h, p);

	return max && q > (double)max ? (double)max : q;
}

void it_hist_merge(struct it_hist *dst, const struct it_hist *src)
{
	for (int i = 0; i < IT_HIST_SLOTS; i++)
		dst->slots[i] += src->slots[i];
}

void it_hist_sub(struct it_hist *dst, const struct it_hist *a, const struct it_hist *b)
{
	for (int i = 0; i < IT_HIST_SLOTS; i++)
		dst->slots[i] = a->slots[i] > b->slots[i] ? a->slots[i] - b->slots[i] : 0;
}

const char *it_fmt_ns(double ns, char *buf, unsigned int len)
{
	if (ns <= 0)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}
