/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * irqtrail top, terminal safety: curses is started and stopped here only.
 * While curses owns the screen, stderr is held in memory and printed after;
 * the terminal is restored on every way out (return, exit(), SIGINT/SIGTERM/
 * SIGHUP through the main loop, SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT from a
 * handler that then hands the signal to the previous one, e.g. ASan's).
 */
#ifndef IRQTRAIL_TOP_TERM_H
#define IRQTRAIL_TOP_TERM_H

#include <stdbool.h>
#include <stddef.h>

/* Can this terminal run a full-screen UI (both ends ttys, TERM known and
 * with cursor addressing)?  If not, why. */
bool top_term_usable(char *why, size_t len);
/* Start curses.  0, or -1 (nothing changed) with the reason in why. */
int top_term_begin(bool want_color, char *why, size_t len);
/* Restore the terminal and stderr, print what was held (idempotent). */
void top_term_end(void);
bool top_term_active(void);
bool top_term_color(void);
bool top_term_utf8(void);
/* SIGINT, SIGTERM, SIGHUP, SIGQUIT set it_exiting. */
void top_term_quit_signals(void);

/* colour pairs (when colours are on) */
enum {
	TOP_PAIR_TITLE = 1,
	TOP_PAIR_WARN,
	TOP_PAIR_GOOD,
	TOP_PAIR_SEL,
	TOP_PAIR_HEAD,
	TOP_PAIR_BAR,
	TOP_PAIR_TAB,
	TOP_PAIR_VALUE,
};

#endif
