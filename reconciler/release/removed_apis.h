#ifndef GC_RECONCILER_REMOVED_APIS_H
#define GC_RECONCILER_REMOVED_APIS_H

/*
 * API versions Kubernetes has removed (the deprecated API migration guide,
 * kubernetes.io/docs/reference/using-api/deprecation-guide/): an object
 * written with one is refused by every API server from that release on.
 * Pure data and lookups.
 */

typedef struct gc_removed_api {
	const char *api_version;
	const char *kind;        /* NULL = every kind of api_version */
	const char *removed_in;  /* "1.25" */
	const char *replacement; /* "autoscaling/v2", or NULL for none */
} gc_removed_api;

/* The removal of kind in api_version, or NULL when it is served. */
const gc_removed_api *gc_removed_api_find(const char *api_version,
					  const char *kind);

#endif
