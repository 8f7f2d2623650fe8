/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rules engine: irqtrail's isolation and health checks (DESIGN.md §7,
 * docs/rules.md).  Pure C, no I/O: it is handed the same record stream the
 * model sees (it_rules_event), optionally the aggregate frames
 * (it_rules_agg), what the event source attached (struct it_rules_env) and
 * the start-up snapshot, and is asked to evaluate over the model at times
 * the caller chooses (it_rules_eval).  Each evaluation raises and clears
 * findings; the caller is told of every transition through a callback and
 * turns them into output (check), alert records (stream, recordings),
 * syslog lines or metrics (serve).
 *
 * A rule whose hooks or data the source lacks is *inactive*, with the
 * reason, and is never reported as passing.
 */
#ifndef IRQTRAIL_RULES_H
#define IRQTRAIL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agg.h"
#include "events.h"
#include "json.h"
#include "model.h"
#include "snapshot.h"

/* ---- catalogue ------------------------------------------------------------ */

enum it_severity {
	IT_SEV_INFO = 0,
	IT_SEV_WARNING = 1,
	IT_SEV_CRITICAL = 2,
};

/* Stable rule numbers: rule N is "IRT%03d". */
enum it_rule_id {
	IT_RULE_IRTE_NO_SVT = 1,	/* IRTE of a guest's device without source-id validation */
	IT_RULE_COMPAT_MSI = 2,		/* compatibility-format MSI while remapping is on */
	IT_RULE_UNISOLATED_MSI = 3,	/* guest-visible MSI(-X) on a platform that does not isolate it */
	IT_RULE_SHARED_VECTOR = 4,	/* two owners on one host vector/CPU */
	IT_RULE_ISOLATED_CPU = 5,	/* passthrough interrupt on an isolated/nohz_full CPU */
	IT_RULE_POSTED_FALLBACK = 6,	/* posted mode fell back to remapped */
	IT_RULE_EVENTFD_DETOUR = 7,	/* VFIO eventfd no irqfd consumes */
	IT_RULE_STORM = 8,		/* interrupt storm (hysteresis) */
	IT_RULE_ALLOC_FAIL = 9,		/* MSI/vector allocation failed */
	IT_RULE_HYPERCALL = 10,		/* hypercall errors / unknown numbers at a rate */
	IT_RULE_RESERVED_VECTOR = 11,	/* guest MSI route with a reserved vector */
	IT_RULE_BAD_DEST = 12,		/* guest MSI route to no vCPU of the VM */
	IT_RULE_BAD_ADDRESS = 13,	/* guest MSI route outside 0xFEExxxxx */
	IT_RULE_IRQFD_UNROUTED = 14,	/* irqfd bound to a GSI with no route */
	IT_RULE_ROUTE_FAIL = 15,	/* KVM_SET_GSI_ROUTING / KVM_IRQFD failed */
	IT_RULE_UNHANDLED = 16,		/* interrupts no handler claimed */
	IT_RULE_VECTOR_EXHAUSTED = 17,	/* per-CPU vector space exhausted */
	/* 18..29: not assigned (it_rule_exists() is false) */
	IT_RULE_DOORBELL_SHARED = 30,	/* arm64: doorbell page in several owners' IOVA spaces, no device-id isolation */
	IT_RULE_DOORBELL_PHYS = 31,	/* arm64: MSI written with the physical doorbell */
	IT_RULE_MAX = 31,
};

/* false for the unassigned numbers between rules */
bool it_rule_exists(int id);

