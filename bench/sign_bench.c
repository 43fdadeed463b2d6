/*
 * sign_bench: what signing commits costs (repo-layout/sshsig.c, --signing-key).
 *
 * Makes keys with ssh-keygen in a temporary directory (ed25519, ECDSA
 * nistp256, RSA 3072 and 4096), then
 *   - sign: for each key, the key file's parse time, and the median and
 *     maximum of ROUNDS signatures of a commit-sized message (~1 KB, the
 *     commit object of a one-canary deploy commit) and of a 100 KB one
 *     (a 1,000-canary first commit's message), in microseconds;
 *   - tick: loop_bench's bump tick at N canaries, on three copies of the
 *     same repository: unsigned, ed25519 and RSA 3072. Each bump is pushed
 *     to all three and the three loops tick in turn (rotating who goes
 *     first), so each signed tick has an unsigned twin measured under the
 *     same load; three runs rotate which copy each kind gets. Printed: the
 *     medians and the median of the differences, of wall-clock time and
 *     of the process's CPU time (steadier on a shared machine).
 * Usage: sign_bench [rounds [N [bumps]]]   (defaults 200, 1000, 30)
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "bench/bench_loop.h"
#include "repo-layout/sshsig.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

static const char *const types[][2] = {
	{ "ed25519", "ed25519" },
	{ "ecdsa-p256", "ecdsa -b 256" },
	{ "rsa-3072", "rsa -b 3072" },
	{ "rsa-4096", "rsa -b 4096" },
};

static void die(const char *what, const gc_error *err)
{
	gc_bench_die("sign_bench", what, err);
}

static double median_us(const gc_sshsig_key *k, const gc_buf *msg,
			size_t rounds, double *max)
{
	double *v = gc_xcalloc(rounds, sizeof(*v)), med;
	gc_error err = GC_ERROR_INIT;
	gc_buf sig = GC_BUF_INIT;

	for (size_t i = 0; i < rounds; i++) {
		double t0 = gc_bench_now_ms();

		gc_buf_clear(&sig);
		if (gc_sshsig_sign(&sig, k, "git", msg->ptr, msg->len, &err) <
		    0)
			die("sign", &err);
		v[i] = (gc_bench_now_ms() - t0) * 1000.0;
	}
	gc_bench_sort(v, rounds);
	med = v[rounds / 2];
	*max = v[rounds - 1];
	gc_buf_release(&sig);
	free(v);
	return med;
}

/* The loops of the tick table: no key, then keys made by main. */
static const char *const loop_keys[] = { NULL, "ed25519", "rsa-3072" };
#define NLOOPS GC_ARRAY_SIZE(loop_keys)
#define MAX_BUMPS 200

static void run_sh(char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "sign_bench: failed: %s\n", cmd);
		exit(1);
	}
	free(cmd);
}

/* CPU time of the process (user and system, every thread), ms: what a
 * tick costs whatever else the machine runs. */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The median of v[0..n), v untouched. */
static double median(const double *v, size_t n)
{
	double *c = gc_xcalloc(n, sizeof(*c)), m;

	memcpy(c, v, n * sizeof(*c));
	gc_bench_sort(c, n);
	m = c[n / 2];
	free(c);
	return m;
}

/* Tick times of each loop kind over all rotations: [kind][rot * bumps + b]. */
static double t[NLOOPS][NLOOPS * MAX_BUMPS], c[NLOOPS][NLOOPS * MAX_BUMPS];
static double first[NLOOPS][NLOOPS];

/*
 * One run on fresh copies of a repository in dir/rot<rot>: slot s (its own
 * remote, its own loop) is of kind (s + rot) % NLOOPS. Whatever a slot
 * costs more than another (the order of pushes, of creation) is spread
 * over the kinds by the three rotations.
 */
static void rotation(const char *top, size_t rot, int n, int bumps)
{
	gc_bench_loop bl[NLOOPS]; /* borrowed by the loops */
	char *dir = gc_xasprintf("%s/rot%zu", top, rot), *remote[NLOOPS];
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	int64_t now = 2000000000;

	gc_bench_loop_repo(dir, n, NULL);
	for (size_t s = 0; s < NLOOPS; s++) {
		const char *k = loop_keys[(s + rot) % NLOOPS];
		char *key = k ? gc_xasprintf("%s/%s", top, k) : NULL;

		remote[s] = gc_xasprintf("%s/remote-%zu.git", dir, s);
		run_sh(gc_xasprintf("cp -r %s/remote.git %s && cd %s/src && "
				    "git remote add r%zu %s",
				    dir, remote[s], dir, s, remote[s]));
		if (key)
			setenv("LOOP_BENCH_SIGNING_KEY", key, 1);
		else
			unsetenv("LOOP_BENCH_SIGNING_KEY");
		first[(s + rot) % NLOOPS][rot] =
			gc_bench_loop_start(&bl[s], "sign_bench", remote[s],
					    now);
		free(key);
	}
	unsetenv("LOOP_BENCH_SIGNING_KEY");
	for (int b = 0; b < bumps; b++) {
		run_sh(gc_xasprintf(
			"cd %s/src && sed -i 's/1.0.0$/1.0.%d/' "
			"apps/app-%05d.yaml && git -c user.name=b "
			"-c user.email=b@b commit -qam bump && "
			"for r in r0 r1 r2; do git push -q $r main; done",
			dir, b + 1, b * 7));
		now += 20;
		for (size_t j = 0; j < NLOOPS; j++) {
			size_t s = ((size_t)b + j) % NLOOPS;
			size_t kind = (s + rot) % NLOOPS, at = rot * MAX_BUMPS;
			double c0 = cpu_ms(), t0 = gc_bench_now_ms();

			if (gc_loop_tick(bl[s].loop, &res, now, &err) < 0)
				die("bump tick", &err);
			t[kind][at + (size_t)b] = gc_bench_now_ms() - t0;
			c[kind][at + (size_t)b] = cpu_ms() - c0;
			if (!res.committed || res.canaries_changed != 1)
				die("bump tick did not commit one canary",
				    &err);
		}
	}
	for (size_t s = 0; s < NLOOPS; s++) {
		gc_loop_free(bl[s].loop);
		free(remote[s]);
	}
	run_sh(gc_xasprintf("rm -rf %s", dir));
	free(dir);
}

