#ifndef GC_REPO_LAYOUT_ROOTS_H
#define GC_REPO_LAYOUT_ROOTS_H

/*
 * The build plan of a source commit: which directories are roots (--path,
 * Flux Kustomizations, else the repository root), which files the native
 * build reaches and with which namespace, and which kustomizations need
 * the kustomize tool and the files each such build reads. Pure: it reads
 * a gc_src_tree (every path of the commit, kustomization files parsed)
 * and writes a gc_plan; source.c does the reading and the building.
 */

#include <stdbool.h>
#include <stddef.h>

#include "flux.h"
#include "kustomization.h"
#include "source.h"

/* What a file of the commit is, for planning. */
enum {
	GC_SRC_MANIFEST = 1 << 0, /* .yaml/.yml outside hidden directories */
	/* holds a kind kustomize's namespace: treats specially */
	GC_SRC_NS_SENSITIVE = 1 << 1,
	GC_SRC_FLUX = 1 << 2,   /* holds kustomize.toolkit.fluxcd.io objects */
	GC_SRC_KUST = 1 << 3,   /* a kustomization file */
	GC_SRC_HIDDEN = 1 << 4, /* under a hidden directory or node_modules */
	GC_SRC_CONFIG = 1 << 5  /* may hold a ConfigMap or a Secret */
};

typedef struct gc_src_file {
	char *path;
	unsigned flags;
	gc_kustomization *kust; /* GC_SRC_KUST: parsed, NULL when broken */
	gc_problems problems;   /* of parsing its kustomization */
	gc_doclist docs;        /* GC_SRC_FLUX: its documents */
} gc_src_file;

/* Every file of a commit, in path order. */
typedef struct gc_src_tree {
	gc_src_file **v;
	size_t n, alloc;
} gc_src_tree;

/*
 * Adds or replaces path with what data says it is (data NULL removes).
 * True when the change can move the plan: a file added or removed, a
 * kustomization whose namespace, resources or the paths it names changed
 * (not an images: tag), a Flux file, a file whose kinds changed.
 */
bool gc_src_tree_set(gc_src_tree *t, const char *path, const char *data,
		     size_t len);
const gc_src_file *gc_src_tree_get(const gc_src_tree *t, const char *path);
void gc_src_tree_release(gc_src_tree *t);
/* Whether path is a file or a directory of the tree. */
bool gc_src_tree_exists(const gc_src_tree *t, const char *path);

/* A kustomization built with the kustomize tool. */
typedef struct gc_plan_build {
	char *key;  /* the index's name for its output */
	char *dir;  /* the directory built */
	char *kust; /* its kustomization file (may not exist: generated) */
	char *wrap_namespace; /* a namespace: applied on top, or NULL */
	char **inputs;        /* every file the build reads, path order */
	size_t ninputs;
	bool broken; /* a remote resource or an escape: not built */
	/* a Flux Kustomization's build: the object (owned) or NULL */
	gc_flux_ks *flux;
	char *def; /* its spec as JSON: a new spec is a new build */
	/* Flux's generated kustomization (dir has none): its resources */
	char **resources;
	size_t nresources;
} gc_plan_build;

typedef struct gc_plan_opts {
	const char *const *paths; /* roots (--path); none = the root */
	size_t npaths;
	bool tool_only; /* build every kustomization with the tool (tests) */
	/* the GitRepository of this repository: "[namespace/]name" */
	const char *flux_source;
} gc_plan_opts;

typedef struct gc_plan {
	/* path -> owned namespace override, or "" for none: native files */
	gc_map native;
	gc_plan_build *builds;
	size_t nbuilds;
	gc_map inputs; /* input path -> (void *)1: read by some build */
	gc_map by_key; /* build key -> its index + 1 */
	gc_problems problems;
	size_t gen; /* how many plans an index made before this one (source.c)
		     */
} gc_plan;

void gc_plan_make(gc_plan *out, const gc_src_tree *t, const gc_plan_opts *opts);
void gc_plan_release(gc_plan *p);
/* The build whose output the index names key, or NULL. */
const gc_plan_build *gc_plan_find(const gc_plan *p, const char *key);

#endif
