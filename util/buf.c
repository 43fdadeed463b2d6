#include "buf.h"
#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char gc_buf__empty[1];

void gc_buf_init(gc_buf *buf)
{
	buf->ptr = gc_buf__empty;
	buf->len = 0;
	buf->alloc = 0;
}

void gc_buf_release(gc_buf *buf)
{
	if (buf->alloc)
		free(buf->ptr);
	gc_buf_init(buf);
}

void gc_buf_clear(gc_buf *buf)
{
	gc_buf_truncate(buf, 0);
}

void gc_buf_grow(gc_buf *buf, size_t extra)
{
	size_t want = buf->len + extra + 1;

	if (want <= buf->alloc)
		return;
	if (want < buf->alloc * 2)
		want = buf->alloc * 2;
	if (want < 64)
		want = 64;
	if (!buf->alloc) {
		buf->ptr = gc_xmalloc(want);
		buf->ptr[0] = '\0';
	} else {
		buf->ptr = gc_xrealloc(buf->ptr, want);
	}
	buf->alloc = want;
}

void gc_buf_add(gc_buf *buf, const void *data, size_t len)
{
	if (!len)
		return;
	gc_buf_grow(buf, len);
	memcpy(buf->ptr + buf->len, data, len);
	buf->len += len;
	buf->ptr[buf->len] = '\0';
}

void gc_buf_adds(gc_buf *buf, const char *s)
{
	gc_buf_add(buf, s, strlen(s));
}

void gc_buf_addch(gc_buf *buf, char c)
{
	gc_buf_add(buf, &c, 1);
}

void gc_buf_add_be32(gc_buf *buf, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	gc_buf_add(buf, b, sizeof(b));
}

void gc_buf_vaddf(gc_buf *buf, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	GC_ASSERT(n >= 0);
	gc_buf_grow(buf, (size_t)n);
	vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
}

void gc_buf_addf(gc_buf *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gc_buf_vaddf(buf, fmt, ap);
	va_end(ap);
}

void gc_buf_truncate(gc_buf *buf, size_t len)
{
	GC_ASSERT(len <= buf->len);
	buf->len = len;
	if (buf->alloc)
		buf->ptr[len] = '\0';
}

char *gc_buf_detach(gc_buf *buf, size_t *len_out)
{
	char *p;

	if (len_out)
		*len_out = buf->len;
	p = buf->alloc ? buf->ptr : gc_xstrdup("");
	gc_buf_init(buf);
	return p;
}

/*
 * With read(2) into the buffer, sized by fstat: no stdio buffer per file
 * (a load reads every file of a repository).
 */
int gc_buf_read_file(gc_buf *buf, const char *path, size_t max, gc_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;
	int error = 0;

	if (fd < 0)
		return gc_error_set_errno(err, path, "cannot open");
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (size_t)st.st_size <= max)
		gc_buf_grow(buf, (size_t)st.st_size + 1);
	for (;;) {
		if (buf->alloc - buf->len < 2)
			gc_buf_grow(buf, 65536);
		n = read(fd, buf->ptr + buf->len, buf->alloc - buf->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = gc_error_set_errno(err, path, "cannot read");
			break;
		}
		if (n == 0)
			break;
		buf->len += (size_t)n;
		buf->ptr[buf->len] = '\0';
		if (buf->len > max) {
			error = gc_error_set_at(err, GC_EINVALID, path, 0, 0,
						"file is larger than %zu bytes",
						max);
			break;
		}
	}
	close(fd);
	return error;
}

static int mkdirs_for(const char *path, gc_error *err)
{
	char *dir = gc_xstrdup(path);
	int error = 0;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
			error = gc_error_set_errno(err, dir, "cannot create");
			break;
		}
		*p = '/';
	}
	free(dir);
	return error;
}

int gc_buf_write_file(const char *path, const void *data, size_t len,
		      gc_error *err)
{
	FILE *f;
	int error;

	if ((error = mkdirs_for(path, err)) < 0)
		return error;
	if (!(f = fopen(path, "wb")))
		return gc_error_set_errno(err, path, "cannot create");
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return gc_error_set_errno(err, path, "cannot write");
	}
	if (fclose(f) != 0)
		return gc_error_set_errno(err, path, "cannot write");
	return 0;
}
