#include "error.h"
#include "alloc.h"
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int gc_error_vset_at(gc_error *err, gc_code code, const char *path,
		     unsigned line, unsigned column, const char *fmt,
		     va_list ap)
{
	gc_buf msg = GC_BUF_INIT;

	GC_ASSERT(code < 0);
	if (!err || err->code != GC_OK)
		return code;
	gc_buf_vaddf(&msg, fmt, ap);
	err->code = code;
	err->msg = gc_buf_detach(&msg, NULL);
	err->path = path ? gc_xstrdup(path) : NULL;
	err->line = line;
	err->column = column;
	return code;
}

int gc_error_set_at(gc_error *err, gc_code code, const char *path,
		    unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gc_error_vset_at(err, code, path, line, column, fmt, ap);
	va_end(ap);
	return code;
}

int gc_error_set(gc_error *err, gc_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gc_error_vset_at(err, code, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int gc_error_set_errno(gc_error *err, const char *path, const char *what)
{
	return gc_error_set_at(err, GC_EOS, path, 0, 0, "%s: %s", what,
			       strerror(errno));
}

void gc_error_prefixf(gc_error *err, const char *fmt, ...)
{
	gc_buf msg = GC_BUF_INIT;
	va_list ap;

	if (!err || err->code == GC_OK)
		return;
	va_start(ap, fmt);
	gc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	gc_buf_addf(&msg, ": %s", err->msg ? err->msg : "");
	free(err->msg);
	err->msg = gc_buf_detach(&msg, NULL);
}

void gc_error_release(gc_error *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err->path);
	err->code = GC_OK;
	err->msg = NULL;
	err->path = NULL;
	err->line = err->column = 0;
}

void gc_error_clear(gc_error *err)
{
	gc_error_release(err);
}

const char *gc_error_msg(const gc_error *err)
{
	return err && err->msg ? err->msg : "unknown error";
}

char *gc_error_format(const gc_error *err)
{
	gc_buf out = GC_BUF_INIT;

	if (err->path) {
		gc_buf_adds(&out, err->path);
		if (err->line) {
			gc_buf_addf(&out, ":%u", err->line);
			if (err->column)
				gc_buf_addf(&out, ":%u", err->column);
		}
		gc_buf_adds(&out, ": ");
	}
	gc_buf_adds(&out, gc_error_msg(err));
	return gc_buf_detach(&out, NULL);
}
