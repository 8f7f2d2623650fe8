// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail's full hook set: kprobe/kretprobe and fentry/fexit programs on
 * kernel functions the tracepoint tier cannot see (IRTE stores, irqdomain
 * allocation, MSI compose/write, VFIO, KVM internals), plus a start-up read
 * of the interrupt remapping tables.
 *
 * Every hook has one body (an __always_inline handler taking plain
 * arguments) wrapped by a kprobe and an fentry program; the loader
 * (user/full.c) turns on, per hook, the wrapper the running kernel supports
 * and attaches kprobes by resolved name or address (static functions the
 * compiler cloned, e.g. modify_irte.isra.0, have no BTF and two copies).
 * Entry/exit pairs keep their arguments in a per-thread stack of slots, so
 * the kretprobe variant reports what the fexit variant reports.
 *
 * The maps events, counters, cur_irq and agg_counts are the tracepoint
 * tier's (user space reuses that skeleton's fds): one stream, one set of
 * counters.
 */
#include "common.bpf.h"
#include "full_core.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader from the running kernel's BTF. */
const volatile bool cfg_bypass_reg3 = false;	/* irq_bypass_register_producer(prod, eventfd, irq) */
const volatile bool cfg_pi_irqfd_abi = false;	/* *_pi_update_irte(irqfd, kvm, host_irq, guest_irq, ...) */

/* Kernel globals, resolved from kallsyms at load (0 when absent). */
extern const void dmar_drhd_units __ksym __weak;
extern const void eim_mode __ksym __weak;
extern const void amd_iommu_list __ksym __weak;
extern const void amd_iommu_pci_seg_list __ksym __weak;
extern const void amd_iommu_guest_ir __ksym __weak;

#if defined(__TARGET_ARCH_x86)
#define IT_PARM6(x) ((x)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define IT_PARM6(x) (((struct user_pt_regs *)(x))->regs[5])
#else
#define IT_PARM6(x) 0
#endif

#define EPOLLIN_BIT	0x001
#define EPOLLHUP_BIT	0x010
#define VFIO_IRQ_SET_DATA_EVENTFD (1u << 2)
#define AMD_IRQS_PER_TABLE 512		/* MAX_IRQS_PER_TABLE without 2K tables */
#define INTEL_IRTE_ENTRIES 65536	/* INTR_REMAP_TABLE_ENTRIES */

/* ---- per-thread entry/exit slots ---- */

enum it_full_hook {
	H_AMD_VCPU = 1,
	H_INTEL_VCPU,
	H_DOM_ALLOC,
	H_DOM_PARENT,
	H_MSI_ALL,
	H_MSI_DESCS,
	H_MSI_AT,
	H_COMPOSE,
	H_VFIO_SET_IRQS,
	H_VFIO_VECTOR,
	H_BYPASS_REG,
	H_KVM_INATOMIC,
	H_KVM_ADD,
	H_PI_UPDATE,
	H_HYPERCALL,
};

#define IT_SLOT_DEPTH 8

struct it_depth_key {
	__u32 tid;
	__u32 hook;
};

struct it_slot_key {
	__u32 tid;
	__u16 hook;
	__u16 depth;
};

struct it_slot {
	__u64 ts;
	__u64 a[6];
	__u32 host_irq;
	__u32 pad;
	char name[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct it_depth_key);
	__type(value, __u32);
} slot_depth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct it_slot_key);
	__type(value, struct it_slot);
} slots SEC(".maps");

/* A zeroed slot on top of this thread's stack for the hook. */
static __always_inline struct it_slot *slot_push(__u32 hook)
{
	struct it_depth_key dk = { .tid = (__u32)bpf_get_current_pid_tgid(), .hook = hook };
	struct it_slot_key sk = { .tid = dk.tid, .hook = hook };
	struct it_slot zero = {};
	__u32 *dp = bpf_map_lookup_elem(&slot_depth, &dk), d = 1;

	if (dp)
		d = *dp + 1;
	if (d > IT_SLOT_DEPTH)	/* exits were missed: start over */
		d = 1;
	if (bpf_map_update_elem(&slot_depth, &dk, &d, BPF_ANY))
		return NULL;
	sk.depth = d;
	zero.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&slots, &sk, &zero, BPF_ANY))
		return NULL;
	return bpf_map_lookup_elem(&slots, &sk);
}

/* The slot on top of this thread's stack for the hook, NULL if none. */
static __always_inline struct it_slot *slot_top(__u32 hook)
{
	struct it_depth_key dk = { .tid = (__u32)bpf_get_current_pid_tgid(), .hook = hook };
	struct it_slot_key sk = { .tid = dk.tid, .hook = hook };
	__u32 *dp = bpf_map_lookup_elem(&slot_depth, &dk);

	if (!dp)
		return NULL;
	sk.depth = *dp;
	return bpf_map_lookup_elem(&slots, &sk);
}

/* Pop the top slot into *out; false when there was none. */
static __always_inline bool slot_pop(__u32 hook, struct it_slot *out)
{
	struct it_depth_key dk = { .tid = (__u32)bpf_get_current_pid_tgid(), .hook = hook };
	struct it_slot_key sk = { .tid = dk.tid, .hook = hook };
	__u32 *dp = bpf_map_lookup_elem(&slot_depth, &dk), d;
	struct it_slot *s;
	bool ok = false;

	if (!dp)
		return false;
	d = *dp;
	sk.depth = d;
	s = bpf_map_lookup_elem(&slots, &sk);
	if (s) {
		__builtin_memcpy(out, s, sizeof(*out));
		bpf_map_delete_elem(&slots, &sk);
		ok = true;
	}
	if (d <= 1) {
		bpf_map_delete_elem(&slot_depth, &dk);
	} else {
		d--;
		bpf_map_update_elem(&slot_depth, &dk, &d, BPF_ANY);
	}
	return ok;
}

static __always_inline __u8 irq_flags(void)
{
	struct it_cur_irq *c = cur_irq_get();

	return c && c->active ? IT_F_IN_HARDIRQ : 0;
}

/* ---- PCI helpers ---- */

static __always_inline void pci_bdf(struct pci_dev *pdev, __u16 *seg, __u8 *bus, __u8 *devfn)
{
	struct pci_bus *b = BPF_CORE_READ(pdev, bus);
	struct pci_sysdata___it *sd;

	*bus = BPF_CORE_READ(b, number);
	*devfn = BPF_CORE_READ(pdev, devfn);
	*seg = 0;
	if (bpf_core_type_exists(struct pci_sysdata___it)) {
		sd = (void *)BPF_CORE_READ(b, sysdata);
		*seg = sd ? (__u16)BPF_CORE_READ(sd, domain) : 0;
	} else if (bpf_core_field_exists(((struct pci_bus___dom *)0)->domain_nr)) {
		*seg = (__u16)BPF_CORE_READ((struct pci_bus___dom *)b, domain_nr);
	}
}

static __always_inline struct pci_dev *dev_to_pci(struct device *dev)
{
	if (!dev)
		return NULL;
	return (void *)dev - bpf_core_field_offset(struct pci_dev, dev);
}

/* ================= IRTE writes ================= */

static __always_inline void irte_mode_flags(struct it_irte *e)
{
	int eim = 0;

	if (&eim_mode && !bpf_probe_read_kernel(&eim, sizeof(eim), (void *)&eim_mode))
		e->flags |= IT_IRTE_F_MODE_KNOWN | (eim ? IT_IRTE_F_X2APIC : 0);
}

/* Intel modify_irte(struct irq_2_iommu *irq_iommu, struct irte *irte_modified):
 * static, cloned as modify_irte.isra.0 (return value dropped, arguments kept,
 * checked by disassembly of Debian's 6.1 and 6.12); attached by address. */
static __always_inline void h_intel_irte(struct irq_2_iommu___it *ii, void *newp)
{
	struct intel_iommu___it *iommu;
	struct irte___it *base;
	struct it_irte *e;
	__u16 idx, sub;

	if (!ii)
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_IRTE_WRITE, sizeof(*e), irq_flags(), bpf_ktime_get_ns());
	e->vendor = IT_IRTE_INTEL;
	idx = BPF_CORE_READ(ii, irte_index);
	sub = BPF_CORE_READ(ii, sub_handle);
	e->index = (__u32)idx + sub;
	e->sub_handle = sub;
	bpf_probe_read_kernel(&e->new_lo, 16, newp);
	iommu = BPF_CORE_READ(ii, iommu);
	if (iommu) {
		e->unit = (__u16)BPF_CORE_READ(iommu, seq_id);
		e->segment = BPF_CORE_READ(iommu, segment);
		e->flags |= IT_IRTE_F_UNIT_KNOWN;
		bpf_probe_read_kernel_str(e->iommu, sizeof(e->iommu),
					  __builtin_preserve_access_index(&iommu->name));
		base = BPF_CORE_READ(iommu, ir_table, base);
		if (base && !bpf_probe_read_kernel(&e->old_lo, 16, (void *)base + (__u64)e->index * 16))
			e->flags |= IT_IRTE_F_OLD;
	}
	if (bpf_core_field_exists(ii->posted_msi) && BPF_CORE_READ(ii, posted_msi))
		e->flags |= IT_IRTE_F_POSTED_MSI;
	if (bpf_core_field_exists(ii->posted_vcpu)) {
		if (BPF_CORE_READ(ii, posted_vcpu))
			e->flags |= IT_IRTE_F_POSTED_VCPU;
	} else if (bpf_core_field_exists(ii->mode)) {
		if (BPF_CORE_READ(ii, mode) == IT_IRQ_POSTING)
			e->flags |= IT_IRTE_F_POSTED_VCPU;
	}
	irte_mode_flags(e);
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_modify_irte, void *irq_iommu, void *irte)
{
	h_intel_irte(irq_iommu, irte);
	return 0;
}

/* Is p one of the nodes of the kernel list at head (at most 16 looked at)? */
static __always_inline bool in_list(const void *head, void *p, __u32 list_off)
{
	void *pos;

	if (!head || bpf_probe_read_kernel(&pos, sizeof(pos), head))
		return false;
	for (int i = 0; i < 16; i++) {
		if (!pos || pos == head)
			return false;
		if (pos - list_off == p)
			return true;
		if (bpf_probe_read_kernel(&pos, sizeof(pos), pos))
			return false;
	}
	return false;
}

