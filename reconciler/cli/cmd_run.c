/*
 * gitcanary run [flags] [--poll DURATION] [--listen ADDR:PORT]
 *               [--webhook-secret-file FILE]
 *
 * The daemon: a reconcile tick every poll interval (default 10s), and at
 * once when a push receiver accepts a push (reconciler/service/; at most
 * one push-started tick per PUSH_GAP_MS, however many arrive). Between
 * ticks it waits on reconciler/service/wake.h, so a push or a signal ends
 * the wait at once. SIGINT and SIGTERM let the running tick finish, the
 * server answers the requests it has received and closes, then it exits
 * 0. A failed tick is logged and retried with a capped exponential
 * backoff: after the n-th failure in a row the next tick waits
 * poll * 2^(n-1), at most BACKOFF_MAX_MS (or the poll interval, when that
 * is longer); a push still ticks at once. SIGHUP re-reads --signing-key's
 * file at the start of the next tick (key rotation without a restart); a
 * key that cannot be read is logged and the old one kept.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconciler/release/canary_spec.h"
#include "reconciler/cli/cli.h"
#include "reconciler/loop/loop.h"
#include "reconciler/service/metrics.h"
#include "reconciler/service/service.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/url.h"

#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define SECRET_FILE_MAX (64 * 1024)
/* pushes start at most one tick per PUSH_GAP_MS (docs/operations.md) */
#define PUSH_GAP_MS 1000

static gc_wake wake = { { -1, -1 }, 0, 0 };
/* a SIGHUP not yet acted on: read the signing key again */
static volatile sig_atomic_t hangup;

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
	gc_wake_stop(&wake);
}

static void on_sighup(int sig)
{
	(void)sig;
	hangup = 1;
}

static void on_sigpipe(int sig)
{
	(void)sig;
}

static const char usage_text[] =
	"usage: gitcanary run [flags]\n\n"
	"Reconciles the repository every poll interval, and at once on a push\n"
	"webhook, until SIGINT/SIGTERM. SIGHUP reads the --signing-key file\n"
	"again at the next tick (a broken new key is logged; the old one stays).\n\n"
	"  --poll DURATION            time between ticks; default 10s\n"
	"  --listen ADDR:PORT         HTTP server for /healthz, /readyz, /metrics\n"
	"                             and /hooks/*; default :8080, '' = none\n"
	"  --webhook-secret-file FILE secrets of the push receivers: one line\n"
	"                             for all, or 'github: SECRET' lines (also\n"
	"                             gitlab, gitea, generic); none = receivers off\n";

/* --webhook-secret-file into s; a usage problem is printed. */
static int read_secrets(gc_receiver_secrets *s, const char *path, int *rc)
{
	gc_buf text = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	int error;

	if ((error = gc_buf_read_file(&text, path, SECRET_FILE_MAX, &err)) ==
		    0 &&
	    (error = gc_receivers_parse_secrets(s, path, text.ptr, text.len,
						&err)) < 0)
		gc_error_prefixf(&err, "--webhook-secret-file");
	gc_wipe(text.ptr, text.len);
	gc_buf_release(&text);
	if (error < 0)
		*rc = gc_cli_fail("run", &err);
	return error;
}

