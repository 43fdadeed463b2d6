/*
 * roots_bench: a Flux repository of N apps (default 1000), each an
 * overlay (apps/app-NNNN: its namespace, images: and a patch) over one
 * shared base (a Deployment and its Canary), laid out two ways:
 *   (a) one top kustomization.yaml listing every overlay;
 *   (b) one Flux Kustomization per app (clusters/bench/app-NNNN.yaml).
 * Measured in one run, so the ratios hold on a noisy machine:
 *   - kubectl: `kubectl kustomize` of a checkout of (a), the baseline;
 *   - one:     `kubectl kustomize` of one app's overlay (median of 5);
 *   - cold:    gc_source_load_git of (a) and of (b), as the daemon loads;
 *   - idle:    the loop's tick when nothing moved (median of 50), (a), (b);
 *   - bump:    in (b), the tick after one app's images: bump, up to the
 *              pushed deploy commit (median of 5), and the tick minus a
 *              `kubectl kustomize` of that app's overlay run just before
 *              it (the build the tick runs; median of the 5 differences).
 * Usage: roots_bench [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_loop.h"
#include "reconciler/loop/loop.h"
#include "repo-layout/source.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

static void sh(char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "roots_bench: failed: %s\n", cmd);
		exit(1);
	}
	free(cmd);
}

static void die(const char *what, const gc_error *err)
{
	gc_bench_die("roots_bench", what, err);
}

static void put(const char *dir, const char *path, const char *data)
{
	gc_error err = GC_ERROR_INIT;
	char *full = gc_xasprintf("%s/%s", dir, path);

	if (gc_buf_write_file(full, data, strlen(data), &err) < 0)
		die(full, &err);
	free(full);
}

static const char base_deployment[] =
	"apiVersion: apps/v1\nkind: Deployment\n"
	"metadata:\n  name: app\n"
	"spec:\n  replicas: 2\n"
	"  selector:\n    matchLabels:\n      app: app\n"
	"  template:\n    metadata:\n      labels:\n        app: app\n"
	"    spec:\n      containers:\n      - name: app\n"
	"        image: example/app:1.0.0\n"
	"        ports:\n        - containerPort: 9898\n";

static const char base_canary[] =
	"apiVersion: flagger.app/v1beta1\nkind: Canary\n"
	"metadata:\n  name: app\n"
	"spec:\n"
	"  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
	"    name: app\n"
	"  service:\n    port: 9898\n"
	"  analysis:\n    interval: 60m\n    threshold: 5\n    maxWeight: 50\n"
	"    stepWeight: 10\n";

static const char overlay_fmt[] =
	"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
	"namespace: app-%04d\n"
	"resources:\n- ../base\n"
	"patches:\n- path: patch.yaml\n"
	"images:\n- name: example/app\n  newTag: 1.0.0\n";

static const char patch[] = "apiVersion: apps/v1\nkind: Deployment\n"
			    "metadata:\n  name: app\n"
			    "spec:\n  replicas: 3\n";

static const char flux_fmt[] =
	"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
	"metadata:\n  name: app-%04d\n  namespace: flux-system\n"
	"spec:\n  interval: 10m\n  path: ./apps/app-%04d\n  prune: true\n"
	"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";

/* A bare remote.git and its work clone src/, laid out (a) or (b). */
static void make_repo(const char *dir, int n, bool flux)
{
	gc_buf b = GC_BUF_INIT, path = GC_BUF_INIT;

	sh(gc_xasprintf("mkdir -p %s/src/apps/base %s/src/clusters/bench", dir,
			dir));
	put(dir, "src/apps/base/deployment.yaml", base_deployment);
	put(dir, "src/apps/base/canary.yaml", base_canary);
	put(dir, "src/apps/base/kustomization.yaml",
	    "resources:\n- deployment.yaml\n- canary.yaml\n");
	if (!flux)
		gc_buf_adds(&b, "resources:\n");
	for (int i = 0; i < n; i++) {
		char *kust = gc_xasprintf(overlay_fmt, i);

		gc_buf_clear(&path);
		gc_buf_addf(&path, "%s/src/apps/app-%04d", dir, i);
		sh(gc_xasprintf("mkdir -p %s", path.ptr));
		gc_buf_clear(&path);
		gc_buf_addf(&path, "src/apps/app-%04d/kustomization.yaml", i);
		put(dir, path.ptr, kust);
		gc_buf_clear(&path);
		gc_buf_addf(&path, "src/apps/app-%04d/patch.yaml", i);
		put(dir, path.ptr, patch);
		free(kust);
		if (flux) {
			char *ks = gc_xasprintf(flux_fmt, i, i);

			gc_buf_clear(&path);
			gc_buf_addf(&path, "src/clusters/bench/app-%04d.yaml",
				    i);
			put(dir, path.ptr, ks);
			free(ks);
		} else {
			gc_buf_addf(&b, "- apps/app-%04d\n", i);
		}
	}
	if (!flux)
		put(dir, "src/kustomization.yaml", b.ptr);
	sh(gc_xasprintf(
		"cd %s/src && git init -q -b main && git add . && "
		"git -c user.name=b -c user.email=b@b commit -qm apps && "
		"git clone -q --bare . %s/remote.git && "
		"git remote add origin %s/remote.git",
		dir, dir, dir));
	gc_buf_release(&b);
	gc_buf_release(&path);
}

static double timed_sh(char *cmd)
{
	double t0 = gc_bench_now_ms();

	sh(cmd);
	return gc_bench_now_ms() - t0;
}

