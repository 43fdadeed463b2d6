/*
 * Loading every manifest of a directory tree or of a git commit into a
 * gc_index. Unreadable, oversized, binary or broken files become problems;
 * only a missing root or a git failure is an error.
 */
#include "index.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/map.h"
#include "yaml.h"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static bool is_manifest_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	/* hidden files (.gitlab-ci.yml, .pre-commit-config.yaml) are tooling */
	return base[0] != '.' &&
	       (has_suffix(base, ".yaml") || has_suffix(base, ".yml") ||
		!strcmp(base, "Kustomization"));
}

/* .git/, .github/ and other hidden directories, node_modules/ */
static bool is_skipped_dir(const char *name)
{
	return name[0] == '.' || !strcmp(name, "node_modules");
}

/* A path component that the directory walk would not descend into. */
static bool in_skipped_dir(const char *path)
{
	const char *p = path, *slash;

	while ((slash = strchr(p, '/'))) {
		if (p[0] == '.' ||
		    (slash - p == 12 && !strncmp(p, "node_modules", 12)))
			return true;
		p = slash + 1;
	}
	return false;
}

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void load_file(gc_index *idx, const char *full, const char *rel,
		      const struct stat *st)
{
	gc_buf data = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_problems *problems = gc_index_problems(idx);

	if (st->st_size > (off_t)GC_YAML_MAX_FILE_BYTES) {
		gc_problems_add(problems, rel, 1, 1,
				"file is larger than %u bytes; not loaded",
				GC_YAML_MAX_FILE_BYTES);
		return;
	}
	if (gc_buf_read_file(&data, full, GC_YAML_MAX_FILE_BYTES, &err) < 0) {
		gc_problems_add(problems, rel, 1, 1, "%s", gc_error_msg(&err));
		goto cleanup;
	}
	gc_index__add_file(idx, rel, data.ptr, data.len);
cleanup:
	gc_error_release(&err);
	gc_buf_release(&data);
}

/* Walks dir/rel (rel "" = the root) in name order. */
static int walk_dir(gc_index *idx, const char *root, const char *rel,
		    unsigned depth, gc_error *err)
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
			gc_problems_add(gc_index_problems(idx), rel, 1, 1,
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
			if (!is_skipped_dir(name) && depth < 64 &&
			    (error = walk_dir(idx, root, child.ptr, depth + 1,
					      err)) < 0)
				break;
			continue;
		}
		/* symlinks to files are followed; to directories, not */
		if (!is_manifest_name(name) || stat(full.ptr, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		load_file(idx, full.ptr, child.ptr, &st);
	}
cleanup:
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	gc_buf_release(&full);
	gc_buf_release(&child);
	return error;
}

int gc_source_load_dir(gc_index **out, const char *dir,
		       const gc_source_opts *opts, gc_error *err)
{
	gc_index *idx = gc_index__new();
	struct stat st;
	int error;

	if (stat(dir, &st) < 0) {
		error = gc_error_set_errno(err, dir, "cannot open directory");
		goto cleanup;
	}
	if (!S_ISDIR(st.st_mode)) {
		error = gc_error_set_at(err, GC_EINVALID, dir, 0, 0, "%s",
					"not a directory");
		goto cleanup;
	}
	if ((error = walk_dir(idx, dir, "", 0, err)) < 0)
		goto cleanup;
	gc_index__finish(idx, opts);
	*out = idx;
	idx = NULL;
cleanup:
	gc_index_free(idx);
	return error;
}

/* ---- blob cache ---- */

/* What one blob gave: its documents and its problems, path-free. */
typedef struct cache_entry {
	gc_doclist docs;
	gc_problems problems;
	unsigned long long used; /* generation of the last load using it */
} cache_entry;

struct gc_source_cache {
	gc_map by_blob; /* blob id -> cache_entry* */
	unsigned long long generation;
	size_t hits, misses;
};

gc_source_cache *gc_source_cache_new(void)
{
	return gc_xcalloc(1, sizeof(gc_source_cache));
}

static void entry_free(cache_entry *e)
{
	if (!e)
		return;
	gc_doclist_release(&e->docs);
	gc_problems_release(&e->problems);
	free(e);
}

void gc_source_cache_free(gc_source_cache *cache)
{
	const gc_map_entry *e;

	if (!cache)
		return;
	for (size_t i = 0; gc_map_next(&cache->by_blob, &i, &e);)
		entry_free(e->value);
	gc_map_release(&cache->by_blob);
	free(cache);
}

void gc_source_cache_stats(const gc_source_cache *cache, size_t *hits,
			   size_t *misses)
{
	*hits = cache->hits;
	*misses = cache->misses;
}

static void problems_copy(gc_problems *to, const gc_problems *from,
			  const char *path)
{
	for (size_t i = 0; i < from->n; i++)
		gc_problems_add(to, path, from->v[i].line, from->v[i].column,
				"%s", from->v[i].msg);
}

typedef struct git_load {
	gc_index *idx;
	gc_source_cache *cache;
} git_load;

