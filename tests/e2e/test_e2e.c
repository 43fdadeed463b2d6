/*
 * End to end: whole releases on the local playground (scripts/playground.sh:
 * a bare repository made from examples/podinfo, a real Prometheus scraping
 * gitcanary-sim, `gitcanary run`), one TCase per scenario, driven by
 * tests/e2e/e2e.sh. Each asserts what a user sees on the deploy branch: the
 * ordered events of the commit bodies, `gitcanary get`, the status file, and
 * the weights, images and replicas of the rendered files.
 *
 * ctest runs one entry per TCase (CK_RUN_CASE=<scenario>), so they run in
 * parallel.
 */
#include "harness.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"

#define E2E_TIMEOUT 240

/* One expected event line: an extended regex, seen between min and max times.
 */
typedef struct e2e_event {
	const char *re;
	int min, max;
} e2e_event;

typedef struct e2e_case {
	const char *scenario;
	const e2e_event *events;
	const char *phase;         /* final phase: get, status file */
	const char *primary_image; /* rendered primary Deployment */
	const char *canary_image;  /* rendered canary Deployment */
	int ab_match; /* the VirtualService keeps the A/B match route */
} e2e_case;

#define ONCE(re)         \
	{                \
		re, 1, 1 \
	}
#define END                \
	{                  \
		NULL, 0, 0 \
	}

#define INIT ONCE("^Initialization done! podinfo\\.test$")
#define NEW_REVISION ONCE("^New revision detected! Scaling up podinfo\\.test$")
#define STARTING ONCE("^Starting canary analysis for podinfo\\.test$")
#define PRE_ROLLOUT ONCE("^Pre-rollout check acceptance-test passed$")
#define WEIGHT(w) ONCE("^Advance podinfo\\.test canary weight " #w "$")
#define ITERATION(n) ONCE("^Advance podinfo\\.test canary iteration " #n "/3$")
#define COPYING \
	ONCE("^Copying podinfo\\.test template spec to podinfo-primary\\.test$")
#define TO_PRIMARY ONCE("^Routing all traffic to primary$")
#define PROMOTED ONCE("^Promotion completed! Scaling down podinfo\\.test$")
/* How many steps pass before the first failing check depends on timing. */
#define SOME_WEIGHTS                                                  \
	{                                                             \
		"^Advance podinfo\\.test canary weight [1-5]0$", 1, 5 \
	}
#define THRESHOLD \
	ONCE("^warning: Rolling back podinfo\\.test failed checks threshold reached 5$")
#define FAILED ONCE("^warning: Canary failed! Scaling down podinfo\\.test$")

static const e2e_event success_events[] = {
	INIT,       NEW_REVISION, STARTING,   PRE_ROLLOUT, WEIGHT(10),
	WEIGHT(20), WEIGHT(30),   WEIGHT(40), WEIGHT(50),  COPYING,
	TO_PRIMARY, PROMOTED,     END,
};

static const e2e_event rollback_events[] = {
	INIT,
	NEW_REVISION,
	STARTING,
	PRE_ROLLOUT,
	SOME_WEIGHTS,
	{ "^warning: Halt podinfo\\.test advancement success rate "
	  "[0-9]+\\.[0-9]{2}% < 99%$",
	  5, 5 },
	THRESHOLD,
	FAILED,
	END,
};

static const e2e_event template404_events[] = {
	INIT,
	NEW_REVISION,
	STARTING,
	PRE_ROLLOUT,
	SOME_WEIGHTS,
	{ "^warning: Halt podinfo\\.test advancement 404s percentage "
	  "[0-9]+\\.[0-9]{2} > 5$",
	  5, 5 },
	THRESHOLD,
	FAILED,
	END,
};

static const e2e_event ab_events[] = {
	INIT,         NEW_REVISION, STARTING,     PRE_ROLLOUT,
	ITERATION(1), ITERATION(2), ITERATION(3), COPYING,
	TO_PRIMARY,   PROMOTED,     END,
};

