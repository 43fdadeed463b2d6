#ifndef GC_TESTS_HTTPD_H
#define GC_TESTS_HTTPD_H

/*
 * A tiny libmicrohttpd server for tests: one thread per connection (so a
 * slow handler does not block others) on a free 127.0.0.1 port. Every
 * request, with its whole body, goes to a callback that fills a response.
 */

#include <stddef.h>

#include "util/buf.h"

typedef struct gc_httpd gc_httpd;

typedef struct gc_httpd_request {
	const char *method;
	const char *path; /* without the query string */
	const char *body; /* NUL-terminated */
	size_t body_len;
	void *priv;
} gc_httpd_request;

typedef struct gc_httpd_response {
	unsigned status;          /* default 200 */
	gc_buf body;              /* default empty */
	const char *content_type; /* default text/plain */
	unsigned delay_ms;        /* sleep before answering */
	const char *retry_after;  /* Retry-After header value or NULL */
	const char *location;     /* Location header value or NULL */
} gc_httpd_response;

typedef void (*gc_httpd_fn)(const gc_httpd_request *req,
			    gc_httpd_response *resp, void *payload);

/* Starts a server; aborts the test on failure. */
gc_httpd *gc_httpd_start(gc_httpd_fn fn, void *payload);
/*
 * The same over HTTPS with a fresh self-signed certificate for 127.0.0.1
 * (made with libcrypto), so clients verifying TLS must refuse it.
 */
gc_httpd *gc_httpd_start_tls(gc_httpd_fn fn, void *payload);
void gc_httpd_stop(gc_httpd *h);
unsigned short gc_httpd_port(const gc_httpd *h);
/* "http[s]://127.0.0.1:<port>" + path; owned. */
char *gc_httpd_url(const gc_httpd *h, const char *path);
/* A request header (case-insensitive) or NULL; borrowed. */
const char *gc_httpd_header(const gc_httpd_request *req, const char *name);
/* A query-string argument (decoded) or NULL; borrowed. */
const char *gc_httpd_arg(const gc_httpd_request *req, const char *name);
/* Requests served so far. */
unsigned gc_httpd_count(const gc_httpd *h);

#endif
