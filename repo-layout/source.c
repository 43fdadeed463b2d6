/*
 * Loading a directory tree or a git commit into a gc_index, the way Flux
 * builds it: every file goes into the source tree, roots.c plans the
 * build, the files the native build reaches are parsed into the index and
 * each kustomize build's output becomes one index file. Unreadable,
 * oversized, binary or broken files become problems; only a missing root
 * directory or a git failure is an error.
 */
#define _GNU_SOURCE /* memmem */
#include "index.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builds.h"
#include "util/ahead.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "yaml.h"

/*
 * The bytes of the files a load reads again after its walk (those a build
 * reads, those the plan reaches and the walk did not parse), and for an
 * update the changed ones.
 */
typedef struct files {
	gc_map data; /* path -> owned gc_buf *, NULL = removed */
	gc_git *git; /* files not in data are read from here */
	const char *commit;
	const char *dir; /* or from here (a directory load): the files */
	const gc_src_tree *tree; /* of the walk, as it read them */
} files;

static void files_put(files *fs, const char *path, const char *data, size_t len)
{
	gc_buf *b = NULL;

	if (data) {
		b = gc_xcalloc(1, sizeof(*b));
		gc_buf_add(b, data, len);
	}
	b = gc_map_sets(&fs->data, path, b);
	if (b) {
		gc_buf_release(b);
		free(b);
	}
}

static void files_release(files *fs)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(&fs->data, &i, &e);) {
		if (e->value)
			gc_buf_release(e->value);
		free(e->value);
	}
	gc_map_release(&fs->data);
}

static int read_dir_file(gc_buf *out, const char *dir, const char *path,
			 gc_error *err)
{
	gc_buf full = GC_BUF_INIT;
	int error;

	gc_buf_addf(&full, "%s/%s", dir, path);
	error = gc_buf_read_file(out, full.ptr, GC_YAML_MAX_FILE_BYTES, err);
	gc_buf_release(&full);
	return error;
}

/* The bytes of path; GC_ENOTFOUND when the commit has no such file. */
static int files_get(const gc_buf **out, files *fs, const char *path,
		     gc_error *err)
{
	gc_buf *b = gc_map_gets(&fs->data, path);
	int error;

	if (!b && (fs->git || (fs->dir && gc_src_tree_get(fs->tree, path))) &&
	    !gc_map_key(&fs->data, path)) {
		b = gc_xcalloc(1, sizeof(*b));
		if ((error = fs->git ? gc_git_read_file(b, fs->git, fs->commit,
							path, err)
				     : read_dir_file(b, fs->dir, path, err)) <
		    0) {
			gc_buf_release(b);
			free(b);
			return error;
		}
		gc_map_sets(&fs->data, path, b);
	}
	if (!b)
		return gc_error_set(err, GC_ENOTFOUND, "no file '%s'", path);
	*out = b;
	return 0;
}

/* ---- applying a plan ---- */

static int set_native(gc_index *idx, files *fs, const char *path,
		      const char *ns, gc_error *err)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems problems = { 0 };
	const gc_buf *b;
	int error;

	if ((error = files_get(&b, fs, path, err)) < 0)
		return error;
	gc_index__parse(path, b->ptr ? b->ptr : "", b->len, &docs, &problems);
	gc_index__set_file(idx, path, &docs, &problems, ns, false);
	return 0;
}

/* A fresh load's walk over the files of a directory or a commit. */
typedef struct walk {
	gc_index *idx;
	gc_ahead *ahead; /* parses the manifests on two cores */
} walk;

/* A manifest of the walk, parsed on either core. */
typedef struct parse_job {
	char *path;
	gc_buf data;
	gc_doclist docs;
	gc_problems problems;
} parse_job;

static void parse_work(void *job, void *payload)
{
	parse_job *j = job;

	(void)payload;
	gc_index__parse(j->path, j->data.ptr ? j->data.ptr : "", j->data.len,
			&j->docs, &j->problems);
	gc_buf_release(&j->data);
}

/* Into the index, in the walk's order, exactly as a walk on one core. */
static void parse_done(void *job, void *payload)
{
	parse_job *j = job;

	gc_index__set_file(payload, j->path, &j->docs, &j->problems, NULL,
			   false);
	gc_doclist_release(&j->docs);
	gc_problems_release(&j->problems);
	free(j->path);
	free(j);
}

