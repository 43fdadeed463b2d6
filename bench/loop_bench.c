/*
 * loop_bench: what a reconcile tick costs at N canaries on a local remote.
 *
 * For each N (default 1000 and 10000) a child process builds a bare
 * repository with N apps (one file per app: a Canary without checks,
 * interval 60m so a started release stays quiet, and its Deployment,
 * namespace "bench"), then measures with one gc_loop:
 *   - first: the tick that creates the deploy branch (all initialized),
 *            wall clock, and CPU seconds of the main thread and of the
 *            whole process (pack entries are deflated on a second thread:
 *            on a machine with a free core the wall clock follows the
 *            main thread's)
 *   - idle:  ticks where nothing moved and nothing is due (median of 50)
 *   - bump:  one image changed and pushed by another clone; the tick up to
 *            the pushed deploy commit (median of 5 bumps, or of
 *            $LOOP_BENCH_BUMPS, at most 64), each followed by one idle
 *            tick, untimed, as a polling daemon has between pushes;
 *            and its CPU time on the main thread (median)
 * and the child's peak RSS (ru_maxrss) after all of it, and its RSS then
 * (VmRSS: what a daemon holds between ticks) with the anonymous part of it
 * (RssAnon: without mapped files such as git's packs), and what
 * `git commit -a && git push` of the last bump's change costs (the bump's
 * baseline; $LOOP_BENCH_GIT=0 skips it).
 * $LOOP_BENCH_DIR holds the repositories (default /tmp): a tmpfs such as
 * /dev/shm leaves out the file system's cost of creating files.
 * Usage: loop_bench [N...]
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reconciler/loop/loop.h"
#include "bench/bench.h"
#include "bench/bench_loop.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

static void sh(char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "loop_bench: failed: %s\n", cmd);
		exit(1);
	}
	free(cmd);
}

/* user + system seconds of who (RUSAGE_SELF, RUSAGE_THREAD) */
static double cpu_s(int who)
{
	struct rusage r;

	getrusage(who, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what, const gc_error *err)
{
	gc_bench_die("loop_bench", what, err);
}

/*
 * What git itself costs for the change of the last bump: in a clone of the
 * deploy branch, the files the last deploy commit changed are changed
 * again, then `git commit -a && git push` (median of 5, ms); 0 when
 * $LOOP_BENCH_GIT=0.
 */
static double git_same_change(const char *dir)
{
	const char *env = getenv("LOOP_BENCH_GIT");
	double t[5], t0;

	if (env && !strcmp(env, "0"))
		return 0;
	sh(gc_xasprintf(
		"cd %s && git clone -q -b deploy remote.git deploy && "
		"cd deploy && git diff --name-only HEAD~1 HEAD >../changed",
		dir));
	for (int i = 0; i < 5; i++) {
		char *cmd = gc_xasprintf(
			"cd %s/deploy && while read f; do echo '# %d' >>\"$f\"; "
			"done <../changed && "
			"git -c user.name=b -c user.email=b@b commit -qam bump && "
			"git push -q origin deploy",
			dir, i);

		t0 = gc_bench_now_ms();
		sh(cmd);
		t[i] = gc_bench_now_ms() - t0;
	}
	gc_bench_sort(t, 5);
	return t[2];
}

static void run(int n)
{
	char *tmpl =
		gc_xasprintf("%s/loop_bench.XXXXXX",
			     getenv("LOOP_BENCH_DIR") ? getenv("LOOP_BENCH_DIR")
						      : "/tmp");
	char *dir = mkdtemp(tmpl), *remote, *cmd;
	gc_bench_loop bl;
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *loop;
	double t0, c0, first, idle, bump[64], bump_cpu[64], git, thread_s,
		process_s;
	int nbump = getenv("LOOP_BENCH_BUMPS")
			    ? atoi(getenv("LOOP_BENCH_BUMPS"))
			    : 5;
	struct rusage ru;
	int64_t now = 2000000000;

	gc_log_set_level(getenv("LOOP_BENCH_DEBUG") ? GC_LOG_DEBUG
						    : GC_LOG_ERROR);
	/* no background gc: a push into remote.git, which the loop writes
	 * in place, would start one (racing the ticks and the clone below) */
	gc_bench_loop_repo(dir, n, &(gc_bench_repo_opts){ .no_autogc = true });
	remote = gc_xasprintf("%s/remote.git", dir);
	thread_s = cpu_s(RUSAGE_THREAD);
	process_s = cpu_s(RUSAGE_SELF);
	first = gc_bench_loop_start(&bl, "loop_bench", remote, now);
	thread_s = cpu_s(RUSAGE_THREAD) - thread_s;
	process_s = cpu_s(RUSAGE_SELF) - process_s;
	loop = bl.loop;
	idle = gc_bench_loop_idle(&bl, "loop_bench", now + 10);
	if (nbump < 1 || nbump > 64)
		nbump = 5;
	for (int i = 0; i < nbump; i++) {
		cmd = gc_xasprintf(
			"cd %s/src && sed -i 's/1.0.0$/1.0.%d/' apps/app-%05d.yaml && "
			"git -c user.name=b -c user.email=b@b commit -qam bump && "
			"git push -q origin main",
			dir, i + 1, i * 7);
		if (system(cmd) != 0)
			die("push", &err);
		free(cmd);
		now += 20;
		t0 = gc_bench_now_ms();
		c0 = cpu_s(RUSAGE_THREAD);
		if (gc_loop_tick(loop, &res, now, &err) < 0)
			die("bump tick", &err);
		bump[i] = gc_bench_now_ms() - t0;
		bump_cpu[i] = 1000 * (cpu_s(RUSAGE_THREAD) - c0);
		if (!res.committed || res.canaries_changed != 1) {
			fprintf(stderr, "committed %d changed %zu\n",
				res.committed, res.canaries_changed);
			die("bump tick did not commit one canary", &err);
		}
		/* a daemon polls between pushes: one idle tick, not timed */
		if (gc_loop_tick(loop, &res, now + 1, &err) < 0)
			die("idle tick", &err);
	}
	git = git_same_change(dir);
	getrusage(RUSAGE_SELF, &ru);
	gc_bench_sort(bump, (size_t)nbump);
	gc_bench_sort(bump_cpu, (size_t)nbump);
	printf("| %d | %.0f | %.2f / %.2f | %.3f | %.1f (min %.1f, max %.1f) "
	       "| %.1f | %.1f | %.2f | %.1f | %.1f | %.1f |\n",
	       n, first, thread_s, process_s, idle, bump[nbump / 2], bump[0],
	       bump[nbump - 1], bump_cpu[nbump / 2], git,
	       git > 0 ? bump[nbump / 2] / git : 0,
	       (double)ru.ru_maxrss / 1024.0, gc_bench_rss_mib(),
	       gc_bench_status_mib("RssAnon"));
	fflush(stdout);
	gc_loop_free(loop);
	sh(gc_xasprintf("rm -rf %s", dir));
	free(tmpl);
	free(remote);
}

int main(int argc, char **argv)
{
	return gc_bench_each_size(
		argc, argv,
		"| canaries | first tick ms | first tick CPU s (main thread / process) | idle tick ms (median) | one-bump tick ms (median of 5) | its CPU ms (main thread, median) | git commit -a && git push of the same change ms (median of 5) | bump / git | peak RSS MiB | RSS at end MiB | of it anonymous MiB |\n"
		"|---|---|---|---|---|---|---|---|---|---|---|\n",
		run);
}
