/*
 * The render entry points: the stage a canary is in (gc_stage_parse) and
 * the objects of that stage (gc_render_canary), built by configs.c,
 * workload.c and routing.c from the context of objects.c.
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/json.h"

/* ---- stages ---- */

static int next_step(const cJSON *analysis, int w)
{
	int step = (int)gc_json_num(analysis, "stepWeight", 0);
	const cJSON *steps = gc_json_get(analysis, "stepWeights");
	int n = cJSON_GetArraySize(steps), room = 100 - w;

	if (step > 0 || n == 0)
		return step;
	if (room == 0)
		return 1;
	if (w == 0) {
		int first = (int)cJSON_GetArrayItem(steps, 0)->valuedouble;
		return first < room ? first : room;
	}
	for (int i = 0; i < n - 1; i++) {
		if ((int)cJSON_GetArrayItem(steps, i)->valuedouble == w) {
			int d = (int)cJSON_GetArrayItem(steps, i + 1)
					->valuedouble -
				w;
			return d < room ? d : room;
		}
	}
	return room;
}

/*
 * The canary weight the canary strategy reaches before promotion (§3.7.1),
 * clamped to maxWeight (Flagger overshoots; docs/render.md).
 */
static int final_weight(const cJSON *analysis)
{
	const cJSON *steps = gc_json_get(analysis, "stepWeights");
	int n = cJSON_GetArraySize(steps), max, w = 0;

	if (n > 0) {
		max = (int)cJSON_GetArrayItem(steps, n - 1)->valuedouble;
		max = max < 100 ? max : 100;
	} else {
		max = (int)gc_json_num(analysis, "maxWeight", 0);
		max = max > 0 ? max : 100;
	}
	for (int i = 0; i < 200 && w < max; i++) {
		int step = next_step(analysis, w);

		if (step <= 0)
			break;
		w = w + step < max ? w + step : max;
	}
	return w;
}

static bool iterations_strategy(const cJSON *analysis)
{
	return gc_json_num(analysis, "iterations", 0) > 0;
}

static int parse_weight(const char *s, int *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 100)
		return -1;
	*out = (int)v;
	return 0;
}

int gc_stage_parse(gc_stage *out, const char *spec, const cJSON *canary,
		   gc_error *err)
{
	static const gc_stage init = GC_STAGE_INIT;
	const cJSON *analysis = gc_json_get(canary, "spec.analysis");
	gc_stage st = init;
	int w = 0;

	if (!spec || !*spec || !strcmp(spec, "initialization") ||
	    !strcmp(spec, "initialized")) {
		*out = st;
		return 0;
	}
	st.phase = "Progressing";
	st.canary_active = true;
	if (!strncmp(spec, "progressing:", 12)) {
		if (parse_weight(spec + 12, &w) < 0)
			goto bad;
		st.primary_weight = 100 - w;
		st.canary_weight = w;
	} else if (!strcmp(spec, "mirror")) {
		st.mirror = true;
	} else if (!strcmp(spec, "ab") || !strcmp(spec, "bluegreen:switched")) {
		st.primary_weight = 0;
		st.canary_weight = 100;
	} else if (!strcmp(spec, "bluegreen")) {
		st.mirror = gc_json_bool(analysis, "mirror", false);
	} else if (!strcmp(spec, "promoting") ||
		   !strncmp(spec, "promoting:", 10)) {
		st.phase = "Promoting";
		st.released = true;
		if (spec[9] == ':') {
			if (parse_weight(spec + 10, &w) < 0)
				goto bad;
		} else {
			w = iterations_strategy(analysis)
				    ? 100
				    : final_weight(analysis);
		}
		st.primary_weight = 100 - w;
		st.canary_weight = w;
	} else if (!strcmp(spec, "finalising")) {
		st.phase = "Finalising";
		st.released = true;
	} else if (!strcmp(spec, "succeeded") || !strcmp(spec, "failed")) {
		st.phase = spec[0] == 's' ? "Succeeded" : "Failed";
		st.released = true;
		st.canary_active = false;
	} else {
		goto bad;
	}
	*out = st;
	return 0;
bad:
	return gc_error_set(
		err, GC_EINVALID,
		"unknown stage '%s' (expected initialization, progressing:WEIGHT, mirror, ab, bluegreen, bluegreen:switched, promoting[:WEIGHT], finalising, succeeded or failed)",
		spec);
}

/* ---- the canary ---- */

static int check_hpa(const gc_rctx *c)
{
	const cJSON *ref = gc_json_get(c->in->canary, "spec.autoscalerRef");
	const cJSON *hpa = c->in->hpa, *tgt;
	const char *name = gc_json_str(ref, "name");
	const char *kind = gc_json_str(ref, "kind");

	if (!ref)
		return 0;
	if (kind && strcmp(kind, "HorizontalPodAutoscaler"))
		return gc_render__fail(
			c, GC_EINVALID, GC_RENDER_SRC_CANARY,
			gc_json_get(ref, "kind"),
			"canary '%s': autoscalerRef kind '%s' is not supported (only HorizontalPodAutoscaler)",
			c->canary_ref, kind);
	if (!hpa)
		return gc_render__fail(
			c, GC_ENOTFOUND, GC_RENDER_SRC_CANARY,
			gc_json_get(ref, "name"),
			"canary '%s': horizontalpodautoscaler '%s/%s' not found",
			c->canary_ref, c->ns, name ? name : "");
	tgt = gc_json_get(hpa, "spec.scaleTargetRef.name");
	if (!cJSON_IsString(tgt) || strcmp(tgt->valuestring, c->target))
		return gc_render__fail(
			c, GC_EINVALID, GC_RENDER_SRC_HPA, tgt ? tgt : hpa,
			"horizontalpodautoscaler '%s/%s' targets deployment '%s', not the canary's target '%s'",
			c->ns,
			gc_json_str(hpa, "metadata.name")
				? gc_json_str(hpa, "metadata.name")
				: "",
			cJSON_IsString(tgt) ? tgt->valuestring : "", c->target);
	return 0;
}

int gc_render_canary(cJSON **out_array, const gc_render_input *in,
		     gc_error *err)
{
	gc_rctx c;
	cJSON *out = NULL, *pod_spec = NULL;
	char *checksums = NULL;
	int error;

	memset(&c, 0, sizeof(c));
	c.err = err;
	if ((error = gc_render__setup(&c, in)) < 0 ||
	    (error = check_hpa(&c)) < 0)
		goto cleanup;
	out = cJSON_CreateArray();
	if ((error = gc_render__configs(&c, out, &pod_spec, &checksums)) < 0 ||
	    (error = gc_render__primary(&c, out, pod_spec, checksums)) < 0 ||
	    (error = gc_render__canary_deployment(&c, out)) < 0 ||
	    (error = gc_render__hpa(&c, out)) < 0 ||
	    (error = gc_render__services(&c, out)) < 0 ||
	    (error = gc_render__destination_rules(&c, out)) < 0 ||
	    (error = gc_render__virtual_service(&c, out)) < 0)
		goto cleanup;
	*out_array = out;
	out = NULL;
cleanup:
	cJSON_Delete(out);
	cJSON_Delete(pod_spec);
	free(checksums);
	return error;
}
