/*
 * The endpoints of `gitcanary run` (service.h): probes, metrics and the
 * push receivers, as routes of the one server.
 */
#include "reconciler/service/service.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconciler/service/ready.h"
#include "reconciler/service/server.h"
#include "util/alloc.h"
#include "util/log.h"

#define NROUTES (3 + GC_FORGES)

/* One receiver's route. */
typedef struct hook {
	struct gc_service *svc;
	gc_forge forge;
} hook;

struct gc_service {
	gc_service_opts opts;
	gc_ready ready;
	hook hooks[GC_FORGES];
	gc_server_route routes[NROUTES];
	gc_server_opts sopts;
	gc_server *server;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void healthz(gc_server_response *resp, const gc_server_request *req,
		    void *payload)
{
	(void)req;
	(void)payload;
	gc_buf_adds(&resp->body, "ok\n");
}

static void readyz(gc_server_response *resp, const gc_server_request *req,
		   void *payload)
{
	gc_service *s = payload;

	(void)req;
	resp->status = gc_ready_check(&s->ready, wall_ms(), &resp->body);
}

static void metrics(gc_server_response *resp, const gc_server_request *req,
		    void *payload)
{
	gc_service *s = payload;

	(void)req;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (s->opts.metrics &&
	    s->opts.metrics(&resp->body, s->opts.metrics_ctx) < 0) {
		gc_buf_clear(&resp->body);
		gc_buf_adds(&resp->body, "metrics failed\n");
		resp->content_type = "text/plain; charset=utf-8";
		resp->status = 500;
	}
}

static const char *header_of(const char *name, void *payload)
{
	return gc_server_header(payload, name);
}

static void receive(gc_server_response *resp, const gc_server_request *req,
		    void *payload)
{
	const hook *h = payload;
	gc_service *s = h->svc;
	const char *name = gc_receivers_forge_name(h->forge);
	gc_push p;

	gc_receivers_check(&p, h->forge, s->opts.secrets->secret[h->forge],
			   s->opts.branch, header_of, GC_UNCONST(req),
			   req->body, req->body_len);
	resp->status = p.status;
	gc_buf_addf(&resp->body, "%s\n", p.reason);
	switch (p.verdict) {
	case GC_PUSH_TICK:
		gc_wake_push(s->opts.wake);
		gc_info("%s push to %s: tick", name,
			*p.ref ? p.ref : s->opts.branch);
		break;
	case GC_PUSH_IGNORED:
		gc_debug("%s webhook %s%s%s", name, p.reason,
			 *p.ref ? ": " : "", p.ref);
		break;
	default:
		gc_warn("%s webhook refused (%u): %s", name, p.status,
			p.reason);
		break;
	}
}

/* The routes: probes and metrics, then the receivers that have a secret. */
static size_t routes(gc_service *s)
{
	size_t n = 0;

	s->routes[n++] = (gc_server_route){ "/healthz", "GET", healthz, s };
	s->routes[n++] = (gc_server_route){ "/readyz", "GET", readyz, s };
	s->routes[n++] = (gc_server_route){ "/metrics", "GET", metrics, s };
	for (size_t i = 0; i < GC_FORGES; i++) {
		static const char *const paths[GC_FORGES] = {
			"/hooks/github", "/hooks/gitlab", "/hooks/gitea",
			"/hooks/generic"
		};

		if (!s->opts.secrets || !s->opts.secrets->secret[i])
			continue;
		s->hooks[i] = (hook){ s, (gc_forge)i };
		s->routes[n++] = (gc_server_route){ paths[i], "POST", receive,
						    &s->hooks[i] };
	}
	return n;
}

int gc_service_start(gc_service **out, const gc_service_opts *opts,
		     gc_error *err)
{
	gc_service *s = gc_xcalloc(1, sizeof(*s));
	int error;

	s->opts = *opts;
	gc_ready_init(&s->ready, opts->poll_ms);
	s->sopts.listen = opts->listen;
	s->sopts.routes = s->routes;
	s->sopts.nroutes = routes(s);
	if ((error = gc_server_start(&s->server, &s->sopts, err)) < 0) {
		gc_ready_release(&s->ready);
		free(s);
		return error;
	}
	*out = s;
	return 0;
}

const char *gc_service_address(const gc_service *s)
{
	return gc_server_address(s->server);
}

void gc_service_tick_done(gc_service *s, bool ok, bool reachable,
			  const char *error)
{
	if (s)
		gc_ready_record(&s->ready, wall_ms(), ok, reachable, error);
}

void gc_service_stop(gc_service *s)
{
	if (!s)
		return;
	gc_server_stop(s->server);
	gc_ready_release(&s->ready);
	free(s);
}
