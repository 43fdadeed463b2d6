/*
 * gitcanary-sim: the model and traffic in-process, then the real binary
 * against a git repository with a deploy branch, scraped with curl.
 */
#include "util/common.h"
#include "harness.h"

#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "repo-layout/yaml.h"
#include "sim.h"
#include "util/alloc.h"
#include "util/log.h"

/* ---- fixtures ---- */

static const char deployments_yaml[] =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: podinfo-primary\n"
	"  namespace: test\n"
	"spec:\n"
	"  replicas: 2\n"
	"  selector: {matchLabels: {app: podinfo-primary}}\n"
	"  template:\n"
	"    metadata: {labels: {app: podinfo-primary}}\n"
	"    spec:\n"
	"      containers:\n"
	"        - name: podinfod\n"
	"          image: stefanprodan/podinfo:3.1.1\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: podinfo\n"
	"spec:\n"
	"  selector: {matchLabels: {app: podinfo}}\n"
	"  template:\n"
	"    metadata: {labels: {app: podinfo}}\n"
	"    spec:\n"
	"      containers:\n"
	"        - name: podinfod\n"
	"          image: stefanprodan/podinfo:%s\n"
	"---\n"
	"apiVersion: autoscaling/v2\n"
	"kind: HorizontalPodAutoscaler\n"
	"metadata: {name: podinfo}\n"
	"spec:\n"
	"  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n"
	"  minReplicas: 1\n"
	"  maxReplicas: 4\n";

static const char kustomization_yaml[] =
	"apiVersion: kustomize.config.k8s.io/v1beta1\n"
	"kind: Kustomization\n"
	"namespace: test\n"
	"resources: [podinfo/deployments.yaml]\n";

static const char services_yaml[] =
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata: {name: podinfo-primary, namespace: test}\n"
	"spec: {selector: {app: podinfo-primary}, ports: [{name: http, port: 9898}]}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata: {name: podinfo-canary, namespace: test}\n"
	"spec: {selector: {app: podinfo}, ports: [{name: http, port: 9898}]}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata: {name: podinfo, namespace: test}\n"
	"spec: {selector: {app: podinfo-primary}, ports: [{name: http, port: 9898}]}\n";

/* %d %d = primary and canary weight */
static const char vs_yaml[] =
	"apiVersion: networking.istio.io/v1beta1\n"
	"kind: VirtualService\n"
	"metadata: {name: podinfo, namespace: test}\n"
	"spec:\n"
	"  hosts: ['*']\n"
	"  gateways: [public-gateway.istio-system.svc.cluster.local]\n"
	"  http:\n"
	"    - route:\n"
	"        - destination: {host: podinfo-primary}\n"
	"          weight: %d\n"
	"        - destination: {host: podinfo-canary}\n"
	"          weight: %d\n";

static const char scenario_text[] = "# test scenario\n"
				    "3.1.1 ok\n"
				    "3.1.2 errors=20% code=500\n"
				    "3.1.3 p99=900ms\n"
				    "3.1.4 errors=10% code=404\n";

/* ---- scenario ---- */

static const struct {
	const char *image;
	double error_rate;
	int code;
	double latency_ms, slow_ms;
} lookups[] = {
	{ "stefanprodan/podinfo:3.1.1", 0.0, 500, 20.0, 0.0 },
	{ "stefanprodan/podinfo:3.1.2", 0.2, 500, 20.0, 0.0 },
	{ "ghcr.io/stefanprodan/podinfo:3.1.4@sha256:abc", 0.1, 404, 20.0,
	  0.0 },
	{ "localhost:5000/podinfo:3.1.3", 0.0, 500, 20.0, 900.0 },
	{ "localhost:5000/podinfo", 0.0, 500, 20.0, 0.0 },
	{ "stefanprodan/podinfo:9.9.9", 0.0, 500, 20.0, 0.0 },
};

START_TEST(test_sim__scenario_lookup)
{
	gc_sim_scenario sc = GC_SIM_SCENARIO_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_sim_behaviour b;

	ck_assert_int_eq(gc_sim_scenario_parse(&sc, "s", scenario_text, &err),
			 0);
	b = gc_sim_scenario_lookup(&sc, lookups[_i].image);
	ck_assert_double_eq_tol(b.error_rate, lookups[_i].error_rate, 1e-12);
	ck_assert_int_eq(b.error_code, lookups[_i].code);
	ck_assert_double_eq_tol(b.latency_ms, lookups[_i].latency_ms, 1e-12);
	ck_assert_double_eq_tol(b.slow_ms, lookups[_i].slow_ms, 1e-12);
	gc_sim_scenario_release(&sc);
}
END_TEST

static const struct {
	const char *text, *msg;
} bad_scenarios[] = {
	{ "3.1.1 ok\n3.1.2 errors=120%\n",
	  "bad.scenario:2:7: errors wants a share like 20%: 'errors=120%'" },
	{ "3.1.2   code=5xx\n",
	  "bad.scenario:1:9: code wants an HTTP status 100-599: 'code=5xx'" },
	{ "x p99=fast\n",
	  "bad.scenario:1:3: p99 wants a duration like 900ms: 'p99=fast'" },
	{ "\n\n x slow\n", "bad.scenario:3:4: unknown setting: 'slow'" },
};

