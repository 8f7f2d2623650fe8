// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of src/json.c, the JSON writer behind every -j output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "json.h"

/* The writer's buffer as a C string ("" when nothing was written). */
static const char *out(const struct it_json *j)
{
	return j->len ? j->buf : "";
}

static void expect(const struct it_json *j, const char *want)
{
	assert_false(j->oom);
	assert_int_equal(j->len, strlen(want));
	assert_string_equal(out(j), want);
}

static void test_empty_containers(void **state)
{
	struct it_json j;

	(void)state;
	jw_init(&j);
	expect(&j, "");
	jw_obj_begin(&j);
	jw_obj_end(&j);
	expect(&j, "{}");
	jw_reset(&j);
	jw_arr_begin(&j);
	jw_arr_end(&j);
	expect(&j, "[]");
	jw_free(&j);
}

static void test_nesting_and_commas(void **state)
{
	struct it_json j;

	(void)state;
	jw_init(&j);
	jw_obj_begin(&j);
	jw_key(&j, "a");
	jw_arr_begin(&j);
	jw_u64(&j, 1);
	jw_obj_begin(&j);
	jw_key(&j, "b");
	jw_arr_begin(&j);
	jw_arr_end(&j);
	jw_obj_end(&j);
	jw_arr_begin(&j);
	jw_arr_end(&j);
	jw_obj_begin(&j);
	jw_obj_end(&j);
	jw_arr_end(&j);
	jw_key(&j, "c");
	jw_obj_begin(&j);
	jw_key(&j, "d");
	jw_null(&j);
	jw_key(&j, "e");
	jw_bool(&j, false);
	jw_obj_end(&j);
	jw_ku64(&j, "f", 7);
	jw_obj_end(&j);
	expect(&j, "{\"a\":[1,{\"b\":[]},[],{}],\"c\":{\"d\":null,\"e\":false},\"f\":7}");
	jw_free(&j);
}

static void test_every_value_kind_in_array(void **state)
{
	struct it_json j;

	(void)state;
	jw_init(&j);
	jw_arr_begin(&j);
	jw_u64(&j, 1);
	jw_i64(&j, -2);
	jw_i64(&j, 3);
	jw_bool(&j, true);
	jw_bool(&j, false);
	jw_null(&j);
	jw_str(&j, "x");
	jw_strn(&j, "yz", 2);
	jw_double(&j, 1.5);
	jw_double(&j, NAN);
	jw_i64(&j, -4);
	jw_arr_end(&j);
	expect(&j, "[1,-2,3,true,false,null,\"x\",\"yz\",1.5,null,-4]");
	jw_free(&j);
}

static void test_keyed_helpers(void **state)
{
	struct it_json j;

	(void)state;
	jw_init(&j);
	jw_obj_begin(&j);
	jw_kstr(&j, "s", "v");
	jw_kstr(&j, "n", NULL);
	jw_ku64(&j, "u", 42);
	jw_ki64(&j, "i", -42);
	jw_ki64(&j, "j", -1);
	jw_kbool(&j, "b", true);
	jw_kdouble(&j, "d", 0.25);
	jw_kdouble(&j, "inf", INFINITY);
	jw_ku64(&j, "z", 0);
	jw_obj_end(&j);
	expect(&j, "{\"s\":\"v\",\"n\":null,\"u\":42,\"i\":-42,\"j\":-1,\"b\":true,"
		   "\"d\":0.25,\"inf\":null,\"z\":0}");
	jw_free(&j);
}

static void test_deep_nesting(void **state)
{
	struct it_json j;
	char want[128];
	int depth = 20, o = 0;

	(void)state;
	/* [0,[1,[2,...[19]...]]] */
	jw_init(&j);
	for (int i = 0; i < depth; i++) {
		if (i)
			want[o++] = ',';
		jw_arr_begin(&j);
		jw_u64(&j, (uint64_t)i);
		o += snprintf(want + o, sizeof(want) - (size_t)o, "[%d", i);
	}
	for (int i = 0; i < depth; i++) {
		jw_arr_end(&j);
		want[o++] = ']';
	}
	want[o] = 0;
	expect(&j, want);
	jw_free(&j);
}

/* Decode one JSON string literal at s (pointing at its opening quote) into
 * dst; returns its length or -1 when it is not a valid JSON string. */
