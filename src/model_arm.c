// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64 part of the route model (see model_arm.h).  Kept by host irq: the
 * last ITS activation / composition and the last doorbell preparation and
 * substitution seen for it; IOMMU domains keep their msi window (cookie).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model_arm.h"

struct arm_irq {
	int irq;
	struct it_route_arm r;
};

struct arm_dom {
	uint64_t domain, base;
};

struct it_arm_model {
	struct arm_irq *irqs;
	size_t nirqs, cap;
	struct arm_dom *doms;
	size_t ndoms, capd;
};

struct it_arm_model *it_arm_model_new(void)
{
	return calloc(1, sizeof(struct it_arm_model));
}

void it_arm_model_free(struct it_arm_model *a)
{
	if (!a)
		return;
	free(a->irqs);
	free(a->doms);
	free(a);
}

static struct it_route_arm *irq_get(struct it_arm_model *a, int irq)
{
	for (size_t i = 0; i < a->nirqs; i++)
		if (a->irqs[i].irq == irq)
			return &a->irqs[i].r;
	if (a->nirqs == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 16;
		struct arm_irq *n = realloc(a->irqs, nc * sizeof(*n));

		if (!n)
			return NULL;
		a->irqs = n;
		a->cap = nc;
	}
	memset(&a->irqs[a->nirqs], 0, sizeof(a->irqs[0]));
	a->irqs[a->nirqs].irq = irq;
	a->irqs[a->nirqs].r.its_cpu = -1;
	return &a->irqs[a->nirqs++].r;
}

static void dom_set(struct it_arm_model *a, uint64_t domain, uint64_t base)
{
	for (size_t i = 0; i < a->ndoms; i++)
		if (a->doms[i].domain == domain) {
			a->doms[i].base = base;
			return;
		}
	if (a->ndoms == a->capd) {
		size_t nc = a->capd ? a->capd * 2 : 8;
		struct arm_dom *n = realloc(a->doms, nc * sizeof(*n));

		if (!n)
			return;
		a->doms = n;
		a->capd = nc;
	}
	a->doms[a->ndoms].domain = domain;
	a->doms[a->ndoms++].base = base;
}

static uint64_t dom_base(const struct it_arm_model *a, uint64_t domain)
{
	for (size_t i = 0; domain && i < a->ndoms; i++)
		if (a->doms[i].domain == domain)
			return a->doms[i].base;
	return 0;
}

static void its_fields(struct it_route_arm *r, const struct it_its *e)
{
	r->its = true;
	r->device_id = e->device_id;
	r->event_id = e->event_id;
	r->lpi = e->lpi;
	if (e->cpu != ~0u) {
		r->its_cpu = (int)e->cpu;
		r->redistributor = e->target;
	}
	if (e->its_phys && !r->doorbell_phys)
		r->doorbell_phys = e->its_phys + 0x10040;	/* GITS_TRANSLATER */
}

bool it_arm_model_event(struct it_arm_model *a, const struct it_hdr *h)
{
	struct it_route_arm *r;

	if (h->type < IT_EV_ITS_DEVICE || h->type > IT_EV_MSI_DB_COMPOSE)
		return false;
	if (!a)
		return true;
	switch (h->type) {
	case IT_EV_ITS_ACTIVATE:
	case IT_EV_ITS_COMPOSE: {
		const struct it_its *e = (const void *)h;

		if (h->len < sizeof(*e) || (h->type == IT_EV_ITS_ACTIVATE && e->ret))
			break;
		r = irq_get(a, (int)e->irq);
		if (!r)
			break;
		its_fields(r, e);
		if (h->type == IT_EV_ITS_COMPOSE) {
			r->address = (uint64_t)e->address_hi << 32 | e->address_lo;
			r->has_address = true;
		}
		break;
	}
	case IT_EV_MSI_COOKIE: {
		const struct it_doorbell *e = (const void *)h;

		if (h->len >= sizeof(*e))
			dom_set(a, e->domain, e->base);
		break;
	}
	case IT_EV_MSI_PREPARE:
	case IT_EV_MSI_DB_COMPOSE: {
		const struct it_doorbell *e = (const void *)h;

		/* prepared at allocation, before the irq number is known: the
		 * composition (at activation) carries the same doorbell per irq */
		if (h->len < sizeof(*e) || !e->irq || (h->type == IT_EV_MSI_PREPARE && e->ret))
			break;
		r = irq_get(a, (int)e->irq);
		if (!r)
			break;
		r->doorbell = true;
		r->doorbell_phys = e->phys;
		r->translated = e->flags & IT_DB_F_IOVA;
		r->doorbell_iova = r->translated ? e->iova : 0;
		r->domain = e->domain;
		break;
	}
	default:
		break;
	}
	return true;
}

void it_arm_model_fill(const struct it_arm_model *a, int irq, struct it_route_arm *out)
{
	memset(out, 0, sizeof(*out));
	out->its_cpu = -1;
	for (size_t i = 0; a && irq >= 0 && i < a->nirqs; i++) {
		if (a->irqs[i].irq != irq)
			continue;
		*out = a->irqs[i].r;
		out->msi_base = dom_base(a, out->domain);
		/* the ITS composed the physical doorbell and nothing translated it */
		if (out->its && out->has_address && !out->doorbell && out->doorbell_phys) {
			out->doorbell = true;
			out->translated = out->address != out->doorbell_phys;
			out->doorbell_iova = out->translated ? out->address : 0;
		}
		return;
	}
}
