#ifndef GC_RECONCILER_SERVICE_SERVER_H
#define GC_RECONCILER_SERVICE_SERVER_H

/*
 * The HTTP server of `gitcanary run` (libmicrohttpd, this file only): one
 * internal thread serves every connection, so a handler must be quick and
 * never wait for a tick. Requests go to routes by exact path; a path no
 * route has is 404, a method the route does not take 405 (with Allow), a
 * body over the cap 413, all before a handler runs. A handler sees the
 * whole body.
 */

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

typedef struct gc_server gc_server;

typedef struct gc_server_request {
	const char *method;
	const char *path; /* without the query string */
	const char *body; /* NUL-terminated; the raw bytes */
	size_t body_len;
	void *conn; /* for gc_server_header */
} gc_server_request;

/* A request header (case-insensitive) or NULL; borrowed. */
const char *gc_server_header(const gc_server_request *req, const char *name);

typedef struct gc_server_response {
	unsigned status;          /* 200 unless set */
	gc_buf body;              /* empty unless filled */
	const char *content_type; /* static; "text/plain; charset=utf-8" */
} gc_server_response;

typedef void (*gc_server_fn)(gc_server_response *resp,
			     const gc_server_request *req, void *payload);

typedef struct gc_server_route {
	const char *path;   /* "/healthz" */
	const char *method; /* "GET" (HEAD too) or "POST" */
	gc_server_fn fn;
	void *payload;
} gc_server_route;

typedef struct gc_server_opts {
	/*
	 * ADDR:PORT: "127.0.0.1:8080", ":8080" (every IPv4 address),
	 * "[::1]:8080", "localhost:0" (port 0: the kernel picks one)
	 */
	const char *listen;
	size_t body_max; /* 0 = GC_SERVER_BODY_MAX */
	const gc_server_route *routes;
	size_t nroutes;
} gc_server_opts;

#define GC_SERVER_BODY_MAX (1024 * 1024)

/*
 * Listens and serves until gc_server_stop. opts and the routes are
 * borrowed and must outlive the server. A listen address that does not
 * parse is GC_EINVALID; one that cannot be bound, GC_EOS.
 */
int gc_server_start(gc_server **out, const gc_server_opts *opts, gc_error *err);
/* What the server listens on: "127.0.0.1:43121", "[::]:8080"; borrowed. */
const char *gc_server_address(const gc_server *s);
/*
 * Stops accepting connections, lets the requests already received be
 * answered (at most 5 s), closes and frees. NULL is fine.
 */
void gc_server_stop(gc_server *s);

#endif
