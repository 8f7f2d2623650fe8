// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail trace file: writer, asynchronous writer, reader and dump.
 * The format is docs/trace-format.md; section numbers below refer to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <zstd.h>
#include "decode.h"
#include "tracefile.h"

#ifndef IRQTRAIL_VERSION
#define IRQTRAIL_VERSION "unknown"
#endif

/*
 * Fuzzing builds ignore checksum mismatches so that the fuzzer can reach the
 * decoders behind them; every other check stays.
 */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CRC_BAD(a, b) ((void)(a), (void)(b), 0)
#else
#define CRC_BAD(a, b) ((a) != (b))
#endif

#define FILE_HDR_SIZE	32
#define SECT_HDR_SIZE	32
#define BLK_HDR_SIZE	32
#define IDX_HDR_SIZE	8
#define IDX_ENT_SIZE	40
#define END_PAYLOAD	16
#define REC_HDR_SIZE	24
#define REC_MIN_ENC	9		/* smallest encoded record (§6) */
#define MAX_RAW_LEN	(64u << 20)
#define MAX_BLOCK_BYTES	(16u << 20)
#define REC_MAX_ENC	(65535 + 32)	/* largest encoded record, with slack */
#define CODEC_ZSTD	1
#define ENCODING_V1	1

static const uint8_t file_magic[8] = { 0x89, 'I', 'T', 'R', '\r', '\n', 0x1a, '\n' };
static const uint8_t sect_sync[4] = { 0xa5, 'I', 'T', 'S' };

enum host_tag {
	TAG_RELEASE = 1,
	TAG_BOOT_ID = 2,
	TAG_CPUS = 3,
	TAG_CLOCK = 4,
	TAG_VERSION = 5,
	TAG_HOSTNAME = 6,
	TAG_CMDLINE = 7,
	TAG_HOOK = 8,
	TAG_MACHINE = 9,
};

/* ------------------------------------------------------------ primitives */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

