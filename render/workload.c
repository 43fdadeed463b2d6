/*
 * Workloads: the primary and canary Deployments and the primary HPA
 * (flagger-behaviour.md §4.1, §4.6, §3.6, §3.8.1). The primary copies of
 * tracked ConfigMaps/Secrets are in configs.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "revision.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

/* ---- primary Deployment (§4.1) ---- */

static void rewrite_selector(const gc_rctx *c, cJSON *sel)
{
	cJSON *e, *v;

	cJSON_ArrayForEach (e, cJSON_GetObjectItem(sel, "matchExpressions")) {
		const char *key = gc_json_str(e, "key");

		if (!key || !gc_render__is_selector_label(key))
			continue;
		cJSON_ArrayForEach (v, cJSON_GetObjectItem(e, "values")) {
			if (cJSON_IsString(v) &&
			    !strcmp(v->valuestring, c->target)) {
				char *p = gc_xasprintf("%s-primary", c->target);

				cJSON_SetValuestring(v, p);
				free(p);
				break;
			}
		}
	}
	v = cJSON_GetObjectItem(sel, "matchLabels");
	for (v = v ? v->child : NULL; v; v = v->next) {
		if (gc_render__is_selector_label(v->string) &&
		    cJSON_IsString(v) && !strcmp(v->valuestring, c->target)) {
			char *p = gc_xasprintf("%s-primary", c->target);

			cJSON_SetValuestring(v, p);
			free(p);
		}
	}
}

static void rewrite_affinity(const gc_rctx *c, cJSON *spec)
{
	cJSON *t, *anti = cJSON_GetObjectItemCaseSensitive(
			  cJSON_GetObjectItemCaseSensitive(spec, "affinity"),
			  "podAntiAffinity");

	cJSON_ArrayForEach (t, cJSON_GetObjectItem(spec,
						   "topologySpreadConstraints"))
		rewrite_selector(c, cJSON_GetObjectItem(t, "labelSelector"));
	cJSON_ArrayForEach (
		t, cJSON_GetObjectItem(
			   anti,
			   "preferredDuringSchedulingIgnoredDuringExecution"))
		rewrite_selector(c, cJSON_GetObjectItemCaseSensitive(
					    cJSON_GetObjectItemCaseSensitive(
						    t, "podAffinityTerm"),
					    "labelSelector"));
	cJSON_ArrayForEach (
		t,
		cJSON_GetObjectItem(
			anti, "requiredDuringSchedulingIgnoredDuringExecution"))
		rewrite_selector(c, cJSON_GetObjectItem(t, "labelSelector"));
}

static void set_str(cJSON *obj, const char *key, const char *value)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (item)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key,
						       cJSON_CreateString(
							       value));
	else
		gc_json_add_str(obj, key, value);
}

static void copy_field(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);

	if (v)
		gc_render__add(dst, key, gc_json_dup(v));
}

static bool has_hpa(const gc_rctx *c)
{
	return gc_json_get(c->in->canary, "spec.autoscalerRef") && c->in->hpa;
}

int gc_render__primary(const gc_rctx *c, cJSON *out, cJSON *pod_spec,
		       const char *checksums)
{
	char *name = gc_xasprintf("%s-primary", c->target);
	char *value = gc_xasprintf("%s-primary", c->label_value);
	const cJSON *tspec = gc_json_get(c->in->target, "spec");
	const cJSON *tmeta = gc_json_get(c->primary_template, "metadata");
	cJSON *labels = cJSON_CreateObject(), *obj, *spec, *tpl, *m, *a;
	cJSON *own_labels =
		gc_render__prefixed(c, gc_json_get(c->in->target,
						   "metadata.labels"));
	cJSON *own_annotations =
		gc_render__prefixed(c, gc_json_get(c->in->target,
						   "metadata.annotations"));
	char id[37];
	int replicas;

	gc_json_add_str(labels, c->label_key, value);
	/* the selector label wins over a copied one */
	gc_render__copy_filtered(own_labels, labels);
	obj = gc_render__object("apps/v1", "Deployment",
				gc_render__meta(c, name, own_labels,
						own_annotations));
	cJSON_Delete(own_labels);
	cJSON_Delete(own_annotations);
	spec = gc_json_obj(obj, "spec");
	if (!has_hpa(c)) {
		replicas = (int)gc_json_num(tspec, "replicas", 0);
		gc_json_add_num(spec, "replicas", replicas > 0 ? replicas : 1);
	}
	copy_field(spec, tspec, "minReadySeconds");
	copy_field(spec, tspec, "revisionHistoryLimit");
	copy_field(spec, tspec, "progressDeadlineSeconds");
	copy_field(spec, tspec, "strategy");
	gc_render__add(gc_json_obj(spec, "selector"), "matchLabels",
		       gc_json_dup(labels));
	tpl = gc_json_obj(spec, "template");
	m = gc_json_obj(tpl, "metadata");
	gc_render__copy_filtered(gc_json_obj(m, "labels"),
				 gc_json_get(tmeta, "labels"));
	set_str(cJSON_GetObjectItem(m, "labels"), c->label_key, value);
	a = gc_json_obj(m, "annotations");
	gc_render__copy_filtered(a, gc_json_get(tmeta, "annotations"));
	cJSON_DeleteItemFromObjectCaseSensitive(a, "flagger-id");
	gc_render_flagger_id(id, c->ns, c->name, c->primary_rev, checksums);
	gc_json_add_str(a, "flagger-id", id);
	rewrite_affinity(c, pod_spec);
	gc_render__add(tpl, "spec", gc_json_dup(pod_spec));
	cJSON_AddItemToArray(out, obj);
	cJSON_Delete(labels);
	free(name);
	free(value);
	return 0;
}

