/*
 * render_cli_bench BASE NEW [N...]: `gitcanary render` end to end, two
 * builds of it over the same generated repositories.
 *
 * For each N (default 1000 and 10000) it writes the apps of the loop
 * benchmarks (gc_bench_loop_repo: one file per app, a Canary and its
 * Deployment) to a temporary directory, then runs `BASE render` and
 * `NEW render` alternately, 3 rounds (or $RENDER_CLI_BENCH_ROUNDS, at most
 * 16), over the work tree (--dir) and over its commit (--repo). Each run
 * is one child process, measured as /usr/bin/time -v measures it (wall
 * clock around the child, user and system time and peak RSS from
 * wait4), its output to a file; the outputs of the two builds must be
 * byte-identical. Prints a markdown table of every run, then the medians
 * and NEW/BASE ratios. docs/benchmarks.md, "render end to end".
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_loop.h"
#include "util/alloc.h"
#include "util/buf.h"

#define MAX_ROUNDS 16

typedef struct run_stats {
	double wall, user, sys, rss_mib;
} run_stats;

/* One `bin render <how> <where>` into out; exits on a failure. */
static run_stats run_render(const char *bin, const char *how, const char *where,
			    const char *out)
{
	struct rusage ru;
	run_stats st;
	double t0 = gc_bench_now_ms();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		execl(bin, bin, "render", how, where, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "render_cli_bench: %s render %s %s failed\n",
			bin, how, where);
		exit(1);
	}
	st.wall = (gc_bench_now_ms() - t0) / 1e3;
	st.user =
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	st.sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	st.rss_mib = (double)ru.ru_maxrss / 1024.0;
	return st;
}

/* Whether the two outputs are the same bytes; *mib gets b's size. */
static bool same_file(const char *a, const char *b, double *mib)
{
	gc_buf x = GC_BUF_INIT, y = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	bool same;

	if (gc_buf_read_file(&x, a, (size_t)1 << 31, &err) < 0 ||
	    gc_buf_read_file(&y, b, (size_t)1 << 31, &err) < 0)
		gc_bench_die("render_cli_bench", "reading the outputs", &err);
	same = x.len == y.len && !memcmp(x.ptr, y.ptr, x.len);
	*mib = (double)y.len / (1024.0 * 1024.0);
	gc_buf_release(&x);
	gc_buf_release(&y);
	return same;
}

static double median(double *v, int n)
{
	gc_bench_sort(v, (size_t)n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *bins[2];
static int rounds = 3;

/* Both builds over one repository, --dir or --repo. */
static void run_mode(const char *dir, int n, const char *how, const char *where)
{
	double wall[2][MAX_ROUNDS], cpu[2][MAX_ROUNDS], rss[2][MAX_ROUNDS];
	char *out[2];
	double mb;
	bool same;

	for (int b = 0; b < 2; b++)
		out[b] = gc_xasprintf("%s/out-%d.yaml", dir, b);
	for (int r = 0; r < rounds; r++) {
		for (int b = 0; b < 2; b++) {
			run_stats st = run_render(bins[b], how, where, out[b]);

			wall[b][r] = st.wall;
			cpu[b][r] = st.user + st.sys;
			rss[b][r] = st.rss_mib;
			printf("| %d | %s | %s | %d | %.2f | %.2f | %.2f | %.1f |\n",
			       n, how, b ? "new" : "base", r + 1, st.wall,
			       st.user, st.sys, st.rss_mib);
			fflush(stdout);
		}
	}
	same = same_file(out[0], out[1], &mb);
	printf("| %d | %s | median new/base | | %.2f / %.2f = %.2f | user+sys %.2f / %.2f = %.2f | | %.1f / %.1f = %.2f |\n",
	       n, how, median(wall[1], rounds), median(wall[0], rounds),
	       median(wall[1], rounds) / median(wall[0], rounds),
	       median(cpu[1], rounds), median(cpu[0], rounds),
	       median(cpu[1], rounds) / median(cpu[0], rounds),
	       median(rss[1], rounds), median(rss[0], rounds),
	       median(rss[1], rounds) / median(rss[0], rounds));
	printf("| %d | %s | output %.1f MiB, %s | | | | | |\n", n, how, mb,
	       same ? "identical" : "DIFFERENT");
	fflush(stdout);
	for (int b = 0; b < 2; b++)
		free(out[b]);
}

static void run(int n)
{
	char dir[] = "/tmp/render_cli_bench-XXXXXX";
	char *src, *cmd;

	if (!mkdtemp(dir)) {
		perror("render_cli_bench: mkdtemp");
		exit(1);
	}
	gc_bench_loop_repo(dir, n, NULL);
	src = gc_xasprintf("%s/src", dir);
	run_mode(dir, n, "--dir", src);
	run_mode(dir, n, "--repo", src);
	cmd = gc_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "render_cli_bench: cannot remove %s\n", dir);
	free(cmd);
	free(src);
}

int main(int argc, char **argv)
{
	const char *r = getenv("RENDER_CLI_BENCH_ROUNDS");

	if (argc < 3) {
		fprintf(stderr, "usage: render_cli_bench BASE NEW [N...]\n");
		return 2;
	}
	bins[0] = argv[1];
	bins[1] = argv[2];
	if (r && atoi(r) > 0)
		rounds = atoi(r) < MAX_ROUNDS ? atoi(r) : MAX_ROUNDS;
	argv[2] = argv[0];
	return gc_bench_each_size(
		argc - 2, argv + 2,
		"| canaries | source | build | round | wall s | user s | sys s | peak RSS MiB |\n"
		"|---|---|---|---|---|---|---|---|\n",
		run);
}
