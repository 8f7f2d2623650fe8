// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMM user-space tier (HOOKS.md section 6): uprobes on QEMU's exported
 * KVM routing API.  Debian's QEMU is stripped and has no USDT probes, but
 * its .dynsym exports kvm_irqchip_add_msi_route, kvm_irqchip_update_msi_route
 * and kvm_irqchip_commit_routes.  Each QEMU binary found gets the probes for
 * every process of it (or only the traced pid), so a QEMU started after
 * irqtrail is seen too; the events share the main ring buffer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "progmiss.h"
#include "qemu.h"
#include "qemu.skel.h"

#define MAX_BINS 8

struct qprobe {
	const char *hook;	/* catalogue name */
	const char *prog;	/* BPF program */
	bool ret;
};

static const struct qprobe qprobes[] = {
	{ "qemu:kvm_irqchip_add_msi_route", "qemu_add_msi_route", false },
	{ "qemu:kvm_irqchip_add_msi_route", "qemu_add_msi_route_ret", true },
	{ "qemu:kvm_irqchip_update_msi_route", "qemu_update_msi_route", false },
	{ "qemu:kvm_irqchip_commit_routes", "qemu_commit_routes", false },
};
#define NQPROBES (sizeof(qprobes) / sizeof(qprobes[0]))

struct it_qemu {
	struct qemu_bpf *skel;
	struct bpf_link *links[MAX_BINS * NQPROBES];
	size_t nlinks;
};

void it_qemu_prog_misses(const struct it_qemu *q, struct it_prog_misses *m)
{
	if (q && q->skel)
		it_prog_misses_add(m, q->skel->obj);
}

bool it_qemu_is_hook(const struct it_hook *h)
{
	return h && h->hop && !strcmp(h->hop, "vmm-uprobe");
}

static const char *hook_sym(const struct it_hook *h)
{
	return strncmp(h->name, "qemu:", 5) ? h->name : h->name + 5;
}

int it_elf_exports(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
	Elf_Scn *scn = NULL;
	Elf *e;

	if (fd < 0)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL))) {
		close(fd);
		return -EINVAL;
	}
	if (elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		close(fd);
		return -ENOEXEC;
	}
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			s = elf_strptr(e, sh.sh_link, sym.st_name);
			if (s && !strcmp(s, name)) {
				found = 1;
				break;
			}
		}
	}
	elf_end(e);
	close(fd);
	return found;
}

static bool is_qemu_name(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strncmp(b, "qemu-system-", 12) || !strcmp(b, "qemu-kvm");
}

static void add_bin(char bins[][PATH_MAX], size_t *n, const char *path)
{
	char real[PATH_MAX];

	if (*n >= MAX_BINS || !realpath(path, real) || access(real, R_OK))
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(bins[i], real))
			return;
	snprintf(bins[(*n)++], PATH_MAX, "%s", real);
}

static void add_exe(char bins[][PATH_MAX], size_t *n, const char *pid, bool any_name)
{
	char link[64], exe[PATH_MAX];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/%s/exe", pid);
	len = readlink(link, exe, sizeof(exe) - 1);
	if (len <= 0)
		return;
	exe[len] = 0;
	if (any_name || is_qemu_name(exe))
		add_bin(bins, n, exe);
}

/* QEMU binaries: $IRQTRAIL_QEMU, the traced pid's executable or every
 * running QEMU's, and the usual install paths. */
