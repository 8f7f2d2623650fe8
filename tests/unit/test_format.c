// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of src/format.c: one record -> one JSON object of the
 * `irqtrail stream -j` schema, or one text line.
 *
 * Records are built by hand, copied to a heap block of exactly hdr.len
 * bytes (so ASan catches any read past the record), formatted, and the
 * output is parsed by a small strict JSON parser below; the tests then look
 * fields up by name.  MSI expectations are computed by hand from the Intel
 * SDM / VT-d bit layouts (see test_decode.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "decode.h"
#include "format.h"
#include "json.h"

/* ------------------------------------------------------------------ */
/* a minimal strict JSON parser for one flat-ish object                */

#define MAX_FIELDS 64

enum jkind { J_STR = 's', J_NUM = 'n', J_TRUE = 't', J_FALSE = 'f', J_NULL = 'z',
	     J_ARR = 'a', J_OBJ = 'o' };

struct jfield {
	char key[64];
	enum jkind kind;
	const char *val;	/* start of the value's text */
	size_t vlen;
	char str[256];		/* J_STR: the decoded string */
	size_t slen;
};

struct jobj {
	struct jfield f[MAX_FIELDS];
	int n;
	char text[8192];	/* a copy of the parsed text: jfield.val points here */
};

struct jp {
	const char *p, *end;
};

static int p_value(struct jp *s, int depth);

static void p_ws(struct jp *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string literal; decoded into dst (may be NULL). Returns the decoded length or -1. */
static long p_string(struct jp *s, char *dst, size_t cap)
{
	size_t n = 0;

	if (s->p >= s->end || *s->p != '"')
		return -1;
	s->p++;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p++;

		if (c == '"') {
			if (dst)
				dst[n < cap ? n : cap - 1] = 0;
			return (long)n;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (s->p >= s->end)
				return -1;
			c = (unsigned char)*s->p++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				int v = 0;

				if (s->end - s->p < 4)
					return -1;
				for (int k = 0; k < 4; k++) {
					int h = hexval(*s->p++);

					if (h < 0)
						return -1;
					v = v << 4 | h;
				}
				if (v > 0xff)
					return -1;	/* not produced by the writer */
				c = (unsigned char)v;
				break;
			}
			default:
				return -1;
			}
		}
		if (dst && n + 1 < cap)
			dst[n] = (char)c;
		n++;
	}
	return -1;
}

static bool isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int p_number(struct jp *s)
{
	const char *p = s->p;

	if (p < s->end && *p == '-')
		p++;
	if (p >= s->end || !isdig(*p))
		return -1;
	if (*p == '0')
		p++;
	else
		while (p < s->end && isdig(*p))
			p++;
	if (p < s->end && *p == '.') {
		p++;
		if (p >= s->end || !isdig(*p))
			return -1;
		while (p < s->end && isdig(*p))
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || !isdig(*p))
			return -1;
		while (p < s->end && isdig(*p))
			p++;
	}
	s->p = p;
	return 0;
}

static int p_lit(struct jp *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return -1;
	s->p += n;
	return 0;
}

static int p_container(struct jp *s, int depth, char open, char close)
{
	if (depth > 16 || *s->p != open)
		return -1;
	s->p++;
	p_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		p_ws(s);
		if (open == '{') {
			if (p_string(s, NULL, 0) < 0)
				return -1;
			p_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return -1;
		}
		if (p_value(s, depth + 1))
			return -1;
		p_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		return -1;
	}
}

static int p_value(struct jp *s, int depth)
{
	p_ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '"': return p_string(s, NULL, 0) < 0 ? -1 : 0;
	case '{': return p_container(s, depth, '{', '}');
	case '[': return p_container(s, depth, '[', ']');
	case 't': return p_lit(s, "true");
	case 'f': return p_lit(s, "false");
	case 'n': return p_lit(s, "null");
	default: return p_number(s);
	}
}

/* Parse exactly one JSON object spanning [text, text+len); record its
 * top-level members in order (duplicates kept).  0 or -1. */
static int parse_object(const char *text, size_t len, struct jobj *o)
{
	struct jp s;

	memset(o, 0, sizeof(*o));
	if (!len || len >= sizeof(o->text))
		return -1;
	memcpy(o->text, text, len);
	s.p = o->text;
	s.end = o->text + len;
	if (*s.p != '{')
		return -1;
	s.p++;
	p_ws(&s);
	if (s.p < s.end && *s.p == '}') {
		s.p++;
		goto done;
	}
	for (;;) {
		struct jfield *f;
		long kl;

		if (o->n >= MAX_FIELDS)
			return -1;
		f = &o->f[o->n++];
		p_ws(&s);
		kl = p_string(&s, f->key, sizeof(f->key));
		if (kl < 0 || (size_t)kl >= sizeof(f->key))
			return -1;
		p_ws(&s);
		if (s.p >= s.end || *s.p++ != ':')
			return -1;
		p_ws(&s);
		f->val = s.p;
		if (s.p >= s.end)
			return -1;
		switch (*s.p) {
		case '"': {
			long sl = p_string(&s, f->str, sizeof(f->str));

			if (sl < 0)
				return -1;
			f->slen = (size_t)sl;
			f->kind = J_STR;
			break;
		}
		case '{': f->kind = J_OBJ; if (p_value(&s, 1)) return -1; break;
		case '[': f->kind = J_ARR; if (p_value(&s, 1)) return -1; break;
		case 't': f->kind = J_TRUE; if (p_lit(&s, "true")) return -1; break;
		case 'f': f->kind = J_FALSE; if (p_lit(&s, "false")) return -1; break;
		case 'n': f->kind = J_NULL; if (p_lit(&s, "null")) return -1; break;
		default: f->kind = J_NUM; if (p_number(&s)) return -1; break;
		}
		f->vlen = (size_t)(s.p - f->val);
		p_ws(&s);
		if (s.p >= s.end)
			return -1;
		if (*s.p == ',') {
			s.p++;
			continue;
		}
		if (*s.p++ == '}')
			break;
		return -1;
	}
done:
	return s.p == s.end ? 0 : -1;	/* nothing after the object */
}

static int count_key(const struct jobj *o, const char *key)
{
	int n = 0;

	for (int i = 0; i < o->n; i++)
		n += !strcmp(o->f[i].key, key);
	return n;
}

/* The last member of that name (what most JSON readers return). */
static const struct jfield *field(const struct jobj *o, const char *key)
{
	for (int i = o->n - 1; i >= 0; i--)
		if (!strcmp(o->f[i].key, key))
			return &o->f[i];
	return NULL;
}

static const struct jfield *need(const struct jobj *o, const char *key, enum jkind kind)
{
	const struct jfield *f = field(o, key);

	if (!f)
		fail_msg("missing key \"%s\"", key);
	if (f->kind != kind)
		fail_msg("key \"%s\": kind '%c', want '%c' (%.*s)", key, f->kind, kind, (int)f->vlen, f->val);
	return f;
}

static void num_text(const struct jfield *f, char *buf, size_t cap)
{
	assert_true(f->vlen < cap);
	memcpy(buf, f->val, f->vlen);
	buf[f->vlen] = 0;
	/* integers only: no fraction, no exponent */
	assert_null(strpbrk(buf, ".eE"));
}

static void expect_u64_f(const struct jfield *f, uint64_t want)
{
	char buf[32], *end;
	unsigned long long v;

	num_text(f, buf, sizeof(buf));
	if (buf[0] == '-')
		fail_msg("key \"%s\": %s is negative, want %llu", f->key, buf, (unsigned long long)want);
	v = strtoull(buf, &end, 10);
	if (*end || v != want)
		fail_msg("key \"%s\": %s, want %llu", f->key, buf, (unsigned long long)want);
}

static void expect_u64(const struct jobj *o, const char *key, uint64_t want)
{
	expect_u64_f(need(o, key, J_NUM), want);
}

