// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loader of the full hook set (bpf/full.bpf.c, skeleton "full"): per hook,
 * the best tier the running kernel offers.
 *
 *   fentry/fexit  when the kernel attaches BPF trampolines, the function is
 *                 in BTF under its own name, once, and has no more arguments
 *                 than the trampoline takes;
 *   kprobe        otherwise, by name when the name is unique in kallsyms and
 *                 by address when it is not (static functions two drivers
 *                 define, e.g. modify_irte: the copy nearest the driver's
 *                 anchor function is the one);
 *   none          with the reason, when neither works.
 *
 * The programs write into the tracepoint tier's ring buffer and counters
 * (bpf_map__reuse_fd before load), so there is one stream.  A program the
 * kernel rejects is turned off (or moved to its kprobe variant) and the
 * object loaded again; the other hooks are not affected.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "full.h"
#include "full.skel.h"
#include "progmiss.h"

struct spec {
	const char *label;		/* it_hooks[].name */
	const char *sym;		/* kernel function (clones resolved) */
	const char *anchor;		/* duplicate statics: the copy nearest this */
	const char *fentry[2];		/* fentry, fexit programs */
	const char *kprobe[2];		/* kprobe, kretprobe programs */
	const char *superseded_by;	/* not needed when this function exists */
};

static const struct spec specs[] = {
	{ "modify_irte (intel)", "modify_irte", "intel_irq_remapping_alloc",
	  { NULL, NULL }, { "kp_modify_irte", NULL }, NULL },
	{ "modify_irte_ga (amd)", "modify_irte_ga", "irq_remapping_alloc",
	  { "fe_modify_irte_ga", NULL }, { "kp_modify_irte_ga", NULL }, "__modify_irte_ga" },
	{ "__modify_irte_ga (amd)", "__modify_irte_ga", "irq_remapping_alloc",
	  { NULL, NULL }, { "kp_modify_irte_ga", NULL }, NULL },
	{ "modify_irte (amd)", "modify_irte", "irq_remapping_alloc",
	  { NULL, NULL }, { "kp_modify_irte_amd", NULL }, NULL },
	{ "intel_ir_set_vcpu_affinity", "intel_ir_set_vcpu_affinity", NULL,
	  { "fe_intel_ir_set_vcpu_affinity", "fx_intel_ir_set_vcpu_affinity" },
	  { "kp_intel_ir_set_vcpu_affinity", "kr_intel_ir_set_vcpu_affinity" }, NULL },
	{ "amd_ir_set_vcpu_affinity", "amd_ir_set_vcpu_affinity", NULL,
	  { "fe_amd_ir_set_vcpu_affinity", "fx_amd_ir_set_vcpu_affinity" },
	  { "kp_amd_ir_set_vcpu_affinity", "kr_amd_ir_set_vcpu_affinity" }, NULL },
	{ "__irq_domain_alloc_irqs", "__irq_domain_alloc_irqs", NULL,
	  { "fe___irq_domain_alloc_irqs", "fx___irq_domain_alloc_irqs" },
	  { "kp___irq_domain_alloc_irqs", "kr___irq_domain_alloc_irqs" }, NULL },
	{ "irq_domain_alloc_irqs_parent", "irq_domain_alloc_irqs_parent", NULL,
	  { "fe_irq_domain_alloc_irqs_parent", "fx_irq_domain_alloc_irqs_parent" },
	  { "kp_irq_domain_alloc_irqs_parent", "kr_irq_domain_alloc_irqs_parent" }, NULL },
	{ "msi_domain_alloc_irqs_all_locked", "msi_domain_alloc_irqs_all_locked", NULL,
	  { "fe_msi_domain_alloc_irqs_all_locked", "fx_msi_domain_alloc_irqs_all_locked" },
	  { "kp_msi_domain_alloc_irqs_all_locked", "kr_msi_domain_alloc_irqs_all_locked" }, NULL },
	{ "msi_domain_alloc_irqs_descs_locked", "msi_domain_alloc_irqs_descs_locked", NULL,
	  { "fe_msi_domain_alloc_irqs_descs_locked", "fx_msi_domain_alloc_irqs_descs_locked" },
	  { "kp_msi_domain_alloc_irqs_descs_locked", "kr_msi_domain_alloc_irqs_descs_locked" }, NULL },
	{ "msi_domain_alloc_irq_at", "msi_domain_alloc_irq_at", NULL,
	  { NULL, NULL }, { "kp_msi_domain_alloc_irq_at", "kr_msi_domain_alloc_irq_at" }, NULL },
	{ "irq_chip_compose_msi_msg", "irq_chip_compose_msi_msg", NULL,
	  { NULL, "fx_irq_chip_compose_msi_msg" },
	  { "kp_irq_chip_compose_msi_msg", "kr_irq_chip_compose_msi_msg" }, NULL },
	{ "__pci_write_msi_msg", "__pci_write_msi_msg", NULL,
	  { "fe___pci_write_msi_msg", NULL }, { "kp___pci_write_msi_msg", NULL }, NULL },
	{ "vfio_pci_set_irqs_ioctl", "vfio_pci_set_irqs_ioctl", NULL,
	  { "fe_vfio_pci_set_irqs_ioctl", "fx_vfio_pci_set_irqs_ioctl" },
	  { "kp_vfio_pci_set_irqs_ioctl", "kr_vfio_pci_set_irqs_ioctl" }, NULL },
	{ "vfio_msi_set_vector_signal", "vfio_msi_set_vector_signal", NULL,
	  { "fe_vfio_msi_set_vector_signal", "fx_vfio_msi_set_vector_signal" },
	  { "kp_vfio_msi_set_vector_signal", "kr_vfio_msi_set_vector_signal" }, NULL },
	{ "vfio_msihandler", "vfio_msihandler", NULL,
	  { "fe_vfio_msihandler", NULL }, { "kp_vfio_msihandler", NULL }, NULL },
	{ "irq_bypass_register_producer", "irq_bypass_register_producer", NULL,
	  { "fe_irq_bypass_register_producer", "fx_irq_bypass_register_producer" },
	  { "kp_irq_bypass_register_producer", "kr_irq_bypass_register_producer" }, NULL },
	{ "irq_bypass_unregister_producer", "irq_bypass_unregister_producer", NULL,
	  { "fe_irq_bypass_unregister_producer", NULL }, { "kp_irq_bypass_unregister_producer", NULL }, NULL },
	{ "irqfd_wakeup", "irqfd_wakeup", NULL,
	  { "fe_irqfd_wakeup", NULL }, { "kp_irqfd_wakeup", NULL }, NULL },
	{ "kvm_arch_set_irq_inatomic", "kvm_arch_set_irq_inatomic", NULL,
	  { NULL, "fx_kvm_arch_set_irq_inatomic" },
	  { "kp_kvm_arch_set_irq_inatomic", "kr_kvm_arch_set_irq_inatomic" }, NULL },
	{ "kvm_set_msi", "kvm_set_msi", NULL,
	  { "fe_kvm_set_msi", NULL }, { "kp_kvm_set_msi", NULL }, NULL },
	{ "kvm_arch_irq_bypass_add_producer", "kvm_arch_irq_bypass_add_producer", NULL,
	  { "fe_kvm_arch_irq_bypass_add_producer", "fx_kvm_arch_irq_bypass_add_producer" },
	  { "kp_kvm_arch_irq_bypass_add_producer", "kr_kvm_arch_irq_bypass_add_producer" }, NULL },
	{ "kvm_arch_irq_bypass_del_producer", "kvm_arch_irq_bypass_del_producer", NULL,
	  { "fe_kvm_arch_irq_bypass_del_producer", NULL }, { "kp_kvm_arch_irq_bypass_del_producer", NULL }, NULL },
	{ "vmx_pi_update_irte", "vmx_pi_update_irte", NULL,
	  { "fe_vmx_pi_update_irte", "fx_vmx_pi_update_irte" }, { "kp_vmx_pi_update_irte", "kr_pi_update_irte" }, NULL },
	{ "avic_pi_update_irte", "avic_pi_update_irte", NULL,
	  { "fe_avic_pi_update_irte", "fx_avic_pi_update_irte" }, { "kp_avic_pi_update_irte", "kr_pi_update_irte" }, NULL },
	{ "kvm_emulate_hypercall", "kvm_emulate_hypercall", NULL,
	  { "fe_kvm_emulate_hypercall", "fx_kvm_emulate_hypercall" },
	  { "kp_kvm_emulate_hypercall", "kr_kvm_emulate_hypercall" }, NULL },
	/* arm64: GICv3 ITS and the MSI doorbell */
	{ "its_create_device", "its_create_device", NULL,
	  { NULL, "fx_its_create_device" }, { "kp_its_create_device", "kr_its_create_device" }, NULL },
	{ "its_irq_domain_activate", "its_irq_domain_activate", NULL,
	  { NULL, "fx_its_irq_domain_activate" },
	  { "kp_its_irq_domain_activate", "kr_its_irq_domain_activate" }, NULL },
	{ "its_build_mapti_cmd", "its_build_mapti_cmd", NULL,
	  { "fe_its_build_mapti_cmd", NULL }, { "kp_its_build_mapti_cmd", NULL }, NULL },
	{ "its_irq_compose_msi_msg", "its_irq_compose_msi_msg", NULL,
	  { NULL, "fx_its_irq_compose_msi_msg" },
	  { "kp_its_irq_compose_msi_msg", "kr_its_irq_compose_msi_msg" }, NULL },
	{ "iommu_get_msi_cookie", "iommu_get_msi_cookie", NULL,
	  { "fe_iommu_get_msi_cookie", NULL }, { "kp_iommu_get_msi_cookie", NULL }, NULL },
	{ "iommu_dma_prepare_msi", "iommu_dma_prepare_msi", NULL,
	  { NULL, "fx_iommu_dma_prepare_msi" },
	  { "kp_iommu_dma_prepare_msi", "kr_iommu_dma_prepare_msi" }, NULL },
	{ "iommu_dma_compose_msi_msg", "iommu_dma_compose_msi_msg", NULL,
	  { "fe_iommu_dma_compose_msi_msg", NULL }, { "kp_iommu_dma_compose_msi_msg", NULL }, NULL },
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* Kernel globals the table reader walks (typeless __ksym in the object). */
static const char *const table_syms[] = { "dmar_drhd_units", "amd_iommu_pci_seg_list" };

/* IRQTRAIL_FULL_TIMING=1: how long each step takes (the lab runs under TCG,
 * where loading and attaching dominate). */
static double t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void t_mark(const char *what, double *t0)
{
	static int on = -1;
	double t = t_now();

	if (on < 0)
		on = getenv("IRQTRAIL_FULL_TIMING") != NULL;
	if (on)
		fprintf(stderr, "irqtrail: full: %-40s %.3fs\n", what, t - *t0);
	*t0 = t;
}

struct hstate {
	const struct spec *sp;
	struct it_hook_status *st;
	enum it_tier tier;		/* planned tier */
	bool unpatched;			/* fentry did not work: kprobe twin in the fallback object */
	char moved[128];		/* why it moved to its kprobe twin */
	struct it_ksym_pick pick;
	int btf_funcs;			/* FUNC entries of that name in BTF */
	int btf_nargs;
	char why[256];			/* reason when not planned */
	struct bpf_link *links[2];
	struct full_bpf *owner;		/* skeleton holding its programs */
};

struct it_full {
	struct full_bpf *skel;
	struct full_bpf *fallback;	/* kprobe twins of fentry hooks the kernel did not patch */
	struct hstate hs[NSPECS];
	bool table_prog;		/* irte_table_read loaded */
	char table_status[192];
};

/* ---- kallsyms, filtered to what the specs need ---- */

/* The names read_kallsyms() keeps: every spec's function (and its clones),
 * anchors, and the table reader's globals.  Checked for each of ~170k lines,
 * so cheap rejections first (the lab runs this under TCG). */
static const char *want[2 * NSPECS + 2];
static size_t want_len[2 * NSPECS + 2];
static bool want_prefix[2 * NSPECS + 2];	/* clones: NAME.suffix too */
static size_t nwant;

static void want_init(void)
{
	if (nwant)
		return;
	for (size_t i = 0; i < NSPECS; i++) {
		want[nwant] = specs[i].sym;
		want_prefix[nwant++] = true;
		if (specs[i].anchor)
			want[nwant++] = specs[i].anchor;
	}
	for (size_t i = 0; i < sizeof(table_syms) / sizeof(table_syms[0]); i++)
		want[nwant++] = table_syms[i];
	for (size_t i = 0; i < nwant; i++)
		want_len[i] = strlen(want[i]);
}

static bool wanted_name(const char *n, size_t len)
{
	for (size_t i = 0; i < nwant; i++) {
		size_t sl = want_len[i];

		if (n[0] != want[i][0] || len < sl || memcmp(n, want[i], sl))
			continue;
		if (len == sl || (want_prefix[i] && n[sl] == '.'))
			return true;
	}
	return false;
}

static char *read_kallsyms(void)
{
	FILE *fp = fopen("/proc/kallsyms", "r");
	size_t cap = 1 << 14, len = 0;
	char line[512], *buf;

	if (!fp)
		return NULL;
	want_init();
	buf = malloc(cap);
	if (!buf) {
		fclose(fp);
		return NULL;
	}
	buf[0] = 0;
	while (fgets(line, sizeof(line), fp)) {
		char *n = strchr(line, ' ');
		size_t nl, ll;

		if (!n || !(n = strchr(n + 1, ' ')))
			continue;
		n++;
		nl = strcspn(n, "\t\n ");
		if (!wanted_name(n, nl))
			continue;
		ll = strlen(line);
		if (len + ll + 2 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		memcpy(buf + len, line, ll);
		len += ll;
		if (!ll || buf[len - 1] != '\n')
			buf[len++] = '\n';
		buf[len] = 0;
	}
	fclose(fp);
	return buf;
}

static bool ksym_present(const char *ks, const char *name)
{
	struct it_ksym_pick p;

	return ks && it_ksym_resolve(ks, name, NULL, &p) != -1;
}

/* A data symbol (any type letter) of exactly that name. */
static bool kdata_present(const char *ks, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = ks; p && (p = strstr(p, name)); p += n)
		if (p > ks && p[-1] == ' ' && (p[n] == '\n' || p[n] == '\t' || p[n] == ' '))
			return true;
	return false;
}

/* ---- BTF ---- */

struct btf_cache {
	struct btf *vmlinux;
	struct {
		char name[64];
		struct btf *btf;
	} mods[8];
	int nmods;
};

static struct btf *btf_for(struct btf_cache *c, const char *module)
{
	if (!c->vmlinux)
		c->vmlinux = btf__load_vmlinux_btf();
	if (!c->vmlinux || !module || !module[0])
		return c->vmlinux;
	for (int i = 0; i < c->nmods; i++)
		if (!strcmp(c->mods[i].name, module))
			return c->mods[i].btf;
	if (c->nmods == 8)
		return NULL;
	snprintf(c->mods[c->nmods].name, sizeof(c->mods[c->nmods].name), "%s", module);
	c->mods[c->nmods].btf = btf__load_module_btf(module, c->vmlinux);
	if (libbpf_get_error(c->mods[c->nmods].btf))
		c->mods[c->nmods].btf = NULL;
	return c->mods[c->nmods++].btf;
}

static void btf_cache_free(struct btf_cache *c)
{
	for (int i = 0; i < c->nmods; i++)
		btf__free(c->mods[i].btf);
	btf__free(c->vmlinux);
	memset(c, 0, sizeof(*c));
}

/* FUNC entries named `name` in the BTF of module (vmlinux when "") and the
 * argument count of the first. */
static int btf_func(struct btf_cache *c, const char *module, const char *name, int *nargs, int *first_id)
{
	struct btf *b = btf_for(c, module);
	int n = 0, start;

	*nargs = -1;
	if (first_id)
		*first_id = -1;
	if (!b)
		return 0;
	start = module && module[0] ? (int)btf__type_cnt(c->vmlinux) : 1;
	for (int id = start; id < (int)btf__type_cnt(b); id++) {
		const struct btf_type *t = btf__type_by_id(b, id);

		if (!btf_is_func(t) || strcmp(btf__name_by_offset(b, t->name_off), name))
			continue;
		if (!n++) {
			const struct btf_type *p = btf__type_by_id(b, t->type);

			*nargs = p && btf_is_func_proto(p) ? btf_vlen(p) : -1;
			if (first_id)
				*first_id = id;
		}
	}
	return n;
}

/* Do BPF trampolines on this kernel take functions of more than six
 * arguments (x86 since 6.4)?  Probed with a two-instruction fexit program
 * on __irq_domain_alloc_irqs (seven). */
static bool probe_many_args(struct btf_cache *c)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* r0 = 0 */
		{ .code = 0x95 },				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FEXIT);
	int nargs, id, fd, lfd;

	if (btf_func(c, "", "__irq_domain_alloc_irqs", &nargs, &id) < 1 || nargs <= 6)
		return false;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "it_args_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return false;
	/* 6.1 loads it and refuses the trampoline at attach (-ENOTSUPP) */
	lfd = bpf_link_create(fd, 0, BPF_TRACE_FEXIT, NULL);
	close(fd);
	if (lfd < 0)
		return false;
	close(lfd);
	return true;
}

