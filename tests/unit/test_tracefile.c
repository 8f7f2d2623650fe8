// SPDX-License-Identifier: GPL-2.0-only
/* Trace file (.itr) writer/reader: round trips, damage, versions, async writer. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "decode.h"
#include "tracefile.h"

static char tmpdir[64];

static void tpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* ---------------------------------------------------------- generators */

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static const struct {
	uint8_t type;
	uint16_t len;
} gtypes[] = {
	{ IT_EV_IRQ_ENTRY, sizeof(struct it_irq_entry) },
	{ IT_EV_IRQ_EXIT, sizeof(struct it_irq_exit) },
	{ IT_EV_VECTOR_UPDATE, sizeof(struct it_vector) },
	{ IT_EV_MATRIX_ALLOC, sizeof(struct it_matrix) },
	{ IT_EV_KVM_MSI, sizeof(struct it_kvm_msi) },
	{ IT_EV_KVM_MSI, sizeof(struct it_kvm_msi) },
	{ IT_EV_KVM_PI_IRTE, sizeof(struct it_kvm_pi_irte) },
	{ IT_EV_HC_HV, sizeof(struct it_hypercall) },
	{ IT_EV_IOCTL_SET_IRQS, sizeof(struct it_ioctl_set_irqs) },
	{ IT_EV_IOCTL_GSI_ROUTE, sizeof(struct it_ioctl_gsi_route) },
	{ IT_EV_LOST, sizeof(struct it_lost) },
};
#define NGTYPES (sizeof(gtypes) / sizeof(gtypes[0]))

union rec {
	struct it_hdr h;
	uint64_t align;
	uint8_t b[65536];
};

/*
 * Record i of stream 'seed': mixed types and sizes (some longer than their
 * struct, as a newer payload version would be), timestamps that sometimes
 * go backwards or jump by 2^62, extreme cpu/pid values, and payloads that
 * are half repetitive, half random.
 */
static void gen_rec(uint64_t seed, uint64_t i, union rec *r)
{
	uint64_t x = mix(seed ^ mix(i));
	unsigned int t = (unsigned int)(x % NGTYPES);
	uint16_t len = gtypes[t].len;
	uint8_t *p;

	if ((x >> 8) % 4 == 0)
		len += (uint16_t)((x >> 12) % 64);
	if (i % 4999 == 7)
		len = 65535;
	memset(&r->h, 0, sizeof(r->h));
	r->h.type = gtypes[t].type;
	r->h.len = len;
	r->h.ts = 1000000000ull + i * 1000 + (x >> 20) % 3000;
	if (i % 997 == 500)
		r->h.ts += 1ull << 62;
	r->h.version = (uint8_t)(1 + (x >> 30) % 2);
	r->h.cpu = (x >> 36) % 50 == 0 ? 0xFFFF : (uint16_t)((x >> 32) % 16);
	r->h.flags = (uint8_t)((x >> 40) & 3);
	r->h.pad = i % 5 == 0 ? 0xAB : 0;
	r->h.pid = (x >> 44) % 5 == 0 ? 0xFFFFFFFFu : 1000 + (uint32_t)((x >> 48) % 4);
	r->h.tid = r->h.pid + (uint32_t)((x >> 52) % 3);
	p = r->b + sizeof(r->h);
	for (size_t j = 0; j < (size_t)len - sizeof(r->h); j++) {
		if ((x >> 56) & 1)
			p[j] = (uint8_t)(mix(x + j / 8) >> (8 * (j % 8)));
		else
			p[j] = (uint8_t)(j * 7 + t + (i % 4));
	}
}

static void make_host(struct it_host *h, struct it_hook_info *hooks, char **argv)
{
	memset(h, 0, sizeof(*h));
	h->kernel_release = "6.1.0-test";
	h->boot_id = "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab";
	h->hostname = "testhost";
	h->machine = "x86_64";
	h->tool_version = "0.1.0-test";
	h->cpus_online = 6;
	h->cpus_possible = 8;
	h->clock_id = CLOCK_MONOTONIC;
	h->realtime_offset_ns = 1700000000123456789ll;
	h->start_ns = 999999999;
	hooks[0] = (struct it_hook_info){ "kvm:kvm_msi_set_irq", "inject", "tracepoint", true, "" };
	hooks[1] = (struct it_hook_info){ "modify_irte", "irte", "kprobe", false, "symbol not found" };
	argv[0] = "irqtrail";
	argv[1] = "record";
	argv[2] = "-o";
	argv[3] = "";
	argv[4] = "x.itr";
	h->argc = 5;
	h->argv = argv;
	h->nhooks = 2;
	h->hooks = hooks;
}

static const char snap_data[] = "snapshot: /proc/interrupts and friends, opaque to the file";

static void agg_data(uint64_t k, uint8_t *buf, size_t *len)
{
	*len = 100 + k % 300;
	for (size_t j = 0; j < *len; j++)
		buf[j] = (uint8_t)(k * 31 + j);
}

struct wspec {
	uint64_t seed;
	size_t n;
	uint32_t block_records;
	size_t agg_every;	/* 0: none */
	bool snapshot;
};

/* Write a stream; returns the number of aggregate frames written. */
static size_t write_stream(const char *path, const struct wspec *w)
{
	struct it_host host;
	struct it_hook_info hooks[2];
	char *argv[5];
	struct it_tw_opts o = {
		.block_records = w->block_records, .no_block_timer = true, .no_fsync = true,
		.host = &host,
	};
	char err[256];
	struct it_tw *tw;
	static union rec r;
	size_t naggs = 0;

	make_host(&host, hooks, argv);
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	if (w->snapshot)
		assert_int_equal(it_tw_write_snapshot(tw, snap_data, sizeof(snap_data)), 0);
	for (size_t i = 0; i < w->n; i++) {
		if (w->agg_every && i && i % w->agg_every == 0) {
			uint8_t buf[512];
			size_t len;

			agg_data(naggs, buf, &len);
			assert_int_equal(it_tw_write_aggregate(tw, 5000 + naggs, buf, len), 0);
			naggs++;
		}
		gen_rec(w->seed, i, &r);
		assert_int_equal(it_tw_write_event(tw, &r.h), 0);
	}
	assert_int_equal(it_tw_close(tw), 0);
	return naggs;
}

struct rd {
	uint64_t records;	/* records that matched the stream */
	uint64_t queue_lost;	/* the async writer's lost records */
	uint64_t aggs;
	uint64_t snaps;
	bool opened;
	int end;		/* last it_tr_next return */
	char err[512];
	struct it_tr_stats st;
};

