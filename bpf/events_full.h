/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Event payloads of the fentry/kprobe tier: IRTE writes, irqdomain
 * allocation, MSI compose/write, VFIO, KVM internals, VMM uprobes, ARM ITS.
 * Type ids live in IT_EV_RESERVED_FIRST..IT_EV_RESERVED_LAST (events.h).
 * Included by events.h; do not include directly.
 *
 * Records carry raw values (whole IRTEs, whole MSI messages); user space
 * decodes them (src/full_events.c), so one decoder serves live, replay and
 * tests, and a field the kernel adds later does not change the ABI.
 */
#ifndef IRQTRAIL_EVENTS_FULL_H
#define IRQTRAIL_EVENTS_FULL_H

enum it_full_type {
	/* 80..89 interrupt remapping table entries */
	IT_EV_IRTE_WRITE = 80,		/* struct it_irte: a driver store, old and new entry */
	IT_EV_IRTE_SNAP = 81,		/* struct it_irte: start-up table read, new only */
	IT_EV_IRTE_TABLE = 82,		/* struct it_irte_table: end of one table read */
	IT_EV_IRTE_VCPU = 83,		/* struct it_irte_vcpu: posted/guest-mode switch */

	/* 90..99 irqdomain allocation chain */
	IT_EV_DOMAIN_ALLOC = 90,	/* struct it_domain_alloc: __irq_domain_alloc_irqs */
	IT_EV_DOMAIN_ALLOC_PARENT = 91,	/* struct it_domain_alloc: one hierarchy level */
	IT_EV_MSI_DOMAIN_ALLOC = 92,	/* struct it_domain_alloc: the device's MSI entry point */

	/* 100..109 MSI messages */
	IT_EV_MSI_COMPOSE = 100,	/* struct it_msi_msg: irq_chip_compose_msi_msg */
	IT_EV_MSI_WRITE = 101,		/* struct it_msi_msg: __pci_write_msi_msg */

	/* 110..119 VFIO */
	IT_EV_VFIO_SET_IRQS = 110,	/* struct it_vfio_set_irqs: vfio_pci_set_irqs_ioctl */
	IT_EV_VFIO_VECTOR = 111,	/* struct it_vfio_vector: vfio_msi_set_vector_signal */
	IT_EV_VFIO_MSI = 112,		/* struct it_vfio_msi: vfio_msihandler (data plane) */
	IT_EV_BYPASS_PRODUCER = 113,	/* struct it_bypass: irq_bypass_(un)register_producer */

	/* 120..129 KVM internals */
	IT_EV_KVM_IRQFD_WAKEUP = 120,	/* struct it_kvm_route: irqfd_wakeup (data plane) */
	IT_EV_KVM_SET_MSI_FN = 121,	/* struct it_kvm_route: kvm_set_msi (data plane) */
	IT_EV_KVM_SET_IRQ_INATOMIC = 122, /* struct it_kvm_route: fast path (data plane) */
	IT_EV_KVM_BYPASS = 123,		/* struct it_bypass: kvm_arch_irq_bypass_{add,del}_producer */
	IT_EV_KVM_PI_UPDATE = 124,	/* struct it_kvm_pi_update: vendor PI IRTE update */
	IT_EV_KVM_HYPERCALL_FN = 125,	/* struct it_kvm_hc: kvm_emulate_hypercall (data plane) */

	/* arm64: GICv3 ITS and the IOMMU's MSI doorbell (130..149) */
	IT_EV_ITS_DEVICE = 130,		/* struct it_its: its_create_device (device id, LPI range) */
	IT_EV_ITS_ACTIVATE = 131,	/* struct it_its: its_irq_domain_activate: irq -> event, LPI, CPU */
	IT_EV_ITS_MAPTI = 132,		/* struct it_its: its_build_mapti_cmd: the MAPTI command */
	IT_EV_ITS_COMPOSE = 133,	/* struct it_its: its_irq_compose_msi_msg: the final message */
	IT_EV_MSI_COOKIE = 134,		/* struct it_doorbell: iommu_get_msi_cookie (msi IOVA base) */
	IT_EV_MSI_PREPARE = 135,	/* struct it_doorbell: iommu_dma_prepare_msi: doorbell -> IOVA */
	IT_EV_MSI_DB_COMPOSE = 136,	/* struct it_doorbell: iommu_dma_compose_msi_msg: phys -> IOVA */
};