/*
 * A file of a fresh load: into the source tree and, when it is a manifest
 * a root may reach (most are), handed over to be parsed into the index as
 * the walk goes (at most GC_AHEAD_JOBS files wait), so a load never holds
 * every file's bytes and trees (load_all drops what no root reaches). What
 * is needed again is read again (files_get).
 */
static void take_file(walk *w, const char *path, const char *data, size_t len)
{
	const gc_src_file *f;
	parse_job *j;

	gc_src_tree_set(gc_index__tree(w->idx), path, data, len);
	f = gc_src_tree_get(gc_index__tree(w->idx), path);
	if (f && (f->flags & GC_SRC_MANIFEST)) {
		j = gc_xcalloc(1, sizeof(*j));
		j->path = gc_xstrdup(path);
		gc_buf_add(&j->data, data, len);
		gc_ahead_put(w->ahead, j);
	}
}

static void walk_start(walk *w, gc_index *idx)
{
	w->idx = idx;
	w->ahead = gc_ahead_new(parse_work, parse_done, idx);
}

/* Waits for the manifests still being parsed. */
static void walk_end(walk *w)
{
	gc_ahead_end(w->ahead);
}

static int read_file(const gc_buf **out, const char *path, void *payload,
		     gc_error *err)
{
	return files_get(out, payload, path, err);
}

/*
 * Runs the builds v[0..n) (all of the load's or update's at once, so
 * they batch and use every core) into out[0..n).
 */
static int run_builds(gc_index *idx, files *fs, const gc_plan_build *const *v,
		      size_t n, gc_build_out *out, const gc_source_opts *opts,
		      gc_error *err)
{
	gc_builds_env env = { gc_index__tree(idx), read_file, fs,
			      opts ? opts->kustomize_command : NULL };

	return n ? gc_builds_run(v, n, out, &env, err) : 0;
}

static void set_build(gc_index *idx, const gc_plan_build *b, gc_build_out *o)
{
	gc_index__set_file(idx, b->key, &o->docs, &o->problems, NULL, true);
}

static void plan_problems(gc_index *idx)
{
	const gc_problems *from = &gc_index__plan(idx)->problems;
	gc_problems copy = { 0 };

	for (size_t i = 0; i < from->n; i++) {
		gc_problems_add(&copy, from->v[i].path, from->v[i].line,
				from->v[i].column, "%s", from->v[i].msg);
		if (from->v[i].warning)
			gc_problems_last_is_warning(&copy);
	}
	gc_index__set_plan_problems(idx, &copy);
}

static void plan_opts(gc_plan_opts *po, const gc_source_opts *opts)
{
	memset(po, 0, sizeof(*po));
	if (!opts)
		return;
	po->paths = opts->paths;
	po->npaths = opts->npaths;
	po->tool_only = opts->kustomize_always;
	po->flux_source = opts->flux_source;
}

static int cmp_key(const void *a, const void *b)
{
	const gc_map_entry *x = *(const gc_map_entry *const *)a;
	const gc_map_entry *y = *(const gc_map_entry *const *)b;

	return strcmp(x->key, y->key);
}

/* The plan's native files in path order (the index's load order). */
static const gc_map_entry **native_sorted(const gc_plan *p, size_t *n)
{
	const gc_map_entry **v = gc_xcalloc(p->native.len + 1, sizeof(*v));
	const gc_map_entry *e;

	*n = 0;
	for (size_t i = 0; gc_map_next(&p->native, &i, &e);)
		if (e->value)
			v[(*n)++] = e;
	qsort(v, *n, sizeof(*v), cmp_key);
	return v;
}

/*
 * A fresh load: the tree is complete and its manifests are in the index
 * already. The plan's namespaces go to them, what no root reaches leaves,
 * what a root names outside them (a hidden file) comes in, and the builds
 * run.
 */
