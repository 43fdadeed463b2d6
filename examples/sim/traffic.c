#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"

/* floor() that forgives the rounding of k * share at exact integers. */
static unsigned long long whole(double x)
{
	return (unsigned long long)floor(x + 1e-9);
}

/* True when request number seq is one of the `share` (deterministic). */
static bool picked(unsigned long long seq, double share)
{
	return share > 0.0 &&
	       whole((double)seq * share) > whole((double)(seq - 1) * share);
}

static gc_sim_codestats *codestats(gc_sim_workload *w, int code)
{
	size_t i;

	for (i = 0; i < w->ncodes && w->codes[i].code <= code; i++)
		if (w->codes[i].code == code)
			return &w->codes[i];
	w->codes = gc_xrealloc(w->codes, (w->ncodes + 1) * sizeof(*w->codes));
	memmove(&w->codes[i + 1], &w->codes[i],
		(w->ncodes - i) * sizeof(*w->codes));
	w->ncodes++;
	memset(&w->codes[i], 0, sizeof(w->codes[i]));
	w->codes[i].code = code;
	return &w->codes[i];
}

static void record(gc_sim_workload *w, int code, double ms)
{
	gc_sim_codestats *s = codestats(w, code);

	s->count++;
	s->sum_ms += ms;
	for (size_t i = 0; i < GC_SIM_NBUCKETS; i++) {
		if (ms <= gc_sim_buckets[i]) {
			s->buckets[i]++;
			break;
		}
	}
}

void gc_sim_traffic_serve(gc_sim_cluster *c, gc_sim_deploy *d,
			  unsigned long long n)
{
	static const gc_sim_scenario none = GC_SIM_SCENARIO_INIT;
	const gc_sim_scenario *sc = c->scenario ? c->scenario : &none;
	gc_sim_behaviour bnew = gc_sim_scenario_lookup(sc, d->image);
	gc_sim_behaviour bold = gc_sim_scenario_lookup(sc, d->old_image);
	gc_sim_workload *w = gc_sim_model_workload(c, d->ns, d->name);
	int avail = gc_sim_deploy_available(d);
	double old_share = avail ? (double)d->old / avail : 0.0;

	for (unsigned long long k = 0; k < n; k++) {
		const gc_sim_behaviour *b = &bnew;
		bool err, slow;

		d->old_acc += old_share;
		if (d->old_acc >= 1.0) {
			d->old_acc -= 1.0;
			b = &bold;
		}
		d->seq++;
		err = picked(d->seq, b->error_rate);
		slow = b->slow_ms > 0.0 && picked(d->seq, b->slow_share);
		record(w, err ? b->error_code : 200,
		       slow ? b->slow_ms : b->latency_ms);
	}
}

/* The Deployment behind a route destination host, or NULL. */
static gc_sim_deploy *traffic_resolve(const gc_sim_cluster *c,
				      const char *vs_ns, const char *host)
{
	const char *dot = strchr(host, '.');
	char *name = dot ? gc_xstrndup(host, (size_t)(dot - host))
			 : gc_xstrdup(host);
	char *ns = NULL;
	const gc_sim_service *svc;
	gc_sim_deploy *d = NULL;
	size_t len = strlen(name);

	if (dot) {
		const char *end = strchr(dot + 1, '.');

		ns = end ? gc_xstrndup(dot + 1, (size_t)(end - dot - 1))
			 : gc_xstrdup(dot + 1);
	}
	if (!ns)
		ns = gc_xstrdup(vs_ns);
	svc = gc_sim_model_find_service(c, ns, name);
	if (svc && cJSON_IsObject(svc->selector) && svc->selector->child) {
		for (size_t i = 0; !d && i < c->ndeps; i++) {
			const cJSON *kv;
			bool all = strcmp(c->deps[i]->ns, ns) == 0;

			cJSON_ArrayForEach (kv, svc->selector) {
				const char *v = gc_json_str(c->deps[i]->labels,
							    kv->string);

				if (!v || !cJSON_IsString(kv) ||
				    strcmp(v, kv->valuestring))
					all = false;
			}
			if (all)
				d = c->deps[i];
		}
	}
	if (!d && !svc)
		d = gc_sim_model_find_deploy(c, ns, name);
	if (!d && !svc && len > 7 && !strcmp(name + len - 7, "-canary")) {
		name[len - 7] = '\0';
		d = gc_sim_model_find_deploy(c, ns, name);
	}
	free(name);
	free(ns);
	return d;
}

