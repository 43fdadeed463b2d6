#ifndef GC_RECONCILER_PROMETHEUS_H
#define GC_RECONCILER_PROMETHEUS_H

/*
 * Prometheus metric checks (flagger-behaviour.md §5): the builtin Istio
 * queries, inline queries and MetricTemplates; query rendering, URL
 * building, response parsing, thresholds and the exact event messages.
 * Everything here is pure except gc_prometheus_readiness_many, which
 * queries.
 * The asynchronous execution lives in checks.c.
 */

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "reconciler/checks/check.h"
#include "reconciler/checks/http_client.h"
#include "util/buf.h"
#include "util/error.h"

#define GC_PROMETHEUS_DEFAULT_SERVER "http://prometheus:9090"

/* Go's fmt %v of a float64 ("99", "99.5", "1e+06", "+Inf", "NaN"). */
void gc_prometheus_format_float(gc_buf *out, double v);
/* Go's time.Duration.String() of a whole number of milliseconds. */
void gc_prometheus_format_duration_ms(gc_buf *out, long long ms);
/* Replaces every run of whitespace by one space (no trimming); owned. */
char *gc_prometheus_collapse(const char *query);

/* The template model of §5.4; all strings borrowed. */
typedef struct gc_prom_model {
	const char *name, *namespace, *target, *service, *ingress, *route;
	const char *interval;
	const cJSON *variables; /* templateVariables object or NULL */
} gc_prom_model;

/*
 * Renders {{ ident }} and {{ variables.key }} (whitespace inside the braces
 * is free); unknown identifiers and keys, and unclosed actions, are
 * GC_EINVALID errors. *out is owned.
 */
int gc_prometheus_render(char **out, const char *tmpl, const gc_prom_model *m,
			 gc_error *err);

/*
 * <address>/api/v1/query?query=<QueryEscape(query)> (§5.5); the address's
 * own query string and fragment are dropped. GC_EINVALID with
 * "prometheus address <addr> is not a valid URL". *out is owned.
 */
int gc_prometheus_query_url(char **out, const char *address, const char *query,
			    gc_error *err);

/*
 * Parses an /api/v1/query response (§5.5). 0 with *value set; GC_ENOTFOUND
 * with "no values found" (empty vector or NaN); GC_ERROR for everything
 * else, with a message naming the problem (HTTP status, malformed JSON,
 * matrix, non-numeric or infinite value).
 */
int gc_prometheus_parse(double *value, long status, const char *body,
			size_t len, gc_error *err);

typedef enum gc_prom_kind {
	GC_PROM_SUCCESS_RATE = 1, /* builtin request-success-rate */
	GC_PROM_DURATION,         /* builtin request-duration */
	GC_PROM_INLINE,           /* metrics[].query */
	GC_PROM_TEMPLATE          /* metrics[].templateRef */
} gc_prom_kind;

/* One query to run for a metric check; all owned. */
typedef struct gc_prom_query {
	gc_prom_kind kind;
	char *metric;   /* metrics[].name */
	char *query;    /* rendered and collapsed */
	char *server;   /* address, credentials redacted */
	char *url;      /* full request URL */
	char **headers; /* NULL-terminated "Name: value"; may hold secrets */
	char *username, *password; /* HTTP Basic or NULL; secrets */
	bool insecure;
	bool has_min, has_max, has_threshold;
	double min, max, threshold;
	char *fail_message; /* set: fails without a request */
	bool fail_error;    /* fail_message is a W(E) */
} gc_prom_query;

void gc_prom_query_release(gc_prom_query *q);

/* Options of the metric checks. */
typedef struct gc_prom_opts {
	const char *metrics_server;  /* --metrics-server; NULL = default */
	const char *credentials_dir; /* --credentials-dir or NULL */
} gc_prom_opts;

/*
 * Turns one metrics[] item into the queries to run, in order (a builtin
 * name, then an inline query, then a template). A query that cannot be run
 * (no usable query, template missing, secret, provider or render error)
 * carries fail_message instead: reaching it fails the check. Always at
 * least one entry; *out is an owned array of *n_out queries.
 */
void gc_prometheus_prepare(gc_prom_query **out, size_t *n_out,
			   const cJSON *metric, const gc_check_ctx *ctx,
			   const gc_prom_opts *opts);

/*
 * Judges one query's HTTP result (§5.2, §5.3). Returns true when it
 * passed; otherwise *message is the event message (owned) and
 * *error_event says whether it is a W(E). *value is the parsed value when
 * *have_value.
 */
bool gc_prometheus_evaluate(char **message, bool *error_event, double *value,
			    bool *have_value, const gc_prom_query *q,
			    const gc_http_request *req,
			    const gc_check_ctx *ctx);
/* The same from an already parsed value or an error (rc of _parse). */
bool gc_prometheus_judge(char **message, bool *error_event,
			 const gc_prom_query *q, int rc, double value,
			 const char *errmsg, const gc_check_ctx *ctx);

/* Readiness of a Deployment from kube-state-metrics series (§3.5). */
typedef enum gc_prom_ready { GC_PROM_READY = 1, GC_PROM_WAITING } gc_prom_ready;

/*
 * The six readiness queries of gc_prometheus_readiness_many; a NULL field
 * uses the kube-state-metrics series: kube_deployment_spec_replicas,
 * kube_deployment_status_replicas_updated,
 * kube_deployment_status_replicas_available, kube_deployment_status_replicas,
 * kube_deployment_metadata_generation and
 * kube_deployment_status_observed_generation.
 */
typedef struct gc_readiness_queries {
	const char *spec_replicas, *updated, *available, *replicas;
	const char *generation, *observed_generation;
} gc_readiness_queries;

/*
 * One Deployment of gc_prometheus_readiness_many: is it running `expected`
 * replicas (negative = whatever its spec says) with at least threshold_pct %
 * of the updated replicas available? message is Flagger's "waiting for
 * rollout to finish: ..." text when WAITING.
 */
typedef struct gc_prom_readiness_item {
	const char *namespace, *name; /* borrowed */
	int expected, threshold_pct;
	gc_prom_ready state; /* out */
	char *message;       /* out; owned, NULL when READY */
} gc_prom_readiness_item;

/*
 * The readiness of many Deployments with six queries in all, whatever n:
 * each query returns one sample per Deployment, labelled `namespace` and
 * `deployment`. The queries here are not templates; a NULL field uses the
 * bare kube-state-metrics metric name (e.g. kube_deployment_spec_replicas),
 * and a replacement may narrow it (kube_deployment_spec_replicas{cluster="a"}).
 * Fills every item; fails only when Prometheus cannot be queried.
 */
int gc_prometheus_readiness_many(gc_prom_readiness_item *items, size_t n,
				 const char *server,
				 const gc_readiness_queries *bulk,
				 long timeout_ms, gc_error *err);

#endif