/* Table-driven CRC32C, slicing by 8 bytes. */
uint32_t it_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (len >= 8) {
		uint32_t lo = get32(p) ^ crc, hi = get32(p + 4);

		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		      crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		      crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Bytes consumed, or 0 when the varint is cut or longer than 64 bits. */
static size_t get_varint_slow(const uint8_t *p, size_t avail, uint64_t *v);

/* Most record header fields (length, cpu, pid, tid, a timestamp delta
 * below 8 us) are one or two bytes: those decode inline. */
static inline __attribute__((always_inline)) size_t get_varint(const uint8_t *p, size_t avail, uint64_t *v)
{
	if (__builtin_expect(avail >= 2, 1)) {
		if (p[0] < 0x80) {
			*v = p[0];
			return 1;
		}
		if (p[1] < 0x80) {
			*v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
			return 2;
		}
		if (avail >= 10) {	/* no bounds check per byte */
			uint64_t r = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7;

			for (size_t i = 2; i < 9; i++) {
				r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
				if (p[i] < 0x80) {
					*v = r;
					return i + 1;
				}
			}
			if (p[9] > 1)
				return 0;
			*v = r | (uint64_t)p[9] << 63;
			return 10;
		}
	}
	return get_varint_slow(p, avail, v);
}

static size_t get_varint_slow(const uint8_t *p, size_t avail, uint64_t *v)
{
	uint64_t r = 0;

	for (size_t i = 0; i < 10 && i < avail; i++) {
		uint8_t b = p[i];

		if (i == 9 && b > 1)
			return 0;
		r |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool host_big_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 0;
}

static void build_sect_hdr(uint8_t *h, uint16_t type, uint32_t len, uint32_t pcrc,
			   uint64_t ts, uint32_t seq)
{
	memcpy(h, sect_sync, 4);
	put16(h + 4, type);
	put16(h + 6, 0);
	put32(h + 8, len);
	put32(h + 12, pcrc);
	put64(h + 16, ts);
	put32(h + 24, seq);
	put32(h + 28, it_crc32c(0, h, 28));
}

/* Record encoding v1 (§6). */
static size_t enc_record(uint8_t *p, const struct it_hdr *h, uint64_t prev_ts)
{
	uint64_t d = h->ts - prev_ts;
	uint64_t zz = (d << 1) ^ (uint64_t)((int64_t)d >> 63);
	size_t k = 0, plen = h->len - REC_HDR_SIZE;

	p[k++] = h->type;
	k += put_varint(p + k, h->len);
	k += put_varint(p + k, zz);
	p[k++] = h->version;
	k += put_varint(p + k, h->cpu);
	p[k++] = h->flags;
	p[k++] = h->pad;
	k += put_varint(p + k, h->pid);
	k += put_varint(p + k, h->tid);
	memcpy(p + k, (const uint8_t *)h + REC_HDR_SIZE, plen);
	return k + plen;
}

/*
 * Decode one record header at p (avail bytes); on success fills *h, sets
 * *payload to the payload bytes and returns the encoded size, else 0 and
 * *why.  *prev_ts is advanced.
 */
/* A varint with at least 10 bytes readable at p: no bounds checks. */
static inline __attribute__((always_inline)) size_t varint10(const uint8_t *p, uint64_t *v)
{
	uint64_t r;

	if (p[0] < 0x80) {
		*v = p[0];
		return 1;
	}
	r = p[0] & 0x7f;
	for (size_t i = 1; i < 9; i++) {
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (p[i] < 0x80) {
			*v = r;
			return i + 1;
		}
	}
	if (p[9] > 1)
		return 0;
	*v = r | (uint64_t)p[9] << 63;
	return 10;
}

/* A header's fields take at most 1 type + 10 len + 10 ts + 1 version + 10
 * cpu + 2 flags/pad + 10 pid + 10 tid bytes: each varint may be written
 * with redundant continuation bytes (a damaged or crafted file), and
 * varint10() reads up to 10 bytes from where it starts.  With
 * REC_FAST_AVAIL bytes left no read leaves the block and k <= avail. */
#define REC_FAST_AVAIL	(1 + 10 + 10 + 1 + 10 + 2 + 10 + 10)

static inline __attribute__((always_inline))
size_t dec_record(const uint8_t *p, size_t avail, uint64_t *prev_ts,
		  struct it_hdr *h, const uint8_t **payload, const char **why)
{
	uint64_t v, zz, pid = 0, tid = 0;
	size_t k = 0, n;

	if (__builtin_expect(avail >= REC_FAST_AVAIL, 1)) {
		uint64_t len = 0, cpu = 0;
		size_t n1, n2, n3, n4, n5;

		h->type = p[k++];
		n1 = varint10(p + k, &len);
		k += n1;
		n2 = varint10(p + k, &zz);
		k += n2;
		h->version = p[k++];
		n3 = varint10(p + k, &cpu);
		k += n3;
		h->flags = p[k++];
		h->pad = p[k++];
		n4 = varint10(p + k, &pid);
		k += n4;
		n5 = varint10(p + k, &tid);
		k += n5;
		if (__builtin_expect(n1 && n2 && n3 && n4 && n5 && len >= REC_HDR_SIZE && len <= 0xffff &&
				     cpu <= 0xffff && pid <= UINT32_MAX && tid <= UINT32_MAX &&
				     k <= avail && len - REC_HDR_SIZE <= avail - k, 1)) {
			*prev_ts += (zz >> 1) ^ (0 - (zz & 1));
			h->ts = *prev_ts;
			h->len = (uint16_t)len;
			h->cpu = (uint16_t)cpu;
			h->pid = (uint32_t)pid;
			h->tid = (uint32_t)tid;
			*payload = p + k;
			return k + len - REC_HDR_SIZE;
		}
		k = 0;	/* something is wrong: the checked decoder says what */
	}
	*why = "record cut short";
	if (avail < REC_MIN_ENC)
		return 0;
	memset(h, 0, sizeof(*h));
	h->type = p[k++];
	if (!(n = get_varint(p + k, avail - k, &v)))
		return 0;
	k += n;
	if (v < REC_HDR_SIZE || v > 0xffff) {
		*why = "record length out of range";
		return 0;
	}
	h->len = (uint16_t)v;
	if (!(n = get_varint(p + k, avail - k, &zz)))
		return 0;
	k += n;
	*prev_ts += (zz >> 1) ^ (0 - (zz & 1));
	h->ts = *prev_ts;
	if (k + 1 > avail)
		return 0;
	h->version = p[k++];
	if (!(n = get_varint(p + k, avail - k, &v)))
		return 0;
	k += n;
	if (v > 0xffff) {
		*why = "record cpu out of range";
		return 0;
	}
	h->cpu = (uint16_t)v;
	if (k + 2 > avail)
		return 0;
	h->flags = p[k++];
	h->pad = p[k++];
	if (!(n = get_varint(p + k, avail - k, &v)))
		return 0;
	k += n;
	if (v > UINT32_MAX) {
		*why = "record pid out of range";
		return 0;
	}
	h->pid = (uint32_t)v;
	if (!(n = get_varint(p + k, avail - k, &v)))
		return 0;
	k += n;
	if (v > UINT32_MAX) {
		*why = "record tid out of range";
		return 0;
	}
	h->tid = (uint32_t)v;
	if ((size_t)h->len - REC_HDR_SIZE > avail - k) {
		*why = "record payload runs past the block";
		return 0;
	}
	*payload = p + k;
	return k + h->len - REC_HDR_SIZE;
}

/* A growable byte buffer for building payloads. */
struct bbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void bb_put(struct bbuf *b, const void *d, size_t n)
{
	if (b->oom || !n)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void bb_tlv(struct bbuf *b, uint16_t tag, const void *v, size_t n)
{
	uint8_t h[8];

	put16(h, tag);
	put16(h + 2, 0);
	put32(h + 4, (uint32_t)n);
	bb_put(b, h, 8);
	bb_put(b, v, n);
}

static void bb_tlv_str(struct bbuf *b, uint16_t tag, const char *s)
{
	if (s)
		bb_tlv(b, tag, s, strlen(s));
}

static int host_encode(const struct it_host *h, struct bbuf *b)
{
	uint8_t v[24];

	bb_tlv_str(b, TAG_RELEASE, h->kernel_release);
	bb_tlv_str(b, TAG_BOOT_ID, h->boot_id);
	if (h->cpus_online || h->cpus_possible) {
		put32(v, h->cpus_online);
		put32(v + 4, h->cpus_possible);
		bb_tlv(b, TAG_CPUS, v, 8);
	}
	if (h->clock_id || h->realtime_offset_ns || h->start_ns) {
		put32(v, h->clock_id);
		put32(v + 4, 0);
		put64(v + 8, (uint64_t)h->realtime_offset_ns);
		put64(v + 16, h->start_ns);
		bb_tlv(b, TAG_CLOCK, v, 24);
	}
	bb_tlv_str(b, TAG_VERSION, h->tool_version);
	bb_tlv_str(b, TAG_HOSTNAME, h->hostname);
	bb_tlv_str(b, TAG_MACHINE, h->machine);
	if (h->argc > 0 && h->argv) {
		struct bbuf c = { 0 };

		for (int i = 0; i < h->argc; i++) {
			const char *a = h->argv[i] ? h->argv[i] : "";

			bb_put(&c, a, strlen(a) + 1);
		}
		bb_tlv(b, TAG_CMDLINE, c.p, c.len);
		if (c.oom)
			b->oom = true;
		free(c.p);
	}
	for (size_t i = 0; i < h->nhooks && h->hooks; i++) {
		const struct it_hook_info *k = &h->hooks[i];
		const char *s[4] = { k->hook, k->hop, k->tier, k->reason };
		struct bbuf c = { 0 };
		uint8_t a[4] = { k->attached ? 1 : 0, 0, 0, 0 };

		bb_put(&c, a, 4);
		for (int j = 0; j < 4; j++)
			bb_put(&c, s[j] ? s[j] : "", strlen(s[j] ? s[j] : "") + 1);
		bb_tlv(b, TAG_HOOK, c.p, c.len);
		if (c.oom)
			b->oom = true;
		free(c.p);
	}
	if (b->len > UINT32_MAX)
		return -EFBIG;
	return b->oom ? -ENOMEM : 0;
}

static void read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static uint32_t count_cpu_list(const char *s)
{
	uint32_t n = 0;

	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			break;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				break;
		}
		if (b >= a)
			n += (uint32_t)(b - a + 1);
		s = end;
		if (*s == ',')
			s++;
	}
	return n;
}

void it_host_collect(struct it_host *h, struct it_host_store *st)
{
	struct utsname u;
	char buf[256];
	uint64_t m1, r, m2;
	long n;

	memset(h, 0, sizeof(*h));
	memset(st, 0, sizeof(*st));
	if (!uname(&u)) {
		snprintf(st->release, sizeof(st->release), "%s", u.release);
		snprintf(st->machine, sizeof(st->machine), "%s", u.machine);
		snprintf(st->hostname, sizeof(st->hostname), "%s", u.nodename);
	}
	read_line("/proc/sys/kernel/random/boot_id", st->boot_id, sizeof(st->boot_id));
	snprintf(st->version, sizeof(st->version), "%s", IRQTRAIL_VERSION);
	h->kernel_release = st->release;
	h->machine = st->machine;
	h->hostname = st->hostname;
	h->boot_id = st->boot_id;
	h->tool_version = st->version;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	h->cpus_online = n > 0 ? (uint32_t)n : 0;
	read_line("/sys/devices/system/cpu/possible", buf, sizeof(buf));
	h->cpus_possible = count_cpu_list(buf);
	if (!h->cpus_possible) {
		n = sysconf(_SC_NPROCESSORS_CONF);
		h->cpus_possible = n > 0 ? (uint32_t)n : 0;
	}
	/* bracket the realtime read with two monotonic ones and take the middle */
	m1 = now_ns(CLOCK_MONOTONIC);
	r = now_ns(CLOCK_REALTIME);
	m2 = now_ns(CLOCK_MONOTONIC);
	h->clock_id = CLOCK_MONOTONIC;
	h->start_ns = m1 + (m2 - m1) / 2;
	h->realtime_offset_ns = (int64_t)(r - h->start_ns);
}

/* ---------------------------------------------------------------- writer */

struct idx_ent {
	uint64_t off, ts, last_ts;
	uint32_t len, nrec, seq;
	uint16_t type;
};

struct it_ring;

struct it_tw {
	int fd;
	struct it_tw_opts o;
	uint64_t off;		/* end of the last complete section */
	uint32_t seq;
	int err;		/* sticky, read across threads */
	/* current block */
	uint8_t *blk;
	size_t blk_len, blk_cap;
	uint32_t nrec;
	uint64_t first_ts, prev_ts, last_ts;
	uint64_t blk_start_ms;
	uint8_t *zbuf;
	size_t zcap;
	ZSTD_CCtx *cctx;
	/* index */
	struct idx_ent *idx;
	size_t nidx, idx_cap;
	struct it_tw_stats st;	/* counters written by the writing thread */
	struct it_ring *ring;
};

#define STAT_ADD(tw, f, v) \
	__atomic_store_n(&(tw)->st.f, (tw)->st.f + (v), __ATOMIC_RELAXED)

static int tw_err(const struct it_tw *tw)
{
	return __atomic_load_n(&tw->err, __ATOMIC_ACQUIRE);
}

static uint64_t now_ms(void)
{
	return now_ns(CLOCK_MONOTONIC_COARSE) / 1000000;
}

static ssize_t tw_sys_write(struct it_tw *tw, const void *b, size_t n)
{
	if (tw->o.write_fn)
		return tw->o.write_fn(tw->o.write_arg, tw->fd, b, n);
	return write(tw->fd, b, n);
}

static int tw_write_all(struct it_tw *tw, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = tw_sys_write(tw, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno ? -errno : -EIO;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * First failure: remember it and cut the file back to the last complete
 * section, so that it holds exactly what was written before (best effort:
 * the scan on reading copes with a partial section anyway).
 */
static int tw_fail(struct it_tw *tw, int err)
{
	if (!tw_err(tw)) {
		__atomic_store_n(&tw->err, err, __ATOMIC_RELEASE);
		__atomic_store_n(&tw->st.error, err, __ATOMIC_RELAXED);
		if (ftruncate(tw->fd, (off_t)tw->off) == 0)
			(void)!lseek(tw->fd, (off_t)tw->off, SEEK_SET);
	}
	return tw_err(tw);
}

/* Write one section: header, then a (small) and b as its payload. */
static int tw_emit(struct it_tw *tw, uint16_t type, uint64_t ts, const void *a, size_t alen,
		   const void *b, size_t blen, uint64_t last_ts, uint32_t nrec)
{
	uint8_t head[SECT_HDR_SIZE + 64];
	bool indexed = type != IT_SECT_INDX && type != IT_SECT_END;
	uint32_t crc;
	int err;

	if ((err = tw_err(tw)))
		return err;
	if (alen > 64 || blen > UINT32_MAX - alen)
		return -EFBIG;
	if (indexed && tw->nidx == tw->idx_cap) {
		size_t cap = tw->idx_cap ? tw->idx_cap * 2 : 256;
		struct idx_ent *n = realloc(tw->idx, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		tw->idx = n;
		tw->idx_cap = cap;
	}
	crc = it_crc32c(0, a, alen);
	crc = it_crc32c(crc, b, blen);
	build_sect_hdr(head, type, (uint32_t)(alen + blen), crc, ts, tw->seq);
	if (alen)
		memcpy(head + SECT_HDR_SIZE, a, alen);
	err = tw_write_all(tw, head, SECT_HDR_SIZE + alen);
	if (!err && blen)
		err = tw_write_all(tw, b, blen);
	if (err)
		return tw_fail(tw, err);
	if (indexed)
		tw->idx[tw->nidx++] = (struct idx_ent){
			.off = tw->off, .len = (uint32_t)(alen + blen), .type = type,
			.ts = ts, .last_ts = last_ts, .nrec = nrec, .seq = tw->seq,
		};
	tw->off += SECT_HDR_SIZE + alen + blen;
	tw->seq++;
	__atomic_store_n(&tw->st.bytes, tw->off, __ATOMIC_RELAXED);
	STAT_ADD(tw, sections, 1);
	return 0;
}

static int tw_flush_block(struct it_tw *tw)
{
	uint8_t bh[BLK_HDR_SIZE];
	uint32_t nrec = tw->nrec;
	size_t c;
	int err;

	if (!nrec)
		return tw_err(tw);
	tw->nrec = 0;
	if ((err = tw_err(tw))) {
		tw->blk_len = 0;
		return err;
	}
	c = ZSTD_compress2(tw->cctx, tw->zbuf, tw->zcap, tw->blk, tw->blk_len);
	if (ZSTD_isError(c)) {
		tw->blk_len = 0;
		return tw_fail(tw, -EIO);
	}
	put16(bh, BLK_HDR_SIZE);
	bh[2] = CODEC_ZSTD;
	bh[3] = ENCODING_V1;
	put32(bh + 4, nrec);
	put32(bh + 8, (uint32_t)tw->blk_len);
	put32(bh + 12, 0);
	put64(bh + 16, tw->first_ts);
	put64(bh + 24, tw->prev_ts);
	tw->blk_len = 0;
	err = tw_emit(tw, IT_SECT_EVTB, tw->first_ts, bh, sizeof(bh), tw->zbuf, c,
		      tw->prev_ts, nrec);
	if (err)
		return err;
	STAT_ADD(tw, events_written, nrec);
	STAT_ADD(tw, blocks, 1);
	return 0;
}

static bool tw_block_old(const struct it_tw *tw)
{
	return tw->nrec && !tw->o.no_block_timer &&
	       now_ms() - tw->blk_start_ms >= tw->o.block_ms;
}

static int tw_do_event(struct it_tw *tw, const struct it_hdr *rec)
{
	int err;

	if ((err = tw_err(tw)))
		return err;
	if (rec->len < REC_HDR_SIZE)
		return -EINVAL;
	if (!tw->nrec) {
		tw->first_ts = tw->prev_ts = rec->ts;
		tw->blk_start_ms = tw->o.no_block_timer ? 0 : now_ms();
	}
	tw->blk_len += enc_record(tw->blk + tw->blk_len, rec, tw->prev_ts);
	tw->prev_ts = tw->last_ts = rec->ts;
	tw->nrec++;
	STAT_ADD(tw, events, 1);
	STAT_ADD(tw, raw_bytes, rec->len);
	if (tw->nrec >= tw->o.block_records || tw->blk_len >= tw->o.block_bytes ||
	    tw_block_old(tw))
		return tw_flush_block(tw);
	return 0;
}

/* Any non-block section: close the current block first to keep file order = time order. */
static int tw_do_section(struct it_tw *tw, uint16_t type, uint64_t ts, const void *buf, size_t len)
{
	int err = tw_flush_block(tw);

	if (err)
		return err;
	err = tw_emit(tw, type, ts, NULL, 0, buf, len, ts, 0);
	if (!err && type == IT_SECT_AGGR)
		STAT_ADD(tw, aggregates, 1);
	return err;
}

static void lost_record(struct it_lost *l, uint64_t ts, uint64_t lost, uint16_t cpu)
{
	memset(l, 0, sizeof(*l));
	l->h.ts = ts;
	l->h.type = IT_EV_LOST;
	l->h.version = 1;
	l->h.len = sizeof(*l);
	l->h.cpu = cpu;
	l->lost = lost;
}

static void tw_free(struct it_tw *tw)
{
	if (tw->fd >= 0)
		close(tw->fd);
	ZSTD_freeCCtx(tw->cctx);
	free(tw->blk);
	free(tw->zbuf);
	free(tw->idx);
	free(tw);
}

struct it_tw *it_tw_open(const char *path, const struct it_tw_opts *o, char *err, size_t errlen)
{
	struct it_tw *tw = calloc(1, sizeof(*tw));
	uint8_t h[FILE_HDR_SIZE];
	struct stat sb;
	int e;

	if (errlen)
		err[0] = 0;
	if (!tw) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	tw->fd = -1;
	if (o)
		tw->o = *o;
	tw->o.host = NULL;
	if (!tw->o.block_records)
		tw->o.block_records = 65536;
	if (!tw->o.block_bytes)
		tw->o.block_bytes = 1u << 20;
	if (tw->o.block_bytes > MAX_BLOCK_BYTES)
		tw->o.block_bytes = MAX_BLOCK_BYTES;
	if (!tw->o.block_ms)
		tw->o.block_ms = 1000;
	if (!tw->o.zstd_level)
		tw->o.zstd_level = 3;
	tw->blk_cap = tw->o.block_bytes + REC_MAX_ENC;
	tw->zcap = ZSTD_compressBound(tw->blk_cap);
	tw->blk = malloc(tw->blk_cap);
	tw->zbuf = malloc(tw->zcap);
	tw->cctx = ZSTD_createCCtx();
	if (!tw->blk || !tw->zbuf || !tw->cctx ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(tw->cctx, ZSTD_c_compressionLevel, tw->o.zstd_level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(tw->cctx, ZSTD_c_contentSizeFlag, 1))) {
		snprintf(err, errlen, "out of memory");
		tw_free(tw);
		errno = ENOMEM;
		return NULL;
	}
	tw->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (tw->fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		tw_free(tw);
		errno = e;
		return NULL;
	}
	/* an existing file keeps its mode through O_TRUNC: recordings are private */
	if (!fstat(tw->fd, &sb) && S_ISREG(sb.st_mode) && (sb.st_mode & 07777) != 0600)
		(void)!fchmod(tw->fd, 0600);

	memcpy(h, file_magic, 8);
	put16(h + 8, tw->o.format_major ? tw->o.format_major : IT_TRACE_MAJOR);
	put16(h + 10, tw->o.format_major || tw->o.format_minor ? tw->o.format_minor : IT_TRACE_MINOR);
	{
		uint32_t bom = 0x01020304;

		memcpy(h + 12, &bom, 4);	/* native order on purpose */
	}
	put16(h + 16, FILE_HDR_SIZE);
	put16(h + 18, REC_HDR_SIZE);
	put16(h + 20, SECT_HDR_SIZE);
	put16(h + 22, IT_ABI_VERSION);
	put32(h + 24, 0);
	put32(h + 28, it_crc32c(0, h, 28));
	e = tw_write_all(tw, h, sizeof(h));
	if (!e) {
		tw->off = FILE_HDR_SIZE;
		__atomic_store_n(&tw->st.bytes, tw->off, __ATOMIC_RELAXED);
		if (o && o->host)
			e = it_tw_set_host(tw, o->host);
	}
	if (e) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-e));
		tw_free(tw);
		errno = -e;
		return NULL;
	}
	return tw;
}

void it_tw_get_stats(const struct it_tw *tw, struct it_tw_stats *st)
{
	const struct it_tw_stats *s = &tw->st;

	st->events = __atomic_load_n(&s->events, __ATOMIC_RELAXED);
	st->events_written = __atomic_load_n(&s->events_written, __ATOMIC_RELAXED);
	st->raw_bytes = __atomic_load_n(&s->raw_bytes, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	st->blocks = __atomic_load_n(&s->blocks, __ATOMIC_RELAXED);
	st->sections = __atomic_load_n(&s->sections, __ATOMIC_RELAXED);
	st->aggregates = __atomic_load_n(&s->aggregates, __ATOMIC_RELAXED);
	st->lost = __atomic_load_n(&s->lost, __ATOMIC_RELAXED);
	st->dropped = __atomic_load_n(&s->dropped, __ATOMIC_RELAXED);
	st->queue_max = __atomic_load_n(&s->queue_max, __ATOMIC_RELAXED);
	st->error = __atomic_load_n(&s->error, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------- async writer */

/*
 * Single-producer single-consumer byte ring.  head and tail count bytes
 * ever consumed/produced; items are 8-byte aligned, each with an 8-byte
 * header (size incl. header, kind).  An item never wraps: a PAD item fills
 * the end of the buffer instead.  The consumer sleeps on a condition
 * variable only when the ring is empty, announcing it in 'sleeping'; the
 * producer takes the mutex only to wake it, never while the consumer writes.
 */
enum ring_kind { RK_REC = 1, RK_PAD, RK_SECT, RK_FLUSH };

struct ring_sect {
	uint64_t ts;
	void *buf;		/* malloc'ed copy, freed by the consumer */
	size_t len;
	uint16_t type;
};

struct it_ring {
	uint64_t head __attribute__((aligned(64)));	/* written by the consumer */
	uint64_t tail __attribute__((aligned(64)));	/* written by the producer */
	uint64_t dropped;	/* producer */
	uint64_t queue_max;	/* producer */
	int stop, sleeping;
	uint8_t *buf __attribute__((aligned(64)));
	uint64_t cap, mask, reserve;
	uint64_t reported;	/* consumer: drops already written as LOST records */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thr;
};

static int ring_push(struct it_tw *tw, uint16_t kind, const void *a, size_t alen, bool ctl)
{
	struct it_ring *r = tw->ring;
	uint64_t need = 8 + ((alen + 7) & ~(uint64_t)7);
	uint64_t t = r->tail, h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint64_t pos = t & r->mask, contig = r->cap - pos;
	uint64_t total = need + (contig < need ? contig : 0);
	uint64_t limit = ctl ? r->cap : r->cap - r->reserve;
	uint8_t *p;

	if (need > limit)
		return -EMSGSIZE;	/* could never fit: not a drop, a caller error */
	if ((t - h) + total > limit) {
		if (!ctl)
			__atomic_store_n(&r->dropped, r->dropped + 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	if (contig < need) {
		p = r->buf + pos;
		put32(p, (uint32_t)contig);
		put16(p + 4, RK_PAD);
		t += contig;
		pos = 0;
	}
	p = r->buf + pos;
	put32(p, (uint32_t)need);
	put16(p + 4, kind);
	if (alen)
		memcpy(p + 8, a, alen);
	__atomic_store_n(&r->tail, t + need, __ATOMIC_RELEASE);
	if ((t + need) - h > r->queue_max)
		__atomic_store_n(&r->queue_max, (t + need) - h, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->sleeping, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&r->mu);
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return 0;
}

static void ring_report_drops(struct it_tw *tw)
{
	struct it_ring *r = tw->ring;
	uint64_t d = __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);
	uint64_t q = __atomic_load_n(&r->queue_max, __ATOMIC_RELAXED);

	__atomic_store_n(&tw->st.queue_max, q, __ATOMIC_RELAXED);
	__atomic_store_n(&tw->st.dropped, d, __ATOMIC_RELAXED);
	if (d != r->reported && !tw_err(tw)) {
		struct it_lost l;

		lost_record(&l, tw->last_ts, d - r->reported, IT_LOST_CPU_QUEUE);
		r->reported = d;
		tw_do_event(tw, &l.h);
	}
}

static void ring_consume(struct it_tw *tw, const uint8_t *p)
{
	uint16_t kind = get16(p + 4);

	switch (kind) {
	case RK_REC:
		tw_do_event(tw, (const struct it_hdr *)(p + 8));
		break;
	case RK_SECT: {
		struct ring_sect s;

		memcpy(&s, p + 8, sizeof(s));
		tw_do_section(tw, s.type, s.ts, s.buf, s.len);
		free(s.buf);
		break;
	}
	case RK_FLUSH:
		tw_flush_block(tw);
		break;
	default:
		break;
	}
}

static void *ring_thread(void *arg)
{
	struct it_tw *tw = arg;
	struct it_ring *r = tw->ring;
	uint64_t wait_ms = tw->o.no_block_timer ? 200 : tw->o.block_ms < 200 ? tw->o.block_ms : 200;

	for (;;) {
		uint64_t h = r->head, t = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		unsigned int n = 0;

		if (h == t) {
			ring_report_drops(tw);
			if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
				if (__atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == h)
					break;
				continue;
			}
			if (tw_block_old(tw))
				tw_flush_block(tw);
			pthread_mutex_lock(&r->mu);
			__atomic_store_n(&r->sleeping, 1, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == h &&
			    !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
				struct timespec ts;
				uint64_t dl;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				dl = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
				     wait_ms * 1000000ull;
				ts.tv_sec = (time_t)(dl / 1000000000ull);
				ts.tv_nsec = (long)(dl % 1000000000ull);
				pthread_cond_timedwait(&r->cv, &r->mu, &ts);
			}
			__atomic_store_n(&r->sleeping, 0, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&r->mu);
			continue;
		}
		while (h != t) {
			const uint8_t *p = r->buf + (h & r->mask);

			ring_consume(tw, p);
			h += get32(p);
			if (!(++n & 63))
				__atomic_store_n(&r->head, h, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&r->head, h, __ATOMIC_RELEASE);
		ring_report_drops(tw);
	}
	ring_report_drops(tw);
	tw_flush_block(tw);
	return NULL;
}

int it_tw_async_start(struct it_tw *tw, size_t queue_bytes)
{
	struct it_ring *r;
	pthread_condattr_t ca;
	uint64_t cap = 4096;
	int e;

	if (tw->ring)
		return -EBUSY;
	if ((e = tw_err(tw)))
		return e;
	while (cap < queue_bytes && cap < (1ull << 40))
		cap <<= 1;
	if (posix_memalign((void **)&r, 64, sizeof(*r)))
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->buf = malloc(cap);
	if (!r->buf) {
		free(r);
		return -ENOMEM;
	}
	r->cap = cap;
	r->mask = cap - 1;
	r->reserve = cap / 8 < 256 ? 256 : cap / 8 > 65536 ? 65536 : cap / 8;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	tw->ring = r;
	e = pthread_create(&r->thr, NULL, ring_thread, tw);
	if (e) {
		tw->ring = NULL;
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r->buf);
		free(r);
		return -e;
	}
	return 0;
}

int it_tw_async_push(struct it_tw *tw, const struct it_hdr *rec)
{
	int e;

	if (!tw->ring)
		return it_tw_write_event(tw, rec);
	if ((e = tw_err(tw)))
		return e;
	if (rec->len < REC_HDR_SIZE)
		return -EINVAL;
	return ring_push(tw, RK_REC, rec, rec->len, false);
}

static int ring_push_sect(struct it_tw *tw, uint16_t type, uint64_t ts, const void *buf, size_t len)
{
	struct ring_sect s = { .ts = ts, .len = len, .type = type };
	int e;

	if ((e = tw_err(tw)))
		return e;
	if (len) {
		s.buf = malloc(len);
		if (!s.buf)
			return -ENOMEM;
		memcpy(s.buf, buf, len);
	}
	e = ring_push(tw, RK_SECT, &s, sizeof(s), true);
	if (e)
		free(s.buf);
	return e;
}

int it_tw_async_stop(struct it_tw *tw)
{
	struct it_ring *r = tw->ring;

	if (!r)
		return tw_err(tw);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&r->mu);
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thr, NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r->buf);
	free(r);
	tw->ring = NULL;
	return tw_err(tw);
}

/* ------------------------------------------------------ writer: public */

int it_tw_set_host(struct it_tw *tw, const struct it_host *host)
{
	struct bbuf b = { 0 };
	int e = host_encode(host, &b);

	if (!e)
		e = tw->ring ? ring_push_sect(tw, IT_SECT_HOST, 0, b.p, b.len)
			     : tw_do_section(tw, IT_SECT_HOST, 0, b.p, b.len);
	free(b.p);
	return e;
}

int it_tw_write_section(struct it_tw *tw, uint16_t type, uint64_t ts, const void *buf, size_t len)
{
	if (!type || type == IT_SECT_EVTB || type == IT_SECT_INDX || type == IT_SECT_END)
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EFBIG;
	if (tw->ring)
		return ring_push_sect(tw, type, ts, buf, len);
	return tw_do_section(tw, type, ts, buf, len);
}

int it_tw_write_snapshot(struct it_tw *tw, const void *buf, size_t len)
{
	return it_tw_write_section(tw, IT_SECT_SNAP, now_ns(CLOCK_MONOTONIC), buf, len);
}

int it_tw_write_snapshot_at(struct it_tw *tw, uint64_t ts, const void *buf, size_t len)
{
	return it_tw_write_section(tw, IT_SECT_SNAP, ts, buf, len);
}

int it_tw_write_aggregate(struct it_tw *tw, uint64_t ts, const void *buf, size_t len)
{
	return it_tw_write_section(tw, IT_SECT_AGGR, ts, buf, len);
}

int it_tw_write_event(struct it_tw *tw, const struct it_hdr *rec)
{
	if (tw->ring)
		return it_tw_async_push(tw, rec);
	return tw_do_event(tw, rec);
}

int it_tw_write_lost(struct it_tw *tw, uint64_t ts, uint64_t lost)
{
	struct it_lost l;
	int e;

	lost_record(&l, ts, lost, IT_LOST_CPU_KERNEL);
	if (tw->ring) {
		if ((e = tw_err(tw)))
			return e;
		e = ring_push(tw, RK_REC, &l, sizeof(l), true);
	} else {
		e = tw_do_event(tw, &l.h);
	}
	if (!e)
		__atomic_fetch_add(&tw->st.lost, lost, __ATOMIC_RELAXED);
	return e;
}

int it_tw_flush(struct it_tw *tw)
{
	int e;

	if (tw->ring) {
		if ((e = tw_err(tw)))
			return e;
		return ring_push(tw, RK_FLUSH, NULL, 0, true);
	}
	return tw_flush_block(tw);
}

int it_tw_tick(struct it_tw *tw)
{
	if (tw->ring)
		return tw_err(tw);
	if (tw_block_old(tw))
		return tw_flush_block(tw);
	return tw_err(tw);
}

static int tw_write_index(struct it_tw *tw)
{
	uint8_t ih[IDX_HDR_SIZE], end[END_PAYLOAD];
	uint8_t *ents = NULL;
	uint64_t idx_off = tw->off;
	int e;

	if (tw->nidx > (UINT32_MAX - IDX_HDR_SIZE) / IDX_ENT_SIZE)
		return -EFBIG;
	if (tw->nidx) {
		ents = calloc(tw->nidx, IDX_ENT_SIZE);
		if (!ents)
			return -ENOMEM;
	}
	put32(ih, (uint32_t)tw->nidx);
	put32(ih + 4, IDX_ENT_SIZE);
	for (size_t i = 0; i < tw->nidx; i++) {
		uint8_t *p = ents + i * IDX_ENT_SIZE;
		const struct idx_ent *x = &tw->idx[i];

		put64(p, x->off);
		put32(p + 8, x->len);
		put16(p + 12, x->type);
		put16(p + 14, 0);
		put64(p + 16, x->ts);
		put64(p + 24, x->last_ts);
		put32(p + 32, x->nrec);
		put32(p + 36, x->seq);
	}
	e = tw_emit(tw, IT_SECT_INDX, 0, ih, sizeof(ih), ents, tw->nidx * IDX_ENT_SIZE, 0, 0);
	free(ents);
	if (e)
		return e;
	put64(end, idx_off);
	put64(end + 8, tw->nidx);
	return tw_emit(tw, IT_SECT_END, 0, end, sizeof(end), NULL, 0, 0, 0);
}

int it_tw_close(struct it_tw *tw)
{
	int e;

	if (!tw)
		return -EINVAL;
	it_tw_async_stop(tw);
	tw_flush_block(tw);
	if (!tw_err(tw)) {
		e = tw_write_index(tw);
		if (e)
			tw_fail(tw, e);
	}
	if (!tw->o.no_fsync && fsync(tw->fd) && errno != EINVAL && errno != EROFS)
		tw_fail(tw, -errno);
	e = close(tw->fd);
	tw->fd = -1;
	if (e && errno != EINTR)
		tw_fail(tw, -errno);
	e = tw_err(tw);
	tw_free(tw);
	return e;
}

/* ---------------------------------------------------------------- reader */

struct sect {
	uint64_t off, ts, last_ts;
	uint32_t len, nrec, seq;
	uint16_t type;
};

struct it_tr {
	int fd;
	struct it_tr_info info;
	struct sect *sects;
	size_t nsects, sects_cap;
	struct it_tr_stats st;
	char err[256];
	int sticky;
	/* host facts */
	struct it_host host;
	char *hstr[5];		/* release, boot id, hostname, machine, version */
	char *cmd_buf;
	char **argv;
	char **hook_bufs;
	struct it_hook_info *hooks;
	/* snapshot */
	uint8_t *snap;
	size_t snap_len;
	bool snap_loaded;
	/* iteration */
	size_t cur;
	uint8_t *pay;
	size_t pay_cap;
	uint8_t *raw;
	size_t raw_cap, raw_len, raw_pos;
	uint32_t rec_left;
	uint64_t prev_ts, blk_off;
	uint64_t *recbuf;
	/* the block's record headers, decoded once by load_block's check */
	struct rec_ix {
		struct it_hdr h;
		uint32_t off;	/* payload offset in raw */
	} *ix;
	size_t ix_cap;
	uint32_t ix_pos;
	uint16_t minlen[256];	/* it_event_min_len() of every type */
	ZSTD_DCtx *dctx;
	it_tr_frame_cb cb;
	void *cb_arg;
	bool pass_unknown;
};

static const char *const empty = "";

__attribute__((format(printf, 2, 3)))
static void tr_msg(struct it_tr *tr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tr->err, sizeof(tr->err), fmt, ap);
	va_end(ap);
}

static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *n;

	if (need <= *cap)
		return 0;
	n = realloc(*buf, need);
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = need;
	return 0;
}

