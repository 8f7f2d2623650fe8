// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail top --batch: plain-text frames on stdout with the dashboard's
 * columns, for scripts, logs and tests.  From a recording, frames are cut
 * at exact steps of the recording's clock (every -i seconds of data, as
 * fast as the file reads), so the output is the same on every run.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "top_app.h"

static void print_header(FILE *out, const struct top_frame *f, double interval)
{
	struct top_header h;
	char line[1024];

	top_header_build(f, interval, false, &h);
	for (int i = 0; i < TOP_HDR_LINES; i++) {
		top_header_text(&h, i, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}

static void print_cells(FILE *out, const struct top_table *tb, const int *cols, size_t n, const char *const *text)
{
	char line[TOP_MAXCOL * (TOP_CELL + 2)];
	size_t o = 0;

	for (size_t k = 0; k < n && o < sizeof(line); k++) {
		const struct top_col *c = &tb->cols[cols[k]];
		bool last = k + 1 == n;

		if (last && c->left)
			o += (size_t)snprintf(line + o, sizeof(line) - o, "%s", text[k]);
		else
			o += (size_t)snprintf(line + o, sizeof(line) - o, c->left ? "%-*s " : "%*s ", c->width, text[k]);
	}
	while (o > 0 && line[o - 1] == ' ')
		o--;
	line[o < sizeof(line) ? o : sizeof(line) - 1] = 0;
	fprintf(out, "%s\n", line);
}

static void print_table(FILE *out, const struct top_frame *f, int view, const struct top_sort *srt,
			const struct top_filter *flt)
{
	const struct top_table *tb = &f->t[view];
	int cols[TOP_MAXCOL], flex;
	size_t n = top_cols_fit(tb, 0, -1, cols, &flex);
	const char *text[TOP_MAXCOL];
	char upper[32];

	snprintf(upper, sizeof(upper), "%s", top_view_names[view]);
	for (char *p = upper; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	fprintf(out, "\n%s  %zu rows", upper, tb->nvis);
	if (tb->nvis != tb->nrows)
		fprintf(out, " of %zu", tb->nrows);
	fprintf(out, ", sort %s %s\n", tb->cols[srt->col[view]].name, srt->desc[view] ? "desc" : "asc");
	if (!tb->nrows) {
		fprintf(out, "(%s)\n", tb->empty ? tb->empty : "empty");
		return;
	}
	if (!tb->nvis) {
		fprintf(out, "(no row matches the filters)\n");
		return;
	}
	for (size_t k = 0; k < n; k++)
		text[k] = tb->cols[cols[k]].name;
	print_cells(out, tb, cols, n, text);
	for (size_t i = 0; i < tb->nvis; i++) {
		const struct top_row *w = &tb->rows[tb->vis[i]];
		for (size_t k = 0; k < n; k++)
			text[k] = top_cell(w, cols[k]);
		print_cells(out, tb, cols, n, text);
	}
	(void)flt;
}

/* The change log, as a log: the changes since the previous frame, in order. */
static void print_changes(FILE *out, const struct top_frame *f, const struct top_filter *flt)
{
	const struct top_table *tb = &f->t[TOP_V_CHANGES];
	int cols[TOP_MAXCOL], flex;
	size_t n = top_cols_fit(tb, 0, -1, cols, &flex), shown = 0;
	const char *text[TOP_MAXCOL];
	size_t first = f->nchanges - f->new_changes;
	bool any = false;

	for (size_t i = 0; i < tb->nvis; i++)
		if (tb->rows[tb->vis[i]].change >= (int)first)
			shown++;
	fprintf(out, "\nCHANGES  %zu new", shown);
	if (top_filter_active(flt) && shown != f->new_changes)
		fprintf(out, " of %zu", f->new_changes);
	fprintf(out, "\n");
	/* vis is in time order (the Changes view's default sort) unless -s
	 * changed it; a log prints in arrival order either way */
	for (size_t c = first; c < f->nchanges; c++) {
		for (size_t i = 0; i < tb->nvis; i++) {
			const struct top_row *w = &tb->rows[tb->vis[i]];
			if (w->change != (int)c)
				continue;
			if (!any) {
				for (size_t k = 0; k < n; k++)
					text[k] = tb->cols[cols[k]].name;
				print_cells(out, tb, cols, n, text);
				any = true;
			}
			for (size_t k = 0; k < n; k++)
				text[k] = top_cell(w, cols[k]);
			print_cells(out, tb, cols, n, text);
		}
	}
}

static void print_detail(FILE *out, const struct top_frame *f)
{
	size_t shown = 0;

	fprintf(out, "\nDETAIL\n");
	for (int v = TOP_V_DEVICES; v <= TOP_V_GUESTS; v++) {
		const struct top_table *tb = &f->t[v];
		for (size_t i = 0; i < tb->nvis; i++) {
			struct top_lines ls = { 0 };

			top_detail(f, &tb->rows[tb->vis[i]], 40, false, &ls);
			for (size_t k = 0; k < ls.n; k++)
				fprintf(out, "%s\n", ls.l[k].text);
			fprintf(out, "\n");
			top_lines_free(&ls);
			shown++;
		}
	}
	if (!shown)
		fprintf(out, "(no row matches)\n");
}

static int print_frame(FILE *out, const struct top_cfg *c, struct top_frame *f, const struct top_filter *flt,
		       const struct top_sort *srt)
{
	for (int v = 0; v < TOP_NTABLES; v++)
		if (top_table_apply(&f->t[v], v, flt, srt))
			return -ENOMEM;
	print_header(out, f, c->interval);
	for (int v = 0; v < TOP_NVIEWS; v++) {
		if (!(c->views & (1u << v)))
			continue;
		if (v == TOP_V_CHANGES)
			print_changes(out, f, flt);
		else if (v == TOP_V_DETAIL)
			print_detail(out, f);
		else
			print_table(out, f, v, srt, flt);
	}
	fprintf(out, "\n");
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

int top_batch_run(const struct top_cfg *c, struct top_src *src, struct top_filter *flt, struct top_sort *srt)
{
	struct top_state st;
	uint64_t step = (uint64_t)(c->interval * 1e9);
	int ret = IT_EXIT_OK;

	top_state_init(&st, c->interval);
	if (!step)
		step = 1;
	for (long long k = 1; !it_exiting && (!c->iters || k <= c->iters); k++) {
		struct top_frame f;
		int r;

		if (!src->live) {
			r = top_src_replay_until(src, src->s.start_ts + (uint64_t)k * step);
		} else {
			uint64_t end = it_now_ns() + step;
			r = 0;
			while (!it_exiting && r == 0) {
				uint64_t now = it_now_ns();
				if (now >= end)
					break;
				uint64_t left = (end - now) / 1000000;
				r = top_src_tick(src, left > 100 ? 100 : (int)left + 1);
			}
			if (r == 0)
				r = top_src_sync(src);
		}
		if (r < 0 && src->live) {
			p_err("%s", src->err);
			ret = IT_EXIT_FAIL;
			break;
		}
		r = top_frame_take(&f, src, &st);
		if (!r)
			r = print_frame(stdout, c, &f, flt, srt);
		top_frame_free(&f);
		if (r == -EIO) {
			ret = IT_EXIT_FAIL;	/* stdout went away (a closed pipe) */
			break;
		}
		if (r) {
			p_err("out of memory");
			ret = IT_EXIT_FAIL;
			break;
		}
		if (!src->live && src->ended)
			break;
	}
	if (!src->live && src->err[0]) {
		p_err("%s", src->err);
		ret = IT_EXIT_FAIL;
	}
	top_state_free(&st);
	return ret;
}
