// SPDX-License-Identifier: GPL-2.0-only
/* irqtrail doctor: what this kernel lets irqtrail see, hop by hop. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "json.h"
#include "full.h"
#include "live.h"
#include "snapshot.h"

struct doctor_opts {
	bool json;
};

static const struct argp_option doctor_options[] = {
	{ "json", 'j', NULL, 0, "JSON output", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf diagnostics", 0 },
	{ 0 },
};

static error_t doctor_parse(int key, char *arg, struct argp_state *state)
{
	struct doctor_opts *o = state->input;

	switch (key) {
	case 'j':
		o->json = true;
		it_json_out = true;
		break;
	case 'v':
		it_verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char doctor_doc[] =
	"Probe the running kernel: BTF, privileges, interrupt-remapping mode, and for "
	"every hook the tier it attaches at (fentry, kprobe, tracepoint, syscall, uprobe on "
	"the QEMU binaries found) or why "
	"it cannot.  As root the programs are really loaded and attached, then detached.  "
	"Exit status 0 when live tracing works on this kernel, 1 when it does not.\n"
	"\vEXAMPLES:\n"
	"  irqtrail doctor\n"
	"  irqtrail doctor -j | jq '.hooks[] | select(.attached)'\n";

/* The hops of a route, in path order, for the coverage summary. */
static const char *const hops[] = {
	"domain-alloc", "vector", "vector-matrix", "irte-write", "msi-compose", "msi-write",
	"host-handler", "vfio-setup", "vfio-handler", "kvm-irqfd", "kvm-injection",
	"posted-irte", "vcpu-delivery", "hypercall", "vmm-ioctl", "vmm-uprobe", "vm-state",
};

struct hop_sum {
	size_t hooks, attached;
	enum it_tier best;
};

static void sum_hop(const struct it_hook_status *st, size_t n, const char *hop, struct hop_sum *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(st[i].hook->hop, hop))
			continue;
		h->hooks++;
		if (st[i].attached) {
			h->attached++;
			if (!h->best || st[i].tier < h->best)
				h->best = st[i].tier;
		}
	}
}

