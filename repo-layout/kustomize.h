#ifndef GC_REPO_LAYOUT_KUSTOMIZE_H
#define GC_REPO_LAYOUT_KUSTOMIZE_H

/*
 * Running the kustomize executable on a root's files, as Argo CD's
 * repo-server does, and locating what it prints in the source files.
 */

#include <stdbool.h>
#include <stddef.h>

#include "doc.h"
#include "source.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct gc_kustomize_opts {
	/*
	 * NULL: "kustomize build" when `kustomize` is on PATH, else
	 * "kubectl kustomize"; else split on spaces. The directory to build
	 * is appended as the last argument.
	 */
	const char *command;
	unsigned timeout_ms; /* 0 = GC_KUSTOMIZE_TIMEOUT_MS */
	size_t max_output;   /* bytes of standard output; 0 =
				GC_KUSTOMIZE_MAX_OUTPUT */
} gc_kustomize_opts;

#define GC_KUSTOMIZE_TIMEOUT_MS 60000u
#define GC_KUSTOMIZE_MAX_OUTPUT ((size_t)64 * 1024 * 1024)

/* One input file of a build: repository-relative path and its bytes. */
typedef struct gc_kfile {
	const char *path; /* borrowed */
	const char *data; /* borrowed */
	size_t len;
} gc_kfile;

/*
 * Builds the kustomization in the repository-relative directory `root`
 * ("" or "." = the repository root) from exactly `files` (every file
 * kustomize may read, the root's kustomization file among them, possibly
 * synthesized by the caller). The files are written under a fresh private
 * temporary directory, removed afterwards; the tool runs there with a
 * timeout, an output cap and no network (proxies at a closed loopback
 * port, git limited to no protocol). Before it runs, a `resources:`,
 * `components:` or `bases:` entry of any kustomization file that is a URL
 * or a git/GitHub reference, or that leaves the repository, is a problem
 * at the entry, and nothing runs.
 *
 * Each built object is appended to `out` as a gc_doc whose path is the
 * file that defined it (kustomize's config.kubernetes.io/origin
 * annotation, which this function requests from the build and removes
 * again, so the trees equal a plain `kustomize build`; kept when the root
 * asks for it itself). A node keeps the position of the node at the same
 * key path in that file's matching document (same kind, source name
 * contained in the built name) when its value is equal; nodes a
 * transformer added or changed have none. Every built doc has `via` = the
 * root's kustomization file (see gc_doc_place) and `index` = its place in
 * the build's output. An object a generator made (configMapGenerator,
 * ...) has the generating kustomization file as its path, with the
 * generator's entry as the position of the root and metadata.name when
 * found.
 *
 * A build that fails (exit status, timeout, output cap, output that does
 * not parse) adds ONE problem at the root's kustomization file (at the
 * field or entry the tool's message names, when it names one; else line 1
 * column 1) carrying the tool's first error line, sanitized (one line,
 * bounded, no control characters, temporary paths made repository paths),
 * and appends no document.
 *
 * Returns 0, also when problems were added; GC_EINVALID when a path of
 * files or root is not a clean relative path or root has no kustomization
 * file among files (caller misuse); GC_EOS or GC_ERROR when the system
 * fails (temporary directory, pipe, fork).
 */
int gc_kustomize_build(const gc_kustomize_opts *opts, const char *root,
		       const gc_kfile *files, size_t nfiles, gc_doclist *out,
		       gc_problems *problems, gc_error *err);

/* ---- internal to kustomize.c and kustomize_run.c ---- */

/* What a finished child left behind. */
typedef struct gc_kustomize__run {
	gc_buf out;     /* standard output, at most the cap + one read */
	gc_buf err;     /* standard error, its first 64 KiB */
	int status;     /* waitpid status */
	bool timed_out; /* killed at the deadline */
	bool too_big;   /* killed when the output passed the cap */
} gc_kustomize__run;

/*
 * Runs argv (execvp) in dir with the no-network environment, in its own
 * process group, killed (the whole group) at the deadline or when stdout
 * passes max_output. < 0 only when the system fails (pipe, fork).
 */
int gc_kustomize__exec(gc_kustomize__run *r, char *const *argv, const char *dir,
		       unsigned timeout_ms, size_t max_output, gc_error *err);
void gc_kustomize__run_release(gc_kustomize__run *r);
/* A fresh private directory under $TMPDIR (or /tmp); owned path. */
int gc_kustomize__tmpdir(char **out, gc_error *err);
/* Removes dir and everything below it (no symlinks followed). */
void gc_kustomize__rmrf(const char *dir);
/* Whether an executable named name is on PATH. */
bool gc_kustomize__on_path(const char *name);

#endif
