/*
 * gitcanary validate: the Canary CRD schema of Flagger 1.44 (types, enums,
 * required fields, duration patterns, the analysis oneOf), the controller's
 * own checks (flagger-behaviour.md §1.4, §4.5.1) and the cross references
 * a cluster would resolve, all against the manifest index.
 */
#include "reconciler/release/validate.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "repo-layout/names.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

typedef struct vctx {
	gc_problems *out;
	const gc_index *idx;
	const gc_object *obj;
	const char *ns;
	int count;
} vctx;

static void problem(vctx *c, const cJSON *node, bool at_key, const char *fmt,
		    ...) GC_PRINTF(4, 5);
static void problem(vctx *c, const cJSON *node, bool at_key, const char *fmt,
		    ...)
{
	const gc_doc *doc = c->obj->doc;
	gc_loc loc = at_key ? gc_doc_key_loc(doc, node) : gc_doc_loc(doc, node);
	gc_buf msg = GC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	gc_problems_add(c->out, doc->path, loc.line, loc.column, "%s", msg.ptr);
	gc_buf_release(&msg);
	c->count++;
}

/* ---- the schema ---- */

typedef enum ftype {
	T_STR,
	T_INT,
	T_NUM,
	T_BOOL,
	T_OBJ,    /* object with sub fields (or any object when sub is NULL) */
	T_OBJARR, /* list of objects with sub fields */
	T_STRARR,
	T_INTARR,
	T_STRMAP,
	T_INTSTR
} ftype;

enum { F_REQ = 1 << 0, F_DURATION = 1 << 1, F_MIN1 = 1 << 2 };

typedef struct field {
	const char *key;
	ftype type;
	unsigned flags;
	const char *const *enumv; /* NULL-terminated */
	const struct field *sub;  /* { NULL } terminated */
} field;

static const char *const providers[] = { "apisix",
					 "appmesh",
					 "appmesh:v1beta2",
					 "contour",
					 "gatewayapi:v1",
					 "gatewayapi:v1beta1",
					 "gloo",
					 "istio",
					 "knative",
					 "kubernetes",
					 "kuma",
					 "linkerd",
					 "nginx",
					 "osm",
					 "skipper",
					 "smi:v1alpha1",
					 "smi:v1alpha2",
					 "smi:v1alpha3",
					 "traefik",
					 NULL };
static const char *const target_kinds[] = { "DaemonSet", "Deployment",
					    "Service", NULL };
static const char *const scaler_kinds[] = { "HorizontalPodAutoscaler",
					    "ScaledObject", NULL };
static const char *const ingress_kinds[] = { "Ingress", NULL };
static const char *const route_kinds[] = { "ApisixRoute", NULL };
static const char *const upstream_kinds[] = { "Upstream", NULL };
static const char *const webhook_types[] = {
	"",        "confirm-rollout",   "pre-rollout",
	"rollout", "confirm-promotion", "post-rollout",
	"event",   "rollback",          "confirm-traffic-increase",
	NULL
};
static const char *const severities[] = { "", "info", "warn", "error", NULL };
static const char *const same_sites[] = { "Strict", "Lax", "None", NULL };
static const char *const traffic_distributions[] = { "PreferClose",
						     "PreferSameZone",
						     "PreferSameNode", NULL };

#define END                            \
	{                              \
		NULL, 0, 0, NULL, NULL \
	}