/*
 * AMD modify_irte_ga(iommu, devid, index, irte[, data]) (6.0..6.4, in BTF) and
 * __modify_irte_ga(iommu, devid, index, irte) (6.5+, IRTE store without the
 * flush).  GCC clones the latter as __modify_irte_ga.isra.0 and, in Debian's
 * 6.12, passes iommu->pci_seg instead of iommu (disassembly: the clone hands
 * its first argument straight to get_irq_table.isra.0, which reads
 * ->rlookup_table and ->irq_lookup_table).  The first argument is therefore
 * identified by looking it up in the driver's own lists.
 */
static __always_inline void h_amd_irte(void *a1, __u16 devid, __u32 index, void *newp, bool ga)
{
	struct amd_iommu_pci_seg___it *seg = NULL;
	struct amd_iommu___it *iommu = NULL, **rl;
	struct irq_remap_table___it *tbl, **itl;
	struct it_irte *e;
	__u32 *t;

	if (in_list(&amd_iommu_list, a1, bpf_core_field_offset(struct amd_iommu___it, list))) {
		iommu = a1;
		seg = BPF_CORE_READ(iommu, pci_seg);
	} else if (in_list(&amd_iommu_pci_seg_list, a1,
			   bpf_core_field_offset(struct amd_iommu_pci_seg___it, list))) {
		seg = a1;
	}
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_IRTE_WRITE, sizeof(*e), irq_flags(), bpf_ktime_get_ns());
	e->vendor = ga ? IT_IRTE_AMD_GA : IT_IRTE_AMD_32;
	e->devid = devid;
	e->index = index;
	if (ga) {
		bpf_probe_read_kernel(&e->new_lo, 16, newp);
	} else {
		/* union irte * in the source; the IPA-SRA clone may pass
		 * irte->val itself (the only use): a kernel address is a pointer */
		__u32 v = 0;

		if ((__u64)newp >= 0xffff800000000000ull)
			bpf_probe_read_kernel(&v, sizeof(v), newp);
		else
			v = (__u32)(__u64)newp;
		e->new_lo = v;
	}
	if (seg) {
		e->segment = BPF_CORE_READ(seg, id);
		if (!iommu) {
			rl = BPF_CORE_READ(seg, rlookup_table);
			if (rl)
				bpf_probe_read_kernel(&iommu, sizeof(iommu), rl + devid);
		}
		itl = BPF_CORE_READ(seg, irq_lookup_table);
		tbl = NULL;
		if (itl)
			bpf_probe_read_kernel(&tbl, sizeof(tbl), itl + devid);
		t = tbl ? BPF_CORE_READ(tbl, table) : NULL;
		if (t && ga && !bpf_probe_read_kernel(&e->old_lo, 16, (void *)t + (__u64)index * 16))
			e->flags |= IT_IRTE_F_OLD;
		if (t && !ga && !bpf_probe_read_kernel(&e->old_lo, 4, (void *)t + (__u64)index * 4))
			e->flags |= IT_IRTE_F_OLD;
	}
	if (iommu) {
		e->unit = (__u16)BPF_CORE_READ(iommu, index);
		e->flags |= IT_IRTE_F_UNIT_KNOWN;
	}
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_modify_irte_ga, void *a1, __u16 devid, int index, void *irte)
{
	h_amd_irte(a1, devid, index, irte, true);
	return 0;
}

/* AMD modify_irte(iommu, devid, index, union irte *) (6.0+): the 32-bit
 * IRTE store, used when the IOMMU runs without GA (no GASup, or
 * amd_iommu_intr=legacy).  Static, a modify_irte.isra.0 clone next to
 * Intel's copy: attached by address (the copy nearest irq_remapping_alloc). */
SEC("kprobe")
int BPF_KPROBE(kp_modify_irte_amd, void *a1, __u16 devid, int index, void *irte)
{
	h_amd_irte(a1, devid, index, irte, false);
	return 0;
}

SEC("fentry/modify_irte_ga")
int BPF_PROG(fe_modify_irte_ga, void *iommu, __u16 devid, int index, void *irte)
{
	h_amd_irte(iommu, devid, index, irte, true);
	return 0;
}

/* ---- posted / guest mode switches ---- */

static __always_inline void vcpu_enter(__u32 hook, struct irq_data *d, void *info)
{
	struct it_slot *s = slot_push(hook);

	if (!s)
		return;
	s->a[0] = BPF_CORE_READ(d, irq);
	s->a[1] = (__u64)info;
	if (!info)
		return;
	if (hook == H_INTEL_VCPU) {
		struct vcpu_data___it *vd = info;

		if (bpf_core_type_exists(struct vcpu_data___it)) {
			s->a[2] = BPF_CORE_READ(vd, pi_desc_addr);
			s->a[3] = BPF_CORE_READ(vd, vector);
		}
	} else {
		struct amd_iommu_pi_data___it *pi = info;
		struct amd_iommu_pi_data___new *pn = info;

		if (bpf_core_field_exists(pi->vcpu_data)) {
			struct vcpu_data___it *vd = BPF_CORE_READ(pi, vcpu_data);

			s->a[2] = BPF_CORE_READ(pi, base);
			s->a[4] = BPF_CORE_READ(pi, ga_tag);
			s->a[5] = BPF_CORE_READ(pi, is_guest_mode);
			if (vd)
				s->a[3] = BPF_CORE_READ(vd, vector);
		} else if (bpf_core_field_exists(pn->vapic_addr)) {
			s->a[2] = BPF_CORE_READ(pn, vapic_addr);
			s->a[3] = BPF_CORE_READ(pn, vector);
			s->a[4] = BPF_CORE_READ(pn, ga_tag);
			s->a[5] = BPF_CORE_READ(pn, is_guest_mode);
		}
	}
}

static __always_inline void vcpu_exit(__u32 hook, int ret)
{
	struct it_irte_vcpu *e;
	struct it_slot s;

	if (!slot_pop(hook, &s))
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_IRTE_VCPU, sizeof(*e), 0, bpf_ktime_get_ns());
	e->vendor = hook == H_INTEL_VCPU ? IT_IRTE_INTEL : IT_IRTE_AMD_GA;
	e->irq = s.a[0];
	e->set = s.a[1] != 0;
	e->pi_desc_addr = s.a[2];
	e->vector = s.a[3];
	e->ga_tag = s.a[4];
	e->is_guest_mode = s.a[5];
	e->ret = ret;
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_intel_ir_set_vcpu_affinity, struct irq_data *d, void *info)
{
	vcpu_enter(H_INTEL_VCPU, d, info);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_intel_ir_set_vcpu_affinity, int ret)
{
	vcpu_exit(H_INTEL_VCPU, ret);
	return 0;
}

SEC("fentry/intel_ir_set_vcpu_affinity")
int BPF_PROG(fe_intel_ir_set_vcpu_affinity, struct irq_data *d, void *info)
{
	vcpu_enter(H_INTEL_VCPU, d, info);
	return 0;
}

SEC("fexit/intel_ir_set_vcpu_affinity")
int BPF_PROG(fx_intel_ir_set_vcpu_affinity, struct irq_data *d, void *info, int ret)
{
	vcpu_exit(H_INTEL_VCPU, ret);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_amd_ir_set_vcpu_affinity, struct irq_data *d, void *info)
{
	vcpu_enter(H_AMD_VCPU, d, info);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_amd_ir_set_vcpu_affinity, int ret)
{
	vcpu_exit(H_AMD_VCPU, ret);
	return 0;
}

SEC("fentry/amd_ir_set_vcpu_affinity")
int BPF_PROG(fe_amd_ir_set_vcpu_affinity, struct irq_data *d, void *info)
{
	vcpu_enter(H_AMD_VCPU, d, info);
	return 0;
}

SEC("fexit/amd_ir_set_vcpu_affinity")
int BPF_PROG(fx_amd_ir_set_vcpu_affinity, struct irq_data *d, void *info, int ret)
{
	vcpu_exit(H_AMD_VCPU, ret);
	return 0;
}

/* ================= irqdomain allocation ================= */

static __always_inline void dom_enter(__u32 hook, __u64 a0, __u64 a1, __u64 a2)
{
	struct it_slot *s = slot_push(hook);

	if (!s)
		return;
	s->a[0] = a0;
	s->a[1] = a1;
	s->a[2] = a2;
}

static __always_inline void domain_name(char *dst, struct irq_domain *d)
{
	const char *n = d ? BPF_CORE_READ(d, name) : NULL;

	if (!n || bpf_probe_read_kernel_str(dst, 32, n) < 0)
		dst[0] = 0;
}

static __always_inline void dev_name_of(char *dst, struct device *dev)
{
	const char *n = dev ? BPF_CORE_READ(dev, kobj.name) : NULL;

	if (!n || bpf_probe_read_kernel_str(dst, 32, n) < 0)
		dst[0] = 0;
}

/* __irq_domain_alloc_irqs(domain, irq_base, nr_irqs, ...) and
 * irq_domain_alloc_irqs_parent(domain, irq_base, nr_irqs, arg). */
static __always_inline void dom_exit(__u32 hook, long ret)
{
	struct it_domain_alloc *e;
	struct irq_domain *d;
	struct it_slot s;

	if (!slot_pop(hook, &s))
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, hook == H_DOM_ALLOC ? IT_EV_DOMAIN_ALLOC : IT_EV_DOMAIN_ALLOC_PARENT,
	       sizeof(*e), 0, bpf_ktime_get_ns());
	d = (void *)s.a[0];
	e->ret = ret;
	e->irq_base = s.a[1];
	e->nr_irqs = s.a[2];
	e->duration = e->h.ts - s.ts;
	domain_name(e->domain, d);
	if (hook == H_DOM_PARENT && d)
		domain_name(e->parent, BPF_CORE_READ(d, parent));
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp___irq_domain_alloc_irqs, void *domain, int irq_base, unsigned int nr_irqs)
{
	dom_enter(H_DOM_ALLOC, (__u64)domain, irq_base, nr_irqs);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr___irq_domain_alloc_irqs, int ret)
{
	dom_exit(H_DOM_ALLOC, ret);
	return 0;
}

