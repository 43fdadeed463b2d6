#include "error.h"
#include "alloc.h"
#include "buf.h"
#include "text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * An error is one line (util/text.h): values pasted into a message (a YAML
 * value, a server's text, a file name) cannot start a line of their own.
 */
static char *one_line(const char *s)
{
	gc_buf b = GC_BUF_INIT;

	gc_text_escape(&b, s, strlen(s), 0, 0);
	return gc_buf_detach(&b, NULL);
}

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
	err->msg = one_line(msg.ptr);
	err->path = path ? one_line(path) : NULL;
	gc_buf_release(&msg);
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
	err->msg = one_line(msg.ptr);
	gc_buf_release(&msg);
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
