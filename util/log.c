#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "text.h"

#define LOG_LINE_MAX 8192

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static gc_log_level min_level = GC_LOG_INFO;
static gc_log_format format = GC_LOG_TEXT;

void gc_log_set_level(gc_log_level level)
{
	min_level = level;
}

void gc_log_set_format(gc_log_format f)
{
	format = f;
}

int gc_log_level_parse(gc_log_level *out, const char *name)
{
	for (int i = GC_LOG_DEBUG; i <= GC_LOG_ERROR; i++) {
		if (!strcmp(name, level_names[i])) {
			*out = (gc_log_level)i;
			return 0;
		}
	}
	if (!strcmp(name, "warning")) {
		*out = GC_LOG_WARN;
		return 0;
	}
	return -1;
}

int gc_log_format_parse(gc_log_format *out, const char *name)
{
	if (!strcmp(name, "text"))
		*out = GC_LOG_TEXT;
	else if (!strcmp(name, "json"))
		*out = GC_LOG_JSON;
	else
		return -1;
	return 0;
}

/* ,"key":"value" (JSON) or " key=value" (text), escaped and one line */
static void field(gc_buf *line, const char *key, const char *value)
{
	const unsigned quote = format == GC_LOG_JSON ? GC_TEXT_QUOTE : 0;

	if (format == GC_LOG_JSON) {
		gc_buf_addch(line, ',');
		gc_text_escape(line, key, strlen(key), 0, GC_TEXT_QUOTE);
		gc_buf_addch(line, ':');
	} else {
		gc_buf_addch(line, ' ');
		gc_text_escape(line, key, strlen(key), 0, 0);
		gc_buf_addch(line, '=');
	}
	gc_text_escape(line, value, strlen(value), LOG_LINE_MAX, quote);
}

static void vlog(gc_log_level level, const gc_log_field *fields, size_t n,
		 const char *fmt, va_list ap) GC_PRINTF(4, 0);

static void vlog(gc_log_level level, const gc_log_field *fields, size_t n,
		 const char *fmt, va_list ap)
{
	gc_buf msg = GC_BUF_INIT, line = GC_BUF_INIT;
	const char *canary = NULL;
	char stamp[32];
	struct tm tm;
	time_t now;

	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gc_buf_vaddf(&msg, fmt, ap);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fields[i].key, "canary"))
			canary = fields[i].value;
	if (format == GC_LOG_JSON) {
		gc_buf_addf(&line, "{\"time\":\"%s\",\"level\":\"%s\"", stamp,
			    level_names[level]);
		field(&line, "message", msg.ptr);
	} else {
		/* text: "<canary>: <message>", as Flagger's own log lines */
		gc_buf_addf(&line, "%s %s ", stamp, level_names[level]);
		if (canary) {
			gc_text_escape(&line, canary, strlen(canary), 0, 0);
			gc_buf_adds(&line, ": ");
		}
		gc_text_escape(&line, msg.ptr, msg.len, LOG_LINE_MAX, 0);
	}
	for (size_t i = 0; i < n; i++)
		if (fields[i].value &&
		    (format == GC_LOG_JSON || fields[i].value != canary))
			field(&line, fields[i].key, fields[i].value);
	if (format == GC_LOG_JSON)
		gc_buf_addch(&line, '}');
	gc_buf_addch(&line, '\n');
	fwrite(line.ptr, 1, line.len, stderr);
	gc_buf_release(&msg);
	gc_buf_release(&line);
}

void gc_log(gc_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vlog(level, NULL, 0, fmt, ap);
	va_end(ap);
}

void gc_log_with(gc_log_level level, const gc_log_field *fields, size_t n,
		 const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vlog(level, fields, n, fmt, ap);
	va_end(ap);
}
