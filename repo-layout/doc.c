/*
 * Documents and the positions of their nodes. A document keeps one
 * 16-byte record per node (its address and a packed gc_loc), sorted by
 * address once parsed: a map with a separate key per node cost about five
 * times as much, more than the cJSON tree itself.
 */
#include "doc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"

#define LINE_BITS 22
#define SMALL_BITS 14
#define LINE_MAX_PACKED ((1ull << LINE_BITS) - 1) /* the escape */
#define SMALL_MAX ((1ull << SMALL_BITS) - 1)

gc_doc *gc_doc_new(const char *path, unsigned index)
{
	size_t len = strlen(path);
	gc_doc *doc = gc_xcalloc(1, sizeof(*doc) + len + 1);

	/* the path lives behind the struct: one allocation, not two */
	doc->path = memcpy(doc + 1, path, len + 1);
	doc->index = index;
	return doc;
}

void gc_doc_free(gc_doc *doc)
{
	if (!doc)
		return;
	cJSON_Delete(doc->root);
	free(doc->pos);
	free(doc->big);
	free(doc->via);
	free(doc);
}

void gc_doc_trim(gc_doc *doc)
{
	cJSON_Delete(doc->root);
	free(doc->pos);
	free(doc->big);
	doc->root = NULL;
	doc->pos = NULL;
	doc->big = NULL;
	doc->pos_n = doc->pos_alloc = doc->big_n = doc->big_alloc = 0;
}

void gc_doc_graft(gc_doc *doc, gc_doc *from)
{
	gc_doc_trim(doc);
	doc->root = from->root;
	doc->start = from->start;
	doc->pos = from->pos;
	doc->big = from->big;
	doc->pos_n = from->pos_n;
	doc->pos_alloc = from->pos_alloc;
	doc->big_n = from->big_n;
	doc->big_alloc = from->big_alloc;
	doc->sealed = from->sealed;
	from->root = NULL;
	from->pos = NULL;
	from->big = NULL;
	gc_doc_free(from);
}

/* Line 22 bits, column 14, line - key_line 14, key column 14 (0 = no key). */
static unsigned long long pack(gc_doc *doc, gc_loc loc)
{
	bool key = loc.key_line || loc.key_column;

	if (loc.line < LINE_MAX_PACKED && loc.column <= SMALL_MAX &&
	    (!key || (loc.key_column && loc.key_column <= SMALL_MAX &&
		      loc.key_line <= loc.line &&
		      loc.line - loc.key_line <= SMALL_MAX)))
		return (unsigned long long)loc.line << 42 |
		       (unsigned long long)loc.column << 28 |
		       (unsigned long long)(key ? loc.line - loc.key_line : 0)
			       << 14 |
		       loc.key_column;
	if (doc->big_n == doc->big_alloc) {
		doc->big_alloc = doc->big_alloc ? doc->big_alloc * 2 : 4;
		doc->big = gc_xrealloc(doc->big,
				       doc->big_alloc * sizeof(*doc->big));
	}
	doc->big[doc->big_n] = loc;
	return LINE_MAX_PACKED << 42 | doc->big_n++;
}

static gc_loc unpack(const gc_doc *doc, unsigned long long p)
{
	gc_loc loc;

	if (p >> 42 == LINE_MAX_PACKED)
		return doc->big[p & ((1ull << 42) - 1)];
	loc.line = (unsigned)(p >> 42);
	loc.column = (unsigned)(p >> 28 & SMALL_MAX);
	loc.key_column = (unsigned)(p & SMALL_MAX);
	loc.key_line =
		loc.key_column ? loc.line - (unsigned)(p >> 14 & SMALL_MAX) : 0;
	return loc;
}

/* Index of the first record not below node, in a sealed document. */
static size_t lower_bound(const gc_doc *doc, const cJSON *node)
{
	size_t lo = 0, hi = doc->pos_n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)doc->pos[mid].node < (uintptr_t)node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The record of node, or NULL. */
static gc_doc_pos *find(const gc_doc *doc, const cJSON *node)
{
	size_t i;

	if (!doc->sealed) {
		for (i = doc->pos_n; i-- > 0;)
			if (doc->pos[i].node == node)
				return &doc->pos[i];
		return NULL;
	}
	i = lower_bound(doc, node);
	return i < doc->pos_n && doc->pos[i].node == node ? &doc->pos[i] : NULL;
}

