// SPDX-License-Identifier: GPL-2.0-only
/* irqtrail: follow every interrupt from the device to the CPU or vCPU that handles it. */
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{ "doctor", cmd_doctor, "kernel features, hook tiers per routing hop, BTF, privileges" },
	{ "top", cmd_top, "live dashboard of device and guest interrupts (or of a recording)" },
	{ "routes", cmd_routes, "the interrupt routing table (live window or a recording)" },
	{ "explain", cmd_explain, "one device's whole interrupt path, hop by hop" },
	{ "record", cmd_record, "record snapshot + events to a trace file" },
	{ "replay", cmd_replay, "replay a recording (summary with --summary)" },
	{ "stream", cmd_stream, "print events as they happen (JSON lines with -j)" },
	{ "export", cmd_export, "convert a recording to JSON lines or a Perfetto trace" },
	{ "dump", cmd_dump, "a recording's structure: header, sections, blocks, counts" },
	{ "check", cmd_check, "run the isolation and health rules; exit 0 clean, 1 warnings, 2 critical" },
	{ "serve", cmd_serve, "Prometheus metrics endpoint for fleets" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: irqtrail COMMAND [OPTIONS]\n"
		"Follow every interrupt from the device to the CPU or guest vCPU that handles it.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f,
		"\nRun 'irqtrail COMMAND --help' for a command's options.\n\n"
		"Examples:\n"
		"  irqtrail doctor              what this kernel lets irqtrail see\n"
		"  irqtrail stream -j -D 5      five seconds of events as JSON lines\n"
		"  irqtrail stream --pid 1234   only the VMM with pid 1234\n");
}

int main(int argc, char **argv)
{
	const struct cmd *match = NULL;
	size_t n;

	argp_err_exit_status = IT_EXIT_USAGE;
	if (argc < 2) {
		usage(stderr);
		return IT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("irqtrail %s\n", IRQTRAIL_VERSION);
		return 0;
	}
	/* exact name, else a unique prefix (bpftool style) */
	n = strlen(argv[1]);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(cmds[i].name, argv[1])) {
			match = &cmds[i];
			break;
		}
		if (!strncmp(cmds[i].name, argv[1], n)) {
			if (match) {
				p_err("'%s' is ambiguous: %s or %s", argv[1], match->name, cmds[i].name);
				return IT_EXIT_USAGE;
			}
			match = &cmds[i];
		}
	}
	if (!match) {
		p_err("unknown command '%s' (see 'irqtrail --help')", argv[1]);
		return IT_EXIT_USAGE;
	}
	return match->fn(argc - 1, argv + 1);
}