START_TEST(test_sim__scenario_errors)
{
	gc_sim_scenario sc = GC_SIM_SCENARIO_INIT;
	gc_error err = GC_ERROR_INIT;
	char *msg;

	ck_assert_int_eq(gc_sim_scenario_parse(&sc, "bad.scenario",
					       bad_scenarios[_i].text, &err),
			 GC_EPARSE);
	msg = gc_error_format(&err);
	ck_assert_str_eq(msg, bad_scenarios[_i].msg);
	ck_assert_uint_eq(sc.n, 0);
	free(msg);
	gc_error_release(&err);
}
END_TEST

/* ---- model and traffic in-process ---- */

static void apply_yaml(gc_sim_cluster *c, const char *yaml, double now)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;

	ck_assert_msg(gc_yaml_parse(&docs, "deploy/all.yaml", yaml,
				    strlen(yaml), &err) == 0,
		      "%s", err.msg);
	gc_sim_source_namespaces(&docs, "test");
	gc_sim_model_apply(c, &docs, now);
	gc_doclist_release(&docs);
}

static char *fixture_yaml(const char *canary_image, int pw, int cw)
{
	gc_buf b = GC_BUF_INIT;

	gc_buf_addf(&b, deployments_yaml, canary_image);
	gc_buf_adds(&b, "---\n");
	gc_buf_adds(&b, services_yaml);
	gc_buf_adds(&b, "---\n");
	gc_buf_addf(&b, vs_yaml, pw, cw);
	return gc_buf_detach(&b, NULL);
}

static unsigned long long served(gc_sim_cluster *c, const char *name, int code)
{
	gc_sim_workload *w = gc_sim_model_workload(c, "test", name);
	unsigned long long n = 0;

	for (size_t i = 0; i < w->ncodes; i++)
		if (!code || w->codes[i].code == code)
			n += w->codes[i].count;
	return n;
}

START_TEST(test_sim__rollout_converges)
{
	gc_sim_cluster c;
	char *yaml = fixture_yaml("3.1.1", 100, 0);
	gc_sim_deploy *d;

	gc_sim_cluster_init(&c);
	c.rollout_time = 1.0;
	apply_yaml(&c, yaml, 10.0);
	d = gc_sim_model_find_deploy(&c, "test", "podinfo-primary");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->desired, 2);
	ck_assert_int_eq(d->updated, 2);
	ck_assert_int_eq(gc_sim_deploy_available(d), 0);
	ck_assert_int_eq(d->generation, 1);
	ck_assert_int_eq(d->observed, 0);
	gc_sim_model_advance(&c, 10.5);
	ck_assert_int_eq(gc_sim_deploy_available(d), 1);
	ck_assert_int_eq(d->observed, 1);
	gc_sim_model_advance(&c, 11.0);
	ck_assert_int_eq(gc_sim_deploy_available(d), 2);

	/* no spec.replicas: the HPA's minReplicas */
	d = gc_sim_model_find_deploy(&c, "test", "podinfo");
	ck_assert_int_eq(d->desired, 1);

	/* a new template: old pods stay until new ones are available */
	free(yaml);
	yaml = fixture_yaml("3.1.1", 100, 0);
	*strstr(yaml, "podinfo:3.1.1") = 'P';
	apply_yaml(&c, yaml, 20.0);
	d = gc_sim_model_find_deploy(&c, "test", "podinfo-primary");
	ck_assert_int_eq(d->generation, 2);
	ck_assert_int_eq(gc_sim_deploy_replicas(d), 4);
	ck_assert_int_eq(d->updated, 2);
	ck_assert_int_eq(gc_sim_deploy_available(d), 2);
	gc_sim_model_advance(&c, 20.5);
	ck_assert_int_eq(d->available_new, 1);
	ck_assert_int_eq(d->old, 1);
	gc_sim_model_advance(&c, 21.0);
	ck_assert_int_eq(gc_sim_deploy_replicas(d), 2);
	ck_assert_int_eq(gc_sim_deploy_available(d), 2);
	ck_assert_int_eq(d->observed, 2);

	/* pruned when gone from the deploy branch */
	apply_yaml(&c, services_yaml, 30.0);
	ck_assert_ptr_null(gc_sim_model_find_deploy(&c, "test", "podinfo"));
	free(yaml);
	gc_sim_cluster_release(&c);
}
END_TEST

