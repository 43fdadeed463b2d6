#include "alloc.h"
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gc__bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "BUG: %s:%d: %s\n", file, line, what);
	abort();
}

static void *oom(size_t size)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void *gc_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	return p ? p : oom(size);
}

void *gc_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	return p ? p : oom(n * size);
}

void *gc_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	return p ? p : oom(size);
}

char *gc_xstrdup(const char *s)
{
	return gc_xstrndup(s, strlen(s));
}

char *gc_xstrndup(const char *s, size_t n)
{
	char *p = gc_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *gc_xasprintf(const char *fmt, ...)
{
	va_list ap, cp;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	GC_ASSERT(n >= 0);
	p = gc_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* Called through a volatile pointer, so the stores cannot be elided. */
static void *(*volatile wipe_memset)(void *, int, size_t) = memset;

void gc_wipe(void *p, size_t len)
{
	if (p && len)
		wipe_memset(p, 0, len);
}

void gc_free_secret(char *s)
{
	if (s)
		gc_wipe(s, strlen(s));
	free(s);
}
