/*
 * One canary's tick: load and validate it, decide whether it is due,
 * run its machine (canary_run.c), render and write its stage and status,
 * and record the pass-through keys it owns. Works a chunk at a time.
 */

#include "reconciler/loop/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/release/status.h"
#include "reconciler/release/validate.h"
#include "repo-layout/layout.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"

/* Errors skip the canary; warnings (all_warnings) never do. */
static void log_problems(const gc_problems *p, const char *what,
			 bool all_warnings)
{
	for (size_t i = 0; i < p->n; i++) {
		const gc_problem *x = &p->v[i];

		if (!x->warning)
			gc_warn("%s:%u:%u: %s (%s skipped)", x->path, x->line,
				x->column, x->msg, what);
		else if (all_warnings)
			gc_warn("%s:%u:%u: warning: %s", x->path, x->line,
				x->column, x->msg);
	}
}

static int read_status(gc_canary_work *w, gc_tick *t, gc_error *err)
{
	gc_buf path = GC_BUF_INIT, data = GC_BUF_INIT;
	int error = 0;

	if (!*t->deploy)
		goto cleanup;
	gc_layout_status_path(&path, w->d.obj->namespace, w->d.obj->name);
	if (!gc_deploy_tree_has(&t->loop->tree, path.ptr))
		goto cleanup;
	if ((error = gc_git_read(&data, t->loop->git, t->deploy, path.ptr,
				 err)) < 0 ||
	    (error = gc_deploy_canary_parse(&w->old, path.ptr, data.ptr,
					    data.len, err)) < 0)
		goto cleanup;
	w->d.has_status = true;
cleanup:
	gc_buf_release(&path);
	gc_buf_release(&data);
	return error;
}

static void canary_checksum(gc_canary_work *w)
{
	cJSON *pair = cJSON_CreateObject();

	if (w->old.status.tracked_configs)
		cJSON_AddItemToObject(pair, "trackedConfigs",
				      gc_json_dup(
					      w->old.status.tracked_configs));
	gc_json_add_str(pair, "lastAppliedSpec", w->d.revision);
	gc_revision_hash(w->d.checksum, pair);
	cJSON_Delete(pair);
}

/*
 * True when the canary can be skipped: the cache knows it, none of its
 * source files and not its status file changed, and it is not due.
 */
static bool unchanged(gc_canary_work *w, gc_tick *t)
{
	gc_loop *l = t->loop;
	const gc_object *o = w->d.obj;
	const gc_object *target =
		gc_index_find(l->idx, "Deployment", o->namespace,
			      gc_json_str(o->doc->root, "spec.targetRef.name"));
	const char *hname =
		gc_json_str(o->doc->root, "spec.autoscalerRef.name");
	const gc_object *hpa = gc_index_find(l->idx, "HorizontalPodAutoscaler",
					     o->namespace, hname);
	const char *sname = gc_json_str(o->doc->root, "spec.service.name");
	const gc_object *svc =
		gc_index_find(l->idx, "Service", o->namespace,
			      sname && *sname
				      ? sname
				      : gc_json_str(o->doc->root,
						    "spec.targetRef.name"));
	const gc_canary_cache *c = gc_map_gets(&l->can.cache, w->d.id);
	gc_buf path = GC_BUF_INIT;
	uint64_t status;

	gc_layout_status_path(&path, o->namespace, o->name);
	status = gc_deploy_tree_hash(&l->tree, path.ptr);
	gc_buf_release(&path);
	w->inputs_changed = !c || c->status != status ||
			    gc_loop__path_changed(t, o) ||
			    gc_loop__path_changed(t, target) ||
			    (hname && gc_loop__path_changed(t, hpa)) ||
			    (svc && gc_loop__path_changed(t, svc)) ||
			    gc_map_gets(&t->ch.configs, o->namespace) != NULL;
	if (w->inputs_changed || c->broken || t->now >= c->due)
		return false;
	w->d.skipped = true;
	w->d.cached = c;
	return true;
}

/* machine.c's due rule; the last tick is this process's or the status
 * file's, the later. */
