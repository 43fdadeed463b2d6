/*
 * Flagger's alert payloads byte for byte. The expected bodies are what
 * json.Marshal writes for the structs of fluxcd/flagger pkg/notifier
 * (slack.go SlackPayload/SlackAttachment/SlackField, teams.go
 * MSTeamsPayload, gchat.go GChatPayload; discord.go and rocket.go reuse
 * SlackPayload): struct field order, icon_url always present and empty,
 * text omitted (omitempty), fields/facts `[]` when empty, and <, >, &
 * escaped as \u003c, \u003e, \u0026.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reconciler/checks/notifier.h"
#include "util/buf.h"
#include "util/common.h"

static const gc_notifier_field two[] = {
	{ "Cluster", "prod-eu" },
	{ "Target", "Deployment/podinfo.test" },
};

static const struct {
	gc_notifier_type type;
	gc_alert_severity severity;
	const char *message;
	size_t nfields;
	const char *body;
} cases[] = {
	{ GC_NOTIFIER_SLACK, GC_ALERT_INFO,
	  "New revision detected, progressing canary analysis.", 2,
	  "{\"channel\":\"on-call\",\"username\":\"flagger\",\"icon_url\":\"\",\"icon_emoji\":\":rocket:\","
	  "\"attachments\":[{\"color\":\"good\",\"author_name\":\"podinfo.test\","
	  "\"text\":\"New revision detected, progressing canary analysis.\",\"mrkdwn_in\":[\"text\"],"
	  "\"fields\":[{\"title\":\"Cluster\",\"value\":\"prod-eu\",\"short\":false},"
	  "{\"title\":\"Target\",\"value\":\"Deployment/podinfo.test\",\"short\":false}]}]}" },
	{ GC_NOTIFIER_SLACK, GC_ALERT_ERROR,
	  "Failed checks threshold reached 2", 0,
	  "{\"channel\":\"on-call\",\"username\":\"flagger\",\"icon_url\":\"\",\"icon_emoji\":\":rocket:\","
	  "\"attachments\":[{\"color\":\"danger\",\"author_name\":\"podinfo.test\","
	  "\"text\":\"Failed checks threshold reached 2\",\"mrkdwn_in\":[\"text\"],\"fields\":[]}]}" },
	{ GC_NOTIFIER_SLACK, GC_ALERT_WARN, "Canary is waiting for approval.",
	  0,
	  "{\"channel\":\"on-call\",\"username\":\"flagger\",\"icon_url\":\"\",\"icon_emoji\":\":rocket:\","
	  "\"attachments\":[{\"color\":\"good\",\"author_name\":\"podinfo.test\","
	  "\"text\":\"Canary is waiting for approval.\",\"mrkdwn_in\":[\"text\"],\"fields\":[]}]}" },
	{ GC_NOTIFIER_DISCORD, GC_ALERT_ERROR,
	  "Progress deadline exceeded canary deployment podinfo.test not ready",
	  0,
	  "{\"channel\":\"on-call\",\"username\":\"flagger\",\"icon_url\":\"\",\"icon_emoji\":\":rocket:\","
	  "\"attachments\":[{\"color\":\"danger\",\"author_name\":\"podinfo.test\","
	  "\"text\":\"Progress deadline exceeded canary deployment podinfo.test not ready\","
	  "\"mrkdwn_in\":[\"text\"],\"fields\":[]}]}" },
	{ GC_NOTIFIER_ROCKET, GC_ALERT_INFO,
	  "Canary analysis completed successfully, promotion finished.", 1,
	  "{\"channel\":\"on-call\",\"username\":\"flagger\",\"icon_url\":\"\",\"icon_emoji\":\":rocket:\","
	  "\"attachments\":[{\"color\":\"#0076D7\",\"author_name\":\"podinfo.test\","
	  "\"text\":\"Canary analysis completed successfully, promotion finished.\",\"mrkdwn_in\":[\"text\"],"
	  "\"fields\":[{\"title\":\"Cluster\",\"value\":\"prod-eu\",\"short\":false}]}]}" },
	{ GC_NOTIFIER_ROCKET, GC_ALERT_ERROR,
	  "Failed checks threshold reached 5", 0,
	  "{\"channel\":\"on-call\",\"username\":\"flagger\",\"icon_url\":\"\",\"icon_emoji\":\":rocket:\","
	  "\"attachments\":[{\"color\":\"#FF0000\",\"author_name\":\"podinfo.test\","
	  "\"text\":\"Failed checks threshold reached 5\",\"mrkdwn_in\":[\"text\"],\"fields\":[]}]}" },
	{ GC_NOTIFIER_MSTEAMS, GC_ALERT_INFO,
	  "New Deployment detected, initialization completed.", 2,
	  "{\"@type\":\"MessageCard\",\"@context\":\"http://schema.org/extensions\",\"themeColor\":\"0076D7\","
	  "\"summary\":\"podinfo.test\",\"sections\":[{\"activityTitle\":\"New Deployment detected, initialization completed.\","
	  "\"activitySubtitle\":\"podinfo.test\",\"facts\":[{\"name\":\"Cluster\",\"value\":\"prod-eu\"},"
	  "{\"name\":\"Target\",\"value\":\"Deployment/podinfo.test\"}]}]}" },
	{ GC_NOTIFIER_MSTEAMS, GC_ALERT_ERROR,
	  "Promotion failed, primary not ready: a & b", 0,
	  "{\"@type\":\"MessageCard\",\"@context\":\"http://schema.org/extensions\",\"themeColor\":\"FF0000\","
	  "\"summary\":\"podinfo.test\",\"sections\":[{\"activityTitle\":\"Promotion failed, primary not ready: a \\u0026 b\","
	  "\"activitySubtitle\":\"podinfo.test\",\"facts\":[]}]}" },
	{ GC_NOTIFIER_GCHAT, GC_ALERT_WARN,
	  "Rolling back manual webhook invoked", 2,
	  "{\"cards\":[{\"header\":{\"title\":\"Flagger\",\"subtitle\":\"podinfo.test\","
	  "\"imageUrl\":\"https://flagger.app/favicon.png\"},\"sections\":["
	  "{\"widgets\":[{\"textParagraph\":{\"text\":\"\\u003cfont color=#848484\\u003e\\u003cstrong\\u003e"
	  "Rolling back manual webhook invoked\\u003c/strong\\u003e\\u003c/font\\u003e\"}}]},"
	  "{\"widgets\":[{\"textParagraph\":{\"text\":\"Cluster\\u003cbr\\u003e\\u003cfont color=#848484\\u003e"
	  "\\u003cstrong\\u003eprod-eu\\u003c/strong\\u003e\\u003c/font\\u003e\"}}]},"
	  "{\"widgets\":[{\"textParagraph\":{\"text\":\"Target\\u003cbr\\u003e\\u003cfont color=#848484\\u003e"
	  "\\u003cstrong\\u003eDeployment/podinfo.test\\u003c/strong\\u003e\\u003c/font\\u003e\"}}]}]}]}" },
	{ GC_NOTIFIER_GCHAT, GC_ALERT_ERROR,
	  "Failed checks threshold reached 1", 0,
	  "{\"cards\":[{\"header\":{\"title\":\"Flagger\",\"subtitle\":\"podinfo.test\","
	  "\"imageUrl\":\"https://flagger.app/favicon.png\"},\"sections\":["
	  "{\"widgets\":[{\"textParagraph\":{\"text\":\"\\u003cfont color=#848484\\u003e\\u003cstrong\\u003e"
	  "Failed checks threshold reached 1\\u003c/strong\\u003e\\u003c/font\\u003e\"}}]}]}]}" },
};

START_TEST(test_notifier__flagger_bodies)
{
	gc_notifier_post p = { 0 };
	gc_buf body = GC_BUF_INIT;

	p.workload = "podinfo";
	p.namespace = "test";
	p.message = cases[_i].message;
	p.fields = two;
	p.nfields = cases[_i].nfields;
	p.severity = cases[_i].severity;
	p.username = "flagger";
	p.channel = "on-call";
	gc_notifier_body(&body, cases[_i].type, &p);
	ck_assert_str_eq(body.ptr, cases[_i].body);
	gc_buf_release(&body);
}
END_TEST

/* json.Marshal's string escapes, which cJSON alone does not write. */
START_TEST(test_notifier__go_string_escapes)
{
	gc_notifier_post p = { 0 };
	gc_buf body = GC_BUF_INIT;

	p.workload = "podinfo";
	p.namespace = "test";
	/* quote, backslash, tab, newline, a control byte, \b, \f, U+2028,
	 * an invalid byte, a valid é and <>& */
	p.message =
		"q\" b\\ t\t n\n c\x01 \b\f ls\xe2\x80\xa8 bad\xff e\xc3\xa9 <>&";
	p.severity = GC_ALERT_INFO;
	gc_notifier_body(&body, GC_NOTIFIER_MSTEAMS, &p);
	ck_assert_str_eq(
		body.ptr,
		"{\"@type\":\"MessageCard\",\"@context\":\"http://schema.org/extensions\",\"themeColor\":\"0076D7\","
		"\"summary\":\"podinfo.test\",\"sections\":[{\"activityTitle\":"
		"\"q\\\" b\\\\ t\\t n\\n c\\u0001 \\b\\f ls\\u2028 bad\\ufffd e\xc3\xa9 \\u003c\\u003e\\u0026\","
		"\"activitySubtitle\":\"podinfo.test\",\"facts\":[]}]}");
	gc_buf_release(&body);
}
END_TEST

