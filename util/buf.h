#ifndef GC_UTIL_BUF_H
#define GC_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "error.h"

/*
 * A growable string buffer with git strbuf invariants: `ptr` is never NULL
 * after GC_BUF_INIT and always NUL-terminated; gc_buf_detach hands it over.
 */
typedef struct gc_buf {
	char *ptr;
	size_t len;
	size_t alloc;
} gc_buf;

extern char gc_buf__empty[];
/* clang-format off */
#define GC_BUF_INIT { gc_buf__empty, 0, 0 }
/* clang-format on */

void gc_buf_init(gc_buf *buf);
void gc_buf_release(gc_buf *buf);
void gc_buf_clear(gc_buf *buf);
void gc_buf_grow(gc_buf *buf, size_t extra);
void gc_buf_add(gc_buf *buf, const void *data, size_t len);
void gc_buf_adds(gc_buf *buf, const char *s);
void gc_buf_addch(gc_buf *buf, char c);
/* v as four bytes, most significant first (git's and SSH's formats). */
void gc_buf_add_be32(gc_buf *buf, uint32_t v);
void gc_buf_addf(gc_buf *buf, const char *fmt, ...) GC_PRINTF(2, 3);
void gc_buf_vaddf(gc_buf *buf, const char *fmt, va_list ap) GC_PRINTF(2, 0);
void gc_buf_truncate(gc_buf *buf, size_t len);
/* Owned string; the buffer is reset to empty. */
char *gc_buf_detach(gc_buf *buf, size_t *len_out);

/* Reads a whole file; fails with GC_EINVALID when it is larger than max. */
int gc_buf_read_file(gc_buf *buf, const char *path, size_t max, gc_error *err);
/* Writes data to path, creating parent directories as needed. */
int gc_buf_write_file(const char *path, const void *data, size_t len,
		      gc_error *err);

#endif
