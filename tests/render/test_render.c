/*
 * Golden tests of gc_render_canary: every case renders an input file of
 * tests/fixtures/render/input/ at a stage and compares the YAML byte for
 * byte with tests/fixtures/render/<case>.yaml. GC_RENDER_UPDATE=1 rewrites
 * the expected files (then read every diff before committing it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "render/render.h"
#include "render/revision.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"

typedef struct input {
	gc_doclist docs;
	gc_doclist promoted;
	const gc_doc *canary, *target, *hpa, *promoted_target, *apex_service;
} input;

static const cJSON *find_in(const gc_doclist *l, const char *kind,
			    const char *name, const gc_doc **doc)
{
	for (size_t i = 0; i < l->n; i++) {
		const cJSON *r = l->v[i]->root;
		const char *k = gc_json_str(r, "kind");
		const char *n = gc_json_str(r, "metadata.name");

		if (k && !strcmp(k, kind) &&
		    (!name || (n && !strcmp(n, name)))) {
			if (doc)
				*doc = l->v[i];
			return r;
		}
	}
	return NULL;
}

static const cJSON *lookup(const char *kind, const char *name, void *payload)
{
	return find_in(payload, kind, name, NULL);
}

static void locate(gc_error *err, gc_render_source src, const cJSON *node,
		   void *payload)
{
	const input *in = payload;
	const gc_doc *doc = src == GC_RENDER_SRC_CANARY   ? in->canary
			    : src == GC_RENDER_SRC_TARGET ? in->target
			    : src == GC_RENDER_SRC_HPA    ? in->hpa
							  : in->promoted_target;
	gc_loc loc = gc_doc_loc(doc, node);

	free(err->path);
	err->path = gc_xstrdup(doc->path);
	err->line = loc.line;
	err->column = loc.column;
}

static void parse_text(gc_doclist *docs, const char *path, const char *text)
{
	gc_error err = GC_ERROR_INIT;

	ck_assert_msg(gc_yaml_parse(docs, path, text, strlen(text), &err) == 0,
		      "%s: %s", path, gc_error_msg(&err));
}

static void parse_file(gc_doclist *docs, const char *rel)
{
	char *fix = gc_test_fixture(rel);
	char *text = gc_test_slurp(fix);

	parse_text(docs, rel, text);
	free(text);
	free(fix);
}

static void input_link(input *in)
{
	const cJSON *c = find_in(&in->docs, "Canary", NULL, &in->canary);
	const char *hpa = gc_json_str(c, "spec.autoscalerRef.name");
	const char *apex = gc_json_str(c, "spec.service.name");

	find_in(&in->docs, "Deployment", gc_json_str(c, "spec.targetRef.name"),
		&in->target);
	if (hpa)
		find_in(&in->docs, "HorizontalPodAutoscaler", hpa, &in->hpa);
	find_in(&in->docs, "Service",
		apex ? apex : gc_json_str(c, "spec.targetRef.name"),
		&in->apex_service);
	if (in->promoted.n)
		find_in(&in->promoted, "Deployment", NULL,
			&in->promoted_target);
}

static void input_release(input *in)
{
	gc_doclist_release(&in->docs);
	gc_doclist_release(&in->promoted);
}

/* Renders and emits; returns the rc, YAML in out or the message in msg. */
static int render_prefixed(gc_buf *out, char **msg, input *in,
			   const char *stage, const char *label_prefix)
{
	gc_render_input ri = { 0 };
	gc_error err = GC_ERROR_INIT;
	cJSON *objs = NULL;
	const cJSON **v;
	int rc, n;

	ck_assert_ptr_nonnull(in->canary);
	ri.canary = in->canary->root;
	ri.namespace = "test";
	ri.target = in->target ? in->target->root : NULL;
	ri.hpa = in->hpa ? in->hpa->root : NULL;
	ri.apex_service = in->apex_service ? in->apex_service->root : NULL;
	ri.lookup = lookup;
	ri.lookup_payload = &in->docs;
	ri.locate = locate;
	ri.locate_payload = in;
	ri.include_label_prefix = label_prefix;
	ck_assert_int_eq(gc_stage_parse(&ri.stage, stage, ri.canary, &err), 0);
	if (in->promoted_target)
		ri.stage.promoted_template =
			gc_json_get(in->promoted_target->root, "spec.template");
	rc = gc_render_canary(&objs, &ri, &err);
	if (rc < 0) {
		ck_assert_ptr_null(objs);
		*msg = gc_error_format(&err);
		gc_error_release(&err);
		return rc;
	}
	n = cJSON_GetArraySize(objs);
	v = gc_xcalloc((size_t)n, sizeof(*v));
	for (int i = 0; i < n; i++)
		v[i] = cJSON_GetArrayItem(objs, i);
	ck_assert_int_eq(gc_yaml_emit(out, v, (size_t)n, &err), 0);
	free(v);
	cJSON_Delete(objs);
	return 0;
}

