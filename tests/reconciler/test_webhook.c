/*
 * Webhooks (§6) against real libmicrohttpd servers: payload bytes, the
 * success rule, retries with backoff, timeouts, batches and a
 * flagger-loadtester-compatible gate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "httpd.h"
#include "reconciler/checks/checks.h"
#include "reconciler/checks/http_client.h"
#include "reconciler/checks/webhook.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/text.h"

/* ---- pure ---------------------------------------------------------- */

START_TEST(test_webhook__payload_field_order)
{
	cJSON *md = cJSON_Parse("{\"type\":\"cmd\",\"cmd\":\"hey -z 1m\"}");
	char *p =
		gc_webhook_payload("podinfo", "test", "Progressing", "abc", md);

	/* Go marshals the metadata map with sorted keys */
	ck_assert_str_eq(
		p,
		"{\"name\":\"podinfo\",\"namespace\":\"test\",\"phase\":\"Progressing\",\"checksum\":\"abc\",\"metadata\":{\"cmd\":\"hey -z 1m\",\"type\":\"cmd\"}}");
	free(p);
	p = gc_webhook_payload("podinfo", "test", "Succeeded", "abc", NULL);
	ck_assert_str_eq(
		p,
		"{\"name\":\"podinfo\",\"namespace\":\"test\",\"phase\":\"Succeeded\",\"checksum\":\"abc\"}");
	free(p);
	cJSON_Delete(md);
}
END_TEST

START_TEST(test_webhook__payload_escapes_like_go)
{
	cJSON *md = cJSON_Parse(
		"{\"cmd\":\"curl 'http://x/?a=1&b=<2>'\",\"n\":5,\"on\":true,\"q\":\"\\\"\\n\",\"sep\":\"\xe2\x80\xa8\"}");
	char *p =
		gc_webhook_payload("podinfo", "test", "Progressing", "abc", md);

	ck_assert_ptr_nonnull(md);
	ck_assert_str_eq(
		p,
		"{\"name\":\"podinfo\",\"namespace\":\"test\",\"phase\":\"Progressing\",\"checksum\":\"abc\",\"metadata\":{\"cmd\":\"curl 'http://x/?a=1\\u0026b=\\u003c2\\u003e'\",\"n\":\"5\",\"on\":\"true\",\"q\":\"\\\"\\n\",\"sep\":\"\\u2028\"}}");
	free(p);
	cJSON_Delete(md);
}
END_TEST

START_TEST(test_webhook__event_metadata)
{
	cJSON *own =
		cJSON_Parse("{\"eventType\":\"ignored\",\"channel\":\"ops\"}");
	cJSON *md = gc_webhook_event_metadata(
		own, "Advance podinfo.test canary weight 10", "Normal",
		1700000000123LL);
	char *p =
		gc_webhook_payload("podinfo", "test", "Progressing", "abc", md);

	ck_assert_str_eq(
		p,
		"{\"name\":\"podinfo\",\"namespace\":\"test\",\"phase\":\"Progressing\",\"checksum\":\"abc\",\"metadata\":{\"channel\":\"ops\",\"eventMessage\":\"Advance podinfo.test canary weight 10\",\"eventType\":\"Normal\",\"timestamp\":\"1700000000123\"}}");
	free(p);
	cJSON_Delete(md);
	cJSON_Delete(own);
}
END_TEST

static const struct {
	const char *in;
	long ms; /* -1: error */
} timeouts[] = {
	{ NULL, 10000 },  { "", 10000 },    { "5", 10000 },
	{ "30s", 30000 }, { "1m", 60000 },  { "1m30s", 90000 },
	{ "500ms", 500 }, { "1.5s", 1500 }, { "2h", 7200000 },
	{ "abc", -1 },    { "10", -1 },     { "-5s", -1 },
	{ "5sec", -1 },   { "0s", -1 },     { "1m30", -1 },
};

START_TEST(test_webhook__timeout)
{
	gc_error err = GC_ERROR_INIT;
	long ms = 0;
	int rc = gc_webhook_timeout_ms(&ms, timeouts[_i].in, &err);

	if (timeouts[_i].ms < 0) {
		char *want = gc_xasprintf("time: invalid duration \"%s\"",
					  timeouts[_i].in);

		ck_assert_int_eq(rc, GC_EINVALID);
		ck_assert_str_eq(err.msg, want);
		free(want);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(ms, timeouts[_i].ms);
	}
	gc_error_release(&err);
}
END_TEST

