#ifndef GC_UTIL_MAP_H
#define GC_UTIL_MAP_H

#include <stddef.h>

/*
 * An open-addressing hash map from byte keys (copied, owned by the map) to
 * borrowed `void *` values. Use gc_map_sets/gets for NUL-terminated keys.
 */
typedef struct gc_map_entry {
	char *key; /* NULL = empty slot */
	void *value;
	unsigned keylen; /* keys are shorter than 4 GiB */
	unsigned hash;   /* the low half of the key's FNV-1a hash */
} gc_map_entry;

typedef struct gc_map {
	gc_map_entry *slots;
	size_t cap; /* power of two, or 0 */
	size_t len;
} gc_map;

/* clang-format off */
#define GC_MAP_INIT { NULL, 0, 0 }
/* clang-format on */

void gc_map_release(gc_map *map);
/* Inserts or replaces; returns the previous value or NULL. */
void *gc_map_put(gc_map *map, const void *key, size_t keylen, void *value);
void *gc_map_get(const gc_map *map, const void *key, size_t keylen);
void *gc_map_sets(gc_map *map, const char *key, void *value);
void *gc_map_gets(const gc_map *map, const char *key);
/*
 * The map's own copy of key, or NULL when absent. Keys are never removed,
 * so it stays valid until gc_map_release: callers can keep it instead of a
 * copy of their own.
 */
const char *gc_map_key(const gc_map *map, const char *key);
/* Iteration: for (size_t i = 0; gc_map_next(map, &i, &e);) */
int gc_map_next(const gc_map *map, size_t *iter, const gc_map_entry **out);

#endif