static int render(gc_buf *out, char **msg, input *in, const char *stage)
{
	return render_prefixed(out, msg, in, stage, NULL);
}

static const struct golden {
	const char *name, *input, *promoted, *stage;
	const char *label_prefix; /* --include-label-prefix */
} goldens[] = {
	{ "podinfo-initialization", "podinfo.yaml", NULL, NULL, NULL },
	{ "podinfo-progressing-10", "podinfo-v2.yaml", "podinfo.yaml",
	  "progressing:10", NULL },
	{ "podinfo-progressing-40", "podinfo-v2.yaml", "podinfo.yaml",
	  "progressing:40", NULL },
	{ "podinfo-mirror", "podinfo-mirror.yaml", "podinfo.yaml", "mirror",
	  NULL },
	{ "podinfo-ab-initialization", "podinfo-ab.yaml", NULL, NULL, NULL },
	{ "podinfo-ab", "podinfo-ab.yaml", "podinfo.yaml", "ab", NULL },
	{ "podinfo-bluegreen", "podinfo-bluegreen.yaml", "podinfo.yaml",
	  "bluegreen", NULL },
	{ "podinfo-bluegreen-switched", "podinfo-bluegreen.yaml",
	  "podinfo.yaml", "bluegreen:switched", NULL },
	{ "podinfo-promoting", "podinfo-v2.yaml", NULL, "promoting", NULL },
	{ "podinfo-promoted", "podinfo-v2.yaml", NULL, "succeeded", NULL },
	{ "ports-numeric", "ports-numeric.yaml", NULL, "progressing:20", NULL },
	{ "ports-named", "ports-named.yaml", NULL, NULL, NULL },
	{ "affinity-progressing", "affinity.yaml", "podinfo.yaml",
	  "progressing:10", NULL },
	{ "affinity-promoted", "affinity.yaml", NULL, "succeeded", NULL },
	{ "tcp", "tcp.yaml", NULL, "progressing:30", NULL },
	{ "delegation", "delegation.yaml", NULL, NULL, NULL },
	{ "selector-name", "selector-name.yaml", NULL, NULL, NULL },
	{ "configs", "configs.yaml", NULL, NULL, NULL },
	{ "hpa-v2beta2", "hpa-v2beta2.yaml", NULL, NULL, NULL },
	{ "labels-none", "labels.yaml", NULL, NULL, NULL },
	{ "labels-prefixes", "labels.yaml", NULL, NULL,
	  "app.kubernetes.io,team,,kustomize" },
	{ "labels-all", "labels.yaml", NULL, NULL, "*" },
	/* Flagger's router fixtures (issue 17) */
	{ "flagger-canary", "flagger-canary.yaml", NULL, "progressing:10",
	  NULL },
	{ "flagger-mirror", "flagger-canary.yaml", NULL, "mirror", NULL },
	{ "flagger-abtest", "flagger-abtest.yaml", NULL, "ab", NULL },
	{ "flagger-hpa-v1", "flagger-hpa-v1.yaml", NULL, NULL, NULL },
	{ "flagger-hpa-v1-prefixes", "flagger-hpa-v1.yaml", NULL, NULL,
	  "team,app.kubernetes.io" },
	{ "flagger-affinity", "flagger-affinity.yaml", NULL, "progressing:10",
	  NULL },
};

static void load_case(input *in, const char *file, const char *promoted)
{
	char rel[256];

	memset(in, 0, sizeof(*in));
	snprintf(rel, sizeof(rel), "render/input/%s", file);
	parse_file(&in->docs, rel);
	if (promoted) {
		snprintf(rel, sizeof(rel), "render/input/%s", promoted);
		parse_file(&in->promoted, rel);
	}
	input_link(in);
}

