#ifndef GC_REPO_LAYOUT_DOC_H
#define GC_REPO_LAYOUT_DOC_H

#include <stdbool.h>
#include <stddef.h>

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
 * A node's position as the document stores it: the node and its gc_loc
 * packed in 64 bits (line 22, column 14, key line as a distance back from
 * the line 14, key column 14), or an index into gc_doc.big when a value
 * does not fit.
 */
typedef struct gc_doc_pos {
	const cJSON *node;
	unsigned long long packed;
} gc_doc_pos;

/*
 * One YAML document of a manifest file: the object tree (cJSON) and the
 * position of every node in it, so semantic errors still point at
 * path:line:column.
 */
typedef struct gc_doc {
	char *path; /* repository-relative file path, freed with doc */
	/*
	 * owned; NULL for a document read from its file. For an object a
	 * kustomize build produced (gc_kustomize_build): the root's
	 * kustomization file, the place to name for a node the build added
	 * or changed (it has no position in path).
	 */
	char *via;
	unsigned index;  /* 0-based position of the document in its file */
	cJSON *root;     /* owned */
	gc_loc start;    /* where the document starts */
	gc_doc_pos *pos; /* by node address once sealed, else in set order */
	gc_loc *big;     /* positions too large to pack */
	unsigned pos_n, pos_alloc, big_n, big_alloc;
	bool sealed;
} gc_doc;

gc_doc *gc_doc_new(const char *path, unsigned index);
void gc_doc_free(gc_doc *doc);
/*
 * Records (or replaces) the position of node. Before gc_doc_seal this is
 * an append (the latest position of a node wins); after, an insertion.
 */
void gc_doc_set_loc(gc_doc *doc, const cJSON *node, gc_loc loc);
/* Number of positions set, for gc_doc_forget_locs. */
size_t gc_doc_loc_mark(const gc_doc *doc);
/*
 * Drops the positions set since mark (those of a subtree that left the
 * tree); only before gc_doc_seal.
 */
void gc_doc_forget_locs(gc_doc *doc, size_t mark);
/*
 * Once the tree is complete: sorts the positions by node and frees the
 * slack, so lookups are binary searches.
 */
void gc_doc_seal(gc_doc *doc);
/* Position of node; the document start when the node is unknown. */
gc_loc gc_doc_loc(const gc_doc *doc, const cJSON *node);
/* Position of the key of a mapping member, else of the node. */
gc_loc gc_doc_key_loc(const gc_doc *doc, const cJSON *node);
/*
 * The place to report a problem about node: doc->path and the node's
 * position when it has one; else, when doc->via is set (a node a kustomize
 * transformer added or changed), via at line 1 column 1; else doc->path at
 * the document start. *path is borrowed from doc.
 */
void gc_doc_place(const gc_doc *doc, const cJSON *node, const char **path,
		  gc_loc *loc);
/*
 * Frees the tree and the positions, keeping path, via, index and start: a
 * document whose tree can be parsed again when needed (the index's
 * trees on demand).
 */
void gc_doc_trim(gc_doc *doc);
/* Moves the tree, positions and start of from into doc; frees from. */
void gc_doc_graft(gc_doc *doc, gc_doc *from);

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
