/* Deployment readiness from kube-state-metrics series (prometheus.h). */
#include "prometheus.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define SEL "{namespace=\"{{ namespace }}\",deployment=\"{{ name }}\"}"

enum { Q_SPEC, Q_UPDATED, Q_AVAILABLE, Q_REPLICAS, Q_GEN, Q_OBSERVED, Q_N };

static const char *const default_queries[Q_N] = {
	"kube_deployment_spec_replicas" SEL,
	"kube_deployment_status_replicas_updated" SEL,
	"kube_deployment_status_replicas_available" SEL,
	"kube_deployment_status_replicas" SEL,
	"kube_deployment_metadata_generation" SEL,
	"kube_deployment_status_observed_generation" SEL,
};

static const char *pick(const gc_readiness_queries *q, int i)
{
	const char *v = NULL;

	if (q) {
		const char *const f[Q_N] = {
			q->spec_replicas, q->updated,    q->available,
			q->replicas,      q->generation, q->observed_generation
		};
		v = f[i];
	}
	return v ? v : default_queries[i];
}

static void done_noop(gc_http_request *req, void *payload)
{
	(void)req;
	(void)payload;
}

/* Flagger's isDeploymentReady steps 1, 4-6 on the series values. */
static char *judge(const double *v, const bool *have, int expected,
		   int threshold_pct, const char *ns, const char *name)
{
	long spec, updated, available, replicas, want;

	if (!have[Q_SPEC] || !have[Q_UPDATED] || !have[Q_AVAILABLE])
		return gc_xasprintf(
			"waiting for rollout to finish: deployment %s.%s is not reported by kube-state-metrics yet",
			name, ns);
	if (have[Q_GEN] && have[Q_OBSERVED] && v[Q_GEN] > v[Q_OBSERVED])
		return gc_xstrdup(
			"waiting for rollout to finish: observed deployment generation less than desired generation");
	spec = (long)v[Q_SPEC];
	updated = (long)v[Q_UPDATED];
	available = (long)v[Q_AVAILABLE];
	replicas = have[Q_REPLICAS] ? (long)v[Q_REPLICAS] : updated;
	if (expected >= 0 && spec != expected)
		return gc_xasprintf(
			"waiting for rollout to finish: %ld out of %d new replicas have been updated",
			spec < updated ? spec : updated, expected);
	if (updated < spec)
		return gc_xasprintf(
			"waiting for rollout to finish: %ld out of %ld new replicas have been updated",
			updated, spec);
	if (replicas > updated)
		return gc_xasprintf(
			"waiting for rollout to finish: %ld old replicas are pending termination",
			replicas - updated);
	want = (long)((float)updated * ((float)threshold_pct / 100.0f));
	if (available < want)
		return gc_xasprintf(
			"waiting for rollout to finish: %ld of %ld (readyThreshold %d%%) updated replicas are available",
			available, want, threshold_pct);
	return NULL;
}

int gc_prometheus_readiness(gc_prom_ready *state, char **message,
			    const char *server, const char *ns,
			    const char *name, int expected, int threshold_pct,
			    const gc_readiness_queries *q, long timeout_ms,
			    gc_error *err)
{
	gc_prom_model m = { name, ns, name, name, NULL, NULL, "", NULL };
	gc_http_opts hopts = { Q_N, timeout_ms, 0, 0 };
	gc_http_request req[Q_N];
	char *urls[Q_N] = { 0 };
	double v[Q_N] = { 0 };
	bool have[Q_N] = { 0 };
	gc_http_client *client = NULL;
	int error = 0;

	memset(req, 0, sizeof(req));
	if ((error = gc_http_client_new(&client, &hopts, err)) < 0)
		return error;
	for (int i = 0; i < Q_N; i++) {
		char *r = NULL, *c;

		if ((error = gc_prometheus_render(&r, pick(q, i), &m, err)) < 0)
			goto cleanup;
		c = gc_prometheus_collapse(r);
		free(r);
		error = gc_prometheus_query_url(&urls[i], server, c, err);
		free(c);
		if (error < 0)
			goto cleanup;
		gc_buf_init(&req[i].response);
		req[i].url = urls[i];
		gc_http_submit(client, &req[i], 0, done_noop, NULL);
	}
	if ((error = gc_http_client_run(client, err)) < 0)
		goto cleanup;
	for (int i = 0; i < Q_N; i++) {
		gc_error perr = GC_ERROR_INIT;
		int rc;

		if (req[i].result != GC_HTTP_OK) {
			error = gc_error_set(err, GC_ERROR,
					     "readiness query failed: %s",
					     req[i].error);
			goto cleanup;
		}
		rc = gc_prometheus_parse(&v[i], req[i].status,
					 req[i].response.ptr,
					 req[i].response.len, &perr);
		if (rc < 0 && rc != GC_ENOTFOUND) {
			error = gc_error_set(err, GC_ERROR,
					     "readiness query failed: %s",
					     gc_error_msg(&perr));
			gc_error_release(&perr);
			goto cleanup;
		}
		have[i] = rc == 0;
		gc_error_release(&perr);
	}
	*message = judge(v, have, expected, threshold_pct, ns, name);
	*state = *message ? GC_PROM_WAITING : GC_PROM_READY;
cleanup:
	for (int i = 0; i < Q_N; i++) {
		free(urls[i]);
		gc_http_request_release(&req[i]);
	}
	gc_http_client_free(client);
	return error;
}