/* ---- planning ---- */

static struct it_hook_status *status_of(struct it_hook_status *st, size_t nst, const char *label)
{
	for (size_t i = 0; i < nst; i++)
		if (st[i].hook && st[i].hook->ksym && !strcmp(st[i].hook->name, label))
			return &st[i];
	return NULL;
}

/*
 * Debug aids for the lab: IRQTRAIL_FULL_ONLY=label[,label] plans only those
 * hooks; IRQTRAIL_FULL_TIER=kprobe never uses fentry.
 */
static bool env_selected(const char *label)
{
	const char *only = getenv("IRQTRAIL_FULL_ONLY"), *p;
	size_t n = strlen(label);

	if (!only || !*only)
		return true;
	for (p = only; (p = strstr(p, label)); p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static void plan(struct it_full *fl, const struct it_features *f, const char *ks, struct btf_cache *bc)
{
	const char *force = getenv("IRQTRAIL_FULL_TIER");
	bool no_fentry = force && !strcmp(force, "kprobe");
	int many_args = -1;

	for (size_t i = 0; i < NSPECS; i++) {
		struct hstate *h = &fl->hs[i];
		const struct spec *sp = h->sp;
		bool exact, fentry_ok, kprobe_ok;
		int r;

		h->tier = IT_TIER_NONE;
		if (!env_selected(sp->label)) {
			snprintf(h->why, sizeof(h->why), "left out by IRQTRAIL_FULL_ONLY");
			continue;
		}
		r = ks ? it_ksym_resolve(ks, sp->sym, sp->anchor, &h->pick) : -1;
		if (r == -1) {
			snprintf(h->why, sizeof(h->why),
				 "%s is not in this kernel's symbols (driver or module not loaded, or inlined by the compiler)",
				 sp->sym);
			continue;
		}
		if (r == -2) {
			snprintf(h->why, sizeof(h->why), "%s has several copies and no anchor to choose one", sp->sym);
			continue;
		}
		if (sp->superseded_by && ksym_present(ks, sp->superseded_by)) {
			snprintf(h->why, sizeof(h->why), "not needed: this kernel stores the entries in %s",
				 sp->superseded_by);
			continue;
		}
		exact = !strcmp(h->pick.name, sp->sym);
		h->btf_funcs = exact ? btf_func(bc, h->pick.module, sp->sym, &h->btf_nargs, NULL) : 0;
		fentry_ok = f->fentry && !no_fentry && (sp->fentry[0] || sp->fentry[1]) && exact &&
			    h->pick.unique_name && h->btf_funcs == 1;
		if (fentry_ok && h->btf_nargs > 6) {
			if (many_args < 0)
				many_args = probe_many_args(bc);
			fentry_ok = many_args;
		}
		kprobe_ok = f->kprobes && sp->kprobe[0];
		if (fentry_ok)
			h->tier = IT_TIER_FENTRY;
		else if (kprobe_ok)
			h->tier = IT_TIER_KPROBE;
		else if (!f->kprobes)
			snprintf(h->why, sizeof(h->why), "needs kprobes: %s%s", h->pick.name,
				 !exact ? " is a compiler clone without BTF" :
				 !h->pick.unique_name ? " is not unique" :
				 h->btf_funcs != 1 ? " is not (once) in BTF" : " has no fentry variant here");
		else
			snprintf(h->why, sizeof(h->why), "no program variant for this kernel");
	}
}

/* ---- load with per-program fallback ---- */

static char failed_prog[64];
static char failed_msg[200];
static libbpf_print_fn_t prev_print;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		char line[512], *p, *q;
		va_list cp;

		va_copy(cp, ap);
		vsnprintf(line, sizeof(line), fmt, cp);
		va_end(cp);
		p = strstr(line, "prog '");
		if (p && !failed_prog[0] && (q = strchr(p + 6, '\''))) {
			snprintf(failed_prog, sizeof(failed_prog), "%.*s", (int)(q - p - 6), p + 6);
			line[strcspn(line, "\n")] = 0;
			snprintf(failed_msg, sizeof(failed_msg), "%.190s", line);
		}
	}
	return prev_print ? prev_print(level, fmt, ap) : 0;
}