START_TEST(test_webhook__backoff)
{
	gc_http_request r = { 0 };

	r.result = GC_HTTP_OK;
	r.status = 500;
	r.retry_after_s = -1;
	ck_assert_int_eq(gc_webhook_backoff_ms(&r, 1, 1000, 30000), 1000);
	ck_assert_int_eq(gc_webhook_backoff_ms(&r, 2, 1000, 30000), 2000);
	ck_assert_int_eq(gc_webhook_backoff_ms(&r, 3, 1000, 30000), 4000);
	ck_assert_int_eq(gc_webhook_backoff_ms(&r, 10, 1000, 30000), 30000);
	r.status = 503;
	r.retry_after_s = 3;
	ck_assert_int_eq(gc_webhook_backoff_ms(&r, 1, 1000, 30000), 3000);
	ck_assert_int_eq(gc_webhook_backoff_ms(&r, 1, 1000, 2000), 2000);
	r.status = 500;
	ck_assert_int_eq(gc_webhook_backoff_ms(&r, 1, 1000, 30000), 1000);
}
END_TEST

static const struct {
	gc_http_result result;
	long status;
	bool retry;
} retryables[] = {
	{ GC_HTTP_OK, 200, false },    { GC_HTTP_OK, 202, false },
	{ GC_HTTP_OK, 404, false },    { GC_HTTP_OK, 429, true },
	{ GC_HTTP_OK, 500, true },     { GC_HTTP_OK, 501, false },
	{ GC_HTTP_OK, 503, true },     { GC_HTTP_ETIMEOUT, 0, true },
	{ GC_HTTP_ECONNECT, 0, true }, { GC_HTTP_ETLS, 0, false },
	{ GC_HTTP_EURL, 0, false },    { GC_HTTP_ETOOBIG, 200, false },
};

START_TEST(test_webhook__retryable)
{
	gc_http_request r = { 0 };

	r.result = retryables[_i].result;
	r.status = retryables[_i].status;
	ck_assert_int_eq(gc_webhook_retryable(&r), retryables[_i].retry);
}
END_TEST

/* ---- a scriptable hook server -------------------------------------- */

typedef struct hook {
	gc_buf last_body;
	char content_type[64];
	unsigned calls;
	/* answers: status per call (the last one repeats) */
	unsigned statuses[8];
	size_t nstatuses;
	const char *body;
	unsigned delay_ms;
	const char *retry_after;
	/* loadtester gate state */
	bool gate_open;
} hook;

static void serve_hook(const gc_httpd_request *req, gc_httpd_response *resp,
		       void *payload)
{
	hook *h = payload;
	const char *ct = gc_httpd_header(req, "Content-Type");
	size_t i = h->calls < h->nstatuses ? h->calls : h->nstatuses - 1;

	gc_buf_clear(&h->last_body);
	gc_buf_add(&h->last_body, req->body, req->body_len);
	snprintf(h->content_type, sizeof(h->content_type), "%s", ct ? ct : "");
	h->calls++;
	/* flagger-loadtester gate API (§6.4) */
	if (!strcmp(req->path, "/gate/check")) {
		resp->status = h->gate_open ? 200 : 403;
		gc_buf_adds(&resp->body,
			    h->gate_open ? "Approved" : "Forbidden");
		return;
	}
	if (!strcmp(req->path, "/gate/open") ||
	    !strcmp(req->path, "/gate/close")) {
		h->gate_open = !strcmp(req->path, "/gate/open");
		resp->status = 202;
		return;
	}
	if (!strcmp(req->path, "/gate/halt")) {
		resp->status = 403;
		gc_buf_adds(&resp->body, "Forbidden");
		return;
	}
	resp->status = h->nstatuses ? h->statuses[i] : 200;
	resp->delay_ms = h->delay_ms;
	resp->retry_after = h->retry_after;
	if (h->body)
		gc_buf_adds(&resp->body, h->body);
}

static hook H;
static gc_httpd *srv;

static void hook_setup(void)
{
	memset(&H, 0, sizeof(H));
	gc_buf_init(&H.last_body);
	srv = gc_httpd_start(serve_hook, &H);
}

static void hook_teardown(void)
{
	gc_httpd_stop(srv);
	gc_buf_release(&H.last_body);
}

static const gc_check_ctx ctx = {
	.name = "podinfo",
	.namespace = "test",
	.target = "podinfo",
	.service = "podinfo",
	.checksum = "6bdb8d4f",
};

