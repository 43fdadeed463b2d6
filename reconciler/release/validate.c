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

#include "reconciler/release/alerts.h"
#include "reconciler/release/canary_spec.h"
#include "reconciler/release/removed_apis.h"
#include "reconciler/release/schema.h"
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

static void report(vctx *c, const cJSON *node, bool at_key, bool warning,
		   const char *fmt, va_list ap) GC_PRINTF(5, 0);
static void report(vctx *c, const cJSON *node, bool at_key, bool warning,
		   const char *fmt, va_list ap)
{
	const char *path;
	gc_loc loc;
	gc_buf msg = GC_BUF_INIT;

	gc_doc_place(c->obj->doc, node, &path, &loc);
	if (at_key && loc.key_line) {
		loc.line = loc.key_line;
		loc.column = loc.key_column;
	}
	gc_buf_vaddf(&msg, fmt, ap);
	gc_problems_add(c->out, path, loc.line, loc.column, "%s", msg.ptr);
	gc_buf_release(&msg);
	if (warning)
		gc_problems_last_is_warning(c->out);
	else
		c->count++;
}

static void problem(vctx *c, const cJSON *node, bool at_key, const char *fmt,
		    ...) GC_PRINTF(4, 5);
static void problem(vctx *c, const cJSON *node, bool at_key, const char *fmt,
		    ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, node, at_key, false, fmt, ap);
	va_end(ap);
}

/* Accepted by Flagger, not acted on by gitcanary yet: never an error. */
static void warning(vctx *c, const cJSON *node, bool at_key, const char *fmt,
		    ...) GC_PRINTF(4, 5);
static void warning(vctx *c, const cJSON *node, bool at_key, const char *fmt,
		    ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, node, at_key, true, fmt, ap);
	va_end(ap);
}

/* ---- schema walking ---- */

static bool is_int(const cJSON *n)
{
	return cJSON_IsNumber(n) && isfinite(n->valuedouble) &&
	       n->valuedouble == floor(n->valuedouble) &&
	       fabs(n->valuedouble) <= 2147483647.0;
}

/* Flagger's CRD pattern ^[0-9]+(m|s), a prefix match. */
static bool duration_pattern_ok(const char *s)
{
	size_t i = 0;

	while (isdigit((unsigned char)s[i]))
		i++;
	return i > 0 && (s[i] == 'm' || s[i] == 's');
}

/*
 * A duration field as the API server and then Flagger read it: the CRD
 * pattern first, then Go's time.ParseDuration of the whole string (the
 * parser canary_spec.c reads it with), so "30sec" is an error here rather
 * than a silent default later.
 */
static void check_duration(vctx *c, const cJSON *n, const char *path)
{
	int64_t ms;

	if (!duration_pattern_ok(n->valuestring))
		problem(c, n, false,
			"%s: Invalid value: \"%s\": must match '^[0-9]+(m|s)' (e.g. 30s, 1m)",
			path, n->valuestring);
	else if (gc_duration_parse(&ms, n->valuestring) < 0)
		problem(c, n, false,
			"%s: Invalid value: \"%s\": not a valid duration (Go's time.ParseDuration: e.g. 30s, 1m30s)",
			path, n->valuestring);
}

static void check_fields(vctx *c, const cJSON *obj, const char *path,
			 const gc_field *fields);
static void check_map(vctx *c, const cJSON *n, const char *path,
		      const gc_field *sub);

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
		       const gc_field *f)
{
	gc_buf item = GC_BUF_INIT;
	int i = 0;

	for (const cJSON *e = n->child; e; e = e->next, i++) {
		const char *want = f->type == GC_T_STRARR   ? "a string"
				   : f->type == GC_T_INTARR ? "an integer"
							    : "a mapping";
		bool ok = f->type == GC_T_STRARR   ? cJSON_IsString(e)
			  : f->type == GC_T_INTARR ? is_int(e)
						   : cJSON_IsObject(e);

		gc_buf_clear(&item);
		gc_buf_addf(&item, "%s[%d]", path, i);
		if (!ok)
			problem(c, e, false, "%s: must be %s, not %s", item.ptr,
				want, gc_json_type_name(e));
		else if (f->type == GC_T_OBJARR && f->sub)
			check_fields(c, e, item.ptr, f->sub);
	}
	gc_buf_release(&item);
}

