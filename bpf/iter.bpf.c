// SPDX-License-Identifier: GPL-2.0-only
/*
 * The start-up VM state reader: a task_file iterator, run once when a
 * session starts, that finds every KVM VM (an anon-inode "kvm-vm" file, its
 * private_data the struct kvm) and copies what only the kernel holds about
 * it: its GSI routing table (MSI entries: address, data, flags, devid) and
 * its irqfds (GSI and eventfd).  It also lists every eventfd file, so user
 * space can name an irqfd's eventfd by the VMM's fd number.  Records
 * (struct it_iter_rec) go to the iterator's seq file; user/iter.c reads
 * them, src/vmstate.c joins them.
 *
 * KVM is a module on distribution kernels and the checked-in vmlinux.h may
 * lack its types: they are the ___it flavors of kvm_core.bpf.h (shared with
 * full.bpf.c), relocated against the running kernel's (vmlinux or kvm
 * module) BTF.
 * Walks are bounded bpf_loop callbacks, so the verifier's work does not
 * grow with the table bounds.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "events_iter.h"
#include "kvm_core.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_iter_rec);
} iter_scratch SEC(".maps");

struct walk {
	struct seq_file *seq;
	__u64 kvm;
	__u64 table;
	__u64 map_off;
	__u64 link_off;
	__u64 head;		/* irqfds.items */
	__u64 node;		/* current list node */
	__u64 list_off;
	__u32 pid, fd, gsis, gsis_all;
	__u32 nall, nmsi, nirqfds, trunc;
	bool done;
};

/* What one kvm-vm file writes must fit the iterator's seq buffer (the
 * kernel's PAGE_SIZE << 3, 32 KiB with 4 KiB pages): past it the kernel
 * drops the whole object and the read fails with E2BIG.  Routes and irqfds
 * beyond this many records are counted as truncated instead; one record is
 * left for the VM's own. */
#define IT_ITER_SEQ_BYTES	32768
#define IT_ITER_OBJ_RECS	(IT_ITER_SEQ_BYTES / sizeof(struct it_iter_rec) - 1)

static __always_inline bool rec_room(const struct walk *w)
{
	return (__u64)w->nmsi + w->nirqfds < IT_ITER_OBJ_RECS;
}

static __always_inline struct it_iter_rec *rec_new(__u32 kind, const struct walk *w)
{
	__u32 k = 0;
	struct it_iter_rec *r = bpf_map_lookup_elem(&iter_scratch, &k);

	if (!r)
		return NULL;
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->pid = w->pid;
	r->fd = w->fd;
	r->kvm = w->kvm;
	return r;
}

static long route_cb(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct hlist_node *n = NULL;

	if (i >= w->gsis)
		return 1;
	if (bpf_probe_read_kernel(&n, sizeof(n), (void *)(w->table + w->map_off + (__u64)i * sizeof(void *))))
		return 1;
	for (int d = 0; d < IT_ITER_GSI_DEPTH && n; d++) {
		struct kvm_kernel_irq_routing_entry___it *e = (void *)((__u64)n - w->link_off);
		__u32 type = BPF_CORE_READ(e, type);

		w->nall++;
		if (type == KVM_IRQ_ROUTING_MSI && !rec_room(w)) {
			w->trunc++;
		} else if (type == KVM_IRQ_ROUTING_MSI) {
			struct it_iter_rec *r = rec_new(IT_ITER_ROUTE, w);

			if (!r)
				return 1;
			r->gsi = BPF_CORE_READ(e, gsi);
			r->type = type;
			r->address_lo = BPF_CORE_READ(e, msi.address_lo);
			r->address_hi = BPF_CORE_READ(e, msi.address_hi);
			r->data = BPF_CORE_READ(e, msi.data);
			r->flags = BPF_CORE_READ(e, msi.flags);
			r->devid = BPF_CORE_READ(e, msi.devid);
			if (bpf_seq_write(w->seq, r, sizeof(*r)))
				w->trunc++;
			else
				w->nmsi++;
		}
		n = BPF_CORE_READ(n, next);
	}
	if (n)
		w->trunc++;
	return 0;
}