static const struct {
	const char *http; /* spec.http of the VirtualService */
	unsigned long long primary, canary;
} routes[] = {
	/* weights */
	{ "[{route: [{destination: {host: podinfo-primary}, weight: 70},"
	  " {destination: {host: podinfo-canary.test.svc.cluster.local}, weight: 30}]}]",
	  700, 300 },
	/* A/B: 10 % of requests carry the header of the first route */
	{ "[{match: [{headers: {x-canary: {exact: insider}}}],"
	  "  route: [{destination: {host: podinfo-primary}, weight: 0},"
	  "          {destination: {host: podinfo-canary}, weight: 100}]},"
	  " {route: [{destination: {host: podinfo-primary}, weight: 100}]}]",
	  900, 100 },
	/* mirroring: copies of 50 % of the primary's requests */
	{ "[{route: [{destination: {host: podinfo-primary}, weight: 100},"
	  " {destination: {host: podinfo-canary}, weight: 0}],"
	  " mirror: {host: podinfo-canary}, mirrorPercentage: {value: 50}}]",
	  1000, 500 },
	/* a destination without available replicas gets nothing */
	{ "[{route: [{destination: {host: podinfo-primary}, weight: 50},"
	  " {destination: {host: nowhere}, weight: 50}]}]",
	  500, 0 },
};

START_TEST(test_sim__traffic_routes)
{
	gc_sim_scenario sc = GC_SIM_SCENARIO_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_sim_cluster c;
	gc_buf yaml = GC_BUF_INIT;

	ck_assert_int_eq(gc_sim_scenario_parse(&sc, "s", scenario_text, &err),
			 0);
	gc_sim_cluster_init(&c);
	c.rollout_time = 0.0;
	c.rps = 1000.0;
	c.scenario = &sc;
	gc_buf_addf(&yaml, deployments_yaml, "3.1.2");
	gc_buf_addf(&yaml, "---\n%s---\n", services_yaml);
	gc_buf_addf(&yaml,
		    "apiVersion: networking.istio.io/v1alpha3\n"
		    "kind: VirtualService\n"
		    "metadata: {name: podinfo}\n"
		    "spec: {hosts: [podinfo], http: %s}\n",
		    routes[_i].http);
	apply_yaml(&c, yaml.ptr, 1.0);
	for (int i = 0; i < 10; i++)
		gc_sim_traffic_advance(&c, 0.1);
	ck_assert_uint_eq(served(&c, "podinfo-primary", 0), routes[_i].primary);
	ck_assert_uint_eq(served(&c, "podinfo", 0), routes[_i].canary);
	/* exactly 20 % of the canary's answers are 500, none of the primary's
	 */
	ck_assert_uint_eq(served(&c, "podinfo", 500), routes[_i].canary / 5);
	ck_assert_uint_eq(served(&c, "podinfo-primary", 500), 0);
	gc_buf_release(&yaml);
	gc_sim_cluster_release(&c);
	gc_sim_scenario_release(&sc);
}
END_TEST

/* histogram_quantile as Prometheus computes it (linear within a bucket). */
static double quantile(double q, const gc_sim_codestats *s)
{
	double rank = q * (double)s->count, cum = 0.0, prev = 0.0, lo = 0.0;

	for (size_t b = 0; b < GC_SIM_NBUCKETS; b++) {
		cum += (double)s->buckets[b];
		if (cum >= rank)
			return lo + (gc_sim_buckets[b] - lo) * (rank - prev) /
					    (cum - prev);
		prev = cum;
		lo = gc_sim_buckets[b];
	}
	return INFINITY;
}

static const struct {
	const char *line;
	double p99;
} latencies[] = {
	{ "3.1.3 p99=900ms\n", 900.0 },
	{ "3.1.3 p99=2s\n", 2000.0 },
	{ "3.1.3 p99=300ms latency=5ms\n", 300.0 },
	{ "3.1.3\n", 24.85 }, /* the default 20 ms, interpolated in (10, 25] */
};

START_TEST(test_sim__p99_matches_histogram_quantile)
{
	gc_sim_scenario sc = GC_SIM_SCENARIO_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_sim_cluster c;
	gc_sim_deploy *d;
	char *yaml = fixture_yaml("3.1.3", 100, 0);

	ck_assert_int_eq(gc_sim_scenario_parse(&sc, "s", latencies[_i].line,
					       &err),
			 0);
	gc_sim_cluster_init(&c);
	c.rollout_time = 0.0;
	c.scenario = &sc;
	apply_yaml(&c, yaml, 1.0);
	d = gc_sim_model_find_deploy(&c, "test", "podinfo");
	gc_sim_traffic_serve(&c, d, 10000);
	ck_assert_double_eq_tol(quantile(0.99,
					 &gc_sim_model_workload(&c, "test",
								"podinfo")
						  ->codes[0]),
				latencies[_i].p99, 1.0);
	free(yaml);
	gc_sim_cluster_release(&c);
	gc_sim_scenario_release(&sc);
}
END_TEST

static const struct {
	const char *cmd;
	unsigned long long after_1s, after_4s; /* canary requests */
} heys[] = {
	{ "hey -z 2s -q 10 -c 2 http://podinfo-canary.test:9898/", 20, 40 },
	{ "hey -z 1m -q 5 -c 1 http://podinfo-canary:9898/", 5, 20 },
	{ "hey -n 30 -q 10 -c 1 http://podinfo-canary.test/", 10, 30 },
	{ "curl -s http://podinfo-canary:9898/", 0, 0 },
	{ "hey -z 2s -q 10 -c 2 http://nowhere:9898/", 0, 0 },
};