static int count_frames(const struct it_tr_item *it, void *arg)
{
	struct rd *rd = arg;

	if (it->kind == IT_TR_AGGREGATE) {
		uint8_t buf[512];
		size_t len;

		agg_data(rd->aggs, buf, &len);
		assert_int_equal(it->len, len);
		assert_memory_equal(it->data, buf, len);
		assert_int_equal(it->ts, 5000 + rd->aggs);
		rd->aggs++;
	} else if (it->kind == IT_TR_SNAPSHOT) {
		assert_int_equal(it->len, sizeof(snap_data));
		assert_memory_equal(it->data, snap_data, sizeof(snap_data));
		rd->snaps++;
	}
	return 0;
}

/*
 * Replay an open reader; every record must equal the stream's record at
 * the same position (so a damaged file can only ever yield a prefix).
 */
static void replay(struct it_tr *tr, uint64_t seed, uint64_t max, struct rd *rd)
{
	static union rec want;
	const struct it_hdr *h;
	int r;

	it_tr_set_frame_cb(tr, count_frames, rd);
	while ((r = it_tr_next(tr, &h)) > 0) {
		/* the async writer records its queue-full drops as lost records
		 * (cpu 0xFFFE) where they happened; a producer that retries
		 * pushes the same record again, so they are not stream records */
		if (h->type == IT_EV_LOST && h->cpu == IT_LOST_CPU_QUEUE) {
			rd->queue_lost++;
			continue;
		}
		assert_true(rd->records < max);
		assert_int_equal((uintptr_t)h % 8, 0);
		gen_rec(seed, rd->records, &want);
		assert_int_equal(h->len, want.h.len);
		assert_memory_equal(h, &want, want.h.len);
		rd->records++;
	}
	rd->end = r;
	snprintf(rd->err, sizeof(rd->err), "%s", it_tr_error(tr));
	rd->st = *it_tr_stats(tr);
}

static struct rd read_path(const char *path, uint64_t seed, uint64_t max)
{
	struct rd rd = { 0 };
	struct it_tr *tr = it_tr_open(path, rd.err, sizeof(rd.err));

	if (!tr)
		return rd;
	rd.opened = true;
	replay(tr, seed, max, &rd);
	it_tr_close(tr);
	return rd;
}

