/*
 * Flux's kustomize-controller, modelled without I/O. Upstream files read
 * (fluxcd/kustomize-controller, fluxcd/pkg at kustomize/v1.39.0):
 * api/v1/kustomization_types.go (the spec, for the strict schema below),
 * internal/controller/kustomization_controller.go (build(), apply()),
 * kustomize/kustomize_generator.go (GenerateManifest), and
 * kustomize/kustomize_varsub.go (SubstituteVariables, LoadVariables).
 */
#include "repo-layout/flux.h"
#include "repo-layout/flux_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repo-layout/envsubst.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"

/* ---- problems ---- */

static void report(gc_problems *p, const gc_doc *doc, const cJSON *node,
		   bool at_key, bool warning, const char *fmt, va_list ap)
	GC_PRINTF(6, 0);
static void report(gc_problems *p, const gc_doc *doc, const cJSON *node,
		   bool at_key, bool warning, const char *fmt, va_list ap)
{
	gc_loc loc = { 0, 0, 0, 0 };
	gc_buf msg = GC_BUF_INIT;

	if (doc)
		loc = at_key ? gc_doc_key_loc(doc, node)
			     : gc_doc_loc(doc, node);
	gc_buf_vaddf(&msg, fmt, ap);
	gc_problems_add(p, doc ? doc->path : NULL, loc.line, loc.column, "%s",
			msg.ptr);
	if (warning)
		gc_problems_last_is_warning(p);
	gc_buf_release(&msg);
}

static int error_at(gc_problems *p, const gc_doc *doc, const cJSON *node,
		    bool at_key, const char *fmt, ...) GC_PRINTF(5, 6);
static int error_at(gc_problems *p, const gc_doc *doc, const cJSON *node,
		    bool at_key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(p, doc, node, at_key, false, fmt, ap);
	va_end(ap);
	return GC_EINVALID;
}

static void warn_at(gc_problems *p, const gc_doc *doc, const cJSON *node,
		    bool at_key, const char *fmt, ...) GC_PRINTF(5, 6);
static void warn_at(gc_problems *p, const gc_doc *doc, const cJSON *node,
		    bool at_key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(p, doc, node, at_key, true, fmt, ap);
	va_end(ap);
}

/* ---- the Kustomization object ---- */

void gc_flux_ks_release(gc_flux_ks *ks)
{
	if (!ks)
		return;
	free(ks->name);
	free(ks->namespace);
	free(ks->path);
	memset(ks, 0, sizeof(*ks));
}

/*
 * spec.path as SecureJoin(root, path) reads it: relative to the root even
 * when absolute, "." dropped, ".." stopping at the root. *escaped says a
 * ".." was clamped. Owned.
 */
