#ifndef GC_RECONCILER_CANARY_DEPS_H
#define GC_RECONCILER_CANARY_DEPS_H

/*
 * Which canaries a tick has to look at, without walking all of them: what
 * each canary read last time (the source files of its Canary, target and
 * HPA, the kind/namespace/name keys it looked up, its namespace for
 * ConfigMaps and Secrets) and when it is due next, in a min-heap. The loop
 * asks, for the files and keys that changed, which canaries depend on them
 * and which are due; all others are unchanged and not due.
 *
 * Ids are "ns/name". Everything is a cache: an empty one means "visit all".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/map.h"

typedef struct gc_canary_due {
	int64_t due;
	uint64_t seq; /* matches the canary's live entry, else stale */
	char *id;     /* owned */
} gc_canary_due;

typedef struct gc_canary_deps {
	gc_map canaries; /* id -> record (internal) */
	gc_map by_path;  /* source path -> id list */
	gc_map by_key;   /* "kind/ns/name" -> id list */
	gc_map by_ns;    /* namespace -> id list */
	gc_map always;   /* id -> record: visit every tick (broken, dangling) */
	gc_canary_due *heap;
	size_t nheap, aheap;
	uint64_t seq;
} gc_canary_deps;

/* What one canary read this tick. */
typedef struct gc_canary_inputs {
	const char *ns;
	const char *paths[3]; /* Canary, target, HPA files; NULL = none */
	const char *keys[2];  /* "kind/ns/name" looked up; NULL = none */
	bool always;          /* broken or a reference not found */
} gc_canary_inputs;

void gc_canary_deps_release(gc_canary_deps *d);
/* Replaces what id read (adds id when new). */
void gc_canary_deps_set(gc_canary_deps *d, const char *id,
			const gc_canary_inputs *in);
/* Sets when id is due next (INT64_MAX = not until an input changes). */
void gc_canary_deps_set_due(gc_canary_deps *d, const char *id, int64_t due);
void gc_canary_deps_remove(gc_canary_deps *d, const char *id);
bool gc_canary_deps_has(const gc_canary_deps *d, const char *id);

/* The key of an object for gc_canary_inputs.keys and _key(): kind/ns/name. */
void gc_canary_deps_key_of(char *out, size_t size, const char *kind,
			   const char *ns, const char *name);

/* These add the ids they find to `ids` (id -> (void *)1). */
void gc_canary_deps_path(const gc_canary_deps *d, const char *path,
			 gc_map *ids);
void gc_canary_deps_key(const gc_canary_deps *d, const char *key, gc_map *ids);
void gc_canary_deps_namespace(const gc_canary_deps *d, const char *ns,
			      gc_map *ids);
void gc_canary_deps_always(const gc_canary_deps *d, gc_map *ids);
/* Takes every canary due at or before now off the heap. */
void gc_canary_deps_pop_due(gc_canary_deps *d, int64_t now, gc_map *ids);
/* The earliest due time; INT64_MAX when none. */
int64_t gc_canary_deps_next_due(gc_canary_deps *d);

#endif
