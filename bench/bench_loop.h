#ifndef GC_BENCH_BENCH_LOOP_H
#define GC_BENCH_BENCH_LOOP_H

/* What the loop benchmarks share: a loop on a local remote and its ticks. */

#include <stdbool.h>
#include <stdint.h>

#include "reconciler/loop/loop.h"

typedef struct gc_bench_loop {
	gc_loop_opts opts; /* borrowed by loop: lives as long */
	gc_loop *loop;
} gc_bench_loop;

/* How a benchmark's apps differ from the loop benchmarks' ({ 0 }). */
typedef struct gc_bench_repo_opts {
	int namespaces;       /* 0: all in "bench"; else app i in ns-<i % it> */
	const char *interval; /* analysis.interval; NULL = 60m */
	int max_weight;       /* analysis.maxWeight; 0 = 50 */
	bool no_ports;        /* Deployments without containerPort */
	bool no_autogc; /* remote.git never gcs by itself (loops writing it in
			   place while a push's gc removes their directories) */
} gc_bench_repo_opts;

/*
 * DIR/src (a work tree, origin = DIR/remote.git) and DIR/remote.git with n
 * apps in src/apps/app-NNNNN.yaml: a Canary without checks (stepWeight 10,
 * and as o says; NULL = { 0 }) and its Deployment, image
 * example/app:1.0.0 (a bump changes that line's "1.0.0"); exits on a
 * failure.
 */
void gc_bench_loop_repo(const char *dir, int n, const gc_bench_repo_opts *o);

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
