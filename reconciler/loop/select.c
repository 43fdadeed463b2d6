/*
 * Which canaries a tick looks at: the source files and deploy files that
 * changed since the caches, and the canaries they reach (canary_deps).
 */

#include "reconciler/loop/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/release/validate.h"
#include "repo-layout/layout.h"
#include "util/alloc.h"
#include "util/log.h"

bool gc_loop__path_changed(const gc_tick *t, const gc_object *o)
{
	return t->ch.all || !o || gc_map_gets(&t->ch.paths, o->file) != NULL;
}

static void collect_key(const char *key, void *payload)
{
	gc_tick *t = payload;

	gc_map_sets(&t->ch.paths, key, (void *)1);
}

/*
 * A changed source file: the index files it feeds (itself, the kustomize
 * builds that read it); a changed kustomization that made the plan again
 * can move everything (one that bumps an images: tag does not).
 */
static int collect_changed(const char *path, void *payload)
{
	gc_tick *t = payload;

	if (gc_name_is_kustomization(path) &&
	    t->loop->sel.plan_gen != gc_source_plan_gen(t->loop->idx))
		t->ch.all = true;
	gc_map_sets(&t->ch.paths, path, (void *)1);
	gc_source_keys_of(t->loop->idx, path, collect_key, t);
	return 0;
}

static bool is_config(const gc_object *o)
{
	return o->kind && o->namespace &&
	       (!strcmp(o->kind, "ConfigMap") || !strcmp(o->kind, "Secret"));
}

static void note_ns(gc_tick *t, const char *ns)
{
	gc_map_sets(&t->ch.configs, ns, (void *)1);
}

static void note_config(const gc_object *o, void *payload)
{
	if (is_config(o))
		note_ns(payload, o->namespace);
}

static void add_config_ns(const gc_object *o, void *payload)
{
	if (is_config(o)) {
		gc_buf_adds(payload, o->namespace);
		gc_buf_addch(payload, '\n');
	}
}

/* Records the namespaces of path's ConfigMaps/Secrets in loop->sel.configs. */
static void remember_configs(gc_loop *l, const char *path)
{
	gc_buf b = GC_BUF_INIT;

	gc_index_foreach_in_file(l->idx, path, add_config_ns, &b);
	free(gc_map_sets(&l->sel.configs, path,
			 b.len ? gc_buf_detach(&b, NULL) : NULL));
	gc_buf_release(&b);
}

static void remember_all_configs(gc_loop *l)
{
	size_t n = gc_index_count(l->idx);

	gc_loop__free_values(&l->sel.configs);
	for (size_t i = 0; i < n; i++) {
		const gc_object *o = gc_index_at(l->idx, i);

		if (is_config(o) &&
		    (i == 0 ||
		     strcmp(o->file, gc_index_at(l->idx, i - 1)->file)))
			remember_configs(l, o->file);
	}
}

/*
 * A changed file's ConfigMaps/Secrets, as they were (loop->sel.configs: a
 * deleted one is in no index any more) and as they are.
 */
static void note_configs(gc_tick *t, const char *path)
{
	gc_loop *l = t->loop;
	const char *old = gc_map_gets(&l->sel.configs, path);

	for (const char *p = old; p && *p; p = strchr(p, '\n') + 1) {
		char ns[300];
		size_t len = strcspn(p, "\n");

		if (len < sizeof(ns)) {
			memcpy(ns, p, len);
			ns[len] = '\0';
			note_ns(t, ns);
		}
	}
	gc_index_foreach_in_file(l->idx, path, note_config, t);
	remember_configs(l, path);
}

/*
 * Which source files changed since the commit the caches describe (all
 * of them without caches); namespaces whose ConfigMaps/Secrets changed.
 */
int gc_loop__find_changes(gc_tick *t, gc_error *err)
{
	gc_loop *l = t->loop;
	const gc_map_entry *e;
	int error;

	t->ch.all = !*l->sel.cache_source;
	if (!t->ch.all && strcmp(l->sel.cache_source, l->source) &&
	    (error = gc_git_diff_paths(l->git, l->sel.cache_source, l->source,
				       collect_changed, t, err)) < 0)
		return error;
	if (t->ch.all) {
		remember_all_configs(l);
		return 0;
	}
	for (size_t i = 0; gc_map_next(&t->ch.paths, &i, &e);)
		note_configs(t, e->key);
	return 0;
}

/*
 * Status files another writer changed: their canaries are looked at;
 * pass-through files: written again or deleted.
 */
int gc_loop__deploy_changed(const char *path, void *payload)
{
	gc_tick *t = payload;
	char *ns = NULL, *name = NULL;
	gc_buf id = GC_BUF_INIT;

	if (!gc_shard_owns_path(&t->loop->opts.shard, path))
		return 0; /* another shard's canary or object */
	if (gc_layout_parse_status_path(path, &ns, &name)) {
		gc_buf_addf(&id, "%s/%s", ns, name);
		gc_map_sets(&t->ch.deploy_ids, id.ptr, (void *)1);
	} else if (gc_layout_is_passthrough(path)) {
		gc_map_sets(&t->ch.deploy_pt, path, (void *)1);
	}
	free(ns);
	free(name);
	gc_buf_release(&id);
	return 0;
}

/*
 * An object of a changed file that has something to say, logged once for
 * the revision that changed it: a flagger.app object other than a Canary
 * (MetricTemplate, AlertProvider, a misspelt kind; it never passes
 * through), and any object of an apiVersion Kubernetes has removed.
 */
