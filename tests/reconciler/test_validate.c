/*
 * `gitcanary validate` end to end: the built binary on fixture directories,
 * generated bad input, one Canary rule per case, and git repositories.
 * Every assertion is on the exact stdout, stderr and exit status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/alloc.h"

typedef struct result {
	int status;
	gc_buf out, err;
} result;

/* Runs `env gitcanary validate args` from the source directory. */
static void run_env(result *r, const char *env, const char *args)
{
	gc_buf_init(&r->out);
	gc_buf_init(&r->err);
	r->status =
		gc_test_sh(&r->out, &r->err, "cd '%s' && %s '%s' validate %s",
			   gc_test_source_dir, env, gc_test_binary, args);
}

static void run(result *r, const char *args)
{
	run_env(r, "", args);
}

static void expect(result *r, int status, const char *out, const char *err)
{
	ck_assert_str_eq(r->err.ptr, err);
	ck_assert_str_eq(r->out.ptr, out);
	ck_assert_int_eq(r->status, status);
	gc_buf_release(&r->out);
	gc_buf_release(&r->err);
}

static void write_file(const char *dir, const char *name, const char *data,
		       size_t len)
{
	char *path = gc_xasprintf("%s/%s", dir, name);
	gc_error err = GC_ERROR_INIT;

	ck_assert_msg(gc_buf_write_file(path, data, len, &err) == 0, "%s",
		      gc_error_msg(&err));
	free(path);
}

/*
 * Validates the base fixture with canary.yaml replaced by `canary`: its
 * root has no kustomization (Flux generates one of every file) and the
 * documents without a namespace go to test.
 */
static void validate_canary(result *r, const char *canary)
{
	char *dir = gc_test_tmpdir();
	char *base = gc_test_fixture("validate/base");
	gc_buf args = GC_BUF_INIT;

	ck_assert_int_eq(gc_test_sh(NULL, NULL, "cp -R '%s/.' '%s'", base, dir),
			 0);
	write_file(dir, "canary.yaml", canary, strlen(canary));
	gc_buf_addf(&args, "--dir '%s' --default-namespace test", dir);
	run(r, args.ptr);
	gc_buf_release(&args);
	gc_test_rmrf(dir);
	free(dir);
	free(base);
}

/* ---- fixture directories and usage ---- */

/* The podinfo example keeps the seed's autoscaling/v2beta2 HPAs. */
#define PODINFO_WARNINGS                                                                                                                 \
	"hpa-total.yaml:4:13: warning: autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26: use autoscaling/v2\n" \
	"hpa.yaml:1:13: warning: autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26: use autoscaling/v2\n"

static const struct {
	const char *args;
	int status;
	const char *out, *err;
} dirs[] = {
	{ "--dir examples/podinfo", 0, "1 canaries, 6 manifests OK\n",
	  PODINFO_WARNINGS },
	{ "--dir tests/fixtures/validate/broken-among-good", 1, "",
	  "broken.yaml:7:8: did not find expected ',' or ']' while parsing a flow sequence\n" },
	{ "--dir tests/fixtures/validate/duplicates", 1, "",
	  "b.yaml:2:1: duplicate Deployment test/podinfo (first defined at a.yaml:1:1)\n"
	  "b.yaml:14:1: duplicate ConfigMap other/podinfo (first defined at b.yaml:8:1)\n" },
	{ "--dir tests/fixtures/validate/strict", 1, "",
	  "canary.yaml:14:15: spec.analysis.interval: Invalid value: \"30sec\": not a valid duration (Go's time.ParseDuration: e.g. 30s, 1m30s)\n"
	  "canary.yaml:19:9: spec.analysis.metrics[0].thresholdRnage: unknown field\n"
	  "canary.yaml:24:9: spec.analysis.webhooks[0].timout: unknown field\n"
	  "canary.yaml:26:9: warning: spec.analysis.alerts[0].severity: not set: Flagger sends this alert nothing (set info, warn or error)\n"
	  "canary.yaml:28:17: spec.analysis.alerts[0].providerRef: AlertProvider test/slack not found in the repository\n"
	  "canary.yaml:31:7: flagger.app/v1beta1 has no kind 'Canery'\n"
	  "templates.yaml:8:5: spec.provider.adress: unknown field\n" },
	{ "--dir tests/fixtures/validate/warnings", 0,
	  "1 canaries, 4 manifests OK\n",
	  "flagger.yaml:16:11: warning: spec.provider.type: accepted but not acted on yet (gitcanary queries every MetricTemplate as prometheus)\n" },
	{ "--dir tests/fixtures/validate/removed-apis", 0,
	  "0 canaries, 5 manifests OK\n",
	  "objects.yaml:1:13: warning: autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26: use autoscaling/v2\n"
	  "objects.yaml:13:13: warning: policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25: use policy/v1\n"
	  "objects.yaml:20:13: warning: policy/v1beta1 PodSecurityPolicy was removed in Kubernetes 1.25, with no replacement\n"
	  "old-ingress.yaml:1:13: warning: extensions/v1beta1 Ingress was removed in Kubernetes 1.22: use networking.k8s.io/v1\n" },
	{ "--dir tests/fixtures/validate/namespaces", 0,
	  "0 canaries, 7 manifests OK\n", "" },
	/* roots: --path, Flux Kustomizations (docs/repository-layout.md) */
	{ "--dir tests/fixtures/roots/overlay --path apps/production", 0,
	  "0 canaries, 4 manifests OK\n", "" },
	{ "--dir tests/fixtures/roots/overlay --path apps/production --path apps/nope",
	  1, "",
	  "apps/nope:1:1: root directory does not exist in the commit\n" },
	{ "--dir tests/fixtures/roots/flux", 0, "0 canaries, 2 manifests OK\n",
	  "clusters/prod/more.yaml:10:3: warning: spec.sourceRef: GitRepository 'flux-system/other-repo' is another source: Kustomization 'flux-system/other' is not built\n" },
	{ "--dir tests/fixtures/roots/flux --flux-source flux-system/other-repo",
	  0, "0 canaries, 1 manifests OK\n",
	  "clusters/prod/apps.yaml:10:3: warning: spec.sourceRef: GitRepository 'flux-system/flux-system' is another source: Kustomization 'flux-system/apps' is not built\n"
	  "clusters/prod/more.yaml:23:3: warning: spec.sourceRef: GitRepository 'flux-system/flux-system' is another source: Kustomization 'flux-system/plain' is not built\n" },
	{ "--dir=tests/fixtures/validate/nokustomize --default-namespace=prod",
	  0, "0 canaries, 1 manifests OK\n", "" },
	{ "--bogus", 2, "",
	  "gitcanary validate: unknown argument '--bogus'; see --help\n" },
	{ "--dir", 2, "",
	  "gitcanary validate: option '--dir' needs a value\n" },
	{ "--dir examples/podinfo --ref main", 2, "",
	  "gitcanary validate: --dir cannot be combined with --repo or --ref\n" },
	{ "--dir examples/podinfo --default-namespace Bad_NS", 2, "",
	  "gitcanary validate: invalid --default-namespace 'Bad_NS': a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character\n" },
	{ "--dir /nonexistent/gc", 1, "",
	  "gitcanary validate: /nonexistent/gc: cannot open directory: No such file or directory\n" },
	{ "--dir examples/podinfo/canary.yaml", 1, "",
	  "gitcanary validate: examples/podinfo/canary.yaml: not a directory\n" },
};

