#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reconciler/release/machine.h"
#include "status_same.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"

/*
 * The state machine driven with plain values: a canary, a status, the
 * routing and readiness the test sets, and check results the test answers
 * (every check passes unless a rule names it). Each sim_tick runs one whole
 * tick (replaying it until DONE), applies the output and advances the clock
 * by the interval.
 */
typedef struct rule {
	const char *name;
	const char *message;
} rule;

typedef struct sim {
	cJSON *doc;
	gc_canary_spec spec;
	gc_status st;
	gc_routing routing;
	gc_readiness primary, canary;
	int canary_replicas, primary_replicas, hpa_min;
	int64_t now;
	const char *revision;
	cJSON *configs;          /* owned; in.configs */
	cJSON *promoted_configs; /* owned; in.promoted_configs */
	rule fail[8];
	size_t nfail;
	gc_buf ev;     /* "N|W message\n" per event of the last tick */
	gc_buf calls;  /* "<phase> <name>\n" per check run in the last tick */
	gc_buf alerts; /* "<severity>[+] text\n" per alert of the last tick;
			* + = with metadata */
	bool promoted, changed;
	int ticks;
} sim;

#define T0 1795708198 /* 2026-11-26T15:49:58Z */

static char *canary_json(const char *ns, const char *spec, const char *analysis)
{
	return gc_xasprintf(
		"{\"apiVersion\":\"flagger.app/v1beta1\",\"kind\":\"Canary\","
		"\"metadata\":{\"name\":\"podinfo\",\"namespace\":\"%s\"},"
		"\"spec\":{\"targetRef\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		"\"name\":\"podinfo\"},\"service\":{\"port\":9898}%s,"
		"\"analysis\":{%s}}}",
		ns, spec, analysis);
}

static void sim_init_doc(sim *s, cJSON *doc, const char *ns)
{
	gc_error err = GC_ERROR_INIT;
	gc_canary_spec_opts opts = { 0 };

	memset(s, 0, sizeof(*s));
	s->doc = doc;
	ck_assert_ptr_nonnull(s->doc);
	if (gc_canary_spec_parse(&s->spec, s->doc, ns, &opts, &err) < 0)
		ck_abort_msg("spec: %s", gc_error_msg(&err));
	gc_status_init(&s->st);
	s->routing.primary = 100;
	s->primary.state = s->canary.state = GC_READY;
	s->primary_replicas = 1;
	s->now = T0;
	s->revision = "rev1";
	gc_buf_init(&s->ev);
	gc_buf_init(&s->calls);
	gc_buf_init(&s->alerts);
}

static void sim_init(sim *s, const char *spec, const char *analysis)
{
	char *json = canary_json("default", spec, analysis);

	sim_init_doc(s, cJSON_Parse(json), "default");
	free(json);
}

/* A canary at rest after a promotion of rev0, the target now at rev1. */
static void sim_released(sim *s)
{
	s->st.phase = GC_PHASE_INITIALIZED;
	strcpy(s->st.last_applied_spec, "rev0");
	strcpy(s->st.last_promoted_spec, "rev0");
	gc_status_update_condition(&s->st, "Deployment", T0 - 3600);
	s->st.last_transition_time = T0 - 3600;
}

/* A run of rev1 in progress at the given routing. */
static void sim_running(sim *s, gc_phase phase, int primary, int canary)
{
	sim_released(s);
	s->st.phase = phase;
	strcpy(s->st.last_applied_spec, "rev1");
	s->st.canary_weight = canary;
	s->routing.primary = primary;
	s->routing.canary = canary;
	s->canary_replicas = 2;
}

static void sim_free(sim *s)
{
	gc_canary_spec_release(&s->spec);
	gc_status_release(&s->st);
	cJSON_Delete(s->doc);
	cJSON_Delete(s->configs);
	cJSON_Delete(s->promoted_configs);
	gc_buf_release(&s->ev);
	gc_buf_release(&s->calls);
	gc_buf_release(&s->alerts);
}

static void sim_fail(sim *s, const char *name, const char *message)
{
	ck_assert_uint_lt(s->nfail, GC_ARRAY_SIZE(s->fail));
	s->fail[s->nfail].name = name;
	s->fail[s->nfail++].message = message;
}

static void sim_pass(sim *s, const char *name)
{
	for (size_t i = 0; i < s->nfail; i++) {
		if (!strcmp(s->fail[i].name, name)) {
			s->fail[i] = s->fail[--s->nfail];
			return;
		}
	}
}

static void answer(sim *s, gc_check_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		gc_check *c = &b->v[i];
		const char *name =
			cJSON_GetObjectItem(c->spec, "name")->valuestring;

		c->status = GC_CHECK_PASS;
		for (size_t j = 0; j < s->nfail; j++) {
			if (!strcmp(s->fail[j].name, name)) {
				c->status = GC_CHECK_FAIL;
				c->message = gc_xstrdup(s->fail[j].message);
			}
		}
		gc_buf_addf(&s->calls, "%s %s\n", c->phase, name);
		if ((b->stop_on_fail && c->status == GC_CHECK_FAIL) ||
		    (b->stop_on_pass && c->status == GC_CHECK_PASS))
			break;
	}
}

static void sim_tick(sim *s)
{
	gc_machine_in in;
	gc_machine_out out;
	gc_check_batch done[GC_MACHINE_MAX_BATCHES];
	size_t n = 0;

	memset(&in, 0, sizeof(in));
	in.spec = &s->spec;
	in.revision = s->revision;
	in.configs = s->configs;
	in.promoted_configs = s->promoted_configs;
	in.status = &s->st;
	in.routing = s->routing;
	in.primary = s->primary;
	in.canary = s->canary;
	in.canary_replicas = s->canary_replicas;
	in.primary_replicas = s->primary_replicas;
	in.hpa_min_replicas = s->hpa_min;
	in.now = s->now;
	gc_buf_clear(&s->calls);
	gc_machine_out_init(&out);
	while (gc_machine_step(&out, &in, done, n) == GC_MACHINE_NEED) {
		ck_assert_uint_lt(n, GC_MACHINE_MAX_BATCHES);
		done[n] = out.need;
		memset(&out.need, 0, sizeof(out.need));
		answer(s, &done[n]);
		n++;
	}
	gc_buf_clear(&s->ev);
	gc_buf_clear(&s->alerts);
	for (size_t i = 0; i < out.nevents; i++) {
		static const char *const sev[] = { "", "info", "warn",
						   "error" };
		const gc_event *e = &out.events[i];

		gc_buf_addf(&s->ev, "%s %s\n",
			    e->type == GC_EVENT_WARNING ? "W" : "N",
			    e->message);
		if (e->alert != GC_ALERT_NONE)
			gc_buf_addf(&s->alerts, "%s%s %s\n", sev[e->alert],
				    e->alert_metadata ? "+" : "",
				    e->alert_message);
	}
	gc_status_release(&s->st);
	gc_status_copy(&s->st, &out.status);
	s->routing = out.routing;
	if (out.replicas == GC_REPLICAS_ZERO)
		s->canary_replicas = 0;
	else if (out.replicas == GC_REPLICAS_SCALE)
		s->canary_replicas = out.replica_count;
	s->promoted = out.promote;
	s->changed = out.changed;
	gc_machine_out_release(&out);
	for (size_t i = 0; i < n; i++)
		gc_check_batch_release(&done[i]);
	s->now += s->spec.interval_ms / 1000;
	s->ticks++;
}

/* One tick, then its phase, weights (primary/canary) and exact events. */
static void expect_tick(sim *s, const char *phase, int primary, int canary,
			const char *events)
{
	sim_tick(s);
	ck_assert_msg(!strcmp(gc_phase_name(s->st.phase), phase),
		      "tick %d: phase %s, expected %s (events: %s)", s->ticks,
		      gc_phase_name(s->st.phase), phase, s->ev.ptr);
	ck_assert_msg(s->routing.primary == primary &&
			      s->routing.canary == canary,
		      "tick %d: routing %d/%d, expected %d/%d", s->ticks,
		      s->routing.primary, s->routing.canary, primary, canary);
	ck_assert_msg(!strcmp(s->ev.ptr, events),
		      "tick %d: events\n%s\nexpected\n%s", s->ticks, s->ev.ptr,
		      events);
}

#define STEP10 \
	"\"interval\":\"1m\",\"threshold\":10,\"maxWeight\":50,\"stepWeight\":10"

/* ---- §8 scheduler scenarios ------------------------------------------ */

START_TEST(test_machine__init)
{
	sim s;

	sim_init(&s, "", STEP10);
	s.canary_replicas = 1;
	s.primary.state = GC_READY_WAITING;
	s.primary.message =
		"waiting for rollout to finish: 0 out of 1 new replicas have been updated";
	expect_tick(
		&s, "Initializing", 100, 0,
		"W podinfo-primary.default not ready: waiting for rollout to finish: 0 out of 1 new replicas have been updated\n");
	ck_assert(s.promoted); /* creates the primary from the target */
	ck_assert_int_eq(s.canary_replicas, 1);
	ck_assert_str_eq(s.st.condition.message,
			 "New Deployment detected, starting initialization.");
	s.primary.state = GC_READY;
	expect_tick(&s, "Initialized", 100, 0,
		    "N Initialization done! podinfo.default\n");
	ck_assert_int_eq(s.canary_replicas, 0);
	ck_assert_str_eq(s.st.last_applied_spec, "rev1");
	ck_assert_str_eq(s.st.last_promoted_spec, "rev1");
	ck_assert_str_eq(gc_cond_status_name(s.st.condition.status), "True");
	ck_assert_str_eq(s.st.condition.message,
			 "Deployment initialization completed.");
	ck_assert_int_eq(s.st.last_transition_time, T0 + 60);
	expect_tick(&s, "Initialized", 100, 0, "");
	ck_assert(!s.changed);
	sim_free(&s);
}
END_TEST