static void check_value(vctx *c, const cJSON *n, const char *path,
			const gc_field *f)
{
	switch (f->type) {
	case GC_T_STR:
		if (!cJSON_IsString(n))
			break;
		if (f->flags & GC_F_DURATION)
			check_duration(c, n, path);
		if (f->enumv)
			check_enum(c, n, path, f->enumv);
		return;
	case GC_T_INT:
		if (!is_int(n)) {
			if (!cJSON_IsNumber(n))
				break;
			problem(c, n, false, "%s: must be an integer", path);
		} else if ((f->flags & GC_F_MIN1) && n->valuedouble < 1) {
			problem(c, n, false,
				"%s: Invalid value: %g: should be greater than or equal to 1",
				path, n->valuedouble);
		}
		return;
	case GC_T_NUM:
		if (!cJSON_IsNumber(n))
			break;
		return;
	case GC_T_BOOL:
		if (!cJSON_IsBool(n))
			break;
		return;
	case GC_T_OBJ:
		if (!cJSON_IsObject(n))
			break;
		if (f->sub)
			check_fields(c, n, path, f->sub);
		return;
	case GC_T_OBJMAP:
		if (!cJSON_IsObject(n))
			break;
		check_map(c, n, path, f->sub);
		return;
	case GC_T_STRMAP:
		if (!cJSON_IsObject(n))
			break;
		for (const cJSON *e = n->child; e; e = e->next)
			if (!cJSON_IsString(e))
				problem(c, e, false,
					"%s.%s: must be a string, not %s", path,
					e->string, gc_json_type_name(e));
		return;
	case GC_T_OBJARR:
	case GC_T_STRARR:
	case GC_T_INTARR:
		if (!cJSON_IsArray(n))
			break;
		check_list(c, n, path, f);
		return;
	case GC_T_INTSTR:
		if (!is_int(n) && !cJSON_IsString(n))
			break;
		return;
	}
	problem(c, n, false, "%s: must be %s, not %s", path,
		f->type == GC_T_STR    ? "a string"
		: f->type == GC_T_INT  ? "an integer"
		: f->type == GC_T_NUM  ? "a number"
		: f->type == GC_T_BOOL ? "a boolean"
		: f->type == GC_T_OBJ || f->type == GC_T_STRMAP ||
				f->type == GC_T_OBJMAP
			? "a mapping"
		: f->type == GC_T_INTSTR ? "an integer or a string"
					 : "a list",
		gc_json_type_name(n));
}

static const gc_field *find_field(const gc_field *fields, const char *key)
{
	for (const gc_field *f = fields; f->key; f++)
		if (!strcmp(f->key, key))
			return f;
	return NULL;
}

/* Strict field validation: a key the schema does not name is an error. */
static void check_unknown(vctx *c, const cJSON *obj, const char *path,
			  const gc_field *fields)
{
	for (const cJSON *e = obj->child; e; e = e->next)
		if (e->string && !find_field(fields, e->string))
			problem(c, e, true, "%s%s%s: unknown field", path,
				*path ? "." : "", e->string);
}

