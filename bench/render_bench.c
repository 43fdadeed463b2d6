/*
 * render_bench [N...]: renders generated repositories of N canaries
 * (default 1000 and 10000) and compares the cost with moving the same YAML
 * bytes through libyaml alone (parser events straight into the emitter).
 *
 * Per size, in a child process (so peak RSS is per size):
 *   render   = gc_yaml_parse of the input stream, then for every canary
 *              gc_render_canary + gc_yaml_emit of its objects
 *   libyaml  = libyaml parse+emit of the input bytes + of the output bytes
 *   ratio    = render / libyaml (target <= 2)
 * Results go to stdout as one line per size; docs/benchmarks.md ## render.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "render/render.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

#define CANARY_FMT                                                                                           \
	"apiVersion: flagger.app/v1beta1\n"                                                                  \
	"kind: Canary\n"                                                                                     \
	"metadata: {name: app-%zu, namespace: team-%zu}\n"                                                   \
	"spec:\n"                                                                                            \
	"  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app-%zu}\n"                              \
	"  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: app-%zu}\n"      \
	"  service:\n"                                                                                       \
	"    port: 9898\n"                                                                                   \
	"    targetPort: 9898\n"                                                                             \
	"    portDiscovery: true\n"                                                                          \
	"    gateways: [public-gateway.istio-system.svc.cluster.local]\n"                                    \
	"    hosts: [\"app-%zu.example.com\"]\n"                                                             \
	"    trafficPolicy: {tls: {mode: DISABLE}}\n"                                                        \
	"    timeout: 30s\n"                                                                                 \
	"    retries: {attempts: 3, perTryTimeout: 1s, retryOn: \"gateway-error,connect-failure\"}\n"        \
	"  analysis:\n"                                                                                      \
	"    interval: 1m\n"                                                                                 \
	"    threshold: 5\n"                                                                                 \
	"    maxWeight: 50\n"                                                                                \
	"    stepWeight: 10\n"                                                                               \
	"    metrics:\n"                                                                                     \
	"    - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}\n"                      \
	"---\n"                                                                                              \
	"apiVersion: apps/v1\n"                                                                              \
	"kind: Deployment\n"                                                                                 \
	"metadata:\n"                                                                                        \
	"  name: app-%zu\n"                                                                                  \
	"  namespace: team-%zu\n"                                                                            \
	"  labels: {app: app-%zu}\n"                                                                         \
	"spec:\n"                                                                                            \
	"  minReadySeconds: 5\n"                                                                             \
	"  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}\n"                            \
	"  selector:\n"                                                                                      \
	"    matchLabels: {app: app-%zu}\n"                                                                  \
	"  template:\n"                                                                                      \
	"    metadata:\n"                                                                                    \
	"      labels: {app: app-%zu}\n"                                                                     \
	"      annotations: {prometheus.io/scrape: \"true\", prometheus.io/port: \"9797\"}\n"                \
	"    spec:\n"                                                                                        \
	"      containers:\n"                                                                                \
	"      - name: app\n"                                                                                \
	"        image: ghcr.io/example/app:1.%zu.0\n"                                                       \
	"        ports:\n"                                                                                   \
	"        - {name: http, containerPort: 9898, protocol: TCP}\n"                                       \
	"        - {name: http-metrics, containerPort: 9797, protocol: TCP}\n"                               \
	"        - {name: grpc, containerPort: 9999, protocol: TCP}\n"                                       \
	"        env:\n"                                                                                     \
	"        - {name: COLOR, value: \"#34577c\"}\n"                                                      \
	"        readinessProbe:\n"                                                                          \
	"          httpGet: {path: /readyz, port: 9898}\n"                                                   \
	"        resources:\n"                                                                               \
	"          requests: {cpu: 100m, memory: 64Mi}\n"                                                    \
	"          limits: {cpu: 2000m, memory: 512Mi}\n"                                                    \
	"---\n"                                                                                              \
	"apiVersion: autoscaling/v2\n"                                                                       \
	"kind: HorizontalPodAutoscaler\n"                                                                    \
	"metadata: {name: app-%zu, namespace: team-%zu}\n"                                                   \
	"spec:\n"                                                                                            \
	"  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: app-%zu}\n"                         \
	"  minReplicas: 2\n"                                                                                 \
	"  maxReplicas: 4\n"                                                                                 \
	"  metrics:\n"                                                                                       \
	"  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 99}}}\n" \
	"---\n"

/* One file per canary (as in a repository): offsets of each in `out`. */
static void generate(gc_buf *out, size_t *offsets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t ns = i / 100;

		offsets[i] = out->len;
		gc_buf_addf(out, CANARY_FMT, i, ns, i, i, i, i, ns, i, i, i, i,
			    i, ns, i);
	}
	offsets[n] = out->len;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	gc_buf_add(data, buffer, size);
	return 1;
}

