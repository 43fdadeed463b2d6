/*
 * Loading manifests into the index: namespace rules, kustomizations,
 * cluster-scoped kinds, duplicates, name rules, and the same load through
 * git (a commit walked with gc_git_walk).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/index.h"
#include "repo-layout/source.h"
#include "util/alloc.h"
#include "util/json.h"

static gc_index *load_fixture(const char *rel, const char *default_ns)
{
	char *dir = gc_test_fixture(rel);
	gc_source_opts opts = { .default_namespace = default_ns };
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;

	ck_assert_msg(gc_source_load_dir(&idx, dir, &opts, &err) == 0, "%s",
		      gc_error_msg(&err));
	free(dir);
	return idx;
}

/* As `kubectl kustomize` of the fixture gives them. */
static const struct {
	const char *kind, *name, *want_ns;
} namespaces[] = {
	{ "ConfigMap", "a", "ignored" },   /* none: the default */
	{ "ConfigMap", "e", "mine" },      /* metadata.namespace */
	{ "ConfigMap", "b", "sub" },       /* sub/kustomization.yml */
	{ "ConfigMap", "c", "sub" },       /* listed by sub/ as deeper/c.yml */
	{ "ConfigMap", "d", "ignored" },   /* plain/ kustomization has none */
	{ "ConfigMap", "f", "top" },       /* the outermost namespace: wins */
	{ "ClusterRole", "reader", NULL }, /* cluster-scoped */
};

START_TEST(test_source__namespace_rules)
{
	gc_index *idx = load_fixture("validate/namespaces", "ignored");
	const gc_object *o =
		gc_index_find(idx, namespaces[_i].kind, namespaces[_i].want_ns,
			      namespaces[_i].name);

	ck_assert_msg(o != NULL, "%s %s not found in %s", namespaces[_i].kind,
		      namespaces[_i].name,
		      namespaces[_i].want_ns ? namespaces[_i].want_ns : "-");
	if (namespaces[_i].want_ns)
		ck_assert_str_eq(o->namespace, namespaces[_i].want_ns);
	else
		ck_assert_ptr_null(o->namespace);
	ck_assert_uint_eq(gc_index_problems(idx)->n, 0);
	/* no resources: list names it */
	ck_assert_ptr_null(
		gc_index_find(idx, "ConfigMap", "ignored", "unlisted"));
	gc_index_free(idx);
}
END_TEST

START_TEST(test_source__default_namespace_option_then_default)
{
	gc_index *idx = load_fixture("validate/nokustomize", "prod");

	ck_assert_ptr_nonnull(
		gc_index_find(idx, "ConfigMap", "prod", "lonely"));
	gc_index_free(idx);
	idx = load_fixture("validate/nokustomize", NULL);
	ck_assert_ptr_nonnull(
		gc_index_find(idx, "ConfigMap", "default", "lonely"));
	ck_assert_ptr_null(gc_index_find(idx, "ConfigMap", "prod", "lonely"));
	gc_index_free(idx);
}
END_TEST

START_TEST(test_source__reached_objects_in_path_order)
{
	gc_index *idx = load_fixture("validate/namespaces", NULL);
	static const char *const want[] = {
		"ConfigMap a", "ClusterRole reader", "ConfigMap e",
		"ConfigMap f", "ConfigMap d",        "ConfigMap b",
		"ConfigMap c",
	};
	gc_buf got = GC_BUF_INIT;

	ck_assert_uint_eq(gc_index_count(idx), GC_ARRAY_SIZE(want));
	ck_assert_uint_eq(gc_index_doc_count(idx), GC_ARRAY_SIZE(want));
	for (size_t i = 0; i < gc_index_count(idx); i++) {
		const gc_object *o = gc_index_at(idx, i);

		gc_buf_clear(&got);
		gc_buf_addf(&got, "%s %s", o->kind, o->name ? o->name : "-");
		ck_assert_str_eq(got.ptr, want[i]);
	}
	ck_assert_ptr_null(gc_index_at(idx, gc_index_count(idx)));
	/* kustomizations are not looked up as objects */
	ck_assert_ptr_null(gc_index_find(idx, "Kustomization", NULL, ""));
	gc_buf_release(&got);
	gc_index_free(idx);
}
END_TEST

