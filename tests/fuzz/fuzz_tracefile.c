// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the trace-file reader: the input is a whole .itr file.
 * It is opened, every item is iterated and touched byte by byte (so ASan sees
 * any read outside what the reader handed out), the iteration is repeated
 * through it_tr_next() with unknown types passed on, and it_tr_dump() prints
 * the structure to /dev/null.  Built with -DFUZZING_BUILD_MODE_UNSAFE_FOR_
 * PRODUCTION, which makes the reader ignore checksum mismatches so that the
 * fuzzer reaches the decoders behind them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "tracefile.h"

static volatile uint8_t sink;

static void touch(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	sink ^= x;
}

static int on_frame(const struct it_tr_item *it, void *arg)
{
	(void)arg;
	touch(it->data, it->len);
	return 0;
}

static void walk_host(const struct it_host *h)
{
	touch(h->kernel_release, strlen(h->kernel_release));
	touch(h->boot_id, strlen(h->boot_id));
	touch(h->hostname, strlen(h->hostname));
	touch(h->machine, strlen(h->machine));
	touch(h->tool_version, strlen(h->tool_version));
	for (int i = 0; i < h->argc; i++)
		touch(h->argv[i], strlen(h->argv[i]));
	for (size_t i = 0; i < h->nhooks; i++) {
		touch(h->hooks[i].hook, strlen(h->hooks[i].hook));
		touch(h->hooks[i].hop, strlen(h->hooks[i].hop));
		touch(h->hooks[i].tier, strlen(h->hooks[i].tier));
		touch(h->hooks[i].reason, strlen(h->hooks[i].reason));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static FILE *devnull;
	char err[256], path[64];
	struct it_tr *tr;

	if (fd < 0) {
		fd = memfd_create("fuzz.itr", MFD_CLOEXEC);
		devnull = fopen("/dev/null", "w");
		if (fd < 0 || !devnull)
			abort();
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();

	tr = it_tr_open_fd(fd, err, sizeof(err));
	if (tr) {
		struct it_tr_item it;
		const struct it_hdr *h;
		const struct it_tr_stats *st;
		const void *snap;
		size_t len;
		uint64_t n = 0;

		walk_host(it_tr_host(tr));
		snap = it_tr_snapshot(tr, &len);
		if (snap)
			touch(snap, len);
		while (it_tr_next_item(tr, &it) > 0) {
			if (it.rec) {
				if (it.rec->len < sizeof(*it.rec))
					abort();
				touch(it.rec, it.rec->len);
			} else {
				touch(it.data, it.len);
			}
			n++;
		}
		st = it_tr_stats(tr);
		/* everything returned was counted, nothing beyond what blocks announce */
		if (st->records > n || st->blocks > st->blocks_total)
			abort();
		touch(it_tr_error(tr), strlen(it_tr_error(tr)));

		it_tr_rewind(tr);
		it_tr_pass_unknown(tr, true);
		it_tr_set_frame_cb(tr, on_frame, NULL);
		while (it_tr_next(tr, &h) > 0)
			touch(h, h->len);
		it_tr_close(tr);
	} else if (!err[0]) {
		abort();	/* a refusal always says why */
	}

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	it_tr_dump(path, devnull);
	return 0;
}