/* it_irte.vendor */
#define IT_IRTE_INTEL		1	/* VT-d 128-bit IRTE */
#define IT_IRTE_AMD_GA		2	/* AMD-Vi 128-bit (GA) IRTE */
#define IT_IRTE_AMD_32		3	/* AMD-Vi 32-bit IRTE (lo only) */

/* it_irte.flags */
#define IT_IRTE_F_OLD		0x01	/* old_lo/old_hi hold the entry before the store */
#define IT_IRTE_F_X2APIC	0x02	/* Intel: table in x2APIC (EIM) mode */
#define IT_IRTE_F_MODE_KNOWN	0x04	/* Intel: IT_IRTE_F_X2APIC is meaningful */
#define IT_IRTE_F_UNIT_KNOWN	0x08	/* unit/iommu identify the remapping unit */
#define IT_IRTE_F_POSTED_MSI	0x10	/* Intel: irq_2_iommu.posted_msi */
#define IT_IRTE_F_POSTED_VCPU	0x20	/* Intel: irq_2_iommu.posted_vcpu / mode == posting */

struct it_irte {
	struct it_hdr h;
	__u8 vendor;		/* IT_IRTE_* */
	__u8 flags;		/* IT_IRTE_F_* */
	__u16 unit;		/* Intel seq_id (dmarN) / AMD iommu index (ivhdN) */
	__u16 devid;		/* AMD: requester id owning the table; Intel: 0 */
	__u16 segment;		/* PCI segment of the unit / devid */
	__u32 index;		/* IRTE index in its table */
	__u16 sub_handle;	/* Intel: sub-handle added to the base index */
	__u16 pad;
	__u64 old_lo;
	__u64 old_hi;
	__u64 new_lo;
	__u64 new_hi;
	char iommu[16];		/* "dmar0", "ivhd0" */
};

struct it_irte_table {
	struct it_hdr h;
	__u8 vendor;		/* IT_IRTE_*, 0 when no remapping unit was found */
	__u8 pad[3];
	__u32 units;		/* remapping units (Intel) / PCI segments (AMD) walked */
	__u32 tables;		/* tables walked (Intel: one per unit; AMD: per device) */
	__u32 entries;		/* present entries emitted */
	__u32 errors;		/* reads that failed or records that could not be queued */
	__u32 truncated;	/* units or tables past the reader's bounds */
};

struct it_irte_vcpu {
	struct it_hdr h;
	__u32 irq;
	__s32 ret;
	__u8 vendor;		/* IT_IRTE_INTEL / IT_IRTE_AMD_GA */
	__u8 set;		/* info != NULL: posted/guest mode requested */
	__u8 is_guest_mode;	/* AMD: amd_iommu_pi_data.is_guest_mode */
	__u8 pad;
	__u32 vector;		/* guest vector (vcpu_data.vector) */
	__u64 pi_desc_addr;	/* Intel pi_desc / AMD vAPIC backing page */
	__u32 ga_tag;		/* AMD */
	__u32 pad2;
};

/* it_domain_alloc.kind for IT_EV_MSI_DOMAIN_ALLOC */
#define IT_MSI_ALLOC_ALL	1	/* msi_domain_alloc_irqs_all_locked (6.2+) */
#define IT_MSI_ALLOC_DESCS	2	/* msi_domain_alloc_irqs_descs_locked (<= 6.1) */
#define IT_MSI_ALLOC_AT		3	/* msi_domain_alloc_irq_at (6.2+, dynamic / IMS) */

