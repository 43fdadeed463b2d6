/*
 * gitcanary reconcile --once [flags]
 *
 * One tick against the repository (docs/reconcile.md); the flags shared
 * with `gitcanary run` are parsed by gc_cli_parse_loop (cli.c).
 */
#include <stdio.h>

#include "reconciler/cli/cli.h"
#include "reconciler/loop/loop.h"

static const char usage_text[] =
	"usage: gitcanary reconcile --once [flags]\n\n"
	"Runs one reconcile tick against the repository.\n\n"
	"  --once                     required: one tick, then exit\n";

int cmd_reconcile(int argc, char **argv)
{
	gc_cli_loop_args a = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *loop = NULL;
	bool once = false;
	int rc;
	const gc_cli_opt extra[] = { { "once", 0, GC_CLI_FLAG, &once, 0 },
				     { NULL, 0, GC_CLI_VALUE, NULL, 0 } };

	if (gc_cli_parse_loop(&a, "reconcile", usage_text, extra, argc, argv,
			      &rc) < 0)
		goto cleanup;
	if (!once) {
		rc = gc_cli_usage(
			"reconcile",
			"--once is required (use 'gitcanary run' for the daemon)");
		goto cleanup;
	}
	if (gc_loop_new(&loop, &a.opts, &err) < 0 ||
	    gc_loop_tick(loop, &res, 0, &err) < 0) {
		rc = gc_cli_fail("reconcile", &err);
		goto cleanup;
	}
	if (res.committed)
		printf("%s\n", res.commit);
	rc = res.canaries_broken ? GC_EXIT_FAILURE : GC_EXIT_OK;
cleanup:
	gc_loop_free(loop);
	gc_cli_loop_args_release(&a);
	return rc;
}