static const gc_checks_opts fast = { .backoff_ms = 20, .backoff_max_ms = 200 };

/* Builds a webhook spec for path on the test server; owned. */
static cJSON *hook_spec(const char *name, const char *path, const char *extra)
{
	char *url = gc_httpd_url(srv, path);
	char *json = gc_xasprintf("{\"name\":\"%s\",\"url\":\"%s\"%s%s}", name,
				  url, extra ? "," : "", extra ? extra : "");
	cJSON *s = cJSON_Parse(json);

	ck_assert_ptr_nonnull(s);
	free(url);
	free(json);
	return s;
}

/* Runs one webhook check. */
static void run_hook(gc_check *out, cJSON *spec, const char *phase)
{
	gc_check_batch b = { gc_xcalloc(1, sizeof(gc_check)), 1, true, false };

	b.v[0].kind = GC_CHECK_WEBHOOK;
	b.v[0].spec = spec;
	snprintf(b.v[0].phase, sizeof(b.v[0].phase), "%s", phase);
	ck_assert_int_eq(gc_checks_run(&b, &ctx, 1, &fast, NULL), 0);
	*out = b.v[0];
	free(b.v);
}

START_TEST(test_webhook__posts_exact_payload)
{
	cJSON *s = hook_spec(
		"load-test", "/",
		"\"type\":\"rollout\",\"metadata\":{\"type\":\"cmd\",\"cmd\":\"hey -z 1m -q 10 http://podinfo-canary.test:9898/\"}");
	gc_check c;

	run_hook(&c, s, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_PASS);
	ck_assert_ptr_null(c.message);
	ck_assert_str_eq(
		H.last_body.ptr,
		"{\"name\":\"podinfo\",\"namespace\":\"test\",\"phase\":\"Progressing\",\"checksum\":\"6bdb8d4f\",\"metadata\":{\"cmd\":\"hey -z 1m -q 10 http://podinfo-canary.test:9898/\",\"type\":\"cmd\"}}");
	ck_assert_str_eq(H.content_type, "application/json");
	ck_assert_str_eq(gc_json_str(c.evidence, "name"), "load-test");
	ck_assert_str_eq(gc_json_str(c.evidence, "type"), "rollout");
	ck_assert_double_eq(gc_json_num(c.evidence, "status", 0), 200);
	ck_assert_double_eq(gc_json_num(c.evidence, "attempts", 0), 1);
	ck_assert_str_eq(gc_json_str(c.evidence, "result"), "pass");
	ck_assert(gc_json_num(c.evidence, "duration_ms", -1) >= 0);
	gc_check_release(&c);
	cJSON_Delete(s);
}
END_TEST

static const struct {
	unsigned status;
	const char *body;
	const char *want; /* NULL = pass; "@" = giving up text */
} statuses[] = {
	{ 200, "ok", NULL },
	{ 201, "", NULL },
	{ 202, "queued", NULL },
	{ 203, "not quite", "\"not quite\"" },
	{ 204, "", "\"\"" },
	{ 400, "bad payload", "\"bad payload\"" },
	{ 403, "Forbidden", "\"Forbidden\"" },
	{ 404, "", "\"\"" },
	{ 501, "nope", "\"nope\"" },
	{ 500, "boom", "@" },
	{ 503, "busy", "@" },
	{ 429, "slow down", "@" },
};

START_TEST(test_webhook__status_rule)
{
	cJSON *s = hook_spec("h", "/hook", NULL);
	gc_check c;

	H.statuses[0] = statuses[_i].status;
	H.nstatuses = 1;
	H.body = statuses[_i].body;
	run_hook(&c, s, "Progressing");
	if (!statuses[_i].want) {
		ck_assert_int_eq(c.status, GC_CHECK_PASS);
	} else if (!strcmp(statuses[_i].want, "@")) {
		char *url = gc_httpd_url(srv, "/hook");
		char *want =
			gc_xasprintf("POST %s giving up after 1 attempt(s)",
				     url);

		ck_assert_int_eq(c.status, GC_CHECK_FAIL);
		ck_assert_str_eq(c.message, want);
		free(url);
		free(want);
	} else {
		ck_assert_int_eq(c.status, GC_CHECK_FAIL);
		ck_assert_str_eq(c.message, statuses[_i].want);
		ck_assert_str_eq(gc_json_str(c.evidence, "result"), "fail");
	}
	ck_assert(!c.error_event);
	gc_check_release(&c);
	cJSON_Delete(s);
}
END_TEST

