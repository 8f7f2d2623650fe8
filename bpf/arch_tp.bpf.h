/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoint records of x86-only events (irq_vectors, irq_matrix, x86 KVM)
 * for builds against another architecture's vmlinux.h (make ARCH=arm64),
 * whose BTF does not describe them.  The programs that read them are not
 * loaded where the tracepoint does not exist (user/live.c); the layouts
 * are the x86 kernel's, taken from vmlinux/x86/vmlinux.h.
 */
#ifndef IRQTRAIL_ARCH_TP_BPF_H
#define IRQTRAIL_ARCH_TP_BPF_H

#if !defined(__TARGET_ARCH_x86)

struct trace_event_raw_irq_matrix_cpu {
	struct trace_entry ent;
	int bit;
	unsigned int cpu;
	bool online;
	unsigned int available;
	unsigned int allocated;
	unsigned int managed;
	unsigned int online_maps;
	unsigned int global_available;
	unsigned int global_reserved;
	unsigned int total_allocated;
	char __data[0];
};

struct trace_event_raw_kvm_apic_accept_irq {
	struct trace_entry ent;
	__u32 apicid;
	__u16 dm;
	__u16 tm;
	__u8 vec;
	char __data[0];
};

struct trace_event_raw_kvm_eoi {
	struct trace_entry ent;
	__u32 apicid;
	int vector;
	char __data[0];
};

struct trace_event_raw_kvm_hv_hypercall {
	struct trace_entry ent;
	__u16 rep_cnt;
	__u16 rep_idx;
	__u64 ingpa;
	__u64 outgpa;
	__u16 code;
	__u16 var_cnt;
	bool fast;
	char __data[0];
};

struct trace_event_raw_kvm_hv_hypercall_done {
	struct trace_entry ent;
	__u64 result;
	char __data[0];
};

struct trace_event_raw_kvm_hypercall {
	struct trace_entry ent;
	long unsigned int nr;
	long unsigned int a0;
	long unsigned int a1;
	long unsigned int a2;
	long unsigned int a3;
	char __data[0];
};

struct trace_event_raw_kvm_inj_virq {
	struct trace_entry ent;
	unsigned int vector;
	bool soft;
	bool reinjected;
	char __data[0];
};

struct trace_event_raw_kvm_msi_set_irq {
	struct trace_entry ent;
	__u64 address;
	__u64 data;
	char __data[0];
};

struct trace_event_raw_kvm_pi_irte_update {
	struct trace_entry ent;
	unsigned int host_irq;
	int vcpu_id;
	unsigned int gsi;
	unsigned int gvec;
	bool set;
	char __data[0];
};

struct trace_event_raw_kvm_xen_hypercall {
	struct trace_entry ent;
	u8 cpl;
	long unsigned int nr;
	long unsigned int a0;
	long unsigned int a1;
	long unsigned int a2;
	long unsigned int a3;
	long unsigned int a4;
	long unsigned int a5;
	char __data[0];
};

struct trace_event_raw_vector_activate {
	struct trace_entry ent;
	unsigned int irq;
	bool is_managed;
	bool can_reserve;
	bool reserve;
	char __data[0];
};

struct trace_event_raw_vector_alloc {
	struct trace_entry ent;
	unsigned int irq;
	unsigned int vector;
	bool reserved;
	int ret;
	char __data[0];
};

struct trace_event_raw_vector_alloc_managed {
	struct trace_entry ent;
	unsigned int irq;
	unsigned int vector;
	int ret;
	char __data[0];
};

struct trace_event_raw_vector_config {
	struct trace_entry ent;
	unsigned int irq;
	unsigned int vector;
	unsigned int cpu;
	unsigned int apicdest;
	char __data[0];
};

struct trace_event_raw_vector_free_moved {
	struct trace_entry ent;
	unsigned int irq;
	unsigned int cpu;
	unsigned int vector;
	bool is_managed;
	char __data[0];
};

struct trace_event_raw_vector_mod {
	struct trace_entry ent;
	unsigned int irq;
	unsigned int vector;
	unsigned int cpu;
	unsigned int prev_vector;
	unsigned int prev_cpu;
	char __data[0];
};

struct trace_event_raw_vector_reserve {
	struct trace_entry ent;
	unsigned int irq;
	int ret;
	char __data[0];
};

struct trace_event_raw_vector_setup {
	struct trace_entry ent;
	unsigned int irq;
	bool is_legacy;
	int ret;
	char __data[0];
};

struct trace_event_raw_vector_teardown {
	struct trace_entry ent;
	unsigned int irq;
	bool is_managed;
	bool has_reserved;
	char __data[0];
};

#endif

#endif