static void expect_i64(const struct jobj *o, const char *key, int64_t want)
{
	const struct jfield *f = need(o, key, J_NUM);
	char buf[32], *end;
	long long v;

	num_text(f, buf, sizeof(buf));
	v = strtoll(buf, &end, 10);
	if (*end || v != want)
		fail_msg("key \"%s\": %s, want %lld", key, buf, (long long)want);
}

static void expect_str(const struct jobj *o, const char *key, const char *want)
{
	const struct jfield *f = need(o, key, J_STR);

	if (f->slen != strlen(want) || strcmp(f->str, want))
		fail_msg("key \"%s\": \"%s\", want \"%s\"", key, f->str, want);
}

static void expect_bool(const struct jobj *o, const char *key, bool want)
{
	need(o, key, want ? J_TRUE : J_FALSE);
}

static void expect_absent(const struct jobj *o, const char *key)
{
	const struct jfield *f = field(o, key);

	if (f)
		fail_msg("key \"%s\" should be absent, is %.*s", key, (int)f->vlen, f->val);
}

/* A numeric array member, parsed into v[]; returns the element count. */
static int expect_int_array(const struct jobj *o, const char *key, long long *v, int cap)
{
	const struct jfield *f = need(o, key, J_ARR);
	const char *p = f->val + 1, *end = f->val + f->vlen - 1;
	int n = 0;

	while (p < end) {
		char *e;

		assert_true(n < cap);
		v[n++] = strtoll(p, &e, 10);
		assert_true(e > p);
		p = e;
		if (p < end) {
			assert_int_equal(*p, ',');
			p++;
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* records                                                              */

#define TS   1234567890123ull	/* 1234.567890123 s */
#define CPU  3
#define PID  4242
#define TID  4243

static void hdr(struct it_hdr *h, unsigned int type, size_t len)
{
	h->ts = TS;
	h->type = (uint8_t)type;
	h->version = 1;
	h->len = (uint16_t)len;
	h->cpu = CPU;
	h->flags = 0;
	h->pid = PID;
	h->tid = TID;
}

/* A heap copy of exactly h->len bytes. */
static struct it_hdr *dup_rec(const void *rec)
{
	const struct it_hdr *h = rec;
	void *p = malloc(h->len);

	assert_non_null(p);
	memcpy(p, rec, h->len);
	return p;
}

static const char *type_of(const struct jobj *o)
{
	const struct jfield *f = field(o, "type");

	return f && f->kind == J_STR ? f->str : "";
}

/* The key of the header's CPU: "event_cpu" where the payload has a "cpu". */
static const char *header_cpu_key(const char *type)
{
	static const char *const payload_cpu[] = {
		"vector_update", "vector_clear", "vector_config", "vector_free_moved",
	};

	for (size_t i = 0; i < sizeof(payload_cpu) / sizeof(payload_cpu[0]); i++)
		if (!strcmp(type, payload_cpu[i]))
			return "event_cpu";
	return "cpu";
}

/* Format rec, check it is one valid object with the common fields, parse it. */
static void to_json(const void *rec, struct jobj *o, const char *type)
{
	struct it_hdr *h = dup_rec(rec);
	struct it_json j;
	int r;

	jw_init(&j);
	r = it_event_json(&j, h);
	if (r != 1 || j.oom || parse_object(j.buf, j.len, o)) {
		char msg[512];

		snprintf(msg, sizeof(msg), "type %u: it_event_json returned %d, oom %d, output: %s",
			 h->type, r, j.oom, j.len ? j.buf : "");
		jw_free(&j);
		free(h);
		fail_msg("%s", msg);
	}
	jw_free(&j);
	free(h);
	/* no key appears twice (RFC 8259: names should be unique; readers
	 * disagree on which duplicate wins) */
	for (int i = 0; i < o->n; i++)
		if (count_key(o, o->f[i].key) != 1)
			fail_msg("key \"%s\" appears %d times", o->f[i].key, count_key(o, o->f[i].key));
	/* the common fields come first, in this order; the vector events carry
	 * the irq's CPU as "cpu", the CPU the event ran on as "event_cpu" */
	assert_true(o->n >= 5);
	assert_string_equal(o->f[0].key, "ts");
	assert_string_equal(o->f[1].key, header_cpu_key(type_of(o)));
	assert_string_equal(o->f[2].key, "type");
	assert_string_equal(o->f[3].key, "pid");
	assert_string_equal(o->f[4].key, "tid");
	expect_u64(o, "ts", TS);
	expect_u64(o, header_cpu_key(type_of(o)), CPU);
	expect_str(o, "type", type);
	expect_u64(o, "pid", PID);
	expect_u64(o, "tid", TID);
}

/* Every format of a record of this type that is too short must be refused. */
static void expect_refused(const void *rec)
{
	struct it_hdr *h = dup_rec(rec);
	struct it_json j;
	char line[256];

	int rj, rt;
	bool kept;

	jw_init(&j);
	jw_str(&j, "x");	/* something already in the buffer stays untouched */
	rj = it_event_json(&j, h);
	kept = j.len == 3 && !strcmp(j.buf, "\"x\"");
	rt = it_event_text(h, line, sizeof(line));
	jw_free(&j);
	free(h);
	assert_int_equal(rj, -1);
	assert_true(kept);
	assert_int_equal(rt, -1);
}

/* ------------------------------------------------------------------ */
/* host interrupts                                                      */

static void test_irq_entry_and_name(void **state)
{
	struct it_irq_entry e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IRQ_ENTRY, sizeof(e));
	e.h.flags = IT_F_DATAPLANE | IT_F_IN_HARDIRQ;
	e.irq = 27;
	strcpy(e.name, "vfio-msix[0](0000:3b:00.0)");
	to_json(&e, &o, "irq_entry");
	expect_i64(&o, "irq", 27);
	expect_str(&o, "name", "vfio-msix[0](0000:3b:00.0)");
	expect_bool(&o, "in_irq", true);

	hdr(&e.h, IT_EV_IRQ_NAME, sizeof(e));
	e.h.flags = IT_F_IN_HARDIRQ;
	to_json(&e, &o, "irq_name");
	expect_i64(&o, "irq", 27);
	expect_str(&o, "name", "vfio-msix[0](0000:3b:00.0)");

	/* a name filling the whole field, without NUL */
	e.h.flags = 0;
	memset(e.name, 'n', sizeof(e.name));
	to_json(&e, &o, "irq_name");
	assert_int_equal(need(&o, "name", J_STR)->slen, IT_IRQ_NAME_LEN);
	expect_absent(&o, "in_irq");

	/* irq numbers are signed */
	e.irq = -1;
	to_json(&e, &o, "irq_name");
	expect_i64(&o, "irq", -1);
}

static void test_irq_exit(void **state)
{
	struct it_irq_exit e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IRQ_EXIT, sizeof(e));
	e.irq = 27;
	e.ret = 1;
	e.duration = 1500;
	to_json(&e, &o, "irq_exit");
	expect_i64(&o, "irq", 27);
	expect_i64(&o, "ret", 1);
	expect_u64(&o, "duration_ns", 1500);
}

/* ------------------------------------------------------------------ */
/* vectors and the matrix                                               */

static void vec(struct it_vector *e, unsigned int type)
{
	memset(e, 0, sizeof(*e));
	hdr(&e->h, type, sizeof(*e));
	e->irq = 40;
	e->vector = 0x25;
	e->cpu = 5;
	e->prev_vector = 0x41;
	e->prev_cpu = 2;
	e->apicdest = 10;
	e->ret = -28;
}

static void test_vector_update(void **state)
{
	struct it_vector e;
	struct jobj o;

	(void)state;
	vec(&e, IT_EV_VECTOR_UPDATE);
	to_json(&e, &o, "vector_update");
	expect_u64(&o, "irq", 40);
	expect_u64(&o, "vector", 0x25);
	expect_u64(&o, "prev_vector", 0x41);
	expect_u64(&o, "prev_cpu", 2);
	/* "cpu" is the irq's new CPU (5), "event_cpu" where the event ran (3) */
	expect_u64(&o, "cpu", 5);
	expect_u64(&o, "event_cpu", CPU);

	vec(&e, IT_EV_VECTOR_CLEAR);
	to_json(&e, &o, "vector_clear");
	expect_u64(&o, "irq", 40);
	expect_u64(&o, "vector", 0x25);
	expect_u64(&o, "cpu", 5);
	expect_u64(&o, "prev_vector", 0x41);
	expect_u64(&o, "prev_cpu", 2);
}

static void test_vector_config(void **state)
{
	struct it_vector e;
	struct jobj o;

	(void)state;
	vec(&e, IT_EV_VECTOR_CONFIG);
	to_json(&e, &o, "vector_config");
	expect_u64(&o, "irq", 40);
	expect_u64(&o, "vector", 0x25);
	expect_u64(&o, "cpu", 5);
	expect_u64(&o, "apicdest", 10);
	expect_absent(&o, "prev_cpu");
	expect_absent(&o, "prev_vector");
}

static void test_vector_other(void **state)
{
	struct it_vector e;
	struct jobj o;

	(void)state;
	vec(&e, IT_EV_VECTOR_ALLOC);
	e.reserved = 1;
	to_json(&e, &o, "vector_alloc");
	expect_u64(&o, "irq", 40);
	expect_u64(&o, "vector", 0x25);
	expect_bool(&o, "reserved", true);
	expect_i64(&o, "ret", -28);

	vec(&e, IT_EV_VECTOR_ALLOC_MANAGED);
	to_json(&e, &o, "vector_alloc_managed");
	expect_u64(&o, "vector", 0x25);
	expect_i64(&o, "ret", -28);

	vec(&e, IT_EV_VECTOR_RESERVE);
	e.ret = 0;
	to_json(&e, &o, "vector_reserve");
	expect_u64(&o, "irq", 40);
	expect_i64(&o, "ret", 0);

	vec(&e, IT_EV_VECTOR_RESERVE_MANAGED);
	to_json(&e, &o, "vector_reserve_managed");
	expect_i64(&o, "ret", -28);

	vec(&e, IT_EV_VECTOR_ACTIVATE);
	e.is_managed = 1;
	e.can_reserve = 0;
	e.reserved = 1;
	to_json(&e, &o, "vector_activate");
	expect_bool(&o, "is_managed", true);
	expect_bool(&o, "can_reserve", false);
	expect_bool(&o, "reserve", true);

	vec(&e, IT_EV_VECTOR_DEACTIVATE);
	e.can_reserve = 1;
	to_json(&e, &o, "vector_deactivate");
	expect_bool(&o, "is_managed", false);
	expect_bool(&o, "can_reserve", true);
	expect_bool(&o, "reserve", false);

	vec(&e, IT_EV_VECTOR_SETUP);
	e.is_legacy = 1;
	e.ret = 0;
	to_json(&e, &o, "vector_setup");
	expect_u64(&o, "irq", 40);
	expect_bool(&o, "is_legacy", true);
	expect_i64(&o, "ret", 0);

	vec(&e, IT_EV_VECTOR_TEARDOWN);
	e.is_managed = 1;
	e.reserved = 1;
	to_json(&e, &o, "vector_teardown");
	expect_bool(&o, "is_managed", true);
	expect_bool(&o, "has_reserved", true);

	vec(&e, IT_EV_VECTOR_FREE_MOVED);
	to_json(&e, &o, "vector_free_moved");
	expect_u64(&o, "irq", 40);
	expect_u64(&o, "vector", 0x25);
	expect_u64(&o, "cpu", 5);
	expect_bool(&o, "is_managed", false);
}

static void test_matrix(void **state)
{
	static const struct {
		unsigned int type;
		const char *name;
	} t[] = {
		{ IT_EV_MATRIX_ALLOC, "matrix_alloc" },
		{ IT_EV_MATRIX_FREE, "matrix_free" },
		{ IT_EV_MATRIX_ALLOC_MANAGED, "matrix_alloc_managed" },
		{ IT_EV_MATRIX_ALLOC_RESERVED, "matrix_alloc_reserved" },
		{ IT_EV_MATRIX_ASSIGN, "matrix_assign" },
	};
	struct it_matrix e;
	struct jobj o;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&e, 0, sizeof(e));
		hdr(&e.h, t[i].type, sizeof(e));
		e.bit = 33;
		e.cpu = 7;
		e.available = 190;
		e.allocated = 12;
		e.managed = 2;
		e.online_maps = 8;
		e.global_available = 1500;
		e.global_reserved = 9;
		e.total_allocated = 60;
		e.online = 1;
		to_json(&e, &o, t[i].name);
		expect_i64(&o, "bit", 33);
		expect_u64(&o, "matrix_cpu", 7);
		expect_bool(&o, "online", true);
		expect_u64(&o, "available", 190);
		expect_u64(&o, "allocated", 12);
		expect_u64(&o, "managed", 2);
		expect_u64(&o, "global_available", 1500);
		expect_u64(&o, "global_reserved", 9);
		expect_u64(&o, "total_allocated", 60);
		expect_u64(&o, "cpu", CPU);	/* the matrix's CPU is "matrix_cpu" */
		expect_absent(&o, "event_cpu");
	}
}

