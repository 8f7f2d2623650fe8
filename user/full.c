// SPDX-License-Identifier: GPL-2.0-only
/* The fentry/kprobe tier has no programs in this build: every full-tier hook
 * keeps the status it_hooks_plan() gave it ("no program for it"). */
#include <stdlib.h>
#include "full.h"

int it_full_attach(struct it_full **out, const struct it_full_opts *o, const struct it_features *f,
		   struct it_hook_status *st, size_t nst)
{
	(void)o;
	(void)f;
	(void)st;
	(void)nst;
	*out = NULL;
	return 0;
}

void it_full_detach(struct it_full *fl)
{
	free(fl);
}
