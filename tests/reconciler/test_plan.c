#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* `gitcanary plan` on the podinfo example, byte for byte. */

#define HEADER "TICK PHASE            PRIMARY CANARY MIRROR REPLICAS EVENTS\n"

static const char seed_plan[] = HEADER
	"1    Progressing      100     0      off    2        New revision detected! Scaling up podinfo.test\n"
	"2    Progressing      90      10     off    2        Starting canary analysis for podinfo.test | Pre-rollout check acceptance-test passed | Advance podinfo.test canary weight 10\n"
	"3    Progressing      80      20     off    2        Advance podinfo.test canary weight 20\n"
	"4    Progressing      70      30     off    2        Advance podinfo.test canary weight 30\n"
	"5    Progressing      60      40     off    2        Advance podinfo.test canary weight 40\n"
	"6    Progressing      50      50     off    2        Advance podinfo.test canary weight 50\n"
	"7    Promoting        50      50     off    2        Copying podinfo.test template spec to podinfo-primary.test\n"
	"8    Finalising       100     0      off    2        Routing all traffic to primary\n"
	"9    Succeeded        100     0      off    0        Promotion completed! Scaling down podinfo.test\n";

#define HALT \
	"Warning: Halt podinfo.test advancement external check load-test failed simulated failure (--fail-at)\n"

static const char fail_plan[] = HEADER
	"1    Progressing      100     0      off    2        New revision detected! Scaling up podinfo.test\n"
	"2    Progressing      90      10     off    2        Starting canary analysis for podinfo.test | Pre-rollout check acceptance-test passed | Advance podinfo.test canary weight 10\n"
	"3    Progressing      80      20     off    2        Advance podinfo.test canary weight 20\n"
	"4    Progressing      80      20     off    2        " HALT
	"5    Progressing      80      20     off    2        " HALT
	"6    Progressing      80      20     off    2        " HALT
	"7    Progressing      80      20     off    2        " HALT
	"8    Progressing      80      20     off    2        " HALT
	"9    Failed           100     0      off    0        Warning: Rolling back podinfo.test failed checks threshold reached 5 | Warning: Canary failed! Scaling down podinfo.test\n";

static const char fail_pre_plan[] = HEADER
	"1    Progressing      100     0      off    2        New revision detected! Scaling up podinfo.test\n"
	"2    Progressing      100     0      off    2        Starting canary analysis for podinfo.test | Warning: Halt podinfo.test advancement pre-rollout check acceptance-test failed simulated failure (--fail-at)\n";

/*
 * A header-matched A/B release: the canary gets what matches, the primary
 * the rest (not "0 / 100"); Flagger's newTestABTest (issue 17).
 */
static const char ab_plan[] =
	"TICK PHASE            PRIMARY CANARY             MIRROR REPLICAS EVENTS\n"
	"1    Progressing      100     0                  off    1        New revision detected! Scaling up abtest.default\n"
	"2    Progressing      rest    match: x-user-type off    1        Starting canary analysis for abtest.default | Advance abtest.default canary iteration 1/2\n"
	"3    Progressing      rest    match: x-user-type off    1        Advance abtest.default canary iteration 2/2\n"
	"4    Promoting        rest    match: x-user-type off    1        Copying abtest.default template spec to abtest-primary.default\n"
	"5    Finalising       100     0                  off    1        Routing all traffic to primary\n"
	"6    Succeeded        100     0                  off    0        Promotion completed! Scaling down abtest.default\n";

/* --format markdown: ticks and what each checks, for a PR comment */
static const char markdown_plan[] =
	"#### gitcanary plan: test/podinfo\n"
	"\n"
	"| tick | phase | primary | canary | mirror | replicas | checks | events |\n"
	"|---:|---|---:|---|---|---:|---|---|\n"
	"| 1 | Progressing | 100 | 0 | off | 2 |  | New revision detected! Scaling up podinfo.test |\n"
	"| 2 | Progressing | 90 | 10 | off | 2 | ✅ pre-rollout webhook acceptance-test | Starting canary analysis for podinfo.test<br>Pre-rollout check acceptance-test passed<br>Advance podinfo.test canary weight 10 |\n"
	"| 3 | Progressing | 90 | 10 | off | 2 | ❌ rollout webhook load-test<br>⏭️ request-success-rate ≥ 99 (1m)<br>⏭️ request-duration ≤ 500 (30s) | ⚠️ Halt podinfo.test advancement external check load-test failed simulated failure (--fail-at) |\n";