/* ------------------------------------------------------------------ */
/* KVM                                                                  */

static void kvm_msi(struct it_kvm_msi *e, uint64_t address, uint64_t data)
{
	memset(e, 0, sizeof(*e));
	hdr(&e->h, IT_EV_KVM_MSI, sizeof(*e));
	e->h.flags = IT_F_DATAPLANE;
	e->address = address;
	e->data = data;
}

static void test_kvm_msi_compat(void **state)
{
	struct it_kvm_msi e;
	struct jobj o;

	(void)state;
	/* dest 1 (0x1000), physical, vector 0x25, fixed, edge */
	kvm_msi(&e, 0xFEE01000ull, 0x25);
	to_json(&e, &o, "kvm_msi");
	expect_u64(&o, "address", 0xFEE01000ull);
	expect_u64(&o, "data", 0x25);
	expect_str(&o, "format", "compat");
	expect_u64(&o, "dest", 1);
	expect_u64(&o, "vector", 0x25);
	expect_str(&o, "dest_mode", "physical");
	expect_str(&o, "delivery", "fixed");
	expect_str(&o, "trigger", "edge");
	expect_u64(&o, "host_irq", 0);
	expect_absent(&o, "since_irq_ns");
	expect_absent(&o, "window");	/* only said when outside the window */
	expect_absent(&o, "in_irq");

	/* dest 3, logical, RH (0xFEE0300C); level-triggered lowest priority 0x41 (0xC141);
	 * injected from host irq 45's handler 800 ns after its entry */
	kvm_msi(&e, 0xFEE0300Cull, 0xC141);
	e.h.flags |= IT_F_IN_HARDIRQ;
	e.host_irq = 45;
	e.since_irq = 800;
	to_json(&e, &o, "kvm_msi");
	expect_u64(&o, "address", 0xFEE0300Cull);
	expect_u64(&o, "data", 0xC141);
	expect_u64(&o, "dest", 3);
	expect_u64(&o, "vector", 0x41);
	expect_str(&o, "dest_mode", "logical");
	expect_str(&o, "delivery", "lowest");
	expect_str(&o, "trigger", "level");
	expect_u64(&o, "host_irq", 45);
	expect_u64(&o, "since_irq_ns", 800);
	expect_bool(&o, "in_irq", true);

	/* NMI (100 << 8), vector 2 */
	kvm_msi(&e, 0xFEE00000ull, 0x0402);
	to_json(&e, &o, "kvm_msi");
	expect_str(&o, "delivery", "nmi");
	expect_u64(&o, "vector", 2);
	expect_u64(&o, "dest", 0);
}