/* __irq_domain_alloc_irqs has 7 arguments: BPF trampolines before 6.4 take
 * at most 6, so the loader prefers the kprobe pair there; fentry/fexit are
 * used where the kernel accepts them. */
SEC("fentry/__irq_domain_alloc_irqs")
int BPF_PROG(fe___irq_domain_alloc_irqs, void *domain, int irq_base, unsigned int nr_irqs)
{
	dom_enter(H_DOM_ALLOC, (__u64)domain, irq_base, nr_irqs);
	return 0;
}

SEC("fexit/__irq_domain_alloc_irqs")
int BPF_PROG(fx___irq_domain_alloc_irqs, void *domain, int irq_base, unsigned int nr_irqs, int node,
	     void *arg, bool realloc, void *affinity, int ret)
{
	dom_exit(H_DOM_ALLOC, ret);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_irq_domain_alloc_irqs_parent, void *domain, unsigned int irq_base, unsigned int nr_irqs)
{
	dom_enter(H_DOM_PARENT, (__u64)domain, irq_base, nr_irqs);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_irq_domain_alloc_irqs_parent, int ret)
{
	dom_exit(H_DOM_PARENT, ret);
	return 0;
}

SEC("fentry/irq_domain_alloc_irqs_parent")
int BPF_PROG(fe_irq_domain_alloc_irqs_parent, void *domain, unsigned int irq_base, unsigned int nr_irqs)
{
	dom_enter(H_DOM_PARENT, (__u64)domain, irq_base, nr_irqs);
	return 0;
}

SEC("fexit/irq_domain_alloc_irqs_parent")
int BPF_PROG(fx_irq_domain_alloc_irqs_parent, void *domain, unsigned int irq_base, unsigned int nr_irqs,
	     void *arg, int ret)
{
	dom_exit(H_DOM_PARENT, ret);
	return 0;
}

/*
 * The device's MSI entry point:
 *   6.2+  msi_domain_alloc_irqs_all_locked(dev, domid, nirqs)
 *   6.2+  msi_domain_alloc_irq_at(dev, domid, index, affdesc, icookie) -> struct msi_map
 *   <=6.1 msi_domain_alloc_irqs_descs_locked(domain, dev, nvec)
 * ("genirq/msi: Provide new domain id based interfaces for freeing interrupts"
 * and the 6.2 per-device MSI domain series replaced the 6.1 API.)
 */
static __always_inline void msi_exit(__u32 hook, long ret)
{
	struct it_domain_alloc *e;
	struct it_slot s;

	if (!slot_pop(hook, &s))
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_MSI_DOMAIN_ALLOC, sizeof(*e), 0, bpf_ktime_get_ns());
	e->duration = e->h.ts - s.ts;
	switch (hook) {
	case H_MSI_ALL:
		e->kind = IT_MSI_ALLOC_ALL;
		e->domid = s.a[1];
		e->nr_irqs = s.a[2];
		e->ret = ret;
		dev_name_of(e->domain, (void *)s.a[0]);
		break;
	case H_MSI_DESCS:
		e->kind = IT_MSI_ALLOC_DESCS;
		e->nr_irqs = s.a[2];
		e->ret = ret;
		dev_name_of(e->domain, (void *)s.a[1]);
		domain_name(e->parent, (void *)s.a[0]);
		break;
	default:
		/* struct msi_map { int index; int virq; } returned in rax */
		e->kind = IT_MSI_ALLOC_AT;
		e->domid = s.a[1];
		e->index = (__u32)ret;
		e->nr_irqs = 1;
		e->ret = (int)((__u64)ret >> 32);
		if ((int)ret < 0)
			e->ret = (int)ret;
		dev_name_of(e->domain, (void *)s.a[0]);
		break;
	}
	e->irq_base = e->ret;
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_msi_domain_alloc_irqs_all_locked, void *dev, unsigned int domid, int nirqs)
{
	dom_enter(H_MSI_ALL, (__u64)dev, domid, nirqs);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_msi_domain_alloc_irqs_all_locked, int ret)
{
	msi_exit(H_MSI_ALL, ret);
	return 0;
}

SEC("fentry/msi_domain_alloc_irqs_all_locked")
int BPF_PROG(fe_msi_domain_alloc_irqs_all_locked, void *dev, unsigned int domid, int nirqs)
{
	dom_enter(H_MSI_ALL, (__u64)dev, domid, nirqs);
	return 0;
}

SEC("fexit/msi_domain_alloc_irqs_all_locked")
int BPF_PROG(fx_msi_domain_alloc_irqs_all_locked, void *dev, unsigned int domid, int nirqs, int ret)
{
	msi_exit(H_MSI_ALL, ret);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_msi_domain_alloc_irqs_descs_locked, void *domain, void *dev, int nvec)
{
	dom_enter(H_MSI_DESCS, (__u64)domain, (__u64)dev, nvec);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_msi_domain_alloc_irqs_descs_locked, int ret)
{
	msi_exit(H_MSI_DESCS, ret);
	return 0;
}

SEC("fentry/msi_domain_alloc_irqs_descs_locked")
int BPF_PROG(fe_msi_domain_alloc_irqs_descs_locked, void *domain, void *dev, int nvec)
{
	dom_enter(H_MSI_DESCS, (__u64)domain, (__u64)dev, nvec);
	return 0;
}

SEC("fexit/msi_domain_alloc_irqs_descs_locked")
int BPF_PROG(fx_msi_domain_alloc_irqs_descs_locked, void *domain, void *dev, int nvec, int ret)
{
	msi_exit(H_MSI_DESCS, ret);
	return 0;
}

/* msi_domain_alloc_irq_at returns a struct: kprobe tier only. */
SEC("kprobe")
int BPF_KPROBE(kp_msi_domain_alloc_irq_at, void *dev, unsigned int domid, unsigned int index)
{
	dom_enter(H_MSI_AT, (__u64)dev, domid, index);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_msi_domain_alloc_irq_at, long ret)
{
	msi_exit(H_MSI_AT, ret);
	return 0;
}

/* ================= MSI messages ================= */

static __always_inline struct it_msi_msg *msg_begin(__u8 type, struct msi_msg *msg)
{
	struct it_msi_msg *e = ev_reserve(sizeof(*e));

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, type, sizeof(*e), irq_flags(), bpf_ktime_get_ns());
	if (msg) {
		e->address_lo = BPF_CORE_READ(msg, address_lo);
		e->address_hi = BPF_CORE_READ(msg, address_hi);
		e->data = BPF_CORE_READ(msg, data);
	}
	return e;
}

/* irq_chip_compose_msi_msg(struct irq_data *data, struct msi_msg *msg): the
 * message is filled when it returns. */
static __always_inline void compose_emit(struct irq_data *d, struct msi_msg *msg, int ret)
{
	struct it_msi_msg *e;
	const char *cn;

	if (ret)
		return;
	e = msg_begin(IT_EV_MSI_COMPOSE, msg);
	if (!e)
		return;
	e->irq = BPF_CORE_READ(d, irq);
	e->hwirq = BPF_CORE_READ(d, hwirq);
	cn = BPF_CORE_READ(d, chip, name);
	if (!cn || bpf_probe_read_kernel_str(e->chip, sizeof(e->chip), cn) < 0)
		e->chip[0] = 0;
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_irq_chip_compose_msi_msg, struct irq_data *d, struct msi_msg *msg)
{
	dom_enter(H_COMPOSE, (__u64)d, (__u64)msg, 0);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_irq_chip_compose_msi_msg, int ret)
{
	struct it_slot s;

	if (slot_pop(H_COMPOSE, &s))
		compose_emit((void *)s.a[0], (void *)s.a[1], ret);
	return 0;
}

SEC("fexit/irq_chip_compose_msi_msg")
int BPF_PROG(fx_irq_chip_compose_msi_msg, struct irq_data *d, struct msi_msg *msg, int ret)
{
	compose_emit(d, msg, ret);
	return 0;
}

/* __pci_write_msi_msg(struct msi_desc *entry, struct msi_msg *msg) */
static __always_inline void write_emit(struct msi_desc *desc, struct msi_msg *msg)
{
	struct pci_dev *pdev;
	struct it_msi_msg *e;

	e = msg_begin(IT_EV_MSI_WRITE, msg);
	if (!e)
		return;
	e->irq = BPF_CORE_READ(desc, irq);
	if (bpf_core_field_exists(desc->msi_index)) {
		e->msi_index = BPF_CORE_READ(desc, msi_index);
		e->flags |= IT_MSI_F_INDEX;
		/* the macro's base must be the root of the access chain */
		if (BPF_CORE_READ_BITFIELD_PROBED(desc, pci.msi_attrib.is_msix))
			e->flags |= IT_MSI_F_MSIX;
	} else {
		struct msi_desc___old *o = (void *)desc;

		if (bpf_core_field_exists(o->msi_attrib.entry_nr)) {
			e->msi_index = BPF_CORE_READ(o, msi_attrib.entry_nr);
			e->flags |= IT_MSI_F_INDEX;
			if (BPF_CORE_READ_BITFIELD_PROBED(o, msi_attrib.is_msix))
				e->flags |= IT_MSI_F_MSIX;
		}
	}
	pdev = dev_to_pci(BPF_CORE_READ(desc, dev));
	if (pdev) {
		pci_bdf(pdev, &e->segment, &e->bus, &e->devfn);
		e->flags |= IT_MSI_F_BDF;
	}
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp___pci_write_msi_msg, struct msi_desc *desc, struct msi_msg *msg)
{
	write_emit(desc, msg);
	return 0;
}

SEC("fentry/__pci_write_msi_msg")
int BPF_PROG(fe___pci_write_msi_msg, struct msi_desc *desc, struct msi_msg *msg)
{
	write_emit(desc, msg);
	return 0;
}

/* ================= VFIO ================= */