static int load_all(gc_index *idx, files *fs, const gc_source_opts *opts,
		    gc_error *err)
{
	gc_plan *plan = gc_index__plan(idx);
	const gc_src_tree *tree = gc_index__tree(idx);
	gc_plan_opts po;
	const gc_plan_build **builds;
	gc_build_out *outs;
	const gc_map_entry *e;
	int error;

	plan_opts(&po, opts);
	gc_plan_make(plan, tree, &po);
	plan_problems(idx);
	for (size_t i = 0; i < tree->n; i++) {
		const gc_src_file *f = tree->v[i];

		if ((f->flags & GC_SRC_MANIFEST) &&
		    !gc_map_gets(&plan->native, f->path))
			gc_index__set_file(idx, f->path, NULL, NULL, NULL,
					   false);
	}
	for (size_t i = 0; gc_map_next(&plan->native, &i, &e);)
		if (e->value && !gc_index__set_ns(idx, e->key, e->value) &&
		    (error = set_native(idx, fs, e->key, e->value, err)) < 0)
			return error;
	builds = gc_xcalloc(plan->nbuilds + 1, sizeof(*builds));
	outs = gc_xcalloc(plan->nbuilds + 1, sizeof(*outs));
	for (size_t i = 0; i < plan->nbuilds; i++)
		builds[i] = &plan->builds[i];
	error = run_builds(idx, fs, builds, plan->nbuilds, outs, opts, err);
	for (size_t i = 0; i < plan->nbuilds; i++) {
		if (error == 0)
			set_build(idx, builds[i], &outs[i]);
		gc_build_out_release(&outs[i]);
	}
	free(outs);
	free(builds);
	return error;
}

/* ---- directories ---- */

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void load_file(walk *w, const char *full, const char *rel,
		      const struct stat *st)
{
	gc_buf data = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_problems *problems = gc_index_problems(w->idx);

	if (st->st_size > (off_t)GC_YAML_MAX_FILE_BYTES) {
		if (gc_name_is_manifest(rel))
			gc_problems_add(problems, rel, 1, 1,
					"file is larger than %u bytes; not "
					"loaded",
					GC_YAML_MAX_FILE_BYTES);
		return;
	}
	if (gc_buf_read_file(&data, full, GC_YAML_MAX_FILE_BYTES, &err) < 0) {
		gc_problems_add(problems, rel, 1, 1, "%s", gc_error_msg(&err));
		goto cleanup;
	}
	take_file(w, rel, data.ptr ? data.ptr : "", data.len);
cleanup:
	gc_error_release(&err);
	gc_buf_release(&data);
}

/* Walks dir/rel (rel "" = the root) in name order. */
static int walk_dir(walk *w, const char *root, const char *rel, unsigned depth,
		    gc_error *err)
{
	struct dirent **list = NULL;
	gc_buf full = GC_BUF_INIT, child = GC_BUF_INIT;
	int n, error = 0;

	gc_buf_addf(&full, "%s%s%s", root, *rel ? "/" : "", rel);
	if ((n = scandir(full.ptr, &list, NULL, cmp_dirent)) < 0) {
		if (!*rel)
			error = gc_error_set_errno(err, full.ptr,
						   "cannot read directory");
		else
			gc_problems_add(gc_index_problems(w->idx), rel, 1, 1,
					"cannot read directory: %s",
					strerror(errno));
		goto cleanup;
	}
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		struct stat st;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		gc_buf_clear(&child);
		gc_buf_addf(&child, "%s%s%s", rel, *rel ? "/" : "", name);
		gc_buf_clear(&full);
		gc_buf_addf(&full, "%s/%s", root, child.ptr);
		if (lstat(full.ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!gc_name_is_skipped_dir(name) && depth < 64 &&
			    (error = walk_dir(w, root, child.ptr, depth + 1,
					      err)) < 0)
				break;
			continue;
		}
		/* symlinks to files are followed; to directories, not */
		if (S_ISLNK(st.st_mode) && stat(full.ptr, &st) < 0)
			continue;
		if (!S_ISREG(st.st_mode))
			continue;
		load_file(w, full.ptr, child.ptr, &st);
	}
cleanup:
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	gc_buf_release(&full);
	gc_buf_release(&child);
	return error;
}

/* Finishes a load that gave `error`: the index to *out, or freed. */
static int load_end(gc_index **out, gc_index *idx, files *fs,
		    const gc_source_opts *opts, int error, gc_error *err)
{
	if (error == 0)
		error = load_all(idx, fs, opts, err);
	files_release(fs);
	if (error < 0) {
		gc_index_free(idx);
		return error;
	}
	gc_index__finish(idx, opts);
	*out = idx;
	return 0;
}

