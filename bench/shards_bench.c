/*
 * shards_bench: what shards (--shard I/N) buy and cost on one deploy
 * branch.
 *
 * For each N (default 1000 and 10000) a child process builds a bare
 * repository with N apps in 100 namespaces (one file per app: a Canary
 * without checks, interval 60s, maxWeight 20, stepWeight 10, and its
 * Deployment) and lets one loop initialize them all (not timed). Then for
 * S = 1, 2 and 4 shards, from that same deploy commit: S loops (--shard
 * i/S, each its own handle on the repository) make their first tick (not
 * timed); K = N/10 apps, spread over every namespace, get a new image in
 * one push; and rounds follow, one a minute of fake time, in which the S
 * loops tick at once in S threads, until a round changes nothing. It
 * prints, per S:
 *   - first stage ms: the round that starts the K releases
 *   - release ms:     every round until the K releases are done
 *   - stages/s:       canary stages committed per second of those rounds
 *   - CPU ms:         the CPU time of those ticks, of all shards, and of
 *                     the busiest shard of each round summed (a round's
 *                     length when every shard has a core of its own)
 *   - lost pushes:    pushes lost to another shard's commit (replayed on
 *                     top of it, or recomputed), of all pushes tried (the
 *                     compare-and-swap conflict rate)
 * Usage: shards_bench [N...]  (SHARDS_BENCH_COUNTS="1,2,4"; in $TMPDIR)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_loop.h"
#include "reconciler/loop/loop.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

#define NNS 100
#define MAX_SHARDS 4
#define T0 2000000000

static void sh(char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "shards_bench: failed: %s\n", cmd);
		exit(1);
	}
	free(cmd);
}

static void die(const char *what, const gc_error *err)
{
	gc_bench_die("shards_bench", what, err);
}

typedef struct shard {
	gc_loop_opts opts;
	gc_loop *loop;
	int64_t now;
	int rc;
	gc_tick_result res;
	gc_error err;
	double cpu_ms; /* the tick's CPU time (its thread's) */
} shard;

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *tick(void *arg)
{
	shard *s = arg;
	double t0 = thread_cpu_ms();

	s->rc = gc_loop_tick(s->loop, &s->res, s->now, &s->err);
	s->cpu_ms = thread_cpu_ms() - t0;
	return NULL;
}

/* CPU time of the rounds: summed over shards, and of the busiest shard
 * of each round (what a round takes when every shard has its own core). */
typedef struct cpu_use {
	double sum, busiest;
} cpu_use;

/* One round at now: every shard ticks at once. Stages committed, and
 * attempts (lost + 1 each) into *attempts. */
static size_t round_at(shard *s, int ns, int64_t now, int *attempts,
		       cpu_use *cpu)
{
	pthread_t th[MAX_SHARDS];
	size_t stages = 0;
	double busiest = 0;

	for (int i = 0; i < ns; i++) {
		s[i].now = now;
		memset(&s[i].err, 0, sizeof(s[i].err));
		if (pthread_create(&th[i], NULL, tick, &s[i]) != 0)
			die("thread", NULL);
	}
	for (int i = 0; i < ns; i++) {
		pthread_join(th[i], NULL);
		if (s[i].rc < 0)
			die("tick", &s[i].err);
		*attempts += s[i].res.attempts + s[i].res.rebases;
		if (s[i].res.committed)
			stages += s[i].res.canaries_changed;
		cpu->sum += s[i].cpu_ms;
		if (s[i].cpu_ms > busiest)
			busiest = s[i].cpu_ms;
	}
	cpu->busiest += busiest;
	return stages;
}

