// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <math.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

void jw_init(struct it_json *j)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = true;
}

void jw_free(struct it_json *j)
{
	free(j->buf);
	jw_init(j);
}

void jw_reset(struct it_json *j)
{
	j->len = 0;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

static bool reserve_slow(struct it_json *j, size_t n);

static inline bool reserve(struct it_json *j, size_t n)
{
	if (__builtin_expect(j->len + n + 1 <= j->cap, 1))
		return true;
	return reserve_slow(j, n);
}

static bool reserve_slow(struct it_json *j, size_t n)
{
	size_t cap = j->cap ? j->cap : 256;
	while (cap < j->len + n + 1)
		cap *= 2;
	char *b = realloc(j->buf, cap);
	if (!b) {
		j->oom = true;
		return false;
	}
	j->buf = b;
	j->cap = cap;
	return true;
}

static inline void put(struct it_json *j, const char *s, size_t n)
{
	if (!reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = 0;
}

static inline void putc_(struct it_json *j, char c)
{
	if (!reserve(j, 1))
		return;
	j->buf[j->len++] = c;
	j->buf[j->len] = 0;
}

/* separator before a value (or key) at the current depth */
static inline void sep(struct it_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		putc_(j, ',');
	j->first[j->depth] = false;
}

int jw_flush(struct it_json *j, FILE *f)
{
	int ret = 0;

	if (j->oom) {
		ret = -1;
	} else if (j->len >= 65536 && !fflush(f)) {
		/* a big buffer goes straight to the fd, not through stdio's */
		const char *p = j->buf;
		size_t left = j->len;

		while (left) {
			ssize_t n = write(fileno(f), p, left);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				ret = -1;
				break;
			}
			p += n;
			left -= (size_t)n;
		}
	} else if (j->len && fwrite(j->buf, 1, j->len, f) != j->len) {
		ret = -1;
	}
	jw_reset(j);
	j->oom = false;
	return ret;
}

static void open_(struct it_json *j, char c)
{
	sep(j);
	putc_(j, c);
	if (j->depth < IT_JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct it_json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	putc_(j, c);
}

void jw_obj_begin(struct it_json *j) { open_(j, '{'); }
void jw_obj_end(struct it_json *j) { close_(j, '}'); }
void jw_arr_begin(struct it_json *j) { open_(j, '['); }
void jw_arr_end(struct it_json *j) { close_(j, ']'); }

/* Length of a valid UTF-8 sequence at s (RFC 3629), 0 when there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t l;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		l = 2;
	else if (c >= 0xe0 && c <= 0xef)
		l = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		l = 4;
	else
		return 0;
	if (n < l)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < l; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return l;
}

static void quoted(struct it_json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	putc_(j, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t run = i;

		while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7f &&
		       s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			put(j, s + i, run - i);
			i = run - 1;
			continue;
		}
		if (c == '"' || c == '\\') {
			putc_(j, '\\');
			putc_(j, (char)c);
		} else if (c == '\n') {
			put(j, "\\n", 2);
		} else if (c == '\t') {
			put(j, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f ||
			   (c >= 0x80 && !utf8_len((const unsigned char *)s + i, n - i))) {
			/* control characters, and bytes that are not UTF-8 */
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(j, u, 6);
		} else if (c >= 0x80) {
			size_t l = utf8_len((const unsigned char *)s + i, n - i);
			put(j, s + i, l);
			i += l - 1;
		} else {
			putc_(j, (char)c);
		}
	}
	putc_(j, '"');
}

static inline bool plain_key(const char *k, size_t kl)
{
	for (size_t i = 0; i < kl; i++)
		if ((unsigned char)k[i] < 0x20 || k[i] == '"' || k[i] == '\\' || (unsigned char)k[i] >= 0x7f)
			return false;
	return true;
}

static inline bool key_fast(struct it_json *j, const char *k, size_t kl, size_t extra)
{
	if (!plain_key(k, kl)) {
		jw_key(j, k);	/* escapes */
		j->after_key = false;	/* the caller writes the value itself */
		return reserve(j, extra);
	}
	if (!reserve(j, kl + extra + 4))
		return false;
	char *b = j->buf + j->len;
	if (j->after_key) {
		j->after_key = false;
	} else {
		if (!j->first[j->depth])
			*b++ = ',';
		j->first[j->depth] = false;
	}
	*b++ = '"';
	memcpy(b, k, kl);
	b += kl;
	*b++ = '"';
	*b++ = ':';
	j->len = (size_t)(b - j->buf);
	return true;
}

void jw_key(struct it_json *j, const char *key)
{
	size_t n = strlen(key);

	if (plain_key(key, n)) {
		key_fast(j, key, n, 0);
		j->after_key = true;
		return;
	}
	sep(j);
	quoted(j, key, n);
	putc_(j, ':');
	j->after_key = true;
}

void jw_str(struct it_json *j, const char *s)
{
	jw_strn(j, s, strlen(s));
}

void jw_strn(struct it_json *j, const char *s, size_t n)
{
	sep(j);
	quoted(j, s, strnlen(s, n));
}

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Decimal digits of v at the end of tmp[24]; returns the first index. */
static inline int u64_digits(char tmp[24], uint64_t v)
{
	int i = 24;

	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);
		v /= 100;
		tmp[--i] = digits2[2 * r + 1];
		tmp[--i] = digits2[2 * r];
	}
	if (v >= 10) {
		tmp[--i] = digits2[2 * v + 1];
		tmp[--i] = digits2[2 * v];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	return i;
}