static int add_sect(struct it_tr *tr, const struct sect *s)
{
	if (tr->nsects == tr->sects_cap) {
		size_t cap = tr->sects_cap ? tr->sects_cap * 2 : 64;
		struct sect *n = realloc(tr->sects, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		tr->sects = n;
		tr->sects_cap = cap;
	}
	tr->sects[tr->nsects++] = *s;
	return 0;
}

/* Parse a section header; false when sync or header CRC is wrong. */
static bool parse_sect_hdr(const uint8_t *h, struct sect *s)
{
	if (memcmp(h, sect_sync, 4) || CRC_BAD(get32(h + 28), it_crc32c(0, h, 28)))
		return false;
	s->type = get16(h + 4);
	s->len = get32(h + 8);
	s->ts = get64(h + 16);
	s->last_ts = s->ts;
	s->seq = get32(h + 24);
	s->nrec = 0;
	return true;
}

static const char *sect_name(uint16_t type)
{
	switch (type) {
	case IT_SECT_HOST: return "HOST";
	case IT_SECT_SNAP: return "SNAP";
	case IT_SECT_EVTB: return "EVTB";
	case IT_SECT_AGGR: return "AGGR";
	case IT_SECT_INDX: return "INDX";
	case IT_SECT_END: return "END";
	}
	return NULL;
}

/* The trailing index (§7); false (and the table untouched) when unusable. */
static bool load_index(struct it_tr *tr, bool *footer_seen)
{
	uint64_t size = tr->info.file_size, hs = tr->info.header_size;
	uint64_t end_off, idx_off, n, esz, expect;
	uint8_t h[SECT_HDR_SIZE + END_PAYLOAD];
	struct sect s, is;
	uint8_t *p = NULL;
	bool ok = false;

	*footer_seen = false;
	if (size < hs + 2 * SECT_HDR_SIZE + IDX_HDR_SIZE + END_PAYLOAD)
		return false;
	end_off = size - sizeof(h);
	if (pread_full(tr->fd, h, sizeof(h), end_off) != (ssize_t)sizeof(h) ||
	    !parse_sect_hdr(h, &s) || s.type != IT_SECT_END || s.len != END_PAYLOAD ||
	    CRC_BAD(get32(h + 12), it_crc32c(0, h + SECT_HDR_SIZE, END_PAYLOAD)))
		return false;
	*footer_seen = true;
	idx_off = get64(h + SECT_HDR_SIZE);
	n = get64(h + SECT_HDR_SIZE + 8);
	if (idx_off < hs || idx_off > end_off - SECT_HDR_SIZE - IDX_HDR_SIZE ||
	    pread_full(tr->fd, h, SECT_HDR_SIZE, idx_off) != SECT_HDR_SIZE ||
	    !parse_sect_hdr(h, &is) || is.type != IT_SECT_INDX ||
	    idx_off + SECT_HDR_SIZE + is.len != end_off || is.len < IDX_HDR_SIZE ||
	    is.seq != n || s.seq != n + 1)
		return false;
	p = malloc(is.len);
	if (!p || pread_full(tr->fd, p, is.len, idx_off + SECT_HDR_SIZE) != (ssize_t)is.len ||
	    CRC_BAD(get32(h + 12), it_crc32c(0, p, is.len)))
		goto out;
	esz = get32(p + 4);
	if (get32(p) != n || esz < IDX_ENT_SIZE || n > (is.len - IDX_HDR_SIZE) / esz)
		goto out;
	expect = hs;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *e = p + IDX_HDR_SIZE + i * esz;
		struct sect x = {
			.off = get64(e), .len = get32(e + 8), .type = get16(e + 12),
			.ts = get64(e + 16), .last_ts = get64(e + 24), .nrec = get32(e + 32),
			.seq = get32(e + 36),
		};

		if (x.off != expect || x.seq != i || x.type == IT_SECT_INDX || x.type == IT_SECT_END ||
		    idx_off - x.off < SECT_HDR_SIZE || x.len > idx_off - x.off - SECT_HDR_SIZE)
			goto out;
		expect = x.off + SECT_HDR_SIZE + x.len;
		if (add_sect(tr, &x))
			goto out;
	}
	ok = expect == idx_off;
out:
	free(p);
	if (!ok)
		tr->nsects = 0;
	return ok;
}

