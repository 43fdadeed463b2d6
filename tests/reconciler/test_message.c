#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reconciler/release/message.h"
#include "util/alloc.h"
#include "util/json.h"

/* The deploy commit message and the notes, built from plain values. */

static char m_start[] = "Starting canary analysis for podinfo.test";
static char m_adv[] = "Advance podinfo.test canary weight 10";
static char m_halt[] =
	"Halt backend.prod advancement external check smoke failed: 500";

static gc_event ev_adv[] = {
	{ GC_EVENT_NORMAL, false, GC_PHASE_PROGRESSING, m_start, GC_ALERT_NONE,
	  NULL, false },
	{ GC_EVENT_NORMAL, false, GC_PHASE_PROGRESSING, m_adv, GC_ALERT_NONE,
	  NULL, false },
};
static gc_event ev_halt[] = {
	{ GC_EVENT_WARNING, false, GC_PHASE_PROGRESSING, m_halt, GC_ALERT_NONE,
	  NULL, false },
};

static const gc_msg_canary one = { "test", "podinfo", "Progressing", 10,
				   90,     0,         "5f56684589",  "abc123",
				   ev_adv, 2,         NULL,          0,
				   NULL,   0,         NULL };
static const gc_msg_canary two[] = {
	{ "test", "podinfo", "Progressing", 10, 90, 0, "5f56684589", "abc123",
	  ev_adv, 2, NULL, 0, NULL, 0, NULL },
	{ "prod", "backend", "Progressing", 20, 80, 1, "7c45b9c4d6", "",
	  ev_halt, 1, NULL, 0, NULL, 0, NULL },
};

static const struct {
	const gc_msg_canary *c;
	size_t n;
	const char *want;
} cases[] = {
	{ &one, 1,
	  "Advance podinfo.test canary weight 10\n\n"
	  "test/podinfo: Starting canary analysis for podinfo.test\n"
	  "test/podinfo: Advance podinfo.test canary weight 10\n\n"
	  "Canary: test/podinfo\nPhase: Progressing\nCanary-Weight: 10\n"
	  "Primary-Weight: 90\nFailed-Checks: 0\nRevision: 5f56684589\n"
	  "Source-Commit: abc123\n" },
	{ two, 2,
	  "Reconcile 2 canaries\n\n"
	  "test/podinfo: Starting canary analysis for podinfo.test\n"
	  "test/podinfo: Advance podinfo.test canary weight 10\n"
	  "prod/backend: warning: Halt backend.prod advancement external check smoke failed: 500\n\n"
	  "Canary: test/podinfo\nPhase: Progressing\nCanary-Weight: 10\n"
	  "Primary-Weight: 90\nFailed-Checks: 0\nRevision: 5f56684589\n"
	  "Source-Commit: abc123\n"
	  "Canary: prod/backend\nPhase: Progressing\nCanary-Weight: 20\n"
	  "Primary-Weight: 80\nFailed-Checks: 1\nRevision: 7c45b9c4d6\n" },
	{ NULL, 0,
	  "Sync 0123456789ab from main\n\n"
	  "Source-Commit: 0123456789abcdef0123456789abcdef01234567\n" },
};

START_TEST(test_message__commit)
{
	gc_buf b = GC_BUF_INIT;

	gc_message_commit(&b, cases[_i].c, cases[_i].n,
			  "0123456789abcdef0123456789abcdef01234567", "main");
	ck_assert_str_eq(b.ptr, cases[_i].want);
	gc_buf_release(&b);
}
END_TEST

/* git itself reads the trailers: one block per canary */
START_TEST(test_message__git_reads_trailers)
{
	char *dir = gc_test_tmpdir(), *path = gc_xasprintf("%s/msg", dir);
	gc_buf b = GC_BUF_INIT, out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	gc_message_commit(&b, two, 2,
			  "0123456789abcdef0123456789abcdef01234567", "main");
	ck_assert_int_eq(gc_buf_write_file(path, b.ptr, b.len, &err), 0);
	ck_assert_int_eq(gc_test_sh(&out, NULL,
				    "git interpret-trailers --parse '%s'",
				    path),
			 0);
	ck_assert_str_eq(out.ptr, "Canary: test/podinfo\nPhase: Progressing\n"
				  "Canary-Weight: 10\nPrimary-Weight: 90\n"
				  "Failed-Checks: 0\nRevision: 5f56684589\n"
				  "Source-Commit: abc123\n"
				  "Canary: prod/backend\nPhase: Progressing\n"
				  "Canary-Weight: 20\nPrimary-Weight: 80\n"
				  "Failed-Checks: 1\nRevision: 7c45b9c4d6\n");
	gc_buf_release(&b);
	gc_buf_release(&out);
	gc_test_rmrf(dir);
	free(dir);
	free(path);
}
END_TEST

