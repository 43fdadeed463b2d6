#include "bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double gc_bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void gc_bench_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

void gc_bench_die(const char *prog, const char *what, const gc_error *err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, gc_error_msg(err));
	exit(1);
}

double gc_bench_rss_mib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lf kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024.0;
}
