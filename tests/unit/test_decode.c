// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of src/decode.c.
 *
 * Every expected MSI value below is built by hand from the bit layouts of
 * the Intel SDM vol. 3 section "Message Signalled Interrupts" (compatibility
 * format) and the VT-d specification section "Interrupt Requests in
 * Remappable Format"; none is computed with the function under test.
 *
 * Compatibility format, address register:
 *   31:20 0xFEE   19:12 destination id   11:5 extended destination id
 *   (destination bits 14:8, Linux/KVM "ext dest id")   4 format (0)
 *   3 redirection hint   2 destination mode (1 = logical)
 *   address_hi 31:8: destination bits 31:8 (KVM x2APIC API)
 * data register:
 *   15 trigger mode (1 = level)   14 level (1 = assert)
 *   10:8 delivery mode (000 fixed, 001 lowest priority, 010 SMI, 100 NMI,
 *   101 INIT, 111 ExtINT; 011 and 110 reserved)   7:0 vector
 *
 * Remappable format, address register:
 *   31:20 0xFEE   19:5 handle[14:0]   4 format (1)   3 SHV   2 handle[15]
 * data register: 15:0 subhandle (valid when SHV = 1)
 *
 * AMD-Vi remapping (AMD IOMMU specification, "Interrupt Remapping"; the
 * driver's message: address 0xFEE00000, bit 2 set with 2K tables, address_hi
 * 0): data 10:0 is the IRTE index into the device's table of up to 2048
 * entries.  The AMD messages below are the AMD lab's own (tests/lab,
 * amd-6.12: the e1000e's MSI-X table as the device held it, whose IRTEs
 * irqtrail's table read found at index = data, devid 0x20; the AMD-Vi
 * unit's own plain PCI-MSI as the msi table read found it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "decode.h"
#include "rules.h"

/* ---- MSI: compatibility format ------------------------------------- */

static void test_msi_compat_physical_fixed_edge(void **state)
{
	struct it_msi_decoded d;

	(void)state;
	/* dest 0x12 in bits 19:12 -> 0x12000; vector 0x31, fixed, edge */
	it_msi_decode(0xFEE12000ull, 0x00000031u, &d);
	assert_true(d.window);
	assert_false(d.remappable);
	assert_int_equal(d.dest, 0x12);
	assert_int_equal(d.vector, 0x31);
	assert_int_equal(d.delivery, 0);
	assert_false(d.logical);
	assert_false(d.redir_hint);
	assert_false(d.level);
	assert_false(d.assert);
	assert_false(d.ext_dest);
}

static void test_msi_compat_logical_rh_lowest_level(void **state)
{
	struct it_msi_decoded d;

	(void)state;
	/*
	 * address: 0xFEE00000 | dest 0x03 << 12 (0x3000) | RH bit 3 (0x8) |
	 *          DM bit 2 (0x4) = 0xFEE0300C
	 * data:    trigger bit 15 (0x8000) | level bit 14 (0x4000) |
	 *          lowest priority 001 << 8 (0x100) | vector 0x41 = 0xC141
	 */
	it_msi_decode(0xFEE0300Cull, 0x0000C141u, &d);
	assert_true(d.window);
	assert_false(d.remappable);
	assert_int_equal(d.dest, 0x03);
	assert_int_equal(d.vector, 0x41);
	assert_int_equal(d.delivery, 1);
	assert_true(d.logical);
	assert_true(d.redir_hint);
	assert_true(d.level);
	assert_true(d.assert);
	assert_false(d.ext_dest);
}