START_TEST(test_message__evidence)
{
	cJSON *j = gc_message_evidence(two, 2, "abc123", 1795708198);
	char *s = cJSON_PrintUnformatted(j);

	ck_assert_str_eq(
		s,
		"{\"sourceCommit\":\"abc123\",\"time\":\"2026-11-26T15:49:58Z\",\"canaries\":["
		"{\"canary\":\"test/podinfo\",\"phase\":\"Progressing\",\"canaryWeight\":10,\"failedChecks\":0,"
		"\"events\":[{\"type\":\"Normal\",\"message\":\"Starting canary analysis for podinfo.test\"},"
		"{\"type\":\"Normal\",\"message\":\"Advance podinfo.test canary weight 10\"}],\"checks\":[]},"
		"{\"canary\":\"prod/backend\",\"phase\":\"Progressing\",\"canaryWeight\":20,\"failedChecks\":1,"
		"\"events\":[{\"type\":\"Warning\",\"message\":\"Halt backend.prod advancement external check smoke failed: 500\"}],\"checks\":[]}]}");
	free(s);
	cJSON_Delete(j);
}
END_TEST

/* event webhook deliveries go with the canary's evidence, when any */
START_TEST(test_message__evidence_of_event_webhooks)
{
	gc_check chk = { 0 };
	gc_check_batch b = { &chk, 1, false, false };
	gc_msg_canary c = one;
	cJSON *j;
	char *s;

	chk.evidence = cJSON_Parse("{\"name\":\"events\",\"status\":200}");
	c.deliveries = &b;
	c.ndeliveries = 1;
	j = gc_message_evidence(&c, 1, "abc123", 1795708198);
	s = cJSON_PrintUnformatted(gc_json_get(j, "canaries")->child);
	ck_assert_ptr_nonnull(
		strstr(s,
		       "\"checks\":[],\"eventWebhooks\":[{\"name\":\"events\","
		       "\"status\":200}]}"));
	free(s);
	cJSON_Delete(j);
	gc_check_release(&chk);
}
END_TEST

static const struct {
	const char *match, *want;
} matches[] = {
	{ "[{\"headers\":{\"x-canary\":{\"exact\":\"insider\"}}}]",
	  "x-canary" },
	{ "[{\"headers\":{\"user-agent\":{\"regex\":\".*Firefox.*\"}}},"
	  "{\"headers\":{\"cookie\":{\"regex\":\"^(.*?;)?(canary=always)(;.*)?$\"}}}]",
	  "user-agent, cookie" },
	{ "[{\"headers\":{\"x-canary\":{\"exact\":\"a\"}}},"
	  "{\"headers\":{\"x-canary\":{\"exact\":\"b\"}},\"uri\":{\"prefix\":\"/\"}}]",
	  "x-canary" },
	{ "[{\"sourceLabels\":{\"app\":\"web\"},\"uri\":{\"prefix\":\"/api\"}}]",
	  "sourceLabels, uri" },
	{ "[]", "" },
};

START_TEST(test_message__match_summary)
{
	cJSON *m = cJSON_Parse(matches[_i].match);
	char out[GC_MESSAGE_MATCH_MAX];

	gc_message_match(out, m);
	ck_assert_str_eq(out, matches[_i].want);
	cJSON_Delete(m);
}
END_TEST

START_TEST(test_message__outcome_keeps_other_releases)
{
	gc_msg_outcome a = { "test", "podinfo",    true, 1795708198, 50,
			     0,      "5f56684589", "d1", NULL,       NULL };
	/* an A/B release says what it matched, not a weight */
	gc_msg_outcome b = { "prod",       "backend", false,
			     1795708200,   100,       2,
			     "7c45b9c4d6", "d2",      "Canary failed!",
			     "x-canary" };
	cJSON *j1 = gc_message_outcome(NULL, &a, 1), *j2, *j3;
	char *s1 = cJSON_PrintUnformatted(j1), *s2, *s3;

	j2 = gc_message_outcome(s1, &b, 1);
	s2 = cJSON_PrintUnformatted(j2);
	/* the same release written twice (a retried tick) stays once */
	j3 = gc_message_outcome(s2, &b, 1);
	s3 = cJSON_PrintUnformatted(j3);
	ck_assert_str_eq(s3, s2);
	ck_assert_str_eq(
		s2,
		"{\"releases\":[{\"canary\":\"test/podinfo\",\"outcome\":\"promoted\","
		"\"time\":\"2026-11-26T15:49:58Z\",\"maxWeight\":50,\"failedChecks\":0,"
		"\"revision\":\"5f56684589\",\"deployCommit\":\"d1\"},"
		"{\"canary\":\"prod/backend\",\"outcome\":\"rolled back\","
		"\"time\":\"2026-11-26T15:50:00Z\",\"match\":\"x-canary\",\"failedChecks\":2,"
		"\"revision\":\"7c45b9c4d6\",\"deployCommit\":\"d2\",\"lastEvent\":\"Canary failed!\"}]}");
	free(s1);
	free(s2);
	free(s3);
	cJSON_Delete(j1);
	cJSON_Delete(j2);
	cJSON_Delete(j3);
}
END_TEST

Suite *gc_suite_message(void);

Suite *gc_suite_message(void)
{
	Suite *s = suite_create("message");
	TCase *tc = tcase_create("message");

	tcase_add_loop_test(tc, test_message__commit, 0, GC_ARRAY_SIZE(cases));
	tcase_add_test(tc, test_message__git_reads_trailers);
	tcase_add_test(tc, test_message__evidence);
	tcase_add_test(tc, test_message__evidence_of_event_webhooks);
	tcase_add_test(tc, test_message__outcome_keeps_other_releases);
	tcase_add_loop_test(tc, test_message__match_summary, 0,
			    GC_ARRAY_SIZE(matches));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_message)