START_TEST(test_validate__fixture_directories)
{
	result r;

	run(&r, dirs[_i].args);
	expect(&r, dirs[_i].status, dirs[_i].out, dirs[_i].err);
}
END_TEST

START_TEST(test_validate__help_goes_to_stdout)
{
	result r;

	run(&r, "--help");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.err.ptr, "");
	ck_assert(!strncmp(r.out.ptr,
			   "usage: gitcanary validate [--repo PATH|URL]", 43));
	gc_buf_release(&r.out);
	gc_buf_release(&r.err);
}
END_TEST

/* ---- bad input: each file alone in a directory ---- */

static const struct {
	const char *name;
	const char *data;
	size_t len; /* 0 = strlen */
	const char *err;
} bad[] = {
	{ "empty.yaml", "", 0, "empty.yaml:1:1: file has no YAML documents\n" },
	{ "comments.yml", "# nothing here\n---\n", 0,
	  "comments.yml:1:1: file has no YAML documents\n" },
	{ "binary.yaml", "kind: \0\x01\x02\xff", 10,
	  "binary.yaml:1:7: binary file (NUL byte); not a YAML manifest\n" },
	{ "latin1.yaml", "a: 1\nname: caf\xe9\n", 0,
	  "latin1.yaml:2:10: incomplete UTF-8 octet sequence: file is not UTF-8 text\n" },
	{ "tabs.yaml", "metadata:\n\tname: x\n", 0,
	  "tabs.yaml:2:1: found character that cannot start any token while scanning for the next token (tabs are not allowed for indentation; use spaces)\n" },
	{ "dupkey.yaml", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n", 0,
	  "dupkey.yaml:3:1: duplicate key 'kind' (first defined on line 2)\n" },
	{ "syntax.yaml", "a: b: c\n", 0,
	  "syntax.yaml:1:5: mapping values are not allowed in this context\n" },
	{ "list.yaml", "- a\n- b\n", 0,
	  "list.yaml:1:1: document is a list, not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)\n" },
	{ "scalar.yaml", "just text\n", 0,
	  "scalar.yaml:1:1: document is a string, not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)\n" },
	{ "nokind.yaml", "apiVersion: v1\nmetadata:\n  name: x\n", 0,
	  "nokind.yaml:1:1: document has no kind\n" },
	{ "noapi.yaml", "kind: ConfigMap\nmetadata:\n  name: x\n", 0,
	  "noapi.yaml:1:1: document has no apiVersion\n" },
	{ "nometa.yaml", "apiVersion: v1\nkind: ConfigMap\n", 0,
	  "nometa.yaml:1:1: document has no metadata.name\n" },
	{ "noname.yaml",
	  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n", 0,
	  "noname.yaml:3:1: document has no metadata.name\n" },
	{ "numname.yaml",
	  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 42\n", 0,
	  "numname.yaml:4:9: metadata.name must be a non-empty string\n" },
	{ "badname.yaml",
	  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../../etc\n", 0,
	  "badname.yaml:4:9: invalid ConfigMap name '../../etc': a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character\n" },
	{ "svcname.yaml",
	  "apiVersion: v1\nkind: Service\nmetadata:\n  name: 9lives\n", 0,
	  "svcname.yaml:4:9: invalid Service name '9lives': a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character\n" },
	{ "nsname.yaml",
	  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a.b\n", 0,
	  "nsname.yaml:4:9: invalid Namespace name 'a.b': a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character\n" },
	{ "badns.yaml",
	  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: Prod\n",
	  0,
	  "badns.yaml:5:14: invalid namespace 'Prod': a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character\n" },
	{ "alias.yaml", "a: *nope\n", 0,
	  "alias.yaml:1:4: unknown alias 'nope'\n" },
	{ "kustomization.yaml", "namespace: [x]\n", 0,
	  "kustomization.yaml:1:12: namespace must be a string, not a list\n" },
	/* a value cannot forge a problem line of its own (issue 15) */
	{ "forge.yaml",
	  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
	  "  name: \"x\\nforge.yaml:1:1: all good\"\n",
	  0,
	  "forge.yaml:4:9: invalid ConfigMap name 'x\\nforge.yaml:1:1: all good': a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character\n" },
	/* no newline at the end: the error is on the last line, not past it */
	{ "noeol.yaml", "a: 1\nb: [1, 2", 0,
	  "noeol.yaml:2:9: did not find expected ',' or ']' while parsing a flow sequence\n" },
};