/*
 * Blue/green sends the canary no mesh traffic: the load test starts on the
 * first metric tick, so that tick may find no canary series in Prometheus yet
 * (Flagger halts the same way).
 */
static const e2e_event bluegreen_events[] = {
	INIT,
	NEW_REVISION,
	STARTING,
	PRE_ROLLOUT,
	ITERATION(1),
	{ "^warning: Halt advancement no values found for istio metric "
	  "request-success-rate probably podinfo\\.test is not receiving "
	  "traffic: running query failed: no values found$",
	  0, 1 },
	ITERATION(2),
	ITERATION(3),
	ONCE("^Routing all traffic to canary$"),
	COPYING,
	TO_PRIMARY,
	PROMOTED,
	END,
};

static const e2e_event gate_events[] = {
	INIT,
	NEW_REVISION,
	STARTING,
	PRE_ROLLOUT,
	WEIGHT(10),
	WEIGHT(20),
	WEIGHT(30),
	WEIGHT(40),
	WEIGHT(50),
	ONCE("^warning: Halt podinfo\\.test advancement waiting for promotion "
	     "approval promotion-gate$"),
	ONCE("^Confirm-promotion check promotion-gate passed$"),
	COPYING,
	TO_PRIMARY,
	PROMOTED,
	END,
};

#define IMAGE "stefanprodan/podinfo:"

static const e2e_case cases[] = {
	{ "success", success_events, "Succeeded", IMAGE "3.1.1", IMAGE "3.1.1",
	  0 },
	{ "rollback", rollback_events, "Failed", IMAGE "3.1.0", IMAGE "3.1.2",
	  0 },
	{ "template404", template404_events, "Failed", IMAGE "3.1.0",
	  IMAGE "3.1.4", 0 },
	{ "ab", ab_events, "Succeeded", IMAGE "3.1.1", IMAGE "3.1.1", 1 },
	{ "bluegreen", bluegreen_events, "Succeeded", IMAGE "3.1.1",
	  IMAGE "3.1.1", 0 },
	{ "gate", gate_events, "Succeeded", IMAGE "3.1.1", IMAGE "3.1.1", 0 },
};

/* ---- the run of one scenario ---- */

typedef struct e2e_run {
	const e2e_case *c;
	char *out; /* the driver's OUTDIR */
	char **lines;
	size_t n;
} e2e_run;

static char *out_path(const e2e_run *r, const char *rel)
{
	return gc_xasprintf("%s/%s", r->out, rel);
}

/* What to read when an assertion fails: the deploy log, log tails, events. */
static void dump(const e2e_run *r)
{
	char *p = out_path(r, "diagnostics");
	char *text = gc_test_slurp(p);
	size_t i;

	fprintf(stderr, "e2e %s: %s\n== events seen\n", r->c->scenario, text);
	for (i = 0; i < r->n; i++)
		fprintf(stderr, "%s\n", r->lines[i]);
	free(text);
	free(p);
}

#define E2E_CHECK(r, cond, ...)                    \
	do {                                       \
		if (!(cond)) {                     \
			dump(r);                   \
			ck_abort_msg(__VA_ARGS__); \
		}                                  \
	} while (0)

static void split_lines(e2e_run *r, char *text)
{
	char *save = NULL, *line;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		r->lines =
			gc_xrealloc(r->lines, (r->n + 1) * sizeof(*r->lines));
		r->lines[r->n++] = gc_xstrdup(line);
	}
}