struct it_domain_alloc {
	struct it_hdr h;
	__s32 ret;		/* virq or the (negative) error code */
	__u32 irq_base;		/* virq asked for / allocated (-1 any) */
	__u32 nr_irqs;
	__u32 domid;		/* MSI: MSI_DEFAULT_DOMAIN 0, MSI_SECONDARY_DOMAIN 1 (IMS) */
	__u32 index;		/* MSI: msi index asked for (alloc_irq_at) */
	__u8 kind;		/* IT_MSI_ALLOC_* for IT_EV_MSI_DOMAIN_ALLOC */
	__u8 pad[3];
	__u64 duration;		/* ns from entry to return */
	char domain[32];	/* the domain (MSI: the device name) */
	char parent[32];	/* the parent domain (ALLOC_PARENT) */
};

/* it_msi_msg.flags */
#define IT_MSI_F_MSIX		0x01
#define IT_MSI_F_BDF		0x02	/* segment/bus/devfn valid */
#define IT_MSI_F_INDEX		0x04	/* msi_index valid */
#define IT_MSI_F_SNAPSHOT	0x08	/* read from the device at start (user space), not a kernel write */

struct it_msi_msg {
	struct it_hdr h;
	__u32 irq;
	__u32 hwirq;		/* compose: the top irq_data's hwirq */
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 msi_index;	/* write: MSI-X table entry / MSI vector */
	__u16 segment;
	__u8 bus;
	__u8 devfn;
	__u8 flags;		/* IT_MSI_F_* */
	__u8 pad[3];
	char chip[32];		/* compose: irq chip name; write: "" */
};

struct it_vfio_set_irqs {
	struct it_hdr h;
	__s32 ret;
	__u32 flags;		/* VFIO_IRQ_SET_* */
	__u32 index;		/* VFIO_PCI_*_IRQ_INDEX */
	__u32 start;
	__u32 count;
	__u32 nfds;		/* fds[] valid (DATA_EVENTFD) */
	__u16 segment;
	__u8 bus;
	__u8 devfn;
	__u32 pad;
	__s32 fds[8];
};

struct it_vfio_vector {
	struct it_hdr h;
	__s32 ret;
	__u32 vector;
	__s32 fd;		/* < 0: teardown */
	__u32 host_irq;		/* from the bypass producer / request in scope, 0 unknown */
	__u16 segment;
	__u8 bus;
	__u8 devfn;
	__u8 msix;
	__u8 pad[3];
	char name[32];		/* "vfio-msix[0](0000:00:03.0)" when known */
};

struct it_vfio_msi {
	struct it_hdr h;
	__u32 irq;
	__u32 pad;
};

/* it_bypass.op */
#define IT_BYPASS_REGISTER	1
#define IT_BYPASS_UNREGISTER	2
#define IT_BYPASS_ADD		3	/* KVM consumer connects a producer */
#define IT_BYPASS_DEL		4

struct it_bypass {
	struct it_hdr h;
	__u32 irq;		/* producer->irq */
	__s32 ret;
	__u8 op;		/* IT_BYPASS_* */
	__u8 pad[3];
	__u32 gsi;		/* KVM: the irqfd's gsi, 0 unknown */
};

struct it_kvm_route {
	struct it_hdr h;
	__u32 gsi;
	__u32 type;		/* KVM_IRQ_ROUTING_* of the entry */
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 devid;
	__u32 host_irq;		/* irqfd: producer irq, or the running host irq handler */
	__s32 ret;		/* fast path: -EWOULDBLOCK = deferred */
	__u64 key;		/* irqfd_wakeup: poll flags (EPOLLIN 1, EPOLLHUP 0x10) */
};

struct it_kvm_pi_update {
	struct it_hdr h;
	__u32 host_irq;
	__u32 guest_irq;	/* gsi */
	__s32 ret;
	__u8 set;
	__u8 vendor;		/* IT_IRTE_INTEL (vmx) / IT_IRTE_AMD_GA (avic) */
	__u8 pad[2];
};

