#ifndef GC_BENCH_BENCH_H
#define GC_BENCH_BENCH_H

/* What the benchmark programs share: a clock, sorting, and dying. */

#include <stddef.h>

#include "util/error.h"

/* Milliseconds on the monotonic clock. */
double gc_bench_now_ms(void);
/* Sorts v[0..n) ascending (for medians and maxima). */
void gc_bench_sort(double *v, size_t n);
/* VmRSS of this process now, MiB (what a daemon holds between ticks). */
double gc_bench_rss_mib(void);
/* A "key: N kB" line of /proc/self/status in MiB ("RssAnon": the part of
 * the RSS that is not mapped files, such as git's packs). */
double gc_bench_status_mib(const char *key);
/* Prints "prog: what: message" to stderr and exits 1. */
/*
 * The sizes of argv[1..] (default 1,000 and 10,000 canaries): prints the
 * table's header (its two lines), then runs run(n) in a child process per
 * size, so that each starts from a fresh heap; 1 when one failed.
 */
int gc_bench_each_size(int argc, char **argv, const char *header,
		       void (*run)(int n));
void gc_bench_die(const char *prog, const char *what, const gc_error *err);

#endif
