// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "hooks.h"

const char *it_tier_name(enum it_tier t)
{
	switch (t) {
	case IT_TIER_FENTRY: return "fentry";
	case IT_TIER_KPROBE: return "kprobe";
	case IT_TIER_TRACEPOINT: return "tracepoint";
	case IT_TIER_SYSCALL: return "syscall";
	case IT_TIER_UPROBE: return "uprobe";
	case IT_TIER_ITER: return "iterator";
	default: return "none";
	}
}

#define TP(cat, n, hop, note) { cat ":" n, hop, "tp_" n, cat "/" n, NULL, note }
#define KF(sym, label, hop, note) { label, hop, NULL, NULL, sym, note }

const struct it_hook it_hooks[] = {
	/* tracepoint tier */
	TP("irq", "irq_handler_entry", "host-handler", "handler runs per host irq, irq names (vfio-msix[N](BDF))"),
	TP("irq", "irq_handler_exit", "host-handler", "handler time per host irq"),
	TP("irq_vectors", "vector_setup", "vector", "irq set up in the vector domain"),
	TP("irq_vectors", "vector_alloc", "vector", "vector allocation and failures"),
	TP("irq_vectors", "vector_alloc_managed", "vector", "managed vector allocation"),
	TP("irq_vectors", "vector_reserve", "vector", "vector reservation"),
	TP("irq_vectors", "vector_reserve_managed", "vector", "managed vector reservation"),
	TP("irq_vectors", "vector_update", "vector", "vector/CPU moves"),
	TP("irq_vectors", "vector_clear", "vector", "vector release"),
	TP("irq_vectors", "vector_config", "vector", "vector, CPU and APIC destination programmed"),
	TP("irq_vectors", "vector_activate", "vector", "activation"),
	TP("irq_vectors", "vector_deactivate", "vector", "deactivation"),
	TP("irq_vectors", "vector_teardown", "vector", "irq removed from the vector domain"),
	TP("irq_vectors", "vector_free_moved", "vector", "old vector freed after a move"),
	{ "irq_matrix:irq_matrix_alloc", "vector-matrix", "tp_matrix_alloc", "irq_matrix/irq_matrix_alloc", NULL, "per-CPU vector space" },
	{ "irq_matrix:irq_matrix_free", "vector-matrix", "tp_matrix_free", "irq_matrix/irq_matrix_free", NULL, "per-CPU vector space" },
	{ "irq_matrix:irq_matrix_alloc_managed", "vector-matrix", "tp_matrix_alloc_managed", "irq_matrix/irq_matrix_alloc_managed", NULL, "per-CPU vector space" },
	{ "irq_matrix:irq_matrix_alloc_reserved", "vector-matrix", "tp_matrix_alloc_reserved", "irq_matrix/irq_matrix_alloc_reserved", NULL, "per-CPU vector space" },
	{ "irq_matrix:irq_matrix_assign", "vector-matrix", "tp_matrix_assign", "irq_matrix/irq_matrix_assign", NULL, "per-CPU vector space" },
	TP("kvm", "kvm_msi_set_irq", "kvm-injection", "every MSI KVM injects (KVM_SIGNAL_MSI, irqfd), with address/data"),
	TP("kvm", "kvm_set_irq", "kvm-injection", "GSI level changes"),
	TP("kvm", "kvm_ack_irq", "kvm-injection", "irqchip acks"),
	TP("kvm", "kvm_pi_irte_update", "posted-irte", "posted-interrupt IRTE switches (set/unset)"),
	TP("kvm", "kvm_apic_accept_irq", "vcpu-delivery", "the vCPU's local APIC accepts a vector"),
	TP("kvm", "kvm_inj_virq", "vcpu-delivery", "vector injected on VM entry"),
	TP("kvm", "kvm_eoi", "vcpu-delivery", "guest EOI"),
	TP("kvm", "kvm_hypercall", "hypercall", "KVM hypercalls"),
	TP("kvm", "kvm_hv_hypercall", "hypercall", "Hyper-V hypercalls"),
	TP("kvm", "kvm_hv_hypercall_done", "hypercall", "Hyper-V hypercall results"),
	TP("kvm", "kvm_xen_hypercall", "hypercall", "Xen hypercalls"),
	{ "syscalls:sys_enter_ioctl", "vmm-ioctl", "tp_sys_enter_ioctl", "syscalls/sys_enter_ioctl", NULL,
	  "VMM ioctls: KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_SIGNAL_MSI, VFIO_DEVICE_SET_IRQS, VFIO_GROUP_GET_DEVICE_FD" },
	{ "syscalls:sys_exit_ioctl", "vmm-ioctl", "tp_sys_exit_ioctl", "syscalls/sys_exit_ioctl", NULL,
	  "VMM ioctl arguments and return values" },

	/* VM state at start: bpf/iter.bpf.c, loaded by user/iter.c (name: IT_HOOK_VM_ITER) */
	{ "iter/task_file (VM state at start)", "vm-state", NULL, NULL, NULL,
	  "GSI routing tables and irqfds of VMs set up before start (struct kvm, read once)" },
	/* VMM user-space tier: uprobes on QEMU's exported routing API
	 * (bpf/qemu.bpf.c, user/qemu.c); hop "vmm-uprobe" marks them */
	{ "qemu:kvm_irqchip_add_msi_route", "vmm-uprobe", NULL, NULL, NULL,
	  "QEMU gives a device vector a KVM GSI (virq); entry and return" },
	{ "qemu:kvm_irqchip_update_msi_route", "vmm-uprobe", NULL, NULL, NULL,
	  "QEMU changes a GSI's message (the guest reprogrammed its MSI/MSI-X entry)" },
	{ "qemu:kvm_irqchip_commit_routes", "vmm-uprobe", NULL, NULL, NULL,
	  "QEMU commits its routing table (KVM_SET_GSI_ROUTING follows)" },

	/* fentry/kprobe tier (the full hook set); programs in bpf/full.bpf.c,
	 * tier chosen per hook by user/full.c */
	KF("modify_irte", "modify_irte (intel)", "irte-write", "Intel IRTE stores, old and new entry (static, two copies: attached by address)"),
	KF("modify_irte_ga", "modify_irte_ga (amd)", "irte-write", "AMD IRTE stores, old and new entry (kernels without __modify_irte_ga)"),
	KF("__modify_irte_ga", "__modify_irte_ga (amd)", "irte-write", "AMD IRTE stores, old and new entry (6.5+)"),
	KF("modify_irte", "modify_irte (amd)", "irte-write", "AMD 32-bit IRTE stores (IOMMU without GA, amd_iommu_intr=legacy), old and new entry"),
	KF("intel_ir_set_vcpu_affinity", "intel_ir_set_vcpu_affinity", "posted-irte", "Intel posted-mode switch"),
	KF("amd_ir_set_vcpu_affinity", "amd_ir_set_vcpu_affinity", "posted-irte", "AMD guest-mode switch"),
	KF("__irq_domain_alloc_irqs", "__irq_domain_alloc_irqs", "domain-alloc", "allocation per request: top domain, virq, failures"),
	KF("irq_domain_alloc_irqs_parent", "irq_domain_alloc_irqs_parent", "domain-alloc", "per-level hierarchy (PCI-MSI -> IR -> VECTOR) and failures"),
	KF("msi_domain_alloc_irqs_all_locked", "msi_domain_alloc_irqs_all_locked", "domain-alloc", "PCI MSI/MSI-X entry (6.2+)"),
	KF("msi_domain_alloc_irqs_descs_locked", "msi_domain_alloc_irqs_descs_locked", "domain-alloc", "PCI MSI/MSI-X entry (<= 6.1)"),
	KF("msi_domain_alloc_irq_at", "msi_domain_alloc_irq_at", "domain-alloc", "dynamic MSI-X and IMS entry (6.2+)"),
	KF("irq_chip_compose_msi_msg", "irq_chip_compose_msi_msg", "msi-compose", "message composed for the device"),
	KF("__pci_write_msi_msg", "__pci_write_msi_msg", "msi-write", "message written to the device (BDF, entry)"),
	KF("vfio_pci_set_irqs_ioctl", "vfio_pci_set_irqs_ioctl", "vfio-setup", "VFIO interrupt setup in the kernel"),
	KF("vfio_msi_set_vector_signal", "vfio_msi_set_vector_signal", "vfio-setup", "per-vector host irq and eventfd"),
	KF("vfio_msihandler", "vfio_msihandler", "vfio-handler", "VFIO interrupt handler, counted per irq"),
	KF("irq_bypass_register_producer", "irq_bypass_register_producer", "vfio-setup", "IRQ bypass producer (host irq)"),
	KF("irq_bypass_unregister_producer", "irq_bypass_unregister_producer", "vfio-setup", "IRQ bypass producer removed"),
	KF("irqfd_wakeup", "irqfd_wakeup", "kvm-irqfd", "irqfd signalled, with its route"),
	KF("kvm_arch_set_irq_inatomic", "kvm_arch_set_irq_inatomic", "kvm-irqfd", "irqfd fast-path injection"),
	KF("kvm_set_msi", "kvm_set_msi", "kvm-injection", "MSI injection with its route"),
	KF("kvm_arch_irq_bypass_add_producer", "kvm_arch_irq_bypass_add_producer", "posted-irte", "bypass consumer meets producer"),
	KF("kvm_arch_irq_bypass_del_producer", "kvm_arch_irq_bypass_del_producer", "posted-irte", "bypass consumer drops producer"),
	KF("vmx_pi_update_irte", "vmx_pi_update_irte", "posted-irte", "VMX posted-interrupt IRTE update"),
	KF("avic_pi_update_irte", "avic_pi_update_irte", "posted-irte", "AVIC guest-mode IRTE update"),
	KF("kvm_emulate_hypercall", "kvm_emulate_hypercall", "hypercall", "hypercall entry with return value"),
	KF("its_create_device", "its_create_device", "its", "arm64 ITS device: device id, LPI range"),
	KF("its_irq_domain_activate", "its_irq_domain_activate", "its", "arm64 ITS: irq -> event id, LPI, target CPU"),
	KF("its_build_mapti_cmd", "its_build_mapti_cmd", "its", "arm64 ITS MAPTI command (device, event, LPI, collection)"),
	KF("its_irq_compose_msi_msg", "its_irq_compose_msi_msg", "msi-compose", "arm64 ITS message: doorbell address and event id"),
	KF("iommu_get_msi_cookie", "iommu_get_msi_cookie", "msi-doorbell", "MSI IOVA window of an IOMMU domain"),
	KF("iommu_dma_prepare_msi", "iommu_dma_prepare_msi", "msi-doorbell", "doorbell page mapped into the device's IOVA space"),
	KF("iommu_dma_compose_msi_msg", "iommu_dma_compose_msi_msg", "msi-doorbell", "doorbell IOVA substituted into the message"),
};
const size_t it_nhooks = sizeof(it_hooks) / sizeof(it_hooks[0]);

