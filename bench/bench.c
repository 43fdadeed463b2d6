#include "bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

double gc_bench_status_mib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t len = strlen(key);
	double kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':' &&
		    sscanf(line + len + 1, "%lf kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024.0;
}

double gc_bench_rss_mib(void)
{
	return gc_bench_status_mib("VmRSS");
}

int gc_bench_each_size(int argc, char **argv, const char *header,
		       void (*run)(int n))
{
	int sizes[8] = { 1000, 10000 }, ns = 2, status, rc = 0;

	if (argc > 1) {
		ns = 0;
		for (int i = 1; i < argc && ns < 8; i++)
			sizes[ns++] = atoi(argv[i]);
	}
	fputs(header, stdout);
	fflush(stdout);
	for (int i = 0; i < ns; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			run(sizes[i]);
			fflush(stdout);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = 1;
	}
	return rc;
}
