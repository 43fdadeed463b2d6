#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "httpd.h"
#include "prometheus.h"
#include "reconciler/loop/loop.h"
#include "reconciler/service/metrics.h"
#include "util/alloc.h"
#include "util/log.h"

/*
 * The series of /metrics through releases, in process: a gc_loop ticks
 * with fake time against a bare remote made from examples/podinfo, its
 * metric checks ask a real Prometheus, which scrapes the test's series,
 * and every step is read back through gc_metrics_write, what /metrics
 * serves.
 */

#define GIT "git -c user.name=Dev -c user.email=dev@example.com"
#define T0 2000000000

/* podinfo's Canary: two inline metric checks, threshold 2, steps of 10 */
static const char canary_yaml[] =
	"apiVersion: flagger.app/v1beta1\n"
	"kind: Canary\n"
	"metadata:\n  name: podinfo\n  namespace: test\n"
	"spec:\n"
	"  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
	"    name: podinfo\n"
	"  progressDeadlineSeconds: 60\n"
	"  autoscalerRef:\n    apiVersion: autoscaling/v2beta2\n"
	"    kind: HorizontalPodAutoscaler\n    name: podinfo\n"
	"  service:\n    port: 9898\n    targetPort: 9898\n"
	"  analysis:\n    interval: 1s\n    threshold: 2\n    maxWeight: 50\n"
	"    stepWeight: 10\n"
	"%s";

static const char metrics_yaml[] = "    metrics:\n"
				   "    - name: error-rate\n"
				   "      query: sum(gc_test_errors)\n"
				   "      thresholdRange:\n        max: 5\n"
				   "      interval: 1m\n"
				   "    - name: latency\n"
				   "      query: max(gc_test_latency)\n"
				   "      thresholdRange:\n        max: 1\n"
				   "      interval: 1m\n";

/* what the test's exporter serves, scraped by Prometheus */
static pthread_mutex_t series_lock = PTHREAD_MUTEX_INITIALIZER;
static int errors_now = 1;

static void exporter(const gc_httpd_request *req, gc_httpd_response *resp,
		     void *payload)
{
	(void)req;
	(void)payload;
	resp->content_type = "text/plain; version=0.0.4";
	pthread_mutex_lock(&series_lock);
	gc_buf_addf(&resp->body, "gc_test_errors %d\ngc_test_latency 0.25\n",
		    errors_now);
	pthread_mutex_unlock(&series_lock);
}

typedef struct env {
	char *dir, *remote;
	gc_httpd *exporter;
	gc_test_prom *prom;
	gc_loop_opts opts;
	gc_loop *loop;
	gc_buf out;
	int64_t now;
} env;

static void sh_ok(env *e, const char *cmd)
{
	int rc = gc_test_sh(&e->out, NULL, "cd '%s' && { %s; } 2>&1", e->dir,
			    cmd);

	ck_assert_msg(rc == 0, "%s: exit %d\n%s", cmd, rc, e->out.ptr);
}

static void write_canary(env *e, bool with_metrics)
{
	char *path = gc_xasprintf("%s/src/canary.yaml", e->dir);
	char *text =
		gc_xasprintf(canary_yaml, with_metrics ? metrics_yaml : "");
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_buf_write_file(path, text, strlen(text), &err), 0);
	free(text);
	free(path);
}

/* A remote and a work clone of examples/podinfo with our Canary. */
static void env_setup(env *e, bool with_metrics)
{
	char *cmd;

	memset(e, 0, sizeof(*e));
	gc_buf_init(&e->out);
	gc_log_set_level(getenv("LM_DEBUG") ? GC_LOG_DEBUG : GC_LOG_ERROR);
	e->dir = gc_test_tmpdir();
	e->now = T0;
	cmd = gc_xasprintf("git init -q --bare -b main remote.git && "
			   "git clone -q remote.git src 2>/dev/null && "
			   "cp -r '%s/examples/podinfo/.' src/",
			   gc_test_source_dir);
	sh_ok(e, cmd);
	free(cmd);
	write_canary(e, with_metrics);
	sh_ok(e, "cd src && git add . && " GIT " commit -qm podinfo && "
		 "git push -q origin main");
	e->remote = gc_xasprintf("%s/remote.git", e->dir);
	e->opts.repo = e->remote;
	e->opts.source_branch = "main";
	e->opts.assume_ready = true;
	e->opts.min_interval_ms = 1000;
}

/* The exporter and a real Prometheus scraping it every second. */
static void env_prometheus(env *e)
{
	char target[64];
	const char *targets[2] = { target, NULL };

	e->exporter = gc_httpd_start(exporter, NULL);
	snprintf(target, sizeof(target), "127.0.0.1:%u",
		 (unsigned)gc_httpd_port(e->exporter));
	e->prom = gc_test_prom_start(targets, "1s", NULL);
	ck_assert_int_eq(gc_test_prom_wait_query(e->prom, "gc_test_errors", 30),
			 0);
	e->opts.metrics_server = gc_test_prom_url(e->prom);
}

