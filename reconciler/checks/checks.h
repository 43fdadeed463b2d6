#ifndef GC_RECONCILER_CHECKS_H
#define GC_RECONCILER_CHECKS_H

/*
 * The checks runner: performs the gc_check requests of
 * reconciler/checks/check.h (metric queries and webhooks) over one bounded
 * curl-multi client. Batches run concurrently with each other; the checks of
 * one batch run in order, honouring stop_on_fail / stop_on_pass.
 */

#include <stddef.h>

#include "reconciler/checks/check.h"
#include "util/error.h"

typedef struct gc_checks_opts {
	const char *metrics_server;  /* --metrics-server; NULL = default */
	const char *credentials_dir; /* --credentials-dir; NULL = none */
	size_t concurrency;          /* transfers in flight; 0 = 32 */
	/* Prometheus queries; 0 = GC_HTTP_DEFAULT_TIMEOUT_MS (http_client.h) */
	long query_timeout_ms;
	long backoff_ms;     /* first webhook retry delay; 0 = 1000 */
	long backoff_max_ms; /* retry delay cap; 0 = 30000 */
	size_t max_response; /* response cap in bytes; 0 = 4 MiB */
	const char *const
		*connect_to; /* --connect-to entries, NULL-terminated */
} gc_checks_opts;

/*
 * Runs batches[i] for canary ctx[i], i < n, filling status, message,
 * error_event and evidence of every check it runs (results of an earlier
 * run are released first). Check failures are results, not errors: the
 * return value is negative only when the HTTP machinery itself fails.
 */
int gc_checks_run(gc_check_batch *batches, const gc_check_ctx *ctx, size_t n,
		  const gc_checks_opts *opts, gc_error *err);

/* Canary i's batches (borrowed, nb of them) and the ctx they run with. */
typedef void (*gc_checks_canary_fn)(const gc_check_batch **batches, size_t *nb,
				    const gc_check_ctx **ctx, size_t i,
				    void *payload);
/*
 * Runs the batches of n canaries, each with its own ctx (canary gives
 * canary i's), as one gc_checks_run. The batch structs are copied, the
 * checks they point at are not: the results land in the canaries' own
 * checks. Nothing to run is 0.
 */
int gc_checks_run_canaries(size_t n, gc_checks_canary_fn canary, void *payload,
			   const gc_checks_opts *opts, gc_error *err);

#endif
