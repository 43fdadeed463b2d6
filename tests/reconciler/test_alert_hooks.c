/*
 * Alert deliveries to a real HTTP server on loopback: which destination
 * receives which alert (Flagger's severity rule), the exact bodies per
 * provider type, the bearer token and the proxy, failures as results,
 * and evidence that never holds an address.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "httpd.h"
#include "reconciler/checks/alert_hooks.h"
#include "util/alloc.h"
#include "util/json.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static gc_buf got = GC_BUF_INIT;
static unsigned flaky_calls;

/* Records "<path> <authorization or -> <content-type> <body>"; /fail
 * answers 500, /flaky 503 once. */
static void serve(const gc_httpd_request *req, gc_httpd_response *resp,
		  void *payload)
{
	const char *auth = gc_httpd_header(req, "Authorization");

	(void)payload;
	pthread_mutex_lock(&lock);
	gc_buf_addf(&got, "%s %s %s %s\n", req->path, auth ? auth : "-",
		    gc_httpd_header(req, "Content-Type"), req->body);
	if (!strcmp(req->path, "/fail")) {
		resp->status = 500;
		gc_buf_adds(&resp->body, "invalid_token\n");
	}
	if (!strcmp(req->path, "/flaky") && flaky_calls++ == 0)
		resp->status = 503;
	pthread_mutex_unlock(&lock);
}

static gc_httpd *srv;

static void setup(void)
{
	gc_buf_clear(&got);
	flaky_calls = 0;
	srv = gc_httpd_start(serve, NULL);
}

static void teardown(void)
{
	gc_httpd_stop(srv);
}

/* got's lines of one path, in order; owned. */
static char *lines_of(const char *path)
{
	gc_buf b = GC_BUF_INIT;
	size_t len = strlen(path);

	for (const char *p = got.ptr; *p;) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, path, len) && p[len] == ' ')
			gc_buf_add(&b, p + len + 1, (size_t)(nl - p) - len);
		p = nl + 1;
	}
	return gc_buf_detach(&b, NULL);
}

static gc_alert_dest dest(const char *name, gc_notifier_type type,
			  gc_alert_severity sev, const char *path)
{
	gc_alert_dest d = { 0 };
	gc_buf url = GC_BUF_INIT;
	char *addr = gc_httpd_url(srv, path);

	gc_notifier_url(&url, type, addr);
	free(addr);
	d.name = gc_xstrdup(name);
	d.provider = gc_xasprintf("test/%s", name);
	d.type = type;
	d.severity = sev;
	d.url = gc_buf_detach(&url, NULL);
	d.username = gc_xstrdup("flagger");
	d.channel = gc_xstrdup("general");
	return d;
}

static char m_new[] = "New revision detected! Scaling up podinfo.test";
static char a_new[] = "New revision detected, progressing canary analysis.";
static char m_adv[] = "Advance podinfo.test canary weight 10";
static char m_thr[] =
	"Rolling back podinfo.test failed checks threshold reached 2";
static char a_thr[] = "Failed checks threshold reached 2";
static gc_event events[] = {
	{ GC_EVENT_NORMAL, false, GC_PHASE_PROGRESSING, m_new, GC_ALERT_INFO,
	  a_new, true },
	{ GC_EVENT_NORMAL, false, GC_PHASE_PROGRESSING, m_adv, GC_ALERT_NONE,
	  NULL, false },
	{ GC_EVENT_WARNING, false, GC_PHASE_PROGRESSING, m_thr, GC_ALERT_ERROR,
	  a_thr, false },
};

static const gc_check_ctx ctx = { "podinfo", "test",   "podinfo",
				  "podinfo", "1a2b3c", NULL,
				  NULL,      NULL,     NULL };

static gc_alert_fields metadata(void)
{
	gc_alert_fields f = { 0 };

	f.v[0] = (gc_notifier_field){ "Target", "Deployment/podinfo.test" };
	f.v[1] = (gc_notifier_field){ "Failed checks threshold", "2" };
	f.v[2] = (gc_notifier_field){ "Progress deadline", "60s" };
	f.v[3] = (gc_notifier_field){ "Traffic routing",
				      "Weight step: 10 max: 50" };
	f.n = 4;
	return f;
}

#define CT " application/json "
#define SLACK_HEAD                                                        \
	"{\"channel\":\"general\",\"username\":\"flagger\",\"icon_url\":" \
	"\"\",\"icon_emoji\":\":rocket:\",\"attachments\":[{\"color\":"
