#include "reconciler/release/deploy_state.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/map.h"
#include "util/url.h"

void gc_deploy_canary_init(gc_deploy_canary *dc)
{
	memset(dc, 0, sizeof(*dc));
	gc_status_init(&dc->status);
	dc->routing.primary = 100;
}

static void free_files(gc_deploy_canary *dc)
{
	for (size_t i = 0; i < dc->nfiles; i++)
		free(dc->files[i]);
	free(dc->files);
	dc->files = NULL;
	dc->nfiles = 0;
}

void gc_deploy_canary_release(gc_deploy_canary *dc)
{
	gc_status_release(&dc->status);
	cJSON_Delete(dc->promoted_template);
	free_files(dc);
	gc_deploy_canary_init(dc);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void gc_deploy_canary_set_files(gc_deploy_canary *dc, const char *const *files,
				size_t n)
{
	char **v = gc_xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = gc_xstrdup(files[i]);
	qsort(v, n, sizeof(*v), cmp_str);
	free_files(dc);
	dc->files = v;
	dc->nfiles = n;
}

void gc_deploy_canary_copy(gc_deploy_canary *dst, const gc_deploy_canary *src)
{
	*dst = *src;
	gc_status_copy(&dst->status, &src->status);
	dst->promoted_template = gc_json_dup(src->promoted_template);
	dst->files = NULL;
	dst->nfiles = 0;
	gc_deploy_canary_set_files(dst, (const char *const *)src->files,
				   src->nfiles);
}

static void copy_str(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

static int parse_gitcanary(gc_deploy_canary *dc, const cJSON *g)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(g, "files"), *f;
	const cJSON *tmpl;
	const char **v;
	size_t n = 0;

	dc->routing.primary = (int)gc_json_num(g, "routing.primary", 100);
	dc->routing.canary = (int)gc_json_num(g, "routing.canary", 0);
	dc->routing.mirror = gc_json_bool(g, "routing.mirror", false);
	dc->canary_active = gc_json_bool(g, "canaryActive", false);
	tmpl = cJSON_GetObjectItemCaseSensitive(g, "promotedTemplate");
	if (cJSON_IsObject(tmpl))
		dc->promoted_template = gc_json_dup(tmpl);
	copy_str(dc->promoted_revision, sizeof(dc->promoted_revision),
		 gc_json_str(g, "promotedRevision"));
	copy_str(dc->source_commit, sizeof(dc->source_commit),
		 gc_json_str(g, "sourceCommit"));
	dc->release_max_weight = (int)gc_json_num(g, "releaseMaxWeight", 0);
	if (!cJSON_IsArray(files))
		return 0;
	v = gc_xcalloc((size_t)cJSON_GetArraySize(files) + 1, sizeof(*v));
	cJSON_ArrayForEach (f, files)
		if (cJSON_IsString(f))
			v[n++] = f->valuestring;
	gc_deploy_canary_set_files(dc, v, n);
	free(v);
	return 0;
}

int gc_deploy_canary_parse(gc_deploy_canary *out, const char *path,
			   const char *data, size_t len, gc_error *err)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_deploy_canary dc;
	const cJSON *status, *g;
	int error;

	gc_deploy_canary_init(&dc);
	if ((error = gc_yaml_parse(&docs, path, data, len, err)) < 0)
		goto cleanup;
	status = docs.n ? gc_json_get(docs.v[0]->root, "status") : NULL;
	if (!cJSON_IsObject(status)) {
		error = gc_error_set_at(err, GC_EINVALID, path, 1, 1,
					"status file has no status object");
		goto cleanup;
	}
	if ((error = gc_status_from_json(&dc.status, status, err)) < 0) {
		gc_error_prefixf(err, "%s", path);
		goto cleanup;
	}
	g = cJSON_GetObjectItemCaseSensitive(status, "gitcanary");
	if (cJSON_IsObject(g))
		parse_gitcanary(&dc, g);
	gc_deploy_canary_release(out);
	*out = dc;
	gc_deploy_canary_init(&dc);
cleanup:
	gc_deploy_canary_release(&dc);
	gc_doclist_release(&docs);
	return error;
}

