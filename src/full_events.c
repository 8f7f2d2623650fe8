// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fentry/kprobe tier's event types (80..199): names, sizes, JSON, and the
 * pure decoders behind them (Intel and AMD IRTEs), plus the kallsyms
 * resolver the loader uses for static functions the compiler cloned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "full.h"
#include "full_events.h"
#include "format.h"
#include "events_qemu.h"

static const struct {
	const char *name;
	unsigned short min_len;
	bool dataplane;
} full_info[IT_EV_RESERVED_LAST - IT_EV_RESERVED_FIRST + 1] = {
#define FI(t, n, s, d) [(t) - IT_EV_RESERVED_FIRST] = { n, sizeof(s), d }
	FI(IT_EV_IRTE_WRITE, "irte_write", struct it_irte, false),
	FI(IT_EV_IRTE_SNAP, "irte_snapshot", struct it_irte, false),
	FI(IT_EV_IRTE_TABLE, "irte_table", struct it_irte_table, false),
	FI(IT_EV_IRTE_VCPU, "irte_vcpu", struct it_irte_vcpu, false),
	FI(IT_EV_DOMAIN_ALLOC, "domain_alloc", struct it_domain_alloc, false),
	FI(IT_EV_DOMAIN_ALLOC_PARENT, "domain_alloc_parent", struct it_domain_alloc, false),
	FI(IT_EV_MSI_DOMAIN_ALLOC, "msi_domain_alloc", struct it_domain_alloc, false),
	FI(IT_EV_MSI_COMPOSE, "msi_compose", struct it_msi_msg, false),
	FI(IT_EV_MSI_WRITE, "msi_write", struct it_msi_msg, false),
	FI(IT_EV_VFIO_SET_IRQS, "vfio_set_irqs", struct it_vfio_set_irqs, false),
	FI(IT_EV_VFIO_VECTOR, "vfio_vector", struct it_vfio_vector, false),
	FI(IT_EV_VFIO_MSI, "vfio_msi", struct it_vfio_msi, true),
	FI(IT_EV_BYPASS_PRODUCER, "bypass_producer", struct it_bypass, false),
	FI(IT_EV_KVM_IRQFD_WAKEUP, "kvm_irqfd_wakeup", struct it_kvm_route, true),
	FI(IT_EV_KVM_SET_MSI_FN, "kvm_set_msi", struct it_kvm_route, true),
	FI(IT_EV_KVM_SET_IRQ_INATOMIC, "kvm_set_irq_inatomic", struct it_kvm_route, true),
	FI(IT_EV_KVM_BYPASS, "kvm_bypass", struct it_bypass, false),
	FI(IT_EV_KVM_PI_UPDATE, "kvm_pi_update", struct it_kvm_pi_update, false),
	FI(IT_EV_KVM_HYPERCALL_FN, "kvm_emulate_hypercall", struct it_kvm_hc, true),
	FI(IT_EV_ITS_DEVICE, "its_device", struct it_its, false),
	FI(IT_EV_ITS_ACTIVATE, "its_activate", struct it_its, false),
	FI(IT_EV_ITS_MAPTI, "its_mapti", struct it_its, false),
	FI(IT_EV_ITS_COMPOSE, "its_compose", struct it_its, false),
	FI(IT_EV_MSI_COOKIE, "msi_cookie", struct it_doorbell, false),
	FI(IT_EV_MSI_PREPARE, "msi_prepare", struct it_doorbell, false),
	FI(IT_EV_MSI_DB_COMPOSE, "msi_doorbell_compose", struct it_doorbell, false),
	FI(IT_EV_QEMU_ADD_MSI_ROUTE, "qemu_add_msi_route", struct it_qemu_route, false),
	FI(IT_EV_QEMU_UPDATE_MSI_ROUTE, "qemu_update_msi_route", struct it_qemu_route, false),
	FI(IT_EV_QEMU_COMMIT_ROUTES, "qemu_commit_routes", struct it_qemu_route, false),
#undef FI
};

static bool in_range(unsigned int type)
{
	return type >= IT_EV_RESERVED_FIRST && type <= IT_EV_RESERVED_LAST;
}

