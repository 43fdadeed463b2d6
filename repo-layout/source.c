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

/* Finishes a load that gave `error`: the index to *out, or freed. */
static int load_end(gc_index **out, gc_index *idx, const gc_source_opts *opts,
		    int error)
{
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
	struct stat st;
	int error;

	if (stat(dir, &st) < 0)
		error = gc_error_set_errno(err, dir, "cannot open directory");
	else if (!S_ISDIR(st.st_mode))
		error = gc_error_set_at(err, GC_EINVALID, dir, 0, 0, "%s",
					"not a directory");
	else
		error = walk_dir(idx, dir, "", 0, err);
	return load_end(out, idx, opts, error);
}

/* ---- git commits ---- */

static int git_blob(const char *path, const char blob_id[GC_OID_HEX],
		    const char *data, size_t len, void *payload)
{
	(void)blob_id;
	if (is_manifest_name(path) && !in_skipped_dir(path))
		gc_index__add_file(payload, path, data, len);
	return 0;
}

int gc_source_load_git(gc_index **out, gc_git *git,
		       const char commit[GC_OID_HEX],
		       const gc_source_opts *opts, gc_error *err)
{
	gc_index *idx = gc_index__new();

	gc_index__set_origin(idx, git, commit, opts && opts->trees_on_demand);
	return load_end(out, idx, opts,
			gc_git_walk(git, commit, git_blob, idx, err));
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