static const field s_ref_target[] = {
	{ "apiVersion", T_STR, F_REQ, NULL, NULL },
	{ "kind", T_STR, F_REQ, target_kinds, NULL },
	{ "name", T_STR, F_REQ, NULL, NULL },
	END,
};
static const field s_scaler_replicas[] = {
	{ "minReplicas", T_INT, F_MIN1, NULL, NULL },
	{ "maxReplicas", T_INT, F_MIN1, NULL, NULL },
	END,
};
static const field s_ref_scaler[] = {
	{ "apiVersion", T_STR, F_REQ, NULL, NULL },
	{ "kind", T_STR, F_REQ, scaler_kinds, NULL },
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "primaryScalerQueries", T_STRMAP, 0, NULL, NULL },
	{ "primaryScalerReplicas", T_OBJ, 0, NULL, s_scaler_replicas },
	END,
};
static const field s_ref_ingress[] = {
	{ "apiVersion", T_STR, F_REQ, NULL, NULL },
	{ "kind", T_STR, F_REQ, ingress_kinds, NULL },
	{ "name", T_STR, F_REQ, NULL, NULL },
	END,
};
static const field s_ref_route[] = {
	{ "apiVersion", T_STR, F_REQ, NULL, NULL },
	{ "kind", T_STR, F_REQ, route_kinds, NULL },
	{ "name", T_STR, F_REQ, NULL, NULL },
	END,
};
static const field s_ref_upstream[] = {
	{ "apiVersion", T_STR, F_REQ, NULL, NULL },
	{ "kind", T_STR, F_REQ, upstream_kinds, NULL },
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "namespace", T_STR, 0, NULL, NULL },
	END,
};
static const field s_custom_metadata[] = {
	{ "labels", T_STRMAP, 0, NULL, NULL },
	{ "annotations", T_STRMAP, 0, NULL, NULL },
	END,
};
static const field s_service[] = {
	{ "name", T_STR, 0, NULL, NULL },
	{ "port", T_INT, F_REQ, NULL, NULL },
	{ "portName", T_STR, 0, NULL, NULL },
	{ "appProtocol", T_STR, 0, NULL, NULL },
	{ "targetPort", T_INTSTR, 0, NULL, NULL },
	{ "trafficDistribution", T_STR, 0, traffic_distributions, NULL },
	{ "portDiscovery", T_BOOL, 0, NULL, NULL },
	{ "headless", T_BOOL, 0, NULL, NULL },
	{ "timeout", T_STR, 0, NULL, NULL },
	{ "meshName", T_STR, 0, NULL, NULL },
	{ "backends", T_STRARR, 0, NULL, NULL },
	{ "gateways", T_STRARR, 0, NULL, NULL },
	{ "hosts", T_STRARR, 0, NULL, NULL },
	{ "delegation", T_BOOL, 0, NULL, NULL },
	{ "trafficPolicy", T_OBJ, 0, NULL, NULL },
	{ "match", T_OBJARR, 0, NULL, NULL },
	{ "rewrite", T_OBJ, 0, NULL, NULL },
	{ "retries", T_OBJ, 0, NULL, NULL },
	{ "headers", T_OBJ, 0, NULL, NULL },
	{ "corsPolicy", T_OBJ, 0, NULL, NULL },
	{ "apex", T_OBJ, 0, NULL, s_custom_metadata },
	{ "primary", T_OBJ, 0, NULL, s_custom_metadata },
	{ "canary", T_OBJ, 0, NULL, s_custom_metadata },
	END,
};
static const field s_threshold_range[] = {
	{ "min", T_NUM, 0, NULL, NULL },
	{ "max", T_NUM, 0, NULL, NULL },
	END,
};
static const field s_template_ref[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "namespace", T_STR, 0, NULL, NULL },
	END,
};
static const field s_metric[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "interval", T_STR, F_DURATION, NULL, NULL },
	{ "threshold", T_NUM, 0, NULL, NULL },
	{ "thresholdRange", T_OBJ, 0, NULL, s_threshold_range },
	{ "query", T_STR, 0, NULL, NULL },
	{ "templateRef", T_OBJ, 0, NULL, s_template_ref },
	{ "templateVariables", T_STRMAP, 0, NULL, NULL },
	END,
};
static const field s_provider_ref[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "namespace", T_STR, 0, NULL, NULL },
	END,
};
static const field s_alert[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "severity", T_STR, 0, severities, NULL },
	{ "providerRef", T_OBJ, F_REQ, NULL, s_provider_ref },
	END,
};
static const field s_webhook[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "url", T_STR, F_REQ, NULL, NULL },
	{ "type", T_STR, 0, webhook_types, NULL },
	{ "timeout", T_STR, F_DURATION, NULL, NULL },
	{ "retries", T_INT, 0, NULL, NULL },
	{ "disableTLS", T_BOOL, 0, NULL, NULL },
	{ "muteAlert", T_BOOL, 0, NULL, NULL },
	{ "metadata", T_STRMAP, 0, NULL, NULL },
	END,
};
static const field s_session_affinity[] = {
	{ "cookieName", T_STR, F_REQ, NULL, NULL },
	{ "primaryCookieName", T_STR, 0, NULL, NULL },
	{ "domain", T_STR, 0, NULL, NULL },
	{ "httpOnly", T_BOOL, 0, NULL, NULL },
	{ "maxAge", T_INT, 0, NULL, NULL },
	{ "partitioned", T_BOOL, 0, NULL, NULL },
	{ "path", T_STR, 0, NULL, NULL },
	{ "sameSite", T_STR, 0, same_sites, NULL },
	{ "secure", T_BOOL, 0, NULL, NULL },
	END,
};
static const field s_analysis[] = {
	{ "interval", T_STR, F_DURATION, NULL, NULL },
	{ "iterations", T_INT, 0, NULL, NULL },
	{ "threshold", T_INT, 0, NULL, NULL },
	{ "maxWeight", T_INT, 0, NULL, NULL },
	{ "stepWeight", T_INT, 0, NULL, NULL },
	{ "stepWeights", T_INTARR, 0, NULL, NULL },
	{ "stepWeightPromotion", T_INT, 0, NULL, NULL },
	{ "mirror", T_BOOL, 0, NULL, NULL },
	{ "mirrorWeight", T_INT, 0, NULL, NULL },
	{ "primaryReadyThreshold", T_INT, 0, NULL, NULL },
	{ "canaryReadyThreshold", T_INT, 0, NULL, NULL },
	{ "match", T_OBJARR, 0, NULL, NULL },
	{ "metrics", T_OBJARR, 0, NULL, s_metric },
	{ "webhooks", T_OBJARR, 0, NULL, s_webhook },
	{ "alerts", T_OBJARR, 0, NULL, s_alert },
	{ "sessionAffinity", T_OBJ, 0, NULL, s_session_affinity },
	END,
};
static const field s_spec[] = {
	{ "provider", T_STR, 0, providers, NULL },
	{ "metricsServer", T_STR, 0, NULL, NULL },
	{ "progressDeadlineSeconds", T_INT, 0, NULL, NULL },
	{ "targetRef", T_OBJ, F_REQ, NULL, s_ref_target },
	{ "autoscalerRef", T_OBJ, 0, NULL, s_ref_scaler },
	{ "ingressRef", T_OBJ, 0, NULL, s_ref_ingress },
	{ "routeRef", T_OBJ, 0, NULL, s_ref_route },
	{ "upstreamRef", T_OBJ, 0, NULL, s_ref_upstream },
	{ "service", T_OBJ, F_REQ, NULL, s_service },
	{ "skipAnalysis", T_BOOL, 0, NULL, NULL },
	{ "revertOnDeletion", T_BOOL, 0, NULL, NULL },
	{ "suspend", T_BOOL, 0, NULL, NULL },
	{ "analysis", T_OBJ, F_REQ, NULL, s_analysis },
	END,
};
static const field s_canary_root[] = {
	{ "spec", T_OBJ, F_REQ, NULL, s_spec },
	END,
};