const char *it_full_type_name(unsigned int type)
{
	return in_range(type) ? full_info[type - IT_EV_RESERVED_FIRST].name : NULL;
}

unsigned int it_full_min_len(unsigned int type)
{
	return in_range(type) ? full_info[type - IT_EV_RESERVED_FIRST].min_len : 0;
}

bool it_full_is_dataplane(unsigned int type)
{
	return in_range(type) && full_info[type - IT_EV_RESERVED_FIRST].dataplane;
}

/* ---- IRTE decoding ---- */

static uint64_t bits(uint64_t v, unsigned int lo, unsigned int n)
{
	return (v >> lo) & (n >= 64 ? ~0ull : ((1ull << n) - 1));
}

void it_irte_intel_decode(uint64_t low, uint64_t high, int x2apic, struct it_irte_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->present = bits(low, 0, 1);
	f->fpd = bits(low, 1, 1);
	f->posted = bits(low, 15, 1);
	f->vector = (uint8_t)bits(low, 16, 8);
	f->sid = (uint16_t)bits(high, 0, 16);
	f->sq = (uint8_t)bits(high, 16, 2);
	f->svt = (uint8_t)bits(high, 18, 2);
	if (f->posted) {
		/* posted format: urgent bit 14, descriptor address bits 63:6 */
		f->urgent = bits(low, 14, 1);
		f->pda = (bits(high, 32, 32) << 32) | (bits(low, 38, 26) << 6);
		return;
	}
	f->logical = bits(low, 2, 1);
	f->redir_hint = bits(low, 3, 1);
	f->level = bits(low, 4, 1);
	f->delivery = (uint8_t)bits(low, 5, 3);
	f->dest = (uint32_t)bits(low, 32, 32);
	/* xAPIC mode keeps the 8-bit APIC id in dest_id bits 15:8 */
	f->dest_known = x2apic >= 0;
	if (x2apic > 0)
		f->dest_apic = f->dest;
	else if (x2apic == 0)
		f->dest_apic = (f->dest >> 8) & 0xff;
}

void it_irte_amd_decode(uint64_t low, uint64_t high, bool ga, struct it_irte_fields *f)
{
	memset(f, 0, sizeof(*f));
	if (!ga) {
		/* 32-bit format: valid, no_fault, int_type:3, rq_eoi, dm, rsvd,
		 * destination:8, vector:8 */
		f->present = bits(low, 0, 1);
		f->fpd = bits(low, 1, 1);
		f->delivery = (uint8_t)bits(low, 2, 3);
		f->rq_eoi = bits(low, 5, 1);
		f->logical = bits(low, 6, 1);
		f->dest = (uint32_t)bits(low, 8, 8);
		f->vector = (uint8_t)bits(low, 16, 8);
		f->dest_apic = f->dest;
		f->dest_known = true;
		return;
	}
	f->present = bits(low, 0, 1);
	f->fpd = bits(low, 1, 1);
	f->posted = bits(low, 7, 1);	/* guest_mode */
	f->vector = (uint8_t)bits(high, 0, 8);
	f->dest = (uint32_t)(bits(low, 8, 24) | (bits(high, 56, 8) << 24));
	f->dest_apic = f->dest;
	f->dest_known = true;
	f->ga_tag = (uint32_t)bits(low, 32, 32);
	if (f->posted) {
		f->ga_log_intr = bits(low, 2, 1);
		f->is_run = bits(low, 6, 1);
		f->pda = bits(high, 12, 40) << 12;	/* ga_root_ptr: vAPIC backing page */
		return;
	}
	f->delivery = (uint8_t)bits(low, 2, 3);
	f->rq_eoi = bits(low, 5, 1);
	f->logical = bits(low, 6, 1);
}

static const char *bdf_str(char *buf, size_t len, unsigned int seg, unsigned int bus, unsigned int devfn)
{
	snprintf(buf, len, "%04x:%02x:%02x.%u", seg & 0xffff, bus & 0xff, (devfn >> 3) & 0x1f, devfn & 7);
	return buf;
}

