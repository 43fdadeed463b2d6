#include "sim.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "repo-layout/git.h"
#include "repo-layout/names.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/log.h"

/*
 * What a GitOps agent does: resolve the deploy branch, and load every
 * manifest of a revision. Objects are found by kind, never by file layout.
 */

struct gc_sim_source {
	gc_git *git; /* NULL in directory mode */
	char *branch;
	char *dir;
};

int gc_sim_source_open(gc_sim_source **out, const char *repo,
		       const char *branch, const char *dir, gc_error *err)
{
	gc_sim_source *src = gc_xcalloc(1, sizeof(*src));
	gc_git_open_opts opts = { NULL, NULL, NULL, false, NULL };
	int error = 0;

	if (dir) {
		src->dir = gc_xstrdup(dir);
	} else {
		src->branch = gc_xstrdup(branch);
		if ((error = gc_git_open(&src->git, repo, &opts, err)) < 0)
			goto cleanup;
	}
	*out = src;
	src = NULL;
cleanup:
	gc_sim_source_free(src);
	return error;
}

void gc_sim_source_free(gc_sim_source *src)
{
	if (!src)
		return;
	gc_git_free(src->git);
	free(src->branch);
	free(src->dir);
	free(src);
}

static bool is_yaml(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && !strcmp(path + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(path + n - 4, ".yml"));
}

/* ---- directory mode ---- */

typedef struct file_list {
	char **v;
	size_t n;
} file_list;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects relative paths of YAML files under root/rel. */
static void list_dir(file_list *out, const char *root, const char *rel)
{
	char *full =
		rel[0] ? gc_xasprintf("%s/%s", root, rel) : gc_xstrdup(root);
	DIR *d = opendir(full);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *sub, *path;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		sub = rel[0] ? gc_xasprintf("%s/%s", rel, e->d_name)
			     : gc_xstrdup(e->d_name);
		path = gc_xasprintf("%s/%s", root, sub);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			list_dir(out, root, sub);
		} else if (S_ISREG(st.st_mode) && is_yaml(sub)) {
			out->v = gc_xrealloc(out->v,
					     (out->n + 1) * sizeof(*out->v));
			out->v[out->n++] = sub;
			sub = NULL;
		}
		free(sub);
		free(path);
	}
	if (d)
		closedir(d);
	free(full);
}

typedef int (*file_fn)(const char *path, const char *data, size_t len,
		       void *payload);

/* Calls fn for every YAML file of the directory, in path order. */
static int dir_each(const char *root, file_fn fn, void *payload, gc_error *err)
{
	file_list files = { NULL, 0 };
	gc_buf data = GC_BUF_INIT;
	int error = 0;

	list_dir(&files, root, "");
	if (files.n)
		qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	for (size_t i = 0; i < files.n && !error; i++) {
		char *path = gc_xasprintf("%s/%s", root, files.v[i]);

		gc_buf_clear(&data);
		error = gc_buf_read_file(&data, path, GC_YAML_MAX_FILE_BYTES,
					 err);
		if (!error)
			error = fn(files.v[i], data.ptr, data.len, payload);
		free(path);
	}
	for (size_t i = 0; i < files.n; i++)
		free(files.v[i]);
	free(files.v);
	gc_buf_release(&data);
	return error;
}

static int hash_file(const char *path, const char *data, size_t len,
		     void *payload)
{
	uint32_t *h = payload;

	*h = gc_hash_fnv1a32(*h, path, strlen(path) + 1);
	*h = gc_hash_fnv1a32(*h, data, len);
	return 0;
}

/* ---- both modes ---- */

int gc_sim_source_poll(gc_sim_source *src, char rev[41], gc_error *err)
{
	uint32_t h = GC_FNV32_INIT;
	int error;

	if (src->dir) {
		if ((error = dir_each(src->dir, hash_file, &h, err)) < 0)
			return error;
		snprintf(rev, 41, "%08lx", (unsigned long)h);
		return 0;
	}
	if ((error = gc_git_fetch(src->git, err)) < 0)
		return error;
	return gc_git_resolve(rev, src->git, src->branch, err);
}

static int parse_file(const char *path, const char *data, size_t len,
		      void *payload)
{
	gc_error err = GC_ERROR_INIT;

	if (is_yaml(path) &&
	    gc_yaml_parse(payload, path, data, len, &err) < 0) {
		char *msg = gc_error_format(&err);

		gc_warn("skipping %s", msg);
		free(msg);
	}
	gc_error_release(&err);
	return 0;
}

static int parse_blob(const char *path, const char blob_id[GC_OID_HEX],
		      const char *data, size_t len, void *payload)
{
	(void)blob_id;
	return parse_file(path, data, len, payload);
}

static int first_subject(const char id[GC_OID_HEX], const char *message,
			 long long when, void *payload)
{
	const char *nl = strchr(message, '\n');

	(void)id;
	(void)when;
	*(char **)payload = nl ? gc_xstrndup(message, (size_t)(nl - message))
			       : gc_xstrdup(message);
	return 0;
}

int gc_sim_source_load(gc_sim_source *src, const char *rev, gc_doclist *docs,
		       char **subject, gc_error *err)
{
	gc_doclist tmp = GC_DOCLIST_INIT;
	char *subj = NULL;
	int error;

	if (src->dir) {
		error = dir_each(src->dir, parse_file, &tmp, err);
		subj = gc_xasprintf("directory %s", src->dir);
	} else {
		error = gc_git_walk(src->git, rev, parse_blob, &tmp, err);
		if (!error)
			error = gc_git_log(src->git, rev, 1, first_subject,
					   &subj, err);
	}
	if (error < 0)
		goto cleanup;
	gc_sim_source_namespaces(&tmp, "default");
	gc_doclist_release(docs);
	*docs = tmp;
	tmp = (gc_doclist)GC_DOCLIST_INIT;
	*subject = subj ? subj : gc_xstrdup("");
	subj = NULL;
cleanup:
	gc_doclist_release(&tmp);
	free(subj);
	return error;
}

static bool is_kustomization(const gc_doc *doc, size_t *dirlen)
{
	const char *slash = strrchr(doc->path, '/');
	const char *base = slash ? slash + 1 : doc->path;

	*dirlen = slash ? (size_t)(slash - doc->path) : 0;
	return gc_name_is_kustomization(base);
}

/* namespace: of the nearest kustomization at or above the document's directory.
 */
static const char *kustomize_ns(const gc_doclist *docs, const char *path)
{
	const char *best = NULL;
	size_t best_len = 0, dirlen;

	for (size_t i = 0; i < docs->n; i++) {
		const gc_doc *k = docs->v[i];
		const char *ns = gc_json_str(k->root, "namespace");

		if (!ns || !is_kustomization(k, &dirlen))
			continue;
		if (dirlen &&
		    (strncmp(path, k->path, dirlen) || path[dirlen] != '/'))
			continue;
		if (!best || dirlen >= best_len) {
			best = ns;
			best_len = dirlen;
		}
	}
	return best;
}

void gc_sim_source_namespaces(gc_doclist *docs, const char *def)
{
	for (size_t i = 0; i < docs->n; i++) {
		cJSON *root = docs->v[i]->root, *meta;
		const char *ns;

		if (!cJSON_IsObject(root) ||
		    !cJSON_IsObject(
			    meta = cJSON_GetObjectItem(root, "metadata")))
			continue;
		if (gc_json_str(meta, "namespace"))
			continue;
		ns = kustomize_ns(docs, docs->v[i]->path);
		cJSON_DeleteItemFromObject(meta, "namespace");
		gc_json_add_str(meta, "namespace", ns ? ns : def);
	}
}
