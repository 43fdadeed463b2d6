#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_version.h"
#include "harness.h"
#include "reconciler/service/metrics.h"
#include "util/alloc.h"

/*
 * The /metrics registry and its exposition, from plain values. Check
 * forks every test, so each starts with an empty registry.
 */

/* What gc_metrics_write writes before the process_* series; owned. */
static char *scrape(void)
{
	gc_buf b = GC_BUF_INIT;
	char *p;

	ck_assert_int_eq(gc_metrics_write(&b, NULL), 0);
	p = strstr(b.ptr, "# HELP process_");
	ck_assert_ptr_nonnull(p);
	gc_buf_truncate(&b, (size_t)(p - b.ptr));
	return gc_buf_detach(&b, NULL);
}

/* The lines of text that start with prefix, in order; owned. */
static char *lines(const char *text, const char *prefix)
{
	gc_buf b = GC_BUF_INIT;
	size_t n = strlen(prefix);

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (!strncmp(p, prefix, n))
			gc_buf_add(&b, p, len);
		p += len;
	}
	return gc_buf_detach(&b, NULL);
}

static void canary(gc_metrics_canary *m, const char *id, const char *target,
		   gc_phase phase, int canary_weight)
{
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->namespace = "test";
	m->target = target;
	m->has_stage = true;
	m->phase = phase;
	m->canary_weight = canary_weight;
	m->primary_weight = 100 - canary_weight;
}

static const char want_flagger[] =
	"# HELP flagger_info Information about gitcanary in Flagger's shape: its version and the mesh provider it renders for.\n"
	"# TYPE flagger_info gauge\n"
	"flagger_info{mesh_provider=\"istio\",version=\"" GC_VERSION "\"} 1\n"
	"# HELP flagger_canary_total Canaries in the source, per namespace.\n"
	"# TYPE flagger_canary_total gauge\n"
	"flagger_canary_total{namespace=\"test\"} 2\n"
	"flagger_canary_total{namespace=\"prod\"} 1\n"
	"# HELP flagger_canary_status Last canary analysis result: 0 running (Progressing), 1 successful (any other phase), 2 failed.\n"
	"# TYPE flagger_canary_status gauge\n"
	"flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 0\n"
	"flagger_canary_status{name=\"backend\",namespace=\"test\"} 2\n"
	"# HELP flagger_canary_weight Traffic weight of the primary (workload <target>-primary) and of the canary (workload <target>) as committed.\n"
	"# TYPE flagger_canary_weight gauge\n"
	"flagger_canary_weight{namespace=\"test\",workload=\"podinfo-primary\"} 80\n"
	"flagger_canary_weight{namespace=\"test\",workload=\"podinfo\"} 20\n"
	"flagger_canary_weight{namespace=\"test\",workload=\"backend-primary\"} 100\n"
	"flagger_canary_weight{namespace=\"test\",workload=\"backend\"} 0\n"
	"# HELP flagger_canary_duration_seconds Seconds spent performing canary analysis.\n"
	"# TYPE flagger_canary_duration_seconds histogram\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.005\"} 0\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.01\"} 0\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.025\"} 0\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.05\"} 0\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.1\"} 0\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.25\"} 1\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.5\"} 1\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"1\"} 1\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"2.5\"} 1\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"5\"} 1\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"10\"} 1\n"
	"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"+Inf\"} 1\n"
	"flagger_canary_duration_seconds_sum{name=\"podinfo\",namespace=\"test\"} 0.125\n"
	"flagger_canary_duration_seconds_count{name=\"podinfo\",namespace=\"test\"} 1\n"
	"# HELP flagger_canary_metric_analysis Last canary analysis result per metric.\n"
	"# TYPE flagger_canary_metric_analysis gauge\n"
	"flagger_canary_metric_analysis{metric=\"request-success-rate\",name=\"podinfo\",namespace=\"test\"} 99.5\n"
	"flagger_canary_metric_analysis{metric=\"request-duration\",name=\"podinfo\",namespace=\"test\"} 0.25\n"
	"# HELP flagger_canary_failures_total Releases that failed, since the process started.\n"
	"# TYPE flagger_canary_failures_total counter\n"
	"flagger_canary_failures_total{analysis_status=\"completed\",deployment_strategy=\"blue-green\",name=\"backend\",namespace=\"test\"} 1\n";