/* ---- schema walking ---- */

static bool is_int(const cJSON *n)
{
	return cJSON_IsNumber(n) && isfinite(n->valuedouble) &&
	       n->valuedouble == floor(n->valuedouble) &&
	       fabs(n->valuedouble) <= 2147483647.0;
}

/* Flagger's CRD pattern ^[0-9]+(m|s), a prefix match. */
static bool duration_ok(const char *s)
{
	size_t i = 0;

	while (isdigit((unsigned char)s[i]))
		i++;
	return i > 0 && (s[i] == 'm' || s[i] == 's');
}

static void check_fields(vctx *c, const cJSON *obj, const char *path,
			 const field *fields);

static void check_enum(vctx *c, const cJSON *n, const char *path,
		       const char *const *enumv)
{
	gc_buf list = GC_BUF_INIT;

	for (const char *const *e = enumv; *e; e++)
		if (!strcmp(n->valuestring, *e))
			return;
	for (const char *const *e = enumv; *e; e++)
		gc_buf_addf(&list, "%s\"%s\"", e == enumv ? "" : ", ", *e);
	problem(c, n, false,
		"%s: Unsupported value: \"%s\": supported values: %s", path,
		n->valuestring, list.ptr);
	gc_buf_release(&list);
}

static void check_list(vctx *c, const cJSON *n, const char *path,
		       const field *f)
{
	gc_buf item = GC_BUF_INIT;
	int i = 0;

	for (const cJSON *e = n->child; e; e = e->next, i++) {
		const char *want = f->type == T_STRARR   ? "a string"
				   : f->type == T_INTARR ? "an integer"
							 : "a mapping";
		bool ok = f->type == T_STRARR   ? cJSON_IsString(e)
			  : f->type == T_INTARR ? is_int(e)
						: cJSON_IsObject(e);

		gc_buf_clear(&item);
		gc_buf_addf(&item, "%s[%d]", path, i);
		if (!ok)
			problem(c, e, false, "%s: must be %s, not %s", item.ptr,
				want, gc_json_type_name(e));
		else if (f->type == T_OBJARR && f->sub)
			check_fields(c, e, item.ptr, f->sub);
	}
	gc_buf_release(&item);
}