static void test_msi_compat_bits_independent(void **state)
{
	struct it_msi_decoded d;

	(void)state;
	/* RH alone (bit 3), physical */
	it_msi_decode(0xFEE00008ull, 0x20, &d);
	assert_true(d.redir_hint);
	assert_false(d.logical);
	assert_int_equal(d.dest, 0);
	/* DM alone (bit 2) */
	it_msi_decode(0xFEE00004ull, 0x20, &d);
	assert_false(d.redir_hint);
	assert_true(d.logical);
	/* trigger bit 15 without level bit 14: level-triggered, deassert */
	it_msi_decode(0xFEE00000ull, 0x8020, &d);
	assert_true(d.level);
	assert_false(d.assert);
	/* level bit 14 alone: edge */
	it_msi_decode(0xFEE00000ull, 0x4020, &d);
	assert_false(d.level);
	assert_true(d.assert);
	/* destination 0xFF: every bit of 19:12 */
	it_msi_decode(0xFEEFF000ull, 0xFF, &d);
	assert_int_equal(d.dest, 0xFF);
	assert_int_equal(d.vector, 0xFF);
	assert_false(d.ext_dest);
	/* bits 1:0 of the address are don't-care */
	it_msi_decode(0xFEE01003ull, 0x30, &d);
	assert_int_equal(d.dest, 0x01);
	assert_false(d.logical);
	assert_false(d.redir_hint);
	assert_false(d.remappable);
}

static void test_msi_delivery_modes(void **state)
{
	static const struct {
		unsigned int mode;
		const char *name;
	} modes[] = {
		{ 0, "fixed" }, { 1, "lowest" }, { 2, "smi" },
		{ 4, "nmi" }, { 5, "init" }, { 7, "extint" },
	};
	struct it_msi_decoded d;

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		uint32_t data = (modes[i].mode << 8) | 0x30;

		it_msi_decode(0xFEE00000ull, data, &d);
		assert_int_equal(d.delivery, modes[i].mode);
		assert_int_equal(d.vector, 0x30);
		assert_string_equal(it_msi_delivery_name(d.delivery), modes[i].name);
		assert_string_equal(it_msi_delivery_name(modes[i].mode), modes[i].name);
	}
	/* 011 and 110 are reserved for MSI: not named as a real mode */
	assert_non_null(strstr(it_msi_delivery_name(3), "reserved"));
	assert_non_null(strstr(it_msi_delivery_name(6), "reserved"));
	/* bit 11 is not part of the delivery mode */
	it_msi_decode(0xFEE00000ull, 0x0830, &d);
	assert_int_equal(d.delivery, 0);
	it_msi_decode(0xFEE00000ull, 0x0F30, &d);
	assert_int_equal(d.delivery, 7);
	/* data bits 31:16 are reserved and change nothing */
	it_msi_decode(0xFEE00000ull, 0xABCD0431u, &d);
	assert_int_equal(d.vector, 0x31);
	assert_int_equal(d.delivery, 4);
	assert_false(d.level);
	assert_false(d.assert);
}

static void test_msi_ext_dest_id(void **state)
{
	struct it_msi_decoded d;

	(void)state;
	/*
	 * dest 0x2A5B: bits 7:0 = 0x5B -> address 19:12 = 0x5B000;
	 * bits 14:8 = 0x2A -> address 11:5 = 0x2A << 5 = 0x540.
	 */
	it_msi_decode(0xFEE5B540ull, 0x22, &d);
	assert_true(d.ext_dest);
	assert_int_equal(d.dest, 0x2A5B);
	assert_false(d.logical);	/* 0x540 has bits 3:2 clear */
	assert_false(d.redir_hint);
	assert_false(d.remappable);
	/* the largest 15-bit destination: 0xFF000 | 0x7F << 5 (0xFE0) */
	it_msi_decode(0xFEEFFFE0ull, 0x22, &d);
	assert_true(d.ext_dest);
	assert_int_equal(d.dest, 0x7FFF);
	/* only bit 5 -> destination bit 8 */
	it_msi_decode(0xFEE00020ull, 0x22, &d);
	assert_true(d.ext_dest);
	assert_int_equal(d.dest, 0x100);
	/* only bit 11 -> destination bit 14 */
	it_msi_decode(0xFEE00800ull, 0x22, &d);
	assert_true(d.ext_dest);
	assert_int_equal(d.dest, 0x4000);
}

/* ---- MSI: AMD-Vi remapped ------------------------------------------- */

