/*
 * What the files of render/ share (internal.h): the render context and its
 * checks, located errors, object and metadata builders, and the
 * deterministic ids. Pure, like the rest of render/.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#include "revision.h"
#include "util/alloc.h"
#include "util/json.h"

/* The pod labels a Deployment selector is known by, in Flagger's order. */
static const char *const selector_labels[] = { "app", "name",
					       "app.kubernetes.io/name" };

bool gc_render__is_selector_label(const char *key)
{
	for (size_t i = 0; i < GC_ARRAY_SIZE(selector_labels); i++)
		if (!strcmp(key, selector_labels[i]))
			return true;
	return false;
}

int gc_render__fail(const gc_rctx *c, gc_code code, gc_render_source src,
		    const cJSON *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gc_error_vset_at(c->err, code, NULL, 0, 0, fmt, ap);
	va_end(ap);
	if (c->err && c->in->locate && node)
		c->in->locate(c->err, src, node, c->in->locate_payload);
	return code;
}

static bool is_toolkit(const char *key)
{
	return strstr(key, "toolkit.fluxcd.io") != NULL;
}

void gc_render__add(cJSON *obj, const char *key, cJSON *item)
{
	if (!item || !cJSON_AddItemToObject(obj, key, item))
		GC_BUG("cJSON allocation failed");
}

void gc_render__copy_filtered(cJSON *dst, const cJSON *src)
{
	if (!cJSON_IsObject(src))
		return;
	for (const cJSON *m = src->child; m; m = m->next) {
		if (is_toolkit(m->string))
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(dst, m->string);
		gc_render__add(dst, m->string, gc_json_dup(m));
	}
}

