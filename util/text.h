#ifndef GC_UTIL_TEXT_H
#define GC_UTIL_TEXT_H

/*
 * Text that gitcanary did not write (a webhook's response body, a
 * Prometheus error, a header or value a server echoes, a YAML value in a
 * problem message) is data, never text: before it reaches a commit
 * message, a note, a status file, a log line or an error message it goes
 * through this one helper, which makes it
 *
 *   - valid UTF-8: each byte of an invalid sequence becomes U+FFFD;
 *   - one line: C0 controls, DEL, C1 controls and U+2028/U+2029 are
 *     escaped as \n, \r, \t or \u00XX / \u2028 (so no terminal escape
 *     sequence and no line break survives);
 *   - bounded: past `max` bytes of output it is cut at a character
 *     boundary and "..." is appended (max 0 = no bound);
 *   - with GC_TEXT_QUOTE, a JSON string: in double quotes, with '"' and
 *     '\' escaped, so it reads as a value and never as an event line or a
 *     trailer of a commit message.
 *
 * Without GC_TEXT_QUOTE a backslash is kept as it is, so escaping an
 * escaped text again changes nothing (gc_log and gc_error apply it to
 * every message).
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* How many bytes of a server's text an event or error message quotes. */
#define GC_TEXT_SNIPPET 200

enum gc_text_flags {
	GC_TEXT_QUOTE = 1 << 0,
};

void gc_text_escape(gc_buf *out, const char *s, size_t len, size_t max,
		    unsigned flags);
/* gc_text_escape of a NUL-terminated string, quoted and GC_TEXT_SNIPPET
 * bounded: the form of a server's text inside a message. */
void gc_text_quote(gc_buf *out, const char *s);
/*
 * s[0..len) with each byte of an invalid UTF-8 sequence (and each NUL)
 * replaced by U+FFFD and nothing else changed: a complete text for a JSON
 * string (cJSON escapes the controls).
 */
void gc_text_utf8(gc_buf *out, const char *s, size_t len);
/*
 * Replaces every occurrence of each of secrets[0..n) (non-empty strings)
 * in buf by "***": a server that echoes what it was sent (a header, a
 * password, a query parameter) cannot put it into a commit or a log.
 */
void gc_text_scrub(gc_buf *buf, const char *const *secrets, size_t n);
/* Whether s[0..len) is valid UTF-8 without NUL. */
bool gc_text_valid_utf8(const char *s, size_t len);

#endif
