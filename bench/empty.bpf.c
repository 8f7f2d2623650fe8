// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of the benchmark: a BPF program that does nothing, attached by
 * bench-attach to every tracepoint irqtrail attaches.  What it adds to an
 * event is the price of having a BPF program on the tracepoint at all
 * (tracepoint dispatch, the BPF run-time wrapper, the syscall-tracepoint slow
 * path for sys_enter/exit_ioctl); anything irqtrail adds beyond it is
 * irqtrail's own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint")
int bench_empty(void *ctx)
{
	return 0;
}