static void test_kvm_msi_wide_dest(void **state)
{
	struct it_kvm_msi e;
	struct jobj o;

	(void)state;
	/* x2APIC id 0x105: bits 7:0 -> 0x05000, bits 31:8 -> address_hi 0x100 */
	kvm_msi(&e, 0x00000100FEE05000ull, 0x30);
	to_json(&e, &o, "kvm_msi");
	expect_u64(&o, "address", 0x00000100FEE05000ull);
	expect_u64(&o, "dest", 0x105);
	expect_u64(&o, "vector", 0x30);
	/* extended destination id 0x2A in bits 11:5 (0x540), 0x5B in 19:12 */
	kvm_msi(&e, 0xFEE5B540ull, 0x30);
	to_json(&e, &o, "kvm_msi");
	expect_u64(&o, "dest", 0x2A5B);
	expect_str(&o, "dest_mode", "physical");
}

static void test_kvm_msi_outside_window(void **state)
{
	struct it_kvm_msi e;
	struct jobj o;

	(void)state;
	kvm_msi(&e, 0xFEC00000ull, 0x30);
	to_json(&e, &o, "kvm_msi");
	expect_bool(&o, "window", false);
	expect_u64(&o, "address", 0xFEC00000ull);
}

static void test_kvm_msi_remappable(void **state)
{
	struct it_kvm_msi e;
	struct jobj o;

	(void)state;
	/* handle 0x9234 with SHV, subhandle 3 (see test_decode.c) */
	kvm_msi(&e, 0xFEE2469Cull, 3);
	to_json(&e, &o, "kvm_msi");
	expect_str(&o, "format", "remappable");
	expect_u64(&o, "irte_handle", 0x9234);
	expect_u64(&o, "subhandle", 3);
	expect_u64(&o, "address", 0xFEE2469Cull);
	expect_u64(&o, "data", 3);
	/* destination, mode, delivery and trigger live in the IRTE, not the message */
	expect_absent(&o, "dest");
	expect_absent(&o, "dest_mode");
	expect_absent(&o, "delivery");
	expect_absent(&o, "trigger");
	expect_u64(&o, "host_irq", 0);

	/* without SHV there is no subhandle */
	kvm_msi(&e, 0xFEEFFFF4ull, 0);
	to_json(&e, &o, "kvm_msi");
	expect_str(&o, "format", "remappable");
	expect_u64(&o, "irte_handle", 0xFFFF);
	expect_absent(&o, "subhandle");
}

/*
 * VT-d "Interrupt Requests in Remappable Format": the data register holds
 * only the subhandle (15:0); the vector is in the IRTE.  A "vector" taken
 * from data[7:0] of a remappable message is not the vector.
 */
static void test_kvm_msi_remappable_has_no_vector(void **state)
{
	struct it_kvm_msi e;
	struct jobj o;

	(void)state;
	kvm_msi(&e, 0xFEE2469Cull, 3);
	to_json(&e, &o, "kvm_msi");
	expect_absent(&o, "vector");
}

static void test_kvm_set_irq_ack(void **state)
{
	struct it_kvm_set_irq e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_KVM_SET_IRQ, sizeof(e));
	e.gsi = 24;
	e.level = 1;
	e.irq_source_id = 2;
	to_json(&e, &o, "kvm_set_irq");
	expect_u64(&o, "gsi", 24);
	expect_i64(&o, "level", 1);
	expect_i64(&o, "irq_source_id", 2);

	hdr(&e.h, IT_EV_KVM_ACK_IRQ, sizeof(e));
	e.gsi = 9;
	e.level = 2;
	to_json(&e, &o, "kvm_ack_irq");
	expect_u64(&o, "pin", 9);
	expect_i64(&o, "irqchip", 2);
	expect_absent(&o, "gsi");
}

static void test_kvm_pi_irte(void **state)
{
	struct it_kvm_pi_irte e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_KVM_PI_IRTE, sizeof(e));
	e.host_irq = 50;
	e.vcpu_id = 1;
	e.gsi = 24;
	e.gvec = 0x31;
	e.set = 1;
	to_json(&e, &o, "kvm_pi_irte_update");
	expect_u64(&o, "host_irq", 50);
	expect_i64(&o, "vcpu_id", 1);
	expect_u64(&o, "gsi", 24);
	expect_u64(&o, "gvec", 0x31);
	expect_bool(&o, "set", true);
	expect_absent(&o, "pi_desc_addr");

	e.set = 0;
	e.vcpu_id = -1;
	e.pi_desc_addr = 0xFFFF888100200040ull;
	to_json(&e, &o, "kvm_pi_irte_update");
	expect_bool(&o, "set", false);
	expect_i64(&o, "vcpu_id", -1);
	expect_u64(&o, "pi_desc_addr", 0xFFFF888100200040ull);
}

static void kvm_apic(struct it_kvm_apic *e, unsigned int type)
{
	memset(e, 0, sizeof(*e));
	hdr(&e->h, type, sizeof(*e));
	e->h.flags = IT_F_DATAPLANE;
	e->apicid = 2;
	e->vector = 0x41;
}

static void test_kvm_apic_events(void **state)
{
	struct it_kvm_apic e;
	struct jobj o;

	(void)state;
	kvm_apic(&e, IT_EV_KVM_APIC_ACCEPT);
	e.dm = 0;	/* APIC_DM_FIXED */
	e.tm = 1;
	to_json(&e, &o, "kvm_apic_accept");
	expect_u64(&o, "apicid", 2);
	expect_u64(&o, "vector", 0x41);
	expect_str(&o, "delivery", "fixed");
	expect_str(&o, "trigger", "level");

	kvm_apic(&e, IT_EV_KVM_INJ_VIRQ);
	e.soft = 1;
	to_json(&e, &o, "kvm_inj_virq");
	expect_u64(&o, "vector", 0x41);
	expect_bool(&o, "soft", true);
	expect_bool(&o, "reinjected", false);

	kvm_apic(&e, IT_EV_KVM_EOI);
	to_json(&e, &o, "kvm_eoi");
	expect_u64(&o, "apicid", 2);
	expect_u64(&o, "vector", 0x41);
}

/*
 * kvm:kvm_apic_accept_irq's "dm" is KVM's APIC_DM_* value, the delivery
 * mode in bits 10:8 as in the ICR (APIC_DM_LOWEST = 0x100, APIC_DM_NMI =
 * 0x400, APIC_DM_EXTINT = 0x700); the tracepoint prints it as
 * __print_symbolic(dm >> 8 & 0x7, ...).  The BPF side copies it unchanged.
 */
static void test_kvm_apic_accept_delivery_mode(void **state)
{
	static const struct {
		uint16_t dm;
		const char *name;
	} m[] = {
		{ 0x000, "fixed" }, { 0x100, "lowest" }, { 0x200, "smi" },
		{ 0x400, "nmi" }, { 0x500, "init" }, { 0x700, "extint" },
	};
	struct it_kvm_apic e;
	struct jobj o;

	(void)state;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		kvm_apic(&e, IT_EV_KVM_APIC_ACCEPT);
		e.dm = m[i].dm;
		to_json(&e, &o, "kvm_apic_accept");
		expect_str(&o, "delivery", m[i].name);
	}
}