START_TEST(test_validate__reports_bad_input_with_position)
{
	char *dir = gc_test_tmpdir();
	result r;
	gc_buf args = GC_BUF_INIT;

	write_file(dir, bad[_i].name, bad[_i].data,
		   bad[_i].len ? bad[_i].len : strlen(bad[_i].data));
	gc_buf_addf(&args, "--dir '%s'", dir);
	run(&r, args.ptr);
	expect(&r, 1, "", bad[_i].err);
	gc_buf_release(&args);
	gc_test_rmrf(dir);
	free(dir);
}
END_TEST

/* generated: an alias bomb, deep nesting, a file over the size cap */
START_TEST(test_validate__survives_bombs_nesting_and_huge_files)
{
	char *dir = gc_test_tmpdir();
	gc_buf src = GC_BUF_INIT, args = GC_BUF_INIT;
	result r;

	gc_buf_adds(&src, "a: &a [x,x,x,x,x,x,x,x,x,x]\n");
	for (char c = 'b'; c <= 'j'; c++)
		gc_buf_addf(
			&src,
			"%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
			c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
			c - 1, c - 1, c - 1);
	write_file(dir, "bomb.yaml", src.ptr, src.len);
	gc_buf_clear(&src);
	for (int i = 0; i < 10000; i++)
		gc_buf_adds(&src, "[");
	write_file(dir, "deep.yaml", src.ptr, src.len);
	gc_buf_clear(&src);
	while (src.len <= 8u * 1024 * 1024)
		gc_buf_adds(&src,
			    "# padding padding padding padding padding\n");
	write_file(dir, "huge.yaml", src.ptr, src.len);
	gc_buf_addf(&args, "--dir '%s'", dir);
	run(&r, args.ptr);
	expect(&r, 1, "",
	       "bomb.yaml:6:11: alias 'e' expands past the document size limit (alias bomb?)\n"
	       "deep.yaml:1:65: nesting deeper than 64 levels\n"
	       "huge.yaml:1:1: file is larger than 8388608 bytes; not loaded\n");
	gc_buf_release(&src);
	gc_buf_release(&args);
	gc_test_rmrf(dir);
	free(dir);
}
END_TEST

/* ---- Canary rules: base fixture + one canary.yaml ---- */

/* lines 1-5 */
#define HEAD                                                         \
	"apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n" \
	"  name: podinfo\nspec:\n"
/* lines 6-9 */
#define TARGET                                                          \
	"  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n" \
	"    name: podinfo\n"
/* lines 10-11 */
#define SERVICE "  service:\n    port: 9898\n"
/* lines 12-14, then the mode at 15 */
#define ANALYSIS_NO_MODE "  analysis:\n    interval: 1m\n    threshold: 5\n"
#define ANALYSIS ANALYSIS_NO_MODE "    stepWeight: 10\n"
#define OK "1 canaries, 10 manifests OK\n"