static __always_inline void vfio_bdf(struct vfio_pci_core_device___it *vdev, __u16 *seg, __u8 *bus, __u8 *devfn)
{
	struct pci_dev *pdev = vdev ? BPF_CORE_READ(vdev, pdev) : NULL;

	*seg = 0;
	*bus = 0;
	*devfn = 0;
	if (pdev)
		pci_bdf(pdev, seg, bus, devfn);
}

/* vfio_pci_set_irqs_ioctl(vdev, flags, index, start, count, data) */
static __always_inline void setirqs_enter(void *vdev, __u32 flags, __u32 index, __u32 start,
					  __u32 count, void *data)
{
	struct it_slot *s;

	if (tgid_filtered())
		return;
	s = slot_push(H_VFIO_SET_IRQS);
	if (!s)
		return;
	s->a[0] = (__u64)vdev;
	s->a[1] = flags;
	s->a[2] = index;
	s->a[3] = start;
	s->a[4] = count;
	/* data is the kernel's copy of the fds (memdup_user) */
	if ((flags & VFIO_IRQ_SET_DATA_EVENTFD) && data && count) {
		__u32 n = count < 8 ? count : 8, sz = n * 4;

		if (sz > sizeof(s->name))
			sz = sizeof(s->name);
		if (!bpf_probe_read_kernel(s->name, sz, data))
			s->a[5] = n;
	}
}

static __always_inline void setirqs_exit(int ret)
{
	struct it_vfio_set_irqs *e;
	struct it_slot s;

	if (!slot_pop(H_VFIO_SET_IRQS, &s))
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_VFIO_SET_IRQS, sizeof(*e), 0, bpf_ktime_get_ns());
	e->ret = ret;
	e->flags = s.a[1];
	e->index = s.a[2];
	e->start = s.a[3];
	e->count = s.a[4];
	e->nfds = s.a[5];
	__builtin_memcpy(e->fds, s.name, sizeof(e->fds));
	vfio_bdf((void *)s.a[0], &e->segment, &e->bus, &e->devfn);
	ev_submit(e, false);
}

SEC("kprobe")
int kp_vfio_pci_set_irqs_ioctl(struct pt_regs *ctx)
{
	/* six arguments: BPF_KPROBE of libbpf 1.1 stops at five */
	setirqs_enter((void *)PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx), PT_REGS_PARM4(ctx),
		      PT_REGS_PARM5(ctx), (void *)IT_PARM6(ctx));
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_vfio_pci_set_irqs_ioctl, int ret)
{
	setirqs_exit(ret);
	return 0;
}

SEC("fentry/vfio_pci_set_irqs_ioctl")
int BPF_PROG(fe_vfio_pci_set_irqs_ioctl, void *vdev, __u32 flags, unsigned int index, unsigned int start,
	     unsigned int count, void *data)
{
	setirqs_enter(vdev, flags, index, start, count, data);
	return 0;
}

SEC("fexit/vfio_pci_set_irqs_ioctl")
int BPF_PROG(fx_vfio_pci_set_irqs_ioctl, void *vdev, __u32 flags, unsigned int index, unsigned int start,
	     unsigned int count, void *data, int ret)
{
	setirqs_exit(ret);
	return 0;
}

/*
 * vfio_msi_set_vector_signal(vdev, vector, fd, msix): tears down the vector's
 * irq and, for fd >= 0, requests it again with vfio_msihandler and registers
 * the irq bypass producer {token = eventfd, irq = host irq}.  The producer
 * (un)registration inside this call tells the host irq and the vector's name.
 */
static __always_inline void vector_enter(void *vdev, __u32 vector, int fd, bool msix)
{
	struct it_slot *s;

	if (tgid_filtered())
		return;
	s = slot_push(H_VFIO_VECTOR);
	if (!s)
		return;
	s->a[0] = (__u64)vdev;
	s->a[1] = vector;
	s->a[2] = (__u64)(__s64)fd;
	s->a[3] = msix;
}

static __always_inline void vector_exit(int ret)
{
	struct it_vfio_vector *e;
	struct it_slot s;

	if (!slot_pop(H_VFIO_VECTOR, &s))
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_VFIO_VECTOR, sizeof(*e), 0, bpf_ktime_get_ns());
	e->ret = ret;
	e->vector = s.a[1];
	e->fd = (int)s.a[2];
	e->msix = s.a[3];
	e->host_irq = s.host_irq;
	__builtin_memcpy(e->name, s.name, sizeof(e->name));
	vfio_bdf((void *)s.a[0], &e->segment, &e->bus, &e->devfn);
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_vfio_msi_set_vector_signal, void *vdev, unsigned int vector, int fd, bool msix)
{
	vector_enter(vdev, vector, fd, msix);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_vfio_msi_set_vector_signal, int ret)
{
	vector_exit(ret);
	return 0;
}

SEC("fentry/vfio_msi_set_vector_signal")
int BPF_PROG(fe_vfio_msi_set_vector_signal, void *vdev, unsigned int vector, int fd, bool msix)
{
	vector_enter(vdev, vector, fd, msix);
	return 0;
}

SEC("fexit/vfio_msi_set_vector_signal")
int BPF_PROG(fx_vfio_msi_set_vector_signal, void *vdev, unsigned int vector, int fd, bool msix, int ret)
{
	vector_exit(ret);
	return 0;
}

/* vfio_msihandler(int irq, void *arg): per interrupt, counted per irq in the
 * kernel; streamed only when recording everything. */
static __always_inline void msihandler(int irq)
{
	__u64 now = bpf_ktime_get_ns();
	struct it_vfio_msi *e;

	agg_count(IT_EV_VFIO_MSI, 0, (__u32)irq, 0, now);
	if (!cfg_full)
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	ev_hdr(&e->h, IT_EV_VFIO_MSI, sizeof(*e), IT_F_DATAPLANE | IT_F_IN_HARDIRQ, now);
	e->irq = irq;
	e->pad = 0;
	ev_submit(e, true);
}

SEC("kprobe")
int BPF_KPROBE(kp_vfio_msihandler, int irq)
{
	msihandler(irq);
	return 0;
}

SEC("fentry/vfio_msihandler")
int BPF_PROG(fe_vfio_msihandler, int irq)
{
	msihandler(irq);
	return 0;
}

/* irq_bypass_register_producer(producer) (≤ 6.16) or
 * (producer, eventfd, irq) (6.17, "KVM: Pass new routing entries and irqfd
 * when updating IRTEs" series); irq_bypass_unregister_producer(producer). */
static __always_inline void bypass_note_vfio(struct irq_bypass_producer___it *p, __u32 irq)
{
	struct it_slot *v = slot_top(H_VFIO_VECTOR);
	struct vfio_pci_irq_ctx___it *ctx;
	const char *name = NULL;

	if (!v)
		return;
	v->host_irq = irq;
	if (!bpf_core_type_exists(struct vfio_pci_irq_ctx___it))
		return;
	ctx = (void *)p - bpf_core_field_offset(struct vfio_pci_irq_ctx___it, producer);
	name = BPF_CORE_READ(ctx, name);
	if (!name || bpf_probe_read_kernel_str(v->name, sizeof(v->name), name) < 0)
		v->name[0] = 0;
}

static __always_inline void bypass_emit(__u8 type, __u8 op, __u32 irq, int ret, __u32 gsi)
{
	struct it_bypass *e = ev_reserve(sizeof(*e));

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, type, sizeof(*e), 0, bpf_ktime_get_ns());
	e->irq = irq;
	e->ret = ret;
	e->op = op;
	e->gsi = gsi;
	ev_submit(e, false);
}

static __always_inline void bypass_reg_enter(struct irq_bypass_producer___it *p, int irq3)
{
	__u32 irq = cfg_bypass_reg3 ? (__u32)irq3 : (__u32)BPF_CORE_READ(p, irq);
	struct it_slot *s = slot_push(H_BYPASS_REG);

	if (s)
		s->a[0] = irq;
	bypass_note_vfio(p, irq);
}

static __always_inline void bypass_reg_exit(int ret)
{
	struct it_slot s;

	if (slot_pop(H_BYPASS_REG, &s))
		bypass_emit(IT_EV_BYPASS_PRODUCER, IT_BYPASS_REGISTER, s.a[0], ret, 0);
}

SEC("kprobe")
int BPF_KPROBE(kp_irq_bypass_register_producer, void *p, void *eventfd, int irq)
{
	bypass_reg_enter(p, irq);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_irq_bypass_register_producer, int ret)
{
	bypass_reg_exit(ret);
	return 0;
}

/* The trampoline programs read arguments and the return value with
 * bpf_get_func_arg/bpf_get_func_ret (5.17+), which know the function's
 * arity: one program serves both signatures. */
SEC("fentry/irq_bypass_register_producer")
int BPF_PROG(fe_irq_bypass_register_producer, void *p)
{
	__u64 irq = 0;

	if (cfg_bypass_reg3)
		bpf_get_func_arg(ctx, 2, &irq);
	bypass_reg_enter(p, (int)irq);
	return 0;
}

SEC("fexit/irq_bypass_register_producer")
int BPF_PROG(fx_irq_bypass_register_producer, void *p)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	bypass_reg_exit((int)ret);
	return 0;
}

static __always_inline void bypass_unreg(struct irq_bypass_producer___it *p)
{
	__u32 irq = BPF_CORE_READ(p, irq);

	bypass_note_vfio(p, irq);
	bypass_emit(IT_EV_BYPASS_PRODUCER, IT_BYPASS_UNREGISTER, irq, 0, 0);
}

SEC("kprobe")
int BPF_KPROBE(kp_irq_bypass_unregister_producer, void *p)
{
	bypass_unreg(p);
	return 0;
}

SEC("fentry/irq_bypass_unregister_producer")
int BPF_PROG(fe_irq_bypass_unregister_producer, void *p)
{
	bypass_unreg(p);
	return 0;
}

/* ================= KVM ================= */

