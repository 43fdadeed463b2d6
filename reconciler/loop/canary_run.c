/*
 * Runs the due canaries' state machines: readiness of their Deployments,
 * then each round's check batches together.
 */

#include "reconciler/loop/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconciler/checks/checks.h"
#include "reconciler/checks/http_client.h"
#include "reconciler/checks/prometheus.h"
#include "reconciler/service/metrics.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"
#include "util/url.h"

static const cJSON *find_template(const char *ns, const char *name,
				  void *payload)
{
	return gc_loop__find_root(payload, "MetricTemplate", ns, name);
}

/*
 * Readiness of <T>-primary and <T> of every due canary of a chunk, with
 * one bulk query set (gc_prometheus_readiness_many). An
 * unreachable Prometheus makes every Deployment "waiting", so the progress
 * deadline applies. The messages go to w->m.ready_msg (owned).
 */
static void readiness(gc_tick *t, gc_canary_work *ws, size_t nw)
{
	const gc_loop_opts *o = &t->loop->opts;
	const char *server =
		gc_loop__opt_or(o->readiness_server,
				gc_loop__opt_or(o->metrics_server,
						GC_PROMETHEUS_DEFAULT_SERVER));
	gc_prom_readiness_item *items = gc_xcalloc(2 * nw + 1, sizeof(*items));
	gc_error err = GC_ERROR_INIT;
	size_t n = 0, k = 0;
	bool failed;

	for (size_t i = 0; i < nw; i++) {
		gc_canary_work *w = &ws[i];

		if (!w->d.ran)
			continue;
		w->m.primary_name = gc_xasprintf("%s-primary", w->spec.target);
		items[n].namespace = items[n + 1].namespace = w->spec.namespace;
		items[n].name = w->m.primary_name;
		items[n].expected = items[n + 1].expected = -1;
		items[n].threshold_pct = w->spec.primary_ready_threshold;
		items[n + 1].name = w->spec.target;
		items[n + 1].threshold_pct = w->spec.canary_ready_threshold;
		n += 2;
	}
	if (o->assume_ready || n == 0)
		goto cleanup;
	/* a server that failed one chunk is not asked (and waited for) again */
	failed = t->ready_error != NULL;
	if (!failed && gc_prometheus_readiness_many(items, n, server, NULL,
						    GC_HTTP_DEFAULT_TIMEOUT_MS,
						    &err) < 0) {
		char *where = gc_url_redacted(server);

		gc_warn("readiness from %s: %s", where, gc_error_msg(&err));
		free(where);
		t->ready_error = gc_xstrdup(gc_error_msg(&err));
		failed = true;
	}
	for (size_t i = 0; i < nw; i++) {
		gc_canary_work *w = &ws[i];
		gc_readiness *r[2] = { &w->m.in.primary, &w->m.in.canary };

		if (!w->d.ran)
			continue;
		for (int j = 0; j < 2; j++, k++) {
			if (failed) {
				free(items[k].message);
				items[k].message = gc_xasprintf(
					"waiting for rollout to finish: readiness unknown: %s",
					t->ready_error);
				items[k].state = GC_PROM_WAITING;
			}
			w->m.ready_msg[j] = items[k].message;
			items[k].message = NULL;
			if (items[k].state != GC_PROM_READY) {
				r[j]->state = GC_READY_WAITING;
				r[j]->message = w->m.ready_msg[j];
			}
		}
	}
cleanup:
	for (size_t i = 0; i < n; i++)
		free(items[i].message);
	free(items);
	gc_error_release(&err);
}

static int active_replicas(const gc_canary_work *w)
{
	int replicas =
		(int)gc_json_num(w->target->doc->root, "spec.replicas", 0);
	int min = w->hpa ? (int)gc_json_num(w->hpa->doc->root,
					    "spec.minReplicas", 1)
			 : 0;

	if (w->hpa && w->spec.has_autoscaler)
		return min > 1 ? min : 1;
	return replicas > 0 ? replicas : 1;
}