START_TEST(test_source__duplicates_name_both_places)
{
	gc_index *idx = load_fixture("validate/duplicates", NULL);
	gc_problems *p = gc_index_problems(idx);
	const gc_object *dep =
		gc_index_find(idx, "Deployment", "test", "podinfo");

	gc_problems_sort(p);
	ck_assert_uint_eq(p->n, 2);
	ck_assert_str_eq(p->v[0].path, "b.yaml");
	ck_assert_uint_eq(p->v[0].line, 2);
	ck_assert_uint_eq(p->v[0].column, 1);
	ck_assert_str_eq(
		p->v[0].msg,
		"duplicate Deployment test/podinfo (first defined at a.yaml:1:1)");
	ck_assert_str_eq(
		p->v[1].msg,
		"duplicate ConfigMap other/podinfo (first defined at b.yaml:8:1)");
	/* the first definition stays indexed; kinds do not collide */
	ck_assert_str_eq(dep->doc->path, "a.yaml");
	ck_assert_str_eq(dep->api_version, "apps/v1");
	ck_assert_ptr_nonnull(gc_index_find(idx, "Service", "test", "podinfo"));
	gc_index_free(idx);
}
END_TEST

static const struct {
	const char *name;
	int subdomain, label, dns1035;
} names[] = {
	{ "podinfo", 1, 1, 1 },
	{ "podinfo-primary", 1, 1, 1 },
	{ "a.b.c", 1, 0, 0 },
	{ "1st", 1, 1, 0 },
	{ "", 0, 0, 0 },
	{ "-a", 0, 0, 0 },
	{ "a-", 0, 0, 0 },
	{ "a..b", 0, 0, 0 },
	{ "A", 0, 0, 0 },
	{ "a_b", 0, 0, 0 },
	{ "../x", 0, 0, 0 },
	{ "a/b", 0, 0, 0 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  1, 0, 0 }, /* 67 characters */
};

START_TEST(test_source__dns1123_names)
{
	const char *why = NULL;

	ck_assert_int_eq(gc_name_is_dns1123_subdomain(names[_i].name, &why),
			 names[_i].subdomain);
	ck_assert_int_eq(gc_name_is_dns1123_label(names[_i].name, &why),
			 names[_i].label);
	ck_assert_int_eq(gc_name_is_dns1035_label(names[_i].name, &why),
			 names[_i].dns1035);
}
END_TEST

START_TEST(test_source__kustomization_file_names)
{
	ck_assert(gc_name_is_kustomization("kustomization.yaml"));
	ck_assert(gc_name_is_kustomization("a/kustomization.yml"));
	ck_assert(gc_name_is_kustomization("a/b/Kustomization"));
	ck_assert(!gc_name_is_kustomization("kustomization.json"));
	ck_assert(!gc_name_is_kustomization("Kustomization.yaml"));
	ck_assert(!gc_name_is_kustomization("kustomization.yaml/x.yaml"));
	ck_assert(!gc_name_is_kustomization("my-kustomization.yaml"));
}
END_TEST

START_TEST(test_source__problems_sort_by_path_line_column)
{
	gc_problems p = { NULL, 0, 0 };

	gc_problems_add(&p, "b.yaml", 1, 1, "%s", "b1");
	gc_problems_add(&p, "a.yaml", 10, 1, "%s", "a10");
	gc_problems_add(&p, "a.yaml", 2, 5, "%s", "a2.5");
	gc_problems_add(&p, "a.yaml", 2, 3, "%s", "a2.3");
	gc_problems_sort(&p);
	ck_assert_str_eq(p.v[0].msg, "a2.3");
	ck_assert_str_eq(p.v[1].msg, "a2.5");
	ck_assert_str_eq(p.v[2].msg, "a10");
	ck_assert_str_eq(p.v[3].msg, "b1");
	gc_problems_release(&p);
}
END_TEST

