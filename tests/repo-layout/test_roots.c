/*
 * Roots and builds as Flux builds them (repo-layout/roots.c, source.c):
 * the native build gives what the kustomize tool gives on the same trees;
 * Flux's generated kustomization of a root without one; unlisted files
 * are not read; an overlay with patches, labels, namePrefix, replicas,
 * images, a generator and a component; a broken root beside a healthy one;
 * plain trees need no kustomize executable.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/source.h"
#include "util/alloc.h"
#include "util/json.h"

static gc_index *load(const char *fixture, const gc_source_opts *opts)
{
	char *dir = gc_test_fixture(fixture);
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;

	ck_assert_msg(gc_source_load_dir(&idx, dir, opts, &err) == 0, "%s",
		      gc_error_msg(&err));
	free(dir);
	return idx;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string,
		      (*(cJSON *const *)b)->string);
}

/* Sorts every mapping's keys: kustomize prints them sorted. */
static void sort_keys(cJSON *n)
{
	cJSON *c, **v;
	size_t k = 0, len = 0;

	cJSON_ArrayForEach (c, n) {
		sort_keys(c);
		len++;
	}
	if (!cJSON_IsObject(n) || len < 2)
		return;
	v = gc_xcalloc(len, sizeof(*v));
	while (n->child)
		v[k++] = cJSON_DetachItemViaPointer(n, n->child);
	qsort(v, k, sizeof(*v), cmp_key);
	for (size_t i = 0; i < k; i++)
		cJSON_AddItemToArray(n, v[i]); /* keeps each key */
	free(v);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every object as "kind ns/name {tree}" with the namespace the index gave
 * it in its tree (as the deploy branch writes it), sorted (the two builds
 * list them in different orders), then the problems.
 */
static char *objects(gc_index *idx)
{
	size_t n = gc_index_count(idx);
	char **lines = gc_xcalloc(n + 1, sizeof(*lines));
	gc_problems *p = gc_index_problems(idx);
	gc_buf b = GC_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		const gc_object *o = gc_index_at(idx, i);
		cJSON *copy = cJSON_Duplicate(o->doc->root, 1);
		cJSON *meta = cJSON_GetObjectItem(copy, "metadata");
		char *tree;

		cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
		if (o->namespace)
			cJSON_AddStringToObject(meta, "namespace",
						o->namespace);
		sort_keys(copy);
		tree = cJSON_PrintUnformatted(copy);
		cJSON_Delete(copy);

		lines[i] = gc_xasprintf("%s %s/%s %s", o->kind,
					o->namespace ? o->namespace : "-",
					o->name, tree);
		free(tree);
	}
	qsort(lines, n, sizeof(*lines), cmp_line);
	for (size_t i = 0; i < n; i++) {
		gc_buf_addf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	for (size_t i = 0; i < p->n; i++)
		gc_buf_addf(&b, "%s:%u:%u: %s\n", p->v[i].path, p->v[i].line,
			    p->v[i].column, p->v[i].msg);
	return gc_buf_detach(&b, NULL);
}

static const char *const same_both_ways[] = {
	"validate/namespaces",
	"roots/generated",
	"validate/base",
	"roots/flux",
};

/* The fast path and the tool give the same objects on the same trees. */
START_TEST(test_roots__native_equals_the_tool)
{
	gc_source_opts native = { 0 }, tool = { .kustomize_always = true };
	gc_index *a = load(same_both_ways[_i], &native);
	gc_index *b = load(same_both_ways[_i], &tool);
	char *x = objects(a), *y = objects(b);

	/* the first line that differs: Check cannot carry whole dumps */
	for (size_t i = 0; x[i] || y[i]; i++) {
		if (x[i] == y[i])
			continue;
		while (i && x[i - 1] != '\n')
			i--;
		ck_abort_msg("native:\n%.600s\ntool:\n%.600s", x + i, y + i);
	}
	ck_assert_uint_gt(gc_index_count(a), 1);
	free(x);
	free(y);
	gc_index_free(a);
	gc_index_free(b);
}
END_TEST

/* Flux's generated kustomization: files, and kustomization dirs whole. */
START_TEST(test_roots__generated_kustomization)
{
	gc_source_opts opts = { .kustomize_command = "/nonexistent/kustomize" };
	gc_index *idx = load("roots/generated", &opts);
	char *got = objects(idx);

	ck_assert_str_eq(
		got,
		"ClusterRole -/d {\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"d\"},\"rules\":[]}\n"
		"ConfigMap default/a {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"namespace\":\"default\"}}\n"
		"ConfigMap own/a2 {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a2\",\"namespace\":\"own\"}}\n"
		"ConfigMap sub/b {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\",\"namespace\":\"sub\"}}\n"
		"Secret sub/c {\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"c\",\"namespace\":\"sub\"},\"stringData\":{\"k\":\"v\"}}\n");
	/* neither sub/unlisted.yaml nor .hidden/ is read */
	ck_assert_ptr_null(gc_index_find(idx, "ConfigMap", "sub", "unlisted"));
	ck_assert_ptr_null(
		gc_index_find(idx, "ConfigMap", "default", "hidden"));
	free(got);
	gc_index_free(idx);
}
END_TEST

static const char *const production[] = { "apps/production" };

START_TEST(test_roots__overlay_with_transformers)
{
	gc_source_opts opts = { .paths = production, .npaths = 1 };
	gc_index *idx = load("roots/overlay", &opts);
	const gc_object *dep =
		gc_index_find(idx, "Deployment", "production", "prod-web");
	const cJSON *c;
	gc_loc loc;
	const char *path;

	ck_assert_uint_eq(gc_index_problems(idx)->n, 0);
	ck_assert_uint_eq(gc_index_count(idx), 4);
	ck_assert_ptr_nonnull(dep);
	ck_assert_str_eq(dep->file, "apps/production/kustomization.yaml");
	ck_assert_str_eq(dep->doc->path, "apps/base/deployment.yaml");
	c = cJSON_GetArrayItem(gc_json_get(dep->doc->root,
					   "spec.template.spec.containers"),
			       0);
	ck_assert_str_eq(gc_json_str(c, "image"), "ghcr.io/example/web:1.1.0");
	ck_assert_str_eq(gc_json_str(cJSON_GetArrayItem(
					     cJSON_GetObjectItem(c, "env"), 0),
				     "value"),
			 "production");
	ck_assert_int_eq((int)gc_json_num(dep->doc->root, "spec.replicas", 0),
			 3);
	ck_assert_str_eq(gc_json_str(dep->doc->root, "metadata.labels.tier"),
			 "frontend");
	/* the container's name is where the base wrote it */
	gc_doc_place(dep->doc, cJSON_GetObjectItem(c, "name"), &path, &loc);
	ck_assert_str_eq(path, "apps/base/deployment.yaml");
	ck_assert_uint_eq(loc.line, 18);
	/* the new image is the overlay's doing */
	gc_doc_place(dep->doc, cJSON_GetObjectItem(c, "image"), &path, &loc);
	ck_assert_str_eq(path, "apps/production/kustomization.yaml");
	ck_assert_ptr_nonnull(gc_index_find(idx, "PodDisruptionBudget",
					    "production", "prod-web"));
	ck_assert_ptr_nonnull(
		gc_index_find(idx, "Service", "production", "prod-web"));
	ck_assert_ptr_nonnull(gc_index_find(idx, "ConfigMap", "production",
					    "prod-web-config-hf678c7m2b"));
	/* what no root reaches */
	ck_assert_ptr_null(
		gc_index_find(idx, "ConfigMap", "default", "unlisted"));
	ck_assert_ptr_null(gc_index_find(idx, "Deployment", "default", "web"));
	gc_index_free(idx);
}
END_TEST

static const char *const both[] = { "apps/production", "apps/staging" };
static const char *const staging[] = { "apps/staging" };

/* Two overlays share one kustomize run: each gets what it gets alone. */
START_TEST(test_roots__batched_builds_equal_single_ones)
{
	gc_source_opts o1 = { .paths = production, .npaths = 1 },
		       o2 = { .paths = staging, .npaths = 1 },
		       o12 = { .paths = both, .npaths = 2 };
	gc_index *a = load("roots/overlay", &o1),
		 *b = load("roots/overlay", &o2),
		 *ab = load("roots/overlay", &o12);
	char *x = objects(a), *y = objects(b), *xy = objects(ab);
	char *want = gc_xasprintf("%s%s", x, y);
	const gc_object *dep =
		gc_index_find(ab, "Deployment", "staging", "stage-web");
	const cJSON *c =
		cJSON_GetArrayItem(gc_json_get(dep->doc->root,
					       "spec.template.spec.containers"),
				   0);
	const char *path;
	gc_loc loc;

	ck_assert_uint_eq(gc_index_count(ab), 6);
	/* every line of each alone, and no other (sorted, so in order) */
	ck_assert_uint_eq(strlen(xy), strlen(want));
	for (char *l = want; *l; l = strchr(l, '\n') + 1) {
		char *line = gc_xstrndup(l, strcspn(l, "\n") + 1);

		ck_assert_msg(strstr(xy, line), "missing: %.300s", line);
		free(line);
	}
	ck_assert_str_eq(dep->file, "apps/staging/kustomization.yaml");
	gc_doc_place(dep->doc, cJSON_GetObjectItem(c, "name"), &path, &loc);
	ck_assert_str_eq(path, "apps/base/deployment.yaml");
	ck_assert_uint_eq(loc.line, 18);
	gc_doc_place(dep->doc, cJSON_GetObjectItem(c, "image"), &path, &loc);
	ck_assert_str_eq(path, "apps/staging/kustomization.yaml");
	free(x);
	free(y);
	free(xy);
	free(want);
	gc_index_free(a);
	gc_index_free(b);
	gc_index_free(ab);
}
END_TEST

static const char *const wrapped[] = { "apps/wrapped" };

/*
 * A plain kustomization's namespace over an overlay the tool builds:
 * the overlay is built with that namespace on top, as kustomize builds
 * the whole.
 */
START_TEST(test_roots__namespace_over_a_tool_build)
{
	gc_source_opts native = { .paths = wrapped, .npaths = 1 }, tool = {
		.paths = wrapped, .npaths = 1, .kustomize_always = true
	};
	gc_index *a = load("roots/overlay", &native),
		 *b = load("roots/overlay", &tool);
	char *x = objects(a), *y = objects(b);
	const gc_object *dep =
		gc_index_find(a, "Deployment", "wrapped", "stage-web");

	ck_assert_str_eq(x, y);
	ck_assert_uint_eq(gc_index_count(a), 2);
	ck_assert_ptr_nonnull(dep);
	/* built on its own, not as part of apps/wrapped */
	ck_assert_str_eq(dep->file, "apps/staging/kustomization.yaml#wrapped");
	ck_assert_str_eq(dep->doc->path, "apps/base/deployment.yaml");
	free(x);
	free(y);
	gc_index_free(a);
	gc_index_free(b);
}
END_TEST

static const char *const wrapped_broken[] = { "apps/wrapped-broken" };

/* A build that fails under a namespace from above names repository paths. */
START_TEST(test_roots__wrapped_failure_names_repository_paths)
{
	gc_source_opts opts = { .paths = wrapped_broken, .npaths = 1 };
	gc_index *idx = load("roots/overlay", &opts);
	gc_problems *p = gc_index_problems(idx);

	ck_assert_uint_eq(p->n, 1);
	ck_assert_str_eq(p->v[0].path, "apps/broken/kustomization.yaml");
	ck_assert_ptr_nonnull(
		strstr(p->v[0].msg, "'apps/broken/missing.yaml'"));
	ck_assert_msg(!strstr(p->v[0].msg, "r/apps") &&
			      !strstr(p->v[0].msg, ".gitcanary"),
		      "%s", p->v[0].msg);
	gc_index_free(idx);
}
END_TEST

static const char *const two_roots[] = { "apps/broken", "apps/production" };

/* One root does not build: the other's objects are all there. */
START_TEST(test_roots__broken_root_is_its_own_problem)
{
	gc_source_opts opts = { .paths = two_roots, .npaths = 2 };
	gc_index *idx = load("roots/overlay", &opts);
	gc_problems *p = gc_index_problems(idx);

	ck_assert_uint_eq(p->n, 1);
	ck_assert_str_eq(p->v[0].path, "apps/broken/kustomization.yaml");
	ck_assert_uint_eq(p->v[0].line, 6);
	ck_assert_ptr_nonnull(strstr(p->v[0].msg, "missing.yaml"));
	ck_assert_uint_eq(gc_index_count(idx), 4);
	ck_assert_ptr_nonnull(
		gc_index_find(idx, "Deployment", "production", "prod-web"));
	gc_index_free(idx);
}
END_TEST

/* Plain trees never run the tool; the others say it cannot run. */
START_TEST(test_roots__fast_path_needs_no_kustomize)
{
	gc_source_opts opts = { .kustomize_command = "/nonexistent/kustomize",
				.paths = production,
				.npaths = 1 };
	gc_index *idx = load("validate/namespaces", &opts);
	gc_problems *p;

	/* --path apps/production does not exist there */
	ck_assert_uint_eq(gc_index_problems(idx)->n, 1);
	gc_index_free(idx);
	opts.npaths = 0;
	idx = load("validate/namespaces", &opts);
	ck_assert_uint_eq(gc_index_problems(idx)->n, 0);
	ck_assert_uint_eq(gc_index_count(idx), 7);
	gc_index_free(idx);
	opts.npaths = 1;
	idx = load("roots/overlay", &opts);
	p = gc_index_problems(idx);
	ck_assert_uint_eq(p->n, 1);
	ck_assert_str_eq(p->v[0].path, "apps/production/kustomization.yaml");
	ck_assert_ptr_nonnull(strstr(p->v[0].msg, "/nonexistent/kustomize"));
	gc_index_free(idx);
}
END_TEST

/*
 * The roots of a source with Flux Kustomizations: targetNamespace, images
 * and postBuild (literal and from a ConfigMap of the source) as Flux
 * applies them; only targetNamespace is a native build; a Kustomization
 * of another repository is skipped with a warning.
 */
START_TEST(test_roots__flux_kustomizations)
{
	gc_source_opts opts = { 0 };
	gc_index *idx = load("roots/flux", &opts);
	gc_problems *p = gc_index_problems(idx);
	const gc_object *web, *cm;

	ck_assert_uint_eq(p->n, 1);
	ck_assert_str_eq(p->v[0].path, "clusters/prod/more.yaml");
	ck_assert(p->v[0].warning);
	ck_assert_ptr_nonnull(strstr(p->v[0].msg, "other-repo"));
	ck_assert_uint_eq(gc_index_count(idx), 2);
	web = gc_index_find(idx, "Deployment", "prod", "web");
	ck_assert_ptr_nonnull(web);
	ck_assert_str_eq(web->file,
			 "apps/kustomization.yaml#flux:flux-system/apps");
	/* substitute wins over substituteFrom; a default fills the rest */
	ck_assert_str_eq(gc_json_str(web->doc->root, "metadata.labels.region"),
			 "eu");
	ck_assert_str_eq(gc_json_str(web->doc->root, "metadata.labels.tier"),
			 "gold");
	ck_assert(cJSON_IsNumber(gc_json_get(web->doc->root, "spec.replicas")));
	ck_assert_str_eq(
		gc_json_str(
			cJSON_GetArrayItem(
				gc_json_get(web->doc->root,
					    "spec.template.spec.containers"),
				0),
			"image"),
		"ghcr.io/example/web:2.0.0");
	cm = gc_index_find(idx, "ConfigMap", "plain-ns", "plain-cm");
	ck_assert_ptr_nonnull(cm);
	ck_assert_str_eq(cm->file, "plain/cm.yaml"); /* native */
	/* not a root: the ConfigMap of variables is not applied */
	ck_assert_ptr_null(
		gc_index_find(idx, "ConfigMap", "flux-system", "vars"));
	gc_index_free(idx);
}
END_TEST

static Suite *gc_suite_roots(void)
{
	Suite *s = suite_create("roots");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_roots__native_equals_the_tool, 0,
			    GC_ARRAY_SIZE(same_both_ways));
	tcase_add_test(tc, test_roots__generated_kustomization);
	tcase_add_test(tc, test_roots__overlay_with_transformers);
	tcase_add_test(tc, test_roots__batched_builds_equal_single_ones);
	tcase_add_test(tc, test_roots__namespace_over_a_tool_build);
	tcase_add_test(tc, test_roots__broken_root_is_its_own_problem);
	tcase_add_test(tc, test_roots__wrapped_failure_names_repository_paths);
	tcase_add_test(tc, test_roots__fast_path_needs_no_kustomize);
	tcase_add_test(tc, test_roots__flux_kustomizations);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_roots)
