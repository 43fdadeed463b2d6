#ifndef GC_RENDER_RENDER_H
#define GC_RENDER_RENDER_H

/*
 * Rendering: (Canary, target Deployment, HPA, ConfigMaps/Secrets, stage) ->
 * the Kubernetes objects the deploy branch holds for that stage
 * (flagger-behaviour.md §4, docs/render.md). Pure and deterministic: no
 * git, no files, no network, no clock, no randomness; the same input gives
 * the same trees, hence byte-identical YAML through gc_yaml_emit.
 */

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "util/error.h"

/* Which input a node given to the locate callback belongs to. */
typedef enum gc_render_source {
	GC_RENDER_SRC_CANARY,
	GC_RENDER_SRC_TARGET,
	GC_RENDER_SRC_HPA,
	GC_RENDER_SRC_PROMOTED /* stage.promoted_template */
} gc_render_source;

/*
 * Looks up a ConfigMap or Secret (kind "ConfigMap"/"Secret") of the
 * canary's namespace by name; borrowed or NULL when absent.
 */
typedef const cJSON *(*gc_render_lookup_fn)(const char *kind, const char *name,
					    void *payload);
/*
 * Called once when rendering fails because of a node of an input; may fill
 * err->path/line/column (err->msg is already set).
 */
typedef void (*gc_render_locate_fn)(gc_error *err, gc_render_source src,
				    const cJSON *node, void *payload);

/*
 * A stage: what the deploy branch should run. Build one with
 * gc_stage_parse or fill it in (GC_STAGE_INIT is initialization).
 */
typedef struct gc_stage {
	const char *phase;  /* Flagger phase name, informational */
	int primary_weight; /* 0..100 */
	int canary_weight;  /* 0..100 */
	bool mirror;        /* mirror traffic to the canary */
	bool canary_active; /* a release runs: the canary is scaled up */
	/*
	 * Pod template (spec.template) the primary runs; NULL = the target's
	 * (initialization, promotion). Borrowed.
	 */
	const cJSON *promoted_template;
	/* ConfigMaps/Secrets the primary's copies are made from; NULL = lookup.
	 */
	gc_render_lookup_fn promoted_lookup;
	void *promoted_payload;
	/*
	 * Session-affinity cookies "name=value"; NULL = derived from canary
	 * and target revision (see docs/render.md). previous_cookie is expired
	 * at weight 0 when released is true.
	 */
	const char *cookie, *primary_cookie, *previous_cookie;
	bool released; /* a release ran before (Promoting..Succeeded/Failed) */
} gc_stage;

/* clang-format off */
#define GC_STAGE_INIT { "Initialized", 100, 0, false, false, NULL, NULL, NULL, NULL, NULL, NULL, false }
/* clang-format on */

typedef struct gc_render_input {
	const cJSON *canary;   /* flagger.app/v1beta1 Canary; borrowed */
	const char *namespace; /* resolved namespace of the canary */
	const cJSON *target;   /* the Deployment spec.targetRef names */
	const cJSON *hpa;      /* the HPA autoscalerRef names, or NULL */
	/*
	 * A Service of the source named like the apex Service (<APEX>, the
	 * canary's namespace), or NULL. Taken over as Flagger takes over an
	 * existing Service: only its selector and ports change.
	 */
	const cJSON *apex_service;
	gc_render_lookup_fn lookup; /* ConfigMaps/Secrets; NULL = none exist */
	void *lookup_payload;
	gc_render_locate_fn locate; /* optional */
	void *locate_payload;
	gc_stage stage;
	/*
	 * Flagger's -include-label-prefix: a comma list of key prefixes ("*"
	 * = every key, an empty item none). The target's labels and
	 * annotations with these prefixes go onto the primary Deployment's
	 * own metadata, a config's labels onto its primary copy. NULL or ""
	 * (Flagger's default) = none.
	 */
	const char *include_label_prefix;
} gc_render_input;

/*
 * Renders every object of the stage into *out_array (owned cJSON array), in
 * this fixed order: ConfigMap copies, Secret copies (each sorted by name),
 * Deployment <T>-primary, Deployment <T>, HorizontalPodAutoscaler
 * <hpa>-primary, Services <APEX>-canary, <APEX>-primary, <APEX>,
 * DestinationRules <APEX>-canary, <APEX>-primary, VirtualService <APEX>.
 * Every object carries the label app.kubernetes.io/managed-by: gitcanary
 * and the annotation gitcanary.io/canary: <ns>/<name>. On error
 * (GC_EINVALID, or GC_ENOTFOUND for a missing mandatory ConfigMap/Secret)
 * *out_array is untouched and err says what and, through locate, where.
 */
int gc_render_canary(cJSON **out_array, const gc_render_input *in,
		     gc_error *err);

/*
 * Parses a stage name (docs/render.md: initialization, progressing:W,
 * mirror, ab, bluegreen, bluegreen:switched, promoting[:W], finalising,
 * succeeded, failed) for a canary into *out (promoted_template and the
 * lookups are left NULL). GC_EINVALID on an unknown stage.
 */
int gc_stage_parse(gc_stage *out, const char *spec, const cJSON *canary,
		   gc_error *err);

/* Length of a config checksum: 16 hex digits plus NUL. */
#define GC_RENDER_CHECKSUM_MAX 17

/*
 * Flagger's checksum of a ConfigMap or Secret (kind "ConfigMap"/"Secret",
 * flagger-behaviour.md §2.5): hex of the first 8 bytes of sha256 over
 * .data as Go's json.Marshal writes it (keys sorted, < > & escaped as
 * \u003c \u003e \u0026, nil or empty -> null). ConfigMap binaryData is
 * ignored; a Secret's stringData is base64-encoded over its data, as the
 * API server stores it.
 */
void gc_render_config_checksum(char out[GC_RENDER_CHECKSUM_MAX],
			       const char *kind, const cJSON *obj);

/*
 * Flagger's trackedConfigs for the target of `in` (§2.1, §4.2): an owned
 * object {"configmap/<name>": checksum, "secret/<name>": checksum} of the
 * ConfigMaps/Secrets its pod template references, found through in->lookup
 * (in->stage is ignored); `{}` when there are none. Untracked objects
 * (annotation flagger.app/config-tracking: disable..., Secret types other
 * than Opaque, basic-auth, ssh-auth, tls) and missing optional references
 * are left out. Errors as gc_render_canary (GC_ENOTFOUND for a missing
 * mandatory reference); *out is then untouched.
 */
int gc_render_tracked_configs(cJSON **out, const gc_render_input *in,
			      gc_error *err);

/*
 * Deterministic ids: flagger-id (UUID-shaped, 36 chars + NUL) from the
 * canary, the promoted revision and the checksums of the tracked configs;
 * a session cookie value (10 ASCII letters + NUL) from canary and revision.
 */
void gc_render_flagger_id(char out[37], const char *ns, const char *name,
			  const char *revision, const char *configs);
void gc_render_cookie_value(char out[11], const char *ns, const char *name,
			    const char *revision, const char *cookie_name);

#define GC_RENDER_MANAGED_BY_LABEL "app.kubernetes.io/managed-by"
#define GC_RENDER_CANARY_ANNOTATION "gitcanary.io/canary"

#endif
