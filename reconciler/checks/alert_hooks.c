#include "reconciler/checks/alert_hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/checks/notifier.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

void gc_alert_hooks_release(gc_alert_hooks_canary *c)
{
	for (size_t i = 0; i < c->nbatches; i++)
		gc_check_batch_release(&c->batches[i]);
	free(c->batches);
	cJSON_Delete(c->specs);
	cJSON_Delete(c->evidence);
	c->batches = NULL;
	c->nbatches = 0;
	c->specs = NULL;
	c->evidence = NULL;
}

/* The destinations of c: its own, else the global one (maybe none). */
static const gc_alert_dest *dests_of(const gc_alert_hooks_canary *c,
				     const gc_alert_hooks_opts *o, size_t *n)
{
	if (c->own) {
		*n = c->ndests;
		return c->dests;
	}
	*n = o->global ? 1 : 0;
	return o->global;
}

/* Cluster (when set), then the metadata fields when the alert asks. */
static size_t fields_of(gc_notifier_field *out, const gc_alert_hooks_canary *c,
			const gc_event *ev, const gc_alert_hooks_opts *o)
{
	size_t n = 0;

	if (o->cluster && *o->cluster) {
		out[n].name = "Cluster";
		out[n++].value = o->cluster;
	}
	for (size_t i = 0;
	     ev->alert_metadata && c->metadata && i < c->metadata->n; i++)
		out[n++] = c->metadata->v[i];
	return n;
}

static void add_opt(cJSON *s, const char *key, const char *v)
{
	if (v)
		gc_json_add_str(s, key, v);
}

/* The GC_CHECK_ALERT spec of one delivery: the body is Flagger's. */
static const cJSON *delivery_spec(cJSON *specs, const gc_alert_hooks_canary *c,
				  const gc_alert_dest *d, const gc_event *ev,
				  const gc_alert_hooks_opts *o)
{
	gc_notifier_field fields[1 + GC_ARRAY_SIZE(c->metadata->v)];
	gc_notifier_post p = { 0 };
	gc_buf body = GC_BUF_INIT;
	cJSON *s = cJSON_CreateObject();

	GC_ASSERT(s);
	p.workload = c->ctx->name;
	p.namespace = c->ctx->namespace;
	p.message = ev->alert_message;
	p.fields = fields;
	p.nfields = fields_of(fields, c, ev, o);
	p.severity = ev->alert;
	p.username = d->username;
	p.channel = d->channel;
	gc_notifier_body(&body, d->type, &p);
	gc_json_add_str(s, "name", d->name);
	add_opt(s, "provider", d->provider);
	gc_json_add_str(s, "type", gc_notifier_type_name(d->type));
	gc_json_add_str(s, "severity", gc_notifier_severity_name(ev->alert));
	gc_json_add_str(s, "message", ev->alert_message);
	gc_json_add_str(s, "url", d->url);
	add_opt(s, "token", d->token);
	add_opt(s, "proxy", d->proxy);
	gc_json_add_str(s, "body", body.ptr);
	cJSON_AddItemToArray(specs, s);
	gc_buf_release(&body);
	return s;
}

/* Alerts of c's events that d receives. */
static size_t wanted(const gc_alert_hooks_canary *c, const gc_alert_dest *d)
{
	size_t n = 0;

	for (size_t k = 0; k < c->nevents; k++)
		n += gc_alerts_wants(d->severity, c->events[k].alert);
	return n;
}

/* A destination that cannot be sent to: logged and recorded per alert. */
static void unsent(gc_alert_hooks_canary *c, const gc_alert_dest *d,
		   const gc_event *ev)
{
	cJSON *e = cJSON_CreateObject();

	GC_ASSERT(e);
	gc_json_add_str(e, "name", d->name);
	add_opt(e, "provider", d->provider);
	gc_json_add_str(e, "severity", gc_notifier_severity_name(ev->alert));
	gc_json_add_str(e, "message", ev->alert_message);
	gc_json_add_str(e, "result", "error");
	gc_json_add_str(e, "error", d->problem);
	cJSON_AddItemToArray(c->evidence, e);
	gc_warn("%s/%s: alert '%s' not sent: %s", c->ctx->namespace,
		c->ctx->name, d->name, d->problem);
}

