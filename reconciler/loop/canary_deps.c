#include "reconciler/loop/canary_deps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

/*
 * The ids depending on one path, key or namespace: a set (id -> number of
 * references, as (void *)count), so adding and removing are O(1) even for
 * a namespace of 10,000 canaries.
 */
typedef gc_map idset;

typedef struct record {
	char *paths[3]; /* owned or NULL */
	char *keys[2];
	char *ns;
	bool always;
	int64_t due;
	uint64_t seq; /* of the live heap entry; 0 = none */
} record;

static void deps_init(gc_canary_deps *d)
{
	memset(d, 0, sizeof(*d));
}

static void list_add(gc_map *m, const char *key, const char *id)
{
	idset *l = gc_map_gets(m, key);

	if (!l) {
		l = gc_xcalloc(1, sizeof(*l));
		gc_map_sets(m, key, l);
	}
	gc_map_sets(l, id, (void *)((uintptr_t)gc_map_gets(l, id) + 1));
}

static void list_remove(gc_map *m, const char *key, const char *id)
{
	idset *l = gc_map_gets(m, key);
	uintptr_t n = l ? (uintptr_t)gc_map_gets(l, id) : 0;

	if (n)
		gc_map_sets(l, id, (void *)(n - 1));
}

static void list_collect(const gc_map *m, const char *key, gc_map *ids)
{
	const idset *l = key ? gc_map_gets(m, key) : NULL;
	const gc_map_entry *e;

	for (size_t i = 0; l && gc_map_next(l, &i, &e);)
		if (e->value)
			gc_map_sets(ids, e->key, (void *)1);
}

static void free_lists(gc_map *m)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(m, &i, &e);) {
		idset *l = e->value;

		if (!l)
			continue;
		gc_map_release(l);
		free(l);
	}
	gc_map_release(m);
}

/* Takes id out of the lists its record is in and empties the record. */
static void unlink_record(gc_canary_deps *d, const char *id, record *r)
{
	for (size_t i = 0; i < 3; i++) {
		if (r->paths[i])
			list_remove(&d->by_path, r->paths[i], id);
		free(r->paths[i]);
		r->paths[i] = NULL;
	}
	for (size_t i = 0; i < 2; i++) {
		if (r->keys[i])
			list_remove(&d->by_key, r->keys[i], id);
		free(r->keys[i]);
		r->keys[i] = NULL;
	}
	if (r->ns)
		list_remove(&d->by_ns, r->ns, id);
	free(r->ns);
	r->ns = NULL;
	if (r->always)
		gc_map_sets(&d->always, id, NULL);
	r->always = false;
}

void gc_canary_deps_release(gc_canary_deps *d)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(&d->canaries, &i, &e);) {
		record *r = e->value;

		if (!r)
			continue;
		for (size_t k = 0; k < 3; k++)
			free(r->paths[k]);
		for (size_t k = 0; k < 2; k++)
			free(r->keys[k]);
		free(r->ns);
		free(r);
	}
	gc_map_release(&d->canaries);
	free_lists(&d->by_path);
	free_lists(&d->by_key);
	free_lists(&d->by_ns);
	gc_map_release(&d->always);
	for (size_t i = 0; i < d->nheap; i++)
		free(d->heap[i].id);
	free(d->heap);
	deps_init(d);
}

static record *get_record(gc_canary_deps *d, const char *id)
{
	record *r = gc_map_gets(&d->canaries, id);

	if (!r) {
		r = gc_xcalloc(1, sizeof(*r));
		r->due = INT64_MAX;
		gc_map_sets(&d->canaries, id, r);
	}
	return r;
}

void gc_canary_deps_set(gc_canary_deps *d, const char *id,
			const gc_canary_inputs *in)
{
	record *r = get_record(d, id);

	unlink_record(d, id, r);
	for (size_t i = 0; i < 3; i++) {
		if (!in->paths[i])
			continue;
		r->paths[i] = gc_xstrdup(in->paths[i]);
		list_add(&d->by_path, r->paths[i], id);
	}
	for (size_t i = 0; i < 2; i++) {
		if (!in->keys[i])
			continue;
		r->keys[i] = gc_xstrdup(in->keys[i]);
		list_add(&d->by_key, r->keys[i], id);
	}
	if (in->ns) {
		r->ns = gc_xstrdup(in->ns);
		list_add(&d->by_ns, r->ns, id);
	}
	r->always = in->always;
	if (r->always)
		gc_map_sets(&d->always, id, r);
}

