/*
 * gitcanary run [flags] [--poll DURATION]
 *
 * The daemon: a reconcile tick every poll interval (default 10s). SIGINT
 * and SIGTERM let the running tick finish, then it exits 0. A failed tick
 * is logged and retried with a capped exponential backoff: after the n-th
 * failure in a row the next tick waits poll * 2^(n-1), at most
 * BACKOFF_MAX_MS (or the poll interval, when that is longer).
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
#include "util/url.h"

#define BACKOFF_MAX_MS (5 * 60 * 1000)

static volatile sig_atomic_t stop;

/* The wait after the n-th failed tick in a row (n >= 1). */
static int64_t backoff_ms(int64_t poll_ms, unsigned n)
{
	int64_t cap = poll_ms > BACKOFF_MAX_MS ? poll_ms : BACKOFF_MAX_MS;
	int64_t d = poll_ms;

	for (unsigned i = 1; i < n && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

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
	gc_buf where = GC_BUF_INIT;
	unsigned failures = 0;
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
	gc_url_redact(&where, a.opts.repo ? a.opts.repo : ".");
	gc_info("watching %s every %lldms", where.ptr, (long long)poll_ms);
	while (!stop) {
		int64_t wait = poll_ms;

		if (gc_loop_tick(loop, &res, 0, &err) < 0) {
			wait = backoff_ms(poll_ms, ++failures);
			msg = gc_error_format(&err);
			gc_err("tick failed (%u in a row): %s; next try in %lldms",
			       failures, msg, (long long)wait);
			free(msg);
		} else if (failures) {
			gc_info("tick worked again after %u failed", failures);
			failures = 0;
		}
		gc_error_release(&err);
		nap(wait);
	}
	gc_info("stopping");
	rc = GC_EXIT_OK;
cleanup:
	gc_buf_release(&where);
	gc_loop_free(loop);
	gc_cli_loop_args_release(&a);
	return rc;
}
