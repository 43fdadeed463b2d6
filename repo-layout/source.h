#ifndef GC_REPO_LAYOUT_SOURCE_H
#define GC_REPO_LAYOUT_SOURCE_H

/*
 * CONTRACT: loading every manifest of a commit or a directory into an index.
 * Implemented by repo-layout/source.c and repo-layout/index.c.
 */

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "doc.h"
#include "git.h"
#include "util/error.h"

/*
 * One problem with its place; problems never stop the loading of others.
 * A warning (accepted, not acted on yet) is reported but fails nothing.
 */
typedef struct gc_problem {
	char *path;
	unsigned line, column;
	char *msg;
	bool warning;
} gc_problem;

typedef struct gc_problems {
	gc_problem *v;
	size_t n, alloc;
} gc_problems;

void gc_problems_add(gc_problems *p, const char *path, unsigned line,
		     unsigned column, const char *fmt, ...) GC_PRINTF(5, 6);
void gc_problems_add_error(gc_problems *p, const gc_error *err);
/* Marks the last problem added as a warning. */
void gc_problems_last_is_warning(gc_problems *p);
/* The problems that are not warnings. */
size_t gc_problems_errors(const gc_problems *p);
/* Sorted by path, line, column, message. */
void gc_problems_sort(gc_problems *p);
void gc_problems_release(gc_problems *p);

/* A document in the index, with its resolved namespace. */
typedef struct gc_object {
	gc_doc *doc;      /* borrowed from the index's doclist */
	const char *file; /* the index's file holding it: its source file,
			   * or the name of the kustomize build that made it
			   * (doc->path is then the source file) */
	const char *api_version;
	const char *kind;
	const char *name;
	char *namespace; /* borrowed from the index (one copy per name);
			  * resolved by the namespace rules */
} gc_object;

typedef struct gc_index gc_index;

/* Most roots (--path) a load takes. */
#define GC_SOURCE_MAX_PATHS 16

typedef struct gc_source_opts {
	const char *default_namespace; /* NULL = "default" */
	/*
	 * Keep each document's identity, not its tree; a tree is parsed
	 * again from the commit (or the directory) when needed
	 * (gc_index_load, gc_index_find_tree) and dropped by gc_index_trim.
	 * For a long-lived index of a large repository (the loop) and a
	 * command that walks every canary once (render).
	 */
	bool trees_on_demand;
	/*
	 * With trees_on_demand: the trees of the files indexed first are
	 * kept, up to this many nodes in all, until the first gc_index_trim,
	 * so that a command walking the files once in the order they were
	 * read (render) does not parse those again. 0 = none kept.
	 */
	size_t keep_tree_nodes;
	/* roots (--path), repository-relative; none = the repository root */
	const char *const *paths;
	size_t npaths;
	/* the kustomize command (--kustomize-command); NULL = found on PATH */
	const char *kustomize_command;
	/* build every kustomization with the tool, none natively (tests) */
	bool kustomize_always;
	/*
	 * The GitRepository that is this repository, "[namespace/]name", for
	 * the sourceRef of Flux Kustomizations (--flux-source); NULL =
	 * "flux-system/flux-system"
	 */
	const char *flux_source;
} gc_source_opts;

/*
 * Loads what the roots of a commit (git) or of a directory tree (dir, no
 * git) build, as kustomize and Flux build them (docs/repository-layout.md),
 * and indexes the documents by apiVersion/kind, namespace and name. Files
 * no root reaches are not read. Syntax errors, duplicates, malformed
 * documents and failed builds are recorded in the index's problems; only
 * I/O failures return an error.
 */
int gc_source_load_git(gc_index **out, gc_git *git,
		       const char commit[GC_OID_HEX],
		       const gc_source_opts *opts, gc_error *err);
int gc_source_load_dir(gc_index **out, const char *dir,
		       const gc_source_opts *opts, gc_error *err);

/*
 * Brings an index loaded (or updated) at commit `from` to commit `to`,
 * re-reading only the files that differ between them and rebuilding only
 * the kustomize builds that read one of them (the plan is made again when
 * a kustomization or a file is added or removed). The index then equals a
 * fresh gc_source_load_git of `to` with the same opts: objects, order,
 * lookups, problems (file problems in path order, as a git load gives
 * them). On error the index must be freed (and loaded again). Borrowed
 * pointers into the index (objects, documents) of unchanged files stay
 * valid; those of changed files do not.
 */
int gc_source_update_git(gc_index *idx, gc_git *git,
			 const char from[GC_OID_HEX], const char to[GC_OID_HEX],
			 const gc_source_opts *opts, gc_error *err);

void gc_index_free(gc_index *idx);
/*
 * The index files (gc_object.file) whose objects a change of the source
 * file at path can change: path itself when it is read as it is, and every
 * kustomize build that reads it.
 */
typedef void (*gc_source_key_cb)(const char *key, void *payload);
/*
 * Counts the plans the index made (the first load's, and each update that
 * made it again): when it moved, a changed kustomization may have moved
 * any object; when not, gc_source_keys_of says what a change touches.
 */
size_t gc_source_plan_gen(gc_index *idx);
void gc_source_keys_of(gc_index *idx, const char *path, gc_source_key_cb cb,
		       void *payload);
/*
 * With trees_on_demand: makes sure o->doc has its tree and positions,
 * reading its file again; a no-op otherwise.
 */
int gc_index_load(const gc_index *idx, const gc_object *o, gc_error *err);
/*
 * With trees_on_demand: drops every tree loaded since (kustomizations
 * stay). Pointers into the trees (cJSON nodes, strings) end here; an
 * object's identity (apiVersion, kind, name, namespace, doc->path) stays.
 */
void gc_index_trim(gc_index *idx);
/* Files gc_index_load parsed again since the last trim. */
size_t gc_index_loaded(const gc_index *idx);
/*
 * Lookup by kind ("Canary", "Deployment", ...), namespace and name; borrowed
 * or NULL.
 */
const gc_object *gc_index_find(const gc_index *idx, const char *kind,
			       const char *ns, const char *name);
/*
 * gc_index_find, with the object's tree (gc_index_load); NULL, logged, when
 * its file cannot be read again.
 */
const gc_object *gc_index_find_tree(const gc_index *idx, const char *kind,
				    const char *ns, const char *name);
/* All objects, in path order then document order. */
size_t gc_index_count(const gc_index *idx);
const gc_object *gc_index_at(const gc_index *idx, size_t i);
/*
 * The objects of one file, as gc_index_at lists them, in document order:
 * calls cb for each (none when the file is absent or not settled yet).
 */
typedef void (*gc_index_object_cb)(const gc_object *obj, void *payload);
void gc_index_foreach_in_file(const gc_index *idx, const char *path,
			      gc_index_object_cb cb, void *payload);
/*
 * Whether o is the target of a flagger.app document that is broken (a
 * misspelt Canary, `kind: Canery`): it is kept as deployed, never passed
 * through, while the document is broken.
 */
bool gc_index_held(const gc_index *idx, const gc_object *o);
/* Number of YAML documents loaded (objects, pass-through, kustomizations). */
size_t gc_index_doc_count(const gc_index *idx);
/* Problems found while loading (syntax, duplicates, bad names). */
gc_problems *gc_index_problems(gc_index *idx);

#endif
