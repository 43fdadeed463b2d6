/*
 * Prometheus metric checks: the pure parts (Go formatting, rendering, URL
 * building, response parsing, thresholds and messages) table-driven, then
 * integration against a real Prometheus scraping an exporter served here,
 * and a libmicrohttpd fake Prometheus for auth and transport failures.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "util/text.h"
#include "httpd.h"
#include "prometheus.h"
#include "reconciler/checks/checks.h"
#include "reconciler/checks/prometheus.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"

/* ---- Go formatting ------------------------------------------------- */

static const struct {
	double v;
	const char *want;
} floats[] = {
	{ 99, "99" },
	{ 99.5, "99.5" },
	{ 500000, "500000" },
	{ 1e6, "1e+06" },
	{ 1234567, "1.234567e+06" },
	{ 0.1, "0.1" },
	{ 0.0001, "0.0001" },
	{ 0.00001, "1e-05" },
	{ 1.0 / 3, "0.3333333333333333" },
	{ -2.5, "-2.5" },
	{ 0, "0" },
	{ 123456, "123456" },
	{ 99.99, "99.99" },
	{ INFINITY, "+Inf" },
	{ -INFINITY, "-Inf" },
	{ NAN, "NaN" },
};

START_TEST(test_prometheus__format_float)
{
	gc_buf b = GC_BUF_INIT;

	gc_prometheus_format_float(&b, floats[_i].v);
	ck_assert_str_eq(b.ptr, floats[_i].want);
	gc_buf_release(&b);
}
END_TEST

static const struct {
	long long ms;
	const char *want;
} durations[] = {
	{ 0, "0s" },         { 1, "1ms" },          { 500, "500ms" },
	{ 999, "999ms" },    { 1000, "1s" },        { 1515, "1.515s" },
	{ 1990, "1.99s" },   { 1500, "1.5s" },      { 90000, "1m30s" },
	{ 61500, "1m1.5s" }, { 3600000, "1h0m0s" }, { 3723004, "1h2m3.004s" },
	{ -500, "-500ms" },  { -1500, "-1.5s" },
};

START_TEST(test_prometheus__format_duration)
{
	gc_buf b = GC_BUF_INIT;

	gc_prometheus_format_duration_ms(&b, durations[_i].ms);
	ck_assert_str_eq(b.ptr, durations[_i].want);
	gc_buf_release(&b);
}
END_TEST

/* ---- rendering ----------------------------------------------------- */

static const gc_check_ctx podinfo = {
	.name = "podinfo",
	.namespace = "default",
	.target = "podinfo",
	.service = "podinfo",
	.checksum = "abc",
};

START_TEST(test_prometheus__builtin_queries_exact)
{
	static const char *const want_sr =
		" sum( rate( istio_requests_total{ reporter=\"destination\", destination_workload_namespace=\"default\", destination_workload=~\"podinfo\", response_code!~\"5.*\" }[1m] ) ) / sum( rate( istio_requests_total{ reporter=\"destination\", destination_workload_namespace=\"default\", destination_workload=~\"podinfo\" }[1m] ) ) * 100";
	static const char *const want_dur =
		" histogram_quantile( 0.99, sum( rate( istio_request_duration_milliseconds_bucket{ reporter=\"destination\", destination_workload_namespace=\"default\", destination_workload=~\"podinfo\" }[1m] ) ) by (le) )";
	cJSON *sr = cJSON_Parse("{\"name\":\"request-success-rate\"}");
	cJSON *dur = cJSON_Parse(
		"{\"name\":\"request-duration\",\"interval\":\"1m\"}");
	gc_prom_opts opts = { "http://prom:9090", NULL };
	gc_prom_query *q = NULL;
	size_t n = 0;

	gc_prometheus_prepare(&q, &n, sr, &podinfo, &opts);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(q[0].kind, GC_PROM_SUCCESS_RATE);
	ck_assert_str_eq(q[0].query, want_sr);
	ck_assert_str_eq(q[0].server, "http://prom:9090");
	ck_assert_ptr_null(q[0].fail_message);
	gc_prom_query_release(&q[0]);
	free(q);

	gc_prometheus_prepare(&q, &n, dur, &podinfo, &opts);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(q[0].query, want_dur);
	ck_assert(
		strncmp(q[0].url,
			"http://prom:9090/api/v1/query?query=+histogram_quantile%28+0.99%2C+sum%28",
			70) == 0);
	gc_prom_query_release(&q[0]);
	free(q);
	cJSON_Delete(sr);
	cJSON_Delete(dur);
}
END_TEST

static const struct {
	const char *tmpl;
	const char *want; /* NULL: error */
	const char *error;
} renders[] = {
	{ "{{ namespace }}/{{ name }}", "default/podinfo", NULL },
	{ "{{namespace}}-{{   target   }}-{{ service }}",
	  "default-podinfo-podinfo", NULL },
	{ "{{ ingress }} {{ route }}", "podinfo podinfo", NULL },
	{ "[{{ interval }}]", "[5m]", NULL },
	{ "x{{ variables.code }}y", "x404y", NULL },
	{ "{{\tvariables.code\n}}", "404", NULL },
	{ "no actions", "no actions", NULL },
	{ "{{ foo }}", NULL, "function \"foo\" not defined" },
	{ "{{ variables.missing }}", NULL,
	  "map has no entry for key \"missing\"" },
	{ "{{ namespace", NULL, "unclosed action" },
	{ "{{ }}", NULL, "missing value for command" },
};

START_TEST(test_prometheus__render)
{
	cJSON *vars = cJSON_Parse("{\"code\":\"404\"}");
	gc_prom_model m = { "podinfo", "default", "podinfo", "podinfo",
			    NULL,      NULL,      "5m",      vars };
	gc_error err = GC_ERROR_INIT;
	char *out = NULL;
	int rc = gc_prometheus_render(&out, renders[_i].tmpl, &m, &err);

	if (renders[_i].want) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(out, renders[_i].want);
	} else {
		ck_assert_int_eq(rc, GC_EINVALID);
		ck_assert_str_eq(err.msg, renders[_i].error);
		ck_assert_ptr_null(out);
	}
	free(out);
	gc_error_release(&err);
	cJSON_Delete(vars);
}
END_TEST

START_TEST(test_prometheus__collapse)
{
	char *s = gc_prometheus_collapse("\n\tsum(\n\t\trate( x )\r\n)  ");

	ck_assert_str_eq(s, " sum( rate( x ) ) ");
	free(s);
}
END_TEST

