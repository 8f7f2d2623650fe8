// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rules file: INI, parsed with inih (libinih).  One section per rule
 * ([IRT008] or [interrupt-storm]) with enabled / severity / thresholds /
 * silences, a [silence] section for device- or VM-wide silences, and a
 * [rules] section for settings that apply to every rule.  See
 * examples/rules.conf and docs/rules.md.
 *
 * inih is driven through its stream interface with a line-counting reader,
 * so every error names FILE:LINE, including the ones found after a whole
 * section was read (clear-rate above rate).
 */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "rules.h"

struct conf_ctx;

struct conf_reader {
	FILE *f;		/* a file, or */
	const char *p;		/* the rest of a string */
	unsigned int line;	/* lines handed to inih so far */
	struct conf_ctx *x;
};

static void check_section(struct conf_ctx *x, const char *line);

struct conf_ctx {
	struct it_rules_conf *c;
	struct conf_reader rd;
	const char *name;
	char *err;
	size_t errlen;
	bool failed;
	unsigned int clear_line[IT_RULE_MAX + 1];	/* where clear-rate was set */
	unsigned int rate_line[IT_RULE_MAX + 1];
};

static char *read_raw(char *str, int num, struct conf_reader *rd);

static char *read_line(char *str, int num, void *stream)
{
	struct conf_reader *rd = stream;
	char *ret = read_raw(str, num, rd);

	/* inih calls the handler for keys only: an empty section with a bad
	 * name would pass unnoticed, so section headers are checked here */
	if (ret)
		check_section(rd->x, ret);
	return ret;
}

static char *read_raw(char *str, int num, struct conf_reader *rd)
{

	if (num <= 1)
		return NULL;
	if (rd->f) {
		if (!fgets(str, num, rd->f))
			return NULL;
		/* a line longer than the buffer: inih would see its rest as the next line */
		size_t n = strlen(str);
		if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(rd->f)) {
			int ch;
			while ((ch = fgetc(rd->f)) != EOF && ch != '\n')
				;
			str[0] = '\x01';	/* force a syntax error on this line */
			str[1] = 0;
		}
		rd->line++;
		return str;
	}
	if (!rd->p || !*rd->p)
		return NULL;
	const char *nl = strchr(rd->p, '\n');
	size_t len = nl ? (size_t)(nl - rd->p) + 1 : strlen(rd->p);
	if (len >= (size_t)num) {
		str[0] = '\x01';
		str[1] = 0;
	} else {
		memcpy(str, rd->p, len);
		str[len] = 0;
	}
	rd->p += len;
	rd->line++;
	return str;
}

static int fail(struct conf_ctx *x, unsigned int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct conf_ctx *x, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->failed)
		return 0;
	x->failed = true;
	n = snprintf(x->err, x->errlen, "%s:%u: ", x->name, line);
	if (n < 0 || (size_t)n >= x->errlen)
		return 0;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

static int parse_bool(const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		return 0;
	return -1;
}

/* "200000", "200k", "1.5M" */
static int parse_rate(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || !isfinite(d))
		return -1;
	if (*end == 'k' || *end == 'K')
		d *= 1e3, end++;
	else if (*end == 'M' || *end == 'm')
		d *= 1e6, end++;
	if (!strcmp(end, "/s"))
		end += 2;
	if (*end || d < 0)
		return -1;
	*out = d;
	return 0;
}

/* "1", "1.5", "1.5s", "500ms", "5m" */
static int parse_secs(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || !isfinite(d) || d < 0)
		return -1;
	if (!strcmp(end, "ms"))
		d /= 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		d *= 60;
	else if (*end && strcmp(end, "s"))
		return -1;
	if (d > 86400 * 365)
		return -1;
	*out = d;
	return 0;
}

static int parse_uint(const char *v, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		return -1;
	*out = (unsigned int)n;
	return 0;
}

