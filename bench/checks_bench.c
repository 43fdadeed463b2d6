/*
 * checks_bench [CANARIES] [CONCURRENCY...]: one round of metric checks for
 * CANARIES canaries (default 10000) with the two builtin Istio metrics each
 * (request-success-rate and request-duration, Flagger's exact PromQL)
 * against a real Prometheus (/usr/bin/prometheus on loopback) scraping an
 * exporter served here with series for every canary.
 *
 * Reported per concurrency (default 16 32 64 128):
 *   round     = gc_checks_run over all canaries (2 queries each)
 *   vector(1) = the same number of `vector(1)` queries through the same
 *               runner: HTTP + Prometheus round trips without data access
 * plus a sequential baseline (concurrency 1) over 500 canaries,
 * extrapolated to CANARIES. Results: docs/benchmarks.md ## checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "httpd.h"
#include "prometheus.h"
#include "reconciler/checks/checks.h"
#include "reconciler/checks/http_client.h"
#include "util/alloc.h"
#include "util/json.h"

static size_t ncanaries = 10000;
static long long t0;

static void serve(const gc_httpd_request *req, gc_httpd_response *resp,
		  void *payload)
{
	double t = (double)(gc_http_now_ms() - t0) / 1000.0 + 100;

	(void)payload;
	if (strcmp(req->path, "/metrics")) {
		resp->status = 404;
		return;
	}
	gc_buf_grow(&resp->body, ncanaries * 700);
	for (size_t i = 0; i < ncanaries; i++) {
		const char *sel =
			"reporter=\"destination\",destination_workload_namespace=\"bench\"";

		gc_buf_addf(
			&resp->body,
			"istio_requests_total{%s,destination_workload=\"app-%zu\",response_code=\"200\"} %.1f\n"
			"istio_requests_total{%s,destination_workload=\"app-%zu\",response_code=\"500\"} %.1f\n",
			sel, i, 99 * t, sel, i, 1 * t);
		gc_buf_addf(
			&resp->body,
			"istio_request_duration_milliseconds_bucket{%s,destination_workload=\"app-%zu\",le=\"100\"} %.1f\n"
			"istio_request_duration_milliseconds_bucket{%s,destination_workload=\"app-%zu\",le=\"500\"} %.1f\n"
			"istio_request_duration_milliseconds_bucket{%s,destination_workload=\"app-%zu\",le=\"+Inf\"} %.1f\n",
			sel, i, 90 * t, sel, i, 100 * t, sel, i, 100 * t);
	}
}

typedef struct round_data {
	gc_check_batch *b;
	gc_check_ctx *ctx;
	char **names;
	size_t n;
} round_data;

static void round_init(round_data *r, size_t n, const cJSON *m1,
		       const cJSON *m2, const char *server)
{
	r->n = n;
	r->b = gc_xcalloc(n, sizeof(*r->b));
	r->ctx = gc_xcalloc(n, sizeof(*r->ctx));
	r->names = gc_xcalloc(n, sizeof(*r->names));
	for (size_t i = 0; i < n; i++) {
		r->names[i] = gc_xasprintf("app-%zu", i);
		r->ctx[i].name = r->names[i];
		r->ctx[i].namespace = "bench";
		r->ctx[i].target = r->names[i];
		r->ctx[i].service = r->names[i];
		r->ctx[i].checksum = "x";
		r->ctx[i].metrics_server = server;
		r->b[i].v = gc_xcalloc(m2 ? 2 : 1, sizeof(gc_check));
		r->b[i].n = m2 ? 2 : 1;
		r->b[i].stop_on_fail = true;
		r->b[i].v[0].kind = GC_CHECK_METRIC;
		r->b[i].v[0].spec = m1;
		if (m2) {
			r->b[i].v[1].kind = GC_CHECK_METRIC;
			r->b[i].v[1].spec = m2;
		}
	}
}

static void round_release(round_data *r)
{
	for (size_t i = 0; i < r->n; i++) {
		gc_check_batch_release(&r->b[i]);
		free(r->names[i]);
	}
	free(r->b);
	free(r->ctx);
	free(r->names);
}

/* Runs the round; returns ms, prints failures (the first few). */
static long long cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static long long last_cpu_ms;