#define CLUSTER_FIELD \
	"{\"title\":\"Cluster\",\"value\":\"prod-eu\",\"short\":false}"

START_TEST(test_alert_hooks__severities_types_and_bodies)
{
	gc_alert_dest d[5];
	gc_alert_fields md = metadata();
	gc_alert_hooks_canary c = { 0 };
	gc_alert_hooks_opts o = { 0 };
	gc_error err = GC_ERROR_INIT;
	char *s;

	d[0] = dest("slack-info", GC_NOTIFIER_SLACK, GC_ALERT_INFO, "/slack");
	d[1] = dest("teams-warn", GC_NOTIFIER_MSTEAMS, GC_ALERT_WARN, "/teams");
	d[2] = dest("discord-error", GC_NOTIFIER_DISCORD, GC_ALERT_ERROR,
		    "/discord");
	d[3] = dest("rocket-none", GC_NOTIFIER_ROCKET, GC_ALERT_NONE,
		    "/rocket");
	d[4] = dest("gchat-error", GC_NOTIFIER_GCHAT, GC_ALERT_ERROR, "/gchat");
	c.ctx = &ctx;
	c.events = events;
	c.nevents = 3;
	c.own = true;
	c.dests = d;
	c.ndests = 5;
	c.metadata = &md;
	o.cluster = "prod-eu";
	ck_assert_int_eq(gc_alert_hooks_deliver(&c, 1, &o, NULL, &err), 0);
	/* info receives both alerts, the first with the metadata fields */
	s = lines_of("/slack");
	ck_assert_str_eq(
		s,
		"-" CT SLACK_HEAD
		"\"good\",\"author_name\":\"podinfo.test\",\"text\":\"New revision detected, progressing canary analysis.\","
		"\"mrkdwn_in\":[\"text\"],\"fields\":[" CLUSTER_FIELD
		",{\"title\":\"Target\",\"value\":\"Deployment/podinfo.test\",\"short\":false},"
		"{\"title\":\"Failed checks threshold\",\"value\":\"2\",\"short\":false},"
		"{\"title\":\"Progress deadline\",\"value\":\"60s\",\"short\":false},"
		"{\"title\":\"Traffic routing\",\"value\":\"Weight step: 10 max: 50\",\"short\":false}]}]}\n"
		"-" CT SLACK_HEAD
		"\"danger\",\"author_name\":\"podinfo.test\",\"text\":\"Failed checks threshold reached 2\","
		"\"mrkdwn_in\":[\"text\"],\"fields\":[" CLUSTER_FIELD "]}]}\n");
	free(s);
	/* warn and error receive the error only */
	s = lines_of("/teams");
	ck_assert_str_eq(
		s,
		"-" CT
		"{\"@type\":\"MessageCard\",\"@context\":\"http://schema.org/extensions\",\"themeColor\":\"FF0000\","
		"\"summary\":\"podinfo.test\",\"sections\":[{\"activityTitle\":\"Failed checks threshold reached 2\","
		"\"activitySubtitle\":\"podinfo.test\",\"facts\":[{\"name\":\"Cluster\",\"value\":\"prod-eu\"}]}]}\n");
	free(s);
	s = lines_of("/discord/slack");
	ck_assert_str_eq(
		s,
		"-" CT SLACK_HEAD
		"\"danger\",\"author_name\":\"podinfo.test\",\"text\":\"Failed checks threshold reached 2\","
		"\"mrkdwn_in\":[\"text\"],\"fields\":[" CLUSTER_FIELD "]}]}\n");
	free(s);
	s = lines_of("/gchat");
	ck_assert_str_eq(
		s,
		"-" CT
		"{\"cards\":[{\"header\":{\"title\":\"Flagger\",\"subtitle\":\"podinfo.test\","
		"\"imageUrl\":\"https://flagger.app/favicon.png\"},\"sections\":["
		"{\"widgets\":[{\"textParagraph\":{\"text\":\"\\u003cfont color=#848484\\u003e\\u003cstrong\\u003e"
		"Failed checks threshold reached 2\\u003c/strong\\u003e\\u003c/font\\u003e\"}}]},"
		"{\"widgets\":[{\"textParagraph\":{\"text\":\"Cluster\\u003cbr\\u003e\\u003cfont color=#848484\\u003e"
		"\\u003cstrong\\u003eprod-eu\\u003c/strong\\u003e\\u003c/font\\u003e\"}}]}]}]}\n");
	free(s);
	/* an empty severity receives nothing (Flagger) */
	s = lines_of("/rocket");
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_uint_eq(gc_httpd_count(srv), 5);
	/* one evidence entry per delivery, no address */
	ck_assert_int_eq(cJSON_GetArraySize(c.evidence), 5);
	s = cJSON_PrintUnformatted(cJSON_GetArrayItem(c.evidence, 2));
	ck_assert_ptr_null(strstr(s, "127.0.0.1"));
	ck_assert_str_eq(gc_json_str(cJSON_GetArrayItem(c.evidence, 2),
				     "provider"),
			 "test/teams-warn");
	ck_assert_str_eq(gc_json_str(cJSON_GetArrayItem(c.evidence, 2),
				     "message"),
			 "Failed checks threshold reached 2");
	ck_assert_str_eq(gc_json_str(cJSON_GetArrayItem(c.evidence, 2),
				     "result"),
			 "pass");
	free(s);
	gc_alert_hooks_release(&c);
	for (size_t i = 0; i < 5; i++)
		gc_alert_dest_release(&d[i]);
}
END_TEST