static int unquote(const char *s, char *dst, size_t cap, const char **end)
{
	size_t n = 0;

	if (*s++ != '"')
		return -1;
	for (;;) {
		unsigned char c = (unsigned char)*s++;
		unsigned int v = 0;

		if (c == '"')
			break;
		if (c < 0x20)
			return -1;	/* raw control characters are invalid */
		if (c == '\\') {
			c = (unsigned char)*s++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				for (int k = 0; k < 4; k++) {
					char h = *s++;

					v <<= 4;
					if (h >= '0' && h <= '9')
						v |= (unsigned int)(h - '0');
					else if (h >= 'a' && h <= 'f')
						v |= (unsigned int)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F')
						v |= (unsigned int)(h - 'A' + 10);
					else
						return -1;
				}
				if (v > 0x7f)
					return -1;	/* the writer only escapes ASCII */
				c = (unsigned char)v;
				break;
			default:
				return -1;
			}
		}
		if (n + 1 >= cap)
			return -1;
		dst[n++] = (char)c;
	}
	dst[n] = 0;
	if (end)
		*end = s;
	return (int)n;
}

static void test_escaping_round_trip(void **state)
{
	struct it_json j;
	char in[160], dec[160];
	const char *end;
	size_t n = 0;

	(void)state;
	for (int c = 1; c < 0x80; c++)
		in[n++] = (char)c;
	in[n++] = (char)0xC3;	/* UTF-8 e-acute passes through */
	in[n++] = (char)0xA9;
	in[n] = 0;

	jw_init(&j);
	jw_str(&j, in);
	assert_false(j.oom);
	assert_int_equal(unquote(j.buf, dec, sizeof(dec), &end), (int)n);
	assert_memory_equal(dec, in, n + 1);
	assert_ptr_equal(end, j.buf + j.len);
	/* no raw control character and no raw DEL in the output */
	for (size_t i = 0; i < j.len; i++) {
		unsigned char c = (unsigned char)j.buf[i];

		assert_true(c >= 0x20);
		assert_true(c != 0x7f);
	}
	jw_free(&j);
}

static void test_escaping_exact(void **state)
{
	struct it_json j;

	(void)state;
	jw_init(&j);
	jw_str(&j, "a\"b\\c\nd\te\x01" "f\x1f" "g/");
	expect(&j, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u001fg/\"");
	jw_reset(&j);
	/* keys are escaped like values */
	jw_obj_begin(&j);
	jw_kstr(&j, "k\"1", "\x7f");
	jw_obj_end(&j);
	expect(&j, "{\"k\\\"1\":\"\\u007f\"}");
	jw_reset(&j);
	jw_str(&j, "");
	expect(&j, "\"\"");
	jw_free(&j);
}

/* RFC 3629 well-formedness (no overlongs, no surrogates, nothing above U+10FFFF). */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i], lo = 0x80, hi = 0xBF;
		size_t len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			len = 2;
		else if (c >= 0xE0 && c <= 0xEF)
			len = 3;
		else if (c >= 0xF0 && c <= 0xF4)
			len = 4;
		else
			return false;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		else if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return false;
		i += len;
	}
	return true;
}

/*
 * JSON text must be UTF-8 (RFC 8259 section 8.1).  Names irqtrail prints come
 * from the kernel and from a VMM's memory (VFIO device names), so they may
 * hold any byte: the writer must never pass an ill-formed sequence through.
 */
static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff",
		"a\xc3",			/* truncated 2-byte sequence */
		"\xc0\xaf",		/* overlong '/' */
		"\xed\xa0\x80",		/* UTF-16 surrogate */
		"\xf4\x90\x80\x80",	/* above U+10FFFF */
		"\x80x",			/* stray continuation byte */
		"0000:3b:00.0\xfe",
	};
	struct it_json j;

	(void)state;
	jw_init(&j);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok;

		jw_reset(&j);
		jw_str(&j, bad[i]);
		ok = !j.oom && valid_utf8((const unsigned char *)j.buf, j.len);
		if (!ok) {
			jw_free(&j);
			fail_msg("case %zu: the output is not well-formed UTF-8", i);
		}
	}
	/* well-formed multi-byte text is kept as it is */
	jw_reset(&j);
	jw_str(&j, "\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9");
	expect(&j, "\"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9\"");
	jw_free(&j);
}

static void test_strn_bounds(void **state)
{
	struct it_json j;
	char raw[4] = { 'a', 'b', 'c', 'd' };	/* no NUL: strn must stop at n */

	(void)state;
	jw_init(&j);
	jw_strn(&j, raw, sizeof(raw));
	expect(&j, "\"abcd\"");
	jw_reset(&j);
	jw_strn(&j, "abcdef", 3);
	expect(&j, "\"abc\"");
	jw_reset(&j);
	jw_strn(&j, "ab\0cd", 5);		/* stops at the NUL */
	expect(&j, "\"ab\"");
	jw_reset(&j);
	jw_strn(&j, "xyz", 0);
	expect(&j, "\"\"");
	jw_free(&j);
}

