/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hook catalogue: every place irqtrail can attach, the routing hop it
 * makes visible, and at run time the tier chosen on this kernel and whether
 * it really attached.
 */
#ifndef IRQTRAIL_HOOKS_H
#define IRQTRAIL_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

enum it_tier {
	IT_TIER_NONE = 0,
	IT_TIER_FENTRY,
	IT_TIER_KPROBE,
	IT_TIER_TRACEPOINT,
	IT_TIER_SYSCALL,	/* syscall tracepoint decoding of VMM ioctls */
	IT_TIER_UPROBE,
	IT_TIER_ITER,		/* BPF iterator, run once at start */
};

const char *it_tier_name(enum it_tier t);

struct it_hook {
	const char *name;	/* "kvm:kvm_msi_set_irq", "modify_irte (intel)" */
	const char *hop;	/* routing hop it shows */
	const char *prog;	/* BPF program of the tracepoint tier, NULL if none */
	const char *tp;		/* "category/name" for tracepoint-tier hooks */
	const char *ksym;	/* kernel function for the fentry/kprobe tier */
	const char *note;	/* what it adds */
};

struct it_hook_status {
	const struct it_hook *hook;
	enum it_tier tier;	/* tier in use (NONE when not attached) */
	bool attached;
	char reason[320];
};

extern const struct it_hook it_hooks[];
extern const size_t it_nhooks;

/* Kernel features, probed once. */
struct it_features {
	char kernel[128];
	char arch[65];
	bool btf;		/* /sys/kernel/btf/vmlinux */
	bool tracefs;
	char tracefs_path[64];
	bool kprobes;
	char kprobe_reason[128];
	bool fentry;
	char fentry_reason[128];
	bool uprobes;
	bool bpf_loop;
	bool ringbuf;
	bool root;
	bool bpf_stats_sysctl;
};

void it_probe_features(struct it_features *f);
/* Path of a tracepoint's directory ("" if tracefs is absent) and whether it exists. */
bool it_tracepoint_exists(const struct it_features *f, const char *cat_name);
/* Is a kernel symbol (exact or with a .isra/.constprop/.part suffix) in kallsyms? */
bool it_ksym_exists(const char *name);

#endif