static bool uses_prog(const struct hstate *h, const char *prog)
{
	const char *const *ps = h->tier == IT_TIER_FENTRY ? h->sp->fentry : h->sp->kprobe;

	return (ps[0] && !strcmp(ps[0], prog)) || (ps[1] && !strcmp(ps[1], prog));
}

static uint32_t map_max_entries(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

static int open_configured(struct it_full *fl, const struct it_full_opts *o, struct btf_cache *bc, bool table)
{
	struct full_bpf *s = full_bpf__open();
	struct bpf_program *prog;
	uint32_t rb = map_max_entries(o->events_fd);
	int nargs, err;

	if (!s)
		return -errno;
	fl->skel = s;
	s->rodata->cfg_full = o->full;
	s->rodata->cfg_tgid = (uint32_t)o->pid;
	if (rb)
		s->rodata->cfg_wakeup_bytes = rb / 8;
	/* irq_bypass_register_producer gained (eventfd, irq) in 6.17 */
	s->rodata->cfg_bypass_reg3 = btf_func(bc, "irqbypass", "irq_bypass_register_producer", &nargs, NULL) > 0 ?
					     nargs == 3 :
					     btf_func(bc, "", "irq_bypass_register_producer", &nargs, NULL) > 0 &&
						     nargs == 3;
	/* the vendor PI update takes the irqfd first from 6.17 */
	s->rodata->cfg_pi_irqfd_abi = (btf_func(bc, "kvm_intel", "vmx_pi_update_irte", &nargs, NULL) > 0 ||
				       btf_func(bc, "kvm_amd", "avic_pi_update_irte", &nargs, NULL) > 0) &&
				      nargs == 6;
	if ((err = bpf_map__reuse_fd(s->maps.events, o->events_fd)) ||
	    (err = bpf_map__reuse_fd(s->maps.counters, o->counters_fd)) ||
	    (err = bpf_map__reuse_fd(s->maps.cur_irq, o->cur_irq_fd)) ||
	    (o->agg_counts_fd > 0 && (err = bpf_map__reuse_fd(s->maps.agg_counts, o->agg_counts_fd))))
		return err;
	bpf_object__for_each_program(prog, s->obj) {
		const char *pn = bpf_program__name(prog);
		bool want = table && !strcmp(pn, "irte_table_read");

		for (size_t i = 0; i < NSPECS && !want; i++)
			want = fl->hs[i].tier != IT_TIER_NONE && uses_prog(&fl->hs[i], pn);
		bpf_program__set_autoload(prog, want);
	}
	return 0;
}

static int load_with_fallback(struct it_full *fl, const struct it_full_opts *o, struct btf_cache *bc,
			      bool *table)
{
	int err = -EINVAL;

	for (int attempt = 0; attempt < 8; attempt++) {
		bool moved = false;

		full_bpf__destroy(fl->skel);
		fl->skel = NULL;
		err = open_configured(fl, o, bc, *table);
		if (err)
			return err;
		failed_prog[0] = 0;
		failed_msg[0] = 0;
		prev_print = libbpf_set_print(capture_print);
		err = full_bpf__load(fl->skel);
		libbpf_set_print(prev_print);
		if (!err)
			return 0;
		if (getenv("IRQTRAIL_FULL_TIMING"))
			fprintf(stderr, "irqtrail: full: load attempt %d failed (%d): %s\n", attempt, err, failed_msg);
		if (failed_prog[0] && !strcmp(failed_prog, "irte_table_read")) {
			*table = false;
			snprintf(fl->table_status, sizeof(fl->table_status), "table reader did not load: %s",
				 failed_msg);
			continue;
		}
		for (size_t i = 0; i < NSPECS; i++) {
			struct hstate *h = &fl->hs[i];

			if (h->tier == IT_TIER_NONE || (failed_prog[0] && !uses_prog(h, failed_prog)))
				continue;
			if (h->tier == IT_TIER_FENTRY && h->sp->kprobe[0] && fl->hs[i].pick.addr) {
				h->tier = IT_TIER_KPROBE;	/* try its kprobe variant */
				moved = true;
			} else if (failed_prog[0]) {
				h->tier = IT_TIER_NONE;
				snprintf(h->why, sizeof(h->why), "BPF program %s did not load: %s", failed_prog,
					 failed_msg);
				moved = true;
			}
		}
		if (!moved)
			break;
	}
	return err;
}

/* ---- attach ---- */

static struct bpf_link *attach_one(struct hstate *h, const char *pn, bool ret, char *err,
				   size_t errlen)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(h->owner->obj, pn);
	struct bpf_link *l;

	if (!prog) {
		snprintf(err, errlen, "no program %s", pn);
		return NULL;
	}
	if (h->tier == IT_TIER_FENTRY) {
		l = bpf_program__attach(prog);
	} else {
		LIBBPF_OPTS(bpf_kprobe_opts, ko, .retprobe = ret);

		if (h->pick.unique_name) {
			l = bpf_program__attach_kprobe_opts(prog, h->pick.name, &ko);
		} else {
			ko.offset = (size_t)h->pick.addr;
			l = bpf_program__attach_kprobe_opts(prog, NULL, &ko);
		}
	}
	if (!l) {
		int e = errno;

		snprintf(err, errlen, "%s attach of %s failed: %s (%d)", it_tier_name(h->tier), h->pick.name,
			 e == 524 ? "not supported" : strerror(e), -e);
	}
	return l;
}

