/*
 * gitcanary-sim: plays a Kubernetes cluster with Istio for gitcanary. See
 * docs/simulator.md.
 */
#include "sim.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/log.h"

#define TICK_MAX 0.05 /* seconds between model steps at most */

typedef struct options {
	const char *repo, *branch, *dir, *listen, *loadtester, *scenario;
	double poll, apply_delay, rollout_time, rps, ab_share;
} options;

typedef struct sim {
	pthread_mutex_t mu; /* guards cluster */
	gc_sim_cluster cluster;
	gc_sim_scenario scenario;
	gc_sim_loadtester lt;
	gc_sim_source *src;
	gc_sim_http *metrics_http, *lt_http;
	char applied[41], pending[41];
	double due;
	char *last_poll_error;
} sim;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static const char usage[] =
	"usage: gitcanary-sim (--repo PATH|URL [--branch NAME] | --dir DIR)\n"
	"                     [--listen HOST:PORT] [--loadtester HOST:PORT]\n"
	"                     [--scenario FILE] [--poll DUR] [--apply-delay DUR]\n"
	"                     [--rollout-time DUR] [--rps N] [--ab-share PCT]\n"
	"                     [--log-level debug|info|warn|error]\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "200ms", "1s", "1.5s", "2m", or plain seconds. */
static int parse_duration(double *out, const char *s)
{
	static const gc_sim_unit seconds[] = { { "ms", 1.0, 1000.0 },
					       { "m", 60.0, 1.0 },
					       { "s", 1.0, 1.0 } };

	return gc_sim_parse_unit(out, s, seconds, GC_ARRAY_SIZE(seconds));
}

static int set_level(const char *s)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };

	for (size_t i = 0; i < GC_ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			gc_log_set_level((gc_log_level)i);
			return 0;
		}
	}
	return -1;
}

static int set_option(options *o, const char *name, const char *v)
{
	if (!strcmp(name, "repo"))
		o->repo = v;
	else if (!strcmp(name, "branch"))
		o->branch = v;
	else if (!strcmp(name, "dir"))
		o->dir = v;
	else if (!strcmp(name, "listen"))
		o->listen = v;
	else if (!strcmp(name, "loadtester"))
		o->loadtester = v;
	else if (!strcmp(name, "scenario"))
		o->scenario = v;
	else if (!strcmp(name, "poll"))
		return parse_duration(&o->poll, v);
	else if (!strcmp(name, "apply-delay"))
		return parse_duration(&o->apply_delay, v);
	else if (!strcmp(name, "rollout-time"))
		return parse_duration(&o->rollout_time, v);
	else if (!strcmp(name, "rps"))
		return gc_sim_parse_number(&o->rps, v, false);
	else if (!strcmp(name, "ab-share"))
		return gc_sim_parse_number(&o->ab_share, v, true);
	else if (!strcmp(name, "log-level"))
		return set_level(v);
	else
		return -1;
	return 0;
}

static int bad_arg(const char *arg)
{
	fprintf(stderr, "gitcanary-sim: bad argument '%s'\n%s", arg, usage);
	return 2;
}

/* 0, or 2 after printing a usage error. */
static int parse_args(options *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *v;
		char *name;
		int rc;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(usage, stdout);
			exit(0);
		}
		if (strncmp(arg, "--", 2) || !arg[2])
			return bad_arg(arg);
		eq = strchr(arg, '=');
		name = eq ? gc_xstrndup(arg + 2, (size_t)(eq - arg - 2))
			  : gc_xstrdup(arg + 2);
		v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		rc = v ? set_option(o, name, v) : -1;
		free(name);
		if (rc < 0)
			return bad_arg(arg);
	}
	if (!o->repo == !o->dir) {
		fprintf(stderr,
			"gitcanary-sim: exactly one of --repo and --dir is required\n%s",
			usage);
		return 2;
	}
	return 0;
}

