#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "text.h"

#define LOG_LINE_MAX 8192

static gc_log_level min_level = GC_LOG_INFO;

void gc_log_set_level(gc_log_level level)
{
	min_level = level;
}

void gc_log(gc_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	gc_buf msg = GC_BUF_INIT, line = GC_BUF_INIT;
	char stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;

	if (level < min_level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	gc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	/* one line per entry, whatever a server's text in it holds */
	gc_text_escape(&line, msg.ptr, msg.len, LOG_LINE_MAX, 0);
	fprintf(stderr, "%s %s %s\n", stamp, names[level], line.ptr);
	gc_buf_release(&msg);
	gc_buf_release(&line);
}
