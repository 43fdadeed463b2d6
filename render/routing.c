/*
 * Routing: the three Services, the DestinationRules and the VirtualService
 * (flagger-behaviour.md §4.3-§4.5).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

/* ---- Services (§4.3) ---- */

typedef struct xport {
	const char *name; /* borrowed or owned by names[] */
	double port;
} xport;

static int cmp_xport(const void *a, const void *b)
{
	const xport *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->name, y->name);
}

static cJSON *port_entry(const char *name, double port, const cJSON *target,
			 const char *app_protocol)
{
	cJSON *p = cJSON_CreateObject();

	gc_json_add_str(p, "name", name);
	gc_json_add_str(p, "protocol", "TCP");
	gc_json_add_num(p, "port", port);
	if (target)
		gc_render__add(p, "targetPort", gc_json_dup(target));
	else
		gc_json_add_num(p, "targetPort", port);
	if (app_protocol)
		gc_json_add_str(p, "appProtocol", app_protocol);
	return p;
}

static bool skip_port(const cJSON *tp, double svc_port, const cJSON *cport)
{
	double cp = gc_json_num(cport, "containerPort", -1);
	const char *pname = gc_json_str(cport, "name");

	if ((!tp || (cJSON_IsNumber(tp) && tp->valuedouble == 0)) &&
	    cp == svc_port)
		return true;
	if (cJSON_IsNumber(tp) && tp->valuedouble == cp)
		return true;
	return cJSON_IsString(tp) && pname && !strcmp(tp->valuestring, pname);
}