/* The server, with SIGINT/SIGTERM/SIGHUP blocked in its thread. */
static int start_service(gc_service **svc, const gc_service_opts *o,
			 const gc_receiver_secrets *secrets, gc_error *err)
{
	sigset_t block, old;
	gc_buf names = GC_BUF_INIT;
	int error;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	error = gc_service_start(svc, o, err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error < 0)
		return error;
	gc_info("listening on %s", gc_service_address(*svc));
	for (size_t i = 0; i < GC_FORGES; i++)
		if (secrets->secret[i])
			gc_buf_addf(&names, "%s/hooks/%s",
				    names.len ? ", " : "",
				    gc_receivers_forge_name((gc_forge)i));
	if (names.len)
		gc_info("push receivers on: %s (source branch %s)", names.ptr,
			o->branch);
	else
		gc_info("push receivers off (no --webhook-secret-file): /hooks/* answer 404");
	gc_buf_release(&names);
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits for the next tick: wait_ms, or a push (but not sooner than
 * PUSH_GAP_MS after the last tick a push started, so a burst of pushes is
 * a tick or two), or a stop: false.
 */
static bool wait_next(const char **why, int64_t wait_ms, int64_t pushed)
{
	gc_wake_reason r = gc_wake_wait(&wake, wait_ms);
	int64_t left;

	*why = r == GC_WAKE_PUSH ? "push" : "poll";
	while (r == GC_WAKE_PUSH &&
	       (left = pushed + PUSH_GAP_MS - mono_ms()) > 0)
		if (gc_wake_wait(&wake, left) == GC_WAKE_STOP)
			r = GC_WAKE_STOP;
	return r != GC_WAKE_STOP;
}

/* After a SIGHUP: the signing key again, or the old one and an error. */
static void reread_key(gc_loop *loop, bool signing)
{
	gc_error err = GC_ERROR_INIT;
	char *msg;

	hangup = 0;
	if (!signing) {
		gc_info("SIGHUP: no --signing-key to read again");
		return;
	}
	if (gc_loop_reload_signing_key(loop, &err) < 0) {
		msg = gc_error_format(&err);
		gc_err("SIGHUP: %s; still signing with the old key", msg);
		free(msg);
	}
	gc_error_release(&err);
}

/* Ticks until a stop; each ends with the server's readiness record. */
static void run_loop(gc_loop *loop, gc_service *svc, int64_t poll_ms,
		     bool signing)
{
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	unsigned failures = 0;
	const char *why = "start";
	int64_t wait, started, pushed = mono_ms() - PUSH_GAP_MS;
	char *msg;

	do {
		wait = poll_ms;
		started = mono_ms();
		if (!strcmp(why, "push"))
			pushed = started;
		if (hangup)
			reread_key(loop, signing);
		if (gc_loop_tick(loop, &res, 0, &err) < 0) {
			wait = backoff_ms(poll_ms, ++failures);
			msg = gc_error_format(&err);
			gc_err("tick failed (%u in a row): %s; next try in %lldms",
			       failures, msg, (long long)wait);
			gc_service_tick_done(svc, false,
					     gc_loop_reachable(loop), msg);
			free(msg);
		} else {
			if (failures)
				gc_info("tick worked again after %u failed",
					failures);
			failures = 0;
			gc_service_tick_done(svc, true, true, NULL);
		}
		gc_debug("tick (%s) %s in %lld ms", why,
			 failures        ? "failed"
			 : res.skipped   ? "skipped"
			 : res.committed ? "committed"
					 : "done",
			 (long long)(mono_ms() - started));
		gc_error_release(&err);
	} while (wait_next(&why, wait, pushed));
}

int cmd_run(int argc, char **argv)
{
	gc_cli_loop_args a = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_receiver_secrets secrets = { { NULL } };
	gc_service_opts so = { 0 };
	gc_service *svc = NULL;
	gc_loop *loop = NULL;
	const char *poll = NULL, *listen = ":8080", *secret_file = NULL;
	int64_t poll_ms = 10000;
	gc_buf where = GC_BUF_INIT;
	struct sigaction sa;
	int rc;
	const gc_cli_opt extra[] = { { "poll", 0, GC_CLI_VALUE, &poll, 0 },
				     { "listen", 0, GC_CLI_VALUE, &listen, 0 },
				     { "webhook-secret-file", 0, GC_CLI_VALUE,
				       &secret_file, 0 },
				     { NULL, 0, GC_CLI_VALUE, NULL, 0 } };

	if (gc_cli_parse_loop(&a, "run", usage_text, extra, argc, argv, &rc) <
	    0)
		goto cleanup;
	if (poll && (gc_duration_parse(&poll_ms, poll) < 0 || poll_ms <= 0)) {
		rc = gc_cli_usage("run", "--poll must be a positive duration");
		goto cleanup;
	}
	if (secret_file && !*listen) {
		rc = gc_cli_usage("run",
				  "--webhook-secret-file needs the server; "
				  "--listen '' turns it off");
		goto cleanup;
	}
	if (secret_file && read_secrets(&secrets, secret_file, &rc) < 0)
		goto cleanup;
	if (gc_wake_init(&wake, &err) < 0) {
		rc = gc_cli_fail("run", &err);
		goto cleanup;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_sighup;
	sigaction(SIGHUP, &sa, NULL);
	/* a client gone mid-answer is no crash; a handler, not SIG_IGN,
	 * so a child (kustomize) starts with the default again */
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	if (gc_loop_new(&loop, &a.opts, &err) < 0) {
		rc = gc_cli_fail("run", &err);
		goto cleanup;
	}
	so = (gc_service_opts){
		listen,  &secrets,         gc_loop_source_branch(loop),
		poll_ms, gc_metrics_write, NULL,
		&wake
	};
	if (*listen && start_service(&svc, &so, &secrets, &err) < 0) {
		rc = gc_cli_fail("run", &err);
		goto cleanup;
	}
	gc_url_redact(&where, a.opts.repo ? a.opts.repo : ".");
	gc_info("watching %s every %lldms", where.ptr, (long long)poll_ms);
	run_loop(loop, svc, poll_ms, a.opts.signing_key != NULL);
	gc_service_stop(svc);
	svc = NULL;
	gc_info("stopping");
	rc = GC_EXIT_OK;
cleanup:
	gc_service_stop(svc);
	gc_buf_release(&where);
	gc_loop_free(loop);
	gc_wake_release(&wake);
	gc_receiver_secrets_release(&secrets);
	gc_cli_loop_args_release(&a);
	return rc;
}
