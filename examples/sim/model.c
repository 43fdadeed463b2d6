#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"

/* Share of --rollout-time after which observedGeneration catches up. */
#define OBSERVE_SHARE 0.1

void gc_sim_cluster_init(gc_sim_cluster *c)
{
	memset(c, 0, sizeof(*c));
	c->rollout_time = 1.0;
	c->rps = 50.0;
	c->ab_share = 0.1;
}

static void deploy_free(gc_sim_deploy *d)
{
	if (!d)
		return;
	free(d->ns);
	free(d->name);
	free(d->spec_json);
	free(d->template_json);
	cJSON_Delete(d->labels);
	free(d->image);
	free(d->old_image);
	free(d);
}

static void hpas_clear(gc_sim_cluster *c)
{
	for (size_t i = 0; i < c->nhpas; i++) {
		free(c->hpas[i]->ns);
		free(c->hpas[i]->name);
		free(c->hpas[i]->target);
		free(c->hpas[i]);
	}
	GC_FREE_AND_NULL(c->hpas);
	c->nhpas = 0;
}

static void svcs_clear(gc_sim_cluster *c)
{
	for (size_t i = 0; i < c->nsvcs; i++) {
		free(c->svcs[i]->ns);
		free(c->svcs[i]->name);
		cJSON_Delete(c->svcs[i]->selector);
		free(c->svcs[i]);
	}
	GC_FREE_AND_NULL(c->svcs);
	c->nsvcs = 0;
}

static void vs_free(gc_sim_vs *vs)
{
	if (!vs)
		return;
	free(vs->ns);
	free(vs->name);
	cJSON_Delete(vs->spec);
	free(vs->summary);
	free(vs);
}

void gc_sim_cluster_release(gc_sim_cluster *c)
{
	for (size_t i = 0; i < c->ndeps; i++)
		deploy_free(c->deps[i]);
	free(c->deps);
	hpas_clear(c);
	svcs_clear(c);
	for (size_t i = 0; i < c->nvss; i++)
		vs_free(c->vss[i]);
	free(c->vss);
	for (size_t i = 0; i < c->nloads; i++) {
		free(c->loads[i]->ns);
		free(c->loads[i]->name);
		free(c->loads[i]->codes);
		free(c->loads[i]);
	}
	free(c->loads);
	for (size_t i = 0; i < c->ngens; i++) {
		free(c->gens[i]->key);
		free(c->gens[i]->ns);
		free(c->gens[i]->host);
		free(c->gens[i]);
	}
	free(c->gens);
	memset(c, 0, sizeof(*c));
}

#define PUSH(vec, n, item)                                              \
	do {                                                            \
		(vec) = gc_xrealloc((vec), ((n) + 1) * sizeof(*(vec))); \
		(vec)[(n)++] = (item);                                  \
	} while (0)

gc_sim_deploy *gc_sim_model_find_deploy(const gc_sim_cluster *c, const char *ns,
					const char *name)
{
	for (size_t i = 0; i < c->ndeps; i++)
		if (!strcmp(c->deps[i]->ns, ns) &&
		    !strcmp(c->deps[i]->name, name))
			return c->deps[i];
	return NULL;
}

gc_sim_service *gc_sim_model_find_service(const gc_sim_cluster *c,
					  const char *ns, const char *name)
{
	for (size_t i = 0; i < c->nsvcs; i++)
		if (!strcmp(c->svcs[i]->ns, ns) &&
		    !strcmp(c->svcs[i]->name, name))
			return c->svcs[i];
	return NULL;
}

gc_sim_workload *gc_sim_model_workload(gc_sim_cluster *c, const char *ns,
				       const char *name)
{
	gc_sim_workload *w;

	for (size_t i = 0; i < c->nloads; i++)
		if (!strcmp(c->loads[i]->ns, ns) &&
		    !strcmp(c->loads[i]->name, name))
			return c->loads[i];
	w = gc_xcalloc(1, sizeof(*w));
	w->ns = gc_xstrdup(ns);
	w->name = gc_xstrdup(name);
	PUSH(c->loads, c->nloads, w);
	return w;
}

