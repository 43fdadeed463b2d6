/*
 * Event webhooks: which hooks get a canary's events (its own, else the
 * global URL), in event order with Flagger's payload, the evidence of
 * each delivery, and URLs as they may be logged.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "httpd.h"
#include "reconciler/checks/event_hooks.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/url.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static gc_buf got = GC_BUF_INIT;

/* Records "<path> <phase>|<type>|<message>|<team>"; /fail answers 503. */
static void serve(const gc_httpd_request *req, gc_httpd_response *resp,
		  void *payload)
{
	cJSON *j = cJSON_Parse(req->body);
	const char *team = gc_json_str(j, "metadata.team");

	(void)payload;
	pthread_mutex_lock(&lock);
	gc_buf_addf(&got, "%s %s|%s|%s|%s\n", req->path,
		    gc_json_str(j, "phase"),
		    gc_json_str(j, "metadata.eventType"),
		    gc_json_str(j, "metadata.eventMessage"), team ? team : "-");
	pthread_mutex_unlock(&lock);
	if (!strcmp(req->path, "/fail"))
		resp->status = 503;
	cJSON_Delete(j);
}

static gc_httpd *srv;

static void setup(void)
{
	gc_buf_clear(&got);
	srv = gc_httpd_start(serve, NULL);
}

static void teardown(void)
{
	gc_httpd_stop(srv);
}

static cJSON *hook(const char *name, const char *path, const char *team)
{
	char *url = gc_httpd_url(srv, path);
	cJSON *s = cJSON_CreateObject();

	gc_json_add_str(s, "name", name);
	gc_json_add_str(s, "type", "event");
	gc_json_add_str(s, "url", url);
	if (team)
		gc_json_add_str(gc_json_obj(s, "metadata"), "team", team);
	free(url);
	return s;
}

static char advance_msg[] = "Advance podinfo.test canary weight 10";
static char failed_msg[] = "Canary failed! Scaling down podinfo.test";
static gc_event events[] = {
	{ GC_EVENT_NORMAL, false, GC_PHASE_PROGRESSING, advance_msg,
	  GC_ALERT_NONE, NULL, false },
	{ GC_EVENT_WARNING, false, GC_PHASE_FAILED, failed_msg, GC_ALERT_NONE,
	  NULL, false },
};

static const gc_check_ctx ctx_a = { "podinfo", "test",   "podinfo",
				    "podinfo", "1a2b3c", NULL,
				    NULL,      NULL,     NULL };
static const gc_check_ctx ctx_b = { "backend", "prod",   "backend",
				    "backend", "4d5e6f", NULL,
				    NULL,      NULL,     NULL };

/* Sorts got's lines of one path together, keeping their order. */
static char *lines_of(const char *path)
{
	gc_buf b = GC_BUF_INIT;
	size_t len = strlen(path);

	for (const char *p = got.ptr; *p;) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, path, len) && p[len] == ' ')
			gc_buf_add(&b, p, (size_t)(nl - p + 1));
		p = nl + 1;
	}
	return gc_buf_detach(&b, NULL);
}

START_TEST(test_event_hooks__own_hooks_else_the_global_one)
{
	cJSON *h1 = hook("one", "/one", "a"), *h2 = hook("two", "/two", NULL);
	const cJSON *list[] = { h1, h2 };
	gc_hook_list hooks = { list, 2 };
	gc_event_hooks_canary c[3] = { { 0 } };
	gc_error err = GC_ERROR_INIT;
	char *global = gc_httpd_url(srv, "/global"), *s;

	c[0].ctx = &ctx_a;
	c[0].hooks = &hooks;
	c[0].events = events;
	c[0].nevents = 2;
	c[1].ctx = &ctx_b; /* no hooks: the global URL */
	c[1].events = events;
	c[1].nevents = 1;
	c[2].ctx = &ctx_b; /* no events: nothing */
	ck_assert_int_eq(gc_event_hooks_deliver(c, 3, global, 1795708198000LL,
						NULL, &err),
			 0);
	s = lines_of("/one");
	ck_assert_str_eq(
		s,
		"/one Progressing|Normal|Advance podinfo.test canary weight 10|a\n"
		"/one Failed|Warning|Canary failed! Scaling down podinfo.test|a\n");
	free(s);
	s = lines_of("/two");
	ck_assert_str_eq(
		s,
		"/two Progressing|Normal|Advance podinfo.test canary weight 10|-\n"
		"/two Failed|Warning|Canary failed! Scaling down podinfo.test|-\n");
	free(s);
	s = lines_of("/global");
	ck_assert_str_eq(
		s,
		"/global Progressing|Normal|Advance podinfo.test canary weight 10|-\n");
	free(s);
	ck_assert_uint_eq(gc_httpd_count(srv), 5);
	/* one batch per hook, one check per event, in order */
	ck_assert_uint_eq(c[0].nbatches, 2);
	ck_assert_uint_eq(c[1].nbatches, 1);
	ck_assert_uint_eq(c[2].nbatches, 0);
	ck_assert_int_eq(c[0].batches[1].v[1].status, GC_CHECK_PASS);
	ck_assert_str_eq(gc_json_str(c[1].batches[0].v[0].evidence, "name"),
			 GC_EVENT_HOOKS_GLOBAL_NAME);
	ck_assert_str_eq(gc_json_str(c[0].batches[1].v[1].evidence,
				     "eventMessage"),
			 "Canary failed! Scaling down podinfo.test");
	ck_assert_double_eq(gc_json_num(c[0].batches[1].v[1].evidence, "status",
					0),
			    200);
	for (size_t i = 0; i < 3; i++)
		gc_event_hooks_release(&c[i]);
	cJSON_Delete(h1);
	cJSON_Delete(h2);
	free(global);
}
END_TEST

