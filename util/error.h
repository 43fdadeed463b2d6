#ifndef GC_UTIL_ERROR_H
#define GC_UTIL_ERROR_H

#include <stdarg.h>

#include "common.h"

/*
 * The return-code convention of every gc_ function that can fail: it
 * returns an int that is 0 on success or a negative gc_code, and (when err
 * is not NULL) fills the caller's gc_error with the same code and a
 * message. Nothing else shares that space: no positive "maybe" values, no
 * codes of a third-party library (libgit2's are translated by the wrapper,
 * gc_git__code in repo-layout/git.c; curl's and errno by theirs). A
 * function whose result has more than two outcomes says so with an
 * out-parameter (a bool *found, a bool *fallback), not with its return
 * value. Callbacks a gc_ function calls follow the same rule, and a
 * negative value a callback returns is passed back unchanged.
 *
 * Callers test `< 0` for failure and compare against a specific code only
 * where a function's header documents that it returns it.
 */
typedef enum gc_code {
	GC_OK = 0,
	/* any other failure: I/O, a library error, a network error */
	GC_ERROR = -1,
	/*
	 * what was asked for does not exist and the caller may go on without
	 * it: a branch, commit, file, note or default branch (gc_git_*), a
	 * repository path (gc_git_open), a metric with no value (prometheus),
	 * a config a canary names (render)
	 */
	GC_ENOTFOUND = -2,
	/* input that does not parse, with its path:line:col (gc_yaml_parse) */
	GC_EPARSE = -3,
	/*
	 * input that parses but breaks a rule: an id, path, ref or name that
	 * is not valid, a field of the wrong type or out of range (git,
	 * canary_spec, status, prometheus queries, webhooks)
	 */
	GC_EINVALID = -4,
	/* a system call failed; the message has strerror and the path
	 * (gc_error_set_errno) */
	GC_EOS = -5,
	/*
	 * a compare-and-swap lost the race: a ref or remote branch moved, a
	 * push was rejected as a non-fast-forward, a ref is locked
	 * (gc_git_update_branch, gc_git_note_set); the caller reloads and
	 * tries again
	 */
	GC_ECONFLICT = -6
} gc_code;

/*
 * A caller-owned error. The innermost set wins; outer layers add context
 * with gc_error_prefixf. Passing NULL means the caller does not care.
 */
typedef struct gc_error {
	gc_code code;
	char *msg;       /* owned; one line, lowercase, no full stop */
	char *path;      /* owned; file the problem is in, or NULL */
	unsigned line;   /* 1-based; 0 = unknown */
	unsigned column; /* 1-based; 0 = unknown */
} gc_error;

/* clang-format off */
#define GC_ERROR_INIT { GC_OK, NULL, NULL, 0, 0 }
/* clang-format on */

int gc_error_set(gc_error *err, gc_code code, const char *fmt, ...)
	GC_PRINTF(3, 4);
int gc_error_set_at(gc_error *err, gc_code code, const char *path,
		    unsigned line, unsigned column, const char *fmt, ...)
	GC_PRINTF(6, 7);
int gc_error_vset_at(gc_error *err, gc_code code, const char *path,
		     unsigned line, unsigned column, const char *fmt,
		     va_list ap) GC_PRINTF(6, 0);
/* GC_EOS with strerror(errno) and the path. */
int gc_error_set_errno(gc_error *err, const char *path, const char *what);
void gc_error_prefixf(gc_error *err, const char *fmt, ...) GC_PRINTF(2, 3);
void gc_error_release(gc_error *err);
void gc_error_clear(gc_error *err);
/* "path:line:col: msg" (parts omitted when unknown); owned. */
char *gc_error_format(const gc_error *err);
const char *gc_error_msg(const gc_error *err);

#endif
