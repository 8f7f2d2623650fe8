// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loader and reader of the start-up VM state iterator.  See iter.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "iter.h"
#include "iter.skel.h"

struct it_iter {
	struct iter_bpf *skel;
	struct bpf_link *link;
	char status[256];
};

/* Does the kernel's BTF (vmlinux, else the kvm module's) describe KVM's irqfd?
 * Without it the iterator's relocations cannot resolve. */
static bool kvm_in_btf(void)
{
	struct btf *v = btf__load_vmlinux_btf(), *m;
	bool ok;

	if (!v)
		return true;	/* let the load say what is wrong */
	ok = btf__find_by_name_kind(v, "kvm_kernel_irqfd", BTF_KIND_STRUCT) > 0;
	if (!ok && (m = btf__load_module_btf("kvm", v))) {
		ok = btf__find_by_name_kind(m, "kvm_kernel_irqfd", BTF_KIND_STRUCT) > 0;
		btf__free(m);
	}
	btf__free(v);
	return ok;
}

int it_iter_open(struct it_iter **out, char *reason, size_t len)
{
	struct it_iter *it = calloc(1, sizeof(*it));
	int ret;

	*out = NULL;
	if (!it)
		return -ENOMEM;
	if (!kvm_in_btf()) {
		snprintf(reason, len, "KVM's types are not in the kernel's BTF (KVM not built, or the kvm module not "
				      "loaded): no VM to read");
		free(it);
		return -ENOENT;
	}
	it->skel = iter_bpf__open();
	if (!it->skel) {
		ret = -errno;
		snprintf(reason, len, "cannot open the iterator object: %s", strerror(-ret));
		goto fail;
	}
	ret = iter_bpf__load(it->skel);
	if (ret) {
		/* no BPF_TRACE_ITER (before 5.8), no task_file target, or the
		 * kernel's BTF lacks KVM's types (KVM not built or not loaded) */
		snprintf(reason, len, "cannot load the task_file iterator: %s%s", strerror(-ret),
			 ret == -EINVAL || ret == -EOPNOTSUPP || ret == -ESRCH || ret == -ENOENT ?
				 " (BPF iterators with bpf_loop need Linux 5.17+, and KVM's types in the kernel's BTF)" : "");
		goto fail;
	}
	it->link = bpf_program__attach_iter(it->skel->progs.it_vm_state, NULL);
	if (!it->link) {
		ret = -errno;
		snprintf(reason, len, "cannot attach the task_file iterator: %s", strerror(-ret));
		goto fail;
	}
	snprintf(reason, len, "attached: read once at start");
	*out = it;
	return 0;
fail:
	it_iter_close(it);
	return ret < 0 ? ret : -EINVAL;
}

int it_iter_read(struct it_iter *it, uint64_t ts, it_vmstate_fn fn, void *ctx, struct it_vmstate_counts *c)
{
	struct it_iter_rec *recs = NULL;
	size_t n = 0, cap = 0, have = 0;
	char *buf = NULL;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	if (!it)
		return -EOPNOTSUPP;
	fd = bpf_iter_create(bpf_link__fd(it->link));
	if (fd < 0) {
		ret = -errno;
		snprintf(it->status, sizeof(it->status), "iterator not run: %s", strerror(-ret));
		return ret;
	}
	for (;;) {
		if (have + 65536 > cap) {
			size_t nc = cap ? cap * 2 : 1 << 17;
			char *nb = realloc(buf, nc);
			if (!nb) {
				ret = -ENOMEM;
				snprintf(it->status, sizeof(it->status), "iterator read failed: %s", strerror(-ret));
				goto out;
			}
			buf = nb;
			cap = nc;
		}
		ssize_t r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			snprintf(it->status, sizeof(it->status), "iterator read failed: %s", strerror(-ret));
			goto out;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	n = have / sizeof(*recs);
	recs = (struct it_iter_rec *)buf;	/* realloc'd memory is suitably aligned */
	buf = NULL;
	ret = it_vmstate_emit(recs, n, ts, fn, ctx, c);
	if (ret >= 0)
		snprintf(it->status, sizeof(it->status),
			 "read %u VM%s (%u process%s): %u MSI routes of %u entries, %u irqfds (%u with the eventfd closed)%s",
			 c->vms, c->vms == 1 ? "" : "s", c->procs, c->procs == 1 ? "" : "es", c->routes, c->entries,
			 c->irqfds, c->irqfds_unnamed, c->truncated ? ", some entries not copied" : "");
out:
	free(buf);
	free(recs);
	close(fd);
	return ret;
}

const char *it_iter_status(const struct it_iter *it)
{
	return it ? it->status : "";
}

void it_iter_close(struct it_iter *it)
{
	if (!it)
		return;
	bpf_link__destroy(it->link);
	iter_bpf__destroy(it->skel);
	free(it);
}
