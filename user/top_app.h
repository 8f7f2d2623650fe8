/* SPDX-License-Identifier: GPL-2.0-only */
/* irqtrail top: configuration shared by the command, the curses UI and the
 * batch printer. */
#ifndef IRQTRAIL_TOP_APP_H
#define IRQTRAIL_TOP_APP_H

#include <stdbool.h>
#include "top_data.h"

struct top_cfg {
	const char *file;	/* -r: a recording, NULL live */
	bool batch;
	long long iters;	/* -n: frames, 0 = until quit / end of recording */
	double interval;	/* -i: seconds between frames */
	double speed;		/* replay speed */
	char bdf[16];		/* -d */
	int pid;		/* --pid */
	const char *regex;	/* -f */
	const char *sort;	/* -s COL[:asc|:desc] */
	int view;		/* first view (interactive) */
	unsigned views;		/* batch: views printed (bit per enum top_view) */
	bool color;		/* colours allowed (NO_COLOR unset) */
};

/* Open the source, run the UI or the printer, close; an exit status. */
int top_run(struct top_cfg *c);
/* Apply -s to a sort state; -1 if no table has that column. */
int top_sort_parse(struct top_sort *s, const struct top_frame *f, const char *spec);

int top_ui_run(const struct top_cfg *c, struct top_src *src, struct top_filter *flt, struct top_sort *srt);
int top_batch_run(const struct top_cfg *c, struct top_src *src, struct top_filter *flt, struct top_sort *srt);

#endif