struct amd_case {
	const char *what;
	uint64_t address;
	uint32_t data;
	bool amd_ir;		/* the host remaps with AMD-Vi, the irq's chip is IR- */
	bool amd_remapped;	/* expected */
	uint16_t irte_index;	/* amd_remapped: expected */
	bool window, remappable;
	uint8_t vector;		/* compat: expected */
	uint32_t dest;
};

static void amd_cases(const struct amd_case *c, size_t n)
{
	struct it_msi_decoded d;

	for (size_t i = 0; i < n; i++, c++) {
		it_msi_decode_host(c->address, c->data, c->amd_ir, &d);
		if (d.amd_remapped != c->amd_remapped || d.window != c->window || d.remappable != c->remappable ||
		    (c->amd_remapped ? d.irte_index != c->irte_index || d.vector || d.dest
				     : !c->remappable && (d.vector != c->vector || d.dest != c->dest)))
			fail_msg("%s: %#llx/%#x amd_ir %d: amd_remapped %d index %u vector %#x dest %u window %d "
				 "remappable %d", c->what, (unsigned long long)c->address, c->data, c->amd_ir,
				 d.amd_remapped, d.irte_index, d.vector, d.dest, d.window, d.remappable);
	}
}

static void test_msi_amd_remapped_lab(void **state)
{
	static const struct amd_case c[] = {
		/* the AMD lab's e1000e MSI-X entries 0..4: 0xfee00000 / data
		 * 0..4, IRTEs 0..4 of devid 0x20 in the guest's table; the
		 * vector and destination are in the IRTE, not the message */
		{ "e1000e[0]", 0xfee00000ull, 0, true, true, 0, true, false, 0, 0 },
		{ "e1000e[1]", 0xfee00000ull, 1, true, true, 1, true, false, 0, 0 },
		{ "e1000e[2]", 0xfee00000ull, 2, true, true, 2, true, false, 0, 0 },
		{ "e1000e[3]", 0xfee00000ull, 3, true, true, 3, true, false, 0, 0 },
		{ "e1000e[4]", 0xfee00000ull, 4, true, true, 4, true, false, 0, 0 },
		/* the same bits without AMD-Vi: compat, vector = data */
		{ "no AMD-Vi", 0xfee00000ull, 4, false, false, 0, true, false, 4, 0 },
		/* the AMD-Vi unit's own PCI-MSI (not remapped): vector 0x20 to APIC 0 */
		{ "AMD-Vi irq", 0xfee00000ull, 0x20, false, false, 0, true, false, 0x20, 0 },
		/* a cleared MSI-X entry (the lab's teardown writes 0/0) */
		{ "cleared", 0, 0, true, false, 0, false, false, 0, 0 },
	};

	(void)state;
	amd_cases(c, sizeof(c) / sizeof(c[0]));
}

static void test_msi_amd_remapped_shape(void **state)
{
	static const struct amd_case c[] = {
		/* 2K tables: the destination-mode bit (address bit 2) is set;
		 * the largest index is 0x7ff */
		{ "2K, last", 0xfee00004ull, 0x7ff, true, true, 0x7ff, true, false, 0, 0 },
		/* data above bit 10: no index the driver writes, decoded as compat */
		{ "data 0x800", 0xfee00000ull, 0x800, true, false, 0, true, false, 0, 0 },
		/* a destination in the address, address_hi, or the Intel format
		 * bit: not the AMD remapping domain's message */
		{ "dest 1", 0xfee01000ull, 3, true, false, 0, true, false, 3, 1 },
		{ "address_hi", 0x100fee00000ull, 3, true, false, 0, true, false, 3, 0x100 },
		{ "Intel handle 16", 0xfee00218ull, 0, true, false, 0, true, true, 0, 0 },
	};
	struct it_msi_decoded d;

	(void)state;
	assert_int_equal(IT_AMD_IRTE_INDEX_MASK, 0x7ff);
	amd_cases(c, sizeof(c) / sizeof(c[0]));
	it_msi_decode_host(0xfee00218ull, 0, true, &d);
	assert_int_equal(d.irte_handle, 16);
}