static const struct {
	const char *what;
	const char *canary;
	const char *err; /* NULL: passes */
} rules[] = {
	{ "minimal canary passes", HEAD TARGET SERVICE ANALYSIS, NULL },
	{ "spec is required", HEAD, "canary.yaml:1:1: spec: Required value\n" },
	{ "targetRef is required", HEAD SERVICE ANALYSIS,
	  "canary.yaml:5:1: spec.targetRef: Required value\n" },
	{ "service.port is required",
	  HEAD TARGET "  service:\n    name: podinfo\n" ANALYSIS,
	  "canary.yaml:10:3: spec.service.port: Required value\n" },
	{ "analysis is required", HEAD TARGET SERVICE,
	  "canary.yaml:5:1: spec.analysis: Required value\n" },
	{ "targetRef fields are required",
	  HEAD "  targetRef:\n    name: podinfo\n" SERVICE ANALYSIS,
	  "canary.yaml:6:3: spec.targetRef.apiVersion: Required value\n"
	  "canary.yaml:6:3: spec.targetRef.kind: Required value\n" },
	{ "provider enum", HEAD "  provider: istio\n" TARGET SERVICE ANALYSIS,
	  NULL },
	{ "provider enum fails",
	  HEAD "  provider: envoy\n" TARGET SERVICE ANALYSIS,
	  "canary.yaml:6:13: spec.provider: Unsupported value: \"envoy\": supported values: \"apisix\", \"appmesh\", \"appmesh:v1beta2\", \"contour\", \"gatewayapi:v1\", \"gatewayapi:v1beta1\", \"gloo\", \"istio\", \"knative\", \"kubernetes\", \"kuma\", \"linkerd\", \"nginx\", \"osm\", \"skipper\", \"smi:v1alpha1\", \"smi:v1alpha2\", \"smi:v1alpha3\", \"traefik\"\n" },
	{ "targetRef kind enum",
	  HEAD
	  "  targetRef:\n    apiVersion: apps/v1\n    kind: StatefulSet\n    name: podinfo\n" SERVICE
		  ANALYSIS,
	  "canary.yaml:8:11: spec.targetRef.kind: Unsupported value: \"StatefulSet\": supported values: \"DaemonSet\", \"Deployment\", \"Service\"\n" },
	{ "only Deployment targets",
	  HEAD
	  "  targetRef:\n    apiVersion: apps/v1\n    kind: DaemonSet\n    name: podinfo\n" SERVICE
		  ANALYSIS,
	  "canary.yaml:8:11: spec.targetRef.kind: Unsupported value: \"DaemonSet\": gitcanary supports only \"Deployment\" targets\n" },
	{ "interval with seconds passes",
	  HEAD TARGET SERVICE
	  "  analysis:\n    interval: 1m30s\n    threshold: 5\n    stepWeight: 10\n",
	  NULL },
	{ "interval in hours fails",
	  HEAD TARGET SERVICE
	  "  analysis:\n    interval: 1h\n    threshold: 5\n    stepWeight: 10\n",
	  "canary.yaml:13:15: spec.analysis.interval: Invalid value: \"1h\": must match '^[0-9]+(m|s)' (e.g. 30s, 1m)\n" },
	{ "interval as a number fails",
	  HEAD TARGET SERVICE
	  "  analysis:\n    interval: 60\n    threshold: 5\n    stepWeight: 10\n",
	  "canary.yaml:13:15: spec.analysis.interval: must be a string, not a number\n" },
	{ "metric interval pattern",
	  HEAD TARGET SERVICE ANALYSIS
	  "    metrics:\n    - name: request-success-rate\n      interval: 5x\n      thresholdRange:\n        min: 99\n",
	  "canary.yaml:18:17: spec.analysis.metrics[0].interval: Invalid value: \"5x\": must match '^[0-9]+(m|s)' (e.g. 30s, 1m)\n" },
	{ "webhook timeout pattern",
	  HEAD TARGET SERVICE ANALYSIS
	  "    webhooks:\n    - name: load\n      url: http://lt/\n      timeout: soon\n",
	  "canary.yaml:19:16: spec.analysis.webhooks[0].timeout: Invalid value: \"soon\": must match '^[0-9]+(m|s)' (e.g. 30s, 1m)\n" },
	{ "threshold is required",
	  HEAD TARGET SERVICE
	  "  analysis:\n    interval: 1m\n    stepWeight: 10\n",
	  "canary.yaml:12:3: spec.analysis.threshold: Required value\n" },
	{ "interval is required",
	  HEAD TARGET SERVICE
	  "  analysis:\n    threshold: 1\n    stepWeight: 10\n",
	  "canary.yaml:12:3: spec.analysis.interval: Required value\n" },
	{ "a mode is required", HEAD TARGET SERVICE ANALYSIS_NO_MODE,
	  "canary.yaml:12:3: spec.analysis: must set one of stepWeight (canary), stepWeights (canary) or iterations (A/B testing, blue/green)\n" },
	{ "stepWeights alone passes",
	  HEAD TARGET SERVICE ANALYSIS_NO_MODE "    stepWeights: [1, 10, 50]\n",
	  NULL },
	{ "iterations alone passes",
	  HEAD TARGET SERVICE ANALYSIS_NO_MODE "    iterations: 10\n", NULL },
	{ "two modes fail", HEAD TARGET SERVICE ANALYSIS "    iterations: 10\n",
	  "canary.yaml:16:5: spec.analysis: stepWeight and iterations cannot be set together; set exactly one of stepWeight, stepWeights or iterations\n" },
	{ "numbers where numbers",
	  HEAD TARGET "  service:\n    port: \"9898\"\n" ANALYSIS,
	  "canary.yaml:11:11: spec.service.port: must be an integer, not a string\n" },
	{ "integers where integers",
	  HEAD TARGET SERVICE ANALYSIS_NO_MODE "    stepWeight: 2.5\n",
	  "canary.yaml:15:17: spec.analysis.stepWeight: must be an integer\n" },
	{ "booleans where booleans",
	  HEAD TARGET SERVICE ANALYSIS "    mirror: \"yes\"\n",
	  "canary.yaml:16:13: spec.analysis.mirror: must be a boolean, not a string\n" },
	{ "lists of integers",
	  HEAD TARGET SERVICE ANALYSIS_NO_MODE "    stepWeights: [5, x]\n",
	  "canary.yaml:15:22: spec.analysis.stepWeights[1]: must be an integer, not a string\n" },
	{ "string maps",
	  HEAD TARGET SERVICE ANALYSIS
	  "    webhooks:\n    - name: a\n      url: http://x/\n      metadata:\n        retries: 3\n",
	  "canary.yaml:20:18: spec.analysis.webhooks[0].metadata.retries: must be a string, not a number\n" },
	{ "int-or-string",
	  HEAD TARGET
	  "  service:\n    port: 9898\n    targetPort: [1]\n" ANALYSIS,
	  "canary.yaml:12:17: spec.service.targetPort: must be an integer or a string, not a list\n" },
	{ "webhook type enum and required url",
	  HEAD TARGET SERVICE ANALYSIS
	  "    webhooks:\n    - name: gate\n      type: pre-promotion\n",
	  "canary.yaml:17:7: spec.analysis.webhooks[0].url: Required value\n"
	  "canary.yaml:18:13: spec.analysis.webhooks[0].type: Unsupported value: \"pre-promotion\": supported values: \"\", \"confirm-rollout\", \"pre-rollout\", \"rollout\", \"confirm-promotion\", \"post-rollout\", \"event\", \"rollback\", \"confirm-traffic-increase\"\n" },
	{ "alert severity enum and providerRef",
	  HEAD TARGET SERVICE ANALYSIS
	  "    alerts:\n    - name: on-call\n      severity: critical\n",
	  "canary.yaml:17:7: spec.analysis.alerts[0].providerRef: Required value\n"
	  "canary.yaml:18:17: spec.analysis.alerts[0].severity: Unsupported value: \"critical\": supported values: \"\", \"info\", \"warn\", \"error\"\n" },
	{ "session affinity passes",
	  HEAD TARGET SERVICE ANALYSIS
	  "    sessionAffinity:\n      cookieName: canary\n      primaryCookieName: primary\n      sameSite: Lax\n",
	  NULL },
	{ "session affinity needs cookieName",
	  HEAD TARGET SERVICE ANALYSIS
	  "    sessionAffinity:\n      maxAge: 60\n",
	  "canary.yaml:16:5: spec.analysis.sessionAffinity.cookieName: Required value\n" },
	{ "session affinity cookie names differ",
	  HEAD TARGET SERVICE ANALYSIS
	  "    sessionAffinity:\n      cookieName: c\n      primaryCookieName: c\n      sameSite: lax\n",
	  "canary.yaml:18:26: spec.analysis.sessionAffinity.primaryCookieName: can't use the same cookie name for both primary and cookie name; please update them to be different\n"
	  "canary.yaml:19:17: spec.analysis.sessionAffinity.sameSite: Unsupported value: \"lax\": supported values: \"Strict\", \"Lax\", \"None\"\n" },
	{ "target Deployment must exist",
	  HEAD
	  "  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n" SERVICE
		  ANALYSIS,
	  "canary.yaml:9:11: spec.targetRef: Deployment test/web not found in the repository\n" },
	{ "target selector needs app, name or app.kubernetes.io/name",
	  HEAD
	  "  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: nolabel\n" SERVICE
		  ANALYSIS,
	  "deployment.yaml:24:5: deployment nolabel.test spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]\n" },
	{ "target name must be DNS-1123",
	  HEAD
	  "  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: Pod_Info\n" SERVICE
		  ANALYSIS,
	  "canary.yaml:9:11: spec.targetRef.name: Invalid value: \"Pod_Info\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character\n" },
	{ "autoscalerRef passes",
	  HEAD TARGET
	  "  autoscalerRef:\n    apiVersion: autoscaling/v2\n    kind: HorizontalPodAutoscaler\n    name: podinfo\n" SERVICE
		  ANALYSIS,
	  NULL },
	{ "autoscalerRef must exist",
	  HEAD TARGET
	  "  autoscalerRef:\n    apiVersion: autoscaling/v2\n    kind: HorizontalPodAutoscaler\n    name: web\n" SERVICE
		  ANALYSIS,
	  "canary.yaml:13:11: spec.autoscalerRef: HorizontalPodAutoscaler test/web not found in the repository\n" },
	{ "autoscalerRef must scale the target",
	  HEAD TARGET
	  "  autoscalerRef:\n    apiVersion: autoscaling/v2\n    kind: HorizontalPodAutoscaler\n    name: other\n" SERVICE
		  ANALYSIS,
	  "canary.yaml:13:11: spec.autoscalerRef: HorizontalPodAutoscaler test/other scales Deployment nolabel, not the target Deployment podinfo\n" },
	{ "autoscalerRef kind enum",
	  HEAD TARGET
	  "  autoscalerRef:\n    apiVersion: keda.sh/v1alpha1\n    kind: ScaledObject\n    name: podinfo\n" SERVICE
		  ANALYSIS,
	  "canary.yaml:12:11: spec.autoscalerRef.kind: Unsupported value: \"ScaledObject\": gitcanary supports only \"HorizontalPodAutoscaler\"\n" },
	{ "metric templates resolve in the canary namespace or the given one",
	  HEAD TARGET SERVICE ANALYSIS
	  "    metrics:\n    - name: latency\n      templateRef:\n        name: latency\n    - name: not-found\n      templateRef:\n        name: not-found-percentage\n        namespace: istio-system\n",
	  NULL },
	{ "metric template must exist",
	  HEAD TARGET SERVICE ANALYSIS
	  "    metrics:\n    - name: not-found\n      templateRef:\n        name: not-found-percentage\n",
	  "canary.yaml:19:15: spec.analysis.metrics[0].templateRef: MetricTemplate test/not-found-percentage not found in the repository\n" },
	{ "custom metric needs a template or a query",
	  HEAD TARGET SERVICE ANALYSIS
	  "    metrics:\n    - name: error-rate\n      thresholdRange:\n        max: 1\n",
	  "canary.yaml:17:7: spec.analysis.metrics[0]: metric 'error-rate' is not a builtin metric (request-success-rate, request-duration) and has no templateRef or query\n" },
	{ "gateways in every spelling",
	  HEAD TARGET
	  "  service:\n    port: 9898\n    gateways:\n    - mesh\n    - public-gateway.istio-system.svc.cluster.local\n    - public-gateway.istio-system\n    - istio-system/public-gateway\n" ANALYSIS,
	  NULL },
	{ "delegation with hosts fails",
	  HEAD TARGET
	  "  service:\n    port: 9898\n    delegation: true\n    hosts: [app.example.com]\n" ANALYSIS,
	  "canary.yaml:12:17: spec.service.delegation: VirtualService podinfo.test cannot have hosts and gateways when delegation enabled\n" },
	{ "service name is a DNS-1035 label",
	  HEAD TARGET "  service:\n    port: 9898\n    name: 1st\n" ANALYSIS,
	  "canary.yaml:12:11: spec.service.name: Invalid value: \"1st\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character\n" },
	{ "service port is a port",
	  HEAD TARGET "  service:\n    port: -1\n" ANALYSIS,
	  "canary.yaml:11:11: spec.service.port: Invalid value: -1: must be between 1 and 65535, inclusive\n" },
	{ "target has a pod template",
	  HEAD "  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
	       "    name: bare\n" SERVICE ANALYSIS
	       "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
	       "  name: bare\n  namespace: test\nspec:\n  selector:\n"
	       "    matchLabels:\n      app: bare\n  template:\n"
	       "    metadata:\n      labels:\n        app: bare\n",
	  "canary.yaml:26:3: deployment bare.test spec.template.spec is missing\n" },
	{ "canary name is DNS-1123",
	  "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: PodInfo\nspec: {}\n",
	  "canary.yaml:4:9: invalid Canary name 'PodInfo': a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character\n" },
	{ "only flagger.app/v1beta1",
	  "apiVersion: flagger.app/v1alpha3\nkind: Canary\nmetadata:\n  name: podinfo\nspec: {}\n",
	  "canary.yaml:1:13: apiVersion: Unsupported value: \"flagger.app/v1alpha3\": supported values: \"flagger.app/v1beta1\"\n" },
};

