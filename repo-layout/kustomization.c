/*
 * Reading a kustomization file for the build plan: its namespace, its
 * resources and every local path it names. Only what roots.c needs to
 * decide what a build reads and whether the native build can do it; the
 * kustomize tool itself checks the rest.
 */
#include "kustomization.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

bool gc_kustomization_join(char **out, const char *dir, const char *rel)
{
	gc_buf b = GC_BUF_INIT;
	const char *p = rel;

	*out = NULL;
	if (rel[0] == '/')
		return false;
	gc_buf_adds(&b, dir);
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* "" or "." */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			char *slash;

			if (!b.len) {
				gc_buf_release(&b);
				return false;
			}
			slash = strrchr(b.ptr, '/');
			gc_buf_truncate(&b,
					slash ? (size_t)(slash - b.ptr) : 0);
		} else {
			if (b.len)
				gc_buf_addch(&b, '/');
			gc_buf_add(&b, p, len);
		}
		p += len;
		if (*p == '/')
			p++;
	}
	*out = b.len ? gc_buf_detach(&b, NULL) : gc_xstrdup("");
	gc_buf_release(&b);
	return true;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? gc_xstrndup(path, (size_t)(slash - path))
		     : gc_xstrdup("");
}

/* A URL or a git reference, as kustomize's loader would fetch them. */
static bool is_remote(const char *s)
{
	return strstr(s, "://") || !strncmp(s, "github.com/", 11) ||
	       !strncmp(s, "gitlab.com/", 11) ||
	       !strncmp(s, "bitbucket.org/", 14) || !strncmp(s, "git@", 4) ||
	       strstr(s, "?ref=") || strstr(s, ".git//");
}

typedef struct reader {
	gc_kustomization *k;
	const gc_doc *doc;
	const char *dir;
	gc_problems *problems;
	bool failed;
} reader;

static void add_ref(reader *r, gc_kref **v, size_t *n, const cJSON *node,
		    const char *value)
{
	gc_kref *ref;

	*v = gc_xrealloc(*v, (*n + 1) * sizeof(**v));
	ref = &(*v)[(*n)++];
	memset(ref, 0, sizeof(*ref));
	ref->loc = gc_doc_loc(r->doc, node);
	ref->remote = is_remote(value);
	if (ref->remote) {
		ref->path = gc_xstrdup(value);
		return;
	}
	ref->outside = !gc_kustomization_join(&ref->path, r->dir, value);
	if (ref->outside)
		ref->path = gc_xstrdup(value);
}

static void type_problem(reader *r, const cJSON *node, const char *field,
			 const char *want)
{
	gc_loc loc = gc_doc_loc(r->doc, node);

	gc_problems_add(r->problems, r->doc->path, loc.line, loc.column,
			"%s must be %s, not %s", field, want,
			gc_json_type_name(node));
	r->failed = true;
}

/* A list of path strings (resources:, components:, crds:, ...). */
static void read_list(reader *r, const cJSON *list, const char *field,
		      gc_kref **v, size_t *n)
{
	const cJSON *item;

	if (!list || cJSON_IsNull(list))
		return;
	if (!cJSON_IsArray(list)) {
		type_problem(r, list, field, "a list");
		return;
	}
	cJSON_ArrayForEach (item, list) {
		if (!cJSON_IsString(item)) {
			type_problem(r, item, field, "a list of strings");
			continue;
		}
		add_ref(r, v, n, item, item->valuestring);
	}
}

/* A file of a generator: "path" or "key=path". */
static void read_generator_file(reader *r, const cJSON *item)
{
	const char *s = item->valuestring, *eq = strchr(s, '=');

	add_ref(r, &r->k->reads, &r->k->nreads, item, eq ? eq + 1 : s);
}

static void read_generators(reader *r, const cJSON *list)
{
	static const char *const lists[] = { "files", "envs" };
	const cJSON *gen, *item, *env;

	if (!cJSON_IsArray(list))
		return;
	cJSON_ArrayForEach (gen, list) {
		for (size_t i = 0; i < 2; i++) {
			const cJSON *l =
				cJSON_GetObjectItemCaseSensitive(gen, lists[i]);

			if (!cJSON_IsArray(l))
				continue;
			cJSON_ArrayForEach (item, l) {
				if (cJSON_IsString(item))
					read_generator_file(r, item);
			}
		}
		env = cJSON_GetObjectItemCaseSensitive(gen, "env");
		if (cJSON_IsString(env))
			read_generator_file(r, env);
	}
}