void gc_canary_deps_remove(gc_canary_deps *d, const char *id)
{
	record *r = gc_map_gets(&d->canaries, id);

	if (!r)
		return;
	unlink_record(d, id, r);
	free(r);
	gc_map_sets(&d->canaries, id, NULL);
}

bool gc_canary_deps_has(const gc_canary_deps *d, const char *id)
{
	return gc_map_gets(&d->canaries, id) != NULL;
}

void gc_canary_deps_key_of(char *out, size_t size, const char *kind,
			   const char *ns, const char *name)
{
	snprintf(out, size, "%s/%s/%s", kind ? kind : "", ns ? ns : "",
		 name ? name : "");
}

void gc_canary_deps_path(const gc_canary_deps *d, const char *path, gc_map *ids)
{
	list_collect(&d->by_path, path, ids);
}

void gc_canary_deps_key(const gc_canary_deps *d, const char *key, gc_map *ids)
{
	list_collect(&d->by_key, key, ids);
}

void gc_canary_deps_namespace(const gc_canary_deps *d, const char *ns,
			      gc_map *ids)
{
	list_collect(&d->by_ns, ns, ids);
}

void gc_canary_deps_always(const gc_canary_deps *d, gc_map *ids)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(&d->always, &i, &e);)
		if (e->value)
			gc_map_sets(ids, e->key, (void *)1);
}

/* ---- the due heap (lazy deletion: an entry is live while its seq is the
 * record's) ---- */

static bool before(const gc_canary_due *a, const gc_canary_due *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void swap(gc_canary_due *a, gc_canary_due *b)
{
	gc_canary_due t = *a;

	*a = *b;
	*b = t;
}

static void heap_push(gc_canary_deps *d, gc_canary_due e)
{
	size_t i;

	if (d->nheap == d->aheap) {
		d->aheap = d->aheap ? 2 * d->aheap : 64;
		d->heap = gc_xrealloc(d->heap, d->aheap * sizeof(*d->heap));
	}
	i = d->nheap++;
	d->heap[i] = e;
	while (i && before(&d->heap[i], &d->heap[(i - 1) / 2])) {
		swap(&d->heap[i], &d->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static gc_canary_due heap_pop(gc_canary_deps *d)
{
	gc_canary_due top = d->heap[0];
	size_t i = 0;

	d->heap[0] = d->heap[--d->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < d->nheap && before(&d->heap[l], &d->heap[m]))
			m = l;
		if (r < d->nheap && before(&d->heap[r], &d->heap[m]))
			m = r;
		if (m == i)
			break;
		swap(&d->heap[i], &d->heap[m]);
		i = m;
	}
	return top;
}

static bool live(const gc_canary_deps *d, const gc_canary_due *e)
{
	const record *r = gc_map_gets(&d->canaries, e->id);

	return r && r->seq == e->seq;
}

void gc_canary_deps_set_due(gc_canary_deps *d, const char *id, int64_t due)
{
	record *r = get_record(d, id);
	gc_canary_due e;

	if (r->seq && r->due == due)
		return;
	r->due = due;
	r->seq = 0;
	if (due == INT64_MAX)
		return;
	r->seq = ++d->seq;
	e.due = due;
	e.seq = r->seq;
	e.id = gc_xstrdup(id);
	heap_push(d, e);
}

void gc_canary_deps_pop_due(gc_canary_deps *d, int64_t now, gc_map *ids)
{
	while (d->nheap && d->heap[0].due <= now) {
		gc_canary_due e = heap_pop(d);
		record *r = gc_map_gets(&d->canaries, e.id);

		if (r && r->seq == e.seq) {
			r->seq = 0;
			gc_map_sets(ids, e.id, (void *)1);
		}
		free(e.id);
	}
}

int64_t gc_canary_deps_next_due(gc_canary_deps *d)
{
	while (d->nheap && !live(d, &d->heap[0]))
		free(heap_pop(d).id);
	return d->nheap ? d->heap[0].due : INT64_MAX;
}