static const struct {
	const char *address, *query, *want;
} urls[] = {
	{ "http://prom:9090", "up", "http://prom:9090/api/v1/query?query=up" },
	{ "http://prom:9090/", "up", "http://prom:9090/api/v1/query?query=up" },
	{ "http://h/prom/", "up", "http://h/prom/api/v1/query?query=up" },
	{ "https://h:8443/a/b?x=1#frag", "up",
	  "https://h:8443/a/b/api/v1/query?query=up" },
	{ "http://h", " a b+c/\"{}=~",
	  "http://h/api/v1/query?query=+a+b%2Bc%2F%22%7B%7D%3D~" },
	{ "prometheus:9090", "up", NULL },
	{ "", "up", NULL },
	{ "ftp://h", "up", NULL },
	{ "http://", "up", NULL },
};

START_TEST(test_prometheus__query_url)
{
	gc_error err = GC_ERROR_INIT;
	char *out = NULL;
	int rc = gc_prometheus_query_url(&out, urls[_i].address, urls[_i].query,
					 &err);

	if (urls[_i].want) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(out, urls[_i].want);
	} else {
		char *want =
			gc_xasprintf("prometheus address %s is not a valid URL",
				     urls[_i].address);

		ck_assert_int_eq(rc, GC_EINVALID);
		ck_assert_str_eq(err.msg, want);
		free(want);
	}
	free(out);
	gc_error_release(&err);
}
END_TEST

START_TEST(test_prometheus__redacts_userinfo)
{
	gc_error err = GC_ERROR_INIT;
	char *out = NULL;

	ck_assert_int_eq(gc_prometheus_query_url(&out, "ftp://u:s3cret@h", "up",
						 &err),
			 GC_EINVALID);
	ck_assert_str_eq(err.msg,
			 "prometheus address ftp://h is not a valid URL");
	gc_error_release(&err);
}
END_TEST

/* ---- parsing ------------------------------------------------------- */

#define VEC(v)                                                                       \
	"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[" v \
	"]}}"
#define SAMPLE(s) "{\"metric\":{},\"value\":[1700000000.1,\"" s "\"]}"

static const struct {
	long status;
	const char *body;
	int rc;
	double value;
	const char *error;
} parses[] = {
	{ 200, VEC(SAMPLE("99.5")), 0, 99.5, NULL },
	{ 200, VEC(SAMPLE("1") "," SAMPLE("2")), 0, 2, NULL },
	{ 200, VEC(SAMPLE("1e3")), 0, 1000, NULL },
	{ 200, VEC(""), GC_ENOTFOUND, 0, "no values found" },
	{ 200, VEC(SAMPLE("NaN")), GC_ENOTFOUND, 0, "no values found" },
	{ 200, VEC(SAMPLE("+Inf")), GC_ERROR, 0, "query returned +Inf" },
	{ 200, VEC(SAMPLE("-Inf")), GC_ERROR, 0, "query returned -Inf" },
	{ 200, VEC(SAMPLE("abc")), GC_ERROR, 0,
	  "strconv.ParseFloat: parsing \"abc\": invalid syntax" },
	{ 200, VEC(SAMPLE("")), GC_ERROR, 0,
	  "strconv.ParseFloat: parsing \"\": invalid syntax" },
	{ 200, VEC(SAMPLE(" 1")), GC_ERROR, 0,
	  "strconv.ParseFloat: parsing \" 1\": invalid syntax" },
	{ 200, VEC("{\"metric\":{},\"value\":[1,2]}"), GC_ERROR, 0,
	  "error unmarshaling result: malformed sample" },
	{ 200,
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1,\"1\"]]}]}}",
	  GC_ERROR, 0, "query returned multiple values" },
	{ 200, VEC("{\"metric\":{},\"values\":[[1,\"1\"]]}"), GC_ERROR, 0,
	  "query returned multiple values" },
	{ 200,
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"1\"]}}",
	  GC_ERROR, 0,
	  "error unmarshaling result: unsupported result type scalar (wrap scalars with vector())" },
	{ 200, "{\"data\":", GC_ERROR, 0,
	  "error unmarshaling result: malformed JSON, \"{\\\"data\\\":\"" },
	{ 200, "<html>oops</html>\n", GC_ERROR, 0,
	  "error unmarshaling result: malformed JSON, \"<html>oops</html>\"" },
	{ 500, "boom\n", GC_ERROR, 0,
	  "error response: Status 500 Internal Server Error: \"boom\"" },
	{ 400, "{\"status\":\"error\"}", GC_ERROR, 0,
	  "error response: Status 400 Bad Request: \"{\\\"status\\\":\\\"error\\\"}\"" },
	{ 503, "", GC_ERROR, 0,
	  "error response: Status 503 Service Unavailable: \"\"" },
};

START_TEST(test_prometheus__parse)
{
	gc_error err = GC_ERROR_INIT;
	double v = -1;
	int rc = gc_prometheus_parse(&v, parses[_i].status, parses[_i].body,
				     strlen(parses[_i].body), &err);

	ck_assert_int_eq(rc, parses[_i].rc);
	if (rc == 0)
		ck_assert_double_eq(v, parses[_i].value);
	else
		ck_assert_str_eq(err.msg, parses[_i].error);
	gc_error_release(&err);
}
END_TEST

START_TEST(test_prometheus__parse_caps_body_excerpt)
{
	gc_buf body = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	double v;

	for (int i = 0; i < 1000; i++)
		gc_buf_addch(&body, 'x');
	ck_assert_int_eq(gc_prometheus_parse(&v, 502, body.ptr, body.len, &err),
			 GC_ERROR);
	ck_assert_uint_eq(strlen(err.msg),
			  strlen("error response: Status 502 Bad Gateway: ") +
				  GC_TEXT_SNIPPET + 5);
	gc_error_release(&err);
	gc_buf_release(&body);
}
END_TEST

/* ---- thresholds and messages ---------------------------------------- */

static const gc_check_ctx ctx_test = {
	.name = "podinfo",
	.namespace = "test",
	.target = "podinfo-canary",
	.service = "podinfo",
	.checksum = "abc",
};

