/*
 * gitcanary render end to end: the built binary over examples/podinfo and
 * over small repositories written to a temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/*
 * render runs validate's checks first and shows their problems: the
 * example keeps the seed's autoscaling/v2beta2 HPAs.
 */
#define PODINFO_WARNINGS                                                                                                                 \
	"hpa-total.yaml:4:13: warning: autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26: use autoscaling/v2\n" \
	"hpa.yaml:1:13: warning: autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26: use autoscaling/v2\n"

START_TEST(test_cmd_render__prints_initialization_of_example)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *path = gc_test_fixture("render/cli-examples-podinfo.yaml");
	char *expected;

	ck_assert_int_eq(
		gc_test_sh(
			&out, &err,
			"'%s' render --dir '%s/examples/podinfo' --canary test/podinfo",
			gc_test_binary, gc_test_source_dir),
		0);
	ck_assert_str_eq(err.ptr, PODINFO_WARNINGS);
	if (getenv("GC_RENDER_UPDATE")) {
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fwrite(out.ptr, 1, out.len, f);
		fclose(f);
	}
	expected = gc_test_slurp(path);
	ck_assert_str_eq(out.ptr, expected);
	free(expected);
	free(path);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

START_TEST(test_cmd_render__writes_deploy_branch_layout)
{
	gc_buf out = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"'%s' render --dir '%s/examples/podinfo' --stage progressing:10 --out '%s/out'",
			gc_test_binary, gc_test_source_dir, dir),
		0);
	ck_assert_int_eq(gc_test_sh(&out, NULL,
				    "cd '%s/out' && find . -type f | sort",
				    dir),
			 0);
	ck_assert_str_eq(
		out.ptr,
		"./test/podinfo/deployment-podinfo-primary.yaml\n"
		"./test/podinfo/deployment-podinfo.yaml\n"
		"./test/podinfo/destinationrule-podinfo-canary.yaml\n"
		"./test/podinfo/destinationrule-podinfo-primary.yaml\n"
		"./test/podinfo/horizontalpodautoscaler-podinfo-primary.yaml\n"
		"./test/podinfo/service-podinfo-canary.yaml\n"
		"./test/podinfo/service-podinfo-primary.yaml\n"
		"./test/podinfo/service-podinfo.yaml\n"
		"./test/podinfo/virtualservice-podinfo.yaml\n");
	gc_buf_clear(&out);
	ck_assert_int_eq(
		gc_test_sh(
			&out, NULL,
			"grep -A6 '^  http:' '%s/out/test/podinfo/virtualservice-podinfo.yaml'",
			dir),
		0);
	ck_assert_str_eq(out.ptr, "  http:\n"
				  "  - route:\n"
				  "    - destination:\n"
				  "        host: podinfo-primary\n"
				  "      weight: 90\n"
				  "    - destination:\n"
				  "        host: podinfo-canary\n");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
}
END_TEST

static const struct {
	const char *args;
	int status;
	const char *stderr_text;
} usage_cases[] = {
	{ "--stage canary", 2,
	  "gitcanary render: unknown stage 'canary' (expected initialization, progressing:WEIGHT, mirror, ab, bluegreen, bluegreen:switched, promoting[:WEIGHT], finalising, succeeded or failed)\n" },
	{ "--canary podinfo", 2,
	  "gitcanary render: --canary must be NS/NAME\n" },
	{ "--promoted x.yaml", 2,
	  "gitcanary render: --promoted needs --canary\n" },
	{ "--bogus", 2,
	  "gitcanary render: unknown argument '--bogus'; see --help\n" },
	{ "--canary test/nope", 1,
	  PODINFO_WARNINGS "gitcanary render: canary 'test/nope' not found\n" },
	{ "--canary test/podinfo --promoted /nonexistent", 1,
	  PODINFO_WARNINGS
	  "gitcanary render: /nonexistent: cannot open: No such file or directory\n" },
};

START_TEST(test_cmd_render__rejects_bad_arguments)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(&out, &err,
			   "'%s' render --dir '%s/examples/podinfo' %s",
			   gc_test_binary, gc_test_source_dir,
			   usage_cases[_i].args),
		usage_cases[_i].status);
	ck_assert_str_eq(out.ptr, "");
	ck_assert_str_eq(err.ptr, usage_cases[_i].stderr_text);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