static __always_inline void route_fill(struct it_kvm_route *e, struct kvm_kernel_irq_routing_entry___it *r)
{
	e->gsi = BPF_CORE_READ(r, gsi);
	e->type = BPF_CORE_READ(r, type);
	e->address_lo = BPF_CORE_READ(r, msi.address_lo);
	e->address_hi = BPF_CORE_READ(r, msi.address_hi);
	e->data = BPF_CORE_READ(r, msi.data);
	e->devid = BPF_CORE_READ(r, msi.devid);
}

/* pid of a process-context data-plane event, 0 in a host irq handler;
 * false when the --pid filter drops it. */
static __always_inline bool dp_ctx(__u32 *pid, __u32 *host_irq, __u8 *flags)
{
	struct it_cur_irq *c = cur_irq_get();

	if (c && c->active) {
		*pid = 0;
		*host_irq = c->irq;
		*flags = IT_F_IN_HARDIRQ;
		return true;
	}
	if (tgid_filtered())
		return false;
	*pid = bpf_get_current_pid_tgid() >> 32;
	*host_irq = 0;
	*flags = 0;
	return true;
}

static __always_inline void route_event(__u8 type, struct kvm_kernel_irq_routing_entry___it *r, int ret,
					__u64 key, __u32 producer_irq, bool control)
{
	__u64 now = bpf_ktime_get_ns();
	struct it_kvm_route *e;
	__u32 pid, hirq;
	__u8 fl;

	if (!dp_ctx(&pid, &hirq, &fl))
		return;
	if (!control) {
		/* kvm_set_msi also gets KVM_SIGNAL_MSI's stack entry: only .msi is set */
		__u32 gsi = type == IT_EV_KVM_SET_MSI_FN ? 0 : BPF_CORE_READ(r, gsi);
		__u64 msi = ((__u64)BPF_CORE_READ(r, msi.address_lo) << 32) | BPF_CORE_READ(r, msi.data);

		agg_count(type, pid, gsi, msi, now);
		if (!cfg_full)
			return;
	}
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, type, sizeof(*e), fl | (control ? 0 : IT_F_DATAPLANE), now);
	route_fill(e, r);
	if (type == IT_EV_KVM_SET_MSI_FN) {
		e->gsi = 0;
		e->type = 2;	/* KVM_IRQ_ROUTING_MSI */
	}
	e->host_irq = producer_irq ? producer_irq : hirq;
	e->ret = ret;
	e->key = key;
	ev_submit(e, !control);
}

/* irqfd_wakeup(wait_queue_entry_t *wait, unsigned mode, int sync, void *key):
 * the irqfd's eventfd was signalled (EPOLLIN) or released (EPOLLHUP). */
static __always_inline void h_irqfd_wakeup(void *wait, __u64 key)
{
	struct kvm_kernel_irqfd___it *irqfd;
	struct irq_bypass_producer___it *p;
	__u32 pirq = 0;

	if (!(key & (EPOLLIN_BIT | EPOLLHUP_BIT)))
		return;
	irqfd = wait - bpf_core_field_offset(struct kvm_kernel_irqfd___it, wait);
	p = BPF_CORE_READ(irqfd, producer);
	if (p)
		pirq = BPF_CORE_READ(p, irq);
	route_event(IT_EV_KVM_IRQFD_WAKEUP, __builtin_preserve_access_index(&irqfd->irq_entry), 0, key, pirq,
		    key & EPOLLHUP_BIT);
}

SEC("kprobe")
int BPF_KPROBE(kp_irqfd_wakeup, void *wait, unsigned int mode, int sync, void *key)
{
	h_irqfd_wakeup(wait, (__u64)key);
	return 0;
}

SEC("fentry/irqfd_wakeup")
int BPF_PROG(fe_irqfd_wakeup, void *wait, unsigned int mode, int sync, void *key)
{
	h_irqfd_wakeup(wait, (__u64)key);
	return 0;
}

/* kvm_set_msi(e, kvm, irq_source_id, level, line_status) */
SEC("kprobe")
int BPF_KPROBE(kp_kvm_set_msi, void *e)
{
	route_event(IT_EV_KVM_SET_MSI_FN, e, 0, 0, 0, false);
	return 0;
}

SEC("fentry/kvm_set_msi")
int BPF_PROG(fe_kvm_set_msi, void *e)
{
	route_event(IT_EV_KVM_SET_MSI_FN, e, 0, 0, 0, false);
	return 0;
}

/* kvm_arch_set_irq_inatomic(e, kvm, irq_source_id, level, line_status):
 * the irqfd fast path; -EWOULDBLOCK sends the injection to a work item. */
SEC("kprobe")
int BPF_KPROBE(kp_kvm_arch_set_irq_inatomic, void *e)
{
	dom_enter(H_KVM_INATOMIC, (__u64)e, 0, 0);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_kvm_arch_set_irq_inatomic, int ret)
{
	struct it_slot s;

	if (slot_pop(H_KVM_INATOMIC, &s))
		route_event(IT_EV_KVM_SET_IRQ_INATOMIC, (void *)s.a[0], ret, 0, 0, false);
	return 0;
}

SEC("fexit/kvm_arch_set_irq_inatomic")
int BPF_PROG(fx_kvm_arch_set_irq_inatomic, void *e, void *kvm, int irq_source_id, int level, bool line_status,
	     int ret)
{
	route_event(IT_EV_KVM_SET_IRQ_INATOMIC, e, ret, 0, 0, false);
	return 0;
}

/* kvm_arch_irq_bypass_{add,del}_producer(cons, prod): the irqfd (consumer)
 * meets the VFIO vector (producer). */
static __always_inline __u32 consumer_gsi(void *cons)
{
	struct kvm_kernel_irqfd___it *irqfd;

	irqfd = cons - bpf_core_field_offset(struct kvm_kernel_irqfd___it, consumer);
	return BPF_CORE_READ(irqfd, gsi);
}

static __always_inline void kvm_bypass_enter(void *cons, struct irq_bypass_producer___it *prod)
{
	struct it_slot *s = slot_push(H_KVM_ADD);

	if (!s)
		return;
	s->a[0] = BPF_CORE_READ(prod, irq);
	s->a[1] = consumer_gsi(cons);
}

static __always_inline void kvm_bypass_exit(int ret)
{
	struct it_slot s;

	if (slot_pop(H_KVM_ADD, &s))
		bypass_emit(IT_EV_KVM_BYPASS, IT_BYPASS_ADD, s.a[0], ret, s.a[1]);
}

SEC("kprobe")
int BPF_KPROBE(kp_kvm_arch_irq_bypass_add_producer, void *cons, void *prod)
{
	kvm_bypass_enter(cons, prod);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_kvm_arch_irq_bypass_add_producer, int ret)
{
	kvm_bypass_exit(ret);
	return 0;
}

SEC("fentry/kvm_arch_irq_bypass_add_producer")
int BPF_PROG(fe_kvm_arch_irq_bypass_add_producer, void *cons, void *prod)
{
	kvm_bypass_enter(cons, prod);
	return 0;
}

SEC("fexit/kvm_arch_irq_bypass_add_producer")
int BPF_PROG(fx_kvm_arch_irq_bypass_add_producer, void *cons, void *prod, int ret)
{
	kvm_bypass_exit(ret);
	return 0;
}

static __always_inline void kvm_bypass_del(void *cons, struct irq_bypass_producer___it *prod)
{
	bypass_emit(IT_EV_KVM_BYPASS, IT_BYPASS_DEL, BPF_CORE_READ(prod, irq), 0, consumer_gsi(cons));
}

SEC("kprobe")
int BPF_KPROBE(kp_kvm_arch_irq_bypass_del_producer, void *cons, void *prod)
{
	kvm_bypass_del(cons, prod);
	return 0;
}

SEC("fentry/kvm_arch_irq_bypass_del_producer")
int BPF_PROG(fe_kvm_arch_irq_bypass_del_producer, void *cons, void *prod)
{
	kvm_bypass_del(cons, prod);
	return 0;
}

/*
 * Vendor posted-interrupt IRTE update: vmx_pi_update_irte / avic_pi_update_irte
 * (kvm, host_irq, guest_irq, bool set) up to 6.16; from 6.17 ("KVM: x86: Pass
 * the irqfd and the new routing entry to the PI update") they take
 * (irqfd, kvm, host_irq, guest_irq, vcpu, vector) and set == (vcpu != NULL).
 * a0..a5 are the raw arguments; the loader says which layout applies.
 */
static __always_inline void pi_enter(__u8 vendor, __u64 a0, __u64 a1, __u64 a2, __u64 a3, __u64 a4)
{
	struct it_slot *s = slot_push(H_PI_UPDATE);

	if (!s)
		return;
	if (cfg_pi_irqfd_abi) {
		s->a[0] = a2;
		s->a[1] = a3;
		s->a[2] = a4 != 0;
	} else {
		s->a[0] = a1;
		s->a[1] = a2;
		s->a[2] = a3 & 1;
	}
	s->a[3] = vendor;
}

static __always_inline void pi_exit(int ret)
{
	struct it_kvm_pi_update *e;
	struct it_slot s;

	if (!slot_pop(H_PI_UPDATE, &s))
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_KVM_PI_UPDATE, sizeof(*e), 0, bpf_ktime_get_ns());
	e->host_irq = s.a[0];
	e->guest_irq = s.a[1];
	e->set = s.a[2];
	e->vendor = s.a[3];
	e->ret = ret;
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_vmx_pi_update_irte, __u64 a0, __u64 a1, __u64 a2, __u64 a3, __u64 a4)
{
	pi_enter(IT_IRTE_INTEL, a0, a1, a2, a3, a4);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_avic_pi_update_irte, __u64 a0, __u64 a1, __u64 a2, __u64 a3, __u64 a4)
{
	pi_enter(IT_IRTE_AMD_GA, a0, a1, a2, a3, a4);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_pi_update_irte, int ret)
{
	pi_exit(ret);
	return 0;
}

static __always_inline void pi_fentry(void *ctx, __u8 vendor)
{
	__u64 a[5] = {};

	for (int i = 0; i < 5; i++)
		bpf_get_func_arg(ctx, i, &a[i]);
	pi_enter(vendor, a[0], a[1], a[2], a[3], a[4]);
}

static __always_inline void pi_fexit(void *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	pi_exit((int)ret);
}