static void test_hypercalls(void **state)
{
	struct it_hypercall e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_HC_KVM, sizeof(e));
	e.nr = 5;	/* KVM_HC_KICK_CPU */
	for (int i = 0; i < 6; i++)
		e.args[i] = 100 + (uint64_t)i;
	to_json(&e, &o, "hypercall_kvm");
	expect_u64(&o, "nr", 5);
	expect_u64(&o, "a0", 100);
	expect_u64(&o, "a1", 101);
	expect_u64(&o, "a2", 102);
	expect_u64(&o, "a3", 103);
	expect_absent(&o, "a4");
	expect_absent(&o, "a5");

	hdr(&e.h, IT_EV_HC_XEN, sizeof(e));
	e.nr = 29;
	e.cpl = 3;
	to_json(&e, &o, "hypercall_xen");
	expect_u64(&o, "nr", 29);
	expect_u64(&o, "a0", 100);
	expect_u64(&o, "a5", 105);
	expect_u64(&o, "cpl", 3);

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_HC_HV, sizeof(e));
	e.nr = 0x0008;
	e.fast = 1;
	e.rep_cnt = 4;
	e.rep_idx = 1;
	e.var_cnt = 2;
	e.args[0] = 0x1000;
	e.args[1] = 0x2000;
	to_json(&e, &o, "hypercall_hv");
	expect_u64(&o, "code", 8);
	expect_bool(&o, "fast", true);
	expect_u64(&o, "rep_cnt", 4);
	expect_u64(&o, "rep_idx", 1);
	expect_u64(&o, "var_cnt", 2);
	expect_u64(&o, "ingpa", 0x1000);
	expect_u64(&o, "outgpa", 0x2000);

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_HC_HV_DONE, sizeof(e));
	e.ret = 2;	/* HV_STATUS_INVALID_HYPERCALL_CODE */
	to_json(&e, &o, "hypercall_hv_done");
	expect_u64(&o, "result", 2);
}

/* ------------------------------------------------------------------ */
/* VMM ioctls                                                           */

static void ioc(struct it_ioctl_common *c, uint32_t fd, uint32_t cmd, int64_t ret)
{
	c->fd = fd;
	c->cmd = cmd;
	c->ret = ret;
	c->duration = 12000;
}

static void expect_ioctl(const struct jobj *o, const char *name, uint64_t fd, int64_t ret)
{
	expect_str(o, "ioctl", name);
	expect_u64(o, "ioctl_fd", fd);
	expect_i64(o, "ret", ret);
	expect_u64(o, "duration_ns", 12000);
}

#define VFIO_SET_DATA_NONE	(1u << 0)
#define VFIO_SET_DATA_EVENTFD	(1u << 2)
#define VFIO_SET_ACTION_TRIGGER	(1u << 5)

static void test_ioctl_set_irqs(void **state)
{
	struct it_ioctl_set_irqs e;
	struct jobj o;
	long long fds[64];

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_SET_IRQS, sizeof(e));
	ioc(&e.c, 30, 0x00003B6Eu, 0);
	e.flags = VFIO_SET_DATA_EVENTFD | VFIO_SET_ACTION_TRIGGER;
	e.index = 2;
	e.start = 0;
	e.count = 3;
	e.nfds = 3;
	e.fds[0] = 40;
	e.fds[1] = 41;
	e.fds[2] = -1;	/* "unassign this vector" */
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "VFIO_DEVICE_SET_IRQS", 30, 0);
	expect_u64(&o, "flags", 0x24);
	expect_u64(&o, "index", 2);
	expect_str(&o, "irq_kind", "msix");
	expect_u64(&o, "start", 0);
	expect_u64(&o, "count", 3);
	assert_int_equal(expect_int_array(&o, "fds", fds, 64), 3);
	assert_int_equal(fds[0], 40);
	assert_int_equal(fds[1], 41);
	assert_int_equal(fds[2], -1);
	expect_absent(&o, "fds_truncated");

	/* more vectors than the record carries */
	e.index = 1;
	e.start = 4;
	e.count = 40;
	e.nfds = IT_MAX_IRQ_FDS;
	for (int i = 0; i < IT_MAX_IRQ_FDS; i++)
		e.fds[i] = 100 + i;
	to_json(&e, &o, "ioctl");
	expect_str(&o, "irq_kind", "msi");
	expect_u64(&o, "start", 4);
	assert_int_equal(expect_int_array(&o, "fds", fds, 64), IT_MAX_IRQ_FDS);
	assert_int_equal(fds[0], 100);
	assert_int_equal(fds[IT_MAX_IRQ_FDS - 1], 100 + IT_MAX_IRQ_FDS - 1);
	expect_u64(&o, "fds_truncated", 8);

	/* a corrupt nfds never reads past the array */
	e.nfds = 1000;
	to_json(&e, &o, "ioctl");
	assert_int_equal(expect_int_array(&o, "fds", fds, 64), IT_MAX_IRQ_FDS);

	/* disabling: DATA_NONE, count 0, no fds, and an error */
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_SET_IRQS, sizeof(e));
	ioc(&e.c, 30, 0x00003B6Eu, -22);
	e.flags = VFIO_SET_DATA_NONE | VFIO_SET_ACTION_TRIGGER;
	e.index = 0;
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "VFIO_DEVICE_SET_IRQS", 30, -22);
	expect_str(&o, "irq_kind", "intx");
	expect_u64(&o, "count", 0);
	expect_absent(&o, "fds");
}

static void test_ioctl_get_device_fd(void **state)
{
	struct it_ioctl_get_device_fd e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_GET_DEVICE_FD, sizeof(e));
	ioc(&e.c, 9, 0x00003B6Au, 12);
	strcpy(e.name, "0000:3b:00.0");
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "VFIO_GROUP_GET_DEVICE_FD", 9, 12);
	expect_str(&o, "device", "0000:3b:00.0");

	/* a name the VMM wrote without NUL in the read window */
	memset(e.name, 'd', sizeof(e.name));
	to_json(&e, &o, "ioctl");
	assert_int_equal(need(&o, "device", J_STR)->slen, IT_DEV_NAME_LEN);
}

static void test_ioctl_irqfd(void **state)
{
	struct it_ioctl_irqfd e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_IRQFD, sizeof(e));
	ioc(&e.c, 11, 0x4020AE76u, 0);
	e.efd = 45;
	e.gsi = 24;
	e.flags = 0;
	e.resamplefd = 99;
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "KVM_IRQFD", 11, 0);
	expect_u64(&o, "fd", 45);
	expect_u64(&o, "gsi", 24);
	expect_u64(&o, "flags", 0);
	expect_bool(&o, "deassign", false);
	expect_absent(&o, "resamplefd");

	/* KVM_IRQFD_FLAG_DEASSIGN (bit 0), refused with EINVAL */
	ioc(&e.c, 11, 0x4020AE76u, -22);
	e.flags = 1;
	to_json(&e, &o, "ioctl");
	expect_i64(&o, "ret", -22);
	expect_bool(&o, "deassign", true);
	expect_u64(&o, "flags", 1);

	/* KVM_IRQFD_FLAG_RESAMPLE (bit 1) */
	ioc(&e.c, 11, 0x4020AE76u, 0);
	e.flags = 2;
	e.resamplefd = 46;
	to_json(&e, &o, "ioctl");
	expect_bool(&o, "deassign", false);
	expect_u64(&o, "resamplefd", 46);
}

static void test_ioctl_gsi_routing_table(void **state)
{
	struct it_ioctl_gsi_routing e;
	struct it_hdr *h;
	struct it_json j;
	struct jobj o;
	char line[512];
	int rj, rt;
	size_t len;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_GSI_ROUTING, sizeof(e));
	ioc(&e.c, 11, 0x4008AE6Au, 0);
	e.nr = 5;
	e.nr_msi = 0;
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "KVM_SET_GSI_ROUTING", 11, 0);
	expect_u64(&o, "nr", 5);
	expect_u64(&o, "nr_msi", 0);
	expect_absent(&o, "unread");

	e.truncated = 7;
	to_json(&e, &o, "ioctl");
	expect_u64(&o, "unread", 7);

	/* MSI entries were streamed one by one: the table line is not shown */
	e.nr_msi = 3;
	e.truncated = 0;
	h = dup_rec(&e);
	jw_init(&j);
	rj = it_event_json(&j, h);
	len = j.len;
	rt = it_event_text(h, line, sizeof(line));
	jw_free(&j);
	free(h);
	assert_int_equal(rj, 0);
	assert_int_equal(len, 0);
	assert_int_equal(rt, 0);
	assert_string_equal(line, "");
}

