#ifndef GC_UTIL_ERROR_H
#define GC_UTIL_ERROR_H

#include <stdarg.h>

#include "common.h"

/* 0 or a negative code; at most a few expected ones, the rest GC_ERROR. */
typedef enum gc_code {
	GC_OK = 0,
	GC_ERROR = -1,
	GC_ENOTFOUND = -2,
	GC_EPARSE = -3,
	GC_EINVALID = -4,
	GC_EOS = -5,
	GC_ECONFLICT = -6 /* a compare-and-swap lost the race */
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