static void discover(const gc_rctx *c, const cJSON *tp, double svc_port,
		     cJSON *ports)
{
	xport *v = NULL;
	char **owned = NULL;
	size_t n = 0, alloc = 0, nowned = 0;
	const cJSON *ctr, *cport;

	cJSON_ArrayForEach (ctr, gc_json_get(c->template, "spec.containers")) {
		const char *cname = gc_json_str(ctr, "name");
		int idx = 0;

		if (cname &&
		    (!strcmp(cname, "istio-proxy") || !strcmp(cname, "envoy")))
			continue;
		cJSON_ArrayForEach (cport, cJSON_GetObjectItem(ctr, "ports")) {
			const char *name = gc_json_str(cport, "name");
			size_t i;

			if (skip_port(tp, svc_port, cport)) {
				idx++;
				continue;
			}
			if (!name) {
				owned = gc_xrealloc(owned,
						    (nowned + 1) *
							    sizeof(*owned));
				owned[nowned] =
					gc_xasprintf("tcp-%s-%d",
						     cname ? cname : "", idx);
				name = owned[nowned++];
			}
			idx++;
			for (i = 0; i < n; i++)
				if (!strcmp(v[i].name, name))
					break;
			if (i == n) {
				if (n == alloc) {
					alloc = alloc ? 2 * alloc : 4;
					v = gc_xrealloc(v, alloc * sizeof(*v));
				}
				n++;
			}
			v[i].name = name;
			v[i].port = gc_json_num(cport, "containerPort", 0);
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_xport);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(ports, port_entry(v[i].name, v[i].port,
						       NULL, NULL));
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(v);
}

static cJSON *service_ports(const gc_rctx *c)
{
	const cJSON *s = c->service, *tp = gc_json_get(s, "targetPort");
	double port = gc_json_num(s, "port", 0);
	const char *name = gc_json_str(s, "portName");
	cJSON *ports = cJSON_CreateArray();

	if (cJSON_IsNumber(tp) && tp->valuedouble == 0)
		tp = NULL;
	if (cJSON_IsString(tp) && !*tp->valuestring)
		tp = NULL;
	cJSON_AddItemToArray(ports,
			     port_entry(name && *name ? name : "http", port, tp,
					gc_json_str(s, "appProtocol")));
	if (gc_json_bool(s, "portDiscovery", false))
		discover(c, tp, port, ports);
	return ports;
}

/* Flagger keeps the nodePort of an existing port of the same name. */
static void keep_node_ports(cJSON *ports, const cJSON *existing)
{
	cJSON *p;
	const cJSON *e;

	cJSON_ArrayForEach (p, ports) {
		const char *name = gc_json_str(p, "name");

		cJSON_ArrayForEach (e, gc_json_get(existing, "spec.ports")) {
			const cJSON *np =
				cJSON_GetObjectItemCaseSensitive(e, "nodePort");
			const char *en = gc_json_str(e, "name");

			if (name && en && !strcmp(name, en) &&
			    cJSON_IsNumber(np) && np->valuedouble > 0) {
				gc_json_add_num(p, "nodePort", np->valuedouble);
				break;
			}
		}
	}
}

/*
 * The source's own apex Service, taken over as Flagger's
 * KubernetesDefaultRouter takes over a Service it does not own: selector
 * and ports are replaced (nodePorts kept by port name); type, the rest of
 * the spec, labels and annotations stay, plus Flagger's toolkit
 * annotations and gitcanary's marks.
 */
static cJSON *taken_over(const gc_rctx *c, const cJSON *existing,
			 const char *selector_value)
{
	const char *api = gc_json_str(existing, "apiVersion");
	const cJSON *espec = gc_json_get(existing, "spec");
	cJSON *obj, *spec, *sel, *ports = service_ports(c);

	obj = gc_render__object(
		api ? api : "v1", "Service",
		gc_render__router_meta(c, c->apex,
				       gc_json_get(existing, "metadata.labels"),
				       gc_json_get(existing,
						   "metadata.annotations")));
	spec = cJSON_IsObject(espec) ? gc_json_dup(espec)
				     : cJSON_CreateObject();
	keep_node_ports(ports, existing);
	sel = cJSON_CreateObject();
	gc_json_add_str(sel, c->label_key, selector_value);
	if (cJSON_GetObjectItemCaseSensitive(spec, "selector"))
		cJSON_ReplaceItemInObjectCaseSensitive(spec, "selector", sel);
	else
		gc_render__add(spec, "selector", sel);
	if (cJSON_GetObjectItemCaseSensitive(spec, "ports"))
		cJSON_ReplaceItemInObjectCaseSensitive(spec, "ports", ports);
	else
		gc_render__add(spec, "ports", ports);
	gc_render__add(obj, "spec", spec);
	return obj;
}

static cJSON *service(const gc_rctx *c, const char *which, const char *name,
		      bool primary_selector)
{
	const cJSON *custom = gc_json_get(c->service, which);
	cJSON *labels = cJSON_CreateObject(), *obj, *spec, *sel;
	char *value = primary_selector
			      ? gc_xasprintf("%s-primary", c->label_value)
			      : gc_xstrdup(c->label_value);

	if (!strcmp(which, "apex") && c->in->apex_service) {
		obj = taken_over(c, c->in->apex_service, value);
		cJSON_Delete(labels);
		free(value);
		return obj;
	}
	/* Flagger copies service.<which> as given, toolkit keys included */
	if (cJSON_IsObject(gc_json_get(custom, "labels")))
		for (const cJSON *m = gc_json_get(custom, "labels")->child; m;
		     m = m->next)
			gc_render__add(labels, m->string, gc_json_dup(m));
	cJSON_DeleteItemFromObjectCaseSensitive(labels, c->label_key);
	gc_json_add_str(labels, c->label_key, name);
	obj = gc_render__object(
		"v1", "Service",
		gc_render__router_meta(c, name, labels,
				       gc_json_get(custom, "annotations")));
	spec = gc_json_obj(obj, "spec");
	gc_json_add_str(spec, "type", "ClusterIP");
	if (gc_json_bool(c->service, "headless", false))
		gc_json_add_str(spec, "clusterIP", "None");
	sel = gc_json_obj(spec, "selector");
	gc_json_add_str(sel, c->label_key, value);
	gc_render__add(spec, "ports", service_ports(c));
	if (gc_json_str(c->service, "trafficDistribution"))
		gc_json_add_str(spec, "trafficDistribution",
				gc_json_str(c->service, "trafficDistribution"));
	cJSON_Delete(labels);
	free(value);
	return obj;
}

int gc_render__services(const gc_rctx *c, cJSON *out)
{
	char *canary = gc_xasprintf("%s-canary", c->apex);
	char *primary = gc_xasprintf("%s-primary", c->apex);

	cJSON_AddItemToArray(out, service(c, "canary", canary, false));
	cJSON_AddItemToArray(out, service(c, "primary", primary, true));
	cJSON_AddItemToArray(out, service(c, "apex", c->apex, true));
	free(canary);
	free(primary);
	return 0;
}

/* ---- DestinationRules (§4.4) ---- */

static cJSON *destination_rule(const gc_rctx *c, const char *name)
{
	cJSON *obj = gc_render__object("networking.istio.io/v1beta1",
				       "DestinationRule",
				       gc_render__meta(c, name, NULL, NULL));
	cJSON *spec = gc_json_obj(obj, "spec");
	const cJSON *tp = gc_json_get(c->service, "trafficPolicy");

	gc_json_add_str(spec, "host", name);
	if (tp)
		gc_render__add(spec, "trafficPolicy", gc_json_dup(tp));
	return obj;
}

int gc_render__destination_rules(const gc_rctx *c, cJSON *out)
{
	char *canary = gc_xasprintf("%s-canary", c->apex);
	char *primary = gc_xasprintf("%s-primary", c->apex);

	cJSON_AddItemToArray(out, destination_rule(c, canary));
	cJSON_AddItemToArray(out, destination_rule(c, primary));
	free(canary);
	free(primary);
	return 0;
}

/* ---- VirtualService (§4.5) ---- */

typedef struct vs {
	const gc_rctx *c;
	char *primary, *canary;
	bool pin;
	double port;
} vs;

static cJSON *dest(const vs *v, const char *host)
{
	cJSON *d = cJSON_CreateObject();

	gc_json_add_str(d, "host", host);
	if (v->pin)
		gc_json_add_num(gc_json_obj(d, "port"), "number", v->port);
	return d;
}

static cJSON *weighted(const vs *v, const char *host, int weight,
		       const char *set_cookie)
{
	cJSON *w = cJSON_CreateObject();

	gc_render__add(w, "destination", dest(v, host));
	gc_json_add_num(w, "weight", weight);
	if (set_cookie)
		gc_json_add_str(gc_json_obj(gc_json_obj(gc_json_obj(w,
								    "headers"),
							"response"),
					    "add"),
				"Set-Cookie", set_cookie);
	return w;
}

static cJSON *route2(const vs *v, int pw, int cw, const char *pcookie,
		     const char *ccookie)
{
	cJSON *r = cJSON_CreateArray();

	cJSON_AddItemToArray(r, weighted(v, v->primary, pw, pcookie));
	cJSON_AddItemToArray(r, weighted(v, v->canary, cw, ccookie));
	return r;
}

/* An http entry in Istio's field order; takes match and route. */
static cJSON *entry(const vs *v, cJSON *match, cJSON *route, bool mirror,
		    const char *expire_cookie)
{
	const cJSON *s = v->c->service, *rw = gc_json_get(s, "rewrite"),
		    *retries = gc_json_get(s, "retries"),
		    *headers = gc_json_get(s, "headers");
	cJSON *e = cJSON_CreateObject();
	double mw = gc_json_num(v->c->analysis, "mirrorWeight", 0);

	if (cJSON_GetArraySize(match) > 0)
		gc_render__add(e, "match", match);
	else
		cJSON_Delete(match);
	gc_render__add(e, "route", route);
	if (gc_json_get(rw, "uri") || gc_json_get(rw, "authority")) {
		cJSON *r = gc_json_obj(e, "rewrite");

		if (gc_json_get(rw, "uri"))
			gc_render__add(r, "uri",
				       gc_json_dup(gc_json_get(rw, "uri")));
		if (gc_json_get(rw, "authority"))
			gc_render__add(r, "authority",
				       gc_json_dup(
					       gc_json_get(rw, "authority")));
	}
	if (gc_json_str(s, "timeout"))
		gc_json_add_str(e, "timeout", gc_json_str(s, "timeout"));
	if (retries) {
		cJSON *r = gc_json_obj(e, "retries");

		gc_json_add_num(r, "attempts",
				gc_json_num(retries, "attempts", 0));
		for (const cJSON *m = retries->child; m; m = m->next)
			if (strcmp(m->string, "attempts"))
				gc_render__add(r, m->string, gc_json_dup(m));
	}
	if (mirror) {
		gc_render__add(e, "mirror", dest(v, v->canary));
		if (mw > 0)
			gc_json_add_num(gc_json_obj(e, "mirrorPercentage"),
					"value", mw);
	}
	if (gc_json_get(s, "corsPolicy"))
		gc_render__add(e, "corsPolicy",
			       gc_json_dup(gc_json_get(s, "corsPolicy")));
	if (headers || expire_cookie) {
		cJSON *h =
			headers ? gc_json_dup(headers) : cJSON_CreateObject();

		if (expire_cookie) {
			cJSON *add =
				gc_json_obj(gc_json_obj(h, "response"), "add");

			cJSON_DeleteItemFromObjectCaseSensitive(add,
								"Set-Cookie");
			gc_json_add_str(add, "Set-Cookie", expire_cookie);
		}
		gc_render__add(e, "headers", h);
	}
	return e;
}

/* merge(a, s) of §4.5.5; returns an owned array. */
static cJSON *merge(const cJSON *a, const cJSON *s)
{
	cJSON *out;
	const cJSON *ai, *sj;

	if (cJSON_GetArraySize(s) == 0)
		return a ? gc_json_dup(a) : cJSON_CreateArray();
	out = cJSON_CreateArray();
	cJSON_ArrayForEach (ai, a) {
		cJSON_ArrayForEach (sj, s) {
			cJSON *m = gc_json_dup(sj);
			const char *keys[] = { "headers", "sourceLabels" };

			for (size_t k = 0; k < GC_ARRAY_SIZE(keys); k++) {
				const cJSON *x = gc_json_get(ai, keys[k]);

				if (!x)
					continue;
				cJSON_DeleteItemFromObjectCaseSensitive(
					m, keys[k]);
				gc_render__add(m, keys[k], gc_json_dup(x));
			}
			cJSON_AddItemToArray(out, m);
		}
	}
	return out;
}

static cJSON *smatch(const vs *v)
{
	const cJSON *m = gc_json_get(v->c->service, "match");

	return m ? gc_json_dup(m) : cJSON_CreateArray();
}

/*
 * int(time.ParseDuration(analysis.interval).Seconds()), Flagger's primary
 * cookie Max-Age: the raw interval, no 10 s floor; 60 when unreadable
 * (validate refuses such a canary).
 */
static long interval_seconds(const cJSON *analysis)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 },
		      { "ms", 1e-3 }, { "s", 1 },     { "m", 60 },
		      { "h", 3600 } };
	const char *s = gc_json_str(analysis, "interval");
	double total = 0;

	if (!s || !*s)
		return 60;
	while (*s) {
		char *end = NULL;
		double n = strtod(s, &end);
		size_t i, len = 0;

		if (end == s || *s == '-' || *s == '+')
			return 60;
		for (i = 0; i < GC_ARRAY_SIZE(units); i++) {
			len = strlen(units[i].unit);
			/* the table has "ms" before "m" */
			if (!strncmp(end, units[i].unit, len))
				break;
		}
		if (i == GC_ARRAY_SIZE(units))
			return 60;
		total += n * units[i].seconds;
		s = end + len;
	}
	return (long)total;
}

