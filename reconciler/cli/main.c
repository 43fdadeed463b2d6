#include <stdio.h>
#include <string.h>

#include "reconciler/cli/cli.h"

static const gc_cmd commands[] = {
	{ "validate", cmd_validate,
	  "check manifests; errors as path:line:col: message" },
	{ "render", cmd_render, "print the rendered objects of a stage" },
	{ "plan", cmd_plan, "print the ticks a release would go through" },
	{ "reconcile", cmd_reconcile, "one tick against the repository" },
	{ "run", cmd_run, "the daemon: poll the repository and reconcile" },
	{ "get", cmd_get, "status table from the deploy branch" },
	{ "describe", cmd_describe, "status and event history of a canary" },
	{ "version", cmd_version, "print the version" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gitcanary <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'gitcanary <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return GC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return GC_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("gitcanary %s\n", gc_cli_version());
		return GC_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "gitcanary: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return GC_EXIT_USAGE;
}
