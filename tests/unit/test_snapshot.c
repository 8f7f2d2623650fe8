// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the start-up snapshot readers (src/snapshot.c), run on the
 * fixture trees in tests/fixtures (captured lab/CI machines and synthetic
 * trees, see tests/fixtures/README.md) and, for structure only, on the live
 * system.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "snapshot.h"

#ifndef TEST_FIXTURES
#error "TEST_FIXTURES must name the tests/fixtures directory"
#endif

#define FX(x) TEST_FIXTURES "/" x

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const struct it_irq *irq_or_fail(const struct it_snapshot *s, int irq)
{
	const struct it_irq *q = it_snapshot_irq(s, irq);

	if (!q)
		fail_msg("irq %d not in snapshot", irq);
	return q;
}

static const struct it_vmm *vmm_by_pid(const struct it_snapshot *s, int pid)
{
	for (size_t i = 0; i < s->nvmms; i++)
		if (s->vmms[i].pid == pid)
			return &s->vmms[i];
	fail_msg("pid %d not found", pid);
	return NULL;
}

static const struct it_vmm_fd *vmm_fd(const struct it_vmm *v, int fd)
{
	for (size_t i = 0; i < v->nfds; i++)
		if (v->fds[i].fd == fd)
			return &v->fds[i];
	return NULL;
}

static const struct it_snap_irte *irte_at(const struct it_snap_irte_table *t, const char *iommu,
				     uint32_t index, bool posted)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].index == index && t->e[i].posted == posted &&
		    (!iommu || !strcmp(t->e[i].iommu, iommu)))
			return &t->e[i];
	fail_msg("irte %s/%u (posted=%d) missing", iommu ? iommu : "-", index, posted);
	return NULL;
}

/* ---- pure parsers ---------------------------------------------------------- */

static void test_vfio_names(void **state)
{
	char bdf[16] = "unchanged";
	int entry = -7, msix = -7;

	(void)state;
	assert_int_equal(it_parse_vfio_irq_name("vfio-msix[0](0000:00:03.0)", &entry, bdf, &msix), 0);
	assert_int_equal(entry, 0);
	assert_int_equal(msix, 1);
	assert_string_equal(bdf, "0000:00:03.0");

	assert_int_equal(it_parse_vfio_irq_name("vfio-msi[13](0000:65:1F.7)", &entry, bdf, &msix), 0);
	assert_int_equal(entry, 13);
	assert_int_equal(msix, 0);
	assert_string_equal(bdf, "0000:65:1f.7");	/* normalised */

	assert_int_equal(it_parse_vfio_irq_name("vfio-msix[2](10000:00:01.0)", &entry, bdf, NULL), 0);
	assert_string_equal(bdf, "10000:00:01.0");

	entry = -7;
	strcpy(bdf, "unchanged");
	assert_int_equal(it_parse_vfio_irq_name("vfio-msix[0](0000:00:03.0", &entry, bdf, &msix), -1);
	assert_int_equal(it_parse_vfio_irq_name("vfio-msix[](0000:00:03.0)", &entry, bdf, &msix), -1);
	assert_int_equal(it_parse_vfio_irq_name("vfio-msix[1](00:03.0)", &entry, bdf, &msix), -1);
	assert_int_equal(it_parse_vfio_irq_name("vfio-msix[1](0000:00:03.0)x", &entry, bdf, &msix), -1);
	assert_int_equal(it_parse_vfio_irq_name("vfio-msix[1](0000:00:20.0)", &entry, bdf, &msix), -1);
	assert_int_equal(it_parse_vfio_irq_name("vfio-msix[99999999999](0000:00:03.0)", &entry, bdf, &msix), -1);
	assert_int_equal(it_parse_vfio_irq_name("virtio2-input.0", &entry, bdf, &msix), -1);
	assert_int_equal(it_parse_vfio_irq_name("vfio-intx(0000:00:03.0)", &entry, bdf, &msix), -1);
	assert_int_equal(it_parse_vfio_irq_name(NULL, &entry, bdf, &msix), -1);
	assert_int_equal(entry, -7);
	assert_string_equal(bdf, "unchanged");

	assert_int_equal(it_parse_vfio_intx_name("vfio-intx(0000:00:03.0)", bdf), 0);
	assert_string_equal(bdf, "0000:00:03.0");
	assert_int_equal(it_parse_vfio_intx_name("vfio-intx(0000:00:03.0", bdf), -1);
}

