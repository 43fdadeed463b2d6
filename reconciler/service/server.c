/*
 * The HTTP server of `gitcanary run` (server.h): the one libmicrohttpd
 * wrapper. The listening socket is made here (so a bind error has its
 * errno and port 0 its real port); libmicrohttpd serves it from one
 * internal thread.
 */
#include "reconciler/service/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"

#define CONNECTIONS_MAX 512
#define IDLE_TIMEOUT_S 30
#define STOP_WAIT_MS 5000
#define DRAIN_MAX (64 * 1024 * 1024)

struct gc_server {
	struct MHD_Daemon *d;
	const gc_server_opts *opts;
	size_t body_max;
	int fd;
	char address[80];
	unsigned inflight; /* requests received and not yet answered */
};

/* One request while its body arrives. */
typedef struct request {
	gc_buf body;
	bool too_big;
} request;

const char *gc_server_header(const gc_server_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static const gc_server_route *find_route(const gc_server *s, const char *path,
					 const char *method, bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < s->opts->nroutes; i++) {
		const gc_server_route *r = &s->opts->routes[i];

		if (strcmp(r->path, path))
			continue;
		*path_known = true;
		if (!strcmp(r->method, method) ||
		    (!strcmp(r->method, "GET") && !strcmp(method, "HEAD")))
			return r;
	}
	return NULL;
}

/* The methods of path's routes, for Allow; static buffer of the caller. */
static void allowed(char *out, size_t len, const gc_server *s, const char *path)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < s->opts->nroutes && n < len; i++)
		if (!strcmp(s->opts->routes[i].path, path))
			n += (size_t)snprintf(out + n, n < len ? len - n : 0,
					      "%s%s", n ? ", " : "",
					      s->opts->routes[i].method);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
			      const char *type, const char *body, size_t len,
			      const char *allow)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, GC_UNCONST(body),
						MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result plain(struct MHD_Connection *c, unsigned status,
			     const char *text)
{
	return answer(c, status, "text/plain; charset=utf-8", text,
		      strlen(text), NULL);
}

/* The first call of a request: its state, or an answer before the body. */
static enum MHD_Result begin(gc_server *s, struct MHD_Connection *c,
			     void **con_cls)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Content-Length");
	request *rq = gc_xcalloc(1, sizeof(*rq));

	gc_buf_init(&rq->body);
	*con_cls = rq;
	__atomic_add_fetch(&s->inflight, 1, __ATOMIC_SEQ_CST);
	if (cl && strtoull(cl, NULL, 10) > s->body_max) {
		rq->too_big = true;
		/*
		 * Past DRAIN_MAX refused before it is read (the client may
		 * see the connection reset); under it read without being
		 * kept, so the client reads the 413 rather than a reset.
		 */
		if (strtoull(cl, NULL, 10) > DRAIN_MAX)
			return plain(c, 413, "request body too large\n");
	}
	return MHD_YES;
}