SEC("fentry/vmx_pi_update_irte")
int BPF_PROG(fe_vmx_pi_update_irte)
{
	pi_fentry(ctx, IT_IRTE_INTEL);
	return 0;
}

SEC("fexit/vmx_pi_update_irte")
int BPF_PROG(fx_vmx_pi_update_irte)
{
	pi_fexit(ctx);
	return 0;
}

SEC("fentry/avic_pi_update_irte")
int BPF_PROG(fe_avic_pi_update_irte)
{
	pi_fentry(ctx, IT_IRTE_AMD_GA);
	return 0;
}

SEC("fexit/avic_pi_update_irte")
int BPF_PROG(fx_avic_pi_update_irte)
{
	pi_fexit(ctx);
	return 0;
}

/*
 * kvm_emulate_hypercall(vcpu): nr in rax, arguments in rbx, rcx, rdx, rsi
 * (kvm_vcpu_arch.regs[] order: rax 0, rcx 1, rdx 2, rbx 3, rsp 4, rbp 5,
 * rsi 6).  Counted per (pid, nr, ret) in the kernel; streamed with --full.
 */
static __always_inline void hc_enter(struct kvm_vcpu___it *vcpu)
{
	struct it_slot *s;

	if (tgid_filtered())
		return;
	s = slot_push(H_HYPERCALL);
	if (!s)
		return;
	s->a[0] = BPF_CORE_READ(vcpu, arch.regs[0]);
	s->a[1] = BPF_CORE_READ(vcpu, arch.regs[3]);
	s->a[2] = BPF_CORE_READ(vcpu, arch.regs[1]);
	s->a[3] = BPF_CORE_READ(vcpu, arch.regs[2]);
	s->a[4] = BPF_CORE_READ(vcpu, arch.regs[6]);
	s->a[5] = (__u64)vcpu;
}

static __always_inline void hc_exit(int ret)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct it_kvm_hc *e;
	struct it_slot s;

	struct kvm_vcpu___it *vcpu;
	__s64 result;

	if (!slot_pop(H_HYPERCALL, &s))
		return;
	/* the hypercall's own result is what KVM wrote back into rax */
	vcpu = (void *)s.a[5];
	result = (__s64)BPF_CORE_READ(vcpu, arch.regs[0]);
	agg_count(IT_EV_KVM_HYPERCALL_FN, pid, s.a[0], (__u64)result, s.ts);
	if (!cfg_full)
		return;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return;
	ev_hdr(&e->h, IT_EV_KVM_HYPERCALL_FN, sizeof(*e), IT_F_DATAPLANE, s.ts);
	e->nr = s.a[0];
	e->a[0] = s.a[1];
	e->a[1] = s.a[2];
	e->a[2] = s.a[3];
	e->a[3] = s.a[4];
	e->ret = ret;
	e->result = result;
	ev_submit(e, true);
}

SEC("kprobe")
int BPF_KPROBE(kp_kvm_emulate_hypercall, void *vcpu)
{
	hc_enter(vcpu);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_kvm_emulate_hypercall, int ret)
{
	hc_exit(ret);
	return 0;
}

SEC("fentry/kvm_emulate_hypercall")
int BPF_PROG(fe_kvm_emulate_hypercall, void *vcpu)
{
	hc_enter(vcpu);
	return 0;
}

SEC("fexit/kvm_emulate_hypercall")
int BPF_PROG(fx_kvm_emulate_hypercall, void *vcpu, int ret)
{
	hc_exit(ret);
	return 0;
}

/* ================= start-up remapping table read ================= */

/*
 * Run once on demand (BPF_PROG_TEST_RUN), never attached.  The walk is
 * kept flat for the verifier (6.1's gives up on bpf_loop calls inside
 * unrolled list walks): a short bounded loop collects the remapping units
 * (Intel) or PCI segments (AMD) into an array map, then one bpf_loop walks
 * unit x entry (Intel) or segment x requester id, and another table x entry
 * (AMD).
 */
#define TBL_UNITS 16

struct tbl_unit {
	__u64 base;		/* Intel: IRTE table; AMD: pci segment */
	__u64 bitmap;		/* Intel: allocation bitmap */
	__u16 unit;
	__u16 segment;
	__u16 last_bdf;		/* AMD */
	__u8 flags;
	__u8 pad;
	char name[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TBL_UNITS);
	__type(key, __u32);
	__type(value, struct tbl_unit);
} tbl_units SEC(".maps");

struct tbl_ctx {
	__u64 word;		/* Intel: current bitmap word */
	__u32 entries;
	__u32 errors;
	__u32 nunits;
	__u32 ntables;		/* AMD: tables collected */
	__u32 stride;		/* AMD: entries per table in the flat walk */
	__u32 run;		/* generation of this read (dedup of shared tables) */
	__u8 vendor;
	__u8 ga;		/* AMD: 128-bit entries */
	__u8 pad[6];
	struct tbl_unit *u;	/* unit of the current stretch */
};

static __always_inline void snap_emit(struct tbl_ctx *c, struct tbl_unit *u, __u32 index, __u16 devid,
				      __u16 unit, __u16 segment, __u8 flags, __u64 lo, __u64 hi)
{
	struct it_irte *e = ev_reserve(sizeof(*e));

	if (!e) {
		c->errors++;
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_IRTE_SNAP, sizeof(*e), 0, bpf_ktime_get_ns());
	e->vendor = c->vendor;
	e->flags = flags;
	e->unit = unit;
	e->segment = segment;
	e->devid = devid;
	e->index = index;
	e->new_lo = lo;
	e->new_hi = hi;
	__builtin_memcpy(e->iommu, u->name, sizeof(e->iommu));
	ev_submit(e, false);
	c->entries++;
}

/* i = unit << 16 | entry */
static long intel_entry_cb(__u32 i, struct tbl_ctx *c)
{
	__u32 ui = i >> 16, ei = i & 0xffff;
	struct tbl_unit *u;
	__u64 v[2];

	if (ui >= c->nunits)
		return 1;
	if (ei == 0) {
		c->u = bpf_map_lookup_elem(&tbl_units, &ui);
		c->word = 0;
	}
	u = c->u;
	if (!u)
		return 0;
	if ((ei & 63) == 0 && bpf_probe_read_kernel(&c->word, sizeof(c->word), (void *)u->bitmap + (ei >> 6) * 8)) {
		c->word = 0;
		c->errors++;
	}
	if (!(c->word & (1ULL << (ei & 63))))
		return 0;
	if (bpf_probe_read_kernel(v, sizeof(v), (void *)u->base + (__u64)ei * 16)) {
		c->errors++;
		return 0;
	}
	if (v[0] & 1)	/* present */
		snap_emit(c, u, ei, 0, u->unit, u->segment, u->flags, v[0], v[1]);
	return 0;
}

struct amd_tbl {
	__u64 table;
	__u16 devid;
	__u16 segment;
	__u16 unit;
	__u16 unit_known;
	__u32 nirq;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct amd_tbl);
} amd_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} amd_seen SEC(".maps");

/* i = segment << 16 | requester id: collect each device's table once */
static long amd_devid_cb(__u32 i, struct tbl_ctx *c)
{
	__u32 si = i >> 16, devid = i & 0xffff, *seen, slot;
	struct amd_iommu___it **rl, *iommu = NULL;
	struct irq_remap_table___it **itl, *tbl = NULL;
	struct amd_iommu_pci_seg___it *seg;
	struct amd_tbl t = {};
	struct tbl_unit *u;
	__u64 key;

	if (si >= c->nunits)
		return 1;
	if (devid == 0)
		c->u = bpf_map_lookup_elem(&tbl_units, &si);
	u = c->u;
	if (!u || devid > u->last_bdf)
		return 0;
	seg = (void *)u->base;
	itl = BPF_CORE_READ(seg, irq_lookup_table);
	if (!itl || bpf_probe_read_kernel(&tbl, sizeof(tbl), itl + devid) || !tbl)
		return 0;
	key = (__u64)tbl;
	seen = bpf_map_lookup_elem(&amd_seen, &key);
	if (seen && *seen == c->run)
		return 0;
	bpf_map_update_elem(&amd_seen, &key, &c->run, BPF_ANY);
	if (c->ntables >= 4096)
		return 1;
	t.table = (__u64)BPF_CORE_READ(tbl, table);
	t.devid = devid;
	t.segment = u->segment;
	t.nirq = AMD_IRQS_PER_TABLE;
	rl = BPF_CORE_READ(seg, rlookup_table);
	if (rl)
		bpf_probe_read_kernel(&iommu, sizeof(iommu), rl + devid);
	if (iommu) {
		t.unit = BPF_CORE_READ(iommu, index);
		t.unit_known = 1;
		if (bpf_core_field_exists(iommu->max_irqs)) {
			__u32 m = BPF_CORE_READ(iommu, max_irqs);

			if (m && m <= 2048)
				t.nirq = m;
		}
	}
	if (t.nirq > c->stride)
		c->stride = t.nirq;
	slot = c->ntables;
	if (bpf_map_update_elem(&amd_tables, &slot, &t, BPF_ANY)) {
		c->errors++;
		return 0;
	}
	c->ntables++;
	return 0;
}

/* Flat walk over the collected tables: i = table * stride + entry. */
static long amd_entry_cb(__u32 i, struct tbl_ctx *c)
{
	__u32 ti, ei, zero = 0;
	struct tbl_unit *u;
	struct amd_tbl *t;
	__u64 v[2] = {};

	if (!c->stride)
		return 1;
	ti = i / c->stride;
	ei = i % c->stride;
	t = bpf_map_lookup_elem(&amd_tables, &ti);
	if (!t || !t->table || ei >= t->nirq)
		return 0;
	if (c->ga) {
		if (bpf_probe_read_kernel(v, 16, (void *)t->table + (__u64)ei * 16)) {
			c->errors++;
			return 0;
		}
	} else {
		__u32 w;

		if (bpf_probe_read_kernel(&w, 4, (void *)t->table + (__u64)ei * 4)) {
			c->errors++;
			return 0;
		}
		v[0] = w;
	}
	if (!(v[0] & 1))	/* valid */
		return 0;
	u = bpf_map_lookup_elem(&tbl_units, &zero);	/* names are empty for AMD */
	if (u)
		snap_emit(c, u, ei, t->devid, t->unit, t->segment, t->unit_known ? IT_IRTE_F_UNIT_KNOWN : 0, v[0], v[1]);
	return 0;
}

