// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF ring buffer reader (see ringbuf.h).  The map's mmap layout is the
 * kernel's ABI: page 0 holds the consumer position (the only page user space
 * may write), page 1 the producer position, then the data area mapped twice
 * in a row so that a record that wraps reads as one piece.  Each record
 * starts with an 8-byte header whose first word is its length with two flag
 * bits (still being written; discarded) and is 8-byte aligned.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "ringbuf.h"

#define IT_RB_BUSY (1u << 31)
#define IT_RB_DISCARD (1u << 30)
#define IT_RB_HDR 8u

struct it_ring {
	int epfd;
	size_t page;
	size_t size;			/* data area, a power of two */
	unsigned long *consumer_pos;	/* ours to write */
	const unsigned long *producer_pos;
	const uint8_t *data;
	void *prod_map;
	size_t prod_map_len;
};

int it_ring_open(struct it_ring **out, int map_fd)
{
	struct bpf_map_info info;
	__u32 ilen = sizeof(info);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	struct it_ring *r;
	void *p;
	int err;

	*out = NULL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &ilen))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->epfd = -1;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->size = info.max_entries;
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	r->consumer_pos = p;
	r->prod_map_len = r->page + 2 * r->size;
	p = mmap(NULL, r->prod_map_len, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	r->prod_map = p;
	r->producer_pos = p;
	r->data = (const uint8_t *)p + r->page;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, map_fd, &ev)) {
		err = -errno;
		goto fail;
	}
	*out = r;
	return 0;
fail:
	it_ring_free(r);
	return err;
}

int it_ring_consume(struct it_ring *r, it_ring_fn fn, void *ctx)
{
	unsigned long cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	unsigned long published = cons, prod;
	const size_t mask = r->size - 1, step = r->size / 8;
	int n = 0, ret = 0;

	for (;;) {
		bool progress = false;

		prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
		while (cons < prod) {
			const uint32_t *hdr = (const uint32_t *)(r->data + (cons & mask));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

			if (len & IT_RB_BUSY)
				goto out;	/* the next one is still being written */
			progress = true;
			cons += ((len & ~IT_RB_DISCARD) + IT_RB_HDR + 7) & ~7ul;
			if (!(len & IT_RB_DISCARD)) {
				n++;
				ret = fn(ctx, (void *)(hdr + 2), len & ~IT_RB_DISCARD);
				if (ret < 0)
					goto out;
			}
			/* a long batch frees room for the producers as it goes */
			if (cons - published >= step) {
				__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
				published = cons;
			}
		}
		if (!progress)
			break;
	}
out:
	if (cons != published)
		__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
	return ret < 0 ? ret : n;
}

int it_ring_wait(struct it_ring *r, int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_wait(r->epfd, &ev, 1, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n > 0;
}

void it_ring_free(struct it_ring *r)
{
	if (!r)
		return;
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->prod_map)
		munmap(r->prod_map, r->prod_map_len);
	if (r->consumer_pos)
		munmap(r->consumer_pos, r->page);
	free(r);
}