static const struct {
	const char *metric; /* JSON */
	int rc;
	double value;
	const char *error; /* the provider error when rc < 0 */
	const char *want;  /* NULL = pass */
	bool error_event;
} judges[] = {
	{ "{\"name\":\"request-success-rate\",\"thresholdRange\":{\"min\":99}}",
	  0, 98.6875, NULL,
	  "Halt podinfo.test advancement success rate 98.69% < 99%", false },
	{ "{\"name\":\"request-success-rate\",\"thresholdRange\":{\"min\":99}}",
	  0, 99, NULL, NULL, false },
	{ "{\"name\":\"request-success-rate\",\"thresholdRange\":{\"min\":90,\"max\":99.5}}",
	  0, 99.9, NULL,
	  "Halt podinfo.test advancement success rate 99.90% > 99.5%", false },
	{ "{\"name\":\"request-success-rate\",\"threshold\":95}", 0, 94.5, NULL,
	  "Halt podinfo.test advancement success rate 94.50% < 95%", false },
	{ "{\"name\":\"request-success-rate\",\"threshold\":95}", 0, 95, NULL,
	  NULL, false },
	{ "{\"name\":\"request-duration\",\"thresholdRange\":{\"max\":500}}", 0,
	  1515.9, NULL,
	  "Halt podinfo.test advancement request duration 1.515s > 500ms",
	  false },
	{ "{\"name\":\"request-duration\",\"thresholdRange\":{\"max\":500}}", 0,
	  500.9, NULL, NULL, false },
	{ "{\"name\":\"request-duration\",\"thresholdRange\":{\"min\":100,\"max\":500}}",
	  0, 99, NULL,
	  "Halt podinfo.test advancement request duration 99ms < 100ms",
	  false },
	{ "{\"name\":\"request-duration\",\"threshold\":90000}", 0, 90001, NULL,
	  "Halt podinfo.test advancement request duration 1m30.001s > 1m30s",
	  false },
	{ "{\"name\":\"request-duration\"}", 0, 1, NULL,
	  "Halt podinfo.test advancement request duration 1ms > 0s", false },
	{ "{\"name\":\"request-duration\"}", 0, 0.5, NULL, NULL, false },
	{ "{\"name\":\"errors\",\"query\":\"q\",\"thresholdRange\":{\"max\":1e6}}",
	  0, 2e6, NULL,
	  "Halt podinfo.test advancement errors 2000000.00 > 1e+06", false },
	{ "{\"name\":\"errors\",\"query\":\"q\",\"thresholdRange\":{\"min\":0.5}}",
	  0, 0.25, NULL, "Halt podinfo.test advancement errors 0.25 < 0.5",
	  false },
	{ "{\"name\":\"errors\",\"query\":\"q\",\"threshold\":5}", 0, 5.5, NULL,
	  "Halt podinfo.test advancement errors 5.50 > 5", false },
	{ "{\"name\":\"errors\",\"query\":\"q\"}", 0, 0, NULL, NULL, false },
	{ "{\"name\":\"errors\",\"query\":\"q\"}", 0, 0.01, NULL,
	  "Halt podinfo.test advancement errors 0.01 > 0", false },
	/* no values and errors */
	{ "{\"name\":\"request-success-rate\"}", GC_ENOTFOUND, 0,
	  "no values found",
	  "Halt advancement no values found for istio metric request-success-rate probably podinfo-canary.test is not receiving traffic: running query failed: no values found",
	  false },
	{ "{\"name\":\"request-duration\"}", GC_ENOTFOUND, 0, "no values found",
	  "Halt advancement no values found for istio metric request-duration probably podinfo-canary.test is not receiving traffic",
	  false },
	{ "{\"name\":\"request-duration\"}", GC_ERROR, 0, "query returned +Inf",
	  "Prometheus query failed: running query failed: query returned +Inf",
	  true },
	{ "{\"name\":\"errors\",\"query\":\"q\"}", GC_ENOTFOUND, 0,
	  "no values found",
	  "Halt advancement no values found for metric: errors", false },
	{ "{\"name\":\"errors\",\"query\":\"q\"}", GC_ERROR, 0, "boom",
	  "Prometheus query failed for errors: boom", true },
};

START_TEST(test_prometheus__judge)
{
	cJSON *metric = cJSON_Parse(judges[_i].metric);
	gc_prom_opts opts = { "http://prom:9090", NULL };
	gc_prom_query *q = NULL;
	size_t n = 0;
	char *msg = NULL;
	bool ee = true, ok;

	ck_assert_ptr_nonnull(metric);
	gc_prometheus_prepare(&q, &n, metric, &ctx_test, &opts);
	ck_assert_uint_eq(n, 1);
	ok = gc_prometheus_judge(&msg, &ee, &q[0], judges[_i].rc,
				 judges[_i].value, judges[_i].error, &ctx_test);
	if (judges[_i].want) {
		ck_assert(!ok);
		ck_assert_str_eq(msg, judges[_i].want);
		ck_assert_int_eq(ee, judges[_i].error_event);
	} else {
		ck_assert(ok);
		ck_assert_ptr_null(msg);
	}
	free(msg);
	gc_prom_query_release(&q[0]);
	free(q);
	cJSON_Delete(metric);
}
END_TEST

/* MetricTemplates available to the tests, by namespace/name. */
static const char *template_json[][3] = {
	{ "test", "plain",
	  "{\"spec\":{\"provider\":{\"type\":\"prometheus\",\"address\":\"http://p:9090\"},\"query\":\"{{ variables.x }}\"}}" },
	{ "test", "bearer",
	  "{\"spec\":{\"provider\":{\"address\":\"http://p:9090\",\"secretRef\":{\"name\":\"prom-token\"}},\"query\":\"up\"}}" },
	{ "test", "nouser",
	  "{\"spec\":{\"provider\":{\"address\":\"http://p:9090\",\"secretRef\":{\"name\":\"prom-nouser\"}},\"query\":\"up\"}}" },
	{ "test", "nopass",
	  "{\"spec\":{\"provider\":{\"address\":\"http://p:9090\",\"secretRef\":{\"name\":\"prom-nopass\"}},\"query\":\"up\"}}" },
	{ "test", "nosecret",
	  "{\"spec\":{\"provider\":{\"address\":\"http://p:9090\",\"secretRef\":{\"name\":\"absent\"}},\"query\":\"up\"}}" },
	{ "test", "datadog",
	  "{\"spec\":{\"provider\":{\"type\":\"datadog\"},\"query\":\"up\"}}" },
	{ "test", "noaddress",
	  "{\"spec\":{\"provider\":{\"type\":\"prometheus\"},\"query\":\"up\"}}" },
	{ "istio-system", "other",
	  "{\"spec\":{\"provider\":{\"address\":\"http://p:9090\"},\"query\":\"{{ namespace }}-{{ interval }}\"}}" },
};

