#include "sim.h"

#include <stdlib.h>
#include <string.h>

const double gc_sim_buckets[GC_SIM_NBUCKETS] = {
	0.5,  1,    5,     10,    25,    50,     100,    250,     500,    1000,
	2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000
};

typedef long long (*deploy_value_fn)(const gc_sim_deploy *d);

static long long spec_replicas(const gc_sim_deploy *d)
{
	return d->desired;
}

static long long status_replicas(const gc_sim_deploy *d)
{
	return gc_sim_deploy_replicas(d);
}

static long long updated_replicas(const gc_sim_deploy *d)
{
	return d->updated;
}

static long long available_replicas(const gc_sim_deploy *d)
{
	return gc_sim_deploy_available(d);
}

static long long generation(const gc_sim_deploy *d)
{
	return d->generation;
}

static long long observed_generation(const gc_sim_deploy *d)
{
	return d->observed;
}

static const struct {
	const char *name, *help;
	deploy_value_fn value;
} ksm[] = {
	{ "kube_deployment_spec_replicas",
	  "Number of desired pods for a deployment.", spec_replicas },
	{ "kube_deployment_status_replicas",
	  "The number of replicas per deployment.", status_replicas },
	{ "kube_deployment_status_replicas_updated",
	  "The number of updated replicas per deployment.", updated_replicas },
	{ "kube_deployment_status_replicas_available",
	  "The number of available replicas per deployment.",
	  available_replicas },
	{ "kube_deployment_metadata_generation",
	  "Sequence number representing a specific generation of the desired state.",
	  generation },
	{ "kube_deployment_status_observed_generation",
	  "The generation observed by the deployment controller.",
	  observed_generation },
};

static int cmp_deploy(const void *a, const void *b)
{
	const gc_sim_deploy *x = *(const gc_sim_deploy *const *)a;
	const gc_sim_deploy *y = *(const gc_sim_deploy *const *)b;
	int r = strcmp(x->ns, y->ns);

	return r ? r : strcmp(x->name, y->name);
}

static int cmp_load(const void *a, const void *b)
{
	const gc_sim_workload *x = *(const gc_sim_workload *const *)a;
	const gc_sim_workload *y = *(const gc_sim_workload *const *)b;
	int r = strcmp(x->ns, y->ns);

	return r ? r : strcmp(x->name, y->name);
}

static void render_ksm(gc_buf *out, const gc_sim_cluster *c)
{
	const gc_sim_deploy **v = calloc(c->ndeps + 1, sizeof(*v));
	if (!v)
		abort();
	if (c->ndeps) {
		memcpy(v, c->deps, c->ndeps * sizeof(*v));
		qsort(v, c->ndeps, sizeof(*v), cmp_deploy);
	}
	for (size_t m = 0; m < GC_ARRAY_SIZE(ksm); m++) {
		gc_buf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", ksm[m].name,
			    ksm[m].help, ksm[m].name);
		for (size_t i = 0; i < c->ndeps; i++) {
			gc_buf_addf(
				out,
				"%s{namespace=\"%s\",deployment=\"%s\"} %lld\n",
				ksm[m].name, v[i]->ns, v[i]->name,
				ksm[m].value(v[i]));
		}
	}
	free(v);
}

#define ISTIO_LABELS                                            \
	"reporter=\"destination\",destination_workload=\"%s\"," \
	"destination_workload_namespace=\"%s\",response_code=\"%d\""

static void render_histogram(gc_buf *out, const gc_sim_workload *w,
			     const gc_sim_codestats *s)
{
	unsigned long long cum = 0;

	for (size_t b = 0; b < GC_SIM_NBUCKETS; b++) {
		cum += s->buckets[b];
		gc_buf_addf(
			out,
			"istio_request_duration_milliseconds_bucket{" ISTIO_LABELS
			",le=\"%.10g\"} %llu\n",
			w->name, w->ns, s->code, gc_sim_buckets[b], cum);
	}
	gc_buf_addf(out,
		    "istio_request_duration_milliseconds_bucket{" ISTIO_LABELS
		    ",le=\"+Inf\"} %llu\n",
		    w->name, w->ns, s->code, s->count);
	gc_buf_addf(out,
		    "istio_request_duration_milliseconds_sum{" ISTIO_LABELS
		    "} %.17g\n",
		    w->name, w->ns, s->code, s->sum_ms);
	gc_buf_addf(out,
		    "istio_request_duration_milliseconds_count{" ISTIO_LABELS
		    "} %llu\n",
		    w->name, w->ns, s->code, s->count);
}

static void render_istio(gc_buf *out, const gc_sim_cluster *c)
{
	const gc_sim_workload **v = calloc(c->nloads + 1, sizeof(*v));

	if (!v)
		abort();
	if (c->nloads) {
		memcpy(v, c->loads, c->nloads * sizeof(*v));
		qsort(v, c->nloads, sizeof(*v), cmp_load);
	}
	gc_buf_adds(out, "# HELP istio_requests_total Total requests.\n"
			 "# TYPE istio_requests_total counter\n");
	for (size_t i = 0; i < c->nloads; i++)
		for (size_t k = 0; k < v[i]->ncodes; k++)
			gc_buf_addf(out,
				    "istio_requests_total{" ISTIO_LABELS
				    "} %llu\n",
				    v[i]->name, v[i]->ns, v[i]->codes[k].code,
				    v[i]->codes[k].count);
	gc_buf_adds(
		out,
		"# HELP istio_request_duration_milliseconds Request duration.\n"
		"# TYPE istio_request_duration_milliseconds histogram\n");
	for (size_t i = 0; i < c->nloads; i++)
		for (size_t k = 0; k < v[i]->ncodes; k++)
			render_histogram(out, v[i], &v[i]->codes[k]);
	free(v);
}

void gc_sim_metrics_render(gc_buf *out, const gc_sim_cluster *c)
{
	render_ksm(out, c);
	render_istio(out, c);
}