static char *normalize_path(const char *path, bool *escaped)
{
	gc_buf out = GC_BUF_INIT;
	const char *p = path;

	*escaped = false;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 2 && !strncmp(p, "..", 2)) {
			char *slash = strrchr(out.ptr, '/');

			if (!out.len)
				*escaped = true;
			else
				gc_buf_truncate(&out, slash ? (size_t)(slash -
								       out.ptr)
							    : 0);
		} else if (n && !(n == 1 && *p == '.')) {
			if (out.len)
				gc_buf_addch(&out, '/');
			gc_buf_add(&out, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return gc_buf_detach(&out, NULL);
}

/* Whether sourceRef names this repository (see flux.h). */
static bool is_this_source(const cJSON *ref, const char *ks_ns,
			   const char *this_source)
{
	const char *kind = gc_json_str(ref, "kind");
	const char *name = gc_json_str(ref, "name");
	const char *ns = gc_json_str(ref, "namespace");
	const char *slash = strchr(this_source, '/');
	const char *want_name = slash ? slash + 1 : this_source;

	if (!ns || !*ns)
		ns = ks_ns;
	if (!kind || strcmp(kind, "GitRepository") || !name ||
	    strcmp(name, want_name))
		return false;
	if (slash)
		return strlen(ns) == (size_t)(slash - this_source) &&
		       !strncmp(ns, this_source, (size_t)(slash - this_source));
	return !strcmp(ns, ks_ns);
}

static int check_kind(const gc_doc *doc, gc_problems *problems)
{
	const cJSON *api =
		cJSON_GetObjectItemCaseSensitive(doc->root, "apiVersion");
	const char *kind = gc_json_str(doc->root, "kind");
	size_t glen = strlen(GC_FLUX_GROUP);

	if (!cJSON_IsString(api) || !kind || strcmp(kind, "Kustomization") ||
	    strncmp(api->valuestring, GC_FLUX_GROUP, glen) ||
	    api->valuestring[glen] != '/')
		return error_at(problems, doc, doc->root, false,
				"not a %s Kustomization", GC_FLUX_GROUP);
	if (strcmp(api->valuestring, GC_FLUX_API_VERSION))
		return error_at(
			problems, doc, api, false,
			"apiVersion: '%s' is not read: gitcanary reads %s Kustomizations (flux migrate rewrites older ones)",
			api->valuestring, GC_FLUX_API_VERSION);
	return 0;
}

int gc_flux_ks_parse(gc_flux_ks *out, const gc_doc *doc,
		     const char *this_source, gc_problems *problems)
{
	int errors;
	const cJSON *meta, *spec, *name_node, *ref;
	const char *ns, *path;
	gc_flux_ks ks;
	bool escaped;
	int error;

	if ((error = check_kind(doc, problems)) < 0)
		return error;
	errors = gc_flux__check_schema(doc, problems);
	meta = cJSON_GetObjectItemCaseSensitive(doc->root, "metadata");
	name_node = cJSON_GetObjectItemCaseSensitive(meta, "name");
	if (cJSON_IsObject(meta) &&
	    (!cJSON_IsString(name_node) || !*name_node->valuestring))
		errors += error_at(problems, doc, name_node ? name_node : meta,
				   !name_node,
				   "metadata.name: Required value") < 0;
	if (errors)
		return GC_EINVALID;
	spec = cJSON_GetObjectItemCaseSensitive(doc->root, "spec");
	ns = gc_json_str(meta, "namespace");
	memset(&ks, 0, sizeof(ks));
	ks.name = gc_xstrdup(name_node->valuestring);
	ks.namespace = gc_xstrdup(ns && *ns ? ns : "default");
	ks.strict = true;
	ks.doc = doc;
	ks.spec = spec;
	path = gc_json_str(spec, "path");
	ks.path = normalize_path(path ? path : "", &escaped);
	if (escaped)
		warn_at(problems, doc, gc_json_get(spec, "path"), false,
			"spec.path: '%s' leaves the repository; Flux stops at its root and builds '%s'",
			path, *ks.path ? ks.path : ".");
	ref = cJSON_GetObjectItemCaseSensitive(spec, "sourceRef");
	if (!is_this_source(ref, ks.namespace, this_source)) {
		const char *rns = gc_json_str(ref, "namespace");

		warn_at(problems, doc, ref, true,
			"spec.sourceRef: %s '%s/%s' is another source: Kustomization '%s/%s' is not built",
			gc_json_str(ref, "kind"),
			rns && *rns ? rns : ks.namespace,
			gc_json_str(ref, "name"), ks.namespace, ks.name);
		ks.skip = true;
	} else if (gc_json_bool(spec, "suspend", false)) {
		warn_at(problems, doc, gc_json_get(spec, "suspend"), true,
			"spec.suspend: Kustomization '%s/%s' is suspended: it is not built",
			ks.namespace, ks.name);
		ks.skip = true;
	}
	*out = ks;
	return 0;
}

static size_t list_len(const cJSON *n)
{
	return cJSON_IsArray(n) ? (size_t)cJSON_GetArraySize(n) : 0;
}

bool gc_flux_ks_needs_tool(const gc_flux_ks *ks)
{
	const cJSON *s = ks->spec;

	return gc_json_str(s, "namePrefix") || gc_json_str(s, "nameSuffix") ||
	       list_len(gc_json_get(s, "patches")) ||
	       list_len(gc_json_get(s, "images")) ||
	       list_len(gc_json_get(s, "components")) ||
	       list_len(gc_json_get(s, "buildMetadata"));
}

/* ---- the kustomization file (kustomize_generator.go GenerateManifest) ---- */

/* Sets obj[key] to item, in place of an existing member. */
static void set_member(cJSON *obj, const char *key, cJSON *item)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
	else
		cJSON_AddItemToObject(obj, key, item);
}