static void test_ioctl_gsi_route_entry(void **state)
{
	struct it_ioctl_gsi_route e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_GSI_ROUTE, sizeof(e));
	ioc(&e.c, 11, 0x4008AE6Au, 0);
	e.index = 2;
	e.gsi = 26;
	e.type = 2;		/* KVM_IRQ_ROUTING_MSI */
	e.flags = 1;		/* KVM_MSI_VALID_DEVID */
	e.address_lo = 0xFEE02000u;
	e.address_hi = 0;
	e.data = 0x31;
	e.devid = 0x18;
	e.nr = 5;
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "KVM_SET_GSI_ROUTING", 11, 0);
	expect_u64(&o, "index", 2);
	expect_u64(&o, "gsi", 26);
	expect_str(&o, "route_type", "msi");
	expect_u64(&o, "address", 0xFEE02000ull);
	expect_u64(&o, "data", 0x31);
	expect_str(&o, "format", "compat");
	expect_u64(&o, "dest", 2);
	expect_u64(&o, "vector", 0x31);
	expect_str(&o, "dest_mode", "physical");
	expect_str(&o, "delivery", "fixed");
	expect_str(&o, "trigger", "edge");
	expect_u64(&o, "devid", 0x18);
	expect_u64(&o, "flags", 1);
	expect_u64(&o, "nr", 5);	/* every entry line carries the table size */

	/* address_hi joins the address (x2APIC destination 0x1200 + 0x02) */
	e.address_hi = 0x1200;
	e.flags = 0;
	to_json(&e, &o, "ioctl");
	expect_u64(&o, "address", 0x00001200FEE02000ull);
	expect_u64(&o, "dest", 0x1202);
	expect_u64(&o, "flags", 0);	/* devid is printed as read; flags says it is not valid */
}

static void test_ioctl_signal_msi(void **state)
{
	struct it_ioctl_signal_msi e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_SIGNAL_MSI, sizeof(e));
	e.h.flags = IT_F_DATAPLANE;
	ioc(&e.c, 12, 0x4020AEA5u, 1);
	e.address_lo = 0xFEE01000u;
	e.data = 0x22;
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "KVM_SIGNAL_MSI", 12, 1);
	expect_u64(&o, "fd", 12);
	expect_u64(&o, "address", 0xFEE01000ull);
	expect_u64(&o, "data", 0x22);
	expect_u64(&o, "dest", 1);
	expect_u64(&o, "vector", 0x22);
	expect_absent(&o, "devid");
	e.flags = 1;
	e.devid = 0x100;
	to_json(&e, &o, "ioctl");
	expect_u64(&o, "devid", 0x100);
}

/* The record's JSON through the generic writer: nested in an array, where
 * the top-level fast path does not apply; the brackets are cut off. */
static char *generic_json(const struct it_hdr *h)
{
	struct it_json j;
	char *s;

	jw_init(&j);
	jw_arr_begin(&j);
	assert_int_equal(it_event_json(&j, h), 1);
	jw_arr_end(&j);
	assert_false(j.oom);
	s = strndup(j.buf + 1, j.len - 2);
	jw_free(&j);
	return s;
}

/* KVM_SIGNAL_MSI folded with its injection and first APIC accept: one
 * "kvm_msi" line with the ioctl's fields; the fast path writes exactly the
 * generic writer's bytes, for every variant it takes. */
static void test_kvm_signal_msi(void **state)
{
	static const struct { uint64_t address; uint32_t data; uint8_t flags; uint32_t msi_flags; uint16_t acc; int32_t ret; } v[] = {
		{ 0xFEE01000u, 0x4022, 0, 0, 1, 1 },
		{ 0xFEE00000u, 0x45, 0, 0, 0, 0 },
		{ 0xFEEFF00Cu, 0xC1FF, 0, 1, 1, 1 },			/* logical, level, devid */
		{ 0x1FEE0A000ull | (0x12345ull << 40), 0x0400, 0, 0, 1, -22 },	/* x2APIC high dest, smi */
		{ 0xFEE00000u, 0x45, IT_F_NO_EXIT, 0, 1, 0 },		/* exit not seen: generic only */
		{ 0xFEE00010u, 0x45, 0, 0, 0, 1 },			/* remappable: generic only */
		{ 0xFED00000u, 0x45, 0, 0, 0, 1 },			/* outside the window */
		{ UINT64_MAX, UINT32_MAX, 0, 1, UINT16_MAX, INT32_MIN },
	};
	struct it_kvm_signal_msi e;
	struct jobj o;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct it_json j;
		char *g;

		memset(&e, 0, sizeof(e));
		hdr(&e.h, IT_EV_KVM_SIGNAL_MSI, sizeof(e));
		e.h.flags = IT_F_DATAPLANE | v[i].flags;
		e.address = v[i].address;
		e.data = v[i].data;
		e.fd = 4;
		e.ret = v[i].ret;
		e.duration = 1234 + (uint32_t)i;
		e.msi_flags = v[i].msi_flags;
		e.devid = 0x100;
		e.accepted = v[i].acc;
		e.apicid = 7;
		to_json(&e, &o, "kvm_msi");
		expect_u64(&o, "address", v[i].address);
		expect_u64(&o, "data", v[i].data);
		expect_str(&o, "ioctl", "KVM_SIGNAL_MSI");
		expect_u64(&o, "ioctl_fd", 4);
		expect_u64(&o, "fd", 4);
		expect_u64(&o, "host_irq", 0);
		expect_u64(&o, "accepted", v[i].acc);
		if (v[i].acc)
			expect_u64(&o, "apicid", 7);
		else
			expect_absent(&o, "apicid");
		if (v[i].msi_flags & 1)
			expect_u64(&o, "devid", 0x100);
		else
			expect_absent(&o, "devid");
		if (v[i].flags & IT_F_NO_EXIT) {
			expect_bool(&o, "exit_seen", false);
			expect_absent(&o, "ret");
		} else {
			expect_i64(&o, "ret", v[i].ret);
			expect_u64(&o, "duration_ns", 1234 + i);
		}
		/* top level (fast path where it applies) == nested (generic) */
		e.h.ts = UINT64_MAX - i;
		e.h.pid = e.h.tid = (uint32_t)(i * 1000003u);
		g = generic_json(&e.h);
		jw_init(&j);
		assert_int_equal(it_event_json(&j, &e.h), 1);
		assert_false(j.oom);
		assert_string_equal(j.buf, g);
		/* a second line after the newline starts without a separator */
		jw_raw(&j, "\n");
		assert_int_equal(it_event_json(&j, &e.h), 1);
		assert_int_equal(j.len, 2 * strlen(g) + 1);
		jw_free(&j);
		free(g);
	}
}

static void test_ioctl_create(void **state)
{
	struct it_ioctl_simple e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_CREATE_VM, sizeof(e));
	ioc(&e.c, 5, 0x0000AE01u, 11);
	e.arg = 0;
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "KVM_CREATE_VM", 5, 11);
	expect_u64(&o, "vm_type", 0);

	hdr(&e.h, IT_EV_IOCTL_CREATE_VCPU, sizeof(e));
	ioc(&e.c, 11, 0x0000AE41u, 13);
	e.arg = 3;
	to_json(&e, &o, "ioctl");
	expect_ioctl(&o, "KVM_CREATE_VCPU", 11, 13);
	expect_u64(&o, "vcpu_id", 3);
	expect_absent(&o, "vm_type");
}

static void test_ioctl_unknown_cmd(void **state)
{
	struct it_ioctl_irqfd e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_IRQFD, sizeof(e));
	ioc(&e.c, 11, 0x1234u, 0);
	to_json(&e, &o, "ioctl");
	expect_absent(&o, "ioctl");
	expect_u64(&o, "ioctl_cmd", 0x1234);
}

