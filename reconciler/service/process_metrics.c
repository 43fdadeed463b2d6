/*
 * process_start_time_seconds, process_cpu_seconds_total and
 * process_resident_memory_bytes, read as the Go client's procfs collector
 * reads them (/proc/self/stat, /proc/stat, /proc/self/statm).
 */

#include "reconciler/service/process_metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static double start_time; /* 0: unknown */

/* The contents of a /proc file into b; false when unreadable. */
static bool read_proc(gc_buf *b, const char *path)
{
	gc_buf_clear(b);
	return gc_buf_read_file(b, path, 1 << 20, NULL) == 0 && b->len;
}

/*
 * Field 22 of /proc/self/stat (start time in clock ticks after boot; the
 * fields after the command name, which may hold anything, counted from
 * its closing parenthesis) plus btime of /proc/stat.
 */
static void find_start_time(void)
{
	gc_buf b = GC_BUF_INIT;
	const char *p;
	long tck = sysconf(_SC_CLK_TCK);
	unsigned long long ticks = 0, btime = 0;

	if (tck <= 0 || !read_proc(&b, "/proc/self/stat") ||
	    !(p = strrchr(b.ptr, ')')))
		goto cleanup;
	/* ") S ppid ..." : field 3 is the state, field 22 is 19 further */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1 ||
	    !read_proc(&b, "/proc/stat") || !(p = strstr(b.ptr, "\nbtime ")) ||
	    sscanf(p + 7, "%llu", &btime) != 1)
		goto cleanup;
	start_time = (double)btime + (double)ticks / (double)tck;
cleanup:
	gc_buf_release(&b);
}

void gc_process_metrics_write(gc_buf *out)
{
	gc_buf b = GC_BUF_INIT;
	struct rusage ru;
	unsigned long long pages, rss;
	long page = sysconf(_SC_PAGESIZE);

	pthread_once(&start_once, find_start_time);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		gc_buf_addf(
			out,
			"# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
			"# TYPE process_cpu_seconds_total counter\n"
			"process_cpu_seconds_total %.6f\n",
			(double)ru.ru_utime.tv_sec +
				(double)ru.ru_stime.tv_sec +
				(double)(ru.ru_utime.tv_usec +
					 ru.ru_stime.tv_usec) /
					1e6);
	if (page > 0 && read_proc(&b, "/proc/self/statm") &&
	    sscanf(b.ptr, "%llu %llu", &pages, &rss) == 2)
		gc_buf_addf(
			out,
			"# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
			"# TYPE process_resident_memory_bytes gauge\n"
			"process_resident_memory_bytes %llu\n",
			rss * (unsigned long long)page);
	if (start_time > 0)
		gc_buf_addf(
			out,
			"# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
			"# TYPE process_start_time_seconds gauge\n"
			"process_start_time_seconds %.2f\n",
			start_time);
	gc_buf_release(&b);
}