static int memfd_with(const void *buf, size_t len)
{
	int fd = memfd_create("itr", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	return fd;
}

static struct rd read_buf(const void *buf, size_t len, uint64_t seed, uint64_t max)
{
	struct rd rd = { 0 };
	int fd = memfd_with(buf, len);
	struct it_tr *tr = it_tr_open_fd(fd, rd.err, sizeof(rd.err));

	close(fd);
	if (!tr)
		return rd;
	rd.opened = true;
	replay(tr, seed, max, &rd);
	it_tr_close(tr);
	return rd;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void wle32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Walk sections straight from the spec's layout (independent of the reader). */
struct tsect {
	uint64_t off, end;
	uint16_t type;
	uint32_t nrec;
};

static size_t walk(const uint8_t *buf, size_t size, struct tsect *out, size_t max)
{
	size_t n = 0;
	uint64_t off = 32;

	while (off + 32 <= size && n < max) {
		uint16_t type = le16(buf + off + 4);
		uint64_t end = off + 32 + le32(buf + off + 8);

		assert_memory_equal(buf + off, "\xa5ITS", 4);
		assert_true(end <= size);
		out[n] = (struct tsect){ off, end, type, type == IT_SECT_EVTB ? le32(buf + off + 36) : 0 };
		n++;
		off = end;
	}
	assert_int_equal(off, size);
	return n;
}

/* Records, aggregates and snapshots of the complete sections before 'cut'. */
static void expect_at(const struct tsect *s, size_t n, uint64_t cut, uint64_t *recs, uint64_t *aggs,
		      uint64_t *snaps)
{
	*recs = *aggs = *snaps = 0;
	for (size_t i = 0; i < n && s[i].end <= cut; i++) {
		*recs += s[i].nrec;
		*aggs += s[i].type == IT_SECT_AGGR;
		*snaps += s[i].type == IT_SECT_SNAP;
	}
}

/* --------------------------------------------------------------- tests */

static void test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(it_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(it_crc32c(0, "", 0), 0);
	/* incremental == one shot, across the 8-byte fast path */
	{
		uint8_t b[1000];
		uint32_t c;

		for (int i = 0; i < 1000; i++)
			b[i] = (uint8_t)(i * 13);
		c = it_crc32c(0, b, 3);
		c = it_crc32c(c, b + 3, 500);
		c = it_crc32c(c, b + 503, 497);
		assert_int_equal(c, it_crc32c(0, b, 1000));
		/* 32 zero bytes: a published CRC32C vector (RFC 3720 B.4) */
		memset(b, 0, 32);
		assert_int_equal(it_crc32c(0, b, 32), 0x8A9136AAu);
	}
}

static void test_roundtrip(void **state)
{
	char path[128];
	struct wspec w = { .seed = 1, .n = 60000, .block_records = 777, .agg_every = 5000,
			   .snapshot = true };
	size_t naggs, slen;
	struct it_tr *tr;
	const struct it_host *h;
	const void *snap;
	char err[256];
	struct rd rd;
	struct stat sb;

	(void)state;
	tpath(path, sizeof(path), "rt.itr");
	naggs = write_stream(path, &w);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	rd = read_path(path, w.seed, w.n);
	assert_true(rd.opened);
	assert_int_equal(rd.end, 0);
	assert_int_equal(rd.records, w.n);
	assert_int_equal(rd.aggs, naggs);
	assert_int_equal(rd.snaps, 1);
	assert_true(rd.st.index_present);
	assert_false(rd.st.index_rebuilt);
	assert_int_equal(rd.st.tail_bytes, 0);
	assert_int_equal(rd.st.damaged, 0);
	assert_int_equal(rd.st.skipped_types, 0);
	assert_int_equal(rd.st.records_total, w.n);
	assert_true(rd.st.blocks_total >= w.n / 777);
	assert_int_equal(rd.st.blocks, rd.st.blocks_total);
	assert_string_equal(rd.err, "");

	tr = it_tr_open(path, err, sizeof(err));
	assert_non_null(tr);
	assert_int_equal(it_tr_info(tr)->major, 1);
	assert_int_equal(it_tr_info(tr)->minor, 0);
	assert_int_equal(it_tr_info(tr)->header_size, 32);
	assert_int_equal(it_tr_info(tr)->event_abi, IT_ABI_VERSION);
	h = it_tr_host(tr);
	assert_string_equal(h->kernel_release, "6.1.0-test");
	assert_string_equal(h->boot_id, "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab");
	assert_string_equal(h->hostname, "testhost");
	assert_string_equal(h->machine, "x86_64");
	assert_string_equal(h->tool_version, "0.1.0-test");
	assert_true(h->has_cpus && h->has_clock && h->has_cmdline);
	assert_int_equal(h->cpus_online, 6);
	assert_int_equal(h->cpus_possible, 8);
	assert_int_equal(h->clock_id, CLOCK_MONOTONIC);
	assert_int_equal(h->realtime_offset_ns, 1700000000123456789ll);
	assert_int_equal(h->start_ns, 999999999);
	assert_int_equal(h->argc, 5);
	assert_string_equal(h->argv[1], "record");
	assert_string_equal(h->argv[3], "");
	assert_string_equal(h->argv[4], "x.itr");
	assert_int_equal(h->nhooks, 2);
	assert_string_equal(h->hooks[0].hook, "kvm:kvm_msi_set_irq");
	assert_string_equal(h->hooks[0].hop, "inject");
	assert_string_equal(h->hooks[0].tier, "tracepoint");
	assert_true(h->hooks[0].attached);
	assert_false(h->hooks[1].attached);
	assert_string_equal(h->hooks[1].reason, "symbol not found");
	snap = it_tr_snapshot(tr, &slen);
	assert_non_null(snap);
	assert_int_equal(slen, sizeof(snap_data));
	assert_memory_equal(snap, snap_data, slen);

	/* a second pass after rewind gives the same */
	{
		struct rd a = { 0 }, b = { 0 };

		replay(tr, w.seed, w.n, &a);
		assert_int_equal(a.records, w.n);
		assert_int_equal(it_tr_next(tr, &(const struct it_hdr *){ NULL }), 0);
		it_tr_rewind(tr);
		replay(tr, w.seed, w.n, &b);
		assert_int_equal(b.records, w.n);
		assert_int_equal(b.aggs, naggs);
	}
	it_tr_close(tr);
}

static void test_items_in_order(void **state)
{
	char path[128], err[256];
	struct it_tw_opts o = { .block_records = 1000, .no_block_timer = true, .no_fsync = true };
	struct it_tw *tw;
	struct it_tr *tr;
	struct it_tr_item it;
	struct it_tw_stats ws;
	static union rec r;
	/* expected sequence: 'R' record, 'L' lost, 'A' aggregate, 'S' snapshot */
	char want[64], got[64];
	size_t nw = 0, ng = 0;
	uint64_t lost_sum = 0;
	int ret;

	(void)state;
	tpath(path, sizeof(path), "items.itr");
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	for (int k = 0; k < 6; k++) {
		gen_rec(2, (uint64_t)k, &r);
		r.h.type = IT_EV_KVM_MSI;
		r.h.len = sizeof(struct it_kvm_msi);
		assert_int_equal(it_tw_write_event(tw, &r.h), 0);
		want[nw++] = 'R';
		if (k == 1) {
			assert_int_equal(it_tw_write_lost(tw, 77, 12345), 0);
			want[nw++] = 'L';
		}
		if (k == 2) {
			assert_int_equal(it_tw_write_aggregate(tw, 42, "agg", 3), 0);
			want[nw++] = 'A';
		}
		if (k == 3) {
			assert_int_equal(it_tw_write_snapshot(tw, "s2", 2), 0);
			want[nw++] = 'S';
			assert_int_equal(it_tw_write_aggregate(tw, 43, "", 0), 0);
			want[nw++] = 'A';
		}
	}
	assert_int_equal(it_tw_write_lost(tw, 99, 1), 0);
	want[nw++] = 'L';
	it_tw_get_stats(tw, &ws);
	assert_int_equal(ws.lost, 12346);
	assert_int_equal(ws.events, 8);
	assert_int_equal(ws.aggregates, 2);
	assert_int_equal(it_tw_close(tw), 0);

	tr = it_tr_open(path, err, sizeof(err));
	assert_non_null(tr);
	while ((ret = it_tr_next_item(tr, &it)) > 0) {
		switch (it.kind) {
		case IT_TR_RECORD:
			got[ng++] = 'R';
			assert_int_equal(it.rec->type, IT_EV_KVM_MSI);
			break;
		case IT_TR_LOST:
			got[ng++] = 'L';
			assert_int_equal(it.rec->type, IT_EV_LOST);
			assert_int_equal(it.rec->cpu, IT_LOST_CPU_KERNEL);
			lost_sum += it.lost;
			break;
		case IT_TR_AGGREGATE:
			got[ng++] = 'A';
			assert_true((it.ts == 42 && it.len == 3 && !memcmp(it.data, "agg", 3)) ||
				    (it.ts == 43 && it.len == 0));
			break;
		case IT_TR_SNAPSHOT:
			got[ng++] = 'S';
			assert_int_equal(it.len, 2);
			assert_memory_equal(it.data, "s2", 2);
			break;
		}
	}
	assert_int_equal(ret, 0);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw);
	assert_int_equal(lost_sum, 12346);
	assert_int_equal(it_tr_stats(tr)->lost, 12346);
	assert_int_equal(it_tr_stats(tr)->aggregates, 2);
	assert_int_equal(it_tr_stats(tr)->snapshots, 1);
	it_tr_close(tr);
}

/* The aggregate counter of the writer, checked separately from the above. */
static void test_writer_stats(void **state)
{
	char path[128], err[256];
	struct it_tw_opts o = { .block_records = 10, .no_block_timer = true, .no_fsync = true };
	struct it_tw *tw;
	struct it_tw_stats ws;
	static union rec r;
	struct stat sb;

	(void)state;
	tpath(path, sizeof(path), "stats.itr");
	/* a pre-existing file with a wider mode becomes 0600 */
	spit(path, "x", 1);
	chmod(path, 0644);
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 32);
	for (int i = 0; i < 25; i++) {
		gen_rec(3, (uint64_t)i, &r);
		assert_int_equal(it_tw_write_event(tw, &r.h), 0);
	}
	r.h.len = 23;
	assert_int_equal(it_tw_write_event(tw, &r.h), -EINVAL);
	assert_int_equal(it_tw_write_aggregate(tw, 1, "a", 1), 0);
	assert_int_equal(it_tw_write_section(tw, IT_SECT_EVTB, 0, "x", 1), -EINVAL);
	assert_int_equal(it_tw_write_section(tw, IT_SECT_INDX, 0, "x", 1), -EINVAL);
	it_tw_get_stats(tw, &ws);
	assert_int_equal(ws.events, 25);
	assert_int_equal(ws.events_written, 25);	/* the aggregate closed the 3rd block */
	assert_int_equal(ws.blocks, 3);
	assert_int_equal(ws.aggregates, 1);
	assert_int_equal(ws.sections, 4);
	assert_int_equal(ws.error, 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, ws.bytes);
	assert_int_equal(it_tw_close(tw), 0);
}