static void test_msi_chip_remapped(void **state)
{
	(void)state;
	/* the AMD lab's /proc/interrupts chips (6.12), 6.1's shared name */
	assert_true(it_msi_chip_remapped("IR-PCI-MSIX-0000:00:04.0"));
	assert_true(it_msi_chip_remapped("IR-PCI-MSI"));
	assert_true(it_msi_chip_remapped("AMD-IR"));
	assert_false(it_msi_chip_remapped("PCI-MSI-0000:00:02.0"));
	assert_false(it_msi_chip_remapped("PCI-MSI"));
	assert_true(it_msi_chip_remapped(""));
	assert_true(it_msi_chip_remapped(NULL));
}

static void test_msi_x2apic_address_hi(void **state)
{
	struct it_msi_decoded d;

	(void)state;
	/* dest 0x12345678: bits 7:0 -> address 19:12 (0x78000),
	 * bits 31:8 -> address_hi 31:8 (0x12345600) */
	it_msi_decode(0x12345600FEE78000ull, 0x40, &d);
	assert_true(d.window);
	assert_false(d.ext_dest);
	assert_int_equal(d.dest, 0x12345678u);
	assert_int_equal(d.vector, 0x40);
	/* address_hi bits 7:0 are not destination bits */
	it_msi_decode(0x123456FFFEE78000ull, 0x40, &d);
	assert_int_equal(d.dest, 0x12345678u);
	/* destination 256 (first id a plain xAPIC message cannot name) */
	it_msi_decode(0x00000100FEE00000ull, 0x40, &d);
	assert_int_equal(d.dest, 0x100);
	/* the top destination bit */
	it_msi_decode(0x80000000FEE00000ull, 0x40, &d);
	assert_int_equal(d.dest, 0x80000000u);
}

static void test_msi_window(void **state)
{
	struct it_msi_decoded d;

	(void)state;
	it_msi_decode(0xFEE00000ull, 0x30, &d);
	assert_true(d.window);
	it_msi_decode(0xFEEFFFFFull, 0x30, &d);
	assert_true(d.window);
	it_msi_decode(0x00000100FEE00000ull, 0x30, &d);	/* hi is destination, not window */
	assert_true(d.window);
	it_msi_decode(0xFEDFFFFFull, 0x30, &d);
	assert_false(d.window);
	it_msi_decode(0xFEF00000ull, 0x30, &d);
	assert_false(d.window);
	it_msi_decode(0xFEC00000ull, 0x30, &d);		/* the IOAPIC page */
	assert_false(d.window);
	it_msi_decode(0ull, 0, &d);
	assert_false(d.window);
	it_msi_decode(0x7EE00000ull, 0x30, &d);		/* bit 31 missing */
	assert_false(d.window);
}

/* ---- MSI: remappable format ----------------------------------------- */

static void test_msi_remappable_shv(void **state)
{
	struct it_msi_decoded d;

	(void)state;
	/*
	 * handle 0x9234: handle[14:0] = 0x1234 -> address 19:5 = 0x1234 << 5 = 0x24680,
	 * handle[15] = 1 -> address bit 2 (0x4); format bit 4 (0x10); SHV bit 3 (0x8).
	 * 0xFEE00000 | 0x24680 | 0x10 | 0x8 | 0x4 = 0xFEE2469C; subhandle 3.
	 */
	it_msi_decode(0xFEE2469Cull, 0x0003, &d);
	assert_true(d.window);
	assert_true(d.remappable);
	assert_int_equal(d.irte_handle, 0x9234);
	assert_true(d.shv);
	assert_int_equal(d.subhandle, 3);
	/* data bits 31:16 are reserved: subhandle is data 15:0 */
	it_msi_decode(0xFEE2469Cull, 0xABCDFFFEu, &d);
	assert_true(d.shv);
	assert_int_equal(d.subhandle, 0xFFFE);
}

