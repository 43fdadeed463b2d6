#include "bench/bench_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "util/alloc.h"
#include "util/buf.h"

static void sh(char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: failed: %s\n", cmd);
		exit(1);
	}
	free(cmd);
}

/* app, namespace, app, interval, maxWeight, app, namespace, app, app,
 * ports */
static const char app_fmt[] =
	"apiVersion: flagger.app/v1beta1\n"
	"kind: Canary\n"
	"metadata:\n  name: app-%05d\n  namespace: %s\n"
	"spec:\n"
	"  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
	"    name: app-%05d\n"
	"  service:\n    port: 9898\n"
	"  analysis:\n    interval: %s\n    threshold: 5\n    maxWeight: %d\n"
	"    stepWeight: 10\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n  name: app-%05d\n  namespace: %s\n"
	"spec:\n  replicas: 2\n"
	"  selector:\n    matchLabels:\n      app: app-%05d\n"
	"  template:\n    metadata:\n      labels:\n        app: app-%05d\n"
	"    spec:\n      containers:\n      - name: app\n"
	"        image: example/app:1.0.0\n%s";

void gc_bench_loop_repo(const char *dir, int n, const gc_bench_repo_opts *o)
{
	static const gc_bench_repo_opts loop_repo;
	const char *interval, *ports;
	gc_buf path = GC_BUF_INIT, data = GC_BUF_INIT;
	char ns[16];
	gc_error err = GC_ERROR_INIT;
	int max_weight;

	if (!o)
		o = &loop_repo;
	interval = o->interval ? o->interval : "60m";
	max_weight = o->max_weight ? o->max_weight : 50;
	ports = o->no_ports ? ""
			    : "        ports:\n        - containerPort: 9898\n";
	sh(gc_xasprintf("mkdir -p %s/src/apps", dir));
	for (int i = 0; i < n; i++) {
		if (o->namespaces)
			snprintf(ns, sizeof(ns), "ns-%03d", i % o->namespaces);
		else
			snprintf(ns, sizeof(ns), "bench");
		gc_buf_clear(&path);
		gc_buf_clear(&data);
		gc_buf_addf(&path, "%s/src/apps/app-%05d.yaml", dir, i);
		gc_buf_addf(&data, app_fmt, i, ns, i, interval, max_weight, i,
			    ns, i, i, ports);
		if (gc_buf_write_file(path.ptr, data.ptr, data.len, &err) < 0) {
			fprintf(stderr, "%s\n", gc_error_msg(&err));
			exit(1);
		}
	}
	sh(gc_xasprintf(
		"cd %s/src && git init -q -b main && git add . && "
		"git -c user.name=b -c user.email=b@b commit -qm apps && "
		"git clone -q --bare . %s/remote.git && "
		"git remote add origin %s/remote.git",
		dir, dir, dir));
	if (o->no_autogc)
		sh(gc_xasprintf(
			"git --git-dir=%s/remote.git config receive.autogc false && "
			"git --git-dir=%s/remote.git config gc.auto 0",
			dir, dir));
	gc_buf_release(&path);
	gc_buf_release(&data);
}

double gc_bench_loop_start(gc_bench_loop *b, const char *prog,
			   const char *remote, int64_t now)
{
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	double t0;

	memset(b, 0, sizeof(*b));
	b->opts.repo = remote;
	b->opts.source_branch = "main";
	b->opts.assume_ready = true;
	b->opts.min_interval_ms = 1000;
	/* commits signed as with --signing-key (docs/benchmarks.md) */
	b->opts.signing_key = getenv("LOOP_BENCH_SIGNING_KEY");
	t0 = gc_bench_now_ms();
	if (gc_loop_new(&b->loop, &b->opts, &err) < 0 ||
	    gc_loop_tick(b->loop, &res, now, &err) < 0)
		gc_bench_die(prog, "first tick", &err);
	if (!res.committed)
		gc_bench_die(prog, "first tick made no commit", &err);
	return gc_bench_now_ms() - t0;
}

double gc_bench_loop_idle(gc_bench_loop *b, const char *prog, int64_t now)
{
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	double idle[50], t0;

	for (int i = 0; i < 50; i++) {
		t0 = gc_bench_now_ms();
		if (gc_loop_tick(b->loop, &res, now, &err) < 0)
			gc_bench_die(prog, "idle tick", &err);
		idle[i] = gc_bench_now_ms() - t0;
		if (!res.skipped)
			gc_bench_die(prog, "idle tick did work", &err);
	}
	gc_bench_sort(idle, 50);
	return idle[25];
}
