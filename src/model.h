/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The routing model: a start-up snapshot plus the event stream (and the
 * in-kernel aggregate frames) rebuilt into per-device interrupt routes with
 * their owners, counts, per-hop latency and change history.  Pure C.
 */
#ifndef IRQTRAIL_MODEL_H
#define IRQTRAIL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agg.h"
#include "hist.h"
#include "events.h"
#include "snapshot.h"
#include "model_arm.h"

#define IT_ROUTE_CHANGES 16
#define IT_TRAP_STEPS 5
#define IT_NAME_LEN 64

struct it_change {
	uint64_t ts;
	uint32_t pid;			/* who made it (0: the kernel / unknown) */
	char what[112];
};

struct it_changes {
	struct it_change c[IT_ROUTE_CHANGES];	/* ring, oldest first from start */
	size_t start, n;
	uint64_t total;				/* changes ever recorded */
};

enum it_route_kind {
	IT_ROUTE_HOST = 1,	/* a host device interrupt */
	IT_ROUTE_GUEST,		/* a VM's MSI route (GSI) or directly signalled MSI */
};

struct it_route {
	enum it_route_kind rk;
	/* device side */
	char bdf[IT_BDF_LEN];		/* "" for a guest-only route */
	int entry;			/* MSI/MSI-X index, -1 unknown */
	const char *kind;		/* "msi", "msix", "ims", "ioapic", "other", "guest" */
	int irq;			/* host irq, -1 none */
	char name[IT_NAME_LEN];		/* handler name */
	char chip[IT_NAME_LEN];
	bool remapped;
	bool posted;			/* posted-interrupt IRTE set (kvm_pi_irte_update) */
	int cpu, vector, apicid;	/* -1 unknown */
	const char *cpu_src;		/* "snapshot", "event", "unknown" */
	const struct it_snap_irte *irte;	/* NULL unknown */
	/* owner */
	bool owner_vm;
	int owner_pid;
	char owner_name[IT_NAME_LEN];	/* VM name, or host driver */
	/* guest side */
	int vm_pid;			/* -1 for host-only */
	int gsi;			/* -1 for directly signalled MSIs */
	uint64_t msi_address;
	uint32_t msi_data;
	uint32_t dest;
	int guest_vector;		/* -1 unknown */
	const char *dest_mode, *delivery, *trigger;
	int eventfd;			/* -1 none */
	const char *source;		/* "snapshot", "ioctl", "iterator" (read at start), "signal", "observed" */
	int host_irq;			/* guest route: the host irq feeding it, -1 */
	/* statistics over the window */
	uint64_t count;			/* interrupts (host) or injections (guest) */
	double rate;			/* per second over the window */
	uint64_t snapshot_total;	/* host: /proc/interrupts total at start */
	struct it_hist lat;		/* host: handler time; guest: host irq -> injection */
	uint64_t lat_max;
	const char *lat_what;		/* "handler" / "irq->inject" */
	uint64_t accepted;		/* guest: vCPU APIC accepts of these injections */
	struct it_hist accept;		/* guest: injection -> APIC accept */
	struct it_changes changes;
	char unknown[192];		/* what is not known and why, "" */
	struct it_route_arm arm;	/* arm64: ITS translation and MSI doorbell */
	/* guest, from every-event recordings: the delivery path hop by hop,
	 * each from the host handler's entry */
	struct it_hist hop_irqfd;	/* -> irqfd_wakeup */
	struct it_hist hop_vcpu;	/* -> the vCPU's injection (kvm_inj_virq) */
	/* guest: the trap path that set this vector up, steps in order with
	 * their times (0: not seen); ntrap 0 when no chain was seen */
	struct it_trap_step {
		const char *what;
		uint64_t ts;
	} trap[IT_TRAP_STEPS];
	size_t ntrap;
};

struct it_model;

struct it_model *it_model_new(void);
void it_model_free(struct it_model *m);

/* Import the start-up state (the model keeps a reference: s must outlive m). */
void it_model_set_snapshot(struct it_model *m, const struct it_snapshot *s);
/* Hops that are blind on the kernel the data came from, for "unknown" reasons. */
void it_model_set_blind(struct it_model *m, bool irte, bool vfio, bool domain);
void it_model_event(struct it_model *m, const struct it_hdr *h);
/* A cumulative aggregate frame (replaces the previous one). */
void it_model_agg(struct it_model *m, const struct it_agg_frame *f);
/* The observation window used for rates (CLOCK_MONOTONIC ns). */
void it_model_set_window(struct it_model *m, uint64_t start, uint64_t end);
/* Reset counters (not topology): later counts start from the current aggregates. */
void it_model_reset_counts(struct it_model *m);

/* Build the route table (caller frees with free()).  Sorted: host routes by
 * BDF/entry/irq, then guest routes by VM pid/gsi. */
int it_model_routes(struct it_model *m, struct it_route **out, size_t *n);

struct it_model_stats {
	uint64_t events, unknown_events, lost;
	uint64_t irqs, vms;
	uint64_t first_ts, last_ts;
};
void it_model_stats(const struct it_model *m, struct it_model_stats *st);

/* VM table, for views. */
struct it_vm_info {
	int pid;
	char name[IT_NAME_LEN];
	unsigned int vcpus;
	unsigned int routes, irqfds, vfio_devices;
	uint64_t injections;
	bool from_snapshot;
	struct it_changes changes;	/* VM-level (failed ioctls, irqfd on unrouted gsi...) */
};
int it_model_vms(struct it_model *m, struct it_vm_info **out, size_t *n);

/* The most recent control-plane changes across all routes, newest last. */
size_t it_model_recent_changes(struct it_model *m, struct it_change *out, size_t max);

#endif