static void test_msi_remappable_handles(void **state)
{
	struct it_msi_decoded d;

	(void)state;
	/* handle 0xFFFF without SHV: 0xFFFE0 | 0x10 | 0x4 */
	it_msi_decode(0xFEEFFFF4ull, 0, &d);
	assert_true(d.remappable);
	assert_false(d.shv);
	assert_int_equal(d.irte_handle, 0xFFFF);
	/* handle 0x8000: only address bit 2 */
	it_msi_decode(0xFEE00014ull, 0, &d);
	assert_true(d.remappable);
	assert_int_equal(d.irte_handle, 0x8000);
	/* handle 1: address bit 5 */
	it_msi_decode(0xFEE00030ull, 0, &d);
	assert_int_equal(d.irte_handle, 1);
	/* handle 0x4000: address bit 19 */
	it_msi_decode(0xFEE80010ull, 0, &d);
	assert_int_equal(d.irte_handle, 0x4000);
	/* handle 0 */
	it_msi_decode(0xFEE00010ull, 0, &d);
	assert_true(d.remappable);
	assert_int_equal(d.irte_handle, 0);
	/* bit 4 clear: not remappable, whatever else is set */
	it_msi_decode(0xFEE2468Cull, 0, &d);
	assert_false(d.remappable);
}

/* ---- vectors --------------------------------------------------------- */

static void test_vector_reserved(void **state)
{
	(void)state;
	/* SDM 10.5.2: the APIC flags vectors 0..15 as illegal; 16..255 are valid */
	for (unsigned int v = 0; v < 16; v++)
		assert_true(it_vector_reserved(v));
	for (unsigned int v = 16; v < 256; v++)
		assert_false(it_vector_reserved(v));
}

/* ---- event types ---------------------------------------------------- */

static const struct {
	unsigned int type;
	const char *name;	/* the "type" of a stream -j line */
	unsigned int size;
	bool dataplane;
} types[] = {
	{ IT_EV_IRQ_ENTRY, "irq_entry", sizeof(struct it_irq_entry), true },
	{ IT_EV_IRQ_EXIT, "irq_exit", sizeof(struct it_irq_exit), true },
	{ IT_EV_IRQ_NAME, "irq_name", sizeof(struct it_irq_entry), false },
	{ IT_EV_VECTOR_SETUP, "vector_setup", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_ALLOC, "vector_alloc", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_ALLOC_MANAGED, "vector_alloc_managed", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_RESERVE, "vector_reserve", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_RESERVE_MANAGED, "vector_reserve_managed", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_UPDATE, "vector_update", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_CLEAR, "vector_clear", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_CONFIG, "vector_config", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_ACTIVATE, "vector_activate", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_DEACTIVATE, "vector_deactivate", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_TEARDOWN, "vector_teardown", sizeof(struct it_vector), false },
	{ IT_EV_VECTOR_FREE_MOVED, "vector_free_moved", sizeof(struct it_vector), false },
	{ IT_EV_MATRIX_ALLOC, "matrix_alloc", sizeof(struct it_matrix), false },
	{ IT_EV_MATRIX_FREE, "matrix_free", sizeof(struct it_matrix), false },
	{ IT_EV_MATRIX_ALLOC_MANAGED, "matrix_alloc_managed", sizeof(struct it_matrix), false },
	{ IT_EV_MATRIX_ALLOC_RESERVED, "matrix_alloc_reserved", sizeof(struct it_matrix), false },
	{ IT_EV_MATRIX_ASSIGN, "matrix_assign", sizeof(struct it_matrix), false },
	{ IT_EV_KVM_MSI, "kvm_msi", sizeof(struct it_kvm_msi), true },
	{ IT_EV_KVM_SET_IRQ, "kvm_set_irq", sizeof(struct it_kvm_set_irq), true },
	{ IT_EV_KVM_PI_IRTE, "kvm_pi_irte_update", sizeof(struct it_kvm_pi_irte), false },
	{ IT_EV_KVM_APIC_ACCEPT, "kvm_apic_accept", sizeof(struct it_kvm_apic), true },
	{ IT_EV_KVM_INJ_VIRQ, "kvm_inj_virq", sizeof(struct it_kvm_apic), true },
	{ IT_EV_KVM_EOI, "kvm_eoi", sizeof(struct it_kvm_apic), true },
	{ IT_EV_KVM_ACK_IRQ, "kvm_ack_irq", sizeof(struct it_kvm_set_irq), true },
	{ IT_EV_HC_KVM, "hypercall_kvm", sizeof(struct it_hypercall), true },
	{ IT_EV_HC_HV, "hypercall_hv", sizeof(struct it_hypercall), true },
	{ IT_EV_HC_HV_DONE, "hypercall_hv_done", sizeof(struct it_hypercall), true },
	{ IT_EV_HC_XEN, "hypercall_xen", sizeof(struct it_hypercall), true },
	{ IT_EV_IOCTL_SET_IRQS, NULL, sizeof(struct it_ioctl_set_irqs), false },
	{ IT_EV_IOCTL_GET_DEVICE_FD, NULL, sizeof(struct it_ioctl_get_device_fd), false },
	{ IT_EV_IOCTL_IRQFD, NULL, sizeof(struct it_ioctl_irqfd), false },
	{ IT_EV_IOCTL_GSI_ROUTING, NULL, sizeof(struct it_ioctl_gsi_routing), false },
	{ IT_EV_IOCTL_GSI_ROUTE, NULL, sizeof(struct it_ioctl_gsi_route), false },
	{ IT_EV_IOCTL_SIGNAL_MSI, NULL, sizeof(struct it_ioctl_signal_msi), true },
	{ IT_EV_IOCTL_CREATE_VM, NULL, sizeof(struct it_ioctl_simple), false },
	{ IT_EV_IOCTL_CREATE_VCPU, NULL, sizeof(struct it_ioctl_simple), false },
	{ IT_EV_LOST, "lost", sizeof(struct it_lost), false },
	{ IT_EV_PROC, "proc", sizeof(struct it_proc), false },
	{ IT_EV_ALERT, "alert", sizeof(struct it_alert), false },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static int known_index(unsigned int t)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].type == t)
			return (int)i;
	return -1;
}

