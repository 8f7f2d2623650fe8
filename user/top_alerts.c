// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "top_alerts.h"

#if __has_include("rules.h")
#include "rules.h"

struct top_alerts {
	struct it_rules *rules;
	struct it_rules_env env;
	struct top_alert *out;
	size_t nout;
	char source[256];
};

struct top_alerts *top_alerts_new(struct it_session *s, char *err, size_t errlen)
{
	struct top_alerts *a = calloc(1, sizeof(*a));
	struct it_rules_conf conf;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	it_rules_conf_default(&conf);
	/* the site's thresholds and silences, as check uses them */
	if (!access(IT_RULES_CONF_DEFAULT, R_OK) && it_rules_conf_load(&conf, IT_RULES_CONF_DEFAULT, err, errlen)) {
		it_rules_conf_free(&conf);
		it_rules_conf_default(&conf);
	}
	snprintf(a->source, sizeof(a->source), "%s", conf.source[0] ? conf.source : "default rules");
	a->rules = it_rules_new(&conf);
	it_rules_conf_free(&conf);
	if (!a->rules) {
		free(a);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->env.snap = s->have_snap ? &s->snap : NULL;
	if (s->live) {
		size_t n;
		const struct it_hook_status *st = it_live_hooks(s->live, &n);

		for (size_t i = 0; i < n; i++)
			if (st[i].attached && st[i].hook && st[i].hook->hop)
				a->env.hops |= it_hop_bit(st[i].hook->hop);
		a->env.have_agg = true;
	} else if (s->tr) {
		const struct it_host *h = it_tr_host(s->tr);

		for (size_t i = 0; i < h->nhooks; i++)
			if (h->hooks[i].attached && h->hooks[i].hop)
				a->env.hops |= it_hop_bit(h->hooks[i].hop);
		a->env.have_agg = true;
	}
	it_rules_set_env(a->rules, &a->env);
	it_rules_set_start(a->rules, s->start_ts);
	return a;
}

void top_alerts_free(struct top_alerts *a)
{
	if (!a)
		return;
	it_rules_free(a->rules);
	free(a->out);
	free(a);
}

void top_alerts_event(struct top_alerts *a, const struct it_hdr *h)
{
	if (!a)
		return;
	/* handler exits streamed one by one (record --full): per-event rules can run */
	if (h->type == IT_EV_IRQ_EXIT && !a->env.full) {
		a->env.full = true;
		it_rules_set_env(a->rules, &a->env);
	}
	it_rules_event(a->rules, h);
}

void top_alerts_agg(struct top_alerts *a, const struct it_agg_frame *f)
{
	if (a)
		it_rules_agg(a->rules, f);
}

size_t top_alerts_eval(struct top_alerts *a, struct it_model *m, uint64_t now, struct top_alert **out)
{
	const struct it_finding *f;
	size_t n;

	*out = NULL;
	if (!a)
		return 0;
	if (it_rules_eval(a->rules, m, now) < 0)
		return 0;
	n = it_rules_findings(a->rules, &f);
	free(a->out);
	a->out = calloc(n ? n : 1, sizeof(*a->out));
	a->nout = 0;
	if (!a->out)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct it_rule_info *ri = it_rule_info(f[i].rule);
		struct top_alert *x = &a->out[a->nout++];

		x->severity = (int)f[i].severity;
		x->sev = it_severity_name(f[i].severity);
		x->code = ri ? ri->code : "IRT???";
		x->key = f[i].key;
		x->msg = f[i].msg;
		x->bdf = f[i].bdf;
		x->vm = f[i].vm;
		x->vm_pid = f[i].vm_pid;
		x->active = f[i].active;
		x->first_ts = f[i].first_ts;
		x->last_ts = f[i].last_ts;
		x->raised = f[i].raised;
	}
	*out = a->out;
	return a->nout;
}

void top_alerts_summary(struct top_alerts *a, char *buf, size_t len)
{
	unsigned on = 0;

	if (!a) {
		snprintf(buf, len, "rules engine not available in this build");
		return;
	}
	int nrules = 0;

	for (int id = 1; id <= IT_RULE_MAX; id++) {
		struct it_rule_status st;

		nrules += it_rule_exists(id);
		it_rules_status(a->rules, id, &st);
		on += st.evaluating;
	}
	snprintf(buf, len, "no findings: %u of %d rules evaluating (%s; 'irqtrail check' explains the rest)", on,
		 nrules, a->source);
}

void top_alerts_active(struct top_alerts *a, unsigned counts[3])
{
	counts[0] = counts[1] = counts[2] = 0;
	for (size_t i = 0; a && i < a->nout; i++)
		if (a->out[i].active && a->out[i].severity >= 0 && a->out[i].severity <= 2)
			counts[a->out[i].severity]++;
}

#else /* no rules engine */

struct top_alerts *top_alerts_new(struct it_session *s, char *err, size_t errlen)
{
	(void)s;
	snprintf(err, errlen, "rules engine not available in this build");
	return NULL;
}

void top_alerts_free(struct top_alerts *a)
{
	(void)a;
}

void top_alerts_event(struct top_alerts *a, const struct it_hdr *h)
{
	(void)a;
	(void)h;
}

void top_alerts_agg(struct top_alerts *a, const struct it_agg_frame *f)
{
	(void)a;
	(void)f;
}

size_t top_alerts_eval(struct top_alerts *a, struct it_model *m, uint64_t now, struct top_alert **out)
{
	(void)a;
	(void)m;
	(void)now;
	*out = NULL;
	return 0;
}

void top_alerts_summary(struct top_alerts *a, char *buf, size_t len)
{
	(void)a;
	snprintf(buf, len, "rules engine not available in this build");
}

void top_alerts_active(struct top_alerts *a, unsigned counts[3])
{
	(void)a;
	counts[0] = counts[1] = counts[2] = 0;
}

#endif