START_TEST(test_render__golden)
{
	const struct golden *g = &goldens[_i];
	gc_buf out = GC_BUF_INIT;
	input in;
	char rel[256], *path, *expected, *msg = NULL;

	load_case(&in, g->input, g->promoted);
	ck_assert_msg(render_prefixed(&out, &msg, &in, g->stage,
				      g->label_prefix) == 0,
		      "%s", msg);
	snprintf(rel, sizeof(rel), "render/%s.yaml", g->name);
	path = gc_test_fixture(rel);
	if (getenv("GC_RENDER_UPDATE")) {
		gc_error err = GC_ERROR_INIT;

		ck_assert_int_eq(gc_buf_write_file(path, out.ptr, out.len,
						   &err),
				 0);
	}
	expected = gc_test_slurp(path);
	ck_assert_str_eq(out.ptr, expected);
	free(expected);
	free(path);
	gc_buf_release(&out);
	input_release(&in);
}
END_TEST

START_TEST(test_render__is_deterministic)
{
	gc_buf a = GC_BUF_INIT, b = GC_BUF_INIT;
	input in;
	char *msg = NULL;

	load_case(&in, "affinity.yaml", "podinfo.yaml");
	ck_assert_int_eq(render(&a, &msg, &in, "progressing:10"), 0);
	ck_assert_int_eq(render(&b, &msg, &in, "progressing:10"), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.ptr, b.ptr, a.len), 0);
	gc_buf_release(&a);
	gc_buf_release(&b);
	input_release(&in);
}
END_TEST

START_TEST(test_render__flagger_id_follows_revision)
{
	char a[37], b[37], c[37], d[37];

	gc_render_flagger_id(a, "test", "podinfo", "7f8c9d4b5", "");
	gc_render_flagger_id(b, "test", "podinfo", "7f8c9d4b5", "");
	gc_render_flagger_id(c, "test", "podinfo", "9b6c4f8d5", "");
	gc_render_flagger_id(d, "test", "podinfo", "7f8c9d4b5",
			     "ConfigMap/x=0011223344556677");
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_str_ne(a, d);
	ck_assert_uint_eq(strlen(a), 36);
	ck_assert_int_eq(a[14], '8'); /* version nibble */
	ck_assert(strchr("89ab", a[19]));
}
END_TEST

/*
 * Issue 17, item 7: a commit that only writes what the API server would
 * default is not a new revision; anything else is.
 */
static const char bare_template[] =
	"metadata: {labels: {app: podinfo}}\n"
	"spec:\n"
	"  containers:\n"
	"  - name: podinfo\n"
	"    image: stefanprodan/podinfo:6.0.0\n"
	"    ports: [{name: http, containerPort: 9898}]\n"
	"    readinessProbe: {httpGet: {port: 9898}}\n"
	"    env: [{name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}]\n"
	"  volumes: [{name: c, configMap: {name: c}}]\n";

static const struct {
	const char *template;
	bool same;
} defaulted[] = {
	{ "metadata: {labels: {app: podinfo}, creationTimestamp: null}\n"
	  "spec:\n"
	  "  restartPolicy: Always\n"
	  "  dnsPolicy: ClusterFirst\n"
	  "  schedulerName: default-scheduler\n"
	  "  terminationGracePeriodSeconds: 30\n"
	  "  securityContext: {}\n"
	  "  containers:\n"
	  "  - name: podinfo\n"
	  "    image: stefanprodan/podinfo:6.0.0\n"
	  "    imagePullPolicy: IfNotPresent\n"
	  "    terminationMessagePath: /dev/termination-log\n"
	  "    terminationMessagePolicy: File\n"
	  "    resources: {}\n"
	  "    ports: [{name: http, containerPort: 9898, protocol: TCP}]\n"
	  "    readinessProbe: {httpGet: {port: 9898, path: /, scheme: HTTP}, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3}\n"
	  "    env: [{name: NS, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}}]\n"
	  "  volumes: [{name: c, configMap: {name: c, defaultMode: 420}}]\n",
	  true },
	/* Always is not the default for a tagged image */
	{ "metadata: {labels: {app: podinfo}}\n"
	  "spec:\n"
	  "  containers:\n"
	  "  - name: podinfo\n"
	  "    image: stefanprodan/podinfo:6.0.0\n"
	  "    imagePullPolicy: Always\n"
	  "    ports: [{name: http, containerPort: 9898}]\n"
	  "    readinessProbe: {httpGet: {port: 9898}}\n"
	  "    env: [{name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}]\n"
	  "  volumes: [{name: c, configMap: {name: c}}]\n",
	  false },
	/* a probe timing other than the default */
	{ "metadata: {labels: {app: podinfo}}\n"
	  "spec:\n"
	  "  containers:\n"
	  "  - name: podinfo\n"
	  "    image: stefanprodan/podinfo:6.0.0\n"
	  "    ports: [{name: http, containerPort: 9898}]\n"
	  "    readinessProbe: {httpGet: {port: 9898}, timeoutSeconds: 2}\n"
	  "    env: [{name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}]\n"
	  "  volumes: [{name: c, configMap: {name: c}}]\n",
	  false },
};

