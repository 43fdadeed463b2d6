/*
 * Config tracking (flagger-behaviour.md §4.2, §2.5): the ConfigMaps and
 * Secrets a pod template references, the primary's "<name>-primary"
 * copies of them, and Flagger's checksum of each, from which both the
 * trackedConfigs status map and the flagger-id input are made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#include "revision.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

/* ---- config references (§4.2) ---- */

typedef void (*ref_fn)(const char *kind, cJSON *name, bool optional,
		       void *payload);

static void visit_ref(cJSON *holder, const char *key, const char *kind,
		      ref_fn fn, void *payload)
{
	cJSON *name = cJSON_GetObjectItemCaseSensitive(holder, key);

	if (cJSON_IsString(name))
		fn(kind, name, gc_json_bool(holder, "optional", false),
		   payload);
}

static void walk_containers(cJSON *list, ref_fn fn, void *payload)
{
	cJSON *ctr, *e;

	cJSON_ArrayForEach (ctr, list) {
		cJSON_ArrayForEach (e, cJSON_GetObjectItem(ctr, "env")) {
			cJSON *from = cJSON_GetObjectItem(e, "valueFrom");

			visit_ref(cJSON_GetObjectItem(from, "configMapKeyRef"),
				  "name", "ConfigMap", fn, payload);
			visit_ref(cJSON_GetObjectItem(from, "secretKeyRef"),
				  "name", "Secret", fn, payload);
		}
		cJSON_ArrayForEach (e, cJSON_GetObjectItem(ctr, "envFrom")) {
			visit_ref(cJSON_GetObjectItem(e, "configMapRef"),
				  "name", "ConfigMap", fn, payload);
			visit_ref(cJSON_GetObjectItem(e, "secretRef"), "name",
				  "Secret", fn, payload);
		}
	}
}

/*
 * Calls fn for every ConfigMap/Secret reference of pod_spec. The walk
 * writes nothing; fn gets the name item as cJSON's getters hand it out, so
 * a caller that owns the spec may rename it.
 */
static void walk_refs(const cJSON *pod_spec, ref_fn fn, void *payload)
{
	cJSON *vol, *src, *srcs;

	cJSON_ArrayForEach (vol, cJSON_GetObjectItem(pod_spec, "volumes")) {
		visit_ref(cJSON_GetObjectItem(vol, "configMap"), "name",
			  "ConfigMap", fn, payload);
		visit_ref(cJSON_GetObjectItem(vol, "secret"), "secretName",
			  "Secret", fn, payload);
		srcs = cJSON_GetObjectItem(cJSON_GetObjectItem(vol,
							       "projected"),
					   "sources");
		cJSON_ArrayForEach (src, srcs) {
			visit_ref(cJSON_GetObjectItem(src, "configMap"), "name",
				  "ConfigMap", fn, payload);
			visit_ref(cJSON_GetObjectItem(src, "secret"), "name",
				  "Secret", fn, payload);
		}
	}
	walk_containers(cJSON_GetObjectItem(pod_spec, "initContainers"), fn,
			payload);
	walk_containers(cJSON_GetObjectItem(pod_spec, "containers"), fn,
			payload);
}

typedef struct tracked {
	const char *kind;
	const char *name;
	const cJSON *obj;
} tracked;

/* The tracked objects of one pod spec, collected by walk_refs. */
typedef struct scan {
	const gc_rctx *c;
	gc_render_source src; /* the input the pod spec belongs to */
	gc_render_lookup_fn lookup;
	void *payload;
	tracked *v;
	size_t n, alloc;
	int error;
} scan;

static bool trackable(const char *kind, const cJSON *obj)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(
		gc_json_get(obj, "metadata.annotations"),
		"flagger.app/config-tracking");
	const char *mode = cJSON_IsString(ann) ? ann->valuestring : NULL;
	static const char *const types[] = { "Opaque",
					     "kubernetes.io/basic-auth",
					     "kubernetes.io/ssh-auth",
					     "kubernetes.io/tls" };
	const char *type;

	if (mode && !strncmp(mode, "disable", 7))
		return false;
	if (strcmp(kind, "Secret"))
		return true;
	type = gc_json_str(obj, "type");
	if (!type || !*type)
		return true;
	for (size_t i = 0; i < GC_ARRAY_SIZE(types); i++)
		if (!strcmp(type, types[i]))
			return true;
	return false;
}

static void scan_ref(const char *kind, cJSON *name, bool optional,
		     void *payload)
{
	scan *s = payload;
	const cJSON *obj;

	if (s->error)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].kind, kind) &&
		    !strcmp(s->v[i].name, name->valuestring))
			return;
	obj = s->lookup ? s->lookup(kind, name->valuestring, s->payload) : NULL;
	if (!obj) {
		if (!optional)
			s->error = gc_render__fail(
				s->c, GC_ENOTFOUND, s->src, name,
				"deployment '%s/%s' references %s '%s', which does not exist",
				s->c->ns, s->c->target,
				kind[0] == 'C' ? "configmap" : "secret",
				name->valuestring);
		return;
	}
	if (!trackable(kind, obj))
		return;
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 4;
		s->v = gc_xrealloc(s->v, s->alloc * sizeof(*s->v));
	}
	s->v[s->n].kind = kind;
	s->v[s->n].name = name->valuestring;
	s->v[s->n].obj = obj;
	s->n++;
}