/* Plans c's batches: one per destination that receives an alert. */
static void plan(gc_alert_hooks_canary *c, const gc_alert_hooks_opts *o)
{
	size_t nd, k;
	const gc_alert_dest *d = dests_of(c, o, &nd);

	c->evidence = cJSON_CreateArray();
	c->specs = cJSON_CreateArray();
	GC_ASSERT(c->evidence && c->specs);
	c->batches = gc_xcalloc(nd ? nd : 1, sizeof(*c->batches));
	for (size_t i = 0; i < nd; i++) {
		gc_check_batch *b;
		size_t want = wanted(c, &d[i]);

		if (!want)
			continue;
		if (d[i].problem) {
			for (k = 0; k < c->nevents; k++)
				if (gc_alerts_wants(d[i].severity,
						    c->events[k].alert))
					unsent(c, &d[i], &c->events[k]);
			continue;
		}
		b = &c->batches[c->nbatches++];
		b->v = gc_xcalloc(want, sizeof(*b->v));
		for (k = 0; k < c->nevents; k++) {
			gc_check *chk;

			if (!gc_alerts_wants(d[i].severity, c->events[k].alert))
				continue;
			chk = &b->v[b->n++];
			chk->kind = GC_CHECK_ALERT;
			chk->spec = delivery_spec(c->specs, c, &d[i],
						  &c->events[k], o);
		}
	}
}

/* The evidence of what was sent, with the alert's text; failures logged. */
static void finish(gc_alert_hooks_canary *c)
{
	for (size_t h = 0; h < c->nbatches; h++) {
		for (size_t k = 0; k < c->batches[h].n; k++) {
			gc_check *chk = &c->batches[h].v[k];
			const char *name = gc_json_str(chk->spec, "name");
			const char *prov = gc_json_str(chk->spec, "provider");
			cJSON *e = chk->evidence ? gc_json_dup(chk->evidence)
						 : cJSON_CreateObject();

			GC_ASSERT(e);
			cJSON_AddItemToArray(c->evidence, e);
			if (chk->status == GC_CHECK_PASS) {
				gc_debug("%s/%s: alert '%s' sent (%s)",
					 c->ctx->namespace, c->ctx->name,
					 name ? name : "",
					 gc_json_str(chk->spec, "type"));
				continue;
			}
			gc_warn("%s/%s: alert '%s'%s%s%s failed after %d attempt(s): %s",
				c->ctx->namespace, c->ctx->name,
				name ? name : "", prov ? " (provider " : "",
				prov ? prov : "", prov ? ")" : "",
				(int)gc_json_num(chk->evidence, "attempts", 0),
				chk->message ? chk->message : "");
		}
	}
}

/* gc_checks_canary_fn over the canaries of gc_alert_hooks_deliver. */
static void canary_batches(const gc_check_batch **batches, size_t *nb,
			   const gc_check_ctx **ctx, size_t i, void *payload)
{
	const gc_alert_hooks_canary *c = payload;

	*batches = c[i].batches;
	*nb = c[i].nbatches;
	*ctx = c[i].ctx;
}

int gc_alert_hooks_deliver(gc_alert_hooks_canary *c, size_t n,
			   const gc_alert_hooks_opts *aopts,
			   const gc_checks_opts *opts, gc_error *err)
{
	static const gc_alert_hooks_opts none;
	int error;

	if (!aopts)
		aopts = &none;
	for (size_t i = 0; i < n; i++) {
		gc_alert_hooks_release(&c[i]);
		plan(&c[i], aopts);
	}
	/* results land in c[]'s checks */
	error = gc_checks_run_canaries(n, canary_batches, c, opts, err);
	for (size_t i = 0; i < n && error == 0; i++)
		finish(&c[i]);
	return error;
}
