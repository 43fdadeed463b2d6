#include "reconciler/checks/http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/alloc.h"
#include "util/text.h"
#include "util/url.h"

#define DEFAULT_ACTIVE 64
#define DEFAULT_MAX_RESPONSE (4u << 20)

struct gc_http_client {
	CURLM *multi;
	gc_http_opts opts;
	gc_http_request *ready, *ready_tail; /* FIFO */
	gc_http_request *delayed;            /* unsorted */
	size_t active;
	CURL **pool; /* idle easy handles */
	size_t npool, pool_alloc;
	struct transfer *running; /* in flight, for teardown after errors */
	struct curl_slist *connect_to;
};

typedef struct transfer {
	struct transfer *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	bool too_big;
	size_t cap;
	bool own_redirects; /* credentials: redirects followed by hand */
	unsigned redirects;
} transfer;

#define MAX_REDIRECTS 10

long long gc_http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gc_http_client_new(gc_http_client **out, const gc_http_opts *opts,
		       gc_error *err)
{
	gc_http_client *c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return gc_error_set(err, GC_ERROR,
				    "curl initialisation failed");
	c = gc_xcalloc(1, sizeof(*c));
	if (opts)
		c->opts = *opts;
	if (!c->opts.max_active)
		c->opts.max_active = DEFAULT_ACTIVE;
	if (!c->opts.timeout_ms)
		c->opts.timeout_ms = GC_HTTP_DEFAULT_TIMEOUT_MS;
	if (!c->opts.max_response)
		c->opts.max_response = DEFAULT_MAX_RESPONSE;
	if (!c->opts.max_host_conns)
		c->opts.max_host_conns = (long)c->opts.max_active;
	for (const char *const *e = c->opts.connect_to; e && *e; e++) {
		struct curl_slist *l = curl_slist_append(c->connect_to, *e);

		if (!l)
			GC_BUG("curl_slist_append failed");
		c->connect_to = l;
	}
	c->multi = curl_multi_init();
	if (!c->multi) {
		curl_slist_free_all(c->connect_to);
		free(c);
		curl_global_cleanup();
		return gc_error_set(err, GC_ERROR,
				    "curl multi initialisation failed");
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)c->opts.max_active);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  c->opts.max_host_conns);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
			  (long)c->opts.max_active * 2);
	*out = c;
	return 0;
}

void gc_http_client_free(gc_http_client *c)
{
	if (!c)
		return;
	/* transfers left by a failed run: dropped, their callbacks never run */
	while (c->running) {
		transfer *t = c->running;

		c->running = t->next;
		curl_multi_remove_handle(c->multi, t->easy);
		curl_easy_cleanup(t->easy);
		curl_slist_free_all(t->headers);
		free(t);
	}
	for (size_t i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->pool);
	curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->connect_to);
	free(c);
	curl_global_cleanup();
}

static void reset_output(gc_http_request *req)
{
	req->result = GC_HTTP_OK;
	req->status = 0;
	gc_buf_clear(&req->response);
	req->error[0] = '\0';
	req->retry_after_s = -1;
	req->elapsed_ms = 0;
}

static void push_ready(gc_http_client *c, gc_http_request *req)
{
	req->next = NULL;
	if (c->ready_tail)
		c->ready_tail->next = req;
	else
		c->ready = req;
	c->ready_tail = req;
}

void gc_http_submit(gc_http_client *c, gc_http_request *req, long delay_ms,
		    gc_http_done_fn done, void *payload)
{
	if (!req->response.ptr)
		gc_buf_init(&req->response);
	reset_output(req);
	req->done = done;
	req->payload = payload;
	req->priv = NULL;
	if (delay_ms > 0) {
		req->start_at_ms = gc_http_now_ms() + delay_ms;
		req->next = c->delayed;
		c->delayed = req;
	} else {
		push_ready(c, req);
	}
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
	gc_http_request *req = p;
	transfer *t = req->priv;
	size_t len = size * n;

	if (req->response.len + len > t->cap) {
		t->too_big = true;
		return 0;
	}
	gc_buf_add(&req->response, data, len);
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *p)
{
	gc_http_request *req = p;
	size_t len = size * n;
	static const char name[] = "retry-after:";

	if (len > sizeof(name) - 1 &&
	    !strncasecmp(data, name, sizeof(name) - 1)) {
		char tmp[32];
		size_t vlen = len - (sizeof(name) - 1);
		char *end;
		long v;

		if (vlen >= sizeof(tmp))
			vlen = sizeof(tmp) - 1;
		memcpy(tmp, data + sizeof(name) - 1, vlen);
		tmp[vlen] = '\0';
		v = strtol(tmp, &end, 10);
		if (end != tmp && v >= 0)
			req->retry_after_s = v;
	}
	return len;
}