static const struct {
	gc_notifier_type type;
	const char *address, *url;
} urls[] = {
	{ GC_NOTIFIER_DISCORD, "https://discord.com/api/webhooks/1/tok",
	  "https://discord.com/api/webhooks/1/tok/slack" },
	{ GC_NOTIFIER_DISCORD, "https://discord.com/api/webhooks/1/tok/",
	  "https://discord.com/api/webhooks/1/tok/slack" },
	{ GC_NOTIFIER_DISCORD, "https://discord.com/api/webhooks/1/tok/slack",
	  "https://discord.com/api/webhooks/1/tok/slack" },
	{ GC_NOTIFIER_DISCORD, "http://127.0.0.1:8080?wait=true",
	  "http://127.0.0.1:8080/slack?wait=true" },
	{ GC_NOTIFIER_SLACK, "https://hooks.slack.com/services/T/B/x",
	  "https://hooks.slack.com/services/T/B/x" },
	{ GC_NOTIFIER_GCHAT, "https://chat.googleapis.com/v1/spaces/X?key=k",
	  "https://chat.googleapis.com/v1/spaces/X?key=k" },
};

START_TEST(test_notifier__discord_posts_to_slack_path)
{
	gc_buf url = GC_BUF_INIT;

	gc_notifier_url(&url, urls[_i].type, urls[_i].address);
	ck_assert_str_eq(url.ptr, urls[_i].url);
	gc_buf_release(&url);
}
END_TEST