static enum MHD_Result serve(gc_server *s, struct MHD_Connection *c,
			     const char *url, const char *method, request *rq)
{
	const gc_server_route *route;
	gc_server_request req;
	gc_server_response resp;
	enum MHD_Result ret;
	bool known;
	char allow[64];

	if (rq->too_big)
		return plain(c, 413, "request body too large\n");
	if (!(route = find_route(s, url, method, &known))) {
		if (!known)
			return plain(c, 404, "not found\n");
		allowed(allow, sizeof(allow), s, url);
		return answer(c, 405, "text/plain; charset=utf-8",
			      "method not allowed\n", 19, allow);
	}
	req.method = method;
	req.path = url;
	req.body = rq->body.ptr;
	req.body_len = rq->body.len;
	req.conn = c;
	resp.status = 200;
	gc_buf_init(&resp.body);
	resp.content_type = "text/plain; charset=utf-8";
	route->fn(&resp, &req, route->payload);
	ret = answer(c, resp.status, resp.content_type, resp.body.ptr,
		     resp.body.len, NULL);
	gc_buf_release(&resp.body);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	gc_server *s = cls;
	request *rq = *con_cls;

	(void)version;
	if (!rq)
		return begin(s, c, con_cls);
	if (*upload_size) {
		/* kept up to the cap, then only read */
		if (!rq->too_big && rq->body.len + *upload_size > s->body_max) {
			rq->too_big = true;
			gc_buf_release(&rq->body);
		}
		if (!rq->too_big)
			gc_buf_add(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return serve(s, c, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	gc_server *s = cls;
	request *rq = *con_cls;

	(void)c;
	(void)toe;
	if (!rq)
		return;
	gc_buf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
	__atomic_sub_fetch(&s->inflight, 1, __ATOMIC_SEQ_CST);
}

/* "host:port", "[v6]:port", ":port" into host (may be "") and port. */
static int split_listen(char *host, size_t hlen, char *port, size_t plen,
			const char *addr)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr, *hend = colon;

	if (!colon || !colon[1] || strlen(colon + 1) >= plen)
		return -1;
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	if (*h == '[') {
		if (hend == h || hend[-1] != ']')
			return -1;
		h++;
		hend--;
	} else if (memchr(h, ':', (size_t)(hend - h))) {
		return -1; /* an IPv6 address goes in brackets */
	}
	if ((size_t)(hend - h) >= hlen)
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	snprintf(port, plen, "%s", colon + 1);
	return atoi(port) > 65535 ? -1 : 0;
}

/* "127.0.0.1:8080" or "[::1]:8080" of a bound socket. */
static void format_address(char *out, size_t len, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(out, len, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(out, len, "[%s]:%u", host, port);
		return;
	}
	inet_ntop(AF_INET, &((const struct sockaddr_in *)&ss)->sin_addr, host,
		  sizeof(host));
	port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
	snprintf(out, len, "%s:%u", host, port);
}

/* A listening socket on opts->listen into *fd. */
static int listen_on(int *fd, const char *addr, gc_error *err)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], port[8];
	int one = 1, rc, s;

	if (split_listen(host, sizeof(host), port, sizeof(port), addr) < 0)
		return gc_error_set(
			err, GC_EINVALID,
			"listen address '%s' is not ADDR:PORT (e.g. :8080, 127.0.0.1:8080, [::1]:8080)",
			addr);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = *host ? AF_UNSPEC : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai)) != 0)
		return gc_error_set(err, GC_EINVALID, "listen address '%s': %s",
				    addr, gai_strerror(rc));
	s = socket(ai->ai_family, SOCK_STREAM, 0);
	if (s < 0 || fcntl(s, F_SETFD, FD_CLOEXEC) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s, 128) < 0) {
		rc = gc_error_set(err, GC_EOS, "cannot listen on %s: %s", addr,
				  strerror(errno));
		if (s >= 0)
			close(s);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	*fd = s;
	return 0;
}

int gc_server_start(gc_server **out, const gc_server_opts *opts, gc_error *err)
{
	gc_server *s = gc_xcalloc(1, sizeof(*s));
	int error;

	s->opts = opts;
	s->body_max = opts->body_max ? opts->body_max : GC_SERVER_BODY_MAX;
	s->fd = -1;
	if ((error = listen_on(&s->fd, opts->listen, err)) < 0)
		goto fail;
	format_address(s->address, sizeof(s->address), s->fd);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
					MHD_USE_ITC,
				0, NULL, NULL, handle, s,
				MHD_OPTION_LISTEN_SOCKET, s->fd,
				MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)CONNECTIONS_MAX,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)IDLE_TIMEOUT_S, MHD_OPTION_END);
	if (!s->d) {
		error = gc_error_set(err, GC_ERROR,
				     "cannot start the HTTP server on %s",
				     opts->listen);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return error;
}

const char *gc_server_address(const gc_server *s)
{
	return s->address;
}

void gc_server_stop(gc_server *s)
{
	struct timespec ts = { 0, 10 * 1000000L };
	int fd;

	if (!s)
		return;
	/* no new connections; what was received is answered */
	fd = MHD_quiesce_daemon(s->d);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < STOP_WAIT_MS / 10 &&
			__atomic_load_n(&s->inflight, __ATOMIC_SEQ_CST);
	     i++)
		nanosleep(&ts, NULL);
	MHD_stop_daemon(s->d);
	free(s);
}