static CURL *take_easy(gc_http_client *c)
{
	CURL *easy;

	if (c->npool) {
		easy = c->pool[--c->npool];
		curl_easy_reset(easy);
		return easy;
	}
	easy = curl_easy_init();
	GC_ASSERT(easy);
	return easy;
}

static void give_easy(gc_http_client *c, CURL *easy)
{
	if (c->npool == c->pool_alloc) {
		c->pool_alloc = c->pool_alloc ? c->pool_alloc * 2 : 16;
		c->pool =
			gc_xrealloc(c->pool, c->pool_alloc * sizeof(*c->pool));
	}
	c->pool[c->npool++] = easy;
}

/*
 * A request with a user and password, or any header but Content-Type
 * (a MetricTemplate's headers, a bearer token), carries credentials: curl
 * would drop only Authorization and Cookie on a redirect to another host.
 */
static bool carries_credentials(const gc_http_request *req)
{
	if (req->username)
		return true;
	for (size_t i = 0; req->headers && req->headers[i]; i++)
		if (strncasecmp(req->headers[i], "Content-Type:", 13))
			return true;
	return false;
}

static void start(gc_http_client *c, gc_http_request *req)
{
	transfer *t = gc_xcalloc(1, sizeof(*t));
	long timeout = req->timeout_ms ? req->timeout_ms : c->opts.timeout_ms;
	CURL *e = take_easy(c);

	t->easy = e;
	t->cap = c->opts.max_response;
	req->priv = t;
	req->start_at_ms = gc_http_now_ms();
	for (size_t i = 0; req->headers && req->headers[i]; i++)
		t->headers = curl_slist_append(t->headers, req->headers[i]);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	t->own_redirects = carries_credentials(req);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, t->own_redirects ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, req->insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, req->insecure ? 0L : 2L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "gitcanary");
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
	if (req->proxy)
		curl_easy_setopt(e, CURLOPT_PROXY, req->proxy);
	if (req->username) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, req->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD,
				 req->password ? req->password : "");
	}
	if (req->method && !strcmp(req->method, "POST")) {
		t->headers = curl_slist_append(t->headers, "Expect:");
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
				 req->body ? req->body : "");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	t->next = c->running;
	if (c->running)
		c->running->prev = t;
	c->running = t;
	curl_multi_add_handle(c->multi, e);
	c->active++;
}

static void timeout_text(char *out, size_t n, long ms)
{
	if (ms % 1000 == 0)
		snprintf(out, n, "request timed out after %lds", ms / 1000);
	else
		snprintf(out, n, "request timed out after %ldms", ms);
}

/*
 * A redirect of a request that carries credentials: followed (true) only
 * to the same scheme, host and port; to anywhere else it fails the request
 * without sending anything there.
 */
static bool own_redirect(gc_http_request *req, transfer *t, CURL *e)
{
	char *from = NULL, *to = NULL;
	long status = 0;
	gc_buf where = GC_BUF_INIT;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &to);
	curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &from);
	if (status < 300 || status > 399 || !to)
		return false;
	if (gc_url_same_origin(from, to) && t->redirects < MAX_REDIRECTS) {
		t->redirects++;
		curl_easy_setopt(e, CURLOPT_URL, to);
		gc_buf_clear(&req->response);
		return true;
	}
	gc_buf_adds(&where, "redirect to ");
	gc_url_redact(&where, to);
	gc_buf_adds(&where, t->redirects >= MAX_REDIRECTS
				    ? " not followed: too many redirects"
				    : " not followed: credentials go to the "
				      "server's own host only");
	req->result = GC_HTTP_ETRANSPORT;
	snprintf(req->error, sizeof(req->error), "%s", where.ptr);
	gc_buf_release(&where);
	return false;
}

static void base64(gc_buf *out, const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		v |= i + 1 < n ? (unsigned)p[i + 1] << 8 : 0;
		v |= i + 2 < n ? p[i + 2] : 0;
		gc_buf_addch(out, tab[(v >> 18) & 63]);
		gc_buf_addch(out, tab[(v >> 12) & 63]);
		gc_buf_addch(out, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		gc_buf_addch(out, i + 2 < n ? tab[v & 63] : '=');
	}
}