static bool in_full_range(unsigned int t)
{
	return t >= IT_EV_RESERVED_FIRST && t <= IT_EV_RESERVED_LAST;
}

static void test_event_type_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		const char *n = it_event_type_name(types[i].type);

		assert_non_null(n);
		assert_true(n[0] != 0);
		if (types[i].name)
			assert_string_equal(n, types[i].name);
	}
	/* types without a record layout have no name (80..199 belong to the
	 * fentry/kprobe tier, src/full_events.c, and are checked generically) */
	for (unsigned int t = 0; t <= 255; t++)
		if (known_index(t) < 0 && !in_full_range(t))
			assert_null(it_event_type_name(t));
	assert_null(it_event_type_name(256));
	assert_null(it_event_type_name(~0u));
}

/* Every type's name must map back to that type and no other. */
static void test_event_type_round_trip(void **state)
{
	(void)state;
	for (unsigned int t = 0; t <= 255; t++) {
		const char *n = it_event_type_name(t);

		if (!n) {
			assert_true(known_index(t) < 0);
			continue;
		}
		if (it_event_type_from_name(n) != (int)t)
			fail_msg("type %u is named \"%s\", but \"%s\" maps back to type %d",
				 t, n, n, it_event_type_from_name(n));
	}
}

static void test_event_type_from_name_unknown(void **state)
{
	(void)state;
	assert_int_equal(it_event_type_from_name(""), -1);
	assert_int_equal(it_event_type_from_name("no_such_event"), -1);
	assert_int_equal(it_event_type_from_name("IRQ_ENTRY"), -1);	/* case matters */
	assert_int_equal(it_event_type_from_name("irq_entr"), -1);	/* no prefixes */
	assert_int_equal(it_event_type_from_name("irq_entry "), -1);
	assert_int_equal(it_event_type_from_name("kvm_msi"), IT_EV_KVM_MSI);
	assert_int_equal(it_event_type_from_name("vector_update"), IT_EV_VECTOR_UPDATE);
}