START_TEST(test_render__api_defaults_are_not_a_revision)
{
	gc_doclist a = { 0 }, b = { 0 };
	char ra[GC_REVISION_MAX], rb[GC_REVISION_MAX];

	parse_text(&a, "bare.yaml", bare_template);
	parse_text(&b, "defaulted.yaml", defaulted[_i].template);
	gc_revision_hash(ra, a.v[0]->root);
	gc_revision_hash(rb, b.v[0]->root);
	if (defaulted[_i].same)
		ck_assert_str_eq(ra, rb);
	else
		ck_assert_str_ne(ra, rb);
	gc_doclist_release(&a);
	gc_doclist_release(&b);
}
END_TEST

START_TEST(test_render__latest_image_defaults_to_always)
{
	gc_doclist a = { 0 }, b = { 0 };
	char ra[GC_REVISION_MAX], rb[GC_REVISION_MAX];

	parse_text(&a, "a.yaml",
		   "spec: {containers: [{name: a, image: 'reg:5000/a'}]}\n");
	parse_text(
		&b, "b.yaml",
		"spec: {containers: [{name: a, image: 'reg:5000/a', imagePullPolicy: Always}]}\n");
	gc_revision_hash(ra, a.v[0]->root);
	gc_revision_hash(rb, b.v[0]->root);
	ck_assert_str_eq(ra, rb);
	gc_doclist_release(&a);
	gc_doclist_release(&b);
}
END_TEST

/* Bad inputs: exact located message, no output. */
static const char base_canary[] =
	"apiVersion: flagger.app/v1beta1\n"
	"kind: Canary\n"
	"metadata:\n"
	"  name: podinfo\n"
	"spec:\n"
	"  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n"
	"%s"
	"  service:\n"
	"%s"
	"  analysis: {interval: 1m, threshold: 5, stepWeight: 10}\n";
static const char base_target[] = "apiVersion: apps/v1\n"
				  "kind: Deployment\n"
				  "metadata:\n"
				  "  name: podinfo\n"
				  "spec:\n"
				  "  selector:\n"
				  "    matchLabels: {%s: podinfo}\n"
				  "  template:\n"
				  "    metadata: {labels: {%s: podinfo}}\n"
				  "    spec:\n"
				  "      containers:\n"
				  "      - name: podinfod\n"
				  "        image: podinfo:1\n"
				  "%s";
static const char base_hpa[] =
	"apiVersion: autoscaling/v2\n"
	"kind: HorizontalPodAutoscaler\n"
	"metadata: {name: podinfo}\n"
	"spec:\n"
	"  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %s}\n"
	"  minReplicas: 1\n"
	"  maxReplicas: 2\n";