/* obj[key] as a list, created when absent; NULL when it is not a list. */
static cJSON *list_member(cJSON *obj, const char *key)
{
	cJSON *l = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!l || cJSON_IsNull(l)) {
		l = cJSON_CreateArray();
		set_member(obj, key, l);
	}
	return cJSON_IsArray(l) ? l : NULL;
}

/* kustomize's TypeMeta defaults, first in the file. */
static void add_type_meta(cJSON *k)
{
	static const char *const keys[] = { "kind", "apiVersion" };
	static const char *const vals[] = { "Kustomization",
					    "kustomize.config.k8s.io/v1beta1" };

	for (size_t i = 0; i < 2; i++) {
		cJSON *item;

		if (cJSON_GetObjectItemCaseSensitive(k, keys[i]))
			continue;
		item = cJSON_CreateString(vals[i]);
		item->string = gc_xstrdup(keys[i]);
		item->next = k->child;
		if (k->child) {
			item->prev = k->child->prev;
			k->child->prev = item;
		} else {
			item->prev = item;
		}
		k->child = item;
	}
}

/* The found kustomization, or the generated one (findOrGenerate...). */
static int base_kustomization(cJSON **out, const gc_flux_ks *ks,
			      const char *kust, size_t len,
			      const char *const *resources, size_t nres,
			      gc_problems *problems)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_buf path = GC_BUF_INIT;
	cJSON *k = NULL;
	int error = 0;

	if (!kust) {
		k = cJSON_CreateObject();
		add_type_meta(k);
		if (!nres)
			cJSON_AddStringToObject(k, "namespace", "_placeholder");
		else
			cJSON_AddItemToObject(k, "resources",
					      cJSON_CreateArray());
		for (size_t i = 0; i < nres; i++) {
			gc_buf_clear(&path);
			gc_buf_addf(&path, "%s%s",
				    strncmp(resources[i], "./", 2) ? "./" : "",
				    resources[i]);
			cJSON_AddItemToArray(cJSON_GetObjectItem(k,
								 "resources"),
					     cJSON_CreateString(path.ptr));
		}
		goto done;
	}
	gc_buf_addf(&path, "%s%skustomization.yaml", ks->path,
		    *ks->path ? "/" : "");
	if ((error = gc_yaml_parse(&docs, path.ptr, kust, len, &err)) < 0) {
		gc_problems_add_error(problems, &err);
		goto done;
	}
	if (docs.n && !cJSON_IsObject(docs.v[0]->root)) {
		error = error_at(problems, docs.v[0], docs.v[0]->root, false,
				 "a kustomization must be a mapping, not %s",
				 gc_json_type_name(docs.v[0]->root));
		goto done;
	}
	if (docs.n) {
		k = docs.v[0]->root;
		docs.v[0]->root = NULL;
	} else {
		k = cJSON_CreateObject();
	}
	add_type_meta(k);
	/* "if there are no resources, set the build metadata" */
	if (!list_len(cJSON_GetObjectItemCaseSensitive(k, "resources"))) {
		cJSON *bm = cJSON_CreateArray();

		cJSON_AddItemToArray(bm,
				     cJSON_CreateString("originAnnotations"));
		set_member(k, "buildMetadata", bm);
	}