/* The global notifier serves only canaries without alerts of their own. */
START_TEST(test_alert_hooks__global_only_without_own_alerts)
{
	gc_alert_dest g = dest("--slack-url", GC_NOTIFIER_SLACK, GC_ALERT_WARN,
			       "/global");
	gc_alert_fields md = metadata();
	gc_alert_hooks_canary c[2] = { { 0 } };
	gc_alert_hooks_opts o = { &g, NULL };
	gc_error err = GC_ERROR_INIT;
	char *s;

	c[0].ctx = &ctx; /* no alerts: the global one */
	c[0].events = events;
	c[0].nevents = 3;
	c[0].metadata = &md;
	c[1] = c[0];
	c[1].own = true; /* alerts of its own, none resolvable: nothing */
	ck_assert_int_eq(gc_alert_hooks_deliver(c, 2, &o, NULL, &err), 0);
	s = lines_of("/global");
	ck_assert_str_eq(
		s,
		"-" CT SLACK_HEAD
		"\"danger\",\"author_name\":\"podinfo.test\",\"text\":\"Failed checks threshold reached 2\","
		"\"mrkdwn_in\":[\"text\"],\"fields\":[]}]}\n");
	free(s);
	ck_assert_uint_eq(gc_httpd_count(srv), 1);
	gc_alert_hooks_release(&c[0]);
	gc_alert_hooks_release(&c[1]);
	gc_alert_dest_release(&g);
}
END_TEST

/* A Secret's token goes as a bearer token; a proxy gets the request. */
START_TEST(test_alert_hooks__token_and_proxy)
{
	gc_alert_dest d[2];
	gc_alert_hooks_canary c = { 0 };
	gc_error err = GC_ERROR_INIT;
	char *s;

	d[0] = dest("bot", GC_NOTIFIER_SLACK, GC_ALERT_ERROR, "/api");
	d[0].token = gc_xstrdup("xoxb-t0k3n");
	d[1] = dest("proxied", GC_NOTIFIER_MSTEAMS, GC_ALERT_ERROR, "/");
	free(d[1].url);
	d[1].url = gc_xstrdup("http://teams.example.test/webhook/x");
	d[1].proxy = gc_httpd_url(srv, "");
	c.ctx = &ctx;
	c.events = &events[2];
	c.nevents = 1;
	c.own = true;
	c.dests = d;
	c.ndests = 2;
	ck_assert_int_eq(gc_alert_hooks_deliver(&c, 1, NULL, NULL, &err), 0);
	s = lines_of("/api");
	ck_assert_str_eq(
		s,
		"Bearer xoxb-t0k3n" CT SLACK_HEAD
		"\"danger\",\"author_name\":\"podinfo.test\",\"text\":\"Failed checks threshold reached 2\","
		"\"mrkdwn_in\":[\"text\"],\"fields\":[]}]}\n");
	free(s);
	/* the proxy sees the absolute URL as the request target */
	s = lines_of("http://teams.example.test/webhook/x");
	ck_assert_str_eq(
		s,
		"-" CT
		"{\"@type\":\"MessageCard\",\"@context\":\"http://schema.org/extensions\",\"themeColor\":\"FF0000\","
		"\"summary\":\"podinfo.test\",\"sections\":[{\"activityTitle\":\"Failed checks threshold reached 2\","
		"\"activitySubtitle\":\"podinfo.test\",\"facts\":[]}]}\n");
	free(s);
	s = cJSON_PrintUnformatted(c.evidence);
	ck_assert_ptr_null(strstr(s, "t0k3n"));
	ck_assert_ptr_null(strstr(s, "example.test"));
	free(s);
	gc_alert_hooks_release(&c);
	gc_alert_dest_release(&d[0]);
	gc_alert_dest_release(&d[1]);
}
END_TEST