static char *cookie_header(const cJSON *sa, const char *cookie, long max_age)
{
	gc_buf b = GC_BUF_INIT;

	gc_buf_addf(&b, "%s; Max-Age=%ld", cookie, max_age);
	if (gc_json_str(sa, "domain"))
		gc_buf_addf(&b, "; Domain=%s", gc_json_str(sa, "domain"));
	if (gc_json_bool(sa, "httpOnly", false))
		gc_buf_adds(&b, "; HttpOnly");
	if (gc_json_bool(sa, "partitioned", false))
		gc_buf_adds(&b, "; Partitioned");
	if (gc_json_str(sa, "path"))
		gc_buf_addf(&b, "; Path=%s", gc_json_str(sa, "path"));
	if (gc_json_str(sa, "sameSite"))
		gc_buf_addf(&b, "; SameSite=%s", gc_json_str(sa, "sameSite"));
	if (gc_json_bool(sa, "secure", false))
		gc_buf_adds(&b, "; Secure");
	return gc_buf_detach(&b, NULL);
}

/* [{headers: {Cookie: {regex: ".*<name>.*<value>.*"}}}] merged with s. */
static cJSON *cookie_match(const vs *v, const char *cookie)
{
	const char *eq = strchr(cookie, '=');
	cJSON *a = cJSON_CreateArray(), *m = cJSON_CreateObject(), *out;
	char *re = gc_xasprintf(".*%.*s.*%s.*",
				(int)(eq ? eq - cookie : (long)strlen(cookie)),
				cookie, eq ? eq + 1 : "");

	gc_json_add_str(gc_json_obj(gc_json_obj(m, "headers"), "Cookie"),
			"regex", re);
	cJSON_AddItemToArray(a, m);
	out = merge(a, gc_json_get(v->c->service, "match"));
	cJSON_Delete(a);
	free(re);
	return out;
}