int gc_sim_deploy_available(const gc_sim_deploy *d)
{
	return d->available_new + d->old;
}

int gc_sim_deploy_replicas(const gc_sim_deploy *d)
{
	return d->updated + d->old;
}

static char *print_json(const cJSON *item)
{
	char *s = item ? cJSON_PrintUnformatted(item) : NULL;
	char *copy;

	if (!s)
		return gc_xstrdup("null");
	copy = gc_xstrdup(s);
	cJSON_free(s);
	return copy;
}

static const gc_sim_hpa *hpa_for(const gc_sim_cluster *c, const char *ns,
				 const char *name)
{
	for (size_t i = 0; i < c->nhpas; i++)
		if (!strcmp(c->hpas[i]->ns, ns) &&
		    !strcmp(c->hpas[i]->target, name))
			return c->hpas[i];
	return NULL;
}

/* spec.replicas within the bounds of an HPA targeting the Deployment. */
static int desired_of(const gc_sim_cluster *c, const gc_sim_deploy *d)
{
	const gc_sim_hpa *h = hpa_for(c, d->ns, d->name);
	int r = d->spec_replicas;

	if (r == 0)
		return 0; /* scaled to zero: an HPA is inert */
	if (!h)
		return r < 0 ? 1 : r;
	if (r < 0 || r < h->min)
		r = h->min;
	if (r > h->max)
		r = h->max;
	return r;
}

/* Starts moving the pods towards d->desired. */
static void start_rollout(gc_sim_deploy *d, bool new_template, double now)
{
	if (new_template) {
		d->old = gc_sim_deploy_available(d);
		d->available_new = 0;
	} else if (d->desired < d->available_new) {
		d->available_new = d->desired;
	}
	d->updated = d->desired;
	d->ramp_from = d->available_new;
	d->old_from = d->old;
	d->ramp_start = now;
	d->ramping = true;
}

static void read_deploy(gc_sim_deploy *d, const cJSON *obj)
{
	const cJSON *containers, *replicas;

	replicas = gc_json_get(obj, "spec.replicas");
	d->spec_replicas =
		cJSON_IsNumber(replicas) && replicas->valuedouble >= 0
			? (int)replicas->valuedouble
			: -1;
	cJSON_Delete(d->labels);
	d->labels =
		gc_json_dup(gc_json_get(obj, "spec.template.metadata.labels"));
	containers = gc_json_get(obj, "spec.template.spec.containers");
	free(d->image);
	d->image = NULL;
	if (cJSON_IsArray(containers) && cJSON_GetArraySize(containers) > 0) {
		const char *img =
			gc_json_str(cJSON_GetArrayItem(containers, 0), "image");

		d->image = img ? gc_xstrdup(img) : NULL;
	}
}

/* Applies one Deployment; returns it with *changed / *new_template set. */
static gc_sim_deploy *apply_deploy(gc_sim_cluster *c, const cJSON *obj,
				   bool *changed, bool *new_template)
{
	const char *ns = gc_json_str(obj, "metadata.namespace");
	const char *name = gc_json_str(obj, "metadata.name");
	char *spec = print_json(gc_json_get(obj, "spec"));
	char *tmpl = print_json(gc_json_get(obj, "spec.template"));
	gc_sim_deploy *d = gc_sim_model_find_deploy(c, ns, name);
	char *prev_image = NULL;

	*changed = *new_template = false;
	if (!d) {
		d = gc_xcalloc(1, sizeof(*d));
		d->ns = gc_xstrdup(ns);
		d->name = gc_xstrdup(name);
		PUSH(c->deps, c->ndeps, d);
	}
	d->seen = true;
	if (d->spec_json && !strcmp(d->spec_json, spec)) {
		free(spec);
		free(tmpl);
		return d;
	}
	*changed = true;
	*new_template = !d->template_json || strcmp(d->template_json, tmpl);
	free(d->spec_json);
	d->spec_json = spec;
	free(d->template_json);
	d->template_json = tmpl;
	prev_image = d->image ? gc_xstrdup(d->image) : NULL;
	read_deploy(d, obj);
	if (*new_template) {
		free(d->old_image);
		d->old_image = prev_image;
	} else {
		free(prev_image);
	}
	return d;
}