#define MAX_SECRETS 24

/* Adds "user:pass" in base64 and pass (a Basic credential). */
static size_t add_basic(gc_buf *v, size_t n, const char *user, const char *pass)
{
	char *up = gc_xasprintf("%s:%s", user, pass);

	base64(&v[n++], up);
	gc_buf_adds(&v[n++], pass);
	gc_wipe(up, strlen(up));
	free(up);
	return n;
}

/*
 * What req sent that a server must not echo into our messages: the Basic
 * credential (of the request or of the URL's userinfo), every header value
 * but Content-Type's (and the token of "Bearer X"), and query parameter
 * values of 6 or more characters.
 */
static size_t secrets_of(gc_buf *v, const gc_http_request *req)
{
	const char *url = req->url, *auth = strstr(url, "://"), *q, *end;
	size_t n = 0;

	if (req->username)
		n = add_basic(v, n, req->username,
			      req->password ? req->password : "");
	for (size_t i = 0;
	     req->headers && req->headers[i] && n + 2 < MAX_SECRETS; i++) {
		const char *h = req->headers[i], *val = strchr(h, ':');

		if (!val || !strncasecmp(h, "Content-Type:", 13))
			continue;
		val += strspn(val + 1, " \t") + 1;
		if (strlen(val) < 4)
			continue;
		gc_buf_adds(&v[n++], val);
		if (strchr(val, ' '))
			gc_buf_adds(&v[n++], strrchr(val, ' ') + 1);
	}
	if (auth) {
		const char *host = auth + 3,
			   *path = host + strcspn(host, "/?#");
		const char *at = NULL, *colon;

		for (const char *p = host; p < path; p++)
			if (*p == '@')
				at = p;
		colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
		if (colon && n + 2 < MAX_SECRETS) {
			char *user = gc_xstrndup(host, (size_t)(colon - host));
			char *pass = gc_xstrndup(colon + 1,
						 (size_t)(at - colon - 1));

			n = add_basic(v, n, user, pass);
			free(user);
			gc_free_secret(pass);
		}
	}
	for (q = strchr(url, '?'); q && n < MAX_SECRETS; q = end) {
		const char *eq = strchr(q + 1, '='), *vend;

		end = strpbrk(q + 1, "&;#");
		vend = end ? end : q + strlen(q);
		if (eq && eq < vend && vend - eq - 1 >= 6)
			gc_buf_add(&v[n++], eq + 1, (size_t)(vend - eq - 1));
		if (end && *end == '#')
			break;
	}
	return n;
}

/* The response and error of req without what it sent (secrets_of). */
static void scrub_echoes(gc_http_request *req)
{
	gc_buf v[MAX_SECRETS];
	const char *s[MAX_SECRETS];
	gc_buf err = GC_BUF_INIT;
	size_t n;

	for (size_t i = 0; i < MAX_SECRETS; i++)
		gc_buf_init(&v[i]);
	n = secrets_of(v, req);
	for (size_t i = 0; i < n; i++)
		s[i] = v[i].ptr;
	gc_text_scrub(&req->response, s, n);
	gc_buf_adds(&err, req->error);
	gc_text_scrub(&err, s, n);
	snprintf(req->error, sizeof(req->error), "%s", err.ptr);
	gc_buf_release(&err);
	for (size_t i = 0; i < MAX_SECRETS; i++) {
		gc_wipe(v[i].ptr, v[i].len);
		gc_buf_release(&v[i]);
	}
}