START_TEST(test_cmd_render__bad_target_is_located_and_prints_nothing)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cp -r '%s/examples/podinfo' '%s/repo' && "
			"sed -i 's/^      app: podinfo$/      tier: podinfo/' '%s/repo/deployment.yaml'",
			gc_test_source_dir, dir, dir),
		0);
	ck_assert_int_eq(gc_test_sh(&out, &err, "'%s' render --dir '%s/repo'",
				    gc_test_binary, dir),
			 1);
	ck_assert_str_eq(out.ptr, "");
	ck_assert_str_eq(
		err.ptr,
		"deployment.yaml:18:5: deployment podinfo.test spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]\n" PODINFO_WARNINGS
		"gitcanary render: 1 problem(s) found by validate; nothing rendered\n");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

/*
 * What validate rejects is not rendered (issue 15): a parse error in
 * another file and a negative service port, shown as validate shows them.
 */
START_TEST(test_cmd_render__runs_validate_first)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cp -r '%s/examples/podinfo' '%s/repo' && "
			"printf 'a: [\\n' >'%s/repo/broken.yaml' && "
			"sed -i 's/^    port: 9898$/    port: -1/' '%s/repo/canary.yaml'",
			gc_test_source_dir, dir, dir, dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(&out, &err,
			   "'%s' render --dir '%s/repo' --canary test/podinfo",
			   gc_test_binary, dir),
		1);
	ck_assert_str_eq(out.ptr, "");
	ck_assert_str_eq(
		err.ptr,
		"broken.yaml:1:5: did not find expected node content while parsing a flow node\n"
		"canary.yaml:22:11: spec.service.port: Invalid value: -1: must be between 1 and 65535, inclusive\n" PODINFO_WARNINGS
		"gitcanary render: 2 problem(s) found by validate; nothing rendered\n");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

START_TEST(test_cmd_render__primary_runs_promoted_template)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cp -r '%s/examples/podinfo' '%s/repo' && "
			"sed -i 's/podinfo:3.1.0/podinfo:3.1.1/' '%s/repo/deployment.yaml'",
			gc_test_source_dir, dir, dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(
			&out, &err,
			"'%s' render --dir '%s/repo' --canary test/podinfo --stage progressing:10 "
			"--promoted '%s/tests/fixtures/render/input/podinfo.yaml' | grep 'image:'",
			gc_test_binary, dir, gc_test_source_dir),
		0);
	ck_assert_str_eq(err.ptr, PODINFO_WARNINGS);
	/* the primary (first object) runs 3.1.0, the canary 3.1.1 */
	ck_assert_str_eq(out.ptr,
			 "        image: stefanprodan/podinfo:3.1.0\n"
			 "        image: stefanprodan/podinfo:3.1.1\n");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

/* Canaries of three namespaces besides the example's, for one stream. */
#define MULTI_APPS                                                         \
	"for ns in alpha beta gamma; do for i in 1 2; do "                 \
	"printf 'apiVersion: flagger.app/v1beta1\\nkind: Canary\\n"        \
	"metadata:\\n  name: app-%%s\\n  namespace: %%s\\nspec:\\n"        \
	"  targetRef:\\n    apiVersion: apps/v1\\n    kind: Deployment\\n" \
	"    name: app-%%s\\n  service:\\n    port: 9898\\n"               \
	"  analysis:\\n    interval: 1m\\n    threshold: 5\\n"             \
	"    maxWeight: 50\\n    stepWeight: 10\\n---\\n"                  \
	"apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n"            \
	"  name: app-%%s\\n  namespace: %%s\\nspec:\\n  selector:\\n"      \
	"    matchLabels:\\n      app: app-%%s\\n  template:\\n"           \
	"    metadata:\\n      labels:\\n        app: app-%%s\\n"          \
	"    spec:\\n      containers:\\n      - name: app\\n"             \
	"        image: example/app:1.0.%%s\\n' "                          \
	"$i $ns $i $i $ns $i $i $i > '%s/repo/'$ns-$i.yaml; done; done"

/*
 * Canaries are rendered and written one at a time (issue 18): the stream
 * of every canary of a repository with several is byte for byte what the
 * whole-output renderer printed (the fixture was made by it, 89b24f0).
 */
