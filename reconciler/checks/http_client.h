#ifndef GC_RECONCILER_HTTP_CLIENT_H
#define GC_RECONCILER_HTTP_CLIENT_H

/*
 * The only libcurl user: an event loop over one curl multi handle. Callers
 * submit requests with a completion callback; gc_http_client_run drives all
 * of them with at most `max_active` transfers at a time (connections are
 * kept alive and reused across requests). Completion callbacks run on the
 * thread that called gc_http_client_run and may submit further requests,
 * optionally delayed (retries with backoff), which the same run picks up.
 *
 * TLS peer and host verification are on unless a request sets `insecure`.
 * Response bodies are capped at `max_response` bytes (a larger body fails
 * the request with GC_HTTP_ETOOBIG).
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

typedef enum gc_http_result {
	GC_HTTP_OK = 0,    /* a response was received (any status) */
	GC_HTTP_ETIMEOUT,  /* the per-request timeout expired */
	GC_HTTP_ECONNECT,  /* could not connect (refused, unreachable) */
	GC_HTTP_ERESOLVE,  /* host name did not resolve */
	GC_HTTP_ETLS,      /* TLS handshake or certificate verification */
	GC_HTTP_ETOOBIG,   /* response body larger than the cap */
	GC_HTTP_EURL,      /* malformed URL or unsupported scheme */
	GC_HTTP_ETRANSPORT /* any other transport error */
} gc_http_result;

typedef struct gc_http_request gc_http_request;
typedef void (*gc_http_done_fn)(gc_http_request *req, void *payload);

struct gc_http_request {
	/* input, set by the caller; strings are borrowed until done */
	const char *method; /* "GET" (default when NULL) or "POST" */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" or NULL */
	const char *body;           /* POST body or NULL */
	size_t body_len;
	long timeout_ms;      /* whole request; 0 = the client default */
	bool insecure;        /* skip TLS verification */
	const char *username; /* HTTP Basic when non-NULL (with password) */
	const char *password;
	const char *proxy; /* HTTP(S) proxy URL (CURLOPT_PROXY) or NULL */

	/* output, filled before `done` runs */
	gc_http_result result;
	long status;        /* HTTP status, 0 when no response */
	gc_buf response;    /* body (capped); owned by the request */
	char error[256];    /* transport error text when result != OK */
	long retry_after_s; /* Retry-After header in seconds, or -1 */
	double elapsed_ms;

	/* private */
	gc_http_done_fn done;
	void *payload;
	void *priv;
	long long start_at_ms;
	gc_http_request *next;
};

/* Per-request timeout when neither the request nor the client sets one. */
#define GC_HTTP_DEFAULT_TIMEOUT_MS 5000

typedef struct gc_http_opts {
	size_t max_active;   /* concurrent transfers; 0 = 64 */
	long timeout_ms;     /* default per-request timeout; 0 =
				GC_HTTP_DEFAULT_TIMEOUT_MS */
	size_t max_response; /* response cap in bytes; 0 = 4 MiB */
	long max_host_conns; /* per-host connection cap; 0 = max_active */
	/*
	 * NULL-terminated "HOST:PORT:TO_HOST:TO_PORT" entries (curl's
	 * --connect-to): requests for HOST:PORT connect to TO_HOST:TO_PORT
	 * while the URL, Host header and TLS name stay as written. Lets the
	 * demo and tests reach http://flagger-loadtester.test/ on loopback.
	 */
	const char *const *connect_to;
} gc_http_opts;

typedef struct gc_http_client gc_http_client;

int gc_http_client_new(gc_http_client **out, const gc_http_opts *opts,
		       gc_error *err);
void gc_http_client_free(gc_http_client *client);

/*
 * Queues req (borrowed until its `done` callback has run); it starts no
 * earlier than delay_ms from now. The request's output fields are reset.
 */
void gc_http_submit(gc_http_client *client, gc_http_request *req, long delay_ms,
		    gc_http_done_fn done, void *payload);

/* Runs until no request is queued, delayed or in flight. */
int gc_http_client_run(gc_http_client *client, gc_error *err);

/* Releases the request's response buffer. */
void gc_http_request_release(gc_http_request *req);

/* "Internal Server Error" for 500, "" for unknown codes; borrowed. */
const char *gc_http_reason(long status);

/* Milliseconds on a monotonic clock. */
long long gc_http_now_ms(void);

#endif