static void test_event_min_len(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		if (it_event_min_len(types[i].type) != types[i].size)
			fail_msg("type %u: min len %u, want sizeof = %u", types[i].type,
				 it_event_min_len(types[i].type), types[i].size);
	}
	for (unsigned int t = 0; t <= 255; t++) {
		if (known_index(t) < 0 && !in_full_range(t))
			assert_int_equal(it_event_min_len(t), 0);
		/* a named type has a size, an unnamed one none */
		if (!it_event_type_name(t) != !it_event_min_len(t))
			fail_msg("type %u: name %s but min len %u", t,
				 it_event_type_name(t) ? it_event_type_name(t) : "NULL",
				 it_event_min_len(t));
		if (it_event_min_len(t) && it_event_min_len(t) < sizeof(struct it_hdr))
			fail_msg("type %u: min len %u is shorter than the header", t, it_event_min_len(t));
	}
	assert_int_equal(it_event_min_len(256), 0);
	assert_int_equal(it_event_min_len(~0u), 0);
	/* ABI sizes (bpf/events.h) */
	assert_int_equal(it_event_min_len(IT_EV_KVM_MSI), 56);
	assert_int_equal(it_event_min_len(IT_EV_VECTOR_UPDATE), 56);
	assert_int_equal(it_event_min_len(IT_EV_IOCTL_SET_IRQS), 24 + 24 + 24 + 4 * 32);
	assert_int_equal(it_event_min_len(IT_EV_LOST), 32);
	assert_int_equal(it_event_min_len(IT_EV_PROC), 24 + 72);
}

static void test_event_dataplane(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTYPES; i++)
		if (it_event_is_dataplane(types[i].type) != types[i].dataplane)
			fail_msg("type %u: dataplane %d, want %d", types[i].type,
				 it_event_is_dataplane(types[i].type), types[i].dataplane);
	assert_false(it_event_is_dataplane(0));
	assert_false(it_event_is_dataplane(IT_EV_ALERT));
	assert_false(it_event_is_dataplane(1000));
}

/* ---- ioctls --------------------------------------------------------- */