static bool attach_hook(struct hstate *h, struct full_bpf *owner)
{
	const char *const *ps = h->tier == IT_TIER_FENTRY ? h->sp->fentry : h->sp->kprobe;
	char err[200] = "";

	h->owner = owner;
	for (int k = 0; k < 2; k++) {
		if (!ps[k])
			continue;
		h->links[k] = attach_one(h, ps[k], k == 1, err, sizeof(err));
		if (!h->links[k]) {
			for (int m = 0; m < 2; m++) {
				bpf_link__destroy(h->links[m]);
				h->links[m] = NULL;
			}
			snprintf(h->why, sizeof(h->why), "%s", err);
			return false;
		}
	}
	return true;
}

static void set_status(struct hstate *h, bool attached)
{
	struct it_hook_status *s = h->st;
	const char *how;

	if (!s)
		return;
	if (!attached) {
		s->tier = IT_TIER_NONE;
		s->attached = false;
		if (h->why[0])
			snprintf(s->reason, sizeof(s->reason), "%s", h->why);
		return;
	}
	s->tier = h->tier;
	s->attached = true;
	if (h->tier == IT_TIER_FENTRY)
		how = h->sp->fentry[0] && h->sp->fentry[1] ? "fentry+fexit" : h->sp->fentry[0] ? "fentry" : "fexit";
	else
		how = h->sp->kprobe[1] ? "kprobe+kretprobe" : "kprobe";
	if (h->tier == IT_TIER_KPROBE && !h->pick.unique_name)
		snprintf(s->reason, sizeof(s->reason), "attached: %s at %#llx, the %s copy nearest %s (%d copies)",
			 how, h->pick.addr, h->pick.name, h->sp->anchor ? h->sp->anchor : "?", h->pick.copies);
	else
		snprintf(s->reason, sizeof(s->reason), "attached: %s on %.60s%s%.40s%s%s%.120s%s", how, h->pick.name,
			 h->pick.module[0] ? " [" : "", h->pick.module, h->pick.module[0] ? "]" : "",
			 h->unpatched ? " (fentry: " : "", h->unpatched ? h->moved : "", h->unpatched ? ")" : "");
}