/* ---- canary Deployment <T> ---- */

static const char *const server_fields[] = { "uid",
					     "resourceVersion",
					     "generation",
					     "creationTimestamp",
					     "managedFields",
					     "ownerReferences",
					     "selfLink",
					     "deletionTimestamp",
					     "deletionGracePeriodSeconds" };

/*
 * Replicas written on the canary Deployment <T>: 0 outside a release;
 * during one, -1 (field omitted, the HPA owns it) with an HPA, else the
 * §3.6 scale-from-zero count.
 */
static int canary_replicas(const gc_render_input *in)
{
	int replicas = (int)gc_json_num(in->target, "spec.replicas", 0);
	const cJSON *ref = gc_json_get(in->canary, "spec.autoscalerRef");

	if (!in->stage.canary_active)
		return 0;
	if (ref && in->hpa)
		return -1;
	return replicas > 0 ? replicas : 1;
}

int gc_render__canary_deployment(const gc_rctx *c, cJSON *out)
{
	const cJSON *target = c->in->target;
	cJSON *obj = cJSON_CreateObject(), *meta, *spec;
	int replicas = canary_replicas(c->in);

	for (const cJSON *m = target->child; m; m = m->next) {
		if (!strcmp(m->string, "status") ||
		    !strcmp(m->string, "metadata") ||
		    !strcmp(m->string, "spec"))
			continue;
		gc_render__add(obj, m->string, gc_json_dup(m));
	}
	meta = gc_render__meta(c, c->target,
			       gc_json_get(target, "metadata.labels"),
			       gc_json_get(target, "metadata.annotations"));
	for (const cJSON *m = gc_json_get(target, "metadata")->child; m;
	     m = m->next) {
		bool skip = !strcmp(m->string, "name") ||
			    !strcmp(m->string, "namespace") ||
			    !strcmp(m->string, "labels") ||
			    !strcmp(m->string, "annotations");

		for (size_t i = 0; i < GC_ARRAY_SIZE(server_fields); i++)
			skip = skip || !strcmp(m->string, server_fields[i]);
		if (!skip)
			gc_render__add(meta, m->string, gc_json_dup(m));
	}
	gc_render__add(obj, "metadata", meta);
	spec = gc_json_obj(obj, "spec");
	if (replicas >= 0)
		gc_json_add_num(spec, "replicas", replicas);
	for (const cJSON *m = gc_json_get(target, "spec")->child; m;
	     m = m->next)
		if (strcmp(m->string, "replicas"))
			gc_render__add(spec, m->string, gc_json_dup(m));
	cJSON_AddItemToArray(out, obj);
	return 0;
}

/* ---- primary HPA (§4.6) ---- */

int gc_render__hpa(const gc_rctx *c, cJSON *out)
{
	const cJSON *hpa = c->in->hpa, *hspec, *ref, *psr;
	cJSON *obj, *spec, *tgt, *labels, *annotations;
	char *name;
	double cpu;

	if (!has_hpa(c))
		return 0;
	hspec = gc_json_get(hpa, "spec");
	ref = gc_json_get(hspec, "scaleTargetRef");
	name = gc_xasprintf("%s-primary",
			    gc_json_str(hpa, "metadata.name")
				    ? gc_json_str(hpa, "metadata.name")
				    : c->target);
	/* Flagger's HPAReconciler: includeLabelsByPrefix on both */
	labels = gc_render__prefixed(c, gc_json_get(hpa, "metadata.labels"));
	annotations =
		gc_render__prefixed(c,
				    gc_json_get(hpa, "metadata.annotations"));
	obj = gc_render__object("autoscaling/v2", "HorizontalPodAutoscaler",
				gc_render__meta(c, name, labels, annotations));
	cJSON_Delete(labels);
	cJSON_Delete(annotations);
	spec = gc_json_obj(obj, "spec");
	tgt = gc_json_obj(spec, "scaleTargetRef");
	gc_json_add_str(tgt, "apiVersion",
			gc_json_str(ref, "apiVersion")
				? gc_json_str(ref, "apiVersion")
				: "apps/v1");
	gc_json_add_str(tgt, "kind",
			gc_json_str(ref, "kind") ? gc_json_str(ref, "kind")
						 : "Deployment");
	free(name);
	name = gc_xasprintf("%s-primary", c->target);
	gc_json_add_str(tgt, "name", name);
	free(name);
	psr = gc_json_get(c->in->canary,
			  "spec.autoscalerRef.primaryScalerReplicas");
	gc_json_add_num(spec, "minReplicas",
			gc_json_num(psr, "minReplicas",
				    gc_json_num(hspec, "minReplicas", 1)));
	gc_json_add_num(spec, "maxReplicas",
			gc_json_num(psr, "maxReplicas",
				    gc_json_num(hspec, "maxReplicas", 1)));
	copy_field(spec, hspec, "metrics");
	cpu = gc_json_num(hspec, "targetCPUUtilizationPercentage", -1);
	if (!gc_json_get(hspec, "metrics") && cpu >= 0) {
		/* autoscaling/v1 input */
		cJSON *metrics = cJSON_CreateArray(), *m = cJSON_CreateObject(),
		      *r, *t;

		gc_json_add_str(m, "type", "Resource");
		r = gc_json_obj(m, "resource");
		gc_json_add_str(r, "name", "cpu");
		t = gc_json_obj(r, "target");
		gc_json_add_str(t, "type", "Utilization");
		gc_json_add_num(t, "averageUtilization", cpu);
		cJSON_AddItemToArray(metrics, m);
		gc_render__add(spec, "metrics", metrics);
	}
	copy_field(spec, hspec, "behavior");
	cJSON_AddItemToArray(out, obj);
	return 0;
}
