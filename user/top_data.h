/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * irqtrail top, the data side: the event source (live session or a
 * recording stepped on its own data clock), and frames: a snapshot of the
 * model taken once per refresh, turned into table rows with per-interval
 * rates.  Views (curses and batch text) draw frames and never touch the
 * model.  No curses here.
 */
#ifndef IRQTRAIL_TOP_DATA_H
#define IRQTRAIL_TOP_DATA_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "session.h"
#include "top_alerts.h"
#include "top_cost.h"

enum top_view {
	TOP_V_DEVICES = 0,
	TOP_V_GUESTS,
	TOP_V_CHANGES,
	TOP_V_ALERTS,
	TOP_V_DETAIL,
	TOP_NVIEWS,
};
#define TOP_NTABLES TOP_V_DETAIL	/* views 1-4 are tables */

extern const char *const top_view_names[TOP_NVIEWS];	/* "Devices", ... */
/* "devices", "2", "guest" ... -> view, -1 unknown */
int top_view_parse(const char *s);

#define TOP_MAXCOL 18
#define TOP_CELL 72

struct top_col {
	const char *name;
	int width;		/* display width; 0: takes the rest of the line */
	bool left;		/* left aligned */
	int prio;		/* columns with a lower prio stay when the screen is narrow */
	bool num;		/* sorts by number */
	bool desc;		/* natural sort direction (numbers: largest first) */
};

struct top_row {
	char key[48];		/* identity across frames (selection, rates) */
	int group;		/* rows of a group (device, VM) stay together */
	int route;		/* index into frame routes, -1 */
	int change;		/* index into frame changes, -1 */
	char bdf[16];		/* for the device filter */
	int pid;		/* VM pid for the VM filter, 0 none */
	const char *vm;		/* VM name for the VM filter, "" none */
	double rate;		/* per second over the last interval */
	uint64_t total;
	char cell[TOP_MAXCOL][TOP_CELL];
	double num[TOP_MAXCOL];
	char wide[240];		/* the flexible column's text (names, messages) */
	int wide_col;		/* which column that is, -1 */
};

static inline const char *top_cell(const struct top_row *w, int c)
{
	return c == w->wide_col ? w->wide : w->cell[c];
}

struct top_table {
	const struct top_col *cols;
	size_t ncols;
	struct top_row *rows;
	size_t nrows;
	size_t *vis;		/* visible rows: filtered, sorted, grouped */
	size_t nvis;
	const char *empty;	/* label when there are no rows at all */
};

/* Hook coverage per routing hop. */
struct top_hop {
	char name[24];
	bool visible;
	char tier[16];		/* best tier attached, "none" */
	unsigned attached, total;
	char why[200];		/* blind: the first reason */
};

struct top_cov {
	struct top_hop hop[32];
	size_t n, visible;
	unsigned hooks_attached, hooks_total;
	char tiers[64];		/* "tracepoint,syscall" */
};

/* Facts that do not change during a run. */
struct top_info {
	char host[65], kernel[128], ir[64], isolated[64], nohz[64];
	unsigned cpus;
	struct top_cov cov;
	bool blind_irte, blind_vfio, blind_domain;
	int64_t realtime_offset;	/* replay: CLOCK_REALTIME - CLOCK_MONOTONIC, 0 unknown */
	char source[300];		/* "live" or the file name */
};

/* ------------------------------------------------------------ the source */

struct top_src {
	struct it_session s;
	bool open;
	bool live;
	struct top_info info;
	/* replay clock */
	struct it_tr_item pend;		/* next item, not yet due */
	bool have_pend;
	uint64_t pos;			/* data time shown (ns, source clock) */
	uint64_t agg_ts;		/* time of the aggregate frame last applied */
	uint64_t last_item_ts;
	uint64_t wall_last;
	double speed;			/* replay speed, 0 = as fast as possible */
	bool paused;
	bool ended;
	double progress;		/* 0..1 of the file */
	char err[320];			/* sticky read error (replay: damage) */
	struct top_cost cost;
	struct top_alerts *alerts;	/* NULL: no rules engine */
	char alerts_why[160];
};

struct top_src_opts {
	const char *file;	/* NULL: live */
	pid_t pid;
	double speed;
};

/* 0, or -errno with a one-line message in err. */
int top_src_open(struct top_src *t, const struct top_src_opts *o, char *err, size_t errlen);
void top_src_close(struct top_src *t);
/* Live: poll the ring buffer up to ms.  Replay: advance the clock by the
 * wall time elapsed times the speed (does not sleep).  <0 on a fatal error. */
int top_src_tick(struct top_src *t, int ms);
/* Replay: apply everything up to data time ts (exact, for batch frames). */
int top_src_replay_until(struct top_src *t, uint64_t ts);
/* Before a frame: live, drain the ring buffer and read the aggregates. */
int top_src_sync(struct top_src *t);
/* Reset the counters (totals, histograms) from now on. */
void top_src_reset(struct top_src *t);
void top_src_set_paused(struct top_src *t, bool paused);
void top_src_set_speed(struct top_src *t, double speed);
/* The data clock a frame refers to. */
uint64_t top_src_now(const struct top_src *t);

/* ------------------------------------------------------------ frames */

struct top_rate_ent {
	char key[48];
	uint64_t count;
	double rate;
};

