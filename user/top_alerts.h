/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * irqtrail top, Alerts view: the rules engine (src/rules.h) fed with the
 * same stream as the model and evaluated once per frame.  Builds without
 * the engine compile a stub whose pane says so.
 */
#ifndef IRQTRAIL_TOP_ALERTS_H
#define IRQTRAIL_TOP_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "agg.h"
#include "events.h"
#include "model.h"
#include "session.h"

struct top_alerts;

struct top_alert {
	int severity;		/* 0 info, 1 warning, 2 critical */
	const char *sev;	/* "info", "warning", "critical" */
	const char *code;	/* "IRT008" */
	const char *key;
	const char *msg;
	const char *bdf;	/* "" none */
	const char *vm;		/* "" none */
	int vm_pid;		/* -1 none */
	bool active;
	uint64_t first_ts, last_ts;
	uint64_t raised;
};

/* NULL when the engine is not in this build (or out of memory: err says). */
struct top_alerts *top_alerts_new(struct it_session *s, char *err, size_t errlen);
void top_alerts_free(struct top_alerts *a);
void top_alerts_event(struct top_alerts *a, const struct it_hdr *h);
void top_alerts_agg(struct top_alerts *a, const struct it_agg_frame *f);
/* Evaluate at data time now; the findings so far (valid until the next call). */
size_t top_alerts_eval(struct top_alerts *a, struct it_model *m, uint64_t now, struct top_alert **out);
/* "12 of 17 rules evaluating" or why there are none. */
void top_alerts_summary(struct top_alerts *a, char *buf, size_t len);
/* Active findings by severity. */
void top_alerts_active(struct top_alerts *a, unsigned counts[3]);

#endif