/* Members of a list of objects that name a file in `key`. */
static void read_paths_of(reader *r, const cJSON *list, const char *key)
{
	const cJSON *item, *p;

	if (cJSON_IsObject(list)) { /* openapi: {path: ...} */
		p = cJSON_GetObjectItemCaseSensitive(list, key);
		if (cJSON_IsString(p))
			add_ref(r, &r->k->reads, &r->k->nreads, p,
				p->valuestring);
		return;
	}
	if (!cJSON_IsArray(list))
		return;
	cJSON_ArrayForEach (item, list) {
		p = cJSON_GetObjectItemCaseSensitive(item, key);
		if (cJSON_IsString(p))
			add_ref(r, &r->k->reads, &r->k->nreads, p,
				p->valuestring);
	}
}

/* patchesStrategicMerge: file paths, or inline patches (multi-line). */
static void read_smp(reader *r, const cJSON *list)
{
	const cJSON *item;

	if (!cJSON_IsArray(list))
		return;
	cJSON_ArrayForEach (item, list) {
		if (cJSON_IsString(item) && !strchr(item->valuestring, '\n'))
			add_ref(r, &r->k->reads, &r->k->nreads, item,
				item->valuestring);
	}
}

static bool is_plain_field(const char *key)
{
	static const char *const plain[] = { "apiVersion", "kind", "metadata",
					     "namespace", "resources" };

	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
		if (!strcmp(key, plain[i]))
			return true;
	return false;
}

int gc_kustomization_read(gc_kustomization *out, const gc_doc *doc,
			  gc_problems *problems)
{
	static const char *const lists[] = { "components",     "crds",
					     "configurations", "generators",
					     "transformers",   "validators" };
	char *dir = dir_of(doc->path);
	reader r = { out, doc, dir, problems, false };
	const cJSON *root = doc->root, *ns, *member;

	memset(out, 0, sizeof(*out));
	out->path = gc_xstrdup(doc->path);
	out->plain = true;
	if (!cJSON_IsObject(root)) {
		type_problem(&r, root, "a kustomization", "a mapping");
		goto done;
	}
	ns = cJSON_GetObjectItemCaseSensitive(root, "namespace");
	if (ns && !cJSON_IsNull(ns)) {
		const char *why = NULL;

		if (!cJSON_IsString(ns))
			type_problem(&r, ns, "namespace", "a string");
		else if (*ns->valuestring &&
			 !gc_name_is_dns1123_label(ns->valuestring, &why)) {
			gc_loc loc = gc_doc_loc(doc, ns);

			gc_problems_add(
				problems, doc->path, loc.line, loc.column,
				"invalid kustomization namespace '%s': %s",
				ns->valuestring, why);
			r.failed = true;
		} else if (*ns->valuestring)
			out->namespace = gc_xstrdup(ns->valuestring);
	}
	read_list(&r, cJSON_GetObjectItemCaseSensitive(root, "resources"),
		  "resources", &out->resources, &out->nresources);
	read_list(&r, cJSON_GetObjectItemCaseSensitive(root, "bases"), "bases",
		  &out->resources, &out->nresources);
	for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++)
		read_list(&r, cJSON_GetObjectItemCaseSensitive(root, lists[i]),
			  lists[i], &out->reads, &out->nreads);
	read_paths_of(&r, cJSON_GetObjectItemCaseSensitive(root, "patches"),
		      "path");
	read_paths_of(&r,
		      cJSON_GetObjectItemCaseSensitive(root, "patchesJson6902"),
		      "path");
	read_paths_of(&r,
		      cJSON_GetObjectItemCaseSensitive(root, "replacements"),
		      "path");
	read_paths_of(&r, cJSON_GetObjectItemCaseSensitive(root, "openapi"),
		      "path");
	read_smp(&r, cJSON_GetObjectItemCaseSensitive(root,
						      "patchesStrategicMerge"));
	read_generators(&r,
			cJSON_GetObjectItemCaseSensitive(root,
							 "configMapGenerator"));
	read_generators(&r,
			cJSON_GetObjectItemCaseSensitive(root,
							 "secretGenerator"));
	cJSON_ArrayForEach (member, root) {
		if (!is_plain_field(member->string))
			out->plain = false;
	}
done:
	free(dir);
	if (r.failed) {
		gc_kustomization_release(out);
		return -1;
	}
	return 0;
}

static void refs_free(gc_kref *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

void gc_kustomization_release(gc_kustomization *k)
{
	free(k->path);
	free(k->namespace);
	refs_free(k->resources, k->nresources);
	refs_free(k->reads, k->nreads);
	memset(k, 0, sizeof(*k));
}
