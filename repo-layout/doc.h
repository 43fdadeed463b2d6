#ifndef GC_REPO_LAYOUT_DOC_H
#define GC_REPO_LAYOUT_DOC_H

#include <cjson/cJSON.h>

#include "util/map.h"

/* A 1-based source position. */
typedef struct gc_loc {
	unsigned line;
	unsigned column;
	unsigned key_line; /* the mapping key in front of the value, or 0 */
	unsigned key_column;
} gc_loc;

/*
 * One YAML document of a manifest file: the object tree (cJSON) and the
 * position of every node in it, so semantic errors still point at
 * path:line:column.
 */
typedef struct gc_doc {
	char *path;     /* owned; repository-relative file path */
	unsigned index; /* 0-based position of the document in its file */
	cJSON *root;    /* owned */
	gc_loc start;   /* where the document starts */
	gc_map locs;    /* cJSON* -> index + 1 into loc_v */
	gc_loc *loc_v;
	size_t loc_n, loc_alloc;
} gc_doc;

gc_doc *gc_doc_new(const char *path, unsigned index);
void gc_doc_free(gc_doc *doc);
void gc_doc_set_loc(gc_doc *doc, const cJSON *node, gc_loc loc);
/* Position of node; the document start when the node is unknown. */
gc_loc gc_doc_loc(const gc_doc *doc, const cJSON *node);
/* Position of the key of a mapping member, else of the node. */
gc_loc gc_doc_key_loc(const gc_doc *doc, const cJSON *node);

/* A growable list of owned documents. */
typedef struct gc_doclist {
	gc_doc **v;
	size_t n, alloc;
} gc_doclist;

/* clang-format off */
#define GC_DOCLIST_INIT { NULL, 0, 0 }
/* clang-format on */

void gc_doclist_push(gc_doclist *list, gc_doc *doc);
void gc_doclist_release(gc_doclist *list);

#endif