static bool is_due(const gc_canary_work *w, const gc_tick *t)
{
	const gc_status *st = &w->old.status;

	return gc_machine_due(&w->spec, w->d.has_status ? st : NULL,
			      w->d.revision, w->cfg.configs,
			      gc_loop__last_tick(t->loop, w->d.id,
						 st->last_tick),
			      t->now);
}

/*
 * Validates and reads one Canary. A broken one is logged and skipped:
 * its deploy files stay as they are.
 */
static void load_canary(gc_canary_work *w, gc_tick *t)
{
	const gc_index *idx = t->loop->idx;
	const gc_object *o = w->d.obj;
	gc_canary_spec_opts sopts = { t->loop->opts.min_interval_ms };
	gc_problems probs = { 0 };
	gc_error err = GC_ERROR_INIT;
	char *msg;

	w->d.id = gc_xasprintf("%s/%s", o->namespace, o->name);
	gc_deploy_canary_init(&w->old);
	gc_deploy_canary_init(&w->next);
	if (gc_index_load(idx, o, &err) < 0) {
		gc_err("canary '%s' skipped: %s", w->d.id, gc_error_msg(&err));
		w->d.broken = true;
		goto cleanup;
	}
	if (unchanged(w, t))
		return;
	if (gc_validate_canary(&probs, idx, o) > 0) {
		log_problems(&probs, w->d.id, true);
		w->d.broken = true;
		goto cleanup;
	}
	/* warnings once per revision of the canary's file, not every tick */
	log_problems(&probs, w->d.id, gc_loop__path_changed(t, o));
	if (gc_canary_spec_parse(&w->spec, o->doc->root, o->namespace, &sopts,
				 &err) < 0) {
		gc_warn("%s: canary '%s' skipped: %s", o->doc->path, w->d.id,
			gc_error_msg(&err));
		w->d.broken = true;
		goto cleanup;
	}
	w->d.spec_ok = true;
	w->target = gc_index_find_tree(idx, "Deployment", o->namespace,
				       w->spec.target);
	w->hpa =
		gc_index_find_tree(idx, "HorizontalPodAutoscaler", o->namespace,
				   gc_json_str(o->doc->root,
					       "spec.autoscalerRef.name"));
	w->apex_service = gc_index_find_tree(idx, "Service", o->namespace,
					     w->spec.service);
	if (!w->target) {
		gc_warn("%s: canary '%s' skipped: target deployment '%s' not found",
			o->doc->path, w->d.id, w->spec.target);
		w->d.broken = true;
		goto cleanup;
	}
	gc_revision_hash(w->d.revision,
			 gc_json_get(w->target->doc->root, "spec.template"));
	if (read_status(w, t, &err) < 0) {
		msg = gc_error_format(&err);
		gc_err("canary '%s' skipped: unreadable status: %s", w->d.id,
		       msg);
		free(msg);
		w->d.broken = true;
		goto cleanup;
	}
	if (gc_loop__track_configs(w, t) < 0) {
		w->d.broken = true;
		goto cleanup;
	}
	canary_checksum(w);
	w->due = is_due(w, t);
cleanup:
	gc_problems_release(&probs);
	gc_error_release(&err);
}

static void next_state(gc_canary_work *w, gc_tick *t)
{
	const gc_machine_out *out = &w->m.out;
	gc_phase p0 = w->old.status.phase, p1;

	gc_deploy_canary_copy(&w->next, &w->old);
	if (!w->d.ran)
		return;
	if (!out->changed)
		return;
	gc_status_release(&w->next.status);
	gc_status_copy(&w->next.status, &out->status);
	p1 = out->status.phase;
	w->next.routing = out->routing;
	if (out->replicas == GC_REPLICAS_ZERO)
		w->next.canary_active = false;
	else if (out->replicas == GC_REPLICAS_SCALE)
		w->next.canary_active = true;
	if (out->promote) {
		cJSON_Delete(w->next.promoted_template);
		w->next.promoted_template = gc_json_dup(
			gc_json_get(w->target->doc->root, "spec.template"));
		snprintf(w->next.promoted_revision,
			 sizeof(w->next.promoted_revision), "%s",
			 w->d.revision);
	}
	if (!w->d.has_status ||
	    (p1 == GC_PHASE_PROGRESSING && p0 != p1 &&
	     (gc_machine_at_rest(p0) || p0 == GC_PHASE_WAITING))) {
		snprintf(w->next.source_commit, sizeof(w->next.source_commit),
			 "%s", t->loop->source);
		w->next.release_max_weight = 0;
	}
	if (out->routing.canary > w->next.release_max_weight &&
	    p1 != GC_PHASE_INITIALIZING && p1 != GC_PHASE_INITIALIZED)
		w->next.release_max_weight = out->routing.canary;
	w->d.ended = w->d.has_status && !gc_machine_at_rest(p0) &&
		     p0 != GC_PHASE_INITIALIZING &&
		     (p1 == GC_PHASE_SUCCEEDED || p1 == GC_PHASE_FAILED);
}

