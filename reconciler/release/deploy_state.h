#ifndef GC_RECONCILER_DEPLOY_STATE_H
#define GC_RECONCILER_DEPLOY_STATE_H

/*
 * What the deploy branch remembers about one canary: its status file
 * (.gitcanary/status/<ns>/<name>.yaml, docs/repository-layout.md). The file
 * is a Canary document {apiVersion, kind, metadata, spec, status} whose
 * status holds Flagger's fields (status.h) and a "gitcanary" object with
 * what the next tick needs to render and resume:
 *
 *   routing {primary, canary, mirror}   the weights as rendered
 *   canaryActive                        the canary Deployment is scaled up
 *   promotedTemplate, promotedRevision  the pod template the primary runs
 *   sourceCommit                        the source commit of the running
 *                                       (or last) release
 *   releaseMaxWeight                    highest canary weight of that release
 *   files                               the paths rendered for the canary
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "reconciler/release/machine.h"
#include "repo-layout/git.h"
#include "reconciler/release/status.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct gc_deploy_canary {
	gc_status status;
	gc_routing routing;
	bool canary_active;
	cJSON *promoted_template; /* owned or NULL */
	char promoted_revision[GC_STATUS_SPEC_MAX];
	char source_commit[GC_OID_HEX];
	int release_max_weight;
	char **files; /* owned, sorted */
	size_t nfiles;
} gc_deploy_canary;

/* No status yet: primary 100 %, nothing active, no files. */
void gc_deploy_canary_init(gc_deploy_canary *dc);
void gc_deploy_canary_release(gc_deploy_canary *dc);
/* Deep copy into an uninitialised or released dst. */
void gc_deploy_canary_copy(gc_deploy_canary *dst, const gc_deploy_canary *src);
/* Replaces the file list (copies the strings, sorts them). */
void gc_deploy_canary_set_files(gc_deploy_canary *dc, const char *const *files,
				size_t n);

/*
 * Reads a status file. On error (GC_EPARSE, GC_EINVALID with path:line:col
 * when known) out is left initialised and empty.
 */
int gc_deploy_canary_parse(gc_deploy_canary *out, const char *path,
			   const char *data, size_t len, gc_error *err);
/*
 * Writes the status file of canary ns/name; `canary` is the source Canary
 * document (its spec is copied), or NULL.
 */
int gc_deploy_canary_emit(gc_buf *out, const gc_deploy_canary *dc,
			  const char *ns, const char *name, const cJSON *canary,
			  gc_error *err);

/*
 * The files of a deploy-branch commit, as path -> content hash (FNV-1a 64
 * over the bytes, plus the length), so a tick can tell which rendered
 * files changed without keeping their bytes.
 */
typedef struct gc_deploy_tree {
	char commit[GC_OID_HEX]; /* "" = no deploy branch yet */
	void *files;             /* gc_map path -> entry (internal) */
	size_t count;
} gc_deploy_tree;

void gc_deploy_tree_init(gc_deploy_tree *t);
void gc_deploy_tree_release(gc_deploy_tree *t);
/*
 * Moves the tree to `commit` ("" = empty): reads only the paths that
 * differ from the commit it holds (all of them the first time). cb (may
 * be NULL) gets every path that differs from the commit the tree held,
 * and *all is set instead when the tree was read or emptied wholesale.
 */
int gc_deploy_tree_update(gc_deploy_tree *t, gc_git *git,
			  const char commit[GC_OID_HEX], gc_git_path_cb cb,
			  void *payload, bool *all, gc_error *err);
/* True when path holds exactly these bytes. */
bool gc_deploy_tree_same(const gc_deploy_tree *t, const char *path,
			 const char *data, size_t len);
bool gc_deploy_tree_has(const gc_deploy_tree *t, const char *path);
/* The content hash of path, 0 when absent. */
uint64_t gc_deploy_tree_hash(const gc_deploy_tree *t, const char *path);
/*
 * The tree's copy of a path it has held or deleted (valid until the tree
 * is released), or NULL.
 */
const char *gc_deploy_tree_path(const gc_deploy_tree *t, const char *path);
/* Records a write (data != NULL) or a deletion. */
void gc_deploy_tree_set(gc_deploy_tree *t, const char *path, const char *data,
			size_t len);
/* Every path, sorted; owned array of borrowed strings (valid until the next
 * change of t). */
const char **gc_deploy_tree_paths(const gc_deploy_tree *t, size_t *n);

#endif