static void irte_obj(struct it_json *j, const char *key, const struct it_irte *e, uint64_t lo, uint64_t hi)
{
	struct it_irte_fields f;
	int mode = (e->flags & IT_IRTE_F_MODE_KNOWN) ? !!(e->flags & IT_IRTE_F_X2APIC) : -1;

	if (e->vendor == IT_IRTE_INTEL)
		it_irte_intel_decode(lo, hi, mode, &f);
	else
		it_irte_amd_decode(lo, hi, e->vendor == IT_IRTE_AMD_GA, &f);
	jw_key(j, key);
	jw_obj_begin(j);
	jw_ku64(j, "low", lo);
	if (e->vendor != IT_IRTE_AMD_32)
		jw_ku64(j, "high", hi);
	jw_kbool(j, "present", f.present);
	jw_kbool(j, "fpd", f.fpd);
	jw_kbool(j, "posted", f.posted);
	jw_ku64(j, "vector", f.vector);
	if (f.posted) {
		if (e->vendor == IT_IRTE_INTEL) {
			jw_kbool(j, "urgent", f.urgent);
		} else {
			jw_ku64(j, "dest", f.dest);
			jw_kbool(j, "is_run", f.is_run);
			jw_kbool(j, "ga_log_intr", f.ga_log_intr);
			jw_ku64(j, "ga_tag", f.ga_tag);
		}
		jw_ku64(j, "pda", f.pda);
	} else {
		jw_kstr(j, "dst_mode", f.logical ? "logical" : "physical");
		if (e->vendor == IT_IRTE_INTEL) {
			jw_kbool(j, "redir_hint", f.redir_hint);
			jw_kstr(j, "trigger", f.level ? "level" : "edge");
		} else {
			jw_kbool(j, "rq_eoi", f.rq_eoi);
		}
		jw_kstr(j, "delivery", it_msi_delivery_name(f.delivery));
		jw_ku64(j, "dest", f.dest);
		/* physical: the APIC id; logical: the logical destination (mask) */
		if (f.dest_known)
			jw_ku64(j, f.logical ? "dest_logical" : "dest_apic", f.dest_apic);
	}
	if (e->vendor == IT_IRTE_INTEL) {
		jw_ku64(j, "sid", f.sid);
		jw_ku64(j, "sq", f.sq);
		jw_ku64(j, "svt", f.svt);
	}
	jw_obj_end(j);
}

static void irte_json(struct it_json *j, const struct it_irte *e)
{
	char b[32];

	jw_kstr(j, "vendor", e->vendor == IT_IRTE_INTEL ? "intel" : "amd");
	if (e->flags & IT_IRTE_F_UNIT_KNOWN) {
		if (e->iommu[0]) {
			jw_key(j, "iommu");
			jw_strn(j, e->iommu, sizeof(e->iommu));
		} else {
			snprintf(b, sizeof(b), "%s%u", e->vendor == IT_IRTE_INTEL ? "dmar" : "ivhd", e->unit);
			jw_kstr(j, "iommu", b);
		}
		jw_ku64(j, "unit", e->unit);
	}
	jw_ku64(j, "index", e->index);
	if (e->vendor == IT_IRTE_INTEL) {
		jw_ku64(j, "sub_handle", e->sub_handle);
		if (e->flags & IT_IRTE_F_MODE_KNOWN)
			jw_kstr(j, "apic_mode", e->flags & IT_IRTE_F_X2APIC ? "x2apic" : "xapic");
		if (e->flags & IT_IRTE_F_POSTED_MSI)
			jw_kbool(j, "posted_msi", true);
		if (e->flags & IT_IRTE_F_POSTED_VCPU)
			jw_kbool(j, "posted_vcpu", true);
	} else {
		jw_kstr(j, "format", e->vendor == IT_IRTE_AMD_GA ? "ga" : "32bit");
		jw_ku64(j, "devid", e->devid);
		jw_kstr(j, "bdf", bdf_str(b, sizeof(b), e->segment, e->devid >> 8, e->devid & 0xff));
	}
	jw_ku64(j, "segment", e->segment);
	if (e->h.type == IT_EV_IRTE_WRITE && (e->flags & IT_IRTE_F_OLD)) {
		struct it_irte_fields o, n;
		int mode = (e->flags & IT_IRTE_F_MODE_KNOWN) ? !!(e->flags & IT_IRTE_F_X2APIC) : -1;

		irte_obj(j, "old", e, e->old_lo, e->old_hi);
		if (e->vendor == IT_IRTE_INTEL) {
			it_irte_intel_decode(e->old_lo, e->old_hi, mode, &o);
			it_irte_intel_decode(e->new_lo, e->new_hi, mode, &n);
		} else {
			it_irte_amd_decode(e->old_lo, e->old_hi, e->vendor == IT_IRTE_AMD_GA, &o);
			it_irte_amd_decode(e->new_lo, e->new_hi, e->vendor == IT_IRTE_AMD_GA, &n);
		}
		jw_key(j, "changed");
		jw_arr_begin(j);
		if (o.present != n.present)
			jw_str(j, "present");
		if (o.posted != n.posted)
			jw_str(j, "posted");
		if (o.vector != n.vector)
			jw_str(j, "vector");
		if (o.dest != n.dest)
			jw_str(j, "dest");
		if (o.delivery != n.delivery || o.logical != n.logical || o.level != n.level)
			jw_str(j, "mode");
		if (o.sid != n.sid || o.sq != n.sq || o.svt != n.svt)
			jw_str(j, "source_id");
		if (o.pda != n.pda)
			jw_str(j, "pda");
		jw_arr_end(j);
	}
	irte_obj(j, "new", e, e->new_lo, e->new_hi);
}