/* What survives from frame to frame: previous counts for the rates. */
struct top_state {
	struct top_rate_ent *prev;
	size_t nprev;
	uint64_t prev_ts;		/* count time of prev */
	uint64_t prev_events, prev_ev_ts;
	double ev_rate;
	uint64_t seq;
	uint64_t min_dt;		/* shortest count interval that makes a rate (ns; 0: 50 ms) */
	uint64_t changes_seen_ts;	/* batch: changes printed up to here */
	size_t changes_seen_n;
};

struct top_frame {
	uint64_t seq;
	const struct top_info *info;
	const struct it_snapshot *snap;	/* start-up state, NULL if none */
	bool live, replay_ended, paused;
	double speed, progress;
	uint64_t start_ts, ts;
	double dt;			/* data seconds the rates cover */
	double irq_rate, inj_rate, ev_rate;
	uint64_t events, lost, bad_records;
	struct top_cost_sample cost;
	const char *err;		/* source error, "" none */
	struct it_route *routes;
	size_t nroutes;
	struct it_change *changes;
	size_t nchanges;
	size_t new_changes;		/* batch: changes since the previous frame */
	struct it_vm_info *vms;
	size_t nvms;
	struct top_alert *alerts;	/* owned by the source's engine */
	size_t nalerts;
	unsigned alerts_active[3];	/* by severity */
	char alerts_empty[300];
	struct top_table t[TOP_NTABLES];
};

/* Take a frame from the model (the only place views' data comes from). */
int top_frame_take(struct top_frame *f, struct top_src *t, struct top_state *st);
void top_frame_free(struct top_frame *f);
void top_state_free(struct top_state *st);
/* The shortest count interval that makes a rate: 50 ms, or half the refresh
 * interval when that is shorter (the baseline frame read at start is not a
 * rate). */
void top_state_init(struct top_state *st, double interval);
void top_state_set_interval(struct top_state *st, double interval);
/* After a counter reset: the next rates start from zero counts. */
void top_state_reset(struct top_state *st, uint64_t ts);

/* ------------------------------------------------------------ filters, sorting */

struct top_filter {
	char re_text[160];
	regex_t re;
	bool have_re;
	char bdf[16];		/* "" all */
	int pid;		/* 0 all */
	char vm[64];		/* VM name substring, "" all */
};

/* Set the regex ("" clears); 0, or -1 with regerror text in err. */
int top_filter_set_regex(struct top_filter *f, const char *re, char *err, size_t errlen);
/* Set the device filter from "0000:00:03.0" or "00:03.0" ("" clears); -1 if invalid. */
int top_filter_set_bdf(struct top_filter *f, const char *s);
/* Set the VM filter from a pid or a name ("" clears). */
void top_filter_set_vm(struct top_filter *f, const char *s);
void top_filter_free(struct top_filter *f);
bool top_filter_active(const struct top_filter *f);

struct top_sort {
	int col[TOP_NTABLES];
	bool desc[TOP_NTABLES];
};
void top_sort_default(struct top_sort *s);
/* The columns of a table view. */
const struct top_col *top_view_cols(int view, size_t *n);
/* Column of a table view by name, case-insensitive, exact or prefix
 * ("rate" -> RATE/s); -1 if none. */
int top_col_find(int view, const char *name);

/* Filter, sort and group tables[view] into vis. */
int top_table_apply(struct top_table *tb, int view, const struct top_filter *f, const struct top_sort *s);
/* Which columns fit in width (out: column indexes in order); returns count.
 * width <= 0: all.  keep: a column that stays whatever its priority (the
 * sort column), -1 none.  *flex gets the width of the flexible column. */
size_t top_cols_fit(const struct top_table *tb, int width, int keep, int *out, int *flex);

/* Header: up to 4 lines of segments. */
enum top_style {
	TOP_S_NORMAL = 0,
	TOP_S_LABEL,
	TOP_S_VALUE,
	TOP_S_WARN,
	TOP_S_GOOD,
	TOP_S_TITLE,
	TOP_S_HEAD,
	TOP_S_DIM,
	TOP_S_BAR,
};

struct top_seg {
	int style;
	char text[160];
};

#define TOP_HDR_LINES 4
#define TOP_HDR_SEGS 16
struct top_header {
	struct top_seg seg[TOP_HDR_LINES][TOP_HDR_SEGS];
	size_t n[TOP_HDR_LINES];
};
/* interactive: with key hints */
void top_header_build(const struct top_frame *f, double interval, bool interactive, struct top_header *h);
/* One header line as plain text. */
void top_header_text(const struct top_header *h, int line, char *buf, size_t len);

/* Detail view: lines of text with a style each. */
struct top_line {
	int style;
	char text[240];
};
struct top_lines {
	struct top_line *l;
	size_t n, cap;
};
void top_lines_add(struct top_lines *ls, int style, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void top_lines_free(struct top_lines *ls);
/* The path of one row (a route) and its latency histogram, bars barw wide. */
void top_detail(const struct top_frame *f, const struct top_row *row, int barw, bool utf8, struct top_lines *out);
/* Hook coverage, hop by hop. */
void top_coverage_lines(const struct top_info *info, struct top_lines *out);

/* Number formats shared by the views. */
const char *top_fmt_rate(double v, char *buf, size_t len);
const char *top_fmt_count(uint64_t v, char *buf, size_t len);
/* "+12.345s" relative to start */
const char *top_fmt_rel(uint64_t ts, uint64_t start, char *buf, size_t len);

#endif