static cJSON *templates[GC_ARRAY_SIZE(template_json)];

static const cJSON *lookup(const char *ns, const char *name, void *payload)
{
	(void)payload;
	for (size_t i = 0; i < GC_ARRAY_SIZE(template_json); i++) {
		if (strcmp(template_json[i][0], ns) ||
		    strcmp(template_json[i][1], name))
			continue;
		if (!templates[i])
			templates[i] = cJSON_Parse(template_json[i][2]);
		return templates[i];
	}
	return NULL;
}

static char *creds_dir;

static void write_secret(const char *name, const char *file, const char *v)
{
	char *p = gc_xasprintf("%s/test/%s/%s", creds_dir, name, file);

	ck_assert_int_eq(gc_buf_write_file(p, v, strlen(v), NULL), 0);
	free(p);
}

static void creds_setup(void)
{
	creds_dir = gc_test_tmpdir();
	write_secret("prom-token", "token", "s3cr3t-token\n");
	write_secret("prom-nouser", "password", "pw");
	write_secret("prom-nopass", "username", "user");
	write_secret("prom-basic", "username", "alice");
	write_secret("prom-basic", "password", "wonderland");
}

static void creds_teardown(void)
{
	gc_test_rmrf(creds_dir);
	free(creds_dir);
	creds_dir = NULL;
}

static const struct {
	const char *metric;
	const char *query;        /* expected rendered query, or NULL */
	const char *fail_message; /* expected immediate failure, or NULL */
} prepares[] = {
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"plain\"},\"templateVariables\":{\"x\":\"vector(1)\"}}",
	  "vector(1)", NULL },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"other\",\"namespace\":\"istio-system\"}}",
	  "test-", NULL },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"bearer\"}}", "up",
	  NULL },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"plain\"}}", NULL,
	  "Metric template plain.test query render error: map has no entry for key \"x\"" },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"missing\"}}", NULL,
	  "Metric template missing.test error: metrictemplates.flagger.app \"missing\" not found" },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"nosecret\"}}", NULL,
	  "Metric template nosecret.test secret absent error: secrets \"absent\" not found" },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"nouser\"}}", NULL,
	  "Metric template nouser.test provider prometheus error: prometheus credentials does not contain a username" },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"nopass\"}}", NULL,
	  "Metric template nopass.test provider prometheus error: prometheus credentials does not contain a password" },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"datadog\"}}", NULL,
	  "Metric template datadog.test provider datadog error: provider datadog is not supported by gitcanary" },
	{ "{\"name\":\"x\",\"templateRef\":{\"name\":\"noaddress\"}}", NULL,
	  "Metric template noaddress.test provider prometheus error: prometheus address  is not a valid URL" },
	{ "{\"name\":\"x\"}", NULL,
	  "Metric query failed for no usable metrics template and query were configured" },
	{ "{\"name\":\"x\",\"query\":\"{{ nope }}\"}", NULL,
	  "Prometheus query failed for x: function \"nope\" not defined" },
	{ "{\"name\":\"x\",\"query\":\"rate(x[{{ interval }}])\"}",
	  "rate(x[1m])", NULL },
};

START_TEST(test_prometheus__prepare)
{
	gc_check_ctx ctx = ctx_test;
	gc_prom_opts opts = { "http://prom:9090", creds_dir };
	cJSON *metric = cJSON_Parse(prepares[_i].metric);
	gc_prom_query *q = NULL;
	size_t n = 0;

	ctx.template_lookup = lookup;
	gc_prometheus_prepare(&q, &n, metric, &ctx, &opts);
	ck_assert_uint_eq(n, 1);
	if (prepares[_i].query) {
		ck_assert_ptr_null(q[0].fail_message);
		ck_assert_str_eq(q[0].query, prepares[_i].query);
	} else {
		ck_assert_str_eq(q[0].fail_message, prepares[_i].fail_message);
		ck_assert(q[0].fail_error);
	}
	gc_prom_query_release(&q[0]);
	free(q);
	cJSON_Delete(metric);
}
END_TEST

START_TEST(test_prometheus__prepare_auth)
{
	gc_check_ctx ctx = ctx_test;
	gc_prom_opts opts = { NULL, creds_dir };
	cJSON *metric = cJSON_Parse(
		"{\"name\":\"x\",\"templateRef\":{\"name\":\"bearer\"}}");
	gc_prom_query *q = NULL;
	size_t n = 0;

	ctx.template_lookup = lookup;
	gc_prometheus_prepare(&q, &n, metric, &ctx, &opts);
	ck_assert_str_eq(q[0].headers[0], "Authorization: Bearer s3cr3t-token");
	ck_assert_ptr_null(q[0].headers[1]);
	gc_prom_query_release(&q[0]);
	free(q);
	cJSON_Delete(metric);
}
END_TEST

START_TEST(test_prometheus__both_query_and_template_run_twice)
{
	gc_check_ctx ctx = ctx_test;
	cJSON *metric = cJSON_Parse(
		"{\"name\":\"request-success-rate\",\"query\":\"vector(1)\",\"templateRef\":{\"name\":\"plain\"},\"templateVariables\":{\"x\":\"up\"}}");
	gc_prom_query *q = NULL;
	size_t n = 0;

	ctx.template_lookup = lookup;
	gc_prometheus_prepare(&q, &n, metric, &ctx, NULL);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(q[0].kind, GC_PROM_SUCCESS_RATE);
	ck_assert_str_eq(q[0].server, "http://prometheus:9090");
	ck_assert_int_eq(q[1].kind, GC_PROM_INLINE);
	ck_assert_int_eq(q[2].kind, GC_PROM_TEMPLATE);
	ck_assert_str_eq(q[2].server, "http://p:9090");
	for (size_t i = 0; i < n; i++)
		gc_prom_query_release(&q[i]);
	free(q);
	cJSON_Delete(metric);
}
END_TEST

/* ---- integration: real Prometheus ---------------------------------- */

static gc_httpd *exporter;
static gc_test_prom *prom;
static long long exporter_t0;

static double elapsed_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
			exporter_t0) /
	       1000.0;
}

/*
 * Workloads in namespace "test": "good" answers 95/s 200 and 5/s 404 in
 * 50..101 ms; "bad" answers 90/s 200 and 10/s 500 in 1000..2001 ms.
 */
