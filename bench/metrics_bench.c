/*
 * metrics_bench: what /metrics costs at N canaries (docs/benchmarks.md,
 * "metrics").
 *
 * For each N (default 1000 and 10000) a child process
 *   - records N canaries as a first tick's full pass does
 *     (gc_metrics_canaries, all) and once more (a later full pass), and
 *     gives every canary an analysis run (a duration histogram) and two
 *     metric values: the largest scrape, each canary with all its series;
 *   - measures the registry's memory: heap (mallinfo2) and RSS before and
 *     after;
 *   - times gc_metrics_write: median and maximum of 21 scrapes, and the
 *     scrape's size;
 *   - times what the instrumentation adds to an idle tick: gc_metrics_tick
 *     with the two clock reads around the tick, per call (median of 21
 *     runs of 100,000);
 *   - unless METRICS_BENCH_NO_LOOP is set: builds a repository of N apps
 *     (bench_loop.c), runs a gc_loop's first tick over it and the median
 *     of 50 idle ticks, and prints the instrumentation's share of it.
 * Usage: metrics_bench [N...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef GC_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

#include "bench/bench.h"
#include "bench/bench_loop.h"
#include "reconciler/service/metrics.h"
#include "util/alloc.h"
#include "util/log.h"

/* Bytes the program holds from its allocator (jemalloc's count, or glibc's). */
static double heap_mib(void)
{
#ifdef GC_HAVE_JEMALLOC
	uint64_t epoch = 1;
	size_t allocated = 0, len = sizeof(allocated);

	/* jemalloc's statistics are a snapshot taken at each new epoch */
	mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch));
	mallctl("stats.allocated", &allocated, &len, NULL, 0);
	return (double)allocated / (1024.0 * 1024.0);
#else
	struct mallinfo2 mi = mallinfo2();

	return (double)(mi.uordblks + mi.hblkhd) / (1024.0 * 1024.0);
#endif
}

/* The canaries app-00000... of namespace bench, as the loop names them. */
static void record(gc_metrics_canary *v, char (*ids)[32], char (*names)[16],
		   int n, bool all)
{
	for (int i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "app-%05d", i);
		snprintf(ids[i], sizeof(ids[i]), "bench/app-%05d", i);
		memset(&v[i], 0, sizeof(v[i]));
		v[i].id = ids[i];
		v[i].namespace = "bench";
		v[i].target = names[i];
		v[i].has_stage = true;
		v[i].phase = GC_PHASE_PROGRESSING;
		v[i].canary_weight = 10 * (i % 6);
		v[i].primary_weight = 100 - v[i].canary_weight;
	}
	gc_metrics_canaries(v, (size_t)n, all);
}

/* One idle tick's instrumentation, ns per tick (median of 21 runs). */
static double instrumentation_ns(void)
{
	enum { RUNS = 21, CALLS = 100000 };
	double runs[RUNS], t0, a, b;
	struct timespec ts;

	for (int r = 0; r < RUNS; r++) {
		t0 = gc_bench_now_ms();
		for (int i = 0; i < CALLS; i++) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			a = (double)ts.tv_nsec;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			b = (double)ts.tv_nsec;
			gc_metrics_tick(GC_METRICS_TICK_SKIPPED,
					(b - a) / 1e9 + 1e-5, 2000000000);
		}
		runs[r] = (gc_bench_now_ms() - t0) * 1e6 / CALLS;
	}
	gc_bench_sort(runs, RUNS);
	return runs[RUNS / 2];
}

static void run(int n)
{
	gc_metrics_canary *v = gc_xcalloc((size_t)n, sizeof(*v));
	char(*ids)[32] = gc_xcalloc((size_t)n, sizeof(*ids));
	char(*names)[16] = gc_xcalloc((size_t)n, sizeof(*names));
	double heap0, rss0, heap1, rss1, t0, first, again, scrapes[21];
	double instr, idle = 0, loop_first = 0;
	gc_buf out = GC_BUF_INIT;
	size_t size = 0;

	gc_log_set_level(GC_LOG_ERROR);
	/* the registry's own first allocations, outside the measure */
	gc_metrics_write(&out, NULL);
	gc_buf_release(&out);
	heap0 = heap_mib();
	rss0 = gc_bench_rss_mib();
	t0 = gc_bench_now_ms();
	record(v, ids, names, n, true);
	first = gc_bench_now_ms() - t0;
	t0 = gc_bench_now_ms();
	record(v, ids, names, n, true);
	again = gc_bench_now_ms() - t0;
	for (int i = 0; i < n; i++) {
		gc_metrics_canary_duration("bench", names[i], names[i],
					   0.01 * (i % 300));
		gc_metrics_canary_analysis("bench", names[i], names[i],
					   "request-success-rate", 99.5);
		gc_metrics_canary_analysis("bench", names[i], names[i],
					   "request-duration", 0.125);
	}
	heap1 = heap_mib();
	rss1 = gc_bench_rss_mib();
	for (int i = 0; i < 21; i++) {
		gc_buf_init(&out);
		t0 = gc_bench_now_ms();
		gc_metrics_write(&out, NULL);
		scrapes[i] = gc_bench_now_ms() - t0;
		size = out.len;
		gc_buf_release(&out);
	}
	gc_bench_sort(scrapes, 21);
	instr = instrumentation_ns();
	if (!getenv("METRICS_BENCH_NO_LOOP")) {
		char tmpl[] = "/tmp/metrics_bench.XXXXXX";
		char *dir = mkdtemp(tmpl), *remote, *cmd;
		gc_bench_loop bl;

		gc_bench_loop_repo(dir, n, NULL);
		remote = gc_xasprintf("%s/remote.git", dir);
		loop_first = gc_bench_loop_start(&bl, "metrics_bench", remote,
						 2000000000);
		idle = gc_bench_loop_idle(&bl, "metrics_bench", 2000000010);
		gc_loop_free(bl.loop);
		cmd = gc_xasprintf("rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "metrics_bench: could not remove %s\n",
				dir);
		free(cmd);
		free(remote);
	}
	printf("| %d | %.1f / %.1f | %.2f | %.2f | %.1f (max %.1f) | %.1f | %.0f | ",
	       n, first, again, heap1 - heap0, rss1 - rss0, scrapes[10],
	       scrapes[20], (double)size / (1024.0 * 1024.0), instr);
	if (idle > 0)
		printf("%.0f s, %.4f | %.2f%% |\n", loop_first / 1e3, idle,
		       100.0 * instr / (idle * 1e6));
	else
		printf("- | - |\n");
	fflush(stdout);
	free(v);
	free(ids);
	free(names);
}

int main(int argc, char **argv)
{
	return gc_bench_each_size(
		argc, argv,
		"| canaries | record all ms (first / again) | registry heap MiB | registry RSS MiB | scrape ms median (max of 21) | scrape MiB | idle-tick instrumentation ns | loop first tick, idle tick ms (median of 50) | instrumentation share of the idle tick |\n"
		"|---|---|---|---|---|---|---|---|---|\n",
		run);
}