static long irqfd_cb(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct kvm_kernel_irqfd___it *q;
	struct eventfd_ctx___it *ev;
	struct it_iter_rec *r;
	struct list_head *next = NULL;

	(void)i;
	if (!w->node || w->node == w->head) {
		w->done = true;
		return 1;
	}
	if (!rec_room(w)) {
		w->trunc++;
		goto next;
	}
	q = (void *)(w->node - w->list_off);
	r = rec_new(IT_ITER_IRQFD, w);
	if (!r)
		return 1;
	r->gsi = (__u32)BPF_CORE_READ(q, gsi);
	ev = (void *)BPF_CORE_READ(q, eventfd);
	r->ctx = (__u64)ev;
	if (ev)
		r->nr = (__u32)BPF_CORE_READ(ev, id);
	if (bpf_seq_write(w->seq, r, sizeof(*r)))
		w->trunc++;
	else
		w->nirqfds++;
next:
	if (bpf_probe_read_kernel(&next, sizeof(next), (void *)w->node))
		return 1;
	w->node = (__u64)next;
	return 0;
}

static __always_inline bool name_is(const char *got, const char *want, int len)
{
	for (int i = 0; i < len; i++)
		if (got[i] != want[i])
			return false;
	return true;
}

SEC("iter/task_file")
int it_vm_state(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct walk w = {};
	char name[12] = {};
	const unsigned char *nm;

	if (!task || !file)
		return 0;
	nm = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, sizeof(name), nm) < 0)
		return 0;
	w.seq = seq;
	w.pid = (__u32)BPF_CORE_READ(task, tgid);
	w.fd = ctx->fd;

	if (name_is(name, "[eventfd]", 10)) {
		struct eventfd_ctx___it *ev = (void *)BPF_CORE_READ(file, private_data);
		struct it_iter_rec *r = rec_new(IT_ITER_EVENTFD, &w);

		if (!r)
			return 0;
		r->ctx = (__u64)ev;
		if (ev)
			r->nr = (__u32)BPF_CORE_READ(ev, id);
		bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), task->comm);
		bpf_seq_write(seq, r, sizeof(*r));
		return 0;
	}
	if (!name_is(name, "kvm-vm", 7))
		return 0;

	struct kvm___it *kvm = (void *)BPF_CORE_READ(file, private_data);

	if (!kvm)
		return 0;
	w.kvm = (__u64)kvm;
	if (bpf_core_field_exists(kvm->irq_routing)) {
		struct kvm_irq_routing_table___it *t = BPF_CORE_READ(kvm, irq_routing);

		if (t) {
			w.table = (__u64)t;
			w.map_off = bpf_core_field_offset(struct kvm_irq_routing_table___it, map);
			w.link_off = bpf_core_field_offset(struct kvm_kernel_irq_routing_entry___it, link);
			w.gsis = BPF_CORE_READ(t, nr_rt_entries);
			w.gsis_all = w.gsis;
			if (w.gsis > IT_ITER_MAX_GSI) {
				w.trunc += w.gsis - IT_ITER_MAX_GSI;
				w.gsis = IT_ITER_MAX_GSI;
			}
			bpf_loop(IT_ITER_MAX_GSI, route_cb, &w, 0);
		}
	}
	w.head = (__u64)kvm + bpf_core_field_offset(struct kvm___it, irqfds.items);
	w.list_off = bpf_core_field_offset(struct kvm_kernel_irqfd___it, list);
	bpf_probe_read_kernel(&w.node, sizeof(w.node), (void *)w.head);
	bpf_loop(IT_ITER_MAX_IRQFDS, irqfd_cb, &w, 0);
	if (!w.done)
		w.trunc++;

	struct it_iter_rec *r = rec_new(IT_ITER_VM, &w);

	if (!r)
		return 0;
	r->nr = w.nall;
	r->nr_msi = w.nmsi;
	r->nr_irqfds = w.nirqfds;
	r->truncated = w.trunc;
	r->gsis = w.gsis_all;
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), task->comm);
	bpf_seq_write(seq, r, sizeof(*r));
	return 0;
}