static void test_ioctl_ret_extremes(void **state)
{
	struct it_ioctl_irqfd e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IOCTL_IRQFD, sizeof(e));
	ioc(&e.c, 11, 0x4020AE76u, INT64_MIN);
	to_json(&e, &o, "ioctl");
	expect_i64(&o, "ret", INT64_MIN);
	ioc(&e.c, 0xFFFFFFFFu, 0x4020AE76u, -4095);
	to_json(&e, &o, "ioctl");
	expect_i64(&o, "ret", -4095);
	expect_u64(&o, "ioctl_fd", 0xFFFFFFFFu);
}

static void test_proc(void **state)
{
	struct it_proc e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_PROC, sizeof(e));
	e.proc_pid = PID;
	strcpy(e.comm, "qemu-system-x86");
	strcpy(e.name, "guest\"1\"");
	to_json(&e, &o, "proc");
	expect_u64(&o, "proc_pid", PID);
	expect_str(&o, "comm", "qemu-system-x86");
	expect_str(&o, "name", "guest\"1\"");
	/* full-length names without NUL stay inside their fields */
	memset(e.comm, 'c', sizeof(e.comm));
	memset(e.name, 'n', sizeof(e.name));
	to_json(&e, &o, "proc");
	assert_int_equal(need(&o, "comm", J_STR)->slen, IT_COMM_LEN);
	assert_int_equal(need(&o, "name", J_STR)->slen, sizeof(e.name));
}

static void test_lost(void **state)
{
	struct it_lost e;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_LOST, sizeof(e));
	e.lost = 17;
	to_json(&e, &o, "lost");
	expect_u64(&o, "lost", 17);
	e.lost = UINT64_MAX;
	to_json(&e, &o, "lost");
	expect_u64(&o, "lost", UINT64_MAX);
}

/* ------------------------------------------------------------------ */
/* malformed records                                                    */

static const unsigned int all_types[] = {
	IT_EV_IRQ_ENTRY, IT_EV_IRQ_EXIT, IT_EV_IRQ_NAME,
	IT_EV_VECTOR_SETUP, IT_EV_VECTOR_ALLOC, IT_EV_VECTOR_ALLOC_MANAGED,
	IT_EV_VECTOR_RESERVE, IT_EV_VECTOR_RESERVE_MANAGED, IT_EV_VECTOR_UPDATE,
	IT_EV_VECTOR_CLEAR, IT_EV_VECTOR_CONFIG, IT_EV_VECTOR_ACTIVATE,
	IT_EV_VECTOR_DEACTIVATE, IT_EV_VECTOR_TEARDOWN, IT_EV_VECTOR_FREE_MOVED,
	IT_EV_MATRIX_ALLOC, IT_EV_MATRIX_FREE, IT_EV_MATRIX_ALLOC_MANAGED,
	IT_EV_MATRIX_ALLOC_RESERVED, IT_EV_MATRIX_ASSIGN,
	IT_EV_KVM_MSI, IT_EV_KVM_SET_IRQ, IT_EV_KVM_PI_IRTE, IT_EV_KVM_APIC_ACCEPT,
	IT_EV_KVM_INJ_VIRQ, IT_EV_KVM_EOI, IT_EV_KVM_ACK_IRQ,
	IT_EV_HC_KVM, IT_EV_HC_HV, IT_EV_HC_HV_DONE, IT_EV_HC_XEN,
	IT_EV_IOCTL_SET_IRQS, IT_EV_IOCTL_GET_DEVICE_FD, IT_EV_IOCTL_IRQFD,
	IT_EV_IOCTL_GSI_ROUTING, IT_EV_IOCTL_GSI_ROUTE, IT_EV_IOCTL_SIGNAL_MSI,
	IT_EV_IOCTL_CREATE_VM, IT_EV_IOCTL_CREATE_VCPU, IT_EV_LOST, IT_EV_PROC,
	IT_EV_KVM_SIGNAL_MSI,
};

static void test_truncated_records(void **state)
{
	union {
		struct it_hdr h;
		unsigned char b[512];
	} u;

	(void)state;
	for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		unsigned int min = it_event_min_len(all_types[i]);

		assert_true(min >= sizeof(struct it_hdr) && min <= sizeof(u));
		memset(&u, 0, sizeof(u));
		/* one byte short, header only, and shorter than the header */
		hdr(&u.h, all_types[i], min - 1);
		expect_refused(&u);
		hdr(&u.h, all_types[i], sizeof(struct it_hdr));
		expect_refused(&u);
		hdr(&u.h, all_types[i], 0);
		u.h.len = 0;
		{
			struct it_json j;
			char line[64];

			jw_init(&j);
			assert_int_equal(it_event_json(&j, &u.h), -1);
			assert_int_equal(j.len, 0);
			assert_int_equal(it_event_text(&u.h, line, sizeof(line)), -1);
			jw_free(&j);
		}
	}
}

static void test_unknown_types(void **state)
{
	static const unsigned int unknown[] = { 0, 4, 9, 22, 35, 47, 54, 68, 79, 80, 150, 199,
						IT_EV_ALERT, 203, 255 };
	union {
		struct it_hdr h;
		unsigned char b[512];
	} u;

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		/* types the fentry tier may define later are unknown only while unnamed */
		if (it_event_type_name(unknown[i]))
			continue;
		memset(&u, 0, sizeof(u));
		hdr(&u.h, unknown[i], sizeof(u));
		expect_refused(&u);
	}
}

/* A longer record (a later payload version) is formatted from the fields it knows. */
static void test_longer_record_accepted(void **state)
{
	union {
		struct it_vector v;
		unsigned char b[sizeof(struct it_vector) + 16];
	} u;
	struct jobj o;

	(void)state;
	memset(&u, 0xAB, sizeof(u));
	vec(&u.v, IT_EV_VECTOR_UPDATE);
	u.v.h.len = sizeof(u);
	u.v.h.version = 2;
	to_json(&u, &o, "vector_update");
	expect_u64(&o, "irq", 40);
	expect_u64(&o, "prev_cpu", 2);
}

static void test_check(void **state)
{
	struct it_kvm_msi e;

	(void)state;
	kvm_msi(&e, 0xFEE01000ull, 0x25);
	assert_int_equal(it_event_check(&e.h, sizeof(e)), 0);
	assert_int_equal(it_event_check(&e.h, sizeof(e) + 100), 0);
	/* the record claims more bytes than the buffer holds */
	assert_int_equal(it_event_check(&e.h, sizeof(e) - 1), -1);
	assert_int_equal(it_event_check(&e.h, sizeof(struct it_hdr) - 1), -1);
	assert_int_equal(it_event_check(&e.h, 0), -1);
	e.h.len = sizeof(e) - 8;
	assert_int_equal(it_event_check(&e.h, sizeof(e)), -1);
	e.h.len = 8;
	assert_int_equal(it_event_check(&e.h, sizeof(e)), -1);
	e.h.len = sizeof(e);
	e.h.type = 4;
	assert_int_equal(it_event_check(&e.h, sizeof(e)), -1);
}

/* ------------------------------------------------------------------ */
/* escaping                                                             */

static void test_string_escaping(void **state)
{
	static const char nasty[] = "a\"b\\c\td\x01" "e\nf\x1fg";
	struct it_irq_entry e;
	struct it_ioctl_get_device_fd d;
	struct jobj o;

	(void)state;
	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IRQ_NAME, sizeof(e));
	e.irq = 5;
	memcpy(e.name, nasty, sizeof(nasty));
	to_json(&e, &o, "irq_name");	/* parses: every control char escaped */
	expect_str(&o, "name", nasty);

	memset(&d, 0, sizeof(d));
	hdr(&d.h, IT_EV_IOCTL_GET_DEVICE_FD, sizeof(d));
	ioc(&d.c, 9, 0x00003B6Au, -2);
	memcpy(d.name, "\"},{\"x\":1", 10);	/* an attempt to break out of the string */
	to_json(&d, &o, "ioctl");
	expect_str(&o, "device", "\"},{\"x\":1");
	expect_absent(&o, "x");
	expect_i64(&o, "ret", -2);
}

