// SPDX-License-Identifier: GPL-2.0-only
/* Placeholder while irqtrail top is being written: says so and fails. */
#include "common.h"

int cmd_top(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p_err("'top' is not available in this build yet");
	return IT_EXIT_USAGE;
}
