/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CO-RE views of the driver and module types the full hook set reads.
 *
 * The checked-in vmlinux.h is the CI kernel's, which has no IOMMU drivers and
 * no VFIO, and whose KVM may be built differently from a distribution's; so
 * every driver/module type is declared here as a ___it flavor holding only
 * the fields irqtrail reads.  libbpf matches a flavor to the running kernel's
 * type of the same name (vmlinux or module BTF) and relocates each field;
 * fields that not every kernel has are read behind bpf_core_field_exists().
 * Core types (irq_data, irq_domain, msi_desc, pci_dev, device) come from
 * vmlinux.h, whose declarations carry preserve_access_index too.
 */
#ifndef IRQTRAIL_FULL_CORE_BPF_H
#define IRQTRAIL_FULL_CORE_BPF_H

#ifndef __preserve
#define __preserve __attribute__((preserve_access_index))
#endif

/* ---- Intel VT-d interrupt remapping (drivers/iommu/intel/irq_remapping.c) ---- */

/* enum irq_mode was dropped when posted MSIs became flags (posted_msi,
 * posted_vcpu); older kernels keep IRQ_POSTING in irq_2_iommu.mode. */
enum irq_mode___it {
	IT_IRQ_REMAPPING = 0,
	IT_IRQ_POSTING = 1,
};

struct irte___it {
	__u64 low;
	__u64 high;
} __preserve;

struct ir_table___it {
	struct irte___it *base;
	unsigned long *bitmap;
} __preserve;

struct intel_iommu___it {
	int seq_id;
	__u16 segment;
	unsigned char name[13];
	struct ir_table___it *ir_table;
} __preserve;

struct irq_2_iommu___it {
	struct intel_iommu___it *iommu;
	__u16 irte_index;
	__u16 sub_handle;
	__u8 irte_mask;
	enum irq_mode___it mode;	/* <= 6.16 (removed with posted_vcpu) */
	bool posted_msi;		/* 6.10+: "iommu/vt-d: Add an irq_chip for posted MSIs" */
	bool posted_vcpu;		/* replaces mode == IRQ_POSTING */
} __preserve;

struct dmar_drhd_unit___it {
	struct list_head list;
	__u16 segment;
	struct intel_iommu___it *iommu;
} __preserve;

/* ≤ 6.16: intel_ir_set_vcpu_affinity() and AMD's PI data carry a vcpu_data. */
struct vcpu_data___it {
	__u64 pi_desc_addr;
	__u32 vector;
} __preserve;

/* ---- AMD-Vi interrupt remapping (drivers/iommu/amd/iommu.c, init.c) ---- */

struct irq_remap_table___it {
	unsigned int min_index;
	__u32 *table;
} __preserve;

struct amd_iommu_pci_seg___it;

struct amd_iommu___it {
	struct list_head list;
	int index;
	__u16 devid;
	struct amd_iommu_pci_seg___it *pci_seg;
	__u32 max_irqs;			/* 2K interrupt tables (later kernels) */
} __preserve;

/* 6.0+: per-PCI-segment tables ("iommu/amd: Introduce pci segment structure"
 * series); older kernels have global amd_iommu_rlookup_table/irq_lookup_table. */
struct amd_iommu_pci_seg___it {
	struct list_head list;
	__u16 id;
	__u16 last_bdf;
	struct amd_iommu___it **rlookup_table;
	struct irq_remap_table___it **irq_lookup_table;
} __preserve;

/* ≤ 6.16 layout of amd_ir_set_vcpu_affinity()'s info. */
struct amd_iommu_pi_data___it {
	__u32 ga_tag;
	__u64 base;
	bool is_guest_mode;
	struct vcpu_data___it *vcpu_data;
} __preserve;

/* 6.17: the vCPU's APIC page, vector and CPU are passed directly. */
struct amd_iommu_pi_data___new {
	__u64 vapic_addr;
	__u32 ga_tag;
	__u32 vector;
	bool is_guest_mode;
} __preserve;

/* ---- KVM and IRQ bypass: kvm_core.bpf.h (shared with the VM state iterator) ---- */

#include "kvm_core.bpf.h"

/* ---- VFIO (drivers/vfio/pci/vfio_pci_intrs.c) ---- */

struct vfio_pci_core_device___it {
	struct pci_dev *pdev;
} __preserve;

struct vfio_pci_irq_ctx___it {
	char *name;
	struct irq_bypass_producer___it producer;
} __preserve;

/* ---- core types that moved ---- */

/* ≤ 5.16: the MSI-X entry number and MSI-X flag lived in msi_attrib
 * (replaced in 5.17 by msi_desc.msi_index, "genirq/msi: Add msi_desc::msi_index",
 * and msi_desc.pci.msi_attrib, "PCI/MSI: Move msi_attrib into struct pci_msi_desc"). */
struct msi_desc___old {
	struct {
		__u8 is_msix: 1;
		__u16 entry_nr;
	} msi_attrib;
} __preserve;

/* x86 keeps the PCI domain in the bus' sysdata. */
struct pci_sysdata___it {
	int domain;
} __preserve;

/* arm64 (PCI_DOMAINS_GENERIC) keeps it in the bus itself; its sysdata is
 * the ECAM window, no pci_sysdata. */
struct pci_bus___dom {
	int domain_nr;
} __preserve;

#endif
