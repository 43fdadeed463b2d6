/*
 * gitcanary validate [--repo PATH|URL] [--ref REV] [--dir DIR] [--path DIR]...
 *                    [--default-namespace NS]
 *
 * Loads every manifest of a commit (or a plain directory), checks every
 * flagger.app object, and prints each problem as path:line:column: message
 * on stderr; a warning as path:line:column: warning: message. Only errors
 * fail: with warnings alone it exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/cli/cli.h"
#include "repo-layout/git.h"
#include "repo-layout/names.h"
#include "repo-layout/source.h"
#include "reconciler/release/validate.h"

static const char usage_text[] =
	"usage: gitcanary validate [--repo PATH|URL] [--ref REV] [--dir DIR] [--default-namespace NS]\n"
	"\n"
	"  --repo PATH|URL          git repository (work tree, bare, or file://, https://, ssh:// URL); default .\n"
	"  --ref REV                branch, tag or commit to check; default HEAD (the remote's HEAD branch for a URL)\n"
	"  --dir DIR                check a plain directory instead of a commit (no git)\n" GC_CLI_ROOTS_HELP
	"  --default-namespace NS   namespace of documents without one and outside any kustomization; default \"default\"\n"
	"  -v, --verbose            log debug lines too\n"
	"  --log-level LEVEL        debug, info (default), warn or error\n"
	"  --log-format FORMAT      text (default) or json (one object a line)\n";

static int parse_args(gc_cli_source_args *a, int argc, char **argv, int *rc)
{
	const char *why;
	char msg[256];

	if (gc_cli_parse_source(a, "validate", usage_text, NULL, argc, argv,
				rc) < 0)
		return -1;
	if (a->default_ns && !gc_name_is_dns1123_label(a->default_ns, &why)) {
		snprintf(msg, sizeof(msg),
			 "invalid --default-namespace '%s': %s", a->default_ns,
			 why);
		*rc = gc_cli_usage("validate", msg);
		return -1;
	}
	return 0;
}

int cmd_validate(int argc, char **argv)
{
	gc_cli_source_args a = { 0 };
	gc_source_opts opts = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;
	gc_problems problems = { NULL, 0, 0 };
	size_t canaries = 0;
	int rc;

	if (parse_args(&a, argc, argv, &rc) < 0)
		return rc;
	opts.default_namespace = a.default_ns;
	if (gc_cli_load(&idx, NULL, &a, &opts, &err) < 0)
		return gc_cli_fail("validate", &err);
	gc_cli_check(&problems, &canaries, idx, NULL, NULL);
	if (gc_cli_print_problems(&problems)) {
		rc = GC_EXIT_FAILURE;
	} else {
		printf("%zu canaries, %zu manifests OK\n", canaries,
		       gc_index_doc_count(idx));
		rc = GC_EXIT_OK;
	}
	gc_problems_release(&problems);
	gc_index_free(idx);
	return rc;
}
