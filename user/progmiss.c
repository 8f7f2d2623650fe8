// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "progmiss.h"

void it_prog_misses_add(struct it_prog_misses *m, struct bpf_object *obj)
{
	struct bpf_program *p;

	if (!obj)
		return;
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0)
			continue;	/* not loaded (autoload off on this kernel) */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.recursion_misses)
			continue;
		m->total += info.recursion_misses;
		m->nprogs++;
		if (info.recursion_misses > m->worst) {
			m->worst = info.recursion_misses;
			snprintf(m->worst_name, sizeof(m->worst_name), "%s", bpf_program__name(p));
		}
	}
}

const char *it_prog_misses_str(const struct it_prog_misses *m, char *buf, unsigned int len)
{
	if (!m->total) {
		if (len)
			buf[0] = 0;
		return buf;
	}
	snprintf(buf, len, "%llu hook runs skipped by the kernel's BPF recursion guard (%u program%s; most: %s, %llu)",
		 (unsigned long long)m->total, m->nprogs, m->nprogs == 1 ? "" : "s", m->worst_name,
		 (unsigned long long)m->worst);
	return buf;
}