static void prepare_machine(gc_canary_work *w, gc_tick *t)
{
	const gc_loop_opts *o = &t->loop->opts;
	gc_machine_in *in = &w->m.in;

	in->spec = &w->spec;
	in->revision = w->d.revision;
	in->configs = w->cfg.configs;
	in->promoted_configs = w->cfg.promoted_configs;
	in->status = &w->old.status;
	in->routing = w->old.routing;
	in->primary.state = in->canary.state = GC_READY; /* see readiness() */
	in->canary_replicas = w->old.canary_active ? active_replicas(w) : 0;
	in->primary_replicas =
		(int)gc_json_num(w->target->doc->root, "spec.replicas", 0);
	in->hpa_min_replicas = w->hpa ? (int)gc_json_num(w->hpa->doc->root,
							 "spec.minReplicas", 0)
				      : 0;
	in->now = t->now;
	gc_machine_out_init(&w->m.out);
	w->m.ctx.name = w->spec.name;
	w->m.ctx.namespace = w->spec.namespace;
	w->m.ctx.target = w->spec.target;
	w->m.ctx.service = w->spec.service;
	w->m.ctx.checksum = w->d.checksum;
	w->m.ctx.metrics_server =
		gc_loop__opt_or(gc_json_str(w->d.obj->doc->root,
					    "spec.metricsServer"),
				gc_loop__opt_or(o->metrics_server,
						GC_PROMETHEUS_DEFAULT_SERVER));
	w->m.ctx.interval = w->spec.interval_str;
	w->m.ctx.template_lookup = find_template;
	w->m.ctx.template_payload = t->loop->idx;
	w->d.ran = true;
}

static double clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Flagger's canary_duration_seconds: a tick that runs the analysis (the
 * canary Progressing or WaitingPromotion, both Deployments ready, the
 * failed checks under the threshold), from the chunk's start, readiness
 * included, until its machine was done.
 */
static void observe_duration(const gc_canary_work *w, double t0)
{
	const gc_status *st = &w->old.status;

	if ((st->phase == GC_PHASE_PROGRESSING ||
	     st->phase == GC_PHASE_WAITING_PROMOTION) &&
	    w->m.in.primary.state == GC_READY &&
	    w->m.in.canary.state == GC_READY &&
	    st->failed_checks < w->spec.threshold)
		gc_metrics_canary_duration(w->spec.namespace, w->spec.name,
					   w->spec.target, clock_s() - t0);
}

/* Runs the due canaries' machines; each round's batches go to the runner
 * together. */
int gc_loop__run_machines(gc_tick *t, gc_canary_work *ws, size_t nw,
			  gc_error *err)
{
	const gc_loop_opts *o = &t->loop->opts;
	gc_checks_opts copts = { 0 };
	gc_check_batch *batches = gc_xcalloc(nw + 1, sizeof(*batches));
	gc_check_ctx *ctx = gc_xcalloc(nw + 1, sizeof(*ctx));
	gc_canary_work **owner = gc_xcalloc(nw + 1, sizeof(*owner));
	size_t nb;
	int error = 0;
	double t0 = clock_s();

	copts.metrics_server = o->metrics_server;
	copts.credentials_dir = o->credentials_dir;
	copts.connect_to = o->connect_to;
	for (size_t i = 0; i < nw; i++)
		if (ws[i].due && !ws[i].d.broken)
			prepare_machine(&ws[i], t);
	readiness(t, ws, nw);
	for (;;) {
		nb = 0;
		for (size_t i = 0; i < nw; i++) {
			gc_canary_work *w = &ws[i];

			if (!w->d.ran || w->m.finished)
				continue;
			if (gc_machine_step(&w->m.out, &w->m.in, w->m.batches,
					    w->m.nbatches) == GC_MACHINE_DONE) {
				w->m.finished = true;
				observe_duration(w, t0);
				continue;
			}
			GC_ASSERT(w->m.nbatches < GC_MACHINE_MAX_BATCHES);
			w->m.batches[w->m.nbatches] = w->m.out.need;
			memset(&w->m.out.need, 0, sizeof(w->m.out.need));
			batches[nb] = w->m.batches[w->m.nbatches];
			ctx[nb] = w->m.ctx;
			owner[nb++] = w;
		}
		if (!nb)
			break;
		error = gc_checks_run(batches, ctx, nb, &copts, err);
		for (size_t k = 0; k < nb; k++) {
			owner[k]->m.batches[owner[k]->m.nbatches++] =
				batches[k];
		}
		if (error < 0)
			break;
	}
	free(batches);
	free(ctx);
	free(owner);
	return error;
}