static __always_inline void table_done(__u8 vendor, __u32 units, __u32 tables, struct tbl_ctx *c, __u32 trunc)
{
	struct it_irte_table *e = ev_reserve(sizeof(*e));

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, IT_EV_IRTE_TABLE, sizeof(*e), 0, bpf_ktime_get_ns());
	e->vendor = vendor;
	e->units = units;
	e->tables = tables;
	e->entries = c->entries;
	e->errors = c->errors;
	e->truncated = trunc;
	ev_submit(e, false);
}

/* Walking a kernel list of at most TBL_UNITS nodes into tbl_units, one
 * node per bpf_loop step (an unrolled walk is too much for 6.1's verifier). */
struct list_walk {
	const void *head;
	void *pos;
	__u32 loff;
	__u32 n;
	__u8 flags;		/* Intel: IT_IRTE_F_* common to every unit */
	__u8 longer;		/* list longer than TBL_UNITS */
};

static long intel_unit_cb(__u32 i, struct list_walk *w)
{
	struct dmar_drhd_unit___it *drhd;
	struct intel_iommu___it *iommu;
	struct ir_table___it *irt;
	struct tbl_unit u = {};
	__u32 k = w->n;
	void *pos = w->pos;

	if (!pos || pos == w->head)
		return 1;
	if (k >= TBL_UNITS) {
		w->longer = 1;
		return 1;
	}
	drhd = pos - w->loff;
	iommu = BPF_CORE_READ(drhd, iommu);
	irt = iommu ? BPF_CORE_READ(iommu, ir_table) : NULL;
	if (irt) {
		u.base = (__u64)BPF_CORE_READ(irt, base);
		u.bitmap = (__u64)BPF_CORE_READ(irt, bitmap);
		u.unit = BPF_CORE_READ(iommu, seq_id);
		u.segment = BPF_CORE_READ(iommu, segment);
		u.flags = IT_IRTE_F_UNIT_KNOWN | w->flags;
		bpf_probe_read_kernel_str(u.name, sizeof(u.name), __builtin_preserve_access_index(&iommu->name));
		if (u.base && u.bitmap && !bpf_map_update_elem(&tbl_units, &k, &u, BPF_ANY))
			w->n++;
	}
	if (bpf_probe_read_kernel(&w->pos, sizeof(w->pos), pos))
		return 1;
	return 0;
}

static long amd_seg_cb(__u32 i, struct list_walk *w)
{
	struct amd_iommu_pci_seg___it *seg;
	struct tbl_unit u = {};
	__u32 k = w->n;
	void *pos = w->pos;

	if (!pos || pos == w->head)
		return 1;
	if (k >= TBL_UNITS) {
		w->longer = 1;
		return 1;
	}
	seg = pos - w->loff;
	u.base = (__u64)seg;
	u.segment = BPF_CORE_READ(seg, id);
	u.last_bdf = BPF_CORE_READ(seg, last_bdf);
	if (!bpf_map_update_elem(&tbl_units, &k, &u, BPF_ANY))
		w->n++;
	if (bpf_probe_read_kernel(&w->pos, sizeof(w->pos), pos))
		return 1;
	return 0;
}

__u32 table_run = 0;

/*
 * Copies every present IRTE of every remapping unit into the stream, so the
 * routes set up before irqtrail started are known.  Returns the number of
 * entries emitted.
 */
SEC("raw_tp")
int irte_table_read(void *ctx)
{
	struct list_walk w = {};
	struct tbl_ctx c = {};
	__u32 trunc, total = 0;
	bool found = false;
	int eim = 0;

	c.run = ++table_run;

	/* Intel: dmar_drhd_units -> drhd->iommu->ir_table {base, bitmap} */
	w.head = &dmar_drhd_units;
	w.loff = bpf_core_field_offset(struct dmar_drhd_unit___it, list);
	if (&eim_mode && !bpf_probe_read_kernel(&eim, sizeof(eim), (void *)&eim_mode))
		w.flags = IT_IRTE_F_MODE_KNOWN | (eim ? IT_IRTE_F_X2APIC : 0);
	if (w.head && !bpf_probe_read_kernel(&w.pos, sizeof(w.pos), w.head))
		bpf_loop(TBL_UNITS + 1, intel_unit_cb, &w, 0);
	c.nunits = w.n;
	if (c.nunits) {
		c.vendor = IT_IRTE_INTEL;
		bpf_loop(c.nunits << 16, intel_entry_cb, &c, 0);
		table_done(IT_IRTE_INTEL, c.nunits, c.nunits, &c, w.longer);
		found = true;
		total += c.entries;
	}

	/* AMD: amd_iommu_pci_seg_list -> seg->irq_lookup_table[devid]->table */
	__builtin_memset(&w, 0, sizeof(w));
	w.head = &amd_iommu_pci_seg_list;
	w.loff = bpf_core_field_offset(struct amd_iommu_pci_seg___it, list);
	if (w.head && !bpf_probe_read_kernel(&w.pos, sizeof(w.pos), w.head))
		bpf_loop(TBL_UNITS + 1, amd_seg_cb, &w, 0);
	c.nunits = w.n;
	trunc = w.longer;
	if (c.nunits) {
		int gir = 1;

		/* AMD_IOMMU_GUEST_IR_LEGACY (0) uses 32-bit entries */
		if (&amd_iommu_guest_ir)
			bpf_probe_read_kernel(&gir, sizeof(gir), (void *)&amd_iommu_guest_ir);
		c.ga = gir != 0;
		c.vendor = c.ga ? IT_IRTE_AMD_GA : IT_IRTE_AMD_32;
		c.entries = 0;
		c.errors = 0;
		c.u = NULL;
		bpf_loop(c.nunits << 16, amd_devid_cb, &c, 0);
		if (c.ntables >= 4096)
			trunc++;
		if (c.stride && c.ntables) {
			__u64 nl = (__u64)c.ntables * c.stride;

			if (nl > (1u << 23)) {	/* BPF_MAX_LOOPS */
				nl = 1u << 23;
				trunc++;
			}
			bpf_loop(nl, amd_entry_cb, &c, 0);
		}
		table_done(c.vendor, c.nunits, c.ntables, &c, trunc);
		found = true;
		total += c.entries;
	}
	if (!found) {
		c.entries = 0;
		c.errors = 0;
		table_done(0, 0, 0, &c, 0);
	}
	return total;
}

/* ================= arm64: GICv3 ITS and the MSI doorbell =================
 *
 * A device's MSI on arm64 is a write of the event id to the ITS doorbell
 * (GITS_TRANSLATER); the ITS translates (device id, event id) into an LPI
 * routed to a collection (a redistributor, one per CPU).  Behind an SMMU
 * the doorbell page is mapped into the device's IOVA space
 * (iommu_dma_prepare_msi) and the message carries that IOVA
 * (iommu_dma_compose_msi_msg).  Types of the ITS driver are private to it
 * (and share names with KVM's vgic ones): the ___arm flavors below match
 * the driver's by field names.
 */

#define H_ITS_ACTIVATE	40
#define H_ITS_COMPOSE	41
#define H_DB_PREPARE	42
#define H_ITS_DEVICE	43

/* a PCI device's bus_type is named "pci" */
static __always_inline bool is_pci_bus(struct device *dev)
{
	const char *name = BPF_CORE_READ(dev, bus, name);
	char b[4] = {};

	return name && bpf_probe_read_kernel_str(b, sizeof(b), name) == 4 && b[0] == 'p' && b[1] == 'c' &&
	       b[2] == 'i';
}

struct its_collection___arm {
	__u64 target_address;
	__u16 col_id;
} __preserve;

struct its_node___arm {
	__u64 phys_base;
	struct its_collection___arm *collections;
} __preserve;

struct event_lpi_map___arm {
	__u16 *col_map;
	unsigned long lpi_base;
	int nr_lpis;
} __preserve;

struct its_device___arm {
	struct its_node___arm *its;
	struct event_lpi_map___arm event_map;
	__u32 device_id;
} __preserve;

struct its_cmd_desc___arm {
	union {
		struct {
			struct its_device___arm *dev;
			__u32 phys_id;
			__u32 event_id;
		} its_mapti_cmd;
	};
} __preserve;

struct msi_desc___db {
	unsigned int irq;
	struct device *dev;
	__u64 iommu_msi_iova : 58;
	__u64 iommu_msi_shift : 6;
} __preserve;

struct iommu_group___arm {
	struct iommu_domain *domain;
} __preserve;

static __always_inline struct it_its *its_begin(__u8 type)
{
	struct it_its *e;

	if (tgid_filtered())
		return NULL;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, type, sizeof(*e), irq_flags(), bpf_ktime_get_ns());
	e->cpu = ~0u;
	return e;
}

/* device-wide fields; the event's collection when event < nr_lpis */
static __always_inline void its_dev_fields(struct it_its *e, struct its_device___arm *dev, __u32 event, bool per_event)
{
	struct its_node___arm *its;
	__u16 *cm, col = 0;

	if (!dev)
		return;
	its = BPF_CORE_READ(dev, its);
	e->device_id = BPF_CORE_READ(dev, device_id);
	e->lpi_base = BPF_CORE_READ(dev, event_map.lpi_base);
	e->nr_lpis = BPF_CORE_READ(dev, event_map.nr_lpis);
	e->its_phys = its ? BPF_CORE_READ(its, phys_base) : 0;
	if (!per_event || event >= e->nr_lpis)
		return;
	cm = BPF_CORE_READ(dev, event_map.col_map);
	if (cm && !bpf_probe_read_kernel(&col, sizeof(col), cm + event)) {
		struct its_collection___arm *c = its ? BPF_CORE_READ(its, collections) : NULL;

		e->cpu = col;
		if (c) {
			e->target = BPF_CORE_READ(c + col, target_address);
			e->col_id = BPF_CORE_READ(c + col, col_id);
		}
	}
}

