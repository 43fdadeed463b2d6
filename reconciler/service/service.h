#ifndef GC_RECONCILER_SERVICE_SERVICE_H
#define GC_RECONCILER_SERVICE_SERVICE_H

/*
 * The endpoints of `gitcanary run` (docs/operations.md): /healthz,
 * /readyz, /metrics and the push receivers /hooks/{github,gitlab,gitea,
 * generic}, on the server of server.h. A push the receivers accept wakes
 * the run loop (wake.h); the run loop reports each tick here for
 * /readyz. Nothing a handler does waits for a tick.
 */

#include <stdbool.h>
#include <stdint.h>

#include "reconciler/service/receivers.h"
#include "reconciler/service/wake.h"
#include "util/buf.h"
#include "util/error.h"

/*
 * Writes the Prometheus text exposition of /metrics into out; 0, or a
 * negative gc_code for a 500. Called from the server's thread.
 */
typedef int (*gc_service_metrics_fn)(gc_buf *out, void *ctx);

typedef struct gc_service_opts {
	const char *listen; /* ADDR:PORT (server.h) */
	/* the receivers' secrets; NULL or none set = receivers off (404) */
	const gc_receiver_secrets *secrets;
	const char *branch; /* the source branch pushes must name */
	int64_t poll_ms;    /* --poll, for /readyz */
	gc_service_metrics_fn metrics;
	void *metrics_ctx;
	gc_wake *wake; /* what accepted pushes wake */
} gc_service_opts;

typedef struct gc_service gc_service;

/* opts and what it points to are borrowed and must outlive the service. */
int gc_service_start(gc_service **out, const gc_service_opts *opts,
		     gc_error *err);
/* "127.0.0.1:43121"; borrowed. */
const char *gc_service_address(const gc_service *s);
/*
 * A tick ended: ok, whether the remote was reachable, and its error
 * (NULL when ok). NULL s is fine (no server).
 */
void gc_service_tick_done(gc_service *s, bool ok, bool reachable,
			  const char *error);
/* Answers what was received, then closes (server.h). NULL is fine. */
void gc_service_stop(gc_service *s);

#endif
