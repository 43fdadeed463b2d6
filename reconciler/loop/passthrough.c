/*
 * Pass-through: source objects no canary owns, written to the deploy
 * branch as they are; files of vanished canaries; kustomization.yaml.
 * A shard (--shard) passes through the objects of its namespaces, shard
 * 0 the cluster-scoped ones: a canary's takeover of its target and its
 * release stay one commit, as with one instance.
 */

#include "reconciler/loop/internal.h"

#include <stdlib.h>
#include <string.h>

#include "reconciler/release/validate.h"
#include "repo-layout/layout.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"

static void pt_file_free(gc_pt_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->src);
	free(f);
}

static void pt_release(gc_loop_passthru *pt)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(&pt->files, &i, &e);)
		pt_file_free(e->value);
	gc_map_release(&pt->files);
	gc_map_release(&pt->src);
	pt->ready = false;
}

void gc_loop__passthru_clear(gc_loop_passthru *pt)
{
	gc_loop__free_values(&pt->written);
	pt->nwritten = 0;
	pt_release(pt);
}

static bool skip_passthrough(const gc_object *o)
{
	if (!o->api_version || !o->kind || !o->name)
		return true;
	if (!strncmp(o->api_version, "flagger.app/", 12))
		return true;
	/* Flux's own objects (Kustomization, GitRepository, ...) configure
	 * how the source is read; the deploy branch has no use for them */
	if (strstr(o->api_version, ".toolkit.fluxcd.io/"))
		return true;
	return !strcmp(o->kind, "Kustomization") ||
	       !strncmp(o->api_version, "kustomize.config.k8s.io/", 24);
}

/* Replaces the paths of file src (f NULL: it has none); old ones go to
 * stale. */
static void pt_set(gc_loop *l, const char *src, gc_pt_file *f, gc_map *stale)
{
	gc_pt_file *old = gc_map_gets(&l->pt.files, src);

	for (size_t i = 0; old && i < old->n; i++) {
		if (gc_map_gets(&l->pt.src, old->paths[i]) == old)
			gc_map_sets(&l->pt.src, old->paths[i], NULL);
		if (stale)
			gc_map_sets(stale, old->paths[i], (void *)1);
	}
	for (size_t i = 0; f && i < f->n; i++)
		gc_map_sets(&l->pt.src, f->paths[i], f);
	gc_map_sets(&l->pt.files, src, f);
	pt_file_free(old);
}

/* The deploy path of a source object that passes through; false if none. */
static bool pass_path(gc_buf *path, const gc_object *o)
{
	bool cluster;

	if (skip_passthrough(o))
		return false;
	cluster = gc_kind_is_cluster_scoped(o->kind);
	if (!cluster && !o->namespace)
		return false;
	gc_buf_clear(path);
	gc_layout_object_path(path, cluster ? NULL : o->namespace, NULL,
			      o->kind, o->name);
	return true;
}

static bool passes(const gc_tick *t, const char *path)
{
	return !gc_map_gets(&t->loop->can.owned, path) &&
	       !gc_map_gets(&t->pt.kept, path);
}

/* Writes one passed-through object unless the cache says it is there. */
static int pass_one(gc_tick *t, const gc_object *o, const char *path,
		    gc_error *err)
{
	gc_loop *l = t->loop;
	const cJSON *docs[1];
	gc_passthru_cache *pc = gc_map_gets(&l->pt.written, path);
	gc_buf yaml = GC_BUF_INIT;
	cJSON *doc;
	int error;

	gc_map_sets(&t->pt.written, path, (void *)1);
	if (!pc) {
		t->pt.new_path = true;
		l->pt.nwritten++;
		pc = gc_xcalloc(1, sizeof(*pc));
		gc_map_sets(&l->pt.written, path, pc);
	} else if (!gc_loop__path_changed(t, o) &&
		   pc->file == gc_deploy_tree_hash(&l->tree, path)) {
		return 0;
	}
	/*
	 * A full pass would otherwise parse every file back in at once.
	 * Trimmed between files only: objects come file by file, and a file
	 * of many objects is parsed once.
	 */
	if (t->pt.npassed >= 256 && strcmp(t->pt.passed_file, o->file)) {
		gc_index_trim(l->idx);
		t->pt.npassed = 0;
	}
	if ((error = gc_index_load(l->idx, o, err)) < 0)
		return error;
	t->pt.npassed++;
	t->pt.passed_file = o->file; /* the index's: lives past a trim */
	doc = gc_json_dup(o->doc->root);
	if (!gc_kind_is_cluster_scoped(o->kind)) {
		cJSON *meta = gc_json_obj(doc, "metadata");

		cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
		gc_json_add_str(meta, "namespace", o->namespace);
	}
	docs[0] = doc;
	error = gc_yaml_emit(&yaml, docs, 1, err);
	cJSON_Delete(doc);
	if (error == 0) {
		gc_loop__write_file(t, path, &yaml);
		pc->file = gc_deploy_tree_hash(&l->tree, path);
	}
	gc_buf_release(&yaml);
	return error;
}