static char *derived_cookie(const gc_rctx *c, const char *name)
{
	char value[11];

	gc_render_cookie_value(value, c->ns, c->name, c->target_rev, name);
	return gc_xasprintf("%s=%s", name, value);
}

static void affinity_routes(const vs *v, cJSON *http, int pw, int cw,
			    bool mirror)
{
	const gc_rctx *c = v->c;
	const gc_stage *st = c->st;
	const cJSON *sa = gc_json_get(c->analysis, "sessionAffinity");
	const char *cn = gc_json_str(sa, "cookieName"),
		   *pcn = gc_json_str(sa, "primaryCookieName");
	long max_age = (long)gc_json_num(sa, "maxAge", 0);
	char *cookie = NULL, *pcookie = NULL, *ch = NULL, *pch = NULL;

	if (max_age <= 0)
		max_age = 86400;
	if (cw != 0) {
		cookie = st->cookie ? gc_xstrdup(st->cookie)
				    : derived_cookie(c, cn);
		ch = cookie_header(sa, cookie, max_age);
		if (pcn && *pcn) {
			pcookie = st->primary_cookie
					  ? gc_xstrdup(st->primary_cookie)
					  : derived_cookie(c, pcn);
			pch = cookie_header(sa, pcookie,
					    interval_seconds(c->analysis));
		}
		cJSON_AddItemToArray(http, entry(v, cookie_match(v, cookie),
						 route2(v, 0, 100, NULL, NULL),
						 mirror, NULL));
		if (pcookie)
			cJSON_AddItemToArray(http,
					     entry(v, cookie_match(v, pcookie),
						   route2(v, 100, 0, NULL,
							  NULL),
						   false, NULL));
		cJSON_AddItemToArray(http, entry(v, smatch(v),
						 route2(v, pw, cw, pch, ch),
						 false, NULL));
	} else {
		if (st->previous_cookie)
			cookie = gc_xstrdup(st->previous_cookie);
		else if (st->released)
			cookie = derived_cookie(c, cn);
		if (cookie) {
			ch = gc_xasprintf("%s; Max-Age=-1", cookie);
			cJSON_AddItemToArray(http,
					     entry(v, cookie_match(v, cookie),
						   route2(v, pw, cw, NULL,
							  NULL),
						   mirror, ch));
		}
		cJSON_AddItemToArray(http, entry(v, smatch(v),
						 route2(v, pw, cw, NULL, NULL),
						 mirror && !cookie, NULL));
	}
	free(cookie);
	free(pcookie);
	free(ch);
	free(pch);
}

