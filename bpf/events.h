/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * irqtrail kernel <-> user event ABI.
 *
 * Included by the BPF programs (after vmlinux.h) and by user space (after
 * <linux/types.h>).  Every record in the ring buffer, in a trace file and in
 * the in-memory stream starts with struct it_hdr; hdr.len is the size of the
 * whole record (header + payload) and hdr.version the payload version of
 * that type.  Readers skip types they do not know by hdr.len.
 *
 * Type ids are grouped by family; gaps are reserved for later tiers.
 */
#ifndef IRQTRAIL_EVENTS_H
#define IRQTRAIL_EVENTS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define IT_ABI_VERSION 1

#define IT_IRQ_NAME_LEN   32
#define IT_DEV_NAME_LEN   32
#define IT_COMM_LEN       16
#define IT_MAX_IRQ_FDS    32	/* eventfds carried by one SET_IRQS event */
#define IT_HIST_SLOTS     32	/* log2 buckets of nanoseconds */

enum it_type {
	IT_EV_NONE = 0,

	/* host interrupt handling: irq:* */
	IT_EV_IRQ_ENTRY = 1,		/* struct it_irq_entry */
	IT_EV_IRQ_EXIT = 2,		/* struct it_irq_exit */
	IT_EV_IRQ_NAME = 3,		/* struct it_irq_entry, first sight of an irq */

	/* x86 vector domain: irq_vectors:* (struct it_vector) */
	IT_EV_VECTOR_SETUP = 10,
	IT_EV_VECTOR_ALLOC = 11,
	IT_EV_VECTOR_ALLOC_MANAGED = 12,
	IT_EV_VECTOR_RESERVE = 13,
	IT_EV_VECTOR_RESERVE_MANAGED = 14,
	IT_EV_VECTOR_UPDATE = 15,
	IT_EV_VECTOR_CLEAR = 16,
	IT_EV_VECTOR_CONFIG = 17,
	IT_EV_VECTOR_ACTIVATE = 18,
	IT_EV_VECTOR_DEACTIVATE = 19,
	IT_EV_VECTOR_TEARDOWN = 20,
	IT_EV_VECTOR_FREE_MOVED = 21,

	/* irq_matrix:* (struct it_matrix) */
	IT_EV_MATRIX_ALLOC = 30,
	IT_EV_MATRIX_FREE = 31,
	IT_EV_MATRIX_ALLOC_MANAGED = 32,
	IT_EV_MATRIX_ALLOC_RESERVED = 33,
	IT_EV_MATRIX_ASSIGN = 34,

	/* KVM: kvm:* */
	IT_EV_KVM_MSI = 40,		/* struct it_kvm_msi */
	IT_EV_KVM_SET_IRQ = 41,		/* struct it_kvm_set_irq */
	IT_EV_KVM_PI_IRTE = 42,		/* struct it_kvm_pi_irte */
	IT_EV_KVM_APIC_ACCEPT = 43,	/* struct it_kvm_apic */
	IT_EV_KVM_INJ_VIRQ = 44,	/* struct it_kvm_apic */
	IT_EV_KVM_EOI = 45,		/* struct it_kvm_apic */
	IT_EV_KVM_ACK_IRQ = 46,		/* struct it_kvm_set_irq (gsi = pin, level = irqchip) */

	/* hypercalls */
	IT_EV_HC_KVM = 50,		/* struct it_hypercall */
	IT_EV_HC_HV = 51,		/* struct it_hypercall */
	IT_EV_HC_HV_DONE = 52,		/* struct it_hypercall (ret only) */
	IT_EV_HC_XEN = 53,		/* struct it_hypercall */

	/* VMM ioctls decoded at syscalls:sys_{enter,exit}_ioctl */
	IT_EV_IOCTL_SET_IRQS = 60,	/* struct it_ioctl_set_irqs */
	IT_EV_IOCTL_GET_DEVICE_FD = 61,	/* struct it_ioctl_get_device_fd */
	IT_EV_IOCTL_IRQFD = 62,		/* struct it_ioctl_irqfd */
	IT_EV_IOCTL_GSI_ROUTING = 63,	/* struct it_ioctl_gsi_routing (table header) */
	IT_EV_IOCTL_GSI_ROUTE = 64,	/* struct it_ioctl_gsi_route (one entry) */
	IT_EV_IOCTL_SIGNAL_MSI = 65,	/* struct it_ioctl_signal_msi */
	IT_EV_IOCTL_CREATE_VM = 66,	/* struct it_ioctl_simple */
	IT_EV_IOCTL_CREATE_VCPU = 67,	/* struct it_ioctl_simple */