/* The demo's alert sink: a Slack body is "ok", anything else 400. */
START_TEST(test_sim__alert_sink)
{
	static const char slack[] =
		"{\"channel\":\"demo\",\"username\":\"flagger\",\"icon_url\":\"\","
		"\"icon_emoji\":\":rocket:\",\"attachments\":[{\"color\":\"danger\","
		"\"author_name\":\"podinfo.test\",\"text\":\"Failed checks threshold reached 5\","
		"\"mrkdwn_in\":[\"text\"],\"fields\":[]}]}";
	gc_sim_loadtester lt = GC_SIM_LOADTESTER_INIT;
	gc_buf resp = GC_BUF_INIT;
	const char *type;
	int status = 0;

	ck_assert_int_eq(gc_sim_loadtester_handle("POST", "/alerts/slack",
						  slack, strlen(slack), &status,
						  &resp, &type, &lt),
			 0);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(resp.ptr, "ok");
	gc_buf_clear(&resp);
	ck_assert_int_eq(gc_sim_loadtester_handle("POST", "/alerts/slack", "{}",
						  2, &status, &resp, &type,
						  &lt),
			 0);
	ck_assert_int_eq(status, 400);
	ck_assert_str_eq(resp.ptr, "invalid_payload");
	gc_buf_release(&resp);
	gc_sim_loadtester_release(&lt);
}
END_TEST

/* Blue/green sends the canary nothing; the load tester's hey does. */
START_TEST(test_sim__loadtester_hey_generates_load)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	gc_sim_loadtester lt = GC_SIM_LOADTESTER_INIT;
	gc_buf resp = GC_BUF_INIT;
	const char *type;
	char *body, *yaml = fixture_yaml("3.1.1", 100, 0);
	gc_sim_cluster c;
	int status = 0;

	gc_sim_cluster_init(&c);
	c.rollout_time = 0.0;
	c.rps = 0.0;
	lt.cluster = &c;
	lt.mu = &mu;
	apply_yaml(&c, yaml, 1.0);
	body = gc_xasprintf("{\"name\":\"podinfo\",\"namespace\":\"test\","
			    "\"metadata\":{\"cmd\":\"%s\"}}",
			    heys[_i].cmd);
	ck_assert_int_eq(gc_sim_loadtester_handle("POST", "/", body,
						  strlen(body), &status, &resp,
						  &type, &lt),
			 0);
	ck_assert_int_eq(status, 202);
	for (int i = 0; i < 10; i++)
		gc_sim_traffic_advance(&c, 0.1);
	ck_assert_uint_eq(served(&c, "podinfo", 0), heys[_i].after_1s);
	/* the same command while it runs does not restart it */
	ck_assert_int_eq(gc_sim_loadtester_handle("POST", "/", body,
						  strlen(body), &status, &resp,
						  &type, &lt),
			 0);
	for (int i = 0; i < 30; i++)
		gc_sim_traffic_advance(&c, 0.1);
	ck_assert_uint_eq(served(&c, "podinfo", 0), heys[_i].after_4s);
	ck_assert_uint_eq(served(&c, "podinfo-primary", 0), 0);
	free(body);
	free(yaml);
	gc_buf_release(&resp);
	gc_sim_loadtester_release(&lt);
	gc_sim_cluster_release(&c);
}
END_TEST

/* ---- the binary ---- */

static unsigned free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

typedef struct simproc {
	pid_t pid;
	unsigned port, lt_port;
	char *log;
} simproc;

/* Starts gitcanary-sim with args (NULL-terminated) and waits for /healthz. */
static void sim_start(simproc *p, const char *tmp, const char *const *args)
{
	char listen[32], lt[32];
	const char *argv[32];
	size_t n = 0;

	p->port = free_port();
	p->lt_port = free_port();
	p->log = gc_xasprintf("%s/sim.log", tmp);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", p->port);
	snprintf(lt, sizeof(lt), "127.0.0.1:%u", p->lt_port);
	argv[n++] = GC_SIM_BINARY;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--loadtester";
	argv[n++] = lt;
	while (*args && n < GC_ARRAY_SIZE(argv) - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		execv(GC_SIM_BINARY, GC_UNCONST(argv));
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (gc_test_sh(NULL, NULL,
			       "curl -sf http://127.0.0.1:%u/healthz",
			       p->port) == 0)
			return;
		sleep_ms(50);
	}
	ck_abort_msg("gitcanary-sim did not start: %s", gc_test_slurp(p->log));
}