START_TEST(test_cmd_render__streams_what_it_printed_whole)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *path = gc_test_fixture("render/cli-multi-canary.yaml");
	char *dir = gc_test_tmpdir();
	char *expected;

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cp -r '%s/examples/podinfo' '%s/repo' && " MULTI_APPS,
			gc_test_source_dir, dir, dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(&out, &err,
			   "'%s' render --dir '%s/repo' --stage progressing:20",
			   gc_test_binary, dir),
		0);
	ck_assert_str_eq(err.ptr, PODINFO_WARNINGS);
	if (getenv("GC_RENDER_UPDATE")) {
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fwrite(out.ptr, 1, out.len, f);
		fclose(f);
	}
	expected = gc_test_slurp(path);
	ck_assert_uint_eq(out.len, strlen(expected));
	ck_assert_str_eq(out.ptr, expected);
	/* the example's canary and the six others, each a primary and a
	 * canary Deployment */
	ck_assert_int_eq(gc_test_sh(&out, NULL,
				    "grep -c '^kind: Deployment$' '%s'", path),
			 0);
	ck_assert_str_eq(out.ptr, "14\n");
	free(expected);
	gc_test_rmrf(dir);
	free(dir);
	free(path);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

/*
 * Canaries are emitted on two cores, in pieces joined in order (issue 18,
 * "render, third round"): over more canaries than the pieces in flight
 * (util/ahead.h), the stream is every canary's own render joined by
 * "---", and --out writes the files each canary's own render writes.
 */
#define MANY_APPS                                                          \
	"for i in $(seq 100 249); do "                                     \
	"printf 'apiVersion: flagger.app/v1beta1\\nkind: Canary\\n"        \
	"metadata:\\n  name: app-%%s\\n  namespace: many\\nspec:\\n"       \
	"  targetRef:\\n    apiVersion: apps/v1\\n    kind: Deployment\\n" \
	"    name: app-%%s\\n  service:\\n    port: 9898\\n"               \
	"  analysis:\\n    interval: 1m\\n    threshold: 5\\n"             \
	"    maxWeight: 50\\n    stepWeight: 10\\n---\\n"                  \
	"apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n"            \
	"  name: app-%%s\\n  namespace: many\\nspec:\\n  selector:\\n"     \
	"    matchLabels:\\n      app: app-%%s\\n  template:\\n"           \
	"    metadata:\\n      labels:\\n        app: app-%%s\\n"          \
	"    spec:\\n      containers:\\n      - name: app\\n"             \
	"        image: example/app:1.0.%%s\\n' "                          \
	"$i $i $i $i $i $i > '%s/repo/app-'$i.yaml; done"

START_TEST(test_cmd_render__pieces_join_into_every_canarys_render)
{
	gc_buf out = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(gc_test_sh(NULL, NULL, "mkdir '%s/repo' && " MANY_APPS,
				    dir, dir),
			 0);
	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"'%s' render --dir '%s/repo' >'%s/all.yaml' && "
			"'%s' render --dir '%s/repo' --out '%s/all' && "
			"for i in $(seq 100 249); do "
			"[ $i = 100 ] || echo ---; "
			"'%s' render --dir '%s/repo' --canary many/app-$i && "
			"'%s' render --dir '%s/repo' --canary many/app-$i "
			"--out '%s/each' || exit 1; "
			"done >'%s/each.yaml'",
			gc_test_binary, dir, dir, gc_test_binary, dir, dir,
			gc_test_binary, dir, gc_test_binary, dir, dir, dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(&out, NULL,
			   "cmp '%s/all.yaml' '%s/each.yaml' && "
			   "diff -r '%s/all' '%s/each' && "
			   "grep -c '^kind: Deployment$' '%s/all.yaml' && "
			   "find '%s/all' -type f | wc -l",
			   dir, dir, dir, dir, dir, dir),
		0);
	/* 150 canaries, each a primary and a canary Deployment among 8 */
	ck_assert_str_eq(out.ptr, "300\n1200\n");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
}
END_TEST

/*
 * Each canary is rendered once, into a spool that reaches stdout or --out
 * only when every canary rendered (issue 18): the last canary of seven
 * references a ConfigMap that does not exist, and nothing of the six
 * rendered before it is printed or written.
 */
START_TEST(test_cmd_render__late_error_prints_and_writes_nothing)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cp -r '%s/examples/podinfo' '%s/repo' && " MULTI_APPS
			" && printf '        envFrom:\\n        - configMapRef:\\n"
			"            name: absent\\n' >>'%s/repo/gamma-2.yaml'",
			gc_test_source_dir, dir, dir, dir),
		0);
	for (int i = 0; i < 2; i++) { /* stdout, then --out */

		gc_buf_clear(&out);
		gc_buf_clear(&err);
		ck_assert_int_eq(gc_test_sh(&out, &err,
					    "'%s' render --dir '%s/repo'%s%s%s",
					    gc_test_binary, dir,
					    i ? " --out '" : "", i ? dir : "",
					    i ? "/out'" : ""),
				 1);
		ck_assert_str_eq(out.ptr, "");
		ck_assert_str_eq(
			err.ptr, PODINFO_WARNINGS
			"gamma-2.yaml:38:19: deployment 'gamma/app-2' references configmap 'absent', which does not exist\n");
	}
	ck_assert_int_eq(gc_test_sh(NULL, NULL, "test -e '%s/out'", dir), 1);
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