done:
	if (error < 0) {
		cJSON_Delete(k);
		k = NULL;
	}
	*out = k;
	gc_doclist_release(&docs);
	gc_error_release(&err);
	gc_buf_release(&path);
	return error;
}

/* kustomize's Selector from Flux's (adaptSelector): the fields set. */
static cJSON *adapt_selector(const cJSON *target)
{
	cJSON *sel = cJSON_CreateObject();

	for (const cJSON *f = target->child; f; f = f->next)
		if (cJSON_IsString(f) && *f->valuestring)
			cJSON_AddStringToObject(sel, f->string, f->valuestring);
	return sel;
}

static int add_patches(cJSON *k, const gc_flux_ks *ks, gc_problems *problems)
{
	const cJSON *patches = gc_json_get(ks->spec, "patches");
	cJSON *list;

	if (!list_len(patches))
		return 0;
	if (!(list = list_member(k, "patches")))
		return error_at(
			problems, ks->doc, patches, true,
			"spec.patches: the kustomization's patches is not a list");
	for (const cJSON *p = patches->child; p; p = p->next) {
		cJSON *kp = cJSON_CreateObject();
		const cJSON *target = gc_json_get(p, "target");

		cJSON_AddStringToObject(kp, "patch", gc_json_str(p, "patch"));
		if (cJSON_IsObject(target))
			cJSON_AddItemToObject(kp, "target",
					      adapt_selector(target));
		cJSON_AddItemToArray(list, kp);
	}
	return 0;
}

/* IsLocalRelativePath: no remote prefix, not absolute. */
static bool is_local_relative(const char *path)
{
	static const char *const remote[] = {
		"git::",   "gh:",  "ssh://",      "https://",
		"http://", "git@", "github.com:", "github.com/"
	};

	for (size_t i = 0; i < GC_ARRAY_SIZE(remote); i++) {
		size_t n = strlen(remote[i]);

		if (n < strlen(path) && !strncasecmp(path, remote[i], n))
			return false;
	}
	if (!strncasecmp(path, "file://", 7))
		path += 7;
	return path[0] != '/';
}

static int add_components(cJSON *k, const gc_flux_ks *ks,
			  gc_flux_exists_cb exists, void *payload,
			  gc_problems *problems)
{
	const cJSON *comps = gc_json_get(ks->spec, "components");
	bool ignore = gc_json_bool(ks->spec, "ignoreMissingComponents", false);
	gc_buf joined = GC_BUF_INIT;
	cJSON *list;
	int error = 0;

	if (!list_len(comps))
		return 0;
	if (!(list = list_member(k, "components")))
		return error_at(
			problems, ks->doc, comps, true,
			"spec.components: the kustomization's components is not a list");
	for (const cJSON *c = comps->child; c; c = c->next) {
		char *norm;
		bool escaped, found = true;

		if (!is_local_relative(c->valuestring)) {
			error = error_at(
				problems, ks->doc, c, false,
				"spec.components: component path '%s' must be local and relative",
				c->valuestring);
			continue;
		}
		gc_buf_clear(&joined);
		gc_buf_addf(&joined, "%s/%s", ks->path, c->valuestring);
		norm = normalize_path(joined.ptr, &escaped);
		if (ignore && exists)
			found = !escaped && exists(norm, payload);
		free(norm);
		if (found)
			cJSON_AddItemToArray(list, cJSON_CreateString(
							   c->valuestring));
	}
	gc_buf_release(&joined);
	return error;
}

static void set_str(cJSON *obj, const char *key, const char *value)
{
	set_member(obj, key, cJSON_CreateString(value));
}

/*
 * images: a new name is appended; a name the kustomization already has is
 * merged into its entry (newName if set; newTag and digest together when
 * either is set), as fluxcd/pkg kustomize v1.39.0 does.
 */
