#ifndef GC_UTIL_ALLOC_H
#define GC_UTIL_ALLOC_H

#include <stddef.h>

#include "common.h"

/* Allocation aborts on out-of-memory, as in git, redis and tmux. */
void *gc_xmalloc(size_t size);
void *gc_xcalloc(size_t n, size_t size);
void *gc_xrealloc(void *ptr, size_t size);
char *gc_xstrdup(const char *s);
char *gc_xstrndup(const char *s, size_t n);
/* Owned, formatted string. */
char *gc_xasprintf(const char *fmt, ...) GC_PRINTF(1, 2);
/*
 * Overwrites len bytes at p with zeros in a way the compiler may not drop
 * (a secret about to be freed or to leave scope).
 */
void gc_wipe(void *p, size_t len);
/* gc_wipe of the string s (NULL is fine), then free. */
void gc_free_secret(char *s);

#define GC_FREE_AND_NULL(p) \
	do {                \
		free(p);    \
		(p) = NULL; \
	} while (0)

#endif