static const char want_own[] =
	"# HELP gitcanary_tick_duration_seconds Wall time of a reconcile tick, its retries after lost pushes included.\n"
	"# TYPE gitcanary_tick_duration_seconds histogram\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"0.0005\"} 0\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"0.001\"} 0\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"0.005\"} 0\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"0.01\"} 0\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"0.05\"} 0\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"0.1\"} 0\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"0.5\"} 1\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"1\"} 1\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"5\"} 1\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"10\"} 1\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"30\"} 1\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"60\"} 1\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"300\"} 1\n"
	"gitcanary_tick_duration_seconds_bucket{le=\"+Inf\"} 1\n"
	"gitcanary_tick_duration_seconds_sum 0.5\n"
	"gitcanary_tick_duration_seconds_count 1\n"
	"# HELP gitcanary_ticks_total Ticks by result.\n"
	"# TYPE gitcanary_ticks_total counter\n"
	"gitcanary_ticks_total{result=\"committed\"} 1\n"
	"gitcanary_ticks_total{result=\"unchanged\"} 0\n"
	"gitcanary_ticks_total{result=\"skipped\"} 0\n"
	"gitcanary_ticks_total{result=\"failed\"} 0\n"
	"# HELP gitcanary_push_conflicts_total Pushes to the deploy branch lost to a concurrent writer (compare-and-swap); the tick was run again.\n"
	"# TYPE gitcanary_push_conflicts_total counter\n"
	"gitcanary_push_conflicts_total 1\n"
	"# HELP gitcanary_fetch_failures_total Fetches of the repository that failed.\n"
	"# TYPE gitcanary_fetch_failures_total counter\n"
	"gitcanary_fetch_failures_total 0\n"
	"# HELP gitcanary_deploy_commits_total Commits pushed to the deploy branch.\n"
	"# TYPE gitcanary_deploy_commits_total counter\n"
	"gitcanary_deploy_commits_total 1\n"
	"# HELP gitcanary_metric_checks_total Metric checks (Prometheus queries) by result: pass, fail (the value is out of range or missing), error (the query failed).\n"
	"# TYPE gitcanary_metric_checks_total counter\n"
	"gitcanary_metric_checks_total{result=\"pass\"} 2\n"
	"gitcanary_metric_checks_total{result=\"fail\"} 0\n"
	"gitcanary_metric_checks_total{result=\"error\"} 1\n";