static int add_images(cJSON *k, const gc_flux_ks *ks, gc_problems *problems)
{
	const cJSON *images = gc_json_get(ks->spec, "images");
	cJSON *list;

	if (!list_len(images))
		return 0;
	if (!(list = list_member(k, "images")))
		return error_at(
			problems, ks->doc, images, true,
			"spec.images: the kustomization's images is not a list");
	for (const cJSON *im = images->child; im; im = im->next) {
		const char *name = gc_json_str(im, "name");
		const char *nn = gc_json_str(im, "newName");
		const char *tag = gc_json_str(im, "newTag");
		const char *digest = gc_json_str(im, "digest");
		cJSON *e = NULL;

		for (cJSON *x = list->child; x && !e; x = x->next) {
			const char *xn = gc_json_str(x, "name");

			if (cJSON_IsObject(x) && !strcmp(xn ? xn : "", name))
				e = x;
		}
		if (!e) {
			e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "name", name);
			cJSON_AddItemToArray(list, e);
		}
		if (nn && *nn)
			set_str(e, "newName", nn);
		if ((tag && *tag) || (digest && *digest)) {
			cJSON_DeleteItemFromObjectCaseSensitive(e, "newTag");
			cJSON_DeleteItemFromObjectCaseSensitive(e, "digest");
			if (tag && *tag)
				set_str(e, "newTag", tag);
			if (digest && *digest)
				set_str(e, "digest", digest);
		}
	}
	return 0;
}

int gc_flux_kustomization(const gc_flux_ks *ks, const char *kust, size_t len,
			  const char *const *resources, size_t nres,
			  gc_flux_exists_cb exists, void *payload, gc_buf *out,
			  gc_problems *problems)
{
	static const char *const renames[][2] = {
		{ "targetNamespace", "namespace" },
		{ "namePrefix", "namePrefix" },
		{ "nameSuffix", "nameSuffix" },
	};
	const cJSON *bm = gc_json_get(ks->spec, "buildMetadata");
	gc_error err = GC_ERROR_INIT;
	cJSON *k = NULL;
	const cJSON *docs[1];
	int error;

	if ((error = base_kustomization(&k, ks, kust, len, resources, nres,
					problems)) < 0)
		return error;
	for (size_t i = 0; i < GC_ARRAY_SIZE(renames); i++) {
		const char *v = gc_json_str(ks->spec, renames[i][0]);

		if (v)
			set_str(k, renames[i][1], v);
	}
	error = add_patches(k, ks, problems);
	if (add_components(k, ks, exists, payload, problems) < 0 ||
	    add_images(k, ks, problems) < 0)
		error = GC_EINVALID;
	if (list_len(bm))
		set_member(k, "buildMetadata", gc_json_dup(bm));
	if (error < 0)
		goto cleanup;
	docs[0] = k;
	if ((error = gc_yaml_emit(out, docs, 1, &err)) < 0)
		gc_problems_add_error(problems, &err);
cleanup:
	cJSON_Delete(k);
	gc_error_release(&err);
	return error;
}

/* ---- postBuild variables (kustomize_varsub.go LoadVariables) ---- */

void gc_flux_vars_release(gc_map *vars)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(vars, &i, &e);)
		free(e->value);
	gc_map_release(vars);
}

