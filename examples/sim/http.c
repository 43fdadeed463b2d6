#include "sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "util/alloc.h"

#define BODY_MAX (1024 * 1024)

struct gc_sim_http {
	struct MHD_Daemon *d;
	gc_sim_http_fn fn;
	void *payload;
};

typedef struct request {
	gc_buf body;
	bool too_big;
} request;

static enum MHD_Result respond(struct MHD_Connection *conn, int status,
			       const gc_buf *body, const char *type)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(body->len, body->ptr,
						MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_size, void **con_cls)
{
	gc_sim_http *srv = cls;
	request *req = *con_cls;
	gc_buf resp = GC_BUF_INIT;
	const char *type = "text/plain; charset=utf-8";
	int status = 200;
	enum MHD_Result ret;

	(void)version;
	if (!req) {
		req = gc_xcalloc(1, sizeof(*req));
		req->body = (gc_buf)GC_BUF_INIT;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size) {
		if (req->body.len + *upload_size > BODY_MAX)
			req->too_big = true;
		else
			gc_buf_add(&req->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_big) {
		gc_buf_adds(&resp, "request body too large");
		status = 413;
	} else if (srv->fn(method, url, req->body.ptr, req->body.len, &status,
			   &resp, &type, srv->payload) < 0) {
		gc_buf_release(&resp);
		return MHD_NO;
	}
	ret = respond(conn, status, &resp, type);
	gc_buf_release(&resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	request *req = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!req)
		return;
	gc_buf_release(&req->body);
	free(req);
	*con_cls = NULL;
}

static int parse_listen(struct sockaddr_in *sa, const char *listen,
			gc_error *err)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return gc_error_set(err, GC_EINVALID,
				    "listen address '%s' is not HOST:PORT",
				    listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return gc_error_set(err, GC_EINVALID,
				    "listen address '%s' is not IPV4:PORT",
				    listen);
	return 0;
}

int gc_sim_http_start(gc_sim_http **out, unsigned *port_out, const char *listen,
		      gc_sim_http_fn fn, void *payload, gc_error *err)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	gc_sim_http *srv;
	int error;

	if ((error = parse_listen(&sa, listen, err)) < 0)
		return error;
	srv = gc_xcalloc(1, sizeof(*srv));
	srv->fn = fn;
	srv->payload = payload;
	errno = 0;
	srv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
				  NULL, handle, srv, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&sa,
				  MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				  MHD_OPTION_END);
	if (!srv->d) {
		free(srv);
		return gc_error_set(err, GC_EOS, "cannot listen on '%s': %s",
				    listen,
				    errno ? strerror(errno) : "unknown error");
	}
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	*port_out = info ? info->port : ntohs(sa.sin_port);
	*out = srv;
	return 0;
}

void gc_sim_http_stop(gc_sim_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