START_TEST(test_metrics__small_registry_exact_text)
{
	gc_metrics_canary v[3];
	char *got, *head;

	canary(&v[0], "test/podinfo", "podinfo", GC_PHASE_PROGRESSING, 20);
	canary(&v[1], "test/backend", "backend", GC_PHASE_FAILED, 0);
	v[1].ended = true;
	v[1].strategy = GC_STRATEGY_BLUE_GREEN;
	canary(&v[2], "prod/api", "api", GC_PHASE_NONE, 0);
	v[2].namespace = "prod";
	v[2].has_stage = false; /* broken before its status was read */
	gc_metrics_canaries(v, 3, false);
	gc_metrics_canary_duration("test", "podinfo", "podinfo", 0.125);
	gc_metrics_canary_analysis("test", "podinfo", "podinfo",
				   "request-success-rate", 99.1);
	gc_metrics_canary_analysis("test", "podinfo", "podinfo",
				   "request-duration", 0.25);
	/* the last value counts */
	gc_metrics_canary_analysis("test", "podinfo", "podinfo",
				   "request-success-rate", 99.5);
	gc_metrics_tick(GC_METRICS_TICK_COMMITTED, 0.5, 2000000000);
	gc_metrics_push_conflict();
	gc_metrics_check(GC_CHECK_METRIC, NULL, true, false);
	gc_metrics_check(GC_CHECK_METRIC, NULL, true, false);
	gc_metrics_check(GC_CHECK_METRIC, NULL, false, true);
	gc_metrics_check(GC_CHECK_WEBHOOK, "pre-rollout", true, false);
	gc_metrics_check(GC_CHECK_WEBHOOK, "", false, false);
	gc_metrics_check(GC_CHECK_ALERT, "slack", false, false);
	gc_metrics_source_problems(2, 1);
	got = scrape();
	head = gc_xstrndup(got, strlen(want_flagger));
	ck_assert_str_eq(head, want_flagger);
	free(head);
	head = gc_xstrndup(got + strlen(want_flagger), strlen(want_own));
	ck_assert_str_eq(head, want_own);
	free(head);
	ck_assert_str_eq(
		got + strlen(want_flagger) + strlen(want_own),
		"# HELP gitcanary_webhooks_total Webhook calls by type and result (pass: status 202 or below, as Flagger accepts).\n"
		"# TYPE gitcanary_webhooks_total counter\n"
		"gitcanary_webhooks_total{result=\"pass\",type=\"confirm-rollout\"} 0\n"
		"gitcanary_webhooks_total{result=\"fail\",type=\"confirm-rollout\"} 0\n"
		"gitcanary_webhooks_total{result=\"pass\",type=\"pre-rollout\"} 1\n"
		"gitcanary_webhooks_total{result=\"fail\",type=\"pre-rollout\"} 0\n"
		"gitcanary_webhooks_total{result=\"pass\",type=\"rollout\"} 0\n"
		"gitcanary_webhooks_total{result=\"fail\",type=\"rollout\"} 1\n"
		"gitcanary_webhooks_total{result=\"pass\",type=\"confirm-traffic-increase\"} 0\n"
		"gitcanary_webhooks_total{result=\"fail\",type=\"confirm-traffic-increase\"} 0\n"
		"gitcanary_webhooks_total{result=\"pass\",type=\"confirm-promotion\"} 0\n"
		"gitcanary_webhooks_total{result=\"fail\",type=\"confirm-promotion\"} 0\n"
		"gitcanary_webhooks_total{result=\"pass\",type=\"post-rollout\"} 0\n"
		"gitcanary_webhooks_total{result=\"fail\",type=\"post-rollout\"} 0\n"
		"gitcanary_webhooks_total{result=\"pass\",type=\"rollback\"} 0\n"
		"gitcanary_webhooks_total{result=\"fail\",type=\"rollback\"} 0\n"
		"gitcanary_webhooks_total{result=\"pass\",type=\"event\"} 0\n"
		"gitcanary_webhooks_total{result=\"fail\",type=\"event\"} 0\n"
		"# HELP gitcanary_alerts_total Alerts sent to alert providers by result.\n"
		"# TYPE gitcanary_alerts_total counter\n"
		"gitcanary_alerts_total{result=\"pass\"} 0\n"
		"gitcanary_alerts_total{result=\"fail\"} 1\n"
		"# HELP gitcanary_source_problems Problems of the source at its last load, by severity.\n"
		"# TYPE gitcanary_source_problems gauge\n"
		"gitcanary_source_problems{severity=\"error\"} 2\n"
		"gitcanary_source_problems{severity=\"warning\"} 1\n"
		"# HELP gitcanary_last_successful_tick_timestamp_seconds When the last tick that did not fail ran, in seconds since the epoch.\n"
		"# TYPE gitcanary_last_successful_tick_timestamp_seconds gauge\n"
		"gitcanary_last_successful_tick_timestamp_seconds 2000000000\n");
	free(got);
}
END_TEST

/* Flagger's SetStatus: Progressing 0, Failed 2, any other phase 1. */
static const struct {
	gc_phase phase;
	const char *want;
} phases[] = {
	{ GC_PHASE_INITIALIZING, "1" },
	{ GC_PHASE_INITIALIZED, "1" },
	{ GC_PHASE_WAITING, "1" },
	{ GC_PHASE_PROGRESSING, "0" },
	{ GC_PHASE_WAITING_PROMOTION, "1" },
	{ GC_PHASE_PROMOTING, "1" },
	{ GC_PHASE_FINALISING, "1" },
	{ GC_PHASE_SUCCEEDED, "1" },
	{ GC_PHASE_FAILED, "2" },
	{ GC_PHASE_TERMINATING, "1" },
};

