#include "bench/bench_loop.h"

#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

double gc_bench_loop_start(gc_bench_loop *b, const char *prog,
			   const char *remote, int64_t now)
{
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	double t0;

	memset(b, 0, sizeof(*b));
	b->opts.repo = remote;
	b->opts.source_branch = "main";
	b->opts.assume_ready = true;
	b->opts.min_interval_ms = 1000;
	/* commits signed as with --signing-key (docs/benchmarks.md) */
	b->opts.signing_key = getenv("LOOP_BENCH_SIGNING_KEY");
	t0 = gc_bench_now_ms();
	if (gc_loop_new(&b->loop, &b->opts, &err) < 0 ||
	    gc_loop_tick(b->loop, &res, now, &err) < 0)
		gc_bench_die(prog, "first tick", &err);
	if (!res.committed)
		gc_bench_die(prog, "first tick made no commit", &err);
	return gc_bench_now_ms() - t0;
}

double gc_bench_loop_idle(gc_bench_loop *b, const char *prog, int64_t now)
{
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	double idle[50], t0;

	for (int i = 0; i < 50; i++) {
		t0 = gc_bench_now_ms();
		if (gc_loop_tick(b->loop, &res, now, &err) < 0)
			gc_bench_die(prog, "idle tick", &err);
		idle[i] = gc_bench_now_ms() - t0;
		if (!res.skipped)
			gc_bench_die(prog, "idle tick did work", &err);
	}
	gc_bench_sort(idle, 50);
	return idle[25];
}