int gc_source_load_dir(gc_index **out, const char *dir,
		       const gc_source_opts *opts, gc_error *err)
{
	gc_index *idx = gc_index__new();
	files fs = { GC_MAP_INIT, NULL, NULL, dir, gc_index__tree(idx) };
	struct stat st;
	walk w;
	int error;

	gc_index__set_origin_dir(idx, dir, opts && opts->trees_on_demand);
	gc_index__set_keep(idx, opts ? opts->keep_tree_nodes : 0);
	if (stat(dir, &st) < 0)
		error = gc_error_set_errno(err, dir, "cannot open directory");
	else if (!S_ISDIR(st.st_mode))
		error = gc_error_set_at(err, GC_EINVALID, dir, 0, 0, "%s",
					"not a directory");
	else {
		walk_start(&w, idx);
		error = walk_dir(&w, dir, "", 0, err);
		walk_end(&w);
	}
	return load_end(out, idx, &fs, opts, error, err);
}

/* ---- git commits ---- */

static int git_blob(const char *path, const char blob_id[GC_OID_HEX],
		    const char *data, size_t len, void *payload)
{
	(void)blob_id;
	take_file(payload, path, data, len);
	return 0;
}

int gc_source_load_git(gc_index **out, gc_git *git,
		       const char commit[GC_OID_HEX],
		       const gc_source_opts *opts, gc_error *err)
{
	gc_index *idx = gc_index__new();
	files fs = { GC_MAP_INIT, git, commit, NULL, NULL };
	walk w;
	int error;

	gc_index__set_origin(idx, git, commit, opts && opts->trees_on_demand);
	gc_index__set_keep(idx, opts ? opts->keep_tree_nodes : 0);
	walk_start(&w, idx);
	error = gc_git_walk(git, commit, git_blob, &w, err);
	walk_end(&w);
	return load_end(out, idx, &fs, opts, error, err);
}

/* ---- incremental update ---- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int changed_path(const char *path, void *payload)
{
	gc_map_sets(payload, path, (void *)1);
	return 0;
}

static bool same_build(const gc_plan_build *a, const gc_plan_build *b)
{
	if (a->ninputs != b->ninputs ||
	    !!a->wrap_namespace != !!b->wrap_namespace ||
	    (a->wrap_namespace &&
	     strcmp(a->wrap_namespace, b->wrap_namespace)) ||
	    a->broken != b->broken || strcmp(a->dir, b->dir) ||
	    !!a->def != !!b->def || (a->def && strcmp(a->def, b->def)))
		return false;
	for (size_t i = 0; i < a->ninputs; i++)
		if (strcmp(a->inputs[i], b->inputs[i]))
			return false;
	return true;
}

static bool build_reads_changed(const gc_plan_build *b, const gc_map *changed)
{
	for (size_t i = 0; i < b->ninputs; i++)
		if (gc_map_gets(changed, b->inputs[i]))
			return true;
	return false;
}

/* The changed paths, in path order. */
static const gc_map_entry **changed_sorted(const gc_map *changed, size_t *n)
{
	const gc_map_entry **v = gc_xcalloc(changed->len + 1, sizeof(*v));
	const gc_map_entry *e;

	*n = 0;
	for (size_t i = 0; gc_map_next(changed, &i, &e);)
		v[(*n)++] = e;
	qsort(v, *n, sizeof(*v), cmp_key);
	return v;
}

/* Whether some build of p reads one of the changed paths. */
static bool reads_any(const gc_plan *p, const gc_map *changed)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(changed, &i, &e);)
		if (gc_map_gets(&p->inputs, e->key))
			return true;
	return false;
}

/*
 * Brings the index from the plan old to the plan now in idx (old == now:
 * the plan was not made again).
 */
