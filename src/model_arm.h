/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 part of the route model: per host irq, the GICv3 ITS translation
 * (device id, event id -> LPI -> collection / CPU) and the MSI doorbell
 * (the ITS's physical doorbell and the IOVA the device is given when an
 * IOMMU domain translates its writes), from the ITS and doorbell events.
 */
#ifndef IRQTRAIL_MODEL_ARM_H
#define IRQTRAIL_MODEL_ARM_H

#include <stdbool.h>
#include <stdint.h>
#include "events.h"

struct it_route_arm {
	bool its;			/* ITS fields known */
	uint32_t device_id, event_id, lpi;
	int its_cpu;			/* collection = target CPU, -1 unknown */
	uint64_t redistributor;
	bool doorbell;			/* doorbell fields known */
	uint64_t doorbell_phys;		/* the ITS's GITS_TRANSLATER */
	bool translated;		/* the device holds an IOVA (IOMMU domain) */
	uint64_t doorbell_iova;
	uint64_t domain;		/* the IOVA space (iommu_domain), 0 unknown */
	uint64_t address;		/* final message the ITS composed, 0 unknown */
	bool has_address;
	uint64_t msi_base;		/* the domain's msi IOVA window (cookie), 0 unknown */
};

struct it_arm_model;

struct it_arm_model *it_arm_model_new(void);
void it_arm_model_free(struct it_arm_model *a);
/* true when h is an arm64 ITS / doorbell event (consumed) */
bool it_arm_model_event(struct it_arm_model *a, const struct it_hdr *h);
/* fill r's arm64 fields for host irq irq (zeroed when nothing is known) */
void it_arm_model_fill(const struct it_arm_model *a, int irq, struct it_route_arm *r);

#endif
