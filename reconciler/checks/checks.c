#include "reconciler/checks/checks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/checks/http_client.h"
#include "reconciler/checks/prometheus.h"
#include "util/alloc.h"
#include "util/json.h"
#include "reconciler/checks/notifier.h"
#include "util/url.h"
#include "reconciler/checks/webhook.h"
#include "reconciler/service/metrics.h"

static const char *const json_headers[] = {
	"Content-Type: application/json",
	NULL,
};

typedef struct runner runner;

/* One batch in flight: at most one request at a time. */
typedef struct batch_run {
	runner *r;
	gc_check_batch *b;
	const gc_check_ctx *ctx;
	size_t idx;
	gc_http_request req;
	/* metric state */
	gc_prom_query *q;
	size_t nq, qi;
	/* webhook and alert state */
	char *body;
	const char *url;
	unsigned attempts, max_attempts;
	char *auth; /* an alert's "Authorization: Bearer ..." header */
	const char *alert_headers[3];
} batch_run;

struct runner {
	gc_http_client *client;
	const gc_checks_opts *opts;
	gc_prom_opts prom;
	long backoff_ms, backoff_max_ms, query_timeout_ms;
};

static void advance(batch_run *br);

static void clear_metric(batch_run *br)
{
	for (size_t i = 0; i < br->nq; i++)
		gc_prom_query_release(&br->q[i]);
	free(br->q);
	br->q = NULL;
	br->nq = br->qi = 0;
}

static void clear_webhook(batch_run *br)
{
	GC_FREE_AND_NULL(br->body);
	GC_FREE_AND_NULL(br->auth);
	br->req.proxy = NULL;
	br->url = NULL;
	br->attempts = br->max_attempts = 0;
}

/* Records the result of the current check and moves on. */
static void finish_check(batch_run *br, bool pass, char *message,
			 bool error_event)
{
	gc_check *c = &br->b->v[br->idx];
	const char *result = pass ? "pass" : error_event ? "error" : "fail";

	c->status = pass ? GC_CHECK_PASS : GC_CHECK_FAIL;
	c->message = message;
	c->error_event = error_event;
	gc_metrics_check(c->kind, gc_json_str(c->spec, "type"), pass,
			 error_event);
	if (c->evidence)
		gc_json_add_str(c->evidence, "result", result);
	clear_metric(br);
	clear_webhook(br);
	br->idx++;
	if ((!pass && br->b->stop_on_fail) || (pass && br->b->stop_on_pass))
		br->idx = br->b->n;
	advance(br);
}

/* ---- metrics ------------------------------------------------------- */

static cJSON *metric_evidence(const gc_prom_query *q)
{
	cJSON *e = cJSON_CreateObject();

	GC_ASSERT(e);
	gc_json_add_str(e, "name", q->metric);
	if (q->query)
		gc_json_add_str(e, "query", q->query);
	if (q->server)
		gc_json_add_str(e, "server", q->server);
	if (q->has_min)
		gc_json_add_num(e, "min", q->min);
	if (q->has_max)
		gc_json_add_num(e, "max", q->max);
	if (q->has_threshold) {
		if (q->kind == GC_PROM_SUCCESS_RATE)
			gc_json_add_num(e, "min", q->threshold);
		else
			gc_json_add_num(e, "max", q->threshold);
	}
	return e;
}

static void metric_done(gc_http_request *req, void *payload);

static void metric_next(batch_run *br)
{
	gc_check *c = &br->b->v[br->idx];
	gc_prom_query *q = &br->q[br->qi];
	char *msg = NULL;
	bool ee = false;

	cJSON_Delete(c->evidence);
	c->evidence = metric_evidence(q);
	if (q->fail_message) {
		gc_prometheus_judge(&msg, &ee, q, GC_ERROR, 0, NULL, br->ctx);
		finish_check(br, false, msg, ee);
		return;
	}
	memset(&br->req.error, 0, sizeof(br->req.error));
	br->req.method = "GET";
	br->req.url = q->url;
	br->req.headers = (const char *const *)q->headers;
	br->req.body = NULL;
	br->req.body_len = 0;
	br->req.timeout_ms = br->r->query_timeout_ms;
	br->req.insecure = q->insecure;
	br->req.username = q->username;
	br->req.password = q->password;
	gc_http_submit(br->r->client, &br->req, 0, metric_done, br);
}

static void metric_done(gc_http_request *req, void *payload)
{
	batch_run *br = payload;
	gc_check *c = &br->b->v[br->idx];
	gc_prom_query *q = &br->q[br->qi];
	char *msg = NULL;
	bool ee = false, have = false;
	double v = 0;
	bool pass =
		gc_prometheus_evaluate(&msg, &ee, &v, &have, q, req, br->ctx);

	if (have && isfinite(v)) {
		gc_json_add_num(c->evidence, "value", v);
		/* Flagger records request-duration in seconds */
		gc_metrics_canary_analysis(br->ctx->namespace, br->ctx->name,
					   br->ctx->target, q->metric,
					   q->kind == GC_PROM_DURATION ? v / 1e3
								       : v);
	} else if (req->result == GC_HTTP_OK && req->response.len)
		gc_json_add_str(c->evidence, "response", req->response.ptr);
	if (pass && br->qi + 1 < br->nq) {
		br->qi++;
		metric_next(br);
		return;
	}
	finish_check(br, pass, msg, ee);
}