static void log_problems_of(gc_tick *t, const gc_object *o)
{
	bool flagger = gc_validate_is_flagger(o) && !gc_validate_is_canary(o);
	gc_problems probs = { 0 };
	gc_error err = GC_ERROR_INIT;

	if ((!flagger && !gc_validate_is_removed_api(o)) ||
	    !gc_shard_owns_ns(&t->loop->opts.shard, o->namespace))
		return; /* said by the shard of its namespace */
	if (gc_index_load(t->loop->idx, o, &err) < 0) {
		gc_warn("%s: %s", o->doc->path, gc_error_msg(&err));
		gc_error_release(&err);
		return;
	}
	gc_validate_removed_api(&probs, o);
	if (flagger)
		gc_validate_flagger(&probs, t->loop->idx, o);
	for (size_t i = 0; i < probs.n; i++)
		gc_warn("%s:%u:%u: %s%s", probs.v[i].path, probs.v[i].line,
			probs.v[i].column,
			probs.v[i].warning ? "warning: " : "", probs.v[i].msg);
	gc_problems_release(&probs);
}

typedef struct pick_ctx {
	gc_tick *t;
	gc_map *ids;
} pick_ctx;

/* An object of a changed file: its canary, and the canaries reading it. */
static void pick_object(const gc_object *o, void *payload)
{
	pick_ctx *p = payload;
	char key[600];

	log_problems_of(p->t, o);
	gc_canary_deps_key_of(key, sizeof(key), o->kind, o->namespace, o->name);
	gc_canary_deps_key(&p->t->loop->can.deps, key, p->ids);
	if (gc_validate_is_canary(o) && o->namespace && o->name) {
		snprintf(key, sizeof(key), "%s/%s", o->namespace, o->name);
		gc_map_sets(p->ids, key, (void *)1);
	}
}

const gc_object *gc_loop__find_canary(const gc_index *idx, const char *ns,
				      const char *name)
{
	const gc_object *o = gc_index_find(idx, "Canary", ns, name);

	return o && gc_validate_is_canary(o) ? o : NULL;
}

/* The Canary object of id "ns/name", or NULL. */
static const gc_object *canary_of(const gc_index *idx, const char *id)
{
	const char *slash = strchr(id, '/');
	char ns[300];

	if (!slash || (size_t)(slash - id) >= sizeof(ns))
		return NULL;
	memcpy(ns, id, (size_t)(slash - id));
	ns[slash - id] = '\0';
	return gc_loop__find_canary(idx, ns, slash + 1);
}

/* Index order: path, then document. */
static int cmp_object(const void *a, const void *b)
{
	const gc_object *x = *(const gc_object *const *)a;
	const gc_object *y = *(const gc_object *const *)b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	return (x->doc->index > y->doc->index) -
	       (x->doc->index < y->doc->index);
}

/* True when the canary is this shard's (docs/operations.md#shards). */
static bool owns(const gc_loop *l, const gc_object *canary)
{
	return gc_shard_owns_ns(&l->opts.shard, canary->namespace);
}

/* The canaries the tick looks at: their done records, object only yet. */
static void set_selected(gc_tick *t, const gc_object **objs, size_t n)
{
	t->d = gc_xcalloc(n + 1, sizeof(*t->d));
	for (size_t i = 0; i < n; i++)
		t->d[t->n++].obj = objs[i];
}

/*
 * The canaries this tick looks at, in index order: without caches (or
 * after a kustomization changed) every one; else only those whose source
 * files, looked-up keys, namespace configs or status file changed, the
 * due and the broken (loop->can.deps). The rest would be skipped by
 * unchanged() anyway. Cached canaries gone from the source go to
 * t->ch.vanished. Only the canaries of the loop's shard, ever.
 */
void gc_loop__select_canaries(gc_tick *t)
{
	gc_loop *l = t->loop;
	size_t total = gc_index_count(l->idx), n = 0;
	const gc_object **objs;
	gc_map ids = GC_MAP_INIT;
	pick_ctx p = { t, &ids };
	const gc_map_entry *e;

	if (t->ch.all) {
		objs = gc_xcalloc(total + 1, sizeof(*objs));
		for (size_t i = 0; i < total; i++) {
			const gc_object *o = gc_index_at(l->idx, i);

			if (!gc_validate_is_canary(o))
				log_problems_of(t, o);
			else if (owns(l, o))
				objs[n++] = o;
		}
		set_selected(t, objs, n);
		free(objs);
		return;
	}
	for (size_t i = 0; gc_map_next(&t->ch.paths, &i, &e);) {
		gc_canary_deps_path(&l->can.deps, e->key, &ids);
		gc_index_foreach_in_file(l->idx, e->key, pick_object, &p);
	}
	for (size_t i = 0; gc_map_next(&t->ch.configs, &i, &e);)
		gc_canary_deps_namespace(&l->can.deps, e->key, &ids);
	for (size_t i = 0; gc_map_next(&t->ch.deploy_ids, &i, &e);)
		gc_map_sets(&ids, e->key, (void *)1);
	gc_canary_deps_always(&l->can.deps, &ids);
	gc_canary_deps_pop_due(&l->can.deps, t->now, &ids);
	objs = gc_xcalloc(ids.len + 1, sizeof(*objs));
	t->ch.vanished = gc_xcalloc(ids.len + 1, sizeof(*t->ch.vanished));
	for (size_t i = 0; gc_map_next(&ids, &i, &e);) {
		const gc_object *o = canary_of(l->idx, e->key);

		if (o && owns(l, o))
			objs[n++] = o;
		else if (o)
			continue; /* another shard's */
		else if (gc_map_gets(&l->can.cache, e->key) ||
			 gc_canary_deps_has(&l->can.deps, e->key))
			t->ch.vanished[t->ch.nvanished++] = gc_xstrdup(e->key);
	}
	qsort(objs, n, sizeof(*objs), cmp_object);
	set_selected(t, objs, n);
	free(objs);
	gc_map_release(&ids);
}