START_TEST(test_metrics__status_follows_flagger)
{
	gc_metrics_canary m;
	char *got, *status, *want;

	canary(&m, "test/podinfo", "podinfo", phases[_i].phase, 0);
	gc_metrics_canaries(&m, 1, false);
	got = scrape();
	status = lines(got, "flagger_canary_status{");
	want = gc_xasprintf(
		"flagger_canary_status{name=\"podinfo\",namespace=\"test\"} %s\n",
		phases[_i].want);
	ck_assert_str_eq(status, want);
	free(want);
	free(status);
	free(got);
}
END_TEST

START_TEST(test_metrics__label_values_are_escaped)
{
	gc_metrics_canary m;
	char *got, *an;

	canary(&m, "test/podinfo", "podinfo", GC_PHASE_PROGRESSING, 10);
	gc_metrics_canaries(&m, 1, false);
	gc_metrics_canary_analysis("test", "podinfo", "podinfo",
				   "a\\b \"q\"\nnext \xff end", 1.5);
	got = scrape();
	an = lines(got, "flagger_canary_metric_analysis{");
	ck_assert_str_eq(
		an,
		"flagger_canary_metric_analysis{metric=\"a\\\\b \\\"q\\\"\\nnext \xef\xbf\xbd end\",name=\"podinfo\",namespace=\"test\"} 1.5\n");
	free(an);
	free(got);
}
END_TEST

START_TEST(test_metrics__histogram_buckets_sum_count)
{
	static const double obs[] = { 0.005, 0.0051, 3, 11, 0.0001 };
	char *got, *h;

	for (size_t i = 0; i < GC_ARRAY_SIZE(obs); i++)
		gc_metrics_canary_duration("test", "podinfo", "podinfo",
					   obs[i]);
	got = scrape();
	h = lines(got, "flagger_canary_duration_seconds_");
	/* le is inclusive: 0.005 is in le="0.005"; 11 only in +Inf */
	ck_assert_str_eq(
		h,
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.005\"} 2\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.01\"} 3\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.025\"} 3\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.05\"} 3\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.1\"} 3\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.25\"} 3\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"0.5\"} 3\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"1\"} 3\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"2.5\"} 3\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"5\"} 4\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"10\"} 4\n"
		"flagger_canary_duration_seconds_bucket{name=\"podinfo\",namespace=\"test\",le=\"+Inf\"} 5\n"
		"flagger_canary_duration_seconds_sum{name=\"podinfo\",namespace=\"test\"} 14.0102\n"
		"flagger_canary_duration_seconds_count{name=\"podinfo\",namespace=\"test\"} 5\n");
	free(h);
	/* the canary counts from its first observation */
	h = lines(got, "flagger_canary_total{");
	ck_assert_str_eq(h, "flagger_canary_total{namespace=\"test\"} 1\n");
	free(h);
	free(got);
}
END_TEST