static int vm_state_count(void *ctx, const struct it_hdr *h)
{
	(void)ctx;
	(void)h;
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	struct argp argp = { doctor_options, doctor_parse, NULL, doctor_doc, NULL, NULL, NULL };
	struct doctor_opts o = { 0 };
	struct it_live_opts lo = { 0 };
	struct it_features feat;
	const struct it_features *f = &feat;
	struct it_hook_status *plan = NULL;
	const struct it_hook_status *st;
	struct it_snapshot snap;
	struct it_ir_info ir;
	struct it_live *l = NULL;
	char err[256] = "";
	size_t n = it_nhooks, nattached = 0;
	bool usable;

	if (it_argp_parse(&argp, argc, argv, 0, &o))
		return IT_EXIT_USAGE;

	if (it_live_open(&l, &lo, err, sizeof(err)) == 0) {
		st = it_live_hooks(l, &n);
		f = it_live_features(l);
		nattached = it_live_nattached(l);
		/* run the VM state iterator once: its status says what it found */
		it_live_read_vm_state(l, 0, vm_state_count, NULL);
	} else {
		it_probe_features(&feat);
		plan = calloc(it_nhooks, sizeof(*plan));
		if (!plan) {
			p_err("out of memory");
			return IT_EXIT_FAIL;
		}
		it_hooks_plan(&feat, plan);
		for (size_t i = 0; i < n; i++) {
			/* nothing was attached: say so, with why */
			if (plan[i].tier != IT_TIER_NONE) {
				plan[i].tier = IT_TIER_NONE;
				snprintf(plan[i].reason, sizeof(plan[i].reason), "not loaded: %s", err);
			}
		}
		st = plan;
	}
	usable = nattached > 0;
	const char *irte_table = l ? it_full_table_status(it_live_full(l)) : NULL;
	if (!irte_table || !*irte_table)
		irte_table = l ? "not read: the start-up IRTE table read belongs to the fentry/kprobe tier, "
				 "which attached nothing on this kernel" :
				 "not read: BPF programs not loaded";
	/* the remapping mode from sysfs, /proc/interrupts chips and the kernel log */
	memset(&snap, 0, sizeof(snap));
	it_snapshot_read(&snap, "", IT_SNAP_INTERRUPTS | IT_SNAP_IR);
	ir = snap.ir;
	it_snapshot_free(&snap);

	if (o.json) {
		struct it_json j;

		jw_init(&j);
		jw_obj_begin(&j);
		jw_kstr(&j, "version", IRQTRAIL_VERSION);
		jw_kstr(&j, "kernel", f->kernel);
		jw_kstr(&j, "arch", f->arch);
		jw_kbool(&j, "btf", f->btf);
		jw_kbool(&j, "root", f->root);
		jw_kbool(&j, "usable", usable);
		if (!usable)
			jw_kstr(&j, "error", err);
		jw_key(&j, "features");
		jw_obj_begin(&j);
		jw_kbool(&j, "tracefs", f->tracefs);
		jw_kstr(&j, "tracefs_path", f->tracefs_path);
		jw_kbool(&j, "fentry", f->fentry);
		jw_kstr(&j, "fentry_reason", f->fentry_reason);
		jw_kbool(&j, "kprobes", f->kprobes);
		jw_kstr(&j, "kprobe_reason", f->kprobe_reason);
		jw_kbool(&j, "uprobes", f->uprobes);
		jw_kbool(&j, "ringbuf", f->ringbuf);
		jw_kbool(&j, "bpf_loop", f->bpf_loop);
		jw_kbool(&j, "bpf_stats", f->bpf_stats_sysctl);
		jw_obj_end(&j);
		jw_kstr(&j, "irte_table", irte_table);
		jw_key(&j, "ir");
		jw_obj_begin(&j);
		jw_kstr(&j, "mode", it_ir_mode_str(ir.mode));
		jw_kstr(&j, "apic", it_apic_mode_str(ir.apic));
		jw_kstr(&j, "text", ir.text);
		jw_kstr(&j, "evidence", ir.evidence);
		jw_obj_end(&j);
		jw_key(&j, "hops");
		jw_arr_begin(&j);
		for (size_t h = 0; h < sizeof(hops) / sizeof(hops[0]); h++) {
			struct hop_sum hs;

			sum_hop(st, n, hops[h], &hs);
			jw_obj_begin(&j);
			jw_kstr(&j, "hop", hops[h]);
			jw_kstr(&j, "tier", it_tier_name(hs.best));
			jw_kbool(&j, "visible", hs.attached > 0);
			jw_ku64(&j, "hooks", hs.hooks);
			jw_ku64(&j, "attached", hs.attached);
			jw_obj_end(&j);
		}
		jw_arr_end(&j);
		jw_key(&j, "hooks");
		jw_arr_begin(&j);
		for (size_t i = 0; i < n; i++) {
			jw_obj_begin(&j);
			jw_kstr(&j, "hook", st[i].hook->name);
			jw_kstr(&j, "hop", st[i].hook->hop);
			jw_kstr(&j, "tier", it_tier_name(st[i].attached ? st[i].tier : IT_TIER_NONE));
			jw_kbool(&j, "attached", st[i].attached);
			jw_kstr(&j, "reason", st[i].reason);
			jw_obj_end(&j);
		}
		jw_arr_end(&j);
		jw_obj_end(&j);
		jw_raw(&j, "\n");
		jw_flush(&j, stdout);
		jw_free(&j);
	} else {
		printf("irqtrail %s\n", IRQTRAIL_VERSION);
		printf("  %-12s %s (%s)\n", "kernel", f->kernel, f->arch);
		printf("  %-12s %s\n", "BTF", f->btf ? "/sys/kernel/btf/vmlinux" : "missing: CO-RE programs cannot load");
		printf("  %-12s %s\n", "privileges", f->root ? "root" : "not root: live tracing needs root");
		printf("  %-12s %s\n", "tracefs", f->tracefs ? f->tracefs_path : "not mounted");
		printf("  %-12s %s: %s\n", "fentry", f->fentry ? "yes" : "no", f->fentry_reason);
		printf("  %-12s %s: %s\n", "kprobes", f->kprobes ? "yes" : "no", f->kprobe_reason);
		printf("  %-12s %s\n", "uprobes", f->uprobes ? "yes" : "no");
		printf("  %-12s %s\n", "bpf_loop", f->bpf_loop ? "yes" : "no (VMM routing tables not decoded)");
		printf("  %-12s %s\n", "IRTE table", irte_table);
		printf("  %-12s %s [%s]\n", "remapping", ir.text[0] ? ir.text : it_ir_mode_str(ir.mode), ir.evidence);
		printf("\n  %-14s %-11s %s\n", "HOP", "TIER", "HOOKS ATTACHED");
		for (size_t h = 0; h < sizeof(hops) / sizeof(hops[0]); h++) {
			struct hop_sum hs;

			sum_hop(st, n, hops[h], &hs);
			printf("  %-14s %-11s %zu/%zu%s\n", hops[h], hs.attached ? it_tier_name(hs.best) : "BLIND",
			       hs.attached, hs.hooks, hs.attached ? "" : "  (this hop is not visible on this kernel)");
		}
		printf("\n  %-38s %-14s %-11s %s\n", "HOOK", "HOP", "TIER", "STATUS");
		for (size_t i = 0; i < n; i++)
			printf("  %-38s %-14s %-11s %s\n", st[i].hook->name, st[i].hook->hop,
			       it_tier_name(st[i].attached ? st[i].tier : IT_TIER_NONE), st[i].reason);
		if (usable)
			printf("\nverdict: live tracing works (%zu of %zu hooks attached)\n", nattached, n);
		else
			printf("\nverdict: live tracing is not possible: %s\n", err);
	}
	it_live_close(l);
	free(plan);
	return usable ? IT_EXIT_OK : IT_EXIT_FAIL;
}