static void check_value(vctx *c, const cJSON *n, const char *path,
			const field *f)
{
	switch (f->type) {
	case T_STR:
		if (!cJSON_IsString(n))
			break;
		if ((f->flags & F_DURATION) && !duration_ok(n->valuestring))
			problem(c, n, false,
				"%s: Invalid value: \"%s\": must match '^[0-9]+(m|s)' (e.g. 30s, 1m)",
				path, n->valuestring);
		if (f->enumv)
			check_enum(c, n, path, f->enumv);
		return;
	case T_INT:
		if (!is_int(n)) {
			if (!cJSON_IsNumber(n))
				break;
			problem(c, n, false, "%s: must be an integer", path);
		} else if ((f->flags & F_MIN1) && n->valuedouble < 1) {
			problem(c, n, false,
				"%s: Invalid value: %g: should be greater than or equal to 1",
				path, n->valuedouble);
		}
		return;
	case T_NUM:
		if (!cJSON_IsNumber(n))
			break;
		return;
	case T_BOOL:
		if (!cJSON_IsBool(n))
			break;
		return;
	case T_OBJ:
		if (!cJSON_IsObject(n))
			break;
		if (f->sub)
			check_fields(c, n, path, f->sub);
		return;
	case T_STRMAP:
		if (!cJSON_IsObject(n))
			break;
		for (const cJSON *e = n->child; e; e = e->next)
			if (!cJSON_IsString(e))
				problem(c, e, false,
					"%s.%s: must be a string, not %s", path,
					e->string, gc_json_type_name(e));
		return;
	case T_OBJARR:
	case T_STRARR:
	case T_INTARR:
		if (!cJSON_IsArray(n))
			break;
		check_list(c, n, path, f);
		return;
	case T_INTSTR:
		if (!is_int(n) && !cJSON_IsString(n))
			break;
		return;
	}
	problem(c, n, false, "%s: must be %s, not %s", path,
		f->type == T_STR                          ? "a string"
		: f->type == T_INT                        ? "an integer"
		: f->type == T_NUM                        ? "a number"
		: f->type == T_BOOL                       ? "a boolean"
		: f->type == T_OBJ || f->type == T_STRMAP ? "a mapping"
		: f->type == T_INTSTR ? "an integer or a string"
				      : "a list",
		gc_json_type_name(n));
}

