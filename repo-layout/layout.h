#ifndef GC_REPO_LAYOUT_LAYOUT_H
#define GC_REPO_LAYOUT_LAYOUT_H

/*
 * The deploy branch's file layout (docs/repository-layout.md):
 *
 *   kustomization.yaml                       every applied file, sorted
 *   <ns>/<canary>/<kind>-<name>.yaml         objects rendered for a canary
 *   <ns>/_/<kind>-<name>.yaml                source objects passed through
 *   _cluster/<kind>-<name>.yaml              cluster-scoped source objects
 *   .gitcanary/status/<ns>/<canary>.yaml     status files (not applied)
 *
 * Names are DNS-1123 (validated on load), so paths never escape the layout.
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define GC_LAYOUT_STATUS_DIR ".gitcanary/status"
#define GC_LAYOUT_KUSTOMIZATION "kustomization.yaml"

/* Appends the path of a rendered (canary != NULL) or passed-through object. */
void gc_layout_object_path(gc_buf *out, const char *ns, const char *canary,
			   const char *kind, const char *name);
void gc_layout_status_path(gc_buf *out, const char *ns, const char *name);
/* True for the path of a passed-through object (<ns>/_/ or _cluster/). */
bool gc_layout_is_passthrough(const char *path);
/* Appends the pass-through path of the object rendered at path: the
 * same file name under <ns>/_/; nothing when path is no object path. */
void gc_layout_passthrough_of(gc_buf *out, const char *path);
/* Appends "<ns>/<canary>/", the directory of a canary's rendered objects. */
void gc_layout_canary_dir(gc_buf *out, const char *ns, const char *canary);
/* Appends the "<a>/<b>/" directory path lies in (gc_layout_canary_dir's
 * form); false, appending nothing, when it lies in no such directory. */
bool gc_layout_object_dir(gc_buf *out, const char *path);
/* True for a path that kustomization.yaml lists (everything but status and
 * itself). */
bool gc_layout_is_applied(const char *path);
/* Parses a status path back into namespace and name (owned); false if not one.
 */
bool gc_layout_parse_status_path(const char *path, char **ns, char **name);
/* The root kustomization.yaml listing `paths` (sorted in place). */
void gc_layout_kustomization(gc_buf *out, const char **paths, size_t n);

#endif
