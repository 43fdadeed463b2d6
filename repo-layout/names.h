#ifndef GC_REPO_LAYOUT_NAMES_H
#define GC_REPO_LAYOUT_NAMES_H

/*
 * Kubernetes name rules, checked before a name becomes a path, and the file
 * names of a kustomization. Pure functions of their arguments.
 */

#include <stdbool.h>
#include <stddef.h>

/* Kubernetes name rules; on failure *why is a borrowed explanation. */
bool gc_name_is_dns1123_subdomain(const char *s, const char **why);
bool gc_name_is_dns1123_label(const char *s, const char **why);
bool gc_name_is_dns1035_label(const char *s, const char **why);
/* Kinds without a namespace (Namespace, ClusterRole, ...). */
bool gc_kind_is_cluster_scoped(const char *kind);
/*
 * False for an apiVersion of the flagger.app group with a kind Flagger does
 * not define (a misspelt Canary): such a document is a problem of the
 * index, like one that does not parse, so a typo never reads as a deleted
 * Canary. True for every other apiVersion.
 */
bool gc_kind_exists_in_group(const char *api_version, const char *kind);

/*
 * The file names kustomize reads as a directory's kustomization, in the
 * order the index takes the first valid namespace from them.
 */
#define GC_NAME_KUSTOMIZATION_FILES 3
extern const char
	*const gc_name_kustomization_files[GC_NAME_KUSTOMIZATION_FILES];
/* True when the last component of path is one of those names. */
bool gc_name_is_kustomization(const char *path);

/* A manifest file name: .yaml, .yml or Kustomization, not hidden. */
bool gc_name_is_manifest(const char *path);
/* Directories no walk descends into: hidden ones, node_modules. */
bool gc_name_is_skipped_dir(const char *name);
/* True when a directory of path is one of those. */
bool gc_name_in_skipped_dir(const char *path);

#endif