static void start_metric(batch_run *br, gc_check *c)
{
	gc_prometheus_prepare(&br->q, &br->nq, c->spec, br->ctx, &br->r->prom);
	br->qi = 0;
	metric_next(br);
}

/* ---- webhooks ------------------------------------------------------ */

static void webhook_done(gc_http_request *req, void *payload);

static void webhook_send(batch_run *br, long delay_ms)
{
	br->attempts++;
	br->req.method = "POST";
	br->req.url = br->url;
	br->req.headers = json_headers;
	br->req.body = br->body;
	br->req.body_len = strlen(br->body);
	br->req.username = br->req.password = NULL;
	gc_http_submit(br->r->client, &br->req, delay_ms, webhook_done, br);
}

static void webhook_done(gc_http_request *req, void *payload)
{
	batch_run *br = payload;
	gc_check *c = &br->b->v[br->idx];
	char *msg = NULL;
	bool pass;

	if (gc_webhook_retryable(req) && br->attempts < br->max_attempts) {
		webhook_send(br, gc_webhook_backoff_ms(req, br->attempts,
						       br->r->backoff_ms,
						       br->r->backoff_max_ms));
		return;
	}
	pass = gc_webhook_judge(&msg, req, br->url, br->attempts);
	gc_json_add_num(c->evidence, "status", (double)req->status);
	gc_json_add_num(c->evidence, "duration_ms", req->elapsed_ms);
	gc_json_add_num(c->evidence, "attempts", br->attempts);
	if (req->result != GC_HTTP_OK)
		gc_json_add_str(c->evidence, "error", req->error);
	else if (!pass && req->response.len)
		gc_json_add_str(c->evidence, "response", req->response.ptr);
	finish_check(br, pass, msg, false);
}

static void start_webhook(batch_run *br, gc_check *c)
{
	const cJSON *s = c->spec;
	const char *name = gc_json_str(s, "name");
	const char *type = gc_json_str(s, "type");
	const char *url = gc_json_str(s, "url");
	double retries = gc_json_num(s, "retries", 0);
	gc_error err = GC_ERROR_INIT;
	gc_buf red = GC_BUF_INIT;
	long timeout;

	c->evidence = cJSON_CreateObject();
	GC_ASSERT(c->evidence);
	gc_json_add_str(c->evidence, "name", name ? name : "");
	gc_json_add_str(c->evidence, "type", type && *type ? type : "rollout");
	gc_url_redact(&red, url ? url : "");
	gc_json_add_str(c->evidence, "url", red.ptr);
	gc_buf_release(&red);
	if (!url || !*url) {
		finish_check(br, false, gc_xstrdup("webhook url is missing"),
			     false);
		return;
	}
	if (gc_webhook_timeout_ms(&timeout, gc_json_str(s, "timeout"), &err) <
	    0) {
		char *m =
			gc_xasprintf("webhook timeout: %s", gc_error_msg(&err));

		gc_error_release(&err);
		finish_check(br, false, m, false);
		return;
	}
	br->url = url;
	br->body = gc_webhook_payload(br->ctx->name, br->ctx->namespace,
				      c->phase, br->ctx->checksum,
				      gc_json_get(s, "metadata"));
	br->attempts = 0;
	br->max_attempts =
		1 + (retries > 0 && retries < 100 ? (unsigned)retries : 0);
	br->req.timeout_ms = timeout;
	br->req.insecure = gc_json_bool(s, "disableTLS", false);
	webhook_send(br, 0);
}

/* ---- alerts -------------------------------------------------------- */

static void alert_done(gc_http_request *req, void *payload);

static void alert_send(batch_run *br, long delay_ms)
{
	br->attempts++;
	br->req.method = "POST";
	br->req.url = br->url;
	br->req.headers = br->alert_headers;
	br->req.body = br->body;
	br->req.body_len = strlen(br->body);
	br->req.username = br->req.password = NULL;
	gc_http_submit(br->r->client, &br->req, delay_ms, alert_done, br);
}

/* Flagger's success rule for notifications: a 2xx answer. */
static void alert_done(gc_http_request *req, void *payload)
{
	batch_run *br = payload;
	gc_check *c = &br->b->v[br->idx];
	bool pass = req->result == GC_HTTP_OK && req->status >= 200 &&
		    req->status < 300;
	char *msg = NULL;

	if (!pass && gc_webhook_retryable(req) &&
	    br->attempts < br->max_attempts) {
		alert_send(br, gc_webhook_backoff_ms(req, br->attempts,
						     br->r->backoff_ms,
						     br->r->backoff_max_ms));
		return;
	}
	gc_json_add_num(c->evidence, "status", (double)req->status);
	gc_json_add_num(c->evidence, "duration_ms", req->elapsed_ms);
	gc_json_add_num(c->evidence, "attempts", br->attempts);
	if (!pass) {
		msg = gc_notifier_failure(req->result == GC_HTTP_OK,
					  req->status, req->response.ptr,
					  req->error, br->url);
		gc_json_add_str(c->evidence, "error", msg);
	}
	finish_check(br, pass, msg, false);
}