static void export_workload(gc_buf *b, const char *w, double ok, double other,
			    const char *other_code, const double *buckets)
{
	static const char *const les[] = { "50", "101", "1000", "2001",
					   "+Inf" };
	double t = elapsed_s() + 100;

	gc_buf_addf(
		b,
		"istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=\"%s\",response_code=\"200\"} %.3f\n",
		w, ok * t);
	gc_buf_addf(
		b,
		"istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=\"%s\",response_code=\"%s\"} %.3f\n",
		w, other_code, other * t);
	for (size_t i = 0; i < GC_ARRAY_SIZE(les); i++)
		gc_buf_addf(
			b,
			"istio_request_duration_milliseconds_bucket{reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=\"%s\",le=\"%s\"} %.3f\n",
			w, les[i], buckets[i] * (ok + other) * t);
}

static void serve_metrics(const gc_httpd_request *req, gc_httpd_response *resp,
			  void *payload)
{
	static const double good[] = { 0, 1, 1, 1, 1 };
	static const double bad[] = { 0, 0, 0, 1, 1 };

	(void)payload;
	if (strcmp(req->path, "/metrics")) {
		resp->status = 404;
		return;
	}
	gc_buf_adds(
		&resp->body,
		"# TYPE istio_requests_total counter\n"
		"# TYPE istio_request_duration_milliseconds_bucket counter\n");
	export_workload(&resp->body, "good", 95, 5, "404", good);
	export_workload(&resp->body, "bad", 90, 10, "500", bad);
	/* kube-state-metrics: podinfo runs, podinfo-primary rolls out */
	gc_buf_adds(
		&resp->body,
		"kube_deployment_spec_replicas{namespace=\"test\",deployment=\"podinfo\"} 3\n"
		"kube_deployment_status_replicas_updated{namespace=\"test\",deployment=\"podinfo\"} 3\n"
		"kube_deployment_status_replicas_available{namespace=\"test\",deployment=\"podinfo\"} 3\n"
		"kube_deployment_status_replicas{namespace=\"test\",deployment=\"podinfo\"} 3\n"
		"kube_deployment_metadata_generation{namespace=\"test\",deployment=\"podinfo\"} 2\n"
		"kube_deployment_status_observed_generation{namespace=\"test\",deployment=\"podinfo\"} 2\n"
		"kube_deployment_spec_replicas{namespace=\"test\",deployment=\"podinfo-primary\"} 3\n"
		"kube_deployment_status_replicas_updated{namespace=\"test\",deployment=\"podinfo-primary\"} 1\n"
		"kube_deployment_status_replicas_available{namespace=\"test\",deployment=\"podinfo-primary\"} 1\n"
		"kube_deployment_status_replicas{namespace=\"test\",deployment=\"podinfo-primary\"} 3\n");
}

static void prom_setup(void)
{
	struct timespec ts;
	char *target;
	const char *targets[2] = { NULL, NULL };

	clock_gettime(CLOCK_MONOTONIC, &ts);
	exporter_t0 = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	exporter = gc_httpd_start(serve_metrics, NULL);
	target = gc_xasprintf("127.0.0.1:%u", gc_httpd_port(exporter));
	targets[0] = target;
	prom = gc_test_prom_start(targets, "1s", NULL);
	free(target);
	if (gc_test_prom_wait_scraped(prom, 30) < 0 ||
	    gc_test_prom_wait_query(
		    prom,
		    "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{destination_workload=\"bad\"}[1m])) by (le))",
		    30) < 0) {
		fprintf(stderr, "prometheus has no data\n");
		abort();
	}
	creds_setup();
}

static void prom_teardown(void)
{
	gc_test_prom_stop(prom);
	gc_httpd_stop(exporter);
	creds_teardown();
}

static const cJSON *seed_lookup(const char *ns, const char *name, void *payload)
{
	static gc_doclist docs = GC_DOCLIST_INIT;
	static cJSON *tpl;
	char *path, *data;
	gc_error err = GC_ERROR_INIT;

	(void)payload;
	if (strcmp(ns, "istio-system") || strcmp(name, "not-found-percentage"))
		return lookup(ns, name, NULL);
	if (tpl)
		return tpl;
	path = gc_test_fixture("reconciler/metrics-404.yaml");
	data = gc_test_slurp(path);
	ck_assert_int_eq(gc_yaml_parse(&docs, path, data, strlen(data), &err),
			 0);
	tpl = docs.v[0]->root;
	/* the seed points at the cluster's Prometheus; use ours */
	cJSON_ReplaceItemInObject(gc_json_obj(gc_json_obj(tpl, "spec"),
					      "provider"),
				  "address",
				  cJSON_CreateString(gc_test_prom_url(prom)));
	free(path);
	free(data);
	return tpl;
}

/* Runs one metric check against the real Prometheus. */
static void run_metric(gc_check *out, const char *target, const char *json)
{
	gc_check_ctx ctx = { .name = "podinfo",
			     .namespace = "test",
			     .target = target,
			     .service = "podinfo",
			     .checksum = "abc",
			     .metrics_server = gc_test_prom_url(prom),
			     .template_lookup = seed_lookup };
	gc_checks_opts opts = { .credentials_dir = creds_dir };
	cJSON *spec = cJSON_Parse(json);
	gc_check_batch b = { gc_xcalloc(1, sizeof(gc_check)), 1, true, false };
	gc_error err = GC_ERROR_INIT;

	ck_assert_ptr_nonnull(spec);
	b.v[0].kind = GC_CHECK_METRIC;
	b.v[0].spec = spec;
	ck_assert_int_eq(gc_checks_run(&b, &ctx, 1, &opts, &err), 0);
	*out = b.v[0];
	out->spec = NULL;
	free(b.v);
	cJSON_Delete(spec);
}