static void env_free(env *e)
{
	gc_loop_free(e->loop);
	if (e->prom)
		gc_test_prom_stop(e->prom);
	if (e->exporter)
		gc_httpd_stop(e->exporter);
	gc_test_rmrf(e->dir);
	free(e->dir);
	free(e->remote);
	gc_buf_release(&e->out);
}

static void push_src(env *e, const char *change, const char *subject)
{
	char *cmd = gc_xasprintf("cd src && %s && " GIT
				 " commit -qam '%s' && git push -q origin main",
				 change, subject);

	sh_ok(e, cmd);
	free(cmd);
}

static void bump(env *e, const char *tag)
{
	char *change = gc_xasprintf(
		"sed -i 's|podinfo:[0-9.]*$|podinfo:%s|' deployment.yaml", tag);

	push_src(e, change, tag);
	free(change);
}

static char *last_subject(env *e)
{
	gc_test_sh(&e->out, NULL,
		   "git --git-dir='%s' log -1 --format=%%s deploy", e->remote);
	if (e->out.len && e->out.ptr[e->out.len - 1] == '\n')
		gc_buf_truncate(&e->out, e->out.len - 1);
	return gc_xstrdup(e->out.ptr);
}

/* One tick 2 s after the last; it must commit want (the subject). */
static void tick(env *e, const char *want)
{
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	char *subject;

	e->now += 2;
	ck_assert_msg(gc_loop_tick(e->loop, &res, e->now, &err) == 0, "%s",
		      gc_error_msg(&err));
	ck_assert_msg(res.committed, "no commit, want '%s'", want);
	subject = last_subject(e);
	ck_assert_str_eq(subject, want);
	free(subject);
	gc_error_release(&err);
}

/* The lines of a scrape that start with one of the prefixes; owned. */
static char *series(const char *const *prefixes)
{
	gc_buf all = GC_BUF_INIT, b = GC_BUF_INIT;

	ck_assert_int_eq(gc_metrics_write(&all, NULL), 0);
	for (const char *p = all.ptr; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);

		for (size_t i = 0; prefixes[i]; i++)
			if (!strncmp(p, prefixes[i], strlen(prefixes[i]))) {
				gc_buf_add(&b, p, len);
				break;
			}
		p += len;
	}
	gc_buf_release(&all);
	return gc_buf_detach(&b, NULL);
}

static const char *const stage_series[] = { "flagger_canary_total{",
					    "flagger_canary_status{",
					    "flagger_canary_weight{", NULL };

/* flagger_canary_total, _status and _weight of podinfo as they must be. */
static void assert_stage(int status, int primary, int canary)
{
	char *got = series(stage_series);
	char *want = gc_xasprintf(
		"flagger_canary_total{namespace=\"test\"} 1\n"
		"flagger_canary_status{name=\"podinfo\",namespace=\"test\"} %d\n"
		"flagger_canary_weight{namespace=\"test\",workload=\"podinfo-primary\"} %d\n"
		"flagger_canary_weight{namespace=\"test\",workload=\"podinfo\"} %d\n",
		status, primary, canary);

	ck_assert_str_eq(got, want);
	free(want);
	free(got);
}

static void assert_analysis(int errors)
{
	static const char *const p[] = { "flagger_canary_metric_analysis{",
					 NULL };
	char *got = series(p);
	char *want = gc_xasprintf(
		"flagger_canary_metric_analysis{metric=\"error-rate\",name=\"podinfo\",namespace=\"test\"} %d\n"
		"flagger_canary_metric_analysis{metric=\"latency\",name=\"podinfo\",namespace=\"test\"} 0.25\n",
		errors);

	ck_assert_str_eq(got, want);
	free(want);
	free(got);
}

static void assert_no_analysis(void)
{
	static const char *const p[] = { "flagger_canary_metric_analysis",
					 NULL };
	char *got = series(p);

	ck_assert_str_eq(got, "");
	free(got);
}

static void set_errors(env *e, int n)
{
	char *q = gc_xasprintf("gc_test_errors == %d", n);

	pthread_mutex_lock(&series_lock);
	errors_now = n;
	pthread_mutex_unlock(&series_lock);
	ck_assert_int_eq(gc_test_prom_wait_query(e->prom, q, 30), 0);
	free(q);
}

/* The value of one series line (the whole line's prefix), or -1. */
static long long value_of(const char *prefix)
{
	const char *const p[] = { prefix, NULL };
	char *got = series(p);
	long long v = *got ? atoll(strrchr(got, ' ') + 1) : -1;

	free(got);
	return v;
}

