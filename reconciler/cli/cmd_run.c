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

static int poll_flag(int argc, char **argv, int *i, void *payload)
{
	const char *v;

	if (strncmp(argv[*i], "--poll", 6))
		return 0;
	if (argv[*i][6] == '=')
		v = argv[*i] + 7;
	else if (argv[*i][6] == '\0' && *i + 1 < argc)
		v = argv[++*i];
	else if (argv[*i][6] == '\0')
		return -1;
	else
		return 0;
	*(const char **)payload = v;
	return 1;
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

int cmd_run(int argc, char **argv)
{
	gc_loop_opts o = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *loop = NULL;
	const char *poll = NULL;
	int64_t poll_ms = 10000;
	struct sigaction sa;
	char *msg;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: gitcanary run [flags]\n\n"
			       "Reconciles the repository every poll interval until SIGINT/SIGTERM.\n\n"
			       "  --poll DURATION            time between ticks; default 10s\n%s",
			       gc_loop_flags_help);
			return GC_EXIT_OK;
		}
	}
	if ((rc = gc_loop_parse_args(&o, "run", argc, argv, poll_flag,
				     &poll)) != 0)
		return rc;
	if (poll && (gc_duration_parse(&poll_ms, poll) < 0 || poll_ms <= 0))
		return gc_cli_usage("run",
				    "--poll must be a positive duration");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (gc_loop_new(&loop, &o, &err) < 0) {
		msg = gc_error_format(&err);
		fprintf(stderr, "gitcanary run: %s\n", msg);
		free(msg);
		gc_error_release(&err);
		return GC_EXIT_FAILURE;
	}
	gc_info("watching %s every %lldms", o.repo ? o.repo : ".",
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
	gc_loop_free(loop);
	return GC_EXIT_OK;
}