static int apply_update(gc_index *idx, files *fs, const gc_plan *old,
			const gc_map *changed, const gc_source_opts *opts,
			gc_error *err)
{
	const gc_plan *now = gc_index__plan(idx);
	const gc_map_entry *e, **native;
	const gc_plan_build **builds;
	gc_build_out *outs;
	size_t n, nb = 0;
	double t0;
	int error = 0;

	if (old == now) { /* the same plan: only the changed files move */
		native = changed_sorted(changed, &n);
		for (size_t i = 0; error == 0 && i < n; i++) {
			const char *ns =
				gc_map_gets(&now->native, native[i]->key);

			if (ns)
				error = set_native(idx, fs, native[i]->key, ns,
						   err);
		}
		free(native);
		if (!reads_any(now, changed))
			return error;
	} else {
		for (size_t i = 0; gc_map_next(&old->native, &i, &e);)
			if (e->value && !gc_map_gets(&now->native, e->key))
				gc_index__set_file(idx, e->key, NULL, NULL,
						   NULL, false);
		native = native_sorted(now, &n);
		for (size_t i = 0; error == 0 && i < n; i++) {
			const char *was =
				gc_map_gets(&old->native, native[i]->key);

			if (!was || strcmp(was, native[i]->value) ||
			    gc_map_gets(changed, native[i]->key))
				error = set_native(idx, fs, native[i]->key,
						   native[i]->value, err);
		}
		free(native);
	}
	for (size_t i = 0; i < old->nbuilds; i++)
		if (!gc_plan_find(now, old->builds[i].key))
			gc_index__set_file(idx, old->builds[i].key, NULL, NULL,
					   NULL, true);
	builds = gc_xcalloc(now->nbuilds + 1, sizeof(*builds));
	for (size_t i = 0; i < now->nbuilds; i++) {
		const gc_plan_build *b = &now->builds[i],
				    *was = gc_plan_find(old, b->key);

		if (!was || !same_build(was, b) ||
		    build_reads_changed(b, changed))
			builds[nb++] = b;
	}
	outs = gc_xcalloc(nb + 1, sizeof(*outs));
	t0 = now_ms();
	if (error == 0)
		error = run_builds(idx, fs, builds, nb, outs, opts, err);
	gc_debug("source: %zu of %zu builds run in %.1f ms", nb, now->nbuilds,
		 now_ms() - t0);
	for (size_t i = 0; i < nb; i++) {
		if (error == 0)
			set_build(idx, builds[i], &outs[i]);
		gc_build_out_release(&outs[i]);
	}
	free(outs);
	free(builds);
	return error;
}

int gc_source_update_git(gc_index *idx, gc_git *git,
			 const char from[GC_OID_HEX], const char to[GC_OID_HEX],
			 const gc_source_opts *opts, gc_error *err)
{
	gc_map changed = GC_MAP_INIT;
	files fs = { GC_MAP_INIT, git, to, NULL, NULL };
	gc_src_tree *tree = gc_index__tree(idx);
	gc_plan old = { 0 };
	gc_plan_opts po;
	const gc_map_entry *e;
	bool replan = false;
	int error;

	if ((error = gc_git_diff_paths(git, from, to, changed_path, &changed,
				       err)) < 0)
		goto cleanup;
	/* read everything first: a failure leaves the index as it was */
	for (size_t i = 0; gc_map_next(&changed, &i, &e);) {
		const gc_buf *b;

		if ((error = files_get(&b, &fs, e->key, err)) == GC_ENOTFOUND) {
			gc_error_clear(err);
			files_put(&fs, e->key, NULL, 0);
			error = 0;
		} else if (error < 0)
			goto cleanup;
	}
	for (size_t i = 0; gc_map_next(&changed, &i, &e);) {
		gc_buf *b = gc_map_gets(&fs.data, e->key);

		if (gc_src_tree_set(tree, e->key,
				    b ? (b->ptr ? b->ptr : "") : NULL,
				    b ? b->len : 0))
			replan = true;
	}
	gc_index__set_origin(idx, git, to, opts && opts->trees_on_demand);
	gc_index__set_keep(idx, 0); /* a load's trees only */
	old = *gc_index__plan(idx);
	if (replan) {
		plan_opts(&po, opts);
		gc_plan_make(gc_index__plan(idx), tree, &po);
		gc_index__plan(idx)->gen = old.gen + 1;
		plan_problems(idx);
	}
	gc_debug("source: %zu paths changed, %s", changed.len,
		 replan ? "planned again" : "same plan");
	error = apply_update(idx, &fs, replan ? &old : gc_index__plan(idx),
			     &changed, opts, err);
	if (!replan)
		memset(&old, 0, sizeof(old)); /* still the index's */
	if (error == 0)
		gc_index__finish(idx, opts);
cleanup:
	gc_plan_release(&old);
	files_release(&fs);
	gc_map_release(&changed);
	return error;
}

/* ---- which index files a path feeds ---- */

static int cmp_input(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

size_t gc_source_plan_gen(gc_index *idx)
{
	return gc_index__plan(idx)->gen;
}

void gc_source_keys_of(gc_index *idx, const char *path, gc_source_key_cb cb,
		       void *payload)
{
	const gc_plan *p = gc_index__plan(idx);

	if (gc_map_gets(&p->native, path))
		cb(path, payload);
	if (!gc_map_gets(&p->inputs, path))
		return;
	for (size_t i = 0; i < p->nbuilds; i++)
		if (bsearch(path, p->builds[i].inputs, p->builds[i].ninputs,
			    sizeof(char *), cmp_input))
			cb(p->builds[i].key, payload);
}