static void add_hpa(gc_sim_cluster *c, const cJSON *obj)
{
	const char *target = gc_json_str(obj, "spec.scaleTargetRef.name");
	gc_sim_hpa *h;

	if (!target)
		return;
	h = gc_xcalloc(1, sizeof(*h));
	h->ns = gc_xstrdup(gc_json_str(obj, "metadata.namespace"));
	h->name = gc_xstrdup(gc_json_str(obj, "metadata.name"));
	h->target = gc_xstrdup(target);
	h->min = (int)gc_json_num(obj, "spec.minReplicas", 1);
	h->max = (int)gc_json_num(obj, "spec.maxReplicas", h->min);
	if (h->max < h->min)
		h->max = h->min;
	PUSH(c->hpas, c->nhpas, h);
}

static void add_service(gc_sim_cluster *c, const cJSON *obj)
{
	gc_sim_service *s = gc_xcalloc(1, sizeof(*s));

	s->ns = gc_xstrdup(gc_json_str(obj, "metadata.namespace"));
	s->name = gc_xstrdup(gc_json_str(obj, "metadata.name"));
	s->selector = gc_json_dup(gc_json_get(obj, "spec.selector"));
	PUSH(c->svcs, c->nsvcs, s);
}

/* "a=90 b=10 | c=100 mirror=b(50%)" */
static char *vs_summary(const cJSON *spec)
{
	const cJSON *routes = gc_json_get(spec, "http"), *r, *dst;
	gc_buf b = GC_BUF_INIT;

	if (!cJSON_IsArray(routes))
		routes = gc_json_get(spec, "tcp");
	cJSON_ArrayForEach (r, routes) {
		if (b.len)
			gc_buf_adds(&b, " |");
		cJSON_ArrayForEach (dst, cJSON_GetObjectItem(r, "route")) {
			const char *host = gc_json_str(dst, "destination.host");

			gc_buf_addf(&b, "%s%s=%g", b.len ? " " : "",
				    host ? host : "?",
				    gc_json_num(dst, "weight", 100));
		}
		if (gc_json_str(r, "mirror.host"))
			gc_buf_addf(&b, " mirror=%s(%g%%)",
				    gc_json_str(r, "mirror.host"),
				    gc_json_num(r, "mirrorPercentage.value",
						100));
	}
	return gc_buf_detach(&b, NULL);
}

static void add_vs(gc_sim_cluster *c, gc_sim_vs **old, size_t nold,
		   const cJSON *obj)
{
	gc_sim_vs *vs = gc_xcalloc(1, sizeof(*vs));
	const char *prev = NULL;

	vs->ns = gc_xstrdup(gc_json_str(obj, "metadata.namespace"));
	vs->name = gc_xstrdup(gc_json_str(obj, "metadata.name"));
	vs->spec = gc_json_dup(gc_json_get(obj, "spec"));
	if (!vs->spec)
		vs->spec = cJSON_CreateObject();
	vs->summary = vs_summary(vs->spec);
	for (size_t i = 0; i < nold; i++)
		if (!strcmp(old[i]->ns, vs->ns) &&
		    !strcmp(old[i]->name, vs->name))
			prev = old[i]->summary;
	if (!prev || strcmp(prev, vs->summary))
		gc_info("virtualservice %s/%s: %s", vs->ns, vs->name,
			vs->summary);
	PUSH(c->vss, c->nvss, vs);
}

