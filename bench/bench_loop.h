#ifndef GC_BENCH_BENCH_LOOP_H
#define GC_BENCH_BENCH_LOOP_H

/* What the loop benchmarks share: a loop on a local remote and its ticks. */

#include <stdint.h>

#include "reconciler/loop/loop.h"

typedef struct gc_bench_loop {
	gc_loop_opts opts; /* borrowed by loop: lives as long */
	gc_loop *loop;
} gc_bench_loop;

/*
 * A loop on the bare repository remote (source branch main, every
 * Deployment ready, 1 s floor; commits signed with the key file
 * $LOOP_BENCH_SIGNING_KEY when set) and its first tick at now: its time
 * in ms; exits with prog's name on an error.
 */
double gc_bench_loop_start(gc_bench_loop *b, const char *prog,
			   const char *remote, int64_t now);
/*
 * The repository of n apps loop_bench measures (one file per app: a
 * Canary without checks, interval 60m, and its Deployment, namespace
 * "bench"): a work tree dir/src on main, pushed to the bare
 * dir/remote.git, its origin.
 */
void gc_bench_loop_repo(const char *prog, const char *dir, int n);
/* The median of 50 ticks at now that must do nothing, in ms. */
double gc_bench_loop_idle(gc_bench_loop *b, const char *prog, int64_t now);

#endif