START_TEST(test_plan__ab_shows_the_match)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(
			&out, &err,
			"'%s' plan --dir '%s/tests/fixtures/plan/ab' --canary default/abtest",
			gc_test_binary, gc_test_source_dir),
		0);
	ck_assert_str_eq(err.ptr, "");
	ck_assert_str_eq(out.ptr, ab_plan);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

START_TEST(test_plan__markdown)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(
			&out, &err,
			"'%s' plan --dir '%s/examples/podinfo' --canary test/podinfo --format markdown --fail-at 3 | sed -n 1,7p",
			gc_test_binary, gc_test_source_dir),
		0);
	ck_assert_str_eq(out.ptr, markdown_plan);
	gc_buf_clear(&out);
	ck_assert_int_eq(
		gc_test_sh(
			&out, &err,
			"'%s' plan --dir '%s/examples/podinfo' --canary test/podinfo --format html",
			gc_test_binary, gc_test_source_dir),
		2);
	ck_assert_str_eq(err.ptr,
			 "gitcanary plan: --format must be text or markdown\n");
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

START_TEST(test_plan__seed_dir)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(
			&out, &err,
			"'%s' plan --dir '%s/examples/podinfo' --canary test/podinfo",
			gc_test_binary, gc_test_source_dir),
		0);
	ck_assert_str_eq(err.ptr, "");
	ck_assert_str_eq(out.ptr, seed_plan);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

START_TEST(test_plan__fail_at)
{
	gc_buf out = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(
			&out, NULL,
			"'%s' plan --dir '%s/examples/podinfo' --canary test/podinfo --fail-at 4",
			gc_test_binary, gc_test_source_dir),
		0);
	ck_assert_str_eq(out.ptr, fail_plan);
	gc_buf_clear(&out);
	/* failing from tick 2: pre-rollout fails 5 times, then rollback */
	ck_assert_int_eq(
		gc_test_sh(
			&out, NULL,
			"'%s' plan --dir '%s/examples/podinfo' --canary test/podinfo --fail-at=2 | head -3",
			gc_test_binary, gc_test_source_dir),
		0);
	ck_assert_str_eq(out.ptr, fail_pre_plan);
	gc_buf_release(&out);
}
END_TEST

START_TEST(test_plan__from_git)
{
	char *dir = gc_test_tmpdir();
	gc_buf out = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cd '%s' && cp -r '%s/examples/podinfo' repo && cd repo && git init -q -b main && "
			"git add . && git -c user.name=t -c user.email=t@e commit -qm seed",
			dir, gc_test_source_dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(&out, NULL,
			   "'%s' plan --repo '%s/repo' --canary test/podinfo",
			   gc_test_binary, dir),
		0);
	ck_assert_str_eq(out.ptr, seed_plan);
	gc_buf_clear(&out);
	ck_assert_int_eq(
		gc_test_sh(
			&out, NULL,
			"'%s' plan --repo '%s/repo' --ref main --canary test/podinfo",
			gc_test_binary, dir),
		0);
	ck_assert_str_eq(out.ptr, seed_plan);
	gc_buf_release(&out);
	gc_test_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_plan__min_interval)
{
	char *dir = gc_test_tmpdir();
	gc_buf out = GC_BUF_INIT;

	/* a 1s interval and a 1s deadline: a closed gate fails the release */
	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"mkdir -p '%s/m' && sed '/^  namespace: test$/d' "
			"'%s/examples/podinfo/deployment.yaml' >'%s/m/deployment.yaml' && "
			"printf '%%s\\n' 'apiVersion: flagger.app/v1beta1' 'kind: Canary' "
			"'metadata: {name: podinfo, namespace: default}' 'spec:' "
			"'  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}' "
			"'  progressDeadlineSeconds: 1' '  service: {port: 9898}' "
			"'  analysis:' '    interval: 1s' '    threshold: 1' '    stepWeights: [5, 50]' "
			"'    webhooks: [{name: gate, type: confirm-promotion, url: \"http://h/\"}]' "
			"> '%s/m/canary.yaml'",
			dir, gc_test_source_dir, dir, dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(
			&out, NULL,
			"'%s' plan --dir '%s/m' --canary default/podinfo --min-interval 1s --fail-at 4",
			gc_test_binary, dir),
		0);
	ck_assert_str_eq(
		out.ptr, HEADER
		"1    Progressing      100     0      off    1        New revision detected! Scaling up podinfo.default\n"
		"2    Progressing      95      5      off    1        Starting canary analysis for podinfo.default | Advance podinfo.default canary weight 5\n"
		"3    Progressing      50      50     off    1        Advance podinfo.default canary weight 50\n"
		"4    WaitingPromotion 50      50     off    1        Warning: Halt podinfo.default advancement waiting for promotion approval gate\n"
		"5    Failed           100     0      off    0        Warning: Rolling back podinfo.default progress deadline exceeded waiting for promotion approval gate | Warning: Canary failed! Scaling down podinfo.default\n");
	gc_buf_release(&out);
	gc_test_rmrf(dir);
	free(dir);
}
END_TEST

