#ifndef GC_REPO_LAYOUT_FLUX_H
#define GC_REPO_LAYOUT_FLUX_H

/*
 * Flux's kustomize-controller as a pure model (no I/O): what it builds for
 * a kustomize.toolkit.fluxcd.io/v1 Kustomization and what it applies on
 * top of the build. The order is upstream's (kustomization_controller.go
 * build() and apply()):
 *
 *   1. gc_flux_kustomization: the kustomization file in spec.path (found
 *      or generated) with targetNamespace, namePrefix/nameSuffix, patches,
 *      components, images and buildMetadata written into it
 *      (fluxcd/pkg kustomize_generator.go GenerateManifest);
 *   2. the caller builds it (kustomize, or the native path when
 *      gc_flux_ks_needs_tool is false);
 *   3. gc_flux_post_build on every built object: postBuild substitution
 *      (kustomize_varsub.go SubstituteVariables), then commonMetadata
 *      (ssa/utils SetCommonMetadata).
 *
 * docs/flux.md lists the fields honoured and every difference.
 */

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "doc.h"
#include "source.h"
#include "util/buf.h"
#include "util/map.h"

#define GC_FLUX_GROUP "kustomize.toolkit.fluxcd.io"
#define GC_FLUX_API_VERSION "kustomize.toolkit.fluxcd.io/v1"

typedef struct gc_flux_ks {
	char *name;      /* owned: metadata.name */
	char *namespace; /* owned: metadata.namespace, else "default" */
	/*
	 * owned: spec.path as a repository-relative directory, without "./"
	 * or a trailing "/"; "" is the repository root. ".." that would
	 * leave the repository stops at its root, as Flux's SecureJoin does
	 * (with a warning).
	 */
	char *path;
	/*
	 * Another source, or suspended: a warning was added and the caller
	 * builds nothing for it.
	 */
	bool skip;
	/*
	 * StrictPostBuildSubstitutions: on by default since
	 * kustomize-controller v1.9 (features.go); the caller may turn it off
	 * to model a controller started with the gate disabled.
	 */
	bool strict;
	const gc_doc *doc; /* borrowed: for locations */
	const cJSON *spec; /* borrowed: doc->root's spec */
} gc_flux_ks;

/*
 * Parses one document whose apiVersion is in the kustomize.toolkit.fluxcd.io
 * group and whose kind is Kustomization. Only v1 is read; another version
 * is a located error. The spec is checked strictly against the v1 CRD:
 * unknown fields, wrong types, missing required fields and values outside
 * the CRD's enums and lengths are located errors.
 *
 * sourceRef names this repository when it is a GitRepository named
 * this_source in the Kustomization's namespace (sourceRef.namespace absent
 * or equal to it). this_source may be "namespace/name" to name the
 * GitRepository's namespace as well ("flux-system/flux-system" then
 * accepts Kustomizations of every namespace that point there). Anything
 * else, and spec.suspend, sets skip with a warning naming it.
 *
 * Returns 0 (*out filled; release it), or < 0 when the document has
 * errors (problems added, *out untouched).
 */
int gc_flux_ks_parse(gc_flux_ks *out, const gc_doc *doc,
		     const char *this_source, gc_problems *problems);
void gc_flux_ks_release(gc_flux_ks *ks);

/*
 * True when the Kustomization writes more than targetNamespace into the
 * kustomization (namePrefix, nameSuffix, patches, images, components,
 * buildMetadata): the caller must build gc_flux_kustomization's bytes with
 * the kustomize tool. When false, targetNamespace alone acts as the
 * `namespace:` of a plain build. postBuild and commonMetadata never need
 * the tool: gc_flux_post_build applies them after either build.
 */
bool gc_flux_ks_needs_tool(const gc_flux_ks *ks);

/*
 * Whether repo_path (repository-relative, normalized) exists, for
 * spec.ignoreMissingComponents.
 */
typedef bool (*gc_flux_exists_cb)(const char *repo_path, void *payload);

/*
 * The kustomization file kustomize-controller builds in ks->path. `kust`
 * (len bytes) is the kustomization file found there, or NULL when Flux
 * generates one; then `resources` (nres entries, relative to ks->path, as
 * the generator's scan found them: YAML files and subdirectories holding
 * a kustomization file) are its resources. Flux's fields are written in
 * as GenerateManifest does: namespace = targetNamespace, namePrefix and
 * nameSuffix replaced, patches and components appended, images merged
 * into same-name entries, buildMetadata replaced. `exists` (may be NULL:
 * everything exists) is asked only for components when
 * ignoreMissingComponents is set. *out gets the YAML (gc_yaml_emit).
 * Returns 0, or < 0 with located problems (a kustomization file that does
 * not parse, a remote component). A parse error in kust is reported at
 * "<ks->path>/kustomization.yaml" whatever the file's name.
 */
int gc_flux_kustomization(const gc_flux_ks *ks, const char *kust, size_t len,
			  const char *const *resources, size_t nres,
			  gc_flux_exists_cb exists, void *payload, gc_buf *out,
			  gc_problems *problems);

/*
 * The source object (cJSON root of a ConfigMap or Secret document) of
 * kind/namespace/name, or NULL. Borrowed.
 */
typedef const cJSON *(*gc_flux_lookup_cb)(const char *kind, const char *ns,
					  const char *name, void *payload);

/*
 * The postBuild variables, as LoadVariables and SubstituteVariables build
 * them: substituteFrom in order (ConfigMap data; Secret data base64-decoded
 * with stringData over it), later sources overriding earlier ones, then
 * substitute (literal values win); newlines are removed from every value.
 * vars maps name -> owned char * (release with gc_flux_vars_release).
 * A missing source is an error unless `optional: true`; a variable name
 * not matching ^[_[:alpha:]][_[:alpha:][:digit:]]*$ is an error. Errors
 * are located in the Kustomization (reported all; the other variables are
 * still loaded). Returns 0 or < 0; release vars in both cases.
 */
int gc_flux_vars(gc_map *vars, const gc_flux_ks *ks, gc_flux_lookup_cb lookup,
		 void *payload, gc_problems *problems);
void gc_flux_vars_release(gc_map *vars);

/*
 * Applies to one built object, in place: postBuild substitution (when the
 * spec has postBuild, the object does not carry the label or annotation
 * kustomize.toolkit.fluxcd.io/substitute: disabled, and vars is not empty
 * or substituteStrategy is Always), then commonMetadata (labels and
 * annotations set, overriding existing keys).
 *
 * Substitution runs Flux's envsubst on every string scalar and mapping
 * key, in place. Upstream substitutes the object's YAML text and parses it
 * back; where that gives another type, the node is converted IN PLACE (same
 * cJSON node, so recorded positions survive): a string that go-yaml would
 * have written as a plain scalar is read again after substitution as a
 * YAML 1.1 plain scalar (`replicas: ${R}` with R=3 becomes the number 3,
 * "true" a boolean, "" null, "[a, b]" a list). Keys stay strings. Errors
 * (unset variable in strict mode, bad syntax, a result that is not valid
 * YAML) are problems at the node's place in obj_doc (may be NULL: then at
 * the Kustomization). Returns 0 or < 0 (the object is then partly
 * substituted; do not apply it).
 */
int gc_flux_post_build(const gc_flux_ks *ks, const gc_map *vars, cJSON *obj,
		       const gc_doc *obj_doc, gc_problems *problems);

#endif