START_TEST(test_source__directory_walk_skips_hidden_and_node_modules)
{
	char *tmp = gc_test_tmpdir();
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cd '%s' && mkdir -p .github/workflows node_modules/m sub && "
			"echo 'on: push' > .github/workflows/ci.yml && "
			"echo '- x' > .gitlab-ci.yml && echo '- x' > node_modules/m/a.yaml && "
			"printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: x\\n' > sub/x.yml && "
			"echo '- x' > sub/notes.txt && ln -s sub loop && "
			"printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: linked\\n' > sub/y.txt && "
			"ln -s sub/y.txt y.yaml && ln -s nowhere.yaml dangling.yaml",
			tmp),
		0);
	ck_assert_int_eq(gc_source_load_dir(&idx, tmp, NULL, &err), 0);
	ck_assert_uint_eq(gc_index_problems(idx)->n, 0);
	ck_assert_uint_eq(gc_index_doc_count(idx), 2);
	ck_assert_str_eq(gc_index_find(idx, "ConfigMap", "default", "x")
				 ->doc->path,
			 "sub/x.yml");
	/* a link to a file is followed, one to nothing is skipped */
	ck_assert_str_eq(gc_index_find(idx, "ConfigMap", "default", "linked")
				 ->doc->path,
			 "y.yaml");
	gc_index_free(idx);
	gc_test_rmrf(tmp);
	free(tmp);
}
END_TEST

START_TEST(test_source__missing_directory_is_an_error)
{
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;

	ck_assert_int_eq(gc_source_load_dir(&idx, "/nonexistent/gc", NULL,
					    &err),
			 GC_EOS);
	ck_assert_ptr_null(idx);
	ck_assert_str_eq(err.msg,
			 "cannot open directory: No such file or directory");
	gc_error_release(&err);
}
END_TEST

START_TEST(test_source__git_commit_loads_like_the_directory)
{
	char *tmp = gc_test_tmpdir();
	gc_error err = GC_ERROR_INIT;
	gc_git *git = NULL;
	gc_index *idx = NULL;
	char commit[GC_OID_HEX];
	gc_buf out = GC_BUF_INIT, errb = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(
			&out, &errb,
			"export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "
			"GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com "
			"GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com; "
			"cp -R '%s/tests/fixtures/validate/namespaces/.' '%s' && "
			"cd '%s' && mkdir node_modules && "
			"cp a.yaml node_modules/x.yaml && mkdir -p .github/workflows && "
			"echo 'on: push' > .github/workflows/ci.yml && "
			"echo 'repos: []' > .pre-commit-config.yaml && "
			"git init -q && git add -A && git commit -q -m x",
			gc_test_source_dir, tmp, tmp),
		0);
	ck_assert_msg(gc_git_open(&git, tmp, NULL, &err) == 0, "%s",
		      gc_error_msg(&err));
	ck_assert_int_eq(gc_git_resolve(commit, git, NULL, &err), 0);
	ck_assert_int_eq(gc_source_load_git(&idx, git, commit, NULL, &err), 0);
	/* the same 7 documents: what no resources: list names is not read */
	ck_assert_uint_eq(gc_index_doc_count(idx), 7);
	ck_assert_uint_eq(gc_index_problems(idx)->n, 0);
	ck_assert_ptr_nonnull(gc_index_find(idx, "ConfigMap", "sub", "c"));
	ck_assert_ptr_nonnull(gc_index_find(idx, "ConfigMap", "mine", "e"));
	ck_assert_str_eq(gc_index_find(idx, "ConfigMap", "top", "f")->doc->path,
			 "over/f.yaml");
	ck_assert_ptr_nonnull(gc_index_find(idx, "ConfigMap", "default", "a"));
	gc_index_free(idx);
	gc_git_free(git);
	gc_buf_release(&out);
	gc_buf_release(&errb);
	gc_test_rmrf(tmp);
	free(tmp);
}
END_TEST

