// SPDX-License-Identifier: GPL-2.0-only
/*
 * JSON of the arm64 event types (130..149): the GICv3 ITS translation of an
 * interrupt (device id, event id -> LPI -> collection / CPU) and the MSI
 * doorbell an IOMMU maps into a device's IOVA space.
 */
#include <stdio.h>
#include "full_events.h"

/* GITS_TRANSLATER: the doorbell register, 64 KiB into the ITS frame */
#define IT_GITS_TRANSLATER 0x10040

static void bdf_json(struct it_json *j, const struct it_doorbell *e)
{
	char b[16];

	if (!(e->flags & IT_DB_F_BDF))
		return;
	snprintf(b, sizeof(b), "%04x:%02x:%02x.%u", e->segment, e->bus, e->devfn >> 3, e->devfn & 7);
	jw_kstr(j, "bdf", b);
}

void it_arm_event_json(struct it_json *j, const struct it_hdr *h)
{
	switch (h->type) {
	case IT_EV_ITS_DEVICE:
	case IT_EV_ITS_ACTIVATE:
	case IT_EV_ITS_MAPTI:
	case IT_EV_ITS_COMPOSE: {
		const struct it_its *e = (const void *)h;

		if (h->type == IT_EV_ITS_ACTIVATE || h->type == IT_EV_ITS_COMPOSE)
			jw_ku64(j, "irq", e->irq);
		jw_ku64(j, "device_id", e->device_id);
		if (h->type != IT_EV_ITS_DEVICE) {
			jw_ku64(j, "event_id", e->event_id);
			jw_ku64(j, "lpi", e->lpi);
		}
		jw_ku64(j, "lpi_base", e->lpi_base);
		jw_ku64(j, "nr_lpis", e->nr_lpis);
		if (h->type != IT_EV_ITS_DEVICE && e->cpu != ~0u) {
			jw_ku64(j, "cpu", e->cpu);
			jw_ku64(j, "collection", e->col_id);
			jw_ku64(j, "redistributor", e->target);
		}
		if (e->its_phys)
			jw_ku64(j, "doorbell_phys", e->its_phys + IT_GITS_TRANSLATER);
		if (h->type == IT_EV_ITS_COMPOSE) {
			jw_ku64(j, "address", (uint64_t)e->address_hi << 32 | e->address_lo);
			jw_ku64(j, "data", e->data);
		}
		if (h->type == IT_EV_ITS_ACTIVATE)
			jw_ki64(j, "ret", e->ret);
		break;
	}
	case IT_EV_MSI_COOKIE:
	case IT_EV_MSI_PREPARE:
	case IT_EV_MSI_DB_COMPOSE: {
		const struct it_doorbell *e = (const void *)h;

		if (h->type != IT_EV_MSI_COOKIE) {
			jw_ku64(j, "irq", e->irq);
			bdf_json(j, e);
		}
		jw_ku64(j, "domain", e->domain);
		if (h->type == IT_EV_MSI_COOKIE) {
			jw_ku64(j, "base", e->base);
			break;
		}
		jw_ku64(j, "doorbell_phys", e->phys);
		if (e->flags & IT_DB_F_IOVA)
			jw_ku64(j, "doorbell_iova", e->iova);
		jw_kbool(j, "translated", e->flags & IT_DB_F_IOVA);
		if (h->type == IT_EV_MSI_PREPARE)
			jw_ki64(j, "ret", e->ret);
		break;
	}
	default:
		break;
	}
}