/*
 * A BPF trampoline the kernel accepted is not always a patched function: on
 * Debian's 6.12 the fentry link on kvm's irqfd_wakeup is created but the
 * function never calls it (it is missing from enabled_functions while its
 * neighbours irqfd_shutdown and kvm_set_msi are there).  Nothing may attach
 * silently to nothing, so every fentry hook is checked in tracefs'
 * enabled_functions; the ones missing go to their kprobe variant.
 * Returns the number of hooks moved, 0 when tracefs cannot tell.
 */
static int verify_patched(struct it_full *fl, const struct it_features *f)
{
	char path[128], *ef = NULL, line[512];
	size_t len = 0, cap = 0;
	int moved = 0;
	FILE *fp;

	if (!f->tracefs || !f->kprobes)
		return 0;
	snprintf(path, sizeof(path), "%s/enabled_functions", f->tracefs_path);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strcspn(line, " \t\n") + 1;

		if (len + n + 2 > cap) {
			char *nb = realloc(ef, cap ? cap * 2 : 4096);

			if (!nb)
				break;
			ef = nb;
			cap = cap ? cap * 2 : 4096;
		}
		memcpy(ef + len, line, n - 1);
		len += n;
		ef[len - 1] = '\n';
		ef[len] = 0;
	}
	fclose(fp);
	if (!ef)
		return 0;
	for (size_t i = 0; i < NSPECS; i++) {
		struct hstate *h = &fl->hs[i];
		size_t n = strlen(h->pick.name);
		bool found = false;

		if (h->tier != IT_TIER_FENTRY || (!h->links[0] && !h->links[1]))
			continue;
		for (const char *p = ef; (p = strstr(p, h->pick.name)); p += n)
			if ((p == ef || p[-1] == '\n') && p[n] == '\n')
				found = true;
		if (found || !h->sp->kprobe[0])
			continue;
		h->unpatched = true;
		h->tier = IT_TIER_KPROBE;
		snprintf(h->moved, sizeof(h->moved), "the kernel accepted an fentry link but did not patch the function");
		for (int k = 0; k < 2; k++) {
			bpf_link__destroy(h->links[k]);
			h->links[k] = NULL;
		}
		moved++;
	}
	free(ef);
	return moved;
}