/* Two records into one buffer with jw_raw("\n"): two JSON lines, no comma. */
static void test_json_lines(void **state)
{
	struct it_kvm_msi a;
	struct it_lost b;
	struct it_json j;
	struct jobj o;
	char *nl;

	(void)state;
	kvm_msi(&a, 0xFEE01000ull, 0x25);
	memset(&b, 0, sizeof(b));
	hdr(&b.h, IT_EV_LOST, sizeof(b));
	b.lost = 1;
	jw_init(&j);
	assert_int_equal(it_event_json(&j, &a.h), 1);
	jw_raw(&j, "\n");
	assert_int_equal(it_event_json(&j, &b.h), 1);
	jw_raw(&j, "\n");
	nl = strchr(j.buf, '\n');
	assert_non_null(nl);
	assert_int_equal(parse_object(j.buf, (size_t)(nl - j.buf), &o), 0);
	expect_str(&o, "type", "kvm_msi");
	assert_int_equal(nl[1], '{');
	assert_int_equal(parse_object(nl + 1, strlen(nl + 1) - 1, &o), 0);
	expect_str(&o, "type", "lost");
	assert_int_equal(j.buf[j.len - 1], '\n');
	jw_free(&j);
}

/* ------------------------------------------------------------------ */
/* text                                                                 */

static void text_of(const void *rec, char *line, size_t len)
{
	struct it_hdr *h = dup_rec(rec);

	if (it_event_text(h, line, len) != 1)
		fail_msg("it_event_text did not format type %u", h->type);
	free(h);
	assert_null(strchr(line, '\n'));
}

static void expect_has(const char *line, const char *want)
{
	if (!strstr(line, want))
		fail_msg("\"%s\" not in text line \"%s\"", want, line);
}

static void test_text_lines(void **state)
{
	struct it_vector v;
	struct it_ioctl_irqfd f;
	struct it_ioctl_set_irqs s;
	struct it_irq_entry e;
	struct it_kvm_msi m;
	char line[1024];

	(void)state;
	vec(&v, IT_EV_VECTOR_UPDATE);
	text_of(&v, line, sizeof(line));
	expect_has(line, "1234.567890");
	expect_has(line, "cpu3");
	expect_has(line, "4242");
	expect_has(line, "vector_update");
	expect_has(line, " irq=40");
	expect_has(line, " vector=37");
	expect_has(line, " cpu=5");
	expect_has(line, " prev_vector=65");
	expect_has(line, " prev_cpu=2");
	assert_null(strstr(line, "ts="));
	assert_null(strstr(line, "type="));
	assert_null(strstr(line, "tid="));
	/* the prefix comes first: the time, then the type before the fields */
	assert_true(strstr(line, "1234.567890") < strstr(line, "vector_update"));
	assert_true(strstr(line, "vector_update") < strstr(line, " irq=40"));

	memset(&f, 0, sizeof(f));
	hdr(&f.h, IT_EV_IOCTL_IRQFD, sizeof(f));
	ioc(&f.c, 11, 0x4020AE76u, -22);
	f.efd = 45;
	f.gsi = 24;
	f.flags = 1;
	text_of(&f, line, sizeof(line));
	expect_has(line, "ioctl");
	expect_has(line, " ioctl=KVM_IRQFD");
	expect_has(line, " ret=-22");
	expect_has(line, " fd=45");
	expect_has(line, " gsi=24");
	expect_has(line, " deassign=true");

	memset(&s, 0, sizeof(s));
	hdr(&s.h, IT_EV_IOCTL_SET_IRQS, sizeof(s));
	ioc(&s.c, 30, 0x00003B6Eu, 0);
	s.flags = VFIO_SET_DATA_EVENTFD | VFIO_SET_ACTION_TRIGGER;
	s.index = 2;
	s.count = 2;
	s.nfds = 2;
	s.fds[0] = 40;
	s.fds[1] = -1;
	text_of(&s, line, sizeof(line));
	expect_has(line, " fds=[40,-1]");
	expect_has(line, " irq_kind=msix");
	expect_has(line, " count=2");

	memset(&e, 0, sizeof(e));
	hdr(&e.h, IT_EV_IRQ_NAME, sizeof(e));
	e.h.flags = IT_F_IN_HARDIRQ;
	e.irq = 27;
	strcpy(e.name, "a,b \"c\"\nd");
	text_of(&e, line, sizeof(line));	/* one line even with a newline in the name */
	expect_has(line, "irq_name");
	expect_has(line, " irq=27");
	expect_has(line, " in_irq=true");
	expect_has(line, "name=a,b \\\"c\\\"\\nd");

	kvm_msi(&m, 0xFEE0300Cull, 0xC141);
	text_of(&m, line, sizeof(line));
	expect_has(line, "kvm_msi");
	expect_has(line, " dest=3");
	expect_has(line, " vector=65");
	expect_has(line, " dest_mode=logical");
	expect_has(line, " delivery=lowest");
	expect_has(line, " trigger=level");
	expect_has(line, " format=compat");
}

static void test_text_small_buffers(void **state)
{
	struct it_kvm_msi m;
	struct it_hdr *h;
	char big[1024];

	(void)state;
	kvm_msi(&m, 0xFEE0300Cull, 0xC141);
	h = dup_rec(&m);
	assert_int_equal(it_event_text(h, big, sizeof(big)), 1);
	/* every size from 1 up: NUL-terminated, a prefix of the full line, never
	 * overflowing (each buffer is a heap block of exactly that size) */
	for (size_t len = 1; len <= strlen(big) + 1; len++) {
		char *b = malloc(len);
		bool ok;
		int r;

		if (!b)
			break;
		r = it_event_text(h, b, len);
		ok = r == 1 && strnlen(b, len) < len && !memcmp(b, big, strlen(b));
		free(b);
		if (!ok) {
			free(h);
			fail_msg("buffer of %zu bytes: returned %d or not a prefix", len, r);
		}
	}
	assert_int_equal(it_event_text(h, big, 0), -1);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irq_entry_and_name),
		cmocka_unit_test(test_irq_exit),
		cmocka_unit_test(test_vector_update),
		cmocka_unit_test(test_vector_config),
		cmocka_unit_test(test_vector_other),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_kvm_msi_compat),
		cmocka_unit_test(test_kvm_msi_wide_dest),
		cmocka_unit_test(test_kvm_msi_outside_window),
		cmocka_unit_test(test_kvm_msi_remappable),
		cmocka_unit_test(test_kvm_msi_remappable_has_no_vector),
		cmocka_unit_test(test_kvm_set_irq_ack),
		cmocka_unit_test(test_kvm_pi_irte),
		cmocka_unit_test(test_kvm_apic_events),
		cmocka_unit_test(test_kvm_apic_accept_delivery_mode),
		cmocka_unit_test(test_kvm_signal_msi),
		cmocka_unit_test(test_hypercalls),
		cmocka_unit_test(test_ioctl_set_irqs),
		cmocka_unit_test(test_ioctl_get_device_fd),
		cmocka_unit_test(test_ioctl_irqfd),
		cmocka_unit_test(test_ioctl_gsi_routing_table),
		cmocka_unit_test(test_ioctl_gsi_route_entry),
		cmocka_unit_test(test_ioctl_signal_msi),
		cmocka_unit_test(test_ioctl_create),
		cmocka_unit_test(test_ioctl_unknown_cmd),
		cmocka_unit_test(test_ioctl_ret_extremes),
		cmocka_unit_test(test_proc),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_truncated_records),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_longer_record_accepted),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_text_lines),
		cmocka_unit_test(test_text_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
