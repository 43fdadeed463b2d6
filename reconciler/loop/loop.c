/*
 * The loop (docs/reconcile.md): gc_loop_new/free, a tick and its attempts,
 * and the caches a complete tick leaves for the next.
 */

#include "reconciler/loop/loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconciler/loop/internal.h"
#include "reconciler/service/metrics.h"
#include "repo-layout/layout.h"
#include "util/alloc.h"
#include "util/log.h"

void gc_loop__free_values(gc_map *m)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(m, &i, &e);)
		free(e->value);
	gc_map_release(m);
	memset(m, 0, sizeof(*m));
}

/* Forgets everything derived from earlier ticks (after an error). */
static void clear_caches(gc_loop *l)
{
	gc_loop__canaries_clear(&l->can);
	gc_loop__passthru_clear(&l->pt);
	gc_loop__free_values(&l->sel.configs);
	l->sel.cache_source[0] = '\0';
	l->seen.next_due = INT64_MAX;
}

int gc_loop_new(gc_loop **out, const gc_loop_opts *opts, gc_error *err)
{
	gc_git_open_opts gopts = { opts->cache_dir, opts->ssh_key, opts->token,
				   opts->allow_insecure_http,
				   opts->signing_key };
	gc_loop *l = gc_xcalloc(1, sizeof(*l));
	int error;

	l->opts = *opts;
	gc_deploy_tree_init(&l->tree);
	l->seen.next_due = INT64_MAX;
	error = gc_alerts_global(&l->alert_global, opts->slack_url,
				 opts->slack_channel, opts->slack_user,
				 opts->msteams_url, opts->alert_severity, err);
	if (error < 0 && error != GC_ENOTFOUND)
		goto fail;
	l->has_alert_global = error == 0;
	if ((error = gc_git_open(&l->git, gc_loop__opt_or(opts->repo, "."),
				 &gopts, err)) < 0)
		goto fail;
	if (opts->source_branch)
		l->source_branch = gc_xstrdup(opts->source_branch);
	else if ((error = gc_git_default_branch(&l->source_branch, l->git,
						err)) < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	gc_loop_free(l);
	return error;
}

void gc_loop_free(gc_loop *l)
{
	if (!l)
		return;
	gc_loop__free_values(&l->can.ticks);
	clear_caches(l);
	gc_index_free(l->idx);
	gc_deploy_tree_release(&l->tree);
	gc_git_free(l->git);
	gc_alert_dest_release(&l->alert_global);
	free(l->source_branch);
	free(l);
}

int gc_loop_reload_signing_key(gc_loop *l, gc_error *err)
{
	GC_ASSERT(l->opts.signing_key);
	return gc_git_reload_signing_key(l->git, l->opts.signing_key, err);
}

/* The canary's last tick: this process's or its status file's, the later. */
int64_t gc_loop__last_tick(const gc_loop *l, const char *id, int64_t persisted)
{
	const int64_t *t = gc_map_gets(&l->can.ticks, id);

	return t && *t > persisted ? *t : persisted;
}

static void remember_tick(gc_loop *l, const char *id, int64_t t)
{
	int64_t *v = gc_map_gets(&l->can.ticks, id);

	if (!v) {
		v = gc_xmalloc(sizeof(*v));
		gc_map_sets(&l->can.ticks, id, v);
	}
	*v = t;
}

static void tick_release(gc_tick *t)
{
	for (size_t i = 0; i < t->n; i++)
		gc_loop__done_release(&t->d[i]);
	free(t->d);
	free(t->wr.updates);
	free(t->wr.blobs);
	free(t->ready_error);
	gc_map_release(&t->pt.written);
	gc_map_release(&t->ch.paths);
	gc_map_release(&t->ch.configs);
	gc_map_release(&t->pt.kept);
	gc_map_release(&t->ch.deploy_ids);
	gc_map_release(&t->ch.deploy_pt);
	for (size_t i = 0; i < t->ch.nvanished; i++)
		free(t->ch.vanished[i]);
	free(t->ch.vanished);
}

static int resolve_heads(gc_loop *l, char deploy[GC_OID_HEX], gc_error *err)
{
	int error;

	if ((error = gc_git_fetch(l->git, err)) < 0)
		gc_metrics_fetch_failure();
	if (error < 0 || (error = gc_git_resolve(l->source, l->git,
						 l->source_branch, err)) < 0) {
		/* not "no branch 'main'" on every poll when it is gone */
		if (!gc_git_reachable(l->git))
			gc_error_prefixf(err, "the repository is unreachable");
		return error;
	}
	error = gc_git_resolve(deploy, l->git, gc_loop__deploy_branch(l), err);
	if (error == GC_ENOTFOUND) {
		gc_error_clear(err);
		deploy[0] = '\0';
		return 0;
	}
	return error;
}

/* Problems of a new source commit, once: path:line:col: message. */
static void log_source_problems(gc_loop *l)
{
	gc_problems *p = gc_index_problems(l->idx);

	gc_problems_sort(p);
	for (size_t i = 0; i < p->n; i++)
		gc_warn("%s:%u:%u: %s%s", p->v[i].path, p->v[i].line,
			p->v[i].column, p->v[i].warning ? "warning: " : "",
			p->v[i].msg);
}

/* When the canary is due next; INT64_MAX at rest or broken. */
static int64_t due_at(const gc_loop *l, const gc_tick *t,
		      const gc_canary_done *d)
{
	if (d->skipped)
		return d->cached->broken ? INT64_MAX : d->cached->due;
	if (d->broken || !d->spec_ok)
		return INT64_MAX;
	if (d->moved && !d->changed)
		return t->now; /* not written: try again */
	if (!d->has_status && !d->ran)
		return t->now;
	if (gc_machine_at_rest(d->stage.phase))
		return INT64_MAX;
	return gc_machine_next_due(d->interval_ms,
				   gc_loop__last_tick(l, d->id,
						      d->persisted_tick));
}

/* What the canary read, for gc_loop__select_canaries() of later ticks. */
static void remember_inputs(gc_loop *l, const gc_canary_done *d)
{
	const gc_object *o = d->obj;
	const char *tname = d->target, *hname = d->hpa;
	const gc_object *target =
		gc_index_find(l->idx, "Deployment", o->namespace, tname);
	const gc_object *hpa = gc_index_find(l->idx, "HorizontalPodAutoscaler",
					     o->namespace, hname);
	char tkey[600], hkey[600];
	gc_canary_inputs in = { 0 };

	in.ns = o->namespace;
	in.paths[0] = o->file;
	in.paths[1] = target ? target->file : NULL;
	in.paths[2] = hpa ? hpa->file : NULL;
	if (tname) {
		gc_canary_deps_key_of(tkey, sizeof(tkey), "Deployment",
				      o->namespace, tname);
		in.keys[0] = tkey;
	}
	if (hname) {
		gc_canary_deps_key_of(hkey, sizeof(hkey),
				      "HorizontalPodAutoscaler", o->namespace,
				      hname);
		in.keys[1] = hkey;
	}
	/* unchanged() never skips these */
	in.always = d->broken || !target || (hname && !hpa);
	gc_canary_deps_set(&l->can.deps, d->id, &in);
}

static void forget(gc_loop *l, const char *id)
{
	gc_loop__uncache(l, id);
	gc_canary_deps_remove(&l->can.deps, id);
	gc_metrics_canary_remove(id);
}

/*
 * What the tick saw of its canaries, for /metrics: the stage as the
 * deploy branch now holds it (a status file read, or the machine's when
 * written), and the releases that ended.
 */
static void record_metrics(const gc_tick *t)
{
	gc_metrics_canary *m = gc_xcalloc(t->n + 1, sizeof(*m));

	for (size_t i = 0; i < t->n; i++) {
		const gc_canary_done *d = &t->d[i];

		m[i].id = d->id;
		m[i].namespace = d->obj->namespace;
		m[i].target = d->target;
		if (d->skipped)
			continue;
		m[i].has_stage =
			d->ran ? !d->broken && !(d->moved && !d->changed)
			       : d->has_status;
		m[i].phase = d->stage.phase;
		m[i].primary_weight = d->stage.primary_weight;
		m[i].canary_weight = d->stage.canary_weight;
		m[i].ended = d->ended && m[i].has_stage;
		m[i].strategy = d->stage.strategy;
		m[i].skip_analysis = d->stage.skip_analysis;
	}
	gc_metrics_canaries(m, t->n, t->ch.all);
	free(m);
}

/*
 * Remembers every canary the tick looked at; forgets vanished ones. The
 * others keep what they had.
 */
static void update_cache(gc_loop *l, gc_tick *t)
{
	gc_buf path = GC_BUF_INIT;
	const gc_map_entry *e;

	l->seen.gen++;
	record_metrics(t);
	for (size_t i = 0; i < t->n; i++) {
		const gc_canary_done *d = &t->d[i];
		gc_canary_cache *c = gc_map_gets(&l->can.cache, d->id);
		int64_t due;

		/* only a tick that reached the deploy branch counts */
		if (d->ran)
			remember_tick(l, d->id, d->last_tick);
		due = due_at(l, t, d);
		gc_canary_deps_set_due(&l->can.deps, d->id, due);
		if (!c)
			continue;
		c->gen = l->seen.gen;
		if (d->skipped)
			continue;
		gc_buf_clear(&path);
		gc_layout_status_path(&path, d->obj->namespace, d->obj->name);
		c->status = gc_deploy_tree_hash(&l->tree, path.ptr);
		c->broken = d->broken;
		c->due = due;
		remember_inputs(l, d);
	}
	for (size_t i = 0; i < t->ch.nvanished; i++)
		forget(l, t->ch.vanished[i]);
	/* a full pass saw every canary: the others are gone */
	for (size_t i = 0; t->ch.all && gc_map_next(&l->can.cache, &i, &e);) {
		gc_canary_cache *c = e->value;

		if (c && c->gen != l->seen.gen)
			forget(l, e->key);
	}
	l->seen.next_due = gc_canary_deps_next_due(&l->can.deps);
	gc_buf_release(&path);
}

static double clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Loads the source at l->source into l->idx, from the last one's diff
 * when it can. */
static int load_source(gc_loop *l, gc_error *err)
{
	gc_source_opts sopts = { .default_namespace = l->opts.default_namespace,
				 .trees_on_demand = true,
				 .paths = l->opts.paths,
				 .kustomize_command =
					 l->opts.kustomize_command };
	int error;

	while (l->opts.paths[sopts.npaths])
		sopts.npaths++;
	sopts.flux_source = l->opts.flux_source;

	if (l->idx && !strcmp(l->idx_source, l->source))
		return 0;
	/* only the changed files; a full load first and on failure */
	if (!l->idx || gc_source_update_git(l->idx, l->git, l->idx_source,
					    l->source, &sopts, err) < 0) {
		if (l->idx)
			gc_debug(
				"tick: source update failed (%s); loading it all",
				gc_error_msg(err));
		gc_error_clear(err);
		gc_index_free(l->idx);
		l->idx = NULL;
		l->sel.plan_gen = (size_t)-1; /* a new plan: anything moved */
		if ((error = gc_source_load_git(&l->idx, l->git, l->source,
						&sopts, err)) < 0)
			return error;
	}
	snprintf(l->idx_source, sizeof(l->idx_source), "%s", l->source);
	log_source_problems(l);
	return 0;
}

/*
 * The canaries of the source after the tick (all of them in a full pass;
 * else the last count with those selected), and whether one may have left.
 */
static size_t count_canaries(gc_loop *l, gc_tick *t)
{
	size_t n = l->seen.ncanaries + t->ch.nnew;

	n = t->ch.all ? t->n : n > t->ch.nvanished ? n - t->ch.nvanished : 0;
	t->ch.canary_gone = t->ch.canary_gone || t->ch.nvanished ||
			    n != l->seen.ncanaries || !l->seen.gen ||
			    l->seen.problems;
	return n;
}

/* What a complete tick leaves for the next: the cheap path and caches. */
/* The canary of the tick due first (gc_tick_result.next_*). */
static void next_due(gc_tick_result *res, const gc_loop *l, const gc_tick *t)
{
	res->next_due = INT64_MAX;
	res->next_canary[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		int64_t due = due_at(l, t, &t->d[i]);

		if (due < res->next_due) {
			res->next_due = due;
			snprintf(res->next_canary, sizeof(res->next_canary),
				 "%s", t->d[i].id);
		}
	}
}

static void complete(gc_loop *l, gc_tick *t, gc_tick_result *res,
		     size_t ncanaries)
{
	snprintf(l->seen.source, sizeof(l->seen.source), "%s", l->source);
	snprintf(l->seen.deploy, sizeof(l->seen.deploy), "%s",
		 res->committed ? res->commit : t->deploy);
	l->seen.valid = true;
	update_cache(l, t);
	next_due(res, l, t);
	l->seen.ncanaries = ncanaries;
	res->source_errors = gc_problems_errors(gc_index_problems(l->idx));
	gc_metrics_source_problems(res->source_errors,
				   gc_index_problems(l->idx)->n -
					   res->source_errors);
	l->seen.problems = res->source_errors != 0;
	l->sel.plan_gen = gc_source_plan_gen(l->idx);
	snprintf(l->sel.cache_source, sizeof(l->sel.cache_source), "%s",
		 l->source);
}

/* A tick with no work merges the small packs the last ticks wrote. */
static void tidy(gc_loop *l)
{
	gc_error err = GC_ERROR_INIT;

	if (gc_git_tidy(l->git, &err) < 0)
		gc_warn("merging packs: %s", gc_error_msg(&err));
	gc_error_clear(&err);
}

static int attempt(gc_loop *l, gc_tick_result *res, int64_t now, gc_error *err)
{
	gc_tick t = { 0 };
	double t0;
	bool deploy_all;
	size_t ncanaries;
	int error;

	t.loop = l;
	t.now = now;
	t.wr.err = err;
	t0 = clock_ms();
	if ((error = resolve_heads(l, t.deploy, err)) < 0)
		return error;
	if (l->seen.valid && !strcmp(l->seen.source, l->source) &&
	    !strcmp(l->seen.deploy, t.deploy) && now < l->seen.next_due) {
		res->skipped = true;
		tidy(l);
		return 0;
	}
	if ((error = load_source(l, err)) < 0)
		goto cleanup;
	gc_debug("tick: source loaded at %.1f ms", clock_ms() - t0);
	t.source_moved = !l->seen.valid || strcmp(l->seen.source, l->source) ||
			 strcmp(l->seen.deploy, t.deploy);
	if ((error = gc_deploy_tree_update(&l->tree, l->git, t.deploy,
					   gc_loop__deploy_changed, &t,
					   &deploy_all, err)) < 0 ||
	    (error = gc_loop__find_changes(&t, err)) < 0)
		goto cleanup;
	t.ch.all |= deploy_all;
	gc_loop__select_canaries(&t);
	if ((error = gc_loop__process_canaries(&t, res, err)) < 0)
		goto cleanup;
	gc_debug("tick: %zu canaries processed at %.1f ms", t.n,
		 clock_ms() - t0);
	ncanaries = count_canaries(l, &t);
	if ((t.source_moved || l->can.flipped.len) &&
	    (error = gc_loop__pass_through(&t, err)) < 0)
		goto cleanup;
	gc_debug("tick: passed through at %.1f ms", clock_ms() - t0);
	if (t.wr.layout_changed)
		gc_loop__kustomization(&t);
	if ((error = t.wr.error) < 0 ||
	    (t.wr.n && (error = gc_loop__commit_and_push(&t, res, err)) < 0))
		goto cleanup;
	if (!t.wr.n) /* nothing to commit: the tick is final */
		gc_loop__send_events(&t, NULL);
	gc_debug("tick: pushed at %.1f ms", clock_ms() - t0);
	complete(l, &t, res, ncanaries);
cleanup:
	if (error < 0) {
		/* the tree was changed in place: read it again next time */
		gc_deploy_tree_release(&l->tree);
		gc_deploy_tree_init(&l->tree);
		l->seen.valid = false;
		clear_caches(l);
	}
	tick_release(&t);
	if (l->idx)
		gc_index_trim(l->idx); /* between ticks: identities only */
	return error;
}

/* The tick's attempts: the first, and one more after each lost push. */
static int attempts(gc_loop *l, gc_tick_result *res, int64_t now, gc_error *err)
{
	int max = l->opts.max_attempts > 0 ? l->opts.max_attempts : 5;
	int error = 0;

	memset(res, 0, sizeof(*res));
	for (int i = 0; i < max; i++) {
		res->attempts = i + 1;
		gc_error_clear(err);
		error = attempt(l, res, now ? now : (int64_t)time(NULL), err);
		if (error != GC_ECONFLICT)
			return error;
		gc_metrics_push_conflict();
		gc_info("push to deploy branch '%s' lost (%s); fetching and recomputing",
			gc_loop__deploy_branch(l), gc_error_msg(err));
		memset(res, 0, sizeof(*res));
		res->attempts = i + 1;
	}
	return error;
}

int gc_loop_tick(gc_loop *l, gc_tick_result *res, int64_t now, gc_error *err)
{
	double t0 = clock_ms();
	int error = attempts(l, res, now, err);

	gc_metrics_tick(error < 0        ? GC_METRICS_TICK_FAILED
			: res->skipped   ? GC_METRICS_TICK_SKIPPED
			: res->committed ? GC_METRICS_TICK_COMMITTED
					 : GC_METRICS_TICK_UNCHANGED,
			(clock_ms() - t0) / 1e3,
			now ? now : (int64_t)time(NULL));
	return error;
}

const char *gc_loop_source_branch(const gc_loop *l)
{
	return l->source_branch;
}

bool gc_loop_reachable(const gc_loop *l)
{
	return gc_git_reachable(l->git);
}