/* v of the ConfigMap in path (its tree loaded), and where it is. */
static const char *loaded_v(gc_index *idx, const char *name, gc_loc *at)
{
	const gc_object *o = gc_index_find(idx, "ConfigMap", "default", name);
	gc_error err = GC_ERROR_INIT;
	const cJSON *v;

	ck_assert_msg(gc_index_load(idx, o, &err) == 0, "%s",
		      gc_error_msg(&err));
	v = gc_json_get(o->doc->root, "data.v");
	*at = gc_doc_loc(o->doc, v);
	return cJSON_GetStringValue(v);
}

/*
 * With keep_tree_nodes the trees of the files read first stay from the
 * load (the files are not read again) until the first trim; the others,
 * and all after the trim, are read again.
 */
START_TEST(test_source__kept_trees_are_parsed_once)
{
	char *tmp = gc_test_tmpdir();
	gc_source_opts opts = { .trees_on_demand = true,
				.keep_tree_nodes = 14 }; /* 7 a file */
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;
	gc_loc at;

	ck_assert_int_eq(
		gc_test_sh(NULL, NULL,
			   "cd '%s' && for f in a b c; do printf "
			   "'apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
			   "  name: %%s\ndata:\n  v: \"1\"\n' $f > $f.yaml; "
			   "done",
			   tmp),
		0);
	ck_assert_int_eq(gc_source_load_dir(&idx, tmp, &opts, &err), 0);
	ck_assert_uint_eq(gc_index_problems(idx)->n, 0);
	ck_assert_int_eq(gc_test_sh(NULL, NULL,
				    "cd '%s' && sed -i 's/\"1\"/\"2\"/' "
				    "a.yaml b.yaml c.yaml",
				    tmp),
			 0);
	/* a and b: their trees from the load, not the files as they are */
	ck_assert_str_eq(loaded_v(idx, "a", &at), "1");
	ck_assert_uint_eq(at.line, 6);
	ck_assert_uint_eq(at.column, 6);
	ck_assert_str_eq(loaded_v(idx, "b", &at), "1");
	ck_assert_uint_eq(gc_index_loaded(idx), 0);
	/* c is past the budget: read again, at the same place */
	ck_assert_str_eq(loaded_v(idx, "c", &at), "2");
	ck_assert_uint_eq(at.line, 6);
	ck_assert_uint_eq(at.column, 6);
	ck_assert_uint_eq(gc_index_loaded(idx), 1);
	/* the trim drops the kept trees too, and keeps no more */
	gc_index_trim(idx);
	ck_assert_str_eq(loaded_v(idx, "a", &at), "2");
	ck_assert_str_eq(loaded_v(idx, "b", &at), "2");
	ck_assert_uint_eq(gc_index_loaded(idx), 2);
	gc_index_free(idx);
	gc_test_rmrf(tmp);
	free(tmp);
}
END_TEST

static Suite *gc_suite_source(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_source__namespace_rules, 0,
			    GC_ARRAY_SIZE(namespaces));
	tcase_add_test(tc, test_source__default_namespace_option_then_default);
	tcase_add_test(tc, test_source__reached_objects_in_path_order);
	tcase_add_test(tc, test_source__duplicates_name_both_places);
	tcase_add_loop_test(tc, test_source__dns1123_names, 0,
			    GC_ARRAY_SIZE(names));
	tcase_add_test(tc, test_source__kustomization_file_names);
	tcase_add_test(tc, test_source__problems_sort_by_path_line_column);
	tcase_add_test(
		tc, test_source__directory_walk_skips_hidden_and_node_modules);
	tcase_add_test(tc, test_source__missing_directory_is_an_error);
	tcase_add_test(tc, test_source__git_commit_loads_like_the_directory);
	tcase_add_test(tc, test_source__kept_trees_are_parsed_once);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_source)
