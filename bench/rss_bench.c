/*
 * rss_bench: does a daemon's memory stay flat? One gc_loop against a
 * file:// URL remote (so every tick fetches through libgit2's remote
 * machinery, as with https:// or ssh://) holding a few apps; after the
 * first tick, idle ticks (nothing moved, nothing due: fetch, resolve,
 * compare). Prints VmRSS after 100 ticks and after N (default 10000) and
 * exits 1 when it grew by more than 1 MiB (issue 15: libgit2 1.5 leaked
 * ~120 KB a tick when the remote was looked up on every fetch).
 * Usage: rss_bench [TICKS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "reconciler/loop/loop.h"
#include "util/alloc.h"
#include "util/log.h"

#define APPS 5
#define SETTLE 100
#define MAX_GROWTH_MIB 1.0

static const char app_fmt[] =
	"apiVersion: flagger.app/v1beta1\n"
	"kind: Canary\n"
	"metadata:\n  name: app-%d\n  namespace: bench\n"
	"spec:\n"
	"  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
	"    name: app-%d\n"
	"  service:\n    port: 9898\n"
	"  analysis:\n    interval: 60m\n    threshold: 5\n    maxWeight: 50\n"
	"    stepWeight: 10\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n  name: app-%d\n  namespace: bench\n"
	"spec:\n"
	"  selector:\n    matchLabels:\n      app: app-%d\n"
	"  template:\n    metadata:\n      labels:\n        app: app-%d\n"
	"    spec:\n      containers:\n      - name: app\n"
	"        image: example/app:1.0.0\n";

static void die(const char *what, const gc_error *err)
{
	gc_bench_die("rss_bench", what, err);
}

static void make_repo(const char *dir)
{
	gc_error err = GC_ERROR_INIT;
	char *cmd;

	for (int i = 0; i < APPS; i++) {
		char *path = gc_xasprintf("%s/src/app-%d.yaml", dir, i);
		char *data = gc_xasprintf(app_fmt, i, i, i, i, i);

		if (gc_buf_write_file(path, data, strlen(data), &err) < 0)
			die("write", &err);
		free(path);
		free(data);
	}
	cmd = gc_xasprintf(
		"cd %s/src && git init -q -b main && git add . && "
		"git -c user.name=b -c user.email=b@b commit -qm apps && "
		"git clone -q --bare . %s/remote.git",
		dir, dir);
	if (system(cmd) != 0)
		die("git", &err);
	free(cmd);
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/rss_bench.XXXXXX";
	char *dir = mkdtemp(tmpl), *url, *cache, *cmd;
	long ticks = argc > 1 ? atol(argv[1]) : 10000;
	gc_loop_opts o = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *loop = NULL;
	int64_t now = 2000000000;
	double settled = 0, end, t0 = gc_bench_now_ms();

	if (!dir || ticks <= SETTLE)
		return 2;
	gc_log_set_level(GC_LOG_ERROR);
	make_repo(dir);
	url = gc_xasprintf("file://%s/remote.git", dir);
	cache = gc_xasprintf("%s/cache", dir);
	o.repo = url;
	o.cache_dir = cache;
	o.source_branch = "main";
	o.assume_ready = true;
	o.min_interval_ms = 1000;
	if (gc_loop_new(&loop, &o, &err) < 0)
		die("open", &err);
	for (long i = 1; i <= ticks; i++) {
		if (gc_loop_tick(loop, &res, now + i, &err) < 0)
			die("tick", &err);
		if (i == SETTLE)
			settled = gc_bench_rss_mib();
	}
	end = gc_bench_rss_mib();
	printf("| %d | %.2f | %ld | %.2f | %+.2f | %.2f |\n", SETTLE, settled,
	       ticks, end, end - settled,
	       (gc_bench_now_ms() - t0) / (double)ticks);
	gc_loop_free(loop);
	cmd = gc_xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	free(url);
	free(cache);
	return end - settled > MAX_GROWTH_MIB;
}