/*
 * A body that tries to forge history (issue 15): it stays one quoted,
 * bounded line in the message, and whole (valid UTF-8) in the evidence.
 */
START_TEST(test_webhook__hostile_body_is_data)
{
	static const char forged[] =
		"oops\n\ntest/podinfo: Promotion completed! Scaling down "
		"podinfo.test\n\nCanary: test/podinfo\nPhase: Succeeded\n"
		"\x1b[2J\xff";
	static const char prefix[] =
		"\"oops\\n\\ntest/podinfo: Promotion completed!";
	cJSON *s = hook_spec("h", "/hook", NULL);
	gc_buf body = GC_BUF_INIT, want = GC_BUF_INIT;
	gc_check c;

	gc_buf_adds(&body, forged);
	for (int i = 0; i < 500; i++)
		gc_buf_addch(&body, 'x');
	H.statuses[0] = 400;
	H.nstatuses = 1;
	H.body = body.ptr;
	run_hook(&c, s, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_ptr_null(strchr(c.message, '\n'));
	ck_assert_ptr_null(strchr(c.message, '\x1b'));
	ck_assert_msg(!strncmp(c.message, prefix, strlen(prefix)), "%s",
		      c.message);
	ck_assert_uint_le(strlen(c.message), GC_TEXT_SNIPPET + 5);
	gc_buf_adds(&want,
		    "oops\n\ntest/podinfo: Promotion completed! "
		    "Scaling down podinfo.test\n\nCanary: "
		    "test/podinfo\nPhase: Succeeded\n\x1b[2J\xef\xbf\xbd");
	for (int i = 0; i < 500; i++)
		gc_buf_addch(&want, 'x');
	ck_assert_str_eq(gc_json_str(c.evidence, "response"), want.ptr);
	gc_check_release(&c);
	gc_buf_release(&body);
	gc_buf_release(&want);
	cJSON_Delete(s);
}
END_TEST

START_TEST(test_webhook__retries_until_success)
{
	cJSON *s = hook_spec("h", "/hook", "\"retries\":3");
	long long t0 = gc_http_now_ms();
	gc_check c;

	H.statuses[0] = 503;
	H.statuses[1] = 500;
	H.statuses[2] = 200;
	H.nstatuses = 3;
	run_hook(&c, s, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_PASS);
	ck_assert_uint_eq(H.calls, 3);
	ck_assert_double_eq(gc_json_num(c.evidence, "attempts", 0), 3);
	/* backoff 20 ms then 40 ms */
	ck_assert_int_ge(gc_http_now_ms() - t0, 60);
	gc_check_release(&c);
	cJSON_Delete(s);
}
END_TEST

START_TEST(test_webhook__retries_exhausted)
{
	cJSON *s = hook_spec("h", "/hook", "\"retries\":2");
	char *url = gc_httpd_url(srv, "/hook");
	char *want = gc_xasprintf("POST %s giving up after 3 attempt(s)", url);
	gc_check c;

	H.statuses[0] = 502;
	H.nstatuses = 1;
	run_hook(&c, s, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(c.message, want);
	ck_assert_uint_eq(H.calls, 3);
	gc_check_release(&c);
	cJSON_Delete(s);
	free(url);
	free(want);
}
END_TEST

START_TEST(test_webhook__no_retry_on_client_error)
{
	cJSON *s = hook_spec("h", "/hook", "\"retries\":5");
	gc_check c;

	H.statuses[0] = 400;
	H.nstatuses = 1;
	H.body = "invalid";
	run_hook(&c, s, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(c.message, "\"invalid\"");
	ck_assert_uint_eq(H.calls, 1);
	gc_check_release(&c);
	cJSON_Delete(s);
}
END_TEST

START_TEST(test_webhook__retry_after_honoured_and_capped)
{
	cJSON *s = hook_spec("h", "/hook", "\"retries\":1");
	long long t0 = gc_http_now_ms(), dt;
	gc_check c;

	H.statuses[0] = 429;
	H.statuses[1] = 200;
	H.nstatuses = 2;
	H.retry_after = "5";
	run_hook(&c, s, "Progressing");
	dt = gc_http_now_ms() - t0;
	ck_assert_int_eq(c.status, GC_CHECK_PASS);
	/* Retry-After 5 s, capped at backoff_max_ms = 200 ms */
	ck_assert_int_ge(dt, 200);
	ck_assert_int_lt(dt, 3000);
	gc_check_release(&c);
	cJSON_Delete(s);
}
END_TEST

START_TEST(test_webhook__timeout_per_attempt)
{
	cJSON *s =
		hook_spec("h", "/hook", "\"timeout\":\"300ms\",\"retries\":1");
	char *url = gc_httpd_url(srv, "/hook");
	char *want = gc_xasprintf(
		"POST %s giving up after 2 attempt(s): request timed out after 300ms",
		url);
	long long t0 = gc_http_now_ms(), dt;
	gc_check c;

	H.delay_ms = 1500;
	run_hook(&c, s, "Progressing");
	dt = gc_http_now_ms() - t0;
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(c.message, want);
	ck_assert_int_ge(dt, 600);
	ck_assert_int_lt(dt, 1500);
	gc_check_release(&c);
	cJSON_Delete(s);
	free(url);
	free(want);
}
END_TEST

START_TEST(test_webhook__unreachable)
{
	cJSON *s = cJSON_Parse(
		"{\"name\":\"h\",\"url\":\"http://user:pw@127.0.0.1:1/hook\"}");
	gc_check c;
	char *ev;

	run_hook(&c, s, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(
		c.message,
		"POST http://127.0.0.1:1/hook giving up after 1 attempt(s): could not connect: Connection refused");
	ev = cJSON_PrintUnformatted(c.evidence);
	ck_assert_ptr_null(strstr(ev, "pw"));
	ck_assert_str_eq(gc_json_str(c.evidence, "url"),
			 "http://127.0.0.1:1/hook");
	free(ev);
	gc_check_release(&c);
	cJSON_Delete(s);
}
END_TEST

START_TEST(test_webhook__bad_timeout_and_missing_url)
{
	cJSON *s = hook_spec("h", "/hook", "\"timeout\":\"soon\"");
	cJSON *nourl = cJSON_Parse("{\"name\":\"h\"}");
	gc_check c;

	run_hook(&c, s, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(c.message,
			 "webhook timeout: time: invalid duration \"soon\"");
	ck_assert_uint_eq(H.calls, 0);
	gc_check_release(&c);
	run_hook(&c, nourl, "Progressing");
	ck_assert_str_eq(c.message, "webhook url is missing");
	gc_check_release(&c);
	cJSON_Delete(s);
	cJSON_Delete(nourl);
}
END_TEST

START_TEST(test_webhook__loadtester_gate)
{
	cJSON *check = hook_spec("approval", "/gate/check",
				 "\"type\":\"confirm-promotion\"");
	cJSON *open = hook_spec("open", "/gate/open", NULL);
	cJSON *halt =
		hook_spec("halt", "/gate/halt", "\"type\":\"confirm-rollout\"");
	gc_check c;

	run_hook(&c, check, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(c.message, "\"Forbidden\"");
	ck_assert_double_eq(gc_json_num(c.evidence, "status", 0), 403);
	gc_check_release(&c);
	run_hook(&c, open, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_PASS);
	gc_check_release(&c);
	run_hook(&c, check, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_PASS);
	ck_assert_double_eq(gc_json_num(c.evidence, "status", 0), 200);
	gc_check_release(&c);
	run_hook(&c, halt, "Initialized");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(c.message, "\"Forbidden\"");
	ck_assert_str_eq(
		H.last_body.ptr,
		"{\"name\":\"podinfo\",\"namespace\":\"test\",\"phase\":\"Initialized\",\"checksum\":\"6bdb8d4f\"}");
	gc_check_release(&c);
	cJSON_Delete(check);
	cJSON_Delete(open);
	cJSON_Delete(halt);
}
END_TEST

static void serve_ok(const gc_httpd_request *req, gc_httpd_response *resp,
		     void *payload)
{
	(void)req;
	(void)payload;
	gc_buf_adds(&resp->body, "ok");
}

START_TEST(test_webhook__tls_verified_unless_disabled)
{
	gc_httpd *tls = gc_httpd_start_tls(serve_ok, NULL);
	char *url = gc_httpd_url(tls, "/hook");
	char *json =
		gc_xasprintf("{\"name\":\"h\",\"url\":\"%s\",\"retries\":3}",
			     url);
	char *prefix =
		gc_xasprintf("POST %s giving up after 1 attempt(s): tls: ",
			     url);
	cJSON *s = cJSON_Parse(json);
	gc_check c;

	ck_assert(!strncmp(url, "https://", 8));
	/* a self-signed certificate fails verification, without retries */
	run_hook(&c, s, "Progressing");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_msg(!strncmp(c.message, prefix, strlen(prefix)), "%s",
		      c.message);
	gc_check_release(&c);
	cJSON_AddTrueToObject(s, "disableTLS");
	run_hook(&c, s, "Progressing");
	ck_assert_msg(c.status == GC_CHECK_PASS, "%s", c.message);
	gc_check_release(&c);
	cJSON_Delete(s);
	free(prefix);
	free(json);
	free(url);
	gc_httpd_stop(tls);
}
END_TEST

/* Batch rules: stop_on_fail (analysis hooks) and stop_on_pass (rollback). */
static const struct {
	bool stop_on_fail, stop_on_pass;
	const char *paths[3];
	gc_check_status want[3];
} batches[] = {
	{ true,
	  false,
	  { "/gate/approve", "/gate/halt", "/gate/approve" },
	  { GC_CHECK_PASS, GC_CHECK_FAIL, GC_CHECK_NOT_RUN } },
	{ false,
	  true,
	  { "/gate/halt", "/gate/approve", "/gate/halt" },
	  { GC_CHECK_FAIL, GC_CHECK_PASS, GC_CHECK_NOT_RUN } },
	{ false,
	  false,
	  { "/gate/halt", "/gate/approve", "/gate/halt" },
	  { GC_CHECK_FAIL, GC_CHECK_PASS, GC_CHECK_FAIL } },
	{ true,
	  false,
	  { "/gate/approve", "/gate/approve", "/gate/approve" },
	  { GC_CHECK_PASS, GC_CHECK_PASS, GC_CHECK_PASS } },
};

START_TEST(test_webhook__batch_stops)
{
	gc_check_batch b = { gc_xcalloc(3, sizeof(gc_check)), 3,
			     batches[_i].stop_on_fail,
			     batches[_i].stop_on_pass };
	cJSON *specs[3];

	for (int i = 0; i < 3; i++) {
		specs[i] = hook_spec("h", batches[_i].paths[i], NULL);
		b.v[i].kind = GC_CHECK_WEBHOOK;
		b.v[i].spec = specs[i];
		strcpy(b.v[i].phase, "Progressing");
	}
	ck_assert_int_eq(gc_checks_run(&b, &ctx, 1, &fast, NULL), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(b.v[i].status, batches[_i].want[i]);
		if (b.v[i].status == GC_CHECK_NOT_RUN) {
			ck_assert_ptr_null(b.v[i].message);
			ck_assert_ptr_null(b.v[i].evidence);
		}
		cJSON_Delete(specs[i]);
	}
	gc_check_batch_release(&b);
}
END_TEST

Suite *gc_suite_webhook(void);
Suite *gc_suite_webhook(void)
{
	Suite *s = suite_create("webhook");
	TCase *tc = tcase_create("pure");
	TCase *it = tcase_create("http");

	tcase_add_test(tc, test_webhook__payload_field_order);
	tcase_add_test(tc, test_webhook__payload_escapes_like_go);
	tcase_add_test(tc, test_webhook__event_metadata);
	tcase_add_loop_test(tc, test_webhook__timeout, 0,
			    GC_ARRAY_SIZE(timeouts));
	tcase_add_test(tc, test_webhook__backoff);
	tcase_add_loop_test(tc, test_webhook__retryable, 0,
			    GC_ARRAY_SIZE(retryables));
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(it, hook_setup, hook_teardown);
	tcase_add_test(it, test_webhook__posts_exact_payload);
	tcase_add_loop_test(it, test_webhook__status_rule, 0,
			    GC_ARRAY_SIZE(statuses));
	tcase_add_test(it, test_webhook__hostile_body_is_data);
	tcase_add_test(it, test_webhook__retries_until_success);
	tcase_add_test(it, test_webhook__retries_exhausted);
	tcase_add_test(it, test_webhook__no_retry_on_client_error);
	tcase_add_test(it, test_webhook__retry_after_honoured_and_capped);
	tcase_add_test(it, test_webhook__timeout_per_attempt);
	tcase_add_test(it, test_webhook__unreachable);
	tcase_add_test(it, test_webhook__bad_timeout_and_missing_url);
	tcase_add_test(it, test_webhook__loadtester_gate);
	tcase_add_test(it, test_webhook__tls_verified_unless_disabled);
	tcase_add_loop_test(it, test_webhook__batch_stops, 0,
			    GC_ARRAY_SIZE(batches));
	tcase_set_timeout(it, 30);
	suite_add_tcase(s, it);
	return s;
}

GC_TEST_MAIN(gc_suite_webhook)
