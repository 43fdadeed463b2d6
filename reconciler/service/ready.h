#ifndef GC_RECONCILER_SERVICE_READY_H
#define GC_RECONCILER_SERVICE_READY_H

/*
 * Readiness of `gitcanary run` (/readyz, docs/operations.md "Ports and
 * probes"): the run loop records each tick; the server asks for a verdict
 * from its own thread. The record is behind a mutex; the verdict is a
 * pure function of it, the time and the poll interval:
 *
 *   - no tick has finished yet                          503 starting
 *   - the remote was unreachable at the last tick       503
 *   - the last tick succeeded, or the last success is
 *     within 3 x poll of now (a passing failure)        200 ok
 *   - otherwise (ticks failing for longer)              503
 *
 * A reason names since when and the last error, redacted (every URL in
 * it through util/url.c) and kept to one bounded line (util/text.c).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct gc_ready_state {
	int64_t ticks;          /* ticks finished */
	bool ok;                /* the last one succeeded */
	bool reachable;         /* the remote answered at the last one */
	int64_t last_ok_ms;     /* end of the last success; 0 = none */
	int64_t failing_ms;     /* first failure of the current run; 0 */
	int64_t unreachable_ms; /* first unreachable tick of the run; 0 */
	char error[512];        /* the last failure, redacted */
} gc_ready_state;

typedef struct gc_ready {
	pthread_mutex_t lock;
	gc_ready_state st;
	int64_t poll_ms;
} gc_ready;

void gc_ready_init(gc_ready *r, int64_t poll_ms);
void gc_ready_release(gc_ready *r);
/* A tick ended at now_ms (ms since the epoch); error = its message. */
void gc_ready_record(gc_ready *r, int64_t now_ms, bool ok, bool reachable,
		     const char *error);
/* The answer at now_ms: 200 or 503, and one line (with "\n") into body. */
unsigned gc_ready_check(gc_ready *r, int64_t now_ms, gc_buf *body);

/* The verdict of a state (the pure part of gc_ready_check). */
unsigned gc_ready_verdict(gc_buf *body, const gc_ready_state *st,
			  int64_t now_ms, int64_t poll_ms);

#endif