static void check_fields(vctx *c, const cJSON *obj, const char *path,
			 const field *fields)
{
	gc_buf sub = GC_BUF_INIT;

	for (const field *f = fields; f->key; f++) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, f->key);

		gc_buf_clear(&sub);
		gc_buf_addf(&sub, "%s%s%s", path, *path ? "." : "", f->key);
		if (!n || cJSON_IsNull(n)) {
			if (f->flags & F_REQ)
				problem(c, obj, true, "%s: Required value",
					sub.ptr);
			continue;
		}
		check_value(c, n, sub.ptr, f);
	}
	gc_buf_release(&sub);
}

/* ---- controller checks and cross references ---- */

static const cJSON *member(const cJSON *obj, const char *key)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNull(n) ? NULL : n;
}

static const char *str_member(const cJSON *obj, const char *key)
{
	const cJSON *n = member(obj, key);

	return cJSON_IsString(n) ? n->valuestring : NULL;
}

static bool check_name_node(vctx *c, const cJSON *n, const char *path,
			    bool dns1035)
{
	const char *why;

	if (!cJSON_IsString(n))
		return false;
	if (dns1035 ? gc_name_is_dns1035_label(n->valuestring, &why)
		    : gc_name_is_dns1123_subdomain(n->valuestring, &why))
		return true;
	problem(c, n, false, "%s: Invalid value: \"%s\": %s", path,
		n->valuestring, why);
	return false;
}

static void check_selector(vctx *c, const gc_object *dep)
{
	static const char *const labels[] = { "app", "name",
					      "app.kubernetes.io/name" };
	const cJSON *sel = gc_json_get(dep->doc->root, "spec.selector");
	const cJSON *ml = member(sel, "matchLabels");
	const cJSON *where = ml ? ml : sel ? sel : dep->doc->root;
	gc_loc loc;

	for (size_t i = 0; i < GC_ARRAY_SIZE(labels); i++)
		if (cJSON_IsString(member(ml, labels[i])))
			return;
	/* the problem is in the Deployment's file */
	loc = gc_doc_key_loc(dep->doc, where);
	gc_problems_add(
		c->out, dep->doc->path, loc.line, loc.column,
		"deployment %s.%s spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]",
		dep->name, dep->namespace);
	c->count++;
}

static void check_target(vctx *c, const cJSON *spec)
{
	const cJSON *ref = member(spec, "targetRef");
	const cJSON *name = member(ref, "name");
	const char *kind = str_member(ref, "kind");
	const gc_object *dep;

	if (!cJSON_IsString(name) ||
	    !check_name_node(c, name, "spec.targetRef.name", false))
		return;
	if (kind && strcmp(kind, "Deployment") != 0) {
		/* other kinds already failed the CRD enum */
		if (!strcmp(kind, "DaemonSet") || !strcmp(kind, "Service"))
			problem(c, member(ref, "kind"), false,
				"spec.targetRef.kind: Unsupported value: \"%s\": gitcanary supports only \"Deployment\" targets",
				kind);
		return;
	}
	dep = gc_index_find_tree(c->idx, "Deployment", c->ns,
				 name->valuestring);
	if (!dep) {
		problem(c, name, false,
			"spec.targetRef: Deployment %s/%s not found in the repository",
			c->ns, name->valuestring);
		return;
	}
	check_selector(c, dep);
}

