/*
 * gitcanary version (also gitcanary --version)
 *
 * The version of project() in CMakeLists.txt, then what `git describe
 * --always --dirty` said at build time when built from a checkout
 * (cmake/GcVersion.cmake writes gc_version.h).
 */
#include <stdio.h>

#include "gc_version.h"
#include "reconciler/cli/cli.h"

static const char usage_text[] = "usage: gitcanary version\n";

const char *gc_cli_version(void)
{
	return GC_VERSION_GIT[0] ? GC_VERSION " (" GC_VERSION_GIT ")"
				 : GC_VERSION;
}

int cmd_version(int argc, char **argv)
{
	int rc;

	if (gc_cli_parse("version", usage_text, NULL, NULL, argc, argv, &rc) <
	    0)
		return rc;
	printf("gitcanary %s\n", gc_cli_version());
	return GC_EXIT_OK;
}
