// SPDX-License-Identifier: GPL-2.0-only
#include <math.h>
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

static bool reserve(struct it_json *j, size_t n)
{
	if (j->len + n + 1 <= j->cap)
		return true;
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

static void put(struct it_json *j, const char *s, size_t n)
{
	if (!reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = 0;
}

static void putc_(struct it_json *j, char c)
{
	if (!reserve(j, 1))
		return;
	j->buf[j->len++] = c;
	j->buf[j->len] = 0;
}

/* separator before a value (or key) at the current depth */
static void sep(struct it_json *j)
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

	if (j->oom || (j->len && fwrite(j->buf, 1, j->len, f) != j->len))
		ret = -1;
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

static void quoted(struct it_json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	putc_(j, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			putc_(j, '\\');
			putc_(j, (char)c);
		} else if (c == '\n') {
			put(j, "\\n", 2);
		} else if (c == '\t') {
			put(j, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(j, u, 6);
		} else {
			putc_(j, (char)c);
		}
	}
	putc_(j, '"');
}

void jw_key(struct it_json *j, const char *key)
{
	sep(j);
	quoted(j, key, strlen(key));
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

void jw_u64(struct it_json *j, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	sep(j);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(j, tmp + i, sizeof(tmp) - i);
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
