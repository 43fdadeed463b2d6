#ifndef GC_REPO_LAYOUT_KUSTOMIZATION_H
#define GC_REPO_LAYOUT_KUSTOMIZATION_H

/*
 * What gitcanary reads of a kustomization file to plan a build (roots.c):
 * its namespace, its resources, every local path kustomize may read, and
 * whether the native build (resources: and namespace: only) can do it.
 * Pure: a parsed document in, a description out.
 */

#include <stdbool.h>
#include <stddef.h>

#include "doc.h"
#include "source.h"

/* A path a kustomization names, resolved against its directory. */
typedef struct gc_kref {
	char *path;   /* repository-relative, normalized ("" = the root) */
	gc_loc loc;   /* of the entry in the kustomization file */
	bool remote;  /* a URL or a git reference: never fetched */
	bool outside; /* climbs out of the repository */
} gc_kref;

typedef struct gc_kustomization {
	char *path;         /* the kustomization file */
	char *namespace;    /* namespace:, or NULL */
	gc_kref *resources; /* resources: and bases:, in order */
	size_t nresources;
	gc_kref *reads; /* every other local path it names (patches, ...) */
	size_t nreads;
	/*
	 * Only apiVersion, kind, metadata, namespace and resources: the
	 * native build gives what kustomize gives.
	 */
	bool plain;
} gc_kustomization;

/*
 * Reads the kustomization document doc of the file at path; problems
 * (not a mapping, a namespace or resource of the wrong type) are added.
 * Returns 0, or < 0 after a problem (then *out is empty).
 */
int gc_kustomization_read(gc_kustomization *out, const gc_doc *doc,
			  gc_problems *problems);
void gc_kustomization_release(gc_kustomization *k);

/*
 * Joins rel to dir and normalizes ("a/b" + "../c" = "a/c"); false when the
 * result leaves the repository.
 */
bool gc_kustomization_join(char **out, const char *dir, const char *rel);

#endif