static bool is_released(gc_phase p)
{
	return p == GC_PHASE_PROMOTING || p == GC_PHASE_FINALISING ||
	       p == GC_PHASE_SUCCEEDED || p == GC_PHASE_FAILED;
}

/*
 * Renders the canary's stage. The primary's ConfigMap/Secret copies are
 * made from the source only when the machine promotes (initialization,
 * Promote); otherwise they stay what the deploy branch holds, so a config
 * change reaches the primary through the analysis only.
 */
static int render(gc_canary_work *w, const gc_tick *t, gc_error *err)
{
	static const gc_stage init = GC_STAGE_INIT;
	gc_render_input in;
	const gc_deploy_canary *n = &w->next;

	gc_loop__render_input(&in, w, t);
	in.stage = init;
	in.stage.phase = gc_phase_name(n->status.phase);
	in.stage.primary_weight = n->routing.primary;
	in.stage.canary_weight = n->routing.canary;
	in.stage.mirror = n->routing.mirror;
	in.stage.canary_active = n->canary_active;
	in.stage.promoted_template = n->promoted_template;
	if (!(w->d.ran && w->m.out.promote)) {
		in.stage.promoted_lookup = gc_loop__promoted_lookup;
		in.stage.promoted_payload = &w->cfg.promoted;
	}
	in.stage.cookie = n->status.session_affinity_cookie;
	in.stage.primary_cookie = n->status.primary_session_affinity_cookie;
	in.stage.previous_cookie = n->status.previous_session_affinity_cookie;
	in.stage.released = is_released(n->status.phase);
	return gc_render_canary(&w->rendered, &in, err);
}

static void object_key(gc_buf *key, const char *ns, const char *kind,
		       const char *name)
{
	gc_buf_clear(key);
	gc_layout_object_path(key, ns, NULL, kind, name);
}

/* Writes the rendered objects and the status file of one canary. */
static int write_canary(gc_canary_work *w, gc_tick *t, gc_error *err)
{
	gc_buf path = GC_BUF_INIT, yaml = GC_BUF_INIT, key = GC_BUF_INIT;
	char **files = NULL;
	const cJSON *obj;
	size_t n = 0;
	int error = 0;

	files = gc_xcalloc((size_t)cJSON_GetArraySize(w->rendered) + 1,
			   sizeof(*files));
	cJSON_ArrayForEach (obj, w->rendered) {
		const char *kind = gc_json_str(obj, "kind");
		const char *name = gc_json_str(obj, "metadata.name");

		gc_buf_clear(&path);
		gc_buf_clear(&yaml);
		gc_layout_object_path(&path, w->d.obj->namespace,
				      w->d.obj->name, kind, name);
		if ((error = gc_yaml_emit(&yaml, &obj, 1, err)) < 0)
			goto cleanup;
		w->d.changed |= gc_loop__write_file(t, path.ptr, &yaml);
		files[n++] = gc_xstrdup(path.ptr);
	}
	gc_deploy_canary_set_files(&w->next, (const char *const *)files, n);
	for (size_t i = 0; i < w->old.nfiles; i++) {
		bool keep = false;

		for (size_t k = 0; k < w->next.nfiles && !keep; k++)
			keep = !strcmp(w->old.files[i], w->next.files[k]);
		if (!keep)
			w->d.changed |=
				gc_loop__delete_file(t, w->old.files[i]);
	}
	gc_buf_clear(&path);
	gc_buf_clear(&yaml);
	gc_layout_status_path(&path, w->d.obj->namespace, w->d.obj->name);
	if ((error = gc_deploy_canary_emit(&yaml, &w->next, w->d.obj->namespace,
					   w->d.obj->name, w->d.obj->doc->root,
					   err)) < 0)
		goto cleanup;
	w->d.changed |= gc_loop__write_file(t, path.ptr, &yaml);
cleanup:
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	gc_buf_release(&path);
	gc_buf_release(&yaml);
	gc_buf_release(&key);
	return error;
}

