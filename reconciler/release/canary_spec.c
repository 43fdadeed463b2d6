#include "reconciler/release/canary_spec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"

#define DEFAULT_INTERVAL_MS 60000
#define FLAGGER_MIN_INTERVAL_MS 10000

static const char *const hook_names[GC_HOOK__COUNT] = {
	"confirm-rollout",   "pre-rollout",
	"rollout",           "confirm-traffic-increase",
	"confirm-promotion", "post-rollout",
	"rollback",          "event",
};

/* One "<number><unit>" group of a Go duration; returns chars used or 0. */
static size_t duration_group(double *ms, const char *s)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {
		{ "ns", 1e-6 },        { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 },
		{ "\xce\xbcs", 1e-3 }, { "ms", 1.0 },  { "s", 1e3 },
		{ "m", 6e4 },          { "h", 3.6e6 },
	};
	const char *p = s;
	double whole = 0, frac = 0, scale = 1;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		whole = whole * 10 + (*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			scale /= 10;
			frac += (*p - '0') * scale;
		}
	}
	if (!digits)
		return 0;
	/* longest unit first: "ms" before "m" */
	for (size_t i = 0; i < GC_ARRAY_SIZE(units); i++) {
		size_t n = strlen(units[i].unit);
		if (!strncmp(p, units[i].unit, n)) {
			*ms += (whole + frac) * units[i].ms;
			return (size_t)(p - s) + n;
		}
	}
	return 0;
}

int gc_duration_parse(int64_t *out_ms, const char *s)
{
	double ms = 0;
	bool neg = false;

	if (!s || !*s)
		return GC_EINVALID;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*out_ms = 0;
		return 0;
	}
	if (!*s)
		return GC_EINVALID;
	while (*s) {
		size_t n = duration_group(&ms, s);
		if (!n)
			return GC_EINVALID;
		s += n;
	}
	*out_ms = (int64_t)(neg ? -ms : ms);
	return 0;
}

static int bad_type(gc_error *err, const char *path, const char *want)
{
	return gc_error_set(err, GC_EINVALID, "%s: must be %s", path, want);
}

/* An integer member; def when absent. */
static int get_int(int *out, const cJSON *obj, const char *key,
		   const char *path, int def, gc_error *err)
{
	const cJSON *v =
		obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	if (!v || cJSON_IsNull(v)) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    fabs(v->valuedouble) > 2147483647.0)
		return bad_type(err, path, "an integer");
	*out = (int)v->valuedouble;
	return 0;
}

static int get_bool(bool *out, const cJSON *obj, const char *key,
		    const char *path, gc_error *err)
{
	const cJSON *v =
		obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	*out = false;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v))
		return bad_type(err, path, "true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_str(const char **out, const cJSON *obj, const char *key,
		   const char *path, gc_error *err)
{
	const cJSON *v =
		obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return bad_type(err, path, "a string");
	*out = v->valuestring;
	return 0;
}

static int parse_hooks(gc_canary_spec *s, const cJSON *analysis, gc_error *err)
{
	const cJSON *list =
		cJSON_GetObjectItemCaseSensitive(analysis, "webhooks");
	const cJSON *h;
	int i = 0;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return bad_type(err, "spec.analysis.webhooks", "a list");
	cJSON_ArrayForEach (h, list) {
		const char *name, *url, *type;
		int t = GC_HOOK_ROLLOUT;

		if (!cJSON_IsObject(h))
			return gc_error_set(
				err, GC_EINVALID,
				"spec.analysis.webhooks[%d]: must be a mapping",
				i);
		name = gc_json_str(h, "name");
		url = gc_json_str(h, "url");
		type = gc_json_str(h, "type");
		if (!name || !*name)
			return gc_error_set(
				err, GC_EINVALID,
				"spec.analysis.webhooks[%d].name: required", i);
		if (!url || !*url)
			return gc_error_set(
				err, GC_EINVALID,
				"spec.analysis.webhooks[%d].url: required", i);
		if (type && *type) {
			for (t = 0; t < GC_HOOK__COUNT; t++)
				if (!strcmp(type, hook_names[t]))
					break;
			if (t == GC_HOOK__COUNT)
				return gc_error_set(
					err, GC_EINVALID,
					"spec.analysis.webhooks[%d].type: unknown type '%s'",
					i, type);
		}
		s->hooks[t].v = gc_xrealloc(s->hooks[t].v,
					    (s->hooks[t].n + 1) *
						    sizeof(*s->hooks[t].v));
		s->hooks[t].v[s->hooks[t].n++] = h;
		i++;
	}
	return 0;
}

static int parse_metrics(gc_canary_spec *s, const cJSON *analysis,
			 gc_error *err)
{
	const cJSON *list =
		cJSON_GetObjectItemCaseSensitive(analysis, "metrics");
	const cJSON *m;
	int i = 0;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return bad_type(err, "spec.analysis.metrics", "a list");
	cJSON_ArrayForEach (m, list) {
		const char *name =
			cJSON_IsObject(m) ? gc_json_str(m, "name") : NULL;

		if (!name || !*name)
			return gc_error_set(
				err, GC_EINVALID,
				"spec.analysis.metrics[%d].name: required", i);
		s->metrics = gc_xrealloc(s->metrics, (s->n_metrics +
						      1) * sizeof(*s->metrics));
		s->metrics[s->n_metrics++] = m;
		i++;
	}
	return 0;
}

