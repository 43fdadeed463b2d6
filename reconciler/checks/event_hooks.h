#ifndef GC_RECONCILER_EVENT_HOOKS_H
#define GC_RECONCILER_EVENT_HOOKS_H

/*
 * Event webhooks (flagger-behaviour.md §3.12, §6.2): every event of a
 * canary is POSTed to each of its `type: event` webhooks or, when it has
 * none, to the global --event-webhook URL. The payload is Flagger's:
 * name, namespace, phase (the event's), checksum, and metadata = the
 * hook's metadata + eventMessage, eventType ("Normal" / "Warning") and
 * timestamp.
 *
 * Each delivery is one webhook check run by the checks runner
 * (checks.c: the shared curl-multi client, the hook's timeout and
 * retries, the §6.2 success rule), so nothing here speaks HTTP. The
 * deliveries to one hook run in event order; hooks and canaries run
 * concurrently, bounded by the runner's concurrency. A failed delivery
 * is a result, never an error.
 */

#include <stddef.h>

#include <cjson/cJSON.h>

#include "reconciler/release/canary_spec.h"
#include "reconciler/checks/check.h"
#include "reconciler/checks/checks.h"
#include "reconciler/release/machine.h"
#include "util/buf.h"
#include "util/error.h"

/* The name the global --event-webhook gets in logs and evidence. */
#define GC_EVENT_HOOKS_GLOBAL_NAME "events"

/* One canary's events of a tick and where they go. */
typedef struct gc_event_hooks_canary {
	/* input, borrowed */
	const gc_check_ctx *ctx;   /* name, namespace, checksum */
	const gc_hook_list *hooks; /* its `type: event` webhooks, or NULL */
	const gc_event *events;
	size_t nevents;

	/*
	 * Output, owned (gc_event_hooks_release): one batch per hook, one
	 * webhook check per event in event order. Each check's evidence is
	 * {name, type: "event", url, status, duration_ms, attempts, result,
	 * eventMessage}, its url without userinfo and query string.
	 */
	gc_check_batch *batches;
	size_t nbatches;
	cJSON *specs; /* the per-delivery webhook specs the checks borrow */
} gc_event_hooks_canary;

/*
 * Delivers the events of canaries c[0..n): to their own event hooks, or
 * to global_url (NULL or "" = none) for a canary without any. Payload
 * timestamps are timestamp_ms (Unix epoch milliseconds). Outputs are
 * released first. Negative only when the HTTP machinery itself fails.
 */
int gc_event_hooks_deliver(gc_event_hooks_canary *c, size_t n,
			   const char *global_url, long long timestamp_ms,
			   const gc_checks_opts *opts, gc_error *err);

/* Releases the outputs of c (the inputs are borrowed). */
void gc_event_hooks_release(gc_event_hooks_canary *c);

#endif
