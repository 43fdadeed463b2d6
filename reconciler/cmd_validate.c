#include <stdio.h>

#include "cli.h"

int cmd_validate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gitcanary validate: not available in this build yet\n");
	return GC_EXIT_FAILURE;
}
