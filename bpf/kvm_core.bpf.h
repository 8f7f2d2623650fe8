/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CO-RE views of the KVM and IRQ-bypass types (KVM is a module on
 * distribution kernels, so the checked-in vmlinux.h may lack them), shared
 * by the full hook set (full.bpf.c, through full_core.bpf.h) and the VM
 * state iterator (iter.bpf.c).  Each ___it flavor holds only the fields
 * either program reads; libbpf relocates the fields a program uses against
 * the running kernel's type of the same name (vmlinux or module BTF).
 */
#ifndef IRQTRAIL_KVM_CORE_BPF_H
#define IRQTRAIL_KVM_CORE_BPF_H

#ifndef __preserve
#define __preserve __attribute__((preserve_access_index))
#endif

#define KVM_IRQ_ROUTING_MSI 2

/* ---- IRQ bypass (include/linux/irqbypass.h) ---- */

struct irq_bypass_producer___it {
	void *token;
	int irq;
} __preserve;

struct irq_bypass_consumer___it {
	void *token;
} __preserve;

/* ---- KVM (include/linux/kvm_host.h, kvm_irqfd.h, virt/kvm/eventfd.c, arch/x86/kvm) ---- */

/* an entry of the GSI routing table (MSI: address, data, flags, devid),
 * hashed per GSI through link; irqfds embed the one they inject */
struct kvm_kernel_irq_routing_entry___it {
	__u32 gsi;
	__u32 type;
	union {
		struct {
			__u32 address_lo;
			__u32 address_hi;
			__u32 data;
			__u32 flags;
			__u32 devid;
		} msi;
	};
	struct hlist_node link;
} __preserve;

/* the table: map[gsi] heads the entries of that GSI (nr_rt_entries of them) */
struct kvm_irq_routing_table___it {
	__u32 nr_rt_entries;
	struct hlist_head map[];
} __preserve;

struct kvm_kernel_irqfd___it {
	wait_queue_entry_t wait;
	struct kvm_kernel_irq_routing_entry___it irq_entry;
	int gsi;
	struct eventfd_ctx *eventfd;
	struct list_head list;
	struct irq_bypass_consumer___it consumer;
	struct irq_bypass_producer___it *producer;
} __preserve;

/* fs/eventfd.c (private to that file, in BTF) */
struct eventfd_ctx___it {
	int id;
} __preserve;

/* irq_routing exists where the architecture has irq routing (x86, arm64,
 * s390, riscv); irqfds.items since irqfds became a list (3.x) */
struct kvm___it {
	struct kvm_irq_routing_table___it *irq_routing;
	struct {
		struct list_head items;
	} irqfds;
} __preserve;

struct kvm_vcpu_arch___it {
	unsigned long regs[17];
} __preserve;

struct kvm_vcpu___it {
	struct kvm_vcpu_arch___it arch;
} __preserve;

#endif