static bool is_kind(const cJSON *obj, const char *group, const char *kind)
{
	const char *api = gc_json_str(obj, "apiVersion");
	const char *k = gc_json_str(obj, "kind");
	size_t glen = strlen(group);

	if (!api || !k || strcmp(k, kind) ||
	    !gc_json_str(obj, "metadata.name") ||
	    !gc_json_str(obj, "metadata.namespace"))
		return false;
	if (!glen)
		return !strchr(api, '/');
	return !strncmp(api, group, glen) && api[glen] == '/';
}

static void apply_routing(gc_sim_cluster *c, const gc_doclist *docs)
{
	gc_sim_vs **old = c->vss;
	size_t nold = c->nvss;

	hpas_clear(c);
	svcs_clear(c);
	c->vss = NULL;
	c->nvss = 0;
	for (size_t i = 0; i < docs->n; i++) {
		const cJSON *obj = docs->v[i]->root;

		if (is_kind(obj, "autoscaling", "HorizontalPodAutoscaler"))
			add_hpa(c, obj);
		else if (is_kind(obj, "", "Service"))
			add_service(c, obj);
		else if (is_kind(obj, "networking.istio.io", "VirtualService"))
			add_vs(c, old, nold, obj);
	}
	for (size_t i = 0; i < nold; i++)
		vs_free(old[i]);
	free(old);
}

static void prune_deploys(gc_sim_cluster *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->ndeps; i++) {
		if (c->deps[i]->seen) {
			c->deps[kept++] = c->deps[i];
			continue;
		}
		gc_info("deployment %s/%s: deleted", c->deps[i]->ns,
			c->deps[i]->name);
		deploy_free(c->deps[i]);
	}
	c->ndeps = kept;
}

static void apply_deploys(gc_sim_cluster *c, const gc_doclist *docs, double now)
{
	for (size_t i = 0; i < c->ndeps; i++)
		c->deps[i]->seen = false;
	for (size_t i = 0; i < docs->n; i++) {
		const cJSON *obj = docs->v[i]->root;
		bool changed, tmpl;
		gc_sim_deploy *d;
		int desired;

		if (!is_kind(obj, "apps", "Deployment"))
			continue;
		d = apply_deploy(c, obj, &changed, &tmpl);
		desired = desired_of(c, d);
		if (!changed && desired == d->desired)
			continue;
		d->generation++;
		d->observed_at = now + OBSERVE_SHARE * c->rollout_time;
		d->desired = desired;
		start_rollout(d, tmpl, now);
		gc_info("deployment %s/%s: generation %lld, replicas %d, image %s%s",
			d->ns, d->name, d->generation, d->desired,
			d->image ? d->image : "(none)",
			tmpl ? " (new template)" : "");
	}
	prune_deploys(c);
}

void gc_sim_model_apply(gc_sim_cluster *c, const gc_doclist *docs, double now)
{
	apply_routing(c, docs);
	apply_deploys(c, docs, now);
	gc_sim_model_advance(c, now);
}

static void advance_one(gc_sim_deploy *d, double rollout_time, double now)
{
	double frac = 1.0;

	if (now >= d->observed_at)
		d->observed = d->generation;
	if (!d->ramping)
		return;
	if (rollout_time > 0.0)
		frac = (now - d->ramp_start) / rollout_time;
	if (frac < 1.0) {
		int gained = (int)floor((d->updated - d->ramp_from) * frac);

		d->available_new = d->ramp_from + gained;
		d->old = d->old_from > gained ? d->old_from - gained : 0;
		return;
	}
	d->available_new = d->updated;
	d->old = 0;
	d->ramping = false;
	d->observed = d->generation;
	gc_info("deployment %s/%s: rolled out, %d/%d available, image %s",
		d->ns, d->name, d->available_new, d->desired,
		d->image ? d->image : "(none)");
}

void gc_sim_model_advance(gc_sim_cluster *c, double now)
{
	for (size_t i = 0; i < c->ndeps; i++)
		advance_one(c->deps[i], c->rollout_time, now);
}