static void test_cpulists(void **state)
{
	struct it_cpumask m = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(it_cpulist_parse("0-3,8,10-11\n", &m), 0);
	assert_int_equal(it_cpumask_weight(&m), 7);
	assert_true(it_cpumask_test(&m, 0) && it_cpumask_test(&m, 3) && it_cpumask_test(&m, 8));
	assert_false(it_cpumask_test(&m, 4) || it_cpumask_test(&m, 9) || it_cpumask_test(&m, 12));
	assert_int_equal(it_cpulist_format(&m, buf, sizeof(buf)), (int)strlen("0-3,8,10-11"));
	assert_string_equal(buf, "0-3,8,10-11");

	assert_int_equal(it_cpulist_parse("0-1023", &m), 0);
	assert_int_equal(it_cpumask_weight(&m), 1024);
	assert_int_equal(it_cpulist_parse("1023,4095", &m), 0);
	assert_int_equal(it_cpumask_weight(&m), 2);
	assert_int_equal(it_cpumask_first(&m), 1023);
	assert_int_equal(it_cpumask_next(&m, 1023), 4095);
	assert_int_equal(it_cpumask_next(&m, 4095), -1);

	assert_int_equal(it_cpulist_parse("\n", &m), 0);
	assert_int_equal(it_cpumask_weight(&m), 0);
	assert_int_equal(it_cpumask_first(&m), -1);
	assert_int_equal(it_cpulist_parse("(null)\n", &m), 0);
	assert_int_equal(it_cpumask_weight(&m), 0);

	assert_int_equal(it_cpulist_parse("3-1", &m), -EINVAL);
	assert_int_equal(it_cpulist_parse("a", &m), -EINVAL);
	assert_int_equal(it_cpulist_parse("1,,2", &m), -EINVAL);
	assert_int_equal(it_cpulist_parse("99999999", &m), -ERANGE);

	assert_int_equal(it_cpumask_parse_hex("00000001,00000000\n", &m), 0);
	assert_int_equal(it_cpumask_weight(&m), 1);
	assert_true(it_cpumask_test(&m, 32));
	assert_int_equal(it_cpumask_parse_hex("f0000000,00000000,00000000", &m), 0);
	assert_int_equal(it_cpumask_weight(&m), 4);
	assert_int_equal(it_cpumask_first(&m), 92);
	assert_int_equal(it_cpumask_parse_hex("ff", &m), 0);
	assert_int_equal(it_cpulist_format(&m, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "0-7");
	assert_int_equal(it_cpumask_parse_hex("fg", &m), -EINVAL);
	it_cpumask_free(&m);
}

static void test_interrupt_line_variants(void **state)
{
	static const char text[] =
		"           CPU0       CPU1       CPU4       \n"
		" 11:      12345      12346          1     GICv3  27 Level     arch_timer\n"
		" 50:          0          0          0 ITS-PCI-MSIX-0000:00:03.0   0 Edge      virtio0-config\n"
		" 51:          3          0          0   ITS-MSI 524288 Edge      eth0\n"
		" 60:          0          0          0  IR-PCI-MSI 327680-edge      xhci_hcd\n"
		" 61:          1          2          3  IR-PCI-MSIX-0000:65:00.0   5-edge      mlx5_comp0@pci:0000:65:00.0, other\n"
		" 62:          0          0          0  IR-PCI-MSI-0000:00:1f.6    0-edge      vfio-msi[0](0000:00:1f.6)\n"
		" 63:          0          0          0  INTEL-IR   0-edge      \n"
		"IPI0:       100        200        300       Rescheduling interrupts\n"
		"Err:          0\n";
	struct it_snapshot s = { 0 };
	const struct it_irq *q;
	const struct it_arch_irq *a;

	(void)state;
	assert_int_equal(it_interrupts_parse(&s, text), 0);
	assert_int_equal(s.ncpus, 3);
	assert_int_equal(s.cpu_ids[2], 4);
	assert_int_equal(s.nirqs, 7);

	q = irq_or_fail(&s, 11);
	assert_string_equal(q->chip, "GICv3");
	assert_true(q->has_hwirq);
	assert_int_equal(q->hwirq, 27);
	assert_int_equal(q->trigger, IT_TRIG_LEVEL);
	assert_string_equal(q->handler, "arch_timer");
	assert_int_equal(q->kind, IT_IRQ_OTHER);
	assert_int_equal(it_irq_count_on_cpu(&s, q, 4), 1);
	assert_int_equal(it_irq_count_on_cpu(&s, q, 1), 12346);
	assert_int_equal(it_irq_count_on_cpu(&s, q, 2), 0);
	assert_int_equal(q->total, 24692);

	q = irq_or_fail(&s, 50);
	assert_true(q->its);
	assert_false(q->remapped);
	assert_int_equal(q->kind, IT_IRQ_MSIX);
	assert_string_equal(q->bdf, "0000:00:03.0");
	assert_int_equal(q->msi_entry, 0);
	assert_int_equal(q->trigger, IT_TRIG_EDGE);

	/* one global PCI/MSI domain: BDF and entry are encoded in the hwirq */
	q = irq_or_fail(&s, 51);
	assert_int_equal(q->hwirq, 524288);
	assert_string_equal(q->bdf, "0000:01:00.0");
	assert_int_equal(q->msi_entry, 0);
	assert_int_equal(q->kind, IT_IRQ_MSI);
	q = irq_or_fail(&s, 60);
	assert_string_equal(q->bdf, "0000:00:14.0");
	assert_true(q->remapped);
	assert_string_equal(q->flow, "edge");

	q = irq_or_fail(&s, 61);
	assert_string_equal(q->handler, "mlx5_comp0@pci:0000:65:00.0, other");
	assert_int_equal(q->msi_entry, 5);
	assert_string_equal(q->bdf, "0000:65:00.0");
	assert_false(q->vfio);

	q = irq_or_fail(&s, 62);
	assert_true(q->vfio);
	assert_false(q->vfio_msix);
	assert_int_equal(q->vfio_entry, 0);
	assert_string_equal(q->vfio_bdf, "0000:00:1f.6");
	assert_int_equal(q->kind, IT_IRQ_MSI);

	q = irq_or_fail(&s, 63);
	assert_true(q->remapped);
	assert_string_equal(q->handler, "");

	a = it_snapshot_arch(&s, "IPI0");
	assert_non_null(a);
	assert_int_equal(a->ncounts, 3);
	assert_int_equal(a->counts[2], 300);
	assert_string_equal(a->desc, "Rescheduling interrupts");
	a = it_snapshot_arch(&s, "Err");
	assert_non_null(a);
	assert_int_equal(a->ncounts, 1);
	assert_string_equal(a->desc, "");

	assert_int_equal(it_interrupts_parse(&s, "no header here\n 1: 2 3 x\n"), -EINVAL);
	it_snapshot_free(&s);
}

/* The lab captures keep the serial console's CRLF line ends. */
static void test_parse_captured_crlf(void **state)
{
	char *text = read_text(FX("lab-intel-6.12/proc_interrupts.txt"));
	struct it_snapshot s = { 0 };
	const struct it_irq *q;

	(void)state;
	assert_non_null(strchr(text, '\r'));
	assert_int_equal(it_interrupts_parse(&s, text), 0);
	assert_int_equal(s.ncpus, 2);
	assert_int_equal(s.nirqs, 12);
	q = irq_or_fail(&s, 27);
	assert_string_equal(q->handler, "vfio-msix[2](0000:00:03.0)");
	assert_true(q->vfio);
	assert_string_equal(it_snapshot_arch(&s, "PIW")->desc, "Posted-interrupt wakeup event");
	it_snapshot_free(&s);
	free(text);
}

/* ---- captured machines ------------------------------------------------------- */

static void test_lab_intel(void **state)
{
	static const int eff_cpu[5] = { 1, 0, 1, 0, 1 };
	struct it_snapshot s;
	const struct it_irq *q;
	const struct it_pci_dev *d;
	const struct it_irq_aff *a;
	char buf[64];

	(void)state;
	assert_int_equal(it_snapshot_read(&s, FX("lab-intel-6.12"), 0), 0);
	assert_true(s.interrupts_src.known);
	assert_int_equal(s.ncpus, 2);
	assert_int_equal(s.cpu_ids[0], 0);
	assert_int_equal(s.cpu_ids[1], 1);
	assert_int_equal(s.nirqs, 12);
	assert_int_equal(s.narch, 19);

	for (int i = 0; i < 5; i++) {
		char handler[64];

		q = irq_or_fail(&s, 25 + i);
		snprintf(handler, sizeof(handler), "vfio-msix[%d](0000:00:03.0)", i);
		assert_string_equal(q->chip, "IR-PCI-MSIX-0000:00:03.0");
		assert_string_equal(q->handler, handler);
		assert_int_equal(q->kind, IT_IRQ_MSIX);
		assert_true(q->remapped);
		assert_false(q->its);
		assert_string_equal(q->bdf, "0000:00:03.0");
		assert_true(q->has_hwirq);
		assert_int_equal(q->hwirq, i);
		assert_int_equal(q->msi_entry, i);
		assert_string_equal(q->flow, "edge");
		assert_int_equal(q->trigger, IT_TRIG_EDGE);
		assert_true(q->vfio);
		assert_true(q->vfio_msix);
		assert_int_equal(q->vfio_entry, i);
		assert_string_equal(q->vfio_bdf, "0000:00:03.0");
		assert_int_equal(q->ncounts, 2);
		/* each vector fired 4 times, all on its effective CPU */
		assert_int_equal(it_irq_count_on_cpu(&s, q, eff_cpu[i]), 4);
		assert_int_equal(it_irq_count_on_cpu(&s, q, 1 - eff_cpu[i]), 0);
		assert_int_equal(q->total, 4);

		a = it_snapshot_aff(&s, 25 + i);
		assert_non_null(a);
		assert_true(a->smp_list_known && a->eff_list_known);
		assert_int_equal(it_cpumask_weight(&a->effective), 1);
		assert_true(it_cpumask_test(&a->effective, (unsigned)eff_cpu[i]));
		it_cpulist_format(&a->smp_affinity, buf, sizeof(buf));
		assert_string_equal(buf, "0-1");
		/* the capture has no hex masks: unknown, with the reason */
		assert_false(a->smp_hex_known);
		assert_non_null(a->reason);
		assert_non_null(strstr(a->reason, "smp_affinity: No such file"));
	}
	q = irq_or_fail(&s, 25);
	assert_int_equal(q->counts[0], 0);
	assert_int_equal(q->counts[1], 4);

	q = irq_or_fail(&s, 9);
	assert_string_equal(q->chip, "IR-IO-APIC");
	assert_int_equal(q->kind, IT_IRQ_IOAPIC);
	assert_true(q->remapped);
	assert_int_equal(q->hwirq, 9);
	assert_string_equal(q->flow, "fasteoi");
	assert_int_equal(q->trigger, IT_TRIG_LEVEL);
	assert_string_equal(q->handler, "acpi");
	assert_string_equal(q->bdf, "");
	q = irq_or_fail(&s, 0);
	assert_int_equal(q->hwirq, 2);		/* timer on pin 2 */
	assert_string_equal(q->handler, "timer");
	assert_int_equal(q->counts[0], 118);

	q = irq_or_fail(&s, 24);
	assert_string_equal(q->chip, "DMAR-MSI");
	assert_int_equal(q->kind, IT_IRQ_MSI);
	assert_false(q->remapped);
	assert_string_equal(q->bdf, "");
	assert_string_equal(q->handler, "dmar0");

	assert_int_equal(it_snapshot_arch(&s, "LOC")->counts[0], 2028);
	assert_int_equal(it_snapshot_arch(&s, "LOC")->counts[1], 1298);
	assert_int_equal(it_snapshot_arch(&s, "ERR")->ncounts, 1);
	assert_null(it_snapshot_irq(&s, 2));

	/* msi_irqs */
	assert_true(s.pci_src.known);
	assert_int_equal(s.npci, 1);
	d = it_snapshot_pci(&s, "0000:00:03.0");
	assert_non_null(d);
	assert_true(d->msi_known);
	assert_int_equal(d->nmsi, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(d->msi[i].irq, 25 + i);
		assert_int_equal(d->msi[i].mode, IT_IRQ_MSIX);
	}
	assert_false(d->ids_known);
	assert_null(d->driver);
	assert_int_equal(d->iommu_group, -1);

	/* /proc/irq: 22 IRQs, including the cascade with an empty effective mask */
	assert_true(s.aff_src.known);
	assert_int_equal(s.naff, 22);
	a = it_snapshot_aff(&s, 2);
	assert_non_null(a);
	assert_true(a->eff_list_known);
	assert_int_equal(it_cpumask_weight(&a->effective), 0);
	assert_int_equal(it_cpumask_weight(&a->smp_affinity), 2);
	assert_null(it_snapshot_aff(&s, 16));

	/* remapping: Intel, xAPIC (from the kernel log excerpt) */
	assert_int_equal(s.ir.mode, IT_IR_INTEL);
	assert_int_equal(s.ir.apic, IT_APIC_XAPIC);
	assert_string_equal(s.ir.text, "DMAR-IR (xapic)");
	assert_true(s.ir.iommu_present);
	assert_int_equal(it_ir_mode_detect(FX("lab-intel-6.12"), buf, sizeof(buf)), IT_IR_INTEL);
	assert_string_equal(buf, "DMAR-IR (xapic)");

	/* not in the capture: unknown, with reasons */
	assert_false(s.irte.src.known);
	assert_non_null(strstr(s.irte.src.reason, "/sys/kernel/debug/iommu"));
	assert_false(s.cpus.online_src.known);
	assert_non_null(strstr(s.cpus.online_src.reason, "/sys/devices/system/cpu/online"));
	assert_int_equal(s.cpus.online_src.err, ENOENT);
	assert_true(s.vmm_src.known);	/* proc/ exists, holds no processes */
	assert_int_equal(s.nvmms, 0);
	it_snapshot_free(&s);
}

static void test_ci_host(void **state)
{
	struct it_snapshot s;
	const struct it_irq *q;
	const struct it_irq_aff *a;

	(void)state;
	assert_int_equal(it_snapshot_read(&s, FX("ci-host-6.18/"), 0), 0);
	assert_int_equal(s.ncpus, 2);
	assert_int_equal(s.nirqs, 19);
	assert_int_equal(s.narch, 16);

	q = irq_or_fail(&s, 36);
	assert_string_equal(q->handler, "virtio1-req.0");
	assert_string_equal(q->chip, "PCI-MSIX-0000:00:02.0");
	assert_int_equal(it_irq_count_on_cpu(&s, q, 1), 125025);
	assert_int_equal(it_irq_count_on_cpu(&s, q, 0), 0);
	assert_false(q->remapped);
	assert_false(q->vfio);
	assert_int_equal(q->kind, IT_IRQ_MSIX);
	assert_string_equal(q->bdf, "0000:00:02.0");
	assert_int_equal(q->msi_entry, 1);
	a = it_snapshot_aff(&s, 36);
	assert_non_null(a);
	assert_int_equal(it_cpumask_first(&a->effective), 1);
	assert_int_equal(it_cpumask_weight(&a->effective), 1);

	q = irq_or_fail(&s, 42);
	assert_int_equal(q->counts[0], 5577);
	assert_int_equal(q->counts[1], 3667);
	assert_int_equal(q->total, 5577 + 3667);
	/* managed IRQ: affinity pinned to CPU 0 */
	a = it_snapshot_aff(&s, 42);
	assert_int_equal(it_cpumask_weight(&a->smp_affinity), 1);
	assert_true(it_cpumask_test(&a->smp_affinity, 0));

	q = irq_or_fail(&s, 26);
	assert_string_equal(q->chip, "IO-APIC");
	assert_int_equal(q->kind, IT_IRQ_IOAPIC);
	assert_false(q->remapped);
	assert_string_equal(q->handler, "ttyS0");
	assert_int_equal(q->counts[1], 16);
	assert_string_equal(irq_or_fail(&s, 38)->handler, "virtio2-input.0");
	assert_null(it_snapshot_irq(&s, 27));

	assert_int_equal(it_snapshot_arch(&s, "HYP")->counts[1], 2);
	assert_int_equal(it_snapshot_arch(&s, "MIS")->ncounts, 1);

	assert_int_equal(s.npci, 5);
	assert_int_equal(it_snapshot_pci(&s, "0000:00:04.0")->nmsi, 4);
	assert_null(it_snapshot_pci(&s, "0000:00:06.0"));

	assert_int_equal(s.ir.mode, IT_IR_NONE);
	assert_string_equal(s.ir.text, "none");
	assert_int_equal(s.ir.apic, IT_APIC_X2APIC);
	assert_false(s.ir.iommu_present);
	it_snapshot_free(&s);
}

static void test_lab_amd(void **state)
{
	struct it_snapshot s;
	const struct it_irq *q;
	const struct it_pci_dev *d;
	char buf[32];

	(void)state;
	assert_int_equal(it_snapshot_read(&s, FX("lab-amd-6.12"), 0), 0);
	assert_int_equal(s.ir.mode, IT_IR_AMD);
	assert_string_equal(s.ir.text, "AMD-Vi");
	assert_int_equal(it_ir_mode_detect(FX("lab-amd-6.12"), buf, sizeof(buf)), IT_IR_AMD);
	assert_string_equal(buf, "AMD-Vi");

	/* the IOMMU's own interrupt: a PCI MSI of 00:02.0, not remapped */
	q = irq_or_fail(&s, 24);
	assert_string_equal(q->chip, "PCI-MSI-0000:00:02.0");
	assert_string_equal(q->handler, "AMD-Vi");
	assert_int_equal(q->kind, IT_IRQ_MSI);
	assert_false(q->remapped);
	assert_string_equal(q->bdf, "0000:00:02.0");
	assert_int_equal(q->msi_entry, 0);
	d = it_snapshot_pci(&s, "0000:00:02.0");
	assert_non_null(d);
	assert_int_equal(d->nmsi, 1);
	assert_int_equal(d->msi[0].mode, IT_IRQ_MSI);

	q = irq_or_fail(&s, 29);
	assert_true(q->vfio);
	assert_int_equal(q->vfio_entry, 4);
	assert_string_equal(q->vfio_bdf, "0000:00:04.0");
	assert_true(q->remapped);
	assert_int_equal(it_irq_count_on_cpu(&s, q, 1), 4);
	assert_int_equal(irq_or_fail(&s, 4)->counts[0], 475);
	it_snapshot_free(&s);
}

static void test_missing_root(void **state)
{
	struct it_snapshot s;
	char buf[32];

	(void)state;
	assert_int_equal(it_snapshot_read(&s, FX("does-not-exist"), 0), 0);
	assert_false(s.interrupts_src.known);
	assert_int_equal(s.interrupts_src.err, ENOENT);
	assert_string_equal(s.interrupts_src.reason, "/proc/interrupts: No such file or directory");
	assert_int_equal(s.nirqs, 0);
	assert_false(s.pci_src.known);
	assert_non_null(strstr(s.pci_src.reason, "/sys/bus/pci/devices"));
	assert_false(s.aff_src.known);
	assert_false(s.cpus.isolated_src.known);
	assert_false(s.cpus.nohz_full_src.known);
	assert_non_null(strstr(s.cpus.nohz_full_src.reason, "nohz_full"));
	assert_int_equal(s.ir.mode, IT_IR_UNKNOWN);
	assert_string_equal(s.ir.text, "unknown");
	assert_false(s.ir.src.known);
	assert_non_null(strstr(s.ir.src.reason, "/proc/interrupts"));
	assert_false(s.irte.src.known);
	assert_false(s.vmm_src.known);
	assert_non_null(strstr(s.vmm_src.reason, "/proc"));
	assert_int_equal(it_ir_mode_detect(FX("does-not-exist"), buf, sizeof(buf)), IT_IR_UNKNOWN);
	it_snapshot_free(&s);

	/* sections not asked for say so */
	assert_int_equal(it_snapshot_read(&s, FX("ci-host-6.18"), IT_SNAP_INTERRUPTS), 0);
	assert_true(s.interrupts_src.known);
	assert_false(s.vmm_src.known);
	assert_string_equal(s.vmm_src.reason, "not requested");
	assert_null(s.vmms);
	it_snapshot_free(&s);
}

/* ---- debugfs IRTE dumps ------------------------------------------------------ */

static void test_intel_irte_lab(void **state)
{
	static const int eff_cpu[5] = { 1, 0, 1, 0, 1 };
	struct it_snapshot s, lab;
	const struct it_snap_irte *e;

	(void)state;
	assert_int_equal(it_snapshot_read(&s, FX("synthetic/intel-irte-lab"), IT_SNAP_IRTE), 0);
	assert_true(s.irte.src.known);
	assert_int_equal(s.irte.fmt, IT_IRTE_FMT_INTEL);
	assert_int_equal(s.irte.n, 11);
	assert_int_equal(s.irte.unparsed, 0);

	e = irte_at(&s.irte, "dmar0", 6, false);
	assert_string_equal(e->sid_bdf, "0000:00:03.0");
	assert_int_equal(e->sid, 0x0018);
	assert_int_equal(e->table_addr, 0x3e8c0000);
	assert_true(e->present);
	assert_false(e->fpd);
	assert_int_equal(e->dest_id, 0x100);
	assert_int_equal(it_irte_intel_apic_dest(e, false), 1);
	assert_int_equal(e->vector, 0x22);
	assert_int_equal(e->svt, 1);
	assert_int_equal(e->sq, 0);
	assert_int_equal(e->dst_mode, 0);
	assert_int_equal(e->redir_hint, 0);
	assert_int_equal(e->trigger_mode, 0);
	assert_int_equal(e->delivery_mode, 0);
	assert_int_equal(e->raw_lo, 0x0000010000220001ull);

	/* IO-APIC pin of the ACPI SCI: level triggered */
	e = irte_at(&s.irte, "dmar0", 4, false);
	assert_string_equal(e->sid_bdf, "0000:ff:00.0");
	assert_int_equal(e->trigger_mode, 1);
	assert_int_equal(e->vector, 0x39);

	/* consistent with the lab-intel capture: one IRTE per vfio vector, on
	 * the IRQ's effective CPU (APIC id == CPU number in that guest) */
	assert_int_equal(it_snapshot_read(&lab, FX("lab-intel-6.12"), 0), 0);
	for (int i = 0; i < 5; i++) {
		const struct it_irq_aff *a = it_snapshot_aff(&lab, 25 + i);

		e = it_snapshot_irte(&s, irq_or_fail(&lab, 25 + i)->bdf, (size_t)i);
		assert_non_null(e);
		assert_int_equal(it_irte_intel_apic_dest(e, lab.ir.apic == IT_APIC_X2APIC),
				 eff_cpu[i]);
		assert_true(it_cpumask_test(&a->effective, it_irte_intel_apic_dest(e, false)));
	}
	assert_null(it_snapshot_irte(&s, "0000:00:03.0", 5));
	it_snapshot_free(&lab);
	it_snapshot_free(&s);
}

static void test_intel_irte_posted(void **state)
{
	struct it_snapshot s;
	const struct it_snap_irte *e;
	size_t nposted = 0;

	(void)state;
	assert_int_equal(it_snapshot_read(&s, FX("synthetic/vmm"), IT_SNAP_IRTE), 0);
	assert_true(s.irte.src.known);
	assert_int_equal(s.irte.n, 10);
	for (size_t i = 0; i < s.irte.n; i++)
		nposted += s.irte.e[i].posted;
	assert_int_equal(nposted, 5);

	e = irte_at(&s.irte, "dmar1", 6, true);
	assert_string_equal(e->sid_bdf, "0000:00:03.0");
	assert_int_equal(e->pda, 0x10c4d2040ull);
	assert_int_equal(e->vector, 0x41);
	assert_false(e->urgent);
	assert_int_equal(e->svt, 1);
	assert_int_equal(e->table_addr, 0x106a30000ull);
	e = irte_at(&s.irte, "dmar1", 7, true);
	assert_int_equal(e->pda, 0x10c4d6040ull);
	e = irte_at(&s.irte, "dmar1", 10, true);
	assert_true(e->urgent);
	assert_int_equal(e->vector, 0x45);

	/* x2APIC: destination is the APIC id itself */
	e = irte_at(&s.irte, "dmar0", 2, false);
	assert_int_equal(it_irte_intel_apic_dest(e, true), 4);
	assert_string_equal(e->sid_bdf, "0000:3b:00.0");
	e = irte_at(&s.irte, "dmar0", 1, false);
	assert_int_equal(e->trigger_mode, 1);
	assert_string_equal(e->sid_bdf, "0000:f0:1f.0");
	e = irte_at(&s.irte, "dmar1", 0, false);
	assert_int_equal(e->dest_id, 1);
	it_snapshot_free(&s);
}

static void test_intel_irte_text_variants(void **state)
{
	struct it_snap_irte_table t = { 0 };

	(void)state;
	assert_int_equal(it_irte_parse_intel_text(
		"Remapped Interrupt supported on IOMMU: dmar0\n"
		"Interrupt Remapping is not enabled\n\n****\n\n", &t), 0);
	assert_true(t.src.known);
	assert_int_equal(t.n, 0);
	assert_non_null(strstr(t.src.reason, "dmar0: interrupt remapping not enabled"));
	it_irte_table_free(&t);

	memset(&t, 0, sizeof(t));
	assert_int_equal(it_irte_parse_intel_text(
		"Remapped Interrupt supported on IOMMU: dmar0\n IR table address:1000\n"
		" Entry SrcID   DstID    Vct IRTE_high\t\tIRTE_low\n"
		" 0     00:02.0 00000000 2x  0000000000040010\t0000000000200001\n"
		" 1     00:02.0 00000003 21  0000000000040010\t0000000300210003\n", &t), 0);
	assert_int_equal(t.unparsed, 1);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.e[0].index, 1);
	assert_true(t.e[0].fpd);
	assert_int_equal(t.e[0].dest_id, 3);
	it_irte_table_free(&t);
}