struct it_kvm_hc {
	struct it_hdr h;
	__u64 nr;		/* rax at entry */
	__u64 a[4];		/* rbx, rcx, rdx, rsi */
	__s64 ret;		/* kvm_emulate_hypercall's return (1: resume the guest) */
	__s64 result;		/* the hypercall's result, written back to rax */
};

/* arm64 GICv3 ITS: one interrupt's translation (device id, event id) ->
 * LPI -> collection (target redistributor / CPU) */
struct it_its {
	struct it_hdr h;
	__u32 irq;
	__u32 device_id;
	__u32 event_id;
	__u32 lpi;		/* the interrupt's hwirq */
	__u32 lpi_base;		/* the device's first LPI */
	__u32 nr_lpis;
	__u32 cpu;		/* collection index = target CPU (col_map), ~0 unknown */
	__u32 col_id;
	__u64 target;		/* collection's redistributor (target_address) */
	__u64 its_phys;		/* ITS base; its doorbell GITS_TRANSLATER = base + 0x10040 */
	__u32 address_lo;	/* compose: the final message (doorbell IOVA when translated) */
	__u32 address_hi;
	__u32 data;		/* compose: the event id */
	__s32 ret;
};

/* it_doorbell.flags */
#define IT_DB_F_BDF	0x1	/* segment/bus/devfn valid */
#define IT_DB_F_IOVA	0x2	/* iova valid (the doorbell is translated) */

/* arm64 (and any IOMMU_DMA user): the MSI doorbell page mapped into a
 * device's IOVA space */
struct it_doorbell {
	struct it_hdr h;
	__u32 irq;
	__u16 segment;
	__u8 bus;
	__u8 devfn;
	__u64 domain;		/* iommu_domain: identity of the IOVA space */
	__u64 phys;		/* doorbell physical address */
	__u64 iova;		/* what the device is given instead (IT_DB_F_IOVA) */
	__u64 base;		/* cookie: the msi IOVA window's base */
	__u32 flags;		/* IT_DB_F_* */
	__s32 ret;
};

#ifndef __bpf__
#ifdef __cplusplus
#define IT_STATIC_ASSERT_FULL static_assert
#else
#define IT_STATIC_ASSERT_FULL _Static_assert
#endif
IT_STATIC_ASSERT_FULL(sizeof(struct it_irte) == 24 + 64, "it_irte");
IT_STATIC_ASSERT_FULL(sizeof(struct it_irte_table) == 24 + 24, "it_irte_table");
IT_STATIC_ASSERT_FULL(sizeof(struct it_irte_vcpu) == 24 + 32, "it_irte_vcpu");
IT_STATIC_ASSERT_FULL(sizeof(struct it_domain_alloc) == 24 + 32 + 64, "it_domain_alloc");
IT_STATIC_ASSERT_FULL(sizeof(struct it_msi_msg) == 24 + 32 + 32, "it_msi_msg");
IT_STATIC_ASSERT_FULL(sizeof(struct it_vfio_set_irqs) == 24 + 32 + 32, "it_vfio_set_irqs");
IT_STATIC_ASSERT_FULL(sizeof(struct it_vfio_vector) == 24 + 24 + 32, "it_vfio_vector");
IT_STATIC_ASSERT_FULL(sizeof(struct it_vfio_msi) == 24 + 8, "it_vfio_msi");
IT_STATIC_ASSERT_FULL(sizeof(struct it_bypass) == 24 + 16, "it_bypass");
IT_STATIC_ASSERT_FULL(sizeof(struct it_kvm_route) == 24 + 40, "it_kvm_route");
IT_STATIC_ASSERT_FULL(sizeof(struct it_kvm_pi_update) == 24 + 16, "it_kvm_pi_update");
IT_STATIC_ASSERT_FULL(sizeof(struct it_kvm_hc) == 24 + 56, "it_kvm_hc");
IT_STATIC_ASSERT_FULL(sizeof(struct it_its) == 24 + 64, "it_its");
IT_STATIC_ASSERT_FULL(sizeof(struct it_doorbell) == 24 + 48, "it_doorbell");
#endif

#endif