static void test_integer_limits(void **state)
{
	struct it_json j;

	(void)state;
	jw_init(&j);
	jw_obj_begin(&j);
	jw_ki64(&j, "min", INT64_MIN);
	jw_ki64(&j, "max", INT64_MAX);
	jw_ku64(&j, "umax", UINT64_MAX);
	jw_ki64(&j, "zero", 0);
	jw_ku64(&j, "uzero", 0);
	jw_ki64(&j, "m1", -1);
	jw_ku64(&j, "ten", 10);
	jw_obj_end(&j);
	expect(&j, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
		   "\"umax\":18446744073709551615,\"zero\":0,\"uzero\":0,\"m1\":-1,\"ten\":10}");
	jw_reset(&j);
	jw_arr_begin(&j);
	jw_i64(&j, INT64_MIN);
	jw_i64(&j, INT64_MIN);
	jw_u64(&j, UINT64_MAX);
	jw_arr_end(&j);
	expect(&j, "[-9223372036854775808,-9223372036854775808,18446744073709551615]");
	jw_free(&j);
}

static void test_doubles(void **state)
{
	struct it_json j;

	(void)state;
	jw_init(&j);
	jw_arr_begin(&j);
	jw_double(&j, NAN);
	jw_double(&j, -NAN);
	jw_double(&j, INFINITY);
	jw_double(&j, -INFINITY);
	jw_double(&j, 0.0);
	jw_double(&j, 2.5);
	jw_double(&j, -0.125);
	jw_double(&j, 1e21);
	jw_arr_end(&j);
	expect(&j, "[null,null,null,null,0,2.5,-0.125,1e+21]");
	jw_reset(&j);
	jw_obj_begin(&j);
	jw_kdouble(&j, "nan", NAN);
	jw_kdouble(&j, "x", 3);
	jw_obj_end(&j);
	expect(&j, "{\"nan\":null,\"x\":3}");
	jw_free(&j);
}

/* jw_raw("\n") ends a top-level value: the next one starts without a comma. */
static void test_json_lines(void **state)
{
	struct it_json j;

	(void)state;
	jw_init(&j);
	for (int i = 1; i <= 3; i++) {
		jw_obj_begin(&j);
		jw_ku64(&j, "n", (uint64_t)i);
		jw_key(&j, "l");
		jw_arr_begin(&j);
		jw_i64(&j, -i);
		jw_arr_end(&j);
		jw_obj_end(&j);
		jw_raw(&j, "\n");
	}
	expect(&j, "{\"n\":1,\"l\":[-1]}\n{\"n\":2,\"l\":[-2]}\n{\"n\":3,\"l\":[-3]}\n");
	/* after a flush-style reset the next line starts clean too */
	jw_reset(&j);
	jw_obj_begin(&j);
	jw_obj_end(&j);
	jw_raw(&j, "\n");
	expect(&j, "{}\n");
	jw_free(&j);
}

static void test_growth(void **state)
{
	struct it_json j;
	size_t n = 100000;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = 0;
	jw_init(&j);
	jw_arr_begin(&j);
	jw_str(&j, big);
	jw_str(&j, "\"");
	jw_arr_end(&j);
	assert_false(j.oom);
	assert_int_equal(j.len, n + 2 + 1 + 1 + 4 + 1);
	assert_int_equal(j.buf[0], '[');
	assert_int_equal(j.buf[1], '"');
	assert_memory_equal(j.buf + 2, big, n);
	assert_string_equal(j.buf + 2 + n, "\",\"\\\"\"]");
	assert_true(j.cap > j.len);
	assert_int_equal(j.buf[j.len], 0);
	jw_free(&j);
	assert_null(j.buf);
	assert_int_equal(j.len, 0);
	free(big);
}

static void test_reset_keeps_memory(void **state)
{
	struct it_json j;
	char *buf;
	size_t cap;

	(void)state;
	jw_init(&j);
	jw_obj_begin(&j);
	jw_ku64(&j, "a", 1);
	jw_obj_end(&j);
	buf = j.buf;
	cap = j.cap;
	jw_reset(&j);
	assert_int_equal(j.len, 0);
	assert_ptr_equal(j.buf, buf);
	assert_int_equal(j.cap, cap);
	/* a reset mid-object starts over at the top level */
	jw_obj_begin(&j);
	jw_key(&j, "half");
	jw_reset(&j);
	jw_obj_begin(&j);
	jw_ku64(&j, "b", 2);
	jw_obj_end(&j);
	expect(&j, "{\"b\":2}");
	/* jw_free leaves a usable, empty writer */
	jw_free(&j);
	jw_arr_begin(&j);
	jw_arr_end(&j);
	expect(&j, "[]");
	jw_free(&j);
}