/*
 * render of a commit reads trees again from the repository as it goes
 * (trees on demand): the same bytes as render of its work tree, to stdout
 * and under --out.
 */
START_TEST(test_cmd_render__commit_renders_as_its_work_tree)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cp -r '%s/examples/podinfo' '%s/repo' && " MULTI_APPS
			" && cd '%s/repo' && git init -q -b main && git add . && "
			"git -c user.name=t -c user.email=t@t commit -qm apps",
			gc_test_source_dir, dir, dir, dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(
			&out, &err,
			"'%s' render --dir '%s/repo' --stage progressing:20 >'%s/dir.yaml' && "
			"'%s' render --repo '%s/repo' --stage progressing:20 >'%s/git.yaml' && "
			"cmp '%s/dir.yaml' '%s/git.yaml' && grep -c '^kind: Deployment$' '%s/git.yaml' && "
			"'%s' render --dir '%s/repo' --out '%s/out-dir' && "
			"'%s' render --repo '%s/repo' --out '%s/out-git' && "
			"diff -r '%s/out-dir' '%s/out-git' && find '%s/out-git' -type f | wc -l",
			gc_test_binary, dir, dir, gc_test_binary, dir, dir, dir,
			dir, dir, gc_test_binary, dir, dir, gc_test_binary, dir,
			dir, dir, dir, dir),
		0);
	ck_assert_str_eq(out.ptr, "14\n57\n");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

/*
 * Without a temporary directory the spool is memory: the same output, and
 * still nothing on stdout when a canary fails.
 */
START_TEST(test_cmd_render__spools_in_memory_without_tmpdir)
{
	gc_buf out = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(
		gc_test_sh(
			&out, NULL,
			"cp -r '%s/examples/podinfo' '%s/repo' && " MULTI_APPS
			" && '%s' render --dir '%s/repo' >'%s/file.yaml' 2>/dev/null && "
			"TMPDIR='%s/absent' '%s' render --dir '%s/repo' >'%s/mem.yaml' 2>/dev/null && "
			"cmp '%s/file.yaml' '%s/mem.yaml' && grep -c '^kind: Deployment$' '%s/mem.yaml' && "
			"printf '        envFrom:\\n        - configMapRef:\\n"
			"            name: absent\\n' >>'%s/repo/gamma-2.yaml' && "
			"TMPDIR='%s/absent' '%s' render --dir '%s/repo' 2>/dev/null | wc -c",
			gc_test_source_dir, dir, dir, gc_test_binary, dir, dir,
			dir, gc_test_binary, dir, dir, dir, dir, dir, dir, dir,
			gc_test_binary, dir),
		0);
	ck_assert_str_eq(out.ptr, "14\n0\n");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
}
END_TEST

static Suite *gc_suite_cmd_render(void)
{
	Suite *s = suite_create("cmd_render");
	TCase *tc = tcase_create("cmd_render");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cmd_render__prints_initialization_of_example);
	tcase_add_test(tc, test_cmd_render__writes_deploy_branch_layout);
	tcase_add_loop_test(tc, test_cmd_render__rejects_bad_arguments, 0,
			    (int)GC_ARRAY_SIZE(usage_cases));
	tcase_add_test(
		tc, test_cmd_render__bad_target_is_located_and_prints_nothing);
	tcase_add_test(tc, test_cmd_render__runs_validate_first);
	tcase_add_test(tc, test_cmd_render__primary_runs_promoted_template);
	tcase_add_test(tc, test_cmd_render__streams_what_it_printed_whole);
	tcase_add_test(tc,
		       test_cmd_render__late_error_prints_and_writes_nothing);
	tcase_add_test(tc,
		       test_cmd_render__pieces_join_into_every_canarys_render);
	tcase_add_test(tc, test_cmd_render__commit_renders_as_its_work_tree);
	tcase_add_test(tc, test_cmd_render__spools_in_memory_without_tmpdir);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_cmd_render)