static const struct {
	const char *target, *metric;
	const char *want; /* NULL = pass */
	bool error_event;
} live[] = {
	{ "good",
	  "{\"name\":\"request-success-rate\",\"thresholdRange\":{\"min\":99},\"interval\":\"1m\"}",
	  NULL, false },
	{ "bad",
	  "{\"name\":\"request-success-rate\",\"thresholdRange\":{\"min\":99},\"interval\":\"1m\"}",
	  "Halt podinfo.test advancement success rate 90.00% < 99%", false },
	{ "good",
	  "{\"name\":\"request-duration\",\"thresholdRange\":{\"max\":500},\"interval\":\"1m\"}",
	  NULL, false },
	{ "bad",
	  "{\"name\":\"request-duration\",\"thresholdRange\":{\"max\":500},\"interval\":\"1m\"}",
	  "Halt podinfo.test advancement request duration 1.99s > 500ms",
	  false },
	{ "good",
	  "{\"name\":\"request-duration\",\"thresholdRange\":{\"min\":101}}",
	  "Halt podinfo.test advancement request duration 100ms < 101ms",
	  false },
	{ "nobody",
	  "{\"name\":\"request-success-rate\",\"thresholdRange\":{\"min\":99}}",
	  "Halt advancement no values found for istio metric request-success-rate probably nobody.test is not receiving traffic: running query failed: no values found",
	  false },
	{ "nobody",
	  "{\"name\":\"request-duration\",\"thresholdRange\":{\"max\":500}}",
	  "Halt advancement no values found for istio metric request-duration probably nobody.test is not receiving traffic",
	  false },
	{ "good",
	  "{\"name\":\"404s percentage\",\"templateRef\":{\"name\":\"not-found-percentage\",\"namespace\":\"istio-system\"},\"thresholdRange\":{\"max\":3},\"interval\":\"1m\"}",
	  "Halt podinfo.test advancement 404s percentage 5.00 > 3", false },
	{ "good",
	  "{\"name\":\"404s percentage\",\"templateRef\":{\"name\":\"not-found-percentage\",\"namespace\":\"istio-system\"},\"thresholdRange\":{\"max\":5.5},\"interval\":\"1m\"}",
	  NULL, false },
	{ "good",
	  "{\"name\":\"404s percentage\",\"templateRef\":{\"name\":\"not-found-percentage\",\"namespace\":\"istio-system\"},\"thresholdRange\":{\"max\":3},\"interval\":\"1m\"}",
	  "Halt podinfo.test advancement 404s percentage 5.00 > 3", false },
	{ "x",
	  "{\"name\":\"one\",\"query\":\"vector(1)\",\"thresholdRange\":{\"min\":1,\"max\":1}}",
	  NULL, false },
	{ "x", "{\"name\":\"empty\",\"query\":\"vector(1) == 2\"}",
	  "Halt advancement no values found for metric: empty", false },
	{ "x", "{\"name\":\"nan\",\"query\":\"vector(0) / 0\"}",
	  "Halt advancement no values found for metric: nan", false },
	{ "x", "{\"name\":\"inf\",\"query\":\"vector(1) / 0\"}",
	  "Prometheus query failed for inf: query returned +Inf", true },
	{ "x",
	  "{\"name\":\"neginf\",\"query\":\"vector(-1) / 0\",\"thresholdRange\":{\"min\":0}}",
	  "Prometheus query failed for neginf: query returned -Inf", true },
	{ "x", "{\"name\":\"matrix\",\"query\":\"up[1m]\"}",
	  "Prometheus query failed for matrix: query returned multiple values",
	  true },
	{ "x", "{\"name\":\"scalar\",\"query\":\"scalar(vector(1))\"}",
	  "Prometheus query failed for scalar: error unmarshaling result: unsupported result type scalar (wrap scalars with vector())",
	  true },
	{ "x", "{\"name\":\"tpl\",\"templateRef\":{\"name\":\"missing\"}}",
	  "Metric template missing.test error: metrictemplates.flagger.app \"missing\" not found",
	  true },
};

START_TEST(test_prometheus__live)
{
	gc_check c;

	run_metric(&c, live[_i].target, live[_i].metric);
	if (live[_i].want) {
		ck_assert_int_eq(c.status, GC_CHECK_FAIL);
		ck_assert_str_eq(c.message, live[_i].want);
		ck_assert_int_eq(c.error_event, live[_i].error_event);
	} else {
		ck_assert_msg(c.status == GC_CHECK_PASS, "failed: %s",
			      c.message);
		ck_assert_ptr_null(c.message);
	}
	gc_check_release(&c);
}
END_TEST

START_TEST(test_prometheus__live_bad_promql)
{
	gc_check c;
	const char *prefix =
		"Prometheus query failed for broken: error response: Status 400 Bad Request: \"{\\\"status\\\":\\\"error\\\",\\\"errorType\\\":\\\"bad_data\\\"";

	run_metric(&c, "x", "{\"name\":\"broken\",\"query\":\"sum(\"}");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_msg(!strncmp(c.message, prefix, strlen(prefix)), "%s",
		      c.message);
	ck_assert(c.error_event);
	gc_check_release(&c);
}
END_TEST

START_TEST(test_prometheus__live_evidence)
{
	gc_check c;
	char *ev;

	run_metric(
		&c, "bad",
		"{\"name\":\"request-success-rate\",\"thresholdRange\":{\"min\":99},\"interval\":\"1m\"}");
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(gc_json_str(c.evidence, "name"),
			 "request-success-rate");
	ck_assert_str_eq(gc_json_str(c.evidence, "server"),
			 gc_test_prom_url(prom));
	ck_assert_str_eq(gc_json_str(c.evidence, "result"), "fail");
	ck_assert(strstr(gc_json_str(c.evidence, "query"),
			 "destination_workload=~\"bad\""));
	ck_assert_double_eq_tol(gc_json_num(c.evidence, "value", 0), 90, 1e-6);
	ck_assert_double_eq(gc_json_num(c.evidence, "min", 0), 99);
	ev = cJSON_PrintUnformatted(c.evidence);
	ck_assert_ptr_null(strstr(ev, "s3cr3t"));
	free(ev);
	gc_check_release(&c);
}
END_TEST

/* A sample of value n labelled namespace="test", deployment="podinfo". */
#define PODINFO(n)                                                               \
	"label_replace(label_replace(vector(" #n                                 \
	"), \"namespace\", \"test\", \"\", \"\"), \"deployment\", \"podinfo\", " \
	"\"\", \"\")"

/* Each of Flagger's waiting texts, through replaced queries. */
static const struct {
	gc_readiness_queries q;
	int threshold_pct;
	const char *want; /* NULL: ready */
} judged[] = {
	{ { PODINFO(3), PODINFO(2), PODINFO(2), PODINFO(2), NULL, NULL },
	  100,
	  "waiting for rollout to finish: 2 out of 3 new replicas have been updated" },
	{ { PODINFO(3), PODINFO(3), PODINFO(2), PODINFO(4), NULL, NULL },
	  100,
	  "waiting for rollout to finish: 1 old replicas are pending termination" },
	{ { PODINFO(3), PODINFO(3), PODINFO(2), PODINFO(3), NULL, NULL },
	  100,
	  "waiting for rollout to finish: 2 of 3 (readyThreshold 100%) updated replicas are available" },
	{ { PODINFO(3), PODINFO(3), PODINFO(2), PODINFO(3), NULL, NULL },
	  50,
	  NULL },
	{ { PODINFO(3), PODINFO(3), PODINFO(2), PODINFO(3), PODINFO(5),
	    PODINFO(4) },
	  50,
	  "waiting for rollout to finish: observed deployment generation less than desired generation" },
};

