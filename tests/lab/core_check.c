// SPDX-License-Identifier: GPL-2.0-only
/*
 * core_check: do the CO-RE relocations of irqtrail's BPF objects resolve on a
 * given kernel, for every program that kernel supports?
 *
 *   core_check OBJ.bpf.o --btf-dir DIR [--label NAME]
 *   core_check OBJ.bpf.o --running
 *
 * DIR holds raw BTF as tests/lab/extract-btf.sh writes it: "vmlinux" and one
 * file per module (split BTF on top of vmlinux).  The module types are merged
 * into one BTF (libbpf's btf_custom_path takes a single file and, when set,
 * does not look at module BTF), and each program is relocated against it
 * with libbpf and loaded into the running kernel, whose verifier then proves
 * that no relocation the program can reach failed (libbpf poisons those).
 *
 * A program is checked when the kernel has its hook: its function in BTF
 * (or kallsyms for --running), or, for compiler clones that BTF omits, the
 * driver's types.  Only programs the running kernel can load are checked
 * (kprobe, kretprobe, raw_tp and tracepoint); an fentry/fexit program shares
 * its body with a kprobe twin, and its target is checked to exist in the
 * kernel's BTF with at least the arguments it reads.
 *
 * Prints "CORE LABEL PROG ok|FAIL|skip ..." lines; exit 1 on any FAIL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static char last_warn[512];
static bool verbose;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (level == LIBBPF_WARN && strstr(line, "prog '") && !last_warn[0]) {
		line[strcspn(line, "\n")] = 0;
		snprintf(last_warn, sizeof(last_warn), "%.500s", line);
	}
	if (verbose && level != LIBBPF_DEBUG)
		fputs(line, stderr);
	return 0;
}

/* ---- merge vmlinux + module split BTF into one standalone BTF ---- */

static void remap(__u32 *id, __u32 start, __u32 shift)
{
	if (*id >= start)
		*id += shift;
}

/* Re-point the type ids of a type copied from a split BTF whose own ids start
 * at `start` to where its types landed in the merged BTF. */
static void remap_type(struct btf_type *t, __u32 start, __u32 shift)
{
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_DECL_TAG:
		remap(&t->type, start, shift);
		break;
	case BTF_KIND_ARRAY: {
		struct btf_array *a = btf_array(t);

		remap(&a->type, start, shift);
		remap(&a->index_type, start, shift);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		struct btf_member *m = btf_members(t);

		for (int i = 0; i < btf_vlen(t); i++)
			remap(&m[i].type, start, shift);
		break;
	}
	case BTF_KIND_FUNC_PROTO: {
		struct btf_param *p = btf_params(t);

		remap(&t->type, start, shift);
		for (int i = 0; i < btf_vlen(t); i++)
			remap(&p[i].type, start, shift);
		break;
	}
	case BTF_KIND_DATASEC: {
		struct btf_var_secinfo *v = btf_var_secinfos(t);

		for (int i = 0; i < btf_vlen(t); i++)
			remap(&v[i].type, start, shift);
		break;
	}
	default:
		break;
	}
}

static const char *const modules[] = {
	"irqbypass", "vfio", "vfio_iommu_type1", "vfio_pci_core", "vfio_pci", "kvm", "kvm_amd", "kvm_intel",
};
#define NMODS (sizeof(modules) / sizeof(modules[0]))

struct kbtf {
	struct btf *base;
	struct btf *mods[NMODS];
	struct btf *merged;
	char path[256];		/* merged BTF written here */
};

static int merge(struct kbtf *k, const char *dir)
{
	char p[512];
	const void *raw;
	__u32 size;
	FILE *f;
	int fd;

	snprintf(p, sizeof(p), "%s/vmlinux", dir);
	k->base = btf__parse(p, NULL);
	k->merged = btf__parse(p, NULL);
	if (!k->base || !k->merged) {
		fprintf(stderr, "core_check: cannot parse %s\n", p);
		return -1;
	}
	for (size_t i = 0; i < NMODS; i++) {
		__u32 start = btf__type_cnt(k->base), shift;

		snprintf(p, sizeof(p), "%s/%s", dir, modules[i]);
		if (access(p, R_OK))
			continue;
		k->mods[i] = btf__parse_split(p, k->base);
		if (!k->mods[i]) {
			fprintf(stderr, "core_check: cannot parse %s\n", p);
			return -1;
		}
		shift = btf__type_cnt(k->merged) - start;
		for (__u32 id = start; id < btf__type_cnt(k->mods[i]); id++) {
			int nid = btf__add_type(k->merged, k->mods[i], btf__type_by_id(k->mods[i], id));

			if (nid < 0)
				return -1;
			remap_type((struct btf_type *)btf__type_by_id(k->merged, nid), start, shift);
		}
	}
	raw = btf__raw_data(k->merged, &size);
	snprintf(k->path, sizeof(k->path), "/tmp/irqtrail-core-XXXXXX");
	fd = mkstemp(k->path);
	if (fd < 0 || !(f = fdopen(fd, "w")) || fwrite(raw, 1, size, f) != size) {
		fprintf(stderr, "core_check: cannot write merged BTF\n");
		return -1;
	}
	fclose(f);
	return 0;
}

