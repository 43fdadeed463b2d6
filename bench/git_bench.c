/*
 * git_bench: what one reconcile tick costs in git at 10,000 files.
 *
 * Builds a deploy tree of NS x APPS files (namespace-nested, like the deploy
 * branch layout), pushes it to a bare file:// remote, then measures
 *   - incremental: one changed file -> gc_git_commit (git_tree_create_updated)
 *     + gc_git_update_branch (no-force push, remote-tracking update)
 *   - baseline: the same one-file change committed by rebuilding the whole
 *     tree from all 10,000 files (what an index/full-tree writer does)
 * Usage: git_bench [files] [rounds]   (defaults 10000 and 20)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repo-layout/git.h"
#include "bench/bench.h"
#include "util/alloc.h"

static void die(const char *what, const gc_error *err)
{
	gc_bench_die("git_bench", what, err);
}

static void report(const char *what, double *v, size_t n)
{
	double sum = 0;

	gc_bench_sort(v, n);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	printf("| %s | %zu | %.1f | %.1f | %.1f |\n", what, n, v[n / 2],
	       sum / (double)n, v[n - 1]);
}

int main(int argc, char **argv)
{
	size_t files = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	size_t rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 20;
	size_t ns = files >= 100 ? 100 : 1, per = files / ns;
	char dir[] = "/tmp/gc-bench-XXXXXX";
	gc_git_update *all = gc_xcalloc(files, sizeof(*all));
	char **owned = gc_xcalloc(2 * files, sizeof(*owned)); /* paths, data */
	double *inc = gc_xcalloc(rounds, sizeof(double));
	double *cmt = gc_xcalloc(rounds, sizeof(double));
	double *full = gc_xcalloc(rounds, sizeof(double));
	gc_git_open_opts opts = { NULL, NULL, NULL, false, NULL };
	gc_error err = GC_ERROR_INIT;
	char head[GC_OID_HEX], next[GC_OID_HEX];
	char *url, *cmd, *cache;
	gc_git *g = NULL;
	double t;

	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	cmd = gc_xasprintf("git init -q --bare -b main '%s/remote.git'", dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	url = gc_xasprintf("file://%s/remote.git", dir);
	cache = gc_xasprintf("%s/cache", dir);
	opts.cache_dir = cache;
	if (gc_git_open(&g, url, &opts, &err) < 0)
		die("open", &err);
	for (size_t i = 0; i < files; i++) {
		owned[2 * i] =
			gc_xasprintf("ns-%03zu/app-%04zu/deployment.yaml",
				     i / per, i % per);
		owned[2 * i + 1] = gc_xasprintf("kind: Deployment\nmetadata:\n"
						"  name: app-%zu\nspec:\n"
						"  replicas: 1\n",
						i);
		all[i].path = owned[2 * i];
		all[i].data = owned[2 * i + 1];
		all[i].len = strlen(all[i].data);
	}

	t = gc_bench_now_ms();
	if (gc_git_commit(head, g, "", all, files, NULL, NULL, "initial",
			  &err) < 0)
		die("initial commit", &err);
	printf("initial tree of %zu files: commit %.0f ms", files,
	       gc_bench_now_ms() - t);
	t = gc_bench_now_ms();
	if (gc_git_update_branch(g, "main", "", head, &err) < 0)
		die("first push", &err);
	printf(", first push %.0f ms\n\n", gc_bench_now_ms() - t);

	for (size_t r = 0; r < rounds; r++) {
		char data[64];
		gc_git_update up = { 0 };
		size_t k = (r * 7919) % files;

		snprintf(data, sizeof(data), "replicas: %zu\n", r + 2);
		up.path = all[k].path;
		up.data = data;
		up.len = strlen(data);

		t = gc_bench_now_ms();
		if (gc_git_commit(next, g, head, &up, 1, NULL, NULL, "bump",
				  &err) < 0)
			die("commit", &err);
		cmt[r] = gc_bench_now_ms() - t;
		if (gc_git_update_branch(g, "main", head, next, &err) < 0)
			die("push", &err);
		inc[r] = gc_bench_now_ms() - t;
		memcpy(head, next, GC_OID_HEX);

		/* baseline: rebuild the whole tree from every file */
		t = gc_bench_now_ms();
		if (gc_git_commit(next, g, "", all, files, NULL, NULL, "full",
				  &err) < 0)
			die("full commit", &err);
		full[r] = gc_bench_now_ms() - t;
	}
	printf("| operation (%zu files, %zu namespaces) | runs | median ms | mean ms | max ms |\n",
	       files, ns);
	printf("|---|---|---|---|---|\n");
	report("one-file commit (git_tree_create_updated)", cmt, rounds);
	report("one-file commit + no-force push to file:// remote", inc,
	       rounds);
	report("baseline: full-tree build + commit", full, rounds);

	gc_git_free(g);
	cmd = gc_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "git_bench: could not remove %s\n", dir);
	free(cmd);
	for (size_t i = 0; i < 2 * files; i++)
		free(owned[i]);
	free(owned);
	free(all);
	free(inc);
	free(cmt);
	free(full);
	free(url);
	free(cache);
	return 0;
}
