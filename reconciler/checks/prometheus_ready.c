/* Deployment readiness from kube-state-metrics series (prometheus.h). */
#include "reconciler/checks/prometheus.h"

#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include "util/alloc.h"
#include "util/json.h"
#include "util/map.h"

enum { Q_SPEC, Q_UPDATED, Q_AVAILABLE, Q_REPLICAS, Q_GEN, Q_OBSERVED, Q_N };

static const char *const default_queries[Q_N] = {
	"kube_deployment_spec_replicas",
	"kube_deployment_status_replicas_updated",
	"kube_deployment_status_replicas_available",
	"kube_deployment_status_replicas",
	"kube_deployment_metadata_generation",
	"kube_deployment_status_observed_generation",
};

/* Query i of q, or the kube-state-metrics series when q leaves it NULL. */
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

typedef struct series {
	double v[Q_N];
	bool have[Q_N];
} series;

/* Adds every sample of one response to the map "ns/name" -> series. */
static int collect(gc_map *map, series **store, size_t *nstore, int qi,
		   const gc_http_request *req, gc_error *err)
{
	cJSON *root = NULL;
	const cJSON *el;
	gc_buf key = GC_BUF_INIT;
	gc_error perr = GC_ERROR_INIT;
	double probe;
	int rc;

	rc = gc_prometheus_parse(&probe, req->status, req->response.ptr,
				 req->response.len, &perr);
	if (rc < 0 && rc != GC_ENOTFOUND) {
		rc = gc_error_set(err, GC_ERROR, "readiness query failed: %s",
				  gc_error_msg(&perr));
		gc_error_release(&perr);
		return rc;
	}
	gc_error_release(&perr);
	root = cJSON_ParseWithLength(req->response.ptr, req->response.len);
	cJSON_ArrayForEach (el,
			    cJSON_GetObjectItemCaseSensitive(
				    cJSON_GetObjectItemCaseSensitive(root,
								     "data"),
				    "result")) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(el, "metric");
		const char *ns = gc_json_str(m, "namespace");
		const char *dep = gc_json_str(m, "deployment");
		const cJSON *s = cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(el, "value"), 1);
		size_t idx;

		if (!ns || !dep || !cJSON_IsString(s))
			continue;
		gc_buf_clear(&key);
		gc_buf_addf(&key, "%s/%s", ns, dep);
		idx = (size_t)(uintptr_t)gc_map_gets(map, key.ptr);
		if (!idx) {
			*store = gc_xrealloc(*store,
					     (*nstore + 1) * sizeof(**store));
			memset(&(*store)[*nstore], 0, sizeof(**store));
			idx = ++*nstore;
			gc_map_sets(map, key.ptr, (void *)(uintptr_t)idx);
		}
		(*store)[idx - 1].v[qi] = strtod(s->valuestring, NULL);
		(*store)[idx - 1].have[qi] = true;
	}
	cJSON_Delete(root);
	gc_buf_release(&key);
	return 0;
}

int gc_prometheus_readiness_many(gc_prom_readiness_item *items, size_t n,
				 const char *server,
				 const gc_readiness_queries *bulk,
				 long timeout_ms, gc_error *err)
{
	gc_http_opts hopts = { Q_N, timeout_ms, 256u << 20, 0, NULL };
	gc_http_request req[Q_N];
	char *urls[Q_N] = { 0 };
	gc_http_client *client = NULL;
	gc_map map = GC_MAP_INIT;
	series *store = NULL;
	size_t nstore = 0;
	gc_buf key = GC_BUF_INIT;
	int error;

	memset(req, 0, sizeof(req));
	if ((error = gc_http_client_new(&client, &hopts, err)) < 0)
		return error;
	for (int i = 0; i < Q_N; i++) {
		if ((error = gc_prometheus_query_url(&urls[i], server,
						     pick(bulk, i), err)) < 0)
			goto cleanup;
		gc_buf_init(&req[i].response);
		req[i].url = urls[i];
		gc_http_submit(client, &req[i], 0, done_noop, NULL);
	}
	if ((error = gc_http_client_run(client, err)) < 0)
		goto cleanup;
	for (int i = 0; i < Q_N; i++) {
		if (req[i].result != GC_HTTP_OK) {
			error = gc_error_set(err, GC_ERROR,
					     "readiness query failed: %s",
					     req[i].error);
			goto cleanup;
		}
		if ((error = collect(&map, &store, &nstore, i, &req[i], err)) <
		    0)
			goto cleanup;
	}
	for (size_t k = 0; k < n; k++) {
		static const series none;
		const series *s;
		size_t idx;

		gc_buf_clear(&key);
		gc_buf_addf(&key, "%s/%s", items[k].namespace, items[k].name);
		idx = (size_t)(uintptr_t)gc_map_gets(&map, key.ptr);
		s = idx ? &store[idx - 1] : &none;
		items[k].message = judge(s->v, s->have, items[k].expected,
					 items[k].threshold_pct,
					 items[k].namespace, items[k].name);
		items[k].state =
			items[k].message ? GC_PROM_WAITING : GC_PROM_READY;
	}
cleanup:
	for (int i = 0; i < Q_N; i++) {
		free(urls[i]);
		gc_http_request_release(&req[i]);
	}
	gc_http_client_free(client);
	gc_map_release(&map);
	free(store);
	gc_buf_release(&key);
	return error;
}