/* The evidence names the alert and its provider, never the address. */
static void start_alert(batch_run *br, gc_check *c)
{
	static const char *const keep[] = { "name", "provider", "type",
					    "severity", "message" };
	const cJSON *s = c->spec;
	const char *token = gc_json_str(s, "token");
	const char *body = gc_json_str(s, "body");

	c->evidence = cJSON_CreateObject();
	GC_ASSERT(c->evidence);
	for (size_t i = 0; i < GC_ARRAY_SIZE(keep); i++)
		if (gc_json_str(s, keep[i]))
			gc_json_add_str(c->evidence, keep[i],
					gc_json_str(s, keep[i]));
	br->url = gc_json_str(s, "url");
	if (!br->url || !body) {
		finish_check(br, false, gc_xstrdup("alert has no address"),
			     false);
		return;
	}
	br->body = gc_xstrdup(body);
	br->auth = token && *token
			   ? gc_xasprintf("Authorization: Bearer %s", token)
			   : NULL;
	br->alert_headers[0] = "Content-Type: application/json";
	br->alert_headers[1] = br->auth;
	br->alert_headers[2] = NULL;
	br->req.proxy = gc_json_str(s, "proxy");
	br->req.timeout_ms = GC_NOTIFIER_TIMEOUT_MS;
	br->req.insecure = false;
	br->attempts = 0;
	br->max_attempts = GC_NOTIFIER_ATTEMPTS;
	alert_send(br, 0);
}

/* ---- driver -------------------------------------------------------- */

static void advance(batch_run *br)
{
	gc_check *c;

	if (br->idx >= br->b->n)
		return;
	c = &br->b->v[br->idx];
	if (c->kind == GC_CHECK_METRIC)
		start_metric(br, c);
	else if (c->kind == GC_CHECK_ALERT)
		start_alert(br, c);
	else
		start_webhook(br, c);
}

int gc_checks_run(gc_check_batch *batches, const gc_check_ctx *ctx, size_t n,
		  const gc_checks_opts *opts, gc_error *err)
{
	static const gc_checks_opts defaults;
	gc_http_opts hopts = { 0 };
	runner r = { 0 };
	batch_run *runs = NULL;
	int error;

	if (!opts)
		opts = &defaults;
	hopts.max_active = opts->concurrency ? opts->concurrency : 32;
	hopts.max_response = opts->max_response;
	hopts.timeout_ms = opts->query_timeout_ms;
	hopts.connect_to = opts->connect_to;
	r.opts = opts;
	r.prom.metrics_server = opts->metrics_server;
	r.prom.credentials_dir = opts->credentials_dir;
	r.backoff_ms = opts->backoff_ms ? opts->backoff_ms : 1000;
	r.backoff_max_ms = opts->backoff_max_ms ? opts->backoff_max_ms : 30000;
	r.query_timeout_ms = opts->query_timeout_ms
				     ? opts->query_timeout_ms
				     : GC_HTTP_DEFAULT_TIMEOUT_MS;
	if ((error = gc_http_client_new(&r.client, &hopts, err)) < 0)
		return error;
	runs = gc_xcalloc(n ? n : 1, sizeof(*runs));
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < batches[i].n; j++)
			gc_check_release(&batches[i].v[j]);
		runs[i].r = &r;
		runs[i].b = &batches[i];
		runs[i].ctx = &ctx[i];
		gc_buf_init(&runs[i].req.response);
		advance(&runs[i]);
	}
	error = gc_http_client_run(r.client, err);
	for (size_t i = 0; i < n; i++) {
		clear_metric(&runs[i]);
		clear_webhook(&runs[i]);
		gc_http_request_release(&runs[i].req);
	}
	free(runs);
	gc_http_client_free(r.client);
	return error;
}

int gc_checks_run_canaries(size_t n, gc_checks_canary_fn canary, void *payload,
			   const gc_checks_opts *opts, gc_error *err)
{
	const gc_check_batch *b;
	const gc_check_ctx *c;
	gc_check_batch *batches = NULL;
	gc_check_ctx *ctx = NULL;
	size_t nb = 0, k = 0, m;
	int error;

	for (size_t i = 0; i < n; i++) {
		canary(&b, &m, &c, i, payload);
		nb += m;
	}
	if (!nb)
		return 0;
	batches = gc_xcalloc(nb, sizeof(*batches));
	ctx = gc_xcalloc(nb, sizeof(*ctx));
	for (size_t i = 0; i < n; i++) {
		canary(&b, &m, &c, i, payload);
		for (size_t h = 0; h < m; h++) {
			batches[k] = b[h];
			ctx[k++] = *c;
		}
	}
	error = gc_checks_run(batches, ctx, nb, opts, err);
	free(batches);
	free(ctx);
	return error;
}
