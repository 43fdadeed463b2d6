#ifndef GC_REPO_LAYOUT_INDEX_H
#define GC_REPO_LAYOUT_INDEX_H

/*
 * Internals of the manifest index shared by source.c (which feeds it files)
 * and index.c. The public surface is source.h; the name rules are in
 * names.h.
 */

#include <stdbool.h>
#include <stddef.h>

#include "names.h"
#include "roots.h"
#include "source.h"

/*
 * An empty index; fill with gc_index__add_file or gc_index__set_file, then
 * gc_index__finish. A finished index takes more set_file calls and another
 * finish (an update): the result equals a fresh load of the same files.
 */
gc_index *gc_index__new(void);
/*
 * Parses one file's bytes into documents and file problems (appended); a
 * syntax error becomes a problem and the file gives no documents.
 */
void gc_index__parse(const char *path, const char *data, size_t len,
		     gc_doclist *docs, gc_problems *problems);
/*
 * Adds or replaces the file at path with parsed documents and problems
 * (both taken over and left empty; problems may be NULL); docs NULL
 * removes the file. ns: the namespace its kustomizations give its
 * namespaced objects (NULL or "": their own). built: path names a
 * kustomize build's output, whose documents carry their source paths
 * and are kept in memory.
 */
void gc_index__set_file(gc_index *idx, const char *path, gc_doclist *docs,
			gc_problems *problems, const char *ns, bool built);
/*
 * Gives the file at path the namespace its kustomizations give it (NULL or
 * "": none); false when the index has no such file.
 */
bool gc_index__set_ns(gc_index *idx, const char *path, const char *ns);
/* The build plan's problems, listed first (taken over). */
void gc_index__set_plan_problems(gc_index *idx, gc_problems *problems);
/* The source tree and build plan the index was loaded from (source.c). */
gc_src_tree *gc_index__tree(gc_index *idx);
gc_plan *gc_index__plan(gc_index *idx);
/*
 * Resolves namespaces, checks names, detects duplicates and builds the
 * lookup table, for what changed since the last finish.
 */
void gc_index__finish(gc_index *idx, const gc_source_opts *opts);
/*
 * Where the files come from, for gc_index_load: a commit of git. With lazy,
 * each file's trees are dropped once its documents are checked (all but
 * kustomizations) and parsed again on demand.
 */
void gc_index__set_origin(gc_index *idx, gc_git *git,
			  const char commit[GC_OID_HEX], bool lazy);
/* The same for a directory: files are read again from dir/<path>. */
void gc_index__set_origin_dir(gc_index *idx, const char *dir, bool lazy);
/*
 * With lazy: the trees of the next files set are kept, up to nodes in all
 * (a document's positions), until the next gc_index_trim, which drops them
 * and keeps no more.
 */
void gc_index__set_keep(gc_index *idx, size_t nodes);

#endif