static int add_silence(struct conf_ctx *x, int rule, const char *what, const char *v)
{
	struct it_silence s = { .rule = rule, .line = x->rd.line };

	if (!strcmp(what, "device")) {
		if (it_bdf_parse(v, strlen(v), s.device)) {
			char tmp[32];

			snprintf(tmp, sizeof(tmp), "0000:%s", v);
			if (strlen(v) > 12 || it_bdf_parse(tmp, strlen(tmp), s.device))
				return fail(x, x->rd.line, "'%s' is not a PCI address (0000:00:03.0)", v);
		}
	} else {
		if (!*v || strlen(v) >= sizeof(s.vm))
			return fail(x, x->rd.line, "VM '%s': give a VM name or a VMM pid (up to %zu characters)", v,
				    sizeof(s.vm) - 1);
		snprintf(s.vm, sizeof(s.vm), "%s", v);
	}
	if (it_rules_conf_add_silence(x->c, &s))
		return fail(x, x->rd.line, "out of memory");
	return 1;
}

static int rule_key(struct conf_ctx *x, int id, const char *name, const char *v)
{
	const struct it_rule_info *ri = it_rule_info(id);
	struct it_rule_conf *k = &x->c->rule[id];
	unsigned int line = x->rd.line;
	int b;

	if (!strcmp(name, "enabled") || !strcmp(name, "enable")) {
		if ((b = parse_bool(v)) < 0)
			return fail(x, line, "%s: enabled = '%s': expected yes or no", ri->code, v);
		k->enabled = b;
		return 1;
	}
	if (!strcmp(name, "severity")) {
		if ((b = it_severity_parse(v)) < 0)
			return fail(x, line, "%s: severity '%s': expected info, warning or critical", ri->code, v);
		k->severity = (enum it_severity)b;
		return 1;
	}
	if (!strcmp(name, "silence-device"))
		return add_silence(x, id, "device", v);
	if (!strcmp(name, "silence-vm"))
		return add_silence(x, id, "vm", v);

	static const struct {
		const char *key;
		unsigned int bit;
	} params[] = {
		{ "rate", IT_RP_RATE }, { "clear-rate", IT_RP_CLEAR }, { "for", IT_RP_FOR },
		{ "grace", IT_RP_GRACE }, { "hold", IT_RP_HOLD }, { "min-free", IT_RP_MIN_FREE },
	};
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (strcmp(name, params[i].key))
			continue;
		if (!(ri->params & params[i].bit))
			return fail(x, line, "%s (%s) has no setting '%s'", ri->code, ri->name, name);
		switch (params[i].bit) {
		case IT_RP_RATE:
			if (parse_rate(v, &k->rate) || k->rate <= 0)
				return fail(x, line, "%s: rate '%s': expected a positive number per second (200000, 200k)",
					    ri->code, v);
			x->rate_line[id] = line;
			return 1;
		case IT_RP_CLEAR:
			if (parse_rate(v, &k->clear_rate))
				return fail(x, line, "%s: clear-rate '%s': expected a number per second", ri->code, v);
			x->clear_line[id] = line;
			return 1;
		case IT_RP_FOR:
			if (parse_secs(v, &k->for_secs))
				return fail(x, line, "%s: for '%s': expected seconds (2, 1.5s, 500ms)", ri->code, v);
			return 1;
		case IT_RP_GRACE:
			if (parse_secs(v, &k->grace_secs))
				return fail(x, line, "%s: grace '%s': expected seconds (2, 1.5s, 500ms)", ri->code, v);
			return 1;
		case IT_RP_HOLD:
			if (parse_secs(v, &k->hold_secs))
				return fail(x, line, "%s: hold '%s': expected seconds (300, 5m)", ri->code, v);
			return 1;
		case IT_RP_MIN_FREE:
			if (parse_uint(v, 256, &k->min_free))
				return fail(x, line, "%s: min-free '%s': expected a vector count (0..256)", ri->code, v);
			return 1;
		}
	}
	return fail(x, line, "%s: unknown setting '%s' (see docs/rules.md)", ri->code, name);
}