static bool any_unpatched(const struct it_full *fl)
{
	for (size_t i = 0; i < NSPECS; i++)
		if (fl->hs[i].unpatched)
			return true;
	return false;
}

/* A second instance of the object holding only the kprobe programs of the
 * hooks verify_patched() moved; every map is the first instance's. */
static int load_fallback(struct it_full *fl)
{
	struct full_bpf *s = full_bpf__open();
	struct bpf_program *prog;
	struct bpf_map *m;
	int err;

	if (!s)
		return -errno;
	fl->fallback = s;
	bpf_object__for_each_map(m, s->obj) {
		struct bpf_map *src = bpf_object__find_map_by_name(fl->skel->obj, bpf_map__name(m));

		if (!src || (err = bpf_map__reuse_fd(m, bpf_map__fd(src))))
			return src ? err : -ENOENT;
	}
	bpf_object__for_each_program(prog, s->obj) {
		const char *pn = bpf_program__name(prog);
		bool want = false;

		for (size_t i = 0; i < NSPECS && !want; i++)
			want = fl->hs[i].unpatched && uses_prog(&fl->hs[i], pn);
		bpf_program__set_autoload(prog, want);
	}
	return full_bpf__load(s);
}

int it_full_attach(struct it_full **out, const struct it_full_opts *o, const struct it_features *f,
		   struct it_hook_status *st, size_t nst)
{
	struct btf_cache bc = { 0 };
	struct it_full *fl;
	bool table = false;
	double t0 = t_now();
	char *ks;
	int n = 0, err;