/* Counts one owner more or less of key; returns the map's copy of key. */
static const char *own(gc_loop *l, const char *key, int delta)
{
	uintptr_t was = (uintptr_t)gc_map_gets(&l->can.owned, key), n;

	n = delta > 0 ? was + 1 : (was ? was - 1 : 0);
	gc_map_sets(&l->can.owned, key, (void *)n);
	if (!was != !n) /* pass-through looks at it again */
		gc_map_sets(&l->can.flipped, key, (void *)1);
	return gc_map_key(&l->can.owned, key);
}

static void disown_all(gc_loop *l, gc_canary_cache *c)
{
	for (size_t k = 0; k < c->nkeys; k++)
		own(l, c->keys[k], -1);
	free(c->keys);
	c->keys = NULL;
	c->nkeys = 0;
}

void gc_loop__uncache(gc_loop *l, const char *id)
{
	gc_canary_cache *c = gc_map_gets(&l->can.cache, id);

	if (c) {
		disown_all(l, c);
		free(c);
		gc_map_sets(&l->can.cache, id, NULL);
	}
}

void gc_loop__canaries_clear(gc_loop_canaries *can)
{
	const gc_map_entry *e;
	gc_canary_cache *c;

	for (size_t i = 0; gc_map_next(&can->cache, &i, &e);) {
		if ((c = e->value))
			free(c->keys);
		free(c);
	}
	gc_map_release(&can->cache);
	memset(&can->cache, 0, sizeof(can->cache));
	gc_map_release(&can->owned);
	memset(&can->owned, 0, sizeof(can->owned));
	gc_map_release(&can->flipped);
	gc_canary_deps_release(&can->deps);
}

/*
 * Records the pass-through keys the canary owns (its rendered objects and
 * its target) in loop->can.owned, replacing what it owned before. A skipped
 * canary owns what it owned.
 */
static void own_keys(gc_tick *t, gc_canary_work *w)
{
	gc_loop *l = t->loop;
	const gc_deploy_canary *dc = w->was_rendered ? &w->next : &w->old;
	const char *tname =
		gc_json_str(w->d.obj->doc->root, "spec.targetRef.name");
	gc_canary_cache *c;
	gc_buf key = GC_BUF_INIT;

	if (w->d.skipped)
		return;
	c = gc_map_gets(&l->can.cache, w->d.id);
	if (!c) {
		c = gc_xcalloc(1, sizeof(*c));
		c->broken = true; /* until the tick completes */
		gc_map_sets(&l->can.cache, w->d.id, c);
	}
	disown_all(l, c);
	c->keys = gc_xcalloc(dc->nfiles + 2, sizeof(*c->keys));
	for (size_t i = 0; i < dc->nfiles; i++) {
		gc_buf_clear(&key); /* the file's pass-through twin */
		gc_layout_passthrough_of(&key, dc->files[i]);
		c->keys[c->nkeys++] = own(l, key.ptr, 1);
	}
	if (tname) {
		object_key(&key, w->d.obj->namespace, "Deployment", tname);
		c->keys[c->nkeys++] = own(l, key.ptr, 1);
	}
	gc_buf_release(&key);
}

void gc_loop__done_release(gc_canary_done *d)
{
	gc_canary_report *r = &d->report;

	free(d->id);
	for (size_t k = 0; k < r->nevents; k++)
		gc_event_release(&r->events[k]);
	free(r->events);
	for (size_t k = 0; k < r->nbatches; k++)
		gc_check_batch_release(&r->batches[k]);
	free(r->batches);
	free(r->event_hooks.v);
	cJSON_Delete(r->hooks);
	free(d->target);
	free(d->hpa);
	gc_event_hooks_release(&r->deliveries);
	for (size_t k = 0; k < r->nalert_dests; k++)
		gc_alert_dest_release(&r->alert_dests[k]);
	free(r->alert_dests);
	gc_alert_fields_release(&r->alert_metadata);
	gc_alert_hooks_release(&r->alerts);
}