static bool line_matches(const char *re, const char *line)
{
	regex_t rx;
	bool ok;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&rx, line, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

/* Whether lines[i..] match events[0..] exactly (backtracking over counts). */
static bool sequence_matches(const e2e_event *ev, char **lines, size_t n)
{
	size_t k;

	if (!ev->re)
		return n == 0;
	for (k = 0; k <= (size_t)ev->max && k <= n; k++) {
		if (k >= (size_t)ev->min &&
		    sequence_matches(ev + 1, lines + k, n - k))
			return true;
		if (k < n && !line_matches(ev->re, lines[k]))
			break;
	}
	return false;
}

static void expect_events(const e2e_run *r)
{
	const e2e_event *ev;
	int weight = 0;
	size_t i;

	if (sequence_matches(r->c->events, r->lines, r->n))
		goto weights;
	fprintf(stderr, "e2e %s: expected events (extended regexes):\n",
		r->c->scenario);
	for (ev = r->c->events; ev->re; ev++)
		fprintf(stderr, "  %s  {%d,%d}\n", ev->re, ev->min, ev->max);
	E2E_CHECK(r, 0,
		  "%s: the deploy branch's events differ from the "
		  "expected sequence (see above)",
		  r->c->scenario);
weights:
	/* Weight steps, however many, go 10, 20, ... in order. */
	for (i = 0; i < r->n; i++) {
		int w;

		if (sscanf(r->lines[i], "Advance podinfo.test canary weight %d",
			   &w) != 1)
			continue;
		weight += 10;
		E2E_CHECK(r, w == weight,
			  "%s: line %zu: weight %d, expected %d",
			  r->c->scenario, i + 1, w, weight);
	}
}

/* Halts for a failed check (a closed gate is a wait, not a failed check). */
static size_t count_failed_checks(const e2e_run *r)
{
	size_t i, k = 0;

	for (i = 0; i < r->n; i++)
		k += strncmp(r->lines[i], "warning: Halt ", 14) == 0 &&
		     !strstr(r->lines[i], " waiting for ");
	return k;
}

/* `gitcanary get`: the header, then one row for test/podinfo. */
static void expect_get(const e2e_run *r)
{
	char *p = out_path(r, "get");
	char *text = gc_test_slurp(p);
	char ns[64], name[64], status[64], weight[16], failed[16], when[64];
	char *row = strchr(text, '\n');
	/* Failed resets the counter; a promotion keeps it (as Flagger). */
	size_t halts =
		strcmp(r->c->phase, "Failed") == 0 ? 0 : count_failed_checks(r);
	char *want_failed = gc_xasprintf("%zu", halts);

	E2E_CHECK(r, strncmp(text, "NAMESPACE ", 10) == 0 && row,
		  "get: unexpected output: %s", text);
	E2E_CHECK(r,
		  sscanf(row + 1, "%63s %63s %63s %15s %15s %63s", ns, name,
			 status, weight, failed, when) == 6,
		  "get: unexpected row: %s", row + 1);
	ck_assert_str_eq(ns, "test");
	ck_assert_str_eq(name, "podinfo");
	E2E_CHECK(r, strcmp(status, r->c->phase) == 0,
		  "get: status %s, want %s", status, r->c->phase);
	ck_assert_str_eq(weight, "0");
	ck_assert_str_eq(failed, want_failed);
	free(want_failed);
	free(text);
	free(p);
}

/* The first document of a deploy-branch file; the caller frees the list. */
static const cJSON *deploy_doc(const e2e_run *r, gc_doclist *docs,
			       const char *rel)
{
	char *p = gc_xasprintf("%s/tree/%s", r->out, rel);
	char *text = gc_test_slurp(p);
	gc_error err = GC_ERROR_INIT;

	E2E_CHECK(r, gc_yaml_parse(docs, rel, text, strlen(text), &err) == 0,
		  "%s", err.msg);
	ck_assert_uint_ge(docs->n, 1);
	gc_error_release(&err);
	free(text);
	free(p);
	return docs->v[docs->n - 1]->root;
}

static const char *first_image(const cJSON *deployment)
{
	const cJSON *c =
		gc_json_get(deployment, "spec.template.spec.containers");

	ck_assert_ptr_nonnull(c);
	return gc_json_str(cJSON_GetArrayItem(c, 0), "image");
}

static void expect_status_file(const e2e_run *r)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	const cJSON *st =
		deploy_doc(r, &docs, ".gitcanary/status/test/podinfo.yaml");

	ck_assert_str_eq(gc_json_str(st, "status.phase"), r->c->phase);
	ck_assert_int_eq((int)gc_json_num(st, "status.canaryWeight", -1), 0);
	ck_assert_int_eq((int)gc_json_num(st,
					  "status.gitcanary.routing.primary",
					  -1),
			 100);
	ck_assert_int_eq((int)gc_json_num(st, "status.gitcanary.routing.canary",
					  -1),
			 0);
	gc_doclist_release(&docs);
}