START_TEST(test_metrics__removed_canaries_drop_their_series)
{
	gc_metrics_canary v[3];
	char *got, *sel;

	canary(&v[0], "test/a", "a", GC_PHASE_PROGRESSING, 10);
	canary(&v[1], "test/b", "b", GC_PHASE_SUCCEEDED, 0);
	canary(&v[2], "prod/c", "c", GC_PHASE_SUCCEEDED, 0);
	v[2].namespace = "prod";
	gc_metrics_canaries(v, 3, false);
	gc_metrics_canary_analysis("test", "a", "a", "errors", 1);
	gc_metrics_canary_duration("test", "a", "a", 1);
	/* a left the source */
	gc_metrics_canary_remove("test/a");
	gc_metrics_canary_remove("test/nothing");
	got = scrape();
	sel = lines(got, "flagger_canary_");
	ck_assert_str_eq(
		sel,
		"flagger_canary_total{namespace=\"test\"} 1\n"
		"flagger_canary_total{namespace=\"prod\"} 1\n"
		"flagger_canary_status{name=\"b\",namespace=\"test\"} 1\n"
		"flagger_canary_status{name=\"c\",namespace=\"prod\"} 1\n"
		"flagger_canary_weight{namespace=\"test\",workload=\"b-primary\"} 100\n"
		"flagger_canary_weight{namespace=\"test\",workload=\"b\"} 0\n"
		"flagger_canary_weight{namespace=\"prod\",workload=\"c-primary\"} 100\n"
		"flagger_canary_weight{namespace=\"prod\",workload=\"c\"} 0\n");
	free(sel);
	free(got);
	/* a full pass that sees only b: c and its namespace go */
	gc_metrics_canaries(&v[1], 1, true);
	got = scrape();
	sel = lines(got, "flagger_canary_");
	ck_assert_str_eq(
		sel,
		"flagger_canary_total{namespace=\"test\"} 1\n"
		"flagger_canary_status{name=\"b\",namespace=\"test\"} 1\n"
		"flagger_canary_weight{namespace=\"test\",workload=\"b-primary\"} 100\n"
		"flagger_canary_weight{namespace=\"test\",workload=\"b\"} 0\n");
	free(sel);
	free(got);
}
END_TEST

START_TEST(test_metrics__one_target_two_canaries_one_series)
{
	gc_metrics_canary v[2];
	char *got, *sel;

	canary(&v[0], "test/a", "app", GC_PHASE_PROGRESSING, 10);
	canary(&v[1], "test/b", "app", GC_PHASE_FAILED, 0);
	gc_metrics_canaries(v, 2, false);
	got = scrape();
	sel = lines(got, "flagger_canary_status{");
	ck_assert_str_eq(
		sel,
		"flagger_canary_status{name=\"app\",namespace=\"test\"} 0\n");
	free(sel);
	free(got);
	gc_metrics_canary_remove("test/a");
	got = scrape();
	sel = lines(got, "flagger_canary_status{");
	ck_assert_str_eq(
		sel,
		"flagger_canary_status{name=\"app\",namespace=\"test\"} 2\n");
	free(sel);
	free(got);
}
END_TEST

START_TEST(test_metrics__releases_ended_are_counted)
{
	gc_metrics_canary m;
	char *got, *sel;

	canary(&m, "test/podinfo", "podinfo", GC_PHASE_SUCCEEDED, 0);
	m.ended = true;
	gc_metrics_canaries(&m, 1, false);
	m.skip_analysis = true;
	gc_metrics_canaries(&m, 1, false);
	m.strategy = GC_STRATEGY_AB;
	m.skip_analysis = false;
	m.phase = GC_PHASE_FAILED;
	gc_metrics_canaries(&m, 1, false);
	m.ended = false; /* at rest: nothing more */
	gc_metrics_canaries(&m, 1, false);
	got = scrape();
	sel = lines(got, "flagger_canary_");
	ck_assert_str_eq(
		sel,
		"flagger_canary_total{namespace=\"test\"} 1\n"
		"flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 2\n"
		"flagger_canary_weight{namespace=\"test\",workload=\"podinfo-primary\"} 100\n"
		"flagger_canary_weight{namespace=\"test\",workload=\"podinfo\"} 0\n"
		"flagger_canary_successes_total{analysis_status=\"completed\",deployment_strategy=\"canary\",name=\"podinfo\",namespace=\"test\"} 1\n"
		"flagger_canary_successes_total{analysis_status=\"skipped\",deployment_strategy=\"canary\",name=\"podinfo\",namespace=\"test\"} 1\n"
		"flagger_canary_failures_total{analysis_status=\"completed\",deployment_strategy=\"ab-testing\",name=\"podinfo\",namespace=\"test\"} 1\n");
	free(sel);
	free(got);
}
END_TEST

/*
 * promtool (Debian's prometheus package) parses and lints a full scrape:
 * the one lint it reports is about Flagger's own name, kept as it is so
 * dashboards keep working.
 */
