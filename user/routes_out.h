/* SPDX-License-Identifier: GPL-2.0-only */
/* Printing the route table: text (120 columns), JSON, Graphviz. */
#ifndef IRQTRAIL_ROUTES_OUT_H
#define IRQTRAIL_ROUTES_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include "json.h"
#include "model.h"

struct it_route_filter {
	const char *bdf;	/* only this device (and guest routes fed by it) */
	int pid;		/* only this VM (0 = all) */
	bool all;		/* include host irqs with no device */
};

bool it_route_match(const struct it_route *r, const struct it_route_filter *f);
void it_routes_text(FILE *out, const struct it_route *r, size_t n, const struct it_route_filter *f);
void it_route_json(struct it_json *j, const struct it_route *r);
void it_routes_json(FILE *out, const struct it_route *r, size_t n, const struct it_route_filter *f);
void it_routes_dot(FILE *out, const struct it_route *r, size_t n, const struct it_route_filter *f);

#endif
