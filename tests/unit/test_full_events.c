// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of src/full_events.c: the fentry/kprobe tier's event types
 * (names, sizes, JSON), the Intel and AMD IRTE decoders and the kallsyms
 * resolver the loader uses for compiler clones.
 *
 * The IRTEs are real entries copied by irqtrail from the lab guests'
 * remapping tables (tests/lab, Debian 6.12 under QEMU 7.2 with
 * intel-iommu / amd-iommu, e1000e bound to vfio-pci); the expected fields
 * were checked by hand against the VT-d specification ("Interrupt Remapping
 * Table Entry (IRTE) for Remapped Interrupts": present 0, FPD 1, DM 2, RH 3,
 * TM 4, DLM 7:5, AVAIL 11:8, IM 15, vector 23:16, destination 63:32; SID
 * 79:64, SQ 81:80, SVT 83:82; posted: urgent 14, PDA 127:96 and 63:38) and
 * the AMD IOMMU specification (128-bit IRTE: RemapEn 0, SupIOPF 1,
 * IntType 4:2, RqEoi 5, DM 6, GuestMode 7, Destination 31:8 and 127:120,
 * vector 71:64; guest mode: GALogIntr 2, IsRun 6, GATag 63:32, GA root
 * pointer 115:76).  The kallsyms text is a verbatim excerpt of a lab
 * guest's /proc/kallsyms (nokaslr).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "decode.h"
#include "format.h"
#include "full.h"
#include "full_events.h"
#include "json.h"
#include "snapshot.h"

/* ---- types ---- */

