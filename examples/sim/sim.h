#ifndef GC_EXAMPLES_SIM_SIM_H
#define GC_EXAMPLES_SIM_SIM_H

/*
 * gitcanary-sim: a local stand-in for a Kubernetes cluster with Istio,
 * kube-state-metrics, a GitOps agent and the Flagger load tester.
 *
 *   apply.c      follows the deploy branch (or a directory) and loads objects
 *   model.c      Deployments, HPAs, Services, VirtualServices; rollout timing
 *   traffic.c    simulated requests routed by the VirtualServices
 *   scenario.c   how each image behaves (errors, latency)
 *   metrics.c    Prometheus exposition text (kube-state-metrics + Istio)
 *   http.c       libmicrohttpd servers with body collection
 *   loadtester.c flagger-loadtester compatible webhook and gate API
 *   alert_sink.c a Slack-compatible hook that logs the alerts it gets
 *   main.c       flags and the loop
 *
 * All times are seconds of CLOCK_MONOTONIC as doubles.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "repo-layout/doc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/map.h"

/* Istio's default buckets of istio_request_duration_milliseconds. */
#define GC_SIM_NBUCKETS 19
extern const double gc_sim_buckets[GC_SIM_NBUCKETS];

/* ---- scenario.c ---- */

typedef struct gc_sim_behaviour {
	double error_rate; /* share of requests answered with error_code */
	int error_code;
	double latency_ms; /* latency of ordinary requests */
	double slow_ms;    /* latency of slow requests; 0 = none */
	double slow_share; /* share of slow requests */
} gc_sim_behaviour;

typedef struct gc_sim_scenario_entry {
	char *key; /* image tag, full image reference, or "*" */
	gc_sim_behaviour behaviour;
} gc_sim_scenario_entry;

typedef struct gc_sim_scenario {
	gc_sim_scenario_entry *v;
	size_t n;
} gc_sim_scenario;

/* clang-format off */
#define GC_SIM_SCENARIO_INIT { NULL, 0 }
/* clang-format on */

/*
 * A non-negative number; with percent also "20%" (0.2), and more than 1 is
 * an error. -1 when s is not one.
 */
int gc_sim_parse_number(double *out, const char *s, bool percent);

/* A unit suffix of gc_sim_parse_unit: the number is times mul over div. */
typedef struct gc_sim_unit {
	const char *suffix;
	double mul, div;
} gc_sim_unit;

/*
 * A non-negative number followed by one of units[0..n) or by nothing (the
 * number as it is): "200ms", "1.5s", "900". -1 otherwise.
 */
int gc_sim_parse_unit(double *out, const char *s, const gc_sim_unit *units,
		      size_t n);

/* Parses scenario text (see docs/simulator.md); errors carry path:line:col. */
int gc_sim_scenario_parse(gc_sim_scenario *sc, const char *path,
			  const char *text, gc_error *err);
int gc_sim_scenario_load(gc_sim_scenario *sc, const char *path, gc_error *err);
void gc_sim_scenario_release(gc_sim_scenario *sc);
/* Behaviour of an image: exact reference, then tag, then "*", then default. */
gc_sim_behaviour gc_sim_scenario_lookup(const gc_sim_scenario *sc,
					const char *image);

/* ---- model.c ---- */

typedef struct gc_sim_codestats {
	int code;
	unsigned long long count;
	unsigned long long buckets[GC_SIM_NBUCKETS]; /* not cumulative */
	double sum_ms;
} gc_sim_codestats;

/* Requests seen by one workload (reporter="destination"). */
typedef struct gc_sim_workload {
	char *ns, *name;
	gc_sim_codestats *codes;
	size_t ncodes;
} gc_sim_workload;

typedef struct gc_sim_deploy {
	char *ns, *name;
	char *spec_json;         /* last applied spec, to detect changes */
	char *template_json;     /* last applied pod template */
	cJSON *labels;           /* pod template labels (owned) */
	int spec_replicas;       /* -1 when absent */
	int desired;             /* after HPA bounds */
	char *image, *old_image; /* new and previous template's image */
	long long generation, observed;
	double observed_at; /* when observedGeneration catches up */
	int updated;        /* pods of the current template */
	int available_new;  /* of which available */
	int old;            /* pods of the previous template (available) */
	int ramp_from, old_from;
	double ramp_start;
	bool ramping;
	double pending;         /* fractional requests not yet served */
	double old_acc;         /* splits requests between old and new pods */
	unsigned long long seq; /* requests served, for exact fractions */
	bool seen;
} gc_sim_deploy;

typedef struct gc_sim_hpa {
	char *ns, *name, *target;
	int min, max;
} gc_sim_hpa;

typedef struct gc_sim_service {
	char *ns, *name;
	cJSON *selector; /* owned, may be NULL */
} gc_sim_service;

typedef struct gc_sim_vs {
	char *ns, *name;
	cJSON *spec;   /* owned */
	char *summary; /* "podinfo-primary=90 podinfo-canary=10" */
} gc_sim_vs;

/* Load generated for the load tester (a simulated `hey`), sent to one host. */
typedef struct gc_sim_gen {
	char *key; /* "<canary>.<namespace> <command>": one run per key */
	char *ns, *host;
	double rps;
	double remaining; /* seconds */
} gc_sim_gen;