static bool path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static void find_tracefs(struct it_features *f)
{
	static const char *const paths[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < 2; i++) {
			char p[96];

			snprintf(p, sizeof(p), "%s/events", paths[i]);
			if (path_exists(p)) {
				f->tracefs = true;
				snprintf(f->tracefs_path, sizeof(f->tracefs_path), "%s", paths[i]);
				return;
			}
		}
		/* as root, mount tracefs where the kernel offers its mount point */
		if (pass == 0 && f->root && path_exists("/sys/kernel/tracing"))
			mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	}
}

bool it_tracepoint_exists(const struct it_features *f, const char *cat_name)
{
	char p[256];

	if (!f->tracefs)
		return false;
	snprintf(p, sizeof(p), "%s/events/%s/id", f->tracefs_path, cat_name);
	return path_exists(p);
}

/* /proc/kallsyms, read once: the full tier asks about dozens of symbols. */
static const char *kallsyms_text(void)
{
	static char *text;
	static bool tried;
	size_t len = 0, cap = 0;
	FILE *fp;

	if (tried)
		return text;
	tried = true;
	fp = fopen("/proc/kallsyms", "r");
	if (!fp)
		return NULL;
	for (;;) {
		if (len + 65536 + 1 > cap) {
			size_t nc = cap ? cap * 2 : 1 << 22;
			char *n = realloc(text, nc);
			if (!n)
				break;
			text = n;
			cap = nc;
		}
		size_t r = fread(text + len, 1, cap - len - 1, fp);
		if (!r)
			break;
		len += r;
	}
	fclose(fp);
	if (text)
		text[len] = 0;
	return text;
}

