// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail top, the curses dashboard.  One loop: the source is polled in
 * short steps (the ring buffer never waits for the terminal), keys are read
 * without blocking, a frame is taken from the model once per interval, and
 * the screen is drawn from that frame only: keys that sort, filter or move
 * redraw the same frame.
 */
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "top_app.h"
#include "top_term.h"

#define KEY_ESC 27
#define CTRL(x) ((x) & 0x1f)

enum { OV_NONE = 0, OV_HELP, OV_COVERAGE };

struct ui {
	const struct top_cfg *cfg;
	struct top_src *src;
	struct top_filter *flt;
	struct top_sort *srt;
	struct top_state st;
	struct top_frame fr;
	bool have_frame;
	int view, last_table;
	size_t sel[TOP_NTABLES], top[TOP_NTABLES];
	char sel_key[TOP_NTABLES][48];
	bool follow;			/* Changes: stay on the newest */
	char detail_key[48];
	int detail_table;
	size_t detail_scroll, overlay_scroll;
	int overlay;
	int prompt;			/* '/', 'd', 'g', 'i' or 0 */
	char pbuf[160];
	size_t plen;
	char msg[240];
	uint64_t msg_until;
	double interval;
	bool frozen;			/* live pause: the display holds still */
	uint64_t next_frame;
	long long frames;
	bool quit;
	bool color, utf8;
	int body_rows;
};

static const double speeds[] = { 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 };
#define NSPEEDS (sizeof(speeds) / sizeof(speeds[0]))

/* ------------------------------------------------------------ attributes */

static attr_t sattr(const struct ui *u, int style)
{
	switch (style) {
	case TOP_S_TITLE:
		return A_BOLD | (u->color ? COLOR_PAIR(TOP_PAIR_TITLE) : 0);
	case TOP_S_WARN:
		return A_BOLD | (u->color ? COLOR_PAIR(TOP_PAIR_WARN) : 0);
	case TOP_S_GOOD:
		return u->color ? COLOR_PAIR(TOP_PAIR_GOOD) : A_NORMAL;
	case TOP_S_VALUE:
		return A_BOLD;
	case TOP_S_HEAD:
		return A_BOLD;
	case TOP_S_DIM:
		return A_DIM;
	case TOP_S_BAR:
		return u->color ? COLOR_PAIR(TOP_PAIR_BAR) : A_NORMAL;
	case TOP_S_LABEL:
	default:
		return A_NORMAL;
	}
}

