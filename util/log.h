#ifndef GC_UTIL_LOG_H
#define GC_UTIL_LOG_H

#include "common.h"

typedef enum gc_log_level {
	GC_LOG_DEBUG,
	GC_LOG_INFO,
	GC_LOG_WARN,
	GC_LOG_ERROR
} gc_log_level;

/* Logs go to stderr, one line each, with a UTC timestamp and level. */
void gc_log_set_level(gc_log_level level);
void gc_log(gc_log_level level, const char *fmt, ...) GC_PRINTF(2, 3);

#define gc_debug(...) gc_log(GC_LOG_DEBUG, __VA_ARGS__)
#define gc_info(...) gc_log(GC_LOG_INFO, __VA_ARGS__)
#define gc_warn(...) gc_log(GC_LOG_WARN, __VA_ARGS__)
#define gc_err(...) gc_log(GC_LOG_ERROR, __VA_ARGS__)

#endif