static void test_ioctl_names(void **state)
{
	/*
	 * _IOC(dir, type, nr, size) = dir << 30 | size << 16 | type << 8 | nr,
	 * dir: _IOC_WRITE = 1.  KVMIO = 0xAE, VFIO_TYPE = ';' = 0x3B, VFIO_BASE = 100.
	 */
	static const struct {
		uint32_t cmd;
		const char *name;
	} cmds[] = {
		{ 0x0000AE01u, "KVM_CREATE_VM" },		/* _IO(KVMIO, 0x01) */
		{ 0x0000AE41u, "KVM_CREATE_VCPU" },		/* _IO(KVMIO, 0x41) */
		{ 0x4008AE6Au, "KVM_SET_GSI_ROUTING" },		/* _IOW(KVMIO, 0x6a, 8 bytes) */
		{ 0x4020AE76u, "KVM_IRQFD" },			/* _IOW(KVMIO, 0x76, 32 bytes) */
		{ 0x4020AEA5u, "KVM_SIGNAL_MSI" },		/* _IOW(KVMIO, 0xa5, 32 bytes) */
		{ 0x00003B6Au, "VFIO_GROUP_GET_DEVICE_FD" },	/* _IO(';', 100 + 6) */
		{ 0x00003B6Eu, "VFIO_DEVICE_SET_IRQS" },	/* _IO(';', 100 + 10) */
	};
	static const uint32_t others[] = {
		0,
		0x0000AE80u,	/* KVM_RUN */
		0x0000AE60u,	/* KVM_CREATE_IRQCHIP */
		0x4040AE79u,	/* KVM_IOEVENTFD */
		0x4008AE61u,	/* KVM_IRQ_LINE */
		0x00003B6Du,	/* VFIO_DEVICE_GET_IRQ_INFO */
		0x00003B6Bu,	/* VFIO_DEVICE_GET_INFO */
		0x8008AE6Au,	/* SET_GSI_ROUTING number with the read direction */
		0x4010AE6Au,	/* ... with another size */
		0x0000AE6Au,
		0xC020AEA5u,
		0x0001AE01u,
		0x00013B6Eu,
		0xFFFFFFFFu,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *n = it_ioctl_name(cmds[i].cmd);

		if (!n || strcmp(n, cmds[i].name))
			fail_msg("ioctl 0x%08x: got %s, want %s", cmds[i].cmd, n ? n : "NULL", cmds[i].name);
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (it_ioctl_name(others[i]))
			fail_msg("ioctl 0x%08x is not decoded but is named %s", others[i],
				 it_ioctl_name(others[i]));
}

static void test_vfio_irq_index_names(void **state)
{
	(void)state;
	/* VFIO_PCI_{INTX,MSI,MSIX,ERR,REQ}_IRQ_INDEX = 0..4 */
	assert_string_equal(it_vfio_irq_index_name(0), "intx");
	assert_string_equal(it_vfio_irq_index_name(1), "msi");
	assert_string_equal(it_vfio_irq_index_name(2), "msix");
	assert_string_equal(it_vfio_irq_index_name(3), "err");
	assert_string_equal(it_vfio_irq_index_name(4), "req");
	assert_string_equal(it_vfio_irq_index_name(5), "unknown");
	assert_string_equal(it_vfio_irq_index_name(0xFFFFFFFFu), "unknown");
	assert_int_equal(IT_VFIO_IRQ_INDEX_INTX, 0);
	assert_int_equal(IT_VFIO_IRQ_INDEX_MSI, 1);
	assert_int_equal(IT_VFIO_IRQ_INDEX_MSIX, 2);
}

static void test_kvm_route_type_names(void **state)
{
	(void)state;
	/* KVM_IRQ_ROUTING_IRQCHIP 1, MSI 2, S390_ADAPTER 3, HV_SINT 4, XEN_EVTCHN 5 */
	assert_string_equal(it_kvm_route_type_name(1), "irqchip");
	assert_string_equal(it_kvm_route_type_name(2), "msi");
	assert_string_equal(it_kvm_route_type_name(3), "s390_adapter");
	assert_string_equal(it_kvm_route_type_name(4), "hv_sint");
	assert_string_equal(it_kvm_route_type_name(5), "xen_evtchn");
	assert_string_equal(it_kvm_route_type_name(0), "unknown");
	assert_string_equal(it_kvm_route_type_name(6), "unknown");
	assert_string_equal(it_kvm_route_type_name(0xFFFFFFFFu), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msi_compat_physical_fixed_edge),
		cmocka_unit_test(test_msi_compat_logical_rh_lowest_level),
		cmocka_unit_test(test_msi_compat_bits_independent),
		cmocka_unit_test(test_msi_delivery_modes),
		cmocka_unit_test(test_msi_ext_dest_id),
		cmocka_unit_test(test_msi_x2apic_address_hi),
		cmocka_unit_test(test_msi_window),
		cmocka_unit_test(test_msi_remappable_shv),
		cmocka_unit_test(test_msi_remappable_handles),
		cmocka_unit_test(test_msi_amd_remapped_lab),
		cmocka_unit_test(test_msi_amd_remapped_shape),
		cmocka_unit_test(test_msi_chip_remapped),
		cmocka_unit_test(test_vector_reserved),
		cmocka_unit_test(test_event_type_names),
		cmocka_unit_test(test_event_type_round_trip),
		cmocka_unit_test(test_event_type_from_name_unknown),
		cmocka_unit_test(test_event_min_len),
		cmocka_unit_test(test_event_dataplane),
		cmocka_unit_test(test_ioctl_names),
		cmocka_unit_test(test_vfio_irq_index_names),
		cmocka_unit_test(test_kvm_route_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