/* Routing hops (struct it_hook.hop names) as bits. */
enum {
	IT_HOPB_HOST_HANDLER	= 1u << 0,	/* "host-handler" */
	IT_HOPB_VECTOR		= 1u << 1,	/* "vector" */
	IT_HOPB_VECTOR_MATRIX	= 1u << 2,	/* "vector-matrix" */
	IT_HOPB_KVM_INJECTION	= 1u << 3,	/* "kvm-injection" */
	IT_HOPB_POSTED_IRTE	= 1u << 4,	/* "posted-irte" */
	IT_HOPB_VCPU_DELIVERY	= 1u << 5,	/* "vcpu-delivery" */
	IT_HOPB_HYPERCALL	= 1u << 6,	/* "hypercall" */
	IT_HOPB_VMM_IOCTL	= 1u << 7,	/* "vmm-ioctl" */
	IT_HOPB_IRTE_WRITE	= 1u << 8,	/* "irte-write" */
	IT_HOPB_DOMAIN_ALLOC	= 1u << 9,	/* "domain-alloc" */
	IT_HOPB_MSI_COMPOSE	= 1u << 10,	/* "msi-compose" */
	IT_HOPB_MSI_WRITE	= 1u << 11,	/* "msi-write" */
	IT_HOPB_VFIO_SETUP	= 1u << 12,	/* "vfio-setup" */
	IT_HOPB_VFIO_HANDLER	= 1u << 13,	/* "vfio-handler" */
	IT_HOPB_KVM_IRQFD	= 1u << 14,	/* "kvm-irqfd" */
};
/* 0 for a hop name irqtrail does not know. */
unsigned int it_hop_bit(const char *hop);
const char *it_hop_name(unsigned int bit);

/* Which thresholds a rule takes (struct it_rule_info.params). */
enum {
	IT_RP_RATE	= 1u << 0,	/* "rate": per second */
	IT_RP_CLEAR	= 1u << 1,	/* "clear-rate": hysteresis low-water mark */
	IT_RP_FOR	= 1u << 2,	/* "for": seconds a condition must hold */
	IT_RP_GRACE	= 1u << 3,	/* "grace": seconds a transient state is tolerated */
	IT_RP_HOLD	= 1u << 4,	/* "hold": seconds an event finding stays active */
	IT_RP_MIN_FREE	= 1u << 5,	/* "min-free": vectors */
};

struct it_rule_info {
	int id;
	const char *code;	/* "IRT008" */
	const char *name;	/* "interrupt-storm" (also accepted in the rules file) */
	enum it_severity severity;	/* default */
	const char *title;	/* one line */
	unsigned int params;	/* IT_RP_* it accepts */
};

const struct it_rule_info *it_rule_info(int id);	/* NULL when out of range */
/* "IRT008", "irt8", "8" or "interrupt-storm" -> 8; -1 unknown. */
int it_rule_lookup(const char *s);
const char *it_severity_name(enum it_severity s);	/* "info", "warning", "critical" */
int it_severity_parse(const char *s);			/* -1 unknown */

/* ---- configuration -------------------------------------------------------- */

struct it_silence {
	int rule;		/* 0: every rule */
	char device[IT_BDF_LEN];	/* "" or a normalised BDF */
	char vm[IT_NAME_LEN];	/* "" or a VM name or VMM pid */
	unsigned int line;	/* where it was set (0: not from a file) */
};

struct it_rule_conf {
	bool enabled;
	enum it_severity severity;
	double rate, clear_rate;	/* per second */
	double for_secs;
	double grace_secs;
	double hold_secs;
	unsigned int min_free;
};

struct it_rules_conf {
	struct it_rule_conf rule[IT_RULE_MAX + 1];	/* [0] unused */
	struct it_silence *silences;
	size_t nsilences;
	char source[256];	/* the file the settings came from, "" for defaults */
};

/* Defaults (docs/rules.md); free with it_rules_conf_free. */
void it_rules_conf_default(struct it_rules_conf *c);
void it_rules_conf_free(struct it_rules_conf *c);
int it_rules_conf_add_silence(struct it_rules_conf *c, const struct it_silence *s);

/* src/rules_conf.c: the rules file (INI, see examples/rules.conf).  On error
 * returns -1 (or a negative errno for the file) with "FILE:LINE: what" in
 * err; c keeps the defaults plus whatever parsed before the error. */
#define IT_RULES_CONF_DEFAULT "/etc/irqtrail/rules.conf"
int it_rules_conf_load(struct it_rules_conf *c, const char *path, char *err, size_t errlen);
/* The same from memory; name stands for the file in messages. */
int it_rules_conf_parse(struct it_rules_conf *c, const char *text, const char *name, char *err,
			size_t errlen);

/* ---- the engine ----------------------------------------------------------- */

/* What the event source offers. */
struct it_rules_env {
	unsigned int hops;	/* IT_HOPB_* of the hooks that attached (or were recorded attached) */
	bool full;		/* every data-plane event is streamed (record --full) */
	bool have_agg;		/* aggregate frames are handed to it_rules_agg */
	const struct it_snapshot *snap;	/* start-up snapshot, NULL when none */
	int only_pid;		/* > 0: ignore findings about other VMs (check --pid) */
};

