// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include "decode.h"
#include "full_events.h"
#include "rules.h"

/* The BPF side filters on these numbers (bpf/vmm_ioctl.bpf.h); keep both in step. */
_Static_assert(KVM_CREATE_VM == 0xAE01, "KVM_CREATE_VM");
_Static_assert(KVM_CREATE_VCPU == 0xAE41, "KVM_CREATE_VCPU");
_Static_assert(KVM_SET_GSI_ROUTING == 0x4008AE6A, "KVM_SET_GSI_ROUTING");
_Static_assert(KVM_IRQFD == 0x4020AE76, "KVM_IRQFD");
_Static_assert(KVM_SIGNAL_MSI == 0x4020AEA5, "KVM_SIGNAL_MSI");
_Static_assert(VFIO_GROUP_GET_DEVICE_FD == 0x3B6A, "VFIO_GROUP_GET_DEVICE_FD");
_Static_assert(VFIO_DEVICE_SET_IRQS == 0x3B6E, "VFIO_DEVICE_SET_IRQS");
_Static_assert(sizeof(struct kvm_irq_routing_entry) == 48, "routing entry");
_Static_assert(sizeof(struct vfio_irq_set) == 20, "vfio_irq_set");

void it_msi_decode(uint64_t address, uint32_t data, struct it_msi_decoded *d)
{
	uint32_t lo = (uint32_t)address, hi = (uint32_t)(address >> 32);

	memset(d, 0, sizeof(*d));
	d->window = (lo & 0xfff00000u) == 0xfee00000u;
	d->remappable = lo & (1u << 4);
	d->vector = data & 0xff;
	d->delivery = (data >> 8) & 7;
	d->assert = data & (1u << 14);
	d->level = data & (1u << 15);
	if (d->remappable) {
		/* handle[14:0] = address[19:5], handle[15] = address[2] */
		d->irte_handle = ((lo >> 5) & 0x7fff) | (((lo >> 2) & 1) << 15);
		d->shv = lo & (1u << 3);
		if (d->shv)
			d->subhandle = data & 0xffff;
		return;
	}
	d->logical = lo & (1u << 2);
	d->redir_hint = lo & (1u << 3);
	d->dest = (lo >> 12) & 0xff;
	if ((lo >> 5) & 0x7f) {
		d->ext_dest = true;
		d->dest |= ((lo >> 5) & 0x7f) << 8;
	}
	/* x2APIC destinations above 255: address_hi bits 31:8 (KVM's x2APIC API) */
	d->dest |= hi & 0xffffff00u;
}

void it_msi_decode_host(uint64_t address, uint32_t data, bool amd_ir, struct it_msi_decoded *d)
{
	uint32_t lo = (uint32_t)address;

	/* 0xFEE00000, bit 2 allowed (2K tables), nothing else; the data no
	 * wider than the largest table's index */
	if (amd_ir && (lo & ~4u) == 0xfee00000u && !(address >> 32) && !(data & ~IT_AMD_IRTE_INDEX_MASK)) {
		memset(d, 0, sizeof(*d));
		d->window = true;
		d->amd_remapped = true;
		d->irte_index = (uint16_t)(data & IT_AMD_IRTE_INDEX_MASK);
		return;
	}
	it_msi_decode(address, data, d);
}

bool it_msi_chip_remapped(const char *chip)
{
	return !chip || !chip[0] || !strncmp(chip, "IR-", 3) || strstr(chip, "AMD-IR");
}

const char *it_msi_delivery_name(unsigned int delivery)
{
	static const char *const n[8] = {
		"fixed", "lowest", "smi", "reserved3", "nmi", "init", "reserved6", "extint",
	};
	return n[delivery & 7];
}

bool it_vector_reserved(unsigned int vector)
{
	return vector < 0x10;
}