/* SIGTERM; the simulator must exit 0. Returns its log (owned). */
static char *sim_stop(simproc *p)
{
	int status = 0;
	char *log;

	ck_assert_int_eq(kill(p->pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	log = gc_test_slurp(p->log);
	free(p->log);
	return log;
}

static char *scrape(const simproc *p)
{
	gc_buf out = GC_BUF_INIT;

	ck_assert_int_eq(gc_test_sh(&out, NULL,
				    "curl -sf http://127.0.0.1:%u/metrics",
				    p->port),
			 0);
	return gc_buf_detach(&out, NULL);
}

/* Value of one exact series, or -1 when absent. */
static double series(const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *s = text;

	while ((s = strstr(s, name))) {
		if ((s == text || s[-1] == '\n') && s[len] == ' ')
			return strtod(s + len + 1, NULL);
		s += len;
	}
	return -1.0;
}

#define KSM(m, dep) m "{namespace=\"test\",deployment=\"" dep "\"}"
#define REQS(wl, code)                                                             \
	"istio_requests_total{reporter=\"destination\",destination_workload=\"" wl \
	"\",destination_workload_namespace=\"test\",response_code=\"" code         \
	"\"}"

static void wait_series(const simproc *p, const char *name, double want)
{
	double got = -2.0;

	for (int i = 0; i < 200; i++) {
		char *text = scrape(p);

		got = series(text, name);
		free(text);
		if (got == want)
			return;
		sleep_ms(50);
	}
	ck_abort_msg("%s: want %g, last %g", name, want, got);
}

static void wait_log(const simproc *p, const char *needle)
{
	for (int i = 0; i < 200; i++) {
		char *log = gc_test_slurp(p->log);
		bool found = strstr(log, needle) != NULL;

		free(log);
		if (found)
			return;
		sleep_ms(50);
	}
	ck_abort_msg("log never showed '%s'", needle);
}

static void write_deploy(const char *tmp, const char *image, int pw, int cw,
			 const char *message)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf b = GC_BUF_INIT;
	char *path;

	gc_buf_addf(&b, deployments_yaml, image);
	path = gc_xasprintf("%s/repo/apps/test/podinfo/deployments.yaml", tmp);
	ck_assert_int_eq(gc_buf_write_file(path, b.ptr, b.len, &err), 0);
	free(path);
	gc_buf_clear(&b);
	gc_buf_addf(&b, vs_yaml, pw, cw);
	path = gc_xasprintf("%s/repo/routing.yml", tmp);
	ck_assert_int_eq(gc_buf_write_file(path, b.ptr, b.len, &err), 0);
	free(path);
	/* the canary and the HPA take their namespace from here */
	path = gc_xasprintf("%s/repo/apps/test/kustomization.yaml", tmp);
	ck_assert_int_eq(gc_buf_write_file(path, kustomization_yaml,
					   strlen(kustomization_yaml), &err),
			 0);
	free(path);
	path = gc_xasprintf("%s/repo/services.yaml", tmp);
	ck_assert_int_eq(gc_buf_write_file(path, services_yaml,
					   strlen(services_yaml), &err),
			 0);
	free(path);
	ck_assert_int_eq(gc_test_sh(NULL, NULL,
				    "cd '%s/repo' && git add -A && "
				    "git commit -q -m '%s'",
				    tmp, message),
			 0);
	gc_buf_release(&b);
}

static char *short_id(const char *tmp)
{
	gc_buf out = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(&out, NULL,
			   "git -C '%s/repo' rev-parse --short=7 deploy", tmp),
		0);
	gc_buf_truncate(&out, 7);
	return gc_buf_detach(&out, NULL);
}

typedef struct split {
	double primary, canary, canary_500;
} split;

/* Requests served during about one second. */
static split measure(const simproc *p)
{
	char *a = scrape(p), *b;
	split s;

	sleep_ms(1000);
	b = scrape(p);
	s.primary = series(b, REQS("podinfo-primary", "200")) -
		    series(a, REQS("podinfo-primary", "200"));
	s.canary_500 = series(b, REQS("podinfo", "500")) -
		       series(a, REQS("podinfo", "500"));
	s.canary = series(b, REQS("podinfo", "200")) -
		   series(a, REQS("podinfo", "200")) + s.canary_500;
	free(a);
	free(b);
	return s;
}

static const struct {
	const char *name;
	double value;
} converged[] = {
	{ KSM("kube_deployment_spec_replicas", "podinfo-primary"), 2 },
	{ KSM("kube_deployment_status_replicas", "podinfo-primary"), 2 },
	{ KSM("kube_deployment_status_replicas_updated", "podinfo-primary"),
	  2 },
	{ KSM("kube_deployment_status_replicas_available", "podinfo-primary"),
	  2 },
	{ KSM("kube_deployment_metadata_generation", "podinfo-primary"), 1 },
	{ KSM("kube_deployment_status_observed_generation", "podinfo-primary"),
	  1 },
	{ KSM("kube_deployment_spec_replicas", "podinfo"), 1 },
	{ KSM("kube_deployment_status_replicas", "podinfo"), 1 },
	{ KSM("kube_deployment_status_replicas_updated", "podinfo"), 1 },
	{ KSM("kube_deployment_status_replicas_available", "podinfo"), 1 },
	{ KSM("kube_deployment_metadata_generation", "podinfo"), 1 },
	{ KSM("kube_deployment_status_observed_generation", "podinfo"), 1 },
};