static void check_autoscaler(vctx *c, const cJSON *spec)
{
	const cJSON *ref = member(spec, "autoscalerRef");
	const cJSON *name = member(ref, "name");
	const char *kind = str_member(ref, "kind");
	const char *target = str_member(member(spec, "targetRef"), "name");
	const char *api, *scale_kind, *scale_name;
	const gc_object *hpa;

	if (!cJSON_IsString(name) ||
	    !check_name_node(c, name, "spec.autoscalerRef.name", false))
		return;
	if (kind && strcmp(kind, "HorizontalPodAutoscaler") != 0) {
		if (strcmp(kind, "ScaledObject") != 0)
			return; /* already failed the CRD enum */
		problem(c, member(ref, "kind"), false,
			"spec.autoscalerRef.kind: Unsupported value: \"%s\": gitcanary supports only \"HorizontalPodAutoscaler\"",
			kind);
		return;
	}
	hpa = gc_index_find_tree(c->idx, "HorizontalPodAutoscaler", c->ns,
				 name->valuestring);
	if (!hpa) {
		problem(c, name, false,
			"spec.autoscalerRef: HorizontalPodAutoscaler %s/%s not found in the repository",
			c->ns, name->valuestring);
		return;
	}
	api = hpa->api_version;
	if (strcmp(api, "autoscaling/v2") != 0 &&
	    strcmp(api, "autoscaling/v2beta2") != 0) {
		problem(c, name, false,
			"spec.autoscalerRef: HorizontalPodAutoscaler %s/%s has apiVersion %s; gitcanary reads autoscaling/v2 or autoscaling/v2beta2",
			c->ns, name->valuestring, api);
		return;
	}
	scale_kind = gc_json_str(hpa->doc->root, "spec.scaleTargetRef.kind");
	scale_name = gc_json_str(hpa->doc->root, "spec.scaleTargetRef.name");
	if (target && (!scale_kind || strcmp(scale_kind, "Deployment") != 0 ||
		       !scale_name || strcmp(scale_name, target) != 0))
		problem(c, name, false,
			"spec.autoscalerRef: HorizontalPodAutoscaler %s/%s scales %s %s, not the target Deployment %s",
			c->ns, name->valuestring,
			scale_kind ? scale_kind : "(no kind)",
			scale_name ? scale_name : "(no name)", target);
}

static bool is_builtin_metric(const char *name)
{
	return !strcmp(name, "request-success-rate") ||
	       !strcmp(name, "request-duration");
}

static void check_metrics(vctx *c, const cJSON *analysis)
{
	const cJSON *metrics = member(analysis, "metrics");
	gc_buf path = GC_BUF_INIT;
	int i = 0;

	if (!cJSON_IsArray(metrics))
		return;
	for (const cJSON *m = metrics->child; m; m = m->next, i++) {
		const cJSON *ref = member(m, "templateRef");
		const cJSON *tname = member(ref, "name");
		const cJSON *tns = member(ref, "namespace");
		const char *mname = str_member(m, "name");
		const char *ns = c->ns;

		gc_buf_clear(&path);
		gc_buf_addf(&path, "spec.analysis.metrics[%d]", i);
		if (!cJSON_IsObject(m))
			continue;
		if (!ref) {
			if (mname && !is_builtin_metric(mname) &&
			    !str_member(m, "query"))
				problem(c, m, false,
					"%s: metric '%s' is not a builtin metric (request-success-rate, request-duration) and has no templateRef or query",
					path.ptr, mname);
			continue;
		}
		if (cJSON_IsString(tns) && *tns->valuestring) {
			const char *why;

			ns = tns->valuestring;
			if (!gc_name_is_dns1123_label(ns, &why)) {
				problem(c, tns, false,
					"%s.templateRef.namespace: Invalid value: \"%s\": %s",
					path.ptr, ns, why);
				continue;
			}
		}
		if (!cJSON_IsString(tname))
			continue;
		if (!gc_index_find(c->idx, "MetricTemplate", ns,
				   tname->valuestring))
			problem(c, tname, false,
				"%s.templateRef: MetricTemplate %s/%s not found in the repository",
				path.ptr, ns, tname->valuestring);
	}
	gc_buf_release(&path);
}

static bool is_istio_gateway(const gc_object *o)
{
	return !strcmp(o->api_version, "networking.istio.io/v1alpha3") ||
	       !strcmp(o->api_version, "networking.istio.io/v1beta1") ||
	       !strcmp(o->api_version, "networking.istio.io/v1");
}