static void test_amd_irqtbl_lab(void **state)
{
	static const int eff_cpu[5] = { 1, 0, 1, 0, 1 };
	struct it_snapshot s, lab;

	(void)state;
	assert_int_equal(it_snapshot_read(&s, FX("synthetic/amd-irqtbl-lab"), IT_SNAP_IRTE), 0);
	assert_true(s.irte.src.known);
	assert_int_equal(s.irte.fmt, IT_IRTE_FMT_AMD128);
	assert_int_equal(s.irte.n, 5);
	assert_int_equal(it_snapshot_read(&lab, FX("lab-amd-6.12"), 0), 0);
	for (int i = 0; i < 5; i++) {
		const struct it_snap_irte *e = &s.irte.e[i];
		const struct it_irq *q = irq_or_fail(&lab, 25 + i);

		assert_int_equal(e->index, i);
		assert_string_equal(e->sid_bdf, q->vfio_bdf);
		assert_int_equal(e->sid, 0x0020);
		assert_true(e->present);
		assert_false(e->posted);
		assert_int_equal(e->vector, 0x22 + i);
		assert_int_equal(it_irte_amd_dest(e), eff_cpu[i]);
		assert_true(it_cpumask_test(&it_snapshot_aff(&lab, 25 + i)->effective,
					    it_irte_amd_dest(e)));
		assert_int_equal(e->dst_mode, 0);
		assert_int_equal(e->delivery_mode, 0);
	}
	it_snapshot_free(&lab);
	it_snapshot_free(&s);
}

