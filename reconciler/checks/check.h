#ifndef GC_RECONCILER_CHECK_H
#define GC_RECONCILER_CHECK_H

/*
 * CONTRACT between the pure state machine (reconciler/release/machine.c), which
 * asks for checks, and the runner (reconciler/checks/checks.c: Prometheus
 * queries and webhooks over libcurl), which performs them. The machine fills
 * the request part of a gc_check; the runner fills the result part.
 */

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef enum gc_check_kind {
	GC_CHECK_WEBHOOK = 1, /* spec.analysis.webhooks[i] */
	GC_CHECK_METRIC,      /* spec.analysis.metrics[i] */
	/* an alert delivery (alert_hooks.h): spec {name, provider, type,
	 * severity, message, url, token, proxy, body}; never asked by the
	 * machine */
	GC_CHECK_ALERT
} gc_check_kind;

typedef enum gc_check_status {
	GC_CHECK_NOT_RUN =
		0, /* not run (an earlier check of its batch decided) */
	GC_CHECK_PASS,
	GC_CHECK_FAIL
} gc_check_status;

typedef struct gc_check {
	/* request, filled by the machine */
	gc_check_kind kind;
	const cJSON *spec; /* borrowed: the webhooks[] or metrics[] item */
	char phase[24];    /* webhook payload "phase" */

	/* result, filled by the runner */
	gc_check_status status;
	/*
	 * Owned. Webhook: the failure text of §6.2 (the response body quoted
	 * by gc_text_quote, or
	 * "POST <url> giving up after <n> attempt(s)[: <err>]").
	 * Metric: the complete event message of §5.3 ("Halt podinfo.test
	 * advancement success rate 98.69% < 99%", "Prometheus query failed:
	 * ..."). NULL when passed.
	 */
	char *message;
	bool error_event; /* the message is a W(E) event (query/transport error)
			   */
	/*
	 * Owned evidence for git notes: metric {name, query, server, value,
	 * min, max, result, and response: the whole body of a response that
	 * failed}; webhook {name, type, url, status, duration_ms, attempts,
	 * result, response: the whole body of a failed one, and error: the
	 * transport error when there was no response}. URLs redacted
	 * (util/url.h), strings valid UTF-8. Never contains credentials.
	 */
	cJSON *evidence;
} gc_check;

/*
 * The checks one canary needs in one round, run in order. With
 * stop_on_fail the first failure ends the batch (webhooks of one type,
 * the analysis: rollout hooks then metrics); with stop_on_pass the first
 * success ends it (rollback hooks). Later checks stay GC_CHECK_NOT_RUN.
 */
typedef struct gc_check_batch {
	gc_check *v;
	size_t n;
	bool stop_on_fail;
	bool stop_on_pass;
} gc_check_batch;

/* Lookup of a MetricTemplate by namespace and name (borrowed or NULL). */
typedef const cJSON *(*gc_template_lookup_fn)(const char *ns, const char *name,
					      void *payload);

/* What the runner needs to know about the canary a batch belongs to. */
typedef struct gc_check_ctx {
	const char *name;           /* <C> */
	const char *namespace;      /* <NS> */
	const char *target;         /* <T> */
	const char *service;        /* <APEX> */
	const char *checksum;       /* webhook payload checksum (§2.5) */
	const char *metrics_server; /* spec.metricsServer or --metrics-server */
	const char *interval; /* spec.analysis.interval, for {{ interval }}
				 defaults */
	gc_template_lookup_fn template_lookup;
	void *template_payload;
} gc_check_ctx;

void gc_check_release(gc_check *c);
void gc_check_batch_release(gc_check_batch *b);

#endif