struct it_finding {
	int rule;
	enum it_severity severity;
	char key[96];		/* identity within the rule */
	char msg[224];		/* one line naming device / irq / VM / CPU */
	char bdf[IT_BDF_LEN];	/* "" none */
	int irq;		/* -1 none */
	int vm_pid;		/* -1 none */
	char vm[IT_NAME_LEN];	/* "" none */
	int cpu;		/* -1 none */
	int gsi;		/* -1 none */
	double value;		/* the measured quantity (rate, count...), 0 if none */
	bool active;
	uint64_t first_ts;	/* first raised */
	uint64_t last_ts;	/* last seen true */
	uint64_t cleared_ts;	/* 0 while active */
	uint64_t raised;	/* times raised */
	/* engine-internal */
	bool seen;
};

struct it_rule_status {
	int rule;
	bool enabled;
	enum it_severity severity;	/* as configured */
	bool evaluating;	/* enabled and the hooks/data it needs are there */
	char reason[240];	/* why not evaluating, or what it cannot see ("" fully covered) */
	uint64_t raised;	/* raise transitions (alert count) */
	unsigned int active;	/* findings active now */
	uint64_t silenced;	/* matches suppressed by a silence */
};

struct it_rules;

/* Called for every transition: raised (true) or cleared (false). */
typedef void (*it_finding_cb)(void *ctx, const struct it_finding *f, bool raised, uint64_t ts);

/* The engine copies the configuration. */
struct it_rules *it_rules_new(const struct it_rules_conf *c);
void it_rules_free(struct it_rules *r);
void it_rules_set_env(struct it_rules *r, const struct it_rules_env *env);
void it_rules_set_cb(struct it_rules *r, it_finding_cb cb, void *ctx);
/* The data clock at the start of the observation (rates and grace periods
 * measure from there). */
void it_rules_set_start(struct it_rules *r, uint64_t ts);
/* Every record of the stream (the same the model gets, in order). */
void it_rules_event(struct it_rules *r, const struct it_hdr *h);
/* A cumulative aggregate frame. */
void it_rules_agg(struct it_rules *r, const struct it_agg_frame *f);
/* Evaluate at data time now over the model.  Returns the number of
 * transitions, or a negative errno (ENOMEM). */
int it_rules_eval(struct it_rules *r, struct it_model *m, uint64_t now);

/* Every finding raised so far (active or cleared), in order of first raise. */
size_t it_rules_findings(const struct it_rules *r, const struct it_finding **out);
void it_rules_status(const struct it_rules *r, int rule, struct it_rule_status *st);
/* The worst severity raised so far (-1 when none). */
int it_rules_worst(const struct it_rules *r);
/* Counts of findings raised so far, by severity. */
void it_rules_counts(const struct it_rules *r, unsigned int counts[3]);

/* ---- alert records (IT_EV_ALERT) ------------------------------------------ */

/* The payload of IT_EV_ALERT records: written by user space into streams
 * and recordings (never by BPF).  hdr.cpu is IT_ALERT_CPU. */
#define IT_ALERT_CPU 0xFFFD
#define IT_ALERT_MSG_LEN 160

struct it_alert {
	struct it_hdr h;
	__u16 rule;		/* IRT number */
	__u8 severity;		/* enum it_severity */
	__u8 raised;		/* 1 raised, 0 cleared */
	__s32 irq;		/* -1 none */
	__s32 vm_pid;		/* -1 none */
	__s32 target_cpu;	/* -1 none */
	__s32 gsi;		/* -1 none */
	__u32 pad;
	char bdf[IT_BDF_LEN];
	char msg[IT_ALERT_MSG_LEN];
};
IT_STATIC_ASSERT(sizeof(struct it_alert) == 24 + 24 + 16 + IT_ALERT_MSG_LEN, "it_alert");

void it_alert_from_finding(struct it_alert *a, const struct it_finding *f, bool raised, uint64_t ts);
/* The alert's own fields as JSON keys (after the common ones format.c writes). */
void it_alert_json_fields(struct it_json *j, const struct it_alert *a);
/* "ALERT IRT008 warning raised: ..." */
int it_alert_text(const struct it_alert *a, char *buf, size_t len);

#endif
