#include "cli.h"

#include <stdio.h>

int gc_cli_usage(const char *verb, const char *msg)
{
	fprintf(stderr, "gitcanary %s: %s\n", verb, msg);
	return GC_EXIT_USAGE;
}