static void test_amd_irqtbl_variants(void **state)
{
	struct it_snap_irte_table t = { 0 };
	const struct it_snap_irte *e;

	(void)state;
	/* 32-bit legacy IRTEs */
	assert_int_equal(it_irte_parse_amd_text("DeviceId 0000:c4:00.0\n"
						 "IRT[0000] 00410141\n"
						 "IRT[0003] 00510003\n\n", &t), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.fmt, IT_IRTE_FMT_AMD32);
	e = &t.e[0];
	assert_string_equal(e->sid_bdf, "0000:c4:00.0");
	assert_int_equal(e->sid, 0xc400);
	assert_int_equal(e->vector, 0x41);
	assert_int_equal(e->dst_mode, 1);
	assert_int_equal(e->dest_id, 1);
	assert_true(e->present);
	assert_int_equal(t.e[1].index, 3);
	assert_true(t.e[1].fpd);
	it_irte_table_free(&t);

	/* 128-bit, guest (vAPIC) mode, and the early joined-hex layout */
	memset(&t, 0, sizeof(t));
	assert_int_equal(it_irte_parse_amd_text(
		"DeviceId 0000:01:00.0\n"
		"IRT[0000] 0000000123456051 00001234000003c5\n"
		"IRT[0001] 00000000000000200000000000000241\n"
		"IRT[0002] zz\n", &t), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.unparsed, 1);
	e = &t.e[0];
	assert_true(e->posted);
	assert_true(e->is_run);
	assert_true(e->ga_log_intr);
	assert_int_equal(e->ga_tag, 0x1234);
	assert_int_equal(e->vector, 0x51);
	assert_int_equal(e->dest_id, 3);
	assert_int_equal(e->pda, 0x123456000ull);
	e = &t.e[1];
	assert_false(e->posted);
	assert_int_equal(e->vector, 0x20);
	assert_int_equal(e->dest_id, 2);
	assert_int_equal(e->dst_mode, 1);
	it_irte_table_free(&t);

	memset(&t, 0, sizeof(t));
	assert_int_equal(it_irte_parse_amd_text("Interrupt remapping is disabled\n", &t), 0);
	assert_true(t.src.known);
	assert_int_equal(t.n, 0);
	assert_non_null(strstr(t.src.reason, "disabled"));
	it_irte_table_free(&t);

	memset(&t, 0, sizeof(t));
	assert_int_equal(it_irte_parse_amd_text("Enter a valid device ID to 'devid' file\n", &t), 0);
	assert_false(t.src.known);
	assert_non_null(strstr(t.src.reason, "devid"));
	it_irte_table_free(&t);
}