static const struct bad {
	const char *autoscaler, *service, *label, *target_extra, *hpa_target;
	const char *msg;
} bads[] = {
	{ "", "    port: 9898\n", "tier", "", NULL,
	  "target.yaml:7:18: deployment 'test/podinfo': spec.selector.matchLabels has none of the labels app, name, app.kubernetes.io/name" },
	{ "  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: podinfo}\n",
	  "    port: 9898\n", "app", "", "other",
	  "hpa.yaml:5:65: horizontalpodautoscaler 'test/podinfo' targets deployment 'other', not the canary's target 'podinfo'" },
	{ "", "    portName: http\n", "app", "", NULL,
	  "canary.yaml:8:5: canary 'test/podinfo': spec.service.port must be a port number (1-65535)" },
	{ "",
	  "    port: 9898\n    delegation: true\n    hosts: [app.example.com]\n",
	  "app", "", NULL,
	  "canary.yaml:10:12: VirtualService podinfo.test cannot have hosts and gateways when delegation enabled" },
	{ "", "    port: 9898\n", "app",
	  "        envFrom:\n        - configMapRef: {name: missing}\n", NULL,
	  "target.yaml:15:32: deployment 'test/podinfo' references configmap 'missing', which does not exist" },
	{ "  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: nope}\n",
	  "    port: 9898\n", "app", "", NULL,
	  "canary.yaml:7:84: canary 'test/podinfo': horizontalpodautoscaler 'test/nope' not found" },
	{ "  autoscalerRef: {apiVersion: keda.sh/v1alpha1, kind: ScaledObject, name: podinfo}\n",
	  "    port: 9898\n", "app", "", NULL,
	  "canary.yaml:7:55: canary 'test/podinfo': autoscalerRef kind 'ScaledObject' is not supported (only HorizontalPodAutoscaler)" },
};

START_TEST(test_render__bad_input_is_located)
{
	const struct bad *b = &bads[_i];
	gc_buf out = GC_BUF_INIT;
	input in;
	char *text, *msg = NULL;

	memset(&in, 0, sizeof(in));
	text = gc_xasprintf(base_canary, b->autoscaler, b->service);
	parse_text(&in.docs, "canary.yaml", text);
	free(text);
	text = gc_xasprintf(base_target, b->label, b->label, b->target_extra);
	parse_text(&in.docs, "target.yaml", text);
	free(text);
	if (b->hpa_target) {
		text = gc_xasprintf(base_hpa, b->hpa_target);
		parse_text(&in.docs, "hpa.yaml", text);
		free(text);
	}
	input_link(&in);
	ck_assert_int_lt(render(&out, &msg, &in, NULL), 0);
	ck_assert_str_eq(msg, b->msg);
	ck_assert_uint_eq(out.len, 0);
	free(msg);
	input_release(&in);
}
END_TEST

static const char *const selector_keys[] = { "app", "name",
					     "app.kubernetes.io/name" };

/* Every selector label Flagger knows names the primary's selector. */
START_TEST(test_render__uses_each_selector_label)
{
	gc_buf out = GC_BUF_INIT;
	input in;
	char *text, *msg = NULL, *want;

	memset(&in, 0, sizeof(in));
	text = gc_xasprintf(base_canary, "", "    port: 9898\n");
	parse_text(&in.docs, "canary.yaml", text);
	free(text);
	text = gc_xasprintf(base_target, selector_keys[_i], selector_keys[_i],
			    "");
	parse_text(&in.docs, "target.yaml", text);
	free(text);
	input_link(&in);
	ck_assert_int_eq(render(&out, &msg, &in, NULL), 0);
	want = gc_xasprintf(
		"  selector:\n    matchLabels:\n      %s: podinfo-primary\n",
		selector_keys[_i]);
	ck_assert_msg(strstr(out.ptr, want), "%s", out.ptr);
	free(want);
	gc_buf_release(&out);
	input_release(&in);
}
END_TEST

/* autoscaling/v1 input becomes an autoscaling/v2 CPU metric. */
START_TEST(test_render__converts_v1_hpa)
{
	gc_buf out = GC_BUF_INIT;
	input in;
	char *text, *msg = NULL;

	memset(&in, 0, sizeof(in));
	text = gc_xasprintf(
		base_canary,
		"  autoscalerRef: {apiVersion: autoscaling/v1, kind: HorizontalPodAutoscaler, name: podinfo}\n",
		"    port: 9898\n");
	parse_text(&in.docs, "canary.yaml", text);
	free(text);
	text = gc_xasprintf(base_target, "app", "app", "");
	parse_text(&in.docs, "target.yaml", text);
	free(text);
	parse_text(
		&in.docs, "hpa.yaml",
		"apiVersion: autoscaling/v1\n"
		"kind: HorizontalPodAutoscaler\n"
		"metadata: {name: podinfo}\n"
		"spec:\n"
		"  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n"
		"  maxReplicas: 3\n"
		"  targetCPUUtilizationPercentage: 80\n");
	input_link(&in);
	ck_assert_int_eq(render(&out, &msg, &in, NULL), 0);
	ck_assert_msg(strstr(out.ptr,
			     "apiVersion: autoscaling/v2\n"
			     "kind: HorizontalPodAutoscaler\n"
			     "metadata:\n"
			     "  name: podinfo-primary\n"
			     "  namespace: test\n"
			     "  labels:\n"
			     "    app.kubernetes.io/managed-by: gitcanary\n"
			     "  annotations:\n"
			     "    gitcanary.io/canary: test/podinfo\n"
			     "spec:\n"
			     "  scaleTargetRef:\n"
			     "    apiVersion: apps/v1\n"
			     "    kind: Deployment\n"
			     "    name: podinfo-primary\n"
			     "  minReplicas: 1\n"
			     "  maxReplicas: 3\n"
			     "  metrics:\n"
			     "  - type: Resource\n"
			     "    resource:\n"
			     "      name: cpu\n"
			     "      target:\n"
			     "        type: Utilization\n"
			     "        averageUtilization: 80\n"
			     "---\n"),
		      "%s", out.ptr);
	gc_buf_release(&out);
	input_release(&in);
}
END_TEST

