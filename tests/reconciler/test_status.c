#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reconciler/release/status.h"
#include "status_same.h"

START_TEST(test_status__time_roundtrip)
{
	static const struct {
		const char *text;
		int64_t t;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-26T15:49:58Z", 1795708198 },
		{ "2000-02-29T23:59:59Z", 951868799 },
	};
	char buf[GC_TIME_MAX];
	int64_t t;

	for (size_t i = 0; i < GC_ARRAY_SIZE(cases); i++) {
		gc_time_format(buf, cases[i].t);
		ck_assert_str_eq(buf, cases[i].text);
		ck_assert_int_eq(gc_time_parse(&t, cases[i].text), 0);
		ck_assert_int_eq(t, cases[i].t);
	}
	ck_assert_int_eq(gc_time_parse(&t, "2026-11-26T16:49:58.123+01:00"), 0);
	ck_assert_int_eq(t, 1795708198);
	ck_assert_int_eq(gc_time_parse(&t, "2026-11-26 15:49:58"), GC_EINVALID);
	ck_assert_int_eq(gc_time_parse(&t, "2026-13-26T15:49:58Z"),
			 GC_EINVALID);
}
END_TEST

/* §2.4: every phase's condition status and message. */
static const struct {
	gc_phase phase;
	const char *status;
	const char *message;
} conds[] = {
	{ GC_PHASE_INITIALIZING, "Unknown",
	  "New Deployment detected, starting initialization." },
	{ GC_PHASE_INITIALIZED, "True",
	  "Deployment initialization completed." },
	{ GC_PHASE_WAITING, "Unknown", "Waiting for approval." },
	{ GC_PHASE_WAITING_PROMOTION, "Unknown", "Waiting for approval." },
	{ GC_PHASE_PROGRESSING, "Unknown",
	  "New revision detected, progressing canary analysis." },
	{ GC_PHASE_PROMOTING, "Unknown",
	  "Canary analysis completed, starting primary rolling update." },
	{ GC_PHASE_FINALISING, "Unknown",
	  "Canary analysis completed, routing all traffic to primary." },
	{ GC_PHASE_SUCCEEDED, "True",
	  "Canary analysis completed successfully, promotion finished." },
	{ GC_PHASE_FAILED, "False",
	  "Canary analysis failed, Deployment scaled to zero." },
	{ GC_PHASE_TERMINATING, "Unknown",
	  "New Deployment detected, starting initialization." },
};

START_TEST(test_status__condition_texts)
{
	gc_status s;

	gc_status_init(&s);
	s.phase = conds[_i].phase;
	gc_status_update_condition(&s, "Deployment", 100);
	ck_assert(s.condition.present);
	ck_assert_str_eq(gc_cond_status_name(s.condition.status),
			 conds[_i].status);
	ck_assert_str_eq(s.condition.reason, gc_phase_name(conds[_i].phase));
	ck_assert_str_eq(s.condition.message, conds[_i].message);
	ck_assert_int_eq(s.condition.last_update_time, 100);
	ck_assert_int_eq(s.condition.last_transition_time, 100);
	gc_status_release(&s);
}
END_TEST

START_TEST(test_status__condition_time_rules)
{
	gc_status s;

	gc_status_init(&s);
	s.phase = GC_PHASE_PROGRESSING;
	gc_status_update_condition(&s, "Deployment", 100);
	/* same status and reason: untouched */
	gc_status_update_condition(&s, "Deployment", 200);
	ck_assert_int_eq(s.condition.last_update_time, 100);
	ck_assert_int_eq(s.condition.last_transition_time, 100);
	/* Unknown -> Unknown with a new reason: transition time kept */
	s.phase = GC_PHASE_PROMOTING;
	gc_status_update_condition(&s, "Deployment", 300);
	ck_assert_str_eq(s.condition.reason, "Promoting");
	ck_assert_int_eq(s.condition.last_update_time, 300);
	ck_assert_int_eq(s.condition.last_transition_time, 100);
	/* Unknown -> True: both times */
	s.phase = GC_PHASE_SUCCEEDED;
	gc_status_update_condition(&s, "Deployment", 400);
	ck_assert_int_eq(s.condition.last_update_time, 400);
	ck_assert_int_eq(s.condition.last_transition_time, 400);
	gc_status_release(&s);
}
END_TEST