static void finish(gc_http_client *c, CURL *e, CURLcode rc)
{
	gc_http_request *req = NULL;
	transfer *t;
	long os_errno = 0;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&req);
	t = req->priv;
	curl_multi_remove_handle(c->multi, e);
	if (rc == CURLE_OK && t->own_redirects && own_redirect(req, t, e)) {
		curl_multi_add_handle(c->multi, e);
		return;
	}
	c->active--;
	req->elapsed_ms = (double)(gc_http_now_ms() - req->start_at_ms);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &req->status);
	switch (rc) {
	case CURLE_OK:
		/* GC_HTTP_ETRANSPORT when own_redirect refused */
		break;
	case CURLE_OPERATION_TIMEDOUT:
		req->result = GC_HTTP_ETIMEOUT;
		timeout_text(req->error, sizeof(req->error),
			     req->timeout_ms ? req->timeout_ms
					     : c->opts.timeout_ms);
		break;
	case CURLE_COULDNT_CONNECT:
		req->result = GC_HTTP_ECONNECT;
		curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
		snprintf(req->error, sizeof(req->error),
			 "could not connect: %.200s",
			 os_errno ? strerror((int)os_errno) : t->errbuf);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		req->result = GC_HTTP_ERESOLVE;
		snprintf(req->error, sizeof(req->error), "%s", t->errbuf);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		req->result = GC_HTTP_ETLS;
		snprintf(req->error, sizeof(req->error), "tls: %.200s",
			 t->errbuf);
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		req->result = GC_HTTP_EURL;
		snprintf(req->error, sizeof(req->error), "%s",
			 t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
		break;
	default:
		if (t->too_big) {
			req->result = GC_HTTP_ETOOBIG;
			snprintf(req->error, sizeof(req->error),
				 "response body larger than %zu bytes", t->cap);
		} else {
			req->result = GC_HTTP_ETRANSPORT;
			snprintf(req->error, sizeof(req->error), "%s",
				 t->errbuf[0] ? t->errbuf
					      : curl_easy_strerror(rc));
		}
	}
	if (req->result != GC_HTTP_OK)
		req->status = 0;
	if (t->prev)
		t->prev->next = t->next;
	else
		c->running = t->next;
	if (t->next)
		t->next->prev = t->prev;
	curl_slist_free_all(t->headers);
	free(t);
	req->priv = NULL;
	give_easy(c, e);
	scrub_echoes(req);
	req->done(req, req->payload);
}

static long long promote_delayed(gc_http_client *c, long long now)
{
	gc_http_request **pp = &c->delayed;
	long long next = -1;

	while (*pp) {
		gc_http_request *r = *pp;

		if (r->start_at_ms <= now) {
			*pp = r->next;
			push_ready(c, r);
			continue;
		}
		if (next < 0 || r->start_at_ms < next)
			next = r->start_at_ms;
		pp = &r->next;
	}
	return next;
}

int gc_http_client_run(gc_http_client *c, gc_error *err)
{
	while (c->ready || c->delayed || c->active) {
		long long now = gc_http_now_ms();
		long long next = promote_delayed(c, now);
		int running = 0, left = 0, wait_ms = 100;
		CURLMsg *msg;
		bool finished = false;

		while (c->ready && c->active < c->opts.max_active) {
			gc_http_request *r = c->ready;

			c->ready = r->next;
			if (!c->ready)
				c->ready_tail = NULL;
			start(c, r);
		}
		if (curl_multi_perform(c->multi, &running) != CURLM_OK)
			return gc_error_set(err, GC_ERROR, "curl multi failed");
		while ((msg = curl_multi_info_read(c->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			finish(c, msg->easy_handle, msg->data.result);
			finished = true;
		}
		if (finished)
			continue;
		if (c->ready && c->active < c->opts.max_active)
			continue;
		if (next >= 0 && next - now < wait_ms)
			wait_ms = (int)(next - now);
		if (!c->active) {
			if (wait_ms > 0) {
				struct timespec ts = { wait_ms / 1000,
						       (wait_ms % 1000) *
							       1000000L };
				nanosleep(&ts, NULL);
			}
			continue;
		}
		if (curl_multi_poll(c->multi, NULL, 0, wait_ms, NULL) !=
		    CURLM_OK)
			return gc_error_set(err, GC_ERROR, "curl poll failed");
	}
	return 0;
}

void gc_http_request_release(gc_http_request *req)
{
	if (req->response.ptr)
		gc_buf_release(&req->response);
}

const char *gc_http_reason(long status)
{
	static const struct {
		long code;
		const char *text;
	} t[] = {
		{ 200, "OK" },
		{ 201, "Created" },
		{ 202, "Accepted" },
		{ 203, "Non-Authoritative Information" },
		{ 204, "No Content" },
		{ 301, "Moved Permanently" },
		{ 302, "Found" },
		{ 304, "Not Modified" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 422, "Unprocessable Entity" },
		{ 429, "Too Many Requests" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};

	for (size_t i = 0; i < GC_ARRAY_SIZE(t); i++)
		if (t[i].code == status)
			return t[i].text;
	return "";
}