static size_t find_binaries(pid_t pid, char bins[][PATH_MAX])
{
	static const char *const paths[] = { "/usr/bin/qemu-system-x86_64", "/usr/bin/qemu-system-aarch64",
					     "/usr/libexec/qemu-kvm", "/usr/bin/qemu-kvm" };
	const char *env = getenv("IRQTRAIL_QEMU");
	size_t n = 0;

	if (env && *env)
		add_bin(bins, &n, env);
	if (pid > 0) {
		char p[16];

		snprintf(p, sizeof(p), "%d", (int)pid);
		add_exe(bins, &n, p, true);
	} else {
		DIR *d = opendir("/proc");
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
				add_exe(bins, &n, de->d_name, false);
		if (d)
			closedir(d);
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		add_bin(bins, &n, paths[i]);
	return n;
}

void it_qemu_plan(const struct it_features *f, pid_t pid, struct it_hook_status *s)
{
	char bins[MAX_BINS][PATH_MAX];
	size_t n = find_binaries(pid, bins), with = 0, len = 0;
	const char *sym = hook_sym(s->hook);

	s->tier = IT_TIER_NONE;
	if (!f->uprobes) {
		snprintf(s->reason, sizeof(s->reason), "this kernel has no uprobe PMU (CONFIG_UPROBES off)");
		return;
	}
	if (!n) {
		snprintf(s->reason, sizeof(s->reason),
			 "no QEMU binary found (running qemu-system-*, /usr/bin/qemu-system-*, $IRQTRAIL_QEMU)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (it_elf_exports(bins[i], sym) != 1)
			continue;
		if (len < sizeof(s->reason))
			len += (size_t)snprintf(s->reason + len, sizeof(s->reason) - len, "%s%.200s",
						with ? ", " : "uprobe on ", bins[i]);
		with++;
	}
	if (!with) {
		snprintf(s->reason, sizeof(s->reason), "%.200s does not export %s (stripped of it, or another VMM)",
			 bins[0], sym);
		return;
	}
	s->tier = IT_TIER_UPROBE;
	if (len < sizeof(s->reason))
		snprintf(s->reason + len, sizeof(s->reason) - len, " (exported); attached when irqtrail traces");
}

int it_qemu_attach(struct it_qemu **out, int events_fd, int counters_fd, pid_t pid, struct it_hook_status *st,
		   size_t n)
{
	char bins[MAX_BINS][PATH_MAX];
	struct it_qemu *q;
	size_t nb, attached = 0;
	int err;
	bool want = false;

	*out = NULL;
	for (size_t i = 0; i < n; i++)
		if (it_qemu_is_hook(st[i].hook) && st[i].tier == IT_TIER_UPROBE)
			want = true;
	if (!want)
		return 0;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->skel = qemu_bpf__open();
	if (!q->skel) {
		err = -errno;
		goto fail;
	}
	q->skel->rodata->cfg_tgid = (uint32_t)(pid > 0 ? pid : 0);
	if ((err = bpf_map__reuse_fd(q->skel->maps.events, events_fd)) ||
	    (err = bpf_map__reuse_fd(q->skel->maps.counters, counters_fd)) || (err = qemu_bpf__load(q->skel)))
		goto fail;
	nb = find_binaries(pid, bins);
	for (size_t i = 0; i < n; i++) {
		struct it_hook_status *s = &st[i];
		const char *sym;
		size_t ok = 0, tried = 0;

		if (!it_qemu_is_hook(s->hook) || s->tier != IT_TIER_UPROBE)
			continue;
		sym = hook_sym(s->hook);
		size_t nexp = 0;
		for (size_t b = 0; b < nb; b++) {
			if (it_elf_exports(bins[b], sym) != 1)
				continue;
			nexp++;
			for (size_t k = 0; k < NQPROBES; k++) {
				LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = sym, .retprobe = qprobes[k].ret);
				struct bpf_program *prog;
				struct bpf_link *l;

				if (strcmp(qprobes[k].hook, s->hook->name))
					continue;
				tried++;
				prog = bpf_object__find_program_by_name(q->skel->obj, qprobes[k].prog);
				l = prog ? bpf_program__attach_uprobe_opts(prog, pid > 0 ? pid : -1, bins[b], 0, &uo) : NULL;
				if (!l) {
					snprintf(s->reason, sizeof(s->reason), "uprobe on %.200s:%s failed: %s", bins[b],
						 sym, strerror(errno));
					continue;
				}
				q->links[q->nlinks++] = l;
				ok++;
			}
		}
		if (ok && ok == tried) {
			s->attached = true;
			attached++;
			snprintf(s->reason, sizeof(s->reason), "attached (uprobe%s on %zu QEMU binar%s, %s)",
				 ok > 1 ? "s" : "", nexp, nexp == 1 ? "y" : "ies", pid > 0 ? "the traced pid" : "every process");
		} else {
			s->tier = IT_TIER_NONE;
			if (!tried)
				snprintf(s->reason, sizeof(s->reason), "no QEMU binary exporting %s any more", sym);
		}
	}
	*out = q;
	return (int)attached;
fail:
	for (size_t i = 0; i < n; i++)
		if (it_qemu_is_hook(st[i].hook) && st[i].tier == IT_TIER_UPROBE) {
			st[i].tier = IT_TIER_NONE;
			snprintf(st[i].reason, sizeof(st[i].reason), "cannot load the uprobe programs: %s", strerror(-err));
		}
	it_qemu_close(q);
	return 0;
}

void it_qemu_close(struct it_qemu *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nlinks; i++)
		bpf_link__destroy(q->links[i]);
	qemu_bpf__destroy(q->skel);
	free(q);
}