static cJSON *http_routes(const vs *v)
{
	const gc_rctx *c = v->c;
	const cJSON *ab = gc_json_get(c->analysis, "match");
	int pw = c->st->primary_weight, cw = c->st->canary_weight;
	cJSON *http = cJSON_CreateArray(), *r;

	if (cJSON_GetArraySize(ab) > 0) {
		cJSON_AddItemToArray(http,
				     entry(v,
					   merge(ab, gc_json_get(c->service,
								 "match")),
					   route2(v, pw, cw, NULL, NULL),
					   c->st->mirror, NULL));
		/* the only destination gets all traffic: say so (Flagger: pw)
		 */
		r = cJSON_CreateArray();
		cJSON_AddItemToArray(r, weighted(v, v->primary, 100, NULL));
		cJSON_AddItemToArray(http, entry(v, smatch(v), r, false, NULL));
	} else if (gc_json_str(c->analysis, "sessionAffinity.cookieName")) {
		affinity_routes(v, http, pw, cw, c->st->mirror);
	} else {
		cJSON_AddItemToArray(http, entry(v, smatch(v),
						 route2(v, pw, cw, NULL, NULL),
						 c->st->mirror, NULL));
	}
	return http;
}

static cJSON *tcp_routes(const vs *v)
{
	cJSON *tcp = cJSON_CreateArray(), *e = cJSON_CreateObject(),
	      *match = cJSON_CreateArray();
	const cJSON *m;

	cJSON_ArrayForEach (m, gc_json_get(v->c->service, "match")) {
		cJSON *p = cJSON_CreateObject();

		if (gc_json_get(m, "port"))
			gc_render__add(p, "port",
				       gc_json_dup(gc_json_get(m, "port")));
		cJSON_AddItemToArray(match, p);
	}
	if (cJSON_GetArraySize(match) > 0)
		gc_render__add(e, "match", match);
	else
		cJSON_Delete(match);
	gc_render__add(e, "route",
		       route2(v, v->c->st->primary_weight,
			      v->c->st->canary_weight, NULL, NULL));
	cJSON_AddItemToArray(tcp, e);
	return tcp;
}