/* amd_ir: a host message from the AMD-Vi remapping domain (it_msi_host_amd) */
static void msi_msg_fields(struct it_json *j, uint32_t alo, uint32_t ahi, uint32_t data, bool amd_ir)
{
	struct it_msi_decoded d;
	uint64_t address = ((uint64_t)ahi << 32) | alo;

	it_msi_decode_host(address, data, amd_ir, &d);
	jw_ku64(j, "address", address);
	jw_ku64(j, "data", data);
	if (d.amd_remapped) {
		jw_kstr(j, "format", "amd-remapped");
		jw_ku64(j, "irte_index", d.irte_index);
		return;	/* vector and destination are in the IRTE */
	}
	if (d.remappable) {
		jw_kstr(j, "format", "remappable");
		jw_ku64(j, "irte_handle", d.irte_handle);
		if (d.shv)
			jw_ku64(j, "subhandle", d.subhandle);
		return;
	}
	jw_kstr(j, "format", d.window ? "compat" : "other");
	jw_ku64(j, "dest", d.dest);
	jw_ku64(j, "vector", d.vector);
	jw_kstr(j, "dst_mode", d.logical ? "logical" : "physical");
	jw_kstr(j, "delivery", it_msi_delivery_name(d.delivery));
}

static void domain_json(struct it_json *j, const struct it_domain_alloc *e)
{
	static const char *const kinds[] = { "", "all_locked", "descs_locked", "irq_at" };

	if (e->h.type == IT_EV_MSI_DOMAIN_ALLOC) {
		jw_key(j, "device");
		jw_strn(j, e->domain, sizeof(e->domain));
		jw_kstr(j, "entry", e->kind < 4 ? kinds[e->kind] : "");
		if (e->parent[0]) {
			jw_key(j, "domain");
			jw_strn(j, e->parent, sizeof(e->parent));
		}
		if (e->kind != IT_MSI_ALLOC_DESCS)
			jw_kstr(j, "domid", e->domid ? "secondary" : "default");
		if (e->kind == IT_MSI_ALLOC_AT)
			jw_ku64(j, "msi_index", e->index);
		jw_ku64(j, "nvec", e->nr_irqs);
	} else {
		jw_key(j, "domain");
		jw_strn(j, e->domain, sizeof(e->domain));
		if (e->h.type == IT_EV_DOMAIN_ALLOC_PARENT) {
			jw_key(j, "parent");
			jw_strn(j, e->parent, sizeof(e->parent));
		}
		jw_ki64(j, "irq_base", (int32_t)e->irq_base);
		jw_ku64(j, "nr_irqs", e->nr_irqs);
	}
	jw_ki64(j, "ret", e->ret);
	if (e->ret < 0)
		jw_kstr(j, "error", strerror(-e->ret));
	else if (e->h.type == IT_EV_DOMAIN_ALLOC || e->kind == IT_MSI_ALLOC_AT)
		jw_ku64(j, "virq", (uint32_t)e->ret);
	jw_ku64(j, "duration_ns", e->duration);
}