START_TEST(test_sim__follows_deploy_branch)
{
	static const char *const args[] = { "--branch",
					    "deploy",
					    "--poll",
					    "100ms",
					    "--apply-delay",
					    "300ms",
					    "--rollout-time",
					    "500ms",
					    "--rps",
					    "2000",
					    NULL };
	const char *argv[32];
	char *tmp = gc_test_tmpdir(), *repo, *sc, *text, *id, *log, *line;
	simproc p;
	split s;
	size_t n = 0;

	repo = gc_xasprintf("%s/repo", tmp);
	sc = gc_xasprintf("%s/podinfo.scenario", tmp);
	ck_assert_int_eq(gc_buf_write_file(sc, scenario_text,
					   strlen(scenario_text), NULL),
			 0);
	ck_assert_int_eq(
		gc_test_sh(NULL, NULL,
			   "cd '%s' && git init -q -b main repo && cd repo && "
			   "git config user.email sim@example.com && "
			   "git config user.name sim && "
			   "git commit -q --allow-empty -m source && "
			   "git checkout -q -b deploy",
			   tmp),
		0);
	write_deploy(tmp, "3.1.2", 90, 10, "Initialize podinfo.test");
	argv[n++] = "--repo";
	argv[n++] = repo;
	argv[n++] = "--scenario";
	argv[n++] = sc;
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	sim_start(&p, tmp, argv);

	/* replicas converge to exactly what kube-state-metrics would show */
	wait_series(&p,
		    KSM("kube_deployment_status_replicas_available",
			"podinfo-primary"),
		    2);
	wait_series(&p,
		    KSM("kube_deployment_status_replicas_available", "podinfo"),
		    1);
	text = scrape(&p);
	for (size_t i = 0; i < GC_ARRAY_SIZE(converged); i++)
		ck_assert_msg(series(text, converged[i].name) ==
				      converged[i].value,
			      "%s: want %g in\n%s", converged[i].name,
			      converged[i].value, text);
	free(text);
	id = short_id(tmp);
	line = gc_xasprintf("applied %s Initialize podinfo.test", id);
	wait_log(&p, line);
	free(line);
	free(id);

	/* 90/10, with the scenario's errors on the canary only */
	s = measure(&p);
	ck_assert_msg(fabs(s.canary / (s.primary + s.canary) - 0.10) < 0.02,
		      "primary %g canary %g", s.primary, s.canary);
	ck_assert_msg(fabs(s.canary_500 / s.canary - 0.20) < 0.03,
		      "canary %g of which 500: %g", s.canary, s.canary_500);
	text = scrape(&p);
	ck_assert_double_eq(series(text, REQS("podinfo-primary", "500")), -1);
	free(text);

	/* a new commit moving the weights: the split follows */
	write_deploy(tmp, "3.1.2", 50, 50,
		     "Advance podinfo.test canary weight 50");
	id = short_id(tmp);
	line = gc_xasprintf("applied %s Advance podinfo.test canary weight 50",
			    id);
	wait_log(&p, line);
	free(line);
	free(id);
	s = measure(&p);
	ck_assert_msg(fabs(s.canary / (s.primary + s.canary) - 0.50) < 0.03,
		      "primary %g canary %g", s.primary, s.canary);

	/* a new canary image rolls out and answers with its own errors */
	write_deploy(tmp, "3.1.4", 50, 50, "Bump podinfo to 3.1.4");
	wait_series(&p, KSM("kube_deployment_metadata_generation", "podinfo"),
		    2);
	wait_series(&p,
		    KSM("kube_deployment_status_observed_generation",
			"podinfo"),
		    2);
	/* the old pod is gone once status.replicas is back to 1 */
	wait_series(&p, KSM("kube_deployment_status_replicas", "podinfo"), 1);
	sleep_ms(300);
	text = scrape(&p);
	ck_assert_double_gt(series(text, REQS("podinfo", "404")), 0);
	ck_assert_double_eq(series(text, REQS("podinfo-primary", "404")), -1);
	free(text);

	log = sim_stop(&p);
	ck_assert_ptr_nonnull(strstr(log,
				     "virtualservice test/podinfo: "
				     "podinfo-primary=50 podinfo-canary=50"));
	ck_assert_ptr_nonnull(strstr(log, "info stopping\n"));
	free(log);
	gc_test_rmrf(tmp);
	free(repo);
	free(sc);
	free(tmp);
}
END_TEST

/* ---- the load tester ---- */

#define PAYLOAD(md)                                                                                    \
	"{\"name\":\"podinfo\",\"namespace\":\"test\",\"phase\":\"Progressing\",\"checksum\":\"x\"" md \
	"}"
#define CANARY PAYLOAD("")