static void kbtf_free(struct kbtf *k)
{
	for (size_t i = 0; i < NMODS; i++)
		btf__free(k->mods[i]);
	btf__free(k->merged);
	btf__free(k->base);
	if (k->path[0])
		unlink(k->path);
}

/* A FUNC of that name in the kernel's BTF: its argument count, -1 if none. */
static int btf_func_args(struct kbtf *k, const char *name)
{
	const struct btf_type *t, *p;
	int id = btf__find_by_name_kind(k->merged, name, BTF_KIND_FUNC);

	if (id < 0)
		return -1;
	t = btf__type_by_id(k->merged, id);
	p = btf__type_by_id(k->merged, t->type);
	return p && btf_is_func_proto(p) ? btf_vlen(p) : 0;
}

static bool btf_has_type(struct kbtf *k, const char *name)
{
	return btf__find_by_name_kind(k->merged, name, BTF_KIND_STRUCT) > 0 ||
	       btf__find_by_name_kind(k->merged, name, BTF_KIND_UNION) > 0;
}

static char *kallsyms;

static bool ksym_has(const char *name)
{
	size_t n = strlen(name);

	if (!kallsyms) {
		FILE *f = fopen("/proc/kallsyms", "r");
		size_t cap = 1 << 20, len = 0, r;

		kallsyms = calloc(1, cap + 1);
		while (f && kallsyms && (r = fread(kallsyms + len, 1, cap - len, f)) > 0) {
			len += r;
			if (len == cap) {
				char *nb = realloc(kallsyms, cap * 2 + 1);

				if (!nb)
					break;
				kallsyms = nb;
				cap *= 2;
			}
		}
		if (kallsyms)
			kallsyms[len] = 0;
		if (f)
			fclose(f);
	}
	for (const char *p = kallsyms; p && (p = strstr(p, name)); p += n) {
		if (p[-1] == ' ' && (p[n] == '\n' || p[n] == '.' || p[n] == '\t'))
			return true;
	}
	return false;
}

/* The kernel functions a program hooks (from its name: kp_/kr_/fe_/fx_SYM),
 * and for static functions the compiler clones (no BTF), the driver type
 * whose presence says the function is built in. */
struct hookinfo {
	const char *prog;
	const char *syms[2];
	const char *clone_type;
};

static const struct hookinfo special[] = {
	{ "kp_modify_irte", { "modify_irte", NULL }, "irq_2_iommu" },
	{ "kp_modify_irte_ga", { "modify_irte_ga", "__modify_irte_ga" }, "irte_ga" },
	{ "kp_modify_irte_amd", { "modify_irte", NULL }, "amd_iommu_pci_seg" },
	{ "kr_pi_update_irte", { "vmx_pi_update_irte", "avic_pi_update_irte" }, NULL },
};