static bool contains(const cJSON *list, const char *s)
{
	const cJSON *m;

	cJSON_ArrayForEach (m, list)
		if (cJSON_IsString(m) && !strcmp(m->valuestring, s))
			return true;
	return false;
}

int gc_render__virtual_service(const gc_rctx *c, cJSON *out)
{
	const cJSON *s = c->service, *hosts = gc_json_get(s, "hosts"),
		    *gws = gc_json_get(s, "gateways");
	const char *proto = gc_json_str(s, "appProtocol");
	bool delegation = gc_json_bool(s, "delegation", false);
	cJSON *obj, *spec, *h, *labels;
	vs v = { c, NULL, NULL, false, gc_json_num(s, "port", 0) };
	const cJSON *first = cJSON_GetArrayItem(gws, 0);

	if (delegation &&
	    (cJSON_GetArraySize(hosts) > 0 || cJSON_GetArraySize(gws) > 0))
		return gc_render__fail(
			c, GC_EINVALID, GC_RENDER_SRC_CANARY,
			cJSON_GetArraySize(hosts) > 0 ? hosts : gws,
			"VirtualService %s.%s cannot have hosts and gateways when delegation enabled",
			c->apex, c->ns);
	v.pin = gc_json_bool(s, "portDiscovery", false) &&
		((cJSON_IsString(first) &&
		  strcmp(first->valuestring, "mesh")) ||
		 delegation);
	v.primary = gc_xasprintf("%s-primary", c->apex);
	v.canary = gc_xasprintf("%s-canary", c->apex);
	/*
	 * With service.apex set, Flagger's Service reconcile has added
	 * <selector label>: <APEX> to its labels before the VirtualService
	 * copies them.
	 */
	labels = gc_json_dup(gc_json_get(s, "apex.labels"));
	if (gc_json_get(s, "apex")) {
		if (!cJSON_IsObject(labels)) {
			cJSON_Delete(labels);
			labels = cJSON_CreateObject();
		}
		cJSON_DeleteItemFromObjectCaseSensitive(labels, c->label_key);
		gc_json_add_str(labels, c->label_key, c->apex);
	}
	obj = gc_render__object(
		"networking.istio.io/v1beta1", "VirtualService",
		gc_render__router_meta(c, c->apex, labels,
				       gc_json_get(s, "apex.annotations")));
	cJSON_Delete(labels);
	spec = gc_json_obj(obj, "spec");
	h = cJSON_CreateArray();
	if (!delegation) {
		const cJSON *m;

		cJSON_ArrayForEach (m, hosts)
			cJSON_AddItemToArray(h, gc_json_dup(m));
		if (!contains(hosts, c->apex) && !contains(hosts, "*"))
			cJSON_AddItemToArray(h, cJSON_CreateString(c->apex));
	}
	gc_render__add(spec, "hosts", h);
	if (!delegation) {
		if (cJSON_GetArraySize(gws) > 0) {
			gc_render__add(spec, "gateways", gc_json_dup(gws));
		} else {
			cJSON *g = cJSON_CreateArray();

			cJSON_AddItemToArray(g, cJSON_CreateString("mesh"));
			gc_render__add(spec, "gateways", g);
		}
	}
	if (proto && !strcasecmp(proto, "tcp"))
		gc_render__add(spec, "tcp", tcp_routes(&v));
	else
		gc_render__add(spec, "http", http_routes(&v));
	cJSON_AddItemToArray(out, obj);
	free(v.primary);
	free(v.canary);
	return 0;
}