void it_full_event_json(struct it_json *j, const struct it_hdr *h, const struct it_msi_host *mh)
{
	char b[32];

	switch (h->type) {
	case IT_EV_IRTE_WRITE:
	case IT_EV_IRTE_SNAP:
		irte_json(j, (const void *)h);
		break;
	case IT_EV_IRTE_TABLE: {
		const struct it_irte_table *e = (const void *)h;
		jw_kstr(j, "vendor", e->vendor == IT_IRTE_INTEL ? "intel" : e->vendor ? "amd" : "none");
		jw_ku64(j, "units", e->units);
		jw_ku64(j, "tables", e->tables);
		jw_ku64(j, "entries", e->entries);
		jw_ku64(j, "errors", e->errors);
		jw_ku64(j, "truncated", e->truncated);
		break;
	}
	case IT_EV_IRTE_VCPU: {
		const struct it_irte_vcpu *e = (const void *)h;
		jw_kstr(j, "vendor", e->vendor == IT_IRTE_INTEL ? "intel" : "amd");
		jw_ku64(j, "irq", e->irq);
		jw_kbool(j, "set", e->set);
		if (e->set) {
			jw_ku64(j, "vector", e->vector);
			jw_ku64(j, "pi_desc_addr", e->pi_desc_addr);
			if (e->vendor != IT_IRTE_INTEL) {
				jw_ku64(j, "ga_tag", e->ga_tag);
				jw_kbool(j, "is_guest_mode", e->is_guest_mode);
			}
		}
		jw_ki64(j, "ret", e->ret);
		break;
	}
	case IT_EV_DOMAIN_ALLOC:
	case IT_EV_DOMAIN_ALLOC_PARENT:
	case IT_EV_MSI_DOMAIN_ALLOC:
		domain_json(j, (const void *)h);
		break;
	case IT_EV_MSI_COMPOSE:
	case IT_EV_MSI_WRITE: {
		const struct it_msi_msg *e = (const void *)h;
		char chip[sizeof(e->chip) + 1] = "";
		bool amd;

		jw_ku64(j, "irq", e->irq);
		if (h->type == IT_EV_MSI_COMPOSE) {
			jw_ku64(j, "hwirq", e->hwirq);
			jw_key(j, "chip");
			jw_strn(j, e->chip, sizeof(e->chip));
			memcpy(chip, e->chip, sizeof(e->chip));
			amd = it_msi_host_amd(mh, e->irq, NULL, chip);
		} else {
			const char *bdf = NULL;

			if (e->flags & IT_MSI_F_BDF)
				jw_kstr(j, "bdf", bdf = bdf_str(b, sizeof(b), e->segment, e->bus, e->devfn));
			jw_kbool(j, "msix", e->flags & IT_MSI_F_MSIX);
			if (e->flags & IT_MSI_F_INDEX)
				jw_ku64(j, "msi_index", e->msi_index);
			amd = it_msi_host_amd(mh, e->irq, bdf, NULL);
		}
		msi_msg_fields(j, e->address_lo, e->address_hi, e->data, amd);
		break;
	}
	case IT_EV_VFIO_SET_IRQS: {
		const struct it_vfio_set_irqs *e = (const void *)h;
		unsigned int n = e->nfds < 8 ? e->nfds : 8;
		jw_kstr(j, "bdf", bdf_str(b, sizeof(b), e->segment, e->bus, e->devfn));
		jw_ku64(j, "flags", e->flags);
		jw_ku64(j, "index", e->index);
		jw_kstr(j, "irq_kind", it_vfio_irq_index_name(e->index));
		jw_ku64(j, "start", e->start);
		jw_ku64(j, "count", e->count);
		if (n) {
			jw_key(j, "fds");
			jw_arr_begin(j);
			for (unsigned int i = 0; i < n; i++)
				jw_i64(j, e->fds[i]);
			jw_arr_end(j);
		}
		jw_ki64(j, "ret", e->ret);
		break;
	}
	case IT_EV_VFIO_VECTOR: {
		const struct it_vfio_vector *e = (const void *)h;
		jw_kstr(j, "bdf", bdf_str(b, sizeof(b), e->segment, e->bus, e->devfn));
		jw_kstr(j, "op", e->fd >= 0 ? "enable" : "disable");
		jw_ku64(j, "vector", e->vector);
		jw_kbool(j, "msix", e->msix);
		jw_ki64(j, "fd", e->fd);
		if (e->host_irq)
			jw_ku64(j, "host_irq", e->host_irq);
		if (e->name[0]) {
			jw_key(j, "name");
			jw_strn(j, e->name, sizeof(e->name));
		}
		jw_ki64(j, "ret", e->ret);
		break;
	}
	case IT_EV_VFIO_MSI: {
		const struct it_vfio_msi *e = (const void *)h;
		jw_ku64(j, "irq", e->irq);
		break;
	}
	case IT_EV_BYPASS_PRODUCER:
	case IT_EV_KVM_BYPASS: {
		static const char *const ops[] = { "", "register", "unregister", "add", "del" };
		const struct it_bypass *e = (const void *)h;
		jw_kstr(j, "op", e->op < 5 ? ops[e->op] : "");
		jw_ku64(j, "irq", e->irq);
		if (h->type == IT_EV_KVM_BYPASS)
			jw_ku64(j, "gsi", e->gsi);
		jw_ki64(j, "ret", e->ret);
		break;
	}
	case IT_EV_KVM_IRQFD_WAKEUP:
	case IT_EV_KVM_SET_MSI_FN:
	case IT_EV_KVM_SET_IRQ_INATOMIC: {
		const struct it_kvm_route *e = (const void *)h;
		if (h->type != IT_EV_KVM_SET_MSI_FN) {
			jw_ku64(j, "gsi", e->gsi);
			jw_kstr(j, "route_type", it_kvm_route_type_name(e->type));
		}
		/* kvm_set_msi's entry is an MSI whatever its type says
		 * (KVM_SIGNAL_MSI builds one on the stack with only .msi set) */
		if (e->type == 2 || h->type == IT_EV_KVM_SET_MSI_FN)	/* KVM_IRQ_ROUTING_MSI */
			msi_msg_fields(j, e->address_lo, e->address_hi, e->data, false);	/* the guest's */
		if (e->devid)
			jw_ku64(j, "devid", e->devid);
		if (e->host_irq)
			jw_ku64(j, "host_irq", e->host_irq);
		if (h->type == IT_EV_KVM_IRQFD_WAKEUP)
			jw_kbool(j, "hangup", e->key & 0x10);
		if (h->type == IT_EV_KVM_SET_IRQ_INATOMIC)
			jw_ki64(j, "ret", e->ret);
		break;
	}
	case IT_EV_KVM_PI_UPDATE: {
		const struct it_kvm_pi_update *e = (const void *)h;
		jw_kstr(j, "vendor", e->vendor == IT_IRTE_INTEL ? "vmx" : "avic");
		jw_ku64(j, "host_irq", e->host_irq);
		jw_ku64(j, "guest_irq", e->guest_irq);
		jw_kbool(j, "set", e->set);
		jw_ki64(j, "ret", e->ret);
		break;
	}
	case IT_EV_KVM_HYPERCALL_FN: {
		const struct it_kvm_hc *e = (const void *)h;
		static const char *const an[4] = { "a0", "a1", "a2", "a3" };
		jw_ku64(j, "nr", e->nr);
		for (int i = 0; i < 4; i++)
			jw_ku64(j, an[i], e->a[i]);
		jw_ki64(j, "result", e->result);
		jw_ki64(j, "ret", e->ret);
		break;
	}
	case IT_EV_QEMU_ADD_MSI_ROUTE:
	case IT_EV_QEMU_UPDATE_MSI_ROUTE: {
		const struct it_qemu_route *e = (const void *)h;
		jw_ki64(j, "virq", e->virq);
		jw_ku64(j, "dev", e->dev);
		if (h->type == IT_EV_QEMU_ADD_MSI_ROUTE) {
			jw_ku64(j, "vector", e->vector);
			jw_ku64(j, "duration_ns", e->duration);
		} else {
			msi_msg_fields(j, (uint32_t)e->address, (uint32_t)(e->address >> 32), e->data, false);
		}
		break;
	}
	default:
		it_arm_event_json(j, h);
		break;
	}
}