static void work_release(gc_canary_work *w)
{
	gc_loop__done_release(&w->d);
	if (w->d.spec_ok)
		gc_canary_spec_release(&w->spec);
	gc_deploy_canary_release(&w->old);
	gc_deploy_canary_release(&w->next);
	free(w->m.ready_msg[0]);
	free(w->m.ready_msg[1]);
	free(w->m.primary_name);
	cJSON_Delete(w->cfg.configs);
	cJSON_Delete(w->cfg.promoted_configs);
	gc_loop__promoted_release(&w->cfg.promoted);
	if (w->d.ran)
		gc_machine_out_release(&w->m.out);
	for (size_t k = 0; k < w->m.nbatches; k++)
		gc_check_batch_release(&w->m.batches[k]);
	cJSON_Delete(w->rendered);
	memset(w, 0, sizeof(*w)); /* released twice on errors */
}

/* Gives d the copies of the canary's event webhooks: the index drops its
 * trees. */
static void copy_event_hooks(gc_canary_done *d, const gc_hook_list *h)
{
	d->report.hooks = cJSON_CreateArray();
	d->report.event_hooks.v = gc_xcalloc(h->n, sizeof(*h->v));
	for (size_t i = 0; i < h->n; i++) {
		cJSON *copy = gc_json_dup(h->v[i]);

		cJSON_AddItemToArray(d->report.hooks, copy);
		d->report.event_hooks.v[d->report.event_hooks.n++] = copy;
	}
}

/*
 * Where the alerts of w's events go, resolved now: the index drops the
 * trees of its AlertProviders and Secrets before they are delivered.
 */
static void resolve_alerts(gc_canary_work *w, gc_tick *t)
{
	gc_canary_report *r = &w->d.report;
	bool any = false;

	if (!w->d.ran || !w->d.spec_ok)
		return;
	for (size_t k = 0; k < w->m.out.nevents; k++)
		any |= w->m.out.events[k].alert != GC_ALERT_NONE;
	r->own_alerts =
		cJSON_GetArraySize(
			gc_json_get(w->spec.root, "spec.analysis.alerts")) > 0;
	/* nowhere to send them: nothing to keep until the push */
	if (!any || (!r->own_alerts && !t->loop->has_alert_global))
		return;
	r->alerts_due = true;
	gc_alerts_resolve(&r->alert_dests, &r->nalert_dests, t->loop->idx,
			  &w->spec);
	gc_alerts_metadata(&r->alert_metadata, &w->spec);
}

/*
 * Completes w->d with what the machine and the stage left and moves it
 * to d: the one place a done record is built.
 */
static void take_done(gc_canary_done *d, gc_canary_work *w)
{
	const gc_deploy_canary *dc = w->d.ran ? &w->next : &w->old;
	gc_canary_done *o = &w->d;
	const char *s;

	o->moved = o->ran && w->m.out.changed;
	o->stage.phase = dc->status.phase;
	o->stage.canary_weight = dc->routing.canary;
	o->stage.primary_weight = dc->routing.primary;
	o->stage.release_max_weight = dc->release_max_weight;
	o->stage.ab_match[0] = '\0';
	if (o->spec_ok && w->spec.strategy == GC_STRATEGY_AB)
		gc_message_match(o->stage.ab_match, w->spec.match);
	o->stage.strategy = o->spec_ok ? w->spec.strategy : GC_STRATEGY_CANARY;
	o->stage.skip_analysis = o->spec_ok && w->spec.skip_analysis;
	o->stage.failed_checks = dc->status.failed_checks;
	o->stage.old_failed_checks = w->old.status.failed_checks;
	memcpy(o->stage.source_commit, dc->source_commit,
	       sizeof(o->stage.source_commit));
	o->persisted_tick = w->old.status.last_tick;
	o->interval_ms = w->spec.interval_ms;
	if (o->ran) {
		o->last_tick = w->m.out.status.last_tick;
		o->report.events = w->m.out.events;
		o->report.nevents = w->m.out.nevents;
		w->m.out.events = NULL;
		w->m.out.nevents = w->m.out.alloc = 0;
	}
	if (w->m.nbatches) {
		o->report.batches =
			gc_xcalloc(w->m.nbatches, sizeof(*o->report.batches));
		memcpy(o->report.batches, w->m.batches,
		       w->m.nbatches * sizeof(*o->report.batches));
		o->report.nbatches = w->m.nbatches;
		w->m.nbatches = 0;
		for (size_t i = 0; i < o->report.nbatches; i++)
			for (size_t k = 0; k < o->report.batches[i].n; k++)
				o->report.batches[i].v[k].spec = NULL;
	}
	if (o->report.nevents && o->spec_ok && w->spec.hooks[GC_HOOK_EVENT].n)
		copy_event_hooks(o, &w->spec.hooks[GC_HOOK_EVENT]);
	if (o->obj->doc->root) {
		if ((s = gc_json_str(o->obj->doc->root, "spec.targetRef.name")))
			o->target = gc_xstrdup(s);
		if ((s = gc_json_str(o->obj->doc->root,
				     "spec.autoscalerRef.name")))
			o->hpa = gc_xstrdup(s);
	}
	*d = *o;
	/* moved: w keeps its flags for work_release, not what d owns now */
	o->id = o->target = o->hpa = NULL;
	memset(&o->report, 0, sizeof(o->report));
}