static const struct {
	const char *path, *body; /* body NULL = GET */
	const char *code, *resp;
} lt_steps[] = {
	{ "/healthz", NULL, "200", "OK" },
	{ "/", CANARY, "400", "metadata not found in payload" },
	{ "/", PAYLOAD(",\"metadata\":{}"), "400",
	  "metadata not found in payload" },
	{ "/", "{not json", "400", "" },
	{ "/", NULL, "400", "" },
	{ "/", PAYLOAD(",\"metadata\":{\"cmd\":\"rm -rf /\"}"), "202", "" },
	{ "/", PAYLOAD(",\"metadata\":{\"type\":\"cmd\",\"cmd\":\"hey\"}"),
	  "202", "" },
	{ "/", PAYLOAD(",\"metadata\":{\"type\":\"bash\",\"cmd\":\"exit 1\"}"),
	  "200", "" },
	{ "/", PAYLOAD(",\"metadata\":{\"type\":\"nope\"}"), "000", "" },
	{ "/gate/approve", CANARY, "200", "OK" },
	{ "/gate/halt", CANARY, "403", "Forbidden" },
	{ "/gate/check", CANARY, "403", "Forbidden" },
	{ "/gate/check", "[1]", "400", "" },
	{ "/gate/open", CANARY, "202", "" },
	{ "/gate/check", CANARY, "200", "Approved" },
	{ "/gate/check", "{\"name\":\"podinfo\",\"namespace\":\"prod\"}", "403",
	  "Forbidden" },
	{ "/rollback/check", CANARY, "403", "Forbidden" },
	{ "/gate/close", CANARY, "202", "" },
	{ "/gate/check", CANARY, "403", "Forbidden" },
	{ "/rollback/open", CANARY, "202", "" },
	{ "/rollback/check", CANARY, "200", "Approved" },
	{ "/gate/check", CANARY, "403", "Forbidden" },
	{ "/rollback/close", CANARY, "202", "" },
	{ "/rollback/check", CANARY, "403", "Forbidden" },
};

START_TEST(test_sim__loadtester_api)
{
	char *tmp = gc_test_tmpdir(), *dir = gc_xasprintf("%s/empty", tmp);
	const char *args[] = { "--dir", dir, NULL };
	gc_buf out = GC_BUF_INIT;
	simproc p;
	char *log;

	ck_assert_int_eq(gc_test_sh(NULL, NULL, "mkdir '%s'", dir), 0);
	sim_start(&p, tmp, args);
	for (size_t i = 0; i < GC_ARRAY_SIZE(lt_steps); i++) {
		const char *body = lt_steps[i].body;
		char *bodyfile = gc_xasprintf("%s/body", tmp);
		char *respfile = gc_xasprintf("%s/resp", tmp);
		char *data =
			body ? gc_xasprintf(
				       "-H 'Content-Type: application/json' --data-binary @'%s'",
				       bodyfile)
			     : gc_xstrdup("");
		char *resp;

		ck_assert_int_eq(gc_buf_write_file(bodyfile, body ? body : "",
						   body ? strlen(body) : 0,
						   NULL),
				 0);
		gc_buf_clear(&out);
		gc_test_sh(&out, NULL,
			   "rm -f '%s'; curl -s -o '%s' -w '%%{http_code}' %s "
			   "http://127.0.0.1:%u%s; touch '%s'",
			   respfile, respfile, data, p.lt_port,
			   lt_steps[i].path, respfile);
		resp = gc_test_slurp(respfile);
		ck_assert_msg(!strcmp(out.ptr, lt_steps[i].code) &&
				      !strcmp(resp, lt_steps[i].resp),
			      "step %zu %s %s: got %s '%s', want %s '%s'", i,
			      lt_steps[i].path, body ? body : "(GET)", out.ptr,
			      resp, lt_steps[i].code, lt_steps[i].resp);
		free(resp);
		free(data);
		free(bodyfile);
		free(respfile);
	}
	log = sim_stop(&p);
	free(log);
	gc_buf_release(&out);
	gc_test_rmrf(tmp);
	free(dir);
	free(tmp);
}
END_TEST

/* ---- through a real Prometheus, with Flagger's builtin queries ---- */

static pid_t prometheus_start(const char *tmp, unsigned sim_port,
			      unsigned *port)
{
	char *cfg = gc_xasprintf("%s/prometheus.yml", tmp);
	char *data = gc_xasprintf("--storage.tsdb.path=%s/tsdb", tmp);
	char *conf = gc_xasprintf("--config.file=%s", cfg);
	char *logf = gc_xasprintf("%s/prometheus.log", tmp);
	char *text, listen[64];
	pid_t pid;

	*port = free_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%u",
		 *port);
	text = gc_xasprintf(
		"global: {scrape_interval: 1s}\n"
		"scrape_configs:\n"
		"  - job_name: sim\n"
		"    static_configs: [{targets: ['127.0.0.1:%u']}]\n",
		sim_port);
	ck_assert_int_eq(gc_buf_write_file(cfg, text, strlen(text), NULL), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execl("/usr/bin/prometheus", "prometheus", conf, data, listen,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (gc_test_sh(NULL, NULL,
			       "curl -sf http://127.0.0.1:%u/-/ready",
			       *port) == 0)
			break;
		sleep_ms(50);
	}
	free(cfg);
	free(data);
	free(conf);
	free(logf);
	free(text);
	return pid;
}

/* The scalar of an instant query, or NAN while there is no result. */
static double prom_query(unsigned port, const char *query)
{
	gc_buf out = GC_BUF_INIT;
	cJSON *json;
	const cJSON *v;
	double val = NAN;

	ck_assert_int_eq(gc_test_sh(&out, NULL,
				    "curl -sf --data-urlencode 'query=%s' "
				    "http://127.0.0.1:%u/api/v1/query",
				    query, port),
			 0);
	json = cJSON_Parse(out.ptr);
	v = cJSON_GetObjectItem(json, "data");
	v = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "result"), 0);
	v = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "value"), 1);
	if (cJSON_IsString(v))
		val = strtod(v->valuestring, NULL);
	cJSON_Delete(json);
	gc_buf_release(&out);
	return val;
}

