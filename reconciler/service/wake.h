#ifndef GC_RECONCILER_SERVICE_WAKE_H
#define GC_RECONCILER_SERVICE_WAKE_H

/*
 * What wakes the run loop between ticks: a push (from the HTTP server's
 * thread), a stop (from a signal handler), or the end of the wait. A
 * self-pipe, so a signal and a thread wake the same poll(2).
 *
 * Pushes are coalesced: however many arrive while a tick runs or one is
 * pending, the loop sees one push, and the tick it runs then starts after
 * every one of them was received.
 */

#include <signal.h>
#include <stdint.h>

#include "util/error.h"

typedef struct gc_wake {
	int fds[2];
	int pending;                /* a push not yet seen (atomic) */
	volatile sig_atomic_t stop; /* a stop was asked for */
} gc_wake;

typedef enum gc_wake_reason {
	GC_WAKE_TIMEOUT, /* the wait ended */
	GC_WAKE_PUSH,    /* a push arrived: tick now */
	GC_WAKE_STOP     /* stop: no more ticks */
} gc_wake_reason;

int gc_wake_init(gc_wake *w, gc_error *err);
void gc_wake_release(gc_wake *w);
/* A push: the loop ticks at once, or after the running tick. Any thread. */
void gc_wake_push(gc_wake *w);
/* Stop; async-signal-safe (a SIGTERM handler calls it). */
void gc_wake_stop(gc_wake *w);
/*
 * Waits up to timeout_ms (<= 0: only looks) for a stop or a push, stop
 * first; a push is consumed by the answer.
 */
gc_wake_reason gc_wake_wait(gc_wake *w, int64_t timeout_ms);

#endif
