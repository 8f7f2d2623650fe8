/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef IRQTRAIL_USER_COMMON_H
#define IRQTRAIL_USER_COMMON_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>

extern bool it_verbose;		/* -v: libbpf diagnostics and details */
extern bool it_json_out;	/* -j: errors as JSON too */
extern volatile sig_atomic_t it_exiting;

/* One-line error on stderr ("irqtrail: ..."), as {"error": ...} on stdout under -j. */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SIGINT/SIGTERM set it_exiting. */
void it_install_signals(void);

/* Parse a duration in seconds ("5", "0.5", "2s", "100ms"); -1 on error. */
double it_parse_secs(const char *s);
/* Strict unsigned parse; -1 on error. */
long long it_parse_ull(const char *s, unsigned long long max);

uint64_t it_now_ns(void);

struct argp;
/* argp_parse with irqtrail's conventions: errors are one line, prefixed
 * "irqtrail CMD:", exit status 2. */
int it_argp_parse(const struct argp *argp, int argc, char **argv, unsigned flags, void *input);	/* CLOCK_MONOTONIC, the clock of event timestamps */

/* Exit statuses shared by commands. */
enum {
	IT_EXIT_OK = 0,
	IT_EXIT_FAIL = 1,	/* the command ran but something was lost or failed */
	IT_EXIT_USAGE = 2,	/* bad command line */
};

/* Subcommands: each parses its own arguments (argv[0] is the command name). */
int cmd_doctor(int argc, char **argv);
int cmd_stream(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_serve(int argc, char **argv);

struct it_session;
/* The route table of a session, as text, JSON or Graphviz (routes, replay --summary). */
int it_print_routes(struct it_session *s, bool json, bool dot, const char *bdf, int pid);

/* Rules plumbing shared by check, serve, stream and record (cmd_check.c). */
struct it_rules_env;
struct it_rules_conf;
struct it_finding;
void it_check_env(struct it_session *s, struct it_rules_env *env, bool full);
void it_check_syslog(const struct it_finding *f, bool raised);
int it_check_load_rules(struct it_rules_conf *c, const char *path, char *err, size_t errlen);
struct it_rules;
struct it_hdr;
/* One record into the rules; the first streamed handler exit marks the
 * source as full (every data-plane event present). */
void it_check_feed(struct it_rules *rules, struct it_rules_env *env, const struct it_hdr *h);

#endif
