#ifndef GC_REPO_LAYOUT_INDEX_H
#define GC_REPO_LAYOUT_INDEX_H

/*
 * Internals of the manifest index shared by source.c (which feeds it files)
 * and by validators (name rules). The public surface is source.h.
 */

#include <stdbool.h>
#include <stddef.h>

#include "source.h"

/* An empty index; fill with gc_index__add_file, then gc_index__finish. */
gc_index *gc_index__new(void);
/*
 * Parses one file's bytes into the index's documents; a syntax error
 * becomes a problem of the index and the file contributes nothing else.
 */
void gc_index__add_file(gc_index *idx, const char *path, const char *data,
			size_t len);
/* Documents loaded so far (before finish); borrowed. */
size_t gc_index__doc_n(const gc_index *idx);
gc_doc *gc_index__doc(gc_index *idx, size_t i);
/* Appends an owned document (a cached copy). */
void gc_index__push_doc(gc_index *idx, gc_doc *doc);
/* Resolves namespaces, checks names and builds the lookup table. */
void gc_index__finish(gc_index *idx, const gc_source_opts *opts);
/* Number of YAML documents loaded (objects, pass-through, kustomizations). */
size_t gc_index_doc_count(const gc_index *idx);

/* Kubernetes name rules; on failure *why is a borrowed explanation. */
bool gc_name_is_dns1123_subdomain(const char *s, const char **why);
bool gc_name_is_dns1123_label(const char *s, const char **why);
bool gc_name_is_dns1035_label(const char *s, const char **why);
/* Kinds without a namespace (Namespace, ClusterRole, ...). */
bool gc_kind_is_cluster_scoped(const char *kind);

#endif