/* A cold load of the remote's main, as the daemon's first tick loads. */
static double cold_load(const char *dir, size_t *nobjs)
{
	char *remote = gc_xasprintf("%s/remote.git", dir);
	gc_source_opts opts = { .trees_on_demand = true };
	gc_error err = GC_ERROR_INIT;
	char commit[GC_OID_HEX];
	gc_git *git = NULL;
	gc_index *idx = NULL;
	double t0;

	if (gc_git_open(&git, remote, NULL, &err) < 0 ||
	    gc_git_resolve(commit, git, "main", &err) < 0)
		die("open", &err);
	t0 = gc_bench_now_ms();
	if (gc_source_load_git(&idx, git, commit, &opts, &err) < 0)
		die("load", &err);
	t0 = gc_bench_now_ms() - t0;
	*nobjs = gc_index_count(idx);
	if (gc_problems_errors(gc_index_problems(idx)))
		fprintf(stderr, "roots_bench: %s: %s\n",
			gc_index_problems(idx)->v[0].path,
			gc_index_problems(idx)->v[0].msg);
	gc_index_free(idx);
	gc_git_free(git);
	free(remote);
	return t0;
}

typedef struct loop_times {
	double first, idle, bump, bump_min, bump_max;
	double over; /* median of (bump tick - that app's kubectl kustomize) */
} loop_times;

/* The loop on the remote: first tick, idle ticks, and (bumps) bumps. */
static loop_times run_loop(const char *dir, int nbumps)
{
	char *remote = gc_xasprintf("%s/remote.git", dir);
	gc_bench_loop bl;
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *loop;
	double t0, bump[8], over[8];
	int64_t now = 2000000000;
	loop_times t = { 0 };

	t.first = gc_bench_loop_start(&bl, "roots_bench", remote, now);
	loop = bl.loop;
	t.idle = gc_bench_loop_idle(&bl, "roots_bench", now + 10);
	for (int i = 0; i < nbumps; i++) {
		sh(gc_xasprintf(
			"cd %s/src && sed -i 's/newTag: 1.0.0$/newTag: 1.0.%d/' "
			"apps/app-%04d/kustomization.yaml && "
			"git -c user.name=b -c user.email=b@b commit -qam bump && "
			"git push -q origin main",
			dir, i + 1, i * 7));
		/* the build the tick runs, by hand, just before it */
		over[i] = -timed_sh(gc_xasprintf(
			"kubectl kustomize %s/src/apps/app-%04d >/dev/null",
			dir, i * 7));
		now += 20;
		if (getenv("ROOTS_BENCH_DEBUG"))
			gc_log_set_level(GC_LOG_DEBUG);
		t0 = gc_bench_now_ms();
		if (gc_loop_tick(loop, &res, now, &err) < 0)
			die("bump tick", &err);
		gc_log_set_level(GC_LOG_ERROR);
		bump[i] = gc_bench_now_ms() - t0;
		over[i] += bump[i];
		if (!res.committed || res.canaries_changed != 1) {
			fprintf(stderr, "committed %d changed %zu\n",
				res.committed, res.canaries_changed);
			die("bump tick did not commit one canary", &err);
		}
	}
	if (nbumps) {
		gc_bench_sort(bump, (size_t)nbumps);
		gc_bench_sort(over, (size_t)nbumps);
		t.over = over[nbumps / 2];
		t.bump = bump[nbumps / 2];
		t.bump_min = bump[0];
		t.bump_max = bump[nbumps - 1];
	}
	gc_loop_free(loop);
	free(remote);
	return t;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	char ta[] = "/tmp/roots_bench_a.XXXXXX",
	     tb[] = "/tmp/roots_bench_b.XXXXXX";
	char *a = mkdtemp(ta), *b = mkdtemp(tb);
	double kubectl, one[5], cold_a, cold_b;
	size_t na, nb;
	loop_times la, lb;

	gc_log_set_level(GC_LOG_ERROR);
	make_repo(a, n, false);
	make_repo(b, n, true);
	kubectl = timed_sh(
		gc_xasprintf("kubectl kustomize %s/src >/dev/null", a));
	for (int i = 0; i < 5; i++)
		one[i] = timed_sh(gc_xasprintf(
			"kubectl kustomize %s/src/apps/app-0007 >/dev/null",
			a));
	gc_bench_sort(one, 5);
	cold_a = cold_load(a, &na);
	cold_b = cold_load(b, &nb);
	la = run_loop(a, 0);
	lb = run_loop(b, 5);
	printf("| apps | kubectl kustomize (a) ms | one app's kustomize ms | "
	       "cold load (a) ms | cold load (b) ms | objects (a), (b) | "
	       "idle tick (a), (b) ms | first tick (a), (b) ms | "
	       "bump tick (b) ms (median of 5) | bump tick - its kubectl ms |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	printf("| %d | %.0f | %.0f | %.0f (%.2f×) | %.0f (%.2f×) | %zu, %zu | "
	       "%.3f, %.3f | %.0f, %.0f | %.0f (min %.0f, max %.0f) | %.0f |\n",
	       n, kubectl, one[2], cold_a, cold_a / kubectl, cold_b,
	       cold_b / kubectl, na, nb, la.idle, lb.idle, la.first, lb.first,
	       lb.bump, lb.bump_min, lb.bump_max, lb.over);
	sh(gc_xasprintf("rm -rf %s %s", a, b));
	return 0;
}