/*
 * Istio gateway references: "mesh", NAME (the canary's namespace),
 * NAMESPACE/NAME, NAME.NAMESPACE or NAME.NAMESPACE.svc.cluster.local.
 */
static void check_gateway(vctx *c, const cJSON *g, const char *path)
{
	const char *s = g->valuestring, *slash = strchr(s, '/');
	char *name = NULL, *ns = NULL, *dot;
	const gc_object *gw;
	size_t n = strlen(s);
	static const char fqdn[] = ".svc.cluster.local";

	if (!strcmp(s, "mesh"))
		return;
	if (slash) {
		ns = gc_xstrndup(s, (size_t)(slash - s));
		name = gc_xstrdup(slash + 1);
	} else {
		if (n > sizeof(fqdn) - 1 &&
		    !strcmp(s + n - (sizeof(fqdn) - 1), fqdn))
			n -= sizeof(fqdn) - 1;
		name = gc_xstrndup(s, n);
		if ((dot = strchr(name, '.'))) {
			*dot = '\0';
			ns = gc_xstrdup(dot + 1);
		} else {
			ns = gc_xstrdup(c->ns);
		}
	}
	gw = gc_index_find(c->idx, "Gateway", ns, name);
	if (!gw || !is_istio_gateway(gw))
		problem(c, g, false,
			"%s: Istio Gateway %s/%s not found in the repository (gateways are 'mesh', NAME, NAMESPACE/NAME, NAME.NAMESPACE or NAME.NAMESPACE.svc.cluster.local)",
			path, ns, name);
	free(name);
	free(ns);
}

static size_t list_len(const cJSON *n)
{
	return cJSON_IsArray(n) ? (size_t)cJSON_GetArraySize(n) : 0;
}

static void check_service(vctx *c, const cJSON *spec)
{
	const cJSON *svc = member(spec, "service");
	const cJSON *gateways = member(svc, "gateways");
	const cJSON *sname = member(svc, "name");
	const cJSON *deleg = member(svc, "delegation");
	const char *apex = str_member(svc, "name");
	gc_buf path = GC_BUF_INIT;
	int i = 0;

	if (!cJSON_IsObject(svc))
		return;
	if (!apex || !*apex)
		apex = str_member(member(spec, "targetRef"), "name");
	if (cJSON_IsString(sname) && *sname->valuestring)
		check_name_node(c, sname, "spec.service.name", true);
	if (apex && strlen(apex) + strlen("-primary") > 63)
		problem(c, sname ? sname : svc, !sname,
			"spec.service: Service name '%s-primary' must be no more than 63 characters",
			apex);
	if (cJSON_IsTrue(deleg) &&
	    (list_len(member(svc, "hosts")) || list_len(gateways)) && apex)
		problem(c, deleg, false,
			"spec.service.delegation: VirtualService %s.%s cannot have hosts and gateways when delegation enabled",
			apex, c->ns);
	if (!cJSON_IsArray(gateways))
		return;
	for (const cJSON *g = gateways->child; g; g = g->next, i++) {
		if (!cJSON_IsString(g))
			continue;
		gc_buf_clear(&path);
		gc_buf_addf(&path, "spec.service.gateways[%d]", i);
		check_gateway(c, g, path.ptr);
	}
	gc_buf_release(&path);
}