	/*
	 * Reserved for the kprobe/fentry tier (full hook set):
	 * 80..89 IRTE writes (Intel modify_irte, AMD modify_irte_ga), PI mode
	 * 90..99 irqdomain allocation chain and failures
	 * 100..109 MSI message compose / device write
	 * 110..119 VFIO set_irqs / vector signal / msihandler / bypass
	 * 120..129 KVM internals (irqfd_wakeup, set_msi, bypass producers)
	 * 130..139 VMM uprobes
	 * 140..149 ARM ITS / doorbell
	 */
	IT_EV_RESERVED_FIRST = 80,
	IT_EV_RESERVED_LAST = 199,

	/* 170..179 tracepoint tier, folded records (the stream's fast path) */
	IT_EV_KVM_SIGNAL_MSI = 170,	/* struct it_kvm_signal_msi: one KVM_SIGNAL_MSI,
					 * its injection and its first APIC accept */

	/* user-space generated records (never produced by BPF) */
	IT_EV_LOST = 200,		/* struct it_lost */
	IT_EV_ALERT = 201,		/* reserved for the rules engine */
	IT_EV_PROC = 202,		/* struct it_proc: a VMM process's names, first sight */

	IT_EV_MAX = 255,
};

/* hdr.flags */
#define IT_F_DATAPLANE   0x01	/* a per-interrupt / per-injection event */
#define IT_F_IN_HARDIRQ  0x02	/* emitted while a host irq handler ran on this cpu */
#define IT_F_SNAPSHOT    0x04	/* synthesized at start from kernel state (the BPF VM state
				 * iterator), not an event: ioctl records with c.ret 0 */
#define IT_F_NO_EXIT     0x08	/* IT_EV_KVM_SIGNAL_MSI: the ioctl's exit was not seen (ret unknown) */

struct it_hdr {
	__u64 ts;		/* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) */
	__u8 type;		/* enum it_type */
	__u8 version;		/* payload version of that type, starting at 1 */
	__u16 len;		/* header + payload bytes */
	__u16 cpu;
	__u8 flags;		/* IT_F_* */
	__u8 pad;
	__u32 pid;		/* tgid of current, 0 when not meaningful */
	__u32 tid;
};

struct it_irq_entry {
	struct it_hdr h;
	__s32 irq;
	__u32 pad;
	char name[IT_IRQ_NAME_LEN];
};

struct it_irq_exit {
	struct it_hdr h;
	__s32 irq;
	__s32 ret;
	__u64 duration;		/* ns since the matching entry on this cpu, 0 unknown */
};

struct it_vector {
	struct it_hdr h;
	__u32 irq;
	__u32 vector;
	__u32 cpu;
	__u32 prev_vector;
	__u32 prev_cpu;
	__u32 apicdest;
	__s32 ret;
	__u8 is_managed;
	__u8 reserved;		/* vector_alloc: reserved; activate: reserve */
	__u8 can_reserve;
	__u8 is_legacy;		/* vector_setup: is_legacy; deactivate: early */
};

struct it_matrix {
	struct it_hdr h;
	__s32 bit;
	__u32 cpu;
	__u32 available;
	__u32 allocated;
	__u32 managed;
	__u32 online_maps;
	__u32 global_available;
	__u32 global_reserved;
	__u32 total_allocated;
	__u8 online;
	__u8 pad[3];
};

struct it_kvm_msi {
	struct it_hdr h;
	__u64 address;
	__u64 data;
	__u32 host_irq;		/* host irq whose handler was running, 0 none */
	__u32 pad;
	__u64 since_irq;	/* ns since that handler's entry, 0 none */
};

struct it_kvm_set_irq {
	struct it_hdr h;
	__u32 gsi;
	__s32 level;
	__s32 irq_source_id;
	__u32 pad;
};