/* §3.6 scale-from-zero counts. */
static const struct {
	const char *spec;
	int rendered, primary, hpa_min, want;
} scale[] = {
	{ "", 0, 3, 0, 3 },
	{ "", 0, 0, 0, 1 },
	{ "", 4, 3, 0, 4 },
	{ ",\"autoscalerRef\":{\"kind\":\"HorizontalPodAutoscaler\",\"name\":\"podinfo\"}",
	  0, 3, 2, 2 },
	{ ",\"autoscalerRef\":{\"kind\":\"HorizontalPodAutoscaler\",\"name\":\"podinfo\"}",
	  0, 3, 0, 1 },
};

START_TEST(test_machine__new_revision)
{
	sim s;

	sim_init(&s, scale[_i].spec, STEP10);
	sim_released(&s);
	s.canary_replicas = scale[_i].rendered;
	s.primary_replicas = scale[_i].primary;
	s.hpa_min = scale[_i].hpa_min;
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	ck_assert_int_eq(s.canary_replicas, scale[_i].want);
	ck_assert_str_eq(s.st.last_applied_spec, "rev1");
	ck_assert_str_eq(s.st.last_promoted_spec, "rev0");
	ck_assert_str_eq(s.st.condition.reason, "Progressing");
	ck_assert_str_eq(s.st.condition.message,
			 "New revision detected, progressing canary analysis.");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__rollback_threshold)
{
	sim s;

	sim_init(&s, "",
		 STEP10 ",\"metrics\":[{\"name\":\"broken\",\"query\":\"x\"}]");
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	s.st.failed_checks = 10;
	sim_fail(&s, "broken",
		 "Halt advancement no values found for metric: broken");
	expect_tick(
		&s, "Failed", 100, 0,
		"W Rolling back podinfo.default failed checks threshold reached 10\n"
		"W Canary failed! Scaling down podinfo.default\n");
	ck_assert_int_eq(s.canary_replicas, 0);
	ck_assert_int_eq(s.st.failed_checks, 0);
	ck_assert_str_eq(s.st.condition.message,
			 "Canary analysis failed, Deployment scaled to zero.");
	ck_assert_str_eq(s.calls.ptr, ""); /* decided before any check */
	expect_tick(&s, "Failed", 100, 0, "");
	sim_free(&s);
}
END_TEST

