// SPDX-License-Identifier: GPL-2.0-only
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <term.h>
#include <unistd.h>
#include "common.h"
#include "top_cost.h"
#include "top_term.h"

static SCREEN *screen;
static volatile sig_atomic_t active;
static bool color, utf8;
static int held_fd = -1, saved_fd = -1;
static bool atexit_done;

static const int fatal_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define NFATAL (sizeof(fatal_sigs) / sizeof(fatal_sigs[0]))
static struct sigaction old_fatal[NFATAL];
static bool fatal_installed;

bool top_term_usable(char *why, size_t len)
{
	const char *term = getenv("TERM");
	int err = 0;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		snprintf(why, len, "not a terminal");
		return false;
	}
	if (!term || !*term) {
		snprintf(why, len, "TERM is not set");
		return false;
	}
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		snprintf(why, len, "TERM=%s is not in the terminfo database", term);
		return false;
	}
	const char *cup = tigetstr("cup");
	bool ok = cup && cup != (char *)-1;
	del_curterm(cur_term);
	if (!ok) {
		snprintf(why, len, "TERM=%s has no cursor addressing", term);
		return false;
	}
	return true;
}

/* write(2) only: also used from the crash handler */
static void release_stderr(void)
{
	char buf[4096];
	ssize_t n;

	if (saved_fd < 0)
		return;
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	saved_fd = -1;
	if (held_fd < 0)
		return;
	if (lseek(held_fd, 0, SEEK_SET) == 0)
		while ((n = read(held_fd, buf, sizeof(buf))) > 0)
			if (write(STDERR_FILENO, buf, (size_t)n) < 0)
				break;
	close(held_fd);
	held_fd = -1;
}

static void hold_stderr(void)
{
	fflush(stderr);
	held_fd = memfd_create("irqtrail-stderr", MFD_CLOEXEC);
	if (held_fd < 0) {
		FILE *t = tmpfile();
		if (t) {
			held_fd = dup(fileno(t));
			fclose(t);
		}
	}
	if (held_fd < 0)
		return;
	saved_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved_fd < 0 || dup2(held_fd, STDERR_FILENO) < 0) {
		if (saved_fd >= 0)
			close(saved_fd);
		saved_fd = -1;
		close(held_fd);
		held_fd = -1;
	}
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (active) {
		active = 0;
		endwin();	/* not async-signal-safe, but the terminal matters more */
		release_stderr();
	}
	top_cost_emergency_restore();
	for (size_t i = 0; i < NFATAL; i++)
		if (fatal_sigs[i] == sig)
			sigaction(sig, &old_fatal[i], NULL);
	/* a fault returns to the faulting instruction and meets the previous
	 * handler; a signal someone sent is sent again */
	if (si->si_code <= 0 || sig == SIGABRT)
		raise(sig);
}

static void install_fatal(void)
{
	struct sigaction sa;

	if (fatal_installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFATAL; i++)
		sigaction(fatal_sigs[i], &sa, &old_fatal[i]);
	fatal_installed = true;
}

static void remove_fatal(void)
{
	if (!fatal_installed)
		return;
	for (size_t i = 0; i < NFATAL; i++)
		sigaction(fatal_sigs[i], &old_fatal[i], NULL);
	fatal_installed = false;
}

static void on_quit(int sig)
{
	(void)sig;
	it_exiting = 1;
}

void top_term_quit_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;

	it_install_signals();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void at_exit(void)
{
	top_term_end();
	top_cost_emergency_restore();
}

int top_term_begin(bool want_color, char *why, size_t len)
{
	if (active)
		return 0;
	setlocale(LC_ALL, "");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (!atexit_done) {
		atexit(at_exit);
		atexit_done = true;
	}
	fflush(stdout);
	hold_stderr();
	install_fatal();
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		remove_fatal();
		release_stderr();
		snprintf(why, len, "cannot start curses on TERM=%s", getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	set_term(screen);
	active = 1;
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	color = want_color && has_colors();
	if (color) {
		start_color();
		use_default_colors();
		init_pair(TOP_PAIR_TITLE, COLOR_CYAN, -1);
		init_pair(TOP_PAIR_WARN, COLOR_RED, -1);
		init_pair(TOP_PAIR_GOOD, COLOR_GREEN, -1);
		init_pair(TOP_PAIR_SEL, COLOR_BLACK, COLOR_CYAN);
		init_pair(TOP_PAIR_HEAD, COLOR_BLACK, COLOR_GREEN);
		init_pair(TOP_PAIR_BAR, COLOR_YELLOW, -1);
		init_pair(TOP_PAIR_TAB, COLOR_BLACK, COLOR_YELLOW);
		init_pair(TOP_PAIR_VALUE, COLOR_WHITE, -1);
	}
	return 0;
}

void top_term_end(void)
{
	if (!active)
		return;
	active = 0;
	curs_set(1);
	endwin();
	delscreen(screen);
	screen = NULL;
	fflush(stdout);
	fflush(stderr);
	remove_fatal();
	release_stderr();
}

bool top_term_active(void)
{
	return active;
}

bool top_term_color(void)
{
	return color;
}

bool top_term_utf8(void)
{
	return utf8;
}