static const struct {
	const char *name;
	unsigned short min_len;
	bool dataplane;
} type_info[IT_EV_MAX + 1] = {
	[IT_EV_IRQ_ENTRY] = { "irq_entry", sizeof(struct it_irq_entry), true },
	[IT_EV_IRQ_EXIT] = { "irq_exit", sizeof(struct it_irq_exit), true },
	[IT_EV_IRQ_NAME] = { "irq_name", sizeof(struct it_irq_entry), false },
	[IT_EV_VECTOR_SETUP] = { "vector_setup", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_ALLOC] = { "vector_alloc", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_ALLOC_MANAGED] = { "vector_alloc_managed", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_RESERVE] = { "vector_reserve", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_RESERVE_MANAGED] = { "vector_reserve_managed", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_UPDATE] = { "vector_update", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_CLEAR] = { "vector_clear", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_CONFIG] = { "vector_config", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_ACTIVATE] = { "vector_activate", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_DEACTIVATE] = { "vector_deactivate", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_TEARDOWN] = { "vector_teardown", sizeof(struct it_vector), false },
	[IT_EV_VECTOR_FREE_MOVED] = { "vector_free_moved", sizeof(struct it_vector), false },
	[IT_EV_MATRIX_ALLOC] = { "matrix_alloc", sizeof(struct it_matrix), false },
	[IT_EV_MATRIX_FREE] = { "matrix_free", sizeof(struct it_matrix), false },
	[IT_EV_MATRIX_ALLOC_MANAGED] = { "matrix_alloc_managed", sizeof(struct it_matrix), false },
	[IT_EV_MATRIX_ALLOC_RESERVED] = { "matrix_alloc_reserved", sizeof(struct it_matrix), false },
	[IT_EV_MATRIX_ASSIGN] = { "matrix_assign", sizeof(struct it_matrix), false },
	[IT_EV_KVM_MSI] = { "kvm_msi", sizeof(struct it_kvm_msi), true },
	[IT_EV_KVM_SET_IRQ] = { "kvm_set_irq", sizeof(struct it_kvm_set_irq), true },
	[IT_EV_KVM_PI_IRTE] = { "kvm_pi_irte_update", sizeof(struct it_kvm_pi_irte), false },
	[IT_EV_KVM_APIC_ACCEPT] = { "kvm_apic_accept", sizeof(struct it_kvm_apic), true },
	[IT_EV_KVM_INJ_VIRQ] = { "kvm_inj_virq", sizeof(struct it_kvm_apic), true },
	[IT_EV_KVM_EOI] = { "kvm_eoi", sizeof(struct it_kvm_apic), true },
	[IT_EV_KVM_ACK_IRQ] = { "kvm_ack_irq", sizeof(struct it_kvm_set_irq), true },
	[IT_EV_HC_KVM] = { "hypercall_kvm", sizeof(struct it_hypercall), true },
	[IT_EV_HC_HV] = { "hypercall_hv", sizeof(struct it_hypercall), true },
	[IT_EV_HC_HV_DONE] = { "hypercall_hv_done", sizeof(struct it_hypercall), true },
	[IT_EV_HC_XEN] = { "hypercall_xen", sizeof(struct it_hypercall), true },
	[IT_EV_IOCTL_SET_IRQS] = { "ioctl_set_irqs", sizeof(struct it_ioctl_set_irqs), false },
	[IT_EV_IOCTL_GET_DEVICE_FD] = { "ioctl_get_device_fd", sizeof(struct it_ioctl_get_device_fd), false },
	[IT_EV_IOCTL_IRQFD] = { "ioctl_irqfd", sizeof(struct it_ioctl_irqfd), false },
	[IT_EV_IOCTL_GSI_ROUTING] = { "ioctl_gsi_routing", sizeof(struct it_ioctl_gsi_routing), false },
	[IT_EV_IOCTL_GSI_ROUTE] = { "ioctl_gsi_route", sizeof(struct it_ioctl_gsi_route), false },
	[IT_EV_IOCTL_SIGNAL_MSI] = { "ioctl_signal_msi", sizeof(struct it_ioctl_signal_msi), true },
	[IT_EV_IOCTL_CREATE_VM] = { "ioctl_create_vm", sizeof(struct it_ioctl_simple), false },
	[IT_EV_IOCTL_CREATE_VCPU] = { "ioctl_create_vcpu", sizeof(struct it_ioctl_simple), false },
	[IT_EV_LOST] = { "lost", sizeof(struct it_lost), false },
	[IT_EV_PROC] = { "proc", sizeof(struct it_proc), false },
	[IT_EV_ALERT] = { "alert", sizeof(struct it_alert), false },
};

const char *it_event_type_name(unsigned int type)
{
	if (type == IT_EV_KVM_SIGNAL_MSI)
		return "kvm_signal_msi";
	if (type >= IT_EV_RESERVED_FIRST && type <= IT_EV_RESERVED_LAST)
		return it_full_type_name(type);
	if (type > IT_EV_MAX || !type_info[type].name)
		return NULL;
	return type_info[type].name;
}

int it_event_type_from_name(const char *name)
{
	for (unsigned int t = 0; t <= IT_EV_MAX; t++) {
		const char *n = it_event_type_name(t);

		if (n && !strcmp(n, name))
			return (int)t;
	}
	return -1;
}

unsigned int it_event_min_len(unsigned int type)
{
	if (type == IT_EV_KVM_SIGNAL_MSI)
		return sizeof(struct it_kvm_signal_msi);
	if (type >= IT_EV_RESERVED_FIRST && type <= IT_EV_RESERVED_LAST)
		return it_full_min_len(type);
	return type > IT_EV_MAX ? 0 : type_info[type].min_len;
}

bool it_event_is_dataplane(unsigned int type)
{
	if (type == IT_EV_KVM_SIGNAL_MSI)
		return true;
	if (type >= IT_EV_RESERVED_FIRST && type <= IT_EV_RESERVED_LAST)
		return it_full_is_dataplane(type);
	return type <= IT_EV_MAX && type_info[type].dataplane;
}

const char *it_ioctl_name(uint32_t cmd)
{
	switch (cmd) {
	case KVM_CREATE_VM: return "KVM_CREATE_VM";
	case KVM_CREATE_VCPU: return "KVM_CREATE_VCPU";
	case KVM_SET_GSI_ROUTING: return "KVM_SET_GSI_ROUTING";
	case KVM_IRQFD: return "KVM_IRQFD";
	case KVM_SIGNAL_MSI: return "KVM_SIGNAL_MSI";
	case VFIO_GROUP_GET_DEVICE_FD: return "VFIO_GROUP_GET_DEVICE_FD";
	case VFIO_DEVICE_SET_IRQS: return "VFIO_DEVICE_SET_IRQS";
	}
	return NULL;
}

const char *it_vfio_irq_index_name(uint32_t index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX: return "intx";
	case VFIO_PCI_MSI_IRQ_INDEX: return "msi";
	case VFIO_PCI_MSIX_IRQ_INDEX: return "msix";
	case VFIO_PCI_ERR_IRQ_INDEX: return "err";
	case VFIO_PCI_REQ_IRQ_INDEX: return "req";
	}
	return "unknown";
}

const char *it_kvm_route_type_name(uint32_t type)
{
	switch (type) {
	case KVM_IRQ_ROUTING_IRQCHIP: return "irqchip";
	case KVM_IRQ_ROUTING_MSI: return "msi";
	case KVM_IRQ_ROUTING_S390_ADAPTER: return "s390_adapter";
	case KVM_IRQ_ROUTING_HV_SINT: return "hv_sint";
	case 5: return "xen_evtchn";
	}
	return "unknown";
}