/* varsubRegex ^[_[:alpha:]][_[:alpha:][:digit:]]*$ */
static bool var_name_ok(const char *s)
{
	if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
	      (*s >= 'A' && *s <= 'Z')))
		return false;
	for (s++; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* Stores name = value with newlines removed ("\n" -> ""). */
static void put_var(gc_map *vars, const char *name, const char *value,
		    size_t len)
{
	char *v = gc_xmalloc(len + 1), *old;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (value[i] != '\n')
			v[n++] = value[i];
	v[n] = '\0';
	if ((old = gc_map_sets(vars, name, v)))
		free(old);
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Go's base64.StdEncoding (padded); false on bad input. */
static bool b64_decode(gc_buf *out, const char *s)
{
	size_t n = strlen(s);

	if (n % 4)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		unsigned bits;

		for (size_t j = 0; j < 4; j++) {
			v[j] = b64_value((unsigned char)s[i + j]);
			if (v[j] < 0 &&
			    !(s[i + j] == '=' && i + 4 == n && j >= 2))
				return false;
		}
		if (v[2] < 0 && v[3] >= 0)
			return false;
		bits = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
		       (unsigned)(v[2] < 0 ? 0 : v[2]) << 6 |
		       (unsigned)(v[3] < 0 ? 0 : v[3]);
		gc_buf_addch(out, (char)(bits >> 16));
		if (v[2] >= 0)
			gc_buf_addch(out, (char)(bits >> 8 & 0xff));
		if (v[3] >= 0)
			gc_buf_addch(out, (char)(bits & 0xff));
	}
	return true;
}

/* One substituteFrom source's data into vars. */
static int load_source(gc_map *vars, const gc_flux_ks *ks, const cJSON *ref,
		       const cJSON *src, bool secret, gc_problems *problems)
{
	static const char *const maps[] = { "data", "stringData" };
	const char *name = gc_json_str(ref, "name");
	gc_buf val = GC_BUF_INIT;
	int error = 0;

	for (size_t m = 0; m < (secret ? 2u : 1u); m++) {
		const cJSON *data = gc_json_get(src, maps[m]);

		for (const cJSON *e = cJSON_IsObject(data) ? data->child : NULL;
		     e; e = e->next) {
			gc_buf_clear(&val);
			if (!cJSON_IsString(e) ||
			    (secret && !m &&
			     !b64_decode(&val, e->valuestring))) {
				error = error_at(
					problems, ks->doc, ref, false,
					"spec.postBuild.substituteFrom: %s/%s: %s.%s is not %s",
					secret ? "Secret" : "ConfigMap", name,
					maps[m], e->string,
					secret && !m ? "base64" : "a string");
				continue;
			}
			if (!var_name_ok(e->string)) {
				error = error_at(
					problems, ks->doc, ref, false,
					"spec.postBuild.substituteFrom: %s/%s: '%s' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'",
					secret ? "Secret" : "ConfigMap", name,
					e->string);
				continue;
			}
			if (secret && !m)
				put_var(vars, e->string, val.ptr, val.len);
			else
				put_var(vars, e->string, e->valuestring,
					strlen(e->valuestring));
		}
	}
	gc_buf_release(&val);
	return error;
}

int gc_flux_vars(gc_map *vars, const gc_flux_ks *ks, gc_flux_lookup_cb lookup,
		 void *payload, gc_problems *problems)
{
	const cJSON *pb = gc_json_get(ks->spec, "postBuild");
	const cJSON *from = gc_json_get(pb, "substituteFrom");
	const cJSON *subst = gc_json_get(pb, "substitute");
	int error = 0;

	for (const cJSON *ref = cJSON_IsArray(from) ? from->child : NULL; ref;
	     ref = ref->next) {
		const char *kind = gc_json_str(ref, "kind");
		const char *name = gc_json_str(ref, "name");
		const cJSON *src = lookup(kind, ks->namespace, name, payload);

		if (!src) {
			if (!gc_json_bool(ref, "optional", false))
				error = error_at(
					problems, ks->doc, ref, false,
					"spec.postBuild.substituteFrom: substitute from '%s/%s' error: no %s '%s' in namespace '%s' of the source",
					kind, name, kind, name, ks->namespace);
			continue;
		}
		if (load_source(vars, ks, ref, src, !strcmp(kind, "Secret"),
				problems) < 0)
			error = GC_EINVALID;
	}
	for (const cJSON *e = cJSON_IsObject(subst) ? subst->child : NULL; e;
	     e = e->next) {
		if (!var_name_ok(e->string)) {
			error = error_at(
				problems, ks->doc, e, true,
				"spec.postBuild.substitute.%s: var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'",
				e->string);
			continue;
		}
		put_var(vars, e->string, e->valuestring,
			strlen(e->valuestring));
	}
	return error;
}

/* ---- postBuild and commonMetadata on a built object ---- */

#define SUBST_KEY GC_FLUX_GROUP "/substitute"

typedef struct pctx {
	const gc_flux_ks *ks;
	const gc_map *vars;
	const gc_doc *doc; /* obj_doc, or NULL */
	gc_problems *p;
	gc_buf path; /* the field path, for messages */
	int errors;
} pctx;

static void perr(pctx *c, const cJSON *n, bool at_key, const char *what)
{
	const gc_doc *doc = c->doc ? c->doc : c->ks->doc;
	const cJSON *at = c->doc ? n : gc_json_get(c->ks->spec, "postBuild");

	error_at(c->p, doc, at, at_key,
		 "%s: postBuild of Kustomization '%s/%s': %s",
		 *c->path.ptr ? c->path.ptr : "(object)", c->ks->namespace,
		 c->ks->name, what);
	c->errors++;
}

static bool lookup_var(const char *name, size_t len, const char **value,
		       void *payload)
{
	const pctx *c = payload;

	*value = gc_map_get(c->vars, name, len);
	return *value != NULL;
}

/*
 * Whether go-yaml v2 (sigs.k8s.io/yaml JSONToYAML, what Resource.AsYAML
 * writes before envsubst runs) emits the string s as a plain scalar in
 * block context: libyaml's yaml_emitter_analyze_scalar, for strings that
 * hold a '$' (never a number, boolean or null).
 */
static bool emitted_plain(const char *s)
{
	size_t n = strlen(s);

	if (!n || s[0] == ' ' || s[n - 1] == ' ' ||
	    strchr("#,[]{}&*!|>'\"%@`", s[0]) ||
	    (strchr("?:-", s[0]) && (s[1] == ' ' || !s[1])) ||
	    !strncmp(s, "---", 3) || !strncmp(s, "...", 3))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			return false; /* breaks, tabs: literal or quoted */
		if (ch == ':' && (s[i + 1] == ' ' || !s[i + 1]))
			return false;
		if (ch == '#' && i && s[i - 1] == ' ')
			return false;
	}
	return true;
}

