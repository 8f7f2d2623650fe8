// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMM side of the routing: uprobes on QEMU's exported KVM routing API
 * (HOOKS.md section 6; Debian's QEMU is stripped but exports these in
 * .dynsym).  The loader (user/qemu.c) attaches them to each QEMU binary it
 * finds, for every process of that binary, and shares the ring buffer and
 * counters of the main object.  Arguments, x86-64 SysV (checked by
 * disassembly of QEMU 7.2):
 *   kvm_irqchip_add_msi_route(KVMRouteChange *c, int vector, PCIDevice *dev) -> virq
 *   kvm_irqchip_update_msi_route(KVMState *s, int virq, MSIMessage msg, PCIDevice *dev)
 *       MSIMessage {u64 address; u32 data} is passed in rdx:ecx, dev in r8
 *   kvm_irqchip_commit_routes(KVMState *s)
 */
#include "common.bpf.h"
#include "events_qemu.h"

char LICENSE[] SEC("license") = "GPL";

struct add_args {
	__u64 ts;
	__u64 dev;
	__u32 vector;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);		/* tid */
	__type(value, struct add_args);
} qemu_add SEC(".maps");

static __always_inline bool traced(void)
{
	return !cfg_tgid || (bpf_get_current_pid_tgid() >> 32) == cfg_tgid;
}

static __always_inline void emit(__u8 type, __s32 virq, __u32 vector, __u64 address, __u32 data, __u64 dev,
				 __u64 ts, __u64 duration)
{
	struct it_qemu_route *e = ev_reserve(sizeof(*e));

	if (!e)
		return;
	ev_hdr(&e->h, type, sizeof(*e), 0, ts);
	e->virq = virq;
	e->vector = vector;
	e->address = address;
	e->data = data;
	e->pad = 0;
	e->dev = dev;
	e->duration = duration;
	ev_submit(e, false);
}

SEC("uprobe")
int BPF_KPROBE(qemu_add_msi_route, void *c, int vector, void *dev)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct add_args a = { .ts = bpf_ktime_get_ns(), .dev = (__u64)dev, .vector = (__u32)vector };

	if (traced())
		bpf_map_update_elem(&qemu_add, &tid, &a, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(qemu_add_msi_route_ret, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct add_args *a = bpf_map_lookup_elem(&qemu_add, &tid);
	__u64 now = bpf_ktime_get_ns();

	if (!a)
		return 0;
	emit(IT_EV_QEMU_ADD_MSI_ROUTE, ret, a->vector, 0, 0, a->dev, a->ts, now - a->ts);
	bpf_map_delete_elem(&qemu_add, &tid);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(qemu_update_msi_route, void *s, int virq, __u64 address, __u32 data, void *dev)
{
	if (traced())
		emit(IT_EV_QEMU_UPDATE_MSI_ROUTE, virq, 0, address, data, (__u64)dev, bpf_ktime_get_ns(), 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(qemu_commit_routes, void *s)
{
	if (traced())
		emit(IT_EV_QEMU_COMMIT_ROUTES, 0, 0, 0, 0, 0, bpf_ktime_get_ns(), 0);
	return 0;
}
