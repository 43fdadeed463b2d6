#include "reconciler/checks/event_hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/checks/http_client.h"
#include "reconciler/release/status.h"
#include "util/alloc.h"
#include "util/common.h"
#include "util/json.h"
#include "util/log.h"
#include "util/url.h"
#include "reconciler/checks/webhook.h"

void gc_event_hooks_release(gc_event_hooks_canary *c)
{
	for (size_t i = 0; i < c->nbatches; i++)
		gc_check_batch_release(&c->batches[i]);
	free(c->batches);
	cJSON_Delete(c->specs);
	c->batches = NULL;
	c->nbatches = 0;
	c->specs = NULL;
}

/*
 * The webhook spec of one delivery: the hook's name, url, timeout,
 * retries and disableTLS, type "event", and the event metadata.
 */
static const cJSON *delivery_spec(cJSON *specs, const cJSON *hook,
				  const gc_event *ev, long long ts)
{
	static const char *const keep[] = { "name", "url", "timeout", "retries",
					    "disableTLS" };
	cJSON *s = cJSON_CreateObject();

	GC_ASSERT(s);
	for (size_t i = 0; i < GC_ARRAY_SIZE(keep); i++) {
		const cJSON *v =
			cJSON_GetObjectItemCaseSensitive(hook, keep[i]);

		if (v)
			cJSON_AddItemToObject(s, keep[i], gc_json_dup(v));
	}
	gc_json_add_str(s, "type", "event");
	cJSON_AddItemToObject(s, "metadata",
			      gc_webhook_event_metadata(
				      gc_json_get(hook, "metadata"),
				      ev->message,
				      ev->type == GC_EVENT_WARNING ? "Warning"
								   : "Normal",
				      ts));
	cJSON_AddItemToArray(specs, s);
	return s;
}

/* Plans c's batches: one per hook (or the global one), one check each. */
static void plan(gc_event_hooks_canary *c, const cJSON *global, long long ts)
{
	const cJSON *const *hooks = c->hooks ? c->hooks->v : NULL;
	size_t nhooks = c->hooks ? c->hooks->n : 0;

	if (!nhooks && global) {
		hooks = &global;
		nhooks = 1;
	}
	if (!nhooks || !c->nevents)
		return;
	c->specs = cJSON_CreateArray();
	GC_ASSERT(c->specs);
	c->batches = gc_xcalloc(nhooks, sizeof(*c->batches));
	c->nbatches = nhooks;
	for (size_t h = 0; h < nhooks; h++) {
		gc_check_batch *b = &c->batches[h];

		b->v = gc_xcalloc(c->nevents, sizeof(*b->v));
		b->n = c->nevents;
		for (size_t k = 0; k < c->nevents; k++) {
			gc_check *chk = &b->v[k];

			chk->kind = GC_CHECK_WEBHOOK;
			chk->spec = delivery_spec(c->specs, hooks[h],
						  &c->events[k], ts);
			snprintf(chk->phase, sizeof(chk->phase), "%s",
				 gc_phase_name(c->events[k].phase));
		}
	}
}

/* Sets the redacted url in the evidence (also when the runner set none). */
static void set_url(cJSON *evidence, const char *url)
{
	cJSON *u = cJSON_CreateString(url);

	GC_ASSERT(u);
	if (cJSON_GetObjectItemCaseSensitive(evidence, "url"))
		cJSON_ReplaceItemInObjectCaseSensitive(evidence, "url", u);
	else
		cJSON_AddItemToObject(evidence, "url", u);
}

/* Evidence without query secrets, with the event; failures logged. */
static void finish(gc_event_hooks_canary *c)
{
	gc_buf url = GC_BUF_INIT;

	for (size_t h = 0; h < c->nbatches; h++) {
		for (size_t k = 0; k < c->batches[h].n; k++) {
			gc_check *chk = &c->batches[h].v[k];
			const char *name = gc_json_str(chk->spec, "name");
			const char *url_s, *why;

			gc_buf_clear(&url);
			url_s = gc_json_str(chk->spec, "url");
			gc_url_redact(&url, url_s ? url_s : "");
			if (!chk->evidence)
				chk->evidence = cJSON_CreateObject();
			GC_ASSERT(chk->evidence);
			set_url(chk->evidence, url.ptr);
			gc_json_add_str(chk->evidence, "eventMessage",
					c->events[k].message);
			if (chk->status == GC_CHECK_PASS) {
				gc_debug(
					"%s/%s: event webhook '%s' %s: status %ld in %.0f ms",
					c->ctx->namespace, c->ctx->name,
					name ? name : "", url.ptr,
					(long)gc_json_num(chk->evidence,
							  "status", 0),
					gc_json_num(chk->evidence,
						    "duration_ms", 0));
				continue;
			}
			/* the transport error, or why nothing was sent; the
			 * failure message may hold the URL or a body */
			why = gc_json_str(chk->evidence, "error");
			if (!why && !gc_json_get(chk->evidence, "attempts"))
				why = chk->message;
			gc_warn("%s/%s: event webhook '%s' %s failed: status %ld after %d attempt(s)%s%s",
				c->ctx->namespace, c->ctx->name,
				name ? name : "", url.ptr,
				(long)gc_json_num(chk->evidence, "status", 0),
				(int)gc_json_num(chk->evidence, "attempts", 0),
				why ? ": " : "", why ? why : "");
		}
	}
	gc_buf_release(&url);
}

/* gc_checks_canary_fn over the canaries of gc_event_hooks_deliver. */
static void canary_batches(const gc_check_batch **batches, size_t *nb,
			   const gc_check_ctx **ctx, size_t i, void *payload)
{
	const gc_event_hooks_canary *c = payload;

	*batches = c[i].batches;
	*nb = c[i].nbatches;
	*ctx = c[i].ctx;
}

int gc_event_hooks_deliver(gc_event_hooks_canary *c, size_t n,
			   const char *global_url, long long timestamp_ms,
			   const gc_checks_opts *opts, gc_error *err)
{
	cJSON *global = NULL;
	int error;

	if (global_url && *global_url) {
		global = cJSON_CreateObject();
		GC_ASSERT(global);
		gc_json_add_str(global, "name", GC_EVENT_HOOKS_GLOBAL_NAME);
		gc_json_add_str(global, "url", global_url);
	}
	for (size_t i = 0; i < n; i++) {
		gc_event_hooks_release(&c[i]);
		plan(&c[i], global, timestamp_ms);
	}
	/* results land in c[]'s checks */
	error = gc_checks_run_canaries(n, canary_batches, c, opts, err);
	for (size_t i = 0; i < n && error == 0; i++)
		finish(&c[i]);
	cJSON_Delete(global);
	return error;
}