/* ---- kallsyms ---- */

/* "NAME" itself, or NAME plus compiler-clone suffixes (.isra.N,
 * .constprop.N, .lto_priv.N); never .cold or .part (not entry points). */
static bool clone_of(const char *name, size_t nlen, const char *sym, size_t slen)
{
	const char *p;

	if (nlen < slen || strncmp(name, sym, slen))
		return false;
	if (nlen == slen)
		return true;
	p = name + slen;
	while (p < name + nlen) {
		const char *t;
		size_t tl;

		if (*p != '.')
			return false;
		t = ++p;
		while (p < name + nlen && *p != '.')
			p++;
		tl = (size_t)(p - t);
		if (!tl)
			return false;
		if ((tl == 4 && !strncmp(t, "isra", 4)) || (tl == 9 && !strncmp(t, "constprop", 9)) ||
		    (tl == 8 && !strncmp(t, "lto_priv", 8)))
			continue;
		for (size_t i = 0; i < tl; i++)
			if (t[i] < '0' || t[i] > '9')
				return false;
	}
	return true;
}

struct ksym_line {
	unsigned long long addr;
	char type;
	const char *name;
	size_t nlen;
	const char *mod;
	size_t mlen;
};

/* Parse one line; returns the pointer past it, NULL at the end. */
static const char *ksym_next(const char *p, struct ksym_line *l)
{
	char *e;

	while (*p == '\n')
		p++;
	if (!*p)
		return NULL;
	memset(l, 0, sizeof(*l));
	l->addr = strtoull(p, &e, 16);
	p = e;
	while (*p == ' ')
		p++;
	l->type = *p ? *p++ : 0;
	while (*p == ' ')
		p++;
	l->name = p;
	while (*p && *p != '\n' && *p != '\t' && *p != ' ')
		p++;
	l->nlen = (size_t)(p - l->name);
	while (*p == '\t' || *p == ' ')
		p++;
	if (*p == '[') {
		l->mod = ++p;
		while (*p && *p != ']' && *p != '\n')
			p++;
		l->mlen = (size_t)(p - l->mod);
	}
	while (*p && *p != '\n')
		p++;
	return p;
}

