#ifndef GC_REPO_LAYOUT_ENVSUBST_H
#define GC_REPO_LAYOUT_ENVSUBST_H

/*
 * Flux's envsubst (github.com/fluxcd/pkg/envsubst, a fork of drone/envsubst)
 * as kustomize-controller runs it on postBuild: only the braced forms
 * ${var}, ${var:=default}, ${var:-default}, ${var=default} (and the other
 * operators of that fork, docs/flux.md); `$var` is left alone and `$$` is
 * one `$`. Pure: no environment, no I/O.
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/*
 * The value of variable name (len bytes, not NUL-terminated) in *value
 * (borrowed), returning true; false when it is not set.
 */
typedef bool (*gc_envsubst_lookup_cb)(const char *name, size_t len,
				      const char **value, void *payload);

/*
 * Appends s with its substitutions expanded to out. strict: a variable that
 * is not set is an error unless the form supplies a default (upstream's
 * StrictPostBuildSubstitutions); otherwise it reads as "". Errors use
 * upstream's words ("variable not set (strict mode): \"X\"", "missing
 * closing brace", "bad substitution", ...). Returns 0 or < 0 (GC_EPARSE
 * for syntax, GC_EINVALID for an unset variable); out is then partial.
 */
int gc_envsubst_eval(gc_buf *out, const char *s, gc_envsubst_lookup_cb lookup,
		     void *payload, bool strict, gc_error *err);

#endif