/* Rebuild the section table by walking the headers (§7, §8). */
static int scan_sections(struct it_tr *tr)
{
	uint64_t size = tr->info.file_size, off = tr->info.header_size;
	uint32_t seq = 0;

	tr->nsects = 0;
	while (off < size) {
		uint8_t h[SECT_HDR_SIZE], bh[BLK_HDR_SIZE];
		struct sect s;
		const char *why = NULL;

		if (size - off < SECT_HDR_SIZE)
			why = "a cut section header";
		else if (pread_full(tr->fd, h, SECT_HDR_SIZE, off) != SECT_HDR_SIZE)
			why = "an unreadable section header";
		else if (!parse_sect_hdr(h, &s))
			why = "no valid section header";
		else if (s.len > size - off - SECT_HDR_SIZE)
			why = "a section cut short";
		else if (s.seq != seq)
			why = "a section out of sequence";
		if (why) {
			tr->st.tail_offset = off;
			tr->st.tail_bytes = size - off;
			tr_msg(tr, "%" PRIu64 " bytes at offset %" PRIu64 " are not a complete section (%s): "
			       "the trace was cut or has garbage appended; replaying what precedes them",
			       size - off, off, why);
			return 0;
		}
		s.off = off;
		off += SECT_HDR_SIZE + s.len;
		seq++;
		/* we only scan when the index did not load: a file with an end
		 * section (the footer) was closed cleanly, so its footer or index
		 * is damaged (a file that stops right after the index was cut) */
		if (s.type == IT_SECT_END)
			tr->st.index_damaged = true;
		if (s.type == IT_SECT_INDX)
			continue;
		if (s.type == IT_SECT_END) {
			if (off < size) {
				tr->st.tail_offset = off;
				tr->st.tail_bytes = size - off;
				tr_msg(tr, "%" PRIu64 " bytes after the end of the trace at offset %" PRIu64
				       " ignored", size - off, off);
			}
			return 0;
		}
		if (s.type == IT_SECT_EVTB && s.len >= BLK_HDR_SIZE &&
		    pread_full(tr->fd, bh, BLK_HDR_SIZE, s.off + SECT_HDR_SIZE) == BLK_HDR_SIZE) {
			s.nrec = get32(bh + 4);
			s.last_ts = get64(bh + 24);
		}
		if (add_sect(tr, &s))
			return -ENOMEM;
	}
	return 0;
}