static void add_gitcanary(cJSON *status, const gc_deploy_canary *dc)
{
	cJSON *g = gc_json_obj(status, "gitcanary");
	cJSON *r = gc_json_obj(g, "routing"), *files;

	gc_json_add_num(r, "primary", dc->routing.primary);
	gc_json_add_num(r, "canary", dc->routing.canary);
	cJSON_AddBoolToObject(r, "mirror", dc->routing.mirror);
	cJSON_AddBoolToObject(g, "canaryActive", dc->canary_active);
	if (dc->promoted_revision[0])
		gc_json_add_str(g, "promotedRevision", dc->promoted_revision);
	if (dc->source_commit[0])
		gc_json_add_str(g, "sourceCommit", dc->source_commit);
	if (dc->release_max_weight)
		gc_json_add_num(g, "releaseMaxWeight", dc->release_max_weight);
	files = cJSON_AddArrayToObject(g, "files");
	for (size_t i = 0; i < dc->nfiles; i++)
		cJSON_AddItemToArray(files, cJSON_CreateString(dc->files[i]));
	if (dc->promoted_template)
		cJSON_AddItemToObject(g, "promotedTemplate",
				      gc_json_dup(dc->promoted_template));
}

/*
 * The spec as the status file shows it: webhook URLs redacted (util/url.h),
 * so a token in a hook's userinfo or query string stays in the source
 * branch and never reaches the deploy branch. Nothing reads it back.
 */
static cJSON *shown_spec(const cJSON *spec)
{
	cJSON *copy = gc_json_dup(spec), *hook;
	cJSON *hooks = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(copy, "analysis"), "webhooks");

	cJSON_ArrayForEach (hook, hooks) {
		const cJSON *url =
			cJSON_GetObjectItemCaseSensitive(hook, "url");
		char *red;

		if (!cJSON_IsString(url))
			continue;
		red = gc_url_redacted(url->valuestring);
		cJSON_ReplaceItemInObjectCaseSensitive(hook, "url",
						       cJSON_CreateString(red));
		free(red);
	}
	return copy;
}

int gc_deploy_canary_emit(gc_buf *out, const gc_deploy_canary *dc,
			  const char *ns, const char *name, const cJSON *canary,
			  gc_error *err)
{
	cJSON *doc = cJSON_CreateObject(), *meta, *status;
	const cJSON *spec = gc_json_get(canary, "spec");
	const cJSON *docs[1];
	int error;

	gc_json_add_str(doc, "apiVersion", "flagger.app/v1beta1");
	gc_json_add_str(doc, "kind", "Canary");
	meta = gc_json_obj(doc, "metadata");
	gc_json_add_str(meta, "name", name);
	gc_json_add_str(meta, "namespace", ns);
	if (spec)
		cJSON_AddItemToObject(doc, "spec", shown_spec(spec));
	status = gc_status_to_json(&dc->status);
	add_gitcanary(status, dc);
	cJSON_AddItemToObject(doc, "status", status);
	docs[0] = doc;
	error = gc_yaml_emit(out, docs, 1, err);
	cJSON_Delete(doc);
	return error;
}

/* ---- the tree ---- */

/*
 * The map's value is the file's content hash folded with its length (a
 * pointer-sized integer, never 0), so a deploy tree of 110,000 files
 * holds no allocation per file beyond its path.
 */
static uintptr_t content_hash(const char *data, size_t len)
{
	uintptr_t h = (uintptr_t)(gc_hash_fnv1a64(data, len) ^ (uint64_t)len);

	return h ? h : 1;
}

void gc_deploy_tree_init(gc_deploy_tree *t)
{
	memset(t, 0, sizeof(*t));
	t->files = gc_xcalloc(1, sizeof(gc_map));
}

