// SPDX-License-Identifier: GPL-2.0-only
/*
 * The messages devices hold at start: each PCI device's MSI capability
 * (config space) and MSI-X table (read through its sysfs BAR mapping),
 * turned into msi_write records flagged IT_MSI_F_SNAPSHOT.  With them the
 * model joins interrupts set up before irqtrail started to their IRTEs
 * (the remappable handle is in the message), as it does for later writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "msitable.h"

#define PCI_CAP_MSI 0x05
#define PCI_CAP_MSIX 0x11

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int find_cap(const uint8_t *cfg, size_t n, uint8_t id)
{
	if (n < 0x40 || !(le16(cfg + 6) & 0x10))	/* status: capability list */
		return -1;
	unsigned int p = cfg[0x34] & ~3u;
	for (int i = 0; i < 48 && p >= 0x40 && p + 16 <= n; i++) {
		if (cfg[p] == id)
			return (int)p;
		p = cfg[p + 1] & ~3u;
	}
	return -1;
}

static void emit(const struct it_snapshot *s, const struct it_pci_dev *d, int irq, uint32_t entry, bool msix,
		 uint32_t lo, uint32_t hi, uint32_t data, uint64_t ts, it_msi_fn fn, void *ctx)
{
	struct it_msi_msg m;
	unsigned int seg, bus, dev, f;

	(void)s;
	if (sscanf(d->bdf, "%x:%x:%x.%x", &seg, &bus, &dev, &f) != 4)
		return;
	memset(&m, 0, sizeof(m));
	m.h.ts = ts;
	m.h.type = IT_EV_MSI_WRITE;
	m.h.version = 1;
	m.h.len = sizeof(m);
	m.irq = (uint32_t)irq;
	m.address_lo = lo;
	m.address_hi = hi;
	m.data = data;
	m.msi_index = entry;
	m.segment = (uint16_t)seg;
	m.bus = (uint8_t)bus;
	m.devfn = (uint8_t)((dev << 3) | f);
	m.flags = IT_MSI_F_BDF | IT_MSI_F_INDEX | IT_MSI_F_SNAPSHOT | (msix ? IT_MSI_F_MSIX : 0);
	fn(ctx, &m.h);
}

int it_msi_tables_read(const struct it_snapshot *s, uint64_t ts, it_msi_fn fn, void *ctx)
{
	int n = 0;

	for (size_t i = 0; i < s->npci; i++) {
		const struct it_pci_dev *d = &s->pci[i];
		uint8_t cfg[256];
		char path[256];
		int fd, cap;
		ssize_t len;

		if (!d->nmsi)
			continue;
		snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/config", s->root, d->bdf);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = pread(fd, cfg, sizeof(cfg), 0);
		close(fd);
		if (len < 0x40)
			continue;
		/* MSI: the message sits in config space (vector 0; multi-MSI adds the index to data) */
		cap = find_cap(cfg, (size_t)len, PCI_CAP_MSI);
		if (cap >= 0 && (le16(cfg + cap + 2) & 1)) {
			bool is64 = le16(cfg + cap + 2) & 0x80;
			uint32_t lo = le32(cfg + cap + 4), hi = is64 ? le32(cfg + cap + 8) : 0;
			uint32_t data = le16(cfg + cap + (is64 ? 12 : 8));
			uint32_t k = 0;
			for (size_t q = 0; q < d->nmsi; q++)
				if (d->msi[q].mode == IT_IRQ_MSI) {
					emit(s, d, d->msi[q].irq, k, false, lo, hi, data + k, ts, fn, ctx);
					k++;
					n++;
				}
		}
		/* MSI-X: the table is in a memory BAR; read it only with memory decoding on */
		cap = find_cap(cfg, (size_t)len, PCI_CAP_MSIX);
		if (cap < 0 || !(le16(cfg + cap + 2) & 0x8000) || !(le16(cfg + 4) & 0x2))
			continue;
		uint32_t nent = (le16(cfg + cap + 2) & 0x7ff) + 1, tbl = le32(cfg + cap + 4);
		uint32_t bir = tbl & 7, off = tbl & ~7u;
		long pg = sysconf(_SC_PAGESIZE);
		size_t base = off & ~((size_t)pg - 1), span = (off - base) + (size_t)nent * 16;
		snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/resource%u", s->root, d->bdf, bir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		const volatile uint8_t *map = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, (off_t)base);
		close(fd);
		if (map == MAP_FAILED)
			continue;
		for (size_t q = 0; q < s->nirqs; q++) {
			const struct it_irq *r = &s->irqs[q];
			if (strcmp(r->bdf, d->bdf) || r->kind != IT_IRQ_MSIX || r->msi_entry < 0 ||
			    (uint32_t)r->msi_entry >= nent)
				continue;
			const volatile uint32_t *e = (const volatile uint32_t *)(map + (off - base) + 16u * (uint32_t)r->msi_entry);
			uint32_t lo = e[0], hi = e[1], data = e[2];
			if (lo == 0xffffffffu && data == 0xffffffffu)
				continue;	/* the device did not answer */
			emit(s, d, r->irq, (uint32_t)r->msi_entry, true, lo, hi, data, ts, fn, ctx);
			n++;
		}
		munmap((void *)map, span);
	}
	return n;
}