static int parse_step_weights(gc_canary_spec *s, const cJSON *analysis,
			      gc_error *err)
{
	const cJSON *list =
		cJSON_GetObjectItemCaseSensitive(analysis, "stepWeights");
	const cJSON *w;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return bad_type(err, "spec.analysis.stepWeights", "a list");
	cJSON_ArrayForEach (w, list) {
		int prev = s->n_step_weights
				   ? s->step_weights[s->n_step_weights - 1]
				   : 0;

		if (!cJSON_IsNumber(w) ||
		    w->valuedouble != floor(w->valuedouble))
			return bad_type(err, "spec.analysis.stepWeights",
					"a list of integers");
		/* a non-increasing ladder never promotes (§9.4): refuse it */
		if (w->valuedouble <= prev || w->valuedouble > 1e6)
			return gc_error_set(
				err, GC_EINVALID,
				"spec.analysis.stepWeights: must be strictly increasing positive weights");
		s->step_weights =
			gc_xrealloc(s->step_weights,
				    (s->n_step_weights + 1) * sizeof(int));
		s->step_weights[s->n_step_weights++] = (int)w->valuedouble;
	}
	return 0;
}

static int parse_interval(gc_canary_spec *s, const cJSON *analysis,
			  const gc_canary_spec_opts *opts, gc_error *err)
{
	const char *iv = NULL;
	int64_t floor_ms = FLAGGER_MIN_INTERVAL_MS;
	int64_t ms;
	int error;

	if ((error = get_str(&iv, analysis, "interval",
			     "spec.analysis.interval", err)) < 0)
		return error;
	if (opts && opts->min_interval_ms > 0)
		floor_ms = opts->min_interval_ms < 1000 ? 1000
							: opts->min_interval_ms;
	s->interval_str = gc_xstrdup(iv ? iv : "");
	/*
	 * Flagger: "" -> 60s; below the floor -> the floor. Flagger also
	 * turns an unparsable interval ("30sec") into 60s without a word;
	 * gitcanary refuses it, as validate does.
	 */
	if (iv && *iv && gc_duration_parse(&ms, iv) < 0)
		return gc_error_set(
			err, GC_EINVALID,
			"spec.analysis.interval: Invalid value: \"%s\": not a valid duration (Go's time.ParseDuration: e.g. 30s, 1m30s)",
			iv);
	if (!iv || !*iv)
		ms = DEFAULT_INTERVAL_MS;
	s->interval_ms = ms < floor_ms ? floor_ms : ms;
	return 0;
}

static int parse_analysis(gc_canary_spec *s, const cJSON *a,
			  const gc_canary_spec_opts *opts, gc_error *err)
{
	int error, n;

	if ((error = parse_interval(s, a, opts, err)) < 0 ||
	    (error = get_int(&s->threshold, a, "threshold",
			     "spec.analysis.threshold", 0, err)) < 0 ||
	    (error = get_int(&n, a, "maxWeight", "spec.analysis.maxWeight", 0,
			     err)) < 0 ||
	    (error = get_int(&s->step_weight, a, "stepWeight",
			     "spec.analysis.stepWeight", 0, err)) < 0 ||
	    (error = get_int(&s->step_weight_promotion, a,
			     "stepWeightPromotion",
			     "spec.analysis.stepWeightPromotion", 0, err)) <
		    0 ||
	    (error = get_int(&s->iterations, a, "iterations",
			     "spec.analysis.iterations", 0, err)) < 0 ||
	    (error = get_bool(&s->mirror, a, "mirror", "spec.analysis.mirror",
			      err)) < 0 ||
	    (error = get_int(&s->mirror_weight, a, "mirrorWeight",
			     "spec.analysis.mirrorWeight", 0, err)) < 0 ||
	    (error = get_int(&s->primary_ready_threshold, a,
			     "primaryReadyThreshold",
			     "spec.analysis.primaryReadyThreshold", 100, err)) <
		    0 ||
	    (error = get_int(&s->canary_ready_threshold, a,
			     "canaryReadyThreshold",
			     "spec.analysis.canaryReadyThreshold", 100, err)) <
		    0 ||
	    (error = parse_step_weights(s, a, err)) < 0 ||
	    (error = parse_hooks(s, a, err)) < 0 ||
	    (error = parse_metrics(s, a, err)) < 0)
		return error;
	if (s->threshold <= 0)
		s->threshold = 1;
	/* §3.7.1 maxWeight, clamped to 100 (deviation: >100 never promotes) */
	if (s->n_step_weights)
		n = s->step_weights[s->n_step_weights - 1];
	s->max_weight = n > 0 && n < 100 ? n : 100;
	s->match = cJSON_GetObjectItemCaseSensitive(a, "match");
	if (s->match &&
	    (!cJSON_IsArray(s->match) || !cJSON_GetArraySize(s->match)))
		s->match = NULL;
	if (s->iterations > 0)
		s->strategy =
			s->match ? GC_STRATEGY_AB : GC_STRATEGY_BLUE_GREEN;
	else if (s->step_weight <= 0 && !s->n_step_weights)
		return gc_error_set(
			err, GC_EINVALID,
			"spec.analysis: needs iterations, stepWeight or stepWeights");
	if (s->step_weight < 0 || s->step_weight_promotion < 0)
		return gc_error_set(
			err, GC_EINVALID,
			"spec.analysis: stepWeight and stepWeightPromotion must not be negative");
	return 0;
}