/* Flagger's builtin Istio queries (reference §5.1) as sent, interval 5s. */
static const struct {
	const char *query;
	double want, tol;
} flagger_queries[] = {
	{ " sum( rate( istio_requests_total{ reporter=\"destination\", "
	  "destination_workload_namespace=\"test\", destination_workload=~\"podinfo\", "
	  "response_code!~\"5.*\" }[5s] ) ) / sum( rate( istio_requests_total{ "
	  "reporter=\"destination\", destination_workload_namespace=\"test\", "
	  "destination_workload=~\"podinfo\" }[5s] ) ) * 100",
	  80.0, 1.0 },
	{ " histogram_quantile( 0.99, sum( rate( "
	  "istio_request_duration_milliseconds_bucket{ reporter=\"destination\", "
	  "destination_workload_namespace=\"test\", destination_workload=~\"podinfo\" "
	  "}[5s] ) ) by (le) )",
	  900.0, 10.0 },
	{ " histogram_quantile( 0.99, sum( rate( "
	  "istio_request_duration_milliseconds_bucket{ reporter=\"destination\", "
	  "destination_workload_namespace=\"test\", destination_workload=~\"podinfo-primary\" "
	  "}[5s] ) ) by (le) )",
	  24.85, 0.1 },
	{ "kube_deployment_status_replicas_available{namespace=\"test\",deployment=\"podinfo\"}",
	  1.0, 0.0 },
};

START_TEST(test_sim__flagger_queries_through_prometheus)
{
	static const char scenario[] = "3.1.5 errors=20% code=500 p99=900ms\n";
	char *tmp = gc_test_tmpdir(), *dir = gc_xasprintf("%s/deploy", tmp);
	char *sc = gc_xasprintf("%s/s.scenario", tmp), *yaml, *path;
	const char *args[] = {
		"--dir",         dir, "--scenario",     sc,  "--rps", "1000",
		"--apply-delay", "0", "--rollout-time", "0", NULL
	};
	unsigned prom_port;
	pid_t prom;
	simproc p;
	int status;

	yaml = fixture_yaml("3.1.5", 90, 10);
	path = gc_xasprintf("%s/all.yaml", dir);
	ck_assert_int_eq(gc_buf_write_file(path, yaml, strlen(yaml), NULL), 0);
	free(path);
	path = gc_xasprintf("%s/kustomization.yaml", dir);
	ck_assert_int_eq(gc_buf_write_file(path, kustomization_yaml,
					   strlen(kustomization_yaml), NULL),
			 0);
	ck_assert_int_eq(gc_buf_write_file(sc, scenario, strlen(scenario),
					   NULL),
			 0);
	sim_start(&p, tmp, args);
	prom = prometheus_start(tmp, p.port, &prom_port);
	for (size_t i = 0; i < GC_ARRAY_SIZE(flagger_queries); i++) {
		double got = NAN;

		/* the 5s window must fill with simulated traffic first */
		for (int t = 0; t < 300; t++) {
			got = prom_query(prom_port, flagger_queries[i].query);
			if (fabs(got - flagger_queries[i].want) <=
			    flagger_queries[i].tol)
				break;
			sleep_ms(100);
		}
		ck_assert_msg(fabs(got - flagger_queries[i].want) <=
				      flagger_queries[i].tol,
			      "%s: want %g, got %g", flagger_queries[i].query,
			      flagger_queries[i].want, got);
	}
	kill(prom, SIGTERM);
	waitpid(prom, &status, 0);
	free(sim_stop(&p));
	gc_test_rmrf(tmp);
	free(yaml);
	free(path);
	free(sc);
	free(dir);
	free(tmp);
}
END_TEST

static Suite *gc_suite_sim(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("model");

	gc_log_set_level(GC_LOG_WARN); /* the in-process model logs too */

	tcase_add_loop_test(tc, test_sim__scenario_lookup, 0,
			    GC_ARRAY_SIZE(lookups));
	tcase_add_loop_test(tc, test_sim__scenario_errors, 0,
			    GC_ARRAY_SIZE(bad_scenarios));
	tcase_add_test(tc, test_sim__rollout_converges);
	tcase_add_loop_test(tc, test_sim__traffic_routes, 0,
			    GC_ARRAY_SIZE(routes));
	tcase_add_loop_test(tc, test_sim__p99_matches_histogram_quantile, 0,
			    GC_ARRAY_SIZE(latencies));
	tcase_add_loop_test(tc, test_sim__loadtester_hey_generates_load, 0,
			    GC_ARRAY_SIZE(heys));
	suite_add_tcase(s, tc);
	tc = tcase_create("binary");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sim__follows_deploy_branch);
	tcase_add_test(tc, test_sim__loadtester_api);
	tcase_add_test(tc, test_sim__alert_sink);
	tcase_add_test(tc, test_sim__flagger_queries_through_prometheus);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_sim)