START_TEST(test_validate__canary_rules)
{
	result r;

	validate_canary(&r, rules[_i].canary);
	if (rules[_i].err)
		expect(&r, 1, "", rules[_i].err);
	else
		expect(&r, 0, OK, "");
}
END_TEST

/* ---- strict schemas: unknown fields, kinds, durations, warnings ---- */

#define OK13 "1 canaries, 11 manifests OK\n"
#define DOC2 "---\napiVersion: flagger.app/v1beta1\n" /* lines 16-17 */
#define PROVIDER(spec) \
	DOC2 "kind: AlertProvider\nmetadata:\n  name: slack\nspec:\n" spec
#define SECRET(data) \
	"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: hook\n" data

static const struct {
	const char *what;
	const char *canary;
	int status;
	const char *out, *err;
} strict
	[] = {
		{ "unknown field at the top of spec",
		  HEAD TARGET SERVICE ANALYSIS "  strategy: canary\n", 1, "",
		  "canary.yaml:16:3: spec.strategy: unknown field\n" },
		{ "unknown field deep in analysis",
		  HEAD TARGET SERVICE ANALYSIS
		  "    thresholdRnage:\n      min: 1\n",
		  1, "",
		  "canary.yaml:16:5: spec.analysis.thresholdRnage: unknown field\n" },
		{ "unknown field in a webhook",
		  HEAD TARGET SERVICE ANALYSIS
		  "    webhooks:\n    - name: load\n      url: http://lt/\n      timout: 5s\n",
		  1, "",
		  "canary.yaml:19:7: spec.analysis.webhooks[0].timout: unknown field\n" },
		{ "unknown field in a metric",
		  HEAD TARGET SERVICE ANALYSIS
		  "    metrics:\n    - name: request-success-rate\n      thresholdRnage:\n        min: 99\n",
		  1, "",
		  "canary.yaml:18:7: spec.analysis.metrics[0].thresholdRnage: unknown field\n" },
		{ "unknown field in a match header",
		  HEAD TARGET SERVICE ANALYSIS_NO_MODE
		  "    iterations: 10\n    match:\n    - headers:\n        x-canary:\n          exakt: insider\n",
		  1, "",
		  "canary.yaml:19:11: spec.analysis.match[0].headers.x-canary.exakt: unknown field\n" },
		{ "unknown top-level key",
		  HEAD TARGET SERVICE ANALYSIS "specs: {}\n", 1, "",
		  "canary.yaml:16:1: specs: unknown field\n" },
		{ "unknown field in a MetricTemplate",
		  HEAD TARGET SERVICE ANALYSIS DOC2
		  "kind: MetricTemplate\nmetadata:\n  name: errors\nspec:\n  provider:\n    type: prometheus\n    adress: http://prom:9090\n  query: vector(1)\n",
		  1, "",
		  "canary.yaml:24:5: spec.provider.adress: unknown field\n" },
		{ "unknown kind of the flagger.app group",
		  "apiVersion: flagger.app/v1beta1\nkind: Canery\nmetadata:\n  name: podinfo\nspec: {}\n",
		  1, "",
		  "canary.yaml:2:7: flagger.app/v1beta1 has no kind 'Canery'\n" },
		{ "a version Flagger does not serve",
		  "apiVersion: flagger.app/v1\nkind: MetricTemplate\nmetadata:\n  name: errors\nspec: {}\n",
		  1, "",
		  "canary.yaml:1:13: apiVersion: Unsupported value: \"flagger.app/v1\": supported values: \"flagger.app/v1beta1\"\n" },
		{ "an interval Go does not parse",
		  HEAD TARGET SERVICE
		  "  analysis:\n    interval: 30sec\n    threshold: 5\n    stepWeight: 10\n",
		  1, "",
		  "canary.yaml:13:15: spec.analysis.interval: Invalid value: \"30sec\": not a valid duration (Go's time.ParseDuration: e.g. 30s, 1m30s)\n" },
		{ "a webhook timeout Go does not parse",
		  HEAD TARGET SERVICE ANALYSIS
		  "    webhooks:\n    - name: load\n      url: http://lt/\n      timeout: 5secs\n",
		  1, "",
		  "canary.yaml:19:16: spec.analysis.webhooks[0].timeout: Invalid value: \"5secs\": not a valid duration (Go's time.ParseDuration: e.g. 30s, 1m30s)\n" },
		{ "a metric interval Go does not parse",
		  HEAD TARGET SERVICE ANALYSIS
		  "    metrics:\n    - name: request-success-rate\n      interval: 1m30\n      thresholdRange:\n        min: 99\n",
		  1, "",
		  "canary.yaml:18:17: spec.analysis.metrics[0].interval: Invalid value: \"1m30\": not a valid duration (Go's time.ParseDuration: e.g. 30s, 1m30s)\n" },
		{ "an autoscaling/v1 HPA is read as Flagger reads it (through v2)",
		  HEAD TARGET
		  "  autoscalerRef:\n    apiVersion: autoscaling/v1\n    kind: HorizontalPodAutoscaler\n    name: old\n" SERVICE
			  ANALYSIS,
		  0, OK, "" },
		{ "gateways not in the repository are a warning (Flagger never looks)",
		  HEAD TARGET
		  "  service:\n    port: 9898\n    gateways:\n    - public-gateway\n    - k8s-gateway.istio-system\n" ANALYSIS,
		  0, OK,
		  "canary.yaml:13:7: warning: spec.service.gateways[0]: Istio Gateway test/public-gateway is not in the repository; the name is copied to the VirtualService as it is (gateways are 'mesh', NAME, NAMESPACE/NAME, NAME.NAMESPACE or NAME.NAMESPACE.svc.cluster.local)\n"
		  "canary.yaml:14:7: warning: spec.service.gateways[1]: Gateway istio-system/k8s-gateway in the repository is a gateway.networking.k8s.io/v1 Gateway, not an Istio one; the name is copied to the VirtualService as it is\n" },
		{ "an alert needs its AlertProvider in the repository",
		  HEAD TARGET SERVICE ANALYSIS
		  "    alerts:\n    - name: on-call\n      severity: warn\n      providerRef:\n        name: slack\n        namespace: ops\n",
		  1, "",
		  "canary.yaml:20:15: spec.analysis.alerts[0].providerRef: AlertProvider ops/slack not found in the repository\n" },
		{ "an alert without severity receives nothing: a warning",
		  HEAD TARGET SERVICE ANALYSIS
		  "    alerts:\n    - name: on-call\n      providerRef:\n        name: slack\n" PROVIDER(
			  "  type: slack\n  address: https://hooks.slack.com/services/x\n"),
		  0, OK13,
		  "canary.yaml:17:7: warning: spec.analysis.alerts[0].severity: not set: Flagger sends this alert nothing (set info, warn or error)\n" },
		{ "an AlertProvider with an address passes",
		  HEAD TARGET SERVICE ANALYSIS PROVIDER(
			  "  type: slack\n  address: https://hooks.slack.com/services/x\n"),
		  0, OK13, "" },
		{ "an AlertProvider's address is an http(s) URL",
		  HEAD TARGET SERVICE ANALYSIS PROVIDER(
			  "  type: msteams\n  address: hooks.example.com/x\n"),
		  1, "",
		  "canary.yaml:23:12: spec.address: the address is not an http:// or https:// URL\n" },
		{ "an AlertProvider's Secret must be in the repository",
		  HEAD TARGET SERVICE ANALYSIS PROVIDER(
			  "  type: discord\n  secretRef:\n    name: hook\n"),
		  1, "",
		  "canary.yaml:24:11: spec.secretRef: Secret test/hook not found in the repository\n" },
		{ "an AlertProvider's Secret must hold an address",
		  HEAD TARGET SERVICE ANALYSIS PROVIDER(
			  "  type: discord\n  secretRef:\n    name: hook\n")
			  SECRET("data:\n  token: dG9rZW4=\n"),
		  1, "",
		  "canary.yaml:26:1: Secret test/hook has no 'address' in data or stringData (AlertProvider test/slack)\n" },
		{ "an AlertProvider's Secret address is base64",
		  HEAD TARGET SERVICE ANALYSIS PROVIDER(
			  "  type: rocket\n  secretRef:\n    name: hook\n")
			  SECRET("data:\n  address: https://x/\n"),
		  1, "",
		  "canary.yaml:31:12: data.address: not a base64-encoded string (Secret test/hook)\n" },
		{ "an AlertProvider's Secret address, decoded, is checked",
		  HEAD TARGET SERVICE ANALYSIS PROVIDER(
			  "  type: gchat\n  secretRef:\n    name: hook\n")
			  SECRET("data:\n  address: aG9va3MuZXhhbXBsZS5jb20=\n"),
		  1, "",
		  "canary.yaml:23:3: spec.secretRef: the address is not an http:// or https:// URL\n" },
		{ "an AlertProvider with a Secret passes",
		  HEAD TARGET SERVICE ANALYSIS PROVIDER(
			  "  type: slack\n  secretRef:\n    name: hook\n")
			  SECRET("stringData:\n  address: https://hooks.slack.com/services/T/B/x\n"),
		  0, "1 canaries, 12 manifests OK\n", "" },
		{ "an AlertProvider is checked too",
		  HEAD TARGET SERVICE ANALYSIS DOC2
		  "kind: AlertProvider\nmetadata:\n  name: slack\nspec:\n  type: pager\n  chanel: ops\n",
		  1, "",
		  "canary.yaml:21:1: spec: must set exactly one of address or secretRef\n"
		  "canary.yaml:22:9: spec.type: Unsupported value: \"pager\": supported values: \"slack\", \"msteams\", \"discord\", \"rocket\", \"gchat\"\n"
		  "canary.yaml:23:3: spec.chanel: unknown field\n" },
		{ "a MetricTemplate of another provider is a warning",
		  HEAD TARGET SERVICE ANALYSIS DOC2
		  "kind: MetricTemplate\nmetadata:\n  name: errors\nspec:\n  provider:\n    type: datadog\n  query: avg:errors\n",
		  0, OK13,
		  "canary.yaml:23:11: warning: spec.provider.type: accepted but not acted on yet (gitcanary queries every MetricTemplate as prometheus)\n" },
		{ "open objects stay open",
		  "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: podinfo\n  labels: {any: thing}\n  annotations: {x/y: z}\n"
		  "spec:\n" TARGET
		  "  service:\n    port: 9898\n    apex:\n      labels: {a: b}\n    trafficPolicy:\n      loadBalancer:\n        localityLbSetting:\n          distribute:\n          - from: us/*\n            to: {eu/*: 100}\n"
		  "  analysis:\n    interval: 1m\n    threshold: 5\n    stepWeight: 10\n"
		  "    webhooks:\n    - name: a\n      url: http://x/\n      metadata: {cmd: hey, anything: goes}\n"
		  "status:\n  phase: Succeeded\n  whatever: 1\n",
		  0, OK, "" },
		{ "every field the CRD defines is known",
		  HEAD TARGET
		  "  progressDeadlineSeconds: 60\n  skipAnalysis: false\n  revertOnDeletion: true\n  suspend: false\n  metricsServer: http://prom:9090\n"
		  "  service:\n    port: 9898\n    portName: http\n    appProtocol: http\n    targetPort: http\n    portDiscovery: true\n    timeout: 5s\n    backendTimeout: 5s\n"
		  "    retries: {attempts: 3, perTryTimeout: 1s, retryOn: 5xx}\n    rewrite: {uri: /, authority: x, type: ReplacePrefixMatch}\n"
		  "    headers: {request: {add: {a: b}, remove: [c], set: {d: e}}}\n    corsPolicy: {allowOrigins: [{exact: x}], maxAge: 24h, allowCredentials: true}\n"
		  "    match: [{uri: {prefix: /}, ignoreUriCase: true, withoutHeaders: {x: {exact: v}}}]\n"
		  "    gatewayRefs: [{name: gw, namespace: istio-system, sectionName: http, port: 80}]\n"
		  "    mirror: [{backendRef: {name: shadow, port: 80}}]\n    unmanagedMetadata: {annotations: [a], labels: [b]}\n"
		  "    trafficPolicy: {tls: {mode: ISTIO_MUTUAL}, connectionPool: {http: {h2UpgradePolicy: UPGRADE}}, outlierDetection: {consecutive5xxErrors: 5, interval: 10s}}\n"
		  "  analysis:\n    interval: 1m\n    threshold: 5\n    iterations: 10\n    mirror: true\n    mirrorWeight: 10\n    primaryReadyThreshold: 100\n    canaryReadyThreshold: 100\n"
		  "    match: [{headers: {x: {suffix: v}}, queryParams: {q: {regex: z}}, sourceLabels: {app: a}}]\n"
		  "    metrics: [{name: request-duration, interval: 1m30s, thresholdRange: {max: 500}, templateVariables: {a: b}}]\n"
		  "    webhooks: [{name: w, url: http://w/, type: pre-rollout, timeout: 500ms, retries: 2, disableTLS: true, muteAlert: true}]\n"
		  "    sessionAffinity: {cookieName: c, domain: d, httpOnly: true, maxAge: 60, partitioned: true, path: /, sameSite: Lax, secure: true}\n",
		  0, OK, "" },
	};