static void expect_deployments(const e2e_run *r)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	const cJSON *d;

	d = deploy_doc(r, &docs,
		       "test/podinfo/deployment-podinfo-primary.yaml");
	E2E_CHECK(r, strcmp(first_image(d), r->c->primary_image) == 0,
		  "primary runs %s, want %s", first_image(d),
		  r->c->primary_image);
	/* The primary's replicas are the HPA's (podinfo-primary). */
	ck_assert_ptr_null(gc_json_get(d, "spec.replicas"));
	d = deploy_doc(r, &docs, "test/podinfo/deployment-podinfo.yaml");
	ck_assert_str_eq(first_image(d), r->c->canary_image);
	E2E_CHECK(r, gc_json_num(d, "spec.replicas", -1) == 0,
		  "the canary is not scaled to zero");
	gc_doclist_release(&docs);
}

/* Every HTTP route sends 100 % to the primary and 0 to the canary. */
static void expect_virtualservice(const e2e_run *r)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	const cJSON *vs =
		deploy_doc(r, &docs,
			   "test/podinfo/virtualservice-podinfo.yaml");
	const cJSON *http = gc_json_get(vs, "spec.http"), *route, *dest;
	int n = 0;

	ck_assert_int_eq(cJSON_GetArraySize(http), r->c->ab_match ? 2 : 1);
	if (r->c->ab_match) {
		const cJSON *m =
			gc_json_get(cJSON_GetArrayItem(http, 0), "match");

		ck_assert_str_eq(gc_json_str(cJSON_GetArrayItem(m, 0),
					     "headers.x-canary.exact"),
				 "insider");
	}
	cJSON_ArrayForEach (route, http) {
		cJSON_ArrayForEach (dest, cJSON_GetObjectItem(route, "route")) {
			const char *host =
				gc_json_str(dest, "destination.host");
			int w = (int)gc_json_num(dest, "weight", 100);

			ck_assert_ptr_nonnull(host);
			E2E_CHECK(r,
				  w == (strcmp(host, "podinfo-primary") ? 0
									: 100),
				  "route %d: %s has weight %d", n, host, w);
		}
		n++;
	}
	gc_doclist_release(&docs);
}

START_TEST(test_scenario)
{
	e2e_run r = { &cases[_i], gc_test_tmpdir(), NULL, 0 };
	gc_buf err = GC_BUF_INIT;
	char *p;
	char *text;
	size_t i;
	int rc = gc_test_sh(NULL, &err,
			    "PG_BUILD='%s' '%s/tests/e2e/e2e.sh' %s '%s'",
			    GC_BUILD_DIR, gc_test_source_dir, r.c->scenario,
			    r.out);

	if (rc != 0) {
		fprintf(stderr, "%s", err.ptr);
		ck_abort_msg("%s: the release did not reach its last commit "
			     "(e2e.sh exit %d)",
			     r.c->scenario, rc);
	}
	p = out_path(&r, "events");
	text = gc_test_slurp(p);
	split_lines(&r, text);
	free(text);
	free(p);

	expect_events(&r);
	expect_get(&r);
	expect_status_file(&r);
	expect_deployments(&r);
	expect_virtualservice(&r);

	for (i = 0; i < r.n; i++)
		free(r.lines[i]);
	free(r.lines);
	gc_test_rmrf(r.out);
	free(r.out);
	gc_buf_release(&err);
}
END_TEST

static Suite *gc_suite_e2e(void)
{
	Suite *s = suite_create("e2e");
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].scenario);

		tcase_set_timeout(tc, E2E_TIMEOUT);
		tcase_add_loop_test(tc, test_scenario, (int)i, (int)i + 1);
		suite_add_tcase(s, tc);
	}
	return s;
}

GC_TEST_MAIN(gc_suite_e2e)