static void add_blob(git_load *l, const char *path, const char *id,
		     const char *data, size_t len)
{
	cache_entry *e = l->cache ? gc_map_gets(&l->cache->by_blob, id) : NULL;
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems problems = { 0 };

	if (e) {
		l->cache->hits++;
		e->used = l->cache->generation;
		for (size_t i = 0; i < e->docs.n; i++)
			gc_doclist_push(&docs, gc_doc_dup(e->docs.v[i], path));
		problems_copy(&problems, &e->problems, path);
		gc_index__set_file(l->idx, path, &docs, &problems);
		return;
	}
	gc_index__parse(path, data, len, &docs, &problems);
	if (l->cache) {
		l->cache->misses++;
		e = gc_xcalloc(1, sizeof(*e));
		e->used = l->cache->generation;
		for (size_t i = 0; i < docs.n; i++)
			gc_doclist_push(&e->docs, gc_doc_dup(docs.v[i], path));
		problems_copy(&e->problems, &problems, path);
		gc_map_sets(&l->cache->by_blob, id, e);
	}
	gc_index__set_file(l->idx, path, &docs, &problems);
}

/* Drops the entries the load that just ended did not use. */
static void cache_trim(gc_source_cache *cache)
{
	gc_map keep = GC_MAP_INIT;
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(&cache->by_blob, &i, &e);) {
		cache_entry *ce = e->value;

		if (ce->used == cache->generation)
			gc_map_sets(&keep, e->key, ce);
		else
			entry_free(ce);
	}
	gc_map_release(&cache->by_blob);
	cache->by_blob = keep;
}

static int git_blob(const char *path, const char blob_id[GC_OID_HEX],
		    const char *data, size_t len, void *payload)
{
	if (is_manifest_name(path) && !in_skipped_dir(path))
		add_blob(payload, path, blob_id, data, len);
	return 0;
}

int gc_source_load_git_cached(gc_index **out, gc_git *git,
			      const char commit[GC_OID_HEX],
			      const gc_source_opts *opts,
			      gc_source_cache *cache, gc_error *err)
{
	git_load l = { gc_index__new(), cache };
	int error;

	if (cache)
		cache->generation++;
	gc_index__set_origin(l.idx, git, commit, opts && opts->trees_on_demand);
	if ((error = gc_git_walk(git, commit, git_blob, &l, err)) < 0)
		goto cleanup;
	if (cache)
		cache_trim(cache);
	gc_index__finish(l.idx, opts);
	*out = l.idx;
	l.idx = NULL;
cleanup:
	gc_index_free(l.idx);
	return error;
}

int gc_source_load_git(gc_index **out, gc_git *git,
		       const char commit[GC_OID_HEX],
		       const gc_source_opts *opts, gc_error *err)
{
	return gc_source_load_git_cached(out, git, commit, opts, NULL, err);
}

/* ---- incremental update ---- */

/* One changed manifest path of an update, read and parsed. */
typedef struct change {
	char *path;
	bool removed;
	gc_doclist docs;
	gc_problems problems;
} change;

typedef struct changes {
	change *v;
	size_t n, alloc;
} changes;

static int changed_path(const char *path, void *payload)
{
	changes *c = payload;

	if (!is_manifest_name(path) || in_skipped_dir(path))
		return 0;
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 16;
		c->v = gc_xrealloc(c->v, c->alloc * sizeof(*c->v));
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	c->v[c->n++].path = gc_xstrdup(path);
	return 0;
}

int gc_source_update_git(gc_index *idx, gc_git *git,
			 const char from[GC_OID_HEX], const char to[GC_OID_HEX],
			 const gc_source_opts *opts, gc_error *err)
{
	changes c = { 0 };
	gc_buf data = GC_BUF_INIT;
	int error;

	if ((error = gc_git_diff_paths(git, from, to, changed_path, &c, err)) <
	    0)
		goto cleanup;
	/* read everything first: on error the index is unchanged */
	for (size_t i = 0; i < c.n; i++) {
		gc_buf_clear(&data);
		error = gc_git_read_file(&data, git, to, c.v[i].path, err);
		if (error == GC_ENOTFOUND) {
			gc_error_clear(err);
			c.v[i].removed = true;
			continue;
		}
		if (error < 0)
			goto cleanup;
		gc_index__parse(c.v[i].path, data.ptr ? data.ptr : "", data.len,
				&c.v[i].docs, &c.v[i].problems);
	}
	error = 0;
	gc_index__set_origin(idx, git, to, opts && opts->trees_on_demand);
	for (size_t i = 0; i < c.n; i++)
		gc_index__set_file(idx, c.v[i].path,
				   c.v[i].removed ? NULL : &c.v[i].docs,
				   &c.v[i].problems);
	gc_index__finish(idx, opts);
cleanup:
	for (size_t i = 0; i < c.n; i++) {
		free(c.v[i].path);
		gc_doclist_release(&c.v[i].docs);
		gc_problems_release(&c.v[i].problems);
	}
	free(c.v);
	gc_buf_release(&data);
	return error;
}
