// SPDX-License-Identifier: GPL-2.0-only
/* Placeholder while irqtrail serve is being written: says so and fails. */
#include "common.h"

int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p_err("'serve' is not available in this build yet");
	return IT_EXIT_USAGE;
}