/* The primary's copies come from promoted_lookup, the canary keeps names. */
static const cJSON *old_config(const char *kind, const char *name,
			       void *payload)
{
	(void)name;
	return !strcmp(kind, "ConfigMap") ? payload : NULL;
}

START_TEST(test_render__copies_promoted_configs)
{
	gc_render_input ri = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_doclist docs = GC_DOCLIST_INIT;
	cJSON *objs = NULL;
	cJSON *old = cJSON_Parse(
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
		"\"metadata\":{\"name\":\"cfg\"},\"data\":{\"v\":\"old\"}}");
	char *text;
	const cJSON *copy;

	text = gc_xasprintf(base_canary, "", "    port: 9898\n");
	parse_text(&docs, "canary.yaml", text);
	free(text);
	text = gc_xasprintf(
		base_target, "app", "app",
		"        envFrom:\n        - configMapRef: {name: cfg}\n");
	parse_text(&docs, "target.yaml", text);
	free(text);
	ri.canary = docs.v[0]->root;
	ri.namespace = "test";
	ri.target = docs.v[1]->root;
	ri.stage = (gc_stage)GC_STAGE_INIT;
	ri.stage.promoted_lookup = old_config;
	ri.stage.promoted_payload = old;
	/* no current lookup: only the promoted side is consulted */
	ck_assert_int_eq(gc_render_canary(&objs, &ri, &err), 0);
	copy = cJSON_GetArrayItem(objs, 0);
	ck_assert_str_eq(gc_json_str(copy, "metadata.name"), "cfg-primary");
	ck_assert_str_eq(gc_json_str(copy, "data.v"), "old");
	ck_assert_str_eq(
		gc_json_str(
			cJSON_GetArrayItem(
				gc_json_get(
					cJSON_GetArrayItem(
						gc_json_get(
							cJSON_GetArrayItem(objs,
									   1),
							"spec.template.spec.containers"),
						0),
					"envFrom"),
				0),
			"configMapRef.name"),
		"cfg-primary");
	ck_assert_str_eq(
		gc_json_str(
			cJSON_GetArrayItem(
				gc_json_get(
					cJSON_GetArrayItem(
						gc_json_get(
							cJSON_GetArrayItem(objs,
									   2),
							"spec.template.spec.containers"),
						0),
					"envFrom"),
				0),
			"configMapRef.name"),
		"cfg");
	cJSON_Delete(objs);
	cJSON_Delete(old);
	gc_doclist_release(&docs);
}
END_TEST

static const struct stage_case {
	const char *spec;
	int pw, cw;
	bool mirror, active;
	const char *phase;
} stages[] = {
	{ NULL, 100, 0, false, false, "Initialized" },
	{ "progressing:10", 90, 10, false, true, "Progressing" },
	{ "mirror", 100, 0, true, true, "Progressing" },
	{ "ab", 0, 100, false, true, "Progressing" },
	{ "bluegreen", 100, 0, false, true, "Progressing" },
	{ "promoting", 50, 50, false, true, "Promoting" },
	{ "promoting:30", 70, 30, false, true, "Promoting" },
	{ "finalising", 100, 0, false, true, "Finalising" },
	{ "succeeded", 100, 0, false, false, "Succeeded" },
	{ "failed", 100, 0, false, false, "Failed" },
};