void jw_u64(struct it_json *j, uint64_t v)
{
	char tmp[24];
	int i = u64_digits(tmp, v);

	sep(j);
	put(j, tmp + i, 24 - (size_t)i);
}

/* sep + "key": with one capacity check for the key and extra bytes */
void jw_ku64(struct it_json *j, const char *k, uint64_t v)
{
	char tmp[24];
	int i = u64_digits(tmp, v);
	size_t n = 24 - (size_t)i;

	if (!key_fast(j, k, strlen(k), n))
		return;
	memcpy(j->buf + j->len, tmp + i, n);
	j->len += n;
	j->buf[j->len] = 0;
}

void jw_ki64(struct it_json *j, const char *k, int64_t v)
{
	if (v >= 0) {
		jw_ku64(j, k, (uint64_t)v);
		return;
	}
	char tmp[24];
	int i = u64_digits(tmp, (uint64_t)0 - (uint64_t)v);
	size_t n = 24 - (size_t)i;

	if (!key_fast(j, k, strlen(k), n + 1))
		return;
	j->buf[j->len++] = '-';
	memcpy(j->buf + j->len, tmp + i, n);
	j->len += n;
	j->buf[j->len] = 0;
}

void jw_kbool(struct it_json *j, const char *k, bool v)
{
	if (!key_fast(j, k, strlen(k), 5))
		return;
	memcpy(j->buf + j->len, v ? "true" : "false", v ? 4 : 5);
	j->len += v ? 4 : 5;
	j->buf[j->len] = 0;
}

void jw_kstr(struct it_json *j, const char *k, const char *v)
{
	jw_key(j, k);
	if (v)
		jw_str(j, v);
	else
		jw_null(j);
}

void jw_i64(struct it_json *j, int64_t v)
{
	if (v < 0) {
		sep(j);
		putc_(j, '-');
		j->after_key = true;	/* the digits follow without a separator */
		jw_u64(j, (uint64_t)0 - (uint64_t)v);
		return;
	}
	jw_u64(j, (uint64_t)v);
}

void jw_double(struct it_json *j, double v)
{
	char tmp[40];

	if (!isfinite(v)) {
		jw_null(j);
		return;
	}
	sep(j);
	int n = snprintf(tmp, sizeof(tmp), "%.6g", v);
	put(j, tmp, (size_t)n);
}

void jw_bool(struct it_json *j, bool v)
{
	sep(j);
	if (v)
		put(j, "true", 4);
	else
		put(j, "false", 5);
}

void jw_null(struct it_json *j)
{
	sep(j);
	put(j, "null", 4);
}

void jw_raw(struct it_json *j, const char *s)
{
	put(j, s, strlen(s));
	/* a new top-level value may follow (JSON lines) */
	j->first[0] = true;
}

void jw_nl(struct it_json *j)
{
	if (!reserve(j, 1))
		return;
	j->buf[j->len++] = '\n';
	j->buf[j->len] = 0;
	j->first[0] = true;
}

char *jw_room(struct it_json *j, size_t n)
{
	if (!reserve(j, n))
		return NULL;
	return j->buf + j->len;
}

/* Exactly 8 decimal digits of v < 10^8, in 32-bit arithmetic. */
static inline void put8(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	*(jw_u16u *)p = *(const jw_u16u *)(digits2 + 2 * (hi / 100));
	*(jw_u16u *)(p + 2) = *(const jw_u16u *)(digits2 + 2 * (hi % 100));
	*(jw_u16u *)(p + 4) = *(const jw_u16u *)(digits2 + 2 * (lo / 100));
	*(jw_u16u *)(p + 6) = *(const jw_u16u *)(digits2 + 2 * (lo % 100));
}

/* 1..8 digits of v < 10^8, no leading zeros. */
static inline char *put_u32_short(char *p, uint32_t v)
{
	char tmp[24] = { 0 };
	int n;

	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		*(jw_u16u *)p = *(const jw_u16u *)(digits2 + 2 * v);
		return p + 2;
	}
	put8(tmp + 8, v);
	n = v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : 8;
	*(jw_u64u *)p = *(const jw_u64u *)(tmp + 16 - n);	/* n bytes kept, the rest is scratch */
	return p + n;
}

/* Decimal v: at most 20 bytes, and up to 8 bytes of scratch after them. */
char *jp_u64(char *p, uint64_t v)
{
	if (v < 100000000u)
		return put_u32_short(p, (uint32_t)v);
	if (v < 10000000000000000ull) {
		p = put_u32_short(p, (uint32_t)(v / 100000000u));
		put8(p, (uint32_t)(v % 100000000u));
		return p + 8;
	}
	p = put_u32_short(p, (uint32_t)(v / 10000000000000000ull));
	v %= 10000000000000000ull;
	put8(p, (uint32_t)(v / 100000000u));
	put8(p + 8, (uint32_t)(v % 100000000u));
	return p + 16;
}

char *jp_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return jp_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return jp_u64(p, (uint64_t)v);
}
