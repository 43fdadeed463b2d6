#ifndef GC_UTIL_URL_H
#define GC_UTIL_URL_H

/*
 * The one redaction of URLs: every URL gitcanary writes anywhere (commit
 * messages, notes, status files, logs, errors, the name of a cache
 * directory) goes through gc_url_redact first.
 */

#include <stdbool.h>

#include "util/buf.h"

/*
 * Appends url without its userinfo ("user:password@"), query string and
 * fragment; "?<redacted>" marks where a query or fragment was. The result
 * is one escaped line (util/text.h). A string that is not a URL
 * ("scheme://...") is appended escaped but otherwise unchanged.
 */
void gc_url_redact(gc_buf *out, const char *url);
/* gc_url_redact into a new string; owned. */
char *gc_url_redacted(const char *url);

/*
 * Whether a and b have the same scheme, host and port (an absent port is
 * the scheme's default): credentials for a may be sent to b.
 */
bool gc_url_same_origin(const char *a, const char *b);

/* Whether url's scheme is http (not https): credentials must not go in
 * clear over it. */
bool gc_url_is_plain_http(const char *url);

#endif