static void write_str(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* IT_SNAP_AMD_SELECT writes each MSI device into iommu/amd/devid. */
static void test_amd_select(void **state)
{
	char tmpl[] = "/tmp/irqtrail-snap-XXXXXX";
	char *dir = mkdtemp(tmpl), p[512], *got;
	static const char *dirs[] = {
		"/sys", "/sys/bus", "/sys/bus/pci", "/sys/bus/pci/devices",
		"/sys/bus/pci/devices/0000:00:04.0", "/sys/bus/pci/devices/0000:00:04.0/msi_irqs",
		"/sys/kernel", "/sys/kernel/debug", "/sys/kernel/debug/iommu",
		"/sys/kernel/debug/iommu/amd",
	};
	struct it_snapshot s;

	(void)state;
	assert_non_null(dir);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dir, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:04.0/msi_irqs/25", dir);
	write_str(p, "msix\n");
	snprintf(p, sizeof(p), "%s/sys/kernel/debug/iommu/amd/devid", dir);
	write_str(p, "");
	snprintf(p, sizeof(p), "%s/sys/kernel/debug/iommu/amd/irqtbl", dir);
	write_str(p, "DeviceId 0000:00:04.0\nIRT[0000] 0000000000000022 0000000000000101\n\n");

	assert_int_equal(it_snapshot_read(&s, dir, IT_SNAP_IRTE | IT_SNAP_AMD_SELECT), 0);
	assert_int_equal(s.irte.n, 1);
	assert_int_equal(s.irte.e[0].vector, 0x22);
	it_snapshot_free(&s);
	snprintf(p, sizeof(p), "%s/sys/kernel/debug/iommu/amd/devid", dir);
	got = read_text(p);
	assert_string_equal(got, "0000:00:04.0");
	free(got);

	/* clean up */
	unlink(p);
	snprintf(p, sizeof(p), "%s/sys/kernel/debug/iommu/amd/irqtbl", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:04.0/msi_irqs/25", dir);
	unlink(p);
	for (size_t i = sizeof(dirs) / sizeof(dirs[0]); i-- > 0;) {
		snprintf(p, sizeof(p), "%s%s", dir, dirs[i]);
		assert_int_equal(rmdir(p), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* ---- VMM scan ---------------------------------------------------------------- */

static void test_fd_classify(void **state)
{
	int n;

	(void)state;
	assert_int_equal(it_fd_classify("/dev/kvm", &n), IT_FD_KVM_DEV);
	assert_int_equal(it_fd_classify("anon_inode:kvm-vm", &n), IT_FD_KVM_VM);
	assert_int_equal(it_fd_classify("anon_inode:kvm-vcpu:17", &n), IT_FD_KVM_VCPU);
	assert_int_equal(n, 17);
	assert_int_equal(it_fd_classify("anon_inode:kvm-vcpu-stats:1", &n), 0);
	assert_int_equal(it_fd_classify("anon_inode:kvm-vm-stats", &n), 0);
	assert_int_equal(it_fd_classify("anon_inode:kvm-vfio", &n), IT_FD_KVM_DEVICE);
	assert_int_equal(it_fd_classify("anon_inode:kvm-arm-vgic-v3", &n), IT_FD_KVM_DEVICE);
	assert_int_equal(it_fd_classify("/dev/vfio/vfio", &n), IT_FD_VFIO_CONTAINER);
	assert_int_equal(it_fd_classify("/dev/vfio/42", &n), IT_FD_VFIO_GROUP);
	assert_int_equal(n, 42);
	assert_int_equal(it_fd_classify("/dev/vfio/noiommu-3", &n), IT_FD_VFIO_GROUP);
	assert_int_equal(n, 3);
	assert_int_equal(it_fd_classify("/dev/vfio/devices/vfio5", &n), IT_FD_VFIO_CDEV);
	assert_int_equal(n, 5);
	assert_int_equal(it_fd_classify("anon_inode:[vfio-device]", &n), IT_FD_VFIO_DEVICE);
	assert_int_equal(it_fd_classify("/dev/iommu", &n), IT_FD_IOMMUFD);
	assert_int_equal(it_fd_classify("anon_inode:[eventfd]", &n), IT_FD_EVENTFD);
	assert_int_equal(n, -1);
	assert_int_equal(it_fd_classify("/dev/vfio/x", &n), 0);
	assert_int_equal(it_fd_classify("socket:[1]", &n), 0);
	assert_int_equal(it_fd_classify("/dev/kvmx", &n), 0);
}

static void test_qemu_names(void **state)
{
	static const char cmd1[] = "qemu\0-m\0001G\0-name\0guest=web,debug-threads=on\0";
	static const char cmd2[] = "qemu\0-m\0001G\0";
	static const char cmd3[] = "qemu\0-name";
	char *n;

	(void)state;
	n = it_qemu_name_from_arg("foo");
	assert_string_equal(n, "foo");
	free(n);
	n = it_qemu_name_from_arg("guest=foo,debug-threads=on");
	assert_string_equal(n, "foo");
	free(n);
	n = it_qemu_name_from_arg("process=x,guest=bar");
	assert_string_equal(n, "bar");
	free(n);
	n = it_qemu_name_from_arg("a,,b,process=p");
	assert_string_equal(n, "a,b");
	free(n);
	assert_null(it_qemu_name_from_arg("debug-threads=on"));
	assert_null(it_qemu_name_from_arg(""));

	n = it_vmm_name_from_cmdline(cmd1, sizeof(cmd1) - 1);
	assert_string_equal(n, "web");
	free(n);
	assert_null(it_vmm_name_from_cmdline(cmd2, sizeof(cmd2) - 1));
	assert_null(it_vmm_name_from_cmdline(cmd3, sizeof(cmd3) - 1));

	/* a command line cut short by the reader's buffer: the last argument
	 * has no terminator, and no byte past len may be read (ASan) */
	{
		static const char full[] = "qemu\0-name=guest=cut,debug-threads=on";
		char *heap = malloc(sizeof(full) - 1);

		assert_non_null(heap);
		memcpy(heap, full, sizeof(full) - 1);
		n = it_vmm_name_from_cmdline(heap, sizeof(full) - 1);
		assert_string_equal(n, "cut");
		free(n);
		/* cut inside "-name": no name, no overread */
		assert_null(it_vmm_name_from_cmdline(heap, 8));
		/* "-name" as the last, unterminated argument */
		memcpy(heap, "qemu\0-name", 10);
		assert_null(it_vmm_name_from_cmdline(heap, 10));
		free(heap);
	}
}

static void test_vmm_scan(void **state)
{
	struct it_snapshot s;
	const struct it_vmm *v;
	const struct it_vmm_fd *f;
	const struct it_pci_dev *d;

	(void)state;
	assert_int_equal(it_snapshot_read(&s, FX("synthetic/vmm"), 0), 0);
	assert_true(s.vmm_src.known);
	assert_int_equal(s.procs_scanned, 3);
	assert_int_equal(s.procs_unreadable, 0);
	assert_int_equal(s.nvmms, 2);		/* pid 1 holds only an eventfd */
	assert_int_equal(s.vmms[0].pid, 4242);	/* sorted */
	assert_int_equal(s.vmms[1].pid, 5151);

	v = vmm_by_pid(&s, 4242);
	assert_string_equal(v->comm, "qemu-system-x86");
	assert_string_equal(v->name, "vm1");
	assert_string_equal(v->exe, "qemu-system-x86_64");
	assert_int_equal(v->nvms, 1);
	assert_int_equal(v->nvcpus, 2);		/* the stats fd is not a vCPU */
	assert_int_equal(v->nvfio_devices, 1);
	assert_int_equal(v->neventfds, 6);
	assert_int_equal(v->nfds, 14);
	for (size_t i = 1; i < v->nfds; i++)
		assert_true(v->fds[i - 1].fd < v->fds[i].fd);
	f = vmm_fd(v, 17);
	assert_non_null(f);
	assert_int_equal(f->kind, IT_FD_VFIO_DEVICE);
	assert_string_equal(f->bdf, "0000:00:03.0");
	f = vmm_fd(v, 15);
	assert_int_equal(f->kind, IT_FD_VFIO_GROUP);
	assert_int_equal(f->num, 7);
	assert_int_equal(f->ngroup_bdfs, 1);
	assert_string_equal(f->group_bdfs[0], "0000:00:03.0");
	f = vmm_fd(v, 16);
	assert_int_equal(f->kind, IT_FD_KVM_DEVICE);
	assert_string_equal(f->name, "kvm-vfio");
	f = vmm_fd(v, 12);
	assert_int_equal(f->kind, IT_FD_KVM_VCPU);
	assert_int_equal(f->num, 1);
	f = vmm_fd(v, 21);
	assert_int_equal(f->kind, IT_FD_EVENTFD);
	assert_true(f->eventfd_known);
	assert_int_equal(f->eventfd_id, 32);
	assert_int_equal(f->eventfd_count, 10);
	assert_false(f->eventfd_semaphore);
	assert_int_equal(vmm_fd(v, 23)->eventfd_count, 0x14);
	assert_int_equal(vmm_fd(v, 25)->eventfd_id, 36);
	assert_null(vmm_fd(v, 30));		/* a socket */
	assert_null(vmm_fd(v, 0));
	assert_null(vmm_fd(v, 13));		/* kvm-vcpu-stats */

	v = vmm_by_pid(&s, 5151);
	assert_string_equal(v->name, "db,prod");
	assert_string_equal(v->exe, "/usr/bin/qemu-system-x86_64");
	assert_int_equal(v->nvcpus, 1);
	f = vmm_fd(v, 21);
	assert_int_equal(f->kind, IT_FD_VFIO_CDEV);
	assert_int_equal(f->num, 0);
	assert_string_equal(f->bdf, "0000:00:04.0");	/* via /sys/class/vfio-dev */
	assert_int_equal(vmm_fd(v, 20)->kind, IT_FD_IOMMUFD);
	assert_int_equal(vmm_fd(v, 23)->eventfd_count, 3);

	assert_int_equal(it_snapshot_vmm_for_bdf(&s, "0000:00:03.0")->pid, 4242);
	assert_int_equal(it_snapshot_vmm_for_bdf(&s, "0000:00:04.0")->pid, 5151);
	assert_null(it_snapshot_vmm_for_bdf(&s, "0000:00:05.0"));

	/* PCI identity of the passed-through device */
	d = it_snapshot_pci(&s, "0000:00:03.0");
	assert_non_null(d);
	assert_true(d->ids_known);
	assert_int_equal(d->vendor, 0x8086);
	assert_int_equal(d->device, 0x10d3);
	assert_string_equal(d->driver, "vfio-pci");
	assert_int_equal(d->iommu_group, 7);
	assert_int_equal(d->nmsi, 5);
	d = it_snapshot_pci(&s, "0000:00:04.0");
	assert_true(d->msi_known);	/* no msi_irqs directory: none enabled */
	assert_int_equal(d->nmsi, 0);
	assert_int_equal(d->iommu_group, 8);

	/* no /proc/interrupts in this tree */
	assert_false(s.interrupts_src.known);
	it_snapshot_free(&s);
}

/* ---- live system: structure only ----------------------------------------------- */

static void test_live(void **state)
{
	struct it_snapshot s;
	char buf[64];
	int mode;

	(void)state;
	assert_int_equal(it_snapshot_read(&s, "/", 0), 0);
	assert_string_equal(s.root, "");
	if (access("/proc/interrupts", R_OK) == 0) {
		assert_true(s.interrupts_src.known);
		assert_true(s.ncpus >= 1);
		assert_true(s.nirqs >= 1);
		for (size_t i = 0; i < s.nirqs; i++) {
			assert_int_equal(s.irqs[i].ncounts, s.ncpus);
			assert_non_null(s.irqs[i].chip);
			assert_non_null(s.irqs[i].handler);
			if (i)
				assert_true(s.irqs[i - 1].irq < s.irqs[i].irq);
		}
		assert_true(s.narch >= 1);
		assert_true(s.ir.mode != IT_IR_UNKNOWN);
	}
	if (s.cpus.online_src.known) {
		assert_true(it_cpumask_weight(&s.cpus.online) >= 1);
		assert_true(s.ncpus <= it_cpumask_weight(&s.cpus.online));
		for (size_t i = 0; i < s.ncpus; i++)
			assert_true(it_cpumask_test(&s.cpus.online, (unsigned)s.cpu_ids[i]));
	}
	if (s.aff_src.known)
		assert_true(s.naff >= 1);
	/* a missing debugfs dump is unknown with a reason, never a failure */
	assert_true(s.irte.src.known || s.irte.src.reason[0]);
	if (s.vmm_src.known)
		assert_true(s.procs_scanned >= 1);
	mode = it_ir_mode_detect("", buf, sizeof(buf));
	assert_int_equal(mode, s.ir.mode);
	assert_string_equal(buf, s.ir.text);
	print_message("live: %zu irqs, %zu cpus, %zu pci, remapping %s, %zu VMM(s)\n",
		      s.nirqs, s.ncpus, s.npci, s.ir.text, s.nvmms);
	it_snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfio_names),
		cmocka_unit_test(test_cpulists),
		cmocka_unit_test(test_interrupt_line_variants),
		cmocka_unit_test(test_parse_captured_crlf),
		cmocka_unit_test(test_lab_intel),
		cmocka_unit_test(test_ci_host),
		cmocka_unit_test(test_lab_amd),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_intel_irte_lab),
		cmocka_unit_test(test_intel_irte_posted),
		cmocka_unit_test(test_intel_irte_text_variants),
		cmocka_unit_test(test_amd_irqtbl_lab),
		cmocka_unit_test(test_amd_irqtbl_variants),
		cmocka_unit_test(test_amd_select),
		cmocka_unit_test(test_fd_classify),
		cmocka_unit_test(test_qemu_names),
		cmocka_unit_test(test_vmm_scan),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