static void run_shards(const char *dir, int n, int ns, const char *d0,
		       const char *s0)
{
	char *remote = gc_xasprintf("%s/remote.git", dir);
	shard s[MAX_SHARDS];
	int attempts = 0, ticks = 0, rounds = 0;
	size_t stages = 0, changed;
	double t0, first = 0, total;
	int64_t now = T0 + 3600;
	cpu_use cpu = { 0, 0 };

	sh(gc_xasprintf("git --git-dir=%s update-ref refs/heads/deploy %s && "
			"git --git-dir=%s update-ref refs/heads/main %s && "
			"cd %s/src && git reset -q --hard %s",
			remote, d0, remote, s0, dir, s0));
	memset(s, 0, sizeof(s));
	for (int i = 0; i < ns; i++) {
		s[i].opts.repo = remote;
		s[i].opts.source_branch = "main";
		s[i].opts.assume_ready = true;
		s[i].opts.min_interval_ms = 1000;
		if (ns > 1) {
			s[i].opts.shard.index = (unsigned)i;
			s[i].opts.shard.count = (unsigned)ns;
		}
		if (gc_loop_new(&s[i].loop, &s[i].opts, &s[i].err) < 0)
			die("loop", &s[i].err);
	}
	round_at(s, ns, now, &attempts, &cpu); /* first passes */
	attempts = 0;
	cpu.sum = cpu.busiest = 0;
	sh(gc_xasprintf(
		"cd %s/src && for i in $(seq 0 10 %d); do "
		"f=apps/app-$(printf %%05d $i).yaml; "
		"sed -i 's/1.0.0$/1.0.1/' $f; done && "
		"git -c user.name=b -c user.email=b@b commit -qam bump && "
		"git push -q origin main",
		dir, n - 1));
	t0 = gc_bench_now_ms();
	do {
		now += 60;
		changed = round_at(s, ns, now, &attempts, &cpu);
		if (getenv("SHARDS_BENCH_DEBUG"))
			fprintf(stderr, "round %d: %zu stages at %.0f ms\n",
				rounds, changed, gc_bench_now_ms() - t0);
		ticks += ns;
		if (!rounds)
			first = gc_bench_now_ms() - t0;
		stages += changed;
		rounds++;
	} while (changed && rounds < 20);
	total = gc_bench_now_ms() - t0;
	printf("| %d | %d | %d | %.0f | %.0f | %zu | %.0f | %.0f | %.0f | %d of %d (%.0f %%) |\n",
	       n, n / 10, ns, first, total, stages,
	       (double)stages / (total / 1e3), cpu.sum, cpu.busiest,
	       attempts - ticks, attempts,
	       100.0 * (attempts - ticks) / (attempts ? attempts : 1));
	fflush(stdout);
	for (int i = 0; i < ns; i++)
		gc_loop_free(s[i].loop);
	free(remote);
}

static void head_of(char out[GC_OID_HEX], const char *remote, const char *ref)
{
	char *cmd = gc_xasprintf("git --git-dir=%s rev-parse %s", remote, ref);
	FILE *p = popen(cmd, "r");

	if (!p || !fgets(out, GC_OID_HEX, p))
		die("rev-parse", NULL);
	pclose(p);
	free(cmd);
}

static void run(int n, const int *counts, int ncounts)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *tmpl = gc_xasprintf("%s/shards_bench.XXXXXX", tmp);
	char *dir = mkdtemp(tmpl), *remote;
	char d0[GC_OID_HEX], s0[GC_OID_HEX];
	/* NNS namespaces, two stages a release; loops write in place */
	const gc_bench_repo_opts repo = { NNS, "60s", 20, true, true };
	gc_loop_opts o = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *loop;

	if (!dir)
		die("mkdtemp", NULL);

	gc_log_set_level(getenv("SHARDS_BENCH_DEBUG") ? GC_LOG_DEBUG
						      : GC_LOG_ERROR);
	gc_bench_loop_repo(dir, n, &repo);
	remote = gc_xasprintf("%s/remote.git", dir);
	o.repo = remote;
	o.source_branch = "main";
	o.assume_ready = true;
	o.min_interval_ms = 1000;
	if (gc_loop_new(&loop, &o, &err) < 0 ||
	    gc_loop_tick(loop, &res, T0, &err) < 0)
		die("first tick", &err);
	gc_loop_free(loop);
	head_of(d0, remote, "deploy");
	head_of(s0, remote, "main");
	for (int i = 0; i < ncounts; i++)
		run_shards(dir, n, counts[i], d0, s0);
	sh(gc_xasprintf("rm -rf %s", dir));
	free(remote);
	free(tmpl);
}

int main(int argc, char **argv)
{
	int sizes[8] = { 1000, 10000 }, nsizes = 2;
	int counts[8] = { 1, 2, 4 }, ncounts = 3;

	if (argc > 1) {
		nsizes = 0;
		for (int i = 1; i < argc && nsizes < 8; i++)
			sizes[nsizes++] = atoi(argv[i]);
	}
	if (getenv("SHARDS_BENCH_COUNTS")) {
		ncounts = 0;
		for (char *p = getenv("SHARDS_BENCH_COUNTS"); *p && ncounts < 8;
		     p += strspn(p, " ,")) {
			counts[ncounts] = (int)strtol(p, &p, 10);
			if (counts[ncounts] < 1 || counts[ncounts] > MAX_SHARDS)
				die("SHARDS_BENCH_COUNTS: 1 to 4", NULL);
			ncounts++;
		}
	}
	printf("| canaries | bumped | shards | first stage ms | release ms | stages | stages/s | CPU ms, all shards | CPU ms, busiest shard per round | lost pushes |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	fflush(stdout);
	for (int i = 0; i < nsizes; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			run(sizes[i], counts, ncounts);
			_exit(0);
		}
		waitpid(pid, &status, 0);
	}
	return 0;
}