struct it_kvm_pi_irte {
	struct it_hdr h;
	__u32 host_irq;
	__s32 vcpu_id;		/* -1 none */
	__u32 gsi;
	__u32 gvec;
	__u64 pi_desc_addr;	/* 0 where the kernel no longer reports it (6.17+) */
	__u8 set;
	__u8 pad[7];
};

struct it_kvm_apic {
	struct it_hdr h;
	__u32 apicid;		/* accept, eoi */
	__u32 vector;
	__u16 dm;		/* accept: delivery mode */
	__u16 tm;		/* accept: trigger mode */
	__u8 soft;		/* inj_virq */
	__u8 reinjected;	/* inj_virq */
	__u8 pad[2];
};

struct it_hypercall {
	struct it_hdr h;
	__u64 nr;		/* kvm/xen nr, hyper-v code */
	__u64 args[6];		/* kvm: a0..a3; xen: a0..a5; hv: ingpa, outgpa */
	__s64 ret;		/* hv_done: result */
	__u16 rep_cnt;		/* hv */
	__u16 rep_idx;		/* hv */
	__u16 var_cnt;		/* hv */
	__u8 fast;		/* hv */
	__u8 cpl;		/* xen */
};

/* ioctl events are emitted at syscall exit, the argument read from the
 * caller's memory then, with the return value and the time it took.
 * hdr.ts is the exit time. */
struct it_ioctl_common {
	__u32 fd;		/* the fd the ioctl was issued on */
	__u32 cmd;		/* low 32 bits (the tracepoint sign-extends) */
	__s64 ret;
	__u64 duration;		/* ns from sys_enter to sys_exit */
};

#define IT_VFIO_IRQ_INDEX_INTX 0
#define IT_VFIO_IRQ_INDEX_MSI  1
#define IT_VFIO_IRQ_INDEX_MSIX 2

struct it_ioctl_set_irqs {
	struct it_hdr h;
	struct it_ioctl_common c;
	__u32 flags;		/* VFIO_IRQ_SET_* */
	__u32 index;
	__u32 start;
	__u32 count;
	__u32 nfds;		/* fds[] entries valid (min(count, IT_MAX_IRQ_FDS)) when DATA_EVENTFD */
	__u32 pad;
	__s32 fds[IT_MAX_IRQ_FDS];
};

struct it_ioctl_get_device_fd {
	struct it_hdr h;
	struct it_ioctl_common c;
	char name[IT_DEV_NAME_LEN];	/* the device name, a PCI BDF */
};

struct it_ioctl_irqfd {
	struct it_hdr h;
	struct it_ioctl_common c;
	__u32 efd;
	__u32 gsi;
	__u32 flags;		/* KVM_IRQFD_FLAG_* */
	__u32 resamplefd;
};

struct it_ioctl_gsi_routing {
	struct it_hdr h;
	struct it_ioctl_common c;
	__u32 nr;		/* entries in the table */
	__u32 flags;
	__u32 nr_msi;		/* MSI entries streamed as IT_EV_IOCTL_GSI_ROUTE */
	__u32 truncated;	/* entries not read (table larger than the reader's bound) */
};

struct it_ioctl_gsi_route {
	struct it_hdr h;
	struct it_ioctl_common c;
	__u32 index;		/* position in the table */
	__u32 gsi;
	__u32 type;		/* KVM_IRQ_ROUTING_* */
	__u32 flags;		/* KVM_MSI_VALID_DEVID */
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 devid;
	__u32 nr;		/* entries in the whole table */
	__u32 pad;
};

struct it_ioctl_signal_msi {
	struct it_hdr h;
	struct it_ioctl_common c;
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 flags;
	__u32 devid;
	__u32 pad;
};

struct it_ioctl_simple {
	struct it_hdr h;
	struct it_ioctl_common c;
	__u64 arg;
};

/*
 * IT_EV_KVM_SIGNAL_MSI: the three tracepoint hits of one KVM_SIGNAL_MSI
 * (sys_enter_ioctl, kvm_msi_set_irq, kvm_apic_accept_irq, sys_exit_ioctl)
 * as one record, emitted at the ioctl's exit.  Readers treat it as a
 * kvm_msi injection that also carries the ioctl (what it_ioctl_signal_msi
 * carries) and the first APIC accept (further accepts of a multi-destination
 * message stay separate kvm_apic_accept records).  hdr.ts is the injection's
 * time (kvm_msi_set_irq), not the exit's.
 */