static int serve_metrics(const char *method, const char *url, const char *body,
			 size_t len, int *status, gc_buf *resp,
			 const char **content_type, void *payload)
{
	sim *s = payload;

	(void)method;
	(void)body;
	(void)len;
	if (!strcmp(url, "/healthz")) {
		gc_buf_adds(resp, "OK");
		return 0;
	}
	if (strcmp(url, "/metrics")) {
		*status = 404;
		gc_buf_adds(resp, "404 page not found\n");
		return 0;
	}
	*content_type = "text/plain; version=0.0.4; charset=utf-8";
	pthread_mutex_lock(&s->mu);
	gc_sim_metrics_render(resp, &s->cluster);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void poll_source(sim *s, const options *o, double now)
{
	gc_error err = GC_ERROR_INIT;
	char rev[41] = "";
	char *msg;

	if (gc_sim_source_poll(s->src, rev, &err) < 0) {
		msg = gc_error_format(&err);
		if (!s->last_poll_error || strcmp(msg, s->last_poll_error))
			gc_warn("cannot resolve '%s': %s",
				o->dir ? o->dir : o->branch, msg);
		free(s->last_poll_error);
		s->last_poll_error = msg;
		gc_error_release(&err);
		return;
	}
	GC_FREE_AND_NULL(s->last_poll_error);
	if (!strcmp(rev, s->applied) || !strcmp(rev, s->pending))
		return;
	/* a newer commit joins the pending sync instead of postponing it */
	if (!s->pending[0])
		s->due = now + o->apply_delay;
	snprintf(s->pending, sizeof(s->pending), "%s", rev);
	gc_info("new revision %.7s, applying in %gs", rev,
		s->due > now ? s->due - now : 0.0);
}

static void apply_pending(sim *s, double now)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	char *subject = NULL, *msg;

	if (gc_sim_source_load(s->src, s->pending, &docs, &subject, &err) < 0) {
		msg = gc_error_format(&err);
		gc_warn("cannot load %.7s: %s", s->pending, msg);
		free(msg);
		s->due = now + 1.0;
		goto cleanup;
	}
	pthread_mutex_lock(&s->mu);
	gc_sim_model_apply(&s->cluster, &docs, now);
	pthread_mutex_unlock(&s->mu);
	gc_info("applied %.7s %s (%zu documents)", s->pending, subject, docs.n);
	memcpy(s->applied, s->pending, sizeof(s->applied));
	s->pending[0] = '\0';
cleanup:
	gc_doclist_release(&docs);
	gc_error_release(&err);
	free(subject);
}

static void sleep_s(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL); /* EINTR on a signal is fine */
}

static void run(sim *s, const options *o)
{
	double now = now_s(), last = now, next_poll = now;
	double tick = o->poll < TICK_MAX ? o->poll : TICK_MAX;

	if (tick <= 0.0)
		tick = TICK_MAX;
	while (!stopping) {
		now = now_s();
		if (now >= next_poll) {
			poll_source(s, o, now);
			next_poll = now + o->poll;
		}
		if (s->pending[0] && now >= s->due)
			apply_pending(s, now);
		pthread_mutex_lock(&s->mu);
		gc_sim_model_advance(&s->cluster, now);
		gc_sim_traffic_advance(&s->cluster, now - last);
		pthread_mutex_unlock(&s->mu);
		last = now;
		sleep_s(tick);
	}
}

static int start(sim *s, const options *o, gc_error *err)
{
	unsigned port;
	int error;

	if (o->scenario &&
	    (error = gc_sim_scenario_load(&s->scenario, o->scenario, err)) < 0)
		return error;
	if ((error = gc_sim_source_open(&s->src, o->repo, o->branch, o->dir,
					err)) < 0)
		return error;
	if ((error = gc_sim_http_start(&s->metrics_http, &port, o->listen,
				       serve_metrics, s, err)) < 0)
		return error;
	gc_info("metrics on http://%.*s:%u/metrics",
		(int)(strrchr(o->listen, ':') - o->listen), o->listen, port);
	if (o->loadtester) {
		if ((error = gc_sim_http_start(&s->lt_http, &port,
					       o->loadtester,
					       gc_sim_loadtester_handle, &s->lt,
					       err)) < 0)
			return error;
		gc_info("loadtester on http://%.*s:%u/",
			(int)(strrchr(o->loadtester, ':') - o->loadtester),
			o->loadtester, port);
	}
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	options o = { NULL, "deploy", NULL, "127.0.0.1:9101",
		      NULL, NULL,     0.2,  1.0,
		      1.0,  50.0,     0.1 };
	gc_error err = GC_ERROR_INIT;
	sim s;
	int rc;

	if ((rc = parse_args(&o, argc, argv)) != 0)
		return rc;
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	gc_sim_cluster_init(&s.cluster);
	s.cluster.rollout_time = o.rollout_time;
	s.cluster.rps = o.rps;
	s.cluster.ab_share = o.ab_share;
	s.cluster.scenario = &s.scenario;
	s.lt.cluster = &s.cluster;
	s.lt.mu = &s.mu;
	install_signals();
	rc = 0;
	if (start(&s, &o, &err) < 0) {
		char *msg = gc_error_format(&err);

		fprintf(stderr, "gitcanary-sim: %s\n", msg);
		free(msg);
		rc = 1;
	} else {
		run(&s, &o);
		gc_info("stopping");
	}
	gc_sim_http_stop(s.metrics_http);
	gc_sim_http_stop(s.lt_http);
	gc_sim_source_free(s.src);
	gc_sim_loadtester_release(&s.lt);
	gc_sim_cluster_release(&s.cluster);
	gc_sim_scenario_release(&s.scenario);
	free(s.last_poll_error);
	gc_error_release(&err);
	pthread_mutex_destroy(&s.mu);
	return rc;
}
