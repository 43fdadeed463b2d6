/*
 * The manifest index: every document of a commit or a directory, indexed
 * by kind, namespace and name, with namespaces resolved by the rules of
 * the design brief and names checked before they can become paths.
 */
#include "index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "yaml.h"

struct gc_index {
	gc_doclist docs; /* every document, path order then document order */
	gc_object *objs;
	size_t n, alloc;
	gc_map by_key; /* "kind\0ns\0name" -> index + 1 into objs */
	gc_problems problems;
};

/* ---- names ---- */

static const char subdomain_why[] =
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
static const char label_why[] =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
static const char dns1035_why[] =
	"a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One label of [a-z0-9]([-a-z0-9]*[a-z0-9])? of length n. */
static bool label_ok(const char *s, size_t n)
{
	if (!n || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool gc_name_is_dns1123_label(const char *s, const char **why)
{
	size_t n = strlen(s);

	if (n > 63) {
		*why = "must be no more than 63 characters";
		return false;
	}
	if (!label_ok(s, n)) {
		*why = label_why;
		return false;
	}
	return true;
}

bool gc_name_is_dns1035_label(const char *s, const char **why)
{
	if (!gc_name_is_dns1123_label(s, why))
		return false;
	if (s[0] < 'a' || s[0] > 'z') {
		*why = dns1035_why;
		return false;
	}
	return true;
}

bool gc_name_is_dns1123_subdomain(const char *s, const char **why)
{
	size_t n = strlen(s);
	const char *p = s;

	if (n > 253) {
		*why = "must be no more than 253 characters";
		return false;
	}
	*why = subdomain_why;
	if (!n)
		return false;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!label_ok(p, len))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

bool gc_kind_is_cluster_scoped(const char *kind)
{
	static const char *const kinds[] = {
		"Namespace",
		"Node",
		"PersistentVolume",
		"ClusterRole",
		"ClusterRoleBinding",
		"CustomResourceDefinition",
		"StorageClass",
		"PriorityClass",
		"IngressClass",
		"RuntimeClass",
		"CSIDriver",
		"CSINode",
		"VolumeAttachment",
		"MutatingWebhookConfiguration",
		"ValidatingWebhookConfiguration",
		"ValidatingAdmissionPolicy",
		"ValidatingAdmissionPolicyBinding",
		"APIService",
		"PodSecurityPolicy",
		"CertificateSigningRequest",
		"FlowSchema",
		"PriorityLevelConfiguration",
		"GatewayClass",
		"ClusterIssuer",
		"VolumeSnapshotClass",
		"ComponentStatus",
	};

	for (size_t i = 0; i < GC_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

/* Kubernetes requires label rules for these kinds, subdomains elsewhere. */
static bool check_name(const char *kind, const char *name, const char **why)
{
	if (!strcmp(kind, "Namespace"))
		return gc_name_is_dns1123_label(name, why);
	if (!strcmp(kind, "Service"))
		return gc_name_is_dns1035_label(name, why);
	return gc_name_is_dns1123_subdomain(name, why);
}

/* ---- building ---- */

gc_index *gc_index__new(void)
{
	return gc_xcalloc(1, sizeof(gc_index));
}

static bool is_kustomization_path(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strcmp(base, "kustomization.yaml") ||
	       !strcmp(base, "kustomization.yml") ||
	       !strcmp(base, "Kustomization");
}

static void offset_loc(const char *data, size_t off, unsigned *line,
		       unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

void gc_index__add_file(gc_index *idx, const char *path, const char *data,
			size_t len)
{
	gc_error err = GC_ERROR_INIT;
	const char *nul = len ? memchr(data, '\0', len) : NULL;
	size_t before = idx->docs.n;
	unsigned line, col;

	if (len > GC_YAML_MAX_FILE_BYTES) {
		gc_problems_add(&idx->problems, path, 1, 1,
				"file is larger than %u bytes; not loaded",
				GC_YAML_MAX_FILE_BYTES);
		return;
	}
	if (nul) {
		offset_loc(data, (size_t)(nul - data), &line, &col);
		gc_problems_add(&idx->problems, path, line, col, "%s",
				"binary file (NUL byte); not a YAML manifest");
		return;
	}
	if (gc_yaml_parse(&idx->docs, path, data, len, &err) < 0) {
		gc_problems_add_error(&idx->problems, &err);
		gc_error_release(&err);
		return;
	}
	if (idx->docs.n == before)
		gc_problems_add(&idx->problems, path, 1, 1, "%s",
				"file has no YAML documents");
}

size_t gc_index__doc_n(const gc_index *idx)
{
	return idx->docs.n;
}

gc_doc *gc_index__doc(gc_index *idx, size_t i)
{
	return idx->docs.v[i];
}

void gc_index__push_doc(gc_index *idx, gc_doc *doc)
{
	gc_doclist_push(&idx->docs, doc);
}

static int cmp_doc(const void *a, const void *b)
{
	const gc_doc *x = *(const gc_doc *const *)a;
	const gc_doc *y = *(const gc_doc *const *)b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? gc_xstrndup(path, (size_t)(slash - path))
		     : gc_xstrdup("");
}

static const char *type_name(const cJSON *n)
{
	if (cJSON_IsArray(n))
		return "a list";
	if (cJSON_IsString(n))
		return "a string";
	if (cJSON_IsNumber(n))
		return "a number";
	if (cJSON_IsBool(n))
		return "a boolean";
	return "null";
}

/* dir -> namespace string (borrowed from the kustomization document). */
static void collect_kustomizations(gc_index *idx, gc_map *ns_by_dir)
{
	for (size_t i = 0; i < idx->docs.n; i++) {
		gc_doc *doc = idx->docs.v[i];
		const cJSON *ns;
		const char *why = "must be a string";
		char *dir;

		if (!is_kustomization_path(doc->path) ||
		    !cJSON_IsObject(doc->root))
			continue;
		ns = cJSON_GetObjectItemCaseSensitive(doc->root, "namespace");
		if (!ns)
			continue;
		if (!cJSON_IsString(ns) ||
		    !gc_name_is_dns1123_label(ns->valuestring, &why)) {
			gc_loc loc = gc_doc_loc(doc, ns);

			gc_problems_add(
				&idx->problems, doc->path, loc.line, loc.column,
				"invalid kustomization namespace%s%s%s: %s",
				cJSON_IsString(ns) ? " '" : "",
				cJSON_IsString(ns) ? ns->valuestring : "",
				cJSON_IsString(ns) ? "'" : "", why);
			continue;
		}
		dir = dir_of(doc->path);
		if (!gc_map_gets(ns_by_dir, dir))
			gc_map_sets(ns_by_dir, dir, ns->valuestring);
		free(dir);
	}
}

static const char *inherited_namespace(const gc_map *ns_by_dir,
				       const char *path,
				       const gc_source_opts *opts)
{
	char *dir = dir_of(path);
	const char *ns = NULL;

	for (;;) {
		char *slash;

		if ((ns = gc_map_gets(ns_by_dir, dir)) || !*dir)
			break;
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
	}
	free(dir);
	if (ns)
		return ns;
	if (opts && opts->default_namespace && *opts->default_namespace)
		return opts->default_namespace;
	return "default";
}

static gc_object *push_object(gc_index *idx)
{
	if (idx->n == idx->alloc) {
		idx->alloc = idx->alloc ? idx->alloc * 2 : 32;
		idx->objs =
			gc_xrealloc(idx->objs, idx->alloc * sizeof(*idx->objs));
	}
	memset(&idx->objs[idx->n], 0, sizeof(idx->objs[0]));
	return &idx->objs[idx->n++];
}

/* A required string member; records a problem and returns NULL when bad. */
static const char *need_str(gc_index *idx, const gc_doc *doc,
			    const cJSON *parent, const cJSON *where,
			    const char *key, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);
	gc_loc loc;

	if (cJSON_IsString(v) && *v->valuestring)
		return v->valuestring;
	loc = v ? gc_doc_loc(doc, v) : gc_doc_key_loc(doc, where);
	if (!v)
		gc_problems_add(&idx->problems, doc->path, loc.line, loc.column,
				"document has no %s", field);
	else
		gc_problems_add(&idx->problems, doc->path, loc.line, loc.column,
				"%s must be a non-empty string", field);
	return NULL;
}

static void key_of(gc_buf *key, const char *kind, const char *ns,
		   const char *name)
{
	gc_buf_clear(key);
	gc_buf_adds(key, kind);
	gc_buf_addch(key, '\0');
	gc_buf_adds(key, ns ? ns : "");
	gc_buf_addch(key, '\0');
	gc_buf_adds(key, name);
}

static void add_kustomization(gc_index *idx, gc_doc *doc)
{
	gc_object *o = push_object(idx);

	o->doc = doc;
	o->api_version = gc_json_str(doc->root, "apiVersion");
	o->kind = gc_json_str(doc->root, "kind");
	if (!o->kind)
		o->kind = "Kustomization";
	o->name = gc_json_str(doc->root, "metadata.name");
}

/* The namespace of a namespaced object, or NULL after a problem. */
static char *object_namespace(gc_index *idx, const gc_doc *doc,
			      const gc_map *ns_by_dir,
			      const gc_source_opts *opts)
{
	const cJSON *ns = gc_json_get(doc->root, "metadata.namespace");
	const char *why;
	gc_loc loc;

	if (!ns || cJSON_IsNull(ns) ||
	    (cJSON_IsString(ns) && !*ns->valuestring))
		return gc_xstrdup(
			inherited_namespace(ns_by_dir, doc->path, opts));
	loc = gc_doc_loc(doc, ns);
	if (!cJSON_IsString(ns)) {
		gc_problems_add(&idx->problems, doc->path, loc.line, loc.column,
				"metadata.namespace must be a string, not %s",
				type_name(ns));
		return NULL;
	}
	if (!gc_name_is_dns1123_label(ns->valuestring, &why)) {
		gc_problems_add(&idx->problems, doc->path, loc.line, loc.column,
				"invalid namespace '%s': %s", ns->valuestring,
				why);
		return NULL;
	}
	return gc_xstrdup(ns->valuestring);
}

static void index_document(gc_index *idx, gc_doc *doc, const gc_map *ns_by_dir,
			   const gc_source_opts *opts, gc_buf *key)
{
	const cJSON *root = doc->root, *meta;
	const char *api, *kind, *name, *why;
	gc_loc loc = gc_doc_loc(doc, root);
	char *ns = NULL;
	gc_object *o;
	uintptr_t prev;

	if (!cJSON_IsObject(root)) {
		gc_problems_add(
			&idx->problems, doc->path, loc.line, loc.column,
			"document is %s, not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)",
			type_name(root));
		return;
	}
	api = need_str(idx, doc, root, root, "apiVersion", "apiVersion");
	kind = need_str(idx, doc, root, root, "kind", "kind");
	meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
	if (!meta) {
		gc_problems_add(&idx->problems, doc->path, loc.line, loc.column,
				"%s", "document has no metadata.name");
		return;
	}
	if (!cJSON_IsObject(meta)) {
		loc = gc_doc_loc(doc, meta);
		gc_problems_add(&idx->problems, doc->path, loc.line, loc.column,
				"metadata must be a mapping, not %s",
				type_name(meta));
		return;
	}
	name = need_str(idx, doc, meta, meta, "name", "metadata.name");
	if (!api || !kind || !name)
		return;
	if (!check_name(kind, name, &why)) {
		loc = gc_doc_loc(doc, cJSON_GetObjectItem(meta, "name"));
		gc_problems_add(&idx->problems, doc->path, loc.line, loc.column,
				"invalid %s name '%s': %s", kind, name, why);
		return;
	}
	if (!gc_kind_is_cluster_scoped(kind) &&
	    !(ns = object_namespace(idx, doc, ns_by_dir, opts)))
		return;
	key_of(key, kind, ns, name);
	prev = (uintptr_t)gc_map_get(&idx->by_key, key->ptr, key->len);
	if (prev) {
		const gc_object *first = &idx->objs[prev - 1];
		gc_loc floc = gc_doc_loc(first->doc, first->doc->root);

		loc = gc_doc_loc(doc, root);
		gc_problems_add(
			&idx->problems, doc->path, loc.line, loc.column,
			"duplicate %s %s%s%s (first defined at %s:%u:%u)", kind,
			ns ? ns : "", ns ? "/" : "", name, first->doc->path,
			floc.line, floc.column);
		free(ns);
		return;
	}
	o = push_object(idx);
	o->doc = doc;
	o->api_version = api;
	o->kind = kind;
	o->name = name;
	o->namespace = ns;
	gc_map_put(&idx->by_key, key->ptr, key->len, (void *)(uintptr_t)idx->n);
}

void gc_index__finish(gc_index *idx, const gc_source_opts *opts)
{
	gc_map ns_by_dir = GC_MAP_INIT;
	gc_buf key = GC_BUF_INIT;

	if (idx->docs.n > 1)
		qsort(idx->docs.v, idx->docs.n, sizeof(*idx->docs.v), cmp_doc);
	collect_kustomizations(idx, &ns_by_dir);
	for (size_t i = 0; i < idx->docs.n; i++) {
		gc_doc *doc = idx->docs.v[i];

		if (is_kustomization_path(doc->path))
			add_kustomization(idx, doc);
		else
			index_document(idx, doc, &ns_by_dir, opts, &key);
	}
	gc_map_release(&ns_by_dir);
	gc_buf_release(&key);
}

/* ---- lookups ---- */

void gc_index_free(gc_index *idx)
{
	if (!idx)
		return;
	for (size_t i = 0; i < idx->n; i++)
		free(idx->objs[i].namespace);
	free(idx->objs);
	gc_map_release(&idx->by_key);
	gc_doclist_release(&idx->docs);
	gc_problems_release(&idx->problems);
	free(idx);
}

const gc_object *gc_index_find(const gc_index *idx, const char *kind,
			       const char *ns, const char *name)
{
	gc_buf key = GC_BUF_INIT;
	uintptr_t i;

	if (!kind || !name)
		return NULL;
	key_of(&key, kind, gc_kind_is_cluster_scoped(kind) ? NULL : ns, name);
	i = (uintptr_t)gc_map_get(&idx->by_key, key.ptr, key.len);
	gc_buf_release(&key);
	return i ? &idx->objs[i - 1] : NULL;
}

size_t gc_index_count(const gc_index *idx)
{
	return idx->n;
}

const gc_object *gc_index_at(const gc_index *idx, size_t i)
{
	return i < idx->n ? &idx->objs[i] : NULL;
}

size_t gc_index_doc_count(const gc_index *idx)
{
	return idx->docs.n;
}

gc_problems *gc_index_problems(gc_index *idx)
{
	return &idx->problems;
}
