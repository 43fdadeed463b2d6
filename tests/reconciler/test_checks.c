/*
 * The checks runner's scheduling: batches run concurrently, the checks of
 * one batch in order, concurrency is bounded, metric and webhook checks
 * mix in one batch, and a rerun replaces earlier results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "httpd.h"
#include "reconciler/checks/checks.h"
#include "reconciler/checks/http_client.h"
#include "util/alloc.h"
#include "util/json.h"

#define DELAY_MS 400

static unsigned in_flight, max_in_flight;

/* Slow server: /slow answers 200 after DELAY_MS; /api/v1/query a vector. */
static void serve(const gc_httpd_request *req, gc_httpd_response *resp,
		  void *payload)
{
	unsigned now = __atomic_add_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	unsigned seen = __atomic_load_n(&max_in_flight, __ATOMIC_SEQ_CST);

	(void)payload;
	while (now > seen &&
	       !__atomic_compare_exchange_n(&max_in_flight, &seen, now, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	if (!strcmp(req->path, "/api/v1/query")) {
		const char *q = gc_httpd_arg(req, "query");

		gc_buf_addf(
			&resp->body,
			"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"%s\"]}]}}",
			q ? q : "0");
	} else if (!strcmp(req->path, "/big")) {
		for (int i = 0; i < 4096; i++)
			gc_buf_adds(&resp->body, "x");
	} else if (!strcmp(req->path, "/fail")) {
		resp->status = 403;
		gc_buf_adds(&resp->body, "Forbidden");
	} else {
		struct timespec ts = { 0, DELAY_MS * 1000000L };

		nanosleep(&ts, NULL);
	}
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
}

static gc_httpd *srv;

static void setup(void)
{
	in_flight = max_in_flight = 0;
	srv = gc_httpd_start(serve, NULL);
}

static void teardown(void)
{
	gc_httpd_stop(srv);
}

static cJSON *hook(const char *path)
{
	char *url = gc_httpd_url(srv, path);
	cJSON *s = cJSON_CreateObject();

	gc_json_add_str(s, "name", path + 1);
	gc_json_add_str(s, "url", url);
	free(url);
	return s;
}

typedef struct check_round {
	gc_check_batch *b;
	gc_check_ctx *ctx;
	cJSON **specs;
	size_t n, per;
} check_round;

/* n batches of `per` webhook checks each to path. */
static void round_init(check_round *r, size_t n, size_t per, const char *path)
{
	r->n = n;
	r->per = per;
	r->b = gc_xcalloc(n, sizeof(*r->b));
	r->ctx = gc_xcalloc(n, sizeof(*r->ctx));
	r->specs = gc_xcalloc(n * per, sizeof(*r->specs));
	for (size_t i = 0; i < n; i++) {
		r->ctx[i].name = "podinfo";
		r->ctx[i].namespace = "test";
		r->ctx[i].target = "podinfo";
		r->ctx[i].service = "podinfo";
		r->ctx[i].checksum = "abc";
		r->b[i].v = gc_xcalloc(per, sizeof(gc_check));
		r->b[i].n = per;
		r->b[i].stop_on_fail = true;
		for (size_t j = 0; j < per; j++) {
			r->specs[i * per + j] = hook(path);
			r->b[i].v[j].kind = GC_CHECK_WEBHOOK;
			r->b[i].v[j].spec = r->specs[i * per + j];
			strcpy(r->b[i].v[j].phase, "Progressing");
		}
	}
}

static long long round_run(check_round *r, const gc_checks_opts *opts)
{
	long long t0 = gc_http_now_ms();

	ck_assert_int_eq(gc_checks_run(r->b, r->ctx, r->n, opts, NULL), 0);
	return gc_http_now_ms() - t0;
}

static void round_release(check_round *r)
{
	for (size_t i = 0; i < r->n; i++)
		gc_check_batch_release(&r->b[i]);
	for (size_t i = 0; i < r->n * r->per; i++)
		cJSON_Delete(r->specs[i]);
	free(r->b);
	free(r->ctx);
	free(r->specs);
}

START_TEST(test_checks__batches_run_concurrently)
{
	check_round r;
	long long dt;

	round_init(&r, 16, 1, "/slow");
	dt = round_run(&r, NULL);
	for (size_t i = 0; i < r.n; i++)
		ck_assert_int_eq(r.b[i].v[0].status, GC_CHECK_PASS);
	/* 16 slow servers take about one delay, not 16 */
	ck_assert_int_ge(dt, DELAY_MS);
	ck_assert_int_lt(dt, 3 * DELAY_MS);
	round_release(&r);
}
END_TEST

START_TEST(test_checks__batch_runs_in_order)
{
	check_round r;
	long long dt;

	round_init(&r, 2, 3, "/slow");
	dt = round_run(&r, NULL);
	for (size_t j = 0; j < 3; j++)
		ck_assert_int_eq(r.b[0].v[j].status, GC_CHECK_PASS);
	/* three checks one after the other in each batch */
	ck_assert_int_ge(dt, 3 * DELAY_MS);
	ck_assert_int_lt(dt, 5 * DELAY_MS);
	round_release(&r);
}
END_TEST

START_TEST(test_checks__concurrency_is_bounded)
{
	gc_checks_opts opts = { .concurrency = 2 };
	check_round r;
	long long dt;

	round_init(&r, 6, 1, "/slow");
	dt = round_run(&r, &opts);
	/* six requests two at a time: three delays */
	ck_assert_int_ge(dt, 3 * DELAY_MS);
	ck_assert_uint_le(max_in_flight, 2);
	round_release(&r);
}
END_TEST

START_TEST(test_checks__mixed_batch_and_rerun)
{
	char *server = gc_httpd_url(srv, "");
	cJSON *m1 = cJSON_Parse(
		"{\"name\":\"one\",\"query\":\"1\",\"thresholdRange\":{\"min\":1}}");
	cJSON *m2 = cJSON_Parse(
		"{\"name\":\"big\",\"query\":\"7\",\"thresholdRange\":{\"max\":5}}");
	cJSON *h = hook("/fail");
	gc_check_ctx ctx = { .name = "podinfo",
			     .namespace = "test",
			     .target = "podinfo",
			     .service = "podinfo",
			     .checksum = "abc",
			     .metrics_server = server };
	gc_check_batch b = { gc_xcalloc(3, sizeof(gc_check)), 3, true, false };

	b.v[0].kind = GC_CHECK_METRIC;
	b.v[0].spec = m1;
	b.v[1].kind = GC_CHECK_METRIC;
	b.v[1].spec = m2;
	b.v[2].kind = GC_CHECK_WEBHOOK;
	b.v[2].spec = h;
	for (int pass = 0; pass < 2; pass++) {
		ck_assert_int_eq(gc_checks_run(&b, &ctx, 1, NULL, NULL), 0);
		ck_assert_int_eq(b.v[0].status, GC_CHECK_PASS);
		ck_assert_int_eq(b.v[1].status, GC_CHECK_FAIL);
		ck_assert_str_eq(b.v[1].message,
				 "Halt podinfo.test advancement big 7.00 > 5");
		ck_assert_int_eq(b.v[2].status, GC_CHECK_NOT_RUN);
	}
	b.stop_on_fail = false;
	ck_assert_int_eq(gc_checks_run(&b, &ctx, 1, NULL, NULL), 0);
	ck_assert_int_eq(b.v[2].status, GC_CHECK_FAIL);
	ck_assert_str_eq(b.v[2].message, "\"Forbidden\"");
	gc_check_batch_release(&b);
	cJSON_Delete(m1);
	cJSON_Delete(m2);
	cJSON_Delete(h);
	free(server);
}
END_TEST

START_TEST(test_checks__response_cap)
{
	gc_checks_opts opts = { .max_response = 1024 };
	check_round r;
	char *url = gc_httpd_url(srv, "/big");
	char *want = gc_xasprintf(
		"POST %s giving up after 1 attempt(s): response body larger than 1024 bytes",
		url);

	round_init(&r, 1, 1, "/big");
	round_run(&r, &opts);
	ck_assert_int_eq(r.b[0].v[0].status, GC_CHECK_FAIL);
	ck_assert_str_eq(r.b[0].v[0].message, want);
	round_release(&r);
	free(url);
	free(want);
}
END_TEST

/* --connect-to: a webhook URL naming a cluster host reaches loopback. */
START_TEST(test_checks__connect_to_maps_hosts)
{
	char map[96];
	const char *const connect_to[] = { map, NULL };
	gc_checks_opts opts = { 0 };
	cJSON *spec = cJSON_CreateObject();
	gc_check c = { 0 };
	gc_check_batch b = { &c, 1, true, false };
	gc_check_ctx ctx = { 0 };

	snprintf(map, sizeof(map), "flagger-loadtester.test:80:127.0.0.1:%u",
		 (unsigned)gc_httpd_port(srv));
	gc_json_add_str(spec, "name", "gate");
	gc_json_add_str(spec, "url", "http://flagger-loadtester.test/fail");
	c.kind = GC_CHECK_WEBHOOK;
	c.spec = spec;
	strcpy(c.phase, "Progressing");
	ctx.name = ctx.target = ctx.service = "podinfo";
	ctx.namespace = "test";
	ctx.checksum = "abc";
	/* without the mapping the host does not resolve */
	ck_assert_int_eq(gc_checks_run(&b, &ctx, 1, &opts, NULL), 0);
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_ptr_null(strstr(c.message, "Forbidden"));
	opts.connect_to = connect_to;
	ck_assert_int_eq(gc_checks_run(&b, &ctx, 1, &opts, NULL), 0);
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(c.message, "\"Forbidden\"");
	gc_check_release(&c);
	cJSON_Delete(spec);
}
END_TEST

static void done_noop(gc_http_request *req, void *payload)
{
	(void)req;
	(void)payload;
}

/*
 * Redirects (issue 15): a request carrying credentials (here a
 * MetricTemplate-style header) follows a redirect on its own server but
 * never to another host; one without credentials follows both.
 */
static char other_url[128], same_url[128];
static unsigned other_got_key;

static void serve_redirects(const gc_httpd_request *req,
			    gc_httpd_response *resp, void *payload)
{
	if (!strcmp(req->path, "/cross")) {
		resp->status = 302;
		resp->location = other_url;
	} else if (!strcmp(req->path, "/same")) {
		resp->status = 307;
		resp->location = same_url;
	} else if (payload && gc_httpd_header(req, "X-Api-Key")) {
		__atomic_add_fetch(&other_got_key, 1, __ATOMIC_SEQ_CST);
	}
	gc_buf_adds(&resp->body, "landed");
}

static void fetch(gc_http_request *req, const char *url,
		  const char *const *headers)
{
	gc_http_client *client = NULL;

	memset(req, 0, sizeof(*req));
	req->url = url;
	req->headers = headers;
	ck_assert_int_eq(gc_http_client_new(&client, NULL, NULL), 0);
	gc_http_submit(client, req, 0, done_noop, NULL);
	ck_assert_int_eq(gc_http_client_run(client, NULL), 0);
	gc_http_client_free(client);
}

START_TEST(test_checks__credentials_never_follow_to_another_host)
{
	static const char *const key[] = { "X-Api-Key: s3cr3t", NULL };
	gc_httpd *a = gc_httpd_start(serve_redirects, NULL);
	gc_httpd *b = gc_httpd_start(serve_redirects, &other_got_key);
	char *cross = gc_httpd_url(a, "/cross"),
	     *same = gc_httpd_url(a, "/same");
	char *o = gc_httpd_url(b, "/landing?token=x"),
	     *s = gc_httpd_url(a, "/landing");
	gc_http_request req;

	snprintf(other_url, sizeof(other_url), "%s", o);
	snprintf(same_url, sizeof(same_url), "%s", s);
	fetch(&req, cross, key);
	ck_assert_int_eq(req.result, GC_HTTP_ETRANSPORT);
	ck_assert_uint_eq(gc_httpd_count(b), 0);
	ck_assert_ptr_nonnull(
		strstr(req.error, "/landing?<redacted> not followed"));
	gc_http_request_release(&req);
	fetch(&req, same, key);
	ck_assert_int_eq(req.result, GC_HTTP_OK);
	ck_assert_int_eq(req.status, 200);
	ck_assert_str_eq(req.response.ptr, "landed");
	gc_http_request_release(&req);
	/* without credentials a redirect goes anywhere */
	fetch(&req, cross, NULL);
	ck_assert_int_eq(req.status, 200);
	ck_assert_uint_eq(gc_httpd_count(b), 1);
	ck_assert_uint_eq(other_got_key, 0);
	gc_http_request_release(&req);
	free(cross);
	free(same);
	free(o);
	free(s);
	gc_httpd_stop(a);
	gc_httpd_stop(b);
}
END_TEST

/* A server that echoes what it was sent (issue 15). */
static void serve_echo(const gc_httpd_request *req, gc_httpd_response *resp,
		       void *payload)
{
	const char *auth = gc_httpd_header(req, "Authorization");
	const char *key = gc_httpd_header(req, "X-Api-Key");
	const char *q = gc_httpd_arg(req, "apikey");

	(void)payload;
	resp->status = 400;
	gc_buf_addf(&resp->body, "auth=%s key=%s apikey=%s", auth ? auth : "",
		    key ? key : "", q ? q : "");
}

START_TEST(test_checks__echoed_credentials_are_scrubbed)
{
	static const char *const key[] = { "X-Api-Key: s3cr3t-key", NULL };
	gc_httpd *h = gc_httpd_start(serve_echo, NULL);
	char *url = gc_xasprintf(
		"http://bob:s3cr3t-pw@127.0.0.1:%u/e?apikey=s3cr3t-q",
		(unsigned)gc_httpd_port(h));
	gc_http_request req;

	fetch(&req, url, key);
	ck_assert_int_eq(req.status, 400);
	/* base64("bob:s3cr3t-pw") */
	ck_assert_str_eq(req.response.ptr, "auth=Basic *** key=*** apikey=***");
	ck_assert_ptr_null(strstr(req.response.ptr, "Ym9iOnMzY3IzdC1wdw"));
	gc_http_request_release(&req);
	free(url);
	gc_httpd_stop(h);
}
END_TEST

START_TEST(test_checks__empty_round)
{
	ck_assert_int_eq(gc_checks_run(NULL, NULL, 0, NULL, NULL), 0);
}
END_TEST

Suite *gc_suite_checks(void);
Suite *gc_suite_checks(void)
{
	Suite *s = suite_create("checks");
	TCase *tc = tcase_create("runner");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_checks__batches_run_concurrently);
	tcase_add_test(tc, test_checks__batch_runs_in_order);
	tcase_add_test(tc, test_checks__concurrency_is_bounded);
	tcase_add_test(tc, test_checks__mixed_batch_and_rerun);
	tcase_add_test(tc, test_checks__response_cap);
	tcase_add_test(tc, test_checks__connect_to_maps_hosts);
	tcase_add_test(tc,
		       test_checks__credentials_never_follow_to_another_host);
	tcase_add_test(tc, test_checks__echoed_credentials_are_scrubbed);
	tcase_add_test(tc, test_checks__empty_round);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_checks)