static void check_fields(vctx *c, const cJSON *obj, const char *path,
			 const gc_field *fields)
{
	gc_buf sub = GC_BUF_INIT;

	check_unknown(c, obj, path, fields);
	for (const gc_field *f = fields; f->key; f++) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, f->key);
		bool absent = !n || cJSON_IsNull(n);

		/* most fields are absent: their path only for a problem */
		if (absent && !(f->flags & GC_F_REQ))
			continue;
		gc_buf_clear(&sub);
		if (*path) {
			gc_buf_adds(&sub, path);
			gc_buf_addch(&sub, '.');
		}
		gc_buf_adds(&sub, f->key);
		if (absent)
			problem(c, obj, true, "%s: Required value", sub.ptr);
		else
			check_value(c, n, sub.ptr, f);
	}
	gc_buf_release(&sub);
}

/* A map of objects (match headers): each value against the sub fields. */
static void check_map(vctx *c, const cJSON *n, const char *path,
		      const gc_field *sub)
{
	gc_buf item = GC_BUF_INIT;

	for (const cJSON *e = n->child; e; e = e->next) {
		gc_buf_clear(&item);
		gc_buf_addf(&item, "%s.%s", path, e->string);
		if (!cJSON_IsObject(e))
			problem(c, e, false, "%s: must be a mapping, not %s",
				item.ptr, gc_json_type_name(e));
		else
			check_fields(c, e, item.ptr, sub);
	}
	gc_buf_release(&item);
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
	const char *path;
	gc_loc loc;

	for (size_t i = 0; i < GC_ARRAY_SIZE(labels); i++)
		if (cJSON_IsString(member(ml, labels[i])))
			return;
	/* the problem is in the Deployment's file (or its kustomization) */
	gc_doc_place(dep->doc, where, &path, &loc);
	if (loc.key_line) {
		loc.line = loc.key_line;
		loc.column = loc.key_column;
	}
	gc_problems_add(
		c->out, path, loc.line, loc.column,
		"deployment %s.%s spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]",
		dep->name, dep->namespace);
	c->count++;
}