/* Failures are results: bounded retries, evidence, nothing else. */
START_TEST(test_alert_hooks__failures_are_results)
{
	gc_alert_dest d[3];
	gc_alert_hooks_canary c = { 0 };
	gc_checks_opts opts = { 0 };
	gc_error err = GC_ERROR_INIT;
	const cJSON *e;
	char *s;

	d[0] = dest("broken", GC_NOTIFIER_SLACK, GC_ALERT_ERROR, "/fail");
	d[1] = dest("flaky", GC_NOTIFIER_SLACK, GC_ALERT_ERROR, "/flaky");
	memset(&d[2], 0, sizeof(d[2]));
	d[2].name = gc_xstrdup("missing");
	d[2].provider = gc_xstrdup("ops/pager");
	d[2].severity = GC_ALERT_INFO;
	d[2].problem = gc_xstrdup("alert provider ops/pager not found");
	c.ctx = &ctx;
	c.events = events;
	c.nevents = 3;
	c.own = true;
	c.dests = d;
	c.ndests = 3;
	opts.backoff_ms = 10;
	ck_assert_int_eq(gc_alert_hooks_deliver(&c, 1, NULL, &opts, &err), 0);
	/* broken: GC_NOTIFIER_ATTEMPTS tries; flaky: its retry passed */
	s = lines_of("/fail");
	ck_assert_uint_eq(strlen(s) > 0, 1);
	free(s);
	ck_assert_uint_eq(gc_httpd_count(srv), GC_NOTIFIER_ATTEMPTS + 2);
	ck_assert_uint_eq(flaky_calls, 2);
	/* evidence: the unsent ones first (two alerts), then per delivery */
	ck_assert_int_eq(cJSON_GetArraySize(c.evidence), 4);
	e = cJSON_GetArrayItem(c.evidence, 0);
	ck_assert_str_eq(gc_json_str(e, "result"), "error");
	ck_assert_str_eq(gc_json_str(e, "error"),
			 "alert provider ops/pager not found");
	ck_assert_str_eq(gc_json_str(e, "message"), a_new);
	e = cJSON_GetArrayItem(c.evidence, 2);
	ck_assert_str_eq(gc_json_str(e, "name"), "broken");
	ck_assert_str_eq(gc_json_str(e, "result"), "fail");
	ck_assert_double_eq(gc_json_num(e, "attempts", 0),
			    GC_NOTIFIER_ATTEMPTS);
	ck_assert_double_eq(gc_json_num(e, "status", 0), 500);
	ck_assert_str_eq(
		gc_json_str(e, "error"),
		"sending notification bad response 500: invalid_token ");
	e = cJSON_GetArrayItem(c.evidence, 3);
	ck_assert_str_eq(gc_json_str(e, "result"), "pass");
	ck_assert_double_eq(gc_json_num(e, "attempts", 0), 2);
	s = cJSON_PrintUnformatted(c.evidence);
	ck_assert_ptr_null(strstr(s, "127.0.0.1"));
	free(s);
	gc_alert_hooks_release(&c);
	for (size_t i = 0; i < 3; i++)
		gc_alert_dest_release(&d[i]);
}
END_TEST

Suite *gc_suite_alert_hooks(void);

Suite *gc_suite_alert_hooks(void)
{
	Suite *s = suite_create("alert_hooks");
	TCase *tc = tcase_create("alert_hooks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alert_hooks__severities_types_and_bodies);
	tcase_add_test(tc, test_alert_hooks__global_only_without_own_alerts);
	tcase_add_test(tc, test_alert_hooks__token_and_proxy);
	tcase_add_test(tc, test_alert_hooks__failures_are_results);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_alert_hooks)