/* Makes dst (a string node) hold src's value; dst keeps its address. */
static void become(cJSON *dst, cJSON *src)
{
	if (dst->valuestring && !(dst->type & cJSON_IsReference))
		cJSON_free(dst->valuestring);
	dst->type = (src->type & 0xff) | (dst->type & cJSON_StringIsConst);
	dst->valuestring = src->valuestring;
	dst->valuedouble = src->valuedouble;
	dst->valueint = src->valueint;
	dst->child = src->child;
	src->valuestring = NULL;
	src->child = NULL;
	cJSON_Delete(src);
}

static void set_string(cJSON *n, const char *s)
{
	cJSON *tmp = cJSON_CreateString(s);

	if (!tmp)
		GC_BUG("cJSON_CreateString failed");
	become(n, tmp);
}

/*
 * The substituted text of a plain scalar, read back as YAMLToJSON reads
 * it: as the value of a one-line YAML mapping.
 */
static void reread(pctx *c, cJSON *n, const char *text)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_buf src = GC_BUF_INIT, msg = GC_BUF_INIT;
	cJSON *v;

	gc_buf_addf(&src, "v: %s\n", text);
	if (gc_yaml_parse(&docs, "postBuild", src.ptr, src.len, &err) < 0 ||
	    docs.n != 1 || !cJSON_IsObject(docs.v[0]->root) ||
	    !(v = cJSON_DetachItemFromObjectCaseSensitive(docs.v[0]->root,
							  "v"))) {
		gc_buf_addf(&msg,
			    "'%s' is not a YAML value after substitution%s%s",
			    text, err.msg ? ": " : "", err.msg ? err.msg : "");
		perr(c, n, false, msg.ptr);
	} else {
		become(n, v);
	}
	gc_doclist_release(&docs);
	gc_error_release(&err);
	gc_buf_release(&src);
	gc_buf_release(&msg);
}