static void damaged(struct it_tr *tr, const struct sect *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void damaged(struct it_tr *tr, const struct sect *s, const char *fmt, ...)
{
	char why[160];
	const char *name = sect_name(s->type);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	tr->st.damaged++;
	tr->sticky = -EBADMSG;
	tr_msg(tr, "damaged %s section #%u at offset %" PRIu64 ": %s; replay stops here",
	       name ? name : "unknown", s->seq, s->off, why);
}

/*
 * Read and verify section s (header against the table, payload CRC) into
 * *buf.  Returns 0, or <0 with the section reported damaged.
 */
static int load_section(struct it_tr *tr, const struct sect *s, uint8_t **buf, size_t *cap)
{
	uint8_t h[SECT_HDR_SIZE];
	struct sect x;
	ssize_t n;

	n = pread_full(tr->fd, h, SECT_HDR_SIZE, s->off);
	if (n < 0) {
		tr->sticky = (int)n;
		tr_msg(tr, "read error at offset %" PRIu64 ": %s", s->off, strerror((int)-n));
		return (int)n;
	}
	if (n != SECT_HDR_SIZE || !parse_sect_hdr(h, &x)) {
		damaged(tr, s, "bad section header");
		return tr->sticky;
	}
	if (x.type != s->type || x.len != s->len || x.seq != s->seq) {
		damaged(tr, s, "section header disagrees with the index");
		return tr->sticky;
	}
	if (grow(buf, cap, s->len ? s->len : 1)) {
		tr->sticky = -ENOMEM;
		tr_msg(tr, "out of memory for a %u-byte section", s->len);
		return -ENOMEM;
	}
	n = pread_full(tr->fd, *buf, s->len, s->off + SECT_HDR_SIZE);
	if (n != (ssize_t)s->len) {
		damaged(tr, s, "payload cut short");
		return tr->sticky;
	}
	if (CRC_BAD(get32(h + 12), it_crc32c(0, *buf, s->len))) {
		damaged(tr, s, "payload checksum mismatch");
		return tr->sticky;
	}
	return 0;
}

static char *memdup_str(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

static void host_set_str(struct it_tr *tr, int i, const char **field, const uint8_t *v, size_t n)
{
	char *s = memdup_str(v, n);

	if (!s)
		return;
	free(tr->hstr[i]);
	tr->hstr[i] = s;
	*field = s;
}

static void free_hooks(struct it_tr *tr)
{
	for (size_t i = 0; tr->hook_bufs && i < tr->host.nhooks; i++)
		free(tr->hook_bufs[i]);
	free(tr->hook_bufs);
	free(tr->hooks);
	tr->hook_bufs = NULL;
	tr->hooks = NULL;
	tr->host.hooks = NULL;
	tr->host.nhooks = 0;
}

static bool add_hook(struct it_tr *tr, const uint8_t *v, size_t n)
{
	const char *s[4];
	size_t k = 4, cnt = tr->host.nhooks;
	char *copy, **nb;
	struct it_hook_info *nh;

	if (n < 4 + 4)
		return false;
	copy = memdup_str(v, n);
	if (!copy)
		return false;
	for (int j = 0; j < 4; j++) {
		const char *z = memchr(copy + k, 0, n - k);

		if (!z) {
			free(copy);
			return false;
		}
		s[j] = copy + k;
		k = (size_t)(z - copy) + 1;
	}
	nb = realloc(tr->hook_bufs, (cnt + 1) * sizeof(*nb));
	if (!nb) {
		free(copy);
		return false;
	}
	tr->hook_bufs = nb;
	nh = realloc(tr->hooks, (cnt + 1) * sizeof(*nh));
	if (!nh) {
		free(copy);
		return false;
	}
	tr->hooks = nh;
	nb[cnt] = copy;
	nh[cnt] = (struct it_hook_info){
		.hook = s[0], .hop = s[1], .tier = s[2], .reason = s[3], .attached = v[0] != 0,
	};
	tr->host.hooks = nh;
	tr->host.nhooks = cnt + 1;
	return true;
}

static void parse_host(struct it_tr *tr, const uint8_t *p, size_t len)
{
	struct it_host *h = &tr->host;
	bool hooks_reset = false;
	size_t k = 0;

	while (k < len) {
		uint16_t tag;
		uint32_t n;
		const uint8_t *v;

		if (len - k < 8 || get32(p + k + 4) > len - k - 8) {
			tr->st.skipped_tlvs++;	/* a malformed tail: ignored */
			return;
		}
		tag = get16(p + k);
		n = get32(p + k + 4);
		v = p + k + 8;
		k += 8 + n;
		switch (tag) {
		case TAG_RELEASE:
			host_set_str(tr, 0, &h->kernel_release, v, n);
			break;
		case TAG_BOOT_ID:
			host_set_str(tr, 1, &h->boot_id, v, n);
			break;
		case TAG_HOSTNAME:
			host_set_str(tr, 2, &h->hostname, v, n);
			break;
		case TAG_MACHINE:
			host_set_str(tr, 3, &h->machine, v, n);
			break;
		case TAG_VERSION:
			host_set_str(tr, 4, &h->tool_version, v, n);
			break;
		case TAG_CPUS:
			if (n < 8)
				goto bad;
			h->cpus_online = get32(v);
			h->cpus_possible = get32(v + 4);
			h->has_cpus = true;
			break;
		case TAG_CLOCK:
			if (n < 24)
				goto bad;
			h->clock_id = get32(v);
			h->realtime_offset_ns = (int64_t)get64(v + 8);
			h->start_ns = get64(v + 16);
			h->has_clock = true;
			break;
		case TAG_CMDLINE: {
			size_t argc = 0;
			char *buf = memdup_str(v, n), **argv;

			if (!buf)
				break;
			for (uint32_t i = 0; i < n; i++)
				argc += !buf[i] || i + 1 == n;
			argv = calloc(argc + 1, sizeof(*argv));
			if (!argv) {
				free(buf);
				break;
			}
			argc = 0;
			for (uint32_t i = 0; i < n; i += (uint32_t)strlen(buf + i) + 1)
				argv[argc++] = buf + i;
			free(tr->cmd_buf);
			free(tr->argv);
			tr->cmd_buf = buf;
			tr->argv = argv;
			h->argv = argv;
			h->argc = (int)argc;
			h->has_cmdline = true;
			break;
		}
		case TAG_HOOK:
			if (!hooks_reset) {
				free_hooks(tr);
				hooks_reset = true;
			}
			if (!add_hook(tr, v, n))
				goto bad;
			break;
		default:
bad:
			tr->st.skipped_tlvs++;
			break;
		}
	}
}

static void tr_reset_iter(struct it_tr *tr)
{
	tr->cur = 0;
	tr->rec_left = 0;
	tr->raw_len = tr->raw_pos = 0;
	tr->sticky = 0;
	tr->st.blocks = tr->st.records = tr->st.lost = 0;
	tr->st.aggregates = tr->st.snapshots = 0;
	tr->st.skipped_types = tr->st.skipped_short = tr->st.skipped_sections = 0;
	tr->st.damaged = 0;
}

void it_tr_close(struct it_tr *tr)
{
	if (!tr)
		return;
	if (tr->fd >= 0)
		close(tr->fd);
	free(tr->sects);
	for (int i = 0; i < 5; i++)
		free(tr->hstr[i]);
	free(tr->cmd_buf);
	free(tr->argv);
	free_hooks(tr);
	free(tr->snap);
	free(tr->pay);
	free(tr->raw);
	free(tr->ix);
	free(tr->recbuf);
	ZSTD_freeDCtx(tr->dctx);
	free(tr);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Checks of §3, in order.  0 or -errno with tr->err set. */
static int check_header(struct it_tr *tr)
{
	uint8_t h[FILE_HDR_SIZE];
	ssize_t n = pread_full(tr->fd, h, sizeof(h), 0);
	uint32_t bom;
	uint16_t major, minor;
	bool be;

	if (n < 0) {
		tr_msg(tr, "cannot read the trace: %s", strerror((int)-n));
		return (int)n;
	}
	if (n == 0) {
		tr_msg(tr, "not an irqtrail trace: the file is empty");
		return -EINVAL;
	}
	if (n >= 8 && all_zero(h, (size_t)n)) {
		tr_msg(tr, "not an irqtrail trace: the header is zeroed");
		return -EINVAL;
	}
	if ((size_t)n < sizeof(file_magic) ? memcmp(h, file_magic, (size_t)n) != 0
					    : memcmp(h, file_magic, sizeof(file_magic)) != 0) {
		tr_msg(tr, "not an irqtrail trace (bad magic)");
		return -EINVAL;
	}
	if (n < 12) {
		tr_msg(tr, "trace header is cut short (%zd of %d bytes)", n, FILE_HDR_SIZE);
		return -EINVAL;
	}
	major = get16(h + 8);
	minor = get16(h + 10);
	tr->info.major = major;
	tr->info.minor = minor;
	if (major != IT_TRACE_MAJOR) {
		if (major > IT_TRACE_MAJOR)
			tr_msg(tr, "trace format %u.%u is newer than this irqtrail (reads %d.x)",
			       major, minor, IT_TRACE_MAJOR);
		else
			tr_msg(tr, "trace format %u.%u is not supported by this irqtrail (reads %d.x)",
			       major, minor, IT_TRACE_MAJOR);
		return -EPROTONOSUPPORT;
	}
	if (n < FILE_HDR_SIZE) {
		tr_msg(tr, "trace header is cut short (%zd of %d bytes)", n, FILE_HDR_SIZE);
		return -EINVAL;
	}
	if (CRC_BAD(get32(h + 28), it_crc32c(0, h, 28))) {
		tr_msg(tr, "trace header is damaged (checksum mismatch)");
		return -EBADMSG;
	}
	bom = get32(h + 12);
	if (bom != 0x01020304 && bom != 0x04030201) {
		tr_msg(tr, "trace header is damaged (bad byte-order mark %08x)", bom);
		return -EBADMSG;
	}
	be = bom == 0x04030201;	/* bytes 01 02 03 04: written big-endian */
	tr->info.big_endian = be;
	if (be != host_big_endian()) {
		tr_msg(tr, "trace was written on a %s host; this irqtrail reads %s traces",
		       be ? "big-endian" : "little-endian", be ? "little-endian" : "big-endian");
		return -EPROTONOSUPPORT;
	}
	tr->info.header_size = get16(h + 16);
	tr->info.event_abi = get16(h + 22);
	if (tr->info.header_size < FILE_HDR_SIZE) {
		tr_msg(tr, "trace header size %u is invalid (at least %d)", tr->info.header_size,
		       FILE_HDR_SIZE);
		return -EBADMSG;
	}
	if (get16(h + 18) != REC_HDR_SIZE) {
		tr_msg(tr, "trace record header size %u is not supported (%d)", get16(h + 18),
		       REC_HDR_SIZE);
		return -EPROTONOSUPPORT;
	}
	if (get16(h + 20) != SECT_HDR_SIZE) {
		tr_msg(tr, "trace section header size %u is not supported (%d)", get16(h + 20),
		       SECT_HDR_SIZE);
		return -EPROTONOSUPPORT;
	}
	if (tr->info.header_size > tr->info.file_size) {
		tr_msg(tr, "trace header is cut short (%" PRIu64 " of %u bytes)", tr->info.file_size,
		       tr->info.header_size);
		return -EINVAL;
	}
	return 0;
}

struct it_tr *it_tr_open_fd(int fd, char *err, size_t errlen)
{
	struct it_tr *tr = calloc(1, sizeof(*tr));
	struct stat sb;
	bool footer;
	int e;

	if (errlen)
		err[0] = 0;
	if (!tr) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	tr->host.kernel_release = tr->host.boot_id = tr->host.hostname = empty;
	tr->host.machine = tr->host.tool_version = empty;
	tr->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (tr->fd < 0) {
		e = -errno;
		tr_msg(tr, "cannot use the descriptor: %s", strerror(errno));
		goto fail;
	}
	if (fstat(tr->fd, &sb)) {
		e = -errno;
		tr_msg(tr, "cannot stat the trace: %s", strerror(errno));
		goto fail;
	}
	tr->info.file_size = (uint64_t)sb.st_size;
	for (unsigned int t = 0; t < 256; t++)
		tr->minlen[t] = (uint16_t)it_event_min_len(t);
	tr->recbuf = malloc(65536 + 8);
	tr->dctx = ZSTD_createDCtx();
	if (!tr->recbuf || !tr->dctx) {
		e = -ENOMEM;
		tr_msg(tr, "out of memory");
		goto fail;
	}
	e = check_header(tr);
	if (e)
		goto fail;
	if (load_index(tr, &footer)) {
		tr->st.index_present = true;
	} else {
		tr->st.index_damaged = footer;
		tr->st.index_rebuilt = true;
		e = scan_sections(tr);
		if (e) {
			tr_msg(tr, "out of memory");
			goto fail;
		}
	}
	tr->st.sections = tr->nsects;
	for (size_t i = 0; i < tr->nsects; i++) {
		const struct sect *s = &tr->sects[i];

		if (s->type == IT_SECT_EVTB) {
			tr->st.blocks_total++;
			tr->st.records_total += s->nrec;
		} else if (s->type == IT_SECT_HOST) {
			char keep[sizeof(tr->err)];

			/* a damaged HOST is reported when iteration reaches it */
			memcpy(keep, tr->err, sizeof(keep));
			if (!load_section(tr, s, &tr->pay, &tr->pay_cap))
				parse_host(tr, tr->pay, s->len);
			memcpy(tr->err, keep, sizeof(keep));
			tr->sticky = 0;
			tr->st.damaged = 0;
		}
	}
	return tr;
fail:
	snprintf(err, errlen, "%s", tr->err);
	it_tr_close(tr);
	errno = -e;
	return NULL;
}

struct it_tr *it_tr_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct it_tr *tr;
	int e;

	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	tr = it_tr_open_fd(fd, err, errlen);
	e = errno;
	close(fd);
	if (!tr && errlen) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
		snprintf(err, errlen, "%s", tmp);
	}
	errno = e;
	return tr;
}

const struct it_tr_info *it_tr_info(const struct it_tr *tr)
{
	return &tr->info;
}

const struct it_host *it_tr_host(const struct it_tr *tr)
{
	return &tr->host;
}

const char *it_tr_error(const struct it_tr *tr)
{
	return tr->err;
}

const struct it_tr_stats *it_tr_stats(const struct it_tr *tr)
{
	return &tr->st;
}

void it_tr_set_frame_cb(struct it_tr *tr, it_tr_frame_cb cb, void *arg)
{
	tr->cb = cb;
	tr->cb_arg = arg;
}

void it_tr_pass_unknown(struct it_tr *tr, bool pass)
{
	tr->pass_unknown = pass;
}

int it_tr_rewind(struct it_tr *tr)
{
	tr_reset_iter(tr);
	return 0;
}

const void *it_tr_snapshot(struct it_tr *tr, size_t *len)
{
	size_t cap = 0;

	if (!tr->snap_loaded) {
		tr->snap_loaded = true;
		for (size_t i = 0; i < tr->nsects; i++) {
			const struct sect *s = &tr->sects[i];
			char keep[sizeof(tr->err)];
			int sticky = tr->sticky;
			uint64_t dmg = tr->st.damaged;

			if (s->type != IT_SECT_SNAP)
				continue;
			memcpy(keep, tr->err, sizeof(keep));
			if (load_section(tr, s, &tr->snap, &cap)) {
				free(tr->snap);
				tr->snap = NULL;
			} else {
				tr->snap_len = s->len;
			}
			/* damage is reported by the iteration, not here */
			memcpy(tr->err, keep, sizeof(keep));
			tr->sticky = sticky;
			tr->st.damaged = dmg;
			break;
		}
	}
	if (len)
		*len = tr->snap ? tr->snap_len : 0;
	return tr->snap;
}

/*
 * Load, verify and decompress an event block, then walk every record once
 * so that nothing of a damaged block is ever returned (§6 limits).
 */
static int load_block(struct it_tr *tr, const struct sect *s)
{
	const uint8_t *p, *z;
	uint32_t bhl, nrec, raw_len;
	uint64_t first, last, prev, ts0 = 0;
	unsigned long long fcs;
	size_t zlen, pos = 0, got;
	int e;

	if ((e = load_section(tr, s, &tr->pay, &tr->pay_cap)))
		return e;
	p = tr->pay;
	if (s->len < BLK_HDR_SIZE || (bhl = get16(p)) < BLK_HDR_SIZE || bhl > s->len) {
		damaged(tr, s, "block header too short");
		return tr->sticky;
	}
	if (p[2] != CODEC_ZSTD || p[3] != ENCODING_V1) {
		damaged(tr, s, "unsupported codec %u / record encoding %u", p[2], p[3]);
		return tr->sticky;
	}
	nrec = get32(p + 4);
	raw_len = get32(p + 8);
	first = get64(p + 16);
	last = get64(p + 24);
	if (!nrec || raw_len > MAX_RAW_LEN || nrec > raw_len / REC_MIN_ENC) {
		damaged(tr, s, "implausible block: %u records in %u bytes", nrec, raw_len);
		return tr->sticky;
	}
	if (first != s->ts) {
		damaged(tr, s, "block first timestamp disagrees with its section");
		return tr->sticky;
	}
	z = p + bhl;
	zlen = s->len - bhl;
	fcs = ZSTD_getFrameContentSize(z, zlen);
	if (fcs != raw_len) {
		damaged(tr, s, "zstd frame content size does not match the block header");
		return tr->sticky;
	}
	if (grow(&tr->raw, &tr->raw_cap, raw_len)) {
		tr->sticky = -ENOMEM;
		tr_msg(tr, "out of memory for a %u-byte block", raw_len);
		return -ENOMEM;
	}
	got = ZSTD_decompressDCtx(tr->dctx, tr->raw, raw_len, z, zlen);
	if (ZSTD_isError(got) || got != raw_len) {
		damaged(tr, s, "zstd: %s", ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short output");
		return tr->sticky;
	}
	if (tr->ix_cap < nrec) {
		struct rec_ix *ix = realloc(tr->ix, (size_t)nrec * sizeof(*ix));

		if (!ix) {
			tr->sticky = -ENOMEM;
			tr_msg(tr, "out of memory for the index of a %u-record block", nrec);
			return -ENOMEM;
		}
		tr->ix = ix;
		tr->ix_cap = nrec;
	}
	prev = first;
	for (uint32_t i = 0; i < nrec; i++) {
		const uint8_t *pl;
		const char *why;
		size_t n = dec_record(tr->raw + pos, raw_len - pos, &prev, &tr->ix[i].h, &pl, &why);

		if (!n) {
			damaged(tr, s, "record %u of %u at byte %zu: %s", i, nrec, pos, why);
			return tr->sticky;
		}
		tr->ix[i].off = (uint32_t)(pl - tr->raw);
		pos += n;
	}
	ts0 = tr->ix[0].h.ts;
	if (pos != raw_len) {
		damaged(tr, s, "%zu bytes left after the last record", raw_len - pos);
		return tr->sticky;
	}
	if (ts0 != first || prev != last) {
		damaged(tr, s, "record timestamps disagree with the block header");
		return tr->sticky;
	}
	tr->raw_len = raw_len;
	tr->raw_pos = 0;
	tr->rec_left = nrec;
	tr->ix_pos = 0;
	tr->prev_ts = first;
	tr->blk_off = s->off;
	tr->st.blocks++;
	return 0;
}

int it_tr_next_item(struct it_tr *tr, struct it_tr_item *it)
{
	if (tr->sticky)
		return tr->sticky;
	for (;;) {
		const struct sect *s;

		while (tr->rec_left) {
			const struct rec_ix *x = &tr->ix[tr->ix_pos++];
			const struct it_hdr *hp = &x->h;
			const uint8_t *pl = tr->raw + x->off;
			unsigned int min;

			tr->rec_left--;
			min = tr->minlen[hp->type];
			if (!min && !tr->pass_unknown) {
				tr->st.skipped_types++;
				continue;
			}
			if (min && hp->len < min) {
				tr->st.skipped_short++;
				continue;
			}
			memcpy(tr->recbuf, hp, sizeof(*hp));
			memcpy((uint8_t *)tr->recbuf + REC_HDR_SIZE, pl, hp->len - REC_HDR_SIZE);
			it->kind = IT_TR_RECORD;
			it->ts = hp->ts;
			it->rec = (const struct it_hdr *)tr->recbuf;
			it->data = NULL;
			it->len = 0;
			it->lost = 0;
			it->offset = tr->blk_off;
			if (hp->type == IT_EV_LOST && min) {
				it->kind = IT_TR_LOST;
				it->lost = ((const struct it_lost *)tr->recbuf)->lost;
				tr->st.lost += it->lost;
			}
			tr->st.records++;
			return 1;
		}
		if (tr->cur >= tr->nsects)
			return 0;
		s = &tr->sects[tr->cur++];
		switch (s->type) {
		case IT_SECT_EVTB:
			if (load_block(tr, s))
				return tr->sticky;
			break;
		case IT_SECT_HOST:
			/* parsed at open; verified again here so damage stops replay in place */
			if (load_section(tr, s, &tr->pay, &tr->pay_cap))
				return tr->sticky;
			break;
		case IT_SECT_SNAP:
		case IT_SECT_AGGR:
			if (load_section(tr, s, &tr->pay, &tr->pay_cap))
				return tr->sticky;
			memset(it, 0, sizeof(*it));
			it->kind = s->type == IT_SECT_SNAP ? IT_TR_SNAPSHOT : IT_TR_AGGREGATE;
			it->ts = s->ts;
			it->data = tr->pay;
			it->len = s->len;
			it->offset = s->off;
			if (s->type == IT_SECT_SNAP)
				tr->st.snapshots++;
			else
				tr->st.aggregates++;
			return 1;
		default:
			tr->st.skipped_sections++;
			break;
		}
	}
}

int it_tr_next(struct it_tr *tr, const struct it_hdr **rec)
{
	struct it_tr_item it;
	int r;

	while ((r = it_tr_next_item(tr, &it)) > 0) {
		if (it.kind == IT_TR_RECORD || it.kind == IT_TR_LOST) {
			*rec = it.rec;
			return 1;
		}
		if (tr->cb) {
			int c = tr->cb(&it, tr->cb_arg);

			if (c < 0)
				return c;
		}
	}
	return r;
}

/* ------------------------------------------------------------------ dump */

static void fmt_ts(char *buf, size_t len, uint64_t ts)
{
	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, (uint64_t)(ts / 1000000000u), (uint64_t)(ts % 1000000000u));
}

static void dump_host(const struct it_host *h, FILE *out)
{
	fprintf(out, "host facts:\n");
	fprintf(out, "  kernel release  %s\n", h->kernel_release);
	fprintf(out, "  machine         %s\n", h->machine);
	fprintf(out, "  hostname        %s\n", h->hostname);
	fprintf(out, "  boot id         %s\n", h->boot_id);
	fprintf(out, "  tool version    %s\n", h->tool_version);
	if (h->has_cpus)
		fprintf(out, "  cpus            %u online, %u possible\n", h->cpus_online,
			h->cpus_possible);
	if (h->has_clock) {
		char b[32];

		fmt_ts(b, sizeof(b), h->start_ns);
		fprintf(out, "  clock           %s (id %u), start %s, realtime offset %" PRId64 " ns\n",
			h->clock_id == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC" : "unknown", h->clock_id,
			b, h->realtime_offset_ns);
	}
	if (h->has_cmdline) {
		fprintf(out, "  command line   ");
		for (int i = 0; i < h->argc; i++)
			fprintf(out, " %s", h->argv[i]);
		fprintf(out, "\n");
	}
	fprintf(out, "  hooks           %zu\n", h->nhooks);
	for (size_t i = 0; i < h->nhooks; i++) {
		const struct it_hook_info *k = &h->hooks[i];

		fprintf(out, "    %-32s hop %-12s tier %-10s %s%s%s\n", k->hook, k->hop, k->tier,
			k->attached ? "attached" : "NOT attached", *k->reason ? ": " : "", k->reason);
	}
}

/* Walk the records of the block just loaded, counting them by type. */
static void dump_count(struct it_tr *tr, uint64_t *counts, uint64_t *lost)
{
	while (tr->rec_left) {
		struct it_hdr h;
		const uint8_t *pl;
		const char *why;
		size_t n = dec_record(tr->raw + tr->raw_pos, tr->raw_len - tr->raw_pos,
				      &tr->prev_ts, &h, &pl, &why);
		unsigned int min;

		if (!n)
			break;
		tr->raw_pos += n;
		tr->rec_left--;
		counts[h.type]++;
		min = it_event_min_len(h.type);
		if (!min)
			tr->st.skipped_types++;
		else if (h.len < min)
			tr->st.skipped_short++;
		else if (h.type == IT_EV_LOST) {
			struct it_lost l;

			memcpy(&l.h, &h, sizeof(h));
			memcpy((uint8_t *)&l + REC_HDR_SIZE, pl, sizeof(l) - REC_HDR_SIZE);
			*lost += l.lost;
		}
	}
}

int it_tr_dump(const char *path, FILE *out)
{
	char err[512], a[32], b[32];
	struct it_tr *tr = it_tr_open(path, err, sizeof(err));
	const struct it_tr_info *in;
	const struct it_tr_stats *st;
	uint64_t counts[256] = { 0 };
	uint64_t comp = 0, raw = 0, nrec = 0, lost = 0, nsect = 0;
	bool bad = false;

	if (!tr) {
		int e = errno ? -errno : -EINVAL;

		fprintf(out, "%s\n", err);
		return e;
	}
	in = &tr->info;
	fprintf(out, "file: %s, %" PRIu64 " bytes\n", path, in->file_size);
	fprintf(out, "header: irqtrail trace format %u.%u, %s-endian payloads, header %u B, "
		"record header %d B, section header %d B, event ABI %u, checksum ok\n",
		in->major, in->minor, in->big_endian ? "big" : "little", in->header_size,
		REC_HDR_SIZE, SECT_HDR_SIZE, in->event_abi);
	dump_host(&tr->host, out);
	fprintf(out, "sections:\n");
	fprintf(out, "  %5s %12s %-6s %10s  %s\n", "seq", "offset", "type", "length", "details");
	for (size_t i = 0; i < tr->nsects; i++) {
		const struct sect *s = &tr->sects[i];
		const char *name = sect_name(s->type);
		char unk[16];
		int e;

		if (!name) {
			snprintf(unk, sizeof(unk), "0x%04x", s->type);
			name = unk;
		}
		fprintf(out, "  %5u %12" PRIu64 " %-6s %10u  ", s->seq, s->off, name, s->len);
		fmt_ts(a, sizeof(a), s->ts);
		e = s->type == IT_SECT_EVTB ? load_block(tr, s)
					    : load_section(tr, s, &tr->pay, &tr->pay_cap);
		if (e) {
			fprintf(out, "DAMAGED: %s\n", tr->err);
			bad = true;
			break;
		}
		nsect++;
		switch (s->type) {
		case IT_SECT_EVTB:
			fmt_ts(b, sizeof(b), get64(tr->pay + 24));
			nrec += tr->rec_left;
			fprintf(out, "records %u, raw %zu B (%.1fx), ts %s..%s, crc ok\n",
				tr->rec_left, tr->raw_len, (double)tr->raw_len / s->len, a, b);
			dump_count(tr, counts, &lost);
			comp += SECT_HDR_SIZE + s->len;
			raw += tr->raw_len;
			break;
		case IT_SECT_AGGR:
			fprintf(out, "aggregate frame, ts %s, crc ok\n", a);
			break;
		case IT_SECT_SNAP:
			fprintf(out, "snapshot, ts %s, crc ok\n", a);
			break;
		case IT_SECT_HOST:
			fprintf(out, "host facts, crc ok\n");
			break;
		default:
			tr->st.skipped_sections++;
			fprintf(out, "unknown section type, skipped\n");
			break;
		}
	}
	st = &tr->st;
	if (st->index_present)
		fprintf(out, "index: present, %zu entries, consistent\n", tr->nsects);
	else if (st->index_damaged)
		fprintf(out, "index: DAMAGED (the trace was closed, but its index or footer is unusable); rebuilt by scanning\n");
	else
		fprintf(out, "index: absent (trace not closed cleanly); rebuilt by scanning\n");
	if (st->tail_bytes) {
		fprintf(out, "tail: %" PRIu64 " bytes at offset %" PRIu64 " are not part of the trace\n",
			st->tail_bytes, st->tail_offset);
		bad = true;
	}
	if (st->index_damaged)
		bad = true;
	fprintf(out, "totals: %" PRIu64 " of %" PRIu64 " sections verified, %" PRIu64 " of %" PRIu64
		" blocks, %" PRIu64 " records", nsect, st->sections, st->blocks, st->blocks_total, nrec);
	if (nrec)
		fprintf(out, ", %.2f bytes/record on disk (%.2f encoded)", (double)comp / (double)nrec,
			(double)raw / (double)nrec);
	fprintf(out, "\n");
	fprintf(out, "skipped: %" PRIu64 " records of unknown types, %" PRIu64 " short records, %"
		PRIu64 " unknown sections, %" PRIu64 " unknown host facts\n",
		st->skipped_types, st->skipped_short, st->skipped_sections, st->skipped_tlvs);
	fprintf(out, "damaged: %" PRIu64 "; lost events recorded: %" PRIu64 "\n", st->damaged, lost);
	fprintf(out, "records by type:\n");
	for (int t = 0; t < 256; t++) {
		const char *n;

		if (!counts[t])
			continue;
		n = it_event_type_name((unsigned int)t);
		fprintf(out, "  %3d %-24s %" PRIu64 "%s\n", t, n ? n : "(unknown)", counts[t],
			n ? "" : " (skipped)");
	}
	if (bad && *tr->err)
		fprintf(out, "problem: %s\n", tr->err);
	it_tr_close(tr);
	return bad ? 1 : 0;
}