static bool supported(struct kbtf *k, const char *prog, char *why, size_t len)
{
	const struct hookinfo *hi = NULL;
	const char *syms[2] = { NULL, NULL };
	char base[128];

	if (!strncmp(prog, "tp_", 3) || !strncmp(prog, "raw_", 4)) {
		/* tracepoint programs load whether or not the event exists; their
		 * relocations must resolve on every kernel */
		return true;
	}
	if (!strcmp(prog, "it_vm_state")) {
		/* the VM state iterator: needs KVM's types (vmlinux or kvm module) */
		if (k && !btf_has_type(k, "kvm_kernel_irqfd")) {
			snprintf(why, len, "no KVM types");
			return false;
		}
		return true;
	}
	if (!strcmp(prog, "irte_table_read")) {
		/* needs one remapping driver */
		if (k && !btf_has_type(k, "dmar_drhd_unit") && !btf_has_type(k, "amd_iommu_pci_seg")) {
			snprintf(why, len, "no remapping driver types");
			return false;
		}
		if (!k && !ksym_has("dmar_drhd_units") && !ksym_has("amd_iommu_pci_seg_list")) {
			snprintf(why, len, "no remapping driver in kallsyms");
			return false;
		}
		return true;
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(special[i].prog, prog))
			hi = &special[i];
	if (hi) {
		syms[0] = hi->syms[0];
		syms[1] = hi->syms[1];
	} else {
		snprintf(base, sizeof(base), "%s", prog + 3);
		syms[0] = base;
	}
	for (int i = 0; i < 2 && syms[i]; i++) {
		if (k ? btf_func_args(k, syms[i]) >= 0 : ksym_has(syms[i]))
			return true;
	}
	if (k && hi && hi->clone_type && btf_has_type(k, hi->clone_type))
		return true;
	snprintf(why, len, "%s not in this kernel", syms[0]);
	return false;
}

static int check(const char *obj, struct kbtf *k, const char *label)
{
	struct bpf_object *o = bpf_object__open_file(obj, NULL);
	struct bpf_program *p;
	char *names[256];
	int np = 0, fails = 0, oks = 0;

	if (!o) {
		fprintf(stderr, "core_check: cannot open %s\n", obj);
		return 1;
	}
	bpf_object__for_each_program(p, o)
		if (np < 256)
			names[np++] = strdup(bpf_program__name(p));
	bpf_object__close(o);

	for (int i = 0; i < np; i++) {
		LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = k ? k->path : NULL);
		enum bpf_prog_type type;
		struct bpf_program *me = NULL;
		char why[256] = "";
		int err;

		o = bpf_object__open_file(obj, &oo);
		if (!o)
			return 1;
		bpf_object__for_each_program(p, o) {
			bool mine = !strcmp(bpf_program__name(p), names[i]);

			bpf_program__set_autoload(p, mine);
			if (mine)
				me = p;
		}
		type = bpf_program__type(me);
		/* iterators load like kprobes: relocated against k, verified here */
		if (type == BPF_PROG_TYPE_TRACING && strncmp(bpf_program__section_name(me), "iter/", 5)) {
			/* fentry/fexit: the target must exist; the body is its kprobe twin's */
			const char *sec = bpf_program__section_name(me), *tgt = strchr(sec, '/');

			if (k && tgt) {
				int n = btf_func_args(k, tgt + 1);

				if (n >= 0)
					printf("CORE %s %s ok (fentry target %s, %d arguments; body checked as kprobe)\n",
					       label, names[i], tgt + 1, n);
				else
					printf("CORE %s %s skip (%s not in this kernel's BTF)\n", label, names[i], tgt + 1);
			} else {
				printf("CORE %s %s skip (fentry: checked through its kprobe twin)\n", label, names[i]);
			}
			bpf_object__close(o);
			continue;
		}
		if (!supported(k, names[i], why, sizeof(why))) {
			printf("CORE %s %s skip (%s)\n", label, names[i], why);
			bpf_object__close(o);
			continue;
		}
		last_warn[0] = 0;
		err = bpf_object__load(o);
		if (err) {
			printf("CORE %s %s FAIL %d: %s\n", label, names[i], err, last_warn);
			fails++;
		} else {
			printf("CORE %s %s ok\n", label, names[i]);
			oks++;
		}
		bpf_object__close(o);
	}
	printf("CORE %s summary: %d ok, %d failed\n", label, oks, fails);
	for (int i = 0; i < np; i++)
		free(names[i]);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *obj = NULL, *dir = NULL, *label = NULL;
	bool running = false;
	struct kbtf k;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--btf-dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--label") && i + 1 < argc)
			label = argv[++i];
		else if (!strcmp(argv[i], "--running"))
			running = true;
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else
			obj = argv[i];
	}
	if (!obj || (!dir && !running)) {
		fprintf(stderr, "usage: core_check OBJ.bpf.o (--btf-dir DIR [--label NAME] | --running) [-v]\n");
		return 2;
	}
	libbpf_set_print(print_fn);
	if (running)
		return check(obj, NULL, label ? label : "running");
	memset(&k, 0, sizeof(k));
	if (merge(&k, dir)) {
		kbtf_free(&k);
		return 1;
	}
	rc = check(obj, &k, label ? label : dir);
	kbtf_free(&k);
	return rc;
}