/* Substitutes s; NULL (with a problem) on error. Owned. */
static char *subst(pctx *c, const cJSON *n, bool at_key, const char *s)
{
	gc_buf out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	char *res = NULL;

	if (gc_envsubst_eval(&out, s, lookup_var, c, c->ks->strict, &err) < 0)
		perr(c, n, at_key, err.msg);
	else
		res = gc_buf_detach(&out, NULL);
	gc_buf_release(&out);
	gc_error_release(&err);
	return res;
}

static void subst_tree(pctx *c, cJSON *n)
{
	size_t mark = c->path.len;
	int i = 0;

	if (cJSON_IsString(n) && strchr(n->valuestring, '$')) {
		char *r = subst(c, n, false, n->valuestring);

		/* unchanged text reads back the same */
		if (r && strcmp(r, n->valuestring) &&
		    emitted_plain(n->valuestring))
			reread(c, n, r);
		else if (r && strcmp(r, n->valuestring))
			set_string(n, r);
		free(r);
		return;
	}
	for (cJSON *m = n->child; m; m = m->next, i++) {
		if (cJSON_IsObject(n) && m->string && strchr(m->string, '$')) {
			char *r = subst(c, m, true, m->string);

			if (r) {
				if (!(m->type & cJSON_StringIsConst))
					cJSON_free(m->string);
				m->type &= ~cJSON_StringIsConst;
				m->string = cJSON_malloc(strlen(r) + 1);
				memcpy(m->string, r, strlen(r) + 1);
			}
			free(r);
		}
		if (cJSON_IsObject(n))
			gc_buf_addf(&c->path, "%s%s", mark ? "." : "",
				    m->string);
		else
			gc_buf_addf(&c->path, "[%d]", i);
		subst_tree(c, m);
		gc_buf_truncate(&c->path, mark);
	}
}

static bool opted_out(const cJSON *obj)
{
	static const char *const maps[] = { "labels", "annotations" };
	const cJSON *meta = gc_json_get(obj, "metadata");

	for (size_t i = 0; i < 2; i++) {
		const cJSON *m =
			cJSON_GetObjectItemCaseSensitive(meta, maps[i]);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, SUBST_KEY);

		if (cJSON_IsString(v) && !strcmp(v->valuestring, "disabled"))
			return true;
	}
	return false;
}

/* SetCommonMetadata: every key set, existing ones overridden. */
static void common_metadata(cJSON *obj, const cJSON *cm)
{
	static const char *const maps[] = { "labels", "annotations" };

	for (size_t i = 0; i < 2; i++) {
		const cJSON *add =
			cJSON_GetObjectItemCaseSensitive(cm, maps[i]);
		cJSON *meta, *dst;

		if (!cJSON_IsObject(add) || !add->child)
			continue;
		meta = gc_json_obj(obj, "metadata");
		dst = cJSON_GetObjectItemCaseSensitive(meta, maps[i]);
		if (!cJSON_IsObject(dst)) {
			dst = cJSON_CreateObject();
			set_member(meta, maps[i], dst);
		}
		for (const cJSON *e = add->child; e; e = e->next)
			set_str(dst, e->string, e->valuestring);
	}
}

int gc_flux_post_build(const gc_flux_ks *ks, const gc_map *vars, cJSON *obj,
		       const gc_doc *obj_doc, gc_problems *problems)
{
	const cJSON *pb = gc_json_get(ks->spec, "postBuild");
	const char *strategy = gc_json_str(pb, "substituteStrategy");
	pctx c = { ks, vars, obj_doc, problems, GC_BUF_INIT, 0 };

	if (cJSON_IsObject(pb) && !opted_out(obj) &&
	    (vars->len || (strategy && !strcmp(strategy, "Always"))))
		subst_tree(&c, obj);
	gc_buf_release(&c.path);
	common_metadata(obj, gc_json_get(ks->spec, "commonMetadata"));
	return c.errors ? GC_EINVALID : 0;
}
