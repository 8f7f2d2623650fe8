// SPDX-License-Identifier: GPL-2.0-only
/* The start-up read of devices' MSI capability and MSI-X table, on a
 * synthetic sysfs tree (config space and a BAR file with a table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "msitable.h"

struct got {
	struct it_msi_msg m[8];
	int n;
};

static int collect(void *ctx, const struct it_hdr *h)
{
	struct got *g = ctx;

	assert_int_equal(h->type, IT_EV_MSI_WRITE);
	assert_int_equal(h->len, sizeof(struct it_msi_msg));
	if (g->n < 8)
		memcpy(&g->m[g->n++], h, sizeof(struct it_msi_msg));
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* A device with an MSI-X capability (4 entries, table in BAR 2 at 0x2000)
 * and entries 1 and 3 programmed; irqs 40 and 41 are its entries 1 and 3. */
static void test_msix_table(void **state)
{
	char root[] = "/tmp/irqtrail-msit.XXXXXX", path[256];
	uint8_t cfg[256] = { 0 }, bar[0x3000];
	struct it_snapshot s;
	struct it_pci_dev dev;
	struct it_msi_irq mi[2] = { { 40, IT_IRQ_MSIX }, { 41, IT_IRQ_MSIX } };
	struct it_irq irqs[2];
	struct got g = { 0 };

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:03.0", root);
	for (char *p = path + strlen(root) + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(path, 0700);
			*p = '/';
		}
	mkdir(path, 0700);
	put16(cfg + 4, 0x0006);		/* command: memory + bus master */
	put16(cfg + 6, 0x0010);		/* status: capability list */
	cfg[0x34] = 0x50;
	cfg[0x50] = 0x11;			/* MSI-X */
	cfg[0x51] = 0x00;
	put16(cfg + 0x52, 0x8000 | 3);		/* enabled, 4 entries */
	put32(cfg + 0x54, 0x2000 | 2);		/* table at 0x2000 in BAR 2 */
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/config");
	write_file(path, cfg, sizeof(cfg));
	memset(bar, 0xab, sizeof(bar));
	put32(bar + 0x2000 + 16 * 1 + 0, 0xfee00210);	/* remappable, handle 16 */
	put32(bar + 0x2000 + 16 * 1 + 4, 0);
	put32(bar + 0x2000 + 16 * 1 + 8, 0);
	put32(bar + 0x2000 + 16 * 3 + 0, 0xfee01000);	/* compat: dest 1 */
	put32(bar + 0x2000 + 16 * 3 + 4, 0);
	put32(bar + 0x2000 + 16 * 3 + 8, 0x4041);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:03.0/resource2", root);
	write_file(path, bar, sizeof(bar));

	memset(&s, 0, sizeof(s));
	memset(&dev, 0, sizeof(dev));
	memset(irqs, 0, sizeof(irqs));
	s.root = root;
	snprintf(dev.bdf, sizeof(dev.bdf), "0000:00:03.0");
	dev.msi = mi;
	dev.nmsi = 2;
	s.pci = &dev;
	s.npci = 1;
	for (int i = 0; i < 2; i++) {
		irqs[i].irq = 40 + i;
		irqs[i].kind = IT_IRQ_MSIX;
		irqs[i].msi_entry = 1 + 2 * i;
		snprintf(irqs[i].bdf, sizeof(irqs[i].bdf), "0000:00:03.0");
	}
	s.irqs = irqs;
	s.nirqs = 2;

	assert_int_equal(it_msi_tables_read(&s, 777, collect, &g), 2);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.m[0].irq, 40);
	assert_int_equal(g.m[0].msi_index, 1);
	assert_int_equal(g.m[0].address_lo, 0xfee00210);
	assert_int_equal(g.m[0].h.ts, 777);
	assert_int_equal(g.m[0].bus, 0);
	assert_int_equal(g.m[0].devfn, 0x18);
	assert_true(g.m[0].flags & IT_MSI_F_SNAPSHOT);
	assert_true(g.m[0].flags & IT_MSI_F_MSIX);
	assert_int_equal(g.m[1].irq, 41);
	assert_int_equal(g.m[1].msi_index, 3);
	assert_int_equal(g.m[1].data, 0x4041);

	/* memory decoding off: the table is not read */
	put16(cfg + 4, 0x0004);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:03.0/config", root);
	write_file(path, cfg, sizeof(cfg));
	g.n = 0;
	assert_int_equal(it_msi_tables_read(&s, 1, collect, &g), 0);
	assert_int_equal(g.n, 0);

	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msix_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