static bool conditional(const cJSON *route)
{
	static const char *const keys[] = { "headers", "sourceLabels",
					    "queryParams", "withoutHeaders" };
	const cJSON *m;

	cJSON_ArrayForEach (m, cJSON_GetObjectItem(route, "match")) {
		for (size_t i = 0; i < GC_ARRAY_SIZE(keys); i++)
			if (cJSON_GetObjectItem(m, keys[i]))
				return true;
	}
	return false;
}

static void send_route(gc_sim_cluster *c, const gc_sim_vs *vs,
		       const cJSON *route, double n)
{
	const cJSON *dests = cJSON_GetObjectItem(route, "route"), *dst;
	int count = cJSON_GetArraySize(dests);
	double total = 0.0, pct;
	const char *mirror = gc_json_str(route, "mirror.host");
	gc_sim_deploy *d;

	cJSON_ArrayForEach (dst, dests)
		total += gc_json_num(dst, "weight", count == 1 ? 100 : 0);
	cJSON_ArrayForEach (dst, dests) {
		const char *host = gc_json_str(dst, "destination.host");
		double w = gc_json_num(dst, "weight", count == 1 ? 100 : 0);

		if (total <= 0.0 || w <= 0.0 || !host)
			continue;
		if ((d = traffic_resolve(c, vs->ns, host)))
			d->pending += n * w / total;
	}
	if (mirror && (d = traffic_resolve(c, vs->ns, mirror))) {
		pct = gc_json_num(route, "mirrorPercentage.value", 100);
		d->pending += n * pct / 100.0;
	}
}

/* Tagged requests (A/B header or cookie) take the first route; the rest the
 * first route without conditions. */
static void route_vs(gc_sim_cluster *c, const gc_sim_vs *vs, double n)
{
	const cJSON *routes = gc_json_get(vs->spec, "http"), *r;
	const cJSON *first = NULL, *plain = NULL;
	bool any_cond = false;

	if (!cJSON_IsArray(routes))
		routes = gc_json_get(vs->spec, "tcp");
	cJSON_ArrayForEach (r, routes) {
		bool cond = conditional(r);

		if (!first)
			first = r;
		if (!cond && !plain)
			plain = r;
		any_cond = any_cond || cond;
	}
	if (!first)
		return;
	if (any_cond) {
		send_route(c, vs, first, n * c->ab_share);
		n -= n * c->ab_share;
	}
	if (plain)
		send_route(c, vs, plain, n);
}

void gc_sim_traffic_generate(gc_sim_cluster *c, const char *key, const char *ns,
			     const char *host, double rps, double seconds)
{
	gc_sim_gen *g;

	for (size_t i = 0; i < c->ngens; i++)
		if (!strcmp(c->gens[i]->key, key))
			return; /* still running: deduplicated */
	g = gc_xcalloc(1, sizeof(*g));
	g->key = gc_xstrdup(key);
	g->ns = gc_xstrdup(ns);
	g->host = gc_xstrdup(host);
	g->rps = rps;
	g->remaining = seconds;
	c->gens = gc_xrealloc(c->gens, (c->ngens + 1) * sizeof(*c->gens));
	c->gens[c->ngens++] = g;
}

static void run_generators(gc_sim_cluster *c, double dt)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->ngens; i++) {
		gc_sim_gen *g = c->gens[i];
		double t = dt < g->remaining ? dt : g->remaining;
		gc_sim_deploy *d = traffic_resolve(c, g->ns, g->host);

		if (d)
			d->pending += g->rps * t;
		g->remaining -= dt;
		if (g->remaining > 0.0) {
			c->gens[kept++] = g;
			continue;
		}
		free(g->key);
		free(g->ns);
		free(g->host);
		free(g);
	}
	c->ngens = kept;
}

void gc_sim_traffic_advance(gc_sim_cluster *c, double dt)
{
	if (dt <= 0.0)
		return;
	for (size_t i = 0; i < c->nvss; i++)
		route_vs(c, c->vss[i], c->rps * dt);
	run_generators(c, dt);
	for (size_t i = 0; i < c->ndeps; i++) {
		gc_sim_deploy *d = c->deps[i];
		unsigned long long n = whole(d->pending);

		if (gc_sim_deploy_available(d) == 0) {
			d->pending = 0.0; /* no endpoints: nothing reaches it */
			continue;
		}
		d->pending -= (double)n;
		if (d->pending < 0.0)
			d->pending = 0.0;
		gc_sim_traffic_serve(c, d, n);
	}
}