START_TEST(test_render__parses_stages)
{
	const struct stage_case *s = &stages[_i];
	gc_error err = GC_ERROR_INIT;
	cJSON *canary = cJSON_Parse(
		"{\"spec\":{\"analysis\":{\"stepWeight\":20,\"maxWeight\":50}}}");
	gc_stage st;

	ck_assert_int_eq(gc_stage_parse(&st, s->spec, canary, &err), 0);
	ck_assert_int_eq(st.primary_weight, s->pw);
	ck_assert_int_eq(st.canary_weight, s->cw);
	ck_assert_int_eq(st.mirror, s->mirror);
	ck_assert_int_eq(st.canary_active, s->active);
	ck_assert_str_eq(st.phase, s->phase);
	cJSON_Delete(canary);
}
END_TEST

START_TEST(test_render__rejects_unknown_stage)
{
	gc_error err = GC_ERROR_INIT;
	gc_stage st;

	ck_assert_int_eq(gc_stage_parse(&st, "progressing:101", NULL, &err),
			 GC_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"unknown stage 'progressing:101' (expected initialization, progressing:WEIGHT, mirror, ab, bluegreen, bluegreen:switched, promoting[:WEIGHT], finalising, succeeded or failed)");
	gc_error_release(&err);
}
END_TEST

/*
 * Flagger's config checksum (§2.5). Every expected value was computed once
 * by hand from the JSON Go's json.Marshal writes for the map, e.g.
 *   printf '{"a":"b"}' | sha256sum | cut -c1-16        -> db4a7ecb114bc66c
 *   printf '{"a":"x\\ny","z":"\\u003c\\u0026\\u003e"}' | sha256sum
 *     (keys sorted, newline as \n, < & > as \u003c \u0026 \u003e)
 *                                                      -> 7df5363ed4a81d82
 *   printf 'null' | sha256sum     (nil and empty .data) -> 74234e98afe7498f
 *   printf '{"k":"c2VjcmV0","u":"YWRtaW4="}' | sha256sum
 *     (a Secret's stringData u: admin stored as base64) -> c998c1a5cdc437ad
 */
static const struct {
	const char *kind;
	const char *json;
	const char *sum;
} checksums[] = {
	{ "ConfigMap", "{\"data\":{\"a\":\"b\"}}", "db4a7ecb114bc66c" },
	{ "ConfigMap",
	  "{\"data\":{\"z\":\"<&>\",\"a\":\"x\\ny\"},\"binaryData\":{\"b\":\"AA==\"}}",
	  "7df5363ed4a81d82" },
	{ "ConfigMap", "{\"metadata\":{\"name\":\"x\"}}", "74234e98afe7498f" },
	{ "ConfigMap", "{\"data\":{}}", "74234e98afe7498f" },
	{ "Secret", "{\"data\":{\"a\":\"b\"},\"type\":\"Opaque\"}",
	  "db4a7ecb114bc66c" },
	{ "Secret",
	  "{\"data\":{\"k\":\"c2VjcmV0\",\"u\":\"b2xk\"},\"stringData\":{\"u\":\"admin\"}}",
	  "c998c1a5cdc437ad" },
};

START_TEST(test_render__config_checksum_is_flaggers)
{
	cJSON *obj = cJSON_Parse(checksums[_i].json);
	char sum[GC_RENDER_CHECKSUM_MAX];

	ck_assert_ptr_nonnull(obj);
	gc_render_config_checksum(sum, checksums[_i].kind, obj);
	ck_assert_str_eq(sum, checksums[_i].sum);
	cJSON_Delete(obj);
}
END_TEST

/*
 * trackedConfigs of the configs.yaml target: every tracked reference once,
 * not the disabled ConfigMap, the missing optional one or the
 * imagePullSecret. Values by hand as above:
 *   printf '{"color":"#34577c"}' | sha256sum          -> e885165c94afe96d
 *   printf '{"tls.crt":"Y2VydA==","tls.key":"a2V5"}' | sha256sum
 *                                                      -> 669b2990b052f018
 */