	*out = NULL;
	if (!f->fentry && !f->kprobes)
		return 0;	/* it_hooks_plan() already said why */
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	for (size_t i = 0; i < NSPECS; i++) {
		fl->hs[i].sp = &specs[i];
		fl->hs[i].st = status_of(st, nst, specs[i].label);
	}
	ks = read_kallsyms();
	if (!ks) {
		free(fl);
		return -errno;
	}
	t_mark("kallsyms", &t0);
	plan(fl, f, ks, &bc);
	t_mark("plan (BTF)", &t0);
	for (size_t i = 0; i < sizeof(table_syms) / sizeof(table_syms[0]); i++)
		table = table || kdata_present(ks, table_syms[i]);
	if (!table)
		snprintf(fl->table_status, sizeof(fl->table_status),
			 "no interrupt remapping driver in this kernel (dmar_drhd_units, amd_iommu_pci_seg_list absent)");
	free(ks);
	err = load_with_fallback(fl, o, &bc, &table);
	t_mark("open+load", &t0);
	if (err) {
		for (size_t i = 0; i < NSPECS; i++) {
			if (fl->hs[i].tier != IT_TIER_NONE)
				snprintf(fl->hs[i].why, sizeof(fl->hs[i].why), "BPF object did not load: %s%s%.150s",
					 strerror(err < 0 ? -err : err), failed_msg[0] ? ": " : "", failed_msg);
			set_status(&fl->hs[i], false);
		}
		full_bpf__destroy(fl->skel);
		btf_cache_free(&bc);
		free(fl);
		return 0;
	}
	for (size_t i = 0; i < NSPECS; i++) {
		struct hstate *h = &fl->hs[i];

		if (h->tier == IT_TIER_NONE || attach_hook(h, fl->skel))
			continue;
		if (h->tier == IT_TIER_FENTRY && h->sp->kprobe[0] && f->kprobes) {
			/* e.g. a trampoline the kernel refuses at attach: its kprobe twin */
			snprintf(h->moved, sizeof(h->moved), "%.120s", h->why);
			h->tier = IT_TIER_KPROBE;
			h->unpatched = true;
		} else {
			h->tier = IT_TIER_NONE;
		}
	}
	t_mark("attach", &t0);
	if (verify_patched(fl, f) || any_unpatched(fl)) {
		/* the hooks moved to kprobes get their programs from a second,
		 * small instance of the object sharing every map of the first */
		if (load_fallback(fl) == 0) {
			for (size_t i = 0; i < NSPECS; i++) {
				struct hstate *h = &fl->hs[i];

				if (h->unpatched && !attach_hook(h, fl->fallback))
					h->tier = IT_TIER_NONE;
			}
		} else {
			for (size_t i = 0; i < NSPECS; i++)
				if (fl->hs[i].unpatched) {
					fl->hs[i].tier = IT_TIER_NONE;
					snprintf(fl->hs[i].why, sizeof(fl->hs[i].why),
						 "fentry did not work (%.120s); its kprobe variant did not load",
						 fl->hs[i].moved);
				}
		}
		t_mark("fallback kprobes", &t0);
	}
	btf_cache_free(&bc);
	fl->table_prog = table;
	n = 0;
	for (size_t i = 0; i < NSPECS; i++) {
		struct hstate *h = &fl->hs[i];
		bool ok = h->tier != IT_TIER_NONE && (h->links[0] || h->links[1]);

		set_status(h, ok);
		n += ok;
	}
	*out = fl;
	if (!o->no_table_read && fl->table_prog)
		it_full_read_tables(fl);
	t_mark("table read", &t0);
	return n;
}

