/*
 * gitcanary reconcile --once [flags]
 *
 * One tick against the repository (docs/reconcile.md); the flags shared
 * with `gitcanary run` are parsed by gc_cli_parse_loop (cli.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "reconciler/cli/cli.h"
#include "reconciler/loop/loop.h"
#include "reconciler/release/status.h"

static const char usage_text[] =
	"usage: gitcanary reconcile --once [flags]\n\n"
	"Runs one reconcile tick against the repository. Prints the deploy commit it\n"
	"pushed, if any; otherwise says on stderr which canary is due next and when.\n"
	"Exits 1 when the source has an error (a YAML syntax error, a duplicate, a bad\n"
	"name, or a Canary validate refuses) after doing what it could; warnings do not\n"
	"change the exit code.\n\n"
	"  --once                     required: one tick, then exit\n";

/* Nothing was committed: which canary is due next, and when. */
static void say_next(const gc_tick_result *res)
{
	char when[GC_TIME_MAX];
	int64_t now = (int64_t)time(NULL);

	if (!res->next_canary[0] || res->next_due == INT64_MAX) {
		fprintf(stderr,
			"gitcanary reconcile: nothing to do: no canary is due (every canary is at rest until the source changes)\n");
		return;
	}
	gc_time_format(when, res->next_due);
	fprintf(stderr,
		"gitcanary reconcile: nothing to do: next due is %s at %s (in %llds)\n",
		res->next_canary, when,
		(long long)(res->next_due > now ? res->next_due - now : 0));
}

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
	else
		say_next(&res);
	/* one rule for every error of the source, syntax or schema */
	rc = res.canaries_broken || res.source_errors ? GC_EXIT_FAILURE
						      : GC_EXIT_OK;
cleanup:
	gc_loop_free(loop);
	gc_cli_loop_args_release(&a);
	return rc;
}