START_TEST(test_render__tracked_configs)
{
	gc_render_input ri = { 0 };
	gc_error err = GC_ERROR_INIT;
	input in;
	cJSON *map = NULL;
	char *text;
	gc_buf b = GC_BUF_INIT;

	load_case(&in, "configs.yaml", NULL);
	ri.canary = in.canary->root;
	ri.namespace = "test";
	ri.target = in.target->root;
	ri.lookup = lookup;
	ri.lookup_payload = &in.docs;
	ck_assert_int_eq(gc_render_tracked_configs(&map, &ri, &err), 0);
	for (const cJSON *m = map->child; m; m = m->next)
		gc_buf_addf(&b, "%s ", m->string);
	ck_assert_str_eq(
		b.ptr,
		"configmap/podinfo-config-all configmap/podinfo-config-env "
		"configmap/podinfo-config-proj configmap/podinfo-config-vol "
		"secret/podinfo-secret-all secret/podinfo-secret-env "
		"secret/podinfo-secret-vol secret/podinfo-tls ");
	ck_assert_str_eq(cJSON_GetObjectItem(map,
					     "configmap/podinfo-config-env")
				 ->valuestring,
			 "e885165c94afe96d");
	ck_assert_str_eq(cJSON_GetObjectItem(map, "secret/podinfo-tls")
				 ->valuestring,
			 "669b2990b052f018");
	cJSON_Delete(map);
	gc_buf_release(&b);
	input_release(&in);
	/* no references: an empty map, not NULL */
	memset(&in, 0, sizeof(in));
	text = gc_xasprintf(base_canary, "", "    port: 9898\n");
	parse_text(&in.docs, "canary.yaml", text);
	free(text);
	text = gc_xasprintf(base_target, "app", "app", "");
	parse_text(&in.docs, "target.yaml", text);
	free(text);
	ri.canary = in.docs.v[0]->root;
	ri.target = in.docs.v[1]->root;
	ck_assert_int_eq(gc_render_tracked_configs(&map, &ri, &err), 0);
	ck_assert(cJSON_IsObject(map) && !map->child);
	cJSON_Delete(map);
	input_release(&in);
}
END_TEST

/* A missing mandatory reference fails, located at the reference. */
START_TEST(test_render__tracked_configs_missing_ref)
{
	gc_render_input ri = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_doclist docs = GC_DOCLIST_INIT;
	cJSON *map = NULL;
	char *text;

	text = gc_xasprintf(base_canary, "", "    port: 9898\n");
	parse_text(&docs, "canary.yaml", text);
	free(text);
	text = gc_xasprintf(
		base_target, "app", "app",
		"        envFrom:\n        - configMapRef: {name: cfg}\n");
	parse_text(&docs, "target.yaml", text);
	free(text);
	ri.canary = docs.v[0]->root;
	ri.namespace = "test";
	ri.target = docs.v[1]->root;
	ri.lookup = lookup;
	ri.lookup_payload = &docs;
	ck_assert_int_eq(gc_render_tracked_configs(&map, &ri, &err),
			 GC_ENOTFOUND);
	ck_assert_ptr_null(map);
	ck_assert_str_eq(
		gc_error_msg(&err),
		"deployment 'test/podinfo' references configmap 'cfg', which does not exist");
	gc_error_release(&err);
	gc_doclist_release(&docs);
}
END_TEST

static Suite *gc_suite_render(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("render");

	tcase_add_loop_test(tc, test_render__golden, 0,
			    (int)GC_ARRAY_SIZE(goldens));
	tcase_add_test(tc, test_render__is_deterministic);
	tcase_add_test(tc, test_render__flagger_id_follows_revision);
	tcase_add_loop_test(tc, test_render__api_defaults_are_not_a_revision, 0,
			    GC_ARRAY_SIZE(defaulted));
	tcase_add_test(tc, test_render__latest_image_defaults_to_always);
	tcase_add_loop_test(tc, test_render__bad_input_is_located, 0,
			    (int)GC_ARRAY_SIZE(bads));
	tcase_add_loop_test(tc, test_render__uses_each_selector_label, 0,
			    (int)GC_ARRAY_SIZE(selector_keys));
	tcase_add_test(tc, test_render__converts_v1_hpa);
	tcase_add_test(tc, test_render__copies_promoted_configs);
	tcase_add_loop_test(tc, test_render__config_checksum_is_flaggers, 0,
			    (int)GC_ARRAY_SIZE(checksums));
	tcase_add_test(tc, test_render__tracked_configs);
	tcase_add_test(tc, test_render__tracked_configs_missing_ref);
	tcase_add_loop_test(tc, test_render__parses_stages, 0,
			    (int)GC_ARRAY_SIZE(stages));
	tcase_add_test(tc, test_render__rejects_unknown_stage);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_render)
