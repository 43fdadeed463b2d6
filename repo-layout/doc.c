#include "doc.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/alloc.h"

gc_doc *gc_doc_new(const char *path, unsigned index)
{
	gc_doc *doc = gc_xcalloc(1, sizeof(*doc));

	doc->path = gc_xstrdup(path);
	doc->index = index;
	return doc;
}

void gc_doc_free(gc_doc *doc)
{
	if (!doc)
		return;
	free(doc->path);
	cJSON_Delete(doc->root);
	gc_map_release(&doc->locs);
	free(doc->loc_v);
	free(doc);
}

void gc_doc_set_loc(gc_doc *doc, const cJSON *node, gc_loc loc)
{
	if (doc->loc_n == doc->loc_alloc) {
		doc->loc_alloc = doc->loc_alloc ? doc->loc_alloc * 2 : 32;
		doc->loc_v = gc_xrealloc(doc->loc_v,
					 doc->loc_alloc * sizeof(*doc->loc_v));
	}
	doc->loc_v[doc->loc_n++] = loc;
	gc_map_put(&doc->locs, &node, sizeof(node),
		   (void *)(uintptr_t)doc->loc_n);
}

gc_loc gc_doc_loc(const gc_doc *doc, const cJSON *node)
{
	uintptr_t i = (uintptr_t)gc_map_get(&doc->locs, &node, sizeof(node));

	return i ? doc->loc_v[i - 1] : doc->start;
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
