/*
 * The strict schema of a kustomize.toolkit.fluxcd.io/v1 Kustomization: every
 * field of api/v1/kustomization_types.go (fluxcd/kustomize-controller) and
 * the CRD's enums, patterns and lengths, walked as reconciler/release
 * validate.c walks Flagger's (own tables: repo-layout cannot depend on the
 * reconciler).
 */
#include "repo-layout/flux_internal.h"

#include <stdarg.h>
#include <string.h>

#include "util/json.h"

typedef enum ftype { T_STR, T_BOOL, T_OBJ, T_OBJARR, T_STRARR, T_STRMAP } ftype;

enum { F_REQ = 1 << 0, F_DURATION = 1 << 1, F_MIN1 = 1 << 2 };

typedef struct field {
	const char *key;
	ftype type;
	unsigned flags;
	const char *const *enumv; /* NULL-terminated; for T_STRARR: items */
	const struct field *sub;
} field;

#define END                                \
	{                                  \
		NULL, T_STR, 0, NULL, NULL \
	}

static const char *const e_sops[] = { "sops", NULL };
static const char *const e_strategy[] = { "WithVariables", "Always", NULL };
static const char *const e_subst_kind[] = { "Secret", "ConfigMap", NULL };
static const char *const e_deletion[] = { "MirrorPrune", "Delete",
					  "WaitForTermination", "Orphan",
					  NULL };
static const char *const e_source_kind[] = { "OCIRepository", "GitRepository",
					     "Bucket", "ExternalArtifact",
					     NULL };
static const char *const e_build_metadata[] = { "originAnnotations",
						"transformerAnnotations",
						NULL };