static void rename_ref(const char *kind, cJSON *name, bool optional,
		       void *payload)
{
	scan *s = payload;
	char *renamed;

	(void)optional;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].kind, kind) ||
		    strcmp(s->v[i].name, name->valuestring))
			continue;
		renamed = gc_xasprintf("%s-primary", name->valuestring);
		cJSON_SetValuestring(name, renamed);
		free(renamed);
		return;
	}
}

static int cmp_tracked(const void *a, const void *b)
{
	const tracked *x = a, *y = b;
	int k = strcmp(x->kind, y->kind);

	return k ? k : strcmp(x->name, y->name);
}

/*
 * Collects the tracked objects `template`'s pod spec references, sorted by
 * kind ("ConfigMap" before "Secret") and name. GC_ENOTFOUND for a missing
 * mandatory reference; s->v is then freed.
 */
static int scan_template(scan *s, const cJSON *template)
{
	walk_refs(gc_json_get(template, "spec"), scan_ref, s);
	if (s->error) {
		free(s->v);
		s->v = NULL;
		return s->error;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_tracked);
	return 0;
}

/* ---- Flagger's checksum (§2.5) ---- */

/*
 * A string as Go's encoding/json writes it (json.Marshal, HTML escaping
 * on, Go >= 1.22): \" \\ \b \f \n \r \t, other bytes below 0x20 as
 * \u00xx, < > & as \u003c \u003e \u0026, U+2028/U+2029 as \u2028/\u2029.
 * Other UTF-8 is copied (the YAML parser only yields valid UTF-8).
 */
static void go_json_string(gc_buf *out, const char *s)
{
	gc_buf_addch(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
		case '\\':
			gc_buf_addch(out, '\\');
			gc_buf_addch(out, (char)c);
			break;
		case '\b':
			gc_buf_adds(out, "\\b");
			break;
		case '\f':
			gc_buf_adds(out, "\\f");
			break;
		case '\n':
			gc_buf_adds(out, "\\n");
			break;
		case '\r':
			gc_buf_adds(out, "\\r");
			break;
		case '\t':
			gc_buf_adds(out, "\\t");
			break;
		case '<':
		case '>':
		case '&':
			gc_buf_addf(out, "\\u%04x", c);
			break;
		default:
			if (c < 0x20) {
				gc_buf_addf(out, "\\u%04x", c);
			} else if (c == 0xe2 && (unsigned char)s[1] == 0x80 &&
				   ((unsigned char)s[2] == 0xa8 ||
				    (unsigned char)s[2] == 0xa9)) {
				gc_buf_addf(out, "\\u20%02x",
					    (unsigned char)s[2] - 0xa8 + 0x28);
				s += 2;
			} else {
				gc_buf_addch(out, (char)c);
			}
		}
	}
	gc_buf_addch(out, '"');
}