START_TEST(test_metrics__promtool_accepts_the_exposition)
{
	gc_metrics_canary v[2];
	gc_buf b = GC_BUF_INIT, out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	char *dir = gc_test_tmpdir(), *path = gc_xasprintf("%s/m", dir);
	int rc;

	canary(&v[0], "test/podinfo", "podinfo", GC_PHASE_PROGRESSING, 10);
	canary(&v[1], "test/backend", "backend", GC_PHASE_FAILED, 0);
	v[1].ended = true;
	gc_metrics_canaries(v, 2, false);
	gc_metrics_canary_duration("test", "podinfo", "podinfo", 0.3);
	gc_metrics_canary_analysis("test", "podinfo", "podinfo",
				   "odd \"name\"\\\n", 0.1);
	gc_metrics_tick(GC_METRICS_TICK_SKIPPED, 0.00001, 2000000000);
	ck_assert_int_eq(gc_metrics_write(&b, NULL), 0);
	ck_assert_ptr_nonnull(strstr(b.ptr, "\nprocess_cpu_seconds_total "));
	ck_assert_ptr_nonnull(
		strstr(b.ptr, "\nprocess_resident_memory_bytes "));
	ck_assert_ptr_nonnull(strstr(b.ptr, "\nprocess_start_time_seconds "));
	ck_assert_int_eq(gc_buf_write_file(path, b.ptr, b.len, &err), 0);
	rc = gc_test_sh(&out, NULL, "promtool check metrics <'%s' 2>&1", path);
	ck_assert_str_eq(
		out.ptr,
		"flagger_canary_total non-counter metrics should not have \"_total\" suffix\n");
	ck_assert_int_eq(rc, 3); /* lint problems, no parse error */
	gc_test_rmrf(dir);
	free(dir);
	free(path);
	gc_buf_release(&b);
	gc_buf_release(&out);
}
END_TEST

/* Scrapes on one thread while the other records (run it under TSan). */
static void *scraper(void *arg)
{
	gc_buf b = GC_BUF_INIT;

	(void)arg;
	for (int i = 0; i < 200; i++) {
		gc_buf_clear(&b);
		gc_metrics_write(&b, NULL);
	}
	gc_buf_release(&b);
	return NULL;
}

START_TEST(test_metrics__scrape_while_the_loop_records)
{
	pthread_t th;
	gc_metrics_canary m;
	char id[32], target[32];
	char *got, *sel;

	ck_assert_int_eq(pthread_create(&th, NULL, scraper, NULL), 0);
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "test/c%d", i % 50);
		snprintf(target, sizeof(target), "c%d", i % 50);
		canary(&m, id, target, GC_PHASE_PROGRESSING, i % 100);
		gc_metrics_canaries(&m, 1, false);
		gc_metrics_canary_duration("test", id + 5, target, 0.01);
		gc_metrics_tick(GC_METRICS_TICK_SKIPPED, 0.00001, i);
		if (i % 7 == 0)
			gc_metrics_canary_remove(id);
	}
	pthread_join(th, NULL);
	got = scrape();
	sel = lines(got, "gitcanary_ticks_total{result=\"skipped\"}");
	ck_assert_str_eq(sel,
			 "gitcanary_ticks_total{result=\"skipped\"} 2000\n");
	free(sel);
	free(got);
}
END_TEST

static Suite *gc_suite_metrics(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, test_metrics__small_registry_exact_text);
	tcase_add_loop_test(tc, test_metrics__status_follows_flagger, 0,
			    (int)GC_ARRAY_SIZE(phases));
	tcase_add_test(tc, test_metrics__label_values_are_escaped);
	tcase_add_test(tc, test_metrics__histogram_buckets_sum_count);
	tcase_add_test(tc, test_metrics__removed_canaries_drop_their_series);
	tcase_add_test(tc, test_metrics__one_target_two_canaries_one_series);
	tcase_add_test(tc, test_metrics__releases_ended_are_counted);
	tcase_add_test(tc, test_metrics__promtool_accepts_the_exposition);
	tcase_add_test(tc, test_metrics__scrape_while_the_loop_records);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_metrics)