static const field s_name_only[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	END,
};
static const field s_metadata[] = {
	{ "annotations", T_STRMAP, 0, NULL, NULL },
	{ "labels", T_STRMAP, 0, NULL, NULL },
	END,
};
static const field s_depends_on[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "namespace", T_STR, 0, NULL, NULL },
	{ "readyExpr", T_STR, 0, NULL, NULL },
	END,
};
static const field s_decryption[] = {
	{ "provider", T_STR, F_REQ, e_sops, NULL },
	{ "serviceAccountName", T_STR, 0, NULL, NULL },
	{ "secretRef", T_OBJ, 0, NULL, s_name_only },
	END,
};
static const field s_secret_key_ref[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "key", T_STR, 0, NULL, NULL },
	END,
};
static const field s_kubeconfig[] = {
	{ "configMapRef", T_OBJ, 0, NULL, s_name_only },
	{ "secretRef", T_OBJ, 0, NULL, s_secret_key_ref },
	END,
};
static const field s_subst_from[] = {
	{ "kind", T_STR, F_REQ, e_subst_kind, NULL },
	{ "name", T_STR, F_REQ | F_MIN1, NULL, NULL },
	{ "optional", T_BOOL, 0, NULL, NULL },
	END,
};
static const field s_post_build[] = {
	{ "substituteStrategy", T_STR, 0, e_strategy, NULL },
	{ "substitute", T_STRMAP, 0, NULL, NULL },
	{ "substituteFrom", T_OBJARR, 0, NULL, s_subst_from },
	END,
};
static const field s_health_check[] = {
	{ "apiVersion", T_STR, 0, NULL, NULL },
	{ "kind", T_STR, F_REQ, NULL, NULL },
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "namespace", T_STR, 0, NULL, NULL },
	END,
};
static const field s_selector[] = {
	{ "group", T_STR, 0, NULL, NULL },
	{ "version", T_STR, 0, NULL, NULL },
	{ "kind", T_STR, 0, NULL, NULL },
	{ "namespace", T_STR, 0, NULL, NULL },
	{ "name", T_STR, 0, NULL, NULL },
	{ "annotationSelector", T_STR, 0, NULL, NULL },
	{ "labelSelector", T_STR, 0, NULL, NULL },
	END,
};
static const field s_patch[] = {
	{ "patch", T_STR, F_REQ, NULL, NULL },
	{ "target", T_OBJ, 0, NULL, s_selector },
	END,
};
static const field s_image[] = {
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "newName", T_STR, 0, NULL, NULL },
	{ "newTag", T_STR, 0, NULL, NULL },
	{ "digest", T_STR, 0, NULL, NULL },
	END,
};
static const field s_source_ref[] = {
	{ "apiVersion", T_STR, 0, NULL, NULL },
	{ "kind", T_STR, F_REQ, e_source_kind, NULL },
	{ "name", T_STR, F_REQ, NULL, NULL },
	{ "namespace", T_STR, 0, NULL, NULL },
	END,
};
static const field s_health_expr[] = {
	{ "apiVersion", T_STR, F_REQ, NULL, NULL },
	{ "kind", T_STR, 0, NULL, NULL },
	{ "current", T_STR, F_REQ, NULL, NULL },
	{ "inProgress", T_STR, 0, NULL, NULL },
	{ "failed", T_STR, 0, NULL, NULL },
	END,
};
static const field s_ignore[] = {
	{ "paths", T_STRARR, F_REQ, NULL, NULL },
	{ "target", T_OBJ, 0, NULL, s_selector },
	END,
};
static const field s_spec[] = {
	{ "commonMetadata", T_OBJ, 0, NULL, s_metadata },
	{ "dependsOn", T_OBJARR, 0, NULL, s_depends_on },
	{ "decryption", T_OBJ, 0, NULL, s_decryption },
	{ "interval", T_STR, F_REQ | F_DURATION, NULL, NULL },
	{ "retryInterval", T_STR, F_DURATION, NULL, NULL },
	{ "kubeConfig", T_OBJ, 0, NULL, s_kubeconfig },
	{ "path", T_STR, 0, NULL, NULL },
	{ "postBuild", T_OBJ, 0, NULL, s_post_build },
	{ "prune", T_BOOL, F_REQ, NULL, NULL },
	{ "deletionPolicy", T_STR, 0, e_deletion, NULL },
	{ "healthChecks", T_OBJARR, 0, NULL, s_health_check },
	{ "namePrefix", T_STR, F_MIN1, NULL, NULL },
	{ "nameSuffix", T_STR, F_MIN1, NULL, NULL },
	{ "patches", T_OBJARR, 0, NULL, s_patch },
	{ "images", T_OBJARR, 0, NULL, s_image },
	{ "serviceAccountName", T_STR, 0, NULL, NULL },
	{ "sourceRef", T_OBJ, F_REQ, NULL, s_source_ref },
	{ "suspend", T_BOOL, 0, NULL, NULL },
	{ "targetNamespace", T_STR, F_MIN1, NULL, NULL },
	{ "timeout", T_STR, F_DURATION, NULL, NULL },
	{ "force", T_BOOL, 0, NULL, NULL },
	{ "wait", T_BOOL, 0, NULL, NULL },
	{ "buildMetadata", T_STRARR, 0, e_build_metadata, NULL },
	{ "components", T_STRARR, 0, NULL, NULL },
	{ "ignoreMissingComponents", T_BOOL, 0, NULL, NULL },
	{ "healthCheckExprs", T_OBJARR, 0, NULL, s_health_expr },
	{ "ignore", T_OBJARR, 0, NULL, s_ignore },
	END,
};
static const field s_object[] = {
	{ "apiVersion", T_STR, F_REQ, NULL, NULL },
	{ "kind", T_STR, F_REQ, NULL, NULL },
	{ "metadata", T_OBJ, F_REQ, NULL, NULL },
	{ "spec", T_OBJ, F_REQ, NULL, s_spec },
	{ "status", T_OBJ, 0, NULL, NULL },
	END,
};

typedef struct sctx {
	gc_problems *p;
	const gc_doc *doc;
	int errors;
} sctx;

static void serr(sctx *c, const cJSON *n, bool at_key, const char *fmt, ...)
	GC_PRINTF(4, 5);
static void serr(sctx *c, const cJSON *n, bool at_key, const char *fmt, ...)
{
	gc_loc loc = at_key ? gc_doc_key_loc(c->doc, n) : gc_doc_loc(c->doc, n);
	gc_buf msg = GC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	gc_problems_add(c->p, c->doc->path, loc.line, loc.column, "%s",
			msg.ptr);
	gc_buf_release(&msg);
	c->errors++;
}

/* The CRD pattern ^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$ */
static bool duration_ok(const char *s)
{
	if (!*s)
		return false;
	while (*s) {
		const char *d = s;

		while (*s >= '0' && *s <= '9')
			s++;
		if (s == d)
			return false;
		if (*s == '.') {
			d = ++s;
			while (*s >= '0' && *s <= '9')
				s++;
			if (s == d)
				return false;
		}
		if (s[0] == 'm' && s[1] == 's')
			s += 2;
		else if (*s == 's' || *s == 'm' || *s == 'h')
			s++;
		else
			return false;
	}
	return true;
}

static bool in_enum(const char *const *e, const char *s)
{
	for (; *e; e++)
		if (!strcmp(*e, s))
			return true;
	return false;
}