static void test_block_timer(void **state)
{
	char path[128], err[256];
	struct it_tw_opts o = { .block_ms = 20, .no_fsync = true };
	struct it_tw *tw;
	struct it_tw_stats ws;
	static union rec r;

	(void)state;
	tpath(path, sizeof(path), "timer.itr");
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	gen_rec(4, 0, &r);
	assert_int_equal(it_tw_write_event(tw, &r.h), 0);
	assert_int_equal(it_tw_tick(tw), 0);
	it_tw_get_stats(tw, &ws);
	assert_int_equal(ws.blocks, 0);
	usleep(60 * 1000);
	assert_int_equal(it_tw_tick(tw), 0);
	it_tw_get_stats(tw, &ws);
	assert_int_equal(ws.blocks, 1);
	assert_int_equal(ws.events_written, 1);
	/* the async thread closes old blocks by itself */
	assert_int_equal(it_tw_async_start(tw, 1 << 16), 0);
	gen_rec(4, 1, &r);
	assert_int_equal(it_tw_async_push(tw, &r.h), 0);
	for (int i = 0; i < 200; i++) {
		it_tw_get_stats(tw, &ws);
		if (ws.blocks == 2)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(ws.blocks, 2);
	assert_int_equal(it_tw_close(tw), 0);
}

static void test_truncation(void **state)
{
	char path[128];
	struct wspec w = { .seed = 5, .n = 6000, .block_records = 250, .agg_every = 1000,
			   .snapshot = true };
	struct tsect s[256];
	size_t size, n;
	uint8_t *buf;
	uint64_t er, ea, es, x = 12345;

	(void)state;
	tpath(path, sizeof(path), "trunc.itr");
	write_stream(path, &w);
	buf = slurp(path, &size);
	n = walk(buf, size, s, 256);
	assert_true(n > 30);
	assert_int_equal(s[n - 1].type, IT_SECT_END);
	assert_int_equal(s[n - 2].type, IT_SECT_INDX);

	/* the header itself cut: refused with a message */
	for (size_t cut = 0; cut < 32; cut++) {
		struct rd rd = read_buf(buf, cut, w.seed, w.n);

		assert_false(rd.opened);
		assert_non_null(strstr(rd.err, cut ? "cut short" : "empty"));
	}
	/* at every section boundary, one byte before and one after */
	for (size_t i = 0; i < n; i++) {
		for (int d = -1; d <= 1; d++) {
			uint64_t cut = s[i].end + (uint64_t)(int64_t)d;
			struct rd rd;

			if (cut > size)
				continue;
			rd = read_buf(buf, cut, w.seed, w.n);
			expect_at(s, n, cut, &er, &ea, &es);
			assert_true(rd.opened);
			assert_int_equal(rd.end, 0);
			assert_int_equal(rd.records, er);
			assert_int_equal(rd.aggs, ea);
			assert_int_equal(rd.snaps, es);
			assert_int_equal(rd.st.damaged, 0);
			if (cut == size) {
				assert_true(rd.st.index_present);
			} else {
				assert_true(rd.st.index_rebuilt);
				assert_false(rd.st.index_present);
				uint64_t last_end = 32;

				for (size_t j = 0; j < n && s[j].end <= cut; j++)
					last_end = s[j].end;
				assert_int_equal(rd.st.tail_bytes, cut - last_end);
				if (d == 0)
					assert_int_equal(rd.st.tail_bytes, 0);
			}
		}
	}
	/* random cuts */
	for (int k = 0; k < 400; k++) {
		uint64_t cut;
		struct rd rd;

		x = mix(x);
		cut = 32 + x % (size - 32 + 1);
		rd = read_buf(buf, cut, w.seed, w.n);
		expect_at(s, n, cut, &er, &ea, &es);
		assert_true(rd.opened);
		assert_int_equal(rd.end, 0);
		assert_int_equal(rd.records, er);
		assert_int_equal(rd.aggs, ea);
		assert_int_equal(rd.st.damaged, 0);
	}
	free(buf);
}

static void test_tail_bytes(void **state)
{
	char path[128];
	struct wspec w = { .seed = 6, .n = 3000, .block_records = 500 };
	struct tsect s[64];
	size_t size, n;
	uint8_t *buf;

	(void)state;
	tpath(path, sizeof(path), "tail.itr");
	write_stream(path, &w);
	buf = slurp(path, &size);
	n = walk(buf, size, s, 64);
	/* cut in the middle of block 3: tail = bytes from its start */
	for (size_t i = 0; i < n; i++) {
		if (s[i].type != IT_SECT_EVTB)
			continue;
		if (s[i].nrec && i > 2) {
			uint64_t cut = s[i].off + 40;
			struct rd rd = read_buf(buf, cut, w.seed, w.n);

			assert_int_equal(rd.st.tail_bytes, 40);
			assert_int_equal(rd.st.tail_offset, s[i].off);
			assert_non_null(strstr(rd.err, "not a complete section"));
			break;
		}
	}
	free(buf);
}

static void test_byte_flips(void **state)
{
	char path[128];
	struct wspec w = { .seed = 7, .n = 3000, .block_records = 150, .agg_every = 700,
			   .snapshot = true };
	size_t size;
	uint8_t *buf, *copy;
	uint64_t x = 999;
	int errors = 0, opened = 0, partial = 0;

	(void)state;
	tpath(path, sizeof(path), "flip.itr");
	write_stream(path, &w);
	buf = slurp(path, &size);
	copy = malloc(size);
	for (int k = 0; k < 600; k++) {
		struct rd rd;
		int nflips;

		memcpy(copy, buf, size);
		x = mix(x);
		nflips = 1 + (int)(x % 8);
		for (int f = 0; f < nflips; f++) {
			x = mix(x);
			/* half the flips land in the first 200 bytes (header, host facts) */
			size_t at = (f & 1) ? x % 200 : (x >> 8) % size;

			copy[at] ^= (uint8_t)(1u << ((x >> 40) % 8));
		}
		rd = read_buf(copy, size, w.seed, w.n);	/* asserts a prefix of the stream */
		assert_true(rd.records <= w.n);
		if (!rd.opened) {
			assert_true(strlen(rd.err) > 10);
			continue;
		}
		opened++;
		if (rd.end < 0) {
			errors++;
			assert_non_null(strstr(rd.err, "damaged"));
			assert_true(rd.st.damaged >= 1);
		}
		if (rd.records > 0 && rd.records < w.n)
			partial++;
	}
	/* the campaign exercised all outcomes */
	assert_true(errors > 50);
	assert_true(opened > 300);
	assert_true(partial > 20);
	free(copy);
	free(buf);
}

static void test_bad_headers(void **state)
{
	char path[128];
	struct wspec w = { .seed = 8, .n = 500, .block_records = 100 };
	size_t size;
	uint8_t *buf;
	struct rd rd;

	(void)state;
	tpath(path, sizeof(path), "hdr.itr");
	write_stream(path, &w);
	buf = slurp(path, &size);

	memset(buf, 0, 32);
	rd = read_buf(buf, size, w.seed, w.n);
	assert_false(rd.opened);
	assert_non_null(strstr(rd.err, "not an irqtrail trace: the header is zeroed"));

	rd = read_buf("hello, world, this is not a trace file at all", 45, w.seed, w.n);
	assert_false(rd.opened);
	assert_non_null(strstr(rd.err, "bad magic"));

	free(buf);
	buf = slurp(path, &size);
	buf[24] ^= 1;		/* flags: covered by the header CRC */
	rd = read_buf(buf, size, w.seed, w.n);
	assert_false(rd.opened);
	assert_non_null(strstr(rd.err, "header is damaged"));
	free(buf);

	rd = read_path("/nonexistent/x.itr", 1, 1);
	assert_false(rd.opened);
	assert_non_null(strstr(rd.err, "cannot open /nonexistent/x.itr"));
}

static void test_appended_garbage(void **state)
{
	char path[128];
	struct wspec w = { .seed = 9, .n = 4000, .block_records = 300, .agg_every = 1000 };
	size_t size;
	uint8_t *buf, *big;
	struct rd rd;

	(void)state;
	tpath(path, sizeof(path), "garbage.itr");
	write_stream(path, &w);
	buf = slurp(path, &size);
	big = malloc(size * 2 + 4096);
	memcpy(big, buf, size);
	for (size_t g = 1; g <= 4096; g = g * 4 + 1) {
		for (size_t j = 0; j < g; j++)
			big[size + j] = (uint8_t)mix(j + g);
		rd = read_buf(big, size + g, w.seed, w.n);
		assert_true(rd.opened);
		assert_int_equal(rd.end, 0);
		assert_int_equal(rd.records, w.n);
		assert_int_equal(rd.aggs, 3);
		assert_int_equal(rd.st.tail_bytes, g);
		assert_true(rd.st.index_rebuilt);
	}
	/* a whole second trace appended: still only the first one, the rest is tail */
	memcpy(big + size, buf, size);
	rd = read_buf(big, size * 2, w.seed, w.n);
	assert_true(rd.opened);
	assert_int_equal(rd.records, w.n);
	assert_int_equal(rd.st.tail_bytes, size);
	free(big);
	free(buf);
}

static void test_missing_index(void **state)
{
	char path[128];
	struct wspec w = { .seed = 10, .n = 5000, .block_records = 400, .agg_every = 1500,
			   .snapshot = true };
	struct tsect s[64];
	size_t size, n;
	uint8_t *buf;
	struct rd full, cut, bad;

	(void)state;
	tpath(path, sizeof(path), "noidx.itr");
	write_stream(path, &w);
	buf = slurp(path, &size);
	n = walk(buf, size, s, 64);
	full = read_buf(buf, size, w.seed, w.n);
	assert_true(full.st.index_present);

	/* without INDX and END */
	cut = read_buf(buf, s[n - 2].off, w.seed, w.n);
	assert_true(cut.st.index_rebuilt);
	assert_false(cut.st.index_present);
	assert_int_equal(cut.st.tail_bytes, 0);
	assert_int_equal(cut.records, full.records);
	assert_int_equal(cut.aggs, full.aggs);
	assert_int_equal(cut.snaps, full.snaps);
	assert_int_equal(cut.st.blocks_total, full.st.blocks_total);
	assert_int_equal(cut.st.records_total, full.st.records_total);
	assert_int_equal(cut.st.sections, full.st.sections);

	/* a damaged index (payload byte flipped): rebuilt, same results */
	buf[s[n - 2].off + 32 + 8 + 3] ^= 0x10;
	bad = read_buf(buf, size, w.seed, w.n);
	assert_true(bad.st.index_damaged);
	assert_true(bad.st.index_rebuilt);
	assert_int_equal(bad.records, full.records);
	assert_int_equal(bad.aggs, full.aggs);
	free(buf);
}

static void test_unknown_things(void **state)
{
	char path[128], err[256];
	struct it_tw_opts o = { .block_records = 50, .no_block_timer = true, .no_fsync = true };
	struct it_tw *tw;
	struct it_tr *tr;
	const struct it_hdr *h;
	static union rec r;
	uint8_t tlv[64];
	size_t tl = 0, known = 0, unknown = 0, shortr = 0, got = 0, got_all = 0;
	unsigned int unk[2], nu = 0;
	int ret;

	(void)state;
	/* two types no table knows (the reserved ranges fill up over time) */
	for (unsigned int t = 255; t > 0 && nu < 2; t--)
		if (!it_event_min_len(t))
			unk[nu++] = t;
	assert_int_equal(nu, 2);
	tpath(path, sizeof(path), "unknown.itr");
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	/* a HOST section with an unknown tag between two known ones */
	{
		const uint8_t t1[] = { 1, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c' };
		const uint8_t t2[] = { 99, 0, 0, 0, 2, 0, 0, 0, 'z', 'z' };
		const uint8_t t3[] = { 6, 0, 0, 0, 1, 0, 0, 0, 'h' };

		memcpy(tlv + tl, t1, sizeof(t1));
		tl += sizeof(t1);
		memcpy(tlv + tl, t2, sizeof(t2));
		tl += sizeof(t2);
		memcpy(tlv + tl, t3, sizeof(t3));
		tl += sizeof(t3);
		assert_int_equal(it_tw_write_section(tw, IT_SECT_HOST, 0, tlv, tl), 0);
	}
	for (uint64_t i = 0; i < 1000; i++) {
		gen_rec(11, i, &r);
		if (i % 10 == 3) {
			r.h.type = (uint8_t)unk[0];
			unknown++;
		} else if (i % 10 == 4) {
			r.h.type = (uint8_t)unk[1];
			unknown++;
		} else if (i % 10 == 5) {
			r.h.type = IT_EV_KVM_MSI;
			r.h.len = 30;	/* shorter than struct it_kvm_msi */
			shortr++;
		} else {
			known++;
		}
		assert_int_equal(it_tw_write_event(tw, &r.h), 0);
		if (i == 500) {
			assert_int_equal(it_tw_write_section(tw, 0x77, 1, "future", 6), 0);
			assert_int_equal(it_tw_write_section(tw, 0xfff0, 2, NULL, 0), 0);
		}
	}
	assert_int_equal(it_tw_close(tw), 0);

	tr = it_tr_open(path, err, sizeof(err));
	assert_non_null(tr);
	assert_string_equal(it_tr_host(tr)->kernel_release, "abc");
	assert_string_equal(it_tr_host(tr)->hostname, "h");
	assert_string_equal(it_tr_host(tr)->boot_id, "");
	assert_int_equal(it_tr_stats(tr)->skipped_tlvs, 1);
	while ((ret = it_tr_next(tr, &h)) > 0) {
		assert_true(h->type != unk[0] && h->type != unk[1]);
		assert_true(h->len >= 24);
		got++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(got, known);
	assert_int_equal(it_tr_stats(tr)->skipped_types, unknown);
	assert_int_equal(it_tr_stats(tr)->skipped_short, shortr);
	assert_int_equal(it_tr_stats(tr)->skipped_sections, 2);
	assert_int_equal(it_tr_stats(tr)->records, known);

	/* pass_unknown hands them on */
	it_tr_rewind(tr);
	it_tr_pass_unknown(tr, true);
	while ((ret = it_tr_next(tr, &h)) > 0)
		got_all++;
	assert_int_equal(got_all, known + unknown);
	assert_int_equal(it_tr_stats(tr)->skipped_types, 0);
	it_tr_close(tr);
}

static void test_versions(void **state)
{
	char path[128], err[256];
	struct it_tw_opts o = { .block_records = 100, .no_block_timer = true, .no_fsync = true };
	struct it_tw *tw;
	static union rec r;
	struct rd rd;
	size_t size;
	uint8_t *buf, *big;

	(void)state;
	tpath(path, sizeof(path), "v2.itr");
	o.format_major = 2;
	o.format_minor = 3;
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	assert_int_equal(it_tw_close(tw), 0);
	rd = read_path(path, 1, 1);
	assert_false(rd.opened);
	assert_non_null(strstr(rd.err, "trace format 2.3 is newer than this irqtrail (reads 1.x)"));
	/* the major check comes before the header CRC: a newer layout may differ */
	buf = slurp(path, &size);
	buf[28] ^= 0xff;
	rd = read_buf(buf, size, 1, 1);
	assert_non_null(strstr(rd.err, "trace format 2.3 is newer"));
	free(buf);

	tpath(path, sizeof(path), "v17.itr");
	o.format_major = 1;
	o.format_minor = 7;
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	for (uint64_t i = 0; i < 1000; i++) {
		gen_rec(12, i, &r);
		assert_int_equal(it_tw_write_event(tw, &r.h), 0);
	}
	assert_int_equal(it_tw_write_section(tw, 0x99, 0, "new in 1.7", 10), 0);
	assert_int_equal(it_tw_close(tw), 0);
	rd = read_path(path, 12, 1000);
	assert_true(rd.opened);
	assert_int_equal(rd.records, 1000);
	assert_int_equal(rd.st.skipped_sections, 1);

	/* a 1.7 file with a longer header (8 bytes a 1.0 reader does not know) */
	buf = slurp(path, &size);
	big = malloc(size + 8);
	memcpy(big, buf, 32);
	memset(big + 32, 0xEE, 8);
	memcpy(big + 40, buf + 32, size - 32);
	big[16] = 40;
	wle32(big + 28, it_crc32c(0, big, 28));
	rd = read_buf(big, size + 8, 12, 1000);
	assert_true(rd.opened);
	assert_int_equal(rd.records, 1000);
	assert_true(rd.st.index_rebuilt);	/* offsets in the index moved */
	free(big);
	free(buf);
}

struct budget {
	size_t left;
	int err;
	int calls;
};

static ssize_t limited_write(void *arg, int fd, const void *buf, size_t len)
{
	struct budget *b = arg;
	size_t n;
	ssize_t w;

	b->calls++;
	if (!b->left) {
		errno = b->err;
		return -1;
	}
	n = len < b->left ? len : b->left;
	w = write(fd, buf, n);
	if (w > 0)
		b->left -= (size_t)w;
	return w;
}

static void test_write_errors(void **state)
{
	char path[128], err[256];
	static union rec r;
	const size_t budgets[] = { 0, 10, 31, 32, 60, 200, 1000, 5000, 20000, 77777, 150000 };
	const int errs[] = { ENOSPC, EIO };

	(void)state;
	tpath(path, sizeof(path), "enospc.itr");
	for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
		for (size_t e = 0; e < 2; e++) {
			struct budget bud = { budgets[b], errs[e], 0 };
			struct it_host host;
			struct it_hook_info hooks[2];
			char *argv[5];
			struct it_tw_opts o = { .block_records = 100, .no_block_timer = true,
						.no_fsync = true, .write_fn = limited_write,
						.write_arg = &bud, .host = &host };
			struct it_tw *tw;
			struct it_tw_stats ws;
			uint64_t written = 0, i;
			int ret = 0;
			struct rd rd;
			struct stat sb;

			make_host(&host, hooks, argv);
			tw = it_tw_open(path, &o, err, sizeof(err));
			if (!tw) {
				/* the header or host facts did not fit */
				assert_true(budgets[b] < 400);
				assert_int_equal(errno, errs[e]);
				assert_non_null(strstr(err, strerror(errs[e])));
				continue;
			}
			for (i = 0; i < 20000; i++) {
				gen_rec(13, i, &r);
				ret = it_tw_write_event(tw, &r.h);
				if (ret)
					break;
			}
			assert_int_equal(ret, -errs[e]);
			it_tw_get_stats(tw, &ws);
			written = ws.events_written;
			assert_int_equal(ws.error, -errs[e]);
			assert_true(written < i + 1);
			/* sticky: everything fails the same from now on */
			assert_int_equal(it_tw_write_event(tw, &r.h), -errs[e]);
			assert_int_equal(it_tw_write_aggregate(tw, 1, "x", 1), -errs[e]);
			assert_int_equal(it_tw_flush(tw), -errs[e]);
			assert_int_equal(it_tw_close(tw), -errs[e]);
			/* the file holds exactly the blocks written before the error */
			assert_int_equal(stat(path, &sb), 0);
			assert_int_equal((uint64_t)sb.st_size, ws.bytes);
			rd = read_path(path, 13, 20000);
			assert_true(rd.opened);
			assert_int_equal(rd.end, 0);
			assert_int_equal(rd.records, written);
			assert_int_equal(rd.st.tail_bytes, 0);
			assert_true(rd.st.index_rebuilt);
		}
	}
}

/* 2M records through the queue; the producer retries when it is full. */
static void test_async_big(void **state)
{
	char path[128], err[256];
	struct it_tw_opts o = { .block_records = 20000, .no_block_timer = true, .no_fsync = true };
	struct it_tw *tw;
	struct it_tr *tr;
	struct it_tr_item it;
	struct it_kvm_msi m;
	struct it_tw_stats ws;
	const uint64_t N = 2000000;
	uint64_t eagain = 0, next = 0, qlost = 0, aggs = 0;
	int ret;

	(void)state;
	tpath(path, sizeof(path), "async.itr");
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	assert_int_equal(it_tw_async_start(tw, 1 << 20), 0);
	assert_int_equal(it_tw_async_start(tw, 1 << 20), -EBUSY);
	memset(&m, 0, sizeof(m));
	m.h.type = IT_EV_KVM_MSI;
	m.h.len = sizeof(m);
	m.h.version = 1;
	for (uint64_t i = 0; i < N; i++) {
		m.h.ts = 1000 + i * 700;
		m.h.cpu = (uint16_t)(i % 4);
		m.address = 0xfee00000 | ((i % 3) << 12);
		m.data = 0x4020 + i % 5;
		m.since_irq = i;	/* the sequence number */
		while ((ret = it_tw_async_push(tw, &m.h)) == -EAGAIN) {
			eagain++;
			sched_yield();
		}
		assert_int_equal(ret, 0);
		if (i % 250000 == 249999) {
			while ((ret = it_tw_write_aggregate(tw, m.h.ts, &i, sizeof(i))) == -EAGAIN)
				sched_yield();
			assert_int_equal(ret, 0);
		}
	}
	assert_int_equal(it_tw_async_stop(tw), 0);
	it_tw_get_stats(tw, &ws);
	assert_int_equal(ws.dropped, eagain);
	assert_true(ws.queue_max <= (1 << 20));
	assert_int_equal(it_tw_close(tw), 0);

	tr = it_tr_open(path, err, sizeof(err));
	assert_non_null(tr);
	while ((ret = it_tr_next_item(tr, &it)) > 0) {
		if (it.kind == IT_TR_LOST) {
			assert_int_equal(it.rec->cpu, IT_LOST_CPU_QUEUE);
			qlost += it.lost;
		} else if (it.kind == IT_TR_AGGREGATE) {
			uint64_t at;

			assert_int_equal(it.len, sizeof(at));
			memcpy(&at, it.data, sizeof(at));
			assert_int_equal(at + 1, next);	/* right after record 'at' */
			aggs++;
		} else {
			const struct it_kvm_msi *g = (const void *)it.rec;

			assert_int_equal(it.kind, IT_TR_RECORD);
			assert_int_equal(g->since_irq, next);
			assert_int_equal(g->h.ts, 1000 + next * 700);
			assert_int_equal(g->address, 0xfee00000 | ((next % 3) << 12));
			next++;
		}
	}
	assert_int_equal(ret, 0);
	assert_int_equal(next, N);
	assert_int_equal(aggs, 8);
	assert_int_equal(qlost, eagain);
	it_tr_close(tr);
	printf("async: %" PRIu64 " records, %" PRIu64 " queue-full retries\n", N, eagain);
}

/* A tiny queue and a producer that does not wait: drops are counted and recorded. */
static void test_async_drops(void **state)
{
	char path[128], err[256];
	struct it_tw_opts o = { .block_records = 5000, .no_block_timer = true, .no_fsync = true };
	struct it_tw *tw;
	struct it_tr *tr;
	struct it_tr_item it;
	struct it_kvm_msi m;
	struct it_tw_stats ws;
	const uint64_t N = 300000;
	uint64_t ok = 0, drops = 0, got = 0, qlost = 0, klost = 0, last = 0;
	uint8_t *pushed = calloc(N, 1);
	int ret;

	(void)state;
	tpath(path, sizeof(path), "drops.itr");
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	assert_int_equal(it_tw_async_start(tw, 100), 0);	/* rounded up to 4096 */
	memset(&m, 0, sizeof(m));
	m.h.type = IT_EV_KVM_MSI;
	m.h.len = sizeof(m);
	for (uint64_t i = 0; i < N; i++) {
		m.h.ts = i;
		m.since_irq = i;
		ret = it_tw_async_push(tw, &m.h);
		if (ret == 0) {
			ok++;
			pushed[i] = 1;
		} else {
			assert_int_equal(ret, -EAGAIN);
			drops++;
		}
		if (i == N / 2)
			assert_int_equal(it_tw_write_lost(tw, i, 5), 0);	/* uses the reserve */
	}
	assert_int_equal(ok + drops, N);
	assert_true(drops > 0);
	assert_int_equal(it_tw_async_stop(tw), 0);
	it_tw_get_stats(tw, &ws);
	assert_int_equal(ws.dropped, drops);
	assert_int_equal(ws.lost, 5);
	assert_int_equal(it_tw_close(tw), 0);

	tr = it_tr_open(path, err, sizeof(err));
	assert_non_null(tr);
	while ((ret = it_tr_next_item(tr, &it)) > 0) {
		if (it.kind == IT_TR_LOST) {
			if (it.rec->cpu == IT_LOST_CPU_QUEUE)
				qlost += it.lost;
			else
				klost += it.lost;
			continue;
		}
		{
			const struct it_kvm_msi *g = (const void *)it.rec;

			assert_true(g->since_irq < N);
			assert_true(pushed[g->since_irq]);
			assert_true(got == 0 || g->since_irq > last);	/* in order */
			last = g->since_irq;
			got++;
		}
	}
	assert_int_equal(ret, 0);
	assert_int_equal(got, ok);
	assert_int_equal(qlost, drops);
	assert_int_equal(klost, 5);
	it_tr_close(tr);
	free(pushed);
	printf("async tiny queue: %" PRIu64 " of %" PRIu64 " dropped\n", drops, N);
}

static void test_async_enospc(void **state)
{
	char path[128], err[256];
	struct budget bud = { 300000, ENOSPC, 0 };
	struct it_tw_opts o = { .block_records = 200, .no_block_timer = true, .no_fsync = true,
				.write_fn = limited_write, .write_arg = &bud };
	struct it_tw *tw;
	struct it_tw_stats ws;
	static union rec r;
	uint64_t i;
	int ret = 0;
	struct rd rd;

	(void)state;
	tpath(path, sizeof(path), "async-enospc.itr");
	tw = it_tw_open(path, &o, err, sizeof(err));
	assert_non_null(tw);
	assert_int_equal(it_tw_async_start(tw, 1 << 16), 0);
	/* a 64 KiB record can never fit a 64 KiB queue (it keeps a reserve) */
	gen_rec(14, 7, &r);
	assert_int_equal(r.h.len, 65535);
	assert_int_equal(it_tw_async_push(tw, &r.h), -EMSGSIZE);
	assert_int_equal(it_tw_async_stop(tw), 0);
	assert_int_equal(it_tw_async_start(tw, 1 << 20), 0);
	for (i = 0; i < 5000000; i++) {
		gen_rec(14, i, &r);
		while ((ret = it_tw_async_push(tw, &r.h)) == -EAGAIN)
			sched_yield();
		if (ret)
			break;
	}
	assert_int_equal(ret, -ENOSPC);
	assert_int_equal(it_tw_async_stop(tw), -ENOSPC);
	it_tw_get_stats(tw, &ws);
	assert_int_equal(it_tw_close(tw), -ENOSPC);
	rd = read_path(path, 14, i);
	assert_true(rd.opened);
	assert_int_equal(rd.end, 0);
	assert_int_equal(rd.records + rd.queue_lost, ws.events_written);
	assert_true(rd.records > 0);
}

static void test_dump(void **state)
{
	char path[128], cut_path[128];
	struct wspec w = { .seed = 15, .n = 3000, .block_records = 1000, .agg_every = 1500,
			   .snapshot = true };
	char *text = NULL;
	size_t tlen = 0, size;
	FILE *f;
	uint8_t *buf;

	(void)state;
	tpath(path, sizeof(path), "dump.itr");
	write_stream(path, &w);
	f = open_memstream(&text, &tlen);
	assert_int_equal(it_tr_dump(path, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "format 1.0"));
	assert_non_null(strstr(text, "kernel release  6.1.0-test"));
	assert_non_null(strstr(text, "modify_irte"));
	assert_non_null(strstr(text, "symbol not found"));
	assert_non_null(strstr(text, "EVTB"));
	assert_non_null(strstr(text, "records 1000"));
	assert_non_null(strstr(text, "SNAP"));
	assert_non_null(strstr(text, "AGGR"));
	assert_non_null(strstr(text, "index: present"));
	assert_non_null(strstr(text, "3000 records"));
	assert_non_null(strstr(text, "kvm_msi"));
	free(text);

	buf = slurp(path, &size);
	tpath(cut_path, sizeof(cut_path), "dump-cut.itr");
	spit(cut_path, buf, size - 100);
	f = open_memstream(&text, &tlen);
	assert_int_equal(it_tr_dump(cut_path, f), 1);
	fclose(f);
	assert_non_null(strstr(text, "index: absent"));
	assert_non_null(strstr(text, "tail:"));
	free(text);

	buf[size / 2] ^= 0x40;	/* inside a block */
	spit(cut_path, buf, size);
	f = open_memstream(&text, &tlen);
	assert_int_equal(it_tr_dump(cut_path, f), 1);
	fclose(f);
	assert_non_null(strstr(text, "DAMAGED"));
	free(text);

	memset(buf, 0, 32);
	spit(cut_path, buf, size);
	f = open_memstream(&text, &tlen);
	assert_true(it_tr_dump(cut_path, f) < 0);
	fclose(f);
	assert_non_null(strstr(text, "zeroed"));
	free(text);
	free(buf);
}

static void test_host_collect(void **state)
{
	struct it_host h;
	struct it_host_store st;
	struct timespec m, r;
	int64_t off;

	(void)state;
	it_host_collect(&h, &st);
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	off = ((int64_t)r.tv_sec - m.tv_sec) * 1000000000ll + (r.tv_nsec - m.tv_nsec);
	assert_true(strlen(h.kernel_release) > 0);
	assert_true(strlen(h.machine) > 0);
	assert_true(h.cpus_online >= 1);
	assert_true(h.cpus_possible >= h.cpus_online);
	assert_int_equal(h.clock_id, CLOCK_MONOTONIC);
	assert_true(h.realtime_offset_ns - off < 100000000 && off - h.realtime_offset_ns < 100000000);
	assert_int_equal(strlen(h.boot_id), 36);
}

/* docs/trace-format.md §10: bytes/event of a repetitive data-plane stream. */
static void test_bytes_per_event(void **state)
{
	char path[128], err[256];
	struct it_tw *tw;
	struct it_kvm_msi m;
	uint64_t x = 88172645463325252ull, ts = 1000000000ull;
	const uint64_t N = 1000000;
	static const struct {
		uint64_t addr, data;
		uint32_t irq, pid, tid;
		uint16_t cpu;
	} routes[4] = {
		{ 0xfee01000, 0x4021, 45, 1234, 1240, 3 }, { 0xfee02000, 0x4022, 46, 1234, 1241, 5 },
		{ 0xfee03000, 0x4031, 47, 2222, 2230, 1 }, { 0xfee00000, 0x4041, 48, 2222, 2231, 7 },
	};
	double bpe;
	struct rd rd = { 0 };
	struct it_tr *tr;
	const struct it_hdr *h;

	(void)state;
	tpath(path, sizeof(path), "bpe.itr");
	tw = it_tw_open(path, &(struct it_tw_opts){ .no_block_timer = true, .no_fsync = true },
		       err, sizeof(err));
	assert_non_null(tw);
	memset(&m, 0, sizeof(m));
	for (uint64_t i = 0; i < N; i++) {
		unsigned int k;

		x = mix(x);
		k = (unsigned int)(x % 4);
		ts += 500 + (x >> 8) % 19500;
		m.h.ts = ts;
		m.h.type = IT_EV_KVM_MSI;
		m.h.version = 1;
		m.h.len = sizeof(m);
		m.h.cpu = routes[k].cpu;
		m.h.flags = 3;
		m.h.pid = routes[k].pid;
		m.h.tid = routes[k].tid;
		m.address = routes[k].addr;
		m.data = routes[k].data;
		m.host_irq = routes[k].irq;
		m.since_irq = 300 + (x >> 32) % 4700;
		assert_int_equal(it_tw_write_event(tw, &m.h), 0);
	}
	assert_int_equal(it_tw_close(tw), 0);
	{
		struct stat sb;

		assert_int_equal(stat(path, &sb), 0);
		bpe = (double)sb.st_size / (double)N;
	}
	printf("bytes/event: %.2f for %" PRIu64 " kvm_msi records (56 B each) on disk\n", bpe, N);
	assert_true(bpe <= 16.0);
	tr = it_tr_open(path, err, sizeof(err));
	assert_non_null(tr);
	while (it_tr_next(tr, &h) > 0)
		rd.records++;
	assert_int_equal(rd.records, N);
	it_tr_close(tr);
}

static int rm_tmpdir(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	(void)state;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmpdir);
	return 0;
}

static int mk_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/it-tracefile-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_items_in_order),
		cmocka_unit_test(test_writer_stats),
		cmocka_unit_test(test_block_timer),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_tail_bytes),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_appended_garbage),
		cmocka_unit_test(test_missing_index),
		cmocka_unit_test(test_unknown_things),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_async_big),
		cmocka_unit_test(test_async_drops),
		cmocka_unit_test(test_async_enospc),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_host_collect),
		cmocka_unit_test(test_bytes_per_event),
	};

	return cmocka_run_group_tests(tests, mk_tmpdir, rm_tmpdir);
}