void gc_doc_set_loc(gc_doc *doc, const cJSON *node, gc_loc loc)
{
	gc_doc_pos *p = doc->sealed ? find(doc, node) : NULL;
	size_t at = doc->sealed ? lower_bound(doc, node) : doc->pos_n;

	if (p) {
		p->packed = pack(doc, loc);
		return;
	}
	if (doc->pos_n == doc->pos_alloc) {
		doc->pos_alloc = doc->pos_alloc ? doc->pos_alloc * 2 : 32;
		doc->pos = gc_xrealloc(doc->pos,
				       doc->pos_alloc * sizeof(*doc->pos));
	}
	memmove(&doc->pos[at + 1], &doc->pos[at],
		(doc->pos_n - at) * sizeof(*doc->pos));
	doc->pos[at].node = node;
	doc->pos[at].packed = pack(doc, loc);
	doc->pos_n++;
}

size_t gc_doc_loc_mark(const gc_doc *doc)
{
	return doc->pos_n;
}

void gc_doc_forget_locs(gc_doc *doc, size_t mark)
{
	GC_ASSERT(!doc->sealed && mark <= doc->pos_n);
	doc->pos_n = (unsigned)mark;
}

/* Stable merge sort by node address: of equal nodes the last set wins. */
static void sort_pos(gc_doc_pos *v, gc_doc_pos *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_pos(v, tmp, mid);
	sort_pos(v + mid, tmp, n - mid);
	if ((uintptr_t)v[mid - 1].node <= (uintptr_t)v[mid].node)
		return; /* already in order: the usual case for malloc */
	while (i < mid && j < n)
		tmp[k++] = (uintptr_t)v[j].node < (uintptr_t)v[i].node ? v[j++]
								       : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	memcpy(v, tmp, k * sizeof(*v));
}

void gc_doc_seal(gc_doc *doc)
{
	gc_doc_pos *tmp;
	size_t n = 0;

	if (doc->sealed)
		return;
	doc->sealed = true;
	if (doc->pos_n > 1) {
		tmp = gc_xmalloc(doc->pos_n * sizeof(*tmp));
		sort_pos(doc->pos, tmp, doc->pos_n);
		free(tmp);
	}
	for (size_t i = 0; i < doc->pos_n; i++) {
		if (n && doc->pos[n - 1].node == doc->pos[i].node)
			n--; /* the later record replaces the earlier one */
		doc->pos[n++] = doc->pos[i];
	}
	doc->pos_n = (unsigned)n;
	if (!doc->pos_n)
		GC_FREE_AND_NULL(doc->pos);
	else if (doc->pos_alloc != doc->pos_n)
		doc->pos =
			gc_xrealloc(doc->pos, doc->pos_n * sizeof(*doc->pos));
	doc->pos_alloc = doc->pos_n;
	if (doc->big_n && doc->big_alloc != doc->big_n)
		doc->big =
			gc_xrealloc(doc->big, doc->big_n * sizeof(*doc->big));
	doc->big_alloc = doc->big_n;
}

gc_loc gc_doc_loc(const gc_doc *doc, const cJSON *node)
{
	const gc_doc_pos *p = find(doc, node);

	return p ? unpack(doc, p->packed) : doc->start;
}

gc_loc gc_doc_key_loc(const gc_doc *doc, const cJSON *node)
{
	gc_loc loc = gc_doc_loc(doc, node);

	if (loc.key_line) {
		loc.line = loc.key_line;
		loc.column = loc.key_column;
	}
	return loc;
}

void gc_doc_place(const gc_doc *doc, const cJSON *node, const char **path,
		  gc_loc *loc)
{
	const gc_doc_pos *p = node ? find(doc, node) : NULL;

	if (p) {
		*path = doc->path;
		*loc = unpack(doc, p->packed);
	} else if (doc->via) {
		*path = doc->via;
		*loc = (gc_loc){ 1, 1, 0, 0 };
	} else {
		*path = doc->path;
		*loc = doc->start;
	}
}

void gc_doclist_push(gc_doclist *list, gc_doc *doc)
{
	if (list->n == list->alloc) {
		list->alloc = list->alloc ? list->alloc * 2 : 8;
		list->v = gc_xrealloc(list->v, list->alloc * sizeof(*list->v));
	}
	list->v[list->n++] = doc;
}

void gc_doclist_release(gc_doclist *list)
{
	for (size_t i = 0; i < list->n; i++)
		gc_doc_free(list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = list->alloc = 0;
}