static int cmp_members(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a;
	const cJSON *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

/*
 * A map[string]string (or map[string][]byte, whose values are already
 * base64) as Go's json.Marshal writes it: keys sorted bytewise, no
 * spaces; a nil map is `null`. The API server drops an empty map
 * (omitempty), so Flagger reads `{}` back as nil: empty is `null` too.
 */
static void go_json_map(gc_buf *out, const cJSON *map)
{
	const cJSON **members;
	size_t n = 0, i = 0;

	for (const cJSON *m = cJSON_IsObject(map) ? map->child : NULL; m;
	     m = m->next)
		n++;
	if (!n) {
		gc_buf_adds(out, "null");
		return;
	}
	members = gc_xcalloc(n, sizeof(*members));
	for (const cJSON *m = map->child; m; m = m->next)
		members[i++] = m;
	qsort(members, n, sizeof(*members), cmp_members);
	gc_buf_addch(out, '{');
	for (i = 0; i < n; i++) {
		if (i)
			gc_buf_addch(out, ',');
		go_json_string(out, members[i]->string);
		gc_buf_addch(out, ':');
		if (cJSON_IsString(members[i]))
			go_json_string(out, members[i]->valuestring);
		else /* not a valid ConfigMap; hashed as written */
			gc_revision_canonical(out, members[i]);
	}
	gc_buf_addch(out, '}');
	free(members);
}

/*
 * The .data the API server holds for a Secret: data, with every
 * stringData entry base64-encoded over it (stringData wins). Owned.
 */
static cJSON *secret_data(const cJSON *obj)
{
	cJSON *data = cJSON_IsObject(gc_json_get(obj, "data"))
			      ? gc_json_dup(gc_json_get(obj, "data"))
			      : cJSON_CreateObject();
	const cJSON *sd = gc_json_get(obj, "stringData");

	for (const cJSON *m = cJSON_IsObject(sd) ? sd->child : NULL; m;
	     m = m->next) {
		const char *v = cJSON_IsString(m) ? m->valuestring : "";
		size_t len = strlen(v);
		unsigned char *b64 = gc_xmalloc(4 * ((len + 2) / 3) + 1);

		EVP_EncodeBlock(b64, (const unsigned char *)v, (int)len);
		cJSON_DeleteItemFromObjectCaseSensitive(data, m->string);
		gc_json_add_str(data, m->string, (const char *)b64);
		free(b64);
	}
	return data;
}

void gc_render_config_checksum(char out[GC_RENDER_CHECKSUM_MAX],
			       const char *kind, const cJSON *obj)
{
	gc_buf json = GC_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	cJSON *data = NULL;

	if (!strcmp(kind, "Secret"))
		data = secret_data(obj);
	go_json_map(&json, data ? data : gc_json_get(obj, "data"));
	if (!EVP_Digest(json.ptr, json.len, md, &len, EVP_sha256(), NULL))
		GC_BUG("sha256 unavailable");
	for (size_t i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	cJSON_Delete(data);
	gc_buf_release(&json);
}

int gc_render_tracked_configs(cJSON **out, const gc_render_input *in,
			      gc_error *err)
{
	gc_rctx c;
	scan s = { 0 };
	cJSON *map;
	char sum[GC_RENDER_CHECKSUM_MAX];
	int error;

	memset(&c, 0, sizeof(c));
	c.err = err;
	if ((error = gc_render__setup(&c, in)) < 0)
		return error;
	s.c = &c;
	s.src = GC_RENDER_SRC_TARGET;
	s.lookup = in->lookup;
	s.payload = in->lookup_payload;
	if ((error = scan_template(&s, c.template)) < 0)
		return error;
	map = cJSON_CreateObject();
	for (size_t i = 0; i < s.n; i++) {
		char *key = gc_xasprintf("%s/%s",
					 s.v[i].kind[0] == 'C' ? "configmap"
							       : "secret",
					 s.v[i].name);

		gc_render_config_checksum(sum, s.v[i].kind, s.v[i].obj);
		gc_json_add_str(map, key, sum);
		free(key);
	}
	free(s.v);
	*out = map;
	return 0;
}

/* ---- the primary's copies (§4.2) ---- */

static cJSON *config_copy(const gc_rctx *c, const tracked *t, gc_buf *sums)
{
	char *name = gc_xasprintf("%s-primary", t->name);
	cJSON *labels =
		gc_render__prefixed(c, gc_json_get(t->obj, "metadata.labels"));
	cJSON *obj = gc_render__object("v1", t->kind,
				       gc_render__meta(c, name, labels, NULL));
	const char *fields[] = { "data", "stringData" };
	char sum[GC_RENDER_CHECKSUM_MAX];

	if (!strcmp(t->kind, "Secret"))
		gc_json_add_str(obj, "type",
				gc_json_str(t->obj, "type")
					? gc_json_str(t->obj, "type")
					: "Opaque");
	for (size_t i = 0; i < GC_ARRAY_SIZE(fields); i++) {
		const cJSON *d = gc_json_get(t->obj, fields[i]);

		if (d)
			gc_render__add(obj, fields[i], gc_json_dup(d));
	}
	gc_render_config_checksum(sum, t->kind, t->obj);
	gc_buf_addf(sums, "%s%s/%s=%s", sums->len ? "," : "", t->kind, t->name,
		    sum);
	cJSON_Delete(labels);
	free(name);
	return obj;
}

int gc_render__configs(const gc_rctx *c, cJSON *out, cJSON **primary_spec,
		       char **checksums)
{
	scan s = { 0 };
	cJSON *spec;
	gc_buf sums = GC_BUF_INIT;
	int error;

	s.c = c;
	s.src = c->st->promoted_template ? GC_RENDER_SRC_PROMOTED
					 : GC_RENDER_SRC_TARGET;
	s.lookup = c->in->lookup;
	s.payload = c->in->lookup_payload;
	if (c->st->promoted_lookup) {
		s.lookup = c->st->promoted_lookup;
		s.payload = c->st->promoted_payload;
	}
	if ((error = scan_template(&s, c->primary_template)) < 0)
		return error;
	spec = gc_json_dup(gc_json_get(c->primary_template, "spec"));
	walk_refs(spec, rename_ref, &s);
	for (size_t i = 0; i < s.n; i++)
		cJSON_AddItemToArray(out, config_copy(c, &s.v[i], &sums));
	free(s.v);
	*primary_spec = spec;
	*checksums = gc_buf_detach(&sums, NULL);
	return 0;
}
