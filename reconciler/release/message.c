#include "reconciler/release/message.h"

#include <stdio.h>
#include <string.h>

#include "reconciler/release/status.h"
#include "util/json.h"
#include "util/text.h"

static const char *last_event(const gc_msg_canary *c)
{
	return c->nevents ? c->events[c->nevents - 1].message : NULL;
}

/*
 * Every event line is one line, however much of a server's text the event
 * quotes (util/text.h): the commit's only lines are gitcanary's own.
 */
static void add_line(gc_buf *out, const char *text)
{
	gc_text_escape(out, text, strlen(text), GC_MSG_LINE_MAX, 0);
	gc_buf_addch(out, '\n');
}

static void add_subject(gc_buf *out, const gc_msg_canary *canaries, size_t n,
			const char *source, const char *branch)
{
	if (n == 1 && last_event(&canaries[0])) {
		add_line(out, last_event(&canaries[0]));
		return;
	} else if (n == 1)
		gc_buf_addf(out, "Reconcile %s/%s", canaries[0].ns,
			    canaries[0].name);
	else if (n > 1)
		gc_buf_addf(out, "Reconcile %zu canaries", n);
	else
		gc_buf_addf(out, "Sync %.12s from %s", source, branch);
	gc_buf_addch(out, '\n');
}

void gc_message_commit(gc_buf *out, const gc_msg_canary *canaries, size_t n,
		       const char *source, const char *branch)
{
	bool body = false;

	add_subject(out, canaries, n, source, branch);
	for (size_t i = 0; i < n; i++) {
		const gc_msg_canary *c = &canaries[i];

		for (size_t k = 0; k < c->nevents; k++) {
			if (!body)
				gc_buf_addch(out, '\n');
			body = true;
			gc_buf_addf(out, "%s/%s: %s", c->ns, c->name,
				    c->events[k].type == GC_EVENT_WARNING
					    ? "warning: "
					    : "");
			add_line(out, c->events[k].message);
		}
	}
	if (n == 0) {
		gc_buf_addf(out, "\nSource-Commit: %s\n", source);
		return;
	}
	gc_buf_addch(out, '\n');
	for (size_t i = 0; i < n; i++) {
		const gc_msg_canary *c = &canaries[i];

		gc_buf_addf(out,
			    "Canary: %s/%s\nPhase: %s\nCanary-Weight: %d\n"
			    "Primary-Weight: %d\nFailed-Checks: %d\n"
			    "Revision: %s\n",
			    c->ns, c->name, c->phase, c->canary_weight,
			    c->primary_weight, c->failed_checks,
			    c->revision ? c->revision : "");
		if (c->source_commit && *c->source_commit)
			gc_buf_addf(out, "Source-Commit: %s\n",
				    c->source_commit);
	}
}

static cJSON *events_json(const gc_msg_canary *c)
{
	cJSON *a = cJSON_CreateArray(), *e;

	for (size_t k = 0; k < c->nevents; k++) {
		e = cJSON_CreateObject();
		gc_json_add_str(e, "type",
				c->events[k].type == GC_EVENT_WARNING
					? "Warning"
					: "Normal");
		gc_json_add_str(e, "message", c->events[k].message);
		cJSON_AddItemToArray(a, e);
	}
	return a;
}

static cJSON *checks_json(const gc_check_batch *batches, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t b = 0; b < n; b++)
		for (size_t k = 0; k < batches[b].n; k++)
			if (batches[b].v[k].evidence)
				cJSON_AddItemToArray(
					a,
					gc_json_dup(batches[b].v[k].evidence));
	return a;
}

cJSON *gc_message_evidence(const gc_msg_canary *canaries, size_t n,
			   const char *source_commit, int64_t now)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o;
	char when[GC_TIME_MAX], id[512];

	gc_time_format(when, now);
	gc_json_add_str(root, "sourceCommit", source_commit);
	gc_json_add_str(root, "time", when);
	arr = cJSON_AddArrayToObject(root, "canaries");
	for (size_t i = 0; i < n; i++) {
		const gc_msg_canary *c = &canaries[i];

		o = cJSON_CreateObject();
		snprintf(id, sizeof(id), "%s/%s", c->ns, c->name);
		gc_json_add_str(o, "canary", id);
		gc_json_add_str(o, "phase", c->phase);
		gc_json_add_num(o, "canaryWeight", c->canary_weight);
		gc_json_add_num(o, "failedChecks", c->failed_checks);
		cJSON_AddItemToObject(o, "events", events_json(c));
		cJSON_AddItemToObject(o, "checks",
				      checks_json(c->batches, c->nbatches));
		if (c->ndeliveries)
			cJSON_AddItemToObject(o, "eventWebhooks",
					      checks_json(c->deliveries,
							  c->ndeliveries));
		if (cJSON_GetArraySize(c->alerts) > 0)
			cJSON_AddItemToObject(o, "alerts",
					      gc_json_dup(c->alerts));
		cJSON_AddItemToArray(arr, o);
	}
	return root;
}

