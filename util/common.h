#ifndef GC_UTIL_COMMON_H
#define GC_UTIL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define GC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/*
 * p without its const, for a library function that takes a non-const
 * pointer but only reads through it (libgit2's git_strarray, libyaml's
 * event constructors). Never for gitcanary's own data.
 */
#define GC_UNCONST(p) ((void *)(uintptr_t)(const void *)(p))

#if defined(__GNUC__)
#define GC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define GC_NORETURN __attribute__((noreturn))
#else
#define GC_PRINTF(fmt, args)
#define GC_NORETURN
#endif

GC_NORETURN void gc__bug(const char *file, int line, const char *what);

/* Broken invariants and misuse abort with file:line; they never return. */
#define GC_ASSERT(cond)                                     \
	do {                                                \
		if (!(cond))                                \
			gc__bug(__FILE__, __LINE__, #cond); \
	} while (0)
#define GC_BUG(what) gc__bug(__FILE__, __LINE__, (what))

#endif