static void msg(struct ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void msg(struct ui *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	u->msg_until = it_now_ns() + 4000000000ull;
}

/* text cut to w columns (bytes; the tables are ASCII) */
static void put(int y, int x, int w, attr_t a, const char *s)
{
	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(a);
	mvaddnstr(y, x, s, w);
	attrset(A_NORMAL);
}

/* ------------------------------------------------------------ frames */

static struct top_table *cur_table(struct ui *u)
{
	return u->have_frame && u->view < TOP_NTABLES ? &u->fr.t[u->view] : NULL;
}

static void remember_sel(struct ui *u, int v)
{
	struct top_table *tb = &u->fr.t[v];

	if (u->sel[v] < tb->nvis)
		snprintf(u->sel_key[v], sizeof(u->sel_key[v]), "%s", tb->rows[tb->vis[u->sel[v]]].key);
}

/* after a new frame or a new order: find the selected row again by key */
static void reselect(struct ui *u, int v)
{
	struct top_table *tb = &u->fr.t[v];

	if (v == TOP_V_CHANGES && u->follow) {
		u->sel[v] = tb->nvis ? tb->nvis - 1 : 0;
	} else if (u->sel_key[v][0]) {
		for (size_t i = 0; i < tb->nvis; i++)
			if (!strcmp(tb->rows[tb->vis[i]].key, u->sel_key[v])) {
				u->sel[v] = i;
				break;
			}
	}
	if (u->sel[v] >= tb->nvis)
		u->sel[v] = tb->nvis ? tb->nvis - 1 : 0;
	remember_sel(u, v);
}

static void apply_all(struct ui *u)
{
	for (int v = 0; v < TOP_NTABLES; v++) {
		if (top_table_apply(&u->fr.t[v], v, u->flt, u->srt))
			msg(u, "out of memory");
		reselect(u, v);
	}
}

static int take_frame(struct ui *u)
{
	int r;

	if (u->have_frame)
		top_frame_free(&u->fr);
	u->have_frame = false;
	r = top_src_sync(u->src);
	if (r < 0 && u->src->live)
		return r;
	r = top_frame_take(&u->fr, u->src, &u->st);
	if (r) {
		top_frame_free(&u->fr);
		return r;
	}
	u->have_frame = true;
	apply_all(u);
	u->frames++;
	return 0;
}

/* ------------------------------------------------------------ drawing */

static void draw_header(struct ui *u)
{
	struct top_header h;

	top_header_build(&u->fr, u->interval, true, &h);
	for (int l = 0; l < TOP_HDR_LINES; l++) {
		int x = 0;
		move(l, 0);
		for (size_t i = 0; i < h.n[l] && x < COLS; i++) {
			const struct top_seg *s = &h.seg[l][i];
			int len = (int)strlen(s->text);
			put(l, x, COLS - x, sattr(u, s->style), s->text);
			x += len;
		}
	}
}

static void draw_tabs(struct ui *u, int y)
{
	int x = 0;
	char b[200];
	size_t o = 0;

	move(y, 0);
	for (int v = 0; v < TOP_NVIEWS; v++) {
		char t[32];
		attr_t a = v == u->view ? (u->color ? COLOR_PAIR(TOP_PAIR_TAB) | A_BOLD : A_REVERSE | A_BOLD) : A_NORMAL;
		int n = snprintf(t, sizeof(t), " %d %s ", v + 1, top_view_names[v]);
		put(y, x, n, a, t);
		x += n;
	}
	b[0] = 0;
	if (u->flt->re_text[0])
		o += (size_t)snprintf(b + o, sizeof(b) - o, " /%s/", u->flt->re_text);
	if (u->flt->bdf[0] && o < sizeof(b))
		o += (size_t)snprintf(b + o, sizeof(b) - o, " dev=%s", u->flt->bdf);
	if (u->flt->pid && o < sizeof(b))
		o += (size_t)snprintf(b + o, sizeof(b) - o, " vm=%d", u->flt->pid);
	if (u->flt->vm[0] && o < sizeof(b))
		o += (size_t)snprintf(b + o, sizeof(b) - o, " vm=%s", u->flt->vm);
	if (o)
		put(y, x + 1, COLS - x - 1, sattr(u, TOP_S_WARN), b);
	x += (int)o + 1;
	if (u->view < TOP_NTABLES) {
		const struct top_table *tb = &u->fr.t[u->view];
		char s[64];
		int n = snprintf(s, sizeof(s), "sort %s %s", tb->cols[u->srt->col[u->view]].name,
				 u->srt->desc[u->view] ? "desc" : "asc");
		if (COLS - n - 1 > x)
			put(y, COLS - n - 1, n, A_DIM, s);
	}
}

static void cell_text(char *out, size_t len, const char *s, int w, bool left)
{
	if (w <= 0) {
		out[0] = 0;
		return;
	}
	if ((int)strlen(s) > w)
		snprintf(out, len, "%.*s", w, s);
	else
		snprintf(out, len, left ? "%-*s" : "%*s", w, s);
}

static void draw_table(struct ui *u, int y0, int rows)
{
	struct top_table *tb = cur_table(u);
	int cols[TOP_MAXCOL], flex, v = u->view;
	size_t n = top_cols_fit(tb, COLS, u->srt->col[v], cols, &flex);
	char buf[512];
	int x = 0;

	/* column header, the sort column marked */
	attr_t ha = u->color ? COLOR_PAIR(TOP_PAIR_HEAD) : A_REVERSE;
	move(y0, 0);
	attrset(ha);
	for (int i = 0; i < COLS; i++)
		addch(' ');
	for (size_t k = 0; k < n; k++) {
		const struct top_col *c = &tb->cols[cols[k]];
		int w = c->width ? c->width : flex;
		char name[40];
		bool sorted = cols[k] == u->srt->col[v];

		if (sorted)
			snprintf(name, sizeof(name), "%s%s", c->name, u->srt->desc[v] ? (u->utf8 ? "\u25bc" : "v") : (u->utf8 ? "\u25b2" : "^"));
		else
			snprintf(name, sizeof(name), "%s", c->name);
		/* the arrow is one column wide, several bytes long */
		int vis = (int)strlen(c->name) + (sorted ? 1 : 0);
		int pad = w - vis;
		if (pad < 0)
			pad = 0;
		attrset(ha | (sorted ? A_BOLD | A_UNDERLINE : 0));
		if (c->left)
			mvprintw(y0, x, "%s", name);
		else
			mvprintw(y0, x + pad, "%s", name);
		x += w + 1;
	}
	attrset(A_NORMAL);
	if (!tb->nvis) {
		const char *why = !tb->nrows ? (tb->empty ? tb->empty : "empty") : "no row matches the filters (/, d, g; empty input clears)";
		put(y0 + 2, 2, COLS - 4, A_DIM, why);
		return;
	}
	/* keep the selection in view */
	size_t sel = u->sel[v];
	if (sel < u->top[v])
		u->top[v] = sel;
	if (rows > 0 && sel >= u->top[v] + (size_t)rows)
		u->top[v] = sel - (size_t)rows + 1;
	if (u->top[v] + (size_t)rows > tb->nvis)
		u->top[v] = tb->nvis > (size_t)rows ? tb->nvis - (size_t)rows : 0;
	int prev_group = -2;
	if (u->top[v] > 0)
		prev_group = tb->rows[tb->vis[u->top[v] - 1]].group;
	for (int r = 0; r < rows && u->top[v] + (size_t)r < tb->nvis; r++) {
		size_t i = u->top[v] + (size_t)r;
		const struct top_row *w = &tb->rows[tb->vis[i]];
		bool selected = i == sel;
		attr_t base = selected ? (u->color ? COLOR_PAIR(TOP_PAIR_SEL) : A_REVERSE) : A_NORMAL;
		bool cont = w->group >= 0 && w->group == prev_group;
		int y = y0 + 1 + r;

		prev_group = w->group;
		x = 0;
		if (selected) {
			attrset(base);
			move(y, 0);
			for (int k = 0; k < COLS; k++)
				addch(' ');
		}
		for (size_t k = 0; k < n; k++) {
			const struct top_col *c = &tb->cols[cols[k]];
			int cw = c->width ? c->width : flex;
			attr_t a = base;

			if (k == 0 && cont && !selected)
				a |= A_DIM;
			if (c->num && !strcmp(c->name, "RATE/s") && w->rate > 0)
				a |= A_BOLD;
			cell_text(buf, sizeof(buf), top_cell(w, cols[k]), cw, c->left);
			put(y, x, cw, a, buf);
			x += cw + 1;
		}
	}
	if (tb->nvis > (size_t)rows) {
		char s[64];
		int len = snprintf(s, sizeof(s), " %zu-%zu of %zu ", u->top[v] + 1,
				   u->top[v] + (size_t)rows < tb->nvis ? u->top[v] + (size_t)rows : tb->nvis, tb->nvis);
		put(y0 + rows, COLS - len - 1, len, A_DIM, s);
	}
}

static void draw_lines(struct ui *u, const struct top_lines *ls, int y0, int rows, size_t *scroll)
{
	if (ls->n <= (size_t)rows)
		*scroll = 0;
	else if (*scroll > ls->n - (size_t)rows)
		*scroll = ls->n - (size_t)rows;
	for (int r = 0; r < rows && *scroll + (size_t)r < ls->n; r++) {
		const struct top_line *l = &ls->l[*scroll + (size_t)r];
		attr_t a = sattr(u, l->style);

		attrset(a);
		mvaddnstr(y0 + r, 0, l->text, COLS);	/* bytes: bars are UTF-8 */
		attrset(A_NORMAL);
	}
	if (ls->n > (size_t)rows) {
		char s[64];
		int len = snprintf(s, sizeof(s), " lines %zu-%zu of %zu (j/k) ", *scroll + 1, *scroll + (size_t)rows, ls->n);
		put(y0 + rows - 1, COLS - len - 1, len, A_DIM, s);
	}
}

static const struct top_row *detail_row(struct ui *u)
{
	if (!u->have_frame || !u->detail_key[0])
		return NULL;
	for (int v = TOP_V_DEVICES; v <= TOP_V_GUESTS; v++) {
		struct top_table *tb = &u->fr.t[v];
		for (size_t i = 0; i < tb->nrows; i++)
			if (!strcmp(tb->rows[i].key, u->detail_key))
				return &tb->rows[i];
	}
	return NULL;
}

static void help_lines(struct top_lines *ls, bool live)
{
	top_lines_add(ls, TOP_S_TITLE, "irqtrail top: keys");
	top_lines_add(ls, TOP_S_NORMAL, "  1-5, Tab, Shift-Tab  views: Devices, Guests, Changes, Alerts, Detail");
	top_lines_add(ls, TOP_S_NORMAL, "  Up/Down j/k PgUp/PgDn Home/End   move the selection (scroll in Detail)");
	top_lines_add(ls, TOP_S_NORMAL, "  Enter                Detail of the selected row; Enter/Esc/Backspace goes back");
	top_lines_add(ls, TOP_S_NORMAL, "  s  >  <              sort by the next / next / previous column");
	top_lines_add(ls, TOP_S_NORMAL, "  I                    invert the sort order");
	top_lines_add(ls, TOP_S_NORMAL, "  /                    filter rows: extended regex over all columns, case-insensitive");
	top_lines_add(ls, TOP_S_NORMAL, "  d                    device filter: a PCI address (0000:00:03.0 or 00:03.0)");
	top_lines_add(ls, TOP_S_NORMAL, "  g                    VM filter: a VMM pid or part of the VM name");
	top_lines_add(ls, TOP_S_NORMAL, "                       (an empty answer clears a filter, Esc cancels)");
	top_lines_add(ls, TOP_S_NORMAL, "  p, space             pause: %s", live ? "hold the display (tracing goes on)" : "stop the replay clock");
	top_lines_add(ls, TOP_S_NORMAL, "  +  -                 replay speed up / down (x0.1 .. x1024)");
	top_lines_add(ls, TOP_S_NORMAL, "  r                    reset counters, totals and latency histograms");
	top_lines_add(ls, TOP_S_NORMAL, "  i                    refresh interval (seconds)");
	top_lines_add(ls, TOP_S_NORMAL, "  c                    hook coverage: every routing hop, its tier, why blind");
	top_lines_add(ls, TOP_S_NORMAL, "  Ctrl-L               redraw;   ?  this help;   q  quit");
	top_lines_add(ls, TOP_S_DIM, "%s", "");
	top_lines_add(ls, TOP_S_HEAD, "Columns");
	top_lines_add(ls, TOP_S_NORMAL, "  RATE/s over the last interval; TOTAL, P50, P99 since start (or the last r).");
	top_lines_add(ls, TOP_S_NORMAL, "  Devices: P50/P99 are host handler run times.  Guests: P50/P99 host irq -> KVM");
	top_lines_add(ls, TOP_S_NORMAL, "  injection (a device's irq only), ACC50/ACC99 injection -> vCPU local APIC accept.");
	top_lines_add(ls, TOP_S_NORMAL, "  IRTE: remap (remapped), posted (posted to the vCPU), - (not remapped).");
	top_lines_add(ls, TOP_S_NORMAL, "  Header cost: the run time of irqtrail's BPF programs per second (kernel BPF");
	top_lines_add(ls, TOP_S_NORMAL, "  statistics, on only while top runs) and top's own CPU use.");
	top_lines_add(ls, TOP_S_DIM, "%s", "");
	top_lines_add(ls, TOP_S_DIM, "any key closes this page");
}

static void draw_status(struct ui *u)
{
	int y = LINES - 1;
	char b[300];

	move(y, 0);
	clrtoeol();
	if (u->prompt) {
		const char *what = u->prompt == '/' ? "filter regex" : u->prompt == 'd' ? "device (BDF)"
				 : u->prompt == 'g' ? "VM (pid or name)" : "interval (s)";
		int n = snprintf(b, sizeof(b), "%s (Enter applies, empty clears, Esc cancels): ", what);
		put(y, 0, COLS, A_BOLD, b);
		put(y, n, COLS - n, A_NORMAL, u->pbuf);
		move(y, n + (int)u->plen < COLS ? n + (int)u->plen : COLS - 1);
		return;
	}
	if (u->msg[0] && it_now_ns() < u->msg_until) {
		put(y, 0, COLS, sattr(u, TOP_S_WARN), u->msg);
		return;
	}
	snprintf(b, sizeof(b), "q quit  ? help  1-5 views  Enter detail  / filter  d dev  g vm  s <> sort  p pause%s  r reset  c coverage",
		 u->src->live ? "" : "  +- speed");
	put(y, 0, COLS, A_DIM, b);
}

static void draw(struct ui *u)
{
	int body0 = TOP_HDR_LINES + 1, rows;

	erase();
	if (LINES < 10 || COLS < 40) {
		char b[80];
		snprintf(b, sizeof(b), "terminal too small (%dx%d): at least 40x10", COLS, LINES);
		put(0, 0, COLS, A_BOLD, b);
		refresh();
		return;
	}
	if (!u->have_frame) {
		put(0, 0, COLS, A_BOLD, "irqtrail top: starting...");
		refresh();
		return;
	}
	curs_set(u->prompt ? 1 : 0);
	draw_header(u);
	draw_tabs(u, TOP_HDR_LINES);
	rows = LINES - body0 - 1;	/* status line at the bottom */
	u->body_rows = rows;
	if (u->overlay) {
		struct top_lines ls = { 0 };
		if (u->overlay == OV_HELP)
			help_lines(&ls, u->src->live);
		else
			top_coverage_lines(u->fr.info, &ls);
		draw_lines(u, &ls, body0, rows, &u->overlay_scroll);
		top_lines_free(&ls);
	} else if (u->view == TOP_V_DETAIL) {
		struct top_lines ls = { 0 };
		int barw = COLS - 46;
		top_detail(&u->fr, detail_row(u), barw > 60 ? 60 : barw, u->utf8, &ls);
		draw_lines(u, &ls, body0, rows, &u->detail_scroll);
		top_lines_free(&ls);
	} else {
		draw_table(u, body0, rows - 1);
	}
	draw_status(u);
	refresh();
}

/* ------------------------------------------------------------ keys */

static void set_view(struct ui *u, int v)
{
	if (v == TOP_V_DETAIL) {
		int from = u->view < TOP_V_CHANGES ? u->view : u->last_table;
		struct top_table *tb = u->have_frame ? &u->fr.t[from] : NULL;
		if (tb && u->sel[from] < tb->nvis)
			snprintf(u->detail_key, sizeof(u->detail_key), "%s", tb->rows[tb->vis[u->sel[from]]].key);
		u->detail_table = from;
		u->detail_scroll = 0;
	} else if (v < TOP_V_CHANGES) {
		u->last_table = v;
	}
	u->view = v;
	u->overlay = OV_NONE;
}

static void move_sel(struct ui *u, long delta, bool to_end, bool to_start)
{
	struct top_table *tb = cur_table(u);

	if (u->view == TOP_V_DETAIL || u->overlay) {
		size_t *s = u->overlay ? &u->overlay_scroll : &u->detail_scroll;
		if (to_start)
			*s = 0;
		else if (to_end)
			*s = (size_t)-1 / 2;
		else if (delta < 0)
			*s = *s > (size_t)-delta ? *s - (size_t)-delta : 0;
		else
			*s += (size_t)delta;
		return;
	}
	if (!tb || !tb->nvis)
		return;
	size_t v = (size_t)u->view, s = u->sel[v];
	if (to_start)
		s = 0;
	else if (to_end)
		s = tb->nvis - 1;
	else if (delta < 0)
		s = s > (size_t)-delta ? s - (size_t)-delta : 0;
	else
		s = s + (size_t)delta < tb->nvis ? s + (size_t)delta : tb->nvis - 1;
	u->sel[v] = s;
	if (v == TOP_V_CHANGES)
		u->follow = s == tb->nvis - 1;
	remember_sel(u, (int)v);
}

static void resort(struct ui *u, int dir, bool invert)
{
	int v = u->view;
	size_t nc;
	const struct top_col *cols = top_view_cols(v, &nc);

	if (v >= TOP_NTABLES || !cols)
		return;
	if (invert) {
		u->srt->desc[v] = !u->srt->desc[v];
	} else {
		int c = u->srt->col[v] + dir;
		if (c < 0)
			c = (int)nc - 1;
		if (c >= (int)nc)
			c = 0;
		u->srt->col[v] = c;
		u->srt->desc[v] = cols[c].desc;
	}
	apply_all(u);
	msg(u, "sort %s by %s %s", top_view_names[v], cols[u->srt->col[v]].name, u->srt->desc[v] ? "desc" : "asc");
}

static void change_speed(struct ui *u, int dir)
{
	double s = u->src->speed;
	size_t i = 0;

	if (u->src->live) {
		msg(u, "speed applies to replays (-r FILE)");
		return;
	}
	if (s <= 0) {
		if (dir < 0)
			top_src_set_speed(u->src, speeds[NSPEEDS - 1]);
	} else {
		while (i + 1 < NSPEEDS && speeds[i] < s - 1e-9)
			i++;
		if (dir > 0 && speeds[i] <= s + 1e-9 && i + 1 < NSPEEDS)
			i++;
		else if (dir < 0 && speeds[i] >= s - 1e-9 && i > 0)
			i--;
		top_src_set_speed(u->src, speeds[i]);
	}
	msg(u, "replay speed x%g", u->src->speed);
}

static void prompt_done(struct ui *u)
{
	char err[200];

	u->pbuf[u->plen] = 0;
	switch (u->prompt) {
	case '/':
		if (top_filter_set_regex(u->flt, u->pbuf, err, sizeof(err)))
			msg(u, "%s", err);
		else
			msg(u, u->pbuf[0] ? "filter /%s/" : "regex filter cleared", u->pbuf);
		break;
	case 'd':
		if (top_filter_set_bdf(u->flt, u->pbuf))
			msg(u, "'%s' is not a PCI address (0000:00:03.0 or 00:03.0)", u->pbuf);
		else
			msg(u, u->flt->bdf[0] ? "device %s" : "device filter cleared", u->flt->bdf);
		break;
	case 'g':
		top_filter_set_vm(u->flt, u->pbuf);
		msg(u, u->pbuf[0] ? "VM %s" : "VM filter cleared", u->pbuf);
		break;
	case 'i': {
		double s = it_parse_secs(u->pbuf);
		if (s < 0.01 || s > 3600)
			msg(u, "interval must be 0.01 to 3600 seconds");
		else {
			u->interval = s;
			top_state_set_interval(&u->st, s);
			u->next_frame = it_now_ns() + (uint64_t)(s * 1e9);
			msg(u, "refresh every %gs", s);
		}
		break;
	}
	}
	u->prompt = 0;
	if (u->have_frame)
		apply_all(u);
}

static void prompt_key(struct ui *u, int ch)
{
	if (ch == KEY_ESC) {
		u->prompt = 0;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		prompt_done(u);
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == CTRL('h')) {
		if (u->plen)
			u->pbuf[--u->plen] = 0;
	} else if (ch == CTRL('u')) {
		u->plen = 0;
		u->pbuf[0] = 0;
	} else if (ch >= 32 && ch < 127 && u->plen + 1 < sizeof(u->pbuf)) {
		u->pbuf[u->plen++] = (char)ch;
		u->pbuf[u->plen] = 0;
	}
}

static void start_prompt(struct ui *u, int which)
{
	u->prompt = which;
	u->plen = 0;
	u->pbuf[0] = 0;
}

static void toggle_pause(struct ui *u)
{
	if (u->src->live) {
		u->frozen = !u->frozen;
		u->fr.paused = u->frozen;
		if (!u->frozen)
			u->next_frame = 0;
		msg(u, u->frozen ? "paused: the display holds, tracing goes on (p resumes)" : "resumed");
	} else {
		top_src_set_paused(u->src, !u->src->paused);
		/* show the position the clock stopped at */
		if (take_frame(u) < 0)
			u->quit = true;
		u->next_frame = it_now_ns() + (uint64_t)(u->interval * 1e9);
		msg(u, u->src->paused ? "replay paused (space resumes)" : "replay resumed");
	}
}

static void key(struct ui *u, int ch)
{
	if (u->prompt) {
		prompt_key(u, ch);
		return;
	}
	if (u->overlay) {
		/* scrolling keys scroll the page, anything else closes it */
		if (ch == KEY_UP || ch == 'k')
			move_sel(u, -1, false, false);
		else if (ch == KEY_DOWN || ch == 'j')
			move_sel(u, 1, false, false);
		else if (ch == KEY_NPAGE)
			move_sel(u, u->body_rows, false, false);
		else if (ch == KEY_PPAGE)
			move_sel(u, -(long)u->body_rows, false, false);
		else if (ch != KEY_RESIZE)
			u->overlay = OV_NONE;
		return;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		u->quit = true;
		break;
	case '1' ... '5':
		set_view(u, ch - '1');
		break;
	case '\t':
		set_view(u, (u->view + 1) % TOP_NVIEWS);
		break;
	case KEY_BTAB:
		set_view(u, (u->view + TOP_NVIEWS - 1) % TOP_NVIEWS);
		break;
	case KEY_UP:
	case 'k':
		move_sel(u, -1, false, false);
		break;
	case KEY_DOWN:
	case 'j':
		move_sel(u, 1, false, false);
		break;
	case KEY_PPAGE:
		move_sel(u, -(long)(u->body_rows > 2 ? u->body_rows - 2 : 1), false, false);
		break;
	case KEY_NPAGE:
		move_sel(u, u->body_rows > 2 ? u->body_rows - 2 : 1, false, false);
		break;
	case KEY_HOME:
		move_sel(u, 0, false, true);
		break;
	case KEY_END:
		move_sel(u, 0, true, false);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (u->view == TOP_V_DETAIL)
			set_view(u, u->detail_table);
		else if (u->view == TOP_V_DEVICES || u->view == TOP_V_GUESTS)
			set_view(u, TOP_V_DETAIL);
		break;
	case KEY_ESC:
	case KEY_BACKSPACE:
	case 127:
	case KEY_LEFT:
		if (u->view == TOP_V_DETAIL)
			set_view(u, u->detail_table);
		break;
	case 's':
	case '>':
	case '.':
		resort(u, 1, false);
		break;
	case '<':
	case ',':
		resort(u, -1, false);
		break;
	case 'I':
		resort(u, 0, true);
		break;
	case '/':
	case 'd':
	case 'g':
	case 'i':
		start_prompt(u, ch);
		break;
	case 'p':
	case ' ':
		toggle_pause(u);
		break;
	case '+':
	case '=':
		change_speed(u, 1);
		break;
	case '-':
	case '_':
		change_speed(u, -1);
		break;
	case 'r':
		top_src_reset(u->src);
		top_state_reset(&u->st, u->src->agg_ts ? u->src->agg_ts : top_src_now(u->src));
		u->next_frame = 0;
		msg(u, "counters reset");
		break;
	case 'c':
		u->overlay = OV_COVERAGE;
		u->overlay_scroll = 0;
		break;
	case '?':
	case 'h':
	case KEY_F(1):
		u->overlay = OV_HELP;
		u->overlay_scroll = 0;
		break;
	case CTRL('l'):
		clearok(stdscr, TRUE);
		break;
	case KEY_RESIZE:
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ the loop */

int top_ui_run(const struct top_cfg *c, struct top_src *src, struct top_filter *flt, struct top_sort *srt)
{
	struct ui u;
	char why[200];
	int ret = IT_EXIT_OK;
	bool reported = false;

	memset(&u, 0, sizeof(u));
	u.cfg = c;
	u.src = src;
	u.flt = flt;
	u.srt = srt;
	u.interval = c->interval;
	top_state_init(&u.st, c->interval);
	u.follow = true;
	u.view = c->view >= 0 && c->view < TOP_NVIEWS ? c->view : TOP_V_DEVICES;
	u.last_table = u.view < TOP_V_CHANGES ? u.view : TOP_V_DEVICES;
	if (top_term_begin(c->color, why, sizeof(why))) {
		p_err("%s", why);
		return IT_EXIT_FAIL;
	}
	u.color = top_term_color();
	u.utf8 = top_term_utf8();
	timeout(src->live ? 0 : 20);
	/* the first frame at once, so the screen is never empty */
	if (take_frame(&u) < 0) {
		top_term_end();
		p_err("%s", src->err[0] ? src->err : "cannot take a frame");
		return IT_EXIT_FAIL;
	}
	if (u.view == TOP_V_DETAIL)
		set_view(&u, TOP_V_DETAIL);
	u.next_frame = it_now_ns() + (uint64_t)(u.interval * 1e9);
	draw(&u);
	while (!u.quit && !it_exiting) {
		bool redraw = false;
		int ch;

		if (top_src_tick(src, src->live ? 20 : 0) < 0) {
			ret = IT_EXIT_FAIL;
			break;
		}
		if (src->err[0] && !reported) {
			/* a damaged recording: said now (held, printed after the
			 * screen is restored) and on the status line */
			p_info("%s", src->err);
			msg(&u, "%s", src->err);
			reported = true;
			redraw = true;
		}
		while ((ch = getch()) != ERR) {
			key(&u, ch);
			redraw = true;
			if (u.quit)
				break;
			timeout(0);
		}
		timeout(src->live ? 0 : 20);
		uint64_t now = it_now_ns();
		if (!u.frozen && now >= u.next_frame) {
			if (take_frame(&u) < 0) {
				ret = IT_EXIT_FAIL;
				break;
			}
			u.next_frame = now + (uint64_t)(u.interval * 1e9);
			redraw = true;
			if (c->iters && u.frames > c->iters)
				u.quit = true;
		}
		if (u.msg[0] && now >= u.msg_until) {
			u.msg[0] = 0;
			redraw = true;
		}
		if (redraw)
			draw(&u);
	}
	top_term_end();
	if (ret != IT_EXIT_OK && !reported)
		p_err("%s", src->err[0] ? src->err : "the event source failed");
	if (!src->live && src->err[0])
		ret = IT_EXIT_FAIL;	/* the recording is damaged (replay's contract) */
	if (u.have_frame)
		top_frame_free(&u.fr);
	top_state_free(&u.st);
	return ret;
}