START_TEST(test_loop_metrics__release_and_rollback)
{
	env e;
	gc_error err = GC_ERROR_INIT;
	static const char *const ends[] = { "flagger_canary_successes_total{",
					    "flagger_canary_failures_total{",
					    NULL };
	char *got, subject[64];
	long long ticks0;

	env_setup(&e, true);
	env_prometheus(&e);
	ck_assert_int_eq(gc_loop_new(&e.loop, &e.opts, &err), 0);
	ticks0 = value_of("gitcanary_ticks_total{result=\"committed\"}");
	tick(&e, "Initialization done! podinfo.test");
	assert_stage(1, 100, 0);
	bump(&e, "3.1.1");
	tick(&e, "New revision detected! Scaling up podinfo.test");
	assert_stage(0, 100, 0);
	for (int w = 10; w <= 50; w += 10) {
		snprintf(subject, sizeof(subject),
			 "Advance podinfo.test canary weight %d", w);
		tick(&e, subject);
		assert_stage(0, 100 - w, w);
		/* the first step runs no checks (Flagger's "Starting canary
		 * analysis" tick); each later one ran those that let it on */
		if (w > 10)
			assert_analysis(1);
		else
			assert_no_analysis();
	}
	tick(&e, "Copying podinfo.test template spec to podinfo-primary.test");
	assert_stage(1, 50, 50); /* Promoting */
	tick(&e, "Routing all traffic to primary");
	assert_stage(1, 100, 0); /* Finalising */
	tick(&e, "Promotion completed! Scaling down podinfo.test");
	assert_stage(1, 100, 0); /* Succeeded */
	got = series(ends);
	ck_assert_str_eq(
		got,
		"flagger_canary_successes_total{analysis_status=\"completed\",deployment_strategy=\"canary\",name=\"podinfo\",namespace=\"test\"} 1\n");
	free(got);
	/* the Progressing ticks ran the analysis: 0 -> 10 ... 50 -> promote */
	ck_assert_int_eq(
		value_of(
			"flagger_canary_duration_seconds_count{name=\"podinfo\",namespace=\"test\"}"),
		6);
	ck_assert_int_eq(
		value_of("gitcanary_ticks_total{result=\"committed\"}") -
			ticks0,
		10);

	/* the next release fails its checks: rolled back */
	bump(&e, "3.1.2");
	tick(&e, "New revision detected! Scaling up podinfo.test");
	tick(&e, "Advance podinfo.test canary weight 10");
	assert_stage(0, 90, 10);
	set_errors(&e, 10);
	tick(&e, "Halt podinfo.test advancement error-rate 10.00 > 5");
	assert_analysis(10);
	assert_stage(0, 90, 10);
	tick(&e, "Halt podinfo.test advancement error-rate 10.00 > 5");
	tick(&e, "Canary failed! Scaling down podinfo.test");
	assert_stage(2, 100, 0);
	assert_analysis(10);
	got = series(ends);
	ck_assert_str_eq(
		got,
		"flagger_canary_successes_total{analysis_status=\"completed\",deployment_strategy=\"canary\",name=\"podinfo\",namespace=\"test\"} 1\n"
		"flagger_canary_failures_total{analysis_status=\"completed\",deployment_strategy=\"canary\",name=\"podinfo\",namespace=\"test\"} 1\n");
	free(got);
	ck_assert_int_ge(
		value_of("gitcanary_metric_checks_total{result=\"fail\"}"), 2);
	env_free(&e);
}
END_TEST

/*
 * A restarted gitcanary: earlier processes (the gitcanary binary) took the
 * release to weight 20; the first tick of a new loop fills the series
 * from the deploy branch without committing anything. A canary removed
 * from the source takes its series with it.
 */
START_TEST(test_loop_metrics__restart_fills_series_from_the_deploy_branch)
{
	env e;
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	char *cmd;

	env_setup(&e, false);
	cmd = gc_xasprintf(
		"for i in 1 2 3 4; do "
		"[ $i = 2 ] && { cd src && sed -i "
		"'s|podinfo:[0-9.]*$|podinfo:3.1.1|' deployment.yaml && " GIT
		" commit -qam bump && git push -q origin main && cd ..; }; "
		"'%s' reconcile --once --repo remote.git --assume-ready "
		"--min-interval 1s || exit 1; sleep 1.1; done",
		gc_test_binary);
	sh_ok(&e, cmd);
	free(cmd);
	cmd = last_subject(&e);
	ck_assert_str_eq(cmd, "Advance podinfo.test canary weight 20");
	free(cmd);
	ck_assert_int_eq(gc_loop_new(&e.loop, &e.opts, &err), 0);
	/* before the last tick's interval ended: nothing is due */
	ck_assert_int_eq(gc_loop_tick(e.loop, &res, (int64_t)time(NULL) - 5,
				      &err),
			 0);
	ck_assert(!res.committed);
	assert_stage(0, 80, 20);

	/* the canary leaves the source: its series go */
	push_src(&e, "git rm -q canary.yaml", "no canary");
	ck_assert_int_eq(gc_loop_tick(e.loop, &res, (int64_t)time(NULL), &err),
			 0);
	ck_assert(res.committed);
	cmd = series(stage_series);
	ck_assert_str_eq(cmd, "");
	free(cmd);
	env_free(&e);
}
END_TEST

static Suite *gc_suite_loop_metrics(void)
{
	Suite *s = suite_create("loop_metrics");
	TCase *tc = tcase_create("loop_metrics");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_loop_metrics__release_and_rollback);
	tcase_add_test(
		tc,
		test_loop_metrics__restart_fills_series_from_the_deploy_branch);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_loop_metrics)
