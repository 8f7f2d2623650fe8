// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the seed corpus of the trace-file fuzzer: small, valid .itr files
 * covering every section type, record sizes, lost records, unknown types and
 * sections, a newer minor, and a file without its index.  Deterministic
 * (fixed host facts and timestamps), so the committed outputs only change
 * when the format or the writer does.
 *
 *   mkcorpus DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tracefile.h"

static const char *dir;

__attribute__((noreturn)) static void die(const char *what, int e)
{
	fprintf(stderr, "mkcorpus: %s: %s\n", what, strerror(e < 0 ? -e : e));
	exit(1);
}

static void fixed_host(struct it_host *h, struct it_hook_info *hooks, char **argv)
{
	memset(h, 0, sizeof(*h));
	h->kernel_release = "6.1.0-27-amd64";
	h->boot_id = "3c5e0a54-96b2-4d8e-a8a1-0f6a4c2d9e11";
	h->hostname = "ci";
	h->machine = "x86_64";
	h->tool_version = "0.1.0";
	h->cpus_online = 4;
	h->cpus_possible = 8;
	h->clock_id = CLOCK_MONOTONIC;
	h->realtime_offset_ns = 1732230000000000000ll;
	h->start_ns = 1000000;
	hooks[0] = (struct it_hook_info){ "kvm:kvm_msi_set_irq", "inject", "tracepoint", true, "" };
	hooks[1] = (struct it_hook_info){ "intel_ir_set_vcpu_affinity", "irte", "kprobe", false,
					   "not in kallsyms" };
	argv[0] = "irqtrail";
	argv[1] = "record";
	argv[2] = "-o";
	argv[3] = "x.itr";
	h->argc = 4;
	h->argv = argv;
	h->hooks = hooks;
	h->nhooks = 2;
}

static struct it_tw *open_out(const char *name, struct it_tw_opts *o)
{
	char path[4096], err[256];
	struct it_host host;
	struct it_hook_info hooks[2];
	char *argv[4];
	struct it_tw *tw;

	fixed_host(&host, hooks, argv);
	o->host = &host;
	o->no_block_timer = true;
	o->no_fsync = true;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	tw = it_tw_open(path, o, err, sizeof(err));
	if (!tw) {
		fprintf(stderr, "mkcorpus: %s\n", err);
		exit(1);
	}
	return tw;
}

/* A record of type t and length len, payload derived from i. */
static void put(struct it_tw *tw, uint8_t t, uint16_t len, uint64_t ts, uint64_t i)
{
	union {
		struct it_hdr h;
		uint8_t b[512];
	} r;
	int e;

	memset(&r, 0, sizeof(r));
	r.h.ts = ts;
	r.h.type = t;
	r.h.version = 1;
	r.h.len = len;
	r.h.cpu = (uint16_t)(i % 4);
	r.h.flags = (uint8_t)(i & 1);
	r.h.pid = 4242;
	r.h.tid = 4242 + (uint32_t)(i % 3);
	for (size_t k = sizeof(r.h); k < len; k++)
		r.b[k] = (uint8_t)(k * 3 + i);
	if ((e = it_tw_write_event(tw, &r.h)))
		die("write_event", e);
}

/* Copies of 'from' without its index and footer, and cut inside its last section. */
static void cut_copies(const char *from, const char *noidx, const char *cut)
{
	char path[4096];
	unsigned char *buf;
	long size;
	uint64_t idx = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, from);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 48 || fseek(f, 0, SEEK_SET))
		die(from, errno);
	buf = malloc((size_t)size);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		die(from, EIO);
	fclose(f);
	/* footer payload (§7): u64 index offset at 16 bytes from the end */
	for (int i = 7; i >= 0; i--)
		idx = idx << 8 | buf[size - 16 + i];
	if (idx >= (uint64_t)size)
		die("footer", EINVAL);
	snprintf(path, sizeof(path), "%s/%s", dir, noidx);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, idx, f) != idx || fclose(f))
		die(noidx, errno);
	snprintf(path, sizeof(path), "%s/%s", dir, cut);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, idx - 20, f) != idx - 20 || fclose(f))
		die(cut, errno);
	free(buf);
}

