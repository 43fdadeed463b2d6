#include <stdio.h>

#include "cli.h"

int cmd_describe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gitcanary describe: not available in this build yet\n");
	return GC_EXIT_FAILURE;
}