int it_full_read_tables(struct it_full *fl)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int err;

	if (!fl || !fl->table_prog)
		return -EOPNOTSUPP;
	err = bpf_prog_test_run_opts(bpf_program__fd(fl->skel->progs.irte_table_read), &topts);
	if (err) {
		err = -errno;
		snprintf(fl->table_status, sizeof(fl->table_status), "table read failed: %s", strerror(-err));
		return err;
	}
	snprintf(fl->table_status, sizeof(fl->table_status), "read %u entries", topts.retval);
	return (int)topts.retval;
}

const char *it_full_table_status(const struct it_full *fl)
{
	return fl ? fl->table_status : "";
}

void it_full_prog_misses(const struct it_full *fl, struct it_prog_misses *m)
{
	if (!fl)
		return;
	it_prog_misses_add(m, fl->skel ? fl->skel->obj : NULL);
	it_prog_misses_add(m, fl->fallback ? fl->fallback->obj : NULL);
}

void it_full_detach(struct it_full *fl)
{
	if (!fl)
		return;
	for (size_t i = 0; i < NSPECS; i++)
		for (int k = 0; k < 2; k++)
			bpf_link__destroy(fl->hs[i].links[k]);
	full_bpf__destroy(fl->fallback);
	full_bpf__destroy(fl->skel);
	free(fl);
}