static void test_type_table(void **state)
{
	static const struct {
		unsigned int type;
		const char *name;
		unsigned int len;
		bool dataplane;
	} t[] = {
		{ IT_EV_IRTE_WRITE, "irte_write", sizeof(struct it_irte), false },
		{ IT_EV_IRTE_SNAP, "irte_snapshot", sizeof(struct it_irte), false },
		{ IT_EV_IRTE_TABLE, "irte_table", sizeof(struct it_irte_table), false },
		{ IT_EV_IRTE_VCPU, "irte_vcpu", sizeof(struct it_irte_vcpu), false },
		{ IT_EV_DOMAIN_ALLOC, "domain_alloc", sizeof(struct it_domain_alloc), false },
		{ IT_EV_DOMAIN_ALLOC_PARENT, "domain_alloc_parent", sizeof(struct it_domain_alloc), false },
		{ IT_EV_MSI_DOMAIN_ALLOC, "msi_domain_alloc", sizeof(struct it_domain_alloc), false },
		{ IT_EV_MSI_COMPOSE, "msi_compose", sizeof(struct it_msi_msg), false },
		{ IT_EV_MSI_WRITE, "msi_write", sizeof(struct it_msi_msg), false },
		{ IT_EV_VFIO_SET_IRQS, "vfio_set_irqs", sizeof(struct it_vfio_set_irqs), false },
		{ IT_EV_VFIO_VECTOR, "vfio_vector", sizeof(struct it_vfio_vector), false },
		{ IT_EV_VFIO_MSI, "vfio_msi", sizeof(struct it_vfio_msi), true },
		{ IT_EV_BYPASS_PRODUCER, "bypass_producer", sizeof(struct it_bypass), false },
		{ IT_EV_KVM_IRQFD_WAKEUP, "kvm_irqfd_wakeup", sizeof(struct it_kvm_route), true },
		{ IT_EV_KVM_SET_MSI_FN, "kvm_set_msi", sizeof(struct it_kvm_route), true },
		{ IT_EV_KVM_SET_IRQ_INATOMIC, "kvm_set_irq_inatomic", sizeof(struct it_kvm_route), true },
		{ IT_EV_KVM_BYPASS, "kvm_bypass", sizeof(struct it_bypass), false },
		{ IT_EV_KVM_PI_UPDATE, "kvm_pi_update", sizeof(struct it_kvm_pi_update), false },
		{ IT_EV_KVM_HYPERCALL_FN, "kvm_emulate_hypercall", sizeof(struct it_kvm_hc), true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(it_full_type_name(t[i].type), t[i].name);
		assert_string_equal(it_event_type_name(t[i].type), t[i].name);
		assert_int_equal(it_full_min_len(t[i].type), t[i].len);
		assert_int_equal(it_event_min_len(t[i].type), t[i].len);
		assert_int_equal(it_full_is_dataplane(t[i].type), t[i].dataplane);
		/* names are unique across all types */
		assert_int_equal(it_event_type_from_name(t[i].name), (int)t[i].type);
	}
	/* reserved but undefined ids stay unknown */
	assert_null(it_full_type_name(89));
	assert_int_equal(it_full_min_len(199), 0);
	assert_null(it_full_type_name(IT_EV_RESERVED_LAST + 1));
}

/* ---- Intel IRTE (real entries, lab intel-6.12, e1000e 00:03.0) ---- */

static void test_intel_irte_remapped(void **state)
{
	struct it_irte_fields f;

	(void)state;
	/* vector 35 on APIC 1, xAPIC mode: dest_id 0x100 */
	it_irte_intel_decode(1099513921545ull, 262168ull, 0, &f);
	assert_true(f.present);
	assert_false(f.fpd);
	assert_false(f.posted);
	assert_false(f.logical);
	assert_true(f.redir_hint);
	assert_false(f.level);
	assert_int_equal(f.delivery, 0);
	assert_int_equal(f.vector, 35);
	assert_int_equal(f.dest, 0x100);
	assert_true(f.dest_known);
	assert_int_equal(f.dest_apic, 1);
	/* source-id validation: requester id 00:03.0 = 0x18, all 16 bits, SVT 1 */
	assert_int_equal(f.sid, 0x18);
	assert_int_equal(f.sq, 0);
	assert_int_equal(f.svt, 1);

	/* the same entry after the move to APIC 0, vector 37 */
	it_irte_intel_decode(2424841ull, 262168ull, 0, &f);
	assert_int_equal(f.vector, 37);
	assert_int_equal(f.dest, 0);
	assert_int_equal(f.dest_apic, 0);

	/* x2APIC mode: dest_id is the APIC id itself; unknown mode: no APIC id */
	it_irte_intel_decode(1099513921545ull, 262168ull, 1, &f);
	assert_int_equal(f.dest_apic, 0x100);
	it_irte_intel_decode(1099513921545ull, 262168ull, -1, &f);
	assert_false(f.dest_known);
}

static void test_intel_irte_posted(void **state)
{
	struct it_irte_fields f;
	/* posted format built from the VT-d layout: present, IM (bit 15),
	 * urgent (bit 14), vector 0xec, PDA 0x12345678c0 */
	uint64_t pda = 0x12345678c0ull;
	uint64_t lo = 1 | (1ull << 15) | (1ull << 14) | (0xecull << 16) | (((pda >> 6) & 0x3ffffff) << 38);
	uint64_t hi = 0x18 | (1ull << 18) | ((pda >> 32) << 32);

	(void)state;
	it_irte_intel_decode(lo, hi, 0, &f);
	assert_true(f.posted);
	assert_true(f.urgent);
	assert_int_equal(f.vector, 0xec);
	assert_int_equal(f.pda, pda);
	assert_int_equal(f.sid, 0x18);
}

static void test_amd_irte(void **state)
{
	struct it_irte_fields f;
	/* real GA entries (lab amd-6.12, e1000e 00:04.0 = devid 0x20, IRTE 0):
	 * vector 35 on APIC 1, then after the move vector 37 on APIC 0 */
	uint64_t lo = 257, hi = 35;

	(void)state;
	it_irte_amd_decode(lo, hi, true, &f);
	assert_true(f.present);
	assert_false(f.fpd);
	assert_false(f.posted);
	assert_false(f.logical);
	assert_int_equal(f.vector, 35);
	assert_int_equal(f.dest, 1);
	assert_int_equal(f.dest_apic, 1);
	assert_int_equal(f.delivery, 0);
	it_irte_amd_decode(1, 37, true, &f);
	assert_int_equal(f.vector, 37);
	assert_int_equal(f.dest_apic, 0);
	/* destination bits 31:24 live in hi 63:56 (x2APIC ids above 2^24) */
	it_irte_amd_decode(lo, hi | (0x5aull << 56), true, &f);
	assert_int_equal(f.dest, 0x5a000001u);
	/* guest mode: GATag, IsRun, GA root pointer (page address) */
	lo = 1 | (1ull << 7) | (1ull << 6) | (0xbeefull << 32);
	hi = 0x41 | (0xabcdeull << 12);
	it_irte_amd_decode(lo, hi, true, &f);
	assert_true(f.posted);
	assert_true(f.is_run);
	assert_int_equal(f.ga_tag, 0xbeef);
	assert_int_equal(f.pda, 0xabcdeull << 12);
	/* 32-bit format: valid, int_type lowest (1), destination 2, vector 0x31 */
	it_irte_amd_decode(1 | (1 << 2) | (2 << 8) | (0x31 << 16), 0, false, &f);
	assert_true(f.present);
	assert_int_equal(f.delivery, 1);
	assert_int_equal(f.dest, 2);
	assert_int_equal(f.vector, 0x31);
}

/* ---- JSON ---- */

static char *json_of(const struct it_hdr *h)
{
	struct it_json j;
	char *s;
	void *copy = malloc(h->len);	/* exactly hdr.len: ASan catches over-reads */

	assert_non_null(copy);
	memcpy(copy, h, h->len);
	jw_init(&j);
	assert_int_equal(it_event_json(&j, copy), 1);
	s = strdup(j.buf);
	jw_free(&j);
	free(copy);
	return s;
}

static void has(const char *json, const char *frag)
{
	if (!strstr(json, frag))
		fail_msg("%s not in %s", frag, json);
}

static void test_irte_write_json(void **state)
{
	struct it_irte e;
	char *s;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.h.type = IT_EV_IRTE_WRITE;
	e.h.version = 1;
	e.h.len = sizeof(e);
	e.vendor = IT_IRTE_INTEL;
	e.flags = IT_IRTE_F_OLD | IT_IRTE_F_MODE_KNOWN | IT_IRTE_F_UNIT_KNOWN;
	e.index = 16;
	memcpy(e.iommu, "dmar0", 6);
	e.old_lo = 1099513921545ull;
	e.old_hi = 262168ull;
	e.new_lo = 2424841ull;
	e.new_hi = 262168ull;
	s = json_of(&e.h);
	has(s, "\"type\":\"irte_write\"");
	has(s, "\"vendor\":\"intel\"");
	has(s, "\"iommu\":\"dmar0\"");
	has(s, "\"index\":16");
	has(s, "\"apic_mode\":\"xapic\"");
	has(s, "\"old\":{\"low\":1099513921545,\"high\":262168,\"present\":true,\"fpd\":false,\"posted\":false,"
	       "\"vector\":35,\"dst_mode\":\"physical\",\"redir_hint\":true,\"trigger\":\"edge\",\"delivery\":\"fixed\","
	       "\"dest\":256,\"dest_apic\":1,\"sid\":24,\"sq\":0,\"svt\":1}");
	has(s, "\"changed\":[\"vector\",\"dest\"]");
	has(s, "\"new\":{\"low\":2424841,");
	has(s, "\"vector\":37");
	free(s);

	/* a snapshot has no old entry; AMD entries carry the device */
	e.h.type = IT_EV_IRTE_SNAP;
	e.vendor = IT_IRTE_AMD_GA;
	e.flags = IT_IRTE_F_UNIT_KNOWN;
	e.iommu[0] = 0;
	e.unit = 0;
	e.devid = 0x20;
	e.new_lo = 1 | (1ull << 8);
	e.new_hi = 0x23;
	s = json_of(&e.h);
	has(s, "\"type\":\"irte_snapshot\"");
	has(s, "\"iommu\":\"ivhd0\"");
	has(s, "\"devid\":32");
	has(s, "\"bdf\":\"0000:00:04.0\"");
	has(s, "\"vector\":35");
	has(s, "\"dest_apic\":1");
	assert_null(strstr(s, "\"old\""));
	free(s);
}

static void test_msi_and_vfio_json(void **state)
{
	struct it_msi_msg m;
	struct it_vfio_vector v;
	struct it_kvm_route r;
	char *s;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.h.type = IT_EV_MSI_WRITE;
	m.h.len = sizeof(m);
	m.irq = 25;
	m.address_lo = 0xfee00218;	/* the lab e1000e's MSI-X entry 0 */
	m.flags = IT_MSI_F_BDF | IT_MSI_F_MSIX | IT_MSI_F_INDEX;
	m.bus = 0;
	m.devfn = 0x18;
	s = json_of(&m.h);
	has(s, "\"bdf\":\"0000:00:03.0\"");
	has(s, "\"msix\":true");
	has(s, "\"msi_index\":0");
	has(s, "\"format\":\"remappable\"");
	has(s, "\"irte_handle\":16");
	free(s);

	memset(&v, 0, sizeof(v));
	v.h.type = IT_EV_VFIO_VECTOR;
	v.h.len = sizeof(v);
	v.vector = 1;
	v.fd = -1;
	v.msix = 1;
	v.host_irq = 26;
	v.devfn = 0x18;
	memcpy(v.name, "vfio-msix[1](0000:00:03.0)", 27);
	s = json_of(&v.h);
	has(s, "\"op\":\"disable\"");
	has(s, "\"host_irq\":26");
	has(s, "\"name\":\"vfio-msix[1](0000:00:03.0)\"");
	free(s);

	/* KVM_SIGNAL_MSI's entry: no gsi, decoded as an MSI whatever .type */
	memset(&r, 0, sizeof(r));
	r.h.type = IT_EV_KVM_SET_MSI_FN;
	r.h.len = sizeof(r);
	r.type = 7;
	r.address_lo = 0xfee00000;
	r.data = 0x30;
	s = json_of(&r.h);
	has(s, "\"vector\":48");
	assert_null(strstr(s, "\"gsi\""));
	free(s);
}

#ifndef TEST_FIXTURES
#error "TEST_FIXTURES must name the tests/fixtures directory"
#endif

static void msi_rec(struct it_msi_msg *m, unsigned int type, uint32_t irq, uint32_t address_lo, uint32_t data)
{
	memset(m, 0, sizeof(*m));
	m->h.type = type;
	m->h.len = sizeof(*m);
	m->irq = irq;
	m->address_lo = address_lo;
	m->data = data;
}

static char *json_host_of(const struct it_hdr *h, const struct it_msi_host *mh)
{
	struct it_json j;
	char *s;

	jw_init(&j);
	assert_int_equal(it_event_json_host(&j, h, mh), 1);
	s = strdup(j.buf);
	jw_free(&j);
	return s;
}

/*
 * The AMD lab's messages decoded with the facts of its own captured root
 * (tests/fixtures/lab-amd-6.12: /proc/interrupts chips, AMD-Vi remapping
 * detected from it): the e1000e's MSI-X entry 2 (0xfee00000 / data 2, IRTE 2
 * of devid 0x20 in the lab's table read) carries an IRTE index; the AMD-Vi
 * unit's own PCI-MSI (irq 24, chip PCI-MSI-0000:00:02.0) is a plain message.
 */
static void test_msi_amd_host_json(void **state)
{
	struct it_snapshot snap;
	struct it_msi_host mh, none;
	struct it_msi_msg m;
	char *s, line[512];

	(void)state;
	memset(&snap, 0, sizeof(snap));
	assert_int_equal(it_snapshot_read(&snap, TEST_FIXTURES "/lab-amd-6.12",
					  IT_SNAP_INTERRUPTS | IT_SNAP_IR), 0);
	assert_int_equal(snap.ir.mode, IT_IR_AMD);
	it_msi_host_init(&mh, &snap);
	assert_true(mh.amd_ir);
	it_msi_host_init(&none, NULL);
	assert_false(none.amd_ir);

	msi_rec(&m, IT_EV_MSI_WRITE, 27, 0xfee00000, 2);
	m.msi_index = 2;
	m.flags = IT_MSI_F_BDF | IT_MSI_F_MSIX | IT_MSI_F_INDEX;
	m.devfn = 0x20;		/* 00:04.0 */
	s = json_host_of(&m.h, &mh);
	has(s, "\"bdf\":\"0000:00:04.0\"");
	has(s, "\"format\":\"amd-remapped\",\"irte_index\":2");
	assert_null(strstr(s, "\"vector\""));
	free(s);
	assert_int_equal(it_event_text_host(&m.h, line, sizeof(line), &mh), 1);
	assert_non_null(strstr(line, "irte_index=2"));
	/* without the host's facts: the bits alone say compat, vector 2 */
	s = json_host_of(&m.h, &none);
	has(s, "\"format\":\"compat\"");
	has(s, "\"vector\":2");
	free(s);
	/* an irq number the snapshot gave another device: the IR default */
	m.irq = 24;
	s = json_host_of(&m.h, &mh);
	has(s, "\"format\":\"amd-remapped\"");
	free(s);

	/* the AMD-Vi unit's own message, as the msi table read found it */
	m.irq = 24;
	m.devfn = 0x10;		/* 00:02.0 */
	m.data = 0x20;
	m.flags = IT_MSI_F_BDF | IT_MSI_F_INDEX | IT_MSI_F_SNAPSHOT;
	m.msi_index = 0;
	s = json_host_of(&m.h, &mh);
	has(s, "\"format\":\"compat\"");
	has(s, "\"vector\":32");
	assert_null(strstr(s, "irte_index"));
	free(s);

	/* compose: the record names its chip */
	msi_rec(&m, IT_EV_MSI_COMPOSE, 25, 0xfee00000, 0);
	memcpy(m.chip, "IR-PCI-MSIX-0000:00:04.0", 24);
	s = json_host_of(&m.h, &mh);
	has(s, "\"format\":\"amd-remapped\",\"irte_index\":0");
	free(s);
	memcpy(m.chip, "PCI-MSI-0000:00:02.0\0\0\0\0", 24);
	m.data = 0x20;
	s = json_host_of(&m.h, &mh);
	has(s, "\"format\":\"compat\"");
	free(s);
	it_snapshot_free(&snap);
}

static void test_short_record_rejected(void **state)
{
	struct it_irte e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.h.type = IT_EV_IRTE_WRITE;
	e.h.len = sizeof(e) - 8;
	assert_int_equal(it_event_check(&e.h, sizeof(e)), -1);
}

/* ---- kallsyms (lab guest, Debian 6.12, nokaslr) ---- */

static const char ksyms[] =
	"ffffffff8190fe90 t irte_ga_prepare\n"
	"ffffffff81910520 t amd_ir_set_affinity\n"
	"ffffffff81910650 t get_irq_table.isra.0\n"
	"ffffffff81910700 t __modify_irte_ga.isra.0\n"
	"ffffffff81910c80 t modify_irte.isra.0\n"
	"ffffffff819135a0 t irq_remapping_alloc\n"
	"ffffffff8191d690 T qi_submit_sync\n"
	"ffffffff8192df10 t intel_irq_remapping_alloc\n"
	"ffffffff8192e6b0 t modify_irte.isra.0\n"
	"ffffffff8192e9a0 t intel_ir_set_affinity\n"
	"ffffffff81a33e2f t irq_remapping_alloc.cold\n"
	"ffffffff82ddaf70 D dmar_drhd_units\n"
	"ffffffffc029f510 t irqfd_wakeup\t[kvm]\n";

static void test_ksym_resolve(void **state)
{
	struct it_ksym_pick p;

	(void)state;
	/* two copies of modify_irte.isra.0: the anchor picks the driver's */
	assert_int_equal(it_ksym_resolve(ksyms, "modify_irte", "intel_irq_remapping_alloc", &p), 0);
	assert_int_equal(p.addr, 0xffffffff8192e6b0ull);
	assert_string_equal(p.name, "modify_irte.isra.0");
	assert_int_equal(p.copies, 2);
	assert_false(p.unique_name);
	assert_int_equal(it_ksym_resolve(ksyms, "modify_irte", "irq_remapping_alloc", &p), 0);
	assert_int_equal(p.addr, 0xffffffff81910c80ull);
	/* without an anchor two copies are ambiguous */
	assert_int_equal(it_ksym_resolve(ksyms, "modify_irte", NULL, &p), -2);
	/* a unique clone is attachable by its suffixed name */
	assert_int_equal(it_ksym_resolve(ksyms, "__modify_irte_ga", NULL, &p), 0);
	assert_string_equal(p.name, "__modify_irte_ga.isra.0");
	assert_true(p.unique_name);
	/* .cold parts are not entry points; data symbols are not functions */
	assert_int_equal(it_ksym_resolve(ksyms, "irq_remapping_alloc", NULL, &p), 0);
	assert_int_equal(p.addr, 0xffffffff819135a0ull);
	assert_int_equal(p.copies, 1);
	assert_int_equal(it_ksym_resolve(ksyms, "dmar_drhd_units", NULL, &p), -1);
	/* a prefix is not a clone */
	assert_int_equal(it_ksym_resolve(ksyms, "modify_irte_g", NULL, &p), -1);
	/* module symbols carry their module */
	assert_int_equal(it_ksym_resolve(ksyms, "irqfd_wakeup", NULL, &p), 0);
	assert_string_equal(p.module, "kvm");
	assert_string_equal(p.name, "irqfd_wakeup");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_intel_irte_remapped),
		cmocka_unit_test(test_intel_irte_posted),
		cmocka_unit_test(test_amd_irte),
		cmocka_unit_test(test_irte_write_json),
		cmocka_unit_test(test_msi_and_vfio_json),
		cmocka_unit_test(test_msi_amd_host_json),
		cmocka_unit_test(test_short_record_rejected),
		cmocka_unit_test(test_ksym_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