START_TEST(test_validate__strict_schemas)
{
	result r;

	validate_canary(&r, strict[_i].canary);
	expect(&r, strict[_i].status, strict[_i].out, strict[_i].err);
}
END_TEST

/* ---- git: a work tree, a bare repository, a file:// remote ---- */

/* Runs a shell line that must succeed; returns stdout without its last \n. */
static char *sh_out(const char *fmt, ...) GC_PRINTF(1, 2);
static char *sh_out(const char *fmt, ...)
{
	gc_buf cmd = GC_BUF_INIT, out = GC_BUF_INIT, err = GC_BUF_INIT;
	va_list ap;
	int st;

	gc_buf_adds(&cmd,
		    "export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "
		    "GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com "
		    "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com; ");
	va_start(ap, fmt);
	gc_buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	st = gc_test_sh(&out, &err, "%s", cmd.ptr);
	ck_assert_msg(st == 0, "%s: %s", cmd.ptr, err.ptr);
	gc_buf_release(&cmd);
	gc_buf_release(&err);
	if (out.len && out.ptr[out.len - 1] == '\n')
		gc_buf_truncate(&out, out.len - 1);
	return gc_buf_detach(&out, NULL);
}

#define BROKEN           \
	PODINFO_WARNINGS \
	"untracked.yaml:1:5: did not find expected node content while parsing a flow node\n"