static void check_enum(sctx *c, const cJSON *n, const char *path,
		       const char *const *e)
{
	gc_buf list = GC_BUF_INIT;

	if (in_enum(e, n->valuestring))
		return;
	for (const char *const *v = e; *v; v++)
		gc_buf_addf(&list, "%s\"%s\"", v == e ? "" : ", ", *v);
	serr(c, n, false, "%s: Unsupported value: \"%s\": supported values: %s",
	     path, n->valuestring, list.ptr);
	gc_buf_release(&list);
}

static void check_fields(sctx *c, const cJSON *obj, const char *path,
			 const field *fields);

static void check_str(sctx *c, const cJSON *n, const char *path, const field *f)
{
	if ((f->flags & F_MIN1) && !*n->valuestring)
		serr(c, n, false,
		     "%s: Invalid value: \"\": should be at least 1 chars long",
		     path);
	else if ((f->flags & F_DURATION) && !duration_ok(n->valuestring))
		serr(c, n, false,
		     "%s: Invalid value: \"%s\": must match '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' (e.g. 10m, 1h30m)",
		     path, n->valuestring);
	else if (f->enumv)
		check_enum(c, n, path, f->enumv);
}

static void check_list(sctx *c, const cJSON *n, const char *path,
		       const field *f)
{
	gc_buf item = GC_BUF_INIT;
	int i = 0;

	for (const cJSON *e = n->child; e; e = e->next, i++) {
		gc_buf_clear(&item);
		gc_buf_addf(&item, "%s[%d]", path, i);
		if (f->type == T_STRARR && !cJSON_IsString(e))
			serr(c, e, false, "%s: must be a string, not %s",
			     item.ptr, gc_json_type_name(e));
		else if (f->type == T_STRARR && f->enumv)
			check_enum(c, e, item.ptr, f->enumv);
		else if (f->type == T_OBJARR && !cJSON_IsObject(e))
			serr(c, e, false, "%s: must be a mapping, not %s",
			     item.ptr, gc_json_type_name(e));
		else if (f->type == T_OBJARR)
			check_fields(c, e, item.ptr, f->sub);
	}
	gc_buf_release(&item);
}

static void check_value(sctx *c, const cJSON *n, const char *path,
			const field *f)
{
	const char *want = NULL;

	switch (f->type) {
	case T_STR:
		if (!cJSON_IsString(n))
			want = "a string";
		else
			check_str(c, n, path, f);
		break;
	case T_BOOL:
		if (!cJSON_IsBool(n))
			want = "a boolean";
		break;
	case T_OBJ:
	case T_STRMAP:
		if (!cJSON_IsObject(n))
			want = "a mapping";
		else if (f->sub)
			check_fields(c, n, path, f->sub);
		else if (f->type == T_STRMAP)
			for (const cJSON *e = n->child; e; e = e->next)
				if (!cJSON_IsString(e))
					serr(c, e, false,
					     "%s.%s: must be a string, not %s",
					     path, e->string,
					     gc_json_type_name(e));
		break;
	case T_OBJARR:
	case T_STRARR:
		if (!cJSON_IsArray(n))
			want = "a list";
		else
			check_list(c, n, path, f);
		break;
	}
	if (want)
		serr(c, n, false, "%s: must be %s, not %s", path, want,
		     gc_json_type_name(n));
}

static const field *find_field(const field *fields, const char *key)
{
	for (const field *f = fields; f->key; f++)
		if (!strcmp(f->key, key))
			return f;
	return NULL;
}

static void check_fields(sctx *c, const cJSON *obj, const char *path,
			 const field *fields)
{
	gc_buf sub = GC_BUF_INIT;

	for (const cJSON *e = obj->child; e; e = e->next)
		if (e->string && !find_field(fields, e->string))
			serr(c, e, true, "%s%s%s: unknown field", path,
			     *path ? "." : "", e->string);
	for (const field *f = fields; f->key; f++) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, f->key);
		bool absent = !n || cJSON_IsNull(n);

		/* most fields are absent: their path only for a problem */
		if (absent && !(f->flags & F_REQ))
			continue;
		gc_buf_clear(&sub);
		gc_buf_addf(&sub, "%s%s%s", path, *path ? "." : "", f->key);
		if (absent)
			serr(c, obj, true, "%s: Required value", sub.ptr);
		else
			check_value(c, n, sub.ptr, f);
	}
	gc_buf_release(&sub);
}

int gc_flux__check_schema(const gc_doc *doc, gc_problems *problems)
{
	sctx c = { problems, doc, 0 };

	check_fields(&c, doc->root, "", s_object);
	return c.errors;
}
