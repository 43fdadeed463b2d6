#include "map.h"
#include "alloc.h"
#include "hash.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The low half of FNV-1a: slots are 24 bytes, not 32. */
static unsigned hash_of(const void *key, size_t keylen)
{
	return (unsigned)gc_hash_fnv1a64(key, keylen);
}

static gc_map_entry *find_slot(const gc_map *map, const void *key,
			       size_t keylen, unsigned h)
{
	size_t mask = map->cap - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		gc_map_entry *e = &map->slots[i];

		if (!e->key)
			return e;
		if (e->hash == h && e->keylen == keylen &&
		    !memcmp(e->key, key, keylen))
			return e;
	}
}

static void grow(gc_map *map)
{
	gc_map old = *map;

	map->cap = old.cap ? old.cap * 2 : 16;
	map->slots = gc_xcalloc(map->cap, sizeof(*map->slots));
	for (size_t i = 0; i < old.cap; i++) {
		gc_map_entry *e = &old.slots[i];

		if (e->key)
			*find_slot(map, e->key, e->keylen, e->hash) = *e;
	}
	free(old.slots);
}

void gc_map_release(gc_map *map)
{
	for (size_t i = 0; i < map->cap; i++)
		free(map->slots[i].key);
	free(map->slots);
	map->slots = NULL;
	map->cap = map->len = 0;
}

void *gc_map_put(gc_map *map, const void *key, size_t keylen, void *value)
{
	unsigned h = hash_of(key, keylen);
	gc_map_entry *e;
	void *prev;

	GC_ASSERT(keylen < UINT_MAX);
	if ((map->len + 1) * 4 > map->cap * 3)
		grow(map);
	e = find_slot(map, key, keylen, h);
	if (e->key) {
		prev = e->value;
		e->value = value;
		return prev;
	}
	e->key = gc_xmalloc(keylen + 1);
	memcpy(e->key, key, keylen);
	e->key[keylen] = '\0';
	e->keylen = (unsigned)keylen;
	e->hash = h;
	e->value = value;
	map->len++;
	return NULL;
}

void *gc_map_get(const gc_map *map, const void *key, size_t keylen)
{
	gc_map_entry *e;

	if (!map->cap)
		return NULL;
	e = find_slot(map, key, keylen, hash_of(key, keylen));
	return e->key ? e->value : NULL;
}

void *gc_map_sets(gc_map *map, const char *key, void *value)
{
	return gc_map_put(map, key, strlen(key), value);
}

void *gc_map_gets(const gc_map *map, const char *key)
{
	return gc_map_get(map, key, strlen(key));
}

const char *gc_map_key(const gc_map *map, const char *key)
{
	size_t len = strlen(key);

	if (!map->cap)
		return NULL;
	return find_slot(map, key, len, hash_of(key, len))->key;
}

int gc_map_next(const gc_map *map, size_t *iter, const gc_map_entry **out)
{
	while (*iter < map->cap) {
		const gc_map_entry *e = &map->slots[(*iter)++];

		if (e->key) {
			*out = e;
			return 1;
		}
	}
	return 0;
}