START_TEST(test_validate__git_work_tree_bare_and_remote)
{
	char *tmp = gc_test_tmpdir();
	char *repo = gc_xasprintf("%s/repo", tmp);
	char *bare = gc_xasprintf("%s/bare.git", tmp);
	char *env = gc_xasprintf("XDG_CACHE_HOME='%s/cache'", tmp);
	char *good, *s;
	result r;

	free(sh_out("mkdir '%s' && cp -R '%s/examples/podinfo/.' '%s' && "
		    "cd '%s' && git init -q -b main && git add -A && "
		    "git commit -q -m initial",
		    repo, gc_test_source_dir, repo, repo));
	good = sh_out("git -C '%s' rev-parse HEAD", repo);

	/* the committed tree counts, not the work tree */
	s = gc_xasprintf("--repo '%s'", repo);
	free(sh_out("printf 'a: [\\n' > '%s/untracked.yaml'", repo));
	run(&r, s);
	expect(&r, 0, "1 canaries, 6 manifests OK\n", PODINFO_WARNINGS);
	free(sh_out("cd '%s' && git add untracked.yaml && "
		    "git commit -q -m broken",
		    repo));
	run(&r, s);
	expect(&r, 1, "", BROKEN);
	free(s);
	s = gc_xasprintf("--repo '%s' --ref %s", repo, good);
	run(&r, s);
	expect(&r, 0, "1 canaries, 6 manifests OK\n", PODINFO_WARNINGS);
	free(s);

	/* a bare clone, and a file:// remote fetched again after a fix */
	free(sh_out("git clone -q --bare '%s' '%s'", repo, bare));
	s = gc_xasprintf("--repo '%s'", bare);
	run(&r, s);
	expect(&r, 1, "", BROKEN);
	free(s);
	s = gc_xasprintf("--repo 'file://%s'", repo);
	run_env(&r, env, s);
	expect(&r, 1, "", BROKEN);
	free(sh_out("cd '%s' && git rm -q untracked.yaml && "
		    "git commit -q -m fix",
		    repo));
	run_env(&r, env, s);
	expect(&r, 0, "1 canaries, 6 manifests OK\n", PODINFO_WARNINGS);
	free(s);

	s = gc_xasprintf("--repo '%s' --ref no-such-branch", repo);
	run(&r, s);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out.ptr, "");
	ck_assert_msg(!strncmp(r.err.ptr, "gitcanary validate: ", 20), "%s",
		      r.err.ptr);
	gc_buf_release(&r.out);
	gc_buf_release(&r.err);
	free(s);

	gc_test_rmrf(tmp);
	free(good);
	free(env);
	free(bare);
	free(repo);
	free(tmp);
}
END_TEST

static Suite *gc_suite_validate(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_validate__fixture_directories, 0,
			    GC_ARRAY_SIZE(dirs));
	tcase_add_test(tc, test_validate__help_goes_to_stdout);
	tcase_add_loop_test(tc, test_validate__reports_bad_input_with_position,
			    0, GC_ARRAY_SIZE(bad));
	tcase_add_test(tc,
		       test_validate__survives_bombs_nesting_and_huge_files);
	tcase_add_loop_test(tc, test_validate__canary_rules, 0,
			    GC_ARRAY_SIZE(rules));
	tcase_add_loop_test(tc, test_validate__strict_schemas, 0,
			    GC_ARRAY_SIZE(strict));
	tcase_add_test(tc, test_validate__git_work_tree_bare_and_remote);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_validate)