START_TEST(test_notifier__types_and_addresses)
{
	gc_notifier_type t;
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_notifier_type_parse(&t, "rocket"), 0);
	ck_assert_int_eq(t, GC_NOTIFIER_ROCKET);
	ck_assert_str_eq(gc_notifier_type_name(t), "rocket");
	ck_assert_int_eq(gc_notifier_type_parse(&t, "pagerduty"), GC_ENOTFOUND);
	ck_assert_int_eq(gc_notifier_check_address("https://h/x", &err), 0);
	ck_assert_int_eq(gc_notifier_check_address("hooks.slack.com/x", &err),
			 GC_EINVALID);
	ck_assert_str_eq(gc_error_msg(&err),
			 "the address is not an http:// or https:// URL");
	gc_error_clear(&err);
	ck_assert_int_eq(gc_notifier_check_address("http:///x", &err),
			 GC_EINVALID);
	ck_assert_str_eq(gc_error_msg(&err), "the address has no host");
	gc_error_release(&err);
}
END_TEST

/* Failure texts are one bounded line that never repeats the address. */
START_TEST(test_notifier__failure_text)
{
	const char *url = "https://hooks.slack.com/services/T0/B0/s3cret";
	char *m = gc_notifier_failure(true, 404, "no_service\n", "", url);
	gc_buf big = GC_BUF_INIT;

	ck_assert_str_eq(m,
			 "sending notification bad response 404: no_service ");
	free(m);
	m = gc_notifier_failure(
		true, 500,
		"bad hook https://hooks.slack.com/services/T0/B0/s3cret", "",
		url);
	ck_assert_str_eq(
		m, "sending notification bad response 500: bad hook <address>");
	free(m);
	m = gc_notifier_failure(false, 0, "",
				"Failed to connect to 127.0.0.1 port 9", url);
	ck_assert_str_eq(
		m,
		"sending notification failed to send: Failed to connect to 127.0.0.1 port 9");
	free(m);
	for (int i = 0; i < 100; i++)
		gc_buf_adds(&big, "xyz");
	m = gc_notifier_failure(true, 502, big.ptr, "", url);
	ck_assert_uint_eq(strlen(m), 203);
	ck_assert_str_eq(m + 200, "...");
	free(m);
	gc_buf_release(&big);
}
END_TEST

Suite *gc_suite_notifier(void);

Suite *gc_suite_notifier(void)
{
	Suite *s = suite_create("notifier");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_notifier__flagger_bodies, 0,
			    GC_ARRAY_SIZE(cases));
	tcase_add_test(tc, test_notifier__go_string_escapes);
	tcase_add_loop_test(tc, test_notifier__discord_posts_to_slack_path, 0,
			    GC_ARRAY_SIZE(urls));
	tcase_add_test(tc, test_notifier__types_and_addresses);
	tcase_add_test(tc, test_notifier__failure_text);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_notifier)