/*
 * One exit rule for errors of the source (issue 17): a Canary validate
 * refuses is not planned; a syntax error elsewhere is reported and the
 * plan printed, exit 1 either way.
 */
START_TEST(test_plan__source_errors_exit_1)
{
	char *dir = gc_test_tmpdir();
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(
		gc_test_sh(
			NULL, NULL,
			"cp -r '%s/examples/podinfo' '%s/p' && "
			"sed -i 's/^    port: 9898$/    port: \"9898\"/' '%s/p/canary.yaml'",
			gc_test_source_dir, dir, dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(&out, &err,
			   "'%s' plan --dir '%s/p' --canary test/podinfo",
			   gc_test_binary, dir),
		1);
	ck_assert_str_eq(out.ptr, "");
	ck_assert_str_eq(
		err.ptr,
		"canary.yaml:22:11: spec.service.port: must be an integer, not a string\n"
		"gitcanary plan: canary 'test/podinfo' is invalid\n");
	ck_assert_int_eq(
		gc_test_sh(NULL, NULL,
			   "cp '%s/examples/podinfo/canary.yaml' '%s/p/' && "
			   "printf 'x: [\\n' >'%s/p/broken.yaml'",
			   gc_test_source_dir, dir, dir),
		0);
	ck_assert_int_eq(
		gc_test_sh(&out, &err,
			   "'%s' plan --dir '%s/p' --canary test/podinfo",
			   gc_test_binary, dir),
		1);
	ck_assert_str_eq(out.ptr, seed_plan);
	ck_assert_str_eq(
		err.ptr,
		"broken.yaml:1:5: did not find expected node content while parsing a flow node\n");
	gc_buf_release(&out);
	gc_buf_release(&err);
	gc_test_rmrf(dir);
	free(dir);
}
END_TEST

static const struct {
	const char *args;
	int rc;
	const char *err;
} bad[] = {
	{ "", 2, "gitcanary plan: --canary NS/NAME is required\n" },
	{ "--canary test/nope", 1,
	  "gitcanary plan: canary 'test/nope' not found\n" },
	{ "--canary podinfo", 1,
	  "gitcanary plan: --canary must be NS/NAME, not 'podinfo'\n" },
	{ "--canary test/podinfo --fail-at 0", 2,
	  "gitcanary plan: --fail-at needs a tick number from 1 to 1000\n" },
	{ "--canary test/podinfo --min-interval soon", 2,
	  "gitcanary plan: --min-interval needs a positive duration such as 1s\n" },
	{ "--canary test/podinfo --bogus", 2,
	  "gitcanary plan: unknown argument '--bogus'; see --help\n" },
};

START_TEST(test_plan__bad_usage)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(gc_test_sh(&out, &err,
				    "'%s' plan --dir '%s/examples/podinfo' %s",
				    gc_test_binary, gc_test_source_dir,
				    bad[_i].args),
			 bad[_i].rc);
	ck_assert_str_eq(err.ptr, bad[_i].err);
	ck_assert_str_eq(out.ptr, "");
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

static Suite *gc_suite_plan(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, test_plan__seed_dir);
	tcase_add_test(tc, test_plan__fail_at);
	tcase_add_test(tc, test_plan__from_git);
	tcase_add_test(tc, test_plan__ab_shows_the_match);
	tcase_add_test(tc, test_plan__markdown);
	tcase_add_test(tc, test_plan__min_interval);
	tcase_add_test(tc, test_plan__source_errors_exit_1);
	tcase_add_loop_test(tc, test_plan__bad_usage, 0, GC_ARRAY_SIZE(bad));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_plan)