void gc_deploy_tree_release(gc_deploy_tree *t)
{
	gc_map *m = t->files;

	if (!m)
		return;
	gc_map_release(m);
	free(m);
	memset(t, 0, sizeof(*t));
}

void gc_deploy_tree_set(gc_deploy_tree *t, const char *path, const char *data,
			size_t len)
{
	gc_map *m = t->files;
	bool had = gc_map_gets(m, path) != NULL;

	if (!data) {
		/* the key stays, for gc_deploy_tree_path */
		gc_map_sets(m, path, NULL);
		t->count -= had;
		return;
	}
	if (!had)
		t->count++;
	gc_map_sets(m, path, (void *)content_hash(data, len));
}

const char *gc_deploy_tree_path(const gc_deploy_tree *t, const char *path)
{
	return gc_map_key(t->files, path);
}

bool gc_deploy_tree_has(const gc_deploy_tree *t, const char *path)
{
	return gc_map_gets(t->files, path) != NULL;
}

uint64_t gc_deploy_tree_hash(const gc_deploy_tree *t, const char *path)
{
	return (uint64_t)(uintptr_t)gc_map_gets(t->files, path);
}

bool gc_deploy_tree_same(const gc_deploy_tree *t, const char *path,
			 const char *data, size_t len)
{
	uintptr_t h = (uintptr_t)gc_map_gets(t->files, path);

	return h && h == content_hash(data, len);
}

static int load_blob(const char *path, const char blob_id[GC_OID_HEX],
		     const char *data, size_t len, void *payload)
{
	(void)blob_id;
	gc_deploy_tree_set(payload, path, data, len);
	return 0;
}

typedef struct diff_ctx {
	gc_deploy_tree *t;
	gc_git *git;
	const char *commit;
	gc_buf data;
	gc_error *err;
	gc_git_path_cb cb;
	void *payload;
} diff_ctx;

static int load_changed(const char *path, void *payload)
{
	diff_ctx *d = payload;
	int error;

	if (d->cb && (error = d->cb(path, d->payload)) < 0)
		return error;
	gc_buf_clear(&d->data);
	error = gc_git_read(&d->data, d->git, d->commit, path, d->err);
	if (error == GC_ENOTFOUND) {
		gc_error_clear(d->err);
		gc_deploy_tree_set(d->t, path, NULL, 0);
		return 0;
	}
	if (error < 0)
		return error;
	gc_deploy_tree_set(d->t, path, d->data.ptr, d->data.len);
	return 0;
}

int gc_deploy_tree_update(gc_deploy_tree *t, gc_git *git,
			  const char commit[GC_OID_HEX], gc_git_path_cb cb,
			  void *payload, bool *all, gc_error *err)
{
	diff_ctx d = { t, git, commit, GC_BUF_INIT, err, cb, payload };
	int error = 0;

	*all = false;
	if (!strcmp(t->commit, commit))
		return 0;
	*all = true;
	if (!*commit) {
		gc_deploy_tree_release(t);
		gc_deploy_tree_init(t);
		return 0;
	}
	if (!*t->commit && t->count == 0) {
		error = gc_git_walk(git, commit, load_blob, t, err);
	} else {
		*all = false;
		error = gc_git_diff_paths(git, t->commit, commit, load_changed,
					  &d, err);
	}
	gc_buf_release(&d.data);
	if (error < 0) {
		/* unknown state: start over next time */
		gc_deploy_tree_release(t);
		gc_deploy_tree_init(t);
		return error;
	}
	snprintf(t->commit, sizeof(t->commit), "%s", commit);
	return 0;
}

const char **gc_deploy_tree_paths(const gc_deploy_tree *t, size_t *n)
{
	const char **v = gc_xcalloc(t->count + 1, sizeof(*v));
	const gc_map_entry *e;
	size_t k = 0;

	for (size_t i = 0; gc_map_next(t->files, &i, &e);)
		if (e->value)
			v[k++] = e->key;
	qsort(v, k, sizeof(*v), cmp_str);
	*n = k;
	return v;
}