static int parse_meta(gc_canary_spec *s, const cJSON *canary, const char *ns,
		      gc_error *err)
{
	const char *name = gc_json_str(canary, "metadata.name");
	const char *target = gc_json_str(canary, "spec.targetRef.name");
	const char *kind = gc_json_str(canary, "spec.targetRef.kind");
	const char *svc = gc_json_str(canary, "spec.service.name");
	int error, deadline;

	if (!name || !*name)
		return gc_error_set(err, GC_EINVALID,
				    "metadata.name: required");
	if (!target || !*target)
		return gc_error_set(err, GC_EINVALID,
				    "spec.targetRef.name: required");
	s->name = gc_xstrdup(name);
	s->namespace = gc_xstrdup(ns && *ns ? ns : "default");
	s->target = gc_xstrdup(target);
	s->target_kind = gc_xstrdup(kind && *kind ? kind : "Deployment");
	s->service = gc_xstrdup(svc && *svc ? svc : target);
	if ((error = get_int(&deadline, gc_json_get(canary, "spec"),
			     "progressDeadlineSeconds",
			     "spec.progressDeadlineSeconds", 600, err)) < 0 ||
	    (error = get_bool(&s->skip_analysis, gc_json_get(canary, "spec"),
			      "skipAnalysis", "spec.skipAnalysis", err)) < 0 ||
	    (error = get_bool(&s->suspend, gc_json_get(canary, "spec"),
			      "suspend", "spec.suspend", err)) < 0)
		return error;
	s->progress_deadline_s = deadline < 0 ? 0 : deadline;
	s->has_autoscaler =
		cJSON_IsObject(gc_json_get(canary, "spec.autoscalerRef"));
	return 0;
}

int gc_canary_spec_parse(gc_canary_spec *out, const cJSON *canary,
			 const char *ns, const gc_canary_spec_opts *opts,
			 gc_error *err)
{
	gc_canary_spec s;
	const cJSON *analysis;
	int error;

	memset(&s, 0, sizeof(s));
	s.root = canary;
	if (!cJSON_IsObject(canary)) {
		error = gc_error_set(err, GC_EINVALID,
				     "canary: must be a mapping");
		goto cleanup;
	}
	if ((error = parse_meta(&s, canary, ns, err)) < 0)
		goto cleanup;
	analysis = gc_json_get(canary, "spec.analysis");
	if (!analysis || cJSON_IsNull(analysis))
		analysis = gc_json_get(canary, "spec.canaryAnalysis");
	if (!analysis || cJSON_IsNull(analysis)) {
		/* no analysis at all behaves as skipAnalysis (§1.1) */
		s.skip_analysis = true;
		s.threshold = 1;
		s.max_weight = 100;
		s.primary_ready_threshold = s.canary_ready_threshold = 100;
		s.interval_str = gc_xstrdup("");
		s.interval_ms = DEFAULT_INTERVAL_MS;
	} else if (!cJSON_IsObject(analysis)) {
		error = bad_type(err, "spec.analysis", "a mapping");
		goto cleanup;
	} else if ((error = parse_analysis(&s, analysis, opts, err)) < 0) {
		goto cleanup;
	}
	*out = s;
	return 0;
cleanup:
	gc_canary_spec_release(&s);
	return error;
}

void gc_canary_spec_release(gc_canary_spec *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->namespace);
	free(s->target);
	free(s->target_kind);
	free(s->service);
	free(s->interval_str);
	free(s->step_weights);
	for (int t = 0; t < GC_HOOK__COUNT; t++)
		free(s->hooks[t].v);
	free(s->metrics);
	memset(s, 0, sizeof(*s));
}

int gc_canary_spec_next_step(const gc_canary_spec *s, int w)
{
	int room = 100 - w;

	if (s->step_weight > 0 || !s->n_step_weights)
		return s->step_weight;
	if (room <= 0)
		return 1;
	if (w == 0)
		return room < s->step_weights[0] ? room : s->step_weights[0];
	for (size_t i = 0; i + 1 < s->n_step_weights; i++) {
		if (w == s->step_weights[i]) {
			int d = s->step_weights[i + 1] - w;
			return room < d ? room : d;
		}
	}
	return room;
}
