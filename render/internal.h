#ifndef GC_RENDER_INTERNAL_H
#define GC_RENDER_INTERNAL_H

/*
 * Shared by the files of render/ only. objects.c holds the context and the
 * helpers below it; configs.c, workload.c and routing.c build the objects
 * that render.c's gc_render_canary puts together.
 */

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "render.h"
#include "util/error.h"

/* objects.c */

typedef struct gc_rctx {
	const gc_render_input *in;
	const gc_stage *st;
	const char *ns;
	const char *name;   /* canary metadata.name */
	const char *target; /* <T> */
	const char *apex;   /* <APEX> */
	const char *label_key;
	const char *label_value;
	const cJSON *service;  /* spec.service */
	const cJSON *analysis; /* spec.analysis, may be NULL */
	const cJSON *template; /* the target's spec.template */
	const cJSON *primary_template;
	gc_error *err;
	char canary_ref[512]; /* "<ns>/<name>" */
	char target_rev[16];
	char primary_rev[16];
} gc_rctx;

/*
 * Fills c from in (c->err set by the caller), checking what every object
 * needs: names, the service port, the selector label, the pod template.
 */
int gc_render__setup(gc_rctx *c, const gc_render_input *in);

/* Sets err, locates it at node of src, returns code. */
int gc_render__fail(const gc_rctx *c, gc_code code, gc_render_source src,
		    const cJSON *node, const char *fmt, ...) GC_PRINTF(5, 6);

/* New metadata {name, namespace, labels, annotations} with gitcanary's marks.
 */
cJSON *gc_render__meta(const gc_rctx *c, const char *name, const cJSON *labels,
		       const cJSON *annotations);
/*
 * Metadata of a routing object (Service, VirtualService) as Flagger's
 * router writes it: labels and annotations copied as given (toolkit keys
 * included), plus kustomize.toolkit.fluxcd.io/reconcile and
 * helm.toolkit.fluxcd.io/driftDetection "disabled", plus gitcanary's marks.
 */
cJSON *gc_render__router_meta(const gc_rctx *c, const char *name,
			      const cJSON *labels, const cJSON *annotations);
/* Copies members of src whose key lacks "toolkit.fluxcd.io" into dst. */
void gc_render__copy_filtered(cJSON *dst, const cJSON *src);
/* A new {apiVersion, kind, metadata} object. */
cJSON *gc_render__object(const char *api_version, const char *kind,
			 cJSON *meta);
void gc_render__add(cJSON *obj, const char *key, cJSON *item);
/* True for app, name and app.kubernetes.io/name (the selector labels). */
bool gc_render__is_selector_label(const char *key);
/*
 * The members of src (labels or annotations) whose keys match
 * in->include_label_prefix, without toolkit keys: a new object.
 */
cJSON *gc_render__prefixed(const gc_rctx *c, const cJSON *src);

/* configs.c */
/*
 * The primary's copies of the ConfigMaps/Secrets the primary template
 * references (into out), that template's pod spec with the references
 * renamed (*primary_spec, owned) and "Kind/name=<checksum>,..." of the
 * copies for the flagger-id (*checksums, owned).
 */
int gc_render__configs(const gc_rctx *c, cJSON *out, cJSON **primary_spec,
		       char **checksums);

/* workload.c */
int gc_render__primary(const gc_rctx *c, cJSON *out, cJSON *pod_spec,
		       const char *checksums);
int gc_render__canary_deployment(const gc_rctx *c, cJSON *out);
int gc_render__hpa(const gc_rctx *c, cJSON *out);

/* routing.c */
int gc_render__services(const gc_rctx *c, cJSON *out);
int gc_render__destination_rules(const gc_rctx *c, cJSON *out);
int gc_render__virtual_service(const gc_rctx *c, cJSON *out);

#endif
