/* SPDX-License-Identifier: GPL-2.0-only */
/* A small JSON writer into a growing buffer, shared by every -j output. */
#ifndef IRQTRAIL_JSON_H
#define IRQTRAIL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IT_JSON_MAX_DEPTH 32

struct it_json {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[IT_JSON_MAX_DEPTH];	/* nothing written yet at this depth */
	bool after_key;
	bool oom;
};

void jw_init(struct it_json *j);
void jw_free(struct it_json *j);
void jw_reset(struct it_json *j);		/* empty the buffer, keep memory */
int jw_flush(struct it_json *j, FILE *f);	/* write and reset; -1 on error */

void jw_obj_begin(struct it_json *j);
void jw_obj_end(struct it_json *j);
void jw_arr_begin(struct it_json *j);
void jw_arr_end(struct it_json *j);
void jw_key(struct it_json *j, const char *key);
void jw_str(struct it_json *j, const char *s);
void jw_strn(struct it_json *j, const char *s, size_t n);
void jw_u64(struct it_json *j, uint64_t v);
void jw_i64(struct it_json *j, int64_t v);
void jw_double(struct it_json *j, double v);
void jw_bool(struct it_json *j, bool v);
void jw_null(struct it_json *j);
void jw_raw(struct it_json *j, const char *s);	/* a newline, for JSON lines */

/* key + value in one call (the hot path of every -j output) */
void jw_kstr(struct it_json *j, const char *k, const char *v);	/* NULL v: null */
void jw_ku64(struct it_json *j, const char *k, uint64_t v);
void jw_ki64(struct it_json *j, const char *k, int64_t v);
void jw_kbool(struct it_json *j, const char *k, bool v);
static inline void jw_kdouble(struct it_json *j, const char *k, double v) { jw_key(j, k); jw_double(j, v); }

/*
 * Raw fast path for the hot records: jw_room() reserves n bytes at the end
 * of the buffer (NULL when out of memory), the caller writes at most n
 * bytes with the jp_* helpers and jw_commit()s the new end.  No separators
 * or nesting are tracked: callers write whole values.
 */
char *jw_room(struct it_json *j, size_t n);
static inline void jw_commit(struct it_json *j, char *end)
{
	j->len = (size_t)(end - j->buf);
	j->buf[j->len] = 0;
}
/* Unaligned word access that ASan checks inline (gcc turns memcpy into a
 * call to ASan's interceptor, which was a third of the stream's time). */
typedef uint64_t jw_u64u __attribute__((may_alias, aligned(1)));
typedef uint16_t jw_u16u __attribute__((may_alias, aligned(1)));

/* n bytes of s at p (8 at a time), returns the new end */
static inline char *jp_copy(char *p, const char *s, size_t n)
{
	while (n >= 8) {
		*(jw_u64u *)p = *(const jw_u64u *)s;
		p += 8;
		s += 8;
		n -= 8;
	}
	while (n--)
		*p++ = *s++;
	return p;
}

/* a string literal, without its NUL */
#define JP_LIT(p, lit) jp_copy((p), (lit), sizeof(lit) - 1)
/* a newline after a JSON-lines value (jw_raw(j, "\n") without strlen/memcpy) */
void jw_nl(struct it_json *j);
/* decimal; at most 20 (21 signed) bytes, and they may scribble up to 8
 * bytes past the end they return: reserve 30 bytes a number */
char *jp_u64(char *p, uint64_t v);
char *jp_i64(char *p, int64_t v);

#endif