START_TEST(test_prometheus__readiness_many_judge)
{
	gc_prom_readiness_item item = { "test", "podinfo",
					3,      judged[_i].threshold_pct,
					0,      NULL };
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_prometheus_readiness_many(&item, 1,
						      gc_test_prom_url(prom),
						      &judged[_i].q, 5000,
						      &err),
			 0);
	if (judged[_i].want) {
		ck_assert_int_eq(item.state, GC_PROM_WAITING);
		ck_assert_str_eq(item.message, judged[_i].want);
	} else {
		ck_assert_int_eq(item.state, GC_PROM_READY);
		ck_assert_ptr_null(item.message);
	}
	free(item.message);
}
END_TEST

START_TEST(test_prometheus__readiness_many)
{
	gc_prom_readiness_item items[] = {
		{ "test", "podinfo", 3, 100, 0, NULL },
		{ "test", "podinfo-primary", 3, 100, 0, NULL },
		{ "test", "nobody", 1, 100, 0, NULL },
		{ "test", "podinfo", 5, 100, 0, NULL },
		{ "test", "podinfo", -1, 100, 0, NULL },
	};
	static const char *const want[] = {
		NULL,
		"waiting for rollout to finish: 1 out of 3 new replicas have been updated",
		"waiting for rollout to finish: deployment nobody.test is not reported by kube-state-metrics yet",
		"waiting for rollout to finish: 3 out of 5 new replicas have been updated",
		NULL,
	};
	gc_readiness_queries narrowed = {
		"kube_deployment_spec_replicas{namespace=\"test\"}",
		NULL,
		NULL,
		NULL,
		NULL,
		NULL
	};
	gc_error err = GC_ERROR_INIT;

	for (int pass = 0; pass < 2; pass++) {
		ck_assert_int_eq(gc_prometheus_readiness_many(
					 items, GC_ARRAY_SIZE(items),
					 gc_test_prom_url(prom),
					 pass ? &narrowed : NULL, 5000, &err),
				 0);
		for (size_t i = 0; i < GC_ARRAY_SIZE(items); i++) {
			if (want[i]) {
				ck_assert_int_eq(items[i].state,
						 GC_PROM_WAITING);
				ck_assert_str_eq(items[i].message, want[i]);
			} else {
				ck_assert_int_eq(items[i].state, GC_PROM_READY);
				ck_assert_ptr_null(items[i].message);
			}
			free(items[i].message);
			items[i].message = NULL;
		}
	}
	ck_assert_int_eq(gc_prometheus_readiness_many(items, 1,
						      "http://127.0.0.1:1",
						      NULL, 2000, &err),
			 GC_ERROR);
	ck_assert_str_eq(
		err.msg,
		"readiness query failed: could not connect: Connection refused");
	gc_error_release(&err);
}
END_TEST

/* ---- integration: fake Prometheus ---------------------------------- */

typedef struct fake {
	const char *body;
	unsigned status, delay_ms;
} fake;

static void serve_fake(const gc_httpd_request *req, gc_httpd_response *resp,
		       void *payload)
{
	const fake *f = payload;
	const char *auth = gc_httpd_header(req, "Authorization");
	const char *q = gc_httpd_arg(req, "query");

	if (!f) { /* the auth server: answers only authorised queries */
		if (strcmp(req->path, "/api/v1/query") || !q ||
		    strcmp(q, "up") ||
		    (!auth ||
		     (strcmp(auth, "Bearer s3cr3t-token") &&
		      strcmp(auth, "Basic YWxpY2U6d29uZGVybGFuZA==")))) {
			resp->status = 401;
			gc_buf_adds(&resp->body, "unauthorised");
			return;
		}
		gc_buf_adds(&resp->body, VEC(SAMPLE("1")));
		return;
	}
	resp->status = f->status;
	resp->delay_ms = f->delay_ms;
	gc_buf_adds(&resp->body, f->body);
}

static const cJSON *payload_lookup(const char *ns, const char *name,
				   void *payload)
{
	(void)ns;
	(void)name;
	return payload;
}

static bool insecure; /* run_template sets insecureSkipVerify */

/* Runs a template metric "t" (query "up", min 1) against address. */
static void run_template(gc_check *out, const char *address, const char *secret,
			 long timeout_ms)
{
	cJSON *tpl = cJSON_CreateObject();
	cJSON *spec = gc_json_obj(tpl, "spec");
	cJSON *provider = gc_json_obj(spec, "provider");
	cJSON *metric = cJSON_Parse(
		"{\"name\":\"t\",\"templateRef\":{\"name\":\"t\"},\"thresholdRange\":{\"min\":1}}");
	gc_check_ctx ctx = { .name = "podinfo",
			     .namespace = "test",
			     .target = "podinfo",
			     .service = "podinfo",
			     .template_lookup = payload_lookup,
			     .template_payload = tpl };
	gc_checks_opts opts = { .credentials_dir = creds_dir,
				.query_timeout_ms = timeout_ms };
	gc_check_batch b = { gc_xcalloc(1, sizeof(gc_check)), 1, true, false };

	gc_json_add_str(provider, "address", address);
	if (insecure)
		cJSON_AddTrueToObject(provider, "insecureSkipVerify");
	if (secret)
		gc_json_add_str(gc_json_obj(provider, "secretRef"), "name",
				secret);
	gc_json_add_str(spec, "query", "up");
	b.v[0].kind = GC_CHECK_METRIC;
	b.v[0].spec = metric;
	ck_assert_int_eq(gc_checks_run(&b, &ctx, 1, &opts, NULL), 0);
	*out = b.v[0];
	out->spec = NULL;
	free(b.v);
	cJSON_Delete(metric);
	cJSON_Delete(tpl);
}

START_TEST(test_prometheus__auth_reaches_server)
{
	static const char *const secrets[] = { "prom-token", "prom-basic" };
	gc_httpd *h = gc_httpd_start(serve_fake, NULL);
	char *url = gc_httpd_url(h, "");
	gc_check c;

	creds_setup();
	run_template(&c, url, secrets[_i], 0);
	ck_assert_msg(c.status == GC_CHECK_PASS, "%s", c.message);
	gc_check_release(&c);
	/* without credentials the server refuses */
	run_template(&c, url, NULL, 0);
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(
		c.message,
		"Metric query failed for t: error response: Status 401 Unauthorized: \"unauthorised\"");
	gc_check_release(&c);
	creds_teardown();
	free(url);
	gc_httpd_stop(h);
}
END_TEST