/* Flagger's includeLabelsByPrefix: "*" matches every key, "" none. */
static bool prefix_match(const char *list, const char *key)
{
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");

		if ((n == 1 && *p == '*') || (n && !strncmp(key, p, n)))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

cJSON *gc_render__prefixed(const gc_rctx *c, const cJSON *src)
{
	cJSON *out = cJSON_CreateObject();

	GC_ASSERT(out);
	if (!cJSON_IsObject(src))
		return out;
	for (const cJSON *m = src->child; m; m = m->next)
		if (!is_toolkit(m->string) &&
		    prefix_match(c->in->include_label_prefix, m->string))
			gc_render__add(out, m->string, gc_json_dup(m));
	return out;
}

cJSON *gc_render__meta(const gc_rctx *c, const char *name, const cJSON *labels,
		       const cJSON *annotations)
{
	cJSON *meta = cJSON_CreateObject(), *l, *a;

	gc_json_add_str(meta, "name", name);
	gc_json_add_str(meta, "namespace", c->ns);
	l = gc_json_obj(meta, "labels");
	gc_render__copy_filtered(l, labels);
	cJSON_DeleteItemFromObjectCaseSensitive(l, GC_RENDER_MANAGED_BY_LABEL);
	gc_json_add_str(l, GC_RENDER_MANAGED_BY_LABEL, "gitcanary");
	a = gc_json_obj(meta, "annotations");
	gc_render__copy_filtered(a, annotations);
	cJSON_DeleteItemFromObjectCaseSensitive(a, GC_RENDER_CANARY_ANNOTATION);
	gc_json_add_str(a, GC_RENDER_CANARY_ANNOTATION, c->canary_ref);
	return meta;
}

static void copy_all(cJSON *dst, const cJSON *src)
{
	if (!cJSON_IsObject(src))
		return;
	for (const cJSON *m = src->child; m; m = m->next) {
		cJSON_DeleteItemFromObjectCaseSensitive(dst, m->string);
		gc_render__add(dst, m->string, gc_json_dup(m));
	}
}

cJSON *gc_render__router_meta(const gc_rctx *c, const char *name,
			      const cJSON *labels, const cJSON *annotations)
{
	/* Flagger's pkg/router/util.go filterMetadata */
	static const char *const disabled[] = {
		"kustomize.toolkit.fluxcd.io/reconcile",
		"helm.toolkit.fluxcd.io/driftDetection"
	};
	cJSON *meta = gc_render__meta(c, name, NULL, NULL);
	cJSON *l = cJSON_GetObjectItemCaseSensitive(meta, "labels");
	cJSON *a = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	cJSON *ul = cJSON_CreateObject(), *ua = cJSON_CreateObject();

	/* the user's keys first, in their order; the marks win */
	copy_all(ul, labels);
	copy_all(ul, l);
	copy_all(ua, annotations);
	for (size_t i = 0; i < GC_ARRAY_SIZE(disabled); i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(ua, disabled[i]);
		gc_json_add_str(ua, disabled[i], "disabled");
	}
	copy_all(ua, a);
	cJSON_ReplaceItemInObjectCaseSensitive(meta, "labels", ul);
	cJSON_ReplaceItemInObjectCaseSensitive(meta, "annotations", ua);
	return meta;
}

cJSON *gc_render__object(const char *api_version, const char *kind, cJSON *meta)
{
	cJSON *obj = cJSON_CreateObject();

	gc_json_add_str(obj, "apiVersion", api_version);
	gc_json_add_str(obj, "kind", kind);
	gc_render__add(obj, "metadata", meta);
	return obj;
}

/* ---- deterministic ids ---- */

static void digest(unsigned char md[32], const char *const *parts, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		GC_BUG("sha256 unavailable");
	for (size_t i = 0; i < n; i++)
		EVP_DigestUpdate(ctx, parts[i] ? parts[i] : "",
				 strlen(parts[i] ? parts[i] : "") + 1);
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
}

void gc_render_flagger_id(char out[37], const char *ns, const char *name,
			  const char *revision, const char *configs)
{
	static const char hex[] = "0123456789abcdef";
	const char *parts[] = { "gitcanary flagger-id", ns, name, revision,
				configs };
	unsigned char md[32];
	size_t o = 0;

	digest(md, parts, GC_ARRAY_SIZE(parts));
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x80); /* RFC 9562 v8 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 0x0f];
	}
	out[o] = '\0';
}

void gc_render_cookie_value(char out[11], const char *ns, const char *name,
			    const char *revision, const char *cookie_name)
{
	static const char letters[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	const char *parts[] = { "gitcanary cookie", ns, name, revision,
				cookie_name };
	unsigned char md[32];

	digest(md, parts, GC_ARRAY_SIZE(parts));
	for (size_t i = 0; i < 10; i++)
		out[i] = letters[md[i] % 52];
	out[10] = '\0';
}

/* ---- the render context ---- */

int gc_render__setup(gc_rctx *c, const gc_render_input *in)
{
	const cJSON *canary = in->canary, *target = in->target, *sel, *port;
	const char *tname;

	c->in = in;
	c->st = &in->stage;
	c->ns = in->namespace ? in->namespace : "default";
	c->name = gc_json_str(canary, "metadata.name");
	if (!c->name)
		return gc_render__fail(c, GC_EINVALID, GC_RENDER_SRC_CANARY,
				       canary, "canary has no metadata.name");
	snprintf(c->canary_ref, sizeof(c->canary_ref), "%s/%s", c->ns, c->name);
	c->target = gc_json_str(canary, "spec.targetRef.name");
	if (!c->target)
		return gc_render__fail(
			c, GC_EINVALID, GC_RENDER_SRC_CANARY, canary,
			"canary '%s': spec.targetRef.name is missing",
			c->canary_ref);
	tname = gc_json_str(target, "metadata.name");
	if (!tname || strcmp(tname, c->target))
		return gc_render__fail(
			c, GC_EINVALID, GC_RENDER_SRC_TARGET, target,
			"canary '%s': target deployment is '%s', not '%s'",
			c->canary_ref, tname ? tname : "", c->target);
	c->service = gc_json_get(canary, "spec.service");
	port = gc_json_get(c->service, "port");
	if (!cJSON_IsNumber(port) || port->valuedouble < 1 ||
	    port->valuedouble > 65535)
		return gc_render__fail(
			c, GC_EINVALID, GC_RENDER_SRC_CANARY,
			port         ? port
			: c->service ? c->service
				     : canary,
			"canary '%s': spec.service.port must be a port number (1-65535)",
			c->canary_ref);
	c->apex = gc_json_str(c->service, "name");
	if (!c->apex || !*c->apex)
		c->apex = c->target;
	c->analysis = gc_json_get(canary, "spec.analysis");
	sel = gc_json_get(target, "spec.selector.matchLabels");
	for (size_t i = 0; i < GC_ARRAY_SIZE(selector_labels); i++) {
		const cJSON *item =
			cJSON_GetObjectItemCaseSensitive(sel,
							 selector_labels[i]);
		const char *v = cJSON_IsString(item) ? item->valuestring : NULL;

		if (v) {
			c->label_key = selector_labels[i];
			c->label_value = v;
			break;
		}
	}
	if (!c->label_key)
		return gc_render__fail(
			c, GC_EINVALID, GC_RENDER_SRC_TARGET,
			sel ? sel : target,
			"deployment '%s/%s': spec.selector.matchLabels has none of the labels app, name, app.kubernetes.io/name",
			c->ns, c->target);
	c->template = gc_json_get(target, "spec.template");
	if (!cJSON_IsObject(gc_json_get(c->template, "spec")))
		return gc_render__fail(
			c, GC_EINVALID, GC_RENDER_SRC_TARGET, target,
			"deployment '%s/%s': spec.template.spec is missing",
			c->ns, c->target);
	c->primary_template = c->st->promoted_template
				      ? c->st->promoted_template
				      : c->template;
	gc_revision_hash(c->target_rev, c->template);
	if (c->primary_template == c->template)
		memcpy(c->primary_rev, c->target_rev, sizeof(c->primary_rev));
	else
		gc_revision_hash(c->primary_rev, c->primary_template);
	return 0;
}