static char *slurp(FILE *f, size_t *n)
{
	long sz;
	char *s;

	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0);
	rewind(f);
	s = calloc(1, (size_t)sz + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)sz, f), (size_t)sz);
	*n = (size_t)sz;
	return s;
}

static void test_flush_to_file(void **state)
{
	struct it_json j;
	FILE *f = tmpfile();
	size_t n;
	char *s;

	(void)state;
	assert_non_null(f);
	jw_init(&j);
	/* flushing nothing writes nothing */
	assert_int_equal(jw_flush(&j, f), 0);
	jw_obj_begin(&j);
	jw_ku64(&j, "a", 1);
	jw_obj_end(&j);
	jw_raw(&j, "\n");
	assert_int_equal(jw_flush(&j, f), 0);
	assert_int_equal(j.len, 0);
	/* the writer continues cleanly after a flush */
	jw_obj_begin(&j);
	jw_ki64(&j, "b", -2);
	jw_obj_end(&j);
	jw_raw(&j, "\n");
	assert_int_equal(jw_flush(&j, f), 0);
	assert_int_equal(fflush(f), 0);
	s = slurp(f, &n);
	assert_int_equal(n, strlen("{\"a\":1}\n{\"b\":-2}\n"));
	assert_string_equal(s, "{\"a\":1}\n{\"b\":-2}\n");
	free(s);
	fclose(f);
	jw_free(&j);
}

static void test_flush_errors(void **state)
{
	struct it_json j;
	FILE *ro = fopen("/dev/null", "r");	/* writes to it fail */
	FILE *f = tmpfile();
	size_t n;
	char *s;

	(void)state;
	assert_non_null(ro);
	assert_non_null(f);
	jw_init(&j);
	jw_str(&j, "lost");
	assert_int_equal(jw_flush(&j, ro), -1);
	assert_int_equal(j.len, 0);	/* reset even on failure */
	/* an allocation failure makes the next flush fail once, then clears */
	jw_str(&j, "partial");
	j.oom = true;
	assert_int_equal(jw_flush(&j, f), -1);
	assert_false(j.oom);
	jw_str(&j, "ok");
	assert_int_equal(jw_flush(&j, f), 0);
	assert_int_equal(fflush(f), 0);
	s = slurp(f, &n);
	assert_string_equal(s, "\"ok\"");
	free(s);
	fclose(f);
	fclose(ro);
	jw_free(&j);
}

/* jp_u64/jp_i64 (the raw fast path) agree with printf on every digit
 * count and around every power of ten, and leave what follows alone past
 * their documented 8 bytes of scratch. */
static void test_jp_numbers(void **state)
{
	char buf[64], want[32];
	uint64_t v[200];
	size_t n = 0;

	(void)state;
	v[n++] = 0;
	v[n++] = UINT64_MAX;
	for (uint64_t p = 1; n < 190; p *= 10) {
		v[n++] = p - 1;
		v[n++] = p;
		v[n++] = p + 1;
		v[n++] = p * 7 + 3;
		if (p > UINT64_MAX / 10)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		memset(buf, 'x', sizeof(buf));
		char *e = jp_u64(buf, v[i]);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v[i]);
		assert_int_equal(e - buf, strlen(want));
		assert_memory_equal(buf, want, strlen(want));
		assert_int_equal(buf[strlen(want) + 8], 'x');
		if (v[i] <= (uint64_t)INT64_MAX) {
			int64_t s = -(int64_t)v[i];
			memset(buf, 'x', sizeof(buf));
			e = jp_i64(buf, s);
			snprintf(want, sizeof(want), "%lld", (long long)s);
			assert_int_equal(e - buf, strlen(want));
			assert_memory_equal(buf, want, strlen(want));
		}
	}
	memset(buf, 'x', sizeof(buf));
	char *e = jp_i64(buf, INT64_MIN);
	assert_int_equal(e - buf, 20);
	assert_memory_equal(buf, "-9223372036854775808", 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_containers),
		cmocka_unit_test(test_jp_numbers),
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_every_value_kind_in_array),
		cmocka_unit_test(test_keyed_helpers),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_escaping_round_trip),
		cmocka_unit_test(test_escaping_exact),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_strn_bounds),
		cmocka_unit_test(test_integer_limits),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_reset_keeps_memory),
		cmocka_unit_test(test_flush_to_file),
		cmocka_unit_test(test_flush_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
