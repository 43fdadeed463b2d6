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
 * dir/src (a work clone, branch main) and dir/remote.git with n apps, one
 * file apps/app-NNNNN.yaml each: a Canary without checks (interval 60m,
 * so a started release stays quiet) and its Deployment, namespace
 * "bench", image example/app:1.0.0. Exits with prog's name on an error.
 */
void gc_bench_loop_repo(const char *prog, const char *dir, int n);
/*
 * A loop on the bare repository remote (source branch main, every
 * Deployment ready, 1 s floor) and its first tick at now: its time in
 * ms; exits with prog's name on an error.
 */
double gc_bench_loop_start(gc_bench_loop *b, const char *prog,
			   const char *remote, int64_t now);
/* The median of 50 ticks at now that must do nothing, in ms. */
double gc_bench_loop_idle(gc_bench_loop *b, const char *prog, int64_t now);

#endif