/* A passed-through path that must go: its file and its cache entry. */
static void pass_remove(gc_tick *t, const char *path)
{
	gc_loop *l = t->loop;
	gc_passthru_cache *pc = gc_map_gets(&l->pt.written, path);

	if (pc) {
		free(pc);
		gc_map_sets(&l->pt.written, path, NULL);
		l->pt.nwritten--;
	}
	gc_loop__delete_file(t, path);
}

/* Deletes pass-through files whose source object is gone. */
static void pass_delete(gc_tick *t)
{
	gc_loop *l = t->loop;
	size_t np = 0;
	const char **paths = gc_deploy_tree_paths(&l->tree, &np);

	for (size_t i = 0; i < np; i++) {
		char *p;

		if (!gc_layout_is_passthrough(paths[i]) ||
		    gc_map_gets(&t->pt.written, paths[i]) ||
		    !gc_shard_owns_path(&l->opts.shard, paths[i]))
			continue;
		p = gc_xstrdup(paths[i]);
		pass_remove(t, p);
		free(p);
	}
	free(paths);
}

/*
 * Canaries with a status file on the deploy branch but none in the source
 * (docs/reconcile.md). From a clean source they were deleted: their status
 * and rendered files go, and what they owned (their target) passes through
 * again as written. While the source has problems a Canary may only have
 * failed to parse: its files stay, and its target does not pass through.
 */
static void drop_vanished(gc_tick *t)
{
	gc_loop *l = t->loop;
	bool clean = !gc_problems_errors(gc_index_problems(l->idx));
	const gc_map_entry *e;
	gc_map gone = GC_MAP_INIT;
	gc_buf key = GC_BUF_INIT;
	size_t np = 0;
	const char **paths;
	char *ns, *name;

	for (size_t i = 0; clean && gc_map_next(&l->can.cache, &i, &e);) {
		const char *slash = strchr(e->key, '/');
		char *cns;

		if (!e->value || !slash)
			continue;
		cns = gc_xstrndup(e->key, (size_t)(slash - e->key));
		if (!gc_loop__find_canary(l->idx, cns, slash + 1)) {
			gc_loop__uncache(l, e->key);
		}
		free(cns);
	}
	paths = gc_deploy_tree_paths(&l->tree, &np);
	for (size_t i = 0; i < np; i++) {
		if (!gc_layout_parse_status_path(paths[i], &ns, &name))
			continue;
		if (gc_shard_owns_ns(&l->opts.shard, ns) &&
		    !gc_loop__find_canary(l->idx, ns, name)) {
			gc_buf_clear(&key);
			gc_layout_canary_dir(&key, ns, name);
			gc_map_sets(&gone, key.ptr, (void *)1);
			if (clean) {
				gc_info("%s/%s: the Canary left the source: its objects are removed and its target passes through",
					ns, name);
				gc_loop__delete_file(t, paths[i]);
			}
		}
		free(ns);
		free(name);
	}
	for (size_t i = 0; gone.len && i < np; i++) {
		gc_buf_clear(&key);
		if (!gc_layout_object_dir(&key, paths[i]) ||
		    !gc_map_gets(&gone, key.ptr))
			continue;
		if (clean) {
			gc_loop__delete_file(t, paths[i]);
		} else {
			gc_buf_clear(&key);
			gc_layout_passthrough_of(&key, paths[i]);
			gc_map_sets(&t->pt.kept, key.ptr, (void *)1);
		}
	}
	free(paths);
	gc_map_release(&gone);
	gc_buf_release(&key);
}

/* Passes the objects of one source file through, recording their paths. */
typedef struct pass_ctx {
	gc_tick *t;
	gc_pt_file *f;
	gc_buf path;
	size_t count; /* objects passed through */
	int error;
	gc_error *err;
} pass_ctx;

static void pass_object(const gc_object *o, void *payload)
{
	pass_ctx *c = payload;
	gc_pt_file *f = c->f;

	if (c->error < 0 || !pass_path(&c->path, o) ||
	    !gc_shard_owns_path(&c->t->loop->opts.shard, c->path.ptr))
		return;
	if (f->n == f->alloc) {
		f->alloc = f->alloc ? 2 * f->alloc : 2;
		f->paths = gc_xrealloc(f->paths, f->alloc * sizeof(*f->paths));
	}
	f->paths[f->n++] = gc_xstrdup(c->path.ptr);
	if (gc_index_held(c->t->loop->idx, o)) {
		/* a misspelt Canary names it: as deployed, not passed */
		gc_map_sets(&c->t->pt.written, c->path.ptr, (void *)1);
		return;
	}
	if (passes(c->t, c->path.ptr)) {
		c->error = pass_one(c->t, o, c->path.ptr, c->err);
		c->count++;
	}
}