/* libyaml alone: every parser event goes straight into the emitter. */
static void libyaml_roundtrip(const gc_buf *in, gc_buf *out)
{
	yaml_parser_t p;
	yaml_emitter_t e;
	yaml_event_t ev;
	int done = 0;

	yaml_parser_initialize(&p);
	yaml_emitter_initialize(&e);
	yaml_parser_set_input_string(&p, (const unsigned char *)in->ptr,
				     in->len);
	yaml_emitter_set_output(&e, write_handler, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			fprintf(stderr, "libyaml: %s\n", p.problem);
			exit(1);
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		if (!yaml_emitter_emit(&e, &ev)) {
			fprintf(stderr, "libyaml emitter: %s\n", e.problem);
			exit(1);
		}
	}
	yaml_parser_delete(&p);
	yaml_emitter_delete(&e);
}

typedef struct pass {
	double total, parse, render, emit;
	size_t objects;
} pass;

/* Parse every file, render every canary, emit its objects into out. */
static int render_pass(pass *p, const gc_buf *in, const size_t *offsets,
		       size_t n, gc_buf *out)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	const cJSON *v[16];
	double t0 = now(), t1;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		if (gc_yaml_parse(&docs, "bench.yaml", in->ptr + offsets[i],
				  offsets[i + 1] - offsets[i], &err) < 0) {
			fprintf(stderr, "parse: %s\n", gc_error_msg(&err));
			return 1;
		}
	}
	p->parse = now() - t0;
	for (size_t i = 0; i + 2 < docs.n; i += 3) {
		gc_render_input ri = { 0 };
		gc_stage init = GC_STAGE_INIT;
		cJSON *objs = NULL;
		int k = 0;

		ri.canary = docs.v[i]->root;
		ri.namespace = gc_json_str(ri.canary, "metadata.namespace");
		ri.target = docs.v[i + 1]->root;
		ri.hpa = docs.v[i + 2]->root;
		ri.stage = init;
		t1 = now();
		if (gc_render_canary(&objs, &ri, &err) < 0) {
			fprintf(stderr, "render: %s\n", gc_error_msg(&err));
			return 1;
		}
		p->render += now() - t1;
		for (const cJSON *o = objs->child; o && k < 16; o = o->next)
			v[k++] = o;
		if (gc_yaml_emit(out, v, (size_t)k, &err) < 0) {
			fprintf(stderr, "emit: %s\n", gc_error_msg(&err));
			return 1;
		}
		gc_buf_adds(out, "---\n");
		p->objects += (size_t)k;
		cJSON_Delete(objs);
	}
	p->total = now() - t0;
	p->emit = p->total - p->parse - p->render;
	gc_doclist_release(&docs);
	return 0;
}

#define ROUNDS 3

/* Best of ROUNDS for both sides, interleaved, so load spikes hit neither. */
static int run(size_t n)
{
	gc_buf in = GC_BUF_INIT, out = GC_BUF_INIT, scratch = GC_BUF_INIT;
	size_t *offsets = gc_xcalloc(n + 1, sizeof(*offsets));
	pass best = { 0 }, p;
	double t0, base = 0;
	struct rusage ru;

	generate(&in, offsets, n);
	for (int r = 0; r < ROUNDS; r++) {
		gc_buf_clear(&out);
		if (render_pass(&p, &in, offsets, n, &out))
			return 1;
		if (r == 0 || p.total < best.total)
			best = p;
		t0 = now();
		gc_buf_clear(&scratch);
		libyaml_roundtrip(&in, &scratch);
		gc_buf_clear(&scratch);
		libyaml_roundtrip(&out, &scratch);
		if (r == 0 || now() - t0 < base)
			base = now() - t0;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("| %zu | %zu | %.1f | %.1f | %.3f (parse %.3f, render %.3f, emit %.3f) | %.0f | %.3f | %.2f | %.0f |\n",
	       n, best.objects, (double)in.len / 1048576.0,
	       (double)out.len / 1048576.0, best.total, best.parse, best.render,
	       best.emit, (double)best.objects / best.total, base,
	       best.total / base, (double)ru.ru_maxrss / 1024.0);
	gc_buf_release(&in);
	gc_buf_release(&out);
	gc_buf_release(&scratch);
	free(offsets);
	return 0;
}

int main(int argc, char **argv)
{
	size_t sizes[8] = { 1000, 10000 };
	size_t nsizes = 2;
	int status, rc = 0;

	if (argc > 1) {
		nsizes = 0;
		for (int i = 1; i < argc && nsizes < 8; i++)
			sizes[nsizes++] = (size_t)strtoul(argv[i], NULL, 10);
	}
	printf("| canaries | objects | in MiB | out MiB | render s | objects/s | libyaml alone s | ratio | peak RSS MiB |\n"
	       "|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < nsizes; i++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(run(sizes[i]) | fflush(stdout));
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			rc = 1;
	}
	return rc;
}