/* Pairs kind's values with the unsigned ones of the same bump. */
static double median_diff(double (*v)[NLOOPS * MAX_BUMPS], size_t kind,
			  int bumps)
{
	double *d = gc_xcalloc(NLOOPS * (size_t)bumps, sizeof(*d)), m;
	size_t n = 0;

	for (size_t rot = 0; rot < NLOOPS; rot++)
		for (int b = 0; b < bumps; b++) {
			size_t at = rot * MAX_BUMPS + (size_t)b;

			d[n++] = v[kind][at] - v[0][at];
		}
	m = median(d, n);
	free(d);
	return m;
}

/* The values of kind over all rotations, packed. */
static double median_of(double (*v)[NLOOPS * MAX_BUMPS], size_t kind, int bumps)
{
	double *p = gc_xcalloc(NLOOPS * (size_t)bumps, sizeof(*p)), m;
	size_t n = 0;

	for (size_t rot = 0; rot < NLOOPS; rot++)
		for (int b = 0; b < bumps; b++)
			p[n++] = v[kind][rot * MAX_BUMPS + (size_t)b];
	m = median(p, n);
	free(p);
	return m;
}

static void ticks(const char *dir, int n, int bumps)
{
	for (size_t rot = 0; rot < NLOOPS; rot++)
		rotation(dir, rot, n, bumps);
	printf("\n| loop at %d canaries | first tick ms (median of 3) | "
	       "one-bump tick ms (median of %d) | minus its unsigned twin "
	       "(median) | CPU ms (median) | CPU minus its twin (median) |\n"
	       "|---|---|---|---|---|---|\n",
	       n, 3 * bumps);
	for (size_t k = 0; k < NLOOPS; k++)
		printf("| %s | %.0f | %.1f | %+.2f | %.2f | %+.3f |\n",
		       loop_keys[k] ? loop_keys[k] : "unsigned",
		       median(first[k], NLOOPS), median_of(t, k, bumps),
		       median_diff(t, k, bumps), median_of(c, k, bumps),
		       median_diff(c, k, bumps));
}

int main(int argc, char **argv)
{
	size_t rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
	int n = argc > 2 ? atoi(argv[2]) : 1000;
	int bumps = argc > 3 ? atoi(argv[3]) : 30;
	char tmpl[] = "/tmp/sign_bench.XXXXXX";
	char *dir = mkdtemp(tmpl);
	gc_buf small = GC_BUF_INIT, big = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	gc_log_set_level(GC_LOG_ERROR);
	if (!dir || !rounds || n < 1 || bumps < 1 || bumps > MAX_BUMPS)
		return 1;
	gc_buf_adds(&small, "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
			    "parent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
			    "author gitcanary <gitcanary@localhost> "
			    "1700000100 +0000\n"
			    "committer gitcanary <gitcanary@localhost> "
			    "1700000100 +0000\n\n");
	while (small.len < 1024)
		gc_buf_adds(&small, "bench/app-00007: Advance app-00007.bench "
				    "canary weight 10\n");
	while (big.len < 100 * 1024)
		gc_buf_adds(&big, small.ptr);
	printf("| key | parse ms | sign 1 KB µs (median, max) | sign 100 KB µs "
	       "(median, max) |\n|---|---|---|---|\n");
	for (size_t i = 0; i < GC_ARRAY_SIZE(types); i++) {
		char *cmd = gc_xasprintf("ssh-keygen -q -t %s -N '' -f %s/%s",
					 types[i][1], dir, types[i][0]);
		char *path = gc_xasprintf("%s/%s", dir, types[i][0]);
		gc_buf data = GC_BUF_INIT;
		gc_sshsig_key *k = NULL;
		double t0, parse, m1, x1, m2, x2;

		if (system(cmd) != 0 ||
		    gc_buf_read_file(&data, path, 1 << 16, &err) < 0)
			die("ssh-keygen", &err);
		t0 = gc_bench_now_ms();
		if (gc_sshsig_key_parse(&k, data.ptr, data.len, &err) < 0)
			die("parse", &err);
		parse = gc_bench_now_ms() - t0;
		m1 = median_us(k, &small, rounds, &x1);
		m2 = median_us(k, &big, rounds, &x2);
		printf("| %s | %.2f | %.0f (%.0f) | %.0f (%.0f) |\n",
		       types[i][0], parse, m1, x1, m2, x2);
		fflush(stdout);
		gc_sshsig_key_free(k);
		gc_buf_release(&data);
		free(path);
		free(cmd);
	}
	gc_buf_release(&small);
	gc_buf_release(&big);
	ticks(dir, n, bumps);
	run_sh(gc_xasprintf("rm -rf %s", dir));
	return 0;
}
