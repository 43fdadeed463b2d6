#ifndef GC_REPO_LAYOUT_BUILDS_H
#define GC_REPO_LAYOUT_BUILDS_H

/*
 * Running the kustomize builds of a plan (roots.h): the inputs of each
 * from the commit, Flux's kustomization and postBuild for Flux
 * Kustomizations, and many builds batched into one kustomize run, the
 * runs spread over the machine's cores. Used by source.c.
 */

#include "roots.h"
#include "util/buf.h"

/* The bytes of a file of the commit; GC_ENOTFOUND when absent. */
typedef int (*gc_builds_read_cb)(const gc_buf **out, const char *path,
				 void *payload, gc_error *err);

typedef struct gc_builds_env {
	const gc_src_tree *tree;
	gc_builds_read_cb read; /* main thread only */
	void *payload;
	const char *kustomize_command; /* NULL = found on PATH */
} gc_builds_env;

/* What one build gives its index file. */
typedef struct gc_build_out {
	gc_doclist docs;
	gc_problems problems;
} gc_build_out;

/*
 * Runs builds v[0..n) into out[0..n) (zeroed by the caller, released by
 * the caller with gc_build_out_release). Builds that can share a run (no
 * two of them build one directory or read one file with different bytes)
 * go into runs of up to GC_BUILDS_BATCH, each object told back to its
 * build by a label the run adds and gitcanary removes; a run that fails
 * is run again build by build, so a broken root only fails itself. The
 * result of each build equals a kustomize build of it alone. Returns < 0
 * only when a file cannot be read or a run cannot start.
 */
#define GC_BUILDS_BATCH 48
int gc_builds_run(const gc_plan_build *const *v, size_t n, gc_build_out *out,
		  const gc_builds_env *env, gc_error *err);
void gc_build_out_release(gc_build_out *o);

#endif