struct it_kvm_signal_msi {
	struct it_hdr h;
	__u64 address;		/* from kvm_msi_set_irq */
	__u32 data;
	__u32 fd;		/* the VM fd the ioctl was issued on */
	__s32 ret;		/* the ioctl's return value (0 with IT_F_NO_EXIT) */
	__u32 duration;		/* ns from sys_enter to sys_exit, saturated (0 with IT_F_NO_EXIT) */
	__u32 msi_flags;	/* struct kvm_msi .flags (KVM_MSI_VALID_DEVID) */
	__u32 devid;
	__u16 accepted;		/* kvm_apic_accept_irq hits folded in: 0 or 1 */
	__u16 apic_dm;		/* the accept's delivery mode (APIC_DM_*) */
	__u32 apicid;		/* the accepting APIC */
};

struct it_lost {
	struct it_hdr h;
	__u64 lost;		/* events the kernel could not queue since the last report */
};

/* Written by user space when a process first issues a decoded ioctl, so
 * recordings know the VMM's name. */
struct it_proc {
	struct it_hdr h;
	__u32 proc_pid;
	__u32 pad;
	char comm[IT_COMM_LEN];
	char name[48];		/* QEMU -name, else comm */
};

/* ---- in-kernel aggregates (map values) ---- */

struct it_hist {
	__u64 slots[IT_HIST_SLOTS];	/* slot k: [2^k, 2^(k+1)) ns; slot 0 also holds 0 */
};

/* key: host irq */
struct it_irq_stat {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 last_ts;
	struct it_hist hist;
};

/* key: struct it_msi_key */
struct it_msi_key {
	__u64 address;
	__u32 data;
	__u32 pid;		/* tgid that caused the injection, 0 in irq context */
	__u32 host_irq;		/* host irq whose handler injected it, 0 none */
	__u32 pad;
};

struct it_msi_stat {
	__u64 count;
	__u64 first_ts;
	__u64 last_ts;
	__u64 hop_sum_ns;	/* host handler entry -> injection, when host_irq != 0 */
	struct it_hist hop;
	__u64 accepted;		/* vCPU local APIC accepts that followed (kvm_apic_accept_irq) */
	__u64 accept_sum_ns;
	struct it_hist accept;	/* injection -> APIC accept */
};

/* Generic keyed counters of data-plane events that are not streamed:
 * type = IT_EV_* of the event, pid = tgid (0 in irq context),
 * a/b = the event's key fields (set_irq: gsi/level; apic_accept: apicid/vector;
 * inj_virq: vector/0; eoi: apicid/vector; hypercalls: nr/0; signal_msi ioctl:
 * address/data). */
struct it_agg_key {
	__u32 type;
	__u32 pid;
	__u64 a;
	__u64 b;
};

struct it_count_stat {
	__u64 count;
	__u64 last_ts;
};

/*
 * Direct-mapped per-cpu caches in front of the aggregate hash maps: an array
 * lookup costs a fraction of a hash lookup on the hot path.  A slot is
 * claimed by the first key that hashes to it on that cpu; other keys that
 * hash there fall back to the hash map.  User space sums both.
 */
#define IT_IRQ_CACHE 2048
#define IT_MSI_CACHE 1024
#define IT_AGG_CACHE 1024

struct it_irq_slot {
	__u32 irq;
	__u32 used;
	struct it_irq_stat st;
};

struct it_msi_slot {
	struct it_msi_key k;
	__u32 used;
	__u32 pad;
	struct it_msi_stat st;
};

struct it_agg_slot {
	struct it_agg_key k;
	__u32 used;
	__u32 pad;
	struct it_count_stat st;
};