/* its_create_device(its, dev_id, nvecs, alloc_lpis) -> its_device * */
static __always_inline void its_device_emit(struct its_device___arm *dev)
{
	struct it_its *e;

	if (!dev)
		return;
	e = its_begin(IT_EV_ITS_DEVICE);
	if (!e)
		return;
	its_dev_fields(e, dev, 0, false);
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_its_create_device, void *its, __u32 dev_id)
{
	struct it_slot *s = slot_push(H_ITS_DEVICE);

	if (s)
		s->a[0] = dev_id;
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_its_create_device, void *ret)
{
	struct it_slot s;

	/* the entry keeps the kprobe pair balanced; the device carries its id */
	if (slot_pop(H_ITS_DEVICE, &s))
		its_device_emit(ret);
	return 0;
}

SEC("fexit/its_create_device")
int BPF_PROG(fx_its_create_device, void *its, __u32 dev_id, int nvecs, bool alloc_lpis, void *ret)
{
	its_device_emit(ret);
	return 0;
}

/* its_irq_domain_activate(domain, d, reserve): picks the CPU (col_map) and
 * sends MAPTI; reported at exit */
static __always_inline void its_activate_emit(struct irq_data *d, int ret)
{
	struct its_device___arm *dev = (void *)BPF_CORE_READ(d, chip_data);
	struct it_its *e = its_begin(IT_EV_ITS_ACTIVATE);

	if (!e)
		return;
	e->irq = BPF_CORE_READ(d, irq);
	e->lpi = BPF_CORE_READ(d, hwirq);
	its_dev_fields(e, dev, 0, false);
	e->event_id = e->lpi - e->lpi_base;
	its_dev_fields(e, dev, e->event_id, true);
	e->ret = ret;
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_its_irq_domain_activate, void *domain, struct irq_data *d)
{
	struct it_slot *s = slot_push(H_ITS_ACTIVATE);

	if (s)
		s->a[0] = (__u64)d;
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_its_irq_domain_activate, int ret)
{
	struct it_slot s;

	if (slot_pop(H_ITS_ACTIVATE, &s))
		its_activate_emit((void *)s.a[0], ret);
	return 0;
}

SEC("fexit/its_irq_domain_activate")
int BPF_PROG(fx_its_irq_domain_activate, void *domain, struct irq_data *d, bool reserve, int ret)
{
	its_activate_emit(d, ret);
	return 0;
}

/* its_build_mapti_cmd(its, cmd, desc): the command the ITS gets */
static __always_inline void its_mapti_emit(struct its_cmd_desc___arm *desc)
{
	struct its_device___arm *dev = BPF_CORE_READ(desc, its_mapti_cmd.dev);
	struct it_its *e = its_begin(IT_EV_ITS_MAPTI);

	if (!e)
		return;
	e->event_id = BPF_CORE_READ(desc, its_mapti_cmd.event_id);
	e->lpi = BPF_CORE_READ(desc, its_mapti_cmd.phys_id);
	its_dev_fields(e, dev, e->event_id, true);
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_its_build_mapti_cmd, void *its, void *cmd, void *desc)
{
	its_mapti_emit(desc);
	return 0;
}

SEC("fentry/its_build_mapti_cmd")
int BPF_PROG(fe_its_build_mapti_cmd, void *its, void *cmd, void *desc)
{
	its_mapti_emit(desc);
	return 0;
}

/* its_irq_compose_msi_msg(d, msg): after it, msg holds what the device
 * will be given (the doorbell IOVA when translated) */
static __always_inline void its_compose_emit(struct irq_data *d, struct msi_msg *msg)
{
	struct its_device___arm *dev = (void *)BPF_CORE_READ(d, chip_data);
	struct it_its *e = its_begin(IT_EV_ITS_COMPOSE);

	if (!e)
		return;
	e->irq = BPF_CORE_READ(d, irq);
	e->lpi = BPF_CORE_READ(d, hwirq);
	its_dev_fields(e, dev, 0, false);
	e->event_id = e->lpi - e->lpi_base;
	its_dev_fields(e, dev, e->event_id, true);
	e->address_lo = BPF_CORE_READ(msg, address_lo);
	e->address_hi = BPF_CORE_READ(msg, address_hi);
	e->data = BPF_CORE_READ(msg, data);
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_its_irq_compose_msi_msg, struct irq_data *d, struct msi_msg *msg)
{
	struct it_slot *s = slot_push(H_ITS_COMPOSE);

	if (s) {
		s->a[0] = (__u64)d;
		s->a[1] = (__u64)msg;
	}
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_its_irq_compose_msi_msg)
{
	struct it_slot s;

	if (slot_pop(H_ITS_COMPOSE, &s))
		its_compose_emit((void *)s.a[0], (void *)s.a[1]);
	return 0;
}

SEC("fexit/its_irq_compose_msi_msg")
int BPF_PROG(fx_its_irq_compose_msi_msg, struct irq_data *d, struct msi_msg *msg)
{
	its_compose_emit(d, msg);
	return 0;
}

static __always_inline struct it_doorbell *db_begin(__u8 type)
{
	struct it_doorbell *e;

	if (tgid_filtered())
		return NULL;
	e = ev_reserve(sizeof(*e));
	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	ev_hdr(&e->h, type, sizeof(*e), irq_flags(), bpf_ktime_get_ns());
	return e;
}

/* the desc's device: BDF, and the IOMMU domain (IOVA space) it sits in */
static __always_inline void db_desc(struct it_doorbell *e, struct msi_desc___db *desc)
{
	struct device *dev = BPF_CORE_READ(desc, dev);
	struct iommu_group___arm *g;
	struct pci_dev *pdev;

	e->irq = BPF_CORE_READ(desc, irq);
	if (!dev)
		return;
	g = (void *)BPF_CORE_READ(dev, iommu_group);
	e->domain = g ? (__u64)BPF_CORE_READ(g, domain) : 0;
	/* only PCI devices carry a BDF (bus_type pci_bus_type) */
	pdev = dev_to_pci(dev);
	if (pdev && is_pci_bus(dev)) {
		pci_bdf(pdev, &e->segment, &e->bus, &e->devfn);
		e->flags |= IT_DB_F_BDF;
	}
}

/* the IOVA the kernel keeps for the desc's doorbell (0 shift: none) */
static __always_inline bool db_iova(struct msi_desc___db *desc, __u64 phys, __u64 *iova)
{
	__u64 page, shift;

	if (!bpf_core_field_exists(desc->iommu_msi_iova))
		return false;
	shift = BPF_CORE_READ_BITFIELD_PROBED(desc, iommu_msi_shift);
	page = BPF_CORE_READ_BITFIELD_PROBED(desc, iommu_msi_iova);
	if (!shift || shift >= 64)
		return false;
	*iova = (page << shift) | (phys & ((1ull << shift) - 1));
	return true;
}

/* iommu_get_msi_cookie(domain, base): the domain's msi IOVA window */
SEC("kprobe")
int BPF_KPROBE(kp_iommu_get_msi_cookie, void *domain, __u64 base)
{
	struct it_doorbell *e = db_begin(IT_EV_MSI_COOKIE);

	if (!e)
		return 0;
	e->domain = (__u64)domain;
	e->base = base;
	ev_submit(e, false);
	return 0;
}

SEC("fentry/iommu_get_msi_cookie")
int BPF_PROG(fe_iommu_get_msi_cookie, void *domain, __u64 base)
{
	struct it_doorbell *e = db_begin(IT_EV_MSI_COOKIE);

	if (!e)
		return 0;
	e->domain = (__u64)domain;
	e->base = base;
	ev_submit(e, false);
	return 0;
}

/* iommu_dma_prepare_msi(desc, msi_addr): maps the doorbell page (once per
 * domain) and stores its IOVA in the desc; reported at exit */
static __always_inline void db_prepare_emit(struct msi_desc___db *desc, __u64 phys, int ret)
{
	struct it_doorbell *e = db_begin(IT_EV_MSI_PREPARE);

	if (!e)
		return;
	db_desc(e, desc);
	e->phys = phys;
	e->ret = ret;
	if (!ret && db_iova(desc, phys, &e->iova))
		e->flags |= IT_DB_F_IOVA;
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_iommu_dma_prepare_msi, void *desc, __u64 phys)
{
	struct it_slot *s = slot_push(H_DB_PREPARE);

	if (s) {
		s->a[0] = (__u64)desc;
		s->a[1] = phys;
	}
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_iommu_dma_prepare_msi, int ret)
{
	struct it_slot s;

	if (slot_pop(H_DB_PREPARE, &s))
		db_prepare_emit((void *)s.a[0], s.a[1], ret);
	return 0;
}

SEC("fexit/iommu_dma_prepare_msi")
int BPF_PROG(fx_iommu_dma_prepare_msi, void *desc, __u64 phys, int ret)
{
	db_prepare_emit(desc, phys, ret);
	return 0;
}

/* iommu_dma_compose_msi_msg(desc, msg): msg holds the physical doorbell on
 * entry; the kernel substitutes the IOVA kept in the desc */
static __always_inline void db_compose_emit(struct msi_desc___db *desc, struct msi_msg *msg)
{
	struct it_doorbell *e = db_begin(IT_EV_MSI_DB_COMPOSE);

	if (!e)
		return;
	db_desc(e, desc);
	e->phys = (__u64)BPF_CORE_READ(msg, address_hi) << 32 | BPF_CORE_READ(msg, address_lo);
	if (db_iova(desc, e->phys, &e->iova))
		e->flags |= IT_DB_F_IOVA;
	ev_submit(e, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_iommu_dma_compose_msi_msg, void *desc, struct msi_msg *msg)
{
	db_compose_emit(desc, msg);
	return 0;
}

SEC("fentry/iommu_dma_compose_msi_msg")
int BPF_PROG(fe_iommu_dma_compose_msi_msg, void *desc, struct msi_msg *msg)
{
	db_compose_emit(desc, msg);
	return 0;
}
