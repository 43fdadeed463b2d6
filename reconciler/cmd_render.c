#include <stdio.h>

#include "cli.h"

int cmd_render(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gitcanary render: not available in this build yet\n");
	return GC_EXIT_FAILURE;
}