/* §3.3 rollback timing: failures from tick k, threshold 5 -> k+5 rolls back. */
START_TEST(test_machine__failed_checks_cumulative)
{
	sim s;
	char want[128];

	sim_init(
		&s, "",
		"\"interval\":\"1m\",\"threshold\":5,\"maxWeight\":50,\"stepWeight\":10,"
		"\"metrics\":[{\"name\":\"request-success-rate\",\"thresholdRange\":{\"min\":99}}]");
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	expect_tick(&s, "Progressing", 80, 20,
		    "N Advance podinfo.default canary weight 20\n");
	sim_fail(&s, "request-success-rate",
		 "Halt podinfo.default advancement success rate 98.69% < 99%");
	for (int i = 1; i <= 3; i++) {
		expect_tick(
			&s, "Progressing", 80, 20,
			"W Halt podinfo.default advancement success rate 98.69% < 99%\n");
		ck_assert_int_eq(s.st.failed_checks, i);
	}
	/* a success does not reset the counter */
	sim_pass(&s, "request-success-rate");
	expect_tick(&s, "Progressing", 70, 30,
		    "N Advance podinfo.default canary weight 30\n");
	ck_assert_int_eq(s.st.failed_checks, 3);
	sim_fail(&s, "request-success-rate",
		 "Halt podinfo.default advancement success rate 98.69% < 99%");
	expect_tick(
		&s, "Progressing", 70, 30,
		"W Halt podinfo.default advancement success rate 98.69% < 99%\n");
	expect_tick(
		&s, "Progressing", 70, 30,
		"W Halt podinfo.default advancement success rate 98.69% < 99%\n");
	ck_assert_int_eq(s.st.failed_checks, 5);
	snprintf(
		want, sizeof(want),
		"W Rolling back podinfo.default failed checks threshold reached 5\n"
		"W Canary failed! Scaling down podinfo.default\n");
	expect_tick(&s, "Failed", 100, 0, want);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__promotion_primary_not_ready)
{
	static const struct {
		gc_phase phase;
		int primary, canary;
	} at[] = { { GC_PHASE_PROMOTING, 50, 50 },
		   { GC_PHASE_FINALISING, 100, 0 } };
	sim s;

	sim_init(&s, "", STEP10);
	sim_running(&s, at[_i].phase, at[_i].primary, at[_i].canary);
	s.primary.state = GC_READY_FAILED;
	s.primary.message =
		"deployment \"podinfo-primary\" exceeded its progress deadline";
	expect_tick(
		&s, "Failed", 0, 100,
		"W podinfo-primary.default not ready: deployment \"podinfo-primary\" exceeded its progress deadline\n"
		"W Promotion of podinfo.default failed, primary not ready: deployment \"podinfo-primary\" exceeded its progress deadline\n");
	ck_assert_int_eq(s.st.canary_weight, 100);
	ck_assert_int_eq(s.canary_replicas, 2); /* not scaled down */
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__skip_analysis)
{
	sim s;

	sim_init(
		&s, ",\"skipAnalysis\":true",
		STEP10
		",\"webhooks\":[{\"name\":\"post\",\"type\":\"post-rollout\",\"url\":\"http://h/\"},"
		"{\"name\":\"pre\",\"type\":\"pre-rollout\",\"url\":\"http://h/\"}]");
	sim_released(&s);
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	expect_tick(
		&s, "Succeeded", 100, 0,
		"N Copying podinfo.default template spec to podinfo-primary.default\n"
		"N Post-rollout check post passed\n"
		"N Promotion completed! Canary analysis was skipped for podinfo.default\n");
	ck_assert(s.promoted);
	ck_assert_str_eq(s.calls.ptr, "Succeeded post\n");
	ck_assert_int_eq(s.canary_replicas, 0);
	ck_assert_str_eq(s.st.last_promoted_spec, "rev1");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__analysis_phases)
{
	sim s;

	sim_init(
		&s, "",
		"\"interval\":\"1m\",\"threshold\":10,\"stepWeight\":100,\"stepWeightPromotion\":50");
	sim_released(&s);
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	ck_assert_int_eq(s.st.canary_weight, 0);
	expect_tick(&s, "Progressing", 0, 100,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary weight 100\n");
	ck_assert_int_eq(s.st.canary_weight, 100);
	expect_tick(
		&s, "Promoting", 0, 100,
		"N Copying podinfo.default template spec to podinfo-primary.default\n");
	ck_assert(s.promoted);
	ck_assert_int_eq(s.st.canary_weight, 100);
	expect_tick(&s, "Promoting", 50, 50,
		    "N Advance podinfo.default primary weight 50\n");
	ck_assert_int_eq(s.st.canary_weight, 50);
	expect_tick(&s, "Finalising", 100, 0,
		    "N Advance podinfo.default primary weight 100\n");
	ck_assert_int_eq(s.st.canary_weight, 0);
	expect_tick(&s, "Succeeded", 100, 0,
		    "N Promotion completed! Scaling down podinfo.default\n");
	ck_assert_int_eq(s.st.canary_weight, 0);
	ck_assert_str_eq(s.st.last_promoted_spec, "rev1");
	ck_assert_int_eq(s.canary_replicas, 0);
	expect_tick(&s, "Succeeded", 100, 0, "");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__blue_green_phases)
{
	sim s;

	sim_init(&s, "",
		 "\"interval\":\"1m\",\"threshold\":10,\"iterations\":1");
	sim_released(&s);
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	expect_tick(&s, "Progressing", 100, 0,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary iteration 1/1\n");
	expect_tick(&s, "Progressing", 0, 100,
		    "N Routing all traffic to canary\n");
	expect_tick(
		&s, "Promoting", 0, 100,
		"N Copying podinfo.default template spec to podinfo-primary.default\n");
	expect_tick(&s, "Finalising", 100, 0,
		    "N Routing all traffic to primary\n");
	expect_tick(&s, "Succeeded", 100, 0,
		    "N Promotion completed! Scaling down podinfo.default\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__blue_green_mirror)
{
	sim s;

	sim_init(
		&s, "",
		"\"interval\":\"1m\",\"threshold\":10,\"iterations\":2,\"mirror\":true");
	sim_released(&s);
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	expect_tick(&s, "Progressing", 100, 0,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary iteration 1/2\n");
	ck_assert(s.routing.mirror);
	expect_tick(&s, "Progressing", 100, 0,
		    "N Advance podinfo.default canary iteration 2/2\n");
	ck_assert(s.routing.mirror);
	expect_tick(
		&s, "Progressing", 0, 100,
		"N Stop traffic mirroring and route all traffic to canary\n");
	ck_assert(!s.routing.mirror);
	expect_tick(
		&s, "Promoting", 0, 100,
		"N Copying podinfo.default template spec to podinfo-primary.default\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__new_revision_reset)
{
	sim s;

	sim_init(&s, "", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	s.st.failed_checks = 2;
	s.revision = "rev2";
	expect_tick(
		&s, "Progressing", 100, 0,
		"N New revision detected! Restarting analysis for podinfo.default\n");
	ck_assert_int_eq(s.st.failed_checks, 0);
	ck_assert_int_eq(s.st.canary_weight, 0);
	ck_assert_str_eq(s.st.last_applied_spec, "rev2");
	expect_tick(&s, "Progressing", 90, 10,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary weight 10\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__promotion)
{
	sim s;

	sim_init(&s, "", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 60, 40);
	expect_tick(&s, "Progressing", 50, 50,
		    "N Advance podinfo.default canary weight 50\n");
	ck_assert(!s.promoted);
	expect_tick(
		&s, "Promoting", 50, 50,
		"N Copying podinfo.default template spec to podinfo-primary.default\n");
	ck_assert(s.promoted);
	expect_tick(&s, "Finalising", 100, 0,
		    "N Routing all traffic to primary\n");
	ck_assert(!s.promoted);
	expect_tick(&s, "Succeeded", 100, 0,
		    "N Promotion completed! Scaling down podinfo.default\n");
	ck_assert_str_eq(s.st.last_promoted_spec, "rev1");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__mirroring)
{
	sim s;

	sim_init(&s, "", STEP10 ",\"mirror\":true,\"mirrorWeight\":50");
	sim_released(&s);
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	expect_tick(&s, "Progressing", 100, 0,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary weight 0\n");
	ck_assert(s.routing.mirror);
	expect_tick(&s, "Progressing", 90, 10,
		    "N Advance podinfo.default canary weight 10\n");
	ck_assert(!s.routing.mirror);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__ab_testing)
{
	sim s;
	char want[128];

	sim_init(
		&s, "",
		"\"interval\":\"1m\",\"threshold\":10,\"iterations\":10,"
		"\"match\":[{\"headers\":{\"x-canary\":{\"exact\":\"insider\"}}}]");
	ck_assert_int_eq(s.spec.strategy, GC_STRATEGY_AB);
	sim_released(&s);
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	expect_tick(&s, "Progressing", 0, 100,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary iteration 1/10\n");
	for (int i = 2; i <= 10; i++) {
		snprintf(want, sizeof(want),
			 "N Advance podinfo.default canary iteration %d/10\n",
			 i);
		expect_tick(&s, "Progressing", 0, 100, want);
	}
	expect_tick(
		&s, "Promoting", 0, 100,
		"N Copying podinfo.default template spec to podinfo-primary.default\n");
	expect_tick(&s, "Finalising", 100, 0,
		    "N Routing all traffic to primary\n");
	expect_tick(&s, "Succeeded", 100, 0,
		    "N Promotion completed! Scaling down podinfo.default\n");
	sim_free(&s);
}
END_TEST

/* ---- scheduler_svc_test weight sequences, clamped to maxWeight -------- */

static const struct {
	const char *analysis;
	const char
		*primaries; /* primary weight after each tick until Promoting */
} ladders[] = {
	/* Flagger: 100, 80, 60, 40 (overshoots maxWeight 50) */
	{ "\"stepWeight\":20,\"maxWeight\":50", "100 80 60 50" },
	{ "\"stepWeight\":50,\"maxWeight\":100", "100 50 0" },
	{ "\"stepWeights\":[1,2,10,80]", "100 99 98 90 20" },
	{ "\"stepWeights\":[1,2,10,200]", "100 99 98 90 0" },
};

START_TEST(test_machine__weight_ladders)
{
	char *analysis = gc_xasprintf("\"interval\":\"1m\",\"threshold\":1,%s",
				      ladders[_i].analysis);
	gc_buf seen = GC_BUF_INIT;
	sim s;

	sim_init(&s, "", analysis);
	sim_released(&s);
	for (int i = 0; i < 20; i++) {
		sim_tick(&s);
		if (s.st.phase != GC_PHASE_PROGRESSING)
			break;
		gc_buf_addf(&seen, "%s%d", seen.len ? " " : "",
			    s.routing.primary);
	}
	ck_assert_str_eq(seen.ptr, ladders[_i].primaries);
	ck_assert_str_eq(gc_phase_name(s.st.phase), "Promoting");
	sim_tick(&s);
	ck_assert_str_eq(gc_phase_name(s.st.phase), "Finalising");
	ck_assert_int_eq(s.routing.primary, 100);
	ck_assert_int_eq(s.routing.canary, 0);
	sim_tick(&s);
	ck_assert_str_eq(gc_phase_name(s.st.phase), "Succeeded");
	gc_buf_release(&seen);
	free(analysis);
	sim_free(&s);
}
END_TEST

/* ---- §3.3: the seed canary (examples/podinfo/canary.yaml) ------------- */

static void sim_seed(sim *s)
{
	char *path = gc_xasprintf("%s/examples/podinfo/canary.yaml",
				  gc_test_source_dir);
	char *data = gc_test_slurp(path);
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	cJSON *doc;

	ck_assert_int_eq(gc_yaml_parse(&docs, path, data, strlen(data), &err),
			 0);
	doc = docs.v[0]->root;
	docs.v[0]->root = NULL;
	gc_doclist_release(&docs);
	sim_init_doc(s, doc, "test");
	free(data);
	free(path);
}

START_TEST(test_machine__seed_timeline)
{
	sim s;
	char want[256];

	sim_seed(&s);
	ck_assert_int_eq(s.spec.interval_ms, 60000);
	ck_assert_int_eq(s.spec.progress_deadline_s, 60);
	sim_released(&s);
	s.hpa_min = 2;
	/* T2 */
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.test\n");
	ck_assert_int_eq(s.canary_replicas, 2);
	ck_assert_str_eq(s.calls.ptr, "");
	/* T3 */
	expect_tick(&s, "Progressing", 90, 10,
		    "N Starting canary analysis for podinfo.test\n"
		    "N Pre-rollout check acceptance-test passed\n"
		    "N Advance podinfo.test canary weight 10\n");
	ck_assert_str_eq(s.calls.ptr, "Progressing acceptance-test\n");
	/* T4..T7 */
	for (int w = 20; w <= 50; w += 10) {
		snprintf(want, sizeof(want),
			 "N Advance podinfo.test canary weight %d\n", w);
		expect_tick(&s, "Progressing", 100 - w, w, want);
		ck_assert_str_eq(s.calls.ptr,
				 "Progressing load-test\n"
				 "Progressing request-success-rate\n"
				 "Progressing request-duration\n");
	}
	/* T8 */
	expect_tick(
		&s, "Promoting", 50, 50,
		"N Copying podinfo.test template spec to podinfo-primary.test\n");
	ck_assert(s.promoted);
	/* T9: the primary rolls out first */
	s.primary.state = GC_READY_WAITING;
	s.primary.message =
		"waiting for rollout to finish: 1 out of 2 new replicas have been updated";
	expect_tick(
		&s, "Promoting", 50, 50,
		"W podinfo-primary.test not ready: waiting for rollout to finish: 1 out of 2 new replicas have been updated\n");
	s.primary.state = GC_READY;
	expect_tick(&s, "Finalising", 100, 0,
		    "N Routing all traffic to primary\n");
	/* T10 */
	expect_tick(&s, "Succeeded", 100, 0,
		    "N Promotion completed! Scaling down podinfo.test\n");
	ck_assert_int_eq(s.canary_replicas, 0);
	ck_assert_str_eq(
		s.st.condition.message,
		"Canary analysis completed successfully, promotion finished.");
	sim_free(&s);
}
END_TEST

/* ---- webhooks (§6.3) --------------------------------------------------- */

#define ALL_HOOKS                                                                                                      \
	"\"webhooks\":["                                                                                               \
	"{\"name\":\"confirm-rollout-webhook\",\"type\":\"confirm-rollout\",\"url\":\"http://h/\"},"                   \
	"{\"name\":\"pre-rollout-webhook\",\"type\":\"pre-rollout\",\"url\":\"http://h/\"},"                           \
	"{\"name\":\"rollout-webhook\",\"type\":\"rollout\",\"url\":\"http://h/\"},"                                   \
	"{\"name\":\"confirm-traffic-increase-webhook\",\"type\":\"confirm-traffic-increase\",\"url\":\"http://h/\"}," \
	"{\"name\":\"confirm-promotion-webhook\",\"type\":\"confirm-promotion\",\"url\":\"http://h/\"},"               \
	"{\"name\":\"post-rollout-webhook\",\"type\":\"post-rollout\",\"url\":\"http://h/\"}]"

/* TestWebhooks/canary with maxWeight 50 clamping the first step. */
START_TEST(test_machine__webhook_trace)
{
	sim s;

	sim_init(
		&s, "",
		"\"interval\":\"1m\",\"stepWeight\":100,\"stepWeightPromotion\":50,"
		"\"maxWeight\":50," ALL_HOOKS);
	sim_released(&s);
	expect_tick(&s, "Progressing", 100, 0,
		    "N Confirm-rollout check confirm-rollout-webhook passed\n"
		    "N New revision detected! Scaling up podinfo.default\n");
	ck_assert_str_eq(s.calls.ptr, "Initialized confirm-rollout-webhook\n");
	expect_tick(
		&s, "Progressing", 50, 50,
		"N Starting canary analysis for podinfo.default\n"
		"N Pre-rollout check pre-rollout-webhook passed\n"
		"N Confirm-traffic-increase check confirm-traffic-increase-webhook passed\n"
		"N Advance podinfo.default canary weight 50\n");
	expect_tick(
		&s, "Promoting", 50, 50,
		"N Confirm-traffic-increase check confirm-traffic-increase-webhook passed\n"
		"N Confirm-promotion check confirm-promotion-webhook passed\n"
		"N Copying podinfo.default template spec to podinfo-primary.default\n");
	ck_assert_str_eq(s.calls.ptr,
			 "Progressing rollout-webhook\n"
			 "Progressing confirm-traffic-increase-webhook\n"
			 "Progressing confirm-promotion-webhook\n");
	expect_tick(&s, "Finalising", 100, 0,
		    "N Advance podinfo.default primary weight 100\n");
	expect_tick(&s, "Succeeded", 100, 0,
		    "N Post-rollout check post-rollout-webhook passed\n"
		    "N Promotion completed! Scaling down podinfo.default\n");
	ck_assert_str_eq(s.calls.ptr, "Succeeded post-rollout-webhook\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__confirm_rollout_gate)
{
	sim s;

	sim_init(
		&s, "",
		STEP10
		",\"webhooks\":[{\"name\":\"gate\",\"type\":\"confirm-rollout\","
		"\"url\":\"http://h/gate/check\"}]");
	sim_released(&s);
	sim_fail(&s, "gate", "Forbidden");
	expect_tick(
		&s, "Waiting", 100, 0,
		"W Halt podinfo.default advancement waiting for approval gate\n");
	ck_assert_int_eq(s.canary_replicas, 0);
	ck_assert_str_eq(s.st.condition.message, "Waiting for approval.");
	ck_assert_str_eq(s.calls.ptr, "Initialized gate\n");
	expect_tick(&s, "Waiting", 100, 0, "");
	ck_assert_str_eq(s.calls.ptr, "Waiting gate\n");
	sim_pass(&s, "gate");
	expect_tick(&s, "Progressing", 100, 0,
		    "N Confirm-rollout check gate passed\n"
		    "N New revision detected! Scaling up podinfo.default\n");
	ck_assert_int_eq(s.canary_replicas, 1);
	ck_assert_int_eq(s.st.waiting_since, 0);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__confirm_traffic_increase_gate)
{
	sim s;

	sim_init(
		&s, "",
		STEP10
		",\"webhooks\":[{\"name\":\"ti\",\"type\":\"confirm-traffic-increase\","
		"\"url\":\"http://h/\"}]");
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	sim_fail(&s, "ti", "Forbidden");
	expect_tick(
		&s, "Progressing", 90, 10,
		"W Halt podinfo.default advancement waiting for traffic increase approval ti\n");
	sim_pass(&s, "ti");
	expect_tick(&s, "Progressing", 80, 20,
		    "N Confirm-traffic-increase check ti passed\n"
		    "N Advance podinfo.default canary weight 20\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__confirm_promotion_gate)
{
	sim s;

	sim_init(
		&s, "",
		STEP10
		",\"webhooks\":[{\"name\":\"cp\",\"type\":\"confirm-promotion\","
		"\"url\":\"http://h/\"}]");
	sim_running(&s, GC_PHASE_PROGRESSING, 50, 50);
	sim_fail(&s, "cp", "Forbidden");
	expect_tick(
		&s, "WaitingPromotion", 50, 50,
		"W Halt podinfo.default advancement waiting for promotion approval cp\n");
	ck_assert_int_eq(s.st.canary_weight, 0); /* §9.6 */
	ck_assert_int_eq(s.st.iterations, -1);
	expect_tick(&s, "WaitingPromotion", 50, 50, "");
	sim_pass(&s, "cp");
	expect_tick(
		&s, "Promoting", 50, 50,
		"N Confirm-promotion check cp passed\n"
		"N Copying podinfo.default template spec to podinfo-primary.default\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__pre_rollout_and_rollout_failures)
{
	sim s;

	sim_init(
		&s, "",
		STEP10
		",\"webhooks\":[{\"name\":\"pre\",\"type\":\"pre-rollout\",\"url\":\"http://h/\"},"
		"{\"name\":\"load\",\"url\":\"http://h/\"}]");
	sim_running(&s, GC_PHASE_PROGRESSING, 100, 0);
	sim_fail(&s, "pre", "boom");
	expect_tick(
		&s, "Progressing", 100, 0,
		"N Starting canary analysis for podinfo.default\n"
		"W Halt podinfo.default advancement pre-rollout check pre failed boom\n");
	ck_assert_int_eq(s.st.failed_checks, 1);
	sim_pass(&s, "pre");
	sim_fail(&s, "load", "POST http://h/ giving up after 1 attempt(s)");
	expect_tick(&s, "Progressing", 90, 10,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Pre-rollout check pre passed\n"
		    "N Advance podinfo.default canary weight 10\n");
	expect_tick(
		&s, "Progressing", 90, 10,
		"W Halt podinfo.default advancement external check load failed POST http://h/ giving up after 1 attempt(s)\n");
	ck_assert_int_eq(s.st.failed_checks, 2);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__rollback_hook)
{
	sim s;

	sim_init(
		&s, "",
		STEP10
		",\"webhooks\":[{\"name\":\"rb1\",\"type\":\"rollback\",\"url\":\"http://h/\"},"
		"{\"name\":\"rb2\",\"type\":\"rollback\",\"url\":\"http://h/\"}]");
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	sim_fail(&s, "rb1", "Forbidden");
	sim_fail(&s, "rb2", "Forbidden");
	expect_tick(&s, "Progressing", 80, 20,
		    "N Rollback hook rb1 not signaling a rollback\n"
		    "N Rollback hook rb2 not signaling a rollback\n"
		    "N Advance podinfo.default canary weight 20\n");
	sim_pass(&s, "rb2");
	expect_tick(&s, "Failed", 100, 0,
		    "N Rollback hook rb1 not signaling a rollback\n"
		    "W Rollback check rb2 passed\n"
		    "W Rolling back podinfo.default manual webhook invoked\n"
		    "W Canary failed! Scaling down podinfo.default\n");
	ck_assert_str_eq(s.calls.ptr, "Progressing rb1\nProgressing rb2\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__post_rollout_failure)
{
	sim s;

	sim_init(
		&s, "",
		STEP10
		",\"webhooks\":[{\"name\":\"p1\",\"type\":\"post-rollout\",\"url\":\"http://h/\"},"
		"{\"name\":\"p2\",\"type\":\"post-rollout\",\"url\":\"http://h/\"}]");
	sim_running(&s, GC_PHASE_FINALISING, 100, 0);
	sim_fail(&s, "p1", "boom");
	expect_tick(&s, "Succeeded", 100, 0,
		    "W Post-rollout hook p1 failed boom\n"
		    "N Promotion completed! Scaling down podinfo.default\n");
	ck_assert_str_eq(s.calls.ptr, "Succeeded p1\n");
	sim_free(&s);
}
END_TEST

/* ---- deadlines: no wait lasts longer than progressDeadlineSeconds ------ */

#define DEADLINE60 ",\"progressDeadlineSeconds\":60"
#define WAITMSG \
	"waiting for rollout to finish: 0 of 2 (readyThreshold 100%) updated replicas are available"

START_TEST(test_machine__deadline_canary_readiness)
{
	sim s;

	sim_init(&s, DEADLINE60, STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	s.canary.state = GC_READY_WAITING;
	s.canary.message = WAITMSG;
	expect_tick(&s, "Progressing", 90, 10,
		    "W canary deployment podinfo.default not ready: " WAITMSG
		    "\n");
	ck_assert_int_eq(s.st.waiting_since, T0);
	ck_assert(s.changed);
	expect_tick(
		&s, "Failed", 100, 0,
		"W canary deployment podinfo.default not ready: " WAITMSG "\n"
		"W Rolling back podinfo.default progress deadline exceeded canary deployment podinfo.default not ready: " WAITMSG
		"\n"
		"W Canary failed! Scaling down podinfo.default\n");
	ck_assert_int_eq(s.st.waiting_since, 0);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__deadline_resets_on_progress)
{
	sim s;

	sim_init(&s, ",\"progressDeadlineSeconds\":90", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	s.canary.state = GC_READY_WAITING;
	s.canary.message = WAITMSG;
	sim_tick(&s);
	s.canary.state = GC_READY;
	expect_tick(&s, "Progressing", 80, 20,
		    "N Advance podinfo.default canary weight 20\n");
	ck_assert_int_eq(s.st.waiting_since, 0);
	s.canary.state = GC_READY_WAITING;
	expect_tick(&s, "Progressing", 80, 20,
		    "W canary deployment podinfo.default not ready: " WAITMSG
		    "\n");
	expect_tick(&s, "Progressing", 80, 20,
		    "W canary deployment podinfo.default not ready: " WAITMSG
		    "\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__deadline_gates)
{
	static const struct {
		const char *type;
		gc_phase phase;
		int canary;
		const char *first, *why;
	} gates[] = {
		{ "confirm-rollout", GC_PHASE_INITIALIZED, 0,
		  "W Halt podinfo.default advancement waiting for approval g\n",
		  "waiting for approval g" },
		{ "confirm-traffic-increase", GC_PHASE_PROGRESSING, 10,
		  "W Halt podinfo.default advancement waiting for traffic increase approval g\n",
		  "waiting for traffic increase approval g" },
		{ "confirm-promotion", GC_PHASE_PROGRESSING, 50,
		  "W Halt podinfo.default advancement waiting for promotion approval g\n",
		  "waiting for promotion approval g" },
	};
	char *analysis = gc_xasprintf(
		STEP10
		",\"webhooks\":[{\"name\":\"g\",\"type\":\"%s\",\"url\":\"http://h/\"}]",
		gates[_i].type);
	char want[512];
	sim s;

	sim_init(&s, DEADLINE60, analysis);
	if (gates[_i].phase == GC_PHASE_INITIALIZED)
		sim_released(&s);
	else
		sim_running(&s, gates[_i].phase, 100 - gates[_i].canary,
			    gates[_i].canary);
	sim_fail(&s, "g", "Forbidden");
	sim_tick(&s);
	ck_assert_str_eq(s.ev.ptr, gates[_i].first);
	sim_tick(&s);
	snprintf(
		want, sizeof(want),
		"%sW Rolling back podinfo.default progress deadline exceeded %s\n"
		"W Canary failed! Scaling down podinfo.default\n",
		_i == 1 ? gates[_i].first : "", gates[_i].why);
	ck_assert_str_eq(s.ev.ptr, want);
	ck_assert_str_eq(gc_phase_name(s.st.phase), "Failed");
	ck_assert_str_eq(s.st.last_applied_spec, "rev1");
	/* the failed revision is not retried, even with the gate open */
	sim_pass(&s, "g");
	expect_tick(&s, "Failed", 100, 0, "");
	free(analysis);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__deadline_promotion)
{
	sim s;

	sim_init(&s, DEADLINE60, STEP10);
	sim_running(&s, GC_PHASE_PROMOTING, 50, 50);
	s.primary.state = GC_READY_WAITING;
	s.primary.message =
		"waiting for rollout to finish: 1 old replicas are pending termination";
	expect_tick(
		&s, "Promoting", 50, 50,
		"W podinfo-primary.default not ready: waiting for rollout to finish: 1 old replicas are pending termination\n");
	expect_tick(
		&s, "Failed", 0, 100,
		"W podinfo-primary.default not ready: waiting for rollout to finish: 1 old replicas are pending termination\n"
		"W Promotion of podinfo.default failed, primary not ready: progress deadline exceeded waiting for rollout to finish: 1 old replicas are pending termination\n");
	ck_assert_int_eq(s.st.canary_weight, 100);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__deadline_initialization)
{
	sim s;

	sim_init(&s, DEADLINE60, STEP10);
	s.canary_replicas = 2;
	s.primary.state = GC_READY_WAITING;
	s.primary.message =
		"waiting for rollout to finish: 0 out of 2 new replicas have been updated";
	expect_tick(
		&s, "Initializing", 100, 0,
		"W podinfo-primary.default not ready: waiting for rollout to finish: 0 out of 2 new replicas have been updated\n");
	expect_tick(
		&s, "Failed", 0, 100,
		"W podinfo-primary.default not ready: waiting for rollout to finish: 0 out of 2 new replicas have been updated\n"
		"W Initialization of podinfo.default failed, progress deadline exceeded podinfo-primary.default not ready: waiting for rollout to finish: 0 out of 2 new replicas have been updated\n");
	ck_assert_int_eq(s.canary_replicas, 2); /* the target keeps serving */
	ck_assert_str_eq(s.st.last_promoted_spec, "rev1");
	/* a fixed template starts a release from there */
	s.primary.state = GC_READY;
	s.revision = "rev2";
	expect_tick(&s, "Progressing", 0, 100,
		    "N New revision detected! Scaling up podinfo.default\n");
	sim_free(&s);
}
END_TEST

/* Blue/green re-runs one iteration while waiting for promotion (§3.7.4);
 * that is not progress, so the deadline still ends the wait. */
START_TEST(test_machine__deadline_blue_green_promotion_gate)
{
	sim s;

	sim_init(
		&s, ",\"progressDeadlineSeconds\":150",
		"\"interval\":\"1m\",\"iterations\":2,\"webhooks\":[{\"name\":\"cp\","
		"\"type\":\"confirm-promotion\",\"url\":\"http://h/\"}]");
	sim_running(&s, GC_PHASE_PROGRESSING, 100, 0);
	s.st.iterations = 2;
	sim_fail(&s, "cp", "Forbidden");
	expect_tick(
		&s, "WaitingPromotion", 100, 0,
		"W Halt podinfo.default advancement waiting for promotion approval cp\n");
	ck_assert_int_eq(s.st.iterations, 1);
	expect_tick(&s, "WaitingPromotion", 100, 0,
		    "N Advance podinfo.default canary iteration 2/2\n");
	expect_tick(&s, "WaitingPromotion", 100, 0, "");
	/* the deadline is checked when the tick waits again */
	expect_tick(&s, "WaitingPromotion", 100, 0,
		    "N Advance podinfo.default canary iteration 2/2\n");
	expect_tick(
		&s, "Failed", 100, 0,
		"W Rolling back podinfo.default progress deadline exceeded waiting for promotion approval cp\n"
		"W Canary failed! Scaling down podinfo.default\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__canary_failed_readiness)
{
	sim s;

	sim_init(&s, "", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 80, 20);
	s.canary.state = GC_READY_FAILED;
	s.canary.message =
		"deployment \"podinfo\" exceeded its progress deadline";
	expect_tick(
		&s, "Failed", 100, 0,
		"W canary deployment podinfo.default not ready: deployment \"podinfo\" exceeded its progress deadline\n"
		"W Canary failed! Scaling down podinfo.default\n");
	sim_free(&s);
}
END_TEST

/* ---- git-native abort, suspend, steady states -------------------------- */

START_TEST(test_machine__revert_aborts)
{
	static const gc_phase phases[] = { GC_PHASE_PROGRESSING,
					   GC_PHASE_WAITING_PROMOTION,
					   GC_PHASE_WAITING };
	sim s;

	sim_init(&s, "", STEP10);
	sim_running(&s, phases[_i], 70, 30);
	s.revision = "rev0"; /* git revert of the bump */
	expect_tick(
		&s, "Failed", 100, 0,
		"W Rolling back podinfo.default target reverted to the promoted revision rev0\n"
		"W Canary failed! Scaling down podinfo.default\n");
	ck_assert_int_eq(s.canary_replicas, 0);
	ck_assert_str_eq(s.st.last_applied_spec, "rev0");
	ck_assert_str_eq(s.st.last_promoted_spec, "rev0");
	expect_tick(&s, "Failed", 100, 0, "");
	/* bumping again starts a new release */
	s.revision = "rev1";
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	sim_free(&s);
}
END_TEST

/* ---- config tracking (§2.5, §3.2 steps 12, 13, 17e, 18) -------------- */

#define CFG_OLD "{\"configmap/podinfo-config\":\"0123456789abcdef\"}"
#define CFG_NEW "{\"configmap/podinfo-config\":\"fedcba9876543210\"}"

/* Replaces an owned map with a parsed one (NULL json = NULL). */
static void set_map(cJSON **slot, const char *json)
{
	cJSON_Delete(*slot);
	*slot = json ? cJSON_Parse(json) : NULL;
	ck_assert(!json || *slot);
}

static void expect_tracked(const sim *s, const char *json)
{
	char *got = s->st.tracked_configs
			    ? cJSON_PrintUnformatted(s->st.tracked_configs)
			    : NULL;

	if (!json)
		ck_assert_msg(!got, "trackedConfigs %s, expected none", got);
	else
		ck_assert_msg(got && !strcmp(got, json),
			      "trackedConfigs %s, expected %s",
			      got ? got : "(none)", json);
	free(got);
}

/* Initialization records the configs (SyncStatus(Initialized)). */
START_TEST(test_machine__init_tracks_configs)
{
	sim s;

	sim_init(&s, "", STEP10);
	set_map(&s.configs, CFG_OLD);
	expect_tick(&s, "Initialized", 100, 0,
		    "N Initialization done! podinfo.default\n");
	expect_tracked(&s, CFG_OLD);
	expect_tick(&s, "Initialized", 100, 0, "");
	ck_assert(!s.changed);
	sim_free(&s);
}
END_TEST

/*
 * Only a ConfigMap changes: the template hash is still the promoted one,
 * yet a release starts, tick by tick like an image bump, and the promotion
 * copies the target (with its new configs) onto the primary.
 */
START_TEST(test_machine__config_change_starts_release)
{
	sim s;

	sim_init(&s, "", STEP10);
	sim_released(&s);
	s.revision = "rev0";
	set_map(&s.st.tracked_configs, CFG_OLD);
	set_map(&s.configs, CFG_OLD);
	expect_tick(&s, "Initialized", 100, 0, "");
	ck_assert(!s.changed);
	set_map(&s.configs, CFG_NEW);
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	ck_assert(!s.promoted);
	ck_assert_int_eq(s.canary_replicas, 1);
	expect_tracked(&s, CFG_NEW);
	ck_assert_str_eq(s.st.last_applied_spec, "rev0");
	expect_tick(&s, "Progressing", 90, 10,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary weight 10\n");
	for (int w = 20; w <= 50; w += 10) {
		char ev[64];

		snprintf(ev, sizeof(ev),
			 "N Advance podinfo.default canary weight %d\n", w);
		expect_tick(&s, "Progressing", 100 - w, w, ev);
		ck_assert(!s.promoted);
	}
	expect_tick(
		&s, "Promoting", 50, 50,
		"N Copying podinfo.default template spec to podinfo-primary.default\n");
	ck_assert(s.promoted);
	expect_tick(&s, "Finalising", 100, 0,
		    "N Routing all traffic to primary\n");
	expect_tick(&s, "Succeeded", 100, 0,
		    "N Promotion completed! Scaling down podinfo.default\n");
	expect_tracked(&s, CFG_NEW);
	expect_tick(&s, "Succeeded", 100, 0, "");
	ck_assert(!s.changed);
	sim_free(&s);
}
END_TEST

/* A config change during the analysis restarts it (§3.2 step 18). */
START_TEST(test_machine__config_change_restarts_analysis)
{
	static const gc_phase phases[] = { GC_PHASE_PROGRESSING,
					   GC_PHASE_WAITING_PROMOTION };
	sim s;

	sim_init(&s, "", STEP10);
	sim_running(&s, phases[_i], 70, 30);
	s.st.failed_checks = 1;
	set_map(&s.st.tracked_configs, CFG_OLD);
	set_map(&s.configs, CFG_OLD);
	if (phases[_i] == GC_PHASE_PROGRESSING) /* same configs: goes on */
		expect_tick(&s, "Progressing", 60, 40,
			    "N Advance podinfo.default canary weight 40\n");
	set_map(&s.configs, CFG_NEW);
	expect_tick(
		&s, "Progressing", 100, 0,
		"N New revision detected! Restarting analysis for podinfo.default\n");
	ck_assert_int_eq(s.st.failed_checks, 0);
	ck_assert_int_eq(s.st.canary_weight, 0);
	expect_tracked(&s, CFG_NEW);
	ck_assert(!s.promoted);
	expect_tick(&s, "Progressing", 90, 10,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary weight 10\n");
	sim_free(&s);
}
END_TEST

/* HasConfigChanged: nil and empty, counts, keys, values; tracking off. */
static const struct {
	const char *tracked, *current;
	bool run;
} cfg_rules[] = {
	{ NULL, "{}", false },
	{ NULL, CFG_OLD, true },
	{ "{}", "{}", false },
	{ "{}", CFG_OLD, true },
	{ CFG_OLD, "{}", true },
	{ CFG_OLD, CFG_OLD, false },
	{ CFG_OLD, CFG_NEW, true },
	{ CFG_OLD, "{\"secret/podinfo-config\":\"0123456789abcdef\"}", true },
	{ CFG_OLD,
	  "{\"configmap/podinfo-config\":\"0123456789abcdef\","
	  "\"secret/s\":\"0123456789abcdef\"}",
	  true },
	{ CFG_OLD, NULL, false }, /* config tracking off */
};

START_TEST(test_machine__config_change_rules)
{
	sim s;

	sim_init(&s, "", STEP10);
	sim_released(&s);
	s.revision = "rev0";
	set_map(&s.st.tracked_configs, cfg_rules[_i].tracked);
	set_map(&s.configs, cfg_rules[_i].current);
	if (cfg_rules[_i].run) {
		expect_tick(
			&s, "Progressing", 100, 0,
			"N New revision detected! Scaling up podinfo.default\n");
		expect_tracked(&s, cfg_rules[_i].current);
	} else {
		expect_tick(&s, "Initialized", 100, 0, "");
		ck_assert(!s.changed);
		expect_tracked(&s, cfg_rules[_i].tracked);
	}
	sim_free(&s);
}
END_TEST

/* Failed: the status refresh records the configs (§3.2 step 13). */
START_TEST(test_machine__failed_refresh_tracks_configs)
{
	sim s;

	sim_init(&s, "", STEP10);
	sim_released(&s);
	s.st.phase = GC_PHASE_FAILED;
	s.revision = "rev0";
	set_map(&s.configs, "{}");
	expect_tick(&s, "Failed", 100, 0, "");
	expect_tracked(&s, "{}");
	ck_assert(s.changed);
	expect_tick(&s, "Failed", 100, 0, "");
	ck_assert(!s.changed);
	/* a config change after a failure starts a new release */
	set_map(&s.configs, CFG_NEW);
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	sim_free(&s);
}
END_TEST

/*
 * The revert rule with configs: a config-only release waiting for approval
 * is not a revert (its template is the promoted one); putting the configs
 * back to the primary's is, and so is the template revert of a release
 * whose configs are the primary's. A template revert with other configs is
 * a new revision.
 */
START_TEST(test_machine__config_revert)
{
	sim s;

	sim_init(&s, "",
		 STEP10 ",\"webhooks\":[{\"name\":\"gate\","
			"\"type\":\"confirm-rollout\",\"url\":\"http://h/\"}]");
	sim_released(&s);
	s.revision = "rev0";
	set_map(&s.st.tracked_configs, CFG_OLD);
	set_map(&s.promoted_configs, CFG_OLD);
	set_map(&s.configs, CFG_NEW);
	sim_fail(&s, "gate", "closed");
	expect_tick(
		&s, "Waiting", 100, 0,
		"W Halt podinfo.default advancement waiting for approval gate\n");
	expect_tick(&s, "Waiting", 100, 0, "");
	sim_pass(&s, "gate");
	expect_tick(&s, "Progressing", 100, 0,
		    "N Confirm-rollout check gate passed\n"
		    "N New revision detected! Scaling up podinfo.default\n");
	expect_tick(&s, "Progressing", 90, 10,
		    "N Starting canary analysis for podinfo.default\n"
		    "N Advance podinfo.default canary weight 10\n");
	set_map(&s.configs, CFG_OLD); /* git revert of the ConfigMap */
	expect_tick(
		&s, "Failed", 100, 0,
		"W Rolling back podinfo.default target reverted to the promoted revision rev0\n"
		"W Canary failed! Scaling down podinfo.default\n");
	expect_tracked(&s, CFG_OLD);
	expect_tick(&s, "Failed", 100, 0, "");
	sim_free(&s);

	/* a template revert that keeps new configs restarts the analysis */
	sim_init(&s, "", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 80, 20);
	set_map(&s.st.tracked_configs, CFG_NEW);
	set_map(&s.promoted_configs, CFG_OLD);
	set_map(&s.configs, CFG_NEW);
	s.revision = "rev0";
	expect_tick(
		&s, "Progressing", 100, 0,
		"N New revision detected! Restarting analysis for podinfo.default\n");
	ck_assert_str_eq(s.st.last_applied_spec, "rev0");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__suspend)
{
	sim s;

	sim_init(&s, ",\"suspend\":true", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	s.revision = "rev2";
	expect_tick(&s, "Progressing", 90, 10,
		    "N skipping canary run as object is suspended\n");
	ck_assert(!s.changed);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__steady_states)
{
	sim s;

	sim_init(&s, "", STEP10);
	sim_released(&s);
	s.revision = "rev0";
	expect_tick(&s, "Initialized", 100, 0, "");
	ck_assert(!s.changed);
	s.st.phase = GC_PHASE_SUCCEEDED;
	expect_tick(&s, "Succeeded", 100, 0, "");
	/* a failed revision is not retried; a revert to the promoted one is no
	 * run */
	s.st.phase = GC_PHASE_FAILED;
	strcpy(s.st.last_applied_spec, "rev1");
	s.revision = "rev1";
	expect_tick(&s, "Failed", 100, 0, "");
	s.revision = "rev0";
	expect_tick(&s, "Failed", 100, 0, "");
	ck_assert_str_eq(s.st.last_applied_spec, "rev0");
	s.revision = "rev2";
	expect_tick(&s, "Progressing", 100, 0,
		    "N New revision detected! Scaling up podinfo.default\n");
	sim_free(&s);
}
END_TEST

/* ---- purity and the resumable protocol --------------------------------- */

START_TEST(test_machine__resumable_and_pure)
{
	gc_machine_out a, b;
	gc_machine_in in;
	gc_check_batch done[2];
	sim s;

	sim_seed(&s);
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	memset(&in, 0, sizeof(in));
	in.spec = &s.spec;
	in.revision = "rev1";
	in.status = &s.st;
	in.routing = s.routing;
	in.now = T0;
	gc_machine_out_init(&a);
	gc_machine_out_init(&b);
	ck_assert_int_eq(gc_machine_step(&a, &in, NULL, 0), GC_MACHINE_NEED);
	ck_assert_uint_eq(a.need.n, 3);
	ck_assert(a.need.stop_on_fail);
	ck_assert_int_eq(a.need.v[0].kind, GC_CHECK_WEBHOOK);
	ck_assert_int_eq(a.need.v[1].kind, GC_CHECK_METRIC);
	ck_assert_str_eq(a.need.v[0].phase, "Progressing");
	ck_assert_ptr_eq(a.need.v[2].spec, s.spec.metrics[1]);
	ck_assert_uint_eq(a.nevents, 0);
	/* the same call gives the same request */
	ck_assert_int_eq(gc_machine_step(&b, &in, NULL, 0), GC_MACHINE_NEED);
	ck_assert_uint_eq(b.need.n, 3);
	done[0] = a.need;
	memset(&a.need, 0, sizeof(a.need));
	for (size_t i = 0; i < 3; i++)
		done[0].v[i].status = GC_CHECK_PASS;
	ck_assert_int_eq(gc_machine_step(&a, &in, done, 1), GC_MACHINE_DONE);
	ck_assert_int_eq(gc_machine_step(&b, &in, done, 1), GC_MACHINE_DONE);
	ck_assert_int_eq(a.routing.canary, 20);
	ck_assert_uint_eq(a.nevents, 1);
	ck_assert_str_eq(a.events[0].message,
			 "Advance podinfo.test canary weight 20");
	ck_assert_int_eq(a.events[0].phase, GC_PHASE_PROGRESSING);
	ck_assert(status_same(&a.status, &b.status));
	ck_assert_int_eq(a.status.last_tick, T0);
	ck_assert_int_eq(a.status.last_transition_time, T0);
	ck_assert(a.changed);
	gc_check_batch_release(&done[0]);
	gc_machine_out_release(&a);
	gc_machine_out_release(&b);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__event_phases)
{
	gc_machine_out out;
	gc_machine_in in;
	sim s;

	sim_init(&s, "", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	s.st.failed_checks = 10;
	memset(&in, 0, sizeof(in));
	in.spec = &s.spec;
	in.revision = "rev1";
	in.status = &s.st;
	in.routing = s.routing;
	in.now = T0;
	gc_machine_out_init(&out);
	ck_assert_int_eq(gc_machine_step(&out, &in, NULL, 0), GC_MACHINE_DONE);
	ck_assert_uint_eq(out.nevents, 2);
	ck_assert_int_eq(out.events[0].phase, GC_PHASE_PROGRESSING);
	ck_assert_int_eq(out.events[1].type, GC_EVENT_WARNING);
	ck_assert_int_eq(out.events[1].phase, GC_PHASE_FAILED);
	gc_machine_out_release(&out);
	sim_free(&s);
}
END_TEST

/* ---- alerts (pkg/controller c.alert) ------------------------------ */

/* A whole release: initialization, new revision, promotion. */
START_TEST(test_machine__alerts_of_a_release)
{
	sim s;

	sim_init(&s, "", STEP10);
	sim_tick(&s);
	ck_assert_str_eq(
		s.alerts.ptr,
		"info+ New Deployment detected, initialization completed.\n");
	s.revision = "rev2";
	sim_tick(&s);
	ck_assert_str_eq(
		s.alerts.ptr,
		"info+ New revision detected, progressing canary analysis.\n");
	for (int i = 0; i < 7; i++) {
		sim_tick(&s);
		ck_assert_str_eq(s.alerts.ptr, "");
	}
	ck_assert_str_eq(gc_phase_name(s.st.phase), "Finalising");
	sim_tick(&s);
	ck_assert_str_eq(
		s.alerts.ptr,
		"info Canary analysis completed successfully, promotion finished.\n");
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__alerts_of_failures)
{
	sim s;

	/* threshold */
	sim_init(&s, "", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	s.st.failed_checks = 10;
	sim_tick(&s);
	ck_assert_str_eq(s.alerts.ptr,
			 "error Failed checks threshold reached 10\n");
	sim_free(&s);
	/* the progress deadline */
	sim_init(&s, DEADLINE60, STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	s.canary.state = GC_READY_WAITING;
	s.canary.message = WAITMSG;
	sim_tick(&s);
	ck_assert_str_eq(s.alerts.ptr, "");
	sim_tick(&s);
	ck_assert_str_eq(
		s.alerts.ptr,
		"error Progress deadline exceeded canary deployment podinfo.default not ready: " WAITMSG
		"\n");
	sim_free(&s);
	/* a failed promotion */
	sim_init(&s, "", STEP10);
	sim_running(&s, GC_PHASE_PROMOTING, 50, 50);
	s.primary.state = GC_READY_FAILED;
	s.primary.message =
		"deployment \"podinfo-primary\" exceeded its progress deadline";
	sim_tick(&s);
	ck_assert_str_eq(
		s.alerts.ptr,
		"error Promotion failed, primary not ready: deployment \"podinfo-primary\" exceeded its progress deadline\n");
	sim_free(&s);
	/* a rollback hook */
	sim_init(&s, "",
		 STEP10 ",\"webhooks\":[{\"name\":\"rb\",\"type\":\"rollback\","
			"\"url\":\"http://h/\"}]");
	sim_running(&s, GC_PHASE_PROGRESSING, 90, 10);
	sim_tick(&s);
	ck_assert_str_eq(s.alerts.ptr,
			 "warn Rolling back manual webhook invoked\n");
	sim_free(&s);
	/* skipped analysis */
	sim_init(&s, ",\"skipAnalysis\":true", STEP10);
	sim_running(&s, GC_PHASE_PROGRESSING, 100, 0);
	sim_tick(&s);
	ck_assert_str_eq(
		s.alerts.ptr,
		"info Canary analysis was skipped, promotion finished.\n");
	sim_free(&s);
}
END_TEST

/*
 * Gates: confirm-rollout and confirm-promotion alert when they start to
 * wait, confirm-traffic-increase at every closed tick; muteAlert mutes.
 */
static const struct {
	const char *type;
	gc_phase phase;
	int canary;
	bool mute;
	const char *first, *second;
} alert_gates[] = {
	{ "confirm-rollout", GC_PHASE_INITIALIZED, 0, false,
	  "warn Canary is waiting for approval.\n", "" },
	{ "confirm-traffic-increase", GC_PHASE_PROGRESSING, 10, false,
	  "warn Canary traffic increase is waiting for approval.\n",
	  "warn Canary traffic increase is waiting for approval.\n" },
	{ "confirm-promotion", GC_PHASE_PROGRESSING, 50, false,
	  "warn Canary promotion is waiting for approval.\n", "" },
	{ "confirm-rollout", GC_PHASE_INITIALIZED, 0, true, "", "" },
	{ "confirm-traffic-increase", GC_PHASE_PROGRESSING, 10, true, "", "" },
	{ "confirm-promotion", GC_PHASE_PROGRESSING, 50, true, "", "" },
};

START_TEST(test_machine__alerts_of_gates)
{
	char *analysis =
		gc_xasprintf(STEP10
			     ",\"webhooks\":[{\"name\":\"g\",\"type\":\"%s\","
			     "\"url\":\"http://h/\",\"muteAlert\":%s}]",
			     alert_gates[_i].type,
			     alert_gates[_i].mute ? "true" : "false");
	sim s;

	sim_init(&s, "", analysis);
	if (alert_gates[_i].phase == GC_PHASE_INITIALIZED)
		sim_released(&s);
	else
		sim_running(&s, alert_gates[_i].phase,
			    100 - alert_gates[_i].canary,
			    alert_gates[_i].canary);
	sim_fail(&s, "g", "Forbidden");
	sim_tick(&s);
	ck_assert_str_eq(s.alerts.ptr, alert_gates[_i].first);
	sim_tick(&s);
	ck_assert_str_eq(s.alerts.ptr, alert_gates[_i].second);
	sim_free(&s);
	free(analysis);
}
END_TEST

START_TEST(test_machine__due)
{
	gc_status st;
	sim s;

	sim_init(&s, "", STEP10);
	gc_status_init(&st);
	ck_assert(gc_machine_due(&s.spec, NULL, "rev1", NULL, 0, T0));
	st.phase = GC_PHASE_PROGRESSING;
	st.last_tick = T0;
	ck_assert(!gc_machine_due(&s.spec, &st, "rev1", NULL, T0, T0));
	ck_assert(!gc_machine_due(&s.spec, &st, "rev1", NULL, T0, T0 + 59));
	ck_assert(gc_machine_due(&s.spec, &st, "rev1", NULL, T0, T0 + 60));
	/* a tick the process made later than the status file's counts */
	ck_assert(
		!gc_machine_due(&s.spec, &st, "rev1", NULL, T0 + 30, T0 + 60));
	/* at rest: the interval does not matter, a new revision does */
	st.phase = GC_PHASE_SUCCEEDED;
	strcpy(st.last_applied_spec, "rev1");
	ck_assert(!gc_machine_due(&s.spec, &st, "rev1", NULL, T0, T0 + 600));
	ck_assert(gc_machine_due(&s.spec, &st, "rev2", NULL, T0, T0 + 1));
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__next_due)
{
	gc_status st;
	sim s;

	sim_init(&s, "", STEP10);
	ck_assert_int_eq(gc_machine_next_due(s.spec.interval_ms, T0), T0 + 60);
	s.spec.interval_ms = 1500; /* rounded up to whole seconds */
	ck_assert_int_eq(gc_machine_next_due(s.spec.interval_ms, T0), T0 + 2);
	gc_status_init(&st);
	st.last_tick = T0;
	st.phase = GC_PHASE_PROGRESSING;
	ck_assert(!gc_machine_due(&s.spec, &st, "", NULL, T0, T0 + 1));
	ck_assert(gc_machine_due(&s.spec, &st, "", NULL, T0, T0 + 2));
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__at_rest_wakes)
{
	gc_status st;

	gc_status_init(&st);
	ck_assert(gc_machine_at_rest(GC_PHASE_INITIALIZED));
	ck_assert(gc_machine_at_rest(GC_PHASE_SUCCEEDED));
	ck_assert(gc_machine_at_rest(GC_PHASE_FAILED));
	ck_assert(!gc_machine_at_rest(GC_PHASE_PROGRESSING));
	ck_assert(!gc_machine_at_rest(GC_PHASE_WAITING));
	st.phase = GC_PHASE_SUCCEEDED;
	strcpy(st.last_applied_spec, "rev1");
	ck_assert(!gc_machine_wakes(&st, "rev1", NULL));
	ck_assert(gc_machine_wakes(&st, "rev2", NULL));
	st.phase = GC_PHASE_FAILED;
	ck_assert(!gc_machine_wakes(&st, "rev1", NULL));
	ck_assert(gc_machine_wakes(&st, "rev2", NULL));
	gc_status_release(&st);
}
END_TEST

/* ---- the spec: intervals, defaults, refusals --------------------------- */

static const struct {
	const char *interval;
	int64_t min_ms, want_ms;
} intervals[] = {
	{ "", 0, 60000 },       { "1m", 0, 60000 },      { "1m30s", 0, 90000 },
	{ "5s", 0, 10000 },     { "1h", 0, 3600000 },    { "5s", 1000, 5000 },
	{ "1s", 1000, 1000 },   { "500ms", 1000, 1000 }, { "500ms", 200, 1000 },
	{ "2.5s", 1000, 2500 },
};

START_TEST(test_machine__interval)
{
	char *an = gc_xasprintf("\"interval\":\"%s\",\"stepWeight\":10",
				intervals[_i].interval);
	char *json = canary_json("test", "", an);
	cJSON *doc = cJSON_Parse(json);
	gc_canary_spec_opts opts = { intervals[_i].min_ms };
	gc_canary_spec spec;

	ck_assert_int_eq(gc_canary_spec_parse(&spec, doc, "test", &opts, NULL),
			 0);
	ck_assert_int_eq(spec.interval_ms, intervals[_i].want_ms);
	gc_canary_spec_release(&spec);
	cJSON_Delete(doc);
	free(json);
	free(an);
}
END_TEST

START_TEST(test_machine__spec_defaults)
{
	sim s;

	sim_init(&s, "", "\"stepWeight\":10");
	ck_assert_int_eq(s.spec.threshold, 1);
	ck_assert_int_eq(s.spec.max_weight, 100);
	ck_assert_int_eq(s.spec.progress_deadline_s, 600);
	ck_assert_int_eq(s.spec.primary_ready_threshold, 100);
	ck_assert_int_eq(s.spec.canary_ready_threshold, 100);
	ck_assert_str_eq(s.spec.service, "podinfo");
	ck_assert_str_eq(s.spec.target_kind, "Deployment");
	ck_assert_int_eq(s.spec.strategy, GC_STRATEGY_CANARY);
	ck_assert(!s.spec.skip_analysis);
	sim_free(&s);
}
END_TEST

START_TEST(test_machine__no_analysis_skips)
{
	cJSON *doc = cJSON_Parse(
		"{\"metadata\":{\"name\":\"web\"},\"spec\":{\"targetRef\":{\"name\":\"podinfo\"},"
		"\"service\":{\"name\":\"front\",\"port\":80}}}");
	gc_canary_spec spec;

	ck_assert_int_eq(gc_canary_spec_parse(&spec, doc, NULL, NULL, NULL), 0);
	ck_assert(spec.skip_analysis);
	ck_assert_str_eq(spec.namespace, "default");
	ck_assert_str_eq(spec.name, "web");
	ck_assert_str_eq(spec.target, "podinfo");
	ck_assert_str_eq(spec.service, "front");
	ck_assert_int_eq(spec.interval_ms, 60000);
	gc_canary_spec_release(&spec);
	cJSON_Delete(doc);
}
END_TEST

static const struct {
	const char *analysis;
	const char *msg;
} refused[] = {
	{ "\"interval\":\"1m\"",
	  "spec.analysis: needs iterations, stepWeight or stepWeights" },
	{ "\"stepWeights\":[10,5]",
	  "spec.analysis.stepWeights: must be strictly increasing positive weights" },
	{ "\"stepWeight\":\"ten\"",
	  "spec.analysis.stepWeight: must be an integer" },
	{ "\"stepWeight\":10,\"webhooks\":[{\"name\":\"x\",\"url\":\"http://h/\",\"type\":\"pre\"}]",
	  "spec.analysis.webhooks[0].type: unknown type 'pre'" },
	{ "\"stepWeight\":10,\"webhooks\":[{\"name\":\"x\"}]",
	  "spec.analysis.webhooks[0].url: required" },
	{ "\"stepWeight\":10,\"metrics\":[{\"query\":\"up\"}]",
	  "spec.analysis.metrics[0].name: required" },
	{ "\"interval\":\"30sec\",\"stepWeight\":10",
	  "spec.analysis.interval: Invalid value: \"30sec\": not a valid duration (Go's time.ParseDuration: e.g. 30s, 1m30s)" },
};

START_TEST(test_machine__spec_refused)
{
	char *json = canary_json("test", "", refused[_i].analysis);
	cJSON *doc = cJSON_Parse(json);
	gc_error err = GC_ERROR_INIT;
	gc_canary_spec spec;

	ck_assert_int_eq(gc_canary_spec_parse(&spec, doc, "test", NULL, &err),
			 GC_EINVALID);
	ck_assert_str_eq(gc_error_msg(&err), refused[_i].msg);
	gc_error_release(&err);
	cJSON_Delete(doc);
	free(json);
}
END_TEST

static Suite *gc_suite_machine(void)
{
	Suite *s = suite_create("machine");
	TCase *sched = tcase_create("scheduler");
	TCase *hooks = tcase_create("webhooks");
	TCase *dl = tcase_create("deadlines");
	TCase *misc = tcase_create("misc");

	tcase_add_test(sched, test_machine__init);
	tcase_add_loop_test(sched, test_machine__new_revision, 0,
			    GC_ARRAY_SIZE(scale));
	tcase_add_test(sched, test_machine__rollback_threshold);
	tcase_add_test(sched, test_machine__failed_checks_cumulative);
	tcase_add_loop_test(sched, test_machine__promotion_primary_not_ready, 0,
			    2);
	tcase_add_test(sched, test_machine__skip_analysis);
	tcase_add_test(sched, test_machine__analysis_phases);
	tcase_add_test(sched, test_machine__blue_green_phases);
	tcase_add_test(sched, test_machine__blue_green_mirror);
	tcase_add_test(sched, test_machine__new_revision_reset);
	tcase_add_test(sched, test_machine__init_tracks_configs);
	tcase_add_test(sched, test_machine__config_change_starts_release);
	tcase_add_loop_test(sched,
			    test_machine__config_change_restarts_analysis, 0,
			    2);
	tcase_add_loop_test(sched, test_machine__config_change_rules, 0,
			    GC_ARRAY_SIZE(cfg_rules));
	tcase_add_test(sched, test_machine__failed_refresh_tracks_configs);
	tcase_add_test(sched, test_machine__config_revert);
	tcase_add_test(sched, test_machine__promotion);
	tcase_add_test(sched, test_machine__mirroring);
	tcase_add_test(sched, test_machine__ab_testing);
	tcase_add_loop_test(sched, test_machine__weight_ladders, 0,
			    GC_ARRAY_SIZE(ladders));
	tcase_add_test(sched, test_machine__seed_timeline);
	suite_add_tcase(s, sched);

	tcase_add_test(hooks, test_machine__webhook_trace);
	tcase_add_test(hooks, test_machine__confirm_rollout_gate);
	tcase_add_test(hooks, test_machine__confirm_traffic_increase_gate);
	tcase_add_test(hooks, test_machine__confirm_promotion_gate);
	tcase_add_test(hooks, test_machine__pre_rollout_and_rollout_failures);
	tcase_add_test(hooks, test_machine__rollback_hook);
	tcase_add_test(hooks, test_machine__post_rollout_failure);
	suite_add_tcase(s, hooks);

	tcase_add_test(dl, test_machine__deadline_canary_readiness);
	tcase_add_test(dl, test_machine__deadline_resets_on_progress);
	tcase_add_loop_test(dl, test_machine__deadline_gates, 0, 3);
	tcase_add_test(dl, test_machine__deadline_promotion);
	tcase_add_test(dl, test_machine__deadline_initialization);
	tcase_add_test(dl, test_machine__deadline_blue_green_promotion_gate);
	tcase_add_test(dl, test_machine__canary_failed_readiness);
	suite_add_tcase(s, dl);

	tcase_add_loop_test(misc, test_machine__revert_aborts, 0, 3);
	tcase_add_test(misc, test_machine__suspend);
	tcase_add_test(misc, test_machine__steady_states);
	tcase_add_test(misc, test_machine__resumable_and_pure);
	tcase_add_test(misc, test_machine__event_phases);
	tcase_add_test(misc, test_machine__alerts_of_a_release);
	tcase_add_test(misc, test_machine__alerts_of_failures);
	tcase_add_loop_test(misc, test_machine__alerts_of_gates, 0,
			    GC_ARRAY_SIZE(alert_gates));
	tcase_add_test(misc, test_machine__due);
	tcase_add_test(misc, test_machine__next_due);
	tcase_add_test(misc, test_machine__at_rest_wakes);
	tcase_add_loop_test(misc, test_machine__interval, 0,
			    GC_ARRAY_SIZE(intervals));
	tcase_add_test(misc, test_machine__spec_defaults);
	tcase_add_test(misc, test_machine__no_analysis_skips);
	tcase_add_loop_test(misc, test_machine__spec_refused, 0,
			    GC_ARRAY_SIZE(refused));
	suite_add_tcase(s, misc);
	return s;
}

GC_TEST_MAIN(gc_suite_machine)
