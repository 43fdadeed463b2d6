/*
 * gitcanary run [flags] [--poll DURATION]
 *
 * The daemon: a reconcile tick every poll interval (default 10s). SIGINT
 * and SIGTERM let the running tick finish, then it exits 0. A failed tick
 * is logged and retried at the next poll.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconciler/release/canary_spec.h"
#include "reconciler/cli/cli.h"
#include "reconciler/loop/loop.h"
#include "util/log.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Sleeps ms unless a signal arrives. */
static void nap(int64_t ms)
{
	struct timespec ts;

	while (ms > 0 && !stop) {
		int64_t step = ms > 100 ? 100 : ms;

		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static const char usage_text[] =
	"usage: gitcanary run [flags]\n\n"
	"Reconciles the repository every poll interval until SIGINT/SIGTERM.\n\n"
	"  --poll DURATION            time between ticks; default 10s\n";

int cmd_run(int argc, char **argv)
{
	gc_cli_loop_args a = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *loop = NULL;
	const char *poll = NULL;
	int64_t poll_ms = 10000;
	struct sigaction sa;
	char *msg;
	int rc;
	const gc_cli_opt extra[] = { { "poll", 0, GC_CLI_VALUE, &poll, 0 },
				     { NULL, 0, GC_CLI_VALUE, NULL, 0 } };

	if (gc_cli_parse_loop(&a, "run", usage_text, extra, argc, argv, &rc) <
	    0)
		goto cleanup;
	if (poll && (gc_duration_parse(&poll_ms, poll) < 0 || poll_ms <= 0)) {
		rc = gc_cli_usage("run", "--poll must be a positive duration");
		goto cleanup;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (gc_loop_new(&loop, &a.opts, &err) < 0) {
		rc = gc_cli_fail("run", &err);
		goto cleanup;
	}
	gc_info("watching %s every %lldms", a.opts.repo ? a.opts.repo : ".",
		(long long)poll_ms);
	while (!stop) {
		if (gc_loop_tick(loop, &res, 0, &err) < 0) {
			msg = gc_error_format(&err);
			gc_err("tick failed: %s", msg);
			free(msg);
		}
		gc_error_release(&err);
		nap(poll_ms);
	}
	gc_info("stopping");
	rc = GC_EXIT_OK;
cleanup:
	gc_loop_free(loop);
	gc_cli_loop_args_release(&a);
	return rc;
}