typedef struct gc_sim_cluster {
	gc_sim_deploy **deps;
	size_t ndeps;
	gc_sim_hpa **hpas;
	size_t nhpas;
	gc_sim_service **svcs;
	size_t nsvcs;
	gc_sim_vs **vss;
	size_t nvss;
	gc_sim_workload **loads;
	size_t nloads;
	gc_sim_gen **gens;
	size_t ngens;
	double rollout_time; /* seconds for new pods to become available */
	double rps;          /* requests per second per VirtualService */
	double ab_share;     /* share of requests matching the first route */
	const gc_sim_scenario *scenario; /* borrowed */
} gc_sim_cluster;

void gc_sim_cluster_init(gc_sim_cluster *c);
void gc_sim_cluster_release(gc_sim_cluster *c);
/*
 * Applies the complete desired state `docs` at time now (GitOps with
 * pruning): objects absent from docs are deleted. Documents must carry
 * metadata.namespace (apply.c fills it in).
 */
void gc_sim_model_apply(gc_sim_cluster *c, const gc_doclist *docs, double now);
/* Moves rollouts forward to time now. */
void gc_sim_model_advance(gc_sim_cluster *c, double now);
int gc_sim_deploy_available(const gc_sim_deploy *d);
int gc_sim_deploy_replicas(const gc_sim_deploy *d);
gc_sim_deploy *gc_sim_model_find_deploy(const gc_sim_cluster *c, const char *ns,
					const char *name);
gc_sim_service *gc_sim_model_find_service(const gc_sim_cluster *c,
					  const char *ns, const char *name);
gc_sim_workload *gc_sim_model_workload(gc_sim_cluster *c, const char *ns,
				       const char *name);

/* ---- traffic.c ---- */

/* Sends dt seconds of simulated traffic through every VirtualService. */
void gc_sim_traffic_advance(gc_sim_cluster *c, double dt);
/*
 * Sends rps requests per second to host (a Service name, short or FQDN)
 * for the next `seconds`; ignored while one with the same key still runs
 * (flagger-loadtester deduplicates per canary and command).
 */
void gc_sim_traffic_generate(gc_sim_cluster *c, const char *key, const char *ns,
			     const char *host, double rps, double seconds);
/* Serves n requests at d now (records them in its workload). */
void gc_sim_traffic_serve(gc_sim_cluster *c, gc_sim_deploy *d,
			  unsigned long long n);

/* ---- metrics.c ---- */

/* Appends the Prometheus text exposition of the cluster to out. */
void gc_sim_metrics_render(gc_buf *out, const gc_sim_cluster *c);

/* ---- http.c ---- */

typedef struct gc_sim_http gc_sim_http; /* a running server (opaque) */

/* One finished request; fill *status and resp. Return -1 to drop the
 * connection. */
typedef int (*gc_sim_http_fn)(const char *method, const char *url,
			      const char *body, size_t len, int *status,
			      gc_buf *resp, const char **content_type,
			      void *payload);
/* Listens on "HOST:PORT" (port 0 = any); *port_out gets the bound port. */
int gc_sim_http_start(gc_sim_http **out, unsigned *port_out, const char *listen,
		      gc_sim_http_fn fn, void *payload, gc_error *err);
void gc_sim_http_stop(gc_sim_http *h);

/* ---- loadtester.c ---- */

typedef struct gc_sim_loadtester {
	gc_map gates; /* "<name>.<namespace>" and "rollback.<...>" -> open */
	gc_sim_cluster *
		cluster; /* borrowed; where `hey` commands send load, or NULL */
	pthread_mutex_t *mu; /* borrowed; guards cluster */
} gc_sim_loadtester;

/* clang-format off */
#define GC_SIM_LOADTESTER_INIT { GC_MAP_INIT, NULL, NULL }
/* clang-format on */

void gc_sim_loadtester_release(gc_sim_loadtester *lt);
/* A gc_sim_http_fn; payload is the gc_sim_loadtester. */
int gc_sim_loadtester_handle(const char *method, const char *url,
			     const char *body, size_t len, int *status,
			     gc_buf *resp, const char **content_type,
			     void *payload);

/* ---- alert_sink.c ---- */

/*
 * POST /alerts/<name> on the loadtester's listener: a Slack (or Discord,
 * Rocket) incoming webhook that answers "ok" and logs one line per alert:
 * "alert <name>: <author_name> [<color>] <text>". The demo's local sink.
 */
int gc_sim_alert_sink(const char *name, const char *body, size_t len,
		      int *status, gc_buf *resp);

/* ---- apply.c ---- */

typedef struct gc_sim_source gc_sim_source;

/* Follows `branch` of the repository `repo`, or, when dir is set, a directory.
 */
int gc_sim_source_open(gc_sim_source **out, const char *repo,
		       const char *branch, const char *dir, gc_error *err);
void gc_sim_source_free(gc_sim_source *src);
/*
 * Resolves the current revision into rev (a commit id, or a content hash
 * in directory mode). GC_ENOTFOUND while the branch does not exist.
 */
int gc_sim_source_poll(gc_sim_source *src, char rev[41], gc_error *err);
/*
 * Loads every .yaml/.yml document of revision rev, with metadata.namespace
 * filled in (kustomization namespace, else "default"); *subject gets the
 * commit subject (owned). Files that do not parse are logged and skipped.
 */
int gc_sim_source_load(gc_sim_source *src, const char *rev, gc_doclist *docs,
		       char **subject, gc_error *err);
/* Fills in metadata.namespace of every document (exposed for tests). */
void gc_sim_source_namespaces(gc_doclist *docs, const char *def);

#endif