/* What render copies into the primary: without it nothing renders. */
static void check_pod_template(vctx *c, const gc_object *dep)
{
	const cJSON *tmpl = gc_json_get(dep->doc->root, "spec.template");
	const cJSON *where = tmpl ? tmpl : gc_json_get(dep->doc->root, "spec");
	gc_loc loc;

	if (cJSON_IsObject(gc_json_get(tmpl, "spec")))
		return;
	loc = gc_doc_key_loc(dep->doc, where ? where : dep->doc->root);
	gc_problems_add(c->out, dep->doc->path, loc.line, loc.column,
			"deployment %s.%s spec.template.spec is missing",
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
	check_pod_template(c, dep);
}

static void check_autoscaler(vctx *c, const cJSON *spec)
{
	const cJSON *ref = member(spec, "autoscalerRef");
	const cJSON *name = member(ref, "name");
	const char *kind = str_member(ref, "kind");
	const char *target = str_member(member(spec, "targetRef"), "name");
	const char *scale_kind, *scale_name;
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
	/*
	 * Any served HPA version is fine: Flagger reads the HPA through the
	 * autoscaling/v2 API, which converts v1's
	 * targetCPUUtilizationPercentage; render does the same.
	 */
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

/*
 * analysis.alerts: each providerRef names an AlertProvider of the source
 * (providerRef.namespace or the canary's); an alert without severity
 * receives nothing in Flagger (events.go), which is worth a warning.
 */
static void check_alerts(vctx *c, const cJSON *analysis)
{
	const cJSON *alerts = member(analysis, "alerts");
	gc_buf path = GC_BUF_INIT;
	int i = 0;

	if (!cJSON_IsArray(alerts))
		return;
	for (const cJSON *a = alerts->child; a; a = a->next, i++) {
		const cJSON *ref = member(a, "providerRef");
		const cJSON *pname = member(ref, "name");
		const cJSON *pns = member(ref, "namespace");
		const char *sev = str_member(a, "severity");
		const char *ns = c->ns, *why;

		if (!cJSON_IsObject(a))
			continue;
		gc_buf_clear(&path);
		gc_buf_addf(&path, "spec.analysis.alerts[%d]", i);
		if (!sev || !*sev)
			warning(c,
				member(a, "severity") ? member(a, "severity")
						      : a,
				!member(a, "severity"),
				"%s.severity: not set: Flagger sends this alert nothing (set info, warn or error)",
				path.ptr);
		if (cJSON_IsString(pns) && *pns->valuestring) {
			ns = pns->valuestring;
			if (!gc_name_is_dns1123_label(ns, &why)) {
				problem(c, pns, false,
					"%s.providerRef.namespace: Invalid value: \"%s\": %s",
					path.ptr, ns, why);
				continue;
			}
		}
		if (!cJSON_IsString(pname))
			continue;
		if (!gc_index_find(c->idx, "AlertProvider", ns,
				   pname->valuestring))
			problem(c, pname, false,
				"%s.providerRef: AlertProvider %s/%s not found in the repository",
				path.ptr, ns, pname->valuestring);
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
	/*
	 * Flagger copies the names and never looks them up: a Gateway
	 * installed by another repository or by the mesh is fine.
	 */
	gw = gc_index_find(c->idx, "Gateway", ns, name);
	if (!gw)
		warning(c, g, false,
			"%s: Istio Gateway %s/%s is not in the repository; the name is copied to the VirtualService as it is (gateways are 'mesh', NAME, NAMESPACE/NAME, NAME.NAMESPACE or NAME.NAMESPACE.svc.cluster.local)",
			path, ns, name);
	else if (!is_istio_gateway(gw))
		warning(c, g, false,
			"%s: Gateway %s/%s in the repository is a %s Gateway, not an Istio one; the name is copied to the VirtualService as it is",
			path, ns, name, gw->api_version);
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
	const cJSON *port = member(svc, "port");
	const char *apex = str_member(svc, "name");
	gc_buf path = GC_BUF_INIT;
	int i = 0;

	if (!cJSON_IsObject(svc))
		return;
	if (port && is_int(port) &&
	    (port->valuedouble < 1 || port->valuedouble > 65535))
		problem(c, port, false,
			"spec.service.port: Invalid value: %g: must be between 1 and 65535, inclusive",
			port->valuedouble);
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
	check_alerts(c, analysis);
}

int gc_validate_is_canary(const gc_object *obj)
{
	return obj->kind && obj->api_version && !strcmp(obj->kind, "Canary") &&
	       !strncmp(obj->api_version, "flagger.app/", 12);
}

/* The only version Flagger's CRDs serve. */
static bool check_version(vctx *c)
{
	const char *api = c->obj->api_version;

	if (!strcmp(api, "flagger.app/v1beta1"))
		return true;
	problem(c, cJSON_GetObjectItem(c->obj->doc->root, "apiVersion"), false,
		"apiVersion: Unsupported value: \"%s\": supported values: \"flagger.app/v1beta1\"",
		api);
	return false;
}

int gc_validate_canary(gc_problems *out, const gc_index *idx,
		       const gc_object *canary)
{
	vctx c = { out, idx, canary, canary->namespace, 0 };
	const cJSON *root = canary->doc->root, *spec;

	if (!check_version(&c))
		return c.count;
	check_fields(&c, root, "", gc_schema_canary);
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

static void validate_template(vctx *c)
{
	const cJSON *type =
		gc_json_get(c->obj->doc->root, "spec.provider.type");

	check_fields(c, c->obj->doc->root, "", gc_schema_metric_template);
	if (cJSON_IsString(type) && strcmp(type->valuestring, "prometheus"))
		warning(c, type, false, "%s",
			"spec.provider.type: accepted but not acted on yet (gitcanary queries every MetricTemplate as prometheus)");
}

static void validate_alert_provider(vctx *c)
{
	const cJSON *root = c->obj->doc->root;
	const cJSON *spec = member(root, "spec");
	int before = c->count;
	gc_alert_dest d = { 0 };
	gc_error err = GC_ERROR_INIT;

	check_fields(c, root, "", gc_schema_alert_provider);
	/* oneOf: type with address, or type with secretRef */
	if (cJSON_IsObject(spec) &&
	    !member(spec, "address") == !member(spec, "secretRef"))
		problem(c, spec, true, "%s",
			"spec: must set exactly one of address or secretRef");
	if (c->count > before || !cJSON_IsObject(spec))
		return;
	/* the address (or its Secret) as a delivery would read it */
	if (gc_alerts_resolve_provider(&d, c->idx, c->obj, &err) < 0) {
		gc_problems_add_error(c->out, &err);
		c->count++;
	}
	gc_alert_dest_release(&d);
	gc_error_release(&err);
}

int gc_validate_is_flagger(const gc_object *obj)
{
	return obj->api_version &&
	       !strncmp(obj->api_version, "flagger.app/", 12);
}

int gc_validate_flagger(gc_problems *out, const gc_index *idx,
			const gc_object *obj)
{
	vctx c = { out, idx, obj, obj->namespace, 0 };
	const char *kind = obj->kind;

	if (!kind) /* the index already reported it */
		return 0;
	if (!strcmp(kind, "Canary"))
		return gc_validate_canary(out, idx, obj);
	if (!check_version(&c))
		return c.count;
	if (!strcmp(kind, "MetricTemplate"))
		validate_template(&c);
	else if (!strcmp(kind, "AlertProvider"))
		validate_alert_provider(&c);
	/* other kinds never reach here: the index refuses them */
	return c.count;
}

bool gc_validate_is_removed_api(const gc_object *obj)
{
	return gc_removed_api_find(obj->api_version, obj->kind) != NULL;
}

void gc_validate_removed_api(gc_problems *out, const gc_object *obj)
{
	const gc_removed_api *r =
		gc_removed_api_find(obj->api_version, obj->kind);
	vctx c = { out, NULL, obj, obj->namespace, 0 };

	if (!r || !obj->doc || !obj->doc->root)
		return;
	if (r->replacement)
		warning(&c, cJSON_GetObjectItem(obj->doc->root, "apiVersion"),
			false, "%s %s was removed in Kubernetes %s: use %s",
			obj->api_version, obj->kind, r->removed_in,
			r->replacement);
	else
		warning(&c, cJSON_GetObjectItem(obj->doc->root, "apiVersion"),
			false,
			"%s %s was removed in Kubernetes %s, with no replacement",
			obj->api_version, obj->kind, r->removed_in);
}

/* Trees loaded on demand kept at most while validating (gc_index_trim). */
#define VALIDATE_TREES 16

int gc_validate_index(gc_problems *out, gc_index *idx, size_t *canaries_out,
		      gc_validate_canary_cb cb, void *payload)
{
	gc_error err = GC_ERROR_INIT;
	size_t canaries = 0;
	int count = 0;

	for (size_t i = 0; i < gc_index_count(idx); i++) {
		const gc_object *o = gc_index_at(idx, i);

		if (!gc_validate_is_flagger(o) &&
		    !gc_validate_is_removed_api(o))
			continue;
		if (gc_index_loaded(idx) > VALIDATE_TREES)
			gc_index_trim(idx);
		if (gc_index_load(idx, o, &err) < 0) {
			gc_problems_add(out, o->doc->path, 1, 1, "%s",
					gc_error_msg(&err));
			gc_error_clear(&err);
			count++;
			continue;
		}
		gc_validate_removed_api(out, o);
		if (!gc_validate_is_flagger(o))
			continue;
		count += gc_validate_flagger(out, idx, o);
		if (gc_validate_is_canary(o)) {
			canaries++;
			if (cb)
				cb(o, out, payload);
		}
	}
	gc_index_trim(idx);
	gc_error_release(&err);
	if (canaries_out)
		*canaries_out = canaries;
	return count;
}
