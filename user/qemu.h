/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMM user-space tier: uprobes on QEMU's exported KVM routing API
 * (kvm_irqchip_add_msi_route / update_msi_route / commit_routes), attached
 * to every QEMU binary found (running QEMU processes' executables, the
 * usual install paths, $IRQTRAIL_QEMU), for all processes of that binary or
 * only the traced pid.
 */
#ifndef IRQTRAIL_QEMU_H
#define IRQTRAIL_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "hooks.h"

struct it_qemu;

/* Hooks of this tier are catalogue entries with hop "vmm-uprobe". */
bool it_qemu_is_hook(const struct it_hook *h);

/* Plan (doctor, and before attaching): which binary exports the symbol. */
void it_qemu_plan(const struct it_features *f, pid_t pid, struct it_hook_status *s);

/* Attach every planned uprobe; the events go to the main ring buffer.
 * Returns the number of hooks attached (>= 0) and fills their status. */
int it_qemu_attach(struct it_qemu **out, int events_fd, int counters_fd, pid_t pid, struct it_hook_status *st,
		   size_t n);
void it_qemu_close(struct it_qemu *q);
struct it_prog_misses;
/* Add the uprobes' skipped runs (progmiss.h) to m. */
void it_qemu_prog_misses(const struct it_qemu *q, struct it_prog_misses *m);

/* The exported symbols of an ELF file's .dynsym: does it define name?
 * 1 yes, 0 no, < 0 error (not ELF, unreadable). */
int it_elf_exports(const char *path, const char *name);

#endif
