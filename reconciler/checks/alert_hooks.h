#ifndef GC_RECONCILER_ALERT_HOOKS_H
#define GC_RECONCILER_ALERT_HOOKS_H

/*
 * Alerts (flagger-behaviour.md §3.12, pkg/controller/events.go alert()):
 * every alert an event of the tick carries (gc_event.alert) is POSTed to
 * each destination of the canary's analysis.alerts whose severity wants
 * it or, when the canary has no alerts of its own, to the global notifier
 * of the command line (--slack-url / --msteams-url). The body is
 * Flagger's for the destination's type (notifier.h).
 *
 * Each delivery is one GC_CHECK_ALERT check run by the checks runner
 * (checks.c: the shared curl-multi client, a 5 s timeout, at most
 * GC_NOTIFIER_ATTEMPTS attempts with backoff), after the tick's commit is
 * pushed, as event webhooks are. A failed delivery, or a destination that
 * cannot be resolved, is logged as a warning and recorded in the
 * evidence; it never fails anything. Addresses and tokens (they may come
 * from Secrets) appear in no log line and no evidence.
 */

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "reconciler/checks/check.h"
#include "reconciler/checks/checks.h"
#include "reconciler/release/alerts.h"
#include "reconciler/release/machine.h"
#include "util/error.h"

/* One canary's alerts of a tick and where they go. */
typedef struct gc_alert_hooks_canary {
	/* input, borrowed */
	const gc_check_ctx *ctx; /* name, namespace */
	const gc_event *events;
	size_t nevents;
	bool own;                   /* it has analysis.alerts (maybe none
				       resolvable): no global notifier */
	const gc_alert_dest *dests; /* its analysis.alerts, resolved */
	size_t ndests;
	const gc_alert_fields *metadata; /* for alerts that ask for it */

	/*
	 * Output, owned (gc_alert_hooks_release): one batch per destination
	 * that receives something, one check per alert in event order; and
	 * the evidence of every alert, sent or not: {name, provider, type,
	 * severity, message, status, duration_ms, attempts, result, error}.
	 */
	gc_check_batch *batches;
	size_t nbatches;
	cJSON *specs; /* the per-delivery specs the checks borrow */
	cJSON *evidence;
} gc_alert_hooks_canary;

/* The global notifier: a destination without provider, or NULL. */
typedef struct gc_alert_hooks_opts {
	const gc_alert_dest *global;
	const char *cluster; /* --cluster-name, NULL or "" = none */
} gc_alert_hooks_opts;

/*
 * Delivers the alerts of canaries c[0..n). Outputs are released first.
 * Negative only when the HTTP machinery itself fails.
 */
int gc_alert_hooks_deliver(gc_alert_hooks_canary *c, size_t n,
			   const gc_alert_hooks_opts *aopts,
			   const gc_checks_opts *opts, gc_error *err);

/* Releases the outputs of c (the inputs are borrowed). */
void gc_alert_hooks_release(gc_alert_hooks_canary *c);

#endif