/*
 * A full pass works through the canaries this many at a time, so that it
 * holds one chunk's work (specs, states, machines, renders) and not every
 * canary's; each chunk's checks still run together.
 */
#define CHUNK 128

/* Loads, runs, renders and writes canaries [from, from + nw) of t->d. */
static int process_chunk(gc_tick *t, size_t from, size_t nw,
			 gc_tick_result *res, gc_error *err)
{
	gc_canary_work *ws = gc_xcalloc(nw + 1, sizeof(*ws));
	int error, rendered;
	char *msg;

	for (size_t i = 0; i < nw; i++) {
		gc_canary_work *w = &ws[i];

		w->d = t->d[from + i]; /* the object only, yet */
		load_canary(w, t);
		if (!gc_map_gets(&t->loop->can.cache, w->d.id)) {
			t->ch.canary_gone = true; /* new, or the first tick */
			t->ch.nnew++;
		}
		res->canaries_broken += w->d.broken;
	}
	if ((error = gc_loop__run_machines(t, ws, nw, err)) < 0)
		goto cleanup;
	for (size_t i = 0; i < nw; i++) {
		gc_canary_work *w = &ws[i];
		gc_error rerr = GC_ERROR_INIT;

		if (w->d.broken || w->d.skipped)
			goto keys;
		next_state(w, t);
		if (!(w->d.ran && w->m.out.changed) && !w->inputs_changed)
			goto keys;
		rendered = render(w, t, &rerr);
		w->was_rendered = w->rendered != NULL;
		if (rendered < 0) {
			msg = gc_error_format(&rerr);
			gc_warn("%s (canary '%s' skipped)", msg, w->d.id);
			free(msg);
			gc_error_release(&rerr);
			w->d.broken = true;
			goto keys;
		}
		if ((error = write_canary(w, t, err)) < 0)
			goto cleanup;
		if (w->d.ran && w->m.out.changed)
			w->d.changed = true;
	keys:
		own_keys(t, w);
		resolve_alerts(w, t);
		take_done(&t->d[from + i], w);
		work_release(w); /* one at a time: renders are large */
	}
cleanup:
	for (size_t i = 0; i < nw; i++)
		work_release(&ws[i]);
	free(ws);
	/*
	 * The trees the chunk parsed again; the next chunk needs others.
	 * Unless they are a few files of many canaries each, which the next
	 * chunk would parse again whole.
	 */
	if (gc_index_loaded(t->loop->idx) > 16)
		gc_index_trim(t->loop->idx);
	return error;
}

int gc_loop__process_canaries(gc_tick *t, gc_tick_result *res, gc_error *err)
{
	int error = 0;

	for (size_t i = 0; i < t->n && error == 0; i += CHUNK)
		error = process_chunk(t, i, t->n - i < CHUNK ? t->n - i : CHUNK,
				      res, err);
	return error;
}