bool it_ksym_exists(const char *name)
{
	const char *t = kallsyms_text(), *p;
	size_t n = strlen(name);

	if (!t || !n)
		return false;
	/* lines are "addr type name[\t[module]]": the name follows a space and
	 * ends the line, meets a tab, or goes on with a .isra/.constprop suffix */
	for (p = t; (p = strstr(p, name)); p += n) {
		char c = p[n];
		if (p > t && p[-1] == ' ' && (c == '\n' || c == '\t' || c == '.' || c == 0))
			return true;
	}
	return false;
}

/* Can an fentry program load and attach on this kernel? */
static void probe_fentry(struct it_features *f)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* r0 = 0 */
		{ .code = 0x95 },				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id, fd, lfd;

	if (!vmlinux) {
		snprintf(f->fentry_reason, sizeof(f->fentry_reason), "no kernel BTF");
		return;
	}
	id = btf__find_by_name_kind(vmlinux, "ksys_read", BTF_KIND_FUNC);
	if (id < 0)
		id = btf__find_by_name_kind(vmlinux, "vfs_read", BTF_KIND_FUNC);
	btf__free(vmlinux);
	if (id < 0) {
		snprintf(f->fentry_reason, sizeof(f->fentry_reason), "no probe target function in BTF");
		return;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "it_fentry_probe", "GPL", insns, 2, &opts);
	if (fd < 0) {
		snprintf(f->fentry_reason, sizeof(f->fentry_reason), "fentry program load failed: %s (%d)",
			 strerror(errno == 524 ? EOPNOTSUPP : errno), -errno);
		return;
	}
	lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (lfd < 0) {
		int e = errno;
		snprintf(f->fentry_reason, sizeof(f->fentry_reason), "fentry attach failed: %s (%d)",
			 e == 524 ? "not supported by this kernel" : strerror(e), -e);
	} else {
		f->fentry = true;
		snprintf(f->fentry_reason, sizeof(f->fentry_reason), "fentry attach works");
		close(lfd);
	}
	close(fd);
}

