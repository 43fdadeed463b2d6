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
 * DIR/src (a work tree, origin = DIR/remote.git) and DIR/remote.git with n
 * apps in src/apps/app-NNNNN.yaml: a Canary without checks (interval 60m,
 * namespace "bench") and its Deployment, image example/app:1.0.0 (a bump
 * changes that line's "1.0.0"); exits on a failure.
 */
void gc_bench_loop_repo(const char *dir, int n);

/*
 * A loop on the bare repository remote (source branch main, every
 * Deployment ready, 1 s floor; commits signed with the key file
 * $LOOP_BENCH_SIGNING_KEY when set) and its first tick at now: its time
 * in ms; exits with prog's name on an error.
 */
double gc_bench_loop_start(gc_bench_loop *b, const char *prog,
			   const char *remote, int64_t now);
/* The median of 50 ticks at now that must do nothing, in ms. */
double gc_bench_loop_idle(gc_bench_loop *b, const char *prog, int64_t now);

#endif
