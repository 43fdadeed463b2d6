/*
 * sign_bench: what one SSH signature of a commit costs (repo-layout/sshsig.c).
 *
 * Makes keys with ssh-keygen in a temporary directory (ed25519, ECDSA
 * nistp256, RSA 3072 and 4096), then for each signs a commit-sized message
 * (the commit object of a one-canary deploy commit, ~1 KB, and a 100 KB one,
 * a 1,000-canary first commit's message) ROUNDS times and prints the median
 * and maximum in microseconds, plus the key file's parse time once.
 * The tick cost with and without a key is loop_bench with
 * LOOP_BENCH_SIGNING_KEY (docs/benchmarks.md).
 * Usage: sign_bench [rounds]   (default 200)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "repo-layout/sshsig.h"
#include "util/alloc.h"
#include "util/buf.h"

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

int main(int argc, char **argv)
{
	size_t rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
	char tmpl[] = "/tmp/sign_bench.XXXXXX";
	char *dir = mkdtemp(tmpl);
	gc_buf small = GC_BUF_INIT, big = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	if (!dir || !rounds)
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
	{
		char *rm = gc_xasprintf("rm -rf %s", dir);

		if (system(rm) != 0)
			return 1;
		free(rm);
	}
	return 0;
}