static bool config_has(const char *opt)
{
	/* /proc/config.gz needs zlib; /boot/config-$(uname -r) is plain text */
	struct utsname u;
	char p[256], line[256];
	size_t n = strlen(opt);
	bool yes = false;
	FILE *fp;

	uname(&u);
	snprintf(p, sizeof(p), "/boot/config-%s", u.release);
	fp = fopen(p, "r");
	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, opt, n) && line[n] == '=' && (line[n + 1] == 'y' || line[n + 1] == 'm'))
			yes = true;
	fclose(fp);
	return yes;
}

void it_probe_features(struct it_features *f)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	uname(&u);
	snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
	snprintf(f->arch, sizeof(f->arch), "%s", u.machine);
	f->root = geteuid() == 0;
	f->btf = path_exists("/sys/kernel/btf/vmlinux");
	find_tracefs(f);
	f->uprobes = path_exists("/sys/bus/event_source/devices/uprobe");
	if (path_exists("/sys/bus/event_source/devices/kprobe") ||
	    (f->tracefs && ({ char p[96]; snprintf(p, sizeof(p), "%s/kprobe_events", f->tracefs_path); path_exists(p); })) ||
	    config_has("CONFIG_KPROBES")) {
		f->kprobes = true;
		snprintf(f->kprobe_reason, sizeof(f->kprobe_reason), "kprobe PMU present");
	} else {
		snprintf(f->kprobe_reason, sizeof(f->kprobe_reason),
			 "no kprobe PMU (/sys/bus/event_source/devices/kprobe) and no kprobe_events: kernel built without CONFIG_KPROBES");
	}
	probe_fentry(f);
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	f->bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) == 1;
	f->bpf_stats_sysctl = path_exists("/proc/sys/kernel/bpf_stats_enabled");
}