/* [rules]: every rule at once */
static int global_key(struct conf_ctx *x, const char *name, const char *v)
{
	unsigned int line = x->rd.line;

	if (!strcmp(name, "disable") || !strcmp(name, "enable")) {
		char buf[256], *save = NULL, *tok;

		if (strlen(v) >= sizeof(buf))
			return fail(x, line, "%s: list too long", name);
		snprintf(buf, sizeof(buf), "%s", v);
		for (tok = strtok_r(buf, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
			int id = it_rule_lookup(tok);

			if (id < 0)
				return fail(x, line, "%s: unknown rule '%s' (IRT001..IRT%03d or a rule name)", name, tok,
					    IT_RULE_MAX);
			x->c->rule[id].enabled = !strcmp(name, "enable");
		}
		return 1;
	}
	if (!strcmp(name, "hold") || !strcmp(name, "grace")) {
		double d;

		if (parse_secs(v, &d))
			return fail(x, line, "%s '%s': expected seconds", name, v);
		for (int id = 1; id <= IT_RULE_MAX; id++) {
			if (!strcmp(name, "hold"))
				x->c->rule[id].hold_secs = d;
			else
				x->c->rule[id].grace_secs = d;
		}
		return 1;
	}
	return fail(x, line, "[rules]: unknown setting '%s' (enable, disable, hold, grace)", name);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_ctx *x = user;
	int id;

	if (x->failed)
		return 1;	/* only the first error is reported */
	if (!*section)
		return fail(x, x->rd.line, "'%s' outside a section: put it under [rules], [silence] or a rule's [IRTnnn]",
			    name);
	if (!strcasecmp(section, "rules"))
		return global_key(x, name, value);
	if (!strcasecmp(section, "silence")) {
		if (!strcmp(name, "device") || !strcmp(name, "vm"))
			return add_silence(x, 0, name, value);
		return fail(x, x->rd.line, "[silence]: unknown setting '%s' (device, vm)", name);
	}
	id = it_rule_lookup(section);
	if (id < 0)
		return fail(x, x->rd.line, "unknown section [%s]: expected [rules], [silence] or a rule (IRT001..IRT%03d or "
			    "its name)", section, IT_RULE_MAX);
	return rule_key(x, id, name, value);
}

static void check_section(struct conf_ctx *x, const char *line)
{
	const char *p = line, *end;
	char name[64];

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '[' || x->failed)
		return;
	end = strchr(p, ']');
	if (!end)
		return;	/* inih reports the syntax error */
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	snprintf(name, sizeof(name), "%.*s", (int)(end - p), p);
	if (strcasecmp(name, "rules") && strcasecmp(name, "silence") && it_rule_lookup(name) < 0)
		fail(x, x->rd.line, "unknown section [%s]: expected [rules], [silence] or a rule (IRT001..IRT%03d or "
		     "its name)", name, IT_RULE_MAX);
}

static int run(struct it_rules_conf *c, struct conf_ctx *x)
{
	x->rd.x = x;
	int r = ini_parse_stream(read_line, &x->rd, handler, x);

	if (r == -2) {
		fail(x, x->rd.line, "out of memory");
		return -ENOMEM;
	}
	if (r > 0 && !x->failed)
		fail(x, (unsigned int)r, "syntax error: expected [section], 'key = value' or a comment (lines of at most "
		     "199 characters, not indented)");
	if (x->failed)
		return -1;
	for (int id = 1; id <= IT_RULE_MAX; id++) {
		const struct it_rule_conf *k = &c->rule[id];

		/* a new rate without a clear-rate keeps the default ratio */
		if (x->rate_line[id] && !x->clear_line[id])
			c->rule[id].clear_rate = k->rate / 2;
		if (k->clear_rate > k->rate && (x->clear_line[id] || x->rate_line[id])) {
			fail(x, x->clear_line[id] > x->rate_line[id] ? x->clear_line[id] : x->rate_line[id],
			     "%s: clear-rate %g is above rate %g (hysteresis needs clear-rate <= rate)",
			     it_rule_info(id)->code, k->clear_rate, k->rate);
			return -1;
		}
	}
	return 0;
}

int it_rules_conf_load(struct it_rules_conf *c, const char *path, char *err, size_t errlen)
{
	struct conf_ctx x = { .c = c, .name = path, .err = err, .errlen = errlen };
	int r;

	x.rd.f = fopen(path, "r");
	if (!x.rd.f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	snprintf(c->source, sizeof(c->source), "%s", path);
	r = run(c, &x);
	if (!r && ferror(x.rd.f)) {
		snprintf(err, errlen, "%s: read error", path);
		r = -EIO;
	}
	fclose(x.rd.f);
	return r;
}

int it_rules_conf_parse(struct it_rules_conf *c, const char *text, const char *name, char *err, size_t errlen)
{
	struct conf_ctx x = { .c = c, .name = name, .err = err, .errlen = errlen };

	x.rd.p = text;
	snprintf(c->source, sizeof(c->source), "%s", name);
	return run(c, &x);
}