/* Adds o to the releases array arr, replacing one of the same canary and
 * deploy commit. */
static void add_outcome(cJSON *arr, const gc_msg_outcome *o)
{
	char when[GC_TIME_MAX], id[512];
	cJSON *r, *it;
	int i = 0;

	snprintf(id, sizeof(id), "%s/%s", o->ns, o->name);
	cJSON_ArrayForEach (it, arr) {
		const char *c = gc_json_str(it, "canary");
		const char *d = gc_json_str(it, "deployCommit");

		if (c && d && !strcmp(c, id) && o->deploy_commit &&
		    !strcmp(d, o->deploy_commit)) {
			cJSON_DeleteItemFromArray(arr, i);
			break;
		}
		i++;
	}
	gc_time_format(when, o->when);
	r = cJSON_CreateObject();
	gc_json_add_str(r, "canary", id);
	gc_json_add_str(r, "outcome", o->promoted ? "promoted" : "rolled back");
	gc_json_add_str(r, "time", when);
	/* an A/B release routes by match, never by weight */
	if (o->match && *o->match)
		gc_json_add_str(r, "match", o->match);
	else
		gc_json_add_num(r, "maxWeight", o->max_weight);
	gc_json_add_num(r, "failedChecks", o->failed_checks);
	if (o->revision)
		gc_json_add_str(r, "revision", o->revision);
	if (o->deploy_commit)
		gc_json_add_str(r, "deployCommit", o->deploy_commit);
	if (o->last_event)
		gc_json_add_str(r, "lastEvent", o->last_event);
	cJSON_AddItemToArray(arr, r);
}

cJSON *gc_message_outcome(const char *existing, const gc_msg_outcome *o,
			  size_t n)
{
	cJSON *root = existing ? cJSON_Parse(existing) : NULL, *arr;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		root = cJSON_CreateObject();
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "releases");
	if (!cJSON_IsArray(arr)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "releases");
		arr = cJSON_AddArrayToObject(root, "releases");
	}
	for (size_t i = 0; i < n; i++)
		add_outcome(arr, &o[i]);
	return root;
}

/* True when word is an item of the ", "-separated list. */
static bool listed(const char *list, const char *word)
{
	size_t w = strlen(word);

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");

		if (n == w && !strncmp(p, word, w))
			return true;
		p += n;
		p += *p ? 2 : 0;
	}
	return false;
}

static void match_add(char out[GC_MESSAGE_MATCH_MAX], size_t *len,
		      const char *word)
{
	int n;

	if (listed(out, word) || *len >= GC_MESSAGE_MATCH_MAX - 1)
		return;
	n = snprintf(out + *len, GC_MESSAGE_MATCH_MAX - *len, "%s%s",
		     *len ? ", " : "", word);
	if (n > 0)
		*len = *len + (size_t)n < GC_MESSAGE_MATCH_MAX
			       ? *len + (size_t)n
			       : GC_MESSAGE_MATCH_MAX - 1;
}

void gc_message_match(char out[GC_MESSAGE_MATCH_MAX], const cJSON *match)
{
	const cJSON *m, *k;
	size_t len = 0;

	out[0] = '\0';
	cJSON_ArrayForEach (m, match) {
		const cJSON *headers =
			cJSON_GetObjectItemCaseSensitive(m, "headers");

		if (cJSON_IsObject(headers) && headers->child) {
			cJSON_ArrayForEach (k, headers)
				match_add(out, &len, k->string);
			continue;
		}
		cJSON_ArrayForEach (k, m)
			if (k->string)
				match_add(out, &len, k->string);
	}
}
