#ifndef GC_RECONCILER_VALIDATE_H
#define GC_RECONCILER_VALIDATE_H

/*
 * Checks Canaries as Flagger's CRD schema and controller would, plus the
 * cross references gitcanary can resolve in the repository (target
 * Deployment, HPA, MetricTemplates, AlertProviders and their Secrets, Istio
 * Gateways). Schemas are strict (schema.h): an unknown field, kind or
 * version of the flagger.app group is an error. Problems are appended to
 * `out` with the position of the offending node; nothing is printed. What
 * Flagger accepts but gitcanary does not act on yet (a MetricTemplate of
 * another provider than prometheus), or what Flagger silently ignores (an
 * alert without severity), is added as a warning, which the returned counts
 * leave out.
 */

#include <stdbool.h>
#include <stddef.h>

#include "repo-layout/source.h"

/* True for kind Canary in the flagger.app group. */
int gc_validate_is_canary(const gc_object *obj);
/* Validates one Canary; returns the number of errors added. */
int gc_validate_canary(gc_problems *out, const gc_index *idx,
		       const gc_object *canary);
/* True for any object of the flagger.app group. */
int gc_validate_is_flagger(const gc_object *obj);
/*
 * Validates one object of the flagger.app group (Canary, MetricTemplate,
 * AlertProvider; the index refuses any other kind); returns the number of
 * errors added.
 */
int gc_validate_flagger(gc_problems *out, const gc_index *idx,
			const gc_object *obj);
/*
 * An object whose apiVersion Kubernetes has removed (removed_apis.h): the
 * test, and a warning at its apiVersion naming the release that removed it
 * and the replacement. The warning needs the object's tree (loaded).
 */
bool gc_validate_is_removed_api(const gc_object *obj);
void gc_validate_removed_api(gc_problems *out, const gc_object *obj);
/*
 * Called for each Canary once it is validated, while its tree and those
 * its validation read are loaded; out holds every problem so far.
 */
typedef void (*gc_validate_canary_cb)(const gc_object *canary,
				      const gc_problems *out, void *payload);
/*
 * Warns of every removed apiVersion and validates every flagger.app object
 * of the index, in index order; returns the number of errors added.
 * canaries_out (may be NULL) gets the number of Canaries seen; cb (may be
 * NULL) is called for each. With trees on demand the trees each object
 * needs are loaded and dropped as it goes (a tree that cannot be read
 * again is an error at its file).
 */
int gc_validate_index(gc_problems *out, gc_index *idx, size_t *canaries_out,
		      gc_validate_canary_cb cb, void *payload);

#endif