/* global counters (per-cpu array index) */
enum it_counter {
	IT_CNT_LOST = 0,	/* ring buffer reservations that failed */
	IT_CNT_EVENTS,		/* events submitted to the ring buffer */
	IT_CNT_IRQ,		/* host irq handler entries seen */
	IT_CNT_KVM_MSI,		/* kvm_msi_set_irq seen */
	IT_CNT_IOCTL,		/* VMM ioctls decoded */
	IT_CNT_IOCTL_READ_FAIL,	/* user memory that could not be read */
	IT_CNT_AGG_FULL,	/* aggregate map full: an event counted nowhere else */
	IT_CNT_IOCTL_MISSED,	/* a KVM_SIGNAL_MSI whose exit ran on another cpu: not streamed */
	IT_CNT_MAX = 8,
};

/* payloads of the fentry/kprobe tier (types IT_EV_RESERVED_FIRST..LAST) */
#include "events_full.h"

#ifndef __bpf__
#ifdef __cplusplus
#define IT_STATIC_ASSERT static_assert
#else
#define IT_STATIC_ASSERT _Static_assert
#endif
IT_STATIC_ASSERT(sizeof(struct it_hdr) == 24, "it_hdr");
IT_STATIC_ASSERT(sizeof(struct it_irq_entry) == 24 + 40, "it_irq_entry");
IT_STATIC_ASSERT(sizeof(struct it_irq_exit) == 24 + 16, "it_irq_exit");
IT_STATIC_ASSERT(sizeof(struct it_vector) == 24 + 32, "it_vector");
IT_STATIC_ASSERT(sizeof(struct it_matrix) == 24 + 40, "it_matrix");
IT_STATIC_ASSERT(sizeof(struct it_kvm_msi) == 24 + 32, "it_kvm_msi");
IT_STATIC_ASSERT(sizeof(struct it_kvm_signal_msi) == 24 + 40, "it_kvm_signal_msi");
IT_STATIC_ASSERT(sizeof(struct it_kvm_set_irq) == 24 + 16, "it_kvm_set_irq");
IT_STATIC_ASSERT(sizeof(struct it_kvm_pi_irte) == 24 + 32, "it_kvm_pi_irte");
IT_STATIC_ASSERT(sizeof(struct it_kvm_apic) == 24 + 16, "it_kvm_apic");
IT_STATIC_ASSERT(sizeof(struct it_hypercall) == 24 + 72, "it_hypercall");
IT_STATIC_ASSERT(sizeof(struct it_ioctl_common) == 24, "it_ioctl_common");
IT_STATIC_ASSERT(sizeof(struct it_ioctl_set_irqs) == 24 + 24 + 24 + 4 * IT_MAX_IRQ_FDS, "set_irqs");
IT_STATIC_ASSERT(sizeof(struct it_ioctl_get_device_fd) == 24 + 24 + 32, "get_device_fd");
IT_STATIC_ASSERT(sizeof(struct it_ioctl_irqfd) == 24 + 24 + 16, "irqfd");
IT_STATIC_ASSERT(sizeof(struct it_ioctl_gsi_routing) == 24 + 24 + 16, "gsi_routing");
IT_STATIC_ASSERT(sizeof(struct it_ioctl_gsi_route) == 24 + 24 + 40, "gsi_route");
IT_STATIC_ASSERT(sizeof(struct it_ioctl_signal_msi) == 24 + 24 + 24, "signal_msi");
IT_STATIC_ASSERT(sizeof(struct it_ioctl_simple) == 24 + 24 + 8, "simple");
IT_STATIC_ASSERT(sizeof(struct it_lost) == 24 + 8, "lost");
IT_STATIC_ASSERT(sizeof(struct it_proc) == 24 + 72, "proc");
IT_STATIC_ASSERT(sizeof(struct it_irq_stat) == 32 + 8 * IT_HIST_SLOTS, "irq_stat");
IT_STATIC_ASSERT(sizeof(struct it_msi_key) == 24, "msi_key");
IT_STATIC_ASSERT(sizeof(struct it_agg_key) == 24, "agg_key");
IT_STATIC_ASSERT(sizeof(struct it_irq_slot) % 8 == 0, "irq_slot");
IT_STATIC_ASSERT(sizeof(struct it_msi_slot) % 8 == 0, "msi_slot");
IT_STATIC_ASSERT(sizeof(struct it_agg_slot) % 8 == 0, "agg_slot");
#endif

#endif /* IRQTRAIL_EVENTS_H */
