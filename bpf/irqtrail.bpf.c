// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail's tracepoint tier: one object (one ring buffer, one set of
 * aggregates) made of the hook families below.  The loader turns off, per
 * program, what the running kernel lacks.
 */
#include "common.bpf.h"
#include "host_irq.bpf.h"
#include "kvm.bpf.h"
#include "vmm_ioctl.bpf.h"

char LICENSE[] SEC("license") = "GPL";