static const char full_json[] =
	"{\"phase\":\"Progressing\",\"canaryWeight\":10,\"failedChecks\":1,"
	"\"iterations\":0,\"trackedConfigs\":{\"configmap/podinfo-config\":\"0123456789abcdef\"},"
	"\"lastAppliedSpec\":\"5f56684589\",\"lastPromotedSpec\":\"7c45b9c4d6\","
	"\"lastTransitionTime\":\"2026-11-26T15:49:58Z\","
	"\"conditions\":[{\"type\":\"Promoted\",\"status\":\"Unknown\","
	"\"lastUpdateTime\":\"2026-11-26T15:49:58Z\","
	"\"lastTransitionTime\":\"2026-11-26T15:40:00Z\",\"reason\":\"Progressing\","
	"\"message\":\"New revision detected, progressing canary analysis.\"}],"
	"\"gitcanary\":{\"lastTickTime\":\"2026-11-26T15:49:58Z\","
	"\"waitingSince\":\"2026-11-26T15:48:58Z\"}}";

START_TEST(test_status__json_roundtrip)
{
	cJSON *in = cJSON_Parse(full_json), *out;
	gc_status s, copy;
	gc_error err = GC_ERROR_INIT;
	char *text;

	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(gc_status_from_json(&s, in, &err), 0);
	ck_assert_int_eq(s.phase, GC_PHASE_PROGRESSING);
	ck_assert_int_eq(s.canary_weight, 10);
	ck_assert_int_eq(s.failed_checks, 1);
	ck_assert_str_eq(s.last_applied_spec, "5f56684589");
	ck_assert_str_eq(s.last_promoted_spec, "7c45b9c4d6");
	ck_assert_int_eq(s.last_tick, 1795708198);
	ck_assert_int_eq(s.waiting_since, 1795708138);
	ck_assert_int_eq(s.condition.last_transition_time, 1795707600);
	out = gc_status_to_json(&s);
	text = cJSON_PrintUnformatted(out);
	ck_assert_str_eq(text, full_json);
	gc_status_copy(&copy, &s);
	ck_assert(status_same(&copy, &s));
	copy.failed_checks = 2;
	ck_assert(!status_same(&copy, &s));
	free(text);
	cJSON_Delete(out);
	cJSON_Delete(in);
	gc_status_release(&s);
	gc_status_release(&copy);
}
END_TEST

START_TEST(test_status__minimal_json)
{
	cJSON *out;
	gc_status s;
	char *text;

	gc_status_init(&s);
	out = gc_status_to_json(&s);
	text = cJSON_PrintUnformatted(out);
	ck_assert_str_eq(
		text,
		"{\"phase\":\"\",\"canaryWeight\":0,\"failedChecks\":0,\"iterations\":0}");
	free(text);
	cJSON_Delete(out);
}
END_TEST

static const struct {
	const char *json;
	const char *msg;
} bad[] = {
	{ "{\"phase\":\"Flying\"}", "status.phase: unknown phase 'Flying'" },
	{ "{\"canaryWeight\":\"ten\"}",
	  "status.canaryWeight: must be a number" },
	{ "{\"lastTransitionTime\":\"yesterday\"}",
	  "status.lastTransitionTime: not an RFC 3339 time 'yesterday'" },
	{ "{\"gitcanary\":{\"lastTickTime\":5}}",
	  "status.gitcanary.lastTickTime: must be a string" },
	{ "[]", "status: must be an object" },
};

START_TEST(test_status__bad_json)
{
	cJSON *in = cJSON_Parse(bad[_i].json);
	gc_error err = GC_ERROR_INIT;
	gc_status s;

	ck_assert_int_eq(gc_status_from_json(&s, in, &err), GC_EINVALID);
	ck_assert_str_eq(gc_error_msg(&err), bad[_i].msg);
	gc_error_release(&err);
	cJSON_Delete(in);
}
END_TEST

static Suite *gc_suite_status(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("status");

	tcase_add_test(tc, test_status__time_roundtrip);
	tcase_add_loop_test(tc, test_status__condition_texts, 0,
			    GC_ARRAY_SIZE(conds));
	tcase_add_test(tc, test_status__condition_time_rules);
	tcase_add_test(tc, test_status__json_roundtrip);
	tcase_add_test(tc, test_status__minimal_json);
	tcase_add_loop_test(tc, test_status__bad_json, 0, GC_ARRAY_SIZE(bad));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_status)