static gc_pt_file *pt_file_new(const char *src)
{
	gc_pt_file *f = gc_xcalloc(1, sizeof(*f));

	f->src = gc_xstrdup(src);
	return f;
}

/*
 * Every object of the source: rebuilds loop->pt.files, writes what is not
 * there yet and deletes the pass-through files of no object.
 */
static int pass_all(gc_tick *t, gc_error *err)
{
	gc_loop *l = t->loop;
	gc_index *idx = l->idx;
	size_t n = gc_index_count(idx);
	pass_ctx c = { t, NULL, GC_BUF_INIT, 0, 0, err };

	pt_release(&l->pt);
	for (size_t i = 0; i < n && c.error == 0; i++) {
		const gc_object *o = gc_index_at(idx, i);

		if (!c.f || strcmp(c.f->src, o->file)) {
			if (c.f)
				pt_set(l, c.f->src, c.f, NULL);
			c.f = pt_file_new(o->file);
		}
		pass_object(o, &c);
	}
	if (c.f)
		pt_set(l, c.f->src, c.f, NULL);
	gc_buf_release(&c.path);
	if (c.error < 0)
		return c.error;
	if (gc_problems_errors(gc_index_problems(idx))) {
		gc_warn("source %.12s has %zu problem(s): objects whose files are broken are kept as deployed",
			l->source, gc_problems_errors(gc_index_problems(idx)));
		return 0;
	}
	/* the same paths as last time: nothing can have disappeared */
	if (t->pt.new_path || c.count != l->pt.nwritten)
		pass_delete(t);
	l->pt.ready = true;
	return 0;
}

/*
 * Only what moved: the changed source files, the files of paths whose
 * ownership flipped and of pass-through files another writer changed.
 * A path of those that no longer passes through is deleted.
 */
static int pass_changed(gc_tick *t, gc_error *err)
{
	gc_loop *l = t->loop;
	gc_map visit = GC_MAP_INIT, stale = GC_MAP_INIT;
	pass_ctx c = { t, NULL, GC_BUF_INIT, 0, 0, err };
	const gc_map_entry *e;
	const gc_pt_file *f;

	for (size_t i = 0; gc_map_next(&t->ch.paths, &i, &e);)
		gc_map_sets(&visit, e->key, (void *)1);
	for (size_t k = 0; k < 2; k++) {
		const gc_map *m = k ? &t->ch.deploy_pt : &l->can.flipped;

		for (size_t i = 0; gc_map_next(m, &i, &e);) {
			gc_map_sets(&stale, e->key, (void *)1);
			if ((f = gc_map_gets(&l->pt.src, e->key)))
				gc_map_sets(&visit, f->src, (void *)1);
		}
	}
	for (size_t i = 0; c.error == 0 && gc_map_next(&visit, &i, &e);) {
		c.f = pt_file_new(e->key);
		gc_index_foreach_in_file(l->idx, e->key, pass_object, &c);
		for (size_t k = 0; k < c.f->n; k++)
			gc_map_sets(&stale, c.f->paths[k], (void *)1);
		pt_set(l, e->key, c.f->n ? c.f : NULL, &stale);
		if (!c.f->n)
			pt_file_free(c.f);
	}
	for (size_t i = 0; c.error == 0 && gc_map_next(&stale, &i, &e);)
		if (!gc_map_gets(&l->pt.src, e->key) || !passes(t, e->key))
			pass_remove(t, e->key);
	gc_buf_release(&c.path);
	gc_map_release(&visit);
	gc_map_release(&stale);
	return c.error;
}

int gc_loop__pass_through(gc_tick *t, gc_error *err)
{
	gc_loop *l = t->loop;
	bool all = !l->pt.ready || t->ch.all || l->seen.problems ||
		   gc_problems_errors(gc_index_problems(l->idx));
	int error;

	if (t->ch.canary_gone || gc_problems_errors(gc_index_problems(l->idx)))
		drop_vanished(t);
	error = all ? pass_all(t, err) : pass_changed(t, err);
	if (error == 0)
		gc_map_release(
			&l->can.flipped); /* leaves it empty and usable */
	return error;
}

void gc_loop__kustomization(gc_tick *t)
{
	size_t n = 0, k = 0;
	const char **paths = gc_deploy_tree_paths(&t->loop->tree, &n);
	gc_buf yaml = GC_BUF_INIT;

	for (size_t i = 0; i < n; i++)
		if (gc_layout_is_applied(paths[i]))
			paths[k++] = paths[i];
	gc_layout_kustomization(&yaml, paths, k);
	free(paths);
	gc_loop__write_file(t, GC_LAYOUT_KUSTOMIZATION, &yaml);
	gc_buf_release(&yaml);
}