int it_ksym_resolve(const char *text, const char *sym, const char *anchor, struct it_ksym_pick *out)
{
	size_t slen = strlen(sym), alen = anchor ? strlen(anchor) : 0;
	unsigned long long anchor_addr = 0, best_d = ~0ull;
	struct ksym_line l, best;
	bool have_anchor = false, have = false;
	const char *p;
	int copies = 0;

	memset(out, 0, sizeof(*out));
	memset(&best, 0, sizeof(best));
	if (anchor) {
		for (p = text; (p = ksym_next(p, &l));) {
			if (l.nlen == alen && !strncmp(l.name, anchor, alen) && (l.type == 't' || l.type == 'T')) {
				anchor_addr = l.addr;
				have_anchor = true;
				break;
			}
		}
	}
	for (p = text; (p = ksym_next(p, &l));) {
		unsigned long long d;

		if (l.type != 't' && l.type != 'T')
			continue;
		if (!clone_of(l.name, l.nlen, sym, slen))
			continue;
		copies++;
		d = have_anchor ? (l.addr > anchor_addr ? l.addr - anchor_addr : anchor_addr - l.addr) : 0;
		if (!have || d < best_d) {
			best = l;
			best_d = d;
			have = true;
		}
	}
	if (!have)
		return -1;
	if (copies > 1 && !have_anchor)
		return -2;	/* ambiguous */
	out->addr = best.addr;
	out->copies = copies;
	snprintf(out->name, sizeof(out->name), "%.*s", (int)best.nlen, best.name);
	if (best.mod)
		snprintf(out->module, sizeof(out->module), "%.*s", (int)best.mlen, best.mod);
	/* attachable by name only if no other line carries the same name */
	out->unique_name = true;
	for (p = text; (p = ksym_next(p, &l));)
		if (l.addr != best.addr && l.nlen == best.nlen && !strncmp(l.name, best.name, best.nlen))
			out->unique_name = false;
	return 0;
}