static void check_analysis(vctx *c, const cJSON *analysis)
{
	static const char *const modes[] = { "stepWeight", "stepWeights",
					     "iterations" };
	const cJSON *sa = member(analysis, "sessionAffinity");
	const char *cookie = str_member(sa, "cookieName");
	const char *primary_cookie = str_member(sa, "primaryCookieName");
	const char *set[3];
	size_t n = 0;

	if (!cJSON_IsObject(analysis))
		return;
	/* oneOf: interval + threshold + exactly one of the three modes */
	for (size_t i = 0; i < GC_ARRAY_SIZE(modes); i++)
		if (member(analysis, modes[i]))
			set[n++] = modes[i];
	if (!member(analysis, "interval"))
		problem(c, analysis, true, "%s",
			"spec.analysis.interval: Required value");
	if (!member(analysis, "threshold"))
		problem(c, analysis, true, "%s",
			"spec.analysis.threshold: Required value");
	if (!n)
		problem(c, analysis, true, "%s",
			"spec.analysis: must set one of stepWeight (canary), stepWeights (canary) or iterations (A/B testing, blue/green)");
	else if (n > 1)
		problem(c, member(analysis, set[1]), true,
			"spec.analysis: %s and %s cannot be set together; set exactly one of stepWeight, stepWeights or iterations",
			set[0], set[1]);
	if (cookie && primary_cookie && !strcmp(cookie, primary_cookie))
		problem(c, member(sa, "primaryCookieName"), false, "%s",
			"spec.analysis.sessionAffinity.primaryCookieName: can't use the same cookie name for both primary and cookie name; please update them to be different");
	check_metrics(c, analysis);
}

int gc_validate_is_canary(const gc_object *obj)
{
	return obj->kind && obj->api_version && !strcmp(obj->kind, "Canary") &&
	       !strncmp(obj->api_version, "flagger.app/", 12);
}

int gc_validate_canary(gc_problems *out, const gc_index *idx,
		       const gc_object *canary)
{
	vctx c = { out, idx, canary, canary->namespace, 0 };
	const cJSON *root = canary->doc->root, *spec;

	if (strcmp(canary->api_version, "flagger.app/v1beta1") != 0) {
		problem(&c, cJSON_GetObjectItem(root, "apiVersion"), false,
			"apiVersion: Unsupported value: \"%s\": supported values: \"flagger.app/v1beta1\"",
			canary->api_version);
		return c.count;
	}
	check_fields(&c, root, "", s_canary_root);
	spec = member(root, "spec");
	if (!cJSON_IsObject(spec))
		return c.count;
	if (cJSON_IsObject(member(spec, "targetRef")))
		check_target(&c, spec);
	if (cJSON_IsObject(member(spec, "autoscalerRef")))
		check_autoscaler(&c, spec);
	check_service(&c, spec);
	check_analysis(&c, member(spec, "analysis"));
	return c.count;
}

static int validate_template(gc_problems *out, const gc_object *mt)
{
	static const field s_provider[] = {
		{ "type", T_STR, F_REQ, NULL, NULL },
		{ "address", T_STR, 0, NULL, NULL },
		{ "secretRef", T_OBJ, 0, NULL, s_template_ref },
		{ "region", T_STR, 0, NULL, NULL },
		{ "insecureSkipVerify", T_BOOL, 0, NULL, NULL },
		{ "headers", T_OBJ, 0, NULL, NULL },
		END,
	};
	static const field s_mt_spec[] = {
		{ "provider", T_OBJ, F_REQ, NULL, s_provider },
		{ "query", T_STR, F_REQ, NULL, NULL },
		END,
	};
	static const field s_mt_root[] = {
		{ "spec", T_OBJ, F_REQ, NULL, s_mt_spec },
		END,
	};
	vctx c = { out, NULL, mt, mt->namespace, 0 };

	check_fields(&c, mt->doc->root, "", s_mt_root);
	return c.count;
}

int gc_validate_index(gc_problems *out, const gc_index *idx,
		      size_t *canaries_out)
{
	size_t canaries = 0;
	int count = 0;

	for (size_t i = 0; i < gc_index_count(idx); i++) {
		const gc_object *o = gc_index_at(idx, i);

		if (gc_validate_is_canary(o)) {
			canaries++;
			count += gc_validate_canary(out, idx, o);
		} else if (o->kind && o->api_version &&
			   !strcmp(o->kind, "MetricTemplate") &&
			   !strcmp(o->api_version, "flagger.app/v1beta1")) {
			count += validate_template(out, o);
		}
	}
	if (canaries_out)
		*canaries_out = canaries;
	return count;
}