/* not const: the server gets &fakes[_i].f as its (void *) payload */
static struct {
	fake f;
	const char *want; /* after "Metric query failed for t: " */
} fakes[] = {
	{ { VEC(SAMPLE("NaN")), 200, 0 }, NULL },
	{ { VEC(SAMPLE("abc")), 200, 0 },
	  "strconv.ParseFloat: parsing \"abc\": invalid syntax" },
	{ { "oops", 500, 0 },
	  "error response: Status 500 Internal Server Error: \"oops\"" },
	{ { "{\"status\":", 200, 0 },
	  "error unmarshaling result: malformed JSON, \"{\\\"status\\\":\"" },
	{ { VEC(SAMPLE("+Inf")), 200, 0 }, "query returned +Inf" },
	{ { VEC(SAMPLE("1")), 200, 3000 },
	  "Get \"@/api/v1/query?<redacted>\": request timed out after 300ms" },
};

START_TEST(test_prometheus__fake_failures)
{
	gc_httpd *h = gc_httpd_start(serve_fake, &fakes[_i].f);
	char *url = gc_httpd_url(h, "");
	gc_check c;

	run_template(&c, url, NULL, 300);
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	if (!fakes[_i].want) {
		ck_assert_str_eq(
			c.message,
			"Halt advancement no values found for custom metric: t: no values found");
		ck_assert(!c.error_event);
	} else {
		const char *at = strchr(fakes[_i].want, '@');
		char *w = at ? gc_xasprintf("%.*s%s%s",
					    (int)(at - fakes[_i].want),
					    fakes[_i].want, url, at + 1)
			     : gc_xstrdup(fakes[_i].want);
		char *full = gc_xasprintf("Metric query failed for t: %s", w);

		ck_assert_str_eq(c.message, full);
		ck_assert(c.error_event);
		free(w);
		free(full);
	}
	gc_check_release(&c);
	free(url);
	gc_httpd_stop(h);
}
END_TEST

START_TEST(test_prometheus__tls_verified_unless_skipped)
{
	gc_httpd *h = gc_httpd_start_tls(serve_fake, NULL);
	char *url = gc_httpd_url(h, "");
	char *prefix = gc_xasprintf(
		"Metric query failed for t: Get \"%s/api/v1/query?<redacted>\": tls: ",
		url);
	gc_check c;

	creds_setup();
	run_template(&c, url, "prom-token", 2000);
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_msg(!strncmp(c.message, prefix, strlen(prefix)), "%s",
		      c.message);
	ck_assert(c.error_event);
	gc_check_release(&c);
	insecure = true;
	run_template(&c, url, "prom-token", 2000);
	insecure = false;
	ck_assert_msg(c.status == GC_CHECK_PASS, "%s", c.message);
	gc_check_release(&c);
	creds_teardown();
	free(prefix);
	free(url);
	gc_httpd_stop(h);
}
END_TEST

START_TEST(test_prometheus__unreachable)
{
	gc_check c;

	/* port 1 on loopback: nothing listens there */
	run_template(&c, "http://127.0.0.1:1", NULL, 2000);
	ck_assert_int_eq(c.status, GC_CHECK_FAIL);
	ck_assert_str_eq(
		c.message,
		"Metric query failed for t: Get \"http://127.0.0.1:1/api/v1/query?<redacted>\": could not connect: Connection refused");
	ck_assert(c.error_event);
	gc_check_release(&c);
}
END_TEST

Suite *gc_suite_prometheus(void);
Suite *gc_suite_prometheus(void)
{
	Suite *s = suite_create("prometheus");
	TCase *tc = tcase_create("pure");
	TCase *tp = tcase_create("templates");
	TCase *fk = tcase_create("fake");
	TCase *it = tcase_create("live");

	tcase_add_loop_test(tc, test_prometheus__format_float, 0,
			    GC_ARRAY_SIZE(floats));
	tcase_add_loop_test(tc, test_prometheus__format_duration, 0,
			    GC_ARRAY_SIZE(durations));
	tcase_add_test(tc, test_prometheus__builtin_queries_exact);
	tcase_add_loop_test(tc, test_prometheus__render, 0,
			    GC_ARRAY_SIZE(renders));
	tcase_add_test(tc, test_prometheus__collapse);
	tcase_add_loop_test(tc, test_prometheus__query_url, 0,
			    GC_ARRAY_SIZE(urls));
	tcase_add_test(tc, test_prometheus__redacts_userinfo);
	tcase_add_loop_test(tc, test_prometheus__parse, 0,
			    GC_ARRAY_SIZE(parses));
	tcase_add_test(tc, test_prometheus__parse_caps_body_excerpt);
	tcase_add_loop_test(tc, test_prometheus__judge, 0,
			    GC_ARRAY_SIZE(judges));
	tcase_add_test(tc, test_prometheus__both_query_and_template_run_twice);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(tp, creds_setup, creds_teardown);
	tcase_add_loop_test(tp, test_prometheus__prepare, 0,
			    GC_ARRAY_SIZE(prepares));
	tcase_add_test(tp, test_prometheus__prepare_auth);
	suite_add_tcase(s, tp);

	tcase_add_loop_test(fk, test_prometheus__auth_reaches_server, 0, 2);
	tcase_add_loop_test(fk, test_prometheus__fake_failures, 0,
			    GC_ARRAY_SIZE(fakes));
	tcase_add_test(fk, test_prometheus__unreachable);
	tcase_add_test(fk, test_prometheus__tls_verified_unless_skipped);
	tcase_set_timeout(fk, 30);
	suite_add_tcase(s, fk);

	tcase_add_unchecked_fixture(it, prom_setup, prom_teardown);
	tcase_add_loop_test(it, test_prometheus__live, 0, GC_ARRAY_SIZE(live));
	tcase_add_test(it, test_prometheus__live_bad_promql);
	tcase_add_test(it, test_prometheus__live_evidence);
	tcase_add_loop_test(it, test_prometheus__readiness_many_judge, 0,
			    GC_ARRAY_SIZE(judged));
	tcase_add_test(it, test_prometheus__readiness_many);
	tcase_set_timeout(it, 60);
	suite_add_tcase(s, it);
	return s;
}

GC_TEST_MAIN(gc_suite_prometheus)
