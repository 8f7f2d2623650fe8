/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The reader of the BPF ring buffer (BPF_MAP_TYPE_RINGBUF), on its mmap
 * interface.  Two things differ from a reader that hands back each record at
 * once:
 *  - the consumer position is published once per batch (and every eighth of
 *    the ring inside a long one), not after every record: the producers read
 *    that cache line at every reservation, so a per-record store makes every
 *    traced event on the other cpus miss it;
 *  - it_ring_wait() sleeps until the kernel wakes the reader (a control-plane
 *    record, or a data-plane one past the fill threshold) or the period ends,
 *    edge-triggered: records queued without a wake-up do not end the sleep,
 *    so the reader takes them in bursts, far behind the producers, instead
 *    of chasing them line by line.
 */
#ifndef IRQTRAIL_RINGBUF_H
#define IRQTRAIL_RINGBUF_H

#include <stddef.h>

struct it_ring;

/* One record; a negative return stops the batch (and is returned). */
typedef int (*it_ring_fn)(void *ctx, void *data, size_t len);

int it_ring_open(struct it_ring **out, int map_fd);
/* Every record the producers committed; the count or the callback's error. */
int it_ring_consume(struct it_ring *r, it_ring_fn fn, void *ctx);
/* 1 when woken, 0 on timeout or signal, -errno on error. */
int it_ring_wait(struct it_ring *r, int timeout_ms);
void it_ring_free(struct it_ring *r);

#endif
