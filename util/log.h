#ifndef GC_UTIL_LOG_H
#define GC_UTIL_LOG_H

#include <stddef.h>

#include "common.h"

typedef enum gc_log_level {
	GC_LOG_DEBUG,
	GC_LOG_INFO,
	GC_LOG_WARN,
	GC_LOG_ERROR
} gc_log_level;

typedef enum gc_log_format {
	GC_LOG_TEXT, /* "<time> <level> <message> key=value ..." */
	GC_LOG_JSON  /* {"time":...,"level":...,"message":...,key:value...} */
} gc_log_format;

/* One field of an entry; a NULL value is left out. */
typedef struct gc_log_field {
	const char *key, *value;
} gc_log_field;

/*
 * Logs go to stderr, one line each, with a UTC timestamp and level
 * (docs/operations.md#logs). Every message and field value is escaped
 * into one line (util/text.h), whatever a server's text in it holds.
 */
void gc_log_set_level(gc_log_level level);
void gc_log_set_format(gc_log_format format);
/* "debug", "info", "warn" (or "warning"), "error"; -1 for anything else. */
int gc_log_level_parse(gc_log_level *out, const char *name);
/* "text" or "json"; -1 for anything else. */
int gc_log_format_parse(gc_log_format *out, const char *name);
void gc_log(gc_log_level level, const char *fmt, ...) GC_PRINTF(2, 3);
/*
 * An entry with fields[0..n): a JSON member each, or " key=value" in text,
 * where a "canary" field leads the message instead ("<ns>/<name>: ...").
 */
void gc_log_with(gc_log_level level, const gc_log_field *fields, size_t n,
		 const char *fmt, ...) GC_PRINTF(4, 5);

#define gc_debug(...) gc_log(GC_LOG_DEBUG, __VA_ARGS__)
#define gc_info(...) gc_log(GC_LOG_INFO, __VA_ARGS__)
#define gc_warn(...) gc_log(GC_LOG_WARN, __VA_ARGS__)
#define gc_err(...) gc_log(GC_LOG_ERROR, __VA_ARGS__)

#endif