static long long run(round_data *r, size_t concurrency, size_t *passed)
{
	gc_checks_opts opts = { .concurrency = concurrency };
	gc_error err = GC_ERROR_INIT;
	long long start = gc_http_now_ms(), ms, cpu0 = cpu_ms();
	size_t shown = 0;

	if (gc_checks_run(r->b, r->ctx, r->n, &opts, &err) < 0) {
		fprintf(stderr, "checks_bench: %s\n", err.msg);
		exit(1);
	}
	ms = gc_http_now_ms() - start;
	last_cpu_ms = cpu_ms() - cpu0;
	*passed = 0;
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->b[i].n; j++) {
			if (r->b[i].v[j].status == GC_CHECK_PASS)
				(*passed)++;
			else if (shown++ < 3)
				fprintf(stderr, "fail: %s\n",
					r->b[i].v[j].message
						? r->b[i].v[j].message
						: "(not run)");
		}
	return ms;
}

int main(int argc, char **argv)
{
	static const size_t default_conc[] = { 16, 32, 64, 128 };
	size_t conc[16], nconc = 0, passed;
	const char *targets[2] = { NULL, NULL };
	gc_httpd *h;
	gc_test_prom *p;
	char *target;
	cJSON *sr = cJSON_Parse(
		"{\"name\":\"request-success-rate\",\"interval\":\"1m\",\"thresholdRange\":{\"min\":98}}");
	cJSON *dur = cJSON_Parse(
		"{\"name\":\"request-duration\",\"interval\":\"1m\",\"thresholdRange\":{\"max\":500}}");
	cJSON *one = cJSON_Parse(
		"{\"name\":\"one\",\"query\":\"vector(1)\",\"thresholdRange\":{\"min\":1}}");
	round_data r;
	char *wait_q;
	long long ms;

	if (argc > 1)
		ncanaries = strtoul(argv[1], NULL, 10);
	for (int i = 2; i < argc && nconc < 16; i++)
		conc[nconc++] = strtoul(argv[i], NULL, 10);
	if (!nconc)
		for (; nconc < GC_ARRAY_SIZE(default_conc); nconc++)
			conc[nconc] = default_conc[nconc];
	t0 = gc_http_now_ms();
	h = gc_httpd_start(serve, NULL);
	target = gc_xasprintf("127.0.0.1:%u", gc_httpd_port(h));
	targets[0] = target;
	p = gc_test_prom_start(targets, "5s", NULL);
	wait_q = gc_xasprintf(
		"count(rate(istio_requests_total{destination_workload_namespace=\"bench\"}[1m]) > 0) >= %zu",
		2 * ncanaries);
	fprintf(stderr, "waiting for %zu series to have rates...\n",
		2 * ncanaries);
	if (gc_test_prom_wait_query(p, wait_q, 120) < 0) {
		fprintf(stderr, "checks_bench: prometheus has no data\n");
		gc_test_prom_stop(p);
		return 1;
	}
	printf("canaries %zu, 2 builtin metrics each, %zu series scraped every 5s\n",
	       ncanaries, 5 * ncanaries);
	for (size_t c = 0; c < nconc; c++) {
		round_init(&r, ncanaries, sr, dur, gc_test_prom_url(p));
		ms = run(&r, conc[c], &passed);
		printf("round       concurrency %3zu: %6lld ms for %zu queries (%zu passed, %.0f queries/s, client cpu %lld ms)\n",
		       conc[c], ms, 2 * ncanaries, passed,
		       2000.0 * (double)ncanaries / (double)(ms ? ms : 1),
		       last_cpu_ms);
		round_release(&r);
		round_init(&r, 2 * ncanaries, one, NULL, gc_test_prom_url(p));
		ms = run(&r, conc[c], &passed);
		printf("vector(1)   concurrency %3zu: %6lld ms for %zu queries (%zu passed, client cpu %lld ms)\n",
		       conc[c], ms, 2 * ncanaries, passed, last_cpu_ms);
		round_release(&r);
		fflush(stdout);
	}
	{
		size_t n = ncanaries < 500 ? ncanaries : 500;

		round_init(&r, n, sr, dur, gc_test_prom_url(p));
		ms = run(&r, 1, &passed);
		printf("sequential  concurrency   1: %6lld ms for %zu queries -> %lld ms for %zu canaries (extrapolated)\n",
		       ms, 2 * n, ms * (long long)ncanaries / (long long)n,
		       ncanaries);
		round_release(&r);
	}
	gc_test_prom_stop(p);
	gc_httpd_stop(h);
	free(target);
	free(wait_q);
	cJSON_Delete(sr);
	cJSON_Delete(dur);
	cJSON_Delete(one);
	return 0;
}