static void done(struct it_tw *tw)
{
	int e = it_tw_close(tw);

	if (e)
		die("close", e);
}

int main(int argc, char **argv)
{
	static const struct {
		uint8_t t;
		uint16_t len;
	} types[] = {
		{ IT_EV_IRQ_ENTRY, sizeof(struct it_irq_entry) },
		{ IT_EV_IRQ_EXIT, sizeof(struct it_irq_exit) },
		{ IT_EV_VECTOR_UPDATE, sizeof(struct it_vector) },
		{ IT_EV_KVM_MSI, sizeof(struct it_kvm_msi) },
		{ IT_EV_KVM_PI_IRTE, sizeof(struct it_kvm_pi_irte) },
		{ IT_EV_IOCTL_IRQFD, sizeof(struct it_ioctl_irqfd) },
		{ IT_EV_IOCTL_GSI_ROUTE, sizeof(struct it_ioctl_gsi_route) },
	};
	struct it_tw_opts o;
	struct it_tw *tw;
	uint64_t ts = 5000000;

	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	dir = argv[1];

	/* 1: header and host facts only */
	memset(&o, 0, sizeof(o));
	done(open_out("host-only.itr", &o));

	/* 2: snapshot, mixed records in small blocks, aggregates, lost counts */
	memset(&o, 0, sizeof(o));
	o.block_records = 8;
	tw = open_out("mixed.itr", &o);
	if (it_tw_write_section(tw, IT_SECT_SNAP, ts, "irq 45 msi 0000:01:00.0 cpu 2", 30))
		die("snapshot", EIO);
	for (uint64_t i = 0; i < 40; i++) {
		put(tw, types[i % 7].t, types[i % 7].len, ts, i);
		ts += 1000 + (i % 5) * 37;
		if (i == 17) {
			it_tw_write_lost(tw, ts, 3);
			it_tw_write_aggregate(tw, ts, "\x01\x00\x00\x00hist", 8);
		}
	}
	it_tw_write_aggregate(tw, ts, "\x02\x00\x00\x00", 4);
	done(tw);
	cut_copies("mixed.itr", "no-index.itr", "cut.itr");

	/* 3: one block of one data-plane type (the repetitive case) */
	memset(&o, 0, sizeof(o));
	tw = open_out("kvm-msi.itr", &o);
	for (uint64_t i = 0; i < 64; i++)
		put(tw, IT_EV_KVM_MSI, sizeof(struct it_kvm_msi), ts + i * 900, i % 4);
	done(tw);

	/* 4: unknown record types and an unknown section, longer-than-struct records */
	memset(&o, 0, sizeof(o));
	o.block_records = 6;
	tw = open_out("unknown.itr", &o);
	for (uint64_t i = 0; i < 20; i++) {
		if (i % 4 == 1)
			put(tw, 255, 40, ts, i);
		else
			put(tw, IT_EV_KVM_MSI, (uint16_t)(sizeof(struct it_kvm_msi) + (i % 3) * 8), ts, i);
		ts += 500;
		if (i == 9)
			it_tw_write_section(tw, 0x1234, ts, "from a newer minor", 18);
	}
	done(tw);

	/* 5: a newer minor version */
	memset(&o, 0, sizeof(o));
	o.format_major = 1;
	o.format_minor = 3;
	o.block_records = 5;
	tw = open_out("minor-1.3.itr", &o);
	for (uint64_t i = 0; i < 12; i++)
		put(tw, types[i % 7].t, types[i % 7].len, ts + i, i);
	done(tw);

	/* 6: timestamps going backwards and a cpu/pid at their limits */
	memset(&o, 0, sizeof(o));
	o.block_records = 4;
	tw = open_out("backwards.itr", &o);
	for (uint64_t i = 0; i < 10; i++)
		put(tw, IT_EV_IRQ_EXIT, sizeof(struct it_irq_exit), (i & 1) ? ts - i * 100000 : ts + (i << 40), i);
	done(tw);
	return 0;
}
