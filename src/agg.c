// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

/*
 * Layout: "ITAG" u16 version=1 u16 ncounters, u64 ts, u64 counters[ncounters],
 * then three arrays, each: u32 count, u32 element size, elements.
 */
#define AGG_MAGIC "ITAG"

struct wbuf {
	unsigned char *p;
	size_t len, cap;
	int err;
};

static void put(struct wbuf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_arr(struct wbuf *b, const void *a, size_t n, size_t esz)
{
	uint32_t h[2] = { (uint32_t)n, (uint32_t)esz };

	put(b, h, sizeof(h));
	if (n)
		put(b, a, n * esz);
}

int it_agg_encode(const struct it_agg_frame *f, void **buf, size_t *len)
{
	struct wbuf b = { 0 };
	uint16_t v[2] = { 1, IT_CNT_MAX };

	put(&b, AGG_MAGIC, 4);
	put(&b, v, sizeof(v));
	put(&b, &f->ts, 8);
	put(&b, f->counters, sizeof(f->counters));
	put_arr(&b, f->irq, f->nirq, sizeof(*f->irq));
	put_arr(&b, f->msi, f->nmsi, sizeof(*f->msi));
	put_arr(&b, f->cnt, f->ncnt, sizeof(*f->cnt));
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}

static int get_arr(const unsigned char *p, size_t len, size_t *off, void **out, size_t *n, size_t esz)
{
	uint32_t h[2];

	if (len - *off < sizeof(h))
		return -EINVAL;
	memcpy(h, p + *off, sizeof(h));
	*off += sizeof(h);
	/* elements written by an older irqtrail may be shorter: the fields they
	 * lack read as zero; longer ones (newer) are cut to what we know */
	if (h[1] < 8 || (h[0] && (size_t)h[0] > (len - *off) / h[1]))
		return -EINVAL;
	*n = h[0];
	*out = NULL;
	if (!h[0])
		return 0;
	unsigned char *a = calloc(h[0], esz);
	if (!a)
		return -ENOMEM;
	for (uint32_t i = 0; i < h[0]; i++)
		memcpy(a + (size_t)i * esz, p + *off + (size_t)i * h[1], h[1] < esz ? h[1] : esz);
	*off += (size_t)h[0] * h[1];
	*out = a;
	return 0;
}

int it_agg_decode(const void *buf, size_t len, struct it_agg_frame *f)
{
	const unsigned char *p = buf;
	uint16_t v[2];
	size_t off = 0;
	int r;

	memset(f, 0, sizeof(*f));
	if (len < 16 || memcmp(p, AGG_MAGIC, 4))
		return -EINVAL;
	memcpy(v, p + 4, sizeof(v));
	if (v[0] != 1)
		return -EPROTONOSUPPORT;
	off = 8;
	memcpy(&f->ts, p + off, 8);
	off += 8;
	if ((size_t)v[1] * 8 > len - off)
		return -EINVAL;
	for (uint16_t i = 0; i < v[1]; i++)
		if (i < IT_CNT_MAX)
			memcpy(&f->counters[i], p + off + 8 * i, 8);
	off += (size_t)v[1] * 8;
	if ((r = get_arr(p, len, &off, (void **)&f->irq, &f->nirq, sizeof(*f->irq))) ||
	    (r = get_arr(p, len, &off, (void **)&f->msi, &f->nmsi, sizeof(*f->msi))) ||
	    (r = get_arr(p, len, &off, (void **)&f->cnt, &f->ncnt, sizeof(*f->cnt)))) {
		it_agg_free(f);
		return r;
	}
	return 0;
}

void it_agg_free(struct it_agg_frame *f)
{
	free(f->irq);
	free(f->msi);
	free(f->cnt);
	memset(f, 0, sizeof(*f));
}

int it_agg_copy(struct it_agg_frame *dst, const struct it_agg_frame *src)
{
	void *b;
	size_t n;
	int r = it_agg_encode(src, &b, &n);

	if (r)
		return r;
	r = it_agg_decode(b, n, dst);
	free(b);
	return r;
}