/* A failing hook is a result: evidence without query secrets. */
START_TEST(test_event_hooks__failure_is_a_result)
{
	char *url = gc_xasprintf("http://user:pw@127.0.0.1:%u/fail?key=secret",
				 (unsigned)gc_httpd_port(srv));
	cJSON *h = cJSON_CreateObject();
	const cJSON *list[1];
	gc_hook_list hooks = { list, 1 };
	gc_event_hooks_canary c = { 0 };
	gc_checks_opts opts = { 0 };
	gc_error err = GC_ERROR_INIT;
	char *ev, *want;

	gc_json_add_str(h, "name", "fail");
	gc_json_add_str(h, "url", url);
	cJSON_AddNumberToObject(h, "retries", 1);
	list[0] = h;
	c.ctx = &ctx_a;
	c.hooks = &hooks;
	c.events = events;
	c.nevents = 1;
	opts.backoff_ms = 20;
	ck_assert_int_eq(gc_event_hooks_deliver(&c, 1, NULL, 1, &opts, &err),
			 0);
	ck_assert_uint_eq(gc_httpd_count(srv), 2); /* retried once */
	ck_assert_int_eq(c.batches[0].v[0].status, GC_CHECK_FAIL);
	ev = cJSON_PrintUnformatted(c.batches[0].v[0].evidence);
	want = gc_xasprintf("http://127.0.0.1:%u/fail?<redacted>",
			    (unsigned)gc_httpd_port(srv));
	ck_assert_str_eq(gc_json_str(c.batches[0].v[0].evidence, "url"), want);
	ck_assert_ptr_null(strstr(ev, "secret"));
	ck_assert_ptr_null(strstr(ev, "pw"));
	ck_assert_double_eq(gc_json_num(c.batches[0].v[0].evidence, "attempts",
					0),
			    2);
	ck_assert_str_eq(gc_json_str(c.batches[0].v[0].evidence, "result"),
			 "fail");
	gc_event_hooks_release(&c);
	cJSON_Delete(h);
	free(ev);
	free(want);
	free(url);
}
END_TEST

static const struct {
	const char *url, *want;
} urls[] = {
	{ "http://h:1/a", "http://h:1/a" },
	{ "https://u:p@h/a?token=x&y=1", "https://h/a?<redacted>" },
	{ "http://h/a#frag", "http://h/a?<redacted>" },
	{ "http://u@h?x", "http://h?<redacted>" },
};

START_TEST(test_event_hooks__redact_url)
{
	gc_buf b = GC_BUF_INIT;

	gc_buf_adds(&b, "> ");
	gc_url_redact(&b, urls[_i].url);
	ck_assert_str_eq(b.ptr + 2, urls[_i].want);
	gc_buf_release(&b);
}
END_TEST

Suite *gc_suite_event_hooks(void);

Suite *gc_suite_event_hooks(void)
{
	Suite *s = suite_create("event_hooks");
	TCase *tc = tcase_create("event_hooks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_event_hooks__own_hooks_else_the_global_one);
	tcase_add_test(tc, test_event_hooks__failure_is_a_result);
	tcase_add_loop_test(tc, test_event_hooks__redact_url, 0,
			    GC_ARRAY_SIZE(urls));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_event_hooks)
